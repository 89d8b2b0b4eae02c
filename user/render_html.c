/* report.html: one self-contained page (inline CSS, SVG and script; no network) with the
 * comparison and findings of a run, charts, and per case the threads, the locks, a per-core
 * timeline and the flame graphs. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "compare.h"
#include "counters.h"
#include "flame.h"
#include "log.h"
#include "reasons.h"
#include "render.h"
#include "render_flame.h"
#include "results.h"
#include "stacks.h"
#include "timeline.h"
#include "util.h"

static const char *const reason_colour[CT_R_MAX] = {
	"#7b8ce0", "#9b7fd4", "#cfa0e6", "#5aa6ee", "#8fd3f5", "#7fcfd0", "#b9b3ea", "#d893c8",
	"#9fb0c8",
};

/* Any string from a run (names from the spec, commands, comm, run.json itself) as HTML text
 * or attribute value: markup characters as entities, invalid UTF-8 and control characters
 * as U+FFFD, so nothing from a spec or a run directory can open a tag or end an attribute. */
static void esc(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;

	while (p && *p) {
		size_t len = utf8_decode(p, 4, &cp);

		if (!len || (cp < 0x20 && cp != '\t' && cp != '\n') || cp == 0x7f) {
			fputs("\xef\xbf\xbd", out);
			p++;
			continue;
		}
		switch (cp) {
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '&': fputs("&amp;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default: fwrite(p, 1, len, out);
		}
		p += len;
	}
}

static const char *tid_colour(uint32_t tid, char *buf, size_t len)
{
	snprintf(buf, len, "hsl(%u,62%%,56%%)", (tid * 137u) % 360u);
	return buf;
}

static const char CSS[] =
"body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}"
"header{background:#1d2330;color:#fff;padding:14px 28px}header h1{margin:0;font-size:20px}"
"header p{margin:4px 0 0;color:#b8c0d0;font-size:13px}main{padding:8px 28px 40px;max-width:1320px}"
"h2{font-size:17px;margin:26px 0 8px}h3{font-size:15px;margin:18px 0 6px}"
"section.card{background:#fff;border:1px solid #e1e4ea;border-radius:6px;padding:12px 16px;margin:12px 0}"
"table{border-collapse:collapse;font-size:13px}th,td{padding:3px 9px;border-bottom:1px solid #eef0f3}"
"th{text-align:left;color:#5a6275;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}"
".b{display:inline-block;padding:1px 8px;border-radius:9px;font-size:12px;font-weight:600}"
".yes{background:#d9f2e3;color:#17663a}.no{background:#fbe0e0;color:#9b1c1c}.na{background:#eceef2;color:#5a6275}"
".ev{color:#5a6275;font-size:13px;margin:2px 0 10px 4px}.legend span{display:inline-block;margin-right:12px;font-size:12px}"
".legend i{display:inline-block;width:11px;height:11px;margin-right:4px;vertical-align:-1px;border-radius:2px}"
"select{font-size:14px;padding:3px 6px}.case{display:none}.case.on{display:block}"
".muted{color:#5a6275;font-size:12px}.warn{color:#b3261e;font-weight:bold}";

static void legend_reasons(FILE *out)
{
	fputs("<div class=\"legend\">", out);
	for (int r = 0; r < CT_R_MAX; r++)
		fprintf(out, "<span><i style=\"background:%s\"></i>%s</span>", reason_colour[r],
			reason_name(r));
	fputs("</div>\n", out);
}

/* A horizontal stacked bar per label: values are shares (0..1) with colours. */
static void bar(FILE *out, const char *label, const double *v, const char *const *col, int n,
		const char *const *names, double y, double width)
{
	double x = 150, sum = 0;

	for (int i = 0; i < n; i++)
		sum += v[i];
	fprintf(out, "<text x=\"0\" y=\"%.1f\" font-size=\"12\">", y + 13);
	esc(out, label);
	fputs("</text>", out);
	for (int i = 0; i < n && sum > 0; i++) {
		double w = v[i] / sum * width;

		if (w <= 0)
			continue;
		fprintf(out, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"17\" fill=\"%s\">"
			"<title>%s: %.1f%%</title></rect>", x, y, w, col[i], names[i], 100 * v[i] / sum);
		x += w;
	}
}

static json_t *first_ok(json_t *run, const char *wl, const char *model)
{
	json_t *c;
	size_t i;

	json_array_foreach(json_object_get(run, "cases"), i, c)
		if (!strcmp(jget_str(c, "workload") ?: "", wl) && !strcmp(jget_str(c, "model") ?: "", model) &&
		    jpath_u64(c, "status.exit_code") == 0 && !jget_str(json_object_get(c, "status"), "error"))
			return c;
	return NULL;
}


static const char *num(double v, const char *fmt, char *buf, size_t len)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, fmt, v);
	return buf;
}

