/* CPython line tables (py_line_at, py_frame_name), 3.13/3.14's _Py_DebugOffsets parser (valid,
 * free-threaded and corrupt blocks) and the
 * version read from Py_Version in an ELF file. The tables below were checked by hand and
 * against co_lines() (3.10) / co_positions() (3.12) of code objects built with
 * code.replace(co_linetable=...). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pyframes.h"
#include "pyinfo.h"

/* 3.10: (byte count, signed line delta) pairs; -128 (0x80) is "no line" */
static const uint8_t t310[] = { 4, 1, 6, 2, 2, 0x80, 4, 0 };

static void test_310_ranges(void **state)
{
	/* co_lines(): (0,4,11) (4,10,13) (10,12,None) (12,16,13); index in 2-byte units */
	static const int want[] = { 11, 11, 13, 13, 13, -1, 13, 13, -1, -1 };

	for (int i = 0; i < (int)(sizeof(want) / sizeof(want[0])); i++)
		assert_int_equal(py_line_at(10, t310, sizeof(t310), 10, i), want[i]);
	assert_int_equal(py_line_at(10, t310, sizeof(t310), 10, -1), 10);   /* not started */
}

static void test_310_big_and_negative(void **state)
{
	/* an empty range carrying +127, then +3; then -3: co_lines() (0,2,131) (2,4,128) */
	static const uint8_t t[] = { 0, 127, 2, 3, 2, 0xfd };

	assert_int_equal(py_line_at(10, t, sizeof(t), 1, 0), 131);
	assert_int_equal(py_line_at(10, t, sizeof(t), 1, 1), 128);
	assert_int_equal(py_line_at(10, t, sizeof(t), 1, 2), -1);
	assert_int_equal(py_line_at(10, t, 3, 1, 0), -1);     /* an odd byte: pair incomplete */
}

/* 3.11+: entries 1cccclll (code, units - 1) and operands */
static const uint8_t t311[] = {
	0x81, 0x05,                         /* short form (code 0), 2 units: line +0 */
	0xd8, 0x03, 0x07,                   /* one-line form code 11, 1 unit: +1 */
	0xea, 0x07,                         /* code 13 (no column), 3 units: svarint 7 = -3 */
	0xf0, 0x50, 0x01, 0x00, 0x05, 0x09, /* code 14 (long), 1 unit: svarint 0x50 0x01 = +40 */
	0xf9,                               /* code 15 (no location), 2 units */
	0x80, 0x00,                         /* short form, 1 unit */
};

static void test_311_forms(void **state)
{
	/* co_positions() lines of this table with co_firstlineno 100 (3.12.1) */
	static const int want[] = { 100, 100, 101, 98, 98, 98, 138, -1, -1, 138, -1 };

	for (int minor = 11; minor <= 13; minor++)
		for (int i = 0; i < (int)(sizeof(want) / sizeof(want[0])); i++)
			assert_int_equal(py_line_at(minor, t311, sizeof(t311), 100, i), want[i]);
	assert_int_equal(py_line_at(12, t311, sizeof(t311), 100, -1), 100);
}

static void test_311_cut(void **state)
{
	/* cut inside the long form's line delta: no line rather than a wrong one */
	assert_int_equal(py_line_at(12, t311, 9, 100, 5), 98);
	assert_int_equal(py_line_at(12, t311, 9, 100, 6), -1);
	assert_int_equal(py_line_at(12, t311, 8, 100, 6), -1);
	/* the one-line form's delta is in its first byte: right even without its columns */
	assert_int_equal(py_line_at(12, t311, 3, 100, 2), 101);
	assert_int_equal(py_line_at(12, t311, 3, 100, 3), -1);
	/* not at an entry start, no table */
	static const uint8_t bad[] = { 0x05, 0x81 };

	assert_int_equal(py_line_at(12, bad, sizeof(bad), 100, 0), -1);
	assert_int_equal(py_line_at(12, NULL, 0, 100, 0), -1);
	assert_int_equal(py_line_at(10, NULL, 0, 100, 0), -1);
	assert_int_equal(py_line_at(12, t311, 0, 100, 0), -1);
}

