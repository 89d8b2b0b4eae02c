/* Locating data files relative to the running executable: the build tree (build/conctrace
 * beside workloads/) or an installed prefix (PREFIX/bin beside PREFIX/share/conctrace). */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
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

static int first_existing(const char *const *rel, int n, const char *suffix, char *out,
			  size_t len)
{
	char dir[4096];

	if (exe_dir(dir, sizeof(dir)))
		return -ENOENT;
	for (int i = 0; i < n; i++) {
		char real[4096];

		snprintf(out, len, "%s/%s%s", dir, rel[i], suffix);
		if (access(out, R_OK) == 0) {
			/* PREFIX/share/..., not PREFIX/bin/../share/...: names in plans and reports */
			if (realpath(out, real))
				snprintf(out, len, "%s", real);
			return 0;
		}
	}
	snprintf(out, len, "%s/%s%s", dir, rel[0], suffix);
	return -ENOENT;
}

/* The workloads directory: the source tree's first, so that a build never runs the
 * specs or harness of an older installed copy. */
static const char *const workload_dirs[] = {
	"../workloads",                                        /* build/conctrace */
	"../share/conctrace/workloads",                        /* PREFIX/bin/conctrace */
};

int path_harness(char *out, size_t len)
{
	return first_existing(workload_dirs, 2, "/python/harness.py", out, len);
}

int path_cbase(char *out, size_t len)
{
	static const char *const rel[] = {
		"workloads/cbase",                                     /* build/workloads/cbase */
		"../libexec/conctrace/cbase",                          /* installed */
	};

	return first_existing(rel, 2, "", out, len);
}

int path_spec(const char *arg, char *out, size_t len)
{
	char name[512];
	size_t n = strlen(arg);

	snprintf(out, len, "%s", arg);
	if (access(arg, F_OK) == 0 || strchr(arg, '/') || !n || n >= sizeof(name) - 8)
		return 0;
	snprintf(name, sizeof(name), "/%s%s", arg,
		 n > 5 && strcmp(arg + n - 5, ".yaml") == 0 ? "" : ".yaml");
	if (first_existing(workload_dirs, 2, name, out, len)) {
		snprintf(out, len, "%s", arg);
		return -ENOENT;
	}
	return 0;
}

int path_workloads(char *out, size_t len)
{
	return first_existing(workload_dirs, 2, "", out, len);
}
