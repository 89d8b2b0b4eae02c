/* The workload spec: a YAML file checked node by node, so that every error can name the
 * file, line, column and field; and the plan of cases (workload x repeat x model) built
 * from it. The schema is documented in docs/spec.md. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>
#include <yaml.h>
#include "spec.h"
#include "strmap.h"
#include "util.h"


static const char *const kinds[] = { "cpu", "io", "mixed", "lock", "convoy", "race" };

/* Reference models and the kinds they implement, as a bit set over kinds[]. */
#define K_ALL 0x3f
#define K_CPU 0x01
#define K_IO 0x02
#define K_LOCK 0x08
#define K_RACE 0x20
static const struct ref_model {
	const char *name;
	unsigned kinds;
} ref_models[] = {
	{ "sequential", K_ALL },
	{ "threading", K_ALL },
	{ "multiprocessing", K_ALL },
	{ "asyncio", K_ALL },
	{ "thread-pool", K_ALL },
	{ "process-pool", K_ALL },
	{ "threading-lock", K_RACE },           /* race: the updates under a threading.Lock */
	{ "multiprocessing-value", K_RACE },    /* race: a multiprocessing.Value and its lock */
	{ "c-sequential", K_CPU | K_IO | K_LOCK | K_RACE },
	{ "c-pthreads", K_CPU | K_IO | K_LOCK | K_RACE },
	{ "c-fork", K_CPU | K_IO | K_LOCK | K_RACE },
	{ "c-epoll", K_IO },
	{ "c-pthreads-mutex", K_RACE },         /* race: the updates under a mutex */
	{ "c-fork-shm", K_RACE },               /* race: the counter in shared memory */
	{ "c-fork-shm-mutex", K_RACE },         /* ... under a process-shared mutex */
};
#define N_REF_MODELS (int)(sizeof(ref_models) / sizeof(ref_models[0]))

/* The models of a function workload: the ways workloads/python/calls.py runs calls (its
 * MODELS); a process model takes a start method as a suffix. */
static const char *const function_models[] = {
	"sequential", "threading", "thread-pool", "asyncio", "asyncio-to-thread",
	"multiprocessing", "multiprocessing-fork", "multiprocessing-spawn",
	"multiprocessing-forkserver", "process-pool", "process-pool-fork", "process-pool-spawn",
	"process-pool-forkserver", "asyncio-process-pool", "asyncio-process-pool-fork",
	"asyncio-process-pool-spawn", "asyncio-process-pool-forkserver",
};
#define N_FUNCTION_MODELS (int)(sizeof(function_models) / sizeof(function_models[0]))
#define N_KINDS (int)(sizeof(kinds) / sizeof(kinds[0]))

static const char *const top_keys[] = { "name", "description", "defaults", "baseline", "trace",
					"workloads", NULL };
static const char *const defaults_keys[] = { "repeat", "timeout", "tasks", "python", "pythons",
					     "env", NULL };
static const char *const trace_keys[] = { "stacks", "sample_hz", "timeline", NULL };
static const char *const workload_keys[] = { "name", "description", "kind", "size", "requests",
					     "latency", "work", "iterations", "tasks", "repeat",
					     "timeout", "env", "models", "function", "args", "calls",
					     "pythonpath", "cwd", NULL };
static const char *const model_keys[] = { "command", "env", "cwd", NULL };

struct ctx {
	const char *file;
	const char *text;
	size_t len;
	yaml_document_t *doc;
	char *err;
	size_t errlen;
	struct spec *s;
	const yaml_node_t *baseline_node;
	/* per mapping node (by index in the document): the first pair whose key repeats an
	 * earlier key's, or -1; computed once, so that checking keys stays linear */
	long *first_dup;
	struct strmap workload_names;   /* name -> index in workloads[] */
	const volatile int *stop;       /* non-zero: stop reading (a signal arrived) */
	bool interrupted;
};

/* ---- strings and lists ---- */

static void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

static int strv_len(char *const *v)
{
	int n = 0;

	while (v && v[n])
		n++;
	return n;
}

/* Append s (taken over) and keep the list NULL-terminated. */
static void strv_push(char ***v, char *s)
{
	int n = strv_len(*v);

	*v = xrealloc(*v, (n + 2) * sizeof(char *));
	(*v)[n] = s;
	(*v)[n + 1] = NULL;
}

