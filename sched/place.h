/*
 * sched/place: where to start a process, as pure functions of the view
 * (reference/supvisors.md 5.1-5.2, scheduling.md 0.1).
 *
 * Candidates are the rule's identifiers resolved against the view, in
 * rule order: instance names as they are, tags to every instance carrying
 * them in instance (cluster.instances) order, `*` to every instance in
 * that order, duplicates dropped.  A candidate is usable when it is
 * RUNNING, not suspect, and the program is not disabled on it; it is
 * valid when its node load + the node's pending reservations + the
 * expected load <= 100.  Among valid candidates:
 *   CONFIG            the first in candidate order;
 *   LESS_LOADED       the smallest (instance total, node total), the first
 *                     of equals (a stable sort's first element);
 *   MOST_LOADED       the largest, the last of equals (the stable sort's
 *                     last element);
 *   LESS_LOADED_NODE  / MOST_LOADED_NODE: the same over (node, instance);
 *   LOCAL             the local instance if it is a valid candidate.
 * Totals include pending reservations.  With load_source MEASURED the
 * node's measured CPU % replaces its declared load, MAX takes the larger
 * of both; instance totals stay declared (nothing measures an instance
 * apart from its node), so they only order instances of equal nodes.
 *
 * Each decision is one pass over the candidates, no sort, no allocation.
 * Callers provide scratch arrays of sched_view_ninstances() entries.
 */
#ifndef SCHED_PLACE_H
#define SCHED_PLACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/rules.h"

struct sched_view;
struct strbuf;

/* Why an instance was not chosen (dry run). */
enum sched_excl {
	SCHED_EXCL_CHOSEN,	  /* it is the placement */
	SCHED_EXCL_NOT_CHOSEN,	  /* valid, the strategy preferred another */
	SCHED_EXCL_NOT_CANDIDATE, /* not in the rule's identifiers */
	SCHED_EXCL_ASSIGNED,	  /* '#'/'@' gave the process another one */
	SCHED_EXCL_NOT_RUNNING,
	SCHED_EXCL_ISOLATED,
	SCHED_EXCL_SUSPECT,
	SCHED_EXCL_DISABLED,
	SCHED_EXCL_CAPACITY, /* node load + pending + expected > 100 */
	SCHED_EXCL_NOT_LOCAL,
	SCHED_EXCL_OTHER_NODE, /* SINGLE_NODE: not on the chosen node */
	_SCHED_EXCL_MAX,
};

const char *sched_excl_to_string(enum sched_excl e);
int sched_excl_from_string(const char *s);

struct sched_why {
	enum sched_excl excl;
	unsigned node_load; /* as counted (declared, measured or max) */
	unsigned node_pending;
	unsigned inst_load;
	unsigned inst_pending;
	unsigned expected;
};

/* "would exceed 100 % (node load 60 + pending 20 + expected 30 = 110)",
 * "not RUNNING (FAILED)", ... appended to OUT. */
void sched_why_format(const struct sched_view *v, uint32_t inst,
		      const struct sched_why *w, struct strbuf *out);

struct sched_place_req {
	enum rl_strategy strategy;
	enum rl_load_source source;
	unsigned load;	 /* expected load of what is placed */
	uint32_t proc;	 /* checked for "disabled"; SCHED_NONE: no check */
	uint32_t node;	 /* only instances of this node; SCHED_NONE: any */
	size_t ncands;
	const uint32_t *cands; /* candidate order */
};

/* The chosen instance or SCHED_NONE.  WHY, if not NULL, has room for
 * sched_view_ninstances() entries and receives a reason for every
 * instance (those not among the candidates: NOT_CANDIDATE). */
uint32_t sched_place(const struct sched_view *v,
		     const struct sched_place_req *rq, struct sched_why *why);

/* Resolves identifiers into RET (room for ninstances); returns the
 * count.  Unknown names and tags nobody carries resolve to nothing. */
size_t sched_place_resolve(const struct sched_view *v,
			   const struct rl_identifiers *ids, uint32_t *ret);

/* Candidates for one process of its application, as a start would use
 * them: the program's identifiers (or its '#'/'@' assignment) for
 * ALL_INSTANCES, the application's (or its '#' choice) otherwise.
 * Makes the '#'/'@' assignments of the program on first use. */
size_t sched_place_candidates(struct sched_view *v, uint32_t proc,
			      uint32_t *ret);

/* Makes the '#'/'@' assignment of every process of PROGRAM not yet
 * assigned (reference/supvisors.md 4.2), and the application-level '#'
 * choice.  Idempotent. */
void sched_place_assign(struct sched_view *v, uint32_t app);

/* The node choice of SINGLE_NODE: among the nodes of CANDS, those whose
 * load + pending + LOAD <= 100, by STRATEGY over node totals (CONFIG:
 * first in candidate order; LESS_*: least loaded, first of equals;
 * MOST_*: most loaded, last of equals; LOCAL: the local node).  Returns
 * the node or SCHED_NONE. */
uint32_t sched_place_node(const struct sched_view *v, enum rl_strategy s,
			  enum rl_load_source source, unsigned load,
			  const uint32_t *cands, size_t ncands);

/* Admission on the target (DESIGN.md 7.3): may INST start PROC with
 * LOAD now?  0, or -ENOSPC when the node's load + reservations (not
 * counting PROC's own reservation) + LOAD exceed 100, with the node's
 * total in *RET_NODE_TOTAL (may be NULL) for the refusal message;
 * -EHOSTDOWN when INST is not RUNNING; -ENOENT for bad ids. */
int sched_place_admit(const struct sched_view *v, uint32_t inst,
		      uint32_t proc, unsigned load,
		      enum rl_load_source source, unsigned *ret_node_total);

/* Node and instance totals as placement counts them. */
unsigned sched_place_node_total(const struct sched_view *v, uint32_t node,
				enum rl_load_source source);
unsigned sched_place_inst_total(const struct sched_view *v, uint32_t inst,
				enum rl_load_source source);

#endif
