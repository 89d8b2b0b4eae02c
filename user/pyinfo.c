/* CPython recognition: find _PyRuntime in the executable or a mapped libpython (.dynsym,
 * then .symtab), add the load bias, and place the GIL with a per-version offset measured
 * with gdb `ptype/o` on builds with debug info (see ../shared notes and docs/python.md). */
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
 * for 3.12/3.13 (the main interpreter is embedded in _PyRuntime). */
static const struct { int minor; uint64_t off; } gil_offsets[] = {
	{10, 0x160}, {11, 0x168}, {12, 0x12e78}, {13, 0x17768},
};
/* Inside struct _gil_runtime_state (3.10-3.13): cond 0x20, mutex 0x50, switch_cond 0x78,
 * switch_mutex 0xa8, size 0xd0. */
#define GIL_WAIT_LO    0x20
#define GIL_WAIT_HI    0x78
#define GIL_HANDOFF_HI 0xd0

/* Offsets of the structures the frame walker follows, measured with gdb `ptype/o` on the
 * pyenv builds (which carry debug info); tests/integration/test_python.py walks a live
 * process of each version with them. */
#define N CT_PY_NONE
static const struct ct_py_proc walk_offsets[] = {
	{ .minor = 10, .interp_tstate_head = 0x8, .tstate_next = 0x8, .tstate_id = 0xb0,
	  .id_is_pthread = 1, .tstate_frame = 0x18, .cframe_frame = N, .frame_code = 0x20,
	  .frame_back = 0x18, .frame_instr = 0x60, .frame_owner = N, .code_filename = 0x68,
	  .code_name = 0x70, .code_firstlineno = 0x28, .code_linetable = 0x78, .code_adaptive = N,
	  .str_ascii = 0x30 },
	{ .minor = 11, .interp_tstate_head = 0x10, .tstate_next = 0x8, .tstate_id = 0xa0,
	  .tstate_frame = 0x38, .cframe_frame = 0x8, .frame_code = 0x20, .frame_back = 0x30,
	  .frame_instr = 0x38, .frame_owner = N, .code_filename = 0x70, .code_name = 0x80,
	  .code_firstlineno = 0x48, .code_linetable = 0x88, .code_adaptive = 0xb8,
	  .str_ascii = 0x30 },
	{ .minor = 12, .interp_tstate_head = 0x48, .tstate_next = 0x8, .tstate_id = 0x90,
	  .tstate_frame = 0x38, .cframe_frame = 0x0, .frame_code = 0x0, .frame_back = 0x8,
	  .frame_instr = 0x38, .frame_owner = 0x46, .owner_cstack = 3, .code_filename = 0x70,
	  .code_name = 0x80, .code_firstlineno = 0x44, .code_linetable = 0x88,
	  .code_adaptive = 0xc0, .str_ascii = 0x28 },
	{ .minor = 13, .interp_tstate_head = 0x1cb0, .tstate_next = 0x8, .tstate_id = 0xa0,
	  .tstate_frame = 0x48, .cframe_frame = N, .frame_code = 0x0, .frame_back = 0x8,
	  .frame_instr = 0x38, .frame_owner = 0x46, .owner_cstack = 3, .code_filename = 0x70,
	  .code_name = 0x80, .code_firstlineno = 0x44, .code_linetable = 0x88,
	  .code_adaptive = 0xc8, .str_ascii = 0x28 },
};
#undef N
/* offsetof(_PyRuntimeState, interpreters.head) */
static const uint16_t interp_head_offsets[] = { [10] = 0x20, [11] = 0x28, [12] = 0x28, [13] = 0x278 };

int pyinfo_walk_offsets(int major, int minor, struct ct_py_proc *out)
{
	if (major != 3)
		return -ENOTSUP;
	for (size_t i = 0; i < sizeof(walk_offsets) / sizeof(walk_offsets[0]); i++) {
		if (walk_offsets[i].minor == minor) {
			*out = walk_offsets[i];
			/* struct _gil_runtime_state, 3.10-3.13: interval, last_holder, locked,
			 * switch_number */
			out->gil_holder = 0x8;
			out->gil_locked = 0x10;
			out->gil_switch_number = 0x18;
			return 0;
		}
	}
	return -ENOTSUP;
}

