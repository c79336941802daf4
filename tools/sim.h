/*
 * The simulator's virtual time: a binary heap of events ordered by time,
 * then by insertion (so that equal times keep their order and a run is
 * reproducible from its seed), and a seeded random source.
 *
 * Ownership: the heap owns its array; an event's payload pointer belongs
 * to the caller, who frees it after popping.
 */
#ifndef TOOLS_SIM_H
#define TOOLS_SIM_H

#include <stddef.h>
#include <stdint.h>

struct sim_event {
	int64_t at_us;
	uint64_t order;
	int kind;
	uint32_t dst;
	uint32_t src;
	int64_t arg;
	uint8_t *data;
	size_t len;
};

struct sim_heap {
	struct sim_event *v;
	size_t n;
	size_t cap;
	uint64_t order;
};

void sim_heap_push(struct sim_heap *h, const struct sim_event *ev);
/* 0 when empty */
int sim_heap_pop(struct sim_heap *h, struct sim_event *ret);
void sim_heap_done(struct sim_heap *h);

struct sim_rng {
	uint64_t s;
};

uint64_t sim_rand(struct sim_rng *r);
/* [0, 1) */
double sim_uniform(struct sim_rng *r);
double sim_exponential(struct sim_rng *r, double mean);

#endif
