/* Small helpers shared by the loader: clocks, allocation, the invoking user, files. */
#ifndef CT_UTIL_H
#define CT_UTIL_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* Exit statuses of conctrace itself (documented in the README). */
enum ct_exit {
	CT_EXIT_OK = 0,
	CT_EXIT_FAILURE = 1,     /* an output could not be written, or internal error */
	CT_EXIT_USAGE = 2,       /* bad option, bad spec */
	CT_EXIT_PERM = 3,        /* not root / no CAP_BPF+CAP_PERFMON */
	CT_EXIT_BPF = 4,         /* no BTF, BPF load or attach failed */
	CT_EXIT_NOCMD = 5,       /* command not found or not executable */
	CT_EXIT_NOPID = 6,       /* -p PID does not exist */
	CT_EXIT_CASES = 7,       /* run: a case failed (the run went on; see its summary) */
};

uint64_t now_ns(void);                   /* CLOCK_MONOTONIC, the clock of bpf_ktime_get_ns */
uint64_t realtime_ns(void);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The user the workloads run as and the output belongs to. */
struct ct_user {
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	int ngroups;
	char *name;
	char *home;
	bool from_sudo;
};
/* SUDO_UID/SUDO_GID when root, else the real user. -EINVAL or -ENOENT (after a message
 * naming the variable) when SUDO_UID or SUDO_GID is not a plain decimal id below 4294967295
 * or SUDO_UID names no user: the caller refuses to run (exit 2), never guesses. */
int ct_user_resolve(struct ct_user *u);
void ct_user_free(struct ct_user *u);
int ct_user_drop(const struct ct_user *u);  /* in a child before exec: groups, gid, uid */

/* Format a duration for humans: "812us", "3.41ms", "1.250s". */
const char *fmt_ns(uint64_t ns, char *buf, size_t len);
const char *fmt_kb(uint64_t kb, char *buf, size_t len);
/* v as an unsigned integer, saturated: 0 for NaN and below, UINT64_MAX from 2^64 (a double
 * outside the range of the integer it is converted to is undefined behaviour). */
uint64_t u64_sat(double v);
/* Timestamp "20261124-105800" in local time. */
void timestamp_compact(char *buf, size_t len);
int read_file_str(const char *path, char *buf, size_t len);   /* trims the newline */
/* The last max_lines lines (within the last max_bytes bytes) of a regular file, as UTF-8
 * without control characters other than newline and tab (each bad byte becomes '?');
 * NULL when the file is empty or unreadable. Free it. */
char *file_tail(const char *path, int max_lines, size_t max_bytes);
bool path_is_gz(const char *path);
/* The well-formed UTF-8 sequence at s (at most n bytes; a NUL ends it too): its length and,
 * in *cp, its code point; 0 when there is none (overlong, surrogate, above U+10FFFF, cut). */
size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);
/* cp (at most U+10FFFF, not a surrogate) as UTF-8 into out; returns its length (1-4). */
size_t utf8_encode(uint32_t cp, char out[4]);        /* the name ends in ".gz" */
/* A FILE writing to fd (which it owns, and closes on failure too), gzip-compressed (zlib)
 * when gz; fclose reports a failed write. Files are created with outdir.h. */
FILE *fdopen_output(int fd, bool gz);
/* Close an output FILE: rc (a writer's result) when everything was written, else the
 * -errno of the failure, the write's own (ENOSPC, EDQUOT, EFBIG) rather than a writer's
 * generic -EIO when it is known. */
int fclose_output(FILE *f, int rc);

#endif
