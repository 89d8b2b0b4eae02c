/* The user's own Python function: the harness imports it once before the run (so that a
 * module that does not import, or a name that is not callable, is named before anything is
 * traced), the models are checked against it, and `conctrace run --function` gets a spec. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "function.h"
#include "runner.h"

#define PROBE_TIMEOUT_NS (60ull * 1000000000)

static const char *const plain_models[] = {
	"sequential", "threading", "thread-pool", "asyncio-to-thread",
	"multiprocessing-fork", "multiprocessing-spawn", "multiprocessing-forkserver",
	"process-pool-fork", "process-pool-spawn", "process-pool-forkserver",
	"asyncio-process-pool",
};
static const char *const async_models[] = {
	"sequential", "threading", "thread-pool", "asyncio",
	"multiprocessing-fork", "multiprocessing-spawn", "multiprocessing-forkserver",
	"process-pool-fork", "process-pool-spawn", "process-pool-forkserver",
};

int function_probe(const struct plan_case *pc, const struct ct_user *u, bool as_root,
		   bool *is_async, char *err, size_t errlen)
{
	struct runner_opts o = {
		.env = pc->env, .cwd = pc->cwd, .timeout_ns = PROBE_TIMEOUT_NS, .user = u,
		.as_root = as_root, .own_pgrp = true, .report_fd3 = true,
		.stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1,
	};
	struct runner_result res = {};
	struct runner r;
	char **argv;
	json_t *j = NULL;
	int n = 0, ret, nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);

	while (pc->argv[n])
		n++;
	argv = xcalloc(n + 2, sizeof(char *));
	memcpy(argv, pc->argv, n * sizeof(char *));
	argv[n] = "--probe";
	o.argv = argv;
	o.stdin_fd = o.stdout_fd = o.stderr_fd = nullfd;
	ret = runner_start(&r, &o);
	if (!ret)
		ret = runner_release(&r, &res.start_ns);
	if (ret) {
		snprintf(err, errlen, "cannot run %s: %s", argv[0],
			 ret == -ENOENT ? "command not found" : strerror(-ret));
		goto out;
	}
	runner_wait(&r, NULL, &res);
	if (res.report)
		j = json_loads(res.report, 0, NULL);
	if (res.timed_out) {
		snprintf(err, errlen, "importing it did not finish in %llu s",
			 PROBE_TIMEOUT_NS / 1000000000);
		ret = -ETIMEDOUT;
	} else if (json_is_true(json_object_get(j, "ok"))) {
		*is_async = json_is_true(json_object_get(j, "async"));
	} else if (json_is_string(json_object_get(j, "error"))) {
		snprintf(err, errlen, "%s", json_string_value(json_object_get(j, "error")));
		ret = -EINVAL;
	} else {
		snprintf(err, errlen, "the harness could not import it (exit %d, signal %d, no "
			 "report)", res.exit_code, res.signal);
		ret = -EIO;
	}
out:
	json_decref(j);
	free(res.report);
	free(argv);
	if (nullfd >= 0)
		close(nullfd);
	return ret;
}

/* Why model `name` does not fit a function that is (not) an async def, or NULL. */
static const char *misfit(const char *name, bool is_async)
{
	if (!is_async && !strcmp(name, "asyncio"))
		return "model asyncio awaits coroutines and this is a plain function (use "
		       "asyncio-to-thread or asyncio-process-pool to call it from an event loop)";
	if (is_async && (!strcmp(name, "asyncio-to-thread") ||
			 !strncmp(name, "asyncio-process-pool", 20)))
		return "this model calls a plain function from the event loop and this is an "
		       "async def (model asyncio awaits it)";
	return NULL;
}

