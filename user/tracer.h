/* The loader's side of bpf/sched.bpf.c: load, track a tree, read the aggregates. */
#ifndef CT_TRACER_H
#define CT_TRACER_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "conctrace/sched.h"
#include "kfeatures.h"
#include "pyinfo.h"

struct tracer_opts {
	bool stacks;                /* on-CPU sampling and off-CPU stacks */
	bool no_python_frames;      /* stacks without Python frames (GIL figures stay) */
	int sample_hz;              /* on-CPU samples per second per CPU (0: 99) */
	bool timeline;              /* a record per switch, for per-core timelines and Perfetto */
	int timeline_mb;            /* ring buffer size (0: 16 MiB) */
	bool bench_floor;           /* benchmark only: the switch program returns at once */
	int max_threads;            /* 0: default */
	int max_procs;
	int max_locks;
};

/* What one case left in the maps, copied out. */
struct ct_raw {
	struct ct_thread *threads;
	int nthreads;
	struct ct_proc *procs;
	int nprocs;
	struct ct_lock_key *lock_keys;
	struct ct_lock_val *lock_vals;
	int nlocks;
	struct ct_edge_key *edge_keys;
	struct ct_edge_val *edge_vals;
	int nedges;
	struct ct_cpu cpus[CT_MAX_CPUS];
	int ncpus;
	struct ct_stack_key *stack_keys;
	struct ct_stack_val *stack_vals;
	int nstacks;
	int64_t par_ns[CT_MAX_PAR + 1];
	struct ct_counters counters;
	uint64_t start_ns, end_ns;  /* CLOCK_MONOTONIC */
	bool gil_events;            /* GIL acquisitions were counted (futex tracepoints) */
	struct kfeatures kf;        /* the kernel it ran on, and what it lacks */
	bool py_frames_off;         /* stacks were on, Python frames not walked */
	struct pyinfo *py;          /* CPython processes recognised: tgid -> interpreter */
	int npy;
	uint64_t *py_stack_keys;    /* Python stacks by key (ct_stack_key.pystack) */
	struct ct_py_stack *py_stacks;
	int npy_stacks;
	struct ct_py_code_key *py_code_keys;
	struct ct_py_code *py_codes;
	int npy_codes;
};

struct tracer;

/* Called for every new or exec'd process of the tree while it lives (and again a little
 * after an exec, once its libraries are mapped): the moment to read /proc/PID/maps. */
typedef void (*tracer_proc_fn)(void *ctx, pid_t tgid);
void tracer__on_process(struct tracer *t, tracer_proc_fn fn, void *ctx);

int tracer__open(struct tracer **out, const struct tracer_opts *o);
void tracer__close(struct tracer *t);
/* Start a case: clear the maps, start the parallelism clock at `start`. */
int tracer__begin(struct tracer *t, uint64_t start);
/* Restart the parallelism clock (when the command is released). */
void tracer__begin_clock(struct tracer *t, uint64_t start);
/* Timeline records of the current case go to this file (NULL: discard). */
void tracer__timeline_to(struct tracer *t, FILE *f);
/* Track one task (a thread; tid == tgid for a process). ppid: tracked parent tgid or 0. */
int tracer__track(struct tracer *t, pid_t tid, pid_t tgid, pid_t ppid, bool attached);
/* Handle pending events (exec: recognise CPython). Waits up to timeout_ms. */
int tracer__poll(struct tracer *t, int timeout_ms);
int tracer__event_fd(struct tracer *t);
/* Tracked processes that have not exited, for killing a tree on timeout. */
int tracer__live_procs(struct tracer *t, pid_t *out, int max);
/* Copy the case out of the maps (fills end_ns with `end`) and clear them. */
int tracer__collect(struct tracer *t, uint64_t end, struct ct_raw *raw);
void ct_raw_free(struct ct_raw *raw);
/* Frames of a stack id from the last collect (valid until the next tracer__begin):
 * returns the number of frames (leaf first), 0 when unknown. */
int tracer__stack(struct tracer *t, int id, uint64_t *ips, int max);
bool tracer__stacks_enabled(const struct tracer *t);
/* GIL acquisitions and drop requests are counted (futex syscall tracepoints attached). */
bool tracer__gil_events(const struct tracer *t);
int tracer__sample_hz(const struct tracer *t);
/* Checks before loading, with the exit status and message for each failure. */
int tracer_preflight(char *msg, size_t len);

#endif
