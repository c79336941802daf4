/*
 * core/cluster_keyring: the pure parts of cluster-wide key rotation: how
 * a key is named (key or fingerprint prefix), the POST body, and one
 * instance's idempotent step.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/cluster_keyring.h"
#include "core/util.h"
#include "net/keyring.h"
#include "net/wire.h"
#include "tests/lib/testlib.h"

/* Deterministic keys: byte 0 and 1 from N, the rest fixed. */
static void
key_n(unsigned n, uint8_t key[KEYRING_KEY_SIZE])
{
	memset(key, 0x5a, KEYRING_KEY_SIZE);
	key[0] = (uint8_t)n;
	key[1] = (uint8_t)(n >> 8);
	key[2] = (uint8_t)(n >> 16);
}

static void
ring(struct keyring *kr, unsigned n)
{
	memset(kr, 0, sizeof(*kr));
	for (unsigned i = 0; i < n; i++)
		key_n(i, kr->keys[kr->n++]);
}

static void
test_resolve(void)
{
	struct keyring kr;
	uint8_t key[KEYRING_KEY_SIZE], out[KEYRING_KEY_SIZE];
	char b64[KEYRING_B64_SIZE], hex[2 * KEYRING_FP_SIZE + 1], s[64];

	ring(&kr, 3);
	/* the key itself, blanks around it as a file gives it */
	key_n(7, key);
	keyring_key_encode(key, b64);
	snprintf(s, sizeof(s), " %s\n", b64);
	ASSERT_INT_EQ(cluster_keyring_resolve(&kr, s, strlen(s), out), 0);
	ASSERT_TRUE(memcmp(out, key, sizeof(key)) == 0);
	/* a whole fingerprint, a prefix, upper case */
	keyring_fingerprint_hex(kr.keys[1], hex);
	ASSERT_INT_EQ(cluster_keyring_resolve(&kr, hex, strlen(hex), out), 0);
	ASSERT_TRUE(memcmp(out, kr.keys[1], sizeof(key)) == 0);
	memset(out, 0, sizeof(out));
	ASSERT_INT_EQ(cluster_keyring_resolve(&kr, hex, 8, out), 0);
	ASSERT_TRUE(memcmp(out, kr.keys[1], sizeof(key)) == 0);
	for (char *p = hex; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	ASSERT_INT_EQ(cluster_keyring_resolve(&kr, hex, strlen(hex), out), 0);
	ASSERT_TRUE(memcmp(out, kr.keys[1], sizeof(key)) == 0);
	/* not a name of anything */
	ASSERT_INT_EQ(cluster_keyring_resolve(&kr, hex, 3, out), -EINVAL);
	ASSERT_INT_EQ(cluster_keyring_resolve(&kr, "", 0, out), -EINVAL);
	ASSERT_INT_EQ(cluster_keyring_resolve(&kr, "abcdefgh", 8, out),
		      -EINVAL);
	ASSERT_INT_EQ(cluster_keyring_resolve(&kr, "0123456789abcdef0", 17,
					      out),
		      -EINVAL);
	b64[10] = '*';
	ASSERT_INT_EQ(cluster_keyring_resolve(&kr, b64, strlen(b64), out),
		      -EINVAL);
	/* a fingerprint of a key not held */
	keyring_fingerprint_hex(key, hex);
	ASSERT_INT_EQ(cluster_keyring_resolve(&kr, hex, strlen(hex), out),
		      -ENOENT);
}

/* Two keys whose fingerprints share their first 4 hex digits: a short
 * prefix is ambiguous, a longer one is not. */
static void
test_resolve_ambiguous(void)
{
	struct keyring kr;
	char h0[2 * KEYRING_FP_SIZE + 1], h[2 * KEYRING_FP_SIZE + 1];
	uint8_t out[KEYRING_KEY_SIZE];
	unsigned n;

	ring(&kr, 1);
	keyring_fingerprint_hex(kr.keys[0], h0);
	for (n = 1; n < (1u << 22); n++) {
		key_n(n, kr.keys[1]);
		keyring_fingerprint_hex(kr.keys[1], h);
		if (memcmp(h, h0, 4) == 0 && h[4] != h0[4])
			break;
	}
	ASSERT_TRUE(n < (1u << 22));
	kr.n = 2;
	ASSERT_INT_EQ(cluster_keyring_resolve(&kr, h0, 4, out), -ENOTUNIQ);
	ASSERT_INT_EQ(cluster_keyring_resolve(&kr, h, 5, out), 0);
	ASSERT_TRUE(memcmp(out, kr.keys[1], KEYRING_KEY_SIZE) == 0);
	ASSERT_INT_EQ(cluster_keyring_resolve(&kr, h0, 5, out), 0);
	ASSERT_TRUE(memcmp(out, kr.keys[0], KEYRING_KEY_SIZE) == 0);
}

static int
parse(const struct keyring *kr, const char *body,
      struct cluster_keyring_req *ret, char *msg)
{
	return cluster_keyring_parse(body, strlen(body), kr, ret, msg, 192);
}

static void
test_parse(void)
{
	struct keyring kr;
	struct cluster_keyring_req q;
	uint8_t key[KEYRING_KEY_SIZE];
	char b64[KEYRING_B64_SIZE], hex[2 * KEYRING_FP_SIZE + 1];
	char body[512], msg[192];

	ring(&kr, 2);
	key_n(9, key);
	keyring_key_encode(key, b64);
	snprintf(body, sizeof(body), "{\"op\":\"install\",\"key\":\"%s\\n\"}",
		 b64);
	ASSERT_INT_EQ(parse(&kr, body, &q, msg), 0);
	ASSERT_INT_EQ(q.op, WIRE_KEYRING_INSTALL);
	ASSERT_TRUE(memcmp(q.key, key, sizeof(key)) == 0);

	keyring_fingerprint_hex(kr.keys[1], hex);
	snprintf(body, sizeof(body), " {\"key\":\"%s\",\"op\":\"use\"} \n",
		 hex);
	ASSERT_INT_EQ(parse(&kr, body, &q, msg), 0);
	ASSERT_INT_EQ(q.op, WIRE_KEYRING_USE);
	ASSERT_TRUE(memcmp(q.key, kr.keys[1], sizeof(key)) == 0);

	keyring_key_encode(kr.keys[0], b64);
	snprintf(body, sizeof(body), "{\"op\":\"remove\",\"key\":\"%s\"}", b64);
	ASSERT_INT_EQ(parse(&kr, body, &q, msg), 0);
	ASSERT_INT_EQ(q.op, WIRE_KEYRING_REMOVE);
	ASSERT_TRUE(memcmp(q.key, kr.keys[0], sizeof(key)) == 0);

	/* bad requests */
	ASSERT_INT_EQ(parse(&kr, "", &q, msg), -EINVAL);
	ASSERT_INT_EQ(parse(&kr, "{\"op\":", &q, msg), -EINVAL);
	ASSERT_STR_EQ(msg, "malformed JSON body");
	ASSERT_INT_EQ(parse(&kr, "[]", &q, msg), -EINVAL);
	ASSERT_STR_EQ(msg, "the body must be an object");
	ASSERT_INT_EQ(parse(&kr, "{} {}", &q, msg), -EINVAL);
	ASSERT_STR_EQ(msg, "trailing data after the body");
	ASSERT_INT_EQ(parse(&kr, "{\"op\":\"use\"}", &q, msg), -EINVAL);
	ASSERT_STR_EQ(msg, "'op' and 'key' are required");
	ASSERT_INT_EQ(parse(&kr, "{\"op\":\"list\",\"key\":\"abcd\"}", &q,
			    msg),
		      -EINVAL);
	ASSERT_STR_EQ(msg, "'op' must be install, use or remove, not 'list'");
	ASSERT_INT_EQ(parse(&kr, "{\"op\":\"use\",\"key\":1}", &q, msg),
		      -EINVAL);
	ASSERT_STR_EQ(msg, "'key' must be a string");
	ASSERT_INT_EQ(parse(&kr, "{\"op\":\"use\",\"key\":\"ab\",\"x\":1}",
			    &q, msg),
		      -EINVAL);
	ASSERT_STR_EQ(msg, "unknown field 'x'");
	snprintf(body, sizeof(body), "{\"op\":\"install\",\"key\":\"%s\"}",
		 hex);
	ASSERT_INT_EQ(parse(&kr, body, &q, msg), -EINVAL);
	ASSERT_STR_EQ(msg, "install needs the key itself, not a fingerprint");
	ASSERT_INT_EQ(parse(&kr, "{\"op\":\"install\",\"key\":\"xyz\"}", &q,
			    msg),
		      -EINVAL);
	ASSERT_INT_EQ(parse(&kr, "{\"op\":\"use\",\"key\":\"xyz\"}", &q, msg),
		      -EINVAL);
	memset(body, 0, sizeof(body));
	strcpy(body, "{\"op\":\"use\",\"key\":\"");
	memset(body + strlen(body), 'a', 300);
	strcat(body, "\"}");
	ASSERT_INT_EQ(parse(&kr, body, &q, msg), -EINVAL);
	ASSERT_STR_EQ(msg, "'key' is too long");
	/* no such key */
	keyring_fingerprint_hex(key, hex);
	snprintf(body, sizeof(body), "{\"op\":\"remove\",\"key\":\"%s\"}", hex);
	ASSERT_INT_EQ(parse(&kr, body, &q, msg), -ENOENT);
	ASSERT_TRUE(strstr(msg, "no key with fingerprint") != NULL);
}

static void
test_step(void)
{
	struct keyring kr, before;
	uint8_t key[KEYRING_KEY_SIZE];
	bool changed = true;

	ring(&kr, 2);
	key_n(5, key);
	/* install: new, then again (no change) */
	ASSERT_INT_EQ(cluster_keyring_step(&kr, WIRE_KEYRING_INSTALL, key, true,
					   &changed),
		      0);
	ASSERT_TRUE(changed);
	ASSERT_INT_EQ(kr.n, 3);
	ASSERT_INT_EQ(keyring_find(&kr, key), 2);
	ASSERT_INT_EQ(cluster_keyring_step(&kr, WIRE_KEYRING_INSTALL, key, true,
					   &changed),
		      0);
	ASSERT_FALSE(changed);
	ASSERT_INT_EQ(kr.n, 3);
	/* use: to primary, then again (no change) */
	ASSERT_INT_EQ(cluster_keyring_step(&kr, WIRE_KEYRING_USE, key, true,
					   &changed),
		      0);
	ASSERT_TRUE(changed);
	ASSERT_INT_EQ(keyring_find(&kr, key), 0);
	ASSERT_INT_EQ(cluster_keyring_step(&kr, WIRE_KEYRING_USE, key, true,
					   &changed),
		      0);
	ASSERT_FALSE(changed);
	/* remove: the primary is refused, another goes, then again */
	before = kr;
	ASSERT_INT_EQ(cluster_keyring_step(&kr, WIRE_KEYRING_REMOVE, key, true,
					   &changed),
		      -EBUSY);
	ASSERT_TRUE(memcmp(&kr, &before, sizeof(kr)) == 0);
	key_n(1, key);
	ASSERT_INT_EQ(cluster_keyring_step(&kr, WIRE_KEYRING_REMOVE, key, true,
					   &changed),
		      0);
	ASSERT_TRUE(changed);
	ASSERT_INT_EQ(kr.n, 2);
	ASSERT_INT_EQ(cluster_keyring_step(&kr, WIRE_KEYRING_REMOVE, key, true,
					   &changed),
		      0);
	ASSERT_FALSE(changed);
	/* use of a key not installed */
	before = kr;
	ASSERT_INT_EQ(cluster_keyring_step(&kr, WIRE_KEYRING_USE, key, true,
					   &changed),
		      -ENOENT);
	ASSERT_TRUE(memcmp(&kr, &before, sizeof(kr)) == 0);
	/* list, and an unknown operation */
	ASSERT_INT_EQ(cluster_keyring_step(&kr, WIRE_KEYRING_LIST, key, false,
					   &changed),
		      0);
	ASSERT_FALSE(changed);
	ASSERT_INT_EQ(cluster_keyring_step(&kr, _WIRE_KEYRING_OP_MAX, key, true,
					   &changed),
		      -EINVAL);
	ASSERT_TRUE(memcmp(&kr, &before, sizeof(kr)) == 0);
}

/* The loopback key: nothing may change it, what changes nothing is
 * answered. */
static void
test_step_loopback(void)
{
	struct keyring kr, before;
	uint8_t key[KEYRING_KEY_SIZE];
	bool changed = true;

	keyring_loopback("itest", &kr);
	before = kr;
	key_n(3, key);
	ASSERT_INT_EQ(cluster_keyring_step(&kr, WIRE_KEYRING_INSTALL, key,
					   false, &changed),
		      -EROFS);
	ASSERT_INT_EQ(cluster_keyring_step(&kr, WIRE_KEYRING_REMOVE, key,
					   false, &changed),
		      0);
	ASSERT_FALSE(changed);
	ASSERT_INT_EQ(cluster_keyring_step(&kr, WIRE_KEYRING_USE, kr.keys[0],
					   false, &changed),
		      0);
	ASSERT_FALSE(changed);
	ASSERT_TRUE(memcmp(&kr, &before, sizeof(kr)) == 0);
	ASSERT_TRUE(strstr(cluster_keyring_strerror(-EROFS), "key file") !=
		    NULL);
}

static void
test_step_full(void)
{
	struct keyring kr, before;
	uint8_t key[KEYRING_KEY_SIZE];
	bool changed;

	ring(&kr, KEYRING_MAX);
	before = kr;
	key_n(KEYRING_MAX, key);
	ASSERT_INT_EQ(cluster_keyring_step(&kr, WIRE_KEYRING_INSTALL, key, true,
					   &changed),
		      -ENOSPC);
	ASSERT_TRUE(memcmp(&kr, &before, sizeof(kr)) == 0);
	ASSERT_TRUE(strstr(cluster_keyring_strerror(-ENOSPC), "full") != NULL);
	ASSERT_STR_EQ(cluster_keyring_strerror(0), "ok");
	ASSERT_STR_EQ(cluster_keyring_strerror(-EACCES), strerror(EACCES));
}

int
main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"resolve", test_resolve},
		{"resolve ambiguous", test_resolve_ambiguous},
		{"parse", test_parse},
		{"step", test_step},
		{"step loopback", test_step_loopback},
		{"step full", test_step_full},
	};

	if (sodium_init() < 0)
		return 1;
	return test_main(argc, argv, "cluster_keyring", cases,
			 ARRAY_SIZE(cases));
}
