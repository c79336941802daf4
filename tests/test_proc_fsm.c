/*
 * core/proc_fsm: every entry of the state x event table, driven with
 * explicit time (no child, no clock).  The program record is filled by
 * hand: it is a plain value of rules.h.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "core/proc_fsm.h"
#include "rules/rules.h"
#include "tests/lib/testlib.h"

static const int codes_0[] = {0};
static const int codes_0_2[] = {0, 2};

static struct rl_program
program(void)
{
	return (struct rl_program){
		.name = "p",
		.autorestart = RL_AUTORESTART_UNEXPECTED,
		.startsecs_ms = 1000,
		.startretries = 3,
		.nexitcodes = 1,
		.exitcodes = codes_0,
		.stopsignal = SIGTERM,
		.stopwaitsecs_ms = 10000,
	};
}

static struct proc_output out;

static int
ev(struct proc_fsm *f, enum proc_event e, int64_t now, int status, int err)
{
	struct proc_input in = {.event = e, .now_ms = now,
				.wall_ms = 1700000000000LL + now,
				.status = status, .err = err};

	return proc_fsm_event(f, &in, &out);
}

#define EXIT(code) ((code) << 8)

/* STOPPED -> STARTING -> RUNNING */
static struct proc_fsm
running(const struct rl_program *p)
{
	struct proc_fsm f;

	proc_fsm_init(&f, p);
	ev(&f, PROC_EV_START, 0, 0, 0);
	ev(&f, PROC_EV_SPAWNED, 1, 0, 0);
	ev(&f, PROC_EV_STARTSECS, 1000, 0, 0);
	return f;
}

static void
test_names(void)
{
	ASSERT_INT_EQ(proc_state_code(PROC_STOPPED), 0);
	ASSERT_INT_EQ(proc_state_code(PROC_STARTING), 10);
	ASSERT_INT_EQ(proc_state_code(PROC_RUNNING), 20);
	ASSERT_INT_EQ(proc_state_code(PROC_BACKOFF), 30);
	ASSERT_INT_EQ(proc_state_code(PROC_STOPPING), 40);
	ASSERT_INT_EQ(proc_state_code(PROC_EXITED), 100);
	ASSERT_INT_EQ(proc_state_code(PROC_FATAL), 200);
	ASSERT_INT_EQ(proc_state_code(PROC_UNKNOWN), 1000);
	for (int s = 0; s < _PROC_STATE_MAX; s++)
		ASSERT_INT_EQ(proc_state_from_string(proc_state_to_string(s)),
			      s);
	ASSERT_INT_EQ(proc_state_from_string("backoff"), PROC_BACKOFF);
	ASSERT_INT_EQ(proc_state_from_string("nope"), -EINVAL);
	ASSERT_STR_EQ(proc_event_to_string(PROC_EV_STOPWAIT), "stopwait");
	ASSERT_TRUE(proc_state_is_running(PROC_BACKOFF));
	ASSERT_FALSE(proc_state_is_running(PROC_STOPPING));
	ASSERT_TRUE(proc_state_is_stopped(PROC_UNKNOWN));
	ASSERT_FALSE(proc_state_is_stopped(PROC_STOPPING));
}

static void
test_start_to_running(void)
{
	struct rl_program p = program();
	struct proc_fsm f;

	proc_fsm_init(&f, &p);
	ASSERT_INT_EQ(f.state, PROC_STOPPED);
	ASSERT_INT_EQ(ev(&f, PROC_EV_START, 100, 0, 0), 0);
	ASSERT_INT_EQ(f.state, PROC_STARTING);
	ASSERT_TRUE(out.actions & PROC_ACT_SPAWN);
	ASSERT_INT_EQ(out.npath, 1);
	ASSERT_INT_EQ(out.path[0], PROC_STARTING);
	ASSERT_INT_EQ(proc_fsm_timer_event(&f), _PROC_EVENT_MAX);

	ASSERT_INT_EQ(ev(&f, PROC_EV_SPAWNED, 105, 0, 0), 0);
	ASSERT_INT_EQ(f.state, PROC_STARTING);
	ASSERT_INT_EQ(out.npath, 0);
	ASSERT_TRUE(out.actions & PROC_ACT_TIMER);
	ASSERT_INT_EQ(f.deadline_ms, 1100);
	ASSERT_INT_EQ(proc_fsm_timer_event(&f), PROC_EV_STARTSECS);

	ASSERT_INT_EQ(ev(&f, PROC_EV_STARTSECS, 1100, 0, 0), 0);
	ASSERT_INT_EQ(f.state, PROC_RUNNING);
	ASSERT_INT_EQ(f.deadline_ms, 0);
	ASSERT_INT_EQ(proc_fsm_timer_event(&f), _PROC_EVENT_MAX);

	ASSERT_INT_EQ(ev(&f, PROC_EV_START, 1200, 0, 0), -EALREADY);
	ASSERT_INT_EQ(out.actions, 0);
	ASSERT_INT_EQ(ev(&f, PROC_EV_NO_RESOURCE, 1200, 0, 0), -EALREADY);
	ASSERT_INT_EQ(f.state, PROC_RUNNING);
}

