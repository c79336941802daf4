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

#include <cjson/cJSON.h>
#include <sodium.h>
#include <errno.h>
#include <ev.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cluster.h"
#include "core/ctl.h"
#include "core/ctl_cluster.h"
#include "core/ctl_obs.h"
#include "core/ctl_req.h"
#include "core/log.h"
#include "core/logfile.h"
#include "core/notify.h"
#include "core/proc.h"
#include "core/record.h"
#include "core/statefile.h"
#include "core/disabled.h"
#include "core/util.h"
#include "net/http.h"
#include "sched/action.h"
#include "sched/app.h"
#include "sched/failure.h"
#include "sched/fsm.h"
#include "sched/place.h"
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
	char *requester; /* the instance that asked the last start/stop */
	uint64_t version; /* of its record in the gossip */
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
	struct sched_fsm *fsm;	       /* NULL until leftovers are handled */
	struct sched_fsm_peer published; /* our record as last published */
	uint64_t view_gen;	       /* +1 per view: stale peer answers */
	bool restart_requested;
	uint32_t local;
	enum daemon_phase phase;
	int64_t start_ms;
	uint32_t shutdown_job;
	bool killing; /* second SIGTERM: SIGKILL everything */
	char *state_path;
	struct disabled *disabled; /* programs disabled here (disabled.h) */
	char *disabled_path;	   /* NULL without state_dir */
	char *log_dir; /* a copy: the rules it came from may be retired */
	bool state_dirty;
	struct leftover *leftovers;
	size_t nleftovers;
	int64_t leftover_kill_at, leftover_giveup_at;
	bool leftovers_killed;
	ev_signal sig_term, sig_int, sig_hup, sig_usr2;
	ev_timer tick, seq_timer, deferred, leftover_timer, watchdog, exit_timer;
	ev_timer fsm_timer; /* fed to re-evaluate the state machine */
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
static void fsm_kick(struct daemon *d);
static bool is_master(const struct daemon *d);
static void make_dir(const char *path);
static void set_vid(struct daemon *d, struct proc *p, uint32_t vid);
static void check_shutdown_done(struct daemon *d);
static bool prog_disabled(const struct daemon *d,
			  const struct rl_program *prog);

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
	/* a crash: the master applies the running failure strategy
	 * (never after a refused start, which would loop) */
	if (crashed && d->phase == DAEMON_OPERATION && is_master(d) &&
	    strcmp(f->reason, "No resource available") != 0) {
		sched_fail_crash(d->failq, d->view, dp->vid, acts);
		sched_fail_run(d->failq, d->seq, d->view, now, acts);
	}
	fsm_kick(d);
}

static int
build_view(struct daemon *d)
{
	struct sched_seq_conf conf;
	int r;

	d->seq = sched_seq_free(d->seq);
	d->view = sched_view_free(d->view);
	d->failq = sched_failq_free(d->failq);
	d->failq = sched_failq_new();
	d->view_gen++;
	/* cluster.instances in file order (the `*` order of placement),
	 * with their tags; the others each on a node of their own until
	 * the gossip tells their machine */
	r = sched_view_build(d->rules, &d->view);
	if (r < 0)
		return r;
	d->local = sched_view_local(d->view);
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
		if (dp->vid != SCHED_NONE && proc_disabled(p))
			(void)sched_view_set_disabled(d->view, dp->vid,
						      d->local, true);
	}
	return 0;
}

/* ------------------------------------------------------------ procs */

static void
on_event_reply(void *arg, int err, const cJSON *reply)
{
	(void)arg;
	(void)err;
	(void)reply;
}

/* The instance whose start or stop this is hears of the outcome at
 * once, rather than a gossip interval later (the gossip brings it to
 * everybody else). */
static void
notify_requester(struct daemon *d, struct proc *p)
{
	struct dproc *dp = proc_data(p);
	const struct proc_fsm *f = proc_fsm(p);
	uint32_t inst;
	cJSON *body;

	if (dp->requester == NULL || d->cluster == NULL)
		return;
	inst = sched_view_find_instance(d->view, dp->requester);
	if (inst != SCHED_NONE) {
		body = cJSON_CreateObject();
		cJSON_AddStringToObject(body, "op", "event");
		cJSON_AddStringToObject(body, "namespec", proc_namespec(p));
		cJSON_AddStringToObject(body, "state",
					proc_state_to_string(f->state));
		cJSON_AddNumberToObject(body, "pid", proc_pid(p));
		cJSON_AddNumberToObject(
			body, "uptime_ms",
			proc_state_is_running(f->state)
				? (double)(util_now_ms() - f->laststart_ms)
				: 0);
		cJSON_AddBoolToObject(body, "expected",
				      f->has_exitstatus && f->expected);
		cJSON_AddNumberToObject(body, "version", (double)dp->version);
		(void)cluster_command(d->cluster, inst, body, on_event_reply,
				      NULL);
		cJSON_Delete(body);
	}
	if (f->state == PROC_RUNNING || proc_state_is_stopped(f->state)) {
		free(dp->requester);
		dp->requester = NULL;
	}
}

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
	dp->version = cluster_proc_changed(d->cluster, p);
	notify_requester(d, p);
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
	proc_set_disabled(dp->proc, prog_disabled(d, rp->program));
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
	free(dp->requester);
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

/* ------------------------------------------------------------ peers */

/* A start or stop sent to another instance, until its answer. */
struct peer_op {
	struct daemon *d;
	uint64_t gen; /* the view it was decided on */
	uint32_t proc;
	uint32_t inst;
	bool start;
};

/* The record version of a peer's answer or event (JSON numbers are
 * doubles: exact up to 2^53, and versions are generation << 32 | n). */
