/* Traced by the integration tests: one contended pthread mutex, held for 200 ms while
 * another thread blocks on it.
 *
 * usage: mutex_wait TRUTH.json
 * TRUTH.json: {"pid", "mutex_addr":"0x..", "holder_tid", "waiter_tid",
 *              "wait_ns" (measured by the waiter around pthread_mutex_lock), "hold_ns"} */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define HOLD_NS 200000000L

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static int go[2];                        /* holder -> waiter: "I hold it, block now" */
static pid_t holder_tid, waiter_tid;
static uint64_t wait_ns, hold_ns;

static void fail(const char *what, int err)
{
	fprintf(stderr, "mutex_wait: %s: %s\n", what, strerror(err));
	exit(1);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void *holder_main(void *arg)
{
	struct timespec ts = { 0, HOLD_NS };
	uint64_t t0;
	char c = 'g';

	(void)arg;
	holder_tid = (pid_t)syscall(SYS_gettid);
	pthread_mutex_lock(&mutex);
	t0 = mono_ns();
	if (write(go[1], &c, 1) != 1)
		fail("write", errno);
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
	hold_ns = mono_ns() - t0;
	pthread_mutex_unlock(&mutex);
	return NULL;
}

static void *waiter_main(void *arg)
{
	uint64_t t0;
	char c;

	(void)arg;
	waiter_tid = (pid_t)syscall(SYS_gettid);
	if (read(go[0], &c, 1) != 1)
		fail("read", errno);
	t0 = mono_ns();
	pthread_mutex_lock(&mutex);
	wait_ns = mono_ns() - t0;
	pthread_mutex_unlock(&mutex);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t waiter, holder;
	int err;
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: %s TRUTH.json\n", argv[0]);
		return 2;
	}
	if (pipe(go))
		fail("pipe", errno);
	err = pthread_create(&waiter, NULL, waiter_main, NULL);
	if (!err)
		err = pthread_create(&holder, NULL, holder_main, NULL);
	if (err)
		fail("pthread_create", err);
	pthread_join(holder, NULL);
	pthread_join(waiter, NULL);

	f = fopen(argv[1], "w");
	if (!f)
		fail(argv[1], errno);
	/* glibc's futex word of a mutex is its first field: the futex address is &mutex */
	fprintf(f, "{\"pid\":%d,\"mutex_addr\":\"0x%" PRIxPTR "\",\"holder_tid\":%d,\"waiter_tid\":%d,"
		"\"wait_ns\":%" PRIu64 ",\"hold_ns\":%" PRIu64 "}\n",
		(int)getpid(), (uintptr_t)&mutex, (int)holder_tid, (int)waiter_tid, wait_ns, hold_ns);
	if (fclose(f))
		fail(argv[1], errno);
	return 0;
}
