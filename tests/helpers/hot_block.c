/* A known hot function and known blocking calls, for the stack tests: hot_leaf() burns a few
 * hundred ms of CPU under hot_caller(), then block_here() sleeps 300 ms in nanosleep and
 * read_pipe_here() waits 200 ms for a pipe that another thread writes to.
 * The blocking calls are made with the syscall instruction here, not through libc: Debian's
 * libc has no frame pointers, so a frame-pointer walk from inside it skips its caller. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static int fds[2];

static volatile uint64_t ticks;

__attribute__((noinline)) void tick(void)
{
	ticks++;
}

/* Not a leaf (it calls tick), so that gcc gives it a frame pointer: gcc 12 omits it in leaf
 * functions even with -mno-omit-leaf-frame-pointer, and the walk would skip hot_caller. */
__attribute__((noinline)) uint64_t hot_leaf(uint64_t n)
{
	uint64_t x = 1;

	for (uint64_t i = 0; i < n; i++) {
		x = x * 6364136223846793005ULL + i;
		if ((i & 0xfffff) == 0)
			tick();
	}
	return x;
}

__attribute__((noinline)) uint64_t hot_caller(void)
{
	uint64_t x = 0;

	for (int i = 0; i < 8; i++)
		x += hot_leaf(60000000 + (uint64_t)i);
	return x;
}

static long raw_syscall3(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}

__attribute__((noinline)) void block_here(void)
{
	struct timespec ts = { 0, 300000000L };

	raw_syscall3(35 /* nanosleep */, (long)&ts, 0, 0);
}

__attribute__((noinline)) void read_pipe_here(void)
{
	char c;

	if (raw_syscall3(0 /* read */, fds[0], (long)&c, 1) != 1)
		fputs("read failed\n", stderr);
}

static void *writer(void *arg)
{
	struct timespec ts = { 0, 200000000L };

	(void)arg;
	nanosleep(&ts, NULL);
	if (write(fds[1], "x", 1) != 1)
		perror("write");
	return NULL;
}

int main(void)
{
	pthread_t t;

	printf("%llu\n", (unsigned long long)hot_caller());
	block_here();
	if (pipe(fds) < 0)
		return 1;
	pthread_create(&t, NULL, writer, NULL);
	read_pipe_here();
	pthread_join(t, NULL);
	return 0;
}
