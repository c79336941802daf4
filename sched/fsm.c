/*
 * The cluster state machine.  See fsm.h; the per-state rules restate
 * reference/supvisors.md 2.2, and the comments say where we differ.
 */
#include "sched/fsm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "sched/view.h"

/* Supvisors' SYNCHRO_TIMEOUT_MIN: CORE also waits this long so that the
 * other instances have a chance to be there. */
#define STEPS_MAX 16

static const char *const cstate_names[_SCHED_CS_MAX] = {
	"OFF",	       "SYNCHRONIZATION", "ELECTION",
	"DISTRIBUTION", "OPERATION",	   "CONCILIATION",
	"RESTARTING",  "SHUTTING_DOWN",	  "FINAL",
};

#define B(s) (1u << SCHED_CS_##s)
static const unsigned allowed[_SCHED_CS_MAX] = {
	[SCHED_CS_OFF] = B(SYNCHRONIZATION),
	[SCHED_CS_SYNCHRONIZATION] = B(OFF) | B(ELECTION),
	[SCHED_CS_ELECTION] = B(OFF) | B(SYNCHRONIZATION) | B(DISTRIBUTION) |
			      B(SHUTTING_DOWN),
	[SCHED_CS_DISTRIBUTION] = B(OFF) | B(ELECTION) | B(OPERATION) |
				  B(RESTARTING) | B(SHUTTING_DOWN),
	[SCHED_CS_OPERATION] = B(OFF) | B(SYNCHRONIZATION) | B(ELECTION) |
			       B(CONCILIATION) | B(RESTARTING) |
			       B(SHUTTING_DOWN),
	/* ELECTION added: see fsm.h */
	[SCHED_CS_CONCILIATION] = B(OFF) | B(SYNCHRONIZATION) | B(ELECTION) |
				  B(OPERATION) | B(RESTARTING) |
				  B(SHUTTING_DOWN),
	[SCHED_CS_RESTARTING] = B(FINAL),
	[SCHED_CS_SHUTTING_DOWN] = B(FINAL),
	[SCHED_CS_FINAL] = 0,
};
#undef B

struct sched_fsm {
	struct sched_fsm_conf conf;
	uint32_t *core;
	size_t n;
	uint32_t local;
	struct sched_fsm_peer *peers;
	enum sched_cstate state;
	enum sched_cstate final_kind;
	uint32_t master;
	bool degraded;
	bool stop_sent;
	int64_t start_ms;
	char reason[160];
};

const char *
sched_cstate_to_string(enum sched_cstate s)
{
	return (unsigned)s < _SCHED_CS_MAX ? cstate_names[s] : "?";
}

int
sched_cstate_from_string(const char *s)
{
	return sched_name_lookup(cstate_names, _SCHED_CS_MAX, s);
}

bool
sched_cstate_allowed(enum sched_cstate from, enum sched_cstate to)
{
	return (unsigned)from < _SCHED_CS_MAX && (unsigned)to < _SCHED_CS_MAX &&
	       (allowed[from] & (1u << to)) != 0;
}

struct sched_fsm *
sched_fsm_new(const struct sched_fsm_conf *c, const struct sched_view *v,
	      int64_t now)
{
	struct sched_fsm *f = xcalloc(1, sizeof(*f));

	f->conf = *c;
	if (c->ncore > 0) {
		f->core = xcalloc(c->ncore, sizeof(*f->core));
		memcpy(f->core, c->core, c->ncore * sizeof(*f->core));
	}
	f->conf.core = f->core;
	f->n = sched_view_ninstances(v);
	f->local = sched_view_local(v);
	f->peers = xcalloc(f->n + 1, sizeof(*f->peers));
	for (size_t i = 0; i < f->n; i++)
		f->peers[i].master = SCHED_NONE;
	f->state = SCHED_CS_OFF;
	f->final_kind = SCHED_CS_SHUTTING_DOWN;
	f->master = SCHED_NONE;
	f->start_ms = now;
	return f;
}

