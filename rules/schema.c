/*
 * rules/schema: one table per YAML mapping, and the walker that types
 * every scalar through them.
 *
 * The tables are the single description of the language: the walker, the
 * model merge, the digest and `supvisors-sched check --dump-keys` (which
 * the man page drift test reads) all iterate them.  A scalar is typed by
 * its table entry and by how it was written: a quoted "123" is a string
 * and never an integer, a plain yes/no/on/off is a boolean with a warning
 * (supervisord habits; YAML 1.2 reads them as strings).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"
#include "rules/schema.h"

#define DUR_H (3600LL * 1000)
#define DUR_D (24 * DUR_H)

#define F(st, k, t, lo, hi, m, d, ...)                                         \
	{                                                                      \
		.key = k, .type = t, .min = lo, .max = hi,                     \
		.off = offsetof(struct st, m), .def = d, __VA_ARGS__           \
	}

#define P(idx, ...) [idx] = F(praw, __VA_ARGS__)
static const struct field program_fields[] = {
	P(PF_COMMAND, "command", T_ARGV, 0, 0, command, "(required)"),
	P(PF_PROCESS_NAME, "process_name", T_STR, 0, 0, process_name,
	  "%(program_name)s"),
	P(PF_NUMPROCS, "numprocs", T_INT, 1, 10000, numprocs, "1"),
	P(PF_NUMPROCS_START, "numprocs_start", T_INT, 0, 1000000,
	  numprocs_start, "0"),
	P(PF_DIRECTORY, "directory", T_NSTR, 0, 0, directory, "null",
	  .nullable = true),
	P(PF_UMASK, "umask", T_UMASK, 0, 0777, umask, "null",
	  .nullable = true),
	P(PF_USER, "user", T_NSTR, 0, 0, user, "null", .nullable = true),
	P(PF_ENVIRONMENT, "environment", T_ENV, 0, 0, environment, "{}"),
	P(PF_AUTORESTART, "autorestart", T_AUTORESTART, 0, 0, autorestart,
	  "unexpected", .names = rl_autorestart_names),
	P(PF_STARTSECS, "startsecs", T_DUR, 0, DUR_H, startsecs, "1s"),
	P(PF_STARTRETRIES, "startretries", T_INT, 0, 10000, startretries,
	  "3"),
	P(PF_EXITCODES, "exitcodes", T_EXITCODES, 0, 255, exitcodes, "[0]"),
	P(PF_STOPSIGNAL, "stopsignal", T_SIGNAL, 0, 0, stopsignal, "TERM"),
	P(PF_STOPWAITSECS, "stopwaitsecs", T_DUR, 0, DUR_H, stopwaitsecs,
	  "10s"),
	P(PF_STOPASGROUP, "stopasgroup", T_BOOL, 0, 0, stopasgroup, "false"),
	P(PF_KILLASGROUP, "killasgroup", T_BOOL, 0, 0, killasgroup,
	  "stopasgroup"),
	P(PF_REDIRECT_STDERR, "redirect_stderr", T_BOOL, 0, 0,
	  redirect_stderr, "false"),
	P(PF_STDOUT_LOGFILE, "stdout_logfile", T_STR, 0, 0, stdout_logfile,
	  "AUTO"),
	P(PF_STDOUT_MAXBYTES, "stdout_logfile_maxbytes", T_SIZE, 0,
	  1LL << 40, stdout_maxbytes, "50MB"),
	P(PF_STDOUT_BACKUPS, "stdout_logfile_backups", T_INT, 0, 1000,
	  stdout_backups, "10"),
	P(PF_STDERR_LOGFILE, "stderr_logfile", T_STR, 0, 0, stderr_logfile,
	  "AUTO"),
	P(PF_STDERR_MAXBYTES, "stderr_logfile_maxbytes", T_SIZE, 0,
	  1LL << 40, stderr_maxbytes, "50MB"),
	P(PF_STDERR_BACKUPS, "stderr_logfile_backups", T_INT, 0, 1000,
	  stderr_backups, "10"),
	P(PF_IDENTIFIERS, "identifiers", T_LIST, 0, 0, identifiers, "[\"*\"]"),
	P(PF_REQUIRED, "required", T_BOOL, 0, 0, required, "false"),
	P(PF_START_SEQUENCE, "start_sequence", T_INT, 0, 1000,
	  start_sequence, "0"),
	P(PF_STOP_SEQUENCE, "stop_sequence", T_INT, 0, 1000, stop_sequence,
	  "start_sequence"),
	P(PF_WAIT_EXIT, "wait_exit", T_BOOL, 0, 0, wait_exit, "false"),
	P(PF_WAIT_EXIT_TIMEOUT, "wait_exit_timeout", T_DUR, 0, DUR_D,
	  wait_exit_timeout, "0s"),
	P(PF_EXPECTED_LOADING, "expected_loading", T_INT, 0, 100,
	  expected_loading, "0"),
	P(PF_REFERENCE, "reference", T_NSTR, 0, 0, reference, "null",
	  .nullable = true),
	P(PF_STARTING_FAILURE, "starting_failure_strategy", T_ENUM, 0, 0,
	  starting_failure, "application's", .names = rl_starting_failure_names),
	P(PF_RUNNING_FAILURE, "running_failure_strategy", T_ENUM, 0, 0,
	  running_failure, "application's", .names = rl_running_failure_names),
};
#undef P

#define A(idx, ...) [idx] = F(araw, __VA_ARGS__)
static const struct field application_fields[] = {
	A(AF_DISTRIBUTION, "distribution", T_ENUM, 0, 0, distribution,
	  "ALL_INSTANCES", .names = rl_distribution_names),
	A(AF_IDENTIFIERS, "identifiers", T_LIST, 0, 0, identifiers,
	  "[\"*\"]"),
	A(AF_START_SEQUENCE, "start_sequence", T_INT, 0, 1000, start_sequence,
	  "0"),
	A(AF_STOP_SEQUENCE, "stop_sequence", T_INT, 0, 1000, stop_sequence,
	  "start_sequence"),
	A(AF_STARTING_STRATEGY, "starting_strategy", T_ENUM, 0, 0,
	  starting_strategy, "cluster.starting_strategy",
	  .names = rl_strategy_names),
	A(AF_STARTING_FAILURE, "starting_failure_strategy", T_ENUM, 0, 0,
	  starting_failure, "ABORT", .names = rl_starting_failure_names),
	A(AF_RUNNING_FAILURE, "running_failure_strategy", T_ENUM, 0, 0,
	  running_failure, "CONTINUE", .names = rl_running_failure_names),
	A(AF_OPERATIONAL_STATUS, "operational_status", T_NSTR, 0, 0,
	  operational_status, "null", .nullable = true),
	A(AF_PROGRAMS, "programs", T_NODE, 0, 0, programs, "{}"),
};
#undef A

#define I(idx, ...) [idx] = F(iraw, __VA_ARGS__)
static const struct field instance_fields[] = {
	I(IF_NAME, "name", T_NSTR, 0, 0, name, "host name", .nullable = true),
	I(IF_LISTEN, "listen", T_NSTR, 0, 0, listen,
	  "cluster.instances address, else 127.0.0.1:7700", .nullable = true),
	I(IF_ADVERTISE, "advertise", T_NSTR, 0, 0, advertise, "null",
	  .nullable = true),
	I(IF_MACHINE, "machine", T_STR, 0, 0, machine, "auto"),
	I(IF_TAGS, "tags", T_LIST, 0, 0, tags, "[]"),
	I(IF_CONTROL, "control", T_NSTR, 0, 0, control,
	  "/run/supvisors-sched/%(instance_name)s.sock", .nullable = true),
	I(IF_HTTP, "http", T_NSTR, 0, 0, http, "null", .nullable = true),
	I(IF_HTTP_TOKEN_FILE, "http_token_file", T_NSTR, 0, 0,
	  http_token_file, "null", .nullable = true),
	I(IF_HTTP_PUBLIC_READ, "http_public_read", T_BOOL, 0, 0,
	  http_public_read, "false"),
	I(IF_STATE_DIR, "state_dir", T_NSTR, 0, 0, state_dir,
	  "/var/lib/supvisors-sched/%(instance_name)s", .nullable = true),
	I(IF_LOG_DIR, "log_dir", T_NSTR, 0, 0, log_dir,
	  "/var/log/supvisors-sched/%(instance_name)s", .nullable = true),
};
#undef I

#define G(idx, ...) [idx] = F(graw, __VA_ARGS__)
static const struct field gossip_fields[] = {
	G(GF_PROBE_INTERVAL, "probe_interval", T_DUR, 100, 60000,
	  probe_interval, "400ms"),
	G(GF_PROBE_TIMEOUT, "probe_timeout", T_DUR, 10, 60000, probe_timeout,
	  "200ms"),
	G(GF_INDIRECT_CHECKS, "indirect_checks", T_INT, 0, 16,
	  indirect_checks, "3"),
	G(GF_SUSPICION_MULT, "suspicion_mult", T_INT, 1, 32, suspicion_mult,
	  "4"),
	G(GF_RETRANSMIT_MULT, "retransmit_mult", T_INT, 1, 32,
	  retransmit_mult, "4"),
	G(GF_GOSSIP_INTERVAL, "gossip_interval", T_DUR, 10, 60000,
	  gossip_interval, "100ms"),
	G(GF_GOSSIP_NODES, "gossip_nodes", T_INT, 1, 64, gossip_nodes, "3"),
	G(GF_SYNC_INTERVAL, "sync_interval", T_DUR, 1000, DUR_D,
	  sync_interval, "30s"),
};
#undef G

const struct table schema_gossip = {
	"cluster.gossip", gossip_fields, ARRAY_SIZE(gossip_fields),
	offsetof(struct graw, set), offsetof(struct graw, pos)};

#define C(idx, ...) [idx] = F(craw, __VA_ARGS__)
static const struct field cluster_fields[] = {
	C(CF_NAME, "name", T_STR, 0, 0, name, "default"),
	C(CF_KEY_FILE, "key_file", T_NSTR, 0, 0, key_file,
	  "null (required unless every address is loopback)",
	  .nullable = true),
	C(CF_INSTANCES, "instances", T_NODE, 0, 0, instances, "{}"),
	C(CF_CORE, "core", T_LIST, 0, 0, core, "[]"),
	C(CF_SYNCHRO, "synchro", T_SYNCHRO, 0, 0, synchro,
	  "[STRICT, TIMEOUT, CORE]", .names = rl_synchro_names),
	C(CF_SYNCHRO_TIMEOUT, "synchro_timeout", T_DUR, 15000, 1200000,
	  synchro_timeout, "15s"),
	C(CF_AUTO_FENCE, "auto_fence", T_BOOL, 0, 0, auto_fence, "false"),
	C(CF_STARTING_STRATEGY, "starting_strategy", T_ENUM, 0, 0,
	  starting_strategy, "CONFIG", .names = rl_strategy_names),
	C(CF_CONCILIATION, "conciliation_strategy", T_ENUM, 0, 0, conciliation,
	  "USER", .names = rl_conciliation_names),
	C(CF_FAILURE, "failure_strategy", T_ENUM, 0, 0, failure, "CONTINUE",
	  .names = rl_cluster_failure_names),
	C(CF_LOAD_SOURCE, "load_source", T_ENUM, 0, 0, load_source,
	  "EXPECTED", .names = rl_load_source_names),
	C(CF_GOSSIP, "gossip", T_SUB, 0, 0, gossip, "{}",
	  .sub = &schema_gossip),
};
#undef C

#define S(idx, ...) [idx] = F(sraw, __VA_ARGS__)
static const struct field stats_fields[] = {
	S(SF_ENABLED, "enabled", T_STATS, 0, 0, enabled, "ALL"),
	S(SF_COLLECTING_PERIOD, "collecting_period", T_DUR, 1000, DUR_H,
	  collecting_period, "1s"),
	S(SF_PERIODS, "periods", T_PERIODS, 1000, DUR_H, periods, "[10s]"),
	S(SF_HISTORY, "history", T_INT, 10, 1500, history, "200"),
	S(SF_IRIX_MODE, "irix_mode", T_BOOL, 0, 0, irix_mode, "false"),
};
#undef S

#define E(idx, ...) [idx] = F(eraw, __VA_ARGS__)
static const struct field peer_fields[] = {
	E(EF_ADDRESS, "address", T_STR, 0, 0, address, "(required)"),
	E(EF_TAGS, "tags", T_LIST, 0, 0, tags, "[]"),
};
#undef E

const struct table schema_instance = {
	"instance", instance_fields, ARRAY_SIZE(instance_fields),
	offsetof(struct iraw, set), offsetof(struct iraw, pos)};
const struct table schema_cluster = {
	"cluster", cluster_fields, ARRAY_SIZE(cluster_fields),
	offsetof(struct craw, set), offsetof(struct craw, pos)};
const struct table schema_stats = {
	"stats", stats_fields, ARRAY_SIZE(stats_fields),
	offsetof(struct sraw, set), offsetof(struct sraw, pos)};
const struct table schema_peer = {
	"cluster.instances.NAME", peer_fields, ARRAY_SIZE(peer_fields),
	offsetof(struct eraw, set), offsetof(struct eraw, pos)};
const struct table schema_program = {
	"applications.APP.programs.PROGRAM", program_fields,
	ARRAY_SIZE(program_fields), offsetof(struct praw, set),
	offsetof(struct praw, pos)};
const struct table schema_application = {
	"applications.APP", application_fields, ARRAY_SIZE(application_fields),
	offsetof(struct araw, set), offsetof(struct araw, pos)};

#define T(idx, ...) [idx] = F(traw, __VA_ARGS__)
static const struct field top_fields[] = {
	T(TF_VERSION, "version", T_INT, 1, 1, version, "(required)"),
	T(TF_INSTANCE, "instance", T_SUB, 0, 0, instance, "{}",
	  .sub = &schema_instance),
	T(TF_CLUSTER, "cluster", T_SUB, 0, 0, cluster, "{}",
	  .sub = &schema_cluster),
	T(TF_STATS, "stats", T_SUB, 0, 0, stats, "{}", .sub = &schema_stats),
	T(TF_INCLUDE, "include", T_LIST, 0, 0, include, "[]"),
	T(TF_ALIASES, "aliases", T_NODE, 0, 0, aliases, "{}"),
	T(TF_MODELS, "models", T_NODE, 0, 0, models, "{}"),
	T(TF_APPLICATIONS, "applications", T_NODE, 0, 0, applications, "{}"),
};
#undef T

const struct table schema_top = {
	"", top_fields, ARRAY_SIZE(top_fields), offsetof(struct traw, set),
	offsetof(struct traw, pos)};

/* ------------------------------------------------------------ typing */

