/*
 * wire: the byte layout of everything instances send each other, and the
 * bounds-checked readers and writers that produce and parse it.
 *
 * A datagram or TCP frame is a fixed 64-byte clear header followed by a
 * sealed body (see net/seal.h):
 *
 *   off size field
 *     0    4 magic       "SVSG"
 *     4    1 version     WIRE_VERSION; anything else is dropped unparsed
 *     5    1 type        enum wire_type
 *     6    2 flags       0 (reserved; non-zero is dropped)
 *     8    4 length      bytes after the header (ciphertext + 16-byte tag)
 *    12   16 sender      the sender's instance id
 *    28    4 generation  the sender's boot generation (persisted)
 *    32    8 seq         per-sender packet sequence within the generation
 *    40   24 nonce       XChaCha20-Poly1305 nonce (random)
 *
 * All integers are big-endian.  The header is checked before anything else
 * and authenticated as associated data with the cluster name.  The body of
 * a WIRE_T_GOSSIP datagram is the sender's status (load vector and
 * digests) followed by up to WIRE_MSGS_MAX messages, each
 * [type u8][length u16][fields]; a WIRE_T_SYNC/SYNC_REPLY frame carries the
 * full state (push-pull).  Decoders reject any length that does not match,
 * any unknown type, any trailing byte.
 *
 * Ownership: decoded messages point into the buffer they were decoded
 * from (names, metadata, values); they are valid as long as that buffer
 * is.  wire_sync_decode() allocates the arrays of its struct wire_sync,
 * released by wire_sync_free(); their strings still point into the frame.
 */
#ifndef NET_WIRE_H
#define NET_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WIRE_MAGIC 0x53565347u /* "SVSG" */
#define WIRE_VERSION 1
#define WIRE_ID_SIZE 16
#define WIRE_NONCE_SIZE 24
#define WIRE_TAG_SIZE 16
#define WIRE_HEADER_SIZE 64
#define WIRE_OVERHEAD (WIRE_HEADER_SIZE + WIRE_TAG_SIZE)
/* A sealed datagram, header included: under a 1500-byte Ethernet MTU
 * with IPv6 and UDP headers. */
#define WIRE_DGRAM_MAX 1400
#define WIRE_BODY_MAX (WIRE_DGRAM_MAX - WIRE_OVERHEAD)
/* A sealed TCP frame (push-pull of the full state). */
#define WIRE_FRAME_MAX (16u << 20)
#define WIRE_MSGS_MAX 64
#define WIRE_NAME_MAX 64
#define WIRE_META_MAX 512
#define WIRE_KEY_MAX 128
#define WIRE_VALUE_MAX 1024
#define WIRE_RULES_DIGEST_SIZE 8
#define WIRE_KEY_SIZE 32
#define WIRE_FP_SIZE 8
#define WIRE_FPS_MAX 16

enum wire_type {
	WIRE_T_GOSSIP = 1,     /* UDP: status + messages */
	WIRE_T_SYNC = 2,       /* TCP: push-pull request with our state */
	WIRE_T_SYNC_REPLY = 3, /* TCP: the answer with the peer's state */
	WIRE_T_CMD = 4,	       /* TCP: a command for the peer (opaque body) */
	WIRE_T_CMD_REPLY = 5,  /* TCP: its answer */
	_WIRE_T_MAX,
};

const char *wire_type_to_string(enum wire_type t);

struct wire_header {
	uint32_t magic;
	uint8_t version;
	uint8_t type;
	uint16_t flags;
	uint32_t length;
	uint8_t sender[WIRE_ID_SIZE];
	uint32_t generation;
	uint64_t seq;
	uint8_t nonce[WIRE_NONCE_SIZE];
};

void wire_header_put(const struct wire_header *h,
		     uint8_t out[WIRE_HEADER_SIZE]);
/* Parses the fixed fields without judging them (net/seal.c does). */
void wire_header_get(const uint8_t in[WIRE_HEADER_SIZE],
		     struct wire_header *ret);

/* ------------------------------------------------------------ buffers
 * A writer either has a fixed capacity (datagrams: an overflow sets err
 * and writes nothing more) or grows (frames: growable = true, p owned by
 * the writer and freed by wbuf_done()).  A reader's getters return zero
 * values once err is set, so decoders check err once at the end of a
 * record.  Both are plain values meant to live on the stack. */
struct wwriter {
	uint8_t *p;
	size_t cap;
	size_t len;
	bool err;
	bool growable;
};

struct wreader {
	const uint8_t *p;
	size_t len;
	size_t pos;
	bool err;
};

void ww_init(struct wwriter *w, uint8_t *buf, size_t cap);
void ww_init_growable(struct wwriter *w);
void ww_done(struct wwriter *w);
void ww_u8(struct wwriter *w, uint8_t v);
void ww_u16(struct wwriter *w, uint16_t v);
void ww_u32(struct wwriter *w, uint32_t v);
void ww_u64(struct wwriter *w, uint64_t v);
void ww_bytes(struct wwriter *w, const void *p, size_t n);
/* A length-prefixed string (u8 length); err if longer than 255. */
void ww_str8(struct wwriter *w, const char *s, size_t n);
/* Length-prefixed bytes (u16 length). */
void ww_blob16(struct wwriter *w, const void *p, size_t n);

void wr_init(struct wreader *r, const void *p, size_t len);
uint8_t wr_u8(struct wreader *r);
uint16_t wr_u16(struct wreader *r);
uint32_t wr_u32(struct wreader *r);
uint64_t wr_u64(struct wreader *r);
/* Copies N bytes into OUT (zeroes on error). */
void wr_bytes(struct wreader *r, void *out, size_t n);
/* Points *RET_P into the buffer; N bytes must remain. */
const uint8_t *wr_ptr(struct wreader *r, size_t n);
size_t wr_left(const struct wreader *r);

