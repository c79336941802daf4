/*
 * The daemon's side of the gossip: transport set-up, membership events
 * to instance states in the view, the local status and process records
 * out, the remote ones in.  See cluster.h.
 *
 * The pure protocol is net/swim's; this file only decides what the
 * events mean for Supvisors' instance states, and it logs those
 * decisions (once, here).
 */
#define _GNU_SOURCE
#include "core/cluster.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <ev.h>
#include <netdb.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/cluster_keyring.h"
#include "core/ctl.h"
#include "core/ctl_obs.h"
#include "core/ctl_stats.h"
#include "core/daemon.h"
#include "core/log.h"
#include "core/proc.h"
#include "core/record.h"
#include "core/util.h"
#include "net/keyring.h"
#include "net/seal.h"
#include "net/transport.h"
#include "sched/fsm.h"
#include "sched/view.h"
#include "stats/stats.h"

#define STATUS_S 1.0

/* A process as its owner reports it. */
struct rproc {
	char *namespec;
	enum sched_proc_state state;
	int pid;
	int64_t start_wall_ms;
	unsigned loading;
	bool expected;
	bool disabled; /* the program is disabled on its instance */
	char *extra; /* extra arguments, "" when none */
	char *desc;
	uint64_t version; /* of the KV record */
};

/* A peer command waiting for its answer.  Commands to one member go
 * one at a time, in order (a STOPPING must not overtake a STOPPED). */
struct pending {
	struct cluster *c;
	struct member *m;
	char *txt;
	void (*fn)(void *arg, int err, const cJSON *reply);
	void *arg;
	struct pending *prev, *next; /* every pending command */
	struct pending *qnext;	     /* the member's queue */
};

struct member {
	char *name; /* copies: the rules may be retired by a reload */
	char *address;
	bool local;
	bool known; /* heard of by the gossip */
	uint8_t id[WIRE_ID_SIZE];
	uint32_t generation;
	enum sched_inst_state state;
	bool suspect;
	char reason[160];
	bool fence_reason; /* ISOLATED by auto_fence, not by the rules */
	int64_t failed_ms;
	char machine[WIRE_META_MAX + 1];
	struct wire_status status;
	bool status_known;
	struct rproc *procs;
	size_t nprocs;
	struct pending *qhead, *qtail; /* commands to it, head in flight */
	bool busy;
};

struct cluster {
	struct daemon *d;
	struct transport *t;
	struct member *m;
	size_t n;
	size_t local;
	char **published; /* namespecs we have a record for */
	size_t npublished;
	struct wire_status status;
	struct pending *pending;
	ev_timer timer;
	struct cluster_keyring *keyring;
};

/* ------------------------------------------------------------ helpers */

static struct sched_view *
view(const struct cluster *c)
{
	return daemon_view(c->d);
}

static uint32_t
vid(const struct cluster *c, const struct member *m)
{
	return sched_view_find_instance(view(c), m->name);
}

static void
apply_state(struct cluster *c, struct member *m)
{
	uint32_t i = vid(c, m);

	if (i != SCHED_NONE && !m->local)
		sched_view_set_instance_state(view(c), i, m->state,
					      m->suspect);
}

static void
set_state(struct cluster *c, struct member *m, enum sched_inst_state s,
	  const char *reason)
{
	if (m->state == s && (reason == NULL || strcmp(reason, m->reason) == 0))
		return;
	if (reason != NULL)
		log_notice("instance %s: %s -> %s: %s", m->name,
			   sched_inst_state_to_string(m->state),
			   sched_inst_state_to_string(s), reason);
	else
		log_notice("instance %s: %s -> %s", m->name,
			   sched_inst_state_to_string(m->state),
			   sched_inst_state_to_string(s));
	snprintf(m->reason, sizeof(m->reason), "%s", reason ? reason : "");
	if (s == SCHED_INST_FAILED)
		m->failed_ms = util_now_ms();
	m->state = s;
	apply_state(c, m);
	daemon_cluster_changed(c->d);
}

static struct member *
find_name(struct cluster *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->m[i].name, name) == 0)
			return &c->m[i];
	return NULL;
}

/* The member of EV: by id, else by name for a member we never heard
 * of, or for one that came back alive under a new id (its state_dir
 * was wiped): news about its old id no longer concern it. */
static struct member *
find_member(struct cluster *c, const struct swim_event *ev)
{
	struct member *m;

	for (size_t i = 0; i < c->n; i++)
		if (c->m[i].known &&
		    memcmp(c->m[i].id, ev->id, WIRE_ID_SIZE) == 0)
			return &c->m[i];
	m = ev->name != NULL ? find_name(c, ev->name) : NULL;
	if (m == NULL || m->local)
		return m;
	if (m->known && !((ev->type == SWIM_EV_JOIN ||
			   ev->type == SWIM_EV_ALIVE) &&
			  ev->state == SWIM_ALIVE))
		return NULL;
	memcpy(m->id, ev->id, WIRE_ID_SIZE);
	m->known = true;
	return m;
}