struct sched_fsm *
sched_fsm_free(struct sched_fsm *f)
{
	if (f == NULL)
		return NULL;
	free(f->core);
	free(f->peers);
	free(f);
	return NULL;
}

void
sched_fsm_set_peer(struct sched_fsm *f, uint32_t inst,
		   const struct sched_fsm_peer *p)
{
	if (inst >= f->n || inst == f->local)
		return;
	f->peers[inst] = *p;
	f->peers[inst].known = true;
	if (p->master >= f->n)
		f->peers[inst].master = SCHED_NONE;
}

void
sched_fsm_forget_peer(struct sched_fsm *f, uint32_t inst)
{
	if (inst >= f->n || inst == f->local)
		return;
	memset(&f->peers[inst], 0, sizeof(f->peers[inst]));
	f->peers[inst].master = SCHED_NONE;
}

const struct sched_fsm_peer *
sched_fsm_peer(const struct sched_fsm *f, uint32_t inst)
{
	return inst < f->n ? &f->peers[inst] : NULL;
}

enum sched_cstate
sched_fsm_state(const struct sched_fsm *f)
{
	return f->state;
}

uint32_t
sched_fsm_master(const struct sched_fsm *f)
{
	return f->master;
}

bool
sched_fsm_is_master(const struct sched_fsm *f)
{
	return f->master != SCHED_NONE && f->master == f->local &&
	       f->state >= SCHED_CS_DISTRIBUTION;
}

bool
sched_fsm_degraded(const struct sched_fsm *f)
{
	return f->degraded;
}

bool
sched_fsm_may_activate(const struct sched_fsm *f)
{
	return f->state != SCHED_CS_DISTRIBUTION;
}

enum sched_cstate
sched_fsm_final_kind(const struct sched_fsm *f)
{
	return f->final_kind;
}

const char *
sched_fsm_reason(const struct sched_fsm *f)
{
	return f->reason;
}

/* ------------------------------------------------------------ views */

static bool
running(const struct sched_view *v, uint32_t i)
{
	return i < sched_view_ninstances(v) &&
	       sched_view_instance(v, i)->state == SCHED_INST_RUNNING;
}

uint64_t
sched_fsm_running_hash(const struct sched_view *v)
{
	uint64_t h = 0xcbf29ce484222325ull;

	/* ids are the same on every instance (cluster.instances order,
	 * which the rules digest covers), and walked in order */
	for (uint32_t i = 0; i < sched_view_ninstances(v); i++) {
		if (!running(v, i))
			continue;
		for (int k = 0; k < 4; k++) {
			h ^= (i >> (8 * k)) & 0xff;
			h *= 0x100000001b3ull;
		}
	}
	return h;
}

static bool
view_stable(const struct sched_view *v)
{
	for (uint32_t i = 0; i < sched_view_ninstances(v); i++) {
		enum sched_inst_state s = sched_view_instance(v, i)->state;

		if (s == SCHED_INST_CHECKING || s == SCHED_INST_CHECKED ||
		    s == SCHED_INST_FAILED)
			return false;
	}
	return true;
}

/* Every instance seen RUNNING sees a stable view with the same RUNNING
 * set as ours. */
static bool
views_agree(const struct sched_fsm *f, const struct sched_view *v,
	    uint64_t hash)
{
	if (!view_stable(v))
		return false;
	for (uint32_t i = 0; i < f->n; i++) {
		const struct sched_fsm_peer *p = &f->peers[i];

		if (i == f->local || !running(v, i))
			continue;
		if (!p->known || !p->stable || p->running != hash)
			return false;
	}
	return true;
}

static bool
is_core(const struct sched_fsm *f, uint32_t i)
{
	for (size_t k = 0; k < f->conf.ncore; k++)
		if (f->core[k] == i)
			return true;
	return false;
}

static bool
all_running(const struct sched_view *v)
{
	for (uint32_t i = 0; i < sched_view_ninstances(v); i++)
		if (!running(v, i))
			return false;
	return true;
}

