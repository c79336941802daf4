/*
 * sched/view: the cluster as the decision core sees it.  Instances (with
 * their node, state, tags and loads), every process of every application
 * with what each instance reports about it, and the pending load
 * reservations of starts in flight.  Placement, sequencing, application
 * state and failure decisions (the other sched/ modules) read it; nothing here does I/O
 * or reads a clock: every time is an argument (milliseconds on the
 * caller's monotonic clock).
 *
 * It is built once from the rules (sched_view_add_instance, then
 * sched_view_add_application per application) and then updated
 * incrementally, one call per event: sched_view_process_event() on each
 * process state change reported by an instance costs O(instances that
 * reported this process), and keeps the instance and node loads, the
 * running set and the synthesized state current, so that a placement
 * never has to re-sum anything.
 *
 * Identifiers are small integers (uint32_t) given in insertion order and
 * stable for the view's lifetime: instances in cluster.instances order
 * (that order is the `*` order of placement), applications and processes
 * in rules order.  SCHED_NONE means "none".
 *
 * Loads follow Supvisors (reference/supvisors.md 5.1): an instance's load
 * is the sum of expected_loading of the processes it reports STARTING,
 * RUNNING or BACKOFF; a node's load is the sum over its instances.  A
 * reservation is the expected load of a start decided but not yet
 * STARTING on its target; it is counted in the target's pending load
 * until the target reports the process in a running state (it then
 * counts as load), until it is released (the start failed), or until it
 * expires.  Reservations are global to the view: every job and every
 * caller see every reservation.
 *
 * Ownership: the view copies instance names, machines, tags, reasons and
 * extra arguments.  It keeps pointers into the struct rl_application
 * records given to sched_view_add_application(): the struct rules they
 * belong to must outlive the view (on reload, build a new view).  Records
 * returned by the accessors are read-only and valid until the next call
 * that adds to the view.  sched_view_free() accepts NULL, returns NULL.
 */
#ifndef SCHED_VIEW_H
#define SCHED_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/rules.h"

#define SCHED_NONE UINT32_MAX

/* Supvisors' instance states, same order and values. */
enum sched_inst_state {
	SCHED_INST_STOPPED,
	SCHED_INST_CHECKING,
	SCHED_INST_CHECKED,
	SCHED_INST_RUNNING,
	SCHED_INST_FAILED,
	SCHED_INST_ISOLATED,
	_SCHED_INST_MAX,
};

/* supervisord's process states; sched_proc_state_code() gives the
 * numeric codes (0, 10, 20, 30, 40, 100, 200, 1000). */
enum sched_proc_state {
	SCHED_PROC_STOPPED,
	SCHED_PROC_STARTING,
	SCHED_PROC_RUNNING,
	SCHED_PROC_BACKOFF,
	SCHED_PROC_STOPPING,
	SCHED_PROC_EXITED,
	SCHED_PROC_FATAL,
	SCHED_PROC_UNKNOWN,
	_SCHED_PROC_MAX,
};

/* Index of S in NAMES (case-insensitive), -EINVAL if absent: the
 * from_string of every sched enum. */
int sched_name_lookup(const char *const *names, size_t n, const char *s);

const char *sched_inst_state_to_string(enum sched_inst_state s);
int sched_inst_state_from_string(const char *s);
const char *sched_proc_state_to_string(enum sched_proc_state s);
int sched_proc_state_from_string(const char *s);
int sched_proc_state_code(enum sched_proc_state s);

/* STARTING, RUNNING, BACKOFF: counted in load. */
bool sched_proc_state_loading(enum sched_proc_state s);
/* STOPPED, EXITED, FATAL, UNKNOWN (Supervisor's STOPPED_STATES). */
bool sched_proc_state_stopped(enum sched_proc_state s);

struct sched_node {
	const char *machine;
	unsigned load;    /* sum of its instances' load */
	unsigned pending; /* sum of reservations on its instances */
	unsigned cpu;     /* measured CPU %, the largest its instances report */
	uint32_t ninstances;
};

struct sched_instance {
	const char *name;
	uint32_t node;
	enum sched_inst_state state;
	bool suspect; /* gossip suspects it; never chosen by placement */
	bool local;   /* the instance this view belongs to */
	size_t ntags;
	char **tags;
	unsigned load;    /* declared: see the top of this file */
	unsigned pending; /* reservations targeting it */
	unsigned cpu;     /* measured CPU % of its node, as it reports it */
};

/* The part of an instance placement reads on every decision, packed so
 * that a scan over 1 000 candidates stays in a few cache lines.  Kept in
 * step with struct sched_instance by the view. */
