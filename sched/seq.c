/*
 * Start and stop sequences.  See seq.h for the semantics.
 *
 * A job holds one record per (process, instance) it acts on, sorted into
 * ranks; only the current rank's records are ever in flight.  Jobs are
 * heap records kept in an array; by_proc and by_app map ids to the job
 * holding them so that an event costs a lookup plus a scan of one job.
 * Jobs that end are marked and freed at the end of the public call, so
 * that nothing frees a job a caller up the stack is still looking at.
 * Completions that happen while a job is launching (no resource, already
 * running) do not re-enter the launch loop: `busy` defers them to it.
 */
#include "sched/seq.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "sched/app.h"
#include "sched/place.h"
#include "sched/view.h"

enum pj_phase {
	PJ_WAITING, /* its rank has not started */
	PJ_REQUESTED,
	PJ_STARTING,
	PJ_WAIT_EXIT,
	PJ_STOP_REQUESTED,
	PJ_STOPPING,
	PJ_DONE,
};

struct pjob {
	uint32_t proc;
	uint32_t inst; /* target; for a start, SCHED_NONE until placed */
	unsigned rank;
	enum pj_phase phase;
	int64_t deadline;
	uint32_t *refused; /* instances that refused this start */
	size_t nrefused;
};

enum job_kind {
	JOB_START,
	JOB_STOP,
	JOB_ALL_START,
	JOB_ALL_STOP,
};

enum job_then {
	THEN_NONE,
	THEN_START, /* restart: start once stopped */
	THEN_STOP,  /* starting failure STOP: stop once started */
};

struct job {
	uint32_t id;
	uint32_t app; /* SCHED_NONE for global jobs */
	uint32_t parent;
	enum job_kind kind;
	bool single; /* one process: wait_exit ignored, no failure strategy */
	uint32_t single_proc;
	uint32_t forced_inst; /* single start on a given instance */
	uint32_t *only;	      /* single stop: only these copies */
	size_t nonly;
	enum rl_strategy strategy;
	struct pjob *pj;
	size_t npj;
	size_t rank_end; /* records before it have been launched */
	size_t inflight;
	bool aborted;
	bool failed;
	bool busy; /* inside advance(): completions must not recurse */
	bool done;
	enum job_then then;
	uint32_t target_inst; /* SINGLE_INSTANCE */
	uint32_t target_node; /* SINGLE_NODE */
	struct sched_why *why; /* dry run: reasons of the last placement */
	/* global jobs */
	uint32_t *apps;
	size_t napps;
	size_t grp_end;
	size_t children;
};

struct sched_seq {
	struct sched_seq_conf conf;
	struct job **jobs;
	size_t njobs, cap;
	uint32_t next_id;
	struct job **by_proc;
	size_t nby_proc;
	struct job **by_app;
	size_t nby_app;
	unsigned *singles; /* per application: process jobs in flight */
	uint32_t *scratch; /* candidate lists */
	size_t nscratch;
};

static const char *const r_no_resource = "No resource available";
static const char *const r_starting = "process STARTING event not received "
				      "in time";
static const char *const r_running = "process RUNNING event not received in "
				     "time";
static const char *const r_exited = "process EXITED event not received in "
				    "time";
static const char *const r_stopping = "process STOPPING event not received "
				      "in time";
static const char *const r_stopped = "process STOPPED event not received in "
				     "time";

static void advance(struct sched_seq *s, struct sched_view *v, struct job *j,
		    int64_t now, struct sched_actions *out);

void
sched_seq_conf_default(struct sched_seq_conf *c, size_t ninstances)
{
	c->margin_ms = 3000 + 1000 * (int64_t)(ninstances / 10);
	c->load_source = RL_LOAD_EXPECTED;
}

struct sched_seq *
sched_seq_new(const struct sched_seq_conf *c)
{
	struct sched_seq *s = xcalloc(1, sizeof(*s));

	if (c)
		s->conf = *c;
	else
		sched_seq_conf_default(&s->conf, 1);
	s->next_id = 1;
	return s;
}

static void
free_pj(struct job *j)
{
	size_t i;

	for (i = 0; i < j->npj; i++)
		free(j->pj[i].refused);
	free(j->pj);
	j->pj = NULL;
	j->npj = 0;
}

static void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	free_pj(j);
	free(j->only);
	free(j->apps);
	free(j);
}

struct sched_seq *
sched_seq_free(struct sched_seq *s)
{
	size_t i;

	if (s == NULL)
		return NULL;
	for (i = 0; i < s->njobs; i++)
		job_free(s->jobs[i]);
	free(s->jobs);
	free(s->by_proc);
	free(s->by_app);
	free(s->singles);
	free(s->scratch);
	free(s);
	return NULL;
}

/* Sizes the id maps and the scratch array to the view. */
static void
fit(struct sched_seq *s, const struct sched_view *v)
{
	size_t np = sched_view_nprocesses(v), na = sched_view_napps(v);
	size_t ni = sched_view_ninstances(v);

	if (np > s->nby_proc) {
		s->by_proc = xreallocarray(s->by_proc, np, sizeof(*s->by_proc));
		memset(s->by_proc + s->nby_proc, 0,
		       (np - s->nby_proc) * sizeof(*s->by_proc));
		s->nby_proc = np;
	}
	if (na > s->nby_app) {
		s->by_app = xreallocarray(s->by_app, na, sizeof(*s->by_app));
		memset(s->by_app + s->nby_app, 0,
		       (na - s->nby_app) * sizeof(*s->by_app));
		s->singles = xreallocarray(s->singles, na, sizeof(*s->singles));
		memset(s->singles + s->nby_app, 0,
		       (na - s->nby_app) * sizeof(*s->singles));
		s->nby_app = na;
	}
	if (ni + 1 > s->nscratch) {
		s->scratch = xreallocarray(s->scratch, ni + 1,
					   sizeof(*s->scratch));
		s->nscratch = ni + 1;
	}
}

