/* Acting on the file system as the invoking user: the thread's fsuid, fsgid and groups. */
#ifndef CT_FSID_H
#define CT_FSID_H
#include <stdbool.h>
#include <sys/types.h>
#include "util.h"

/*
 * conctrace runs as root (sudo) but creates and reads files in the invoking user's places.
 * Between fsid_enter() and fsid_leave() the calling thread's file-system identity is the
 * user's: fsuid and fsgid (which also drops CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH,
 * CAP_CHOWN and CAP_FOWNER from the effective set) and the supplementary groups. The
 * kernel's own permission checks then apply to every open, mkdir and rename, and what is
 * created belongs to the user without any chown. The effective uid stays 0, so BPF and
 * signals still work, and the identity can be switched back.
 *
 * Per thread by design: setfsuid/setfsgid are per-thread system calls, and the groups are set
 * with the raw system call (glibc's setgroups would change every thread). conctrace writes
 * from its only thread (the runner's clone is a separate process with its own credentials);
 * a future thread would keep root's identity, and never run as the user by accident.
 *
 * Nothing is switched when the process is not root or the user is root: the process already
 * is the user. Nesting is allowed: leave restores what enter found.
 */
struct fsid_saved {
	bool switched;
	uid_t fsuid;
	gid_t fsgid;
	int ngroups;
	gid_t *groups;
};

/* 0, or -EPERM (and nothing changed) when the kernel refused a part of the switch. */
int fsid_enter(const struct ct_user *u, struct fsid_saved *saved);
void fsid_leave(struct fsid_saved *saved);
/* For the commands that need no privilege (report, diff): under sudo, become the invoking
 * user for good (every id, like the workloads), so every file is read and written with the
 * user's rights. 0, or the exit status after a message (bad SUDO_UID/SUDO_GID: 2). */
int fsid_drop_for_good(void);
/* True while the calling thread acts as someone else than the effective user. */
bool fsid_is_switched(void);

#endif
