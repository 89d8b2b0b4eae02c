/* One traced case's life for every command (run, record, record -p), and the one writer of a
 * run's outputs. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "capture.h"
#include "casegroup.h"
#include "log.h"
#include "outdir.h"
#include "render.h"
#include "session.h"
#include "counters.h"
#include "stacks.h"
#include "symbolize.h"

struct session {
	struct tracer *t;
	struct symbolizer *sym;
	const struct ct_user *user;
};

int session_open(struct session **out, const struct tracer_opts *to, const struct ct_user *u)
{
	struct session *s;
	char msg[256];
	int code = tracer_preflight(msg, sizeof(msg)), err;

	*out = NULL;
	if (code) {
		pr_warn("%s\n", msg);
		return code;
	}
	s = xcalloc(1, sizeof(*s));
	s->user = u;
	/* before the BPF load: the watchdog must not hold the tracer's descriptors */
	err = casegroup_init();
	if (err)
		pr_info("cases run without a cgroup (%s): a timeout or Ctrl-C ends them by process "
			"group and tracked pid\n", strerror(-err));
	err = tracer__open(&s->t, to);
	if (err) {
		if (err == -EPERM)
			pr_warn("not permitted to load BPF programs (%s): run as root\n", strerror(-err));
		casegroup_exit();
		free(s);
		return err == -EPERM ? CT_EXIT_PERM : CT_EXIT_BPF;
	}
	if (to->stacks) {
		s->sym = symbolizer__new();
		if (s->sym)
			tracer__on_process(s->t, capture_snapshot, s->sym);
	}
	*out = s;
	return 0;
}

void session_close(struct session *s)
{
	if (!s)
		return;
	tracer__close(s->t);
	symbolizer__free(s->sym);
	casegroup_exit();
	free(s);
}

/* The end of a case: the last exit the kernel saw when every process exited, else `fallback`
 * (the moment tracing stopped). wall_ns is measured to it, for every command. */
static uint64_t case_end(const struct ct_raw *raw, uint64_t fallback)
{
	uint64_t end = 0;

	for (int i = 0; i < raw->nprocs; i++) {
		if (!(raw->procs[i].flags & CT_PF_EXITED))
			return fallback;
		if (raw->procs[i].end_ns > end)
			end = raw->procs[i].end_ns;
	}
	return end && end <= fallback ? end : fallback;
}

/* A file of the case that could not be written (and was removed): named in the case's
 * "lost_files", so that run.json says so and the command exits 1. */
static void lost_file(json_t *c, const char *name, int err)
{
	json_t *lost = json_object_get(c, "lost_files");

	if (!lost) {
		lost = json_object();
		json_object_set_new(c, "lost_files", lost);
	}
	json_object_set_new(lost, name, json_string(strerror(-err)));
}

/* Collect the maps, build the case, write its stacks. */
static json_t *finish_case(struct session *s, uint64_t start, uint64_t end, struct outdir *dir,
			   const struct case_meta *meta, FILE *tl)
{
	struct ct_raw raw;
	json_t *c;
	int tl_err, st_err;

	tracer__collect(s->t, end, &raw);
	tl_err = capture_close_timeline(s->t, tl, dir);
	raw.start_ns = start;
	raw.end_ns = case_end(&raw, end);
	c = results_build_case(&raw, meta);
	st_err = capture_write_stacks(s->t, s->sym, &raw, dir);
	if (tl_err)
		lost_file(c, "timeline.bin", tl_err);
	if (st_err)
		lost_file(c, "stacks.json", st_err);
	ct_raw_free(&raw);
	return c;
}

static json_t *failed_case(struct session_case *c, enum session_failure why, int err)
{
	struct ct_raw raw = {};

	c->failed = why;
	c->err = err;
	c->meta.error = c->error;
	c->meta.exit_code = -1;
	raw.start_ns = raw.end_ns = now_ns();
	return results_build_case(&raw, &c->meta);
}

static json_t *parse_report(const char *line, char *err, size_t len)
{
	json_error_t je;
	json_t *j;

	if (!line || !*line)
		return NULL;
	j = json_loads(line, 0, &je);
	if (!j)
		snprintf(err, len, "its fd-3 report is not JSON: %s", je.text);
	else if (!json_is_object(j)) {
		snprintf(err, len, "its fd-3 report is not a JSON object");
		json_decref(j);
		j = NULL;
	}
	return j;
}

