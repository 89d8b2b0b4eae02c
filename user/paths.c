/* Locating data files relative to the running executable. */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "paths.h"

static int exe_dir(char *out, size_t len)
{
	char buf[4096];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	snprintf(out, len, "%s", dirname(buf));
	return 0;
}

static int first_existing(const char *const *rel, int n, char *out, size_t len)
{
	char dir[4096];

	if (exe_dir(dir, sizeof(dir)))
		return -ENOENT;
	for (int i = 0; i < n; i++) {
		snprintf(out, len, "%s/%s", dir, rel[i]);
		if (access(out, R_OK) == 0)
			return 0;
	}
	snprintf(out, len, "%s/%s", dir, rel[0]);
	return -ENOENT;
}

int path_harness(char *out, size_t len)
{
	static const char *const rel[] = {
		"../workloads/python/harness.py",                      /* build/conctrace */
		"../share/conctrace/workloads/python/harness.py",      /* installed */
	};

	return first_existing(rel, 2, out, len);
}

int path_cbase(char *out, size_t len)
{
	static const char *const rel[] = {
		"workloads/cbase",                                     /* build/workloads/cbase */
		"../libexec/conctrace/cbase",                          /* installed */
	};

	return first_existing(rel, 2, out, len);
}
