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

/* the result of the last load, asserted apart from the (long) call */
static int rc;

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

	rc = load(HDR "applications:\n"
			       "  app:\n"
			       "    programs:\n"
			       "      prog: {command: /bin/true}\n",
			   &r);
	ASSERT_INT_EQ(rc, 0);
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
	ASSERT_INT_EQ(c->gossip.probe_interval_ms, 400);
	ASSERT_INT_EQ(c->gossip.probe_timeout_ms, 200);
	ASSERT_INT_EQ(c->gossip.indirect_checks, 3);
	ASSERT_INT_EQ(c->gossip.suspicion_mult, 4);
	ASSERT_INT_EQ(c->gossip.retransmit_mult, 4);
	ASSERT_INT_EQ(c->gossip.gossip_interval_ms, 100);
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
	rc = load_opts(HDR, &o, &r);
	ASSERT_INT_EQ(rc, 0);
	ASSERT_STR_EQ(rules_instance(r)->control,
		      "/run/supvisors-sched/n7.sock");
	ASSERT_STR_EQ(rules_instance(r)->state_dir,
		      "/var/lib/supvisors-sched/n7");
	ASSERT_STR_EQ(rules_instance(r)->log_dir,
		      "/var/log/supvisors-sched/n7");
	rules_free(r);
}


static void
test_every_key(void)
{
	static const char yaml[] =
		HDR
		"instance:\n"
		"  name: n1\n"
		"  listen: \"127.0.0.1:7801\"\n"
		"  advertise: \"[::1]:7802\"\n"
		"  machine: m-42\n"
		"  tags: [front, gpu, front]\n"
		"  control: \"%(here)s/run/%(instance_name)s.sock\"\n"
		"  http: 127.0.0.1:7780\n"
		"  http_token_file: /etc/tok\n"
		"  http_public_read: true\n"
		"  state_dir: /var/tmp/%(instance_name)s/state\n"
		"  log_dir: /var/tmp/%(instance_name)s/log\n"
		"cluster:\n"
		"  name: plant-a\n"
		"  key_file: keys/cluster.key\n"
		"  instances:\n"
		"    n1: 127.0.0.1:7801\n"
		"    n2: {address: \"localhost:7803\", tags: [back, gpu]}\n"
		"  core: [n2, n1, n2]\n"
		"  synchro: [strict, list, USER]\n"
		"  synchro_timeout: 30s\n"
		"  auto_fence: true\n"
		"  starting_strategy: most_loaded_node\n"
		"  conciliation_strategy: SENICIDE\n"
		"  failure_strategy: SHUTDOWN\n"
		"  load_source: MAX\n"
		"  gossip: {probe_interval: 2s, probe_timeout: 1s,\n"
		"           indirect_checks: 5, suspicion_mult: 6,\n"
		"           retransmit_mult: 7, gossip_interval: 100ms,\n"
		"           gossip_nodes: 4, sync_interval: 1m}\n"
		"stats:\n"
		"  enabled: PROCESS\n"
		"  collecting_period: 2s\n"
		"  periods: [10s, 1m, 5m]\n"
		"  history: 300\n"
		"  irix_mode: true\n"
		"applications:\n"
		"  scada:\n"
		"    distribution: SINGLE_NODE\n"
		"    identifiers: [n2, back]\n"
		"    start_sequence: 3\n"
		"    stop_sequence: 4\n"
		"    starting_strategy: LOCAL\n"
		"    starting_failure_strategy: STOP\n"
		"    running_failure_strategy: SHUTDOWN\n"
		"    operational_status: \"'h_005' and any('w.*')\"\n"
		"    programs:\n"
		"      hmi:\n"
		"        command: \"/opt/hmi --name '%(program_name)s x' "
		"a\\\\ b\"\n"
		"        process_name: \"h_%(process_num)03d\"\n"
		"        numprocs: 2\n"
		"        numprocs_start: 5\n"
		"        directory: /srv/%(group_name)s\n"
		"        umask: \"027\"\n"
		"        environment: {LANG: C.UTF-8, N: \"%(process_num)d\", "
		"S: \"%(ENV_SITE)s\"}\n"
		"        autorestart: true\n"
		"        startsecs: 500ms\n"
		"        startretries: 7\n"
		"        exitcodes: [0, 2]\n"
		"        stopsignal: SIGINT\n"
		"        stopwaitsecs: 1m\n"
		"        stopasgroup: true\n"
		"        redirect_stderr: true\n"
		"        stdout_logfile: \"%(program_name)s-%(process_num)d.log\"\n"
		"        stdout_logfile_maxbytes: 1KiB\n"
		"        stdout_logfile_backups: 0\n"
		"        stderr_logfile: NONE\n"
		"        stderr_logfile_maxbytes: 0\n"
		"        stderr_logfile_backups: 1\n"
		"        identifiers: [n1]\n"
		"        required: true\n"
		"        start_sequence: 2\n"
		"        stop_sequence: 1\n"
		"        wait_exit: true\n"
		"        wait_exit_timeout: 30s\n"
		"        expected_loading: 25\n"
		"        starting_failure_strategy: CONTINUE\n"
		"        running_failure_strategy: RESTART\n";
	struct rules_load_opts o = opts_default();
	const struct rl_instance_conf *in;
	const struct rl_cluster_conf *c;
	const struct rl_stats_conf *s;
	const struct rl_application *a;
	const struct rl_program *p;
	const struct rl_process *x;
	struct rules *r;

	rc = load_opts(yaml, &o, &r);
	ASSERT_INT_EQ(rc, 0);
	ASSERT_STR_EQ(diag_text,
		      "68:25: warning: 'stderr_logfile' is ignored: "
		      "'redirect_stderr' is true\n"
		      "71:22: warning: program identifiers are ignored: "
		      "application 'scada' has distribution SINGLE_NODE\n");
	ASSERT_NOT_NULL(r);
	in = rules_instance(r);
	ASSERT_STR_EQ(in->name, "n1");
	ASSERT_STR_EQ(in->listen, "127.0.0.1:7801");
	ASSERT_INT_EQ(in->listen_port, 7801);
	ASSERT_STR_EQ(in->advertise, "[::1]:7802");
	ASSERT_STR_EQ(in->machine, "m-42");
	ASSERT_INT_EQ(in->ntags, 2);
	ASSERT_STR_EQ(in->tags[0], "front");
	ASSERT_STR_EQ(in->tags[1], "gpu");
	ASSERT_TRUE(strstr(in->control, "/run/n1.sock") != NULL);
	ASSERT_TRUE(in->control[0] == '/');
	ASSERT_STR_EQ(in->http, "127.0.0.1:7780");
	ASSERT_STR_EQ(in->http_token_file, "/etc/tok");
	ASSERT_TRUE(in->http_public_read);
	ASSERT_STR_EQ(in->state_dir, "/var/tmp/n1/state");
	ASSERT_STR_EQ(in->log_dir, "/var/tmp/n1/log");
	ASSERT_INT_EQ(rules_ntags(r), 3);
	ASSERT_STR_EQ(rules_tag(r, 0), "front");
	ASSERT_STR_EQ(rules_tag(r, 1), "gpu");
	ASSERT_STR_EQ(rules_tag(r, 2), "back");
	ASSERT_NULL(rules_tag(r, 3));

	c = rules_cluster(r);
	ASSERT_STR_EQ(c->name, "plant-a");
	ASSERT_TRUE(strstr(c->key_file, "/keys/cluster.key") != NULL);
	ASSERT_INT_EQ(c->ninstances, 2);
	ASSERT_STR_EQ(c->instances[1].name, "n2");
	ASSERT_STR_EQ(c->instances[1].address, "localhost:7803");
	ASSERT_STR_EQ(c->instances[1].host, "localhost");
	ASSERT_INT_EQ(c->instances[1].port, 7803);
	ASSERT_INT_EQ(c->instances[1].ntags, 2);
	ASSERT_STR_EQ(c->instances[1].tags[1], "gpu");
	ASSERT_INT_EQ(c->instances[0].ntags, 0);
	ASSERT_INT_EQ(c->ncore, 2);
	ASSERT_STR_EQ(c->core[0], "n2");
	ASSERT_STR_EQ(c->core[1], "n1");
	ASSERT_INT_EQ(c->synchro,
		      RL_SYNCHRO_STRICT | RL_SYNCHRO_LIST | RL_SYNCHRO_USER);
	ASSERT_INT_EQ(c->synchro_timeout_ms, 30000);
	ASSERT_TRUE(c->auto_fence);
	ASSERT_INT_EQ(c->starting_strategy, RL_STRATEGY_MOST_LOADED_NODE);
	ASSERT_INT_EQ(c->conciliation_strategy, RL_CONCILIATION_SENICIDE);
	ASSERT_INT_EQ(c->failure_strategy, RL_CLUSTER_FAILURE_SHUTDOWN);
	ASSERT_INT_EQ(c->load_source, RL_LOAD_MAX);
	ASSERT_INT_EQ(c->gossip.probe_interval_ms, 2000);
	ASSERT_INT_EQ(c->gossip.probe_timeout_ms, 1000);
	ASSERT_INT_EQ(c->gossip.indirect_checks, 5);
	ASSERT_INT_EQ(c->gossip.suspicion_mult, 6);
	ASSERT_INT_EQ(c->gossip.retransmit_mult, 7);
	ASSERT_INT_EQ(c->gossip.gossip_interval_ms, 100);
	ASSERT_INT_EQ(c->gossip.gossip_nodes, 4);
	ASSERT_INT_EQ(c->gossip.sync_interval_ms, 60000);

	s = rules_stats(r);
	ASSERT_INT_EQ(s->enabled, RL_STATS_PROCESS);
	ASSERT_INT_EQ(s->collecting_period_ms, 2000);
	ASSERT_INT_EQ(s->nperiods, 3);
	ASSERT_INT_EQ(s->periods_ms[1], 60000);
	ASSERT_INT_EQ(s->periods_ms[2], 300000);
	ASSERT_INT_EQ(s->history, 300);
	ASSERT_TRUE(s->irix_mode);

	a = rules_find_application(r, "scada");
	ASSERT_NOT_NULL(a);
	ASSERT_INT_EQ(a->distribution, RL_DIST_SINGLE_NODE);
	ASSERT_FALSE(a->identifiers.all);
	ASSERT_INT_EQ(a->identifiers.n, 2);
	ASSERT_INT_EQ(a->identifiers.v[0].kind, RL_IDENT_INSTANCE);
	ASSERT_STR_EQ(a->identifiers.v[0].name, "n2");
	ASSERT_INT_EQ(a->identifiers.v[1].kind, RL_IDENT_TAG);
	ASSERT_STR_EQ(a->identifiers.v[1].name, "back");
	ASSERT_INT_EQ(a->start_sequence, 3);
	ASSERT_INT_EQ(a->stop_sequence, 4);
	ASSERT_INT_EQ(a->starting_strategy, RL_STRATEGY_LOCAL);
	ASSERT_INT_EQ(a->starting_failure_strategy, RL_STARTING_STOP);
	ASSERT_INT_EQ(a->running_failure_strategy, RL_RUNNING_SHUTDOWN);
	ASSERT_STR_EQ(a->operational_status, "'h_005' and any('w.*')");

	p = &a->programs[0];
	ASSERT_STR_EQ(p->name, "hmi");
	ASSERT_TRUE(p->app == a);
	ASSERT_INT_EQ(p->numprocs, 2);
	ASSERT_INT_EQ(p->numprocs_start, 5);
	ASSERT_INT_EQ(p->umask, 027);
	ASSERT_INT_EQ(p->autorestart, RL_AUTORESTART_TRUE);
	ASSERT_INT_EQ(p->startsecs_ms, 500);
	ASSERT_INT_EQ(p->startretries, 7);
	ASSERT_INT_EQ(p->nexitcodes, 2);
	ASSERT_INT_EQ(p->exitcodes[1], 2);
	ASSERT_INT_EQ(p->stopsignal, SIGINT);
	ASSERT_INT_EQ(p->stopwaitsecs_ms, 60000);
	ASSERT_TRUE(p->stopasgroup);
	ASSERT_TRUE(p->killasgroup); /* defaults to stopasgroup */
	ASSERT_TRUE(p->redirect_stderr);
	ASSERT_INT_EQ(p->identifiers.n, 1);
	ASSERT_TRUE(p->required);
	ASSERT_INT_EQ(p->start_sequence, 2);
	ASSERT_INT_EQ(p->stop_sequence, 1);
	ASSERT_TRUE(p->wait_exit);
	ASSERT_INT_EQ(p->wait_exit_timeout_ms, 30000);
	ASSERT_INT_EQ(p->expected_loading, 25);
	ASSERT_INT_EQ(p->starting_failure_strategy, RL_STARTING_CONTINUE);
	ASSERT_INT_EQ(p->running_failure_strategy, RL_RUNNING_RESTART);
	ASSERT_INT_EQ(p->nprocesses, 2);

	x = &p->processes[1];
	ASSERT_STR_EQ(x->name, "h_006");
	ASSERT_STR_EQ(x->namespec, "scada:h_006");
	ASSERT_INT_EQ(x->process_num, 6);
	ASSERT_INT_EQ(x->index, 1);
	ASSERT_INT_EQ(x->argc, 4);
	ASSERT_STR_EQ(x->argv[0], "/opt/hmi");
	ASSERT_STR_EQ(x->argv[1], "--name");
	ASSERT_STR_EQ(x->argv[2], "hmi x");
	ASSERT_STR_EQ(x->argv[3], "a b");
	ASSERT_NULL(x->argv[4]);
	ASSERT_STR_EQ(x->directory, "/srv/scada");
	ASSERT_INT_EQ(x->nenv, 3);
	ASSERT_STR_EQ(x->env[1].key, "N");
	ASSERT_STR_EQ(x->env[1].value, "6");
	ASSERT_STR_EQ(x->env[2].value, "plant-a");
	ASSERT_INT_EQ(x->stdout_log.kind, RL_LOGFILE_PATH);
	ASSERT_STR_EQ(x->stdout_log.path, "/var/tmp/n1/log/hmi-6.log");
	ASSERT_INT_EQ(x->stdout_log.maxbytes, 1024);
	ASSERT_INT_EQ(x->stdout_log.backups, 0);
	ASSERT_INT_EQ(x->stderr_log.kind, RL_LOGFILE_NONE);
	ASSERT_TRUE(rules_find_process(r, "scada:h_005") == &p->processes[0]);
	ASSERT_NULL(rules_find_process(r, "scada:h_007"));
	ASSERT_NULL(rules_find_process(r, "scada"));
	ASSERT_INT_EQ(rules_nprocesses(r), 2);
	ASSERT_TRUE(rules_process(r, 1) == x);
	ASSERT_NULL(rules_process(r, 2));
	rules_free(r);
}