static struct job *
job_new(struct sched_seq *s, enum job_kind kind, uint32_t app,
	uint32_t parent)
{
	struct job *j = xcalloc(1, sizeof(*j));

	j->id = s->next_id++;
	if (s->next_id == SCHED_NONE || s->next_id == 0)
		s->next_id = 1;
	j->kind = kind;
	j->app = app;
	j->parent = parent;
	j->single_proc = SCHED_NONE;
	j->forced_inst = SCHED_NONE;
	j->target_inst = SCHED_NONE;
	j->target_node = SCHED_NONE;
	if (s->njobs == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		s->jobs = xreallocarray(s->jobs, s->cap, sizeof(*s->jobs));
	}
	s->jobs[s->njobs++] = j;
	return j;
}

static struct job *
find_job(const struct sched_seq *s, uint32_t id)
{
	size_t i;

	for (i = 0; i < s->njobs; i++)
		if (s->jobs[i]->id == id && !s->jobs[i]->done)
			return s->jobs[i];
	return NULL;
}

/* Frees the jobs that ended. */
static void
reap(struct sched_seq *s)
{
	size_t i, k = 0;

	for (i = 0; i < s->njobs; i++) {
		if (s->jobs[i]->done)
			job_free(s->jobs[i]);
		else
			s->jobs[k++] = s->jobs[i];
	}
	s->njobs = k;
}

static void
emit(struct sched_actions *out, enum sched_action_kind kind, uint32_t proc,
     uint32_t inst, const struct job *j)
{
	struct sched_action a = {0};

	a.kind = kind;
	a.proc = proc;
	a.inst = inst;
	a.app = j ? j->app : SCHED_NONE;
	a.job = j ? j->id : 0;
	a.parent = j ? j->parent : SCHED_NONE;
	a.reason = "";
	sched_actions_push(out, &a);
}

static void
force(struct sched_view *v, uint32_t proc, enum sched_proc_state state,
      const char *reason, int64_t now, const struct job *j,
      struct sched_actions *out)
{
	struct sched_action a = {0};

	sched_view_force_state(v, proc, state, reason, now);
	a.kind = SCHED_ACT_FORCE;
	a.proc = proc;
	a.inst = SCHED_NONE;
	a.app = j->app;
	a.job = j->id;
	a.parent = j->parent;
	a.state = state;
	a.reason = reason;
	sched_actions_push(out, &a);
}

/* ------------------------------------------------------------ building */

static int
cmp_pj_asc(const void *a, const void *b)
{
	const struct pjob *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	if (x->proc != y->proc)
		return x->proc < y->proc ? -1 : 1;
	return x->inst < y->inst ? -1 : x->inst > y->inst;
}

static int
cmp_pj_desc(const void *a, const void *b)
{
	const struct pjob *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank > y->rank ? -1 : 1;
	if (x->proc != y->proc)
		return x->proc < y->proc ? -1 : 1;
	return x->inst < y->inst ? -1 : x->inst > y->inst;
}

static void
add_pj(struct job *j, size_t *cap, uint32_t proc, uint32_t inst,
       unsigned rank)
{
	if (j->npj == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		j->pj = xreallocarray(j->pj, *cap, sizeof(*j->pj));
	}
	j->pj[j->npj++] = (struct pjob){proc, inst, rank, PJ_WAITING, 0,
					NULL, 0};
}

static void
reset_pj(struct job *j)
{
	free_pj(j);
	j->rank_end = 0;
	j->inflight = 0;
	j->aborted = false;
}

/* The application's distribution target, chosen before the first rank. */
static void
choose_target(struct sched_seq *s, struct sched_view *v, struct job *j)
{
	const struct sched_app *a = sched_view_app(v, j->app);
	enum rl_distribution dist = a->rule->distribution;
	uint32_t running = SCHED_NONE;
	struct sched_place_req rq = {0};
	unsigned load = 0;
	size_t i, n;

	j->target_inst = SCHED_NONE;
	j->target_node = SCHED_NONE;
	if (dist == RL_DIST_ALL_INSTANCES || a->nprocs == 0)
		return;
	for (i = 0; i < a->nprocs; i++) {
		const struct sched_process *p = sched_view_process(v,
								   a->procs[i]);
		if (p->nrunning > 0 && running == SCHED_NONE)
			running = p->running_inst;
	}
	if (running != SCHED_NONE) {
		/* the application already lives there */
		j->target_inst = running;
		j->target_node = sched_view_instance(v, running)->node;
		return;
	}
	/* the summed load counts only what will actually start */
	for (i = 0; i < j->npj; i++) {
		const struct sched_process *p = sched_view_process(v,
								   j->pj[i].proc);
		if (p->nrunning == 0)
			load += p->load;
	}
	if (j->forced_inst != SCHED_NONE) {
		s->scratch[0] = j->forced_inst;
		n = 1;
	} else {
		n = sched_place_candidates(v, a->procs[0], s->scratch);
	}
	if (dist == RL_DIST_SINGLE_NODE) {
		j->target_node = sched_place_node(v, j->strategy,
						  s->conf.load_source,
						  load > 100 ? 101 : load,
						  s->scratch, n);
		return;
	}
	rq.strategy = j->strategy;
	rq.source = s->conf.load_source;
	rq.load = load > 100 ? 101 : load;
	rq.proc = SCHED_NONE;
	rq.node = SCHED_NONE;
	rq.cands = s->scratch;
	rq.ncands = n;
	j->target_inst = sched_place(v, &rq, j->why);
}

