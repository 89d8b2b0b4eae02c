// SPDX-License-Identifier: GPL-2.0
/* Scheduler and futex accounting of the tracked process trees, aggregated in the kernel.
 * Untracked tasks cost one task-storage lookup per side of a switch and nothing else. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "conctrace/sched.h"
#include "shared.bpf.h"
#include "core_fixes.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define TASK_RUNNING 0
#define TASK_DEAD    0x80

#define FUTEX_WAIT              0
#define FUTEX_LOCK_PI           6
#define FUTEX_WAIT_BITSET       9
#define FUTEX_WAIT_REQUEUE_PI   11
#define FUTEX_LOCK_PI2          13
#define FUTEX_CMD_MASK          (~(128 | 256))
#define NR_futex                202
#define NR_futex_waitv          449
#define NR_futex_wait           455

/* Filled by the loader before load: syscall number -> enum ct_reason (+1; 0 = other). */
const volatile __u8 syscall_reason[CT_NR_SYSCALLS] = {};
const volatile bool stacks_enabled = false;
const volatile bool timeline_enabled = false;
/* the benchmark's floor: every program returns at once (conctrace record --bench-floor) */
const volatile bool bench_floor = false;


struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct ct_proc);
} procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct ct_gil_range);
} gil_ranges SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct ct_lock_key);
	__type(value, struct ct_lock_val);
} locks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32768);
	__type(key, struct ct_edge_key);
	__type(value, struct ct_edge_val);
} edges SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CT_MAX_CPUS);
	__type(key, __u32);
	__type(value, struct ct_cpu);
} cpus SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

/* sized by the loader when the timeline is on */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} timeline SEC(".maps");

/* Parallelism profile: how long k tracked threads were on a CPU at once.
 * Updated with atomics only; the intervals telescope, so the sum is exact. */
__s64 running;
__u64 par_last_ns;
__s64 par_ns[CT_MAX_PAR + 1];
struct ct_counters counters;
struct ct_py_counts py_cnt;
__u32 gil_wait_seen;         /* CT_EV_GIL_WAIT sent */
/* never written: the initial value of a new thread entry (too big for the BPF stack) */
struct ct_thread zero_thread;

static __always_inline struct ct_thread *tracked(struct task_struct *task)
{
	__u32 tid = task->pid;

	return bpf_map_lookup_elem(&threads, &tid);
}

static __always_inline void par_change(__s64 delta, __u64 now)
{
	__s64 old = __sync_fetch_and_add(&running, delta);
	__u64 prev = __sync_lock_test_and_set(&par_last_ns, now);
	__s64 idx = old;

	if (idx < 0) {
		__sync_fetch_and_add(&counters.par_underflow, 1);
		idx = 0;
	}
	if (idx > CT_MAX_PAR)
		idx = CT_MAX_PAR;
	__sync_fetch_and_add(&par_ns[idx], (__s64)(now - prev));
}

static __always_inline __u32 log2_slot(__u64 v)
{
	__u32 r = 0;

	/* unrolled binary search for floor(log2(v)) */
	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8)  { v >>= 8;  r += 8; }
	if (v >> 4)  { v >>= 4;  r += 4; }
	if (v >> 2)  { v >>= 2;  r += 2; }
	if (v >> 1)  { r += 1; }
	return r >= CT_HIST_SLOTS ? CT_HIST_SLOTS - 1 : r;
}

static __always_inline bool is_lock_reason(__u32 r)
{
	return r == CT_R_LOCK || r == CT_R_GIL || r == CT_R_GIL_HANDOFF;
}

