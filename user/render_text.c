/* The text report: aligned tables with units, readable at 100 columns. */
#include <math.h>
#include <string.h>
#include "compare.h"
#include "reasons.h"
#include "render.h"
#include "results.h"
#include "util.h"

#define BOLD(o)  ((o)->color ? "\033[1m" : "")
#define DIM(o)   ((o)->color ? "\033[2m" : "")
#define RESET(o) ((o)->color ? "\033[0m" : "")

static void heading(FILE *out, const struct render_opts *o, const char *title)
{
	fprintf(out, "\n%s%s%s\n", BOLD(o), title, RESET(o));
}

static double pct(double a, double b)
{
	return b > 0 ? 100.0 * a / b : 0;
}

static void bar(FILE *out, double frac, int width)
{
	int n = (int)(frac * width + 0.5);

	for (int i = 0; i < width; i++)
		fputs(i < n ? "#" : ".", out);
}

static const char *status_str(const json_t *st, char *buf, size_t len)
{
	json_t *code = json_object_get(st, "exit_code"), *sig = json_object_get(st, "signal");

	if (json_is_true(json_object_get(st, "timed_out")))
		snprintf(buf, len, "timed out");
	else if (jget_str(st, "error"))
		snprintf(buf, len, "error: %s", jget_str(st, "error"));
	else if (json_is_integer(sig))
		snprintf(buf, len, "killed by signal %lld", json_integer_value(sig));
	else if (json_is_integer(code))
		snprintf(buf, len, "exit %lld", json_integer_value(code));
	else
		snprintf(buf, len, "running");
	if (json_is_true(json_object_get(st, "interrupted")))
		strncat(buf, ", interrupted", len - strlen(buf) - 1);
	return buf;
}

static void reason_table(json_t *c, FILE *out, const struct render_opts *o)
{
	json_t *totals = json_object_get(c, "totals");
	json_t *off = json_object_get(totals, "off_ns"), *cnt = json_object_get(totals, "off_count");
	uint64_t sum = 0;
	char b1[32], b2[32];

	for (int r = 0; r < CT_R_MAX; r++)
		sum += jget_u64(off, reason_name(r));
	heading(out, o, "Off-CPU time by reason (summed over threads)");
	if (!sum) {
		fprintf(out, "  no thread left the CPU\n");
		return;
	}
	fprintf(out, "  %-12s %10s %7s %9s %10s\n", "reason", "time", "share", "count", "mean");
	for (int r = 0; r < CT_R_MAX; r++) {
		uint64_t ns = jget_u64(off, reason_name(r)), n = jget_u64(cnt, reason_name(r));

		if (!n)
			continue;
		fprintf(out, "  %-12s %10s %6.1f%% %9llu %10s  ", reason_name(r),
			fmt_ns(ns, b1, sizeof(b1)), pct(ns, sum), (unsigned long long)n,
			fmt_ns(ns / n, b2, sizeof(b2)));
		bar(out, sum ? (double)ns / sum : 0, 30);
		fputc('\n', out);
	}
}

static void parallelism_table(json_t *c, FILE *out, const struct render_opts *o)
{
	json_t *prof = json_object_get(json_object_get(json_object_get(c, "totals"), "parallelism"),
				       "profile_ns");
	uint64_t sum = 0;
	size_t k;
	json_t *v;
	char b[32];

	json_array_foreach(prof, k, v)
		sum += json_integer_value(v);
	heading(out, o, "Parallelism profile (share of wall time with k threads on a CPU at once)");
	json_array_foreach(prof, k, v) {
		double f = sum ? (double)json_integer_value(v) / sum : 0;

		fprintf(out, "  k=%-3zu %10s %6.1f%%  ", k, fmt_ns(json_integer_value(v), b, sizeof(b)),
			100 * f);
		bar(out, f, 40);
		fputc('\n', out);
	}
}

static void cpu_table(json_t *c, FILE *out, const struct render_opts *o)
{
	json_t *cpus = json_object_get(c, "cpus"), *v;
	uint64_t wall = jget_u64(c, "wall_ns");
	size_t i;
	char b[32];

	heading(out, o, "Per CPU: on-CPU time of the traced tasks");
	json_array_foreach(cpus, i, v) {
		uint64_t ns = jget_u64(v, "on_cpu_ns");
		double f = wall ? (double)ns / wall : 0;

		fprintf(out, "  cpu%-4llu %10s %6.1f%% of wall  ", (unsigned long long)jget_u64(v, "cpu"),
			fmt_ns(ns, b, sizeof(b)), 100 * f);
		bar(out, f > 1 ? 1 : f, 40);
		fputc('\n', out);
	}
}

