/*
 * core/record: what instances tell each other, as pure encoders and
 * strict decoders.  The process record and the state machine record
 * travel in the gossip KV store; the peer command is the JSON body of a
 * sealed command.  A seal proves who sent the bytes, not that they are
 * well formed, so every decoder bounds every field, rejects what its
 * encoder would never write, and never reads past the length it is
 * given.  No logging, no clock: the daemon decides what a rejection
 * means (core/cluster.c, core/daemon.c).
 *
 * The process record, under the process's namespec:
 *   STATE\tPID\tSTART_WALL_MS\tLOADING\tFLAGS\tEXTRA_ARGS\tDESCRIPTION
 * (FLAGS "0" to "3": 1 when EXITED with an expected code, plus 2 when
 * the program is disabled on that instance; the description is any
 * text after the sixth tab).
 * The state machine record, under "@fsm":
 *   STATE\tMASTER\tSTABLE\tRUNNING_HASH
 * (MASTER "-" when none, STABLE "0" or "1", RUNNING_HASH 16 lowercase
 * hex digits).
 *
 * Ownership: record_proc_decode() gives EXTRA and DESC to the caller,
 * who frees them with record_proc_clear() (or takes them).  The same
 * for record_cmd_parse() and record_cmd_clear().  Encoders only read.
 */
#ifndef CORE_RECORD_H
#define CORE_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sched/fsm.h"
#include "sched/view.h"

struct cJSON;

/* Bytes of EXTRA_ARGS and of DESCRIPTION in a process record: the
 * encoder cuts longer texts (at a character boundary). */
#define RECORD_TEXT_MAX 255
/* Linux's PID_MAX_LIMIT on 64-bit. */
#define RECORD_PID_MAX 4194304
#define RECORD_LOADING_MAX 100
/* 9999-12-31T23:59:59.999Z: a wall clock in ms, or an uptime. */
#define RECORD_WALL_MAX 253402300799999LL
/* An instance name (the gossip's WIRE_NAME_MAX). */
#define RECORD_NAME_MAX 64

struct record_proc {
	enum sched_proc_state state;
	int pid;               /* 0..RECORD_PID_MAX */
	int64_t start_wall_ms; /* 0..RECORD_WALL_MAX, 0 when not running */
	unsigned loading;      /* 0..RECORD_LOADING_MAX */
	bool expected;
	bool disabled; /* the program is disabled on its instance */
	char *extra; /* extra arguments, "" when none */
	char *desc;
};

/* Writes the record into BUF (NUL-terminated) and returns its length,
 * -EINVAL when a field is out of range, -ENOSPC when LEN is too small.
 * Tabs and newlines in EXTRA and DESC become spaces, bytes that are not
 * UTF-8 become '?', and both are cut to RECORD_TEXT_MAX bytes, so that
 * what is encoded always decodes. NULL EXTRA or DESC: "". */
int record_proc_encode(const struct record_proc *p, char *buf, size_t len);
/* 0 or -EINVAL (then *RET is untouched).  EXTRA: UTF-8, no tab, no
 * newline; DESC: UTF-8; neither holds a NUL; numbers in decimal without
 * sign or leading zero. */
int record_proc_decode(const uint8_t *v, size_t len, struct record_proc *ret);
void record_proc_clear(struct record_proc *p);

struct record_fsm {
	enum sched_cstate state;
	char master[RECORD_NAME_MAX + 1]; /* "" when none */
	bool stable;
	uint64_t running;
};

/* As record_proc_encode(); -EINVAL for an unknown state or a master
 * name that is "-", too long, or holds a tab, a newline or non-UTF-8. */
int record_fsm_encode(const struct record_fsm *f, char *buf, size_t len);
int record_fsm_decode(const uint8_t *v, size_t len, struct record_fsm *ret);

/* ------------------------------------------------------------ commands */

enum record_op {
	RECORD_OP_START,    /* namespec, load, extra_args */
	RECORD_OP_STOP,     /* namespec */
	RECORD_OP_SIGNAL,   /* namespec, signal */
	RECORD_OP_LOG,      /* namespec, stream, bytes */
	RECORD_OP_EVENT,    /* namespec, state, pid, uptime_ms, expected,
			     * version */
	RECORD_OP_SHUTDOWN, /* nothing */
	RECORD_OP_RESTART,  /* nothing */
	RECORD_OP_DISABLE,  /* namespec: its program, on the target */
	RECORD_OP_ENABLE,   /* namespec */
	RECORD_OP_FINAL,    /* restart: the master's FINAL, finish too */
	_RECORD_OP_MAX,
};

enum record_stream {
	RECORD_STDOUT,
	RECORD_STDERR,
	_RECORD_STREAM_MAX,
};

const char *record_op_to_string(enum record_op op);
int record_op_from_string(const char *s);
const char *record_stream_to_string(enum record_stream s);
int record_stream_from_string(const char *s);

#define RECORD_NAMESPEC_MAX 1024
#define RECORD_EXTRA_ARGS_MAX 65536
#define RECORD_SIGNAL_MAX 64
#define RECORD_BYTES_MAX (16u << 20)

/* A peer command.  Only the fields of its op are set; the others are
 * zero (NULL strings). */
struct record_cmd {
	enum record_op op;
	char *namespec;
	unsigned load;    /* 0..100 */
	char *extra_args; /* NULL when absent or null */
	int signal;       /* 1..RECORD_SIGNAL_MAX */
	enum record_stream stream;
	size_t bytes;                /* 0..RECORD_BYTES_MAX */
	enum sched_proc_state state; /* event */
	int pid;                     /* event, 0 when absent */
	int64_t uptime_ms;           /* event, 0 when absent */
	bool expected;               /* event, false when absent */
	uint64_t version;            /* event: the record's, 0 when absent */
	bool restart;                /* final */
};

/* The body BODY of LEN bytes (JSON) into *RET: 0, or -EINVAL with a
 * message in MSG, or -ENOENT when the namespec is missing or cannot be
 * one (no such process).  Numbers must be integers; unknown members
 * are ignored, as in the daemon's API. */
int record_cmd_parse(const uint8_t *body, size_t len, struct record_cmd *ret,
		     char *msg, size_t msglen);
/* The same from a parsed object. */
int record_cmd_from_json(const struct cJSON *req, struct record_cmd *ret,
			 char *msg, size_t msglen);
void record_cmd_clear(struct record_cmd *c);

#endif