/* A function workload's calls (what raised, whether the results agree) and a race
 * workload's counter (the updates lost), one table each when the workload has them. */
static void calls_and_counter(FILE *out, const struct workload_cmp *w)
{
	bool calls = false, race = false;
	char b[6][32];

	for (int m = 0; m < w->nrows; m++) {
		calls |= w->rows[m].digest != NULL;
		race |= w->rows[m].ok && !isnan(w->rows[m].race_lost);
	}
	if (calls) {
		fputs("<h3>Calls</h3><table><tr><th>model</th><th>calls</th><th>raised</th>"
		      "<th>results</th><th>start method</th><th>first exception</th></tr>\n", out);
		for (int m = 0; m < w->nrows; m++) {
			const struct model_row *r = &w->rows[m];

			if (!r->digest)
				continue;
			fputs("<tr><td>", out);
			esc(out, r->model);
			fprintf(out, "</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td%s>%s%s</td><td>",
				num(r->calls, "%.0f", b[0], 32), num(r->errors, "%.0f", b[1], 32),
				r->results_differ ? " class=\"warn\"" : "",
				r->results_differ ? "DIFFERENT from baseline" :
				r->baseline ? "baseline" : "same as baseline",
				r->digest_varies ? ", vary between repeats" : "");
			esc(out, r->start_method ? r->start_method : "-");
			fputs("</td><td>", out);
			if (r->first_traceback) {
				fputs("<details><summary>", out);
				esc(out, r->first_error);
				fputs("</summary><pre>", out);
				esc(out, r->first_traceback);
				fputs("</pre></details>", out);
			} else {
				fputs("-", out);
			}
			fputs("</td></tr>\n", out);
		}
		fputs("</table>\n", out);
	}
	if (race) {
		fputs("<h3>The shared counter</h3><table><tr><th>model</th><th>updates</th>"
		      "<th>final</th><th>lost</th><th>lost %</th><th>memory</th><th>lock waits</th>"
		      "<th>GIL hand-offs on request</th></tr>\n", out);
		for (int m = 0; m < w->nrows; m++) {
			const struct model_row *r = &w->rows[m];

			if (!r->ok || isnan(r->race_lost))
				continue;
			fputs("<tr><td>", out);
			esc(out, r->model);
			fprintf(out, "</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
				"<td class=\"n\">%s</td><td class=\"n\">%s</td><td>%s</td>"
				"<td class=\"n\">%s</td><td class=\"n\">%s</td></tr>\n",
				num(r->expected, "%.0f", b[0], 32), num(r->final, "%.0f", b[1], 32),
				num(r->race_lost, "%.0f", b[2], 32),
				num(r->expected > 0 ? 100 * r->race_lost / r->expected : NAN, "%.0f%%",
				    b[3], 32),
				r->shared == 0 ? "each task its own" : r->locked == 1 ? "shared, locked" :
				"shared", num(r->lock_waits, "%.0f", b[4], 32),
				num(r->gil_drops, "%.0f", b[5], 32));
		}
		fputs("</table>\n", out);
	}
}

