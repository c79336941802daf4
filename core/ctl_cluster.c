/*
 * ctl_cluster: the cluster routes of the control API (plan, conflicts,
 * conciliate, end_sync, restart and shutdown of the cluster).  See
 * ctl_cluster.h.
 *
 * Errors of the daemon's cluster calls map as follows: conciliate
 * -EAGAIN BAD_STATE (409), -EALREADY NO_CONFLICT (409); end_sync
 * -ENOTSUP USER_NOT_CONFIGURED (409), -EAGAIN and -EALREADY BAD_STATE
 * (409), -ENOENT BAD_NAME (404), -EINVAL NOT_RUNNING (409); a cluster
 * stop -EAGAIN and -EPERM (the master refused) BAD_STATE (409),
 * -EALREADY ALREADY_STOPPING (409), -ESHUTDOWN SHUTTING_DOWN (503),
 * anything else (master unreachable) MASTER_UNAVAILABLE (503).
 */
#include "core/ctl_cluster.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctl.h"
#include "core/ctl_req.h"
#include "core/daemon.h"
#include "core/util.h"
#include "net/http.h"
#include "rules/rules.h"
#include "sched/fsm.h"
#include "sched/seq.h"
#include "sched/view.h"

/* ------------------------------------------------------------ routes */

static const struct {
	const char *path;
	const char *method;
} routes[_CTL_CL_MAX] = {
	[CTL_CL_PLAN] = {"/v1/plan", "POST"},
	[CTL_CL_CONFLICTS] = {"/v1/conflicts", "GET"},
	[CTL_CL_CONCILIATE] = {"/v1/conciliate", "POST"},
	[CTL_CL_END_SYNC] = {"/v1/end_sync", "POST"},
	[CTL_CL_RESTART] = {"/v1/restart", "POST"},
	[CTL_CL_SHUTDOWN] = {"/v1/shutdown", "POST"},
};

const char *
ctl_cluster_route_to_string(enum ctl_cluster_route r)
{
	return (unsigned)r < _CTL_CL_MAX ? routes[r].path : NULL;
}

int
ctl_cluster_route(const char *path, enum ctl_cluster_route *ret)
{
	for (size_t i = 0; i < ARRAY_SIZE(routes); i++)
		if (strcmp(path, routes[i].path) == 0) {
			*ret = (enum ctl_cluster_route)i;
			return 0;
		}
	return -ENOENT;
}

const char *
ctl_cluster_route_method(enum ctl_cluster_route r)
{
	return (unsigned)r < _CTL_CL_MAX ? routes[r].method : NULL;
}

bool
ctl_cluster_is_read(const char *method, const char *path)
{
	if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
		return true;
	return strcmp(method, "POST") == 0 &&
	       strcmp(path, routes[CTL_CL_PLAN].path) == 0;
}

/* ------------------------------------------------------------ bodies */

/* -EINVAL, with the message FMT in MSG. */
static int __attribute__((format(printf, 3, 4)))
bad(char *msg, size_t msglen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (msglen > 0)
		vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* The body as an object whose members are all among KEYS (an unknown
 * one is a 400, so that a typo is not silently ignored); *RET NULL for
 * an empty body. */
static int
object_of(const char *body, size_t len, const char *const *keys, size_t n,
	  cJSON **ret, char *msg, size_t msglen)
{
	const cJSON *it;
	cJSON *root = NULL;
	size_t i;
	int r;

	r = ctl_body_object(body, len, &root, msg, msglen);
	if (r < 0)
		return r;
	cJSON_ArrayForEach(it, root)
	{
		for (i = 0; i < n; i++)
			if (strcmp(it->string, keys[i]) == 0)
				break;
		if (i == n) {
			r = bad(msg, msglen, "unknown field '%.64s'",
				it->string);
			cJSON_Delete(root);
			return r;
		}
	}
	*ret = root;
	return 0;
}

/* Member KEY of ROOT: absent or null (*RET NULL), or a non-empty
 * string (*RET borrowed from ROOT). */
static int
string_of(const cJSON *root, const char *key, const char **ret, char *msg,
	  size_t msglen)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(root, key);

	*ret = NULL;
	if (it == NULL || cJSON_IsNull(it))
		return 0;
	if (!cJSON_IsString(it) || it->valuestring == NULL)
		return bad(msg, msglen, "'%s' must be a string", key);
	if (it->valuestring[0] == '\0')
		return bad(msg, msglen, "'%s' must not be empty", key);
	*ret = it->valuestring;
	return 0;
}