static bool
core_running(const struct sched_fsm *f, const struct sched_view *v)
{
	for (size_t k = 0; k < f->conf.ncore; k++)
		if (!running(v, f->core[k]))
			return false;
	return f->conf.ncore > 0;
}

/* The master some RUNNING instance (us included) declares, if RUNNING:
 * Supvisors' USER condition. */
static uint32_t
declared_master(const struct sched_fsm *f, const struct sched_view *v)
{
	if (f->master != SCHED_NONE && running(v, f->master))
		return f->master;
	for (uint32_t i = 0; i < f->n; i++)
		if (i != f->local && running(v, i) && f->peers[i].known &&
		    running(v, f->peers[i].master))
			return f->peers[i].master;
	return SCHED_NONE;
}

static bool
working(enum sched_cstate s)
{
	return s >= SCHED_CS_DISTRIBUTION && s <= SCHED_CS_CONCILIATION;
}

/* Lowest name among CANDIDATES (a bitmap over ids), core ones first. */
static uint32_t
lowest(const struct sched_fsm *f, const struct sched_view *v,
       const bool *cand)
{
	uint32_t best = SCHED_NONE;

	for (int pass = 0; pass < 2 && best == SCHED_NONE; pass++)
		for (uint32_t i = 0; i < f->n; i++) {
			if (!cand[i] || (pass == 0 && !is_core(f, i)))
				continue;
			if (best == SCHED_NONE ||
			    strcmp(sched_view_instance(v, i)->name,
				   sched_view_instance(v, best)->name) < 0)
				best = i;
		}
	return best;
}

/* Supvisors' select_master(): the masters already declared by RUNNING
 * instances, else every RUNNING instance. */
static uint32_t
elect(const struct sched_fsm *f, const struct sched_view *v)
{
	bool *cand = xcalloc(f->n + 1, sizeof(*cand));
	bool any = false;
	uint32_t m;

	for (uint32_t i = 0; i < f->n; i++) {
		uint32_t d = i == f->local ? f->master : f->peers[i].master;

		if (running(v, i) && running(v, d)) {
			cand[d] = true;
			any = true;
		}
	}
	if (!any)
		for (uint32_t i = 0; i < f->n; i++)
			cand[i] = running(v, i);
	m = lowest(f, v, cand);
	free(cand);
	return m;
}

/* ------------------------------------------------------------ steps */

static unsigned
enter(struct sched_fsm *f, enum sched_cstate to, const char *why)
{
	unsigned bits = SCHED_FSM_DO_PUBLISH;

	if (!sched_cstate_allowed(f->state, to))
		return 0;
	snprintf(f->reason, sizeof(f->reason), "%s", why);
	f->state = to;
	switch (to) {
	case SCHED_CS_SYNCHRONIZATION:
	case SCHED_CS_ELECTION:
		bits |= SCHED_FSM_DO_ABORT;
		break;
	case SCHED_CS_DISTRIBUTION:
		if (f->master == f->local)
			bits |= SCHED_FSM_DO_START_ALL;
		break;
	case SCHED_CS_RESTARTING:
	case SCHED_CS_SHUTTING_DOWN:
		f->final_kind = to;
		bits |= SCHED_FSM_DO_ABORT;
		f->stop_sent = f->master == f->local;
		if (f->stop_sent)
			bits |= SCHED_FSM_DO_STOP_ALL;
		break;
	case SCHED_CS_FINAL:
		bits |= SCHED_FSM_DO_FINAL;
		break;
	default:
		break;
	}
	return bits;
}

/* The condition of one synchro option. */
static bool
synchro_met(const struct sched_fsm *f, const struct sched_view *v,
	    unsigned opt, bool agreed, int64_t now)
{
	int64_t up = now - f->start_ms;

	switch (opt) {
	case RL_SYNCHRO_STRICT:
	case RL_SYNCHRO_LIST:
		/* no discovery: the known instances are the listed ones */
		return agreed && all_running(v);
	case RL_SYNCHRO_TIMEOUT:
		return up >= f->conf.synchro_timeout_ms;
	case RL_SYNCHRO_CORE:
		return agreed && core_running(f, v) &&
		       up >= f->conf.core_min_ms;
	case RL_SYNCHRO_USER:
		return declared_master(f, v) != SCHED_NONE;
	default:
		return false;
	}
}

