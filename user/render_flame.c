/* Folded stacks and flame-graph SVGs of a case, from its stacks.json. */
#include <errno.h>
#include <string.h>
#include "flame.h"
#include "log.h"
#include "render.h"
#include "render_flame.h"
#include "results.h"
#include "stacks.h"
#include "util.h"

struct flame *flame_from_stacks(json_t *stacks, bool oncpu)
{
	struct flame *f = flame__new();
	json_t *frames = json_object_get(stacks, "frames"), *samples, *s;
	size_t i;

	if (!f)
		return NULL;
	samples = json_object_get(stacks, "samples");
	json_array_foreach(samples, i, s) {
		const char *reason = jget_str(s, "reason");
		json_t *stack = json_object_get(s, "stack"), *id;
		size_t n = json_array_size(stack), k, base;
		const char **names;
		uint64_t v;

		if (!reason || (strcmp(reason, "oncpu") == 0) != oncpu)
			continue;
		v = oncpu ? jget_u64(s, "count") : jget_u64(s, "ns");
		if (!v)
			continue;
		base = oncpu ? 1 : 2;
		names = xcalloc(n + base, sizeof(char *));
		if (!oncpu)
			names[0] = reason;
		names[base - 1] = jget_str(s, "comm") ? jget_str(s, "comm") : "?";
		json_array_foreach(stack, k, id)
			names[base + k] = json_string_value(json_array_get(frames,
									   json_integer_value(id))) ?: "?";
		flame__add(f, names, n + base, v);
		free(names);
	}
	return f;
}

/* The case's flame graph (empty without stacks.json), or NULL with *err set: stacks.json
 * is corrupt (after a message), or no memory. */
static struct flame *case_flame(const char *case_dir, bool oncpu, int *hz, int *err)
{
	char msg[512];
	json_t *st;
	struct flame *f;

	*err = stacks_load(case_dir, &st, msg, sizeof(msg));
	if (*err) {
		pr_warn("%s\n", msg);
		return NULL;
	}
	*err = -ENOMEM;
	if (!st)
		return flame__new();
	*hz = jget_u64(st, "sample_hz");
	f = flame_from_stacks(st, oncpu);
	json_decref(st);
	return f;
}

static int folded(const char *case_dir, FILE *out, bool oncpu)
{
	int hz = 0, err;
	struct flame *f = case_flame(case_dir, oncpu, &hz, &err);

	if (!f)
		return err;
	err = flame__write_folded(f, out);
	flame__free(f);
	return err;
}

int render_oncpu_folded(json_t *run, json_t *c, const char *case_dir, FILE *out,
			const struct render_opts *o)
{
	return folded(case_dir, out, true);
}

int render_offcpu_folded(json_t *run, json_t *c, const char *case_dir, FILE *out,
			 const struct render_opts *o)
{
	return folded(case_dir, out, false);
}

static void case_title(json_t *c, char *buf, size_t len)
{
	json_t *cmd = json_object_get(c, "command");

	if (jget_str(c, "workload"))
		snprintf(buf, len, "%s / %s", jget_str(c, "workload"), jget_str(c, "model"));
	else
		snprintf(buf, len, "%s", json_string_value(json_array_get(cmd, 0)) ?: "?");
}

static int svg(json_t *c, const char *case_dir, FILE *out, bool oncpu)
{
	int hz = 0, err;
	struct flame *f = case_flame(case_dir, oncpu, &hz, &err);
	char title[320], sub[256], b[32];
	struct flame_opts fo = {0};

	if (!f)
		return err;
	case_title(c, sub, sizeof(sub));
	if (oncpu) {
		snprintf(title, sizeof(title), "On-CPU: %s", sub);
		snprintf(sub, sizeof(sub), "%llu samples at %d Hz per CPU",
			 (unsigned long long)flame__total(f), hz);
	} else {
		snprintf(title, sizeof(title), "Off-CPU by reason: %s", sub);
		snprintf(sub, sizeof(sub), "%s off the CPU, summed over threads; the root frame is "
			 "the reason", fmt_ns(flame__total(f), b, sizeof(b)));
	}
	fo.title = title;
	fo.subtitle = sub;
	fo.unit = oncpu ? "samples" : "ns";
	fo.palette = oncpu ? FLAME_HOT : FLAME_OFFCPU_REASON;
	err = flame__write_svg(f, &fo, out);
	flame__free(f);
	return err;
}

int render_oncpu_svg(json_t *run, json_t *c, const char *case_dir, FILE *out,
		     const struct render_opts *o)
{
	return svg(c, case_dir, out, true);
}

int render_offcpu_svg(json_t *run, json_t *c, const char *case_dir, FILE *out,
		      const struct render_opts *o)
{
	return svg(c, case_dir, out, false);
}
