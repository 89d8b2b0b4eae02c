/* What each "Not measured" counter affects, and how to avoid it. The sizes are those of
 * the maps in bpf/ (shared.bpf.h, sched.bpf.c) and of the ring buffers set by tracer.c. */
#include <string.h>
#include "counters.h"
#include "log.h"
#include "results.h"

static const struct counter_info infos[] = {
	{"threads_map_full",
	 "threads past the 16384 the thread map holds were not traced: their time, switches "
	 "and stacks are missing from every figure",
	 "trace fewer threads at once (fewer tasks, or one program instead of a whole tree)"},
	{"procs_map_full",
	 "processes past the 4096 the process map holds have no per-process figures (memory, "
	 "GIL, names); their threads still count in the totals",
	 "trace fewer processes at once (a smaller pool, fewer tasks)"},
	{"locks_map_full",
	 "lock words past the 16384 the lock map holds are missing from the lock table; their "
	 "waits still count as lock time",
	 "fewer distinct locks (or a shorter run) in one case"},
	{"edges_map_full",
	 "waker-to-waiter pairs past the 32768 the map holds are missing from the hand-offs",
	 "a shorter run, or fewer threads waking each other"},
	{"events_dropped",
	 "the event ring buffer (64 KiB) overflowed: some forks, execs or exits were not seen, "
	 "so tasks may be untracked or their lifetimes too long",
	 "fewer processes started per second; a less loaded machine (the loader drains it)"},
	{"parallelism_underflow",
	 "the running-threads count went below zero (a switch-in missed): the parallelism "
	 "profile is off by that many transitions",
	 "nothing to do: it is rare and bounded; report it if it is large"},
	{"stacks_map_full",
	 "stacks past the 16384 distinct ones (65536 counts) the maps hold were dropped: the "
	 "flame graphs miss that much time",
	 "a lower -F/--sample-hz, a shorter run, or --no-stacks"},
	{"timeline_dropped",
	 "the timeline ring buffer (16 MiB) overflowed: the per-core timeline and the Perfetto "
	 "trace miss those switches (some slices are missing or too long)",
	 "--no-timeline (record) or trace.timeline: false (run) when not needed, or a shorter "
	 "run"},
	{"missed_switch_in",
	 "a thread was seen leaving a CPU without having been seen arriving: its first slice "
	 "started before tracking; on-CPU time still comes from the kernel's own counter",
	 "nothing to do for record -p (threads already running); otherwise report it"},
	{"stack_walks_failed",
	 "the kernel could not walk some stacks (no frame pointers, or a page not present): "
	 "those samples show as [unknown] frames",
	 "build the traced program with -fno-omit-frame-pointer"},
	{"python_no_thread_state",
	 "CPython threads whose thread state was not found (before the interpreter made it, "
	 "or in a subinterpreter) have native frames only",
	 "nothing to do for short-lived threads; --no-python-frames turns the walk off"},
	{"python_truncated",
	 "Python stacks deeper than 64 frames were cut: the outermost frames are missing",
	 "nothing to do: the innermost 64 frames are kept"},
	{"python_codes_map_full",
	 "code objects past the 8192 the map holds show as '?' in the Python frames",
	 "a shorter run, or --no-python-frames"},
	{"python_stacks_map_full",
	 "Python stacks past the 16384 distinct ones the map holds were dropped from the "
	 "flame graphs (native frames kept)",
	 "a lower -F/--sample-hz or a shorter run"},
};

const struct counter_info *counter_info(const char *name)
{
	for (size_t i = 0; i < sizeof(infos) / sizeof(infos[0]); i++)
		if (strcmp(infos[i].name, name) == 0)
			return &infos[i];
	return NULL;
}

/* Every counter but python_walks is a loss, the known ones and any a newer tracer adds. */
static bool is_loss(const char *name, json_t *v)
{
	return strcmp(name, "python_walks") && json_is_integer(v) && json_integer_value(v) > 0;
}

int counters_lost(json_t *c)
{
	json_t *v;
	const char *k;
	int n = 0;

	json_object_foreach(json_object_get(c, "counters"), k, v)
		n += is_loss(k, v);
	return n;
}

void counters_list(json_t *c, char *buf, size_t len)
{
	json_t *v;
	const char *k;
	size_t o = 0;

	buf[0] = '\0';
	json_object_foreach(json_object_get(c, "counters"), k, v) {
		if (!is_loss(k, v) || o >= len)
			continue;
		o += snprintf(buf + o, len - o, "%s%s %lld", o ? ", " : "", k,
			      json_integer_value(v));
	}
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
		counters_list(c, list, sizeof(list));
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
