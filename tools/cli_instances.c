/*
 * `instances`: the cluster's instances as the daemon sees them (GET
 * /v1/instances): NAME ADDRESS STATE MASTER LOAD CPU MEM PROCS, with the
 * reason of an ISOLATED (or lost) instance under -o wide.  --json prints
 * {"instances":[...]} alone (the gossip counters stay in the API).
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "core/util.h"
#include "tools/cli.h"

static const char *
inst_color(const char *state, bool suspect)
{
	if (state == NULL)
		return NULL;
	if (strcmp(state, "RUNNING") == 0)
		return suspect ? "\033[33m" : "\033[32m";
	if (strcmp(state, "FAILED") == 0 || strcmp(state, "ISOLATED") == 0)
		return "\033[31m";
	return "\033[33m";
}

static void
fmt_pct(const cJSON *o, const char *key, char *buf, size_t len)
{
	double v;

	if (cli_json_num(o, key, &v))
		snprintf(buf, len, "%.1f%%", v);
	else
		snprintf(buf, len, "-");
}

int
cli_instances(int argc, char **argv)
{
	static const char *const narrow[] = {"NAME", "ADDRESS", "STATE",
					     "MASTER", "LOAD", "CPU",
					     "MEM", "PROCS"};
	static const char *const wide[] = {"NAME", "ADDRESS", "STATE",
					   "MASTER", "LOAD", "CPU",
					   "MEM", "PROCS", "REASON"};
	bool json_out = cli_opts.json;
	struct cli_table *t;
	cJSON *json = NULL;
	const cJSON *a;
	int rc;

	if (argc == 2 && strcmp(argv[1], "--json") == 0)
		json_out = true;
	else if (argc != 1) {
		fprintf(stderr, "usage: supvisors-sched instances [--json]\n");
		return CLI_EXIT_USAGE;
	}
	cli_set_timeout_ms(10000);
	rc = cli_get_json("/v1/instances", &json);
	if (rc != 0)
		return rc;
	if (json_out) {
		cJSON_DeleteItemFromObjectCaseSensitive(json, "gossip");
		cli_print_json(json);
		cJSON_Delete(json);
		return CLI_EXIT_OK;
	}
	t = cli_opts.wide ? cli_table_new(ARRAY_SIZE(wide), wide)
			  : cli_table_new(ARRAY_SIZE(narrow), narrow);
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(json,
							       "instances"))
	{
		bool suspect = cJSON_IsTrue(
			cJSON_GetObjectItemCaseSensitive(a, "suspect"));
		const char *state = cli_json_str(a, "state");
		const char *reason = cli_json_str(a, "reason");
		char st[32], load[16] = "-", cpu[16], mem[16], procs[16] = "-";
		const char *cells[9], *colors[9] = {NULL};
		double v;

		snprintf(st, sizeof(st), "%s%s", state ? state : "?",
			 suspect ? " (suspect)" : "");
		if (cli_json_num(a, "load", &v))
			snprintf(load, sizeof(load), "%.0f%%", v);
		if (cli_json_num(a, "processes", &v))
			snprintf(procs, sizeof(procs), "%.0f", v);
		fmt_pct(a, "cpu_percent", cpu, sizeof(cpu));
		fmt_pct(a, "mem_percent", mem, sizeof(mem));
		cells[0] = cli_json_str(a, "name");
		cells[1] = cli_json_str(a, "address");
		cells[2] = st;
		cells[3] = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
				   a, "master"))
				   ? "*"
				   : "";
		cells[4] = load;
		cells[5] = cpu;
		cells[6] = mem;
		cells[7] = procs;
		cells[8] = reason ? reason : "";
		colors[2] = inst_color(state, suspect);
		cli_table_add(t, cells, colors);
	}
	cli_table_print(t, stdout, cli_term_width(), cli_opts.color);
	cli_table_free(t);
	cJSON_Delete(json);
	return CLI_EXIT_OK;
}
