/* Symbolising the stacks of a case. Frames are interned once per distinct name. */
#include <errno.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "infile.h"
#include "log.h"
#include "pyframes.h"
#include "reasons.h"
#include "results.h"
#include "outdir.h"
#include "rundoc.h"
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

/* Sorted indexes of the Python stacks and code objects of a case. */
struct py_index {
	const struct ct_raw *raw;
	int *stacks;
	int *codes;
};

static const struct ct_raw *sort_raw;

static int cmp_stack_idx(const void *a, const void *b)
{
	uint64_t x = sort_raw->py_stack_keys[*(const int *)a], y = sort_raw->py_stack_keys[*(const int *)b];

	return x < y ? -1 : x > y;
}

static int cmp_code_key(const struct ct_py_code_key *x, const struct ct_py_code_key *y)
{
	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	if (x->tag != y->tag)
		return x->tag < y->tag ? -1 : 1;
	return x->code < y->code ? -1 : x->code > y->code;
}

static int cmp_code_idx(const void *a, const void *b)
{
	return cmp_code_key(&sort_raw->py_code_keys[*(const int *)a],
			    &sort_raw->py_code_keys[*(const int *)b]);
}

static void py_index_build(struct py_index *x, const struct ct_raw *raw)
{
	x->raw = raw;
	x->stacks = xcalloc(raw->npy_stacks + 1, sizeof(int));
	x->codes = xcalloc(raw->npy_codes + 1, sizeof(int));
	for (int i = 0; i < raw->npy_stacks; i++)
		x->stacks[i] = i;
	for (int i = 0; i < raw->npy_codes; i++)
		x->codes[i] = i;
	sort_raw = raw;
	qsort(x->stacks, raw->npy_stacks, sizeof(int), cmp_stack_idx);
	qsort(x->codes, raw->npy_codes, sizeof(int), cmp_code_idx);
}

static const struct ct_py_stack *py_stack_find(const struct py_index *x, uint64_t key)
{
	int lo = 0, hi = x->raw->npy_stacks - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2, i = x->stacks[mid];
		uint64_t k = x->raw->py_stack_keys[i];

		if (k == key)
			return &x->raw->py_stacks[i];
		if (k < key)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

static const struct ct_py_code *py_code_find(const struct py_index *x, uint32_t tgid,
					     uint64_t code, uint32_t tag)
{
	struct ct_py_code_key key = { .tgid = tgid, .tag = tag, .code = code };
	int lo = 0, hi = x->raw->npy_codes - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2, i = x->codes[mid];
		int c = cmp_code_key(&x->raw->py_code_keys[i], &key);

		if (!c)
			return &x->raw->py_codes[i];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

static int cmp_task_samples(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "samples"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "samples"));

	return x > y ? -1 : x < y;
}

json_t *stacks_asyncio_tasks(const struct ct_raw *raw, uint32_t tgid, int minor)
{
	struct py_index pyx;
	json_t *by = json_object(), *out = NULL, *v, **rows;
	const char *name;
	size_t n = 0;

	py_index_build(&pyx, raw);
	for (int i = 0; i < raw->nstacks; i++) {
		const struct ct_stack_key *k = &raw->stack_keys[i];
		const struct ct_py_stack *ps;
		const struct ct_py_frame *f;
		const struct ct_py_code *c;
		char buf[4 * CT_PY_NAME + 16];

		if (k->tgid != tgid || k->reason != CT_ONCPU || !k->pystack)
			continue;
		ps = py_stack_find(&pyx, k->pystack);
		if (!ps || !ps->nframes || ps->nframes > CT_PY_DEPTH)
			continue;
		f = &ps->frames[ps->nframes - 1];   /* outermost */
		if (f->index != CT_PY_INDEX_TASK ||
		    !(c = py_code_find(&pyx, ps->tgid, f->code, f->tag)))
			continue;
		py_frame_name(minor, c, f->index, buf, sizeof(buf));
		v = json_object_get(by, buf + 5);   /* after "task " */
		json_object_set_new(by, buf + 5, json_integer(json_integer_value(v) +
							       (json_int_t)raw->stack_vals[i].count));
	}
	free(pyx.stacks);
	free(pyx.codes);
	if (!json_object_size(by)) {
		json_decref(by);
		return NULL;
	}
	rows = xcalloc(json_object_size(by), sizeof(*rows));
	json_object_foreach(by, name, v) {
		rows[n] = json_object();
		json_object_set_new(rows[n], "task", json_string(name));
		json_object_set(rows[n], "samples", v);
		n++;
	}
	qsort(rows, n, sizeof(*rows), cmp_task_samples);
	out = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(out, rows[i]);
	free(rows);
	json_decref(by);
	return out;
}

