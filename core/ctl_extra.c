/*
 * Supvisors' extras of the control API: enable/disable a program on an
 * instance and start_any_process.  See ctl_extra.h.
 *
 * A disable on another instance is that instance's decision (it owns
 * its processes and its state file), so this side only forwards it and,
 * once the owner said yes, marks its own view at once rather than a
 * gossip interval later: a start that follows the answer must already
 * avoid the instance.
 */
#define _GNU_SOURCE
#include "core/ctl_extra.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctl.h"
#include "core/daemon.h"
#include "core/disabled.h"
#include "core/log.h"
#include "core/proc.h"
#include "core/util.h"
#include "net/http.h"
#include "sched/seq.h"
#include "sched/view.h"

/* ------------------------------------------------------------ decoding */

int
ctl_extra_route(const char *path, enum ctl_extra_route *ret, char *name,
		size_t namelen)
{
	static const char prefix[] = "/v1/processes/";
	const char *rest, *slash;
	size_t n;

	if (strcmp(path, "/v1/start_any") == 0) {
		if (namelen > 0)
			name[0] = '\0';
		*ret = CTL_X_START_ANY;
		return 0;
	}
	if (strncmp(path, prefix, sizeof(prefix) - 1) != 0)
		return -ENOENT;
	rest = path + sizeof(prefix) - 1;
	slash = strrchr(rest, '/');
	if (slash == NULL || slash == rest)
		return -ENOENT;
	if (strcmp(slash + 1, "disable") == 0)
		*ret = CTL_X_DISABLE;
	else if (strcmp(slash + 1, "enable") == 0)
		*ret = CTL_X_ENABLE;
	else
		return -ENOENT;
	n = (size_t)(slash - rest);
	if (memchr(rest, '/', n) != NULL)
		return -ENOENT;
	if (n >= namelen)
		return -ENAMETOOLONG;
	memcpy(name, rest, n);
	name[n] = '\0';
	return 0;
}

