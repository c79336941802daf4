/*
 * The action list: a growable array of records.  See action.h.
 */
#include "sched/action.h"

#include <stdlib.h>

#include "core/util.h"

static const char *const kind_names[_SCHED_ACT_MAX] = {
	"START", "STOP", "FORCE", "JOB_DONE", "SHUTDOWN", "RESTART",
};

const char *
sched_action_kind_to_string(enum sched_action_kind k)
{
	return (unsigned)k < _SCHED_ACT_MAX ? kind_names[k] : NULL;
}

int
sched_action_kind_from_string(const char *s)
{
	return sched_name_lookup(kind_names, _SCHED_ACT_MAX, s);
}

void
sched_actions_push(struct sched_actions *a, const struct sched_action *x)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 16;
		a->v = xreallocarray(a->v, a->cap, sizeof(*a->v));
	}
	a->v[a->n++] = *x;
}

void
sched_actions_reset(struct sched_actions *a)
{
	a->n = 0;
}

void
sched_actions_done(struct sched_actions *a)
{
	free(a->v);
	a->v = NULL;
	a->n = 0;
	a->cap = 0;
}
