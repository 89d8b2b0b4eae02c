/* conctrace record: trace one command, or attach to a running process tree. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "commands.h"
#include "log.h"
#include "outdir.h"
#include "render.h"
#include "results.h"
#include "runner.h"
#include "capture.h"
#include "stacks.h"
#include "symbolize.h"
#include "tracer.h"
#include "util.h"

struct record_opts {
	const char *outdir;
	pid_t pid;
	double duration;
	bool as_root;
	bool force;
	bool quiet;
	bool no_stacks;
	bool no_python_frames;
	bool no_timeline;
	bool bench_floor;
	int sample_hz;
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage: conctrace record [OPTIONS] -- CMD [ARGS...]\n"
"       conctrace record [OPTIONS] -p PID [-d SECONDS]\n"
"\n"
"Trace CMD and every process and thread it starts (or a running process tree) with eBPF:\n"
"on-CPU time, context switches, off-CPU time by reason, lock waits, run-queue latency,\n"
"per-CPU placement and parallelism. Prints a report and writes DIR/run.json.\n"
"\n"
"  -o, --output DIR      run directory (default conctrace-out/record-TIMESTAMP); an existing\n"
"                        non-empty DIR is refused\n"
"      --force           with -o: move an existing DIR aside to DIR.old first\n"
"  -p, --pid PID         attach to PID, its threads and descendants (new ones too)\n"
"  -d, --duration SECS   with -p: stop after SECS (default: until Ctrl-C or exit)\n"
"      --as-root         run CMD as root, not as the user who invoked sudo\n"
"      --no-stacks       no stack collection (on-CPU samples and off-CPU stacks)\n"
"      --no-python-frames  stacks of CPython processes without their Python frames\n"
"      --sample-hz N     on-CPU samples per second per CPU (default 99)\n"
"      --no-timeline     no per-switch timeline (no per-core timeline, no Perfetto slices)\n"
"  -q, --quiet           do not print the report (still written to DIR/report.txt)\n"
"  -h, --help            this help\n"
"\n"
"Exit status: CMD's own (128+N if killed by signal N); see `conctrace help` for errors.\n");
}

/* Every tgid under root (inclusive) found in /proc, with their threads. */
static int track_tree(struct tracer *t, pid_t root, int *nprocs)
{
	int cap = 256, n = 0, added = 0;
	pid_t *pids = xcalloc(cap, sizeof(pid_t)), *ppids = xcalloc(cap, sizeof(pid_t));
	DIR *d = opendir("/proc");
	struct dirent *de;
	bool *in = NULL;

	if (!d)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		char path[64], buf[512], *p;
		pid_t pid = atoi(de->d_name);

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		if (read_file_str(path, buf, sizeof(buf)) != 0)
			continue;
		p = strrchr(buf, ')');
		if (!p)
			continue;
		if (n == cap) {
			cap *= 2;
			pids = xrealloc(pids, cap * sizeof(pid_t));
			ppids = xrealloc(ppids, cap * sizeof(pid_t));
		}
		pids[n] = pid;
		ppids[n] = atoi(p + 4);   /* ") S PPID" */
		n++;
	}
	closedir(d);
	in = xcalloc(n + 1, sizeof(bool));
	for (int changed = 1; changed;) {
		changed = 0;
		for (int i = 0; i < n; i++) {
			if (in[i])
				continue;
			bool mark = pids[i] == root;

			for (int j = 0; j < n && !mark; j++)
				if (in[j] && pids[j] == ppids[i])
					mark = true;
			if (mark) {
				in[i] = true;
				changed = 1;
			}
		}
	}
	for (int i = 0; i < n; i++) {
		char path[64];
		DIR *td;

		if (!in[i])
			continue;
		/* the leader first, so that its process entry exists for its threads */
		if (tracer__track(t, pids[i], pids[i], pids[i] == root ? 0 : ppids[i], true) == 0)
			added++;
		snprintf(path, sizeof(path), "/proc/%d/task", pids[i]);
		td = opendir(path);
		while (td && (de = readdir(td)) != NULL) {
			pid_t tid = atoi(de->d_name);

			if (tid > 0 && tid != pids[i])
				tracer__track(t, tid, pids[i], 0, true);
		}
		if (td)
			closedir(td);
	}
	free(pids);
	free(ppids);
	free(in);
	*nprocs = added;
	return added ? 0 : -ESRCH;
}

