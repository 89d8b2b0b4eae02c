/* Unit tests of the timeline decoder (user/timeline.c): the checks against the case's
 * bounds, the order it gives the records, a cut last record, and the GIL holders. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "reasons.h"
#include "timeline.h"

#define SEC 1000000000ull

static struct ct_tl_rec rec(uint32_t type, uint32_t cpu, uint64_t ts, uint32_t prev,
			    uint32_t prevpid, uint32_t next, uint32_t reason)
{
	return (struct ct_tl_rec){ .type = type, .cpu = cpu, .ts = ts, .prev_tid = prev,
				   .prev_tgid = prevpid, .next_tid = next, .next_tgid = prevpid,
				   .reason = reason, .ustack = -1, .kstack = -1 };
}

static int decode(const struct ct_tl_rec *r, size_t n, const struct tl_bounds *b,
		  struct timeline *tl, char *err)
{
	return timeline_decode(r, n * sizeof(*r), b, "t.bin", tl, err, 256);
}

static void test_order(void **state)
{
	const struct tl_bounds b = { .ncpus = 2, .start = 100 * SEC, .end = 101 * SEC };
	struct ct_tl_rec r[] = {
		rec(CT_EV_SWITCH, 0, 100 * SEC + 30, 1, 1, 2, CT_R_IO),
		rec(CT_EV_WAKE, 1, 100 * SEC + 10, 5, 5, 1, 0),
		rec(CT_EV_SWITCH, 1, 100 * SEC + 30, 3, 3, 4, CT_R_MAX),
		rec(CT_EV_GIL, 0, 100 * SEC + 20, 7, 7, 0, 1),
	};
	struct timeline tl;
	char err[256] = "";

	assert_int_equal(decode(r, 4, &b, &tl, err), 0);
	assert_true(tl.present);
	assert_int_equal(tl.n, 4);
	assert_int_equal(tl.cut, 0);
	/* by time; the two records of one time keep the file's order */
	assert_int_equal(tl.rec[0].type, CT_EV_WAKE);
	assert_int_equal(tl.rec[1].type, CT_EV_GIL);
	assert_int_equal(tl.rec[2].prev_tid, 1);
	assert_int_equal(tl.rec[3].prev_tid, 3);
	assert_int_equal(tl.first_ts, 100 * SEC + 10);
	assert_int_equal(tl.last_ts, 100 * SEC + 30);
	timeline_free(&tl);
	assert_null(tl.rec);
}

static void test_bounds(void **state)
{
	const struct tl_bounds b = { .ncpus = 4, .start = 100 * SEC, .end = 101 * SEC };
	struct ct_tl_rec r[1];
	struct timeline tl;
	char err[256];

	/* the slack either side of the case */
	r[0] = rec(CT_EV_SWITCH, 3, 100 * SEC - TL_SLACK_NS, 1, 1, 2, CT_R_IO);
	assert_int_equal(decode(r, 1, &b, &tl, err), 0);
	timeline_free(&tl);
	r[0].ts = 101 * SEC + TL_SLACK_NS;
	assert_int_equal(decode(r, 1, &b, &tl, err), 0);
	timeline_free(&tl);
	r[0].ts++;
	assert_int_equal(decode(r, 1, &b, &tl, err), -EBADMSG);
	assert_string_equal(err, "t.bin: record 0 at offset 0: time 161000000001 is outside the "
			    "case (100000000000 to 101000000000)");
	r[0].ts = 100 * SEC - TL_SLACK_NS - 1;
	assert_int_equal(decode(r, 1, &b, &tl, err), -EBADMSG);
	r[0].ts = UINT64_MAX;
	assert_int_equal(decode(r, 1, &b, &tl, err), -EBADMSG);
	r[0] = rec(CT_EV_SWITCH, 4, 100 * SEC, 1, 1, 2, CT_R_IO);
	assert_int_equal(decode(r, 1, &b, &tl, err), -EBADMSG);
	assert_string_equal(err, "t.bin: record 0 at offset 0: CPU 4 is not a CPU of the case "
			    "(it has 4)");
	r[0] = rec(CT_EV_SWITCH, 0, 100 * SEC, 1, 1, TL_MAX_TID + 1, CT_R_MAX);
	assert_int_equal(decode(r, 1, &b, &tl, err), -EBADMSG);
	r[0] = rec(CT_EV_SWITCH, 0, 100 * SEC, 1, 1, TL_MAX_TID, CT_R_MAX);
	assert_int_equal(decode(r, 1, &b, &tl, err), 0);
	timeline_free(&tl);
	r[0] = rec(CT_EV_WAKE + 10, 0, 100 * SEC, 1, 1, 2, 0);
	assert_int_equal(decode(r, 1, &b, &tl, err), -EBADMSG);
	assert_string_equal(err, "t.bin: record 0 at offset 0: unknown record type 14");
	/* without a start time, any time */
	const struct tl_bounds any = { .ncpus = 1 };

	r[0] = rec(CT_EV_SWITCH, 0, UINT64_MAX, 1, 1, 2, CT_R_IO);
	assert_int_equal(decode(r, 1, &any, &tl, err), 0);
	timeline_free(&tl);
}