/* HOST:PORT, HOST a name or a numeric address. */
static int
resolve(const char *host, uint16_t port, struct wire_addr *ret)
{
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *ai = NULL;
	char buf[INET6_ADDRSTRLEN + 16], num[INET6_ADDRSTRLEN];
	int r;

	if (getaddrinfo(host, NULL, &hints, &ai) != 0 || ai == NULL)
		return -EHOSTUNREACH;
	r = getnameinfo(ai->ai_addr, ai->ai_addrlen, num, sizeof(num), NULL, 0,
			NI_NUMERICHOST);
	if (r == 0)
		snprintf(buf, sizeof(buf),
			 ai->ai_family == AF_INET6 ? "[%s]:%u" : "%s:%u", num,
			 port);
	freeaddrinfo(ai);
	if (r != 0)
		return -EHOSTUNREACH;
	return wire_addr_parse(buf, ret);
}

static void
rproc_clear(struct rproc *p)
{
	free(p->namespec);
	free(p->extra);
	free(p->desc);
}

/* ------------------------------------------------------------ records */

/* A record: see core/record.h. */
static size_t
encode_proc(const struct proc *p, char *buf, size_t len)
{
	const struct proc_fsm *f = proc_fsm(p);
	char desc[RECORD_TEXT_MAX + 1];
	int st = sched_proc_state_from_string(proc_state_to_string(f->state));
	struct record_proc r = {
		.state = (enum sched_proc_state)st,
		.pid = (int)proc_pid(p),
		.start_wall_ms = proc_state_is_running(f->state) ||
					 f->state == PROC_STOPPING
				 ? f->start_wall_ms
				 : 0,
		.loading = proc_config(p)->program->expected_loading,
		.expected = f->has_exitstatus && f->expected,
		.disabled = f->disabled,
		.extra = (char *)proc_extra_args(p),
		.desc = desc,
	};
	int n;

	proc_fsm_describe(f, proc_pid(p), util_now_ms(), desc, sizeof(desc));
	n = st < 0 ? -EINVAL : record_proc_encode(&r, buf, len);
	return n < 0 ? 0 : (size_t)n;
}

static int
decode_proc(const uint8_t *v, size_t len, struct rproc *ret)
{
	struct record_proc r;

	if (record_proc_decode(v, len, &r) < 0)
		return -EINVAL;
	ret->state = r.state;
	ret->pid = r.pid;
	ret->start_wall_ms = r.start_wall_ms;
	ret->loading = r.loading;
	ret->expected = r.expected;
	ret->disabled = r.disabled;
	ret->extra = r.extra;
	ret->desc = r.desc;
	return 0;
}

static uint64_t
publish(struct cluster *c, const struct proc *p)
{
	char buf[WIRE_VALUE_MAX];
	size_t len = encode_proc(p, buf, sizeof(buf));
	const char *ns = proc_namespec(p);
	int64_t version;
	size_t i;

	version = swim_kv_set(transport_swim(c->t), util_now_ms(), ns, buf,
			      len);
	if (version < 0)
		return 0;
	for (i = 0; i < c->npublished; i++)
		if (strcmp(c->published[i], ns) == 0)
			return (uint64_t)version;
	c->published = xreallocarray(c->published, c->npublished + 1,
				     sizeof(*c->published));
	c->published[c->npublished++] = xstrdup(ns);
	return (uint64_t)version;
}

static void
view_report(struct cluster *c, struct member *m, const struct rproc *rp)
{
	uint32_t inst = vid(c, m);
	uint32_t pid = sched_view_find_process(view(c), rp->namespec);
	int64_t wall = (int64_t)time(NULL) * 1000;
	struct sched_event ev = {
		.state = rp->state,
		.expected_exit = rp->expected,
		.pid = rp->pid,
		.uptime_ms = rp->start_wall_ms > 0 && wall > rp->start_wall_ms
				     ? wall - rp->start_wall_ms
				     : 0,
		.version = rp->version,
	};

	if (inst == SCHED_NONE || pid == SCHED_NONE)
		return;
	(void)sched_view_set_disabled(view(c), pid, inst, rp->disabled);
	daemon_remote_event(c->d, pid, inst, &ev, rp->extra);
}

/* The state machine record: "STATE\tMASTER\tSTABLE\tRUNNING_HASH",
 * MASTER "-" when none.  Not a namespec: namespecs have a colon. */
