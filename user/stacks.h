/* Stacks of a case: the kernel's (stack id, count) pairs symbolised into a document with a
 * frame table, one entry per (process, thread, reason, stack). */
#ifndef CT_STACKS_H
#define CT_STACKS_H
#include <jansson.h>
#include "symbolize.h"
#include "tracer.h"

/* Build {"frames": [...], "samples": [{pid, tid, comm, reason, stack: [root..leaf ids],
 * count, ns, cut}], "sample_hz": N}. Processes without their own snapshot use their
 * parent's when they did not exec (a forked worker has its parent's mappings). */
json_t *stacks_build(struct tracer *t, struct symbolizer *sym, const struct ct_raw *raw);
struct outdir;
/* Write it as DIR/stacks.json. */
int stacks_write(json_t *stacks, struct outdir *dir);
/* DIR/stacks.json, checked (rundoc.h): 0 with *out, which is NULL when there is no such
 * file; -EBADMSG when it is not a plausible stacks.json (a partial file among others); another
 * negative errno when it cannot be read. err says which, naming the file. */
int stacks_load(const char *dir, json_t **out, char *err, size_t errlen);

/* On-CPU samples of process tgid by its running asyncio task (the "task NAME" root frame of
 * its Python stacks, CPython 3.14+): [{"task": NAME, "samples": N}], most first; NULL when
 * no sample had one. */
json_t *stacks_asyncio_tasks(const struct ct_raw *raw, uint32_t tgid, int minor);

/* A frame name to drop at the leaf of a kernel stack (tracing machinery), exposed for tests. */
int stacks_kernel_skip(const char *const *names, int n, int oncpu);

#endif
