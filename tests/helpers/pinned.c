/* Traced by the integration tests: two threads that may only ever run on CPU 0 and CPU 1.
 *
 * usage: pinned TRUTH.json
 * TRUTH.json: {"pid", "tid_cpu0", "tid_cpu1", "last_cpu0", "last_cpu1"}
 * Each thread is created while the main thread is pinned to its CPU, so it inherits the
 * affinity at clone and never runs anywhere else, not even before its first instruction. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define SPIN_NS 200000000ULL

struct pinned {
	int cpu;
	pid_t tid;
	int last_cpu;
};

static void fail(const char *what, int err)
{
	fprintf(stderr, "pinned: %s: %s\n", what, strerror(err));
	exit(1);
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

static void pin_self(int cpu)
{
	cpu_set_t set;
	int err;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	err = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (err)
		fail("pthread_setaffinity_np", err);
}

static void *spin_main(void *arg)
{
	struct pinned *p = arg;

	p->tid = (pid_t)syscall(SYS_gettid);
	pin_self(p->cpu);           /* already inherited; says what the thread relies on */
	spin_cpu_ns(SPIN_NS);
	p->last_cpu = sched_getcpu();
	return NULL;
}

int main(int argc, char **argv)
{
	struct pinned p[2] = { { .cpu = 0 }, { .cpu = 1 } };
	pthread_t th[2];
	cpu_set_t all;
	int err;
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: %s TRUTH.json\n", argv[0]);
		return 2;
	}
	err = pthread_getaffinity_np(pthread_self(), sizeof(all), &all);
	if (err)
		fail("pthread_getaffinity_np", err);
	if (!CPU_ISSET(0, &all) || !CPU_ISSET(1, &all)) {
		fprintf(stderr, "pinned: needs CPUs 0 and 1 in the affinity mask\n");
		return 1;
	}
	for (int i = 0; i < 2; i++) {
		pin_self(p[i].cpu);
		err = pthread_create(&th[i], NULL, spin_main, &p[i]);
		if (err)
			fail("pthread_create", err);
	}
	err = pthread_setaffinity_np(pthread_self(), sizeof(all), &all);
	if (err)
		fail("pthread_setaffinity_np", err);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);

	f = fopen(argv[1], "w");
	if (!f)
		fail(argv[1], errno);
	fprintf(f, "{\"pid\":%d,\"tid_cpu0\":%d,\"tid_cpu1\":%d,\"last_cpu0\":%d,\"last_cpu1\":%d}\n",
		(int)getpid(), (int)p[0].tid, (int)p[1].tid, p[0].last_cpu, p[1].last_cpu);
	if (fclose(f))
		fail(argv[1], errno);
	return 0;
}
