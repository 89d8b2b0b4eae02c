/* Cgroup v2 per case: conctrace-PID/case-N under conctrace's own cgroup (or the hierarchy's
 * root), killed with cgroup.kill, and a watchdog process that does the same when conctrace
 * dies. Every path below the hierarchy is reached through directory descriptors. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "casegroup.h"
#include "log.h"
#include "util.h"

static struct {
	int parent_fd;          /* the cgroup conctrace-PID was made in */
	int inst_fd;            /* conctrace-PID */
	char name[32];
	int watchdog_wr;        /* its read end sees EOF when we are gone */
	int ncases;
} cg = { -1, -1, "", -1, 0 };

/* The cgroup v2 mount point, from mountinfo ("... - cgroup2 ..."). */
static int find_mount(char *out, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - "), mnt[4096];

		if (!sep || strncmp(sep + 3, "cgroup2 ", 8))
			continue;
		/* fields: id parent dev root mountpoint ... */
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1 && !strchr(mnt, '\\')) {
			snprintf(out, len, "%s", mnt);
			err = 0;
			break;
		}
	}
	fclose(f);
	return err;
}

/* This process's cgroup v2 path ("0::/path"), relative to the mount. */
static int own_cgroup(char *out, size_t len)
{
	char buf[4096], *p;

	if (read_file_str("/proc/self/cgroup", buf, sizeof(buf)) != 0)
		return -errno;
	p = strstr(buf, "0::/");
	if (p != buf && (!p || p[-1] != '\n'))
		return -ENOENT;
	p += 4;
	p[strcspn(p, "\n")] = '\0';
	snprintf(out, len, "%s", p);
	return 0;
}

static int write_at(int dirfd, const char *file, const char *val)
{
	int fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW), err = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n != (ssize_t)strlen(val))
		err = n < 0 ? -errno : -EIO;
	close(fd);
	return err;
}

/* Call fn for each pid in DIR/cgroup.procs; returns how many there were. */
static int for_each_proc(int dirfd, int sig)
{
	int fd = openat(dirfd, "cgroup.procs", O_RDONLY | O_CLOEXEC | O_NOFOLLOW), n = 0;
	FILE *f = fd >= 0 ? fdopen(fd, "re") : NULL;
	long pid;

	if (!f) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while (fscanf(f, "%ld", &pid) == 1) {
		if (pid > 0 && kill((pid_t)pid, sig) == 0)
			n++;
	}
	fclose(f);
	return n;
}

static bool populated_at(int dirfd)
{
	int fd = openat(dirfd, "cgroup.events", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	char buf[256] = "", *p;
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	p = strstr(buf, "populated ");
	return p && p[10] == '1';
}

/* SIGKILL everything in the cgroup and below: cgroup.kill (Linux 5.14) does it at once, forks
 * in flight included; before it, freeze, kill every listed process, thaw. */
static int kill_at(int dirfd)
{
	int err = write_at(dirfd, "cgroup.kill", "1");

	if (err != -ENOENT)
		return err;
	write_at(dirfd, "cgroup.freeze", "1");
	for (int round = 0; round < 100 && for_each_proc(dirfd, SIGKILL) > 0; round++)
		usleep(1000);
	write_at(dirfd, "cgroup.freeze", "0");
	return 0;
}

static void wait_empty(int dirfd, int ms)
{
	for (int i = 0; i < ms && populated_at(dirfd); i++)
		usleep(1000);
}

/* Kill and remove every case-* cgroup under conctrace-PID, then conctrace-PID itself. */
static void remove_all(int parent_fd, int inst_fd, const char *name)
{
	int dfd = dup(inst_fd);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	struct dirent *de;

	kill_at(inst_fd);
	wait_empty(inst_fd, 5000);
	while (d && (de = readdir(d)) != NULL)
		if (!strncmp(de->d_name, "case-", 5))
			unlinkat(inst_fd, de->d_name, AT_REMOVEDIR);
	if (d)
		closedir(d);
	else if (dfd >= 0)
		close(dfd);
	unlinkat(parent_fd, name, AT_REMOVEDIR);
}

/* The watchdog: outside the cases' cgroups and in its own session (a Ctrl-C to the terminal's
 * group does not reach it); it waits for EOF on the pipe, which comes when conctrace exits or
 * is killed, then kills and removes the cgroups. */
static void watchdog(int rd)
{
	char c;

	setsid();
	prctl(PR_SET_NAME, "conctrace-wd");
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	while (read(rd, &c, 1) < 0 && errno == EINTR)
		;
	remove_all(cg.parent_fd, cg.inst_fd, cg.name);
	_exit(0);
}

static int start_watchdog(void)
{
	int p[2], null, subreaper;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	/* not a subreaper while the watchdog is orphaned: it must go to init, not to us */
	if (prctl(PR_GET_CHILD_SUBREAPER, &subreaper) < 0)
		subreaper = 0;
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		close(p[0]);
		close(p[1]);
		prctl(PR_SET_CHILD_SUBREAPER, subreaper);
		return err;
	}
	if (pid == 0) {
		/* fork again, so that the watchdog is not our child: the runner waits for every
		 * child until ECHILD */
		if (fork() != 0)
			_exit(0);
		close(p[1]);
		null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		/* nothing of conctrace's but these three */
		for (int fd = 3; fd < 1024; fd++)
			if (fd != p[0] && fd != cg.parent_fd && fd != cg.inst_fd)
				close(fd);
		watchdog(p[0]);
	}
	close(p[0]);
	/* once the middle process is reaped, the watchdog has been re-parented */
	waitpid(pid, NULL, 0);
	prctl(PR_SET_CHILD_SUBREAPER, subreaper);
	cg.watchdog_wr = p[1];
	return 0;
}

