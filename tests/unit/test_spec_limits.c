/* Unit tests of the spec's limits on untrusted input: huge specs parse in time linear in
 * their size (the results are checked here, the time by `make bench`), nesting and alias
 * expansion are bounded, an oversized file is an error, and a stop flag interrupts. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "spec.h"

#define NBIG 160000

/* A growing text buffer. */
struct buf {
	char *s;
	size_t len, cap;
};

static void addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : (size_t)0, fmt, ap);
		va_end(ap);
		if (b->s && (size_t)n < b->cap - b->len)
			break;
		b->cap = (b->cap ? 2 * b->cap : 4096) + (size_t)n;
		b->s = realloc(b->s, b->cap);
		assert_non_null(b->s);
	}
	b->len += n;
}

static int parse(const char *yaml, struct spec **s, char *err, size_t errlen)
{
	*s = NULL;
	return spec_parse_string(yaml, "x.yaml", s, err, errlen);
}

static void test_many_custom_models(void **state)
{
	struct buf b = { 0 };
	struct spec *s;
	char err[512] = "";

	addf(&b, "name: big\nworkloads:\n  - name: w\n    models:\n");
	for (int i = 0; i < NBIG; i++)
		addf(&b, "      m%06d: {command: [prog, %d]}\n", i, i);
	assert_int_equal(parse(b.s, &s, err, sizeof(err)), 0);
	assert_int_equal(s->workloads[0].nmodels, NBIG);
	assert_string_equal(s->workloads[0].models[NBIG - 1].name, "m159999");
	assert_int_equal(s->workloads[0].models[NBIG - 1].line, NBIG + 4);
	assert_string_equal(s->workloads[0].models[NBIG - 1].argv[1], "159999");
	spec_free(s);
	/* the same name again at the very end: found, at its place */
	addf(&b, "      m000007: {command: [again]}\n");
	assert_int_equal(parse(b.s, &s, err, sizeof(err)), -EINVAL);
	assert_null(s);
	assert_string_equal(err, "x.yaml:160005:7: duplicate key 'm000007' in workloads[0].models");
	free(b.s);
}