#define FSM_KEY "@fsm"

static void
on_fsm_record(struct cluster *c, struct member *m, const uint8_t *v,
	      size_t len)
{
	struct sched_fsm_peer p = {.master = SCHED_NONE};
	struct record_fsm r;
	uint32_t inst = vid(c, m);

	if (inst == SCHED_NONE || record_fsm_decode(v, len, &r) < 0)
		return;
	p.known = true;
	p.state = r.state;
	if (r.master[0] != '\0')
		p.master = sched_view_find_instance(view(c), r.master);
	p.stable = r.stable;
	p.running = r.running;
	daemon_fsm_peer(c->d, inst, &p);
}

void
cluster_publish_fsm(struct cluster *c, const struct sched_fsm_peer *p)
{
	char buf[WIRE_VALUE_MAX];
	struct record_fsm r = {
		.state = p->state,
		.stable = p->stable,
		.running = p->running,
	};
	int n;

	if (c == NULL)
		return;
	if (p->master != SCHED_NONE)
		snprintf(r.master, sizeof(r.master), "%s",
			 sched_view_instance(view(c), p->master)->name);
	n = record_fsm_encode(&r, buf, sizeof(buf));
	if (n > 0)
		(void)swim_kv_set(transport_swim(c->t), util_now_ms(), FSM_KEY,
				  buf, (size_t)n);
	transport_kick(c->t);
}

static void
on_kv(struct cluster *c, struct member *m, const struct swim_event *ev)
{
	char *ns;
	struct rproc rp = {0};
	size_t i;

	if (ev->key_len == strlen(FSM_KEY) &&
	    memcmp(ev->key, FSM_KEY, ev->key_len) == 0) {
		on_fsm_record(c, m, ev->value, ev->value_len);
		return;
	}
	ns = xstrndup(ev->key, ev->key_len);

	for (i = 0; i < m->nprocs; i++)
		if (strcmp(m->procs[i].namespec, ns) == 0)
			break;
	if (ev->value_len == 0 || decode_proc(ev->value, ev->value_len,
					      &rp) < 0) {
		if (i < m->nprocs) {
			rproc_clear(&m->procs[i]);
			m->procs[i] = m->procs[--m->nprocs];
		}
		free(ns);
		return;
	}
	rp.namespec = ns;
	rp.version = ev->version;
	if (i < m->nprocs) {
		rproc_clear(&m->procs[i]);
	} else {
		m->procs = xreallocarray(m->procs, m->nprocs + 1,
					 sizeof(*m->procs));
		m->nprocs++;
	}
	m->procs[i] = rp;
	view_report(c, m, &rp);
}

/* ------------------------------------------------------------ states */

/* Supvisors' handshake, as the gossip gives it: the peer's status says
 * which rules it runs; the same digest authorizes it. */
static void
check_member(struct cluster *c, struct member *m, bool rules_mismatch)
{
	if (m->state == SCHED_INST_ISOLATED && m->fence_reason)
		return; /* until it restarts (a newer generation) */
	if (rules_mismatch) {
		m->fence_reason = false;
		set_state(c, m, SCHED_INST_ISOLATED,
			  "rules digest differs from ours (applications, "
			  "models or cluster strategies)");
		return;
	}
	if (!m->status_known) {
		set_state(c, m, SCHED_INST_CHECKING, NULL);
		return;
	}
	if (m->state != SCHED_INST_RUNNING) {
		if (m->state != SCHED_INST_CHECKED)
			set_state(c, m, SCHED_INST_CHECKED, NULL);
		/* not while the master distributes (Supvisors) */
		if (!daemon_may_activate(c->d))
			return;
		set_state(c, m, SCHED_INST_RUNNING, NULL);
		for (size_t i = 0; i < m->nprocs; i++)
			view_report(c, m, &m->procs[i]);
	}
}

void
cluster_activate(struct cluster *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++)
		if (!c->m[i].local && c->m[i].state == SCHED_INST_CHECKED)
			check_member(c, &c->m[i], false);
}

static void
member_lost(struct cluster *c, struct member *m, const char *why)
{
	uint32_t i = vid(c, m);

	m->suspect = false;
	if (m->state == SCHED_INST_ISOLATED || m->state == SCHED_INST_STOPPED) {
		apply_state(c, m);
		return;
	}
	set_state(c, m, SCHED_INST_FAILED, why);
	if (i != SCHED_NONE)
		daemon_instance_lost(c->d, i);
}

