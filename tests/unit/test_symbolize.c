/* Unit tests of the symboliser: fixture binaries are built with cc at test time into a temp dir. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>
#include "symbolize.h"

#define PIE_BASE 0x555555554000ull
#define LIB_BASE 0x7f3a12340000ull

/* A program with an exported and a file-local function; with an argument it
 * prints their addresses and waits to be killed. */
static const char fixture_src[] =
	"#include <stdio.h>\n"
	"#include <unistd.h>\n"
	"int fixture_work(int x);\n"
	"static volatile int sink;\n"
	"static __attribute__((noinline, used)) int fixture_hidden(int x)\n"
	"{\n"
	"	for (int i = 0; i < x; i++)\n"
	"		sink += i * x;\n"
	"	return sink;\n"
	"}\n"
	"__attribute__((noinline)) int fixture_work(int x)\n"
	"{\n"
	"	for (int i = 0; i < x; i++)\n"
	"		sink ^= fixture_hidden(i);\n"
	"	return sink + 1;\n"
	"}\n"
	"int main(int argc, char **argv)\n"
	"{\n"
	"	if (argc > 1) {\n"
	"		printf(\"%lx %lx\\n\", (unsigned long)fixture_work, (unsigned long)fixture_hidden);\n"
	"		fflush(stdout);\n"
	"		for (;;)\n"
	"			pause();\n"
	"	}\n"
	"	return fixture_work(argc);\n"
	"}\n";

static const char lib_src[] =
	"static volatile int sink;\n"
	"static __attribute__((noinline, used)) int fix_hidden(int x)\n"
	"{\n"
	"	for (int i = 0; i < x; i++)\n"
	"		sink += i * x;\n"
	"	return sink;\n"
	"}\n"
	"__attribute__((noinline)) int fix_exported(int x)\n"
	"{\n"
	"	for (int i = 0; i < x; i++)\n"
	"		sink ^= fix_hidden(i);\n"
	"	return sink * 2;\n"
	"}\n";

static char tmpdir[] = "/tmp/ct-sym-XXXXXX";

struct seg {
	unsigned long long vaddr, offset, memsz;
	int e_type;
};

static char *tpath(const char *name)
{
	static char bufs[8][512];
	static int next;
	char *b = bufs[next++ % 8];

	snprintf(b, sizeof(bufs[0]), "%s/%s", tmpdir, name);
	return b;
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc != 0)
		fail_msg("command failed (%d): %s", rc, cmd);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* The value nm gives a symbol (-D: from .dynsym), 0 if absent. */
static unsigned long long nm_addr(const char *path, const char *sym, int dynamic)
{
	char cmd[1024], line[1024], name[512], type;
	unsigned long long v, found = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "nm %s %s 2>/dev/null", dynamic ? "-D" : "", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p))
		if (sscanf(line, "%llx %c %511s", &v, &type, name) == 3 && !strcmp(name, sym))
			found = v;
	pclose(p);
	return found;
}

/* The executable PT_LOAD of a file, as the kernel would map it. */
static void exec_seg(const char *path, struct seg *sg)
{
	int fd = open(path, O_RDONLY);
	GElf_Ehdr eh;
	GElf_Phdr ph;
	size_t i, n;
	Elf *e;

	assert_true(fd >= 0);
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(e);
	assert_non_null(gelf_getehdr(e, &eh));
	sg->e_type = eh.e_type;
	assert_int_equal(elf_getphdrnum(e, &n), 0);
	sg->memsz = 0;
	for (i = 0; i < n; i++) {
		gelf_getphdr(e, i, &ph);
		if (ph.p_type == PT_LOAD && (ph.p_flags & PF_X)) {
			sg->vaddr = ph.p_vaddr;
			sg->offset = ph.p_offset;
			sg->memsz = ph.p_memsz;
		}
	}
	elf_end(e);
	close(fd);
	assert_true(sg->memsz > 0);
}