static uint64_t
json_version(const cJSON *o)
{
	const cJSON *v = cJSON_GetObjectItem(o, "version");

	return cJSON_IsNumber(v) && v->valuedouble >= 0 &&
			       v->valuedouble < 9007199254740992.0
		       ? (uint64_t)v->valuedouble
		       : 0;
}

static void
peer_refused(struct daemon *d, uint32_t proc, uint32_t inst)
{
	struct sched_actions acts = SCHED_ACTIONS_INIT;

	sched_seq_start_refused(d->seq, d->view, proc, inst, util_now_ms(),
				&acts);
	run_actions(d, &acts);
	sched_actions_done(&acts);
}

static void
on_peer_reply(void *arg, int err, const cJSON *reply)
{
	struct peer_op *op = arg;
	struct daemon *d = op->d;
	const cJSON *ok = reply ? cJSON_GetObjectItem(reply, "ok") : NULL;
	const cJSON *msg = reply ? cJSON_GetObjectItem(reply, "message")
				 : NULL;
	const struct sched_process *sp;
	const char *iname;

	if (err == -ECANCELED || op->gen != d->view_gen ||
	    (sp = sched_view_process(d->view, op->proc)) == NULL)
		goto out; /* a reload rebuilt the view meanwhile */
	iname = sched_view_instance(d->view, op->inst)->name;
	if (err == 0 && cJSON_IsTrue(ok)) {
		struct sched_event ev = {0};
		const cJSON *st = cJSON_GetObjectItem(reply, "state");
		int code = cJSON_IsString(st)
				   ? sched_proc_state_from_string(st->valuestring)
				   : -1;

		log_debug("%s on %s: %s", sp->namespec, iname,
			  cJSON_IsString(st) ? st->valuestring : "?");
		if (!op->start || code < 0)
			goto out;
		/* the state the start left it in, without waiting for the
		 * gossip to bring it */
		ev.state = (enum sched_proc_state)code;
		ev.pid = (int)cJSON_GetNumberValue(
			cJSON_GetObjectItem(reply, "pid"));
		ev.uptime_ms = (int64_t)cJSON_GetNumberValue(
			cJSON_GetObjectItem(reply, "uptime_ms"));
		ev.expected_exit =
			cJSON_IsTrue(cJSON_GetObjectItem(reply, "expected"));
		ev.version = json_version(reply);
		daemon_remote_event(d, op->proc, op->inst, &ev, NULL);
		goto out;
	}
	log_warnx("%s %s on %s: %s", op->start ? "start" : "stop",
		  sp->namespec, iname,
		  err != 0 ? "no answer"
		  : cJSON_IsString(msg) ? msg->valuestring
					: "refused");
	if (op->start)
		peer_refused(d, op->proc, op->inst);
out:
	free(op);
}

static void
peer_send(struct daemon *d, const struct sched_action *a)
{
	const struct sched_process *sp = sched_view_process(d->view, a->proc);
	const struct proc *p = find_by_vid(d, a->proc);
	const char *extra = sp->extra_args;
	struct peer_op *op = xcalloc(1, sizeof(*op));
	cJSON *body = cJSON_CreateObject();
	int r;

	if (extra == NULL && p != NULL)
		extra = proc_extra_args(p);
	op->d = d;
	op->gen = d->view_gen;
	op->proc = a->proc;
	op->inst = a->inst;
	op->start = a->kind == SCHED_ACT_START;
	cJSON_AddStringToObject(body, "op", op->start ? "start" : "stop");
	cJSON_AddStringToObject(body, "namespec", sp->namespec);
	if (op->start) {
		cJSON_AddNumberToObject(body, "load", a->load);
		if (extra != NULL)
			cJSON_AddStringToObject(body, "extra_args", extra);
	}
	r = cluster_command(d->cluster, a->inst, body, on_peer_reply, op);
	cJSON_Delete(body);
	if (r == 0)
		return;
	errno = -r;
	log_warn("%s %s on %s", op->start ? "start" : "stop", sp->namespec,
		 sched_view_instance(d->view, a->inst)->name);
	if (op->start)
		peer_refused(d, a->proc, a->inst);
	free(op);
}

/* Carry out what sched/ decided: local starts and stops here, the
 * others through the instance that owns the target. */
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
			if (a->inst != d->local) {
				peer_send(d, a);
				break;
			}
			if (p == NULL)
				break;
			r = proc_start(p);
			if (r < 0 && r != -EALREADY)
				log_warnx("%s: start refused in state %s",
					  proc_namespec(p),
					  proc_state_to_string(proc_state(p)));
			break;
		case SCHED_ACT_STOP:
			if (a->inst != d->local)
				peer_send(d, a);
			else if (p != NULL)
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
			tell_watchers(d, p, SCHED_NONE, false);
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
			fsm_kick(d);
			break;
		case SCHED_ACT_SHUTDOWN:
		case SCHED_ACT_RESTART:
			log_warnx("running failure strategy: %s",
				  sched_action_kind_to_string(a->kind));
			daemon_cluster_stop(d, a->kind == SCHED_ACT_RESTART,
					    NULL, NULL);
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

/* ------------------------------------------------------------ cluster */

static bool
is_master(const struct daemon *d)
{
	return d->fsm != NULL && sched_fsm_is_master(d->fsm);
}

/* The master in DISTRIBUTION, OPERATION or CONCILIATION: the states in
 * which it handles failures (reference/supvisors.md 5.8). */
static bool
master_working(const struct daemon *d)
{
	enum sched_cstate s = d->fsm ? sched_fsm_state(d->fsm) : SCHED_CS_OFF;

	return is_master(d) && s >= SCHED_CS_DISTRIBUTION &&
	       s <= SCHED_CS_CONCILIATION;
}

