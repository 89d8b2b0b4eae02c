/* Maps and helpers shared by bpf/sched.bpf.c and bpf/profile.bpf.c. Each object declares
 * them from here; the loader makes profile.bpf.c use the sched object's maps (reuse_fd). */
#ifndef CT_SHARED_BPF_H
#define CT_SHARED_BPF_H
#include <bpf/bpf_core_read.h>

/* A task is tracked when its TID has an entry here (the tracked set is the key set). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct ct_thread);
} threads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 16384);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, CT_STACK_DEPTH * sizeof(__u64));
} stack_traces SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ct_stack_key);
	__type(value, struct ct_stack_val);
} stack_counts SEC(".maps");

/* Add n periods (and ns of off-CPU time) to a stack's count; false when the map is full. */
static __always_inline bool stack_count_add_n(const struct ct_stack_key *k, __u64 n, __u64 ns)
{
	struct ct_stack_val *v, zero = {};

	v = bpf_map_lookup_elem(&stack_counts, k);
	if (!v) {
		if (bpf_map_update_elem(&stack_counts, k, &zero, BPF_NOEXIST) &&
		    !bpf_map_lookup_elem(&stack_counts, k))
			return false;
		v = bpf_map_lookup_elem(&stack_counts, k);
		if (!v)
			return true;
	}
	__sync_fetch_and_add(&v->count, n);
	if (ns)
		__sync_fetch_and_add(&v->total_ns, ns);
	return true;
}

static __always_inline bool stack_count_add(const struct ct_stack_key *k, __u64 ns)
{
	return stack_count_add_n(k, 1, ns);
}

/* Walk Python frames (conctrace --no-python-frames clears it; GIL figures stay) */
const volatile bool py_frames_enabled = true;

/* CPython processes: what the frame walker needs (set by the loader, inherited on fork). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct ct_py_proc);
} py_procs SEC(".maps");

/* Code objects met by the walker, read once each. Preallocated: a walk may meet a hundred
 * new ones at once, more than the allocator of non-preallocated maps holds ready while
 * interrupts are off (the updates failed with ENOMEM). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, struct ct_py_code_key);
	__type(value, struct ct_py_code);
} py_codes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct ct_py_stack);
} py_stacks SEC(".maps");

#define PY_BUF 256     /* at most this much of a frame or code object is read at once */
#define PY_STR_MAX 256 /* a power of two above every size py_read_str is given */
_Static_assert(CT_PY_NAME < PY_STR_MAX && CT_PY_FILE < PY_STR_MAX, "py_read_str's mask");
struct py_scratch {
	struct ct_py_stack st;
	__u8 fbuf[PY_BUF + 16];
	__u8 cbuf[PY_BUF + 16];
	struct ct_py_code code;
};

static __always_inline __u64 ld64(const __u8 *buf, __u32 off)
{
	return *(const __u64 *)(buf + (off & (PY_BUF - 1)));
}

/* per object, not shared: the walk builds its stack and new code entries here */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct py_scratch);
} py_scratch SEC(".maps");

static __always_inline __u64 py_read_ptr(__u64 addr)
{
	__u64 v = 0;

	if (bpf_probe_read_user(&v, sizeof(v), (void *)addr))
		return 0;
	return v;
}

/* The thread's PyThreadState: the cached one if it still names this thread, else a walk of
 * the main interpreter's thread list. current must be the thread. */
static __always_inline __u64 py_tstate(const struct ct_py_proc *pp, struct task_struct *task,
				       __u64 cached, bool *no_interp)
{
	__u64 want = pp->id_is_pthread ? BPF_CORE_READ(task, thread.fsbase) : (__u64)task->pid;
	__u64 ts, interp;

	if (cached && py_read_ptr(cached + pp->tstate_id) == want)
		return cached;
	interp = py_read_ptr(pp->interp_head);
	if (!interp) {
		*no_interp = true;   /* libpython mapped, Python not running (yet) */
		return 0;
	}
	ts = py_read_ptr(interp + pp->interp_tstate_head);
	for (int i = 0; i < 128 && ts; i++) {
		if (py_read_ptr(ts + pp->tstate_id) == want)
			return ts;
		ts = py_read_ptr(ts + pp->tstate_next);
	}
	return 0;
}

/* The current thread's PyThreadState (cached in t), 0 when it has none. A thread without one
 * (a program that embeds libpython without running Python, like perf; a native thread) is
 * looked up again only every 20 ms: at once where Python is not running at all, else after
 * 16 misses, because a new thread is not bound to its thread state at its first switches
 * and must not miss the wait that follows. */