/* A /proc/PID/maps line for the executable segment of path loaded at base. */
static void maps_line(char *buf, size_t len, const char *path, unsigned long long base)
{
	unsigned long long start, end, off;
	struct stat st;
	struct seg sg;

	exec_seg(path, &sg);
	assert_int_equal(stat(path, &st), 0);
	start = (base + sg.vaddr) & ~0xfffull;
	end = (base + sg.vaddr + sg.memsz + 0xfff) & ~0xfffull;
	off = sg.offset & ~0xfffull;
	snprintf(buf, len, "%llx-%llx r-xp %08llx 08:01 %lu %s\n", start, end, off,
		 (unsigned long)st.st_ino, path);
}

static unsigned long long file_offset(const char *path, unsigned long long vaddr)
{
	struct seg sg;

	exec_seg(path, &sg);
	return vaddr - sg.vaddr + sg.offset;
}

static void expect_sym(struct symbolizer *s, int pid, unsigned long long addr,
		       const char *name, unsigned long long off, const char *module)
{
	struct sym_result r;

	assert_int_equal(symbolizer__user(s, pid, addr, &r), 0);
	assert_non_null(r.name);
	assert_string_equal(r.name, name);
	assert_int_equal(r.offset, off);
	if (module)
		assert_string_equal(r.module, module);
}

