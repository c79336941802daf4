/*
 * rules: the configuration and rules language (YAML), loaded into one
 * immutable object that the rest of the daemon reads.
 *
 * rules_load() reads the main file and its includes, types every scalar
 * through the schema tables, resolves models, aliases and identifiers,
 * expands numprocs and %(...)s expansions, and validates.  Every problem
 * goes into a struct rl_diags as "FILE:LINE:COL: error: MESSAGE" (1-based,
 * the position of the offending key or value).  The load fails (-EINVAL)
 * if any error was found; warnings alone do not fail it.
 *
 * Ownership: struct rules owns every string and array reachable from it.
 * It is never modified after rules_load() returns, so any number of
 * readers may hold const pointers into it for as long as they hold the
 * struct rules itself (core keeps the old object alive until a reload has
 * been applied).  rules_free() accepts NULL and returns NULL.
 *
 * Records below (struct rl_*) are plain values exposed for reading; only
 * this module creates them.
 */
#ifndef RULES_RULES_H
#define RULES_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct strbuf;

/* ------------------------------------------------------------ enums
 * Every enum has NAME_to_string / NAME_from_string (case-insensitive,
 * returns -EINVAL when unknown).  Values are Supvisors' names. */

enum rl_distribution {
	RL_DIST_ALL_INSTANCES,
	RL_DIST_SINGLE_INSTANCE,
	RL_DIST_SINGLE_NODE,
	_RL_DIST_MAX,
};

enum rl_strategy {
	RL_STRATEGY_CONFIG,
	RL_STRATEGY_LESS_LOADED,
	RL_STRATEGY_MOST_LOADED,
	RL_STRATEGY_LOCAL,
	RL_STRATEGY_LESS_LOADED_NODE,
	RL_STRATEGY_MOST_LOADED_NODE,
	_RL_STRATEGY_MAX,
};

enum rl_starting_failure {
	RL_STARTING_ABORT,
	RL_STARTING_STOP,
	RL_STARTING_CONTINUE,
	_RL_STARTING_MAX,
};

enum rl_running_failure {
	RL_RUNNING_CONTINUE,
	RL_RUNNING_RESTART_PROCESS,
	RL_RUNNING_STOP_APPLICATION,
	RL_RUNNING_RESTART_APPLICATION,
	RL_RUNNING_SHUTDOWN,
	RL_RUNNING_RESTART,
	_RL_RUNNING_MAX,
};

enum rl_conciliation {
	RL_CONCILIATION_SENICIDE,
	RL_CONCILIATION_INFANTICIDE,
	RL_CONCILIATION_USER,
	RL_CONCILIATION_STOP,
	RL_CONCILIATION_RESTART,
	RL_CONCILIATION_RUNNING_FAILURE,
	_RL_CONCILIATION_MAX,
};

/* cluster.failure_strategy (Supvisors' supvisors_failure_strategy) */
enum rl_cluster_failure {
	RL_CLUSTER_FAILURE_CONTINUE,
	RL_CLUSTER_FAILURE_RESYNC,
	RL_CLUSTER_FAILURE_SHUTDOWN,
	_RL_CLUSTER_FAILURE_MAX,
};

enum rl_load_source {
	RL_LOAD_EXPECTED,
	RL_LOAD_MEASURED,
	RL_LOAD_MAX,
	_RL_LOAD_SOURCE_MAX,
};

enum rl_autorestart {
	RL_AUTORESTART_FALSE,
	RL_AUTORESTART_TRUE,
	RL_AUTORESTART_UNEXPECTED,
	_RL_AUTORESTART_MAX,
};

/* cluster.synchro: a set */
enum {
	RL_SYNCHRO_STRICT = 1 << 0,
	RL_SYNCHRO_LIST = 1 << 1,
	RL_SYNCHRO_TIMEOUT = 1 << 2,
	RL_SYNCHRO_CORE = 1 << 3,
	RL_SYNCHRO_USER = 1 << 4,
};

