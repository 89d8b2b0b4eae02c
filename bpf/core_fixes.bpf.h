/* Kernel differences the BPF programs meet between the oldest supported kernel (5.15) and the
 * newest tested (6.18), each named by the kernel version (and commit) that made it. The
 * objects are built against bpf/vmlinux/vmlinux.h (6.18); the ___flavour structs below
 * describe the older layouts, and libbpf's CO-RE relocation picks the one the running kernel
 * has, so one build loads on all of them (docs/kernels.md). */
#ifndef CT_CORE_FIXES_BPF_H
#define CT_CORE_FIXES_BPF_H
#include <bpf/bpf_core_read.h>

/* Set by the loader from the kernel's BTF (user/tracer.c probe_kernel): the tracepoints'
 * argument lists. A tp_btf program that reads an argument the kernel's tracepoint does not
 * have is rejected at load, so the read sits behind a constant and the verifier removes it. */
const volatile bool switch_has_prev_state = true;    /* sched_switch */
const volatile bool exit_has_group_dead = true;      /* sched_process_exit */

/* v5.18, fa2c3254d7cf ("sched/tracing: Don't re-read p->state when emitting sched_switch
 * event") added sched_switch's prev_state. Before it, the state is read from the task.
 * v5.14, 2f064a59a11f ("sched: Change task_struct::state") renamed state to __state. */
struct task_struct___pre514 {
	long state;
} __attribute__((preserve_access_index));

static __always_inline unsigned int ct_task_state(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return (unsigned int)BPF_CORE_READ((struct task_struct___pre514 *)t, state);
}

/* sched_switch's prev_state: the argument where the tracepoint has it (ctx[3]). */
static __always_inline unsigned int ct_switch_prev_state(unsigned long long *ctx,
							 struct task_struct *prev)
{
	if (switch_has_prev_state)
		return (unsigned int)ctx[3];
	return ct_task_state(prev);
}

/* sched_process_exit's group_dead (ctx[1]) exists after 6.12 (absent in 6.12, present in
 * 6.18), where the tracepoint also runs before exit_mm(). Without it: do_exit() decrements
 * signal->live before the tracepoint, and the thread that brings it to 0 is the group's last
 * one. (Two threads exiting at once may both see 0; the second one only writes the same
 * process figures again.) */
static __always_inline bool ct_exit_group_dead(unsigned long long *ctx, struct task_struct *p)
{
	if (exit_has_group_dead)
		return (bool)ctx[1];
	return BPF_CORE_READ(p, signal, live.counter) == 0;
}

/* v6.2, f1a7941243c1 ("mm: convert mm's rss stats into percpu_counter"): mm->rss_stat is
 * struct percpu_counter[NR_MM_COUNTERS]. Before it, struct mm_rss_stat holds atomic_long_t
 * count[NR_MM_COUNTERS]. Both read the central count (the per-CPU parts are folded into it
 * as they grow past their batch; before 6.2 the per-task caches are synced at exit). */
struct mm_rss_stat___pre62 {
	atomic_long_t count[4];
} __attribute__((preserve_access_index));

struct mm_struct___pre62 {
	struct mm_rss_stat___pre62 rss_stat;
} __attribute__((preserve_access_index));

#define CT_MM_FILEPAGES  0
#define CT_MM_ANONPAGES  1
#define CT_MM_SHMEMPAGES 3

/* Pages of one rss counter (member is a constant: it is part of the relocated access). */
#define ct_mm_counter(mm, member)                                                        \
	(bpf_core_type_exists(struct mm_rss_stat___pre62) ?                              \
	 (__s64)BPF_CORE_READ((struct mm_struct___pre62 *)(mm), rss_stat.count[member].counter) : \
	 (__s64)BPF_CORE_READ((mm), rss_stat[member].count))

#endif