static void
test_models(void)
{
	struct rules *r;
	const struct rl_program *p, *q;

	rc = load(HDR
			   "models:\n"
			   "  base: {command: /bin/base, startsecs: 3s, "
			   "expected_loading: 7}\n"
			   "  mid: {reference: base, startsecs: 4s, "
			   "stopsignal: KILL}\n"
			   "  top: {reference: mid, expected_loading: 9}\n"
			   "applications:\n"
			   "  a:\n"
			   "    programs:\n"
			   "      p: {reference: top, stopsignal: HUP}\n"
			   "      q: {reference: base, command: [/bin/q]}\n",
			   &r);
	ASSERT_INT_EQ(rc, 0);
	ASSERT_STR_EQ(diag_text, "");
	p = rules_find_program(r, "a", "p");
	q = rules_find_program(r, "a", "q");
	ASSERT_STR_EQ(p->reference, "top");
	ASSERT_STR_EQ(p->processes[0].argv[0], "/bin/base");
	ASSERT_INT_EQ(p->startsecs_ms, 4000);
	ASSERT_INT_EQ(p->expected_loading, 9);
	ASSERT_INT_EQ(p->stopsignal, SIGHUP);
	ASSERT_STR_EQ(q->processes[0].argv[0], "/bin/q");
	ASSERT_INT_EQ(q->startsecs_ms, 3000);
	ASSERT_INT_EQ(q->expected_loading, 7);
	ASSERT_INT_EQ(q->stopsignal, SIGTERM);
	rules_free(r);

	/* an error in a model is reported once, at the model */
	rc = load(HDR
			   "models: {m: {numprocs: x}}\n"
			   "applications:\n"
			   "  a:\n"
			   "    programs: {p: {reference: m, command: x}}\n",
			   &r);
	ASSERT_INT_EQ(rc, -EINVAL);
	ASSERT_STR_EQ(diag_text,
		      "2:24: error: 'numprocs' must be an integer, not 'x'\n");
	/* a program that misses the only required key through its model */
	rc = load(HDR
			   "models: {m: {startsecs: 2}}\n"
			   "applications:\n"
			   "  a:\n"
			   "    programs: {p: {reference: m}}\n",
			   &r);
	ASSERT_INT_EQ(rc, -EINVAL);
	ASSERT_STR_EQ(diag_text, "5:16: error: program 'p' has no "
				 "'command'\n");
	/* model strategies override the application's defaults */
	rc = load(HDR
			   "models: {m: {running_failure_strategy: "
			   "STOP_APPLICATION, command: x}}\n"
			   "applications:\n"
			   "  a:\n"
			   "    running_failure_strategy: RESTART\n"
			   "    programs: {p: {reference: m}, q: {command: y}}\n",
			   &r);
	ASSERT_INT_EQ(rc, 0);
	p = rules_find_program(r, "a", "p");
	q = rules_find_program(r, "a", "q");
	ASSERT_INT_EQ(p->running_failure_strategy, RL_RUNNING_STOP_APPLICATION);
	/* Supvisors disables autorestart for *_APPLICATION strategies */
	ASSERT_INT_EQ(p->autorestart, RL_AUTORESTART_FALSE);
	ASSERT_INT_EQ(q->running_failure_strategy, RL_RUNNING_RESTART);
	ASSERT_INT_EQ(q->autorestart, RL_AUTORESTART_UNEXPECTED);
	rules_free(r);
}

static void
test_identifiers(void)
{
	struct rules_load_opts o = opts_default();
	const struct rl_identifiers *id;
	const struct rl_application *app;
	struct rules *r;

	o.name = "n1";
	rc = load_opts(HDR
			   "instance: {tags: [t1]}\n"
			   "cluster:\n"
			   "  instances:\n"
			   "    n1: 127.0.0.1:7001\n"
			   "    n2: 127.0.0.1:7002\n"
			   "    n3: {address: 127.0.0.1:7003, tags: [t3]}\n"
			   "aliases:\n"
			   "  pair: [n2, three]\n"
			   "  three: [n3, t3]\n"
			   "  both: [pair, n1, t1, n2]\n"
			   "applications:\n"
			   "  grp_02:\n"
			   "    distribution: SINGLE_INSTANCE\n"
			   "    identifiers: ['#', pair]\n"
			   "    programs: {p: {command: x}}\n"
			   "  b:\n"
			   "    programs:\n"
			   "      h: {command: x, numprocs: 3, identifiers: "
			   "['#', both],\n"
			   "          process_name: \"h%(process_num)d\"}\n"
			   "      s: {command: x, numprocs: 2, identifiers: ['@'],\n"
			   "          process_name: \"s%(process_num)d\"}\n"
			   "      t: {command: x, identifiers: ['*']}\n"
			   "      u: {command: x, identifiers: t3}\n",
			   &o, &r);
	ASSERT_INT_EQ(rc, 0);
	ASSERT_STR_EQ(diag_text, "");
	app = rules_find_application(r, "grp_02");
	ASSERT_INT_EQ(app->identifiers.sign, RL_SIGN_HASH);
	ASSERT_FALSE(app->identifiers.all);
	ASSERT_INT_EQ(app->identifiers.n, 3);
	ASSERT_STR_EQ(app->identifiers.v[0].name, "n2");
	ASSERT_STR_EQ(app->identifiers.v[1].name, "n3");
	ASSERT_STR_EQ(app->identifiers.v[2].name, "t3");
	ASSERT_INT_EQ(app->identifiers.v[2].kind, RL_IDENT_TAG);
	id = &rules_find_program(r, "b", "h")->identifiers;
	ASSERT_INT_EQ(id->sign, RL_SIGN_HASH);
	/* alias order, duplicates removed */
	ASSERT_INT_EQ(id->n, 5);
	ASSERT_STR_EQ(id->v[0].name, "n2");
	ASSERT_STR_EQ(id->v[1].name, "n3");
	ASSERT_STR_EQ(id->v[2].name, "t3");
	ASSERT_STR_EQ(id->v[3].name, "n1");
	ASSERT_STR_EQ(id->v[4].name, "t1");
	ASSERT_INT_EQ(id->v[4].kind, RL_IDENT_TAG);
	id = &rules_find_program(r, "b", "s")->identifiers;
	ASSERT_INT_EQ(id->sign, RL_SIGN_AT);
	ASSERT_TRUE(id->all);
	ASSERT_INT_EQ(id->n, 0);
	id = &rules_find_program(r, "b", "t")->identifiers;
	ASSERT_TRUE(id->all);
	ASSERT_INT_EQ(id->sign, RL_SIGN_NONE);
	id = &rules_find_program(r, "b", "u")->identifiers;
	ASSERT_FALSE(id->all);
	ASSERT_INT_EQ(id->n, 1);
	ASSERT_INT_EQ(id->v[0].kind, RL_IDENT_TAG);
	/* listen comes from cluster.instances for the --name given */
	ASSERT_STR_EQ(rules_instance(r)->listen, "127.0.0.1:7001");
	ASSERT_INT_EQ(rules_cluster(r)->synchro,
		      RL_SYNCHRO_STRICT | RL_SYNCHRO_TIMEOUT);
	rules_free(r);

	/* '#' on applications: -N and _N, N >= 1, zero padding allowed */
	rc = load(HDR "applications:\n"
			       "  x-7: {identifiers: ['#'], programs: "
			       "{p: {command: x}}, distribution: SINGLE_NODE}\n"
			       "  y_007: {identifiers: ['#', '*'], programs: "
			       "{p: {command: x}}, distribution: "
			       "SINGLE_INSTANCE}\n",
			   &r);
	ASSERT_INT_EQ(rc, 0);
	ASSERT_STR_EQ(diag_text, "");
	ASSERT_TRUE(rules_find_application(r, "y_007")->identifiers.all);
	rules_free(r);
	rc = load(HDR "applications:\n"
			       "  x_0: {identifiers: ['#'], programs: "
			       "{p: {command: x}}}\n"
			       "  x7: {identifiers: ['#'], programs: "
			       "{p: {command: x}}}\n",
			   &r);
	ASSERT_INT_EQ(rc, -EINVAL);
	ASSERT_STR_EQ(diag_text,
		      "3:22: warning: application identifiers are ignored "
		      "with distribution ALL_INSTANCES\n"
		      "3:23: error: '#' on an application needs a name ending "
		      "in -N or _N (N >= 1), like 'x_0_01'\n"
		      "4:21: warning: application identifiers are ignored "
		      "with distribution ALL_INSTANCES\n"
		      "4:22: error: '#' on an application needs a name ending "
		      "in -N or _N (N >= 1), like 'x7_01'\n");
}

