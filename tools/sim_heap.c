/*
 * Event heap and random source of the simulator.  See sim.h.
 */
#include "tools/sim.h"

#include <math.h>
#include <stdlib.h>

#include "core/util.h"

static int
before(const struct sim_event *a, const struct sim_event *b)
{
	return a->at_us < b->at_us ||
	       (a->at_us == b->at_us && a->order < b->order);
}

void
sim_heap_push(struct sim_heap *h, const struct sim_event *ev)
{
	size_t i;

	if (h->n == h->cap) {
		h->cap = MAX(1024, 2 * h->cap);
		h->v = xreallocarray(h->v, h->cap, sizeof(*h->v));
	}
	i = h->n++;
	h->v[i] = *ev;
	h->v[i].order = h->order++;
	while (i > 0 && before(&h->v[i], &h->v[(i - 1) / 2])) {
		struct sim_event t = h->v[i];

		h->v[i] = h->v[(i - 1) / 2];
		h->v[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

int
sim_heap_pop(struct sim_heap *h, struct sim_event *ret)
{
	size_t i = 0;

	if (h->n == 0)
		return 0;
	*ret = h->v[0];
	h->v[0] = h->v[--h->n];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct sim_event t;

		if (l < h->n && before(&h->v[l], &h->v[m]))
			m = l;
		if (r < h->n && before(&h->v[r], &h->v[m]))
			m = r;
		if (m == i)
			break;
		t = h->v[i];
		h->v[i] = h->v[m];
		h->v[m] = t;
		i = m;
	}
	return 1;
}

void
sim_heap_done(struct sim_heap *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		free(h->v[i].data);
	free(h->v);
	*h = (struct sim_heap){0};
}

uint64_t
sim_rand(struct sim_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

double
sim_uniform(struct sim_rng *r)
{
	return (double)(sim_rand(r) >> 11) / 9007199254740992.0;
}

double
sim_exponential(struct sim_rng *r, double mean)
{
	return -mean * log(1.0 - sim_uniform(r));
}
