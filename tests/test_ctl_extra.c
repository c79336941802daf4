/*
 * core/disabled and core/ctl_extra: the set of disabled programs and its
 * file, the routes and bodies of disable/enable and /v1/start_any, and
 * the two choices over a view built by hand: which process start_any
 * takes, and when a start is refused DISABLED.  The handlers run in
 * tests/integration/cluster_disable.sh.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "core/ctl_extra.h"
#include "core/disabled.h"
#include "core/util.h"
#include "sched/seq.h"
#include "tests/lib/testlib.h"
#include "tests/test_sched_fx.h"

static char *
format(const struct disabled *s)
{
	struct strbuf sb = STRBUF_INIT;

	disabled_format(s, &sb);
	if (sb.buf == NULL)
		return xstrdup("");
	return strbuf_steal(&sb);
}

static void
test_disabled_set(void)
{
	struct disabled *s = disabled_new();
	char key[8], *t;

	ASSERT_INT_EQ(disabled_set(s, "web:db", true), 1);
	ASSERT_INT_EQ(disabled_set(s, "web:db", true), 0);
	ASSERT_INT_EQ(disabled_set(s, "web:front", true), 1);
	ASSERT_TRUE(disabled_has(s, "web:db"));
	ASSERT_FALSE(disabled_has(s, "web:d"));
	ASSERT_FALSE(disabled_has(NULL, "web:db"));
	ASSERT_INT_EQ(disabled_count(s), 2);
	t = format(s);
	ASSERT_STR_EQ(t, "web:db\nweb:front\n");
	free(t);
	ASSERT_INT_EQ(disabled_set(s, "web:db", false), 1);
	ASSERT_INT_EQ(disabled_set(s, "web:db", false), 0);
	ASSERT_STR_EQ(disabled_key(s, 0), "web:front");
	ASSERT_NULL(disabled_key(s, 1));

	/* keys are "app:program", nothing else */
	ASSERT_INT_EQ(disabled_set(s, "web", true), -EINVAL);
	ASSERT_INT_EQ(disabled_set(s, ":db", true), -EINVAL);
	ASSERT_INT_EQ(disabled_set(s, "web:", true), -EINVAL);
	ASSERT_INT_EQ(disabled_set(s, "a:b:c", true), -EINVAL);
	ASSERT_INT_EQ(disabled_set(s, "web:d b", true), -EINVAL);
	ASSERT_INT_EQ(disabled_set(s, "web:d\tb", true), -EINVAL);
	ASSERT_INT_EQ(disabled_count(s), 1);

	ASSERT_INT_EQ(disabled_make_key("web", "db", key, sizeof(key)), 0);
	ASSERT_STR_EQ(key, "web:db");
	ASSERT_INT_EQ(disabled_make_key("web", "database", key, sizeof(key)),
		      -ENAMETOOLONG);
	ASSERT_NULL(disabled_free(s));
	ASSERT_NULL(disabled_free(NULL));
}

static void
test_disabled_parse(void)
{
	static const char text[] = "# disabled programs\n"
				   "web:db\r\n"
				   "\n"
				   "not a key\n"
				   "web:db\n"
				   "a:b:c\n"
				   "batch:job";
	struct disabled *s = disabled_new();
	char *t;

	ASSERT_INT_EQ(disabled_parse(s, text, sizeof(text) - 1), 2);
	t = format(s);
	ASSERT_STR_EQ(t, "web:db\nbatch:job\n");
	free(t);
	/* a NUL inside a line makes it bad, not shorter */
	ASSERT_INT_EQ(disabled_parse(s, "x:y\0z\nq:r\n", 10), 1);
	ASSERT_TRUE(disabled_has(s, "q:r"));
	ASSERT_FALSE(disabled_has(s, "x:y"));
	ASSERT_INT_EQ(disabled_parse(s, "", 0), 0);
	disabled_free(s);
}