static __always_inline __u64 py_thread_state(const struct ct_py_proc *pp, struct ct_thread *t,
					     struct task_struct *task, __u64 now,
					     struct ct_py_counts *cnt)
{
	bool no_interp = false;

	if (now < t->py_retry_ns)
		return 0;
	t->py_tstate = py_tstate(pp, task, t->py_tstate, &no_interp);
	if (!t->py_tstate) {
		if (no_interp || ++t->py_misses > 16)
			t->py_retry_ns = now + 20000000;
		__sync_fetch_and_add(&cnt->no_tstate, 1);
	}
	return t->py_tstate;
}

/* Whether the thread state ts holds the GIL now: locked, and last_holder is ts. */
static __always_inline bool py_holds_gil(const struct ct_py_proc *pp, __u64 ts)
{
	__u32 locked = 0;

	if (!pp->gil)
		return false;
	bpf_probe_read_user(&locked, sizeof(locked), (void *)(pp->gil + pp->gil_locked));
	return locked && py_read_ptr(pp->gil + pp->gil_holder) == ts;
}

/* Copy a compact str's text, keeping the tail of a long one (the end of a path names the
 * file). ASCII is copied NUL-terminated and *kind set to 0; other text is copied raw, *kind
 * set to its bytes per character (1, 2, 4) and *units to the characters copied, for the
 * loader to encode as UTF-8. false if it is not a compact str. */
static __always_inline bool py_read_str(const struct ct_py_proc *pp, __u64 str, char *dst,
					__u32 size, __u8 *kind, __u8 *units)
{
	__u32 state = 0, k, n;
	__s64 len = 0;
	__u64 data;

	*kind = 0;
	*units = 0;
	if (!str || bpf_probe_read_user(&state, sizeof(state), (void *)(str + pp->str_state)) ||
	    bpf_probe_read_user(&len, sizeof(len), (void *)(str + pp->str_length)))
		return false;
	/* state: interned:2, kind:3, compact:1, ascii:1 */
	if (!(state & (1u << 5)) || len < 0)
		return false;
	if (state & (1u << 6)) {
		data = str + pp->str_ascii;
		if (len >= size)
			data += len - (size - 1);
		return bpf_probe_read_user_str(dst, size, (void *)data) > 0;
	}
	k = (state >> 2) & 7;
	if ((k != 1 && k != 2 && k != 4) || pp->str_compact == CT_PY_NONE)
		return false;
	n = size / k;
	if (len < n)
		n = len;
	data = str + pp->str_compact + (len - n) * k;
	n *= k;
	if (n > size)
		return false;
	/* the mask changes nothing (n <= size < PY_STR_MAX) but bounds n for verifiers that
	 * lose the test above across a 32-bit spill (6.1: "R2 unbounded memory access") */
	barrier_var(n);   /* else clang drops the mask it proves useless */
	if (bpf_probe_read_user(dst, n & (PY_STR_MAX - 1), (void *)data))
		return false;
	*kind = k;
	*units = n / k;
	return true;
}

/* The scratch code record starts empty for every new entry (it is per-CPU scratch). */
static __always_inline void py_code_reset(struct ct_py_code *c)
{
	c->flags = 0;
	c->firstlineno = 0;
	c->linetable_len = 0;
	c->name[0] = 0;
	c->file[0] = 0;
	c->file_kind = c->file_units = 0;
}

static __always_inline void py_intern(const struct ct_py_proc *pp, struct py_scratch *sc,
				      __u32 tgid, __u64 code, __u32 tag, struct ct_py_counts *cnt)
{
	struct ct_py_code_key key = { .tgid = tgid, .tag = tag, .code = code };
	struct ct_py_code *c = &sc->code;
	__u64 lt;
	__s64 size = 0;
	__u32 len;

	if (bpf_map_lookup_elem(&py_codes, &key))
		return;
	py_code_reset(c);
	bpf_probe_read_user(&c->firstlineno, sizeof(c->firstlineno),
			    (void *)(code + pp->code_firstlineno));
	if (!py_read_str(pp, py_read_ptr(code + pp->code_name), c->name, CT_PY_NAME,
			 &c->name_kind, &c->name_units))
		c->flags |= CT_PYC_NAME_BAD;
	if (!py_read_str(pp, py_read_ptr(code + pp->code_filename), c->file, CT_PY_FILE,
			 &c->file_kind, &c->file_units))
		c->flags |= CT_PYC_FILE_BAD;
	/* co_linetable is a bytes object */
	lt = py_read_ptr(code + pp->code_linetable);
	if (lt && !bpf_probe_read_user(&size, sizeof(size), (void *)(lt + pp->bytes_size)) &&
	    size > 0) {
		len = size > CT_PY_LINETABLE ? CT_PY_LINETABLE : (__u32)size;
		if (size > CT_PY_LINETABLE)
			c->flags |= CT_PYC_TABLE_CUT;
		/* one upper bound on the register passed: a (len > 0 && len <= N) test is
		 * compiled to (len - 1 <= N - 1) on a copy, which the 6.1 verifier does not
		 * carry over to len ("R2 unbounded memory access"); size > 0 already */
		barrier_var(len);
		if (len <= CT_PY_LINETABLE &&
		    !bpf_probe_read_user(c->linetable, len, (void *)(lt + pp->bytes_sval)))
			c->linetable_len = len;
	}
	if (bpf_map_update_elem(&py_codes, &key, c, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&py_codes, &key))
		__sync_fetch_and_add(&cnt->codes_full, 1);
}