/* Why prev blocks: read from its user registers at syscall entry. prev is current here. */
static __always_inline __u32 classify(struct task_struct *prev, struct pt_regs *regs,
					__u64 *uaddr)
{
	long nr;
	__u64 addr = 0;
	__u32 op;

	if (!regs)
		return CT_R_OTHER;
	/* regs is a BTF pointer: direct loads, no helper call */
	nr = regs->orig_ax;
	if (nr == NR_futex) {
		op = regs->si & FUTEX_CMD_MASK;
		if (op != FUTEX_WAIT && op != FUTEX_WAIT_BITSET && op != FUTEX_LOCK_PI &&
		    op != FUTEX_LOCK_PI2 && op != FUTEX_WAIT_REQUEUE_PI)
			return CT_R_OTHER;
		addr = regs->di;
	} else if (nr == NR_futex_wait) {
		addr = regs->di;
	} else if (nr == NR_futex_waitv) {
		/* struct futex_waitv { u64 val; u64 uaddr; ... }: key the wait on the first word */
		bpf_probe_read_user(&addr, sizeof(addr), (void *)(regs->di + 8));
	} else if (nr >= 0 && nr < CT_NR_SYSCALLS) {
		__u8 r = syscall_reason[nr];

		return r ? r - 1 : CT_R_OTHER;
	} else {
		return CT_R_OTHER;
	}

	*uaddr = addr;
	__u32 tgid = prev->tgid;
	struct ct_gil_range *g = bpf_map_lookup_elem(&gil_ranges, &tgid);
	if (g) {
		if (addr >= g->gil_lo && addr < g->gil_hi)
			return CT_R_GIL;
		if (addr >= g->handoff_lo && addr < g->handoff_hi)
			return CT_R_GIL_HANDOFF;
	}
	return CT_R_LOCK;
}

static __always_inline void account_lock(struct ct_thread *t, __u64 waited)
{
	struct ct_lock_key lk = { .tgid = t->tgid, .uaddr = t->futex_uaddr };
	struct ct_lock_val *lv, lzero = {};
	struct ct_edge_key ek = { .tgid = t->tgid, .waiter = t->tid, .waker = t->waker_tid,
				  .uaddr = t->futex_uaddr };
	struct ct_edge_val *ev, ezero = {};

	lv = bpf_map_lookup_elem(&locks, &lk);
	if (!lv) {
		if (bpf_map_update_elem(&locks, &lk, &lzero, BPF_NOEXIST) &&
		    !bpf_map_lookup_elem(&locks, &lk)) {
			__sync_fetch_and_add(&counters.locks_full, 1);
			goto edge;
		}
		lv = bpf_map_lookup_elem(&locks, &lk);
		if (!lv)
			goto edge;
	}
	__sync_fetch_and_add(&lv->waits, 1);
	__sync_fetch_and_add(&lv->total_ns, waited);
	if (waited > lv->max_ns)
		lv->max_ns = waited;
edge:
	ev = bpf_map_lookup_elem(&edges, &ek);
	if (!ev) {
		if (bpf_map_update_elem(&edges, &ek, &ezero, BPF_NOEXIST) &&
		    !bpf_map_lookup_elem(&edges, &ek)) {
			__sync_fetch_and_add(&counters.edges_full, 1);
			return;
		}
		ev = bpf_map_lookup_elem(&edges, &ek);
		if (!ev)
			return;
	}
	__sync_fetch_and_add(&ev->count, 1);
	__sync_fetch_and_add(&ev->total_ns, waited);
}

/* Off-CPU time goes to the thread's pending stack while the stack stays the same (a loop that
 * blocks in one place), and to the shared map only when it changes: no map update per switch.
 * The loader adds what is still pending when it collects. */
static __always_inline void count_stack(struct ct_thread *t, __u32 reason, __u64 ns)
{
	if (t->pend_count && t->pend_ustack == t->ustack && t->pend_kstack == t->kstack &&
	    t->pend_pystack == t->pystack && t->pend_reason == reason) {
		t->pend_count++;
		t->pend_ns += ns;
		return;
	}
	if (t->pend_count) {
		struct ct_stack_key k = { .tgid = t->tgid, .tid = t->tid, .ustack = t->pend_ustack,
					  .kstack = t->pend_kstack, .reason = t->pend_reason,
					  .pystack = t->pend_pystack };

		if (!stack_count_add_n(&k, t->pend_count, t->pend_ns))
			__sync_fetch_and_add(&counters.stacks_full, 1);
	}
	t->pend_ustack = t->ustack;
	t->pend_kstack = t->kstack;
	t->pend_pystack = t->pystack;
	t->pend_reason = reason;
	t->pend_count = 1;
	t->pend_ns = ns;
}

