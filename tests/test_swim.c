/*
 * net/swim: the protocol core driven with explicit time over a tiny
 * in-memory network (zero latency, a drop filter), every rule checked
 * through what the cores send and report.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "net/swim.h"
#include "net/wire.h"
#include "tests/lib/testlib.h"

#define MAXN 12
#define MAXEV 4096

struct rec {
	enum swim_event_type type;
	int who; /* index of the member concerned, -1 if unknown */
	uint64_t inc;
	bool mismatch;
	uint64_t version;
	uint64_t op_id;
	unsigned op;
	uint8_t secret0;
	int result;
	size_t nfp;
};

struct net {
	struct swim *s[MAXN];
	struct wire_addr addr[MAXN];
	uint8_t id[MAXN][WIRE_ID_SIZE];
	uint32_t gen[MAXN];
	size_t n;
	int64_t now;
	bool down[MAXN];                 /* drops everything to and from */
	bool cut[MAXN][MAXN];            /* drops datagrams from -> to */
	struct rec ev[MAXN][MAXEV];
	size_t nev[MAXN];
	unsigned sent[MAXN][_WIRE_M_MAX]; /* messages seen leaving each */
};

static struct net T;

static int
who(const uint8_t id[WIRE_ID_SIZE])
{
	size_t i;

	for (i = 0; i < T.n; i++)
		if (memcmp(T.id[i], id, WIRE_ID_SIZE) == 0)
			return (int)i;
	return -1;
}

static int
by_addr(const struct wire_addr *a)
{
	size_t i;

	for (i = 0; i < T.n; i++)
		if (wire_addr_eq(&T.addr[i], a))
			return (int)i;
	return -1;
}

static void
start(size_t i, const struct swim_config *cfg)
{
	struct swim_config def;
	struct swim_self me = {.name = "x"};
	char name[8];

	if (cfg == NULL) {
		/* the timings the tests reason with, whatever the defaults */
		swim_config_default(&def);
		def.probe_interval_ms = 500;
		def.probe_timeout_ms = 200;
		def.suspicion_mult = 4;
		def.retransmit_mult = 4;
		cfg = &def;
	}
	snprintf(name, sizeof(name), "n%zu", i);
	me.name = name;
	memset(T.id[i], 0, WIRE_ID_SIZE);
	T.id[i][0] = (uint8_t)(i + 1);
	T.id[i][15] = 0x77;
	wire_addr_parse("127.0.0.1:17300", &T.addr[i]);
	T.addr[i].port = (uint16_t)(17300 + i);
	memcpy(me.id, T.id[i], WIRE_ID_SIZE);
	me.addr = T.addr[i];
	me.generation = ++T.gen[i];
	T.s[i] = swim_new(cfg, &me, 1000 + i);
	ASSERT_NOT_NULL(T.s[i]);
	T.down[i] = false;
}

static void
setup(size_t n, const struct swim_config *cfg)
{
	size_t i;

	memset(&T, 0, sizeof(T));
	T.n = n;
	for (i = 0; i < n; i++)
		start(i, cfg);
}

static void
teardown(void)
{
	size_t i;

	for (i = 0; i < T.n; i++)
		T.s[i] = swim_free(T.s[i]);
}

static void
collect(size_t i)
{
	struct swim_event ev;

	while (swim_next_event(T.s[i], &ev))
		if (T.nev[i] < MAXEV)
			T.ev[i][T.nev[i]++] = (struct rec){
				.type = ev.type, .who = who(ev.id),
				.inc = ev.incarnation,
				.mismatch = ev.rules_mismatch,
				.version = ev.version, .op_id = ev.op_id,
				.op = ev.op, .secret0 = ev.secret[0],
				.result = ev.result, .nfp = ev.nfp};
}