static void
test_disabled_file(void)
{
	char dir[] = "/tmp/test_ctl_extra.XXXXXX";
	struct disabled *s = disabled_new(), *l = disabled_new();
	char *path, *t;

	ASSERT_NOT_NULL(mkdtemp(dir));
	path = xasprintf("%s/disabled", dir);
	ASSERT_INT_EQ(disabled_load(l, path), -ENOENT);
	disabled_set(s, "web:db", true);
	disabled_set(s, "web:front", true);
	ASSERT_INT_EQ(disabled_save(s, path), 0);
	ASSERT_INT_EQ(disabled_load(l, path), 0);
	t = format(l);
	ASSERT_STR_EQ(t, "web:db\nweb:front\n");
	free(t);
	/* rewritten whole; no temporary file left */
	disabled_set(s, "web:db", false);
	ASSERT_INT_EQ(disabled_save(s, path), 0);
	disabled_free(l);
	l = disabled_new();
	ASSERT_INT_EQ(disabled_load(l, path), 0);
	ASSERT_INT_EQ(disabled_count(l), 1);
	t = xasprintf("%s.tmp", path);
	ASSERT_INT_EQ(access(t, F_OK), -1);
	free(t);
	/* a directory that is gone: an error, the old file untouched */
	ASSERT_INT_EQ(disabled_save(s, "/nonexistent/dir/disabled"), -ENOENT);
	unlink(path);
	rmdir(dir);
	free(path);
	disabled_free(s);
	disabled_free(l);
}

static void
test_routes(void)
{
	enum ctl_extra_route r = _CTL_X_MAX;
	char name[16];

	ASSERT_INT_EQ(ctl_extra_route("/v1/processes/web:db/disable", &r,
				      name, sizeof(name)),
		      0);
	ASSERT_INT_EQ(r, CTL_X_DISABLE);
	ASSERT_STR_EQ(name, "web:db");
	ASSERT_INT_EQ(ctl_extra_route("/v1/processes/web:*/enable", &r, name,
				      sizeof(name)),
		      0);
	ASSERT_INT_EQ(r, CTL_X_ENABLE);
	ASSERT_STR_EQ(name, "web:*");
	ASSERT_INT_EQ(ctl_extra_route("/v1/start_any", &r, name, sizeof(name)),
		      0);
	ASSERT_INT_EQ(r, CTL_X_START_ANY);
	ASSERT_STR_EQ(name, "");

	/* the other routes are ctl_req's */
	ASSERT_INT_EQ(ctl_extra_route("/v1/processes/web:db/start", &r, name,
				      sizeof(name)),
		      -ENOENT);
	ASSERT_INT_EQ(ctl_extra_route("/v1/processes/web:db", &r, name,
				      sizeof(name)),
		      -ENOENT);
	ASSERT_INT_EQ(ctl_extra_route("/v1/processes//disable", &r, name,
				      sizeof(name)),
		      -ENOENT);
	ASSERT_INT_EQ(ctl_extra_route("/v1/processes/a/b/disable", &r, name,
				      sizeof(name)),
		      -ENOENT);
	ASSERT_INT_EQ(ctl_extra_route("/v1/applications/web/disable", &r,
				      name, sizeof(name)),
		      -ENOENT);
	ASSERT_INT_EQ(ctl_extra_route("/v1/start_any/x", &r, name,
				      sizeof(name)),
		      -ENOENT);
	ASSERT_INT_EQ(ctl_extra_route("/v1/processes/a-very-long-name:x/"
				      "disable",
				      &r, name, sizeof(name)),
		      -ENAMETOOLONG);
}

static int
inst_body(const char *b, char **ret, char *msg)
{
	return ctl_extra_instance_body(b, strlen(b), ret, msg, 192);
}

