/*
 * supvisors-schedd: the node daemon.  Always in the foreground.
 *
 * This file only parses the command line and wires the modules together;
 * everything it calls lives in its own module.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/log.h"
#include "core/util.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: supvisors-schedd [-nvV] [-c file] [--name name]\n");
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check", no_argument, NULL, 'n'},
		{"name", required_argument, NULL, 'N'},
		{"verbose", no_argument, NULL, 'v'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c, verbose = 0;

	while ((c = getopt_long(argc, argv, "c:nvVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
		case 'n':
		case 'N':
			break;
		case 'v':
			verbose++;
			break;
		case 'V':
			printf("supvisors-schedd %s\n", SUPVISORS_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	log_init("supvisors-schedd", verbose);
	fatalx("the daemon is not built yet in this revision");
}