static void top_reasons(json_t *off, char *buf, size_t len)
{
	int used[CT_R_MAX] = {};
	size_t pos = 0;

	buf[0] = '\0';
	for (int n = 0; n < 2; n++) {
		int best = -1;
		uint64_t bv = 0;
		char b[32];

		for (int r = 0; r < CT_R_MAX; r++) {
			uint64_t ns = jget_u64(off, reason_name(r));

			if (!used[r] && ns > bv) {
				bv = ns;
				best = r;
			}
		}
		if (best < 0)
			break;
		used[best] = 1;
		pos += snprintf(buf + pos, len - pos, "%s%s %s", n ? ", " : "", reason_name(best),
				fmt_ns(bv, b, sizeof(b)));
		if (pos >= len)
			break;
	}
	if (!buf[0])
		snprintf(buf, len, "-");
}

static void cpu_list(json_t *cl, char *buf, size_t len)
{
	size_t i, pos = 0;
	json_t *v;

	buf[0] = '\0';
	json_array_foreach(cl, i, v) {
		if (i >= 6) {
			snprintf(buf + pos, len - pos, ",...");
			break;
		}
		pos += snprintf(buf + pos, len - pos, "%s%lld", i ? "," : "", json_integer_value(v));
		if (pos >= len)
			break;
	}
	if (!buf[0])
		snprintf(buf, len, "-");
}

static void thread_table(json_t *c, FILE *out, const struct render_opts *o)
{
	json_t *threads = json_object_get(c, "threads"), *t;
	int max = o->max_threads ? o->max_threads : 20;
	size_t i, n = json_array_size(threads);
	char b1[32], b2[32], b3[32], rs[64], cl[40];

	heading(out, o, "Threads (busiest first)");
	fprintf(out, "  %-7s %-7s %-15s %9s %7s %7s %5s %7s %-9s %s\n", "tid", "pid", "comm",
		"on-CPU", "vol", "invol", "migr", "rq p99", "cpus", "off-CPU mostly");
	json_array_foreach(threads, i, t) {
		if ((int)i >= max)
			break;
		top_reasons(json_object_get(t, "off_ns"), rs, sizeof(rs));
		cpu_list(json_object_get(t, "cpus"), cl, sizeof(cl));
		fprintf(out, "  %-7llu %-7llu %-15.15s %9s %7llu %7llu %5llu %7s %-9s %s\n",
			(unsigned long long)jget_u64(t, "tid"), (unsigned long long)jget_u64(t, "pid"),
			jget_str(t, "comm") ? jget_str(t, "comm") : "?",
			fmt_ns(jget_u64(t, "on_cpu_ns"), b1, sizeof(b1)),
			(unsigned long long)jget_u64(t, "nvcsw"), (unsigned long long)jget_u64(t, "nivcsw"),
			(unsigned long long)jget_u64(t, "migrations"),
			fmt_ns(jpath_u64(t, "runq.p99_ns"), b2, sizeof(b2)), cl, rs);
	}
	if ((int)n > max)
		fprintf(out, "  %s... %zu more threads in run.json%s\n", DIM(o), n - max, RESET(o));
	(void)b3;
}

static void proc_table(json_t *c, FILE *out, const struct render_opts *o)
{
	json_t *procs = json_object_get(c, "processes"), *p;
	size_t i, n = json_array_size(procs);
	char b1[32], b2[32], b3[32], st[64];

	heading(out, o, "Processes");
	fprintf(out, "  %-7s %-7s %-15s %9s %9s %-14s %9s %7s %s\n", "pid", "ppid", "comm", "start",
		"end", "status", "peak RSS", "threads", "python");
	json_array_foreach(procs, i, p) {
		json_t *py = json_object_get(p, "python");
		int64_t end = json_integer_value(json_object_get(p, "end_ns"));

		if (i >= 30) {
			fprintf(out, "  %s... %zu more processes in run.json%s\n", DIM(o), n - i, RESET(o));
			break;
		}
		if (json_is_integer(json_object_get(p, "signal")))
			snprintf(st, sizeof(st), "signal %lld",
				 json_integer_value(json_object_get(p, "signal")));
		else if (json_is_integer(json_object_get(p, "exit_code")))
			snprintf(st, sizeof(st), "exit %lld",
				 json_integer_value(json_object_get(p, "exit_code")));
		else
			snprintf(st, sizeof(st), "alive");
		fprintf(out, "  %-7llu %-7llu %-15.15s %9s %9s %-14s %9s %7llu %s\n",
			(unsigned long long)jget_u64(p, "pid"), (unsigned long long)jget_u64(p, "ppid"),
			jget_str(p, "comm") ? jget_str(p, "comm") : "?",
			fmt_ns(json_integer_value(json_object_get(p, "start_ns")) < 0 ? 0 :
			       json_integer_value(json_object_get(p, "start_ns")), b1, sizeof(b1)),
			end < 0 ? "-" : fmt_ns(end, b2, sizeof(b2)), st,
			jget_u64(p, "maxrss_kb") ? fmt_kb(jget_u64(p, "maxrss_kb"), b3, sizeof(b3)) : "-",
			(unsigned long long)jget_u64(p, "threads"),
			json_is_object(py) ? jget_str(py, "version") : "-");
	}
}

