/*
 * The observability routes and the event bus's publishers.  See
 * ctl_obs.h.
 *
 * Changes are found by comparison: the last published JSON of the
 * cluster state, of the instance and of every application, and the last
 * seen state of every process, are kept; an event goes out only when the
 * new text differs.  That costs a few small strings per tick and needs
 * no hook in the daemon beyond its watcher list.
 */
#include "core/ctl_obs.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/cluster.h"
#include "core/ctl.h"
#include "core/daemon.h"
#include "core/events.h"
#include "core/metrics.h"
#include "core/proc.h"
#include "core/util.h"
#include "net/http.h"
#include "net/seal.h"
#include "net/swim.h"
#include "net/wire.h"
#include "sched/app.h"
#include "sched/fsm.h"
#include "sched/view.h"
#include "stats/stats.h"

#define EVENTS_RING 1024
#define SSE_LIMIT (512u << 10)
#define SSE_RESERVE 1024 /* room for the final "dropped" event */
#define KEEPALIVE_S 15.0
#define TICK_S 1.0
#define P "supvisors_sched_"

struct seen {
	char *namespec;
	enum proc_state state;
	bool present;
};

struct ctl_obs {
	struct ctl *ctl;
	struct daemon *d;
	struct events *bus;
	struct daemon_watch watch;
	ev_timer tick, keepalive;
	char *last_state;
	char **last_instances; /* by cluster order; [0] alone without one */
	size_t nlast_instances;
	char **last_apps;
	size_t nlast_apps;
	struct seen *seen;
	size_t nseen;
	uint64_t placed, refused;
	struct stats_sampler *sampler;
	int64_t sampled_ns;
	const struct seal_counters *seal;
	const struct swim_counters *swim;
};

struct client {
	struct ctl_obs *o;
	struct http_stream *s;
	struct events_sub *sub;
};

/* ------------------------------------------------------------ publish */

static char *
print_delete(cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);

	cJSON_Delete(o);
	if (s == NULL)
		abort();
	return s;
}

/* Publish J (taken). */
static void
publish_json(struct ctl_obs *o, enum events_kind kind, cJSON *j)
{
	char *text = print_delete(j);

	events_publish(o->bus, kind, text);
	free(text);
}

/* Publish TEXT (ours) when it differs from *LAST; keeps it there. */
static void
publish_changed(struct ctl_obs *o, enum events_kind kind, char **last,
		char *text)
{
	if (*last != NULL && strcmp(*last, text) == 0) {
		free(text);
		return;
	}
	events_publish(o->bus, kind, text);
	free(*last);
	*last = text;
}

static void
publish_apps(struct ctl_obs *o)
{
	const struct sched_view *v = daemon_view(o->d);
	size_t n = sched_view_napps(v);

	if (n != o->nlast_apps) { /* a reload: every one anew */
		for (size_t i = 0; i < o->nlast_apps; i++)
			free(o->last_apps[i]);
		free(o->last_apps);
		o->last_apps = xcalloc(n ? n : 1, sizeof(*o->last_apps));
		o->nlast_apps = n;
	}
	for (uint32_t i = 0; i < n; i++)
		publish_changed(o, EVENTS_APPLICATION, &o->last_apps[i],
				print_delete(ctl_application_json(o->ctl, i)));
}

/* Every instance of the cluster (this one alone without a cluster). */
static void
publish_instances(struct ctl_obs *o)
{
	const struct cluster *cl = daemon_cluster(o->d);
	size_t n = cluster_ninstances(cl);

	if (n == 0)
		n = 1;
	if (n != o->nlast_instances) {
		for (size_t i = 0; i < o->nlast_instances; i++)
			free(o->last_instances[i]);
		free(o->last_instances);
		o->last_instances = xcalloc(n, sizeof(*o->last_instances));
		o->nlast_instances = n;
	}
	for (size_t i = 0; i < n; i++) {
		cJSON *j = cluster_ninstances(cl) == 0 ||
					   cluster_instance_local(cl, i)
				   ? ctl_instance_json(o->ctl)
				   : cluster_instance_json(cl, i);

		publish_changed(o, EVENTS_INSTANCE, &o->last_instances[i],
				print_delete(j));
	}
}

