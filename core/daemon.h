/*
 * daemon: one supvisors-schedd, as a single-instance cluster.
 *
 * It owns the loaded rules, one struct proc per configured process, the
 * decision core of sched/ (a view with the local instance alone, and the
 * sequencer that starts applications by start_sequence and stops them by
 * stop_sequence), the signal watchers, the housekeeping tick, the state
 * file of children and the control API server.
 *
 * Phases: LEFTOVERS (stopping what a crashed predecessor left running,
 * nothing is started), OPERATION (the initial start sequence was
 * launched), SHUTTING_DOWN (stopping everything by stop_sequence; then
 * the loop ends).
 *
 * Every command and every process change goes through here so that the
 * view, the sequencer, the state file and the API waiters see the same
 * events in the same order.
 *
 * Ownership: daemon_new() returns an object the caller frees with
 * daemon_free() after ev_run() returned.  Pointers returned by the
 * accessors (rules, procs, view) are valid until the next reload or
 * the end of the current callback, whichever comes first: never keep
 * them across loop iterations.  Watchers are the caller's memory and
 * must be removed before it is freed.
 */
#ifndef CORE_DAEMON_H
#define CORE_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include "rules/rules.h"

struct cluster;
struct ctl;
struct ev_loop;
struct daemon;
struct proc;
struct sched_view;
struct strbuf;

enum daemon_phase {
	DAEMON_LEFTOVERS,
	DAEMON_OPERATION,
	DAEMON_SHUTTING_DOWN,
	_DAEMON_PHASE_MAX,
};

const char *daemon_phase_to_string(enum daemon_phase p);

struct daemon_opts {
	const char *config; /* NULL: rules_default_path() */
	const char *name;   /* --name */
};

/* -EINVAL: the configuration has errors (printed to stderr); other
 * -errno: the daemon could not be set up (logged). */
int daemon_new(struct ev_loop *loop, const struct daemon_opts *o,
	       struct daemon **ret);
struct daemon *daemon_free(struct daemon *d);
/* Leftovers, then the start sequence, then the loop; returns the exit
 * status once the daemon stopped everything (0) or could not serve its
 * control socket (1). */
int daemon_run(struct daemon *d);

struct ev_loop *daemon_loop(const struct daemon *d);
const struct rules *daemon_rules(const struct daemon *d);
enum daemon_phase daemon_phase(const struct daemon *d);
int64_t daemon_uptime_ms(const struct daemon *d);
struct sched_view *daemon_view(const struct daemon *d);
struct ctl *daemon_ctl(const struct daemon *d);
/* NULL without cluster.instances. */
struct cluster *daemon_cluster(const struct daemon *d);
/* The processes, in rules order (then processes being removed). */
struct proc *daemon_first_proc(const struct daemon *d);
struct proc *daemon_next_proc(const struct proc *p);
struct proc *daemon_find_proc(const struct daemon *d, const char *namespec);
/* False for a process a reload removed, still stopping: the API no
 * longer shows it. */
bool daemon_proc_listed(const struct proc *p);
/* The view id of P's process, UINT32_MAX when the view does not have it
 * (a process being removed by a reload). */
uint32_t daemon_proc_view_id(const struct daemon *d, const struct proc *p);
/* The application the API shows P under (its rl_application). */
const char *daemon_proc_app(const struct proc *p);

/* Commands.  0 and *RET_JOB (UINT32_MAX when no job was needed), or
 *   -EALREADY  start of a running process, stop of a stopped one,
 *   -EBUSY     the process or application is in a job already,
 *   -ENOSPC    no resource: the process is FATAL "No resource available",
 *   -ESHUTDOWN the daemon is stopping,
 *   -ENOENT    unknown (removed by a reload meanwhile). */
int daemon_start_process(struct daemon *d, struct proc *p,
			 enum rl_strategy strategy, uint32_t *ret_job);
/* The same on INSTANCE (NULL: placement by the rules); still checked:
 * running, not disabled, capacity. */
int daemon_start_process_on(struct daemon *d, struct proc *p,
			    enum rl_strategy strategy, const char *instance,
			    uint32_t *ret_job);
int daemon_stop_process(struct daemon *d, struct proc *p, uint32_t *ret_job);
int daemon_start_app(struct daemon *d, const char *app,
		     enum rl_strategy strategy, uint32_t *ret_job);
int daemon_stop_app(struct daemon *d, const char *app, uint32_t *ret_job);
int daemon_restart_app(struct daemon *d, const char *app,
		       enum rl_strategy strategy, uint32_t *ret_job);
bool daemon_job_active(const struct daemon *d, uint32_t job);

struct daemon_reload {
	struct strbuf *added;   /* JSON array items: "\"ns\"," ... */
	struct strbuf *changed;
	struct strbuf *removed;
	unsigned unchanged;
};

/* Re-read the files and apply the difference.  -EINVAL: errors in DIAGS,
 * nothing changed.  RET may be NULL. */
int daemon_reload(struct daemon *d, struct rl_diags *diags,
		  struct daemon_reload *ret);
/* Stop everything by stop_sequence, then end the loop. */
void daemon_shutdown(struct daemon *d);

