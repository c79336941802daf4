/*
 * rules/loader: the loader's state, shared by its three stages:
 * load.c (files, includes, the schema walk into raw records), resolve.c
 * (instance and cluster settings, aliases, identifiers, models) and
 * build.c (programs, processes, applications, the digest).  Private to
 * rules/.
 *
 * Ownership: struct ld lives for one load.  struct rules is built in its
 * own arena and handed to the caller only when the load is valid.
 */
#ifndef RULES_LOADER_H
#define RULES_LOADER_H

#include "rules/schema.h"

struct rules {
	struct arena a;
	const char *path;
	struct rl_instance_conf instance;
	struct rl_cluster_conf cluster;
	struct rl_stats_conf stats;
	struct rl_application *apps;
	size_t napps;
	const struct rl_process **procs;
	size_t nprocs;
	const char **tags;
	size_t ntags;
	struct strmap app_map;
	struct strmap proc_map;
	char digest[65];
};

struct alias_raw {
	struct ynode *key;
	const char *name;
	struct nodevec items;
	int state; /* 0 unresolved, 1 resolving, 2 resolved */
	struct rl_ident *v;
	size_t n;
};

struct model_raw {
	struct praw p;
	bool broken;
};

struct prog_ext {
	struct praw p;
	bool broken;
};

struct vec {
	void **v;
	size_t n, cap;
};

struct ld {
	struct arena scratch;
	struct rules *r;
	struct rl_diags *diags;
	const struct rules_load_opts *opts;
	const char *const *envp;
	const char *host;
	struct ld_file *files;
	size_t nfiles;
	size_t capfiles;
	size_t visits;
	bool visit_over;
	bool parse_failed;
	struct traw top;
	struct vec apps;     /* struct araw * */
	struct vec models;   /* struct model_raw * */
	struct vec aliases;  /* struct alias_raw * */
	struct strmap app_map, model_map, alias_map; /* name -> key node */
	struct strmap model_raws, alias_raws; /* name -> raw record */
	struct strmap inst_map; /* name -> struct rl_instance * (or marker) */
	struct strmap tag_map;  /* tag -> tag */
	const char *instance_name;
	size_t nprocesses; /* built so far, against RL_PROCESSES_MAX */
};

#define error(ld, n, ...) ld_diag(ld, n, RL_SEV_ERROR, __VA_ARGS__)
#define warning(ld, n, ...) ld_diag(ld, n, RL_SEV_WARNING, __VA_ARGS__)
#define SET(p, f) (((p)->set >> (f)) & 1)

void vec_push(struct vec *v, void *p);
/* $NAME in the load's environment, or NULL */
const char *env_get(struct ld *ld, const char *name);
/* PATH if absolute, else DIR/PATH in A */
const char *join_path(struct arena *a, const char *dir, const char *path);
/* " (did you mean 'X'?)" for the key of M nearest to S, or "" */
const char *near_in_map(const struct strmap *m, const char *s, char *buf,
			size_t len);
/* K is a scalar and a valid name for WHAT; reported if not */
bool check_name(struct ld *ld, const struct ynode *k, const char *what);
/* K's name is new in M; else reported, naming the first definition */
bool check_unique(struct ld *ld, struct strmap *m, struct ynode *k,
		  const char *what, const char *section);
/* N is a mapping (true), or null (false), or reported (false) */
bool map_or_null(struct ld *ld, const struct ynode *n, const char *section);

/* resolve.c */
void resolve_instance(struct ld *ld);
void resolve_stats(struct ld *ld);
void resolve_aliases(struct ld *ld);
bool resolve_idents(struct ld *ld, const struct nodevec *nv, bool is_app,
		    const char *name, unsigned numprocs,
		    struct rl_identifiers *ret);
void check_models(struct ld *ld);
bool merge_models(struct ld *ld, struct praw *eff, char *ctx_what);

/* build.c: the second stage, after a load whose files all parsed */
void ld_resolve(struct ld *ld);

#endif