static void
build_start(struct sched_seq *s, struct sched_view *v, struct job *j)
{
	const struct sched_app *a = sched_view_app(v, j->app);
	size_t i, cap = 0;

	reset_pj(j);
	j->kind = JOB_START;
	if (j->single) {
		add_pj(j, &cap, j->single_proc, SCHED_NONE, 1);
	} else {
		for (i = 0; i < a->nprocs; i++) {
			const struct sched_process *p =
				sched_view_process(v, a->procs[i]);
			if (p->program->start_sequence > 0)
				add_pj(j, &cap, a->procs[i], SCHED_NONE,
				       p->program->start_sequence);
		}
		if (j->npj > 1)
			qsort(j->pj, j->npj, sizeof(*j->pj), cmp_pj_asc);
	}
	choose_target(s, v, j);
}

static bool
in_list(const uint32_t *l, size_t n, uint32_t x)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (l[i] == x)
			return true;
	return false;
}

static void
build_stop(struct sched_view *v, struct job *j)
{
	const struct sched_app *a = sched_view_app(v, j->app);
	size_t ni = sched_view_ninstances(v);
	size_t i, k, cap = 0;

	reset_pj(j);
	j->kind = JOB_STOP;
	for (i = 0; i < a->nprocs; i++) {
		uint32_t proc = a->procs[i];
		const struct sched_process *p = sched_view_process(v, proc);
		if (j->single && proc != j->single_proc)
			continue;
		if (p->nrunning == 0)
			continue;
		for (k = 0; k < p->ninfo; k++) {
			enum sched_proc_state st = p->info[k].state;
			if (j->only && !in_list(j->only, j->nonly,
						       p->info[k].inst))
				continue;
			if (p->info[k].inst < ni &&
			    (sched_proc_state_loading(st) ||
			     st == SCHED_PROC_STOPPING))
				add_pj(j, &cap, proc, p->info[k].inst,
				       p->program->stop_sequence);
		}
	}
	if (j->npj > 1)
		qsort(j->pj, j->npj, sizeof(*j->pj), cmp_pj_desc);
}

static void
hold(struct sched_seq *s, const struct sched_view *v, struct job *j,
     bool on)
{
	const struct sched_app *a = sched_view_app(v, j->app);
	size_t i;

	if (j->single) {
		s->by_proc[j->single_proc] = on ? j : NULL;
		if (on)
			s->singles[j->app]++;
		else
			s->singles[j->app]--;
		return;
	}
	s->by_app[j->app] = on ? j : NULL;
	for (i = 0; i < a->nprocs; i++)
		s->by_proc[a->procs[i]] = on ? j : NULL;
}

static bool
app_free(const struct sched_seq *s, const struct sched_view *v, uint32_t app)
{
	const struct sched_app *a = sched_view_app(v, app);
	size_t i;

	if (s->by_app[app])
		return false;
	for (i = 0; i < a->nprocs; i++)
		if (s->by_proc[a->procs[i]])
			return false;
	return true;
}

/* ------------------------------------------------------------ progress */

static void
finish(struct sched_seq *s, struct sched_view *v, struct job *j,
       int64_t now, struct sched_actions *out)
{
	struct sched_action a = {0};
	struct job *parent;

	if (j->then == THEN_START) {
		j->then = THEN_NONE;
		build_start(s, v, j);
		advance(s, v, j, now, out);
		return;
	}
	if (j->then == THEN_STOP) {
		j->then = THEN_NONE;
		build_stop(v, j);
		advance(s, v, j, now, out);
		return;
	}
	j->done = true;
	if (j->kind == JOB_START || j->kind == JOB_STOP)
		hold(s, v, j, false);
	a.kind = SCHED_ACT_JOB_DONE;
	a.proc = j->single ? j->single_proc : SCHED_NONE;
	a.inst = SCHED_NONE;
	a.app = j->app;
	a.job = j->id;
	a.parent = j->parent;
	a.ok = !j->failed;
	a.reason = "";
	sched_actions_push(out, &a);
	parent = j->parent != SCHED_NONE ? find_job(s, j->parent) : NULL;
	if (parent) {
		if (j->failed)
			parent->failed = true;
		parent->children--;
		if (!parent->busy)
			advance(s, v, parent, now, out);
	}
}

static void
start_failed(struct job *j, const struct sched_view *v, uint32_t proc)
{
	const struct sched_process *p = sched_view_process(v, proc);

	j->failed = true;
	if (j->single || !p->program->required ||
	    p->program->start_sequence == 0)
		return;
	switch (p->program->starting_failure_strategy) {
	case RL_STARTING_ABORT:
		j->aborted = true;
		break;
	case RL_STARTING_STOP:
		j->aborted = true;
		j->then = THEN_STOP;
		break;
	default:
		break;
	}
}

/* A record in flight completed (OK or not). */
static void
complete(struct sched_seq *s, struct sched_view *v, struct job *j,
	 struct pjob *pj, bool ok, int64_t now, struct sched_actions *out)
{
	bool was_start = pj->phase == PJ_REQUESTED ||
			 pj->phase == PJ_STARTING || pj->phase == PJ_WAIT_EXIT;

	pj->phase = PJ_DONE;
	j->inflight--;
	if (was_start && !ok) {
		sched_view_release(v, pj->proc);
		start_failed(j, v, pj->proc);
	} else if (!ok) {
		j->failed = true;
	}
	if (!j->busy)
		advance(s, v, j, now, out);
}

/* Drops the instances that refused this start from the candidates. */
static size_t
drop_refused(const struct pjob *pj, uint32_t *cands, size_t n)
{
	size_t i, k, m = 0;

	for (i = 0; i < n; i++) {
		for (k = 0; k < pj->nrefused; k++)
			if (pj->refused[k] == cands[i])
				break;
		if (k == pj->nrefused)
			cands[m++] = cands[i];
	}
	return m;
}

