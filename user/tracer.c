/* Load, attach and read bpf/sched.bpf.c. One object serves a whole run; maps are cleared
 * between cases. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "conctrace/sched.h"
#include "sched.skel.h"
#include "profile.skel.h"
#include "kfeatures.h"
#include "log.h"
#include "reasons.h"
#include "tracer.h"
#include "util.h"


struct tracer {
	struct sched_bpf *skel;
	struct profile_bpf *prof;
	struct kfeatures kf;
	bool gil_futex;             /* the futex syscall tracepoints can be attached */
	struct bpf_link *futex_links[2];   /* attached at the first CPython process */
	bool py_frames;
	struct bpf_link **perf_links;
	int *perf_fds;
	int nperf;
	bool stacks;
	int sample_hz;
	bool timeline;
	struct ring_buffer *tl;
	FILE *tl_out;
	uint64_t tl_records;
	struct ring_buffer *rb;
	struct pyinfo *py;
	int npy, cappy;
	tracer_proc_fn proc_fn;
	void *proc_ctx;
	/* what to look at again later: a process's maps (its libraries), its CPython (libpython
	 * not mapped yet), or its GIL (3.13+: placed once its interpreter exists) */
	struct { pid_t tgid; uint64_t due, since; enum { PEND_PROC, PEND_PY, PEND_GIL, PEND_AIO,
							    PEND_AIO_SNAP } kind;
		 int tries; } *pending;
	int npending, cappending;
};

void tracer__on_process(struct tracer *t, tracer_proc_fn fn, void *ctx)
{
	t->proc_fn = fn;
	t->proc_ctx = ctx;
}

static void pending_add(struct tracer *t, pid_t tgid, uint64_t due, uint64_t since, int kind,
			int tries)
{
	if (t->npending == t->cappending) {
		t->cappending = t->cappending ? 2 * t->cappending : 32;
		t->pending = xrealloc(t->pending, t->cappending * sizeof(*t->pending));
	}
	t->pending[t->npending].tgid = tgid;
	t->pending[t->npending].due = due;
	t->pending[t->npending].since = since;
	t->pending[t->npending].kind = kind;
	t->pending[t->npending].tries = tries;
	t->npending++;
}

int tracer_preflight(char *msg, size_t len)
{
	struct kfeatures kf;

	if (kfeatures_probe(&kf, msg, len))
		return CT_EXIT_BPF;
	if (geteuid() != 0) {
		snprintf(msg, len, "tracing needs root (CAP_BPF and CAP_PERFMON): run it with sudo");
		return CT_EXIT_PERM;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		snprintf(msg, len, "this kernel has no BTF (/sys/kernel/btf/vmlinux): "
			 "a kernel built with CONFIG_DEBUG_INFO_BTF=y is needed");
		return CT_EXIT_BPF;
	}
	return 0;
}

static void py_add(struct tracer *t, const struct pyinfo *pi)
{
	if (t->npy == t->cappy) {
		t->cappy = t->cappy ? t->cappy * 2 : 16;
		t->py = xrealloc(t->py, t->cappy * sizeof(*t->py));
	}
	t->py[t->npy++] = *pi;
}

static struct pyinfo *py_find(struct tracer *t, pid_t tgid)
{
	for (int i = t->npy - 1; i >= 0; i--)
		if (t->py[i].tgid == tgid)
			return &t->py[i];
	return NULL;
}

/* Tell the BPF side where a CPython process's GIL is, and what its walker reads. */
static void py_publish(struct tracer *t, const struct pyinfo *pi)
{
	__u32 key = pi->tgid;

	if (pi->gil) {
		struct ct_gil_range g = {
			.gil_lo = pi->gil_lo, .gil_hi = pi->gil_hi,
			.handoff_lo = pi->handoff_lo, .handoff_hi = pi->handoff_hi,
		};

		bpf_map__update_elem(t->skel->maps.gil_ranges, &key, sizeof(key), &g, sizeof(g),
				     BPF_ANY);
	}
	if (pi->frames)
		bpf_map__update_elem(t->skel->maps.py_procs, &key, sizeof(key), &pi->walk,
				     sizeof(pi->walk), BPF_ANY);
}