static void
test_expansions(void)
{
	struct rules *r;
	const struct rl_program *p;

	rc = load(HDR
			   "applications:\n"
			   "  g:\n"
			   "    programs:\n"
			   "      p:\n"
			   "        numprocs: 2\n"
			   "        numprocs_start: 9\n"
			   "        process_name: \"%(program_name)s-%(process_num)"
			   "03d\"\n"
			   "        command: [\"/x\", \"[%(process_num)-4d]\", "
			   "\"[%(process_num)+d]\", \"[%(program_name)5s]\", "
			   "\"[%(program_name)-3s]\", \"[%(group_name).1s]\", "
			   "\"%(host_node_name)s\", \"%(ENV_PCT)s%%\", "
			   "\"%(numprocs)d/%(numprocs_start)d\", "
			   "\"%(process_num)s\", \"%(instance_name)s\"]\n",
			   &r);
	ASSERT_INT_EQ(rc, 0);
	ASSERT_STR_EQ(diag_text, "");
	p = rules_find_program(r, "g", "p");
	ASSERT_STR_EQ(p->processes[0].name, "p-009");
	ASSERT_STR_EQ(p->processes[1].name, "p-010");
	ASSERT_STR_EQ(p->processes[1].argv[1], "[10  ]");
	ASSERT_STR_EQ(p->processes[1].argv[2], "[+10]");
	ASSERT_STR_EQ(p->processes[1].argv[3], "[    p]");
	ASSERT_STR_EQ(p->processes[1].argv[4], "[p  ]");
	ASSERT_STR_EQ(p->processes[1].argv[5], "[g]");
	ASSERT_STR_EQ(p->processes[1].argv[6], "host1");
	ASSERT_STR_EQ(p->processes[1].argv[7], "50%%");
	ASSERT_STR_EQ(p->processes[1].argv[8], "2/9");
	ASSERT_STR_EQ(p->processes[1].argv[9], "10");
	ASSERT_STR_EQ(p->processes[1].argv[10], "host1");
	rules_free(r);

	/* %(here)s is the directory of the file the value is written in */
	{
		static const char y[] = HDR "applications: {a: {programs: {p: "
					    "{command: \"%(here)s/bin\"}}}}\n";
		struct rl_diags d = RL_DIAGS_INIT;

		rc = rules_load_buffer("/some/dir/x.yaml", y, strlen(y), NULL,
				       &r, &d);
		ASSERT_INT_EQ(rc, 0);
		ASSERT_NOT_NULL(r);
		ASSERT_STR_EQ(rules_find_process(r, "a:p")->argv[0],
			      "/some/dir/bin");
		rules_free(r);
		rl_diags_done(&d);
	}
}

static void
test_shell_words(void)
{
	static const struct {
		const char *cmd;
		const char *words;
	} cases[] = {
		{"a b  c", "a|b|c|"},
		{"  lead trail  ", "lead|trail|"},
		{"'a b' \"c d\"", "a b|c d|"},
		{"x'y'z", "xyz|"},
		{"x '' \"\"", "x|||"},
		{"a\\ b c\\\\d", "a b|c\\d|"},
		{"\"q\\\"q\" '\\n'", "q\"q|\\n|"},
		{"$HOME *.c ;|&", "$HOME|*.c|;|&|"},
	};
	char yaml[512], got[256];
	struct rules *r;
	const struct rl_process *p;
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct strbuf sb = STRBUF_INIT;
		const char *c;

		for (c = cases[i].cmd; *c; c++) {
			if (*c == '\\' || *c == '"')
				strbuf_addc(&sb, '\\');
			strbuf_addc(&sb, *c);
		}
		snprintf(yaml, sizeof(yaml),
			 HDR "applications: {a: {programs: {p: {command: "
			     "\"%s\"}}}}\n", strbuf_str(&sb));
		strbuf_done(&sb);
		rc = load(yaml, &r);
	ASSERT_INT_EQ(rc, 0);
		if (r == NULL)
			continue;
		p = rules_find_process(r, "a:p");
		got[0] = '\0';
		for (j = 0; j < p->argc; j++) {
			strncat(got, p->argv[j], sizeof(got) - strlen(got) - 2);
			strcat(got, "|");
		}
		ASSERT_STR_EQ(got, cases[i].words);
		rules_free(r);
	}
}

static void
test_root_user(void)
{
	struct rules_load_opts o = opts_default();
	struct rules *r;

	o.is_root = true;
	rc = load_opts(HDR "applications:\n  a:\n    programs:\n"
			   "      p: {command: x, user: root}\n"
			   "      q: {command: x, user: no-such-user-here}\n",
		       &o, &r);
	ASSERT_INT_EQ(rc, 0);
	ASSERT_STR_EQ(diag_text, "6:29: warning: user 'no-such-user-here' "
				 "does not exist on this host\n");
	ASSERT_STR_EQ(rules_find_program(r, "a", "p")->user, "root");
	rules_free(r);
}

static void
test_tags_and_merge_keys(void)
{
	struct rules *r;

	/* !!str makes a string of anything */
	rc = load(HDR "instance: {name: !!str 123}\n"
		      "stats: {history: !!str 300}\n", &r);
	ASSERT_INT_EQ(rc, -EINVAL);
	ASSERT_STR_EQ(diag_text, "3:18: error: 'history' must be an integer, "
				 "not the string '300'\n");
	rc = load(HDR "x-base: &base {command: x}\n"
		      "applications:\n  a:\n    programs:\n"
		      "      p: {<<: *base, startsecs: 2}\n", &r);
	ASSERT_INT_EQ(rc, -EINVAL);
	ASSERT_STR_EQ(diag_text, "6:11: error: YAML merge keys ('<<') are not "
				 "supported: share settings with a model and "
				 "'reference'\n");
}

static void
test_booleans(void)
{
	struct rules *r;

	rc = load(HDR "cluster: {auto_fence: on}\n"
			       "stats: {irix_mode: No, enabled: false}\n",
			   &r);
	ASSERT_INT_EQ(rc, 0);
	ASSERT_STR_EQ(diag_text,
		      "2:23: warning: 'auto_fence: on' is read as true; write "
		      "true (YAML 1.2 reads 'on' as a string)\n"
		      "3:20: warning: 'irix_mode: No' is read as false; write "
		      "false (YAML 1.2 reads 'No' as a string)\n");
	ASSERT_TRUE(rules_cluster(r)->auto_fence);
	ASSERT_FALSE(rules_stats(r)->irix_mode);
	ASSERT_INT_EQ(rules_stats(r)->enabled, 0);
	rules_free(r);
	rc = load(HDR "stats: {enabled: [process, HOST]}\n"
			       "cluster: {auto_fence: TRUE}\n", &r);
	ASSERT_INT_EQ(rc, 0);
	ASSERT_INT_EQ(rules_stats(r)->enabled,
		      RL_STATS_HOST | RL_STATS_PROCESS);
	ASSERT_TRUE(rules_cluster(r)->auto_fence);
	rules_free(r);
}

/* ------------------------------------------------------------ includes */

