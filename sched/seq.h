/*
 * sched/seq: start and stop sequences as state machines
 * (reference/supvisors.md 5.3-5.6).  Input: the view, commands, process
 * events and the time; output: actions (sched/action.h).  No clock, no
 * I/O: the caller passes NOW (ms, monotonic) and arms one timer at
 * sched_seq_next_deadline().
 *
 * Jobs:
 *   application start  ranks of program start_sequence ascending (rank 0
 *       never started); every stopped process of a rank is placed and
 *       started at once, one after the other so that reservations
 *       accumulate; the next rank begins when every process of the rank
 *       has completed (success, failure or timeout).  Running processes
 *       are left alone and count as started.  A process with wait_exit
 *       completes on an EXITED with an expected code, fails on any other
 *       exit, and fails after wait_exit_timeout when it is not 0 (0 waits
 *       forever, as Supvisors).  When a required process (start_sequence
 *       > 0) fails, its program's starting_failure_strategy applies:
 *       ABORT drops the ranks not yet launched (in-flight processes run to
 *       completion), STOP does the same and then stops the application,
 *       CONTINUE goes on.  Failures of other processes always continue.
 *       A process with no valid instance is forced FATAL "No resource
 *       available" and fails.
 *   application stop   ranks of stop_sequence descending, every running
 *       copy (all instances) of a rank stopped at once; a process is done
 *       on any stopped state.
 *   restart            stop, then start, as one job.
 *   process start/stop a single process (wait_exit ignored, as
 *       Supvisors' start_process).
 *   start all          Supvisors' DISTRIBUTION: applications with
 *       start_sequence > 0 that were never started or have a failure,
 *       grouped by application start_sequence ascending, the applications
 *       of a group in parallel, the next group when all are done.
 *   stop all           every application with a running process, grouped
 *       by stop_sequence descending.
 * The global jobs skip applications already in a job (Supvisors runs them
 * only when no job is in progress): for a shutdown, sched_seq_abort()
 * first.
 *
 * Distribution: ALL_INSTANCES places each process when its rank starts;
 * SINGLE_INSTANCE chooses one instance for the application (the one it
 * already runs on, else by the strategy for the summed expected load of
 * the stopped sequenced processes) and checks each process against it;
 * SINGLE_NODE chooses a node the same way and places each process among
 * that node's candidates.  Reservations are made in the view, so every
 * job and every other caller sees them (Supvisors counts only its own
 * job's: we fix that).
 *
 * Timeouts, in milliseconds rather than Supvisors' 5 s ticks:
 *   start requested -> STARTING (or BACKOFF/RUNNING) seen within margin;
 *   STARTING/BACKOFF -> RUNNING within startsecs + margin (a BACKOFF
 *   restarts the count, as Supvisors);
 *   stop requested -> STOPPING or a stopped state within margin;
 *   STOPPING -> stopped within stopwaitsecs + margin.
 * The margin stands for Supvisors' max(2, n/10) ticks of 5 s, i.e. the
 * delivery and scheduling slack of a request: sched_seq_conf_default()
 * takes 3 s plus 1 s per 10 instances (the request and its answer cross
 * the network once each, and a node's event loop may be busy with a
 * burst of spawns).  A start timeout forces the process FATAL "process
 * STARTING event not received in time" (or RUNNING, EXITED) and is a
 * failure; a stop timeout forces STOPPED with the same kind of reason.
 * An instance lost with requests in flight fails its starts (starting
 * failure, not running failure) and completes its stops.
 *
 * Ownership: the sequencer keeps ids, never pointers into the view; the
 * view must be the same object for the sequencer's life (rebuild both on
 * reload).  sched_seq_free() accepts NULL and returns NULL.
 */
#ifndef SCHED_SEQ_H
#define SCHED_SEQ_H

#include <stdbool.h>
#include <stdint.h>

#include "rules/rules.h"
#include "sched/action.h"

struct sched_view;
struct sched_why;
struct strbuf;

/* Use the application's own starting_strategy. */
#define SCHED_STRATEGY_DEFAULT ((enum rl_strategy)_RL_STRATEGY_MAX)

struct sched_seq_conf {
	int64_t margin_ms;
	enum rl_load_source load_source;
};

void sched_seq_conf_default(struct sched_seq_conf *c, size_t ninstances);

struct sched_seq;

struct sched_seq *sched_seq_new(const struct sched_seq_conf *c);
struct sched_seq *sched_seq_free(struct sched_seq *s);

/* Commands.  0 and *RET_JOB (may be NULL) set, or: -ENOENT unknown id,
 * -EBUSY the application (or process) is already in a job, -EALREADY
 * nothing to do (process running for a start, stopped for a stop; an
 * application start or stop always makes a job, which may end at once).
 * Actions are appended to OUT; a job can end within the call. */
int sched_seq_start_app(struct sched_seq *s, struct sched_view *v,
			uint32_t app, enum rl_strategy strategy, int64_t now,
			struct sched_actions *out, uint32_t *ret_job);
