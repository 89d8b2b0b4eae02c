/* CPython recognition: find _PyRuntime in the executable or a mapped libpython (.dynsym,
 * then .symtab, then the .PyRuntime section), add the load bias, and place the GIL and the
 * frame walker's offsets. The version comes from Py_Version (3.11+) or the file name. From
 * 3.13 the offsets are the build's own _Py_DebugOffsets (user/pydebug.c); 3.10-3.12 use
 * per-version tables measured with gdb `ptype/o` on builds with debug info.
 * tests/integration/test_pyoffsets.py checks every table entry against gdb; docs/python.md. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pyinfo.h"

/* offsetof(_PyRuntimeState, ceval.gil) for 3.10/3.11, and of _main_interpreter._gil
 * for 3.12 (the main interpreter is embedded in _PyRuntime). From 3.13 on the build's debug
 * offsets and its memory place it (user/pydebug.c): Debian's 3.13.5 has it 0x28 bytes from
 * where pyenv's 3.13.0 has it, so no table could hold. */
static const struct { int minor; uint64_t off; } gil_offsets[] = {
	{10, 0x160}, {11, 0x168}, {12, 0x12e78},
};
/* offsetof(_PyRuntimeState, _main_interpreter); gil_offsets = this + offsetof(_gil) */
static const struct { int minor; uint64_t off; } main_interp_offsets[] = {
	{12, 0x12a68},
};
/* Inside struct _gil_runtime_state: waits on cond + mutex, handoffs on switch_cond +
 * switch_mutex. */
#define GIL_WAIT_LO    PYINFO_GIL_COND
#define GIL_WAIT_HI    PYINFO_GIL_SWITCH_COND
#define GIL_HANDOFF_HI PYINFO_GIL_SIZE

/* Offsets of the structures the frame walker follows, measured with gdb `ptype/o` on the
 * pyenv builds (which carry debug info); tests/integration/test_python.py walks a live
 * process of each version with them. */
#define N CT_PY_NONE
static const struct ct_py_proc walk_offsets[] = {
	{ .minor = 10, .interp_tstate_head = 0x8, .tstate_next = 0x8, .tstate_id = 0xb0,
	  .id_is_pthread = 1, .tstate_frame = 0x18, .cframe_frame = N, .frame_code = 0x20,
	  .frame_back = 0x18, .frame_instr = 0x60, .frame_owner = N, .code_filename = 0x68,
	  .code_name = 0x70, .code_firstlineno = 0x28, .code_linetable = 0x78, .code_adaptive = N,
	  .str_ascii = 0x30, .str_compact = 0x48 },
	{ .minor = 11, .interp_tstate_head = 0x10, .tstate_next = 0x8, .tstate_id = 0xa0,
	  .tstate_frame = 0x38, .cframe_frame = 0x8, .frame_code = 0x20, .frame_back = 0x30,
	  .frame_instr = 0x38, .frame_owner = N, .code_filename = 0x70, .code_name = 0x80,
	  .code_firstlineno = 0x48, .code_linetable = 0x88, .code_adaptive = 0xb8,
	  .str_ascii = 0x30, .str_compact = 0x48 },
	{ .minor = 12, .interp_tstate_head = 0x48, .tstate_next = 0x8, .tstate_id = 0x90,
	  .tstate_frame = 0x38, .cframe_frame = 0x0, .frame_code = 0x0, .frame_back = 0x8,
	  .frame_instr = 0x38, .frame_owner = 0x46, .owner_skip = 3, .code_filename = 0x70,
	  .code_name = 0x80, .code_firstlineno = 0x44, .code_linetable = 0x88,
	  .code_adaptive = 0xc0, .str_ascii = 0x28, .str_compact = 0x38 },
};
#undef N
/* offsetof(_PyRuntimeState, interpreters.head) */
static const uint16_t interp_head_offsets[] = { [10] = 0x20, [11] = 0x28, [12] = 0x28 };

