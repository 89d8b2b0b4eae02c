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

int capture_write_stacks(struct tracer *t, struct symbolizer *sym, const struct ct_raw *raw,
			 struct outdir *dir)
{
	json_t *st;
	int err;

	if (!sym)
		return 0;
	st = stacks_build(t, sym, raw);
	err = stacks_write(st, dir);
	json_decref(st);
	return err;
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

int capture_close_timeline(struct tracer *t, FILE *f, struct outdir *dir)
{
	int err;

	if (!f)
		return 0;
	tracer__timeline_to(t, NULL);
	err = fclose_output(f, 0);
	if (err) {
		/* a cut timeline would draw as if the case had stopped switching */
		outdir__unlink(dir, "timeline.bin");
		pr_warn("cannot write %s/timeline.bin: %s (removed)\n", outdir__path(dir),
			strerror(-err));
	}
	return err;
}
