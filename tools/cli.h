/*
 * The CLI's command table and the state shared by commands.
 *
 * Each command lives in its own tools/cli_<area>.c and is listed once in
 * the table in tools/supvisors-sched.c; the same table drives usage,
 * `help`, shell completion and the interactive prompt.
 *
 * A command gets argv with argv[0] = the command name, and returns the
 * process exit code (CLI_EXIT_*).  It prints results to stdout and
 * problems to stderr.
 */
#ifndef TOOLS_CLI_H
#define TOOLS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct cJSON;
struct client;

enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAILED = 1,
	CLI_EXIT_USAGE = 2,
	CLI_EXIT_NOT_RUNNING = 3, /* status: a selected process not RUNNING */
	CLI_EXIT_UNKNOWN = 4,     /* unknown name, or daemon not reachable */
	CLI_EXIT_START_FAILED = 7,
};

struct cli_opts {
	const char *socket; /* -s, $SUPVISORS_SCHED_SOCKET, or from config */
	const char *config; /* -c */
	bool json;          /* --json */
	bool wide;          /* -o wide */
	bool color;         /* decided once: tty, TERM, NO_COLOR, --no-color */
	bool quiet;         /* no error messages (shell completion) */
};

extern struct cli_opts cli_opts;

struct cli_command {
	const char *name;
	const char *args;    /* usage synopsis of the arguments */
	const char *summary; /* one line for help */
	int (*run)(int argc, char **argv);
	/* completion hint for the arguments: "namespec", "app",
	 * "instance", "file", "shell", "plan" (an application or a
	 * namespec), "conciliation" (a conciliation strategy), NULL, or
	 * "signal" (a signal, then namespecs), "tail" (a namespec, then
	 * stdout|stderr), "app-action" (start|stop|restart, then apps).
	 * Commands whose name starts with "__" are hidden. */
	const char *complete;
};

/* NULL-terminated, defined in tools/supvisors-sched.c. */
extern const struct cli_command cli_commands[];

int cli_check(int argc, char **argv); /* tools/cli_check.c */

/* tools/cli_status.c */
int cli_status(int argc, char **argv);
int cli_pid(int argc, char **argv);
int cli_complete(int argc, char **argv); /* hidden: __complete names|apps */
/* tools/cli_proc.c */
int cli_start(int argc, char **argv);
int cli_stop(int argc, char **argv);
int cli_restart(int argc, char **argv);
int cli_signal(int argc, char **argv);
int cli_apps(int argc, char **argv);
int cli_app(int argc, char **argv);
/* tools/cli_tail.c */
int cli_tail(int argc, char **argv);
/* tools/cli_daemon.c */
int cli_state(int argc, char **argv);
int cli_reload(int argc, char **argv);
int cli_version(int argc, char **argv);
/* tools/cli_completion.c */
int cli_completion(int argc, char **argv);
/* tools/cli_stats.c */
int cli_stats(int argc, char **argv);
int cli_events(int argc, char **argv); /* tools/cli_events.c */
int cli_instances(int argc, char **argv); /* tools/cli_instances.c */
/* tools/cli_cluster.c */
int cli_plan(int argc, char **argv);
int cli_conflicts(int argc, char **argv);
int cli_conciliate(int argc, char **argv);
int cli_end_sync(int argc, char **argv);
int cli_shutdown(int argc, char **argv);
/* tools/cli_extra.c */
int cli_disable(int argc, char **argv);
int cli_enable(int argc, char **argv);
int cli_start_any(int argc, char **argv);
/* restart NAMESPEC... (cli_restart), or the cluster without one */
int cli_restart_any(int argc, char **argv);

/* ------------------------------------------------------------ tools/cli_conn.c
 * The connection to the daemon, opened on first use. */

/* The control socket: -s, $SUPVISORS_SCHED_SOCKET, the configuration's
 * instance.control (-c, or the default file when it exists), then
 * $XDG_RUNTIME_DIR/supvisors-sched/control.sock when it exists, then
 * /run/supvisors-sched/control.sock.  Static storage. */