static uint32_t
place_one(struct sched_seq *s, struct sched_view *v, struct job *j,
	  const struct pjob *pj)
{
	const struct sched_app *a = sched_view_app(v, j->app);
	const struct sched_process *p = sched_view_process(v, pj->proc);
	struct sched_place_req rq = {0};
	enum rl_distribution dist = a->rule->distribution;

	rq.strategy = j->strategy;
	rq.source = s->conf.load_source;
	rq.load = p->load;
	rq.proc = pj->proc;
	rq.node = SCHED_NONE;
	rq.cands = s->scratch;
	if (dist == RL_DIST_SINGLE_INSTANCE) {
		if (j->target_inst == SCHED_NONE)
			return SCHED_NONE;
		s->scratch[0] = j->target_inst;
		rq.ncands = 1;
	} else if (j->forced_inst != SCHED_NONE) {
		s->scratch[0] = j->forced_inst;
		rq.ncands = 1;
	} else {
		rq.ncands = sched_place_candidates(v, pj->proc, s->scratch);
	}
	if (dist == RL_DIST_SINGLE_NODE) {
		if (j->target_node == SCHED_NONE)
			return SCHED_NONE;
		rq.node = j->target_node;
	}
	rq.ncands = drop_refused(pj, s->scratch, rq.ncands);
	return sched_place(v, &rq, j->why);
}

static void request_start(struct sched_seq *s, struct sched_view *v,
			  struct job *j, struct pjob *pj, uint32_t inst,
			  int64_t now, struct sched_actions *out);

/* Launches one record; returns true when it is in flight. */
static bool
launch(struct sched_seq *s, struct sched_view *v, struct job *j,
       struct pjob *pj, int64_t now, struct sched_actions *out)
{
	const struct sched_process *p = sched_view_process(v, pj->proc);
	uint32_t inst;

	if (j->kind == JOB_STOP) {
		const struct sched_pinfo *pi = sched_view_pinfo(v, pj->proc,
								pj->inst);
		if (pi == NULL || sched_proc_state_stopped(pi->state)) {
			pj->phase = PJ_DONE;
			return false;
		}
		emit(out, SCHED_ACT_STOP, pj->proc, pj->inst, j);
		pj->phase = PJ_STOP_REQUESTED;
		pj->deadline = now + s->conf.margin_ms;
		return true;
	}
	if (p->nrunning > 0) {
		/* only stopped processes are started */
		pj->phase = PJ_DONE;
		return false;
	}
	inst = place_one(s, v, j, pj);
	if (inst == SCHED_NONE) {
		pj->phase = PJ_DONE;
		force(v, pj->proc, SCHED_PROC_FATAL, r_no_resource, now, j, out);
		start_failed(j, v, pj->proc);
		return false;
	}
	request_start(s, v, j, pj, inst, now, out);
	return true;
}

static void
request_start(struct sched_seq *s, struct sched_view *v, struct job *j,
	      struct pjob *pj, uint32_t inst, int64_t now,
	      struct sched_actions *out)
{
	const struct sched_process *p = sched_view_process(v, pj->proc);
	struct sched_action a = {0};

	pj->inst = inst;
	sched_view_reserve(v, pj->proc, inst, p->load, INT64_MAX);
	a.kind = SCHED_ACT_START;
	a.proc = pj->proc;
	a.inst = inst;
	a.app = j->app;
	a.job = j->id;
	a.parent = j->parent;
	a.load = p->load;
	a.reason = "";
	sched_actions_push(out, &a);
	pj->phase = PJ_REQUESTED;
	pj->deadline = now + s->conf.margin_ms;
}

static void
advance_app(struct sched_seq *s, struct sched_view *v, struct job *j,
	    int64_t now, struct sched_actions *out)
{
	while (j->inflight == 0) {
		size_t begin = j->rank_end, i;

		if (begin >= j->npj || (j->kind == JOB_START && j->aborted)) {
			j->busy = false;
			finish(s, v, j, now, out);
			return;
		}
		while (j->rank_end < j->npj &&
		       j->pj[j->rank_end].rank == j->pj[begin].rank)
			j->rank_end++;
		for (i = begin; i < j->rank_end; i++)
			if (launch(s, v, j, &j->pj[i], now, out))
				j->inflight++;
	}
}

static unsigned
app_key(const struct sched_view *v, const struct job *j, uint32_t app)
{
	const struct rl_application *ra = sched_view_app(v, app)->rule;

	return j->kind == JOB_ALL_START ? ra->start_sequence
					: ra->stop_sequence;
}

/* Stable insertion sort by application sequence (ascending to start,
 * descending to stop); a few hundred applications at most. */
static void
sort_apps(const struct sched_view *v, struct job *j)
{
	bool asc = j->kind == JOB_ALL_START;
	size_t i, k;

	for (i = 1; i < j->napps; i++) {
		uint32_t x = j->apps[i];
		unsigned kx = app_key(v, j, x);
		for (k = i; k > 0; k--) {
			unsigned ky = app_key(v, j, j->apps[k - 1]);
			if (asc ? ky <= kx : ky >= kx)
				break;
			j->apps[k] = j->apps[k - 1];
		}
		j->apps[k] = x;
	}
}

static struct job *app_job(struct sched_seq *s, struct sched_view *v,
			   enum job_kind kind, uint32_t app,
			   enum rl_strategy strategy, uint32_t parent);

static void
advance_all(struct sched_seq *s, struct sched_view *v, struct job *j,
	    int64_t now, struct sched_actions *out)
{
	while (j->children == 0) {
		size_t begin = j->grp_end, i;
		unsigned key;

		if (begin >= j->napps) {
			j->busy = false;
			finish(s, v, j, now, out);
			return;
		}
		key = app_key(v, j, j->apps[begin]);
		while (j->grp_end < j->napps &&
		       app_key(v, j, j->apps[j->grp_end]) == key)
			j->grp_end++;
		for (i = begin; i < j->grp_end; i++) {
			struct job *c;
			if (!app_free(s, v, j->apps[i]))
				continue;
			c = app_job(s, v,
				    j->kind == JOB_ALL_START ? JOB_START
							     : JOB_STOP,
				    j->apps[i], SCHED_STRATEGY_DEFAULT, j->id);
			j->children++;
			advance(s, v, c, now, out);
		}
	}
}