uint64_t pyinfo_gil_offset(int major, int minor)
{
	if (major != 3)
		return 0;
	for (size_t i = 0; i < sizeof(gil_offsets) / sizeof(gil_offsets[0]); i++)
		if (gil_offsets[i].minor == minor)
			return gil_offsets[i].off;
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

/* st_value of _PyRuntime and the ELF type, from the file. */
static int find_runtime_sym(const char *path, uint64_t *value, int *etype, uint64_t *min_vaddr,
			    uint64_t *code_type)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = -ENOENT;
	Elf *e;
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;
	size_t nph;

	if (fd < 0)
		return -errno;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e || !gelf_getehdr(e, &eh)) {
		err = -EINVAL;
		goto out;
	}
	*etype = eh.e_type;
	*min_vaddr = UINT64_MAX;
	if (elf_getphdrnum(e, &nph) == 0) {
		for (size_t i = 0; i < nph; i++) {
			GElf_Phdr ph;

			if (gelf_getphdr(e, i, &ph) && ph.p_type == PT_LOAD && ph.p_vaddr < *min_vaddr)
				*min_vaddr = ph.p_vaddr & ~0xfffULL;
		}
	}
	while ((scn = elf_nextscn(e, scn)) != NULL) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_DYNSYM && sh.sh_type != SHT_SYMTAB))
			continue;
		d = elf_getdata(scn, NULL);
		if (!d || !sh.sh_entsize)
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *name;

			if (!gelf_getsym(d, i, &sym))
				continue;
			name = elf_strptr(e, sh.sh_link, sym.st_name);
			if (!name || !sym.st_value)
				continue;
			if (strcmp(name, "_PyRuntime") == 0) {
				*value = sym.st_value;
				err = 0;
			} else if (strcmp(name, "PyCode_Type") == 0) {
				*code_type = sym.st_value;
			}
		}
		if (!err)
			break;   /* .dynsym has both; .symtab only when .dynsym lacks them */
	}
out:
	if (e)
		elf_end(e);
	close(fd);
	return err;
}

int pyinfo_detect(pid_t tgid, struct pyinfo *out)
{
	char path[64], line[512], exe[256] = "";
	FILE *f;
	int saw_python = 0, err = -ENOENT;
	ssize_t n;

	memset(out, 0, sizeof(*out));
	out->tgid = tgid;
	snprintf(path, sizeof(path), "/proc/%d/exe", tgid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n > 0)
		exe[n] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/maps", tgid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	/* candidates: the executable and libpython, each at its offset-0 mapping */
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, off;
		char file[256] = "";
		int major, minor;

		if (sscanf(line, "%llx-%*x %*4s %llx %*s %*u %255s", &start, &off, file) < 3)
			continue;
		if (off != 0 || file[0] != '/')
			continue;
		if (strcmp(file, exe) != 0 && !strstr(file, "libpython"))
			continue;
		if (pyinfo_version_from_name(file, &major, &minor) == 0)
			saw_python = 1;
		uint64_t value, min_vaddr, code_type = 0;
		int etype;
		char rooted[320];

		snprintf(rooted, sizeof(rooted), "/proc/%d/root%s", tgid, file);
		if (find_runtime_sym(rooted, &value, &etype, &min_vaddr, &code_type) != 0 &&
		    find_runtime_sym(file, &value, &etype, &min_vaddr, &code_type) != 0)
			continue;
		uint64_t bias = etype == ET_EXEC ? 0 : start - (min_vaddr == UINT64_MAX ? 0 : min_vaddr);

		out->runtime = value + bias;
		out->code_type = code_type ? code_type + bias : 0;
		snprintf(out->object, sizeof(out->object), "%s", file);
		if (pyinfo_version_from_name(file, &major, &minor) != 0 &&
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

		if (saw_python || pyinfo_version_from_name(exe, &major, &minor) == 0)
			return -EAGAIN;
		return err;
	}
	uint64_t off = pyinfo_gil_offset(out->major, out->minor);
	if (!off)
		return -ENOTSUP;
	out->gil = out->runtime + off;
	out->gil_lo = out->gil + GIL_WAIT_LO;
	out->gil_hi = out->gil + GIL_WAIT_HI;
	out->handoff_lo = out->gil + GIL_WAIT_HI;
	out->handoff_hi = out->gil + GIL_HANDOFF_HI;
	if (out->code_type && out->minor < (int)(sizeof(interp_head_offsets) / sizeof(interp_head_offsets[0])) &&
	    pyinfo_walk_offsets(out->major, out->minor, &out->walk) == 0) {
		out->walk.interp_head = out->runtime + interp_head_offsets[out->minor];
		out->walk.code_type = out->code_type;
		out->walk.gil = out->gil;
		out->frames = 1;
	}
	return 0;
}
