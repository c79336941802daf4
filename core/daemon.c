/*
 * The node daemon: rules, processes, the single-instance decision core,
 * signals, reload, shutdown, state file, readiness.  See daemon.h.
 *
 * Process changes flow one way: proc.c reports a change (on_proc_change),
 * the view and the sequencer of sched/ are updated, the actions they
 * return are carried out (which may change other processes: the same
 * path again), then the API waiters are told.  Sequencing decisions are
 * sched/'s; this file only executes them on the local instance.
 */
#define _GNU_SOURCE
#include "core/daemon.h"

#include <errno.h>
#include <ev.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cluster.h"
#include "core/ctl.h"
#include "core/ctl_obs.h"
#include "core/log.h"
#include "core/logfile.h"
#include "core/notify.h"
#include "core/proc.h"
#include "core/statefile.h"
#include "core/util.h"
#include "net/http.h"
#include "sched/action.h"
#include "sched/app.h"
#include "sched/failure.h"
#include "sched/seq.h"
#include "sched/view.h"

/* Leftovers of a crashed daemon get SIGTERM, then SIGKILL after this. */
#define LEFTOVER_TERM_MS 10000
#define LEFTOVER_GIVEUP_MS 15000
#define TICK_S 1.0

enum pending {
	PENDING_NONE,
	PENDING_DROP,	  /* removed by a reload: drop once stopped */
	PENDING_RECREATE, /* changed by a reload: re-create once stopped */
};

/* What the daemon keeps per process (proc_data). */
struct dproc {
	struct proc *proc;
	struct rules *owner; /* the rules its configuration belongs to */
	uint32_t vid;	     /* view id, SCHED_NONE when not in the view */
	pid_t pid;	     /* as recorded in the state file */
	uint64_t starttime;
	enum pending pending;
	const struct rl_process *next_conf; /* PENDING_RECREATE */
	bool restart_after;
};

struct daemon {
	struct ev_loop *loop;
	char *config;
	char *name;
	struct rules *rules;
	struct rules **retired; /* older rules still used by some process */
	size_t nretired;
	struct proc_ctx pctx;
	struct proc **index; /* namespec hash of listed procs, open addressing */
	size_t index_cap;
	bool index_stale;
	struct proc **byvid; /* view id -> proc, nbyvid = view processes */
	size_t nbyvid;
	struct sched_view *view;
	struct sched_seq *seq;
	struct sched_failq *failq;
	uint32_t local;
	enum daemon_phase phase;
	int64_t start_ms;
	uint32_t shutdown_job;
	bool killing; /* second SIGTERM: SIGKILL everything */
	char *state_path;
	char *log_dir; /* a copy: the rules it came from may be retired */
	bool state_dirty;
	struct leftover *leftovers;
	size_t nleftovers;
	int64_t leftover_kill_at, leftover_giveup_at;
	bool leftovers_killed;
	ev_signal sig_term, sig_int, sig_hup, sig_usr2;
	ev_timer tick, seq_timer, deferred, leftover_timer, watchdog, exit_timer;
	struct ctl *ctl;
	struct cluster *cluster;
	struct http_server *http;
	struct daemon_watch *watchers;
	char last_status[256];
	int exit_code;
};

static const char *const phase_names[_DAEMON_PHASE_MAX] = {
	[DAEMON_LEFTOVERS] = "LEFTOVERS",
	[DAEMON_OPERATION] = "OPERATION",
	[DAEMON_SHUTTING_DOWN] = "SHUTTING_DOWN",
};

const char *
daemon_phase_to_string(enum daemon_phase p)
{
	return (unsigned)p < _DAEMON_PHASE_MAX ? phase_names[p] : "?";
}

static void run_actions(struct daemon *d, struct sched_actions *acts);
static void make_dir(const char *path);
static void set_vid(struct daemon *d, struct proc *p, uint32_t vid);
static void check_shutdown_done(struct daemon *d);

/* ------------------------------------------------------------ accessors */

struct ev_loop *
daemon_loop(const struct daemon *d)
{
	return d->loop;
}

const struct rules *
daemon_rules(const struct daemon *d)
{
	return d->rules;
}

enum daemon_phase
daemon_phase(const struct daemon *d)
{
	return d->phase;
}

int64_t
daemon_uptime_ms(const struct daemon *d)
{
	return util_now_ms() - d->start_ms;
}

struct sched_view *
daemon_view(const struct daemon *d)
{
	return d->view;
}

struct ctl *
daemon_ctl(const struct daemon *d)
{
	return d->ctl;
}

struct cluster *
daemon_cluster(const struct daemon *d)
{
	return d->cluster;
}

struct proc *
daemon_first_proc(const struct daemon *d)
{
	return proc_ctx_first((struct proc_ctx *)&d->pctx);
}

struct proc *
daemon_next_proc(const struct proc *p)
{
	return proc_next((struct proc *)p);
}

/* Rebuilt after procs were added or dropped, on the next lookup: the
 * API looks processes up by name on every change a waiter sees. */
static void
rebuild_index(struct daemon *d)
{
	size_t cap = 16;

	while (cap < 2 * d->pctx.nprocs + 2)
		cap *= 2;
	free(d->index);
	d->index = xcalloc(cap, sizeof(*d->index));
	d->index_cap = cap;
	for (struct proc *p = daemon_first_proc(d); p; p = proc_next(p)) {
		size_t i;

		if (!daemon_proc_listed(p))
			continue;
		i = util_hash_str(proc_namespec(p)) & (cap - 1);
		while (d->index[i] != NULL)
			i = (i + 1) & (cap - 1);
		d->index[i] = p;
	}
	d->index_stale = false;
}