int pyinfo_walk_offsets(int major, int minor, struct ct_py_proc *out)
{
	if (major != 3)
		return -ENOTSUP;
	for (size_t i = 0; i < sizeof(walk_offsets) / sizeof(walk_offsets[0]); i++) {
		if (walk_offsets[i].minor == minor) {
			*out = walk_offsets[i];
			/* struct _gil_runtime_state, 3.10-3.13: interval, last_holder, locked,
			 * switch_number */
			out->gil_holder = PYINFO_GIL_HOLDER;
			out->gil_locked = PYINFO_GIL_LOCKED;
			out->gil_switch_number = PYINFO_GIL_SWITCH_NUMBER;
			/* PyObject, bytes and str headers of the GIL builds */
			out->ob_type = 0x8;
			out->bytes_size = 0x10;
			out->bytes_sval = 0x20;
			out->str_length = 0x10;
			out->str_state = 0x20;
			out->frame_tlbc = CT_PY_NONE;
			out->tstate_aio_task = CT_PY_NONE;
			out->task_name = CT_PY_NONE;
			return 0;
		}
	}
	return -ENOTSUP;
}

/* The walker starts at _PyRuntime.interpreters.main (the main interpreter, whatever
 * subinterpreters were made after it), which follows interpreters.head in 3.10-3.13
 * (tests/integration/test_pyoffsets.py asks gdb). */
#define INTERP_MAIN_AFTER_HEAD 8

uint64_t pyinfo_gil_offset(int major, int minor)
{
	if (major != 3)
		return 0;
	for (size_t i = 0; i < sizeof(gil_offsets) / sizeof(gil_offsets[0]); i++)
		if (gil_offsets[i].minor == minor)
			return gil_offsets[i].off;
	return 0;
}

uint64_t pyinfo_interp_head_offset(int major, int minor)
{
	if (major != 3 || minor < 0 ||
	    minor >= (int)(sizeof(interp_head_offsets) / sizeof(interp_head_offsets[0])))
		return 0;
	return interp_head_offsets[minor];
}

uint64_t pyinfo_main_interp_offset(int major, int minor)
{
	if (major != 3)
		return 0;
	for (size_t i = 0; i < sizeof(main_interp_offsets) / sizeof(main_interp_offsets[0]); i++)
		if (main_interp_offsets[i].minor == minor)
			return main_interp_offsets[i].off;
	return 0;
}

int pyinfo_version_from_hex(uint64_t hex, int *major, int *minor)
{
	/* PY_VERSION_HEX: major << 24 | minor << 16 | micro << 8 | level << 4 | serial */
	if (hex >> 32 || (hex >> 24) != 3)
		return -EINVAL;
	*major = 3;
	*minor = (hex >> 16) & 0xff;
	return 0;
}

int pyinfo_version_from_name(const char *path, int *major, int *minor)
{
	const char *base = strrchr(path, '/');
	const char *p;

	base = base ? base + 1 : path;
	p = strstr(base, "python");
	if (!p)
		return -ENOENT;
	p += 6;
	if (sscanf(p, "%d.%d", major, minor) == 2)
		return 0;
	return -ENOENT;
}

/* Copy up to len bytes of the file's initial image at virtual address vaddr (from the
 * allocated, non-NOBITS section that holds it). Returns the bytes read, 0 if none. */
static size_t read_vaddr(Elf *e, int fd, uint64_t vaddr, uint8_t *buf, size_t len)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(e, scn)) != NULL) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS || !(sh.sh_flags & SHF_ALLOC))
			continue;
		if (vaddr < sh.sh_addr || vaddr >= sh.sh_addr + sh.sh_size)
			continue;
		uint64_t avail = sh.sh_addr + sh.sh_size - vaddr;
		ssize_t n = pread(fd, buf, len < avail ? len : avail,
				  (off_t)(vaddr - sh.sh_addr + sh.sh_offset));

		return n > 0 ? (size_t)n : 0;
	}
	return 0;
}

