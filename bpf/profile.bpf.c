// SPDX-License-Identifier: GPL-2.0
/* On-CPU stack sampling of tracked tasks: a perf_event program on the cpu-clock of every
 * CPU. The loader points threads, stack_traces, stack_counts and the counters at the
 * maps of bpf/sched.bpf.c before loading. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "conctrace/sched.h"

char LICENSE[] SEC("license") = "GPL";

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

/* counters of this program (read by the loader with the others) */
__u64 samples;
__u64 stacks_full;
__u64 stack_errors;

SEC("perf_event")
int ct_sample(struct bpf_perf_event_data *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 tid = task->pid;
	struct ct_stack_key k = {};
	struct ct_stack_val *v, zero = {};

	if (!tid || !bpf_map_lookup_elem(&threads, &tid))
		return 0;
	__sync_fetch_and_add(&samples, 1);
	k.tgid = task->tgid;
	k.tid = task->pid;
	k.reason = CT_ONCPU;
	k.kstack = bpf_get_stackid(ctx, &stack_traces, 0);
	k.ustack = bpf_get_stackid(ctx, &stack_traces, BPF_F_USER_STACK);
	if (k.kstack < 0 && k.ustack < 0)
		__sync_fetch_and_add(&stack_errors, 1);
	v = bpf_map_lookup_elem(&stack_counts, &k);
	if (!v) {
		if (bpf_map_update_elem(&stack_counts, &k, &zero, BPF_NOEXIST) &&
		    !bpf_map_lookup_elem(&stack_counts, &k)) {
			__sync_fetch_and_add(&stacks_full, 1);
			return 0;
		}
		v = bpf_map_lookup_elem(&stack_counts, &k);
		if (!v)
			return 0;
	}
	__sync_fetch_and_add(&v->count, 1);
	return 0;
}