static bool
compute_degraded(const struct sched_fsm *f, const struct sched_view *v)
{
	if ((f->conf.synchro & (RL_SYNCHRO_STRICT | RL_SYNCHRO_LIST)) &&
	    !all_running(v))
		return true;
	return (f->conf.synchro & RL_SYNCHRO_CORE) && !core_running(f, v);
}

/* Supvisors' supvisors_failure_strategy once synchronized: the first of
 * USER, CORE, STRICT, LIST among the options must still hold (TIMEOUT
 * forces CONTINUE).  True when the strategy must act. */
static bool
sync_lost(const struct sched_fsm *f, const struct sched_view *v)
{
	static const unsigned prio[] = {RL_SYNCHRO_USER, RL_SYNCHRO_CORE,
					RL_SYNCHRO_STRICT, RL_SYNCHRO_LIST};
	bool met = true;

	if (f->conf.failure_strategy == RL_CLUSTER_FAILURE_CONTINUE ||
	    (f->conf.synchro & RL_SYNCHRO_TIMEOUT))
		return false;
	for (size_t k = 0; k < sizeof(prio) / sizeof(prio[0]); k++) {
		if (!(f->conf.synchro & prio[k]))
			continue;
		if (prio[k] == RL_SYNCHRO_USER)
			met = declared_master(f, v) != SCHED_NONE;
		else if (prio[k] == RL_SYNCHRO_CORE)
			met = core_running(f, v);
		else
			met = all_running(v);
		break;
	}
	return !met;
}

static unsigned
check_failure(struct sched_fsm *f, const struct sched_view *v)
{
	if (!sync_lost(f, v))
		return 0;
	if (f->conf.failure_strategy == RL_CLUSTER_FAILURE_RESYNC)
		return enter(f, SCHED_CS_SYNCHRONIZATION,
			     "synchro conditions lost: RESYNC");
	return enter(f, SCHED_CS_SHUTTING_DOWN,
		     "synchro conditions lost: SHUTDOWN");
}

static unsigned
step_sync(struct sched_fsm *f, const struct sched_view *v, bool agreed,
	  int64_t now)
{
	static const unsigned opts[] = {RL_SYNCHRO_STRICT, RL_SYNCHRO_LIST,
					RL_SYNCHRO_TIMEOUT, RL_SYNCHRO_CORE,
					RL_SYNCHRO_USER};
	static const char *const names[] = {"STRICT", "LIST", "TIMEOUT",
					     "CORE", "USER"};
	char why[128];
	/* joining while our conditions are lost would bounce back here
	 * from ELECTION (RESYNC) or stop this instance (SHUTDOWN) */
	bool lost = sync_lost(f, v);

	for (uint32_t i = 0; i < f->n && !lost; i++) {
		const struct sched_fsm_peer *p = &f->peers[i];

		if (i == f->local || !running(v, i) || !p->known ||
		    !running(v, p->master))
			continue;
		if (working(p->master == f->local ? f->state
						  : f->peers[p->master].state)) {
			snprintf(why, sizeof(why), "joining master %s",
				 sched_view_instance(v, p->master)->name);
			return enter(f, SCHED_CS_ELECTION, why);
		}
	}
	for (size_t k = 0; k < sizeof(opts) / sizeof(opts[0]); k++) {
		if (!(f->conf.synchro & opts[k]) ||
		    !synchro_met(f, v, opts[k], agreed, now))
			continue;
		snprintf(why, sizeof(why), "synchro option %s met",
			 names[k]);
		return enter(f, SCHED_CS_ELECTION, why);
	}
	return 0;
}