/* A native frame of the interpreter itself (libpython or the python executable): with
 * Python frames known, these are replaced by them. */
static int is_interp_frame(const struct sym_result *r, const struct pyinfo *pi)
{
	const char *base;

	if (!r->module || !pi)
		return 0;
	base = strrchr(pi->object, '/');
	base = base ? base + 1 : pi->object;
	return !strcmp(r->module, base) || strstr(r->module, "libpython") != NULL;
}

json_t *stacks_build(struct tracer *t, struct symbolizer *sym, const struct ct_raw *raw)
{
	struct py_index pyx;
	int py_samples = 0;
	struct interner in = { json_array(), json_object() };
	json_t *doc = json_object(), *samples = json_array();
	uint64_t uips[CT_STACK_DEPTH], kips[CT_STACK_DEPTH];
	char buf[1024];

	py_index_build(&pyx, raw);
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
		const struct ct_py_stack *ps = k->pystack ? py_stack_find(&pyx, k->pystack) : NULL;
		const struct pyinfo *pi = ps ? py_of_proc(raw, k->tgid) : NULL;

		if (ps && pi && ps->nframes) {
			/* Python frames outermost first, then the native frames at the leaf up to
			 * the interpreter (the futex or syscall wrapper, a C extension's function),
			 * then the kernel's. The interpreter's own frames between are not shown:
			 * the Python frames say more, and libpython is unwound only this far. */
			int nleaf = 0;

			for (int j = (int)ps->nframes - 1; j >= 0; j--) {
				const struct ct_py_frame *f = &ps->frames[j < CT_PY_DEPTH ? j : 0];
				const struct ct_py_code *c = py_code_find(&pyx, k->tgid, f->code, f->tag);

				if (c)
					py_frame_name(pi->minor, c, f->index, buf, sizeof(buf));
				else
					snprintf(buf, sizeof(buf), "[python code 0x%llx]",
						 (unsigned long long)f->code);
				json_array_append_new(stack, json_integer(intern(&in, buf)));
			}
			while (nleaf < nu) {
				struct sym_result r = {0};

				symbolizer__user(sym, pid, nleaf ? uips[nleaf] - 1 : uips[nleaf], &r);
				/* an unknown frame ends the trustworthy part of the walk too */
				if (is_interp_frame(&r, pi) || (!r.name && !r.module))
					break;
				nleaf++;
			}
			for (int j = nleaf - 1; j >= 0; j--) {
				struct sym_result r = {0};

				symbolizer__user(sym, pid, j ? uips[j] - 1 : uips[j], &r);
				sym_format(&r, buf, sizeof(buf));
				json_array_append_new(stack, json_integer(intern(&in, buf)));
			}
			py_samples++;
			nu = 0;
			json_object_set_new(s, "python", json_true());
		} else if (nu) {
			/* root first: user frames outermost first, then kernel frames */
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
		/* the stack ids, as the timeline's switch records carry them */
		snprintf(buf, sizeof(buf), "%llx", (unsigned long long)k->pystack);
		json_object_set_new(s, "ids", json_pack("[iis]", k->ustack, k->kstack, buf));
		json_array_append_new(samples, s);
	}
	json_object_set_new(doc, "frames", in.frames);
	json_object_set_new(doc, "samples", samples);
	json_object_set_new(doc, "sample_hz", json_integer(tracer__sample_hz(t)));
	json_object_set_new(doc, "python_stacks", json_integer(py_samples));
	json_decref(in.index);
	free(pyx.stacks);
	free(pyx.codes);
	return doc;
}

int stacks_write(json_t *stacks, struct outdir *dir)
{
	FILE *f = outdir__fopen(dir, "stacks.json", false);
	int err = 0;

	if (!f) {
		err = -errno;
	} else {
		if (json_dumpf(stacks, f, JSON_COMPACT))
			err = -EIO;
		err = fclose_output(f, err);
		if (err)
			outdir__unlink(dir, "stacks.json");   /* cut JSON would read as corrupt */
	}
	if (err)
		pr_warn("cannot write %s/stacks.json: %s\n", outdir__path(dir), strerror(-err));
	return err;
}

int stacks_load(const char *dir, json_t **out, char *err, size_t errlen)
{
	char *path = xasprintf("%s/stacks.json", dir), *buf;
	size_t len;
	int ret;

	*out = NULL;
	ret = infile_read(path, INFILE_MAX_STACKS, &buf, &len, err, errlen);
	if (ret == -ENOENT)
		ret = 0;
	else if (!ret) {
		ret = stacks_decode(buf, len, path, out, err, errlen);
		free(buf);
	}
	free(path);
	return ret;
}
