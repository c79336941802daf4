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
};

extern struct cli_opts cli_opts;

struct cli_command {
	const char *name;
	const char *args;    /* usage synopsis of the arguments */
	const char *summary; /* one line for help */
	int (*run)(int argc, char **argv);
	/* completion hint for the first argument: "namespec", "app",
	 * "instance", "file", "shell", "strategy", "signal" or NULL */
	const char *complete;
};

/* NULL-terminated, defined in tools/supvisors-sched.c. */
extern const struct cli_command cli_commands[];

int cli_check(int argc, char **argv); /* tools/cli_check.c */
int cli_keygen(int argc, char **argv); /* tools/cli_keygen.c */

#endif
