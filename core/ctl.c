/*
 * Control API handlers.  See ctl.h and API-CONTRACT.md.
 *
 * Answers are built with cJSON so that every name a user chose is
 * escaped correctly.  Errors map as follows: -EALREADY on a start is
 * ALREADY_STARTED, on a stop NOT_RUNNING; -ENOSPC NO_RESOURCE;
 * -ESHUTDOWN SHUTTING_DOWN; -EBUSY (stopping, or already in a job) BUSY
 * (409, a code the contract does not list); a FATAL process with a
 * spawn errno SPAWN_ERROR; any other failure to reach RUNNING
 * ABNORMAL_TERMINATION.
 */
#define _GNU_SOURCE
#include "core/ctl.h"

#include <cjson/cJSON.h>
#include <sodium.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/cluster.h"
#include "core/cluster_keyring.h"
#include "core/ctl_cluster.h"
#include "core/ctl_extra.h"
#include "core/ctl_obs.h"
#include "core/ctl_req.h"
#include "core/ctl_stats.h"
#include "core/daemon.h"
#include "core/log.h"
#include "core/logfile.h"
#include "core/proc.h"
#include "core/util.h"
#include "net/http.h"
#include "sched/app.h"
#include "sched/fsm.h"
#include "sched/view.h"
#include "stats/stats.h"

#define LOG_TAIL_DEFAULT 1600
#define LOG_TAIL_MAX (16u << 20)
#define FOLLOW_BUFFER (1u << 20)

struct op;
struct follow;

struct ctl {
	struct daemon *d;
	struct op *ops;
	struct follow *follows;
	struct ctl_obs *obs;
	struct ctl_stats *stats; /* the sampler and /v1/stats (ctl_stats.c) */
};

/* ------------------------------------------------------------ errors */

struct err {
	const char *code; /* NULL: ok */
	unsigned status;
	char message[192];
};

static const struct {
	const char *code;
	unsigned status;
} statuses[] = {
	{"BAD_REQUEST", 400},	       {"BAD_SIGNAL", 400},
	{"UNAUTHORIZED", 401},	       {"BAD_NAME", 404},
	{"NOT_FOUND", 404},	       {"NO_FILE", 404},
	{"METHOD_NOT_ALLOWED", 405},   {"ALREADY_STARTED", 409},
	{"NOT_RUNNING", 409},	       {"BUSY", 409},
	{"CONF_ERROR", 422},	       {"SPAWN_ERROR", 500},
	{"ABNORMAL_TERMINATION", 500}, {"NO_RESOURCE", 503},
	{"SHUTTING_DOWN", 503},	       {"DISABLED", 409},
};

static unsigned
code_status(const char *code)
{
	for (size_t i = 0; i < ARRAY_SIZE(statuses); i++)
		if (strcmp(statuses[i].code, code) == 0)
			return statuses[i].status;
	return 500;
}

static void __attribute__((format(printf, 3, 4)))
set_err(struct err *e, const char *code, const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	e->status = code_status(code);
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
}

static void
reply_json(struct http_request *req, unsigned status, cJSON *root)
{
	char *s = cJSON_PrintUnformatted(root);

	if (s == NULL) {
		http_reply_error(req, 500, "INTERNAL", "out of memory");
	} else {
		http_reply_json(req, status, s, strlen(s));
		free(s);
	}
	cJSON_Delete(root);
}

/* ------------------------------------------------------------ views */

static void
add_time(cJSON *o, const char *key, int64_t wall_ms)
{
	char buf[32];
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;

	if (wall_ms <= 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		cJSON_AddNullToObject(o, key);
		return;
	}
	cJSON_AddStringToObject(o, key, buf);
}

static const char *
instance_name(const struct ctl *c)
{
	return rules_instance(daemon_rules(c->d))->name;
}

/* Without a cluster the local instance is the master; with one, the
 * lowest RUNNING core (else RUNNING) name (DESIGN 7.2). */
static const char *
master_name(const struct ctl *c)
{
	const char *m = daemon_master_name(c->d);

	return m ? m : "";
}

static cJSON *
process_json(const struct ctl *c, const struct proc *p)
{
	const struct proc_fsm *f = proc_fsm(p);
	const struct rl_process *rp = proc_config(p);
	const struct sched_view *v = daemon_view(c->d);
	cJSON *o = cJSON_CreateObject(), *insts;
	int64_t now = util_now_ms();
	struct daemon_pstate ps;
	char desc[256];

	daemon_proc_pstate(c->d, p, &ps);
	if (ps.local) {
		proc_fsm_describe(f, proc_pid(p), now, desc, sizeof(desc));
	} else if (ps.state == PROC_RUNNING) {
		/* as supervisord words it, with the uptime of now */
		int64_t up = ps.uptime_ms / 1000;

		snprintf(desc, sizeof(desc), "pid %d, uptime %lld:%02lld:%02lld",
			 ps.pid, (long long)(up / 3600),
			 (long long)(up / 60 % 60), (long long)(up % 60));
	} else {
		snprintf(desc, sizeof(desc), "%s", ps.desc ? ps.desc : "");
	}
	cJSON_AddStringToObject(o, "namespec", rp->namespec);
	cJSON_AddStringToObject(o, "application", rp->program->app->name);
	cJSON_AddStringToObject(o, "name", rp->name);
	cJSON_AddStringToObject(o, "state", proc_state_to_string(ps.state));
	cJSON_AddNumberToObject(o, "state_code", proc_state_code(ps.state));
	if (ps.instance != NULL)
		cJSON_AddStringToObject(o, "instance", ps.instance);
	else
		cJSON_AddNullToObject(o, "instance");
	insts = cJSON_AddArrayToObject(o, "instances");
	for (size_t i = 0; i < ps.ninstances; i++)
		cJSON_AddItemToArray(
			insts, cJSON_CreateString(
				       sched_view_instance(v, ps.instances[i])
					       ->name));
	if (ps.ninstances == 0 && ps.instance != NULL)
		cJSON_AddItemToArray(insts, cJSON_CreateString(ps.instance));
	cJSON_AddNumberToObject(o, "pid", ps.pid);
	if (ps.local)
		cJSON_AddNumberToObject(
			o, "uptime_seconds",
			f->state == PROC_RUNNING || f->state == PROC_STOPPING
				? (double)((now - f->laststart_ms) / 1000)
				: 0);
	else
		cJSON_AddNumberToObject(
			o, "uptime_seconds",
			ps.state == PROC_RUNNING || ps.state == PROC_STOPPING
				? (double)(ps.uptime_ms / 1000)
				: 0);
	cJSON_AddStringToObject(o, "description", desc);
	cJSON_AddNumberToObject(o, "expected_loading",
				rp->program->expected_loading);
	cJSON_AddBoolToObject(o, "conflict", ps.conflict);
	cJSON_AddBoolToObject(o, "expected", ps.expected);
	if (ps.local && f->has_exitstatus)
		cJSON_AddNumberToObject(o, "exit_status", f->exitstatus);
	else
		cJSON_AddNullToObject(o, "exit_status");
	add_time(o, "start_time", ps.local ? f->start_wall_ms : 0);
	add_time(o, "stop_time", ps.local ? f->stop_wall_ms : 0);
	cJSON_AddNumberToObject(o, "restarts", f->restarts);
	if (proc_extra_args(p) != NULL)
		cJSON_AddStringToObject(o, "extra_args", proc_extra_args(p));
	else
		cJSON_AddNullToObject(o, "extra_args");
	if (ps.local && f->spawn_errno != 0)
		cJSON_AddStringToObject(o, "spawn_error", f->reason);
	else
		cJSON_AddNullToObject(o, "spawn_error");
	ctl_extra_process_json(c->d, p, o);
	return o;
}

