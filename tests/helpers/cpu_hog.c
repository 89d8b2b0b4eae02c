/* Traced by the integration tests: 4 CPU-bound threads on 2 CPUs, so they are preempted and
 * wait in the run queue.
 *
 * usage: cpu_hog TRUTH.json
 * TRUTH.json: {"pid", "ncpus", "cpus":[..] (the CPUs the hogs may use),
 *              "wall_ns" (main() entry to the hogs joined), "cpu_ns" (getrusage utime+stime
 *              then), "parallelism" (cpu_ns / wall_ns: below 1.5, the machine was busy),
 *              "threads":[{"tid","on_cpu_ns","runq_ns","timeslices"}]}  the three fields of
 *              /proc/self/task/TID/schedstat, read by each hog just before it exits.
 * The process confines itself to the first 2 CPUs it may use before it starts the hogs, so
 * the figures are the same on a bigger machine. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define NHOGS   4
#define HOG_NS  400000000ULL
#define NCPUS   2

struct hog {
	pid_t tid;
	unsigned long long on_cpu_ns, runq_ns, timeslices;
};

static pthread_barrier_t start;

static void fail(const char *what, int err)
{
	fprintf(stderr, "cpu_hog: %s: %s\n", what, strerror(err));
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

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void *hog_main(void *arg)
{
	struct hog *h = arg;
	char path[64];
	FILE *f;

	h->tid = (pid_t)syscall(SYS_gettid);
	pthread_barrier_wait(&start);
	spin_cpu_ns(HOG_NS);
	snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat", (int)h->tid);
	f = fopen(path, "r");
	if (!f)
		fail(path, errno);
	if (fscanf(f, "%llu %llu %llu", &h->on_cpu_ns, &h->runq_ns, &h->timeslices) != 3)
		fail("parse schedstat", EINVAL);
	fclose(f);
	return NULL;
}

int main(int argc, char **argv)
{
	uint64_t t0 = mono_ns(), wall_ns, cpu_ns;
	struct hog h[NHOGS] = { { 0 } };
	pthread_t th[NHOGS];
	struct rusage ru;
	cpu_set_t allowed, mine;
	int cpus[NCPUS], ncpus = 0, err;
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: %s TRUTH.json\n", argv[0]);
		return 2;
	}
	if (sched_getaffinity(0, sizeof(allowed), &allowed))
		fail("sched_getaffinity", errno);
	CPU_ZERO(&mine);
	for (int c = 0; c < CPU_SETSIZE && ncpus < NCPUS; c++) {
		if (CPU_ISSET(c, &allowed)) {
			CPU_SET(c, &mine);
			cpus[ncpus++] = c;
		}
	}
	/* the main thread only: the hogs inherit it when they are created */
	if (sched_setaffinity(0, sizeof(mine), &mine))
		fail("sched_setaffinity", errno);
	err = pthread_barrier_init(&start, NULL, NHOGS);
	if (err)
		fail("pthread_barrier_init", err);
	for (int i = 0; i < NHOGS; i++) {
		err = pthread_create(&th[i], NULL, hog_main, &h[i]);
		if (err)
			fail("pthread_create", err);
	}
	for (int i = 0; i < NHOGS; i++)
		pthread_join(th[i], NULL);
	wall_ns = mono_ns() - t0;
	if (getrusage(RUSAGE_SELF, &ru))
		fail("getrusage", errno);
	cpu_ns = (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ULL +
		 (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ULL;

	f = fopen(argv[1], "w");
	if (!f)
		fail(argv[1], errno);
	fprintf(f, "{\"pid\":%d,\"wall_ns\":%" PRIu64 ",\"cpu_ns\":%" PRIu64 ",\"parallelism\":%.4f,"
		"\"ncpus\":%d,\"cpus\":[", (int)getpid(), wall_ns, cpu_ns, (double)cpu_ns / (double)wall_ns,
		ncpus);
	for (int i = 0; i < ncpus; i++)
		fprintf(f, "%s%d", i ? "," : "", cpus[i]);
	fprintf(f, "],\"threads\":[");
	for (int i = 0; i < NHOGS; i++)
		fprintf(f, "%s{\"tid\":%d,\"on_cpu_ns\":%llu,\"runq_ns\":%llu,\"timeslices\":%llu}",
			i ? "," : "", (int)h[i].tid, h[i].on_cpu_ns, h[i].runq_ns, h[i].timeslices);
	fprintf(f, "]}\n");
	if (fclose(f))
		fail(argv[1], errno);
	return 0;
}
