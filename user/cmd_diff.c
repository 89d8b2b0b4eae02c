/* conctrace diff RUN_A RUN_B: what changed between two runs, or two cases of one run:
 * the figures side by side, and differential flame graphs. */
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "commands.h"
#include "compare.h"
#include "flame.h"
#include "fsid.h"
#include "log.h"
#include "outdir.h"
#include "reasons.h"
#include "render.h"
#include "render_flame.h"
#include "results.h"
#include "stacks.h"
#include "util.h"

struct diff_opts {
	int case_a, case_b;          /* 1-based, 0: match by workload and model */
	const char *outdir;
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage: conctrace diff [--case-a N --case-b M] [-o DIR] RUN_A RUN_B\n"
"\n"
"Compare two run directories: for record runs their one case, for `run` runs\n"
"every (workload, model) present in both (medians over repeats). --case-a and\n"
"--case-b compare two given cases, e.g. two models of one run:\n"
"  conctrace diff RUN RUN --case-a 1 --case-b 2\n"
"A change beyond 10%% (and beyond a small absolute amount) is marked with '*'.\n"
"\n"
"      --case-a N        the case of RUN_A to compare (1-based, run.json order)\n"
"      --case-b M        the case of RUN_B to compare it with\n"
"  -o, --output DIR      also write differential flame graphs there (red: more\n"
"                        time in B, blue: less), one on-CPU, one off-CPU a pair\n"
"  -v, --verbose         more messages (repeat for more)\n"
"  -h, --help            this help\n"
"\n"
"Exit status: 0 compared, 2 no case in common (or bad usage or input); see\n"
"`conctrace help`.\n");
}

struct pair {
	char name[160];
	json_t **a, **b;
	int na, nb;
};

static const char *fig(double v, bool time, char *buf, size_t len)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else if (time)
		fmt_ns(u64_sat(v * 1e9), buf, len);
	else
		snprintf(buf, len, fabs(v) >= 1000 ? "%.0f" : "%.2f", v);
	return buf;
}

static void line(FILE *out, const char *what, double a, double b, bool time, double noise)
{
	char ba[32], bb[32], ch[32] = "-";
	bool mark = false;

	if (!isnan(a) && !isnan(b)) {
		if (a != 0)
			snprintf(ch, sizeof(ch), "%+.1f%%", 100 * (b - a) / fabs(a));
		else if (b != 0)
			snprintf(ch, sizeof(ch), "new");
		else
			snprintf(ch, sizeof(ch), "=");
		mark = fabs(b - a) > noise && (a == 0 || fabs(b - a) / fabs(a) > 0.10);
	}
	fprintf(out, "  %-28s %12s %12s %10s %s\n", what, fig(a, time, ba, sizeof(ba)),
		fig(b, time, bb, sizeof(bb)), ch, mark ? "*" : "");
}

void diff_rows(FILE *out, const struct model_row *a, const struct model_row *b);

/* The figures of two rows, side by side. */
void diff_rows(FILE *out, const struct model_row *a, const struct model_row *b)
{
	fprintf(out, "  %-28s %12s %12s %10s\n", "", "A", "B", "change");
	line(out, "wall", a->wall, b->wall, true, 0.005);
	line(out, "on-CPU", a->cpu, b->cpu, true, 0.005);
	line(out, "effective parallelism", a->par, b->par, false, 0.05);
	line(out, "voluntary switches/s", a->vcs, b->vcs, false, 20);
	line(out, "involuntary switches/s", a->ivcs, b->ivcs, false, 20);
	line(out, "run-queue p99", a->rq_p99, b->rq_p99, true, 0.0001);
	for (int r = 0; r < CT_R_MAX; r++) {
		char what[40];

		if (a->off[r] == 0 && b->off[r] == 0)
			continue;
		snprintf(what, sizeof(what), "off-CPU %s", reason_name(r));
		line(out, what, a->off[r], b->off[r], true, 0.002);
	}
	line(out, "peak RSS summed (MiB)", a->rss_kb / 1024, b->rss_kb / 1024, false, 1);
	line(out, "threads", a->threads, b->threads, false, 0.5);
	line(out, "processes", a->procs, b->procs, false, 0.5);
	if (!isnan(a->ops_per_s) || !isnan(b->ops_per_s))
		line(out, "reported ops/s", a->ops_per_s, b->ops_per_s, false, 0);
	if (!isnan(a->lat_p99_ms) || !isnan(b->lat_p99_ms))
		line(out, "reported latency p99 (ms)", a->lat_p99_ms, b->lat_p99_ms, false, 0.05);
}

static json_t **cases_where(json_t *run, const char *wl, const char *model, int *n)
{
	json_t *cases = json_object_get(run, "cases"), *c, **out;
	size_t i;

	out = xcalloc(json_array_size(cases) + 1, sizeof(json_t *));
	*n = 0;
	json_array_foreach(cases, i, c) {
		const char *w = jget_str(c, "workload"), *m = jget_str(c, "model");

		if ((!wl && !w) || (wl && w && !strcmp(wl, w) && m && model && !strcmp(m, model)))
			out[(*n)++] = c;
	}
	return out;
}