static void test_frame_name(void **state)
{
	struct ct_py_code c;
	char buf[128];

	memset(&c, 0, sizeof(c));
	c.firstlineno = 100;
	strcpy(c.name, "Worker.run");
	strcpy(c.file, "/srv/app/worker.py");
	memcpy(c.linetable, t311, sizeof(t311));
	c.linetable_len = sizeof(t311);
	assert_string_equal(py_frame_name(12, &c, 6, buf, sizeof(buf)), "Worker.run (worker.py:138)");
	/* no line for that unit: the first line */
	assert_string_equal(py_frame_name(12, &c, 7, buf, sizeof(buf)), "Worker.run (worker.py:100)");
	c.flags = CT_PYC_NAME_BAD | CT_PYC_FILE_BAD;
	assert_string_equal(py_frame_name(12, &c, 2, buf, sizeof(buf)), "? (?:101)");
}

/* Non-ASCII names and files arrive as raw latin-1, UCS-2 or UCS-4 characters. */
static void test_frame_name_non_ascii(void **state)
{
	/* "größe" in latin-1; "計算" in UCS-2; U+20000 then 'x' in UCS-4 */
	static const char l1[] = {'g', 'r', (char)0xf6, (char)0xdf, 'e'};
	static const char u2[] = {(char)0x08, (char)0x8a, (char)0x97, (char)0x7b};
	static const char u4[] = {0x00, 0x00, 0x02, 0x00, 'x', 0, 0, 0};
	/* ".../données_λ.py" in UCS-2, ending "_λ.py" */
	static const char f2[] = {'/', 0, 'd', 0, 'o', 0, 'n', 0, 'n', 0, (char)0xe9, 0, 'e', 0,
				  's', 0, '_', 0, (char)0xbb, 0x03, '.', 0, 'p', 0, 'y', 0};
	/* a lone surrogate (surrogateescape) and an out-of-range value */
	static const char bad[] = {(char)0x80, (char)0xdc, 0, 0, 'a', 0, 0, 0, 0, 0, 0x11, 0};
	struct ct_py_code c;
	char buf[256], out[64];

	memset(&c, 0, sizeof(c));
	c.firstlineno = 7;
	memcpy(c.name, l1, sizeof(l1));
	c.name_kind = 1;
	c.name_units = 5;
	memcpy(c.file, f2, sizeof(f2));
	c.file_kind = 2;
	c.file_units = sizeof(f2) / 2;
	assert_string_equal(py_frame_name(12, &c, -1, buf, sizeof(buf)),
			    "gr\xc3\xb6\xc3\x9f" "e (donn\xc3\xa9" "es_\xce\xbb.py:7)");
	memset(c.name, 0, sizeof(c.name));
	memcpy(c.name, u2, sizeof(u2));
	c.name_kind = 2;
	c.name_units = 2;
	assert_int_equal(py_str_utf8(c.name, CT_PY_NAME, 2, 2, out, sizeof(out)), 6);
	assert_string_equal(out, "\xe8\xa8\x88\xe7\xae\x97");
	assert_int_equal(py_str_utf8(u4, sizeof(u4), 4, 2, out, sizeof(out)), 5);
	assert_string_equal(out, "\xf0\xa0\x80\x80x");
	assert_int_equal(py_str_utf8(bad, sizeof(bad), 4, 3, out, sizeof(out)), 7);
	assert_string_equal(out, "\xef\xbf\xbd" "a" "\xef\xbf\xbd");
	/* units beyond the buffer are not read; a short output buffer ends on a whole char */
	assert_int_equal(py_str_utf8(u4, sizeof(u4), 4, 200, out, sizeof(out)), 5);
	assert_int_equal(py_str_utf8(u2, sizeof(u2), 2, 2, out, 6), 3);
	assert_string_equal(out, "\xe8\xa8\x88");
	/* ASCII (kind 0) stops at the NUL or the buffer */
	assert_int_equal(py_str_utf8("run\0junk", 9, 0, 0, out, sizeof(out)), 3);
	assert_int_equal(py_str_utf8("abcdef", 6, 0, 0, out, sizeof(out)), 6);
	assert_string_equal(out, "abcdef");
	(void)state;
}