/* Delivers everything until every core is quiet. */
static void
flush(void)
{
	static struct wire_packet pkt;
	bool busy = true;
	size_t i, m;

	while (busy) {
		busy = false;
		for (i = 0; i < T.n; i++) {
			struct swim_output o;

			if (T.s[i] == NULL)
				continue;
			collect(i);
			while (swim_next_output(T.s[i], &o)) {
				int d = by_addr(&o.to);
				uint8_t *copy;

				busy = true;
				if (o.type == WIRE_T_GOSSIP) {
					ASSERT_INT_EQ(wire_packet_decode(
							      o.body, o.len, &pkt),
						      0);
					ASSERT_TRUE(o.len <= WIRE_BODY_MAX);
					for (m = 0; m < pkt.nmsg; m++)
						T.sent[i][pkt.msg[m].type]++;
				}
				if (d < 0 || T.s[d] == NULL || T.down[d] ||
				    T.down[i] || T.cut[i][d]) {
					if (o.type == WIRE_T_SYNC)
						swim_sync_failed(T.s[i], T.now,
								 &o.to);
					continue;
				}
				/* the next output call frees o.body */
				copy = xmalloc(o.len + 1);
				memcpy(copy, o.body, o.len);
				if (o.type == WIRE_T_GOSSIP) {
					swim_recv(T.s[d], T.now, T.id[i],
						  &T.addr[i], &pkt);
				} else {
					struct wire_sync req, rep;
					struct wwriter w;

					ASSERT_INT_EQ(wire_sync_decode(copy,
								       o.len,
								       &req),
						      0);
					ww_init_growable(&w);
					swim_sync_reply(T.s[d], T.now, T.id[i],
							&req, &w);
					ASSERT_INT_EQ(wire_sync_decode(w.p,
								       w.len,
								       &rep),
						      0);
					swim_sync_merge(T.s[i], T.now, T.id[d],
							&rep);
					wire_sync_free(&rep);
					wire_sync_free(&req);
					ww_done(&w);
				}
				free(copy);
				collect((size_t)d);
			}
			collect(i);
		}
	}
}

/* Runs every core's timers up to UNTIL, delivering as it goes. */
static void
run_until(int64_t until)
{
	for (;;) {
		int64_t next = INT64_MAX;
		size_t i;

		for (i = 0; i < T.n; i++)
			if (T.s[i] && !T.down[i])
				next = MIN(next, swim_next_deadline(T.s[i]));
		if (next > until)
			break;
		T.now = MAX(T.now, next);
		for (i = 0; i < T.n; i++)
			if (T.s[i] && !T.down[i] &&
			    swim_next_deadline(T.s[i]) <= T.now)
				swim_tick(T.s[i], T.now);
		flush();
	}
	T.now = until;
}

/* Everyone knows everyone, as after a join. */
static void
mesh(void)
{
	struct wire_sync all = {0};
	struct wire_member mm[MAXN];
	size_t i;

	memset(mm, 0, sizeof(mm));
	for (i = 0; i < T.n; i++) {
		memcpy(mm[i].id, T.id[i], WIRE_ID_SIZE);
		mm[i].incarnation = (uint64_t)T.gen[i] << 32;
		mm[i].addr = T.addr[i];
		mm[i].name = "n";
		mm[i].name_len = 1;
	}
	all.nmembers = T.n;
	all.members = mm;
	for (i = 0; i < T.n; i++)
		swim_sync_merge(T.s[i], T.now, T.id[i], &all);
	flush();
	for (i = 0; i < T.n; i++)
		T.nev[i] = 0;
	memset(T.sent, 0, sizeof(T.sent));
}

static enum swim_state
state_at(size_t observer, size_t x)
{
	struct swim_member m;
	int k = swim_find(T.s[observer], T.id[x]);

	if (k < 0)
		return _SWIM_STATE_MAX;
	swim_member_get(T.s[observer], (size_t)k, &m);
	return m.state;
}

static size_t
count_ev(size_t at, enum swim_event_type type, int x)
{
	size_t i, c = 0;

	for (i = 0; i < T.nev[at]; i++)
		c += T.ev[at][i].type == type && T.ev[at][i].who == x;
	return c;
}

/* One message, as if it came in a datagram from FROM. */
static void
inject(size_t to, size_t from, const struct wire_msg *m)
{
	static struct wire_packet p;

	memset(&p, 0, sizeof(p));
	p.nmsg = 1;
	p.msg[0] = *m;
	swim_recv(T.s[to], T.now, T.id[from], &T.addr[from], &p);
	flush();
}

static struct wire_msg
accuse(enum wire_msg_type type, size_t x, size_t from, uint64_t inc)
{
	struct wire_msg m = {.type = type, .incarnation = inc};

	memcpy(m.node, T.id[x], WIRE_ID_SIZE);
	memcpy(m.from, T.id[from], WIRE_ID_SIZE);
	return m;
}

