/*
 * proc_fsm: the state machine of one supervised process, with
 * supervisord's semantics (process.py), as a pure function of
 * (state, event, time) -> (state, actions).
 *
 * Nothing here forks, signals, reads a clock or logs: the caller (core/proc.c)
 * feeds events with the monotonic and wall times it read, performs the
 * actions returned (spawn, signal, arm the one deadline timer) and logs
 * the transitions listed in the output.  That keeps every transition
 * testable with explicit time (tests/test_proc_fsm.c).
 *
 * States and codes are supervisord's.  Differences from supervisord, on
 * purpose:
 *   - an exec failure (reported by the child through the close-on-exec
 *     pipe) is FATAL at once with "spawn error: <strerror>", since
 *     retrying a missing binary cannot succeed; a fork or pipe failure
 *     (EAGAIN, EMFILE) is a failed attempt and goes through BACKOFF;
 *   - a start request resets the retry count (supervisord keeps it after
 *     a BACKOFF stop, a bug);
 *   - while STOPPING, SIGKILL is repeated every stopwaitsecs instead of
 *     once, so a process stuck in D state is retried.
 *
 * Ownership: struct proc_fsm is a plain value owned by its embedder; it
 * holds a pointer to the struct rl_program it was created with, which
 * must outlive it (core keeps the rules alive while a proc uses them).
 */
#ifndef CORE_PROC_FSM_H
#define CORE_PROC_FSM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rl_program;

enum proc_state {
	PROC_STOPPED,
	PROC_STARTING,
	PROC_RUNNING,
	PROC_BACKOFF,
	PROC_STOPPING,
	PROC_EXITED,
	PROC_FATAL,
	PROC_UNKNOWN,
	_PROC_STATE_MAX,
};

enum proc_event {
	PROC_EV_START,       /* a start request (user, sequence, API) */
	PROC_EV_STOP,        /* a stop request */
	PROC_EV_SPAWNED,     /* fork and exec succeeded */
	PROC_EV_SPAWN_ERROR, /* exec (or the child's setup) failed: errno */
	PROC_EV_FORK_ERROR,  /* fork or pipe failed: errno; retryable */
	PROC_EV_EXITED,      /* the child was reaped: wait status */
	PROC_EV_STARTSECS,   /* STARTING deadline: startsecs elapsed */
	PROC_EV_BACKOFF,     /* BACKOFF deadline: the retry delay elapsed */
	PROC_EV_STOPWAIT,    /* STOPPING deadline: stopwaitsecs elapsed */
	PROC_EV_KILL_ERROR,  /* kill(2) failed other than ESRCH: errno */
	PROC_EV_NO_RESOURCE, /* placement refused the start */
	_PROC_EVENT_MAX,
};

/* Supervisor's numeric code (STOPPED 0 ... UNKNOWN 1000). */
int proc_state_code(enum proc_state s);
const char *proc_state_to_string(enum proc_state s);
/* Case-insensitive; -EINVAL when unknown. */
int proc_state_from_string(const char *s);
const char *proc_event_to_string(enum proc_event e);
/* STARTING, RUNNING, BACKOFF: counted in the load, "running" for
 * Supvisors, a start of such a process is ALREADY_STARTED. */
bool proc_state_is_running(enum proc_state s);
/* STOPPED, EXITED, FATAL, UNKNOWN: Supvisors' stopped states. */
bool proc_state_is_stopped(enum proc_state s);

#define PROC_REASON_MAX 128

struct proc_fsm {
	const struct rl_program *prog;
	enum proc_state state;
	unsigned backoff;	  /* failed attempts of the current start */
	int64_t deadline_ms;	  /* monotonic; 0 = no timer */
	int64_t laststart_ms;	  /* monotonic time of the last spawn */
	int64_t start_wall_ms;	  /* wall time of the last spawn; 0 never */
	int64_t stop_wall_ms;	  /* wall time of the last stop/exit; 0 never */
	int exitstatus;		  /* last exit code; -1 killed by a signal */
	int termsig;		  /* signal that killed it, or 0 */
	bool has_exitstatus;
	bool expected;		  /* last exit was in exitcodes */
	bool spawned;		  /* a child exists (from SPAWNED to EXITED) */
	bool inhibit_restart;	  /* daemon stopping: no autorestart */
	bool disabled;		  /* the program is disabled: never spawned */
	unsigned restarts;	  /* automatic restarts since creation */
	int spawn_errno;	  /* last spawn error, 0 none */
	char reason[PROC_REASON_MAX]; /* supervisord's spawnerr */
};

struct proc_input {
	enum proc_event event;
	int64_t now_ms;  /* monotonic */
	int64_t wall_ms; /* realtime, for display only */
	int status;	 /* PROC_EV_EXITED: the waitpid status */
	int err;	 /* *_ERROR events: the positive errno */
	const char *detail; /* *_ERROR events: shown instead of strerror(err),
			     * e.g. "unknown user 'x'" */
};

enum {
	PROC_ACT_SPAWN = 1 << 0,  /* fork and exec now, then feed the result */
	PROC_ACT_SIGNAL = 1 << 1, /* send out.signal to the pid (or group) */
	PROC_ACT_TIMER = 1 << 2,  /* (re)arm the timer at deadline_ms, or
				   * stop it when deadline_ms is 0 */
};

#define PROC_PATH_MAX 4

struct proc_output {
	unsigned actions;
	int signal;
	bool group; /* signal the process group (killpg) */
	/* the states entered, in order; npath 0 when nothing changed */
	unsigned npath;
	enum proc_state path[PROC_PATH_MAX];
};

void proc_fsm_init(struct proc_fsm *f, const struct rl_program *prog);

/* Apply IN.  Returns 0, or without any change:
 *   -EALREADY  start of a running process (ALREADY_STARTED),
 *   -ESRCH     stop of a process that is not running (NOT_RUNNING),
 *   -EBUSY     start while STOPPING or UNKNOWN,
 *   -EINVAL    an event impossible in this state (a bug in the caller).
 * OUT is always written. */
int proc_fsm_event(struct proc_fsm *f, const struct proc_input *in,
		   struct proc_output *out);

/* The event the deadline timer stands for in the current state, or
 * _PROC_EVENT_MAX when no timer should be armed. */
enum proc_event proc_fsm_timer_event(const struct proc_fsm *f);

/* supervisord's description: "pid 123, uptime 0:01:40", "Not started",
 * "Exited too quickly (process log may have details)", a stop date... */
void proc_fsm_describe(const struct proc_fsm *f, int pid, int64_t now_ms,
		       char *buf, size_t len);

/* supervisord's uptime format (Python timedelta): "0:01:40",
 * "2 days, 3:04:05". */
void proc_format_uptime(int64_t ms, char *buf, size_t len);

/* "exit status 1", "terminated by SIGTERM", as supervisord logs them. */
void proc_format_wait_status(int status, char *buf, size_t len);

#endif