static void test_cut_and_empty(void **state)
{
	const struct tl_bounds b = { .ncpus = 1 };
	struct ct_tl_rec r[2] = { rec(CT_EV_SWITCH, 0, 5, 1, 1, 2, CT_R_IO),
				  rec(CT_EV_SWITCH, 0, 6, 2, 1, 1, CT_R_IO) };
	struct timeline tl;
	char err[256];

	assert_int_equal(timeline_decode(r, sizeof(r) - 1, &b, "t.bin", &tl, err, sizeof(err)), 0);
	assert_int_equal(tl.n, 1);
	assert_int_equal(tl.cut, sizeof(r[0]) - 1);
	timeline_free(&tl);
	assert_int_equal(timeline_decode(r, 0, &b, "t.bin", &tl, err, sizeof(err)), 0);
	assert_true(tl.present);
	assert_int_equal(tl.n, 0);
	assert_null(tl.rec);
}

static void test_tl_bounds_of_case(void **state)
{
	json_t *c = json_pack("{sIsIs[{si}{si}{si}]}", "start_mono_ns", (json_int_t)(7 * SEC),
			      "wall_ns", (json_int_t)SEC, "cpus", "cpu", 0, "cpu", 1, "cpu", 2);
	struct tl_bounds b;

	tl_bounds_of_case(c, &b);
	assert_int_equal(b.ncpus, 3);
	assert_int_equal(b.start, 7 * SEC);
	assert_int_equal(b.end, 8 * SEC);
	json_decref(c);
	c = json_pack("{si}", "wall_ns", -5);
	tl_bounds_of_case(c, &b);
	assert_int_equal(b.ncpus, CT_MAX_CPUS);
	assert_int_equal(b.start, 0);
	assert_int_equal(b.end, 0);
	json_decref(c);
}

static void test_gil_holders(void **state)
{
	struct tl_gils g;
	struct tl_gil_span s;
	struct ct_tl_rec take_a = rec(CT_EV_GIL, 0, 10, 1, 100, 0, 1);
	struct ct_tl_rec drop_b = rec(CT_EV_GIL, 0, 15, 2, 100, 0, 0);
	struct ct_tl_rec take_b = rec(CT_EV_GIL, 0, 20, 2, 100, 0, 1);
	struct ct_tl_rec drop_b2 = rec(CT_EV_GIL, 0, 30, 2, 100, 0, 0);
	struct ct_tl_rec other = rec(CT_EV_GIL, 0, 12, 9, 200, 0, 1);
	bool added;

	tl_gils_init(&g, 1);
	assert_false(tl_gil_step(&g, &take_a, &s));       /* nobody held it before */
	assert_false(tl_gil_step(&g, &other, &s));        /* a second process: not followed */
	assert_int_equal(g.n, 1);
	assert_int_equal(tl_gil_find(&g, 200, &added), -1);
	assert_false(tl_gil_step(&g, &drop_b, &s));       /* a drop by a thread not holding it */
	assert_true(tl_gil_step(&g, &take_b, &s));
	assert_int_equal(s.holder, 1);
	assert_int_equal(s.pid, 100);
	assert_int_equal(s.from, 10);
	assert_int_equal(s.to, 20);
	assert_true(tl_gil_close(&g, 0, 25, &s));         /* still held at the end */
	assert_int_equal(s.holder, 2);
	assert_int_equal(s.to, 25);
	assert_true(tl_gil_step(&g, &drop_b2, &s));
	assert_int_equal(s.holder, 2);
	assert_int_equal(s.from, 20);
	assert_int_equal(s.to, 30);
	assert_false(tl_gil_close(&g, 0, 40, &s));        /* dropped: nobody holds it */
	assert_false(tl_gil_close(&g, 5, 40, &s));
	tl_gils_init(&g, 1000);
	assert_int_equal(g.max, TL_MAX_GILS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_cut_and_empty),
		cmocka_unit_test(test_tl_bounds_of_case),
		cmocka_unit_test(test_gil_holders),
	};

	return cmocka_run_group_tests_name("timeline", tests, NULL, NULL);
}