static void
publish_cluster(struct ctl_obs *o)
{
	cJSON *st = ctl_state_json(o->ctl);
	char *key;

	/* the state changes, not the uptime, make a supvisors event */
	cJSON_DeleteItemFromObjectCaseSensitive(st, "uptime_seconds");
	key = print_delete(st);
	if (o->last_state == NULL || strcmp(o->last_state, key) != 0)
		publish_json(o, EVENTS_SUPVISORS, ctl_state_json(o->ctl));
	free(o->last_state);
	o->last_state = key;
	publish_instances(o);
}

static struct seen *
seen_find(struct ctl_obs *o, const char *namespec)
{
	for (size_t i = 0; i < o->nseen; i++)
		if (strcmp(o->seen[i].namespec, namespec) == 0)
			return &o->seen[i];
	o->seen = xreallocarray(o->seen, o->nseen + 1, sizeof(*o->seen));
	o->seen[o->nseen] = (struct seen){.namespec = xstrdup(namespec),
					  .state = PROC_STOPPED};
	return &o->seen[o->nseen++];
}

static const char *
instance_name(const struct ctl_obs *o)
{
	return rules_instance(daemon_rules(o->d))->name;
}

/* Supvisors' raw process event: what changed, and whether an exit was
 * expected. */
static cJSON *
raw_event_json(const struct ctl_obs *o, const struct proc *p,
	       enum proc_state from)
{
	const struct proc_fsm *f = proc_fsm(p);
	const struct rl_process *rp = proc_config(p);
	cJSON *e = cJSON_CreateObject();

	cJSON_AddStringToObject(e, "namespec", rp->namespec);
	cJSON_AddStringToObject(e, "application", daemon_proc_app(p));
	cJSON_AddStringToObject(e, "name", rp->name);
	cJSON_AddStringToObject(e, "instance", instance_name(o));
	cJSON_AddStringToObject(e, "state", proc_state_to_string(f->state));
	cJSON_AddNumberToObject(e, "state_code", proc_state_code(f->state));
	cJSON_AddStringToObject(e, "from_state", proc_state_to_string(from));
	cJSON_AddBoolToObject(e, "expected",
			      f->state == PROC_EXITED && f->expected);
	cJSON_AddStringToObject(e, "spawnerr",
				f->spawn_errno != 0 ? f->reason : "");
	cJSON_AddNumberToObject(e, "pid", proc_pid(p));
	cJSON_AddNumberToObject(e, "now", (double)util_wall_ms() / 1000.0);
	return e;
}

static void
on_proc(struct daemon_watch *w, struct proc *p, uint32_t job, bool ok)
{
	struct ctl_obs *o = container_of(w, struct ctl_obs, watch);
	const struct proc_fsm *f;
	struct seen *s;
	enum proc_state from;

	(void)job;
	(void)ok;
	if (p == NULL || !daemon_proc_listed(p))
		return;
	f = proc_fsm(p);
	s = seen_find(o, proc_namespec(p));
	from = s->state;
	if (s->present && from == f->state)
		return;
	s->present = true;
	s->state = f->state;
	if (f->state == PROC_STARTING && !proc_state_is_running(from))
		o->placed++;
	else if (f->state == PROC_FATAL && f->spawn_errno == 0 &&
		 strcmp(f->reason, "No resource available") == 0)
		o->refused++;
	publish_json(o, EVENTS_EVENT, raw_event_json(o, p, from));
	publish_json(o, EVENTS_PROCESS, ctl_process_json(o->ctl, p));
	publish_apps(o);
	publish_cluster(o);
}

/* Drop the "window" members: an event carries the values, the window
 * figures stay with GET /v1/stats. */
static void
strip_windows(cJSON *j)
{
	cJSON *it;

	cJSON_DeleteItemFromObjectCaseSensitive(j, "window");
	cJSON_ArrayForEach(it, j)
		if (cJSON_IsObject(it) || cJSON_IsArray(it))
			strip_windows(it);
}

