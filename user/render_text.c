/* The text report: aligned tables with units, readable at 100 columns. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "compare.h"
#include "counters.h"
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
	/* a share: anything else (a corrupt run's figures) draws an empty or a full bar */
	int n = !(frac > 0) ? 0 : frac >= 1 ? width : (int)(frac * width + 0.5);

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
	double sum = 0;      /* in double: 65 levels of up to 2^62 ns pass 64 bits */
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
		/* the second by name only: the row stays within 100 columns */
		if (n)
			pos += snprintf(buf + pos, len - pos, ", %s", reason_name(best));
		else
			pos += snprintf(buf + pos, len - pos, "%s %s", reason_name(best),
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
	if (json_array_size(cl) > 2) {
		/* the list is in run.json; the column holds 5 characters */
		snprintf(buf, len, "%zucpu", json_array_size(cl));
		return;
	}
	json_array_foreach(cl, i, v) {
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
	fprintf(out, "  %-7s %-7s %-15s %8s %6s %6s %4s %7s %-5s %s\n", "tid", "pid", "comm",
		"on-CPU", "vol", "invol", "migr", "rq p99", "cpus", "off-CPU mostly");
	json_array_foreach(threads, i, t) {
		if ((int)i >= max)
			break;
		top_reasons(json_object_get(t, "off_ns"), rs, sizeof(rs));
		cpu_list(json_object_get(t, "cpus"), cl, sizeof(cl));
		fprintf(out, "  %-7llu %-7llu %-15.15s %8s %6llu %6llu %4llu %7s %-5s %s\n",
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
		int col = fprintf(out, "  hand-offs (waker->waiter) of %s:", jget_str(l, "uaddr"));

		json_array_foreach(edges, i, e) {
			char one[80];
			int w = snprintf(one, sizeof(one), "%s %llu->%llu x%llu", i ? "," : "",
					 (unsigned long long)jget_u64(e, "waker"),
					 (unsigned long long)jget_u64(e, "waiter"),
					 (unsigned long long)jget_u64(e, "count"));

			if (col + w > 95) {
				fprintf(out, " ...");   /* all of them are in run.json */
				break;
			}
			col += fprintf(out, "%s", one);
		}
		fputc('\n', out);
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
		if (!json_is_true(json_object_get(py, "frames")) || jget_str(py, "note"))
			fprintf(out, "  pid %llu: CPython %s: %s\n", (unsigned long long)pid,
				jget_str(py, "version"), jget_str(py, "note") ?: "frames not walked");
		json_t *tasks = json_object_get(py, "asyncio_tasks"), *tk;
		size_t ti;
		uint64_t tsum = 0;

		json_array_foreach(tasks, ti, tk)
			tsum += jget_u64(tk, "samples");
		if (tsum) {
			/* which asyncio task was running when the samples fell (3.14+) */
			fprintf(out, "  pid %llu: on-CPU samples by running asyncio task:",
				(unsigned long long)pid);
			json_array_foreach(tasks, ti, tk) {
				if (ti == 8) {
					fprintf(out, " ...");
					break;
				}
				fprintf(out, "%s %s %.0f%%", ti ? "," : "", jget_str(tk, "task"),
					100.0 * jget_u64(tk, "samples") / tsum);
			}
			fputc('\n', out);
		}
		json_t *waiting = json_object_get(py, "asyncio_waiting");

		if (json_array_size(waiting)) {
			fprintf(out, "  pid %llu: asyncio tasks seen waiting (in %llu snapshots, every "
				"100 ms):\n", (unsigned long long)pid,
				(unsigned long long)jget_u64(py, "asyncio_snapshots"));
			json_array_foreach(waiting, ti, tk) {
				if (ti == 12) {
					fprintf(out, "    ... %zu more in run.json\n",
						json_array_size(waiting) - 12);
					break;
				}
				fprintf(out, "    %-20s awaits at %s%s%s (%llu)\n", jget_str(tk, "task"),
					jget_str(tk, "awaits_at"),
					jget_str(tk, "awaited_by")[0] ? ", awaited by " : "",
					jget_str(tk, "awaited_by"),
					(unsigned long long)jget_u64(tk, "snapshots"));
			}
		}
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
			"holding it; no GIL: on\n  the CPU without it (native code, I/O); acquired: "
			"acquisitions that had to wait, with\n  their wait p50/p99; drop rq: waits that "
			"timed out and asked the holder to drop it;\n  forced: drops on request. Python "
			"frames replace the interpreter's own native frames in\n  stacks.%s\n", DIM(o),
			RESET(o));
}

/* text from column col, wrapped at 96 columns onto lines indented by indent */
static void wrap_text(FILE *out, int indent, int col, const char *text)
{
	int first = col;

	while (*text) {
		int w = strcspn(text, " ");

		if (col > first && col + 1 + w > 96) {
			fprintf(out, "\n%*s", indent, "");
			col = first = indent;
		} else if (col > first) {
			fputc(' ', out);
			col++;
		}
		fprintf(out, "%.*s", w, text);
		col += w;
		text += w;
		while (*text == ' ')
			text++;
	}
	fputc('\n', out);
}

static void wrapped(FILE *out, const char *prefix, const char *text)
{
	fputs(prefix, out);
	wrap_text(out, strlen(prefix), strlen(prefix), text);
}

static void counter_explained(FILE *out, const char *name)
{
	const struct counter_info *ci = counter_info(name);
	char *a;

	if (!ci)
		return;
	a = xasprintf("avoid: %s.", ci->avoid);
	wrapped(out, "      ", ci->affects);
	wrapped(out, "      ", a);
	free(a);
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
		wrapped(out, "  ", json_string_value(v));
}

static void counters_line(json_t *c, FILE *out, const struct render_opts *o)
{
	const char *names[64];
	long long vals[64];
	int n = counters_nonzero(c, names, vals, 64);

	if (!n) {
		fprintf(out, "\n%sNothing lost: no map overflow, no dropped event.%s\n", DIM(o), RESET(o));
		return;
	}
	heading(out, o, "Not measured");
	for (int i = 0; i < n; i++) {
		fprintf(out, "  %s: %lld\n", names[i], vals[i]);
		counter_explained(out, names[i]);
	}
}

/* The run's cases that lost events (map overflows, drops: marked ! in the comparison),
 * then the other counters summed over the cases, each explained once. */
static void run_not_measured(json_t *run, FILE *out, const struct render_opts *o)
{
	json_t *cases = json_object_get(run, "cases"), *c, *total = json_object(), *ncases, *v;
	const char *k;
	bool head = false;
	size_t i;

	json_array_foreach(cases, i, c) {
		const char *names[64];
		long long vals[64];
		int n = counters_nonzero(c, names, vals, 64);
		char list[512];
		int col;

		for (int j = 0; j < n; j++) {
			json_t *t = json_object_get(total, names[j]);

			if (!t)
				json_object_set_new(total, names[j], t = json_pack("[II]", 0LL, 0LL));
			json_array_set_new(t, 0, json_integer(json_integer_value(json_array_get(t, 0)) + 1));
			json_array_set_new(t, 1, json_integer(json_integer_value(json_array_get(t, 1)) + vals[j]));
		}
		if (!counters_lost(c))
			continue;
		if (!head)
			heading(out, o, "Not measured: events lost (these cases are marked ! above)");
		head = true;
		counters_list(c, true, list, sizeof(list));
		col = fprintf(out, "  case %zu %s/%s r%llu:", i + 1, jget_str(c, "workload") ?: "?",
			      jget_str(c, "model") ?: "?", (unsigned long long)jget_u64(c, "repeat") + 1);
		fputc(' ', out);
		wrap_text(out, 6, col + 1, list);
	}
	if (json_object_size(total))
		heading(out, o, head ? "What each counter affects (counts summed over the cases)" :
			"Not measured (counts summed over the cases)");
	/* in the counters' own order: that of the first case that has each */
	json_array_foreach(cases, i, c) {
		const char *names[64];
		long long vals[64];
		int n = counters_nonzero(c, names, vals, 64);

		for (int j = 0; j < n; j++) {
			if (!(ncases = json_object_get(total, names[j])) || json_is_null(ncases))
				continue;
			fprintf(out, "  %s: %lld in %lld case(s)\n", names[j],
				json_integer_value(json_array_get(ncases, 1)),
				json_integer_value(json_array_get(ncases, 0)));
			counter_explained(out, names[j]);
			json_object_set_new(total, names[j], json_null());
		}
	}
	(void)k;
	(void)v;
	json_decref(total);
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
	kernel_line(c, out, o);
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
	return fmt_ns(u64_sat(s * 1e9), buf, len);
}

/* The model column: wide enough for multiprocessing-forkserver with its "*!" marks. */
static int model_width(const struct workload_cmp *w)
{
	int mw = 17;

	for (int m = 0; m < w->nrows; m++)
		if ((int)strlen(w->rows[m].model) + 2 > mw)
			mw = strlen(w->rows[m].model) + 2;
	return mw;
}

static void calls_table(const struct workload_cmp *w, FILE *out, const struct render_opts *o);
static void race_table(const struct workload_cmp *w, FILE *out);
static void reported_table(const struct workload_cmp *w, FILE *out);

/* Three tables of at most 100 columns (with the usual model names). */
static void compare_tables(const struct workload_cmp *w, FILE *out, const struct render_opts *o)
{
	char b[12][32];
	int mw = model_width(w);

	heading(out, o, "");
	fprintf(out, "%sWorkload %s%s%s%s\n", BOLD(o), w->name, w->kind ? " (kind " : "",
		w->kind ? w->kind : "", w->kind ? ")" : "");
	fprintf(out, "  %-*s %8s %11s %7s %5s %8s %4s %6s %7s %8s %5s\n", mw, "model", "wall",
		"min-max", "speedup", "par", "on-CPU", "CPUs", "vcsw/s", "ivcsw/s", "rq p99", "migr");
	for (int m = 0; m < w->nrows; m++) {
		const struct model_row *r = &w->rows[m];
		char range[40], name[40];

		snprintf(name, sizeof(name), "%s%s%s", r->model, r->baseline ? "*" : "",
			 r->lost ? "!" : "");
		if (!r->ok) {
			char *what = xasprintf("FAILED (%d of %d runs): %s", r->runs - r->ok, r->runs,
					       r->failure[0] ? r->failure : "?");

			fprintf(out, "  %-*s ", mw, name);
			wrap_text(out, mw + 5, mw + 3, what);
			free(what);
			continue;
		}
		snprintf(range, sizeof(range), "%.2f-%.2fs", r->wall_min, r->wall_max);
		fprintf(out, "  %-*s %8s %11s %7s %5s %8s %4s %6s %7s %8s %5s%s\n", mw, name,
			fsec(r->wall, b[0], 32), r->ok > 1 ? range : "", fnum(r->speedup, "%.2fx", b[1], 32),
			fnum(r->par, "%.2f", b[2], 32), fsec(r->cpu, b[3], 32), fnum(r->cores, "%.0f", b[4], 32),
			fnum(r->vcs, "%.0f", b[5], 32), fnum(r->ivcs, "%.0f", b[6], 32),
			fsec(r->rq_p99, b[7], 32), fnum(r->migrations, "%.0f", b[8], 32),
			r->ok < r->runs ? " (some runs failed)" : "");
	}
	fprintf(out, "  %-*s %8s %8s %8s %8s %8s %8s %8s %8s %8s\n", mw, "off-CPU:", "lock", "gil",
		"io", "poll", "sleep", "child", "preempt", "other", "GIL held");
	for (int m = 0; m < w->nrows; m++) {
		const struct model_row *r = &w->rows[m];

		if (!r->ok)
			continue;
		fprintf(out, "  %-*s %8s %8s %8s %8s %8s %8s %8s %8s %8s\n", mw, r->model,
			fsec(r->off[CT_R_LOCK], b[0], 32),
			fsec(r->off[CT_R_GIL] + r->off[CT_R_GIL_HANDOFF], b[1], 32),
			fsec(r->off[CT_R_IO], b[2], 32), fsec(r->off[CT_R_POLL], b[3], 32),
			fsec(r->off[CT_R_SLEEP], b[4], 32), fsec(r->off[CT_R_CHILD], b[5], 32),
			fsec(r->off[CT_R_PREEMPTED], b[6], 32), fsec(r->off[CT_R_OTHER], b[7], 32),
			fnum(r->gil_held * 100, "%.0f%%", b[8], 32));
	}
	reported_table(w, out);
	calls_table(w, out, o);
	race_table(w, out);
}

/* A race workload: the shared counter in each model, and the updates it lost. */
static void race_table(const struct workload_cmp *w, FILE *out)
{
	bool any = false;
	char b[6][32];

	for (int m = 0; m < w->nrows; m++)
		any |= w->rows[m].ok && !isnan(w->rows[m].race_lost);
	if (!any)
		return;
	fprintf(out, "  %-*s %9s %9s %9s %6s %-22s %11s %9s\n", model_width(w), "counter:",
		"updates", "final", "lost", "lost%", "memory", "lock waits", "GIL drops");
	for (int m = 0; m < w->nrows; m++) {
		const struct model_row *r = &w->rows[m];
		char mem[40];

		if (!r->ok || isnan(r->race_lost))
			continue;
		if (r->shared == 0)
			snprintf(mem, sizeof(mem), "own (tasks: %.0f)", r->own_sum);
		else
			snprintf(mem, sizeof(mem), "shared%s", r->locked == 1 ? ", locked" : "");
		fprintf(out, "  %-*s %9s %9s %9s %5s%% %-22s %11s %9s\n", model_width(w), r->model,
			fnum(r->expected, "%.0f", b[0], 32), fnum(r->final, "%.0f", b[1], 32),
			fnum(r->race_lost, "%.0f", b[2], 32),
			fnum(r->expected > 0 ? 100 * r->race_lost / r->expected : NAN, "%.0f", b[3], 32), mem,
			fnum(r->lock_waits, "%.0f", b[4], 32), fnum(r->gil_drops, "%.0f", b[5], 32));
	}
}

/* A function workload: each model's calls, what raised, and whether the results agree. */
static void calls_table(const struct workload_cmp *w, FILE *out, const struct render_opts *o)
{
	bool any = false;
	char b[3][32];

	for (int m = 0; m < w->nrows; m++)
		any |= w->rows[m].digest != NULL;
	if (!any)
		return;
	fprintf(out, "  %-*s %8s %8s %-26s %s\n", model_width(w), "calls:", "calls", "raised", "results",
		"start method");
	for (int m = 0; m < w->nrows; m++) {
		const struct model_row *r = &w->rows[m];
		char res[64];

		if (!r->digest)
			continue;
		snprintf(res, sizeof(res), "%s%s", r->results_differ ? "DIFFERENT from baseline" :
			 r->baseline ? "baseline" : "same as baseline",
			 r->digest_varies ? ", vary" : "");
		fprintf(out, "  %-*s %8s %8s %-26s %s\n", model_width(w), r->model, fnum(r->calls, "%.0f", b[0], 32),
			fnum(r->errors, "%.0f", b[1], 32), res, r->start_method ? r->start_method : "-");
		if (r->results_differ)
			fprintf(out, "  %-*s first result %.70s\n", model_width(w), "", r->sample ? r->sample : "-");
	}
	for (int m = 0; m < w->nrows; m++) {
		const struct model_row *r = &w->rows[m];
		const char *tb = r->first_traceback, *p;
		int lines = 0;

		if (!r->first_error)
			continue;
		fprintf(out, "  %s%s: %.0f of %.0f calls raised; the first traceback:%s\n", BOLD(o),
			r->model, r->errors, r->calls, RESET(o));
		/* its last lines: where it was raised, and the exception */
		for (p = tb ? tb + strlen(tb) : NULL; p && p > tb && lines < 7; p--)
			if (p[-1] == '\n' && p[0])
				lines++;
		for (const char *q = p; q && *q;) {
			size_t len = strcspn(q, "\n");

			fprintf(out, "      %.*s\n", (int)len, q);
			q += len + (q[len] == '\n');
		}
		if (!tb)
			fprintf(out, "      %s\n", r->first_error);
	}
}

/* Memory, and the figures the workload reported itself (ops/s, latencies, loop lag). */
static void reported_table(const struct workload_cmp *w, FILE *out)
{
	char b[12][32];
	int mw = model_width(w);

	fprintf(out, "  %-*s %13s %12s %14s %14s %14s\n", mw, "memory, reported:", "RSS/anon sum",
		"ops/s", "latency p50", "latency p99", "loop lag p99");
	for (int m = 0; m < w->nrows; m++) {
		const struct model_row *r = &w->rows[m];
		char mem[40];

		if (!r->ok)
			continue;
		snprintf(mem, sizeof(mem), "%s/%s",
			 isnan(r->rss_kb) ? "-" : fmt_kb(u64_sat(r->rss_kb), b[9], 32),
			 isnan(r->anon_kb) ? "-" : fmt_kb(u64_sat(r->anon_kb), b[10], 32));
		fprintf(out, "  %-*s %13s %12s %14s %14s %14s\n", mw, r->model, mem,
			fnum(r->ops_per_s, "%.0f", b[0], 32), fsec(r->lat_p50_ms / 1e3, b[1], 32),
			fsec(r->lat_p99_ms / 1e3, b[2], 32), fsec(r->lag_p99_ms / 1e3, b[3], 32));
	}
}

/* Each failed case, why, and the last lines of its output.log (saved in run.json). */
static void failed_cases(json_t *run, FILE *out, const struct render_opts *o)
{
	json_t *cases = json_object_get(run, "cases"), *c;
	int nfailed = 0;
	size_t i;

	json_array_foreach(cases, i, c)
		nfailed += !compare_case_ok(c);
	if (!nfailed)
		return;
	heading(out, o, "Failed cases");
	json_array_foreach(cases, i, c) {
		const char *tail = jget_str(json_object_get(c, "status"), "output_tail");
		char why[256];
		int col;

		if (compare_case_ok(c))
			continue;
		compare_case_failure(c, why, sizeof(why));
		col = fprintf(out, "  case %zu %s/%s r%llu:", i + 1, jget_str(c, "workload") ?: "?",
			      jget_str(c, "model") ?: "?", (unsigned long long)jget_u64(c, "repeat") + 1);
		fputc(' ', out);
		wrap_text(out, 6, col + 1, why);
		if (!tail) {
			fprintf(out, "      (%s/output.log is empty)\n", jget_str(c, "dir") ?: "?");
			continue;
		}
		fprintf(out, "      last lines of %s/output.log:\n", jget_str(c, "dir") ?: "?");
		for (const char *l = tail; *l;) {
			int len = strcspn(l, "\n"), show = len > 90 ? 90 : len;

			while (show < len && show > 0 && (l[show] & 0xc0) == 0x80)
				show--;   /* not inside a UTF-8 sequence */
			fprintf(out, "      | %.*s\n", show, l);
			l += len + (l[len] == '\n');
		}
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
	fprintf(out, "Medians over repeats. speedup: against the baseline model (*). par: "
		"effective parallelism\n(on-CPU time / wall). Off-CPU times are summed over "
		"threads; gil includes hand-offs.\nGIL held: share of its life the busiest CPython "
		"process held its GIL. !: events lost (Not measured).\n");
	for (int i = 0; i < nw; i++)
		compare_tables(&w[i], out, o);
	findings_evaluate(w, nw, ncpus, &f, &nf);
	heading(out, o, "Findings (checked against this run's measurements)");
	for (int i = 0; i < nf; i++) {
		const char *m = mark[f[i].verdict == V_YES ? 0 : f[i].verdict == V_NO ? 1 : 2];

		fprintf(out, "  [%s] %s\n", m, f[i].claim);
		wrapped(out, "      ", f[i].evidence);
	}
	failed_cases(run, out, o);
	run_not_measured(run, out, o);
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