int pyinfo_elf_read(const char *path, struct pyinfo_elf *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;
	Elf *e;
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;
	size_t nph;
	uint64_t version_addr = 0, runtime_size = 0, sec_addr = 0, sec_size = 0;
	size_t shstrndx;

	memset(out, 0, sizeof(*out));
	if (fd < 0)
		return -errno;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);   /* READ would copy the whole file */
	if (!e || !gelf_getehdr(e, &eh)) {
		err = -EINVAL;
		goto out;
	}
	out->etype = eh.e_type;
	out->min_vaddr = UINT64_MAX;
	if (elf_getphdrnum(e, &nph) == 0) {
		for (size_t i = 0; i < nph; i++) {
			GElf_Phdr ph;

			if (gelf_getphdr(e, i, &ph) && ph.p_type == PT_LOAD &&
			    (ph.p_vaddr & ~0xfffULL) < out->min_vaddr)
				out->min_vaddr = ph.p_vaddr & ~0xfffULL;
		}
	}
	if (elf_getshdrstrndx(e, &shstrndx) != 0)
		shstrndx = 0;
	while ((scn = elf_nextscn(e, scn)) != NULL) {
		GElf_Shdr sh;
		Elf_Data *d;
		const char *sname;

		if (!gelf_getshdr(scn, &sh))
			continue;
		/* 3.13+ puts _PyRuntime, headed by its debug offsets, in a section of its own */
		sname = shstrndx ? elf_strptr(e, shstrndx, sh.sh_name) : NULL;
		if (sname && strcmp(sname, ".PyRuntime") == 0 && sh.sh_type != SHT_NOBITS) {
			sec_addr = sh.sh_addr;
			sec_size = sh.sh_size;
		}
		d = elf_getdata(scn, NULL);
		if (!d || !sh.sh_entsize)
			continue;
		if (sh.sh_type == SHT_DYNAMIC) {
			for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
				GElf_Dyn dyn;
				const char *name;

				if (!gelf_getdyn(d, i, &dyn) || dyn.d_tag == DT_NULL)
					break;
				if (dyn.d_tag != DT_NEEDED)
					continue;
				name = elf_strptr(e, sh.sh_link, dyn.d_un.d_val);
				if (name && strncmp(name, "libpython", 9) == 0)
					out->needs_libpython = 1;
			}
			continue;
		}
		/* .dynsym has them all; .symtab is read only when .dynsym lacks _PyRuntime */
		if ((sh.sh_type != SHT_DYNSYM && sh.sh_type != SHT_SYMTAB) || out->runtime)
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *name;

			if (!gelf_getsym(d, i, &sym) || !sym.st_value ||
			    sym.st_shndx == SHN_UNDEF)
				continue;
			name = elf_strptr(e, sh.sh_link, sym.st_name);
			if (!name || (name[0] != '_' && name[0] != 'P'))
				continue;
			if (strcmp(name, "_PyRuntime") == 0) {
				out->runtime = sym.st_value;
				runtime_size = sym.st_size;
			} else if (strcmp(name, "PyCode_Type") == 0 && !out->code_type) {
				out->code_type = sym.st_value;
			} else if (strcmp(name, "PyUnicode_Type") == 0 && !out->str_type) {
				out->str_type = sym.st_value;
			} else if (strcmp(name, "PyLong_Type") == 0 && !out->long_type) {
				out->long_type = sym.st_value;
			} else if (strcmp(name, "Py_Version") == 0 && !version_addr) {
				version_addr = sym.st_value;
			}
		}
	}
	if (version_addr) {
		uint8_t v[4];

		/* const unsigned long Py_Version: its low 32 bits, little-endian */
		if (read_vaddr(e, fd, version_addr, v, sizeof(v)) == sizeof(v))
			out->py_version = (uint64_t)v[0] | (uint64_t)v[1] << 8 |
					  (uint64_t)v[2] << 16 | (uint64_t)v[3] << 24;
	}
	if (!out->runtime && sec_addr) {
		/* no symbol (a stripped build): the section starts with _PyRuntime */
		out->runtime = sec_addr;
		runtime_size = sec_size;
	}
	if (out->runtime) {
		size_t want = sizeof(out->runtime_head);

		if (runtime_size && runtime_size < want)
			want = runtime_size;
		out->runtime_len = read_vaddr(e, fd, out->runtime, out->runtime_head, want);
	} else {
		err = -ESRCH;
	}
