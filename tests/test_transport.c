/*
 * net/transport: five gossip instances in this process, on one libev
 * loop, over real UDP and TCP on loopback (ports 17300-17304, the gossip
 * range): they join through a seed, see one another, see a stopped one
 * die, and survive a flood of forged, replayed, truncated and oversized
 * datagrams, every one of them counted and none reaching the core.
 *
 * Real time with compressed protocol timings; every wait polls with a
 * deadline, no assertion is about how fast.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/keyring.h"
#include "net/seal.h"
#include "net/transport.h"
#include "tests/lib/testlib.h"

#define N 5
#define PORT 17300

static struct ev_loop *loop;
static struct transport *tr[N];
static struct keyring keys;
static unsigned deaths[N];

static void
on_event(void *ctx, const struct swim_event *ev)
{
	size_t i = (size_t)(uintptr_t)ctx;

	if (ev->type == SWIM_EV_DEAD)
		deaths[i]++;
}

static struct wire_addr
addr(size_t i)
{
	struct wire_addr a;

	wire_addr_parse("127.0.0.1:1", &a);
	a.port = (uint16_t)(PORT + i);
	return a;
}

static int
start(size_t i, uint32_t generation)
{
	struct transport_conf c = {
		.loop = loop,
		.cluster = "test-cluster",
		.keys = &keys,
		.on_event = on_event,
		.ctx = (void *)(uintptr_t)i,
		.seed = 100 + i,
	};
	char name[8];
	struct wire_addr seed = addr(0);
	int r;

	swim_config_default(&c.swim);
	c.swim.probe_interval_ms = 100;
	c.swim.probe_timeout_ms = 40;
	c.swim.gossip_interval_ms = 20;
	c.swim.sync_interval_ms = 2000;
	c.swim.join_retry_ms = 100;
	snprintf(name, sizeof(name), "t%zu", i);
	c.self.name = name;
	c.self.id[0] = (uint8_t)(i + 1);
	c.self.id[15] = 0x42;
	c.self.addr = addr(i);
	c.self.generation = generation;
	c.listen = addr(i);
	r = transport_new(&c, &tr[i]);
	if (r < 0)
		return r;
	swim_join(transport_swim(tr[i]), util_now_ms(), &seed, 1);
	transport_kick(tr[i]);
	return 0;
}

static void
on_tick(struct ev_loop *l, ev_timer *w, int revents)
{
	ev_break(l, EVBREAK_ONE);
}

/* Runs the loop until COND() or the deadline; returns COND(). */
static bool
run_until(bool (*cond)(void), double seconds)
{
	ev_tstamp end = ev_now(loop) + seconds;

	while (!cond() && ev_now(loop) < end) {
		ev_timer t;

		/* never block longer than 50 ms without checking */
		ev_timer_init(&t, on_tick, 0.05, 0.0);
		ev_timer_start(loop, &t);
		ev_run(loop, EVRUN_ONCE);
		ev_timer_stop(loop, &t);
	}
	return cond();
}

static bool
all_see_all(void)
{
	size_t i;

	for (i = 0; i < N; i++)
		if (tr[i] && swim_nlive(transport_swim(tr[i])) != N)
			return false;
	return true;
}

static bool
all_see_one_gone(void)
{
	size_t i;

	for (i = 0; i < N - 1; i++)
		if (swim_nlive(transport_swim(tr[i])) != N - 1)
			return false;
	return true;
}