/* Evaluate the state machine from the loop, not from within the
 * callback that changed something: one evaluation per iteration. */
static void
fsm_kick(struct daemon *d)
{
	if (d->fsm != NULL && !ev_is_pending(&d->fsm_timer))
		ev_feed_event(d->loop, &d->fsm_timer, EV_TIMER);
}

static bool
any_conflict(const struct daemon *d)
{
	for (uint32_t i = 0; i < sched_view_nprocesses(d->view); i++)
		if (sched_view_conflict(d->view, i))
			return true;
	return false;
}

static void
fsm_setup(struct daemon *d)
{
	const struct rl_cluster_conf *cc = rules_cluster(d->rules);
	struct sched_fsm_conf conf = {
		.synchro = cc->synchro,
		.synchro_timeout_ms = cc->synchro_timeout_ms,
		.core_min_ms = 15000,
		.failure_strategy = cc->failure_strategy,
	};
	uint32_t *core = xcalloc(cc->ncore + 1, sizeof(*core));

	for (size_t i = 0; i < cc->ncore; i++) {
		uint32_t id = sched_view_find_instance(d->view, cc->core[i]);

		if (id != SCHED_NONE)
			core[conf.ncore++] = id;
	}
	conf.core = core;
	d->fsm = sched_fsm_free(d->fsm);
	d->fsm = sched_fsm_new(&conf, d->view, util_now_ms());
	memset(&d->published, 0, sizeof(d->published));
	free(core);
	fsm_kick(d);
}

/* The master in FINAL (its stop sequence done) tells every RUNNING
 * instance to finish too: a slave that missed SHUTTING_DOWN in the
 * gossip would otherwise see the master leave and elect another. */
static bool
is_master_of_record(const struct daemon *d)
{
	return d->fsm != NULL && sched_fsm_master(d->fsm) == d->local;
}

static void
tell_final(struct daemon *d)
{
	cJSON *body = cJSON_CreateObject();

	cJSON_AddStringToObject(body, "op", "final");
	cJSON_AddBoolToObject(body, "restart", d->restart_requested);
	for (uint32_t i = 0; i < sched_view_ninstances(d->view); i++)
		if (i != d->local && sched_view_instance(d->view, i)->state ==
					     SCHED_INST_RUNNING)
			(void)cluster_command(d->cluster, i, body,
					      on_event_reply, NULL);
	cJSON_Delete(body);
}

static void
fsm_apply(struct daemon *d, unsigned bits)
{
	const struct rl_cluster_conf *cc = rules_cluster(d->rules);
	struct sched_actions acts = SCHED_ACTIONS_INIT;
	int64_t now = util_now_ms();
	uint32_t job = SCHED_NONE;
	size_t n;

	if (bits & SCHED_FSM_DO_ABORT) {
		sched_seq_abort(d->seq, d->view);
		tell_watchers(d, NULL, SCHED_NONE, false);
	}
	if (bits & SCHED_FSM_DO_START_ALL) {
		log_notice("master: starting the applications by "
			   "start_sequence");
		(void)sched_seq_start_all(d->seq, d->view, now, &acts, &job);
	}
	if (bits & SCHED_FSM_DO_STOP_ALL) {
		log_notice("master: stopping the applications by "
			   "stop_sequence");
		(void)sched_seq_stop_all(d->seq, d->view, now, &acts, &job);
	}
	if ((bits & SCHED_FSM_DO_FAILURES) && sched_failq_len(d->failq) > 0)
		sched_fail_run(d->failq, d->seq, d->view, now, &acts);
	if (bits & SCHED_FSM_DO_CONCILIATE) {
		n = sched_conciliate_all(d->view, d->seq, d->failq,
					 cc->conciliation_strategy, now, &acts);
		if (n > 0)
			log_notice("master: %s applied to %zu conflict(s)",
				   rl_conciliation_to_string(
					   cc->conciliation_strategy),
				   n);
	}
	run_actions(d, &acts);
	sched_actions_done(&acts);
	if (bits & SCHED_FSM_DO_FINAL) {
		d->restart_requested =
			sched_fsm_final_kind(d->fsm) == SCHED_CS_RESTARTING;
		if (is_master_of_record(d))
			tell_final(d);
		daemon_shutdown(d);
	}
}

static void
fsm_eval(struct daemon *d)
{
	const struct rl_cluster_conf *cc = rules_cluster(d->rules);
	struct sched_fsm_work w = {
		.idle = sched_seq_idle(d->seq),
		.conflicts = any_conflict(d),
		.concil_user =
			cc->conciliation_strategy == RL_CONCILIATION_USER,
	};
	enum sched_cstate before = sched_fsm_state(d->fsm), now_state;
	struct sched_fsm_peer rec;
	unsigned bits;

	bits = sched_fsm_step(d->fsm, d->view, &w, util_now_ms());
	now_state = sched_fsm_state(d->fsm);
	if (now_state != before) {
		const char *m = daemon_master_name(d);

		log_notice("cluster: %s -> %s: %s%s%s",
			   sched_cstate_to_string(before),
			   sched_cstate_to_string(now_state),
			   sched_fsm_reason(d->fsm), m ? ", master " : "",
			   m ? m : "");
		/* a slave leaves failures to the master it follows */
		if (!is_master(d) && (now_state == SCHED_CS_DISTRIBUTION ||
				      now_state == SCHED_CS_OPERATION))
			sched_failq_clear(d->failq);
		tell_watchers(d, NULL, SCHED_NONE, false);
	}
	fsm_apply(d, bits);
	if (d->fsm == NULL)
		return;
	cluster_invalidate(d->cluster);
	if (sched_fsm_may_activate(d->fsm))
		cluster_activate(d->cluster);
	sched_fsm_record(d->fsm, d->view, &rec);
	if (memcmp(&rec, &d->published, sizeof(rec)) != 0) {
		d->published = rec;
		cluster_publish_fsm(d->cluster, &rec);
	}
	if (now_state != before ||
	    (bits & (SCHED_FSM_DO_START_ALL | SCHED_FSM_DO_STOP_ALL |
		     SCHED_FSM_DO_ABORT)))
		fsm_kick(d);
}

