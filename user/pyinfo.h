/* Recognising CPython processes and where their GIL's futex words live. */
#ifndef CT_PYINFO_H
#define CT_PYINFO_H
#include <stdint.h>
#include <sys/types.h>
#include "conctrace/sched.h"

struct pyinfo {
	pid_t tgid;
	int major, minor;
	char version[16];           /* "3.11" */
	char object[256];           /* the ELF that holds _PyRuntime */
	int from_debug;             /* 1: offsets from the build's _Py_DebugOffsets (3.13+) */
	uint64_t runtime;           /* &_PyRuntime in the process */
	uint64_t gil;               /* the main interpreter's struct _gil_runtime_state */
	uint64_t gil_lo, gil_hi;            /* cond + mutex */
	uint64_t handoff_lo, handoff_hi;    /* switch_cond + switch_mutex */
	uint64_t code_type;                 /* &PyCode_Type */
	int frames;                         /* 1: py below is filled (frames can be walked) */
	struct ct_py_proc walk;             /* what the BPF frame walker needs */
	uint64_t since_ns;                  /* when the process exec'd it (bpf clock); 0: it
					     * ran before tracing began */
};

/* struct _gil_runtime_state, 3.10-3.13 (the same in each): interval, last_holder, locked,
 * switch_number, cond, mutex, switch_cond, switch_mutex. */
#define PYINFO_GIL_HOLDER        0x08
#define PYINFO_GIL_LOCKED        0x10
#define PYINFO_GIL_SWITCH_NUMBER 0x18
#define PYINFO_GIL_COND          0x20
#define PYINFO_GIL_MUTEX         0x50
#define PYINFO_GIL_SWITCH_COND   0x78
#define PYINFO_GIL_SWITCH_MUTEX  0xa8
#define PYINFO_GIL_SIZE          0xd0

/* What the frame walker needs of 3.13's _Py_DebugOffsets, the head of _PyRuntime (offsets
 * in the named structures; gil_* relative to PyInterpreterState). */
struct pyinfo_debug {
	uint64_t version;              /* PY_VERSION_HEX of the build */
	uint64_t free_threaded;
	uint64_t runtime_interp_head;  /* _PyRuntimeState.interpreters.head */
	uint64_t interp_threads_head, interp_gil, interp_gil_locked, interp_gil_holder;
	uint64_t tstate_next, tstate_current_frame, tstate_native_thread_id;
	uint64_t frame_previous, frame_executable, frame_instr_ptr, frame_owner;
	uint64_t code_filename, code_qualname, code_linetable, code_firstlineno, code_adaptive;
	uint64_t ob_type;
	uint64_t bytes_ob_size, bytes_ob_sval;
	uint64_t str_state, str_length, str_ascii;   /* str_ascii: sizeof(PyASCIIObject) */
};
#define PYINFO_DEBUG_COOKIE "xdebugpy"
#define PYINFO_DEBUG_MAX    1024   /* bytes read from the start of _PyRuntime */

/* What pyinfo_detect reads from an ELF file. */
struct pyinfo_elf {
	int etype;
	uint64_t min_vaddr;            /* lowest PT_LOAD address, page aligned */
	uint64_t runtime;              /* st_value of _PyRuntime (0: absent) */
	uint64_t code_type;            /* st_value of PyCode_Type (0: absent) */
	uint64_t py_version;           /* the value of Py_Version (3.11+; 0: absent) */
	int needs_libpython;           /* a DT_NEEDED entry names libpython */
	size_t runtime_len;            /* bytes of _PyRuntime's initial image in runtime_head */
	uint8_t runtime_head[PYINFO_DEBUG_MAX];
};

/* 0: CPython with a known GIL; -ENOENT: not CPython; -EAGAIN: libpython not mapped yet
 * (just after exec); -ENOTSUP: CPython of a version without a known layout (version set). */
int pyinfo_detect(pid_t tgid, struct pyinfo *out);
/* Offset of the main interpreter's GIL from &_PyRuntime for a minor version, or 0. */
uint64_t pyinfo_gil_offset(int major, int minor);
/* The frame walker's offsets for a minor version (addresses left 0); -ENOTSUP if unknown. */
int pyinfo_walk_offsets(int major, int minor, struct ct_py_proc *out);
/* offsetof(_PyRuntimeState, interpreters.head), or 0 when unknown. */
uint64_t pyinfo_interp_head_offset(int major, int minor);
/* offsetof(_PyRuntimeState, _main_interpreter) (3.12+: embedded), or 0. */
uint64_t pyinfo_main_interp_offset(int major, int minor);
/* Read the symbols and data pyinfo_detect uses from an ELF file. 0; -ESRCH: no _PyRuntime
 * (the rest is filled); or -errno. */
int pyinfo_elf_read(const char *path, struct pyinfo_elf *out);
/* Split a PY_VERSION_HEX (0x030b07f0 is 3.11.7). 0, or -EINVAL when it is not a 3.x one. */
int pyinfo_version_from_hex(uint64_t hex, int *major, int *minor);
/* Parse the _Py_DebugOffsets at the start of _PyRuntime's initial bytes. 0; -ENOENT: no
 * cookie; -ENOTSUP: a layout this parser does not know (only 3.13's); -EINVAL: too short. */
int pyinfo_parse_debug(const uint8_t *buf, size_t len, struct pyinfo_debug *out);
/* The walker's offsets from parsed debug offsets, with what they lack (the shim frame's owner
 * value) from the table; *gil_in_interp gets offsetof(PyInterpreterState, _gil). -ENOTSUP when
 * the build is free-threaded or differs from what the BPF walker hard-codes (ob_type at 8,
 * bytes and str header offsets) or an offset does not fit. */
int pyinfo_walk_from_debug(const struct pyinfo_debug *d, struct ct_py_proc *out,
			   uint64_t *gil_in_interp);
/* Parse "python3.11", "libpython3.12.so.1.0", ... Returns 0 when a version was found. */
int pyinfo_version_from_name(const char *path, int *major, int *minor);

#endif