/* _Py_DebugOffsets images: little-endian uint64_t words, with the values of Debian's 3.13.5
 * and 3.14.10 builds (read from their .PyRuntime sections). */
#define DWORDS 73
#define DWORDS14 95
static void put(uint8_t *b, int word, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		b[word * 8 + i] = (uint8_t)(v >> (8 * i));
}

static const struct { short word; uint64_t val; } img313[] = {
	{1, 0x030d05f0}, {3, 0x452f0}, {5, 0x278}, {6, 0x2f9a0}, {9, 0x1cb0}, {14, 0x10},
	{15, 0x1e48}, {17, 0x1e58}, {18, 0x1e50}, {19, 0x130}, {21, 0x8}, {23, 0x48}, {25, 0xa0},
	{28, 0x50}, {29, 0x8}, {30, 0x0}, {31, 0x38}, {33, 0x46}, {34, 0xd0}, {35, 0x70},
	{36, 0x78}, {37, 0x80}, {38, 0x88}, {39, 0x44}, {43, 0xc8}, {44, 0x10}, {45, 0x8},
	{64, 0x28}, {65, 0x10}, {66, 0x20}, {67, 0x40}, {68, 0x20}, {69, 0x10}, {70, 0x28},
};
static const struct { short word; uint64_t val; } img314[] = {
	{1, 0x030e0af0}, {3, 0x4d4c8}, {5, 0x328}, {6, 0x37248}, {9, 0x1cb0}, {15, 0x10},
	{16, 0x1e68}, {18, 0x1e78}, {19, 0x1e70}, {22, 0x340}, {24, 0x8}, {26, 0x48}, {28, 0xa0},
	{31, 0x58}, {32, 0x8}, {33, 0x0}, {34, 0x38}, {36, 0x4a}, {39, 0xd8}, {40, 0x70},
	{41, 0x78}, {42, 0x80}, {43, 0x88}, {44, 0x44}, {48, 0xd0}, {50, 0x10}, {51, 0x8},
	{74, 0x28}, {75, 0x10}, {76, 0x20}, {77, 0x40}, {78, 0x20}, {79, 0x10}, {80, 0x28},
	{83, 0xa0}, {85, 0x48},
};

static void debug_image(uint8_t *b)
{
	memset(b, 0, DWORDS * 8);
	memcpy(b, "xdebugpy", 8);
	for (size_t i = 0; i < sizeof(img313) / sizeof(img313[0]); i++)
		put(b, img313[i].word, img313[i].val);
}

static void debug_image14(uint8_t *b)
{
	memset(b, 0, DWORDS14 * 8);
	memcpy(b, "xdebugpy", 8);
	for (size_t i = 0; i < sizeof(img314) / sizeof(img314[0]); i++)
		put(b, img314[i].word, img314[i].val);
}