static int setup(void **state)
{
	if (!mkdtemp(tmpdir))
		return -1;
	write_text(tpath("fixture.c"), fixture_src);
	write_text(tpath("lib.c"), lib_src);
	sh("cd %s && cc -O1 -g -fno-pie -no-pie -Wl,--build-id=sha1 -o nopie fixture.c", tmpdir);
	sh("cd %s && cc -O1 -g -fPIE -pie -Wl,--build-id=sha1 -o pie fixture.c", tmpdir);
	sh("cd %s && cc -O1 -g -fPIC -shared -Wl,--build-id=sha1 -o libfix-full.so lib.c"
	   " && strip --strip-all -o libfix.so libfix-full.so", tmpdir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_non_pie(void **state)
{
	struct symbolizer *s = symbolizer__new();
	unsigned long long addr = nm_addr(tpath("nopie"), "fixture_work", 0);
	char maps[1024];
	struct seg sg;

	exec_seg(tpath("nopie"), &sg);
	assert_int_equal(sg.e_type, ET_EXEC);
	assert_true(addr > 0);
	/* ET_EXEC: no bias, the mapping sits at the link-time address */
	maps_line(maps, sizeof(maps), tpath("nopie"), 0);
	assert_int_equal(symbolizer__snapshot_from(s, 100, maps, NULL, NULL), 0);
	expect_sym(s, 100, addr, "fixture_work", 0, "nopie");
	expect_sym(s, 100, addr + 5, "fixture_work", 5, "nopie");
	expect_sym(s, 100, nm_addr(tpath("nopie"), "fixture_hidden", 0) + 1, "fixture_hidden", 1, NULL);
	symbolizer__free(s);
}

static void test_pie(void **state)
{
	struct symbolizer *s = symbolizer__new();
	unsigned long long v = nm_addr(tpath("pie"), "fixture_work", 0);
	char maps[1024], buf[256];
	struct sym_result r;
	struct seg sg;

	exec_seg(tpath("pie"), &sg);
	assert_int_equal(sg.e_type, ET_DYN);
	maps_line(maps, sizeof(maps), tpath("pie"), PIE_BASE);
	assert_int_equal(symbolizer__snapshot_from(s, 200, maps, NULL, NULL), 0);
	expect_sym(s, 200, PIE_BASE + v, "fixture_work", 0, "pie");
	expect_sym(s, 200, PIE_BASE + v + 5, "fixture_work", 5, "pie");
	assert_string_equal(sym_format(&(struct sym_result){ "fixture_work", "pie", 5 }, buf, sizeof(buf)),
			    "fixture_work");
	/* the unbiased address is outside any mapping */
	assert_int_equal(symbolizer__user(s, 200, v, &r), -ENOENT);
	assert_null(r.name);
	assert_string_equal(sym_format(&r, buf, sizeof(buf)), "[unknown]");
	/* unknown pid */
	assert_int_equal(symbolizer__user(s, 201, PIE_BASE + v, &r), -ESRCH);
	symbolizer__free(s);
}

static void test_dynsym_only(void **state)
{
	struct symbolizer *s = symbolizer__new();
	const char *lib = tpath("libfix.so");
	unsigned long long exp = nm_addr(lib, "fix_exported", 1);
	unsigned long long hid = nm_addr(tpath("libfix-full.so"), "fix_hidden", 0);
	char maps[1024], buf[256], want[256];
	struct sym_result r;

	assert_true(exp > 0 && hid > 0);
	assert_int_equal(nm_addr(lib, "fix_hidden", 0), 0);   /* really stripped */
	maps_line(maps, sizeof(maps), lib, LIB_BASE);
	assert_int_equal(symbolizer__snapshot_from(s, 300, maps, NULL, NULL), 0);
	expect_sym(s, 300, LIB_BASE + exp + 5, "fix_exported", 5, "libfix.so");
	/* a static function is not in .dynsym: no name, never a neighbour's */
	assert_int_equal(symbolizer__user(s, 300, LIB_BASE + hid + 2, &r), -ENOENT);
	assert_null(r.name);
	assert_string_equal(r.module, "libfix.so");
	snprintf(want, sizeof(want), "libfix.so+0x%llx", file_offset(lib, hid + 2));
	assert_string_equal(sym_format(&r, buf, sizeof(buf)), want);
	symbolizer__free(s);
}

static void build_id_hex(const char *path, char *hex, size_t len)
{
	char cmd[1024];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "readelf -n %s | awk '/Build ID/ {print $3}'", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(hex, len, p));
	pclose(p);
	hex[strcspn(hex, "\n")] = '\0';
	assert_true(strlen(hex) == 40);
}

static void test_debug_build_id(void **state)
{
	struct symbolizer *s = symbolizer__new(), *plain = symbolizer__new();
	unsigned long long hid = nm_addr(tpath("pie"), "fixture_hidden", 0);
	unsigned char bid[20];
	char maps[1024], hex[64], buf[256];
	struct sym_result r;
	int i;

	build_id_hex(tpath("pie"), hex, sizeof(hex));
	sh("cd %s && mkdir -p dbgroot/.build-id/%.2s stripped && strip --strip-all -o stripped/pie pie"
	   " && objcopy --only-keep-debug pie dbgroot/.build-id/%.2s/%s.debug",
	   tmpdir, hex, hex, hex + 2);
	assert_int_equal(nm_addr(tpath("stripped/pie"), "fixture_hidden", 0), 0);
	maps_line(maps, sizeof(maps), tpath("stripped/pie"), PIE_BASE);

	/* without the debug root: only .dynsym, the static function stays unknown */
	assert_int_equal(symbolizer__set_debug_dirs(plain, tpath("nonexistent")), 0);
	assert_int_equal(symbolizer__snapshot_from(plain, 400, maps, NULL, NULL), 0);
	assert_int_equal(symbolizer__user(plain, 400, PIE_BASE + hid, &r), -ENOENT);

	assert_int_equal(symbolizer__set_debug_dirs(s, tpath("dbgroot")), 0);
	assert_int_equal(symbolizer__snapshot_from(s, 400, maps, NULL, NULL), 0);
	expect_sym(s, 400, PIE_BASE + hid + 3, "fixture_hidden", 3, "pie");

	/* a build-id stack entry of the same object */
	for (i = 0; i < 20; i++)
		sscanf(hex + 2 * i, "%2hhx", &bid[i]);
	assert_int_equal(symbolizer__build_id(s, bid, 20, file_offset(tpath("pie"), hid + 3), &r), 0);
	assert_string_equal(r.name, "fixture_hidden");
	assert_int_equal(r.offset, 3);
	/* an unknown build-id: no name, the build-id stands for the module */
	bid[0] ^= 0xff;
	assert_int_equal(symbolizer__build_id(s, bid, 20, 0x1234, &r), -ENOENT);
	assert_null(r.name);
	assert_non_null(r.module);
	assert_true(strstr(sym_format(&r, buf, sizeof(buf)), "+0x1234") != NULL);
	symbolizer__free(s);
	symbolizer__free(plain);
}

static void test_debuglink_crc(void **state)
{
	struct symbolizer *s = symbolizer__new();
	char maps[2048], line[1024];
	unsigned long long hid;

	/* no build-id: the debuglink CRC is what ties the debug file to the binary */
	sh("cd %s && mkdir -p dl/.debug dl2/.debug"
	   " && cc -O1 -g -fPIE -pie -Wl,--build-id=none -o dl/prog fixture.c"
	   " && objcopy --only-keep-debug dl/prog dl/.debug/prog.debug"
	   " && strip --strip-all dl/prog && objcopy --add-gnu-debuglink=dl/.debug/prog.debug dl/prog"
	   " && cp dl/prog dl2/prog && cp dl/.debug/prog.debug dl2/.debug/prog.debug"
	   " && printf x >> dl2/.debug/prog.debug", tmpdir);
	hid = nm_addr(tpath("dl/.debug/prog.debug"), "fixture_hidden", 0);
	assert_true(hid > 0);
	assert_int_equal(symbolizer__set_debug_dirs(s, tpath("nonexistent")), 0);
	maps_line(maps, sizeof(maps), tpath("dl/prog"), PIE_BASE);
	maps_line(line, sizeof(line), tpath("dl2/prog"), 2 * PIE_BASE);
	strcat(maps, line);
	assert_int_equal(symbolizer__snapshot_from(s, 500, maps, NULL, NULL), 0);
	expect_sym(s, 500, PIE_BASE + hid, "fixture_hidden", 0, "prog");
	/* the same binary next to a debug file whose CRC no longer matches */
	struct sym_result r;
	assert_int_equal(symbolizer__user(s, 500, 2 * PIE_BASE + hid, &r), -ENOENT);
	assert_null(r.name);
	symbolizer__free(s);
}

static void test_perf_map(void **state)
{
	struct symbolizer *s = symbolizer__new();
	const char *maps = "7f0000000000-7f0000100000 rwxp 00000000 00:00 0 \n"
			   "7f0000200000-7f0000300000 rwxp 00000000 00:00 0 [anon:jit]\n";
	struct sym_result r;
	char buf[128];

	write_text(tpath("perf-600.map"),
		   "7f0000001000 40 py::work:app.py\n"
		   "7f0000001100 20 jitted with spaces\n"
		   "7f0000001100 30 recompiled\n"
		   "garbage line\n"
		   "0x7f0000200010 10 py::other:lib.py\n");
	assert_int_equal(symbolizer__snapshot_from(s, 600, maps, NULL, tpath("perf-600.map")), 0);
	expect_sym(s, 600, 0x7f0000001005, "py::work:app.py", 5, "[perf-map]");
	expect_sym(s, 600, 0x7f000000112f, "recompiled", 0x2f, "[perf-map]");
	expect_sym(s, 600, 0x7f0000200011, "py::other:lib.py", 1, "[perf-map]");
	assert_int_equal(symbolizer__user(s, 600, 0x7f0000001040, &r), -ENOENT);
	assert_string_equal(sym_format(&r, buf, sizeof(buf)), "[unknown]");
	/* a re-snapshot keeps the map when the file has gone */
	unlink(tpath("perf-600.map"));
	assert_int_equal(symbolizer__snapshot_from(s, 600, maps, NULL, tpath("perf-600.map")), 0);
	expect_sym(s, 600, 0x7f0000001005, "py::work:app.py", 5, "[perf-map]");
	symbolizer__free(s);
}

static void test_kallsyms(void **state)
{
	struct symbolizer *s = symbolizer__new();
	unsigned long long addr = 0, a;
	char line[512], name[256], type;
	struct sym_result r;
	FILE *f = fopen("/proc/kallsyms", "r");

	if (!f) {
		symbolizer__free(s);
		skip();
	}
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %255s", &a, &type, name) == 3 && !strcmp(name, "schedule") &&
		    (type == 'T' || type == 't'))
			addr = a;
	fclose(f);
	if (!addr) {
		/* kptr_restrict: the symboliser must say so, not guess */
		assert_int_equal(symbolizer__kernel(s, 0xffffffff81000000ull, &r), -EACCES);
		symbolizer__free(s);
		skip();
	}
	assert_int_equal(symbolizer__kernel(s, addr, &r), 0);
	assert_string_equal(r.name, "schedule");
	assert_string_equal(r.module, "[kernel]");
	assert_int_equal(r.offset, 0);
	assert_int_equal(symbolizer__kernel(s, addr + 5, &r), 0);
	assert_string_equal(r.name, "schedule");
	assert_int_equal(r.offset, 5);
	symbolizer__free(s);
}