static void
test_startsecs_zero(void)
{
	struct rl_program p = program();
	struct proc_fsm f;

	p.startsecs_ms = 0;
	proc_fsm_init(&f, &p);
	ev(&f, PROC_EV_START, 0, 0, 0);
	ASSERT_INT_EQ(ev(&f, PROC_EV_SPAWNED, 0, 0, 0), 0);
	ASSERT_INT_EQ(f.state, PROC_RUNNING);
	/* an exit right away is a normal exit, not "too quickly" */
	ASSERT_INT_EQ(ev(&f, PROC_EV_EXITED, 0, EXIT(0), 0), 0);
	ASSERT_INT_EQ(f.state, PROC_EXITED);
	ASSERT_TRUE(f.expected);
}

static void
test_backoff_to_fatal(void)
{
	struct rl_program p = program();
	struct proc_fsm f;
	int64_t t = 0;
	char d[128];

	proc_fsm_init(&f, &p);
	ev(&f, PROC_EV_START, t, 0, 0);
	/* startretries = 3: four attempts, delays 1, 2, 3 s between them */
	for (unsigned i = 1; i <= 3; i++) {
		ev(&f, PROC_EV_SPAWNED, t, 0, 0);
		ASSERT_INT_EQ(ev(&f, PROC_EV_EXITED, t + 10, EXIT(1), 0), 0);
		ASSERT_INT_EQ(f.state, PROC_BACKOFF);
		ASSERT_INT_EQ(f.backoff, i);
		ASSERT_INT_EQ(f.deadline_ms, t + 10 + i * 1000);
		ASSERT_INT_EQ(proc_fsm_timer_event(&f), PROC_EV_BACKOFF);
		proc_fsm_describe(&f, 0, t, d, sizeof(d));
		ASSERT_STR_EQ(d, "Exited too quickly (process log may have "
				 "details)");
		ASSERT_INT_EQ(ev(&f, PROC_EV_START, t + 20, 0, 0), -EALREADY);
		t = f.deadline_ms;
		ASSERT_INT_EQ(ev(&f, PROC_EV_BACKOFF, t, 0, 0), 0);
		ASSERT_INT_EQ(f.state, PROC_STARTING);
		ASSERT_TRUE(out.actions & PROC_ACT_SPAWN);
	}
	ev(&f, PROC_EV_SPAWNED, t, 0, 0);
	ASSERT_INT_EQ(ev(&f, PROC_EV_EXITED, t + 10, EXIT(1), 0), 0);
	ASSERT_INT_EQ(f.state, PROC_FATAL);
	ASSERT_INT_EQ(out.npath, 2);
	ASSERT_INT_EQ(out.path[0], PROC_BACKOFF);
	ASSERT_INT_EQ(out.path[1], PROC_FATAL);
	ASSERT_INT_EQ(f.deadline_ms, 0);
	ASSERT_INT_EQ(f.backoff, 0);
	proc_fsm_describe(&f, 0, t, d, sizeof(d));
	ASSERT_STR_EQ(d, "Exited too quickly (process log may have details)");
	/* FATAL may be started again, with a fresh retry count */
	ASSERT_INT_EQ(ev(&f, PROC_EV_START, t + 100, 0, 0), 0);
	ASSERT_INT_EQ(f.state, PROC_STARTING);
	ASSERT_INT_EQ(f.reason[0], '\0');
}

static void
test_startretries_zero(void)
{
	struct rl_program p = program();
	struct proc_fsm f;

	p.startretries = 0;
	proc_fsm_init(&f, &p);
	ev(&f, PROC_EV_START, 0, 0, 0);
	ev(&f, PROC_EV_SPAWNED, 0, 0, 0);
	ev(&f, PROC_EV_EXITED, 5, EXIT(0), 0);
	ASSERT_INT_EQ(f.state, PROC_FATAL);
}

