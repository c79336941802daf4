/*
 * ctl_stats: the sampler's construction from the rules and its HTTP
 * routes.  See ctl_stats.h.
 */
#include "core/ctl_stats.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <ev.h>
#include <stdlib.h>
#include <string.h>

#include "core/daemon.h"
#include "core/log.h"
#include "core/proc.h"
#include "core/util.h"
#include "net/http.h"
#include "rules/rules.h"
#include "stats/stats.h"

static struct stats_config
config_of(const struct rl_stats_conf *rc)
{
	struct stats_config c = {
		.enabled = (rc->enabled & RL_STATS_HOST ? STATS_HOST : 0) |
			   (rc->enabled & RL_STATS_PROCESS ? STATS_PROCESS : 0),
		.collecting_period_ms = rc->collecting_period_ms,
		.nperiods = MIN(rc->nperiods, (size_t)STATS_PERIODS_MAX),
		.history = rc->history,
		.irix_mode = rc->irix_mode,
	};
	size_t i;

	for (i = 0; i < c.nperiods; i++)
		c.periods_ms[i] = rc->periods_ms[i];
	return c;
}

int
ctl_stats_open(const struct rl_stats_conf *rc, struct stats_sampler **ret)
{
	struct stats_config c = config_of(rc);
	int r;

	r = stats_sampler_open(&c, "/proc", "/sys", 0, ret);
	if (r < 0)
		log_warnx("statistics: cannot open the sampler: %s, "
			  "running without statistics",
			  strerror(-r));
	return r;
}

struct ctl_stats {
	struct ev_loop *loop;
	const struct daemon *d;
	struct stats_sampler *s;
	char *instance;
	ev_timer timer;
	struct stats_target *targets;
	size_t cap;
};

static void
on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ctl_stats *cs = container_of(w, struct ctl_stats, timer);
	size_t n = 0;
	struct proc *p;
	int r;

	for (p = cs->d ? daemon_first_proc(cs->d) : NULL; p != NULL;
	     p = daemon_next_proc(p)) {
		if (n == cs->cap) {
			cs->cap = cs->cap ? 2 * cs->cap : 64;
			cs->targets = xreallocarray(cs->targets, cs->cap,
						    sizeof(*cs->targets));
		}
		/* pid 0 (not running) forgets the process's series */
		cs->targets[n++] =
			(struct stats_target){proc_namespec(p), proc_pid(p)};
	}
	r = stats_sampler_sample(cs->s, util_now_ns(), cs->targets, n);
	if (r < 0)
		log_debug("statistics: node files: %s", strerror(-r));
}

static void
arm(struct ctl_stats *cs)
{
	double period =
		(double)stats_sampler_config(cs->s)->collecting_period_ms /
		1000.0;

	ev_timer_stop(cs->loop, &cs->timer);
	ev_timer_set(&cs->timer, period, period);
	ev_timer_start(cs->loop, &cs->timer);
}

struct ctl_stats *
ctl_stats_new(struct ev_loop *loop, const struct daemon *d,
	      const struct rl_stats_conf *conf, const char *instance)
{
	struct ctl_stats *cs = xcalloc(1, sizeof(*cs));

	cs->loop = loop;
	cs->d = d;
	cs->instance = xstrdup(instance ? instance : "");
	ev_timer_init(&cs->timer, on_tick, 1, 1);
	if (ctl_stats_open(conf, &cs->s) == 0)
		arm(cs);
	return cs;
}

struct ctl_stats *
ctl_stats_free(struct ctl_stats *cs)
{
	if (cs == NULL)
		return NULL;
	ev_timer_stop(cs->loop, &cs->timer);
	stats_sampler_free(cs->s);
	free(cs->targets);
	free(cs->instance);
	free(cs);
	return NULL;
}