static void
advance(struct sched_seq *s, struct sched_view *v, struct job *j,
	int64_t now, struct sched_actions *out)
{
	if (j->done || j->busy)
		return;
	j->busy = true;
	if (j->kind == JOB_ALL_START || j->kind == JOB_ALL_STOP)
		advance_all(s, v, j, now, out);
	else
		advance_app(s, v, j, now, out);
	j->busy = false;
}

static struct job *
app_job(struct sched_seq *s, struct sched_view *v, enum job_kind kind,
	uint32_t app, enum rl_strategy strategy, uint32_t parent)
{
	const struct sched_app *a = sched_view_app(v, app);
	struct job *j = job_new(s, kind, app, parent);

	j->strategy = (unsigned)strategy < _RL_STRATEGY_MAX
			      ? strategy
			      : a->rule->starting_strategy;
	hold(s, v, j, true);
	if (kind == JOB_START)
		build_start(s, v, j);
	else
		build_stop(v, j);
	return j;
}

/* ------------------------------------------------------------ commands */

/* Starts a new job and reports its id. */
static int
run(struct sched_seq *s, struct sched_view *v, struct job *j, int64_t now,
    struct sched_actions *out, uint32_t *ret_job)
{
	if (ret_job)
		*ret_job = j->id;
	advance(s, v, j, now, out);
	reap(s);
	return 0;
}

static int
check_app(struct sched_seq *s, struct sched_view *v, uint32_t app)
{
	const struct sched_app *a = sched_view_app(v, app);

	if (a == NULL || a->rule == NULL)
		return -ENOENT;
	fit(s, v);
	return app_free(s, v, app) ? 0 : -EBUSY;
}

static int
app_command(struct sched_seq *s, struct sched_view *v, uint32_t app,
	    enum job_kind kind, enum job_then then, enum rl_strategy strategy,
	    int64_t now, struct sched_actions *out, uint32_t *ret_job)
{
	struct job *j;
	int r;

	if ((r = check_app(s, v, app)) < 0)
		return r;
	j = app_job(s, v, kind, app, strategy, SCHED_NONE);
	j->then = then;
	return run(s, v, j, now, out, ret_job);
}

int
sched_seq_start_app(struct sched_seq *s, struct sched_view *v, uint32_t app,
		    enum rl_strategy strategy, int64_t now,
		    struct sched_actions *out, uint32_t *ret_job)
{
	return app_command(s, v, app, JOB_START, THEN_NONE, strategy, now,
			   out, ret_job);
}

int
sched_seq_stop_app(struct sched_seq *s, struct sched_view *v, uint32_t app,
		   int64_t now, struct sched_actions *out, uint32_t *ret_job)
{
	return app_command(s, v, app, JOB_STOP, THEN_NONE,
			   SCHED_STRATEGY_DEFAULT, now, out, ret_job);
}

int
sched_seq_restart_app(struct sched_seq *s, struct sched_view *v, uint32_t app,
		      enum rl_strategy strategy, int64_t now,
		      struct sched_actions *out, uint32_t *ret_job)
{
	return app_command(s, v, app, JOB_STOP, THEN_START, strategy, now,
			   out, ret_job);
}

/* A process job: INST is the start target (SCHED_NONE: placement);
 * ONLY/NONLY, if ONLY is not NULL, the copies a stop is limited to. */
static int
process_command(struct sched_seq *s, struct sched_view *v, uint32_t proc,
		enum job_kind kind, enum job_then then,
		enum rl_strategy strategy, uint32_t inst, const uint32_t *only,
		size_t nonly, int64_t now, struct sched_actions *out,
		uint32_t *ret_job)
{
	const struct sched_process *p = sched_view_process(v, proc);
	const struct sched_app *a;
	struct job *j;
	size_t i, live = 0;

	if (p == NULL || p->program == NULL ||
	    (inst != SCHED_NONE && inst >= sched_view_ninstances(v)))
		return -ENOENT;
	fit(s, v);
	if (s->by_proc[proc] || s->by_app[p->app])
		return -EBUSY;
	if (kind == JOB_START && p->nrunning > 0)
		return -EALREADY;
	for (i = 0; only && i < nonly; i++) {
		const struct sched_pinfo *pi = sched_view_pinfo(v, proc,
								only[i]);
		if (pi && !sched_proc_state_stopped(pi->state))
			live++;
	}
	if (kind == JOB_STOP && then == THEN_NONE &&
	    (only ? live == 0 : p->nrunning == 0))
		return -EALREADY;
	a = sched_view_app(v, p->app);
	j = job_new(s, kind, p->app, SCHED_NONE);
	j->single = true;
	j->single_proc = proc;
	j->forced_inst = inst;
	j->then = then;
	if (only) {
		j->only = xcalloc(nonly + 1, sizeof(*j->only));
		memcpy(j->only, only, nonly * sizeof(*only));
		j->nonly = nonly;
	}
	j->strategy = (unsigned)strategy < _RL_STRATEGY_MAX
			      ? strategy
			      : a->rule->starting_strategy;
	hold(s, v, j, true);
	if (kind == JOB_START)
		build_start(s, v, j);
	else
		build_stop(v, j);
	return run(s, v, j, now, out, ret_job);
}

int
sched_seq_start_process(struct sched_seq *s, struct sched_view *v,
			uint32_t proc, enum rl_strategy strategy,
			uint32_t inst, int64_t now, struct sched_actions *out,
			uint32_t *ret_job)
{
	return process_command(s, v, proc, JOB_START, THEN_NONE, strategy,
			       inst, NULL, 0, now, out, ret_job);
}