static bool any_alive(struct tracer *t)
{
	pid_t live[256];
	int n = tracer__live_procs(t, live, 256);

	for (int i = 0; i < n; i++) {
		char path[64], buf[512], *p;

		snprintf(path, sizeof(path), "/proc/%d/stat", live[i]);
		if (read_file_str(path, buf, sizeof(buf)) != 0)
			continue;
		p = strrchr(buf, ')');
		if (p && p[2] != 'Z' && p[2] != 'X')
			return true;
	}
	return false;
}

/* The run directory, made before anything runs: 0, or the exit status after a message. */
static int make_outdir(const struct record_opts *ro, const struct ct_user *u, struct outdir **dir)
{
	struct outdir_opts oo = { .mode = ro->force ? OUTDIR_FORCE : OUTDIR_NEW, .user = u,
				  .parents = true };
	char msg[512], *path;
	int err;

	if (ro->outdir) {
		path = xstrdup(ro->outdir);
	} else {
		char ts[32];

		timestamp_compact(ts, sizeof(ts));
		path = xasprintf("conctrace-out/record-%s", ts);
		oo.mode = OUTDIR_UNIQUE;
	}
	err = outdir__open(dir, path, &oo, msg, sizeof(msg));
	free(path);
	if (err) {
		pr_warn("%s\n", msg);
		return outdir_exit_status(err);
	}
	return 0;
}

static int write_outputs(json_t *run, struct outdir *dir, bool quiet)
{
	struct render_opts ro = { .color = want_color(stdout), .dir = outdir__path(dir) };
	int err = results_write(run, dir);

	if (render_case_files(run, dir) || render_html_file(run, dir) ||
	    render_text_file(run, dir))
		err = -EIO;
	if (!quiet) {
		render_text(run, stdout, &ro);
		printf("\nrun directory: %s\n", outdir__path(dir));
		if (fflush(stdout) != 0)
			err = -EIO;
	}
	return err;
}


static int open_tracer(struct tracer **t, const struct record_opts *ro, struct symbolizer **sym)
{
	struct tracer_opts to = { .stacks = !ro->no_stacks, .no_python_frames = ro->no_python_frames,
				  .sample_hz = ro->sample_hz,
				  .timeline = !ro->no_timeline, .bench_floor = ro->bench_floor };
	char msg[256];
	int code = tracer_preflight(msg, sizeof(msg)), err;

	if (code) {
		pr_warn("%s\n", msg);
		return code;
	}
	err = tracer__open(t, &to);
	if (!err && to.stacks) {
		*sym = symbolizer__new();
		if (*sym)
			tracer__on_process(*t, capture_snapshot, *sym);
	}
	if (err == -EPERM) {
		pr_warn("not permitted to load BPF programs (%s): run as root\n", strerror(-err));
		return CT_EXIT_PERM;
	}
	if (err)
		return CT_EXIT_BPF;
	return 0;
}

/* end of the case: the last exit the kernel saw, when everything exited */
static uint64_t case_end(const struct ct_raw *raw, uint64_t fallback)
{
	uint64_t end = 0;

	for (int i = 0; i < raw->nprocs; i++) {
		if (!(raw->procs[i].flags & CT_PF_EXITED))
			return fallback;
		if (raw->procs[i].end_ns > end)
			end = raw->procs[i].end_ns;
	}
	return end && end <= fallback ? end : fallback;
}

