/*
 * sched/app: an application's state and failures, computed from the view
 * (reference/supvisors.md 3.2 and 3.3).
 *
 * State over the displayed state of every process of the application:
 * any STOPPING -> STOPPING; else any STARTING or BACKOFF -> STARTING; else
 * any RUNNING -> RUNNING; else STOPPED.
 *
 * Failures, legacy mode (no operational_status): a process FATAL,
 * UNKNOWN or EXITED with an unexpected code is a major failure if it is
 * required, else a minor one; a required process merely STOPPED is a
 * major failure unless the application is STOPPED.  A major failure
 * clears the minor one.  `required` counts only for processes with
 * start_sequence > 0 (Supvisors forces it false otherwise).
 *
 * Formula mode: an operand is true when its process is STARTING, RUNNING,
 * BACKOFF, or EXITED with an expected code; major = not(formula), and an
 * evaluation error is major; `required` is ignored.  Without a major
 * failure, a crashed process (FATAL, UNKNOWN, unexpected EXITED) is a
 * minor one.  Our choice where Supvisors is silent: a STOPPED application
 * has no major failure from its formula (an application stopped on
 * purpose is not failed, as in legacy mode), so that the DISTRIBUTION
 * repair pass does not restart applications a user stopped.
 *
 * Pure functions; nothing is allocated.
 */
#ifndef SCHED_APP_H
#define SCHED_APP_H

#include <stdbool.h>
#include <stdint.h>

struct sched_view;

enum sched_app_state {
	SCHED_APP_STOPPED,
	SCHED_APP_STARTING,
	SCHED_APP_RUNNING,
	SCHED_APP_STOPPING,
	_SCHED_APP_MAX,
};

const char *sched_app_state_to_string(enum sched_app_state s);
int sched_app_state_from_string(const char *s);

struct sched_app_status {
	enum sched_app_state state;
	bool major_failure;
	bool minor_failure;
	bool formula_error; /* the formula could not be evaluated */
};

/* -ENOENT for an unknown application. */
int sched_app_status(const struct sched_view *v, uint32_t app,
		     struct sched_app_status *ret);
enum sched_app_state sched_app_state(const struct sched_view *v,
				     uint32_t app);
/* "Not Operational", "Degraded" or "Operational" when RUNNING, else "". */
const char *sched_app_operational(const struct sched_app_status *st);
/* Crashed: FATAL, UNKNOWN, or EXITED with an unexpected code. */
bool sched_proc_crashed(const struct sched_view *v, uint32_t proc);
/* No process of the application in a running state on any instance. */
bool sched_app_fully_stopped(const struct sched_view *v, uint32_t app);

#endif