struct sched_inst_hot {
	uint32_t node;
	uint32_t total; /* load + pending */
	bool usable;	/* RUNNING and not suspect */
};

/* What one instance reports about one process. */
struct sched_pinfo {
	uint32_t inst;
	enum sched_proc_state state;
	bool expected_exit; /* EXITED with a code of exitcodes */
	bool disabled;      /* the program is disabled on that instance */
	bool ever_stopped;  /* left a running state at least once */
	int pid;
	int64_t start_ms; /* when it started (uptime = now - start_ms) */
	int64_t event_ms; /* when this report was received */
	uint64_t version; /* of the newest versioned report applied */
};

struct sched_process {
	const char *namespec;
	const char *name;
	uint32_t app;
	const struct rl_process *rule;
	const struct rl_program *program;
	unsigned load; /* expected_loading */
	size_t ninfo;
	size_t capinfo;
	struct sched_pinfo *info; /* instances that reported it, any order */
	/* synthesized across instances (reference/supvisors.md 3.1) */
	enum sched_proc_state state;
	bool expected_exit;
	uint32_t nrunning;     /* instances STARTING/RUNNING/BACKOFF/STOPPING */
	uint32_t running_inst; /* one of them (the only one if nrunning 1) */
	uint32_t ndisabled;
	/* forced display state (No resource available, timeouts) */
	bool forced;
	enum sched_proc_state forced_state;
	char *forced_reason;
	int64_t forced_ms;
	char *extra_args;  /* NULL: none */
	uint32_t assigned; /* '#'/'@' assignment, SCHED_NONE until planned */
	bool assign_done;  /* assignment made (may be SCHED_NONE for '@') */
	uint32_t resv;     /* index of its live reservation, or SCHED_NONE */
};

struct rl_formula;

struct sched_app {
	const char *name;
	const struct rl_application *rule;
	size_t nprocs;
	uint32_t *procs; /* rules order */
	struct rl_formula *formula; /* operational_status, or NULL */
	uint32_t app_assigned; /* app-level '#' target, SCHED_NONE if none */
	bool app_assign_done;
};

struct sched_resv {
	uint32_t proc;
	uint32_t inst;
	unsigned load;
	int64_t expires_ms; /* INT64_MAX: never */
};

/* A process event as reported by the instance that owns the process. */
struct sched_event {
	enum sched_proc_state state;
	bool expected_exit;
	int pid;
	int64_t uptime_ms; /* for running states: how long it has been up */
	/* the owner's version of this report, increasing per process (0:
	 * unversioned, always applied): reports reach us by more than one
	 * path (the gossip, and directly when we asked for the change),
	 * and an older one must not undo a newer one */
	uint64_t version;
};

struct sched_view;

struct sched_view *sched_view_new(void);
struct sched_view *sched_view_free(struct sched_view *v);

/* The view of a loaded configuration: cluster.instances in file order
 * (the local instance appended when the file does not list it), the
 * local one flagged local, RUNNING, on instance.machine, with
 * instance.tags; the others STOPPED, each on a node of its own until
 * sched_view_set_instance_machine() says where it runs, with the tags
 * the file gives them; then every application.  The rules must outlive
 * the view. */
int sched_view_build(const struct rules *r, struct sched_view **ret);

/* -EEXIST if the name is taken, -EINVAL on an empty name.  MACHINE
 * names the node; instances with the same machine share a node. */
int sched_view_add_instance(struct sched_view *v, const char *name,
			    const char *machine, bool local,
			    uint32_t *ret_id);
int sched_view_set_instance_tags(struct sched_view *v, uint32_t inst,
				 const char *const *tags, size_t n);
void sched_view_set_instance_state(struct sched_view *v, uint32_t inst,
				   enum sched_inst_state state, bool suspect);
void sched_view_set_instance_cpu(struct sched_view *v, uint32_t inst,
				 unsigned cpu_pct);
/* Moves INST to the node of MACHINE (learnt from gossip), with its load,
 * reservations and CPU figure. */
int sched_view_set_instance_machine(struct sched_view *v, uint32_t inst,
				    const char *machine);

/* Adds the application and every process of its programs.  A bad
 * operational_status formula is -EINVAL (rules validates formulas with
 * rl_formula_parse() first, so this does not happen with loaded
 * rules).  -EEXIST for a duplicate application or namespec. */
int sched_view_add_application(struct sched_view *v,
			       const struct rl_application *ra,
			       uint32_t *ret_id);

size_t sched_view_ninstances(const struct sched_view *v);
size_t sched_view_nnodes(const struct sched_view *v);
size_t sched_view_nprocesses(const struct sched_view *v);
size_t sched_view_napps(const struct sched_view *v);
const struct sched_instance *sched_view_instance(const struct sched_view *v,
						 uint32_t id);
