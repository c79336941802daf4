/*
 * SWIM + Lifeguard as a pure state machine.  See swim.h for the contract;
 * reference/gossip.md §2-3 for the protocol this follows (memberlist's
 * semantics, with Tarantool's boot generation in the incarnation).
 *
 * Members live in an array of pointers with an open-addressed index on
 * their random ids; self is member 0.  Nothing here is O(n) per packet:
 * probe targets come from a shuffled order, gossip targets are sampled,
 * and only members under suspicion are scanned for timers.
 */
#include "net/swim.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "rules/rules.h"

#define RELAY_MAX 64
#define ACCUSERS_MAX 8
#define BQUEUE_MAX 4096
#define KV_RESERVE 256 /* bytes kept for records when both queues wait */
#define LAG_MS 2000    /* record digests differing that long: pull */
#define OPS_SEEN 64    /* keyring operations remembered against loops */
#define NEVER INT64_MAX

struct kv {
	char *key;
	size_t key_len;
	uint8_t *value;
	size_t value_len;
	uint64_t version;
};

struct suspicion {
	uint64_t inc;
	int64_t start;
	int64_t min;
	int64_t max;
	unsigned k;     /* confirmations that bring the timeout to min */
	unsigned nconf;
	size_t nacc;    /* accusers[0] is the first one */
	uint8_t accusers[ACCUSERS_MAX][WIRE_ID_SIZE];
	int64_t deadline;
};

struct member {
	uint8_t id[WIRE_ID_SIZE];
	char *name;
	struct wire_addr addr;
	uint8_t *meta;
	size_t meta_len;
	enum swim_state state;
	uint64_t inc;
	int64_t since;
	struct wire_status status;
	bool status_known;
	bool rules_mismatch;
	struct suspicion *susp;
	struct kv *kv;
	size_t nkv;
};

struct bcast {
	uint8_t subject[WIRE_ID_SIZE];
	char *key; /* records only */
	size_t key_len;
	uint8_t *msg;
	size_t len;
	unsigned transmits;
	uint64_t order;
};

struct bqueue {
	struct bcast *v;
	size_t n;
	size_t cap;
};

struct relay {
	bool used;
	uint32_t seq;
	uint32_t req_seq;
	struct wire_addr req_addr;
	int64_t nack_at;
};

struct out {
	struct wire_addr to;
	enum wire_type type;
	uint8_t *body;
	size_t len;
	bool join;
};

struct evq_entry {
	struct swim_event ev;
	size_t member; /* name and record pointers resolved when popped */
	size_t kv;
};

struct swim {
	struct swim_config cfg;
	uint64_t rng;
	struct member **m;
	size_t n;
	size_t cap;
	uint32_t *idx;
	size_t idx_cap;
	size_t nlive;
	uint32_t *order;
	size_t norder;
	size_t probe_pos;
	struct {
		bool active;
		bool acked;
		bool indirect_sent;
		size_t target;
		uint32_t seq;
		int64_t start;
		int64_t indirect_at;
		int64_t deadline;
		unsigned nacks;
		unsigned expected_nacks;
	} probe;
	int64_t next_probe;
	int64_t next_gossip;
	int64_t next_sync;
	int64_t next_reconnect;
	int64_t next_join;
	int64_t join_backoff;
	unsigned health;
	uint32_t seq;
	struct bqueue mq; /* membership: first in every packet */
	struct bqueue kq; /* records */
	struct {
		uint8_t origin[WIRE_ID_SIZE];
		uint64_t op_id;
	} ops_seen[OPS_SEEN];
	size_t ops_next;
	uint64_t op_counter;
	uint32_t urgent[8]; /* suspects others accused: probe them next */
	size_t nurgent;
	uint64_t border;
	struct relay relays[RELAY_MAX];
	size_t *susp;
	size_t nsusp;
	size_t susp_cap;
	struct wire_addr *seeds;
	size_t nseeds;
	bool leaving;
	struct wire_status status;
	bool status_dirty;       /* expected load or rules digest changed */
	int64_t next_status_push;
	uint64_t kv_counter;
	uint64_t kv_digest;
	int64_t lag_since; /* NEVER: digests agreed last time */
	int64_t next_lag_sync;
	const struct wire_addr *rx_from; /* source of the packet at hand */
	struct out *outq;
	size_t outn;
	size_t outcap;
	size_t outhead;
	uint8_t *popped; /* body of the last output handed out */
	struct evq_entry *evq;
	size_t evn;
	size_t evcap;
	size_t evhead;
	struct swim_counters c;
};

static const char *const state_names[_SWIM_STATE_MAX] = {
	[SWIM_ALIVE] = "alive",
	[SWIM_SUSPECT] = "suspect",
	[SWIM_DEAD] = "dead",
	[SWIM_LEFT] = "left",
};

static const char *const event_names[_SWIM_EV_MAX] = {
	[SWIM_EV_JOIN] = "join",       [SWIM_EV_ALIVE] = "alive",
	[SWIM_EV_SUSPECT] = "suspect", [SWIM_EV_DEAD] = "dead",
	[SWIM_EV_LEFT] = "left",       [SWIM_EV_UPDATE] = "update",
	[SWIM_EV_STATUS] = "status",   [SWIM_EV_RULES] = "rules",
	[SWIM_EV_KV] = "kv",
	[SWIM_EV_KEYRING] = "keyring",
	[SWIM_EV_KEYRING_ACK] = "keyring-ack",
};

const char *
swim_state_to_string(enum swim_state st)
{
	return (unsigned)st < _SWIM_STATE_MAX ? state_names[st] : NULL;
}

const char *
swim_event_type_to_string(enum swim_event_type t)
{
	return (unsigned)t < _SWIM_EV_MAX ? event_names[t] : NULL;
}

void
swim_config_default(struct swim_config *c)
{
	*c = (struct swim_config){
		.probe_interval_ms = 400,
		.probe_timeout_ms = 200,
		.indirect_checks = 3,
		.suspicion_mult = 4,
		.suspicion_max_mult = 6,
		.retransmit_mult = 4,
		.gossip_interval_ms = 100,
		.gossip_nodes = 3,
		.sync_interval_ms = 30000,
		.awareness_max = 8,
		.gossip_to_dead_ms = 30000,
		.reconnect_interval_ms = 10000,
		.tombstone_ms = 24 * 3600 * 1000LL,
		.join_retry_ms = 1000,
		.packet_max = WIRE_BODY_MAX,
	};
}

void
swim_config_apply(struct swim_config *c, const struct rl_gossip *g)
{
	if (g->probe_interval_ms > 0)
		c->probe_interval_ms = g->probe_interval_ms;
	if (g->probe_timeout_ms > 0)
		c->probe_timeout_ms = g->probe_timeout_ms;
	if (g->indirect_checks > 0)
		c->indirect_checks = g->indirect_checks;
	if (g->suspicion_mult > 0)
		c->suspicion_mult = g->suspicion_mult;
	if (g->retransmit_mult > 0)
		c->retransmit_mult = g->retransmit_mult;
	if (g->gossip_interval_ms > 0)
		c->gossip_interval_ms = g->gossip_interval_ms;
	if (g->gossip_nodes > 0)
		c->gossip_nodes = g->gossip_nodes;
	if (g->sync_interval_ms > 0)
		c->sync_interval_ms = g->sync_interval_ms;
}

/* ------------------------------------------------------------ helpers */

