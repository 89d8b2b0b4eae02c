/* A hash map from strings to a number, for the checks that must stay linear in the size of
 * what untrusted input gives (duplicate keys of a spec, names seen once). Keys are copied. */
#ifndef CT_STRMAP_H
#define CT_STRMAP_H
#include <stdbool.h>
#include <stddef.h>

struct strmap_slot;

struct strmap {
	struct strmap_slot *slot;
	size_t mask;                 /* slots - 1; no table until the first insertion */
	size_t n;
};

/* The value stored under key, or NULL. */
long *strmap_get(const struct strmap *m, const char *key);
/* Insert key with val unless present. Returns the value slot (the existing one when *added
 * is false). */
long *strmap_put(struct strmap *m, const char *key, long val, bool *added);
void strmap_free(struct strmap *m);

#endif
