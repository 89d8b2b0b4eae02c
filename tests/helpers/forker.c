/* Traced by the integration tests: a root that exits with status 7 while its orphaned
 * grandchildren still run, so the tracer must follow the tree past the root's exit.
 *
 * usage: forker TRUTH.jsonl
 * TRUTH.jsonl, one JSON object a line, appended as each process finishes:
 *   {"role":"child","pid","ppid","grandchildren":[a,b]}
 *   {"role":"root","pid","child_pid","exit_code":7}
 *   {"role":"grandchild","pid","tid","ppid_at_fork","on_cpu_ns"}   on_cpu_ns: schedstat
 *                                                                 field 1, read just before exit
 * A grandchild sleeps 100 ms, spins 250 ms of CPU, then sleeps until 500 ms after its fork.
 * 250 ms, not less: a process's exit (mm teardown) comes after its own schedstat read and was
 * measured at 1.6-3.4 ms on the test VM, which must stay well inside the tests' 2%. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ROOT_EXIT     7
#define GC_SLEEP_NS   100000000L
#define GC_SPIN_NS    250000000ULL
#define GC_LIFE_NS    500000000ULL

static int truth_fd;

static void fail(const char *what)
{
	fprintf(stderr, "forker: %s: %s\n", what, strerror(errno));
	_exit(1);
}

static uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000ULL), (long)(ns % 1000000000ULL) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void spin_cpu_ns(uint64_t ns)
{
	uint64_t end = clock_ns(CLOCK_THREAD_CPUTIME_ID) + ns;
	volatile unsigned long x = 0;

	while (clock_ns(CLOCK_THREAD_CPUTIME_ID) < end)
		for (int i = 0; i < 20000; i++)
			x++;
}

/* One write on an O_APPEND file: lines of different processes never interleave. */
static void append_line(const char *line)
{
	size_t len = strlen(line);

	if (write(truth_fd, line, len) != (ssize_t)len)
		fail("write truth");
}

static void grandchild_main(pid_t parent)
{
	uint64_t born = clock_ns(CLOCK_MONOTONIC), elapsed;
	unsigned long long on_cpu = 0;
	char line[256];
	FILE *f;

	sleep_ns(GC_SLEEP_NS);
	spin_cpu_ns(GC_SPIN_NS);
	elapsed = clock_ns(CLOCK_MONOTONIC) - born;
	if (elapsed < GC_LIFE_NS)
		sleep_ns(GC_LIFE_NS - elapsed);

	f = fopen("/proc/self/schedstat", "r");
	if (!f)
		fail("/proc/self/schedstat");
	if (fscanf(f, "%llu", &on_cpu) != 1)
		fail("parse schedstat");
	fclose(f);
	snprintf(line, sizeof(line),
		 "{\"role\":\"grandchild\",\"pid\":%d,\"tid\":%d,\"ppid_at_fork\":%d,\"on_cpu_ns\":%llu}\n",
		 (int)getpid(), (int)getpid(), (int)parent, on_cpu);
	append_line(line);
	_exit(0);
}

static void child_main(void)
{
	pid_t gc[2], me = getpid();
	char line[256];

	for (int i = 0; i < 2; i++) {
		gc[i] = fork();
		if (gc[i] < 0)
			fail("fork");
		if (gc[i] == 0)
			grandchild_main(me);    /* not getppid(): this process may be gone already */
	}
	snprintf(line, sizeof(line),
		 "{\"role\":\"child\",\"pid\":%d,\"ppid\":%d,\"grandchildren\":[%d,%d]}\n",
		 (int)getpid(), (int)getppid(), (int)gc[0], (int)gc[1]);
	append_line(line);
	_exit(0);
}

int main(int argc, char **argv)
{
	char line[256];
	pid_t child;
	int status;

	if (argc != 2) {
		fprintf(stderr, "usage: %s TRUTH.jsonl\n", argv[0]);
		return 2;
	}
	truth_fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
	if (truth_fd < 0)
		fail(argv[1]);
	child = fork();
	if (child < 0)
		fail("fork");
	if (child == 0)
		child_main();
	if (waitpid(child, &status, 0) != child)
		fail("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "forker: child failed (status 0x%x)\n", status);
		return 1;
	}
	snprintf(line, sizeof(line), "{\"role\":\"root\",\"pid\":%d,\"child_pid\":%d,\"exit_code\":%d}\n",
		 (int)getpid(), (int)child, ROOT_EXIT);
	append_line(line);
	return ROOT_EXIT;
}
