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
	int free_threaded;          /* a build without a GIL (Py_GIL_DISABLED) */
	int gil_pending;            /* 3.13+: the GIL is placed once the interpreter exists
				     * (pyinfo_resolve_gil) */
	char note[256];             /* what is not measured for this build and why, said once */
	uint64_t runtime;           /* &_PyRuntime in the process */
	uint64_t gil;               /* the main interpreter's struct _gil_runtime_state */
	uint64_t gil_lo, gil_hi;            /* cond + mutex */
	uint64_t handoff_lo, handoff_hi;    /* switch_cond + switch_mutex */
	uint64_t code_type;                 /* &PyCode_Type */
	uint64_t str_type, long_type;       /* &PyUnicode_Type, &PyLong_Type */
	int frames;                         /* 1: py below is filled (frames can be walked) */
	struct ct_py_proc walk;             /* what the BPF frame walker needs */
	uint64_t since_ns;                  /* when the process exec'd it (bpf clock); 0: it
					     * ran before tracing began */
	/* 3.13+: where the live interpreter state is checked (pyinfo_resolve_gil) */
	uint64_t runtime_size;              /* sizeof(_PyRuntimeState) */
	uint64_t interp_ceval_gil;          /* offsetof(PyInterpreterState, ceval.gil) */
	uint64_t interp_gil;                /* offsetof(PyInterpreterState, _gil) */
	uint64_t debug_len;                 /* bytes of _Py_DebugOffsets checked in memory */
	uint64_t tstate_size;               /* sizeof(PyThreadState) */
	int asyncio;                        /* 1: the running task is shown (pyinfo_asyncio) */
	/* 3.14 asyncio, from _asyncio's .AsyncioDebug and the build's debug offsets */
	struct {
		uint64_t task_name, task_awaited_by, task_awaited_by_is_set, task_coro, task_node;
		uint64_t ts_running_task, ts_tasks_head, gen_iframe, gen_frame_state;
	} aio;
	/* waiting tasks seen by the snapshots (pyinfo_asyncio_snapshot), merged */
	struct pyinfo_task_seen {
		char task[64];              /* its name */
		char at[160];               /* where its coroutine is suspended: "qualname (f.py:N)" */
		char by[64];                /* the task awaiting it, "" when none */
		uint32_t snapshots;         /* in how many snapshots it was seen so */
	} seen[24];
	int nseen;
	uint32_t snapshots;                 /* snapshots taken */
	uint32_t seen_dropped;              /* distinct (task, at, by) beyond the 24 kept */
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

/* What conctrace uses of a build's _Py_DebugOffsets, the head of _PyRuntime (3.13 and 3.14
 * layouts; offsets in the named structures, gil_* relative to PyInterpreterState; *_size
 * are the structures' sizes, used to check that every offset lies inside its structure). */
struct pyinfo_debug {
	uint64_t version;              /* PY_VERSION_HEX of the build */
	uint64_t free_threaded;
	int minor;                     /* the layout read: 13 or 14 */
	size_t len;                    /* bytes of the table in that layout */
	uint64_t runtime_size, runtime_interp_head;  /* _PyRuntimeState.interpreters.head */
	uint64_t interp_size, interp_threads_head, interp_ceval_gil, interp_gil;
	uint64_t interp_gil_locked, interp_gil_holder;
	uint64_t tstate_size, tstate_next, tstate_current_frame, tstate_native_thread_id;
	uint64_t frame_size, frame_previous, frame_executable, frame_instr_ptr, frame_owner;
	uint64_t frame_tlbc_index;     /* 3.14 free-threaded: which bytecode copy runs */
	uint64_t code_size, code_filename, code_qualname, code_linetable, code_firstlineno;
	uint64_t code_adaptive;
	uint64_t pyobject_size, ob_type;
	uint64_t bytes_size, bytes_ob_size, bytes_ob_sval;
	uint64_t str_size, str_state, str_length, str_ascii;   /* str_ascii: sizeof(PyASCIIObject) */
	uint64_t gen_size, gen_iframe;  /* 3.14: a coroutine's embedded frame */
	uint64_t gen_frame_state;       /* ... and its state (int8: < 0 suspended or not started) */
};
#define PYINFO_DEBUG_COOKIE "xdebugpy"
#define PYINFO_DEBUG_MAX    1024   /* bytes read from the start of _PyRuntime */

