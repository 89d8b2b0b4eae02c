/* Unit tests of the case exports: trace.json (Perfetto) and profile.pb.gz (pprof), from the
 * hand-made case in tests/fixtures/export (its scenario and the expected times are described in
 * gen-timeline.py there). */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>
#include "conctrace/sched.h"
#include "proto/profile.pb-c.h"
#include "render.h"
#include "results.h"

#ifdef SRCDIR
#define FIXTURES SRCDIR "/tests/fixtures/export"
#else
#define FIXTURES "tests/fixtures/export"
#endif

#define US 1000       /* ns */

/* ---- helpers ---- */

/* > 0: the fixture's case has this many CPUs (a timeline's records must be on one of them) */
static int case_cpus;

static json_t *load_run(void)
{
	json_error_t e;
	json_t *run = json_load_file(FIXTURES "/run.json", 0, &e);
	json_t *cpus;

	if (!run)
		fail_msg("%s/run.json: %s (line %d)", FIXTURES, e.text, e.line);
	cpus = json_object_get(json_array_get(json_object_get(run, "cases"), 0), "cpus");
	while (case_cpus > 0 && json_array_size(cpus) < (size_t)case_cpus)
		json_array_append_new(cpus, json_pack("{sisisi}", "cpu", (int)json_array_size(cpus),
						      "on_cpu_ns", 0, "switches", 0));
	return run;
}

/* Run a case renderer of the fixture's only case into memory. */
static char *render(int (*fn)(json_t *, json_t *, const char *, FILE *, const struct render_opts *),
		    const char *case_dir, size_t *len)
{
	json_t *run = load_run();
	struct render_opts o = { .dir = FIXTURES };
	char *data = NULL;
	FILE *f = open_memstream(&data, len);

	assert_non_null(f);
	assert_int_equal(fn(run, json_array_get(json_object_get(run, "cases"), 0), case_dir, f, &o), 0);
	assert_int_equal(fclose(f), 0);
	json_decref(run);
	return data;
}

static json_t *perfetto(const char *case_dir)
{
	size_t len;
	char *data = render(render_perfetto_case, case_dir, &len);
	json_error_t e;
	json_t *doc = json_loadb(data, len, 0, &e);

	if (!doc)
		fail_msg("trace.json does not parse: %s (line %d, column %d)", e.text, e.line,
			 e.column);
	free(data);
	return doc;
}

/* A timestamp in ns, as trace processors read it (microseconds, rounded). */
static int64_t ev_ns(json_t *ev, const char *key)
{
	return llround(json_number_value(json_object_get(ev, key)) * 1000.0);
}

static bool ev_is(json_t *ev, const char *ph, int64_t pid, int64_t tid)
{
	return strcmp(jget_str(ev, "ph"), ph) == 0 &&
	       json_integer_value(json_object_get(ev, "pid")) == pid &&
	       json_integer_value(json_object_get(ev, "tid")) == tid;
}

