/*
 * The commands that act: start, stop, restart, signal on processes, and
 * apps / app start|stop|restart on applications.
 *
 * Every action answers {"results":[{"namespec","ok","state","error"}]}
 * (API-CONTRACT); results are printed one per line in supervisorctl's
 * words ("app:proc: started", "app:proc: ERROR (spawn error)") and their
 * error codes give the exit code as supervisorctl's LSB codes do
 * (cli_exit_for_code).  By default the daemon answers once every process
 * reached its target state (wait), so the request has no timeout.
 */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"
#include "net/client.h"
#include "tools/cli.h"

struct action {
	const char *cmd;     /* "start", "stop", "restart", "signal" */
	const char *kind;    /* "processes" or "applications" */
	const char *done;    /* "started", ... */
	const char *verb;    /* path end: "start", ... */
	char *body;	     /* JSON */
};

/* "spawn error: No such file or directory" rather than "spawn error" when
 * the daemon said more. */
static void
print_error_line(const char *name, const char *code, const char *message)
{
	const char *text = cli_error_text(code);

	if (message == NULL || message[0] == '\0')
		printf("%s: ERROR (%s)\n", name, text);
	else if (strncasecmp(message, text, strlen(text)) == 0)
		printf("%s: ERROR (%s)\n", name, message);
	else
		printf("%s: ERROR (%s: %s)\n", name, text, message);
}

static int
report_results(const struct action *a, const char *name, long status,
	       cJSON *json)
{
	const cJSON *results = cJSON_GetObjectItemCaseSensitive(json,
								"results");
	const cJSON *r, *err;
	int rc = 0, x;

	if (!cJSON_IsArray(results)) {
		/* the whole request failed: unknown name, shutting down... */
		err = cJSON_GetObjectItemCaseSensitive(json, "error");
		if (err == NULL) {
			printf("%s: ERROR (the daemon answered %ld)\n", name,
			       status);
			return CLI_EXIT_FAILED;
		}
		if (!cli_opts.json)
			print_error_line(name, cli_json_str(err, "code"),
					 cli_json_str(err, "message"));
		x = cli_exit_for_code(a->cmd, cli_json_str(err, "code"));
		return x != 0 ? x : (status >= 400 ? CLI_EXIT_FAILED : 0);
	}
	cJSON_ArrayForEach(r, results)
	{
		const char *ns = cli_json_str(r, "namespec");

		err = cJSON_GetObjectItemCaseSensitive(r, "error");
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "ok")) ||
		    !cJSON_IsObject(err)) {
			if (!cli_opts.json)
				printf("%s: %s\n", ns ? ns : name, a->done);
			continue;
		}
		if (!cli_opts.json)
			print_error_line(ns ? ns : name, cli_json_str(err, "code"),
					 cli_json_str(err, "message"));
		x = cli_exit_for_code(a->cmd, cli_json_str(err, "code"));
		if (rc == 0)
			rc = x;
	}
	return rc;
}

static int
run_action(const struct action *a, int n, char **names)
{
	cJSON *acc = cJSON_CreateObject(), *json = NULL, *app;
	long status;
	int i, r, rc = 0;
	bool unreachable = false;

	cJSON_AddArrayToObject(acc, "results");
	cli_set_timeout_ms(0);
	for (i = 0; i < n; i++) {
		char *esc = client_escape(names[i]);
		char *path = xasprintf("/v1/%s/%s/%s", a->kind, esc, a->verb);

		free(esc);
		r = cli_call("POST", path, a->body, &status, &json);
		free(path);
		if (r != 0) {
			rc = r;
			unreachable = true;
			break;
		}
		r = report_results(a, names[i], status, json);
		if (rc == 0)
			rc = r;
		cli_json_merge_array(acc, json, "results");
		app = cJSON_DetachItemFromObjectCaseSensitive(json,
							      "application");
		if (app != NULL) {
			cJSON *apps = cJSON_GetObjectItemCaseSensitive(
				acc, "applications");

			if (apps == NULL)
				apps = cJSON_AddArrayToObject(acc,
							      "applications");
			cJSON_AddItemToArray(apps, app);
		}
		cJSON_Delete(json);
		json = NULL;
	}
	if (cli_opts.json && !unreachable)
		cli_print_json(acc);
	cJSON_Delete(acc);
	return rc;
}