out:
	if (e)
		elf_end(e);
	close(fd);
	return err;
}

int pyinfo_from_debug(const struct pyinfo_debug *dbg, struct pyinfo *out)
{
	uint64_t gil_in_interp = 0;
	char why[96];
	int err;

	err = pyinfo_walk_from_debug(dbg, &out->walk, &gil_in_interp, why, sizeof(why));
	if (err) {
		snprintf(out->note, sizeof(out->note), "its _Py_DebugOffsets cannot be used (%s): "
			 "native frames only, GIL not named", why);
		memset(&out->walk, 0, sizeof(out->walk));
		return -ENOTSUP;
	}
	out->from_debug = 1;
	out->free_threaded = dbg->free_threaded != 0;
	out->walk.interp_head = out->runtime + dbg->runtime_interp_head + INTERP_MAIN_AFTER_HEAD;
	out->runtime_size = dbg->runtime_size;
	out->interp_ceval_gil = dbg->interp_ceval_gil;
	out->interp_gil = gil_in_interp;
	out->debug_len = dbg->len;
	out->tstate_size = dbg->tstate_size;
	out->aio.gen_iframe = dbg->gen_iframe;
	out->aio.gen_frame_state = dbg->gen_frame_state;
	if (out->free_threaded)
		snprintf(out->note, sizeof(out->note), "free-threaded build: no GIL, so no GIL "
			 "figures");
	else
		out->gil_pending = 1;
	if (out->code_type) {
		out->walk.code_type = out->code_type;
		out->walk.str_type = out->str_type;
		out->walk.long_type = out->long_type;
		out->frames = 1;
	} else {
		snprintf(out->note, sizeof(out->note), "no PyCode_Type symbol in its binary: native "
			 "frames only");
	}
	return 0;
}

/* 3.13+: the debug offsets of the file, checked against the process's memory. The GIL is
 * placed from the live interpreter (pyinfo_resolve_gil): now if Python runs already, else
 * when the tracer retries. */
static int offsets_from_debug(const struct pyinfo_elf *el, const struct pyinfo_debug *dbg,
			      struct pyinfo *out)
{
	uint8_t live[PYINFO_DEBUG_MAX];
	int err;

	err = pyinfo_read_mem(out->tgid, out->runtime, live, dbg->len);
	if (err == -ESRCH)
		return err;
	if (err || memcmp(live, el->runtime_head, dbg->len) != 0) {
		snprintf(out->note, sizeof(out->note), "the _Py_DebugOffsets in its memory at 0x%llx "
			 "%s: native frames only, GIL not named", (unsigned long long)out->runtime,
			 err ? "cannot be read" : "differ from its file's");
		return -ENOTSUP;
	}
	err = pyinfo_from_debug(dbg, out);
	if (err)
		return err;
	err = pyinfo_resolve_gil(out);
	return err == -EAGAIN || err == -EPROTO ? 0 : err;
}

/* Version and offsets of a CPython whose _PyRuntime was found in `el`, into out (runtime,
 * code_type and object already set). */