/* prev is current: its stacks are the ones it blocks (or is preempted) in. Walking them costs
 * microseconds, so a thread that leaves the CPU again from the same place reuses the ids of
 * its previous walk: a loop that blocks in one place pays for one walk. The kernel stack is
 * reused when the user ip, sp, syscall and reason are the same; the user stack when the
 * frame pointer is the same too (in code built without frame pointers rbp is just another
 * register, and changes from one switch to the next). */
static __always_inline void take_stacks(void *ctx, struct ct_thread *t, struct pt_regs *regs)
{
	__u64 ksig = 0, usig = 0;

	if (regs) {
		ksig = regs->ip ^ (regs->sp << 1) ^ ((__u64)regs->orig_ax << 48) ^
		       ((__u64)t->off_reason << 56);
		usig = ksig ^ (regs->bp << 2);
	}
	if (!regs || ksig != t->kstack_sig || t->kstack < 0) {
		t->kstack = bpf_get_stackid(ctx, &stack_traces, 0);
		t->kstack_sig = ksig;
		if (t->kstack < 0)
			__sync_fetch_and_add(&counters.stack_errors, 1);
	}
	if (!regs || usig != t->stack_sig || t->ustack < 0) {
		t->ustack = bpf_get_stackid(ctx, &stack_traces, BPF_F_USER_STACK);
		t->stack_sig = usig;
		if (t->ustack < 0)
			__sync_fetch_and_add(&counters.stack_errors, 1);
	}
}

/* A Python thread's frames are walked at every switch-out: its native stack (ip, sp, bp) can
 * be the same for different Python callers, so the native reuse does not apply. */
static __always_inline void take_py_stack(struct ct_thread *t, struct task_struct *prev,
					  __u64 now)
{
	__u32 tgid = t->tgid;
	struct ct_py_proc *pp;

	t->pystack = 0;
	t->gil_held_out = 0;
	if (now < t->py_retry_ns)
		return;   /* backed off (py_thread_state): not even the map lookup */
	pp = bpf_map_lookup_elem(&py_procs, &tgid);
	if (!pp || !py_thread_state(pp, t, prev, now, &py_cnt))
		return;
	if (py_frames_enabled)
		t->pystack = py_walk(pp, tgid, t->py_tstate, &py_cnt);
	t->gil_held_out = py_holds_gil(pp, t->py_tstate);
}

static __always_inline void tl_emit_stack(__u32 type, __u32 cpu, __u64 ts, __u32 ptid,
					  __u32 ptgid, __u32 ntid, __u32 ntgid, __u32 reason,
					  __s32 ustack, __s32 kstack, __u64 pystack)
{
	struct ct_tl_rec *r = bpf_ringbuf_reserve(&timeline, sizeof(*r), 0);

	if (!r) {
		__sync_fetch_and_add(&counters.timeline_dropped, 1);
		return;
	}
	r->type = type;
	r->cpu = cpu;
	r->ts = ts;
	r->prev_tid = ptid;
	r->prev_tgid = ptgid;
	r->next_tid = ntid;
	r->next_tgid = ntgid;
	r->reason = reason;
	r->pad = 0;
	r->ustack = ustack;
	r->kstack = kstack;
	r->pystack = pystack;
	bpf_ringbuf_submit(r, 0);
}

static __always_inline void tl_emit(__u32 type, __u32 cpu, __u64 ts, __u32 ptid, __u32 ptgid,
				    __u32 ntid, __u32 ntgid, __u32 reason)
{
	tl_emit_stack(type, cpu, ts, ptid, ptgid, ntid, ntgid, reason, -1, -1, 0);
}

/* ---- the GIL, from its futex words ----
 * A thread that must wait for the GIL waits on gil.cond (and gil.mutex) until it takes it: one
 * acquisition, from its first wait to the end of its last. It ends when the thread does
 * anything else: another futex call, or leaving the CPU for another reason. The holder drops
 * a contended GIL with a wake on gil.cond, and a forced drop with a wait on switch_cond. */
