/*
 * Sealing, opening and the replay windows.  See seal.h.
 *
 * The replay table is an open-addressed hash on the sender id (ids are
 * random, so their first bytes are a fine hash).  When it is full, the
 * least recently used half is dropped and the table rebuilt: rare, and
 * only senders holding the key can fill it.
 */
#include "net/seal.h"

#include <assert.h>
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

#define SLOTS (2 * SEAL_PEERS_MAX)
#define WORDS (SEAL_WINDOW / 64)
#define CLUSTER_MAX 255

static_assert(WIRE_TAG_SIZE == crypto_aead_xchacha20poly1305_ietf_ABYTES,
	      "tag size");
static_assert(WIRE_NONCE_SIZE == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
	      "nonce size");
static_assert((SLOTS & (SLOTS - 1)) == 0, "power of two");

struct window {
	bool used;
	uint8_t id[WIRE_ID_SIZE];
	uint32_t generation;
	uint64_t top;         /* highest sequence accepted */
	uint64_t bits[WORDS]; /* bit i: top - i accepted */
	uint64_t last_use;
};

struct seal {
	struct keyring kr;
	uint8_t id[WIRE_ID_SIZE];
	uint32_t generation;
	uint64_t seq;
	size_t cluster_len;
	/* header then cluster name: the associated data */
	uint8_t ad[WIRE_HEADER_SIZE + CLUSTER_MAX];
	struct window *win; /* SLOTS */
	size_t nwin;
	uint64_t clock;
	struct seal_counters c;
};

static const char *const drop_names[_SEAL_DROP_MAX] = {
	[SEAL_DROP_SHORT] = "short",
	[SEAL_DROP_MAGIC] = "magic",
	[SEAL_DROP_VERSION] = "version",
	[SEAL_DROP_TYPE] = "type",
	[SEAL_DROP_FLAGS] = "flags",
	[SEAL_DROP_LENGTH] = "length",
	[SEAL_DROP_OVERSIZE] = "oversize",
	[SEAL_DROP_SELF] = "self",
	[SEAL_DROP_STALE] = "stale",
	[SEAL_DROP_REPLAY] = "replay",
	[SEAL_DROP_AUTH] = "auth",
	[SEAL_DROP_DECODE] = "decode",
};

const char *
seal_drop_to_string(enum seal_drop d)
{
	return (unsigned)d < _SEAL_DROP_MAX ? drop_names[d] : NULL;
}

struct seal *
seal_new(const char *cluster, const uint8_t id[WIRE_ID_SIZE],
	 uint32_t generation, const struct keyring *kr)
{
	struct seal *s;
	size_t n;

	if (cluster == NULL || (n = strlen(cluster)) == 0 || n > CLUSTER_MAX)
		return NULL;
	if (sodium_init() < 0)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	memcpy(s->id, id, WIRE_ID_SIZE);
	s->generation = generation;
	s->cluster_len = n;
	memcpy(s->ad + WIRE_HEADER_SIZE, cluster, n);
	s->win = xcalloc(SLOTS, sizeof(*s->win));
	if (kr)
		s->kr = *kr;
	return s;
}

struct seal *
seal_free(struct seal *s)
{
	if (s == NULL)
		return NULL;
	keyring_wipe(&s->kr);
	free(s->win);
	sodium_memzero(s, sizeof(*s));
	free(s);
	return NULL;
}

void
seal_set_keyring(struct seal *s, const struct keyring *kr)
{
	s->kr = *kr;
}

const struct keyring *
seal_keyring(const struct seal *s)
{
	return &s->kr;
}

const struct seal_counters *
seal_counters(const struct seal *s)
{
	return &s->c;
}

void
seal_count_drop(struct seal *s, enum seal_drop reason)
{
	if ((unsigned)reason < _SEAL_DROP_MAX)
		s->c.drops[reason]++;
}

static size_t
channel_max(enum seal_channel ch)
{
	return ch == SEAL_DGRAM ? WIRE_DGRAM_MAX : WIRE_FRAME_MAX;
}

static bool
type_fits(enum seal_channel ch, uint8_t type)
{
	if (ch == SEAL_DGRAM)
		return type == WIRE_T_GOSSIP;
	return type == WIRE_T_SYNC || type == WIRE_T_SYNC_REPLY ||
	       type == WIRE_T_CMD || type == WIRE_T_CMD_REPLY;
}