/* since: when the process exec'd the program (0: it ran before tracing began) */
static void detect_python(struct tracer *t, pid_t tgid, uint64_t since, bool retry)
{
	struct pyinfo pi;
	int err = pyinfo_detect(tgid, &pi);

	pi.since_ns = since;
	if (err == -EAGAIN && retry) {
		/* libpython is mapped by ld.so after exec: look again shortly */
		pending_add(t, tgid, now_ns() + 2000000, since, PEND_PY, 0);
		return;
	}
	if (err == -ENOTSUP) {
		py_add(t, &pi);   /* recognised, layout unknown: no gil reason */
		if (pi.note[0])
			pr_info("pid %d: CPython %s: %s\n", tgid, pi.version, pi.note);
		return;
	}
	if (err)
		return;
	py_publish(t, &pi);
	py_add(t, &pi);
	if (pi.gil_pending)
		pending_add(t, tgid, now_ns() + 1000000, since, PEND_GIL, 0);
	if (pi.minor >= 14 && pi.frames)
		pending_add(t, tgid, now_ns() + 20000000, since, PEND_AIO, 0);
	pr_debug("pid %d: CPython %s, GIL at 0x%llx%s\n", tgid, pi.version,
		 (unsigned long long)pi.gil_lo, pi.gil_pending ? " (placed once it runs)" : "");
}

/* 3.14+: look for _asyncio (loaded at `import asyncio`) every 20 ms for the first 5 s, then
 * every 250 ms while the process lives. */
static void find_asyncio(struct tracer *t, pid_t tgid, uint64_t since, int tries)
{
	struct pyinfo *pi = py_find(t, tgid);
	int err;

	if (!pi || pi->asyncio)
		return;
	err = pyinfo_asyncio(pi);
	if (err == -EAGAIN) {
		pending_add(t, tgid, now_ns() + (tries < 250 ? 20000000 : 250000000), since,
			    PEND_AIO, tries + 1);
		return;
	}
	if (err) {
		if (pi->note[0] && err == -EPROTO)
			pr_info("pid %d: CPython %s: %s\n", tgid, pi->version, pi->note);
		return;
	}
	py_publish(t, pi);
	pr_debug("pid %d: asyncio tasks (running task at tstate+0x%x)\n", tgid,
		 pi->walk.tstate_aio_task);
	pending_add(t, tgid, now_ns() + 100000000, since, PEND_AIO_SNAP, 0);
}

/* Every 100 ms while it lives: which asyncio tasks wait where (user/pyasyncio.c). */
static void snapshot_asyncio(struct tracer *t, pid_t tgid, uint64_t since)
{
	struct pyinfo *pi = py_find(t, tgid);

	if (!pi || !pi->asyncio || pyinfo_asyncio_snapshot(pi) == -ESRCH || kill(tgid, 0) != 0)
		return;
	pending_add(t, tgid, now_ns() + 100000000, since, PEND_AIO_SNAP, 0);
}

/* 3.13+: place the GIL once the interpreter has made it: every millisecond for the first
 * 200 tries (start-up takes about 10 ms), then every 20 ms while the process lives. */
static void resolve_gil(struct tracer *t, pid_t tgid, uint64_t since, int tries)
{
	struct pyinfo *pi = py_find(t, tgid);
	int err;

	if (!pi || !pi->gil_pending)
		return;
	err = pyinfo_resolve_gil(pi);
	if (err == -EAGAIN) {
		pending_add(t, tgid, now_ns() + (tries < 200 ? 1000000 : 20000000), since, PEND_GIL,
			    tries + 1);
		return;
	}
	if (err) {
		pi->gil_pending = 0;
		if (pi->note[0])
			pr_info("pid %d: CPython %s: %s\n", tgid, pi->version, pi->note);
		return;
	}
	py_publish(t, pi);
	pr_debug("pid %d: CPython %s, GIL at 0x%llx (from its interpreter state)\n", tgid,
		 pi->version, (unsigned long long)pi->gil);
}

/* At the first wait for a GIL: attach the futex syscall tracepoints (GIL acquisitions, drop
 * requests). Not before: any syscall tracepoint puts every task's syscalls on the kernel's
 * slow path, and many programs map libpython without running Python threads (perf does). */
