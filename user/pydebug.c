/* CPython 3.13+'s own description of its layout: _Py_DebugOffsets, the head of _PyRuntime
 * (the .PyRuntime section). Parsed from the file's initial image, checked field by field for
 * consistency, turned into what the BPF walker needs, and completed from the live process
 * (where the main interpreter and its GIL are) once it runs. The layouts are CPython's
 * Include/internal/pycore_runtime.h (3.13) and pycore_debug_offsets.h (3.14): arrays of
 * uint64_t words after the 8-byte cookie; docs/python.md. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <gelf.h>
#include <libelf.h>
#include "pyinfo.h"

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Word index of each field in the 3.13 and the 3.14 layout (-1: not in that version). The
 * cookie is word 0, version 1, free_threaded 2. */
#define D(f) offsetof(struct pyinfo_debug, f)
static const struct { size_t field; short w13, w14; } debug_words[] = {
	{ D(free_threaded), 2, 2 },
	{ D(runtime_size), 3, 3 }, { D(runtime_interp_head), 5, 5 },
	{ D(interp_size), 6, 6 }, { D(interp_threads_head), 9, 9 },
	{ D(interp_ceval_gil), 14, 15 }, { D(interp_gil), 15, 16 },
	{ D(interp_gil_locked), 17, 18 }, { D(interp_gil_holder), 18, 19 },
	{ D(tstate_size), 19, 22 }, { D(tstate_next), 21, 24 },
	{ D(tstate_current_frame), 23, 26 }, { D(tstate_native_thread_id), 25, 28 },
	{ D(frame_size), 28, 31 }, { D(frame_previous), 29, 32 }, { D(frame_executable), 30, 33 },
	{ D(frame_instr_ptr), 31, 34 }, { D(frame_owner), 33, 36 }, { D(frame_tlbc_index), -1, 38 },
	{ D(code_size), 34, 39 }, { D(code_filename), 35, 40 }, { D(code_qualname), 37, 42 },
	{ D(code_linetable), 38, 43 }, { D(code_firstlineno), 39, 44 },
	{ D(code_adaptive), 43, 48 },
	{ D(pyobject_size), 44, 50 }, { D(ob_type), 45, 51 },
	{ D(bytes_size), 64, 74 }, { D(bytes_ob_size), 65, 75 }, { D(bytes_ob_sval), 66, 76 },
	{ D(str_size), 67, 77 }, { D(str_state), 68, 78 }, { D(str_length), 69, 79 },
	{ D(str_ascii), 70, 80 },
	{ D(gen_size), -1, 83 }, { D(gen_iframe), -1, 85 }, { D(gen_frame_state), -1, 86 },
};
#undef D
#define WORDS_313 73    /* sizeof(_Py_DebugOffsets) / 8 */
#define WORDS_314 95

int pyinfo_parse_debug(const uint8_t *buf, size_t len, struct pyinfo_debug *out)
{
	int major, minor;
	size_t words;

	memset(out, 0, sizeof(*out));
	if (len < 16)
		return -EINVAL;
	if (memcmp(buf, PYINFO_DEBUG_COOKIE, 8) != 0)
		return -ENOENT;
	out->version = le64(buf + 8);
	/* the layout is only stable within a minor version: parse the ones known */
	if (pyinfo_version_from_hex(out->version, &major, &minor) != 0 ||
	    (minor != 13 && minor != 14))
		return -ENOTSUP;
	words = minor == 13 ? WORDS_313 : WORDS_314;
	if (len < words * 8)
		return -EINVAL;
	out->minor = minor;
	out->len = words * 8;
	for (size_t i = 0; i < sizeof(debug_words) / sizeof(debug_words[0]); i++) {
		int w = minor == 13 ? debug_words[i].w13 : debug_words[i].w14;
		uint64_t *f = (uint64_t *)((char *)out + debug_words[i].field);

		*f = w < 0 ? 0 : le64(buf + (size_t)w * 8);
	}
	return 0;
}

static int fits16(uint64_t v)
{
	return v < CT_PY_NONE;
}

/* Whether the table holds together: every offset used lies inside its structure, and the
 * object headers agree with each other. A corrupt table, or one of another layout that
 * carries a known version, fails here rather than giving wrong frames. */
