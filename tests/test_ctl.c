/*
 * core/ctl_req: routes and bodies of the control API, decoded without a
 * daemon.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>

#include "core/ctl_req.h"
#include "tests/lib/testlib.h"

static int
route(const char *method, const char *path, struct ctl_route *rt)
{
	return ctl_route_parse(method, path, rt);
}

static void
test_routes(void)
{
	struct ctl_route rt;
	char longname[400];

	ASSERT_INT_EQ(route("GET", "/v1/state", &rt), 0);
	ASSERT_INT_EQ(rt.kind, CTL_STATE);
	ASSERT_FALSE(rt.write);
	ASSERT_INT_EQ(route("GET", "/v1/processes", &rt), 0);
	ASSERT_INT_EQ(rt.kind, CTL_PROCESSES);
	ASSERT_STR_EQ(rt.name, "");
	ASSERT_INT_EQ(route("GET", "/v1/processes/app:p_01", &rt), 0);
	ASSERT_INT_EQ(rt.kind, CTL_PROCESSES);
	ASSERT_STR_EQ(rt.name, "app:p_01");
	ASSERT_INT_EQ(route("GET", "/v1/processes/app:*/log", &rt), 0);
	ASSERT_INT_EQ(rt.kind, CTL_PROCESS_LOG);
	ASSERT_STR_EQ(rt.name, "app:*");
	ASSERT_INT_EQ(route("POST", "/v1/processes/all/restart", &rt), 0);
	ASSERT_INT_EQ(rt.kind, CTL_PROCESS_RESTART);
	ASSERT_TRUE(rt.write);
	ASSERT_INT_EQ(route("POST", "/v1/applications/scada/stop", &rt), 0);
	ASSERT_INT_EQ(rt.kind, CTL_APP_STOP);
	ASSERT_STR_EQ(rt.name, "scada");
	ASSERT_INT_EQ(route("POST", "/v1/reload", &rt), 0);
	ASSERT_INT_EQ(rt.kind, CTL_RELOAD);
	/* /v1/shutdown is ctl_cluster's (test_ctl_cluster.c) */
	ASSERT_INT_EQ(route("POST", "/v1/shutdown", &rt), -ENOENT);

	ASSERT_INT_EQ(route("GET", "/v1/reload", &rt), -EOPNOTSUPP);
	ASSERT_INT_EQ(route("POST", "/v1/state", &rt), -EOPNOTSUPP);
	ASSERT_INT_EQ(route("GET", "/v1/processes/a:b/start", &rt),
		      -EOPNOTSUPP);
	ASSERT_INT_EQ(route("DELETE", "/v1/processes", &rt), -EOPNOTSUPP);
	ASSERT_INT_EQ(route("GET", "/v1/nope", &rt), -ENOENT);
	ASSERT_INT_EQ(route("GET", "/", &rt), -ENOENT);
	ASSERT_INT_EQ(route("GET", "", &rt), -ENOENT);
	ASSERT_INT_EQ(route("POST", "/v1/processes//start", &rt), -ENOENT);
	ASSERT_INT_EQ(route("POST", "/v1/applications/x/signal", &rt),
		      -ENOENT);
	ASSERT_INT_EQ(route("POST", "/v1/applications/x", &rt), -ENOENT);
	ASSERT_INT_EQ(route("POST", "/v1/processes/a:b/fly", &rt), -ENOENT);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	memcpy(longname, "/v1/processes/", 14);
	ASSERT_INT_EQ(route("GET", longname, &rt), -ENAMETOOLONG);
}

static int
body(enum ctl_route_kind k, const char *s, struct ctl_body *b)
{
	char msg[192];

	return ctl_body_parse(k, s, s ? strlen(s) : 0, b, msg, sizeof(msg));
}