static void lock_table(json_t *c, FILE *out, const struct render_opts *o)
{
	json_t *locks = json_object_get(c, "locks"), *l;
	size_t i, n = json_array_size(locks);
	char b1[32], b2[32], b3[32];

	heading(out, o, "Locks (futex waits, longest total first)");
	if (!n) {
		fprintf(out, "  no lock waits\n");
		return;
	}
	fprintf(out, "  %-7s %-18s %-13s %7s %10s %10s %10s %8s %7s\n", "pid", "lock", "label",
		"waits", "total", "mean", "max", "waiters", "wakers");
	json_array_foreach(locks, i, l) {
		uint64_t w = jget_u64(l, "waits");

		if (i >= 15) {
			fprintf(out, "  %s... %zu more locks in run.json%s\n", DIM(o), n - i, RESET(o));
			break;
		}
		fprintf(out, "  %-7llu %-18s %-13s %7llu %10s %10s %10s %8zu %7zu\n",
			(unsigned long long)jget_u64(l, "pid"), jget_str(l, "uaddr"),
			jget_str(l, "label") ? jget_str(l, "label") : "-", (unsigned long long)w,
			fmt_ns(jget_u64(l, "total_ns"), b1, sizeof(b1)),
			fmt_ns(w ? jget_u64(l, "total_ns") / w : 0, b2, sizeof(b2)),
			fmt_ns(jget_u64(l, "max_ns"), b3, sizeof(b3)),
			json_array_size(json_object_get(l, "waiters")),
			json_array_size(json_object_get(l, "wakers")));
	}
	/* the hand-offs of the busiest lock: who woke whom */
	l = json_array_get(locks, 0);
	json_t *edges = json_object_get(l, "edges"), *e;
	if (json_array_size(edges)) {
		fprintf(out, "  hand-offs of %s: ", jget_str(l, "uaddr"));
		json_array_foreach(edges, i, e) {
			if (i >= 4) {
				fprintf(out, " ...");
				break;
			}
			fprintf(out, "%s%llu->%llu x%llu", i ? ", " : "",
				(unsigned long long)jget_u64(e, "waker"),
				(unsigned long long)jget_u64(e, "waiter"),
				(unsigned long long)jget_u64(e, "count"));
		}
		fprintf(out, "  (waker->waiter)\n");
	}
}