/* stats.enabled: ALL = HOST|PROCESS, OFF = 0 */
enum {
	RL_STATS_HOST = 1 << 0,
	RL_STATS_PROCESS = 1 << 1,
};

enum rl_logfile_kind {
	RL_LOGFILE_AUTO, /* a file under instance.log_dir, named by core */
	RL_LOGFILE_NONE,
	RL_LOGFILE_PATH,
};

const char *rl_distribution_to_string(enum rl_distribution v);
int rl_distribution_from_string(const char *s);
const char *rl_strategy_to_string(enum rl_strategy v);
int rl_strategy_from_string(const char *s);
const char *rl_starting_failure_to_string(enum rl_starting_failure v);
int rl_starting_failure_from_string(const char *s);
const char *rl_running_failure_to_string(enum rl_running_failure v);
int rl_running_failure_from_string(const char *s);
const char *rl_conciliation_to_string(enum rl_conciliation v);
int rl_conciliation_from_string(const char *s);
const char *rl_cluster_failure_to_string(enum rl_cluster_failure v);
int rl_cluster_failure_from_string(const char *s);
const char *rl_load_source_to_string(enum rl_load_source v);
int rl_load_source_from_string(const char *s);
const char *rl_autorestart_to_string(enum rl_autorestart v);
int rl_autorestart_from_string(const char *s);

/* ------------------------------------------------------------ diagnostics */

enum rl_severity {
	RL_SEV_ERROR,
	RL_SEV_WARNING,
};

struct rl_diag {
	char *file;    /* as given (main file) or as found (includes) */
	int line;      /* 1-based; 0 when the problem has no position */
	int column;    /* 1-based; 0 when the problem has no position */
	enum rl_severity severity;
	char *message; /* without the position and severity prefix */
};

#define RL_DIAG_MAX 50

struct rl_diags {
	struct rl_diag *v;
	size_t n;
	size_t cap;
	unsigned errors;
	unsigned warnings;
	bool truncated; /* more than RL_DIAG_MAX problems; the rest dropped */
};

#define RL_DIAGS_INIT {NULL, 0, 0, 0, 0, false}

void rl_diags_done(struct rl_diags *d);
/* "FILE:LINE:COL: error: MESSAGE\n" for each, then a count line if any
 * were dropped.  The caller chooses the stream. */
void rl_diags_print(const struct rl_diags *d, FILE *f);
/* {"valid":bool,"diagnostics":[{"file","line","column","severity",
 * "message"}]} */
void rl_diags_to_json(const struct rl_diags *d, struct strbuf *out);

/* ------------------------------------------------------------ records */

struct rl_kv {
	const char *key;
	const char *value;
};

/* One entry of an identifier list after alias expansion.  Tags cannot
 * be resolved at load time in general (other instances advertise their
 * tags through the gossip), so resolution into instance names happens at
 * placement time against the cluster view (sched/). */
enum rl_ident_kind {
	RL_IDENT_INSTANCE, /* a name of cluster.instances, or the local name */
	RL_IDENT_TAG,      /* a tag (Supvisors' stereotype) */
};

struct rl_ident {
	enum rl_ident_kind kind;
	const char *name;
};

enum rl_sign {
	RL_SIGN_NONE,
	RL_SIGN_HASH, /* '#': spread processes with roll-over */
	RL_SIGN_AT,   /* '@': one process per instance, no roll-over */
};

struct rl_identifiers {
	bool all;	    /* "*" given, or nothing given (the default) */
	enum rl_sign sign;
	size_t n;
	const struct rl_ident *v; /* rule order, duplicates removed */
};

/* A configured instance (cluster.instances, or the local instance alone). */
struct rl_instance {
	const char *name;
	const char *address; /* "host:port" as written */
	const char *host;
	uint16_t port;
	size_t ntags;
	const char *const *tags; /* tags declared for it in the file */
};