static void test_debug_parse(void **state)
{
	uint8_t b[DWORDS * 8];
	struct pyinfo_debug d;
	struct ct_py_proc w;
	uint64_t gil = 0;

	debug_image(b);
	assert_int_equal(pyinfo_parse_debug(b, sizeof(b), &d), 0);
	assert_int_equal(d.version, 0x030d05f0);
	assert_int_equal(d.minor, 13);
	assert_int_equal(d.len, DWORDS * 8);
	assert_int_equal(d.runtime_interp_head, 0x278);
	assert_int_equal(d.interp_threads_head, 0x1cb0);
	assert_int_equal(d.interp_ceval_gil, 0x10);
	assert_int_equal(d.code_qualname, 0x80);
	assert_int_equal(d.code_adaptive, 0xc8);
	assert_int_equal(d.str_ascii, 0x28);
	assert_int_equal(pyinfo_walk_from_debug(&d, &w, &gil, NULL, 0), 0);
	assert_int_equal(gil, 0x1e48);
	assert_int_equal(w.minor, 13);
	assert_int_equal(w.gil_holder, 0x8);
	assert_int_equal(w.gil_locked, 0x10);
	assert_int_equal(w.tstate_id, 0xa0);
	assert_int_equal(w.id_is_pthread, 0);
	assert_int_equal(w.tstate_frame, 0x48);
	assert_int_equal(w.cframe_frame, CT_PY_NONE);
	assert_int_equal(w.frame_code, 0);
	assert_int_equal(w.frame_instr, 0x38);
	assert_int_equal(w.owner_skip, 3);                   /* FRAME_OWNED_BY_CSTACK */
	assert_int_equal(w.exec_tag_mask, 0);                /* a plain PyObject * */
	assert_int_equal(w.frame_tlbc, CT_PY_NONE);
	assert_int_equal(w.ob_type, 8);
	assert_int_equal(w.str_compact, 0x38);
	/* 3.12's table has the same frame, code and str offsets where they did not move */
	struct ct_py_proc t12;

	assert_int_equal(pyinfo_walk_offsets(3, 12, &t12), 0);
	assert_int_equal(t12.code_filename, w.code_filename);
	assert_int_equal(t12.ob_type, w.ob_type);
	assert_int_equal(t12.str_state, w.str_state);
	assert_int_equal(pyinfo_walk_offsets(3, 13, &t12), -ENOTSUP);   /* no table from 3.13 */
	(void)state;
}

static void test_debug_parse_314(void **state)
{
	uint8_t b[DWORDS14 * 8];
	struct pyinfo_debug d;
	struct ct_py_proc w;
	uint64_t gil = 0;

	debug_image14(b);
	assert_int_equal(pyinfo_parse_debug(b, sizeof(b), &d), 0);
	assert_int_equal(d.minor, 14);
	assert_int_equal(d.len, DWORDS14 * 8);
	assert_int_equal(d.runtime_interp_head, 0x328);
	assert_int_equal(d.interp_gil, 0x1e68);
	assert_int_equal(d.gen_iframe, 0x48);
	assert_int_equal(pyinfo_walk_from_debug(&d, &w, &gil, NULL, 0), 0);
	assert_int_equal(gil, 0x1e68);
	assert_int_equal(w.gil_locked, 0x10);
	assert_int_equal(w.gil_holder, 0x8);
	assert_int_equal(w.frame_owner, 0x4a);
	assert_int_equal(w.owner_skip, 3);        /* FRAME_OWNED_BY_INTERPRETER and CSTACK */
	assert_int_equal(w.exec_tag_mask, 3);     /* f_executable is a tagged _PyStackRef */
	assert_int_equal(w.code_adaptive, 0xd0);
	/* a 3.14 table is too short for a 3.13 reader's length, and the reverse is refused */
	assert_int_equal(pyinfo_parse_debug(b, DWORDS * 8, &d), -EINVAL);
	(void)state;
}

/* No free-threaded build is packaged here: this block is what one would carry (16 more
 * bytes of object header, a thread-local bytecode index in the frame). */
