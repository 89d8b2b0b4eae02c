/* Unit tests of trace.json's own writer (user/render_perfetto.c): the JSON string escaping
 * (comm names are arbitrary bytes), the exact fixed-point times, and names that need escaping
 * all the way through a rendered trace. What the trace shows is tested in test_export.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "conctrace/sched.h"
#include "render.h"
#include "results.h"

#define FIXTURES "tests/fixtures/export"

/* Not in a header: exported by render_perfetto.c for these tests. */
size_t perfetto_json_escape(char *dst, const char *src, size_t n);

#define FFFD "\xef\xbf\xbd"

/* ---- escaping ---- */

static char *escape(const char *s, size_t n, size_t *len)
{
	char *d = malloc(6 * n + 1);

	assert_non_null(d);
	*len = perfetto_json_escape(d, s, n);
	assert_true(*len <= 6 * n);
	d[*len] = '\0';
	return d;
}

/* The escaped form of n bytes at s is exactly want. */
static void check_escape(const char *s, size_t n, const char *want)
{
	size_t len;
	char *got = escape(s, n, &len);

	if (len != strlen(want) || memcmp(got, want, len) != 0)
		fail_msg("escape of %zu bytes: got \"%s\", want \"%s\"", n, got, want);
	free(got);
}

#define CHECK(lit, want)  check_escape((lit), sizeof(lit) - 1, (want))

/* The escaped form parses as a JSON string (jansson checks its UTF-8), and decodes to
 * *decoded (NUL bytes allowed). */