const char *cli_socket_path(void);
/* Whole-request timeout of the next calls in ms (0: none). */
void cli_set_timeout_ms(long ms);
/* METHOD PATH [BODY] to the daemon.  0: an answer came (*RET_STATUS, and
 * *RET_JSON when the body is JSON, else NULL; the caller frees it), or
 * CLI_EXIT_UNKNOWN after printing why the daemon is unreachable. */
int cli_call(const char *method, const char *path, const char *body,
	     long *ret_status, struct cJSON **ret_json);
/* Print why a transport error -ERR happened; returns CLI_EXIT_UNKNOWN. */
int cli_report_transport(int err);
/* The open client (for streams), or NULL after printing why. */
struct client *cli_client(void);
/* GET PATH: 0 and the JSON object of a 200 answer in *RET, or the exit
 * code after printing what went wrong. */
int cli_get_json(const char *path, struct cJSON **ret);
/* cli_get_json(), except that with --json the object is printed here
 * and *RET is NULL: the caller only formats for humans. */
int cli_fetch(const char *path, struct cJSON **ret);
/* Print "supvisors-sched: MESSAGE" for a {"error":{...}} answer (or the
 * status) and return the exit code that error code means. */
int cli_report_error(long status, const struct cJSON *json);
/* Free the connection (REPL exit, end of main). */
void cli_disconnect(void);

/* ------------------------------------------------------------ tools/cli_fmt.c
 * Pure helpers: no I/O but to the FILE given. */

/* A table of strings printed with uppercase headers, 2-space gaps, no
 * borders.  Cells and colours are copied. */
struct cli_table;
struct cli_table *cli_table_new(size_t ncols, const char *const *headers);
/* COLORS: NULL, or one ANSI SGR sequence (or NULL) per cell. */
void cli_table_add(struct cli_table *t, const char *const *cells,
		   const char *const *colors);
/* WIDTH > 0: cut the last column so that lines fit (terminals only). */
void cli_table_print(const struct cli_table *t, FILE *f, int width,
		     bool color);
struct cli_table *cli_table_free(struct cli_table *t);

/* ANSI colour of a process state (NULL: none).  EXPECTED tells whether
 * an EXITED process exited as expected. */
const char *cli_state_color(const char *state, bool expected);
#define CLI_COLOR_RESET "\033[0m"

/* NAMESPEC is "app:proc", "app:*", "all" or a bare name: 0, or -EINVAL
 * when it cannot name anything (empty part, two colons, '/', blanks or
 * control characters). */
int cli_namespec_check(const char *namespec);
/* Append the items of array KEY of FROM to array KEY of INTO (created
 * when missing); items are moved out of FROM. */
void cli_json_merge_array(struct cJSON *into, struct cJSON *from,
			  const char *key);
/* String member KEY of O, or NULL. */
const char *cli_json_str(const struct cJSON *o, const char *key);
/* Number member KEY of O into *RET; false when missing or not a number. */
bool cli_json_num(const struct cJSON *o, const char *key, double *ret);
/* JSON on one line on stdout: the --json output of every command. */
void cli_print_json(const struct cJSON *json);
/* Exit code of a failed result's error code for COMMAND ("start",
 * "stop", "restart", "signal"): 0 for the codes supervisorctl ignores
 * (ALREADY_STARTED on start, NOT_RUNNING on stop). */
int cli_exit_for_code(const char *command, const char *code);
/* supervisorctl's words for an error code: "already started"... */
const char *cli_error_text(const char *code);
/* Terminal width for cutting tables: 0 unless stdout is a terminal. */
int cli_term_width(void);
/* Split LINE into words (blanks; '...' and "..." quote) for the prompt.
 * Returns the count, -EINVAL for an unclosed quote; *RET_ARGV is
 * NULL-terminated, freed with cli_words_free(). */
int cli_split_words(const char *line, char ***ret_argv);
void cli_words_free(char **argv);

/* ------------------------------------------------------------ tools/cli_completion.c */

/* The completion script for SHELL ("bash", "zsh", "fish") of the
 * commands in CMDS, for program PROG; -EINVAL for another shell. */
int cli_completion_write(FILE *f, const char *shell,
			 const struct cli_command *cmds, const char *prog);
int cli_keygen(int argc, char **argv); /* tools/cli_keygen.c */
int cli_keyring(int argc, char **argv); /* tools/cli_keyring.c */

#endif