static void attach_futex(struct tracer *t)
{
	if (!t->gil_futex || t->futex_links[0])
		return;
	t->futex_links[0] = bpf_program__attach(t->skel->progs.ct_futex_enter);
	t->futex_links[1] = bpf_program__attach(t->skel->progs.ct_futex_exit);
	if (!t->futex_links[0] || !t->futex_links[1]) {
		pr_warn("cannot attach the futex syscall tracepoints: GIL acquisitions are not "
			"counted\n");
		bpf_link__destroy(t->futex_links[0]);
		bpf_link__destroy(t->futex_links[1]);
		t->futex_links[0] = t->futex_links[1] = NULL;
		t->gil_futex = false;
	}
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct tracer *t = ctx;
	const struct ct_event *e = data;
	uint64_t now = now_ns();

	if (size < sizeof(*e))
		return 0;
	if (e->type == CT_EV_GIL_WAIT) {
		attach_futex(t);
	} else if (e->type == CT_EV_EXEC) {
		detect_python(t, e->tgid, e->ts, true);
		if (t->proc_fn) {
			/* its libraries are mapped within milliseconds of the exec */
			pending_add(t, e->tgid, now + 20000000, 0, PEND_PROC, 0);
			pending_add(t, e->tgid, now + 300000000, 0, PEND_PROC, 0);
		}
	} else if (e->type == CT_EV_FORK && t->proc_fn) {
		t->proc_fn(t->proc_ctx, e->tgid);
	}
	return 0;
}

static int on_timeline(void *ctx, void *data, size_t size)
{
	struct tracer *t = ctx;

	if (t->tl_out && size >= sizeof(struct ct_tl_rec)) {
		fwrite(data, sizeof(struct ct_tl_rec), 1, t->tl_out);
		t->tl_records++;
	}
	return 0;
}

void tracer__timeline_to(struct tracer *t, FILE *f)
{
	if (t->tl)
		ring_buffer__consume(t->tl);
	t->tl_out = f;
	t->tl_records = 0;
}

static void run_pending(struct tracer *t)
{
	uint64_t now = now_ns();

	for (int i = 0; i < t->npending;) {
		if (t->pending[i].due > now) {
			i++;
			continue;
		}
		pid_t tgid = t->pending[i].tgid;
		int kind = t->pending[i].kind, tries = t->pending[i].tries;
		uint64_t since = t->pending[i].since;

		t->pending[i] = t->pending[--t->npending];
		if (kind == PEND_PY) {
			/* retry every 2 ms while the process lives */
			struct pyinfo pi;

			if (pyinfo_detect(tgid, &pi) == -EAGAIN) {
				if (kill(tgid, 0) == 0)
					pending_add(t, tgid, now + 2000000, since, PEND_PY, 0);
				continue;
			}
			detect_python(t, tgid, since, false);
		} else if (kind == PEND_GIL) {
			resolve_gil(t, tgid, since, tries);
		} else if (kind == PEND_AIO) {
			find_asyncio(t, tgid, since, tries);
		} else if (kind == PEND_AIO_SNAP) {
			snapshot_asyncio(t, tgid, since);
		} else if (t->proc_fn) {
			t->proc_fn(t->proc_ctx, tgid);
		}
	}
}