static void
publish_stats(struct ctl_obs *o)
{
	int64_t next;
	unsigned on;
	double now;
	cJSON *j, *it;

	if (o->sampler == NULL)
		return;
	next = stats_sampler_next_ns(o->sampler);
	if (next == o->sampled_ns)
		return;
	o->sampled_ns = next;
	/* statistics are samples, not news: nobody following, nothing to
	 * build (a client that comes back reads the history from
	 * /v1/stats), which halves the idle daemon's CPU */
	if (events_subscribers(o->bus) == 0)
		return;
	now = (double)util_wall_ms() / 1000.0;
	on = stats_sampler_enabled(o->sampler);
	if (on & STATS_HOST) {
		j = stats_json_instance(o->sampler, instance_name(o),
					STATS_LAST_SAMPLE);
		if (j != NULL) {
			strip_windows(j);
			cJSON_AddNumberToObject(j, "now", now);
			publish_json(o, EVENTS_HSTATS, j);
		}
	}
	if (!(on & STATS_PROCESS))
		return;
	j = stats_json_processes(o->sampler, instance_name(o),
				 STATS_LAST_SAMPLE, NULL);
	if (j == NULL)
		return;
	strip_windows(j);
	cJSON_ArrayForEach(it, j) {
		cJSON_AddNumberToObject(it, "now", now);
		publish_json(o, EVENTS_PSTATS, cJSON_Duplicate(it, true));
	}
	cJSON_Delete(j);
}

static void
on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ctl_obs *o = container_of(w, struct ctl_obs, tick);

	(void)loop;
	(void)revents;
	publish_cluster(o);
	publish_apps(o);
	publish_stats(o);
}

static void
on_keepalive(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ctl_obs *o = container_of(w, struct ctl_obs, keepalive);

	(void)loop;
	(void)revents;
	events_keepalive(o->bus);
}

/* ------------------------------------------------------------ SSE */

static int
client_write(void *ctx, const char *buf, size_t len)
{
	struct client *cl = ctx;

	if (http_stream_buffered(cl->s) + len > SSE_LIMIT)
		return -ENOBUFS;
	return http_stream_write(cl->s, buf, len);
}

static void
client_close(void *ctx, const char *final, size_t len)
{
	struct client *cl = ctx;

	if (final != NULL)
		(void)http_stream_write(cl->s, final, len);
	http_stream_close(cl->s);
	free(cl);
}

static const struct events_sink client_sink = {
	.write = client_write,
	.close = client_close,
};

static void
on_client_abort(struct http_request *req, void *data)
{
	struct client *cl = data;

	(void)req;
	events_unsubscribe(cl->o->bus, cl->sub);
	free(cl);
}

static void
get_events(struct ctl_obs *o, struct http_request *req)
{
	static const char hello[] = "retry: 2000\n\n";
	const char *type = http_request_query(req, "type");
	const char *last = http_request_header(req, "Last-Event-ID");
	uint64_t after = 0;
	bool resume;
	unsigned mask;
	struct client *cl;
	struct events_sub *sub;

	if (events_mask_parse(type, &mask) < 0) {
		http_reply_error(req, 400, "BAD_REQUEST",
				 "type: a comma-separated list of supvisors, "
				 "instance, application, event, process, "
				 "hstats, pstats");
		return;
	}
	if (last == NULL)
		last = http_request_query(req, "last_event_id");
	if (last != NULL && util_parse_uint64(last, UINT64_MAX, &after) < 0) {
		http_reply_error(req, 400, "BAD_REQUEST",
				 "Last-Event-ID: not an event id");
		return;
	}
	resume = last != NULL;
	cl = xcalloc(1, sizeof(*cl));
	cl->o = o;
	cl->s = http_stream_open(req, "text/event-stream",
				 SSE_LIMIT + SSE_RESERVE, on_client_abort, cl);
	if (cl->s == NULL) {
		free(cl);
		return;
	}
	(void)http_stream_write(cl->s, hello, sizeof(hello) - 1);
	sub = events_subscribe(o->bus, mask, resume ? &after : NULL,
			       &client_sink, cl);
	if (sub != NULL)
		cl->sub = sub;
}

/* ------------------------------------------------------------ metrics */

static void
sample(struct metrics *m, double v, const char *k1, const char *v1,
       const char *k2, const char *v2)
{
	const char *labels[] = {k1, v1, k2, v2, NULL};

	(void)metrics_sample(m, k1 != NULL ? labels : NULL, v);
}