static bool starts_with(const char *s, const char *prefix)
{
	return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The X event on (pid, tid) that starts at b (ns since the case start), or NULL. */
static json_t *slice_at(json_t *evs, int64_t pid, int64_t tid, int64_t b)
{
	json_t *ev;
	size_t i;

	json_array_foreach(evs, i, ev)
		if (ev_is(ev, "X", pid, tid) && ev_ns(ev, "ts") == b)
			return ev;
	return NULL;
}

static void check_slice(json_t *evs, int64_t pid, int64_t tid, int64_t b_us, int64_t e_us,
			const char *name, const char *cat)
{
	json_t *ev = slice_at(evs, pid, tid, b_us * US);

	if (!ev)
		fail_msg("no slice of %lld at %lldus", (long long)tid, (long long)b_us);
	assert_string_equal(jget_str(ev, "name"), name);
	assert_string_equal(jget_str(ev, "cat"), cat);
	assert_int_equal(ev_ns(ev, "dur"), (e_us - b_us) * US);
}

static char *tmpdir(void)
{
	char *d = strdup("/tmp/ct-export-XXXXXX");

	assert_non_null(mkdtemp(d));
	return d;
}

/* gunzip with zlib; fails the test on a bad stream. */
static uint8_t *gunzip(const uint8_t *in, size_t len, size_t *outlen)
{
	z_stream z = {};
	size_t cap = 4096, n = 0;
	uint8_t *out = malloc(cap);
	int zr;

	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = (uint8_t *)in;
	z.avail_in = len;
	do {
		if (n == cap) {
			cap *= 2;
			out = realloc(out, cap);
		}
		z.next_out = out + n;
		z.avail_out = cap - n;
		zr = inflate(&z, Z_NO_FLUSH);
		n = cap - z.avail_out;
	} while (zr == Z_OK);
	inflateEnd(&z);
	if (zr != Z_STREAM_END)
		fail_msg("profile.pb.gz does not gunzip: zlib %d", zr);
	assert_int_equal(z.avail_in, 0);
	*outlen = n;
	return out;
}

static Perftools__Profiles__Profile *pprof(const char *case_dir, uint8_t **raw, size_t *rawlen)
{
	size_t len;
	uint8_t *gz = (uint8_t *)render(render_pprof_case, case_dir, &len);
	uint8_t *pb;
	Perftools__Profiles__Profile *p;

	/* gzip magic: the bytes go to disk as profile.pb.gz */
	assert_true(len > 18 && gz[0] == 0x1f && gz[1] == 0x8b);
	pb = gunzip(gz, len, rawlen);
	free(gz);
	p = perftools__profiles__profile__unpack(NULL, *rawlen, pb);
	assert_non_null(p);
	if (raw)
		*raw = pb;
	else
		free(pb);
	return p;
}

static const char *pstr(const Perftools__Profiles__Profile *p, int64_t i)
{
	assert_true(i >= 0 && (size_t)i < p->n_string_table);
	return p->string_table[i];
}

static const Perftools__Profiles__Label *label(const Perftools__Profiles__Profile *p,
					       const Perftools__Profiles__Sample *s, const char *key)
{
	for (size_t i = 0; i < s->n_label; i++)
		if (strcmp(pstr(p, s->label[i]->key), key) == 0)
			return s->label[i];
	return NULL;
}

static const char *label_str(const Perftools__Profiles__Profile *p,
			     const Perftools__Profiles__Sample *s, const char *key)
{
	const Perftools__Profiles__Label *l = label(p, s, key);

	return l ? pstr(p, l->str) : NULL;
}

static const char *location_name(const Perftools__Profiles__Profile *p, uint64_t id)
{
	for (size_t i = 0; i < p->n_location; i++) {
		if (p->location[i]->id != id)
			continue;
		assert_int_equal(p->location[i]->n_line, 1);
		for (size_t k = 0; k < p->n_function; k++)
			if (p->function[k]->id == p->location[i]->line[0]->function_id)
				return pstr(p, p->function[k]->name);
	}
	fail_msg("no location %llu", (unsigned long long)id);
	return NULL;
}

/* ---- Perfetto ---- */

static void test_renderer_table(void **state)
{
	const struct renderer *r = renderer_find("perfetto");

	assert_non_null(r);
	assert_string_equal(r->file, "trace.json");
	assert_true(r->render_case == render_perfetto_case && !r->render && !r->binary);
	r = renderer_find("pprof");
	assert_non_null(r);
	assert_string_equal(r->file, "profile.pb.gz");
	assert_true(r->render_case == render_pprof_case && !r->render && r->binary);
}

/* Every event has what the trace-event format requires for its phase. */
static void test_perfetto_fields(void **state)
{
	json_t *doc = perfetto(FIXTURES), *evs = json_object_get(doc, "traceEvents"), *ev;
	int nx = 0, nm = 0, nflow = 0;
	size_t i;

	assert_string_equal(jget_str(doc, "displayTimeUnit"), "ms");
	assert_true(json_is_array(evs));
	json_array_foreach(evs, i, ev) {
		const char *ph = jget_str(ev, "ph");

		assert_non_null(ph);
		assert_non_null(jget_str(ev, "name"));
		/* metadata events may leave out ts (trace processors take 0) */
		if (strcmp(ph, "M") != 0 || json_object_get(ev, "ts"))
			assert_true(json_is_number(json_object_get(ev, "ts")));
		assert_true(json_is_integer(json_object_get(ev, "pid")));
		assert_true(json_is_integer(json_object_get(ev, "tid")));
		if (strcmp(ph, "X") == 0) {
			assert_true(json_is_number(json_object_get(ev, "dur")));
			assert_true(json_number_value(json_object_get(ev, "dur")) > 0);
			assert_non_null(jget_str(ev, "cat"));
			assert_true(json_is_object(json_object_get(ev, "args")));
			nx++;
		} else if (strcmp(ph, "M") == 0) {
			json_t *args = json_object_get(ev, "args");

			if (strstr(jget_str(ev, "name"), "_sort_index"))
				assert_true(json_is_integer(json_object_get(args, "sort_index")));
			else
				assert_non_null(jget_str(args, "name"));
			nm++;
		} else if (strcmp(ph, "s") == 0 || strcmp(ph, "f") == 0) {
			assert_true(json_is_integer(json_object_get(ev, "id")));
			assert_non_null(jget_str(ev, "cat"));
			if (ph[0] == 'f')
				assert_string_equal(jget_str(ev, "bp"), "e");
			nflow++;
		} else {
			fail_msg("unexpected phase %s", ph);
		}
	}
	assert_true(nm > 0);
	assert_true(nx > 0);
	assert_int_equal(nflow, 6);
	json_decref(doc);
}

static void test_perfetto_metadata(void **state)
{
	json_t *doc = perfetto(FIXTURES), *evs = json_object_get(doc, "traceEvents"), *ev;
	const char *want[][4] = {
		/* pid, tid, metadata, name */
		{"100", "100", "process_name", "app 100"},
		{"200", "200", "process_name", "child 200"},
		{"2147418112", "2147418112", "process_name", "CPUs"},
		{"2147418112", "2147418113", "thread_name", "CPU 0"},
		{"2147418112", "2147418114", "thread_name", "CPU 1"},
		{"100", "100", "thread_name", "app"},
		{"100", "101", "thread_name", "worker"},
		{"200", "200", "thread_name", "child"},
	};
	size_t i;

	for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
		bool found = false;

		json_array_foreach(evs, i, ev)
			if (ev_is(ev, "M", atoll(want[k][0]), atoll(want[k][1])) &&
			    strcmp(jget_str(ev, "name"), want[k][2]) == 0) {
				assert_string_equal(jget_str(json_object_get(ev, "args"), "name"),
						    want[k][3]);
				found = true;
			}
		if (!found)
			fail_msg("no %s for %s/%s", want[k][2], want[k][0], want[k][1]);
	}
	/* task 50 is not traced: no track of its own */
	json_array_foreach(evs, i, ev)
		assert_int_not_equal(json_integer_value(json_object_get(ev, "tid")), 50);
	json_decref(doc);
}

