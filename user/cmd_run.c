/* conctrace run SPEC: every workload in every model, traced, compared side by side. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "capture.h"
#include "cliparse.h"
#include "commands.h"
#include "function.h"
#include "compare.h"
#include "fsid.h"
#include "log.h"
#include "outdir.h"
#include "paths.h"
#include "render.h"
#include "results.h"
#include "runner.h"
#include "session.h"
#include "spec.h"
#include "sudoenv.h"
#include "tracer.h"
#include "util.h"

struct run_opts {
	const char *outdir;
	const char *only;
	const char *models;
	int repeat;
	bool dry_run;
	bool quiet;
	bool as_root;
	bool force;
	bool no_stacks;
	bool no_python_frames;
	int sample_hz;
	struct function_opts fn;     /* --function: no spec file */
};

/* long options without a short one */
enum { OPT_FUNCTION = 256, OPT_ARGS, OPT_CALLS, OPT_TASKS, OPT_PYTHONPATH };

static void usage(FILE *f)
{
	fprintf(f,
"Usage: conctrace run [OPTIONS] SPEC\n"
"       conctrace run [OPTIONS] --function MOD:FN [--args LIST] [--calls N]\n"
"\n"
"Run every workload of SPEC in each of its concurrency models, trace every case\n"
"with eBPF, and compare the models side by side (tables and findings). SPEC is a\n"
"YAML file (conctrace-spec(5)), or the name of a shipped spec: quick,\n"
"python-models, c-vs-python. With --function, the workload is your own Python\n"
"callable, in every model that applies to it.\n"
"\n"
"      --function MOD:FN call FN of module MOD (imported from the current\n"
"                        directory and --pythonpath) in each model, and compare\n"
"      --args LIST       the arguments of every call, a YAML list: '[1000, fast]'\n"
"      --calls N         calls in all, split over the tasks (default 16)\n"
"      --tasks N         threads, processes or coroutines (default 4)\n"
"      --pythonpath DIRS directories to import from, ':'-separated\n"
"  -o, --output DIR      run directory (default conctrace-out/NAME-TIMESTAMP);\n"
"                        an existing non-empty DIR is refused\n"
"      --force           with -o: first move an existing DIR aside to DIR.old\n"
"      --only LIST       only these workloads (comma-separated names)\n"
"      --models LIST     only these models (comma-separated)\n"
"      --repeat N        repeat each case N times (overrides the spec)\n"
"  -n, --dry-run         print the plan (every case and its command) and stop\n"
"      --as-root         run the workloads as root, not as the invoking user\n"
"      --no-stacks       no stack collection (overrides the spec's trace.stacks)\n"
"      --no-python-frames\n"
"                        stacks of CPython processes without their Python frames\n"
"  -F, --sample-hz N     on-CPU samples per second per CPU (overrides the spec)\n"
"  -q, --quiet           no report on stdout (still written to DIR/report.txt)\n"
"  -v, --verbose         more messages (repeat for more)\n"
"  -h, --help            this help\n"
"\n"
"Exit status: 0 every case ran, 7 a case failed (the others still ran; the\n"
"summary says why); `conctrace help` lists the errors.\n");
}

static void print_plan(const struct spec *s, const struct plan *p, FILE *out)
{
	fprintf(out, "plan for %s: %d case(s)\n", s->name, p->ncases);
	for (int i = 0; i < p->ncases; i++) {
		const struct plan_case *c = &p->cases[i];

		fprintf(out, "  %3d  %-12s %-16s r%d%s  ", i + 1, c->wl->name, c->name,
			c->repeat + 1, c->is_baseline ? "*" : " ");
		for (int a = 0; c->argv[a]; a++)
			fprintf(out, "%s%s", a ? " " : "", c->argv[a]);
		fputc('\n', out);
	}
	fprintf(out, "(* baseline)\n");
}

/* Ask the spec's python (as the workload user) for its real executable and version, so that
 * a shim (pyenv, asdf) is not part of every case's process tree. */
