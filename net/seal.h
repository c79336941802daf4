/*
 * seal: authenticated encryption of every datagram and TCP frame between
 * instances, and the checks that run before any byte of a packet is
 * believed.
 *
 * Sealing: XChaCha20-Poly1305 (IETF) with the keyring's primary key, a
 * random 24-byte nonce, and as associated data the 64-byte clear header
 * (net/wire.h) followed by the cluster name, so that a packet of another
 * cluster, or one whose header was altered, never opens.
 *
 * Opening checks, in order, each counted under its own reason and none
 * looking further than the previous one allowed: size, magic, version,
 * type, flags, length, size limit of the channel, our own id (a
 * reflection), the sender's generation and sequence against its replay
 * window, then the AEAD tag with each key of the keyring (primary first).
 * The replay window (256 sequence numbers per sender and boot
 * generation) is updated only once the tag has been verified, so packets
 * from outside the cluster cannot disturb it.  Replays of a sender whose
 * window was evicted (more than SEAL_PEERS_MAX senders) or predates our
 * own start are accepted once; the protocol above is idempotent for them
 * (SWIM incarnations), as ecosystem.md §8 requires.
 *
 * Ownership: struct seal is opaque; seal_free() accepts NULL and returns
 * NULL.  It copies the keyring and the cluster name it is given.  Not
 * thread-safe: one per event loop.
 */
#ifndef NET_SEAL_H
#define NET_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "net/keyring.h"
#include "net/wire.h"

#define SEAL_WINDOW 256
#define SEAL_PEERS_MAX 4096

enum seal_drop {
	SEAL_DROP_SHORT,    /* smaller than a header and a tag */
	SEAL_DROP_MAGIC,    /* not our protocol */
	SEAL_DROP_VERSION,  /* another protocol version */
	SEAL_DROP_TYPE,     /* unknown type, or not expected on this channel */
	SEAL_DROP_FLAGS,    /* reserved bits set */
	SEAL_DROP_LENGTH,   /* length field disagrees with the size */
	SEAL_DROP_OVERSIZE, /* over the channel's limit */
	SEAL_DROP_SELF,     /* our own id: a reflected packet */
	SEAL_DROP_STALE,    /* an older boot generation of that sender */
	SEAL_DROP_REPLAY,   /* sequence already seen or below the window */
	SEAL_DROP_AUTH,     /* no key opens it: forged, other key or cluster */
	SEAL_DROP_DECODE,   /* opened, but the body does not decode */
	_SEAL_DROP_MAX,
};

const char *seal_drop_to_string(enum seal_drop d);

enum seal_channel {
	SEAL_DGRAM,  /* UDP: WIRE_T_GOSSIP, at most WIRE_DGRAM_MAX */
	SEAL_STREAM, /* TCP: WIRE_T_SYNC*, at most WIRE_FRAME_MAX */
};

struct seal_counters {
	uint64_t sealed;
	uint64_t sealed_bytes;
	uint64_t opened;
	uint64_t opened_bytes;
	uint64_t drops[_SEAL_DROP_MAX];
};

struct seal;

/* CLUSTER: 1 to 255 bytes.  ID and GENERATION are ours (put in every
 * header we seal).  NULL on bad arguments. */
struct seal *seal_new(const char *cluster, const uint8_t id[WIRE_ID_SIZE],
		      uint32_t generation, const struct keyring *kr);
struct seal *seal_free(struct seal *s);
void seal_set_keyring(struct seal *s, const struct keyring *kr);
const struct keyring *seal_keyring(const struct seal *s);

/* Seals BODY as TYPE into OUT; returns the sealed size (LEN +
 * WIRE_OVERHEAD), -EMSGSIZE over the channel's limit or CAP, -ENOKEY
 * with an empty keyring. */
ssize_t seal_seal(struct seal *s, enum wire_type type, const void *body,
		  size_t len, uint8_t *out, size_t cap);
/* Opens PKT received on CHANNEL into OUT (CAP >= LEN - WIRE_OVERHEAD);
 * returns the body length, or -EBADMSG with the reason counted and, if
 * RET_REASON is not NULL, stored there.  RET_HDR gets the header on
 * success. */
ssize_t seal_open(struct seal *s, enum seal_channel channel,
		  const uint8_t *pkt, size_t len, struct wire_header *ret_hdr,
		  uint8_t *out, size_t cap, enum seal_drop *ret_reason);
/* For drops decided above this layer (SEAL_DROP_DECODE). */
void seal_count_drop(struct seal *s, enum seal_drop reason);
const struct seal_counters *seal_counters(const struct seal *s);

/* From a frame's first WIRE_HEADER_SIZE bytes, the total size of the
 * frame to read from a stream, or -EBADMSG if the header is not worth
 * reading further (checked as seal_open does, without counting). */
ssize_t seal_frame_size(const uint8_t hdr[WIRE_HEADER_SIZE]);

#endif
