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

struct runner_opts {
	char *const *argv;
	char *const *env;            /* extra "K=V" on top of the inherited environment */
	const char *cwd;
	uint64_t timeout_ns;         /* 0: none */
	uint64_t grace_ns;           /* SIGTERM -> SIGKILL; 0: 2 s */
	const struct ct_user *user;
	bool as_root;
	bool own_pgrp;               /* run: own group; record: share the terminal's Ctrl-C */
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
/* Wait for the tree; polls the tracer meanwhile. Returns 0 once everything has exited,
 * the timeout ended it, or Ctrl-C stopped the wait. */
int runner_wait(struct runner *r, struct tracer *t, struct runner_result *res);
void runner_abort(struct runner *r);   /* kill a started but unreleased child */

/* Ctrl-C / SIGTERM: the command's handlers set this; every loop checks it. */
extern volatile int ct_interrupted;
void ct_install_signal_handlers(void);

#endif
