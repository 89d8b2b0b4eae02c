/* ABI of bpf/sched.bpf.c: map keys and values, events and the off-CPU reason enum.
 * Included by the BPF program (with vmlinux.h) and by the loader (with linux/types.h). */
#ifndef CONCTRACE_SCHED_H
#define CONCTRACE_SCHED_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define CT_MAX_CPUS      256          /* per-CPU arrays and per-thread CPU masks */
#define CT_MAX_PAR       64           /* parallelism levels 0..CT_MAX_PAR (clamped) */
#define CT_HIST_SLOTS    40           /* log2(ns) buckets: slot i holds [2^i, 2^(i+1)) */
#define CT_COMM_LEN      16
#define CT_NR_SYSCALLS   512          /* size of the syscall -> reason table */
#define CT_STACK_DEPTH   127          /* frames per stack in the stack-trace map */
#define CT_ONCPU         CT_R_MAX     /* stack key reason of an on-CPU sample */
#define CT_PY_DEPTH      64           /* Python frames walked per stack (innermost first) */
#define CT_PY_NAME       96           /* bytes kept of a code object's qualified name */
#define CT_PY_FILE       160          /* ... and of its file name (the tail when longer) */
#define CT_PY_LINETABLE  2048         /* bytes kept of its line table */

/* Why a thread left the CPU. The order is the ABI and the report order. */
enum ct_reason {
	CT_R_LOCK = 0,       /* futex wait on an ordinary lock / condvar / semaphore */
	CT_R_GIL,            /* futex wait on the CPython GIL (cond or mutex) */
	CT_R_GIL_HANDOFF,    /* GIL holder waiting for the new holder (switch_cond/mutex) */
	CT_R_IO,             /* read/write/recv/send/accept/connect/fsync... */
	CT_R_POLL,           /* epoll_wait/poll/select: an idle event loop */
	CT_R_SLEEP,          /* nanosleep/clock_nanosleep/pause */
	CT_R_CHILD,          /* wait4/waitid */
	CT_R_PREEMPTED,      /* involuntary: still runnable, waiting for a CPU */
	CT_R_OTHER,          /* any other voluntary switch, or one outside a syscall */
	CT_R_MAX,
};

/* Per-thread flags. */
#define CT_TF_EXITED     (1u << 0)    /* sched_process_exit seen */
#define CT_TF_ONCPU      (1u << 1)    /* counted in the running total right now */
#define CT_TF_SEEN_CPU   (1u << 2)    /* last_cpu is valid */
#define CT_TF_ATTACHED   (1u << 3)    /* existed before tracing started (record -p) */
#define CT_TF_DEAD       (1u << 4)    /* its final switch happened: it never runs again */