/* Watchers: told after every process change (P) and every job end (P
 * NULL, JOB and OK set).  A callback may remove its own watcher. */
struct daemon_watch {
	void (*fn)(struct daemon_watch *w, struct proc *p, uint32_t job,
		   bool ok);
	struct daemon_watch *prev, *next;
};

void daemon_watch_add(struct daemon *d, struct daemon_watch *w);
void daemon_watch_remove(struct daemon *d, struct daemon_watch *w);

/* ------------------------------------------------------------ cluster
 * The cluster state machine (sched/fsm.h) runs in every daemon, a
 * single-instance one included (it goes straight to OPERATION with
 * itself as master). */
struct sched_fsm;
/* NULL while leftovers are being stopped (the machine is then OFF). */
const struct sched_fsm *daemon_fsm(const struct daemon *d);
/* The master's name, NULL while none is elected. */
const char *daemon_master_name(const struct daemon *d);
/* Supvisors' conciliate(STRATEGY): applies STRATEGY to every conflict
 * now, from this instance (stops go to the owning instances).  0, or
 * -EAGAIN when the cluster is not in CONCILIATION, -EALREADY when there
 * is no conflict. */
int daemon_conciliate(struct daemon *d, enum rl_conciliation strategy);
/* Supvisors' end_sync (USER synchro): MASTER (NULL: the election's
 * choice) becomes the declared master.  0, or -ENOTSUP when USER is not
 * among cluster.synchro, -EALREADY past SYNCHRONIZATION, -ENOENT for an
 * unknown instance, -EINVAL when it is not RUNNING. */
int daemon_end_sync(struct daemon *d, const char *master);
/* Shutdown (RESTART false) or restart of the whole cluster, in
 * stop_sequence order by the master: from a slave the request is sent
 * to the master, and DONE is called with its answer (0 or -errno and a
 * message).  DONE may be called before this returns. */
void daemon_cluster_stop(struct daemon *d, bool restart,
			 void (*done)(void *arg, int err, const char *msg),
			 void *arg);
/* How the cluster shows process P: where it runs (or ran last), in
 * which state, from the view; the local copy when it is the one that
 * runs or when no other instance reported it. */
#define DAEMON_PSTATE_INSTANCES 16
struct daemon_pstate {
	int state;	      /* enum proc_state */
	const char *instance; /* where it runs; NULL: nowhere */
	bool local;	      /* the local copy is the one shown */
	int pid;
	int64_t uptime_ms;    /* when not local */
	const char *desc;     /* when not local: its description, or NULL */
	bool expected;
	bool conflict;
	bool pending;	      /* a start is in flight (reservation held) */
	size_t ninstances;    /* running copies (up to the array's size) */
	uint32_t instances[DAEMON_PSTATE_INSTANCES]; /* view ids */
};
void daemon_proc_pstate(const struct daemon *d, const struct proc *p,
			struct daemon_pstate *ret);

/* ------------------------------------------------------------ glue
 * Called by core/cluster.c only. */
struct cJSON;
struct sched_event;
struct sched_fsm_peer;
/* INST reported PROC (view ids) in the state EV. */
void daemon_remote_event(struct daemon *d, uint32_t proc, uint32_t inst,
			 const struct sched_event *ev, const char *extra_args);
/* INST was declared dead or left. */
void daemon_instance_lost(struct daemon *d, uint32_t inst);
/* An instance changed state: re-evaluate the state machine. */
void daemon_cluster_changed(struct daemon *d);
/* INST published its state machine record. */
void daemon_fsm_peer(struct daemon *d, uint32_t inst,
		     const struct sched_fsm_peer *p);
/* CHECKED instances may become RUNNING now. */
bool daemon_may_activate(const struct daemon *d);
/* A peer command from instance FROM: REQ is the request object, the
 * answer goes into REPLY ({"ok":true,...} or {"ok":false,"error",
 * "message"}). */
void daemon_peer_command(struct daemon *d, const char *from,
			 const struct cJSON *req, struct cJSON *reply);

/* A peer command (the "op"s of daemon_peer_command) to INSTANCE, as
 * cluster_command(): FN gets the answer later, or -ECANCELED at exit
 * (then only free ARG).  -ENOENT unknown instance, -EINVAL ourselves,
 * other -errno: unreachable; FN is then not called. */
struct cJSON;
int daemon_peer_request(struct daemon *d, const char *instance,
			const struct cJSON *body,
			void (*fn)(void *arg, int err,
				   const struct cJSON *reply),
			void *arg);

/* Supvisors' disable (DISABLED true) or enable of P's program on this
 * instance: every process of the program is flagged (never spawned
 * while disabled: proc_start() is -EPERM), a running one is stopped,
 * the view and the gossip records say so, and the set is saved in
 * instance.state_dir/disabled.  0, or -errno for a name too long to be
 * kept. */
int daemon_set_disabled(struct daemon *d, struct proc *p, bool disabled);
bool daemon_program_disabled(const struct daemon *d, const struct proc *p);

/* The loop ended for a cluster restart: main() executes the daemon
 * again with the same arguments. */
bool daemon_restart_requested(const struct daemon *d);

#endif
