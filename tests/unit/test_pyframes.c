/* CPython line tables (py_line_at, py_frame_name), 3.13's _Py_DebugOffsets parser and the
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

/* A 3.13 _Py_DebugOffsets image: 73 little-endian uint64_t words */
#define DWORDS 73
static void put(uint8_t *b, int word, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		b[word * 8 + i] = (uint8_t)(v >> (8 * i));
}

static void debug_image(uint8_t *b)
{
	memset(b, 0, DWORDS * 8);
	memcpy(b, "xdebugpy", 8);
	put(b, 1, 0x030d00f0);          /* version 3.13.0 */
	put(b, 2, 0);                   /* free_threaded */
	put(b, 5, 0x278);               /* runtime_state.interpreters_head */
	put(b, 9, 0x1cb0);              /* interpreter_state.threads_head */
	put(b, 15, 0x1e48);             /* gil_runtime_state */
	put(b, 17, 0x1e58);             /* gil_runtime_state_locked */
	put(b, 18, 0x1e50);             /* gil_runtime_state_holder */
	put(b, 21, 0x8);                /* thread_state.next */
	put(b, 23, 0x48);               /* current_frame */
	put(b, 25, 0xa0);               /* native_thread_id */
	put(b, 29, 0x8);                /* interpreter_frame.previous */
	put(b, 30, 0x0);                /* executable */
	put(b, 31, 0x38);               /* instr_ptr */
	put(b, 33, 0x46);               /* owner */
	put(b, 35, 0x70);               /* code_object.filename */
	put(b, 36, 0x78);               /* name (not used) */
	put(b, 37, 0x80);               /* qualname */
	put(b, 38, 0x88);               /* linetable */
	put(b, 39, 0x44);               /* firstlineno */
	put(b, 43, 0xc8);               /* co_code_adaptive */
	put(b, 45, 0x8);                /* pyobject.ob_type */
	put(b, 65, 0x10);               /* bytes_object.ob_size */
	put(b, 66, 0x20);               /* ob_sval */
	put(b, 68, 0x20);               /* unicode_object.state */
	put(b, 69, 0x10);               /* length */
	put(b, 70, 0x28);               /* asciiobject_size */
}

static void test_debug_parse(void **state)
{
	uint8_t b[DWORDS * 8];
	struct pyinfo_debug d;
	struct ct_py_proc w, table;
	uint64_t gil = 0;

	debug_image(b);
	assert_int_equal(pyinfo_parse_debug(b, sizeof(b), &d), 0);
	assert_int_equal(d.version, 0x030d00f0);
	assert_int_equal(d.runtime_interp_head, 0x278);
	assert_int_equal(d.interp_threads_head, 0x1cb0);
	assert_int_equal(d.code_qualname, 0x80);
	assert_int_equal(d.code_adaptive, 0xc8);
	assert_int_equal(d.str_ascii, 0x28);
	assert_int_equal(pyinfo_walk_from_debug(&d, &w, &gil), 0);
	assert_int_equal(gil, 0x1e48);
	assert_int_equal(w.gil_holder, 0x8);
	assert_int_equal(w.gil_locked, 0x10);
	assert_int_equal(w.tstate_id, 0xa0);
	assert_int_equal(w.id_is_pthread, 0);
	assert_int_equal(w.tstate_frame, 0x48);
	assert_int_equal(w.cframe_frame, CT_PY_NONE);
	assert_int_equal(w.frame_code, 0);
	assert_int_equal(w.frame_instr, 0x38);
	assert_int_equal(w.owner_cstack, 3);                 /* from the table */
	/* 3.13.0's real values: the same as the table's */
	assert_int_equal(pyinfo_walk_offsets(3, 13, &table), 0);
	assert_memory_equal(&w, &table, sizeof(w));
	assert_int_equal(pyinfo_main_interp_offset(3, 13) + gil, pyinfo_gil_offset(3, 13));
	assert_int_equal(pyinfo_interp_head_offset(3, 13), d.runtime_interp_head);
}

static void test_debug_refused(void **state)
{
	uint8_t b[DWORDS * 8];
	struct pyinfo_debug d;
	struct ct_py_proc w;
	uint64_t gil;

	debug_image(b);
	assert_int_equal(pyinfo_parse_debug(b, DWORDS * 8 - 1, &d), -EINVAL);   /* short */
	assert_int_equal(pyinfo_parse_debug(b, 8, &d), -EINVAL);
	b[0] = 'X';
	assert_int_equal(pyinfo_parse_debug(b, sizeof(b), &d), -ENOENT);        /* no cookie */
	debug_image(b);
	put(b, 1, 0x030e00f0);          /* 3.14: another layout */
	assert_int_equal(pyinfo_parse_debug(b, sizeof(b), &d), -ENOTSUP);
	put(b, 1, 0x040000f0);
	assert_int_equal(pyinfo_parse_debug(b, sizeof(b), &d), -ENOTSUP);
	debug_image(b);
	put(b, 2, 1);                   /* free-threaded */
	assert_int_equal(pyinfo_parse_debug(b, sizeof(b), &d), 0);
	assert_int_equal(pyinfo_walk_from_debug(&d, &w, &gil), -ENOTSUP);
	debug_image(b);
	put(b, 45, 0x18);               /* ob_type elsewhere: the BPF walker hard-codes 8 */
	assert_int_equal(pyinfo_parse_debug(b, sizeof(b), &d), 0);
	assert_int_equal(pyinfo_walk_from_debug(&d, &w, &gil), -ENOTSUP);
	debug_image(b);
	put(b, 43, 0x10000);            /* does not fit the walker's 16-bit offsets */
	assert_int_equal(pyinfo_parse_debug(b, sizeof(b), &d), 0);
	assert_int_equal(pyinfo_walk_from_debug(&d, &w, &gil), -ENOTSUP);
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
		cmocka_unit_test(test_debug_refused),
		cmocka_unit_test(test_version_hex),
		cmocka_unit_test(test_elf_version_and_debug),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