static json_t *parse_escaped(const char *s, size_t n)
{
	size_t len;
	char *e = escape(s, n, &len), *doc = malloc(len + 3);
	json_error_t err;
	json_t *v;

	assert_non_null(doc);
	doc[0] = '"';
	memcpy(doc + 1, e, len);
	doc[len + 1] = '"';
	doc[len + 2] = '\0';
	v = json_loadb(doc, len + 2, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
	if (!v || !json_is_string(v))
		fail_msg("not a JSON string: %s (%s)", doc, err.text);
	free(e);
	free(doc);
	return v;
}

static void test_escape_ascii(void **state)
{
	CHECK("", "");
	CHECK("python3", "python3");
	CHECK("a b/c'd<e>&{}[]:,~", "a b/c'd<e>&{}[]:,~");
	CHECK("\"", "\\\"");
	CHECK("\\", "\\\\");
	CHECK("q\"uote\\bs\\\"", "q\\\"uote\\\\bs\\\\\\\"");
	CHECK("\b\f\n\r\t", "\\b\\f\\n\\r\\t");
	CHECK("\x01\x1f\x7f", "\\u0001\\u001f\x7f");   /* DEL is allowed as is */
	/* a NUL inside the given length (never in a C string, but the length rules) */
	check_escape("a\0b", 3, "a\\u0000b");
}

static void test_escape_every_control(void **state)
{
	char in[1], want[8];

	for (int c = 0; c < 0x20; c++) {
		in[0] = (char)c;
		switch (c) {
		case '\b': strcpy(want, "\\b"); break;
		case '\f': strcpy(want, "\\f"); break;
		case '\n': strcpy(want, "\\n"); break;
		case '\r': strcpy(want, "\\r"); break;
		case '\t': strcpy(want, "\\t"); break;
		default: snprintf(want, sizeof(want), "\\u%04x", c);
		}
		check_escape(in, 1, want);
	}
}

static void test_escape_utf8_kept(void **state)
{
	CHECK("caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac");
	CHECK("\xc2\x80", "\xc2\x80");                    /* U+0080 */
	CHECK("\xdf\xbf", "\xdf\xbf");                    /* U+07FF */
	CHECK("\xe0\xa0\x80", "\xe0\xa0\x80");            /* U+0800 */
	CHECK("\xed\x9f\xbf", "\xed\x9f\xbf");            /* U+D7FF */
	CHECK("\xee\x80\x80", "\xee\x80\x80");            /* U+E000 */
	CHECK("\xef\xbf\xbf", "\xef\xbf\xbf");            /* U+FFFF */
	CHECK("\xf0\x90\x80\x80", "\xf0\x90\x80\x80");    /* U+10000 */
	CHECK("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80");    /* an emoji */
	CHECK("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");    /* U+10FFFF */
}

/* Each byte that is not part of a well-formed sequence becomes one U+FFFD. */
static void test_escape_utf8_invalid(void **state)
{
	CHECK("\xff", FFFD);
	CHECK("\xfe\xff", FFFD FFFD);
	CHECK("\x80", FFFD);                                   /* lone continuation */
	CHECK("a\xbf" "b", "a" FFFD "b");
	CHECK("\xc0\x80", FFFD FFFD);                          /* overlong NUL */
	CHECK("\xc1\xbf", FFFD FFFD);                          /* overlong */
	CHECK("\xe0\x80\x80", FFFD FFFD FFFD);                 /* overlong */
	CHECK("\xe0\x9f\xbf", FFFD FFFD FFFD);                 /* overlong */
	CHECK("\xf0\x80\x80\x80", FFFD FFFD FFFD FFFD);        /* overlong */
	CHECK("\xf0\x8f\xbf\xbf", FFFD FFFD FFFD FFFD);        /* overlong */
	CHECK("\xed\xa0\x80", FFFD FFFD FFFD);                 /* surrogate U+D800 */
	CHECK("\xed\xbf\xbf", FFFD FFFD FFFD);                 /* surrogate U+DFFF */
	CHECK("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD);        /* above U+10FFFF */
	CHECK("\xf5\x80\x80\x80", FFFD FFFD FFFD FFFD);
	CHECK("\xf8\x88\x80\x80\x80", FFFD FFFD FFFD FFFD FFFD);
	CHECK("\xe2\x82", FFFD FFFD);                          /* cut at the end */
	CHECK("\xe2\x82" "A", FFFD FFFD "A");                  /* cut before ASCII */
	CHECK("\xf0\x9f\x98", FFFD FFFD FFFD);
	CHECK("\xc3" "\"", FFFD "\\\"");                       /* cut before a quote */
	CHECK("\xc3\xa9\xc3", "\xc3\xa9" FFFD);
	CHECK("\xe2\x82\xac\x80\xe2\x82\xac", "\xe2\x82\xac" FFFD "\xe2\x82\xac");
	/* what a thread may write to its comm */
	CHECK("\xff\xfeinv\xc3", FFFD FFFD "inv" FFFD);
	CHECK("\x01q\"\\\xff\n", "\\u0001q\\\"\\\\" FFFD "\\n");
}

/* Random bytes, biased towards the interesting ones: the output is always a valid JSON string
 * within 6 bytes per input byte, and valid UTF-8 without controls comes back unchanged. */
static void test_escape_random(void **state)
{
	static const unsigned char pick[] = {
		0x00, 0x01, 0x08, 0x0a, 0x1f, '"', '\\', 'a', '/', 0x7f, 0x80, 0x8f, 0x90, 0x9f,
		0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe2, 0xed, 0xef, 0xf0, 0xf4, 0xf5,
		0xfe, 0xff,
	};
	char in[48];
	unsigned seed = 12345;

	for (int round = 0; round < 20000; round++) {
		size_t n = (size_t)(rand_r(&seed) % sizeof(in));
		json_t *v;

		for (size_t i = 0; i < n; i++)
			in[i] = (char)(rand_r(&seed) % 3 ? pick[rand_r(&seed) % sizeof(pick)] :
				       rand_r(&seed) % 256);
		v = parse_escaped(in, n);
		/* jansson accepts well-formed UTF-8 only: when it takes the input as it is, the
		 * escaping must have given it back unchanged */
		{
			json_t *raw = json_stringn(in, n);

			if (raw) {
				assert_int_equal(json_string_length(v), n);
				assert_memory_equal(json_string_value(v), in, n);
				json_decref(raw);
			}
		}
		json_decref(v);
	}
}

/* ---- a rendered trace ---- */

static json_t *load_run(void)
{
	json_error_t e;
	json_t *run = json_load_file(FIXTURES "/run.json", 0, &e);

	if (!run)
		fail_msg("%s/run.json: %s (line %d)", FIXTURES, e.text, e.line);
	return run;
}

static json_t *fixture_case(json_t *run)
{
	return json_array_get(json_object_get(run, "cases"), 0);
}

static char *render(json_t *run, size_t *len)
{
	struct render_opts o = { .dir = FIXTURES };
	char *data = NULL;
	FILE *f = open_memstream(&data, len);

	assert_non_null(f);
	assert_int_equal(render_perfetto_case(run, fixture_case(run), FIXTURES, f, &o), 0);
	assert_int_equal(fclose(f), 0);
	return data;
}

static json_t *parse(const char *data, size_t len)
{
	json_error_t e;
	json_t *doc = json_loadb(data, len, 0, &e);

	if (!doc)
		fail_msg("trace.json does not parse: %s (line %d, column %d)", e.text, e.line,
			 e.column);
	return doc;
}

/* Shift the case start by delta ns (the times in the trace move by -delta). */
static void shift_start(json_t *run, int64_t delta)
{
	json_t *c = fixture_case(run);

	json_object_set_new(c, "start_mono_ns",
			    json_integer(json_integer_value(json_object_get(c, "start_mono_ns")) +
					 delta));
}

static void check_contains(const char *data, const char *want)
{
	if (!strstr(data, want))
		fail_msg("trace.json has no %s", want);
}

/* Times are exact microseconds: no float rounding, no trailing zeros, no point when whole. */
static void test_times_fixed_point(void **state)
{
	const struct { int64_t shift; const char *want; } cases[] = {
		/* thread 100 runs on CPU 0 from 10us to 100us */
		{0, "\"tid\":100,\"ts\":10,\"dur\":90,"},
		{500, "\"tid\":100,\"ts\":9.5,\"dur\":90,"},
		{-20, "\"tid\":100,\"ts\":10.02,\"dur\":90,"},
		{-1, "\"tid\":100,\"ts\":10.001,\"dur\":90,"},
		{10000, "\"tid\":100,\"ts\":0,\"dur\":90,"},
		{10001, "\"tid\":100,\"ts\":-0.001,\"dur\":90,"},
		{123457, "\"tid\":100,\"ts\":-113.457,\"dur\":90,"},
		{-999999000, "\"tid\":100,\"ts\":1000009,\"dur\":90,"},
	};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		json_t *run = load_run();
		size_t len;
		char *data;

		shift_start(run, cases[k].shift);
		data = render(run, &len);
		check_contains(data, cases[k].want);
		json_decref(parse(data, len));
		free(data);
		json_decref(run);
	}
}

static const char *meta_name(json_t *evs, const char *what, int64_t pid, int64_t tid)
{
	json_t *ev;
	size_t i;

	json_array_foreach(evs, i, ev)
		if (strcmp(jget_str(ev, "ph"), "M") == 0 && strcmp(jget_str(ev, "name"), what) == 0 &&
		    json_integer_value(json_object_get(ev, "pid")) == pid &&
		    json_integer_value(json_object_get(ev, "tid")) == tid)
			return jget_str(json_object_get(ev, "args"), "name");
	fail_msg("no %s of %lld/%lld", what, (long long)pid, (long long)tid);
	return NULL;
}

/* Names with quotes, backslashes, control characters and invalid UTF-8 (which jansson would
 * refuse to write) come out as valid JSON everywhere they appear. */
static void test_names_escaped(void **state)
{
	json_t *run = load_run(), *c = fixture_case(run), *doc, *evs, *ev, *th;
	const char *comm = "a\"b\\c\x01\n\xff\xc3(\xe2\x82\xac";
	const char *want = "a\"b\\c\x01\n" FFFD FFFD "(\xe2\x82\xac";
	char *cpu_name = NULL;
	size_t len, i;
	char *data;
	int cpu_slices = 0;

	th = json_array_get(json_object_get(c, "threads"), 0);      /* tid 100 */
	assert_int_equal(jget_u64(th, "tid"), 100);
	json_object_set_new(th, "comm", json_string_nocheck(comm));
	json_object_set_new(json_array_get(json_object_get(c, "processes"), 1), "comm",
			    json_string_nocheck("ch\"ld\xfe"));           /* pid 200 */
	json_object_set_new(run, "name", json_string("run \"1\"\t\\"));
	data = render(run, &len);
	doc = parse(data, len);
	evs = json_object_get(doc, "traceEvents");
	assert_string_equal(meta_name(evs, "thread_name", 100, 100), want);
	assert_string_equal(meta_name(evs, "process_name", 200, 200), "ch\"ld" FFFD " 200");
	assert_string_equal(jget_str(json_object_get(doc, "otherData"), "run"), "run \"1\"\t\\");
	assert_true(asprintf(&cpu_name, "%s 100", want) > 0);
	json_array_foreach(evs, i, ev) {
		if (json_integer_value(json_object_get(ev, "pid")) != 0x7fff0000 ||
		    strcmp(jget_str(ev, "ph"), "X") != 0 ||
		    json_integer_value(json_object_get(json_object_get(ev, "args"), "tid")) != 100)
			continue;
		assert_string_equal(jget_str(ev, "name"), cpu_name);
		assert_string_equal(jget_str(json_object_get(ev, "args"), "comm"), want);
		cpu_slices++;
	}
	assert_int_equal(cpu_slices, 3);
	free(cpu_name);
	json_decref(doc);
	free(data);
	json_decref(run);
}

/* Only metadata events go without "ts"; one event per line, no spaces between tokens. */
static void test_layout(void **state)
{
	json_t *run = load_run(), *doc, *ev;
	size_t len, i, lines = 0;
	char *data = render(run, &len);

	doc = parse(data, len);
	json_array_foreach(json_object_get(doc, "traceEvents"), i, ev) {
		if (strcmp(jget_str(ev, "ph"), "M") == 0)
			assert_null(json_object_get(ev, "ts"));
		else
			assert_true(json_is_number(json_object_get(ev, "ts")));
	}
	for (const char *s = data; (s = strchr(s, '\n')); s++)
		lines++;
	assert_int_equal(lines, json_array_size(json_object_get(doc, "traceEvents")) + 2);
	/* no spaces between tokens */
	assert_null(strstr(data, "\": "));
	assert_null(strstr(data, ", \""));
	assert_null(strstr(data, "{ "));
	json_decref(doc);
	free(data);
	json_decref(run);
}

/* A write error is reported. */
static void test_write_error(void **state)
{
	json_t *run = load_run();
	struct render_opts o = { .dir = FIXTURES };
	FILE *f = fopen("/dev/full", "w");

	if (!f)
		skip();
	assert_int_equal(render_perfetto_case(run, fixture_case(run), FIXTURES, f, &o), -EIO);
	fclose(f);
	json_decref(run);
}

/* GIL records become a "GIL" track in the process: one slice per holder, from its taking the
 * GIL to its drop (or to the case end); a drop by a thread not holding it is ignored. */
static void test_gil_track(void **state)
{
	json_t *run = load_run(), *doc, *ev;
	char dir[] = "/tmp/ct-test-gil-XXXXXX", path[64];
	const uint64_t S = 1000000000ull;   /* the fixture's start_mono_ns; wall 10 ms */
	struct ct_tl_rec recs[] = {
		{ .type = CT_EV_GIL, .ts = S + 1000, .prev_tid = 100, .prev_tgid = 100, .reason = 1 },
		{ .type = CT_EV_GIL, .ts = S + 5000, .prev_tid = 100, .prev_tgid = 100, .reason = 0 },
		{ .type = CT_EV_GIL, .ts = S + 6000, .prev_tid = 101, .prev_tgid = 100, .reason = 1 },
		{ .type = CT_EV_GIL, .ts = S + 7000, .prev_tid = 100, .prev_tgid = 100, .reason = 0 },
	};
	struct render_opts o = { .dir = dir };
	char *data = NULL;
	size_t len, i;
	FILE *f;
	int track = -1, slices = 0;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/timeline.bin", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(recs, sizeof(recs), 1, f), 1);
	fclose(f);
	f = open_memstream(&data, &len);
	assert_int_equal(render_perfetto_case(run, fixture_case(run), dir, f, &o), 0);
	fclose(f);
	doc = parse(data, len);
	json_array_foreach(json_object_get(doc, "traceEvents"), i, ev)
		if (!strcmp(jget_str(ev, "ph"), "M") && !strcmp(jget_str(ev, "name"), "thread_name") &&
		    !strcmp(jget_str(json_object_get(ev, "args"), "name"), "GIL")) {
			assert_int_equal(jget_u64(ev, "pid"), 100);
			track = (int)jget_u64(ev, "tid");
		}
	assert_true(track > 0);
	json_array_foreach(json_object_get(doc, "traceEvents"), i, ev) {
		if (jget_u64(ev, "tid") != (uint64_t)track || strcmp(jget_str(ev, "ph"), "X"))
			continue;
		double ts = json_number_value(json_object_get(ev, "ts"));
		double dur = json_number_value(json_object_get(ev, "dur"));
		uint64_t holder = jget_u64(json_object_get(ev, "args"), "holder");

		if (slices == 0) {
			assert_int_equal(holder, 100);
			assert_true(ts == 1.0 && dur == 4.0);
		} else {
			assert_int_equal(holder, 101);
			assert_true(ts == 6.0 && dur == 10000.0 - 6.0);
		}
		slices++;
	}
	assert_int_equal(slices, 2);
	json_decref(doc);
	free(data);
	json_decref(run);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_ascii),
		cmocka_unit_test(test_escape_every_control),
		cmocka_unit_test(test_escape_utf8_kept),
		cmocka_unit_test(test_escape_utf8_invalid),
		cmocka_unit_test(test_escape_random),
		cmocka_unit_test(test_times_fixed_point),
		cmocka_unit_test(test_names_escaped),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test(test_gil_track),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