static void
test_spawn_errors(void)
{
	struct rl_program p = program();
	struct proc_fsm f;
	char d[128];

	proc_fsm_init(&f, &p);
	ev(&f, PROC_EV_START, 0, 0, 0);
	ASSERT_INT_EQ(ev(&f, PROC_EV_SPAWN_ERROR, 1, 0, ENOENT), 0);
	ASSERT_INT_EQ(f.state, PROC_FATAL);
	ASSERT_INT_EQ(f.spawn_errno, ENOENT);
	proc_fsm_describe(&f, 0, 2, d, sizeof(d));
	ASSERT_STR_EQ(d, "spawn error: No such file or directory");

	/* fork failures are retried */
	ev(&f, PROC_EV_START, 10, 0, 0);
	ASSERT_INT_EQ(ev(&f, PROC_EV_FORK_ERROR, 10, 0, EAGAIN), 0);
	ASSERT_INT_EQ(f.state, PROC_BACKOFF);
	ASSERT_INT_EQ(f.deadline_ms, 1010);
	proc_fsm_describe(&f, 0, 11, d, sizeof(d));
	ASSERT_STR_EQ(d, "spawn error: Resource temporarily unavailable");
}

static void
test_stop(void)
{
	struct rl_program p = program();
	struct proc_fsm f = running(&p);

	p.stopasgroup = true;
	p.killasgroup = false;
	ASSERT_INT_EQ(ev(&f, PROC_EV_STOP, 5000, 0, 0), 0);
	ASSERT_INT_EQ(f.state, PROC_STOPPING);
	ASSERT_TRUE(out.actions & PROC_ACT_SIGNAL);
	ASSERT_INT_EQ(out.signal, SIGTERM);
	ASSERT_TRUE(out.group);
	ASSERT_INT_EQ(f.deadline_ms, 15000);
	ASSERT_INT_EQ(proc_fsm_timer_event(&f), PROC_EV_STOPWAIT);
	/* a second stop while stopping changes nothing */
	ASSERT_INT_EQ(ev(&f, PROC_EV_STOP, 6000, 0, 0), 0);
	ASSERT_INT_EQ(out.actions, 0);
	ASSERT_INT_EQ(ev(&f, PROC_EV_START, 6000, 0, 0), -EBUSY);
	ASSERT_INT_EQ(ev(&f, PROC_EV_NO_RESOURCE, 6000, 0, 0), -EBUSY);
	/* stopwaitsecs: SIGKILL, to the group only with killasgroup */
	ASSERT_INT_EQ(ev(&f, PROC_EV_STOPWAIT, 15000, 0, 0), 0);
	ASSERT_INT_EQ(f.state, PROC_STOPPING);
	ASSERT_INT_EQ(out.signal, SIGKILL);
	ASSERT_FALSE(out.group);
	ASSERT_INT_EQ(f.deadline_ms, 25000);
	ASSERT_INT_EQ(ev(&f, PROC_EV_EXITED, 15001, SIGKILL, 0), 0);
	ASSERT_INT_EQ(f.state, PROC_STOPPED);
	ASSERT_INT_EQ(f.exitstatus, -1);
	ASSERT_INT_EQ(f.termsig, SIGKILL);
	ASSERT_INT_EQ(f.deadline_ms, 0);
	ASSERT_INT_EQ(ev(&f, PROC_EV_STOP, 16000, 0, 0), -ESRCH);
}

static void
test_stop_starting_and_backoff(void)
{
	struct rl_program p = program();
	struct proc_fsm f;

	proc_fsm_init(&f, &p);
	ev(&f, PROC_EV_START, 0, 0, 0);
	ev(&f, PROC_EV_SPAWNED, 0, 0, 0);
	ASSERT_INT_EQ(ev(&f, PROC_EV_STOP, 10, 0, 0), 0);
	ASSERT_INT_EQ(f.state, PROC_STOPPING);
	/* an exit while stopping is never "too quickly" */
	ASSERT_INT_EQ(ev(&f, PROC_EV_EXITED, 20, EXIT(1), 0), 0);
	ASSERT_INT_EQ(f.state, PROC_STOPPED);

	ev(&f, PROC_EV_START, 100, 0, 0);
	ev(&f, PROC_EV_SPAWNED, 100, 0, 0);
	ev(&f, PROC_EV_EXITED, 110, EXIT(1), 0);
	ASSERT_INT_EQ(f.state, PROC_BACKOFF);
	ASSERT_INT_EQ(ev(&f, PROC_EV_STOP, 120, 0, 0), 0);
	ASSERT_INT_EQ(f.state, PROC_STOPPED);
	ASSERT_FALSE(out.actions & PROC_ACT_SIGNAL);
	ASSERT_TRUE(out.actions & PROC_ACT_TIMER);
	ASSERT_INT_EQ(f.deadline_ms, 0);
}

