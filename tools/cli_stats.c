/*
 * `stats [INSTANCE|NAMESPEC] [-w]`: node, process and application
 * statistics from GET /v1/stats/instances and /v1/stats/processes.
 *
 * An argument with a colon (or "all") selects processes by namespec; one
 * without selects an instance (its node figures and its processes).
 * Applications are summed here over the processes shown, so that a
 * filter or a cluster-wide answer gives consistent totals.  With -w the
 * tables are redrawn every second on a terminal, top-like, until ^C;
 * with --json each refresh is one JSON object on its own line.
 */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"
#include "stats/stats.h"
#include "tools/cli.h"

#define REFRESH_MS 1000L

/* "12.3M": a byte count or rate for humans, 1024-based as supervisord's
 * sizes. */
static void
fmt_bytes(char *buf, size_t len, const cJSON *o, const char *key)
{
	static const char units[] = "BKMGTP";
	double v;
	size_t u = 0;

	if (o == NULL || !cli_json_num(o, key, &v)) {
		snprintf(buf, len, "-");
		return;
	}
	while (v >= 1024 && u + 1 < sizeof(units) - 1) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, u == 0 ? "%.0f%c" : "%.1f%c", v, units[u]);
}

static void
fmt_pct(char *buf, size_t len, const cJSON *o, const char *key)
{
	double v;

	if (o != NULL && cli_json_num(o, key, &v))
		snprintf(buf, len, "%.1f%%", v);
	else
		snprintf(buf, len, "-");
}

/* The figure FIG of value KEY in O's "window", as "+1.2" or "-". */
static void
fmt_fig(char *buf, size_t len, const cJSON *o, const char *key, const char *fig)
{
	const cJSON *w = cJSON_GetObjectItemCaseSensitive(o, "window");
	double v;

	if (cli_json_num(cJSON_GetObjectItemCaseSensitive(w, key), fig, &v))
		snprintf(buf, len, "%+.2f", v);
	else
		snprintf(buf, len, "-");
}

/* Sum of member KEY over the objects of array ARR of O, as a number
 * member of a scratch object (so that fmt_bytes can print it). */
static cJSON *
sum_of(const cJSON *o, const char *arr, const char *k1, const char *k2)
{
	cJSON *sum = cJSON_CreateObject();
	const cJSON *e;
	double a = 0, b = 0, v;
	bool any = false;

	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(o, arr))
	{
		if (cli_json_num(e, k1, &v)) {
			a += v;
			any = true;
		}
		if (cli_json_num(e, k2, &v))
			b += v;
	}
	if (any) {
		cJSON_AddNumberToObject(sum, k1, a);
		cJSON_AddNumberToObject(sum, k2, b);
	}
	return sum;
}

static void
print_instances(const cJSON *json)
{
	static const char *const narrow[] = {"INSTANCE", "CPU",      "MEM",
					     "LOAD",     "NET RX/s", "NET TX/s",
					     "DISK R/s", "DISK W/s"};
	static const char *const wide[] = {
		"INSTANCE", "CPU",       "MEM",        "LOAD",
		"NET RX/s", "NET TX/s",  "DISK R/s",   "DISK W/s",
		"CPU MEAN", "CPU SLOPE", "CPU STDDEV", "CORES"};
	struct cli_table *t;
	const cJSON *i;

	t = cli_opts.wide ? cli_table_new(ARRAY_SIZE(wide), wide)
			  : cli_table_new(ARRAY_SIZE(narrow), narrow);
	cJSON_ArrayForEach(i,
			   cJSON_GetObjectItemCaseSensitive(json, "instances"))
	{
		char cpu[16], mem[16], load[48] = "-", rx[16], tx[16], rd[16];
		char wr[16], mean[16], slope[16], sd[16], cores[16] = "-";
		const cJSON *la =
			cJSON_GetObjectItemCaseSensitive(i, "load_average");
		cJSON *net =
			sum_of(i, "net", "rx_bytes_per_s", "tx_bytes_per_s");
		cJSON *disk = sum_of(i, "disk", "read_bytes_per_s",
				     "write_bytes_per_s");
		const char *cells[12];
		double v;
		size_t n = 0;

		fmt_pct(cpu, sizeof(cpu), i, "cpu_percent");
		fmt_pct(mem, sizeof(mem), i, "mem_percent");
		if (cJSON_GetArraySize(la) == 3)
			snprintf(load, sizeof(load), "%.2f %.2f %.2f",
				 cJSON_GetArrayItem(la, 0)->valuedouble,
				 cJSON_GetArrayItem(la, 1)->valuedouble,
				 cJSON_GetArrayItem(la, 2)->valuedouble);
		fmt_bytes(rx, sizeof(rx), net, "rx_bytes_per_s");
		fmt_bytes(tx, sizeof(tx), net, "tx_bytes_per_s");
		fmt_bytes(rd, sizeof(rd), disk, "read_bytes_per_s");
		fmt_bytes(wr, sizeof(wr), disk, "write_bytes_per_s");
		cells[n++] = cli_json_str(i, "name");
		cells[n++] = cpu;
		cells[n++] = mem;
		cells[n++] = load;
		cells[n++] = rx;
		cells[n++] = tx;
		cells[n++] = rd;
		cells[n++] = wr;
		if (cli_opts.wide) {
			fmt_fig(mean, sizeof(mean), i, "cpu_percent", "mean");
			fmt_fig(slope, sizeof(slope), i, "cpu_percent",
				"slope");
			fmt_fig(sd, sizeof(sd), i, "cpu_percent", "stddev");
			if (cli_json_num(cJSON_GetObjectItemCaseSensitive(
						 i, "capacity"),
					 "cores", &v))
				snprintf(cores, sizeof(cores), "%g", v);
			cells[n++] = mean;
			cells[n++] = slope;
			cells[n++] = sd;
			cells[n++] = cores;
		}
		cli_table_add(t, cells, NULL);
		cJSON_Delete(net);
		cJSON_Delete(disk);
	}
	cli_table_print(t, stdout, cli_term_width(), cli_opts.color);
	cli_table_free(t);
}