static void comparison(json_t *run, FILE *out)
{
	struct workload_cmp *w;
	struct finding *f;
	int nw, nf, ncpus = jpath_u64(run, "machine.cpus_online");
	char b[10][32];
	static const char *const pcol[] = {"#e8ebf0", "#9cc3f0", "#4f8fdc", "#2a5ea8", "#173a70",
					   "#0c2147", "#061028", "#000"};
	static const char *const kname[] = {"0", "1", "2", "3", "4", "5", "6", "7+"};

	compare_run(run, &w, &nw);
	findings_evaluate(w, nw, ncpus, &f, &nf);
	fputs("<h2>Findings</h2><section class=\"card\">\n", out);
	for (int i = 0; i < nf; i++) {
		const char *cls = f[i].verdict == V_YES ? "yes" : f[i].verdict == V_NO ? "no" : "na";
		const char *txt = f[i].verdict == V_YES ? "holds" : f[i].verdict == V_NO ?
				  "does not hold" : "not measured";

		fprintf(out, "<div><span class=\"b %s\">%s</span> ", cls, txt);
		esc(out, f[i].claim);
		fputs("</div><div class=\"ev\">", out);
		esc(out, f[i].evidence);
		fputs("</div>\n", out);
	}
	fputs("</section>\n", out);
	for (int i = 0; i < nw; i++) {
		fputs("<h2>Workload ", out);
		esc(out, w[i].name);
		if (w[i].kind) {
			fputs(" <span class=\"muted\">kind ", out);
			esc(out, w[i].kind);
			fputs("</span>", out);
		}
		fputs("</h2><section class=\"card\"><table><tr><th>model</th><th>wall</th><th>speedup</th>"
		      "<th>parallelism</th><th>on-CPU</th><th>CPUs</th><th>vol. sw/s</th>"
		      "<th>invol. sw/s</th><th>run-queue p99</th><th>lock wait</th><th>GIL wait</th>"
		      "<th title=\"share of its life the busiest CPython process held its GIL\">GIL held"
		      "</th><th>RSS sum</th><th>anon sum</th><th>ops/s</th><th>latency p99</th></tr>\n", out);
		for (int m = 0; m < w[i].nrows; m++) {
			const struct model_row *r = &w[i].rows[m];

			fputs("<tr><td>", out);
			esc(out, r->model);
			fputs(r->baseline ? " *" : "", out);
			if (r->lost)
				fprintf(out, " <span class=\"warn\" title=\"%d of %d runs lost events: see "
					"Not measured in their cases\">!</span>", r->lost, r->runs);
			if (!r->ok) {
				fputs("</td><td colspan=\"15\">failed: ", out);
				esc(out, r->failure);
				fputs("</td></tr>\n", out);
				continue;
			}
			fprintf(out, "</td><td class=\"n\">%s</td><td class=\"n\">%.2fx</td>"
				"<td class=\"n\">%.2f</td><td class=\"n\">%s</td><td class=\"n\">%.0f</td>"
				"<td class=\"n\">%.0f</td><td class=\"n\">%.0f</td><td class=\"n\">%s</td>"
				"<td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
				"<td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
				"<td class=\"n\">%s</td></tr>\n",
				fmt_ns(u64_sat(r->wall * 1e9), b[0], 32), r->speedup, r->par,
				fmt_ns(u64_sat(r->cpu * 1e9), b[1], 32), r->cores, r->vcs, r->ivcs,
				fmt_ns(u64_sat(r->rq_p99 * 1e9), b[2], 32),
				fmt_ns(u64_sat(r->off[CT_R_LOCK] * 1e9), b[3], 32),
				fmt_ns(u64_sat((r->off[CT_R_GIL] + r->off[CT_R_GIL_HANDOFF]) * 1e9), b[4], 32),
				isnan(r->gil_held) ? "-" : (snprintf(b[9], 32, "%.0f%%", 100 * r->gil_held), b[9]),
				fmt_kb(u64_sat(r->rss_kb), b[5], 32), fmt_kb(u64_sat(r->anon_kb), b[8], 32),
				isnan(r->ops_per_s) ? "-" : (snprintf(b[6], 32, "%.0f", r->ops_per_s), b[6]),
				isnan(r->lat_p99_ms) ? "-" : (snprintf(b[7], 32, "%.2fms", r->lat_p99_ms), b[7]));
		}
		fputs("</table>\n", out);
		calls_and_counter(out, &w[i]);
		/* charts: parallelism profile and off-CPU by reason, a bar per model */
		double h = 24 * w[i].nrows + 10;

		fputs("<h3>Parallelism profile: share of wall time with k threads on a CPU</h3>", out);
		fprintf(out, "<svg class=\"chart\" width=\"760\" height=\"%.0f\">", h);
		for (int m = 0; m < w[i].nrows; m++) {
			json_t *c = first_ok(run, w[i].name, w[i].rows[m].model);
			json_t *prof = json_object_get(json_object_get(json_object_get(c, "totals"),
									"parallelism"), "profile_ns");
			double v[8] = {0};

			for (size_t k = 0; k < json_array_size(prof); k++)
				v[k < 7 ? k : 7] += json_integer_value(json_array_get(prof, k));
			bar(out, w[i].rows[m].model, v, pcol, 8, kname, 24 * m + 4, 600);
		}
		fputs("</svg><div class=\"legend\">", out);
		for (int k = 0; k < 8; k++)
			fprintf(out, "<span><i style=\"background:%s\"></i>k=%s</span>", pcol[k], kname[k]);
		fputs("</div><h3>Off-CPU time by reason (share of each model's off-CPU time)</h3>", out);
		fprintf(out, "<svg class=\"chart\" width=\"760\" height=\"%.0f\">", h);
		for (int m = 0; m < w[i].nrows; m++) {
			const char *names[CT_R_MAX];

			for (int r = 0; r < CT_R_MAX; r++)
				names[r] = reason_name(r);
			bar(out, w[i].rows[m].model, w[i].rows[m].off, reason_colour, CT_R_MAX, names,
			    24 * m + 4, 600);
		}
		fputs("</svg>", out);
		legend_reasons(out);
		fputs("</section>\n", out);
	}
	free(f);
	compare_free(w, nw);
}

