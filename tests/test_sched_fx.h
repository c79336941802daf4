/*
 * Fixtures for the sched/ unit tests: rules records (struct rl_*) built by
 * hand, as rules_load() would return them, and a view over them.  Every
 * allocation goes into one arena freed by fx_reset(), so tests stay leak
 * free under ASan.
 */
#ifndef TESTS_TEST_SCHED_FX_H
#define TESTS_TEST_SCHED_FX_H

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "rules/rules.h"
#include "sched/action.h"
#include "sched/view.h"

#define FX_UNUSED __attribute__((unused))

static struct {
	void **p;
	size_t n, cap;
} fx_arena;

static FX_UNUSED void *
fx_alloc(size_t n)
{
	void *p = xcalloc(1, n ? n : 1);

	if (fx_arena.n == fx_arena.cap) {
		fx_arena.cap = fx_arena.cap ? fx_arena.cap * 2 : 64;
		fx_arena.p = xreallocarray(fx_arena.p, fx_arena.cap,
					   sizeof(*fx_arena.p));
	}
	fx_arena.p[fx_arena.n++] = p;
	return p;
}

static FX_UNUSED char *
fx_str(const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	char *s;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	s = fx_alloc(sb.len + 1);
	memcpy(s, strbuf_str(&sb), sb.len + 1);
	strbuf_done(&sb);
	return s;
}

static FX_UNUSED void
fx_reset(void)
{
	size_t i;

	for (i = 0; i < fx_arena.n; i++)
		free(fx_arena.p[i]);
	free(fx_arena.p);
	memset(&fx_arena, 0, sizeof(fx_arena));
}

/* "n1,n2,t:front" -> names and tags (t: prefix); "*" -> all; a leading
 * "#" or "@" sets the sign.  NULL or "" -> all. */
static FX_UNUSED void
fx_ids(struct rl_identifiers *ids, const char *spec)
{
	struct rl_ident *v;
	char *copy, *tok, *save = NULL;
	size_t n = 0;

	memset(ids, 0, sizeof(*ids));
	if (spec == NULL || *spec == '\0') {
		ids->all = true;
		return;
	}
	if (*spec == '#' || *spec == '@') {
		ids->sign = *spec == '#' ? RL_SIGN_HASH : RL_SIGN_AT;
		spec++;
		if (*spec == ',')
			spec++;
		if (*spec == '\0') {
			ids->all = true;
			return;
		}
	}
	v = fx_alloc(64 * sizeof(*v));
	copy = fx_str("%s", spec);
	for (tok = strtok_r(copy, ",", &save); tok && n < 64;
	     tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, "*") == 0) {
			ids->all = true;
			continue;
		}
		if (strncmp(tok, "t:", 2) == 0) {
			v[n].kind = RL_IDENT_TAG;
			v[n].name = tok + 2;
		} else {
			v[n].kind = RL_IDENT_INSTANCE;
			v[n].name = tok;
		}
		n++;
	}
	if (ids->all)
		n = 0;
	ids->n = n;
	ids->v = v;
}

static FX_UNUSED struct rl_application *
fx_app(const char *name, enum rl_distribution dist, size_t nprograms)
{
	struct rl_application *a = fx_alloc(sizeof(*a));

	a->name = fx_str("%s", name);
	a->distribution = dist;
	a->identifiers.all = true;
	a->start_sequence = 1;
	a->stop_sequence = 1;
	a->starting_strategy = RL_STRATEGY_CONFIG;
	a->starting_failure_strategy = RL_STARTING_ABORT;
	a->running_failure_strategy = RL_RUNNING_CONTINUE;
	a->nprograms = nprograms;
	a->programs = fx_alloc(nprograms * sizeof(struct rl_program));
	return a;
}

/* Program I of A, with NUMPROCS processes named NAME (or NAME_k). */
static FX_UNUSED struct rl_program *
fx_prog(struct rl_application *a, size_t i, const char *name,
	unsigned numprocs, unsigned start_seq, unsigned load)
{
	struct rl_program *pg = (struct rl_program *)&a->programs[i];
	struct rl_process *ps;
	unsigned k;

	pg->name = fx_str("%s", name);
	pg->app = a;
	pg->numprocs = numprocs;
	pg->autorestart = RL_AUTORESTART_UNEXPECTED;
	pg->startsecs_ms = 1000;
	pg->startretries = 3;
	pg->stopwaitsecs_ms = 10000;
	pg->identifiers.all = true;
	pg->start_sequence = start_seq;
	pg->stop_sequence = start_seq;
	pg->expected_loading = load;
	pg->starting_failure_strategy = a->starting_failure_strategy;
	pg->running_failure_strategy = a->running_failure_strategy;
	pg->nprocesses = numprocs;
	ps = fx_alloc(numprocs * sizeof(*ps));
	for (k = 0; k < numprocs; k++) {
		ps[k].program = pg;
		ps[k].name = numprocs == 1 ? pg->name
					   : fx_str("%s_%u", name, k);
		ps[k].namespec = fx_str("%s:%s", a->name, ps[k].name);
		ps[k].process_num = (int)k;
		ps[k].index = k;
	}
	pg->processes = ps;
	return pg;
}

/* A view with N instances named n1..nN, all RUNNING, each on its own
 * node unless MACHINES gives "m1,m1,m2" style node names; n1 is local. */
static FX_UNUSED struct sched_view *
fx_view(unsigned n, const char *machines)
{
	struct sched_view *v = sched_view_new();
	char *copy = machines ? fx_str("%s", machines) : NULL;
	char *save = NULL, *m = copy ? strtok_r(copy, ",", &save) : NULL;
	unsigned i;

	for (i = 0; i < n; i++) {
		char name[16];
		uint32_t id;
		snprintf(name, sizeof(name), "n%u", i + 1);
		sched_view_add_instance(v, name, m ? m : name, i == 0, &id);
		sched_view_set_instance_state(v, id, SCHED_INST_RUNNING,
					      false);
		if (m)
			m = strtok_r(NULL, ",", &save);
	}
	return v;
}

static FX_UNUSED void
fx_event(struct sched_view *v, const char *namespec, const char *inst,
	 enum sched_proc_state st, bool expected, int64_t now)
{
	struct sched_event ev = {st, expected, 100, 0};

	sched_view_process_event(v, sched_view_find_process(v, namespec),
				 sched_view_find_instance(v, inst), &ev, now);
}

/* Index of the first action of KIND on PROC (SCHED_NONE: any) at or
 * after FROM, or -1. */
static FX_UNUSED int
fx_find(const struct sched_actions *a, size_t from, enum sched_action_kind k,
	uint32_t proc)
{
	size_t i;

	for (i = from; i < a->n; i++)
		if (a->v[i].kind == k &&
		    (proc == SCHED_NONE || a->v[i].proc == proc))
			return (int)i;
	return -1;
}

static FX_UNUSED size_t
fx_count(const struct sched_actions *a, enum sched_action_kind k)
{
	size_t i, n = 0;

	for (i = 0; i < a->n; i++)
		n += a->v[i].kind == k;
	return n;
}

#endif
