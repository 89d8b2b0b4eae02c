/* What the running kernel offers the BPF programs, probed before they load: the oldest
 * kernel conctrace runs on, the tracepoints' argument lists, optional helpers. */
#ifndef CT_KFEATURES_H
#define CT_KFEATURES_H
#include <stdbool.h>
#include <stddef.h>

/* The oldest kernel the programs are written for (tp_btf, ring buffer, bpf_task_pt_regs). */
#define CT_MIN_KERNEL_MAJOR 5
#define CT_MIN_KERNEL_MINOR 15

struct kfeatures {
	char release[65];           /* uname -r */
	int major, minor;
	bool switch_prev_state;     /* sched_switch has prev_state (5.18+) */
	bool exit_group_dead;       /* sched_process_exit has group_dead (newer than 6.12; 6.18 has it): mm at exit */
	bool bpf_loop;              /* bpf_loop helper (5.17+): Python frames */
};

/* Fill f. Returns 0, or -ENOTSUP with msg set when the kernel is older than the minimum. */
int kfeatures_probe(struct kfeatures *f, char *msg, size_t len);
/* Release "a.b..." parsed into major and minor; false when it is not one. */
bool kfeatures_parse_release(const char *release, int *major, int *minor);

#endif
