/* Logging: the only libbpf print callback lives here. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "log.h"

int log_verbosity = LOG_WARN;
static char last_err[8192];

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	if ((int)lvl > log_verbosity)
		return;
	fputs("conctrace: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	va_list ap2;
	size_t n = strlen(last_err);

	/* keep the tail of warnings (the verifier log comes as warnings) for error reports */
	if (level == LIBBPF_WARN && n < sizeof(last_err) - 1) {
		va_copy(ap2, ap);
		vsnprintf(last_err + n, sizeof(last_err) - n, fmt, ap2);
		va_end(ap2);
	}
	if (level == LIBBPF_DEBUG && log_verbosity < LOG_DEBUG + 1)
		return 0;
	if (level == LIBBPF_INFO && log_verbosity < LOG_DEBUG)
		return 0;
	if (level == LIBBPF_WARN && log_verbosity < LOG_INFO)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void log_init(int verbosity)
{
	log_verbosity = verbosity;
	libbpf_set_print(libbpf_print);
}

const char *log_last_libbpf_error(void)
{
	return last_err;
}
