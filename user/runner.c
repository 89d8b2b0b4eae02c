/* The runner: fork, hold the child before exec until the tracer tracks it, then wait for
 * the whole tree as a child subreaper, so orphans come back to us and are counted. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif
#include "casegroup.h"
#include "log.h"
#include "runner.h"
#include "tracer.h"

volatile int ct_interrupted;
volatile int ct_signal;

static void on_signal(int sig)
{
	ct_interrupted++;
	ct_signal = sig;
}

static void on_sigchld(int sig)
{
	(void)sig;
}

void ct_install_signal_handlers(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* no SA_RESTART: a child's exit interrupts the tracer's poll at once */
	sa.sa_handler = on_sigchld;
	sigaction(SIGCHLD, &sa, NULL);
}

static int can_exec_as(const char *path, const struct ct_user *u)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EACCES;
	if (u->uid == 0)
		return (st.st_mode & 0111) ? 0 : -EACCES;
	if (st.st_uid == u->uid)
		return (st.st_mode & S_IXUSR) ? 0 : -EACCES;
	for (int i = 0; i < u->ngroups; i++)
		if (u->groups[i] == st.st_gid)
			return (st.st_mode & S_IXGRP) ? 0 : -EACCES;
	if (st.st_gid == u->gid)
		return (st.st_mode & S_IXGRP) ? 0 : -EACCES;
	return (st.st_mode & S_IXOTH) ? 0 : -EACCES;
}

int runner_resolve(const char *cmd, const struct ct_user *user, char *out, size_t len)
{
	return runner_resolve_in(cmd, getenv("PATH"), user, out, len);
}

int runner_resolve_in(const char *cmd, const char *path, const struct ct_user *user, char *out,
		      size_t len)
{
	int err = -ENOENT;

	if (!cmd || !*cmd)
		return -ENOENT;
	if (strchr(cmd, '/')) {
		snprintf(out, len, "%s", cmd);
		return can_exec_as(cmd, user);
	}
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path; *p;) {
		const char *e = strchr(p, ':');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		int r;

		snprintf(out, len, "%.*s/%s", (int)n, n ? p : ".", cmd);
		r = can_exec_as(out, user);
		if (r == 0)
			return 0;
		if (r == -EACCES)
			err = r;
		p += n;
		if (*p == ':')
			p++;
	}
	return err;
}

/* Everything the child needs, prepared by the parent: the child shares our memory
 * (CLONE_VM, as posix_spawn does) so it must not allocate or touch libc state. */
struct child_args {
	const struct runner_opts *o;
	char path[4096];
	char **envp;
	int go_rd, err_wr, rep_wr;
	pid_t parent;
};

static void child_fail(int fd, int err)
{
	ssize_t w = write(fd, &err, sizeof(err));

	(void)w;
	syscall(SYS_exit, 127);
}

static int child_main(void *arg)
{
	const struct child_args *a = arg;
	const struct runner_opts *o = a->o;
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;
	char c;

	/* no CLONE_SIGHAND: these change the child's handlers only */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			syscall(SYS_rt_sigaction, sig, &dfl, NULL, 8);
	sigemptyset(&none);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, 8);
	if (o->own_pgrp)
		setpgid(0, 0);
	if (o->stdin_fd >= 0)
		dup2(o->stdin_fd, 0);
	if (o->stdout_fd >= 0)
		dup2(o->stdout_fd, 1);
	if (o->stderr_fd >= 0)
		dup2(o->stderr_fd, 2);
	if (a->rep_wr >= 0) {
		if (dup2(a->rep_wr, 3) < 0)
			child_fail(a->err_wr, errno);
	} else {
		close(3);
	}
	/* raw syscalls: glibc's wrappers would signal the parent's threads */
	if (!o->as_root && o->user && getuid() == 0) {
		const struct ct_user *u = o->user;

		if (syscall(SYS_setgroups, u->ngroups, u->groups) < 0 ||
		    syscall(SYS_setresgid, u->gid, u->gid, u->gid) < 0 ||
		    syscall(SYS_setresuid, u->uid, u->uid, u->uid) < 0)
			child_fail(a->err_wr, errno);
	}
	/* after the credentials change, which clears it: if conctrace dies, so does the command
	 * (the watchdog ends the rest of the tree through its cgroup) */
	if (syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 ||
	    syscall(SYS_getppid) != a->parent)
		syscall(SYS_exit, 127);
	if (o->cwd && chdir(o->cwd) < 0)
		child_fail(a->err_wr, errno);
	/* wait until the tracer has marked us */
	if (read(a->go_rd, &c, 1) != 1)
		syscall(SYS_exit, 127);
	execve(a->path, o->argv, a->envp);
	child_fail(a->err_wr, errno);
	return 127;
}

