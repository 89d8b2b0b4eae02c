/* What record and run share around one traced case: symboliser snapshots, the timeline file
 * and the stacks file of the case. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "capture.h"
#include "log.h"
#include "stacks.h"
#include "util.h"

void capture_snapshot(void *ctx, pid_t tgid)
{
	symbolizer__snapshot(ctx, tgid);
}

void capture_write_stacks(struct tracer *t, struct symbolizer *sym, const struct ct_raw *raw,
			 const char *dir, const struct ct_user *u)
{
	json_t *st;

	if (!sym)
		return;
	st = stacks_build(t, sym, raw);
	stacks_write(st, dir, u);
	json_decref(st);
}

/* The timeline of the case streams into DIR/timeline.bin while it runs. */
FILE *capture_open_timeline(struct tracer *t, const char *dir, const struct ct_user *u)
{
	char *path = xasprintf("%s/timeline.bin", dir);
	FILE *f = fopen(path, "we");

	if (f) {
		chown_to(path, u);
		tracer__timeline_to(t, f);
	}
	free(path);
	return f;
}

int capture_close_timeline(struct tracer *t, FILE *f)
{
	int err = 0;

	if (!f)
		return 0;
	tracer__timeline_to(t, NULL);
	if (fclose(f) != 0) {
		pr_warn("cannot write the timeline: %s\n", strerror(errno));
		err = -EIO;
	}
	return err;
}