static void
print_processes(const cJSON *json)
{
	static const char *const narrow[] = {
		"NAMESPEC", "INSTANCE", "PID",     "CPU",      "MEM",     "RSS",
		"THREADS",  "READ/s",   "WRITE/s", "TCP RX/s", "TCP TX/s"};
	static const char *const wide[] = {
		"NAMESPEC", "INSTANCE", "PID",      "CPU",       "MEM",
		"RSS",      "THREADS",  "READ/s",   "WRITE/s",   "TCP RX/s",
		"TCP TX/s", "PROCS",    "CPU MEAN", "CPU SLOPE", "CPU STDDEV"};
	struct cli_table *t;
	const cJSON *p;

	t = cli_opts.wide ? cli_table_new(ARRAY_SIZE(wide), wide)
			  : cli_table_new(ARRAY_SIZE(narrow), narrow);
	cJSON_ArrayForEach(p,
			   cJSON_GetObjectItemCaseSensitive(json, "processes"))
	{
		char pid[16] = "-", cpu[16], mem[16], rss[16], thr[16] = "-";
		char rd[16], wr[16], rx[16], tx[16], procs[16] = "-";
		char mean[16], slope[16], sd[16];
		const char *cells[15];
		double v;
		size_t n = 0;

		if (cli_json_num(p, "pid", &v) && v > 0)
			snprintf(pid, sizeof(pid), "%.0f", v);
		fmt_pct(cpu, sizeof(cpu), p, "cpu_percent");
		fmt_pct(mem, sizeof(mem), p, "mem_percent");
		fmt_bytes(rss, sizeof(rss), p, "rss_bytes");
		if (cli_json_num(p, "threads", &v))
			snprintf(thr, sizeof(thr), "%.0f", v);
		fmt_bytes(rd, sizeof(rd), p, "read_bytes_per_s");
		fmt_bytes(wr, sizeof(wr), p, "write_bytes_per_s");
		fmt_bytes(rx, sizeof(rx), p, "tcp_rx_bytes_per_s");
		fmt_bytes(tx, sizeof(tx), p, "tcp_tx_bytes_per_s");
		cells[n++] = cli_json_str(p, "namespec");
		cells[n++] = cli_json_str(p, "instance");
		cells[n++] = pid;
		cells[n++] = cpu;
		cells[n++] = mem;
		cells[n++] = rss;
		cells[n++] = thr;
		cells[n++] = rd;
		cells[n++] = wr;
		cells[n++] = rx;
		cells[n++] = tx;
		if (cli_opts.wide) {
			if (cli_json_num(p, "processes", &v))
				snprintf(procs, sizeof(procs), "%.0f", v);
			fmt_fig(mean, sizeof(mean), p, "cpu_percent", "mean");
			fmt_fig(slope, sizeof(slope), p, "cpu_percent",
				"slope");
			fmt_fig(sd, sizeof(sd), p, "cpu_percent", "stddev");
			cells[n++] = procs;
			cells[n++] = mean;
			cells[n++] = slope;
			cells[n++] = sd;
		}
		cli_table_add(t, cells, NULL);
	}
	cli_table_print(t, stdout, cli_term_width(), cli_opts.color);
	cli_table_free(t);
}

static void
print_applications(const cJSON *json)
{
	static const char *const headers[] = {"APPLICATION", "CPU", "MEM",
					      "RSS", "PROCESSES"};
	struct cli_table *t = cli_table_new(ARRAY_SIZE(headers), headers);
	const cJSON *a;

	cJSON_ArrayForEach(
		a, cJSON_GetObjectItemCaseSensitive(json, "applications"))
	{
		char cpu[16], mem[16], rss[16], procs[16] = "-";
		const char *cells[5];
		double v;

		fmt_pct(cpu, sizeof(cpu), a, "cpu_percent");
		fmt_pct(mem, sizeof(mem), a, "mem_percent");
		fmt_bytes(rss, sizeof(rss), a, "rss_bytes");
		if (cli_json_num(a, "processes", &v))
			snprintf(procs, sizeof(procs), "%.0f", v);
		cells[0] = cli_json_str(a, "name");
		cells[1] = cpu;
		cells[2] = mem;
		cells[3] = rss;
		cells[4] = procs;
		cli_table_add(t, cells, NULL);
	}
	cli_table_print(t, stdout, cli_term_width(), cli_opts.color);
	cli_table_free(t);
}