/* Optimal string alignment distance, case-insensitive; enough for typo suggestions. */
static int edit_distance(const char *a, const char *b)
{
	int la = strlen(a), lb = strlen(b), d[34][34];

	if (la > 32 || lb > 32)
		return 99;
	for (int i = 0; i <= la; i++)
		d[i][0] = i;
	for (int j = 0; j <= lb; j++)
		d[0][j] = j;
	for (int i = 1; i <= la; i++) {
		for (int j = 1; j <= lb; j++) {
			int cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
			int v = d[i - 1][j - 1] + cost;

			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == tolower((unsigned char)b[j - 1]) &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

/* Is a an abbreviation of b: same first letter, and every letter of a in b in order? */
static bool abbreviates(const char *a, const char *b)
{
	if (strlen(a) < 3 || strlen(a) >= strlen(b) || tolower((unsigned char)*a) != tolower((unsigned char)*b))
		return false;
	for (; *a && *b; b++)
		if (tolower((unsigned char)*a) == tolower((unsigned char)*b))
			a++;
	return !*a;
}

static size_t common_prefix(const char *a, const char *b)
{
	size_t n = 0;

	while (a[n] && tolower((unsigned char)a[n]) == tolower((unsigned char)b[n]))
		n++;
	return n;
}

/* The candidate the user most likely meant, or NULL: an abbreviation ("cmd" for "command"),
 * else the nearest within 2 edits (and fewer edits than the word has letters), else one that
 * shares most of the word's beginning ("threads" for "threading"). */
static const char *suggest(const char *word, const char *const *cands, int n)
{
	const char *best = NULL;
	int bestd = 3, wl = strlen(word);

	for (int i = 0; i < n; i++)
		if (abbreviates(word, cands[i]))
			return cands[i];
	for (int i = 0; i < n; i++) {
		int d = edit_distance(word, cands[i]);

		if (d < bestd && d < wl) {
			bestd = d;
			best = cands[i];
		}
	}
	for (int i = 0; !best && i < n; i++) {
		size_t p = common_prefix(word, cands[i]);

		if (p >= 4 && 4 * p >= 3 * (size_t)wl)
			best = cands[i];
	}
	return best;
}

/* "a, b, c" into buf. */
static const char *join(const char *const *items, int n, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s", i ? ", " : "", items[i]);
	return buf;
}

/* " (expected one of a, b, c; did you mean 'x'?)" */
static const char *choices(const char *word, const char *const *cands, int n, char *buf, size_t len)
{
	char list[512];
	const char *s = suggest(word, cands, n);

	join(cands, n, list, sizeof(list));
	if (s)
		snprintf(buf, len, " (expected one of %s; did you mean '%s'?)", list, s);
	else
		snprintf(buf, len, " (expected one of %s)", list);
	return buf;
}

/* ---- errors ---- */

static int fail_at(struct ctx *c, size_t line, size_t col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail_at(struct ctx *c, size_t line, size_t col, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!c->err || !c->errlen)
		return -EINVAL;
	n = snprintf(c->err, c->errlen, "%s:%zu:%zu: ", c->file, line, col);
	if (n >= 0 && (size_t)n < c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err + n, c->errlen - n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int interrupted(struct ctx *c)
{
	if (c->err && c->errlen)
		snprintf(c->err, c->errlen, "%s: interrupted while reading the spec", c->file);
	return -EINTR;
}

/* A signal arrived: the checks of a big spec stop between entries. */
static bool stopped(const struct ctx *c)
{
	return c->stop && *c->stop;
}

#define fail(c, node, ...) \
	fail_at((c), (node)->start_mark.line + 1, (node)->start_mark.column + 1, __VA_ARGS__)

/* ---- nodes ---- */

static yaml_node_t *node(struct ctx *c, int idx)
{
	return yaml_document_get_node(c->doc, idx);
}

static const char *text(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static bool is_null(const yaml_node_t *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (!strcmp(text(n), nulls[i]))
			return true;
	return false;
}

/* What a node is, for "expected X, got Y". */
static const char *what(const yaml_node_t *n, char *buf, size_t len)
{
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	if (is_null(n))
		return "nothing";
	if (n->data.scalar.length > 40) {
		int cut = 37;

		while (cut > 0 && (text(n)[cut] & 0xc0) == 0x80)   /* not inside a UTF-8 sequence */
			cut--;
		snprintf(buf, len, "'%.*s...'", cut, text(n));
	} else
		snprintf(buf, len, "'%s'", text(n));
	return buf;
}

static int wrong_type(struct ctx *c, const yaml_node_t *n, const char *path, const char *expected)
{
	char buf[64];

	return fail(c, n, "%s: expected %s, got %s", path, expected, what(n, buf, sizeof(buf)));
}

static int want_type(struct ctx *c, const yaml_node_t *n, const char *path, yaml_node_type_t t)
{
	if (n->type == t && !is_null(n))
		return 0;
	return wrong_type(c, n, path, t == YAML_MAPPING_NODE ? "a mapping" :
				      t == YAML_SEQUENCE_NODE ? "a list" : "a string");
}

/* A scalar that is not null. */
static int get_text(struct ctx *c, const yaml_node_t *n, const char *path, const char **out)
{
	int err = want_type(c, n, path, YAML_SCALAR_NODE);

	if (!err)
		*out = text(n);
	return err;
}

static int get_string(struct ctx *c, const yaml_node_t *n, const char *path, char **out)
{
	const char *t;
	int err = get_text(c, n, path, &t);

	if (err)
		return err;
	if (!*t)
		return fail(c, n, "%s: must not be empty", path);
	free(*out);
	*out = xstrdup(t);
	return 0;
}

static bool valid_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.' && *s != '-')
			return false;
	return true;
}

static int check_name(struct ctx *c, const yaml_node_t *n, const char *path, const char *t)
{
	if (!*t)
		return fail(c, n, "%s: must not be empty", path);
	if (strlen(t) > SPEC_MAX_NAME)
		return fail(c, n, "%s: longer than %d characters", path, SPEC_MAX_NAME);
	if (!valid_name(t))
		return fail(c, n, "%s: '%s' may only contain letters, digits, '_', '.' and '-'",
			    path, t);
	return 0;
}

static int get_name(struct ctx *c, const yaml_node_t *n, const char *path, char **out)
{
	const char *t;
	int err = get_text(c, n, path, &t);

	if (!err)
		err = check_name(c, n, path, t);
	if (!err) {
		free(*out);
		*out = xstrdup(t);
	}
	return err;
}

/* A decimal integer, possibly negative; -ERANGE beyond long long. */
static int parse_int(const char *s, long long *out)
{
	const char *p = s + (*s == '-' || *s == '+');
	unsigned long long v = 0;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (ULLONG_MAX - 9) / 10)
			return -ERANGE;
		v = v * 10 + (*p - '0');
	}
	if (*p)
		return -EINVAL;
	if (v > (unsigned long long)LLONG_MAX)
		return -ERANGE;
	*out = *s == '-' ? -(long long)v : (long long)v;
	return 0;
}

static int get_int(struct ctx *c, const yaml_node_t *n, const char *path, long long lo,
		   long long hi, long long *out)
{
	long long v;
	int err;

	if (n->type != YAML_SCALAR_NODE || is_null(n))
		return wrong_type(c, n, path, "an integer");
	err = parse_int(text(n), &v);
	if (err == -EINVAL)
		return wrong_type(c, n, path, "an integer");
	if (err || v < lo || v > hi)
		return fail(c, n, "%s: %s is out of range (%lld..%lld)", path, text(n), lo, hi);
	*out = v;
	return 0;
}

static int get_small_int(struct ctx *c, const yaml_node_t *n, const char *path, int lo, int hi,
			 int *out)
{
	long long v;
	int err = get_int(c, n, path, lo, hi, &v);

	if (!err)
		*out = (int)v;
	return err;
}

static int get_bool(struct ctx *c, const yaml_node_t *n, const char *path, bool *out)
{
	static const char *const yes[] = { "true", "yes" }, *const no[] = { "false", "no" };

	if (n->type == YAML_SCALAR_NODE) {
		for (int i = 0; i < 2; i++) {
			if (!strcasecmp(text(n), yes[i])) {
				*out = true;
				return 0;
			}
			if (!strcasecmp(text(n), no[i])) {
				*out = false;
				return 0;
			}
		}
	}
	return wrong_type(c, n, path, "a boolean (true or false)");
}

static int get_duration(struct ctx *c, const yaml_node_t *n, const char *path,
			unsigned long long max, const char *maxtext, unsigned long long *out)
{
	const char *t, *p;
	unsigned long long v;
	int err;

	if (n->type != YAML_SCALAR_NODE || is_null(n))
		return wrong_type(c, n, path, "a duration (e.g. 500us, 5ms, 2s, 1.5m)");
	t = text(n);
	err = parse_duration(t, &v);
	if (err == -ERANGE || (!err && v > max))
		return fail(c, n, "%s: %s is too long (at most %s)", path, t, maxtext);
	if (!err && !v)
		return fail(c, n, "%s: must be greater than zero", path);
	if (!err) {
		*out = v;
		return 0;
	}
	if (*t == '-')
		return fail(c, n, "%s: %s is negative", path, t);
	p = t + strspn(t, "0123456789.");
	if (p > t && !*p)
		return fail(c, n, "%s: %s has no unit (use one of ns, us, ms, s, m, h, e.g. %ss)",
			    path, t, t);
	if (p > t && isdigit((unsigned char)p[-1]) && isalpha((unsigned char)*p))
		return fail(c, n, "%s: unknown unit '%s' in %s (expected one of ns, us, ms, s, m, h)",
			    path, p, t);
	return wrong_type(c, n, path, "a duration (e.g. 500us, 5ms, 2s, 1.5m)");
}

/* A positive size (counts: k, M, G are powers of 1000). */
static int get_size(struct ctx *c, const yaml_node_t *n, const char *path, unsigned long long *out)
{
	const char *t;
	int err;

	if (n->type != YAML_SCALAR_NODE || is_null(n))
		return wrong_type(c, n, path, "a size (an integer, optionally with k, M or G)");
	t = text(n);
	err = parse_size(t, out);
	if (err == -ERANGE)
		return fail(c, n, "%s: %s is too large (at most 1000G)", path, t);
	if (!err && !*out)
		return fail(c, n, "%s: must be greater than zero", path);
	if (!err)
		return 0;
	if (*t == '-')
		return fail(c, n, "%s: %s is negative", path, t);
	return wrong_type(c, n, path, "a size (an integer, optionally with k, M or G)");
}

/* Does pair repeat an earlier key of map? Only the first such pair is flagged: parsing
 * stops at it. */
static bool is_dup_key(const struct ctx *c, const yaml_node_t *map, const yaml_node_pair_t *pair)
{
	return c->first_dup[map - c->doc->nodes.start] == pair - map->data.mapping.pairs.start;
}

/* An environment mapping into a NULL-terminated "K=V" list. */
static int get_env(struct ctx *c, const yaml_node_t *n, const char *path, char ***out)
{
	char kpath[256];
	int err = want_type(c, n, path, YAML_MAPPING_NODE);

	if (err)
		return err;
	/* a key given twice in one env mapping is refused below, so the list is built anew */
	strv_free(*out);
	*out = xcalloc(n->data.mapping.pairs.top - n->data.mapping.pairs.start + 1, sizeof(char *));
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
		const char *ks, *vs;

		if ((err = get_text(c, k, path, &ks)))
			return err;
		snprintf(kpath, sizeof(kpath), "%s.%s", path, ks);
		if (!*ks || strchr(ks, '='))
			return fail(c, k, "%s: invalid variable name '%s'", path, ks);
		if (is_dup_key(c, n, p))
			return fail(c, k, "duplicate key '%s' in %s", ks, path);
		if (stopped(c))
			return interrupted(c);
		if ((err = get_text(c, v, kpath, &vs)))
			return err;
		(*out)[p - n->data.mapping.pairs.start] = xasprintf("%s=%s", ks, vs);
	}
	return 0;
}

/* Check the key of pair i of a mapping: a known, unique string. "where" is "at top level" or
 * "in PATH". */
static int get_key(struct ctx *c, const yaml_node_t *map, yaml_node_pair_t *pair,
		   const char *const *keys, const char *where, const char **out)
{
	yaml_node_t *k = node(c, pair->key);
	char buf[600], list[512];
	int n = 0;
	const char *s;

	if (k->type != YAML_SCALAR_NODE)
		return fail(c, k, "keys %s must be strings", where);
	*out = text(k);
	if (is_dup_key(c, map, pair))
		return fail(c, k, "duplicate key '%s' %s", *out, where);
	if (!keys)
		return 0;
	while (keys[n])
		if (!strcmp(keys[n++], *out))
			return 0;
	s = suggest(*out, keys, n);
	if (s)
		snprintf(buf, sizeof(buf), "did you mean '%s'?", s);
	else
		snprintf(buf, sizeof(buf), "expected one of %s", join(keys, n, list, sizeof(list)));
	return fail(c, k, "unknown key '%s' %s (%s)", *out, where, buf);
}

static const yaml_node_t *map_find(struct ctx *c, const yaml_node_t *map, const char *key)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(c, p->key);

		if (k->type == YAML_SCALAR_NODE && !strcmp(text(k), key))
			return node(c, p->value);
	}
	return NULL;
}