static void
test_bodies(void)
{
	struct ctl_body b;

	ASSERT_INT_EQ(body(CTL_PROCESS_START, NULL, &b), 0);
	ASSERT_TRUE(b.wait);
	ASSERT_INT_EQ(b.strategy, CTL_STRATEGY_DEFAULT);
	ASSERT_INT_EQ(body(CTL_PROCESS_START, "  \n", &b), 0);
	ASSERT_INT_EQ(body(CTL_PROCESS_START,
			   "{\"wait\":false,\"strategy\":\"less_loaded\","
			   "\"instance\":\"n1\",\"extra_args\":null}",
			   &b),
		      0);
	ASSERT_FALSE(b.wait);
	ASSERT_INT_EQ(b.strategy, RL_STRATEGY_LESS_LOADED);
	ASSERT_STR_EQ(b.instance, "n1");
	ASSERT_NULL(b.extra_args);
	ctl_body_done(&b);
	ASSERT_INT_EQ(body(CTL_PROCESS_SIGNAL, "{\"signal\":\"HUP\"}", &b), 0);
	ASSERT_INT_EQ(b.signal, SIGHUP);
	ASSERT_INT_EQ(body(CTL_PROCESS_SIGNAL, "{\"signal\":15}", &b), 0);
	ASSERT_INT_EQ(b.signal, SIGTERM);
	ASSERT_INT_EQ(body(CTL_RELOAD, "{}", &b), 0);

	ASSERT_INT_EQ(body(CTL_PROCESS_START, "{", &b), -EINVAL);
	ASSERT_INT_EQ(body(CTL_PROCESS_START, "[]", &b), -EINVAL);
	ASSERT_INT_EQ(body(CTL_PROCESS_START, "\"x\"", &b), -EINVAL);
	ASSERT_INT_EQ(body(CTL_PROCESS_START, "{\"wait\":1}", &b), -EINVAL);
	ASSERT_INT_EQ(body(CTL_PROCESS_START, "{\"nope\":1}", &b), -EINVAL);
	ASSERT_INT_EQ(body(CTL_PROCESS_START, "{\"strategy\":\"FAST\"}", &b),
		      -EINVAL);
	ASSERT_INT_EQ(body(CTL_PROCESS_START, "{\"strategy\":3}", &b),
		      -EINVAL);
	ASSERT_INT_EQ(body(CTL_PROCESS_START, "{\"instance\":[1]}", &b),
		      -EINVAL);
	ASSERT_INT_EQ(body(CTL_PROCESS_STOP, "{\"strategy\":\"LOCAL\"}", &b),
		      -EINVAL);
	ASSERT_INT_EQ(body(CTL_PROCESS_SIGNAL, "{}", &b), -EINVAL);
	ASSERT_INT_EQ(body(CTL_PROCESS_SIGNAL, "{\"signal\":\"NOPE\"}", &b),
		      -EDOM);
	ASSERT_INT_EQ(body(CTL_PROCESS_SIGNAL, "{\"signal\":0}", &b), -EDOM);
	ASSERT_INT_EQ(body(CTL_PROCESS_SIGNAL, "{\"signal\":1.5}", &b), -EDOM);
	ASSERT_INT_EQ(body(CTL_PROCESS_SIGNAL, "{\"signal\":1e300}", &b),
		      -EDOM);
	ASSERT_INT_EQ(body(CTL_PROCESS_SIGNAL, "{\"signal\":true}", &b),
		      -EINVAL);
	ASSERT_INT_EQ(body(CTL_RELOAD, "{\"wait\":true}", &b), -EINVAL);
	ASSERT_INT_EQ(body(CTL_PROCESS_START, "{} x", &b), -EINVAL);
	/* found by fuzz_ctl: a repeated field whose last value is wrong */
	ASSERT_INT_EQ(body(CTL_PROCESS_START,
			   "{\"instance\":\"a\",\"instance\":1}", &b),
		      -EINVAL);
	ASSERT_INT_EQ(body(CTL_PROCESS_START,
			   "{\"extra_args\":\"a\",\"extra_args\":[]}", &b),
		      -EINVAL);
	ASSERT_INT_EQ(body(CTL_PROCESS_START, "{\"extra_args\":\"'x\"}", &b),
		      -EINVAL);
	ASSERT_INT_EQ(body(CTL_PROCESS_START,
			   "{\"extra_args\":\"--a 'b c'\"}", &b), 0);
	ASSERT_INT_EQ(b.nextra, 2);
	ASSERT_STR_EQ(b.extra_argv[1], "b c");
	ctl_body_done(&b);
}

static void
test_words(void)
{
	char **v = NULL;
	size_t n = 0;

	ASSERT_INT_EQ(ctl_split_words("", &v, &n), 0);
	ASSERT_INT_EQ(n, 0);
	ASSERT_NULL(v[0]);
	ctl_free_words(v);
	ASSERT_INT_EQ(ctl_split_words("  -v  --port 80 'a b' \"c \\\" d\" e\\ f ''",
				      &v, &n), 0);
	ASSERT_INT_EQ(n, 7);
	if (n == 7) {
		ASSERT_STR_EQ(v[0], "-v");
		ASSERT_STR_EQ(v[1], "--port");
		ASSERT_STR_EQ(v[2], "80");
		ASSERT_STR_EQ(v[3], "a b");
		ASSERT_STR_EQ(v[4], "c \" d");
		ASSERT_STR_EQ(v[5], "e f");
		ASSERT_STR_EQ(v[6], "");
	}
	ctl_free_words(v);
	ASSERT_INT_EQ(ctl_split_words("'open", &v, &n), -EINVAL);
	ASSERT_INT_EQ(ctl_split_words("\"open", &v, &n), -EINVAL);
	ASSERT_INT_EQ(ctl_split_words("x\\", &v, &n), -EINVAL);
}

int
main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"routes", test_routes},
		{"bodies", test_bodies},
		{"extra_args words", test_words},
	};

	return test_main(argc, argv, "ctl", cases, ARRAY_SIZE(cases));
}