static void
flood(void)
{
	struct sockaddr_in to = {.sin_family = AF_INET,
				 .sin_port = htons(PORT + 1)};
	static const uint8_t intruder[WIRE_ID_SIZE] = {0xee};
	static const uint8_t outsider[WIRE_ID_SIZE] = {0xef};
	uint8_t good[WIRE_DGRAM_MAX], bad[WIRE_DGRAM_MAX + 100];
	struct keyring other = {0};
	uint8_t k[KEYRING_KEY_SIZE];
	struct seal *ours, *theirs;
	ssize_t glen;
	int fd = socket(AF_INET, SOCK_DGRAM, 0), i;
	const struct seal_counters *sc = transport_seal_counters(tr[1]);
	uint64_t drops0 = 0, drops1 = 0, opened0 = sc->opened;
	struct seal_counters before = *sc;

	for (i = 0; i < _SEAL_DROP_MAX; i++)
		drops0 += sc->drops[i];
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	memset(k, 0x99, sizeof(k));
	keyring_install(&other, k);
	ours = seal_new("test-cluster", intruder, 1, &keys);
	theirs = seal_new("test-cluster", outsider, 1, &other);
	/* one genuine packet from an unknown sender, to replay: its body is
	 * not a valid gossip body either (decode drop once opened) */
	glen = seal_seal(ours, WIRE_T_GOSSIP, "junk", 4, good, sizeof(good));
	ASSERT_TRUE(glen > 0);
	sendto(fd, good, (size_t)glen, 0, (struct sockaddr *)&to, sizeof(to));
	for (i = 0; i < 10000; i++) {
		size_t len;

		switch (i % 5) {
		case 0: /* replay */
			memcpy(bad, good, (size_t)glen);
			len = (size_t)glen;
			break;
		case 1: /* truncated */
			memcpy(bad, good, (size_t)glen);
			len = (size_t)(i % glen);
			break;
		case 2: /* oversized */
			memset(bad, i & 0xff, sizeof(bad));
			len = sizeof(bad);
			break;
		case 3: /* forged: sealed with a key outside the cluster */
			len = (size_t)seal_seal(theirs, WIRE_T_GOSSIP, "x", 1,
						bad, sizeof(bad));
			break;
		default: /* flipped tag */
			memcpy(bad, good, (size_t)glen);
			bad[glen - 1] ^= 1;
			len = (size_t)glen;
			break;
		}
		sendto(fd, bad, len, 0, (struct sockaddr *)&to, sizeof(to));
		/* paced so that the kernel buffer never overflows: every
		 * datagram must reach the checks */
		if (i % 32 == 31)
			ev_run(loop, EVRUN_NOWAIT);
	}
	close(fd);
	seal_free(ours);
	seal_free(theirs);
	/* let the loop drain the socket */
	{
		ev_tstamp end = ev_now(loop) + 2.0;

		while (ev_now(loop) < end) {
			drops1 = 0;
			for (i = 0; i < _SEAL_DROP_MAX; i++)
				drops1 += sc->drops[i];
			if (drops1 - drops0 >= 10001)
				break;
			ev_run(loop, EVRUN_ONCE);
		}
	}
	/* all 10 000 refused, by reason; the genuine one opened but refused
	 * by the decoder.  Flipped tags reuse a seen sequence number: the
	 * replay window refuses them before any cryptography. */
#define D(r) (sc->drops[r] - before.drops[r])
	ASSERT_INT_EQ(drops1 - drops0, 10001);
	ASSERT_INT_EQ(D(SEAL_DROP_REPLAY), 4000);
	ASSERT_INT_EQ(D(SEAL_DROP_AUTH), 2000);
	ASSERT_INT_EQ(D(SEAL_DROP_OVERSIZE), 2000);
	ASSERT_INT_EQ(D(SEAL_DROP_SHORT) + D(SEAL_DROP_LENGTH), 2000);
	ASSERT_INT_EQ(D(SEAL_DROP_DECODE), 1);
#undef D
	ASSERT_TRUE(sc->opened - opened0 >= 1);
}

static void
test_cluster(void)
{
	size_t i;
	int r;

	loop = ev_default_loop(0);
	memset(&keys, 0, sizeof(keys));
	{
		uint8_t k[KEYRING_KEY_SIZE];

		memset(k, 0x11, sizeof(k));
		keyring_install(&keys, k);
	}
	for (i = 0; i < N; i++) {
		r = start(i, 1);
		if (r == -EADDRINUSE) {
			fprintf(stderr, "port %d in use, skipped\n",
				(int)(PORT + i));
			goto out;
		}
		ASSERT_INT_EQ(r, 0);
	}
	ASSERT_TRUE(run_until(all_see_all, 20.0));
	for (i = 0; i < N; i++)
		ASSERT_INT_EQ(deaths[i], 0);
	flood();
	ASSERT_TRUE(run_until(all_see_all, 5.0));
	/* instance 4 stops without a word: the others declare it dead */
	tr[N - 1] = transport_free(tr[N - 1]);
	ASSERT_TRUE(run_until(all_see_one_gone, 30.0));
	for (i = 0; i < N - 1; i++) {
		ASSERT_INT_EQ(deaths[i], 1);
		ASSERT_TRUE(transport_counters(tr[i])->dgrams_in > 0);
	}
	ASSERT_TRUE(transport_counters(tr[0])->syncs_in > 0);
	/* it restarts with the next boot generation and is back everywhere */
	ASSERT_INT_EQ(start(N - 1, 2), 0);
	ASSERT_TRUE(run_until(all_see_all, 20.0));
out:
	for (i = 0; i < N; i++)
		tr[i] = transport_free(tr[i]);
}

/* ------------------------------------------------------------ commands */

static int cmd_err = 1;
static char cmd_reply[64];
static uint8_t cmd_sender;

static void
on_command(void *ctx, const uint8_t *sender, const uint8_t *body,
	   size_t len, struct strbuf *reply)
{
	(void)ctx;
	cmd_sender = sender[0];
	strbuf_adds(reply, "re:");
	strbuf_add(reply, body, len);
}

static void
on_reply(void *arg, int err, const uint8_t *body, size_t len)
{
	cmd_err = err;
	snprintf(cmd_reply, sizeof(cmd_reply), "%.*s", (int)len,
		 body ? (const char *)body : "");
	*(int *)arg += 1;
}

static int replies;

static bool
got_reply(void)
{
	return replies > 0;
}

