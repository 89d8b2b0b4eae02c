/* One traced case's life, written once for run, record and record -p: start the command held
 * before exec, track it, release it, wait for its tree, collect the maps, build the case and
 * write its stacks; and the one writer of a run's outputs. */
#ifndef CT_SESSION_H
#define CT_SESSION_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "results.h"
#include "runner.h"
#include "tracer.h"
#include "util.h"

struct session;
struct outdir;

/* Preflight checks, then load the tracer (and a symboliser when stacks are on). Returns 0, or
 * the exit status of the failure (CT_EXIT_PERM, CT_EXIT_BPF, ...) with its reason printed. */
int session_open(struct session **out, const struct tracer_opts *to, const struct ct_user *u);
void session_close(struct session *s);

/* Where a case failed before its command ran. */
enum session_failure {
	SESSION_OK,
	SESSION_START,      /* could not fork or set up the child */
	SESSION_TRACK,      /* the tracer refused the task */
	SESSION_EXEC,       /* the command could not be executed */
	SESSION_SIGNALLED,  /* Ctrl-C or SIGTERM came before the command was started */
};

struct session_case {
	struct runner_opts run;       /* the command and how to run it */
	struct outdir *dir;           /* the case's directory (outdir.h): timeline.bin, stacks.json */
	bool timeline;                /* stream the per-switch timeline into dir/timeline.bin */
	struct case_meta meta;        /* names in; the outcome is filled in */
	/* out */
	enum session_failure failed;
	int err;                      /* -errno of the failure */
	char error[256];              /* the failure in words (also the case's status.error) */
	struct runner_result res;     /* exit status, signal, timeout, rusage */
};

/* Trace one command from its exec to the exit of its whole tree. Always returns a case
 * document (with status.error when it could not run); c->failed says whether it ran. */
json_t *session_run_case(struct session *s, struct session_case *c);

/* Attach to running processes and their descendants (new ones too) until they all exit, the
 * duration (0: none) passes or Ctrl-C. NULL with -ESRCH in *err when none of them could be
 * tracked. announce: print what was attached to on stderr. */
json_t *session_attach(struct session *s, const pid_t *pids, int npids, uint64_t duration_ns,
		       struct outdir *dir, bool timeline, struct case_meta *meta, bool announce,
		       int *err);

/* The one writer of a run's outputs: the text report on stdout first (unless quiet), then
 * run.json, every case renderer's files, report.html and report.txt. A failing output does not
 * stop the others; each failure names its file. Returns 0 or the first error. */
int session_write_run(json_t *run, struct outdir *dir, bool quiet);

/* The run directory, made before anything runs: outdir (-o) as given, or else the first free
 * conctrace-out/STEM-TIMESTAMP[-N]; force keeps an existing non-empty outdir as outdir.old.
 * Returns 0, or the documented exit status after a message. */
int session_make_rundir(const char *outdir, const char *stem, bool force,
			const struct ct_user *u, struct outdir **dir);

#endif
