/* The folded and flame-graph case renderers: exact folded output from a fixed stacks.json,
 * on-CPU weighted by samples, off-CPU by nanoseconds under the reason. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "render.h"
#include "render_flame.h"
#include "util.h"

static const char *stacks_json =
	"{\"frames\": [\"main\", \"work\", \"read\", \"schedule\"], \"sample_hz\": 99,"
	" \"samples\": ["
	"  {\"pid\": 1, \"tid\": 1, \"comm\": \"app\", \"reason\": \"oncpu\", \"stack\": [0, 1],"
	"   \"count\": 7, \"ns\": 0, \"cut\": false},"
	"  {\"pid\": 1, \"tid\": 2, \"comm\": \"app\", \"reason\": \"oncpu\", \"stack\": [0, 1],"
	"   \"count\": 3, \"ns\": 0, \"cut\": false},"
	"  {\"pid\": 1, \"tid\": 1, \"comm\": \"app\", \"reason\": \"io\", \"stack\": [0, 2, 3],"
	"   \"count\": 2, \"ns\": 5000, \"cut\": false},"
	"  {\"pid\": 1, \"tid\": 1, \"comm\": \"app\", \"reason\": \"preempted\", \"stack\": [0, 1],"
	"   \"count\": 1, \"ns\": 700, \"cut\": false}]}";

static char *render(int (*fn)(json_t *, json_t *, const char *, FILE *,
			      const struct render_opts *), const char *dir)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_t *run = json_object(), *c = json_object();
	struct render_opts o = {0};

	json_object_set_new(c, "workload", json_string("w"));
	json_object_set_new(c, "model", json_string("m"));
	assert_int_equal(fn(run, c, dir, f, &o), 0);
	fclose(f);
	json_decref(run);
	json_decref(c);
	return buf;
}

static char *fixture_dir(const char *content)
{
	char *dir = xstrdup("/tmp/ct-rflame-XXXXXX");

	assert_non_null(mkdtemp(dir));
	if (content) {
		char *p = xasprintf("%s/stacks.json", dir);
		FILE *f = fopen(p, "w");

		fputs(content, f);
		fclose(f);
		free(p);
	}
	return dir;
}

static void cleanup(char *dir)
{
	char *p = xasprintf("%s/stacks.json", dir);

	unlink(p);
	rmdir(dir);
	free(p);
	free(dir);
}

static void test_oncpu_folded(void **state)
{
	char *dir = fixture_dir(stacks_json), *out = render(render_oncpu_folded, dir);

	(void)state;
	/* two threads with the same stack merge: 7 + 3 */
	assert_string_equal(out, "app;main;work 10\n");
	free(out);
	cleanup(dir);
}

static void test_offcpu_folded(void **state)
{
	char *dir = fixture_dir(stacks_json), *out = render(render_offcpu_folded, dir);

	(void)state;
	assert_string_equal(out, "io;app;main;read;schedule 5000\npreempted;app;main;work 700\n");
	free(out);
	cleanup(dir);
}

static void test_no_stacks_file(void **state)
{
	char *dir = fixture_dir(NULL), *out = render(render_oncpu_folded, dir);

	(void)state;
	assert_string_equal(out, "");
	free(out);
	out = render(render_offcpu_svg, dir);
	assert_non_null(strstr(out, "<svg"));
	free(out);
	cleanup(dir);
}

static void test_svg_titles(void **state)
{
	char *dir = fixture_dir(stacks_json), *out = render(render_oncpu_svg, dir);

	(void)state;
	assert_non_null(strstr(out, "On-CPU: w / m"));
	assert_non_null(strstr(out, "10 samples at 99 Hz"));
	free(out);
	out = render(render_offcpu_svg, dir);
	assert_non_null(strstr(out, "Off-CPU by reason: w / m"));
	assert_non_null(strstr(out, "preempted"));
	free(out);
	cleanup(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oncpu_folded),
		cmocka_unit_test(test_offcpu_folded),
		cmocka_unit_test(test_no_stacks_file),
		cmocka_unit_test(test_svg_titles),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
