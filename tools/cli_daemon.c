/*
 * The commands about the daemon itself: state, reload and version
 * (shutdown is the cluster's: tools/cli_cluster.c).
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "tools/cli.h"

static int
no_args(const char *cmd, int argc)
{
	if (argc == 1)
		return 0;
	fprintf(stderr, "usage: supvisors-sched %s\n", cmd);
	return CLI_EXIT_USAGE;
}

int
cli_state(int argc, char **argv)
{
	static const char *const headers[] = {"STATE",	 "MASTER",  "DEGRADED",
					      "INSTANCE", "VERSION", "UPTIME"};
	struct cli_table *t;
	cJSON *json = NULL;
	const cJSON *v;
	const char *cells[6], *colors[6] = {NULL};
	char up[32] = "-";
	int rc;

	if ((rc = no_args("state", argc)) != 0)
		return rc;
	cli_set_timeout_ms(10000);
	rc = cli_fetch("/v1/state", &json);
	if (rc != 0 || json == NULL)
		return rc;
	v = cJSON_GetObjectItemCaseSensitive(json, "uptime_seconds");
	if (cJSON_IsNumber(v))
		util_format_duration((int64_t)(v->valuedouble * 1000), up,
				     sizeof(up));
	cells[0] = cli_json_str(json, "state");
	cells[1] = cli_json_str(json, "master");
	cells[2] = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(json,
								 "degraded")) ?
			   "yes" :
			   "no";
	cells[3] = cli_json_str(json, "instance");
	cells[4] = cli_json_str(json, "version");
	cells[5] = up;
	if (cells[0] != NULL && strcmp(cells[0], "OPERATION") == 0)
		colors[0] = "\033[32m";
	else
		colors[0] = "\033[33m";
	t = cli_table_new(ARRAY_SIZE(headers), headers);
	cli_table_add(t, cells, colors);
	cli_table_print(t, stdout, cli_term_width(), cli_opts.color);
	cli_table_free(t);
	cJSON_Delete(json);
	return CLI_EXIT_OK;
}

static void
print_names(const char *label, const cJSON *arr)
{
	const cJSON *v;
	bool first = true;

	if (cJSON_GetArraySize(arr) == 0)
		return;
	printf("%s:", label);
	cJSON_ArrayForEach(v, arr)
	{
		if (cJSON_IsString(v))
			printf("%s %s", first ? "" : ",", v->valuestring);
		first = false;
	}
	printf("\n");
}

static void
print_diagnostics(const cJSON *json)
{
	const cJSON *d;

	cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(json,
							       "diagnostics"))
	{
		const cJSON *line = cJSON_GetObjectItemCaseSensitive(d, "line");
		const cJSON *col = cJSON_GetObjectItemCaseSensitive(d,
								    "column");
		const char *sev = cli_json_str(d, "severity");

		fprintf(stderr, "%s:%d:%d: %s: %s\n",
			cli_json_str(d, "file") ? cli_json_str(d, "file") : "?",
			cJSON_IsNumber(line) ? line->valueint : 0,
			cJSON_IsNumber(col) ? col->valueint : 0,
			sev ? sev : "error",
			cli_json_str(d, "message") ? cli_json_str(d, "message") : "");
	}
}

int
cli_reload(int argc, char **argv)
{
	cJSON *json = NULL;
	const cJSON *unchanged;
	long status;
	int rc;

	if ((rc = no_args("reload", argc)) != 0)
		return rc;
	cli_set_timeout_ms(0);
	rc = cli_call("POST", "/v1/reload", NULL, &status, &json);
	if (rc != 0)
		return rc;
	if (cli_opts.json && json != NULL)
		cli_print_json(json);
	if (status == 422) {
		if (!cli_opts.json) {
			fprintf(stderr, "supvisors-sched: the configuration "
					"has errors; nothing was changed\n");
			print_diagnostics(json);
		}
		cJSON_Delete(json);
		return CLI_EXIT_FAILED;
	}
	if (status != 200) {
		rc = cli_report_error(status, json);
		cJSON_Delete(json);
		return rc;
	}
	if (!cli_opts.json) {
		print_names("added", cJSON_GetObjectItemCaseSensitive(json,
								      "added"));
		print_names("changed", cJSON_GetObjectItemCaseSensitive(
					       json, "changed"));
		print_names("removed", cJSON_GetObjectItemCaseSensitive(
					       json, "removed"));
		unchanged = cJSON_GetObjectItemCaseSensitive(json,
							     "unchanged");
		printf("unchanged: %d\n",
		       cJSON_IsNumber(unchanged) ? unchanged->valueint : 0);
	}
	cJSON_Delete(json);
	return CLI_EXIT_OK;
}

/* The CLI's version, and the daemon's when one answers within 1 s (the
 * command succeeds without a daemon, as `supvisors-sched -V` does). */
int
cli_version(int argc, char **argv)
{
	cJSON *json = NULL, *out;
	long status = 0;
	int rc;

	if ((rc = no_args("version", argc)) != 0)
		return rc;
	cli_set_timeout_ms(1000);
	cli_opts.quiet = true;
	if (cli_call("GET", "/v1/state", NULL, &status, &json) != 0 ||
	    status != 200) {
		cJSON_Delete(json);
		json = NULL;
	}
	cli_opts.quiet = false;
	if (cli_opts.json) {
		out = cJSON_CreateObject();
		cJSON_AddStringToObject(out, "cli", SUPVISORS_VERSION);
		if (cli_json_str(json, "version") != NULL)
			cJSON_AddStringToObject(out, "daemon",
						cli_json_str(json, "version"));
		else
			cJSON_AddNullToObject(out, "daemon");
		cli_print_json(out);
		cJSON_Delete(out);
	} else {
		printf("supvisors-sched %s\n", SUPVISORS_VERSION);
		if (cli_json_str(json, "version") != NULL)
			printf("supvisors-schedd %s (instance %s)\n",
			       cli_json_str(json, "version"),
			       cli_json_str(json, "instance") ?
				       cli_json_str(json, "instance") :
				       "?");
	}
	cJSON_Delete(json);
	return CLI_EXIT_OK;
}
