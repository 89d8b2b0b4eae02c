/* The table of output formats. A new format is a render_<name>.c and one line here. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fsid.h"
#include "log.h"
#include "outdir.h"
#include "render.h"
#include "render_flame.h"
#include "results.h"
#include "util.h"

static const struct renderer renderers[] = {
	{"text", "report.txt", render_text, NULL, false},
	{"json", "run.json", render_json, NULL, false},
	{"html", "report.html", render_html, NULL, false},
	{"perfetto", "trace.json", NULL, render_perfetto_case, false},
	{"pprof", "profile.pb.gz", NULL, render_pprof_case, true},
	{"oncpu-folded", "oncpu.folded", NULL, render_oncpu_folded, false},
	{"offcpu-folded", "offcpu.folded", NULL, render_offcpu_folded, false},
	{"oncpu-svg", "oncpu.svg", NULL, render_oncpu_svg, false},
	{"offcpu-svg", "offcpu.svg", NULL, render_offcpu_svg, false},
};

const struct renderer *renderer_list(int *n)
{
	*n = sizeof(renderers) / sizeof(renderers[0]);
	return renderers;
}

const struct renderer *renderer_find(const char *name)
{
	for (size_t i = 0; i < sizeof(renderers) / sizeof(renderers[0]); i++)
		if (strcmp(renderers[i].name, name) == 0)
			return &renderers[i];
	return NULL;
}

/* no-color.org: NO_COLOR set and not empty turns colour off; a dumb terminal has none */
bool want_color(FILE *f)
{
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");

	if (nc && *nc)
		return false;
	if (!term || !*term || strcmp(term, "dumb") == 0)
		return false;
	return isatty(fileno(f));
}

const char *case_dir_rel(json_t *c)
{
	json_t *d = json_object_get(c, "dir");

	if (!d)
		return ".";
	return outdir_rel_ok(json_string_value(d)) ? json_string_value(d) : NULL;
}

bool case_dirs_ok(json_t *run, const char *dir)
{
	json_t *c;
	size_t i;

	json_array_foreach(json_object_get(run, "cases"), i, c)
		if (!case_dir_rel(c)) {
			json_t *d = json_object_get(c, "dir");

			pr_warn("%s/run.json: case %zu: dir '%.200s' is not a directory inside the "
				"run directory\n", dir, i + 1,
				json_is_string(d) ? json_string_value(d) : "(not a string)");
			return false;
		}
	return true;
}

char *case_dir_path(const char *dir, json_t *c)
{
	const char *d = case_dir_rel(c);

	if (!d) {
		pr_warn("%s/run.json: case %s: its dir is not a directory inside the run "
			"(ignored)\n", dir, jget_str(c, "workload") ?: "?");
		return NULL;
	}
	return strcmp(d, ".") ? xasprintf("%s/%s", dir, d) : xstrdup(dir);
}

/* A run renderer's file in DIR, reading the case files as the run directory's user. */
static int render_run_file(json_t *run, struct outdir *dir, const char *name,
			   int (*fn)(json_t *, FILE *, const struct render_opts *))
{
	struct render_opts o = { .dir = outdir__path(dir) };
	struct fsid_saved saved;
	FILE *f = outdir__fopen(dir, name, false);
	int err = f ? 0 : -errno;

	if (!err && (err = outdir__as_user(dir, &saved)) == 0) {
		err = fn(run, f, &o);
		fsid_leave(&saved);
	}
	if (f) {
		err = fclose_output(f, err);
		/* no half-written report is left: it would read as complete */
		if (err)
			outdir__unlink(dir, name);
	}
	if (err)
		pr_warn("cannot write %s/%s: %s\n", outdir__path(dir), name, strerror(-err));
	return err;
}

int render_html_file(json_t *run, struct outdir *dir)
{
	return render_run_file(run, dir, "report.html", render_html);
}

int render_text_file(json_t *run, struct outdir *dir)
{
	return render_run_file(run, dir, "report.txt", render_text);
}

int render_case_files(json_t *run, struct outdir *dir)
{
	json_t *cases = json_object_get(run, "cases"), *c;
	struct render_opts o = { .dir = outdir__path(dir) };
	int err = 0;
	size_t i;

	json_array_foreach(cases, i, c) {
		const char *rel = case_dir_rel(c);
		struct outdir *cd = NULL;
		struct fsid_saved saved;
		int rc = rel ? outdir__subdir(dir, rel, false, &cd) : -EINVAL;

		if (rc) {
			pr_warn("%s: case %zu: no case directory %s: %s\n", outdir__path(dir), i + 1,
				rel ? rel : "(it would leave the run directory)", strerror(-rc));
			err = err ? err : rc;
			continue;
		}
		for (size_t k = 0; k < sizeof(renderers) / sizeof(renderers[0]); k++) {
			const struct renderer *r = &renderers[k];
			FILE *f;

			if (!r->render_case)
				continue;
			f = outdir__fopen(cd, r->file, false);
			if (!f) {
				pr_warn("cannot write %s/%s: %s\n", outdir__path(cd), r->file,
					strerror(errno));
				err = err ? err : -errno;
				continue;
			}
			/* the renderers read the case's files by path: as the user, like the writes */
			rc = outdir__as_user(cd, &saved);
			if (!rc) {
				rc = r->render_case(run, c, outdir__path(cd), f, &o);
				fsid_leave(&saved);
			}
			rc = fclose_output(f, rc);
			if (rc) {
				outdir__unlink(cd, r->file);   /* a partial file would read as whole */
				pr_warn("cannot write %s/%s: %s\n", outdir__path(cd), r->file,
					strerror(-rc));
				err = err ? err : rc;
			}
		}
		outdir__close(cd);
	}
	return err;
}

static void cell_ns(json_t *o, const char *key, char *buf)
{
	json_t *v = json_object_get(o, key);

	if (json_is_integer(v))
		fmt_ns(json_integer_value(v), buf, 32);
	else
		snprintf(buf, 32, "-");
}

static void cell_num(json_t *o, const char *key, char *buf)
{
	json_t *v = json_object_get(o, key);

	if (json_is_integer(v))
		snprintf(buf, 32, "%lld", json_integer_value(v));
	else
		snprintf(buf, 32, "-");
}

void gil_cells(json_t *g, struct gil_cells *c)
{
	/* acquisitions and what follows are null when the futex tracepoints were missing */
	bool ev = json_is_integer(json_object_get(g, "acquisitions_waited"));

	cell_ns(g, "held_ns", c->held);
	cell_ns(g, "on_cpu_without_gil_ns", c->no_gil);
	cell_ns(g, "wait_ns", c->wait);
	cell_num(g, "waits", c->waits);
	cell_num(g, "acquisitions_waited", c->acquired);
	cell_ns(g, ev ? "acquisition_wait_p50_ns" : "", c->p50);
	cell_ns(g, ev ? "acquisition_wait_p99_ns" : "", c->p99);
	cell_num(g, ev ? "drop_requests" : "", c->drop_requests);
	cell_num(g, ev ? "forced_drops" : "", c->forced);
}