int
sched_seq_stop_process(struct sched_seq *s, struct sched_view *v,
		       uint32_t proc, int64_t now, struct sched_actions *out,
		       uint32_t *ret_job)
{
	return process_command(s, v, proc, JOB_STOP, THEN_NONE,
			       SCHED_STRATEGY_DEFAULT, SCHED_NONE, NULL, 0, now,
			       out, ret_job);
}

int
sched_seq_stop_copies(struct sched_seq *s, struct sched_view *v,
		      uint32_t proc, const uint32_t *insts, size_t n,
		      int64_t now, struct sched_actions *out,
		      uint32_t *ret_job)
{
	if (insts == NULL || n == 0)
		return -EALREADY;
	return process_command(s, v, proc, JOB_STOP, THEN_NONE,
			       SCHED_STRATEGY_DEFAULT, SCHED_NONE, insts, n,
			       now, out, ret_job);
}

int
sched_seq_restart_process(struct sched_seq *s, struct sched_view *v,
			  uint32_t proc, enum rl_strategy strategy,
			  int64_t now, struct sched_actions *out,
			  uint32_t *ret_job)
{
	return process_command(s, v, proc, JOB_STOP, THEN_START, strategy,
			       SCHED_NONE, NULL, 0, now, out, ret_job);
}

static int
all_command(struct sched_seq *s, struct sched_view *v, enum job_kind kind,
	    int64_t now, struct sched_actions *out, uint32_t *ret_job)
{
	size_t na = sched_view_napps(v), i;
	struct job *j;

	fit(s, v);
	j = job_new(s, kind, SCHED_NONE, SCHED_NONE);
	j->apps = xcalloc(na ? na : 1, sizeof(*j->apps));
	for (i = 0; i < na; i++) {
		const struct sched_app *a = sched_view_app(v, (uint32_t)i);
		bool take;
		if (a->rule == NULL)
			continue;
		if (kind == JOB_ALL_START) {
			struct sched_app_status st;
			sched_app_status(v, (uint32_t)i, &st);
			take = a->rule->start_sequence > 0 &&
			       (sched_view_app_never_started(v, (uint32_t)i) ||
				st.major_failure || st.minor_failure);
		} else {
			take = !sched_app_fully_stopped(v, (uint32_t)i);
		}
		if (take)
			j->apps[j->napps++] = (uint32_t)i;
	}
	sort_apps(v, j);
	return run(s, v, j, now, out, ret_job);
}

int
sched_seq_start_all(struct sched_seq *s, struct sched_view *v, int64_t now,
		    struct sched_actions *out, uint32_t *ret_job)
{
	return all_command(s, v, JOB_ALL_START, now, out, ret_job);
}

int
sched_seq_stop_all(struct sched_seq *s, struct sched_view *v, int64_t now,
		   struct sched_actions *out, uint32_t *ret_job)
{
	return all_command(s, v, JOB_ALL_STOP, now, out, ret_job);
}

/* ------------------------------------------------------------ events */

static bool
pj_active(const struct pjob *pj)
{
	return pj->phase != PJ_WAITING && pj->phase != PJ_DONE;
}

static int64_t
add_ms(int64_t now, int64_t ms)
{
	return ms >= INT64_MAX - now ? INT64_MAX : now + ms;
}

static void
on_event(struct sched_seq *s, struct sched_view *v, struct job *j,
	 struct pjob *pj, int64_t now, struct sched_actions *out)
{
	const struct sched_process *p = sched_view_process(v, pj->proc);
	const struct sched_pinfo *pi = sched_view_pinfo(v, pj->proc, pj->inst);
	bool wait_exit = !j->single && p->program->wait_exit;
	enum sched_proc_state st;

	if (pi == NULL)
		return;
	st = pi->state;
	switch (pj->phase) {
	case PJ_REQUESTED:
	case PJ_STARTING:
		switch (st) {
		case SCHED_PROC_STARTING:
		case SCHED_PROC_BACKOFF:
			pj->phase = PJ_STARTING;
			pj->deadline = add_ms(now, p->program->startsecs_ms +
							   s->conf.margin_ms);
			return;
		case SCHED_PROC_RUNNING:
			if (wait_exit) {
				int64_t w = p->program->wait_exit_timeout_ms;
				pj->phase = PJ_WAIT_EXIT;
				pj->deadline = w > 0 ? add_ms(now, w)
						     : INT64_MAX;
				return;
			}
			complete(s, v, j, pj, true, now, out);
			return;
		case SCHED_PROC_EXITED:
			complete(s, v, j, pj, wait_exit && pi->expected_exit,
				 now, out);
			return;
		default:
			complete(s, v, j, pj, false, now, out);
			return;
		}
	case PJ_WAIT_EXIT:
		if (st == SCHED_PROC_EXITED)
			complete(s, v, j, pj, pi->expected_exit, now, out);
		else if (st != SCHED_PROC_RUNNING &&
			 st != SCHED_PROC_STARTING && st != SCHED_PROC_BACKOFF)
			complete(s, v, j, pj, false, now, out);
		return;
	case PJ_STOP_REQUESTED:
	case PJ_STOPPING:
		if (sched_proc_state_stopped(st)) {
			complete(s, v, j, pj, true, now, out);
		} else if (st == SCHED_PROC_STOPPING &&
			   pj->phase == PJ_STOP_REQUESTED) {
			pj->phase = PJ_STOPPING;
			pj->deadline = add_ms(now, p->program->stopwaitsecs_ms +
							   s->conf.margin_ms);
		}
		return;
	default:
		return;
	}
}

void
sched_seq_process_event(struct sched_seq *s, struct sched_view *v,
			uint32_t proc, uint32_t inst, int64_t now,
			struct sched_actions *out)
{
	struct job *j;
	size_t i;