/* Value of the `threads` hash, keyed by TID. Accumulators first, then hot state. */
struct ct_thread {
	__u32 tid;
	__u32 tgid;
	__u64 start_ns;              /* fork, or when tracking began */
	__u64 end_ns;                /* sched_process_exit, 0 while alive */
	__u64 on_cpu_ns;
	__u64 utime_ns;              /* task->utime/stime at exit */
	__u64 stime_ns;
	__u64 exit_on_cpu_ns;        /* on-CPU time when exit began (the rest is teardown) */
	__u64 nvcsw;
	__u64 nivcsw;
	__u64 migrations;            /* switched in on another CPU than the last time */
	__u64 off_ns[CT_R_MAX];
	__u64 off_count[CT_R_MAX];
	__u64 runq_ns;               /* run-queue latency: wakeup or preemption -> switch-in */
	__u64 runq_count;
	__u64 runq_max_ns;
	__u32 runq_hist[CT_HIST_SLOTS];
	__u64 cpus[CT_MAX_CPUS / 64]; /* CPUs this thread ran on */
	__s32 exit_code;             /* task->exit_code: wait status (code << 8 | signal) */
	__u32 flags;
	char comm[CT_COMM_LEN];
	/* CPython's GIL, seen from its futex words and from on-CPU samples */
	__u64 gil_acquisitions;      /* acquisitions that waited (one or more waits on the GIL) */
	__u64 gil_acq_wait_ns;       /* first wait -> end of the last, summed over them */
	__u64 gil_acq_max_ns;
	__u32 gil_acq_hist[CT_HIST_SLOTS];
	__u64 gil_drop_requests;     /* waits that timed out after the switch interval: the
				      * waiter then asks the holder to drop the GIL */
	__u64 gil_forced_drops;      /* the holder's hand-off waits: it dropped on request */
	__u64 gil_held_samples;      /* on-CPU samples holding the GIL ... */
	__u64 gil_free_samples;      /* ... and not holding it (native code, I/O, sleeping C) */
	__u64 gil_held_off_ns;       /* off the CPU (preempted, page faults) holding the GIL */
	/* hot state, meaningless to userspace */
	__u64 gil_ep_start;          /* first GIL wait of the acquisition in progress */
	__u64 gil_wait_end;          /* end of its latest wait */
	__u64 gil_futex;             /* uaddr of a GIL futex wait in progress */
	__u64 gil_held_out;          /* 1: it left the CPU holding the GIL */
	__u64 py_retry_ns;           /* no thread state found: look again after this */
	__u32 py_misses;             /* thread-state lookups that failed */
	__u32 pad3;
	/* off-CPU stack time not yet added to stack_counts (the loader adds it at collect) */
	__u64 pend_count;
	__u64 pend_ns;
	__u64 pend_pystack;
	__s32 pend_ustack;
	__s32 pend_kstack;
	__u32 pend_reason;
	__u32 pad2;
	__u64 last_in_ns;            /* switch-in time while on CPU */
	__u64 last_sum_exec;         /* task->se.sum_exec_runtime at the last switch-out */
	__u64 off_start_ns;          /* switch-out time while off CPU */
	__u64 runq_start_ns;         /* became runnable (waking, wakeup_new, preemption) */
	__u64 futex_uaddr;           /* lock waited on, for lock reasons */
	__u32 off_reason;
	__u32 last_cpu;
	__u32 waker_tid;             /* who woke it last (sched_waking's current) */
	__s32 ustack;                /* stack ids at switch-out, for off-CPU stacks */
	__s32 kstack;
	__u64 stack_sig;             /* user ip^sp^bp^syscall of the walk that gave ustack */
	__u64 kstack_sig;            /* user ip^sp^syscall of the walk that gave kstack */
	__u64 pystack;               /* Python stack at switch-out (py_stacks key; 0: none) */
	__u64 py_tstate;             /* its PyThreadState, found by walking the interpreter */
};

#define CT_PF_EXITED     (1u << 0)
#define CT_PF_EXECED     (1u << 1)
#define CT_PF_ATTACHED   (1u << 2)
#define CT_PF_NO_MM      (1u << 3)  /* mm gone at exit (6.12 and older): maxrss_kb is rusage's, anon_kb unknown */

/* Value of the `procs` hash, keyed by TGID. */
struct ct_proc {
	__u32 tgid;
	__u32 ppid;                  /* tgid of the tracked parent at fork (0: root) */
	__u64 start_ns;
	__u64 end_ns;
	__u64 maxrss_kb;             /* peak RSS of the process's own mm (after its last exec) */
	__u64 anon_kb;               /* anonymous RSS at exit */
	__s32 exit_code;             /* wait status of the group leader */
	__u32 flags;
	__u32 nthreads;              /* threads ever seen */
	__u32 execs;
	char comm[CT_COMM_LEN];
};

/* CPython GIL futex words of one process, set by the loader after exec, inherited on fork. */
struct ct_gil_range {
	__u64 gil_lo, gil_hi;            /* cond + mutex: waiting for the GIL */
	__u64 handoff_lo, handoff_hi;    /* switch_cond + switch_mutex: holder's hand-off */
};

/* Where a CPython process keeps what the frame walker reads: addresses in the process, then
 * offsets per minor version (user/pyinfo.c), set by the loader after exec and inherited on
 * fork. An offset of CT_PY_NONE is a field this version does not have. */
