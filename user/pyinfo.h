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
	uint64_t runtime;           /* &_PyRuntime in the process */
	uint64_t gil;               /* the main interpreter's struct _gil_runtime_state */
	uint64_t gil_lo, gil_hi;            /* cond + mutex */
	uint64_t handoff_lo, handoff_hi;    /* switch_cond + switch_mutex */
	uint64_t code_type;                 /* &PyCode_Type */
	int frames;                         /* 1: py below is filled (frames can be walked) */
	struct ct_py_proc walk;             /* what the BPF frame walker needs */
};

/* 0: CPython with a known GIL; -ENOENT: not CPython; -EAGAIN: libpython not mapped yet
 * (just after exec); -ENOTSUP: CPython of a version without a known layout (version set). */
int pyinfo_detect(pid_t tgid, struct pyinfo *out);
/* Offset of the main interpreter's GIL from &_PyRuntime for a minor version, or 0. */
uint64_t pyinfo_gil_offset(int major, int minor);
/* The frame walker's offsets for a minor version (addresses left 0); -ENOTSUP if unknown. */
int pyinfo_walk_offsets(int major, int minor, struct ct_py_proc *out);
/* Parse "python3.11", "libpython3.12.so.1.0", ... Returns 0 when a version was found. */
int pyinfo_version_from_name(const char *path, int *major, int *minor);

#endif