struct proc *
daemon_find_proc(const struct daemon *cd, const char *namespec)
{
	struct daemon *d = (struct daemon *)cd;
	size_t i;

	if (d->index_stale || d->index == NULL)
		rebuild_index(d);
	i = util_hash_str(namespec) & (d->index_cap - 1);
	for (; d->index[i] != NULL; i = (i + 1) & (d->index_cap - 1))
		if (strcmp(proc_namespec(d->index[i]), namespec) == 0)
			return d->index[i];
	return NULL;
}

bool
daemon_proc_listed(const struct proc *p)
{
	return ((const struct dproc *)proc_data(p))->pending != PENDING_DROP;
}

uint32_t
daemon_proc_view_id(const struct daemon *d, const struct proc *p)
{
	return ((const struct dproc *)proc_data(p))->vid;
}

const char *
daemon_proc_app(const struct proc *p)
{
	return proc_config(p)->program->app->name;
}

/* ------------------------------------------------------------ watchers */

void
daemon_watch_add(struct daemon *d, struct daemon_watch *w)
{
	w->prev = NULL;
	w->next = d->watchers;
	if (d->watchers != NULL)
		d->watchers->prev = w;
	d->watchers = w;
}

void
daemon_watch_remove(struct daemon *d, struct daemon_watch *w)
{
	if (w->prev != NULL)
		w->prev->next = w->next;
	else if (d->watchers == w)
		d->watchers = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	w->prev = w->next = NULL;
}

static void
tell_watchers(struct daemon *d, struct proc *p, uint32_t job, bool ok)
{
	struct daemon_watch *w = d->watchers, *next;

	for (; w != NULL; w = next) {
		next = w->next;
		w->fn(w, p, job, ok);
	}
}

/* ------------------------------------------------------------ state file */

static void
save_state(struct daemon *d)
{
	struct statefile_entry *v;
	size_t n = 0;
	int r;

	if (d->state_path == NULL)
		return;
	v = xcalloc(d->pctx.nprocs + 1, sizeof(*v));
	for (struct proc *p = daemon_first_proc(d); p; p = proc_next(p)) {
		const struct dproc *dp = proc_data(p);

		if (dp->pid <= 0)
			continue;
		v[n].pid = dp->pid;
		v[n].starttime = dp->starttime;
		snprintf(v[n].namespec, sizeof(v[n].namespec), "%s",
			 proc_namespec(p));
		n++;
	}
	r = statefile_save(d->state_path, v, n);
	free(v);
	if (r < 0) {
		errno = -r;
		log_warn("cannot write state file '%s', ignoring",
			 d->state_path);
	}
	d->state_dirty = false;
}

/* ------------------------------------------------------------ view */

static enum sched_proc_state
to_sched_state(enum proc_state s)
{
	static const enum sched_proc_state map[_PROC_STATE_MAX] = {
		[PROC_STOPPED] = SCHED_PROC_STOPPED,
		[PROC_STARTING] = SCHED_PROC_STARTING,
		[PROC_RUNNING] = SCHED_PROC_RUNNING,
		[PROC_BACKOFF] = SCHED_PROC_BACKOFF,
		[PROC_STOPPING] = SCHED_PROC_STOPPING,
		[PROC_EXITED] = SCHED_PROC_EXITED,
		[PROC_FATAL] = SCHED_PROC_FATAL,
		[PROC_UNKNOWN] = SCHED_PROC_UNKNOWN,
	};

	return (unsigned)s < _PROC_STATE_MAX ? map[s] : SCHED_PROC_UNKNOWN;
}

static void
arm_seq_timer(struct daemon *d)
{
	int64_t at = sched_seq_next_deadline(d->seq);

	ev_timer_stop(d->loop, &d->seq_timer);
	if (at == INT64_MAX)
		return;
	ev_timer_set(&d->seq_timer, MAX(0, at - util_now_ms()) / 1000.0, 0.);
	ev_timer_start(d->loop, &d->seq_timer);
}

static void
view_event(struct daemon *d, struct proc *p, enum proc_state from,
	   struct sched_actions *acts)
{
	const struct dproc *dp = proc_data(p);
	const struct proc_fsm *f = proc_fsm(p);
	int64_t now = util_now_ms();
	struct sched_event ev = {
		.state = to_sched_state(f->state),
		.expected_exit = f->has_exitstatus && f->expected,
		.pid = proc_pid(p),
		.uptime_ms = proc_state_is_running(f->state) ||
					     f->state == PROC_STOPPING
				     ? now - f->laststart_ms
				     : 0,
	};
	bool crashed = f->state != from &&
		       (f->state == PROC_FATAL ||
			(f->state == PROC_EXITED && !f->expected));

	if (dp->vid == SCHED_NONE)
		return;
	sched_view_process_event(d->view, dp->vid, d->local, &ev, now);
	if (acts == NULL)
		return;
	sched_seq_process_event(d->seq, d->view, dp->vid, d->local, now,
				acts);
	/* a crash: the running failure strategy (never after a refused
	 * start, which would loop) */
	if (crashed && d->phase == DAEMON_OPERATION &&
	    strcmp(f->reason, "No resource available") != 0) {
		sched_fail_crash(d->failq, d->view, dp->vid, acts);
		sched_fail_run(d->failq, d->seq, d->view, now, acts);
	}
}