ssize_t
seal_seal(struct seal *s, enum wire_type type, const void *body, size_t len,
	  uint8_t *out, size_t cap)
{
	enum seal_channel ch = type == WIRE_T_GOSSIP ? SEAL_DGRAM : SEAL_STREAM;
	struct wire_header h = {
		.magic = WIRE_MAGIC,
		.version = WIRE_VERSION,
		.type = (uint8_t)type,
		.generation = s->generation,
	};
	unsigned long long clen = 0;

	if (s->kr.n == 0)
		return -ENOKEY;
	if ((unsigned)type >= _WIRE_T_MAX || type < WIRE_T_GOSSIP)
		return -EINVAL;
	if (len > channel_max(ch) - WIRE_OVERHEAD || len + WIRE_OVERHEAD > cap)
		return -EMSGSIZE;
	h.length = (uint32_t)(len + WIRE_TAG_SIZE);
	memcpy(h.sender, s->id, WIRE_ID_SIZE);
	h.seq = ++s->seq;
	randombytes_buf(h.nonce, sizeof(h.nonce));
	wire_header_put(&h, out);
	memcpy(s->ad, out, WIRE_HEADER_SIZE);
	crypto_aead_xchacha20poly1305_ietf_encrypt(
		out + WIRE_HEADER_SIZE, &clen, body, len, s->ad,
		WIRE_HEADER_SIZE + s->cluster_len, NULL, h.nonce,
		s->kr.keys[0]);
	s->c.sealed++;
	s->c.sealed_bytes += len + WIRE_OVERHEAD;
	return (ssize_t)(len + WIRE_OVERHEAD);
}

/* ------------------------------------------------------------ windows */

static size_t
slot_of(const uint8_t id[WIRE_ID_SIZE])
{
	uint64_t h;

	memcpy(&h, id, sizeof(h));
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	return (size_t)h & (SLOTS - 1);
}

static struct window *
window_find(struct seal *s, const uint8_t id[WIRE_ID_SIZE])
{
	size_t i = slot_of(id);

	while (s->win[i].used) {
		if (memcmp(s->win[i].id, id, WIRE_ID_SIZE) == 0)
			return &s->win[i];
		i = (i + 1) & (SLOTS - 1);
	}
	return NULL;
}

static struct window *
window_insert(struct seal *s, const struct window *w)
{
	size_t i = slot_of(w->id);

	while (s->win[i].used)
		i = (i + 1) & (SLOTS - 1);
	s->win[i] = *w;
	s->nwin++;
	return &s->win[i];
}

static int
cmp_use(const void *a, const void *b)
{
	const struct window *x = a, *y = b;

	return (x->last_use < y->last_use) - (x->last_use > y->last_use);
}

/* Keeps the most recently used half. */
static void
window_evict(struct seal *s)
{
	struct window *old = s->win;
	size_t i, keep = s->nwin / 2;

	qsort(old, SLOTS, sizeof(*old), cmp_use); /* unused ones sort last */
	s->win = xcalloc(SLOTS, sizeof(*s->win));
	s->nwin = 0;
	for (i = 0; i < keep && old[i].used; i++)
		window_insert(s, &old[i]);
	free(old);
}

static bool
bit_get(const struct window *w, uint64_t i)
{
	return w->bits[i / 64] >> (i % 64) & 1;
}

static void
bit_set(struct window *w, uint64_t i)
{
	w->bits[i / 64] |= 1ull << (i % 64);
}

/* Shifts the window so that SEQ (> top) becomes the top. */
static void
window_advance(struct window *w, uint64_t seq)
{
	uint64_t d = seq - w->top, i;

	if (d >= SEAL_WINDOW) {
		memset(w->bits, 0, sizeof(w->bits));
	} else {
		for (i = SEAL_WINDOW - 1; i >= d; i--) {
			if (bit_get(w, i - d))
				bit_set(w, i);
			else
				w->bits[i / 64] &= ~(1ull << (i % 64));
			if (i == d)
				break;
		}
		for (i = 0; i < d; i++)
			w->bits[i / 64] &= ~(1ull << (i % 64));
	}
	w->top = seq;
}

/* SEAL_DROP_STALE, SEAL_DROP_REPLAY, or -1 when acceptable. */
static int
window_check(const struct window *w, uint32_t gen, uint64_t seq)
{
	if (w == NULL || gen > w->generation)
		return -1;
	if (gen < w->generation)
		return SEAL_DROP_STALE;
	if (seq > w->top)
		return -1;
	if (w->top - seq >= SEAL_WINDOW || bit_get(w, w->top - seq))
		return SEAL_DROP_REPLAY;
	return -1;
}

