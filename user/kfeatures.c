/* Kernel feature probes (user/kfeatures.h). The tracepoint argument lists come from the
 * kernel's BTF: each tracepoint has a typedef btf_trace_<name> of a pointer to a function
 * whose parameters are (void *, the tracepoint's arguments...). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "kfeatures.h"
#include "log.h"

bool kfeatures_parse_release(const char *release, int *major, int *minor)
{
	return sscanf(release, "%d.%d", major, minor) == 2;
}

/* Arguments of tracepoint name (without the leading void *), -1 when it is not found. */
static int tp_nargs(const struct btf *btf, const char *name)
{
	char tname[128];
	const struct btf_type *t;
	int id;

	snprintf(tname, sizeof(tname), "btf_trace_%s", name);
	id = btf__find_by_name_kind(btf, tname, BTF_KIND_TYPEDEF);
	if (id < 0)
		return -1;
	t = btf__type_by_id(btf, id);
	t = t ? btf__type_by_id(btf, t->type) : NULL;          /* the pointer */
	t = t && btf_is_ptr(t) ? btf__type_by_id(btf, t->type) : NULL;
	if (!t || !btf_is_func_proto(t))
		return -1;
	return btf_vlen(t) - 1;
}

int kfeatures_probe(struct kfeatures *f, char *msg, size_t len)
{
	struct utsname u;
	struct btf *btf;

	memset(f, 0, sizeof(*f));
	if (uname(&u) == 0)
		snprintf(f->release, sizeof(f->release), "%s", u.release);
	if (!kfeatures_parse_release(f->release, &f->major, &f->minor)) {
		pr_warn("cannot tell the kernel's version from \"%s\": taking it as new enough\n",
			f->release);
		f->major = 99;
	}
	if (f->major < CT_MIN_KERNEL_MAJOR ||
	    (f->major == CT_MIN_KERNEL_MAJOR && f->minor < CT_MIN_KERNEL_MINOR)) {
		snprintf(msg, len, "kernel %s is too old: conctrace needs Linux %d.%d or newer "
			 "(BTF tracepoints, the BPF ring buffer, bpf_task_pt_regs)", f->release,
			 CT_MIN_KERNEL_MAJOR, CT_MIN_KERNEL_MINOR);
		return -ENOTSUP;
	}
	/* what an unprobed kernel is assumed to have: the newest layout */
	f->switch_prev_state = f->exit_group_dead = f->bpf_loop = true;
	btf = btf__load_vmlinux_btf();
	if (!btf) {
		pr_warn("cannot read the kernel's BTF: %s\n", strerror(errno));
		return 0;   /* tracer_preflight checked it exists: loading will say more */
	}
	f->switch_prev_state = tp_nargs(btf, "sched_switch") >= 4;
	f->exit_group_dead = tp_nargs(btf, "sched_process_exit") >= 2;
	btf__free(btf);
	f->bpf_loop = libbpf_probe_bpf_helper(BPF_PROG_TYPE_PERF_EVENT, BPF_FUNC_loop, NULL) > 0;
	pr_debug("kernel %s: sched_switch prev_state %s, sched_process_exit group_dead %s, "
		 "bpf_loop %s\n", f->release, f->switch_prev_state ? "yes" : "no",
		 f->exit_group_dead ? "yes" : "no", f->bpf_loop ? "yes" : "no");
	return 0;
}
