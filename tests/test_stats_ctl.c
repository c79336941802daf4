/*
 * stats, end to end without the daemon: the /v1/stats routes of
 * core/ctl_stats.c served by net/http on a real libev loop over a unix
 * socket, read by the real CLI (`supvisors-sched stats`) and written by
 * curl, each run as a child while the loop turns; no test sleeps: the
 * loop runs until the child has exited or a deadline passes.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <ev.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/ctl_stats.h"
#include "core/util.h"
#include "net/http.h"
#include "rules/rules.h"
#include "stats/stats.h"
#include "tests/lib/testlib.h"

static struct {
	struct ev_loop *loop;
	struct http_server *srv;
	struct stats_sampler *s;
	char sock[512];
	pid_t idle;
} T;

static void
handler(struct http_request *req, const struct http_request_info *info,
	void *ctx)
{
	if (!ctl_stats_serve(req, info, T.s, "n1"))
		http_reply_error(req, 404, "NOT_FOUND", "no such route");
}

static void
on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
}

/* Runs ARGV with stdout into OUT; returns its exit status (or -1). */
static int
run(char *const argv[], struct strbuf *out)
{
	int64_t deadline = util_now_ns() + 20 * NSEC_PER_SEC;
	ev_timer tick;
	int p[2], status = -1;
	char buf[4096];
	pid_t pid;

	strbuf_reset(out);
	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	ev_timer_init(&tick, on_tick, 0.01, 0.01);
	ev_timer_start(T.loop, &tick);
	for (;;) {
		ev_run(T.loop, EVRUN_ONCE);
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		if (util_now_ns() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			break;
		}
	}
	ev_timer_stop(T.loop, &tick);
	for (;;) {
		ssize_t n = read(p[0], buf, sizeof(buf));

		if (n <= 0)
			break;
		strbuf_add(out, buf, (size_t)n);
	}
	close(p[0]);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static char *
cli_path(void)
{
	static char path[1024];

	snprintf(path, sizeof(path), "%s/bin/supvisors-sched",
		 test_build_dir());
	return path;
}

static void
setup(void)
{
	struct stats_config c = {
		.enabled = STATS_HOST | STATS_PROCESS,
		.collecting_period_ms = 1000,
		.nperiods = 2,
		.periods_ms = {1000, 10000},
		.history = 10,
		.irix_mode = true,
	};
	struct stats_target t[2];
	char helper[1024];

	snprintf(helper, sizeof(helper), "%s/tests/helpers/stats_child",
		 test_build_dir());
	T.idle = fork();
	if (T.idle == 0) {
		execl(helper, "stats_child", "idle", (char *)NULL);
		_exit(127);
	}
	t[0] = (struct stats_target){"web:idle", T.idle};
	t[1] = (struct stats_target){"db:self", getpid()};
	ASSERT_INT_EQ(
		stats_sampler_open(&c, "/proc", "/sys", STATS_NO_NETLINK, &T.s),
		0);
	ASSERT_INT_EQ(stats_sampler_sample(T.s, NSEC_PER_SEC, t, 2), 1);
	ASSERT_INT_EQ(stats_sampler_sample(T.s, 2 * NSEC_PER_SEC, t, 2), 1);
	T.loop = ev_loop_new(EVFLAG_AUTO);
	snprintf(T.sock, sizeof(T.sock), "%s/stats-%d.sock", test_tmpdir(),
		 getpid());
	T.srv = http_server_new(T.loop, handler, NULL);
	ASSERT_NOT_NULL(T.srv);
	ASSERT_INT_EQ(http_server_listen_unix(T.srv, T.sock, 0660), 0);
}

static void
teardown(void)
{
	T.srv = http_server_free(T.srv);
	ev_loop_destroy(T.loop);
	T.s = stats_sampler_free(T.s);
	kill(T.idle, SIGKILL);
	waitpid(T.idle, NULL, 0);
}

static void
test_cli_json(void)
{
	char *argv[] = {cli_path(), "-s", T.sock, "stats", "--json", NULL};
	struct strbuf out = STRBUF_INIT;
	cJSON *j;
	const cJSON *p;

	setup();
	ASSERT_INT_EQ(run(argv, &out), 0);
	j = cJSON_Parse(strbuf_str(&out));
	ASSERT_NOT_NULL(j);
	ASSERT_INT_EQ(cJSON_GetArraySize(cJSON_GetObjectItem(j, "instances")),
		      1);
	ASSERT_INT_EQ(cJSON_GetArraySize(cJSON_GetObjectItem(j, "processes")),
		      2);
	/* applications summed by the CLI: web and db */
	ASSERT_INT_EQ(
		cJSON_GetArraySize(cJSON_GetObjectItem(j, "applications")), 2);
	p = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "processes"), 0);
	ASSERT_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItem(p, "namespec")),
		      "web:idle");
	ASSERT_TRUE(cJSON_IsNumber(cJSON_GetObjectItem(p, "rss_bytes")));
	ASSERT_TRUE(cJSON_IsObject(cJSON_GetObjectItem(
		cJSON_GetObjectItem(p, "window"), "cpu_percent")));
	cJSON_Delete(j);

	/* a namespec filter, and an instance filter */
	ASSERT_INT_EQ(run((char *[]){cli_path(), "-s", T.sock, "--json",
				     "stats", "web:*", NULL},
			  &out),
		      0);
	j = cJSON_Parse(strbuf_str(&out));
	ASSERT_INT_EQ(cJSON_GetArraySize(cJSON_GetObjectItem(j, "processes")),
		      1);
	cJSON_Delete(j);
	ASSERT_INT_EQ(
		run((char *[]){cli_path(), "-s", T.sock, "stats", "n2", NULL},
		    &out),
		4);
	ASSERT_INT_EQ(
		run((char *[]){cli_path(), "-s", T.sock, "stats", "n1", NULL},
		    &out),
		0);
	printf("\n%s", strbuf_str(&out));
	ASSERT_TRUE(strstr(strbuf_str(&out), "NAMESPEC") != NULL);
	ASSERT_TRUE(strstr(strbuf_str(&out), "web:idle") != NULL);
	ASSERT_TRUE(strstr(strbuf_str(&out), "APPLICATION") != NULL);
	ASSERT_INT_EQ(run((char *[]){cli_path(), "-s", T.sock, "stats", "a",
				     "b", NULL},
			  &out),
		      2);
	strbuf_done(&out);
	teardown();
}