static bool
namespec_matches(const char *filter, const char *ns)
{
	size_t n = strlen(filter);

	if (ns == NULL)
		return false;
	if (strcmp(filter, "all") == 0)
		return true;
	if (n >= 2 && strcmp(filter + n - 2, ":*") == 0)
		return strncmp(ns, filter, n - 1) == 0;
	return strcmp(ns, filter) == 0;
}

/* Keep the items of array KEY of JSON whose member FIELD matches. */
static void
filter_array(cJSON *json, const char *key, const char *field,
	     const char *filter, bool by_namespec)
{
	cJSON *arr = cJSON_GetObjectItemCaseSensitive(json, key), *e, *next;

	for (e = arr ? arr->child : NULL; e != NULL; e = next) {
		const char *v = cli_json_str(e, field);

		next = e->next;
		if (by_namespec ? !namespec_matches(filter, v)
				: v == NULL || strcmp(v, filter) != 0)
			cJSON_Delete(cJSON_DetachItemViaPointer(arr, e));
	}
}

/* One {"instances","processes","applications"} snapshot, filtered. */
static int
fetch(const char *filter, cJSON **ret)
{
	cJSON *all = NULL, *procs = NULL, *apps;
	int rc;

	if ((rc = cli_get_json("/v1/stats/instances", &all)) != 0)
		return rc;
	if ((rc = cli_get_json("/v1/stats/processes", &procs)) != 0) {
		cJSON_Delete(all);
		return rc;
	}
	cli_json_merge_array(all, procs, "processes");
	cJSON_Delete(procs);
	if (cJSON_GetObjectItemCaseSensitive(all, "processes") == NULL)
		cJSON_AddArrayToObject(all, "processes");
	if (filter != NULL) {
		bool ns = strchr(filter, ':') != NULL ||
			  strcmp(filter, "all") == 0;

		if (!ns)
			filter_array(all, "instances", "name", filter, false);
		filter_array(all, "processes", ns ? "namespec" : "instance",
			     filter, ns);
		if (!ns && cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
				   all, "instances")) == 0) {
			fprintf(stderr,
				"supvisors-sched stats: no instance "
				"'%s'\n",
				filter);
			cJSON_Delete(all);
			return CLI_EXIT_UNKNOWN;
		}
	}
	/* applications over every instance shown: local sums would miss
	 * the processes of the others */
	apps = stats_json_sum_applications(
		cJSON_GetObjectItemCaseSensitive(all, "processes"));
	cJSON_DeleteItemFromObjectCaseSensitive(all, "applications");
	cJSON_AddItemToObject(all, "applications", apps);
	*ret = all;
	return 0;
}

static void
show(const cJSON *json)
{
	if (cli_opts.json) {
		cli_print_json(json);
		return;
	}
	print_instances(json);
	fputc('\n', stdout);
	print_processes(json);
	fputc('\n', stdout);
	print_applications(json);
}

int
cli_stats(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"watch", no_argument, NULL, 'w'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	const char *filter = NULL;
	bool watch = false, tty = isatty(1);
	cJSON *json = NULL;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+w", longopts, NULL)) != -1) {
		switch (c) {
		case 'w':
			watch = true;
			break;
		case 'j':
			cli_opts.json = true;
			break;
		default:
			fprintf(stderr, "usage: supvisors-sched stats "
					"[INSTANCE|NAMESPEC] [--json] [-w]\n");
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc)
		filter = argv[optind++];
	if (optind < argc || (filter != NULL && strchr(filter, ':') != NULL &&
			      cli_namespec_check(filter) < 0)) {
		fprintf(stderr, "usage: supvisors-sched stats "
				"[INSTANCE|NAMESPEC] [--json] [-w]\n");
		return CLI_EXIT_USAGE;
	}
	cli_set_timeout_ms(10000);
	for (;;) {
		struct timespec ts = {REFRESH_MS / 1000,
				      (REFRESH_MS % 1000) * 1000000};

		if ((rc = fetch(filter, &json)) != 0)
			return rc;
		if (watch && tty && !cli_opts.json)
			fputs("\033[H\033[2J", stdout);
		show(json);
		cJSON_Delete(json);
		json = NULL;
		if (!watch)
			return CLI_EXIT_OK;
		if (!tty && !cli_opts.json)
			fputc('\n', stdout);
		fflush(stdout);
		/* a client between two refreshes: ^C ends it */
		nanosleep(&ts, NULL);
	}
}