static cJSON *
application_json(const struct ctl *c, uint32_t id)
{
	const struct sched_view *v = daemon_view(c->d);
	const struct sched_app *a = sched_view_app(v, id);
	struct sched_app_status st;
	cJSON *o = cJSON_CreateObject();

	if (sched_app_status(v, id, &st) < 0)
		st = (struct sched_app_status){0};
	cJSON_AddStringToObject(o, "name", a->name);
	cJSON_AddStringToObject(o, "state", sched_app_state_to_string(st.state));
	cJSON_AddBoolToObject(o, "managed", true);
	cJSON_AddBoolToObject(o, "major_failure", st.major_failure);
	cJSON_AddBoolToObject(o, "minor_failure", st.minor_failure);
	if (st.state == SCHED_APP_RUNNING)
		cJSON_AddStringToObject(o, "operational_status",
					sched_app_operational(&st));
	else
		cJSON_AddNullToObject(o, "operational_status");
	cJSON_AddNumberToObject(o, "start_sequence", a->rule->start_sequence);
	cJSON_AddNumberToObject(o, "stop_sequence", a->rule->stop_sequence);
	return o;
}

/* ------------------------------------------------------------ selection */

struct selection {
	struct proc **v;
	size_t n;
};

static void
sel_add(struct selection *s, struct proc *p)
{
	s->v = xreallocarray(s->v, s->n + 1, sizeof(*s->v));
	s->v[s->n++] = p;
}

/* "all", "app:*", "app:name", a bare process name when unique, or a bare
 * application name.  -ENOENT when nothing matches. */
static int
select_procs(const struct ctl *c, const char *name, struct selection *ret)
{
	struct selection s = {0};
	const char *colon = strchr(name, ':');
	size_t alen = colon ? (size_t)(colon - name) : 0;
	struct proc *p, *by_name = NULL;
	unsigned nby_name = 0;

	for (p = daemon_first_proc(c->d); p; p = daemon_next_proc(p)) {
		const struct rl_process *rp = proc_config(p);
		const char *app = rp->program->app->name;

		if (!daemon_proc_listed(p))
			continue; /* being removed */
		if (strcmp(name, "all") == 0 ||
		    (colon && strcmp(colon + 1, "*") == 0 &&
		     strlen(app) == alen && strncmp(app, name, alen) == 0) ||
		    (colon && strcmp(rp->namespec, name) == 0) ||
		    (!colon && strcmp(app, name) == 0))
			sel_add(&s, p);
		else if (!colon && strcmp(rp->name, name) == 0) {
			by_name = p;
			nby_name++;
		}
	}
	if (s.n == 0 && nby_name == 1)
		sel_add(&s, by_name);
	if (s.n == 0)
		return -ENOENT;
	*ret = s;
	return 0;
}

/* ------------------------------------------------------------ reads */

static cJSON *
state_json(const struct ctl *c)
{
	cJSON *o = cJSON_CreateObject();
	const struct sched_fsm *f = daemon_fsm(c->d);
	const char *m = daemon_master_name(c->d);

	cJSON_AddStringToObject(o, "state",
				sched_cstate_to_string(
					f ? sched_fsm_state(f) : SCHED_CS_OFF));
	if (m != NULL)
		cJSON_AddStringToObject(o, "master", m);
	else
		cJSON_AddNullToObject(o, "master");
	cJSON_AddBoolToObject(o, "degraded", f && sched_fsm_degraded(f));
	cJSON_AddBoolToObject(o, "is_master",
			      m != NULL && strcmp(m, instance_name(c)) == 0);
	if (f != NULL)
		cJSON_AddStringToObject(o, "reason", sched_fsm_reason(f));
	cJSON_AddStringToObject(o, "instance", instance_name(c));
	cJSON_AddStringToObject(o, "version", SUPVISORS_VERSION);
	cJSON_AddNumberToObject(o, "uptime_seconds",
				(double)(daemon_uptime_ms(c->d) / 1000));
	return o;
}

static void
get_state(struct ctl *c, struct http_request *req)
{
	reply_json(req, 200, state_json(c));
}

/* cpu_percent and mem_percent of this node: the latest point of the
 * first stats period, or the latest sample before it has one. */