static void
test_routes(void)
{
	char url[] = "http://localhost/v1/stats/enable";
	struct strbuf out = STRBUF_INIT;
	cJSON *j;

	if (system("command -v curl >/dev/null") != 0) {
		CU_PASS("curl missing: routes checked through the CLI only");
		return;
	}
	setup();
	ASSERT_INT_EQ(
		run((char *[]){"curl", "-sS", "--unix-socket", T.sock, "-X",
			       "POST", "-d", "{\"host\":false}", url, NULL},
		    &out),
		0);
	j = cJSON_Parse(strbuf_str(&out));
	ASSERT_TRUE(cJSON_IsFalse(cJSON_GetObjectItem(j, "host_stats")));
	ASSERT_TRUE(cJSON_IsTrue(cJSON_GetObjectItem(j, "process_stats")));
	cJSON_Delete(j);
	ASSERT_INT_EQ(stats_sampler_enabled(T.s), STATS_PROCESS);
	ASSERT_INT_EQ(
		run((char *[]){"curl", "-sS", "--unix-socket", T.sock, "-X",
			       "POST", "-d", "{\"collecting_period_s\":2.5}",
			       "http://localhost/v1/stats/period", NULL},
		    &out),
		0);
	ASSERT_INT_EQ(stats_sampler_config(T.s)->collecting_period_ms, 2500);
	ASSERT_INT_EQ(
		run((char *[]){"curl", "-sS", "--unix-socket", T.sock, "-X",
			       "POST", "-d", "{\"host\":1}", url, NULL},
		    &out),
		0);
	ASSERT_TRUE(strstr(strbuf_str(&out), "BAD_REQUEST") != NULL);
	ASSERT_INT_EQ(
		run((char *[]){"curl", "-sS", "--unix-socket", T.sock, "-X",
			       "POST", "-d", "{\"host\":true,\"hots\":true}",
			       url, NULL},
		    &out),
		0);
	ASSERT_TRUE(strstr(strbuf_str(&out), "BAD_REQUEST") != NULL);
	ASSERT_INT_EQ(stats_sampler_enabled(T.s), STATS_PROCESS);
	ASSERT_INT_EQ(run((char *[]){"curl", "-sS", "--unix-socket", T.sock,
				     "http://localhost/v1/stats/processes?"
				     "period=0&namespec=db:self",
				     NULL},
			  &out),
		      0);
	j = cJSON_Parse(strbuf_str(&out));
	ASSERT_INT_EQ(cJSON_GetArraySize(cJSON_GetObjectItem(j, "processes")),
		      1);
	cJSON_Delete(j);
	ASSERT_INT_EQ(
		run((char *[]){"curl", "-sS", "--unix-socket", T.sock,
			       "http://localhost/v1/stats?period=9", NULL},
		    &out),
		0);
	ASSERT_TRUE(strstr(strbuf_str(&out), "BAD_REQUEST") != NULL);
	ASSERT_INT_EQ(run((char *[]){"curl", "-sS", "--unix-socket", T.sock,
				     "http://localhost/v1/stats/nope", NULL},
			  &out),
		      0);
	ASSERT_TRUE(strstr(strbuf_str(&out), "NOT_FOUND") != NULL);
	strbuf_done(&out);
	teardown();
}