static void test_kallsyms_file(void **state)
{
	struct symbolizer *s = symbolizer__new();
	struct sym_result r;
	char buf[128];

	write_text(tpath("kallsyms"),
		   "ffffffff81000000 T _stext\n"
		   "ffffffff81000100 T alpha\n"
		   "ffffffff81000100 t __alpha_alias\n"
		   "ffffffff81000200 D some_data\n"
		   "ffffffff81000300 t beta\n"
		   "ffffffffc0001000 t mod_fn\t[mymod]\n"
		   "ffffffffc0002000 T mod_other\t[mymod]\n");
	assert_int_equal(symbolizer__set_kallsyms(s, tpath("kallsyms")), 0);
	assert_int_equal(symbolizer__kernel(s, 0xffffffff81000110ull, &r), 0);
	assert_string_equal(r.name, "alpha");
	assert_int_equal(r.offset, 0x10);
	assert_int_equal(symbolizer__kernel(s, 0xffffffff81000250ull, &r), 0);
	assert_string_equal(r.name, "alpha");    /* data symbols do not bound text */
	assert_int_equal(symbolizer__kernel(s, 0xffffffffc0001010ull, &r), 0);
	assert_string_equal(r.name, "mod_fn [mymod]");
	assert_int_equal(symbolizer__kernel(s, 0xffffffff80000000ull, &r), -ENOENT);
	assert_string_equal(sym_format(&r, buf, sizeof(buf)), "[kernel]+0xffffffff80000000");

	write_text(tpath("kallsyms0"),
		   "0000000000000000 T _stext\n"
		   "0000000000000000 T schedule\n"
		   "0000000000000000 t mod_fn\t[mymod]\n");
	assert_int_equal(symbolizer__set_kallsyms(s, tpath("kallsyms0")), 0);
	assert_int_equal(symbolizer__kernel(s, 0xffffffff81000110ull, &r), -EACCES);
	assert_null(r.name);
	assert_int_equal(symbolizer__set_kallsyms(s, tpath("absent")), 0);
	assert_int_equal(symbolizer__kernel(s, 0xffffffff81000110ull, &r), -ENOENT);
	symbolizer__free(s);
}