/* The sampling program shares the tracked set (threads) and the stack maps of the sched object. */
static int open_profiler(struct tracer *t)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE, .config = PERF_COUNT_SW_CPU_CLOCK,
		.size = sizeof(attr), .freq = 1, .sample_freq = t->sample_hz,
	};
	int ncpus = libbpf_num_possible_cpus(), err;

	t->prof = profile_bpf__open();
	if (!t->prof)
		return -errno;
	t->prof->rodata->py_frames_enabled = t->py_frames;
	if (bpf_map__max_entries(t->skel->maps.threads) != bpf_map__max_entries(t->prof->maps.threads))
		bpf_map__set_max_entries(t->prof->maps.threads, bpf_map__max_entries(t->skel->maps.threads));
	if ((err = bpf_map__reuse_fd(t->prof->maps.threads, bpf_map__fd(t->skel->maps.threads))) ||
	    (err = bpf_map__reuse_fd(t->prof->maps.stack_traces,
				     bpf_map__fd(t->skel->maps.stack_traces))) ||
	    (err = bpf_map__reuse_fd(t->prof->maps.stack_counts,
				     bpf_map__fd(t->skel->maps.stack_counts))) ||
	    (err = bpf_map__reuse_fd(t->prof->maps.py_procs, bpf_map__fd(t->skel->maps.py_procs))) ||
	    (err = bpf_map__reuse_fd(t->prof->maps.py_codes, bpf_map__fd(t->skel->maps.py_codes))) ||
	    (err = bpf_map__reuse_fd(t->prof->maps.py_stacks, bpf_map__fd(t->skel->maps.py_stacks))))
		return err;
	err = profile_bpf__load(t->prof);
	if (err) {
		pr_warn("cannot load the sampling program: %s\n", strerror(-err));
		return err;
	}
	t->perf_links = xcalloc(ncpus, sizeof(*t->perf_links));
	t->perf_fds = xcalloc(ncpus, sizeof(int));
	for (int cpu = 0; cpu < ncpus; cpu++) {
		int fd = syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);

		if (fd < 0) {
			if (errno == ENODEV)      /* a possible but offline CPU */
				continue;
			err = -errno;
			pr_warn("cannot open the cpu-clock on CPU %d: %s\n", cpu, strerror(errno));
			return err;
		}
		t->perf_fds[t->nperf] = fd;
		t->perf_links[t->nperf] = bpf_program__attach_perf_event(t->prof->progs.ct_sample, fd);
		if (!t->perf_links[t->nperf]) {
			err = -errno;
			close(fd);
			pr_warn("cannot attach the sampler on CPU %d: %s\n", cpu, strerror(-err));
			return err;
		}
		t->nperf++;
	}
	return 0;
}

bool tracer__gil_events(const struct tracer *t)
{
	return t->gil_futex;
}

bool tracer__stacks_enabled(const struct tracer *t)
{
	return t->stacks;
}

int tracer__sample_hz(const struct tracer *t)
{
	return t->sample_hz;
}

int tracer__stack(struct tracer *t, int id, uint64_t *ips, int max)
{
	__u64 buf[CT_STACK_DEPTH] = {};
	__u32 key = id;
	int n = 0;

	if (id < 0 || bpf_map__lookup_elem(t->skel->maps.stack_traces, &key, sizeof(key), buf,
					   sizeof(buf), 0))
		return 0;
	while (n < max && n < CT_STACK_DEPTH && buf[n]) {
		ips[n] = buf[n];
		n++;
	}
	return n;
}

/* The futex syscall tracepoints (GIL acquisitions) need tracefs: mount it where the kernel
 * expects it when nothing is mounted there yet, as perf and bpftrace users do by hand. */
static bool syscall_tracepoints(void)
{
	const char *id = "events/syscalls/sys_enter_futex/id";
	const char *roots[] = {"/sys/kernel/tracing/", "/sys/kernel/debug/tracing/"};
	char path[128];

	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
			snprintf(path, sizeof(path), "%s%s", roots[i], id);
			if (access(path, R_OK) == 0)
				return true;
		}
		if (pass == 0 && access("/sys/kernel/tracing/events", F_OK) != 0 &&
		    mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) != 0)
			pr_debug("cannot mount tracefs on /sys/kernel/tracing: %s\n", strerror(errno));
	}
	return false;
}