static void test_debug_free_threaded(void **state)
{
	uint8_t b[DWORDS14 * 8];
	struct pyinfo_debug d;
	struct pyinfo *pi = calloc(1, sizeof(*pi));
	uint64_t gil = 1;
	struct ct_py_proc w;

	debug_image14(b);
	put(b, 2, 1);                   /* free_threaded */
	put(b, 50, 0x20);               /* sizeof(PyObject): ob_tid .. ob_ref_shared, ob_type */
	put(b, 51, 0x18);
	put(b, 74, 0x38); put(b, 75, 0x20); put(b, 76, 0x30);   /* bytes */
	put(b, 77, 0x50); put(b, 78, 0x30); put(b, 79, 0x20); put(b, 80, 0x38);   /* str */
	put(b, 38, 0x4c);               /* interpreter_frame.tlbc_index */
	assert_int_equal(pyinfo_parse_debug(b, sizeof(b), &d), 0);
	assert_int_equal(d.free_threaded, 1);
	assert_int_equal(pyinfo_walk_from_debug(&d, &w, &gil, NULL, 0), 0);
	assert_int_equal(gil, 0);                 /* no GIL */
	assert_int_equal(w.ob_type, 0x18);
	assert_int_equal(w.bytes_size, 0x20);
	assert_int_equal(w.bytes_sval, 0x30);
	assert_int_equal(w.str_length, 0x20);
	assert_int_equal(w.str_state, 0x30);
	assert_int_equal(w.str_ascii, 0x38);
	assert_int_equal(w.str_compact, 0x48);
	assert_int_equal(w.frame_tlbc, 0x4c);
	/* what the report is given: no GIL figures, and why */
	pi->runtime = 0x1000000;
	pi->code_type = 0x2000;
	assert_int_equal(pyinfo_from_debug(&d, pi), 0);
	assert_int_equal(pi->free_threaded, 1);
	assert_int_equal(pi->frames, 1);
	assert_int_equal(pi->gil_pending, 0);
	assert_int_equal(pi->gil, 0);
	assert_int_equal(pi->walk.gil, 0);
	assert_non_null(strstr(pi->note, "free-threaded build"));
	assert_int_equal(pyinfo_resolve_gil(pi), 0);   /* nothing to place */
	assert_int_equal(pi->gil, 0);
	/* the GIL build of the same version: a GIL to place, no note */
	debug_image14(b);
	assert_int_equal(pyinfo_parse_debug(b, sizeof(b), &d), 0);
	memset(pi, 0, sizeof(*pi));
	pi->runtime = 0x1000000;
	pi->code_type = 0x2000;
	assert_int_equal(pyinfo_from_debug(&d, pi), 0);
	assert_int_equal(pi->gil_pending, 1);
	assert_int_equal(pi->interp_gil, 0x1e68);
	assert_int_equal(pi->walk.interp_head, 0x1000000 + 0x328 + 8);   /* interpreters.main */
	assert_string_equal(pi->note, "");
	free(pi);
	(void)state;
}