/* ------------------------------------------------------------ tests */

static void
test_probe_ack(void)
{
	const struct swim_counters *c;

	setup(2, NULL);
	mesh();
	run_until(10000);
	c = swim_counters(T.s[0]);
	/* one probe per 500 ms, each answered */
	ASSERT_TRUE(c->probes >= 19 && c->probes <= 21);
	ASSERT_INT_EQ(c->probe_failures, 0);
	ASSERT_INT_EQ(c->indirect_probes, 0);
	ASSERT_INT_EQ(swim_health(T.s[0]), 0);
	ASSERT_INT_EQ(T.sent[0][WIRE_M_PING], c->probes);
	ASSERT_INT_EQ(T.sent[1][WIRE_M_ACK], c->probes);
	ASSERT_INT_EQ(state_at(0, 1), SWIM_ALIVE);
	/* the only news: 1's status, heard once */
	ASSERT_INT_EQ(T.nev[0], 1);
	ASSERT_INT_EQ(count_ev(0, SWIM_EV_STATUS, 1), 1);
	teardown();
}

static void
test_indirect_probe(void)
{
	const struct swim_counters *c;

	setup(4, NULL);
	mesh();
	/* 0 cannot reach 1 directly, the others can */
	T.cut[0][1] = T.cut[1][0] = true;
	run_until(20000);
	c = swim_counters(T.s[0]);
	ASSERT_TRUE(c->indirect_probes > 0);
	ASSERT_TRUE(T.sent[2][WIRE_M_PING] + T.sent[3][WIRE_M_PING] > 0);
	ASSERT_INT_EQ(c->probe_failures, 0);
	ASSERT_INT_EQ(state_at(0, 1), SWIM_ALIVE);
	ASSERT_INT_EQ(count_ev(0, SWIM_EV_SUSPECT, 1), 0);
	teardown();
}

static void
test_nack_and_health(void)
{
	const struct swim_counters *c;

	/* 1 is gone; 0 asks 2 and 3, who answer nack: the network is
	 * fine, so 0's health does not suffer for it */
	setup(4, NULL);
	mesh();
	T.down[1] = true;
	run_until(2000); /* 0 has probed each of the 3 others once */
	c = swim_counters(T.s[0]);
	ASSERT_TRUE(c->indirect_probes >= 1);
	ASSERT_TRUE(T.sent[2][WIRE_M_NACK] + T.sent[3][WIRE_M_NACK] > 0);
	ASSERT_INT_EQ(swim_health(T.s[0]), 0);
	teardown();

	/* alone with a dead peer and no helpers: each failed probe adds
	 * one (0.5 s, then 1 s, then 1.5 s periods) until the peer is
	 * declared dead (2 s after the first failure) and not probed */
	setup(2, NULL);
	mesh();
	T.down[1] = true;
	run_until(200000);
	ASSERT_INT_EQ(swim_health(T.s[0]), 3);
	ASSERT_INT_EQ(swim_counters(T.s[0])->probe_failures, 3);
	teardown();

	/* a member that cannot hear anyone: all its probes fail with no
	 * nack, and its health saturates at 8 */
	setup(4, NULL);
	mesh();
	T.cut[1][0] = T.cut[2][0] = T.cut[3][0] = true;
	run_until(60000);
	ASSERT_INT_EQ(swim_health(T.s[0]), 8);
	{
		/* and the probe period is (8 + 1) * 500 ms */
		uint64_t before = swim_counters(T.s[0])->probes;

		run_until(T.now + 45000);
		ASSERT_TRUE(swim_counters(T.s[0])->probes - before <= 11);
	}
	/* recovery: each answered probe takes one off */
	memset(T.cut, 0, sizeof(T.cut));
	run_until(T.now + 120000);
	ASSERT_INT_EQ(swim_health(T.s[0]), 0);
	teardown();
}

