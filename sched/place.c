/*
 * Placement: candidate resolution, the six strategies as one pass each,
 * the SINGLE_NODE node choice and the '#'/'@' assignments.  See place.h.
 *
 * Tie-breaking must match Supvisors' stable sort exactly: LESS_* keep the
 * first of equal keys (strict <), MOST_* the last (>=).
 */
#include "sched/place.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "sched/view.h"

static const char *const excl_names[_SCHED_EXCL_MAX] = {
	"chosen",	"not chosen", "not in identifiers", "assigned elsewhere",
	"not running",	"isolated",   "suspect",	    "disabled",
	"over capacity", "not local", "other node",
};

const char *
sched_excl_to_string(enum sched_excl e)
{
	return (unsigned)e < _SCHED_EXCL_MAX ? excl_names[e] : NULL;
}

int
sched_excl_from_string(const char *s)
{
	return sched_name_lookup(excl_names, _SCHED_EXCL_MAX, s);
}

unsigned
sched_place_node_total(const struct sched_view *v, uint32_t node,
		       enum rl_load_source source)
{
	const struct sched_node *n = &sched_view_nodes(v)[node];

	switch (source) {
	case RL_LOAD_MEASURED:
		return n->cpu + n->pending;
	case RL_LOAD_MAX:
		return MAX(n->load, n->cpu) + n->pending;
	default:
		return n->load + n->pending;
	}
}

unsigned
sched_place_inst_total(const struct sched_view *v, uint32_t inst,
		       enum rl_load_source source)
{
	const struct sched_instance *in = &sched_view_instances(v)[inst];

	(void)source;
	return in->load + in->pending;
}

static unsigned
node_base(const struct sched_node *n, enum rl_load_source source)
{
	switch (source) {
	case RL_LOAD_MEASURED:
		return n->cpu;
	case RL_LOAD_MAX:
		return MAX(n->load, n->cpu);
	default:
		return n->load;
	}
}

/* Why a candidate cannot be used at all (before capacity), or CHOSEN
 * when it can. */
static enum sched_excl
usable(const struct sched_view *v, const struct sched_instance *in,
       uint32_t inst, const struct sched_place_req *rq)
{
	if (in->state == SCHED_INST_ISOLATED)
		return SCHED_EXCL_ISOLATED;
	if (in->state != SCHED_INST_RUNNING)
		return SCHED_EXCL_NOT_RUNNING;
	if (in->suspect)
		return SCHED_EXCL_SUSPECT;
	if (rq->node != SCHED_NONE && in->node != rq->node)
		return SCHED_EXCL_OTHER_NODE;
	if (rq->proc != SCHED_NONE &&
	    sched_view_process(v, rq->proc)->ndisabled > 0) {
		const struct sched_pinfo *pi = sched_view_pinfo(v, rq->proc,
								inst);
		if (pi && pi->disabled)
			return SCHED_EXCL_DISABLED;
	}
	return SCHED_EXCL_CHOSEN;
}

/* The dry-run path: the same decision as fast_place(), plus a reason for
 * every instance.  The unit tests check that both always agree. */
static uint32_t
explain_place(const struct sched_view *v, const struct sched_place_req *rq,
	      struct sched_why *why)
{
	const struct sched_instance *insts = sched_view_instances(v);
	const struct sched_node *nodes = sched_view_nodes(v);
	const bool node_first = rq->strategy == RL_STRATEGY_LESS_LOADED_NODE ||
				rq->strategy == RL_STRATEGY_MOST_LOADED_NODE;
	const bool most = rq->strategy == RL_STRATEGY_MOST_LOADED ||
			  rq->strategy == RL_STRATEGY_MOST_LOADED_NODE;
	uint32_t local = sched_view_local(v);
	uint32_t best = SCHED_NONE;
	unsigned best_a = 0, best_b = 0;
	size_t i;