static char *
make_body(bool wait, const char *strategy, const char *instance,
	  const char *signal)
{
	cJSON *o = cJSON_CreateObject();
	char *s;

	if (signal != NULL) {
		cJSON_AddStringToObject(o, "signal", signal);
	} else {
		cJSON_AddBoolToObject(o, "wait", wait);
		if (strategy != NULL)
			cJSON_AddStringToObject(o, "strategy", strategy);
		if (instance != NULL)
			cJSON_AddStringToObject(o, "instance", instance);
	}
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (s == NULL)
		abort();
	return s;
}

/* Options of start/stop/restart and app ACTION; ALLOW_PLACEMENT: whether
 * --strategy/--instance make sense.  Returns the index of the first
 * name, or -1 after a usage message. */
static int
parse_action_opts(const char *cmd, int argc, char **argv, bool placement,
		  bool *ret_wait, const char **ret_strategy,
		  const char **ret_instance)
{
	static const struct option longopts[] = {
		{"strategy", required_argument, NULL, 'S'},
		{"instance", required_argument, NULL, 'I'},
		{"no-wait", no_argument, NULL, 'W'},
		{NULL, 0, NULL, 0},
	};
	int c;

	*ret_wait = true;
	*ret_strategy = *ret_instance = NULL;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (c) {
		case 'S':
		case 'I':
			if (!placement)
				goto usage;
			if (c == 'S')
				*ret_strategy = optarg;
			else
				*ret_instance = optarg;
			break;
		case 'W':
			*ret_wait = false;
			break;
		default:
			goto usage;
		}
	}
	if (optind >= argc)
		goto usage;
	return optind;
usage:
	fprintf(stderr, "usage: supvisors-sched %s %s[--no-wait] NAME...\n",
		cmd, placement ? "[--strategy S] [--instance I] " : "");
	return -1;
}

static int
process_action(const char *cmd, const char *done, int argc, char **argv)
{
	struct action a = {cmd, "processes", done, cmd, NULL};
	const char *strategy, *instance;
	bool wait, placement = strcmp(cmd, "stop") != 0;
	int first, i, rc;

	first = parse_action_opts(cmd, argc, argv, placement, &wait,
				  &strategy, &instance);
	if (first < 0)
		return CLI_EXIT_USAGE;
	for (i = first; i < argc; i++) {
		if (cli_namespec_check(argv[i]) < 0) {
			fprintf(stderr, "supvisors-sched %s: bad namespec "
					"'%s'\n", cmd, argv[i]);
			return CLI_EXIT_USAGE;
		}
	}
	a.body = make_body(wait, strategy, instance, NULL);
	rc = run_action(&a, argc - first, argv + first);
	cJSON_free(a.body);
	return rc;
}

int
cli_start(int argc, char **argv)
{
	return process_action("start", "started", argc, argv);
}

int
cli_stop(int argc, char **argv)
{
	return process_action("stop", "stopped", argc, argv);
}

int
cli_restart(int argc, char **argv)
{
	return process_action("restart", "restarted", argc, argv);
}

int
cli_signal(int argc, char **argv)
{
	struct action a = {"signal", "processes", "signalled", "signal", NULL};
	int sig, i, rc;

	if (argc < 3) {
		fprintf(stderr, "usage: supvisors-sched signal SIGNAL "
				"NAMESPEC...\n");
		return CLI_EXIT_USAGE;
	}
	sig = util_signal_from_name(argv[1]);
	if (sig < 0 || util_signal_name(sig) == NULL) {
		fprintf(stderr, "supvisors-sched signal: unknown signal '%s'\n",
			argv[1]);
		return CLI_EXIT_USAGE;
	}
	for (i = 2; i < argc; i++) {
		if (cli_namespec_check(argv[i]) < 0) {
			fprintf(stderr, "supvisors-sched signal: bad namespec "
					"'%s'\n", argv[i]);
			return CLI_EXIT_USAGE;
		}
	}
	a.body = make_body(false, NULL, NULL, util_signal_name(sig));
	rc = run_action(&a, argc - 2, argv + 2);
	cJSON_free(a.body);
	return rc;
}