int sched_seq_stop_app(struct sched_seq *s, struct sched_view *v,
		       uint32_t app, int64_t now, struct sched_actions *out,
		       uint32_t *ret_job);
int sched_seq_restart_app(struct sched_seq *s, struct sched_view *v,
			  uint32_t app, enum rl_strategy strategy, int64_t now,
			  struct sched_actions *out, uint32_t *ret_job);
/* INST: start there (still checked: running, not disabled, capacity);
 * SCHED_NONE: place by the strategy. */
int sched_seq_start_process(struct sched_seq *s, struct sched_view *v,
			    uint32_t proc, enum rl_strategy strategy,
			    uint32_t inst, int64_t now,
			    struct sched_actions *out, uint32_t *ret_job);
/* Stops every running copy. */
int sched_seq_stop_process(struct sched_seq *s, struct sched_view *v,
			   uint32_t proc, int64_t now,
			   struct sched_actions *out, uint32_t *ret_job);
/* Stops the copies on INSTS only (conciliation), as one job. */
int sched_seq_stop_copies(struct sched_seq *s, struct sched_view *v,
			  uint32_t proc, const uint32_t *insts, size_t n,
			  int64_t now, struct sched_actions *out,
			  uint32_t *ret_job);
/* Stops every copy, then starts one (placement re-evaluated). */
int sched_seq_restart_process(struct sched_seq *s, struct sched_view *v,
			      uint32_t proc, enum rl_strategy strategy,
			      int64_t now, struct sched_actions *out,
			      uint32_t *ret_job);
int sched_seq_start_all(struct sched_seq *s, struct sched_view *v,
			int64_t now, struct sched_actions *out,
			uint32_t *ret_job);
int sched_seq_stop_all(struct sched_seq *s, struct sched_view *v,
		       int64_t now, struct sched_actions *out,
		       uint32_t *ret_job);

/* Events, after the view was updated (sched_view_process_event,
 * sched_view_lose_instance). */
void sched_seq_process_event(struct sched_seq *s, struct sched_view *v,
			     uint32_t proc, uint32_t inst, int64_t now,
			     struct sched_actions *out);
void sched_seq_instance_lost(struct sched_seq *s, struct sched_view *v,
			     uint32_t inst, int64_t now,
			     struct sched_actions *out);
/* INST refused the START of PROC (its own admission check found no
 * room, DESIGN.md 7.3): the start is placed again without it, or fails
 * with "No resource available" when no candidate is left. */
void sched_seq_start_refused(struct sched_seq *s, struct sched_view *v,
			     uint32_t proc, uint32_t inst, int64_t now,
			     struct sched_actions *out);
/* Timeouts due at NOW. */
void sched_seq_tick(struct sched_seq *s, struct sched_view *v, int64_t now,
		    struct sched_actions *out);
/* The earliest deadline, INT64_MAX when nothing waits on time. */
int64_t sched_seq_next_deadline(const struct sched_seq *s);
/* Drops every job (Supvisors aborts jobs on entering SYNCHRONIZATION or
 * ELECTION); releases their reservations.  No JOB_DONE is emitted. */
void sched_seq_abort(struct sched_seq *s, struct sched_view *v);

/* ------------------------------------------------------------ dry run
 * sched_seq_plan() predicts where a start would put every process, as
 * Supvisors' test_start_application/test_start_process: the same
 * placement code as a real start, ranks in order, each placement
 * reserving its load for the next ones (as if every process started),
 * then every reservation and '#'/'@' assignment it made is undone.  APP
 * with PROC SCHED_NONE plans the application; PROC plans one process.
 * Each entry says why each instance was not chosen. */
struct sched_plan_entry {
	uint32_t proc;
	uint32_t inst;	    /* SCHED_NONE: no placement */
	const char *reason; /* static: see sched_seq_plan() */
	struct sched_why *why; /* ninstances entries; NULL if not placed */
};

struct sched_plan {
	size_t n;
	struct sched_plan_entry *v;
	size_t ninstances;
};

#define SCHED_PLAN_INIT {0, NULL, 0}

/* Reasons: "placed", "already running", "start in progress",
 * "No resource available".  -ENOENT for unknown ids. */
int sched_seq_plan(struct sched_view *v, const struct sched_seq_conf *c,
		   uint32_t app, uint32_t proc, enum rl_strategy strategy,
		   struct sched_plan *ret);
void sched_plan_done(struct sched_plan *p);
/* {"placements":[{"namespec","instance"|null,"reason","excluded":
 * [{"instance","reason"}]}]} (DESIGN.md 8; "excluded" added). */
void sched_plan_to_json(const struct sched_view *v,
			const struct sched_plan *p, struct strbuf *out);

bool sched_seq_idle(const struct sched_seq *s);
/* An application job, or a process job of one of its processes. */
bool sched_seq_app_busy(const struct sched_seq *s, uint32_t app);
bool sched_seq_job_active(const struct sched_seq *s, uint32_t job);

#endif
