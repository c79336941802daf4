/*
 * rules/arena: the allocator behind a loaded struct rules, and a small
 * string hash table.
 *
 * A rules object is thousands of small strings and arrays that are never
 * freed one by one: they all die together at rules_free() or at the end
 * of a load.  Bump allocation out of 64 KiB chunks makes loading fast and
 * freeing a loop over chunks, and it cannot leak half-built records on an
 * error path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "rules/rules-int.h"

#define CHUNK_SIZE (64u * 1024)

struct arena_chunk {
	struct arena_chunk *next;
	size_t size;
	max_align_t data[];
};

void *
arena_alloc(struct arena *a, size_t n)
{
	struct arena_chunk *c;
	void *p;
	size_t need = (n + 15) & ~(size_t)15;

	if (need < n)
		abort();
	if (need > a->left) {
		size_t size = need > CHUNK_SIZE / 4 ? need : CHUNK_SIZE;

		c = xmalloc(sizeof(*c) + size);
		c->size = size;
		if (size == CHUNK_SIZE || a->head == NULL) {
			c->next = a->head;
			a->head = c;
			a->cur = (char *)c->data;
			a->left = size;
		} else {
			/* a big block: keep the current chunk for small ones */
			c->next = a->head->next;
			a->head->next = c;
			memset(c->data, 0, need);
			return c->data;
		}
	}
	p = a->cur;
	a->cur += need;
	a->left -= need;
	memset(p, 0, n);
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return s == NULL ? NULL : arena_strndup(a, s, strlen(s));
}

char *
arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	char small[256], *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	p = arena_alloc(a, (size_t)n + 1);
	if ((size_t)n < sizeof(small)) {
		memcpy(p, small, (size_t)n + 1);
	} else {
		va_start(ap, fmt);
		vsnprintf(p, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	return p;
}

void
arena_done(struct arena *a)
{
	struct arena_chunk *c, *next;

	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	a->head = NULL;
	a->cur = NULL;
	a->left = 0;
}

void *
strmap_get(const struct strmap *m, const char *key)
{
	size_t i;

	if (m->cap == 0)
		return NULL;
	for (i = util_hash_str(key) & (m->cap - 1); m->keys[i] != NULL;
	     i = (i + 1) & (m->cap - 1))
		if (strcmp(m->keys[i], key) == 0)
			return m->vals[i];
	return NULL;
}

static void
strmap_grow(struct strmap *m)
{
	struct strmap old = *m;
	size_t i, j;

	m->cap = old.cap ? old.cap * 2 : 16;
	m->keys = xcalloc(m->cap, sizeof(*m->keys));
	m->vals = xcalloc(m->cap, sizeof(*m->vals));
	for (i = 0; i < old.cap; i++) {
		if (old.keys[i] == NULL)
			continue;
		for (j = util_hash_str(old.keys[i]) & (m->cap - 1);
		     m->keys[j] != NULL; j = (j + 1) & (m->cap - 1))
			;
		m->keys[j] = old.keys[i];
		m->vals[j] = old.vals[i];
	}
	free(old.keys);
	free(old.vals);
}

void *
strmap_put(struct strmap *m, const char *key, void *val)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap)
		strmap_grow(m);
	for (i = util_hash_str(key) & (m->cap - 1); m->keys[i] != NULL;
	     i = (i + 1) & (m->cap - 1))
		if (strcmp(m->keys[i], key) == 0)
			return m->vals[i];
	m->keys[i] = key;
	m->vals[i] = val;
	m->n++;
	return NULL;
}

void
strmap_done(struct strmap *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}
