/* Traced by the integration tests with `record -p`: a long-running process that does a little
 * work every 20 ms, like a mostly idle server. Prints its PID on stdout, runs until killed.
 *
 * usage: idle_server */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PERIOD_NS 20000000L
#define WORK_NS   2000000ULL

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void *tick_main(void *arg)
{
	volatile unsigned long x = 0;

	(void)arg;
	for (;;) {
		struct timespec ts = { 0, PERIOD_NS };
		uint64_t end;

		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
		end = thread_cpu_ns() + WORK_NS;
		while (thread_cpu_ns() < end)
			for (int i = 0; i < 20000; i++)
				x++;
	}
	return NULL;
}

int main(void)
{
	pthread_t tick;
	int err;

	err = pthread_create(&tick, NULL, tick_main, NULL);
	if (err) {
		fprintf(stderr, "idle_server: pthread_create: %s\n", strerror(err));
		return 1;
	}
	printf("%d\n", (int)getpid());
	if (fflush(stdout)) {
		fprintf(stderr, "idle_server: stdout: %s\n", strerror(errno));
		return 1;
	}
	for (;;)
		pause();
}
