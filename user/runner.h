/* Running a command as the invoking user, stopped before exec until it is tracked, and
 * waiting for its whole tree with a timeout. */
#ifndef CT_RUNNER_H
#define CT_RUNNER_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>
#include "util.h"

struct tracer;
struct casegroup;

struct runner_opts {
	char *const *argv;
	char *const *env;            /* extra "K=V" on top of the inherited environment */
	const char *cwd;
	uint64_t timeout_ns;         /* 0: none */
	uint64_t grace_ns;           /* SIGTERM -> SIGKILL; 0: 1 s */
	const struct ct_user *user;
	bool as_root;
	bool own_pgrp;               /* the tree runs in its own process group */
	bool forward_signals;        /* record: a first SIGINT/SIGTERM goes to the command's group
				      * and the tree is waited for; run: Ctrl-C kills the case */
	bool foreground;             /* give the command the terminal (its group in front) */
	struct casegroup *cgroup;    /* the case's cgroup (the held child is put in it), or NULL */
	int stdin_fd, stdout_fd, stderr_fd;   /* -1: inherit */
	bool report_fd3;             /* give the command a pipe on fd 3 for its JSON line */
};

struct runner_result {
	pid_t pid;
	int exit_code;               /* -1 if killed by a signal */
	int signal;
	bool timed_out;
	bool interrupted;            /* Ctrl-C */
	struct rusage ru;            /* summed over every reaped process of the tree */
	uint64_t start_ns, end_ns;   /* release, last exit (CLOCK_MONOTONIC) */
	char *report;                /* first line written on fd 3, or NULL */
};

struct runner {
	const struct runner_opts *o;
	pid_t pid;
	int go_fd, err_fd, report_fd;
	void *stack;                 /* the child's stack until it has exec'd */
	void *args;
	int tty_fd;                  /* the terminal handed to the command's group, or -1 */
	bool in_cgroup;              /* the command was put in o->cgroup */
	char *report_buf;
	size_t report_len;
};

/* Resolve argv[0] like execvp, as `user` would: 0, -ENOENT or -EACCES. */
int runner_resolve(const char *cmd, const struct ct_user *user, char *out, size_t len);
/* The same in another PATH (NULL: the default one). */
int runner_resolve_in(const char *cmd, const char *path, const struct ct_user *user, char *out,
		      size_t len);
int runner_start(struct runner *r, const struct runner_opts *o);
/* What the held child has used so far (it is blocked): part of the kernel's rusage, but
 * spent before tracking began. */
int runner_pre_exec(pid_t pid, uint64_t *on_cpu_ns, uint64_t *nvcsw, uint64_t *nivcsw);
/* Let the command exec. -errno of a failed exec (then the child is reaped). */
int runner_release(struct runner *r, uint64_t *start_ns);
/* Wait for the tree; polls the tracer meanwhile. Returns 0 once everything has exited (after
 * a timeout: SIGTERM, SIGKILL after the grace; after Ctrl-C: see forward_signals), or when a
 * killed tree still cannot be reaped 5 s later. */
int runner_wait(struct runner *r, struct tracer *t, struct runner_result *res);
void runner_abort(struct runner *r);   /* kill a started but unreleased child */

/* Ctrl-C / SIGTERM: the command's handlers count them (ct_signal: the last one); every loop
 * checks. */
extern volatile int ct_interrupted;
extern volatile int ct_signal;
void ct_install_signal_handlers(void);

#endif
