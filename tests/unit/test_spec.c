/* Unit tests of the workload spec: parsing and defaults, durations and sizes, the plan
 * (order, argv, environment, --only/--models/--repeat), and the exact message of every
 * kind of broken spec. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "spec.h"

#define SEC 1000000000ull

static struct spec *parse_ok(const char *yaml)
{
	char err[1024] = "";
	struct spec *s = NULL;
	int ret = spec_parse_string(yaml, "t.yaml", &s, err, sizeof(err));

	if (ret)
		fail_msg("unexpected error %d: %s", ret, err);
	assert_non_null(s);
	return s;
}

static struct plan *plan_ok(const struct spec *s, const struct plan_opts *o)
{
	char err[1024] = "";
	struct plan *p = NULL;
	int ret = spec_plan(s, o, &p, err, sizeof(err));

	if (ret)
		fail_msg("unexpected plan error %d: %s", ret, err);
	assert_non_null(p);
	return p;
}

/* argv (or env) equals the given words, then NULL. */
static void assert_strv(char *const *v, ...)
{
	va_list ap;
	const char *w;
	int i = 0;

	assert_non_null(v);
	va_start(ap, v);
	while ((w = va_arg(ap, const char *))) {
		assert_non_null(v[i]);
		assert_string_equal(v[i], w);
		i++;
	}
	va_end(ap);
	assert_null(v[i]);
}

/* ---- valid specs ---- */

static const char *const minimal =
	"name: m\n"
	"workloads:\n"
	"  - name: cpu\n"
	"    kind: cpu\n"
	"    models: [sequential, threading]\n";

static void test_minimal_defaults(void **state)
{
	struct spec *s = parse_ok(minimal);

	assert_string_equal(s->path, "t.yaml");
	assert_string_equal(s->name, "m");
	assert_null(s->description);
	assert_int_equal(s->repeat, 1);
	assert_int_equal(s->timeout_ns, 60 * SEC);
	assert_int_equal(s->tasks, 4);
	assert_string_equal(s->python, "python3");
	assert_null(s->env);
	assert_null(s->baseline);
	assert_true(s->stacks);
	assert_int_equal(s->sample_hz, 99);
	assert_false(s->timeline);
	assert_int_equal(s->nworkloads, 1);

	const struct spec_workload *w = &s->workloads[0];
	assert_string_equal(w->name, "cpu");
	assert_string_equal(w->kind, "cpu");
	assert_int_equal(w->size, 0);
	assert_int_equal(w->latency_ns, 0);
	assert_int_equal(w->tasks, 4);
	assert_int_equal(w->repeat, 1);
	assert_int_equal(w->timeout_ns, 60 * SEC);
	assert_null(w->env);
	assert_int_equal(w->line, 3);
	assert_int_equal(w->col, 5);
	assert_int_equal(w->nmodels, 2);
	assert_string_equal(w->models[0].name, "sequential");
	assert_string_equal(w->models[1].name, "threading");
	assert_null(w->models[0].argv);
	assert_int_equal(w->models[1].line, 5);
	assert_int_equal(w->models[1].col, 26);
	spec_free(s);
}

static const char *const full =
	"name: python-concurrency-models\n"
	"description: the models side by side\n"
	"defaults: {repeat: 3, timeout: 1.5m, tasks: 8, python: python3 -X dev, env: {A: '1', B: x}}\n"
	"baseline: threading\n"
	"trace: {stacks: no, sample_hz: 49, timeline: yes}\n"
	"workloads:\n"
	"  - name: cpu\n"
	"    kind: cpu\n"
	"    size: 2M\n"
	"    work: 64k\n"
	"    iterations: 7\n"
	"    models: [sequential, threading, c-pthreads]\n"
	"  - name: io\n"
	"    description: waits\n"
	"    kind: io\n"
	"    requests: 200\n"
	"    latency: 5ms\n"
	"    tasks: 16\n"
	"    repeat: 1\n"
	"    timeout: 500ms\n"
	"    env: {B: y, C: z}\n"
	"    models: [sequential, c-epoll]\n"
	"  - name: my-service\n"
	"    models:\n"
	"      threads: {command: [python3, app.py, --threads, 4]}\n"
	"      procs:\n"
	"        command: [python3, app.py, --procs]\n"
	"        env: {MODE: x, A: '2'}\n"
	"        cwd: /srv/app\n";

static void test_full_spec(void **state)
{
	struct spec *s = parse_ok(full);
	const struct spec_workload *w;

	assert_string_equal(s->description, "the models side by side");
	assert_int_equal(s->repeat, 3);
	assert_int_equal(s->timeout_ns, 90 * SEC);
	assert_int_equal(s->tasks, 8);
	assert_string_equal(s->python, "python3 -X dev");
	assert_strv(s->env, "A=1", "B=x", NULL);
	assert_string_equal(s->baseline, "threading");
	assert_false(s->stacks);
	assert_int_equal(s->sample_hz, 49);
	assert_true(s->timeline);
	assert_int_equal(s->nworkloads, 3);

	w = &s->workloads[0];
	assert_int_equal(w->size, 2000000);
	assert_int_equal(w->work, 64000);
	assert_int_equal(w->iterations, 7);
	assert_int_equal(w->requests, 0);
	assert_int_equal(w->tasks, 8);          /* from the defaults */
	assert_int_equal(w->repeat, 3);
	assert_int_equal(w->timeout_ns, 90 * SEC);

	w = &s->workloads[1];
	assert_string_equal(w->description, "waits");
	assert_int_equal(w->requests, 200);
	assert_int_equal(w->latency_ns, 5000000);
	assert_int_equal(w->tasks, 16);
	assert_int_equal(w->repeat, 1);
	assert_int_equal(w->timeout_ns, 500000000);
	assert_strv(w->env, "B=y", "C=z", NULL);

	w = &s->workloads[2];
	assert_null(w->kind);
	assert_int_equal(w->nmodels, 2);
	assert_string_equal(w->models[0].name, "threads");
	assert_strv(w->models[0].argv, "python3", "app.py", "--threads", "4", NULL);
	assert_null(w->models[0].env);
	assert_null(w->models[0].cwd);
	assert_string_equal(w->models[1].name, "procs");
	assert_strv(w->models[1].argv, "python3", "app.py", "--procs", NULL);
	assert_strv(w->models[1].env, "MODE=x", "A=2", NULL);
	assert_string_equal(w->models[1].cwd, "/srv/app");
	assert_int_equal(w->models[1].line, 26);
	assert_int_equal(w->models[1].col, 7);
	spec_free(s);
}