static int record_cmd(const struct record_opts *ro, char **argv, const struct ct_user *u)
{
	struct runner_opts rop = { .argv = argv, .user = u, .as_root = ro->as_root,
				   .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1 };
	struct runner_result res = {};
	struct case_meta meta = { .argv = argv };
	struct tracer *t = NULL;
	struct symbolizer *sym = NULL;
	struct runner r;
	struct ct_raw raw;
	char resolved[4096];
	struct outdir *dir = NULL;
	FILE *tl = NULL;
	json_t *run;
	int err, code;
	bool created = false;

	err = runner_resolve(argv[0], ro->as_root ? &(struct ct_user){ .uid = 0 } : u,
			     resolved, sizeof(resolved));
	if (err) {
		pr_warn("%s: %s\n", argv[0], err == -EACCES ? "not executable" :
			"command not found (check the name and PATH)");
		return CT_EXIT_NOCMD;
	}
	code = make_outdir(ro, u, &dir);
	if (code)
		return code;
	created = true;
	code = open_tracer(&t, ro, &sym);
	if (code)
		goto out;
	tl = capture_open_timeline(t, dir);
	err = runner_start(&r, &rop);
	if (err) {
		pr_warn("cannot start %s: %s\n", argv[0], strerror(-err));
		code = CT_EXIT_FAILURE;
		goto out;
	}
	tracer__begin(t, now_ns());
	err = tracer__track(t, r.pid, r.pid, 0, false);
	if (err) {
		pr_warn("cannot track pid %d: %s\n", r.pid, strerror(-err));
		runner_abort(&r);
		code = CT_EXIT_BPF;
		goto out;
	}
	runner_pre_exec(r.pid, &meta.pre_exec.on_cpu_ns, &meta.pre_exec.nvcsw, &meta.pre_exec.nivcsw);
	tracer__begin_clock(t, now_ns());
	err = runner_release(&r, &res.start_ns);
	if (err) {
		pr_warn("%s: cannot execute: %s\n", argv[0], strerror(-err));
		code = CT_EXIT_NOCMD;
		goto out;
	}
	runner_wait(&r, t, &res);
	tracer__collect(t, res.end_ns, &raw);
	capture_close_timeline(t, tl);
	tl = NULL;
	raw.start_ns = res.start_ns;
	raw.end_ns = case_end(&raw, res.end_ns);
	meta.exit_code = res.exit_code;
	meta.signal = res.signal;
	meta.interrupted = res.interrupted;
	meta.have_rusage = true;
	meta.ru = res.ru;
	run = results_new_run("record", argv[0]);
	results_add_case(run, results_build_case(&raw, &meta));
	capture_write_stacks(t, sym, &raw, dir);
	ct_raw_free(&raw);
	created = false;
	code = write_outputs(run, dir, ro->quiet) ? CT_EXIT_FAILURE :
	       res.signal ? 128 + res.signal : res.exit_code < 0 ? CT_EXIT_FAILURE : res.exit_code;
	json_decref(run);
	free(res.report);
out:
	capture_close_timeline(t, tl);
	/* nothing was measured: leave no half-made run directory behind */
	if (created)
		outdir__discard(dir);
	else
		outdir__close(dir);
	tracer__close(t);
	symbolizer__free(sym);
	return code;
}

static int record_pid(const struct record_opts *ro, const struct ct_user *u)
{
	struct case_meta meta = { .attached = true };
	struct tracer *t = NULL;
	struct symbolizer *sym = NULL;
	struct ct_raw raw;
	struct outdir *dir = NULL;
	char comm[64] = "", path[64];
	FILE *tl;
	char *argv[3] = {NULL};
	uint64_t start, end;
	json_t *run;
	int code, nprocs = 0;

	if (kill(ro->pid, 0) < 0 && errno == ESRCH) {
		pr_warn("no process with pid %d\n", ro->pid);
		return CT_EXIT_NOPID;
	}
	code = make_outdir(ro, u, &dir);
	if (code)
		return code;
	code = open_tracer(&t, ro, &sym);
	if (code) {
		outdir__discard(dir);
		return code;
	}
	snprintf(path, sizeof(path), "/proc/%d/comm", ro->pid);
	read_file_str(path, comm, sizeof(comm));
	start = now_ns();
	tracer__begin(t, start);
	if (track_tree(t, ro->pid, &nprocs) != 0) {
		pr_warn("no process with pid %d (it exited)\n", ro->pid);
		tracer__close(t);
		symbolizer__free(sym);
		outdir__discard(dir);
		return CT_EXIT_NOPID;
	}
	tl = capture_open_timeline(t, dir);
	if (!ro->quiet)
		fprintf(stderr, "conctrace: attached to pid %d (%s) and %d process(es); "
			"Ctrl-C to stop\n", ro->pid, comm, nprocs);
	end = ro->duration > 0 ? start + (uint64_t)(ro->duration * 1e9) : 0;
	while (!ct_interrupted && (!end || now_ns() < end)) {
		tracer__poll(t, 50);
		if (!any_alive(t))
			break;
	}
	meta.interrupted = ct_interrupted;
	tracer__collect(t, now_ns(), &raw);
	capture_close_timeline(t, tl);
	raw.start_ns = start;
	raw.end_ns = case_end(&raw, raw.end_ns);
	argv[0] = xasprintf("pid:%d", ro->pid);
	argv[1] = comm;
	meta.argv = argv;
	meta.exit_code = -1;
	run = results_new_run("record", comm[0] ? comm : argv[0]);
	results_add_case(run, results_build_case(&raw, &meta));
	capture_write_stacks(t, sym, &raw, dir);
	ct_raw_free(&raw);
	code = write_outputs(run, dir, ro->quiet) ? CT_EXIT_FAILURE : CT_EXIT_OK;
	json_decref(run);
	free(argv[0]);
	outdir__close(dir);
	tracer__close(t);
	symbolizer__free(sym);
	return code;
}

