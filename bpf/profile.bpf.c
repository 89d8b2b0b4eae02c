// SPDX-License-Identifier: GPL-2.0
/* On-CPU stack sampling of tracked tasks: a perf_event program on the cpu-clock of every
 * CPU. The loader points threads, stack_traces, stack_counts and the counters at the
 * maps of bpf/sched.bpf.c before loading. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "conctrace/sched.h"
#include "shared.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* counters of this program (read by the loader with the others) */
__u64 samples;
__u64 stacks_full;
__u64 stack_errors;
struct ct_py_counts py_cnt;

SEC("perf_event")
int ct_sample(struct bpf_perf_event_data *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 tid = task->pid;
	struct ct_stack_key k = {};
	struct ct_thread *t;
	struct ct_py_proc *pp;
	__u32 tgid;

	if (!tid)
		return 0;
	t = bpf_map_lookup_elem(&threads, &tid);
	if (!t)
		return 0;
	__sync_fetch_and_add(&samples, 1);
	k.tgid = task->tgid;
	k.tid = task->pid;
	k.reason = CT_ONCPU;
	k.kstack = bpf_get_stackid(ctx, &stack_traces, 0);
	k.ustack = bpf_get_stackid(ctx, &stack_traces, BPF_F_USER_STACK);
	if (k.kstack < 0 && k.ustack < 0)
		__sync_fetch_and_add(&stack_errors, 1);
	tgid = k.tgid;
	pp = bpf_map_lookup_elem(&py_procs, &tgid);
	/* the switch-out path may update t's cache concurrently: a stale value is only
	 * re-validated */
	if (pp && py_thread_state(pp, t, task, bpf_ktime_get_ns(), &py_cnt)) {
		if (py_frames_enabled)
			k.pystack = py_walk(pp, tgid, t->py_tstate, &py_cnt);
		if (pp->gil) {
			if (py_holds_gil(pp, t->py_tstate))
				__sync_fetch_and_add(&t->gil_held_samples, 1);
			else
				__sync_fetch_and_add(&t->gil_free_samples, 1);
		}
	}
	if (!stack_count_add(&k, 0))
		__sync_fetch_and_add(&stacks_full, 1);
	return 0;
}
