/* Strict parsing of command-line values: the whole string, in range, or an error that the
 * command reports with the option's name. */
#ifndef CT_CLIPARSE_H
#define CT_CLIPARSE_H
#include <stdint.h>
#include <sys/types.h>

/* The longest -d/--duration: a week. */
#define CT_MAX_DURATION_S (7 * 24 * 3600)

/* A decimal integer in [min, max] (no sign tricks, no trailing text, no wrap-around).
 * 0, -EINVAL (not a number) or -ERANGE. */
int cli_parse_int(const char *s, long long min, long long max, long long *out);
/* Seconds: a finite number > 0 and at most max; into nanoseconds. */
int cli_parse_seconds(const char *s, double max, uint64_t *ns);
/* "PID[,PID...]": each one in 1..4194304 (PID_MAX_LIMIT); at most max of them. Returns the
 * count, or -EINVAL / -ERANGE / -E2BIG. */
int cli_parse_pids(const char *s, pid_t *out, int max);
/* What a pid is, for -p: 0 a live user process, -ESRCH none, -ECHILD a zombie (it has
 * exited), -EPERM a kernel thread. */
int cli_check_pid(pid_t pid);
/* -o: nothing there yet, or a directory (0); -ENOTDIR for a file, checked before anything
 * runs so that a workload's measurements are not lost at the end. */
int cli_check_output_dir(const char *path);

#endif