int
cli_app(int argc, char **argv)
{
	static const struct {
		const char *verb, *done;
	} verbs[] = {
		{"start", "started"},
		{"stop", "stopped"},
		{"restart", "restarted"},
	};
	struct action a = {NULL, "applications", NULL, NULL, NULL};
	const char *strategy, *instance;
	bool wait;
	size_t v;
	int first, rc;

	for (v = 0; argc > 1 && v < ARRAY_SIZE(verbs); v++)
		if (strcmp(argv[1], verbs[v].verb) == 0)
			break;
	if (argc < 2 || v == ARRAY_SIZE(verbs)) {
		fprintf(stderr, "usage: supvisors-sched app start|stop|restart "
				"[--strategy S] [--no-wait] APP...\n");
		return CLI_EXIT_USAGE;
	}
	a.cmd = a.verb = verbs[v].verb;
	a.done = verbs[v].done;
	first = parse_action_opts(argv[1], argc - 1, argv + 1,
				  strcmp(a.verb, "stop") != 0, &wait,
				  &strategy, &instance);
	if (first < 0)
		return CLI_EXIT_USAGE;
	a.body = make_body(wait, strategy, instance, NULL);
	rc = run_action(&a, argc - 1 - first, argv + 1 + first);
	cJSON_free(a.body);
	return rc;
}

int
cli_apps(int argc, char **argv)
{
	static const char *const narrow[] = {"NAME", "STATE", "MANAGED",
					     "FAILURE"};
	static const char *const wide[] = {"NAME", "STATE", "MANAGED",
					   "FAILURE", "START", "STOP",
					   "OPERATIONAL"};
	struct cli_table *t;
	cJSON *json = NULL;
	const cJSON *a;
	int rc;

	if (argc != 1) {
		fprintf(stderr, "usage: supvisors-sched apps\n");
		return CLI_EXIT_USAGE;
	}
	cli_set_timeout_ms(10000);
	rc = cli_fetch("/v1/applications", &json);
	if (rc != 0 || json == NULL)
		return rc;
	t = cli_opts.wide ? cli_table_new(ARRAY_SIZE(wide), wide) :
			    cli_table_new(ARRAY_SIZE(narrow), narrow);
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(json,
							       "applications"))
	{
		bool major = cJSON_IsTrue(
			cJSON_GetObjectItemCaseSensitive(a, "major_failure"));
		bool minor = cJSON_IsTrue(
			cJSON_GetObjectItemCaseSensitive(a, "minor_failure"));
		const cJSON *ss = cJSON_GetObjectItemCaseSensitive(
			a, "start_sequence");
		const cJSON *ps = cJSON_GetObjectItemCaseSensitive(
			a, "stop_sequence");
		const char *state = cli_json_str(a, "state");
		char start[16] = "-", stop[16] = "-";
		const char *cells[7], *colors[7] = {NULL};

		if (cJSON_IsNumber(ss))
			snprintf(start, sizeof(start), "%d", ss->valueint);
		if (cJSON_IsNumber(ps))
			snprintf(stop, sizeof(stop), "%d", ps->valueint);
		cells[0] = cli_json_str(a, "name");
		cells[1] = state;
		cells[2] = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
				   a, "managed")) ?
				   "yes" :
				   "no";
		cells[3] = major && minor ? "major,minor" :
			   major	  ? "major" :
			   minor	  ? "minor" :
					    "-";
		cells[4] = start;
		cells[5] = stop;
		cells[6] = cli_json_str(a, "operational_status");
		colors[1] = cli_state_color(state, true);
		colors[3] = major ? "\033[31m" : minor ? "\033[33m" : NULL;
		cli_table_add(t, cells, colors);
	}
	cli_table_print(t, stdout, cli_term_width(), cli_opts.color);
	cli_table_free(t);
	cJSON_Delete(json);
	return CLI_EXIT_OK;
}