static int __attribute__((format(printf, 3, 4)))
bad(char *msg, size_t msglen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int
ctl_extra_instance_body(const char *body, size_t len, char **ret_instance,
			char *msg, size_t msglen)
{
	const cJSON *it;
	cJSON *root;
	char *inst = NULL;
	int r;

	r = ctl_body_object(body, len, &root, msg, msglen);
	if (r < 0)
		return r;
	cJSON_ArrayForEach(it, root)
	{
		if (it->string == NULL || strcmp(it->string, "instance") != 0) {
			r = bad(msg, msglen, "unknown field '%.64s'",
				it->string ? it->string : "");
			break;
		}
		if (cJSON_IsNull(it))
			continue;
		if (!cJSON_IsString(it) || it->valuestring == NULL ||
		    it->valuestring[0] == '\0') {
			r = bad(msg, msglen,
				"'instance' must be a name or null");
			break;
		}
		free(inst);
		inst = xstrdup(it->valuestring);
	}
	cJSON_Delete(root);
	if (r < 0) {
		free(inst);
		return r;
	}
	*ret_instance = inst;
	return 0;
}

int
ctl_extra_start_any_body(const char *body, size_t len,
			 struct ctl_start_any *ret, char *msg, size_t msglen)
{
	struct ctl_start_any a = {0};
	cJSON *root, *re;
	char *rest;
	int r;

	r = ctl_body_object(body, len, &root, msg, msglen);
	if (r < 0)
		return r;
	re = root ? cJSON_DetachItemFromObjectCaseSensitive(root, "regex")
		  : NULL;
	if (re == NULL || !cJSON_IsString(re) || re->valuestring == NULL) {
		r = bad(msg, msglen, "'regex' is required, as a string");
		goto out;
	}
	if (cJSON_GetObjectItemCaseSensitive(root, "instance") != NULL) {
		r = bad(msg, msglen,
			"'instance' does not go with start_any: the placement "
			"chooses");
		goto out;
	}
	/* the other fields are a start's: one decoder for both */
	rest = cJSON_PrintUnformatted(root);
	if (rest == NULL)
		abort();
	r = ctl_body_parse(CTL_PROCESS_START, rest, strlen(rest), &a.start,
			   msg, msglen);
	free(rest);
	if (r == 0) {
		a.regex = xstrdup(re->valuestring);
		*ret = a;
	}
out:
	cJSON_Delete(re);
	cJSON_Delete(root);
	return r;
}

void
ctl_start_any_done(struct ctl_start_any *r)
{
	free(r->regex);
	r->regex = NULL;
	ctl_body_done(&r->start);
}

/* ------------------------------------------------------------ choices */

int
ctl_extra_regex(const char *r, regex_t *ret, char *msg, size_t msglen)
{
	int e = regcomp(ret, r, REG_EXTENDED);

	if (e != 0) {
		char why[128];

		regerror(e, ret, why, sizeof(why));
		return bad(msg, msglen, "bad regular expression '%.64s': %s",
			   r, why);
	}
	return 0;
}

bool
ctl_extra_full_match(const regex_t *re, const char *s)
{
	regmatch_t m[1];

	/* POSIX gives the longest match at the leftmost position: when a
	 * match of the whole string exists, it is that one */
	return regexec(re, s, 1, m, 0) == 0 && m[0].rm_so == 0 &&
	       (size_t)m[0].rm_eo == strlen(s);
}

static bool
placeable(struct sched_view *v, const struct sched_seq_conf *c,
	  uint32_t proc, enum rl_strategy strategy)
{
	struct sched_plan plan = SCHED_PLAN_INIT;
	bool ok;

	ok = sched_seq_plan(v, c, SCHED_NONE, proc, strategy, &plan) == 0 &&
	     plan.n > 0 && plan.v[0].inst != SCHED_NONE;
	sched_plan_done(&plan);
	return ok;
}

int
ctl_extra_pick_any(struct sched_view *v, const struct sched_seq_conf *c,
		   const regex_t *re, enum rl_strategy strategy,
		   uint32_t *ret_proc)
{
	size_t matched = 0, stopped = 0;

	for (uint32_t i = 0; i < sched_view_nprocesses(v); i++) {
		const struct sched_process *sp = sched_view_process(v, i);

		if (!ctl_extra_full_match(re, sp->namespec))
			continue;
		matched++;
		if (sp->nrunning > 0 || sp->resv != SCHED_NONE ||
		    !sched_proc_state_stopped(sched_view_display_state(v, i)))
			continue;
		stopped++;
		if (placeable(v, c, i, strategy)) {
			*ret_proc = i;
			return 0;
		}
	}
	return matched == 0 ? -ENOENT : stopped == 0 ? -EALREADY : -ENOSPC;
}

static bool
disabled_at(const struct sched_view *v, uint32_t proc, uint32_t inst)
{
	const struct sched_pinfo *pi = sched_view_pinfo(v, proc, inst);

	return pi != NULL && pi->disabled;
}

int
ctl_extra_disabled_check(const struct sched_view *v, uint32_t proc,
			 uint32_t inst)
{
	const struct sched_process *sp = sched_view_process(v, proc);
	bool anywhere = false;

	if (sp == NULL || sp->ndisabled == 0)
		return 0;
	if (inst != SCHED_NONE)
		return disabled_at(v, proc, inst) ? -EPERM : 0;
	for (uint32_t i = 0; i < sched_view_ninstances(v) && !anywhere; i++)
		anywhere = sched_view_instance(v, i)->state ==
				   SCHED_INST_RUNNING &&
			   !disabled_at(v, proc, i);
	return anywhere ? 0 : -EPERM;
}

cJSON *
ctl_extra_disabled_on(const struct sched_view *v, uint32_t proc)
{
	cJSON *arr = cJSON_CreateArray();
	const struct sched_process *sp = sched_view_process(v, proc);

	for (uint32_t i = 0; sp != NULL && sp->ndisabled > 0 &&
			     i < sched_view_ninstances(v);
	     i++)
		if (disabled_at(v, proc, i))
			cJSON_AddItemToArray(
				arr, cJSON_CreateString(
					     sched_view_instance(v, i)->name));
	return arr;
}

/* ------------------------------------------------------------ hooks */

void
ctl_extra_process_json(const struct daemon *d, const struct proc *p,
		       cJSON *o)
{
	uint32_t vid = daemon_proc_view_id(d, p);

	cJSON_AddBoolToObject(o, "disabled", proc_disabled(p));
	if (vid == SCHED_NONE)
		cJSON_AddItemToObject(o, "disabled_on", cJSON_CreateArray());
	else
		cJSON_AddItemToObject(
			o, "disabled_on",
			ctl_extra_disabled_on(daemon_view(d), vid));
}

bool
ctl_extra_start_disabled(const struct daemon *d, const struct proc *p,
			 const char *instance, char *msg, size_t msglen)
{
	const struct sched_view *v = daemon_view(d);
	uint32_t vid = daemon_proc_view_id(d, p), inst = SCHED_NONE;

	if (vid == SCHED_NONE || sched_view_process(v, vid)->nrunning > 0)
		return false; /* the start's own checks answer */
	if (instance != NULL &&
	    (inst = sched_view_find_instance(v, instance)) == SCHED_NONE)
		return false;
	if (ctl_extra_disabled_check(v, vid, inst) == 0)
		return false;
	if (instance != NULL)
		snprintf(msg, msglen, "%s is disabled on %s", proc_namespec(p),
			 instance);
	else
		snprintf(msg, msglen,
			 "%s is disabled on every running instance",
			 proc_namespec(p));
	return true;
}

/* ------------------------------------------------------------ disable */

/* One disable/enable request: its answers, until every program's came. */
struct xdis {
	struct daemon *d;
	struct http_request *req; /* NULL once the client left */
	cJSON *root;
	unsigned waiting;
	unsigned status;
};

/* A program sent to another instance. */
struct xdis_item {
	struct xdis *x;
	cJSON *result;
	char *namespec;
	char *instance;
	bool disable;
};

static void
result_error(struct xdis *x, cJSON *res, unsigned status, const char *code,
	     const char *message)
{
	cJSON *e;

	cJSON_ReplaceItemInObject(res, "ok", cJSON_CreateFalse());
	e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "code", code);
	cJSON_AddStringToObject(e, "message", message);
	cJSON_ReplaceItemInObject(res, "error", e);
	if (x->status == 200) {
		x->status = status;
		cJSON_AddItemToObject(x->root, "error", cJSON_Duplicate(e, 1));
	}
}