int
ctl_cluster_plan_body(const char *body, size_t len, struct ctl_plan_req *ret,
		      char *msg, size_t msglen)
{
	static const char *const keys[] = {"application", "namespec",
					   "strategy"};
	struct ctl_plan_req p = {.strategy = SCHED_STRATEGY_DEFAULT};
	const char *app, *ns, *s;
	cJSON *root;
	int r;

	r = object_of(body, len, keys, ARRAY_SIZE(keys), &root, msg, msglen);
	if (r < 0)
		return r;
	if ((r = string_of(root, "application", &app, msg, msglen)) < 0 ||
	    (r = string_of(root, "namespec", &ns, msg, msglen)) < 0 ||
	    (r = string_of(root, "strategy", &s, msg, msglen)) < 0)
		goto out;
	if ((app == NULL) == (ns == NULL)) {
		r = bad(msg, msglen,
			"give one of 'application' and 'namespec'");
		goto out;
	}
	if (s != NULL && rl_strategy_from_string(s) < 0) {
		r = bad(msg, msglen, "unknown strategy '%.64s'", s);
		goto out;
	}
	if (s != NULL)
		p.strategy = (enum rl_strategy)rl_strategy_from_string(s);
	p.application = app ? xstrdup(app) : NULL;
	p.namespec = ns ? xstrdup(ns) : NULL;
	*ret = p;
out:
	cJSON_Delete(root);
	return r;
}

void
ctl_plan_req_done(struct ctl_plan_req *r)
{
	free(r->application);
	free(r->namespec);
	r->application = r->namespec = NULL;
}

int
ctl_cluster_conciliate_body(const char *body, size_t len,
			    enum rl_conciliation *ret, char *msg,
			    size_t msglen)
{
	static const char *const keys[] = {"strategy"};
	const char *s;
	cJSON *root;
	int r, c;

	r = object_of(body, len, keys, ARRAY_SIZE(keys), &root, msg, msglen);
	if (r < 0)
		return r;
	if ((r = string_of(root, "strategy", &s, msg, msglen)) < 0)
		goto out;
	c = s ? rl_conciliation_from_string(s) : -1;
	if (s == NULL)
		r = bad(msg, msglen, "'strategy' is required");
	else if (c < 0)
		r = bad(msg, msglen, "unknown conciliation strategy '%.64s'",
			s);
	else if (c == RL_CONCILIATION_USER)
		r = bad(msg, msglen,
			"USER is not a strategy to apply: give SENICIDE, "
			"INFANTICIDE, STOP, RESTART or RUNNING_FAILURE");
	else
		*ret = (enum rl_conciliation)c;
out:
	cJSON_Delete(root);
	return r;
}

int
ctl_cluster_end_sync_body(const char *body, size_t len, char **ret_master,
			  char *msg, size_t msglen)
{
	static const char *const keys[] = {"master"};
	const char *m;
	cJSON *root;
	int r;

	r = object_of(body, len, keys, ARRAY_SIZE(keys), &root, msg, msglen);
	if (r < 0)
		return r;
	r = string_of(root, "master", &m, msg, msglen);
	if (r == 0)
		*ret_master = m ? xstrdup(m) : NULL;
	cJSON_Delete(root);
	return r;
}

int
ctl_cluster_stop_body(const char *body, size_t len, char *msg, size_t msglen)
{
	cJSON *root;
	int r;

	r = object_of(body, len, NULL, 0, &root, msg, msglen);
	if (r == 0)
		cJSON_Delete(root);
	return r;
}

/* ------------------------------------------------------------ handlers */

static void
post_plan(struct http_request *req, const struct http_request_info *info,
	  struct daemon *d)
{
	struct sched_view *v = daemon_view(d);
	struct ctl_plan_req p;
	struct sched_plan plan = SCHED_PLAN_INIT;
	struct sched_seq_conf conf;
	struct strbuf out = STRBUF_INIT;
	uint32_t app = SCHED_NONE, proc = SCHED_NONE;
	char *star;
	char msg[192];
	int r;

	if (ctl_cluster_plan_body(info->body, info->body_len, &p, msg,
				  sizeof(msg)) < 0) {
		http_reply_error(req, 400, "BAD_REQUEST", msg);
		return;
	}
	star = p.namespec ? strchr(p.namespec, ':') : NULL;
	if (star != NULL && strcmp(star, ":*") == 0) {
		*star = '\0'; /* "app:*" plans the application */
		p.application = p.namespec;
		p.namespec = NULL;
	}
	if (p.application != NULL)
		app = sched_view_find_app(v, p.application);
	else
		proc = sched_view_find_process(v, p.namespec);
	sched_seq_conf_default(&conf, sched_view_ninstances(v));
	conf.load_source = rules_cluster(daemon_rules(d))->load_source;
	r = app == SCHED_NONE && proc == SCHED_NONE
		    ? -ENOENT
		    : sched_seq_plan(v, &conf, app, proc, p.strategy, &plan);
	if (r < 0) {
		snprintf(msg, sizeof(msg), "no such %s '%.64s'",
			 p.application ? "application" : "process",
			 p.application ? p.application : p.namespec);
		http_reply_error(req, 404, "BAD_NAME", msg);
	} else {
		sched_plan_to_json(v, &plan, &out);
		http_reply_json(req, 200, strbuf_str(&out), out.len);
	}
	sched_plan_done(&plan);
	strbuf_done(&out);
	ctl_plan_req_done(&p);
}

