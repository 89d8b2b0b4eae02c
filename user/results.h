/* The results model: a run holds cases; each case holds metrics, threads, processes, locks.
 * It is a JSON document (schema conctrace-run/1, docs/run-json.md) so that a saved run and a
 * fresh one are the same object; renderers read it and nothing else. */
#ifndef CT_RESULTS_H
#define CT_RESULTS_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include "tracer.h"
#include "util.h"

#define CT_SCHEMA "conctrace-run/1"

struct case_meta {
	const char *workload;        /* NULL for record */
	const char *model;
	const char *kind;            /* reference kind, or NULL */
	int repeat;
	char *const *argv;
	bool is_baseline;
	/* outcome */
	int exit_code;               /* -1 when killed by a signal or not started */
	int signal;
	bool timed_out;
	bool interrupted;            /* Ctrl-C */
	const char *error;           /* could not start, ... */
	bool have_rusage;
	struct rusage ru;            /* the kernel's own figures for the reaped tree */
	struct { uint64_t on_cpu_ns, nvcsw, nivcsw; } pre_exec;  /* the root before tracking */
	json_t *workload_report;     /* the workload's fd-3 JSON line, or NULL (reference stolen) */
	bool attached;               /* record -p */
};

json_t *results_new_run(const char *kind, const char *name);
json_t *results_build_case(const struct ct_raw *raw, const struct case_meta *meta);
void results_add_case(json_t *run, json_t *c);
struct outdir;
/* DIR/run.json, replaced atomically (written to .run.json.tmp, then renamed). */
int results_write(json_t *run, struct outdir *dir);
/* DIR/run.json, read as an untrusted file and checked (rundoc.h); NULL with the reason,
 * naming the file, in err. */
json_t *results_load(const char *dir, char *err, size_t errlen);

/* Pure helpers, unit-tested. */
uint64_t hist_percentile(const uint32_t *hist, int nslots, double q, uint64_t max);
double par_effective(const int64_t *par_ns, int n);

/* Typed accessors for renderers: missing or wrong-typed keys read as 0 / NULL. */
uint64_t jget_u64(const json_t *o, const char *key);
double jget_real(const json_t *o, const char *key);
const char *jget_str(const json_t *o, const char *key);
uint64_t jpath_u64(const json_t *o, const char *path);   /* "totals.runq.p99_ns" */
double jpath_real(const json_t *o, const char *path);

/* The interpreter of a process: its own (exec) or, for a fork without exec, its parent's. */
const struct pyinfo *py_of_proc(const struct ct_raw *raw, uint32_t tgid);

#endif