static int add_pair(struct pair **p, int *np, const char *name, json_t **a, int na, json_t **b,
		    int nb)
{
	*p = xrealloc(*p, (*np + 1) * sizeof(**p));
	snprintf((*p)[*np].name, sizeof((*p)[*np].name), "%s", name);
	(*p)[*np].a = a;
	(*p)[*np].na = na;
	(*p)[*np].b = b;
	(*p)[*np].nb = nb;
	(*np)++;
	return 0;
}

static json_t **one(json_t *run, int idx, int *n)
{
	json_t *c = idx < 1 ? NULL : json_array_get(json_object_get(run, "cases"), (size_t)idx - 1);
	json_t **out;

	*n = c ? 1 : 0;
	out = xcalloc(2, sizeof(json_t *));
	out[0] = c;
	return out;
}

/* Pairs to compare; prints what is only in one run. */
static int make_pairs(json_t *ra, json_t *rb, const struct diff_opts *o, struct pair **p,
		      int *np, FILE *out)
{
	json_t *cases = json_object_get(ra, "cases"), *c;
	size_t i;

	*p = NULL;
	*np = 0;
	if (o->case_a || o->case_b) {
		int na, nb;
		json_t **a = one(ra, o->case_a ? o->case_a : 1, &na);
		json_t **b = one(rb, o->case_b ? o->case_b : 1, &nb);
		char name[160];

		if (!na || !nb) {
			pr_warn("diff: no case %d in %s\n", !na ? o->case_a : o->case_b,
				!na ? "RUN_A" : "RUN_B");
			free(a);
			free(b);
			return -EINVAL;
		}
		snprintf(name, sizeof(name), "case %d vs case %d", o->case_a ? o->case_a : 1,
			 o->case_b ? o->case_b : 1);
		return add_pair(p, np, name, a, na, b, nb);
	}
	json_array_foreach(cases, i, c) {
		const char *w = jget_str(c, "workload"), *m = jget_str(c, "model");
		char name[160];
		int na, nb, seen = 0;

		for (int k = 0; k < *np; k++)
			seen |= (*p)[k].a[0] && jget_str((*p)[k].a[0], "workload") && w &&
				!strcmp(jget_str((*p)[k].a[0], "workload"), w) &&
				!strcmp(jget_str((*p)[k].a[0], "model") ?: "", m ?: "");
		if (seen || (!w && *np))
			continue;
		json_t **a = cases_where(ra, w, m, &na), **b = cases_where(rb, w, m, &nb);

		if (!nb) {
			fprintf(out, "only in A: %s / %s\n", w ? w : "(record)", m ? m : "");
			free(a);
			free(b);
			continue;
		}
		snprintf(name, sizeof(name), "%s%s%s", w ? w : "record", w ? " / " : "", w ? m : "");
		add_pair(p, np, name, a, na, b, nb);
	}
	json_array_foreach(json_object_get(rb, "cases"), i, c) {
		const char *w = jget_str(c, "workload"), *m = jget_str(c, "model");
		int na;
		json_t **a = cases_where(ra, w, m, &na);

		if (!na && w)
			fprintf(out, "only in B: %s / %s\n", w, m ? m : "");
		free(a);
	}
	return 0;
}

/* The pair's differential flame graphs; -EBADMSG (after a message) when a stacks.json is
 * corrupt. */
static int flames(const struct pair *pr, const char *dira, const char *dirb, struct outdir *out)
{
	int rc = 0;

	for (int on = 1; on >= 0 && !rc; on--) {
		char *ca = case_dir_path(dira, pr->a[0]), *cb = case_dir_path(dirb, pr->b[0]);
		json_t *sa = NULL, *sb = NULL;
		char name[200], title[256], msg[512];
		struct flame_opts fo = {0};

		/* a case dir outside the run (case_dir_path said so): no stacks */
		if ((ca && (rc = stacks_load(ca, &sa, msg, sizeof(msg)))) ||
		    (cb && (rc = stacks_load(cb, &sb, msg, sizeof(msg)))))
			pr_warn("%s\n", msg);
		if (sa && sb) {
			struct flame *fa = flame_from_stacks(sa, on), *fb = flame_from_stacks(sb, on);
			char *file, *path;
			FILE *f;

			snprintf(name, sizeof(name), "%s", pr->name);
			for (char *s = name; *s; s++)
				if (*s == ' ' || *s == '/')
					*s = *s == '/' ? '-' : '_';
			file = xasprintf("%s-%s-diff.svg", name, on ? "oncpu" : "offcpu");
			path = xasprintf("%s/%s", outdir__path(out), file);
			snprintf(title, sizeof(title), "%s: %s, A -> B", on ? "On-CPU" : "Off-CPU",
				 pr->name);
			fo.title = title;
			fo.subtitle = "red: a larger share of the time in B, blue: a smaller one";
			fo.unit = on ? "samples" : "ns";
			fo.palette = FLAME_DIFF;
			f = outdir__fopen(out, file, false);
			if (!f)
				pr_warn("cannot write %s: %s\n", path, strerror(errno));
			else if (flame__write_diff_svg(fa, fb, &fo, f) | fclose(f))
				pr_warn("cannot write %s\n", path);
			else
				printf("wrote %s\n", path);
			flame__free(fa);
			flame__free(fb);
			free(file);
			free(path);
		}
		json_decref(sa);
		json_decref(sb);
		free(ca);
		free(cb);
	}
	return rc;
}

