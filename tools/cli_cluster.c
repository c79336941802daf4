/*
 * The commands about the cluster as a whole (DESIGN.md 8): `plan`, the
 * dry-run placement of an application or a process; `conflicts`, the
 * processes running on more than one instance; `conciliate STRATEGY`
 * and `end-sync [MASTER]`, Supvisors' two user decisions; `shutdown`
 * and `restart` (without a NAMESPEC) of the whole cluster.
 *
 * Each one is a request to the daemon (core/ctl_cluster.h) and a table
 * or a sentence saying what happened; --json prints the daemon's answer
 * as it came.  Names and strategies are checked by the daemon alone, so
 * that the CLI never disagrees with it: a BAD_REQUEST answer is a usage
 * error (exit 2), BAD_NAME an unknown name (exit 4).
 */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "tools/cli.h"

/* --json as a command option as well as a global one: the index of the
 * first operand, or -1 for an unknown option. */
static int
parse_json_opts(int argc, char **argv, const char **ret_strategy)
{
	static const struct option longopts[] = {
		{"strategy", required_argument, NULL, 'S'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		if (c == 'S' && ret_strategy != NULL)
			*ret_strategy = optarg;
		else if (c == 'j')
			cli_opts.json = true;
		else
			return -1;
	}
	return optind;
}

/* METHOD PATH BODY; 0 and *RET (the answer, an object) when the status
 * is OK_STATUS, else the exit code after saying why. */
static int
call(const char *method, const char *path, const cJSON *body,
     long ok_status, cJSON **ret)
{
	char *text = body ? cJSON_PrintUnformatted(body) : NULL;
	cJSON *json = NULL;
	long status = 0;
	int rc;

	rc = cli_call(method, path, text, &status, &json);
	free(text);
	if (rc != 0)
		return rc;
	if (status != ok_status || !cJSON_IsObject(json)) {
		rc = cli_report_error(status, json);
		cJSON_Delete(json);
		return rc;
	}
	*ret = json;
	return 0;
}

/* The cluster state of an answer, for the sentences. */
static const char *
state_of(const cJSON *json)
{
	const char *s = cli_json_str(json, "state");

	return s != NULL ? s : "?";
}

/* "n2: not RUNNING; n3: would exceed 100 % (...)" */
static char *
excluded_text(const cJSON *arr)
{
	struct strbuf sb = STRBUF_INIT;
	const cJSON *e;

	cJSON_ArrayForEach(e, arr)
	{
		const char *inst = cli_json_str(e, "instance");
		const char *why = cli_json_str(e, "reason");

		if (sb.len > 0)
			strbuf_adds(&sb, "; ");
		strbuf_addf(&sb, "%s: %s", inst ? inst : "?", why ? why : "?");
	}
	return sb.len > 0 ? strbuf_steal(&sb) : xstrdup("-");
}

static const char *
reason_color(const char *reason)
{
	if (reason == NULL)
		return NULL;
	if (strcmp(reason, "placed") == 0)
		return "\033[32m";
	if (strcmp(reason, "No resource available") == 0)
		return "\033[31m";
	return "\033[33m";
}

int
cli_plan(int argc, char **argv)
{
	static const char *const headers[] = {"NAMESPEC", "INSTANCE",
					      "REASON", "EXCLUDED"};
	const char *strategy = NULL;
	struct cli_table *t;
	cJSON *body, *json = NULL;
	const cJSON *pl;
	bool unplaced = false;
	int i, rc;

	i = parse_json_opts(argc, argv, &strategy);
	if (i < 0 || argc - i != 1) {
		fprintf(stderr, "usage: supvisors-sched plan [--strategy S] "
				"[--json] APP|NAMESPEC\n");
		return CLI_EXIT_USAGE;
	}
	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body,
				strchr(argv[i], ':') ? "namespec"
						     : "application",
				argv[i]);
	if (strategy != NULL)
		cJSON_AddStringToObject(body, "strategy", strategy);
	cli_set_timeout_ms(10000);
	rc = call("POST", "/v1/plan", body, 200, &json);
	cJSON_Delete(body);
	if (rc != 0)
		return rc;
	cJSON_ArrayForEach(pl, cJSON_GetObjectItemCaseSensitive(json,
								"placements"))
		if (cli_json_str(pl, "instance") == NULL &&
		    cli_json_str(pl, "reason") != NULL &&
		    strcmp(cli_json_str(pl, "reason"),
			   "No resource available") == 0)
			unplaced = true;
	if (cli_opts.json) {
		cli_print_json(json);
		cJSON_Delete(json);
		return unplaced ? CLI_EXIT_FAILED : CLI_EXIT_OK;
	}
	t = cli_table_new(ARRAY_SIZE(headers), headers);
	cJSON_ArrayForEach(pl, cJSON_GetObjectItemCaseSensitive(json,
								"placements"))
	{
		char *excl = excluded_text(
			cJSON_GetObjectItemCaseSensitive(pl, "excluded"));
		const char *cells[4] = {cli_json_str(pl, "namespec"),
					cli_json_str(pl, "instance"),
					cli_json_str(pl, "reason"), excl};
		const char *colors[4] = {NULL, NULL,
					 reason_color(cells[2]), NULL};

		cli_table_add(t, cells, colors);
		free(excl);
	}
	/* an application start places only start_sequence > 0 */
	if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
		    json, "placements")) == 0)
		printf("nothing to place: no process of %s has a "
		       "start_sequence\n", argv[i]);
	else
		cli_table_print(t, stdout,
				cli_opts.wide ? 0 : cli_term_width(),
				cli_opts.color);
	cli_table_free(t);
	cJSON_Delete(json);
	return unplaced ? CLI_EXIT_FAILED : CLI_EXIT_OK;
}

