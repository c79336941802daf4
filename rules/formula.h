/*
 * rules/formula: Supvisors' operational_status formulas (reference/
 * supvisors.md 3.3).  A formula is a boolean expression over quoted
 * process names or regular expressions (full match), with `and`, `or`,
 * `not`, `any('re')`, `all('re')` and parentheses, in Python's syntax and
 * precedence (not > and > or).  Strings take single or double quotes;
 * \\, \', \", \n and \t are escapes and any other backslash is kept, so
 * 'w_\d+' means what it means in Python.  Patterns are POSIX extended
 * regular expressions (glibc: \w \s \b work) with \d and \D rewritten to
 * [0-9] and [^0-9]; they are anchored at both ends.
 *
 * Parsing (rl_formula_parse) checks the syntax and compiles every
 * pattern, and reports the first error with its 1-based column: the
 * rules module calls it at load time.  Binding (rl_formula_bind)
 * resolves each operand against an application's process names once;
 * evaluation then costs one pass over the tree.  An operand outside
 * any()/all() must match exactly one name: matching none or several makes
 * every evaluation an error, whatever the process states, so that the
 * result never flips between "error" and "operational" with short-circuit
 * luck (Supvisors reports an evaluation error as a major failure).  any()
 * of no name is false and all() of no name is true, as in Python.
 *
 * Ownership: the formula owns everything reachable from it; it keeps no
 * pointer to the source nor to the names given to bind.
 * rl_formula_free() accepts NULL and returns NULL.
 */
#ifndef RL_FORMULA_H
#define RL_FORMULA_H

#include <stdbool.h>
#include <stddef.h>

struct rl_formula;

/* Longest source accepted, and deepest nesting. */
#define RL_FORMULA_MAX_LEN 8192
#define RL_FORMULA_MAX_DEPTH 64

/* 0, or -EINVAL with *RETERR_COL (1-based) and *RETERR_MSG (allocated,
 * the caller frees it) set when they are not NULL. */
int rl_formula_parse(const char *src, struct rl_formula **ret,
			size_t *reterr_col, char **reterr_msg);
struct rl_formula *rl_formula_free(struct rl_formula *f);

/* Resolves the operands against NAMES (N of them, index i is the i-th
 * value given to rl_formula_eval).  May be called again with another
 * list. */
void rl_formula_bind(struct rl_formula *f, const char *const *names,
			size_t n);
/* 1 (true), 0 (false), or -EINVAL (an operand outside any/all matched
 * no or several names; or the formula was never bound). VALUES has the
 * N entries of the last bind. */
int rl_formula_eval(const struct rl_formula *f, const bool *values);

#endif