static void
add_node_stats(const struct ctl *c, cJSON *o)
{
	struct stats_sampler *s = ctl_stats_sampler(c->stats);
	struct stats_node_summary n = {0};

	if (s != NULL && (stats_sampler_node(s, 0, &n) < 0 || !n.valid))
		stats_sampler_node(s, STATS_LAST_SAMPLE, &n);
	if (n.valid) {
		cJSON_AddNumberToObject(o, "cpu_percent",
					round(n.cpu_percent * 10) / 10);
		cJSON_AddNumberToObject(o, "mem_percent",
					round(n.mem_percent * 10) / 10);
	} else {
		cJSON_AddNullToObject(o, "cpu_percent");
		cJSON_AddNullToObject(o, "mem_percent");
	}
}

static cJSON *
instance_json(const struct ctl *c)
{
	const struct rl_instance_conf *ic = rules_instance(daemon_rules(c->d));
	const struct sched_view *v = daemon_view(c->d);
	uint32_t local = sched_view_local(v);
	cJSON *o = cJSON_CreateObject();
	unsigned n = 0;

	for (struct proc *p = daemon_first_proc(c->d); p;
	     p = daemon_next_proc(p))
		n += proc_state_is_running(proc_state(p));
	cJSON_AddStringToObject(o, "name", ic->name);
	cJSON_AddStringToObject(o, "address", ic->listen ? ic->listen : "");
	cJSON_AddStringToObject(o, "state", "RUNNING");
	cJSON_AddBoolToObject(o, "suspect", false);
	cJSON_AddBoolToObject(o, "master",
			      strcmp(master_name(c), ic->name) == 0);
	cJSON_AddNumberToObject(o, "load",
				local != SCHED_NONE
					? sched_view_instance(v, local)->load
					: 0);
	add_node_stats(c, o);
	cJSON_AddNumberToObject(o, "processes", n);
	return o;
}

static void
get_instances(struct ctl *c, struct http_request *req)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *arr = cJSON_AddArrayToObject(root, "instances");
	const struct cluster *cl = daemon_cluster(c->d);
	size_t n = cluster_ninstances(cl);

	if (n == 0)
		cJSON_AddItemToArray(arr, instance_json(c));
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, cluster_instance_local(cl, i)
						  ? instance_json(c)
						  : cluster_instance_json(cl, i));
	cluster_counters_json(cl, root);
	reply_json(req, 200, root);
}

static void
get_applications(struct ctl *c, struct http_request *req)
{
	const struct sched_view *v = daemon_view(c->d);
	cJSON *root = cJSON_CreateObject();
	cJSON *arr = cJSON_AddArrayToObject(root, "applications");

	for (uint32_t i = 0; i < sched_view_napps(v); i++)
		cJSON_AddItemToArray(arr, application_json(c, i));
	reply_json(req, 200, root);
}

static void
get_processes(struct ctl *c, struct http_request *req, const char *name)
{
	struct selection s = {0};
	cJSON *root, *arr;

	if (name[0] != '\0' && select_procs(c, name, &s) < 0) {
		http_reply_error(req, 404, "BAD_NAME", "no such process");
		return;
	}
	root = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(root, "processes");
	if (name[0] == '\0') {
		for (struct proc *p = daemon_first_proc(c->d); p;
		     p = daemon_next_proc(p))
			if (daemon_proc_listed(p))
				cJSON_AddItemToArray(arr, process_json(c, p));
	} else {
		for (size_t i = 0; i < s.n; i++)
			cJSON_AddItemToArray(arr, process_json(c, s.v[i]));
	}
	free(s.v);
	reply_json(req, 200, root);
}

/* ------------------------------------------------------------ log tail */

struct follow {
	struct ctl *ctl;
	struct http_stream *s;
	struct logfile *lf;
	struct follow *prev, *next;
};

static void on_follow_data(void *data, const char *buf, size_t len);

static void
follow_free(struct follow *f)
{
	logfile_unfollow(f->lf, on_follow_data, f);
	logfile_unref(f->lf);
	if (f->prev != NULL)
		f->prev->next = f->next;
	else
		f->ctl->follows = f->next;
	if (f->next != NULL)
		f->next->prev = f->prev;
	free(f);
}

static void
on_follow_data(void *data, const char *buf, size_t len)
{
	struct follow *f = data;
	struct http_stream *s = f->s;

	if (http_stream_write(s, buf, len) < 0) {
		/* a reader this slow would hold the daemon's memory */
		follow_free(f);
		http_stream_close(s);
	}
}

static void
on_follow_abort(struct http_request *req, void *data)
{
	follow_free(data);
}

/* A log tail of a process running on another instance: asked of that
 * instance over the peer channel. */
struct rlog {
	struct http_request *req; /* NULL once the client left */
};

static void
on_rlog_abort(struct http_request *req, void *data)
{
	struct rlog *rl = data;

	(void)req;
	rl->req = NULL;
}

