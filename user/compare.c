/* Model rows and findings. Every verdict is computed from the measured rows; a claim whose
 * models were not run is "not measured", never assumed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "compare.h"
#include "counters.h"
#include "reasons.h"
#include "results.h"
#include "util.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	if (n == 0)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

bool compare_case_ok(json_t *c)
{
	json_t *st = json_object_get(c, "status");

	return json_integer_value(json_object_get(st, "exit_code")) == 0 &&
	       json_is_integer(json_object_get(st, "exit_code")) &&
	       !json_is_true(json_object_get(st, "timed_out")) &&
	       !json_is_true(json_object_get(st, "interrupted")) && !jget_str(st, "error");
}

void compare_case_failure(json_t *c, char *buf, size_t len)
{
	json_t *st = json_object_get(c, "status"), *sig = json_object_get(st, "signal");
	char t[32];

	/* the workload's own reason (the harness's "error") says more than its exit status */
	if (jget_str(json_object_get(c, "workload_report"), "error"))
		snprintf(buf, len, "%s", jget_str(json_object_get(c, "workload_report"), "error"));
	else if (jget_str(st, "error"))
		snprintf(buf, len, "%s", jget_str(st, "error"));
	else if (json_is_true(json_object_get(st, "timed_out")))
		snprintf(buf, len, "timed out after %s (its timeout)",
			 fmt_ns(jget_u64(c, "timeout_ns"), t, sizeof(t)));
	else if (json_is_true(json_object_get(st, "interrupted")))
		snprintf(buf, len, "interrupted");
	else if (json_is_integer(sig))
		snprintf(buf, len, "killed by signal %lld (%s)", json_integer_value(sig),
			 strsignal(json_integer_value(sig)));
	else if (json_is_integer(json_object_get(st, "exit_code")))
		snprintf(buf, len, "exit status %lld",
			 json_integer_value(json_object_get(st, "exit_code")));
	else
		snprintf(buf, len, "no exit status");
}

static double root_threads(json_t *c)
{
	json_t *procs = json_object_get(c, "processes"), *p;
	size_t i;

	json_array_foreach(procs, i, p)
		if (jget_u64(p, "ppid") == 0)
			return jget_u64(p, "threads");
	return NAN;
}