static int
build_view(struct daemon *d)
{
	const struct rl_instance_conf *ic = rules_instance(d->rules);
	const struct rl_cluster_conf *cc = rules_cluster(d->rules);
	struct sched_seq_conf conf;
	int r;

	d->seq = sched_seq_free(d->seq);
	d->view = sched_view_free(d->view);
	d->failq = sched_failq_free(d->failq);
	d->failq = sched_failq_new();
	d->view = sched_view_new();
	/* cluster.instances in file order (the `*` order of placement),
	 * the others each on a node of their own until the gossip tells
	 * their machine */
	d->local = SCHED_NONE;
	for (size_t i = 0; i < cc->ninstances; i++) {
		const char *nm = cc->instances[i].name;
		bool local = strcmp(nm, ic->name) == 0;
		uint32_t id;

		r = sched_view_add_instance(
			d->view, nm,
			local ? (ic->machine ? ic->machine : "local") : nm,
			local, &id);
		if (r < 0)
			return r;
		if (local)
			d->local = id;
	}
	if (d->local == SCHED_NONE) {
		r = sched_view_add_instance(d->view, ic->name,
					    ic->machine ? ic->machine : "local",
					    true, &d->local);
		if (r < 0)
			return r;
	}
	sched_view_set_instance_tags(d->view, d->local, ic->tags, ic->ntags);
	sched_view_set_instance_state(d->view, d->local, SCHED_INST_RUNNING,
				      false);
	for (size_t i = 0; i < rules_napplications(d->rules); i++) {
		r = sched_view_add_application(
			d->view, rules_application(d->rules, i), NULL);
		if (r < 0)
			return r;
	}
	sched_seq_conf_default(&conf, sched_view_ninstances(d->view));
	conf.load_source = rules_cluster(d->rules)->load_source;
	d->seq = sched_seq_new(&conf);
	free(d->byvid);
	d->nbyvid = sched_view_nprocesses(d->view);
	d->byvid = xcalloc(d->nbyvid + 1, sizeof(*d->byvid));
	for (struct proc *p = daemon_first_proc(d); p; p = proc_next(p)) {
		struct dproc *dp = proc_data(p);

		dp->vid = SCHED_NONE;
		set_vid(d, p, dp->pending == PENDING_NONE
				      ? sched_view_find_process(
						d->view, proc_namespec(p))
				      : SCHED_NONE);
		if (proc_state(p) != PROC_STOPPED)
			view_event(d, p, proc_state(p), NULL);
	}
	return 0;
}

/* ------------------------------------------------------------ procs */

static void
on_proc_change(struct proc *p, enum proc_state from, void *data)
{
	struct daemon *d = data;
	struct dproc *dp = proc_data(p);
	struct sched_actions acts = SCHED_ACTIONS_INIT;
	pid_t pid = proc_pid(p);

	if (pid != dp->pid) {
		dp->pid = pid;
		dp->starttime = 0;
		if (pid > 0 && statefile_starttime(pid, &dp->starttime) < 0)
			dp->pid = 0;
		d->state_dirty = true;
	}
	view_event(d, p, from, &acts);
	cluster_proc_changed(d->cluster, p);
	run_actions(d, &acts);
	sched_actions_done(&acts);
	tell_watchers(d, p, SCHED_NONE, false);
	if (dp->pending != PENDING_NONE && proc_state_is_stopped(proc_state(p)))
		ev_feed_event(d->loop, &d->deferred, EV_TIMER);
	check_shutdown_done(d);
}

static struct proc *
add_proc(struct daemon *d, const struct rl_process *rp, struct rules *owner)
{
	struct dproc *dp = xcalloc(1, sizeof(*dp));

	dp->proc = proc_new(&d->pctx, rp);
	dp->owner = owner;
	dp->vid = SCHED_NONE;
	proc_set_data(dp->proc, dp);
	if (d->view != NULL)
		set_vid(d, dp->proc,
			sched_view_find_process(d->view, rp->namespec));
	d->index_stale = true;
	if (d->phase == DAEMON_SHUTTING_DOWN)
		proc_inhibit_restart(dp->proc, true);
	return dp->proc;
}

static void retire_unused_rules(struct daemon *d);

static void
drop_proc(struct daemon *d, struct proc *p)
{
	struct dproc *dp = proc_data(p);

	set_vid(d, p, SCHED_NONE);
	proc_free(p);
	free(dp);
	d->state_dirty = true;
	d->index_stale = true;
	retire_unused_rules(d);
}

static struct proc *
find_by_vid(const struct daemon *d, uint32_t vid)
{
	return vid < d->nbyvid ? d->byvid[vid] : NULL;
}

static void
set_vid(struct daemon *d, struct proc *p, uint32_t vid)
{
	struct dproc *dp = proc_data(p);

	if (dp->vid < d->nbyvid && d->byvid[dp->vid] == p)
		d->byvid[dp->vid] = NULL;
	dp->vid = vid;
	if (vid < d->nbyvid)
		d->byvid[vid] = p;
}

/* Carry out what sched/ decided.  Every target is the local instance:
 * there is no other in this view. */
