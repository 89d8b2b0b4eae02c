/* trace.json: a case's timeline.bin as Chrome trace events (JSON object format) for
 * ui.perfetto.dev: a track per CPU, a track per traced thread with its Running / Runnable /
 * Blocked slices, and wakeup flows from waker to wakee. Times are microseconds since the case
 * start. Events are written one per line as they are made, straight into an output buffer: no
 * JSON object is built per event (a million switches make three to four million), numbers
 * are formatted by hand (times as exact fixed-point microseconds, from integer nanoseconds),
 * and strings are escaped here. Only otherData goes through jansson. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "conctrace/sched.h"
#include "reasons.h"
#include "render.h"
#include "results.h"
#include "log.h"
#include "stacks.h"
#include "timeline.h"
#include "util.h"

#define CPU_PID       0x7fff0000u     /* the synthetic process holding the CPU tracks */
#define CPU_TID(cpu)  (CPU_PID + 1 + (cpu))

enum th_state { TS_UNKNOWN, TS_RUNNING, TS_RUNNABLE, TS_BLOCKED };

struct tl_thread {
	uint32_t tid, pid;
	const char *comm;             /* borrowed from run.json; NULL: unknown */
	char *name_json;              /* its comm (or "tid N"), escaped for a JSON string */
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
	const char *stack;            /* TS_BLOCKED/TS_RUNNABLE: the stack it left the CPU in
				       * (borrowed from stacks.json), or NULL */
	bool seen;                    /* the timeline has shown it */
	bool dead;                    /* its final switch-out was seen: a later task with its
				       * tid is another, untraced one */
	size_t seq;                   /* order of discovery: the first entry of a tid wins */
};

struct tl_proc {
	uint32_t pid;
	const char *comm;
};

/* A CPython process's GIL: a track of its own in the process, one slice per holder, from the
 * GIL records of the timeline (timeline.h: hand-overs between waiting threads). */
#define GIL_TID(i)     (0x7ffe0000u + (uint32_t)(i))

struct pf {
	FILE *out;
	char *buf;                    /* OUT_CAP bytes of output not yet written */
	size_t len;
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
	char *reason_json[CT_R_MAX];  /* reason names, escaped */
	struct tl_gils gils;
	json_t *stacks;               /* stacks.json, or NULL */
	json_t *stack_of;             /* "tid:ustack:kstack:pystack:reason" -> "root;...;leaf" */
};

/* ---- JSON strings ---- */

/* Exported for the unit tests only (tests/unit/test_perfetto.c declares it too). */
size_t perfetto_json_escape(char *dst, const char *src, size_t n);

/* The n bytes at src as the inside of a JSON string (no quotes) at dst, which has room for
 * 6 * n bytes; returns the length written. '"' and '\\' are escaped, control characters become
 * \b \f \n \r \t or \u00XX, well-formed UTF-8 is kept, and every byte that is not part of a
 * well-formed sequence (comm names are arbitrary bytes) becomes U+FFFD. */
size_t perfetto_json_escape(char *dst, const char *src, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)src;
	char *d = dst;
	size_t i = 0, k;
	uint32_t cp;

	while (i < n) {
		unsigned char c = s[i];

		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			*d++ = (char)c;
			i++;
		} else if (c < 0x80) {
			*d++ = '\\';
			switch (c) {
			case '"':  *d++ = '"'; break;
			case '\\': *d++ = '\\'; break;
			case '\b': *d++ = 'b'; break;
			case '\f': *d++ = 'f'; break;
			case '\n': *d++ = 'n'; break;
			case '\r': *d++ = 'r'; break;
			case '\t': *d++ = 't'; break;
			default:
				memcpy(d, "u00", 3);
				d[3] = hex[c >> 4];
				d[4] = hex[c & 15];
				d += 5;
			}
			i++;
		} else if ((k = utf8_decode(s + i, n - i, &cp))) {
			memcpy(d, s + i, k);
			d += k;
			i += k;
		} else {
			memcpy(d, "\xef\xbf\xbd", 3);
			d += 3;
			i++;
		}
	}
	return (size_t)(d - dst);
}

/* s escaped, in a new string. */
static char *json_escape_dup(const char *s)
{
	size_t n = strlen(s);
	char *e = xcalloc(6 * n + 1, 1);

	e[perfetto_json_escape(e, s, n)] = '\0';
	return e;
}