/* On every track (thread or CPU), the slices come in time order and never overlap. */
static void test_perfetto_slices_ordered(void **state)
{
	json_t *doc = perfetto(FIXTURES), *evs = json_object_get(doc, "traceEvents"), *ev, *ev2;
	size_t i, k;
	int tracks = 0;

	json_array_foreach(evs, i, ev) {
		int64_t pid = json_integer_value(json_object_get(ev, "pid"));
		int64_t tid = json_integer_value(json_object_get(ev, "tid"));
		int64_t end = ev_ns(ev, "ts") + ev_ns(ev, "dur");
		bool first = true;

		if (!ev_is(ev, "X", pid, tid))
			continue;
		/* the first slice of its track: walk the track from here */
		for (k = 0; k < i && first; k++)
			first = !ev_is(json_array_get(evs, k), "X", pid, tid);
		if (!first)
			continue;
		tracks++;
		for (k = i + 1; k < json_array_size(evs); k++) {
			ev2 = json_array_get(evs, k);
			if (!ev_is(ev2, "X", pid, tid))
				continue;
			if (ev_ns(ev2, "ts") < end)
				fail_msg("slices overlap or are out of order on %lld/%lld at %lldns",
					 (long long)pid, (long long)tid,
					 (long long)ev_ns(ev2, "ts"));
			end = ev_ns(ev2, "ts") + ev_ns(ev2, "dur");
		}
	}
	assert_int_equal(tracks, 5);   /* 3 threads, 2 CPUs */
	json_decref(doc);
}