#define CT_PY_NONE 0xffff
struct ct_py_proc {
	__u64 interp_head;           /* &_PyRuntime.interpreters.main: the main interpreter */
	__u64 code_type;             /* &PyCode_Type: a frame's code object must be of it */
	__u64 gil;                   /* the main interpreter's struct _gil_runtime_state */
	__u16 minor;                 /* 3.<minor> */
	__u16 interp_tstate_head;    /* PyInterpreterState -> first PyThreadState */
	__u16 tstate_next;
	__u16 tstate_id;             /* native_thread_id (TID), or thread_id (pthread_t) */
	__u16 tstate_frame;          /* 3.10: frame; 3.11/3.12: cframe; 3.13: current_frame */
	__u16 cframe_frame;          /* _PyCFrame.current_frame, or NONE */
	__u16 frame_code;
	__u16 frame_back;
	__u16 frame_instr;           /* 3.11+: instruction pointer; 3.10: int f_lasti */
	__u16 frame_owner;           /* NONE before 3.12's shim frames */
	__u16 code_filename;
	__u16 code_name;             /* co_qualname, or co_name before 3.11 */
	__u16 code_firstlineno;
	__u16 code_linetable;
	__u16 code_adaptive;         /* co_code_adaptive (3.11+), or NONE */
	__u16 str_ascii;             /* data of a compact ASCII str */
	__u16 str_compact;           /* data of a compact non-ASCII str (1, 2 or 4 bytes a char) */
	__u8 id_is_pthread;          /* tstate_id holds pthread_self() (== fs base), not a TID */
	__u8 owner_skip;             /* frames whose owner is >= this are the interpreter's or
				      * the C stack's shims (3.12+), and are skipped */
	__u32 gil_locked;            /* offsets in struct _gil_runtime_state */
	__u32 gil_holder;            /* last_holder (a PyThreadState *) */
	__u32 gil_switch_number;
	/* object headers: a free-threaded build's are 16 bytes longer */
	__u16 ob_type;               /* PyObject.ob_type */
	__u16 bytes_size, bytes_sval;   /* PyBytesObject ob_size and ob_sval */
	__u16 str_state, str_length;    /* PyASCIIObject */
	__u16 frame_tlbc;            /* int32 tlbc_index (free-threaded 3.14), or NONE */
	__u8 exec_tag_mask;          /* tag bits of f_executable (3.14's _PyStackRef) */
	__u8 pad3[3];
	/* asyncio (3.14's _asyncio .AsyncioDebug): the thread's running task, shown as a frame
	 * "task NAME" at the root of its Python stack; NONE until _asyncio is loaded */
	__u16 tstate_aio_task;       /* _PyThreadStateImpl.asyncio_running_task */
	__u16 task_name;             /* TaskObj.task_name: a str, or an int until it is asked */
	__u32 pad4;
	__u64 str_type;              /* &PyUnicode_Type and &PyLong_Type, to tell them apart */
	__u64 long_type;
};

/* One Python frame: a code object and the index of its current instruction (code units;
 * -1: before the first). A code object's address may be reused by another after it is
 * freed: the tag (from its file and name objects' addresses) tells them apart. */
#define CT_PY_INDEX_UNKNOWN (-2)   /* the instruction is in a copy of the bytecode not followed */
#define CT_PY_INDEX_TASK    (-3)   /* not a code object: the running asyncio task */
struct ct_py_frame {
	__u64 code;
	__s32 index;
	__u32 tag;
};

/* A Python stack, innermost frame first; keyed by a 64-bit hash of its frames. */
struct ct_py_stack {
	__u32 tgid;
	__u32 nframes;
	struct ct_py_frame frames[CT_PY_DEPTH];
};

struct ct_py_code_key {
	__u32 tgid;
	__u32 tag;                   /* ct_py_frame.tag */
	__u64 code;
};

/* A code object's strings, read once when the walker first meets it. */
struct ct_py_code {
	__s32 firstlineno;
	__u32 linetable_len;         /* bytes copied (the table may be longer) */
	__u32 flags;                 /* CT_PYC_* */
	/* 0: name/file hold NUL-terminated ASCII; 1, 2 or 4: they hold *_units characters of
	 * that many bytes each (latin-1, UCS-2, UCS-4: CPython's compact str kinds) */
	__u8 name_kind, file_kind;
	__u8 name_units, file_units;
	char name[CT_PY_NAME];
	char file[CT_PY_FILE];
	__u8 linetable[CT_PY_LINETABLE];
};
#define CT_PYC_NAME_BAD   (1u << 0)  /* not a compact str: name unknown */
#define CT_PYC_FILE_BAD   (1u << 1)
#define CT_PYC_TABLE_CUT  (1u << 2)  /* the line table was longer than CT_PY_LINETABLE */
#define CT_PYC_TASK_NUM   (1u << 3)  /* a task named by its number (firstlineno): Task-N */