static void
xdis_finish(struct xdis *x)
{
	if (x->waiting > 0)
		return;
	if (x->req != NULL)
		ctl_reply_json(x->req, x->status, x->root);
	else
		cJSON_Delete(x->root);
	free(x);
}

static void
on_xdis_abort(struct http_request *req, void *data)
{
	struct xdis *x = data;

	(void)req;
	x->req = NULL;
}

/* The owner said yes: this view knows at once. */
static void
mark_view(struct daemon *d, const char *namespec, const char *instance,
	  bool disable)
{
	struct sched_view *v = daemon_view(d);
	uint32_t inst = sched_view_find_instance(v, instance);
	struct proc *p = daemon_find_proc(d, namespec);
	const struct rl_program *prog;

	if (p == NULL || inst == SCHED_NONE)
		return;
	prog = proc_config(p)->program;
	for (size_t i = 0; i < prog->nprocesses; i++) {
		uint32_t vid = sched_view_find_process(
			v, prog->processes[i].namespec);

		if (vid != SCHED_NONE)
			(void)sched_view_set_disabled(v, vid, inst, disable);
	}
}

static void
on_xdis_reply(void *arg, int err, const cJSON *reply)
{
	struct xdis_item *it = arg;
	struct xdis *x = it->x;
	const cJSON *msg = reply ? cJSON_GetObjectItem(reply, "message")
				 : NULL;

	if (err == -ECANCELED) {
		/* the daemon is exiting: nobody to answer */
	} else if (err != 0) {
		result_error(x, it->result, 502, "NO_ANSWER",
			     "the instance did not answer");
	} else if (!cJSON_IsTrue(cJSON_GetObjectItem(reply, "ok"))) {
		result_error(x, it->result, 409, "REFUSED",
			     cJSON_IsString(msg) ? msg->valuestring
						 : "refused");
	} else {
		mark_view(x->d, it->namespec, it->instance, it->disable);
	}
	x->waiting--;
	free(it->namespec);
	free(it->instance);
	free(it);
	xdis_finish(x);
}

