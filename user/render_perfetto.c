/* trace.json: a case's timeline.bin as Chrome trace events (JSON object format) for
 * ui.perfetto.dev: a track per CPU, a track per traced thread with its Running / Runnable /
 * Blocked slices, and wakeup flows from waker to wakee. Times are microseconds since the case
 * start. Events are written one per line as they are made: no JSON tree of the whole trace is
 * built. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "conctrace/sched.h"
#include "reasons.h"
#include "render.h"
#include "results.h"
#include "util.h"

#define CPU_PID       0x7fff0000u     /* the synthetic process holding the CPU tracks */
#define CPU_TID(cpu)  (CPU_PID + 1 + (cpu))
#define MAX_CPU       65536           /* a record with a larger cpu is corrupt */

enum th_state { TS_UNKNOWN, TS_RUNNING, TS_RUNNABLE, TS_BLOCKED };

struct tl_thread {
	uint32_t tid, pid;
	const char *comm;             /* borrowed from run.json; NULL: unknown */
	int64_t start_rel, end_rel;   /* ns since the case start; -1: unknown */
	enum th_state state;
	uint64_t since;               /* when the current state began (CLOCK_MONOTONIC ns) */
	uint32_t cpu;                 /* TS_RUNNING */
	int reason;                   /* TS_BLOCKED: why; TS_RUNNABLE: CT_R_PREEMPTED or -1 */
	/* the last wakeup by a traced thread, waiting for the next switch-in ... */
	bool wake_pending;
	uint32_t waker_tid, waker_pid;
	uint64_t wake_ts;
	/* ... and then attached to the current Running slice */
	bool flow;
	uint32_t flow_tid, flow_pid;
	uint64_t flow_ts;
	bool seen;                    /* the timeline has shown it */
	bool dead;                    /* its final switch-out was seen: a later task with its
				       * tid is another, untraced one */
	size_t seq;                   /* order of discovery: the first entry of a tid wins */
};

struct tl_proc {
	uint32_t pid;
	const char *comm;
};

struct pf {
	FILE *out;
	int err;
	bool first;
	uint64_t start;               /* case start */
	uint64_t t0;                  /* first timeline record */
	uint64_t flow_id;
	struct tl_thread *th;
	size_t nth;
	struct tl_thread **cpu_cur;   /* the traced thread running on each CPU, or NULL */
	uint64_t *cpu_last;           /* the last switch on each CPU, 0: none yet */
	size_t ncpu;
};

/* ---- output ---- */

static double us(const struct pf *p, uint64_t ts)
{
	return (double)(int64_t)(ts - p->start) / 1000.0;
}

static void emit(struct pf *p, json_t *ev)
{
	if (!ev) {
		p->err = p->err ? p->err : -ENOMEM;
		return;
	}
	if (!p->first && fputs(",\n", p->out) < 0)
		p->err = -EIO;
	p->first = false;
	if (json_dumpf(ev, p->out, JSON_COMPACT | JSON_REAL_PRECISION(15)) < 0)
		p->err = -EIO;
	json_decref(ev);
}

/* The fields every event has. */
static json_t *event(const char *ph, const char *name, uint32_t pid, uint32_t tid, double ts)
{
	return json_pack("{s:s, s:s, s:I, s:I, s:f}", "ph", ph, "name", name ? name : "?",
			 "pid", (json_int_t)pid, "tid", (json_int_t)tid, "ts", ts);
}

static void meta(struct pf *p, const char *what, uint32_t pid, uint32_t tid, json_t *value)
{
	json_t *ev = event("M", what, pid, tid, 0);

	if (ev)
		json_object_set_new(ev, "args", json_pack("{s:o}", strstr(what, "sort") ?
							  "sort_index" : "name", value));
	else
		json_decref(value);
	emit(p, ev);
}

