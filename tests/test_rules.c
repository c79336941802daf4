/*
 * rules: the YAML loader, its defaults, every diagnostic (text and
 * position), models, aliases, identifiers, expansions, includes, limits
 * and the digest.
 *
 * Loads run from memory with fixed options (instance name, host name,
 * environment) so that results do not depend on the machine.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/util.h"
#include "rules/rules.h"
#include "tests/lib/testlib.h"

static const char *const test_env[] = {
	"HOME=/home/u", "XDG_RUNTIME_DIR=/run/user/1000", "SITE=plant-a",
	"PCT=50%", NULL,
};

static struct rules_load_opts
opts_default(void)
{
	struct rules_load_opts o = {
		.name = NULL,
		.host_node_name = "host1",
		.envp = test_env,
		.is_root = false,
	};
	return o;
}

/* Every diagnostic as "LINE:COL: SEVERITY: MESSAGE\n". */
static char diag_buf[8192];
/* through a pointer: ASSERT_STR_EQ's buffer is smaller than diag_buf */
static const char *volatile diag_text = diag_buf;

static int
load_opts(const char *yaml, const struct rules_load_opts *o,
	  struct rules **ret)
{
	struct rl_diags d = RL_DIAGS_INIT;
	size_t i, l = 0;
	int r;

	*ret = NULL;
	r = rules_load_buffer("t.yaml", yaml, strlen(yaml), o, ret, &d);
	diag_buf[0] = '\0';
	for (i = 0; i < d.n && l < sizeof(diag_buf); i++)
		l += (size_t)snprintf(diag_buf + l, sizeof(diag_buf) - l,
				      "%d:%d: %s: %s\n", d.v[i].line,
				      d.v[i].column,
				      d.v[i].severity == RL_SEV_ERROR
					      ? "error"
					      : "warning",
				      d.v[i].message);
	rl_diags_done(&d);
	return r;
}

static int
load(const char *yaml, struct rules **ret)
{
	struct rules_load_opts o = opts_default();

	return load_opts(yaml, &o, ret);
}

#define HDR "version: 1\n"

static void
test_defaults(void)
{
	struct rules *r;
	const struct rl_program *p;
	const struct rl_process *proc;
	const struct rl_application *a;
	const struct rl_cluster_conf *c;
	const struct rl_stats_conf *s;
	const struct rl_instance_conf *in;

	ASSERT_INT_EQ(load(HDR "applications:\n"
			       "  app:\n"
			       "    programs:\n"
			       "      prog: {command: /bin/true}\n",
			   &r), 0);
	ASSERT_STR_EQ(diag_text, "");
	ASSERT_NOT_NULL(r);
	ASSERT_INT_EQ(rules_napplications(r), 1);
	a = rules_application(r, 0);
	ASSERT_STR_EQ(a->name, "app");
	ASSERT_INT_EQ(a->distribution, RL_DIST_ALL_INSTANCES);
	ASSERT_TRUE(a->identifiers.all);
	ASSERT_INT_EQ(a->start_sequence, 0);
	ASSERT_INT_EQ(a->stop_sequence, 0);
	ASSERT_INT_EQ(a->starting_strategy, RL_STRATEGY_CONFIG);
	ASSERT_INT_EQ(a->starting_failure_strategy, RL_STARTING_ABORT);
	ASSERT_INT_EQ(a->running_failure_strategy, RL_RUNNING_CONTINUE);
	ASSERT_NULL(a->operational_status);
	p = rules_find_program(r, "app", "prog");
	ASSERT_NOT_NULL(p);
	ASSERT_INT_EQ(p->numprocs, 1);
	ASSERT_INT_EQ(p->numprocs_start, 0);
	ASSERT_INT_EQ(p->umask, -1);
	ASSERT_NULL(p->user);
	ASSERT_INT_EQ(p->autorestart, RL_AUTORESTART_UNEXPECTED);
	ASSERT_INT_EQ(p->startsecs_ms, 1000);
	ASSERT_INT_EQ(p->startretries, 3);
	ASSERT_INT_EQ(p->nexitcodes, 1);
	ASSERT_INT_EQ(p->exitcodes[0], 0);
	ASSERT_INT_EQ(p->stopsignal, SIGTERM);
	ASSERT_INT_EQ(p->stopwaitsecs_ms, 10000);
	ASSERT_FALSE(p->stopasgroup);
	ASSERT_FALSE(p->killasgroup);
	ASSERT_FALSE(p->redirect_stderr);
	ASSERT_TRUE(p->identifiers.all);
	ASSERT_INT_EQ(p->identifiers.sign, RL_SIGN_NONE);
	ASSERT_FALSE(p->required);
	ASSERT_INT_EQ(p->start_sequence, 0);
	ASSERT_INT_EQ(p->stop_sequence, 0);
	ASSERT_FALSE(p->wait_exit);
	ASSERT_INT_EQ(p->wait_exit_timeout_ms, 0);
	ASSERT_INT_EQ(p->expected_loading, 0);
	ASSERT_INT_EQ(p->starting_failure_strategy, RL_STARTING_ABORT);
	ASSERT_INT_EQ(p->running_failure_strategy, RL_RUNNING_CONTINUE);
	ASSERT_INT_EQ(p->nprocesses, 1);
	proc = rules_find_process(r, "app:prog");
	ASSERT_NOT_NULL(proc);
	ASSERT_TRUE(proc == &p->processes[0]);
	ASSERT_STR_EQ(proc->name, "prog");
	ASSERT_INT_EQ(proc->argc, 1);
	ASSERT_STR_EQ(proc->argv[0], "/bin/true");
	ASSERT_NULL(proc->argv[1]);
	ASSERT_NULL(proc->directory);
	ASSERT_INT_EQ(proc->stdout_log.kind, RL_LOGFILE_AUTO);
	ASSERT_INT_EQ(proc->stdout_log.maxbytes, 50 * 1024 * 1024);
	ASSERT_INT_EQ(proc->stdout_log.backups, 10);
	ASSERT_INT_EQ(proc->stderr_log.kind, RL_LOGFILE_AUTO);

	c = rules_cluster(r);
	ASSERT_STR_EQ(c->name, "default");
	ASSERT_NULL(c->key_file);
	ASSERT_INT_EQ(c->ninstances, 0);
	ASSERT_INT_EQ(c->ncore, 0);
	/* Supvisors' STRICT,TIMEOUT,CORE less what cannot apply */
	ASSERT_INT_EQ(c->synchro, RL_SYNCHRO_TIMEOUT);
	ASSERT_INT_EQ(c->synchro_timeout_ms, 15000);
	ASSERT_FALSE(c->auto_fence);
	ASSERT_INT_EQ(c->starting_strategy, RL_STRATEGY_CONFIG);
	ASSERT_INT_EQ(c->conciliation_strategy, RL_CONCILIATION_USER);
	ASSERT_INT_EQ(c->failure_strategy, RL_CLUSTER_FAILURE_CONTINUE);
	ASSERT_INT_EQ(c->load_source, RL_LOAD_EXPECTED);
	ASSERT_INT_EQ(c->gossip.probe_interval_ms, 1000);
	ASSERT_INT_EQ(c->gossip.probe_timeout_ms, 500);
	ASSERT_INT_EQ(c->gossip.indirect_checks, 3);
	ASSERT_INT_EQ(c->gossip.suspicion_mult, 4);
	ASSERT_INT_EQ(c->gossip.retransmit_mult, 4);
	ASSERT_INT_EQ(c->gossip.gossip_interval_ms, 200);
	ASSERT_INT_EQ(c->gossip.gossip_nodes, 3);
	ASSERT_INT_EQ(c->gossip.sync_interval_ms, 30000);

	s = rules_stats(r);
	ASSERT_INT_EQ(s->enabled, RL_STATS_HOST | RL_STATS_PROCESS);
	ASSERT_INT_EQ(s->collecting_period_ms, 1000);
	ASSERT_INT_EQ(s->nperiods, 1);
	ASSERT_INT_EQ(s->periods_ms[0], 10000);
	ASSERT_INT_EQ(s->history, 200);
	ASSERT_FALSE(s->irix_mode);

	in = rules_instance(r);
	ASSERT_STR_EQ(in->name, "host1");
	ASSERT_STR_EQ(in->listen, "127.0.0.1:7700");
	ASSERT_STR_EQ(in->listen_host, "127.0.0.1");
	ASSERT_INT_EQ(in->listen_port, 7700);
	ASSERT_NULL(in->advertise);
	ASSERT_NULL(in->http);
	ASSERT_STR_EQ(in->control,
		      "/run/user/1000/supvisors-sched/host1.sock");
	ASSERT_STR_EQ(in->state_dir,
		      "/home/u/.local/state/supvisors-sched/host1");
	ASSERT_STR_EQ(in->log_dir,
		      "/home/u/.local/state/supvisors-sched/host1/log");
	ASSERT_INT_EQ(strlen(rules_digest(r)), 64);
	rules_free(r);
}