static void
test_instance_body(void)
{
	char msg[192], *i = (char *)"untouched";

	ASSERT_INT_EQ(inst_body("", &i, msg), 0);
	ASSERT_NULL(i);
	ASSERT_INT_EQ(inst_body("{}", &i, msg), 0);
	ASSERT_NULL(i);
	ASSERT_INT_EQ(inst_body("{\"instance\":null}", &i, msg), 0);
	ASSERT_NULL(i);
	ASSERT_INT_EQ(inst_body("{\"instance\":\"n2\"}", &i, msg), 0);
	ASSERT_STR_EQ(i, "n2");
	free(i);

	i = (char *)"untouched";
	ASSERT_INT_EQ(inst_body("{\"instance\":\"\"}", &i, msg), -EINVAL);
	ASSERT_STR_EQ(msg, "'instance' must be a name or null");
	ASSERT_INT_EQ(inst_body("{\"instance\":2}", &i, msg), -EINVAL);
	ASSERT_INT_EQ(inst_body("{\"instance\":\"n1\",\"wait\":true}", &i,
				msg),
		      -EINVAL);
	ASSERT_STR_EQ(msg, "unknown field 'wait'");
	ASSERT_INT_EQ(inst_body("[1]", &i, msg), -EINVAL);
	ASSERT_INT_EQ(inst_body("{", &i, msg), -EINVAL);
	ASSERT_STR_EQ(i, "untouched");
}

static int
any_body(const char *b, struct ctl_start_any *ret, char *msg)
{
	return ctl_extra_start_any_body(b, strlen(b), ret, msg, 192);
}

static void
test_start_any_body(void)
{
	struct ctl_start_any a;
	char msg[192];

	ASSERT_INT_EQ(any_body("{\"regex\":\"web:.*\"}", &a, msg), 0);
	ASSERT_STR_EQ(a.regex, "web:.*");
	ASSERT_TRUE(a.start.wait);
	ASSERT_INT_EQ(a.start.strategy, CTL_STRATEGY_DEFAULT);
	ASSERT_NULL(a.start.extra_args);
	ctl_start_any_done(&a);
	ASSERT_NULL(a.regex);

	ASSERT_INT_EQ(any_body("{\"strategy\":\"LESS_LOADED\",\"regex\":\"x\","
			       "\"extra_args\":\"-v 'a b'\",\"wait\":false}",
			       &a, msg),
		      0);
	ASSERT_INT_EQ(a.start.strategy, RL_STRATEGY_LESS_LOADED);
	ASSERT_FALSE(a.start.wait);
	ASSERT_INT_EQ(a.start.nextra, 2);
	ASSERT_STR_EQ(a.start.extra_argv[1], "a b");
	ctl_start_any_done(&a);

	ASSERT_INT_EQ(any_body("", &a, msg), -EINVAL);
	ASSERT_STR_EQ(msg, "'regex' is required, as a string");
	ASSERT_INT_EQ(any_body("{\"regex\":3}", &a, msg), -EINVAL);
	ASSERT_STR_EQ(msg, "'regex' is required, as a string");
	ASSERT_INT_EQ(any_body("{\"regex\":\"x\",\"instance\":\"n1\"}", &a,
			       msg),
		      -EINVAL);
	ASSERT_INT_EQ(any_body("{\"regex\":\"x\",\"strategy\":\"FAST\"}", &a,
			       msg),
		      -EINVAL);
	ASSERT_STR_EQ(msg, "unknown strategy 'FAST'");
	ASSERT_INT_EQ(any_body("{\"regex\":\"x\",\"signal\":\"TERM\"}", &a,
			       msg),
		      -EINVAL);
	ASSERT_STR_EQ(msg, "unknown field 'signal'");
	ASSERT_INT_EQ(any_body("{\"regex\":\"x\"} y", &a, msg), -EINVAL);
}

