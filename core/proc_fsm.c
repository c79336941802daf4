/*
 * The process state machine as one table: table[state][event] is the
 * function that handles EVENT in STATE, or NULL for an impossible pair.
 * The handlers are the transitions of supervisord's Subprocess
 * (spawn, finish, kill, give_up, transition) rewritten as explicit
 * events; see proc_fsm.h for the few deliberate differences.
 */
#include "core/proc_fsm.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>

#include "core/util.h"
#include "rules/rules.h"

static const struct {
	const char *name;
	int code;
} state_info[_PROC_STATE_MAX] = {
	[PROC_STOPPED] = {"STOPPED", 0},
	[PROC_STARTING] = {"STARTING", 10},
	[PROC_RUNNING] = {"RUNNING", 20},
	[PROC_BACKOFF] = {"BACKOFF", 30},
	[PROC_STOPPING] = {"STOPPING", 40},
	[PROC_EXITED] = {"EXITED", 100},
	[PROC_FATAL] = {"FATAL", 200},
	[PROC_UNKNOWN] = {"UNKNOWN", 1000},
};

static const char *const event_names[_PROC_EVENT_MAX] = {
	[PROC_EV_START] = "start",
	[PROC_EV_STOP] = "stop",
	[PROC_EV_SPAWNED] = "spawned",
	[PROC_EV_SPAWN_ERROR] = "spawn_error",
	[PROC_EV_FORK_ERROR] = "fork_error",
	[PROC_EV_EXITED] = "exited",
	[PROC_EV_STARTSECS] = "startsecs",
	[PROC_EV_BACKOFF] = "backoff",
	[PROC_EV_STOPWAIT] = "stopwait",
	[PROC_EV_KILL_ERROR] = "kill_error",
	[PROC_EV_NO_RESOURCE] = "no_resource",
};

int
proc_state_code(enum proc_state s)
{
	return (unsigned)s < _PROC_STATE_MAX ? state_info[s].code : 1000;
}

const char *
proc_state_to_string(enum proc_state s)
{
	return (unsigned)s < _PROC_STATE_MAX ? state_info[s].name : "UNKNOWN";
}

int
proc_state_from_string(const char *s)
{
	for (int i = 0; i < _PROC_STATE_MAX; i++)
		if (strcasecmp(s, state_info[i].name) == 0)
			return i;
	return -EINVAL;
}

const char *
proc_event_to_string(enum proc_event e)
{
	return (unsigned)e < _PROC_EVENT_MAX ? event_names[e] : "?";
}

bool
proc_state_is_running(enum proc_state s)
{
	return s == PROC_STARTING || s == PROC_RUNNING || s == PROC_BACKOFF;
}

bool
proc_state_is_stopped(enum proc_state s)
{
	return s == PROC_STOPPED || s == PROC_EXITED || s == PROC_FATAL ||
	       s == PROC_UNKNOWN;
}

void
proc_fsm_init(struct proc_fsm *f, const struct rl_program *prog)
{
	*f = (struct proc_fsm){.prog = prog, .state = PROC_STOPPED};
}

/* ------------------------------------------------------------ helpers */

static void
enter(struct proc_fsm *f, struct proc_output *out, enum proc_state s)
{
	if (f->state == s)
		return;
	f->state = s;
	if (out->npath < PROC_PATH_MAX)
		out->path[out->npath++] = s;
}

static void
set_deadline(struct proc_fsm *f, struct proc_output *out, int64_t at)
{
	f->deadline_ms = at;
	out->actions |= PROC_ACT_TIMER;
}

static void
set_reason_errno(struct proc_fsm *f, const struct proc_input *in)
{
	f->spawn_errno = in->err;
	snprintf(f->reason, sizeof(f->reason), "spawn error: %s",
		 in->detail != NULL ? in->detail : strerror(in->err));
}

/* STARTING, spawn requested.  supervisord's spawn(): the start time is
 * taken before the fork so that startsecs covers the whole attempt. */
static void
begin_spawn(struct proc_fsm *f, const struct proc_input *in,
	    struct proc_output *out)
{
	f->laststart_ms = in->now_ms;
	f->start_wall_ms = in->wall_ms;
	f->has_exitstatus = false;
	f->termsig = 0;
	f->spawn_errno = 0;
	enter(f, out, PROC_STARTING);
	set_deadline(f, out, 0);
	out->actions |= PROC_ACT_SPAWN;
}

/* A failed attempt: BACKOFF with a delay of 1, 2, 3... s, or FATAL once
 * startretries retries were spent (supervisord's give_up()). */