json_t *session_run_case(struct session *s, struct session_case *c)
{
	struct runner_result *res = &c->res;
	struct case_meta *meta = &c->meta;
	struct casegroup g;
	const char *cmd = c->run.argv[0];
	struct runner r;
	FILE *tl = NULL;
	json_t *out;
	int err;

	memset(res, 0, sizeof(*res));
	c->failed = SESSION_OK;
	c->err = 0;
	c->error[0] = '\0';
	if (!c->run.user)
		c->run.user = s->user;
	if (ct_interrupted) {
		/* a signal during the BPF load (or between cases): the command is not started */
		snprintf(c->error, sizeof(c->error), "not started: interrupted");
		return failed_case(c, SESSION_SIGNALLED, -EINTR);
	}
	/* the maps are cleared before anything of the case exists */
	tracer__begin(s->t, now_ns());
	if (c->timeline)
		tl = capture_open_timeline(s->t, c->dir);
	c->run.own_pgrp = true;
	c->run.cgroup = casegroup_new(&g) == 0 ? &g : NULL;
	err = runner_start(&r, &c->run);
	if (err) {
		casegroup_free(&g);
		capture_close_timeline(s->t, tl, c->dir);
		snprintf(c->error, sizeof(c->error), "cannot start %s: %s", cmd,
			 err == -ENOENT ? "command not found" : strerror(-err));
		return failed_case(c, SESSION_START, err);
	}
	err = tracer__track(s->t, r.pid, r.pid, 0, false);
	if (err) {
		runner_abort(&r);
		casegroup_free(&g);
		capture_close_timeline(s->t, tl, c->dir);
		snprintf(c->error, sizeof(c->error), "cannot track pid %d: %s", r.pid, strerror(-err));
		return failed_case(c, SESSION_TRACK, err);
	}
	runner_pre_exec(r.pid, &meta->pre_exec.on_cpu_ns, &meta->pre_exec.nvcsw,
			&meta->pre_exec.nivcsw);
	tracer__begin_clock(s->t, now_ns());
	err = runner_release(&r, &res->start_ns);
	if (err) {
		casegroup_free(&g);
		capture_close_timeline(s->t, tl, c->dir);
		snprintf(c->error, sizeof(c->error), "cannot execute %s: %s", cmd, strerror(-err));
		return failed_case(c, SESSION_EXEC, err);
	}
	runner_wait(&r, s->t, res);
	/* whatever escaped the wait (a process that made itself a subreaper) */
	casegroup_free(&g);
	meta->exit_code = res->exit_code;
	meta->signal = res->signal;
	meta->timed_out = res->timed_out;
	meta->interrupted = res->interrupted;
	meta->have_rusage = true;
	meta->ru = res->ru;
	meta->workload_report = parse_report(res->report, c->error, sizeof(c->error));
	if (c->error[0])
		meta->error = c->error;
	out = finish_case(s, res->start_ns, res->end_ns, c->dir, meta, tl);
	free(res->report);
	res->report = NULL;
	return out;
}

/* Every tgid under root (inclusive) found in /proc, with their threads. */
static int track_tree(struct tracer *t, pid_t root, int *nprocs)
{
	int cap = 256, n = 0, added = 0;
	pid_t *pids, *ppids;
	DIR *d = opendir("/proc");
	struct dirent *de;
	bool *in = NULL;

	if (!d)
		return -errno;
	pids = xcalloc(cap, sizeof(pid_t));
	ppids = xcalloc(cap, sizeof(pid_t));
	while ((de = readdir(d)) != NULL) {
		char path[64], buf[512], *p;
		pid_t pid = atoi(de->d_name);

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		if (read_file_str(path, buf, sizeof(buf)) != 0)
			continue;
		p = strrchr(buf, ')');
		if (!p)
			continue;
		if (n == cap) {
			cap *= 2;
			pids = xrealloc(pids, cap * sizeof(pid_t));
			ppids = xrealloc(ppids, cap * sizeof(pid_t));
		}
		pids[n] = pid;
		ppids[n] = atoi(p + 4);   /* ") S PPID" */
		n++;
	}
	closedir(d);
	in = xcalloc(n + 1, sizeof(bool));
	for (int changed = 1; changed;) {
		changed = 0;
		for (int i = 0; i < n; i++) {
			if (in[i])
				continue;
			bool mark = pids[i] == root;

			for (int j = 0; j < n && !mark; j++)
				if (in[j] && pids[j] == ppids[i])
					mark = true;
			if (mark) {
				in[i] = true;
				changed = 1;
			}
		}
	}
	for (int i = 0; i < n; i++) {
		char path[64];
		DIR *td;

		if (!in[i])
			continue;
		/* the leader first, so that its process entry exists for its threads */
		if (tracer__track(t, pids[i], pids[i], pids[i] == root ? 0 : ppids[i], true) == 0)
			added++;
		snprintf(path, sizeof(path), "/proc/%d/task", pids[i]);
		td = opendir(path);
		while (td && (de = readdir(td)) != NULL) {
			pid_t tid = atoi(de->d_name);

			if (tid > 0 && tid != pids[i])
				tracer__track(t, tid, pids[i], 0, true);
		}
		if (td)
			closedir(td);
	}
	free(pids);
	free(ppids);
	free(in);
	*nprocs += added;
	return added ? 0 : -ESRCH;
}