/* Add [a, b) of tid to the pixel columns of one lane: each column keeps the tid with the
 * most time in it. */
static void lane_add(uint32_t *best, uint64_t *bestns, uint64_t start, uint64_t wall, int w,
		     uint64_t a, uint64_t b, uint32_t tid)
{
	if (a < start)
		a = start;
	for (uint64_t x = a; x < b;) {
		/* integers: column px covers [start + ceil(px*wall/w), start + ceil((px+1)*wall/w)),
		 * so each step reaches the next column (floating point could stop at one pixel) */
		uint64_t px = (uint64_t)((unsigned __int128)(x - start) * w / wall);
		uint64_t colend = start + (uint64_t)(((unsigned __int128)(px + 1) * wall + w - 1) / w);
		uint64_t e = b < colend ? b : colend;

		if (px >= (uint64_t)w || e <= x)
			break;
		if (e - x > bestns[px]) {
			bestns[px] = e - x;
			best[px] = tid;
		}
		x = e;
	}
}

static void lane_draw(const uint32_t *best, int w, int y, int h, uint64_t wall, const char *what,
		      FILE *out)
{
	char col[40];

	for (int px = 0; px < w;) {
		uint32_t tid = best[px];
		int run = 1;

		while (px + run < w && best[px + run] == tid)
			run++;
		if (tid)
			fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\">"
				"<title>%s tid %u, %.2f-%.2f ms</title></rect>", 50 + px, y, run, h,
				tid_colour(tid, col, sizeof(col)), what, tid, px * wall / 1e6 / w,
				(px + run) * wall / 1e6 / w);
		px += run;
	}
}

#define MAX_GIL_LANES 8

/* The per-core timeline: a lane per CPU, each pixel column coloured by the traced thread
 * that ran longest in it (bounded size whatever the number of switches), then a lane per
 * CPython process for its GIL's holder (timeline.h: as far as the GIL's futex words show,
 * hand-overs between waiting threads). 0, or the timeline's error (it was not drawn). */