int tracer__open(struct tracer **out, const struct tracer_opts *o)
{
	struct tracer *t = xcalloc(1, sizeof(*t));
	uint64_t t0 = now_ns();
	int err;

	t->skel = sched_bpf__open();
	if (!t->skel) {
		err = -errno;
		pr_warn("cannot open the BPF object: %s\n", strerror(-err));
		goto fail;
	}
	reason_fill_syscall_table((uint8_t *)t->skel->rodata->syscall_reason, CT_NR_SYSCALLS);
	{
		char msg[256];

		err = kfeatures_probe(&t->kf, msg, sizeof(msg));
		if (err) {
			pr_warn("%s\n", msg);
			goto fail;
		}
	}
	/* bpf/core_fixes.bpf.h: read the arguments this kernel's tracepoints have */
	t->skel->rodata->switch_has_prev_state = t->kf.switch_prev_state;
	t->skel->rodata->exit_has_group_dead = t->kf.exit_group_dead;
	if (o && o->max_threads)
		bpf_map__set_max_entries(t->skel->maps.threads, o->max_threads);
	if (o && o->max_procs)
		bpf_map__set_max_entries(t->skel->maps.procs, o->max_procs);
	if (o && o->max_locks)
		bpf_map__set_max_entries(t->skel->maps.locks, o->max_locks);
	t->stacks = o && o->stacks;
	t->sample_hz = o && o->sample_hz > 0 ? o->sample_hz : 99;
	t->skel->rodata->stacks_enabled = t->stacks;
	t->py_frames = !(o && o->no_python_frames);
	if (t->py_frames && t->stacks && !t->kf.bpf_loop) {
		/* the walker is a bpf_loop callback; with the flag off the verifier never
		 * reaches the call */
		pr_warn("this kernel (%s) has no bpf_loop helper (5.17+): stacks without Python "
			"frames\n", t->kf.release);
		t->py_frames = false;
	}
	t->skel->rodata->py_frames_enabled = t->py_frames;
	t->skel->rodata->bench_floor = o && o->bench_floor;
	t->timeline = o && o->timeline;
	t->skel->rodata->timeline_enabled = t->timeline;
	if (t->timeline)
		bpf_map__set_max_entries(t->skel->maps.timeline,
					 (o->timeline_mb > 0 ? o->timeline_mb : 16) << 20);
	/* attached at the first wait for a GIL (attach_futex) */
	bpf_program__set_autoattach(t->skel->progs.ct_futex_enter, false);
	bpf_program__set_autoattach(t->skel->progs.ct_futex_exit, false);
	t->gil_futex = !(o && o->bench_floor) && syscall_tracepoints();
	if (!t->gil_futex) {
		if (!(o && o->bench_floor))
			pr_info("no syscall tracepoints (tracefs): GIL acquisitions are not counted\n");
		bpf_program__set_autoload(t->skel->progs.ct_futex_enter, false);
		bpf_program__set_autoload(t->skel->progs.ct_futex_exit, false);
	}
	err = sched_bpf__load(t->skel);
	if (err) {
		pr_warn("cannot load the BPF programs: %s%s\n", strerror(-err),
			log_verbosity >= LOG_INFO ? "" : " (run with -v for the verifier's log)");
		goto fail;
	}
	err = sched_bpf__attach(t->skel);
	if (err) {
		pr_warn("cannot attach the BPF programs: %s\n", strerror(-err));
		goto fail;
	}
	if (t->stacks) {
		err = open_profiler(t);
		if (err)
			goto fail;
	}
	t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events), on_event, t, NULL);
	if (!t->rb) {
		err = -errno;
		pr_warn("cannot open the event ring buffer: %s\n", strerror(-err));
		goto fail;
	}
	if (t->timeline) {
		t->tl = ring_buffer__new(bpf_map__fd(t->skel->maps.timeline), on_timeline, t, NULL);
		if (!t->tl) {
			err = -errno;
			pr_warn("cannot open the timeline ring buffer: %s\n", strerror(-err));
			goto fail;
		}
	}
	pr_info("BPF load + attach: %.1f ms\n", (now_ns() - t0) / 1e6);
	*out = t;
	return 0;
fail:
	tracer__close(t);
	return err ? err : -EINVAL;
}

void tracer__close(struct tracer *t)
{
	if (!t)
		return;
	ring_buffer__free(t->rb);
	ring_buffer__free(t->tl);
	for (int i = 0; i < t->nperf; i++) {
		bpf_link__destroy(t->perf_links[i]);
		close(t->perf_fds[i]);
	}
	bpf_link__destroy(t->futex_links[0]);
	bpf_link__destroy(t->futex_links[1]);
	free(t->perf_links);
	free(t->perf_fds);
	profile_bpf__destroy(t->prof);
	sched_bpf__destroy(t->skel);
	free(t->py);
	free(t->pending);
	free(t);
}

static void clear_map(struct bpf_map *m)
{
	size_t ks = bpf_map__key_size(m);
	char key[64], next[64];

	/* delete while iterating: always restart from the first key */
	while (bpf_map__get_next_key(m, NULL, next, ks) == 0) {
		memcpy(key, next, ks);
		if (bpf_map__delete_elem(m, key, ks, 0))
			break;
	}
}