/* The daemon's side: the sampler on its own timer, and a reload. */
static void
test_timer_and_reload(void)
{
	struct rl_stats_conf conf = {
		.enabled = RL_STATS_HOST | RL_STATS_PROCESS,
		.collecting_period_ms = 100,
		.nperiods = 1,
		.periods_ms = {100},
		.history = 10,
	};
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct ctl_stats *cs = ctl_stats_new(loop, NULL, &conf, "n1");
	struct stats_node_summary n = {0};
	int64_t deadline = util_now_ns() + 10 * NSEC_PER_SEC;
	struct stats_sampler *first;

	ASSERT_NOT_NULL(ctl_stats_sampler(cs));
	/* a point of the 100 ms window needs three ticks */
	while (util_now_ns() < deadline) {
		ev_run(loop, EVRUN_ONCE);
		if (stats_sampler_node(ctl_stats_sampler(cs), 0, &n) == 0 &&
		    n.valid)
			break;
	}
	ASSERT_TRUE(n.valid);
	first = ctl_stats_sampler(cs);
	conf.enabled = RL_STATS_PROCESS;
	conf.collecting_period_ms = 200;
	ctl_stats_apply(cs, &conf);
	ASSERT_TRUE(ctl_stats_sampler(cs) == first);
	ASSERT_INT_EQ(stats_sampler_enabled(first), STATS_PROCESS);
	ASSERT_INT_EQ(stats_sampler_config(first)->collecting_period_ms, 200);
	conf.history = 20;
	ctl_stats_apply(cs, &conf);
	ASSERT_TRUE(ctl_stats_sampler(cs) == first); /* in place */
	ASSERT_INT_EQ(stats_sampler_config(first)->history, 20);
	ASSERT_INT_EQ(stats_sampler_node(first, 0, &n), 0);
	ASSERT_FALSE(n.valid); /* histories restarted */
	conf.history = 5;
	ctl_stats_apply(cs, &conf); /* refused, logged */
	ASSERT_INT_EQ(stats_sampler_config(first)->history, 20);
	ctl_stats_free(cs);
	ev_loop_destroy(loop);
}

static const struct test_case cases[] = {
	{"timer and reload", test_timer_and_reload},
	{"stats command over the routes", test_cli_json},
	{"routes: switches, queries, errors", test_routes},
};

int
main(int argc, char **argv)
{
	return test_main(argc, argv, "stats_ctl", cases, ARRAY_SIZE(cases));
}