struct ct_lock_key {
	__u32 tgid;
	__u32 pad;
	__u64 uaddr;
};

struct ct_lock_val {
	__u64 waits;
	__u64 total_ns;
	__u64 max_ns;
};

/* One (lock, waiter, waker) pair: who handed a lock to whom. */
struct ct_edge_key {
	__u32 tgid;
	__u32 waiter;
	__u32 waker;
	__u32 pad;
	__u64 uaddr;
};

struct ct_edge_val {
	__u64 count;
	__u64 total_ns;
};

/* Stacks: on-CPU samples (reason CT_ONCPU) and off-CPU time by reason. A negative stack id
 * is a failed walk (-EFAULT: no user stack, -EEXIST/-ENOMEM: map full). */
struct ct_stack_key {
	__u32 tgid;
	__u32 tid;
	__s32 ustack;
	__s32 kstack;
	__u32 reason;
	__u32 pad;
	__u64 pystack;               /* py_stacks key, 0: no Python frames */
};

struct ct_stack_val {
	__u64 count;                 /* samples, or off-CPU periods */
	__u64 total_ns;              /* off-CPU time (0 for samples) */
};

struct ct_cpu {
	__u64 on_cpu_ns;             /* tracked tasks on this CPU */
	__u64 switches;              /* switches involving a tracked task */
};

/* Ring-buffer records; each starts with its type. */
enum ct_event_type {
	CT_EV_EXEC = 1,
	CT_EV_FORK = 2,              /* a new process (not a thread) */
	CT_EV_SWITCH = 3,            /* timeline: a switch involving a tracked task */
	CT_EV_WAKE = 4,              /* timeline: a tracked task was woken */
	CT_EV_GIL_WAIT = 6,          /* events: the first wait for a GIL (attach the futex
				      * tracepoints now) */
	CT_EV_GIL = 5,               /* timeline: prev_tid took (reason 1) or dropped (0) the
				      * GIL of prev_tgid, as far as its futex words show */
};

/* Timeline records (ring buffer `timeline`), written to the case's timeline.bin as is. */
struct ct_tl_rec {
	__u32 type;
	__u32 cpu;
	__u64 ts;
	__u32 prev_tid, prev_tgid;   /* WAKE: the waker */
	__u32 next_tid, next_tgid;   /* WAKE: the wakee */
	__u32 reason;                /* SWITCH: why prev left (CT_R_MAX: prev not tracked) */
	__u32 pad;
	/* SWITCH, with stacks on: the stack prev left the CPU in (stacks.json samples' "ids");
	 * -1, -1, 0 otherwise */
	__s32 ustack;
	__s32 kstack;
	__u64 pystack;
};

struct ct_event {
	__u32 type;
	__u32 tgid;
	__u32 tid;
	__u32 pad;
	__u64 ts;
};

/* Counters of everything that was not measured. Lives in .bss (`ct_stats`). */
struct ct_counters {
	__u64 threads_full;          /* a thread could not be added: map full */
	__u64 procs_full;
	__u64 locks_full;
	__u64 edges_full;
	__u64 events_dropped;
	__u64 par_underflow;         /* running count went negative (should not happen) */
	__u64 stacks_full;           /* a stack count could not be added: map full */
	__u64 stack_errors;          /* a stack walk failed (map full or no stack) */
	__u64 samples;               /* on-CPU samples of tracked tasks */
	__u64 timeline_dropped;      /* timeline records lost: ring buffer full */
	__u64 missed_switch_in;      /* a switch-out with no switch-in seen before it */
	__u64 stacks_reused;         /* off-CPU stacks taken from the thread's previous walk */
	/* the frame walker's (both programs' summed) */
	__u64 py_walks;              /* Python stacks walked */
	__u64 py_no_tstate;          /* a Python thread whose thread state was not found */
	__u64 py_truncated;          /* a Python stack deeper than CT_PY_DEPTH */
	__u64 py_codes_full;         /* a code object could not be interned: map full */
	__u64 py_stacks_full;
};

/* The frame walker's counters, one per BPF object (.bss `py_cnt`). */
struct ct_py_counts {
	__u64 walks, no_tstate, truncated, codes_full, stacks_full;
};

#endif