int tracer__begin(struct tracer *t, uint64_t start)
{
	struct sched_bpf *s = t->skel;
	struct ct_cpu zero = {};

	clear_map(s->maps.threads);
	clear_map(s->maps.procs);
	clear_map(s->maps.locks);
	clear_map(s->maps.edges);
	clear_map(s->maps.gil_ranges);
	clear_map(s->maps.py_procs);
	clear_map(s->maps.py_codes);
	clear_map(s->maps.py_stacks);
	clear_map(s->maps.stack_counts);
	clear_map(s->maps.stack_traces);
	if (t->prof) {
		t->prof->bss->samples = 0;
		t->prof->bss->stacks_full = 0;
		t->prof->bss->stack_errors = 0;
		memset(&t->prof->bss->py_cnt, 0, sizeof(t->prof->bss->py_cnt));
	}
	memset(&s->bss->py_cnt, 0, sizeof(s->bss->py_cnt));
	for (__u32 i = 0; i < CT_MAX_CPUS; i++)
		bpf_map__update_elem(s->maps.cpus, &i, sizeof(i), &zero, sizeof(zero), BPF_ANY);
	memset(&s->bss->counters, 0, sizeof(s->bss->counters));
	memset((void *)s->bss->par_ns, 0, sizeof(s->bss->par_ns));
	s->bss->running = 0;
	__atomic_store_n(&s->bss->par_last_ns, start, __ATOMIC_SEQ_CST);
	t->npy = 0;
	return 0;
}

void tracer__begin_clock(struct tracer *t, uint64_t start)
{
	__atomic_store_n(&t->skel->bss->par_last_ns, start, __ATOMIC_SEQ_CST);
}

static void read_comm(pid_t tgid, pid_t tid, char *comm)
{
	char path[64], buf[64];

	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", tgid, tid);
	if (read_file_str(path, buf, sizeof(buf)) == 0)
		snprintf(comm, CT_COMM_LEN, "%.15s", buf);
}

int tracer__track(struct tracer *t, pid_t tid, pid_t tgid, pid_t ppid, bool attached)
{
	struct sched_bpf *s = t->skel;
	struct ct_thread th = { .tid = tid, .tgid = tgid, .start_ns = now_ns() };
	__u32 ktid = tid, ktgid = tgid;
	int err;

	{
		/* on-CPU time is counted from here: what the task used before is not ours */
		char path[64], buf[128];

		snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", tgid, tid);
		if (read_file_str(path, buf, sizeof(buf)) == 0)
			th.last_sum_exec = strtoull(buf, NULL, 10);
	}
	if (attached)
		th.flags |= CT_TF_ATTACHED;
	read_comm(tgid, tid, th.comm);
	err = bpf_map__update_elem(s->maps.threads, &ktid, sizeof(ktid), &th, sizeof(th), BPF_ANY);
	if (err)
		return err;
	if (tid == tgid) {
		struct ct_proc pr = { .tgid = tgid, .ppid = ppid, .start_ns = th.start_ns,
				      .nthreads = 1, .flags = attached ? CT_PF_ATTACHED : 0 };

		memcpy(pr.comm, th.comm, sizeof(pr.comm));
		err = bpf_map__update_elem(s->maps.procs, &ktgid, sizeof(ktgid), &pr, sizeof(pr),
					   BPF_NOEXIST);
		if (err && err != -EEXIST)
			return err;
		if (attached) {
			detect_python(t, tgid, 0, false);
			if (t->proc_fn)
				t->proc_fn(t->proc_ctx, tgid);
		}
	}
	if (tid != tgid) {
		struct ct_proc pr;

		if (bpf_map__lookup_elem(s->maps.procs, &ktgid, sizeof(ktgid), &pr, sizeof(pr), 0) == 0) {
			pr.nthreads++;
			bpf_map__update_elem(s->maps.procs, &ktgid, sizeof(ktgid), &pr, sizeof(pr),
					     BPF_EXIST);
		}
	}
	return 0;
}

int tracer__poll(struct tracer *t, int timeout_ms)
{
	int n;

	if (t->npending && timeout_ms > 2)
		timeout_ms = 2;
	n = ring_buffer__poll(t->rb, timeout_ms);
	if (t->tl)
		ring_buffer__consume(t->tl);
	run_pending(t);
	return n == -EINTR ? 0 : n;
}

