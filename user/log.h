/* One logging module for the loader: levels, colour-free messages on stderr, libbpf's output. */
#ifndef CT_LOG_H
#define CT_LOG_H

enum log_level { LOG_WARN = 0, LOG_INFO = 1, LOG_DEBUG = 2 };

extern int log_verbosity;     /* LOG_WARN by default; each -v raises it */

void log_init(int verbosity);
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define pr_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define pr_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* The verifier's log of the last failed load, kept so that it can be shown under -v. */
const char *log_last_libbpf_error(void);

#endif