static void
on_rlog_reply(void *arg, int err, const cJSON *reply)
{
	struct rlog *rl = arg;
	const cJSON *data = reply ? cJSON_GetObjectItem(reply, "data") : NULL;
	const cJSON *msg = reply ? cJSON_GetObjectItem(reply, "message")
				 : NULL;
	unsigned char *bin;
	size_t len = 0;

	if (err == -ECANCELED || rl->req == NULL) {
		free(rl);
		return;
	}
	if (err != 0) {
		http_reply_error(rl->req, 502, "NO_ANSWER",
				 "the owning instance did not answer");
	} else if (!cJSON_IsString(data)) {
		http_reply_error(rl->req, 404, "NO_FILE",
				 cJSON_IsString(msg) ? msg->valuestring
						     : "no log");
	} else {
		size_t cap = strlen(data->valuestring) + 1;

		bin = xmalloc(cap);
		if (sodium_base642bin(bin, cap, data->valuestring,
				      strlen(data->valuestring), NULL, &len,
				      NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
			http_reply_error(rl->req, 502, "BAD_ANSWER",
					 "bad answer from the owning instance");
		else
			http_reply_text(rl->req, 200, "text/plain",
					(const char *)bin, len);
		free(bin);
	}
	free(rl);
}

static void
remote_log(struct ctl *c, struct http_request *req, const struct proc *p,
	   const char *instance, enum proc_stream which, uint64_t n,
	   bool follow)
{
	cJSON *body;
	struct rlog *rl;
	int r;

	char msg[256];

	if (follow) {
		snprintf(msg, sizeof(msg),
			 "%s runs on %s: follow its log there "
			 "(supvisors-sched -s ITS_SOCKET tail -f)",
			 proc_namespec(p), instance);
		http_reply_error(req, 409, "REMOTE", msg);
		return;
	}
	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "op", "log");
	cJSON_AddStringToObject(body, "namespec", proc_namespec(p));
	cJSON_AddStringToObject(body, "stream",
				which == PROC_STDERR ? "stderr" : "stdout");
	cJSON_AddNumberToObject(body, "bytes", (double)n);
	rl = xcalloc(1, sizeof(*rl));
	rl->req = req;
	r = daemon_peer_request(c->d, instance, body, on_rlog_reply, rl);
	cJSON_Delete(body);
	if (r < 0) {
		free(rl);
		snprintf(msg, sizeof(msg), "cannot reach %s: %s", instance,
			 strerror(-r));
		http_reply_error(req, 502, "NO_ANSWER", msg);
		return;
	}
	http_request_defer(req, on_rlog_abort, rl);
}

static void
get_log(struct ctl *c, struct http_request *req, const char *name)
{
	const char *stream = http_request_query(req, "stream");
	const char *bytes = http_request_query(req, "bytes");
	const char *follow = http_request_query(req, "follow");
	struct selection s = {0};
	struct strbuf out = STRBUF_INIT;
	enum proc_stream which = PROC_STDOUT;
	uint64_t n = LOG_TAIL_DEFAULT;
	struct logfile *lf;
	struct follow *f;
	int r;

	if (stream != NULL && strcmp(stream, "stderr") == 0)
		which = PROC_STDERR;
	else if (stream != NULL && strcmp(stream, "stdout") != 0) {
		http_reply_error(req, 400, "BAD_REQUEST",
				 "stream must be stdout or stderr");
		return;
	}
	if (bytes != NULL && util_parse_uint64(bytes, LOG_TAIL_MAX, &n) < 0) {
		http_reply_error(req, 400, "BAD_REQUEST",
				 "bytes must be an integer up to 16777216");
		return;
	}
	if (select_procs(c, name, &s) < 0) {
		http_reply_error(req, 404, "BAD_NAME", "no such process");
		return;
	}
	if (s.n != 1) {
		free(s.v);
		http_reply_error(req, 400, "BAD_REQUEST",
				 "a log tail needs exactly one process");
		return;
	}
	{
		struct daemon_pstate ps;

		daemon_proc_pstate(c->d, s.v[0], &ps);
		if (!ps.local && ps.instance != NULL) {
			bool fl = follow != NULL && strcmp(follow, "0") != 0 &&
				  strcmp(follow, "false") != 0;

			remote_log(c, req, s.v[0], ps.instance, which, n, fl);
			free(s.v);
			return;
		}
	}
	lf = proc_logfile(s.v[0], which);
	free(s.v);
	if (lf == NULL) {
		http_reply_error(req, 404, "NO_FILE",
				 "this process has no log file for that stream");
		return;
	}
	r = logfile_tail(lf, (size_t)n, &out);
	if (r < 0 && r != -ENOENT) {
		strbuf_done(&out);
		http_reply_error(req, 500, "NO_FILE", strerror(-r));
		return;
	}
	if (follow == NULL || strcmp(follow, "0") == 0 ||
	    strcmp(follow, "false") == 0) {
		http_reply_text(req, 200, "text/plain", strbuf_str(&out),
				out.len);
		strbuf_done(&out);
		return;
	}
	f = xcalloc(1, sizeof(*f));
	f->ctl = c;
	f->lf = logfile_ref(lf);
	f->s = http_stream_open(req, "text/plain", FOLLOW_BUFFER,
				on_follow_abort, f);
	if (f->s == NULL || logfile_follow(lf, on_follow_data, f) < 0) {
		logfile_unref(f->lf);
		if (f->s != NULL)
			http_stream_close(f->s);
		else
			http_reply_error(req, 503, "BUSY", "too many followers");
		free(f);
		strbuf_done(&out);
		return;
	}
	f->next = c->follows;
	if (c->follows != NULL)
		c->follows->prev = f;
	c->follows = f;
	if (out.len > 0)
		(void)http_stream_write(f->s, out.buf, out.len);
	strbuf_done(&out);
}

/* ------------------------------------------------------------ writes */

enum item_phase {
	ITEM_DONE,
	ITEM_WAIT_RUNNING,
	ITEM_WAIT_STOPPED,
	ITEM_RESTART_STOP, /* stopping; the start follows */
	ITEM_WAIT_PEER,	   /* a signal sent to the owning instance */
};

struct item {
	char *namespec;
	enum item_phase phase;
	struct err err;
};

struct op {
	struct daemon_watch watch;
	struct ctl *ctl;
	struct http_request *req; /* NULL once answered or the client left */
	enum ctl_route_kind kind;
	bool wait;
	enum rl_strategy strategy;
	char *instance; /* start --instance, NULL: placement */
	uint32_t job; /* application operations */
	char *app;
	size_t n;
	struct item *items;
	struct op *prev, *next;
};

static void
op_free(struct op *op)
{
	struct ctl *c = op->ctl;

	daemon_watch_remove(c->d, &op->watch);
	if (op->prev != NULL)
		op->prev->next = op->next;
	else
		c->ops = op->next;
	if (op->next != NULL)
		op->next->prev = op->prev;
	for (size_t i = 0; i < op->n; i++)
		free(op->items[i].namespec);
	free(op->items);
	free(op->app);
	free(op->instance);
	free(op);
}

static void
start_error(struct err *e, int r)
{
	switch (r) {
	case -EALREADY:
		set_err(e, "ALREADY_STARTED", "already started");
		break;
	case -ENOSPC:
		set_err(e, "NO_RESOURCE", "No resource available");
		break;
	case -ESHUTDOWN:
		set_err(e, "SHUTTING_DOWN", "the daemon is stopping");
		break;
	case -ENOENT:
		set_err(e, "BAD_NAME", "no such process (removed)");
		break;
	default:
		set_err(e, "BUSY", "busy: %s", strerror(-r));
		break;
	}
}

static void
stop_error(struct err *e, int r)
{
	if (r == -EALREADY || r == -ESRCH)
		set_err(e, "NOT_RUNNING", "not running");
	else if (r == -ENOENT)
		set_err(e, "BAD_NAME", "no such process (removed)");
	else
		set_err(e, "BUSY", "busy: %s", strerror(-r));
}

/* Why P did not reach RUNNING. */
static void
failed_start(struct err *e, const struct daemon *d, const struct proc *p)
{
	const struct proc_fsm *f = proc_fsm(p);
	struct daemon_pstate ps;
	char desc[256];

	daemon_proc_pstate(d, p, &ps);
	if (!ps.local) {
		const char *why = ps.desc ? ps.desc : "";

		if (strcmp(why, "No resource available") == 0)
			set_err(e, "NO_RESOURCE", "No resource available");
		else
			set_err(e, "ABNORMAL_TERMINATION", "%s on %s: %s",
				proc_state_to_string(ps.state),
				ps.instance ? ps.instance : "?", why);
		return;
	}
	proc_fsm_describe(f, 0, util_now_ms(), desc, sizeof(desc));
	if (f->state == PROC_FATAL && f->spawn_errno != 0)
		set_err(e, "SPAWN_ERROR", "%s", f->reason);
	else if (f->state == PROC_FATAL &&
		 strcmp(f->reason, "No resource available") == 0)
		set_err(e, "NO_RESOURCE", "No resource available");
	else
		set_err(e, "ABNORMAL_TERMINATION", "%s: %s",
			proc_state_to_string(f->state), desc);
}

/* The state the cluster shows for P (wherever it runs). */
static enum proc_state
cluster_state(const struct ctl *c, const struct proc *p)
{
	struct daemon_pstate ps;

	daemon_proc_pstate(c->d, p, &ps);
	return (enum proc_state)ps.state;
}

static void
item_start(struct op *op, struct item *it, struct proc *p)
{
	char why[192];
	int r;

	if (ctl_extra_start_disabled(op->ctl->d, p, op->instance, why,
				     sizeof(why))) {
		set_err(&it->err, "DISABLED", "%s", why);
		it->phase = ITEM_DONE;
		return;
	}
	r = daemon_start_process_on(op->ctl->d, p, op->strategy, op->instance,
				    NULL);
	if (r < 0) {
		start_error(&it->err, r);
		if (r == -ENOSPC)
			failed_start(&it->err, op->ctl->d, p);
		it->phase = ITEM_DONE;
		return;
	}
	if (cluster_state(op->ctl, p) == PROC_FATAL) {
		failed_start(&it->err, op->ctl->d, p);
		it->phase = ITEM_DONE;
		return;
	}
	it->phase = op->wait ? ITEM_WAIT_RUNNING : ITEM_DONE;
}

/* Move IT forward from P's current state. */
static void
item_check(struct op *op, struct item *it)
{
	struct proc *p = daemon_find_proc(op->ctl->d, it->namespec);
	struct daemon_pstate ps;
	enum proc_state s;

	if (it->phase == ITEM_DONE)
		return;
	if (p == NULL) {
		set_err(&it->err, "BAD_NAME", "removed by a reload");
		it->phase = ITEM_DONE;
		return;
	}
	daemon_proc_pstate(op->ctl->d, p, &ps);
	s = (enum proc_state)ps.state;
	switch (it->phase) {
	case ITEM_WAIT_RUNNING:
		if (ps.pending && proc_state_is_stopped(s))
			break; /* sent to another instance, not there yet */
		if (s == PROC_RUNNING)
			it->phase = ITEM_DONE;
		else if (s != PROC_STARTING && s != PROC_BACKOFF) {
			failed_start(&it->err, op->ctl->d, p);
			it->phase = ITEM_DONE;
		}
		break;
	case ITEM_WAIT_STOPPED:
		if (proc_state_is_stopped(s))
			it->phase = ITEM_DONE;
		break;
	case ITEM_RESTART_STOP:
		if (proc_state_is_stopped(s))
			item_start(op, it, p);
		break;
	default:
		break;
	}
}

static bool
op_pending(const struct op *op)
{
	if (op->job != SCHED_NONE && daemon_job_active(op->ctl->d, op->job))
		return true;
	for (size_t i = 0; i < op->n; i++)
		if (op->items[i].phase != ITEM_DONE)
			return true;
	return false;
}

/* Did the application operation leave P where it should be? */
static void
app_item_result(struct op *op, struct item *it)
{
	struct proc *p = daemon_find_proc(op->ctl->d, it->namespec);
	const struct rl_program *prog;
	struct daemon_pstate ps;
	enum proc_state s;

	if (it->err.code != NULL || p == NULL || !op->wait)
		return;
	prog = proc_config(p)->program;
	daemon_proc_pstate(op->ctl->d, p, &ps);
	s = ps.state;
	if (op->kind == CTL_APP_STOP) {
		if (!proc_state_is_stopped(s))
			set_err(&it->err, "ABNORMAL_TERMINATION",
				"still %s", proc_state_to_string(s));
		return;
	}
	if (prog->start_sequence == 0)
		return; /* not part of the start sequence */
	if (s == PROC_RUNNING)
		return;
	if (s == PROC_EXITED && prog->wait_exit && ps.expected)
		return;
	failed_start(&it->err, op->ctl->d, p);
}

static void
op_answer(struct op *op)
{
	struct ctl *c = op->ctl;
	cJSON *root = cJSON_CreateObject();
	cJSON *arr = cJSON_AddArrayToObject(root, "results");
	const struct err *first = NULL;
	uint32_t app;

	for (size_t i = 0; i < op->n; i++) {
		struct item *it = &op->items[i];
		struct proc *p = daemon_find_proc(c->d, it->namespec);
		cJSON *o = cJSON_CreateObject();

		if (op->app != NULL)
			app_item_result(op, it);
		cJSON_AddStringToObject(o, "namespec", it->namespec);
		cJSON_AddBoolToObject(o, "ok", it->err.code == NULL);
		cJSON_AddStringToObject(
			o, "state",
			p ? proc_state_to_string(cluster_state(c, p)) : "UNKNOWN");
		if (it->err.code == NULL) {
			cJSON_AddNullToObject(o, "error");
		} else {
			cJSON *e = cJSON_AddObjectToObject(o, "error");

			cJSON_AddStringToObject(e, "code", it->err.code);
			cJSON_AddStringToObject(e, "message", it->err.message);
			if (first == NULL)
				first = &it->err;
		}
		cJSON_AddItemToArray(arr, o);
	}
	if (op->app != NULL &&
	    (app = sched_view_find_app(daemon_view(c->d), op->app)) !=
		    SCHED_NONE)
		cJSON_AddItemToObject(root, "application",
				      application_json(c, app));
	if (first != NULL) {
		cJSON *e = cJSON_AddObjectToObject(root, "error");

		cJSON_AddStringToObject(e, "code", first->code);
		cJSON_AddStringToObject(e, "message", first->message);
	}
	reply_json(op->req, first ? first->status : 200, root);
	op->req = NULL;
}

/* Answer when due; free when nothing is left to do. */
static void
op_progress(struct op *op)
{
	for (size_t i = 0; i < op->n; i++)
		item_check(op, &op->items[i]);
	if (op->req != NULL && (!op->wait || !op_pending(op)))
		op_answer(op);
	if (op->req == NULL && !op_pending(op))
		op_free(op);
}

static void
on_op_watch(struct daemon_watch *w, struct proc *p, uint32_t job, bool ok)
{
	op_progress(container_of(w, struct op, watch));
}

static void
on_op_abort(struct http_request *req, void *data)
{
	struct op *op = data;

	op->req = NULL;
	if (!op_pending(op))
		op_free(op);
}

static struct op *
op_new(struct ctl *c, struct http_request *req, enum ctl_route_kind kind,
       const struct ctl_body *b)
{
	struct op *op = xcalloc(1, sizeof(*op));

	op->ctl = c;
	op->req = req;
	op->kind = kind;
	op->wait = b->wait;
	op->strategy = b->strategy;
	op->instance = b->instance ? xstrdup(b->instance) : NULL;
	op->job = SCHED_NONE;
	op->watch.fn = on_op_watch;
	op->next = c->ops;
	if (c->ops != NULL)
		c->ops->prev = op;
	c->ops = op;
	return op;
}

static void
op_add_item(struct op *op, const char *namespec)
{
	op->items = xreallocarray(op->items, op->n + 1, sizeof(*op->items));
	op->items[op->n++] = (struct item){.namespec = xstrdup(namespec)};
}

/* Hand the operation over: answer now, or defer REQ until done. */
static void
op_launch(struct op *op)
{
	struct http_request *req = op->req;
	struct ctl *c = op->ctl;

	/* watch only now: while the items were being launched, changes
	 * must not answer a half-built operation */
	daemon_watch_add(c->d, &op->watch);
	op_progress(op); /* may answer and free */
	for (struct op *o = c->ops; o != NULL; o = o->next)
		if (o == op && o->req == req && req != NULL)
			http_request_defer(req, on_op_abort, op);
}

/* Supvisors' extra_args: kept for every later spawn; "" clears them. */
static void
set_extra_args(struct proc *p, const struct ctl_body *b)
{
	char **argv = NULL;

	if (b->nextra > 0) {
		argv = xcalloc(b->nextra + 1, sizeof(*argv));
		for (size_t i = 0; i < b->nextra; i++)
			argv[i] = xstrdup(b->extra_argv[i]);
	}
	proc_set_extra_args(p, b->nextra > 0 ? xstrdup(b->extra_args) : NULL,
			    argv);
}

/* A signal for a process running on another instance. */
struct rsig {
	struct op *op;
	size_t item;
};

static void
on_rsig_reply(void *arg, int err, const cJSON *reply)
{
	struct rsig *rs = arg;
	struct item *it;
	const cJSON *msg;

	if (err == -ECANCELED) {
		free(rs);
		return;
	}
	it = &rs->op->items[rs->item];
	msg = reply ? cJSON_GetObjectItem(reply, "message") : NULL;
	if (err != 0)
		set_err(&it->err, "NO_ANSWER",
			"the owning instance did not answer");
	else if (!cJSON_IsTrue(cJSON_GetObjectItem(reply, "ok")))
		set_err(&it->err, "NOT_RUNNING", "%s",
			cJSON_IsString(msg) ? msg->valuestring : "refused");
	it->phase = ITEM_DONE;
	op_progress(rs->op);
	free(rs);
}

/* True when P runs elsewhere: the signal was sent there (or failed). */
static bool
remote_signal(struct op *op, size_t item, const struct proc *p, int sig)
{
	struct daemon_pstate ps;
	struct rsig *rs;
	cJSON *body;
	int r;

	daemon_proc_pstate(op->ctl->d, p, &ps);
	if (ps.local || ps.instance == NULL)
		return false;
	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "op", "signal");
	cJSON_AddStringToObject(body, "namespec", proc_namespec(p));
	cJSON_AddNumberToObject(body, "signal", sig);
	rs = xcalloc(1, sizeof(*rs));
	rs->op = op;
	rs->item = item;
	r = daemon_peer_request(op->ctl->d, ps.instance, body, on_rsig_reply,
				rs);
	cJSON_Delete(body);
	if (r < 0) {
		free(rs);
		set_err(&op->items[item].err, "NO_ANSWER", "cannot reach %s",
			ps.instance);
		return true;
	}
	op->items[item].phase = ITEM_WAIT_PEER;
	log_info("%s: SIG%s sent to %s", proc_namespec(p),
		 util_signal_name(sig), ps.instance);
	return true;
}

