/*
 * sched/failure: what the master does when a process crashes or an
 * instance is lost (running failures, reference/supvisors.md 5.7-5.8),
 * and how conflicts are resolved (conciliation, 3.4).  Pure decisions
 * over the view; the sequencer carries them out.
 *
 * Crash (FATAL, or EXITED with an unexpected code, reported by the
 * owning instance): the process' running_failure_strategy RESTART or
 * SHUTDOWN asks for a cluster restart or shutdown (an action);
 * STOP_APPLICATION and RESTART_APPLICATION are queued, unless the state
 * is a forced one (no restart loop after "No resource available");
 * RESTART_PROCESS and CONTINUE do nothing: a local restart is
 * autorestart's business.
 *
 * Instance loss: for every process that ran only on the lost instance,
 * its strategy is queued; SHUTDOWN and RESTART are ignored there, as in
 * Supvisors.  Unlike Supvisors, this holds when the lost instance was the
 * master too: the new master calls sched_fail_instance_lost() for it.
 *
 * The queue keeps at most one decision per application, by priority
 * STOP_APPLICATION > RESTART_APPLICATION > RESTART_PROCESS > CONTINUE: a
 * stop swallows everything else of the application, a restart swallows
 * the process restarts of processes in the application's start sequence
 * (start_sequence > 0).  A RESTART_PROCESS is promoted to
 * RESTART_APPLICATION when the application is fully stopped and the
 * process is in its start sequence.  Decisions for an application busy in
 * the sequencer wait (sched_fail_run retries them each call).
 *
 * Ownership: the queue owns its arrays; sched_failq_free() accepts NULL
 * and returns NULL.
 */
#ifndef SCHED_FAILURE_H
#define SCHED_FAILURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/rules.h"
#include "sched/action.h"

struct sched_view;
struct sched_seq;

struct sched_fail_job {
	enum rl_running_failure what; /* CONTINUE .. RESTART_APPLICATION */
	uint32_t app;
	uint32_t proc; /* RESTART_PROCESS and CONTINUE; else SCHED_NONE */
};

struct sched_failq;

struct sched_failq *sched_failq_new(void);
struct sched_failq *sched_failq_free(struct sched_failq *q);
size_t sched_failq_len(const struct sched_failq *q);
const struct sched_fail_job *sched_failq_job(const struct sched_failq *q,
					     size_t i);
void sched_failq_clear(struct sched_failq *q);

/* Queues STRATEGY for PROC with the priorities above. */
void sched_failq_add(struct sched_failq *q, const struct sched_view *v,
		     uint32_t proc, enum rl_running_failure strategy);

/* A crash of PROC (call after the view update).  May append SHUTDOWN or
 * RESTART to OUT. */
void sched_fail_crash(struct sched_failq *q, const struct sched_view *v,
		      uint32_t proc, struct sched_actions *out);
/* INST was lost: LOST/NLOST as sched_view_lose_instance() returned. */
void sched_fail_instance_lost(struct sched_failq *q,
			      const struct sched_view *v,
			      const uint32_t *lost, size_t nlost);

/* Carries out the queued decisions whose application is not busy in the
 * sequencer: STOP_APPLICATION -> sched_seq_stop_app, RESTART_APPLICATION
 * -> sched_seq_restart_app, RESTART_PROCESS -> sched_seq_start_process
 * with the application's strategy (the lost instance is not RUNNING, so
 * it is not a candidate), CONTINUE -> nothing.  Returns how many were
 * carried out; the others stay queued. */
size_t sched_fail_run(struct sched_failq *q, struct sched_seq *s,
		      struct sched_view *v, int64_t now,
		      struct sched_actions *out);

/* ------------------------------------------------------------ conflicts */

enum sched_concil_then {
	SCHED_CONCIL_NOTHING,
	SCHED_CONCIL_START,	  /* RESTART: start one copy afterwards */
	SCHED_CONCIL_RUNNING_FAILURE, /* apply running_failure_strategy */
};

/* The copies of conflicting PROC to stop under STRATEGY, into RET_STOP
 * (room for ninstances), and what follows.  SENICIDE keeps the youngest
 * (smallest uptime) copy, INFANTICIDE the oldest, ties going to the first
 * in instance order; USER stops nothing; STOP, RESTART and
 * RUNNING_FAILURE stop every copy.  Returns the count (0 when PROC is
 * not in conflict). */
size_t sched_conciliate(const struct sched_view *v, uint32_t proc,
			enum rl_conciliation strategy, uint32_t *ret_stop,
			enum sched_concil_then *ret_then);

/* Applies STRATEGY to every conflict: stops through the sequencer;
 * RESTART restarts the process (stop all copies, start one);
 * RUNNING_FAILURE stops all copies and queues the process' strategy in Q
 * (run once the stops are done).  Processes or applications busy in the
 * sequencer are skipped (the caller retries).  Returns the number of
 * conflicts acted upon. */
size_t sched_conciliate_all(struct sched_view *v, struct sched_seq *s,
			    struct sched_failq *q,
			    enum rl_conciliation strategy, int64_t now,
			    struct sched_actions *out);

#endif