/* ---- sections ---- */

/* The label of an interpreter command in the tables: its last word's base name
 * ("chroot /srv/py314 python3.14" is python3.14), made distinct with "#2", "#3"... */
static char *python_label(const char *cmd, char **taken)
{
	const char *end = cmd + strlen(cmd), *w, *base;
	char *label;

	while (end > cmd && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	w = end;
	while (w > cmd && w[-1] != ' ' && w[-1] != '\t')
		w--;
	base = w;
	for (const char *q = w; q < end; q++)
		if (*q == '/')
			base = q + 1;
	label = xasprintf("%.*s", (int)(end - base), base);
	for (int k = 2; taken; k++) {
		bool dup = false;

		for (char **t = taken; *t && !dup; t++)
			dup = !strcmp(*t, label);
		if (!dup)
			break;
		free(label);
		label = xasprintf("%.*s#%d", (int)(end - base), base, k);
	}
	return label;
}

static int get_pythons(struct ctx *c, const yaml_node_t *n, struct spec *s)
{
	int err = want_type(c, n, "defaults.pythons", YAML_SEQUENCE_NODE), i = 0;

	if (err)
		return err;
	if (n->data.sequence.items.start == n->data.sequence.items.top)
		return fail(c, n, "defaults.pythons: give at least one interpreter");
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++, i++) {
		yaml_node_t *v = node(c, *it);
		char path[48], *cmd = NULL;

		snprintf(path, sizeof(path), "defaults.pythons[%d]", i);
		if ((err = get_string(c, v, path, &cmd)))
			return err;
		if (!cmd[strspn(cmd, " \t")]) {
			free(cmd);
			return fail(c, v, "%s: must not be empty", path);
		}
		strv_push(&s->python_labels, python_label(cmd, s->python_labels));
		strv_push(&s->pythons, cmd);
	}
	return 0;
}

static int parse_defaults(struct ctx *c, const yaml_node_t *n)
{
	struct spec *s = c->s;
	int err = want_type(c, n, "defaults", YAML_MAPPING_NODE);

	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; !err && p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *v = node(c, p->value);
		const char *key;

		if ((err = get_key(c, n, p, defaults_keys, "in defaults", &key)))
			break;
		if (!strcmp(key, "repeat")) {
			err = get_small_int(c, v, "defaults.repeat", 1, SPEC_MAX_REPEAT, &s->repeat);
		} else if (!strcmp(key, "timeout")) {
			err = get_duration(c, v, "defaults.timeout", SPEC_MAX_TIMEOUT_NS, "24h",
					   &s->timeout_ns);
		} else if (!strcmp(key, "tasks")) {
			err = get_small_int(c, v, "defaults.tasks", 1, SPEC_MAX_TASKS, &s->tasks);
		} else if (!strcmp(key, "python")) {
			err = get_string(c, v, "defaults.python", &s->python);
			if (!err && !s->python[strspn(s->python, " \t")])
				err = fail(c, v, "defaults.python: must not be empty");
			if (!err && map_find(c, n, "pythons"))
				err = fail(c, v, "defaults: give python or pythons, not both");
		} else if (!strcmp(key, "pythons")) {
			err = get_pythons(c, v, s);
		} else {
			err = get_env(c, v, "defaults.env", &s->env);
		}
	}
	return err;
}

static int parse_trace(struct ctx *c, const yaml_node_t *n)
{
	struct spec *s = c->s;
	int err = want_type(c, n, "trace", YAML_MAPPING_NODE);

	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; !err && p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *v = node(c, p->value);
		const char *key;

		if ((err = get_key(c, n, p, trace_keys, "in trace", &key)))
			break;
		if (!strcmp(key, "stacks"))
			err = get_bool(c, v, "trace.stacks", &s->stacks);
		else if (!strcmp(key, "sample_hz"))
			err = get_small_int(c, v, "trace.sample_hz", 1, SPEC_MAX_SAMPLE_HZ, &s->sample_hz);
		else
			err = get_bool(c, v, "trace.timeline", &s->timeline);
	}
	return err;
}

static const struct ref_model *ref_model(const char *name)
{
	for (int i = 0; i < N_REF_MODELS; i++)
		if (!strcmp(ref_models[i].name, name))
			return &ref_models[i];
	return NULL;
}

static int kind_index(const char *kind)
{
	for (int i = 0; i < N_KINDS; i++)
		if (!strcmp(kinds[i], kind))
			return i;
	return -1;
}

static struct spec_model *add_model(struct spec_workload *w, const yaml_node_t *at, const char *name)
{
	struct spec_model *m = &w->models[w->nmodels++];

	m->name = xstrdup(name);
	m->line = at->start_mark.line + 1;
	m->col = at->start_mark.column + 1;
	return m;
}

/* models of a reference or function workload: a list of model names. */
static int parse_model_list(struct ctx *c, const yaml_node_t *n, const char *path,
			    struct spec_workload *w, bool is_fn)
{
	const char *names[N_REF_MODELS + N_FUNCTION_MODELS];
	char ipath[300], buf[900];
	int err, count, nnames = 0;

	if (n->type == YAML_MAPPING_NODE)
		return fail(c, n, "%s: a %s workload (with '%s') takes a list of model "
			    "names; a mapping of commands is for a custom workload (without 'kind')",
			    path, is_fn ? "function" : "reference", is_fn ? "function" : "kind");
	if ((err = want_type(c, n, path, YAML_SEQUENCE_NODE)))
		return err;
	count = n->data.sequence.items.top - n->data.sequence.items.start;
	if (!count)
		return fail(c, n, "%s: empty list (give at least one model)", path);
	if (is_fn) {
		for (int i = 0; i < N_FUNCTION_MODELS; i++)
			names[nnames++] = function_models[i];
	} else {
		for (int i = 0; i < N_REF_MODELS; i++)
			names[nnames++] = ref_models[i].name;
	}
	w->models = xcalloc(count, sizeof(*w->models));
	for (int i = 0; i < count; i++) {
		yaml_node_t *item = node(c, n->data.sequence.items.start[i]);
		const char *name;

		snprintf(ipath, sizeof(ipath), "%s[%d]", path, i);
		if ((err = get_text(c, item, ipath, &name)))
			return err;
		int k;

		for (k = 0; k < nnames && strcmp(names[k], name); k++)
			;
		if (k == nnames)
			return fail(c, item, "%s: unknown model '%s'%s%s", ipath, name,
				    is_fn ? " for a function" : "",
				    choices(name, names, nnames, buf, sizeof(buf)));
		for (int j = 0; j < w->nmodels; j++)
			if (!strcmp(w->models[j].name, name))
				return fail(c, item, "%s: duplicate model '%s'", ipath, name);
		add_model(w, item, name);
	}
	return 0;
}

static int parse_custom_model(struct ctx *c, const yaml_node_t *n, const char *path,
			      struct spec_model *m)
{
	char where[320], cpath[320];
	bool has_command = false;
	int err = want_type(c, n, path, YAML_MAPPING_NODE);

	snprintf(where, sizeof(where), "in %s", path);
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; !err && p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *v = node(c, p->value);
		const char *key;

		if ((err = get_key(c, n, p, model_keys, where, &key)))
			break;
		snprintf(cpath, sizeof(cpath), "%s.%s", path, key);
		if (!strcmp(key, "command")) {
			int count;

			has_command = true;
			if (v->type != YAML_SEQUENCE_NODE)
				return wrong_type(c, v, cpath, "a list of strings (the argv)");
			count = v->data.sequence.items.top - v->data.sequence.items.start;
			if (!count)
				return fail(c, v, "%s: empty list (give the program and its arguments)",
					    cpath);
			m->argv = xcalloc(count + 1, sizeof(char *));
			for (int i = 0; i < count; i++) {
				yaml_node_t *a = node(c, v->data.sequence.items.start[i]);
				char apath[340];
				const char *t;

				snprintf(apath, sizeof(apath), "%s[%d]", cpath, i);
				if ((err = get_text(c, a, apath, &t)))
					return err;
				if (!i && !*t)
					return fail(c, a, "%s: the program must not be empty", apath);
				m->argv[i] = xstrdup(t);
			}
		} else if (!strcmp(key, "env")) {
			err = get_env(c, v, cpath, &m->env);
		} else {
			err = get_string(c, v, cpath, &m->cwd);
		}
	}
	if (!err && !has_command)
		err = fail(c, n, "%s: missing required key 'command'", path);
	return err;
}