static void
on_fsm_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon *d = container_of(w, struct daemon, fsm_timer);

	(void)loop;
	(void)revents;
	if (d->fsm != NULL)
		fsm_eval(d);
}

const struct sched_fsm *
daemon_fsm(const struct daemon *d)
{
	return d->fsm;
}

const char *
daemon_master_name(const struct daemon *d)
{
	uint32_t m = d->fsm ? sched_fsm_master(d->fsm) : SCHED_NONE;

	return m == SCHED_NONE ? NULL : sched_view_instance(d->view, m)->name;
}

bool
daemon_may_activate(const struct daemon *d)
{
	return d->fsm == NULL || sched_fsm_may_activate(d->fsm);
}

bool
daemon_restart_requested(const struct daemon *d)
{
	return d->restart_requested;
}

void
daemon_cluster_changed(struct daemon *d)
{
	tell_watchers(d, NULL, SCHED_NONE, false);
	fsm_kick(d);
}

void
daemon_fsm_peer(struct daemon *d, uint32_t inst,
		const struct sched_fsm_peer *p)
{
	if (d->fsm == NULL)
		return;
	sched_fsm_set_peer(d->fsm, inst, p);
	fsm_kick(d);
}

void
daemon_remote_event(struct daemon *d, uint32_t proc, uint32_t inst,
		    const struct sched_event *ev, const char *extra_args)
{
	struct sched_actions acts = SCHED_ACTIONS_INIT;
	const struct sched_pinfo *pi = sched_view_pinfo(d->view, proc, inst);
	enum sched_proc_state before = pi ? pi->state : SCHED_PROC_STOPPED;
	int64_t now = util_now_ms();
	bool crashed;

	if (sched_view_process_event(d->view, proc, inst, ev, now) < 0)
		return;
	if (extra_args != NULL && extra_args[0] != '\0')
		sched_view_set_extra_args(d->view, proc, extra_args);
	crashed = ev->state != before &&
		  (ev->state == SCHED_PROC_FATAL ||
		   (ev->state == SCHED_PROC_EXITED && !ev->expected_exit));
	sched_seq_process_event(d->seq, d->view, proc, inst, now, &acts);
	if (crashed && master_working(d)) {
		sched_fail_crash(d->failq, d->view, proc, &acts);
		sched_fail_run(d->failq, d->seq, d->view, now, &acts);
	}
	run_actions(d, &acts);
	sched_actions_done(&acts);
	tell_watchers(d, find_by_vid(d, proc), SCHED_NONE, false);
	fsm_kick(d);
}

void
daemon_instance_lost(struct daemon *d, uint32_t inst)
{
	struct sched_actions acts = SCHED_ACTIONS_INIT;
	uint32_t *lost = xcalloc(sched_view_nprocesses(d->view) + 1,
				 sizeof(*lost));
	bool was_master = d->fsm != NULL && sched_fsm_master(d->fsm) == inst;
	int64_t now = util_now_ms();
	size_t n;

	n = sched_view_lose_instance(d->view, inst, now, lost);
	sched_seq_instance_lost(d->seq, d->view, inst, now, &acts);
	/* the master handles the loss; when the master itself is lost,
	 * every instance remembers it, and the next master acts on it
	 * (Supvisors leaves these processes alone) */
	if (n > 0 && (master_working(d) || was_master)) {
		sched_fail_instance_lost(d->failq, d->view, lost, n);
		log_notice("instance %s lost with %zu process(es) running "
			   "nowhere else",
			   sched_view_instance(d->view, inst)->name, n);
	}
	if (master_working(d))
		sched_fail_run(d->failq, d->seq, d->view, now, &acts);
	run_actions(d, &acts);
	sched_actions_done(&acts);
	free(lost);
	if (d->fsm != NULL)
		sched_fsm_forget_peer(d->fsm, inst);
	daemon_cluster_changed(d);
}

