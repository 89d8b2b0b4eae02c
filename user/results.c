/* Turning the kernel's aggregates into the results document, and reading it back. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include "infile.h"
#include "log.h"
#include "reasons.h"
#include "outdir.h"
#include "results.h"
#include "rundoc.h"
#include "stacks.h"

uint64_t hist_percentile(const uint32_t *hist, int nslots, double q, uint64_t max)
{
	uint64_t total = 0, cum = 0;

	for (int i = 0; i < nslots; i++)
		total += hist[i];
	if (!total)
		return 0;
	/* the rank of the q-quantile; the epsilon keeps 0.99 * 100 at 99 */
	double target = ceil(q * total - 1e-9);

	if (target < 1)
		target = 1;
	for (int i = 0; i < nslots; i++) {
		if (!hist[i])
			continue;
		if (cum + hist[i] >= target) {
			/* linear within [2^i, 2^(i+1)), never above the observed maximum */
			double lo = i == 0 ? 0 : (double)(1ULL << i), hi = (double)(1ULL << (i + 1));
			double frac = (target - cum - 0.5) / hist[i];
			uint64_t v = (uint64_t)(lo + frac * (hi - lo));

			return max && v > max ? max : v;
		}
		cum += hist[i];
	}
	return max;
}

double par_effective(const int64_t *par_ns, int n)
{
	double num = 0, den = 0;

	for (int k = 0; k < n; k++) {
		num += (double)k * par_ns[k];
		den += par_ns[k];
	}
	return den > 0 ? num / den : 0;
}

static json_t *reasons_obj(const __u64 *v)
{
	json_t *o = json_object();

	for (int r = 0; r < CT_R_MAX; r++)
		json_object_set_new(o, reason_name(r), json_integer(v[r]));
	return o;
}

static json_t *runq_obj(const uint32_t *hist, uint64_t count, uint64_t total, uint64_t max)
{
	json_t *o = json_object(), *h = json_array();
	int last = -1;

	for (int i = 0; i < CT_HIST_SLOTS; i++)
		if (hist[i])
			last = i;
	for (int i = 0; i <= last; i++)
		json_array_append_new(h, json_integer(hist[i]));
	json_object_set_new(o, "count", json_integer(count));
	json_object_set_new(o, "total_ns", json_integer(total));
	json_object_set_new(o, "max_ns", json_integer(max));
	json_object_set_new(o, "p50_ns", json_integer(hist_percentile(hist, CT_HIST_SLOTS, 0.50, max)));
	json_object_set_new(o, "p99_ns", json_integer(hist_percentile(hist, CT_HIST_SLOTS, 0.99, max)));
	json_object_set_new(o, "hist", h);
	return o;
}

static int64_t rel(uint64_t t, uint64_t start)
{
	return t ? (int64_t)(t - start) : -1;
}

static void status_fields(json_t *o, int32_t code, bool exited)
{
	if (!exited) {
		json_object_set_new(o, "exit_code", json_null());
		json_object_set_new(o, "signal", json_null());
	} else if (code & 0x7f) {
		json_object_set_new(o, "exit_code", json_null());
		json_object_set_new(o, "signal", json_integer(code & 0x7f));
	} else {
		json_object_set_new(o, "exit_code", json_integer((code >> 8) & 0xff));
		json_object_set_new(o, "signal", json_null());
	}
}

static const struct pyinfo *py_of(const struct ct_raw *raw, uint32_t tgid)
{
	const struct pyinfo *found = NULL;

	/* the last exec of a pid wins */
	for (int i = 0; i < raw->npy; i++)
		if ((uint32_t)raw->py[i].tgid == tgid)
			found = &raw->py[i];
	return found;
}

/* Which pyinfo applies to a process: its own, or (a fork without exec) its parent's, when it
 * was forked after the parent became CPython (a shell's subshells before it exec'd python
 * are not Python). */
