/*
 * ctl_req: decoding of control API requests, as pure functions: the
 * route (method + path) and the JSON body of the writes.  No daemon
 * state, no I/O, so that tests/fuzz/fuzz_ctl.c can throw anything at
 * them.  The handlers of core/ctl.c act on what these return.
 *
 * Bodies are optional; when present they must be one JSON object whose
 * fields are those of the route (API-CONTRACT.md), with the right types:
 * anything else is BAD_REQUEST, and an unknown signal BAD_SIGNAL.
 *
 * Ownership: struct ctl_route points into the PATH given (it must live
 * as long as the route is used); struct ctl_body owns its strings,
 * released by ctl_body_done().
 */
#ifndef CORE_CTL_REQ_H
#define CORE_CTL_REQ_H

#include <stdbool.h>
#include <stddef.h>

#include "rules/rules.h"

enum ctl_route_kind {
	CTL_STATE,
	CTL_INSTANCES,
	CTL_APPLICATIONS,
	CTL_PROCESSES,	    /* GET /v1/processes, /v1/processes/NS */
	CTL_PROCESS_LOG,    /* GET /v1/processes/NS/log */
	CTL_PROCESS_START,
	CTL_PROCESS_STOP,
	CTL_PROCESS_RESTART,
	CTL_PROCESS_SIGNAL,
	CTL_APP_START,
	CTL_APP_STOP,
	CTL_APP_RESTART,
	CTL_RELOAD,
	_CTL_ROUTE_MAX,
};

struct ctl_route {
	enum ctl_route_kind kind;
	bool write;	  /* POST */
	char name[256];	  /* namespec or application; "" when none */
};

/* 0, or -ENOENT (no such route: 404 NOT_FOUND), -EOPNOTSUPP (known
 * route, wrong method: 405), -ENAMETOOLONG (a name over 255 bytes: 400). */
int ctl_route_parse(const char *method, const char *path,
		    struct ctl_route *ret);

/* Use the application's own strategy. */
#define CTL_STRATEGY_DEFAULT ((enum rl_strategy)_RL_STRATEGY_MAX)

struct ctl_body {
	bool wait;		  /* default true */
	enum rl_strategy strategy; /* CTL_STRATEGY_DEFAULT when absent */
	char *instance;		  /* NULL when absent or null */
	char *extra_args;	  /* NULL when absent or null */
	char **extra_argv;	  /* extra_args split into words, NULL-ended */
	size_t nextra;
	int signal;		  /* 0 when absent */
};

#define CTL_EXTRA_ARGS_MAX 256

/* Split S into words as a shell would, without expansions: blanks
 * separate, '...' is literal, "..." honours \" and \\, a backslash
 * outside quotes escapes the next character.  -EINVAL for an unclosed
 * quote, a trailing backslash or more than CTL_EXTRA_ARGS_MAX words.
 * *RET is NULL-terminated; free it with ctl_free_words(). */
int ctl_split_words(const char *s, char ***ret, size_t *ret_n);
char **ctl_free_words(char **v);

/* Decode the body of a write to route KIND.  0; or -EINVAL (BAD_REQUEST)
 * or -EDOM (BAD_SIGNAL) with a message in MSG.  RET is written on
 * success only. */
int ctl_body_parse(enum ctl_route_kind kind, const char *body, size_t len,
		   struct ctl_body *ret, char *msg, size_t msglen);
void ctl_body_done(struct ctl_body *b);

struct cJSON;
/* The body of a write as one JSON object: 0 and *RET (NULL for an empty
 * or blank body; cJSON_Delete() it), or -EINVAL with a message in MSG
 * (malformed JSON, trailing data, not an object).  For the decoders of
 * other routes (ctl_cluster.h). */
int ctl_body_object(const char *body, size_t len, struct cJSON **ret,
		    char *msg, size_t msglen);

#endif