static void
reply_error(cJSON *reply, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
reply_error(cJSON *reply, const char *code, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cJSON_AddBoolToObject(reply, "ok", false);
	cJSON_AddStringToObject(reply, "error", code);
	cJSON_AddStringToObject(reply, "message", msg);
}

static void
reply_proc(cJSON *reply, const struct proc *p)
{
	const struct proc_fsm *f = proc_fsm(p);
	const struct dproc *dp = proc_data(p);

	cJSON_AddBoolToObject(reply, "ok", true);
	cJSON_AddStringToObject(reply, "state", proc_state_to_string(f->state));
	cJSON_AddNumberToObject(reply, "pid", proc_pid(p));
	cJSON_AddNumberToObject(reply, "uptime_ms",
				proc_state_is_running(f->state)
					? (double)(util_now_ms() -
						   f->laststart_ms)
					: 0);
	cJSON_AddBoolToObject(reply, "expected",
			      f->has_exitstatus && f->expected);
	cJSON_AddNumberToObject(reply, "version", (double)dp->version);
}

static void
set_requester(struct proc *p, const char *from)
{
	struct dproc *dp = proc_data(p);

	free(dp->requester);
	dp->requester = xstrdup(from);
}

/* A start on behalf of another instance: the admission check of
 * DESIGN.md 7.3 against our own view, then the spawn. */
static void
peer_start(struct daemon *d, struct proc *p, const struct record_cmd *cmd,
	   cJSON *reply, const char *from)
{
	const struct dproc *dp = proc_data(p);
	unsigned total = 0, want = cmd->load;
	int r;

	if (proc_state_is_running(proc_state(p))) {
		reply_proc(reply, p);
		return;
	}
	if (proc_disabled(p)) {
		reply_error(reply, "DISABLED", "%s is disabled on this instance",
			    proc_namespec(p));
		return;
	}
	if (dp->vid != SCHED_NONE) {
		r = sched_place_admit(d->view, d->local, dp->vid, want,
				      rules_cluster(d->rules)->load_source,
				      &total);
		if (r == -ENOSPC) {
			log_info("%s: start for %s refused: node load %u%% "
				 "+ %u%% > 100%%",
				 proc_namespec(p), from, total, want);
			reply_error(reply, "NO_RESOURCE",
				    "node load %u%% + %u%% exceeds 100%%",
				    total, want);
			return;
		}
	}
	if (cmd->extra_args != NULL) {
		char **argv = NULL;
		size_t n = 0;

		if (ctl_split_words(cmd->extra_args, &argv, &n) < 0) {
			reply_error(reply, "BAD_REQUEST", "bad extra_args");
			return;
		}
		proc_set_extra_args(p, n > 0 ? xstrdup(cmd->extra_args)
					     : NULL,
				    n > 0 ? argv : NULL);
		if (n == 0)
			ctl_free_words(argv);
	}
	set_requester(p, from);
	r = proc_start(p);
	if (r < 0 && r != -EALREADY) {
		reply_error(reply, "BUSY", "cannot start in state %s",
			    proc_state_to_string(proc_state(p)));
		return;
	}
	log_info("%s: started for %s", proc_namespec(p), from);
	reply_proc(reply, p);
}

static void
peer_command(struct daemon *d, const char *from, const struct record_cmd *cmd,
	     cJSON *reply)
{
	const char *o = record_op_to_string(cmd->op);
	struct proc *p = NULL;

	if (cmd->op == RECORD_OP_FINAL) {
		const char *m = daemon_master_name(d);

		if (m == NULL || strcmp(m, from) != 0) {
			reply_error(reply, "NOT_MASTER",
				    "%s is not our master", from);
			return;
		}
		log_notice("cluster %s done by the master %s: exiting",
			   cmd->restart ? "restart" : "shutdown", from);
		d->restart_requested = cmd->restart;
		cJSON_AddBoolToObject(reply, "ok", true);
		daemon_shutdown(d);
		return;
	}
	if (cmd->op == RECORD_OP_SHUTDOWN || cmd->op == RECORD_OP_RESTART) {
		if (!is_master(d)) {
			reply_error(reply, "NOT_MASTER", "not the master");
			return;
		}
		log_notice("cluster %s requested by %s", o, from);
		daemon_cluster_stop(d, cmd->op == RECORD_OP_RESTART, NULL,
				    NULL);
		cJSON_AddBoolToObject(reply, "ok", true);
		cJSON_AddStringToObject(
			reply, "state",
			sched_cstate_to_string(sched_fsm_state(d->fsm)));
		return;
	}
	if ((p = daemon_find_proc(d, cmd->namespec)) == NULL ||
	    !daemon_proc_listed(p)) {
		reply_error(reply, "BAD_NAME", "no such process");
		return;
	}
	if (cmd->op == RECORD_OP_START) {
		if (d->phase != DAEMON_OPERATION)
			reply_error(reply, "SHUTTING_DOWN",
				    "the daemon is not operating");
		else
			peer_start(d, p, cmd, reply, from);
	} else if (cmd->op == RECORD_OP_STOP) {
		if (!proc_state_is_stopped(proc_state(p)))
			set_requester(p, from);
		(void)proc_stop(p);
		reply_proc(reply, p);
	} else if (cmd->op == RECORD_OP_EVENT) {
		uint32_t inst = sched_view_find_instance(d->view, from);
		struct sched_event ev = {
			.state = cmd->state,
			.pid = cmd->pid,
			.uptime_ms = cmd->uptime_ms,
			.expected_exit = cmd->expected,
			.version = cmd->version,
		};

		if (inst == SCHED_NONE ||
		    daemon_proc_view_id(d, p) == SCHED_NONE) {
			reply_error(reply, "BAD_REQUEST", "bad event");
			return;
		}
		daemon_remote_event(d, daemon_proc_view_id(d, p), inst, &ev,
				    NULL);
		cJSON_AddBoolToObject(reply, "ok", true);
	} else if (cmd->op == RECORD_OP_LOG) {
		struct logfile *lf = proc_logfile(
			p, cmd->stream == RECORD_STDERR ? PROC_STDERR
							: PROC_STDOUT);
		struct strbuf out = STRBUF_INIT;
		int r = lf == NULL ? -ENOENT : logfile_tail(lf, cmd->bytes, &out);

		if (lf == NULL) {
			reply_error(reply, "NO_FILE", "no log file for that "
						      "stream");
		} else if (r < 0 && r != -ENOENT) {
			reply_error(reply, "NO_FILE", "%s", strerror(-r));
		} else {
			size_t len = sodium_base64_encoded_len(
				out.len, sodium_base64_VARIANT_ORIGINAL);
			char *b64 = xmalloc(len);

			sodium_bin2base64(b64, len,
					  (const unsigned char *)strbuf_str(&out),
					  out.len, sodium_base64_VARIANT_ORIGINAL);
			cJSON_AddBoolToObject(reply, "ok", true);
			cJSON_AddStringToObject(reply, "data", b64);
			free(b64);
		}
		strbuf_done(&out);
	} else if (cmd->op == RECORD_OP_DISABLE ||
		   cmd->op == RECORD_OP_ENABLE) {
		int r = daemon_set_disabled(d, p, cmd->op == RECORD_OP_DISABLE);

		if (r < 0)
			reply_error(reply, "BAD_REQUEST", "%s", strerror(-r));
		else
			cJSON_AddBoolToObject(reply, "ok", true);
	} else if (cmd->op == RECORD_OP_SIGNAL) {
		int r = proc_signal(p, cmd->signal);

		if (r < 0)
			reply_error(reply, "NOT_RUNNING", "%s", strerror(-r));
		else
			reply_proc(reply, p);
	}
}

/* The body is checked whole by record_cmd_from_json() first: a name
 * that cannot be one is a process we do not have. */
void
daemon_peer_command(struct daemon *d, const char *from, const cJSON *req,
		    cJSON *reply)
{
	struct record_cmd cmd;
	char msg[160];
	int r = record_cmd_from_json(req, &cmd, msg, sizeof(msg));

	if (r == -ENOENT) {
		reply_error(reply, "BAD_NAME", "no such process");
		return;
	}
	if (r < 0) {
		reply_error(reply, "BAD_REQUEST", "%s", msg);
		return;
	}
	peer_command(d, from, &cmd, reply);
	record_cmd_clear(&cmd);
}

/* ------------------------------------------------------------ cluster API */

int
daemon_peer_request(struct daemon *d, const char *instance,
		    const cJSON *body,
		    void (*fn)(void *arg, int err, const cJSON *reply),
		    void *arg)
{
	uint32_t inst = sched_view_find_instance(d->view, instance);

	if (inst == SCHED_NONE)
		return -ENOENT;
	if (inst == d->local)
		return -EINVAL;
	return cluster_command(d->cluster, inst, body, fn, arg);
}

int
daemon_conciliate(struct daemon *d, enum rl_conciliation strategy)
{
	struct sched_actions acts = SCHED_ACTIONS_INIT;
	size_t n;

	if (d->fsm == NULL ||
	    sched_fsm_state(d->fsm) != SCHED_CS_CONCILIATION)
		return -EAGAIN;
	if (!any_conflict(d))
		return -EALREADY;
	n = sched_conciliate_all(d->view, d->seq, d->failq, strategy,
				 util_now_ms(), &acts);
	log_notice("conciliation %s applied to %zu conflict(s)",
		   rl_conciliation_to_string(strategy), n);
	run_actions(d, &acts);
	sched_actions_done(&acts);
	fsm_kick(d);
	return 0;
}

int
daemon_end_sync(struct daemon *d, const char *master)
{
	uint32_t m = SCHED_NONE;
	int r;

	if (d->fsm == NULL)
		return -EAGAIN;
	if (master != NULL &&
	    (m = sched_view_find_instance(d->view, master)) == SCHED_NONE)
		return -ENOENT;
	r = sched_fsm_end_sync(d->fsm, d->view, m);
	if (r == 0) {
		log_notice("end_sync: master %s", daemon_master_name(d));
		fsm_kick(d);
	}
	return r;
}

struct stop_req {
	void (*done)(void *arg, int err, const char *msg);
	void *arg;
};

static void
on_stop_reply(void *arg, int err, const cJSON *reply)
{
	struct stop_req *sr = arg;
	const cJSON *msg = reply ? cJSON_GetObjectItem(reply, "message")
				 : NULL;

	if (sr->done != NULL && err == -ECANCELED) {
		sr->done(sr->arg, -ECANCELED, "the daemon is exiting");
	} else if (sr->done != NULL) {
		if (err != 0)
			sr->done(sr->arg, -ECOMM, "the master did not answer");
		else if (!cJSON_IsTrue(cJSON_GetObjectItem(reply, "ok")))
			sr->done(sr->arg, -EPERM,
				 cJSON_IsString(msg) ? msg->valuestring
						     : "refused");
		else
			sr->done(sr->arg, 0, NULL);
	}
	free(sr);
}

void
daemon_cluster_stop(struct daemon *d, bool restart,
		    void (*done)(void *arg, int err, const char *msg),
		    void *arg)
{
	enum sched_cstate to =
		restart ? SCHED_CS_RESTARTING : SCHED_CS_SHUTTING_DOWN;
	uint32_t m = d->fsm ? sched_fsm_master(d->fsm) : SCHED_NONE;
	unsigned bits = 0;
	int r;

	if (d->fsm == NULL || (d->cluster == NULL && !is_master(d))) {
		/* leftovers still being stopped: this daemon alone */
		d->restart_requested = restart;
		daemon_shutdown(d);
		if (done != NULL)
			done(arg, 0, NULL);
		return;
	}
	if (is_master(d)) {
		r = sched_fsm_request(d->fsm, to, &bits);
		if (r == 0) {
			log_notice("cluster %s: stopping every application "
				   "by stop_sequence",
				   restart ? "restart" : "shutdown");
			fsm_apply(d, bits);
			fsm_kick(d);
		}
		if (done != NULL)
			done(arg, r == -EALREADY ? 0 : r,
			     r == -EAGAIN ? "not allowed in this cluster state"
					  : NULL);
		return;
	}
	if (m == SCHED_NONE) {
		if (done != NULL)
			done(arg, -EAGAIN, "no master elected yet");
		return;
	}
	{
		struct stop_req *sr = xcalloc(1, sizeof(*sr));
		cJSON *body = cJSON_CreateObject();

		sr->done = done;
		sr->arg = arg;
		cJSON_AddStringToObject(body, "op",
					restart ? "restart" : "shutdown");
		r = cluster_command(d->cluster, m, body, on_stop_reply, sr);
		cJSON_Delete(body);
		if (r < 0) {
			free(sr);
			if (done != NULL)
				done(arg, r, "cannot reach the master");
		}
	}
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

/* Whether a start or a stop has something to do, from what the whole
 * cluster reports (the view), not from the local copy alone. */
static int
start_check(const struct daemon *d, const struct proc *p)
{
	const struct dproc *dp = proc_data(p);
	const struct sched_process *sp;

	if (dp->vid == SCHED_NONE)
		return -ENOENT;
	if (proc_state(p) == PROC_STOPPING || proc_state(p) == PROC_UNKNOWN)
		return -EBUSY;
	if (proc_state_is_running(proc_state(p)))
		return -EALREADY;
	sp = sched_view_process(d->view, dp->vid);
	if (sp->state == SCHED_PROC_STOPPING)
		return -EBUSY;
	return sp->nrunning > 0 ? -EALREADY : 0;
}

static bool
no_resource(const struct daemon *d, const struct proc *p)
{
	const struct dproc *dp = proc_data(p);
	const struct sched_process *sp = sched_view_process(d->view, dp->vid);

	if (proc_state(p) == PROC_FATAL &&
	    strcmp(proc_fsm(p)->reason, "No resource available") == 0)
		return true;
	return sp != NULL && sp->forced && sp->forced_reason != NULL &&
	       strcmp(sp->forced_reason, "No resource available") == 0 &&
	       sched_view_display_state(d->view, dp->vid) == SCHED_PROC_FATAL;
}

int
daemon_start_process(struct daemon *d, struct proc *p,
		     enum rl_strategy strategy, uint32_t *ret_job)
{
	return daemon_start_process_on(d, p, strategy, NULL, ret_job);
}

int
daemon_start_process_on(struct daemon *d, struct proc *p,
			enum rl_strategy strategy, const char *instance,
			uint32_t *ret_job)
{
	struct sched_actions acts = SCHED_ACTIONS_INIT;
	const struct dproc *dp = proc_data(p);
	uint32_t job = SCHED_NONE, inst = SCHED_NONE;
	int r;

	if (d->phase == DAEMON_SHUTTING_DOWN)
		return -ESHUTDOWN;
	if ((r = start_check(d, p)) < 0)
		return r;
	if (instance != NULL &&
	    (inst = sched_view_find_instance(d->view, instance)) == SCHED_NONE)
		return -ENOENT;
	r = sched_seq_start_process(d->seq, d->view, dp->vid, strategy, inst,
				    util_now_ms(), &acts, &job);
	r = seq_result(d, r, &acts, job, ret_job);
	if (r == 0 && no_resource(d, p))
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

	if (dp->vid == SCHED_NONE) {
		if (proc_state_is_stopped(proc_state(p)))
			return -EALREADY;
		r = proc_stop(p);
		if (ret_job != NULL && r == 0)
			*ret_job = SCHED_NONE;
		return r == -ESRCH ? -EALREADY : r;
	}
	if (proc_state_is_stopped(proc_state(p)) &&
	    sched_view_process(d->view, dp->vid)->nrunning == 0)
		return -EALREADY;
	r = sched_seq_stop_process(d->seq, d->view, dp->vid, util_now_ms(),
				   &acts, &job);
	return seq_result(d, r, &acts, job, ret_job);
}

void
daemon_proc_pstate(const struct daemon *d, const struct proc *p,
		   struct daemon_pstate *ret)
{
	const struct dproc *dp = proc_data(p);
	const struct proc_fsm *f = proc_fsm(p);
	const struct sched_process *sp;
	const struct sched_pinfo *pi;
	uint32_t show = SCHED_NONE;
	int64_t now = util_now_ms(), latest = INT64_MIN;
	bool on = proc_pid(p) > 0 || proc_state_is_running(f->state) ||
		  f->state == PROC_STOPPING;

	*ret = (struct daemon_pstate){
		.state = f->state,
		.instance = on ? rules_instance(d->rules)->name : NULL,
		.local = true,
		.pid = proc_pid(p),
		.expected = f->has_exitstatus && f->expected,
	};
	if (dp->vid == SCHED_NONE ||
	    (sp = sched_view_process(d->view, dp->vid)) == NULL)
		return;
	ret->conflict = sched_view_conflict(d->view, dp->vid);
	ret->pending = sp->resv != SCHED_NONE;
	for (size_t i = 0; i < sp->ninfo &&
			   ret->ninstances < DAEMON_PSTATE_INSTANCES;
	     i++)
		if (sched_proc_state_loading(sp->info[i].state) ||
		    sp->info[i].state == SCHED_PROC_STOPPING)
			ret->instances[ret->ninstances++] = sp->info[i].inst;
	if (on)
		return;
	if (sp->nrunning > 0) {
		show = sp->running_inst;
	} else {
		/* stopped everywhere: the latest report, as Supvisors */
		for (size_t i = 0; i < sp->ninfo; i++)
			if (sp->info[i].event_ms > latest) {
				latest = sp->info[i].event_ms;
				show = sp->info[i].inst;
			}
	}
	if (show != SCHED_NONE && show != d->local &&
	    (pi = sched_view_pinfo(d->view, dp->vid, show)) != NULL) {
		ret->local = false;
		ret->state = (enum proc_state)pi->state;
		ret->pid = pi->pid;
		ret->expected = pi->expected_exit;
		ret->instance = sched_view_instance(d->view, show)->name;
		if (sched_proc_state_loading(pi->state) ||
		    pi->state == SCHED_PROC_STOPPING)
			ret->uptime_ms = now - pi->start_ms;
		else
			ret->instance = NULL;
		ret->desc = cluster_proc_desc(d->cluster,
					      sched_view_instance(d->view, show)
						      ->name,
					      sp->namespec);
	}
	if (sp->nrunning == 0 && sp->forced) {
		ret->local = false;
		ret->state = (enum proc_state)sched_view_display_state(
			d->view, dp->vid);
		ret->desc = sp->forced_reason;
		ret->pid = 0;
	}
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
	/* leave only now: the peers saw our processes stop first, so they
	 * do not take them for lost */
	cluster_leave(d->cluster);
	/* a moment for the answers already queued (shutdown's 202) and
	 * for the leave to get out */
	ev_timer_set(&d->exit_timer, d->cluster ? 0.3 : 0.1, 0.);
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

/* ------------------------------------------------------------ disable */

static bool
prog_disabled(const struct daemon *d, const struct rl_program *prog)
{
	char key[DISABLED_KEY_MAX + 1];

	return disabled_make_key(prog->app->name, prog->name, key,
				 sizeof(key)) == 0 &&
	       disabled_has(d->disabled, key);
}

static void
save_disabled(struct daemon *d)
{
	int r;

	if (d->disabled_path == NULL)
		return; /* without state_dir, until the daemon stops */
	r = disabled_save(d->disabled, d->disabled_path);
	if (r < 0) {
		errno = -r;
		log_warn("cannot save '%s'", d->disabled_path);
	}
}

static void
load_disabled(struct daemon *d, const char *state_dir)
{
	int r;

	d->disabled = disabled_new();
	if (state_dir == NULL)
		return;
	d->disabled_path = xasprintf("%s/disabled", state_dir);
	r = disabled_load(d->disabled, d->disabled_path);
	if (r < 0 && r != -ENOENT) {
		errno = -r;
		log_warn("cannot read '%s': every program enabled",
			 d->disabled_path);
	} else if (disabled_count(d->disabled) > 0) {
		log_notice("%zu program(s) disabled on this instance (%s)",
			   disabled_count(d->disabled), d->disabled_path);
	}
}

/* A reload keeps the disabled programs that still exist. */
static void
prune_disabled(struct daemon *d)
{
	bool changed = false;

	for (size_t i = 0; i < disabled_count(d->disabled);) {
		char *key = xstrdup(disabled_key(d->disabled, i));
		char *colon = strchr(key, ':');

		*colon = '\0';
		if (rules_find_program(d->rules, key, colon + 1) == NULL) {
			*colon = ':';
			log_info("%s: no longer configured, no longer disabled",
				 key);
			(void)disabled_set(d->disabled, key, false);
			changed = true;
		} else {
			i++;
		}
		free(key);
	}
	if (changed)
		save_disabled(d);
}

int
daemon_set_disabled(struct daemon *d, struct proc *p, bool disabled)
{
	const struct rl_program *prog = proc_config(p)->program;
	char key[DISABLED_KEY_MAX + 1];
	int r;

	r = disabled_make_key(prog->app->name, prog->name, key, sizeof(key));
	if (r < 0)
		return r;
	r = disabled_set(d->disabled, key, disabled);
	if (r < 0)
		return r;
	if (r > 0) {
		log_notice("%s: %s on this instance", key,
			   disabled ? "disabled" : "enabled");
		save_disabled(d);
	}
	for (struct proc *q = daemon_first_proc(d); q; q = proc_next(q)) {
		const struct rl_program *qp = proc_config(q)->program;
		const struct dproc *dq = proc_data(q);

		if (strcmp(qp->name, prog->name) != 0 ||
		    strcmp(qp->app->name, prog->app->name) != 0)
			continue;
		proc_set_disabled(q, disabled);
		if (dq->vid != SCHED_NONE)
			(void)sched_view_set_disabled(d->view, dq->vid,
						      d->local, disabled);
		if (disabled && !proc_state_is_stopped(proc_state(q)))
			(void)proc_stop(q);
		cluster_proc_changed(d->cluster, q);
		tell_watchers(d, q, SCHED_NONE, false);
	}
	return 0;
}

bool
daemon_program_disabled(const struct daemon *d, const struct proc *p)
{
	return prog_disabled(d, proc_config(p)->program);
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
	prune_disabled(d);
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
	/* TIMEOUT and CORE depend on time; deferred failures retry */
	fsm_kick(d);
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

	d->leftovers = NULL;
	d->nleftovers = 0;
	d->phase = DAEMON_OPERATION;
	save_state(d);
	notify_send("READY=1");
	update_status(d);
	log_notice("ready: %zu processes configured", d->pctx.nprocs);
	/* the state machine starts the applications once this instance
	 * is master in DISTRIBUTION (at once without peers) */
	fsm_setup(d);
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
	/* POST /v1/plan changes nothing: a read for http_public_read */
	http_server_set_is_read(d->http, ctl_cluster_is_read);
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
	load_disabled(d, ic->state_dir);
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
	ev_timer_init(&d->fsm_timer, on_fsm_timer, 0., 0.);
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
		ev_clear_pending(d->loop, &d->fsm_timer);
	}
	d->http = http_server_free(d->http);
	d->ctl = ctl_free(d->ctl);
	d->cluster = cluster_free(d->cluster);
	if (d->pctx.loop != NULL) {
		logpipe_close_all();
		while ((p = daemon_first_proc(d)) != NULL) {
			struct dproc *dp = proc_data(p);

			proc_free(p);
			free(dp->requester);
			free(dp);
		}
		proc_ctx_done(&d->pctx);
		if (d->phase != DAEMON_LEFTOVERS)
			save_state(d);
	}
	d->fsm = sched_fsm_free(d->fsm);
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
	d->disabled = disabled_free(d->disabled);
	free(d->disabled_path);
	free(d->log_dir);
	free(d->config);
	free(d->name);
	free(d);
	return NULL;
}