struct rl_gossip {
	int64_t probe_interval_ms;
	int64_t probe_timeout_ms;
	unsigned indirect_checks;
	unsigned suspicion_mult;
	unsigned retransmit_mult;
	int64_t gossip_interval_ms;
	unsigned gossip_nodes;
	int64_t sync_interval_ms;
};

struct rl_instance_conf {
	const char *name;      /* --name, instance.name, or the host name */
	const char *listen;    /* "host:port" */
	const char *listen_host;
	uint16_t listen_port;
	const char *advertise; /* NULL: same as listen */
	const char *machine;   /* node identity; "auto" resolved at load */
	size_t ntags;
	const char *const *tags;
	/* control, state_dir, log_dir, http_token_file: absolute paths,
	 * %(instance_name)s etc. expanded, relative ones taken from the
	 * main file's directory.  Defaults: /run/supvisors-sched/NAME.sock,
	 * /var/lib/supvisors-sched/NAME, /var/log/supvisors-sched/NAME as
	 * root; else $XDG_RUNTIME_DIR/supvisors-sched/NAME.sock (or
	 * /tmp/supvisors-sched-UID/NAME.sock), $XDG_STATE_HOME (or
	 * ~/.local/state)/supvisors-sched/NAME and .../NAME/log. */
	const char *control;   /* control socket path, resolved */
	const char *http;      /* NULL: no TCP listener */
	const char *http_token_file;
	bool http_public_read;
	const char *state_dir;
	const char *log_dir;
};

struct rl_cluster_conf {
	const char *name;
	const char *key_file;  /* absolute; NULL when not given (then every
				* address is loopback: checked at load) */
	size_t ninstances;
	const struct rl_instance *instances; /* file order (= Supvisors list) */
	size_t ncore;
	const char *const *core; /* resolved instance names */
	unsigned synchro;        /* RL_SYNCHRO_* */
	int64_t synchro_timeout_ms;
	bool auto_fence;
	enum rl_strategy starting_strategy;
	enum rl_conciliation conciliation_strategy;
	enum rl_cluster_failure failure_strategy;
	enum rl_load_source load_source;
	struct rl_gossip gossip;
};

#define RL_STATS_PERIODS_MAX 3

struct rl_stats_conf {
	unsigned enabled; /* RL_STATS_* */
	int64_t collecting_period_ms;
	size_t nperiods;
	int64_t periods_ms[RL_STATS_PERIODS_MAX];
	unsigned history;
	bool irix_mode;
};

struct rl_logfile {
	enum rl_logfile_kind kind;
	const char *path;   /* RL_LOGFILE_PATH: expanded path */
	uint64_t maxbytes;  /* 0 = never rotate */
	unsigned backups;
};

struct rl_program;
struct rl_application;

/* One process: a program expanded by numprocs. */
struct rl_process {
	const struct rl_program *program;
	const char *name;     /* expanded process_name */
	const char *namespec; /* "application:name" */
	int process_num;      /* numprocs_start + index */
	unsigned index;       /* 0 .. numprocs-1, Supvisors' process_index */
	size_t argc;
	const char *const *argv; /* expanded, NULL-terminated */
	const char *directory;   /* expanded, or NULL */
	size_t nenv;
	const struct rl_kv *env; /* expanded */
	struct rl_logfile stdout_log;
	struct rl_logfile stderr_log;
	/* Hash of every setting that matters to a running process: a reload
	 * leaves a process alone when its hash is unchanged. */
	uint8_t config_hash[32]; /* argv, directory, env, umask, user, logs */
};

