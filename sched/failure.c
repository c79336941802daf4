/*
 * Running failures and conciliation.  See failure.h; the queue rules are
 * Supvisors' RunningFailureHandler.add_job, restated in
 * reference/supvisors.md 5.7-5.8.
 */
#include "sched/failure.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "sched/app.h"
#include "sched/seq.h"
#include "sched/view.h"

struct sched_failq {
	struct sched_fail_job *v;
	size_t n, cap;
};

struct sched_failq *
sched_failq_new(void)
{
	return xcalloc(1, sizeof(struct sched_failq));
}

struct sched_failq *
sched_failq_free(struct sched_failq *q)
{
	if (q == NULL)
		return NULL;
	free(q->v);
	free(q);
	return NULL;
}

size_t
sched_failq_len(const struct sched_failq *q)
{
	return q->n;
}

const struct sched_fail_job *
sched_failq_job(const struct sched_failq *q, size_t i)
{
	return i < q->n ? &q->v[i] : NULL;
}

void
sched_failq_clear(struct sched_failq *q)
{
	q->n = 0;
}

static bool
has(const struct sched_failq *q, enum rl_running_failure what, uint32_t app,
    uint32_t proc)
{
	size_t i;

	for (i = 0; i < q->n; i++)
		if (q->v[i].what == what && q->v[i].app == app &&
		    (proc == SCHED_NONE || q->v[i].proc == proc))
			return true;
	return false;
}

static void
push(struct sched_failq *q, enum rl_running_failure what, uint32_t app,
     uint32_t proc)
{
	if (q->n == q->cap) {
		q->cap = q->cap ? q->cap * 2 : 8;
		q->v = xreallocarray(q->v, q->cap, sizeof(*q->v));
	}
	q->v[q->n++] = (struct sched_fail_job){what, app, proc};
}

static bool
in_start_sequence(const struct sched_view *v, uint32_t proc)
{
	const struct sched_process *p = sched_view_process(v, proc);

	return p->program && p->program->start_sequence > 0;
}

/* Drops the process-level jobs of APP's processes in its start
 * sequence (what a restart of the application covers). */
static void
drop_sequenced_jobs(struct sched_failq *q, const struct sched_view *v,
		    uint32_t app)
{
	size_t i, k = 0;

	for (i = 0; i < q->n; i++) {
		const struct sched_fail_job *j = &q->v[i];
		bool drop = j->app == app && j->proc != SCHED_NONE &&
			    in_start_sequence(v, j->proc);
		if (!drop)
			q->v[k++] = q->v[i];
	}
	q->n = k;
}

static void
drop_job(struct sched_failq *q, enum rl_running_failure what, uint32_t proc)
{
	size_t i, k = 0;

	for (i = 0; i < q->n; i++)
		if (q->v[i].what != what || q->v[i].proc != proc)
			q->v[k++] = q->v[i];
	q->n = k;
}

static void
drop_app(struct sched_failq *q, uint32_t app)
{
	size_t i, k = 0;

	for (i = 0; i < q->n; i++)
		if (q->v[i].app != app)
			q->v[k++] = q->v[i];
	q->n = k;
}

void
sched_failq_add(struct sched_failq *q, const struct sched_view *v,
		uint32_t proc, enum rl_running_failure strategy)
{
	const struct sched_process *p = sched_view_process(v, proc);
	uint32_t app;

	if (p == NULL || p->program == NULL)
		return;
	app = p->app;
	if (has(q, RL_RUNNING_STOP_APPLICATION, app, SCHED_NONE))
		return;
	switch (strategy) {
	case RL_RUNNING_STOP_APPLICATION:
		drop_app(q, app);
		push(q, strategy, app, SCHED_NONE);
		return;
	case RL_RUNNING_RESTART_PROCESS:
		if (in_start_sequence(v, proc)) {
			if (has(q, RL_RUNNING_RESTART_APPLICATION, app,
				SCHED_NONE))
				return;
			if (sched_app_fully_stopped(v, app)) {
				/* promotion */
				sched_failq_add(q, v, proc,
						RL_RUNNING_RESTART_APPLICATION);
				return;
			}
		}
		if (has(q, RL_RUNNING_RESTART_PROCESS, app, proc))
			return;
		drop_job(q, RL_RUNNING_CONTINUE, proc);
		push(q, strategy, app, proc);
		return;
	case RL_RUNNING_RESTART_APPLICATION:
		if (has(q, RL_RUNNING_RESTART_APPLICATION, app, SCHED_NONE))
			return;
		drop_sequenced_jobs(q, v, app);
		push(q, strategy, app, SCHED_NONE);
		return;
	case RL_RUNNING_CONTINUE:
		if (has(q, RL_RUNNING_RESTART_APPLICATION, app, SCHED_NONE) ||
		    has(q, RL_RUNNING_RESTART_PROCESS, app, proc) ||
		    has(q, RL_RUNNING_CONTINUE, app, proc))
			return;
		push(q, strategy, app, proc);
		return;
	default:
		/* SHUTDOWN and RESTART act at once (crash) or not at all */
		return;
	}
}

