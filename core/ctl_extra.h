/*
 * ctl_extra: Supvisors' extras of the control API, apart from core/ctl.c
 * so that its owners and this module's can work on their files
 * separately:
 *
 *   POST /v1/processes/NS/disable {"instance":NAME|null} (or no body)
 *   POST /v1/processes/NS/enable  the same
 *        Supvisors' disable/enable of the program of each selected
 *        process on INSTANCE (default: the instance asked), reached
 *        over the peer channel when it is another one.  Answers
 *        {"results":[{"program","namespec","instance","disabled","ok",
 *        "error"}]}, one per program.
 *   POST /v1/start_any {"regex":R, "strategy"?, "extra_args"?, "wait"?}
 *        Supvisors' start_process_any: starts the first process, in
 *        rules order, whose namespec fully matches the POSIX extended
 *        regular expression R, that runs nowhere and that a dry-run
 *        placement can put somewhere; then as POST
 *        /v1/processes/NS/start (the answer's "results" name it).
 *
 * The request decoders and the choices (ctl_extra_pick_any(),
 * ctl_extra_disabled_check()) are pure, over a view given, so that the
 * unit tests and tests/fuzz/fuzz_ctl.c can throw anything at them;
 * ctl_extra_handle() is the one call ctl_handle() makes, and
 * ctl_extra_process_json() and ctl_extra_start_disabled() are the two
 * hooks of its process answers and starts.
 *
 * Ownership: *RET_INSTANCE of ctl_extra_instance_body() is the caller's
 * to free; struct ctl_start_any owns its strings (and its body, as
 * ctl_body_done() releases); the JSON returned is the caller's to
 * cJSON_Delete().  A disable sent to another instance keeps a small
 * record until every answer came (or the daemon exits).
 */
#ifndef CORE_CTL_EXTRA_H
#define CORE_CTL_EXTRA_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ctl_req.h"

struct cJSON;
struct ctl;
struct daemon;
struct http_request;
struct http_request_info;
struct proc;
struct sched_seq_conf;
struct sched_view;

enum ctl_extra_route {
	CTL_X_DISABLE,
	CTL_X_ENABLE,
	CTL_X_START_ANY,
	_CTL_X_MAX,
};

/* The route of PATH: 0, *RET and the selection (for disable and enable,
 * else "") in NAME; -ENOENT when PATH is not one of this module's,
 * -ENAMETOOLONG for a selection that does not fit NAME. */
int ctl_extra_route(const char *path, enum ctl_extra_route *ret, char *name,
		    size_t namelen);

/* The body of disable and enable: empty, {}, {"instance":null} give
 * *RET_INSTANCE NULL.  0 or -EINVAL with a message in MSG. */
int ctl_extra_instance_body(const char *body, size_t len,
			    char **ret_instance, char *msg, size_t msglen);

struct ctl_start_any {
	char *regex;
	struct ctl_body start; /* the rest: as a start's body */
};

/* The body of /v1/start_any: "regex" required (a string), the other
 * fields as a start's but "instance".  0 or -EINVAL with a message. */
int ctl_extra_start_any_body(const char *body, size_t len,
			     struct ctl_start_any *ret, char *msg,
			     size_t msglen);
void ctl_start_any_done(struct ctl_start_any *r);

/* Compiles R for ctl_extra_pick_any(): 0, or -EINVAL with regerror()'s
 * words in MSG. */
int ctl_extra_regex(const char *r, regex_t *ret, char *msg, size_t msglen);
/* Whether RE matches the whole of S. */
bool ctl_extra_full_match(const regex_t *re, const char *s);
/* The first process of V (rules order) whose namespec RE fully matches,
 * that runs nowhere (no running copy, no start in flight, a stopped
 * display state) and that sched_seq_plan() places with STRATEGY.  0 and
 * *RET_PROC; -ENOENT nothing matches, -EALREADY every match runs (or is
 * starting), -ENOSPC no stopped match can be placed. */
int ctl_extra_pick_any(struct sched_view *v, const struct sched_seq_conf *c,
		       const regex_t *re, enum rl_strategy strategy,
		       uint32_t *ret_proc);

/* May PROC of V be started on INST (SCHED_NONE: by placement) as far as
 * disabling goes?  0, or -EPERM when its program is disabled there (for
 * placement: on every RUNNING instance). */
int ctl_extra_disabled_check(const struct sched_view *v, uint32_t proc,
			     uint32_t inst);
/* The names of the instances where PROC's program is disabled. */
struct cJSON *ctl_extra_disabled_on(const struct sched_view *v,
				    uint32_t proc);

/* Hooks of core/ctl.c: "disabled" (on this instance) and "disabled_on"
 * into the JSON O of P; and true with a message when a start of P on
 * INSTANCE (NULL: placement) is refused DISABLED. */
void ctl_extra_process_json(const struct daemon *d, const struct proc *p,
			    struct cJSON *o);
bool ctl_extra_start_disabled(const struct daemon *d, const struct proc *p,
			      const char *instance, char *msg, size_t msglen);

/* Answers REQ when its path is one of this module's routes and returns
 * true; false (REQ untouched) otherwise. */
bool ctl_extra_handle(struct http_request *req,
		      const struct http_request_info *info, struct ctl *c,
		      struct daemon *d);

#endif
