/* Strict parsing of command-line values (strtoll/strtod checked end to end). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cliparse.h"
#include "util.h"

int cli_parse_int(const char *s, long long min, long long max, long long *out)
{
	long long v;
	char *end;

	if (!s || (!isdigit((unsigned char)s[0]) &&
		   !(s[0] == '-' && isdigit((unsigned char)s[1]))))
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int cli_parse_seconds(const char *s, double max, uint64_t *ns)
{
	double v;
	char *end;

	if (!s || !*s || isspace((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (*end || end == s)
		return -EINVAL;
	if (!isfinite(v) || v <= 0 || v > max)
		return -ERANGE;
	*ns = (uint64_t)(v * 1e9);
	if (*ns == 0)
		return -ERANGE;
	return 0;
}

int cli_parse_pids(const char *s, pid_t *out, int max)
{
	int n = 0;

	if (!s || !*s)
		return -EINVAL;
	for (const char *p = s; ; ) {
		size_t len = strcspn(p, ",");
		char item[32];
		long long v;
		int err;

		if (len == 0 || len >= sizeof(item))
			return len ? -ERANGE : -EINVAL;
		memcpy(item, p, len);
		item[len] = '\0';
		err = cli_parse_int(item, 1, 4194304, &v);
		if (err)
			return err;
		if (n == max)
			return -E2BIG;
		out[n++] = (pid_t)v;
		p += len;
		if (!*p)
			break;
		p++;
	}
	return n;
}

int cli_check_pid(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long flags = 0;
	char state = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_file_str(path, buf, sizeof(buf)) != 0)
		return -ESRCH;
	/* "pid (comm) S ppid pgrp session tty tpgid flags ..."; comm may hold ") " */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %c %*d %*d %*d %*d %*d %lu", &state, &flags) != 2)
		return -ESRCH;
	if (state == 'Z' || state == 'X')
		return -ECHILD;
	if (flags & 0x00200000)       /* PF_KTHREAD */
		return -EPERM;
	return 0;
}

int cli_check_output_dir(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}
