/*
 * ctl_cluster: the cluster routes of the control API (DESIGN.md 8),
 * apart from core/ctl.c so that the daemon's owner and this module's can
 * work on their files separately:
 *
 *   POST /v1/plan       {"application":APP} or {"namespec":NS}, optional
 *                       "strategy": the dry-run placement (sched_seq_plan)
 *                       {"placements":[{"namespec","instance"|null,
 *                       "reason","excluded":[{"instance","reason"}]}]}
 *   GET  /v1/conflicts  {"conflicts":[{"namespec","instances":
 *                       [{"instance","pid","uptime_seconds"}]}]}
 *   POST /v1/conciliate {"strategy":S}: daemon_conciliate()
 *   POST /v1/end_sync   {"master":NAME|null} (or {}): daemon_end_sync()
 *   POST /v1/restart, POST /v1/shutdown: the whole cluster
 *                       (daemon_cluster_stop), answered 202 when the
 *                       master took the request.
 *
 * /v1/plan changes nothing: it is a read for authorization although it
 * is a POST (its body does not fit a query string), so an unauthorized
 * request on a public-read listener may ask for it (see
 * ctl_cluster_is_read()); the others are writes and need an authorized
 * request.
 *
 * The request decoders and the conflicts' JSON are pure (no daemon, no
 * I/O) so that tests/fuzz/fuzz_ctl.c and the unit tests can throw
 * anything at them; ctl_cluster_handle() is the one call ctl_handle()
 * makes.
 *
 * Ownership: struct ctl_plan_req owns its strings (ctl_plan_req_done());
 * *RET_MASTER of ctl_cluster_end_sync_body() is the caller's to free.
 * A deferred restart or shutdown keeps a small record until
 * daemon_cluster_stop() calls it back (it always does, exactly once).
 */
#ifndef CORE_CTL_CLUSTER_H
#define CORE_CTL_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/rules.h"

struct cJSON;
struct daemon;
struct http_request;
struct http_request_info;
struct sched_view;

enum ctl_cluster_route {
	CTL_CL_PLAN,
	CTL_CL_CONFLICTS,
	CTL_CL_CONCILIATE,
	CTL_CL_END_SYNC,
	CTL_CL_RESTART,
	CTL_CL_SHUTDOWN,
	_CTL_CL_MAX,
};

const char *ctl_cluster_route_to_string(enum ctl_cluster_route r);
/* The route of PATH (without the query): 0 and *RET, or -ENOENT when
 * PATH is not one of this module's. */
int ctl_cluster_route(const char *path, enum ctl_cluster_route *ret);
/* The method route R answers ("GET" or "POST"). */
const char *ctl_cluster_route_method(enum ctl_cluster_route r);
/* Whether METHOD on PATH only reads (GET/HEAD anywhere, POST /v1/plan):
 * what a public-read listener may serve without the token. */
bool ctl_cluster_is_read(const char *method, const char *path);

struct ctl_plan_req {
	char *application; /* exactly one of application and namespec */
	char *namespec;
	enum rl_strategy strategy; /* _RL_STRATEGY_MAX: the rules' own */
};

/* Decoders of the bodies.  0 and *RET; or -EINVAL (400 BAD_REQUEST)
 * with a message in MSG: malformed JSON, not an object, an unknown
 * field, a wrong type, an unknown strategy, a required field missing.
 * RET is written on success only. */
int ctl_cluster_plan_body(const char *body, size_t len,
			  struct ctl_plan_req *ret, char *msg, size_t msglen);
void ctl_plan_req_done(struct ctl_plan_req *r);
/* "strategy" is required; USER is refused (-EINVAL): it means "leave
 * the conflicts to the user", which is what this route is. */
int ctl_cluster_conciliate_body(const char *body, size_t len,
				enum rl_conciliation *ret, char *msg,
				size_t msglen);
/* An empty body, {} and {"master":null} give *RET_MASTER NULL (the
 * election's choice). */
int ctl_cluster_end_sync_body(const char *body, size_t len,
			      char **ret_master, char *msg, size_t msglen);
/* /v1/restart and /v1/shutdown take no field: an empty body or {}. */
int ctl_cluster_stop_body(const char *body, size_t len, char *msg,
			  size_t msglen);

/* The body of GET /v1/conflicts: every managed process of V running on
 * more than one instance, with each copy; NOW in V's clock (ms) gives
 * the uptimes.  cJSON_Delete() it. */
struct cJSON *ctl_cluster_conflicts_json(const struct sched_view *v,
					 int64_t now);

/* Answers REQ and returns true when its path is one of this module's
 * routes; false (REQ untouched) otherwise. */
bool ctl_cluster_handle(struct http_request *req,
			const struct http_request_info *info,
			struct daemon *d);

#endif
