/* A cgroup v2 per traced case, so that a timeout, Ctrl-C or conctrace's own death ends every
 * process of the case (setsid'd, double-forked or forking while it is killed), not only the
 * ones a process group or the tracer's maps still know. */
#ifndef CT_CASEGROUP_H
#define CT_CASEGROUP_H
#include <stdbool.h>
#include <sys/types.h>

/* Create this conctrace's cgroup (conctrace-PID, under its own cgroup, else under the root of
 * the cgroup v2 hierarchy) and start the watchdog: a process outside that cgroup which kills
 * it and removes it when conctrace dies, however it dies. 0, or -errno when there is no
 * usable cgroup v2 hierarchy (cases then run without one: process groups only). */
int casegroup_init(void);
/* Kill whatever is left, remove the cgroups, stop the watchdog. */
void casegroup_exit(void);

struct casegroup {
	int fd;          /* the case's cgroup directory; -1: none */
	char name[32];
};

/* A new empty cgroup for a case. 0 or -errno (g->fd is -1 then). */
int casegroup_new(struct casegroup *g);
/* Move a process (the case's held first process, before it can fork) into it. */
int casegroup_add(struct casegroup *g, pid_t pid);
/* Send sig to every process in it; returns how many were signalled. */
int casegroup_signal(struct casegroup *g, int sig);
/* SIGKILL every process in it at once (cgroup.kill; a kill loop before Linux 5.14). */
int casegroup_kill(struct casegroup *g);
bool casegroup_populated(struct casegroup *g);
/* Remove the (empty) cgroup; kills what is left first. */
void casegroup_free(struct casegroup *g);

#endif