/* models of a custom workload: model name -> {command, env, cwd}. */
static int parse_model_map(struct ctx *c, const yaml_node_t *n, const char *path,
			   struct spec_workload *w)
{
	char where[300], mpath[300];
	int err, count;

	if (n->type == YAML_SEQUENCE_NODE)
		return fail(c, n, "%s: a list of models needs 'kind' (one of cpu, io, mixed, lock, "
			    "convoy, race) or 'function'; a custom workload maps each model name to "
			    "{command: [...]}",
			    path);
	if ((err = want_type(c, n, path, YAML_MAPPING_NODE)))
		return err;
	count = n->data.mapping.pairs.top - n->data.mapping.pairs.start;
	if (!count)
		return fail(c, n, "%s: empty mapping (give at least one model)", path);
	snprintf(where, sizeof(where), "in %s", path);
	w->models = xcalloc(count, sizeof(*w->models));
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(c, p->key);
		const char *name;

		if ((err = get_key(c, n, p, NULL, where, &name)))
			return err;
		if (stopped(c))
			return interrupted(c);
		snprintf(mpath, sizeof(mpath), "%s.%s", path, name);
		if ((err = check_name(c, k, mpath, name)))
			return err;
		err = parse_custom_model(c, node(c, p->value), mpath, add_model(w, k, name));
		if (err)
			return err;
	}
	return 0;
}

static const char *const param_keys[] = { "size", "requests", "latency", "work", "iterations",
					  "tasks", NULL };
static const char *const function_keys[] = { "args", "calls", "pythonpath", "cwd", NULL };

static bool in_list(const char *const *keys, const char *key)
{
	for (; *keys; keys++)
		if (!strcmp(*keys, key))
			return true;
	return false;
}

/* ---- function workloads ---- */

static bool ident_path(const char *s, size_t n)
{
	bool start = true;

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = s[i];

		if (ch == '.' && !start) {
			start = true;
		} else if (isalpha(ch) || ch == '_' || (!start && isdigit(ch)) || ch >= 0x80) {
			start = false;
		} else {
			return false;
		}
	}
	return n && !start;
}

/* "package.module:callable", each side dotted Python identifiers. */
static int get_function(struct ctx *c, const yaml_node_t *n, const char *path, char **out)
{
	const char *t, *colon;
	int err = get_text(c, n, path, &t);

	if (err)
		return err;
	colon = strchr(t, ':');
	if (!colon || !ident_path(t, colon - t) || !ident_path(colon + 1, strlen(colon + 1)))
		return fail(c, n, "%s: '%s' is not module:callable (e.g. mypkg.work:handle; the "
			    "module is imported, the callable may be Class.method)", path, t);
	free(*out);
	*out = xstrdup(t);
	return 0;
}

/* A plain YAML scalar as JSON, with YAML 1.2's core types: null, true/false, integers,
 * floats; anything else, and every quoted scalar, is a string. */
static int scalar_json(struct ctx *c, const yaml_node_t *n, const char *path, json_t **out)
{
	static const char *const t_[] = { "true", "True", "TRUE" }, *const f_[] = { "false", "False", "FALSE" };
	const char *t = text(n), *p = t + (*t == '-' || *t == '+');
	long long v;
	int err;

	*out = NULL;
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return *out = json_stringn(t, n->data.scalar.length), 0;
	if (is_null(n))
		return *out = json_null(), 0;
	for (int i = 0; i < 3; i++) {
		if (!strcmp(t, t_[i]))
			return *out = json_true(), 0;
		if (!strcmp(t, f_[i]))
			return *out = json_false(), 0;
	}
	err = parse_int(t, &v);
	if (err == -ERANGE)
		return fail(c, n, "%s: %s is out of range for an integer argument (quote it for a "
			    "string)", path, t);
	if (!err)
		return *out = json_integer(v), 0;
	if ((isdigit((unsigned char)*p) || (*p == '.' && isdigit((unsigned char)p[1]))) &&
	    strspn(p, "0123456789.eE+-") == strlen(p) && strpbrk(p, ".eE")) {
		char *end;
		double d = strtod(t, &end);

		if (!*end && isfinite(d))
			return *out = json_real(d), 0;
	}
	*out = json_stringn(t, n->data.scalar.length);
	return 0;
}

/* A YAML value as JSON (lists, mappings with string keys, scalars). */
static int node_json(struct ctx *c, const yaml_node_t *n, const char *path, int depth, json_t **out)
{
	char ipath[300];
	json_t *j;
	int err;

	*out = NULL;
	if (depth > SPEC_MAX_ARGS_DEPTH)
		return fail(c, n, "%s: nested more than %d levels deep", path, SPEC_MAX_ARGS_DEPTH);
	if (n->type == YAML_SCALAR_NODE)
		return scalar_json(c, n, path, out);
	if (n->type == YAML_SEQUENCE_NODE) {
		j = json_array();
		for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top; i++) {
			json_t *v;

			snprintf(ipath, sizeof(ipath), "%s[%d]", path,
				 (int)(i - n->data.sequence.items.start));
			if ((err = node_json(c, node(c, *i), ipath, depth + 1, &v))) {
				json_decref(j);
				return err;
			}
			json_array_append_new(j, v);
		}
		return *out = j, 0;
	}
	j = json_object();
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = node(c, p->key);
		json_t *v;

		if (k->type != YAML_SCALAR_NODE) {
			json_decref(j);
			return fail(c, k, "keys in %s must be strings", path);
		}
		if (json_object_get(j, text(k))) {
			json_decref(j);
			return fail(c, k, "duplicate key '%s' in %s", text(k), path);
		}
		snprintf(ipath, sizeof(ipath), "%s.%s", path, text(k));
		if ((err = node_json(c, node(c, p->value), ipath, depth + 1, &v))) {
			json_decref(j);
			return err;
		}
		json_object_set_new(j, text(k), v);
	}
	return *out = j, 0;
}

static char *dump_json(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);

	json_decref(j);
	if (!s)
		abort();   /* jansson fails only without memory, as xcalloc would */
	return s;
}