	if (proc >= s->nby_proc || (j = s->by_proc[proc]) == NULL)
		return;
	for (i = 0; i < j->npj; i++) {
		struct pjob *pj = &j->pj[i];
		if (pj->proc == proc && pj->inst == inst && pj_active(pj)) {
			on_event(s, v, j, pj, now, out);
			break;
		}
	}
	reap(s);
}

static void
on_timeout(struct sched_seq *s, struct sched_view *v, struct job *j,
	   struct pjob *pj, int64_t now, struct sched_actions *out)
{
	switch (pj->phase) {
	case PJ_REQUESTED:
		force(v, pj->proc, SCHED_PROC_FATAL, r_starting, now, j, out);
		complete(s, v, j, pj, false, now, out);
		break;
	case PJ_STARTING:
		force(v, pj->proc, SCHED_PROC_FATAL, r_running, now, j, out);
		complete(s, v, j, pj, false, now, out);
		break;
	case PJ_WAIT_EXIT:
		force(v, pj->proc, SCHED_PROC_FATAL, r_exited, now, j, out);
		complete(s, v, j, pj, false, now, out);
		break;
	case PJ_STOP_REQUESTED:
		force(v, pj->proc, SCHED_PROC_STOPPED, r_stopping, now, j,
		      out);
		complete(s, v, j, pj, false, now, out);
		break;
	case PJ_STOPPING:
		force(v, pj->proc, SCHED_PROC_STOPPED, r_stopped, now, j, out);
		complete(s, v, j, pj, false, now, out);
		break;
	default:
		break;
	}
}

/* The first active record matching; NULL when none.  Completions may
 * rebuild a job's records, so callers search again after each one. */
static struct pjob *
find_pj(struct sched_seq *s, int64_t now, uint32_t inst, struct job **ret_j)
{
	size_t i, k;

	for (i = 0; i < s->njobs; i++) {
		struct job *j = s->jobs[i];
		if (j->done)
			continue;
		for (k = 0; k < j->npj; k++) {
			struct pjob *pj = &j->pj[k];
			if (!pj_active(pj))
				continue;
			if (inst == SCHED_NONE ? pj->deadline <= now
					       : pj->inst == inst) {
				*ret_j = j;
				return pj;
			}
		}
	}
	return NULL;
}

void
sched_seq_start_refused(struct sched_seq *s, struct sched_view *v,
			uint32_t proc, uint32_t inst, int64_t now,
			struct sched_actions *out)
{
	struct pjob *pj = NULL;
	struct job *j;
	uint32_t next;
	size_t i;

	if (proc >= s->nby_proc || (j = s->by_proc[proc]) == NULL ||
	    j->kind != JOB_START)
		return;
	for (i = 0; i < j->npj; i++)
		if (j->pj[i].proc == proc && j->pj[i].inst == inst &&
		    j->pj[i].phase == PJ_REQUESTED)
			pj = &j->pj[i];
	if (pj == NULL)
		return;
	pj->refused = xreallocarray(pj->refused, pj->nrefused + 1,
				    sizeof(*pj->refused));
	pj->refused[pj->nrefused++] = inst;
	sched_view_release(v, proc);
	next = place_one(s, v, j, pj);
	if (next == SCHED_NONE) {
		force(v, proc, SCHED_PROC_FATAL, r_no_resource, now, j, out);
		complete(s, v, j, pj, false, now, out);
	} else {
		request_start(s, v, j, pj, next, now, out);
	}
	reap(s);
}

void
sched_seq_tick(struct sched_seq *s, struct sched_view *v, int64_t now,
	       struct sched_actions *out)
{
	struct pjob *pj;
	struct job *j;

	while ((pj = find_pj(s, now, SCHED_NONE, &j)) != NULL)
		on_timeout(s, v, j, pj, now, out);
	reap(s);
}

void
sched_seq_instance_lost(struct sched_seq *s, struct sched_view *v,
			uint32_t inst, int64_t now, struct sched_actions *out)
{
	struct pjob *pj;
	struct job *j;

	if (inst == SCHED_NONE)
		return;
	while ((pj = find_pj(s, now, inst, &j)) != NULL) {
		bool stop = pj->phase == PJ_STOP_REQUESTED ||
			    pj->phase == PJ_STOPPING;
		/* a stop target that vanished has stopped */
		complete(s, v, j, pj, stop, now, out);
	}
	reap(s);
}

int64_t
sched_seq_next_deadline(const struct sched_seq *s)
{
	int64_t best = INT64_MAX;
	size_t i, k;

	for (i = 0; i < s->njobs; i++) {
		const struct job *j = s->jobs[i];
		if (j->done)
			continue;
		for (k = 0; k < j->npj; k++)
			if (pj_active(&j->pj[k]) && j->pj[k].deadline < best)
				best = j->pj[k].deadline;
	}
	return best;
}

void
sched_seq_abort(struct sched_seq *s, struct sched_view *v)
{
	size_t i, k;

	for (i = 0; i < s->njobs; i++) {
		struct job *j = s->jobs[i];
		for (k = 0; k < j->npj; k++)
			if (pj_active(&j->pj[k]) &&
			    j->pj[k].phase == PJ_REQUESTED)
				sched_view_release(v, j->pj[k].proc);
		job_free(j);
	}
	s->njobs = 0;
	if (s->by_proc)
		memset(s->by_proc, 0, s->nby_proc * sizeof(*s->by_proc));
	if (s->by_app) {
		memset(s->by_app, 0, s->nby_app * sizeof(*s->by_app));
		memset(s->singles, 0, s->nby_app * sizeof(*s->singles));
	}
}

bool
sched_seq_idle(const struct sched_seq *s)
{
	return s->njobs == 0;
}

bool
sched_seq_app_busy(const struct sched_seq *s, uint32_t app)
{
	return app < s->nby_app && (s->by_app[app] != NULL || s->singles[app]);
}