	{
		size_t n = sched_view_ninstances(v);
		for (i = 0; i < n; i++) {
			memset(&why[i], 0, sizeof(why[i]));
			why[i].excl = SCHED_EXCL_NOT_CANDIDATE;
			why[i].expected = rq->load;
		}
	}
	for (i = 0; i < rq->ncands; i++) {
		uint32_t c = rq->cands[i];
		const struct sched_instance *in = &insts[c];
		const struct sched_node *nd = &nodes[in->node];
		unsigned nt, it, a, b;
		enum sched_excl e;
		bool better;

		e = usable(v, in, c, rq);
		nt = node_base(nd, rq->source) + nd->pending;
		it = in->load + in->pending;
		{
			why[c].node_load = node_base(nd, rq->source);
			why[c].node_pending = nd->pending;
			why[c].inst_load = in->load;
			why[c].inst_pending = in->pending;
		}
		if (e == SCHED_EXCL_CHOSEN && nt + rq->load > 100)
			e = SCHED_EXCL_CAPACITY;
		if (e == SCHED_EXCL_CHOSEN &&
		    rq->strategy == RL_STRATEGY_LOCAL && c != local)
			e = SCHED_EXCL_NOT_LOCAL;
		if (e != SCHED_EXCL_CHOSEN) {
			why[c].excl = e;
			continue;
		}
		why[c].excl = SCHED_EXCL_NOT_CHOSEN;
		a = node_first ? nt : it;
		b = node_first ? it : nt;
		if (best == SCHED_NONE)
			better = true;
		else if (rq->strategy == RL_STRATEGY_CONFIG ||
			 rq->strategy == RL_STRATEGY_LOCAL)
			better = false;
		else if (most)
			better = a > best_a || (a == best_a && b >= best_b);
		else
			better = a < best_a || (a == best_a && b < best_b);
		if (better) {
			best = c;
			best_a = a;
			best_b = b;
		}
	}
	if (best != SCHED_NONE)
		why[best].excl = SCHED_EXCL_CHOSEN;
	return best;
}

static bool
disabled_on(const struct sched_view *v, uint32_t proc, uint32_t inst)
{
	const struct sched_pinfo *pi = sched_view_pinfo(v, proc, inst);

	return pi && pi->disabled;
}

/* The decision path: packed per-instance data, keys folded into one
 * 64-bit integer, CONFIG and LOCAL stop at the first valid candidate. */
static uint32_t
fast_place(const struct sched_view *v, const struct sched_place_req *rq)
{
	const struct sched_inst_hot *hot = sched_view_hot(v);
	const struct sched_node *nodes = sched_view_nodes(v);
	const bool node_first = rq->strategy == RL_STRATEGY_LESS_LOADED_NODE ||
				rq->strategy == RL_STRATEGY_MOST_LOADED_NODE;
	const bool most = rq->strategy == RL_STRATEGY_MOST_LOADED ||
			  rq->strategy == RL_STRATEGY_MOST_LOADED_NODE;
	const bool first = rq->strategy == RL_STRATEGY_CONFIG ||
			   rq->strategy == RL_STRATEGY_LOCAL;
	const bool check_disabled =
		rq->proc != SCHED_NONE &&
		sched_view_process(v, rq->proc)->ndisabled > 0;
	const uint32_t local = sched_view_local(v);
	const unsigned room = rq->load > 100 ? 0 : 100 - rq->load;
	uint32_t best = SCHED_NONE;
	uint64_t best_key = 0;
	size_t i;

	for (i = 0; i < rq->ncands; i++) {
		uint32_t c = rq->cands[i];
		const struct sched_inst_hot *h = &hot[c];
		const struct sched_node *nd;
		unsigned nt;
		uint64_t key;

		if (!h->usable)
			continue;
		if (rq->node != SCHED_NONE && h->node != rq->node)
			continue;
		nd = &nodes[h->node];
		nt = node_base(nd, rq->source) + nd->pending;
		if (nt > room || rq->load > 100)
			continue;
		if (check_disabled && disabled_on(v, rq->proc, c))
			continue;
		if (first) {
			if (rq->strategy == RL_STRATEGY_LOCAL && c != local)
				continue;
			return c;
		}
		key = node_first ? (uint64_t)nt << 32 | h->total
				 : (uint64_t)h->total << 32 | nt;
		if (best == SCHED_NONE || (most ? key >= best_key
						: key < best_key)) {
			best = c;
			best_key = key;
		}
	}
	return best;
}

uint32_t
sched_place(const struct sched_view *v, const struct sched_place_req *rq,
	    struct sched_why *why)
{
	return why ? explain_place(v, rq, why) : fast_place(v, rq);
}

