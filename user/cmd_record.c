/* conctrace record: trace one command, or attach to a running process tree. */
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
#include "session.h"
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
"Trace CMD and every process and thread it starts (or a running process tree)\n"
"with eBPF: on-CPU time, context switches, off-CPU time by reason, lock waits,\n"
"run-queue latency, per-CPU placement and parallelism. Prints a report and writes\n"
"DIR/run.json.\n"
"\n"
"  -o, --output DIR      run directory (default conctrace-out/record-TIMESTAMP);\n"
"                        an existing non-empty DIR is refused\n"
"      --force           with -o: first move an existing DIR aside to DIR.old\n"
"  -p, --pid PID         attach to PID, its threads and descendants, new ones too\n"
"  -d, --duration SECS   with -p: stop after SECS (default: until Ctrl-C or exit)\n"
"      --as-root         run CMD as root, not as the user who invoked sudo\n"
"      --no-stacks       no stack collection (on-CPU samples and off-CPU stacks)\n"
"      --no-python-frames\n"
"                        stacks of CPython processes without their Python frames\n"
"  -F, --sample-hz N     on-CPU samples per second per CPU (default 99)\n"
"      --no-timeline     no per-switch timeline (no per-core timeline, no\n"
"                        Perfetto slices)\n"
"  -q, --quiet           no report on stdout (still written to DIR/report.txt)\n"
"  -v, --verbose         more messages (repeat for more)\n"
"  -h, --help            this help\n"
"\n"
"Exit status: CMD's own (128+N if signal N killed it); `conctrace help` lists\n"
"the errors.\n");
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

static int open_session(struct session **se, const struct record_opts *ro,
			const struct ct_user *u)
{
	struct tracer_opts to = { .stacks = !ro->no_stacks, .no_python_frames = ro->no_python_frames,
				  .sample_hz = ro->sample_hz,
				  .timeline = !ro->no_timeline, .bench_floor = ro->bench_floor };

	return session_open(se, &to, u);
}

static int record_cmd(const struct record_opts *ro, char **argv, const struct ct_user *u)
{
	struct session_case sc = {
		.run = { .argv = argv, .user = u, .as_root = ro->as_root,
			 .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1 },
		.timeline = !ro->no_timeline,
		.meta = { .argv = argv },
	};
	struct session *se = NULL;
	struct runner_result *res = &sc.res;
	char resolved[4096];
	struct outdir *dir = NULL;
	json_t *run, *c;
	int err, code;

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
	code = open_session(&se, ro, u);
	if (code) {
		outdir__discard(dir);   /* nothing ran: no empty run directory left behind */
		return code;
	}
	sc.dir = dir;
	c = session_run_case(se, &sc);
	if (sc.failed) {
		json_decref(c);
		pr_warn("%s\n", sc.error);
		code = sc.failed == SESSION_EXEC ? CT_EXIT_NOCMD :
		       sc.failed == SESSION_TRACK ? CT_EXIT_BPF : CT_EXIT_FAILURE;
		outdir__discard(dir);   /* what was made for a command that did not run */
		dir = NULL;
		goto out;
	}
	run = results_new_run("record", argv[0]);
	results_add_case(run, c);
	code = session_write_run(run, dir, ro->quiet) ? CT_EXIT_FAILURE :
	       res->signal ? 128 + res->signal : res->exit_code < 0 ? CT_EXIT_FAILURE :
	       res->exit_code;
	json_decref(run);
out:
	outdir__close(dir);
	session_close(se);
	return code;
}

static int record_pid(const struct record_opts *ro, const struct ct_user *u)
{
	struct case_meta meta = { .attached = true };
	struct session *se = NULL;
	struct outdir *dir = NULL;
	char comm[64] = "", path[64];
	char *argv[3] = {NULL};
	json_t *run, *c;
	int code, err;

	if (kill(ro->pid, 0) < 0 && errno == ESRCH) {
		pr_warn("no process with pid %d\n", ro->pid);
		return CT_EXIT_NOPID;
	}
	code = make_outdir(ro, u, &dir);
	if (code)
		return code;
	code = open_session(&se, ro, u);
	if (code) {
		outdir__discard(dir);
		return code;
	}
	snprintf(path, sizeof(path), "/proc/%d/comm", ro->pid);
	read_file_str(path, comm, sizeof(comm));
	argv[0] = xasprintf("pid:%d", ro->pid);
	argv[1] = comm;
	meta.argv = argv;
	c = session_attach(se, &ro->pid, 1, ro->duration > 0 ? (uint64_t)(ro->duration * 1e9) : 0,
			   dir, !ro->no_timeline, &meta, !ro->quiet, &err);
	if (!c) {
		pr_warn("no process with pid %d (it exited)\n", ro->pid);
		outdir__discard(dir);
		dir = NULL;
		code = CT_EXIT_NOPID;
		goto out;
	}
	run = results_new_run("record", comm[0] ? comm : argv[0]);
	results_add_case(run, c);
	code = session_write_run(run, dir, ro->quiet) ? CT_EXIT_FAILURE : CT_EXIT_OK;
	json_decref(run);
out:
	free(argv[0]);
	outdir__close(dir);
	session_close(se);
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
		{"bench-floor", no_argument, NULL, 'B'},   /* undocumented: make bench's floor */
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
	while ((c = getopt_long(argc, argv, "+o:p:d:qhvF:", longopts, NULL)) != -1) {
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
		case 'B': ro.bench_floor = true; break;
		case 'F':
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
		pr_warn("warning: the command runs as root (no SUDO_UID): use sudo from your "
			"own account, or --as-root to mean it\n");
	ct_install_signal_handlers();
	code = ro.pid ? record_pid(&ro, &u) : record_cmd(&ro, argv + optind, &u);
	ct_user_free(&u);
	return code;
}
