/*
 * supvisors-sched: the command-line client.
 *
 * A thin client of the daemon's HTTP API on its control socket, plus the
 * offline commands (check, keygen, completion) that need no daemon.  The
 * command table below is the single list of commands: usage, `help`,
 * shell completion and the interactive prompt all read it.
 *
 * With no command on a terminal, the prompt: the process status first,
 * then one command per line, as supervisorctl does.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "tools/cli.h"

struct cli_opts cli_opts;

static int cmd_help(int argc, char **argv);

const struct cli_command cli_commands[] = {
	{"status", "[NAMESPEC...]", "show processes", cli_status, "namespec"},
	{"start", "[--strategy S] [--instance I] [--no-wait] NAMESPEC...",
	 "start processes (wait for RUNNING)", cli_start, "namespec"},
	{"stop", "[--no-wait] NAMESPEC...", "stop processes", cli_stop,
	 "namespec"},
	{"start-any", "[--strategy S] [--extra-args ARGS] [--no-wait] REGEX",
	 "start one stopped process whose namespec matches REGEX",
	 cli_start_any, NULL},
	{"disable", "[--instance I] NAMESPEC...",
	 "disable programs on an instance (stopped, never started)",
	 cli_disable, "namespec"},
	{"enable", "[--instance I] NAMESPEC...",
	 "enable disabled programs again", cli_enable, "namespec"},
	{"restart", "[[--strategy S] [--instance I] [--no-wait] NAMESPEC...]",
	 "restart processes, or the whole cluster", cli_restart_any,
	 "namespec"},
	{"signal", "SIGNAL NAMESPEC...", "send a signal to processes",
	 cli_signal, "signal"},
	{"tail", "[-f] [-n BYTES] NAMESPEC [stdout|stderr]",
	 "show (-f: follow) the end of a process log", cli_tail, "tail"},
	{"pid", "[NAMESPEC...]", "print the pid of the daemon or of processes",
	 cli_pid, "namespec"},
	{"apps", "", "show applications", cli_apps, NULL},
	{"app", "start|stop|restart [--strategy S] [--no-wait] APP...",
	 "start, stop or restart applications", cli_app, "app-action"},
	{"stats", "[-w] [INSTANCE|NAMESPEC]",
	 "node, process and application statistics", cli_stats, "namespec"},
	{"events", "[--type KIND[,KIND...]] [--json]",
	 "follow the event stream", cli_events, NULL},
	{"state", "", "show the cluster state and the master", cli_state,
	 NULL},
	{"instances", "[--json]", "show the cluster's instances",
	 cli_instances, NULL},
	{"reload", "", "re-read the configuration, apply the difference",
	 cli_reload, NULL},
	{"shutdown", "", "stop the whole cluster, then its daemons",
	 cli_shutdown, NULL},
	{"plan", "[--strategy S] [--json] APP|NAMESPEC",
	 "where a start would place processes, and why", cli_plan, "plan"},
	{"conflicts", "[--json]", "processes running on several instances",
	 cli_conflicts, NULL},
	{"conciliate", "STRATEGY", "resolve the conflicts with STRATEGY",
	 cli_conciliate, "conciliation"},
	{"end-sync", "[MASTER]", "end a USER synchronization",
	 cli_end_sync, "instance"},
	{"check", "[-c FILE] [--json] [FILE]", "validate a configuration",
	 cli_check, "file"},
	{"keygen", "", "print a new cluster key (base64)", cli_keygen, NULL},
	{"keyring", "list [--json]|install KEYFILE|-|use FP|remove FP",
	 "list or change the cluster's keys, on every instance", cli_keyring,
	 NULL},
	{"version", "", "print the versions of the CLI and the daemon",
	 cli_version, NULL},
	{"completion", "bash|zsh|fish", "print a shell completion script",
	 cli_completion, "shell"},
	{"help", "[COMMAND]", "show commands, or how to use one", cmd_help,
	 NULL},
	{"__complete", "names|apps|instances", "names for shell completion",
	 cli_complete, NULL},
	{NULL, NULL, NULL, NULL, NULL},
};

static void
usage(FILE *f)
{
	const struct cli_command *c;

	fprintf(f, "usage: supvisors-sched [-s socket] [-c config] [--json] "
		   "[-o wide] [--no-color] command [arg ...]\n\ncommands:\n");
	for (c = cli_commands; c->name != NULL; c++)
		if (strncmp(c->name, "__", 2) != 0)
			fprintf(f, "  %-11s %s\n", c->name, c->summary);
	fprintf(f, "\n'supvisors-sched help COMMAND' shows a command's "
		   "arguments.\n");
}

static const struct cli_command *
find_command(const char *name)
{
	const struct cli_command *c;

	for (c = cli_commands; c->name != NULL; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

static int
cmd_help(int argc, char **argv)
{
	const struct cli_command *c;

	if (argc < 2) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	c = find_command(argv[1]);
	if (c == NULL) {
		fprintf(stderr, "supvisors-sched: unknown command '%s'\n",
			argv[1]);
		return CLI_EXIT_USAGE;
	}
	printf("usage: supvisors-sched %s%s%s\n  %s\n", c->name,
	       c->args[0] ? " " : "", c->args, c->summary);
	return CLI_EXIT_OK;
}

static int
run_command(const struct cli_command *cmd, int argc, char **argv)
{
	int rc;

	bool quiet = cli_opts.quiet;

	/* commands parse their own options with getopt; 0 resets it */
	optind = 0;
	rc = cmd->run(argc, argv);
	fflush(stdout);
	cli_opts.quiet = quiet; /* the prompt goes on with the next one */
	return rc;
}