static void test_debug_refused(void **state)
{
	uint8_t b[DWORDS14 * 8];
	struct pyinfo_debug d;
	struct pyinfo *pi = calloc(1, sizeof(*pi));
	struct ct_py_proc w;
	uint64_t gil;
	char why[96];

	debug_image(b);
	assert_int_equal(pyinfo_parse_debug(b, DWORDS * 8 - 1, &d), -EINVAL);   /* short */
	assert_int_equal(pyinfo_parse_debug(b, 8, &d), -EINVAL);
	b[0] = 'X';
	assert_int_equal(pyinfo_parse_debug(b, sizeof(b), &d), -ENOENT);        /* no cookie */
	debug_image(b);
	put(b, 1, 0x030f00a0);          /* 3.15: a layout not known */
	assert_int_equal(pyinfo_parse_debug(b, sizeof(b), &d), -ENOTSUP);
	put(b, 1, 0x040000f0);
	assert_int_equal(pyinfo_parse_debug(b, sizeof(b), &d), -ENOTSUP);
	put(b, 1, 0x030c01f0);          /* 3.12 has no debug offsets: a cookie there is bogus */
	assert_int_equal(pyinfo_parse_debug(b, sizeof(b), &d), -ENOTSUP);

	/* corrupt fields: each makes the table unusable, with the reason */
	static const struct { short word; uint64_t val; int err; const char *why; } bad[] = {
		{23, 0x130, -EPROTO, "tstate current_frame"},   /* at sizeof(PyThreadState) */
		{19, 0x20, -EPROTO, "tstate current_frame"},   /* a PyThreadState of 32 bytes */
		{45, 0x0, -EPROTO, "object headers"},           /* ob_type over the refcount */
		{65, 0x18, -EPROTO, "object headers"},          /* bytes ob_size not after it */
		{3, 0x100, -EPROTO, "interpreters.head"},       /* a tiny _PyRuntimeState */
		{6, 1ull << 40, -EPROTO, "interp threads.head"},/* an absurd size */
		{17, 0x1e30, -EPROTO, "locked"},                /* locked before the GIL state */
		{18, 0x1e48 + 0x40, -EPROTO, "locked"},         /* holder past it */
		{9, 0x20000, -E2BIG, "16 bits"},                /* fits the struct, not the walker */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		debug_image(b);
		put(b, bad[i].word, bad[i].val);
		assert_int_equal(pyinfo_parse_debug(b, sizeof(b), &d), 0);
		assert_int_equal(pyinfo_walk_from_debug(&d, &w, &gil, why, sizeof(why)), bad[i].err);
		if (!strstr(why, bad[i].why))
			fail_msg("word %d: reason \"%s\" lacks \"%s\"", bad[i].word, why, bad[i].why);
		/* and what a report says: once, plainly, no frames, no GIL */
		memset(pi, 0, sizeof(*pi));
		pi->code_type = 0x2000;
		assert_int_equal(pyinfo_from_debug(&d, pi), -ENOTSUP);
		assert_int_equal(pi->frames, 0);
		assert_int_equal(pi->gil_pending, 0);
		assert_non_null(strstr(pi->note, "cannot be used"));
	}
	/* random words after a valid header: never accepted (a fixed seed, so reproducible) */
	srand(22);
	for (int n = 0; n < 2000; n++) {
		debug_image14(b);
		for (int k = 3; k < DWORDS14; k++)
			if (rand() % 3 == 0)
				put(b, k, ((uint64_t)rand() << 16) ^ (uint64_t)rand());
		if (pyinfo_parse_debug(b, sizeof(b), &d) != 0)
			continue;
		struct pyinfo_debug good;
		uint8_t g[DWORDS14 * 8];

		debug_image14(g);
		pyinfo_parse_debug(g, sizeof(g), &good);
		good.free_threaded = d.free_threaded;
		/* only a block whose used fields all stayed valid may pass */
		if (pyinfo_walk_from_debug(&d, &w, &gil, NULL, 0) == 0 &&
		    memcmp(&d, &good, sizeof(d)) != 0) {
			struct ct_py_proc wg;
			uint64_t gg;

			assert_int_equal(pyinfo_walk_from_debug(&good, &wg, &gg, NULL, 0), 0);
			if (memcmp(&w, &wg, sizeof(w)) != 0 || gg != gil)
				fail_msg("random block %d accepted with other offsets", n);
		}
	}
	free(pi);
	(void)state;
}

/* _asyncio's .AsyncioDebug of Debian's 3.14.10, and corrupt ones */
static void test_asyncio_offsets(void **state)
{
	static const uint64_t words[13] = { 0xa8, 0x88, 0x60, 0x6c, 0x6d, 0x80, 0x98,
					    0x37248, 0x2a80, 0x3a8, 0x360, 0x368, 0x370 };
	uint8_t b[13 * 8];
	struct ct_py_proc w = { .tstate_aio_task = CT_PY_NONE, .task_name = CT_PY_NONE };
	struct { int word; uint64_t val; } bad[] = {
		{11, 0x100},    /* the running task inside PyThreadState proper (size 0x340) */
		{11, 0x3a8},    /* past _PyThreadStateImpl */
		{1, 0xa8},      /* the name past the task object */
		{0, 1 << 20},   /* an absurd task size */
		{9, 0x20},      /* a thread state smaller than PyThreadState */
	};

	for (int i = 0; i < 13; i++)
		put(b, i, words[i]);
	assert_int_equal(pyinfo_parse_asyncio(b, sizeof(b), 0x340, &w), 0);
	assert_int_equal(w.tstate_aio_task, 0x368);
	assert_int_equal(w.task_name, 0x88);
	assert_int_equal(pyinfo_parse_asyncio(b, sizeof(b) - 1, 0x340, &w), -EPROTO);
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		for (int i = 0; i < 13; i++)
			put(b, i, words[i]);
		put(b, bad[k].word, bad[k].val);
		w.tstate_aio_task = w.task_name = CT_PY_NONE;
		assert_int_equal(pyinfo_parse_asyncio(b, sizeof(b), 0x340, &w), -EPROTO);
		assert_int_equal(w.tstate_aio_task, CT_PY_NONE);   /* left as it was */
	}
	(void)state;
}

