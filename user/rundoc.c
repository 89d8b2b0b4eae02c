/* Checks of run.json and stacks.json. A field that is absent reads as 0 or NULL in the
 * renderers (results.h), so absence is accepted where older runs lack a field; a field that
 * is present must have its type and range. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "conctrace/sched.h"
#include "reasons.h"
#include "results.h"
#include "rundoc.h"
#include "timeline.h"

struct chk {
	const char *name;
	char *err;
	size_t errlen;
};

/* Where a value is: a chain up to the document, made into text only for an error (a big
 * stacks.json has millions of values). key NULL: element idx of an array. */
struct where {
	const struct where *up;
	const char *key;
	size_t idx;
};

#define AT(up_, key_)  (&(const struct where){ (up_), (key_), 0 })
#define IDX(up_, i_)   (&(const struct where){ (up_), NULL, (i_) })

static size_t where_fmt(const struct where *w, char *buf, size_t len)
{
	size_t n = 0;
	int r;

	if (!w)
		return 0;
	n = where_fmt(w->up, buf, len);
	if (n >= len)
		return n;
	if (w->key)
		r = snprintf(buf + n, len - n, "%s%.100s", n ? "." : "", w->key);
	else
		r = snprintf(buf + n, len - n, "[%zu]", w->idx);
	return r < 0 ? n : n + (size_t)r;
}