static __always_inline void gil_acquired(struct ct_thread *t)
{
	__u64 d, end;

	if (!t->gil_ep_start)
		return;
	/* An episode whose wait has not ended yet (or ended in an earlier episode) took the GIL
	 * without waiting: it ends where it started, never at time 0. */
	end = t->gil_wait_end > t->gil_ep_start ? t->gil_wait_end : t->gil_ep_start;
	d = end - t->gil_ep_start;
	t->gil_acquisitions++;
	t->gil_acq_wait_ns += d;
	if (d > t->gil_acq_max_ns)
		t->gil_acq_max_ns = d;
	t->gil_acq_hist[log2_slot(d ? d : 1)]++;
	if (timeline_enabled)
		tl_emit(CT_EV_GIL, bpf_get_smp_processor_id(), end, t->tid, t->tgid, 0, 0, 1);
	t->gil_ep_start = 0;
}

static __always_inline void gil_dropped(struct ct_thread *t)
{
	if (timeline_enabled)
		tl_emit(CT_EV_GIL, bpf_get_smp_processor_id(), bpf_ktime_get_ns(), t->tid, t->tgid,
			0, 0, 0);
}

static __always_inline void emit(__u32 type, __u32 tgid, __u32 tid, __u64 ts)
{
	struct ct_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		__sync_fetch_and_add(&counters.events_dropped, 1);
		return;
	}
	e->type = type;
	e->tgid = tgid;
	e->tid = tid;
	e->pad = 0;
	e->ts = ts;
	bpf_ringbuf_submit(e, 0);
}

#define FUTEX_WAKE 1

/* Returns why prev left the CPU (CT_R_MAX: not accounted). */
static __always_inline __u32 switch_out(void *ctx, struct ct_thread *t, struct task_struct *prev,
					bool preempt, unsigned int prev_state, __u64 now, __u32 cpu,
					__s64 *par)
{
	struct ct_cpu *c;

	/* A thread never runs after its final (TASK_DEAD) switch: an entry that matches a task
	 * after it is a reused TID. (Exiting threads may still block and run again after
	 * sched_process_exit, so "exited" is not enough.) */
	if (t->flags & CT_TF_DEAD)
		return CT_R_MAX;

	/* The slice comes from the kernel's own runtime counter (already updated by
	 * put_prev_task when this tracepoint fires): exact, and right even when the
	 * switch-in before it was not seen (that happens rarely, and is counted). */
	{
		__u64 sum = prev->se.sum_exec_runtime;
		__u64 d = sum - t->last_sum_exec;

		if (!t->last_in_ns && !(t->flags & CT_TF_ATTACHED))
			__sync_fetch_and_add(&counters.missed_switch_in, 1);
		if (t->last_sum_exec || !(t->flags & CT_TF_ATTACHED)) {
			t->on_cpu_ns += d;
			c = bpf_map_lookup_elem(&cpus, &cpu);
			if (c)
				c->on_cpu_ns += d;
		}
		t->last_sum_exec = sum;
		t->flags &= ~CT_TF_ATTACHED;
	}
	t->last_in_ns = 0;
	if (t->flags & CT_TF_ONCPU) {
		t->flags &= ~CT_TF_ONCPU;
		*par -= 1;
	}
	if (prev_state & TASK_DEAD) {
		/* The final switch of an exiting task. The kernel's rusage keeps it only for a
		 * group leader (reaped later by wait); other threads are released before it. */
		if (t->tid == t->tgid)
			t->nvcsw++;
		t->off_start_ns = 0;
		t->flags |= CT_TF_DEAD;
		return CT_R_MAX;
	}
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(prev);

	if (preempt || prev_state == TASK_RUNNING) {
		t->nivcsw++;
		t->off_reason = CT_R_PREEMPTED;
		t->runq_start_ns = now;
	} else {
		__u64 uaddr = 0;

		t->nvcsw++;
		t->off_reason = regs ? classify(prev, regs, &uaddr) : CT_R_OTHER;
		t->futex_uaddr = uaddr;
		if (t->gil_ep_start && t->off_reason != CT_R_GIL)
			gil_acquired(t);
		if (t->off_reason == CT_R_GIL && !gil_wait_seen &&
		    !__sync_lock_test_and_set(&gil_wait_seen, 1))
			emit(CT_EV_GIL_WAIT, t->tgid, t->tid, now);
		t->runq_start_ns = 0;
		t->waker_tid = 0;
	}
	t->off_start_ns = now;
	if (stacks_enabled) {
		take_stacks(ctx, t, regs);
		take_py_stack(t, prev, now);
	}
	return t->off_reason;
}