static unsigned
step_election(struct sched_fsm *f, const struct sched_view *v, bool agreed)
{
	unsigned bits = 0;
	uint32_t m;
	char why[128];

	if (!agreed)
		return 0;
	m = elect(f, v);
	if (m == SCHED_NONE)
		return 0;
	if (m != f->master) {
		f->master = m;
		bits |= SCHED_FSM_DO_PUBLISH;
	}
	for (uint32_t i = 0; i < f->n; i++)
		if (i != f->local && running(v, i) &&
		    f->peers[i].master != m)
			return bits;
	snprintf(why, sizeof(why), "%s elected",
		 sched_view_instance(v, m)->name);
	if (m == f->local)
		return bits | enter(f, SCHED_CS_DISTRIBUTION, why);
	/* a slave moves when it sees the master move */
	if (working(f->peers[m].state))
		return bits | enter(f, SCHED_CS_DISTRIBUTION, why);
	if (f->peers[m].state == SCHED_CS_SHUTTING_DOWN)
		return bits | enter(f, SCHED_CS_SHUTTING_DOWN, why);
	return bits;
}

/* DISTRIBUTION, OPERATION, CONCILIATION. */
static unsigned
step_working(struct sched_fsm *f, const struct sched_view *v,
	     const struct sched_fsm_work *w)
{
	enum sched_cstate ms;
	unsigned bits;

	if (!running(v, f->master))
		return enter(f, SCHED_CS_ELECTION, "master lost");
	for (uint32_t i = 0; i < f->n; i++)
		if (i != f->local && running(v, i) &&
		    f->peers[i].master != f->master)
			return enter(f, SCHED_CS_ELECTION,
				     f->peers[i].master == SCHED_NONE
					     ? "an instance has no master"
					     : "masters differ");
	if ((bits = check_failure(f, v)) != 0)
		return bits;
	if (f->master != f->local) {
		ms = f->peers[f->master].state;
		if (ms == f->state)
			return 0;
		if (ms == SCHED_CS_FINAL)
			ms = SCHED_CS_SHUTTING_DOWN;
		if (ms <= SCHED_CS_ELECTION)
			ms = SCHED_CS_ELECTION;
		/* not in the table: through OPERATION, then CONCILIATION
		 * at the next turn of sched_fsm_step() */
		if (ms == SCHED_CS_CONCILIATION &&
		    f->state == SCHED_CS_DISTRIBUTION)
			ms = SCHED_CS_OPERATION;
		return enter(f, ms, "following the master");
	}
	switch (f->state) {
	case SCHED_CS_DISTRIBUTION:
		return SCHED_FSM_DO_FAILURES |
		       (w->idle ? enter(f, SCHED_CS_OPERATION,
					"start sequence done")
				: 0);
	case SCHED_CS_OPERATION:
		if (w->idle && w->conflicts)
			return SCHED_FSM_DO_FAILURES |
			       enter(f, SCHED_CS_CONCILIATION, "conflicts");
		return SCHED_FSM_DO_FAILURES;
	case SCHED_CS_CONCILIATION:
		if (w->idle && !w->conflicts)
			return SCHED_FSM_DO_FAILURES |
			       enter(f, SCHED_CS_OPERATION,
				     "conflicts resolved");
		if (w->idle && !w->concil_user)
			return SCHED_FSM_DO_FAILURES |
			       SCHED_FSM_DO_CONCILIATE;
		return SCHED_FSM_DO_FAILURES;
	default:
		return 0;
	}
}

static unsigned
step_stopping(struct sched_fsm *f, const struct sched_view *v,
	      const struct sched_fsm_work *w)
{
	if (f->master == f->local)
		return w->idle ? enter(f, SCHED_CS_FINAL,
				       "every application stopped")
			       : 0;
	if (!running(v, f->master))
		return enter(f, SCHED_CS_FINAL, "master gone");
	if (f->peers[f->master].state == SCHED_CS_FINAL)
		return enter(f, SCHED_CS_FINAL, "master done");
	return 0;
}

