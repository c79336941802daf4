/*
 * core/ctl_cluster: the cluster routes and the bodies of /v1/plan,
 * /v1/conciliate, /v1/end_sync, /v1/restart and /v1/shutdown, decoded
 * without a daemon (the handlers run in tests/integration/cluster_plan.sh).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/ctl_cluster.h"
#include "core/util.h"
#include "sched/seq.h"
#include "tests/lib/testlib.h"
#include "tests/test_sched_fx.h"

static void
test_routes(void)
{
	enum ctl_cluster_route r = _CTL_CL_MAX;

	ASSERT_INT_EQ(ctl_cluster_route("/v1/plan", &r), 0);
	ASSERT_INT_EQ(r, CTL_CL_PLAN);
	ASSERT_STR_EQ(ctl_cluster_route_method(r), "POST");
	ASSERT_INT_EQ(ctl_cluster_route("/v1/conflicts", &r), 0);
	ASSERT_INT_EQ(r, CTL_CL_CONFLICTS);
	ASSERT_STR_EQ(ctl_cluster_route_method(r), "GET");
	ASSERT_INT_EQ(ctl_cluster_route("/v1/conciliate", &r), 0);
	ASSERT_INT_EQ(r, CTL_CL_CONCILIATE);
	ASSERT_INT_EQ(ctl_cluster_route("/v1/end_sync", &r), 0);
	ASSERT_INT_EQ(r, CTL_CL_END_SYNC);
	ASSERT_INT_EQ(ctl_cluster_route("/v1/restart", &r), 0);
	ASSERT_INT_EQ(r, CTL_CL_RESTART);
	ASSERT_INT_EQ(ctl_cluster_route("/v1/shutdown", &r), 0);
	ASSERT_INT_EQ(r, CTL_CL_SHUTDOWN);
	ASSERT_STR_EQ(ctl_cluster_route_to_string(r), "/v1/shutdown");

	/* exact paths only; the other routes are ctl_req's */
	r = _CTL_CL_MAX;
	ASSERT_INT_EQ(ctl_cluster_route("/v1/plan/", &r), -ENOENT);
	ASSERT_INT_EQ(ctl_cluster_route("/v1/planx", &r), -ENOENT);
	ASSERT_INT_EQ(ctl_cluster_route("/v1/state", &r), -ENOENT);
	ASSERT_INT_EQ(ctl_cluster_route("/v1/processes/a:b/restart", &r),
		      -ENOENT);
	ASSERT_INT_EQ(ctl_cluster_route("", &r), -ENOENT);
	ASSERT_INT_EQ(r, _CTL_CL_MAX);
	ASSERT_NULL(ctl_cluster_route_to_string(_CTL_CL_MAX));
	ASSERT_NULL(ctl_cluster_route_method(_CTL_CL_MAX));

	/* POST /v1/plan is a read; every other POST is a write */
	ASSERT_TRUE(ctl_cluster_is_read("GET", "/v1/conflicts"));
	ASSERT_TRUE(ctl_cluster_is_read("HEAD", "/v1/state"));
	ASSERT_TRUE(ctl_cluster_is_read("POST", "/v1/plan"));
	ASSERT_FALSE(ctl_cluster_is_read("POST", "/v1/conciliate"));
	ASSERT_FALSE(ctl_cluster_is_read("POST", "/v1/shutdown"));
	ASSERT_FALSE(ctl_cluster_is_read("PUT", "/v1/plan"));
	ASSERT_FALSE(ctl_cluster_is_read("POST", "/v1/plan/x"));
}

static int
plan(const char *body, struct ctl_plan_req *ret, char *msg)
{
	return ctl_cluster_plan_body(body, strlen(body), ret, msg, 192);
}