static void
sync_member(struct cluster *c, struct member *m)
{
	struct swim *s = transport_swim(c->t);
	int k = swim_find(s, m->id);
	struct swim_member sm;
	uint32_t inst;

	if (k < 0)
		return;
	swim_member_get(s, (size_t)k, &sm);
	m->status = sm.status;
	m->status_known = sm.status_known;
	if (sm.meta_len > 0) {
		memcpy(m->machine, sm.meta, sm.meta_len);
		m->machine[sm.meta_len] = '\0';
		inst = vid(c, m);
		if (inst != SCHED_NONE &&
		    strcmp(sched_view_node(view(c),
					   sched_view_instance(view(c), inst)
						   ->node)
				   ->machine,
			   m->machine) != 0)
			(void)sched_view_set_instance_machine(view(c), inst,
							      m->machine);
	}
	inst = vid(c, m);
	if (inst != SCHED_NONE && sm.status_known)
		sched_view_set_instance_cpu(view(c), inst,
					    sm.status.cpu / 100u);
}

static void
on_event(void *ctx, const struct swim_event *ev)
{
	struct cluster *c = ctx;
	struct member *m = find_member(c, ev);
	uint32_t gen = (uint32_t)(ev->incarnation >> 32);

	if (cluster_keyring_event(c->keyring, ev))
		return;
	if (m == NULL || m->local) {
		if (m == NULL && ev->type == SWIM_EV_JOIN)
			log_warnx("instance '%s' is not in cluster.instances: "
				  "ignored", ev->name ? ev->name : "?");
		return;
	}
	switch (ev->type) {
	case SWIM_EV_JOIN:
	case SWIM_EV_ALIVE:
		if (gen > m->generation && m->generation != 0 &&
		    m->state == SCHED_INST_ISOLATED && m->fence_reason) {
			m->fence_reason = false;
			set_state(c, m, SCHED_INST_STOPPED, "restarted");
		}
		if (gen > m->generation)
			m->generation = gen;
		m->suspect = false;
		sync_member(c, m);
		check_member(c, m, ev->rules_mismatch);
		apply_state(c, m);
		break;
	case SWIM_EV_SUSPECT:
		m->suspect = true;
		apply_state(c, m);
		daemon_cluster_changed(c->d);
		break;
	case SWIM_EV_DEAD:
		member_lost(c, m, "declared dead by the gossip");
		break;
	case SWIM_EV_LEFT:
		member_lost(c, m, "left the cluster");
		if (m->state == SCHED_INST_FAILED)
			set_state(c, m, SCHED_INST_STOPPED, NULL);
		break;
	case SWIM_EV_UPDATE:
	case SWIM_EV_STATUS:
		sync_member(c, m);
		if (ev->state == SWIM_ALIVE || ev->state == SWIM_SUSPECT)
			check_member(c, m, ev->rules_mismatch);
		break;
	case SWIM_EV_RULES:
		sync_member(c, m);
		if (ev->state == SWIM_ALIVE || ev->state == SWIM_SUSPECT ||
		    ev->rules_mismatch) {
			if (!ev->rules_mismatch &&
			    m->state == SCHED_INST_ISOLATED && !m->fence_reason)
				m->state = SCHED_INST_STOPPED;
			check_member(c, m, ev->rules_mismatch);
		}
		break;
	case SWIM_EV_KV:
		on_kv(c, m, ev);
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------ commands */

static struct member *
find_id(struct cluster *c, const uint8_t *id)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->m[i].known && !c->m[i].local &&
		    memcmp(c->m[i].id, id, WIRE_ID_SIZE) == 0)
			return &c->m[i];
	return NULL;
}

/* A sealed command from a member: the key proves it belongs to the
 * cluster; it must also be one of cluster.instances. */
static void
on_command(void *ctx, const uint8_t *sender, const uint8_t *body, size_t len,
	   struct strbuf *out)
{
	struct cluster *c = ctx;
	struct member *m = find_id(c, sender);
	cJSON *req = cJSON_ParseWithLength((const char *)body, len);
	cJSON *reply = cJSON_CreateObject();
	char *txt;

	if (m == NULL) {
		cJSON_AddBoolToObject(reply, "ok", false);
		cJSON_AddStringToObject(reply, "error", "UNKNOWN_INSTANCE");
		cJSON_AddStringToObject(reply, "message",
					"not a known instance");
	} else if (!cJSON_IsObject(req)) {
		cJSON_AddBoolToObject(reply, "ok", false);
		cJSON_AddStringToObject(reply, "error", "BAD_REQUEST");
		cJSON_AddStringToObject(reply, "message", "not a JSON object");
	} else {
		daemon_peer_command(c->d, m->name, req, reply);
	}
	txt = cJSON_PrintUnformatted(reply);
	if (txt != NULL)
		strbuf_adds(out, txt);
	free(txt);
	cJSON_Delete(reply);
	cJSON_Delete(req);
}

static void
pending_unlink(struct pending *p)
{
	struct cluster *c = p->c;

	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		c->pending = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
}