static int debug_consistent(const struct pyinfo_debug *d, char *why, size_t whylen)
{
	const struct { const char *name; uint64_t off, width, size; } in[] = {
		{ "interpreters.head", d->runtime_interp_head, 16, d->runtime_size },
		{ "interp threads.head", d->interp_threads_head, 8, d->interp_size },
		{ "interp ceval.gil", d->interp_ceval_gil, 8, d->interp_size },
		{ "interp _gil", d->interp_gil, 0xd0, d->interp_size },
		{ "tstate next", d->tstate_next, 8, d->tstate_size },
		{ "tstate current_frame", d->tstate_current_frame, 8, d->tstate_size },
		{ "tstate native_thread_id", d->tstate_native_thread_id, 8, d->tstate_size },
		{ "frame previous", d->frame_previous, 8, d->frame_size },
		{ "frame f_executable", d->frame_executable, 8, d->frame_size },
		{ "frame instr_ptr", d->frame_instr_ptr, 8, d->frame_size },
		{ "frame owner", d->frame_owner, 1, d->frame_size },
		{ "code co_filename", d->code_filename, 8, d->code_size },
		{ "code co_qualname", d->code_qualname, 8, d->code_size },
		{ "code co_linetable", d->code_linetable, 8, d->code_size },
		{ "code co_firstlineno", d->code_firstlineno, 4, d->code_size },
		{ "code co_code_adaptive", d->code_adaptive, 2, d->code_size + 1 },
		{ "PyObject ob_type", d->ob_type, 8, d->pyobject_size },
		{ "bytes ob_size", d->bytes_ob_size, 8, d->bytes_size },
		{ "bytes ob_sval", d->bytes_ob_sval, 1, d->bytes_size },
		{ "str state", d->str_state, 4, d->str_ascii },
		{ "str length", d->str_length, 8, d->str_ascii },
		{ "sizeof(PyASCIIObject)", d->str_ascii, 0, d->str_size },
	};

	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		/* sizes are bounded so that a corrupt word cannot make every check pass */
		if (in[i].size > (1u << 24) || in[i].off + in[i].width > in[i].size) {
			snprintf(why, whylen, "%s at %#llx is outside its structure (size %#llx)",
				 in[i].name, (unsigned long long)in[i].off,
				 (unsigned long long)in[i].size);
			return -EPROTO;
		}
	}
	/* every object starts with the PyObject header; a var-sized one with ob_size after it */
	if (d->ob_type + 8 != d->pyobject_size || d->bytes_ob_size != d->pyobject_size ||
	    d->str_length != d->pyobject_size || d->bytes_ob_sval < d->bytes_ob_size + 8 ||
	    d->str_state < d->str_length + 8) {
		snprintf(why, whylen, "object headers do not fit together (ob_type %#llx, "
			 "sizeof(PyObject) %#llx, bytes ob_size %#llx, str length %#llx)",
			 (unsigned long long)d->ob_type, (unsigned long long)d->pyobject_size,
			 (unsigned long long)d->bytes_ob_size, (unsigned long long)d->str_length);
		return -EPROTO;
	}
	if (!d->free_threaded &&
	    (d->interp_gil_holder < d->interp_gil || d->interp_gil_locked < d->interp_gil ||
	     d->interp_gil_holder - d->interp_gil >= PYINFO_GIL_COND ||
	     d->interp_gil_locked - d->interp_gil >= PYINFO_GIL_COND)) {
		snprintf(why, whylen, "the GIL's locked/last_holder (%#llx/%#llx) are not in its "
			 "state at %#llx", (unsigned long long)d->interp_gil_locked,
			 (unsigned long long)d->interp_gil_holder, (unsigned long long)d->interp_gil);
		return -EPROTO;
	}
	return 0;
}

