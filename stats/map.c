/*
 * map: uint64_t -> pointer hash map with linear probing.  See map.h.
 */
#include "stats/map.h"

#include <stdlib.h>

#include "core/util.h"

static size_t
slot_of(uint64_t key, size_t cap)
{
	/* Fibonacci hashing spreads pids and inodes, which are sequential */
	return (size_t)((key * 0x9e3779b97f4a7c15ull) >> 17) & (cap - 1);
}

static void
grow(struct stats_map *m)
{
	struct stats_map_slot *old = m->slots;
	size_t oldcap = m->cap, i;

	m->cap = oldcap ? oldcap * 2 : 64;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	m->len = 0;
	for (i = 0; i < oldcap; i++)
		if (old[i].value != NULL)
			stats_map_put(m, old[i].key, old[i].value);
	free(old);
}

void
stats_map_put(struct stats_map *m, uint64_t key, void *value)
{
	size_t i;

	if ((m->len + 1) * 4 > m->cap * 3)
		grow(m);
	for (i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (m->slots[i].value == NULL) {
			m->slots[i] = (struct stats_map_slot){key, value};
			m->len++;
			return;
		}
		if (m->slots[i].key == key) {
			m->slots[i].value = value;
			return;
		}
	}
}

void *
stats_map_get(const struct stats_map *m, uint64_t key)
{
	size_t i;

	if (m->cap == 0)
		return NULL;
	for (i = slot_of(key, m->cap); m->slots[i].value != NULL;
	     i = (i + 1) & (m->cap - 1))
		if (m->slots[i].key == key)
			return m->slots[i].value;
	return NULL;
}

void *
stats_map_del(struct stats_map *m, uint64_t key)
{
	size_t i, j, k, mask = m->cap - 1;
	void *value;

	if (m->cap == 0)
		return NULL;
	for (i = slot_of(key, m->cap);; i = (i + 1) & mask) {
		if (m->slots[i].value == NULL)
			return NULL;
		if (m->slots[i].key == key)
			break;
	}
	value = m->slots[i].value;
	/* shift back the entries that probed past the hole */
	for (j = (i + 1) & mask; m->slots[j].value != NULL;
	     j = (j + 1) & mask) {
		k = slot_of(m->slots[j].key, m->cap);
		if ((j > i && (k <= i || k > j)) ||
		    (j < i && k <= i && k > j)) {
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	m->slots[i] = (struct stats_map_slot){0, NULL};
	m->len--;
	return value;
}

void
stats_map_done(struct stats_map *m)
{
	free(m->slots);
	*m = (struct stats_map)STATS_MAP_INIT;
}

uint64_t
stats_map_hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}
