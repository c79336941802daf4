/*
 * json: the encoders of the statistics API (GET /v1/stats/..., `stats
 * --json`).  See stats.h for the shapes.
 *
 * Every value sits beside a "window" member that holds, under the same
 * key, the figures of its history for the period asked (mean, rate,
 * slope, stddev, points), so that a client reading only the values sees
 * the documented flat shape and a dashboard finds the rest in one place.
 * Numbers are rounded to three decimals: the sources are no more precise
 * than that and the output stays readable.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "stats/internal.h"

static double
round3(double v)
{
	return round(v * 1000.0) / 1000.0;
}

static void
add_number(cJSON *obj, const char *key, double v)
{
	cJSON_AddNumberToObject(obj, key, round3(v));
}

static void
add_figures(cJSON *win, const char *key, const struct stats_figures *f,
	    double div)
{
	cJSON *o = cJSON_AddObjectToObject(win, key);

	add_number(o, "mean", f->mean / div);
	if (f->has_rate)
		add_number(o, "rate", f->rate);
	else
		cJSON_AddNullToObject(o, "rate");
	add_number(o, "slope", f->slope / div);
	add_number(o, "stddev", f->stddev / div);
	cJSON_AddNumberToObject(o, "points", f->n);
}

/* OBJ[KEY] = the series' value for PERIOD divided by DIV, or null, and
 * WIN[KEY] = its figures (WIN may be NULL). */
static void
put(cJSON *obj, cJSON *win, const char *key, const struct series *se,
    int period, double div, bool measured)
{
	struct stats_figures f;
	double v;

	if (measured && stats_series_value(se, period, &v))
		add_number(obj, key, v / div);
	else
		cJSON_AddNullToObject(obj, key);
	if (win == NULL || period < 0)
		return;
	if (measured)
		stats_series_figures(se, period, &f);
	else
		f = (struct stats_figures){0};
	add_figures(win, key, &f, div);
}

static cJSON *
new_window(const struct stats_sampler *s, int period)
{
	cJSON *w = cJSON_CreateObject();

	if (period >= 0)
		add_number(w, "period_s",
			   (double)s->conf.periods_ms[period] / 1000.0);
	else
		add_number(w, "period_s",
			   (double)s->conf.collecting_period_ms / 1000.0);
	return w;
}

static void
add_psi(cJSON *obj, const char *key, bool has, const struct procfs_psi *p)
{
	cJSON *o;

	if (!has) {
		cJSON_AddNullToObject(obj, key);
		return;
	}
	o = cJSON_AddObjectToObject(obj, key);
	add_number(o, "some_avg10", p->some.avg10);
	add_number(o, "some_avg60", p->some.avg60);
	if (p->has_full) {
		add_number(o, "full_avg10", p->full.avg10);
		add_number(o, "full_avg60", p->full.avg60);
	}
}

/* {NAME_KEY: NAME, K1: S1's value, K2: S2's value, "window"} into ARR:
 * one interface or one disk. */
static void
add_pair(const struct stats_sampler *s, cJSON *arr, int period,
	 const char *name_key, const char *name, const char *k1,
	 const struct series *s1, const char *k2, const struct series *s2)
{
	cJSON *e = cJSON_CreateObject();
	cJSON *ew = period >= 0 ? new_window(s, period) : NULL;

	cJSON_AddStringToObject(e, name_key, name);
	put(e, ew, k1, s1, period, 1, true);
	put(e, ew, k2, s2, period, 1, true);
	if (ew != NULL)
		cJSON_AddItemToObject(e, "window", ew);
	cJSON_AddItemToArray(arr, e);
}