/* args: a list (every call's arguments) or {per_task: [[...], ...]} (task i's). */
static int get_args(struct ctx *c, const yaml_node_t *n, const char *path, struct spec_workload *w)
{
	char ppath[320];
	const yaml_node_t *pt;
	json_t *j;
	int err;

	if (n->type == YAML_MAPPING_NODE) {
		const char *key;

		if (n->data.mapping.pairs.top - n->data.mapping.pairs.start != 1 ||
		    !(pt = map_find(c, n, "per_task"))) {
			yaml_node_pair_t *p = n->data.mapping.pairs.start;

			if (p < n->data.mapping.pairs.top && (err = get_key(c, n, p, (const char *const[]){ "per_task", NULL },
									     "in args", &key)))
				return err;
			return fail(c, n, "%s: a mapping of arguments takes one key, per_task (a list "
				    "of argument lists, one per task)", path);
		}
		snprintf(ppath, sizeof(ppath), "%s.per_task", path);
		if ((err = want_type(c, pt, ppath, YAML_SEQUENCE_NODE)))
			return err;
		for (yaml_node_item_t *i = pt->data.sequence.items.start; i < pt->data.sequence.items.top; i++) {
			char ipath[340];

			snprintf(ipath, sizeof(ipath), "%s[%d]", ppath, (int)(i - pt->data.sequence.items.start));
			if (node(c, *i)->type != YAML_SEQUENCE_NODE)
				return wrong_type(c, node(c, *i), ipath, "a list (one task's arguments)");
		}
		if (pt->data.sequence.items.top == pt->data.sequence.items.start)
			return fail(c, pt, "%s: empty list (give one argument list per task)", ppath);
		if ((err = node_json(c, pt, ppath, 0, &j)))
			return err;
		free(w->task_args_json);
		w->task_args_json = dump_json(j);
		w->args_line = pt->start_mark.line + 1;
		w->args_col = pt->start_mark.column + 1;
		w->ntask_args = pt->data.sequence.items.top - pt->data.sequence.items.start;
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return wrong_type(c, n, path, "a list (the arguments of each call) or {per_task: [...]}");
	if ((err = node_json(c, n, path, 0, &j)))
		return err;
	free(w->args_json);
	w->args_json = dump_json(j);
	return 0;
}

static int parse_function_key(struct ctx *c, const char *key, const yaml_node_t *v,
			      const char *path, struct spec_workload *w)
{
	long long n;
	int err;

	if (!strcmp(key, "function")) {
		w->fn_line = v->start_mark.line + 1;
		w->fn_col = v->start_mark.column + 1;
		return get_function(c, v, path, &w->function);
	}
	if (!strcmp(key, "args"))
		return get_args(c, v, path, w);
	if (!strcmp(key, "calls")) {
		err = get_int(c, v, path, 1, SPEC_MAX_COUNT, &n);
		if (!err)
			w->calls = n;
		return err;
	}
	if (!strcmp(key, "pythonpath")) {
		if (v->type == YAML_SEQUENCE_NODE) {
			char *joined = NULL;

			for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++) {
				char ipath[320], *d = NULL, *nj;

				snprintf(ipath, sizeof(ipath), "%s[%d]", path, (int)(i - v->data.sequence.items.start));
				if ((err = get_string(c, node(c, *i), ipath, &d))) {
					free(joined);
					return err;
				}
				if (strchr(d, ':')) {
					free(d);
					free(joined);
					return fail(c, node(c, *i), "%s: a directory with ':' cannot go on "
						    "PYTHONPATH", ipath);
				}
				nj = joined ? xasprintf("%s:%s", joined, d) : xstrdup(d);
				free(joined);
				free(d);
				joined = nj;
			}
			if (!joined)
				return fail(c, v, "%s: empty list", path);
			free(w->pythonpath);
			w->pythonpath = joined;
			return 0;
		}
		if (v->type != YAML_SCALAR_NODE || is_null(v))
			return wrong_type(c, v, path, "a directory or a list of directories");
		return get_string(c, v, path, &w->pythonpath);
	}
	return get_string(c, v, path, &w->cwd);   /* cwd */
}

static int parse_workload_key(struct ctx *c, const char *key,
			      const yaml_node_t *v, const char *wpath, struct spec_workload *w)
{
	char path[300], buf[300];
	long long n;
	int err;

	snprintf(path, sizeof(path), "%s.%s", wpath, key);
	if (!strcmp(key, "name"))
		return get_name(c, v, path, &w->name);
	if (!strcmp(key, "description"))
		return get_string(c, v, path, &w->description);
	if (!strcmp(key, "kind")) {
		if ((err = get_string(c, v, path, &w->kind)))
			return err;
		if (kind_index(w->kind) < 0)
			return fail(c, v, "%s: unknown kind '%s'%s", path, w->kind,
				    choices(w->kind, kinds, N_KINDS, buf, sizeof(buf)));
		return 0;
	}
	if (!strcmp(key, "size"))
		return get_size(c, v, path, &w->size);
	if (!strcmp(key, "work"))
		return get_size(c, v, path, &w->work);
	if (!strcmp(key, "requests") || !strcmp(key, "iterations")) {
		err = get_int(c, v, path, 1, SPEC_MAX_COUNT, &n);
		if (!err)
			*(key[0] == 'r' ? &w->requests : &w->iterations) = n;
		return err;
	}
	if (!strcmp(key, "latency")) {
		err = get_duration(c, v, path, SPEC_MAX_LATENCY_NS, "1h", &w->latency_ns);
		if (!err && w->latency_ns % 1000)
			return fail(c, v, "%s: %s is not a whole number of microseconds", path, text(v));
		return err;
	}
	if (!strcmp(key, "tasks"))
		return get_small_int(c, v, path, 1, SPEC_MAX_TASKS, &w->tasks);
	if (!strcmp(key, "repeat"))
		return get_small_int(c, v, path, 1, SPEC_MAX_REPEAT, &w->repeat);
	if (!strcmp(key, "timeout"))
		return get_duration(c, v, path, SPEC_MAX_TIMEOUT_NS, "24h", &w->timeout_ns);
	if (!strcmp(key, "env"))
		return get_env(c, v, path, &w->env);
	return 0;   /* models: parsed by the caller */
}

static int parse_workload(struct ctx *c, const yaml_node_t *n, int idx, struct spec_workload *w)
{
	char path[64], where[80], mpath[80];
	const yaml_node_t *models = NULL;
	bool reference, is_fn;
	int err;

	snprintf(path, sizeof(path), "workloads[%d]", idx);
	snprintf(where, sizeof(where), "in %s", path);
	if ((err = want_type(c, n, path, YAML_MAPPING_NODE)))
		return err;
	w->line = n->start_mark.line + 1;
	w->col = n->start_mark.column + 1;
	reference = map_find(c, n, "kind") != NULL;
	is_fn = map_find(c, n, "function") != NULL;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
		const char *key;

		if ((err = get_key(c, n, p, workload_keys, where, &key)))
			return err;
		if (reference && is_fn && (!strcmp(key, "kind") || !strcmp(key, "function")))
			return fail(c, k, "%s: a workload has either 'kind' (a reference workload) or "
				    "'function' (your own), not both", path);
		if (!reference && in_list(param_keys, key) && !(is_fn && !strcmp(key, "tasks")))
			return fail(c, k, "%s.%s: only a reference workload (one with 'kind') takes "
				    "'%s'", path, key, key);
		if (!is_fn && in_list(function_keys, key))
			return fail(c, k, "%s.%s: only a function workload (one with 'function') takes "
				    "'%s'", path, key, key);
		if (!strcmp(key, "models")) {
			snprintf(mpath, sizeof(mpath), "%s.models", path);
			models = v;
			err = reference || is_fn ? parse_model_list(c, v, mpath, w, is_fn) :
				parse_model_map(c, v, mpath, w);
		} else if (!strcmp(key, "function") || in_list(function_keys, key)) {
			char fpath[300];

			snprintf(fpath, sizeof(fpath), "%s.%s", path, key);
			err = parse_function_key(c, key, v, fpath, w);
		} else {
			err = parse_workload_key(c, key, v, path, w);
		}
		if (err)
			return err;
		if (!strcmp(key, "name")) {
			bool added;
			long *first = strmap_put(&c->workload_names, w->name, idx, &added);

			if (!added)
				return fail(c, v, "%s.name: duplicate workload name '%s' "
					    "(also workloads[%ld])", path, w->name, *first);
		}
	}
	if (!w->name)
		return fail(c, n, "%s: missing required key 'name'", path);
	if (!models)
		return fail(c, n, "%s: missing required key 'models'", path);
	if (reference) {
		unsigned kbit = 1u << kind_index(w->kind);

		for (int i = 0; i < w->nmodels; i++) {
			const struct ref_model *rm = ref_model(w->models[i].name);
			char list[64];
			int nk = 0;
			const char *applies[N_KINDS];

			if (rm->kinds & kbit)
				continue;
			for (int j = 0; j < N_KINDS; j++)
				if (rm->kinds & (1u << j))
					applies[nk++] = kinds[j];
			join(applies, nk, list, sizeof(list));
			return fail_at(c, w->models[i].line, w->models[i].col,
				       "%s.models[%d]: model '%s' does not apply to kind '%s' "
				       "(%s runs kind%s %s only)", path, i, rm->name, w->kind,
				       rm->name, nk > 1 ? "s" : "", list);
		}
	}
	return 0;
}

static int parse_workloads(struct ctx *c, const yaml_node_t *n)
{
	int err = want_type(c, n, "workloads", YAML_SEQUENCE_NODE), count;

	if (err)
		return err;
	count = n->data.sequence.items.top - n->data.sequence.items.start;
	if (!count)
		return fail(c, n, "workloads: empty list (give at least one workload)");
	c->s->workloads = xcalloc(count, sizeof(*c->s->workloads));
	for (int i = 0; i < count; i++) {
		if (stopped(c))
			return interrupted(c);
		c->s->nworkloads++;
		err = parse_workload(c, node(c, n->data.sequence.items.start[i]), i,
				     &c->s->workloads[i]);
		if (err)
			return err;
	}
	return 0;
}