static int fill_offsets(const struct pyinfo_elf *el, struct pyinfo *out)
{
	struct pyinfo_debug dbg;
	uint64_t off;
	int err, major, minor;

	err = pyinfo_parse_debug(el->runtime_head, el->runtime_len, &dbg);
	if (err != -ENOENT && pyinfo_version_from_hex(dbg.version, &major, &minor) == 0) {
		out->major = major;
		out->minor = minor;
		snprintf(out->version, sizeof(out->version), "%d.%d", major, minor);
	}
	if (err == 0)
		return offsets_from_debug(el, &dbg, out);
	if (out->major != 3 || out->minor >= 13) {
		snprintf(out->note, sizeof(out->note), err == -ENOTSUP ?
			 "the layout of this version's _Py_DebugOffsets is not known (3.13 and 3.14 "
			 "are): native frames only, GIL not named" :
			 "no _Py_DebugOffsets at the start of its _PyRuntime: native frames only, "
			 "GIL not named");
		return -ENOTSUP;
	}
	off = pyinfo_gil_offset(out->major, out->minor);
	if (!off || pyinfo_walk_offsets(out->major, out->minor, &out->walk) != 0 ||
	    !pyinfo_interp_head_offset(out->major, out->minor)) {
		snprintf(out->note, sizeof(out->note), "no frame layout known for this version: "
			 "native frames only");
		return -ENOTSUP;
	}
	out->gil = out->runtime + off;
	out->walk.interp_head = out->runtime + pyinfo_interp_head_offset(out->major, out->minor) +
				INTERP_MAIN_AFTER_HEAD;
	out->gil_lo = out->gil + GIL_WAIT_LO;
	out->gil_hi = out->gil + GIL_WAIT_HI;
	out->handoff_lo = out->gil + GIL_WAIT_HI;
	out->handoff_hi = out->gil + GIL_HANDOFF_HI;
	if (out->code_type) {
		out->walk.code_type = out->code_type;
		out->walk.gil = out->gil;
		out->frames = 1;
	} else {
		memset(&out->walk, 0, sizeof(out->walk));
	}
	return 0;
}

int pyinfo_detect(pid_t tgid, struct pyinfo *out)
{
	char path[64], line[512], exe[256] = "";
	FILE *f;
	int saw_python = 0, err = -ENOENT;
	ssize_t n;
	struct pyinfo_elf *el = malloc(sizeof(*el));

	memset(out, 0, sizeof(*out));
	out->tgid = tgid;
	if (!el)
		return -ENOMEM;
	snprintf(path, sizeof(path), "/proc/%d/exe", tgid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n > 0)
		exe[n] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/maps", tgid);
	f = fopen(path, "re");
	if (!f) {
		err = -errno;
		free(el);
		return err;
	}
	/* candidates: the executable and libpython, each at its offset-0 mapping */
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, off;
		char file[256] = "", rooted[320];
		int major, minor;

		if (sscanf(line, "%llx-%*x %*4s %llx %*s %*u %255s", &start, &off, file) < 3)
			continue;
		if (off != 0 || file[0] != '/')
			continue;
		if (strcmp(file, exe) != 0 && !strstr(file, "libpython"))
			continue;
		if (pyinfo_version_from_name(file, &major, &minor) == 0)
			saw_python = 1;
		snprintf(rooted, sizeof(rooted), "/proc/%d/root%s", tgid, file);
		int rc = pyinfo_elf_read(rooted, el);

		if (rc != 0 && rc != -ESRCH)
			rc = pyinfo_elf_read(file, el);
		if (rc != 0) {
			if (strcmp(file, exe) == 0 && el->needs_libpython)
				saw_python = 1;   /* a python executable linked with libpython */
			continue;
		}
		uint64_t bias = el->etype == ET_EXEC ? 0 :
				start - (el->min_vaddr == UINT64_MAX ? 0 : el->min_vaddr);

		out->runtime = el->runtime + bias;
		out->code_type = el->code_type ? el->code_type + bias : 0;
		out->str_type = el->str_type ? el->str_type + bias : 0;
		out->long_type = el->long_type ? el->long_type + bias : 0;
		snprintf(out->object, sizeof(out->object), "%s", file);
		/* Py_Version (3.11+), else the names: "python" alone (a venv copy) says nothing */
		if (pyinfo_version_from_hex(el->py_version, &major, &minor) != 0 &&
		    pyinfo_version_from_name(file, &major, &minor) != 0 &&
		    pyinfo_version_from_name(exe, &major, &minor) != 0) {
			major = minor = 0;
		}
		out->major = major;
		out->minor = minor;
		snprintf(out->version, sizeof(out->version), "%d.%d", major, minor);
		err = 0;
		break;
	}
	fclose(f);
	if (err) {
		/* a python executable whose libpython is not mapped yet (just after exec) */
		int major, minor;

		free(el);
		if (saw_python || pyinfo_version_from_name(exe, &major, &minor) == 0)
			return -EAGAIN;
		return err;
	}
	err = fill_offsets(el, out);
	free(el);
	return err;
}
