/* The calling thread's file-system identity switched to the invoking user and back. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "fsid.h"
#include "log.h"

/* setfsuid returns the previous value and never fails visibly: (uid_t)-1 only reads it */
static uid_t cur_fsuid(void) { return (uid_t)setfsuid((uid_t)-1); }
static gid_t cur_fsgid(void) { return (gid_t)setfsgid((gid_t)-1); }

/* the per-thread system call, not glibc's all-threads setgroups() */
static int thread_setgroups(int n, const gid_t *g)
{
	return syscall(SYS_setgroups, (size_t)n, g) < 0 ? -errno : 0;
}

int fsid_drop_for_good(void)
{
	struct ct_user u;
	int err;

	if (ct_user_resolve(&u))
		return CT_EXIT_USAGE;
	err = u.from_sudo && u.uid != 0 ? ct_user_drop(&u) : 0;
	ct_user_free(&u);
	if (err) {
		pr_warn("cannot become the invoking user: %s\n", strerror(-err));
		return CT_EXIT_FAILURE;
	}
	return 0;
}

bool fsid_is_switched(void)
{
	return cur_fsuid() != geteuid();
}

int fsid_enter(const struct ct_user *u, struct fsid_saved *s)
{
	int n, err;

	memset(s, 0, sizeof(*s));
	if (geteuid() != 0 || u->uid == 0)
		return 0;
	s->fsuid = cur_fsuid();
	s->fsgid = cur_fsgid();
	if (s->fsuid == u->uid && s->fsgid == u->gid)
		return 0;               /* nested: already the user */
	n = getgroups(0, NULL);
	if (n < 0)
		return -errno;
	s->groups = calloc(n + 1, sizeof(gid_t));
	if (!s->groups)
		return -ENOMEM;
	s->ngroups = getgroups(n, s->groups);
	if (s->ngroups < 0) {
		free(s->groups);
		return -errno;
	}
	/* the groups first: setting them needs CAP_SETGID, which setfsuid leaves alone */
	err = u->ngroups > 0 ? thread_setgroups(u->ngroups, u->groups) : thread_setgroups(1, &u->gid);
	if (err)
		goto fail;
	setfsgid(u->gid);
	setfsuid(u->uid);
	if (cur_fsgid() != u->gid || cur_fsuid() != u->uid) {
		err = -EPERM;
		setfsuid(s->fsuid);
		setfsgid(s->fsgid);
		goto fail;
	}
	s->switched = true;
	return 0;
fail:
	thread_setgroups(s->ngroups, s->groups);
	free(s->groups);
	s->groups = NULL;
	return err;
}

void fsid_leave(struct fsid_saved *s)
{
	if (s->switched) {
		/* fsuid 0 again first: it gives back the capabilities the groups call needs */
		setfsuid(s->fsuid);
		setfsgid(s->fsgid);
		thread_setgroups(s->ngroups, s->groups);
	}
	free(s->groups);
	memset(s, 0, sizeof(*s));
}