static void
test_suspicion_refutation(void)
{
	uint64_t inc1;

	setup(3, NULL);
	mesh();
	inc1 = swim_incarnation(T.s[1]);
	/* 1 hears nothing for a while: it is suspected (n = 3: no
	 * confirmations are expected, dead 2 s after the suspicion) */
	T.down[1] = true;
	run_until(1600); /* both of 0's first probes are over */
	ASSERT_TRUE(count_ev(0, SWIM_EV_SUSPECT, 1) +
			    count_ev(2, SWIM_EV_SUSPECT, 1) >
		    0);
	ASSERT_INT_EQ(state_at(0, 1), SWIM_SUSPECT);
	/* back before the timeout: it hears the suspicion and refutes */
	T.down[1] = false;
	run_until(6000);
	ASSERT_INT_EQ(state_at(0, 1), SWIM_ALIVE);
	ASSERT_INT_EQ(state_at(2, 1), SWIM_ALIVE);
	ASSERT_TRUE(swim_incarnation(T.s[1]) > inc1);
	ASSERT_TRUE(swim_counters(T.s[1])->refutations >= 1);
	ASSERT_TRUE(count_ev(0, SWIM_EV_ALIVE, 1) >= 1);
	ASSERT_INT_EQ(count_ev(0, SWIM_EV_DEAD, 1), 0);
	/* a stale accusation (older incarnation) changes nothing and gets
	 * our current alive straight back */
	{
		struct wire_msg m = accuse(WIRE_M_SUSPECT, 1, 0, inc1);
		unsigned before = T.sent[1][WIRE_M_ALIVE];
		uint64_t inc = swim_incarnation(T.s[1]);

		inject(1, 0, &m);
		ASSERT_TRUE(swim_incarnation(T.s[1]) == inc);
		ASSERT_INT_EQ(T.sent[1][WIRE_M_ALIVE], before + 1);
	}
	/* a dead verdict about ourselves is refuted too */
	{
		struct wire_msg m = accuse(WIRE_M_DEAD, 1, 0,
					   swim_incarnation(T.s[1]));
		uint64_t inc = swim_incarnation(T.s[1]);

		inject(1, 0, &m);
		ASSERT_TRUE(swim_incarnation(T.s[1]) == inc + 1);
	}
	teardown();
}

static void
test_crash_declared_dead(void)
{
	size_t i;

	setup(5, NULL);
	mesh();
	T.down[4] = true;
	/* n = 5: min = 4 * 1 * 500 ms = 2 s after the first suspicion,
	 * max = 12 s; confirmations come from the other probers */
	run_until(20000);
	for (i = 0; i < 4; i++) {
		ASSERT_INT_EQ(state_at(i, 4), SWIM_DEAD);
		ASSERT_INT_EQ(count_ev(i, SWIM_EV_DEAD, 4), 1);
	}
	/* a hard bound with no confirmations at all: Max + probe period */
	teardown();
	setup(2, NULL);
	mesh();
	T.down[1] = true;
	run_until(1999);
	ASSERT_INT_EQ(state_at(0, 1), SWIM_SUSPECT);
	run_until(4000);
	/* n = 2 < K + 2: the timeout is min (2 s) from the suspicion */
	ASSERT_INT_EQ(state_at(0, 1), SWIM_DEAD);
	teardown();
}

/* Suspicion timer with and without independent confirmations. */
static void
test_confirmations(void)
{
	struct wire_msg m;
	int64_t t0;

	/* 10 members: min 2 s, max 12 s, K = 2 */
	setup(10, NULL);
	mesh();
	T.down[9] = true; /* the suspect (nobody hears it) */
	/* no probes of our own get in the way: 0 only listens */
	t0 = T.now;
	m = accuse(WIRE_M_SUSPECT, 9, 1, swim_incarnation(T.s[9]));
	inject(0, 1, &m);
	ASSERT_INT_EQ(state_at(0, 9), SWIM_SUSPECT);
	/* the same accuser again is no confirmation */
	inject(0, 1, &m);
	/* one confirmation: 12 - 10 * ln 2 / ln 3 = 5.69 s */
	m = accuse(WIRE_M_SUSPECT, 9, 2, swim_incarnation(T.s[9]));
	inject(0, 2, &m);
	ASSERT_INT_EQ(swim_counters(T.s[0])->confirmations, 1);
	/* a second one: min, 2 s */
	m = accuse(WIRE_M_SUSPECT, 9, 3, swim_incarnation(T.s[9]));
	inject(0, 3, &m);
	ASSERT_INT_EQ(swim_counters(T.s[0])->confirmations, 2);
	{
		/* tick only 0, so no other verdict reaches it */
		size_t i;

		for (i = 1; i < T.n; i++)
			T.down[i] = true;
		run_until(t0 + 1999);
		ASSERT_INT_EQ(state_at(0, 9), SWIM_SUSPECT);
		run_until(t0 + 2001);
		ASSERT_INT_EQ(state_at(0, 9), SWIM_DEAD);
	}
	teardown();

	/* without confirmations, still suspect long after min */
	setup(10, NULL);
	mesh();
	{
		size_t i;

		for (i = 1; i < T.n; i++)
			T.down[i] = true;
	}
	t0 = T.now;
	m = accuse(WIRE_M_SUSPECT, 9, 1, swim_incarnation(T.s[9]));
	inject(0, 1, &m);
	run_until(t0 + 5000);
	/* our own failed probes of 9 would confirm: they started at most
	 * once per round; 9 is probed by 0 and fails, which counts as one */
	ASSERT_TRUE(state_at(0, 9) == SWIM_SUSPECT);
	teardown();
}