struct py_walk_ctx {
	const struct ct_py_proc *pp;
	struct py_scratch *sc;
	struct ct_py_counts *cnt;
	__u64 frame;
	__u64 hash;
	__u32 tgid;
	__u32 n;
	__u32 frame_read, code_read;   /* bytes of a frame and of a code object read */
};

/* One frame: the frame header and the code object's header are each read in one go (the
 * fields the walker needs lie in their first PY_BUF bytes). */
static long py_walk_step(__u64 i, void *arg)
{
	struct py_walk_ctx *w = arg;
	const struct ct_py_proc *pp = w->pp;
	struct py_scratch *sc = w->sc;
	__u64 frame = w->frame, code, name, file, text = 0, ip;
	__u32 fr = w->frame_read, cr = w->code_read, n, tag;
	__s32 index, first;

	if (!frame)
		return 1;
	w->frame = 0;
	if (fr == 0 || fr > PY_BUF || bpf_probe_read_user(sc->fbuf, fr, (void *)frame))
		return 1;
	/* 3.14's f_executable is a tagged _PyStackRef */
	code = ld64(sc->fbuf, pp->frame_code) & ~(__u64)pp->exec_tag_mask;
	w->frame = ld64(sc->fbuf, pp->frame_back);
	if (pp->frame_owner != CT_PY_NONE &&
	    sc->fbuf[pp->frame_owner & (PY_BUF - 1)] >= pp->owner_skip)
		return 0;   /* the interpreter's entry shim, or a frame on the C stack */
	if (!code || cr == 0 || cr > PY_BUF || bpf_probe_read_user(sc->cbuf, cr, (void *)code) ||
	    ld64(sc->cbuf, pp->ob_type) != pp->code_type)
		return 0;
	if (pp->frame_tlbc != CT_PY_NONE &&
	    *(const __s32 *)(sc->fbuf + (pp->frame_tlbc & (PY_BUF - 1))) != 0) {
		/* free-threaded: a thread's own copy of the bytecode, not co_code_adaptive */
		index = CT_PY_INDEX_UNKNOWN;
	} else if (pp->code_adaptive == CT_PY_NONE) {
		index = (__s32)ld64(sc->fbuf, pp->frame_instr);
	} else {
		ip = ld64(sc->fbuf, pp->frame_instr);
		/* code units of 2 bytes; an arithmetic shift keeps -1 (before the first) */
		index = ip ? (__s32)((__s64)(ip - (code + pp->code_adaptive)) >> 1) : -1;
	}
	/* A code object may take the address of a freed one, and its strings the addresses of
	 * the freed one's: the tag mixes those addresses with the first line and the first 8
	 * bytes of the name, so that a new code object is interned anew. */
	file = ld64(sc->cbuf, pp->code_filename);
	name = ld64(sc->cbuf, pp->code_name);
	first = (__s32)ld64(sc->cbuf, pp->code_firstlineno);
	if (name)
		bpf_probe_read_user(&text, sizeof(text), (void *)(name + pp->str_ascii));
	__u64 mix = (file ^ (name * 0x9e3779b97f4a7c15ULL) ^ (text * 0xff51afd7ed558ccdULL)) +
		    (__u32)first;
	tag = (__u32)(mix >> 32) ^ (__u32)mix;
	n = w->n;
	if (n >= CT_PY_DEPTH) {
		__sync_fetch_and_add(&w->cnt->truncated, 1);
		return 1;
	}
	sc->st.frames[n].code = code;
	sc->st.frames[n].index = index;
	sc->st.frames[n].tag = tag;
	w->n = n + 1;
	w->hash = (w->hash ^ code) * 0x100000001b3ULL;
	w->hash = (w->hash ^ (__u32)index) * 0x100000001b3ULL;
	w->hash = (w->hash ^ tag) * 0x100000001b3ULL;
	py_intern(pp, sc, w->tgid, code, tag, w->cnt);
	return 0;
}