static void
test_root_paths(void)
{
	struct rules_load_opts o = opts_default();
	struct rules *r;

	o.is_root = true;
	o.name = "n7";
	ASSERT_INT_EQ(load_opts(HDR, &o, &r), 0);
	ASSERT_STR_EQ(rules_instance(r)->control,
		      "/run/supvisors-sched/n7.sock");
	ASSERT_STR_EQ(rules_instance(r)->state_dir,
		      "/var/lib/supvisors-sched/n7");
	ASSERT_STR_EQ(rules_instance(r)->log_dir,
		      "/var/log/supvisors-sched/n7");
	rules_free(r);
}

struct bad_case {
	const char *yaml;
	const char *diags;
};

static const struct bad_case bad_cases[] = {
	/* 1 */
	{"applications: {}\n",
	 "1:1: error: 'version: 1' is required at the top level\n"},
	{"",
	 "1:1: error: 'version: 1' is required at the top level\n"},
	{"version: 2\n", "1:10: error: 'version' must be 1, not 2\n"},
	{"version: \"1\"\n",
	 "1:10: error: 'version' must be an integer, not the string '1'\n"},
	{HDR "applications:\n  a:\n    programs:\n      p:\n"
	     "        comand: /bin/x\n",
	 "6:9: error: unknown key 'comand' in program 'p' (did you mean "
	 "'command'?)\n"},
};

static void
test_bad(void)
{
	struct rules *r;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		int rc = load(bad_cases[i].yaml, &r);

		if (strcmp(diag_text, bad_cases[i].diags) != 0 ||
		    rc != -EINVAL)
			fprintf(stderr, "bad case %zu:\n%s", i + 1,
				bad_cases[i].yaml);
		ASSERT_INT_EQ(rc, -EINVAL);
		ASSERT_NULL(r);
		ASSERT_STR_EQ(diag_text, bad_cases[i].diags);
	}
}

int
main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"defaults", test_defaults},
		{"root paths", test_root_paths},
		{"bad inputs", test_bad},
	};

	return test_main(argc, argv, "rules", cases, ARRAY_SIZE(cases));
}