static void
test_dissemination_limit(void)
{
	size_t i, total = 0;
	int64_t v;

	/* 10 members: limit = 4 * ceil(log10(11)) = 8 sends by each, and
	 * records get 4 more: 12 */
	setup(10, NULL);
	mesh();
	v = swim_kv_set(T.s[0], T.now, "app:p", "RUNNING", 7);
	ASSERT_TRUE(v > 0);
	run_until(T.now + 5000);
	ASSERT_INT_EQ(T.sent[0][WIRE_M_KV], 12);
	for (i = 1; i < T.n; i++) {
		size_t len = 0;
		uint64_t ver = 0;
		const uint8_t *val = swim_kv_get(T.s[i], T.id[0], "app:p",
						 &len, &ver);

		ASSERT_NOT_NULL(val);
		ASSERT_INT_EQ(len, 7);
		ASSERT_TRUE(ver == (uint64_t)v);
		ASSERT_INT_EQ(count_ev(i, SWIM_EV_KV, 0), 1);
		ASSERT_TRUE(T.sent[i][WIRE_M_KV] <= 12);
		total += T.sent[i][WIRE_M_KV];
	}
	/* everyone relays it, each at most 12 times: infection, bounded */
	ASSERT_TRUE(total > 0 && total <= 12 * 9);
	/* a newer value replaces the queued older one */
	swim_kv_set(T.s[0], T.now, "app:p", "STOPPED", 7);
	swim_kv_set(T.s[0], T.now, "app:p", "STARTING", 8);
	memset(T.sent, 0, sizeof(T.sent));
	run_until(T.now + 5000);
	ASSERT_INT_EQ(T.sent[0][WIRE_M_KV], 12);
	ASSERT_INT_EQ(swim_kv_set(T.s[0], T.now, "", "x", 1), -EINVAL);
	teardown();
}

static void
test_join_leave(void)
{
	struct wire_addr seeds[2];
	size_t i;

	setup(3, NULL);
	seeds[0] = T.addr[0];
	seeds[1] = T.addr[1];
	/* 0 waits; 1 and 2 join through 0 (and themselves: skipped) */
	swim_join(T.s[0], 0, seeds, 2);
	swim_join(T.s[1], 0, seeds, 2);
	swim_join(T.s[2], 0, seeds, 2);
	run_until(3000);
	for (i = 0; i < 3; i++)
		ASSERT_INT_EQ(swim_nlive(T.s[i]), 3);
	ASSERT_INT_EQ(count_ev(2, SWIM_EV_JOIN, 0), 1);
	ASSERT_INT_EQ(count_ev(0, SWIM_EV_JOIN, 2), 1);
	/* graceful leave */
	swim_leave(T.s[2], T.now);
	run_until(T.now + 1000);
	ASSERT_INT_EQ(state_at(0, 2), SWIM_LEFT);
	ASSERT_INT_EQ(state_at(1, 2), SWIM_LEFT);
	ASSERT_INT_EQ(count_ev(0, SWIM_EV_LEFT, 2), 1);
	ASSERT_INT_EQ(count_ev(0, SWIM_EV_DEAD, 2), 0);
	ASSERT_INT_EQ(swim_nlive(T.s[0]), 2);
	teardown();
}