static void
metrics_cluster(struct ctl_obs *o, struct metrics *m)
{
	const struct sched_view *v = daemon_view(o->d);
	const struct sched_fsm *f = daemon_fsm(o->d);
	enum sched_cstate cs = f ? sched_fsm_state(f) : SCHED_CS_OFF;
	const char *master = daemon_master_name(o->d);
	size_t n = sched_view_ninstances(v);
	struct stats_node_summary ns;

	metrics_family(m, P "build_info", METRICS_GAUGE,
		       "Always 1; the version of supvisors-schedd.");
	sample(m, 1, "version", SUPVISORS_VERSION, NULL, NULL);
	metrics_family(m, P "uptime_seconds", METRICS_GAUGE,
		       "Seconds since the daemon started.");
	sample(m, (double)daemon_uptime_ms(o->d) / 1000.0, NULL, NULL, NULL,
	       NULL);
	metrics_family(m, P "cluster_state", METRICS_GAUGE,
		       "1 for the state the cluster is in, 0 for the others.");
	for (int i = 0; i < _SCHED_CS_MAX; i++)
		sample(m, cs == (enum sched_cstate)i, "state",
		       sched_cstate_to_string((enum sched_cstate)i), NULL,
		       NULL);
	metrics_family(m, P "cluster_master", METRICS_GAUGE,
		       "1 for the instance that is the master (none while "
		       "no master is elected).");
	if (master != NULL)
		sample(m, 1, "node", master, NULL, NULL);
	metrics_family(m, P "cluster_degraded", METRICS_GAUGE,
		       "1 when a synchro condition (STRICT, LIST, CORE) does "
		       "not hold.");
	sample(m, f != NULL && sched_fsm_degraded(f), NULL, NULL, NULL, NULL);

	metrics_family(m, P "instance_state", METRICS_GAUGE,
		       "1 for the state each instance is in, 0 for the others.");
	for (uint32_t i = 0; i < n; i++) {
		const struct sched_instance *in = sched_view_instance(v, i);

		for (int s = 0; s < _SCHED_INST_MAX; s++)
			sample(m, in->state == (enum sched_inst_state)s,
			       "node", in->name, "state",
			       sched_inst_state_to_string(s));
	}
	metrics_family(m, P "instance_suspect", METRICS_GAUGE,
		       "1 when the gossip suspects the instance.");
	for (uint32_t i = 0; i < n; i++)
		sample(m, sched_view_instance(v, i)->suspect, "node",
		       sched_view_instance(v, i)->name, NULL, NULL);
	metrics_family(m, P "instance_expected_load_ratio", METRICS_GAUGE,
		       "Sum of the expected loads of the processes running "
		       "on the instance (1 = 100 %).");
	for (uint32_t i = 0; i < n; i++)
		sample(m, sched_view_instance(v, i)->load / 100.0, "node",
		       sched_view_instance(v, i)->name, NULL, NULL);
	metrics_family(m, P "instance_measured_load_ratio", METRICS_GAUGE,
		       "CPU of the instance's node, as it reports it "
		       "(1 = 100 %).");
	for (uint32_t i = 0; i < n; i++) {
		const struct sched_instance *in = sched_view_instance(v, i);
		double cpu = in->cpu / 100.0;

		/* this node's own figure is the sampler's, unrounded */
		if (in->local && o->sampler != NULL &&
		    (stats_sampler_enabled(o->sampler) & STATS_HOST) &&
		    stats_sampler_node(o->sampler, STATS_LAST_SAMPLE, &ns) == 0 &&
		    ns.valid)
			cpu = ns.cpu_percent / 100.0;
		sample(m, cpu, "node", in->name, NULL, NULL);
	}
}

/* Bytes per second of every interface of J (stats_json_instance). */
static void
net_family(struct metrics *m, const cJSON *j, const char *node,
	   const char *dir, const char *key)
{
	char name[96], help[64];
	cJSON *it;

	snprintf(name, sizeof(name), P "node_network_%s_bytes_per_second",
		 dir);
	snprintf(help, sizeof(help), "Bytes per second (%s) by interface.",
		 dir);
	metrics_family(m, name, METRICS_GAUGE, help);
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "net")) {
		cJSON *ifn = cJSON_GetObjectItem(it, "interface");
		cJSON *v = cJSON_GetObjectItem(it, key);

		if (cJSON_IsString(ifn) && cJSON_IsNumber(v))
			sample(m, v->valuedouble, "node", node, "interface",
			       ifn->valuestring);
	}
}