static void
test_kill_error(void)
{
	struct rl_program p = program();
	struct proc_fsm f = running(&p);

	ev(&f, PROC_EV_STOP, 2000, 0, 0);
	ASSERT_INT_EQ(ev(&f, PROC_EV_KILL_ERROR, 2000, 0, EPERM), 0);
	ASSERT_INT_EQ(f.state, PROC_UNKNOWN);
	ASSERT_INT_EQ(ev(&f, PROC_EV_START, 2001, 0, 0), -EBUSY);
	ASSERT_INT_EQ(ev(&f, PROC_EV_STOP, 2001, 0, 0), -ESRCH);
	ASSERT_INT_EQ(ev(&f, PROC_EV_EXITED, 3000, EXIT(0), 0), 0);
	ASSERT_INT_EQ(f.state, PROC_EXITED);
}

static void
test_no_resource(void)
{
	struct rl_program p = program();
	struct proc_fsm f;
	char d[128];

	proc_fsm_init(&f, &p);
	ASSERT_INT_EQ(ev(&f, PROC_EV_NO_RESOURCE, 0, 0, 0), 0);
	ASSERT_INT_EQ(f.state, PROC_FATAL);
	proc_fsm_describe(&f, 0, 0, d, sizeof(d));
	ASSERT_STR_EQ(d, "No resource available");
	ASSERT_INT_EQ(ev(&f, PROC_EV_NO_RESOURCE, 0, 0, 0), 0);
	ASSERT_INT_EQ(out.npath, 0);
}

/* autorestart x exitcodes: restart or not after an exit from RUNNING */
static void
test_autorestart_matrix(void)
{
	static const struct {
		enum rl_autorestart ar;
		int code;
		bool codes02;
		bool restart;
		bool expected;
	} m[] = {
		{RL_AUTORESTART_FALSE, 0, false, false, true},
		{RL_AUTORESTART_FALSE, 1, false, false, false},
		{RL_AUTORESTART_TRUE, 0, false, true, true},
		{RL_AUTORESTART_TRUE, 1, false, true, false},
		{RL_AUTORESTART_UNEXPECTED, 0, false, false, true},
		{RL_AUTORESTART_UNEXPECTED, 1, false, true, false},
		{RL_AUTORESTART_UNEXPECTED, 2, true, false, true},
		{RL_AUTORESTART_UNEXPECTED, 3, true, true, false},
		{RL_AUTORESTART_UNEXPECTED, -1, false, true, false},
	};

	for (size_t i = 0; i < ARRAY_SIZE(m); i++) {
		struct rl_program p = program();
		struct proc_fsm f;
		int status = m[i].code < 0 ? SIGSEGV : EXIT(m[i].code);

		p.autorestart = m[i].ar;
		if (m[i].codes02) {
			p.exitcodes = codes_0_2;
			p.nexitcodes = 2;
		}
		f = running(&p);
		ASSERT_INT_EQ(ev(&f, PROC_EV_EXITED, 5000, status, 0), 0);
		ASSERT_INT_EQ(f.expected, m[i].expected);
		ASSERT_INT_EQ(out.path[0], PROC_EXITED);
		if (m[i].restart) {
			ASSERT_INT_EQ(f.state, PROC_STARTING);
			ASSERT_INT_EQ(out.npath, 2);
			ASSERT_TRUE(out.actions & PROC_ACT_SPAWN);
			ASSERT_INT_EQ(f.restarts, 1);
		} else {
			ASSERT_INT_EQ(f.state, PROC_EXITED);
			ASSERT_INT_EQ(out.npath, 1);
			ASSERT_FALSE(out.actions & PROC_ACT_SPAWN);
		}
	}
}

static void
test_inhibit_restart(void)
{
	struct rl_program p = program();
	struct proc_fsm f;

	p.autorestart = RL_AUTORESTART_TRUE;
	f = running(&p);
	f.inhibit_restart = true;
	ev(&f, PROC_EV_EXITED, 5000, EXIT(0), 0);
	ASSERT_INT_EQ(f.state, PROC_EXITED);
}