static int check_baseline(struct ctx *c)
{
	struct spec *s = c->s;
	const char **names;
	const char *sug;
	int n = 0;

	for (int i = 0; i < s->nworkloads; i++)
		for (int j = 0; j < s->workloads[i].nmodels; j++)
			if (!strcmp(s->workloads[i].models[j].name, s->baseline))
				return 0;
	for (int i = 0; i < s->nworkloads; i++)
		n += s->workloads[i].nmodels;
	names = xcalloc(n, sizeof(*names));
	n = 0;
	for (int i = 0; i < s->nworkloads; i++)
		for (int j = 0; j < s->workloads[i].nmodels; j++)
			names[n++] = s->workloads[i].models[j].name;
	sug = suggest(s->baseline, names, n);
	fail(c, c->baseline_node, "baseline: '%s' is not a model of any workload%s%s%s",
	     s->baseline, sug ? " (did you mean '" : "", sug ? sug : "", sug ? "'?)" : "");
	free(names);
	return -EINVAL;
}

static int parse_root(struct ctx *c, const yaml_node_t *root)
{
	struct spec *s = c->s;
	bool has_workloads = false;
	char buf[64];
	int err;

	if (root->type != YAML_MAPPING_NODE)
		return fail(c, root, "expected a mapping at top level, got %s",
			    what(root, buf, sizeof(buf)));
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *v = node(c, p->value);
		const char *key;

		if ((err = get_key(c, root, p, top_keys, "at top level", &key)))
			return err;
		if (!strcmp(key, "name")) {
			err = get_name(c, v, "name", &s->name);
		} else if (!strcmp(key, "description")) {
			err = get_string(c, v, "description", &s->description);
		} else if (!strcmp(key, "defaults")) {
			err = parse_defaults(c, v);
		} else if (!strcmp(key, "baseline")) {
			err = get_string(c, v, "baseline", &s->baseline);
			c->baseline_node = v;
		} else if (!strcmp(key, "trace")) {
			err = parse_trace(c, v);
		} else {
			has_workloads = true;
			err = parse_workloads(c, v);
		}
		if (err)
			return err;
	}
	if (!s->name)
		return fail(c, root, "missing required key 'name' at top level");
	if (!has_workloads)
		return fail(c, root, "missing required key 'workloads' at top level");
	for (int i = 0; i < s->nworkloads; i++) {
		struct spec_workload *w = &s->workloads[i];

		if (!w->tasks)
			w->tasks = s->tasks;
		if (!w->repeat)
			w->repeat = s->repeat;
		if (!w->timeout_ns)
			w->timeout_ns = s->timeout_ns;
		if (w->task_args_json && w->ntask_args != w->tasks)
			return fail_at(c, w->args_line, w->args_col, "workloads[%d].args.per_task: %d "
				       "argument list%s for %d task%s (give one per task)", i,
				       w->ntask_args, w->ntask_args == 1 ? "" : "s", w->tasks,
				       w->tasks == 1 ? "" : "s");
	}
	return s->baseline ? check_baseline(c) : 0;
}

/* ---- documents ---- */

static int yaml_failed(struct ctx *c, const yaml_parser_t *p)
{
	size_t line = p->problem_mark.line + 1, col = p->problem_mark.column + 1;
	const char *problem = p->problem ? p->problem : "cannot parse";
	char ctx[160] = "";

	if (p->error == YAML_MEMORY_ERROR) {
		fail_at(c, 1, 1, "out of memory");
		return -ENOMEM;
	}
	if (p->error == YAML_READER_ERROR) {
		/* reader errors carry a byte offset, not a mark */
		line = col = 1;
		for (size_t i = 0; i < p->problem_offset && i < c->len; i++) {
			unsigned char ch = c->text[i];

			if (ch == '\n') {
				line++;
				col = 1;
			} else if ((ch & 0xc0) != 0x80) {
				col++;
			}
		}
		return fail_at(c, line, col, "invalid text: %s", problem);
	}
	if (p->problem_mark.index < c->len && c->text[p->problem_mark.index] == '\t')
		snprintf(ctx, sizeof(ctx), " (YAML is indented with spaces, not tabs)");
	else if (p->context && (p->context_mark.line != p->problem_mark.line ||
				p->context_mark.column != p->problem_mark.column))
		snprintf(ctx, sizeof(ctx), " (%s at line %zu, column %zu)", p->context,
			 p->context_mark.line + 1, p->context_mark.column + 1);
	return fail_at(c, line, col, "syntax error: %s%s", problem, ctx);
}

/* The input, handed to libyaml a buffer at a time so that a signal stops a long read. */
struct reader {
	struct ctx *c;
	size_t off;
};

static int read_input(void *data, unsigned char *buf, size_t size, size_t *size_read)
{
	struct reader *r = data;
	size_t n = r->c->len - r->off < size ? r->c->len - r->off : size;

	if (r->c->stop && *r->c->stop) {
		r->c->interrupted = true;
		return 0;
	}
	memcpy(buf, r->c->text + r->off, n);
	r->off += n;
	*size_read = n;
	return 1;
}

/* What libyaml's document loader does not bound: nesting (its scanner's work per token grows
 * with the depth) and the size of the tree once aliases are expanded (each alias of a big
 * anchor counts in full, as the checks below walk it in full). One pass over the events,
 * stopped at the first excess, before the document is built. */
static int check_shape(struct ctx *c)
{
	struct reader rd = { .c = c };
	uint64_t size[SPEC_MAX_DEPTH + 2];   /* expanded nodes of each open collection */
	char *anchor[SPEC_MAX_DEPTH + 2];
	struct strmap anchors = { 0 };       /* anchor -> expanded nodes */
	yaml_parser_t parser;
	yaml_event_t ev;
	int depth = 0, ret = 0;
	bool done = false;

	if (!yaml_parser_initialize(&parser))
		return fail_at(c, 1, 1, "out of memory");
	yaml_parser_set_input(&parser, read_input, &rd);
	size[0] = 0;
	anchor[0] = NULL;
	while (!done && !ret) {
		const char *name = NULL;
		uint64_t add = 0;
		bool added;
		long *v;

		if (!yaml_parser_parse(&parser, &ev)) {
			/* syntax errors are reported by the loader, with the same marks */
			break;
		}
		if (c->stop && *c->stop) {
			c->interrupted = true;
			yaml_event_delete(&ev);
			break;
		}
		switch (ev.type) {
		case YAML_SCALAR_EVENT:
			add = 1;
			name = (const char *)ev.data.scalar.anchor;
			break;
		case YAML_ALIAS_EVENT:
			v = strmap_get(&anchors, (const char *)ev.data.alias.anchor);
			add = v ? (uint64_t)*v : 1;
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (depth == SPEC_MAX_DEPTH) {
				ret = fail_at(c, ev.start_mark.line + 1, ev.start_mark.column + 1,
					      "nested deeper than %d levels", SPEC_MAX_DEPTH);
				break;
			}
			name = ev.type == YAML_SEQUENCE_START_EVENT ?
			       (const char *)ev.data.sequence_start.anchor :
			       (const char *)ev.data.mapping_start.anchor;
			depth++;
			size[depth] = 1;
			anchor[depth] = name ? xstrdup(name) : NULL;
			name = NULL;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			add = size[depth];
			name = anchor[depth];
			depth--;
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		default:
			break;
		}
		if (!ret && (add || name)) {
			size[depth] += add;
			if (name)
				*strmap_put(&anchors, name, 0, &added) = (long)add;
			if (size[depth] > SPEC_MAX_NODES)
				ret = fail_at(c, ev.start_mark.line + 1, ev.start_mark.column + 1,
					      "more than %d nodes (aliases counted in full)",
					      SPEC_MAX_NODES);
		}
		if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT)
			free(anchor[depth + 1]);
		yaml_event_delete(&ev);
	}
	for (; depth > 0; depth--)
		free(anchor[depth]);
	strmap_free(&anchors);
	yaml_parser_delete(&parser);
	if (!ret && c->interrupted)
		ret = interrupted(c);
	return ret;
}

/* c->first_dup for every mapping of the document. */
static void index_keys(struct ctx *c)
{
	yaml_node_t *first = c->doc->nodes.start;
	size_t nnodes = c->doc->nodes.top - first;
	struct strmap seen = { 0 };

	c->first_dup = xcalloc(nnodes + 1, sizeof(*c->first_dup));
	for (size_t i = 0; i < nnodes; i++) {
		const yaml_node_t *n = &first[i];

		c->first_dup[i] = -1;
		if (n->type != YAML_MAPPING_NODE)
			continue;
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
			const yaml_node_t *k = node(c, p->key);
			bool added;

			if (k->type != YAML_SCALAR_NODE)
				continue;
			strmap_put(&seen, text(k), 0, &added);
			if (!added) {
				c->first_dup[i] = p - n->data.mapping.pairs.start;
				break;
			}
		}
		strmap_free(&seen);
	}
}