static void
metrics_node(struct ctl_obs *o, struct metrics *m)
{
	const char *name = instance_name(o);
	struct stats_node_summary ns;
	cJSON *j = NULL;
	bool ok;

	ok = o->sampler != NULL &&
	     (stats_sampler_enabled(o->sampler) & STATS_HOST) &&
	     stats_sampler_node(o->sampler, STATS_LAST_SAMPLE, &ns) == 0 &&
	     ns.valid;
	metrics_family(m, P "node_cpu_ratio", METRICS_GAUGE,
		       "CPU in use on the node (1 = every core busy).");
	if (ok)
		sample(m, ns.cpu_percent / 100.0, "node", name, NULL, NULL);
	metrics_family(m, P "node_cpu_capacity_cores", METRICS_GAUGE,
		       "Cores the node may use (online CPUs or cgroup quota).");
	if (ok)
		sample(m, ns.cpu_capacity, "node", name, NULL, NULL);
	metrics_family(m, P "node_memory_ratio", METRICS_GAUGE,
		       "Memory in use on the node (1 = all of its capacity).");
	if (ok)
		sample(m, ns.mem_percent / 100.0, "node", name, NULL, NULL);
	metrics_family(m, P "node_memory_capacity_bytes", METRICS_GAUGE,
		       "Memory capacity of the node (MemTotal or cgroup limit).");
	if (ok)
		sample(m, (double)ns.mem_capacity, "node", name, NULL, NULL);
	if (ok)
		j = stats_json_instance(o->sampler, name, STATS_LAST_SAMPLE);
	net_family(m, j, name, "receive", "rx_bytes_per_s");
	net_family(m, j, name, "transmit", "tx_bytes_per_s");
	cJSON_Delete(j);
}

/* One process sample: labels namespec, application, process, node and
 * one more pair (K, V) when K is set. */
static void
psample(struct metrics *m, const struct proc *p, const char *node, double v,
	const char *k, const char *val)
{
	const struct rl_process *rp = proc_config(p);
	const char *labels[] = {"namespec",	   rp->namespec,
				"application", daemon_proc_app(p),
				"process",	   rp->name,
				"node",	   node,
				k,		   val,
				NULL};

	(void)metrics_sample(m, labels, v);
}

static void
metrics_processes(struct ctl_obs *o, struct metrics *m)
{
	const char *node = instance_name(o);
	bool stats = o->sampler != NULL &&
		     (stats_sampler_enabled(o->sampler) & STATS_PROCESS);
	struct proc *p;

#define EACH_PROC                                                              \
	for (p = daemon_first_proc(o->d); p; p = daemon_next_proc(p))         \
		if (daemon_proc_listed(p))
	metrics_family(m, P "process_up", METRICS_GAUGE,
		       "1 when the process is STARTING, RUNNING or BACKOFF.");
	EACH_PROC
	psample(m, p, node, proc_state_is_running(proc_state(p)), NULL, NULL);
	metrics_family(m, P "process_state", METRICS_GAUGE,
		       "1 for the state the process is in, 0 for the others.");
	EACH_PROC
	for (int s = 0; s < _PROC_STATE_MAX; s++)
		psample(m, p, node, proc_state(p) == (enum proc_state)s,
			"state", proc_state_to_string(s));
	metrics_family(m, P "process_restarts_total", METRICS_COUNTER,
		       "Automatic restarts of the process since the daemon "
		       "started.");
	EACH_PROC
	psample(m, p, node, proc_fsm(p)->restarts, NULL, NULL);
	metrics_family(m, P "process_start_time_seconds", METRICS_GAUGE,
		       "Unix time of the last start of the process.");
	EACH_PROC
	if (proc_fsm(p)->start_wall_ms > 0)
		psample(m, p, node, (double)proc_fsm(p)->start_wall_ms / 1000.0,
			NULL, NULL);
	metrics_family(m, P "process_exit_status", METRICS_GAUGE,
		       "Exit code of the last exit of the process (-1: killed "
		       "by a signal).");
	EACH_PROC
	if (proc_fsm(p)->has_exitstatus)
		psample(m, p, node, proc_fsm(p)->exitstatus, NULL, NULL);
	metrics_family(m, P "process_cpu_ratio", METRICS_GAUGE,
		       "CPU of the process and its descendants (1 = one core, "
		       "or the node in Solaris mode).");
	EACH_PROC
	{
		struct stats_proc_summary ps;

		if (stats &&
		    stats_sampler_process(o->sampler, proc_namespec(p),
					  STATS_LAST_SAMPLE, &ps) == 0 &&
		    ps.valid)
			psample(m, p, node, ps.cpu_percent / 100.0, NULL, NULL);
	}
	metrics_family(m, P "process_resident_memory_bytes", METRICS_GAUGE,
		       "Resident memory of the process and its descendants.");
	EACH_PROC
	{
		struct stats_proc_summary ps;

		if (stats &&
		    stats_sampler_process(o->sampler, proc_namespec(p),
					  STATS_LAST_SAMPLE, &ps) == 0 &&
		    ps.valid)
			psample(m, p, node, (double)ps.rss_bytes, NULL, NULL);
	}
#undef EACH_PROC
}

