/* Unit tests of the pure parts of the core: percentiles, parallelism, reasons, the
 * results document and its JSON round trip, CPython version parsing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <math.h>
#include "compare.h"
#include "kfeatures.h"
#include "pyinfo.h"
#include "reasons.h"
#include "outdir.h"
#include "results.h"

static void test_percentile_empty(void **state)
{
	uint32_t h[CT_HIST_SLOTS] = {};

	(void)state;
	assert_int_equal(hist_percentile(h, CT_HIST_SLOTS, 0.5, 0), 0);
}

static void test_percentile_single_bucket(void **state)
{
	uint32_t h[CT_HIST_SLOTS] = {};

	(void)state;
	h[10] = 100;          /* [1024, 2048) */
	uint64_t p50 = hist_percentile(h, CT_HIST_SLOTS, 0.5, 0);
	assert_true(p50 >= 1024 && p50 < 2048);
	assert_int_equal(p50, 1024 + (uint64_t)(49.5 / 100 * 1024));
	/* never above the observed maximum */
	assert_int_equal(hist_percentile(h, CT_HIST_SLOTS, 0.99, 1100), 1100);
}

static void test_percentile_two_buckets(void **state)
{
	uint32_t h[CT_HIST_SLOTS] = {};

	(void)state;
	h[3] = 99;            /* [8, 16) */
	h[20] = 1;            /* [1M, 2M) */
	assert_true(hist_percentile(h, CT_HIST_SLOTS, 0.5, 0) < 16);
	assert_true(hist_percentile(h, CT_HIST_SLOTS, 0.99, 0) < 16);
	assert_true(hist_percentile(h, CT_HIST_SLOTS, 0.999, 0) >= (1 << 20));
}

static void test_par_effective(void **state)
{
	int64_t p[4] = {100, 100, 200, 0};

	(void)state;
	/* (0*100 + 1*100 + 2*200) / 400 = 1.25 */
	assert_float_equal(par_effective(p, 4), 1.25, 1e-9);
	int64_t z[2] = {0, 0};
	assert_float_equal(par_effective(z, 2), 0, 1e-9);
}

static void test_reason_names(void **state)
{
	(void)state;
	assert_string_equal(reason_name(CT_R_GIL), "gil");
	assert_string_equal(reason_name(CT_R_GIL_HANDOFF), "gil-handoff");
	assert_null(reason_name(CT_R_MAX));
	assert_null(reason_name(-1));
	for (int r = 0; r < CT_R_MAX; r++)
		assert_int_equal(reason_from_name(reason_name(r)), r);
	assert_int_equal(reason_from_name("nope"), -1);
}

static void test_syscall_classification(void **state)
{
	uint8_t t[CT_NR_SYSCALLS];

	(void)state;
	reason_fill_syscall_table(t, CT_NR_SYSCALLS);
	assert_int_equal(t[0] - 1, CT_R_IO);         /* read */
	assert_int_equal(t[45] - 1, CT_R_IO);        /* recvfrom */
	assert_int_equal(t[43] - 1, CT_R_IO);        /* accept */
	assert_int_equal(t[232] - 1, CT_R_POLL);     /* epoll_wait */
	assert_int_equal(t[281] - 1, CT_R_POLL);     /* epoll_pwait */
	assert_int_equal(t[7] - 1, CT_R_POLL);       /* poll */
	assert_int_equal(t[270] - 1, CT_R_POLL);     /* pselect6 */
	assert_int_equal(t[35] - 1, CT_R_SLEEP);     /* nanosleep */
	assert_int_equal(t[230] - 1, CT_R_SLEEP);    /* clock_nanosleep */
	assert_int_equal(t[61] - 1, CT_R_CHILD);     /* wait4 */
	assert_int_equal(t[247] - 1, CT_R_CHILD);    /* waitid */
	/* futex is decided in the kernel from its op: not in the table */
	assert_int_equal(t[202], 0);
	assert_int_equal(t[449], 0);
	/* an unclassified syscall is "other" */
	assert_int_equal(t[60], 0);                  /* exit */
	assert_int_equal(reason_of_syscall(202), CT_R_LOCK);
	assert_int_equal(reason_of_syscall(60), CT_R_OTHER);
}