static void test_cache(void **state)
{
	struct symbolizer *s = symbolizer__new();
	unsigned long long v = nm_addr(tpath("pie"), "fixture_work", 0);
	struct symbolizer_stats st;
	char maps[1024], copy[1024];
	int pid;

	sh("cd %s && mkdir -p other && cp pie other/pie-copy", tmpdir);
	maps_line(maps, sizeof(maps), tpath("pie"), PIE_BASE);
	maps_line(copy, sizeof(copy), tpath("other/pie-copy"), PIE_BASE);
	for (pid = 700; pid < 710; pid++)
		assert_int_equal(symbolizer__snapshot_from(s, pid, maps, NULL, NULL), 0);
	/* another file with the same build-id: no parsing either */
	assert_int_equal(symbolizer__snapshot_from(s, 710, copy, NULL, NULL), 0);
	symbolizer__stats(s, &st);
	assert_int_equal(st.objects_parsed, 1);
	assert_int_equal(st.cache_hits, 10);
	assert_int_equal(st.processes, 11);
	for (pid = 700; pid <= 710; pid++)
		expect_sym(s, pid, PIE_BASE + v + 5, "fixture_work", 5, NULL);
	expect_sym(s, 710, PIE_BASE + v, "fixture_work", 0, "pie-copy");
	symbolizer__free(s);
}

