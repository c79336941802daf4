/*
 * supvisors-sched: the command-line client.
 *
 * A thin client of the daemon's HTTP API on its control socket, plus the
 * offline commands (check, keygen, completion) that need no daemon.
 */
#include <stdio.h>
#include <string.h>

#include "core/util.h"

int
main(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "version") == 0 ||
			 strcmp(argv[1], "--version") == 0)) {
		printf("supvisors-sched %s\n", SUPVISORS_VERSION);
		return 0;
	}
	fprintf(stderr, "usage: supvisors-sched COMMAND [ARG...]\n");
	return 2;
}