static void test_flow_and_anchors(void **state)
{
	/* flow style and an alias for a shared model list are ordinary YAML */
	struct spec *s = parse_ok(
		"{name: f, workloads: [{name: a, kind: lock, models: &m [sequential, c-fork]},\n"
		"                      {name: b, kind: cpu, models: *m}]}\n");

	assert_int_equal(s->nworkloads, 2);
	assert_int_equal(s->workloads[1].nmodels, 2);
	assert_string_equal(s->workloads[1].models[1].name, "c-fork");
	spec_free(s);
}

static void test_plan_order_and_argv(void **state)
{
	struct spec *s = parse_ok(full);
	struct plan_opts o = { .harness = "/h/harness.py", .cbase = "/b/cbase" };
	struct plan *p = plan_ok(s, &o);
	static const struct { const char *wl, *model; int repeat; bool base; } want[] = {
		{ "cpu", "sequential", 0, false }, { "cpu", "threading", 0, true },
		{ "cpu", "c-pthreads", 0, false }, { "cpu", "sequential", 1, false },
		{ "cpu", "threading", 1, true }, { "cpu", "c-pthreads", 1, false },
		{ "cpu", "sequential", 2, false }, { "cpu", "threading", 2, true },
		{ "cpu", "c-pthreads", 2, false },
		{ "io", "sequential", 0, true }, { "io", "c-epoll", 0, false },
		{ "my-service", "threads", 0, true }, { "my-service", "procs", 0, false },
		{ "my-service", "threads", 1, true }, { "my-service", "procs", 1, false },
		{ "my-service", "threads", 2, true }, { "my-service", "procs", 2, false },
	};

	assert_int_equal(p->ncases, sizeof(want) / sizeof(want[0]));
	for (int i = 0; i < p->ncases; i++) {
		const struct plan_case *c = &p->cases[i];

		assert_int_equal(c->index, i);
		assert_string_equal(c->wl->name, want[i].wl);
		assert_string_equal(c->model->name, want[i].model);
		assert_int_equal(c->repeat, want[i].repeat);
		assert_int_equal(c->is_baseline, want[i].base);
	}
	assert_strv(p->cases[0].argv, "python3", "-X", "dev", "/h/harness.py", "--kind", "cpu",
		    "--model", "sequential", "--tasks", "8", "--size", "2000000", "--work", "64000",
		    "--iterations", "7", NULL);
	assert_strv(p->cases[2].argv, "/b/cbase", "--kind", "cpu", "--model", "pthreads",
		    "--tasks", "8", "--size", "2000000", "--work", "64000", "--iterations", "7", NULL);
	assert_strv(p->cases[9].argv, "python3", "-X", "dev", "/h/harness.py", "--kind", "io",
		    "--model", "sequential", "--tasks", "16", "--requests", "200",
		    "--latency-us", "5000", NULL);
	assert_strv(p->cases[10].argv, "/b/cbase", "--kind", "io", "--model", "epoll", "--tasks",
		    "16", "--requests", "200", "--latency-us", "5000", NULL);
	assert_strv(p->cases[12].argv, "python3", "app.py", "--procs", NULL);
	assert_null(p->cases[0].cwd);
	assert_string_equal(p->cases[12].cwd, "/srv/app");
	assert_int_equal(p->cases[0].timeout_ns, 90 * SEC);
	assert_int_equal(p->cases[9].timeout_ns, 500000000);
	plan_free(p);
	spec_free(s);
}

static void test_plan_default_paths(void **state)
{
	struct spec *s = parse_ok(minimal);
	struct plan *p = plan_ok(s, NULL);

	assert_int_equal(p->ncases, 2);
	assert_strv(p->cases[1].argv, "python3", "workloads/python/harness.py", "--kind", "cpu",
		    "--model", "threading", "--tasks", "4", NULL);
	assert_null(p->cases[1].env);
	assert_true(p->cases[0].is_baseline);    /* no baseline: the first model */
	assert_false(p->cases[1].is_baseline);
	plan_free(p);
	spec_free(s);
}

static void test_plan_env_merge(void **state)
{
	struct spec *s = parse_ok(full);
	struct plan *p = plan_ok(s, NULL);

	/* defaults only */
	assert_strv(p->cases[0].env, "A=1", "B=x", NULL);
	/* the workload's B wins; its new C comes after */
	assert_strv(p->cases[9].env, "A=1", "B=y", "C=z", NULL);
	/* the model's A wins, in the place of the defaults' A */
	assert_strv(p->cases[11].env, "A=1", "B=x", NULL);
	assert_strv(p->cases[12].env, "A=2", "B=x", "MODE=x", NULL);
	plan_free(p);
	spec_free(s);
}

static void test_plan_only_models_repeat(void **state)
{
	struct spec *s = parse_ok(full);
	struct plan_opts o = { .only = "io,cpu", .models = "sequential,c-epoll", .repeat = 2 };
	struct plan *p = plan_ok(s, &o);

	/* spec order, not --only order; the baseline 'threading' is not run in cpu, so its
	 * first planned model is the baseline there */
	assert_int_equal(p->ncases, 6);
	assert_string_equal(p->cases[0].wl->name, "cpu");
	assert_string_equal(p->cases[0].model->name, "sequential");
	assert_true(p->cases[0].is_baseline);
	assert_string_equal(p->cases[1].model->name, "sequential");
	assert_int_equal(p->cases[1].repeat, 1);
	assert_string_equal(p->cases[2].wl->name, "io");
	assert_string_equal(p->cases[3].model->name, "c-epoll");
	assert_int_equal(p->cases[3].repeat, 0);
	assert_false(p->cases[3].is_baseline);
	assert_int_equal(p->cases[5].repeat, 1);
	assert_int_equal(p->cases[5].index, 5);
	plan_free(p);

	o = (struct plan_opts){ .only = "my-service", .repeat = 1 };
	p = plan_ok(s, &o);
	assert_int_equal(p->ncases, 2);
	plan_free(p);
	spec_free(s);
}

