/* Decoding and checking timeline.bin, and the GIL holders through it. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "infile.h"
#include "log.h"
#include "reasons.h"
#include "timeline.h"
#include "util.h"

void tl_bounds_of_case(json_t *c, struct tl_bounds *b)
{
	json_t *start = json_object_get(c, "start_mono_ns"), *wall = json_object_get(c, "wall_ns");
	size_t ncpus = json_array_size(json_object_get(c, "cpus"));

	b->ncpus = ncpus && ncpus <= CT_MAX_CPUS ? (uint32_t)ncpus : CT_MAX_CPUS;
	b->start = json_is_integer(start) && json_integer_value(start) > 0 ?
		   (uint64_t)json_integer_value(start) : 0;
	b->end = b->start && json_is_integer(wall) && json_integer_value(wall) > 0 &&
		 (uint64_t)json_integer_value(wall) <= UINT64_MAX - b->start - TL_SLACK_NS ?
		 b->start + (uint64_t)json_integer_value(wall) : 0;
}

static int bad(char *err, size_t errlen, const char *name, size_t i, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int bad(char *err, size_t errlen, const char *name, size_t i, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, errlen, "%s: record %zu at offset %zu: ", name, i,
			 i * sizeof(struct ct_tl_rec));

	if (n >= 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - n, fmt, ap);
		va_end(ap);
	}
	return -EBADMSG;
}

static int check(const struct ct_tl_rec *r, size_t i, const struct tl_bounds *b,
		 const char *name, char *err, size_t errlen)
{
	if (r->type != CT_EV_SWITCH && r->type != CT_EV_WAKE && r->type != CT_EV_GIL)
		return bad(err, errlen, name, i, "unknown record type %u", r->type);
	if (r->cpu >= b->ncpus)
		return bad(err, errlen, name, i, "CPU %u is not a CPU of the case (it has %u)",
			   r->cpu, b->ncpus);
	if (r->prev_tid > TL_MAX_TID || r->prev_tgid > TL_MAX_TID || r->next_tid > TL_MAX_TID ||
	    r->next_tgid > TL_MAX_TID)
		return bad(err, errlen, name, i, "a thread id above %u", TL_MAX_TID);
	if (r->type == CT_EV_SWITCH && r->reason > CT_R_MAX)
		return bad(err, errlen, name, i, "unknown off-CPU reason %u", r->reason);
	if (r->type == CT_EV_GIL && r->reason > 1)
		return bad(err, errlen, name, i, "a GIL record that neither takes nor drops (%u)",
			   r->reason);
	if (b->start && (r->ts < b->start - (b->start < TL_SLACK_NS ? b->start : TL_SLACK_NS) ||
			 (b->end && r->ts > b->end + TL_SLACK_NS)))
		return bad(err, errlen, name, i, "time %llu is outside the case (%llu to %llu)",
			   (unsigned long long)r->ts, (unsigned long long)b->start,
			   (unsigned long long)b->end);
	return 0;
}

struct order {
	uint64_t ts;
	size_t i;
};

static int cmp_order(const void *a, const void *b)
{
	const struct order *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

int timeline_decode(const void *buf, size_t len, const struct tl_bounds *b, const char *name,
		    struct timeline *tl, char *err, size_t errlen)
{
	size_t n = len / sizeof(struct ct_tl_rec);
	struct ct_tl_rec *rec;
	bool sorted = true;
	int ret;

	memset(tl, 0, sizeof(*tl));
	tl->present = true;
	tl->ncpus = b->ncpus;
	tl->cut = len % sizeof(struct ct_tl_rec);
	if (!n)
		return 0;
	rec = xcalloc(n, sizeof(*rec));
	memcpy(rec, buf, n * sizeof(*rec));
	for (size_t i = 0; i < n; i++) {
		if ((ret = check(&rec[i], i, b, name, err, errlen))) {
			free(rec);
			return ret;
		}
		if (i && rec[i].ts < rec[i - 1].ts)
			sorted = false;
	}
	/* the ring buffer is shared by the CPUs: nearly in order, not quite */
	if (!sorted) {
		struct order *o = xcalloc(n, sizeof(*o));
		struct ct_tl_rec *s = xcalloc(n, sizeof(*s));

		for (size_t i = 0; i < n; i++)
			o[i] = (struct order){ rec[i].ts, i };
		qsort(o, n, sizeof(*o), cmp_order);
		for (size_t i = 0; i < n; i++)
			s[i] = rec[o[i].i];
		free(o);
		free(rec);
		rec = s;
	}
	tl->rec = rec;
	tl->n = n;
	tl->first_ts = rec[0].ts;
	tl->last_ts = rec[n - 1].ts;
	return 0;
}

int timeline_load(const char *case_dir, json_t *c, struct timeline *tl, char *err,
		  size_t errlen)
{
	char *path = xasprintf("%s/timeline.bin", case_dir), *buf;
	struct tl_bounds b;
	size_t len;
	int ret;

	memset(tl, 0, sizeof(*tl));
	ret = infile_read(path, INFILE_MAX_TIMELINE, &buf, &len, err, errlen);
	if (ret == -ENOENT) {
		free(path);
		return 0;
	}
	if (!ret) {
		tl_bounds_of_case(c, &b);
		ret = timeline_decode(buf, len, &b, path, tl, err, errlen);
		free(buf);
	}
	if (!ret && tl->cut)
		pr_warn("%s: the last %zu bytes (at offset %zu) are a partial record, left out (the "
			"file was cut while it was written)\n", path, tl->cut,
			len - tl->cut);
	free(path);
	return ret;
}

void timeline_free(struct timeline *tl)
{
	free(tl->rec);
	memset(tl, 0, sizeof(*tl));
}

void tl_gils_init(struct tl_gils *g, size_t max)
{
	memset(g, 0, sizeof(*g));
	g->max = max < TL_MAX_GILS ? max : TL_MAX_GILS;
}

long tl_gil_find(struct tl_gils *g, uint32_t pid, bool *added)
{
	*added = false;
	for (size_t k = 0; k < g->n; k++)
		if (g->g[k].pid == pid)
			return (long)k;
	if (g->n == g->max)
		return -1;
	g->g[g->n] = (struct tl_gil){ .pid = pid };
	*added = true;
	return (long)g->n++;
}

bool tl_gil_step(struct tl_gils *g, const struct ct_tl_rec *r, struct tl_gil_span *span)
{
	bool added, ended;
	long k = tl_gil_find(g, r->prev_tgid, &added);
	struct tl_gil *x;

	if (k < 0 || r->type != CT_EV_GIL)
		return false;
	x = &g->g[k];
	if (r->reason != 1 && x->holder != r->prev_tid)
		return false;   /* a drop by a thread not known to hold it */
	ended = x->holder && r->ts > x->since;
	if (ended)
		*span = (struct tl_gil_span){ k, x->pid, x->holder, x->since, r->ts };
	x->holder = r->reason == 1 ? r->prev_tid : 0;
	x->since = r->ts;
	return ended;
}

bool tl_gil_close(const struct tl_gils *g, size_t idx, uint64_t end, struct tl_gil_span *span)
{
	const struct tl_gil *x;

	if (idx >= g->n)
		return false;
	x = &g->g[idx];
	if (!x->holder || end <= x->since)
		return false;
	*span = (struct tl_gil_span){ idx, x->pid, x->holder, x->since, end };
	return true;
}