/* ---- output ---- */

#define OUT_CAP  (1u << 20)

static void out_flush(struct pf *p)
{
	if (p->len && fwrite(p->buf, 1, p->len, p->out) != p->len && !p->err)
		p->err = -EIO;
	p->len = 0;
}

/* Make room for n more bytes (n <= OUT_CAP). */
static inline void out_room(struct pf *p, size_t n)
{
	if (p->len + n > OUT_CAP)
		out_flush(p);
}

static inline void out_raw(struct pf *p, const char *s, size_t n)
{
	if (n > OUT_CAP) {
		out_flush(p);
		if (fwrite(s, 1, n, p->out) != n && !p->err)
			p->err = -EIO;
		return;
	}
	out_room(p, n);
	memcpy(p->buf + p->len, s, n);
	p->len += n;
}

/* A string literal, or text that is known to need no escaping. */
#define out_lit(p, s)  out_raw((p), "" s, sizeof(s) - 1)

static inline void out_text(struct pf *p, const char *s)
{
	out_raw(p, s, strlen(s));
}

static inline void out_u64(struct pf *p, uint64_t v)
{
	char tmp[20], *e = tmp + sizeof(tmp), *d = e;

	do {
		*--d = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	out_raw(p, d, (size_t)(e - d));
}

static inline void out_i64(struct pf *p, int64_t v)
{
	if (v < 0) {
		out_lit(p, "-");
		out_u64(p, -(uint64_t)v);
	} else {
		out_u64(p, (uint64_t)v);
	}
}

/* ns nanoseconds as microseconds, exactly: 1234567 -> 1234.567, 1500 -> 1.5, 2000 -> 2. */
static inline void out_ns_as_us(struct pf *p, int64_t ns)
{
	uint64_t v = ns < 0 ? -(uint64_t)ns : (uint64_t)ns;
	unsigned frac = (unsigned)(v % 1000);
	char f[4];
	size_t n = 4;

	if (ns < 0)
		out_lit(p, "-");
	out_u64(p, v / 1000);
	if (!frac)
		return;
	f[0] = '.';
	f[1] = (char)('0' + frac / 100);
	f[2] = (char)('0' + frac / 10 % 10);
	f[3] = (char)('0' + frac % 10);
	while (f[n - 1] == '0')
		n--;
	out_raw(p, f, n);
}

/* Any text, escaped: the inside of a JSON string. */
static void out_esc(struct pf *p, const char *s)
{
	size_t n = strlen(s);

	if (n <= OUT_CAP / 6) {
		out_room(p, 6 * n);
		p->len += perfetto_json_escape(p->buf + p->len, s, n);
	} else {
		char *e = json_escape_dup(s);

		out_text(p, e);
		free(e);
	}
}

/* A time since the case start, in microseconds. */
static inline void out_ts(struct pf *p, uint64_t ts)
{
	out_ns_as_us(p, (int64_t)(ts - p->start));
}

/* An event is written in three steps: ev_open (up to the opening quote of its name), its name
 * (escaped), and ev_ids (from the closing quote to "tid"); then the fields of its phase. */
static void ev_open(struct pf *p, const char *ph)
{
	if (!p->first)
		out_lit(p, ",\n");
	p->first = false;
	out_lit(p, "{\"ph\":\"");
	out_text(p, ph);
	out_lit(p, "\",\"name\":\"");
}

static void ev_ids(struct pf *p, uint32_t pid, uint32_t tid)
{
	out_lit(p, "\",\"pid\":");
	out_u64(p, pid);
	out_lit(p, ",\"tid\":");
	out_u64(p, tid);
}

/* Metadata: a name (any text) or a sort index. Metadata events have no "ts" (trace
 * processors take 0). */
static void meta_name(struct pf *p, const char *what, uint32_t pid, uint32_t tid,
		      const char *name)
{
	ev_open(p, "M");
	out_text(p, what);
	ev_ids(p, pid, tid);
	out_lit(p, ",\"args\":{\"name\":\"");
	out_esc(p, name);
	out_lit(p, "\"}}");
}

static void meta_sort(struct pf *p, const char *what, uint32_t pid, uint32_t tid, int64_t index)
{
	ev_open(p, "M");
	out_text(p, what);
	ev_ids(p, pid, tid);
	out_lit(p, ",\"args\":{\"sort_index\":");
	out_i64(p, index);
	out_lit(p, "}}");
}

/* The rest of a complete ("X") event of [b, e) after ev_ids, up to the inside of "args"; the
 * caller writes the args and "}}". cat and cname (NULL: none) need no escaping. */
static void slice_rest(struct pf *p, const char *cat, const char *cname, uint64_t b, uint64_t e)
{
	out_lit(p, ",\"ts\":");
	out_ts(p, b);
	out_lit(p, ",\"dur\":");
	out_ns_as_us(p, (int64_t)(e - b));
	out_lit(p, ",\"cat\":\"");
	out_text(p, cat);
	if (cname) {
		out_lit(p, "\",\"cname\":\"");
		out_text(p, cname);
	}
	out_lit(p, "\",\"args\":{");
}

/* A wakeup flow: from the waker's track at the wakeup to the wakee's Running slice [b, e). The
 * end sits inside the slice and binds to it ("bp": "e"), so the order of events with equal
 * timestamps does not matter. */
static void flow(struct pf *p, const struct tl_thread *t, uint64_t b, uint64_t e)
{
	if (e - b < 2)
		return;
	p->flow_id++;
	ev_open(p, "s");
	out_lit(p, "wakeup");
	ev_ids(p, t->flow_pid, t->flow_tid);
	out_lit(p, ",\"ts\":");
	out_ts(p, t->flow_ts);
	out_lit(p, ",\"cat\":\"wakeup\",\"id\":");
	out_u64(p, p->flow_id);
	out_lit(p, "}");
	ev_open(p, "f");
	out_lit(p, "wakeup");
	ev_ids(p, t->pid, t->tid);
	out_lit(p, ",\"ts\":");
	out_ts(p, b + (e - b) / 2);
	out_lit(p, ",\"cat\":\"wakeup\",\"id\":");
	out_u64(p, p->flow_id);
	out_lit(p, ",\"bp\":\"e\"}");
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

	if (!tid || !p->nth)
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

static const char *reason_json(const struct pf *p, int reason)
{
	return reason >= 0 && reason < CT_R_MAX ? p->reason_json[reason] : "other";
}

/* End the thread's current state at `at`: write its slice (and CPU slice, and flow); empty
 * spans are left out. woken_by is the waker of a blocked thread (0: an interrupt), or -1 when
 * no wakeup ended the block. */
static void thread_close(struct pf *p, struct tl_thread *t, uint64_t at, int64_t woken_by)
{
	const char *rn;

	switch (t->state) {
	case TS_RUNNING:
		if (at > t->since) {
			ev_open(p, "X");
			out_lit(p, "Running (CPU ");
			out_u64(p, t->cpu);
			out_lit(p, ")");
			ev_ids(p, t->pid, t->tid);
			slice_rest(p, "running", "thread_state_running", t->since, at);
			out_lit(p, "\"cpu\":");
			out_u64(p, t->cpu);
			out_lit(p, "}}");

			ev_open(p, "X");
			out_text(p, t->name_json);
			out_lit(p, " ");
			out_u64(p, t->tid);
			ev_ids(p, CPU_PID, CPU_TID(t->cpu));
			slice_rest(p, "running", NULL, t->since, at);
			out_lit(p, "\"tid\":");
			out_u64(p, t->tid);
			out_lit(p, ",\"pid\":");
			out_u64(p, t->pid);
			out_lit(p, ",\"comm\":\"");
			out_text(p, t->name_json);
			out_lit(p, "\"}}");
		}
		if (t->flow)
			flow(p, t, t->since, at);
		t->flow = false;
		if (t->cpu < p->ncpu && p->cpu_cur[t->cpu] == t)
			p->cpu_cur[t->cpu] = NULL;
		break;
	case TS_RUNNABLE:
		if (at > t->since) {
			ev_open(p, "X");
			out_lit(p, "Runnable");
			ev_ids(p, t->pid, t->tid);
			slice_rest(p, "runnable", "thread_state_runnable", t->since, at);
			if (t->reason == CT_R_PREEMPTED)
				out_lit(p, "\"after\":\"preemption\"");
			else
				out_lit(p, "\"after\":\"wakeup\"");
			if (t->stack) {
				out_lit(p, ",\"stack\":\"");
				out_esc(p, t->stack);
				out_lit(p, "\"");
			}
			out_lit(p, "}}");
		}
		break;
	case TS_BLOCKED:
		if (at > t->since) {
			rn = reason_json(p, t->reason);
			ev_open(p, "X");
			out_lit(p, "Blocked: ");
			out_text(p, rn);
			ev_ids(p, t->pid, t->tid);
			slice_rest(p, rn, t->reason == CT_R_IO ? "thread_state_iowait" :
				   "thread_state_sleeping", t->since, at);
			out_lit(p, "\"reason\":\"");
			out_text(p, rn);
			out_lit(p, "\"");
			if (woken_by >= 0) {
				out_lit(p, ",\"woken_by\":");
				out_i64(p, woken_by);
			}
			if (t->stack) {
				out_lit(p, ",\"stack\":\"");
				out_esc(p, t->stack);
				out_lit(p, "\"");
			}
			out_lit(p, "}}");
		}
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
/* The stack (root first, ';' between frames) a switch record's prev left the CPU in. */
static const char *stack_of(struct pf *p, const struct ct_tl_rec *r)
{
	char key[96];

	if (!p->stack_of || (r->ustack < 0 && r->kstack < 0 && !r->pystack) ||
	    !reason_name(r->reason))
		return NULL;
	snprintf(key, sizeof(key), "%u:%d:%d:%llx:%s", r->prev_tid, r->ustack, r->kstack,
		 (unsigned long long)r->pystack, reason_name(r->reason));
	return json_string_value(json_object_get(p->stack_of, key));
}

/* Index stacks.json's off-CPU stacks by the ids the switch records carry. */
static void stacks_index(struct pf *p)
{
	json_t *frames = json_object_get(p->stacks, "frames"), *smp, *ids, *fr;
	size_t i, k;

	p->stack_of = json_object();
	json_array_foreach(json_object_get(p->stacks, "samples"), i, smp) {
		const char *reason = jget_str(smp, "reason");
		char key[96], *joined = NULL;
		size_t len = 0;
		FILE *m;

		ids = json_object_get(smp, "ids");
		if (!reason || !strcmp(reason, "oncpu") || json_array_size(ids) != 3)
			continue;
		snprintf(key, sizeof(key), "%llu:%lld:%lld:%s:%s",
			 (unsigned long long)jget_u64(smp, "tid"),
			 json_integer_value(json_array_get(ids, 0)),
			 json_integer_value(json_array_get(ids, 1)),
			 json_string_value(json_array_get(ids, 2)) ?: "0", reason);
		m = open_memstream(&joined, &len);
		if (!m)
			continue;
		json_array_foreach(json_object_get(smp, "stack"), k, fr) {
			const char *name = json_string_value(json_array_get(frames,
							      json_integer_value(fr)));

			fprintf(m, "%s%s", k ? ";" : "", name ? name : "?");
		}
		fclose(m);
		json_object_set_new(p->stack_of, key, json_string_nocheck(joined));
		free(joined);
	}
}

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
		prev->stack = stack_of(p, r);
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

/* A set of tids (open addressing; 0 is never a member). */
struct tid_set {
	uint32_t *slot;
	size_t mask, n;
};

/* Add tid; false when it was there already. */
static bool tid_set_add(struct tid_set *s, uint32_t tid)
{
	size_t i;

	if (2 * (s->n + 1) > (s->slot ? s->mask + 1 : 0)) {
		struct tid_set g = { .mask = s->slot ? 2 * s->mask + 1 : 1023 };

		g.slot = xcalloc(g.mask + 1, sizeof(*g.slot));
		for (i = 0; s->slot && i <= s->mask; i++)
			if (s->slot[i])
				tid_set_add(&g, s->slot[i]);
		free(s->slot);
		*s = g;
	}
	for (i = (uint32_t)(tid * 2654435761u) & s->mask; s->slot[i]; i = (i + 1) & s->mask)
		if (s->slot[i] == tid)
			return false;
	s->slot[i] = tid;
	s->n++;
	return true;
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
	struct tid_set seen = { 0 };
	size_t nth = 0, cap = 0, i, k;
	json_t *o;

	json_array_foreach(json_object_get(c, "threads"), i, o) {
		t = thread_add(&th, &nth, &cap, jget_u64(o, "tid"), jget_u64(o, "pid"));
		if (t) {
			t->comm = jget_str(o, "comm");
			t->start_rel = rel_or_unknown(o, "start_ns");
			t->end_rel = rel_or_unknown(o, "end_ns");
			tid_set_add(&seen, t->tid);
		}
	}
	/* only the first record of a tid can make its entry: the others are not added at all
	 * (a million switches would make a million entries to sort) */
	for (i = 0; i < n; i++) {
		const struct ct_tl_rec *r = &recs[i];

		if (r->type == CT_EV_WAKE && r->next_tid && tid_set_add(&seen, r->next_tid))
			thread_add(&th, &nth, &cap, r->next_tid, r->next_tgid);
		else if (r->type == CT_EV_SWITCH && r->reason < CT_R_MAX && r->prev_tid &&
			 tid_set_add(&seen, r->prev_tid))
			thread_add(&th, &nth, &cap, r->prev_tid, r->prev_tgid);
	}
	free(seen.slot);
	if (nth)
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
	for (i = 0; i < p->nth; i++) {
		char buf[32];

		th[i].name_json = json_escape_dup(thread_comm(&th[i], buf, sizeof(buf)));
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
		if (jget_u64(o, "cpu") + 1 > ncpu && jget_u64(o, "cpu") < CT_MAX_CPUS)
			ncpu = jget_u64(o, "cpu") + 1;
	for (i = 0; i < n; i++)
		if (recs[i].cpu + 1 > ncpu)
			ncpu = recs[i].cpu + 1;
	cpus = xcalloc(ncpu, 1);
	json_array_foreach(json_object_get(c, "cpus"), i, o)
		if (jget_u64(o, "cpu") < ncpu)
			cpus[jget_u64(o, "cpu")] = 1;
	for (i = 0; i < n; i++)
		if (recs[i].type == CT_EV_SWITCH)
			cpus[recs[i].cpu] = 1;
	meta_name(p, "process_name", CPU_PID, CPU_PID, "CPUs");
	meta_sort(p, "process_sort_index", CPU_PID, CPU_PID, -1);
	for (i = 0; i < ncpu; i++) {
		if (!cpus[i])
			continue;
		snprintf(buf, sizeof(buf), "CPU %zu", i);
		meta_name(p, "thread_name", CPU_PID, CPU_TID(i), buf);
		meta_sort(p, "thread_sort_index", CPU_PID, CPU_TID(i), (int64_t)i);
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

		meta_name(p, "process_name", procs[i].pid, procs[i].pid, name);
		meta_sort(p, "process_sort_index", procs[i].pid, procs[i].pid, (int64_t)i);
		free(name);
	}
	free(procs);
	/* a GIL track, first in its process, for each process with GIL records */
	for (i = 0; i < n; i++) {
		bool added;
		long g;

		if (recs[i].type != CT_EV_GIL)
			continue;
		g = tl_gil_find(&p->gils, recs[i].prev_tgid, &added);
		if (!added)
			continue;
		meta_name(p, "thread_name", recs[i].prev_tgid, GIL_TID(g), "GIL");
		meta_sort(p, "thread_sort_index", recs[i].prev_tgid, GIL_TID(g), -1);
	}
	for (i = 0; i < p->nth; i++) {
		const struct tl_thread *t = &p->th[i];

		if (t->pid) {
			ev_open(p, "M");
			out_lit(p, "thread_name");
			ev_ids(p, t->pid, t->tid);
			out_lit(p, ",\"args\":{\"name\":\"");
			out_text(p, t->name_json);
			out_lit(p, "\"}}");
		}
	}
}

static void gil_slice(struct pf *p, const struct tl_gil_span *g)
{
	struct tl_thread *t = thread_find(p, g->holder);
	char buf[64];

	ev_open(p, "X");
	out_lit(p, "held by ");
	if (t && t->name_json) {
		out_text(p, t->name_json);
		out_lit(p, " ");
	}
	snprintf(buf, sizeof(buf), "%u", g->holder);
	out_text(p, buf);
	ev_ids(p, g->pid, GIL_TID(g->idx));
	slice_rest(p, "gil-holder", "thread_state_running", g->from, g->to);
	out_lit(p, "\"holder\":");
	out_u64(p, g->holder);
	out_lit(p, "}}");
}

/* A thread took the GIL after waiting, or dropped it to a waiter. */
static void on_gil(struct pf *p, const struct ct_tl_rec *r)
{
	struct tl_gil_span span;

	if (tl_gil_step(&p->gils, r, &span))
		gil_slice(p, &span);
}

/* A global instant event at 0 with text as its name. */
static void note(struct pf *p, const char *text)
{
	ev_open(p, "i");
	out_esc(p, text);
	ev_ids(p, CPU_PID, CPU_PID);
	out_lit(p, ",\"ts\":0,\"s\":\"g\"}");
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
	struct timeline tl = { 0 };
	const struct ct_tl_rec *recs;
	struct tl_gil_span span;
	json_t *od;
	char *ods, err[512];
	uint64_t end, lost = jpath_u64(c, "counters.timeline_dropped");
	size_t n, i;
	int k;

	/* both inputs first: a corrupt one is an error before anything is written */
	if (case_dir && ((p.err = timeline_load(case_dir, c, &tl, err, sizeof(err))) ||
			 (p.err = stacks_load(case_dir, &p.stacks, err, sizeof(err))))) {
		pr_warn("%s\n", err);
		timeline_free(&tl);
		return p.err;
	}
	recs = tl.n ? tl.rec : NULL;
	n = tl.n;
	if (p.stacks)
		stacks_index(&p);
	tl_gils_init(&p.gils, TL_MAX_GILS);
	od = other_data(run, c);
	ods = json_dumps(od, JSON_COMPACT);
	json_decref(od);
	p.buf = xcalloc(OUT_CAP, 1);
	for (k = 0; k < CT_R_MAX; k++)
		p.reason_json[k] = json_escape_dup(reason_name(k) ? reason_name(k) : "other");
	threads_collect(&p, c, recs, n);

	out_lit(&p, "{\"displayTimeUnit\":\"ms\",\"otherData\":");
	if (ods)
		out_text(&p, ods);
	else
		p.err = -ENOMEM;
	free(ods);
	out_lit(&p, ",\"traceEvents\":[\n");
	write_metadata(&p, c, recs, n);

	if (!recs) {
		note(&p, "no timeline recorded (enable it with the spec's trace.timeline or "
		     "record's default)");
		goto done;
	}
	/* records are in time order, every CPU below the case's (timeline.h) */
	p.t0 = tl.first_ts;
	p.ncpu = tl.ncpus;
	p.cpu_cur = xcalloc(p.ncpu, sizeof(*p.cpu_cur));
	p.cpu_last = xcalloc(p.ncpu, sizeof(*p.cpu_last));
	if (lost) {
		char *msg = xasprintf("%llu timeline records lost (ring buffer full): some slices "
				      "are missing or too long", (unsigned long long)lost);

		note(&p, msg);
		free(msg);
	}
	for (i = 0; i < n; i++) {
		const struct ct_tl_rec *r = &recs[i];

		if (r->type == CT_EV_SWITCH)
			on_switch(&p, r);
		else if (r->type == CT_EV_WAKE)
			on_wake(&p, r);
		else
			on_gil(&p, r);
	}
	/* close what is still open at the thread's exit, or else at the case end */
	end = jget_u64(c, "wall_ns") ? p.start + jget_u64(c, "wall_ns") : tl.last_ts;
	for (i = 0; i < p.gils.n; i++)
		if (tl_gil_close(&p.gils, i, end, &span))
			gil_slice(&p, &span);
	for (i = 0; i < p.nth; i++) {
		struct tl_thread *t = &p.th[i];
		uint64_t at = t->end_rel >= 0 && p.start + t->end_rel > t->since ?
			      p.start + t->end_rel : end;

		if (t->state != TS_UNKNOWN && at > t->since)
			thread_close(&p, t, at, -1);
	}
done:
	out_lit(&p, "\n]}\n");
	out_flush(&p);
	free(p.buf);
	for (k = 0; k < CT_R_MAX; k++)
		free(p.reason_json[k]);
	for (i = 0; i < p.nth; i++)
		free(p.th[i].name_json);
	free(p.cpu_cur);
	free(p.cpu_last);
	timeline_free(&tl);
	free(p.th);
	json_decref(p.stack_of);
	json_decref(p.stacks);
	if (!p.err && ferror(out))
		p.err = -EIO;
	return p.err;
}