static void
failed_attempt(struct proc_fsm *f, const struct proc_input *in,
	       struct proc_output *out)
{
	f->backoff++;
	enter(f, out, PROC_BACKOFF);
	if (f->backoff > f->prog->startretries) {
		f->backoff = 0;
		enter(f, out, PROC_FATAL);
		set_deadline(f, out, 0);
		return;
	}
	set_deadline(f, out, in->now_ms + (int64_t)f->backoff * MSEC_PER_SEC);
}

static bool
exit_expected(const struct rl_program *prog, int es)
{
	for (size_t i = 0; i < prog->nexitcodes; i++)
		if (prog->exitcodes[i] == es)
			return true;
	return false;
}

static void
record_exit(struct proc_fsm *f, const struct proc_input *in)
{
	f->spawned = false;
	f->stop_wall_ms = in->wall_ms;
	f->has_exitstatus = true;
	if (WIFEXITED(in->status)) {
		f->exitstatus = WEXITSTATUS(in->status);
		f->termsig = 0;
	} else {
		f->exitstatus = -1;
		f->termsig = WIFSIGNALED(in->status) ? WTERMSIG(in->status) : 0;
	}
	f->expected = exit_expected(f->prog, f->exitstatus);
}

/* ------------------------------------------------------------ handlers */

typedef int (*handler_fn)(struct proc_fsm *f, const struct proc_input *in,
			  struct proc_output *out);

static int
refuse_already(struct proc_fsm *f, const struct proc_input *in,
	       struct proc_output *out)
{
	return -EALREADY;
}

static int
refuse_busy(struct proc_fsm *f, const struct proc_input *in,
	    struct proc_output *out)
{
	return -EBUSY;
}

static int
refuse_not_running(struct proc_fsm *f, const struct proc_input *in,
		   struct proc_output *out)
{
	return -ESRCH;
}

static int
ignore(struct proc_fsm *f, const struct proc_input *in, struct proc_output *out)
{
	return 0;
}

static int
on_start(struct proc_fsm *f, const struct proc_input *in,
	 struct proc_output *out)
{
	f->backoff = 0;
	f->reason[0] = '\0';
	begin_spawn(f, in, out);
	return 0;
}

static int
on_stop(struct proc_fsm *f, const struct proc_input *in,
	struct proc_output *out)
{
	enter(f, out, PROC_STOPPING);
	set_deadline(f, out, in->now_ms + f->prog->stopwaitsecs_ms);
	out->actions |= PROC_ACT_SIGNAL;
	out->signal = f->prog->stopsignal;
	out->group = f->prog->stopasgroup;
	return 0;
}

/* supervisord: a stop in BACKOFF goes straight to STOPPED rather than
 * waiting through the remaining retries. */
static int
on_stop_backoff(struct proc_fsm *f, const struct proc_input *in,
		struct proc_output *out)
{
	f->backoff = 0;
	f->stop_wall_ms = in->wall_ms;
	enter(f, out, PROC_STOPPED);
	set_deadline(f, out, 0);
	return 0;
}

static int
on_spawned(struct proc_fsm *f, const struct proc_input *in,
	   struct proc_output *out)
{
	f->spawned = true;
	if (f->prog->startsecs_ms <= 0) {
		f->backoff = 0;
		enter(f, out, PROC_RUNNING);
		set_deadline(f, out, 0);
	} else {
		set_deadline(f, out, f->laststart_ms + f->prog->startsecs_ms);
	}
	return 0;
}

static int
on_spawn_error(struct proc_fsm *f, const struct proc_input *in,
	       struct proc_output *out)
{
	set_reason_errno(f, in);
	f->backoff = 0;
	f->stop_wall_ms = in->wall_ms;
	enter(f, out, PROC_FATAL);
	set_deadline(f, out, 0);
	return 0;
}

static int
on_fork_error(struct proc_fsm *f, const struct proc_input *in,
	      struct proc_output *out)
{
	set_reason_errno(f, in);
	failed_attempt(f, in, out);
	return 0;
}

static bool
wants_restart(const struct proc_fsm *f)
{
	if (f->inhibit_restart || f->disabled)
		return false;
	switch (f->prog->autorestart) {
	case RL_AUTORESTART_TRUE:
		return true;
	case RL_AUTORESTART_UNEXPECTED:
		return !f->expected;
	default:
		return false;
	}
}