static __always_inline void switch_in(struct ct_thread *t, __u64 now, __u32 cpu, __s64 *par)
{
	__u32 r;

	if (t->flags & CT_TF_DEAD)
		return;
	t->last_in_ns = now;
	if (t->off_start_ns) {
		__u64 d = now - t->off_start_ns;

		r = t->off_reason;
		if (r < CT_R_MAX) {
			t->off_ns[r] += d;
			t->off_count[r]++;
		}
		if (is_lock_reason(r))
			account_lock(t, d);
		if (t->gil_held_out)
			t->gil_held_off_ns += d;
		if (stacks_enabled && r < CT_R_MAX)
			count_stack(t, r, d);
		t->off_start_ns = 0;
	}
	if (t->runq_start_ns) {
		__u64 d = now - t->runq_start_ns;

		t->runq_ns += d;
		t->runq_count++;
		if (d > t->runq_max_ns)
			t->runq_max_ns = d;
		t->runq_hist[log2_slot(d)]++;
		t->runq_start_ns = 0;
	}
	if ((t->flags & CT_TF_SEEN_CPU) && t->last_cpu != cpu)
		t->migrations++;
	t->last_cpu = cpu;
	t->flags |= CT_TF_SEEN_CPU;
	if (cpu < CT_MAX_CPUS)
		t->cpus[(cpu / 64) & (CT_MAX_CPUS / 64 - 1)] |= 1ULL << (cpu % 64);
	if (!(t->flags & CT_TF_ONCPU)) {
		t->flags |= CT_TF_ONCPU;
		*par += 1;
	}
}

SEC("tracepoint/syscalls/sys_enter_futex")
int ct_futex_enter(struct syscall_trace_enter *ctx)
{
	struct ct_thread *t;
	struct ct_gil_range *g;
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), tgid, op;
	__u64 uaddr;

	if (bench_floor)
		return 0;
	t = bpf_map_lookup_elem(&threads, &tid);
	if (!t)
		return 0;
	tgid = t->tgid;
	g = bpf_map_lookup_elem(&gil_ranges, &tgid);
	if (!g)
		return 0;
	uaddr = ctx->args[0];
	op = ctx->args[1] & FUTEX_CMD_MASK;
	if (uaddr >= g->gil_lo && uaddr < g->gil_hi) {
		if (op == FUTEX_WAIT || op == FUTEX_WAIT_BITSET) {
			if (!t->gil_ep_start)
				t->gil_ep_start = bpf_ktime_get_ns();
			t->gil_futex = uaddr;
		} else if (op == FUTEX_WAKE && uaddr < g->gil_lo + 0x30) {
			/* a wake on gil.cond comes from drop_gil: this thread held the GIL */
			gil_acquired(t);
			gil_dropped(t);
		}
		return 0;
	}
	gil_acquired(t);
	if (uaddr >= g->handoff_lo && uaddr < g->handoff_lo + 0x30 && op != FUTEX_WAKE) {
		/* the holder waits on switch_cond for the thread that asked it to drop */
		t->gil_forced_drops++;
		gil_dropped(t);
	}
	return 0;
}

#define ETIMEDOUT 110

SEC("tracepoint/syscalls/sys_exit_futex")
int ct_futex_exit(struct syscall_trace_exit *ctx)
{
	struct ct_thread *t;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	if (bench_floor)
		return 0;
	t = bpf_map_lookup_elem(&threads, &tid);
	if (!t || !t->gil_futex)
		return 0;
	t->gil_wait_end = bpf_ktime_get_ns();
	if (ctx->ret == -ETIMEDOUT)
		t->gil_drop_requests++;
	t->gil_futex = 0;
	return 0;
}