static void test_many_env_keys(void **state)
{
	struct buf b = { 0 };
	struct spec *s;
	struct plan *p = NULL;
	char err[512] = "";

	addf(&b, "name: big\ndefaults:\n  env:\n");
	for (int i = 0; i < NBIG; i++)
		addf(&b, "    K%06d: v%d\n", i, i);
	addf(&b, "workloads:\n  - name: w\n    env: {K000003: w}\n    models:\n"
	     "      a: {command: [x], env: {K159999: m, NEW: n}}\n");
	assert_int_equal(parse(b.s, &s, err, sizeof(err)), 0);
	assert_int_equal(spec_plan(s, NULL, &p, err, sizeof(err)), 0);
	assert_int_equal(p->ncases, 1);
	/* one entry per variable, in first-seen order, the most specific value */
	assert_string_equal(p->cases[0].env[0], "K000000=v0");
	assert_string_equal(p->cases[0].env[3], "K000003=w");
	assert_string_equal(p->cases[0].env[NBIG - 1], "K159999=m");
	assert_string_equal(p->cases[0].env[NBIG], "NEW=n");
	assert_null(p->cases[0].env[NBIG + 1]);
	plan_free(p);
	spec_free(s);
	free(b.s);

	b = (struct buf){ 0 };
	addf(&b, "name: big\ndefaults:\n  env:\n");
	for (int i = 0; i < NBIG; i++)
		addf(&b, "    K%06d: v\n", i);
	addf(&b, "    K000042: again\nworkloads: []\n");
	assert_int_equal(parse(b.s, &s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "x.yaml:160004:5: duplicate key 'K000042' in defaults.env");
	free(b.s);
}

static void test_many_workloads(void **state)
{
	struct buf b = { 0 };
	struct spec *s;
	struct plan *p = NULL;
	struct plan_opts o = { .models = "c5,c39999" };
	char err[512] = "";

	addf(&b, "name: big\nworkloads:\n");
	for (int i = 0; i < 40000; i++)
		addf(&b, "  - {name: w%d, models: {c%d: {command: [x]}}}\n", i, i);
	assert_int_equal(parse(b.s, &s, err, sizeof(err)), 0);
	assert_int_equal(s->nworkloads, 40000);
	assert_int_equal(spec_plan(s, &o, &p, err, sizeof(err)), 0);
	assert_int_equal(p->ncases, 2);
	assert_string_equal(p->cases[1].wl->name, "w39999");
	plan_free(p);
	spec_free(s);
	addf(&b, "  - {name: w17, models: {d: {command: [x]}}}\n");
	assert_int_equal(parse(b.s, &s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "x.yaml:40003:12: workloads[40000].name: duplicate workload "
			    "name 'w17' (also workloads[17])");
	free(b.s);
}

static char *nested(int depth, const char *open, const char *close)
{
	struct buf b = { 0 };

	addf(&b, "name: x\nworkloads:\n  - name: w\n    models: ");
	for (int i = 0; i < depth; i++)
		addf(&b, "%s", open);
	for (int i = 0; i < depth; i++)
		addf(&b, "%s", close);
	addf(&b, "\n");
	return b.s;
}

static void test_nesting_limit(void **state)
{
	struct spec *s;
	char err[512] = "", *y;

	/* 64 levels (the root mapping, workloads, a workload, then 61 lists): not a valid
	 * spec, but not too deep either */
	y = nested(SPEC_MAX_DEPTH - 3, "[", "]");
	assert_int_equal(parse(y, &s, err, sizeof(err)), -EINVAL);
	assert_null(strstr(err, "nested"));
	free(y);
	/* one more: refused where the 65th level opens */
	y = nested(SPEC_MAX_DEPTH - 2, "[", "]");
	assert_int_equal(parse(y, &s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "x.yaml:4:74: nested deeper than 64 levels");
	free(y);
	/* 100,000 levels of flow lists and of flow mappings: the same, at once */
	y = nested(100000, "[", "]");
	assert_int_equal(parse(y, &s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "x.yaml:4:74: nested deeper than 64 levels");
	free(y);
	y = nested(100000, "{a: ", "}");
	assert_int_equal(parse(y, &s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "x.yaml:4:257: nested deeper than 64 levels");
	free(y);
	assert_null(s);
}

static void test_alias_expansion_limit(void **state)
{
	struct buf b = { 0 };
	struct spec *s;
	char err[512] = "";

	/* each level aliases the previous one ten times: 10^7 nodes from a few hundred bytes */
	addf(&b, "name: x\ndescription: d\nl0: &l0 [a, a, a, a, a, a, a, a, a, a]\n");
	for (int i = 1; i <= 7; i++) {
		addf(&b, "l%d: &l%d [", i, i);
		for (int k = 0; k < 10; k++)
			addf(&b, "%s*l%d", k ? ", " : "", i - 1);
		addf(&b, "]\n");
	}
	assert_int_equal(parse(b.s, &s, err, sizeof(err)), -EINVAL);
	assert_null(s);
	assert_string_equal(err, "x.yaml:9:25: more than 4000000 nodes (aliases counted in full)");
	free(b.s);
}

static void test_file_size_limit(void **state)
{
	size_t n = SPEC_MAX_FILE + 1;
	char *y = malloc(n + 1), err[512] = "", path[] = "/tmp/ct-spec-XXXXXX";
	struct spec *s;
	int fd;

	assert_non_null(y);
	memset(y, '#', n);
	y[n] = '\0';
	assert_int_equal(parse(y, &s, err, sizeof(err)), -EFBIG);
	assert_string_equal(err, "x.yaml: too large (a spec is at most 16 MiB)");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, y, n), (ssize_t)n);
	close(fd);
	assert_int_equal(spec_load(path, &s, err, sizeof(err)), -EFBIG);
	assert_null(s);
	unlink(path);
	free(y);
}

static void test_interrupt(void **state)
{
	static const char ok[] = "name: x\nworkloads:\n  - {name: w, kind: cpu, models: [asyncio]}\n";
	char err[512] = "", path[] = "/tmp/ct-spec-XXXXXX", want[600];
	volatile int stop = 1;
	struct spec *s = (struct spec *)1;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, ok, sizeof(ok) - 1), (ssize_t)(sizeof(ok) - 1));
	close(fd);
	assert_int_equal(spec_load_interruptible(path, &stop, &s, err, sizeof(err)), -EINTR);
	assert_null(s);
	snprintf(want, sizeof(want), "%s: interrupted while reading the spec", path);
	assert_string_equal(err, want);
	stop = 0;
	assert_int_equal(spec_load_interruptible(path, &stop, &s, err, sizeof(err)), 0);
	assert_int_equal(s->nworkloads, 1);
	spec_free(s);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many_custom_models),
		cmocka_unit_test(test_many_env_keys),
		cmocka_unit_test(test_many_workloads),
		cmocka_unit_test(test_nesting_limit),
		cmocka_unit_test(test_alias_expansion_limit),
		cmocka_unit_test(test_file_size_limit),
		cmocka_unit_test(test_interrupt),
	};

	return cmocka_run_group_tests_name("spec limits", tests, NULL, NULL);
}