int cmd_record(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'},
		{"pid", required_argument, NULL, 'p'},
		{"duration", required_argument, NULL, 'd'},
		{"as-root", no_argument, NULL, 'R'},
		{"force", no_argument, NULL, 'f'},
		{"quiet", no_argument, NULL, 'q'},
		{"no-stacks", no_argument, NULL, 'S'},
		{"no-python-frames", no_argument, NULL, 'P'},
		{"sample-hz", required_argument, NULL, 'H'},
		{"no-timeline", no_argument, NULL, 'T'},
		{"bench-floor", no_argument, NULL, 'F'},   /* undocumented: make bench's floor */
		{"help", no_argument, NULL, 'h'},
		{"verbose", no_argument, NULL, 'v'},
		{},
	};
	struct record_opts ro = {};
	struct ct_user u;
	char *end;
	int c, code;

	optind = 0;   /* 0, not 1: glibc re-reads the optstring (main parsed with "+") */
	opterr = 0;   /* our own messages, prefixed like every other */
	while ((c = getopt_long(argc, argv, "+o:p:d:qhv", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': ro.outdir = optarg; break;
		case 'p':
			ro.pid = strtol(optarg, &end, 10);
			if (*end || ro.pid <= 0) {
				pr_warn("record: -p needs a process id, not '%s'\n", optarg);
				return CT_EXIT_USAGE;
			}
			break;
		case 'd':
			ro.duration = strtod(optarg, &end);
			if (*end || ro.duration <= 0) {
				pr_warn("record: -d needs a positive number of seconds, not '%s'\n", optarg);
				return CT_EXIT_USAGE;
			}
			break;
		case 'R': ro.as_root = true; break;
		case 'f': ro.force = true; break;
		case 'q': ro.quiet = true; break;
		case 'S': ro.no_stacks = true; break;
		case 'P': ro.no_python_frames = true; break;
		case 'T': ro.no_timeline = true; break;
		case 'F': ro.bench_floor = true; break;
		case 'H':
			ro.sample_hz = strtol(optarg, &end, 10);
			if (*end || ro.sample_hz < 1 || ro.sample_hz > 10000) {
				pr_warn("record: --sample-hz needs a number from 1 to 10000, not '%s'\n",
					optarg);
				return CT_EXIT_USAGE;
			}
			break;
		case 'v': log_init(log_verbosity + 1); break;
		case 'h': usage(stdout); return CT_EXIT_OK;
		default:
			pr_warn("%s: bad option '%s' (unknown, or missing its value)\n", "record",
				argv[optind - 1]);
			usage(stderr);
			return CT_EXIT_USAGE;
		}
	}
	if ((optind < argc) == (ro.pid != 0)) {
		pr_warn("record: give either a command after -- or -p PID\n");
		usage(stderr);
		return CT_EXIT_USAGE;
	}
	if (ro.duration > 0 && !ro.pid) {
		pr_warn("record: -d applies to -p PID only\n");
		return CT_EXIT_USAGE;
	}
	if (ro.force && !ro.outdir) {
		pr_warn("record: --force applies to -o DIR only (default run directories are new)\n");
		return CT_EXIT_USAGE;
	}
	if (ct_user_resolve(&u) != 0)
		return CT_EXIT_USAGE;   /* the message names the variable */
	if (u.uid == 0 && !u.from_sudo && !ro.as_root && !ro.pid)
		pr_info("running the command as root: no SUDO_UID (invoke with sudo from your account)\n");
	ct_install_signal_handlers();
	code = ro.pid ? record_pid(&ro, &u) : record_cmd(&ro, argv + optind, &u);
	ct_user_free(&u);
	return code;
}