static void
test_join_retries(void)
{
	struct wire_addr seed;
	unsigned syncs[8] = {0};
	size_t k = 0;
	struct swim_config cfg;

	/* only join retries here: no reconnect attempts in the window */
	swim_config_default(&cfg);
	cfg.probe_interval_ms = 500;
	cfg.reconnect_interval_ms = 60000;
	setup(2, &cfg);
	seed = T.addr[1];
	T.down[1] = true;
	swim_join(T.s[0], 0, &seed, 1);
	/* retries at 0, 1, 3, 7, 15 s (backoff doubling) */
	while (T.now < 16000 && k < ARRAY_SIZE(syncs)) {
		uint64_t before = swim_counters(T.s[0])->syncs;

		run_until(T.now + 100);
		if (swim_counters(T.s[0])->syncs > before)
			syncs[k++] = (unsigned)T.now;
	}
	ASSERT_INT_EQ(k, 5);
	ASSERT_INT_EQ(syncs[1], 1000);
	ASSERT_INT_EQ(syncs[2] - syncs[1], 2000);
	ASSERT_INT_EQ(syncs[3] - syncs[2], 4000);
	/* the seed comes up: the next retry joins */
	T.down[1] = false;
	swim_join(T.s[1], T.now, &seed, 1);
	run_until(T.now + 30000);
	ASSERT_INT_EQ(swim_nlive(T.s[0]), 2);
	ASSERT_INT_EQ(swim_nlive(T.s[1]), 2);
	teardown();
}

static void
test_push_pull_merge(void)
{
	struct wire_member mm[4];
	struct wire_kv kv[2];
	struct wire_sync r = {.members = mm, .kv = kv};
	size_t len;
	uint64_t ver;

	setup(5, NULL);
	mesh();
	memset(mm, 0, sizeof(mm));
	/* remote view from 1: 2 dead, 3 left, 4 alive at a higher inc */
	memcpy(mm[0].id, T.id[2], WIRE_ID_SIZE);
	mm[0].incarnation = swim_incarnation(T.s[2]);
	mm[0].state = WIRE_DEAD;
	memcpy(mm[1].id, T.id[3], WIRE_ID_SIZE);
	mm[1].incarnation = swim_incarnation(T.s[3]);
	mm[1].state = WIRE_LEFT;
	memcpy(mm[2].id, T.id[4], WIRE_ID_SIZE);
	mm[2].incarnation = swim_incarnation(T.s[4]) + 1;
	mm[2].state = WIRE_ALIVE;
	mm[2].addr = T.addr[4];
	mm[2].name = "renamed";
	mm[2].name_len = 7;
	r.nmembers = 3;
	memset(kv, 0, sizeof(kv));
	memcpy(kv[0].origin, T.id[4], WIRE_ID_SIZE);
	kv[0].version = 10;
	kv[0].key = "a:b";
	kv[0].key_len = 3;
	kv[0].value = (const uint8_t *)"new";
	kv[0].value_len = 3;
	kv[1] = kv[0];
	kv[1].version = 5;
	kv[1].value = (const uint8_t *)"old";
	r.nkv = 2;
	swim_sync_merge(T.s[0], T.now, T.id[1], &r);
	collect(0);
	/* dead over push-pull is only a suspicion here */
	ASSERT_INT_EQ(state_at(0, 2), SWIM_SUSPECT);
	ASSERT_INT_EQ(state_at(0, 3), SWIM_LEFT);
	ASSERT_INT_EQ(state_at(0, 4), SWIM_ALIVE);
	ASSERT_INT_EQ(count_ev(0, SWIM_EV_UPDATE, 4), 1);
	ASSERT_STR_EQ((const char *)swim_kv_get(T.s[0], T.id[4], "a:b", &len,
						&ver) ? "found" : "missing",
		      "found");
	ASSERT_TRUE(ver == 10 && len == 3);
	ASSERT_INT_EQ(count_ev(0, SWIM_EV_KV, 4), 1);
	/* an older record changes nothing */
	kv[0].version = 9;
	r.nkv = 1;
	r.nmembers = 0;
	swim_sync_merge(T.s[0], T.now, T.id[1], &r);
	swim_kv_get(T.s[0], T.id[4], "a:b", &len, &ver);
	ASSERT_TRUE(ver == 10);
	/* 2 hears of its suspicion and refutes at the next contact */
	run_until(T.now + 3000);
	ASSERT_INT_EQ(state_at(0, 2), SWIM_ALIVE);
	teardown();
}

