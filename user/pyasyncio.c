/* CPython 3.14's asyncio tasks, read from a running process's memory (/proc/PID/mem): each
 * thread keeps its tasks in a circular list (_PyThreadStateImpl.asyncio_tasks_head, through
 * TaskObj.task_node); a waiting task's coroutine embeds its suspended frame (gi_iframe), and
 * task_awaited_by names the task awaiting it. The offsets come from _asyncio's .AsyncioDebug
 * and the build's _Py_DebugOffsets (user/pydebug.c). The process runs while it is read:
 * every pointer is checked (types, bounds) and every walk is bounded. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pyframes.h"
#include "pyinfo.h"

#define MAX_THREADS 64
#define MAX_TASKS   512
#define TABLE_MAX   4096    /* bytes of a line table read */

static uint64_t rd64(const struct pyinfo *pi, uint64_t addr, int *ok)
{
	uint64_t v = 0;

	if (!addr || pyinfo_read_mem(pi->tgid, addr, &v, sizeof(v)) != 0) {
		*ok = 0;
		return 0;
	}
	return v;
}

/* A str's ASCII text, or "Task-N" for a task's int number; "?" otherwise. */
static void obj_name(const struct pyinfo *pi, uint64_t obj, char *out, size_t len)
{
	const struct ct_py_proc *w = &pi->walk;
	int ok = 1;
	uint64_t type = rd64(pi, obj + w->ob_type, &ok), n;
	uint32_t state = 0, digit = 0;

	snprintf(out, len, "?");
	if (!ok)
		return;
	if (type == w->str_type) {
		n = rd64(pi, obj + w->str_length, &ok);
		if (!ok || pyinfo_read_mem(pi->tgid, obj + w->str_state, &state, sizeof(state)) ||
		    !(state & (1u << 5)) || !(state & (1u << 6)))
			return;   /* only compact ASCII names */
		if (n >= len)
			n = len - 1;
		if (pyinfo_read_mem(pi->tgid, obj + w->str_ascii, out, n) == 0)
			out[n] = '\0';
		else
			snprintf(out, len, "?");
	} else if (type == w->long_type) {
		/* a compact int: lv_tag (digits << 3 | sign), then 30-bit digits */
		n = rd64(pi, obj + w->str_length, &ok);
		if (ok && (n >> 3) == 1 && (n & 3) == 0 &&
		    pyinfo_read_mem(pi->tgid, obj + w->str_length + 8, &digit, sizeof(digit)) == 0)
			snprintf(out, len, "Task-%u", digit & 0x3fffffff);
	}
}

/* "qualname (file.py:line)" of a suspended coroutine's frame; 0, or -1 if it is not one. */
static int frame_at(const struct pyinfo *pi, uint64_t coro, char *out, size_t len)
{
	const struct ct_py_proc *w = &pi->walk;
	uint64_t frame = coro + pi->aio.gen_iframe, code, instr, lt, tlen;
	struct ct_py_code *c;
	int8_t fstate = 0;
	int ok = 1, index, err = -1;

	if (pyinfo_read_mem(pi->tgid, coro + pi->aio.gen_frame_state, &fstate, 1) ||
	    fstate >= 0)
		return -1;   /* running, completed or cleared: not waiting */
	code = rd64(pi, frame + w->frame_code, &ok) & ~(uint64_t)w->exec_tag_mask;
	instr = rd64(pi, frame + w->frame_instr, &ok);
	if (!ok || rd64(pi, code + w->ob_type, &ok) != w->code_type || !ok)
		return -1;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -1;
	if (pyinfo_read_mem(pi->tgid, code + w->code_firstlineno, &c->firstlineno, 4))
		goto out;
	obj_name(pi, rd64(pi, code + w->code_name, &ok), c->name, sizeof(c->name));
	obj_name(pi, rd64(pi, code + w->code_filename, &ok), c->file, sizeof(c->file));
	lt = rd64(pi, code + w->code_linetable, &ok);
	tlen = lt ? rd64(pi, lt + w->bytes_size, &ok) : 0;
	if (ok && tlen > 0 && tlen <= CT_PY_LINETABLE &&
	    pyinfo_read_mem(pi->tgid, lt + w->bytes_sval, c->linetable, tlen) == 0)
		c->linetable_len = (uint32_t)tlen;
	index = instr ? (int)((int64_t)(instr - (code + w->code_adaptive)) >> 1) : -1;
	py_frame_name(pi->minor, c, index, out, len);
	err = 0;
out:
	free(c);
	return err;
}

static void seen_add(struct pyinfo *pi, const char *task, const char *at, const char *by)
{
	struct pyinfo_task_seen *s;

	for (int i = 0; i < pi->nseen; i++) {
		s = &pi->seen[i];
		if (!strcmp(s->task, task) && !strcmp(s->at, at) && !strcmp(s->by, by)) {
			s->snapshots++;
			return;
		}
	}
	if (pi->nseen == (int)(sizeof(pi->seen) / sizeof(pi->seen[0]))) {
		pi->seen_dropped++;
		return;
	}
	s = &pi->seen[pi->nseen++];
	snprintf(s->task, sizeof(s->task), "%s", task);
	snprintf(s->at, sizeof(s->at), "%s", at);
	snprintf(s->by, sizeof(s->by), "%s", by);
	s->snapshots = 1;
}

int pyinfo_asyncio_snapshot(struct pyinfo *pi)
{
	uint64_t interp, ts, running, head, node, task;
	int ok = 1, n = 0, threads = 0;

	if (!pi->asyncio)
		return -ENOTSUP;
	interp = rd64(pi, pi->walk.interp_head, &ok);
	if (!ok)
		return pyinfo_read_mem(pi->tgid, pi->walk.interp_head, &interp, 8) == -ESRCH ?
			-ESRCH : -EIO;
	ts = rd64(pi, interp + pi->walk.interp_tstate_head, &ok);
	for (; ok && ts && threads < MAX_THREADS; threads++) {
		running = rd64(pi, ts + pi->aio.ts_running_task, &ok);
		head = ts + pi->aio.ts_tasks_head;
		node = rd64(pi, head, &ok);
		for (int k = 0; ok && node && node != head && k < MAX_TASKS; k++) {
			char name[64], at[160], by[64] = "";
			uint64_t coro, aw;
			uint8_t is_set = 0;

			task = node - pi->aio.task_node;
			node = rd64(pi, node, &ok);
			if (task == running)
				continue;   /* on the CPU: its frames are in the stacks */
			coro = rd64(pi, task + pi->aio.task_coro, &ok);
			if (!ok || !coro || frame_at(pi, coro, at, sizeof(at)) != 0)
				continue;
			obj_name(pi, rd64(pi, task + pi->aio.task_name, &ok), name, sizeof(name));
			aw = rd64(pi, task + pi->aio.task_awaited_by, &ok);
			if (aw) {
				pyinfo_read_mem(pi->tgid, task + pi->aio.task_awaited_by_is_set,
						&is_set, 1);
				if (is_set) {
					snprintf(by, sizeof(by), "several tasks");
				} else {
					int ok2 = 1;

					obj_name(pi, rd64(pi, aw + pi->aio.task_name, &ok2), by,
						 sizeof(by));
				}
			}
			seen_add(pi, name, at, by);
			n++;
		}
		ok = 1;
		ts = rd64(pi, ts + pi->walk.tstate_next, &ok);
	}
	pi->snapshots++;
	return n;
}