/* The running asyncio task as the outermost frame: its name read once per (task, name). */
static __always_inline void py_task_frame(const struct ct_py_proc *pp, struct py_walk_ctx *w,
					  __u64 tstate)
{
	struct py_scratch *sc = w->sc;
	struct ct_py_code *c = &sc->code;
	struct ct_py_code_key key = { .tgid = w->tgid };
	__u64 task, name, type;
	__u32 n = w->n, tag;

	if (pp->tstate_aio_task == CT_PY_NONE || n >= CT_PY_DEPTH)
		return;
	task = py_read_ptr(tstate + pp->tstate_aio_task);
	if (!task)
		return;
	name = py_read_ptr(task + pp->task_name);
	tag = (__u32)(name >> 4) ^ (__u32)(task >> 36) ^ 0x7a5c0000;
	sc->st.frames[n].code = task;
	sc->st.frames[n].index = CT_PY_INDEX_TASK;
	sc->st.frames[n].tag = tag;
	w->n = n + 1;
	w->hash = (w->hash ^ task) * 0x100000001b3ULL;
	w->hash = (w->hash ^ tag) * 0x100000001b3ULL;
	key.tag = tag;
	key.code = task;
	if (bpf_map_lookup_elem(&py_codes, &key))
		return;
	py_code_reset(c);
	type = name ? py_read_ptr(name + pp->ob_type) : 0;
	if (type && type == pp->str_type) {
		if (!py_read_str(pp, name, c->name, CT_PY_NAME, &c->name_kind, &c->name_units))
			c->flags |= CT_PYC_NAME_BAD;
	} else if (type && type == pp->long_type) {
		/* a compact int (3.12+): lv_tag then 30-bit digits; small task numbers fit one */
		__u64 lv = py_read_ptr(name + pp->str_length);
		__u32 digit = 0;

		bpf_probe_read_user(&digit, sizeof(digit), (void *)(name + pp->str_length + 8));
		c->firstlineno = (__s32)(digit & 0x3fffffff);
		c->flags |= (lv >> 3) == 1 ? CT_PYC_TASK_NUM : CT_PYC_NAME_BAD;
	} else {
		c->flags |= CT_PYC_NAME_BAD;
	}
	c->flags |= CT_PYC_FILE_BAD;
	if (bpf_map_update_elem(&py_codes, &key, c, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&py_codes, &key))
		__sync_fetch_and_add(&w->cnt->codes_full, 1);
}

static __always_inline __u32 max_u32(__u32 a, __u32 b)
{
	return a > b ? a : b;
}

/* Walk the Python frames of the current thread (innermost first) into py_stacks; returns the
 * stack's key, 0 if it has none. */
static __always_inline __u64 py_walk(const struct ct_py_proc *pp, __u32 tgid, __u64 tstate,
				     struct ct_py_counts *cnt)
{
	__u32 zero = 0;
	struct py_scratch *sc = bpf_map_lookup_elem(&py_scratch, &zero);
	struct py_walk_ctx w = { .pp = pp, .sc = sc, .cnt = cnt, .tgid = tgid,
				 .hash = 0xcbf29ce484222325ULL };

	if (!sc || !tstate)
		return 0;
	w.frame_read = max_u32(max_u32(pp->frame_code, pp->frame_back), pp->frame_instr) + 8;
	if (pp->frame_owner != CT_PY_NONE)
		w.frame_read = max_u32(w.frame_read, pp->frame_owner + 1);
	if (pp->frame_tlbc != CT_PY_NONE)
		w.frame_read = max_u32(w.frame_read, pp->frame_tlbc + 4);
	w.code_read = max_u32(max_u32(pp->code_filename, pp->code_name),
			      max_u32(pp->code_firstlineno, pp->ob_type)) + 8;
	w.frame = py_read_ptr(tstate + pp->tstate_frame);
	if (w.frame && pp->cframe_frame != CT_PY_NONE)
		w.frame = py_read_ptr(w.frame + pp->cframe_frame);
	if (!w.frame)
		return 0;
	__sync_fetch_and_add(&cnt->walks, 1);
	bpf_loop(CT_PY_DEPTH + 16, py_walk_step, &w, 0);
	if (!w.n)
		return 0;
	py_task_frame(pp, &w, tstate);
	sc->st.tgid = tgid;
	sc->st.nframes = w.n;
	w.hash ^= (__u64)tgid << 32;
	if (!w.hash)
		w.hash = 1;
	if (!bpf_map_lookup_elem(&py_stacks, &w.hash) &&
	    bpf_map_update_elem(&py_stacks, &w.hash, &sc->st, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&py_stacks, &w.hash)) {
		__sync_fetch_and_add(&cnt->stacks_full, 1);
		return 0;
	}
	return w.hash;
}

#endif
