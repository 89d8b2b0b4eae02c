/* What each "Not measured" counter affects, and how to avoid it. The sizes are those of
 * the maps in bpf/ (shared.bpf.h, sched.bpf.c) and of the ring buffers set by tracer.c. */
#include <stdio.h>
#include <string.h>
#include "counters.h"
#include "log.h"
#include "results.h"

static const struct counter_info infos[] = {
	{"threads_map_full",
	 "threads past the 16384 the thread map holds were not traced: their time, switches "
	 "and stacks are missing from every figure",
	 "trace fewer threads at once (fewer tasks, or one program instead of a whole tree)", true},
	{"procs_map_full",
	 "processes past the 4096 the process map holds have no per-process figures (memory, "
	 "GIL, names); their threads still count in the totals",
	 "trace fewer processes at once (a smaller pool, fewer tasks)", true},
	{"locks_map_full",
	 "lock words past the 16384 the lock map holds are missing from the lock table; their "
	 "waits still count as lock time",
	 "fewer distinct locks (or a shorter run) in one case", true},
	{"edges_map_full",
	 "waker-to-waiter pairs past the 32768 the map holds are missing from the hand-offs",
	 "a shorter run, or fewer threads waking each other", true},
	{"events_dropped",
	 "the event ring buffer (64 KiB) overflowed: some forks, execs or exits were not seen, "
	 "so tasks may be untracked or their lifetimes too long",
	 "fewer processes started per second; a less loaded machine (the loader drains it)", true},
	{"parallelism_underflow",
	 "the running-threads count went below zero (a switch-in missed): the parallelism "
	 "profile is off by that many transitions",
	 "nothing to do: it is rare and bounded; report it if it is large", false},
	{"stacks_map_full",
	 "stacks past the 16384 distinct ones (65536 counts) the maps hold were dropped: the "
	 "flame graphs miss that much time",
	 "a lower -F/--sample-hz, a shorter run, or --no-stacks", true},
	{"timeline_dropped",
	 "the timeline ring buffer (16 MiB) overflowed: the per-core timeline and the Perfetto "
	 "trace miss those switches (some slices are missing or too long)",
	 "--no-timeline (record) or trace.timeline: false (run) when not needed, or a shorter "
	 "run", true},
	{"missed_switch_in",
	 "a thread was seen leaving a CPU without having been seen arriving: its first slice "
	 "started before tracking; on-CPU time still comes from the kernel's own counter",
	 "nothing to do for record -p (threads already running); otherwise report it", false},
	{"stack_walks_failed",
	 "the kernel could not walk some stacks (no frame pointers, or a page not present): "
	 "those samples show as [unknown] frames",
	 "build the traced program with -fno-omit-frame-pointer", false},
	{"python_no_thread_state",
	 "CPython threads whose thread state was not found (before the interpreter made it, "
	 "or in a subinterpreter) have native frames only",
	 "nothing to do for short-lived threads; --no-python-frames turns the walk off", false},
	{"python_truncated",
	 "Python stacks deeper than 64 frames were cut: the outermost frames are missing",
	 "nothing to do: the innermost 64 frames are kept", false},
	{"python_codes_map_full",
	 "code objects past the 8192 the map holds show as '?' in the Python frames",
	 "a shorter run, or --no-python-frames", true},
	{"python_stacks_map_full",
	 "Python stacks past the 16384 distinct ones the map holds were dropped from the "
	 "flame graphs (native frames kept)",
	 "a lower -F/--sample-hz or a shorter run", true},
};

const struct counter_info *counter_info(const char *name)
{
	for (size_t i = 0; i < sizeof(infos) / sizeof(infos[0]); i++)
		if (strcmp(infos[i].name, name) == 0)
			return &infos[i];
	return NULL;
}

int counters_nonzero(json_t *c, const char **names, long long *vals, int max)
{
	json_t *cnt = json_object_get(c, "counters"), *v;
	const char *k;
	int n = 0;

	for (size_t i = 0; i < sizeof(infos) / sizeof(infos[0]) && n < max; i++) {
		v = json_object_get(cnt, infos[i].name);
		if (json_is_integer(v) && json_integer_value(v) > 0) {
			names[n] = infos[i].name;
			vals[n++] = json_integer_value(v);
		}
	}
	/* a counter a newer tracer adds still shows */
	json_object_foreach(cnt, k, v)
		if (n < max && !counter_info(k) && strcmp(k, "python_walks") &&
		    json_is_integer(v) && json_integer_value(v) > 0) {
			names[n] = k;
			vals[n++] = json_integer_value(v);
		}
	return n;
}

static bool is_loss(const char *name)
{
	const struct counter_info *ci = counter_info(name);

	return ci ? ci->loss : !!strstr(name, "_full") || !!strstr(name, "_dropped");
}

int counters_lost(json_t *c)
{
	const char *names[64];
	long long vals[64];
	int n = counters_nonzero(c, names, vals, 64), lost = 0;

	for (int i = 0; i < n; i++)
		lost += is_loss(names[i]);
	return lost;
}

void counters_list(json_t *c, bool losses_only, char *buf, size_t len)
{
	const char *names[64];
	long long vals[64];
	int n = counters_nonzero(c, names, vals, 64);
	size_t o = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && o < len; i++)
		if (!losses_only || is_loss(names[i]))
			o += snprintf(buf + o, len - o, "%s%s %lld", o ? ", " : "", names[i], vals[i]);
}

int counters_summary(json_t *run, const char *dir)
{
	json_t *cases = json_object_get(run, "cases"), *c;
	int n = 0;
	size_t i;

	json_array_foreach(cases, i, c) {
		char list[512];

		if (!counters_lost(c))
			continue;
		counters_list(c, true, list, sizeof(list));
		if (json_array_size(cases) > 1)
			pr_warn("case %zu %s/%s: not measured: %s\n", i + 1,
				jget_str(c, "workload") ?: "?", jget_str(c, "model") ?: "?", list);
		else
			pr_warn("not measured: %s\n", list);
		n++;
	}
	if (n)
		pr_warn("what each of these affects and how to avoid it: \"Not measured\" in "
			"%s/report.txt\n", dir);
	return n;
}
