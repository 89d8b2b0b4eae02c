/* Traced by the integration tests: a tree of 3 processes and 7 threads that spin, sleep and
 * ping-pong through pipes, and writes the kernel's own accounting of it as the ground truth.
 *
 * usage: rusage_tree TRUTH.json
 * TRUTH.json: {"pid", "child_pids":[..], "utime_ns", "stime_ns", "cpu_ns", "nvcsw", "nivcsw"
 *              (getrusage RUSAGE_SELF + RUSAGE_CHILDREN), "self":{..}, "children":{..},
 *              "threads":[{"pid","tid","on_cpu_ns"}]}  on_cpu_ns: schedstat field 1, read by
 *              each thread itself just before it exits. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NCHILDREN     2
#define NWORKERS      2
#define ROUNDS        150
#define ROUND_SPIN_NS 1000000ULL      /* 150 rounds: ~150 ms of CPU per worker */
#define SLEEP_EVERY   5
#define SLEEP_NS      1000000L
/* Main threads spin more than the workers: a thread's on-CPU time also holds its exit path,
 * after its own schedstat read, and for the last thread of a process (mm teardown) that was
 * measured at 1.4-3.4 ms on the test VM; it must stay well inside 2% of the thread's total. */
#define MAIN_SPIN_NS  250000000ULL
/* CONCTRACE_SPIN_SCALE=N spins N times longer. Under emulation (tools/vmtest: qemu TCG) a
 * thread's exit path costs 15-45 ms of CPU, all after the thread's own reading: a longer spin
 * keeps it inside the same 2%. */
static uint64_t spin_scale = 1;
#define MAX_THREADS   (1 + NCHILDREN * (1 + NWORKERS))

struct worker {
	int in_fd, out_fd;
	int leads;                   /* writes first in each round */
	pid_t tid;
	uint64_t on_cpu_ns;
};

struct thread_truth {
	long pid, tid;
	uint64_t on_cpu_ns;
};

static void die(const char *what)
{
	fprintf(stderr, "rusage_tree: %s: %s\n", what, strerror(errno));
	_exit(1);
}

