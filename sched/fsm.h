/*
 * sched/fsm: the cluster state machine of Supvisors (reference/supvisors.md
 * 2.2), as a pure function of the view, what every other instance
 * publishes about itself, and the time.
 *
 * Every instance runs one.  It publishes a record (struct sched_fsm_peer:
 * its state, the master it declares, whether its view is stable and which
 * instances it sees RUNNING) and reads the records of the others.  The
 * view is stable when no instance is CHECKING, CHECKED or FAILED; the
 * views agree when every instance seen RUNNING publishes a stable view
 * with the same RUNNING set as ours.  Election happens once they agree:
 * the candidates are the masters already declared by RUNNING instances
 * (so that a joining instance never dethrones a working master), else
 * every RUNNING instance; core instances first; the lowest name wins.
 * Every instance computes the same answer from the same agreed set.
 *
 * States and transitions are Supvisors', with four deliberate changes:
 *   - CONCILIATION may go back to ELECTION (Supvisors logs the
 *     transition as invalid and stays in CONCILIATION without a master
 *     when the master is lost there);
 *   - an instance in SYNCHRONIZATION that sees a RUNNING master already
 *     working (DISTRIBUTION to CONCILIATION) joins it through ELECTION at
 *     once instead of waiting for its own synchro conditions: they were
 *     met when that master was elected (unless failure_strategy RESYNC
 *     or SHUTDOWN would act on their loss at once);
 *   - a slave in DISTRIBUTION whose master is in CONCILIATION follows
 *     it through OPERATION (Supvisors ignores the invalid transition
 *     and shows DISTRIBUTION until the master is back in OPERATION);
 *   - times are milliseconds, not 5 s ticks.
 *
 * sched_fsm_step() evaluates the machine (call it on every record or
 * instance change, on every job end and periodically) and returns what
 * the caller must do as SCHED_FSM_DO_* bits.  Only the master starts,
 * stops and conciliates; the others follow the master's state.
 *
 * Ownership: sched_fsm_free() accepts NULL and returns NULL.  The view is
 * only read, and must have the same instances for the machine's life.
 */
#ifndef SCHED_FSM_H
#define SCHED_FSM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/rules.h"

struct sched_view;

/* Supvisors' cluster states, same order and values. */
enum sched_cstate {
	SCHED_CS_OFF,
	SCHED_CS_SYNCHRONIZATION,
	SCHED_CS_ELECTION,
	SCHED_CS_DISTRIBUTION,
	SCHED_CS_OPERATION,
	SCHED_CS_CONCILIATION,
	SCHED_CS_RESTARTING,
	SCHED_CS_SHUTTING_DOWN,
	SCHED_CS_FINAL,
	_SCHED_CS_MAX,
};

const char *sched_cstate_to_string(enum sched_cstate s);
int sched_cstate_from_string(const char *s);
/* Whether FROM -> TO is in Supvisors' table (with the change above). */
bool sched_cstate_allowed(enum sched_cstate from, enum sched_cstate to);

/* What an instance publishes about itself. */
struct sched_fsm_peer {
	bool known;	     /* a record was received */
	enum sched_cstate state;
	uint32_t master;     /* instance id, SCHED_NONE: none declared */
	bool stable;	     /* no CHECKING/CHECKED/FAILED in its view */
	uint64_t running;    /* sched_fsm_running_hash() of its view */
};

struct sched_fsm_conf {
	unsigned synchro;	    /* RL_SYNCHRO_* */
	int64_t synchro_timeout_ms; /* TIMEOUT */
	int64_t core_min_ms;	    /* CORE also waits this long (15 s) */
	enum rl_cluster_failure failure_strategy;
	const uint32_t *core;	    /* core instance ids */
	size_t ncore;
};

/* Bits returned by sched_fsm_step(). */
enum {
	SCHED_FSM_DO_ABORT = 1u << 0,	  /* drop every job */
	SCHED_FSM_DO_START_ALL = 1u << 1, /* master: DISTRIBUTION's start */
	SCHED_FSM_DO_STOP_ALL = 1u << 2,  /* master: the global stop */
	SCHED_FSM_DO_FAILURES = 1u << 3,  /* master: run the failure queue */
	SCHED_FSM_DO_CONCILIATE = 1u << 4, /* master: apply the strategy */
	SCHED_FSM_DO_FINAL = 1u << 5,	  /* FINAL reached: stop or restart */
	SCHED_FSM_DO_PUBLISH = 1u << 6,	  /* our record changed */
};

/* What the caller knows that the machine needs. */
struct sched_fsm_work {
	bool idle;	/* no job in the sequencer */
	bool conflicts; /* some managed process runs on several instances */
	bool concil_user; /* conciliation_strategy is USER */
};

struct sched_fsm;

struct sched_fsm *sched_fsm_new(const struct sched_fsm_conf *c,
				const struct sched_view *v, int64_t now);
struct sched_fsm *sched_fsm_free(struct sched_fsm *f);

/* The record INST published (ignored for the local instance). */
void sched_fsm_set_peer(struct sched_fsm *f, uint32_t inst,
			const struct sched_fsm_peer *p);
/* Forgets INST's record (it left or restarted). */
void sched_fsm_forget_peer(struct sched_fsm *f, uint32_t inst);
const struct sched_fsm_peer *sched_fsm_peer(const struct sched_fsm *f,
					    uint32_t inst);
/* Our own record, to publish. */
void sched_fsm_record(const struct sched_fsm *f, const struct sched_view *v,
		      struct sched_fsm_peer *ret);

unsigned sched_fsm_step(struct sched_fsm *f, const struct sched_view *v,
			const struct sched_fsm_work *w, int64_t now);

/* USER synchro (Supvisors' end_sync): MASTER (SCHED_NONE: the election's
 * choice among the instances RUNNING now) becomes the declared master.
 * -EINVAL when MASTER is not RUNNING, -EALREADY when the cluster is past
 * SYNCHRONIZATION. */
int sched_fsm_end_sync(struct sched_fsm *f, const struct sched_view *v,
		       uint32_t master);
/* The master's SHUTTING_DOWN or RESTARTING.  -EPERM when not the master,
 * -EAGAIN when the state does not allow it (Supvisors' table),
 * -EALREADY when already there. */
int sched_fsm_request(struct sched_fsm *f, enum sched_cstate to,
		      unsigned *ret_bits);

enum sched_cstate sched_fsm_state(const struct sched_fsm *f);
/* SCHED_NONE while none is elected. */
uint32_t sched_fsm_master(const struct sched_fsm *f);
bool sched_fsm_is_master(const struct sched_fsm *f);
/* A synchro condition among STRICT, LIST, CORE does not hold. */
bool sched_fsm_degraded(const struct sched_fsm *f);
/* CHECKED instances may become RUNNING (not during DISTRIBUTION). */
bool sched_fsm_may_activate(const struct sched_fsm *f);
/* What FINAL means: SCHED_CS_RESTARTING or SCHED_CS_SHUTTING_DOWN. */
enum sched_cstate sched_fsm_final_kind(const struct sched_fsm *f);
/* The reason of the last transition ("" at first). */
const char *sched_fsm_reason(const struct sched_fsm *f);

/* Order-independent digest of the set of RUNNING instances of V. */
uint64_t sched_fsm_running_hash(const struct sched_view *v);

#endif