static void
pending_free(struct pending *p)
{
	free(p->txt);
	free(p);
}

static void on_reply(void *arg, int err, const uint8_t *body, size_t len);

/* Sends the head of M's queue; a head that cannot be sent fails (its
 * callback runs) and the next one is tried.  HOLD: a command the
 * caller is adding and will fail itself. */
static int
send_next(struct cluster *c, struct member *m, struct pending *hold)
{
	struct swim *sw = transport_swim(c->t);
	struct swim_member sm;
	struct pending *p;
	int k, r;

	while (!m->busy && (p = m->qhead) != NULL) {
		k = swim_find(sw, m->id);
		r = -EHOSTUNREACH;
		if (k >= 0) {
			swim_member_get(sw, (size_t)k, &sm);
			r = transport_command(c->t, &sm.addr, p->txt,
					      strlen(p->txt), on_reply, p);
		}
		if (r == 0) {
			m->busy = true;
			return 0;
		}
		m->qhead = p->qnext;
		if (m->qhead == NULL)
			m->qtail = NULL;
		pending_unlink(p);
		if (p == hold) {
			pending_free(p);
			return r;
		}
		p->fn(p->arg, -ECOMM, NULL);
		pending_free(p);
	}
	return 0;
}

static void
on_reply(void *arg, int err, const uint8_t *body, size_t len)
{
	struct pending *p = arg;
	struct member *m = p->m;
	struct cluster *c = p->c;
	cJSON *reply = NULL;

	pending_unlink(p);
	m->qhead = p->qnext;
	if (m->qhead == NULL)
		m->qtail = NULL;
	m->busy = false;
	if (err == 0) {
		reply = cJSON_ParseWithLength((const char *)body, len);
		if (!cJSON_IsObject(reply))
			err = -EBADMSG;
	}
	p->fn(p->arg, err, err == 0 ? reply : NULL);
	cJSON_Delete(reply);
	pending_free(p);
	(void)send_next(c, m, NULL);
}

int
cluster_command(struct cluster *c, uint32_t inst, const cJSON *body,
		void (*fn)(void *arg, int err, const cJSON *reply), void *arg)
{
	const struct sched_instance *si;
	struct member *m;
	struct pending *p;
	char *txt;

	if (c == NULL)
		return -ENOTCONN;
	si = sched_view_instance(view(c), inst);
	m = si ? find_name(c, si->name) : NULL;
	if (m == NULL || m->local || !m->known)
		return -EHOSTUNREACH;
	if (swim_find(transport_swim(c->t), m->id) < 0)
		return -EHOSTUNREACH;
	txt = cJSON_PrintUnformatted(body);
	if (txt == NULL)
		return -ENOMEM;
	p = xcalloc(1, sizeof(*p));
	p->c = c;
	p->m = m;
	p->txt = txt;
	p->fn = fn;
	p->arg = arg;
	p->next = c->pending;
	if (c->pending != NULL)
		c->pending->prev = p;
	c->pending = p;
	if (m->qtail != NULL)
		m->qtail->qnext = p;
	else
		m->qhead = p;
	m->qtail = p;
	return send_next(c, m, p);
}

const char *
cluster_proc_desc(const struct cluster *c, const char *inst,
		  const char *namespec)
{
	if (c == NULL)
		return NULL;
	for (size_t i = 0; i < c->n; i++) {
		const struct member *m = &c->m[i];

		if (strcmp(m->name, inst) != 0)
			continue;
		for (size_t k = 0; k < m->nprocs; k++)
			if (strcmp(m->procs[k].namespec, namespec) == 0)
				return m->procs[k].desc;
		return NULL;
	}
	return NULL;
}

/* ------------------------------------------------------------ timer */

static void
update_status(struct cluster *c)
{
	const struct sched_view *v = view(c);
	uint32_t local = sched_view_local(v);
	struct ctl *ctl = daemon_ctl(c->d);
	struct stats_sampler *s =
		ctl ? ctl_stats_sampler(ctl_get_stats(ctl)) : NULL;
	struct stats_node_summary n = {0};
	struct wire_status st = c->status;

	st.load = local != SCHED_NONE
			  ? (uint16_t)MIN(sched_view_instance(v, local)->load,
					  UINT16_MAX)
			  : 0;
	if (s != NULL && (stats_sampler_node(s, 0, &n) < 0 || !n.valid))
		(void)stats_sampler_node(s, STATS_LAST_SAMPLE, &n);
	st.cpu = n.valid ? (uint16_t)(n.cpu_percent * 100) : 0;
	st.mem = n.valid ? (uint16_t)(n.mem_percent * 100) : 0;
	if (memcmp(&st, &c->status, sizeof(st)) != 0) {
		c->status = st;
		swim_set_status(transport_swim(c->t), &st);
	}
}

