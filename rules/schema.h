/*
 * rules/schema: the schema tables (one per YAML mapping: key, type,
 * bounds, documented default, where the value goes) and the raw records
 * they fill before models, aliases and defaults are resolved.
 *
 * A raw record remembers which keys were written (bit i of `set` for
 * field i of its table) and the value node of each (`pos`), so that a
 * later check can point at the exact value and a model can fill only what
 * a program left out.
 *
 * Ownership: raw records and the nodes they point to live in the loader's
 * scratch arena.
 */
#ifndef RULES_SCHEMA_H
#define RULES_SCHEMA_H

#include "rules/rules-int.h"

extern const char *const rl_distribution_names[];
extern const char *const rl_strategy_names[];
extern const char *const rl_starting_failure_names[];
extern const char *const rl_running_failure_names[];
extern const char *const rl_conciliation_names[];
extern const char *const rl_cluster_failure_names[];
extern const char *const rl_load_source_names[];
extern const char *const rl_autorestart_names[];
extern const char *const rl_synchro_names[];
int rl_enum_lookup(const char *const *names, const char *s);

enum ftype {
	T_STR,		/* any scalar, as text */
	T_NSTR,		/* T_STR or null */
	T_BOOL,
	T_INT,		/* int64_t in [min, max] */
	T_DUR,		/* int64_t milliseconds in [min, max] */
	T_SIZE,		/* uint64_t bytes in [0, max] */
	T_ENUM,		/* int, index in names */
	T_AUTORESTART,	/* int: a boolean or "unexpected" */
	T_SIGNAL,	/* int */
	T_UMASK,	/* int64_t, octal */
	T_ARGV,		/* struct strvec: a list, or a string split into words */
	T_ENV,		/* struct kvvec */
	T_LIST,		/* struct nodevec of scalars (a scalar alone: one) */
	T_EXITCODES,	/* struct intvec */
	T_SYNCHRO,	/* unsigned RL_SYNCHRO_* set */
	T_STATS,	/* unsigned RL_STATS_* set */
	T_PERIODS,	/* struct periods */
	T_SUB,		/* a nested table */
	T_NODE,		/* kept as a node, walked by the loader */
};

struct strvec {
	const char **v;
	size_t n;
};

struct nodevec {
	struct ynode **v;
	size_t n;
};

struct intvec {
	int *v;
	size_t n;
};

struct kvvec {
	struct rl_kv *v;
	struct ynode **nodes; /* value nodes */
	size_t n;
};

struct periods {
	int64_t v[RL_STATS_PERIODS_MAX];
	size_t n;
};

struct table;

struct field {
	const char *key;
	enum ftype type;
	int64_t min, max;
	size_t off;
	const char *def;	       /* the default, for documentation */
	const char *const *names;      /* T_ENUM */
	const struct table *sub;       /* T_SUB */
	bool nullable;		       /* null accepted (leaves it unset) */
};

struct table {
	const char *name; /* "program", "cluster.gossip": documentation */
	const struct field *f;
	size_t n;
	size_t set_off;
	size_t pos_off;
};

/* ---------------------------------------------------------- records */

enum prog_field {
	PF_COMMAND,
	PF_PROCESS_NAME,
	PF_NUMPROCS,
	PF_NUMPROCS_START,
	PF_DIRECTORY,
	PF_UMASK,
	PF_USER,
	PF_ENVIRONMENT,
	PF_AUTORESTART,
	PF_STARTSECS,
	PF_STARTRETRIES,
	PF_EXITCODES,
	PF_STOPSIGNAL,
	PF_STOPWAITSECS,
	PF_STOPASGROUP,
	PF_KILLASGROUP,
	PF_REDIRECT_STDERR,
	PF_STDOUT_LOGFILE,
	PF_STDOUT_MAXBYTES,
	PF_STDOUT_BACKUPS,
	PF_STDERR_LOGFILE,
	PF_STDERR_MAXBYTES,
	PF_STDERR_BACKUPS,
	PF_IDENTIFIERS,
	PF_REQUIRED,
	PF_START_SEQUENCE,
	PF_STOP_SEQUENCE,
	PF_WAIT_EXIT,
	PF_WAIT_EXIT_TIMEOUT,
	PF_EXPECTED_LOADING,
	PF_REFERENCE,
	PF_STARTING_FAILURE,
	PF_RUNNING_FAILURE,
	_PF_MAX,
};

/* A program or a model. */
struct praw {
	uint64_t set;
	struct ynode *pos[_PF_MAX];
	struct ynode *key; /* the name in its mapping */
	const char *name;
	struct strvec command;
	const char *process_name;
	int64_t numprocs;
	int64_t numprocs_start;
	const char *directory;
	int64_t umask;
	const char *user;
	struct kvvec environment;
	int autorestart;
	int64_t startsecs;
	int64_t startretries;
	struct intvec exitcodes;
	int stopsignal;
	int64_t stopwaitsecs;
	bool stopasgroup;
	bool killasgroup;
	bool redirect_stderr;
	const char *stdout_logfile;
	uint64_t stdout_maxbytes;
	int64_t stdout_backups;
	const char *stderr_logfile;
	uint64_t stderr_maxbytes;
	int64_t stderr_backups;
	struct nodevec identifiers;
	bool required;
	int64_t start_sequence;
	int64_t stop_sequence;
	bool wait_exit;
	int64_t wait_exit_timeout;
	int64_t expected_loading;
	const char *reference;
	int starting_failure;
	int running_failure;
};

enum app_field {
	AF_DISTRIBUTION,
	AF_IDENTIFIERS,
	AF_START_SEQUENCE,
	AF_STOP_SEQUENCE,
	AF_STARTING_STRATEGY,
	AF_STARTING_FAILURE,
	AF_RUNNING_FAILURE,
	AF_OPERATIONAL_STATUS,
	AF_PROGRAMS,
	_AF_MAX,
};

