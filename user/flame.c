/* Stack profiles as a tree of frames: folded text in and out, the flame-graph layout, and
 * self-contained SVG flame graphs (plain and differential) with a small inline script. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "flame.h"
#include "log.h"
#include "reasons.h"
#include "util.h"

#define NONE UINT32_MAX

struct node {
	uint32_t name;               /* interned name; 0 only for the root */
	uint32_t parent;
	unsigned long long total;    /* this node and everything above it */
	unsigned long long self;
};

struct kid {
	uint64_t key;                /* 0 = empty; names start at 1 */
	uint32_t node;
};

struct flame {
	struct node *nodes;          /* nodes[0] is the root, "all" */
	uint32_t nnodes, cap_nodes;
	char *text;                  /* interned names, NUL-terminated, back to back */
	size_t text_len, text_cap;
	size_t *name_off;            /* name id -> offset in text; id 0 unused */
	uint32_t nnames, cap_names;
	uint32_t *name_ht;           /* open addressing, name ids, 0 = empty */
	uint32_t name_ht_cap;
	struct kid *kids;            /* open addressing: parent << 32 | name -> child */
	uint32_t kid_cap;
	int max_depth;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;   /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static uint64_t hash_u64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

static const char *name_of(const struct flame *f, uint32_t node)
{
	return node == 0 ? "all" : f->text + f->name_off[f->nodes[node].name];
}

struct flame *flame__new(void)
{
	struct flame *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->cap_nodes = 1024;
	f->nodes = calloc(f->cap_nodes, sizeof(*f->nodes));
	f->cap_names = 256;
	f->name_off = calloc(f->cap_names, sizeof(*f->name_off));
	f->name_ht_cap = 512;
	f->name_ht = calloc(f->name_ht_cap, sizeof(*f->name_ht));
	f->kid_cap = 2048;
	f->kids = calloc(f->kid_cap, sizeof(*f->kids));
	if (!f->nodes || !f->name_off || !f->name_ht || !f->kids) {
		flame__free(f);
		return NULL;
	}
	f->nnodes = 1;
	f->nodes[0].parent = NONE;
	f->nnames = 1;
	return f;
}

void flame__free(struct flame *f)
{
	if (!f)
		return;
	free(f->nodes);
	free(f->text);
	free(f->name_off);
	free(f->name_ht);
	free(f->kids);
	free(f);
}

unsigned long long flame__total(const struct flame *f)
{
	return f ? f->nodes[0].total : 0;
}

/* The id of name, 0 if absent. */
static uint32_t name_find(const struct flame *f, const char *name)
{
	uint32_t mask = f->name_ht_cap - 1, i = hash_str(name) & mask;

	for (; f->name_ht[i]; i = (i + 1) & mask)
		if (strcmp(f->text + f->name_off[f->name_ht[i]], name) == 0)
			return f->name_ht[i];
	return 0;
}

static int name_ht_grow(struct flame *f)
{
	uint32_t cap = f->name_ht_cap * 2, mask = cap - 1;
	uint32_t *ht = calloc(cap, sizeof(*ht));

	if (!ht)
		return -ENOMEM;
	for (uint32_t id = 1; id < f->nnames; id++) {
		uint32_t i = hash_str(f->text + f->name_off[id]) & mask;

		while (ht[i])
			i = (i + 1) & mask;
		ht[i] = id;
	}
	free(f->name_ht);
	f->name_ht = ht;
	f->name_ht_cap = cap;
	return 0;
}

/* The id of name, added if new; 0 when out of memory. */
static uint32_t name_intern(struct flame *f, const char *name)
{
	uint32_t id = name_find(f, name), mask, i;
	size_t len = strlen(name) + 1;

	if (id)
		return id;
	if ((uint64_t)f->nnames * 2 >= f->name_ht_cap && name_ht_grow(f))
		return 0;
	if (f->nnames == f->cap_names) {
		size_t *p = realloc(f->name_off, f->cap_names * 2 * sizeof(*p));

		if (!p)
			return 0;
		f->name_off = p;
		f->cap_names *= 2;
	}
	if (f->text_len + len > f->text_cap) {
		size_t cap = f->text_cap ? f->text_cap : 4096;
		char *t;

		while (cap < f->text_len + len)
			cap *= 2;
		t = realloc(f->text, cap);
		if (!t)
			return 0;
		f->text = t;
		f->text_cap = cap;
	}
	memcpy(f->text + f->text_len, name, len);
	id = f->nnames++;
	f->name_off[id] = f->text_len;
	f->text_len += len;
	mask = f->name_ht_cap - 1;
	for (i = hash_str(name) & mask; f->name_ht[i]; i = (i + 1) & mask)
		;
	f->name_ht[i] = id;
	return id;
}

static uint32_t kid_find(const struct flame *f, uint32_t parent, uint32_t name)
{
	uint64_t key = (uint64_t)parent << 32 | name;
	uint32_t mask = f->kid_cap - 1, i = hash_u64(key) & mask;

	for (; f->kids[i].key; i = (i + 1) & mask)
		if (f->kids[i].key == key)
			return f->kids[i].node;
	return NONE;
}

static void kid_put(struct kid *kids, uint32_t cap, uint64_t key, uint32_t node)
{
	uint32_t mask = cap - 1, i = hash_u64(key) & mask;

	while (kids[i].key)
		i = (i + 1) & mask;
	kids[i] = (struct kid){ .key = key, .node = node };
}

/* The child of parent called name, added if new; NONE when out of memory. */
static uint32_t kid_get(struct flame *f, uint32_t parent, uint32_t name)
{
	uint32_t n = kid_find(f, parent, name);

	if (n != NONE)
		return n;
	if (f->nnodes >= UINT32_MAX / 4)
		return NONE;
	if ((uint64_t)f->nnodes * 2 >= f->kid_cap) {
		uint32_t cap = f->kid_cap * 2;
		struct kid *kids = calloc(cap, sizeof(*kids));

		if (!kids)
			return NONE;
		for (uint32_t i = 0; i < f->kid_cap; i++)
			if (f->kids[i].key)
				kid_put(kids, cap, f->kids[i].key, f->kids[i].node);
		free(f->kids);
		f->kids = kids;
		f->kid_cap = cap;
	}
	if (f->nnodes == f->cap_nodes) {
		struct node *p = realloc(f->nodes, f->cap_nodes * 2 * sizeof(*p));

		if (!p)
			return NONE;
		f->nodes = p;
		f->cap_nodes *= 2;
	}
	n = f->nnodes++;
	f->nodes[n] = (struct node){ .name = name, .parent = parent };
	kid_put(f->kids, f->kid_cap, (uint64_t)parent << 32 | name, n);
	return n;
}

/* The node at the end of a path in f, or NONE. Names are compared as normalised. */
static uint32_t path_find(const struct flame *f, uint32_t from, const char *name)
{
	uint32_t id = name_find(f, name);

	return id ? kid_find(f, from, id) : NONE;
}

/* Replace what the folded format cannot carry; returns name or buf. */
static const char *normalise(const char *name, char **buf, size_t *cap)
{
	size_t len;

	if (!strpbrk(name, ";\n\r"))
		return name;
	len = strlen(name) + 1;
	if (len > *cap) {
		char *b = realloc(*buf, len);

		if (!b)
			return NULL;
		*buf = b;
		*cap = len;
	}
	for (size_t i = 0; i < len; i++)
		(*buf)[i] = name[i] == ';' ? ':' : (name[i] == '\n' || name[i] == '\r') ? ' ' : name[i];
	return *buf;
}

int flame__add(struct flame *f, const char *const *frames, int nframes, unsigned long long value)
{
	char *buf = NULL;
	size_t cap = 0;
	uint32_t cur = 0;
	int err = 0;

	if (!f || !frames || nframes <= 0)
		return -EINVAL;
	for (int i = 0; i < nframes; i++)
		if (!frames[i])
			return -EINVAL;
	if (value == 0)
		return 0;
	if (f->nodes[0].total > ULLONG_MAX - value)
		return -EOVERFLOW;
	/* create the path first, then count: a failure leaves only zero-valued nodes */
	for (int i = 0; i < nframes; i++) {
		const char *name = normalise(frames[i], &buf, &cap);
		uint32_t id = name ? name_intern(f, name) : 0;

		if (!id || (cur = kid_get(f, cur, id)) == NONE) {
			err = -ENOMEM;
			goto out;
		}
	}
	f->nodes[cur].self += value;
	for (uint32_t n = cur; n != NONE; n = f->nodes[n].parent)
		f->nodes[n].total += value;
	if (nframes > f->max_depth)
		f->max_depth = nframes;
out:
	free(buf);
	return err;
}

int flame__lookup(const struct flame *f, const char *const *frames, int nframes,
		  unsigned long long *value, unsigned long long *self)
{
	char *buf = NULL;
	size_t cap = 0;
	uint32_t cur = 0;

	if (!f || (nframes > 0 && !frames) || nframes < 0)
		return -EINVAL;
	for (int i = 0; i < nframes && cur != NONE; i++) {
		const char *name = frames[i] ? normalise(frames[i], &buf, &cap) : NULL;

		cur = name ? path_find(f, cur, name) : NONE;
	}
	free(buf);
	if (cur == NONE)
		return -ENOENT;
	if (value)
		*value = f->nodes[cur].total;
	if (self)
		*self = f->nodes[cur].self;
	return 0;
}

static int is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int flame__add_folded_line(struct flame *f, const char *line)
{
	unsigned long long value = 0;
	const char **frames;
	char *s, *v, *p;
	size_t len;
	int n = 1, err;

	if (!f || !line)
		return -EINVAL;
	len = strlen(line);
	while (len && is_blank(line[len - 1]))
		len--;
	s = strndup(line, len);
	if (!s)
		return -ENOMEM;
	v = s + len;
	while (v > s && v[-1] != ' ' && v[-1] != '\t')
		v--;
	if (v == s || !*v) {
		free(s);
		return -EINVAL;
	}
	for (p = v; *p; p++) {
		if (*p < '0' || *p > '9' || value > (ULLONG_MAX - (unsigned)(*p - '0')) / 10) {
			free(s);
			return -EINVAL;
		}
		value = value * 10 + (unsigned)(*p - '0');
	}
	for (p = v; p > s && (p[-1] == ' ' || p[-1] == '\t'); p--)
		;
	*p = '\0';
	if (p == s) {
		free(s);
		return -EINVAL;
	}
	for (p = s; *p; p++)
		n += *p == ';';
	frames = malloc(n * sizeof(*frames));
	if (!frames) {
		free(s);
		return -ENOMEM;
	}
	frames[0] = s;
	n = 1;
	for (p = s; *p; p++)
		if (*p == ';') {
			*p = '\0';
			frames[n++] = p + 1;
		}
	err = flame__add(f, frames, n, value);
	free(frames);
	free(s);
	return err;
}

int flame__read_folded(struct flame *f, FILE *in)
{
	char *line = NULL;
	size_t cap = 0;
	unsigned long lineno = 0;
	int err = 0;

	if (!f || !in)
		return -EINVAL;
	while (getline(&line, &cap, in) >= 0) {
		const char *p = line;

		lineno++;
		while (is_blank(*p))
			p++;
		if (!*p)
			continue;
		err = flame__add_folded_line(f, line);
		if (err) {
			pr_warn("folded stacks, line %lu: %s\n", lineno,
				err == -EINVAL ? "expected \"frame;frame;... count\"" : strerror(-err));
			break;
		}
	}
	if (!err && ferror(in))
		err = -EIO;
	free(line);
	return err;
}

/* Children of every node sorted by name, as one array: kids[start[n] .. start[n + 1]). */
struct order {
	uint32_t *kids;
	uint32_t *start;
};

static int cmp_kids(const void *a, const void *b, void *ctx)
{
	const struct flame *f = ctx;

	return strcmp(name_of(f, *(const uint32_t *)a), name_of(f, *(const uint32_t *)b));
}

static void order_free(struct order *o)
{
	free(o->kids);
	free(o->start);
	o->kids = o->start = NULL;
}

static int order_build(const struct flame *f, struct order *o)
{
	uint32_t *pos;

	o->kids = malloc(f->nnodes * sizeof(*o->kids));
	o->start = calloc(f->nnodes + 1, sizeof(*o->start));
	pos = malloc(f->nnodes * sizeof(*pos));
	if (!o->kids || !o->start || !pos) {
		free(pos);
		order_free(o);
		return -ENOMEM;
	}
	for (uint32_t n = 1; n < f->nnodes; n++)
		o->start[f->nodes[n].parent + 1]++;
	for (uint32_t n = 0; n < f->nnodes; n++)
		o->start[n + 1] += o->start[n];
	memcpy(pos, o->start, f->nnodes * sizeof(*pos));
	for (uint32_t n = 1; n < f->nnodes; n++)
		o->kids[pos[f->nodes[n].parent]++] = n;
	free(pos);
	for (uint32_t n = 0; n < f->nnodes; n++)
		if (o->start[n + 1] - o->start[n] > 1)
			qsort_r(o->kids + o->start[n], o->start[n + 1] - o->start[n],
				sizeof(*o->kids), cmp_kids, (void *)f);
	return 0;
}

int flame__write_folded(const struct flame *f, FILE *out)
{
	struct order o;
	uint32_t *path, *next;
	int sp, err;

	if (!f || !out)
		return -EINVAL;
	err = order_build(f, &o);
	if (err)
		return err;
	path = malloc((f->max_depth + 1) * sizeof(*path));
	next = malloc((f->max_depth + 1) * sizeof(*next));
	if (!path || !next) {
		err = -ENOMEM;
		goto out;
	}
	path[0] = 0;
	next[0] = o.start[0];
	sp = 1;
	while (sp) {
		uint32_t n = path[sp - 1], c;

		if (next[sp - 1] == o.start[n + 1]) {
			sp--;
			continue;
		}
		c = o.kids[next[sp - 1]++];
		path[sp] = c;
		next[sp] = o.start[c];
		sp++;
		if (!f->nodes[c].self)
			continue;
		for (int i = 1; i < sp; i++) {
			if (i > 1)
				fputc(';', out);
			fputs(name_of(f, path[i]), out);
		}
		fprintf(out, " %llu\n", f->nodes[c].self);
	}
	if (ferror(out))
		err = -EIO;
out:
	free(path);
	free(next);
	order_free(&o);
	return err;
}

/* One drawn frame: xv is its left edge in value units, gap the value of the undrawn
 * siblings just before it (the script needs both to place frames exactly when zooming). */
struct lrect {
	uint32_t node;
	int depth;
	unsigned long long xv, gap;
};

typedef int (*walk_fn)(const struct flame *f, const struct lrect *r, void *ctx);

/* Pre-order over the frames that are drawn: at least min_fraction of the total wide. */
static int walk(const struct flame *f, const struct order *o, double min_fraction,
		walk_fn fn, void *ctx)
{
	unsigned long long total = f->nodes[0].total, *xcur, *hidden;
	uint32_t *path, *next;
	struct lrect r = { 0 };
	int sp, err;

	if (!total)
		return 0;
	path = malloc((f->max_depth + 1) * sizeof(*path));
	next = malloc((f->max_depth + 1) * sizeof(*next));
	xcur = malloc((f->max_depth + 1) * sizeof(*xcur));
	hidden = malloc((f->max_depth + 1) * sizeof(*hidden));
	if (!path || !next || !xcur || !hidden) {
		err = -ENOMEM;
		goto out;
	}
	err = fn(f, &r, ctx);
	path[0] = 0;
	next[0] = o->start[0];
	xcur[0] = hidden[0] = 0;
	sp = 1;
	while (sp && !err) {
		uint32_t n = path[sp - 1], c;
		unsigned long long v;

		if (next[sp - 1] == o->start[n + 1]) {
			sp--;
			continue;
		}
		c = o->kids[next[sp - 1]++];
		v = f->nodes[c].total;
		if (!v || (double)v / (double)total < min_fraction) {
			xcur[sp - 1] += v;
			hidden[sp - 1] += v;
			continue;
		}
		r = (struct lrect){ .node = c, .depth = sp, .xv = xcur[sp - 1], .gap = hidden[sp - 1] };
		xcur[sp - 1] += v;
		hidden[sp - 1] = 0;
		path[sp] = c;
		next[sp] = o->start[c];
		xcur[sp] = r.xv;
		hidden[sp] = 0;
		sp++;
		err = fn(f, &r, ctx);
	}
out:
	free(path);
	free(next);
	free(xcur);
	free(hidden);
	return err;
}

/* The node of before that stands where an after node stands, from the parent's match. */
struct match {
	const struct flame *before;
	uint32_t *stack;             /* by depth */
};

static uint32_t match_rect(struct match *m, const struct flame *after, const struct lrect *r)
{
	uint32_t b = 0;

	if (r->depth > 0) {
		uint32_t pb = m->stack[r->depth - 1];

		b = pb == NONE ? NONE : path_find(m->before, pb, name_of(after, r->node));
	}
	m->stack[r->depth] = b;
	return b;
}

static double share(const struct flame *f, uint32_t n)
{
	return n == NONE || !f->nodes[0].total ? 0 : (double)f->nodes[n].total / f->nodes[0].total;
}

/* share(after, a) - share(before, b), exactly 0 when the shares are equal. */
static double share_delta(const struct flame *after, uint32_t a, const struct flame *before, uint32_t b)
{
	unsigned __int128 x, y;
	unsigned long long at = after->nodes[0].total, bt = before->nodes[0].total;

	if (b == NONE || !bt || !at)
		return share(after, a) - share(before, b);
	x = (unsigned __int128)after->nodes[a].total * bt;
	y = (unsigned __int128)before->nodes[b].total * at;
	return x >= y ? (double)(x - y) / ((double)at * bt) : -((double)(y - x) / ((double)at * bt));
}

struct user_walk {
	int (*cb)(const struct flame_rect *r, void *ctx);
	void *ctx;
	struct match m;
};

static int user_walk_fn(const struct flame *f, const struct lrect *r, void *ctx)
{
	struct user_walk *u = ctx;
	const struct node *n = &f->nodes[r->node];
	double total = f->nodes[0].total;
	struct flame_rect fr = {
		.name = name_of(f, r->node), .depth = r->depth,
		.x = r->xv / total, .w = n->total / total, .value = n->total, .self = n->self,
	};

	if (u->m.before)
		fr.delta = share_delta(f, r->node, u->m.before, match_rect(&u->m, f, r));
	return u->cb(&fr, u->ctx);
}

int flame__layout_diff(const struct flame *before, const struct flame *after, double min_fraction,
		       int (*cb)(const struct flame_rect *r, void *ctx), void *ctx)
{
	struct user_walk u = { .cb = cb, .ctx = ctx, .m.before = before };
	struct order o;
	int err;

	if (!after || !cb)
		return -EINVAL;
	err = order_build(after, &o);
	if (err)
		return err;
	if (before) {
		u.m.stack = malloc((after->max_depth + 1) * sizeof(*u.m.stack));
		if (!u.m.stack) {
			order_free(&o);
			return -ENOMEM;
		}
	}
	err = walk(after, &o, min_fraction, user_walk_fn, &u);
	free(u.m.stack);
	order_free(&o);
	return err;
}

int flame__layout(const struct flame *f, double min_fraction,
		  int (*cb)(const struct flame_rect *r, void *ctx), void *ctx)
{
	return flame__layout_diff(NULL, f, min_fraction, cb, ctx);
}

/* ---- SVG ---- */

#define PAD_X      10.0
#define FRAME_H    16                /* row pitch; rectangles are one pixel less */
#define LABEL_CW   6.6               /* advance of the 11px monospace label font */
#define LEGEND_CW  6.2               /* rough advance of the 11px legend font */

static unsigned int rgb_mix(unsigned int a, unsigned int b, double t)
{
	unsigned int r = 0;

	for (int sh = 16; sh >= 0; sh -= 8) {
		double ca = (a >> sh) & 0xff, cb = (b >> sh) & 0xff;

		r |= (unsigned int)lround(ca + (cb - ca) * t) << sh;
	}
	return r;
}

static unsigned int hsl_rgb(double h, double s, double l)
{
	double c = (1 - fabs(2 * l - 1)) * s, hp = h / 60, x = c * (1 - fabs(fmod(hp, 2) - 1));
	double m = l - c / 2, r = 0, g = 0, b = 0;

	if (hp < 1) { r = c; g = x; }
	else if (hp < 2) { r = x; g = c; }
	else if (hp < 3) { g = c; b = x; }
	else if (hp < 4) { g = x; b = c; }
	else if (hp < 5) { r = x; b = c; }
	else { r = c; b = x; }
	return (unsigned int)lround((r + m) * 255) << 16 | (unsigned int)lround((g + m) * 255) << 8 |
	       (unsigned int)lround((b + m) * 255);
}

static unsigned int hot_rgb(const char *name)
{
	uint64_t h = hash_u64(hash_str(name));

	/* red through orange to amber: hue 4..46, saturation 72..90%, lightness 55..66% */
	return hsl_rgb(4 + 42 * ((h & 0xffff) / 65535.0), 0.72 + 0.18 * (((h >> 16) & 0xffff) / 65535.0),
		       0.55 + 0.11 * (((h >> 32) & 0xffff) / 65535.0));
}

/* Indexed by enum ct_reason; the last entry is for roots that are not a reason. */
static const unsigned int reason_rgb[CT_R_MAX + 1] = {
	[CT_R_LOCK] = 0x7b8ce0, [CT_R_GIL] = 0x9b7fd4, [CT_R_GIL_HANDOFF] = 0xcfa0e6,
	[CT_R_IO] = 0x5aa6ee, [CT_R_POLL] = 0x8fd3f5, [CT_R_SLEEP] = 0x7fcfd0,
	[CT_R_CHILD] = 0xb9b3ea, [CT_R_PREEMPTED] = 0xd893c8, [CT_R_OTHER] = 0x9fb0c8,
	[CT_R_MAX] = 0xc4c4c4,
};

static int reason_index(const char *root)
{
	int r = reason_from_name(root);

	return r < 0 || r >= CT_R_MAX ? CT_R_MAX : r;
}

static unsigned int reason_frame_rgb(unsigned int base, const char *name, int depth)
{
	double t = (hash_str(name) % 1000) / 999.0 * 0.24 - 0.12;

	if (depth <= 1)
		return base;
	return t >= 0 ? rgb_mix(base, 0xffffff, t) : rgb_mix(base, 0x000000, -t * 0.6);
}

#define DIFF_NEUTRAL 0xebebeb
#define DIFF_RED     0xf04a3c
#define DIFF_BLUE    0x4a7ae8

unsigned int flame__diff_rgb(double delta, double max_abs_delta)
{
	double t = max_abs_delta > 0 ? fabs(delta) / max_abs_delta : 0;

	if (delta == 0 || !(t > 0))
		return DIFF_NEUTRAL;
	if (t > 1)
		t = 1;
	/* the faintest change still shows its direction */
	return rgb_mix(DIFF_NEUTRAL, delta > 0 ? DIFF_RED : DIFF_BLUE, 0.08 + 0.92 * t);
}

/* The next code point of s and its length; invalid UTF-8 and characters XML forbids
 * come back as U+FFFD, one byte at a time. */
static int utf8_next(const unsigned char *s, uint32_t *cp)
{
	size_t len = utf8_decode(s, 4, cp);

	if (!len || (*cp < 0x20 && *cp != '\t') || *cp == 0xfffe || *cp == 0xffff) {
		*cp = 0xfffd;
		return 1;
	}
	return (int)len;
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	uint32_t cp;

	while (*s) {
		s += utf8_next((const unsigned char *)s, &cp);
		n++;
	}
	return n;
}

/* Write at most max characters of s, escaped for XML text and attribute values. */
static void xml_putn(FILE *out, const char *s, size_t max)
{
	uint32_t cp;

	for (size_t n = 0; *s && n < max; n++) {
		int len = utf8_next((const unsigned char *)s, &cp);

		switch (cp) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		case 0xfffd:
			if (len == 1) {
				fputs("\xef\xbf\xbd", out);
				break;
			}
			/* fallthrough */
		default:
			fwrite(s, 1, len, out);
		}
		s += len;
	}
}