/* Peers compare the digest of our rules with theirs (Supvisors'
 * handshake); a reload may change it. */
static void
set_rules_digest(struct cluster *c)
{
	const char *dg = rules_digest(daemon_rules(c->d));
	uint8_t digest[crypto_generichash_BYTES];

	crypto_generichash(digest, sizeof(digest), (const uint8_t *)dg,
			   strlen(dg), NULL, 0);
	memcpy(c->status.rules, digest, WIRE_RULES_DIGEST_SIZE);
	swim_set_status(transport_swim(c->t), &c->status);
	update_status(c);
}

/* Supvisors' invalidation of FAILED instances at the next step of the
 * state machine: ISOLATED (auto_fence while the cluster works) or
 * STOPPED until it comes back.  FAILED is not a stable state: the
 * election waits for it to go. */
void
cluster_invalidate(struct cluster *c)
{
	bool working, fence;

	if (c == NULL)
		return;
	working = daemon_phase(c->d) == DAEMON_OPERATION;
	fence = rules_cluster(daemon_rules(c->d))->auto_fence;
	for (size_t i = 0; i < c->n; i++) {
		struct member *m = &c->m[i];

		if (m->state != SCHED_INST_FAILED)
			continue;
		if (fence && working) {
			m->fence_reason = true;
			set_state(c, m, SCHED_INST_ISOLATED,
				  "auto_fence: lost while the cluster was "
				  "operating");
		} else {
			set_state(c, m, SCHED_INST_STOPPED, NULL);
		}
	}
}

static void
on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct cluster *c = container_of(w, struct cluster, timer);

	(void)loop;
	(void)revents;
	update_status(c);
	cluster_invalidate(c);
	transport_kick(c->t);
}

/* ------------------------------------------------------------ life */

static int
setup_keys(const struct rl_cluster_conf *cc, struct keyring *ret)
{
	unsigned line = 0;
	int r;

	if (cc->key_file != NULL) {
		r = keyring_load(cc->key_file, ret, &line);
		if (r < 0) {
			errno = -r;
			if (line > 0)
				log_error("key file '%s': line %u is not a key",
					  cc->key_file, line);
			else
				log_warn("cannot load the key file '%s'",
					 cc->key_file);
		}
		return r;
	}
	/* every address is loopback (the loader checked) */
	keyring_loopback(cc->name, ret);
	return 0;
}