static void
test_plan_body(void)
{
	struct ctl_plan_req p;
	char msg[192];

	ASSERT_INT_EQ(plan("{\"application\":\"web\"}", &p, msg), 0);
	ASSERT_STR_EQ(p.application, "web");
	ASSERT_NULL(p.namespec);
	ASSERT_INT_EQ(p.strategy, SCHED_STRATEGY_DEFAULT);
	ctl_plan_req_done(&p);
	ASSERT_NULL(p.application);

	ASSERT_INT_EQ(plan(" {\"namespec\":\"web:db\", \"strategy\":"
			   "\"LESS_LOADED_NODE\"}\n", &p, msg), 0);
	ASSERT_NULL(p.application);
	ASSERT_STR_EQ(p.namespec, "web:db");
	ASSERT_INT_EQ(p.strategy, RL_STRATEGY_LESS_LOADED_NODE);
	ctl_plan_req_done(&p);

	ASSERT_INT_EQ(plan("{\"namespec\":\"web:*\",\"strategy\":null}", &p,
			   msg), 0);
	ASSERT_INT_EQ(p.strategy, SCHED_STRATEGY_DEFAULT);
	ctl_plan_req_done(&p);

	/* errors say what is wrong, and leave RET alone */
	p.application = p.namespec = NULL;
	ASSERT_INT_EQ(plan("", &p, msg), -EINVAL);
	ASSERT_STR_EQ(msg, "give one of 'application' and 'namespec'");
	ASSERT_INT_EQ(plan("{}", &p, msg), -EINVAL);
	ASSERT_INT_EQ(plan("{\"application\":\"a\",\"namespec\":\"a:b\"}",
			   &p, msg), -EINVAL);
	ASSERT_STR_EQ(msg, "give one of 'application' and 'namespec'");
	ASSERT_INT_EQ(plan("{\"application\":\"web\",\"strategy\":\"FAST\"}",
			   &p, msg), -EINVAL);
	ASSERT_STR_EQ(msg, "unknown strategy 'FAST'");
	ASSERT_INT_EQ(plan("{\"application\":\"web\",\"strategy\":3}", &p,
			   msg), -EINVAL);
	ASSERT_STR_EQ(msg, "'strategy' must be a string");
	ASSERT_INT_EQ(plan("{\"application\":\"\"}", &p, msg), -EINVAL);
	ASSERT_STR_EQ(msg, "'application' must not be empty");
	ASSERT_INT_EQ(plan("{\"application\":null}", &p, msg), -EINVAL);
	ASSERT_STR_EQ(msg, "give one of 'application' and 'namespec'");
	ASSERT_INT_EQ(plan("{\"namespec\":[\"a:b\"]}", &p, msg), -EINVAL);
	ASSERT_STR_EQ(msg, "'namespec' must be a string");
	ASSERT_INT_EQ(plan("{\"application\":\"web\",\"wait\":true}", &p,
			   msg), -EINVAL);
	ASSERT_STR_EQ(msg, "unknown field 'wait'");
	ASSERT_INT_EQ(plan("{\"application\":\"web\"", &p, msg), -EINVAL);
	ASSERT_STR_EQ(msg, "malformed JSON body");
	ASSERT_INT_EQ(plan("{\"application\":\"web\"} x", &p, msg), -EINVAL);
	ASSERT_STR_EQ(msg, "trailing data after the body");
	ASSERT_INT_EQ(plan("[\"web\"]", &p, msg), -EINVAL);
	ASSERT_STR_EQ(msg, "the body must be an object");
	ASSERT_NULL(p.application);
	ASSERT_NULL(p.namespec);
	/* a message buffer of 0 bytes is never written */
	ASSERT_INT_EQ(ctl_cluster_plan_body("{}", 2, &p, NULL, 0), -EINVAL);
}

static int
concil(const char *body, enum rl_conciliation *ret, char *msg)
{
	return ctl_cluster_conciliate_body(body, strlen(body), ret, msg, 192);
}