static void
test_generation(void)
{
	uint32_t old_gen;
	size_t i;

	setup(3, NULL);
	mesh();
	old_gen = T.gen[2];
	/* 2 crashes and is declared dead */
	T.down[2] = true;
	run_until(30000);
	ASSERT_INT_EQ(state_at(0, 2), SWIM_DEAD);
	/* it restarts with the next boot generation: its first
	 * incarnation beats anything of its previous life */
	swim_free(T.s[2]);
	start(2, NULL);
	ASSERT_INT_EQ(T.gen[2], old_gen + 1);
	ASSERT_TRUE(swim_incarnation(T.s[2]) == (uint64_t)T.gen[2] << 32);
	{
		struct wire_addr seed = T.addr[0];

		swim_join(T.s[2], T.now, &seed, 1);
	}
	run_until(T.now + 3000);
	for (i = 0; i < 2; i++) {
		ASSERT_INT_EQ(state_at(i, 2), SWIM_ALIVE);
		ASSERT_INT_EQ(count_ev(i, SWIM_EV_ALIVE, 2), 1);
	}
	teardown();
}

static void
test_status_and_rules(void)
{
	struct wire_status mine = {.load = 10}, other = {.load = 55};
	size_t i;

	setup(3, NULL);
	mesh();
	memset(mine.rules, 0xaa, sizeof(mine.rules));
	memset(other.rules, 0xbb, sizeof(other.rules));
	swim_set_status(T.s[0], &mine);
	swim_set_status(T.s[1], &mine);
	swim_set_status(T.s[2], &other);
	run_until(5000);
	/* 0 sees 2's digest differ and 1's agree, with 2's load */
	{
		struct swim_member m;

		swim_member_get(T.s[0], (size_t)swim_find(T.s[0], T.id[2]),
				&m);
		ASSERT_TRUE(m.rules_mismatch);
		ASSERT_INT_EQ(m.status.load, 55);
		swim_member_get(T.s[0], (size_t)swim_find(T.s[0], T.id[1]),
				&m);
		ASSERT_FALSE(m.rules_mismatch);
	}
	for (i = 0; i < T.nev[0]; i++)
		if (T.ev[0][i].type == SWIM_EV_RULES)
			ASSERT_INT_EQ(T.ev[0][i].who, 2);
	ASSERT_INT_EQ(count_ev(0, SWIM_EV_RULES, 2), 1);
	/* fixed: agreement is reported */
	swim_set_status(T.s[2], &mine);
	run_until(10000);
	ASSERT_INT_EQ(count_ev(0, SWIM_EV_RULES, 2), 2);
	ASSERT_FALSE(T.ev[0][T.nev[0] - 1].mismatch &&
		     T.ev[0][T.nev[0] - 1].type == SWIM_EV_RULES);
	teardown();
}

/* A new expected load reaches every member within a gossip tick, not
 * with the next probe, which may be n periods away. */
static void
test_load_push(void)
{
	struct wire_status st = {.load = 0};
	size_t i;

	setup(6, NULL);
	mesh();
	for (i = 0; i < T.n; i++)
		swim_set_status(T.s[i], &st);
	run_until(3000);
	st.load = 40;
	swim_set_status(T.s[0], &st);
	run_until(T.now + 150);
	for (i = 1; i < T.n; i++) {
		struct swim_member m;

		swim_member_get(T.s[i], (size_t)swim_find(T.s[i], T.id[0]),
				&m);
		ASSERT_INT_EQ(m.status.load, 40);
	}
	teardown();
}

static void
test_meta_update(void)
{
	setup(3, NULL);
	mesh();
	ASSERT_INT_EQ(swim_set_meta(T.s[1], T.now, (const uint8_t *)"tags=a",
				    6), 0);
	run_until(2000);
	ASSERT_INT_EQ(count_ev(0, SWIM_EV_UPDATE, 1), 1);
	ASSERT_INT_EQ(count_ev(2, SWIM_EV_UPDATE, 1), 1);
	ASSERT_INT_EQ(swim_set_meta(T.s[1], T.now, NULL, WIRE_META_MAX + 1),
		      -EINVAL);
	teardown();
}

