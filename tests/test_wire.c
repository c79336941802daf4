/*
 * net/wire, net/seal, net/keyring: encodings round-trip, every malformed
 * input is refused for the right reason, keys rotate without a partition.
 */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "net/keyring.h"
#include "net/seal.h"
#include "net/wire.h"
#include "tests/lib/testlib.h"

static const uint8_t id_a[WIRE_ID_SIZE] = {1, 2, 3, 4, 5, 6, 7, 8,
					  9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t id_b[WIRE_ID_SIZE] = {0xb0, 0xb1, 0xb2, 0xb3};

static void
make_key(struct keyring *kr, uint8_t fill)
{
	uint8_t k[KEYRING_KEY_SIZE];

	memset(k, fill, sizeof(k));
	keyring_install(kr, k);
}

/* One message of each type, with every variable field used. */
static size_t
sample_msgs(struct wire_msg *m)
{
	size_t n = 0;

	memset(m, 0, sizeof(*m) * _WIRE_M_MAX);
	m[n].type = WIRE_M_PING;
	m[n].seq = 0x01020304;
	memcpy(m[n++].node, id_b, WIRE_ID_SIZE);
	m[n].type = WIRE_M_PING_REQ;
	m[n].seq = 7;
	memcpy(m[n].node, id_b, WIRE_ID_SIZE);
	wire_addr_parse("[::1]:7701", &m[n++].addr);
	m[n].type = WIRE_M_ACK;
	m[n++].seq = 0xfffffffe;
	m[n].type = WIRE_M_NACK;
	m[n++].seq = 9;
	m[n].type = WIRE_M_ALIVE;
	memcpy(m[n].node, id_a, WIRE_ID_SIZE);
	m[n].incarnation = 0x0000000300000002ull;
	wire_addr_parse("10.1.2.3:7700", &m[n].addr);
	m[n].name = "n1";
	m[n].name_len = 2;
	m[n].meta = (const uint8_t *)"machine=abc";
	m[n++].meta_len = 11;
	m[n].type = WIRE_M_SUSPECT;
	memcpy(m[n].node, id_b, WIRE_ID_SIZE);
	memcpy(m[n].from, id_a, WIRE_ID_SIZE);
	m[n++].incarnation = 5;
	m[n].type = WIRE_M_DEAD;
	memcpy(m[n].node, id_b, WIRE_ID_SIZE);
	memcpy(m[n].from, id_b, WIRE_ID_SIZE);
	m[n++].incarnation = 6;
	m[n].type = WIRE_M_KV;
	memcpy(m[n].node, id_a, WIRE_ID_SIZE);
	m[n].version = 42;
	m[n].key = "scada:hmi";
	m[n].key_len = 9;
	m[n].value = (const uint8_t *)"\x14RUNNING";
	m[n++].value_len = 8;
	m[n].type = WIRE_M_KEYRING;
	m[n].op_id = 77;
	m[n].op = WIRE_KEYRING_INSTALL;
	memset(m[n++].secret, 0x5a, WIRE_KEY_SIZE);
	m[n].type = WIRE_M_KEYRING_ACK;
	m[n].op_id = 77;
	m[n].result = -EEXIST;
	m[n].nfp = 2;
	memset(m[n].fp[0], 1, WIRE_FP_SIZE);
	memset(m[n++].fp[1], 2, WIRE_FP_SIZE);
	return n;
}

static size_t
sample_packet(uint8_t *buf, size_t cap)
{
	struct wire_msg m[_WIRE_M_MAX];
	struct wire_status st = {.load = 35, .cpu = 1234, .mem = 5000,
				 .kv_version = 99};
	struct wwriter w;
	size_t i, n = sample_msgs(m);

	memset(st.rules, 0xab, sizeof(st.rules));
	ww_init(&w, buf, cap);
	wire_status_put(&w, &st);
	for (i = 0; i < n; i++)
		ASSERT_INT_EQ(wire_msg_put(&w, &m[i]), 0);
	ASSERT_FALSE(w.err);
	return w.len;
}

static void
test_round_trip(void)
{
	struct wire_msg m[_WIRE_M_MAX];
	static struct wire_packet p;
	uint8_t buf[WIRE_BODY_MAX];
	size_t len = sample_packet(buf, sizeof(buf)), n = sample_msgs(m), i;

	ASSERT_INT_EQ(wire_packet_decode(buf, len, &p), 0);
	ASSERT_INT_EQ(p.nmsg, n);
	ASSERT_INT_EQ(p.status.load, 35);
	ASSERT_INT_EQ(p.status.cpu, 1234);
	ASSERT_INT_EQ(p.status.kv_version, 99);
	for (i = 0; i < n && i < p.nmsg; i++) {
		const struct wire_msg *a = &m[i], *b = &p.msg[i];

		ASSERT_INT_EQ(b->type, a->type);
		ASSERT_INT_EQ(wire_msg_size(b), wire_msg_size(a));
		ASSERT_INT_EQ(b->seq, a->seq);
		ASSERT_TRUE(memcmp(a->node, b->node, WIRE_ID_SIZE) == 0);
		ASSERT_TRUE(memcmp(a->from, b->from, WIRE_ID_SIZE) == 0);
		ASSERT_TRUE(a->incarnation == b->incarnation);
		ASSERT_TRUE(wire_addr_eq(&a->addr, &b->addr));
		ASSERT_INT_EQ(b->name_len, a->name_len);
		ASSERT_TRUE(a->name_len == 0 ||
			    memcmp(a->name, b->name, a->name_len) == 0);
		ASSERT_INT_EQ(b->meta_len, a->meta_len);
		ASSERT_INT_EQ(b->key_len, a->key_len);
		ASSERT_INT_EQ(b->value_len, a->value_len);
		ASSERT_TRUE(a->version == b->version && a->op == b->op);
		ASSERT_TRUE(a->op_id == b->op_id);
		ASSERT_INT_EQ(b->result, a->result);
		ASSERT_INT_EQ(b->nfp, a->nfp);
		ASSERT_TRUE(memcmp(a->secret, b->secret, WIRE_KEY_SIZE) == 0);
	}
	ASSERT_STR_EQ(wire_msg_type_to_string(WIRE_M_PING_REQ), "ping-req");
	ASSERT_NULL(wire_msg_type_to_string(0));
	ASSERT_INT_EQ(wire_keyring_op_from_string("USE"), WIRE_KEYRING_USE);
	ASSERT_INT_EQ(wire_keyring_op_from_string("rotate"), -EINVAL);
}

static void
test_truncations(void)
{
	static struct wire_packet p;
	uint8_t buf[WIRE_BODY_MAX], copy[WIRE_BODY_MAX + 1];
	size_t len = sample_packet(buf, sizeof(buf)), cut, ok = 0;

	/* Every prefix either ends on a message boundary (valid, fewer
	 * messages) or is refused: never a partial message. */
	for (cut = 0; cut < len; cut++) {
		uint8_t *heap = xmalloc(cut + 1);

		memcpy(heap, buf, cut);
		if (wire_packet_decode(heap, cut, &p) == 0)
			ok++;
		free(heap);
	}
	ASSERT_INT_EQ(ok, 10); /* the status alone, then 9 more boundaries */
	/* a trailing byte */
	memcpy(copy, buf, len);
	copy[len] = 0;
	ASSERT_INT_EQ(wire_packet_decode(copy, len + 1, &p), -EBADMSG);
	/* an unknown message type */
	memcpy(copy, buf, len);
	copy[WIRE_STATUS_SIZE] = _WIRE_M_MAX;
	ASSERT_INT_EQ(wire_packet_decode(copy, len, &p), -EBADMSG);
	copy[WIRE_STATUS_SIZE] = 0;
	ASSERT_INT_EQ(wire_packet_decode(copy, len, &p), -EBADMSG);
	/* a message length one too long, one too short */
	memcpy(copy, buf, len);
	copy[WIRE_STATUS_SIZE + 2]++;
	ASSERT_INT_EQ(wire_packet_decode(copy, len, &p), -EBADMSG);
	copy[WIRE_STATUS_SIZE + 2] -= 2;
	ASSERT_INT_EQ(wire_packet_decode(copy, len, &p), -EBADMSG);
}

static void
test_limits(void)
{
	static struct wire_packet p;
	struct wire_msg m = {.type = WIRE_M_ACK};
	struct wire_status st = {0};
	uint8_t buf[2048];
	struct wwriter w;
	size_t i;

	/* more than WIRE_MSGS_MAX messages */
	ww_init(&w, buf, sizeof(buf));
	wire_status_put(&w, &st);
	for (i = 0; i <= WIRE_MSGS_MAX; i++)
		ASSERT_INT_EQ(wire_msg_put(&w, &m), 0);
	ASSERT_INT_EQ(wire_packet_decode(buf, w.len, &p), -EBADMSG);
	/* a full fixed writer refuses and stays intact */
	ww_init(&w, buf, WIRE_STATUS_SIZE + 8);
	wire_status_put(&w, &st);
	ASSERT_INT_EQ(wire_msg_put(&w, &m), 0);
	ASSERT_INT_EQ(wire_msg_put(&w, &m), -ENOSPC);
	ASSERT_INT_EQ(w.len, WIRE_STATUS_SIZE + 7);
	ASSERT_FALSE(w.err);
	/* oversized fields are refused when encoding */
	m.type = WIRE_M_ALIVE;
	m.name = "x";
	m.name_len = WIRE_NAME_MAX + 1;
	ASSERT_INT_EQ(wire_msg_put(&w, &m), -EINVAL);
	/* and when decoding: a name over WIRE_NAME_MAX */
	ww_init(&w, buf, sizeof(buf));
	wire_status_put(&w, &st);
	ww_u8(&w, WIRE_M_ALIVE);
	ww_u16(&w, WIRE_ID_SIZE + 8 + 3 + 1 + 65 + 2);
	ww_bytes(&w, id_a, WIRE_ID_SIZE);
	ww_u64(&w, 1);
	ww_u8(&w, 0);
	ww_u16(&w, 1);
	ww_u8(&w, 65);
	for (i = 0; i < 65; i++)
		ww_u8(&w, 'a');
	ww_u16(&w, 0);
	ASSERT_INT_EQ(wire_packet_decode(buf, w.len, &p), -EBADMSG);
	/* a NUL inside a name: names and keys are C strings above */
	{
		struct wire_msg a = {.type = WIRE_M_ALIVE, .name = "ab",
				     .name_len = 2};
		size_t at;

		ww_init(&w, buf, sizeof(buf));
		wire_status_put(&w, &st);
		ASSERT_INT_EQ(wire_msg_put(&w, &a), 0);
		ASSERT_INT_EQ(wire_packet_decode(buf, w.len, &p), 0);
		at = w.len - 2 - 1; /* the 'b' before the meta length */
		ASSERT_INT_EQ(buf[at], 'b');
		buf[at] = '\0';
		ASSERT_INT_EQ(wire_packet_decode(buf, w.len, &p), -EBADMSG);
	}
	/* an address family we do not know */
	ww_init(&w, buf, sizeof(buf));
	wire_status_put(&w, &st);
	ww_u8(&w, WIRE_M_PING_REQ);
	ww_u16(&w, 4 + WIRE_ID_SIZE + 3);
	ww_u32(&w, 1);
	ww_bytes(&w, id_a, WIRE_ID_SIZE);
	ww_u8(&w, 5);
	ww_u16(&w, 1);
	ASSERT_INT_EQ(wire_packet_decode(buf, w.len, &p), -EBADMSG);
}

static void
test_addr(void)
{
	struct wire_addr a;
	char buf[64];

	ASSERT_INT_EQ(wire_addr_parse("127.0.0.1:7700", &a), 0);
	ASSERT_INT_EQ(a.family, 4);
	ASSERT_INT_EQ(a.port, 7700);
	ASSERT_STR_EQ(wire_addr_format(&a, buf, sizeof(buf)),
		      "127.0.0.1:7700");
	ASSERT_INT_EQ(wire_addr_parse("[fe80::1]:1", &a), 0);
	ASSERT_STR_EQ(wire_addr_format(&a, buf, sizeof(buf)), "[fe80::1]:1");
	ASSERT_INT_EQ(wire_addr_parse("127.0.0.1", &a), -EINVAL);
	ASSERT_INT_EQ(wire_addr_parse("127.0.0.1:0", &a), -EINVAL);
	ASSERT_INT_EQ(wire_addr_parse("127.0.0.1:65536", &a), -EINVAL);
	ASSERT_INT_EQ(wire_addr_parse("host:7700", &a), -EINVAL);
	ASSERT_INT_EQ(wire_addr_parse("[::1:7700", &a), -EINVAL);
	ASSERT_INT_EQ(wire_addr_parse(":7700", &a), -EINVAL);
}

static void
test_sync(void)
{
	struct wire_member m = {.incarnation = 9, .state = WIRE_SUSPECT,
				.name = "n2", .name_len = 2};
	struct wire_kv kv = {.version = 3, .key = "a:b", .key_len = 3,
			     .value = (const uint8_t *)"v", .value_len = 1};
	struct wire_sync s;
	struct wwriter w;
	size_t cut, ok = 0;

	memcpy(m.id, id_b, WIRE_ID_SIZE);
	wire_addr_parse("127.0.0.1:7701", &m.addr);
	m.status.load = 40;
	memcpy(kv.origin, id_b, WIRE_ID_SIZE);
	ww_init_growable(&w);
	wire_sync_begin(&w, true, 2, 1);
	wire_member_put(&w, &m);
	m.state = WIRE_LEFT;
	wire_member_put(&w, &m);
	wire_kv_put(&w, &kv);
	ASSERT_FALSE(w.err);
	ASSERT_INT_EQ(wire_sync_decode(w.p, w.len, &s), 0);
	ASSERT_TRUE(s.join);
	ASSERT_INT_EQ(s.nmembers, 2);
	ASSERT_INT_EQ(s.nkv, 1);
	ASSERT_INT_EQ(s.members[0].state, WIRE_SUSPECT);
	ASSERT_INT_EQ(s.members[1].state, WIRE_LEFT);
	ASSERT_INT_EQ(s.members[0].status.load, 40);
	ASSERT_TRUE(s.kv[0].version == 3 && s.kv[0].key_len == 3);
	wire_sync_free(&s);
	for (cut = 0; cut < w.len; cut++)
		if (wire_sync_decode(w.p, cut, &s) == 0) {
			ok++;
			wire_sync_free(&s);
		}
	ASSERT_INT_EQ(ok, 0);
	/* counts that the frame cannot hold are refused before allocating */
	ww_done(&w);
	ww_init_growable(&w);
	wire_sync_begin(&w, false, UINT32_MAX, UINT32_MAX);
	ASSERT_INT_EQ(wire_sync_decode(w.p, w.len, &s), -EBADMSG);
	ww_done(&w);
}

/* ------------------------------------------------------------ seal */

static ssize_t
seal_one(struct seal *s, const char *text, uint8_t *out)
{
	return seal_seal(s, WIRE_T_GOSSIP, text, strlen(text), out,
			 WIRE_DGRAM_MAX);
}

static void
test_seal_open(void)
{
	struct keyring kr = {0};
	struct seal *a, *b;
	struct wire_header h;
	enum seal_drop why = _SEAL_DROP_MAX;
	uint8_t pkt[WIRE_DGRAM_MAX], body[WIRE_DGRAM_MAX];
	ssize_t n, m;

	make_key(&kr, 1);
	a = seal_new("plant-a", id_a, 3, &kr);
	b = seal_new("plant-a", id_b, 1, &kr);
	ASSERT_NOT_NULL(a);
	ASSERT_NOT_NULL(b);
	n = seal_one(a, "hello", pkt);
	ASSERT_INT_EQ(n, 5 + WIRE_OVERHEAD);
	m = seal_open(b, SEAL_DGRAM, pkt, (size_t)n, &h, body, sizeof(body),
		      NULL);
	ASSERT_INT_EQ(m, 5);
	ASSERT_TRUE(memcmp(body, "hello", 5) == 0);
	ASSERT_INT_EQ(h.generation, 3);
	ASSERT_INT_EQ(h.seq, 1);
	ASSERT_TRUE(memcmp(h.sender, id_a, WIRE_ID_SIZE) == 0);
	/* replay */
	ASSERT_INT_EQ(seal_open(b, SEAL_DGRAM, pkt, (size_t)n, &h, body,
				sizeof(body), &why), -EBADMSG);
	ASSERT_INT_EQ(why, SEAL_DROP_REPLAY);
	/* reflection of our own packet */
	ASSERT_INT_EQ(seal_open(a, SEAL_DGRAM, pkt, (size_t)n, &h, body,
				sizeof(body), &why), -EBADMSG);
	ASSERT_INT_EQ(why, SEAL_DROP_SELF);
	/* a datagram type on the stream channel */
	ASSERT_INT_EQ(seal_open(b, SEAL_STREAM, pkt, (size_t)n, &h, body,
				sizeof(body), &why), -EBADMSG);
	ASSERT_INT_EQ(why, SEAL_DROP_TYPE);
	ASSERT_INT_EQ(seal_counters(b)->drops[SEAL_DROP_REPLAY], 1);
	ASSERT_INT_EQ(seal_counters(b)->opened, 1);
	/* no key: nothing is sealed */
	{
		struct keyring none = {0};
		struct seal *c = seal_new("plant-a", id_b, 1, &none);

		ASSERT_INT_EQ(seal_one(c, "x", pkt), -ENOKEY);
		seal_free(c);
	}
	ASSERT_NULL(seal_new("", id_a, 1, &kr));
	seal_free(a);
	seal_free(b);
	ASSERT_NULL(seal_free(NULL));
}

static void
test_seal_checks(void)
{
	struct keyring kr = {0}, other = {0};
	struct seal *a, *b, *c, *d;
	enum seal_drop why;
	uint8_t pkt[WIRE_DGRAM_MAX + 8], bad[WIRE_DGRAM_MAX + 8];
	uint8_t body[WIRE_FRAME_MAX / 1024];
	ssize_t n;
	size_t cut, i;

	make_key(&kr, 1);
	make_key(&other, 2);
	a = seal_new("plant-a", id_a, 1, &kr);
	b = seal_new("plant-a", id_b, 1, &kr);
	c = seal_new("plant-a", id_b, 1, &other); /* wrong key */
	d = seal_new("plant-b", id_b, 1, &kr);    /* wrong cluster */
	n = seal_one(a, "payload", pkt);
	ASSERT_TRUE(n > 0);
#define EXPECT(s, p, len, reason)                                              \
	do {                                                                   \
		why = _SEAL_DROP_MAX;                                          \
		ASSERT_INT_EQ(seal_open(s, SEAL_DGRAM, p, len, NULL, body,     \
					sizeof(body), &why),                   \
			      -EBADMSG);                                       \
		ASSERT_INT_EQ(why, reason);                                    \
	} while (0)
	EXPECT(c, pkt, (size_t)n, SEAL_DROP_AUTH);
	EXPECT(d, pkt, (size_t)n, SEAL_DROP_AUTH);
	/* every truncation */
	for (cut = 0; cut < (size_t)n; cut++) {
		why = _SEAL_DROP_MAX;
		ASSERT_INT_EQ(seal_open(b, SEAL_DGRAM, pkt, cut, NULL, body,
					sizeof(body), &why), -EBADMSG);
		ASSERT_TRUE(why == SEAL_DROP_SHORT || why == SEAL_DROP_LENGTH);
	}
	/* every single-bit flip anywhere: refused, never opened */
	for (i = 0; i < (size_t)n * 8; i++) {
		memcpy(bad, pkt, (size_t)n);
		bad[i / 8] ^= (uint8_t)(1u << (i % 8));
		ASSERT_TRUE(seal_open(b, SEAL_DGRAM, bad, (size_t)n, NULL,
				      body, sizeof(body), NULL) == -EBADMSG);
	}
	memcpy(bad, pkt, (size_t)n);
	bad[0] = 'X';
	EXPECT(b, bad, (size_t)n, SEAL_DROP_MAGIC);
	memcpy(bad, pkt, (size_t)n);
	bad[4] = WIRE_VERSION + 1;
	EXPECT(b, bad, (size_t)n, SEAL_DROP_VERSION);
	memcpy(bad, pkt, (size_t)n);
	bad[5] = 0;
	EXPECT(b, bad, (size_t)n, SEAL_DROP_TYPE);
	bad[5] = _WIRE_T_MAX;
	EXPECT(b, bad, (size_t)n, SEAL_DROP_TYPE);
	memcpy(bad, pkt, (size_t)n);
	bad[7] = 1;
	EXPECT(b, bad, (size_t)n, SEAL_DROP_FLAGS);
	memcpy(bad, pkt, (size_t)n);
	bad[11]++;
	EXPECT(b, bad, (size_t)n, SEAL_DROP_LENGTH);
	memcpy(bad, pkt, (size_t)n);
	bad[8] = 0x7f;
	EXPECT(b, bad, (size_t)n, SEAL_DROP_OVERSIZE);
	/* forged tag */
	memcpy(bad, pkt, (size_t)n);
	bad[n - 1] ^= 0x80;
	EXPECT(b, bad, (size_t)n, SEAL_DROP_AUTH);
	/* oversize datagram */
	memset(bad, 0, sizeof(bad));
	EXPECT(b, bad, WIRE_DGRAM_MAX + 1, SEAL_DROP_OVERSIZE);
	ASSERT_INT_EQ(seal_seal(a, WIRE_T_GOSSIP, body, WIRE_BODY_MAX + 1, bad,
				sizeof(bad)), -EMSGSIZE);
	ASSERT_INT_EQ(seal_seal(a, WIRE_T_GOSSIP, body, WIRE_BODY_MAX, bad,
				sizeof(bad)), WIRE_DGRAM_MAX);
	/* after all that, the genuine packet still opens once */
	ASSERT_INT_EQ(seal_open(b, SEAL_DGRAM, pkt, (size_t)n, NULL, body,
				sizeof(body), NULL), 7);
	ASSERT_INT_EQ(seal_counters(b)->opened, 1);
#undef EXPECT
	seal_free(a);
	seal_free(b);
	seal_free(c);
	seal_free(d);
}

static void
test_replay_window(void)
{
	struct keyring kr = {0};
	struct seal *a, *a2, *b;
	static uint8_t pkts[SEAL_WINDOW + 8][WIRE_OVERHEAD + 1];
	uint8_t body[8], newer[WIRE_OVERHEAD + 1];
	enum seal_drop why;
	size_t i, len = WIRE_OVERHEAD + 1;

	make_key(&kr, 1);
	a = seal_new("c", id_a, 5, &kr);
	b = seal_new("c", id_b, 1, &kr);
	for (i = 0; i < ARRAY_SIZE(pkts); i++)
		ASSERT_INT_EQ(seal_seal(a, WIRE_T_GOSSIP, "x", 1, pkts[i],
					sizeof(pkts[i])), (ssize_t)len);
	/* out of order inside the window: accepted once each */
	ASSERT_INT_EQ(seal_open(b, SEAL_DGRAM, pkts[10], len, NULL, body,
				sizeof(body), NULL), 1);
	ASSERT_INT_EQ(seal_open(b, SEAL_DGRAM, pkts[3], len, NULL, body,
				sizeof(body), NULL), 1);
	ASSERT_INT_EQ(seal_open(b, SEAL_DGRAM, pkts[3], len, NULL, body,
				sizeof(body), &why), -EBADMSG);
	ASSERT_INT_EQ(why, SEAL_DROP_REPLAY);
	/* jump ahead by more than the window: old ones fall out */
	ASSERT_INT_EQ(seal_open(b, SEAL_DGRAM, pkts[SEAL_WINDOW + 7], len,
				NULL, body, sizeof(body), NULL), 1);
	ASSERT_INT_EQ(seal_open(b, SEAL_DGRAM, pkts[4], len, NULL, body,
				sizeof(body), &why), -EBADMSG);
	ASSERT_INT_EQ(why, SEAL_DROP_REPLAY);
	ASSERT_INT_EQ(seal_open(b, SEAL_DGRAM, pkts[SEAL_WINDOW + 6], len,
				NULL, body, sizeof(body), NULL), 1);
	ASSERT_INT_EQ(seal_open(b, SEAL_DGRAM, pkts[8], len, NULL, body,
				sizeof(body), NULL), 1);
	/* a restart with a higher generation resets the window; the older
	 * generation is then stale */
	a2 = seal_new("c", id_a, 6, &kr);
	ASSERT_INT_EQ(seal_seal(a2, WIRE_T_GOSSIP, "y", 1, newer,
				sizeof(newer)), (ssize_t)len);
	ASSERT_INT_EQ(seal_open(b, SEAL_DGRAM, newer, len, NULL, body,
				sizeof(body), NULL), 1);
	ASSERT_INT_EQ(seal_open(b, SEAL_DGRAM, pkts[SEAL_WINDOW + 5], len,
				NULL, body, sizeof(body), &why), -EBADMSG);
	ASSERT_INT_EQ(why, SEAL_DROP_STALE);
	seal_free(a);
	seal_free(a2);
	seal_free(b);
}

static void
test_many_senders(void)
{
	struct keyring kr = {0};
	struct seal *b, *a;
	uint8_t id[WIRE_ID_SIZE] = {0}, pkt[WIRE_OVERHEAD + 1], body[4];
	size_t i, opened = 0;

	make_key(&kr, 1);
	b = seal_new("c", id_b, 1, &kr);
	/* more senders than the table keeps: eviction, never a failure */
	for (i = 0; i < SEAL_PEERS_MAX + 100; i++) {
		memcpy(id + 4, &i, sizeof(i));
		a = seal_new("c", id, 1, &kr);
		seal_seal(a, WIRE_T_GOSSIP, "z", 1, pkt, sizeof(pkt));
		if (seal_open(b, SEAL_DGRAM, pkt, sizeof(pkt), NULL, body,
			      sizeof(body), NULL) == 1)
			opened++;
		seal_free(a);
	}
	ASSERT_INT_EQ(opened, SEAL_PEERS_MAX + 100);
	seal_free(b);
}

static void
test_stream_frames(void)
{
	struct keyring kr = {0};
	struct seal *a, *b;
	size_t big = 100000;
	uint8_t *body = xcalloc(1, big), *frame = xmalloc(big + WIRE_OVERHEAD);
	uint8_t *out = xmalloc(big);
	ssize_t n;

	make_key(&kr, 1);
	a = seal_new("c", id_a, 1, &kr);
	b = seal_new("c", id_b, 1, &kr);
	n = seal_seal(a, WIRE_T_SYNC, body, big, frame, big + WIRE_OVERHEAD);
	ASSERT_INT_EQ(n, big + WIRE_OVERHEAD);
	ASSERT_INT_EQ(seal_frame_size(frame), n);
	ASSERT_INT_EQ(seal_open(b, SEAL_STREAM, frame, (size_t)n, NULL, out,
				big, NULL), big);
	/* a frame is never accepted as a datagram */
	ASSERT_INT_EQ(seal_open(b, SEAL_DGRAM, frame, (size_t)n, NULL, out,
				big, NULL), -EBADMSG);
	frame[0] = 0;
	ASSERT_INT_EQ(seal_frame_size(frame), -EBADMSG);
	ASSERT_INT_EQ(seal_seal(a, WIRE_T_GOSSIP, body, big, frame,
				big + WIRE_OVERHEAD), -EMSGSIZE);
	seal_free(a);
	seal_free(b);
	free(body);
	free(frame);
	free(out);
}

/* ------------------------------------------------------------ keyring */

static void
test_rotation(void)
{
	struct keyring ka = {0}, kb = {0};
	uint8_t k1[KEYRING_KEY_SIZE], k2[KEYRING_KEY_SIZE], pkt[128], body[8];
	struct seal *a, *b;
	ssize_t n;

	memset(k1, 1, sizeof(k1));
	memset(k2, 2, sizeof(k2));
	keyring_install(&ka, k1);
	keyring_install(&kb, k1);
	a = seal_new("c", id_a, 1, &ka);
	b = seal_new("c", id_b, 1, &kb);
	/* install k2 on b only: both still talk through k1 */
	ASSERT_INT_EQ(keyring_install(&kb, k2), 0);
	ASSERT_INT_EQ(keyring_install(&kb, k2), -EEXIST);
	seal_set_keyring(b, &kb);
	/* use k2 on b: b seals with k2, which a cannot open yet */
	ASSERT_INT_EQ(keyring_use(&kb, k2), 0);
	ASSERT_INT_EQ(keyring_find(&kb, k2), 0);
	seal_set_keyring(b, &kb);
	n = seal_seal(b, WIRE_T_GOSSIP, "b", 1, pkt, sizeof(pkt));
	ASSERT_INT_EQ(seal_open(a, SEAL_DGRAM, pkt, (size_t)n, NULL, body,
				sizeof(body), NULL), -EBADMSG);
	/* a installs k2 (still sealing with k1): both directions open */
	ASSERT_INT_EQ(keyring_install(&ka, k2), 0);
	seal_set_keyring(a, &ka);
	n = seal_seal(b, WIRE_T_GOSSIP, "b", 1, pkt, sizeof(pkt));
	ASSERT_INT_EQ(seal_open(a, SEAL_DGRAM, pkt, (size_t)n, NULL, body,
				sizeof(body), NULL), 1);
	n = seal_seal(a, WIRE_T_GOSSIP, "a", 1, pkt, sizeof(pkt));
	ASSERT_INT_EQ(seal_open(b, SEAL_DGRAM, pkt, (size_t)n, NULL, body,
				sizeof(body), NULL), 1);
	/* the primary cannot be removed; the old key can, once unused */
	ASSERT_INT_EQ(keyring_remove(&kb, k2), -EBUSY);
	ASSERT_INT_EQ(keyring_use(&ka, k2), 0);
	ASSERT_INT_EQ(keyring_remove(&ka, k1), 0);
	ASSERT_INT_EQ(keyring_remove(&kb, k1), 0);
	ASSERT_INT_EQ(keyring_remove(&kb, k1), -ENOENT);
	ASSERT_INT_EQ(keyring_use(&kb, k1), -ENOENT);
	seal_set_keyring(a, &ka);
	seal_set_keyring(b, &kb);
	n = seal_seal(a, WIRE_T_GOSSIP, "a", 1, pkt, sizeof(pkt));
	ASSERT_INT_EQ(seal_open(b, SEAL_DGRAM, pkt, (size_t)n, NULL, body,
				sizeof(body), NULL), 1);
	ASSERT_INT_EQ(ka.n, 1);
	seal_free(a);
	seal_free(b);
	/* the same steps as they arrive from the cluster */
	{
		uint8_t fp[KEYRING_MAX][KEYRING_FP_SIZE], want[KEYRING_FP_SIZE];
		size_t nfp = 0;

		ASSERT_INT_EQ(keyring_apply(&ka, WIRE_KEYRING_INSTALL, k1, fp,
					    &nfp), 0);
		ASSERT_INT_EQ(nfp, 2);
		ASSERT_INT_EQ(keyring_apply(&ka, WIRE_KEYRING_INSTALL, k1, fp,
					    &nfp), -EEXIST);
		ASSERT_INT_EQ(keyring_apply(&ka, WIRE_KEYRING_USE, k1, fp,
					    &nfp), 0);
		keyring_fingerprint(k1, want);
		ASSERT_TRUE(memcmp(fp[0], want, sizeof(want)) == 0);
		ASSERT_INT_EQ(keyring_apply(&ka, WIRE_KEYRING_REMOVE, k1, fp,
					    &nfp), -EBUSY);
		ASSERT_INT_EQ(keyring_apply(&ka, WIRE_KEYRING_LIST, k1, fp,
					    &nfp), 0);
		ASSERT_INT_EQ(nfp, 2);
		ASSERT_INT_EQ(keyring_apply(&ka, 99, k1, fp, &nfp), -EINVAL);
	}
}

static void
test_keyfile(void)
{
	const char *dir = test_tmpdir(), *path;
	char k1[KEYRING_B64_SIZE], k2[KEYRING_B64_SIZE], buf[256], fp[17];
	struct keyring kr = {0}, back = {0};
	unsigned line = 99;
	uint8_t key[KEYRING_KEY_SIZE];

	keyring_generate(k1);
	keyring_generate(k2);
	ASSERT_INT_EQ(strlen(k1), 44);
	ASSERT_TRUE(strcmp(k1, k2) != 0);
	ASSERT_INT_EQ(keyring_key_decode(k1, 44, key), 0);
	ASSERT_INT_EQ(keyring_key_decode(k1, 43, key), -EINVAL);
	ASSERT_INT_EQ(keyring_key_decode("AAAA", 4, key), -EINVAL);
	/* 33 bytes in 44 characters */
	ASSERT_INT_EQ(keyring_key_decode(
			      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 44,
			      key), -EINVAL);
	keyring_fingerprint_hex(key, fp);
	ASSERT_INT_EQ(strlen(fp), 16);

	snprintf(buf, sizeof(buf), "%s\n%s\n", k1, k2);
	ASSERT_INT_EQ(keyring_parse(buf, strlen(buf), &kr, &line), 0);
	ASSERT_INT_EQ(kr.n, 2);
	ASSERT_INT_EQ(keyring_parse(buf, strlen(buf) - 1, &kr, &line),
		      -EINVAL);
	ASSERT_INT_EQ(line, 2); /* no final newline */
	snprintf(buf, sizeof(buf), "%s\n\n", k1);
	ASSERT_INT_EQ(keyring_parse(buf, strlen(buf), &back, &line), -EINVAL);
	ASSERT_INT_EQ(line, 2);
	snprintf(buf, sizeof(buf), "%s\n%s\n", k1, k1);
	ASSERT_INT_EQ(keyring_parse(buf, strlen(buf), &back, &line), -EINVAL);
	ASSERT_INT_EQ(line, 2);
	snprintf(buf, sizeof(buf), " %s\n", k1);
	ASSERT_INT_EQ(keyring_parse(buf, strlen(buf), &back, &line), -EINVAL);
	ASSERT_INT_EQ(line, 1);
	ASSERT_INT_EQ(keyring_parse("", 0, &back, &line), -EINVAL);
	ASSERT_INT_EQ(line, 0);

	path = xasprintf("%s/cluster.key", dir);
	ASSERT_INT_EQ(keyring_save(path, &kr), 0);
	ASSERT_INT_EQ(keyring_load(path, &back, &line), 0);
	ASSERT_INT_EQ(back.n, 2);
	ASSERT_TRUE(memcmp(&back, &kr, sizeof(kr)) == 0);
	chmod(path, 0640);
	ASSERT_INT_EQ(keyring_load(path, &back, &line), -EPERM);
	ASSERT_INT_EQ(keyring_load("/nonexistent/key", &back, &line), -ENOENT);
	ASSERT_INT_EQ(keyring_load(dir, &back, &line), -EINVAL);
	/* no key file on loopback: a key from the name, one per cluster */
	keyring_loopback("plant-a", &kr);
	keyring_loopback("plant-a", &back);
	ASSERT_INT_EQ(kr.n, 1);
	ASSERT_TRUE(memcmp(&kr, &back, sizeof(kr)) == 0);
	keyring_loopback("plant-b", &back);
	ASSERT_FALSE(memcmp(kr.keys[0], back.keys[0], KEYRING_KEY_SIZE) == 0);
	free((char *)path);
}

int
main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"round trip of every message", test_round_trip},
		{"every truncation and bad length", test_truncations},
		{"limits and oversize", test_limits},
		{"addresses", test_addr},
		{"push-pull frames", test_sync},
		{"seal and open", test_seal_open},
		{"header checks, forgery, wrong key, wrong cluster",
		 test_seal_checks},
		{"replay window", test_replay_window},
		{"many senders", test_many_senders},
		{"stream frames", test_stream_frames},
		{"keyring rotation", test_rotation},
		{"key files", test_keyfile},
	};

	return test_main(argc, argv, "wire", cases, ARRAY_SIZE(cases));
}