static void
test_includes(void)
{
	struct rl_diags d = RL_DIAGS_INIT;
	struct rules_load_opts o = opts_default();
	struct rules *r = NULL;
	const char *path = test_fixture("rules/inc/main.yaml");
	char wantbuf[1024];
	char *volatile want = wantbuf;
	size_t i;

	rc = rules_load(path, &o, &r, &d);
	ASSERT_INT_EQ(rc, 0);
	ASSERT_INT_EQ(d.n, 0);
	ASSERT_NOT_NULL(r);
	/* main file first, then the includes in byte order, depth first */
	ASSERT_INT_EQ(rules_napplications(r), 4);
	ASSERT_STR_EQ(rules_application(r, 0)->name, "main_app");
	ASSERT_STR_EQ(rules_application(r, 1)->name, "a_app");
	ASSERT_STR_EQ(rules_application(r, 2)->name, "nested_app");
	ASSERT_STR_EQ(rules_application(r, 3)->name, "b_app");
	/* a model and an alias from includes, %(here)s of the include */
	ASSERT_INT_EQ(rules_find_program(r, "main_app", "p")->expected_loading,
		      33);
	snprintf(want, sizeof(wantbuf), "%s", test_fixture("rules/inc/parts"));
	ASSERT_STR_EQ(rules_find_process(r, "b_app:q")->argv[1], want);
	r = rules_free(r);
	rl_diags_done(&d);

	/* errors carry the include's own path; a cycle is an error */
	rc = rules_load(test_fixture("rules/bad-inc/main.yaml"), &o,
				 &r, &d);
	ASSERT_INT_EQ(rc, -EINVAL);
	ASSERT_NULL(r);
	ASSERT_INT_EQ(d.n, 2);
	snprintf(want, sizeof(wantbuf), "%s",
		 test_fixture("rules/bad-inc/more/cycle.yaml"));
	ASSERT_STR_EQ(d.v[0].file, want);
	ASSERT_INT_EQ(d.v[0].line, 1);
	ASSERT_INT_EQ(d.v[0].column, 11);
	snprintf(want, sizeof(wantbuf), "include cycle: '%s' includes itself",
		 test_fixture("rules/bad-inc/more/../main.yaml"));
	ASSERT_STR_EQ(d.v[0].message, want);
	snprintf(want, sizeof(wantbuf), "%s",
		 test_fixture("rules/bad-inc/more/typo.yaml"));
	ASSERT_STR_EQ(d.v[1].file, want);
	ASSERT_INT_EQ(d.v[1].line, 4);
	ASSERT_INT_EQ(d.v[1].column, 11);
	ASSERT_STR_EQ(d.v[1].message, "unknown key 'comand' in program 'p' "
				      "(did you mean 'command'?)");
	for (i = 0; i < d.n; i++)
		ASSERT_INT_EQ(d.v[i].severity, RL_SEV_ERROR);
	rl_diags_done(&d);

	rc = rules_load("/nonexistent/x.yaml", &o, &r, &d);
	ASSERT_INT_EQ(rc, -ENOENT);
	ASSERT_INT_EQ(d.n, 1);
	ASSERT_STR_EQ(d.v[0].message, "No such file or directory");
	rl_diags_done(&d);
	rc = rules_load(test_fixture("rules"), &o, &r, &d);
	ASSERT_INT_EQ(rc, -EISDIR);
	ASSERT_STR_EQ(d.v[0].message, "Is a directory");
	rl_diags_done(&d);
	rc = rules_load("/dev/null", &o, &r, &d);
	ASSERT_INT_EQ(rc, -EINVAL);
	ASSERT_STR_EQ(d.v[0].message, "not a regular file");
	rl_diags_done(&d);
}

/* ------------------------------------------------------------ limits */

static void
test_alias_bomb(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct rules *r;
	int i, j;

	/* a billion laughs shaped to our schema: 1000 applications, each an
	 * alias of one with 1000 programs */
	strbuf_adds(&sb, HDR "x-app: &app {programs: {");
	for (j = 0; j < 1000; j++)
		strbuf_addf(&sb, "%sp%d: {command: x}", j ? ", " : "", j);
	strbuf_adds(&sb, "}}\napplications: {");
	for (i = 0; i < 1000; i++)
		strbuf_addf(&sb, "%sa%d: *app", i ? ", " : "", i);
	strbuf_adds(&sb, "}\n");
	rc = load(strbuf_str(&sb), &r);
	ASSERT_INT_EQ(rc, -EINVAL);
	ASSERT_STR_EQ(diag_text, "2:19381: error: more than 100000 nodes "
				 "visited in one file (YAML aliases expanding "
				 "too much?)\n");
	strbuf_reset(&sb);

	/* the classic one: lists of lists of aliases */
	strbuf_adds(&sb, HDR "x-0: &a0 [lol, lol, lol, lol, lol, lol]\n");
	for (i = 1; i < 10; i++) {
		strbuf_addf(&sb, "x-%d: &a%d [", i, i);
		for (j = 0; j < 9; j++)
			strbuf_addf(&sb, "%s*a%d", j ? ", " : "", i - 1);
		strbuf_adds(&sb, "]\n");
	}
	strbuf_adds(&sb, "applications:\n  a:\n    programs:\n"
			 "      p: {command: x, identifiers: *a9}\n");
	rc = load(strbuf_str(&sb), &r);
	ASSERT_INT_EQ(rc, -EINVAL);
	/* a node reached through an alias is reported where it is written */
	ASSERT_STR_EQ(diag_text, "10:6: error: 'identifiers' items must be "
				 "strings, not a list\n");
	strbuf_done(&sb);
}

static void
test_limits(void)
{
	struct rl_diags d = RL_DIAGS_INIT;
	struct strbuf sb = STRBUF_INIT;
	struct rules *r;
	char *big;
	int i;

	/* depth: 64 levels are fine, 65 are not */
	strbuf_adds(&sb, HDR "x-d: ");
	for (i = 0; i < 63; i++)
		strbuf_addc(&sb, '[');
	for (i = 0; i < 63; i++)
		strbuf_addc(&sb, ']');
	strbuf_addc(&sb, '\n');
	rc = load(strbuf_str(&sb), &r);
	ASSERT_INT_EQ(rc, 0);
	rules_free(r);
	strbuf_reset(&sb);
	strbuf_adds(&sb, HDR "x-d: ");
	for (i = 0; i < 10000; i++)
		strbuf_addc(&sb, '[');
	rc = load(strbuf_str(&sb), &r);
	ASSERT_INT_EQ(rc, -EINVAL);
	ASSERT_STR_EQ(diag_text, "2:69: error: nesting deeper than 64 "
				 "levels\n");
	strbuf_reset(&sb);

	/* nodes */
	strbuf_adds(&sb, HDR "x-l: [");
	for (i = 0; i < 100001; i++)
		strbuf_adds(&sb, "1,");
	strbuf_adds(&sb, "1]\n");
	rc = load(strbuf_str(&sb), &r);
	ASSERT_INT_EQ(rc, -EINVAL);
	ASSERT_STR_EQ(diag_text, "2:199997: error: more than 100000 nodes in "
				 "one file\n");

	/* numprocs multiplies: 100 000 processes in all */
	strbuf_reset(&sb);
	strbuf_adds(&sb, HDR "x-p: &p {command: x, numprocs: 9000, "
			 "process_name: \"%(program_name)s%(process_num)d\"}\n"
			 "applications:\n  a:\n    programs:\n");
	for (i = 0; i < 12; i++)
		strbuf_addf(&sb, "      p%d: *p\n", i);
	rc = load(strbuf_str(&sb), &r);
	ASSERT_INT_EQ(rc, -EINVAL);
	ASSERT_STR_EQ(diag_text, "2:32: error: more than 100000 processes in "
				 "all\n");

	strbuf_done(&sb);

	/* 4 MiB, from memory and from a file */
	big = xmalloc((4u << 20) + 2);
	memset(big, '#', (4u << 20) + 1);
	memcpy(big, HDR, strlen(HDR));
	rc = rules_load_buffer("big.yaml", big, (4u << 20) + 1, NULL,
					&r, &d);
	ASSERT_INT_EQ(rc, -EFBIG);
	ASSERT_INT_EQ(d.n, 1);
	ASSERT_STR_EQ(d.v[0].message, "file is larger than 4 MiB");
	ASSERT_INT_EQ(d.v[0].line, 0);
	rl_diags_done(&d);
	rc = rules_load_buffer("big.yaml", big, 4u << 20, NULL, &r,
					&d);
	ASSERT_INT_EQ(rc, 0);
	rules_free(r);
	rl_diags_done(&d);
	big[(4u << 20) + 1] = '\0';
	rc = rules_load(test_write_file(test_tmpdir(), "big.yaml",
						 big), NULL, &r, &d);
	ASSERT_INT_EQ(rc, -EFBIG);
	ASSERT_STR_EQ(d.v[0].message, "file is larger than 4 MiB");
	rl_diags_done(&d);
	free(big);
}

static void
test_many_errors(void)
{
	struct rl_diags d = RL_DIAGS_INIT;
	struct strbuf sb = STRBUF_INIT;
	struct rules *r;
	static const char first_two[] =
		"m.yaml:5:34: error: 'numprocs' must be between 1 and 10000, "
		"not 0\n"
		"m.yaml:6:34: error: 'numprocs' must be between 1 and 10000, "
		"not -1\n";
	FILE *f;
	char *text = NULL;
	size_t len = 0;
	int i;

	strbuf_adds(&sb, HDR "applications:\n  a:\n    programs:\n");
	for (i = 0; i < 60; i++)
		strbuf_addf(&sb, "      p%d: {command: x, numprocs: %d}\n", i,
			    -i);
	rc = rules_load_buffer("m.yaml", sb.buf, sb.len, NULL, &r,
					&d);
	ASSERT_INT_EQ(rc, -EINVAL);
	ASSERT_INT_EQ(d.n, RL_DIAG_MAX);
	ASSERT_INT_EQ(d.errors, 60);
	ASSERT_TRUE(d.truncated);
	f = open_memstream(&text, &len);
	rl_diags_print(&d, f);
	fclose(f);
	ASSERT_TRUE(strncmp(text, first_two, strlen(first_two)) == 0);
	ASSERT_TRUE(strstr(text, "\n60 errors and 0 warnings in all; only "
				 "the first 50 shown\n") != NULL);
	free(text);
	rl_diags_done(&d);
	strbuf_done(&sb);
}

static void
test_json(void)
{
	struct rl_diags d = RL_DIAGS_INIT;
	struct strbuf sb = STRBUF_INIT;
	struct rules *r;
	const char *yaml = HDR "stats: {history: 5, irix_mode: yes}\n";

	rc = rules_load_buffer("j\"son.yaml", yaml, strlen(yaml),
					NULL, &r, &d);
	ASSERT_INT_EQ(rc, -EINVAL);
	rl_diags_to_json(&d, &sb);
	ASSERT_STR_EQ(strbuf_str(&sb),
		      "{\"valid\":false,\"diagnostics\":["
		      "{\"file\":\"j\\\"son.yaml\",\"line\":2,\"column\":18,"
		      "\"severity\":\"error\",\"message\":\"'history' must be "
		      "between 10 and 1500, not 5\"},"
		      "{\"file\":\"j\\\"son.yaml\",\"line\":2,\"column\":32,"
		      "\"severity\":\"warning\",\"message\":\"'irix_mode: yes' "
		      "is read as true; write true (YAML 1.2 reads 'yes' as a "
		      "string)\"}],\"errors\":1,\"warnings\":1,"
		      "\"truncated\":false}");
	strbuf_done(&sb);
	rl_diags_done(&d);
}