void
sched_why_format(const struct sched_view *v, uint32_t inst,
		 const struct sched_why *w, struct strbuf *out)
{
	const struct sched_instance *in = sched_view_instance(v, inst);

	switch (w->excl) {
	case SCHED_EXCL_NOT_RUNNING:
		strbuf_addf(out, "not RUNNING (%s)",
			    in ? sched_inst_state_to_string(in->state) : "?");
		break;
	case SCHED_EXCL_CAPACITY:
		strbuf_addf(out,
			    "would exceed 100 %% (node load %u + pending %u "
			    "+ expected %u = %u)",
			    w->node_load, w->node_pending, w->expected,
			    w->node_load + w->node_pending + w->expected);
		break;
	case SCHED_EXCL_NOT_CHOSEN:
	case SCHED_EXCL_CHOSEN:
		strbuf_addf(out, "%s (instance load %u + pending %u, node %u + "
				 "pending %u)",
			    sched_excl_to_string(w->excl), w->inst_load,
			    w->inst_pending, w->node_load, w->node_pending);
		break;
	default:
		strbuf_adds(out, sched_excl_to_string(w->excl));
		break;
	}
}

/* ------------------------------------------------------------ candidates */

#define MARK_WORDS 1024 /* 65 536 instances on the stack */

size_t
sched_place_resolve(const struct sched_view *v,
		    const struct rl_identifiers *ids, uint32_t *ret)
{
	const struct sched_instance *insts = sched_view_instances(v);
	size_t ninst = sched_view_ninstances(v);
	uint64_t stack[MARK_WORDS];
	uint64_t *mark = stack;
	size_t i, k, n = 0;

	if (ids == NULL || ids->all || ids->n == 0) {
		for (i = 0; i < ninst; i++)
			ret[i] = (uint32_t)i;
		return ninst;
	}
	if (ninst > MARK_WORDS * 64)
		mark = xcalloc((ninst + 63) / 64, sizeof(*mark));
	else
		memset(stack, 0, ((ninst + 63) / 64) * sizeof(*mark));
#define TAKE(id)                                                               \
	do {                                                                   \
		uint32_t id_ = (id);                                           \
		if (!(mark[id_ / 64] & (1ULL << (id_ % 64)))) {                \
			mark[id_ / 64] |= 1ULL << (id_ % 64);                  \
			ret[n++] = id_;                                        \
		}                                                              \
	} while (0)
	for (i = 0; i < ids->n; i++) {
		const struct rl_ident *id = &ids->v[i];
		if (id->name == NULL)
			continue;
		if (id->kind == RL_IDENT_INSTANCE) {
			uint32_t c = sched_view_find_instance(v, id->name);
			if (c != SCHED_NONE)
				TAKE(c);
			continue;
		}
		for (k = 0; k < ninst; k++) {
			size_t t;
			for (t = 0; t < insts[k].ntags; t++)
				if (strcmp(insts[k].tags[t], id->name) == 0) {
					TAKE((uint32_t)k);
					break;
				}
		}
	}
#undef TAKE
	if (mark != stack)
		free(mark);
	return n;
}

int
sched_place_admit(const struct sched_view *v, uint32_t inst, uint32_t proc,
		  unsigned load, enum rl_load_source source,
		  unsigned *ret_node_total)
{
	const struct sched_instance *in = sched_view_instance(v, inst);
	const struct sched_process *p = sched_view_process(v, proc);
	unsigned total;

	if (in == NULL || p == NULL)
		return -ENOENT;
	if (in->state != SCHED_INST_RUNNING)
		return -EHOSTDOWN;
	total = sched_place_node_total(v, in->node, source);
	if (p->resv != SCHED_NONE) {
		const struct sched_resv *r = sched_view_reservation(v, p->resv);
		if (sched_view_instance(v, r->inst)->node == in->node)
			total -= r->load;
	}
	if (total + load > 100) {
		if (ret_node_total)
			*ret_node_total = total;
		return -ENOSPC;
	}
	return 0;
}

/* N from an application name ending in -N or _N (N >= 1), else 0. */
static unsigned long
app_number(const char *name)
{
	size_t len = strlen(name), i = len;
	unsigned long n = 0;

	while (i > 0 && isdigit((unsigned char)name[i - 1]))
		i--;
	if (i == len || i == 0 || (name[i - 1] != '-' && name[i - 1] != '_'))
		return 0;
	if (len - i > 9)
		return 0;
	for (; i < len; i++)
		n = n * 10 + (unsigned long)(name[i] - '0');
	return n;
}