int pyinfo_walk_from_debug(const struct pyinfo_debug *d, struct ct_py_proc *out,
			   uint64_t *gil_in_interp, char *why, size_t whylen)
{
	char scratch[8];
	struct ct_py_proc w;
	int err;

	if (!why) {
		why = scratch;
		whylen = sizeof(scratch);
	}
	why[0] = '\0';
	if (d->minor != 13 && d->minor != 14) {
		snprintf(why, whylen, "no known layout of its debug offsets");
		return -ENOTSUP;
	}
	err = debug_consistent(d, why, whylen);
	if (err)
		return err;
	if (!fits16(d->interp_threads_head) || !fits16(d->tstate_next) ||
	    !fits16(d->tstate_native_thread_id) || !fits16(d->tstate_current_frame) ||
	    !fits16(d->frame_executable) || !fits16(d->frame_previous) ||
	    !fits16(d->frame_instr_ptr) || !fits16(d->frame_owner) ||
	    !fits16(d->frame_tlbc_index) || !fits16(d->code_filename) ||
	    !fits16(d->code_qualname) || !fits16(d->code_firstlineno) ||
	    !fits16(d->code_linetable) || !fits16(d->code_adaptive) || !fits16(d->str_ascii)) {
		snprintf(why, whylen, "an offset does not fit the frame walker's 16 bits");
		return -E2BIG;
	}
	memset(&w, 0, sizeof(w));
	w.minor = d->minor;
	w.interp_tstate_head = d->interp_threads_head;
	w.tstate_next = d->tstate_next;
	w.tstate_id = d->tstate_native_thread_id;
	w.id_is_pthread = 0;
	w.tstate_frame = d->tstate_current_frame;
	w.cframe_frame = CT_PY_NONE;
	w.frame_code = d->frame_executable;
	w.frame_back = d->frame_previous;
	w.frame_instr = d->frame_instr_ptr;
	w.frame_owner = d->frame_owner;
	/* enum _frameowner: 3.13 THREAD, GENERATOR, FRAME_OBJECT, CSTACK (3); 3.14 adds
	 * INTERPRETER (3) before CSTACK (4). Frames from 3 on are the interpreter's own. */
	w.owner_skip = 3;
	/* 3.14's f_executable is a _PyStackRef: its low bits tag a deferred or an int ref */
	w.exec_tag_mask = d->minor >= 14 ? 3 : 0;
	w.frame_tlbc = d->free_threaded && d->frame_tlbc_index ? d->frame_tlbc_index : CT_PY_NONE;
	w.code_filename = d->code_filename;
	w.code_name = d->code_qualname;
	w.code_firstlineno = d->code_firstlineno;
	w.code_linetable = d->code_linetable;
	w.code_adaptive = d->code_adaptive;
	w.str_ascii = d->str_ascii;
	/* PyCompactUnicodeObject: the ASCII header, then utf8_length and utf8 (no wstr since 3.12) */
	w.str_compact = d->str_ascii + 16;
	w.ob_type = d->ob_type;
	w.bytes_size = d->bytes_ob_size;
	w.bytes_sval = d->bytes_ob_sval;
	w.str_state = d->str_state;
	w.str_length = d->str_length;
	w.tstate_aio_task = CT_PY_NONE;   /* until _asyncio is loaded: pyinfo_asyncio */
	w.task_name = CT_PY_NONE;
	if (d->free_threaded) {
		*gil_in_interp = 0;
	} else {
		w.gil_holder = d->interp_gil_holder - d->interp_gil;
		w.gil_locked = d->interp_gil_locked - d->interp_gil;
		w.gil_switch_number = PYINFO_GIL_SWITCH_NUMBER;
		*gil_in_interp = d->interp_gil;
	}
	*out = w;
	return 0;
}