static int timeline(json_t *c, const char *cdir, FILE *out)
{
	enum { W = 1100, LANE = 22 };
	char col[40], err[512];
	uint64_t start = jget_u64(c, "start_mono_ns"), wall = jget_u64(c, "wall_ns");
	size_t ncpus = json_array_size(json_object_get(c, "cpus"));
	int ncpu = ncpus < CT_MAX_CPUS ? (int)ncpus : CT_MAX_CPUS;
	json_t *threads = json_object_get(c, "threads"), *t;
	uint32_t *gbest[MAX_GIL_LANES] = {0};
	uint64_t *gbestns[MAX_GIL_LANES] = {0};
	struct tl_gil_span sp;
	struct tl_gils gils;
	struct timeline tl;
	uint32_t *cur;
	uint64_t *since;
	size_t i;
	int rc;

	rc = timeline_load(cdir, c, &tl, err, sizeof(err));
	if (rc) {
		pr_warn("%s\n", err);
		return rc;
	}
	if (!tl.present || !wall || ncpu <= 0) {
		fputs("<p class=\"muted\">No timeline recorded (record's default; in a spec, "
		      "trace: {timeline: true}).</p>", out);
		timeline_free(&tl);
		return 0;
	}
	tl_gils_init(&gils, MAX_GIL_LANES);
	/* best[cpu][px] = tid with most time in that column; time per (cpu, px, slot) */
	uint32_t *best = xcalloc((size_t)ncpu * W, sizeof(uint32_t));
	uint64_t *bestns = xcalloc((size_t)ncpu * W, sizeof(uint64_t));
	cur = xcalloc(ncpu, sizeof(uint32_t));
	since = xcalloc(ncpu, sizeof(uint64_t));
	bool *traced_tid = xcalloc(TL_MAX_TID + 1, sizeof(bool));

	json_array_foreach(threads, i, t)
		if (jget_u64(t, "tid") <= TL_MAX_TID)
			traced_tid[jget_u64(t, "tid")] = true;
	for (i = 0; i < tl.n; i++) {
		const struct ct_tl_rec *r = &tl.rec[i];

		if (r->type == CT_EV_GIL) {
			bool added;
			long k = tl_gil_find(&gils, r->prev_tgid, &added);

			if (added) {
				gbest[k] = xcalloc(W, sizeof(uint32_t));
				gbestns[k] = xcalloc(W, sizeof(uint64_t));
			}
			if (tl_gil_step(&gils, r, &sp))
				lane_add(gbest[sp.idx], gbestns[sp.idx], start, wall, W, sp.from, sp.to,
					 sp.holder);
			continue;
		}
		/* the decoder checked the CPU against the case; the lanes are run.json's CPUs */
		if (r->type != CT_EV_SWITCH || r->cpu >= (uint32_t)ncpu)
			continue;
		uint32_t tid = cur[r->cpu];
		uint64_t a = since[r->cpu] ? since[r->cpu] : start, bnd = r->ts;

		if (tid && traced_tid[tid] && bnd > a)
			lane_add(best + (size_t)r->cpu * W, bestns + (size_t)r->cpu * W, start, wall, W,
				 a, bnd, tid);
		cur[r->cpu] = r->next_tid;
		since[r->cpu] = r->ts;
	}
	timeline_free(&tl);
	for (size_t k = 0; k < gils.n; k++)
		if (tl_gil_close(&gils, k, start + wall, &sp))
			lane_add(gbest[k], gbestns[k], start, wall, W, sp.from, sp.to, sp.holder);
	int ngil = (int)gils.n, nlanes = ncpu + ngil;

	fprintf(out, "<svg class=\"timeline\" width=\"%d\" height=\"%d\">", W + 60, nlanes * LANE + 24);
	for (int cpu = 0; cpu < ncpu; cpu++) {
		fprintf(out, "<text x=\"0\" y=\"%d\" font-size=\"12\">cpu%d</text>"
			"<rect x=\"50\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#eef0f3\"/>",
			cpu * LANE + 15, cpu, cpu * LANE, W, LANE - 4);
		lane_draw(best + (size_t)cpu * W, W, cpu * LANE, LANE - 4, wall, "on CPU:", out);
	}
	for (int k = 0; k < ngil; k++) {
		int y = (ncpu + k) * LANE;

		fprintf(out, "<text x=\"0\" y=\"%d\" font-size=\"9\"><title>GIL holder of pid %u"
			"</title>GIL %u</text><rect x=\"50\" y=\"%d\" width=\"%d\" height=\"%d\" "
			"fill=\"#f3eef7\"/>", y + 15, gils.g[k].pid, gils.g[k].pid, y, W, LANE - 4);
		lane_draw(gbest[k], W, y, LANE - 4, wall, "GIL held by", out);
		free(gbest[k]);
		free(gbestns[k]);
	}
	fprintf(out, "<text x=\"50\" y=\"%d\" font-size=\"11\" fill=\"#5a6275\">0</text>"
		"<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#5a6275\" text-anchor=\"end\">%.1f ms"
		"</text></svg><div class=\"legend\">", nlanes * LANE + 14, W + 50, nlanes * LANE + 14,
		wall / 1e6);
	json_array_foreach(threads, i, t) {
		if (i >= 12)
			break;
		fprintf(out, "<span><i style=\"background:%s\"></i>%llu ",
			tid_colour(jget_u64(t, "tid"), col, sizeof(col)), (unsigned long long)jget_u64(t, "tid"));
		esc(out, jget_str(t, "comm"));
		fputs("</span>", out);
	}
	fputs("</div>", out);
	if (ngil)
		fputs("<p class=\"muted\">GIL lanes: the thread holding each CPython process's GIL, "
		      "from the hand-overs seen on the GIL's futex words (a GIL taken and dropped "
		      "without contention leaves no trace there).</p>", out);
	free(best);
	free(bestns);
	free(cur);
	free(since);
	free(traced_tid);
	return 0;
}