static void
test_full_match(void)
{
	regex_t re;
	char msg[192];

	ASSERT_INT_EQ(ctl_extra_regex("web:(db|front)_[0-9]+", &re, msg,
				      sizeof(msg)),
		      0);
	ASSERT_TRUE(ctl_extra_full_match(&re, "web:db_12"));
	ASSERT_TRUE(ctl_extra_full_match(&re, "web:front_0"));
	ASSERT_FALSE(ctl_extra_full_match(&re, "web:db_"));
	ASSERT_FALSE(ctl_extra_full_match(&re, "xweb:db_1"));
	ASSERT_FALSE(ctl_extra_full_match(&re, "web:db_1x"));
	regfree(&re);
	/* an alternative that matches a prefix only must not hide a
	 * longer one that matches the whole */
	ASSERT_INT_EQ(ctl_extra_regex("a|ab", &re, msg, sizeof(msg)), 0);
	ASSERT_TRUE(ctl_extra_full_match(&re, "ab"));
	ASSERT_FALSE(ctl_extra_full_match(&re, "abc"));
	regfree(&re);
	ASSERT_INT_EQ(ctl_extra_regex("web:(", &re, msg, sizeof(msg)),
		      -EINVAL);
	ASSERT_TRUE(strncmp(msg, "bad regular expression 'web:(': ", 32) == 0);
}

/* n1 (local), n2, n3; app "w" with pool p (3 processes, 40 % each) on
 * n2, n3 and "solo" anywhere. */
static struct sched_view *
pool_view(void)
{
	struct sched_view *v = fx_view(3, NULL);
	struct rl_application *a = fx_app("w", RL_DIST_ALL_INSTANCES, 2);
	struct rl_program *p;

	p = fx_prog(a, 0, "p", 3, 0, 40);
	fx_ids(&p->identifiers, "n2,n3");
	fx_prog(a, 1, "solo", 1, 0, 10);
	ASSERT_INT_EQ(sched_view_add_application(v, a, NULL), 0);
	return v;
}

static int
pick(struct sched_view *v, const char *re_text, uint32_t *ret)
{
	struct sched_seq_conf conf;
	regex_t re;
	char msg[192];
	int r;

	sched_seq_conf_default(&conf, sched_view_ninstances(v));
	ASSERT_INT_EQ(ctl_extra_regex(re_text, &re, msg, sizeof(msg)), 0);
	r = ctl_extra_pick_any(v, &conf, &re, CTL_STRATEGY_DEFAULT, ret);
	regfree(&re);
	return r;
}

static void
test_pick_any(void)
{
	struct sched_view *v = pool_view();
	uint32_t p0 = sched_view_find_process(v, "w:p_0");
	uint32_t p1 = sched_view_find_process(v, "w:p_1");
	uint32_t p2 = sched_view_find_process(v, "w:p_2");
	uint32_t n2 = sched_view_find_instance(v, "n2");
	uint32_t n3 = sched_view_find_instance(v, "n3");
	uint32_t got = SCHED_NONE;

	/* rules order, the first stopped one */
	ASSERT_INT_EQ(pick(v, "w:p_[0-9]", &got), 0);
	ASSERT_INT_EQ(got, p0);
	fx_event(v, "w:p_0", "n2", SCHED_PROC_RUNNING, false, 1000);
	ASSERT_INT_EQ(pick(v, "w:p_.*", &got), 0);
	ASSERT_INT_EQ(got, p1);
	/* a start in flight counts as started */
	sched_view_reserve(v, p1, n2, 40, INT64_MAX);
	ASSERT_INT_EQ(pick(v, "w:p_.*", &got), 0);
	ASSERT_INT_EQ(got, p2);
	sched_view_release(v, p1);

	/* the whole namespec only */
	ASSERT_INT_EQ(pick(v, "p_.*", &got), -ENOENT);
	ASSERT_INT_EQ(pick(v, "w:p", &got), -ENOENT);
	ASSERT_INT_EQ(pick(v, "w:solo|w:p_0", &got), 0);
	ASSERT_INT_EQ(got, sched_view_find_process(v, "w:solo"));

	/* nothing stopped among the matches */
	ASSERT_INT_EQ(pick(v, "w:p_0", &got), -EALREADY);

	/* stopped ones that cannot be placed: n2 at 80 %, n3 disabled */
	fx_event(v, "w:p_1", "n2", SCHED_PROC_RUNNING, false, 1000);
	ASSERT_INT_EQ(sched_view_set_disabled(v, p2, n3, true), 0);
	got = SCHED_NONE;
	ASSERT_INT_EQ(pick(v, "w:p_.*", &got), -ENOSPC);
	ASSERT_INT_EQ(got, SCHED_NONE);
	/* enabled again: n3 takes it */
	ASSERT_INT_EQ(sched_view_set_disabled(v, p2, n3, false), 0);
	ASSERT_INT_EQ(pick(v, "w:p_.*", &got), 0);
	ASSERT_INT_EQ(got, p2);
	sched_view_free(v);
	fx_reset();
}