void
sched_fail_crash(struct sched_failq *q, const struct sched_view *v,
		 uint32_t proc, struct sched_actions *out)
{
	const struct sched_process *p = sched_view_process(v, proc);
	struct sched_action a = {0};

	if (p == NULL || p->program == NULL)
		return;
	a.proc = proc;
	a.inst = SCHED_NONE;
	a.app = p->app;
	a.parent = SCHED_NONE;
	a.reason = "";
	switch (p->program->running_failure_strategy) {
	case RL_RUNNING_RESTART:
		a.kind = SCHED_ACT_RESTART;
		sched_actions_push(out, &a);
		return;
	case RL_RUNNING_SHUTDOWN:
		a.kind = SCHED_ACT_SHUTDOWN;
		sched_actions_push(out, &a);
		return;
	case RL_RUNNING_STOP_APPLICATION:
	case RL_RUNNING_RESTART_APPLICATION:
		/* a forced state is ours (no resource, timeout): acting on
		 * it would loop */
		if (!p->forced)
			sched_failq_add(q, v, proc,
					p->program->running_failure_strategy);
		return;
	default:
		return;
	}
}

void
sched_fail_instance_lost(struct sched_failq *q, const struct sched_view *v,
			 const uint32_t *lost, size_t nlost)
{
	size_t i;

	for (i = 0; i < nlost; i++) {
		const struct sched_process *p = sched_view_process(v, lost[i]);
		if (p && p->program)
			sched_failq_add(q, v, lost[i],
					p->program->running_failure_strategy);
	}
}

size_t
sched_fail_run(struct sched_failq *q, struct sched_seq *s,
	       struct sched_view *v, int64_t now, struct sched_actions *out)
{
	size_t i, k = 0, done = 0;

	for (i = 0; i < q->n; i++) {
		struct sched_fail_job j = q->v[i];
		int r = 0;

		if (sched_seq_app_busy(s, j.app)) {
			q->v[k++] = j;
			continue;
		}
		switch (j.what) {
		case RL_RUNNING_STOP_APPLICATION:
			r = sched_seq_stop_app(s, v, j.app, now, out, NULL);
			break;
		case RL_RUNNING_RESTART_APPLICATION:
			r = sched_seq_restart_app(s, v, j.app,
						  SCHED_STRATEGY_DEFAULT, now,
						  out, NULL);
			break;
		case RL_RUNNING_RESTART_PROCESS:
			r = sched_seq_start_process(s, v, j.proc,
						    SCHED_STRATEGY_DEFAULT,
						    SCHED_NONE, now, out, NULL);
			break;
		default:
			break;
		}
		if (r == -EBUSY) {
			q->v[k++] = j;
			continue;
		}
		done++;
	}
	q->n = k;
	return done;
}

/* ------------------------------------------------------------ conflicts */

size_t
sched_conciliate(const struct sched_view *v, uint32_t proc,
		 enum rl_conciliation strategy, uint32_t *ret_stop,
		 enum sched_concil_then *ret_then)
{
	size_t ni = sched_view_ninstances(v), n, i, k = 0, keep = 0;
	uint32_t *run;

	*ret_then = SCHED_CONCIL_NOTHING;
	if (!sched_view_conflict(v, proc) || strategy == RL_CONCILIATION_USER)
		return 0;
	run = xcalloc(ni + 1, sizeof(*run));
	n = sched_view_running_instances(v, proc, run);
	if (strategy == RL_CONCILIATION_SENICIDE ||
	    strategy == RL_CONCILIATION_INFANTICIDE) {
		for (i = 1; i < n; i++) {
			int64_t a = sched_view_pinfo(v, proc, run[i])->start_ms;
			int64_t b = sched_view_pinfo(v, proc, run[keep])
					    ->start_ms;
			/* youngest = started last */
			if (strategy == RL_CONCILIATION_SENICIDE ? a > b
								 : a < b)
				keep = i;
		}
		for (i = 0; i < n; i++)
			if (i != keep)
				ret_stop[k++] = run[i];
	} else {
		/* STOP, RESTART, RUNNING_FAILURE: every copy */
		for (i = 0; i < n; i++)
			ret_stop[k++] = run[i];
		if (strategy == RL_CONCILIATION_RESTART)
			*ret_then = SCHED_CONCIL_START;
		else if (strategy == RL_CONCILIATION_RUNNING_FAILURE)
			*ret_then = SCHED_CONCIL_RUNNING_FAILURE;
	}
	free(run);
	return k;
}

size_t
sched_conciliate_all(struct sched_view *v, struct sched_seq *s,
		     struct sched_failq *q, enum rl_conciliation strategy,
		     int64_t now, struct sched_actions *out)
{
	size_t np = sched_view_nprocesses(v), ni = sched_view_ninstances(v);
	uint32_t *stop = xcalloc(ni + 1, sizeof(*stop));
	size_t i, n, acted = 0;

	for (i = 0; i < np; i++) {
		const struct sched_process *p = sched_view_process(v,
								   (uint32_t)i);
		enum sched_concil_then then;
		int r;

		if (!sched_view_conflict(v, (uint32_t)i) ||
		    sched_seq_app_busy(s, p->app))
			continue;
		n = sched_conciliate(v, (uint32_t)i, strategy, stop, &then);
		if (n == 0)
			continue;
		if (then == SCHED_CONCIL_START)
			r = sched_seq_restart_process(s, v, (uint32_t)i,
						      SCHED_STRATEGY_DEFAULT,
						      now, out, NULL);
		else
			r = sched_seq_stop_copies(s, v, (uint32_t)i, stop, n,
						  now, out, NULL);
		if (r < 0)
			continue;
		if (then == SCHED_CONCIL_RUNNING_FAILURE)
			sched_failq_add(q, v, (uint32_t)i,
					p->program->running_failure_strategy);
		acted++;
	}
	free(stop);
	return acted;
}
