/* conctrace record: trace one command, or attach to a running process tree. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cliparse.h"
#include "commands.h"
#include "log.h"
#include "outdir.h"
#include "render.h"
#include "results.h"
#include "runner.h"
#include "session.h"
#include "sudoenv.h"
#include "util.h"

#define MAX_PIDS 64

struct record_opts {
	const char *outdir;
	pid_t pids[MAX_PIDS];
	int npids;
	uint64_t duration_ns;
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
"       conctrace record [OPTIONS] -p PID[,PID...] [-d SECONDS]\n"
"\n"
"Trace CMD and every process and thread it starts (or a running process tree)\n"
"with eBPF: on-CPU time, context switches, off-CPU time by reason, lock waits,\n"
"run-queue latency, per-CPU placement and parallelism. Prints a report and writes\n"
"DIR/run.json.\n"
"\n"
"  -o, --output DIR      run directory (default conctrace-out/record-TIMESTAMP);\n"
"                        an existing non-empty DIR is refused\n"
"      --force           with -o: first move an existing DIR aside to DIR.old\n"
"  -p, --pid PID[,PID]   attach to each PID, its threads and descendants, new\n"
"                        ones too\n"
"  -d, --duration SECS   stop after SECS (at most 604800, a week; default: until\n"
"                        Ctrl-C or exit); a command is then ended (SIGTERM,\n"
"                        SIGKILL 1 s later)\n"
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
"Exit status: CMD's own (128+N if signal N killed it); 130/143 when conctrace\n"
"got SIGINT/SIGTERM (passed to CMD's process group; a second one kills the tree);\n"
"with -p, 0 after Ctrl-C, 6 for a PID that does not exist or is a zombie, 2 for a\n"
"kernel thread; `conctrace help` lists the errors.\n");
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
			 .timeout_ns = ro->duration_ns, .forward_signals = true, .foreground = true,
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

	if (!ro->as_root)
		sudo_check_resolution(argv[0], u, "the command",
				      "conctrace record -- /path/to/it ...");
	err = runner_resolve(argv[0], ro->as_root ? &(struct ct_user){ .uid = 0 } : u,
			     resolved, sizeof(resolved));
	if (err) {
		pr_warn("%s: %s\n", argv[0], err == -EACCES ? "not executable" :
			"command not found (check the name and PATH)");
		return CT_EXIT_NOCMD;
	}
	code = session_make_rundir(ro->outdir, "record", ro->force, u, &dir);
	if (code)
		return code;
	code = open_session(&se, ro, u);
	if (ct_interrupted) {
		/* during the BPF load: the command is not started */
		pr_warn("interrupted before %s was started\n", argv[0]);
		session_close(se);
		outdir__discard(dir);
		return 128 + ct_signal;
	}
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
		       sc.failed == SESSION_TRACK ? CT_EXIT_BPF :
		       sc.failed == SESSION_SIGNALLED ? 128 + ct_signal : CT_EXIT_FAILURE;
		outdir__discard(dir);   /* what was made for a command that did not run */
		dir = NULL;
		goto out;
	}
	run = results_new_run("record", argv[0]);
	results_add_case(run, c);
	/* conctrace's own SIGINT/SIGTERM decides the status: the command was asked to stop */
	code = session_write_run(run, dir, ro->quiet) ? CT_EXIT_FAILURE :
	       ct_interrupted ? 128 + ct_signal :
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
	pid_t first = ro->pids[0];
	json_t *run, *c;
	int code, err;

	for (int i = 0; i < ro->npids; i++) {
		err = cli_check_pid(ro->pids[i]);
		if (err == -ESRCH || err == -ECHILD) {
			pr_warn(err == -ESRCH ? "no process with pid %d\n" :
				"pid %d is a zombie: it has exited, there is nothing to trace\n",
				ro->pids[i]);
			return CT_EXIT_NOPID;
		}
		if (err == -EPERM) {
			pr_warn("pid %d is a kernel thread: record traces user processes\n",
				ro->pids[i]);
			return CT_EXIT_USAGE;
		}
	}
	code = session_make_rundir(ro->outdir, "record", ro->force, u, &dir);
	if (code)
		return code;
	code = open_session(&se, ro, u);
	if (code) {
		outdir__discard(dir);
		return code;
	}
	snprintf(path, sizeof(path), "/proc/%d/comm", first);
	read_file_str(path, comm, sizeof(comm));
	argv[0] = xasprintf("pid:%d", first);
	argv[1] = comm;
	meta.argv = argv;
	c = session_attach(se, ro->pids, ro->npids, ro->duration_ns, dir, !ro->no_timeline, &meta,
			   !ro->quiet, &err);
	if (!c) {
		pr_warn("no process with pid %d (it exited)\n", first);
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
	long long v;
	int c, code, err;

	optind = 0;   /* 0, not 1: glibc re-reads the optstring (main parsed with "+") */
	opterr = 0;   /* our own messages, prefixed like every other */
	while ((c = getopt_long(argc, argv, "+o:p:d:qhvF:", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': ro.outdir = optarg; break;
		case 'p':
			ro.npids = cli_parse_pids(optarg, ro.pids, MAX_PIDS);
			if (ro.npids < 0) {
				pr_warn("record: -p needs process ids from 1 to 4194304, at most %d, "
					"separated by commas, not '%s'\n", MAX_PIDS, optarg);
				return CT_EXIT_USAGE;
			}
			break;
		case 'd':
			if (cli_parse_seconds(optarg, CT_MAX_DURATION_S, &ro.duration_ns)) {
				pr_warn("record: -d needs a number of seconds above 0 and at most %d "
					"(a week), not '%s'\n", CT_MAX_DURATION_S, optarg);
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
			if (cli_parse_int(optarg, 1, 10000, &v)) {
				pr_warn("record: --sample-hz needs a number from 1 to 10000, not '%s'\n",
					optarg);
				return CT_EXIT_USAGE;
			}
			ro.sample_hz = (int)v;
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
	if ((optind < argc) == (ro.npids != 0)) {
		pr_warn("record: give either a command after -- or -p PID\n");
		usage(stderr);
		return CT_EXIT_USAGE;
	}
	if (ro.outdir && (err = cli_check_output_dir(ro.outdir))) {
		pr_warn("record: -o %s: %s\n", ro.outdir, err == -ENOTDIR ?
			"exists and is not a directory" : strerror(-err));
		return CT_EXIT_USAGE;
	}
	if (ro.force && !ro.outdir) {
		pr_warn("record: --force applies to -o DIR only (default run directories are new)\n");
		return CT_EXIT_USAGE;
	}
	if (ct_user_resolve(&u) != 0)
		return CT_EXIT_USAGE;   /* the message names the variable */
	if (u.uid == 0 && !u.from_sudo && !ro.as_root && !ro.npids)
		pr_warn("warning: the command runs as root (no SUDO_UID): use sudo from your "
			"own account, or --as-root to mean it\n");
	ct_install_signal_handlers();
	code = ro.npids ? record_pid(&ro, &u) : record_cmd(&ro, argv + optind, &u);
	ct_user_free(&u);
	return code;
}