static void test_python_versions(void **state)
{
	int ma, mi;

	(void)state;
	assert_int_equal(pyinfo_version_from_name("/usr/bin/python3.11", &ma, &mi), 0);
	assert_int_equal(ma, 3);
	assert_int_equal(mi, 11);
	assert_int_equal(pyinfo_version_from_name("/x/lib/libpython3.13.so.1.0", &ma, &mi), 0);
	assert_int_equal(mi, 13);
	assert_int_not_equal(pyinfo_version_from_name("/usr/bin/python3", &ma, &mi), 0);
	assert_int_not_equal(pyinfo_version_from_name("/bin/sh", &ma, &mi), 0);
	assert_int_equal(pyinfo_gil_offset(3, 11), 0x168);
	assert_int_equal(pyinfo_gil_offset(3, 12), 0x12e78);
	assert_int_equal(pyinfo_gil_offset(3, 9), 0);     /* unknown: no guess */
	assert_int_equal(pyinfo_gil_offset(2, 7), 0);
}

/* A raw case with two threads, one process, one lock and its edges. */
static void fake_raw(struct ct_raw *raw)
{
	memset(raw, 0, sizeof(*raw));
	raw->start_ns = 1000000000;
	raw->end_ns = raw->start_ns + 400;
	raw->nthreads = 2;
	raw->threads = calloc(2, sizeof(struct ct_thread));
	raw->threads[0] = (struct ct_thread){ .tid = 10, .tgid = 10, .on_cpu_ns = 100, .nvcsw = 3,
		.nivcsw = 1, .start_ns = raw->start_ns, .end_ns = raw->start_ns + 400,
		.exit_code = 7 << 8, .flags = CT_TF_EXITED, .comm = "main" };
	raw->threads[0].off_ns[CT_R_LOCK] = 50;
	raw->threads[0].off_count[CT_R_LOCK] = 1;
	raw->threads[0].cpus[0] = 0x3;
	raw->threads[0].runq_hist[5] = 2;
	raw->threads[0].runq_count = 2;
	raw->threads[1] = (struct ct_thread){ .tid = 11, .tgid = 10, .on_cpu_ns = 300, .nvcsw = 1,
		.comm = "worker" };
	raw->threads[1].off_ns[CT_R_SLEEP] = 20;
	raw->threads[1].off_count[CT_R_SLEEP] = 1;
	raw->threads[1].cpus[0] = 0x2;
	raw->nprocs = 1;
	raw->procs = calloc(1, sizeof(struct ct_proc));
	raw->procs[0] = (struct ct_proc){ .tgid = 10, .maxrss_kb = 1234, .exit_code = 7 << 8,
		.flags = CT_PF_EXITED, .nthreads = 2, .start_ns = raw->start_ns,
		.end_ns = raw->start_ns + 400, .comm = "main" };
	raw->nlocks = 1;
	raw->lock_keys = calloc(1, sizeof(struct ct_lock_key));
	raw->lock_vals = calloc(1, sizeof(struct ct_lock_val));
	raw->lock_keys[0] = (struct ct_lock_key){ .tgid = 10, .uaddr = 0xabc0 };
	raw->lock_vals[0] = (struct ct_lock_val){ .waits = 2, .total_ns = 50, .max_ns = 40 };
	raw->nedges = 2;
	raw->edge_keys = calloc(2, sizeof(struct ct_edge_key));
	raw->edge_vals = calloc(2, sizeof(struct ct_edge_val));
	raw->edge_keys[0] = (struct ct_edge_key){ .tgid = 10, .waiter = 10, .waker = 11, .uaddr = 0xabc0 };
	raw->edge_vals[0] = (struct ct_edge_val){ .count = 1, .total_ns = 40 };
	raw->edge_keys[1] = (struct ct_edge_key){ .tgid = 10, .waiter = 10, .waker = 0, .uaddr = 0xabc0 };
	raw->edge_vals[1] = (struct ct_edge_val){ .count = 1, .total_ns = 10 };
	raw->ncpus = 2;
	raw->cpus[0].on_cpu_ns = 150;
	raw->cpus[1].on_cpu_ns = 250;
	raw->par_ns[0] = 100;
	raw->par_ns[1] = 100;
	raw->par_ns[2] = 200;
}