static void
run_actions(struct daemon *d, struct sched_actions *acts)
{
	for (size_t i = 0; i < acts->n; i++) {
		const struct sched_action *a = &acts->v[i];
		struct proc *p = a->kind <= SCHED_ACT_FORCE
					 ? find_by_vid(d, a->proc)
					 : NULL;
		int r;

		switch (a->kind) {
		case SCHED_ACT_START:
			if (p == NULL)
				break;
			if (a->inst != d->local) {
				/* no start protocol between instances yet:
				 * the sequencer times the start out */
				log_warnx("%s: placed on instance %s, which "
					  "this daemon cannot command",
					  proc_namespec(p),
					  sched_view_instance(d->view, a->inst)
						  ->name);
				break;
			}
			r = proc_start(p);
			if (r < 0 && r != -EALREADY)
				log_warnx("%s: start refused in state %s",
					  proc_namespec(p),
					  proc_state_to_string(proc_state(p)));
			break;
		case SCHED_ACT_STOP:
			if (p != NULL)
				(void)proc_stop(p);
			break;
		case SCHED_ACT_FORCE:
			if (p == NULL)
				break;
			if (a->state == SCHED_PROC_FATAL &&
			    proc_state_is_stopped(proc_state(p)) &&
			    strstr(a->reason, "No resource") != NULL)
				(void)proc_no_resource(p);
			else
				log_warnx("%s: shown %s: %s", proc_namespec(p),
					  sched_proc_state_to_string(a->state),
					  a->reason);
			break;
		case SCHED_ACT_JOB_DONE:
			log_debug("job %u done (%s)", a->job,
				  a->ok ? "ok" : "failed");
			tell_watchers(d, NULL, a->job, a->ok);
			if (a->job == d->shutdown_job &&
			    d->phase == DAEMON_SHUTTING_DOWN) {
				/* anything the sequence did not cover */
				for (struct proc *q = daemon_first_proc(d); q;
				     q = proc_next(q))
					(void)proc_stop(q);
			}
			break;
		case SCHED_ACT_SHUTDOWN:
		case SCHED_ACT_RESTART:
			log_warnx("running failure strategy: %s",
				  sched_action_kind_to_string(a->kind));
			daemon_shutdown(d);
			break;
		default:
			break;
		}
	}
	arm_seq_timer(d);
}

static void
on_seq_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon *d = container_of(w, struct daemon, seq_timer);
	struct sched_actions acts = SCHED_ACTIONS_INIT;

	int64_t now = util_now_ms();

	sched_view_expire(d->view, now);
	sched_seq_tick(d->seq, d->view, now, &acts);
	run_actions(d, &acts);
	sched_actions_done(&acts);
}

/* ------------------------------------------------------------ commands */

static int
seq_result(struct daemon *d, int r, struct sched_actions *acts,
	   uint32_t job, uint32_t *ret_job)
{
	run_actions(d, acts);
	sched_actions_done(acts);
	if (r < 0)
		return r;
	if (ret_job != NULL)
		*ret_job = job;
	return 0;
}

int
daemon_start_process(struct daemon *d, struct proc *p,
		     enum rl_strategy strategy, uint32_t *ret_job)
{
	struct sched_actions acts = SCHED_ACTIONS_INIT;
	const struct dproc *dp = proc_data(p);
	uint32_t job = SCHED_NONE;
	int r;

	if (d->phase == DAEMON_SHUTTING_DOWN)
		return -ESHUTDOWN;
	if (proc_state_is_running(proc_state(p)))
		return -EALREADY;
	if (proc_state(p) == PROC_STOPPING || proc_state(p) == PROC_UNKNOWN)
		return -EBUSY;
	if (dp->vid == SCHED_NONE)
		return -ENOENT;
	r = sched_seq_start_process(d->seq, d->view, dp->vid, strategy,
				    SCHED_NONE, util_now_ms(), &acts, &job);
	r = seq_result(d, r, &acts, job, ret_job);
	if (r == 0 && proc_state(p) == PROC_FATAL &&
	    strcmp(proc_fsm(p)->reason, "No resource available") == 0)
		return -ENOSPC;
	return r;
}

int
daemon_stop_process(struct daemon *d, struct proc *p, uint32_t *ret_job)
{
	struct sched_actions acts = SCHED_ACTIONS_INIT;
	const struct dproc *dp = proc_data(p);
	uint32_t job = SCHED_NONE;
	int r;

	if (proc_state_is_stopped(proc_state(p)))
		return -EALREADY;
	if (dp->vid == SCHED_NONE) {
		r = proc_stop(p);
		if (ret_job != NULL && r == 0)
			*ret_job = SCHED_NONE;
		return r == -ESRCH ? -EALREADY : r;
	}
	r = sched_seq_stop_process(d->seq, d->view, dp->vid, util_now_ms(),
				   &acts, &job);
	return seq_result(d, r, &acts, job, ret_job);
}

static uint32_t
app_id(const struct daemon *d, const char *app)
{
	return sched_view_find_app(d->view, app);
}

enum app_cmd { APP_START, APP_STOP, APP_RESTART };

static int
app_command(struct daemon *d, const char *app, enum app_cmd cmd,
	    enum rl_strategy strategy, uint32_t *ret_job)
{
	struct sched_actions acts = SCHED_ACTIONS_INIT;
	uint32_t id = app_id(d, app), job = SCHED_NONE;
	int64_t now = util_now_ms();
	int r;

	if (cmd != APP_STOP && d->phase == DAEMON_SHUTTING_DOWN)
		return -ESHUTDOWN;
	if (id == SCHED_NONE)
		return -ENOENT;
	if (cmd == APP_START)
		r = sched_seq_start_app(d->seq, d->view, id, strategy, now,
					&acts, &job);
	else if (cmd == APP_STOP)
		r = sched_seq_stop_app(d->seq, d->view, id, now, &acts, &job);
	else
		r = sched_seq_restart_app(d->seq, d->view, id, strategy, now,
					  &acts, &job);
	return seq_result(d, r, &acts, job, ret_job);
}

int
daemon_start_app(struct daemon *d, const char *app, enum rl_strategy strategy,
		 uint32_t *ret_job)
{
	return app_command(d, app, APP_START, strategy, ret_job);
}

int
daemon_stop_app(struct daemon *d, const char *app, uint32_t *ret_job)
{
	return app_command(d, app, APP_STOP, SCHED_STRATEGY_DEFAULT, ret_job);
}

int
daemon_restart_app(struct daemon *d, const char *app,
		   enum rl_strategy strategy, uint32_t *ret_job)
{
	return app_command(d, app, APP_RESTART, strategy, ret_job);
}

bool
daemon_job_active(const struct daemon *d, uint32_t job)
{
	return job != SCHED_NONE && sched_seq_job_active(d->seq, job);
}

/* ------------------------------------------------------------ shutdown */