/* ------------------------------------------------------------ records */

struct wire_addr {
	uint8_t family; /* 4 or 6; 0 = none */
	uint16_t port;
	uint8_t ip[16]; /* 4 bytes used for IPv4 */
};

bool wire_addr_eq(const struct wire_addr *a, const struct wire_addr *b);
/* "1.2.3.4:7700" or "[::1]:7700" */
char *wire_addr_format(const struct wire_addr *a, char *buf, size_t len);
/* Numeric host:port only (no name resolution in the wire layer). */
int wire_addr_parse(const char *s, struct wire_addr *ret);

/* What every packet says about its sender. */
struct wire_status {
	uint16_t load;     /* expected load, percent of a node */
	uint16_t cpu;      /* CPU use, hundredths of a percent */
	uint16_t mem;      /* memory use, hundredths of a percent */
	uint8_t rules[WIRE_RULES_DIGEST_SIZE]; /* first bytes of the digest */
	uint64_t kv_version; /* newest version of the sender's own records */
	uint64_t kv_digest;  /* of every record the sender holds (swim.c) */
};

#define WIRE_STATUS_SIZE 30

enum wire_msg_type {
	WIRE_M_PING = 1,    /* seq, node = target */
	WIRE_M_PING_REQ,    /* seq, node = target, addr = target's */
	WIRE_M_ACK,         /* seq */
	WIRE_M_NACK,        /* seq */
	WIRE_M_ALIVE,       /* node, incarnation, addr, name, meta */
	WIRE_M_SUSPECT,     /* node, incarnation, from */
	WIRE_M_DEAD,        /* node, incarnation, from (= node: left) */
	WIRE_M_KV,          /* node = origin, version, key, value */
	WIRE_M_KEYRING,     /* node = origin, op_id, op, secret */
	WIRE_M_KEYRING_ACK, /* node = origin, op_id, result, fingerprints */
	_WIRE_M_MAX,
};

const char *wire_msg_type_to_string(enum wire_msg_type t);

enum wire_keyring_op {
	WIRE_KEYRING_LIST,
	WIRE_KEYRING_INSTALL,
	WIRE_KEYRING_USE,
	WIRE_KEYRING_REMOVE,
	_WIRE_KEYRING_OP_MAX,
};

const char *wire_keyring_op_to_string(enum wire_keyring_op op);
int wire_keyring_op_from_string(const char *s);

struct wire_msg {
	enum wire_msg_type type;
	uint32_t seq;
	uint8_t node[WIRE_ID_SIZE];
	uint8_t from[WIRE_ID_SIZE];
	uint64_t incarnation;
	struct wire_addr addr;
	const char *name; /* not NUL-terminated */
	size_t name_len;
	const uint8_t *meta;
	size_t meta_len;
	uint64_t version;
	const char *key; /* not NUL-terminated */
	size_t key_len;
	const uint8_t *value;
	size_t value_len;
	uint64_t op_id;
	uint8_t op;                   /* enum wire_keyring_op */
	uint8_t secret[WIRE_KEY_SIZE]; /* install: the key; use/remove too */
	int32_t result;               /* 0 or -errno */
	size_t nfp;
	uint8_t fp[WIRE_FPS_MAX][WIRE_FP_SIZE];
};

/* Encoded size of one message, including its type and length. */
size_t wire_msg_size(const struct wire_msg *m);
/* Appends one message; returns 0 or -ENOSPC (writer unchanged). */
int wire_msg_put(struct wwriter *w, const struct wire_msg *m);

struct wire_packet {
	struct wire_status status;
	size_t nmsg;
	struct wire_msg msg[WIRE_MSGS_MAX];
};

void wire_status_put(struct wwriter *w, const struct wire_status *s);
/* Decodes a WIRE_T_GOSSIP body: 0 or -EBADMSG.  RET is overwritten. */
int wire_packet_decode(const uint8_t *body, size_t len,
		       struct wire_packet *ret);

/* ------------------------------------------------------------ push-pull */

enum wire_member_state {
	WIRE_ALIVE,
	WIRE_SUSPECT,
	WIRE_DEAD,
	WIRE_LEFT,
	_WIRE_MEMBER_STATE_MAX,
};

struct wire_member {
	uint8_t id[WIRE_ID_SIZE];
	uint64_t incarnation;
	uint8_t state; /* enum wire_member_state */
	struct wire_addr addr;
	const char *name;
	size_t name_len;
	const uint8_t *meta;
	size_t meta_len;
	struct wire_status status;
};

struct wire_kv {
	uint8_t origin[WIRE_ID_SIZE];
	uint64_t version;
	const char *key;
	size_t key_len;
	const uint8_t *value;
	size_t value_len;
};

struct wire_sync {
	bool join;
	size_t nmembers;
	struct wire_member *members;
	size_t nkv;
	struct wire_kv *kv;
};

void wire_sync_begin(struct wwriter *w, bool join, uint32_t nmembers,
		     uint32_t nkv);
void wire_member_put(struct wwriter *w, const struct wire_member *m);
void wire_kv_put(struct wwriter *w, const struct wire_kv *kv);
/* 0 or -EBADMSG (counts must match the content exactly). */
int wire_sync_decode(const uint8_t *body, size_t len, struct wire_sync *ret);
void wire_sync_free(struct wire_sync *s);

#endif