static void
err(struct ld *ld, const struct ynode *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
err(struct ld *ld, const struct ynode *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ld_vdiag(ld, n->file, n->line, n->col, RL_SEV_ERROR, fmt, ap);
	va_end(ap);
}

static const char *
ctx_str(const struct wctx *c, char *buf, size_t len)
{
	if (c->name != NULL)
		snprintf(buf, len, "%s '%s'", c->kind, c->name);
	else
		snprintf(buf, len, "%s", c->kind);
	return buf;
}

/* "in program 'p'", or "at the top level". */
static const char *
ctx_in(const struct wctx *c, char *buf, size_t len)
{
	char tmp[128];

	snprintf(buf, len, "%s %s", c->name == NULL && c->kind[0] != '\'' ?
		 "at" : "in", ctx_str(c, tmp, sizeof(tmp)));
	return buf;
}

/* Bounds as written: "1h", "20m", "15s", "500ms". */
static const char *
fmt_dur(int64_t ms, char *buf, size_t len)
{
	if (ms != 0 && ms % 3600000 == 0)
		snprintf(buf, len, "%lldh", (long long)(ms / 3600000));
	else if (ms != 0 && ms % 60000 == 0)
		snprintf(buf, len, "%lldm", (long long)(ms / 60000));
	else if (ms % 1000 == 0)
		snprintf(buf, len, "%llds", (long long)(ms / 1000));
	else
		snprintf(buf, len, "%lldms", (long long)ms);
	return buf;
}

static bool
need_scalar(struct ld *ld, const struct field *f, const struct ynode *v)
{
	if (v->type == Y_SCALAR)
		return true;
	err(ld, v, "'%s' must be a scalar, not %s", f->key,
	    ynode_type_name(v));
	return false;
}

/* 1: true, 0: false, -1: not a boolean (error reported). */
static int
parse_bool(struct ld *ld, const char *key, const struct ynode *v)
{
	static const char *const yes[] = {"yes", "on", "y"};
	static const char *const no[] = {"no", "off", "n"};
	size_t i;

	if (v->type != Y_SCALAR) {
		err(ld, v, "'%s' must be true or false, not %s", key,
		    ynode_type_name(v));
		return -1;
	}
	if (!v->quoted) {
		if (!strcmp(v->s, "true") || !strcmp(v->s, "True") ||
		    !strcmp(v->s, "TRUE"))
			return 1;
		if (!strcmp(v->s, "false") || !strcmp(v->s, "False") ||
		    !strcmp(v->s, "FALSE"))
			return 0;
		for (i = 0; i < ARRAY_SIZE(yes); i++) {
			if (strcasecmp(v->s, yes[i]) == 0 ||
			    strcasecmp(v->s, no[i]) == 0) {
				bool b = strcasecmp(v->s, yes[i]) == 0;

				ld_diag(ld, v, RL_SEV_WARNING,
					"'%s: %s' is read as %s; write %s "
					"(YAML 1.2 reads '%s' as a string)",
					key, v->s, b ? "true" : "false",
					b ? "true" : "false", v->s);
				return b;
			}
		}
	}
	err(ld, v, "'%s' must be true or false, not %s'%s'", key,
	    v->quoted ? "the string " : "", v->s);
	return -1;
}

static bool
parse_int(struct ld *ld, const char *key, const struct ynode *v, int64_t min,
	  int64_t max, int64_t *ret)
{
	int r;

	if (v->type != Y_SCALAR) {
		err(ld, v, "'%s' must be an integer, not %s", key,
		    ynode_type_name(v));
		return false;
	}
	if (v->quoted) {
		err(ld, v, "'%s' must be an integer, not the string '%s'", key,
		    v->s);
		return false;
	}
	r = util_parse_int64(v->s, min, max, ret);
	if (r == -ERANGE) {
		if (min == max)
			err(ld, v, "'%s' must be %lld, not %s", key,
			    (long long)min, v->s);
		else
			err(ld, v, "'%s' must be between %lld and %lld, not "
				   "%s", key, (long long)min, (long long)max,
			    v->s);
		return false;
	}
	if (r < 0) {
		err(ld, v, "'%s' must be an integer, not '%s'", key, v->s);
		return false;
	}
	return true;
}

static bool
parse_dur(struct ld *ld, const char *key, const struct ynode *v, int64_t min,
	  int64_t max, int64_t *ret)
{
	char a[32], b[32];
	int64_t ms;
	int r;

	if (v->type != Y_SCALAR || ynode_is_null(v)) {
		err(ld, v, "'%s' must be a duration (e.g. 10s, 500ms), not %s",
		    key, ynode_type_name(v));
		return false;
	}
	r = util_parse_duration_ms(v->s, INT64_MAX / 4, &ms);
	if (r == 0 && (ms < min || ms > max))
		r = -ERANGE;
	if (r == -ERANGE) {
		err(ld, v, "'%s' must be between %s and %s, not %s", key,
		    fmt_dur(min, a, sizeof(a)), fmt_dur(max, b, sizeof(b)),
		    v->s);
		return false;
	}
	if (r < 0) {
		err(ld, v, "'%s' must be a duration (e.g. 10s, 500ms), not "
			   "'%s'", key, v->s);
		return false;
	}
	*ret = ms;
	return true;
}

static void
names_list(const char *const *names, char *buf, size_t len)
{
	size_t i, l = 0;

	buf[0] = '\0';
	for (i = 0; names[i] != NULL && l < len; i++)
		l += (size_t)snprintf(buf + l, len - l, "%s%s", i ? ", " : "",
				      names[i]);
}

static void
near_name(const char *const *names, const char *s, char *buf, size_t len)
{
	unsigned best = 3, d;
	char up[65];
	size_t i;

	buf[0] = '\0';
	for (i = 0; s[i] != '\0' && i < sizeof(up) - 1; i++)
		up[i] = (char)toupper((unsigned char)s[i]);
	up[i] = '\0';
	for (i = 0; names[i] != NULL; i++) {
		char name[65];
		size_t j;

		for (j = 0; names[i][j] != '\0' && j < sizeof(name) - 1; j++)
			name[j] = (char)toupper((unsigned char)names[i][j]);
		name[j] = '\0';
		d = util_edit_distance(up, name, 4);
		if (d < best && d < strlen(up)) {
			best = d;
			snprintf(buf, len, " (did you mean '%s'?)", names[i]);
		}
	}
}

static int
parse_enum(struct ld *ld, const char *key, const char *const *names,
	   const struct ynode *v)
{
	char list[256], near[96];
	int r;

	if (v->type != Y_SCALAR || ynode_is_null(v)) {
		names_list(names, list, sizeof(list));
		err(ld, v, "'%s' must be one of %s, not %s", key, list,
		    ynode_type_name(v));
		return -1;
	}
	r = rl_enum_lookup(names, v->s);
	if (r >= 0)
		return r;
	names_list(names, list, sizeof(list));
	near_name(names, v->s, near, sizeof(near));
	err(ld, v, "'%s' must be one of %s, not '%s'%s", key, list, v->s,
	    near);
	return -1;
}

static bool
scalar_items(struct ld *ld, const struct field *f, const struct ynode *v,
	     struct nodevec *ret)
{
	size_t i;
	bool ok = true;

	if (v->type == Y_MAP) {
		err(ld, v, "'%s' must be a list, not a mapping", f->key);
		return false;
	}
	if (v->type == Y_SCALAR) {
		ret->v = arena_alloc(ld_scratch(ld), sizeof(*ret->v));
		ret->v[0] = (struct ynode *)v;
		ret->n = 1;
		return true;
	}
	for (i = 0; i < v->n; i++) {
		if (!ld_visit(ld, v->v[i]))
			return false;
		if (v->v[i]->type != Y_SCALAR || ynode_is_null(v->v[i])) {
			err(ld, v->v[i], "'%s' items must be strings, not %s",
			    f->key, ynode_type_name(v->v[i]));
			ok = false;
		}
	}
	ret->v = v->v;
	ret->n = v->n;
	return ok;
}

static bool
set_argv(struct ld *ld, const struct field *f, const struct ynode *v,
	 struct strvec *ret)
{
	char msg[128];
	const char **argv;
	size_t i;
	int n;

	if (v->type == Y_MAP || ynode_is_null(v)) {
		err(ld, v, "'%s' must be a string or a list, not %s", f->key,
		    ynode_type_name(v));
		return false;
	}
	if (v->type == Y_SCALAR) {
		n = shell_split(ld_scratch(ld), v->s, &argv, msg, sizeof(msg));
		if (n < 0) {
			err(ld, v, "%s", msg);
			return false;
		}
		if (n == 0) {
			err(ld, v, "'%s' is empty", f->key);
			return false;
		}
		ret->v = argv;
		ret->n = (size_t)n;
		return true;
	}
	if (v->n == 0) {
		err(ld, v, "'%s' is empty", f->key);
		return false;
	}
	argv = arena_alloc(ld_scratch(ld), (v->n + 1) * sizeof(*argv));
	for (i = 0; i < v->n; i++) {
		if (!ld_visit(ld, v->v[i]))
			return false;
		if (v->v[i]->type != Y_SCALAR) {
			err(ld, v->v[i], "'%s' items must be strings, not %s",
			    f->key, ynode_type_name(v->v[i]));
			return false;
		}
		argv[i] = v->v[i]->s;
	}
	if (argv[0][0] == '\0') {
		err(ld, v->v[0], "'%s' has an empty program name", f->key);
		return false;
	}
	ret->v = argv;
	ret->n = v->n;
	return true;
}

static bool
env_name_ok(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return false;
	for (s++; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

static bool
set_env(struct ld *ld, const struct field *f, const struct ynode *v,
	struct kvvec *ret)
{
	struct strmap seen = {0};
	struct ynode *k, *val, *prev;
	size_t i, n = 0;
	bool ok = true;

	if (v->type != Y_MAP) {
		err(ld, v, "'%s' must be a mapping, not %s", f->key,
		    ynode_type_name(v));
		return false;
	}
	ret->v = arena_alloc(ld_scratch(ld), (v->n + 1) * sizeof(*ret->v));
	ret->nodes = arena_alloc(ld_scratch(ld),
				 (v->n + 1) * sizeof(*ret->nodes));
	for (i = 0; i < v->n; i++) {
		k = v->v[2 * i];
		val = v->v[2 * i + 1];
		if (!ld_visit(ld, k) || !ld_visit(ld, val)) {
			ok = false;
			break;
		}
		if (k->type != Y_SCALAR) {
			err(ld, k, "a key must be a scalar, not %s",
			    ynode_type_name(k));
			ok = false;
			continue;
		}
		if (!env_name_ok(k->s)) {
			err(ld, k, "'%s' is not a valid environment variable "
				   "name", k->s);
			ok = false;
			continue;
		}
		prev = strmap_put(&seen, k->s, k);
		if (prev != NULL) {
			err(ld, k, "duplicate key '%s' in 'environment' "
				   "(first at %u:%u)", k->s, prev->line,
			    prev->col);
			ok = false;
			continue;
		}
		if (val->type != Y_SCALAR || ynode_is_null(val)) {
			err(ld, val, "environment value of '%s' must be a "
				     "string, not %s", k->s,
			    ynode_type_name(val));
			ok = false;
			continue;
		}
		ret->v[n].key = k->s;
		ret->v[n].value = val->s;
		ret->nodes[n] = val;
		n++;
	}
	strmap_done(&seen);
	ret->n = n;
	return ok;
}

static bool
set_exitcodes(struct ld *ld, const struct field *f, const struct ynode *v,
	      struct intvec *ret)
{
	struct nodevec items;
	int64_t x;
	size_t i;

	if (!scalar_items(ld, f, v, &items))
		return false;
	if (items.n == 0) {
		err(ld, v, "'%s' is empty", f->key);
		return false;
	}
	ret->v = arena_alloc(ld_scratch(ld), items.n * sizeof(*ret->v));
	for (i = 0; i < items.n; i++) {
		if (!parse_int(ld, f->key, items.v[i], f->min, f->max, &x))
			return false;
		ret->v[i] = (int)x;
	}
	ret->n = items.n;
	return true;
}

static bool
set_synchro(struct ld *ld, const struct field *f, const struct ynode *v,
	    unsigned *ret)
{
	struct nodevec items;
	unsigned set = 0;
	size_t i;
	int r;

	if (!scalar_items(ld, f, v, &items))
		return false;
	if (items.n == 0) {
		err(ld, v, "'%s' needs at least one of STRICT, LIST, TIMEOUT, "
			   "CORE, USER", f->key);
		return false;
	}
	for (i = 0; i < items.n; i++) {
		r = parse_enum(ld, f->key, f->names, items.v[i]);
		if (r < 0)
			return false;
		set |= 1u << r;
	}
	*ret = set;
	return true;
}

static bool
set_stats(struct ld *ld, const struct field *f, const struct ynode *v,
	  unsigned *ret)
{
	static const char *const scalar_names[] = {"OFF", "HOST", "PROCESS",
						   "ALL", NULL};
	static const char *const list_names[] = {"HOST", "PROCESS", NULL};
	struct nodevec items;
	unsigned set = 0;
	size_t i;
	int r;

	if (v->type == Y_SCALAR && !v->quoted &&
	    (!strcasecmp(v->s, "true") || !strcasecmp(v->s, "false"))) {
		*ret = strcasecmp(v->s, "true") == 0
			       ? RL_STATS_HOST | RL_STATS_PROCESS
			       : 0;
		return true;
	}
	if (v->type == Y_SCALAR) {
		r = parse_enum(ld, f->key, scalar_names, v);
		if (r < 0)
			return false;
		*ret = (unsigned)r; /* OFF 0, HOST 1, PROCESS 2, ALL 3 */
		return true;
	}
	if (!scalar_items(ld, f, v, &items))
		return false;
	for (i = 0; i < items.n; i++) {
		r = parse_enum(ld, f->key, list_names, items.v[i]);
		if (r < 0)
			return false;
		set |= 1u << r;
	}
	*ret = set;
	return true;
}

static bool
set_periods(struct ld *ld, const struct field *f, const struct ynode *v,
	    struct periods *ret)
{
	struct nodevec items;
	size_t i, j;

	if (!scalar_items(ld, f, v, &items))
		return false;
	if (items.n == 0 || items.n > RL_STATS_PERIODS_MAX) {
		err(ld, v, "'%s' needs 1 to %d periods, not %zu", f->key,
		    RL_STATS_PERIODS_MAX, items.n);
		return false;
	}
	for (i = 0; i < items.n; i++) {
		if (!parse_dur(ld, f->key, items.v[i], f->min, f->max,
			       &ret->v[i]))
			return false;
		for (j = 0; j < i; j++) {
			if (ret->v[j] == ret->v[i]) {
				err(ld, items.v[i], "period %s is given twice",
				    items.v[i]->s);
				return false;
			}
		}
	}
	ret->n = items.n;
	return true;
}

static bool
set_umask(struct ld *ld, const struct field *f, const struct ynode *v,
	  int64_t *ret)
{
	const char *s;
	int64_t m = 0;

	if (v->type != Y_SCALAR) {
		err(ld, v, "'%s' must be an octal mode (e.g. 022), not %s",
		    f->key, ynode_type_name(v));
		return false;
	}
	s = v->s;
	if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
		s += 2;
	if (*s == '\0' || strlen(s) > 4)
		goto bad;
	for (; *s; s++) {
		if (*s < '0' || *s > '7')
			goto bad;
		m = m * 8 + (*s - '0');
	}
	if (m > f->max)
		goto bad;
	*ret = m;
	return true;
bad:
	err(ld, v, "'%s' must be an octal mode (e.g. 022), not '%s'", f->key,
	    v->s);
	return false;
}

static bool
set_value(struct ld *ld, const struct field *f, const struct ynode *v,
	  void *base, const struct wctx *ctx)
{
	void *p = (char *)base + f->off;
	int64_t i64;
	uint64_t u64;
	int r;

	switch (f->type) {
	case T_STR:
	case T_NSTR:
		if (!need_scalar(ld, f, v))
			return false;
		if (ynode_is_null(v)) {
			err(ld, v, "'%s' needs a value", f->key);
			return false;
		}
		*(const char **)p = v->s;
		return true;
	case T_BOOL:
		r = parse_bool(ld, f->key, v);
		if (r < 0)
			return false;
		*(bool *)p = r;
		return true;
	case T_INT:
		return parse_int(ld, f->key, v, f->min, f->max, p);
	case T_DUR:
		return parse_dur(ld, f->key, v, f->min, f->max, p);
	case T_SIZE:
		if (!need_scalar(ld, f, v))
			return false;
		r = util_parse_size(v->s, (uint64_t)f->max, &u64);
		if (r == -ERANGE) {
			err(ld, v, "'%s' must be at most 1TiB, not %s", f->key,
			    v->s);
			return false;
		}
		if (r < 0) {
			err(ld, v, "'%s' must be a size (e.g. 50MB, 256KiB), "
				   "not '%s'", f->key, v->s);
			return false;
		}
		*(uint64_t *)p = u64;
		return true;
	case T_ENUM:
		r = parse_enum(ld, f->key, f->names, v);
		if (r < 0)
			return false;
		*(int *)p = r;
		return true;
	case T_AUTORESTART:
		if (v->type == Y_SCALAR && !v->quoted &&
		    rl_enum_lookup(f->names, v->s) < 0 &&
		    (!strcasecmp(v->s, "yes") || !strcasecmp(v->s, "no") ||
		     !strcasecmp(v->s, "on") || !strcasecmp(v->s, "off"))) {
			r = parse_bool(ld, f->key, v);
			*(int *)p = r ? RL_AUTORESTART_TRUE
				      : RL_AUTORESTART_FALSE;
			return true;
		}
		r = parse_enum(ld, f->key, f->names, v);
		if (r < 0)
			return false;
		*(int *)p = r;
		return true;
	case T_SIGNAL:
		if (!need_scalar(ld, f, v))
			return false;
		r = util_signal_from_name(v->s);
		if (r < 0) {
			err(ld, v, "'%s' must be a signal name (e.g. TERM, "
				   "SIGINT), not '%s'", f->key, v->s);
			return false;
		}
		*(int *)p = r;
		return true;
	case T_UMASK:
		if (!set_umask(ld, f, v, &i64))
			return false;
		*(int64_t *)p = i64;
		return true;
	case T_ARGV:
		return set_argv(ld, f, v, p);
	case T_ENV:
		return set_env(ld, f, v, p);
	case T_LIST:
		return scalar_items(ld, f, v, p);
	case T_EXITCODES:
		return set_exitcodes(ld, f, v, p);
	case T_SYNCHRO:
		return set_synchro(ld, f, v, p);
	case T_STATS:
		return set_stats(ld, f, v, p);
	case T_PERIODS:
		return set_periods(ld, f, v, p);
	case T_SUB: {
		char kind[96];
		struct wctx sub = {kind, NULL};

		snprintf(kind, sizeof(kind), "'%s'", f->sub->name);
		return schema_walk(ld, v, f->sub, p, &sub);
	}
	case T_NODE:
		*(const struct ynode **)p = v;
		return true;
	}
	return false;
}

static void
unknown_key(struct ld *ld, const struct table *t, const struct ynode *k,
	    const struct wctx *ctx)
{
	char c[160], near[96] = "";
	unsigned best = 3, d;
	size_t i;

	for (i = 0; i < t->n; i++) {
		d = util_edit_distance(k->s, t->f[i].key, 3);
		if (d < best && d < strlen(k->s)) {
			best = d;
			snprintf(near, sizeof(near), " (did you mean '%s'?)",
				 t->f[i].key);
		}
	}
	err(ld, k, "unknown key '%s' %s%s", k->s, ctx_in(ctx, c, sizeof(c)),
	    near);
}

bool
schema_walk(struct ld *ld, const struct ynode *map, const struct table *t,
	    void *base, const struct wctx *ctx)
{
	uint64_t *set = (uint64_t *)((char *)base + t->set_off);
	struct ynode **pos = (struct ynode **)((char *)base + t->pos_off);
	struct ynode *k, *v;
	char c[160];
	size_t i, j;

	if (ynode_is_null(map))
		return true;
	if (map->type != Y_MAP) {
		err(ld, map, "%s must be a mapping, not %s",
		    ctx_str(ctx, c, sizeof(c)), ynode_type_name(map));
		return false;
	}
	for (i = 0; i < map->n; i++) {
		k = map->v[2 * i];
		v = map->v[2 * i + 1];
		if (!ld_visit(ld, k) || !ld_visit(ld, v))
			return false;
		if (k->type != Y_SCALAR) {
			err(ld, k, "a key must be a scalar, not %s",
			    ynode_type_name(k));
			continue;
		}
		for (j = 0; j < t->n; j++)
			if (strcmp(t->f[j].key, k->s) == 0)
				break;
		if (j == t->n) {
			if (t == &schema_top && strncmp(k->s, "x-", 2) == 0)
				continue;
			if (strcmp(k->s, "<<") == 0 && !k->quoted)
				err(ld, k, "YAML merge keys ('<<') are not "
					   "supported: share settings with a "
					   "model and 'reference'");
			else
				unknown_key(ld, t, k, ctx);
			continue;
		}
		if ((*set >> j) & 1) {
			struct ynode *first = map->v[0];
			size_t m;

			/* the key node of the first occurrence */
			for (m = 0; m < i; m++) {
				if (map->v[2 * m]->type == Y_SCALAR &&
				    strcmp(map->v[2 * m]->s, k->s) == 0) {
					first = map->v[2 * m];
					break;
				}
			}
			err(ld, k, "duplicate key '%s' %s (first at %u:%u)",
			    k->s, ctx_in(ctx, c, sizeof(c)), first->line,
			    first->col);
			continue;
		}
		if (t->f[j].nullable && ynode_is_null(v))
			continue;
		if (set_value(ld, &t->f[j], v, base, ctx)) {
			*set |= 1ull << j;
			pos[j] = v;
		}
	}
	return true;
}

static size_t
ftype_size(enum ftype t)
{
	switch (t) {
	case T_STR:
	case T_NSTR:
		return sizeof(const char *);
	case T_BOOL:
		return sizeof(bool);
	case T_INT:
	case T_DUR:
	case T_UMASK:
		return sizeof(int64_t);
	case T_SIZE:
		return sizeof(uint64_t);
	case T_ENUM:
	case T_AUTORESTART:
	case T_SIGNAL:
		return sizeof(int);
	case T_ARGV:
		return sizeof(struct strvec);
	case T_ENV:
		return sizeof(struct kvvec);
	case T_LIST:
		return sizeof(struct nodevec);
	case T_EXITCODES:
		return sizeof(struct intvec);
	case T_SYNCHRO:
	case T_STATS:
		return sizeof(unsigned);
	case T_PERIODS:
		return sizeof(struct periods);
	case T_SUB:
		return 0;
	case T_NODE:
		return sizeof(struct ynode *);
	}
	return 0;
}

void
schema_copy_field(const struct table *t, size_t i, void *dst, const void *src)
{
	const struct field *f = &t->f[i];

	memcpy((char *)dst + f->off, (const char *)src + f->off,
	       ftype_size(f->type));
	*(uint64_t *)((char *)dst + t->set_off) |= 1ull << i;
	((struct ynode **)((char *)dst + t->pos_off))[i] =
		field_pos(src, t, i);
}

const char *
schema_check_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0)
		return "is empty";
	if (n > 64)
		return "is longer than 64 characters";
	if (!isalnum((unsigned char)*s) && *s != '_')
		return "must start with a letter, a digit or '_'";
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && strchr("_.-", *s) == NULL)
			return "may contain only letters, digits, '_', '.' "
			       "and '-'";
	return NULL;
}