static void test_merge(void **state)
{
	struct symbolizer *s = symbolizer__new();
	unsigned long long v = nm_addr(tpath("pie"), "fixture_work", 0);
	char maps[1024], maps2[2048];
	struct sym_result r;
	char buf[128];

	maps_line(maps, sizeof(maps), tpath("pie"), PIE_BASE);
	assert_int_equal(symbolizer__snapshot_from(s, 800, maps, NULL, NULL), 0);
	/* after an exec: the same range now holds the library, and a vdso appears */
	maps_line(maps2, sizeof(maps2), tpath("libfix.so"), PIE_BASE);
	strcat(maps2, "7ffff7fc1000-7ffff7fc3000 r-xp 00000000 00:00 0                          [vdso]\n");
	assert_int_equal(symbolizer__snapshot_from(s, 800, maps2, NULL, NULL), 0);
	symbolizer__user(s, 800, PIE_BASE + v, &r);
	assert_true(!r.name || strcmp(r.name, "fixture_work"));
	assert_string_equal(r.module, "libfix.so");
	assert_int_equal(symbolizer__user(s, 800, 0x7ffff7fc1010ull, &r), -ENOENT);
	assert_string_equal(sym_format(&r, buf, sizeof(buf)), "[vdso]+0x10");
	/* mappings that nothing replaced stay */
	maps_line(maps, sizeof(maps), tpath("pie"), 2 * PIE_BASE);
	assert_int_equal(symbolizer__snapshot_from(s, 800, maps, NULL, NULL), 0);
	assert_int_equal(symbolizer__user(s, 800, 0x7ffff7fc1010ull, &r), -ENOENT);
	assert_string_equal(r.module, "[vdso]");
	expect_sym(s, 800, 2 * PIE_BASE + v, "fixture_work", 0, "pie");
	symbolizer__free(s);
}

static __attribute__((noinline)) int self_marker(int x)
{
	volatile int y = x;

	for (int i = 0; i < x; i++)
		y += i;
	return y;
}