struct rl_program {
	const char *name;
	const struct rl_application *app;
	const char *reference; /* model name, or NULL */
	/* supervisord's options */
	unsigned numprocs;
	int numprocs_start;
	int umask;             /* -1: inherit */
	const char *user;      /* NULL: the daemon's user */
	enum rl_autorestart autorestart;
	int64_t startsecs_ms;
	unsigned startretries;
	size_t nexitcodes;
	const int *exitcodes;
	int stopsignal;
	int64_t stopwaitsecs_ms;
	bool stopasgroup;
	bool killasgroup;
	bool redirect_stderr;
	/* Supvisors' rules */
	struct rl_identifiers identifiers;
	bool required;
	unsigned start_sequence;
	unsigned stop_sequence;
	bool wait_exit;
	int64_t wait_exit_timeout_ms; /* 0: wait forever (Supvisors) */
	unsigned expected_loading;    /* percent of a node, 0-100 */
	enum rl_starting_failure starting_failure_strategy;
	enum rl_running_failure running_failure_strategy;
	/* processes, numprocs of them, in process_num order */
	size_t nprocesses;
	const struct rl_process *processes;
};

struct rl_application {
	const char *name;
	enum rl_distribution distribution;
	struct rl_identifiers identifiers;
	unsigned start_sequence;
	unsigned stop_sequence;
	enum rl_strategy starting_strategy;
	enum rl_starting_failure starting_failure_strategy;
	enum rl_running_failure running_failure_strategy;
	const char *operational_status; /* formula source, or NULL */
	size_t nprograms;
	const struct rl_program *programs; /* file order */
};

/* ------------------------------------------------------------ loading */

struct rules;

struct rules_load_opts {
	const char *name;           /* --name: overrides instance.name */
	const char *host_node_name; /* NULL: gethostname() */
	const char *const *envp;    /* %(ENV_X)s source; NULL: environ */
	bool is_root;               /* `user` is allowed only when true */
};

/* Default configuration path: $SUPVISORS_SCHED_CONFIG, else
 * SYSCONFDIR "/supvisors-sched/supvisors-sched.yaml". */
const char *rules_default_path(void);

/* 0: valid (warnings possible); -EINVAL: errors in DIAGS; other -errno:
 * the main file could not be read (also recorded in DIAGS). */
int rules_load(const char *path, const struct rules_load_opts *opts,
	       struct rules **ret, struct rl_diags *diags);
/* The same from memory; NAME is used as the file name in diagnostics and
 * as %(here)s's directory base.  Used by tests and fuzzers. */
int rules_load_buffer(const char *name, const char *data, size_t len,
		      const struct rules_load_opts *opts, struct rules **ret,
		      struct rl_diags *diags);
struct rules *rules_free(struct rules *r);

const char *rules_path(const struct rules *r);
const struct rl_instance_conf *rules_instance(const struct rules *r);
const struct rl_cluster_conf *rules_cluster(const struct rules *r);
const struct rl_stats_conf *rules_stats(const struct rules *r);

size_t rules_napplications(const struct rules *r);
/* File order (include order, then key order). */
const struct rl_application *rules_application(const struct rules *r,
					       size_t i);
const struct rl_application *rules_find_application(const struct rules *r,
						    const char *name);
const struct rl_program *rules_find_program(const struct rules *r,
					    const char *app,
					    const char *program);
/* "app:proc" */
const struct rl_process *rules_find_process(const struct rules *r,
					    const char *namespec);
/* Every process of every application, application then program order. */
size_t rules_nprocesses(const struct rules *r);
const struct rl_process *rules_process(const struct rules *r, size_t i);
/* Tags declared anywhere in the file (instance.tags, cluster.instances). */
size_t rules_ntags(const struct rules *r);
const char *rules_tag(const struct rules *r, size_t i);

/* 64 hex digits: SHA-256 over a canonical encoding of the applications,
 * models, aliases and the cluster strategies (auto_fence,
 * starting_strategy, conciliation_strategy, failure_strategy,
 * load_source).  Independent of key order, comments and formatting;
 * changes with any value. */
const char *rules_digest(const struct rules *r);

/* Every key the language accepts, one per line as "section.key<TAB>type
 * <TAB>default" (applications.APP.programs.PROGRAM.command ...), for the
 * documentation drift test and `supvisors-sched check --dump-keys`. */
void rules_schema_dump(FILE *f);

#endif