/* A complete ("X") event; empty spans are left out. args is stolen. */
static void slice(struct pf *p, uint32_t pid, uint32_t tid, const char *name, const char *cat,
		  const char *cname, uint64_t b, uint64_t e, json_t *args)
{
	json_t *ev;

	if (e <= b) {
		json_decref(args);
		return;
	}
	ev = event("X", name, pid, tid, us(p, b));
	if (ev) {
		json_object_set_new(ev, "dur", json_real((double)(e - b) / 1000.0));
		json_object_set_new(ev, "cat", json_string(cat));
		if (cname)
			json_object_set_new(ev, "cname", json_string(cname));
		json_object_set_new(ev, "args", args ? args : json_object());
	} else {
		json_decref(args);
	}
	emit(p, ev);
}

/* A wakeup flow: from the waker's track at the wakeup to the wakee's Running slice [b, e). The
 * end sits inside the slice and binds to it ("bp": "e"), so the order of events with equal
 * timestamps does not matter. */
static void flow(struct pf *p, const struct tl_thread *t, uint64_t b, uint64_t e)
{
	json_t *s, *f;

	if (e - b < 2)
		return;
	p->flow_id++;
	s = event("s", "wakeup", t->flow_pid, t->flow_tid, us(p, t->flow_ts));
	f = event("f", "wakeup", t->pid, t->tid, us(p, b + (e - b) / 2));
	if (s) {
		json_object_set_new(s, "cat", json_string("wakeup"));
		json_object_set_new(s, "id", json_integer(p->flow_id));
	}
	if (f) {
		json_object_set_new(f, "cat", json_string("wakeup"));
		json_object_set_new(f, "id", json_integer(p->flow_id));
		json_object_set_new(f, "bp", json_string("e"));
	}
	emit(p, s);
	emit(p, f);
}

/* ---- threads ---- */