static void test_task_frame_name(void **state)
{
	struct ct_py_code c;
	char buf[128];

	memset(&c, 0, sizeof(c));
	strcpy(c.name, "crunch-a");
	c.flags = CT_PYC_FILE_BAD;
	assert_string_equal(py_frame_name(14, &c, CT_PY_INDEX_TASK, buf, sizeof(buf)),
			    "task crunch-a");
	c.flags |= CT_PYC_TASK_NUM;
	c.firstlineno = 7;
	assert_string_equal(py_frame_name(14, &c, CT_PY_INDEX_TASK, buf, sizeof(buf)),
			    "task Task-7");
	c.flags = CT_PYC_NAME_BAD;
	assert_string_equal(py_frame_name(14, &c, CT_PY_INDEX_TASK, buf, sizeof(buf)), "task ?");
	(void)state;
}

static void test_version_hex(void **state)
{
	int ma = 0, mi = 0;

	assert_int_equal(pyinfo_version_from_hex(0x030b07f0, &ma, &mi), 0);
	assert_int_equal(ma, 3);
	assert_int_equal(mi, 11);
	assert_int_equal(pyinfo_version_from_hex(0x030d00f0, &ma, &mi), 0);
	assert_int_equal(mi, 13);
	assert_int_equal(pyinfo_version_from_hex(0, &ma, &mi), -EINVAL);
	assert_int_equal(pyinfo_version_from_hex(0x020712f0, &ma, &mi), -EINVAL);
	assert_int_equal(pyinfo_version_from_hex(0x1030b07f0ULL, &ma, &mi), -EINVAL);
	/* names: a bare "python" says nothing, Py_Version must */
	assert_int_not_equal(pyinfo_version_from_name("/venv/bin/python", &ma, &mi), 0);
}

/* A small ELF (ET_DYN, no program headers): .rodata at 0x1000 holding Py_Version and, at
 * 0x1010, _PyRuntime's image; both named in .dynsym. */
static void write_elf(const char *path, uint64_t version, const uint8_t *rt, size_t rtlen)
{
	static char shstr[] = "\0.rodata\0.dynstr\0.dynsym\0.shstrtab";
	static char dynstr[] = "\0Py_Version\0_PyRuntime";
	static uint8_t ro[0x10 + DWORDS * 8];
	static Elf64_Sym syms[3];
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	Elf *e;
	Elf64_Ehdr *eh;
	Elf_Scn *scn;
	Elf_Data *d;
	Elf64_Shdr *sh;

	assert_true(fd >= 0);
	assert_true(rtlen <= DWORDS * 8);
	memset(ro, 0, sizeof(ro));
	for (int i = 0; i < 8; i++)
		ro[i] = (uint8_t)(version >> (8 * i));
	memcpy(ro + 0x10, rt, rtlen);
	memset(syms, 0, sizeof(syms));
	syms[1].st_name = 1;
	syms[1].st_info = ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT);
	syms[1].st_shndx = 1;
	syms[1].st_value = 0x1000;
	syms[1].st_size = 8;
	syms[2].st_name = 12;
	syms[2].st_info = ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT);
	syms[2].st_shndx = 1;
	syms[2].st_value = 0x1010;
	syms[2].st_size = rtlen;

	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_WRITE, NULL);
	assert_non_null(e);
	eh = elf64_newehdr(e);
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_type = ET_DYN;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;

	scn = elf_newscn(e);                      /* 1: .rodata */
	d = elf_newdata(scn);
	d->d_buf = ro;
	d->d_size = 0x10 + rtlen;
	d->d_type = ELF_T_BYTE;
	d->d_align = 16;
	sh = elf64_getshdr(scn);
	sh->sh_name = 1;
	sh->sh_type = SHT_PROGBITS;
	sh->sh_flags = SHF_ALLOC;
	sh->sh_addr = 0x1000;

	scn = elf_newscn(e);                      /* 2: .dynstr */
	d = elf_newdata(scn);
	d->d_buf = dynstr;
	d->d_size = sizeof(dynstr);
	d->d_type = ELF_T_BYTE;
	d->d_align = 1;
	sh = elf64_getshdr(scn);
	sh->sh_name = 9;
	sh->sh_type = SHT_STRTAB;
	sh->sh_flags = SHF_ALLOC;

	scn = elf_newscn(e);                      /* 3: .dynsym */
	d = elf_newdata(scn);
	d->d_buf = syms;
	d->d_size = sizeof(syms);
	d->d_type = ELF_T_SYM;
	d->d_align = 8;
	sh = elf64_getshdr(scn);
	sh->sh_name = 17;
	sh->sh_type = SHT_DYNSYM;
	sh->sh_flags = SHF_ALLOC;
	sh->sh_link = 2;
	sh->sh_info = 1;
	sh->sh_entsize = sizeof(Elf64_Sym);

	scn = elf_newscn(e);                      /* 4: .shstrtab */
	d = elf_newdata(scn);
	d->d_buf = shstr;
	d->d_size = sizeof(shstr);
	d->d_type = ELF_T_BYTE;
	d->d_align = 1;
	sh = elf64_getshdr(scn);
	sh->sh_name = 25;
	sh->sh_type = SHT_STRTAB;
	eh->e_shstrndx = elf_ndxscn(scn);

	assert_true(elf_update(e, ELF_C_WRITE) > 0);
	elf_end(e);
	close(fd);
}