/* Not BPF_PROG: that reads every argument up front, and prev_state is not one before 5.18
 * (core_fixes.bpf.h). */
SEC("tp_btf/sched_switch")
int ct_switch(unsigned long long *ctx)
{
	bool preempt = (bool)ctx[0];
	struct task_struct *prev = (struct task_struct *)ctx[1];
	struct task_struct *next = (struct task_struct *)ctx[2];
	struct ct_thread *tp, *tn;
	__u32 cpu, reason = CT_R_MAX;
	__u64 now;

	if (bench_floor)
		return 0;
	tp = tracked(prev);
	tn = tracked(next);
	/* keep clang from testing (tp | tn): the verifier rejects arithmetic on pointers */
	if (!tp) {
		barrier_var(tn);
		if (!tn)
			return 0;
	}
	now = bpf_ktime_get_ns();
	cpu = bpf_get_smp_processor_id();
	/* one change of the running count per switch, none when a traced thread replaces
	 * another (the atomics on shared globals are the dearest part of a switch) */
	__s64 par = 0;

	if (tp)
		reason = switch_out(ctx, tp, prev, preempt, ct_switch_prev_state(ctx, prev), now,
				    cpu, &par);
	if (tn)
		switch_in(tn, now, cpu, &par);
	if (par)
		par_change(par, now);
	if (timeline_enabled) {
		if (tp && stacks_enabled && reason < CT_R_MAX)
			tl_emit_stack(CT_EV_SWITCH, cpu, now, prev->pid, prev->tgid, next->pid,
				      next->tgid, reason, tp->ustack, tp->kstack, tp->pystack);
		else
			tl_emit(CT_EV_SWITCH, cpu, now, prev->pid, prev->tgid, next->pid, next->tgid,
				reason);
	}
	struct ct_cpu *c = bpf_map_lookup_elem(&cpus, &cpu);
	if (c)
		c->switches++;
	return 0;
}