int
cli_conflicts(int argc, char **argv)
{
	static const char *const headers[] = {"NAMESPEC", "INSTANCE", "PID",
					      "UPTIME"};
	struct cli_table *t;
	cJSON *json = NULL;
	const cJSON *c, *e;
	size_t n = 0;
	int rc;

	if (parse_json_opts(argc, argv, NULL) != argc) {
		fprintf(stderr, "usage: supvisors-sched conflicts [--json]\n");
		return CLI_EXIT_USAGE;
	}
	cli_set_timeout_ms(10000);
	rc = cli_fetch("/v1/conflicts", &json);
	if (rc != 0 || json == NULL)
		return rc;
	t = cli_table_new(ARRAY_SIZE(headers), headers);
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(json,
							       "conflicts"))
	{
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(
					      c, "instances"))
		{
			char pid[24] = "-", up[32] = "-";
			const char *cells[4] = {cli_json_str(c, "namespec"),
						cli_json_str(e, "instance"),
						pid, up};
			double v;

			if (cli_json_num(e, "pid", &v) && v > 0)
				snprintf(pid, sizeof(pid), "%.0f", v);
			if (cli_json_num(e, "uptime_seconds", &v))
				util_format_duration((int64_t)(v * 1000), up,
						     sizeof(up));
			cli_table_add(t, cells, NULL);
		}
		n++;
	}
	if (n == 0)
		printf("no conflict\n");
	else
		cli_table_print(t, stdout, cli_term_width(), cli_opts.color);
	cli_table_free(t);
	cJSON_Delete(json);
	return CLI_EXIT_OK;
}

int
cli_conciliate(int argc, char **argv)
{
	cJSON *body, *json = NULL;
	int rc;

	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: supvisors-sched conciliate "
				"SENICIDE|INFANTICIDE|STOP|RESTART|"
				"RUNNING_FAILURE\n");
		return CLI_EXIT_USAGE;
	}
	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "strategy", argv[1]);
	cli_set_timeout_ms(10000);
	rc = call("POST", "/v1/conciliate", body, 200, &json);
	cJSON_Delete(body);
	if (rc != 0)
		return rc;
	if (cli_opts.json)
		cli_print_json(json);
	else
		printf("conflicts conciliated with %s (cluster %s)\n",
		       argv[1], state_of(json));
	cJSON_Delete(json);
	return CLI_EXIT_OK;
}

int
cli_end_sync(int argc, char **argv)
{
	cJSON *body, *json = NULL;
	const char *master;
	int rc;

	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: supvisors-sched end-sync [MASTER]\n");
		return CLI_EXIT_USAGE;
	}
	body = cJSON_CreateObject();
	if (argc == 2)
		cJSON_AddStringToObject(body, "master", argv[1]);
	else
		cJSON_AddNullToObject(body, "master");
	cli_set_timeout_ms(10000);
	rc = call("POST", "/v1/end_sync", body, 200, &json);
	cJSON_Delete(body);
	if (rc != 0)
		return rc;
	master = cli_json_str(json, "master");
	if (cli_opts.json)
		cli_print_json(json);
	else if (master != NULL)
		printf("synchronization ended: master %s (cluster %s)\n",
		       master, state_of(json));
	else
		printf("synchronization ended: the election chooses the "
		       "master (cluster %s)\n",
		       state_of(json));
	cJSON_Delete(json);
	return CLI_EXIT_OK;
}

static int
cluster_stop(bool restart)
{
	cJSON *json = NULL;
	const char *master;
	int rc;

	cli_set_timeout_ms(10000);
	rc = call("POST", restart ? "/v1/restart" : "/v1/shutdown", NULL, 202,
		  &json);
	if (rc != 0)
		return rc;
	master = cli_json_str(json, "master");
	if (cli_opts.json)
		cli_print_json(json);
	else
		printf("%s the cluster (%s, master %s)\n",
		       restart ? "restarting" : "shutting down",
		       state_of(json), master ? master : "none");
	cJSON_Delete(json);
	return CLI_EXIT_OK;
}

int
cli_shutdown(int argc, char **argv)
{
	if (argc != 1) {
		fprintf(stderr, "usage: supvisors-sched shutdown\n");
		return CLI_EXIT_USAGE;
	}
	return cluster_stop(false);
}

/* `restart NAMESPEC...` restarts processes (tools/cli_proc.c); a bare
 * `restart` restarts the cluster, as `shutdown` stops it. */
int
cli_restart_any(int argc, char **argv)
{
	if (argc > 1)
		return cli_restart(argc, argv);
	return cluster_stop(true);
}
