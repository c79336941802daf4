/*
 * supvisors-schedd: the node daemon.  Always in the foreground.
 *
 * This file only parses the command line and wires the modules together;
 * everything it calls lives in its own module (core/daemon.c holds the
 * daemon proper).
 *
 * Exit status: 0 after an orderly stop (or a valid -n check), 1 for an
 * invalid configuration under -n or a failure at run time, 2 for a usage
 * error, 78 (EX_CONFIG) when the daemon proper is given a bad
 * configuration, so that systemd's RestartPreventExitStatus=78 does not
 * restart it in a loop.
 */
#include <errno.h>
#include <ev.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/daemon.h"
#include "core/log.h"
#include "core/notify.h"
#include "core/util.h"
#include "rules/rules.h"

#define EXIT_CONFIG 78

static void
usage(FILE *f)
{
	fprintf(f, "usage: supvisors-schedd [-nvV] [-c file] [-l file] [--name name]\n");
}

/* -n: what `supvisors-sched check` prints, then 0 valid or 1 invalid. */
static int
check_only(const char *config, const char *name)
{
	struct rules_load_opts opts = {.name = name,
				       .is_root = geteuid() == 0};
	struct rl_diags diags = RL_DIAGS_INIT;
	struct rules *r = NULL;
	const char *path = config ? config : rules_default_path();
	int rc;

	rc = rules_load(path, &opts, &r, &diags);
	rl_diags_print(&diags, stderr);
	if (rc == 0)
		printf("%s: configuration OK\n", path);
	rl_diags_done(&diags);
	rules_free(r);
	return rc == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	bool restart;
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check", no_argument, NULL, 'n'},
		{"name", required_argument, NULL, 'N'},
		{"log-file", required_argument, NULL, 'l'},
		{"verbose", no_argument, NULL, 'v'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct daemon_opts o = {0};
	struct daemon *d = NULL;
	struct ev_loop *loop;
	const char *log_file = NULL;
	int c, verbose = 0, check = 0, r;

	o.config = getenv("SUPVISORS_SCHED_CONFIG");
	if (o.config != NULL && *o.config == '\0')
		o.config = NULL;
	while ((c = getopt_long(argc, argv, "c:l:nvVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o.config = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'N':
			o.name = optarg;
			break;
		case 'l':
			log_file = optarg;
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
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (check)
		return check_only(o.config, o.name);

	log_init("supvisors-schedd", verbose);
	/* a file rather than stderr for inits without a journal; SIGUSR2
	 * reopens it after logrotate moved it */
	if (log_file != NULL && (r = log_open_file(log_file)) < 0) {
		errno = -r;
		fatal("cannot open the log file '%s'", log_file);
	}
	notify_init();
	/* peers and clients may vanish mid-write: errors, not a signal */
	signal(SIGPIPE, SIG_IGN);
	loop = ev_default_loop(EVFLAG_SIGNALFD);
	if (loop == NULL)
		fatalx("cannot create the event loop");
	r = daemon_new(loop, &o, &d);
	if (r == -EINVAL) {
		log_error("invalid configuration, not starting");
		return EXIT_CONFIG;
	}
	if (r < 0)
		return 1;
	r = daemon_run(d);
	restart = r == 0 && daemon_restart_requested(d);
	daemon_free(d);
	ev_loop_destroy(loop);
	if (restart) {
		/* the cluster restart (Supvisors' restart): every process was
		 * stopped in stop_sequence order; start again as we were
		 * started, same pid, so a service manager sees no exit */
		log_notice("restarting");
		execv("/proc/self/exe", argv);
		log_warn("cannot execute the daemon again");
		return 1;
	}
	return r;
}
