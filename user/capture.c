/* What record and run share around one traced case: symboliser snapshots, the timeline file
 * and the stacks file of the case. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "capture.h"
#include "log.h"
#include "outdir.h"
#include "stacks.h"
#include "util.h"

void capture_snapshot(void *ctx, pid_t tgid)
{
	symbolizer__snapshot(ctx, tgid);
}

void capture_write_stacks(struct tracer *t, struct symbolizer *sym, const struct ct_raw *raw,
			 struct outdir *dir)
{
	json_t *st;

	if (!sym)
		return;
	st = stacks_build(t, sym, raw);
	stacks_write(st, dir);
	json_decref(st);
}

/* The timeline of the case streams into DIR/timeline.bin while it runs. */
FILE *capture_open_timeline(struct tracer *t, struct outdir *dir)
{
	FILE *f = outdir__fopen(dir, "timeline.bin", false);

	if (f)
		tracer__timeline_to(t, f);
	else
		pr_warn("cannot write %s/timeline.bin: %s\n", outdir__path(dir), strerror(errno));
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