/* The arrays themselves, indexed by id (hot loops of placement). */
const struct sched_instance *sched_view_instances(const struct sched_view *v);
const struct sched_node *sched_view_nodes(const struct sched_view *v);
const struct sched_inst_hot *sched_view_hot(const struct sched_view *v);
const struct sched_node *sched_view_node(const struct sched_view *v,
					 uint32_t id);
const struct sched_process *sched_view_process(const struct sched_view *v,
					       uint32_t id);
const struct sched_app *sched_view_app(const struct sched_view *v,
				       uint32_t id);
/* SCHED_NONE if unknown. */
uint32_t sched_view_find_instance(const struct sched_view *v,
				  const char *name);
uint32_t sched_view_find_process(const struct sched_view *v,
				 const char *namespec);
uint32_t sched_view_find_app(const struct sched_view *v, const char *name);
/* The local instance, SCHED_NONE if none was added as local. */
uint32_t sched_view_local(const struct sched_view *v);

/* What INST reports about PROC, NULL if it never reported it. */
const struct sched_pinfo *sched_view_pinfo(const struct sched_view *v,
					   uint32_t proc, uint32_t inst);
/* The state shown to users: the forced state while it holds, else the
 * synthesized one. */
enum sched_proc_state sched_view_display_state(const struct sched_view *v,
					       uint32_t proc);
/* Instances STARTING/RUNNING/BACKOFF/STOPPING for PROC, in instance
 * order, into RET (room for ninstances); returns the count. */
size_t sched_view_running_instances(const struct sched_view *v,
				    uint32_t proc, uint32_t *ret);
/* Managed process running on more than one instance. */
bool sched_view_conflict(const struct sched_view *v, uint32_t proc);
/* Never started: every report STOPPED and never stopped after a run. */
bool sched_view_app_never_started(const struct sched_view *v, uint32_t app);

/* Applies a process event from INST; -ESTALE (and nothing changes) for a
 * versioned report older than one applied.  Clears a forced state, releases
 * the process' reservation on INST when it reaches a running state,
 * updates loads and the synthesized state.  -ENOENT for bad ids.
 * A STOPPED report about a process nobody ever reported (and with no
 * start in flight) is dropped: it
 * says nothing new, and keeping it would make the reports dense (every
 * instance announces every configured process) where they are sparse. */
int sched_view_process_event(struct sched_view *v, uint32_t proc,
			     uint32_t inst, const struct sched_event *ev,
			     int64_t now_ms);
/* The program is disabled (or enabled again) on INST. */
int sched_view_set_disabled(struct sched_view *v, uint32_t proc,
			    uint32_t inst, bool disabled);
/* Every process INST reported in a running state becomes FATAL there
 * (Supvisors' "instance lost").  Writes into RET_LOST (room for
 * nprocesses, may be NULL) the processes that were running on INST and
 * now run nowhere; returns their count. */
size_t sched_view_lose_instance(struct sched_view *v, uint32_t inst,
				int64_t now_ms, uint32_t *ret_lost);

/* Forced display state; REASON copied. */
void sched_view_force_state(struct sched_view *v, uint32_t proc,
			    enum sched_proc_state state, const char *reason,
			    int64_t now_ms);
/* NULL clears. */
void sched_view_set_extra_args(struct sched_view *v, uint32_t proc,
			       const char *args);
/* '#'/'@' assignment (made by the placement when a start is planned). */
void sched_view_set_assigned(struct sched_view *v, uint32_t proc,
			     uint32_t inst);
void sched_view_set_app_assigned(struct sched_view *v, uint32_t app,
				 uint32_t inst);
/* Puts an assignment back as it was (dry runs). */
void sched_view_restore_assigned(struct sched_view *v, uint32_t proc,
				 uint32_t inst, bool done);
void sched_view_restore_app_assigned(struct sched_view *v, uint32_t app,
				     uint32_t inst, bool done);

/* Reserves LOAD on INST for PROC until EXPIRES_MS (INT64_MAX: until
 * released or consumed).  A process holds at most one reservation: a new
 * one replaces the old. */
void sched_view_reserve(struct sched_view *v, uint32_t proc, uint32_t inst,
			unsigned load, int64_t expires_ms);
void sched_view_release(struct sched_view *v, uint32_t proc);
/* Drops reservations whose expiry is <= NOW; returns how many. */
size_t sched_view_expire(struct sched_view *v, int64_t now_ms);
size_t sched_view_nreservations(const struct sched_view *v);
const struct sched_resv *sched_view_reservation(const struct sched_view *v,
						size_t i);

#endif
