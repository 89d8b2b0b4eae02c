/* Maps and helpers shared by bpf/sched.bpf.c and bpf/profile.bpf.c. Each object declares
 * them from here; the loader makes profile.bpf.c use the sched object's maps (reuse_fd). */
#ifndef CT_SHARED_BPF_H
#define CT_SHARED_BPF_H

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

/* Add one period (and ns of off-CPU time) to a stack's count; false when the map is full. */
static __always_inline bool stack_count_add(const struct ct_stack_key *k, __u64 ns)
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
	__sync_fetch_and_add(&v->count, 1);
	if (ns)
		__sync_fetch_and_add(&v->total_ns, ns);
	return true;
}

#endif