/* Each CPython thread's GIL figures (the text report's Python section). */
static void gil_html(json_t *c, FILE *out)
{
	json_t *p, *t;
	size_t i, j;
	char b[8][32];

	json_array_foreach(json_object_get(c, "processes"), i, p) {
		json_t *py = json_object_get(p, "python");
		uint64_t pid = jget_u64(p, "pid");

		if (!json_is_object(py))
			continue;
		fprintf(out, "<h3>Python: pid %llu, CPython ", (unsigned long long)pid);
		esc(out, jget_str(py, "version") ?: "?");
		fputs("</h3>", out);
		if (!json_is_true(json_object_get(py, "frames")) || jget_str(py, "note")) {
			fputs("<p class=\"muted\">", out);
			esc(out, jget_str(py, "note") ?: "Python frames not walked.");
			fputs("</p>", out);
		}
		json_t *tasks = json_object_get(py, "asyncio_tasks"), *tk;
		size_t ti;

		if (json_array_size(tasks)) {
			fputs("<p>On-CPU samples by running asyncio task:", out);
			json_array_foreach(tasks, ti, tk) {
				fputs(ti ? ", " : " ", out);
				esc(out, jget_str(tk, "task") ?: "?");
				fprintf(out, " %llu", (unsigned long long)jget_u64(tk, "samples"));
			}
			fputs(".</p>", out);
		}
		json_t *waiting = json_object_get(py, "asyncio_waiting");

		if (json_array_size(waiting)) {
			fprintf(out, "<p>asyncio tasks seen waiting (in %llu snapshots, every 100 ms):"
				"</p><table><tr><th>task</th><th>awaits at</th><th>awaited by</th>"
				"<th>snapshots</th></tr>",
				(unsigned long long)jget_u64(py, "asyncio_snapshots"));
			json_array_foreach(waiting, ti, tk) {
				fputs("<tr><td>", out);
				esc(out, jget_str(tk, "task") ?: "");
				fputs("</td><td>", out);
				esc(out, jget_str(tk, "awaits_at") ?: "");
				fputs("</td><td>", out);
				esc(out, jget_str(tk, "awaited_by") ?: "");
				fprintf(out, "</td><td>%llu</td></tr>",
					(unsigned long long)jget_u64(tk, "snapshots"));
			}
			fputs("</table>", out);
		}
		if (json_is_number(json_object_get(py, "gil_held_share")))
			fprintf(out, "<p>The GIL was held <b>%.1f%%</b> of the process's life (%s).</p>",
				100 * json_number_value(json_object_get(py, "gil_held_share")),
				fmt_ns(jget_u64(py, "gil_held_ns"), b[0], 32));
		fputs("<table><tr><th>tid</th><th>held</th><th>on CPU without the GIL</th>"
		      "<th>waiting</th><th>waits</th><th>acquisitions that waited</th><th>wait p50</th>"
		      "<th>wait p99</th><th>drop requests</th><th>forced drops</th></tr>", out);
		json_array_foreach(json_object_get(c, "threads"), j, t) {
			json_t *g = json_object_get(t, "gil");
			struct gil_cells gc;

			if (jget_u64(t, "pid") != pid || !json_is_object(g))
				continue;
			gil_cells(g, &gc);
			fprintf(out, "<tr><td>%llu</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
				"<td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
				"<td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
				"<td class=\"n\">%s</td></tr>", (unsigned long long)jget_u64(t, "tid"),
				gc.held, gc.no_gil, gc.wait, gc.waits, gc.acquired, gc.p50, gc.p99,
				gc.drop_requests, gc.forced);
		}
		fputs("</table>", out);
	}
}

static void flame_inline(json_t *stacks, bool oncpu, int idx, FILE *out)
{
	struct flame *f = flame_from_stacks(stacks, oncpu);
	struct flame_opts o = {0};
	char prefix[32], *buf = NULL;
	size_t len = 0;
	FILE *m;

	if (!f)
		return;
	snprintf(prefix, sizeof(prefix), "c%d%s-", idx, oncpu ? "on" : "off");
	o.title = oncpu ? "On-CPU" : "Off-CPU by reason";
	o.unit = oncpu ? "samples" : "ns";
	o.palette = oncpu ? FLAME_HOT : FLAME_OFFCPU_REASON;
	o.id_prefix = prefix;
	o.width_px = 1200;
	o.min_width_px = 0.5;       /* keeps the page small for big profiles */
	m = open_memstream(&buf, &len);
	if (m && flame__write_svg(f, &o, m) == 0) {
		fclose(m);
		/* drop the XML declaration: the SVG is inline in HTML */
		const char *svg = strstr(buf, "<svg");

		fputs(svg ? svg : buf, out);
	} else if (m) {
		fclose(m);
	}
	free(buf);
	flame__free(f);
}

/* The case's counters with what each affects and how to avoid it. */
static void not_measured(json_t *c, FILE *out)
{
	const char *names[64];
	long long vals[64];
	int n = counters_nonzero(c, names, vals, 64);

	if (!n) {
		fputs("<p class=\"muted\">Nothing lost: no map overflow, no dropped event.</p>", out);
		return;
	}
	fprintf(out, "<h3%s>Not measured</h3><table><tr><th>counter</th><th>count</th>"
		"<th>what it affects</th><th>how to avoid it</th></tr>",
		counters_lost(c) ? " class=\"warn\"" : "");
	for (int i = 0; i < n; i++) {
		const struct counter_info *ci = counter_info(names[i]);

		fprintf(out, "<tr><td%s>", ci && ci->loss ? " class=\"warn\"" : "");
		esc(out, names[i]);
		fprintf(out, "</td><td class=\"n\">%lld</td><td>", vals[i]);
		esc(out, ci ? ci->affects : "");
		fputs("</td><td>", out);
		esc(out, ci ? ci->avoid : "");
		fputs("</td></tr>", out);
	}
	fputs("</table>", out);
}