static int resolve_python(char **cmd, const struct ct_user *u, bool as_root, json_t **info)
{
	char *words = xstrdup(*cmd), *save = NULL, *first = strtok_r(words, " ", &save);
	char buf[1024] = "", *nl;
	int pfd[2], st = 0;
	ssize_t n, got = 0;
	pid_t pid;

	*info = NULL;
	if (!first || pipe2(pfd, O_CLOEXEC) < 0) {
		free(words);
		return -EINVAL;
	}
	pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		if (!as_root)
			ct_user_drop(u);
		/* every word of the command, then the question: "chroot DIR python3.14 -c ..." */
		char *all = xstrdup(*cmd), *sv = NULL, *argv[64];
		int na = 0;

		for (char *w = strtok_r(all, " \t", &sv); w && na < 61; w = strtok_r(NULL, " \t", &sv))
			argv[na++] = w;
		argv[na++] = "-c";
		argv[na++] = "import sys, platform; print(sys.executable); "
			     "print(platform.python_version()); print(platform.python_implementation())";
		argv[na] = NULL;
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	while (pid > 0 && (n = read(pfd[0], buf + got, sizeof(buf) - 1 - got)) > 0)
		got += n;
	close(pfd[0]);
	if (pid > 0)
		waitpid(pid, &st, 0);
	buf[got] = '\0';
	if (pid < 0 || !WIFEXITED(st) || WEXITSTATUS(st) || !(nl = strchr(buf, '\n'))) {
		free(words);
		return -ENOENT;
	}
	*nl = '\0';
	char *ver = nl + 1, *impl = strchr(ver, '\n');
	if (impl) {
		*impl++ = '\0';
		impl[strcspn(impl, "\n")] = '\0';
	}
	*info = json_object();
	json_object_set_new(*info, "command", json_string(*cmd));
	json_object_set_new(*info, "executable", json_string(buf));
	json_object_set_new(*info, "version", json_string(ver));
	json_object_set_new(*info, "implementation", json_string(impl ? impl : ""));
	/* only an interpreter named as such is replaced: in "chroot DIR python3.14" the path
	 * printed is inside the chroot */
	const char *base = strrchr(first, '/') ? strrchr(first, '/') + 1 : first;

	if (buf[0] == '/' && !strncmp(base, "python", 6)) {
		char *rest = save && *save ? xasprintf("%s %s", buf, save) : xstrdup(buf);

		free(*cmd);
		*cmd = rest;
	}
	free(words);
	return 0;
}

/* An interpreter run as "chroot DIR python..." opens the harness by its path inside DIR:
 * true (and why in err) when it is not there. */
static bool chroot_lacks(const char *cmd, const char *harness, char *err, size_t len)
{
	char dir[4096], path[8300];
	int n = 0;

	if (sscanf(cmd, " chroot %4095s %n", dir, &n) != 1 || !n || dir[0] == '-')
		return false;
	snprintf(path, sizeof(path), "%s%s", dir, harness);
	if (access(path, R_OK) == 0)
		return false;
	snprintf(err, len, "the harness %.400s is not inside the chroot %.400s: make it visible there at "
		 "the same path (copy workloads/python there, or mount --bind)", harness, dir);
	return true;
}

/* The first word of a command line ("python3.12 -X dev": "python3.12"). */
static char *xstrndup_word(const char *cmd)
{
	size_t n = strcspn(cmd, " ");

	return xasprintf("%.*s", (int)n, cmd);
}

static bool spec_uses_python(const struct spec *s)
{
	for (int i = 0; i < s->nworkloads; i++) {
		if (s->workloads[i].function)
			return true;
		for (int m = 0; s->workloads[i].kind && m < s->workloads[i].nmodels; m++)
			if (strncmp(s->workloads[i].models[m].name, "c-", 2))
				return true;
	}
	return false;
}

static void progress(int i, int n, const struct plan_case *c, uint64_t started, bool tty)
{
	uint64_t el = now_ns() - started;
	char left[32] = "";

	if (!tty)
		return;
	if (i > 0)
		snprintf(left, sizeof(left), ", ~%.0fs left", el / 1e9 / i * (n - i));
	fprintf(stderr, "\r\033[K[%d/%d] %s / %s, repeat %d%s", i + 1, n, c->wl->name,
		c->name, c->repeat + 1, left);
	fflush(stderr);
}

