/*
 * map: an open-addressing hash map from uint64_t keys to pointers, for
 * the lookups the sampler does every cycle (pid -> process member,
 * socket inode -> owner, socket cookie -> counters).  Linear probing with
 * backward-shift deletion, so no tombstones accumulate in a map that
 * sees thousands of insertions and removals a day.
 *
 * Ownership: the map owns its slots, never the values.
 */
#ifndef STATS_MAP_H
#define STATS_MAP_H

#include <stddef.h>
#include <stdint.h>

struct stats_map {
	struct stats_map_slot *slots;
	size_t cap; /* power of two, or 0 */
	size_t len;
};

struct stats_map_slot {
	uint64_t key;
	void *value; /* NULL = empty slot */
};

#define STATS_MAP_INIT                                                         \
	{                                                                      \
		NULL, 0, 0                                                     \
	}

/* VALUE must not be NULL.  Replaces an existing value. */
void stats_map_put(struct stats_map *m, uint64_t key, void *value);
void *stats_map_get(const struct stats_map *m, uint64_t key);
/* Returns the removed value or NULL. */
void *stats_map_del(struct stats_map *m, uint64_t key);
void stats_map_done(struct stats_map *m);
/* 64-bit FNV-1a of a string, for string keys. */
uint64_t stats_map_hash_str(const char *s);

#endif