/* ------------------------------------------------------------ digest */

static char *
digest_of(const char *yaml)
{
	struct rules *r;
	char *d = NULL;

	rc = load(yaml, &r);
	ASSERT_INT_EQ(rc, 0);
	if (r != NULL)
		d = xstrdup(rules_digest(r));
	rules_free(r);
	return d ? d : xstrdup("(invalid)");
}

#define DIGEST_BASE                                                            \
	HDR                                                                    \
	"cluster: {starting_strategy: LESS_LOADED}\n"                          \
	"aliases: {al: [host1]}\n"                                             \
	"models: {m: {expected_loading: 5, startsecs: 2s}}\n"                  \
	"applications:\n"                                                      \
	"  app1:\n"                                                            \
	"    start_sequence: 1\n"                                              \
	"    programs:\n"                                                      \
	"      p1: {command: /bin/a b, reference: m, identifiers: [al],\n"     \
	"           environment: {A: '1', B: '2'}, exitcodes: [0, 1]}\n"       \
	"      p2: {command: [/bin/c], stopwaitsecs: 10s}\n"                   \
	"  app2:\n"                                                            \
	"    programs: {q: {command: /bin/q}}\n"

static void
test_digest(void)
{
	static const char *const same[] = {
		/* other key order, comments, flow vs block, other spellings */
		HDR
		"# comment\n"
		"applications:\n"
		"  app2: {programs: {q: {command: [/bin/q]}}}\n"
		"  app1:\n"
		"    programs:\n"
		"      p2:\n"
		"        stopwaitsecs: 10000ms   # same duration\n"
		"        command: \"/bin/c\"\n"
		"      p1:\n"
		"        exitcodes: [1, 0]\n"
		"        environment:\n"
		"          B: \"2\"\n"
		"          A: \"1\"\n"
		"        identifiers:\n"
		"          - al\n"
		"        reference: m\n"
		"        command: [/bin/a, b]\n"
		"    start_sequence: 1\n"
		"models:\n"
		"  m: {startsecs: 2, expected_loading: 5}\n"
		"aliases:\n"
		"  al: [host1]\n"
		"cluster: {starting_strategy: less_loaded, name: other}\n"
		"instance: {name: host1, tags: [x]}\n"
		"stats: {history: 300}\n",
	};
	static const char *const different[] = {
		/* each changes one value */
		"/bin/a b", "/bin/a c",
		"expected_loading: 5", "expected_loading: 6",
		"startsecs: 2s", "startsecs: 3s",
		"A: '1'", "A: '11'",
		"[0, 1]", "[0, 2]",
		"identifiers: [al]", "identifiers: ['*']",
		"start_sequence: 1", "start_sequence: 2",
		/* what is written is hashed, even a default */
		"start_sequence: 1", "start_sequence: 1\n    stop_sequence: 1",
		"stopwaitsecs: 10s", "stopwaitsecs: 11s",
		"{q: {command: /bin/q}}", "{q: {command: /bin/q, numprocs_start: 1}}",
		"LESS_LOADED", "MOST_LOADED",
		/* cluster strategies are part of the rules */
		"{starting_strategy: LESS_LOADED}",
		"{starting_strategy: LESS_LOADED, auto_fence: true}",
		"{starting_strategy: LESS_LOADED}",
		"{starting_strategy: LESS_LOADED, load_source: MAX}",
		"al: [host1]", "al: [host1, al2], al2: [host1]",
		"app2:", "app3:",
		"p2:", "p3:",
	};
	char *base = digest_of(DIGEST_BASE), *d;
	size_t i;

	ASSERT_INT_EQ(strlen(base), 64);
	for (i = 0; i < ARRAY_SIZE(same); i++) {
		d = digest_of(same[i]);
		ASSERT_STR_EQ(d, base);
		free(d);
	}
	for (i = 0; i < ARRAY_SIZE(different); i += 2) {
		struct strbuf sb = STRBUF_INIT;
		const char *at = strstr(DIGEST_BASE, different[i]);

		ASSERT_NOT_NULL(at);
		strbuf_add(&sb, DIGEST_BASE, (size_t)(at - DIGEST_BASE));
		strbuf_adds(&sb, different[i + 1]);
		strbuf_adds(&sb, at + strlen(different[i]));
		d = digest_of(strbuf_str(&sb));
		if (strcmp(d, base) == 0)
			fprintf(stderr, "digest unchanged by '%s'\n",
				different[i + 1]);
		ASSERT_TRUE(strcmp(d, base) != 0);
		free(d);
		strbuf_done(&sb);
	}
	free(base);
}

static void
test_config_hash(void)
{
	struct rules *r1, *r2, *r3;
	const char *a = HDR "applications: {a: {programs: {p: {command: x, "
			    "start_sequence: 1}}}}\n";
	const char *b = HDR "applications: {a: {programs: {p: {command: x, "
			    "start_sequence: 2}}}}\n";
	const char *c = HDR "applications: {a: {programs: {p: {command: y, "
			    "start_sequence: 2}}}}\n";

	rc = load(a, &r1);
	ASSERT_INT_EQ(rc, 0);
	rc = load(b, &r2);
	ASSERT_INT_EQ(rc, 0);
	rc = load(c, &r3);
	ASSERT_INT_EQ(rc, 0);
	/* the rank is not a spawn setting: same hash, different digest */
	ASSERT_TRUE(memcmp(rules_process(r1, 0)->config_hash,
			   rules_process(r2, 0)->config_hash, 32) == 0);
	ASSERT_TRUE(strcmp(rules_digest(r1), rules_digest(r2)) != 0);
	ASSERT_TRUE(memcmp(rules_process(r2, 0)->config_hash,
			   rules_process(r3, 0)->config_hash, 32) != 0);
	rules_free(r1);
	rules_free(r2);
	rules_free(r3);
}

static void
test_enums(void)
{
	ASSERT_STR_EQ(rl_strategy_to_string(RL_STRATEGY_LESS_LOADED_NODE),
		      "LESS_LOADED_NODE");
	ASSERT_INT_EQ(rl_strategy_from_string("most_loaded"),
		      RL_STRATEGY_MOST_LOADED);
	ASSERT_INT_EQ(rl_strategy_from_string("nope"), -EINVAL);
	ASSERT_NULL(rl_strategy_to_string(_RL_STRATEGY_MAX));
	ASSERT_STR_EQ(rl_distribution_to_string(RL_DIST_SINGLE_NODE),
		      "SINGLE_NODE");
	ASSERT_INT_EQ(rl_starting_failure_from_string("Stop"),
		      RL_STARTING_STOP);
	ASSERT_STR_EQ(rl_running_failure_to_string(RL_RUNNING_RESTART),
		      "RESTART");
	ASSERT_INT_EQ(rl_conciliation_from_string("running_failure"),
		      RL_CONCILIATION_RUNNING_FAILURE);
	ASSERT_STR_EQ(rl_cluster_failure_to_string(RL_CLUSTER_FAILURE_RESYNC),
		      "RESYNC");
	ASSERT_INT_EQ(rl_load_source_from_string("max"), RL_LOAD_MAX);
	ASSERT_STR_EQ(rl_autorestart_to_string(RL_AUTORESTART_UNEXPECTED),
		      "unexpected");
	ASSERT_INT_EQ(rl_autorestart_from_string(NULL), -EINVAL);
}

static void
test_default_path(void)
{
	setenv("SUPVISORS_SCHED_CONFIG", "/x/y.yaml", 1);
	ASSERT_STR_EQ(rules_default_path(), "/x/y.yaml");
	setenv("SUPVISORS_SCHED_CONFIG", "", 1);
	ASSERT_STR_EQ(rules_default_path(),
		      SYSCONFDIR "/supvisors-sched/supvisors-sched.yaml");
	unsetenv("SUPVISORS_SCHED_CONFIG");
}

struct bad_case {
	const char *yaml;
	const char *diags;
};