/* A name from the spec as one path component: nothing but [A-Za-z0-9._+-] */
static char *path_safe(const char *name)
{
	char *s = xstrdup(name && *name ? name : "_");

	for (char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '+' || *p == '-'))
			*p = '_';
	if (s[0] == '.')
		s[0] = '_';   /* no "..", no hidden names */
	return s;
}

/* DIR/cases/NNN-WORKLOAD-MODEL-rR, new; NULL (and errbuf) when it cannot be made */
static struct outdir *case_dir(struct outdir *dir, const struct plan_case *c, char **rel,
			       char *errbuf, size_t len)
{
	char *w = path_safe(c->wl->name), *m = path_safe(c->name);
	struct outdir *cd = NULL;
	int err;

	*rel = xasprintf("cases/%03d-%s-%s-r%d", c->index + 1, w, m, c->repeat + 1);
	free(w);
	free(m);
	err = outdir__subdir(dir, *rel, true, &cd);
	if (err)
		snprintf(errbuf, len, "cannot create its directory %s/%s: %s", outdir__path(dir),
			 *rel, strerror(-err));
	return cd;
}

/* One case of the plan, with its output.log; never fails the run. */
static json_t *run_case(struct session *se, bool timeline, const struct plan_case *pc,
			struct outdir *dir, const struct run_opts *ro, const struct ct_user *u)
{
	struct session_case sc = {
		.run = { .argv = pc->argv, .env = pc->env, .cwd = pc->cwd,
			 .timeout_ns = pc->timeout_ns, .user = u, .as_root = ro->as_root,
			 .own_pgrp = true, .report_fd3 = true,
			 .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1 },
		.timeline = timeline,
		.meta = { .workload = pc->wl->name, .model = pc->name, .kind = pc->wl->kind,
			  .repeat = pc->repeat, .argv = pc->argv, .is_baseline = pc->is_baseline,
			  .exit_code = -1 },
	};
	char errbuf[256] = "", *rel = NULL;
	struct outdir *cdir = case_dir(dir, pc, &rel, errbuf, sizeof(errbuf));
	int logfd = -1, nullfd = -1;
	json_t *c;

	/* the workload's own stdout and stderr: a new file, created as the user */
	if (cdir) {
		logfd = outdir__create_fd(cdir, "output.log");
		if (logfd < 0)
			snprintf(errbuf, sizeof(errbuf), "cannot create %s/output.log: %s",
				 outdir__path(cdir), strerror(-logfd));
	}
	if (errbuf[0]) {
		/* no place for its files: the case is reported failed, and the run goes on */
		sc.meta.error = errbuf;
		c = results_build_case(&(struct ct_raw){ .start_ns = now_ns(), .end_ns = now_ns() },
				       &sc.meta);
	} else {
		nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		sc.run.stdout_fd = sc.run.stderr_fd = logfd;
		sc.run.stdin_fd = nullfd;
		sc.dir = cdir;
		c = session_run_case(se, &sc);
	}
	json_object_set_new(c, "dir", json_string(rel));
	json_object_set_new(c, "timeout_ns", json_integer(pc->timeout_ns));
	if (pc->wl->function)
		json_object_set_new(c, "function", json_string(pc->wl->function));
	if (!compare_case_ok(c) && cdir) {
		/* why it failed is often only in its own output: keep the end of it, read as the
		 * user (the workload could have replaced output.log by a link to any file) */
		char *log = xasprintf("%s/output.log", outdir__path(cdir)), *tail = NULL;
		struct fsid_saved saved;

		if (outdir__as_user(cdir, &saved) == 0) {
			tail = file_tail(log, 5, 2048);
			fsid_leave(&saved);
		}
		if (tail)
			json_object_set_new(json_object_get(c, "status"), "output_tail",
					    json_string(tail));
		free(tail);
		free(log);
	}
	if (logfd >= 0)
		close(logfd);
	if (nullfd >= 0)
		close(nullfd);
	outdir__close(cdir);
	free(rel);
	return c;
}