static void
post_process(struct ctl *c, struct http_request *req,
	     const struct ctl_route *rt, const struct ctl_body *b)
{
	struct selection s = {0};
	struct op *op;

	if (select_procs(c, rt->name, &s) < 0) {
		http_reply_error(req, 404, "BAD_NAME", "no such process");
		return;
	}
	op = op_new(c, req, rt->kind, b);
	for (size_t i = 0; i < s.n; i++) {
		struct proc *p = s.v[i];
		struct item *it;
		int r;

		op_add_item(op, proc_namespec(p));
		it = &op->items[op->n - 1];
		if (b->extra_args != NULL && (rt->kind == CTL_PROCESS_START ||
					      rt->kind == CTL_PROCESS_RESTART))
			set_extra_args(p, b);
		switch (rt->kind) {
		case CTL_PROCESS_START:
			item_start(op, it, p);
			break;
		case CTL_PROCESS_STOP:
			r = daemon_stop_process(c->d, p, NULL);
			if (r < 0)
				stop_error(&it->err, r);
			else if (op->wait)
				it->phase = ITEM_WAIT_STOPPED;
			break;
		case CTL_PROCESS_RESTART:
			if (daemon_phase(c->d) == DAEMON_SHUTTING_DOWN) {
				start_error(&it->err, -ESHUTDOWN);
				break;
			}
			r = daemon_stop_process(c->d, p, NULL);
			if (r < 0 && r != -EALREADY)
				stop_error(&it->err, r);
			else
				it->phase = ITEM_RESTART_STOP;
			break;
		case CTL_PROCESS_SIGNAL:
			if (remote_signal(op, op->n - 1, p, b->signal))
				break;
			r = proc_signal(p, b->signal);
			if (r < 0)
				stop_error(&it->err, r);
			else
				log_info("%s: sent SIG%s", proc_namespec(p),
					 util_signal_name(b->signal));
			break;
		default:
			break;
		}
	}
	free(s.v);
	op_launch(op);
}

