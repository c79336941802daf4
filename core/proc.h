/*
 * proc: one supervised process at run time, the thin shell around the
 * pure state machine of proc_fsm.h.
 *
 * It turns the machine's actions into system calls (spawn through
 * spawn.h, kill/killpg, one ev_timer for the machine's deadline), feeds
 * back their results, opens the child's log files (logfile.h) and logs
 * every transition once, here, where it happens.  All procs of a daemon
 * share one struct proc_ctx, which also owns the single reaper: an
 * ev_child for pid 0 on the loop (libev supports child watchers on the
 * default loop only), dispatching by pid.
 *
 * Ownership: the caller owns the struct proc_ctx and every struct proc.
 * A proc reads its struct rl_process (and program, application) for its
 * whole life: the rules object must outlive it, or proc_set_config()
 * must move it to an identical record of new rules first.  proc_free()
 * may be called in any state; a live child is then killed with SIGKILL
 * (to its group) and forgotten: callers stop processes first.  The
 * on_change hook must not free the proc it is called for.
 */
#ifndef CORE_PROC_H
#define CORE_PROC_H

#include <ev.h>
#include <stdbool.h>
#include <sys/types.h>

#include "core/proc_fsm.h"

struct rl_process;
struct logfile;
struct proc;

/* Called after each event that changed the state or the pid: FROM is
 * the state before, the proc's state the one after (there may have been
 * others in between, all logged). */
typedef void (*proc_change_fn)(struct proc *p, enum proc_state from,
			       void *data);

struct proc_ctx {
	struct ev_loop *loop;
	const char *log_dir;	   /* AUTO log files go here */
	const char *const *env;	   /* base environment of children */
	bool is_root;
	proc_change_fn on_change;
	void *data;
	/* private */
	ev_child reaper;
	char **own_env;
	struct proc *head, *tail;
	size_t nprocs;
};

enum proc_stream {
	PROC_STDOUT,
	PROC_STDERR,
	_PROC_STREAM_MAX,
};

/* Start the reaper on LOOP (must be the default loop).  ENV: NULL means
 * the daemon's environ minus NOTIFY_SOCKET, WATCHDOG_* and LISTEN_*. */
void proc_ctx_init(struct proc_ctx *ctx, struct ev_loop *loop,
		   const char *log_dir);
/* Stop the reaper.  Every proc must have been freed. */
void proc_ctx_done(struct proc_ctx *ctx);
/* The proc whose child has pid PID, or NULL. */
struct proc *proc_ctx_find_pid(struct proc_ctx *ctx, pid_t pid);

/* Never fails: a log file that cannot be opened is logged and replaced
 * by /dev/null. */
struct proc *proc_new(struct proc_ctx *ctx, const struct rl_process *conf);
struct proc *proc_free(struct proc *p);

/* Requests; 0 or the proc_fsm_event() error (-EALREADY, -ESRCH, -EBUSY);
 * a start of a disabled process is -EPERM. */
int proc_start(struct proc *p);
int proc_stop(struct proc *p);
int proc_no_resource(struct proc *p);
/* Send SIG to the child (supervisorctl signal): -ESRCH when no child. */
int proc_signal(struct proc *p, int sig);
/* Stop automatic restarts (daemon shutting down). */
void proc_inhibit_restart(struct proc *p, bool inhibit);
/* Supvisors' disable: no spawn (start, autorestart, backoff retry) from
 * now on; a running child is left to the caller to stop. */
void proc_set_disabled(struct proc *p, bool disabled);
bool proc_disabled(const struct proc *p);
/* Switch to CONF, a record with the same config_hash (reload). */
void proc_set_config(struct proc *p, const struct rl_process *conf);
/* Words appended to the command line at every spawn from now on
 * (Supvisors' extra_args); ARGV (NULL-terminated, may be NULL to clear)
 * and TEXT are taken over. */
void proc_set_extra_args(struct proc *p, char *text, char **argv);
/* The text given with the extra arguments, NULL when none. */
const char *proc_extra_args(const struct proc *p);
/* Reopen the log files (SIGUSR2). */
void proc_reopen_logs(struct proc *p);

const struct rl_process *proc_config(const struct proc *p);
const char *proc_namespec(const struct proc *p);
const struct proc_fsm *proc_fsm(const struct proc *p);
enum proc_state proc_state(const struct proc *p);
pid_t proc_pid(const struct proc *p);
/* The log file of STREAM, or NULL (NONE, redirected, or not openable). */
struct logfile *proc_logfile(const struct proc *p, enum proc_stream s);
/* The caller's per-process data. */
void proc_set_data(struct proc *p, void *data);
void *proc_data(const struct proc *p);
/* All procs of CTX, in creation order. */
struct proc *proc_ctx_first(struct proc_ctx *ctx);
struct proc *proc_next(struct proc *p);

#endif
