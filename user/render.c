/* The table of output formats. A new format is a render_<name>.c and one line here. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "log.h"
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

char *case_dir_path(const char *dir, json_t *c)
{
	const char *d = jget_str(c, "dir");

	return d && strcmp(d, ".") ? xasprintf("%s/%s", dir, d) : xstrdup(dir);
}

int render_html_file(json_t *run, const char *dir, int uid, int gid)
{
	struct render_opts o = { .dir = dir };
	char *path = xasprintf("%s/report.html", dir);
	FILE *f = fopen(path, "we");
	int err = f ? render_html(run, f, &o) : -errno;

	if (f && fclose(f) && !err)
		err = -EIO;
	if (err)
		pr_warn("cannot write %s: %s\n", path, strerror(-err));
	else if (uid >= 0 && chown(path, uid, gid) < 0)
		pr_debug("chown %s: %s\n", path, strerror(errno));
	free(path);
	return err;
}

int render_case_files(json_t *run, const char *dir, int uid, int gid)
{
	json_t *cases = json_object_get(run, "cases"), *c;
	struct render_opts o = { .dir = dir };
	int err = 0;
	size_t i;

	json_array_foreach(cases, i, c) {
		char *cdir = case_dir_path(dir, c);

		for (size_t k = 0; k < sizeof(renderers) / sizeof(renderers[0]); k++) {
			const struct renderer *r = &renderers[k];
			char *path;
			FILE *f;
			int rc;

			if (!r->render_case)
				continue;
			path = xasprintf("%s/%s", cdir, r->file);
			f = fopen(path, "we");
			if (!f) {
				pr_warn("cannot write %s: %s\n", path, strerror(errno));
				err = err ? err : -errno;
				free(path);
				continue;
			}
			rc = r->render_case(run, c, cdir, f, &o);
			if (fclose(f) != 0 && !rc)
				rc = -EIO;
			if (rc) {
				pr_warn("cannot render %s (%s)\n", path, strerror(-rc));
				err = err ? err : rc;
			}
			if (uid >= 0 && chown(path, uid, gid) < 0)
				pr_debug("chown %s: %s\n", path, strerror(errno));
			free(path);
		}
		free(cdir);
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