static void
post_app(struct ctl *c, struct http_request *req, const struct ctl_route *rt,
	 const struct ctl_body *b)
{
	const struct sched_view *v = daemon_view(c->d);
	uint32_t id = sched_view_find_app(v, rt->name);
	struct sched_app_status st;
	struct op *op;
	struct err e = {0};
	int r;

	if (id == SCHED_NONE) {
		http_reply_error(req, 404, "BAD_NAME", "no such application");
		return;
	}
	if (sched_app_status(v, id, &st) < 0)
		st = (struct sched_app_status){0};
	if (rt->kind == CTL_APP_START && st.state != SCHED_APP_STOPPED) {
		http_reply_error(req, 409, "ALREADY_STARTED",
				 "the application is not STOPPED");
		return;
	}
	if (rt->kind == CTL_APP_STOP && st.state == SCHED_APP_STOPPED) {
		http_reply_error(req, 409, "NOT_RUNNING",
				 "the application is STOPPED");
		return;
	}
	op = op_new(c, req, rt->kind, b);
	op->app = xstrdup(rt->name);
	for (size_t i = 0; i < sched_view_app(v, id)->nprocs; i++) {
		const struct sched_process *sp =
			sched_view_process(v, sched_view_app(v, id)->procs[i]);

		op_add_item(op, sp->namespec);
	}
	if (rt->kind == CTL_APP_START)
		r = daemon_start_app(c->d, rt->name, b->strategy, &op->job);
	else if (rt->kind == CTL_APP_STOP)
		r = daemon_stop_app(c->d, rt->name, &op->job);
	else
		r = daemon_restart_app(c->d, rt->name, b->strategy, &op->job);
	if (r < 0) {
		if (rt->kind == CTL_APP_STOP)
			stop_error(&e, r);
		else
			start_error(&e, r);
		op->job = SCHED_NONE;
		for (size_t i = 0; i < op->n; i++)
			op->items[i].err = e;
	}
	op_launch(op);
}

