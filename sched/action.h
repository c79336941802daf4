/*
 * sched/action: what the decision core asks its caller to do.  The
 * sequencer and the failure handlers append actions to a caller-owned
 * list; the caller (core/) carries them out (spawn, kill, forward to a
 * peer, publish), then feeds the resulting process events back.
 *
 * Ownership: the list owns its array; reason strings are static.
 * sched_actions_done() frees the array and leaves an empty list.
 */
#ifndef SCHED_ACTION_H
#define SCHED_ACTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sched/view.h"

enum sched_action_kind {
	/* start PROC on INST; LOAD is reserved in the view for it */
	SCHED_ACT_START,
	/* stop PROC on INST */
	SCHED_ACT_STOP,
	/* show PROC as STATE with REASON (a forced state, already set in
	 * the view; the caller publishes it) */
	SCHED_ACT_FORCE,
	/* JOB (of APP, SCHED_NONE for a global job) ended; OK false when a
	 * process failed to start or a stop timed out */
	SCHED_ACT_JOB_DONE,
	/* the whole cluster: Supvisors' shutdown and restart */
	SCHED_ACT_SHUTDOWN,
	SCHED_ACT_RESTART,
	_SCHED_ACT_MAX,
};

struct sched_action {
	enum sched_action_kind kind;
	uint32_t proc;
	uint32_t inst;
	uint32_t app;
	uint32_t job;
	uint32_t parent; /* JOB_DONE: the job that started this one */
	unsigned load;
	enum sched_proc_state state;
	const char *reason; /* static; "" when none */
	bool ok;
};

struct sched_actions {
	struct sched_action *v;
	size_t n;
	size_t cap;
};

#define SCHED_ACTIONS_INIT {NULL, 0, 0}

const char *sched_action_kind_to_string(enum sched_action_kind k);
int sched_action_kind_from_string(const char *s);
void sched_actions_push(struct sched_actions *a, const struct sched_action *x);
/* Empties the list, keeps the array. */
void sched_actions_reset(struct sched_actions *a);
void sched_actions_done(struct sched_actions *a);

#endif