bool
sched_seq_job_active(const struct sched_seq *s, uint32_t job)
{
	return find_job(s, job) != NULL;
}

/* ------------------------------------------------------------ dry run */

static void
json_str(struct strbuf *out, const char *s)
{
	strbuf_addc(out, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			strbuf_addf(out, "\\%c", c);
		else if (c < 0x20)
			strbuf_addf(out, "\\u%04x", c);
		else
			strbuf_addc(out, (char)c);
	}
	strbuf_addc(out, '"');
}

int
sched_seq_plan(struct sched_view *v, const struct sched_seq_conf *c,
	       uint32_t app, uint32_t proc, enum rl_strategy strategy,
	       struct sched_plan *ret)
{
	const struct sched_app *a;
	struct sched_seq *s;
	struct sched_plan plan = SCHED_PLAN_INIT;
	size_t ni = sched_view_ninstances(v), i;
	uint32_t *assigned = NULL, *reserved = NULL;
	bool *assign_done = NULL;
	uint32_t app_assigned;
	bool app_done;
	size_t nreserved = 0;
	struct job *j;

	if (proc != SCHED_NONE) {
		const struct sched_process *p = sched_view_process(v, proc);
		if (p == NULL || p->program == NULL)
			return -ENOENT;
		app = p->app;
	}
	a = sched_view_app(v, app);
	if (a == NULL || a->rule == NULL)
		return -ENOENT;
	s = sched_seq_new(c);
	fit(s, v);
	/* what the dry run may change in the view, to put it back */
	app_assigned = a->app_assigned;
	app_done = a->app_assign_done;
	assigned = xcalloc(a->nprocs + 1, sizeof(*assigned));
	assign_done = xcalloc(a->nprocs + 1, sizeof(*assign_done));
	reserved = xcalloc(a->nprocs + 1, sizeof(*reserved));
	for (i = 0; i < a->nprocs; i++) {
		const struct sched_process *p = sched_view_process(v,
								   a->procs[i]);
		assigned[i] = p->assigned;
		assign_done[i] = p->assign_done;
	}
	j = job_new(s, JOB_START, app, SCHED_NONE);
	j->single = proc != SCHED_NONE;
	j->single_proc = proc;
	j->strategy = (unsigned)strategy < _RL_STRATEGY_MAX
			      ? strategy
			      : a->rule->starting_strategy;
	j->why = xcalloc(ni + 1, sizeof(*j->why));
	build_start(s, v, j);
	plan.ninstances = ni;
	plan.v = xcalloc(j->npj + 1, sizeof(*plan.v));
	for (i = 0; i < j->npj; i++) {
		struct sched_plan_entry *e = &plan.v[plan.n++];
		const struct sched_process *p = sched_view_process(v,
								   j->pj[i].proc);
		e->proc = j->pj[i].proc;
		if (p->nrunning > 0) {
			e->inst = p->running_inst;
			e->reason = "already running";
			continue;
		}
		if (p->resv != SCHED_NONE) {
			e->inst = sched_view_reservation(v, p->resv)->inst;
			e->reason = "start in progress";
			continue;
		}
		e->inst = place_one(s, v, j, &j->pj[i]);
		e->why = xcalloc(ni + 1, sizeof(*e->why));
		memcpy(e->why, j->why, ni * sizeof(*e->why));
		if (e->inst == SCHED_NONE) {
			e->reason = r_no_resource;
			continue;
		}
		e->reason = "placed";
		sched_view_reserve(v, e->proc, e->inst, p->load, INT64_MAX);
		reserved[nreserved++] = e->proc;
	}
	for (i = 0; i < nreserved; i++)
		sched_view_release(v, reserved[i]);
	for (i = 0; i < a->nprocs; i++)
		sched_view_restore_assigned(v, a->procs[i], assigned[i],
					    assign_done[i]);
	sched_view_restore_app_assigned(v, app, app_assigned, app_done);
	free(j->why);
	j->why = NULL;
	free(assigned);
	free(assign_done);
	free(reserved);
	sched_seq_free(s);
	*ret = plan;
	return 0;
}

void
sched_plan_done(struct sched_plan *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->v[i].why);
	free(p->v);
	memset(p, 0, sizeof(*p));
}

void
sched_plan_to_json(const struct sched_view *v, const struct sched_plan *p,
		   struct strbuf *out)
{
	struct strbuf why = STRBUF_INIT;
	size_t i, k;
	bool first;

	strbuf_adds(out, "{\"placements\":[");
	for (i = 0; i < p->n; i++) {
		const struct sched_plan_entry *e = &p->v[i];
		if (i)
			strbuf_addc(out, ',');
		strbuf_adds(out, "{\"namespec\":");
		json_str(out, sched_view_process(v, e->proc)->namespec);
		strbuf_adds(out, ",\"instance\":");
		if (e->inst == SCHED_NONE)
			strbuf_adds(out, "null");
		else
			json_str(out, sched_view_instance(v, e->inst)->name);
		strbuf_adds(out, ",\"reason\":");
		json_str(out, e->reason);
		strbuf_adds(out, ",\"excluded\":[");
		first = true;
		for (k = 0; e->why && k < p->ninstances; k++) {
			if (e->why[k].excl == SCHED_EXCL_CHOSEN)
				continue;
			if (!first)
				strbuf_addc(out, ',');
			first = false;
			strbuf_reset(&why);
			sched_why_format(v, (uint32_t)k, &e->why[k], &why);
			strbuf_adds(out, "{\"instance\":");
			json_str(out, sched_view_instance(v, (uint32_t)k)->name);
			strbuf_adds(out, ",\"reason\":");
			json_str(out, strbuf_str(&why));
			strbuf_addc(out, '}');
		}
		strbuf_adds(out, "]}");
	}
	strbuf_adds(out, "]}");
	strbuf_done(&why);
}