/* Running time per thread and per CPU as the timeline implies, and the other slices. */
static void test_perfetto_thread_states(void **state)
{
	json_t *doc = perfetto(FIXTURES), *evs = json_object_get(doc, "traceEvents"), *ev;
	const struct { int64_t pid, tid, running_us; } th[] = {
		{100, 100, 90 + 240 + 9040}, {100, 101, 275 + 180 + 4310}, {200, 200, 500},
		{0x7fff0000, 0x7fff0001, 90 + 240 + 500 + 9040}, {0x7fff0000, 0x7fff0002, 4765},
	};
	size_t i;

	for (size_t k = 0; k < sizeof(th) / sizeof(th[0]); k++) {
		int64_t run = 0;

		json_array_foreach(evs, i, ev)
			if (ev_is(ev, "X", th[k].pid, th[k].tid) &&
			    strcmp(jget_str(ev, "cat"), "running") == 0)
				run += ev_ns(ev, "dur");
		assert_int_equal(run, th[k].running_us * US);
	}
	check_slice(evs, 100, 100, 10, 100, "Running (CPU 0)", "running");
	check_slice(evs, 100, 100, 100, 150, "Blocked: lock", "lock");
	check_slice(evs, 100, 100, 150, 160, "Runnable", "runnable");
	check_slice(evs, 100, 100, 400, 950, "Blocked: child", "child");
	check_slice(evs, 100, 100, 960, 10000, "Running (CPU 0)", "running");
	check_slice(evs, 100, 101, 20, 25, "Runnable", "runnable");
	check_slice(evs, 100, 101, 300, 320, "Runnable", "runnable");
	check_slice(evs, 100, 101, 500, 700, "Blocked: io", "io");   /* no wakeup: to switch-in */
	/* exited at 5000 and untracked: running until the switch that shows it untraced */
	check_slice(evs, 100, 101, 700, 5010, "Running (CPU 1)", "running");
	check_slice(evs, 200, 200, 390, 400, "Runnable", "runnable");
	check_slice(evs, 0x7fff0000, 0x7fff0001, 400, 900, "child 200", "running");
	assert_string_equal(jget_str(json_object_get(slice_at(evs, 100, 101, 300 * US), "args"),
				     "after"), "preemption");
	/* the lock wait's switch record carries stack ids 7, 8, 0: stacks.json's lock stack */
	assert_string_equal(jget_str(json_object_get(slice_at(evs, 100, 100, 100 * US), "args"),
				     "stack"), "main;run;futex_wait;schedule");
	/* the io wait's record carries none: no stack */
	assert_null(json_object_get(json_object_get(slice_at(evs, 100, 101, 500 * US), "args"),
				    "stack"));
	assert_int_equal(jpath_u64(slice_at(evs, 100, 100, 100 * US), "args.woken_by"), 101);
	/* 200 exited at 890us, before its last switch-out: nothing after it */
	assert_null(slice_at(evs, 200, 200, 900 * US));
	json_decref(doc);
}

/* A wakeup by a traced thread is a flow from the waker's running slice to the wakee's next
 * running slice; an interrupt's wakeup, or one of a running thread, is not. */
static void test_perfetto_flows(void **state)
{
	json_t *doc = perfetto(FIXTURES), *evs = json_object_get(doc, "traceEvents"), *ev, *f;
	const struct { int64_t waker, wakee_pid, wakee, at_us, run_us; } want[] = {
		{100, 100, 101, 20, 25}, {101, 100, 100, 150, 160}, {100, 200, 200, 390, 400},
	};
	size_t i, k;

	for (size_t w = 0; w < sizeof(want) / sizeof(want[0]); w++) {
		bool found = false;

		json_array_foreach(evs, i, ev) {
			json_t *run;

			if (!ev_is(ev, "s", 100, want[w].waker) || ev_ns(ev, "ts") != want[w].at_us * US)
				continue;
			json_array_foreach(evs, k, f)
				if (ev_is(f, "f", want[w].wakee_pid, want[w].wakee) &&
				    json_equal(json_object_get(f, "id"), json_object_get(ev, "id")))
					break;
			assert_true(k < json_array_size(evs));
			assert_string_equal(jget_str(f, "cat"), jget_str(ev, "cat"));
			assert_string_equal(jget_str(f, "name"), jget_str(ev, "name"));
			/* the end lies inside the wakee's running slice that follows the wakeup */
			run = slice_at(evs, want[w].wakee_pid, want[w].wakee, want[w].run_us * US);
			assert_non_null(run);
			assert_string_equal(jget_str(run, "cat"), "running");
			assert_true(ev_ns(f, "ts") > ev_ns(run, "ts"));
			assert_true(ev_ns(f, "ts") < ev_ns(run, "ts") + ev_ns(run, "dur"));
			found = true;
		}
		if (!found)
			fail_msg("no flow from %lld at %lldus", (long long)want[w].waker,
				 (long long)want[w].at_us);
	}
	json_array_foreach(evs, i, ev)
		if (strcmp(jget_str(ev, "ph"), "s") == 0)
			assert_true(ev_ns(ev, "ts") != 950 * US && ev_ns(ev, "ts") != 200 * US);
	json_decref(doc);
}