static void
remote_disable(struct xdis *x, cJSON *res, struct proc *p,
	       const char *instance, bool disable)
{
	struct xdis_item *it = xcalloc(1, sizeof(*it));
	cJSON *body = cJSON_CreateObject();
	char msg[160];
	int r;

	it->x = x;
	it->result = res;
	it->namespec = xstrdup(proc_namespec(p));
	it->instance = xstrdup(instance);
	it->disable = disable;
	cJSON_AddStringToObject(body, "op", disable ? "disable" : "enable");
	cJSON_AddStringToObject(body, "namespec", proc_namespec(p));
	r = daemon_peer_request(x->d, instance, body, on_xdis_reply, it);
	cJSON_Delete(body);
	if (r == 0) {
		x->waiting++;
		return;
	}
	snprintf(msg, sizeof(msg), "cannot reach %s: %s", instance,
		 strerror(-r));
	result_error(x, res, 502, "NO_ANSWER", msg);
	free(it->namespec);
	free(it->instance);
	free(it);
}

static void
post_disable(struct http_request *req, const struct http_request_info *info,
	     struct ctl *c, struct daemon *d, const char *name, bool disable)
{
	const struct sched_view *v = daemon_view(d);
	const char *local = sched_view_instance(v, sched_view_local(v))->name;
	struct proc **sel = NULL;
	char *instance = NULL, msg[192];
	struct xdis *x;
	cJSON *results;
	size_t n = 0;

	if (ctl_extra_instance_body(info->body, info->body_len, &instance, msg,
				    sizeof(msg)) < 0) {
		http_reply_error(req, 400, "BAD_REQUEST", msg);
		return;
	}
	if (instance != NULL && sched_view_find_instance(v, instance) ==
					SCHED_NONE) {
		http_reply_error(req, 404, "BAD_NAME", "no such instance");
		free(instance);
		return;
	}
	if (ctl_select(c, name, &sel, &n) < 0) {
		http_reply_error(req, 404, "BAD_NAME", "no such process");
		free(instance);
		return;
	}
	x = xcalloc(1, sizeof(*x));
	x->d = d;
	x->req = req;
	x->status = 200;
	x->root = cJSON_CreateObject();
	results = cJSON_AddArrayToObject(x->root, "results");
	/* one result a program, in selection order */
	x->waiting = 1;
	for (size_t i = 0; i < n; i++) {
		const struct rl_program *prog = proc_config(sel[i])->program;
		const char *target = instance ? instance : local;
		char key[DISABLED_KEY_MAX + 1];
		bool seen = false;
		cJSON *res;

		for (size_t j = 0; j < i && !seen; j++)
			seen = proc_config(sel[j])->program == prog;
		if (seen)
			continue;
		if (disabled_make_key(prog->app->name, prog->name, key,
				      sizeof(key)) < 0)
			snprintf(key, sizeof(key), "%s", prog->name);
		res = cJSON_CreateObject();
		cJSON_AddStringToObject(res, "program", key);
		cJSON_AddStringToObject(res, "namespec", proc_namespec(sel[i]));
		cJSON_AddStringToObject(res, "instance", target);
		cJSON_AddBoolToObject(res, "disabled", disable);
		cJSON_AddBoolToObject(res, "ok", true);
		cJSON_AddNullToObject(res, "error");
		cJSON_AddItemToArray(results, res);
		if (strcmp(target, local) != 0) {
			remote_disable(x, res, sel[i], target, disable);
		} else if (daemon_set_disabled(d, sel[i], disable) < 0) {
			result_error(x, res, 400, "BAD_NAME",
				     "a program name too long to keep");
		}
	}
	free(sel);
	free(instance);
	x->waiting--;
	if (x->waiting > 0)
		http_request_defer(req, on_xdis_abort, x);
	xdis_finish(x);
}