static void
test_conciliate_body(void)
{
	static const struct {
		const char *name;
		enum rl_conciliation s;
	} ok[] = {
		{"SENICIDE", RL_CONCILIATION_SENICIDE},
		{"INFANTICIDE", RL_CONCILIATION_INFANTICIDE},
		{"STOP", RL_CONCILIATION_STOP},
		{"RESTART", RL_CONCILIATION_RESTART},
		{"RUNNING_FAILURE", RL_CONCILIATION_RUNNING_FAILURE},
	};
	enum rl_conciliation s = _RL_CONCILIATION_MAX;
	char body[64], msg[192];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ok); i++) {
		snprintf(body, sizeof(body), "{\"strategy\":\"%s\"}",
			 ok[i].name);
		ASSERT_INT_EQ(concil(body, &s, msg), 0);
		ASSERT_INT_EQ(s, ok[i].s);
	}
	/* names are case-insensitive, as in the rules */
	ASSERT_INT_EQ(concil("{\"strategy\":\"infanticide\"}", &s, msg), 0);
	ASSERT_INT_EQ(s, RL_CONCILIATION_INFANTICIDE);
	s = _RL_CONCILIATION_MAX;
	ASSERT_INT_EQ(concil("{\"strategy\":\"USER\"}", &s, msg), -EINVAL);
	ASSERT_TRUE(strncmp(msg, "USER is not a strategy to apply", 31) == 0);
	ASSERT_INT_EQ(concil("{\"strategy\":\"SUICIDE\"}", &s, msg),
		      -EINVAL);
	ASSERT_STR_EQ(msg, "unknown conciliation strategy 'SUICIDE'");
	ASSERT_INT_EQ(concil("{}", &s, msg), -EINVAL);
	ASSERT_STR_EQ(msg, "'strategy' is required");
	ASSERT_INT_EQ(concil("", &s, msg), -EINVAL);
	ASSERT_INT_EQ(concil("{\"strategy\":null}", &s, msg), -EINVAL);
	ASSERT_INT_EQ(concil("{\"strategy\":\"STOP\",\"x\":1}", &s, msg),
		      -EINVAL);
	ASSERT_STR_EQ(msg, "unknown field 'x'");
	ASSERT_INT_EQ(s, _RL_CONCILIATION_MAX);
}

static int
end_sync(const char *body, char **ret, char *msg)
{
	return ctl_cluster_end_sync_body(body, strlen(body), ret, msg, 192);
}

static void
test_end_sync_body(void)
{
	char *m = (char *)"untouched", msg[192];

	/* the dashboard posts {} */
	ASSERT_INT_EQ(end_sync("{}", &m, msg), 0);
	ASSERT_NULL(m);
	m = (char *)"untouched";
	ASSERT_INT_EQ(end_sync("", &m, msg), 0);
	ASSERT_NULL(m);
	ASSERT_INT_EQ(end_sync("{\"master\":null}", &m, msg), 0);
	ASSERT_NULL(m);
	ASSERT_INT_EQ(end_sync("{\"master\":\"n2\"}", &m, msg), 0);
	ASSERT_STR_EQ(m, "n2");
	free(m);
	/* of a duplicate member, the first one counts */
	ASSERT_INT_EQ(end_sync("{\"master\":\"n2\",\"master\":null}", &m, msg),
		      0);
	ASSERT_STR_EQ(m, "n2");
	free(m);

	m = (char *)"untouched";
	ASSERT_INT_EQ(end_sync("{\"master\":2}", &m, msg), -EINVAL);
	ASSERT_STR_EQ(msg, "'master' must be a string");
	ASSERT_INT_EQ(end_sync("{\"master\":\"\"}", &m, msg), -EINVAL);
	ASSERT_INT_EQ(end_sync("{\"instance\":\"n2\"}", &m, msg), -EINVAL);
	ASSERT_STR_EQ(msg, "unknown field 'instance'");
	ASSERT_INT_EQ(end_sync("null", &m, msg), -EINVAL);
	ASSERT_STR_EQ(m, "untouched");
}