static char **build_env(const struct runner_opts *o)
{
	extern char **environ;
	int n = 0, m = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	while (o->env && o->env[m])
		m++;
	env = xcalloc(n + m + 4, sizeof(char *));
	for (int i = 0; i < n; i++) {
		const char *e = environ[i];
		bool replaced = false;

		if (!o->as_root && o->user && (!strncmp(e, "HOME=", 5) || !strncmp(e, "USER=", 5) ||
					       !strncmp(e, "LOGNAME=", 8)))
			continue;
		for (int j = 0; j < m && !replaced; j++) {
			size_t kl = strcspn(o->env[j], "=");

			replaced = !strncmp(e, o->env[j], kl + 1);
		}
		if (!replaced)
			env[k++] = xstrdup(e);
	}
	for (int j = 0; j < m; j++)
		env[k++] = xstrdup(o->env[j]);
	if (!o->as_root && o->user) {
		env[k++] = xasprintf("HOME=%s", o->user->home);
		env[k++] = xasprintf("USER=%s", o->user->name);
		env[k++] = xasprintf("LOGNAME=%s", o->user->name);
	}
	return env;
}

static void free_strv(char **v)
{
	for (int i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

#define CHILD_STACK (256 * 1024)

int runner_start(struct runner *r, const struct runner_opts *o)
{
	int go[2], errp[2], rep[2] = {-1, -1}, err;
	struct ct_user root = { .uid = 0 };
	struct child_args *a = xcalloc(1, sizeof(*a));
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->o = o;
	r->report_fd = -1;
	r->tty_fd = -1;
	err = runner_resolve(o->argv[0], o->as_root || !o->user ? &root : o->user, a->path,
			     sizeof(a->path));
	if (err) {
		free(a);
		return err;
	}
	if (pipe2(go, O_CLOEXEC) < 0) {
		free(a);
		return -errno;
	}
	if (pipe2(errp, O_CLOEXEC) < 0) {
		err = -errno;
		close(go[0]);
		close(go[1]);
		free(a);
		return err;
	}
	if (o->report_fd3 && pipe2(rep, O_CLOEXEC) < 0) {
		err = -errno;
		close(go[0]);
		close(go[1]);
		close(errp[0]);
		close(errp[1]);
		free(a);
		return err;
	}
	/* orphans of the tree are re-parented to us, so we can wait for every process */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	a->o = o;
	a->envp = build_env(o);
	a->go_rd = go[0];
	a->err_wr = errp[1];
	a->rep_wr = rep[1];
	a->parent = getpid();
	r->stack = mmap(NULL, CHILD_STACK, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (r->stack == MAP_FAILED) {
		err = -errno;
		r->stack = NULL;
		free_strv(a->envp);
		free(a);
		return err;
	}
	fflush(NULL);
	pid = clone(child_main, (char *)r->stack + CHILD_STACK, CLONE_VM | SIGCHLD, a);
	err = pid < 0 ? -errno : 0;
	close(go[0]);
	close(errp[1]);
	if (rep[1] >= 0)
		close(rep[1]);
	if (err) {
		close(go[1]);
		close(errp[0]);
		if (rep[0] >= 0)
			close(rep[0]);
		free_strv(a->envp);
		free(a);
		return err;
	}
	if (rep[0] >= 0)
		fcntl(rep[0], F_SETFL, O_NONBLOCK);
	if (o->own_pgrp)
		setpgid(pid, pid);
	if (o->cgroup) {
		/* held before exec, it cannot have forked: its whole tree will be in the cgroup */
		int cerr = casegroup_add(o->cgroup, pid);

		if (cerr)
			pr_debug("case not in a cgroup: %s\n", strerror(-cerr));
		r->in_cgroup = cerr == 0;
	}
	/* a shell's job control: the command's group reads the terminal and gets its Ctrl-C */
	if (o->own_pgrp && o->foreground && isatty(0) && tcgetpgrp(0) == getpgrp() &&
	    tcsetpgrp(0, pid) == 0)
		r->tty_fd = 0;
	r->args = a;
	r->pid = pid;
	r->go_fd = go[1];
	r->err_fd = errp[0];
	r->report_fd = rep[0];
	return 0;
}

static void release_child_memory(struct runner *r)
{
	struct child_args *a = r->args;

	/* only once the child has exec'd (or died): it ran on this stack with these strings */
	if (a) {
		free_strv(a->envp);
		free(a);
		r->args = NULL;
	}
	if (r->stack) {
#if defined(__SANITIZE_ADDRESS__)
		/* The child ran instrumented code on this stack in our address space: its frames'
		 * redzones are still poisoned, and a later mapping at this address (libelf maps
		 * the files it reads) would read as a stack-buffer-underflow. */
		__asan_unpoison_memory_region(r->stack, CHILD_STACK);
#endif
		munmap(r->stack, CHILD_STACK);
		r->stack = NULL;
	}
}

int runner_pre_exec(pid_t pid, uint64_t *on_cpu_ns, uint64_t *nvcsw, uint64_t *nivcsw)
{
	char path[64], buf[2048], *p;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
	if (read_file_str(path, buf, sizeof(buf)) == 0)
		*on_cpu_ns = strtoull(buf, NULL, 10);
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (read_file_str(path, buf, sizeof(buf)) != 0)
		return -errno;
	p = strstr(buf, "\nvoluntary_ctxt_switches:");
	if (p)
		*nvcsw = strtoull(p + 26, NULL, 10);
	p = strstr(buf, "nonvoluntary_ctxt_switches:");
	if (p)
		*nivcsw = strtoull(p + 27, NULL, 10);
	return 0;
}

int runner_release(struct runner *r, uint64_t *start_ns)
{
	int child_err = 0;
	ssize_t n;

	*start_ns = now_ns();
	if (write(r->go_fd, "g", 1) != 1)
		return -errno;
	close(r->go_fd);
	r->go_fd = -1;
	/* the error pipe closes on a successful exec */
	n = read(r->err_fd, &child_err, sizeof(child_err));
	close(r->err_fd);
	r->err_fd = -1;
	if (n == sizeof(child_err)) {
		waitpid(r->pid, NULL, 0);
		release_child_memory(r);
		return -child_err;
	}
	release_child_memory(r);
	return 0;
}

void runner_abort(struct runner *r)
{
	if (r->pid > 0) {
		kill(r->pid, SIGKILL);
		waitpid(r->pid, NULL, 0);
	}
	if (r->go_fd >= 0)
		close(r->go_fd);
	if (r->err_fd >= 0)
		close(r->err_fd);
	if (r->report_fd >= 0)
		close(r->report_fd);
	release_child_memory(r);
}

static void add_rusage(struct rusage *sum, const struct rusage *ru)
{
	timeradd(&sum->ru_utime, &ru->ru_utime, &sum->ru_utime);
	timeradd(&sum->ru_stime, &ru->ru_stime, &sum->ru_stime);
	sum->ru_nvcsw += ru->ru_nvcsw;
	sum->ru_nivcsw += ru->ru_nivcsw;
	sum->ru_minflt += ru->ru_minflt;
	sum->ru_majflt += ru->ru_majflt;
	if (ru->ru_maxrss > sum->ru_maxrss)
		sum->ru_maxrss = ru->ru_maxrss;
}

static void read_report(struct runner *r)
{
	char buf[4096];
	ssize_t n;

	if (r->report_fd < 0)
		return;
	while ((n = read(r->report_fd, buf, sizeof(buf))) > 0) {
		if (r->report_len < 1 << 20) {
			r->report_buf = xrealloc(r->report_buf, r->report_len + n + 1);
			memcpy(r->report_buf + r->report_len, buf, n);
			r->report_len += n;
			r->report_buf[r->report_len] = '\0';
		}
	}
	if (n == 0) {
		close(r->report_fd);
		r->report_fd = -1;
	}
}

/* Every process of the case: its cgroup (all of them, at once for SIGKILL), its group, and
 * every process the tracer still knows (for a case without a cgroup). */
static void signal_tree(struct runner *r, struct tracer *t, int sig)
{
	const struct runner_opts *o = r->o;
	int max = 1 << 16, n;
	pid_t *live;

	if (o->cgroup) {
		if (sig == SIGKILL)
			casegroup_kill(o->cgroup);
		else
			casegroup_signal(o->cgroup, sig);
	}
	if (o->own_pgrp)
		kill(-r->pid, sig);
	kill(r->pid, sig);
	if (!t)
		return;
	live = xcalloc(max, sizeof(*live));
	n = tracer__live_procs(t, live, max);
	for (int i = 0; i < n; i++)
		kill(live[i], sig);
	free(live);
}

static void restore_terminal(struct runner *r)
{
	sigset_t ttou, old;

	if (r->tty_fd < 0)
		return;
	/* we are in the background now: without blocking SIGTTOU, tcsetpgrp stops us */
	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	sigprocmask(SIG_BLOCK, &ttou, &old);
	tcsetpgrp(r->tty_fd, getpgrp());
	sigprocmask(SIG_SETMASK, &old, NULL);
	r->tty_fd = -1;
}

#define SEC_NS 1000000000ull

int runner_wait(struct runner *r, struct tracer *t, struct runner_result *res)
{
	const struct runner_opts *o = r->o;
	uint64_t deadline = o->timeout_ns ? res->start_ns + o->timeout_ns : 0;
	uint64_t grace = o->grace_ns ? o->grace_ns : SEC_NS;
	uint64_t term_at = 0, kill_at = 0, next_kill = 0;
	int seen_interrupt = 0;
	bool root_reaped = false;

	res->pid = r->pid;
	res->exit_code = -1;
	for (;;) {
		struct rusage ru;
		int status;
		pid_t p;

		while ((p = wait4(-1, &status, WNOHANG, &ru)) > 0) {
			add_rusage(&res->ru, &ru);
			res->end_ns = now_ns();
			if (p == r->pid) {
				root_reaped = true;
				if (WIFSIGNALED(status)) {
					res->signal = WTERMSIG(status);
					res->exit_code = -1;
				} else {
					res->exit_code = WEXITSTATUS(status);
				}
				restore_terminal(r);
			}
		}
		if (p < 0 && errno == ECHILD)
			break;
		/* every process of the case has exited (a child of ours outside the case, if
		 * any, is not waited for) */
		if (root_reaped && r->in_cgroup && !casegroup_populated(o->cgroup)) {
			while ((p = wait4(-1, &status, WNOHANG, &ru)) > 0)
				add_rusage(&res->ru, &ru);
			break;
		}
		read_report(r);
		uint64_t now = now_ns();
		if (ct_interrupted != seen_interrupt) {
			seen_interrupt = ct_interrupted;
			res->interrupted = true;
			if (o->forward_signals && seen_interrupt == 1) {
				/* as a shell would: the command decides how to end; a second
				 * signal kills */
				if (o->own_pgrp)
					kill(-r->pid, ct_signal ? ct_signal : SIGINT);
				kill(r->pid, ct_signal ? ct_signal : SIGINT);
			} else if (!kill_at) {
				kill_at = now;
			}
		}
		if (deadline && now > deadline && !term_at) {
			res->timed_out = true;
			signal_tree(r, t, SIGTERM);
			term_at = now;
		}
		if (term_at && !kill_at && now > term_at + grace)
			kill_at = now;
		/* the command ended on the forwarded signal: what it started would be orphaned */
		if (res->interrupted && root_reaped && !kill_at)
			kill_at = now;
		/* again and again: a fork in flight, a process the last round missed */
		if (kill_at && now >= next_kill) {
			if (!next_kill)
				pr_debug("case: SIGKILL to its tree %.3f s after its start\n",
					 (now - res->start_ns) / 1e9);
			signal_tree(r, t, SIGKILL);
			next_kill = now + SEC_NS / 10;
		}
		if (kill_at && now > kill_at + 5 * SEC_NS) {
			pr_warn("processes of the case could not be reaped 5 s after SIGKILL\n");
			break;
		}
		if (t)
			tracer__poll(t, 20);
		else
			usleep(20000);
	}
	restore_terminal(r);
	pr_debug("case: tree reaped %.3f s after its start\n", (now_ns() - res->start_ns) / 1e9);
	if (!res->end_ns)
		res->end_ns = now_ns();
	read_report(r);
	if (r->report_buf) {
		char *nl = strchr(r->report_buf, '\n');

		if (nl)
			*nl = '\0';
		res->report = r->report_buf;
		r->report_buf = NULL;
	}
	if (r->report_fd >= 0)
		close(r->report_fd);
	r->report_fd = -1;
	return 0;
}