static cJSON *
conflict_json(const struct sched_view *v, uint32_t proc, uint32_t *insts,
	      int64_t now)
{
	cJSON *o = cJSON_CreateObject(), *arr;
	size_t n = sched_view_running_instances(v, proc, insts), i;

	cJSON_AddStringToObject(o, "namespec",
				sched_view_process(v, proc)->namespec);
	arr = cJSON_AddArrayToObject(o, "instances");
	for (i = 0; i < n; i++) {
		const struct sched_pinfo *pi = sched_view_pinfo(v, proc,
								insts[i]);
		cJSON *e = cJSON_CreateObject();

		cJSON_AddStringToObject(e, "instance",
					sched_view_instance(v, insts[i])->name);
		cJSON_AddNumberToObject(e, "pid", pi ? pi->pid : 0);
		cJSON_AddNumberToObject(
			e, "uptime_seconds",
			pi && now > pi->start_ms
				? (double)((now - pi->start_ms) / 1000)
				: 0);
		cJSON_AddStringToObject(
			e, "state",
			sched_proc_state_to_string(
				pi ? pi->state : SCHED_PROC_STOPPED));
		cJSON_AddItemToArray(arr, e);
	}
	return o;
}

cJSON *
ctl_cluster_conflicts_json(const struct sched_view *v, int64_t now)
{
	uint32_t *insts = xcalloc(sched_view_ninstances(v) + 1,
				  sizeof(*insts));
	cJSON *root = cJSON_CreateObject();
	cJSON *arr = cJSON_AddArrayToObject(root, "conflicts");
	size_t i;

	for (i = 0; i < sched_view_nprocesses(v); i++)
		if (sched_view_conflict(v, (uint32_t)i))
			cJSON_AddItemToArray(
				arr, conflict_json(v, (uint32_t)i, insts, now));
	free(insts);
	return root;
}

/* The body of GET /v1/state: the answers say where the cluster is. */
static cJSON *
cluster_state_json(const struct daemon *d)
{
	return ctl_state_json(daemon_ctl(d));
}

static void
post_conciliate(struct http_request *req,
		const struct http_request_info *info, struct daemon *d)
{
	enum rl_conciliation s;
	char msg[192];
	cJSON *o;
	int r;

	if (ctl_cluster_conciliate_body(info->body, info->body_len, &s, msg,
					sizeof(msg)) < 0) {
		http_reply_error(req, 400, "BAD_REQUEST", msg);
		return;
	}
	r = daemon_conciliate(d, s);
	if (r == -EAGAIN) {
		const struct sched_fsm *f = daemon_fsm(d);

		snprintf(msg, sizeof(msg),
			 "the cluster is not in CONCILIATION but in %s",
			 sched_cstate_to_string(f ? sched_fsm_state(f)
						  : SCHED_CS_OFF));
		http_reply_error(req, 409, "BAD_STATE", msg);
	} else if (r == -EALREADY) {
		http_reply_error(req, 409, "NO_CONFLICT",
				 "no process runs on more than one instance");
	} else if (r < 0) {
		http_reply_error(req, 500, "INTERNAL", strerror(-r));
	} else {
		o = cluster_state_json(d);
		cJSON_AddStringToObject(o, "strategy",
					rl_conciliation_to_string(s));
		ctl_reply_json(req, 200, o);
	}
}

static void
post_end_sync(struct http_request *req, const struct http_request_info *info,
	      struct daemon *d)
{
	char *master = NULL, msg[192];
	int r;