static void test_live_self(void **state)
{
	struct symbolizer *s = symbolizer__new();
	unsigned long long jit;
	char path[64], text[128];
	struct sym_result r;
	void *mem;

	assert_true(self_marker(3) >= 3);
	/* an anonymous executable region described by a perf map, as a JIT writes it */
	mem = mmap(NULL, 8192, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(mem != MAP_FAILED);
	jit = (unsigned long long)(unsigned long)mem;
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", getpid());
	snprintf(text, sizeof(text), "%llx 100 jit_entry\n", jit + 0x100);
	write_text(path, text);

	assert_int_equal(symbolizer__snapshot(s, getpid()), 0);
	unlink(path);
	munmap(mem, 8192);
	expect_sym(s, getpid(), (unsigned long long)(unsigned long)self_marker, "self_marker", 0, NULL);
	expect_sym(s, getpid(), (unsigned long long)(unsigned long)self_marker + 5, "self_marker", 5, NULL);
	expect_sym(s, getpid(), jit + 0x105, "jit_entry", 5, "[perf-map]");
	/* libc's exported function, through .dynsym or its debug file */
	assert_int_equal(symbolizer__user(s, getpid(), (unsigned long long)(unsigned long)getpid, &r), 0);
	assert_true(strstr(r.name, "getpid") != NULL);
	assert_int_equal(r.offset, 0);
	symbolizer__free(s);
}

/* /tmp/perf-PID.map is the traced program's: a symbolic link there (to any file whose lines
 * look like a map), or a file of another user, is not read. */
static void test_perf_map_not_followed(void **state)
{
	unsigned long long jit;
	char path[64], target[64], text[128];
	struct sym_result r;
	void *mem;

	(void)state;
	mem = mmap(NULL, 8192, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(mem != MAP_FAILED);
	jit = (unsigned long long)(unsigned long)mem;
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", getpid());
	snprintf(target, sizeof(target), "/tmp/ct-not-a-perf-map-%d", getpid());
	snprintf(text, sizeof(text), "%llx 100 secret_line\n", jit + 0x100);
	write_text(target, text);
	unlink(path);
	assert_int_equal(symlink(target, path), 0);
	for (int owner_test = 0; owner_test < 2; owner_test++) {
		struct symbolizer *s = symbolizer__new();

		if (owner_test) {
			/* a regular file, but another user's */
			unlink(path);
			write_text(path, text);
			if (geteuid() != 0 || chown(path, 65534, 65534) != 0) {
				symbolizer__free(s);
				break;
			}
		}
		assert_int_equal(symbolizer__snapshot(s, getpid()), 0);
		assert_int_not_equal(symbolizer__user(s, getpid(), jit + 0x105, &r), 0);
		assert_true(r.name == NULL || strcmp(r.name, "secret_line") != 0);
		symbolizer__free(s);
	}
	unlink(path);
	unlink(target);
	munmap(mem, 8192);
}

/* Start a fixture that reports its function addresses and waits. */
static pid_t start_fixture(const char *path, unsigned long long *work, unsigned long long *hidden)
{
	char line[128];
	int fds[2];
	FILE *f;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		dup2(fds[1], 1);
		close(fds[0]);
		execl(path, "fixture", "wait", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	assert_int_equal(sscanf(line, "%llx %llx", work, hidden), 2);
	return pid;
}

static void stop_fixture(pid_t pid)
{
	int status;

	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

/* A process that exits before symbolisation: the snapshot is all that is left. */
static void test_live_child_exits(void **state)
{
	struct symbolizer *s = symbolizer__new();
	unsigned long long work, hidden;
	struct symbolizer_stats st;
	struct sym_result r;
	pid_t pid;

	pid = start_fixture(tpath("pie"), &work, &hidden);
	assert_int_equal(symbolizer__snapshot(s, pid), 0);
	stop_fixture(pid);

	assert_int_equal(symbolizer__snapshot(s, pid), -ESRCH);
	expect_sym(s, pid, work + 5, "fixture_work", 5, "pie");
	expect_sym(s, pid, hidden, "fixture_hidden", 0, "pie");
	assert_int_equal(symbolizer__user(s, pid, 0x10, &r), -ENOENT);
	symbolizer__stats(s, &st);
	assert_int_equal(st.processes, 1);
	assert_true(st.objects_parsed >= 2);   /* the binary, the loader, libc */
	symbolizer__free(s);
}

/* A binary deleted while it runs is read through /proc/PID/map_files. */
static void test_live_deleted(void **state)
{
	struct symbolizer *s = symbolizer__new();
	unsigned long long work, hidden;
	pid_t pid;

	if (geteuid() != 0) {           /* map_files needs CAP_SYS_ADMIN */
		symbolizer__free(s);
		skip();
	}
	sh("cp %s %s", tpath("pie"), tpath("pie-deleted"));
	pid = start_fixture(tpath("pie-deleted"), &work, &hidden);
	assert_int_equal(unlink(tpath("pie-deleted")), 0);
	assert_int_equal(symbolizer__snapshot(s, pid), 0);
	stop_fixture(pid);
	expect_sym(s, pid, work + 5, "fixture_work", 5, "pie-deleted");
	expect_sym(s, pid, hidden + 1, "fixture_hidden", 1, "pie-deleted");
	symbolizer__free(s);
}

static void test_format(void **state)
{
	struct sym_result r = { NULL, NULL, 0 };
	char buf[64], small[6];

	assert_string_equal(sym_format(&r, buf, sizeof(buf)), "[unknown]");
	r.module = "libc.so.6";
	r.offset = 0x2a;
	assert_string_equal(sym_format(&r, buf, sizeof(buf)), "libc.so.6+0x2a");
	r.name = "malloc";
	assert_string_equal(sym_format(&r, buf, sizeof(buf)), "malloc");
	assert_string_equal(sym_format(&r, small, sizeof(small)), "mallo");
	assert_string_equal(sym_format(NULL, buf, sizeof(buf)), "[unknown]");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_non_pie),
		cmocka_unit_test(test_pie),
		cmocka_unit_test(test_dynsym_only),
		cmocka_unit_test(test_debug_build_id),
		cmocka_unit_test(test_debuglink_crc),
		cmocka_unit_test(test_perf_map),
		cmocka_unit_test(test_kallsyms),
		cmocka_unit_test(test_kallsyms_file),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_live_self),
		cmocka_unit_test(test_perf_map_not_followed),
		cmocka_unit_test(test_live_child_exits),
		cmocka_unit_test(test_live_deleted),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