void
ctl_stats_apply(struct ctl_stats *cs, const struct rl_stats_conf *conf)
{
	struct stats_config c = config_of(conf);
	int64_t before;
	int r;

	if (cs->s == NULL) {
		if (ctl_stats_open(conf, &cs->s) == 0)
			arm(cs);
		return;
	}
	before = stats_sampler_config(cs->s)->collecting_period_ms;
	/* in place, so that the pointers others hold stay good */
	if ((r = stats_sampler_reconfigure(cs->s, &c)) < 0) {
		log_warnx("statistics: new stats: section refused (%s), "
			  "keeping the old one",
			  strerror(-r));
		return;
	}
	if (stats_sampler_config(cs->s)->collecting_period_ms != before)
		arm(cs);
}

struct stats_sampler *
ctl_stats_sampler(const struct ctl_stats *cs)
{
	return cs->s;
}

bool
ctl_stats_handle(struct http_request *req, const struct http_request_info *info,
		 struct ctl_stats *cs)
{
	struct stats_sampler *s = cs->s;
	int64_t before = s ? stats_sampler_config(s)->collecting_period_ms : 0;
	bool handled = ctl_stats_serve(req, info, s, cs->instance);

	/* POST /v1/stats/period changed the period: re-arm the timer */
	if (s != NULL &&
	    stats_sampler_config(s)->collecting_period_ms != before)
		arm(cs);
	return handled;
}

static void
reply_json(struct http_request *req, cJSON *json)
{
	char *body = cJSON_PrintUnformatted(json);

	http_reply_json(req, 200, body, strlen(body));
	free(body);
	cJSON_Delete(json);
}

/* ?period=N: 1..nperiods -> index, 0 -> STATS_LAST_SAMPLE; -1 = bad. */
static int
period_of(struct http_request *req, const struct stats_sampler *s, int *ret)
{
	const char *q = http_request_query(req, "period");
	int64_t v = 1;

	if (q != NULL &&
	    util_parse_int64(q, 0, (int64_t)stats_sampler_config(s)->nperiods,
			     &v) < 0)
		return -EINVAL;
	*ret = v == 0 ? STATS_LAST_SAMPLE : (int)v - 1;
	return 0;
}

static cJSON *
status_json(const struct stats_sampler *s)
{
	const struct stats_config *c = stats_sampler_config(s);
	cJSON *o = cJSON_CreateObject(), *a;
	size_t i;

	cJSON_AddBoolToObject(o, "host_stats", c->enabled & STATS_HOST);
	cJSON_AddBoolToObject(o, "process_stats", c->enabled & STATS_PROCESS);
	cJSON_AddNumberToObject(o, "collecting_period_s",
				(double)c->collecting_period_ms / 1000.0);
	a = cJSON_AddArrayToObject(o, "periods_s");
	for (i = 0; i < c->nperiods; i++)
		cJSON_AddItemToArray(
			a,
			cJSON_CreateNumber((double)c->periods_ms[i] / 1000.0));
	cJSON_AddNumberToObject(o, "history", c->history);
	cJSON_AddBoolToObject(o, "irix_mode", c->irix_mode);
	return o;
}

/* Only the members named in KEYS (house rule: an unknown field is a
 * 400, so a typo is not silently ignored). */
static bool
only_keys(const cJSON *body, const char *const *keys, size_t n)
{
	const cJSON *e;
	size_t i;

	cJSON_ArrayForEach(e, body)
	{
		for (i = 0; i < n; i++)
			if (strcmp(e->string, keys[i]) == 0)
				break;
		if (i == n)
			return false;
	}
	return true;
}

static void
post_enable(struct http_request *req, const struct http_request_info *info,
	    struct stats_sampler *s)
{
	cJSON *body = cJSON_ParseWithLength(info->body, info->body_len);
	const cJSON *host = cJSON_GetObjectItemCaseSensitive(body, "host");
	const cJSON *proc = cJSON_GetObjectItemCaseSensitive(body, "process");
	unsigned en = stats_sampler_enabled(s);

	static const char *const keys[] = {"host", "process"};