int tracer__event_fd(struct tracer *t)
{
	return ring_buffer__epoll_fd(t->rb);
}

int tracer__live_procs(struct tracer *t, pid_t *out, int max)
{
	struct bpf_map *m = t->skel->maps.procs;
	__u32 key, next, *prev = NULL;
	struct ct_proc pr;
	int n = 0;

	while (n < max && bpf_map__get_next_key(m, prev, &next, sizeof(next)) == 0) {
		key = next;
		prev = &key;
		if (bpf_map__lookup_elem(m, &key, sizeof(key), &pr, sizeof(pr), 0) == 0 &&
		    !(pr.flags & CT_PF_EXITED))
			out[n++] = key;
	}
	return n;
}

/* Copy every entry of a hash map into arrays of keys and values. */
static int dump_map(struct bpf_map *m, void **keys, void **vals, int *count)
{
	size_t ks = bpf_map__key_size(m), vs = bpf_map__value_size(m);
	int cap = 64, n = 0;
	char *k = xcalloc(cap, ks), *v = xcalloc(cap, vs);
	char cur[64], next[64];
	void *prev = NULL;

	while (bpf_map__get_next_key(m, prev, next, ks) == 0) {
		memcpy(cur, next, ks);
		prev = cur;
		if (n == cap) {
			cap *= 2;
			k = xrealloc(k, cap * ks);
			v = xrealloc(v, cap * vs);
		}
		if (bpf_map__lookup_elem(m, cur, ks, v + n * vs, vs, 0))
			continue;
		memcpy(k + n * ks, cur, ks);
		n++;
	}
	*count = n;
	if (keys)
		*keys = k;
	else
		free(k);
	*vals = v;
	return 0;
}

static int cmp_stack_key(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct ct_stack_key));
}

/* Add the off-CPU stack time still pending in each thread (bpf/sched.bpf.c count_stack) to
 * the stack counts. */
static void add_pending_stacks(struct ct_raw *raw)
{
	int n = raw->nstacks, extra = 0;
	struct ct_stack_key *sorted = xcalloc(n + 1, sizeof(*sorted));
	int *order = xcalloc(n + 1, sizeof(int));

	/* sort (key, index) pairs: keys are compared bytewise; the index follows the key */
	struct { struct ct_stack_key k; int i; } *kv = xcalloc(n + 1, sizeof(*kv));
	for (int i = 0; i < n; i++) {
		kv[i].k = raw->stack_keys[i];
		kv[i].i = i;
	}
	qsort(kv, n, sizeof(*kv), cmp_stack_key);   /* the key is the element's first member */
	for (int i = 0; i < n; i++) {
		sorted[i] = kv[i].k;
		order[i] = kv[i].i;
	}
	for (int i = 0; i < raw->nthreads; i++) {
		const struct ct_thread *th = &raw->threads[i];
		struct ct_stack_key k = { .tgid = th->tgid, .tid = th->tid, .ustack = th->pend_ustack,
					  .kstack = th->pend_kstack, .reason = th->pend_reason,
					  .pystack = th->pend_pystack };
		struct ct_stack_key *hit;

		if (!th->pend_count)
			continue;
		hit = n ? bsearch(&k, sorted, n, sizeof(*sorted), cmp_stack_key) : NULL;
		if (hit) {
			struct ct_stack_val *v = &raw->stack_vals[order[hit - sorted]];

			v->count += th->pend_count;
			v->total_ns += th->pend_ns;
			continue;
		}
		raw->stack_keys = xrealloc(raw->stack_keys, (raw->nstacks + 1) * sizeof(k));
		raw->stack_vals = xrealloc(raw->stack_vals, (raw->nstacks + 1) *
					   sizeof(*raw->stack_vals));
		raw->stack_keys[raw->nstacks] = k;
		raw->stack_vals[raw->nstacks] = (struct ct_stack_val){ th->pend_count, th->pend_ns };
		raw->nstacks++;
		extra++;
	}
	(void)extra;
	free(kv);
	free(sorted);
	free(order);
}