static void test_elf_version_and_debug(void **state)
{
	char path[] = "/tmp/conctrace-pyelf-XXXXXX";
	int fd = mkstemp(path);
	uint8_t b[DWORDS * 8];
	struct pyinfo_elf *el = malloc(sizeof(*el));
	struct pyinfo_debug d;
	int ma, mi;

	assert_true(fd >= 0);
	close(fd);
	debug_image(b);
	write_elf(path, 0x030d00f0, b, sizeof(b));
	assert_int_equal(pyinfo_elf_read(path, el), 0);
	assert_int_equal(el->etype, ET_DYN);
	assert_int_equal(el->runtime, 0x1010);
	assert_int_equal(el->py_version, 0x030d00f0);
	assert_int_equal(pyinfo_version_from_hex(el->py_version, &ma, &mi), 0);
	assert_int_equal(mi, 13);
	/* the image was found at st_value - sh_addr + sh_offset, cut to st_size */
	assert_int_equal(el->runtime_len, sizeof(b));
	assert_memory_equal(el->runtime_head, b, sizeof(b));
	assert_int_equal(pyinfo_parse_debug(el->runtime_head, el->runtime_len, &d), 0);
	assert_int_equal(d.tstate_native_thread_id, 0xa0);
	assert_int_equal(d.minor, 13);

	/* a 3.11 build: Py_Version, no debug offsets */
	memset(b, 0x11, sizeof(b));
	write_elf(path, 0x030b07f0, b, 64);
	assert_int_equal(pyinfo_elf_read(path, el), 0);
	assert_int_equal(el->py_version, 0x030b07f0);
	assert_int_equal(el->runtime_len, 64);
	assert_int_equal(pyinfo_parse_debug(el->runtime_head, el->runtime_len, &d), -ENOENT);

	assert_int_equal(pyinfo_elf_read("/nonexistent/libpython3.13.so", el), -ENOENT);
	unlink(path);
	free(el);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_310_ranges),
		cmocka_unit_test(test_310_big_and_negative),
		cmocka_unit_test(test_311_forms),
		cmocka_unit_test(test_311_cut),
		cmocka_unit_test(test_frame_name),
		cmocka_unit_test(test_frame_name_non_ascii),
		cmocka_unit_test(test_debug_parse),
		cmocka_unit_test(test_debug_parse_314),
		cmocka_unit_test(test_debug_free_threaded),
		cmocka_unit_test(test_debug_refused),
		cmocka_unit_test(test_asyncio_offsets),
		cmocka_unit_test(test_task_frame_name),
		cmocka_unit_test(test_version_hex),
		cmocka_unit_test(test_elf_version_and_debug),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