int pyinfo_read_mem(pid_t tgid, uint64_t addr, void *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd, err = 0;

	snprintf(path, sizeof(path), "/proc/%d/mem", tgid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	n = pread(fd, buf, len, (off_t)addr);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	close(fd);
	return err;
}

int pyinfo_resolve_gil(struct pyinfo *pi)
{
	uint64_t interp = 0, gil = 0;
	int err;

	if (!pi->gil_pending)
		return 0;
	/* walk.interp_head is &_PyRuntime.interpreters.main */
	err = pyinfo_read_mem(pi->tgid, pi->walk.interp_head, &interp, sizeof(interp));
	if (err)
		return err == -EIO || err == -EFAULT ? -EAGAIN : err;
	if (!interp)
		return -EAGAIN;
	err = pyinfo_read_mem(pi->tgid, interp + pi->interp_ceval_gil, &gil, sizeof(gil));
	if (err)
		return err == -ESRCH ? err : -EAGAIN;
	if (!gil)
		return -EAGAIN;   /* the interpreter exists, its GIL is not made yet */
	/* the main interpreter lives inside _PyRuntime and uses its own GIL */
	if (interp < pi->runtime || interp + pi->interp_gil + PYINFO_GIL_SIZE >
	    pi->runtime + pi->runtime_size || gil != interp + pi->interp_gil) {
		snprintf(pi->note, sizeof(pi->note), "its main interpreter (0x%llx) and GIL (0x%llx) "
			 "are not where its debug offsets say: GIL not followed",
			 (unsigned long long)interp, (unsigned long long)gil);
		pi->gil_pending = 0;
		return -EPROTO;
	}
	pi->gil = gil;
	pi->gil_lo = gil + PYINFO_GIL_COND;
	pi->gil_hi = gil + PYINFO_GIL_SWITCH_COND;
	pi->handoff_lo = gil + PYINFO_GIL_SWITCH_COND;
	pi->handoff_hi = gil + PYINFO_GIL_SIZE;
	pi->walk.gil = gil;
	pi->gil_pending = 0;
	return 0;
}

/* _asyncio's _Py_AsyncioModuleDebugOffsets (3.14 Modules/_asynciomodule.c): the task object
 * (size, task_name, task_awaited_by, task_is_task, task_awaited_by_is_set, task_coro,
 * task_node), the interpreter state (size, asyncio_tasks_head) and the thread state (size,
 * asyncio_running_loop, asyncio_running_task, asyncio_tasks_head): 13 words. */
#define AIO_WORDS 13
enum { AIO_TASK_SIZE = 0, AIO_TASK_NAME = 1, AIO_TS_SIZE = 9, AIO_TS_RUNNING_TASK = 11 };

int pyinfo_parse_asyncio(const uint8_t *buf, size_t len, uint64_t tstate_size,
			 struct ct_py_proc *w)
{
	uint64_t task_size, name, ts_size, running;

	if (len < AIO_WORDS * 8)
		return -EPROTO;
	task_size = le64(buf + AIO_TASK_SIZE * 8);
	name = le64(buf + AIO_TASK_NAME * 8);
	ts_size = le64(buf + AIO_TS_SIZE * 8);
	running = le64(buf + AIO_TS_RUNNING_TASK * 8);
	/* the running task lives in _PyThreadStateImpl, which begins with PyThreadState */
	if (task_size > 4096 || name + 8 > task_size || ts_size > (1u << 16) ||
	    ts_size < tstate_size || running < tstate_size || running + 8 > ts_size ||
	    running >= CT_PY_NONE || name >= CT_PY_NONE)
		return -EPROTO;
	w->tstate_aio_task = running;
	w->task_name = name;
	return 0;
}

/* The .AsyncioDebug section of the file at path: 0, -ENOENT (none) or -errno. */
static int read_aio_section(const char *path, uint8_t *buf, size_t len, size_t *got)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = -ENOENT;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	Elf *e;

	if (fd < 0)
		return -errno;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!e || elf_getshdrstrndx(e, &shstrndx) != 0) {
		err = -EINVAL;
		goto out;
	}
	while ((scn = elf_nextscn(e, scn)) != NULL) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
			continue;
		name = elf_strptr(e, shstrndx, sh.sh_name);
		if (!name || strcmp(name, ".AsyncioDebug") != 0)
			continue;
		ssize_t n = pread(fd, buf, sh.sh_size < len ? sh.sh_size : len, (off_t)sh.sh_offset);

		*got = n > 0 ? (size_t)n : 0;
		err = n > 0 ? 0 : -EIO;
		break;
	}
out:
	if (e)
		elf_end(e);
	close(fd);
	return err;
}

int pyinfo_asyncio(struct pyinfo *pi)
{
	char path[64], line[512], file[256], rooted[320];
	uint8_t buf[AIO_WORDS * 8];
	size_t got = 0;
	int err = -EAGAIN;
	FILE *f;

	if (pi->minor < 14 || !pi->from_debug || !pi->frames)
		return -ENOTSUP;
	snprintf(path, sizeof(path), "/proc/%d/maps", pi->tgid);
	f = fopen(path, "re");
	if (!f)
		return -ESRCH;
	while (fgets(line, sizeof(line), f)) {
		const char *base;

		if (sscanf(line, "%*x-%*x %*4s %*x %*s %*u %255s", file) != 1 || file[0] != '/')
			continue;
		base = strrchr(file, '/') + 1;
		if (strncmp(base, "_asyncio.", 9) != 0)
			continue;
		snprintf(rooted, sizeof(rooted), "/proc/%d/root%s", pi->tgid, file);
		/* maps shows paths as the reader sees them: a chrooted process's are outside */
		err = read_aio_section(rooted, buf, sizeof(buf), &got);
		if (err)
			err = read_aio_section(file, buf, sizeof(buf), &got);
		break;
	}
	fclose(f);
	if (err == -EAGAIN)
		return err;
	if (err || pyinfo_parse_asyncio(buf, got, pi->tstate_size, &pi->walk) != 0) {
		snprintf(pi->note, sizeof(pi->note), "its _asyncio module's .AsyncioDebug offsets "
			 "are missing or do not hold together: asyncio tasks not shown");
		return -EPROTO;
	}
	pi->aio.task_name = le64(buf + 1 * 8);
	pi->aio.task_awaited_by = le64(buf + 2 * 8);
	pi->aio.task_awaited_by_is_set = le64(buf + 4 * 8);
	pi->aio.task_coro = le64(buf + 5 * 8);
	pi->aio.task_node = le64(buf + 6 * 8);
	pi->aio.ts_running_task = le64(buf + 11 * 8);
	pi->aio.ts_tasks_head = le64(buf + 12 * 8);
	pi->asyncio = 1;
	return 0;
}