	if (ctl_cluster_end_sync_body(info->body, info->body_len, &master,
				      msg, sizeof(msg)) < 0) {
		http_reply_error(req, 400, "BAD_REQUEST", msg);
		return;
	}
	r = daemon_end_sync(d, master);
	if (r == -EAGAIN) {
		http_reply_error(req, 409, "BAD_STATE",
				 "the cluster state machine is not running "
				 "yet (leftovers are being stopped)");
	} else if (r == -ENOTSUP) {
		http_reply_error(req, 409, "USER_NOT_CONFIGURED",
				 "USER is not among cluster.synchro");
	} else if (r == -EALREADY) {
		http_reply_error(req, 409, "BAD_STATE",
				 "the cluster is past SYNCHRONIZATION");
	} else if (r == -ENOENT) {
		snprintf(msg, sizeof(msg), "no such instance '%.64s'",
			 master ? master : "");
		http_reply_error(req, 404, "BAD_NAME", msg);
	} else if (r == -EINVAL) {
		snprintf(msg, sizeof(msg), "instance '%.64s' is not RUNNING",
			 master ? master : "");
		http_reply_error(req, 409, "NOT_RUNNING", msg);
	} else if (r < 0) {
		http_reply_error(req, 500, "INTERNAL", strerror(-r));
	} else {
		ctl_reply_json(req, 200, cluster_state_json(d));
	}
	free(master);
}

/* A restart or shutdown waiting for daemon_cluster_stop()'s answer.
 * REQ is NULL once the client left; the record lives until DONE. */
struct pending_stop {
	struct http_request *req;
	struct daemon *d;
	bool restart;
};

static void
on_stop_abort(struct http_request *req, void *data)
{
	struct pending_stop *ps = data;

	(void)req;
	ps->req = NULL;
}

static void
on_stop_done(void *arg, int err, const char *msg)
{
	struct pending_stop *ps = arg;
	cJSON *o;

	if (ps->req == NULL) {
		free(ps);
		return;
	}
	if (msg == NULL || msg[0] == '\0')
		msg = err < 0 ? strerror(-err) : "";
	if (err == -EAGAIN || err == -EPERM) {
		/* -EPERM: the master refused, with its reason */
		http_reply_error(ps->req, 409, "BAD_STATE", msg);
	} else if (err == -EALREADY) {
		http_reply_error(ps->req, 409, "ALREADY_STOPPING", msg);
	} else if (err == -ESHUTDOWN) {
		http_reply_error(ps->req, 503, "SHUTTING_DOWN", msg);
	} else if (err < 0) {
		http_reply_error(ps->req, 503, "MASTER_UNAVAILABLE", msg);
	} else {
		o = cluster_state_json(ps->d);
		cJSON_ReplaceItemInObjectCaseSensitive(
			o, "state",
			cJSON_CreateString(ps->restart ? "RESTARTING"
						       : "SHUTTING_DOWN"));
		ctl_reply_json(ps->req, 202, o);
	}
	free(ps);
}

static void
post_stop(struct http_request *req, const struct http_request_info *info,
	  struct daemon *d, bool restart)
{
	struct pending_stop *ps;
	char msg[192];

	if (ctl_cluster_stop_body(info->body, info->body_len, msg,
				  sizeof(msg)) < 0) {
		http_reply_error(req, 400, "BAD_REQUEST", msg);
		return;
	}
	ps = xcalloc(1, sizeof(*ps));
	ps->req = req;
	ps->d = d;
	ps->restart = restart;
	http_request_defer(req, on_stop_abort, ps);
	daemon_cluster_stop(d, restart, on_stop_done, ps);
}

bool
ctl_cluster_handle(struct http_request *req,
		   const struct http_request_info *info, struct daemon *d)
{
	enum ctl_cluster_route rt;
	const char *want;
	char msg[64];

	if (ctl_cluster_route(info->path, &rt) < 0)
		return false;
	want = ctl_cluster_route_method(rt);
	if (strcmp(info->method, want) != 0 &&
	    !(strcmp(want, "GET") == 0 && strcmp(info->method, "HEAD") == 0)) {
		snprintf(msg, sizeof(msg), "%s answers %s only",
			 routes[rt].path, want);
		http_reply_error(req, 405, "METHOD_NOT_ALLOWED", msg);
		return true;
	}
	if (!info->authorized && !ctl_cluster_is_read(info->method,
						      info->path)) {
		http_reply_error(req, 401, "UNAUTHORIZED",
				 "writes need the bearer token");
		return true;
	}
	switch (rt) {
	case CTL_CL_PLAN:
		post_plan(req, info, d);
		break;
	case CTL_CL_CONFLICTS:
		ctl_reply_json(req, 200,
			       ctl_cluster_conflicts_json(daemon_view(d),
							  util_now_ms()));
		break;
	case CTL_CL_CONCILIATE:
		post_conciliate(req, info, d);
		break;
	case CTL_CL_END_SYNC:
		post_end_sync(req, info, d);
		break;
	case CTL_CL_RESTART:
	case CTL_CL_SHUTDOWN:
		post_stop(req, info, d, rt == CTL_CL_RESTART);
		break;
	default:
		return false;
	}
	return true;
}