/* The GIL of each CPython process, and what each of its threads did with it. */
static void gil_table(json_t *c, FILE *out, const struct render_opts *o)
{
	json_t *procs = json_object_get(c, "processes"), *threads = json_object_get(c, "threads");
	json_t *p, *t;
	size_t i, j;
	char b[8][32];
	int shown = 0;

	json_array_foreach(procs, i, p) {
		json_t *py = json_object_get(p, "python");
		uint64_t pid = jget_u64(p, "pid");

		if (!json_is_object(py))
			continue;
		if (!shown++)
			heading(out, o, "Python");
		if (!json_is_true(json_object_get(py, "frames")))
			fprintf(out, "  pid %llu: CPython %s: %s\n", (unsigned long long)pid,
				jget_str(py, "version"), jget_str(py, "note") ?: "frames not walked");
		if (!jget_str(py, "gil") || !jget_str(py, "gil")[0])
			continue;
		json_t *share = json_object_get(py, "gil_held_share");
		if (json_is_number(share))
			fprintf(out, "  pid %llu (CPython %s): the GIL was held %.1f%% of the process's "
				"life (%s)\n", (unsigned long long)pid, jget_str(py, "version"),
				100 * json_number_value(share),
				fmt_ns(jget_u64(py, "gil_held_ns"), b[0], 32));
		else
			fprintf(out, "  pid %llu (CPython %s): GIL held time not measured (%s)\n",
				(unsigned long long)pid, jget_str(py, "version"),
				jget_u64(c, "samples") ? "no on-CPU sample fell in its threads" :
				"no on-CPU samples: --no-stacks");
		fprintf(out, "  %s%-7s %9s %9s %9s %7s %9s %9s %9s %7s %7s%s\n", DIM(o), "tid", "held",
			"no GIL", "waiting", "waits", "acquired", "wait p50", "wait p99", "drop rq",
			"forced", RESET(o));
		json_array_foreach(threads, j, t) {
			json_t *g = json_object_get(t, "gil");
			struct gil_cells gc;

			if (jget_u64(t, "pid") != pid || !json_is_object(g))
				continue;
			gil_cells(g, &gc);
			fprintf(out, "  %-7llu %9s %9s %9s %7s %9s %9s %9s %7s %7s\n",
				(unsigned long long)jget_u64(t, "tid"), gc.held, gc.no_gil, gc.wait,
				gc.waits, gc.acquired, gc.p50, gc.p99, gc.drop_requests, gc.forced);
		}
	}
	if (shown)
		fprintf(out, "  %sheld: on-CPU time holding the GIL (from samples) plus time preempted "
			"holding it; no GIL: on the CPU\n  without it (native code, I/O); acquired: "
			"acquisitions that had to wait, with their wait\n  p50/p99; drop rq: waits that "
			"timed out and asked the holder to drop it; forced: drops on\n  request. Python "
			"frames replace the interpreter's own native frames in stacks.%s\n", DIM(o),
			RESET(o));
}

/* What the kernel the case ran on could not measure (run.json kernel.not_measured). */
static void kernel_line(json_t *c, FILE *out, const struct render_opts *o)
{
	json_t *k = json_object_get(c, "kernel");
	json_t *miss = json_object_get(k, "not_measured"), *v;
	size_t i;

	if (!json_array_size(miss))
		return;
	heading(out, o, "Not measured on this kernel");
	fprintf(out, "  kernel %s\n", json_string_value(json_object_get(k, "release")) ?: "?");
	json_array_foreach(miss, i, v)
		fprintf(out, "  %s\n", json_string_value(v));
}

static void counters_line(json_t *c, FILE *out, const struct render_opts *o)
{
	json_t *cnt = json_object_get(c, "counters"), *v;
	const char *k;
	int any = 0;

	json_object_foreach(cnt, k, v) {
		if (!strcmp(k, "python_walks"))
			continue;   /* work done, not a loss */
		if (json_integer_value(v)) {
			if (!any)
				heading(out, o, "Not measured");
			fprintf(out, "  %s: %lld\n", k, json_integer_value(v));
			any = 1;
		}
	}
	if (!any)
		fprintf(out, "\n%sNothing lost: no map overflow, no dropped event.%s\n", DIM(o), RESET(o));
	kernel_line(c, out, o);
}