int tracer__collect(struct tracer *t, uint64_t end, struct ct_raw *raw)
{
	struct sched_bpf *s = t->skel;
	int64_t running;
	uint64_t last;

	memset(raw, 0, sizeof(*raw));
	tracer__poll(t, 0);
	if (t->tl) {
		ring_buffer__consume(t->tl);
		if (t->tl_out)
			fflush(t->tl_out);
	}
	t->npending = 0;
	if (t->proc_fn) {
		pid_t live[1024];
		int n = tracer__live_procs(t, live, 1024);

		for (int i = 0; i < n; i++)
			t->proc_fn(t->proc_ctx, live[i]);
	}
	dump_map(s->maps.threads, NULL, (void **)&raw->threads, &raw->nthreads);
	dump_map(s->maps.procs, NULL, (void **)&raw->procs, &raw->nprocs);
	dump_map(s->maps.locks, (void **)&raw->lock_keys, (void **)&raw->lock_vals, &raw->nlocks);
	dump_map(s->maps.edges, (void **)&raw->edge_keys, (void **)&raw->edge_vals, &raw->nedges);
	dump_map(s->maps.stack_counts, (void **)&raw->stack_keys, (void **)&raw->stack_vals,
		 &raw->nstacks);
	add_pending_stacks(raw);
	dump_map(s->maps.py_stacks, (void **)&raw->py_stack_keys, (void **)&raw->py_stacks,
		 &raw->npy_stacks);
	dump_map(s->maps.py_codes, (void **)&raw->py_code_keys, (void **)&raw->py_codes,
		 &raw->npy_codes);
	raw->ncpus = libbpf_num_possible_cpus();
	if (raw->ncpus > CT_MAX_CPUS)
		raw->ncpus = CT_MAX_CPUS;
	for (__u32 i = 0; i < (__u32)raw->ncpus; i++)
		bpf_map__lookup_elem(s->maps.cpus, &i, sizeof(i), &raw->cpus[i], sizeof(raw->cpus[i]), 0);
	/* close the last interval of the parallelism profile at `end` */
	running = __atomic_load_n(&s->bss->running, __ATOMIC_SEQ_CST);
	last = __atomic_load_n(&s->bss->par_last_ns, __ATOMIC_SEQ_CST);
	memcpy(raw->par_ns, (void *)s->bss->par_ns, sizeof(raw->par_ns));
	if (running < 0)
		running = 0;
	if (running > CT_MAX_PAR)
		running = CT_MAX_PAR;
	if (end > last)
		raw->par_ns[running] += end - last;
	raw->counters = s->bss->counters;
	if (t->prof) {
		raw->counters.samples += t->prof->bss->samples;
		raw->counters.stacks_full += t->prof->bss->stacks_full;
		raw->counters.stack_errors += t->prof->bss->stack_errors;
	}
	for (int i = 0; i < 2; i++) {
		const struct ct_py_counts *pc = i ? (t->prof ? &t->prof->bss->py_cnt : NULL)
						  : &s->bss->py_cnt;

		if (!pc)
			continue;
		raw->counters.py_walks += pc->walks;
		raw->counters.py_no_tstate += pc->no_tstate;
		raw->counters.py_truncated += pc->truncated;
		raw->counters.py_codes_full += pc->codes_full;
		raw->counters.py_stacks_full += pc->stacks_full;
	}
	raw->end_ns = end;
	/* attached, or never needed: no thread waited for a GIL, so there is nothing to count */
	raw->gil_events = t->gil_futex;
	raw->kf = t->kf;
	raw->py_frames_off = t->stacks && !t->kf.bpf_loop;
	raw->py = t->py;
	raw->npy = t->npy;
	t->py = NULL;
	t->npy = t->cappy = 0;
	return 0;
}

void ct_raw_free(struct ct_raw *raw)
{
	free(raw->threads);
	free(raw->procs);
	free(raw->lock_keys);
	free(raw->lock_vals);
	free(raw->edge_keys);
	free(raw->edge_vals);
	free(raw->stack_keys);
	free(raw->stack_vals);
	free(raw->py);
	free(raw->py_stack_keys);
	free(raw->py_stacks);
	free(raw->py_code_keys);
	free(raw->py_codes);
	memset(raw, 0, sizeof(*raw));
}