cJSON *
stats_json_instance(const struct stats_sampler *s, const char *instance,
		    int period)
{
	const struct node *n = &s->node;
	bool on = (s->conf.enabled & STATS_HOST) != 0;
	cJSON *o, *win, *a, *wa, *e;
	size_t i;

	if (period >= (int)s->conf.nperiods)
		return NULL;
	o = cJSON_CreateObject();
	win = new_window(s, period);
	cJSON_AddStringToObject(o, "name", instance ? instance : "");
	cJSON_AddBoolToObject(o, "host_stats", on);
	put(o, win, "cpu_percent", &n->cpu, period, 1, on);
	a = cJSON_AddArrayToObject(o, "cpu_per_core");
	wa = period >= 0 ? cJSON_AddArrayToObject(win, "cpu_per_core") : NULL;
	for (i = 0; on && i < n->ncpus; i++) {
		struct stats_figures f;
		double v;

		if (!n->cpus[i].present)
			continue;
		cJSON_AddItemToArray(
			a, stats_series_value(&n->cpus[i].s, period, &v)
				   ? cJSON_CreateNumber(round3(v))
				   : cJSON_CreateNull());
		if (wa != NULL) {
			cJSON *tmp = cJSON_CreateObject();

			stats_series_figures(&n->cpus[i].s, period, &f);
			add_figures(tmp, "cpu", &f, 1);
			cJSON_AddItemToArray(
				wa, cJSON_DetachItemFromObject(tmp, "cpu"));
			cJSON_Delete(tmp);
		}
	}
	put(o, win, "mem_percent", &n->mem, period, 1, on);
	if (on && n->has_meminfo) {
		cJSON_AddNumberToObject(o, "mem_total_bytes",
					(double)n->meminfo.total);
		cJSON_AddNumberToObject(o, "mem_available_bytes",
					(double)n->meminfo.available);
	}
	if (on && n->has_load) {
		a = cJSON_AddArrayToObject(o, "load_average");
		for (i = 0; i < 3; i++)
			cJSON_AddItemToArray(
				a, cJSON_CreateNumber(round3(n->load.load[i])));
	} else {
		cJSON_AddNullToObject(o, "load_average");
	}
	a = cJSON_AddArrayToObject(o, "net");
	for (i = 0; on && i < n->nifaces; i++)
		add_pair(s, a, period, "interface", n->ifaces[i].name,
			 "rx_bytes_per_s", &n->ifaces[i].srx, "tx_bytes_per_s",
			 &n->ifaces[i].stx);
	a = cJSON_AddArrayToObject(o, "disk");
	for (i = 0; on && i < n->ndisks; i++)
		add_pair(s, a, period, "device", n->disks[i].name,
			 "read_bytes_per_s", &n->disks[i].srd,
			 "write_bytes_per_s", &n->disks[i].swr);
	e = cJSON_AddObjectToObject(o, "pressure");
	add_psi(e, "cpu", on && n->has_psi[PSI_CPU], &n->psi[PSI_CPU]);
	add_psi(e, "memory", on && n->has_psi[PSI_MEMORY], &n->psi[PSI_MEMORY]);
	add_psi(e, "io", on && n->has_psi[PSI_IO], &n->psi[PSI_IO]);
	e = cJSON_AddObjectToObject(o, "capacity");
	cJSON_AddNumberToObject(e, "online_cpus", n->online);
	if (n->quota_cores > 0)
		add_number(e, "cpu_quota_cores", n->quota_cores);
	else
		cJSON_AddNullToObject(e, "cpu_quota_cores");
	add_number(e, "cores", stats_node_cores(s));
	cJSON_AddNumberToObject(e, "memory_bytes",
				(double)stats_node_mem_capacity(s));
	if (n->mem_limit > 0)
		cJSON_AddNumberToObject(e, "memory_limit_bytes",
					(double)n->mem_limit);
	else
		cJSON_AddNullToObject(e, "memory_limit_bytes");
	add_number(o, "collecting_period_s",
		   (double)s->conf.collecting_period_ms / 1000.0);
	cJSON_AddItemToObject(o, "window", win);
	return o;
}

/* NULL or "all": everything; "app:*" or "app": an application; else one
 * namespec. */