static int count_failed(json_t *run)
{
	json_t *c;
	size_t i;
	int n = 0;

	json_array_foreach(json_object_get(run, "cases"), i, c)
		n += !compare_case_ok(c) && !json_is_true(json_object_get(json_object_get(c, "status"),
								       "interrupted"));
	return n;
}

static int do_run(const struct run_opts *ro, const char *specarg)
{
	char specpath[4096];
	struct plan_opts po = { .only = ro->only, .models = ro->models, .repeat = ro->repeat };
	char harness[4096], cbase[4096], err[1024];
	struct spec *s = NULL;
	struct plan *p = NULL;
	struct session *se = NULL;
	struct ct_user u = {};
	struct outdir *dir = NULL;
	struct fsid_saved saved;
	json_t *run = NULL, *spec_json, *python_info = NULL;
	int code = CT_EXIT_OK, rc, nfailed = 0;
	bool tty = isatty(2) && !ro->quiet;
	uint64_t started;

	if (ct_user_resolve(&u) != 0)
		return CT_EXIT_USAGE;   /* the message names the variable */
	path_harness(harness, sizeof(harness));
	path_cbase(cbase, sizeof(cbase));
	po.harness = harness;
	po.cbase = cbase;
	if (ro->fn.function) {
		struct function_opts fo = ro->fn;

		fo.harness = harness;
		snprintf(specpath, sizeof(specpath), "--function");
		rc = function_spec(&fo, &u, ro->as_root, &s, err, sizeof(err));
		if (rc) {
			fprintf(stderr, "conctrace: %s\n", err);
			ct_user_free(&u);
			return rc == -ENOENT ? CT_EXIT_NOCMD : CT_EXIT_USAGE;
		}
	} else {
		/* the spec is found and read as the invoking user: a file they cannot read stays
		 * unread, and no line of it reaches an error message */
		rc = fsid_enter(&u, &saved);
		if (rc) {
			pr_warn("%s: cannot act as uid %u to read it: %s\n", specarg,
				(unsigned)u.uid, strerror(-rc));
			ct_user_free(&u);
			return CT_EXIT_USAGE;
		}
		if (path_spec(specarg, specpath, sizeof(specpath))) {
			char wdir[4096];

			fsid_leave(&saved);
			path_workloads(wdir, sizeof(wdir));
			pr_warn("run: no spec file '%s', here or among the shipped specs (%s)\n",
				specarg, wdir);
			ct_user_free(&u);
			return CT_EXIT_USAGE;
		}
		rc = spec_load_interruptible(specpath, &ct_interrupted, &s, err, sizeof(err));
		fsid_leave(&saved);
		if (rc) {
			fprintf(stderr, "conctrace: %s\n", err);
			ct_user_free(&u);
			/* Ctrl-C or SIGTERM while a large spec was read: nothing ran */
			return rc == -EINTR ? 128 + SIGINT : CT_EXIT_USAGE;
		}
	}
	if (spec_uses_python(s) && !s->pythons) {
		/* sudo's secure_path can pick another python than the user's own */
		char *word = xstrndup_word(s->python);

		sudo_check_resolution(word, &u, "the spec's python", "defaults.python in the spec");
		free(word);
	}
	if (spec_uses_python(s) && !s->pythons &&
	    resolve_python(&s->python, &u, ro->as_root, &python_info)) {
		fprintf(stderr, "conctrace: %s: the spec's python '%s' does not run (set "
			"defaults.python to an interpreter)\n", specpath, s->python);
		code = CT_EXIT_NOCMD;
		goto out;
	}
	if (spec_uses_python(s) && s->pythons) {
		/* several interpreters: each must run; run.json lists them in order */
		python_info = json_array();
		for (int i = 0; s->pythons[i]; i++) {
			json_t *one = NULL;

			if (chroot_lacks(s->pythons[i], harness, err, sizeof(err))) {
				fprintf(stderr, "conctrace: %s: defaults.pythons[%d]: %s\n", specpath, i,
					err);
				code = CT_EXIT_USAGE;
				goto out;
			}

			if (resolve_python(&s->pythons[i], &u, ro->as_root, &one)) {
				fprintf(stderr, "conctrace: %s: defaults.pythons[%d] '%s' does not run\n",
					specpath, i, s->pythons[i]);
				code = CT_EXIT_NOCMD;
				goto out;
			}
			json_object_set_new(one, "label", json_string(s->python_labels[i]));
			json_array_append_new(python_info, one);
		}
	}
	if (spec_plan(s, &po, &p, err, sizeof(err))) {
		fprintf(stderr, "conctrace: %s\n", err);
		code = CT_EXIT_USAGE;
		goto out;
	}
	if (function_check(s, p, &u, ro->as_root, err, sizeof(err))) {
		fprintf(stderr, "conctrace: %s\n", err);
		code = CT_EXIT_USAGE;
		goto out;
	}
	if (ro->dry_run) {
		print_plan(s, p, stdout);
		goto out;
	}
	if (u.uid == 0 && !u.from_sudo && !ro->as_root)
		pr_warn("warning: the workloads run as root (no SUDO_UID): use sudo from your "
			"own account, or --as-root to mean it\n");
	if (ro->no_stacks)
		s->stacks = false;
	if (ro->sample_hz)
		s->sample_hz = ro->sample_hz;
	struct tracer_opts to = { .stacks = s->stacks, .no_python_frames = ro->no_python_frames,
				  .sample_hz = s->sample_hz,
				  .timeline = s->timeline };
	char *stem = path_safe(s->name);

	code = session_make_rundir(ro->outdir, stem, ro->force, &u, &dir);
	free(stem);
	if (code)
		goto out;
	rc = session_open(&se, &to, &u);
	if (rc) {
		code = rc;
		outdir__discard(dir);   /* nothing ran: no empty run directory left behind */
		dir = NULL;
		goto out;
	}
	run = results_new_run("run", s->name);
	spec_json = json_object();
	json_object_set_new(spec_json, "path", json_string(specpath));
	json_object_set_new(spec_json, "baseline", s->baseline ? json_string(s->baseline) : json_null());
	json_object_set_new(run, "spec", spec_json);
	if (python_info)
		json_object_set_new(run, json_is_array(python_info) ? "pythons" : "python",
				    python_info);
	python_info = NULL;
	started = now_ns();
	for (int i = 0; i < p->ncases && !ct_interrupted; i++) {
		json_t *c;

		progress(i, p->ncases, &p->cases[i], started, tty);
		c = run_case(se, s->timeline, &p->cases[i], dir, ro, &u);
		results_add_case(run, c);
		/* after every case, so that a crash or Ctrl-C loses nothing finished */
		results_write(run, dir);
		if (!tty && !ro->quiet)
			fprintf(stderr, "conctrace: case %d/%d %s/%s r%d done%s\n", i + 1, p->ncases,
				p->cases[i].wl->name, p->cases[i].name, p->cases[i].repeat + 1,
				compare_case_ok(c) ? "" : " (failed)");
	}
	if (tty)
		fprintf(stderr, "\r\033[K");
	if (ct_interrupted)
		json_object_set_new(run, "interrupted", json_true());
	if (session_write_run(run, dir, ro->quiet))
		code = CT_EXIT_FAILURE;
	else if (ct_interrupted)
		code = 128 + ct_signal;   /* what was measured is written; the run did not finish */
	else if ((nfailed = count_failed(run)))
		code = CT_EXIT_CASES;
	if (nfailed)
		pr_warn("run: %d of %zu cases failed (see \"Failed cases\" in %s/report.txt)\n",
			nfailed, json_array_size(json_object_get(run, "cases")), outdir__path(dir));
out:
	json_decref(python_info);
	json_decref(run);
	session_close(se);
	plan_free(p);
	spec_free(s);
	ct_user_free(&u);
	outdir__close(dir);
	return code;
}

int cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'},
		{"only", required_argument, NULL, 'O'},
		{"models", required_argument, NULL, 'm'},
		{"repeat", required_argument, NULL, 'r'},
		{"dry-run", no_argument, NULL, 'n'},
		{"as-root", no_argument, NULL, 'R'},
		{"force", no_argument, NULL, 'f'},
		{"no-stacks", no_argument, NULL, 'S'},
		{"no-python-frames", no_argument, NULL, 'P'},
		{"sample-hz", required_argument, NULL, 'H'},
		{"function", required_argument, NULL, OPT_FUNCTION},
		{"args", required_argument, NULL, OPT_ARGS},
		{"calls", required_argument, NULL, OPT_CALLS},
		{"tasks", required_argument, NULL, OPT_TASKS},
		{"pythonpath", required_argument, NULL, OPT_PYTHONPATH},
		{"quiet", no_argument, NULL, 'q'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	struct run_opts ro = {};
	long long v;
	int c, err;

	optind = 0;   /* 0, not 1: glibc re-reads the optstring (main parsed with "+") */
	opterr = 0;   /* our own messages, prefixed like every other */
	while ((c = getopt_long(argc, argv, "o:nqvhF:", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': ro.outdir = optarg; break;
		case 'O': ro.only = optarg; break;
		case 'm': ro.models = optarg; break;
		case 'r':
			if (cli_parse_int(optarg, 1, 1000, &v)) {
				pr_warn("run: --repeat needs a number from 1 to 1000, not '%s'\n", optarg);
				return CT_EXIT_USAGE;
			}
			ro.repeat = (int)v;
			break;
		case 'n': ro.dry_run = true; break;
		case 'R': ro.as_root = true; break;
		case 'f': ro.force = true; break;
		case 'S': ro.no_stacks = true; break;
		case 'P': ro.no_python_frames = true; break;
		case 'F':
		case 'H':
			if (cli_parse_int(optarg, 1, 10000, &v)) {
				pr_warn("run: --sample-hz needs a number from 1 to 10000, not '%s'\n", optarg);
				return CT_EXIT_USAGE;
			}
			ro.sample_hz = (int)v;
			break;
		case OPT_FUNCTION: ro.fn.function = optarg; break;
		case OPT_ARGS: ro.fn.args = optarg; break;
		case OPT_PYTHONPATH: ro.fn.pythonpath = optarg; break;
		case OPT_CALLS:
			if (cli_parse_int(optarg, 1, (long long)SPEC_MAX_COUNT, &v)) {
				pr_warn("run: --calls needs a number from 1 to %llu, not '%s'\n",
					SPEC_MAX_COUNT, optarg);
				return CT_EXIT_USAGE;
			}
			ro.fn.calls = (unsigned long long)v;
			break;
		case OPT_TASKS:
			if (cli_parse_int(optarg, 1, SPEC_MAX_TASKS, &v)) {
				pr_warn("run: --tasks needs a number from 1 to %d, not '%s'\n",
					SPEC_MAX_TASKS, optarg);
				return CT_EXIT_USAGE;
			}
			ro.fn.tasks = (int)v;
			break;
		case 'q': ro.quiet = true; break;
		case 'v': log_init(log_verbosity + 1); break;
		case 'h': usage(stdout); return CT_EXIT_OK;
		default:
			pr_warn("%s: bad option '%s' (unknown, or missing its value)\n", "run",
				argv[optind - 1]);
			usage(stderr);
			return CT_EXIT_USAGE;
		}
	}
	if (!ro.fn.function && (ro.fn.args || ro.fn.calls || ro.fn.tasks || ro.fn.pythonpath)) {
		pr_warn("run: --args, --calls, --tasks and --pythonpath go with --function\n");
		return CT_EXIT_USAGE;
	}
	if (ro.fn.function ? optind != argc : optind != argc - 1) {
		pr_warn(ro.fn.function ? "run: --function takes no spec file\n" :
			"run: give one spec file (e.g. workloads/python-models.yaml) or --function\n");
		usage(stderr);
		return CT_EXIT_USAGE;
	}
	if (ro.outdir && (err = cli_check_output_dir(ro.outdir))) {
		pr_warn("run: -o %s: %s\n", ro.outdir, err == -ENOTDIR ?
			"exists and is not a directory" : strerror(-err));
		return CT_EXIT_USAGE;
	}
	if (ro.force && !ro.outdir) {
		pr_warn("run: --force applies to -o DIR only (default run directories are new)\n");
		return CT_EXIT_USAGE;
	}
	ct_install_signal_handlers();
	return do_run(&ro, ro.fn.function ? NULL : argv[optind]);
}