static void
test_stop_body(void)
{
	char msg[192];

	ASSERT_INT_EQ(ctl_cluster_stop_body("", 0, msg, sizeof(msg)), 0);
	ASSERT_INT_EQ(ctl_cluster_stop_body(" {} ", 4, msg, sizeof(msg)), 0);
	ASSERT_INT_EQ(ctl_cluster_stop_body("{\"wait\":true}", 13, msg,
					    sizeof(msg)),
		      -EINVAL);
	ASSERT_STR_EQ(msg, "unknown field 'wait'");
	ASSERT_INT_EQ(ctl_cluster_stop_body("{", 1, msg, sizeof(msg)),
		      -EINVAL);
	/* LEN bounds the body: what follows is not read */
	ASSERT_INT_EQ(ctl_cluster_stop_body("{}garbage", 2, msg, sizeof(msg)),
		      0);
}

static void
report(struct sched_view *v, const char *ns, const char *inst,
       enum sched_proc_state st, int pid, int64_t uptime_ms, int64_t now)
{
	struct sched_event ev = {st, false, pid, uptime_ms};

	ASSERT_INT_EQ(sched_view_process_event(v, sched_view_find_process(v, ns),
					       sched_view_find_instance(v, inst),
					       &ev, now),
		      0);
}

static char *
conflicts(const struct sched_view *v, int64_t now)
{
	cJSON *j = ctl_cluster_conflicts_json(v, now);
	char *s = cJSON_PrintUnformatted(j);

	cJSON_Delete(j);
	return s;
}

/* GET /v1/conflicts from a view: only processes running twice or more,
 * each copy with its pid and uptime, in instance order. */
static void
test_conflicts_json(void)
{
	struct sched_view *v = fx_view(3, NULL);
	struct rl_application *a = fx_app("a", RL_DIST_ALL_INSTANCES, 2);
	char *s;

	fx_prog(a, 0, "p", 1, 1, 10);
	fx_prog(a, 1, "q", 1, 1, 10);
	ASSERT_INT_EQ(sched_view_add_application(v, a, NULL), 0);
	s = conflicts(v, 1000);
	ASSERT_STR_EQ(s, "{\"conflicts\":[]}");
	free(s);

	report(v, "a:p", "n3", SCHED_PROC_RUNNING, 31, 5000, 10000);
	report(v, "a:q", "n2", SCHED_PROC_RUNNING, 40, 1000, 10000);
	s = conflicts(v, 10000);
	ASSERT_STR_EQ(s, "{\"conflicts\":[]}");
	free(s);

	/* a:p also on n1 (the partition healed): a conflict */
	report(v, "a:p", "n1", SCHED_PROC_RUNNING, 77, 2000, 12000);
	s = conflicts(v, 14000);
	ASSERT_STR_EQ(s, "{\"conflicts\":[{\"namespec\":\"a:p\",\"instances\":["
			 "{\"instance\":\"n1\",\"pid\":77,\"uptime_seconds\":4,"
			 "\"state\":\"RUNNING\"},"
			 "{\"instance\":\"n3\",\"pid\":31,\"uptime_seconds\":9,"
			 "\"state\":\"RUNNING\"}]}]}");
	free(s);

	/* one copy stopped: no conflict any more */
	report(v, "a:p", "n3", SCHED_PROC_STOPPED, 0, 0, 15000);
	s = conflicts(v, 15000);
	ASSERT_STR_EQ(s, "{\"conflicts\":[]}");
	free(s);
	sched_view_free(v);
	fx_reset();
}

int
main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"routes", test_routes},
		{"plan body", test_plan_body},
		{"conciliate body", test_conciliate_body},
		{"end_sync body", test_end_sync_body},
		{"restart and shutdown body", test_stop_body},
		{"conflicts", test_conflicts_json},
	};

	return test_main(argc, argv, "ctl_cluster", cases, ARRAY_SIZE(cases));
}