int
cluster_new(struct daemon *d, struct cluster **ret)
{
	const struct rules *r = daemon_rules(d);
	const struct rl_cluster_conf *cc = rules_cluster(r);
	const struct rl_instance_conf *ic = rules_instance(r);
	struct transport_conf conf = {
		.loop = daemon_loop(d),
		.cluster = cc->name,
		.on_event = on_event,
		.on_command = on_command,
	};
	struct wire_addr *seeds = NULL;
	struct keyring keys;
	struct cluster *c;
	size_t nseeds = 0;
	int rc;

	*ret = NULL;
	if (cc->ninstances == 0)
		return 0;
	if (sodium_init() < 0)
		return -ENOSYS;
	rc = setup_keys(cc, &keys);
	if (rc < 0)
		return rc;
	c = xcalloc(1, sizeof(*c));
	c->d = d;
	c->m = xcalloc(cc->ninstances + 1, sizeof(*c->m));
	c->local = SIZE_MAX;
	seeds = xcalloc(cc->ninstances, sizeof(*seeds));
	for (size_t i = 0; i < cc->ninstances; i++) {
		struct member *m = &c->m[c->n++];

		m->name = xstrdup(cc->instances[i].name);
		m->address = xstrdup(cc->instances[i].address);
		if (strcmp(m->name, ic->name) == 0) {
			m->local = true;
			m->known = true;
			m->state = SCHED_INST_RUNNING;
			c->local = i;
			continue;
		}
		if (resolve(cc->instances[i].host, cc->instances[i].port,
			    &seeds[nseeds]) < 0)
			log_warnx("cannot resolve '%s' (instance %s): not "
				  "used to join", m->address, m->name);
		else
			nseeds++;
	}
	if (c->local == SIZE_MAX) {
		struct member *m = &c->m[c->n];

		m->name = xstrdup(ic->name);
		m->address = ic->listen ? xstrdup(ic->listen) : NULL;
		m->local = true;
		m->known = true;
		m->state = SCHED_INST_RUNNING;
		c->local = c->n++;
	}
	conf.keys = &keys;
	conf.ctx = c;
	swim_config_default(&conf.swim);
	swim_config_apply(&conf.swim, &cc->gossip);
	conf.self.name = ic->name;
	rc = ic->state_dir == NULL
		     ? -EINVAL
		     : transport_identity(ic->state_dir, conf.self.id,
					  &conf.self.generation);
	if (rc < 0) {
		errno = -rc;
		log_warn("cannot keep the gossip identity in '%s'",
			 ic->state_dir);
		goto fail;
	}
	if (ic->machine != NULL) {
		conf.self.meta = (const uint8_t *)ic->machine;
		conf.self.meta_len = MIN(strlen(ic->machine), WIRE_META_MAX);
	}
	randombytes_buf(&conf.seed, sizeof(conf.seed));
	rc = resolve(ic->listen_host, ic->listen_port, &conf.listen);
	if (rc == 0 && ic->advertise != NULL) {
		char *host = xstrdup(ic->advertise), *colon = strrchr(host, ':');
		unsigned long port = colon ? strtoul(colon + 1, NULL, 10) : 0;

		if (colon != NULL)
			*colon = '\0';
		if (host[0] == '[') {
			memmove(host, host + 1, strlen(host));
			host[strcspn(host, "]")] = '\0';
		}
		rc = port > 0 && port < 65536
			     ? resolve(host, (uint16_t)port, &conf.self.addr)
			     : -EINVAL;
		free(host);
	} else {
		conf.self.addr = conf.listen;
	}
	if (rc < 0) {
		log_error("cannot resolve instance.listen '%s' or "
			  "instance.advertise", ic->listen);
		goto fail;
	}
	rc = transport_new(&conf, &c->t);
	if (rc == 0)
		c->keyring = cluster_keyring_new(conf.loop, c->t, cc->key_file,
						 &keys);
	keyring_wipe(&keys);
	if (rc < 0) {
		errno = -rc;
		log_warn("cannot open the gossip on '%s'", ic->listen);
		goto fail;
	}
	set_rules_digest(c);
	for (struct proc *p = daemon_first_proc(d); p; p = daemon_next_proc(p))
		if (daemon_proc_listed(p))
			publish(c, p);
	swim_join(transport_swim(c->t), util_now_ms(), seeds, nseeds);
	transport_kick(c->t);
	free(seeds);
	ev_timer_init(&c->timer, on_timer, STATUS_S, STATUS_S);
	ev_timer_start(daemon_loop(d), &c->timer);
	log_info("gossip on '%s' (generation %u): joining through %zu "
		 "instance(s)", ic->listen, conf.self.generation, nseeds);
	*ret = c;
	return 0;
fail:
	keyring_wipe(&keys);
	free(seeds);
	cluster_free(c);
	return rc;
}

struct cluster *
cluster_free(struct cluster *c)
{
	if (c == NULL)
		return NULL;
	ev_timer_stop(daemon_loop(c->d), &c->timer);
	c->keyring = cluster_keyring_free(c->keyring);
	c->t = transport_free(c->t);
	/* answers that will never come: the callers free their context */
	while (c->pending != NULL) {
		struct pending *p = c->pending;

		pending_unlink(p);
		p->fn(p->arg, -ECANCELED, NULL);
		pending_free(p);
	}
	for (size_t i = 0; i < c->n; i++) {
		for (size_t k = 0; k < c->m[i].nprocs; k++)
			rproc_clear(&c->m[i].procs[k]);
		free(c->m[i].procs);
		free(c->m[i].name);
		free(c->m[i].address);
	}
	for (size_t i = 0; i < c->npublished; i++)
		free(c->published[i]);
	free(c->published);
	free(c->m);
	free(c);
	return NULL;
}

void
cluster_set_obs(struct cluster *c, struct ctl_obs *o)
{
	if (c != NULL && o != NULL)
		ctl_obs_set_gossip(o, transport_seal_counters(c->t),
				   swim_counters(transport_swim(c->t)));
}

uint64_t
cluster_proc_changed(struct cluster *c, const struct proc *p)
{
	uint64_t version;

	if (c == NULL || !daemon_proc_listed(p))
		return 0;
	version = publish(c, p);
	transport_kick(c->t);
	return version;
}

void
cluster_view_rebuilt(struct cluster *c)
{
	size_t k = 0;

	if (c == NULL)
		return;
	for (size_t i = 0; i < c->npublished; i++) {
		const struct proc *p = daemon_find_proc(c->d, c->published[i]);

		if (p != NULL && daemon_proc_listed(p)) {
			c->published[k++] = c->published[i];
			continue;
		}
		(void)swim_kv_set(transport_swim(c->t), util_now_ms(),
				  c->published[i], NULL, 0);
		free(c->published[i]);
	}
	c->npublished = k;
	set_rules_digest(c);
	for (struct proc *p = daemon_first_proc(c->d); p;
	     p = daemon_next_proc(p))
		if (daemon_proc_listed(p))
			publish(c, p);
	for (size_t i = 0; i < c->n; i++) {
		struct member *m = &c->m[i];

		if (m->local)
			continue;
		apply_state(c, m);
		if (m->known)
			sync_member(c, m);
		if (m->state == SCHED_INST_RUNNING)
			for (size_t j = 0; j < m->nprocs; j++)
				view_report(c, m, &m->procs[j]);
	}
	transport_kick(c->t);
}