static void
post_reload(struct ctl *c, struct http_request *req)
{
	struct strbuf added = STRBUF_INIT, changed = STRBUF_INIT,
		      removed = STRBUF_INIT, body = STRBUF_INIT;
	struct daemon_reload res = {&added, &changed, &removed, 0};
	struct rl_diags diags = RL_DIAGS_INIT;
	int r;

	r = daemon_reload(c->d, &diags, &res);
	if (r == -EINVAL) {
		struct strbuf dj = STRBUF_INIT;

		rl_diags_to_json(&diags, &dj);
		strbuf_addf(&body,
			    "{\"error\":{\"code\":\"CONF_ERROR\",\"message\":"
			    "\"%u error(s) in the configuration\"},%s",
			    diags.errors,
			    dj.len > 1 ? strbuf_str(&dj) + 1 : "}");
		http_reply_json(req, 422, body.buf, body.len);
		strbuf_done(&dj);
	} else if (r == -ESHUTDOWN) {
		http_reply_error(req, 503, "SHUTTING_DOWN",
				 "the daemon is stopping");
	} else if (r < 0) {
		http_reply_error(req, 500, "CONF_ERROR", strerror(-r));
	} else {
		strbuf_addf(&body,
			    "{\"added\":[%s],\"changed\":[%s],\"removed\":[%s],"
			    "\"unchanged\":%u}",
			    strbuf_str(&added), strbuf_str(&changed),
			    strbuf_str(&removed), res.unchanged);
		http_reply_json(req, 200, body.buf, body.len);
	}
	rl_diags_done(&diags);
	strbuf_done(&added);
	strbuf_done(&changed);
	strbuf_done(&removed);
	strbuf_done(&body);
}