static bool
all_stopped(const struct daemon *d)
{
	for (struct proc *p = daemon_first_proc(d); p; p = proc_next(p))
		if (!proc_state_is_stopped(proc_state(p)) || proc_pid(p) > 0)
			return false;
	return true;
}

static void
check_shutdown_done(struct daemon *d)
{
	if (d->phase != DAEMON_SHUTTING_DOWN || !all_stopped(d))
		return;
	if (ev_is_active(&d->exit_timer))
		return;
	log_info("every process stopped, exiting");
	/* a moment for the answers already queued (shutdown's 202) */
	ev_timer_set(&d->exit_timer, 0.1, 0.);
	ev_timer_start(d->loop, &d->exit_timer);
}

static void
on_exit_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	ev_break(loop, EVBREAK_ALL);
}

void
daemon_shutdown(struct daemon *d)
{
	struct sched_actions acts = SCHED_ACTIONS_INIT;
	uint32_t job = SCHED_NONE;
	bool leftovers = d->phase == DAEMON_LEFTOVERS;

	if (d->phase == DAEMON_SHUTTING_DOWN)
		return;
	d->phase = DAEMON_SHUTTING_DOWN;
	log_notice("shutting down: stopping every process by stop_sequence");
	cluster_leave(d->cluster);
	notify_send("STOPPING=1");
	for (struct proc *p = daemon_first_proc(d); p; p = proc_next(p))
		proc_inhibit_restart(p, true);
	if (leftovers) {
		ev_timer_stop(d->loop, &d->leftover_timer);
		ev_break(d->loop, EVBREAK_ALL);
		return;
	}
	sched_seq_abort(d->seq, d->view);
	if (sched_seq_stop_all(d->seq, d->view, util_now_ms(), &acts, &job) ==
	    0)
		d->shutdown_job = job;
	run_actions(d, &acts);
	sched_actions_done(&acts);
	if (d->shutdown_job == SCHED_NONE)
		for (struct proc *p = daemon_first_proc(d); p; p = proc_next(p))
			(void)proc_stop(p);
	check_shutdown_done(d);
}

static void
kill_everything(struct daemon *d)
{
	log_warnx("second stop request: killing every process");
	d->killing = true;
	for (struct proc *p = daemon_first_proc(d); p; p = proc_next(p)) {
		pid_t pid = proc_pid(p);

		if (pid > 0) {
			(void)kill(-pid, SIGKILL);
			(void)kill(pid, SIGKILL);
		}
	}
	check_shutdown_done(d);
}

static void
on_term(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct daemon *d = w->data;

	log_info("received SIG%s", util_signal_name(w->signum));
	if (d->phase == DAEMON_SHUTTING_DOWN)
		kill_everything(d);
	else
		daemon_shutdown(d);
}

/* ------------------------------------------------------------ reload */

static void
retire_unused_rules(struct daemon *d)
{
	for (size_t i = 0; i < d->nretired;) {
		bool used = false;

		for (struct proc *p = daemon_first_proc(d); p && !used;
		     p = proc_next(p))
			used = ((struct dproc *)proc_data(p))->owner ==
			       d->retired[i];
		if (used) {
			i++;
			continue;
		}
		rules_free(d->retired[i]);
		d->retired[i] = d->retired[--d->nretired];
	}
}

static void
list_add(struct strbuf *sb, const char *ns)
{
	if (sb == NULL)
		return;
	strbuf_addf(sb, "%s\"%s\"", sb->len ? "," : "", ns);
}

static void
on_deferred(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon *d = container_of(w, struct daemon, deferred);
	struct proc *p, *next;

	for (p = daemon_first_proc(d); p; p = next) {
		struct dproc *dp = proc_data(p);
		const struct rl_process *conf;
		struct proc *np;
		bool restart;

		next = proc_next(p);
		if (dp->pending == PENDING_NONE ||
		    !proc_state_is_stopped(proc_state(p)) || proc_pid(p) > 0)
			continue;
		conf = dp->next_conf;
		restart = dp->restart_after;
		if (dp->pending == PENDING_DROP) {
			log_info("%s: removed", proc_namespec(p));
			drop_proc(d, p);
			continue;
		}
		drop_proc(d, p);
		np = add_proc(d, conf, d->rules);
		log_info("%s: re-created with its new settings",
			 proc_namespec(np));
		if (restart)
			(void)daemon_start_process(d, np, SCHED_STRATEGY_DEFAULT,
						   NULL);
	}
	check_shutdown_done(d);
}

/* New AUTO log files go to DIR; open ones stay where they are. */
static void
set_log_dir(struct daemon *d, const char *dir)
{
	if (dir == NULL || (d->log_dir != NULL && strcmp(dir, d->log_dir) == 0))
		return;
	make_dir(dir);
	free(d->log_dir);
	d->log_dir = xstrdup(dir);
	d->pctx.log_dir = d->log_dir;
}

struct added {
	struct proc *proc;
	bool app_existed; /* its application was in the previous rules */
};

static bool
app_active(struct daemon *d, const char *app)
{
	for (struct proc *p = daemon_first_proc(d); p; p = proc_next(p))
		if (proc_state_is_running(proc_state(p)) &&
		    strcmp(proc_config(p)->program->app->name, app) == 0)
			return true;
	return false;
}

/* What a reload adds starts as the start sequence would have started it
 * (supervisorctl's `update` starts what is autostart): a new application
 * with start_sequence > 0 is started whole, in its sequence; a new
 * sequenced program of an application that is running joins it.  Nothing
 * starts in an application a user stopped. */