static void
test_keyring_ops(void)
{
	uint8_t key[WIRE_KEY_SIZE], fp[2][WIRE_FP_SIZE];
	uint64_t op;
	size_t i, j;

	setup(4, NULL);
	mesh();
	memset(key, 0x5a, sizeof(key));
	memset(fp, 1, sizeof(fp));
	op = swim_keyring_send(T.s[0], T.now, WIRE_KEYRING_INSTALL, key);
	ASSERT_TRUE(op != 0);
	run_until(T.now + 2000);
	/* every other instance hears it once, with the key */
	ASSERT_INT_EQ(count_ev(0, SWIM_EV_KEYRING, 0), 0);
	for (i = 1; i < T.n; i++) {
		ASSERT_INT_EQ(count_ev(i, SWIM_EV_KEYRING, 0), 1);
		for (j = 0; j < T.nev[i]; j++)
			if (T.ev[i][j].type == SWIM_EV_KEYRING) {
				ASSERT_TRUE(T.ev[i][j].op_id == op);
				ASSERT_INT_EQ(T.ev[i][j].op,
					      WIRE_KEYRING_INSTALL);
				ASSERT_INT_EQ(T.ev[i][j].secret0, 0x5a);
			}
		ASSERT_INT_EQ(swim_keyring_ack(T.s[i], T.id[0], op,
					       i == 3 ? -EEXIST : 0,
					       (const uint8_t(*)[WIRE_FP_SIZE])fp,
					       2), 0);
	}
	run_until(T.now + 500);
	/* the origin gets one answer from each, with its result */
	for (i = 1; i < T.n; i++)
		ASSERT_INT_EQ(count_ev(0, SWIM_EV_KEYRING_ACK, (int)i), 1);
	for (j = 0; j < T.nev[0]; j++)
		if (T.ev[0][j].type == SWIM_EV_KEYRING_ACK) {
			ASSERT_INT_EQ(T.ev[0][j].nfp, 2);
			ASSERT_INT_EQ(T.ev[0][j].result,
				      T.ev[0][j].who == 3 ? -EEXIST : 0);
		}
	/* two operations in a row both get through */
	swim_keyring_send(T.s[0], T.now, WIRE_KEYRING_USE, key);
	swim_keyring_send(T.s[0], T.now, WIRE_KEYRING_REMOVE, key);
	run_until(T.now + 2000);
	for (i = 1; i < T.n; i++)
		ASSERT_INT_EQ(count_ev(i, SWIM_EV_KEYRING, 0), 3);
	ASSERT_INT_EQ(swim_keyring_ack(T.s[1], T.id[1], op, 0, NULL, 0),
		      -ENOENT);
	teardown();
}

static void
test_bad_config(void)
{
	struct swim_config c;
	struct swim_self me = {.name = "a"};

	swim_config_default(&c);
	ASSERT_NULL(swim_new(&c, &me, 1)); /* no address */
	wire_addr_parse("127.0.0.1:1", &me.addr);
	c.probe_timeout_ms = c.probe_interval_ms;
	ASSERT_NULL(swim_new(&c, &me, 1));
	swim_config_default(&c);
	ASSERT_NULL(swim_free(swim_new(&c, &me, 1)));
	ASSERT_STR_EQ(swim_state_to_string(SWIM_SUSPECT), "suspect");
	ASSERT_STR_EQ(swim_event_type_to_string(SWIM_EV_RULES), "rules");
	ASSERT_NULL(swim_state_to_string(_SWIM_STATE_MAX));
}

int
main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"probe and ack", test_probe_ack},
		{"indirect probe", test_indirect_probe},
		{"nack and local health", test_nack_and_health},
		{"suspicion and refutation", test_suspicion_refutation},
		{"crash declared dead", test_crash_declared_dead},
		{"confirmations shorten suspicion", test_confirmations},
		{"dissemination limit", test_dissemination_limit},
		{"join and leave", test_join_leave},
		{"join retries", test_join_retries},
		{"push-pull merge rules", test_push_pull_merge},
		{"boot generation", test_generation},
		{"status and rules digest", test_status_and_rules},
		{"metadata update", test_meta_update},
		{"expected load pushed", test_load_push},
		{"keyring operations", test_keyring_ops},
		{"bad configuration", test_bad_config},
	};

	return test_main(argc, argv, "swim", cases, ARRAY_SIZE(cases));
}