unsigned
sched_fsm_step(struct sched_fsm *f, const struct sched_view *v,
	       const struct sched_fsm_work *w, int64_t now)
{
	unsigned out = 0;

	for (int k = 0; k < STEPS_MAX; k++) {
		enum sched_cstate before = f->state;
		uint64_t hash = sched_fsm_running_hash(v);
		bool agreed = views_agree(f, v, hash);
		bool deg = compute_degraded(f, v);
		unsigned bits = 0;

		if (deg != f->degraded) {
			f->degraded = deg;
			out |= SCHED_FSM_DO_PUBLISH;
		}
		if (f->master != SCHED_NONE && !running(v, f->master) &&
		    f->state <= SCHED_CS_ELECTION) {
			f->master = SCHED_NONE;
			out |= SCHED_FSM_DO_PUBLISH;
		}
		if (f->state != SCHED_CS_OFF && f->state != SCHED_CS_FINAL &&
		    !running(v, f->local)) {
			out |= enter(f, SCHED_CS_OFF, "local instance down");
			break;
		}
		switch (f->state) {
		case SCHED_CS_OFF:
			if (running(v, f->local))
				bits = enter(f, SCHED_CS_SYNCHRONIZATION,
					     "local instance RUNNING");
			break;
		case SCHED_CS_SYNCHRONIZATION:
			bits = step_sync(f, v, agreed, now);
			break;
		case SCHED_CS_ELECTION:
			bits = check_failure(f, v);
			if (bits == 0)
				bits = step_election(f, v, agreed);
			break;
		case SCHED_CS_DISTRIBUTION:
		case SCHED_CS_OPERATION:
		case SCHED_CS_CONCILIATION:
			bits = step_working(f, v, w);
			break;
		case SCHED_CS_RESTARTING:
		case SCHED_CS_SHUTTING_DOWN:
			bits = step_stopping(f, v, w);
			break;
		default:
			break;
		}
		out |= bits;
		if (f->state == before)
			break;
		/* a state entered within this call has not seen the work
		 * it started: the sequencer is no longer idle */
		if (bits & (SCHED_FSM_DO_START_ALL | SCHED_FSM_DO_STOP_ALL))
			break;
	}
	return out;
}

void
sched_fsm_record(const struct sched_fsm *f, const struct sched_view *v,
		 struct sched_fsm_peer *ret)
{
	ret->known = true;
	ret->state = f->state;
	ret->master = f->master;
	ret->stable = view_stable(v);
	ret->running = sched_fsm_running_hash(v);
}

int
sched_fsm_end_sync(struct sched_fsm *f, const struct sched_view *v,
		   uint32_t master)
{
	bool *cand;

	if (!(f->conf.synchro & RL_SYNCHRO_USER))
		return -ENOTSUP;
	if (f->state > SCHED_CS_SYNCHRONIZATION)
		return -EALREADY;
	if (master == SCHED_NONE) {
		cand = xcalloc(f->n + 1, sizeof(*cand));
		for (uint32_t i = 0; i < f->n; i++)
			cand[i] = running(v, i);
		master = lowest(f, v, cand);
		free(cand);
	}
	if (!running(v, master))
		return -EINVAL;
	f->master = master;
	return 0;
}

int
sched_fsm_request(struct sched_fsm *f, enum sched_cstate to,
		  unsigned *ret_bits)
{
	unsigned bits;

	if (to != SCHED_CS_RESTARTING && to != SCHED_CS_SHUTTING_DOWN)
		return -EINVAL;
	if (f->state == to)
		return -EALREADY;
	if (!sched_fsm_is_master(f))
		return -EPERM;
	if (!sched_cstate_allowed(f->state, to))
		return -EAGAIN;
	bits = enter(f, to, to == SCHED_CS_RESTARTING ? "restart requested"
						       : "shutdown requested");
	if (ret_bits != NULL)
		*ret_bits = bits;
	return 0;
}