static void
start_added(struct daemon *d, const struct added *v, size_t n)
{
	if (d->phase != DAEMON_OPERATION)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct rl_program *prog = proc_config(v[i].proc)->program;
		const struct rl_application *app = prog->app;
		bool first = true;
		int r;

		if (app->start_sequence == 0 || prog->start_sequence == 0)
			continue;
		if (v[i].app_existed) {
			if (!app_active(d, app->name))
				continue;
			r = daemon_start_process(d, v[i].proc,
						 SCHED_STRATEGY_DEFAULT, NULL);
		} else {
			/* once per new application */
			for (size_t j = 0; j < i; j++)
				if (proc_config(v[j].proc)->program->app == app)
					first = false;
			if (!first)
				continue;
			r = daemon_start_app(d, app->name,
					     SCHED_STRATEGY_DEFAULT, NULL);
		}
		if (r < 0 && r != -EALREADY) {
			errno = -r;
			log_warn("reload: cannot start '%s'",
				 v[i].app_existed ? proc_namespec(v[i].proc)
						  : app->name);
		}
	}
}

static int
load_rules(struct daemon *d, struct rules **ret, struct rl_diags *diags)
{
	struct rules_load_opts opts = {
		.name = d->name,
		.is_root = geteuid() == 0,
	};

	return rules_load(d->config, &opts, ret, diags);
}

int
daemon_reload(struct daemon *d, struct rl_diags *diags,
	      struct daemon_reload *ret)
{
	struct rules *nr = NULL, *old = d->rules;
	struct added *added = NULL;
	struct proc *p, *next;
	unsigned unchanged = 0;
	size_t nadded = 0;
	int r;

	if (d->phase == DAEMON_SHUTTING_DOWN)
		return -ESHUTDOWN;
	notify_send("RELOADING=1");
	r = load_rules(d, &nr, diags);
	if (r < 0) {
		log_error("reload of '%s' rejected: %u error(s); the running "
			  "rules stay", d->config, diags->errors);
		for (size_t i = 0; i < diags->n; i++)
			log_error("%s:%d:%d: %s", diags->v[i].file,
				  diags->v[i].line, diags->v[i].column,
				  diags->v[i].message);
		notify_send("READY=1");
		return r;
	}
	/* existing processes first: unchanged, changed or removed */
	for (p = daemon_first_proc(d); p; p = next) {
		struct dproc *dp = proc_data(p);
		const struct rl_process *nc;

		next = proc_next(p);
		if (dp->pending == PENDING_DROP)
			continue;
		nc = rules_find_process(nr, proc_namespec(p));
		if (nc != NULL && memcmp(nc->config_hash,
					 proc_config(p)->config_hash,
					 sizeof(nc->config_hash)) == 0 &&
		    dp->pending == PENDING_NONE) {
			proc_set_config(p, nc);
			dp->owner = nr;
			unchanged++;
			continue;
		}
		if (nc == NULL) {
			list_add(ret ? ret->removed : NULL, proc_namespec(p));
			dp->pending = PENDING_DROP;
			d->index_stale = true;
		} else {
			list_add(ret ? ret->changed : NULL, proc_namespec(p));
			dp->pending = PENDING_RECREATE;
			dp->next_conf = nc;
			dp->restart_after = dp->restart_after ||
				proc_state_is_running(proc_state(p));
		}
		set_vid(d, p, SCHED_NONE);
		if (proc_state_is_stopped(proc_state(p)) && proc_pid(p) <= 0)
			continue;
		(void)proc_stop(p);
	}
	/* then the new ones, with the new log_dir */
	set_log_dir(d, rules_instance(nr)->log_dir);
	for (size_t i = 0; i < rules_nprocesses(nr); i++) {
		const struct rl_process *rp = rules_process(nr, i);
		struct proc *q = NULL;

		for (p = daemon_first_proc(d); p && q == NULL; p = proc_next(p))
			if (strcmp(proc_namespec(p), rp->namespec) == 0)
				q = p;
		if (q != NULL)
			continue;
		list_add(ret ? ret->added : NULL, rp->namespec);
		log_info("%s: added", rp->namespec);
		added = xreallocarray(added, nadded + 1, sizeof(*added));
		added[nadded].proc = add_proc(d, rp, nr);
		added[nadded].app_existed =
			rules_find_application(old, rp->program->app->name) !=
			NULL;
		nadded++;
	}
	d->rules = nr;
	d->retired = xreallocarray(d->retired, d->nretired + 1,
				   sizeof(*d->retired));
	d->retired[d->nretired++] = old;
	r = build_view(d);
	if (r < 0) {
		errno = -r;
		log_warn("reload: cannot build the cluster view");
	}
	cluster_view_rebuilt(d->cluster);
	if (ret != NULL)
		ret->unchanged = unchanged;
	start_added(d, added, nadded);
	free(added);
	log_notice("reloaded '%s': %u unchanged", d->config, unchanged);
	if (d->ctl != NULL)
		ctl_reloaded(d->ctl);
	retire_unused_rules(d);
	/* processes stopped already are handled at once */
	ev_feed_event(d->loop, &d->deferred, EV_TIMER);
	notify_send("READY=1");
	return 0;
}

static void
on_hup(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct daemon *d = w->data;
	struct rl_diags diags = RL_DIAGS_INIT;

	log_info("received SIGHUP: reloading '%s'", d->config);
	(void)daemon_reload(d, &diags, NULL);
	rl_diags_done(&diags);
}

static void
on_usr2(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct daemon *d = w->data;
	int r = log_reopen();

	if (r < 0) {
		errno = -r;
		log_warn("cannot reopen the daemon log");
	}
	for (struct proc *p = daemon_first_proc(d); p; p = proc_next(p))
		proc_reopen_logs(p);
	log_info("received SIGUSR2: log files reopened");
}

/* ------------------------------------------------------------ housekeeping */