static pid_t tid_self(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void spin_cpu_ns(uint64_t ns)
{
	uint64_t end = thread_cpu_ns() + ns;
	volatile unsigned long x = 0;

	while (thread_cpu_ns() < end)
		for (int i = 0; i < 20000; i++)
			x++;
}

static void sleep_ns(long ns)
{
	struct timespec ts = { ns / 1000000000L, ns % 1000000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* First field of /proc/self/task/TID/schedstat: time on a CPU, ns (sum_exec_runtime). */
static uint64_t schedstat_on_cpu(pid_t tid)
{
	char path[64];
	unsigned long long on_cpu = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat", (int)tid);
	f = fopen(path, "r");
	if (!f)
		die(path);
	if (fscanf(f, "%llu", &on_cpu) != 1)
		die("parse schedstat");
	fclose(f);
	return on_cpu;
}

static uint64_t tv_ns(struct timeval tv)
{
	return (uint64_t)tv.tv_sec * 1000000000ULL + (uint64_t)tv.tv_usec * 1000ULL;
}

static void xwrite(int fd, const void *buf, size_t len)
{
	if (write(fd, buf, len) != (ssize_t)len)
		die("write");
}

static void xread1(int fd)
{
	char c;

	if (read(fd, &c, 1) != 1)
		die("read");
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	char c = 'x';

	w->tid = tid_self();
	for (int i = 0; i < ROUNDS; i++) {
		spin_cpu_ns(ROUND_SPIN_NS * spin_scale);
		if (i % SLEEP_EVERY == SLEEP_EVERY - 1)
			sleep_ns(SLEEP_NS);
		if (w->leads) {
			xwrite(w->out_fd, &c, 1);
			xread1(w->in_fd);
		} else {
			xread1(w->in_fd);
			xwrite(w->out_fd, &c, 1);
		}
	}
	w->on_cpu_ns = schedstat_on_cpu(w->tid);
	return NULL;
}

/* A child process: two workers ping-ponging, reported up the pipe as "pid tid ns" lines. */
static void child_main(int report_fd)
{
	struct worker w[NWORKERS];
	pthread_t th[NWORKERS];
	int ab[2], ba[2];
	char buf[256];
	int len, err;
	pid_t me = tid_self();
	uint64_t mine;

	if (pipe(ab) || pipe(ba))
		die("pipe");
	w[0] = (struct worker){ .in_fd = ba[0], .out_fd = ab[1], .leads = 1 };
	w[1] = (struct worker){ .in_fd = ab[0], .out_fd = ba[1], .leads = 0 };
	for (int i = 0; i < NWORKERS; i++) {
		err = pthread_create(&th[i], NULL, worker_main, &w[i]);
		if (err) {
			errno = err;
			die("pthread_create");
		}
	}
	spin_cpu_ns(MAIN_SPIN_NS * spin_scale);
	for (int i = 0; i < NWORKERS; i++)
		pthread_join(th[i], NULL);
	mine = schedstat_on_cpu(me);
	len = snprintf(buf, sizeof(buf), "%d %d %" PRIu64 "\n%d %d %" PRIu64 "\n%d %d %" PRIu64 "\n",
		       (int)getpid(), (int)me, mine,
		       (int)getpid(), (int)w[0].tid, w[0].on_cpu_ns,
		       (int)getpid(), (int)w[1].tid, w[1].on_cpu_ns);
	/* one write below PIPE_BUF: the two children's reports never interleave */
	xwrite(report_fd, buf, (size_t)len);
	_exit(0);
}

static void print_usage(FILE *f, const char *name, const struct rusage *ru)
{
	fprintf(f, "\"%s\":{\"utime_ns\":%" PRIu64 ",\"stime_ns\":%" PRIu64
		",\"nvcsw\":%ld,\"nivcsw\":%ld}", name, tv_ns(ru->ru_utime), tv_ns(ru->ru_stime),
		ru->ru_nvcsw, ru->ru_nivcsw);
}

int main(int argc, char **argv)
{
	struct thread_truth t[MAX_THREADS];
	struct rusage self, kids;
	pid_t kid[NCHILDREN];
	char buf[4096];
	size_t used = 0;
	const char *scale = getenv("CONCTRACE_SPIN_SCALE");

	if (scale && atoi(scale) > 0 && atoi(scale) <= 100)
		spin_scale = (uint64_t)atoi(scale);
	int report[2], nt = 0, status;
	char *line, *save;
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: %s TRUTH.json\n", argv[0]);
		return 2;
	}
	if (pipe(report))
		die("pipe");
	for (int i = 0; i < NCHILDREN; i++) {
		kid[i] = fork();
		if (kid[i] < 0)
			die("fork");
		if (kid[i] == 0) {
			close(report[0]);
			child_main(report[1]);
		}
	}
	close(report[1]);
	spin_cpu_ns(MAIN_SPIN_NS * spin_scale);

	for (;;) {
		ssize_t n = read(report[0], buf + used, sizeof(buf) - 1 - used);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("read report");
		if (n == 0)
			break;
		used += (size_t)n;
	}
	buf[used] = '\0';
	for (int i = 0; i < NCHILDREN; i++) {
		if (waitpid(kid[i], &status, 0) != kid[i])
			die("waitpid");
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "rusage_tree: child %d failed (status 0x%x)\n", (int)kid[i], status);
			return 1;
		}
	}
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long ns;

		if (nt >= MAX_THREADS - 1 || sscanf(line, "%ld %ld %llu", &t[nt].pid, &t[nt].tid, &ns) != 3) {
			fprintf(stderr, "rusage_tree: bad child report line '%s'\n", line);
			return 1;
		}
		t[nt++].on_cpu_ns = ns;
	}
	if (nt != NCHILDREN * (1 + NWORKERS)) {
		fprintf(stderr, "rusage_tree: %d thread reports from children, expected %d\n",
			nt, NCHILDREN * (1 + NWORKERS));
		return 1;
	}

	if (getrusage(RUSAGE_SELF, &self) || getrusage(RUSAGE_CHILDREN, &kids))
		die("getrusage");
	t[nt].pid = getpid();
	t[nt].tid = tid_self();
	t[nt++].on_cpu_ns = schedstat_on_cpu(tid_self());

	f = fopen(argv[1], "w");
	if (!f)
		die(argv[1]);
	fprintf(f, "{\"pid\":%d,\"child_pids\":[%d,%d],", (int)getpid(), (int)kid[0], (int)kid[1]);
	fprintf(f, "\"utime_ns\":%" PRIu64 ",\"stime_ns\":%" PRIu64 ",\"cpu_ns\":%" PRIu64
		",\"nvcsw\":%ld,\"nivcsw\":%ld,",
		tv_ns(self.ru_utime) + tv_ns(kids.ru_utime), tv_ns(self.ru_stime) + tv_ns(kids.ru_stime),
		tv_ns(self.ru_utime) + tv_ns(kids.ru_utime) + tv_ns(self.ru_stime) + tv_ns(kids.ru_stime),
		self.ru_nvcsw + kids.ru_nvcsw, self.ru_nivcsw + kids.ru_nivcsw);
	print_usage(f, "self", &self);
	fputc(',', f);
	print_usage(f, "children", &kids);
	fprintf(f, ",\"threads\":[");
	for (int i = 0; i < nt; i++)
		fprintf(f, "%s{\"pid\":%ld,\"tid\":%ld,\"on_cpu_ns\":%" PRIu64 "}", i ? "," : "",
			t[i].pid, t[i].tid, t[i].on_cpu_ns);
	fprintf(f, "]}\n");
	if (fclose(f))
		die(argv[1]);
	return 0;
}
