/*
 * Private interfaces shared by the files of rules/: the arena that owns a
 * loaded struct rules, the YAML tree built from libyaml's events, the
 * diagnostics sink, the schema tables and the expansion helpers.
 *
 * Ownership: everything reachable from a struct rules lives in its arena
 * (r->arena) and dies with rules_free().  The YAML trees and the raw
 * (not yet resolved) settings live in the loader's scratch arena, freed
 * when rules_load() returns.  Nothing here is thread-safe; one load runs
 * in one thread.
 */
#ifndef RULES_RULES_INT_H
#define RULES_RULES_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/rules.h"

#define RL_FILE_MAX (4u << 20)	/* bytes per file */
#define RL_DEPTH_MAX 64		/* nesting levels */
#define RL_NODES_MAX 100000	/* nodes per file, visits through aliases too */
#define RL_INCLUDE_DEPTH_MAX 16
#define RL_PROCESSES_MAX 100000	/* processes in all, after numprocs */

/* ------------------------------------------------------------ arena */

struct arena_chunk;

struct arena {
	struct arena_chunk *head;
	char *cur;
	size_t left;
};

void *arena_alloc(struct arena *a, size_t n);	/* zeroed, 16-aligned */
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void arena_done(struct arena *a);

/* A string -> pointer hash table (open addressing), keys not copied. */
struct strmap {
	const char **keys;
	void **vals;
	size_t n;
	size_t cap;
};

void *strmap_get(const struct strmap *m, const char *key);
/* Returns the previous value (NULL if the key was new); never replaces. */
void *strmap_put(struct strmap *m, const char *key, void *val);
void strmap_done(struct strmap *m);

/* ------------------------------------------------------------ YAML tree */

enum ynode_type {
	Y_SCALAR,
	Y_SEQ,
	Y_MAP,
};

struct ynode {
	uint8_t type;
	bool quoted;	/* scalar written quoted, literal or folded */
	uint16_t file;	/* index in the loader's file table */
	uint32_t line;	/* 1-based */
	uint32_t col;	/* 1-based */
	uint32_t n;	/* scalar: length; seq: items; map: pairs */
	union {
		char *s;		/* scalar, NUL-terminated */
		struct ynode **v;	/* seq items; map: v[2i] key, v[2i+1] value */
	};
};

struct ld;

/* Parse DATA into a tree in the loader's scratch arena.  Syntax errors and
 * limits go to the diagnostics; returns the root (NULL for an empty
 * document) and sets *ret_ok to false when the file must be ignored. */
struct ynode *yaml_tree_parse(struct ld *ld, unsigned file, const char *data,
			      size_t len, bool *ret_ok);

bool ynode_is_null(const struct ynode *n);
const char *ynode_type_name(const struct ynode *n);

/* ------------------------------------------------------------ loader */

struct ld_file {
	char *path;	/* as shown in diagnostics */
	char *here;	/* absolute directory, for %(here)s and relative paths */
	char *real;	/* realpath, for include cycles; NULL for buffers */
	int parent;	/* including file, -1 for the main file */
};

void ld_diag(struct ld *ld, const struct ynode *n, enum rl_severity sev,
	     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void ld_vdiag(struct ld *ld, unsigned file, unsigned line, unsigned col,
	      enum rl_severity sev, const char *fmt, va_list ap)
	__attribute__((format(printf, 6, 0)));
struct arena *ld_scratch(struct ld *ld);

void rl_diags_add(struct rl_diags *d, const char *file, int line, int column,
		  enum rl_severity sev, const char *message);

/* ------------------------------------------------------------ expansion */

/* One %(name)s value: a string, or an integer (for %d). */
struct xvar {
	const char *name;
	const char *s;	/* NULL: integer */
	long long i;
};

/* Python %-formatting of TEMPLATE with VARS and %(ENV_X)s from ENVP.  On
 * success returns the expanded string (in A); on error returns NULL and
 * writes a message to ERR. */
char *expand_template(struct arena *a, const char *tmpl,
		      const struct xvar *vars, size_t nvars,
		      const char *const *envp, char *err, size_t errlen);
/* Split like a POSIX shell word list (quotes and backslashes, no
 * expansions).  Returns the number of words or -1 with ERR set. */
int shell_split(struct arena *a, const char *s, const char ***ret_argv,
		char *err, size_t errlen);

#endif