/* What pyinfo_detect reads from an ELF file. */
struct pyinfo_elf {
	int etype;
	uint64_t min_vaddr;            /* lowest PT_LOAD address, page aligned */
	uint64_t runtime;              /* st_value of _PyRuntime (0: absent) */
	uint64_t code_type;            /* st_value of PyCode_Type (0: absent) */
	uint64_t str_type, long_type;  /* st_value of PyUnicode_Type and PyLong_Type */
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
/* Parse the _Py_DebugOffsets at the start of _PyRuntime's initial bytes (user/pydebug.c).
 * 0; -ENOENT: no cookie; -ENOTSUP: a version whose layout this parser does not know (3.13
 * and 3.14 are known); -EINVAL: too short. */
int pyinfo_parse_debug(const uint8_t *buf, size_t len, struct pyinfo_debug *out);
/* The walker's offsets from parsed debug offsets, with the owner values of frames to skip
 * (which the table does not give) by version; *gil_in_interp gets offsetof(PyInterpreterState,
 * _gil) (0 in a free-threaded build: no GIL). -EPROTO when the table is inconsistent (an
 * offset outside its structure, object headers that do not fit together), -E2BIG when an
 * offset does not fit the walker's 16 bits; why goes to why (may be NULL). */
int pyinfo_walk_from_debug(const struct pyinfo_debug *d, struct ct_py_proc *out,
			   uint64_t *gil_in_interp, char *why, size_t whylen);
/* Fill out (runtime and code_type set) from parsed debug offsets: the walker's offsets, the
 * free-threaded flag and note, and gil_pending for a GIL build. -ENOTSUP (note set) when
 * they cannot be used. No memory is read. */
int pyinfo_from_debug(const struct pyinfo_debug *dbg, struct pyinfo *out);
/* 3.13+, once the process runs: read the main interpreter from its memory, check that its
 * ceval.gil points at its own _gil inside _PyRuntime, and place the GIL's futex words.
 * 0; -EAGAIN: the interpreter or its GIL does not exist yet; -EPROTO: inconsistent (note
 * set); -ESRCH: the process is gone. */
int pyinfo_resolve_gil(struct pyinfo *pi);
/* 3.14+: the running-task offsets of a loaded _asyncio module (its .AsyncioDebug section),
 * into pi->walk. 0; -EAGAIN: _asyncio is not loaded (yet); -EPROTO: its offsets do not hold
 * together (note set); -ENOTSUP: not a version that has them. */
int pyinfo_asyncio(struct pyinfo *pi);
/* Parse an .AsyncioDebug image (13 uint64_t words) into the walker's fields, checking them
 * against the thread state's size tstate_size: 0 or -EPROTO. */
int pyinfo_parse_asyncio(const uint8_t *buf, size_t len, uint64_t tstate_size,
			 struct ct_py_proc *w);
/* 3.14+ with asyncio found: one snapshot of the process's tasks from its memory (every
 * thread's task list): each task not running, where its coroutine is suspended and which
 * task awaits it, merged into pi->seen. Returns the tasks seen, or -errno (-ESRCH: gone).
 * The process runs meanwhile: a torn list gives fewer tasks, never a loop. */
int pyinfo_asyncio_snapshot(struct pyinfo *pi);
/* Read len bytes at addr of process tgid into buf: 0 or -errno (-EIO when short). */
int pyinfo_read_mem(pid_t tgid, uint64_t addr, void *buf, size_t len);
/* Parse "python3.11", "libpython3.12.so.1.0", ... Returns 0 when a version was found. */
int pyinfo_version_from_name(const char *path, int *major, int *minor);

#endif
