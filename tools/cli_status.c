/*
 * `status`, `pid` and the hidden `__complete`: the commands that read
 * the process table (GET /v1/processes[/NAMESPEC]).
 *
 * Several namespecs are asked one by one and their answers merged into
 * one {"processes":[...]} object, so that --json prints one object
 * whatever the arguments, and an unknown name is reported without
 * hiding the others (exit 4, as supervisorctl's LSB status codes).
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "net/client.h"
#include "tools/cli.h"

#define COMPLETE_TIMEOUT_MS 1000L

/* Fetch the processes named by ARGV (all when ARGC is 0) into one
 * {"processes":[...]} object.  Returns 0, CLI_EXIT_UNKNOWN when a name
 * is unknown (reported, the others still fetched) or the daemon is
 * unreachable (then *RET is NULL), or another exit code. */
static int
fetch_processes(int argc, char **argv, cJSON **ret)
{
	cJSON *acc = NULL, *json = NULL;
	long status;
	int i, r, rc = 0;

	if (argc == 0) {
		r = cli_get_json("/v1/processes", &json);
		if (r == 0)
			*ret = json;
		return r;
	}
	acc = cJSON_CreateObject();
	cJSON_AddArrayToObject(acc, "processes");
	for (i = 0; i < argc; i++) {
		char *esc = client_escape(argv[i]);
		char *path = xasprintf("/v1/processes/%s", esc);

		free(esc);
		r = cli_call("GET", path, NULL, &status, &json);
		free(path);
		if (r != 0) {
			cJSON_Delete(acc);
			return r;
		}
		if (status == 200 && cJSON_IsObject(json)) {
			cli_json_merge_array(acc, json, "processes");
		} else if (status == 404) {
			fprintf(stderr, "%s: ERROR (no such process)\n",
				argv[i]);
			rc = CLI_EXIT_UNKNOWN;
		} else {
			r = cli_report_error(status, json);
			rc = rc != 0 ? rc : r;
		}
		cJSON_Delete(json);
		json = NULL;
	}
	*ret = acc;
	return rc;
}

static int
check_namespecs(const char *cmd, int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++) {
		if (argv[i][0] == '-' || cli_namespec_check(argv[i]) < 0) {
			fprintf(stderr, "supvisors-sched %s: bad namespec '%s' "
					"(app:proc, app:* or all)\n",
				cmd, argv[i]);
			return CLI_EXIT_USAGE;
		}
	}
	return 0;
}

/* CPU and memory per namespec from /v1/stats/processes, for -o wide;
 * NULL when the daemon has no statistics to give. */
static cJSON *
fetch_stats(void)
{
	cJSON *json = NULL;
	bool quiet = cli_opts.quiet;

	cli_opts.quiet = true;
	if (cli_get_json("/v1/stats/processes", &json) != 0)
		json = NULL;
	cli_opts.quiet = quiet;
	return json;
}

/* The instances where the program is disabled, "-" for none. */
static void
fmt_disabled(char *buf, size_t len, const cJSON *p)
{
	const cJSON *i;
	size_t off = 0;

	snprintf(buf, len, "-");
	cJSON_ArrayForEach(i, cJSON_GetObjectItemCaseSensitive(p,
							       "disabled_on"))
	{
		int n;

		if (!cJSON_IsString(i))
			continue;
		n = snprintf(buf + off, len - off, "%s%s", off ? "," : "",
			     i->valuestring);
		if (n < 0 || (size_t)n >= len - off)
			break;
		off += (size_t)n;
	}
}

static const cJSON *
stats_of(const cJSON *stats, const char *namespec)
{
	const cJSON *p;

	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(stats,
							       "processes"))
	{
		const char *ns = cli_json_str(p, "namespec");

		if (ns != NULL && namespec != NULL && strcmp(ns, namespec) == 0)
			return p;
	}
	return NULL;
}

static void
fmt_num(char *buf, size_t len, const cJSON *o, const char *key,
	int decimals, const char *suffix)
{
	double v;

	if (o != NULL && cli_json_num(o, key, &v))
		snprintf(buf, len, "%.*f%s", decimals, v, suffix);
	else
		snprintf(buf, len, "-");
}

/* MEM: the resident size (process and descendants) in binary units, as
 * ps and top show it; a percent of the node says nothing of small
 * processes. */