void
cluster_leave(struct cluster *c)
{
	if (c == NULL)
		return;
	swim_leave(transport_swim(c->t), util_now_ms());
	transport_kick(c->t);
}

/* ------------------------------------------------------------ API */

struct cluster_keyring *
cluster_keyring(const struct cluster *c)
{
	return c ? c->keyring : NULL;
}

size_t
cluster_ninstances(const struct cluster *c)
{
	return c ? c->n : 0;
}

bool
cluster_instance_local(const struct cluster *c, size_t i)
{
	return c != NULL && i < c->n && c->m[i].local;
}

cJSON *
cluster_instance_json(const struct cluster *c, size_t i)
{
	const struct member *m = &c->m[i];
	const char *master = daemon_master_name(c->d);
	cJSON *o = cJSON_CreateObject();
	unsigned n = 0;
	bool live = m->state == SCHED_INST_RUNNING ||
		    m->state == SCHED_INST_CHECKED;

	for (size_t k = 0; k < m->nprocs; k++)
		n += m->procs[k].state == SCHED_PROC_RUNNING;
	cJSON_AddStringToObject(o, "name", m->name);
	cJSON_AddStringToObject(o, "address", m->address ? m->address : "");
	cJSON_AddStringToObject(o, "state",
				sched_inst_state_to_string(m->state));
	cJSON_AddBoolToObject(o, "suspect", m->suspect);
	cJSON_AddBoolToObject(o, "master",
			      master != NULL && strcmp(master, m->name) == 0);
	cJSON_AddNumberToObject(o, "load", live ? m->status.load : 0);
	if (live && m->status_known && (m->status.cpu || m->status.mem)) {
		cJSON_AddNumberToObject(o, "cpu_percent",
					m->status.cpu / 10 / 10.0);
		cJSON_AddNumberToObject(o, "mem_percent",
					m->status.mem / 10 / 10.0);
	} else {
		cJSON_AddNullToObject(o, "cpu_percent");
		cJSON_AddNullToObject(o, "mem_percent");
	}
	cJSON_AddNumberToObject(o, "processes", live ? n : 0);
	if (m->machine[0] != '\0')
		cJSON_AddStringToObject(o, "machine", m->machine);
	if (m->state == SCHED_INST_ISOLATED ||
	    (m->state != SCHED_INST_RUNNING && m->reason[0] != '\0'))
		cJSON_AddStringToObject(o, "reason", m->reason);
	return o;
}

void
cluster_counters_json(const struct cluster *c, cJSON *o)
{
	const struct seal_counters *sc;
	const struct transport_counters *tc;
	const struct swim_counters *wc;
	cJSON *g, *drops;
	uint64_t total = 0;

	if (c == NULL)
		return;
	sc = transport_seal_counters(c->t);
	tc = transport_counters(c->t);
	wc = swim_counters(transport_swim(c->t));
	g = cJSON_AddObjectToObject(o, "gossip");
	drops = cJSON_AddObjectToObject(g, "dropped");
	for (int r = 0; r < _SEAL_DROP_MAX; r++) {
		cJSON_AddNumberToObject(drops, seal_drop_to_string(r),
					(double)sc->drops[r]);
		total += sc->drops[r];
	}
	cJSON_AddNumberToObject(g, "dropped_total", (double)total);
	cJSON_AddNumberToObject(g, "datagrams_in", (double)tc->dgrams_in);
	cJSON_AddNumberToObject(g, "datagrams_out", (double)tc->dgrams_out);
	cJSON_AddNumberToObject(g, "opened", (double)sc->opened);
	cJSON_AddNumberToObject(g, "syncs_in", (double)tc->syncs_in);
	cJSON_AddNumberToObject(g, "syncs_out", (double)tc->syncs_out);
	cJSON_AddNumberToObject(g, "probes", (double)wc->probes);
	cJSON_AddNumberToObject(g, "suspicions", (double)wc->suspicions);
	cJSON_AddNumberToObject(g, "refutations", (double)wc->refutations);
	cJSON_AddNumberToObject(g, "deaths", (double)wc->deaths);
	cJSON_AddNumberToObject(g, "health",
				swim_health(transport_swim(c->t)));
}