static const char *
ftype_doc(const struct field *f)
{
	switch (f->type) {
	case T_STR:
	case T_NSTR:
		return "string";
	case T_BOOL:
		return "boolean";
	case T_INT:
		return "integer";
	case T_DUR:
		return "duration";
	case T_SIZE:
		return "size";
	case T_ENUM:
	case T_AUTORESTART:
		return "enum";
	case T_SIGNAL:
		return "signal";
	case T_UMASK:
		return "octal";
	case T_ARGV:
		return "string|list";
	case T_ENV:
		return "mapping";
	case T_LIST:
		return "list";
	case T_EXITCODES:
		return "list of integers";
	case T_SYNCHRO:
		return "list";
	case T_STATS:
		return "enum|list";
	case T_PERIODS:
		return "list of durations";
	case T_SUB:
	case T_NODE:
		return "mapping";
	}
	return "?";
}

static void
dump_table(FILE *f, const struct table *t, const char *prefix)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		fprintf(f, "%s%s\t%s\t%s\n", prefix, t->f[i].key,
			ftype_doc(&t->f[i]), t->f[i].def);
}

void
rules_schema_dump(FILE *f)
{
	dump_table(f, &schema_top, "");
	dump_table(f, &schema_instance, "instance.");
	dump_table(f, &schema_cluster, "cluster.");
	dump_table(f, &schema_peer, "cluster.instances.NAME.");
	dump_table(f, &schema_gossip, "cluster.gossip.");
	dump_table(f, &schema_stats, "stats.");
	dump_table(f, &schema_application, "applications.APP.");
	dump_table(f, &schema_program, "applications.APP.programs.PROGRAM.");
}
