/*
 * Supvisors' extras on the command line: disable and enable a program on
 * an instance, and start-any (start_any_process).  The daemon's side is
 * core/ctl_extra.c; these print its answers in supervisorctl's words and
 * map its error codes to exit codes as the other actions do
 * (cli_exit_for_code).
 */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "net/client.h"
#include "tools/cli.h"

static void
print_error(const char *name, const cJSON *err)
{
	const char *code = cli_json_str(err, "code");
	const char *msg = cli_json_str(err, "message");

	if (msg != NULL && msg[0] != '\0')
		printf("%s: ERROR (%s: %s)\n", name, cli_error_text(code), msg);
	else
		printf("%s: ERROR (%s)\n", name, cli_error_text(code));
}

/* One POST /v1/processes/NAME/VERB; its results merged into ACC. */
static int
disable_one(const char *verb, const char *name, const char *body,
	    cJSON *acc)
{
	char *esc = client_escape(name);
	char *path = xasprintf("/v1/processes/%s/%s", esc, verb);
	const cJSON *r, *err;
	cJSON *json = NULL;
	long status;
	int rc, x;

	free(esc);
	rc = cli_call("POST", path, body, &status, &json);
	free(path);
	if (rc != 0)
		return rc;
	if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(json,
							    "results"))) {
		err = cJSON_GetObjectItemCaseSensitive(json, "error");
		if (!cli_opts.json)
			print_error(name, err);
		rc = cli_exit_for_code(verb, cli_json_str(err, "code"));
		cJSON_Delete(json);
		return rc != 0 ? rc : CLI_EXIT_FAILED;
	}
	cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(json, "results"))
	{
		const char *prog = cli_json_str(r, "program");

		err = cJSON_GetObjectItemCaseSensitive(r, "error");
		if (cJSON_IsObject(err)) {
			if (!cli_opts.json)
				print_error(prog ? prog : name, err);
			x = cli_exit_for_code(verb, cli_json_str(err, "code"));
			if (rc == 0)
				rc = x != 0 ? x : CLI_EXIT_FAILED;
		} else if (!cli_opts.json) {
			printf("%s: %sd on %s\n", prog ? prog : name, verb,
			       cli_json_str(r, "instance"));
		}
	}
	cli_json_merge_array(acc, json, "results");
	cJSON_Delete(json);
	return rc;
}

static int
disable_cmd(const char *verb, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"instance", required_argument, NULL, 'I'},
		{NULL, 0, NULL, 0},
	};
	const char *instance = NULL;
	cJSON *body, *acc;
	char *text;
	int c, rc = 0;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		if (c != 'I')
			goto usage;
		instance = optarg;
	}
	if (optind >= argc)
		goto usage;
	for (int i = optind; i < argc; i++) {
		if (cli_namespec_check(argv[i]) < 0) {
			fprintf(stderr, "supvisors-sched %s: bad namespec '%s'\n",
				verb, argv[i]);
			return CLI_EXIT_USAGE;
		}
	}
	body = cJSON_CreateObject();
	if (instance != NULL)
		cJSON_AddStringToObject(body, "instance", instance);
	text = cJSON_PrintUnformatted(body);
	cJSON_Delete(body);
	if (text == NULL)
		abort();
	acc = cJSON_CreateObject();
	cJSON_AddArrayToObject(acc, "results");
	cli_set_timeout_ms(30000);
	for (int i = optind; i < argc; i++) {
		int r = disable_one(verb, argv[i], text, acc);

		if (rc == 0)
			rc = r;
		if (r == CLI_EXIT_UNKNOWN &&
		    cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
			    acc, "results")) == 0 && i == optind)
			break; /* unreachable daemon: said once */
	}
	if (cli_opts.json)
		cli_print_json(acc);
	cJSON_Delete(acc);
	cJSON_free(text);
	return rc;
usage:
	fprintf(stderr, "usage: supvisors-sched %s [--instance I] NAMESPEC...\n",
		verb);
	return CLI_EXIT_USAGE;
}

int
cli_disable(int argc, char **argv)
{
	return disable_cmd("disable", argc, argv);
}

int
cli_enable(int argc, char **argv)
{
	return disable_cmd("enable", argc, argv);
}

int
cli_start_any(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"strategy", required_argument, NULL, 'S'},
		{"extra-args", required_argument, NULL, 'E'},
		{"no-wait", no_argument, NULL, 'W'},
		{NULL, 0, NULL, 0},
	};
	const char *strategy = NULL, *extra = NULL;
	bool wait = true;
	const cJSON *r, *err;
	cJSON *body, *json = NULL;
	char *text;
	long status;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		if (c == 'S')
			strategy = optarg;
		else if (c == 'E')
			extra = optarg;
		else if (c == 'W')
			wait = false;
		else
			goto usage;
	}
	if (optind != argc - 1)
		goto usage;
	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "regex", argv[optind]);
	if (strategy != NULL)
		cJSON_AddStringToObject(body, "strategy", strategy);
	if (extra != NULL)
		cJSON_AddStringToObject(body, "extra_args", extra);
	cJSON_AddBoolToObject(body, "wait", wait);
	text = cJSON_PrintUnformatted(body);
	cJSON_Delete(body);
	if (text == NULL)
		abort();
	cli_set_timeout_ms(0);
	rc = cli_call("POST", "/v1/start_any", text, &status, &json);
	cJSON_free(text);
	if (rc != 0)
		return rc;
	if (cli_opts.json)
		cli_print_json(json);
	r = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(json, "results"),
			       0);
	err = cJSON_GetObjectItemCaseSensitive(r ? r : json, "error");
	if (cJSON_IsObject(err)) {
		if (!cli_opts.json)
			print_error(r ? cli_json_str(r, "namespec")
				      : argv[optind],
				    err);
		rc = cli_exit_for_code("start-any", cli_json_str(err, "code"));
		if (rc == 0)
			rc = CLI_EXIT_FAILED;
	} else if (r == NULL) {
		if (!cli_opts.json)
			printf("%s: ERROR (the daemon answered %ld)\n",
			       argv[optind], status);
		rc = CLI_EXIT_FAILED;
	} else if (!cli_opts.json) {
		printf("%s: started\n", cli_json_str(r, "namespec"));
	}
	cJSON_Delete(json);
	return rc;
usage:
	fprintf(stderr, "usage: supvisors-sched start-any [--strategy S] "
			"[--extra-args ARGS] [--no-wait] REGEX\n");
	return CLI_EXIT_USAGE;
}