void render_text_case(json_t *c, FILE *out, const struct render_opts *o)
{
	json_t *totals = json_object_get(c, "totals"), *cmd = json_object_get(c, "command"), *v;
	json_t *ru = json_object_get(c, "rusage");
	uint64_t wall = jget_u64(c, "wall_ns"), on = jget_u64(totals, "on_cpu_ns");
	double secs = wall / 1e9;
	char b1[32], b2[32], b3[32], b4[32], st[96];
	size_t i;

	fprintf(out, "%scommand:%s ", BOLD(o), RESET(o));
	json_array_foreach(cmd, i, v)
		fprintf(out, "%s%s", i ? " " : "", json_string_value(v));
	fprintf(out, "  [%s]\n", status_str(json_object_get(c, "status"), st, sizeof(st)));
	fprintf(out, "wall %s   on-CPU %s   effective parallelism %.2f   CPUs used %llu\n",
		fmt_ns(wall, b1, sizeof(b1)), fmt_ns(on, b2, sizeof(b2)),
		jpath_real(totals, "parallelism.effective"),
		(unsigned long long)jget_u64(totals, "cpus_used"));
	if (json_is_object(ru))
		fprintf(out, "user %s   sys %s   (kernel rusage of the tree; peak RSS %s)\n",
			fmt_ns(jget_u64(ru, "utime_ns"), b1, sizeof(b1)),
			fmt_ns(jget_u64(ru, "stime_ns"), b2, sizeof(b2)),
			fmt_kb(jget_u64(ru, "maxrss_kb"), b3, sizeof(b3)));
	fprintf(out, "processes %llu   threads %llu   peak RSS summed over processes %s\n",
		(unsigned long long)jget_u64(totals, "processes"),
		(unsigned long long)jget_u64(totals, "threads"),
		fmt_kb(jget_u64(totals, "peak_rss_kb_sum"), b4, sizeof(b4)));
	fprintf(out, "context switches: voluntary %llu (%.0f/s), involuntary %llu (%.0f/s); "
		"migrations %llu\n",
		(unsigned long long)jget_u64(totals, "nvcsw"),
		secs > 0 ? jget_u64(totals, "nvcsw") / secs : 0,
		(unsigned long long)jget_u64(totals, "nivcsw"),
		secs > 0 ? jget_u64(totals, "nivcsw") / secs : 0,
		(unsigned long long)jget_u64(totals, "migrations"));
	fprintf(out, "run-queue latency: p50 %s  p99 %s  max %s  (%llu waits for a CPU)\n",
		fmt_ns(jpath_u64(totals, "runq.p50_ns"), b1, sizeof(b1)),
		fmt_ns(jpath_u64(totals, "runq.p99_ns"), b2, sizeof(b2)),
		fmt_ns(jpath_u64(totals, "runq.max_ns"), b3, sizeof(b3)),
		(unsigned long long)jpath_u64(totals, "runq.count"));
	reason_table(c, out, o);
	parallelism_table(c, out, o);
	cpu_table(c, out, o);
	thread_table(c, out, o);
	proc_table(c, out, o);
	lock_table(c, out, o);
	gil_table(c, out, o);
	counters_line(c, out, o);
}

static const char *fnum(double v, const char *fmt, char *buf, size_t len)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, fmt, v);
	return buf;
}

static const char *fsec(double s, char *buf, size_t len)
{
	if (isnan(s))
		return snprintf(buf, len, "-"), buf;
	return fmt_ns((uint64_t)(s * 1e9), buf, len);
}

static void compare_tables(const struct workload_cmp *w, FILE *out, const struct render_opts *o)
{
	char b[12][32];

	heading(out, o, "");
	fprintf(out, "%sWorkload %s%s%s%s\n", BOLD(o), w->name, w->kind ? " (kind " : "",
		w->kind ? w->kind : "", w->kind ? ")" : "");
	fprintf(out, "  %-15s %8s %11s %7s %5s %8s %4s %6s %7s %8s %5s %13s\n", "model", "wall",
		"min-max", "speedup", "par", "on-CPU", "CPUs", "vcsw/s", "ivcsw/s", "rq p99", "migr",
		"RSS/anon sum");
	for (int m = 0; m < w->nrows; m++) {
		const struct model_row *r = &w->rows[m];
		char range[40], name[40];

		snprintf(name, sizeof(name), "%s%s", r->model, r->baseline ? "*" : "");
		if (!r->ok) {
			fprintf(out, "  %-15s FAILED (%d of %d runs): %s\n", name, r->runs - r->ok,
				r->runs, r->failure ? r->failure : "?");
			continue;
		}
		snprintf(range, sizeof(range), "%.2f-%.2fs", r->wall_min, r->wall_max);
		char mem[40];

		snprintf(mem, sizeof(mem), "%s/%s", isnan(r->rss_kb) ? "-" : fmt_kb((uint64_t)r->rss_kb, b[9], 32),
			 isnan(r->anon_kb) ? "-" : fmt_kb((uint64_t)r->anon_kb, b[10], 32));
		fprintf(out, "  %-15s %8s %11s %7s %5s %8s %4s %6s %7s %8s %5s %13s%s\n", name,
			fsec(r->wall, b[0], 32), r->ok > 1 ? range : "", fnum(r->speedup, "%.2fx", b[1], 32),
			fnum(r->par, "%.2f", b[2], 32), fsec(r->cpu, b[3], 32), fnum(r->cores, "%.0f", b[4], 32),
			fnum(r->vcs, "%.0f", b[5], 32), fnum(r->ivcs, "%.0f", b[6], 32),
			fsec(r->rq_p99, b[7], 32), fnum(r->migrations, "%.0f", b[8], 32), mem,
			r->ok < r->runs ? "  (some runs failed)" : "");
	}
	fprintf(out, "  %-15s %8s %8s %8s %8s %8s %8s %8s %8s %9s\n", "off-CPU:", "lock", "gil",
		"io", "poll", "sleep", "child", "preempt", "other", "GIL held");
	for (int m = 0; m < w->nrows; m++) {
		const struct model_row *r = &w->rows[m];

		if (!r->ok)
			continue;
		fprintf(out, "  %-15s %8s %8s %8s %8s %8s %8s %8s %8s %9s\n", r->model,
			fsec(r->off[CT_R_LOCK], b[0], 32),
			fsec(r->off[CT_R_GIL] + r->off[CT_R_GIL_HANDOFF], b[1], 32),
			fsec(r->off[CT_R_IO], b[2], 32), fsec(r->off[CT_R_POLL], b[3], 32),
			fsec(r->off[CT_R_SLEEP], b[4], 32), fsec(r->off[CT_R_CHILD], b[5], 32),
			fsec(r->off[CT_R_PREEMPTED], b[6], 32), fsec(r->off[CT_R_OTHER], b[7], 32),
			fnum(r->gil_held * 100, "%.0f%%", b[8], 32));
	}
	bool any = false;
	for (int m = 0; m < w->nrows; m++)
		any |= w->rows[m].ok && !isnan(w->rows[m].ops_per_s);
	if (!any)
		return;
	fprintf(out, "  %-15s %12s %14s %14s %14s\n", "reported:", "ops/s", "latency p50",
		"latency p99", "loop lag p99");
	for (int m = 0; m < w->nrows; m++) {
		const struct model_row *r = &w->rows[m];

		if (!r->ok)
			continue;
		fprintf(out, "  %-15s %12s %14s %14s %14s\n", r->model,
			fnum(r->ops_per_s, "%.0f", b[0], 32), fnum(r->lat_p50_ms, "%.2fms", b[1], 32),
			fnum(r->lat_p99_ms, "%.2fms", b[2], 32), fnum(r->lag_p99_ms, "%.2fms", b[3], 32));
	}
}