static bool any_alive(struct tracer *t)
{
	pid_t live[256];
	int n = tracer__live_procs(t, live, 256);

	for (int i = 0; i < n; i++) {
		char path[64], buf[512], *p;

		snprintf(path, sizeof(path), "/proc/%d/stat", live[i]);
		if (read_file_str(path, buf, sizeof(buf)) != 0)
			continue;
		p = strrchr(buf, ')');
		if (p && p[2] != 'Z' && p[2] != 'X')
			return true;
	}
	return false;
}

json_t *session_attach(struct session *s, const pid_t *pids, int npids, uint64_t duration_ns,
		       struct outdir *dir, bool timeline, struct case_meta *meta, bool announce,
		       int *err)
{
	uint64_t start = now_ns(), end;
	int nprocs = 0, tracked = 0;
	FILE *tl = NULL;

	*err = 0;
	tracer__begin(s->t, start);
	if (timeline)
		tl = capture_open_timeline(s->t, dir);
	for (int i = 0; i < npids; i++)
		if (track_tree(s->t, pids[i], &nprocs) == 0)
			tracked++;
	if (!tracked) {
		capture_close_timeline(s->t, tl, dir);
		*err = -ESRCH;
		return NULL;
	}
	if (announce) {
		char comm[64] = "", path[64];

		snprintf(path, sizeof(path), "/proc/%d/comm", pids[0]);
		read_file_str(path, comm, sizeof(comm));
		fprintf(stderr, "conctrace: attached to pid %d (%s)%s and %d process(es); "
			"Ctrl-C to stop\n", pids[0], comm, npids > 1 ? " and the others" : "",
			nprocs);
	}
	end = duration_ns ? start + duration_ns : 0;
	while (!ct_interrupted && (!end || now_ns() < end)) {
		tracer__poll(s->t, 50);
		if (!any_alive(s->t))
			break;
	}
	meta->interrupted = ct_interrupted;
	meta->exit_code = -1;
	return finish_case(s, start, now_ns(), dir, meta, tl);
}

int session_write_run(json_t *run, struct outdir *dir, bool quiet)
{
	int err = 0, rc;
	size_t i;
	json_t *c;

	/* the comparison reaches the terminal even when no file can be written */
	if (!quiet) {
		struct render_opts so = { .color = want_color(stdout), .dir = outdir__path(dir) };

		render_text(run, stdout, &so);
		printf("\nrun directory: %s\n", outdir__path(dir));
		if (fflush(stdout) != 0) {
			err = -errno;
			pr_warn("cannot write the report to stdout: %s\n", strerror(errno));
		}
	}
	rc = results_write(run, dir);
	err = err ? err : rc;
	rc = render_case_files(run, dir);
	err = err ? err : rc;
	rc = render_html_file(run, dir);
	err = err ? err : rc;
	rc = render_text_file(run, dir);
	err = err ? err : rc;
	/* lost events change figures: say so where the run ends, not only in the files */
	counters_summary(run, outdir__path(dir));
	/* a case file lost while the case ran (timeline.bin, stacks.json) fails the command too */
	json_array_foreach(json_object_get(run, "cases"), i, c)
		if (json_object_size(json_object_get(c, "lost_files")) && !err)
			err = -EIO;
	return err;
}

int session_make_rundir(const char *outdir, const char *stem, bool force,
			const struct ct_user *u, struct outdir **dir)
{
	struct outdir_opts oo = { .mode = force ? OUTDIR_FORCE : OUTDIR_NEW, .user = u,
				  .parents = true };
	char msg[512], *path;
	int err;

	if (outdir) {
		path = xstrdup(outdir);
	} else {
		char ts[32];

		timestamp_compact(ts, sizeof(ts));
		path = xasprintf("conctrace-out/%s-%s", stem, ts);
		oo.mode = OUTDIR_UNIQUE;
	}
	err = outdir__open(dir, path, &oo, msg, sizeof(msg));
	free(path);
	if (err) {
		pr_warn("%s\n", msg);
		return outdir_exit_status(err);
	}
	return 0;
}