static int
on_exited_running(struct proc_fsm *f, const struct proc_input *in,
		  struct proc_output *out)
{
	record_exit(f, in);
	f->backoff = 0;
	if (f->expected)
		f->reason[0] = '\0';
	else
		snprintf(f->reason, sizeof(f->reason), "Bad exit code %d",
			 f->exitstatus);
	enter(f, out, PROC_EXITED);
	set_deadline(f, out, 0);
	if (wants_restart(f)) {
		f->restarts++;
		begin_spawn(f, in, out);
	}
	return 0;
}

static int
on_exited_starting(struct proc_fsm *f, const struct proc_input *in,
		   struct proc_output *out)
{
	if (in->now_ms - f->laststart_ms >= f->prog->startsecs_ms) {
		/* startsecs elapsed before the timer was served: it ran */
		enter(f, out, PROC_RUNNING);
		return on_exited_running(f, in, out);
	}
	record_exit(f, in);
	f->has_exitstatus = false;
	snprintf(f->reason, sizeof(f->reason),
		 "Exited too quickly (process log may have details)");
	failed_attempt(f, in, out);
	return 0;
}

static int
on_exited_stopping(struct proc_fsm *f, const struct proc_input *in,
		   struct proc_output *out)
{
	record_exit(f, in);
	f->reason[0] = '\0';
	enter(f, out, PROC_STOPPED);
	set_deadline(f, out, 0);
	return 0;
}

/* A child whose kill failed may still exit: the state becomes known. */
static int
on_exited_unknown(struct proc_fsm *f, const struct proc_input *in,
		  struct proc_output *out)
{
	record_exit(f, in);
	enter(f, out, PROC_EXITED);
	set_deadline(f, out, 0);
	return 0;
}

static int
on_startsecs(struct proc_fsm *f, const struct proc_input *in,
	     struct proc_output *out)
{
	f->backoff = 0;
	enter(f, out, PROC_RUNNING);
	set_deadline(f, out, 0);
	return 0;
}

static int
on_backoff_elapsed(struct proc_fsm *f, const struct proc_input *in,
		   struct proc_output *out)
{
	begin_spawn(f, in, out);
	return 0;
}

static int
on_stopwait(struct proc_fsm *f, const struct proc_input *in,
	    struct proc_output *out)
{
	set_deadline(f, out, in->now_ms + f->prog->stopwaitsecs_ms);
	out->actions |= PROC_ACT_SIGNAL;
	out->signal = SIGKILL;
	out->group = f->prog->killasgroup;
	return 0;
}

static int
on_kill_error(struct proc_fsm *f, const struct proc_input *in,
	      struct proc_output *out)
{
	snprintf(f->reason, sizeof(f->reason), "kill error: %s",
		 strerror(in->err));
	enter(f, out, PROC_UNKNOWN);
	set_deadline(f, out, 0);
	return 0;
}

static int
on_no_resource(struct proc_fsm *f, const struct proc_input *in,
	       struct proc_output *out)
{
	snprintf(f->reason, sizeof(f->reason), "No resource available");
	f->backoff = 0;
	enter(f, out, PROC_FATAL);
	set_deadline(f, out, 0);
	return 0;
}

static const handler_fn table[_PROC_STATE_MAX][_PROC_EVENT_MAX] = {
	[PROC_STOPPED] = {
		[PROC_EV_START] = on_start,
		[PROC_EV_STOP] = refuse_not_running,
		[PROC_EV_NO_RESOURCE] = on_no_resource,
	},
	[PROC_STARTING] = {
		[PROC_EV_START] = refuse_already,
		[PROC_EV_STOP] = on_stop,
		[PROC_EV_SPAWNED] = on_spawned,
		[PROC_EV_SPAWN_ERROR] = on_spawn_error,
		[PROC_EV_FORK_ERROR] = on_fork_error,
		[PROC_EV_EXITED] = on_exited_starting,
		[PROC_EV_STARTSECS] = on_startsecs,
		[PROC_EV_NO_RESOURCE] = refuse_already,
	},
	[PROC_RUNNING] = {
		[PROC_EV_START] = refuse_already,
		[PROC_EV_STOP] = on_stop,
		[PROC_EV_EXITED] = on_exited_running,
		[PROC_EV_NO_RESOURCE] = refuse_already,
	},
	[PROC_BACKOFF] = {
		[PROC_EV_START] = refuse_already,
		[PROC_EV_STOP] = on_stop_backoff,
		[PROC_EV_BACKOFF] = on_backoff_elapsed,
		[PROC_EV_NO_RESOURCE] = refuse_already,
	},
	[PROC_STOPPING] = {
		[PROC_EV_START] = refuse_busy,
		[PROC_EV_STOP] = ignore,
		[PROC_EV_EXITED] = on_exited_stopping,
		[PROC_EV_STOPWAIT] = on_stopwait,
		[PROC_EV_KILL_ERROR] = on_kill_error,
		[PROC_EV_NO_RESOURCE] = refuse_busy,
	},
	[PROC_EXITED] = {
		[PROC_EV_START] = on_start,
		[PROC_EV_STOP] = refuse_not_running,
		[PROC_EV_NO_RESOURCE] = on_no_resource,
	},
	[PROC_FATAL] = {
		[PROC_EV_START] = on_start,
		[PROC_EV_STOP] = refuse_not_running,
		[PROC_EV_NO_RESOURCE] = on_no_resource,
	},
	[PROC_UNKNOWN] = {
		[PROC_EV_START] = refuse_busy,
		[PROC_EV_STOP] = refuse_not_running,
		[PROC_EV_EXITED] = on_exited_unknown,
		[PROC_EV_NO_RESOURCE] = refuse_busy,
	},
};

