/*
 * supvisors-sched: the command-line client.
 *
 * A thin client of the daemon's HTTP API on its control socket, plus the
 * offline commands (check, keygen, completion) that need no daemon.  The
 * command table below is the single list of commands.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "tools/cli.h"

struct cli_opts cli_opts;

static int cmd_version(int argc, char **argv);
static int cmd_help(int argc, char **argv);

const struct cli_command cli_commands[] = {
	{"check", "[-c FILE] [--json] [FILE]", "validate a configuration",
	 cli_check, "file"},
	{"version", "", "print the version", cmd_version, NULL},
	{"help", "[COMMAND]", "show commands", cmd_help, NULL},
	{"keygen", "", "print a new cluster key (base64)", cli_keygen, NULL},
	{NULL, NULL, NULL, NULL, NULL},
};

static void
usage(FILE *f)
{
	const struct cli_command *c;

	fprintf(f, "usage: supvisors-sched [-s socket] [-c config] [--json] "
		   "[-o wide] [--no-color] command [arg ...]\n\ncommands:\n");
	for (c = cli_commands; c->name != NULL; c++)
		fprintf(f, "  %-10s %-28s %s\n", c->name, c->args, c->summary);
}

static int
cmd_version(int argc, char **argv)
{
	printf("supvisors-sched %s\n", SUPVISORS_VERSION);
	return CLI_EXIT_OK;
}

static int
cmd_help(int argc, char **argv)
{
	usage(stdout);
	return CLI_EXIT_OK;
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
	int c;

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
			return cmd_version(0, NULL);
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		default:
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
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
	optind++;
	/* commands use getopt again on their own argv */
	{
		int sub_argc = argc - optind + 1;
		char **sub_argv = argv + optind - 1;

		optind = 1;
		return cmd->run(sub_argc, sub_argv);
	}
}