static int make_instance(const char *base)
{
	int fd = open(base, O_DIRECTORY | O_RDONLY | O_CLOEXEC), err;

	if (fd < 0)
		return -errno;
	snprintf(cg.name, sizeof(cg.name), "conctrace-%d", (int)getpid());
	if (mkdirat(fd, cg.name, 0755) < 0 && errno != EEXIST) {
		err = -errno;
		close(fd);
		return err;
	}
	cg.inst_fd = openat(fd, cg.name, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (cg.inst_fd < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	cg.parent_fd = fd;
	return 0;
}

int casegroup_init(void)
{
	char mnt[4096], own[4096], base[8256];
	int err;

	if (cg.inst_fd >= 0)
		return 0;
	err = find_mount(mnt, sizeof(mnt));
	if (err)
		return err;
	err = -ENOENT;
	if (own_cgroup(own, sizeof(own)) == 0 && own[0]) {
		char ctl[256] = "";

		snprintf(base, sizeof(base), "%s/%s/cgroup.subtree_control", mnt, own);
		/* a cgroup that enables controllers for its children cannot have processes in
		 * them while it has its own (conctrace): the "no internal processes" rule */
		if (read_file_str(base, ctl, sizeof(ctl)) == 0 && !ctl[0]) {
			snprintf(base, sizeof(base), "%s/%s", mnt, own);
			err = make_instance(base);
		}
	}
	if (err)
		err = make_instance(mnt);
	if (err) {
		pr_debug("no cgroup for the cases under %s: %s\n", mnt, strerror(-err));
		return err;
	}
	err = start_watchdog();
	if (err) {
		pr_debug("no cgroup watchdog: %s\n", strerror(-err));
		unlinkat(cg.parent_fd, cg.name, AT_REMOVEDIR);
		close(cg.inst_fd);
		close(cg.parent_fd);
		cg.inst_fd = cg.parent_fd = -1;
		return err;
	}
	return 0;
}

void casegroup_exit(void)
{
	if (cg.inst_fd < 0)
		return;
	remove_all(cg.parent_fd, cg.inst_fd, cg.name);
	close(cg.inst_fd);
	close(cg.parent_fd);
	cg.inst_fd = cg.parent_fd = -1;
	if (cg.watchdog_wr >= 0)
		close(cg.watchdog_wr);
	cg.watchdog_wr = -1;
}

int casegroup_new(struct casegroup *g)
{
	g->fd = -1;
	g->name[0] = '\0';
	if (cg.inst_fd < 0)
		return -ENOENT;
	snprintf(g->name, sizeof(g->name), "case-%d", ++cg.ncases);
	if (mkdirat(cg.inst_fd, g->name, 0755) < 0)
		return -errno;
	g->fd = openat(cg.inst_fd, g->name, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (g->fd < 0) {
		int err = -errno;

		unlinkat(cg.inst_fd, g->name, AT_REMOVEDIR);
		return err;
	}
	return 0;
}

int casegroup_add(struct casegroup *g, pid_t pid)
{
	char buf[32];

	if (g->fd < 0)
		return -ENOENT;
	snprintf(buf, sizeof(buf), "%d", (int)pid);
	return write_at(g->fd, "cgroup.procs", buf);
}

int casegroup_signal(struct casegroup *g, int sig)
{
	return g->fd < 0 ? 0 : for_each_proc(g->fd, sig);
}

int casegroup_kill(struct casegroup *g)
{
	return g->fd < 0 ? -ENOENT : kill_at(g->fd);
}

bool casegroup_populated(struct casegroup *g)
{
	return g->fd >= 0 && populated_at(g->fd);
}

void casegroup_free(struct casegroup *g)
{
	if (g->fd < 0)
		return;
	if (populated_at(g->fd)) {
		kill_at(g->fd);
		wait_empty(g->fd, 2000);
	}
	close(g->fd);
	g->fd = -1;
	if (unlinkat(cg.inst_fd, g->name, AT_REMOVEDIR) < 0)
		pr_debug("cannot remove cgroup %s: %s\n", g->name, strerror(errno));
}