int function_check(const struct spec *s, const struct plan *p, const struct ct_user *u,
		   bool as_root, char *err, size_t errlen)
{
	char why[1024];

	for (int i = 0; i < s->nworkloads; i++) {
		const struct spec_workload *w = &s->workloads[i];
		const struct plan_case *first = NULL;
		bool is_async = false;
		int ret;

		if (!w->function)
			continue;
		for (int c = 0; c < p->ncases && !first; c++)
			if (p->cases[c].wl == w)
				first = &p->cases[c];
		if (!first)
			continue;
		ret = function_probe(first, u, as_root, &is_async, why, sizeof(why));
		if (ret) {
			snprintf(err, errlen, "%s:%d:%d: workloads[%d].function: %s: %s", s->path,
				 w->fn_line, w->fn_col, i, w->function, why);
			return -EINVAL;
		}
		for (int c = 0; c < p->ncases; c++) {
			const struct spec_model *m = p->cases[c].model;
			const char *bad = p->cases[c].wl == w ? misfit(m->name, is_async) : NULL;

			if (bad) {
				snprintf(err, errlen, "%s:%d:%d: workloads[%d].models[%d]: %s: %s (%s)",
					 s->path, m->line, m->col, i, (int)(m - w->models), m->name, bad,
					 w->function);
				return -EINVAL;
			}
		}
	}
	return 0;
}

static char *spec_text(const struct function_opts *fo, bool is_async)
{
	const char *const *models = is_async ? async_models : plain_models;
	int nm = is_async ? (int)(sizeof(async_models) / sizeof(*async_models)) :
			    (int)(sizeof(plain_models) / sizeof(*plain_models));
	const char *colon = strchr(fo->function, ':');
	char *list = xstrdup(""), *pp = NULL, *fn, *text;

	for (int i = 0; i < nm; i++) {
		char *l = xasprintf("%s%s%s", list, i ? ", " : "", models[i]);

		free(list);
		list = l;
	}
	if (fo->pythonpath) {
		json_t *j = json_string(fo->pythonpath);

		pp = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
		json_decref(j);
	}
	/* the function is quoted as JSON: spec.c then checks it is module:callable */
	{
		json_t *j = json_string(fo->function);

		fn = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
		json_decref(j);
	}
	text = xasprintf("name: function\n"
			 "defaults: {repeat: 1, timeout: 30s, tasks: %d}\n"
			 "baseline: sequential\n"
			 "trace: {stacks: true, sample_hz: 99, timeline: false}\n"
			 "workloads:\n"
			 "  - name: %.*s\n"
			 "    function: %s\n"
			 "    calls: %llu\n"
			 "%s%s%s"
			 "%s%s%s"
			 "    models: [%s]\n",
			 fo->tasks ? fo->tasks : 4, colon ? 100 : 0, colon ? colon + 1 : "",
			 fn ? fn : "\"\"", fo->calls ? fo->calls : 16,
			 fo->args ? "    args: " : "", fo->args ? fo->args : "", fo->args ? "\n" : "",
			 pp ? "    pythonpath: " : "", pp ? pp : "", pp ? "\n" : "", list);
	free(list);
	free(pp);
	free(fn);
	return text;
}

int function_spec(const struct function_opts *fo, const struct ct_user *u, bool as_root,
		  struct spec **out, char *err, size_t errlen)
{
	const char *name = "--function";
	struct plan_opts po = { .harness = fo->harness };
	struct plan *p = NULL;
	struct spec *s = NULL;
	bool is_async = false;
	char *text, why[1024];
	int ret;

	*out = NULL;
	if (!strchr(fo->function, ':')) {
		snprintf(err, errlen, "--function: '%s' is not module:callable (e.g. "
			 "mypkg.work:handle)", fo->function);
		return -EINVAL;
	}
	if (fo->args && (strchr(fo->args, '\n') || fo->args[0] != '[')) {
		snprintf(err, errlen, "--args: give a list on one line, e.g. --args '[1000, fast]'");
		return -EINVAL;
	}
	text = spec_text(fo, false);
	ret = spec_parse_string(text, name, &s, err, errlen);
	free(text);
	if (!ret)
		ret = spec_plan(s, &po, &p, err, errlen);
	if (ret)
		goto fail;
	ret = function_probe(&p->cases[0], u, as_root, &is_async, why, sizeof(why));
	if (ret) {
		snprintf(err, errlen, "--function %s: %s", fo->function, why);
		goto fail;
	}
	plan_free(p);
	p = NULL;
	if (is_async) {
		spec_free(s);
		s = NULL;
		text = spec_text(fo, true);
		ret = spec_parse_string(text, name, &s, err, errlen);
		free(text);
		if (ret)
			goto fail;
	}
	*out = s;
	return 0;
fail:
	plan_free(p);
	spec_free(s);
	return ret;
}