/* Without timeline.bin: the metadata and one note, no slices. */
static void test_perfetto_no_timeline(void **state)
{
	char *dir = tmpdir();
	json_t *doc = perfetto(dir), *evs = json_object_get(doc, "traceEvents"), *ev;
	int notes = 0;
	size_t i;

	json_array_foreach(evs, i, ev) {
		const char *ph = jget_str(ev, "ph");

		if (strcmp(ph, "i") == 0) {
			assert_true(starts_with(jget_str(ev, "name"), "no timeline recorded"));
			assert_non_null(jget_str(ev, "s"));
			notes++;
		} else {
			assert_string_equal(ph, "M");
		}
	}
	assert_int_equal(notes, 1);
	assert_true(json_array_size(evs) > 1);
	json_decref(doc);
	rmdir(dir);
	free(dir);
}

static char *write_timeline(const char *dir, const void *data, size_t len)
{
	char *path = NULL;
	FILE *f;

	assert_true(asprintf(&path, "%s/timeline.bin", dir) > 0);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

static int count_phase(json_t *doc, const char *ph)
{
	json_t *ev;
	size_t i;
	int n = 0;

	json_array_foreach(json_object_get(doc, "traceEvents"), i, ev)
		n += strcmp(jget_str(ev, "ph"), ph) == 0;
	return n;
}

/* A timeline cut in the middle of a record: the whole records are used. */
static void test_perfetto_torn_timeline(void **state)
{
	char *dir = tmpdir(), *path, buf[4096];
	FILE *in = fopen(FIXTURES "/timeline.bin", "r");
	size_t n;
	json_t *doc;

	assert_non_null(in);
	n = fread(buf, 1, sizeof(buf), in);
	fclose(in);
	assert_true(n > 100);
	path = write_timeline(dir, buf, 100);   /* 2.5 records */
	doc = perfetto(dir);
	assert_true(count_phase(doc, "X") > 0);
	json_decref(doc);
	unlink(path);
	rmdir(dir);
	free(path);
	free(dir);
}

#define TL(type_, cpu_, us_, prev_, prevpid_, next_, nextpid_, reason_) \
	{ .type = (type_), .cpu = (cpu_), .ts = 1000000000ull + (us_) * US, \
	  .prev_tid = (prev_), .prev_tgid = (prevpid_), .next_tid = (next_), \
	  .next_tgid = (nextpid_), .reason = (reason_) }

/* A lost switch-out: the next switch on the CPU ends the slice of the thread left there, and
 * nothing is made up for it afterwards; a blocked thread's last slice ends at its exit; after
 * a thread's final switch, a task that reuses its tid is not it; a missed switch-in: the
 * thread ran since the last switch on that CPU at most. */
static void test_perfetto_lost_records(void **state)
{
	const struct ct_tl_rec recs[] = {
		TL(CT_EV_SWITCH, 0, 10, 0, 0, 100, 100, CT_R_MAX),
		/* 100 -> 50 lost */
		TL(CT_EV_SWITCH, 0, 50, 50, 50, 0, 0, CT_R_MAX),
		TL(CT_EV_SWITCH, 0, 60, 0, 0, 101, 100, CT_R_MAX),
		TL(CT_EV_SWITCH, 0, 80, 101, 100, 0, 0, CT_R_SLEEP),
		TL(CT_EV_SWITCH, 1, 20, 0, 0, 200, 200, CT_R_MAX),
		TL(CT_EV_SWITCH, 1, 30, 200, 200, 0, 0, CT_R_MAX),      /* the final switch */
		TL(CT_EV_SWITCH, 1, 40, 0, 0, 200, 300, CT_R_MAX),      /* tid 200 reused */
		TL(CT_EV_SWITCH, 1, 70, 200, 300, 0, 0, CT_R_MAX),
		TL(CT_EV_SWITCH, 2, 100, 300, 300, 0, 0, CT_R_MAX),
		TL(CT_EV_SWITCH, 2, 130, 400, 100, 0, 0, CT_R_IO),     /* 400's switch-in missed */
	};
	char *dir = tmpdir(), *path = write_timeline(dir, recs, sizeof(recs));
	json_t *doc, *evs;

	case_cpus = 3;
	doc = perfetto(dir);
	case_cpus = 0;
	evs = json_object_get(doc, "traceEvents");
	check_slice(evs, 100, 100, 10, 50, "Running (CPU 0)", "running");
	check_slice(evs, 100, 101, 60, 80, "Running (CPU 0)", "running");
	check_slice(evs, 100, 101, 80, 5000, "Blocked: sleep", "sleep");   /* 101 exits at 5000 */
	check_slice(evs, 0x7fff0000, 0x7fff0001, 10, 50, "app 100", "running");
	check_slice(evs, 0x7fff0000, 0x7fff0001, 60, 80, "worker 101", "running");
	check_slice(evs, 200, 200, 20, 30, "Running (CPU 1)", "running");
	check_slice(evs, 0x7fff0000, 0x7fff0002, 20, 30, "child 200", "running");
	check_slice(evs, 100, 400, 100, 130, "Running (CPU 2)", "running");
	check_slice(evs, 100, 400, 130, 10000, "Blocked: io", "io");      /* to the case end */
	check_slice(evs, 0x7fff0000, 0x7fff0003, 100, 130, "app 400", "running");
	assert_int_equal(count_phase(doc, "X"), 10);
	json_decref(doc);
	unlink(path);
	rmdir(dir);
	free(path);
	free(dir);
}

/* ---- pprof ---- */

static void test_pprof_profile(void **state)
{
	size_t len;
	Perftools__Profiles__Profile *p = pprof(FIXTURES, NULL, &len);
	static const char *const types[3][2] = {
		{"samples", "count"}, {"cpu", "nanoseconds"}, {"off_cpu", "nanoseconds"},
	};
	int64_t sum[3] = {};
	struct tm tm = { .tm_year = 2026 - 1900, .tm_mon = 0, .tm_mday = 2, .tm_hour = 3,
			 .tm_min = 4, .tm_sec = 5 };

	assert_true(p->n_string_table > 0);
	assert_string_equal(p->string_table[0], "");
	assert_int_equal(p->n_sample_type, 3);
	for (int i = 0; i < 3; i++) {
		assert_string_equal(pstr(p, p->sample_type[i]->type), types[i][0]);
		assert_string_equal(pstr(p, p->sample_type[i]->unit), types[i][1]);
	}
	assert_non_null(p->period_type);
	assert_string_equal(pstr(p, p->period_type->type), "cpu");
	assert_string_equal(pstr(p, p->period_type->unit), "nanoseconds");
	assert_int_equal(p->period, 1000000000 / 99);
	assert_string_equal(pstr(p, p->default_sample_type), "cpu");
	assert_int_equal(p->duration_nanos, 10000000);
	assert_int_equal(p->time_nanos, (int64_t)timegm(&tm) * 1000000000);

	/* the totals of stacks.json: 10 samples on CPU, 800us off it */
	assert_int_equal(p->n_sample, 6);
	for (size_t i = 0; i < p->n_sample; i++) {
		assert_int_equal(p->sample[i]->n_value, 3);
		for (int k = 0; k < 3; k++)
			sum[k] += p->sample[i]->value[k];
	}
	assert_int_equal(sum[0], 5 + 3 + 2);
	assert_int_equal(sum[1], 5 * 1000000000LL / 99 + 3 * 1000000000LL / 99 +
			 2 * 1000000000LL / 99);
	assert_int_equal(sum[2], 50000 + 200000 + 550000);

	/* a location and a function per distinct frame, ids nonzero */
	assert_int_equal(p->n_location, 7);
	assert_int_equal(p->n_function, 7);
	for (size_t i = 0; i < p->n_location; i++) {
		assert_true(p->location[i]->id > 0);
		assert_true(p->function[i]->id > 0);
		if (p->location[i]->mapping_id) {
			assert_int_equal(p->n_mapping, 1);
			assert_int_equal(p->location[i]->mapping_id, p->mapping[0]->id);
		}
	}
	perftools__profiles__profile__free_unpacked(p, NULL);
}

static void test_pprof_samples(void **state)
{
	size_t len;
	Perftools__Profiles__Profile *p = pprof(FIXTURES, NULL, &len);
	const Perftools__Profiles__Sample *s;
	const Perftools__Profiles__Label *l;

	/* stacks.json's second entry: worker 101 on CPU in main > run > compute */
	s = p->sample[1];
	assert_int_equal(s->n_location_id, 3);
	assert_string_equal(location_name(p, s->location_id[0]), "compute");   /* leaf first */
	assert_string_equal(location_name(p, s->location_id[1]), "run");
	assert_string_equal(location_name(p, s->location_id[2]), "main");
	assert_int_equal(s->value[0], 3);
	assert_int_equal(s->value[1], 3 * 1000000000LL / 99);
	assert_int_equal(s->value[2], 0);
	assert_string_equal(label_str(p, s, "reason"), "oncpu");
	assert_string_equal(label_str(p, s, "model"), "threading");
	assert_string_equal(label_str(p, s, "workload"), "lockdemo");
	assert_string_equal(label_str(p, s, "process"), "app 100");
	assert_string_equal(label_str(p, s, "thread"), "worker 101");
	l = label(p, s, "pid");
	assert_non_null(l);
	assert_int_equal(l->num, 100);
	assert_int_equal(l->str, 0);
	l = label(p, s, "tid");
	assert_non_null(l);
	assert_int_equal(l->num, 101);

	/* the fourth: worker's I/O wait, off-CPU nanoseconds only */
	s = p->sample[3];
	assert_string_equal(label_str(p, s, "reason"), "io");
	assert_string_equal(location_name(p, s->location_id[0]), "schedule");
	assert_int_equal(s->value[0], 0);
	assert_int_equal(s->value[1], 0);
	assert_int_equal(s->value[2], 200000);

	/* the child process is named by its own comm */
	s = p->sample[4];
	assert_string_equal(label_str(p, s, "process"), "child 200");
	assert_string_equal(label_str(p, s, "thread"), "child 200");
	perftools__profiles__profile__free_unpacked(p, NULL);
}

/* Without stacks.json: a valid profile with its sample types and no samples. */
static void test_pprof_no_stacks(void **state)
{
	char *dir = tmpdir();
	size_t len;
	Perftools__Profiles__Profile *p = pprof(dir, NULL, &len);

	assert_int_equal(p->n_sample_type, 3);
	assert_int_equal(p->n_sample, 0);
	assert_string_equal(p->string_table[0], "");
	perftools__profiles__profile__free_unpacked(p, NULL);
	rmdir(dir);
	free(dir);
}

/* Python frames, "qualname (file.py:line)", become a function with its file and a line;
 * other names stay whole. */
static void test_pprof_python_frames(void **state)
{
	char *dir = tmpdir(), *path = NULL;
	const char *frames[] = {"<module> (app.py:3)", "Pool.run.<locals>.f (pool.py:10)",
				"_find (<frozen importlib._bootstrap>:7)", "futex_wait",
				"odd (x.c:12)", "f (a.py:x)", "(b.py:4)"};
	const struct { const char *name, *file; int64_t line; } want[] = {
		{"<module>", "app.py", 3}, {"Pool.run.<locals>.f", "pool.py", 10},
		{"_find", "<frozen importlib._bootstrap>", 7}, {"futex_wait", "", 0},
		{"odd (x.c:12)", "", 0}, {"f (a.py:x)", "", 0}, {"(b.py:4)", "", 0},
	};
	json_t *st = json_object(), *fr = json_array(), *smp = json_object(), *stack = json_array();
	size_t len, n = sizeof(frames) / sizeof(frames[0]);
	Perftools__Profiles__Profile *p;

	for (size_t i = 0; i < n; i++) {
		json_array_append_new(fr, json_string(frames[i]));
		json_array_append_new(stack, json_integer(i));
	}
	json_object_set_new(smp, "pid", json_integer(100));
	json_object_set_new(smp, "tid", json_integer(100));
	json_object_set_new(smp, "comm", json_string("python3"));
	json_object_set_new(smp, "reason", json_string("oncpu"));
	json_object_set_new(smp, "stack", stack);
	json_object_set_new(smp, "count", json_integer(1));
	json_object_set_new(smp, "ns", json_integer(0));
	json_object_set_new(st, "frames", fr);
	json_object_set_new(st, "samples", json_pack("[o]", smp));
	json_object_set_new(st, "sample_hz", json_integer(99));
	assert_true(asprintf(&path, "%s/stacks.json", dir) > 0);
	assert_int_equal(json_dump_file(st, path, 0), 0);
	json_decref(st);
	p = pprof(dir, NULL, &len);
	assert_int_equal(p->n_function, n);
	for (size_t i = 0; i < n; i++) {
		const Perftools__Profiles__Function *f = NULL;

		for (size_t k = 0; k < p->n_function; k++)
			if (!strcmp(pstr(p, p->function[k]->name), want[i].name))
				f = p->function[k];
		if (!f)
			fail_msg("no function %s", want[i].name);
		assert_string_equal(pstr(p, f->filename), want[i].file);
		for (size_t k = 0; k < p->n_location; k++)
			if (p->location[k]->line[0]->function_id == f->id)
				assert_int_equal(p->location[k]->line[0]->line, want[i].line);
	}
	perftools__profiles__profile__free_unpacked(p, NULL);
	unlink(path);
	free(path);
	rmdir(dir);
	free(dir);
}

/* protoc, when installed, decodes the profile with proto/profile.proto. */
static void test_pprof_protoc(void **state)
{
	char *dir, *path = NULL, *cmd = NULL, line[512];
	uint8_t *raw;
	size_t len;
	Perftools__Profiles__Profile *p;
	bool compute = false, off_cpu = false;
	FILE *f;
	int st;

	if (system("command -v protoc >/dev/null 2>&1") != 0) {
		print_message("protoc not on PATH: not decoding with it\n");
		skip();
	}
	dir = tmpdir();
	p = pprof(FIXTURES, &raw, &len);
	perftools__profiles__profile__free_unpacked(p, NULL);
	assert_true(asprintf(&path, "%s/profile.pb", dir) > 0);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(raw, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	free(raw);
	assert_true(asprintf(&cmd, "protoc --decode=perftools.profiles.Profile --proto_path=proto "
			     "proto/profile.proto < %s 2>&1", path) > 0);
	f = popen(cmd, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		compute |= strstr(line, "string_table: \"compute\"") != NULL;
		off_cpu |= strstr(line, "string_table: \"off_cpu\"") != NULL;
	}
	st = pclose(f);
	assert_int_equal(st, 0);
	assert_true(compute);
	assert_true(off_cpu);
	unlink(path);
	rmdir(dir);
	free(cmd);
	free(path);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_renderer_table),
		cmocka_unit_test(test_perfetto_fields),
		cmocka_unit_test(test_perfetto_metadata),
		cmocka_unit_test(test_perfetto_slices_ordered),
		cmocka_unit_test(test_perfetto_thread_states),
		cmocka_unit_test(test_perfetto_flows),
		cmocka_unit_test(test_perfetto_no_timeline),
		cmocka_unit_test(test_perfetto_torn_timeline),
		cmocka_unit_test(test_perfetto_lost_records),
		cmocka_unit_test(test_pprof_profile),
		cmocka_unit_test(test_pprof_samples),
		cmocka_unit_test(test_pprof_no_stacks),
		cmocka_unit_test(test_pprof_python_frames),
		cmocka_unit_test(test_pprof_protoc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