static void
metrics_apps(struct ctl_obs *o, struct metrics *m)
{
	const struct sched_view *v = daemon_view(o->d);
	size_t n = sched_view_napps(v);
	struct sched_app_status *st = xcalloc(n ? n : 1, sizeof(*st));

	for (uint32_t i = 0; i < n; i++)
		if (sched_app_status(v, i, &st[i]) < 0)
			st[i] = (struct sched_app_status){0};
	metrics_family(m, P "application_state", METRICS_GAUGE,
		       "1 for the state the application is in, 0 for the "
		       "others.");
	for (uint32_t i = 0; i < n; i++)
		for (int s = 0; s < _SCHED_APP_MAX; s++)
			sample(m, st[i].state == (enum sched_app_state)s,
			       "application", sched_view_app(v, i)->name,
			       "state", sched_app_state_to_string(s));
	metrics_family(m, P "application_major_failure", METRICS_GAUGE,
		       "1 when a required process of the application failed.");
	for (uint32_t i = 0; i < n; i++)
		sample(m, st[i].major_failure, "application",
		       sched_view_app(v, i)->name, NULL, NULL);
	metrics_family(m, P "application_minor_failure", METRICS_GAUGE,
		       "1 when an optional process of the application failed.");
	for (uint32_t i = 0; i < n; i++)
		sample(m, st[i].minor_failure, "application",
		       sched_view_app(v, i)->name, NULL, NULL);
	free(st);
}

static void
metrics_gossip(struct ctl_obs *o, struct metrics *m)
{
	char type[32];

	metrics_family(m, P "gossip_packets_total", METRICS_COUNTER,
		       "Gossip packets sealed (sent) and opened (received).");
	if (o->seal != NULL) {
		sample(m, (double)o->seal->sealed, "direction", "sent", NULL,
		       NULL);
		sample(m, (double)o->seal->opened, "direction", "received",
		       NULL, NULL);
	}
	metrics_family(m, P "gossip_bytes_total", METRICS_COUNTER,
		       "Bytes of the gossip packets sent and received.");
	if (o->seal != NULL) {
		sample(m, (double)o->seal->sealed_bytes, "direction", "sent",
		       NULL, NULL);
		sample(m, (double)o->seal->opened_bytes, "direction",
		       "received", NULL, NULL);
	}
	metrics_family(m, P "gossip_packets_dropped_total", METRICS_COUNTER,
		       "Gossip packets received and dropped, by reason.");
	for (int r = 0; o->seal != NULL && r < _SEAL_DROP_MAX; r++)
		sample(m, (double)o->seal->drops[r], "reason",
		       seal_drop_to_string(r), NULL, NULL);
	metrics_family(m, P "gossip_messages_total", METRICS_COUNTER,
		       "Membership messages sent and received, by type.");
	for (int t = 1; o->swim != NULL && t < _WIRE_M_MAX; t++) {
		snprintf(type, sizeof(type), "%s", wire_msg_type_to_string(t));
		sample(m, (double)o->swim->sent_msgs[t], "type", type,
		       "direction", "sent");
		sample(m, (double)o->swim->recv_msgs[t], "type", type,
		       "direction", "received");
	}
}

void
ctl_obs_metrics(struct ctl_obs *o, struct strbuf *out)
{
	struct metrics m;

	metrics_init(&m, out);
	metrics_cluster(o, &m);
	metrics_node(o, &m);
	metrics_processes(o, &m);
	metrics_apps(o, &m);
	metrics_gossip(o, &m);
	metrics_family(&m, P "placements_total", METRICS_COUNTER,
		       "Process starts placed on this instance (accepted) or "
		       "refused for want of resources.");
	sample(&m, (double)o->placed, "result", "accepted", NULL, NULL);
	sample(&m, (double)o->refused, "result", "refused", NULL, NULL);
	metrics_family(&m, P "events_published_total", METRICS_COUNTER,
		       "Events published on /v1/events.");
	sample(&m, (double)events_last_id(o->bus), NULL, NULL, NULL, NULL);
	metrics_family(&m, P "events_subscribers", METRICS_GAUGE,
		       "Clients following /v1/events.");
	sample(&m, (double)events_subscribers(o->bus), NULL, NULL, NULL, NULL);
	metrics_done(&m);
}

