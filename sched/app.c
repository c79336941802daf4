/*
 * Application state and failures.  See app.h; the rules are Supvisors'
 * ApplicationStatus.update_status, restated in reference/supvisors.md 3.
 */
#include "sched/app.h"

#include <errno.h>
#include <stdlib.h>

#include "core/util.h"
#include "rules/formula.h"
#include "sched/view.h"

static const char *const app_state_names[_SCHED_APP_MAX] = {
	"STOPPED", "STARTING", "RUNNING", "STOPPING",
};

const char *
sched_app_state_to_string(enum sched_app_state s)
{
	return (unsigned)s < _SCHED_APP_MAX ? app_state_names[s] : NULL;
}

int
sched_app_state_from_string(const char *s)
{
	return sched_name_lookup(app_state_names, _SCHED_APP_MAX, s);
}

static bool
state_crashed(enum sched_proc_state s, bool expected_exit)
{
	return s == SCHED_PROC_FATAL || s == SCHED_PROC_UNKNOWN ||
	       (s == SCHED_PROC_EXITED && !expected_exit);
}

bool
sched_proc_crashed(const struct sched_view *v, uint32_t proc)
{
	const struct sched_process *p = sched_view_process(v, proc);

	if (p == NULL)
		return false;
	return state_crashed(sched_view_display_state(v, proc),
			     p->forced ? false : p->expected_exit);
}

enum sched_app_state
sched_app_state(const struct sched_view *v, uint32_t app)
{
	const struct sched_app *a = sched_view_app(v, app);
	bool starting = false, running = false;
	size_t i;

	if (a == NULL)
		return SCHED_APP_STOPPED;
	for (i = 0; i < a->nprocs; i++) {
		switch (sched_view_display_state(v, a->procs[i])) {
		case SCHED_PROC_STOPPING:
			return SCHED_APP_STOPPING;
		case SCHED_PROC_STARTING:
		case SCHED_PROC_BACKOFF:
			starting = true;
			break;
		case SCHED_PROC_RUNNING:
			running = true;
			break;
		default:
			break;
		}
	}
	if (starting)
		return SCHED_APP_STARTING;
	return running ? SCHED_APP_RUNNING : SCHED_APP_STOPPED;
}

/* Values on the stack up to this many processes, else on the heap: the
 * formula path is the only allocation here. */
#define STACK_VALUES 256

static void
formula_failures(const struct sched_view *v, const struct sched_app *a,
		 struct sched_app_status *st)
{
	bool stack[STACK_VALUES];
	bool *values = a->nprocs <= STACK_VALUES
			       ? stack
			       : xcalloc(a->nprocs, sizeof(*values));
	size_t i;
	int r;

	for (i = 0; i < a->nprocs; i++) {
		const struct sched_process *p = sched_view_process(v,
								   a->procs[i]);
		enum sched_proc_state s = sched_view_display_state(v,
								   a->procs[i]);
		values[i] = sched_proc_state_loading(s) ||
			    (s == SCHED_PROC_EXITED && !p->forced &&
			     p->expected_exit);
	}
	r = rl_formula_eval(a->formula, values);
	if (values != stack)
		free(values);
	if (r < 0)
		st->formula_error = true;
	if (st->state != SCHED_APP_STOPPED && r <= 0)
		st->major_failure = true;
	if (!st->major_failure)
		for (i = 0; i < a->nprocs; i++)
			if (sched_proc_crashed(v, a->procs[i]))
				st->minor_failure = true;
}

static void
legacy_failures(const struct sched_view *v, const struct sched_app *a,
		struct sched_app_status *st)
{
	bool possible_major = false;
	size_t i;

	for (i = 0; i < a->nprocs; i++) {
		const struct sched_process *p = sched_view_process(v,
								   a->procs[i]);
		bool required = p->program && p->program->required &&
				p->program->start_sequence > 0;
		if (sched_proc_crashed(v, a->procs[i])) {
			if (required)
				st->major_failure = true;
			else
				st->minor_failure = true;
		} else if (sched_view_display_state(v, a->procs[i]) ==
				   SCHED_PROC_STOPPED &&
			   required) {
			possible_major = true;
		}
	}
	if (possible_major && st->state != SCHED_APP_STOPPED)
		st->major_failure = true;
	if (st->major_failure)
		st->minor_failure = false;
}

int
sched_app_status(const struct sched_view *v, uint32_t app,
		 struct sched_app_status *ret)
{
	const struct sched_app *a = sched_view_app(v, app);
	struct sched_app_status st = {0};

	if (a == NULL)
		return -ENOENT;
	st.state = sched_app_state(v, app);
	if (a->formula)
		formula_failures(v, a, &st);
	else
		legacy_failures(v, a, &st);
	*ret = st;
	return 0;
}

const char *
sched_app_operational(const struct sched_app_status *st)
{
	if (st->state != SCHED_APP_RUNNING)
		return "";
	if (st->major_failure)
		return "Not Operational";
	return st->minor_failure ? "Degraded" : "Operational";
}

bool
sched_app_fully_stopped(const struct sched_view *v, uint32_t app)
{
	const struct sched_app *a = sched_view_app(v, app);
	size_t i;

	if (a == NULL)
		return true;
	for (i = 0; i < a->nprocs; i++)
		if (sched_view_process(v, a->procs[i])->nrunning > 0)
			return false;
	return true;
}