const struct pyinfo *py_of_proc(const struct ct_raw *raw, uint32_t tgid)
{
	uint64_t child_start = 0;

	for (int depth = 0; depth < 64 && tgid; depth++) {
		const struct pyinfo *pi = py_of(raw, tgid);
		uint32_t ppid = 0;
		uint64_t start = 0;
		bool execed = false;

		if (pi)
			return depth == 0 || child_start >= pi->since_ns ? pi : NULL;
		for (int i = 0; i < raw->nprocs; i++)
			if (raw->procs[i].tgid == tgid) {
				ppid = raw->procs[i].ppid;
				start = raw->procs[i].start_ns;
				execed = raw->procs[i].flags & CT_PF_EXECED;
			}
		if (execed)
			return NULL;
		child_start = start;
		tgid = ppid;
	}
	return NULL;
}

static int cmp_threads(const void *a, const void *b)
{
	const struct ct_thread *x = a, *y = b;

	if (x->on_cpu_ns != y->on_cpu_ns)
		return x->on_cpu_ns < y->on_cpu_ns ? 1 : -1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

/* processes in the order they started (the root first), then by pid */
static int cmp_procs(const void *a, const void *b)
{
	const struct ct_proc *x = *(const struct ct_proc *const *)a;
	const struct ct_proc *y = *(const struct ct_proc *const *)b;

	if (x->start_ns != y->start_ns)
		return x->start_ns < y->start_ns ? -1 : 1;
	return x->tgid < y->tgid ? -1 : x->tgid > y->tgid;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Time a thread held the GIL: its on-CPU time times the share of its on-CPU samples that
 * found it the GIL's holder, plus the time it spent off the CPU holding it (preempted: the
 * GIL is read at every switch-out). -1 without samples. */
static int64_t gil_held_ns(const struct ct_thread *t)
{
	uint64_t n = t->gil_held_samples + t->gil_free_samples;

	if (!n)
		return t->gil_held_off_ns ? (int64_t)t->gil_held_off_ns : -1;
	return (int64_t)((double)t->on_cpu_ns * t->gil_held_samples / n) + t->gil_held_off_ns;
}

static json_t *gil_obj(const struct ct_thread *t, bool events)
{
	json_t *g = json_object();
	int64_t held = gil_held_ns(t);

	json_object_set_new(g, "wait_ns", json_integer(t->off_ns[CT_R_GIL]));
	json_object_set_new(g, "waits", json_integer(t->off_count[CT_R_GIL]));
	json_object_set_new(g, "handoff_ns", json_integer(t->off_ns[CT_R_GIL_HANDOFF]));
	json_object_set_new(g, "held_ns", held < 0 ? json_null() : json_integer(held));
	json_object_set_new(g, "held_off_cpu_ns", json_integer(t->gil_held_off_ns));
	json_object_set_new(g, "on_cpu_without_gil_ns", held < 0 ? json_null() :
			    json_integer(t->on_cpu_ns + t->gil_held_off_ns > (uint64_t)held ?
					 t->on_cpu_ns + t->gil_held_off_ns - held : 0));
	json_object_set_new(g, "held_samples", json_integer(t->gil_held_samples));
	json_object_set_new(g, "free_samples", json_integer(t->gil_free_samples));
	if (events) {
		json_object_set_new(g, "acquisitions_waited", json_integer(t->gil_acquisitions));
		json_object_set_new(g, "acquisition_wait_ns", json_integer(t->gil_acq_wait_ns));
		json_object_set_new(g, "acquisition_wait_p50_ns", json_integer(
			hist_percentile(t->gil_acq_hist, CT_HIST_SLOTS, 0.50, t->gil_acq_max_ns)));
		json_object_set_new(g, "acquisition_wait_p99_ns", json_integer(
			hist_percentile(t->gil_acq_hist, CT_HIST_SLOTS, 0.99, t->gil_acq_max_ns)));
		json_object_set_new(g, "acquisition_wait_max_ns", json_integer(t->gil_acq_max_ns));
		json_object_set_new(g, "drop_requests", json_integer(t->gil_drop_requests));
		json_object_set_new(g, "forced_drops", json_integer(t->gil_forced_drops));
	} else {
		json_object_set_new(g, "acquisitions_waited", json_null());
	}
	return g;
}

static json_t *uniq_array(uint32_t *v, int n)
{
	json_t *a = json_array();

	qsort(v, n, sizeof(*v), cmp_u32);
	for (int i = 0; i < n; i++)
		if (i == 0 || v[i] != v[i - 1])
			json_array_append_new(a, json_integer(v[i]));
	return a;
}

static json_t *build_locks(const struct ct_raw *raw)
{
	json_t *arr = json_array();
	int *order = xcalloc(raw->nlocks + 1, sizeof(int));

	for (int i = 0; i < raw->nlocks; i++)
		order[i] = i;
	/* by total wait, longest first */
	for (int i = 1; i < raw->nlocks; i++)
		for (int j = i; j > 0 && raw->lock_vals[order[j]].total_ns >
					  raw->lock_vals[order[j - 1]].total_ns; j--) {
			int t = order[j];

			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	for (int oi = 0; oi < raw->nlocks; oi++) {
		const struct ct_lock_key *k = &raw->lock_keys[order[oi]];
		const struct ct_lock_val *v = &raw->lock_vals[order[oi]];
		const struct pyinfo *pi = py_of_proc(raw, k->tgid);
		json_t *o = json_object(), *edges = json_array();
		uint32_t *waiters = xcalloc(raw->nedges + 1, sizeof(uint32_t));
		uint32_t *wakers = xcalloc(raw->nedges + 1, sizeof(uint32_t));
		int nw = 0, nk = 0;
		char addr[32];

		snprintf(addr, sizeof(addr), "0x%llx", (unsigned long long)k->uaddr);
		json_object_set_new(o, "pid", json_integer(k->tgid));
		json_object_set_new(o, "uaddr", json_string(addr));
		if (pi && k->uaddr >= pi->gil_lo && k->uaddr < pi->gil_hi)
			json_object_set_new(o, "label", json_string("GIL"));
		else if (pi && k->uaddr >= pi->handoff_lo && k->uaddr < pi->handoff_hi)
			json_object_set_new(o, "label", json_string("GIL hand-off"));
		else
			json_object_set_new(o, "label", json_null());
		json_object_set_new(o, "waits", json_integer(v->waits));
		json_object_set_new(o, "total_ns", json_integer(v->total_ns));
		json_object_set_new(o, "max_ns", json_integer(v->max_ns));
		for (int e = 0; e < raw->nedges; e++) {
			const struct ct_edge_key *ek = &raw->edge_keys[e];
			json_t *eo;

			if (ek->tgid != k->tgid || ek->uaddr != k->uaddr)
				continue;
			waiters[nw++] = ek->waiter;
			if (ek->waker)
				wakers[nk++] = ek->waker;
			eo = json_object();
			json_object_set_new(eo, "waiter", json_integer(ek->waiter));
			json_object_set_new(eo, "waker", json_integer(ek->waker));
			json_object_set_new(eo, "count", json_integer(raw->edge_vals[e].count));
			json_object_set_new(eo, "total_ns", json_integer(raw->edge_vals[e].total_ns));
			json_array_append_new(edges, eo);
		}
		json_object_set_new(o, "waiters", uniq_array(waiters, nw));
		json_object_set_new(o, "wakers", uniq_array(wakers, nk));
		json_object_set_new(o, "edges", edges);
		free(waiters);
		free(wakers);
		json_array_append_new(arr, o);
	}
	free(order);
	return arr;
}

/* The kernel the case ran on, and the figures it could not give (and why). */
static json_t *kernel_obj(const struct ct_raw *raw, uint64_t no_mm)
{
	json_t *k = json_object(), *miss = json_array();

	json_object_set_new(k, "release", json_string(raw->kf.release));
	if (no_mm)
		json_array_append_new(miss, json_string(
			"processes' anon_kb: on this kernel sched_process_exit runs after the "
			"process's memory is released; maxrss_kb is then the kernel's rusage peak, "
			"which for a process that exec'd includes its memory before the exec"));
	if (raw->py_frames_off)
		json_array_append_new(miss, json_string(
			"Python frames: no bpf_loop helper in this kernel (5.17+); native stacks only"));
	if (!raw->kf.switch_prev_state)
		json_array_append_new(miss, json_string(
			"none, but a switch's blocking state is read from the task (sched_switch has "
			"no prev_state before 5.18)"));
	json_object_set_new(k, "not_measured", miss);
	return k;
}

json_t *results_build_case(const struct ct_raw *raw, const struct case_meta *m)
{
	json_t *c = json_object(), *st = json_object(), *totals = json_object();
	json_t *threads = json_array(), *procs = json_array(), *cpus = json_array(), *cmd = json_array();
	uint64_t start = raw->start_ns, wall = raw->end_ns > start ? raw->end_ns - start : 0;
	uint64_t on_cpu = 0, nv = 0, niv = 0, mig = 0;
	__u64 off[CT_R_MAX] = {}, offc[CT_R_MAX] = {};
	uint64_t rq_count = 0, rq_total = 0, rq_max = 0, rss_sum = 0, anon_sum = 0, no_mm = 0;
	uint32_t rq_hist[CT_HIST_SLOTS] = {};
	struct ct_thread *ts = xcalloc(raw->nthreads + 1, sizeof(*ts));
	int cpus_used = 0;

	json_object_set_new(c, "workload", m->workload ? json_string(m->workload) : json_null());
	json_object_set_new(c, "model", m->model ? json_string(m->model) : json_null());
	json_object_set_new(c, "kind", m->kind ? json_string(m->kind) : json_null());
	json_object_set_new(c, "repeat", json_integer(m->repeat));
	json_object_set_new(c, "baseline", json_boolean(m->is_baseline));
	for (int i = 0; m->argv && m->argv[i]; i++)
		json_array_append_new(cmd, json_string(m->argv[i]));
	json_object_set_new(c, "command", cmd);

	json_object_set_new(st, "exit_code", m->exit_code >= 0 && !m->signal ?
			    json_integer(m->exit_code) : json_null());
	json_object_set_new(st, "signal", m->signal ? json_integer(m->signal) : json_null());
	json_object_set_new(st, "timed_out", json_boolean(m->timed_out));
	json_object_set_new(st, "interrupted", json_boolean(m->interrupted));
	json_object_set_new(st, "attached", json_boolean(m->attached));
	json_object_set_new(st, "error", m->error ? json_string(m->error) : json_null());
	json_object_set_new(c, "status", st);
	json_object_set_new(c, "wall_ns", json_integer(wall));
	/* CLOCK_MONOTONIC of the case start: timeline.bin timestamps are on that clock */
	json_object_set_new(c, "start_mono_ns", json_integer(start));
	json_object_set_new(c, "dir", json_string("."));

	json_t *pre = json_object();
	json_object_set_new(pre, "on_cpu_ns", json_integer(m->pre_exec.on_cpu_ns));
	json_object_set_new(pre, "nvcsw", json_integer(m->pre_exec.nvcsw));
	json_object_set_new(pre, "nivcsw", json_integer(m->pre_exec.nivcsw));
	json_object_set_new(c, "pre_exec", pre);
	if (m->have_rusage) {
		json_t *ru = json_object();
		const struct rusage *r = &m->ru;

		json_object_set_new(ru, "utime_ns", json_integer(r->ru_utime.tv_sec * 1000000000LL +
								r->ru_utime.tv_usec * 1000LL));
		json_object_set_new(ru, "stime_ns", json_integer(r->ru_stime.tv_sec * 1000000000LL +
								r->ru_stime.tv_usec * 1000LL));
		json_object_set_new(ru, "nvcsw", json_integer(r->ru_nvcsw));
		json_object_set_new(ru, "nivcsw", json_integer(r->ru_nivcsw));
		json_object_set_new(ru, "maxrss_kb", json_integer(r->ru_maxrss));
		json_object_set_new(c, "rusage", ru);
	} else {
		json_object_set_new(c, "rusage", json_null());
	}

	memcpy(ts, raw->threads, raw->nthreads * sizeof(*ts));
	qsort(ts, raw->nthreads, sizeof(*ts), cmp_threads);
	for (int i = 0; i < raw->nthreads; i++) {
		const struct ct_thread *t = &ts[i];
		json_t *o = json_object(), *cl = json_array();

		for (int cpu = 0; cpu < CT_MAX_CPUS; cpu++)
			if (t->cpus[cpu / 64] & (1ULL << (cpu % 64)))
				json_array_append_new(cl, json_integer(cpu));
		json_object_set_new(o, "tid", json_integer(t->tid));
		json_object_set_new(o, "pid", json_integer(t->tgid));
		json_object_set_new(o, "comm", json_string(t->comm));
		json_object_set_new(o, "start_ns", json_integer(rel(t->start_ns, start)));
		json_object_set_new(o, "end_ns", json_integer(rel(t->end_ns, start)));
		status_fields(o, t->exit_code, t->flags & CT_TF_EXITED);
		json_object_set_new(o, "on_cpu_ns", json_integer(t->on_cpu_ns));
		/* at exit the thread is on a CPU, and its figure adds the time since its
		 * switch-in by bpf_ktime_get_ns; the final figure is the kernel's runtime
		 * (sched_clock) alone. The two clocks drift apart a little (under qemu TCG the
		 * estimate passed the final figure by 0.7 ms in 2.2 s): never above it */
		json_object_set_new(o, "on_cpu_at_exit_ns", t->flags & CT_TF_EXITED ?
				    json_integer(t->exit_on_cpu_ns < t->on_cpu_ns ? t->exit_on_cpu_ns :
						 t->on_cpu_ns) : json_null());
		json_object_set_new(o, "utime_ns", json_integer(t->utime_ns));
		json_object_set_new(o, "stime_ns", json_integer(t->stime_ns));
		json_object_set_new(o, "nvcsw", json_integer(t->nvcsw));
		json_object_set_new(o, "nivcsw", json_integer(t->nivcsw));
		json_object_set_new(o, "migrations", json_integer(t->migrations));
		json_object_set_new(o, "cpus", cl);
		json_object_set_new(o, "off_ns", reasons_obj(t->off_ns));
		json_object_set_new(o, "off_count", reasons_obj(t->off_count));
		json_object_set_new(o, "runq", runq_obj(t->runq_hist, t->runq_count, t->runq_ns,
							 t->runq_max_ns));
		const struct pyinfo *tpi = py_of_proc(raw, t->tgid);
		json_object_set_new(o, "gil", tpi && tpi->gil ? gil_obj(t, raw->gil_events) : json_null());
		json_array_append_new(threads, o);

		on_cpu += t->on_cpu_ns;
		nv += t->nvcsw;
		niv += t->nivcsw;
		mig += t->migrations;
		for (int r = 0; r < CT_R_MAX; r++) {
			off[r] += t->off_ns[r];
			offc[r] += t->off_count[r];
		}
		rq_count += t->runq_count;
		rq_total += t->runq_ns;
		if (t->runq_max_ns > rq_max)
			rq_max = t->runq_max_ns;
		for (int s = 0; s < CT_HIST_SLOTS; s++)
			rq_hist[s] += t->runq_hist[s];
	}
	free(ts);

	const struct ct_proc **ps = xcalloc(raw->nprocs + 1, sizeof(*ps));

	for (int i = 0; i < raw->nprocs; i++)
		ps[i] = &raw->procs[i];
	qsort(ps, raw->nprocs, sizeof(*ps), cmp_procs);
	for (int i = 0; i < raw->nprocs; i++) {
		const struct ct_proc *p = ps[i];
		const struct pyinfo *pi = py_of_proc(raw, p->tgid);
		json_t *o = json_object();

		json_object_set_new(o, "pid", json_integer(p->tgid));
		json_object_set_new(o, "ppid", json_integer(p->ppid));
		json_object_set_new(o, "comm", json_string(p->comm));
		json_object_set_new(o, "start_ns", json_integer(rel(p->start_ns, start)));
		json_object_set_new(o, "end_ns", json_integer(rel(p->end_ns, start)));
		status_fields(o, p->exit_code, p->flags & CT_PF_EXITED);
		json_object_set_new(o, "maxrss_kb", json_integer(p->maxrss_kb));
		/* where the exit tracepoint comes after the mm is gone (6.12 and older): the peak is the
		 * kernel's rusage one, the anonymous RSS is not known */
		json_object_set_new(o, "anon_kb", p->flags & CT_PF_NO_MM ? json_null() :
				    json_integer(p->anon_kb));
		if (p->flags & CT_PF_NO_MM) {
			json_object_set_new(o, "maxrss_from", json_string("rusage"));
			no_mm++;
		}
		json_object_set_new(o, "threads", json_integer(p->nthreads));
		json_object_set_new(o, "execs", json_integer(p->execs));
		if (pi) {
			json_t *py = json_object();
			char a[32];

			json_object_set_new(py, "version", json_string(pi->version));
			json_object_set_new(py, "object", json_string(pi->object));
			snprintf(a, sizeof(a), "0x%llx", (unsigned long long)pi->gil);
			json_object_set_new(py, "gil", json_string(pi->gil ? a : ""));
			json_object_set_new(py, "frames", json_boolean(pi->frames));
			if (pi->gil) {
				/* the share of the process's life as CPython (from the exec of the
				 * interpreter: a launcher script may run before) with the GIL held */
				int64_t held = 0, any = 0;
				uint64_t pend = p->end_ns ? p->end_ns : raw->end_ns;
				uint64_t pstart = p->start_ns > pi->since_ns ? p->start_ns : pi->since_ns;

				for (int j = 0; j < raw->nthreads; j++) {
					int64_t h;

					if (raw->threads[j].tgid != p->tgid)
						continue;
					h = gil_held_ns(&raw->threads[j]);
					if (h >= 0) {
						held += h;
						any = 1;
					}
				}
				json_object_set_new(py, "gil_held_ns", any ? json_integer(held) : json_null());
				/* held time is partly sampled: an estimate may pass the life by a
				 * sample or two */
				double share = pend > pstart ? (double)held / (pend - pstart) : 0;

				json_object_set_new(py, "gil_held_share", any && pend > pstart ?
					json_real(share > 1 ? 1 : share) : json_null());
			}
			json_object_set_new(py, "offsets", json_string(pi->from_debug ?
				"debug" : pi->frames ? "table" : "none"));
			json_object_set_new(py, "free_threaded", json_boolean(pi->free_threaded));
			if (pi->asyncio) {
				json_t *tasks = stacks_asyncio_tasks(raw, p->tgid, pi->minor);

				json_object_set_new(py, "asyncio_tasks", tasks ? tasks : json_array());
				json_t *wt = json_array();

				for (int j = 0; j < pi->nseen; j++) {
					json_t *e = json_object();

					json_object_set_new(e, "task", json_string(pi->seen[j].task));
					json_object_set_new(e, "awaits_at", json_string(pi->seen[j].at));
					json_object_set_new(e, "awaited_by", json_string(pi->seen[j].by));
					json_object_set_new(e, "snapshots",
							    json_integer(pi->seen[j].snapshots));
					json_array_append_new(wt, e);
				}
				json_object_set_new(py, "asyncio_waiting", wt);
				json_object_set_new(py, "asyncio_snapshots", json_integer(pi->snapshots));
				json_object_set_new(py, "asyncio_waiting_dropped",
						    json_integer(pi->seen_dropped));
			}
			if (pi->note[0])
				json_object_set_new(py, "note", json_string(pi->note));
			else if (!pi->frames)
				json_object_set_new(py, "note", json_string(
					"no frame layout known for this version: native frames only"));
			else if (!pi->gil)
				json_object_set_new(py, "note", json_string(
					"its GIL was not found in its interpreter state (the process ended "
					"before Python started?): no GIL figures"));
			json_object_set_new(o, "python", py);
		} else {
			json_object_set_new(o, "python", json_null());
		}
		json_array_append_new(procs, o);
		rss_sum += p->maxrss_kb;
		anon_sum += p->anon_kb;
	}
	free(ps);

	for (int i = 0; i < raw->ncpus; i++) {
		json_t *o = json_object();

		json_object_set_new(o, "cpu", json_integer(i));
		json_object_set_new(o, "on_cpu_ns", json_integer(raw->cpus[i].on_cpu_ns));
		json_object_set_new(o, "switches", json_integer(raw->cpus[i].switches));
		json_array_append_new(cpus, o);
		if (raw->cpus[i].on_cpu_ns)
			cpus_used++;
	}

	json_t *par = json_object(), *prof = json_array();
	int maxk = 0;

	for (int k = 0; k <= CT_MAX_PAR; k++)
		if (raw->par_ns[k])
			maxk = k;
	for (int k = 0; k <= maxk; k++)
		json_array_append_new(prof, json_integer(raw->par_ns[k] > 0 ? raw->par_ns[k] : 0));
	json_object_set_new(par, "effective", json_real(wall ? (double)on_cpu / wall : 0));
	json_object_set_new(par, "profile_ns", prof);

	json_object_set_new(totals, "on_cpu_ns", json_integer(on_cpu));
	json_object_set_new(totals, "nvcsw", json_integer(nv));
	json_object_set_new(totals, "nivcsw", json_integer(niv));
	json_object_set_new(totals, "migrations", json_integer(mig));
	json_object_set_new(totals, "threads", json_integer(raw->nthreads));
	json_object_set_new(totals, "processes", json_integer(raw->nprocs));
	json_object_set_new(totals, "off_ns", reasons_obj(off));
	json_object_set_new(totals, "off_count", reasons_obj(offc));
	json_object_set_new(totals, "runq", runq_obj(rq_hist, rq_count, rq_total, rq_max));
	json_object_set_new(totals, "parallelism", par);
	json_object_set_new(totals, "cpus_used", json_integer(cpus_used));
	json_object_set_new(totals, "peak_rss_kb_sum", json_integer(rss_sum));
	json_object_set_new(totals, "anon_kb_sum", no_mm ? json_null() : json_integer(anon_sum));
	json_object_set_new(c, "totals", totals);
	json_object_set_new(c, "cpus", cpus);
	json_object_set_new(c, "processes", procs);
	json_object_set_new(c, "threads", threads);
	json_object_set_new(c, "locks", build_locks(raw));

	json_t *cnt = json_object();
	json_object_set_new(cnt, "threads_map_full", json_integer(raw->counters.threads_full));
	json_object_set_new(cnt, "procs_map_full", json_integer(raw->counters.procs_full));
	json_object_set_new(cnt, "locks_map_full", json_integer(raw->counters.locks_full));
	json_object_set_new(cnt, "edges_map_full", json_integer(raw->counters.edges_full));
	json_object_set_new(cnt, "events_dropped", json_integer(raw->counters.events_dropped));
	json_object_set_new(cnt, "parallelism_underflow", json_integer(raw->counters.par_underflow));
	json_object_set_new(cnt, "stacks_map_full", json_integer(raw->counters.stacks_full));
	json_object_set_new(cnt, "timeline_dropped", json_integer(raw->counters.timeline_dropped));
	json_object_set_new(cnt, "missed_switch_in", json_integer(raw->counters.missed_switch_in));
	json_object_set_new(cnt, "stack_walks_failed", json_integer(raw->counters.stack_errors));
	json_object_set_new(cnt, "python_walks", json_integer(raw->counters.py_walks));
	json_object_set_new(cnt, "python_no_thread_state", json_integer(raw->counters.py_no_tstate));
	json_object_set_new(cnt, "python_truncated", json_integer(raw->counters.py_truncated));
	json_object_set_new(cnt, "python_codes_map_full", json_integer(raw->counters.py_codes_full));
	json_object_set_new(cnt, "python_stacks_map_full", json_integer(raw->counters.py_stacks_full));
	json_object_set_new(c, "kernel", kernel_obj(raw, no_mm));
	json_object_set_new(c, "samples", json_integer(raw->counters.samples));
	json_object_set_new(c, "counters", cnt);
	json_object_set_new(c, "workload_report", m->workload_report ? m->workload_report : json_null());
	return c;
}

static json_t *machine_facts(void)
{
	json_t *o = json_object();
	struct utsname u;
	char buf[256];
	FILE *f;

	if (uname(&u) == 0) {
		json_object_set_new(o, "hostname", json_string(u.nodename));
		json_object_set_new(o, "kernel", json_string(u.release));
		json_object_set_new(o, "arch", json_string(u.machine));
	}
	json_object_set_new(o, "cpus_online", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
	json_object_set_new(o, "mem_total_kb", json_integer(
		(long long)sysconf(_SC_PHYS_PAGES) * (sysconf(_SC_PAGESIZE) / 1024)));
	f = fopen("/proc/cpuinfo", "re");
	while (f && fgets(buf, sizeof(buf), f)) {
		if (strncmp(buf, "model name", 10) == 0) {
			char *p = strchr(buf, ':');

			if (p) {
				p += 2;
				p[strcspn(p, "\n")] = '\0';
				json_object_set_new(o, "cpu_model", json_string(p));
			}
			break;
		}
	}
	if (f)
		fclose(f);
	if (read_file_str("/etc/debian_version", buf, sizeof(buf)) == 0)
		json_object_set_new(o, "debian_version", json_string(buf));
	return o;
}

json_t *results_new_run(const char *kind, const char *name)
{
	json_t *r = json_object();
	char ts[64];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_set_new(r, "schema", json_string(CT_SCHEMA));
	json_object_set_new(r, "conctrace_version", json_string(CONCTRACE_VERSION));
	json_object_set_new(r, "kind", json_string(kind));
	json_object_set_new(r, "name", json_string(name));
	json_object_set_new(r, "started", json_string(ts));
	json_object_set_new(r, "machine", machine_facts());
	json_object_set_new(r, "cases", json_array());
	return r;
}

void results_add_case(json_t *run, json_t *c)
{
	json_array_append_new(json_object_get(run, "cases"), c);
}

int results_write(json_t *run, struct outdir *dir)
{
	static const char tmp[] = ".run.json.tmp";
	FILE *f;
	int err = 0;

	outdir__unlink(dir, tmp);   /* a leftover of an earlier failed write */
	f = outdir__fopen(dir, tmp, false);
	if (!f) {
		err = -errno;
		pr_warn("cannot write %s/%s: %s\n", outdir__path(dir), tmp, strerror(errno));
		return err;
	}
	if (json_dumpf(run, f, JSON_INDENT(1) | JSON_SORT_KEYS))
		err = -EIO;
	err = fclose_output(f, err);
	if (!err)
		err = outdir__rename(dir, tmp, "run.json");
	if (err) {
		pr_warn("cannot write %s/run.json: %s\n", outdir__path(dir), strerror(-err));
		outdir__unlink(dir, tmp);
	}
	return err;
}

json_t *results_load(const char *dir, char *err, size_t errlen)
{
	char *path = xasprintf("%s/run.json", dir), *buf;
	json_t *r = NULL;
	size_t len;
	int ret = infile_read(path, INFILE_MAX_RUN_JSON, &buf, &len, err, errlen);

	if (ret == -ENOENT) {
		snprintf(err, errlen, "%s: cannot open: %s (not a run directory?)", path,
			 strerror(ENOENT));
	} else if (!ret) {
		r = results_decode(buf, len, path, err, errlen);
		free(buf);
	}
	free(path);
	return r;
}

uint64_t jget_u64(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (json_is_integer(v))
		return json_integer_value(v) < 0 ? 0 : (uint64_t)json_integer_value(v);
	if (json_is_real(v))
		return u64_sat(json_real_value(v));
	return 0;
}

double jget_real(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : 0;
}

const char *jget_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static const json_t *jpath(const json_t *o, const char *path, char *last, size_t len)
{
	char buf[256], *save = NULL, *tok, *next;

	snprintf(buf, sizeof(buf), "%s", path);
	tok = strtok_r(buf, ".", &save);
	while (tok && (next = strtok_r(NULL, ".", &save)) != NULL) {
		o = json_object_get(o, tok);
		tok = next;
	}
	snprintf(last, len, "%s", tok ? tok : "");
	return o;
}

uint64_t jpath_u64(const json_t *o, const char *path)
{
	char last[64];

	o = jpath(o, path, last, sizeof(last));
	return jget_u64(o, last);
}

double jpath_real(const json_t *o, const char *path)
{
	char last[64];

	o = jpath(o, path, last, sizeof(last));
	return jget_real(o, last);
}