/* A case's part of the page; 0, or the error of its stacks.json or timeline.bin. */
static int case_section(json_t *run, json_t *c, int idx, const char *dir, FILE *out)
{
	char *cdir = case_dir_path(dir, c), b[6][32], err[512];
	json_t *tot = json_object_get(c, "totals"), *t, *l;
	json_t *stacks = NULL;
	size_t i;
	/* cdir NULL: a case dir outside the run (case_dir_path said so) */
	int rc = cdir ? stacks_load(cdir, &stacks, err, sizeof(err)) : 0;

	if (rc) {
		pr_warn("%s\n", err);
		free(cdir);
		return rc;
	}

	fprintf(out, "<div class=\"case%s\" id=\"case%d\"><section class=\"card\">", idx ? "" : " on",
		idx);
	fprintf(out, "<p><b>wall</b> %s &nbsp; <b>on-CPU</b> %s &nbsp; <b>effective parallelism"
		"</b> %.2f &nbsp; <b>switches</b> %llu voluntary, %llu involuntary &nbsp; "
		"<b>run-queue p99</b> %s &nbsp; <b>threads</b> %llu &nbsp; <b>processes</b> %llu</p>",
		fmt_ns(jget_u64(c, "wall_ns"), b[0], 32), fmt_ns(jget_u64(tot, "on_cpu_ns"), b[1], 32),
		jpath_real(tot, "parallelism.effective"), (unsigned long long)jget_u64(tot, "nvcsw"),
		(unsigned long long)jget_u64(tot, "nivcsw"), fmt_ns(jpath_u64(tot, "runq.p99_ns"), b[2], 32),
		(unsigned long long)jget_u64(tot, "threads"), (unsigned long long)jget_u64(tot, "processes"));
	fputs("<h3>Per-core timeline</h3>", out);
	if (cdir && (rc = timeline(c, cdir, out))) {
		json_decref(stacks);
		free(cdir);
		return rc;
	}
	fputs("<h3>Flame graphs</h3>", out);
	if (stacks) {
		flame_inline(stacks, true, idx, out);
		flame_inline(stacks, false, idx, out);
	} else {
		fputs("<p class=\"muted\">No stacks recorded.</p>", out);
	}
	fputs("<h3>Threads (busiest first)</h3><table><tr><th>tid</th><th>pid</th><th>comm</th>"
	      "<th>on-CPU</th><th>vol.</th><th>invol.</th><th>migr.</th><th>run-queue p99</th>"
	      "<th>lock</th><th>gil</th><th>io</th><th>poll</th><th>sleep</th><th>preempted</th></tr>", out);
	json_array_foreach(json_object_get(c, "threads"), i, t) {
		json_t *off = json_object_get(t, "off_ns");

		if (i >= 30)
			break;
		fprintf(out, "<tr><td>%llu</td><td>%llu</td><td>", (unsigned long long)jget_u64(t, "tid"),
			(unsigned long long)jget_u64(t, "pid"));
		esc(out, jget_str(t, "comm"));
		fprintf(out, "</td><td class=\"n\">%s</td><td class=\"n\">%llu</td><td class=\"n\">%llu</td>"
			"<td class=\"n\">%llu</td><td class=\"n\">%s</td>",
			fmt_ns(jget_u64(t, "on_cpu_ns"), b[0], 32), (unsigned long long)jget_u64(t, "nvcsw"),
			(unsigned long long)jget_u64(t, "nivcsw"), (unsigned long long)jget_u64(t, "migrations"),
			fmt_ns(jpath_u64(t, "runq.p99_ns"), b[1], 32));
		static const char *const rs[] = {"lock", "gil", "io", "poll", "sleep", "preempted"};
		for (int k = 0; k < 6; k++)
			fprintf(out, "<td class=\"n\">%s</td>", fmt_ns(jget_u64(off, rs[k]), b[2], 32));
		fputs("</tr>", out);
	}
	fputs("</table>", out);
	gil_html(c, out);
	fputs("<h3>Locks</h3><table><tr><th>pid</th><th>lock</th><th>label</th><th>waits</th>"
	      "<th>total</th><th>max</th><th>waiters</th><th>wakers</th><th>hand-offs (waker&rarr;"
	      "waiter)</th></tr>", out);
	json_array_foreach(json_object_get(c, "locks"), i, l) {
		json_t *e;
		size_t k;

		if (i >= 20)
			break;
		fprintf(out, "<tr><td>%llu</td><td>", (unsigned long long)jget_u64(l, "pid"));
		esc(out, jget_str(l, "uaddr"));
		fputs("</td><td>", out);
		esc(out, jget_str(l, "label") ?: "");
		fprintf(out, "</td><td class=\"n\">%llu</td><td class=\"n\">%s</td><td class=\"n\">%s"
			"</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td><td>",
			(unsigned long long)jget_u64(l, "waits"), fmt_ns(jget_u64(l, "total_ns"), b[0], 32),
			fmt_ns(jget_u64(l, "max_ns"), b[1], 32), json_array_size(json_object_get(l, "waiters")),
			json_array_size(json_object_get(l, "wakers")));
		json_array_foreach(json_object_get(l, "edges"), k, e) {
			if (k >= 4) {
				fputs(" &hellip;", out);
				break;
			}
			fprintf(out, "%s%llu&rarr;%llu &times;%llu", k ? ", " : "",
				(unsigned long long)jget_u64(e, "waker"), (unsigned long long)jget_u64(e, "waiter"),
				(unsigned long long)jget_u64(e, "count"));
		}
		fputs("</td></tr>", out);
	}
	fputs("</table>", out);
	not_measured(c, out);
	fputs("</section></div>\n", out);
	json_decref(stacks);
	free(cdir);
	(void)run;
	return 0;
}