static void
update_status(struct daemon *d)
{
	unsigned n = 0, running = 0;
	char buf[256];

	for (struct proc *p = daemon_first_proc(d); p; p = proc_next(p)) {
		n++;
		running += proc_state(p) == PROC_RUNNING;
	}
	snprintf(buf, sizeof(buf), "STATUS=%s: %u/%u processes running",
		 daemon_phase_to_string(d->phase), running, n);
	if (strcmp(buf, d->last_status) != 0) {
		notify_send(buf);
		snprintf(d->last_status, sizeof(d->last_status), "%s", buf);
	}
}

static void
on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon *d = container_of(w, struct daemon, tick);

	if (d->state_dirty)
		save_state(d);
	update_status(d);
	if (d->phase == DAEMON_OPERATION && sched_failq_len(d->failq) > 0) {
		struct sched_actions acts = SCHED_ACTIONS_INIT;

		sched_fail_run(d->failq, d->seq, d->view, util_now_ms(), &acts);
		run_actions(d, &acts);
		sched_actions_done(&acts);
	}
}

static void
on_watchdog(struct ev_loop *loop, ev_timer *w, int revents)
{
	notify_send("WATCHDOG=1");
}

/* ------------------------------------------------------------ leftovers */

static void
begin_operation(struct daemon *d)
{
	struct sched_actions acts = SCHED_ACTIONS_INIT;

	d->leftovers = NULL;
	d->nleftovers = 0;
	d->phase = DAEMON_OPERATION;
	save_state(d);
	notify_send("READY=1");
	update_status(d);
	log_notice("ready: %zu processes configured", d->pctx.nprocs);
	(void)sched_seq_start_all(d->seq, d->view, util_now_ms(), &acts, NULL);
	run_actions(d, &acts);
	sched_actions_done(&acts);
}

static void
on_leftover_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon *d = container_of(w, struct daemon, leftover_timer);
	int64_t now = util_now_ms();
	size_t k = 0;

	for (size_t i = 0; i < d->nleftovers; i++)
		if (statefile_leftover_alive(&d->leftovers[i]))
			d->leftovers[k++] = d->leftovers[i];
	d->nleftovers = k;
	if (k > 0 && now >= d->leftover_kill_at && !d->leftovers_killed) {
		log_warnx("%zu leftover process(es) ignored SIGTERM, sending "
			  "SIGKILL", k);
		for (size_t i = 0; i < k; i++)
			(void)kill(d->leftovers[i].pid, SIGKILL);
		d->leftovers_killed = true;
	}
	if (k > 0 && now < d->leftover_giveup_at)
		return;
	if (k > 0)
		log_error("%zu leftover process(es) would not die, going on", k);
	else
		log_info("leftovers of the previous daemon are gone");
	ev_timer_stop(loop, w);
	free(d->leftovers);
	begin_operation(d);
}

static void
stop_leftovers(struct daemon *d)
{
	struct statefile_entry *v = NULL;
	size_t n = 0;
	int r;

	d->phase = DAEMON_LEFTOVERS;
	if (d->state_path == NULL ||
	    statefile_load(d->state_path, &v, &n) < 0 || n == 0) {
		free(v);
		begin_operation(d);
		return;
	}
	r = statefile_find_leftovers(v, n, &d->leftovers, &d->nleftovers);
	free(v);
	if (r <= 0) {
		free(d->leftovers);
		begin_operation(d);
		return;
	}
	log_warnx("%zu process(es) left by a previous daemon are still "
		  "running: stopping them before anything starts",
		  d->nleftovers);
	for (size_t i = 0; i < d->nleftovers; i++)
		(void)kill(d->leftovers[i].pid, SIGTERM);
	d->leftover_kill_at = util_now_ms() + LEFTOVER_TERM_MS;
	d->leftover_giveup_at = util_now_ms() + LEFTOVER_GIVEUP_MS;
	ev_timer_set(&d->leftover_timer, 0.05, 0.05);
	ev_timer_start(d->loop, &d->leftover_timer);
}

/* ------------------------------------------------------------ life */

static void
make_dir(const char *path)
{
	char *tmp = xstrdup(path);

	for (char *s = tmp + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		(void)mkdir(tmp, 0755);
		*s = '/';
	}
	if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
		log_warn("cannot create '%s', ignoring", path);
	free(tmp);
}

static void
init_signal(struct daemon *d, ev_signal *w, int sig,
	    void (*cb)(struct ev_loop *, ev_signal *, int))
{
	ev_signal_init(w, cb, sig);
	w->data = d;
	ev_signal_start(d->loop, w);
}