static void
assign_program(struct sched_view *v, const struct sched_app *a,
	       const struct rl_program *pg, uint32_t *ref, unsigned *count)
{
	size_t ninst = sched_view_ninstances(v);
	size_t nref, i, j;

	nref = sched_place_resolve(v, &pg->identifiers, ref);
	memset(count, 0, ninst * sizeof(*count));
	for (i = 0; i < a->nprocs; i++) {
		const struct sched_process *p = sched_view_process(v,
								   a->procs[i]);
		if (p->program == pg && p->assign_done &&
		    p->assigned != SCHED_NONE)
			count[p->assigned]++;
	}
	/* processes are in process_num order within their program */
	for (i = 0; i < a->nprocs; i++) {
		const struct sched_process *p = sched_view_process(v,
								   a->procs[i]);
		uint32_t best = SCHED_NONE;
		if (p->program != pg || p->assign_done)
			continue;
		for (j = 0; j < nref; j++) {
			uint32_t c = ref[j];
			if (pg->identifiers.sign == RL_SIGN_AT) {
				if (count[c] == 0) {
					best = c;
					break;
				}
			} else if (best == SCHED_NONE || count[c] < count[best]) {
				best = c;
			}
		}
		if (best != SCHED_NONE)
			count[best]++;
		sched_view_set_assigned(v, a->procs[i], best);
	}
}

void
sched_place_assign(struct sched_view *v, uint32_t app)
{
	const struct sched_app *a = sched_view_app(v, app);
	size_t ninst = sched_view_ninstances(v);
	uint32_t *ref;
	unsigned *count;
	size_t i;

	if (a == NULL || a->rule == NULL)
		return;
	ref = xcalloc(ninst ? ninst : 1, sizeof(*ref));
	count = xcalloc(ninst ? ninst : 1, sizeof(*count));
	if (a->rule->identifiers.sign == RL_SIGN_HASH && !a->app_assign_done) {
		size_t nref = sched_place_resolve(v, &a->rule->identifiers,
						  ref);
		unsigned long num = app_number(a->name);
		sched_view_set_app_assigned(
			v, app,
			num > 0 && nref > 0 ? ref[(num - 1) % nref]
					    : SCHED_NONE);
	}
	for (i = 0; i < a->rule->nprograms; i++) {
		const struct rl_program *pg = &a->rule->programs[i];
		if (pg->identifiers.sign != RL_SIGN_NONE)
			assign_program(v, a, pg, ref, count);
	}
	free(ref);
	free(count);
}

size_t
sched_place_candidates(struct sched_view *v, uint32_t proc, uint32_t *ret)
{
	const struct sched_process *p = sched_view_process(v, proc);
	const struct sched_app *a;
	const struct rl_identifiers *ids;

	if (p == NULL || p->program == NULL)
		return 0;
	a = sched_view_app(v, p->app);
	if (a->rule->distribution == RL_DIST_ALL_INSTANCES) {
		ids = &p->program->identifiers;
		if (ids->sign != RL_SIGN_NONE) {
			if (!p->assign_done)
				sched_place_assign(v, p->app);
			p = sched_view_process(v, proc);
			if (p->assigned == SCHED_NONE)
				return 0;
			ret[0] = p->assigned;
			return 1;
		}
		return sched_place_resolve(v, ids, ret);
	}
	ids = &a->rule->identifiers;
	if (ids->sign == RL_SIGN_HASH) {
		if (!a->app_assign_done)
			sched_place_assign(v, p->app);
		a = sched_view_app(v, p->app);
		if (a->app_assigned == SCHED_NONE)
			return 0;
		ret[0] = a->app_assigned;
		return 1;
	}
	return sched_place_resolve(v, ids, ret);
}

uint32_t
sched_place_node(const struct sched_view *v, enum rl_strategy s,
		 enum rl_load_source source, unsigned load,
		 const uint32_t *cands, size_t ncands)
{
	const struct sched_instance *insts = sched_view_instances(v);
	uint32_t local = sched_view_local(v);
	uint32_t best = SCHED_NONE;
	unsigned best_t = 0;
	size_t i;

	for (i = 0; i < ncands; i++) {
		const struct sched_instance *in = &insts[cands[i]];
		unsigned t;
		bool better;

		if (in->state != SCHED_INST_RUNNING || in->suspect)
			continue;
		if (s == RL_STRATEGY_LOCAL &&
		    (local == SCHED_NONE || in->node != insts[local].node))
			continue;
		t = sched_place_node_total(v, in->node, source);
		if (t + load > 100)
			continue;
		if (best == SCHED_NONE)
			better = true;
		else if (s == RL_STRATEGY_MOST_LOADED ||
			 s == RL_STRATEGY_MOST_LOADED_NODE)
			better = t >= best_t;
		else if (s == RL_STRATEGY_LESS_LOADED ||
			 s == RL_STRATEGY_LESS_LOADED_NODE)
			better = t < best_t;
		else
			better = false;
		if (better) {
			best = in->node;
			best_t = t;
		}
	}
	return best;
}