int
proc_fsm_event(struct proc_fsm *f, const struct proc_input *in,
	       struct proc_output *out)
{
	handler_fn fn;

	*out = (struct proc_output){0};
	if ((unsigned)f->state >= _PROC_STATE_MAX ||
	    (unsigned)in->event >= _PROC_EVENT_MAX)
		return -EINVAL;
	fn = table[f->state][in->event];
	if (fn == NULL)
		return -EINVAL;
	return fn(f, in, out);
}

enum proc_event
proc_fsm_timer_event(const struct proc_fsm *f)
{
	if (f->deadline_ms == 0)
		return _PROC_EVENT_MAX;
	switch (f->state) {
	case PROC_STARTING:
		return f->spawned ? PROC_EV_STARTSECS : _PROC_EVENT_MAX;
	case PROC_BACKOFF:
		return PROC_EV_BACKOFF;
	case PROC_STOPPING:
		return PROC_EV_STOPWAIT;
	default:
		return _PROC_EVENT_MAX;
	}
}

/* ------------------------------------------------------------ display */

void
proc_format_uptime(int64_t ms, char *buf, size_t len)
{
	int64_t s = ms < 0 ? 0 : ms / MSEC_PER_SEC;
	int64_t days = s / 86400;

	s %= 86400;
	if (days > 0)
		snprintf(buf, len, "%lld day%s, %lld:%02lld:%02lld",
			 (long long)days, days == 1 ? "" : "s",
			 (long long)(s / 3600), (long long)(s / 60 % 60),
			 (long long)(s % 60));
	else
		snprintf(buf, len, "%lld:%02lld:%02lld", (long long)(s / 3600),
			 (long long)(s / 60 % 60), (long long)(s % 60));
}

void
proc_format_wait_status(int status, char *buf, size_t len)
{
	if (WIFEXITED(status)) {
		snprintf(buf, len, "exit status %d", WEXITSTATUS(status));
	} else if (WIFSIGNALED(status)) {
		const char *name = util_signal_name(WTERMSIG(status));

		if (name != NULL)
			snprintf(buf, len, "terminated by SIG%s", name);
		else
			snprintf(buf, len, "terminated by signal %d",
				 WTERMSIG(status));
	} else {
		snprintf(buf, len, "unknown wait status %d", status);
	}
}

void
proc_fsm_describe(const struct proc_fsm *f, int pid, int64_t now_ms,
		  char *buf, size_t len)
{
	char up[48];

	switch (f->state) {
	case PROC_RUNNING:
		proc_format_uptime(now_ms - f->laststart_ms, up, sizeof(up));
		snprintf(buf, len, "pid %d, uptime %s", pid, up);
		break;
	case PROC_FATAL:
	case PROC_BACKOFF:
	case PROC_UNKNOWN:
		snprintf(buf, len, "%s",
			 f->reason[0] ? f->reason : "unknown error");
		break;
	case PROC_STOPPED:
	case PROC_EXITED:
		if (f->start_wall_ms != 0 && f->stop_wall_ms != 0) {
			time_t t = (time_t)(f->stop_wall_ms / MSEC_PER_SEC);
			struct tm tm;

			localtime_r(&t, &tm);
			if (strftime(buf, len, "%b %d %I:%M %p", &tm) == 0 &&
			    len > 0)
				buf[0] = '\0';
		} else {
			snprintf(buf, len, "Not started");
		}
		break;
	default:
		if (len > 0)
			buf[0] = '\0';
		break;
	}
}