static void xml_put(FILE *out, const char *s)
{
	xml_putn(out, s, SIZE_MAX);
}

/* A coordinate with at most two decimals and no trailing zeros. */
static void put_num(FILE *out, double v)
{
	char buf[32];
	size_t n = (size_t)snprintf(buf, sizeof(buf), "%.2f", v);

	while (n > 1 && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 1 && buf[n - 1] == '.')
		buf[--n] = '\0';
	fputs(strcmp(buf, "-0") ? buf : "0", out);
}

static const char *fmt_count(unsigned long long v, char *buf, size_t len)
{
	char digits[32];
	int n = snprintf(digits, sizeof(digits), "%llu", v), o = 0;

	for (int i = 0; i < n && o + 2 < (int)len; i++) {
		if (i && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
	return buf;
}

/* "1,234 samples", "3.41ms" */
static const char *fmt_value(unsigned long long v, const char *unit, char *buf, size_t len)
{
	char num[40];

	if (strcmp(unit, "ns") == 0)
		return fmt_ns(v, buf, len);
	if (v == 1 && strcmp(unit, "samples") == 0)
		unit = "sample";
	snprintf(buf, len, "%s %s", fmt_count(v, num, sizeof(num)), unit);
	return buf;
}

/* Everything the SVG writer works from. */
struct svg {
	const struct flame *f, *before;  /* before: differential graphs only */
	struct flame_opts o;
	FILE *out;
	struct order ord, bord;
	struct lrect *rects;
	size_t nrects, cap;
	uint32_t *bnode;                 /* per rect, the matching node of before */
	double *delta;
	double max_delta;
	int max_depth;
	double y0;                       /* y of the depth-0 row */
	double scale;                    /* pixels per unit of value */
	unsigned long long reason_total[CT_R_MAX + 1];
};

static int collect(const struct flame *f, const struct lrect *r, void *ctx)
{
	struct svg *s = ctx;

	if (s->nrects == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		struct lrect *p = realloc(s->rects, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		s->rects = p;
		s->cap = cap;
	}
	s->rects[s->nrects++] = *r;
	if (r->depth > s->max_depth)
		s->max_depth = r->depth;
	return 0;
}

static void put_value_line(struct svg *s, const char *label, const struct flame *f, uint32_t n)
{
	char buf[64];
	double total = f->nodes[0].total;

	if (n == NONE) {
		fprintf(s->out, "&#10;%s: none", label);
		return;
	}
	fprintf(s->out, "&#10;%s%s%s, %.2f%%", label, *label ? ": " : "",
		fmt_value(f->nodes[n].total, s->o.unit, buf, sizeof(buf)),
		total ? 100.0 * f->nodes[n].total / total : 0);
}

/* Children of b's node in before with no counterpart under a's node in after. */
static void put_removed(struct svg *s, uint32_t a, uint32_t b)
{
	const struct flame *bf = s->before;
	int shown = 0, more = 0;

	for (uint32_t k = s->bord.start[b]; k < s->bord.start[b + 1]; k++) {
		uint32_t c = s->bord.kids[k];

		if (path_find(s->f, a, name_of(bf, c)) != NONE)
			continue;
		if (shown == 5) {
			more++;
			continue;
		}
		fputs(shown ? ", " : "&#10;removed: ", s->out);
		xml_putn(s->out, name_of(bf, c), 60);
		fprintf(s->out, " (%.2f%%)", 100 * share(bf, c));
		shown++;
	}
	if (more)
		fprintf(s->out, ", %d more", more);
}

static unsigned int frame_rgb(struct svg *s, size_t i, int *reason)
{
	const struct lrect *r = &s->rects[i];
	const char *name = name_of(s->f, r->node);

	switch (s->o.palette) {
	case FLAME_DIFF:
		return flame__diff_rgb(s->delta[i], s->max_delta);
	case FLAME_OFFCPU_REASON:
		if (r->depth == 0)
			return 0xd4d4dc;
		if (r->depth == 1)
			*reason = reason_index(name);
		return reason_frame_rgb(reason_rgb[*reason], name, r->depth);
	default:
		return hot_rgb(name);
	}
}

static void put_frames(struct svg *s)
{
	const struct flame *f = s->f;
	int reason = CT_R_MAX;

	for (size_t i = 0; i < s->nrects; i++) {
		const struct lrect *r = &s->rects[i];
		const struct node *n = &f->nodes[r->node];
		const char *name = name_of(f, r->node);
		double x = PAD_X + r->xv * s->scale, w = n->total * s->scale;
		double y = s->y0 - r->depth * FRAME_H;
		long fit = lround(floor((w - 6) / LABEL_CW));
		size_t len = utf8_chars(name);

		fprintf(s->out, "<g class=\"f\" data-v=\"%llu\"", n->total);
		if (r->gap)
			fprintf(s->out, " data-g=\"%llu\"", r->gap);
		fputs("><title>", s->out);
		xml_put(s->out, name);
		if (s->before) {
			put_value_line(s, "after", f, r->node);
			put_value_line(s, "before", s->before, s->bnode[i]);
			fprintf(s->out, "&#10;change: %+.2f points of the total%s",
				100 * s->delta[i], s->bnode[i] == NONE ? " (new)" : "");
			if (s->bnode[i] != NONE)
				put_removed(s, r->node, s->bnode[i]);
		} else {
			put_value_line(s, "", f, r->node);
		}
		fputs("</title><rect x=\"", s->out);
		put_num(s->out, x);
		fprintf(s->out, "\" y=\"%.10g\" width=\"", y);
		put_num(s->out, w);
		fprintf(s->out, "\" height=\"%d\" fill=\"#%06x\"/><text x=\"", FRAME_H - 1,
			frame_rgb(s, i, &reason));
		put_num(s->out, x + 3);
		fprintf(s->out, "\" y=\"%.10g\">", y + 11);
		if (fit >= (long)len) {
			xml_put(s->out, name);
		} else if (fit >= 3) {
			xml_putn(s->out, name, fit - 2);
			fputs("..", s->out);
		}
		fputs("</text></g>\n", s->out);
	}
}

struct legend_item {
	unsigned int rgb;
	char label[128];
};

static int legend_items(struct svg *s, struct legend_item *items)
{
	int n = 0;

	if (s->o.palette == FLAME_DIFF) {
		items[n++] = (struct legend_item){ DIFF_RED, "grew" };
		items[n++] = (struct legend_item){ DIFF_BLUE, "shrank" };
		items[n++] = (struct legend_item){ DIFF_NEUTRAL, "unchanged" };
		snprintf(items[n++].label, sizeof(items[0].label),
			 "colour: change in share of the total, full at %.2f points; width: after",
			 100 * s->max_delta);
		items[n - 1].rgb = NONE;
		return n;
	}
	if (s->o.palette != FLAME_OFFCPU_REASON)
		return 0;
	for (int r = 0; r <= CT_R_MAX; r++) {
		if (!s->reason_total[r])
			continue;
		items[n].rgb = reason_rgb[r];
		snprintf(items[n].label, sizeof(items[n].label), "%s %.1f%%",
			 r < CT_R_MAX ? reason_name(r) : "not a reason",
			 100.0 * s->reason_total[r] / s->f->nodes[0].total);
		n++;
	}
	return n;
}

/* Lay the legend out in rows; returns the number of rows, draws only if out is set. */
static int put_legend(struct svg *s, const struct legend_item *items, int n, double y, FILE *out)
{
	double x = PAD_X, right = s->o.width_px - PAD_X;
	int rows = n ? 1 : 0;

	for (int i = 0; i < n; i++) {
		double w = (items[i].rgb == NONE ? 0 : 16) + strlen(items[i].label) * LEGEND_CW + 18;

		if (x + w > right && x > PAD_X) {
			x = PAD_X;
			y += 18;
			rows++;
		}
		if (out && items[i].rgb != NONE) {
			fprintf(out, "<rect class=\"sw\" x=\"%.10g\" y=\"%.10g\" width=\"12\" height=\"12\" "
				"fill=\"#%06x\"/>\n", x, y - 10, items[i].rgb);
		}
		if (out) {
			fprintf(out, "<text class=\"lg\" x=\"%.10g\" y=\"%.10g\">",
				x + (items[i].rgb == NONE ? 0 : 16), y);
			xml_put(out, items[i].label);
			fputs("</text>\n", out);
		}
		x += w;
	}
	return rows;
}

static const char svg_script[] =
"(function(){\n"
"var s=document.currentScript,svg=s&&s.parentNode&&s.parentNode.getAttribute&&"
"s.parentNode.getAttribute('id')===C.id?s.parentNode:document.getElementById(C.id);\n"
"if(!svg)return;\n"
"var gs=svg.querySelectorAll('g.f'),n=gs.length,V=[],X=[],PA=[],END=[],NM=[],R=[],T=[],"
"acc=[],st=[],Z=0,term=null,cw=6.6;\n"
"function q(c){return svg.querySelector('.'+c);}\n"
"var reset=q('reset'),sbtn=q('search'),mt=q('matched'),sb=q('status'),hint=sb?sb.textContent:'';\n"
"for(var i=0;i<n;i++){var g=gs[i],r=g.querySelector('rect'),d=Math.round((C.Y0-r.getAttribute('y'))/C.FH),"
"gap=+(g.getAttribute('data-g')||0),p=d>0?st[d-1]:-1;\n"
" g._fi=i;V[i]=+g.getAttribute('data-v');st[d]=i;PA[i]=p;acc[i]=0;END[i]=i;R[i]=r;T[i]=g.querySelector('text');\n"
" NM[i]=g.querySelector('title').textContent.split('\\n')[0];\n"
" if(p<0)X[i]=0;else{X[i]=X[p]+acc[p]+gap;acc[p]+=gap+V[i];}}\n"
"for(i=n-1;i>0;i--)if(END[PA[i]]<END[i])END[PA[i]]=END[i];\n"
"function pct(v){return(100*v).toFixed(2)+'%';}\n"
"function fit(nm,w){var a=Array.from(nm),m=Math.floor((w-6)/cw);"
"return a.length<=m?nm:m<3?'':a.slice(0,m-2).join('')+'..';}\n"
"function place(i,x,w){R[i].setAttribute('x',x.toFixed(2));R[i].setAttribute('width',w.toFixed(2));"
"T[i].setAttribute('x',(x+3).toFixed(2));var l=fit(NM[i],w);if(T[i].textContent!==l)T[i].textContent=l;}\n"
"function zoom(z){if(!n)return;Z=z;var anc={},sc=(C.W-2*C.P)/V[z],full=C.W-2*C.P;\n"
" for(var a=PA[z];a>=0;a=PA[a])anc[a]=1;\n"
" for(var i=0;i<n;i++){var c=gs[i].classList;\n"
"  if(i>=z&&i<=END[z]){c.remove('h');c.remove('dim');place(i,C.P+(X[i]-X[z])*sc,V[i]*sc);}\n"
"  else if(anc[i]){c.remove('h');c.add('dim');place(i,C.P,full);}\n"
"  else c.add('h');}\n"
" if(reset)reset.classList.toggle('h',z===0);}\n"
"function search(t){term=t||null;var sum=0,end=-1,re=null;\n"
" if(term){try{re=new RegExp(term);}catch(e){re=null;}}\n"
" for(var i=0;i<n;i++){var hit=!!term&&i>0&&(re?re.test(NM[i]):NM[i].indexOf(term)>=0);\n"
"  gs[i].classList.toggle('m',hit);if(hit&&i>end){sum+=V[i];end=END[i];}}\n"
" if(mt)mt.textContent=term&&n?'Matched: '+pct(sum/V[0]):'';\n"
" if(sbtn)sbtn.textContent=term?'Clear search':'Search';}\n"
"function ask(){if(term){search(null);return;}\n"
" var t=window.prompt('Search frames (regular expression or text)','');if(t)search(t);}\n"
"function frame(e){var g=e.target.closest?e.target.closest('g.f'):null;"
"return g&&svg.contains(g)?g._fi:-1;}\n"
"svg.addEventListener('click',function(e){var i=frame(e);if(i>=0)zoom(i===Z?0:i);});\n"
"svg.addEventListener('mouseover',function(e){var i=frame(e);if(i<0||!sb)return;\n"
" var t=gs[i].querySelector('title').textContent.split('\\n').join('  \\u00b7  ');\n"
" if(Z>0&&i>Z&&i<=END[Z])t+='  \\u00b7  '+pct(V[i]/V[Z])+' of '+NM[Z];\n"
" var m=Math.floor((C.W-2*C.P-150)/6.5);if(t.length>m)t=t.slice(0,m-2)+'..';sb.textContent=t;});\n"
"svg.addEventListener('mouseout',function(e){if(sb&&frame(e)>=0)sb.textContent=hint;});\n"
"if(reset)reset.addEventListener('click',function(){zoom(0);});\n"
"if(sbtn)sbtn.addEventListener('click',ask);\n"
"if(document.documentElement===svg)window.addEventListener('keydown',function(e){\n"
" if((e.ctrlKey||e.metaKey)&&e.key==='f'){e.preventDefault();ask();}\n"
" else if(e.key==='Escape'){zoom(0);search(null);}});\n"
"if(n&&T[0]){var t=document.createElementNS('http://www.w3.org/2000/svg','text');"
"t.textContent='abcdefghijklmnopqrst';gs[0].appendChild(t);\n"
" try{var L=t.getComputedTextLength();if(L>0)cw=L/20;}catch(e){}gs[0].removeChild(t);\n"
" if(Math.abs(cw-6.6)>0.2)zoom(0);}\n"
"})();\n";

static void put_style(struct svg *s, const char *id)
{
	static const char *const highlight[] = {
		[FLAME_HOT] = "#d63cf0", [FLAME_OFFCPU_REASON] = "#ffb000", [FLAME_DIFF] = "#35c24a",
	};

	fprintf(s->out, "<style type=\"text/css\"><![CDATA[\n"
		"#%1$s text{font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\","
		"Arial,sans-serif;font-size:12px;fill:#333}\n"
		"#%1$s .title{font-size:17px;font-weight:600;fill:#111}\n"
		"#%1$s .subtitle{fill:#666}\n"
		"#%1$s .lg{font-size:11px;fill:#444}\n"
		"#%1$s .sw{stroke:#0003;stroke-width:1}\n"
		"#%1$s .f{cursor:pointer}\n"
		"#%1$s .f text{font-family:\"DejaVu Sans Mono\",Menlo,Consolas,\"Liberation Mono\","
		"monospace;font-size:11px;fill:#1a1a1a;pointer-events:none}\n"
		"#%1$s .f:hover>rect{stroke:#222;stroke-width:.8}\n"
		"#%1$s .dim>rect{fill-opacity:.45}\n"
		"#%1$s .m>rect{fill:%2$s}\n"
		"#%1$s .h{display:none}\n"
		"#%1$s .ctl{fill:#1a5fb4;cursor:pointer}\n"
		"#%1$s .ctl:hover{text-decoration:underline}\n"
		"#%1$s .status{fill:#444}\n"
		"]]></style>\n", id, highlight[s->o.palette]);
}

static int svg_render(struct svg *s)
{
	const struct flame *f = s->f;
	struct legend_item items[CT_R_MAX + 2];
	char id[80], buf[64];
	double top, height, right = s->o.width_px - PAD_X, frames_h;
	int nitems, rows, err;

	snprintf(id, sizeof(id), "%ssvg", s->o.id_prefix);
	err = order_build(f, &s->ord);
	if (err)
		return err;
	s->max_depth = -1;
	s->scale = f->nodes[0].total ? (s->o.width_px - 2 * PAD_X) / (double)f->nodes[0].total : 0;
	err = walk(f, &s->ord, s->o.min_width_px / (s->o.width_px - 2 * PAD_X), collect, s);
	if (err)
		return err;
	if (s->before) {
		struct match m = { .before = s->before };

		err = order_build(s->before, &s->bord);
		if (err)
			return err;
		m.stack = malloc((f->max_depth + 1) * sizeof(*m.stack));
		s->bnode = malloc((s->nrects + 1) * sizeof(*s->bnode));
		s->delta = malloc((s->nrects + 1) * sizeof(*s->delta));
		if (!m.stack || !s->bnode || !s->delta) {
			free(m.stack);
			return -ENOMEM;
		}
		for (size_t i = 0; i < s->nrects; i++) {
			s->bnode[i] = match_rect(&m, f, &s->rects[i]);
			s->delta[i] = share_delta(f, s->rects[i].node, s->before, s->bnode[i]);
			if (fabs(s->delta[i]) > s->max_delta)
				s->max_delta = fabs(s->delta[i]);
		}
		free(m.stack);
	}
	for (uint32_t k = s->ord.start[0]; k < s->ord.start[1]; k++)
		s->reason_total[reason_index(name_of(f, s->ord.kids[k]))] += f->nodes[s->ord.kids[k]].total;

	nitems = legend_items(s, items);
	top = s->o.subtitle ? 62 : 46;
	rows = put_legend(s, items, nitems, top + 4, NULL);
	frames_h = s->max_depth >= 0 ? (s->max_depth + 1) * FRAME_H : 40;
	top += rows * 18 + 4;
	s->y0 = top + frames_h - FRAME_H;
	height = top + frames_h + 30;

	fprintf(s->out, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" id=\"%s\" "
		"class=\"conctrace-flame\" width=\"%d\" height=\"%.10g\" viewBox=\"0 0 %d %.10g\" "
		"font-family=\"sans-serif\">\n<title>", id, s->o.width_px, height, s->o.width_px, height);
	/* The document's own title comes first: without it a browser looks for one each time
	 * a frame's <title> arrives, which is quadratic in the number of frames. */
	xml_put(s->out, s->o.title);
	fputs("</title>\n", s->out);
	put_style(s, id);
	fprintf(s->out, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%.10g\" fill=\"#fdfdfd\"/>\n",
		s->o.width_px, height);
	fprintf(s->out, "<text class=\"title\" x=\"%.10g\" y=\"28\" text-anchor=\"middle\">",
		s->o.width_px / 2.0);
	xml_put(s->out, s->o.title);
	fputs("</text>\n", s->out);
	if (s->o.subtitle) {
		fprintf(s->out, "<text class=\"subtitle\" x=\"%.10g\" y=\"47\" text-anchor=\"middle\">",
			s->o.width_px / 2.0);
		xml_put(s->out, s->o.subtitle);
		fputs("</text>\n", s->out);
	}
	fprintf(s->out, "<text class=\"ctl reset h\" x=\"%.10g\" y=\"28\">Reset zoom</text>\n"
		"<text class=\"ctl search\" x=\"%.10g\" y=\"28\" text-anchor=\"end\">Search</text>\n",
		PAD_X, right);
	put_legend(s, items, nitems, (s->o.subtitle ? 62 : 46) + 4, s->out);
	if (s->max_depth < 0)
		fprintf(s->out, "<text x=\"%.10g\" y=\"%.10g\" text-anchor=\"middle\">No samples</text>\n",
			s->o.width_px / 2.0, top + 24);
	put_frames(s);
	fprintf(s->out, "<text class=\"status\" x=\"%.10g\" y=\"%.10g\">", PAD_X, top + frames_h + 20);
	if (s->max_depth >= 0)
		fprintf(s->out, "Total %s. Hover for details, click to zoom.",
			fmt_value(f->nodes[0].total, s->o.unit, buf, sizeof(buf)));
	fprintf(s->out, "</text>\n<text class=\"matched\" x=\"%.10g\" y=\"%.10g\" text-anchor=\"end\"></text>\n",
		right, top + frames_h + 20);
	fprintf(s->out, "<script type=\"text/ecmascript\"><![CDATA[\n"
		"var C={id:\"%s\",W:%d,P:%.10g,FH:%d,Y0:%.10g};\n", id, s->o.width_px, PAD_X, FRAME_H, s->y0);
	fputs(svg_script, s->out);
	fputs("]]></script>\n</svg>\n", s->out);
	fflush(s->out);
	return ferror(s->out) ? -EIO : 0;
}

static int valid_prefix(const char *p)
{
	if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) || strlen(p) > 64)
		return 0;
	return strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == strlen(p);
}

static int svg_write(const struct flame *before, const struct flame *f,
		     const struct flame_opts *o, FILE *out)
{
	struct svg s = { .f = f, .before = before, .out = out };
	int err;

	if (!f || !out)
		return -EINVAL;
	if (o)
		s.o = *o;
	if (before)
		s.o.palette = FLAME_DIFF;
	else if ((unsigned int)s.o.palette >= FLAME_DIFF)
		return -EINVAL;
	if (!s.o.title)
		s.o.title = before ? "Differential Flame Graph" : "Flame Graph";
	if (!s.o.unit || !*s.o.unit)
		s.o.unit = "samples";
	if (!(s.o.min_width_px > 0))
		s.o.min_width_px = 0.1;
	if (s.o.width_px <= 0)
		s.o.width_px = 1200;
	if (!s.o.id_prefix)
		s.o.id_prefix = "flame-";
	if (s.o.width_px < 200 || s.o.width_px > 100000 || !valid_prefix(s.o.id_prefix))
		return -EINVAL;
	err = svg_render(&s);
	order_free(&s.ord);
	if (before)
		order_free(&s.bord);
	free(s.rects);
	free(s.bnode);
	free(s.delta);
	return err;
}

int flame__write_svg(const struct flame *f, const struct flame_opts *o, FILE *out)
{
	return svg_write(NULL, f, o, out);
}

int flame__write_diff_svg(const struct flame *before, const struct flame *after,
			  const struct flame_opts *o, FILE *out)
{
	if (!before)
		return -EINVAL;
	return svg_write(before, after, o, out);
}