/* startsecs elapsed but the timer was not served yet: a normal exit */
static void
test_exit_after_startsecs_race(void)
{
	struct rl_program p = program();
	struct proc_fsm f;

	p.autorestart = RL_AUTORESTART_FALSE;
	proc_fsm_init(&f, &p);
	ev(&f, PROC_EV_START, 0, 0, 0);
	ev(&f, PROC_EV_SPAWNED, 0, 0, 0);
	ASSERT_INT_EQ(ev(&f, PROC_EV_EXITED, 1000, EXIT(0), 0), 0);
	ASSERT_INT_EQ(out.npath, 2);
	ASSERT_INT_EQ(out.path[0], PROC_RUNNING);
	ASSERT_INT_EQ(out.path[1], PROC_EXITED);
}

/* Every pair not in the table is refused with -EINVAL and no change. */
static void
test_impossible_pairs(void)
{
	struct rl_program p = program();
	static const struct {
		enum proc_state s;
		enum proc_event e;
	} bad[] = {
		{PROC_STOPPED, PROC_EV_SPAWNED},
		{PROC_STOPPED, PROC_EV_EXITED},
		{PROC_STOPPED, PROC_EV_STARTSECS},
		{PROC_STOPPED, PROC_EV_STOPWAIT},
		{PROC_RUNNING, PROC_EV_SPAWNED},
		{PROC_RUNNING, PROC_EV_BACKOFF},
		{PROC_RUNNING, PROC_EV_STARTSECS},
		{PROC_BACKOFF, PROC_EV_EXITED},
		{PROC_BACKOFF, PROC_EV_SPAWNED},
		{PROC_STOPPING, PROC_EV_SPAWNED},
		{PROC_STOPPING, PROC_EV_BACKOFF},
		{PROC_EXITED, PROC_EV_EXITED},
		{PROC_FATAL, PROC_EV_STOPWAIT},
		{PROC_UNKNOWN, PROC_EV_SPAWNED},
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct proc_fsm f;

		proc_fsm_init(&f, &p);
		f.state = bad[i].s;
		ASSERT_INT_EQ(ev(&f, bad[i].e, 0, 0, 0), -EINVAL);
		ASSERT_INT_EQ(f.state, bad[i].s);
		ASSERT_INT_EQ(out.actions, 0);
	}
}

static void
test_describe(void)
{
	struct rl_program p = program();
	struct proc_fsm f;
	char d[128];

	proc_fsm_init(&f, &p);
	proc_fsm_describe(&f, 0, 0, d, sizeof(d));
	ASSERT_STR_EQ(d, "Not started");
	f = running(&p);
	proc_fsm_describe(&f, 123, 100000, d, sizeof(d));
	ASSERT_STR_EQ(d, "pid 123, uptime 0:01:40");
	ev(&f, PROC_EV_STOP, 100000, 0, 0);
	proc_fsm_describe(&f, 123, 100000, d, sizeof(d));
	ASSERT_STR_EQ(d, "");
	ev(&f, PROC_EV_EXITED, 100001, SIGTERM, 0);
	proc_fsm_describe(&f, 0, 100001, d, sizeof(d));
	ASSERT_TRUE(strlen(d) > 10); /* a stop date, "Nov 14 10:13 PM" */
	ASSERT_TRUE(strcmp(d, "Not started") != 0);

	proc_format_uptime(86400000LL + 3723000, d, sizeof(d));
	ASSERT_STR_EQ(d, "1 day, 1:02:03");
	proc_format_uptime(2 * 86400000LL, d, sizeof(d));
	ASSERT_STR_EQ(d, "2 days, 0:00:00");
	proc_format_wait_status(EXIT(3), d, sizeof(d));
	ASSERT_STR_EQ(d, "exit status 3");
	proc_format_wait_status(SIGKILL, d, sizeof(d));
	ASSERT_STR_EQ(d, "terminated by SIGKILL");
}

int
main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"names and codes", test_names},
		{"start to running", test_start_to_running},
		{"startsecs 0", test_startsecs_zero},
		{"backoff to fatal", test_backoff_to_fatal},
		{"startretries 0", test_startretries_zero},
		{"spawn errors", test_spawn_errors},
		{"stop and kill", test_stop},
		{"stop starting and backoff", test_stop_starting_and_backoff},
		{"kill error", test_kill_error},
		{"no resource", test_no_resource},
		{"autorestart x exitcodes", test_autorestart_matrix},
		{"inhibit restart", test_inhibit_restart},
		{"exit after startsecs race", test_exit_after_startsecs_race},
		{"impossible pairs", test_impossible_pairs},
		{"describe", test_describe},
	};

	return test_main(argc, argv, "proc_fsm", cases, ARRAY_SIZE(cases));
}
