/* Capturing the files of one case (stacks.json, timeline.bin) beside run.json. */
#ifndef CT_CAPTURE_H
#define CT_CAPTURE_H
#include <stdio.h>
#include <sys/types.h>
#include "symbolize.h"
#include "tracer.h"
#include "util.h"

/* tracer__on_process callback: snapshot the process's mappings (ctx: the symbolizer). */
void capture_snapshot(void *ctx, pid_t tgid);
struct outdir;
/* Stream the case's timeline into DIR/timeline.bin (NULL if it cannot be created). */
FILE *capture_open_timeline(struct tracer *t, struct outdir *dir);
/* Close it: 0, or -errno of a failed write, after which the cut file is removed (dir). */
int capture_close_timeline(struct tracer *t, FILE *f, struct outdir *dir);
/* Symbolise the case's stacks into DIR/stacks.json (nothing when sym is NULL). */
int capture_write_stacks(struct tracer *t, struct symbolizer *sym, const struct ct_raw *raw,
			  struct outdir *dir);

#endif