static int parse_text(const char *buf, size_t len, const char *file, const volatile int *stop,
		      struct spec **out, char *err, size_t errlen)
{
	struct ctx c = { .file = file, .text = buf, .len = len, .err = err, .errlen = errlen,
			 .stop = stop };
	struct reader rd = { .c = &c };
	yaml_parser_t parser;
	yaml_document_t doc, next;
	yaml_node_t *root;
	struct spec *s;
	int ret;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (len > SPEC_MAX_FILE) {
		if (err && errlen)
			snprintf(err, errlen, "%s: too large (a spec is at most %d MiB)", file,
				 SPEC_MAX_FILE >> 20);
		return -EFBIG;
	}
	if ((ret = check_shape(&c)))
		return ret;
	if (!yaml_parser_initialize(&parser)) {
		fail_at(&c, 1, 1, "out of memory");
		return -ENOMEM;
	}
	yaml_parser_set_input(&parser, read_input, &rd);
	if (!yaml_parser_load(&parser, &doc)) {
		ret = c.interrupted ? interrupted(&c) : yaml_failed(&c, &parser);
		yaml_parser_delete(&parser);
		return ret;
	}
	root = yaml_document_get_root_node(&doc);
	if (!root) {
		ret = fail_at(&c, 1, 1, "empty spec (a spec needs at least 'name' and 'workloads')");
		goto out_doc;
	}
	if (!yaml_parser_load(&parser, &next)) {
		ret = c.interrupted ? interrupted(&c) : yaml_failed(&c, &parser);
		goto out_doc;
	}
	if (yaml_document_get_root_node(&next)) {
		ret = fail_at(&c, next.start_mark.line + 1, next.start_mark.column + 1,
			      "multiple YAML documents (a spec is one document)");
		yaml_document_delete(&next);
		goto out_doc;
	}
	yaml_document_delete(&next);

	s = xcalloc(1, sizeof(*s));
	s->path = xstrdup(file);
	s->repeat = 1;
	s->timeout_ns = 60ull * 1000000000;
	s->tasks = 4;
	s->python = xstrdup("python3");
	s->stacks = true;
	s->sample_hz = 99;
	c.s = s;
	c.doc = &doc;
	index_keys(&c);
	ret = parse_root(&c, root);
	if (!ret && stopped(&c))
		ret = interrupted(&c);
	if (ret)
		spec_free(s);
	else
		*out = s;
	free(c.first_dup);
	strmap_free(&c.workload_names);
out_doc:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return ret;
}

int spec_parse_string(const char *text, const char *name_for_errors, struct spec **out,
		      char *err, size_t errlen)
{
	return parse_text(text, strlen(text), name_for_errors ? name_for_errors : "<string>", NULL,
			  out, err, errlen);
}

int spec_load(const char *path, struct spec **out, char *err, size_t errlen)
{
	return spec_load_interruptible(path, NULL, out, err, errlen);
}

int spec_load_interruptible(const char *path, const volatile int *stop, struct spec **out,
			    char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd, ret;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto fail;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		goto fail_fd;
	}
	if (S_ISDIR(st.st_mode)) {
		ret = -EISDIR;
		goto fail_fd;
	}
	buf = xcalloc(1, SPEC_MAX_FILE + 1);
	for (;;) {
		ssize_t n = read(fd, buf + len, SPEC_MAX_FILE + 1 - len);

		/* a FIFO (a spec from <(...)) waits for its writer: a signal stops that too */
		if (n < 0 && errno == EINTR && !(stop && *stop))
			continue;
		if (n < 0 && errno == EINTR) {
			close(fd);
			free(buf);
			if (err && errlen)
				snprintf(err, errlen, "%s: interrupted while reading the spec", path);
			return -EINTR;
		}
		if (n < 0) {
			ret = -errno;
			goto fail_fd;
		}
		if (!n)
			break;
		len += n;
		if (len > SPEC_MAX_FILE) {
			close(fd);
			free(buf);
			snprintf(err, errlen, "%s: too large (a spec is at most %d MiB)", path,
				 SPEC_MAX_FILE >> 20);
			return -EFBIG;
		}
	}
	close(fd);
	ret = parse_text(buf, len, path, stop, out, err, errlen);
	free(buf);
	return ret;
fail_fd:
	close(fd);
	free(buf);
fail:
	if (err && errlen)
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(-ret));
	return ret;
}

static void model_free(struct spec_model *m)
{
	free(m->name);
	strv_free(m->argv);
	strv_free(m->env);
	free(m->cwd);
}

void spec_free(struct spec *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->nworkloads; i++) {
		struct spec_workload *w = &s->workloads[i];

		for (int j = 0; j < w->nmodels; j++)
			model_free(&w->models[j]);
		free(w->models);
		free(w->name);
		free(w->description);
		free(w->kind);
		free(w->function);
		free(w->args_json);
		free(w->task_args_json);
		free(w->pythonpath);
		free(w->cwd);
		strv_free(w->env);
	}
	free(s->workloads);
	free(s->path);
	free(s->name);
	free(s->description);
	free(s->python);
	strv_free(s->pythons);
	strv_free(s->python_labels);
	strv_free(s->env);
	free(s->baseline);
	free(s);
}

/* ---- values ---- */

int parse_duration(const char *s, unsigned long long *ns)
{
	static const struct {
		const char *name;
		unsigned long long mult;
	} units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000ull },
		{ "m", 60000000000ull }, { "h", 3600000000000ull },
	};
	unsigned __int128 ip = 0, frac = 0, scale = 1, v;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		ip = ip * 10 + (*p - '0');
		if (ip > UINT64_MAX)
			return -ERANGE;
	}
	if (*p == '.') {
		if (!isdigit((unsigned char)*++p))
			return -EINVAL;
		/* digits past the 18th cannot matter once rounded down to nanoseconds */
		for (; isdigit((unsigned char)*p); p++) {
			if (scale < 1000000000000000000ull) {
				frac = frac * 10 + (*p - '0');
				scale *= 10;
			}
		}
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(p, units[i].name))
			continue;
		v = ip * units[i].mult + frac * units[i].mult / scale;
		if (v > UINT64_MAX)
			return -ERANGE;
		*ns = (unsigned long long)v;
		return 0;
	}
	return -EINVAL;
}

int parse_size(const char *s, unsigned long long *out)
{
	unsigned long long v = 0, mult = 1;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (ULLONG_MAX - 9) / 10)
			return -ERANGE;
		v = v * 10 + (*p - '0');
	}
	if (*p == 'k' || *p == 'K')
		mult = 1000;
	else if (*p == 'M')
		mult = 1000000;
	else if (*p == 'G')
		mult = 1000000000;
	else if (*p)
		return -EINVAL;
	if (*p && p[1])
		return -EINVAL;
	if (v > SPEC_MAX_SIZE / mult)
		return -ERANGE;
	*out = v * mult;
	return 0;
}

/* ---- the plan ---- */

static int plan_fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int plan_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Split a comma-separated list; empty items are an error. */
static int split_list(const char *opt, const char *list, char ***out, char *err, size_t errlen)
{
	const char *p = list;

	*out = NULL;
	for (;;) {
		size_t n = strcspn(p, ",");

		if (!n) {
			strv_free(*out);
			*out = NULL;
			return plan_fail(err, errlen, "%s: empty name in '%s'", opt, list);
		}
		strv_push(out, xasprintf("%.*s", (int)n, p));
		if (!p[n])
			return 0;
		p += n + 1;
	}
}

static bool strv_has(char *const *v, const char *s)
{
	for (; v && *v; v++)
		if (!strcmp(*v, s))
			return true;
	return false;
}

/* "; did you mean 'x'?" or "" */
static void suggestion(const char *word, const char **cands, int n, char *buf, size_t len)
{
	const char *s = suggest(word, cands, n);

	snprintf(buf, len, "%s%s%s", s ? "; did you mean '" : "", s ? s : "", s ? "'?" : "");
}