/* ------------------------------------------------------------ dispatch */

void
ctl_handle(struct http_request *req, const struct http_request_info *info,
	   void *ctx)
{
	struct ctl *c = ctx;
	struct ctl_route rt;
	struct ctl_body b;
	char msg[192];
	int r;

	/* the observability routes first: they hold the CSRF guard */
	if (ctl_obs_handle(c->obs, req, info) ||
	    ctl_stats_handle(req, info, c->stats) ||
	    ctl_cluster_handle(req, info, c->d) ||
	    ctl_extra_handle(req, info, c, c->d) ||
	    cluster_keyring_handle(req, info,
				   cluster_keyring(daemon_cluster(c->d))))
		return;
	r = ctl_route_parse(info->method, info->path, &rt);
	if (r == -EOPNOTSUPP) {
		http_reply_error(req, 405, "METHOD_NOT_ALLOWED",
				 "method not allowed on this route");
		return;
	}
	if (r == -ENAMETOOLONG) {
		http_reply_error(req, 400, "BAD_REQUEST", "name too long");
		return;
	}
	if (r < 0) {
		http_reply_error(req, 404, "NOT_FOUND", "no such route");
		return;
	}
	if (rt.write && !info->authorized) {
		http_reply_error(req, 401, "UNAUTHORIZED",
				 "writes need the bearer token");
		return;
	}
	if (!rt.write) {
		switch (rt.kind) {
		case CTL_STATE:
			get_state(c, req);
			break;
		case CTL_INSTANCES:
			get_instances(c, req);
			break;
		case CTL_APPLICATIONS:
			get_applications(c, req);
			break;
		case CTL_PROCESS_LOG:
			get_log(c, req, rt.name);
			break;
		default:
			get_processes(c, req, rt.name);
			break;
		}
		return;
	}
	r = ctl_body_parse(rt.kind, info->body, info->body_len, &b, msg,
			   sizeof(msg));
	if (r < 0) {
		http_reply_error(req, 400, r == -EDOM ? "BAD_SIGNAL"
						      : "BAD_REQUEST",
				 msg);
		return;
	}
	if (b.instance != NULL &&
	    sched_view_find_instance(daemon_view(c->d), b.instance) ==
		    SCHED_NONE) {
		http_reply_error(req, 404, "BAD_NAME", "no such instance");
	} else if (daemon_phase(c->d) == DAEMON_SHUTTING_DOWN &&
		   rt.kind != CTL_PROCESS_STOP && rt.kind != CTL_APP_STOP &&
		   rt.kind != CTL_PROCESS_SIGNAL) {
		http_reply_error(req, 503, "SHUTTING_DOWN",
				 "the daemon is stopping");
	} else if (rt.kind == CTL_RELOAD) {
		post_reload(c, req);
	} else if (rt.kind >= CTL_APP_START && rt.kind <= CTL_APP_RESTART) {
		post_app(c, req, &rt, &b);
	} else {
		post_process(c, req, &rt, &b);
	}
	ctl_body_done(&b);
}

struct ctl *
ctl_new(struct daemon *d)
{
	struct ctl *c = xcalloc(1, sizeof(*c));

	c->d = d;
	c->obs = ctl_obs_new(c, d);
	c->stats = ctl_stats_new(daemon_loop(d), d,
				 rules_stats(daemon_rules(d)), instance_name(c));
	ctl_obs_set_sampler(c->obs, ctl_stats_sampler(c->stats));
	return c;
}

void
ctl_reloaded(struct ctl *c)
{
	ctl_obs_set_sampler(c->obs, NULL);
	ctl_stats_apply(c->stats, rules_stats(daemon_rules(c->d)));
	ctl_obs_set_sampler(c->obs, ctl_stats_sampler(c->stats));
}

struct ctl *
ctl_free(struct ctl *c)
{
	if (c == NULL)
		return NULL;
	while (c->ops != NULL) {
		c->ops->req = NULL;
		op_free(c->ops);
	}
	while (c->follows != NULL)
		follow_free(c->follows);
	c->obs = ctl_obs_free(c->obs);
	c->stats = ctl_stats_free(c->stats);
	free(c);
	return NULL;
}

/* ------------------------------------------------------------ for ctl_extra */

int
ctl_select(const struct ctl *c, const char *name, struct proc ***ret,
	   size_t *ret_n)
{
	struct selection s = {0};
	int r = select_procs(c, name, &s);

	if (r < 0)
		return r;
	*ret = s.v;
	*ret_n = s.n;
	return 0;
}

void
ctl_start_one(struct ctl *c, struct http_request *req, const char *namespec,
	      const struct ctl_body *b)
{
	struct ctl_route rt = {.kind = CTL_PROCESS_START, .write = true};

	snprintf(rt.name, sizeof(rt.name), "%s", namespec);
	post_process(c, req, &rt, b);
}

/* ------------------------------------------------------------ for ctl_obs */

struct cJSON *
ctl_state_json(const struct ctl *c)
{
	return state_json(c);
}

struct cJSON *
ctl_instance_json(const struct ctl *c)
{
	return instance_json(c);
}

struct cJSON *
ctl_application_json(const struct ctl *c, uint32_t app)
{
	return application_json(c, app);
}

struct cJSON *
ctl_process_json(const struct ctl *c, const struct proc *p)
{
	return process_json(c, p);
}

struct ctl_stats *
ctl_get_stats(const struct ctl *c)
{
	return c->stats;
}

struct ctl_obs *
ctl_obs(const struct ctl *c)
{
	return c->obs;
}

void
ctl_reply_json(struct http_request *req, unsigned status, struct cJSON *root)
{
	reply_json(req, status, root);
}
