/* Symbolising the stacks of a case. Frames are interned once per distinct name. */
#include <errno.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "log.h"
#include "reasons.h"
#include "results.h"
#include "stacks.h"
#include "util.h"

struct interner {
	json_t *frames;            /* array of names */
	json_t *index;             /* name -> id */
};

static int intern(struct interner *in, const char *name)
{
	json_t *v = json_object_get(in->index, name);
	int id;

	if (v)
		return json_integer_value(v);
	id = json_array_size(in->frames);
	json_array_append_new(in->frames, json_string(name));
	json_object_set_new(in->index, name, json_integer(id));
	return id;
}

/* Leaf frames that belong to the tracer, not to the program: for off-CPU stacks, everything
 * below __schedule; for samples, the timer interrupt that delivered the sample. */
int stacks_kernel_skip(const char *const *names, int n, int oncpu)
{
	if (oncpu) {
		for (int i = n - 1; i >= 0; i--)
			if (names[i] && (strstr(names[i], "asm_sysvec_apic_timer_interrupt") ||
					 strstr(names[i], "asm_sysvec_call_function")))
				return i + 1;
		return 0;
	}
	for (int i = 0; i < n; i++)
		if (names[i] && !strcmp(names[i], "__schedule"))
			return i;
	return 0;
}

static const struct ct_proc *proc_of(const struct ct_raw *raw, uint32_t tgid)
{
	for (int i = 0; i < raw->nprocs; i++)
		if (raw->procs[i].tgid == tgid)
			return &raw->procs[i];
	return NULL;
}

/* The pid whose snapshot symbolises addresses of tgid. */
static int snap_pid(struct symbolizer *sym, const struct ct_raw *raw, uint32_t tgid,
		    uint64_t probe)
{
	uint32_t p = tgid;

	for (int depth = 0; depth < 32 && p; depth++) {
		struct sym_result r;
		const struct ct_proc *pr = proc_of(raw, p);

		if (symbolizer__user(sym, p, probe, &r) != -ESRCH)
			return p;
		if (!pr || (pr->flags & CT_PF_EXECED))
			break;
		p = pr->ppid;
	}
	return tgid;
}

static const char *comm_of(const struct ct_raw *raw, uint32_t tid, uint32_t tgid)
{
	for (int i = 0; i < raw->nthreads; i++)
		if (raw->threads[i].tid == tid)
			return raw->threads[i].comm;
	const struct ct_proc *p = proc_of(raw, tgid);
	return p ? p->comm : "?";
}

/* A user stack is complete when its outermost frame is a known program or thread entry. */
static int is_root_frame(const char *name)
{
	static const char *const roots[] = {"_start", "__libc_start_main", "__libc_start_call_main",
					    "start_thread", "clone", "clone3", "__clone", "__clone3",
					    "thread_start", NULL};

	for (int i = 0; name && roots[i]; i++)
		if (!strcmp(name, roots[i]))
			return 1;
	return 0;
}

json_t *stacks_build(struct tracer *t, struct symbolizer *sym, const struct ct_raw *raw)
{
	struct interner in = { json_array(), json_object() };
	json_t *doc = json_object(), *samples = json_array();
	uint64_t uips[CT_STACK_DEPTH], kips[CT_STACK_DEPTH];
	char buf[512];

	for (int i = 0; i < raw->nstacks; i++) {
		const struct ct_stack_key *k = &raw->stack_keys[i];
		const struct ct_stack_val *v = &raw->stack_vals[i];
		int nu = tracer__stack(t, k->ustack, uips, CT_STACK_DEPTH);
		int nk = tracer__stack(t, k->kstack, kips, CT_STACK_DEPTH);
		const char *knames[CT_STACK_DEPTH];
		char *kstore[CT_STACK_DEPTH];
		json_t *stack = json_array(), *s = json_object();
		int oncpu = k->reason == CT_ONCPU, cut = 0, pid, skip;

		for (int j = 0; j < nk; j++) {
			struct sym_result r = {0};

			if (symbolizer__kernel(sym, kips[j], &r) == 0 || r.module)
				sym_format(&r, buf, sizeof(buf));
			else
				snprintf(buf, sizeof(buf), "[kernel 0x%llx]", (unsigned long long)kips[j]);
			kstore[j] = xstrdup(buf);
			knames[j] = kstore[j];
		}
		skip = stacks_kernel_skip(knames, nk, oncpu);
		pid = nu ? snap_pid(sym, raw, k->tgid, uips[0]) : (int)k->tgid;
		/* root first: user frames outermost first, then kernel frames */
		if (nu) {
			struct sym_result r = {0};
			const char *outer = NULL;

			if (symbolizer__user(sym, pid, uips[nu - 1], &r) == 0)
				outer = r.name;
			if (!is_root_frame(outer) || nu >= CT_STACK_DEPTH) {
				cut = 1;
				json_array_append_new(stack, json_integer(intern(&in, "[stack cut: no frame pointers]")));
			}
		} else if (k->ustack < 0 && k->ustack != -EFAULT) {
			cut = 1;
		}
		for (int j = nu - 1; j >= 0; j--) {
			struct sym_result r = {0};

			/* return addresses point after the call: look up addr-1 above the leaf */
			symbolizer__user(sym, pid, j ? uips[j] - 1 : uips[j], &r);
			sym_format(&r, buf, sizeof(buf));
			json_array_append_new(stack, json_integer(intern(&in, buf)));
		}
		for (int j = nk - 1; j >= skip; j--)
			json_array_append_new(stack, json_integer(intern(&in, knames[j])));
		for (int j = 0; j < nk; j++)
			free(kstore[j]);
		if (!json_array_size(stack))
			json_array_append_new(stack, json_integer(intern(&in, "[no stack]")));
		json_object_set_new(s, "pid", json_integer(k->tgid));
		json_object_set_new(s, "tid", json_integer(k->tid));
		json_object_set_new(s, "comm", json_string(comm_of(raw, k->tid, k->tgid)));
		json_object_set_new(s, "reason", json_string(oncpu ? "oncpu" : reason_name(k->reason)));
		json_object_set_new(s, "stack", stack);
		json_object_set_new(s, "count", json_integer(v->count));
		json_object_set_new(s, "ns", json_integer(v->total_ns));
		json_object_set_new(s, "cut", json_boolean(cut));
		json_array_append_new(samples, s);
	}
	json_object_set_new(doc, "frames", in.frames);
	json_object_set_new(doc, "samples", samples);
	json_object_set_new(doc, "sample_hz", json_integer(tracer__sample_hz(t)));
	json_decref(in.index);
	return doc;
}

int stacks_write(json_t *stacks, const char *dir, const struct ct_user *u)
{
	char *path = xasprintf("%s/stacks.json", dir);
	int err = 0;

	if (json_dump_file(stacks, path, JSON_COMPACT)) {
		pr_warn("cannot write %s\n", path);
		err = -EIO;
	} else {
		chown_to(path, u);
	}
	free(path);
	return err;
}

json_t *stacks_load(const char *dir)
{
	char *path = xasprintf("%s/stacks.json", dir);
	json_t *j = json_load_file(path, 0, NULL);

	free(path);
	return j;
}