static int bad(struct chk *k, const struct where *w, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int bad(struct chk *k, const struct where *w, const char *fmt, ...)
{
	char path[320] = "";
	va_list ap;
	int n;

	where_fmt(w, path, sizeof(path));
	n = snprintf(k->err, k->errlen, "%s: %s%s", k->name, path, *path ? ": " : "");
	if (n >= 0 && (size_t)n < k->errlen) {
		va_start(ap, fmt);
		vsnprintf(k->err + n, k->errlen - n, fmt, ap);
		va_end(ap);
	}
	return -EBADMSG;
}

/* Every number of the document, wherever it is (the workload's own report included). */
static int numbers(struct chk *k, json_t *v, const struct where *path, int depth)
{
	const char *key;
	json_t *x;
	size_t i;
	int err;

	switch (json_typeof(v)) {
	case JSON_INTEGER:
		if (json_integer_value(v) > RUNDOC_MAX_INT || json_integer_value(v) < -RUNDOC_MAX_INT)
			return bad(k, path, "%lld is out of range (at most 2^62 either way)",
				   json_integer_value(v));
		return 0;
	case JSON_REAL:
		if (!isfinite(json_real_value(v)) || fabs(json_real_value(v)) > RUNDOC_MAX_ABS)
			return bad(k, path, "%g is out of range (at most 2^62 either way)",
				   json_real_value(v));
		return 0;
	case JSON_OBJECT:
		json_object_foreach(v, key, x)
			if ((err = numbers(k, x, AT(path, key), depth + 1)))
				return err;
		return 0;
	case JSON_ARRAY:
		json_array_foreach(v, i, x)
			if ((err = numbers(k, x, IDX(path, i), depth + 1)))
				return err;
		return 0;
	default:
		return 0;
	}
}

enum want { W_ANY, W_INT, W_STR, W_ARRAY, W_OBJECT, W_BOOL };

static const char *const want_name[] = { "anything", "an integer", "a string", "an array",
					 "an object", "a boolean" };

/* o.key: absent (unless required), null (when nullable), or of type w and, for integers,
 * within [lo, hi]. */
static int field(struct chk *k, json_t *o, const struct where *path, const char *key,
		 enum want w, bool required, bool nullable, long long lo, long long hi)
{
	json_t *v = json_object_get(o, key);
	const struct where *sub = AT(path, key);
	bool ok;

	if (!v)
		return required ? bad(k, sub, "missing") : 0;
	if (json_is_null(v) && nullable)
		return 0;
	switch (w) {
	case W_INT: ok = json_is_integer(v); break;
	case W_STR: ok = json_is_string(v); break;
	case W_ARRAY: ok = json_is_array(v); break;
	case W_OBJECT: ok = json_is_object(v); break;
	case W_BOOL: ok = json_is_boolean(v); break;
	default: ok = true;
	}
	if (!ok)
		return bad(k, sub, "expected %s", want_name[w]);
	if (w == W_INT && (json_integer_value(v) < lo || json_integer_value(v) > hi))
		return bad(k, sub, "%lld is out of range (%lld..%lld)", json_integer_value(v), lo, hi);
	return 0;
}

#define INT(o, path, key, lo, hi)  field(k, o, path, key, W_INT, false, true, lo, hi)
#define STR(o, path, key)          field(k, o, path, key, W_STR, false, true, 0, 0)
#define ARR(o, path, key)          field(k, o, path, key, W_ARRAY, false, false, 0, 0)
#define OBJ(o, path, key)          field(k, o, path, key, W_OBJECT, false, true, 0, 0)

/* Every element of array a is an integer in [lo, hi]; at most max of them. */
static int int_array(struct chk *k, json_t *a, const struct where *path, long long lo,
		     long long hi, size_t max)
{
	const struct where *sub;
	json_t *x;
	size_t i;

	if (!a)
		return 0;
	if (json_array_size(a) > max)
		return bad(k, path, "%zu entries, more than the %zu there can be",
			   json_array_size(a), max);
	json_array_foreach(a, i, x) {
		sub = IDX(path, i);
		if (!json_is_integer(x))
			return bad(k, sub, "expected an integer");
		if (json_integer_value(x) < lo || json_integer_value(x) > hi)
			return bad(k, sub, "%lld is out of range (%lld..%lld)", json_integer_value(x),
				   lo, hi);
	}
	return 0;
}

/* Each element of o[key] is an object, checked by fn. */
static int objects(struct chk *k, json_t *o, const struct where *path, const char *key,
		   int (*fn)(struct chk *, json_t *, const struct where *, void *), void *arg)
{
	json_t *a = json_object_get(o, key), *x;
	const struct where *sub;
	size_t i;
	int err;

	if ((err = ARR(o, path, key)) || !a)
		return err;
	json_array_foreach(a, i, x) {
		sub = IDX(AT(path, key), i);
		if (!json_is_object(x))
			return bad(k, sub, "expected an object");
		if (fn && (err = fn(k, x, sub, arg)))
			return err;
	}
	return 0;
}

static int runq(struct chk *k, json_t *o, const struct where *path)
{
	json_t *rq = json_object_get(o, "runq");
	int err;

	if ((err = OBJ(o, path, "runq")) || !json_is_object(rq))
		return err;
	if ((err = ARR(rq, AT(path, "runq"), "hist")))
		return err;
	return int_array(k, json_object_get(rq, "hist"), AT(AT(path, "runq"), "hist"), 0,
			 INT64_MAX, CT_HIST_SLOTS);
}

static int thread(struct chk *k, json_t *t, const struct where *path, void *arg)
{
	long long ncpus = *(const long long *)arg;
	int err;

	if ((err = INT(t, path, "tid", 0, TL_MAX_TID)) || (err = INT(t, path, "pid", 0, TL_MAX_TID)) ||
	    (err = STR(t, path, "comm")) || (err = ARR(t, path, "cpus")) ||
	    (err = OBJ(t, path, "off_ns")) || (err = OBJ(t, path, "off_count")) ||
	    (err = OBJ(t, path, "gil")) || (err = runq(k, t, path)))
		return err;
	return int_array(k, json_object_get(t, "cpus"), AT(path, "cpus"), 0, ncpus - 1,
			 CT_MAX_CPUS);
}

static int process(struct chk *k, json_t *p, const struct where *path, void *arg)
{
	int err;

	if ((err = INT(p, path, "pid", 0, TL_MAX_TID)) || (err = INT(p, path, "ppid", 0, TL_MAX_TID)) ||
	    (err = STR(p, path, "comm")) || (err = OBJ(p, path, "python")))
		return err;
	return 0;
}

static int edge(struct chk *k, json_t *e, const struct where *path, void *arg)
{
	int err;

	if ((err = INT(e, path, "waiter", 0, TL_MAX_TID)) || (err = INT(e, path, "waker", 0, TL_MAX_TID)))
		return err;
	return 0;
}

static int lock(struct chk *k, json_t *l, const struct where *path, void *arg)
{
	int err;

	if ((err = INT(l, path, "pid", 0, TL_MAX_TID)) || (err = STR(l, path, "uaddr")) ||
	    (err = STR(l, path, "label")) || (err = ARR(l, path, "waiters")) ||
	    (err = ARR(l, path, "wakers")) || (err = objects(k, l, path, "edges", edge, NULL)))
		return err;
	if ((err = int_array(k, json_object_get(l, "waiters"), AT(path, "waiters"), 0, TL_MAX_TID,
			     SIZE_MAX)))
		return err;
	return int_array(k, json_object_get(l, "wakers"), AT(path, "wakers"), 0, TL_MAX_TID,
			 SIZE_MAX);
}

static int cpu(struct chk *k, json_t *c, const struct where *path, void *arg)
{
	return field(k, c, path, "cpu", W_INT, true, false, 0, CT_MAX_CPUS - 1);
}

static int one_case(struct chk *k, json_t *c, const struct where *path, void *arg)
{
	json_t *tot = json_object_get(c, "totals"), *cmd = json_object_get(c, "command"), *x;
	json_t *st = json_object_get(c, "status");
	size_t ncpus = json_array_size(json_object_get(c, "cpus")), i;
	long long n = ncpus ? (long long)ncpus : CT_MAX_CPUS;
	int err;

	if ((err = STR(c, path, "workload")) || (err = STR(c, path, "model")) ||
	    (err = STR(c, path, "kind")) || (err = STR(c, path, "dir")) ||
	    (err = INT(c, path, "repeat", 0, 1000000)) ||
	    (err = INT(c, path, "wall_ns", 0, INT64_MAX)) ||
	    (err = INT(c, path, "start_mono_ns", 0, INT64_MAX)) ||
	    (err = OBJ(c, path, "status")) || (err = OBJ(c, path, "totals")) ||
	    (err = OBJ(c, path, "counters")) || (err = ARR(c, path, "command")))
		return err;
	json_array_foreach(cmd, i, x)
		if (!json_is_string(x))
			return bad(k, IDX(AT(path, "command"), i), "expected a string");
	if (ncpus > CT_MAX_CPUS)
		return bad(k, AT(path, "cpus"), "%zu CPUs, more than the %d there can be", ncpus,
			   CT_MAX_CPUS);
	if ((err = INT(st, AT(path, "status"), "exit_code", 0, 255)) ||
	    (err = INT(st, AT(path, "status"), "signal", 1, 128)) ||
	    (err = STR(st, AT(path, "status"), "error")))
		return err;
	if ((err = objects(k, c, path, "cpus", cpu, NULL)) ||
	    (err = objects(k, c, path, "threads", thread, &n)) ||
	    (err = objects(k, c, path, "processes", process, NULL)) ||
	    (err = objects(k, c, path, "locks", lock, NULL)))
		return err;
	if (json_is_object(tot)) {
		const struct where *wt = AT(path, "totals"), *wp = AT(wt, "parallelism");
		json_t *par = json_object_get(tot, "parallelism");

		if ((err = runq(k, tot, wt)) || (err = OBJ(tot, wt, "parallelism")) ||
		    (err = OBJ(tot, wt, "off_ns")) || (err = OBJ(tot, wt, "off_count")))
			return err;
		if (json_is_object(par) && (err = ARR(par, wp, "profile_ns")))
			return err;
		if ((err = int_array(k, json_object_get(par, "profile_ns"), AT(wp, "profile_ns"), 0,
				     INT64_MAX, CT_MAX_PAR + 1)))
			return err;
	}
	return 0;
}

int results_check(json_t *run, const char *name, char *err, size_t errlen)
{
	struct chk k = { name, err, errlen };
	int ret;

	if (!json_is_object(run))
		return bad(&k, NULL, "not a JSON object");
	if (!jget_str(run, "schema") || strcmp(jget_str(run, "schema"), CT_SCHEMA))
		return bad(&k, NULL, "not a conctrace run (schema is not %s)", CT_SCHEMA);
	if ((ret = numbers(&k, run, NULL, 0)))
		return ret;
	if ((ret = field(&k, run, NULL, "cases", W_ARRAY, true, false, 0, 0)) ||
	    (ret = field(&k, run, NULL, "kind", W_STR, false, true, 0, 0)) ||
	    (ret = field(&k, run, NULL, "name", W_STR, false, true, 0, 0)) ||
	    (ret = field(&k, run, NULL, "started", W_STR, false, true, 0, 0)) ||
	    (ret = field(&k, run, NULL, "machine", W_OBJECT, false, true, 0, 0)))
		return ret;
	if ((ret = field(&k, json_object_get(run, "machine"), AT(NULL, "machine"), "cpus_online",
			 W_INT, false, true, 0, 1 << 20)))
		return ret;
	return objects(&k, run, NULL, "cases", one_case, NULL);
}

static int sample(struct chk *k, json_t *s, const struct where *path, void *arg)
{
	size_t nframes = *(const size_t *)arg, i;
	json_t *stack = json_object_get(s, "stack"), *ids = json_object_get(s, "ids"), *x;
	const char *reason;
	int err;

	if ((err = INT(s, path, "pid", 0, TL_MAX_TID)) || (err = INT(s, path, "tid", 0, TL_MAX_TID)) ||
	    (err = STR(s, path, "comm")) ||
	    (err = field(k, s, path, "reason", W_STR, true, false, 0, 0)) ||
	    (err = field(k, s, path, "stack", W_ARRAY, true, false, 0, 0)) ||
	    (err = INT(s, path, "count", 0, INT64_MAX)) || (err = INT(s, path, "ns", 0, INT64_MAX)) ||
	    (err = ARR(s, path, "ids")))
		return err;
	reason = jget_str(s, "reason");
	if (strcmp(reason, "oncpu") && reason_from_name(reason) < 0)
		return bad(k, AT(path, "reason"), "unknown reason '%.40s'", reason);
	if ((err = int_array(k, stack, AT(path, "stack"), 0, (long long)nframes - 1, SIZE_MAX)))
		return err;
	if (ids && (json_array_size(ids) != 3 || !json_is_integer(json_array_get(ids, 0)) ||
		    !json_is_integer(json_array_get(ids, 1)) || !json_is_string(json_array_get(ids, 2))))
		return bad(k, AT(path, "ids"), "expected [user stack id, kernel stack id, "
			   "\"python stack id\"]");
	json_array_foreach(ids, i, x)
		if (i < 2 && (json_integer_value(x) < INT32_MIN || json_integer_value(x) > INT32_MAX))
			return bad(k, IDX(AT(path, "ids"), i), "%lld is not a stack id",
				   json_integer_value(x));
	return 0;
}

int stacks_check(json_t *doc, const char *name, char *err, size_t errlen)
{
	struct chk k = { name, err, errlen };
	json_t *frames = json_object_get(doc, "frames"), *x;
	size_t nframes, i;
	int ret;

	if (!json_is_object(doc))
		return bad(&k, NULL, "not a JSON object");
	if ((ret = numbers(&k, doc, NULL, 0)) ||
	    (ret = field(&k, doc, NULL, "frames", W_ARRAY, true, false, 0, 0)) ||
	    (ret = field(&k, doc, NULL, "samples", W_ARRAY, true, false, 0, 0)) ||
	    (ret = field(&k, doc, NULL, "sample_hz", W_INT, false, true, 1, 1000000)))
		return ret;
	json_array_foreach(frames, i, x)
		if (!json_is_string(x))
			return bad(&k, IDX(AT(NULL, "frames"), i), "expected a string");
	nframes = json_array_size(frames);
	return objects(&k, doc, NULL, "samples", sample, &nframes);
}

json_t *results_decode(const char *buf, size_t len, const char *name, char *err,
		       size_t errlen)
{
	json_error_t je;
	json_t *run = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);

	if (!run) {
		snprintf(err, errlen, "%s:%d:%d (byte %d): %s", name, je.line, je.column,
			 je.position, je.text);
		return NULL;
	}
	if (results_check(run, name, err, errlen)) {
		json_decref(run);
		return NULL;
	}
	return run;
}

int stacks_decode(const char *buf, size_t len, const char *name, json_t **out, char *err,
		  size_t errlen)
{
	json_error_t je;
	json_t *doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);

	*out = NULL;
	if (!doc) {
		snprintf(err, errlen, "%s:%d:%d (byte %d): %s", name, je.line, je.column,
			 je.position, je.text);
		return -EBADMSG;
	}
	if (stacks_check(doc, name, err, errlen)) {
		json_decref(doc);
		return -EBADMSG;
	}
	*out = doc;
	return 0;
}