/* sched_waking runs in the waker's context (sched_wakeup may run on the target CPU). */
SEC("tp_btf/sched_waking")
int BPF_PROG(ct_waking, struct task_struct *p)
{
	struct ct_thread *t = tracked(p);
	__u32 tid = p->pid;

	if (!t)
		return 0;
	__u64 id = bpf_get_current_pid_tgid(), now = bpf_ktime_get_ns();

	t->waker_tid = (__u32)id;
	if (!t->runq_start_ns)
		t->runq_start_ns = now;
	if (timeline_enabled)
		tl_emit(CT_EV_WAKE, bpf_get_smp_processor_id(), now, (__u32)id, id >> 32, tid,
			p->tgid, 0);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(ct_wakeup_new, struct task_struct *p)
{
	struct ct_thread *t = tracked(p);

	if (t)
		t->runq_start_ns = bpf_ktime_get_ns();
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(ct_fork, struct task_struct *parent, struct task_struct *child)
{
	struct ct_thread *th;
	struct ct_proc *pp;
	__u32 tid = child->pid, tgid = child->tgid, ptgid = parent->tgid;
	__u64 now;

	if (!tracked(parent))
		return 0;
	now = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&threads, &tid, &zero_thread, BPF_ANY))
		__sync_fetch_and_add(&counters.threads_full, 1);
	th = bpf_map_lookup_elem(&threads, &tid);
	if (th) {
		th->tid = tid;
		th->tgid = tgid;
		th->start_ns = now;
		bpf_probe_read_kernel_str(th->comm, sizeof(th->comm), parent->comm);
	}

	if (tid == tgid) {
		struct ct_proc pr = { .tgid = tgid, .ppid = ptgid, .start_ns = now, .nthreads = 1 };
		struct ct_gil_range *g;

		bpf_probe_read_kernel_str(pr.comm, sizeof(pr.comm), parent->comm);
		if (bpf_map_update_elem(&procs, &tgid, &pr, BPF_ANY))
			__sync_fetch_and_add(&counters.procs_full, 1);
		/* a forked CPython child has its parent's GIL at the same addresses */
		g = bpf_map_lookup_elem(&gil_ranges, &ptgid);
		if (g)
			bpf_map_update_elem(&gil_ranges, &tgid, g, BPF_ANY);
		struct ct_py_proc *pp = bpf_map_lookup_elem(&py_procs, &ptgid);
		if (pp)
			bpf_map_update_elem(&py_procs, &tgid, pp, BPF_ANY);
		emit(CT_EV_FORK, tgid, tid, now);
	} else {
		pp = bpf_map_lookup_elem(&procs, &tgid);
		if (pp)
			__sync_fetch_and_add(&pp->nthreads, 1);
	}
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(ct_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tid = p->pid, tgid = p->tgid;
	struct ct_thread *t;
	struct ct_proc *pr;

	t = tracked(p);
	if (!t)
		return 0;
	bpf_probe_read_kernel_str(t->comm, sizeof(t->comm), p->comm);
	pr = bpf_map_lookup_elem(&procs, &tgid);
	if (pr) {
		bpf_probe_read_kernel_str(pr->comm, sizeof(pr->comm), p->comm);
		pr->flags |= CT_PF_EXECED;
		pr->execs++;
	}
	bpf_map_delete_elem(&gil_ranges, &tgid);
	bpf_map_delete_elem(&py_procs, &tgid);
	emit(CT_EV_EXEC, tgid, tid, bpf_ktime_get_ns());
	return 0;
}

/* Not BPF_PROG: group_dead is an argument only after 6.12 (core_fixes.bpf.h). */
SEC("tp_btf/sched_process_exit")
int ct_exit(unsigned long long *ctx)
{
	struct task_struct *p = (struct task_struct *)ctx[0];
	__u32 tgid = p->tgid;
	struct ct_thread *t;
	struct ct_proc *pr;
	__u64 now;

	t = tracked(p);
	if (!t)
		return 0;
	now = bpf_ktime_get_ns();
	{
		t->end_ns = now;
		t->exit_on_cpu_ns = t->on_cpu_ns + (t->last_in_ns ? now - t->last_in_ns :
			BPF_CORE_READ(p, se.sum_exec_runtime) - t->last_sum_exec);
		t->exit_code = p->exit_code;
		t->utime_ns = p->utime;
		t->stime_ns = p->stime;
		t->flags |= CT_TF_EXITED;
		bpf_probe_read_kernel_str(t->comm, sizeof(t->comm), p->comm);
	}
	if (ct_exit_group_dead(ctx, p)) {
		pr = bpf_map_lookup_elem(&procs, &tgid);
		if (pr) {
			pr->end_ns = now;
			pr->exit_code = p->exit_code;
			struct mm_struct *mm = p->mm;

			/* The mm's own high-water mark: signal->maxrss would also hold the mm
			 * before exec, which for the root is conctrace's own (it was cloned).
			 * Up to 6.12 the tracepoint comes after exit_mm(): no mm any more, and
			 * the rusage figure is all there is (CT_PF_NO_MM). */
			if (mm) {
				__s64 file = ct_mm_counter(mm, CT_MM_FILEPAGES);
				__s64 anon = ct_mm_counter(mm, CT_MM_ANONPAGES);
				__s64 shmem = ct_mm_counter(mm, CT_MM_SHMEMPAGES);
				__u64 rss = (__u64)((file > 0 ? file : 0) + (anon > 0 ? anon : 0) +
						    (shmem > 0 ? shmem : 0));
				__u64 hw = BPF_CORE_READ(mm, hiwater_rss);

				pr->maxrss_kb = (hw > rss ? hw : rss) * 4;
				pr->anon_kb = (anon > 0 ? anon : 0) * 4;
			} else {
				pr->maxrss_kb = BPF_CORE_READ(p, signal, maxrss) * 4;
				pr->flags |= CT_PF_NO_MM;
			}
			pr->flags |= CT_PF_EXITED;
		}
	}
	return 0;
}