static void
window_accept(struct seal *s, const struct wire_header *h)
{
	struct window *w = window_find(s, h->sender);

	if (w == NULL) {
		struct window n = {.used = true, .generation = h->generation};

		if (s->nwin >= SEAL_PEERS_MAX)
			window_evict(s);
		memcpy(n.id, h->sender, WIRE_ID_SIZE);
		n.top = h->seq;
		n.bits[0] = 1;
		w = window_insert(s, &n);
	} else if (h->generation > w->generation) {
		w->generation = h->generation;
		w->top = h->seq;
		memset(w->bits, 0, sizeof(w->bits));
		w->bits[0] = 1;
	} else if (h->seq > w->top) {
		window_advance(w, h->seq);
		bit_set(w, 0);
	} else {
		bit_set(w, w->top - h->seq);
	}
	w->last_use = ++s->clock;
}

/* ------------------------------------------------------------ opening */

/* The checks that need no key; -1 if the header may be read further. */
static int
header_check(const struct wire_header *h, size_t len, enum seal_channel ch)
{
	if (h->magic != WIRE_MAGIC)
		return SEAL_DROP_MAGIC;
	if (h->version != WIRE_VERSION)
		return SEAL_DROP_VERSION;
	if (!type_fits(ch, h->type))
		return SEAL_DROP_TYPE;
	if (h->flags != 0)
		return SEAL_DROP_FLAGS;
	if (h->length < WIRE_TAG_SIZE ||
	    h->length > channel_max(ch) - WIRE_HEADER_SIZE)
		return h->length < WIRE_TAG_SIZE ? SEAL_DROP_LENGTH
						 : SEAL_DROP_OVERSIZE;
	if (len != WIRE_HEADER_SIZE + (size_t)h->length)
		return len > channel_max(ch) ? SEAL_DROP_OVERSIZE
					     : SEAL_DROP_LENGTH;
	return -1;
}

ssize_t
seal_frame_size(const uint8_t hdr[WIRE_HEADER_SIZE])
{
	struct wire_header h;

	wire_header_get(hdr, &h);
	if (h.magic != WIRE_MAGIC || h.version != WIRE_VERSION ||
	    !type_fits(SEAL_STREAM, h.type) || h.flags != 0 ||
	    h.length < WIRE_TAG_SIZE ||
	    h.length > WIRE_FRAME_MAX - WIRE_HEADER_SIZE)
		return -EBADMSG;
	return (ssize_t)(WIRE_HEADER_SIZE + (size_t)h.length);
}

ssize_t
seal_open(struct seal *s, enum seal_channel ch, const uint8_t *pkt,
	  size_t len, struct wire_header *ret_hdr, uint8_t *out, size_t cap,
	  enum seal_drop *ret_reason)
{
	struct wire_header h;
	unsigned long long mlen = 0;
	size_t i, blen;
	int reason;

	if (len < WIRE_OVERHEAD) {
		reason = len > channel_max(ch) ? SEAL_DROP_OVERSIZE
					       : SEAL_DROP_SHORT;
		goto drop;
	}
	if (len > channel_max(ch)) {
		reason = SEAL_DROP_OVERSIZE;
		goto drop;
	}
	wire_header_get(pkt, &h);
	reason = header_check(&h, len, ch);
	if (reason >= 0)
		goto drop;
	if (memcmp(h.sender, s->id, WIRE_ID_SIZE) == 0) {
		reason = SEAL_DROP_SELF;
		goto drop;
	}
	reason = window_check(window_find(s, h.sender), h.generation, h.seq);
	if (reason >= 0)
		goto drop;
	blen = h.length - WIRE_TAG_SIZE;
	reason = SEAL_DROP_AUTH;
	if (cap < blen || s->kr.n == 0)
		goto drop;
	memcpy(s->ad, pkt, WIRE_HEADER_SIZE);
	for (i = 0; i < s->kr.n; i++)
		if (crypto_aead_xchacha20poly1305_ietf_decrypt(
			    out, &mlen, NULL, pkt + WIRE_HEADER_SIZE, h.length,
			    s->ad, WIRE_HEADER_SIZE + s->cluster_len, h.nonce,
			    s->kr.keys[i]) == 0)
			break;
	if (i == s->kr.n)
		goto drop;
	window_accept(s, &h);
	s->c.opened++;
	s->c.opened_bytes += len;
	if (ret_hdr)
		*ret_hdr = h;
	return (ssize_t)mlen;
drop:
	s->c.drops[reason]++;
	if (ret_reason)
		*ret_reason = (enum seal_drop)reason;
	return -EBADMSG;
}