static void test_build_case(void **state)
{
	struct ct_raw raw;
	char *argv[] = {"prog", "arg", NULL};
	struct case_meta m = { .argv = argv, .exit_code = 7 };

	(void)state;
	fake_raw(&raw);
	json_t *c = results_build_case(&raw, &m);
	assert_int_equal(jget_u64(c, "wall_ns"), 400);
	assert_int_equal(jpath_u64(c, "totals.on_cpu_ns"), 400);
	assert_int_equal(jpath_u64(c, "totals.nvcsw"), 4);
	assert_int_equal(jpath_u64(c, "totals.nivcsw"), 1);
	assert_int_equal(jpath_u64(c, "totals.off_ns.lock"), 50);
	assert_int_equal(jpath_u64(c, "totals.off_ns.sleep"), 20);
	assert_int_equal(jpath_u64(c, "totals.cpus_used"), 2);
	assert_int_equal(jpath_u64(c, "totals.peak_rss_kb_sum"), 1234);
	assert_float_equal(jpath_real(c, "totals.parallelism.effective"), 1.0, 1e-9);
	assert_int_equal(jpath_u64(c, "status.exit_code"), 7);
	/* busiest thread first */
	json_t *t0 = json_array_get(json_object_get(c, "threads"), 0);
	assert_int_equal(jget_u64(t0, "tid"), 11);
	json_t *t1 = json_array_get(json_object_get(c, "threads"), 1);
	assert_int_equal(json_array_size(json_object_get(t1, "cpus")), 2);
	assert_int_equal(jget_u64(t1, "exit_code"), 7);
	/* the lock: one waiter, one real waker (0 is a timeout, not a thread) */
	json_t *l = json_array_get(json_object_get(c, "locks"), 0);
	assert_string_equal(jget_str(l, "uaddr"), "0xabc0");
	assert_int_equal(json_array_size(json_object_get(l, "waiters")), 1);
	assert_int_equal(json_array_size(json_object_get(l, "wakers")), 1);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(l, "wakers"), 0)), 11);
	assert_int_equal(json_array_size(json_object_get(l, "edges")), 2);
	assert_true(json_is_null(json_object_get(l, "label")));
	json_decref(c);
	ct_raw_free(&raw);
}

/* A kernel without the mm at exit (6.12 and older): anon_kb null, maxrss from rusage, and the
 * case's kernel.not_measured says why; one without bpf_loop says Python frames are missing. */
static void test_kernel_not_measured(void **state)
{
	struct ct_raw raw;
	char *argv[] = {"prog", NULL};
	struct case_meta m = { .argv = argv };
	int major = 0, minor = 0;

	(void)state;
	fake_raw(&raw);
	snprintf(raw.kf.release, sizeof(raw.kf.release), "6.1.0-57-amd64");
	raw.kf.switch_prev_state = raw.kf.exit_group_dead = raw.kf.bpf_loop = true;
	json_t *c = results_build_case(&raw, &m);
	assert_string_equal(jget_str(json_object_get(c, "kernel"), "release"), "6.1.0-57-amd64");
	assert_int_equal(json_array_size(json_object_get(json_object_get(c, "kernel"), "not_measured")), 0);
	assert_false(json_is_null(json_object_get(json_object_get(c, "totals"), "anon_kb_sum")));
	json_decref(c);

	raw.procs[0].flags |= CT_PF_NO_MM;
	raw.py_frames_off = true;
	c = results_build_case(&raw, &m);
	json_t *p = json_array_get(json_object_get(c, "processes"), 0);
	assert_true(json_is_null(json_object_get(p, "anon_kb")));
	assert_string_equal(jget_str(p, "maxrss_from"), "rusage");
	assert_true(json_is_null(json_object_get(json_object_get(c, "totals"), "anon_kb_sum")));
	json_t *miss = json_object_get(json_object_get(c, "kernel"), "not_measured");
	assert_int_equal(json_array_size(miss), 2);
	assert_non_null(strstr(json_string_value(json_array_get(miss, 0)), "anon_kb"));
	assert_non_null(strstr(json_string_value(json_array_get(miss, 1)), "bpf_loop"));
	json_decref(c);
	ct_raw_free(&raw);

	assert_true(kfeatures_parse_release("6.12.118+deb12-amd64", &major, &minor));
	assert_int_equal(major, 6);
	assert_int_equal(minor, 12);
	assert_true(kfeatures_parse_release("5.15.0-91-generic", &major, &minor));
	assert_int_equal(minor, 15);
	assert_false(kfeatures_parse_release("linux", &major, &minor));
}