static char *
read_token(const char *path)
{
	char buf[512];
	size_t n;
	FILE *f = fopen(path, "re");

	if (f == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
			 buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return n > 0 ? xstrdup(buf) : NULL;
}

/* The control socket (and the optional TCP listener): refuse to start
 * when another daemon answers on the socket. */
static int
start_api(struct daemon *d)
{
	const struct rl_instance_conf *ic = rules_instance(d->rules);
	char *dir, *slash;
	int r;

	d->ctl = ctl_new(d);
	d->http = http_server_new(d->loop, ctl_handle, d->ctl);
	if (d->http == NULL) {
		log_error("cannot create the HTTP server");
		return -ENOMEM;
	}
	if (ic->control != NULL) {
		dir = xstrdup(ic->control);
		slash = strrchr(dir, '/');
		if (slash != NULL && slash != dir) {
			*slash = '\0';
			make_dir(dir);
		}
		free(dir);
		r = http_server_listen_unix(d->http, ic->control, 0660);
		if (r == -EADDRINUSE) {
			log_error("another daemon answers on '%s', not "
				  "starting", ic->control);
			return r;
		}
		if (r < 0) {
			errno = -r;
			log_warn("cannot listen on '%s'", ic->control);
			return r;
		}
		log_info("control socket '%s'", ic->control);
	}
	if (ic->http != NULL) {
		char *token = ic->http_token_file
				      ? read_token(ic->http_token_file)
				      : NULL;

		if (ic->http_token_file != NULL && token == NULL)
			log_warnx("cannot read token file '%s': TCP writes "
				  "refused", ic->http_token_file);
		r = http_server_listen_tcp(d->http, ic->http, token,
					   ic->http_public_read);
		free(token);
		if (r < 0) {
			errno = -r;
			log_warn("cannot listen on '%s'", ic->http);
			return r;
		}
		log_info("HTTP API on '%s'", ic->http);
	}
	return 0;
}

int
daemon_new(struct ev_loop *loop, const struct daemon_opts *o,
	   struct daemon **ret)
{
	struct rl_diags diags = RL_DIAGS_INIT;
	const struct rl_instance_conf *ic;
	struct daemon *d = xcalloc(1, sizeof(*d));
	int r;

	d->loop = loop;
	d->config = xstrdup(o->config ? o->config : rules_default_path());
	d->name = o->name ? xstrdup(o->name) : NULL;
	d->shutdown_job = SCHED_NONE;
	d->start_ms = util_now_ms();
	r = load_rules(d, &d->rules, &diags);
	if (r < 0) {
		rl_diags_print(&diags, stderr);
		rl_diags_done(&diags);
		daemon_free(d);
		return -EINVAL;
	}
	rl_diags_print(&diags, stderr); /* warnings */
	rl_diags_done(&diags);
	ic = rules_instance(d->rules);
	if (ic->state_dir != NULL) {
		make_dir(ic->state_dir);
		d->state_path = xasprintf("%s/children", ic->state_dir);
	}
	if (ic->log_dir != NULL) {
		make_dir(ic->log_dir);
		d->log_dir = xstrdup(ic->log_dir);
	}

	d->pctx = (struct proc_ctx){.on_change = on_proc_change, .data = d,
				    .is_root = geteuid() == 0};
	proc_ctx_init(&d->pctx, loop, d->log_dir);
	for (size_t i = 0; i < rules_nprocesses(d->rules); i++)
		add_proc(d, rules_process(d->rules, i), d->rules);
	r = build_view(d);
	if (r < 0) {
		errno = -r;
		log_warn("cannot build the cluster view");
		daemon_free(d);
		return r;
	}

	r = start_api(d);
	if (r < 0) {
		daemon_free(d);
		return r;
	}
	r = cluster_new(d, &d->cluster);
	if (r < 0) {
		daemon_free(d);
		return r;
	}
	if (d->cluster != NULL)
		cluster_set_obs(d->cluster, ctl_obs(d->ctl));

	init_signal(d, &d->sig_term, SIGTERM, on_term);
	init_signal(d, &d->sig_int, SIGINT, on_term);
	init_signal(d, &d->sig_hup, SIGHUP, on_hup);
	init_signal(d, &d->sig_usr2, SIGUSR2, on_usr2);
	ev_timer_init(&d->tick, on_tick, TICK_S, TICK_S);
	ev_timer_start(loop, &d->tick);
	ev_timer_init(&d->seq_timer, on_seq_timer, 0., 0.);
	ev_timer_init(&d->deferred, on_deferred, 0., 0.);
	ev_timer_init(&d->leftover_timer, on_leftover_timer, 0., 0.);
	ev_timer_init(&d->watchdog, on_watchdog, 0., 0.);
	ev_timer_init(&d->exit_timer, on_exit_timer, 0., 0.);
	if (notify_watchdog_ms() > 0) {
		double half = notify_watchdog_ms() / 2000.0;

		ev_timer_set(&d->watchdog, half, half);
		ev_timer_start(loop, &d->watchdog);
	}
	*ret = d;
	return 0;
}

int
daemon_run(struct daemon *d)
{
	stop_leftovers(d);
	ev_run(d->loop, 0);
	return d->exit_code;
}

struct daemon *
daemon_free(struct daemon *d)
{
	struct proc *p;

	if (d == NULL)
		return NULL;
	if (d->loop != NULL) {
		ev_signal_stop(d->loop, &d->sig_term);
		ev_signal_stop(d->loop, &d->sig_int);
		ev_signal_stop(d->loop, &d->sig_hup);
		ev_signal_stop(d->loop, &d->sig_usr2);
		ev_timer_stop(d->loop, &d->tick);
		ev_timer_stop(d->loop, &d->seq_timer);
		ev_timer_stop(d->loop, &d->deferred);
		ev_timer_stop(d->loop, &d->leftover_timer);
		ev_timer_stop(d->loop, &d->watchdog);
		ev_timer_stop(d->loop, &d->exit_timer);
	}
	d->http = http_server_free(d->http);
	d->ctl = ctl_free(d->ctl);
	d->cluster = cluster_free(d->cluster);
	if (d->pctx.loop != NULL) {
		logpipe_close_all();
		while ((p = daemon_first_proc(d)) != NULL) {
			struct dproc *dp = proc_data(p);

			proc_free(p);
			free(dp);
		}
		proc_ctx_done(&d->pctx);
		if (d->phase != DAEMON_LEFTOVERS)
			save_state(d);
	}
	d->seq = sched_seq_free(d->seq);
	d->view = sched_view_free(d->view);
	d->failq = sched_failq_free(d->failq);
	for (size_t i = 0; i < d->nretired; i++)
		rules_free(d->retired[i]);
	free(d->retired);
	rules_free(d->rules);
	free(d->index);
	free(d->byvid);
	free(d->state_path);
	free(d->log_dir);
	free(d->config);
	free(d->name);
	free(d);
	return NULL;
}