static const struct bad_case bad_cases[] = {
	/* 1 */
	{"applications: {}\n",
	 "1:1: error: 'version: 1' is required at the top level\n"},
	/* 2 */
	{"",
	 "1:1: error: 'version: 1' is required at the top level\n"},
	/* 3 */
	{"version: 2\n",
	 "1:10: error: 'version' must be 1, not 2\n"},
	/* 4 */
	{"version: \"1\"\n",
	 "1:10: error: 'version' must be an integer, not the string '1'\n"},
	/* 5 */
	{"- 1\n" "- 2\n",
	 "1:1: error: the top level must be a mapping, not a list\n"},
	/* 6 */
	{"version: 1\n" "foo: 1\n",
	 "2:1: error: unknown key 'foo' at the top level\n"},
	/* 7 */
	{"version: 1\n" "applicatons: {}\n",
	 "2:1: error: unknown key 'applicatons' at the top level (did you mean 'applications'?)\n"},
	/* 8 */
	{"version: 1\n" "version: 1\n",
	 "2:1: error: duplicate key 'version' at the top level (first at 1:1)\n"},
	/* 9 */
	{"version: 1\n" "---\n" "version: 1\n",
	 "2:1: error: only one YAML document per file\n"},
	/* 10 */
	{"version: 1\n" "a: [1, 2\n",
	 "3:1: error: did not find expected ',' or ']' (while parsing a flow sequence at 2:4)\n"},
	/* 11 */
	{"version: 1\n" "a: \"x\n",
	 "3:1: error: found unexpected end of stream (while scanning a quoted scalar at 2:4)\n"},
	/* 12 */
	{"version: 1\n" "a:\n" "\tb: 1\n",
	 "3:1: error: found character that cannot start any token (while scanning for the next token at 3:1) (a tab in indentation: YAML allows spaces only)\n"},
	/* 13 */
	{"version: 1\n" "x-a: *nope\n",
	 "2:6: error: unknown alias '*nope'\n"},
	/* 14 */
	{"version: 1\n" "x-a: !!binary aGk=\n",
	 "2:6: error: tag 'tag:yaml.org,2002:binary' is not supported (only !!str)\n"},
	/* 15 */
	{"version: 1\n" "x-a: \"nul\\0\"\n",
	 "2:6: error: NUL character in a string\n"},
	/* 16 */
	{"version: 1\n" "applications: [a]\n",
	 "2:15: error: 'applications' must be a mapping, not a list\n"},
	/* 17 */
	{"version: 1\n" "applications:\n" "  \"a:b\": {}\n",
	 "3:3: error: application name 'a:b' may contain only letters, digits, '_', '.' and '-'\n"},
	/* 18 */
	{"version: 1\n" "applications:\n" "  a: {}\n" "  a: {}\n",
	 "4:3: error: duplicate key 'a' in 'applications' (first at 3:3)\n" "3:3: warning: application 'a' has no programs\n"},
	/* 19 */
	{"version: 1\n" "applications:\n" "  a: 3\n",
	 "3:6: error: application 'a' must be a mapping, not a scalar\n" "3:3: warning: application 'a' has no programs\n"},
	/* 20 */
	{"version: 1\n" "include: [nothing-here.yaml]\n",
	 "2:11: error: cannot include 'nothing-here.yaml': No such file or directory\n"},
	/* 21 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        comand: y\n",
	 "7:9: error: unknown key 'comand' in program 'p' (did you mean 'command'?)\n"},
	/* 22 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        command: y\n",
	 "7:9: error: duplicate key 'command' in program 'p' (first at 6:9)\n"},
	/* 23 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p: {numprocs: 1}\n",
	 "5:7: error: program 'p' has no 'command'\n"},
	/* 24 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n",
	 "5:9: error: program 'p' needs settings (at least 'command')\n"},
	/* 25 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p: {command: []}\n",
	 "5:20: error: 'command' is empty\n"},
	/* 26 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p: {command: {a: 1}}\n",
	 "5:20: error: 'command' must be a string or a list, not a mapping\n"},
	/* 27 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p: {command: \"a 'b\"}\n",
	 "5:20: error: unterminated single quote in command\n"},
	/* 28 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p: {command: [\"\", x]}\n",
	 "5:21: error: 'command' has an empty program name\n"},
	/* 29 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p: {command: [[x]]}\n",
	 "5:21: error: 'command' items must be strings, not a list\n"},
	/* 30 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        numprocs: 0\n",
	 "7:19: error: 'numprocs' must be between 1 and 10000, not 0\n"},
	/* 31 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        numprocs: abc\n",
	 "7:19: error: 'numprocs' must be an integer, not 'abc'\n"},
	/* 32 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        numprocs: \"2\"\n",
	 "7:19: error: 'numprocs' must be an integer, not the string '2'\n"},
	/* 33 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        numprocs: 3\n",
	 "7:19: error: 'process_name' must contain %(process_num) when numprocs > 1 (it is '%(program_name)s')\n"},
	/* 34 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        numprocs: 2\n" "        process_name: fixed\n",
	 "8:23: error: 'process_name' must contain %(process_num) when numprocs > 1 (it is 'fixed')\n"},
	/* 35 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        numprocs_start: -1\n",
	 "7:25: error: 'numprocs_start' must be between 0 and 1000000, not -1\n"},
	/* 36 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        process_name: \"a:b\"\n",
	 "7:23: error: process name 'a:b' may contain only letters, digits, '_', '.' and '-'\n"},
	/* 37 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        process_name: \"%(nope)s\"\n",
	 "7:23: error: 'process_name': unknown expansion '%(nope)'\n"},
	/* 38 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        process_name: \"%(program_name)d\"\n",
	 "7:23: error: 'process_name': '%(program_name)d' needs a number; 'program_name' is a string\n"},
	/* 39 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        process_name: \"%(program_name)\"\n",
	 "7:23: error: 'process_name': '%(program_name)' has no conversion (e.g. 's' or 'd')\n"},
	/* 40 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        process_name: \"%(program_name\"\n",
	 "7:23: error: 'process_name': '%(' without a closing ')'\n"},
	/* 41 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        directory: relative/dir\n",
	 "7:20: error: 'directory' must be an absolute path, not 'relative/dir'\n"},
	/* 42 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        umask: 999\n",
	 "7:16: error: 'umask' must be an octal mode (e.g. 022), not '999'\n"},
	/* 43 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        umask: [1]\n",
	 "7:16: error: 'umask' must be an octal mode (e.g. 022), not a list\n"},
	/* 44 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        user: nobody\n",
	 "7:15: error: 'user' needs the daemon to run as root\n"},
	/* 45 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        environment: [A=1]\n",
	 "7:22: error: 'environment' must be a mapping, not a list\n"},
	/* 46 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        environment: {1A: x}\n",
	 "7:23: error: '1A' is not a valid environment variable name\n"},
	/* 47 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        environment: {A: x, A: y}\n",
	 "7:29: error: duplicate key 'A' in 'environment' (first at 7:23)\n"},
	/* 48 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        environment: {A: [x]}\n",
	 "7:26: error: environment value of 'A' must be a string, not a list\n"},
	/* 49 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        environment: {A: ~}\n",
	 "7:26: error: environment value of 'A' must be a string, not null\n"},
	/* 50 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        environment: {A: \"%(ENV_NOPE)s\"}\n",
	 "7:26: error: 'environment': environment variable 'NOPE' is not set (in '%(ENV_NOPE)')\n"},
	/* 51 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        autorestart: maybe\n",
	 "7:22: error: 'autorestart' must be one of false, true, unexpected, not 'maybe'\n"},
	/* 52 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        startsecs: 2h\n",
	 "7:20: error: 'startsecs' must be between 0s and 1h, not 2h\n"},
	/* 53 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        startsecs: soon\n",
	 "7:20: error: 'startsecs' must be a duration (e.g. 10s, 500ms), not 'soon'\n"},
	/* 54 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        startretries: -1\n",
	 "7:23: error: 'startretries' must be between 0 and 10000, not -1\n"},
	/* 55 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        exitcodes: [0, 256]\n",
	 "7:24: error: 'exitcodes' must be between 0 and 255, not 256\n"},
	/* 56 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        exitcodes: []\n",
	 "7:20: error: 'exitcodes' is empty\n"},
	/* 57 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        exitcodes: [\"0\"]\n",
	 "7:21: error: 'exitcodes' must be an integer, not the string '0'\n"},
	/* 58 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        stopsignal: FOO\n",
	 "7:21: error: 'stopsignal' must be a signal name (e.g. TERM, SIGINT), not 'FOO'\n"},
	/* 59 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        stopwaitsecs: -1s\n",
	 "7:23: error: 'stopwaitsecs' must be a duration (e.g. 10s, 500ms), not '-1s'\n"},
	/* 60 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        stopasgroup: 1\n",
	 "7:22: error: 'stopasgroup' must be true or false, not '1'\n"},
	/* 61 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        stopasgroup: true\n" "        killasgroup: false\n",
	 "8:22: error: 'killasgroup' cannot be false when 'stopasgroup' is true\n"},
	/* 62 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        redirect_stderr: \"true\"\n",
	 "7:26: error: 'redirect_stderr' must be true or false, not the string 'true'\n"},
	/* 63 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        stdout_logfile: \"\"\n",
	 "7:25: error: 'stdout_logfile' is empty\n"},
	/* 64 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        stdout_logfile: \"%(foo)s.log\"\n",
	 "7:25: error: 'stdout_logfile': unknown expansion '%(foo)'\n"},
	/* 65 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        stdout_logfile_maxbytes: 5XB\n",
	 "7:34: error: 'stdout_logfile_maxbytes' must be a size (e.g. 50MB, 256KiB), not '5XB'\n"},
	/* 66 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        stdout_logfile_maxbytes: 2TiB\n",
	 "7:34: error: 'stdout_logfile_maxbytes' must be at most 1TiB, not 2TiB\n"},
	/* 67 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        stdout_logfile_backups: 1001\n",
	 "7:33: error: 'stdout_logfile_backups' must be between 0 and 1000, not 1001\n"},
	/* 68 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        stderr_logfile: [a]\n",
	 "7:25: error: 'stderr_logfile' must be a scalar, not a list\n"},
	/* 69 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        stderr_logfile_maxbytes: -1\n",
	 "7:34: error: 'stderr_logfile_maxbytes' must be a size (e.g. 50MB, 256KiB), not '-1'\n"},
	/* 70 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        stderr_logfile_backups: x\n",
	 "7:33: error: 'stderr_logfile_backups' must be an integer, not 'x'\n"},
	/* 71 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        identifiers: [nope]\n",
	 "7:23: error: unknown identifier 'nope': not an instance, an alias or a tag\n"},
	/* 72 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        identifiers: ['#']\n",
	 "7:23: error: '#' spreads a homogeneous group: program 'p' needs numprocs > 1\n"},
	/* 73 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        identifiers: ['@']\n",
	 "7:23: error: '@' spreads a homogeneous group: program 'p' needs numprocs > 1\n"},
	/* 74 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        identifiers: [{a: 1}]\n",
	 "7:23: error: 'identifiers' items must be strings, not a mapping\n"},
	/* 75 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        identifiers: ['*', host1]\n",
	 "7:28: error: '*' (every instance) cannot be combined with names\n"},
	/* 76 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        numprocs: 2\n" "        process_name: \"p%(process_num)d\"\n" "        identifiers: ['#', '@']\n",
	 "9:28: error: '#' and '@' cannot be combined\n"},
	/* 77 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        required: true\n",
	 "7:19: error: 'required' needs 'start_sequence' > 0: a process never started automatically cannot be required\n"},
	/* 78 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        required: maybe\n",
	 "7:19: error: 'required' must be true or false, not 'maybe'\n"},
	/* 79 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        start_sequence: 1001\n",
	 "7:25: error: 'start_sequence' must be between 0 and 1000, not 1001\n"},
	/* 80 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        stop_sequence: -1\n",
	 "7:24: error: 'stop_sequence' must be between 0 and 1000, not -1\n"},
	/* 81 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        wait_exit: 2\n",
	 "7:20: error: 'wait_exit' must be true or false, not '2'\n"},
	/* 82 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        wait_exit_timeout: 2d\n",
	 "7:28: error: 'wait_exit_timeout' must be between 0s and 24h, not 2d\n"},
	/* 83 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        expected_loading: 101\n",
	 "7:27: error: 'expected_loading' must be between 0 and 100, not 101\n"},
	/* 84 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        expected_loading: 10.5\n",
	 "7:27: error: 'expected_loading' must be an integer, not '10.5'\n"},
	/* 85 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        reference: nope\n",
	 "7:20: error: program 'p' refers to unknown model 'nope'\n"},
	/* 86 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        reference: [a]\n",
	 "7:20: error: 'reference' must be a scalar, not a list\n"},
	/* 87 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        starting_failure_strategy: ABORTT\n",
	 "7:36: error: 'starting_failure_strategy' must be one of ABORT, STOP, CONTINUE, not 'ABORTT' (did you mean 'ABORT'?)\n"},
	/* 88 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        running_failure_strategy: restart_app\n",
	 "7:35: error: 'running_failure_strategy' must be one of CONTINUE, RESTART_PROCESS, STOP_APPLICATION, RESTART_APPLICATION, SHUTDOWN, RESTART, not 'restart_app'\n"},
	/* 89 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p:\n" "        command: x\n" "        running_failure_strategy: RESTART_APPLICATION\n" "        autorestart: true\n",
	 "8:22: error: 'autorestart' must be false with running_failure_strategy RESTART_APPLICATION (the application is handled as a whole)\n"},
	/* 90 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs: {p: {command: x}}\n" "    distribution: single\n",
	 "5:19: error: 'distribution' must be one of ALL_INSTANCES, SINGLE_INSTANCE, SINGLE_NODE, not 'single'\n"},
	/* 91 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs: {p: {command: x}}\n" "    identifiers: [nope]\n" "    distribution: SINGLE_NODE\n",
	 "5:19: error: unknown identifier 'nope': not an instance, an alias or a tag\n"},
	/* 92 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs: {p: {command: x}}\n" "    identifiers: ['@']\n" "    distribution: SINGLE_NODE\n",
	 "5:19: error: '@' is not allowed on an application (only on a program with numprocs > 1)\n"},
	/* 93 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs: {p: {command: x}}\n" "    identifiers: ['#']\n" "    distribution: SINGLE_NODE\n",
	 "5:19: error: '#' on an application needs a name ending in -N or _N (N >= 1), like 'a_01'\n"},
	/* 94 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs: {p: {command: x}}\n" "    start_sequence: x\n",
	 "5:21: error: 'start_sequence' must be an integer, not 'x'\n"},
	/* 95 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs: {p: {command: x}}\n" "    stop_sequence: 1.5\n",
	 "5:20: error: 'stop_sequence' must be an integer, not '1.5'\n"},
	/* 96 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs: {p: {command: x}}\n" "    starting_strategy: LEAST_LOADED\n",
	 "5:24: error: 'starting_strategy' must be one of CONFIG, LESS_LOADED, MOST_LOADED, LOCAL, LESS_LOADED_NODE, MOST_LOADED_NODE, not 'LEAST_LOADED' (did you mean 'LESS_LOADED'?)\n"},
	/* 97 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs: {p: {command: x}}\n" "    starting_failure_strategy: RETRY\n",
	 "5:32: error: 'starting_failure_strategy' must be one of ABORT, STOP, CONTINUE, not 'RETRY'\n"},
	/* 98 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs: {p: {command: x}}\n" "    running_failure_strategy: null\n",
	 "5:31: error: 'running_failure_strategy' must be one of CONTINUE, RESTART_PROCESS, STOP_APPLICATION, RESTART_APPLICATION, SHUTDOWN, RESTART, not null\n"},
	/* 99 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs: {p: {command: x}}\n" "    operational_status: [a]\n",
	 "5:25: error: 'operational_status' must be a scalar, not a list\n"},
	/* operational_status formulas are checked at load */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs: {p: {command: x}}\n" "    operational_status: \"'p' and or 'q'\"\n",
	 "5:34: error: operational_status: expected a quoted name, '(', 'not', 'any' or 'all', got 'or'\n"},
	{"version: 1\n" "applications:\n" "  a:\n" "    programs: {p: {command: x}}\n" "    operational_status: (any('p')\n",
	 "5:34: error: operational_status: expected ')' to close '(' at column 1, got end of formula\n"},
	{"version: 1\n" "applications:\n" "  a:\n" "    programs: {p: {command: x}}\n" "    operational_status: \"'nope'\"\n",
	 "5:25: error: operational_status: an operand outside any() or all() must name exactly one process of application 'a'\n"},
	/* 100 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs: {p: {command: x}}\n" "    programz: {}\n",
	 "5:5: error: unknown key 'programz' in application 'a' (did you mean 'programs'?)\n"},
	/* 101 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs: {p: {command: x}}\n" "    programs: {p: {command: y}}\n",
	 "5:5: error: duplicate key 'programs' in application 'a' (first at 4:5)\n"},
	/* 102 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs: [p]\n",
	 "4:15: error: 'programs' must be a mapping, not a list\n"},
	/* 103 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      \"bad name\": {command: x}\n",
	 "5:7: error: program name 'bad name' may contain only letters, digits, '_', '.' and '-'\n"},
	/* 104 */
	{"version: 1\n" "applications:\n" "  a:\n" "    programs:\n" "      p: {command: x, process_name: q}\n" "      q: {command: x}\n",
	 "6:7: error: process 'a:q' of program 'q' has the name of a process of program 'p'\n"},
	/* 105 */
	{"version: 1\n" "models: {m: {comand: x}}\n",
	 "2:14: error: unknown key 'comand' in model 'm' (did you mean 'command'?)\n"},
	/* 106 */
	{"version: 1\n" "models: {m: {reference: m}}\n",
	 "2:25: error: model cycle: model 'm' refers back to 'm'\n"},
	/* 107 */
	{"version: 1\n" "models: {a: {reference: b}, b: {reference: a}}\n",
	 "2:44: error: model cycle: model 'b' refers back to 'a'\n"},
	/* 108 */
	{"version: 1\n" "models: {a: {reference: b}, b: {reference: c}, c: {reference: d}, d: {command: x}}\n",
	 "2:63: error: model chain too long: 'a' -> 'b' -> 'c' -> 'd' (at most 3 models)\n"},
	/* 109 */
	{"version: 1\n" "models: {a: {reference: zz}}\n",
	 "2:25: error: model 'a' refers to unknown model 'zz'\n"},
	/* 110 */
	{"version: 1\n" "models: [a]\n",
	 "2:9: error: 'models' must be a mapping, not a list\n"},
	/* 111 */
	{"version: 1\n" "aliases: {a: [b], b: [a]}\n",
	 "2:11: error: alias 'a' refers to itself (alias cycle)\n"},
	/* 112 */
	{"version: 1\n" "aliases: {a: [zz]}\n",
	 "2:15: error: unknown identifier 'zz' in alias 'a': not an instance, an alias or a tag\n"},
	/* 113 */
	{"version: 1\n" "aliases: {host1: [host1]}\n",
	 "2:11: error: alias 'host1' has the name of an instance\n"},
	/* 114 */
	{"version: 1\n" "aliases: {a: []}\n",
	 "2:14: error: alias 'a' must be a non-empty list of names, not an empty list\n"},
	/* 115 */
	{"version: 1\n" "aliases: {a: ['*']}\n",
	 "2:15: error: '*' is not allowed in an alias\n"},
	/* 116 */
	{"version: 1\n" "aliases: {a: [[b]]}\n",
	 "2:15: error: alias 'a' items must be names, not a list\n"},
	/* 117 */
	{"version: 1\n" "instance: {tags: [t]}\n" "aliases: {t: [host1]}\n",
	 "3:11: error: alias 't' has the name of a tag\n"},
	/* 118 */
	{"version: 1\n" "instance:\n" "  name: \"bad name\"\n",
	 "3:9: error: instance name 'bad name' may contain only letters, digits, '_', '.' and '-'\n"},
	/* 119 */
	{"version: 1\n" "instance:\n" "  listen: nope\n",
	 "3:11: error: 'listen' must be HOST:PORT (port 1-65535, IPv6 in brackets), not 'nope'\n"},
	/* 120 */
	{"version: 1\n" "instance:\n" "  listen: \"127.0.0.1:0\"\n",
	 "3:11: error: 'listen' must be HOST:PORT (port 1-65535, IPv6 in brackets), not '127.0.0.1:0'\n"},
	/* 121 */
	{"version: 1\n" "instance:\n" "  listen: \"10.1.2.3:7700\"\n",
	 "3:11: error: 'cluster.key_file' is required: address '10.1.2.3:7700' is not loopback, and peer traffic off this host must be sealed\n"},
	/* 122 */
	{"version: 1\n" "instance:\n" "  advertise: \"[::1]7700\"\n",
	 "3:14: error: 'advertise' must be HOST:PORT (port 1-65535, IPv6 in brackets), not '[::1]7700'\n"},
	/* 123 */
	{"version: 1\n" "instance:\n" "  http: \":80\"\n",
	 "3:9: error: 'http' must be HOST:PORT (port 1-65535, IPv6 in brackets), not ':80'\n"},
	/* 124 */
	{"version: 1\n" "instance:\n" "  tags: [a, \"b c\"]\n",
	 "3:13: error: tag 'b c' may contain only letters, digits, '_', '.' and '-'\n"},
	/* 125 */
	{"version: 1\n" "instance:\n" "  tags: {a: 1}\n",
	 "3:9: error: 'tags' must be a list, not a mapping\n"},
	/* 126 */
	{"version: 1\n" "instance:\n" "  control: \"%(instance_nam)s.sock\"\n",
	 "3:12: error: 'control': unknown expansion '%(instance_nam)' (did you mean '%(instance_name)'?)\n"},
	/* 127 */
	{"version: 1\n" "instance:\n" "  state_dir: \"\"\n",
	 "3:14: error: 'state_dir' is empty\n"},
	/* 128 */
	{"version: 1\n" "instance:\n" "  log_dir: [x]\n",
	 "3:12: error: 'log_dir' must be a scalar, not a list\n"},
	/* 129 */
	{"version: 1\n" "instance:\n" "  http_public_read: yess\n",
	 "3:21: error: 'http_public_read' must be true or false, not 'yess'\n"},
	/* 130 */
	{"version: 1\n" "instance:\n" "  http_token_file: \"%(ENV_NOPE)s\"\n",
	 "3:20: error: 'http_token_file': environment variable 'NOPE' is not set (in '%(ENV_NOPE)')\n"},
	/* 131 */
	{"version: 1\n" "instance:\n" "  machine: ~\n",
	 "3:12: error: 'machine' needs a value\n"},
	/* 132 */
	{"version: 1\n" "instance:\n" "  nmae: x\n",
	 "3:3: error: unknown key 'nmae' in 'instance' (did you mean 'name'?)\n"},
	/* 133 */
	{"version: 1\n" "instance: [a]\n",
	 "2:11: error: 'instance' must be a mapping, not a list\n"},
	/* 134 */
	{"version: 1\n" "cluster:\n" "  instances: {n1: \"10.0.0.1:7700\"}\n",
	 "3:14: warning: this instance 'host1' is not in 'cluster.instances'; it can only join as a discovered instance\n" "3:19: error: 'cluster.key_file' is required: address '10.0.0.1:7700' is not loopback, and peer traffic off this host must be sealed\n"},
	/* 135 */
	{"version: 1\n" "cluster:\n" "  instances: {n1: \"127.0.0.1:77000\"}\n",
	 "3:19: error: 'address' must be HOST:PORT (port 1-65535, IPv6 in brackets), not '127.0.0.1:77000'\n"},
	/* 136 */
	{"version: 1\n" "cluster:\n" "  instances: {n1: \"127.0.0.1:7700\", n2: \"127.0.0.1:7700\"}\n",
	 "3:41: error: address '127.0.0.1:7700' is used by instances 'n1' and 'n2'\n" "3:14: warning: this instance 'host1' is not in 'cluster.instances'; it can only join as a discovered instance\n"},
	/* 137 */
	{"version: 1\n" "cluster:\n" "  instances: {n1: \"127.0.0.1:7700\", n1: \"127.0.0.1:7701\"}\n",
	 "3:37: error: duplicate key 'n1' in 'cluster.instances' (first at 3:15)\n" "3:14: warning: this instance 'host1' is not in 'cluster.instances'; it can only join as a discovered instance\n"},
	/* 138 */
	{"version: 1\n" "cluster:\n" "  instances: {n1: {address: \"127.0.0.1:7700\", tag: [x]}}\n",
	 "3:47: error: unknown key 'tag' in cluster instance 'n1' (did you mean 'tags'?)\n" "3:14: warning: this instance 'host1' is not in 'cluster.instances'; it can only join as a discovered instance\n"},
	/* 139 */
	{"version: 1\n" "cluster:\n" "  instances: {n1: {tags: [x]}}\n",
	 "3:15: error: cluster instance 'n1' needs an 'address'\n"},
	/* 140 */
	{"version: 1\n" "cluster:\n" "  instances: {n1: [x]}\n",
	 "3:19: error: cluster instance 'n1' must be \"HOST:PORT\" or a mapping with 'address' and 'tags', not a list\n"},
	/* 141 */
	{"version: 1\n" "cluster:\n" "  instances: [n1]\n",
	 "3:14: error: 'cluster.instances' must be a mapping, not a list\n"},
	/* 142 */
	{"version: 1\n" "cluster:\n" "  core: [n3]\n",
	 "3:10: error: core instance 'n3' is not an instance\n"},
	/* 143 */
	{"version: 1\n" "cluster:\n" "  synchro: [CORE]\n",
	 "3:12: error: synchro option CORE needs 'cluster.core' instances\n"},
	/* 144 */
	{"version: 1\n" "cluster:\n" "  synchro: [STRICT]\n",
	 "3:12: error: synchro options STRICT and LIST need 'cluster.instances'\n"},
	/* 145 */
	{"version: 1\n" "cluster:\n" "  synchro: []\n",
	 "3:12: error: 'synchro' needs at least one of STRICT, LIST, TIMEOUT, CORE, USER\n"},
	/* 146 */
	{"version: 1\n" "cluster:\n" "  synchro: [STRICT, FOO]\n",
	 "3:21: error: 'synchro' must be one of STRICT, LIST, TIMEOUT, CORE, USER, not 'FOO'\n"},
	/* 147 */
	{"version: 1\n" "cluster:\n" "  synchro_timeout: 5s\n",
	 "3:20: error: 'synchro_timeout' must be between 15s and 20m, not 5s\n"},
	/* 148 */
	{"version: 1\n" "cluster:\n" "  synchro_timeout: 1h\n",
	 "3:20: error: 'synchro_timeout' must be between 15s and 20m, not 1h\n"},
	/* 149 */
	{"version: 1\n" "cluster:\n" "  failure_strategy: RESYNC\n",
	 "3:21: error: 'failure_strategy' RESYNC needs a 'synchro' without TIMEOUT (after a timeout, missing instances are expected: only CONTINUE applies)\n"},
	/* 150 */
	{"version: 1\n" "cluster:\n" "  auto_fence: 0\n",
	 "3:15: error: 'auto_fence' must be true or false, not '0'\n"},
	/* 151 */
	{"version: 1\n" "cluster:\n" "  starting_strategy: FIRST\n",
	 "3:22: error: 'starting_strategy' must be one of CONFIG, LESS_LOADED, MOST_LOADED, LOCAL, LESS_LOADED_NODE, MOST_LOADED_NODE, not 'FIRST'\n"},
	/* 152 */
	{"version: 1\n" "cluster:\n" "  conciliation_strategy: KILL\n",
	 "3:26: error: 'conciliation_strategy' must be one of SENICIDE, INFANTICIDE, USER, STOP, RESTART, RUNNING_FAILURE, not 'KILL'\n"},
	/* 153 */
	{"version: 1\n" "cluster:\n" "  load_source: CPU\n",
	 "3:16: error: 'load_source' must be one of EXPECTED, MEASURED, MAX, not 'CPU'\n"},
	/* 154 */
	{"version: 1\n" "cluster:\n" "  name: ~\n",
	 "3:9: error: 'name' needs a value\n"},
	/* 155 */
	{"version: 1\n" "cluster:\n" "  key_file: [a]\n",
	 "3:13: error: 'key_file' must be a scalar, not a list\n"},
	/* 156 */
	{"version: 1\n" "cluster:\n" "  gossip:\n" "    probe_timeout: 2s\n",
	 "4:20: error: 'probe_timeout' (2000ms) must be shorter than 'probe_interval' (400ms)\n"},
	/* 157 */
	{"version: 1\n" "cluster:\n" "  gossip:\n" "    probe_intervl: 2s\n",
	 "4:5: error: unknown key 'probe_intervl' in 'cluster.gossip' (did you mean 'probe_interval'?)\n"},
	/* 158 */
	{"version: 1\n" "cluster:\n" "  gossip:\n" "    probe_interval: 50ms\n",
	 "4:21: error: 'probe_interval' must be between 100ms and 1m, not 50ms\n"},
	/* 159 */
	{"version: 1\n" "cluster:\n" "  gossip:\n" "    indirect_checks: 17\n",
	 "4:22: error: 'indirect_checks' must be between 0 and 16, not 17\n"},
	/* 160 */
	{"version: 1\n" "cluster:\n" "  gossip:\n" "    suspicion_mult: 0\n",
	 "4:21: error: 'suspicion_mult' must be between 1 and 32, not 0\n"},
	/* 161 */
	{"version: 1\n" "cluster:\n" "  gossip:\n" "    retransmit_mult: 33\n",
	 "4:22: error: 'retransmit_mult' must be between 1 and 32, not 33\n"},
	/* 162 */
	{"version: 1\n" "cluster:\n" "  gossip:\n" "    gossip_interval: 5ms\n",
	 "4:22: error: 'gossip_interval' must be between 10ms and 1m, not 5ms\n"},
	/* 163 */
	{"version: 1\n" "cluster:\n" "  gossip:\n" "    gossip_nodes: 0\n",
	 "4:19: error: 'gossip_nodes' must be between 1 and 64, not 0\n"},
	/* 164 */
	{"version: 1\n" "cluster:\n" "  gossip:\n" "    sync_interval: 500ms\n",
	 "4:20: error: 'sync_interval' must be between 1s and 24h, not 500ms\n"},
	/* 165 */
	{"version: 1\n" "stats:\n" "  periods: [10s, 20s, 30s, 40s]\n",
	 "3:12: error: 'periods' needs 1 to 3 periods, not 4\n"},
	/* 166 */
	{"version: 1\n" "stats:\n" "  periods: []\n",
	 "3:12: error: 'periods' needs 1 to 3 periods, not 0\n"},
	/* 167 */
	{"version: 1\n" "stats:\n" "  periods: [10s, 10s]\n",
	 "3:18: error: period 10s is given twice\n"},
	/* 168 */
	{"version: 1\n" "stats:\n" "  periods: [2h]\n",
	 "3:13: error: 'periods' must be between 1s and 1h, not 2h\n"},
	/* 169 */
	{"version: 1\n" "stats:\n" "  collecting_period: 3s\n",
	 "3:22: error: period 10s is not a multiple of 'collecting_period' 3s\n"},
	/* 170 */
	{"version: 1\n" "stats:\n" "  collecting_period: 0s\n",
	 "3:22: error: 'collecting_period' must be between 1s and 1h, not 0s\n"},
	/* 171 */
	{"version: 1\n" "stats:\n" "  enabled: [HOST, CPU]\n",
	 "3:19: error: 'enabled' must be one of HOST, PROCESS, not 'CPU'\n"},
	/* 172 */
	{"version: 1\n" "stats:\n" "  enabled: SOME\n",
	 "3:12: error: 'enabled' must be one of OFF, HOST, PROCESS, ALL, not 'SOME'\n"},
	/* 173 */
	{"version: 1\n" "stats:\n" "  history: 5\n",
	 "3:12: error: 'history' must be between 10 and 1500, not 5\n"},
	/* 174 */
	{"version: 1\n" "stats:\n" "  irix_mode: on-ish\n",
	 "3:14: error: 'irix_mode' must be true or false, not 'on-ish'\n"},
	/* 175 */
	{"version: 1\n" "stats:\n" "  histroy: 10\n",
	 "3:3: error: unknown key 'histroy' in 'stats' (did you mean 'history'?)\n"},
};

static void
test_bad(void)
{
	struct rules *r;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		rc = load(bad_cases[i].yaml, &r);

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
		{"every key", test_every_key},
		{"models", test_models},
		{"identifiers and aliases", test_identifiers},
		{"expansions", test_expansions},
		{"shell words", test_shell_words},
		{"booleans", test_booleans},
		{"user as root", test_root_user},
		{"tags and merge keys", test_tags_and_merge_keys},
		{"includes", test_includes},
		{"alias bomb", test_alias_bomb},
		{"limits", test_limits},
		{"many errors", test_many_errors},
		{"json", test_json},
		{"digest", test_digest},
		{"config hash", test_config_hash},
		{"enums", test_enums},
		{"default path", test_default_path},
	};

	return test_main(argc, argv, "rules", cases, ARRAY_SIZE(cases));
}