static void
test_command(void)
{
	struct transport_conf c = {
		.loop = ev_default_loop(0),
		.cluster = "test-cluster",
		.keys = &keys,
		.on_command = on_command,
	};
	struct transport *a = NULL, *b = NULL;
	struct wire_addr dead = addr(12);

	loop = c.loop;
	memset(&keys, 0, sizeof(keys));
	{
		uint8_t k[KEYRING_KEY_SIZE];

		memset(k, 0x22, sizeof(k));
		keyring_install(&keys, k);
	}
	swim_config_default(&c.swim);
	c.self.name = "a";
	c.self.id[0] = 0xa;
	c.self.addr = c.listen = addr(10);
	c.self.generation = 1;
	if (transport_new(&c, &a) == -EADDRINUSE) {
		fprintf(stderr, "port in use, skipped\n");
		return;
	}
	c.self.name = "b";
	c.self.id[0] = 0xb;
	c.self.addr = c.listen = addr(11);
	ASSERT_INT_EQ(transport_new(&c, &b), 0);
	/* a asks b: the answer comes back through the loop, once */
	ASSERT_INT_EQ(transport_command(a, &c.listen, "ping", 4, on_reply,
					&replies),
		      0);
	ASSERT_INT_EQ(replies, 0);
	ASSERT_TRUE(run_until(got_reply, 5.0));
	ASSERT_INT_EQ(replies, 1);
	ASSERT_INT_EQ(cmd_err, 0);
	ASSERT_STR_EQ(cmd_reply, "re:ping");
	ASSERT_INT_EQ(cmd_sender, 0xa);
	ASSERT_INT_EQ(transport_counters(b)->cmds_in, 1);
	/* nobody listens there: a failure, reported once */
	replies = 0;
	ASSERT_INT_EQ(transport_command(a, &dead, "x", 1, on_reply, &replies),
		      0);
	ASSERT_TRUE(run_until(got_reply, 5.0));
	ASSERT_INT_EQ(replies, 1);
	ASSERT_INT_EQ(cmd_err, -ECOMM);
	ASSERT_INT_EQ(transport_counters(a)->cmd_failures, 1);
	/* a peer with another key cannot answer: a failure too */
	{
		struct keyring other = {0};
		uint8_t k[KEYRING_KEY_SIZE];

		memset(k, 0x33, sizeof(k));
		keyring_install(&other, k);
		transport_set_keyring(b, &other);
	}
	replies = 0;
	ASSERT_INT_EQ(transport_command(a, &c.listen, "ping", 4, on_reply,
					&replies),
		      0);
	ASSERT_TRUE(run_until(got_reply, 8.0));
	ASSERT_INT_EQ(cmd_err, -ECOMM);
	transport_free(a);
	transport_free(b);
}

static void
test_identity(void)
{
	const char *dir = test_tmpdir();
	uint8_t id1[WIRE_ID_SIZE], id2[WIRE_ID_SIZE];
	uint32_t g1 = 0, g2 = 0;

	ASSERT_INT_EQ(transport_identity(dir, id1, &g1), 0);
	ASSERT_INT_EQ(g1, 1);
	ASSERT_INT_EQ(transport_identity(dir, id2, &g2), 0);
	ASSERT_INT_EQ(g2, 2);
	ASSERT_TRUE(memcmp(id1, id2, WIRE_ID_SIZE) == 0);
	test_write_file(dir, "gossip-identity",
			"00112233445566778899aabbccddeeff 4294967295\n");
	ASSERT_INT_EQ(transport_identity(dir, id2, &g2), -EOVERFLOW);
	test_write_file(dir, "gossip-identity",
			"00112233445566778899aabbccddeeff 7\n");
	ASSERT_INT_EQ(transport_identity(dir, id2, &g2), 0);
	ASSERT_INT_EQ(g2, 8);
	ASSERT_INT_EQ(id2[15], 0xff);
	test_write_file(dir, "gossip-identity", "0011 7\n");
	ASSERT_INT_EQ(transport_identity(dir, id2, &g2), -EINVAL);
	test_write_file(dir, "gossip-identity",
			"00112233445566778899aabbccddeeff 7");
	ASSERT_INT_EQ(transport_identity(dir, id2, &g2), -EINVAL);
	test_write_file(dir, "gossip-identity",
			"0011223344556677889zaabbccddeeff 7\n");
	ASSERT_INT_EQ(transport_identity(dir, id2, &g2), -EINVAL);
	ASSERT_INT_EQ(g2, 8); /* untouched on failure */
	ASSERT_INT_EQ(transport_identity("/nonexistent/dir", id2, &g2),
		      -ENOENT);
}

static void
test_bad_conf(void)
{
	struct transport_conf c = {0};
	struct transport *t = NULL;
	struct keyring none = {0};

	c.loop = ev_default_loop(0);
	c.keys = &none;
	c.listen = addr(9);
	ASSERT_INT_EQ(transport_new(&c, &t), -EINVAL);
	ASSERT_NULL(t);
	ASSERT_NULL(transport_free(NULL));
}

int
main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"five instances on loopback", test_cluster},
		{"identity and boot generation", test_identity},
		{"peer commands", test_command},
		{"bad configuration", test_bad_conf},
	};

	return test_main(argc, argv, "transport", cases, ARRAY_SIZE(cases));
}