static void test_plan_errors(void **state)
{
	struct spec *s = parse_ok(full);
	struct plan *p = (struct plan *)1;
	char err[512];
	struct plan_opts o = { .only = "cpu,iox" };

	assert_int_equal(spec_plan(s, &o, &p, err, sizeof(err)), -EINVAL);
	assert_null(p);
	assert_string_equal(err, "--only: no workload named 'iox' (workloads: cpu, io, my-service; "
			    "did you mean 'io'?)");
	o = (struct plan_opts){ .only = "cpu", .models = "threading,c-epoll" };
	assert_int_equal(spec_plan(s, &o, &p, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--models: no selected workload has model 'c-epoll' (models: "
			    "sequential, threading, c-pthreads)");
	o = (struct plan_opts){ .models = "treads" };
	assert_int_equal(spec_plan(s, &o, &p, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--models: no selected workload has model 'treads' (models: "
			    "sequential, threading, c-pthreads, c-epoll, threads, procs; "
			    "did you mean 'threads'?)");
	o = (struct plan_opts){ .only = "cpu,,io" };
	assert_int_equal(spec_plan(s, &o, &p, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--only: empty name in 'cpu,,io'");
	o = (struct plan_opts){ .repeat = 1001 };
	assert_int_equal(spec_plan(s, &o, &p, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--repeat: 1001 is out of range (1..1000)");
	spec_free(s);
}

static void test_baseline_in_one_workload(void **state)
{
	struct spec *s = parse_ok(
		"name: b\n"
		"baseline: c-pthreads\n"
		"workloads:\n"
		"  - {name: a, kind: cpu, models: [threading, c-pthreads]}\n"
		"  - {name: b, kind: mixed, models: [asyncio, threading]}\n");
	struct plan *p = plan_ok(s, NULL);

	assert_int_equal(p->ncases, 4);
	assert_false(p->cases[0].is_baseline);
	assert_true(p->cases[1].is_baseline);
	assert_true(p->cases[2].is_baseline);    /* b has no c-pthreads: its first model */
	assert_false(p->cases[3].is_baseline);
	plan_free(p);
	spec_free(s);
}

/* ---- values ---- */

static void test_parse_duration(void **state)
{
	unsigned long long ns = 7;

	assert_int_equal(parse_duration("500us", &ns), 0);
	assert_int_equal(ns, 500000);
	assert_int_equal(parse_duration("5ms", &ns), 0);
	assert_int_equal(ns, 5000000);
	assert_int_equal(parse_duration("2s", &ns), 0);
	assert_int_equal(ns, 2 * SEC);
	assert_int_equal(parse_duration("1m", &ns), 0);
	assert_int_equal(ns, 60 * SEC);
	assert_int_equal(parse_duration("1.5s", &ns), 0);
	assert_int_equal(ns, 1500000000);
	assert_int_equal(parse_duration("0.25h", &ns), 0);
	assert_int_equal(ns, 900 * SEC);
	assert_int_equal(parse_duration("1ns", &ns), 0);
	assert_int_equal(ns, 1);
	assert_int_equal(parse_duration("1.9ns", &ns), 0);      /* rounded down */
	assert_int_equal(ns, 1);
	assert_int_equal(parse_duration("0.000000001s", &ns), 0);
	assert_int_equal(ns, 1);
	assert_int_equal(parse_duration("0s", &ns), 0);
	assert_int_equal(ns, 0);
	assert_int_equal(parse_duration("18446744073709551615ns", &ns), 0);
	assert_int_equal(ns, UINT64_MAX);

	ns = 7;
	assert_int_equal(parse_duration("18446744073709551616ns", &ns), -ERANGE);
	assert_int_equal(parse_duration("5124096h", &ns), -ERANGE);
	assert_int_equal(parse_duration("99999999999999999999999s", &ns), -ERANGE);
	assert_int_equal(parse_duration("5", &ns), -EINVAL);     /* a unit is required */
	assert_int_equal(parse_duration("", &ns), -EINVAL);
	assert_int_equal(parse_duration("ms", &ns), -EINVAL);
	assert_int_equal(parse_duration("-5ms", &ns), -EINVAL);
	assert_int_equal(parse_duration("+5ms", &ns), -EINVAL);
	assert_int_equal(parse_duration(".5s", &ns), -EINVAL);
	assert_int_equal(parse_duration("1.s", &ns), -EINVAL);
	assert_int_equal(parse_duration("5 ms", &ns), -EINVAL);
	assert_int_equal(parse_duration("5msec", &ns), -EINVAL);
	assert_int_equal(parse_duration("5MS", &ns), -EINVAL);
	assert_int_equal(parse_duration("1e3ms", &ns), -EINVAL);
	assert_int_equal(parse_duration("5ms ", &ns), -EINVAL);
	assert_int_equal(ns, 7);                                  /* untouched on error */
}

static void test_parse_size(void **state)
{
	unsigned long long v = 7;

	assert_int_equal(parse_size("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_size("123", &v), 0);
	assert_int_equal(v, 123);
	assert_int_equal(parse_size("64k", &v), 0);
	assert_int_equal(v, 64000);
	assert_int_equal(parse_size("64K", &v), 0);
	assert_int_equal(v, 64000);
	assert_int_equal(parse_size("1M", &v), 0);
	assert_int_equal(v, 1000000);
	assert_int_equal(parse_size("3G", &v), 0);
	assert_int_equal(v, 3000000000ull);
	assert_int_equal(parse_size("1000G", &v), 0);
	assert_int_equal(v, 1000000000000ull);
	assert_int_equal(parse_size("1000000000000", &v), 0);
	assert_int_equal(v, 1000000000000ull);

	v = 7;
	assert_int_equal(parse_size("1000000000001", &v), -ERANGE);
	assert_int_equal(parse_size("1001G", &v), -ERANGE);
	assert_int_equal(parse_size("1000000001k", &v), -ERANGE);
	assert_int_equal(parse_size("99999999999999999999999", &v), -ERANGE);
	assert_int_equal(parse_size("", &v), -EINVAL);
	assert_int_equal(parse_size("k", &v), -EINVAL);
	assert_int_equal(parse_size("-1", &v), -EINVAL);
	assert_int_equal(parse_size("1.5M", &v), -EINVAL);
	assert_int_equal(parse_size("1m", &v), -EINVAL);       /* milli? mega? neither */
	assert_int_equal(parse_size("1T", &v), -EINVAL);
	assert_int_equal(parse_size("1kk", &v), -EINVAL);
	assert_int_equal(parse_size("1 k", &v), -EINVAL);
	assert_int_equal(parse_size("0x10", &v), -EINVAL);
	assert_int_equal(v, 7);
}

/* ---- files ---- */

static char tmpdir[64];

static char *write_tmp(const char *name, const char *data, size_t len)
{
	char *path;
	FILE *f;

	if (!tmpdir[0]) {
		strcpy(tmpdir, "/tmp/test_spec.XXXXXX");
		assert_non_null(mkdtemp(tmpdir));
	}
	assert_true(asprintf(&path, "%s/%s", tmpdir, name) > 0);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

static void test_load_file(void **state)
{
	char *path = write_tmp("ok.yaml", minimal, strlen(minimal)), err[512] = "";
	struct spec *s = NULL;

	assert_int_equal(spec_load(path, &s, err, sizeof(err)), 0);
	assert_string_equal(s->path, path);
	assert_int_equal(s->nworkloads, 1);
	spec_free(s);
	unlink(path);
	free(path);
}

static void test_load_errors(void **state)
{
	struct spec *s = (struct spec *)1;
	char err[512], want[600], *path;

	assert_int_equal(spec_load("/nonexistent/x.yaml", &s, err, sizeof(err)), -ENOENT);
	assert_null(s);
	assert_string_equal(err, "/nonexistent/x.yaml: cannot open: No such file or directory");
	assert_int_equal(spec_load("/", &s, err, sizeof(err)), -EISDIR);
	assert_string_equal(err, "/: cannot open: Is a directory");

	path = write_tmp("empty.yaml", "", 0);
	assert_int_equal(spec_load(path, &s, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:1:1: empty spec (a spec needs at least 'name' and "
		 "'workloads')", path);
	assert_string_equal(err, want);
	unlink(path);
	free(path);

	/* a NUL byte in the file is not the end of the text */
	static const char nul[] = "name: x\nworkloads: [a\0]\n";

	path = write_tmp("nul.yaml", nul, sizeof(nul) - 1);
	assert_int_equal(spec_load(path, &s, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:2:14: invalid text: control characters are not allowed",
		 path);
	assert_string_equal(err, want);
	unlink(path);
	free(path);
	assert_null(s);
	rmdir(tmpdir);
}

static void test_error_buffer_small(void **state)
{
	struct spec *s;
	char err[12];

	assert_int_equal(spec_parse_string("name: [", "long-file-name.yaml", &s, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "long-file-n");
	assert_int_equal(spec_parse_string("name: [", "x.yaml", &s, NULL, 0), -EINVAL);
}

/* ---- broken specs: the exact message of each ---- */

struct bad_spec {
	const char *name;
	const char *yaml;
	const char *msg;
};

#define WL "name: x\nworkloads:\n  - name: a\n"      /* workloads[0] starts on line 3 */

static const struct bad_spec bad[] = {
	{ "syntax_mapping_values", "name: x\n bad: 1\n",
	  "x.yaml:2:5: syntax error: mapping values are not allowed in this context" },
	{ "syntax_tab", "name: x\n\tworkloads: []\n",
	  "x.yaml:2:1: syntax error: found a tab character that violates indentation "
	  "(YAML is indented with spaces, not tabs)" },
	{ "syntax_unclosed_flow", "name: x\nworkloads: [a, b\ntrace: {}\n",
	  "x.yaml:3:6: syntax error: did not find expected ',' or ']' "
	  "(while parsing a flow sequence at line 2, column 12)" },
	{ "syntax_undefined_alias", "name: x\nworkloads: *w\n",
	  "x.yaml:2:12: syntax error: found undefined alias" },
	{ "control_character", "name: x\x01\n",
	  "x.yaml:1:8: invalid text: control characters are not allowed" },
	{ "empty", "", "x.yaml:1:1: empty spec (a spec needs at least 'name' and 'workloads')" },
	{ "only_comments", "# nothing yet\n\n",
	  "x.yaml:1:1: empty spec (a spec needs at least 'name' and 'workloads')" },
	{ "two_documents", "name: x\nworkloads: []\n---\nname: y\n",
	  "x.yaml:3:1: multiple YAML documents (a spec is one document)" },
	{ "root_list", "- name: x\n",
	  "x.yaml:1:1: expected a mapping at top level, got a list" },
	{ "unknown_top_key", "name: x\ndefualts: {}\n",
	  "x.yaml:2:1: unknown key 'defualts' at top level (did you mean 'defaults'?)" },
	{ "unknown_top_key_no_guess", "name: x\nfoo: 1\n",
	  "x.yaml:2:1: unknown key 'foo' at top level (expected one of name, description, "
	  "defaults, baseline, trace, workloads)" },
	{ "unknown_defaults_key", "name: x\ndefaults: {tasks: 4, repet: 2}\n",
	  "x.yaml:2:22: unknown key 'repet' in defaults (did you mean 'repeat'?)" },
	{ "unknown_workload_key", WL "    kind: cpu\n    sise: 1\n    models: [asyncio]\n",
	  "x.yaml:5:5: unknown key 'sise' in workloads[0] (did you mean 'size'?)" },
	{ "unknown_model_key", WL "    models:\n      t: {cmd: [a]}\n",
	  "x.yaml:5:11: unknown key 'cmd' in workloads[0].models.t (did you mean 'command'?)" },
	{ "duplicate_key", "name: x\nname: y\n", "x.yaml:2:1: duplicate key 'name' at top level" },
	{ "missing_name", "workloads:\n  - {name: a, kind: cpu, models: [asyncio]}\n",
	  "x.yaml:1:1: missing required key 'name' at top level" },
	{ "missing_workloads", "name: x\ndescription: d\n",
	  "x.yaml:1:1: missing required key 'workloads' at top level" },
	{ "name_null", "name:\nworkloads: []\n", "x.yaml:1:6: name: expected a string, got nothing" },
	{ "name_bad_characters", "name: my spec\n",
	  "x.yaml:1:7: name: 'my spec' may only contain letters, digits, '_', '.' and '-'" },
	{ "defaults_not_mapping", "name: x\ndefaults: [1]\n",
	  "x.yaml:2:11: defaults: expected a mapping, got a list" },
	{ "repeat_zero", "name: x\ndefaults: {repeat: 0}\n",
	  "x.yaml:2:20: defaults.repeat: 0 is out of range (1..1000)" },
	{ "repeat_negative", "name: x\ndefaults: {repeat: -3}\n",
	  "x.yaml:2:20: defaults.repeat: -3 is out of range (1..1000)" },
	{ "repeat_overflow", "name: x\ndefaults:\n  repeat: 99999999999999999999999\n",
	  "x.yaml:3:11: defaults.repeat: 99999999999999999999999 is out of range (1..1000)" },
	{ "repeat_not_integer", "name: x\ndefaults: {repeat: three}\n",
	  "x.yaml:2:20: defaults.repeat: expected an integer, got 'three'" },
	{ "tasks_too_many", "name: x\ndefaults: {tasks: 4097}\n",
	  "x.yaml:2:19: defaults.tasks: 4097 is out of range (1..4096)" },
	{ "timeout_bare_number", "name: x\ndefaults: {timeout: 60}\n",
	  "x.yaml:2:21: defaults.timeout: 60 has no unit (use one of ns, us, ms, s, m, h, "
	  "e.g. 60s)" },
	{ "timeout_unknown_unit", "name: x\ndefaults: {timeout: 60sec}\n",
	  "x.yaml:2:21: defaults.timeout: unknown unit 'sec' in 60sec (expected one of ns, us, "
	  "ms, s, m, h)" },
	{ "timeout_too_long", "name: x\ndefaults: {timeout: 24.5h}\n",
	  "x.yaml:2:21: defaults.timeout: 24.5h is too long (at most 24h)" },
	{ "timeout_overflow", "name: x\ndefaults: {timeout: 99999999999999999999h}\n",
	  "x.yaml:2:21: defaults.timeout: 99999999999999999999h is too long (at most 24h)" },
	{ "timeout_negative", "name: x\ndefaults: {timeout: -1s}\n",
	  "x.yaml:2:21: defaults.timeout: -1s is negative" },
	{ "timeout_zero", "name: x\ndefaults: {timeout: 0ms}\n",
	  "x.yaml:2:21: defaults.timeout: must be greater than zero" },
	{ "timeout_not_duration", "name: x\ndefaults: {timeout: soon}\n",
	  "x.yaml:2:21: defaults.timeout: expected a duration (e.g. 500us, 5ms, 2s, 1.5m), "
	  "got 'soon'" },
	{ "python_blank", "name: x\ndefaults: {python: '  '}\n",
	  "x.yaml:2:20: defaults.python: must not be empty" },
	{ "pythons_and_python", "name: x\ndefaults: {python: python3, pythons: [python3.11]}\n",
	  "x.yaml:2:20: defaults: give python or pythons, not both" },
	{ "pythons_empty", "name: x\ndefaults: {pythons: []}\n",
	  "x.yaml:2:21: defaults.pythons: give at least one interpreter" },
	{ "pythons_blank", "name: x\ndefaults: {pythons: [python3, ' ']}\n",
	  "x.yaml:2:31: defaults.pythons[1]: must not be empty" },
	{ "pythons_not_list", "name: x\ndefaults: {pythons: python3}\n",
	  "x.yaml:2:21: defaults.pythons: expected a list, got 'python3'" },
	{ "env_list", "name: x\ndefaults: {env: [A=1]}\n",
	  "x.yaml:2:17: defaults.env: expected a mapping, got a list" },
	{ "env_bad_name", "name: x\ndefaults: {env: {A=B: 1}}\n",
	  "x.yaml:2:18: defaults.env: invalid variable name 'A=B'" },
	{ "stacks_not_boolean", "name: x\ntrace: {stacks: maybe}\n",
	  "x.yaml:2:17: trace.stacks: expected a boolean (true or false), got 'maybe'" },
	{ "sample_hz_too_high", "name: x\ntrace: {sample_hz: 20000}\n",
	  "x.yaml:2:20: trace.sample_hz: 20000 is out of range (1..10000)" },
	{ "workloads_empty", "name: x\nworkloads: []\n",
	  "x.yaml:2:12: workloads: empty list (give at least one workload)" },
	{ "workloads_mapping", "name: x\nworkloads: {a: 1}\n",
	  "x.yaml:2:12: workloads: expected a list, got a mapping" },
	{ "workload_scalar", "name: x\nworkloads:\n  - cpu\n",
	  "x.yaml:3:5: workloads[0]: expected a mapping, got 'cpu'" },
	{ "workload_missing_name", "name: x\nworkloads:\n  - kind: cpu\n    models: [asyncio]\n",
	  "x.yaml:3:5: workloads[0]: missing required key 'name'" },
	{ "workload_missing_models", WL "    kind: cpu\n",
	  "x.yaml:3:5: workloads[0]: missing required key 'models'" },
	{ "workload_bad_name", "name: x\nworkloads:\n  - name: a/b\n",
	  "x.yaml:3:11: workloads[0].name: 'a/b' may only contain letters, digits, '_', '.' "
	  "and '-'" },
	{ "duplicate_workload", WL "    kind: cpu\n    models: [asyncio]\n  - name: a\n"
	  "    kind: io\n    models: [asyncio]\n",
	  "x.yaml:6:11: workloads[1].name: duplicate workload name 'a' (also workloads[0])" },
	{ "unknown_kind", WL "    kind: cpus\n    models: [sequential]\n",
	  "x.yaml:4:11: workloads[0].kind: unknown kind 'cpus' (expected one of cpu, io, mixed, "
	  "lock, convoy, race; did you mean 'cpu'?)" },
	{ "kind_not_string", WL "    kind: [cpu]\n",
	  "x.yaml:4:11: workloads[0].kind: expected a string, got a list" },
	{ "unknown_model", WL "    kind: cpu\n    models: [sequential, threads]\n",
	  "x.yaml:5:26: workloads[0].models[1]: unknown model 'threads' (expected one of "
	  "sequential, threading, multiprocessing, asyncio, thread-pool, process-pool, "
	  "threading-lock, multiprocessing-value, c-sequential, c-pthreads, c-fork, c-epoll, "
	  "c-pthreads-mutex, c-fork-shm, c-fork-shm-mutex; did you mean 'threading'?)" },
	{ "race_model_not_for_cpu", WL "    kind: cpu\n    models: [threading-lock]\n",
	  "x.yaml:5:14: workloads[0].models[0]: model 'threading-lock' does not apply to kind "
	  "'cpu' (threading-lock runs kind race only)" },
	{ "model_not_for_kind", WL "    kind: cpu\n    models: [sequential, c-epoll]\n",
	  "x.yaml:5:26: workloads[0].models[1]: model 'c-epoll' does not apply to kind 'cpu' "
	  "(c-epoll runs kind io only)" },
	{ "c_model_not_for_mixed", WL "    models: [c-fork]\n    kind: mixed\n",
	  "x.yaml:4:14: workloads[0].models[0]: model 'c-fork' does not apply to kind 'mixed' "
	  "(c-fork runs kinds cpu, io, lock, race only)" },
	{ "duplicate_model", WL "    kind: io\n    models: [asyncio, threading, asyncio]\n",
	  "x.yaml:5:34: workloads[0].models[2]: duplicate model 'asyncio'" },
	{ "models_empty", WL "    kind: io\n    models: []\n",
	  "x.yaml:5:13: workloads[0].models: empty list (give at least one model)" },
	{ "models_list_without_kind", WL "    models: [sequential]\n",
	  "x.yaml:4:13: workloads[0].models: a list of models needs 'kind' (one of cpu, io, "
	  "mixed, lock, convoy, race) or 'function'; a custom workload maps each model name to "
	  "{command: [...]}" },
	{ "models_map_with_kind", WL "    kind: cpu\n    models: {t: {command: [a]}}\n",
	  "x.yaml:5:13: workloads[0].models: a reference workload (with 'kind') takes a list of "
	  "model names; a mapping of commands is for a custom workload (without 'kind')" },
	{ "size_too_large", WL "    kind: cpu\n    size: 2000G\n",
	  "x.yaml:5:11: workloads[0].size: 2000G is too large (at most 1000G)" },
	{ "size_negative", WL "    kind: cpu\n    size: -5\n",
	  "x.yaml:5:11: workloads[0].size: -5 is negative" },
	{ "size_zero", WL "    kind: cpu\n    work: 0k\n",
	  "x.yaml:5:11: workloads[0].work: must be greater than zero" },
	{ "size_bad_suffix", WL "    kind: cpu\n    size: 2T\n",
	  "x.yaml:5:11: workloads[0].size: expected a size (an integer, optionally with k, M or "
	  "G), got '2T'" },
	{ "requests_decimal", WL "    kind: io\n    requests: 1.5\n",
	  "x.yaml:5:15: workloads[0].requests: expected an integer, got '1.5'" },
	{ "iterations_too_many", WL "    kind: lock\n    iterations: 1000000001\n",
	  "x.yaml:5:17: workloads[0].iterations: 1000000001 is out of range (1..1000000000)" },
	{ "latency_sub_microsecond", WL "    kind: io\n    latency: 1500ns\n",
	  "x.yaml:5:14: workloads[0].latency: 1500ns is not a whole number of microseconds" },
	{ "latency_too_long", WL "    kind: io\n    latency: 2h\n",
	  "x.yaml:5:14: workloads[0].latency: 2h is too long (at most 1h)" },
	{ "param_on_custom", WL "    size: 5\n    models:\n      t: {command: [a]}\n",
	  "x.yaml:4:5: workloads[0].size: only a reference workload (one with 'kind') takes "
	  "'size'" },
	{ "env_value_null", WL "    kind: cpu\n    env: {A: }\n",
	  "x.yaml:5:14: workloads[0].env.A: expected a string, got nothing" },
	{ "custom_missing_command", WL "    models:\n      t: {env: {A: b}}\n",
	  "x.yaml:5:10: workloads[0].models.t: missing required key 'command'" },
	{ "custom_command_string", WL "    models:\n      t: {command: python3 app.py}\n",
	  "x.yaml:5:20: workloads[0].models.t.command: expected a list of strings (the argv), "
	  "got 'python3 app.py'" },
	{ "custom_command_empty", WL "    models:\n      t: {command: []}\n",
	  "x.yaml:5:20: workloads[0].models.t.command: empty list (give the program and its "
	  "arguments)" },
	{ "custom_command_item_list", WL "    models:\n      t:\n        command: [a, [b]]\n",
	  "x.yaml:6:22: workloads[0].models.t.command[1]: expected a string, got a list" },
	{ "custom_model_bad_name", WL "    models:\n      'a b': {command: [a]}\n",
	  "x.yaml:5:7: workloads[0].models.a b: 'a b' may only contain letters, digits, '_', "
	  "'.' and '-'" },
	{ "custom_duplicate_model", WL "    models:\n      t: {command: [a]}\n      t: {command: [b]}\n",
	  "x.yaml:6:7: duplicate key 't' in workloads[0].models" },
	{ "custom_models_empty", WL "    models: {}\n",
	  "x.yaml:4:13: workloads[0].models: empty mapping (give at least one model)" },
	{ "custom_env_value_list", WL "    models:\n      t: {command: [a], env: {A: [1]}}\n",
	  "x.yaml:5:34: workloads[0].models.t.env.A: expected a string, got a list" },
	{ "function_not_module_callable", WL "    function: mymod.run\n    models: [sequential]\n",
	  "x.yaml:4:15: workloads[0].function: 'mymod.run' is not module:callable (e.g. "
	  "mypkg.work:handle; the module is imported, the callable may be Class.method)" },
	{ "function_bad_identifier", WL "    function: 'my-mod:run'\n    models: [sequential]\n",
	  "x.yaml:4:15: workloads[0].function: 'my-mod:run' is not module:callable (e.g. "
	  "mypkg.work:handle; the module is imported, the callable may be Class.method)" },
	{ "function_and_kind", WL "    kind: cpu\n    function: m:f\n    models: [sequential]\n",
	  "x.yaml:4:5: workloads[0]: a workload has either 'kind' (a reference workload) or "
	  "'function' (your own), not both" },
	{ "function_unknown_model", WL "    function: m:f\n    models: [c-pthreads]\n",
	  "x.yaml:5:14: workloads[0].models[0]: unknown model 'c-pthreads' for a function "
	  "(expected one of sequential, threading, thread-pool, asyncio, asyncio-to-thread, "
	  "multiprocessing, multiprocessing-fork, multiprocessing-spawn, "
	  "multiprocessing-forkserver, process-pool, process-pool-fork, process-pool-spawn, "
	  "process-pool-forkserver, asyncio-process-pool, asyncio-process-pool-fork, "
	  "asyncio-process-pool-spawn, asyncio-process-pool-forkserver)" },
	{ "function_model_typo", WL "    function: m:f\n    models: [process-pool-spwan]\n",
	  "x.yaml:5:14: workloads[0].models[0]: unknown model 'process-pool-spwan' for a "
	  "function (expected one of sequential, threading, thread-pool, asyncio, "
	  "asyncio-to-thread, multiprocessing, multiprocessing-fork, multiprocessing-spawn, "
	  "multiprocessing-forkserver, process-pool, process-pool-fork, process-pool-spawn, "
	  "process-pool-forkserver, asyncio-process-pool, asyncio-process-pool-fork, "
	  "asyncio-process-pool-spawn, asyncio-process-pool-forkserver; did you mean "
	  "'process-pool-spawn'?)" },
	{ "function_size", WL "    function: m:f\n    size: 5\n    models: [sequential]\n",
	  "x.yaml:5:5: workloads[0].size: only a reference workload (one with 'kind') takes "
	  "'size'" },
	{ "calls_on_reference", WL "    kind: cpu\n    calls: 5\n    models: [sequential]\n",
	  "x.yaml:5:5: workloads[0].calls: only a function workload (one with 'function') "
	  "takes 'calls'" },
	{ "calls_zero", WL "    function: m:f\n    calls: 0\n    models: [sequential]\n",
	  "x.yaml:5:12: workloads[0].calls: 0 is out of range (1..1000000000)" },
	{ "args_scalar", WL "    function: m:f\n    args: 5\n    models: [sequential]\n",
	  "x.yaml:5:11: workloads[0].args: expected a list (the arguments of each call) or "
	  "{per_task: [...]}, got '5'" },
	{ "args_unknown_key", WL "    function: m:f\n    args: {per_tsk: [[1]]}\n    models: [sequential]\n",
	  "x.yaml:5:12: unknown key 'per_tsk' in args (did you mean 'per_task'?)" },
	{ "args_per_task_count", "name: x\ndefaults: {tasks: 3}\nworkloads:\n  - name: a\n"
	  "    function: m:f\n    args: {per_task: [[1], [2]]}\n    models: [sequential]\n",
	  "x.yaml:6:22: workloads[0].args.per_task: 2 argument lists for 3 tasks (give one "
	  "per task)" },
	{ "args_per_task_not_lists", WL "    function: m:f\n    args: {per_task: [1, 2]}\n    models: [sequential]\n",
	  "x.yaml:5:23: workloads[0].args.per_task[0]: expected a list (one task's arguments), "
	  "got '1'" },
	{ "args_int_overflow", WL "    function: m:f\n    args: [1, 99999999999999999999]\n    models: [sequential]\n",
	  "x.yaml:5:15: workloads[0].args[1]: 99999999999999999999 is out of range for an "
	  "integer argument (quote it for a string)" },
	{ "args_duplicate_key", WL "    function: m:f\n    args: [{a: 1, a: 2}]\n    models: [sequential]\n",
	  "x.yaml:5:19: duplicate key 'a' in workloads[0].args[0]" },
	{ "args_too_deep", WL "    function: m:f\n    args: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n    models: [sequential]\n",
	  "x.yaml:5:44: workloads[0].args[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]: nested more than 32 levels deep" },
	{ "pythonpath_empty", WL "    function: m:f\n    pythonpath: []\n    models: [sequential]\n",
	  "x.yaml:5:17: workloads[0].pythonpath: empty list" },
	{ "pythonpath_colon", WL "    function: m:f\n    pythonpath: [a, 'b:c']\n    models: [sequential]\n",
	  "x.yaml:5:21: workloads[0].pythonpath[1]: a directory with ':' cannot go on PYTHONPATH" },
	{ "cwd_empty", WL "    function: m:f\n    cwd: ''\n    models: [sequential]\n",
	  "x.yaml:5:10: workloads[0].cwd: must not be empty" },
	{ "baseline_unknown", "name: x\nbaseline: seqential\nworkloads:\n"
	  "  - {name: a, kind: cpu, models: [sequential]}\n",
	  "x.yaml:2:11: baseline: 'seqential' is not a model of any workload "
	  "(did you mean 'sequential'?)" },
	{ "baseline_not_used", "name: x\nworkloads:\n  - {name: a, kind: cpu, models: [asyncio]}\n"
	  "baseline: c-fork\n",
	  "x.yaml:4:11: baseline: 'c-fork' is not a model of any workload" },
};

/* ---- function workloads ---- */

static void test_function_workload(void **state)
{
	struct spec *s = parse_ok(
		"name: f\n"
		"defaults: {tasks: 2}\n"
		"workloads:\n"
		"  - name: mine\n"
		"    function: pkg.work:Handler.run\n"
		"    args: [1, -2, 2.5, 1e3, \"3\", x, true, False, null, ~, [a], {k: v, n: 0x1}]\n"
		"    calls: 40\n"
		"    pythonpath: [src, /opt/lib]\n"
		"    cwd: /srv/app\n"
		"    tasks: 3\n"
		"    models: [sequential, asyncio, process-pool-forkserver]\n"
		"  - name: per\n"
		"    function: m:f\n"
		"    args: {per_task: [[1, a], []]}\n"
		"    pythonpath: lib\n"
		"    models: [multiprocessing-spawn]\n");
	const struct spec_workload *w = &s->workloads[0];
	struct plan *p;

	(void)state;
	assert_null(w->kind);
	assert_string_equal(w->function, "pkg.work:Handler.run");
	assert_int_equal(w->fn_line, 5);
	assert_int_equal(w->fn_col, 15);
	/* YAML 1.2 core types; quoted scalars and anything else are strings */
	assert_string_equal(w->args_json, "[1,-2,2.5,1000.0,\"3\",\"x\",true,false,null,null,"
			    "[\"a\"],{\"k\":\"v\",\"n\":\"0x1\"}]");
	assert_null(w->task_args_json);
	assert_int_equal(w->calls, 40);
	assert_int_equal(w->tasks, 3);
	assert_string_equal(w->pythonpath, "src:/opt/lib");
	assert_string_equal(w->cwd, "/srv/app");
	assert_string_equal(s->workloads[1].task_args_json, "[[1,\"a\"],[]]");
	assert_null(s->workloads[1].args_json);
	assert_int_equal(s->workloads[1].calls, 0);

	p = plan_ok(s, &(struct plan_opts){ .harness = "h.py" });
	assert_int_equal(p->ncases, 4);
	assert_strv(p->cases[2].argv, "python3", "h.py", "--function", "pkg.work:Handler.run",
		    "--model", "process-pool-forkserver", "--tasks", "3", "--calls", "40", "--args",
		    w->args_json, "--pythonpath", "src:/opt/lib", NULL);
	assert_string_equal(p->cases[2].cwd, "/srv/app");
	assert_strv(p->cases[3].argv, "python3", "h.py", "--function", "m:f", "--model",
		    "multiprocessing-spawn", "--tasks", "2", "--task-args", "[[1,\"a\"],[]]",
		    "--pythonpath", "lib", NULL);
	assert_null(p->cases[3].cwd);
	plan_free(p);
	spec_free(s);
}

/* defaults.pythons: each Python model runs under each interpreter, named "model [label]",
 * with each interpreter's baseline; C models run once. */
static void test_plan_pythons_axis(void **state)
{
	struct spec *s = parse_ok(
		"name: axis\n"
		"defaults: {pythons: [python3.11, 'chroot /srv/py314 python3.14', /opt/py/bin/python3.11]}\n"
		"baseline: sequential\n"
		"workloads:\n"
		"  - name: cpu\n    kind: cpu\n    models: [sequential, threading, c-pthreads]\n");
	struct plan_opts o = { .harness = "/h/harness.py", .cbase = "/b/cbase" };
	struct plan *p = plan_ok(s, &o);
	static const struct { const char *name; bool base; } want[] = {
		{ "sequential [python3.11]", true }, { "sequential [python3.14]", true },
		{ "sequential [python3.11#2]", true },
		{ "threading [python3.11]", false }, { "threading [python3.14]", false },
		{ "threading [python3.11#2]", false }, { "c-pthreads", false },
	};

	assert_strv(s->python_labels, "python3.11", "python3.14", "python3.11#2", NULL);
	assert_int_equal(p->ncases, sizeof(want) / sizeof(want[0]));
	for (int i = 0; i < p->ncases; i++) {
		assert_string_equal(p->cases[i].name, want[i].name);
		assert_int_equal(p->cases[i].is_baseline, want[i].base);
	}
	assert_strv(p->cases[1].argv, "chroot", "/srv/py314", "python3.14", "/h/harness.py",
		    "--kind", "cpu", "--model", "sequential", "--tasks", "4", NULL);
	assert_string_equal(p->cases[4].python, "chroot /srv/py314 python3.14");
	assert_strv(p->cases[6].argv, "/b/cbase", "--kind", "cpu", "--model", "pthreads",
		    "--tasks", "4", NULL);
	assert_null(p->cases[6].python);
	/* --models selects a model under every interpreter */
	plan_free(p);
	o.models = "threading";
	p = plan_ok(s, &o);
	assert_int_equal(p->ncases, 3);
	assert_string_equal(p->cases[2].name, "threading [python3.11#2]");
	plan_free(p);
	spec_free(s);
	(void)state;
}

static void test_race_kind(void **state)
{
	struct spec *s = parse_ok(
		"name: r\n"
		"workloads:\n"
		"  - name: race\n"
		"    kind: race\n"
		"    iterations: 3000\n"
		"    work: 200\n"
		"    models: [threading, threading-lock, multiprocessing-value, c-pthreads-mutex,\n"
		"             c-fork-shm, c-fork-shm-mutex]\n");
	struct plan *p = plan_ok(s, &(struct plan_opts){ .harness = "h.py", .cbase = "cb" });

	(void)state;
	assert_int_equal(p->ncases, 6);
	assert_strv(p->cases[1].argv, "python3", "h.py", "--kind", "race", "--model",
		    "threading-lock", "--tasks", "4", "--work", "200", "--iterations", "3000", NULL);
	assert_strv(p->cases[5].argv, "cb", "--kind", "race", "--model", "fork-shm-mutex",
		    "--tasks", "4", "--work", "200", "--iterations", "3000", NULL);
	plan_free(p);
	spec_free(s);
}

static void test_bad_spec(void **state)
{
	const struct bad_spec *b = *state;
	struct spec *s = (struct spec *)1;
	char err[1024] = "";

	assert_int_equal(spec_parse_string(b->yaml, "x.yaml", &s, err, sizeof(err)), -EINVAL);
	assert_null(s);
	assert_string_equal(err, b->msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal_defaults),
		cmocka_unit_test(test_full_spec),
		cmocka_unit_test(test_flow_and_anchors),
		cmocka_unit_test(test_plan_order_and_argv),
		cmocka_unit_test(test_plan_default_paths),
		cmocka_unit_test(test_plan_pythons_axis),
		cmocka_unit_test(test_function_workload),
		cmocka_unit_test(test_race_kind),
		cmocka_unit_test(test_plan_env_merge),
		cmocka_unit_test(test_plan_only_models_repeat),
		cmocka_unit_test(test_plan_errors),
		cmocka_unit_test(test_baseline_in_one_workload),
		cmocka_unit_test(test_parse_duration),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_error_buffer_small),
	};
	static struct CMUnitTest bad_tests[sizeof(bad) / sizeof(bad[0])];
	int failed;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		bad_tests[i] = (struct CMUnitTest){
			.name = bad[i].name,
			.test_func = test_bad_spec,
			.initial_state = (void *)&bad[i],
		};
	failed = cmocka_run_group_tests_name("spec", tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("broken specs", bad_tests, NULL, NULL);
	return failed ? 1 : 0;
}