static uint64_t
rnd(struct swim *s)
{
	/* splitmix64: tiny, seedable, good enough for target choice */
	uint64_t z = (s->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static size_t
rnd_below(struct swim *s, size_t n)
{
	return n ? (size_t)(rnd(s) % n) : 0;
}

/* T +- 25 %: periodic exchanges of many instances must not fall into
 * step (they all start together after a power cut, for one). */
static int64_t
jitter(struct swim *s, int64_t t)
{
	return t * 3 / 4 + (int64_t)rnd_below(s, (size_t)(t / 2) + 1);
}

static struct member *
self(const struct swim *s)
{
	return s->m[0];
}

static bool
is_live(const struct member *m)
{
	return m->state == SWIM_ALIVE || m->state == SWIM_SUSPECT;
}

static size_t
slot_of(const uint8_t id[WIRE_ID_SIZE], size_t cap)
{
	uint64_t h;

	memcpy(&h, id, sizeof(h));
	h ^= h >> 31;
	h *= 0x9e3779b97f4a7c15ull;
	return (size_t)(h >> 17) & (cap - 1);
}

static void
index_rebuild(struct swim *s)
{
	size_t i, j;

	free(s->idx);
	s->idx_cap = 16;
	while (s->idx_cap < 2 * s->cap)
		s->idx_cap *= 2;
	s->idx = xmalloc(s->idx_cap * sizeof(*s->idx));
	memset(s->idx, 0xff, s->idx_cap * sizeof(*s->idx));
	for (i = 0; i < s->n; i++) {
		for (j = slot_of(s->m[i]->id, s->idx_cap);
		     s->idx[j] != UINT32_MAX; j = (j + 1) & (s->idx_cap - 1))
			;
		s->idx[j] = (uint32_t)i;
	}
}

static struct member *
find(const struct swim *s, const uint8_t id[WIRE_ID_SIZE], size_t *ret_i)
{
	size_t j;

	for (j = slot_of(id, s->idx_cap); s->idx[j] != UINT32_MAX;
	     j = (j + 1) & (s->idx_cap - 1)) {
		struct member *m = s->m[s->idx[j]];

		if (memcmp(m->id, id, WIRE_ID_SIZE) == 0) {
			if (ret_i)
				*ret_i = s->idx[j];
			return m;
		}
	}
	return NULL;
}

int
swim_find(const struct swim *s, const uint8_t id[WIRE_ID_SIZE])
{
	size_t i;

	return find(s, id, &i) ? (int)i : -ENOENT;
}

static uint64_t
log10_ceil(size_t n)
{
	return (uint64_t)ceil(log10((double)n + 1.0));
}

/* lambda * ceil(log10(n + 1)), at least 2 * lambda: below 10 members
 * memberlist's 4 sends each leave a member without an update one time in
 * six (e^-4 per member); 8 make it rare. */
static unsigned
retransmit_limit(const struct swim *s)
{
	return s->cfg.retransmit_mult * (unsigned)MAX(log10_ceil(s->nlive), 2);
}

static int64_t
scaled(const struct swim *s, int64_t t)
{
	return t * (int64_t)(s->health + 1);
}

static void
health_add(struct swim *s, int d)
{
	int h = (int)s->health + d;

	s->health = (unsigned)MAX(0, MIN(h, (int)s->cfg.awareness_max));
}

/* ------------------------------------------------------------ queues */

static void
emit(struct swim *s, enum swim_event_type type, size_t mi, size_t kvi)
{
	struct evq_entry *e;
	struct member *m = s->m[mi];

	if (s->evn == s->evcap) {
		s->evcap = MAX(16, 2 * s->evcap);
		s->evq = xreallocarray(s->evq, s->evcap, sizeof(*s->evq));
	}
	e = &s->evq[s->evn++];
	memset(e, 0, sizeof(*e));
	e->ev.type = type;
	memcpy(e->ev.id, m->id, WIRE_ID_SIZE);
	e->ev.state = m->state;
	e->ev.incarnation = m->inc;
	e->ev.rules_mismatch = m->rules_mismatch;
	e->member = mi;
	e->kv = kvi;
	if (type == SWIM_EV_KV)
		e->ev.version = m->kv[kvi].version;
}

bool
swim_next_event(struct swim *s, struct swim_event *ret)
{
	struct evq_entry *e;
	struct member *m;

	if (s->evhead == s->evn) {
		s->evhead = s->evn = 0;
		return false;
	}
	e = &s->evq[s->evhead++];
	*ret = e->ev;
	memset(e->ev.secret, 0, sizeof(e->ev.secret)); /* one copy only */
	if (e->member < s->n) {
		m = s->m[e->member];
		ret->name = m->name;
		if (e->ev.type == SWIM_EV_KV && e->kv < m->nkv) {
			ret->key = m->kv[e->kv].key;
			ret->key_len = m->kv[e->kv].key_len;
			ret->value = m->kv[e->kv].value;
			ret->value_len = m->kv[e->kv].value_len;
		}
	}
	return true;
}

static void
out_push(struct swim *s, const struct wire_addr *to, enum wire_type type,
	 const uint8_t *body, size_t len, bool join)
{
	struct out *o;

	if (s->outn == s->outcap) {
		s->outcap = MAX(16, 2 * s->outcap);
		s->outq = xreallocarray(s->outq, s->outcap, sizeof(*s->outq));
	}
	o = &s->outq[s->outn++];
	o->to = *to;
	o->type = type;
	o->body = xmalloc(len ? len : 1);
	memcpy(o->body, body, len);
	o->len = len;
	o->join = join;
}

bool
swim_next_output(struct swim *s, struct swim_output *ret)
{
	struct out *o;

	free(s->popped);
	s->popped = NULL;
	if (s->outhead == s->outn) {
		s->outhead = s->outn = 0;
		return false;
	}
	o = &s->outq[s->outhead++];
	s->popped = o->body;
	*ret = (struct swim_output){.to = o->to, .type = o->type,
				    .body = o->body, .len = o->len,
				    .join = o->join};
	return true;
}

/* LEN bytes and a NUL, even if the bytes hold one (the decoder refuses
 * that; this keeps lengths and buffers in step regardless). */
static char *
dup_str(const char *p, size_t len)
{
	char *d = xmalloc(len + 1);

	if (len)
		memcpy(d, p, len);
	d[len] = '\0';
	return d;
}

static void
bcast_free(struct bcast *b)
{
	free(b->key);
	free(b->msg);
}

static void
bq_remove(struct bqueue *q, size_t i)
{
	bcast_free(&q->v[i]);
	q->v[i] = q->v[--q->n];
}

/* Queues MSG, replacing what was queued about the same subject (and key):
 * only the newest news about anything is worth sending. */
static void
bq_add(struct swim *s, struct bqueue *q, const struct wire_msg *msg)
{
	bool kv = msg->type == WIRE_M_KV;
	struct bcast b = {0};
	struct wwriter w;
	size_t i;

	/* keyring operations of one origin are distinct news */
	for (i = 0; i < q->n && msg->type != WIRE_M_KEYRING; i++)
		if (memcmp(q->v[i].subject, msg->node, WIRE_ID_SIZE) == 0 &&
		    (!kv || (q->v[i].key_len == msg->key_len &&
			     memcmp(q->v[i].key, msg->key, msg->key_len) ==
				     0))) {
			bq_remove(q, i);
			break;
		}
	if (q->n == BQUEUE_MAX) {
		/* the most transmitted goes */
		size_t worst = 0;

		for (i = 1; i < q->n; i++)
			if (q->v[i].transmits > q->v[worst].transmits)
				worst = i;
		bq_remove(q, worst);
		s->c.broadcasts_dropped++;
	}
	memcpy(b.subject, msg->node, WIRE_ID_SIZE);
	if (kv) {
		b.key = dup_str(msg->key, msg->key_len);
		b.key_len = msg->key_len;
	}
	b.len = wire_msg_size(msg);
	b.msg = xmalloc(b.len);
	ww_init(&w, b.msg, b.len);
	wire_msg_put(&w, msg);
	b.order = ++s->border;
	if (q->n == q->cap) {
		q->cap = MAX(16, 2 * q->cap);
		q->v = xreallocarray(q->v, q->cap, sizeof(*q->v));
	}
	q->v[q->n++] = b;
}

static int
cmp_bcast(const void *a, const void *b)
{
	const struct bcast *x = a, *y = b;

	if (x->transmits != y->transmits)
		return x->transmits < y->transmits ? -1 : 1;
	return (x->order < y->order) - (x->order > y->order);
}

/* Piggybacks queued broadcasts, least sent first, newest first. */
static void
bq_fill(struct swim *s, struct bqueue *q, struct wwriter *w, size_t *nmsg,
	size_t reserve)
{
	/* Records get lambda more sends than membership news: a member that
	 * misses a suspicion is told again by the next probe, while a missed
	 * record waits for the digest check or a push-pull. */
	unsigned limit = retransmit_limit(s) +
			 (q == &s->kq ? s->cfg.retransmit_mult : 0);
	size_t i;

	if (q->n == 0)
		return;
	qsort(q->v, q->n, sizeof(*q->v), cmp_bcast);
	for (i = 0; i < q->n && *nmsg < WIRE_MSGS_MAX;) {
		struct bcast *b = &q->v[i];

		if (w->len + b->len + reserve > w->cap) {
			i++;
			continue;
		}
		ww_bytes(w, b->msg, b->len);
		(*nmsg)++;
		s->c.sent_msgs[b->msg[0] < _WIRE_M_MAX ? b->msg[0] : 0]++;
		if (++b->transmits >= limit) {
			bcast_free(b);
			memmove(b, b + 1, (q->n - i - 1) * sizeof(*b));
			q->n--;
		} else {
			i++;
		}
	}
}

/* ------------------------------------------------------------ packets */

struct pkt {
	uint8_t buf[WIRE_BODY_MAX];
	struct wwriter w;
	size_t nmsg;
};

static void
pkt_begin(struct swim *s, struct pkt *p)
{
	ww_init(&p->w, p->buf, MIN(s->cfg.packet_max, sizeof(p->buf)));
	p->nmsg = 0;
	s->status.kv_version = s->kv_counter;
	s->status.kv_digest = s->kv_digest;
	wire_status_put(&p->w, &s->status);
}

static void
pkt_msg(struct swim *s, struct pkt *p, const struct wire_msg *m)
{
	if (p->nmsg < WIRE_MSGS_MAX && wire_msg_put(&p->w, m) == 0) {
		p->nmsg++;
		s->c.sent_msgs[m->type]++;
	}
}

static void
pkt_send(struct swim *s, struct pkt *p, const struct wire_addr *to)
{
	bq_fill(s, &s->mq, &p->w, &p->nmsg, s->kq.n ? KV_RESERVE : 0);
	bq_fill(s, &s->kq, &p->w, &p->nmsg, 0);
	out_push(s, to, WIRE_T_GOSSIP, p->buf, p->w.len, false);
}

static void
msg_alive(const struct member *m, struct wire_msg *w)
{
	memset(w, 0, sizeof(*w));
	w->type = WIRE_M_ALIVE;
	memcpy(w->node, m->id, WIRE_ID_SIZE);
	w->incarnation = m->inc;
	w->addr = m->addr;
	w->name = m->name;
	w->name_len = strlen(m->name);
	w->meta = m->meta;
	w->meta_len = m->meta_len;
}

static void
msg_accuse(enum wire_msg_type type, const struct member *m,
	   const uint8_t from[WIRE_ID_SIZE], uint64_t inc, struct wire_msg *w)
{
	memset(w, 0, sizeof(*w));
	w->type = type;
	memcpy(w->node, m->id, WIRE_ID_SIZE);
	memcpy(w->from, from, WIRE_ID_SIZE);
	w->incarnation = inc;
}

static void
broadcast_alive(struct swim *s, const struct member *m)
{
	struct wire_msg w;

	msg_alive(m, &w);
	bq_add(s, &s->mq, &w);
}

static void
broadcast_accuse(struct swim *s, enum wire_msg_type type,
		 const struct member *m, const uint8_t from[WIRE_ID_SIZE],
		 uint64_t inc)
{
	struct wire_msg w;

	msg_accuse(type, m, from, inc, &w);
	bq_add(s, &s->mq, &w);
}

/* ------------------------------------------------------------ members */

static void
set_state(struct swim *s, struct member *m, enum swim_state st, int64_t now)
{
	bool was = is_live(m);

	m->state = st;
	m->since = now;
	if (was && !is_live(m))
		s->nlive--;
	else if (!was && is_live(m))
		s->nlive++;
}

static void
susp_drop(struct swim *s, size_t mi)
{
	struct member *m = s->m[mi];
	size_t i;

	if (m->susp == NULL)
		return;
	free(m->susp);
	m->susp = NULL;
	for (i = 0; i < s->nsusp; i++)
		if (s->susp[i] == mi) {
			s->susp[i] = s->susp[--s->nsusp];
			break;
		}
}

static void
order_insert(struct swim *s, size_t mi)
{
	size_t j;

	s->order = xreallocarray(s->order, s->norder + 1, sizeof(*s->order));
	s->order[s->norder] = (uint32_t)mi;
	/* a random slot, so that joiners are not all probed last */
	j = rnd_below(s, s->norder + 1);
	s->order[s->norder] = s->order[j];
	s->order[j] = (uint32_t)mi;
	s->norder++;
}

static void
order_shuffle(struct swim *s)
{
	size_t i, j;
	uint32_t t;

	for (i = s->norder; i > 1; i--) {
		j = rnd_below(s, i);
		t = s->order[i - 1];
		s->order[i - 1] = s->order[j];
		s->order[j] = t;
	}
	s->probe_pos = 0;
}

static size_t
member_add(struct swim *s, const uint8_t id[WIRE_ID_SIZE], int64_t now)
{
	struct member *m = xcalloc(1, sizeof(*m));
	size_t mi = s->n;

	memcpy(m->id, id, WIRE_ID_SIZE);
	m->name = xstrdup("");
	m->state = SWIM_DEAD; /* set_state() makes it live */
	m->since = now;
	if (s->n == s->cap) {
		s->cap = MAX(16, 2 * s->cap);
		s->m = xreallocarray(s->m, s->cap, sizeof(*s->m));
		s->m[s->n++] = m;
		index_rebuild(s);
	} else {
		size_t j;

		s->m[s->n++] = m;
		for (j = slot_of(id, s->idx_cap); s->idx[j] != UINT32_MAX;
		     j = (j + 1) & (s->idx_cap - 1))
			;
		s->idx[j] = (uint32_t)mi;
	}
	if (mi != 0)
		order_insert(s, mi);
	return mi;
}

static void
member_free(struct member *m)
{
	size_t i;

	for (i = 0; i < m->nkv; i++) {
		free(m->kv[i].key);
		free(m->kv[i].value);
	}
	free(m->kv);
	free(m->susp);
	free(m->name);
	free(m->meta);
	free(m);
}

static bool
set_bytes(uint8_t **dst, size_t *dst_len, const uint8_t *src, size_t len)
{
	if (*dst_len == len && (len == 0 || memcmp(*dst, src, len) == 0))
		return false;
	free(*dst);
	*dst = len ? xmalloc(len) : NULL;
	if (len)
		memcpy(*dst, src, len);
	*dst_len = len;
	return true;
}

static void
set_status(struct swim *s, size_t mi, const struct wire_status *st)
{
	struct member *m = s->m[mi];
	bool mismatch = memcmp(st->rules, self(s)->status.rules,
			       WIRE_RULES_DIGEST_SIZE) != 0;
	bool changed = !m->status_known || m->status.load != st->load ||
		       m->status.cpu != st->cpu || m->status.mem != st->mem ||
		       m->status.kv_version != st->kv_version ||
		       memcmp(m->status.rules, st->rules,
			      WIRE_RULES_DIGEST_SIZE) != 0;

	m->status = *st;
	if (changed)
		emit(s, SWIM_EV_STATUS, mi, 0);
	if (mismatch != m->rules_mismatch || (!m->status_known && mismatch)) {
		m->rules_mismatch = mismatch;
		emit(s, SWIM_EV_RULES, mi, 0);
	}
	m->status_known = true;
}

/* ------------------------------------------------------------ handlers */

static void stale_about_self(struct swim *s);

static void
refute(struct swim *s, uint64_t accused_inc, int64_t now)
{
	struct member *me = self(s);

	if (s->leaving)
		return;
	me->inc = MAX(me->inc, accused_inc) + 1;
	health_add(s, 1);
	s->c.refutations++;
	broadcast_alive(s, me);
	/* and straight back to whoever told us, who is likely to hold us
	 * suspect itself */
	stale_about_self(s);
}

/* ANNOUNCE false: a member learned from a push-pull, which the rest of
 * the cluster knows already; only changes are worth gossiping then. */
static void
on_alive(struct swim *s, const struct wire_msg *a, int64_t now, bool announce)
{
	struct member *m;
	size_t mi;
	bool changed, isnew = false;

	m = find(s, a->node, &mi);
	if (mi == 0 && m) {
		if (a->incarnation > m->inc)
			refute(s, a->incarnation, now);
		return;
	}
	if (m == NULL) {
		if (a->addr.family == 0)
			return;
		mi = member_add(s, a->node, now);
		m = s->m[mi];
		isnew = true;
	} else if (a->incarnation <= m->inc) {
		s->c.ignored++;
		return;
	}
	m->inc = a->incarnation;
	changed = !wire_addr_eq(&m->addr, &a->addr) ||
		  strlen(m->name) != a->name_len ||
		  (a->name_len && memcmp(m->name, a->name, a->name_len) != 0);
	m->addr = a->addr;
	if (changed) {
		free(m->name);
		m->name = dup_str(a->name, a->name_len);
	}
	changed |= set_bytes(&m->meta, &m->meta_len, a->meta, a->meta_len);
	susp_drop(s, mi);
	if (announce || !isnew)
		broadcast_alive(s, m);
	if (isnew) {
		set_state(s, m, SWIM_ALIVE, now);
		emit(s, SWIM_EV_JOIN, mi, 0);
	} else if (m->state != SWIM_ALIVE) {
		set_state(s, m, SWIM_ALIVE, now);
		emit(s, SWIM_EV_ALIVE, mi, 0);
	} else if (changed) {
		emit(s, SWIM_EV_UPDATE, mi, 0);
	}
}

static void
susp_set_deadline(struct suspicion *sp)
{
	int64_t t = sp->min;

	if (sp->k > 0 && sp->nconf < sp->k) {
		double frac = log(sp->nconf + 1.0) / log(sp->k + 1.0);

		t = sp->max - (int64_t)((double)(sp->max - sp->min) * frac);
		t = MAX(t, sp->min);
	}
	sp->deadline = sp->start + t;
}

/* An accusation about us older than our incarnation: its sender missed
 * our refutation, and gossip about it may have died out already, so we
 * tell it directly (memberlist leaves it to push-pull). */
static void
stale_about_self(struct swim *s)
{
	struct wire_msg w;
	struct pkt p;

	if (s->rx_from == NULL || s->leaving)
		return;
	msg_alive(self(s), &w);
	pkt_begin(s, &p);
	pkt_msg(s, &p, &w);
	out_push(s, s->rx_from, WIRE_T_GOSSIP, p.buf, p.w.len, false);
}

static void
on_suspect(struct swim *s, const struct wire_msg *a, int64_t now)
{
	struct suspicion *sp;
	struct member *m;
	size_t mi, i;

	m = find(s, a->node, &mi);
	if (m && mi == 0 && a->incarnation < m->inc) {
		stale_about_self(s);
		return;
	}
	if (m == NULL || a->incarnation < m->inc || !is_live(m)) {
		s->c.ignored++;
		return;
	}
	if (mi == 0) {
		refute(s, a->incarnation, now);
		return;
	}
	if (m->state == SWIM_SUSPECT) {
		sp = m->susp;
		if (sp == NULL || sp->nacc == ACCUSERS_MAX)
			return;
		for (i = 0; i < sp->nacc; i++)
			if (memcmp(sp->accusers[i], a->from, WIRE_ID_SIZE) == 0)
				return;
		memcpy(sp->accusers[sp->nacc++], a->from, WIRE_ID_SIZE);
		if (sp->nconf < sp->k) {
			sp->nconf++;
			s->c.confirmations++;
			susp_set_deadline(sp);
		}
		/* Each new accuser is repeated (memberlist does), even past K:
		 * the accused learns of its suspicion sooner, which halves
		 * false deaths at 20 % loss in the simulator. */
		broadcast_accuse(s, WIRE_M_SUSPECT, m, a->from, a->incarnation);
		return;
	}
	sp = xcalloc(1, sizeof(*sp));
	sp->inc = a->incarnation;
	sp->start = now;
	sp->min = (int64_t)((double)s->cfg.suspicion_mult *
			    MAX(1.0, log10((double)s->nlive)) *
			    (double)s->cfg.probe_interval_ms);
	sp->max = (int64_t)s->cfg.suspicion_max_mult * sp->min;
	sp->k = s->cfg.suspicion_mult > 2 ? s->cfg.suspicion_mult - 2 : 0;
	if (s->nlive < sp->k + 2)
		sp->k = 0;
	memcpy(sp->accusers[0], a->from, WIRE_ID_SIZE);
	sp->nacc = 1;
	susp_set_deadline(sp);
	m->susp = sp;
	m->inc = a->incarnation;
	if (s->nsusp == s->susp_cap) {
		s->susp_cap = MAX(8, 2 * s->susp_cap);
		s->susp = xreallocarray(s->susp, s->susp_cap, sizeof(*s->susp));
	}
	s->susp[s->nsusp++] = mi;
	/* Someone else's accusation: probe the suspect ourselves next.  Our
	 * verdict is an independent confirmation if it is gone, and our ping
	 * carries the suspicion to it (buddy system) if it is not. */
	if (memcmp(a->from, self(s)->id, WIRE_ID_SIZE) != 0 &&
	    s->nurgent < ARRAY_SIZE(s->urgent))
		s->urgent[s->nurgent++] = (uint32_t)mi;
	set_state(s, m, SWIM_SUSPECT, now);
	broadcast_accuse(s, WIRE_M_SUSPECT, m, a->from, a->incarnation);
	emit(s, SWIM_EV_SUSPECT, mi, 0);
}

static void
on_dead(struct swim *s, const struct wire_msg *a, int64_t now)
{
	struct member *m;
	size_t mi;
	bool left = memcmp(a->node, a->from, WIRE_ID_SIZE) == 0;

	m = find(s, a->node, &mi);
	if (m && mi == 0 && a->incarnation < m->inc && !left) {
		stale_about_self(s);
		return;
	}
	if (m == NULL || a->incarnation < m->inc || !is_live(m)) {
		s->c.ignored++;
		return;
	}
	if (mi == 0) {
		if (!s->leaving)
			refute(s, a->incarnation, now);
		return;
	}
	susp_drop(s, mi);
	m->inc = a->incarnation;
	set_state(s, m, left ? SWIM_LEFT : SWIM_DEAD, now);
	broadcast_accuse(s, WIRE_M_DEAD, m, a->from, a->incarnation);
	emit(s, left ? SWIM_EV_LEFT : SWIM_EV_DEAD, mi, 0);
}

/* Our own verdict on a silent member. */
static void
suspect_from_self(struct swim *s, size_t mi, int64_t now)
{
	struct member *m = s->m[mi];
	struct wire_msg a;

	msg_accuse(WIRE_M_SUSPECT, m, self(s)->id, m->inc, &a);
	if (m->state == SWIM_ALIVE)
		s->c.suspicions++;
	on_suspect(s, &a, now);
}

/* The record digest is the XOR of one hash per (owner, key, version)
 * held, so that it follows every change in O(1) and two instances that
 * hold the same records agree on it whatever the order they got them. */
static uint64_t
kv_hash(const uint8_t owner[WIRE_ID_SIZE], const char *key, size_t len,
	uint64_t version)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < WIRE_ID_SIZE; i++)
		h = (h ^ owner[i]) * 0x100000001b3ull;
	for (i = 0; i < len; i++)
		h = (h ^ (uint8_t)key[i]) * 0x100000001b3ull;
	h ^= version;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

static struct kv *
kv_find(const struct member *m, const char *key, size_t len, size_t *ret_i)
{
	size_t i;

	for (i = 0; i < m->nkv; i++)
		if (m->kv[i].key_len == len &&
		    memcmp(m->kv[i].key, key, len) == 0) {
			if (ret_i)
				*ret_i = i;
			return &m->kv[i];
		}
	return NULL;
}

/* Stores a record if newer; true if it was. */
static bool
kv_store(struct swim *s, size_t mi, const char *key, size_t key_len,
	 const uint8_t *value, size_t value_len, uint64_t version)
{
	struct member *m = s->m[mi];
	size_t i = 0;
	struct kv *kv = kv_find(m, key, key_len, &i);

	if (kv && kv->version >= version)
		return false;
	if (kv)
		s->kv_digest ^= kv_hash(m->id, key, key_len, kv->version);
	s->kv_digest ^= kv_hash(m->id, key, key_len, version);
	if (kv == NULL) {
		m->kv = xreallocarray(m->kv, m->nkv + 1, sizeof(*m->kv));
		i = m->nkv++;
		kv = &m->kv[i];
		memset(kv, 0, sizeof(*kv));
		kv->key = dup_str(key, key_len);
		kv->key_len = key_len;
	}
	set_bytes(&kv->value, &kv->value_len, value, value_len);
	kv->version = version;
	if (mi != 0)
		emit(s, SWIM_EV_KV, mi, i);
	return true;
}

static void
on_kv(struct swim *s, const struct wire_msg *a)
{
	size_t mi;

	if (find(s, a->node, &mi) == NULL || mi == 0) {
		s->c.ignored++;
		return;
	}
	if (kv_store(s, mi, a->key, a->key_len, a->value, a->value_len,
		     a->version))
		bq_add(s, &s->kq, a);
}

static void
send_ack(struct swim *s, uint32_t seq, const struct wire_addr *to,
	 const struct member *sender)
{
	struct wire_msg w = {.type = WIRE_M_ACK, .seq = seq};
	struct pkt p;

	pkt_begin(s, &p);
	pkt_msg(s, &p, &w);
	/* fast refutation: tell a prober we think is gone */
	if (sender && sender->state == SWIM_SUSPECT) {
		msg_accuse(WIRE_M_SUSPECT, sender, self(s)->id, sender->inc,
			   &w);
		pkt_msg(s, &p, &w);
	} else if (sender && sender->state == SWIM_DEAD) {
		msg_accuse(WIRE_M_DEAD, sender, self(s)->id, sender->inc, &w);
		pkt_msg(s, &p, &w);
	}
	pkt_send(s, &p, to);
}

static void
send_ping(struct swim *s, uint32_t seq, const struct member *target,
	  const struct wire_addr *to)
{
	struct wire_msg w = {.type = WIRE_M_PING, .seq = seq};
	struct pkt p;

	memcpy(w.node, target->id, WIRE_ID_SIZE);
	pkt_begin(s, &p);
	pkt_msg(s, &p, &w);
	/* buddy system: a suspect hears it at the first contact */
	if (target->state == SWIM_SUSPECT) {
		msg_accuse(WIRE_M_SUSPECT, target, self(s)->id, target->inc,
			   &w);
		pkt_msg(s, &p, &w);
	}
	pkt_send(s, &p, to);
}

static void
on_ping_req(struct swim *s, const struct wire_msg *a,
	    const struct wire_addr *from, int64_t now)
{
	struct member *target;
	struct relay *r = NULL;
	int64_t wait;
	size_t i;

	target = find(s, a->node, NULL);
	for (i = 0; i < RELAY_MAX && r == NULL; i++)
		if (!s->relays[i].used)
			r = &s->relays[i];
	if (target == NULL || target == self(s) || r == NULL) {
		s->c.ignored++;
		return;
	}
	/* nack before the requester's deadline so that it can count it */
	wait = MIN(s->cfg.probe_timeout_ms,
		   (s->cfg.probe_interval_ms - s->cfg.probe_timeout_ms) * 4 /
			   5);
	*r = (struct relay){.used = true, .seq = ++s->seq, .req_seq = a->seq,
			    .req_addr = *from, .nack_at = now + MAX(wait, 1)};
	send_ping(s, r->seq, target, &a->addr);
}

static void
on_ack(struct swim *s, const struct wire_msg *a, int64_t now)
{
	size_t i;

	if (s->probe.active && a->seq == s->probe.seq && !s->probe.acked) {
		s->probe.acked = true;
		s->probe.active = false;
		health_add(s, -1);
		s->next_probe = s->probe.start +
				scaled(s, s->cfg.probe_interval_ms);
		return;
	}
	for (i = 0; i < RELAY_MAX; i++) {
		struct relay *r = &s->relays[i];

		if (r->used && r->seq == a->seq) {
			struct wire_msg w = {.type = WIRE_M_ACK,
					     .seq = r->req_seq};
			struct pkt p;

			r->used = false;
			pkt_begin(s, &p);
			pkt_msg(s, &p, &w);
			pkt_send(s, &p, &r->req_addr);
			return;
		}
	}
}

static void sync_to(struct swim *s, const struct wire_addr *to, bool join);
static int64_t sync_interval(const struct swim *s);

/* true the first time (ORIGIN, OP_ID) is seen */
static bool
op_first(struct swim *s, const uint8_t origin[WIRE_ID_SIZE], uint64_t op_id)
{
	size_t i;

	for (i = 0; i < OPS_SEEN; i++)
		if (s->ops_seen[i].op_id == op_id &&
		    memcmp(s->ops_seen[i].origin, origin, WIRE_ID_SIZE) == 0)
			return false;
	memcpy(s->ops_seen[s->ops_next].origin, origin, WIRE_ID_SIZE);
	s->ops_seen[s->ops_next].op_id = op_id;
	s->ops_next = (s->ops_next + 1) % OPS_SEEN;
	return true;
}

static void
on_keyring(struct swim *s, const struct wire_msg *a)
{
	struct evq_entry *e;
	size_t mi;

	if (a->op_id == 0 || !op_first(s, a->node, a->op_id))
		return;
	bq_add(s, &s->mq, a);
	if (find(s, a->node, &mi) == NULL || mi == 0) {
		s->c.ignored++;
		return;
	}
	emit(s, SWIM_EV_KEYRING, mi, 0);
	e = &s->evq[s->evn - 1];
	e->ev.op_id = a->op_id;
	e->ev.op = a->op;
	memcpy(e->ev.secret, a->secret, WIRE_KEY_SIZE);
}

static void
on_keyring_ack(struct swim *s, const struct wire_msg *a,
	       const uint8_t sender[WIRE_ID_SIZE])
{
	struct evq_entry *e;
	size_t mi;

	if (memcmp(a->node, self(s)->id, WIRE_ID_SIZE) != 0 ||
	    find(s, sender, &mi) == NULL || mi == 0) {
		s->c.ignored++;
		return;
	}
	emit(s, SWIM_EV_KEYRING_ACK, mi, 0);
	e = &s->evq[s->evn - 1];
	e->ev.op_id = a->op_id;
	e->ev.result = a->result;
	e->ev.nfp = a->nfp;
	memcpy(e->ev.fp, a->fp, sizeof(e->ev.fp));
}

uint64_t
swim_keyring_send(struct swim *s, int64_t now, unsigned op,
		  const uint8_t key[WIRE_KEY_SIZE])
{
	struct wire_msg w = {.type = WIRE_M_KEYRING, .op = (uint8_t)op};

	memcpy(w.node, self(s)->id, WIRE_ID_SIZE);
	/* unique per origin across restarts, never 0 */
	w.op_id = (self(s)->inc & 0xffffffff00000000ull) | ++s->op_counter;
	memcpy(w.secret, key, WIRE_KEY_SIZE);
	op_first(s, w.node, w.op_id);
	bq_add(s, &s->mq, &w);
	memset(w.secret, 0, sizeof(w.secret));
	return w.op_id;
}

int
swim_keyring_ack(struct swim *s, const uint8_t origin[WIRE_ID_SIZE],
		 uint64_t op_id, int result, const uint8_t fp[][WIRE_FP_SIZE],
		 size_t nfp)
{
	struct wire_msg w = {.type = WIRE_M_KEYRING_ACK, .op_id = op_id,
			     .result = result, .nfp = nfp};
	const struct member *m = find(s, origin, NULL);
	struct pkt p;

	if (nfp > WIRE_FPS_MAX)
		return -EINVAL;
	if (m == NULL || m == self(s))
		return -ENOENT;
	memcpy(w.node, origin, WIRE_ID_SIZE);
	if (nfp)
		memcpy(w.fp, fp, nfp * WIRE_FP_SIZE);
	pkt_begin(s, &p);
	pkt_msg(s, &p, &w);
	pkt_send(s, &p, &m->addr);
	return 0;
}

/* Anti-entropy on demand: records are gossiped a bounded number of times,
 * so an instance can miss one (rarely: e^-(sends per member)).  When the
 * record digests of the packets we get keep differing from ours longer
 * than an update takes to spread, one side missed something: a push-pull
 * with that sender repairs both, at most every third of a sync interval. */
static void
lag_check(struct swim *s, int64_t now, const struct wire_status *st,
	  const struct wire_addr *from)
{
	if (st->kv_digest == s->kv_digest) {
		s->lag_since = NEVER;
		return;
	}
	if (s->lag_since == NEVER) {
		s->lag_since = now;
		return;
	}
	if (now - s->lag_since >= LAG_MS && now >= s->next_lag_sync &&
	    !s->leaving) {
		s->lag_since = NEVER;
		s->next_lag_sync = now + sync_interval(s) / 3;
		s->c.lag_syncs++;
		sync_to(s, from, false);
	}
}

void
swim_recv(struct swim *s, int64_t now, const uint8_t sender[WIRE_ID_SIZE],
	  const struct wire_addr *from, const struct wire_packet *p)
{
	struct member *snd;
	size_t i, si = 0;
	bool pinged = false;

	snd = find(s, sender, &si);
	if (snd && si != 0)
		set_status(s, si, &p->status);
	lag_check(s, now, &p->status, from);
	s->rx_from = from;
	for (i = 0; i < p->nmsg; i++) {
		const struct wire_msg *a = &p->msg[i];

		s->c.recv_msgs[a->type]++;
		switch (a->type) {
		case WIRE_M_PING:
			if (memcmp(a->node, self(s)->id, WIRE_ID_SIZE) == 0 &&
			    !s->leaving) {
				send_ack(s, a->seq, from, snd);
				pinged = true;
			} else
				s->c.ignored++;
			break;
		case WIRE_M_PING_REQ:
			if (!s->leaving)
				on_ping_req(s, a, from, now);
			break;
		case WIRE_M_ACK:
			on_ack(s, a, now);
			break;
		case WIRE_M_NACK:
			if (s->probe.active && a->seq == s->probe.seq)
				s->probe.nacks++;
			break;
		case WIRE_M_ALIVE:
			on_alive(s, a, now, true);
			break;
		case WIRE_M_SUSPECT:
			on_suspect(s, a, now);
			break;
		case WIRE_M_DEAD:
			on_dead(s, a, now);
			break;
		case WIRE_M_KV:
			on_kv(s, a);
			break;
		case WIRE_M_KEYRING:
			on_keyring(s, a);
			break;
		case WIRE_M_KEYRING_ACK:
			on_keyring_ack(s, a, sender);
			break;
		default:
			s->c.ignored++;
			break;
		}
		/* the sender may have been added by its own alive */
		if (snd == NULL && (snd = find(s, sender, &si)) && si != 0)
			set_status(s, si, &p->status);
	}
	s->rx_from = NULL;
	/* A member we hold suspect or dead talks to us: it is likely alive
	 * and unaware.  Tell it (an ack to its ping already did), so that it
	 * refutes now rather than when gossip reaches it. */
	if (snd && si != 0 && !pinged &&
	    (snd->state == SWIM_SUSPECT || snd->state == SWIM_DEAD) &&
	    !s->leaving) {
		struct wire_msg w;
		struct pkt pk;

		msg_accuse(snd->state == SWIM_SUSPECT ? WIRE_M_SUSPECT
						      : WIRE_M_DEAD,
			   snd, self(s)->id, snd->inc, &w);
		pkt_begin(s, &pk);
		pkt_msg(s, &pk, &w);
		pkt_send(s, &pk, from);
	}
}

/* ------------------------------------------------------------ push-pull */

static void
sync_write(struct swim *s, struct wwriter *w, bool join)
{
	uint32_t nkv = 0;
	size_t i, j;

	for (i = 0; i < s->n; i++)
		nkv += (uint32_t)s->m[i]->nkv;
	self(s)->status = s->status;
	self(s)->status.kv_version = s->kv_counter;
	self(s)->status.kv_digest = s->kv_digest;
	wire_sync_begin(w, join, (uint32_t)s->n, nkv);
	for (i = 0; i < s->n; i++) {
		const struct member *m = s->m[i];
		struct wire_member wm = {
			.incarnation = m->inc,
			.state = (uint8_t)m->state,
			.addr = m->addr,
			.name = m->name,
			.name_len = strlen(m->name),
			.meta = m->meta,
			.meta_len = m->meta_len,
			.status = m->status,
		};

		memcpy(wm.id, m->id, WIRE_ID_SIZE);
		wire_member_put(w, &wm);
	}
	for (i = 0; i < s->n; i++)
		for (j = 0; j < s->m[i]->nkv; j++) {
			const struct kv *kv = &s->m[i]->kv[j];
			struct wire_kv wk = {.version = kv->version,
					     .key = kv->key,
					     .key_len = kv->key_len,
					     .value = kv->value,
					     .value_len = kv->value_len};

			memcpy(wk.origin, s->m[i]->id, WIRE_ID_SIZE);
			wire_kv_put(w, &wk);
		}
}

static void
sync_merge(struct swim *s, int64_t now, const uint8_t sender[WIRE_ID_SIZE],
	   const struct wire_sync *r)
{
	size_t i, mi;

	for (i = 0; i < r->nmembers; i++) {
		const struct wire_member *wm = &r->members[i];
		struct wire_msg a = {0};
		struct member *m;

		memcpy(a.node, wm->id, WIRE_ID_SIZE);
		a.incarnation = wm->incarnation;
		switch (wm->state) {
		case WIRE_ALIVE:
			a.type = WIRE_M_ALIVE;
			a.addr = wm->addr;
			a.name = wm->name;
			a.name_len = wm->name_len;
			a.meta = wm->meta;
			a.meta_len = wm->meta_len;
			on_alive(s, &a, now,
				 memcmp(wm->id, sender, WIRE_ID_SIZE) == 0);
			break;
		case WIRE_SUSPECT:
		case WIRE_DEAD:
			/* a remote death only starts a suspicion here */
			a.type = WIRE_M_SUSPECT;
			memcpy(a.from, self(s)->id, WIRE_ID_SIZE);
			on_suspect(s, &a, now);
			break;
		case WIRE_LEFT:
			a.type = WIRE_M_DEAD;
			memcpy(a.from, wm->id, WIRE_ID_SIZE);
			on_dead(s, &a, now);
			break;
		default:
			break;
		}
		m = find(s, wm->id, &mi);
		if (m && mi != 0 && !m->status_known)
			set_status(s, mi, &wm->status);
	}
	for (i = 0; i < r->nkv; i++) {
		const struct wire_kv *kv = &r->kv[i];

		if (find(s, kv->origin, &mi) && mi != 0)
			kv_store(s, mi, kv->key, kv->key_len, kv->value,
				 kv->value_len, kv->version);
	}
}

void
swim_sync_reply(struct swim *s, int64_t now,
		const uint8_t sender[WIRE_ID_SIZE], const struct wire_sync *req,
		struct wwriter *w)
{
	sync_merge(s, now, sender, req);
	sync_write(s, w, false);
}

void
swim_sync_merge(struct swim *s, int64_t now,
		const uint8_t sender[WIRE_ID_SIZE],
		const struct wire_sync *reply)
{
	const struct member *m = find(s, sender, NULL);

	/* a stale view of us in the reply: tell its sender directly */
	s->rx_from = m && m != self(s) ? &m->addr : NULL;
	sync_merge(s, now, sender, reply);
	s->rx_from = NULL;
}

void
swim_sync_failed(struct swim *s, int64_t now, const struct wire_addr *to)
{
	/* nothing to undo: join and reconnect timers retry by themselves */
	(void)s;
	(void)now;
	(void)to;
}

static void
sync_to(struct swim *s, const struct wire_addr *to, bool join)
{
	struct wwriter w;

	ww_init_growable(&w);
	sync_write(s, &w, join);
	if (!w.err)
		out_push(s, to, WIRE_T_SYNC, w.p, w.len, join);
	ww_done(&w);
	s->c.syncs++;
}

/* ------------------------------------------------------------ lifecycle */

struct swim *
swim_new(const struct swim_config *cfg, const struct swim_self *me,
	 uint64_t seed)
{
	struct swim *s;
	struct member *m;

	if (me->name == NULL || strlen(me->name) > WIRE_NAME_MAX ||
	    me->addr.family == 0 || me->meta_len > WIRE_META_MAX ||
	    cfg->probe_interval_ms <= 0 || cfg->probe_timeout_ms <= 0 ||
	    cfg->probe_timeout_ms >= cfg->probe_interval_ms ||
	    cfg->gossip_interval_ms <= 0 || cfg->sync_interval_ms <= 0 ||
	    cfg->packet_max < 256 || cfg->packet_max > WIRE_BODY_MAX)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->cfg = *cfg;
	s->rng = seed;
	index_rebuild(s);
	member_add(s, me->id, 0);
	m = self(s);
	free(m->name);
	m->name = xstrdup(me->name);
	m->addr = me->addr;
	m->inc = (uint64_t)me->generation << 32;
	set_bytes(&m->meta, &m->meta_len, me->meta, me->meta_len);
	set_state(s, m, SWIM_ALIVE, 0);
	s->kv_counter = (uint64_t)me->generation << 32;
	s->lag_since = NEVER;
	/* random phases: instances started together must not probe and
	 * gossip in lockstep */
	s->next_probe = (int64_t)rnd_below(s, (size_t)cfg->probe_interval_ms);
	s->next_gossip = (int64_t)rnd_below(s,
					    (size_t)cfg->gossip_interval_ms);
	s->next_sync = jitter(s, cfg->sync_interval_ms);
	s->next_reconnect = jitter(s, cfg->reconnect_interval_ms);
	s->next_join = NEVER;
	return s;
}

struct swim *
swim_free(struct swim *s)
{
	size_t i;

	if (s == NULL)
		return NULL;
	for (i = 0; i < s->n; i++)
		member_free(s->m[i]);
	free(s->m);
	free(s->idx);
	free(s->order);
	for (i = 0; i < s->mq.n; i++)
		bcast_free(&s->mq.v[i]);
	for (i = 0; i < s->kq.n; i++)
		bcast_free(&s->kq.v[i]);
	free(s->mq.v);
	free(s->kq.v);
	free(s->susp);
	free(s->seeds);
	for (i = s->outhead; i < s->outn; i++)
		free(s->outq[i].body);
	free(s->outq);
	free(s->popped);
	free(s->evq);
	free(s);
	return NULL;
}

void
swim_join(struct swim *s, int64_t now, const struct wire_addr *seeds,
	  size_t n)
{
	size_t i, k = 0;

	free(s->seeds);
	s->seeds = xcalloc(n ? n : 1, sizeof(*s->seeds));
	for (i = 0; i < n; i++)
		if (!wire_addr_eq(&seeds[i], &self(s)->addr))
			s->seeds[k++] = seeds[i];
	s->nseeds = k;
	s->join_backoff = s->cfg.join_retry_ms;
	s->next_join = k ? now : NEVER;
	s->next_sync = now + jitter(s, s->cfg.sync_interval_ms);
	s->next_reconnect = now + jitter(s, s->cfg.reconnect_interval_ms);
}

void
swim_leave(struct swim *s, int64_t now)
{
	struct member *me = self(s);
	size_t i, sent = 0, tries;
	struct wire_msg w;

	if (s->leaving)
		return;
	s->leaving = true;
	set_state(s, me, SWIM_LEFT, now);
	msg_accuse(WIRE_M_DEAD, me, me->id, me->inc, &w);
	bq_add(s, &s->mq, &w);
	/* and straight to a few members, not only at the next tick */
	for (tries = 0; tries < 8 * s->cfg.gossip_nodes && sent < s->cfg.gossip_nodes &&
			s->n > 1;
	     tries++) {
		struct member *m = s->m[1 + rnd_below(s, s->n - 1)];
		struct pkt p;

		if (!is_live(m))
			continue;
		pkt_begin(s, &p);
		pkt_msg(s, &p, &w);
		out_push(s, &m->addr, WIRE_T_GOSSIP, p.buf, p.w.len, false);
		sent++;
	}
	s->next_join = s->next_sync = s->next_reconnect = NEVER;
	s->probe.active = false;
	for (i = 0; i < RELAY_MAX; i++)
		s->relays[i].used = false;
}

void
swim_set_status(struct swim *s, const struct wire_status *st)
{
	/* what placement decides on is worth a push; CPU and memory ride
	 * the next packets */
	if (st->load != s->status.load ||
	    memcmp(st->rules, s->status.rules, WIRE_RULES_DIGEST_SIZE) != 0)
		s->status_dirty = true;
	s->status = *st;
	self(s)->status = *st;
	self(s)->status_known = true;
}

int
swim_set_meta(struct swim *s, int64_t now, const uint8_t *meta, size_t len)
{
	struct member *me = self(s);

	if (len > WIRE_META_MAX)
		return -EINVAL;
	if (set_bytes(&me->meta, &me->meta_len, meta, len)) {
		me->inc++;
		broadcast_alive(s, me);
	}
	return 0;
}

int64_t
swim_kv_set(struct swim *s, int64_t now, const char *key, const void *value,
	    size_t len)
{
	size_t klen = key ? strlen(key) : 0;
	struct wire_msg w = {.type = WIRE_M_KV};

	if (klen == 0 || klen > WIRE_KEY_MAX || len > WIRE_VALUE_MAX)
		return -EINVAL;
	s->kv_counter++;
	kv_store(s, 0, key, klen, value, len, s->kv_counter);
	memcpy(w.node, self(s)->id, WIRE_ID_SIZE);
	w.version = s->kv_counter;
	w.key = key;
	w.key_len = klen;
	w.value = value;
	w.value_len = len;
	bq_add(s, &s->kq, &w);
	return (int64_t)s->kv_counter;
}

const uint8_t *
swim_kv_get(const struct swim *s, const uint8_t owner[WIRE_ID_SIZE],
	    const char *key, size_t *ret_len, uint64_t *ret_version)
{
	const struct member *m = find(s, owner, NULL);
	const struct kv *kv = m ? kv_find(m, key, strlen(key), NULL) : NULL;

	if (kv == NULL)
		return NULL;
	*ret_len = kv->value_len;
	*ret_version = kv->version;
	return kv->value ? kv->value : (const uint8_t *)"";
}

/* ------------------------------------------------------------ timers */

/* K distinct random members passing OK(), excluding self and EXCL. */
static size_t
pick(struct swim *s, size_t k, size_t excl, int64_t now,
     bool (*ok)(const struct swim *, const struct member *, int64_t),
     size_t *ret)
{
	size_t got = 0, tries, i, j;

	if (s->n <= 1)
		return 0;
	if (s->n <= 4 * k + 2) {
		/* small: look at everyone, in random order */
		size_t start = rnd_below(s, s->n);

		for (i = 0; i < s->n && got < k; i++) {
			j = (start + i) % s->n;
			if (j != 0 && j != excl && ok(s, s->m[j], now))
				ret[got++] = j;
		}
		return got;
	}
	for (tries = 0; tries < 8 * k && got < k; tries++) {
		bool dup = false;

		j = 1 + rnd_below(s, s->n - 1);
		for (i = 0; i < got; i++)
			dup |= ret[i] == j;
		if (!dup && j != excl && ok(s, s->m[j], now))
			ret[got++] = j;
	}
	return got;
}

static bool
ok_alive(const struct swim *s, const struct member *m, int64_t now)
{
	return m->state == SWIM_ALIVE;
}

static bool
ok_gossip(const struct swim *s, const struct member *m, int64_t now)
{
	return is_live(m) || (m->state == SWIM_DEAD &&
			      now - m->since < s->cfg.gossip_to_dead_ms);
}

static bool
ok_dead(const struct swim *s, const struct member *m, int64_t now)
{
	return m->state == SWIM_DEAD;
}

static void
probe_start(struct swim *s, int64_t now)
{
	size_t tried;

	for (tried = 0; tried < s->norder + s->nurgent; tried++) {
		size_t mi;

		if (s->nurgent > 0) {
			mi = s->urgent[--s->nurgent];
			if (mi >= s->n || s->m[mi]->state != SWIM_SUSPECT)
				continue;
		} else {
			if (s->probe_pos >= s->norder)
				order_shuffle(s);
			mi = s->order[s->probe_pos++];
		}
		if (mi >= s->n || !is_live(s->m[mi]))
			continue;
		s->probe.active = true;
		s->probe.acked = false;
		s->probe.indirect_sent = false;
		s->probe.target = mi;
		s->probe.seq = ++s->seq;
		s->probe.start = now;
		s->probe.nacks = 0;
		s->probe.expected_nacks = 0;
		s->probe.indirect_at = now + scaled(s, s->cfg.probe_timeout_ms);
		s->probe.deadline = now + scaled(s, s->cfg.probe_interval_ms);
		s->c.probes++;
		send_ping(s, s->probe.seq, s->m[mi], &s->m[mi]->addr);
		return;
	}
	s->next_probe = now + s->cfg.probe_interval_ms;
}

static void
probe_indirect(struct swim *s, int64_t now)
{
	size_t helpers[16], n, i;
	struct member *t = s->m[s->probe.target];

	s->probe.indirect_sent = true;
	n = pick(s, MIN(s->cfg.indirect_checks, ARRAY_SIZE(helpers)),
		 s->probe.target, now, ok_alive, helpers);
	for (i = 0; i < n; i++) {
		struct wire_msg w = {.type = WIRE_M_PING_REQ,
				     .seq = s->probe.seq,
				     .addr = t->addr};
		struct pkt p;

		memcpy(w.node, t->id, WIRE_ID_SIZE);
		pkt_begin(s, &p);
		pkt_msg(s, &p, &w);
		pkt_send(s, &p, &s->m[helpers[i]]->addr);
	}
	s->probe.expected_nacks = (unsigned)n;
	s->c.indirect_probes++;
	/* and the direct path once more: under loss, a second try of the
	 * cheapest path removes most false suspicions (P(fail) squared) */
	send_ping(s, s->probe.seq, t, &t->addr);
}

static void
probe_fail(struct swim *s, int64_t now)
{
	size_t mi = s->probe.target;

	s->probe.active = false;
	s->next_probe = now;
	s->c.probe_failures++;
	/* Lifeguard: helpers that answered nack prove the network and us
	 * fine; silence from them too means we are likely the slow one */
	if (s->probe.expected_nacks > 0)
		health_add(s, (int)(s->probe.expected_nacks - s->probe.nacks));
	else
		health_add(s, 1);
	if (mi < s->n && is_live(s->m[mi]))
		suspect_from_self(s, mi, now);
}

static void
gossip_tick(struct swim *s, int64_t now)
{
	size_t to[16], n, i;

	s->next_gossip = now + s->cfg.gossip_interval_ms;
	if (s->status_dirty && now >= s->next_status_push && !s->leaving) {
		/* A new expected load reaches a member with our next packet to
		 * it, which can take n probe periods: tell everyone at once in
		 * a small cluster, a few members in a large one, at most once
		 * per probe period. */
		s->status_dirty = false;
		s->next_status_push = now + s->cfg.probe_interval_ms;
		if (s->nlive <= 32) {
			for (i = 1; i < s->n; i++)
				if (is_live(s->m[i])) {
					struct pkt p;

					pkt_begin(s, &p);
					pkt_send(s, &p, &s->m[i]->addr);
				}
			return;
		}
		n = pick(s, MIN(s->cfg.gossip_nodes, ARRAY_SIZE(to)), SIZE_MAX,
			 now, ok_gossip, to);
		for (i = 0; i < n; i++) {
			struct pkt p;

			pkt_begin(s, &p);
			pkt_send(s, &p, &s->m[to[i]]->addr);
		}
		return;
	}
	if (s->mq.n == 0 && s->kq.n == 0)
		return;
	n = pick(s, MIN(s->cfg.gossip_nodes, ARRAY_SIZE(to)), SIZE_MAX, now,
		 ok_gossip, to);
	for (i = 0; i < n && (s->mq.n || s->kq.n); i++) {
		struct pkt p;

		pkt_begin(s, &p);
		pkt_send(s, &p, &s->m[to[i]]->addr);
	}
}

static int64_t
sync_interval(const struct swim *s)
{
	/* memberlist's pushPullScale: bounded cost as the cluster grows */
	int64_t mult = 1;

	if (s->nlive > 32)
		mult = (int64_t)ceil(log2((double)s->nlive) - 5.0) + 1;
	return s->cfg.sync_interval_ms * mult;
}

static size_t
alive_others(const struct swim *s)
{
	return s->nlive - (is_live(self(s)) ? 1 : 0);
}

static void
reap(struct swim *s, int64_t now)
{
	size_t i = 1;
	bool changed = false;

	while (i < s->n) {
		struct member *m = s->m[i];

		if (!is_live(m) && now - m->since > s->cfg.tombstone_ms) {
			size_t k;

			for (k = 0; k < m->nkv; k++)
				s->kv_digest ^= kv_hash(m->id, m->kv[k].key,
							m->kv[k].key_len,
							m->kv[k].version);
			member_free(m);
			s->m[i] = s->m[--s->n];
			changed = true;
		} else {
			i++;
		}
	}
	if (!changed)
		return;
	/* indices moved: rebuild what holds them */
	index_rebuild(s);
	s->norder = 0;
	for (i = 1; i < s->n; i++)
		s->order[s->norder++] = (uint32_t)i;
	order_shuffle(s);
	s->nsusp = 0;
	for (i = 1; i < s->n; i++)
		if (s->m[i]->susp)
			s->susp[s->nsusp++] = i;
	s->nurgent = 0;
	s->probe.active = false;
	for (i = s->evhead; i < s->evn; i++)
		s->evq[i].member = SIZE_MAX;
}

static void
reconnect_tick(struct swim *s, int64_t now)
{
	size_t dead;

	s->next_reconnect = now + jitter(s, s->cfg.reconnect_interval_ms);
	reap(s, now);
	/* a dead member may be back behind a healed partition */
	if (pick(s, 1, SIZE_MAX, now, ok_dead, &dead) == 1)
		sync_to(s, &s->m[dead]->addr, false);
	/* and a seed we do not see alive may have restarted */
	if (s->nseeds && alive_others(s) < s->nseeds)
		sync_to(s, &s->seeds[rnd_below(s, s->nseeds)], true);
}

void
swim_tick(struct swim *s, int64_t now)
{
	size_t i;

	if (s->leaving) {
		if (now >= s->next_gossip)
			gossip_tick(s, now);
		return;
	}
	if (now >= s->next_join) {
		if (alive_others(s) > 0) {
			s->next_join = NEVER;
		} else {
			for (i = 0; i < s->nseeds; i++)
				sync_to(s, &s->seeds[i], true);
			s->next_join = now + s->join_backoff;
			s->join_backoff = MIN(2 * s->join_backoff,
					      s->cfg.reconnect_interval_ms);
		}
	}
	if (s->probe.active && !s->probe.acked && !s->probe.indirect_sent &&
	    now >= s->probe.indirect_at)
		probe_indirect(s, now);
	if (s->probe.active && now >= s->probe.deadline)
		probe_fail(s, now);
	if (!s->probe.active && now >= s->next_probe)
		probe_start(s, now);
	for (i = 0; i < RELAY_MAX; i++) {
		struct relay *r = &s->relays[i];

		if (r->used && now >= r->nack_at) {
			struct wire_msg w = {.type = WIRE_M_NACK,
					     .seq = r->req_seq};
			struct pkt p;

			r->used = false;
			pkt_begin(s, &p);
			pkt_msg(s, &p, &w);
			pkt_send(s, &p, &r->req_addr);
		}
	}
	for (i = 0; i < s->nsusp;) {
		size_t mi = s->susp[i];
		struct member *m = s->m[mi];

		if (m->susp && now >= m->susp->deadline) {
			struct wire_msg a;

			msg_accuse(WIRE_M_DEAD, m, self(s)->id, m->susp->inc,
				   &a);
			s->c.deaths++;
			on_dead(s, &a, now); /* removes it from s->susp */
		} else {
			i++;
		}
	}
	if (now >= s->next_gossip)
		gossip_tick(s, now);
	if (now >= s->next_sync) {
		size_t peer;

		s->next_sync = now + jitter(s, sync_interval(s));
		if (pick(s, 1, SIZE_MAX, now, ok_alive, &peer) == 1)
			sync_to(s, &s->m[peer]->addr, false);
	}
	if (now >= s->next_reconnect)
		reconnect_tick(s, now);
}

int
swim_confirm_dead(struct swim *s, int64_t now, const uint8_t id[WIRE_ID_SIZE])
{
	struct wire_msg a;
	struct member *m;
	size_t i;

	if (!find(s, id, &i))
		return -ENOENT;
	m = s->m[i];
	if (m->state != SWIM_SUSPECT || m->susp == NULL)
		return -EAGAIN;
	msg_accuse(WIRE_M_DEAD, m, self(s)->id, m->susp->inc, &a);
	s->c.deaths++;
	on_dead(s, &a, now);
	return 0;
}

int64_t
swim_next_deadline(const struct swim *s)
{
	int64_t t = MIN(s->next_gossip, MIN(s->next_sync, s->next_reconnect));
	size_t i;

	if (s->leaving)
		return s->next_gossip;
	t = MIN(t, s->next_join);
	if (s->probe.active) {
		if (!s->probe.acked && !s->probe.indirect_sent)
			t = MIN(t, s->probe.indirect_at);
		t = MIN(t, s->probe.deadline);
	} else {
		t = MIN(t, s->next_probe);
	}
	for (i = 0; i < RELAY_MAX; i++)
		if (s->relays[i].used)
			t = MIN(t, s->relays[i].nack_at);
	for (i = 0; i < s->nsusp; i++)
		if (s->m[s->susp[i]]->susp)
			t = MIN(t, s->m[s->susp[i]]->susp->deadline);
	return t;
}

/* ------------------------------------------------------------ views */

size_t
swim_nmembers(const struct swim *s)
{
	return s->n;
}

void
swim_member_get(const struct swim *s, size_t i, struct swim_member *ret)
{
	const struct member *m = s->m[i];

	*ret = (struct swim_member){
		.id = m->id,
		.name = m->name,
		.addr = m->addr,
		.state = m->state,
		.incarnation = m->inc,
		.since_ms = m->since,
		.meta = m->meta,
		.meta_len = m->meta_len,
		.status = m->status,
		.status_known = m->status_known,
		.rules_mismatch = m->rules_mismatch,
		.self = i == 0,
	};
}

size_t
swim_nlive(const struct swim *s)
{
	return s->nlive;
}

unsigned
swim_health(const struct swim *s)
{
	return s->health;
}

uint64_t
swim_incarnation(const struct swim *s)
{
	return self(s)->inc;
}

const struct swim_counters *
swim_counters(const struct swim *s)
{
	return &s->c;
}