static void
fmt_rss(char *buf, size_t len, const cJSON *st)
{
	static const char units[] = "KMGT";
	double v;
	size_t u = 0;

	if (st == NULL || !cli_json_num(st, "rss_bytes", &v)) {
		snprintf(buf, len, "-");
		return;
	}
	v /= 1024;
	while (v >= 1024 && u + 1 < sizeof(units) - 1) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, v < 10 ? "%.1f%c" : "%.0f%c", v, units[u]);
}

/* The instance running it; every one of them, comma-separated, when
 * it runs on several (a conflict). */
static const char *
instances_cell(const cJSON *p, char *buf, size_t len)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(p, "instances");
	const cJSON *it;
	size_t off = 0;

	if (cJSON_GetArraySize(arr) < 2)
		return cli_json_str(p, "instance");
	buf[0] = '\0';
	cJSON_ArrayForEach(it, arr)
	{
		int k;

		if (!cJSON_IsString(it))
			continue;
		k = snprintf(buf + off, len - off, "%s%s", off ? "," : "",
			     it->valuestring);
		if (k < 0 || (size_t)k >= len - off)
			break;
		off += (size_t)k;
	}
	return buf;
}

static void
print_table(const cJSON *json, const cJSON *stats)
{
	static const char *const narrow[] = {"NAME", "STATE", "INSTANCE",
					     "PID", "UPTIME", "DESCRIPTION"};
	static const char *const wide[] = {
		"NAME", "STATE", "INSTANCE", "PID", "UPTIME", "LOAD", "CPU",
		"MEM", "RESTARTS", "EXIT", "DISABLED", "DESCRIPTION"};
	struct cli_table *t;
	const cJSON *p;

	t = cli_opts.wide ? cli_table_new(ARRAY_SIZE(wide), wide) :
			    cli_table_new(ARRAY_SIZE(narrow), narrow);
	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(json,
							       "processes"))
	{
		const char *state = cli_json_str(p, "state");
		const cJSON *st = stats_of(stats, cli_json_str(p, "namespec"));
		const cJSON *exp = cJSON_GetObjectItemCaseSensitive(p,
								    "expected");
		char pid[32] = "-", up[32] = "-", load[16], cpu[16], mem[16];
		char restarts[16], ex[16], dis[256], where[256];
		double v = 0, code = 0;
		bool expected;
		const char *cells[12], *colors[12] = {NULL};
		size_t n = 0;

		if (cli_json_num(p, "pid", &v) && v > 0)
			snprintf(pid, sizeof(pid), "%.0f", v);
		if (cli_json_num(p, "uptime_seconds", &v) && v > 0 &&
		    state != NULL && strcmp(state, "STOPPED") != 0 &&
		    strcmp(state, "EXITED") != 0 && strcmp(state, "FATAL") != 0)
			util_format_duration((int64_t)(v * 1000), up,
					     sizeof(up));
		expected = cJSON_IsBool(exp) ? cJSON_IsTrue(exp) :
			   !cli_json_num(p, "exit_status", &code) || code == 0;
		colors[1] = cli_state_color(state, expected);
		cells[n++] = cli_json_str(p, "namespec");
		cells[n++] = state;
		cells[n++] = instances_cell(p, where, sizeof(where));
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "conflict")))
			colors[2] = "\033[31m";
		cells[n++] = pid;
		cells[n++] = up;
		if (cli_opts.wide) {
			fmt_num(load, sizeof(load), p, "expected_loading", 0,
				"%");
			fmt_num(cpu, sizeof(cpu), st, "cpu_percent", 1, "%");
			fmt_rss(mem, sizeof(mem), st);
			fmt_num(restarts, sizeof(restarts), p, "restarts", 0,
				"");
			fmt_num(ex, sizeof(ex), p, "exit_status", 0, "");
			cells[n++] = load;
			cells[n++] = cpu;
			cells[n++] = mem;
			cells[n++] = restarts;
			cells[n++] = ex;
			fmt_disabled(dis, sizeof(dis), p);
			cells[n++] = dis;
		}
		cells[n++] = cli_json_str(p, "description");
		cli_table_add(t, cells, colors);
	}
	cli_table_print(t, stdout, cli_term_width(), cli_opts.color);
	cli_table_free(t);
}