static double report_num(json_t *c, const char *key)
{
	json_t *r = json_object_get(c, "workload_report"), *v = json_object_get(r, key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* median over the successful repeats of one figure */
typedef double (*getter)(json_t *c, const void *arg);

static double agg(json_t **cs, int n, getter g, const void *arg, double *mn, double *mx)
{
	double *v = xcalloc(n + 1, sizeof(double)), m;
	int k = 0;

	for (int i = 0; i < n; i++) {
		double x = g(cs[i], arg);

		if (!isnan(x))
			v[k++] = x;
	}
	m = median(v, k);
	if (mn)
		*mn = k ? v[0] : NAN;
	if (mx)
		*mx = k ? v[k - 1] : NAN;
	free(v);
	return m;
}

static double g_path(json_t *c, const void *path)
{
	return jpath_real(c, path);
}

static double g_wall(json_t *c, const void *a)
{
	(void)a;
	return jget_u64(c, "wall_ns") / 1e9;
}

static double g_rate(json_t *c, const void *path)
{
	double w = jget_u64(c, "wall_ns") / 1e9;

	return w > 0 ? jpath_real(c, path) / w : NAN;
}

static double g_off(json_t *c, const void *reason)
{
	return jget_u64(json_object_get(json_object_get(c, "totals"), "off_ns"), reason) / 1e9;
}

static double g_report(json_t *c, const void *key)
{
	return report_num(c, key);
}

static double g_root_threads(json_t *c, const void *a)
{
	(void)a;
	return root_threads(c);
}

/* The largest GIL held share among the case's CPython processes (each process of
 * multiprocessing has its own GIL). */
static double g_gil_held(json_t *c, const void *a)
{
	json_t *p;
	size_t i;
	double best = NAN;

	(void)a;
	json_array_foreach(json_object_get(c, "processes"), i, p) {
		json_t *v = json_object_get(json_object_get(p, "python"), "gil_held_share");

		if (json_is_number(v) && (isnan(best) || json_number_value(v) > best))
			best = json_number_value(v);
	}
	return best;
}

static double g_own_sum(json_t *c, const void *a)
{
	json_t *v, *pt = json_object_get(json_object_get(c, "workload_report"), "per_task");
	double sum = 0;
	size_t i;

	(void)a;
	if (!json_is_array(pt))
		return NAN;
	json_array_foreach(pt, i, v)
		sum += json_number_value(v);
	return sum;
}

/* GIL drop requests (each hands the GIL to a waiting thread), summed over the threads;
 * NAN without the futex tracepoints */
static double g_gil_drops(json_t *c, const void *a)
{
	json_t *t;
	size_t i;
	double sum = NAN;

	(void)a;
	json_array_foreach(json_object_get(c, "threads"), i, t) {
		json_t *v = json_object_get(json_object_get(t, "gil"), "drop_requests");

		if (json_is_number(v))
			sum = (isnan(sum) ? 0 : sum) + json_number_value(v);
	}
	return sum;
}

static int report_bool(json_t **cs, int n, const char *key)
{
	for (int i = 0; i < n; i++) {
		json_t *v = json_object_get(json_object_get(cs[i], "workload_report"), key);

		if (json_is_boolean(v))
			return json_is_true(v);
	}
	return -1;
}

/* What a race workload's repeats say about the counter. */
static void fill_race(struct model_row *r, json_t **cs, int n)
{
	r->expected = agg(cs, n, g_report, "expected", NULL, NULL);
	r->final = agg(cs, n, g_report, "final", NULL, NULL);
	r->race_lost = agg(cs, n, g_report, "lost", NULL, NULL);
	r->own_sum = agg(cs, n, g_own_sum, NULL, NULL, NULL);
	r->shared = report_bool(cs, n, "shared");
	r->locked = report_bool(cs, n, "locked");
	r->ivcsw_n = agg(cs, n, g_path, "totals.nivcsw", NULL, NULL);
	r->gil_drops = agg(cs, n, g_gil_drops, NULL, NULL, NULL);
	r->lock_waits = agg(cs, n, g_path, "totals.off_count.lock", NULL, NULL);
	r->lock_wait_s = agg(cs, n, g_off, "lock", NULL, NULL);
}

/* What a function workload's repeats say about their calls. */
static void fill_calls(struct model_row *r, json_t **cs, int n)
{
	r->calls = r->errors = NAN;
	for (int i = 0; i < n; i++) {
		json_t *rep = json_object_get(cs[i], "workload_report");
		const char *d = jget_str(rep, "results_digest");

		if (!d)
			continue;
		if (!r->digest) {
			r->digest = d;
			r->calls = r->errors = 0;
			r->sample = jget_str(rep, "result_sample");
			r->start_method = jget_str(rep, "start_method");
		} else if (strcmp(d, r->digest)) {
			r->digest_varies = true;
		}
		r->calls += report_num(cs[i], "calls");
		r->errors += report_num(cs[i], "errors");
		if (!r->first_error && jget_str(rep, "first_error")) {
			r->first_error = jget_str(rep, "first_error");
			r->first_traceback = jget_str(rep, "first_traceback");
		}
	}
}

static void fill_row(struct model_row *r, json_t **all, int nall)
{
	json_t **cs = xcalloc(nall + 1, sizeof(json_t *));
	int n = 0;

	for (int i = 0; i < nall; i++) {
		r->lost += counters_lost(all[i]) > 0;
		if (compare_case_ok(all[i]))
			cs[n++] = all[i];
		else
			compare_case_failure(all[i], r->failure, sizeof(r->failure));
	}
	r->runs = nall;
	r->ok = n;
	r->wall = agg(cs, n, g_wall, NULL, &r->wall_min, &r->wall_max);
	r->cpu = agg(cs, n, g_path, "totals.on_cpu_ns", NULL, NULL) / 1e9;
	r->par = agg(cs, n, g_path, "totals.parallelism.effective", NULL, NULL);
	r->cores = agg(cs, n, g_path, "totals.cpus_used", NULL, NULL);
	r->vcs = agg(cs, n, g_rate, "totals.nvcsw", NULL, NULL);
	r->ivcs = agg(cs, n, g_rate, "totals.nivcsw", NULL, NULL);
	for (int k = 0; k < CT_R_MAX; k++)
		r->off[k] = agg(cs, n, g_off, reason_name(k), NULL, NULL);
	r->rq_p99 = agg(cs, n, g_path, "totals.runq.p99_ns", NULL, NULL) / 1e9;
	r->migrations = agg(cs, n, g_path, "totals.migrations", NULL, NULL);
	r->rss_kb = agg(cs, n, g_path, "totals.peak_rss_kb_sum", NULL, NULL);
	r->anon_kb = agg(cs, n, g_path, "totals.anon_kb_sum", NULL, NULL);
	r->gil_held = agg(cs, n, g_gil_held, NULL, NULL, NULL);
	r->threads = agg(cs, n, g_path, "totals.threads", NULL, NULL);
	r->procs = agg(cs, n, g_path, "totals.processes", NULL, NULL);
	r->root_threads = agg(cs, n, g_root_threads, NULL, NULL, NULL);
	r->ops_per_s = agg(cs, n, g_report, "ops_per_s", NULL, NULL);
	r->lat_p50_ms = agg(cs, n, g_report, "latency_p50_ms", NULL, NULL);
	r->lat_p99_ms = agg(cs, n, g_report, "latency_p99_ms", NULL, NULL);
	r->lag_p99_ms = agg(cs, n, g_report, "loop_lag_p99_ms", NULL, NULL);
	fill_calls(r, cs, n);
	fill_race(r, cs, n);
	free(cs);
}

void compare_cases_row(json_t **cases, int n, struct model_row *r)
{
	memset(r, 0, sizeof(*r));
	r->model = n ? jget_str(cases[0], "model") : NULL;
	r->kind = n ? jget_str(cases[0], "kind") : NULL;
	fill_row(r, cases, n);
	r->speedup = NAN;
}

/* A spec's defaults.pythons names a Python model's rows "model [python3.14]": the part from
 * " [" on is the interpreter axis ("" without one). */
static const char *py_axis(const char *model)
{
	const char *a = strstr(model, " [");

	return a ? a : "";
}

/* Whether a row is of the model `name`, under any interpreter. */
static bool model_is(const char *model, const char *name)
{
	size_t n = strlen(name);

	return !strncmp(model, name, n) && (!model[n] || !strncmp(model + n, " [", 2));
}

int compare_run(json_t *run, struct workload_cmp **out, int *nout)
{
	json_t *cases = json_object_get(run, "cases"), *c;
	const char *baseline = jget_str(json_object_get(run, "spec"), "baseline");
	struct workload_cmp *w = NULL;
	int nw = 0;
	size_t i;

	/* workloads and models in the order they first appear */
	json_array_foreach(cases, i, c) {
		const char *wl = jget_str(c, "workload"), *model = jget_str(c, "model");
		struct workload_cmp *cw = NULL;
		int k;

		if (!wl || !model)
			continue;
		for (k = 0; k < nw; k++)
			if (strcmp(w[k].name, wl) == 0)
				cw = &w[k];
		if (!cw) {
			w = xrealloc(w, (nw + 1) * sizeof(*w));
			cw = &w[nw++];
			memset(cw, 0, sizeof(*cw));
			cw->name = wl;
			cw->kind = jget_str(c, "kind");
		}
		for (k = 0; k < cw->nrows; k++)
			if (strcmp(cw->rows[k].model, model) == 0)
				break;
		if (k == cw->nrows) {
			cw->rows = xrealloc(cw->rows, (cw->nrows + 1) * sizeof(*cw->rows));
			memset(&cw->rows[k], 0, sizeof(cw->rows[k]));
			cw->rows[k].model = model;
			cw->rows[k].kind = cw->kind;
			cw->rows[k].baseline = json_is_true(json_object_get(c, "baseline"));
			cw->nrows++;
		}
	}
	for (int k = 0; k < nw; k++) {
		struct model_row *base = NULL;

		for (int m = 0; m < w[k].nrows; m++) {
			json_t **sel = xcalloc(json_array_size(cases) + 1, sizeof(json_t *));
			int ns = 0;

			json_array_foreach(cases, i, c)
				if (!strcmp(jget_str(c, "workload") ?: "", w[k].name) &&
				    !strcmp(jget_str(c, "model") ?: "", w[k].rows[m].model))
					sel[ns++] = c;
			fill_row(&w[k].rows[m], sel, ns);
			free(sel);
			if (!base && (w[k].rows[m].baseline ||
				      (baseline && model_is(w[k].rows[m].model, baseline))))
				base = &w[k].rows[m];
		}
		if (!base && w[k].nrows)
			base = &w[k].rows[0];
		for (int m = 0; m < w[k].nrows; m++) {
			struct model_row *r = &w[k].rows[m], *own = NULL;

			/* each interpreter's rows against its own baseline */
			for (int q = 0; q < w[k].nrows && *py_axis(r->model); q++)
				if ((w[k].rows[q].baseline ||
				     (baseline && model_is(w[k].rows[q].model, baseline))) &&
				    !strcmp(py_axis(w[k].rows[q].model), py_axis(r->model)))
					own = &w[k].rows[q];
			struct model_row *b = own ? own : base;

			r->speedup = b && b->ok && r->ok && r->wall > 0 ? b->wall / r->wall : NAN;
			r->results_differ = b && b->digest && r->digest && strcmp(b->digest, r->digest);
			if (r == b)
				r->baseline = true;
		}
	}
	*out = w;
	*nout = nw;
	return 0;
}

void compare_free(struct workload_cmp *w, int n)
{
	for (int i = 0; i < n; i++)
		free(w[i].rows);
	free(w);
}

static const struct model_row *row_of(const struct workload_cmp *w, int n, const char *kind,
				      const char *model, const char **wname)
{
	for (int i = 0; i < n; i++) {
		if (!w[i].kind || strcmp(w[i].kind, kind))
			continue;
		for (int m = 0; m < w[i].nrows; m++)
			if (model_is(w[i].rows[m].model, model) && w[i].rows[m].ok) {
				if (wname)
					*wname = w[i].name;
				return &w[i].rows[m];
			}
	}
	return NULL;
}

static struct finding *add(struct finding **f, int *n, const char *claim)
{
	*f = xrealloc(*f, (*n + 1) * sizeof(**f));
	struct finding *x = &(*f)[(*n)++];

	memset(x, 0, sizeof(*x));
	snprintf(x->claim, sizeof(x->claim), "%s", claim);
	x->verdict = V_NA;
	return x;
}

static double share(double part, double whole)
{
	return whole > 0 ? 100 * part / whole : 0;
}

static double pct_of(double part, double whole)
{
	return whole > 0 ? 100 * part / whole : 0;
}

/* The race kind: who loses updates to a read-modify-write without a lock. */
static void race_findings(const struct workload_cmp *w, int n, struct finding **f, int *nf)
{
	static const char *const locked[] = { "threading-lock", "multiprocessing-value",
					      "c-pthreads-mutex", "c-fork-shm-mutex" };
	const struct model_row *thr, *cp, *aio, *mp, *mv;
	const char *wn = NULL;
	struct finding *x;
	size_t l;

	x = add(f, nf, "threads share memory and lose unsynchronised updates (race)");
	thr = row_of(w, n, "race", "threading", &wn);
	cp = row_of(w, n, "race", "c-pthreads", NULL);
	if (thr && !isnan(thr->race_lost)) {
		char gil[32] = "untraced";

		if (!isnan(thr->gil_drops))
			snprintf(gil, sizeof(gil), "%.0f", thr->gil_drops);
		x->verdict = thr->race_lost > 0 ? V_YES : V_NO;
		snprintf(x->evidence, sizeof(x->evidence), "%s: threading lost %.0f of %.0f updates "
			 "(%.0f%%); %s GIL hand-offs on request and %.0f involuntary switches let another "
			 "thread run inside a read-modify-write", wn, thr->race_lost, thr->expected,
			 pct_of(thr->race_lost, thr->expected), gil, thr->ivcsw_n);
		if (cp && !isnan(cp->race_lost)) {
			l = strlen(x->evidence);
			snprintf(x->evidence + l, sizeof(x->evidence) - l, "; c-pthreads lost %.0f of "
				 "%.0f (%.0f%%)", cp->race_lost, cp->expected, pct_of(cp->race_lost, cp->expected));
		}
	} else {
		snprintf(x->evidence, sizeof(x->evidence), "needs a race workload with threading");
	}

	x = add(f, nf, "coroutines switch only at await: asyncio loses no update (race)");
	aio = row_of(w, n, "race", "asyncio", &wn);
	if (aio && !isnan(aio->race_lost)) {
		x->verdict = aio->race_lost == 0 ? V_YES : V_NO;
		snprintf(x->evidence, sizeof(x->evidence), "%s: asyncio lost %.0f of %.0f updates "
			 "(the await is outside the read-modify-write); %.0f involuntary switches did "
			 "not matter: one thread runs the loop", wn, aio->race_lost, aio->expected,
			 aio->ivcsw_n);
	} else {
		snprintf(x->evidence, sizeof(x->evidence), "needs a race workload with asyncio");
	}

	x = add(f, nf, "processes share nothing: each has its own counter (race)");
	mp = row_of(w, n, "race", "multiprocessing", &wn);
	mv = row_of(w, n, "race", "multiprocessing-value", NULL);
	if (mp && !isnan(mp->final)) {
		x->verdict = mp->final == 0 && mp->own_sum == mp->expected ? V_YES : V_NO;
		snprintf(x->evidence, sizeof(x->evidence), "%s: multiprocessing's processes counted "
			 "%.0f updates in their own counters; the parent's stayed at %.0f of %.0f", wn,
			 mp->own_sum, mp->final, mp->expected);
		if (mv && !isnan(mv->final)) {
			l = strlen(x->evidence);
			snprintf(x->evidence + l, sizeof(x->evidence) - l, "; with multiprocessing.Value "
				 "and its lock: %.0f of %.0f, after %.0f lock waits (%.3fs)", mv->final,
				 mv->expected, mv->lock_waits, mv->lock_wait_s);
		}
	} else {
		snprintf(x->evidence, sizeof(x->evidence), "needs a race workload with multiprocessing");
	}

	x = add(f, nf, "with a lock around the read-modify-write, no update is lost (race)");
	x->evidence[0] = '\0';
	for (size_t k = 0; k < sizeof(locked) / sizeof(*locked); k++) {
		const struct model_row *r = row_of(w, n, "race", locked[k], &wn);

		if (!r || isnan(r->race_lost))
			continue;
		if (x->verdict == V_NA)
			x->verdict = V_YES;
		if (r->race_lost != 0)
			x->verdict = V_NO;
		l = strlen(x->evidence);
		snprintf(x->evidence + l, sizeof(x->evidence) - l, "%s%s%s lost %.0f of %.0f (%.0f "
			 "lock waits, %.3fs)", l ? "; " : wn, l ? "" : ": ", locked[k], r->race_lost,
			 r->expected, r->lock_waits, r->lock_wait_s);
	}
	if (x->verdict == V_NA)
		snprintf(x->evidence, sizeof(x->evidence), "needs a race workload with "
			 "threading-lock, multiprocessing-value or c-pthreads-mutex");
}

/* A function workload: the same calls must give the same results whatever the model. */
static void function_findings(const struct workload_cmp *w, int n, struct finding **f, int *nf)
{
	for (int i = 0; i < n; i++) {
		const struct model_row *base = NULL;
		char claim[128], differ[200] = "";
		int ok = 0, nd = 0;
		size_t l;
		struct finding *x;

		for (int m = 0; m < w[i].nrows; m++) {
			const struct model_row *r = &w[i].rows[m];

			if (!r->digest)
				continue;
			ok++;
			if (r->baseline)
				base = r;
			if (r->results_differ || r->digest_varies) {
				l = strlen(differ);
				snprintf(differ + l, sizeof(differ) - l, "%s%s%s", nd++ ? ", " : "",
					 r->model, r->digest_varies ? " (differs between repeats)" : "");
			}
		}
		if (!ok)
			continue;
		snprintf(claim, sizeof(claim), "%s returns the same results in every model",
			 w[i].name);
		x = add(f, nf, claim);
		if (!base || ok < 2) {
			snprintf(x->evidence, sizeof(x->evidence), "%s: needs the baseline and another "
				 "model with results", w[i].name);
			continue;
		}
		x->verdict = nd ? V_NO : V_YES;
		if (nd)
			snprintf(x->evidence, sizeof(x->evidence), "%s: %d of %d models return what %s "
				 "returns (%.0f calls, first result %.60s); different: %s", w[i].name,
				 ok - nd, ok, base->model, base->calls, base->sample ? base->sample : "-",
				 differ);
		else
			snprintf(x->evidence, sizeof(x->evidence), "%s: all %d models return what %s "
				 "returns (%.0f calls, digest %s, first result %.60s)", w[i].name, ok,
				 base->model, base->calls, base->digest, base->sample ? base->sample : "-");
	}
}

int findings_evaluate(const struct workload_cmp *w, int n, int ncpus, struct finding **out,
		      int *nout)
{
	struct finding *f = NULL, *x;
	int nf = 0;
	const struct model_row *seq, *thr, *mp, *aio, *cs, *cp;
	const char *wn = NULL;
	double want = ncpus >= 2 ? 1.5 : 0.9;

	/* threading does not speed up CPU-bound Python */
	x = add(&f, &nf, "threading gives no speedup on CPU-bound Python work (the GIL)");
	seq = row_of(w, n, "cpu", "sequential", NULL);
	thr = row_of(w, n, "cpu", "threading", &wn);
	if (seq && thr) {
		double gil = thr->off[CT_R_GIL], total = thr->cpu + gil + thr->off[CT_R_PREEMPTED];

		/* parallelism is the kernel's direct measure; speedup also moves with noise in
		 * the baseline's run */
		x->verdict = thr->par < 1.3 || thr->speedup < 1.2 ? V_YES : V_NO;
		snprintf(x->evidence, sizeof(x->evidence),
			 "%s: threading speedup %.2fx over sequential, parallelism %.2f; GIL waits "
			 "%.2fs = %.0f%% of the threads' on-CPU + GIL-wait + run-queue time",
			 wn, thr->speedup, thr->par, gil, share(gil, total));
	} else {
		snprintf(x->evidence, sizeof(x->evidence), "needs a cpu workload with sequential "
			 "and threading");
	}

	x = add(&f, &nf, "multiprocessing uses several cores on CPU-bound work");
	mp = row_of(w, n, "cpu", "multiprocessing", &wn);
	if (mp) {
		x->verdict = mp->par >= want && mp->cores >= (ncpus >= 2 ? 2 : 1) ? V_YES : V_NO;
		snprintf(x->evidence, sizeof(x->evidence),
			 "%s: multiprocessing parallelism %.2f on %.0f CPU(s) (%d online), speedup %.2fx",
			 wn, mp->par, mp->cores, ncpus, mp->speedup);
	} else {
		snprintf(x->evidence, sizeof(x->evidence), "needs a cpu workload with multiprocessing");
	}

	x = add(&f, &nf, "multiprocessing costs memory (a process per task)");
	seq = row_of(w, n, "cpu", "sequential", NULL);
	if (mp && seq && seq->rss_kb > 0) {
		double ratio = mp->rss_kb / seq->rss_kb;

		x->verdict = ratio >= 1.5 ? V_YES : V_NO;
		snprintf(x->evidence, sizeof(x->evidence),
			 "%s: peak RSS summed over %.0f processes %.1f MiB vs %.1f MiB sequential "
			 "(%.1fx); anonymous memory at exit %.1f vs %.1f MiB", wn, mp->procs,
			 mp->rss_kb / 1024, seq->rss_kb / 1024, ratio, mp->anon_kb / 1024,
			 seq->anon_kb / 1024);
	} else {
		snprintf(x->evidence, sizeof(x->evidence), "needs a cpu workload with sequential "
			 "and multiprocessing");
	}

	x = add(&f, &nf, "asyncio runs on one thread");
	aio = NULL;
	for (int i = 0; i < n && !aio; i++)
		for (int m = 0; m < w[i].nrows; m++)
			if (model_is(w[i].rows[m].model, "asyncio") && w[i].rows[m].ok) {
				aio = &w[i].rows[m];
				wn = w[i].name;
				break;
			}
	if (aio) {
		x->verdict = aio->root_threads == 1 ? V_YES : V_NO;
		snprintf(x->evidence, sizeof(x->evidence),
			 "%s: the asyncio process ran %.0f thread(s); %.0f involuntary switches/s "
			 "(preemption by other tasks, not by the event loop)", wn, aio->root_threads,
			 aio->ivcs);
	} else {
		snprintf(x->evidence, sizeof(x->evidence), "needs a workload with asyncio");
	}

	x = add(&f, &nf, "asyncio and threading are both fine for I/O-bound work");
	seq = row_of(w, n, "io", "sequential", NULL);
	thr = row_of(w, n, "io", "threading", &wn);
	aio = row_of(w, n, "io", "asyncio", NULL);
	if (thr && aio && !isnan(thr->ops_per_s) && !isnan(aio->ops_per_s)) {
		double r = aio->ops_per_s / thr->ops_per_s;
		bool close = r > 0.5 && r < 2.0;
		bool above = !seq || isnan(seq->ops_per_s) ||
			     (thr->ops_per_s > 1.5 * seq->ops_per_s && aio->ops_per_s > 1.5 * seq->ops_per_s);

		x->verdict = close && above ? V_YES : V_NO;
		snprintf(x->evidence, sizeof(x->evidence),
			 "%s: asyncio %.0f req/s, threading %.0f req/s (ratio %.2f)%s", wn,
			 aio->ops_per_s, thr->ops_per_s, r,
			 seq && !isnan(seq->ops_per_s) ? "" : "; no sequential figure");
		if (seq && !isnan(seq->ops_per_s)) {
			size_t l = strlen(x->evidence);

			snprintf(x->evidence + l, sizeof(x->evidence) - l, "; sequential %.0f req/s",
				 seq->ops_per_s);
		}
	} else {
		snprintf(x->evidence, sizeof(x->evidence), "needs an io workload with threading and "
			 "asyncio reporting throughput");
	}

	x = add(&f, &nf, "a CPU-bound thread hurts an I/O thread's latency (convoy)");
	seq = row_of(w, n, "convoy", "sequential", NULL);
	thr = row_of(w, n, "convoy", "threading", &wn);
	mp = row_of(w, n, "convoy", "multiprocessing", NULL);
	if (seq && thr && !isnan(seq->lat_p99_ms) && !isnan(thr->lat_p99_ms)) {
		double r = thr->lat_p99_ms / seq->lat_p99_ms;

		x->verdict = r >= 1.5 ? V_YES : V_NO;
		snprintf(x->evidence, sizeof(x->evidence),
			 "%s: I/O p99 %.2f ms beside a CPU-bound thread vs %.2f ms alone (%.1fx)", wn,
			 thr->lat_p99_ms, seq->lat_p99_ms, r);
		if (mp && !isnan(mp->lat_p99_ms)) {
			size_t l = strlen(x->evidence);

			snprintf(x->evidence + l, sizeof(x->evidence) - l,
				 "; with the CPU work in another process %.2f ms", mp->lat_p99_ms);
		}
	} else {
		snprintf(x->evidence, sizeof(x->evidence), "needs a convoy workload with sequential "
			 "and threading");
	}

	x = add(&f, &nf, "without a GIL, threads speed up CPU-bound work (C pthreads)");
	cs = row_of(w, n, "cpu", "c-sequential", NULL);
	cp = row_of(w, n, "cpu", "c-pthreads", &wn);
	if (cp) {
		x->verdict = cp->par >= want ? V_YES : V_NO;
		snprintf(x->evidence, sizeof(x->evidence), "%s: c-pthreads parallelism %.2f%s", wn,
			 cp->par, cs ? "" : " (no c-sequential to compare)");
		if (cs) {
			size_t l = strlen(x->evidence);

			snprintf(x->evidence + l, sizeof(x->evidence) - l,
				 ", %.2fx faster than c-sequential", cs->wall / cp->wall);
		}
	} else {
		snprintf(x->evidence, sizeof(x->evidence), "needs a cpu workload with c-pthreads");
	}
	race_findings(w, n, &f, &nf);
	function_findings(w, n, &f, &nf);
	*out = f;
	*nout = nf;
	return 0;
}