struct araw {
	uint64_t set;
	struct ynode *pos[_AF_MAX];
	struct ynode *key;
	const char *name;
	int distribution;
	struct nodevec identifiers;
	int64_t start_sequence;
	int64_t stop_sequence;
	int starting_strategy;
	int starting_failure;
	int running_failure;
	const char *operational_status;
	struct ynode *programs;
	struct praw **progs;
	size_t nprogs;
};

enum inst_field {
	IF_NAME,
	IF_LISTEN,
	IF_ADVERTISE,
	IF_MACHINE,
	IF_TAGS,
	IF_CONTROL,
	IF_HTTP,
	IF_HTTP_TOKEN_FILE,
	IF_HTTP_PUBLIC_READ,
	IF_STATE_DIR,
	IF_LOG_DIR,
	_IF_MAX,
};

struct iraw {
	uint64_t set;
	struct ynode *pos[_IF_MAX];
	const char *name;
	const char *listen;
	const char *advertise;
	const char *machine;
	struct nodevec tags;
	const char *control;
	const char *http;
	const char *http_token_file;
	bool http_public_read;
	const char *state_dir;
	const char *log_dir;
};

enum gossip_field {
	GF_PROBE_INTERVAL,
	GF_PROBE_TIMEOUT,
	GF_INDIRECT_CHECKS,
	GF_SUSPICION_MULT,
	GF_RETRANSMIT_MULT,
	GF_GOSSIP_INTERVAL,
	GF_GOSSIP_NODES,
	GF_SYNC_INTERVAL,
	_GF_MAX,
};

struct graw {
	uint64_t set;
	struct ynode *pos[_GF_MAX];
	int64_t probe_interval;
	int64_t probe_timeout;
	int64_t indirect_checks;
	int64_t suspicion_mult;
	int64_t retransmit_mult;
	int64_t gossip_interval;
	int64_t gossip_nodes;
	int64_t sync_interval;
};

enum cluster_field {
	CF_NAME,
	CF_KEY_FILE,
	CF_INSTANCES,
	CF_CORE,
	CF_SYNCHRO,
	CF_SYNCHRO_TIMEOUT,
	CF_AUTO_FENCE,
	CF_STARTING_STRATEGY,
	CF_CONCILIATION,
	CF_FAILURE,
	CF_LOAD_SOURCE,
	CF_GOSSIP,
	_CF_MAX,
};

struct craw {
	uint64_t set;
	struct ynode *pos[_CF_MAX];
	const char *name;
	const char *key_file;
	struct ynode *instances;
	struct nodevec core;
	unsigned synchro;
	int64_t synchro_timeout;
	bool auto_fence;
	int starting_strategy;
	int conciliation;
	int failure;
	int load_source;
	struct graw gossip;
};

enum stats_field {
	SF_ENABLED,
	SF_COLLECTING_PERIOD,
	SF_PERIODS,
	SF_HISTORY,
	SF_IRIX_MODE,
	_SF_MAX,
};

struct sraw {
	uint64_t set;
	struct ynode *pos[_SF_MAX];
	unsigned enabled;
	int64_t collecting_period;
	struct periods periods;
	int64_t history;
	bool irix_mode;
};

/* A cluster.instances entry written as a mapping. */
enum peer_field {
	EF_ADDRESS,
	EF_TAGS,
	_EF_MAX,
};

struct eraw {
	uint64_t set;
	struct ynode *pos[_EF_MAX];
	const char *address;
	struct nodevec tags;
};

enum top_field {
	TF_VERSION,
	TF_INSTANCE,
	TF_CLUSTER,
	TF_STATS,
	TF_INCLUDE,
	TF_ALIASES,
	TF_MODELS,
	TF_APPLICATIONS,
	_TF_MAX,
};

struct traw {
	uint64_t set;
	struct ynode *pos[_TF_MAX];
	int64_t version;
	struct iraw instance;
	struct craw cluster;
	struct sraw stats;
	struct nodevec include;
	struct ynode *aliases;
	struct ynode *models;
	struct ynode *applications;
};

extern const struct table schema_top, schema_instance, schema_cluster,
	schema_gossip, schema_stats, schema_program, schema_application,
	schema_peer;

/* The context named in messages: "in program 'hmi'", "in 'cluster'". */
struct wctx {
	const char *kind; /* "program", "'cluster'", ... */
	const char *name; /* NULL when KIND says it all */
};

/* Fill BASE from mapping MAP through table T: every key typed, unknown
 * and duplicate keys reported.  Keys whose table entry is T_NODE are kept
 * as nodes for the caller.  Returns false when MAP is not a mapping. */
bool schema_walk(struct ld *ld, const struct ynode *map, const struct table *t,
		 void *base, const struct wctx *ctx);
/* Whether ld_visit() refused: the file's node budget is spent. */
bool ld_visit(struct ld *ld, const struct ynode *n);

/* Copy field I of table T from SRC into DST (set bit and position too). */
void schema_copy_field(const struct table *t, size_t i, void *dst,
		       const void *src);
static inline bool
field_set(const void *base, const struct table *t, size_t i)
{
	return (*(const uint64_t *)((const char *)base + t->set_off) >> i) & 1;
}
static inline struct ynode *
field_pos(const void *base, const struct table *t, size_t i)
{
	return ((struct ynode *const *)((const char *)base + t->pos_off))[i];
}

/* A name for an application, program, model, alias, instance or tag:
 * [A-Za-z0-9_][A-Za-z0-9_.-]*, at most 64 bytes.  Returns NULL when
 * valid, else what is wrong. */
const char *schema_check_name(const char *s);

#endif