/* The interactive prompt: a plain getline loop. */
static int
prompt(void)
{
	char *line = NULL, **words;
	char *status_argv[] = {"status", NULL};
	const struct cli_command *cmd;
	size_t cap = 0;
	int n;

	run_command(find_command("status"), 1, status_argv);
	for (;;) {
		fputs("supvisors-sched> ", stdout);
		fflush(stdout);
		if (getline(&line, &cap, stdin) < 0) {
			putchar('\n');
			break;
		}
		n = cli_split_words(line, &words);
		if (n < 0) {
			fprintf(stderr, "*** unclosed quote\n");
			continue;
		}
		if (n > 0 && (strcmp(words[0], "quit") == 0 ||
			      strcmp(words[0], "exit") == 0)) {
			cli_words_free(words);
			break;
		}
		if (n > 0) {
			cmd = find_command(words[0]);
			if (cmd == NULL)
				fprintf(stderr, "*** unknown command '%s' "
						"(try 'help')\n", words[0]);
			else
				run_command(cmd, n, words);
		}
		cli_words_free(words);
	}
	free(line);
	return CLI_EXIT_OK;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"socket", required_argument, NULL, 's'},
		{"config", required_argument, NULL, 'c'},
		{"json", no_argument, NULL, 'j'},
		{"output", required_argument, NULL, 'o'},
		{"no-color", no_argument, NULL, 'C'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const struct cli_command *cmd;
	const char *term = getenv("TERM"), *nocolor = getenv("NO_COLOR");
	int c, rc;

	cli_opts.socket = getenv("SUPVISORS_SCHED_SOCKET");
	cli_opts.color = isatty(1) && term != NULL && strcmp(term, "dumb") &&
			 (nocolor == NULL || *nocolor == '\0');
	/* "+": options stop at the command name; commands parse their own */
	while ((c = getopt_long(argc, argv, "+s:c:o:hV", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 's':
			cli_opts.socket = optarg;
			break;
		case 'c':
			cli_opts.config = optarg;
			break;
		case 'j':
			cli_opts.json = true;
			break;
		case 'o':
			if (strcmp(optarg, "wide") == 0) {
				cli_opts.wide = true;
			} else if (strcmp(optarg, "json") == 0) {
				cli_opts.json = true;
			} else {
				fprintf(stderr, "supvisors-sched: unknown "
						"output format '%s'\n", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'C':
			cli_opts.color = false;
			break;
		case 'V':
			printf("supvisors-sched %s\n", SUPVISORS_VERSION);
			return CLI_EXIT_OK;
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		default:
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
			rc = prompt();
			cli_disconnect();
			return rc;
		}
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	cmd = find_command(argv[optind]);
	if (cmd == NULL) {
		fprintf(stderr, "supvisors-sched: unknown command '%s'\n",
			argv[optind]);
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	rc = run_command(cmd, argc - optind, argv + optind);
	cli_disconnect();
	return rc;
}