static void test_gil_label(void **state)
{
	struct ct_raw raw;
	struct case_meta m = {};

	(void)state;
	fake_raw(&raw);
	raw.npy = 1;
	raw.py = calloc(1, sizeof(struct pyinfo));
	raw.py[0] = (struct pyinfo){ .tgid = 10, .gil_lo = 0xab00, .gil_hi = 0xac00,
				     .handoff_lo = 0xac00, .handoff_hi = 0xad00, .version = "3.11" };
	json_t *c = results_build_case(&raw, &m);
	json_t *l = json_array_get(json_object_get(c, "locks"), 0);
	assert_string_equal(jget_str(l, "label"), "GIL");
	json_t *p = json_array_get(json_object_get(c, "processes"), 0);
	assert_string_equal(jget_str(json_object_get(p, "python"), "version"), "3.11");
	json_decref(c);
	ct_raw_free(&raw);
}

/* A forked child without exec is CPython when its parent was at the fork: forked after the
 * parent's exec of python, not before (a shell's subshells, then `exec python`). */
static void test_python_inherited_by_forks_after_exec(void **state)
{
	struct ct_raw raw;

	(void)state;
	memset(&raw, 0, sizeof(raw));
	raw.nprocs = 5;
	raw.procs = calloc(5, sizeof(struct ct_proc));
	raw.procs[0] = (struct ct_proc){ .tgid = 100, .start_ns = 10, .flags = CT_PF_EXECED };
	raw.procs[1] = (struct ct_proc){ .tgid = 101, .ppid = 100, .start_ns = 20 };  /* before */
	raw.procs[2] = (struct ct_proc){ .tgid = 102, .ppid = 101, .start_ns = 80 };  /* its child */
	raw.procs[3] = (struct ct_proc){ .tgid = 103, .ppid = 100, .start_ns = 60 };  /* after */
	raw.procs[4] = (struct ct_proc){ .tgid = 104, .ppid = 103, .start_ns = 70,
					 .flags = CT_PF_EXECED };                    /* exec'd */
	raw.npy = 1;
	raw.py = calloc(1, sizeof(struct pyinfo));
	raw.py[0] = (struct pyinfo){ .tgid = 100, .since_ns = 50, .version = "3.12" };
	assert_ptr_equal(py_of_proc(&raw, 100), &raw.py[0]);
	assert_null(py_of_proc(&raw, 101));
	assert_null(py_of_proc(&raw, 102));
	assert_ptr_equal(py_of_proc(&raw, 103), &raw.py[0]);
	assert_null(py_of_proc(&raw, 104));
	/* a process that ran before tracing (since 0): every fork of it */
	raw.py[0].since_ns = 0;
	assert_ptr_equal(py_of_proc(&raw, 102), &raw.py[0]);
	ct_raw_free(&raw);
}

/* run.json lists processes in the order they started, not in the map's order. */
static void test_processes_in_start_order(void **state)
{
	struct ct_raw raw;
	struct case_meta m = {};
	static const uint32_t pids[] = {30, 10, 20, 5};
	static const uint64_t starts[] = {300, 0, 200, 200};

	(void)state;
	fake_raw(&raw);
	free(raw.procs);
	raw.nprocs = 4;
	raw.procs = calloc(4, sizeof(struct ct_proc));
	for (int i = 0; i < 4; i++)
		raw.procs[i] = (struct ct_proc){ .tgid = pids[i], .ppid = pids[i] == 10 ? 0 : 10,
			.start_ns = raw.start_ns + starts[i], .end_ns = raw.end_ns, .nthreads = 1 };
	json_t *c = results_build_case(&raw, &m);
	json_t *ps = json_object_get(c, "processes");
	assert_int_equal(json_array_size(ps), 4);
	assert_int_equal(jget_u64(json_array_get(ps, 0), "pid"), 10);
	assert_int_equal(jget_u64(json_array_get(ps, 1), "pid"), 5);    /* same start: by pid */
	assert_int_equal(jget_u64(json_array_get(ps, 2), "pid"), 20);
	assert_int_equal(jget_u64(json_array_get(ps, 3), "pid"), 30);
	json_decref(c);
	ct_raw_free(&raw);
}