static void render_run(json_t *run, FILE *out, const struct render_opts *o)
{
	struct workload_cmp *w;
	struct finding *f;
	int nw, nf, ncpus = jpath_u64(run, "machine.cpus_online");
	static const char *const mark[] = {"holds", "does NOT hold", "not measured"};

	compare_run(run, &w, &nw);
	fprintf(out, "%sconctrace run: %s%s  (%zu cases on %d CPUs, kernel %s)\n", BOLD(o),
		jget_str(run, "name"), RESET(o), json_array_size(json_object_get(run, "cases")), ncpus,
		jget_str(json_object_get(run, "machine"), "kernel") ?: "?");
	fprintf(out, "Medians over repeats. speedup: against the baseline model (*). par: effective "
		"parallelism\n(on-CPU time / wall). Off-CPU times are summed over threads; gil includes "
		"hand-offs.\nGIL held: share of its life the busiest CPython process held its GIL.\n");
	for (int i = 0; i < nw; i++)
		compare_tables(&w[i], out, o);
	findings_evaluate(w, nw, ncpus, &f, &nf);
	heading(out, o, "Findings (checked against this run's measurements)");
	for (int i = 0; i < nf; i++) {
		const char *m = mark[f[i].verdict == V_YES ? 0 : f[i].verdict == V_NO ? 1 : 2];

		fprintf(out, "  [%s] %s\n      %s\n", m, f[i].claim, f[i].evidence);
	}
	if (json_is_true(json_object_get(run, "interrupted")))
		fprintf(out, "\nThe run was interrupted (Ctrl-C): only the cases above were measured.\n");
	free(f);
	compare_free(w, nw);
}

int render_text(json_t *run, FILE *out, const struct render_opts *o)
{
	json_t *cases = json_object_get(run, "cases"), *c;
	const char *kind = jget_str(run, "kind");
	size_t i;

	if (kind && !strcmp(kind, "run")) {
		render_run(run, out, o);
		if (!o->details)
			return ferror(out) ? -5 : 0;
		fprintf(out, "\n\n%sEvery case in detail%s\n", BOLD(o), RESET(o));
	}
	json_array_foreach(cases, i, c) {
		if (i || (kind && !strcmp(kind, "run")))
			fputc('\n', out);
		if (jget_str(c, "workload"))
			fprintf(out, "%s== case %zu: %s / %s, repeat %llu ==%s\n", BOLD(o), i + 1,
				jget_str(c, "workload"), jget_str(c, "model"),
				(unsigned long long)jget_u64(c, "repeat") + 1, RESET(o));
		render_text_case(c, out, o);
	}
	return ferror(out) ? -5 : 0;
}