/* ------------------------------------------------------------ routes */

static const struct obs_asset *
asset_find(const char *path)
{
	if (strcmp(path, "/index.html") == 0)
		path = "/";
	for (size_t i = 0; i < obs_nassets; i++)
		if (strcmp(obs_assets[i].path, path) == 0)
			return &obs_assets[i];
	return NULL;
}

static bool
is_read(const char *method)
{
	return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

static bool
json_content(struct http_request *req)
{
	const char *ct = http_request_header(req, "Content-Type");
	size_t n = strlen("application/json");

	return ct != NULL && strncasecmp(ct, "application/json", n) == 0 &&
	       (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

bool
ctl_obs_handle(struct ctl_obs *o, struct http_request *req,
	       const struct http_request_info *info)
{
	const struct obs_asset *a;

	if (info->transport == HTTP_TCP && !is_read(info->method) &&
	    !json_content(req)) {
		http_reply_error(req, 415, "UNSUPPORTED_MEDIA_TYPE",
				 "writes over TCP need Content-Type: "
				 "application/json");
		return true;
	}
	a = asset_find(info->path);
	if (strcmp(info->path, "/metrics") != 0 &&
	    strcmp(info->path, "/v1/events") != 0 && a == NULL)
		return false;
	if (!is_read(info->method)) {
		http_reply_error(req, 405, "METHOD_NOT_ALLOWED",
				 "method not allowed on this route");
	} else if (a != NULL) {
		http_reply_text(req, 200, a->content_type,
				(const char *)a->data, a->len);
	} else if (strcmp(info->path, "/metrics") == 0) {
		struct strbuf sb = {0};

		ctl_obs_metrics(o, &sb);
		http_reply_text(req, 200, "text/plain; version=0.0.4; "
				"charset=utf-8", strbuf_str(&sb), sb.len);
		strbuf_done(&sb);
	} else if (strcmp(info->method, "HEAD") == 0) {
		http_reply_text(req, 200, "text/event-stream", "", 0);
	} else {
		get_events(o, req);
	}
	return true;
}

/* ------------------------------------------------------------ life */

struct ctl_obs *
ctl_obs_new(struct ctl *c, struct daemon *d)
{
	struct ctl_obs *o = xcalloc(1, sizeof(*o));

	o->ctl = c;
	o->d = d;
	o->bus = events_new(EVENTS_RING);
	o->watch.fn = on_proc;
	daemon_watch_add(d, &o->watch);
	ev_timer_init(&o->tick, on_tick, TICK_S, TICK_S);
	ev_timer_start(daemon_loop(d), &o->tick);
	ev_unref(daemon_loop(d));
	ev_timer_init(&o->keepalive, on_keepalive, KEEPALIVE_S, KEEPALIVE_S);
	ev_timer_start(daemon_loop(d), &o->keepalive);
	ev_unref(daemon_loop(d));
	return o;
}

struct ctl_obs *
ctl_obs_free(struct ctl_obs *o)
{
	if (o == NULL)
		return NULL;
	ev_ref(daemon_loop(o->d));
	ev_timer_stop(daemon_loop(o->d), &o->tick);
	ev_ref(daemon_loop(o->d));
	ev_timer_stop(daemon_loop(o->d), &o->keepalive);
	daemon_watch_remove(o->d, &o->watch);
	o->bus = events_free(o->bus);
	free(o->last_state);
	for (size_t i = 0; i < o->nlast_instances; i++)
		free(o->last_instances[i]);
	free(o->last_instances);
	for (size_t i = 0; i < o->nlast_apps; i++)
		free(o->last_apps[i]);
	free(o->last_apps);
	for (size_t i = 0; i < o->nseen; i++)
		free(o->seen[i].namespec);
	free(o->seen);
	free(o);
	return NULL;
}

void
ctl_obs_set_sampler(struct ctl_obs *o, struct stats_sampler *s)
{
	o->sampler = s;
	o->sampled_ns = 0;
}

void
ctl_obs_set_gossip(struct ctl_obs *o, const struct seal_counters *seal,
		   const struct swim_counters *swim)
{
	o->seal = seal;
	o->swim = swim;
}

struct events *
ctl_obs_events(struct ctl_obs *o)
{
	return o->bus;
}