static char *
disabled_on(const struct sched_view *v, uint32_t proc)
{
	cJSON *j = ctl_extra_disabled_on(v, proc);
	char *s = cJSON_PrintUnformatted(j);

	cJSON_Delete(j);
	return s;
}

static void
test_disabled_check(void)
{
	struct sched_view *v = pool_view();
	uint32_t solo = sched_view_find_process(v, "w:solo");
	uint32_t n1 = sched_view_find_instance(v, "n1");
	uint32_t n2 = sched_view_find_instance(v, "n2");
	uint32_t n3 = sched_view_find_instance(v, "n3");
	char *s;

	ASSERT_INT_EQ(ctl_extra_disabled_check(v, solo, SCHED_NONE), 0);
	ASSERT_INT_EQ(ctl_extra_disabled_check(v, solo, n1), 0);
	s = disabled_on(v, solo);
	ASSERT_STR_EQ(s, "[]");
	free(s);
	/* enabling where nothing was reported adds no report */
	ASSERT_INT_EQ(sched_view_set_disabled(v, solo, n2, false), 0);
	ASSERT_NULL(sched_view_pinfo(v, solo, n2));

	sched_view_set_disabled(v, solo, n1, true);
	sched_view_set_disabled(v, solo, n3, true);
	ASSERT_INT_EQ(ctl_extra_disabled_check(v, solo, n1), -EPERM);
	ASSERT_INT_EQ(ctl_extra_disabled_check(v, solo, n2), 0);
	ASSERT_INT_EQ(ctl_extra_disabled_check(v, solo, SCHED_NONE), 0);
	s = disabled_on(v, solo);
	ASSERT_STR_EQ(s, "[\"n1\",\"n3\"]");
	free(s);
	/* n2, the only one left, is lost: nowhere to start it */
	sched_view_set_instance_state(v, n2, SCHED_INST_FAILED, false);
	ASSERT_INT_EQ(ctl_extra_disabled_check(v, solo, SCHED_NONE), -EPERM);
	sched_view_set_instance_state(v, n2, SCHED_INST_RUNNING, false);
	sched_view_set_disabled(v, solo, n2, true);
	ASSERT_INT_EQ(ctl_extra_disabled_check(v, solo, SCHED_NONE), -EPERM);
	sched_view_set_disabled(v, solo, n1, false);
	ASSERT_INT_EQ(ctl_extra_disabled_check(v, solo, SCHED_NONE), 0);
	s = disabled_on(v, solo);
	ASSERT_STR_EQ(s, "[\"n2\",\"n3\"]");
	free(s);
	sched_view_free(v);
	fx_reset();
}

int
main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"disabled set", test_disabled_set},
		{"disabled parse", test_disabled_parse},
		{"disabled file", test_disabled_file},
		{"routes", test_routes},
		{"instance body", test_instance_body},
		{"start_any body", test_start_any_body},
		{"full match", test_full_match},
		{"pick any", test_pick_any},
		{"disabled check", test_disabled_check},
	};

	return test_main(argc, argv, "ctl_extra", cases, ARRAY_SIZE(cases));
}
