/* Traced by the integration tests: threads that each block for ~150 ms in one way, so every
 * off-CPU reason has a thread that must show it.
 *
 * usage: blockers TRUTH.json
 * TRUTH.json: {"pid", "sleep_tid" (nanosleep), "poll_tid" (epoll_wait on an empty epoll fd),
 *              "io_tid" (read of an empty pipe), "writer_tid" (fills that pipe after 150 ms),
 *              "main_tid" (waitpid for a child that sleeps 150 ms), "child_pid",
 *              "sleep_ns", "poll_ns", "io_ns", "child_ns" (each measured around the call)} */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BLOCK_NS 150000000L

enum role { R_SLEEP, R_POLL, R_IO, R_WRITER, R_NR };

struct blocker {
	enum role role;
	pid_t tid;
	uint64_t blocked_ns;
};

static pthread_barrier_t start;
static int pipefd[2];
static int epfd;

static void fail(const char *what, int err)
{
	fprintf(stderr, "blockers: %s: %s\n", what, strerror(err));
	exit(1);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void sleep_block(void)
{
	struct timespec ts = { 0, BLOCK_NS };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void *blocker_main(void *arg)
{
	struct blocker *b = arg;
	struct epoll_event ev;
	uint64_t t0;
	char c = 'w';
	int n;

	b->tid = (pid_t)syscall(SYS_gettid);
	pthread_barrier_wait(&start);
	t0 = mono_ns();
	switch (b->role) {
	case R_SLEEP:
		sleep_block();
		break;
	case R_POLL:
		n = epoll_wait(epfd, &ev, 1, BLOCK_NS / 1000000);
		if (n != 0)
			fail("epoll_wait returned early", n < 0 ? errno : EINVAL);
		break;
	case R_IO:
		if (read(pipefd[0], &c, 1) != 1)
			fail("read", errno);
		break;
	case R_WRITER:
		sleep_block();
		if (write(pipefd[1], &c, 1) != 1)
			fail("write", errno);
		break;
	case R_NR:
		break;
	}
	b->blocked_ns = mono_ns() - t0;
	return NULL;
}

int main(int argc, char **argv)
{
	struct blocker b[R_NR];
	pthread_t th[R_NR];
	uint64_t t0, child_ns;
	pid_t child;
	int err, status;
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: %s TRUTH.json\n", argv[0]);
		return 2;
	}
	if (pipe(pipefd))
		fail("pipe", errno);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		fail("epoll_create1", errno);
	err = pthread_barrier_init(&start, NULL, R_NR + 1);
	if (err)
		fail("pthread_barrier_init", err);
	for (int i = 0; i < R_NR; i++) {
		b[i] = (struct blocker){ .role = (enum role)i };
		err = pthread_create(&th[i], NULL, blocker_main, &b[i]);
		if (err)
			fail("pthread_create", err);
	}
	pthread_barrier_wait(&start);

	t0 = mono_ns();
	child = fork();
	if (child < 0)
		fail("fork", errno);
	if (child == 0) {
		sleep_block();
		_exit(0);
	}
	if (waitpid(child, &status, 0) != child)
		fail("waitpid", errno);
	child_ns = mono_ns() - t0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "blockers: child failed (status 0x%x)\n", status);
		return 1;
	}
	for (int i = 0; i < R_NR; i++)
		pthread_join(th[i], NULL);

	f = fopen(argv[1], "w");
	if (!f)
		fail(argv[1], errno);
	fprintf(f, "{\"pid\":%d,\"main_tid\":%d,\"sleep_tid\":%d,\"poll_tid\":%d,\"io_tid\":%d,"
		"\"writer_tid\":%d,\"child_pid\":%d,\"sleep_ns\":%" PRIu64 ",\"poll_ns\":%" PRIu64
		",\"io_ns\":%" PRIu64 ",\"child_ns\":%" PRIu64 "}\n",
		(int)getpid(), (int)getpid(), (int)b[R_SLEEP].tid, (int)b[R_POLL].tid,
		(int)b[R_IO].tid, (int)b[R_WRITER].tid, (int)child, b[R_SLEEP].blocked_ns,
		b[R_POLL].blocked_ns, b[R_IO].blocked_ns, child_ns);
	if (fclose(f))
		fail(argv[1], errno);
	return 0;
}
