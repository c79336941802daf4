/*
 * `tail [-f] [-n BYTES] NAMESPEC [stdout|stderr]`: the end of a process's
 * log (GET /v1/processes/NAMESPEC/log), or, with -f, the log as it grows:
 * the daemon keeps the answer open and we copy each piece to stdout as it
 * comes, until interrupted.
 */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "net/client.h"
#include "tools/cli.h"

static int
copy_out(const char *data, size_t len, void *arg)
{
	if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0)
		return -1; /* stdout went away: stop following */
	return 0;
}

static int
usage(void)
{
	fprintf(stderr, "usage: supvisors-sched tail [-f] [-n BYTES] NAMESPEC "
			"[stdout|stderr]\n");
	return CLI_EXIT_USAGE;
}

int
cli_tail(int argc, char **argv)
{
	struct client_reply rep = CLIENT_REPLY_INIT;
	const char *stream = "stdout";
	uint64_t bytes = 1600;
	bool follow = false;
	struct client *c;
	char *esc, *path;
	int ch, r, rc = CLI_EXIT_OK;

	optind = 0;
	while ((ch = getopt(argc, argv, "+fn:")) != -1) {
		switch (ch) {
		case 'f':
			follow = true;
			break;
		case 'n':
			if (util_parse_size(optarg, 64ULL << 20, &bytes) < 0) {
				fprintf(stderr, "supvisors-sched tail: bad byte "
						"count '%s'\n", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		default:
			return usage();
		}
	}
	if (optind >= argc || argc - optind > 2 ||
	    cli_namespec_check(argv[optind]) < 0)
		return usage();
	if (argc - optind == 2) {
		stream = argv[optind + 1];
		if (strcmp(stream, "stdout") != 0 &&
		    strcmp(stream, "stderr") != 0)
			return usage();
	}
	c = cli_client();
	if (c == NULL)
		return CLI_EXIT_UNKNOWN;
	esc = client_escape(argv[optind]);
	path = xasprintf("/v1/processes/%s/log?stream=%s&bytes=%llu%s", esc,
			 stream, (unsigned long long)bytes,
			 follow ? "&follow=1" : "");
	free(esc);
	client_set_timeout_ms(c, follow ? 0 : 10000);
	r = client_stream(c, path, copy_out, NULL, &rep);
	free(path);
	if (r < 0) {
		client_reply_done(&rep);
		return cli_report_transport(r);
	}
	if (rep.status < 200 || rep.status >= 300) {
		cJSON *j = cJSON_ParseWithLength(strbuf_str(&rep.body),
						 rep.body.len);

		rc = cli_report_error(rep.status, j);
		cJSON_Delete(j);
	}
	client_reply_done(&rep);
	return rc;
}