int cmd_diff(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"case-a", required_argument, NULL, 'a'},
		{"case-b", required_argument, NULL, 'b'},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{"verbose", no_argument, NULL, 'v'},
		{},
	};
	struct diff_opts o = {};
	char err[512], *end;
	json_t *ra = NULL, *rb = NULL;
	struct pair *p = NULL;
	struct outdir *od = NULL;
	struct ct_user me = { .name = "" };
	int c, np = 0, code = CT_EXIT_OK;

	optind = 0;   /* 0, not 1: glibc re-reads the optstring (main parsed with "+") */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:hv", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
		case 'b': {
			long v = strtol(optarg, &end, 10);

			if (*end || end == optarg || v < 1 || v > INT_MAX) {
				pr_warn("diff: --case-%c needs a case number (1, 2, ...), not '%s'\n", c,
					optarg);
				return CT_EXIT_USAGE;
			}
			if (c == 'a')
				o.case_a = v;
			else
				o.case_b = v;
			break;
		}
		case 'o': o.outdir = optarg; break;
		case 'v': log_init(log_verbosity + 1); break;
		case 'h': usage(stdout); return CT_EXIT_OK;
		default:
			pr_warn("diff: bad option '%s' (unknown, or missing its value)\n", argv[optind - 1]);
			usage(stderr);
			return CT_EXIT_USAGE;
		}
	}
	if (optind != argc - 2) {
		pr_warn("diff: give two run directories\n");
		usage(stderr);
		return CT_EXIT_USAGE;
	}
	code = fsid_drop_for_good();   /* diff reads and writes as the user who ran sudo */
	if (code)
		return code;
	me.uid = geteuid();
	me.gid = getegid();
	ra = results_load(argv[optind], err, sizeof(err));
	if (!ra) {
		pr_warn("%s\n", err);
		return CT_EXIT_USAGE;
	}
	rb = results_load(argv[optind + 1], err, sizeof(err));
	if (!rb) {
		pr_warn("%s\n", err);
		json_decref(ra);
		return CT_EXIT_USAGE;
	}
	if (!case_dirs_ok(ra, argv[optind]) || !case_dirs_ok(rb, argv[optind + 1])) {
		code = CT_EXIT_USAGE;
		goto out;
	}
	if (make_pairs(ra, rb, &o, &p, &np, stdout)) {
		code = CT_EXIT_USAGE;
		goto out;
	}
	printf("A: %s (%s)\nB: %s (%s)\n", argv[optind], jget_str(ra, "name") ?: "?",
	       argv[optind + 1], jget_str(rb, "name") ?: "?");
	if (!np) {
		pr_warn("diff: %s and %s have no case (workload and model) in common; "
			"--case-a/--case-b pick two\n", argv[optind], argv[optind + 1]);
		code = CT_EXIT_USAGE;
		goto out;
	}
	if (o.outdir) {
		struct outdir_opts oo = { .mode = OUTDIR_EXISTING, .user = &me, .parents = true };
		int rc = outdir__open(&od, o.outdir, &oo, err, sizeof(err));

		if (rc) {
			pr_warn("%s\n", err);
			code = outdir_exit_status(rc);
		}
	}
	for (int i = 0; i < np; i++) {
		struct model_row a, b;

		compare_cases_row(p[i].a, p[i].na, &a);
		compare_cases_row(p[i].b, p[i].nb, &b);
		printf("\n%s (A: %d run%s, B: %d run%s)\n", p[i].name, p[i].na, p[i].na > 1 ? "s" : "",
		       p[i].nb, p[i].nb > 1 ? "s" : "");
		diff_rows(stdout, &a, &b);
		if (od && flames(&p[i], argv[optind], argv[optind + 1], od))
			code = CT_EXIT_USAGE;   /* a corrupt stacks.json: bad input */
	}
	if (fflush(stdout))
		code = CT_EXIT_FAILURE;
out:
	for (int i = 0; i < np; i++) {
		free(p[i].a);
		free(p[i].b);
	}
	free(p);
	outdir__close(od);
	json_decref(ra);
	json_decref(rb);
	return code;
}