/* ------------------------------------------------------------ start_any */

static void
post_start_any(struct http_request *req, const struct http_request_info *info,
	       struct ctl *c, struct daemon *d)
{
	struct sched_view *v = daemon_view(d);
	struct ctl_start_any a;
	struct sched_seq_conf conf;
	uint32_t proc = SCHED_NONE;
	regex_t re;
	char msg[256];
	int r;

	if (ctl_extra_start_any_body(info->body, info->body_len, &a, msg,
				     sizeof(msg)) < 0) {
		http_reply_error(req, 400, "BAD_REQUEST", msg);
		return;
	}
	if (ctl_extra_regex(a.regex, &re, msg, sizeof(msg)) < 0) {
		http_reply_error(req, 400, "BAD_REGEX", msg);
		ctl_start_any_done(&a);
		return;
	}
	sched_seq_conf_default(&conf, sched_view_ninstances(v));
	conf.load_source = rules_cluster(daemon_rules(d))->load_source;
	r = ctl_extra_pick_any(v, &conf, &re, a.start.strategy, &proc);
	regfree(&re);
	if (r == -ENOENT) {
		snprintf(msg, sizeof(msg), "no process matches '%.128s'",
			 a.regex);
		http_reply_error(req, 404, "BAD_NAME", msg);
	} else if (r == -EALREADY) {
		snprintf(msg, sizeof(msg),
			 "every process matching '%.128s' is running or "
			 "starting",
			 a.regex);
		http_reply_error(req, 409, "ALREADY_STARTED", msg);
	} else if (r < 0) {
		snprintf(msg, sizeof(msg),
			 "no stopped process matching '%.128s' can be placed",
			 a.regex);
		http_reply_error(req, 503, "NO_RESOURCE", msg);
	} else {
		const char *ns = sched_view_process(v, proc)->namespec;

		log_info("start_any '%s': %s", a.regex, ns);
		ctl_start_one(c, req, ns, &a.start);
	}
	ctl_start_any_done(&a);
}

/* ------------------------------------------------------------ dispatch */

bool
ctl_extra_handle(struct http_request *req,
		 const struct http_request_info *info, struct ctl *c,
		 struct daemon *d)
{
	enum ctl_extra_route rt;
	char name[256];
	int r = ctl_extra_route(info->path, &rt, name, sizeof(name));

	if (r == -ENOENT)
		return false;
	if (r < 0) {
		http_reply_error(req, 400, "BAD_REQUEST", "name too long");
		return true;
	}
	if (strcmp(info->method, "POST") != 0) {
		http_reply_error(req, 405, "METHOD_NOT_ALLOWED",
				 "this route answers POST only");
		return true;
	}
	if (!info->authorized) {
		http_reply_error(req, 401, "UNAUTHORIZED",
				 "writes need the bearer token");
		return true;
	}
	if (daemon_phase(d) == DAEMON_SHUTTING_DOWN) {
		http_reply_error(req, 503, "SHUTTING_DOWN",
				 "the daemon is stopping");
		return true;
	}
	if (rt == CTL_X_START_ANY)
		post_start_any(req, info, c, d);
	else
		post_disable(req, info, c, d, name, rt == CTL_X_DISABLE);
	return true;
}
