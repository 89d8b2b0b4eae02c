/* Open addressing with linear probing, kept at most half full. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "strmap.h"
#include "util.h"

struct strmap_slot {
	char *key;                   /* NULL: empty */
	uint64_t hash;
	long val;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;   /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h ^ (h >> 29);
}

static struct strmap_slot *find(const struct strmap *m, const char *key, uint64_t h)
{
	size_t i = h & m->mask;

	while (m->slot[i].key && (m->slot[i].hash != h || strcmp(m->slot[i].key, key)))
		i = (i + 1) & m->mask;
	return &m->slot[i];
}

long *strmap_get(const struct strmap *m, const char *key)
{
	struct strmap_slot *s;

	if (!m->slot)
		return NULL;
	s = find(m, key, hash_str(key));
	return s->key ? &s->val : NULL;
}

static void grow(struct strmap *m)
{
	struct strmap g = { .mask = m->slot ? 2 * m->mask + 1 : 63 };

	g.slot = xcalloc(g.mask + 1, sizeof(*g.slot));
	for (size_t i = 0; m->slot && i <= m->mask; i++)
		if (m->slot[i].key)
			*find(&g, m->slot[i].key, m->slot[i].hash) = m->slot[i];
	g.n = m->n;
	free(m->slot);
	*m = g;
}

long *strmap_put(struct strmap *m, const char *key, long val, bool *added)
{
	uint64_t h = hash_str(key);
	struct strmap_slot *s;

	if (!m->slot || 2 * (m->n + 1) > m->mask + 1)
		grow(m);
	s = find(m, key, h);
	*added = !s->key;
	if (*added) {
		s->key = xstrdup(key);
		s->hash = h;
		s->val = val;
		m->n++;
	}
	return &s->val;
}

void strmap_free(struct strmap *m)
{
	for (size_t i = 0; m->slot && i <= m->mask; i++)
		free(m->slot[i].key);
	free(m->slot);
	*m = (struct strmap){ 0 };
}