/* The page's only script: the case selector, and a self-test (#selftest in the URL) that
 * clicks the widest frame narrower than 60% of its graph (in any flame graph of the shown
 * case) and reports whether it zoomed to the full width, for the browser test. */
static const char SCRIPT[] =
"(function(){var s=document.getElementById('casesel');function show(v){"
"document.querySelectorAll('.case').forEach(function(d){d.classList.toggle('on',d.id==='case'+v);});}"
"if(s)s.addEventListener('change',function(){show(s.value);});"
"if(location.hash==='#selftest'){var r={};var f=document.querySelector('.case.on svg.conctrace-flame');"
"r.flames=document.querySelectorAll('svg.conctrace-flame').length;"
"r.frames=f?f.querySelectorAll('g.f').length:0;"
"r.timeline_rects=document.querySelectorAll('.case.on svg.timeline rect').length;"
"var full=0,g=null,gw=0;"
"document.querySelectorAll('.case.on svg.conctrace-flame').forEach(function(v){var fw=+v.getAttribute('width');"
"v.querySelectorAll('g.f').forEach(function(x){var w=+x.querySelector('rect').getAttribute('width');"
"if(w>gw&&w>5&&w<fw*0.6){g=x;gw=w;full=fw;}});});"
"if(g){var before=+g.querySelector('rect').getAttribute('width');"
"g.dispatchEvent(new MouseEvent('click',{bubbles:true}));"
"var after=+g.querySelector('rect').getAttribute('width');r.before=before;r.after=after;"
"r.zoomed=after>before*1.5&&after>full*0.8;}"
"var o=document.createElement('pre');o.id='selftest';o.textContent=JSON.stringify(r);"
"document.body.appendChild(o);}})();";

int render_html(json_t *run, FILE *out, const struct render_opts *o)
{
	json_t *cases = json_object_get(run, "cases"), *c, *m = json_object_get(run, "machine");
	const char *kind = jget_str(run, "kind");
	size_t i;
	int rc;

	fputs("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>conctrace: ", out);
	esc(out, jget_str(run, "name"));
	fprintf(out, "</title><style>%s</style></head><body><header><h1>conctrace ", CSS);
	esc(out, kind ? kind : "");
	fputs(": ", out);
	esc(out, jget_str(run, "name"));
	fprintf(out, "</h1><p>%lld CPUs, kernel ", (long long)jget_u64(m, "cpus_online"));
	esc(out, jget_str(m, "kernel"));
	fputs(", ", out);
	esc(out, jget_str(run, "started"));
	fputs(", conctrace ", out);
	esc(out, jget_str(run, "conctrace_version"));
	fputs("</p></header><main>\n", out);
	if (kind && !strcmp(kind, "run"))
		comparison(run, out);
	fputs("<h2>Cases</h2><p><select id=\"casesel\">", out);
	json_array_foreach(cases, i, c) {
		fprintf(out, "<option value=\"%zu\">%zu: ", i, i + 1);
		if (jget_str(c, "workload")) {
			esc(out, jget_str(c, "workload"));
			fputs(" / ", out);
			esc(out, jget_str(c, "model"));
			fprintf(out, " (repeat %llu)", (unsigned long long)jget_u64(c, "repeat") + 1);
		} else {
			esc(out, json_string_value(json_array_get(json_object_get(c, "command"), 0)));
		}
		fputs("</option>", out);
	}
	fputs("</select></p>\n", out);
	json_array_foreach(cases, i, c)
		if ((rc = case_section(run, c, i, o->dir ? o->dir : ".", out)))
			return rc;   /* a corrupt stacks.json or timeline.bin, named already */
	fprintf(out, "</main><script>%s</script></body></html>\n", SCRIPT);
	return ferror(out) ? -EIO : 0;
}