int
cli_status(int argc, char **argv)
{
	cJSON *json = NULL, *stats = NULL;
	const cJSON *p;
	int rc;

	rc = check_namespecs("status", argc - 1, argv + 1);
	if (rc != 0)
		return rc;
	cli_set_timeout_ms(10000);
	rc = fetch_processes(argc - 1, argv + 1, &json);
	if (json == NULL)
		return rc != 0 ? rc : CLI_EXIT_FAILED;
	if (cli_opts.json) {
		cli_print_json(json);
	} else if (rc == 0 || cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
				     json, "processes")) > 0) {
		/* no empty table under "no such process" */
		if (cli_opts.wide)
			stats = fetch_stats();
		print_table(json, stats);
	}
	if (rc == 0) {
		cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(
					      json, "processes"))
		{
			const char *state = cli_json_str(p, "state");

			if (state == NULL || strcmp(state, "RUNNING") != 0)
				rc = CLI_EXIT_NOT_RUNNING;
		}
	}
	cJSON_Delete(stats);
	cJSON_Delete(json);
	return rc;
}

int
cli_pid(int argc, char **argv)
{
	cJSON *json = NULL;
	const cJSON *p;
	long status;
	double v;
	int rc;

	cli_set_timeout_ms(10000);
	if (argc == 1) {
		rc = cli_call("GET", "/v1/state", NULL, &status, &json);
		if (rc != 0)
			return rc;
		if (status != 200) {
			rc = cli_report_error(status, json);
		} else if (!cli_json_num(json, "pid", &v)) {
			fprintf(stderr, "supvisors-sched: the daemon did not "
					"say its pid\n");
			rc = CLI_EXIT_FAILED;
		} else {
			printf("%.0f\n", v);
		}
		cJSON_Delete(json);
		return rc;
	}
	rc = check_namespecs("pid", argc - 1, argv + 1);
	if (rc != 0)
		return rc;
	rc = fetch_processes(argc - 1, argv + 1, &json);
	if (json == NULL)
		return rc != 0 ? rc : CLI_EXIT_FAILED;
	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(json,
							       "processes"))
	{
		if (!cli_json_num(p, "pid", &v))
			v = 0;
		printf("%.0f\n", v);
		/* supervisorctl: a process without a pid is "not running" */
		if (v <= 0 && rc == 0)
			rc = CLI_EXIT_START_FAILED;
	}
	cJSON_Delete(json);
	return rc;
}

/* `__complete names|apps|instances`: one name per line for shell
 * completion, with a short timeout so that a shell never hangs on a
 * stopped daemon, and silent on every failure. */
int
cli_complete(int argc, char **argv)
{
	static const struct {
		const char *what, *path, *array, *key;
	} kinds[] = {
		{"names", "/v1/processes", "processes", "namespec"},
		{"apps", "/v1/applications", "applications", "name"},
		{"instances", "/v1/instances", "instances", "name"},
	};
	bool apps;
	cJSON *json = NULL;
	const cJSON *p;
	long status;
	size_t k;

	for (k = 0; argc == 2 && k < ARRAY_SIZE(kinds); k++)
		if (strcmp(argv[1], kinds[k].what) == 0)
			break;
	if (argc != 2 || k == ARRAY_SIZE(kinds))
		return CLI_EXIT_USAGE;
	apps = k != 0; /* no "app:*" and "all" lines */
	cli_set_timeout_ms(COMPLETE_TIMEOUT_MS);
	cli_opts.quiet = true; /* a completion must never print errors */
	if (cli_call("GET", kinds[k].path, NULL, &status, &json) != 0)
		return CLI_EXIT_UNKNOWN;
	if (status == 200) {
		cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(
					      json, kinds[k].array))
		{
			const char *name = cli_json_str(p, kinds[k].key);

			if (name != NULL)
				printf("%s\n", name);
		}
		if (!apps) {
			const char *last = NULL;

			/* processes come grouped by application */
			cJSON_ArrayForEach(p,
					   cJSON_GetObjectItemCaseSensitive(
						   json, "processes"))
			{
				const char *app = cli_json_str(p, "application");

				if (app != NULL &&
				    (last == NULL || strcmp(app, last) != 0))
					printf("%s:*\n", app);
				last = app;
			}
			printf("all\n");
		}
	}
	cJSON_Delete(json);
	return status == 200 ? CLI_EXIT_OK : CLI_EXIT_FAILED;
}