static bool
matches(const char *filter, const char *namespec, size_t applen)
{
	size_t n;

	if (filter == NULL || *filter == '\0' || strcmp(filter, "all") == 0)
		return true;
	n = strlen(filter);
	if (n >= 2 && strcmp(filter + n - 2, ":*") == 0)
		return n - 2 == applen && memcmp(filter, namespec, applen) == 0;
	if (strchr(filter, ':') == NULL)
		return n == applen && memcmp(filter, namespec, applen) == 0;
	return strcmp(filter, namespec) == 0;
}

cJSON *
stats_json_processes(const struct stats_sampler *s, const char *instance,
		     int period, const char *filter)
{
	double cpu_div = s->conf.irix_mode ? 1 : stats_node_cores(s);
	cJSON *arr;
	size_t i;

	if (period >= (int)s->conf.nperiods)
		return NULL;
	arr = cJSON_CreateArray();
	for (i = 0; i < s->nprocs; i++) {
		const struct proc *p = s->procs[i];
		cJSON *o, *win;
		bool alive = p->alive;

		if (!matches(filter, p->namespec, p->applen))
			continue;
		o = cJSON_CreateObject();
		win = new_window(s, period);
		cJSON_AddStringToObject(o, "namespec", p->namespec);
		cJSON_AddStringToObject(o, "instance",
					instance ? instance : "");
		cJSON_AddNumberToObject(o, "pid", p->pid);
		cJSON_AddBoolToObject(o, "running", alive);
		put(o, win, "cpu_percent", &p->cpu, period, cpu_div, alive);
		put(o, win, "mem_percent", &p->mem, period, 1, alive);
		put(o, win, "rss_bytes", &p->rss_s, period, 1, alive);
		put(o, win, "threads", &p->threads_s, period, 1, alive);
		put(o, win, "read_bytes_per_s", &p->rd, period, 1,
		    alive && p->io_readable);
		put(o, win, "write_bytes_per_s", &p->wr, period, 1,
		    alive && p->io_readable);
		put(o, win, "tcp_rx_bytes_per_s", &p->trx, period, 1,
		    alive && s->tcp != NULL);
		put(o, win, "tcp_tx_bytes_per_s", &p->ttx, period, 1,
		    alive && s->tcp != NULL);
		cJSON_AddNumberToObject(o, "processes", (double)p->nmembers);
		cJSON_AddItemToObject(o, "window", win);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

/* As matches(), except that a namespec selects its application. */
static bool
app_matches(const char *filter, const char *app)
{
	size_t n = strlen(app);

	if (filter != NULL && strchr(filter, ':') != NULL &&
	    strcmp(filter, "all") != 0)
		return strncmp(filter, app, n) == 0 && filter[n] == ':';
	return matches(filter, app, n);
}

cJSON *
stats_json_applications(const struct stats_sampler *s, int period,
			const char *filter)
{
	double cpu_div = s->conf.irix_mode ? 1 : stats_node_cores(s);
	cJSON *arr;
	size_t i;

	if (period >= (int)s->conf.nperiods)
		return NULL;
	arr = cJSON_CreateArray();
	for (i = 0; i < s->napps; i++) {
		const struct app *a = s->apps[i];
		cJSON *o, *win;

		if (!app_matches(filter, a->name))
			continue;
		o = cJSON_CreateObject();
		win = new_window(s, period);
		cJSON_AddStringToObject(o, "name", a->name);
		put(o, win, "cpu_percent", &a->cpu, period, cpu_div, true);
		put(o, win, "mem_percent", &a->mem, period, 1, true);
		put(o, win, "rss_bytes", &a->rss, period, 1, true);
		cJSON_AddNumberToObject(o, "processes", a->nprocs);
		cJSON_AddItemToObject(o, "window", win);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

static void
sum_into(cJSON *dst, const cJSON *src, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(src, key);
	cJSON *d = cJSON_GetObjectItemCaseSensitive(dst, key);

	if (!cJSON_IsNumber(v))
		return;
	if (cJSON_IsNumber(d))
		cJSON_SetNumberValue(d,
				     round3(d->valuedouble + v->valuedouble));
	else
		cJSON_ReplaceItemInObjectCaseSensitive(
			dst, key, cJSON_CreateNumber(v->valuedouble));
}

cJSON *
stats_json_sum_applications(const cJSON *processes)
{
	static const char *const keys[] = {"cpu_percent", "mem_percent",
					   "rss_bytes"};
	static const char *const figs[] = {"mean", "slope"};
	cJSON *arr = cJSON_CreateArray();
	const cJSON *p;
	size_t k, f;

	cJSON_ArrayForEach(p, processes)
	{
		const cJSON *ns =
			cJSON_GetObjectItemCaseSensitive(p, "namespec");
		const cJSON *pw = cJSON_GetObjectItemCaseSensitive(p, "window");
		cJSON *a = NULL, *w, *it;
		const char *colon;
		size_t len;

		if (!cJSON_IsString(ns))
			continue;
		colon = strchr(ns->valuestring, ':');
		len = colon ? (size_t)(colon - ns->valuestring)
			    : strlen(ns->valuestring);
		cJSON_ArrayForEach(it, arr)
		{
			const char *name =
				cJSON_GetObjectItemCaseSensitive(it, "name")
					->valuestring;

			if (strlen(name) == len &&
			    memcmp(name, ns->valuestring, len) == 0) {
				a = it;
				break;
			}
		}
		if (a == NULL) {
			char *name = xstrndup(ns->valuestring, len);

			a = cJSON_CreateObject();
			cJSON_AddStringToObject(a, "name", name);
			free(name);
			for (k = 0; k < ARRAY_SIZE(keys); k++)
				cJSON_AddNullToObject(a, keys[k]);
			cJSON_AddNumberToObject(a, "processes", 0);
			w = cJSON_AddObjectToObject(a, "window");
			for (k = 0; k < ARRAY_SIZE(keys); k++) {
				cJSON *o = cJSON_AddObjectToObject(w, keys[k]);

				for (f = 0; f < ARRAY_SIZE(figs); f++)
					cJSON_AddNumberToObject(o, figs[f], 0);
			}
			cJSON_AddItemToArray(arr, a);
		}
		it = cJSON_GetObjectItemCaseSensitive(a, "processes");
		cJSON_SetNumberValue(it, it->valuedouble + 1);
		w = cJSON_GetObjectItemCaseSensitive(a, "window");
		for (k = 0; k < ARRAY_SIZE(keys); k++) {
			const cJSON *src =
				cJSON_GetObjectItemCaseSensitive(pw, keys[k]);

			sum_into(a, p, keys[k]);
			if (src != NULL)
				for (f = 0; f < ARRAY_SIZE(figs); f++)
					sum_into(
						cJSON_GetObjectItemCaseSensitive(
							w, keys[k]),
						src, figs[f]);
		}
	}
	return arr;
}

char *
stats_json_render(const struct stats_sampler *s, const char *instance,
		  unsigned what, int period, const char *filter)
{
	cJSON *root, *arr, *item;
	char *out;

	if (period >= (int)s->conf.nperiods)
		return NULL;
	root = cJSON_CreateObject();
	if (what & STATS_HOST) {
		arr = cJSON_AddArrayToObject(root, "instances");
		if ((item = stats_json_instance(s, instance, period)) != NULL)
			cJSON_AddItemToArray(arr, item);
	}
	if (what & STATS_PROCESS) {
		cJSON_AddItemToObject(
			root, "processes",
			stats_json_processes(s, instance, period, filter));
		cJSON_AddItemToObject(
			root, "applications",
			stats_json_applications(s, period, filter));
	}
	out = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return out;
}