/* The shared UTF-8 helpers (flame graphs' XML, Perfetto's JSON, Python names). */
static void test_utf8(void **state)
{
	uint32_t cp = 0;
	char b[4];

	(void)state;
	assert_int_equal(utf8_decode((const unsigned char *)"\xce\xbb", 2, &cp), 2);
	assert_int_equal(cp, 0x3bb);
	assert_int_equal(utf8_decode((const unsigned char *)"\xf0\xa0\x80\x80", 4, &cp), 4);
	assert_int_equal(cp, 0x20000);
	assert_int_equal(utf8_decode((const unsigned char *)"\xce\xbb", 1, &cp), 0);  /* cut */
	assert_int_equal(utf8_decode((const unsigned char *)"\xce", 4, &cp), 0);      /* NUL */
	assert_int_equal(utf8_decode((const unsigned char *)"\xc0\x80", 2, &cp), 0); /* overlong */
	assert_int_equal(utf8_decode((const unsigned char *)"\xed\xa0\x80", 3, &cp), 0);
	assert_int_equal(utf8_decode((const unsigned char *)"\xf4\x90\x80\x80", 4, &cp), 0);
	assert_int_equal(utf8_encode(0x3bb, b), 2);
	assert_memory_equal(b, "\xce\xbb", 2);
	assert_int_equal(utf8_encode(0x20000, b), 4);
	assert_memory_equal(b, "\xf0\xa0\x80\x80", 4);
	assert_int_equal(utf8_encode('x', b), 1);
}

static void test_json_round_trip(void **state)
{
	struct ct_raw raw;
	struct case_meta m = { .workload = "cpu", .model = "threading" };
	char dir[] = "/tmp/ct-test-XXXXXX", err[256];
	struct ct_user u = { .uid = getuid(), .gid = getgid() };

	(void)state;
	assert_non_null(mkdtemp(dir));
	fake_raw(&raw);
	json_t *run = results_new_run("run", "unit");
	results_add_case(run, results_build_case(&raw, &m));
	struct outdir_opts oo = { .mode = OUTDIR_EXISTING, .user = &u };
	struct outdir *od;
	assert_int_equal(outdir__open(&od, dir, &oo, err, sizeof(err)), 0);
	assert_int_equal(results_write(run, od), 0);
	outdir__close(od);
	json_t *back = results_load(dir, err, sizeof(err));
	assert_non_null(back);
	assert_true(json_equal(run, back));
	json_decref(back);
	json_decref(run);
	ct_raw_free(&raw);
	/* not a run directory: a clear error naming the file */
	char *p = xasprintf("%s/run.json", dir);
	FILE *f = fopen(p, "w");
	fputs("{\"schema\": \"other\"}", f);
	fclose(f);
	assert_null(results_load(dir, err, sizeof(err)));
	assert_non_null(strstr(err, "not a conctrace run"));
	f = fopen(p, "w");
	fputs("{\"schema\": ", f);
	fclose(f);
	assert_null(results_load(dir, err, sizeof(err)));
	assert_non_null(strstr(err, "run.json:1:"));
	unlink(p);
	rmdir(dir);
	free(p);
}

/* The comparison's GIL held share: the busiest CPython process of each case, median over the
 * repeats; NAN when no case has one. */
static void test_compare_gil_held(void **state)
{
	const char *docs[] = {
		"{\"model\":\"threading\",\"wall_ns\":1000,\"status\":{\"exit_code\":0},"
		"\"processes\":[{\"python\":{\"gil_held_share\":0.5}},"
		"{\"python\":{\"gil_held_share\":0.9}},{\"python\":null}]}",
		"{\"model\":\"threading\",\"wall_ns\":1000,\"status\":{\"exit_code\":0},"
		"\"processes\":[{\"python\":{\"gil_held_share\":0.7}}]}",
		"{\"model\":\"threading\",\"wall_ns\":1000,\"status\":{\"exit_code\":0},"
		"\"processes\":[{\"python\":{\"gil_held_share\":0.8}}]}",
	};
	json_t *cases[3];
	struct model_row r;

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_non_null(cases[i] = json_loads(docs[i], 0, NULL));
	compare_cases_row(cases, 3, &r);
	assert_true(fabs(r.gil_held - 0.8) < 1e-9);   /* median of 0.9, 0.7, 0.8 */
	json_object_set_new(cases[0], "processes", json_array());
	compare_cases_row(cases, 1, &r);
	assert_true(isnan(r.gil_held));
	for (int i = 0; i < 3; i++)
		json_decref(cases[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_percentile_empty),
		cmocka_unit_test(test_percentile_single_bucket),
		cmocka_unit_test(test_percentile_two_buckets),
		cmocka_unit_test(test_par_effective),
		cmocka_unit_test(test_reason_names),
		cmocka_unit_test(test_syscall_classification),
		cmocka_unit_test(test_python_versions),
		cmocka_unit_test(test_build_case),
		cmocka_unit_test(test_kernel_not_measured),
		cmocka_unit_test(test_gil_label),
		cmocka_unit_test(test_python_inherited_by_forks_after_exec),
		cmocka_unit_test(test_processes_in_start_order),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_compare_gil_held),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