static int cmp_thread(const void *a, const void *b)
{
	const struct tl_thread *x = a, *y = b;

	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

static struct tl_thread *thread_find(struct pf *p, uint32_t tid)
{
	struct tl_thread key = { .tid = tid };

	if (!tid)
		return NULL;
	return bsearch(&key, p->th, p->nth, sizeof(*p->th), cmp_thread);
}

static const char *thread_comm(const struct tl_thread *t, char *buf, size_t len)
{
	if (t->comm)
		return t->comm;
	snprintf(buf, len, "tid %u", t->tid);
	return buf;
}

/* End the thread's current state at `at`: write its slice (and CPU slice, and flow). woken_by
 * is the waker of a blocked thread (0: an interrupt), or -1 when no wakeup ended the block. */
static void thread_close(struct pf *p, struct tl_thread *t, uint64_t at, int64_t woken_by)
{
	char name[64], cbuf[32];
	const char *comm = thread_comm(t, cbuf, sizeof(cbuf));
	const char *rn;

	switch (t->state) {
	case TS_RUNNING:
		snprintf(name, sizeof(name), "Running (CPU %u)", t->cpu);
		slice(p, t->pid, t->tid, name, "running", "thread_state_running", t->since, at,
		      json_pack("{s:I}", "cpu", (json_int_t)t->cpu));
		snprintf(name, sizeof(name), "%s %u", comm, t->tid);
		slice(p, CPU_PID, CPU_TID(t->cpu), name, "running", NULL, t->since, at,
		      json_pack("{s:I, s:I, s:s}", "tid", (json_int_t)t->tid,
				"pid", (json_int_t)t->pid, "comm", comm));
		if (t->flow)
			flow(p, t, t->since, at);
		t->flow = false;
		if (t->cpu < p->ncpu && p->cpu_cur[t->cpu] == t)
			p->cpu_cur[t->cpu] = NULL;
		break;
	case TS_RUNNABLE:
		slice(p, t->pid, t->tid, "Runnable", "runnable", "thread_state_runnable", t->since, at,
		      json_pack("{s:s}", "after", t->reason == CT_R_PREEMPTED ? "preemption" :
				"wakeup"));
		break;
	case TS_BLOCKED:
		rn = reason_name(t->reason);
		rn = rn ? rn : "other";
		snprintf(name, sizeof(name), "Blocked: %s", rn);
		slice(p, t->pid, t->tid, name, rn, t->reason == CT_R_IO ? "thread_state_iowait" :
		      "thread_state_sleeping", t->since, at,
		      woken_by >= 0 ? json_pack("{s:s, s:I}", "reason", rn, "woken_by",
						(json_int_t)woken_by) :
		      json_pack("{s:s}", "reason", rn));
		break;
	case TS_UNKNOWN:
		break;
	}
}

static void thread_set(struct tl_thread *t, enum th_state s, uint64_t at)
{
	t->state = s;
	t->since = at;
}

/* The earliest a thread that is seen first leaving the CPU can have been running there: since
 * the timeline began (it ran before), since it was created, and since the last switch on that
 * CPU (its switch-in was not recorded: it came after that one). */
static uint64_t thread_first(const struct pf *p, const struct tl_thread *t, uint32_t cpu)
{
	uint64_t from = p->t0;

	if (t->start_rel >= 0 && p->start + t->start_rel > from)
		from = p->start + t->start_rel;
	if (cpu < p->ncpu && p->cpu_last[cpu] > from)
		from = p->cpu_last[cpu];
	return from;
}

/* The thread that ran on r's CPU until r: the traced prev, or the traced thread that was left
 * running there when prev is not traced (it exited and was no longer tracked, or records were
 * lost). Such a thread's last Running slice ends here, and nothing more is known of it. */
static struct tl_thread *switch_prev(struct pf *p, const struct ct_tl_rec *r)
{
	struct tl_thread *cur = r->cpu < p->ncpu ? p->cpu_cur[r->cpu] : NULL;
	struct tl_thread *prev = thread_find(p, r->prev_tid);

	if (cur && cur != prev) {
		thread_close(p, cur, r->ts, -1);
		cur->state = TS_UNKNOWN;
	}
	if (prev && r->reason >= CT_R_MAX) {
		if (prev->state == TS_RUNNING && prev->cpu == r->cpu) {
			thread_close(p, prev, r->ts, -1);
			prev->state = TS_UNKNOWN;
			prev->dead = true;
		}
		return NULL;
	}
	return prev;
}

static void on_switch(struct pf *p, const struct ct_tl_rec *r)
{
	struct tl_thread *prev = switch_prev(p, r);
	struct tl_thread *next = thread_find(p, r->next_tid);

	if (next && next->dead)
		next = NULL;

	if (prev) {
		if (prev->state == TS_UNKNOWN && !prev->seen) {
			/* first seen leaving: it ran since before the timeline, or its
			 * switch-in was not recorded */
			prev->state = TS_RUNNING;
			prev->since = thread_first(p, prev, r->cpu);
			prev->cpu = r->cpu;
		}
		thread_close(p, prev, r->ts, -1);
		prev->reason = r->reason;
		prev->seen = true;
		thread_set(prev, r->reason == CT_R_PREEMPTED ? TS_RUNNABLE : TS_BLOCKED, r->ts);
	}
	if (next) {
		thread_close(p, next, r->ts, -1);
		thread_set(next, TS_RUNNING, r->ts);
		next->cpu = r->cpu;
		next->seen = true;
		if (r->cpu < p->ncpu)
			p->cpu_cur[r->cpu] = next;
		next->flow = next->wake_pending;
		next->flow_tid = next->waker_tid;
		next->flow_pid = next->waker_pid;
		next->flow_ts = next->wake_ts;
		next->wake_pending = false;
	}
	if (r->cpu < p->ncpu)
		p->cpu_last[r->cpu] = r->ts;
}

static void on_wake(struct pf *p, const struct ct_tl_rec *r)
{
	struct tl_thread *wakee = thread_find(p, r->next_tid);
	struct tl_thread *waker = thread_find(p, r->prev_tid);

	if (!wakee || wakee->dead || wakee->state == TS_RUNNING || wakee->state == TS_RUNNABLE)
		return;   /* woken while still on a CPU or already runnable: nothing changes */
	thread_close(p, wakee, r->ts, r->prev_tid);
	wakee->reason = -1;
	wakee->seen = true;
	thread_set(wakee, TS_RUNNABLE, r->ts);
	/* a flow needs a slice to start from: the waker runs (or ran since before the timeline) */
	wakee->wake_pending = waker && waker != wakee &&
		(waker->state == TS_RUNNING || (waker->state == TS_UNKNOWN && !waker->seen));
	if (wakee->wake_pending) {
		wakee->waker_tid = waker->tid;
		wakee->waker_pid = waker->pid;
		wakee->wake_ts = r->ts;
	}
}

/* ---- input ---- */

/* timeline.bin, whole records only; NULL (and *n = 0) when absent or unreadable. */
static struct ct_tl_rec *timeline_load(const char *dir, size_t *n)
{
	char *path = xasprintf("%s/timeline.bin", dir);
	FILE *f = fopen(path, "re");
	struct ct_tl_rec *recs = NULL;
	struct stat st;

	*n = 0;
	free(path);
	if (!f)
		return NULL;
	if (fstat(fileno(f), &st) == 0 && st.st_size >= (off_t)sizeof(*recs)) {
		size_t want = st.st_size / sizeof(*recs);

		recs = xcalloc(want, sizeof(*recs));
		*n = fread(recs, sizeof(*recs), want, f);
	}
	fclose(f);
	if (!*n) {
		free(recs);
		recs = NULL;
	}
	return recs;
}

struct tl_order {
	uint64_t ts;
	size_t i;
};

static int cmp_order(const void *a, const void *b)
{
	const struct tl_order *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

static bool rec_valid(const struct ct_tl_rec *r)
{
	return (r->type == CT_EV_SWITCH || r->type == CT_EV_WAKE) && r->cpu < MAX_CPU;
}

static struct tl_thread *thread_add(struct tl_thread **th, size_t *n, size_t *cap, uint32_t tid,
				    uint32_t pid)
{
	struct tl_thread *t;

	if (!tid)
		return NULL;
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 64;
		*th = xrealloc(*th, *cap * sizeof(**th));
	}
	t = &(*th)[*n];
	*t = (struct tl_thread){ .tid = tid, .pid = pid, .start_rel = -1, .end_rel = -1,
				 .reason = -1, .seq = *n };
	(*n)++;
	return t;
}

static int cmp_thread_seq(const void *a, const void *b)
{
	const struct tl_thread *x = a, *y = b;

	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int64_t rel_or_unknown(json_t *t, const char *key)
{
	json_t *v = json_object_get(t, key);

	return json_is_integer(v) ? json_integer_value(v) : -1;
}

/* The traced threads: run.json's, plus those the timeline shows as traced (a switch-out with a
 * reason, a wakee). The next task of a switch is not known to be traced from the record alone:
 * a task that has just exited is no longer tracked, and its last switch can be to any task.
 * Sorted by tid, one entry per tid; the first one seen wins, run.json's first. */
static void threads_collect(struct pf *p, json_t *c, const struct ct_tl_rec *recs, size_t n)
{
	struct tl_thread *th = NULL, *t;
	size_t nth = 0, cap = 0, i, k;
	json_t *o;

	json_array_foreach(json_object_get(c, "threads"), i, o) {
		t = thread_add(&th, &nth, &cap, jget_u64(o, "tid"), jget_u64(o, "pid"));
		if (t) {
			t->comm = jget_str(o, "comm");
			t->start_rel = rel_or_unknown(o, "start_ns");
			t->end_rel = rel_or_unknown(o, "end_ns");
		}
	}
	for (i = 0; i < n; i++) {
		const struct ct_tl_rec *r = &recs[i];

		if (!rec_valid(r))
			continue;
		if (r->type == CT_EV_WAKE)
			thread_add(&th, &nth, &cap, r->next_tid, r->next_tgid);
		else if (r->reason < CT_R_MAX)
			thread_add(&th, &nth, &cap, r->prev_tid, r->prev_tgid);
	}
	qsort(th, nth, sizeof(*th), cmp_thread_seq);
	for (i = 0, k = 0; i < nth; i++)
		if (!k || th[i].tid != th[k - 1].tid)
			th[k++] = th[i];
	p->th = th;
	p->nth = k;
	/* a thread only the timeline knows: threads mostly keep their process's name */
	for (i = 0; i < p->nth; i++) {
		t = thread_find(p, th[i].pid);
		if (!th[i].comm && t)
			th[i].comm = t->comm;
	}
}

/* ---- metadata ---- */

static int cmp_proc(const void *a, const void *b)
{
	const struct tl_proc *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static void write_metadata(struct pf *p, json_t *c, const struct ct_tl_rec *recs, size_t n)
{
	size_t ncpu = 0, nproc = 0, i, k;
	uint8_t *cpus;
	struct tl_proc *procs;
	json_t *o;
	char buf[64];

	/* CPUs: run.json's and the timeline's */
	json_array_foreach(json_object_get(c, "cpus"), i, o)
		if (jget_u64(o, "cpu") + 1 > ncpu && jget_u64(o, "cpu") < MAX_CPU)
			ncpu = jget_u64(o, "cpu") + 1;
	for (i = 0; i < n; i++)
		if (rec_valid(&recs[i]) && recs[i].cpu + 1 > ncpu)
			ncpu = recs[i].cpu + 1;
	cpus = xcalloc(ncpu, 1);
	json_array_foreach(json_object_get(c, "cpus"), i, o)
		if (jget_u64(o, "cpu") < ncpu)
			cpus[jget_u64(o, "cpu")] = 1;
	for (i = 0; i < n; i++)
		if (rec_valid(&recs[i]) && recs[i].type == CT_EV_SWITCH)
			cpus[recs[i].cpu] = 1;
	meta(p, "process_name", CPU_PID, CPU_PID, json_string("CPUs"));
	meta(p, "process_sort_index", CPU_PID, CPU_PID, json_integer(-1));
	for (i = 0; i < ncpu; i++) {
		if (!cpus[i])
			continue;
		snprintf(buf, sizeof(buf), "CPU %zu", i);
		meta(p, "thread_name", CPU_PID, CPU_TID(i), json_string(buf));
		meta(p, "thread_sort_index", CPU_PID, CPU_TID(i), json_integer(i));
	}
	free(cpus);

	/* processes: run.json's, and those of the traced threads */
	procs = xcalloc(json_array_size(json_object_get(c, "processes")) + p->nth, sizeof(*procs));
	json_array_foreach(json_object_get(c, "processes"), i, o)
		procs[nproc++] = (struct tl_proc){ jget_u64(o, "pid"), jget_str(o, "comm") };
	for (i = 0; i < p->nth; i++)
		procs[nproc++] = (struct tl_proc){ p->th[i].pid, NULL };
	qsort(procs, nproc, sizeof(*procs), cmp_proc);
	for (i = 0, k = 0; i < nproc; i++) {
		if (!procs[i].pid)
			continue;
		if (k && procs[k - 1].pid == procs[i].pid) {
			if (!procs[k - 1].comm)
				procs[k - 1].comm = procs[i].comm;
			continue;
		}
		procs[k++] = procs[i];
	}
	nproc = k;
	for (i = 0; i < nproc; i++) {
		struct tl_thread *leader = thread_find(p, procs[i].pid);
		const char *comm = procs[i].comm ? procs[i].comm :
				   leader && leader->comm ? leader->comm : "process";
		char *name = xasprintf("%s %u", comm, procs[i].pid);

		meta(p, "process_name", procs[i].pid, procs[i].pid, json_string(name));
		meta(p, "process_sort_index", procs[i].pid, procs[i].pid, json_integer(i));
		free(name);
	}
	free(procs);
	for (i = 0; i < p->nth; i++) {
		const struct tl_thread *t = &p->th[i];

		if (t->pid)
			meta(p, "thread_name", t->pid, t->tid, json_string(thread_comm(t, buf,
										 sizeof(buf))));
	}
}

static void note(struct pf *p, const char *text)
{
	json_t *ev = event("i", text, CPU_PID, CPU_PID, 0);

	if (ev)
		json_object_set_new(ev, "s", json_string("g"));
	emit(p, ev);
}

static json_t *other_data(json_t *run, json_t *c)
{
	json_t *o = json_object(), *arg;
	const char *s;
	char *cmd = NULL;
	size_t i;

	json_object_set_new(o, "generator", json_string("conctrace " CONCTRACE_VERSION));
	if ((s = jget_str(run, "name")))
		json_object_set_new(o, "run", json_string(s));
	if ((s = jget_str(c, "workload")))
		json_object_set_new(o, "workload", json_string(s));
	if ((s = jget_str(c, "model")))
		json_object_set_new(o, "model", json_string(s));
	json_array_foreach(json_object_get(c, "command"), i, arg) {
		char *t = xasprintf("%s%s%s", cmd ? cmd : "", cmd ? " " : "",
				    json_string_value(arg) ? json_string_value(arg) : "");

		free(cmd);
		cmd = t;
	}
	if (cmd)
		json_object_set_new(o, "command", json_string(cmd));
	free(cmd);
	return o;
}

int render_perfetto_case(json_t *run, json_t *c, const char *case_dir, FILE *out,
			 const struct render_opts *o)
{
	struct pf p = { .out = out, .first = true, .start = jget_u64(c, "start_mono_ns") };
	struct ct_tl_rec *recs = NULL;
	struct tl_order *order = NULL;
	json_t *od = other_data(run, c);
	uint64_t end, lost = jpath_u64(c, "counters.timeline_dropped");
	size_t n = 0, i;

	if (case_dir)
		recs = timeline_load(case_dir, &n);
	threads_collect(&p, c, recs, n);

	fputs("{\"displayTimeUnit\":\"ms\",\"otherData\":", out);
	if (json_dumpf(od, out, JSON_COMPACT) < 0)
		p.err = -EIO;
	json_decref(od);
	fputs(",\"traceEvents\":[\n", out);
	write_metadata(&p, c, recs, n);

	if (!recs) {
		note(&p, "no timeline recorded (enable it with the spec's trace.timeline or "
		     "record's default)");
		goto done;
	}
	order = xcalloc(n, sizeof(*order));
	for (i = 0; i < n; i++)
		order[i] = (struct tl_order){ recs[i].ts, i };
	qsort(order, n, sizeof(*order), cmp_order);
	for (i = 0; i < n; i++) {
		if (!rec_valid(&recs[i]))
			continue;
		if (!p.t0 || recs[i].ts < p.t0)
			p.t0 = recs[i].ts;
		if (recs[i].cpu + 1 > p.ncpu)
			p.ncpu = recs[i].cpu + 1;
	}
	p.cpu_cur = xcalloc(p.ncpu, sizeof(*p.cpu_cur));
	p.cpu_last = xcalloc(p.ncpu, sizeof(*p.cpu_last));
	if (lost) {
		char *msg = xasprintf("%llu timeline records lost (ring buffer full): some slices "
				      "are missing or too long", (unsigned long long)lost);

		note(&p, msg);
		free(msg);
	}
	for (i = 0; i < n; i++) {
		const struct ct_tl_rec *r = &recs[order[i].i];

		if (!rec_valid(r))
			continue;
		if (r->type == CT_EV_SWITCH)
			on_switch(&p, r);
		else
			on_wake(&p, r);
	}
	/* close what is still open at the thread's exit, or else at the case end */
	end = jget_u64(c, "wall_ns") ? p.start + jget_u64(c, "wall_ns") : order[n - 1].ts;
	for (i = 0; i < p.nth; i++) {
		struct tl_thread *t = &p.th[i];
		uint64_t at = t->end_rel >= 0 && p.start + t->end_rel > t->since ?
			      p.start + t->end_rel : end;

		if (t->state != TS_UNKNOWN && at > t->since)
			thread_close(&p, t, at, -1);
	}
done:
	fputs("\n]}\n", out);
	free(p.cpu_cur);
	free(p.cpu_last);
	free(order);
	free(recs);
	free(p.th);
	if (!p.err && ferror(out))
		p.err = -EIO;
	return p.err;
}
