/* Unit tests of the strict command-line value parsers (cliparse.c): whole strings, ranges,
 * no wrap-around, finite durations, pid lists, and what a pid is. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "cliparse.h"

static void test_int(void **state)
{
	long long v = -7;

	(void)state;
	assert_int_equal(cli_parse_int("1", 1, 10000, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(cli_parse_int("10000", 1, 10000, &v), 0);
	assert_int_equal(v, 10000);
	/* 2^32 + 1 used to become 1 through an int */
	assert_int_equal(cli_parse_int("4294967297", 1, 10000, &v), -ERANGE);
	assert_int_equal(cli_parse_int("99999999999999999999", 1, 10000, &v), -ERANGE);
	assert_int_equal(cli_parse_int("0", 1, 10000, &v), -ERANGE);
	assert_int_equal(cli_parse_int("-1", 1, 10000, &v), -ERANGE);
	assert_int_equal(cli_parse_int("10001", 1, 10000, &v), -ERANGE);
	assert_int_equal(v, 10000);   /* untouched on error */
	assert_int_equal(cli_parse_int("", 1, 10, &v), -EINVAL);
	assert_int_equal(cli_parse_int(" 5", 1, 10, &v), -EINVAL);
	assert_int_equal(cli_parse_int("+5", 1, 10, &v), -EINVAL);
	assert_int_equal(cli_parse_int("5 ", 1, 10, &v), -EINVAL);
	assert_int_equal(cli_parse_int("1.5", 1, 10, &v), -EINVAL);
	assert_int_equal(cli_parse_int("1e3", 1, 10000, &v), -EINVAL);
	assert_int_equal(cli_parse_int("0x10", 1, 100, &v), -EINVAL);
	assert_int_equal(cli_parse_int(NULL, 1, 10, &v), -EINVAL);
}

static void test_seconds(void **state)
{
	uint64_t ns = 0;

	(void)state;
	assert_int_equal(cli_parse_seconds("2", CT_MAX_DURATION_S, &ns), 0);
	assert_int_equal(ns, 2000000000ull);
	assert_int_equal(cli_parse_seconds("0.25", CT_MAX_DURATION_S, &ns), 0);
	assert_int_equal(ns, 250000000ull);
	assert_int_equal(cli_parse_seconds("604800", CT_MAX_DURATION_S, &ns), 0);
	for (const char *const *p = (const char *const[]){ "nan", "NaN", "inf", "-inf", "2e10",
			"604801", "0", "-1", "1e-12", NULL }; *p; p++)
		assert_int_equal(cli_parse_seconds(*p, CT_MAX_DURATION_S, &ns), -ERANGE);
	for (const char *const *p = (const char *const[]){ "", " 1", "1x", "1 ", "s", NULL };
	     *p; p++)
		assert_int_equal(cli_parse_seconds(*p, CT_MAX_DURATION_S, &ns), -EINVAL);
}

static void test_pids(void **state)
{
	pid_t pids[4];

	(void)state;
	assert_int_equal(cli_parse_pids("42", pids, 4), 1);
	assert_int_equal(pids[0], 42);
	assert_int_equal(cli_parse_pids("1,2,4194304", pids, 4), 3);
	assert_int_equal(pids[2], 4194304);
	assert_int_equal(cli_parse_pids("4294967297", pids, 4), -ERANGE);   /* was pid 1 */
	assert_int_equal(cli_parse_pids("4194305", pids, 4), -ERANGE);
	assert_int_equal(cli_parse_pids("0", pids, 4), -ERANGE);
	assert_int_equal(cli_parse_pids("1,,2", pids, 4), -EINVAL);
	assert_int_equal(cli_parse_pids("1,", pids, 4), -EINVAL);
	assert_int_equal(cli_parse_pids(",1", pids, 4), -EINVAL);
	assert_int_equal(cli_parse_pids("", pids, 4), -EINVAL);
	assert_int_equal(cli_parse_pids("1,x", pids, 4), -EINVAL);
	assert_int_equal(cli_parse_pids("1,2,3,4,5", pids, 4), -E2BIG);
}

static void test_check_pid(void **state)
{
	pid_t child;

	(void)state;
	assert_int_equal(cli_check_pid(getpid()), 0);
	child = fork();
	if (child == 0)
		_exit(0);
	/* a zombie until reaped */
	for (int i = 0; i < 1000 && cli_check_pid(child) == 0; i++)
		usleep(1000);
	assert_int_equal(cli_check_pid(child), -ECHILD);
	waitpid(child, NULL, 0);
	assert_int_equal(cli_check_pid(child), -ESRCH);
	/* kthreadd, when this is the initial pid namespace */
	FILE *f = fopen("/proc/2/comm", "r");
	char comm[32] = "";

	if (f) {
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = '\0';
		fclose(f);
	}
	if (!strncmp(comm, "kthreadd", 8))
		assert_int_equal(cli_check_pid(2), -EPERM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_int),
		cmocka_unit_test(test_seconds),
		cmocka_unit_test(test_pids),
		cmocka_unit_test(test_check_pid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