	if (!cJSON_IsObject(body) || (host == NULL && proc == NULL) ||
	    !only_keys(body, keys, ARRAY_SIZE(keys)) ||
	    (host != NULL && !cJSON_IsBool(host)) ||
	    (proc != NULL && !cJSON_IsBool(proc))) {
		cJSON_Delete(body);
		http_reply_error(req, 400, "BAD_REQUEST",
				 "expected {\"host\":bool,\"process\":bool}");
		return;
	}
	if (host != NULL)
		en = cJSON_IsTrue(host) ? en | STATS_HOST : en & ~STATS_HOST;
	if (proc != NULL)
		en = cJSON_IsTrue(proc) ? en | STATS_PROCESS
					: en & ~STATS_PROCESS;
	cJSON_Delete(body);
	if (en != stats_sampler_enabled(s))
		log_info("statistics: host %s, process %s",
			 en & STATS_HOST ? "on" : "off",
			 en & STATS_PROCESS ? "on" : "off");
	stats_sampler_set_enabled(s, en);
	reply_json(req, status_json(s));
}

static void
post_period(struct http_request *req, const struct http_request_info *info,
	    struct stats_sampler *s)
{
	cJSON *body = cJSON_ParseWithLength(info->body, info->body_len);
	const cJSON *v =
		cJSON_GetObjectItemCaseSensitive(body, "collecting_period_s");
	static const char *const keys[] = {"collecting_period_s"};
	double ms = cJSON_IsNumber(v) ? v->valuedouble * 1000.0 : -1;

	if (!only_keys(body, keys, ARRAY_SIZE(keys)))
		ms = -1;
	cJSON_Delete(body);
	if (ms < STATS_PERIOD_MIN_MS || ms > STATS_PERIOD_MAX_MS) {
		http_reply_error(req, 400, "BAD_REQUEST",
				 "collecting_period_s must be 0.1 to 3600");
		return;
	}
	stats_sampler_set_period(s, (int64_t)ms);
	log_info("statistics: collecting period %.3gs", ms / 1000.0);
	reply_json(req, status_json(s));
}

bool
ctl_stats_serve(struct http_request *req, const struct http_request_info *info,
		struct stats_sampler *s, const char *instance)
{
	const char *path = info->path, *sub;
	bool get = strcmp(info->method, "GET") == 0;
	bool post = strcmp(info->method, "POST") == 0;
	cJSON *json;
	int period;

	if (strncmp(path, "/v1/stats", 9) != 0 ||
	    (path[9] != '\0' && path[9] != '/'))
		return false;
	sub = path[9] == '/' ? path + 10 : "";
	if (s == NULL) {
		http_reply_error(req, 503, "STATS_UNAVAILABLE",
				 "statistics could not be opened on this "
				 "instance");
		return true;
	}
	if (post &&
	    (strcmp(sub, "enable") == 0 || strcmp(sub, "period") == 0)) {
		if (!info->authorized) {
			http_reply_error(req, 401, "UNAUTHORIZED",
					 "a bearer token is required");
			return true;
		}
		if (strcmp(sub, "enable") == 0)
			post_enable(req, info, s);
		else
			post_period(req, info, s);
		return true;
	}
	if (!get) {
		http_reply_error(req, 405, "METHOD_NOT_ALLOWED",
				 "statistics are read with GET");
		return true;
	}
	if (strcmp(sub, "status") == 0) {
		reply_json(req, status_json(s));
		return true;
	}
	if (period_of(req, s, &period) < 0) {
		http_reply_error(req, 400, "BAD_REQUEST",
				 "period must be 0 (last sample) to the "
				 "number of stats.periods");
		return true;
	}
	json = cJSON_CreateObject();
	if (strcmp(sub, "") == 0 || strcmp(sub, "instances") == 0) {
		cJSON *arr = cJSON_AddArrayToObject(json, "instances");

		cJSON_AddItemToArray(arr,
				     stats_json_instance(s, instance, period));
	}
	if (strcmp(sub, "") == 0 || strcmp(sub, "processes") == 0) {
		const char *ns = http_request_query(req, "namespec");

		cJSON_AddItemToObject(
			json, "processes",
			stats_json_processes(s, instance, period, ns));
		cJSON_AddItemToObject(json, "applications",
				      stats_json_applications(s, period, ns));
	}
	if (cJSON_GetArraySize(json) == 0) {
		cJSON_Delete(json);
		http_reply_error(req, 404, "NOT_FOUND",
				 "no such statistics route");
		return true;
	}
	reply_json(req, json);
	return true;
}