static int select_cases(const struct spec *s, const struct plan_opts *o, bool *wsel,
			char ***models, char *err, size_t errlen)
{
	char **only = NULL, msg[600], list[512];
	struct strmap known = { 0 };   /* model names of the selected workloads */
	const char **names;
	int n = 0, ret = 0;

	names = xcalloc(s->nworkloads + 1, sizeof(*names));
	for (int i = 0; i < s->nworkloads; i++)
		names[i] = s->workloads[i].name;
	if (o && o->only) {
		if ((ret = split_list("--only", o->only, &only, err, errlen)))
			goto out;
		for (char **p = only; *p; p++) {
			int i;

			for (i = 0; i < s->nworkloads && strcmp(names[i], *p); i++)
				;
			if (i == s->nworkloads) {
				suggestion(*p, names, s->nworkloads, msg, sizeof(msg));
				ret = plan_fail(err, errlen, "--only: no workload named '%s' (workloads: %s%s)",
						*p, join(names, s->nworkloads, list, sizeof(list)), msg);
				goto out;
			}
			wsel[i] = true;
		}
	} else {
		for (int i = 0; i < s->nworkloads; i++)
			wsel[i] = true;
	}
	if (!o || !o->models)
		goto out;
	if ((ret = split_list("--models", o->models, models, err, errlen)))
		goto out;
	/* every name must be a model of some selected workload: a typo must not go unnoticed */
	free(names);
	for (int i = 0; i < s->nworkloads; i++)
		n += s->workloads[i].nmodels;
	names = xcalloc(n + 1, sizeof(*names));
	n = 0;
	for (int i = 0; i < s->nworkloads; i++) {
		for (int j = 0; wsel[i] && j < s->workloads[i].nmodels; j++) {
			const char *m = s->workloads[i].models[j].name;
			bool added;

			strmap_put(&known, m, n, &added);
			if (added)
				names[n++] = m;
		}
	}
	for (char **p = *models; *p; p++) {
		if (!strmap_get(&known, *p)) {
			suggestion(*p, names, n, msg, sizeof(msg));
			ret = plan_fail(err, errlen, "--models: no selected workload has model '%s' "
					"(models: %s%s)", *p, join(names, n, list, sizeof(list)), msg);
			strv_free(*models);
			*models = NULL;
			goto out;
		}
	}
out:
	strmap_free(&known);
	free(names);
	strv_free(only);
	return ret;
}

static void push_param(char ***argv, const char *flag, unsigned long long v)
{
	if (!v)
		return;
	strv_push(argv, xstrdup(flag));
	strv_push(argv, xasprintf("%llu", v));
}

static char **case_argv(const struct spec *s, const struct plan_opts *o,
			const struct spec_workload *w, const struct spec_model *m, const char *python)
{
	const char *harness = o && o->harness ? o->harness : "workloads/python/harness.py";
	const char *cbase = o && o->cbase ? o->cbase : "build/workloads/cbase";
	char **argv = NULL;

	if (!w->kind && !w->function) {
		for (char **a = m->argv; *a; a++)
			strv_push(&argv, xstrdup(*a));
		return argv;
	}
	if (!strncmp(m->name, "c-", 2)) {
		strv_push(&argv, xstrdup(cbase));
	} else {
		for (const char *p = python ? python : s->python; *p;) {
			size_t n;

			p += strspn(p, " \t");
			n = strcspn(p, " \t");
			if (n)
				strv_push(&argv, xasprintf("%.*s", (int)n, p));
			p += n;
		}
		strv_push(&argv, xstrdup(harness));
	}
	if (w->function) {
		strv_push(&argv, xstrdup("--function"));
		strv_push(&argv, xstrdup(w->function));
		strv_push(&argv, xstrdup("--model"));
		strv_push(&argv, xstrdup(m->name));
		strv_push(&argv, xstrdup("--tasks"));
		strv_push(&argv, xasprintf("%d", w->tasks));
		push_param(&argv, "--calls", w->calls);
		if (w->args_json) {
			strv_push(&argv, xstrdup("--args"));
			strv_push(&argv, xstrdup(w->args_json));
		}
		if (w->task_args_json) {
			strv_push(&argv, xstrdup("--task-args"));
			strv_push(&argv, xstrdup(w->task_args_json));
		}
		if (w->pythonpath) {
			strv_push(&argv, xstrdup("--pythonpath"));
			strv_push(&argv, xstrdup(w->pythonpath));
		}
		return argv;
	}
	strv_push(&argv, xstrdup("--kind"));
	strv_push(&argv, xstrdup(w->kind));
	strv_push(&argv, xstrdup("--model"));
	strv_push(&argv, xstrdup(strncmp(m->name, "c-", 2) ? m->name : m->name + 2));
	strv_push(&argv, xstrdup("--tasks"));
	strv_push(&argv, xasprintf("%d", w->tasks));
	push_param(&argv, "--size", w->size);
	push_param(&argv, "--requests", w->requests);
	push_param(&argv, "--latency-us", w->latency_ns / 1000);
	push_param(&argv, "--work", w->work);
	push_param(&argv, "--iterations", w->iterations);
	return argv;
}

static char **case_env(const struct spec *s, const struct spec_workload *w,
		       const struct spec_model *m)
{
	char *const *levels[] = { s->env, w->env, m->env };
	struct strmap at = { 0 };      /* variable name -> its index in env */
	char **env;
	long n = 0;

	for (int i = 0; i < 3; i++)
		n += strv_len(levels[i]);
	if (!n)
		return NULL;
	env = xcalloc(n + 1, sizeof(char *));
	n = 0;
	for (int i = 0; i < 3; i++) {
		for (char *const *e = levels[i]; e && *e; e++) {
			char *name = xasprintf("%.*s", (int)strcspn(*e, "="), *e);
			bool added;
			long *idx = strmap_put(&at, name, n, &added);

			free(name);
			if (added) {
				env[n++] = xstrdup(*e);
			} else {
				/* the more specific level wins, in the place of the first */
				free(env[*idx]);
				env[*idx] = xstrdup(*e);
			}
		}
	}
	strmap_free(&at);
	return env;
}

int spec_plan(const struct spec *s, const struct plan_opts *o, struct plan **out,
	      char *err, size_t errlen)
{
	bool *wsel;
	char **models = NULL;
	struct plan *p;
	int ret, cap = 0;

	*out = NULL;
	if (o && o->repeat > SPEC_MAX_REPEAT)
		return plan_fail(err, errlen, "--repeat: %d is out of range (1..%d)", o->repeat,
				 SPEC_MAX_REPEAT);
	wsel = xcalloc(s->nworkloads + 1, sizeof(*wsel));
	ret = select_cases(s, o, wsel, &models, err, errlen);
	if (ret) {
		free(wsel);
		return ret;
	}
	p = xcalloc(1, sizeof(*p));
	for (int i = 0; i < s->nworkloads; i++) {
		const struct spec_workload *w = &s->workloads[i];
		int repeat = o && o->repeat > 0 ? o->repeat : w->repeat;
		const struct spec_model *base = NULL;

		if (!wsel[i])
			continue;
		for (int j = 0; j < w->nmodels; j++) {
			const struct spec_model *m = &w->models[j];

			if (models && !strv_has(models, m->name))
				continue;
			if (!base || (s->baseline && !strcmp(m->name, s->baseline) &&
				      strcmp(base->name, s->baseline)))
				base = m;
		}
		for (int r = 0; r < repeat; r++) {
			for (int j = 0; j < w->nmodels; j++) {
				const struct spec_model *m = &w->models[j];
				/* a Python model runs once per interpreter of defaults.pythons */
				bool py = (w->kind || w->function) && strncmp(m->name, "c-", 2);
				int npy = py && s->pythons ? (int)strv_len(s->pythons) : 1;

				if (models && !strv_has(models, m->name))
					continue;
				for (int k = 0; k < npy; k++) {
					struct plan_case *pc;
					const char *python = py ? (s->pythons ? s->pythons[k] : s->python)
								: NULL;

					if (p->ncases == cap) {
						cap = cap ? cap * 2 : 16;
						p->cases = xrealloc(p->cases, cap * sizeof(*p->cases));
					}
					pc = &p->cases[p->ncases];
					*pc = (struct plan_case){
						.index = p->ncases,
						.wl = w,
						.model = m,
						.repeat = r,
						.argv = case_argv(s, o, w, m, python),
						.env = case_env(s, w, m),
						.cwd = m->cwd ? m->cwd : w->cwd,
						.timeout_ns = w->timeout_ns,
						.is_baseline = m == base,
						.name = m->name,
						.python = python,
					};
					if (py && s->pythons) {
						pc->own_name = xasprintf("%s [%s]", m->name,
									 s->python_labels[k]);
						pc->name = pc->own_name;
					}
					p->ncases++;
				}
			}
		}
	}
	free(wsel);
	strv_free(models);
	*out = p;
	return 0;
}

void plan_free(struct plan *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->ncases; i++) {
		strv_free(p->cases[i].argv);
		strv_free(p->cases[i].env);
		free(p->cases[i].own_name);
	}
	free(p->cases);
	free(p);
}
