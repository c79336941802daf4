/*
 * The peer protocol's byte layout: header, buffers, messages, push-pull
 * frames.  See wire.h for the layout.
 *
 * Every decoder reads through a struct wreader whose errors are sticky,
 * then checks once that the record was read whole and exactly: a length
 * field that disagrees with the content, an unknown type, an address of a
 * family we do not know or a trailing byte make the whole packet invalid.
 * Nothing is allocated while decoding a datagram, so a hostile one costs
 * no more than reading it.
 */
#include "net/wire.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"

enum {
	OFF_MAGIC = 0,
	OFF_VERSION = 4,
	OFF_TYPE = 5,
	OFF_FLAGS = 6,
	OFF_LENGTH = 8,
	OFF_SENDER = 12,
	OFF_GENERATION = OFF_SENDER + WIRE_ID_SIZE,
	OFF_SEQ = OFF_GENERATION + 4,
	OFF_NONCE = OFF_SEQ + 8,
	OFF_END = OFF_NONCE + WIRE_NONCE_SIZE,
};

static_assert(OFF_GENERATION == 28, "header layout");
static_assert(OFF_SEQ == 32, "header layout");
static_assert(OFF_NONCE == 40, "header layout");
static_assert(OFF_END == WIRE_HEADER_SIZE, "header layout");
static_assert(WIRE_BODY_MAX == 1320, "datagram budget");
static_assert(2 + 2 + 2 + WIRE_RULES_DIGEST_SIZE + 8 + 8 == WIRE_STATUS_SIZE,
	      "status layout");

static const char *const type_names[_WIRE_T_MAX] = {
	[WIRE_T_GOSSIP] = "gossip",
	[WIRE_T_SYNC] = "sync",
	[WIRE_T_SYNC_REPLY] = "sync-reply",
	[WIRE_T_CMD] = "command",
	[WIRE_T_CMD_REPLY] = "command-reply",
};

static const char *const msg_names[_WIRE_M_MAX] = {
	[WIRE_M_PING] = "ping",
	[WIRE_M_PING_REQ] = "ping-req",
	[WIRE_M_ACK] = "ack",
	[WIRE_M_NACK] = "nack",
	[WIRE_M_ALIVE] = "alive",
	[WIRE_M_SUSPECT] = "suspect",
	[WIRE_M_DEAD] = "dead",
	[WIRE_M_KV] = "kv",
	[WIRE_M_KEYRING] = "keyring",
	[WIRE_M_KEYRING_ACK] = "keyring-ack",
};

static const char *const op_names[_WIRE_KEYRING_OP_MAX] = {
	[WIRE_KEYRING_LIST] = "list",
	[WIRE_KEYRING_INSTALL] = "install",
	[WIRE_KEYRING_USE] = "use",
	[WIRE_KEYRING_REMOVE] = "remove",
};

const char *
wire_type_to_string(enum wire_type t)
{
	return (unsigned)t < _WIRE_T_MAX && type_names[t] ? type_names[t]
							  : NULL;
}

const char *
wire_msg_type_to_string(enum wire_msg_type t)
{
	return (unsigned)t < _WIRE_M_MAX && msg_names[t] ? msg_names[t] : NULL;
}

const char *
wire_keyring_op_to_string(enum wire_keyring_op op)
{
	return (unsigned)op < _WIRE_KEYRING_OP_MAX ? op_names[op] : NULL;
}

int
wire_keyring_op_from_string(const char *s)
{
	size_t i;

	for (i = 0; i < _WIRE_KEYRING_OP_MAX && s != NULL; i++)
		if (strcasecmp(s, op_names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

/* ------------------------------------------------------------ big-endian */

static void
be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
be32(uint8_t *p, uint32_t v)
{
	be16(p, (uint16_t)(v >> 16));
	be16(p + 2, (uint16_t)v);
}

static void
be64(uint8_t *p, uint64_t v)
{
	be32(p, (uint32_t)(v >> 32));
	be32(p + 4, (uint32_t)v);
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

void
wire_header_put(const struct wire_header *h, uint8_t out[WIRE_HEADER_SIZE])
{
	be32(out + OFF_MAGIC, h->magic);
	out[OFF_VERSION] = h->version;
	out[OFF_TYPE] = h->type;
	be16(out + OFF_FLAGS, h->flags);
	be32(out + OFF_LENGTH, h->length);
	memcpy(out + OFF_SENDER, h->sender, WIRE_ID_SIZE);
	be32(out + OFF_GENERATION, h->generation);
	be64(out + OFF_SEQ, h->seq);
	memcpy(out + OFF_NONCE, h->nonce, WIRE_NONCE_SIZE);
}

void
wire_header_get(const uint8_t in[WIRE_HEADER_SIZE], struct wire_header *ret)
{
	ret->magic = get32(in + OFF_MAGIC);
	ret->version = in[OFF_VERSION];
	ret->type = in[OFF_TYPE];
	ret->flags = get16(in + OFF_FLAGS);
	ret->length = get32(in + OFF_LENGTH);
	memcpy(ret->sender, in + OFF_SENDER, WIRE_ID_SIZE);
	ret->generation = get32(in + OFF_GENERATION);
	ret->seq = get64(in + OFF_SEQ);
	memcpy(ret->nonce, in + OFF_NONCE, WIRE_NONCE_SIZE);
}

/* ------------------------------------------------------------ writer */

void
ww_init(struct wwriter *w, uint8_t *buf, size_t cap)
{
	*w = (struct wwriter){.p = buf, .cap = cap};
}

void
ww_init_growable(struct wwriter *w)
{
	*w = (struct wwriter){.growable = true};
}

void
ww_done(struct wwriter *w)
{
	if (w->growable)
		free(w->p);
	*w = (struct wwriter){0};
}

/* Room for N more bytes, or err. */
static uint8_t *
ww_room(struct wwriter *w, size_t n)
{
	uint8_t *p;

	if (w->err)
		return NULL;
	if (n > w->cap - w->len) {
		size_t cap;

		if (!w->growable || n > WIRE_FRAME_MAX - w->len) {
			w->err = true;
			return NULL;
		}
		cap = MAX(w->cap * 2, w->len + n);
		cap = MAX(cap, (size_t)256);
		w->p = xrealloc(w->p, cap);
		w->cap = cap;
	}
	p = w->p + w->len;
	w->len += n;
	return p;
}

void
ww_u8(struct wwriter *w, uint8_t v)
{
	uint8_t *p = ww_room(w, 1);

	if (p)
		*p = v;
}

void
ww_u16(struct wwriter *w, uint16_t v)
{
	uint8_t *p = ww_room(w, 2);

	if (p)
		be16(p, v);
}

void
ww_u32(struct wwriter *w, uint32_t v)
{
	uint8_t *p = ww_room(w, 4);

	if (p)
		be32(p, v);
}

void
ww_u64(struct wwriter *w, uint64_t v)
{
	uint8_t *p = ww_room(w, 8);

	if (p)
		be64(p, v);
}

void
ww_bytes(struct wwriter *w, const void *src, size_t n)
{
	uint8_t *p = ww_room(w, n);

	if (p && n)
		memcpy(p, src, n);
}

void
ww_str8(struct wwriter *w, const char *s, size_t n)
{
	if (n > UINT8_MAX) {
		w->err = true;
		return;
	}
	ww_u8(w, (uint8_t)n);
	ww_bytes(w, s, n);
}

void
ww_blob16(struct wwriter *w, const void *p, size_t n)
{
	if (n > UINT16_MAX) {
		w->err = true;
		return;
	}
	ww_u16(w, (uint16_t)n);
	ww_bytes(w, p, n);
}

/* ------------------------------------------------------------ reader */

void
wr_init(struct wreader *r, const void *p, size_t len)
{
	*r = (struct wreader){.p = p, .len = len};
}

size_t
wr_left(const struct wreader *r)
{
	return r->err ? 0 : r->len - r->pos;
}

const uint8_t *
wr_ptr(struct wreader *r, size_t n)
{
	const uint8_t *p;

	if (r->err || n > r->len - r->pos) {
		r->err = true;
		return NULL;
	}
	if (r->p == NULL)
		return NULL;
	p = r->p + r->pos;
	r->pos += n;
	return p;
}

uint8_t
wr_u8(struct wreader *r)
{
	const uint8_t *p = wr_ptr(r, 1);

	return p ? *p : 0;
}

uint16_t
wr_u16(struct wreader *r)
{
	const uint8_t *p = wr_ptr(r, 2);

	return p ? get16(p) : 0;
}

uint32_t
wr_u32(struct wreader *r)
{
	const uint8_t *p = wr_ptr(r, 4);

	return p ? get32(p) : 0;
}

uint64_t
wr_u64(struct wreader *r)
{
	const uint8_t *p = wr_ptr(r, 8);

	return p ? get64(p) : 0;
}

void
wr_bytes(struct wreader *r, void *out, size_t n)
{
	const uint8_t *p = wr_ptr(r, n);

	if (p)
		memcpy(out, p, n);
	else
		memset(out, 0, n);
}

/* A u8-prefixed string of at most MAX bytes and no NUL byte, or err:
 * names and keys are C strings to everyone above this layer. */
static const char *
wr_str8(struct wreader *r, size_t max, size_t *ret_len)
{
	size_t n = wr_u8(r);
	const uint8_t *p;

	if (n > max)
		r->err = true;
	*ret_len = r->err ? 0 : n;
	p = wr_ptr(r, *ret_len);
	if (p && memchr(p, '\0', *ret_len)) {
		r->err = true;
		*ret_len = 0;
		return NULL;
	}
	return (const char *)p;
}

static const uint8_t *
wr_blob16(struct wreader *r, size_t max, size_t *ret_len)
{
	size_t n = wr_u16(r);

	if (n > max)
		r->err = true;
	*ret_len = r->err ? 0 : n;
	return wr_ptr(r, *ret_len);
}

/* ------------------------------------------------------------ addresses */

bool
wire_addr_eq(const struct wire_addr *a, const struct wire_addr *b)
{
	return a->family == b->family && a->port == b->port &&
	       memcmp(a->ip, b->ip, a->family == 4 ? 4 : 16) == 0;
}

char *
wire_addr_format(const struct wire_addr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (a->family == 4 && inet_ntop(AF_INET, a->ip, ip, sizeof(ip)))
		snprintf(buf, len, "%s:%u", ip, a->port);
	else if (a->family == 6 && inet_ntop(AF_INET6, a->ip, ip, sizeof(ip)))
		snprintf(buf, len, "[%s]:%u", ip, a->port);
	else
		snprintf(buf, len, "-");
	return buf;
}

int
wire_addr_parse(const char *s, struct wire_addr *ret)
{
	struct wire_addr a = {0};
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon;
	int64_t port;
	size_t n;

	if (s == NULL)
		return -EINVAL;
	colon = strrchr(s, ':');
	if (colon == NULL || colon == s)
		return -EINVAL;
	n = (size_t)(colon - s);
	if (s[0] == '[') {
		if (n < 3 || s[n - 1] != ']' || n - 2 >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, n - 2);
		host[n - 2] = '\0';
		if (inet_pton(AF_INET6, host, a.ip) != 1)
			return -EINVAL;
		a.family = 6;
	} else {
		if (n >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, n);
		host[n] = '\0';
		if (inet_pton(AF_INET, host, a.ip) != 1)
			return -EINVAL;
		a.family = 4;
	}
	if (util_parse_int64(colon + 1, 1, UINT16_MAX, &port) < 0)
		return -EINVAL;
	a.port = (uint16_t)port;
	*ret = a;
	return 0;
}

static void
addr_put(struct wwriter *w, const struct wire_addr *a)
{
	ww_u8(w, a->family);
	if (a->family == 4)
		ww_bytes(w, a->ip, 4);
	else if (a->family == 6)
		ww_bytes(w, a->ip, 16);
	ww_u16(w, a->port);
}

static size_t
addr_size(const struct wire_addr *a)
{
	return 1 + (a->family == 4 ? 4 : a->family == 6 ? 16 : 0) + 2;
}

static void
addr_get(struct wreader *r, struct wire_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = wr_u8(r);
	if (a->family == 4)
		wr_bytes(r, a->ip, 4);
	else if (a->family == 6)
		wr_bytes(r, a->ip, 16);
	else if (a->family != 0)
		r->err = true;
	a->port = wr_u16(r);
}

/* ------------------------------------------------------------ status */

void
wire_status_put(struct wwriter *w, const struct wire_status *s)
{
	ww_u16(w, s->load);
	ww_u16(w, s->cpu);
	ww_u16(w, s->mem);
	ww_bytes(w, s->rules, WIRE_RULES_DIGEST_SIZE);
	ww_u64(w, s->kv_version);
	ww_u64(w, s->kv_digest);
}

static void
status_get(struct wreader *r, struct wire_status *s)
{
	s->load = wr_u16(r);
	s->cpu = wr_u16(r);
	s->mem = wr_u16(r);
	wr_bytes(r, s->rules, WIRE_RULES_DIGEST_SIZE);
	s->kv_version = wr_u64(r);
	s->kv_digest = wr_u64(r);
}

/* ------------------------------------------------------------ messages */

static size_t
msg_body_size(const struct wire_msg *m)
{
	switch (m->type) {
	case WIRE_M_PING:
		return 4 + WIRE_ID_SIZE;
	case WIRE_M_PING_REQ:
		return 4 + WIRE_ID_SIZE + addr_size(&m->addr);
	case WIRE_M_ACK:
	case WIRE_M_NACK:
		return 4;
	case WIRE_M_ALIVE:
		return WIRE_ID_SIZE + 8 + addr_size(&m->addr) + 1 +
		       m->name_len + 2 + m->meta_len;
	case WIRE_M_SUSPECT:
	case WIRE_M_DEAD:
		return 2 * WIRE_ID_SIZE + 8;
	case WIRE_M_KV:
		return WIRE_ID_SIZE + 8 + 1 + m->key_len + 2 + m->value_len;
	case WIRE_M_KEYRING:
		return WIRE_ID_SIZE + 8 + 1 + WIRE_KEY_SIZE;
	case WIRE_M_KEYRING_ACK:
		return WIRE_ID_SIZE + 8 + 4 + 1 + m->nfp * WIRE_FP_SIZE;
	default:
		return 0;
	}
}

size_t
wire_msg_size(const struct wire_msg *m)
{
	return 3 + msg_body_size(m);
}

int
wire_msg_put(struct wwriter *w, const struct wire_msg *m)
{
	size_t body = msg_body_size(m), start = w->len, i;

	if (body == 0 || m->name_len > WIRE_NAME_MAX ||
	    m->meta_len > WIRE_META_MAX || m->key_len > WIRE_KEY_MAX ||
	    m->value_len > WIRE_VALUE_MAX || m->nfp > WIRE_FPS_MAX)
		return -EINVAL;
	if (w->err || (!w->growable && 3 + body > w->cap - w->len))
		return -ENOSPC;
	ww_u8(w, (uint8_t)m->type);
	ww_u16(w, (uint16_t)body);
	switch (m->type) {
	case WIRE_M_PING:
		ww_u32(w, m->seq);
		ww_bytes(w, m->node, WIRE_ID_SIZE);
		break;
	case WIRE_M_PING_REQ:
		ww_u32(w, m->seq);
		ww_bytes(w, m->node, WIRE_ID_SIZE);
		addr_put(w, &m->addr);
		break;
	case WIRE_M_ACK:
	case WIRE_M_NACK:
		ww_u32(w, m->seq);
		break;
	case WIRE_M_ALIVE:
		ww_bytes(w, m->node, WIRE_ID_SIZE);
		ww_u64(w, m->incarnation);
		addr_put(w, &m->addr);
		ww_str8(w, m->name, m->name_len);
		ww_blob16(w, m->meta, m->meta_len);
		break;
	case WIRE_M_SUSPECT:
	case WIRE_M_DEAD:
		ww_bytes(w, m->node, WIRE_ID_SIZE);
		ww_bytes(w, m->from, WIRE_ID_SIZE);
		ww_u64(w, m->incarnation);
		break;
	case WIRE_M_KV:
		ww_bytes(w, m->node, WIRE_ID_SIZE);
		ww_u64(w, m->version);
		ww_str8(w, m->key, m->key_len);
		ww_blob16(w, m->value, m->value_len);
		break;
	case WIRE_M_KEYRING:
		ww_bytes(w, m->node, WIRE_ID_SIZE);
		ww_u64(w, m->op_id);
		ww_u8(w, m->op);
		ww_bytes(w, m->secret, WIRE_KEY_SIZE);
		break;
	case WIRE_M_KEYRING_ACK:
		ww_bytes(w, m->node, WIRE_ID_SIZE);
		ww_u64(w, m->op_id);
		ww_u32(w, (uint32_t)m->result);
		ww_u8(w, (uint8_t)m->nfp);
		for (i = 0; i < m->nfp; i++)
			ww_bytes(w, m->fp[i], WIRE_FP_SIZE);
		break;
	default:
		break;
	}
	if (w->err || w->len - start != 3 + body) {
		w->len = start;
		w->err = false;
		return -ENOSPC;
	}
	return 0;
}

static void
msg_get(struct wreader *r, struct wire_msg *m)
{
	size_t i;

	switch (m->type) {
	case WIRE_M_PING:
		m->seq = wr_u32(r);
		wr_bytes(r, m->node, WIRE_ID_SIZE);
		break;
	case WIRE_M_PING_REQ:
		m->seq = wr_u32(r);
		wr_bytes(r, m->node, WIRE_ID_SIZE);
		addr_get(r, &m->addr);
		if (m->addr.family == 0)
			r->err = true;
		break;
	case WIRE_M_ACK:
	case WIRE_M_NACK:
		m->seq = wr_u32(r);
		break;
	case WIRE_M_ALIVE:
		wr_bytes(r, m->node, WIRE_ID_SIZE);
		m->incarnation = wr_u64(r);
		addr_get(r, &m->addr);
		m->name = wr_str8(r, WIRE_NAME_MAX, &m->name_len);
		m->meta = wr_blob16(r, WIRE_META_MAX, &m->meta_len);
		break;
	case WIRE_M_SUSPECT:
	case WIRE_M_DEAD:
		wr_bytes(r, m->node, WIRE_ID_SIZE);
		wr_bytes(r, m->from, WIRE_ID_SIZE);
		m->incarnation = wr_u64(r);
		break;
	case WIRE_M_KV:
		wr_bytes(r, m->node, WIRE_ID_SIZE);
		m->version = wr_u64(r);
		m->key = wr_str8(r, WIRE_KEY_MAX, &m->key_len);
		m->value = wr_blob16(r, WIRE_VALUE_MAX, &m->value_len);
		if (m->key_len == 0)
			r->err = true;
		break;
	case WIRE_M_KEYRING:
		wr_bytes(r, m->node, WIRE_ID_SIZE);
		m->op_id = wr_u64(r);
		m->op = wr_u8(r);
		wr_bytes(r, m->secret, WIRE_KEY_SIZE);
		if (m->op >= _WIRE_KEYRING_OP_MAX)
			r->err = true;
		break;
	case WIRE_M_KEYRING_ACK:
		wr_bytes(r, m->node, WIRE_ID_SIZE);
		m->op_id = wr_u64(r);
		m->result = (int32_t)wr_u32(r);
		m->nfp = wr_u8(r);
		if (m->nfp > WIRE_FPS_MAX) {
			r->err = true;
			m->nfp = 0;
		}
		for (i = 0; i < m->nfp; i++)
			wr_bytes(r, m->fp[i], WIRE_FP_SIZE);
		break;
	default:
		r->err = true;
		break;
	}
}

int
wire_packet_decode(const uint8_t *body, size_t len, struct wire_packet *ret)
{
	struct wreader r;

	wr_init(&r, body, len);
	ret->nmsg = 0;
	status_get(&r, &ret->status);
	while (!r.err && wr_left(&r) > 0) {
		struct wire_msg *m;
		struct wreader sub;
		const uint8_t *p;
		uint8_t type;
		uint16_t n;

		if (ret->nmsg == WIRE_MSGS_MAX)
			return -EBADMSG;
		type = wr_u8(&r);
		n = wr_u16(&r);
		p = wr_ptr(&r, n);
		if (r.err)
			return -EBADMSG;
		m = &ret->msg[ret->nmsg];
		memset(m, 0, sizeof(*m));
		m->type = type;
		wr_init(&sub, p, n);
		msg_get(&sub, m);
		if (sub.err || wr_left(&sub) != 0)
			return -EBADMSG;
		ret->nmsg++;
	}
	return r.err ? -EBADMSG : 0;
}

/* ------------------------------------------------------------ push-pull */

/* Smallest encodings, to bound counts by the frame size before any
 * allocation. */
#define MEMBER_MIN (WIRE_ID_SIZE + 8 + 1 + 3 + 1 + 2 + WIRE_STATUS_SIZE)
#define KV_MIN (WIRE_ID_SIZE + 8 + 2 + 2)

void
wire_sync_begin(struct wwriter *w, bool join, uint32_t nmembers, uint32_t nkv)
{
	ww_u8(w, join ? 1 : 0);
	ww_u32(w, nmembers);
	ww_u32(w, nkv);
}

void
wire_member_put(struct wwriter *w, const struct wire_member *m)
{
	ww_bytes(w, m->id, WIRE_ID_SIZE);
	ww_u64(w, m->incarnation);
	ww_u8(w, m->state);
	addr_put(w, &m->addr);
	ww_str8(w, m->name, MIN(m->name_len, (size_t)WIRE_NAME_MAX));
	ww_blob16(w, m->meta, MIN(m->meta_len, (size_t)WIRE_META_MAX));
	wire_status_put(w, &m->status);
}

void
wire_kv_put(struct wwriter *w, const struct wire_kv *kv)
{
	ww_bytes(w, kv->origin, WIRE_ID_SIZE);
	ww_u64(w, kv->version);
	ww_str8(w, kv->key, MIN(kv->key_len, (size_t)WIRE_KEY_MAX));
	ww_blob16(w, kv->value, MIN(kv->value_len, (size_t)WIRE_VALUE_MAX));
}

void
wire_sync_free(struct wire_sync *s)
{
	if (s == NULL)
		return;
	free(s->members);
	free(s->kv);
	memset(s, 0, sizeof(*s));
}

int
wire_sync_decode(const uint8_t *body, size_t len, struct wire_sync *ret)
{
	struct wire_sync s = {0};
	struct wreader r;
	uint32_t nm, nkv;
	uint8_t join;
	size_t i;

	wr_init(&r, body, len);
	join = wr_u8(&r);
	nm = wr_u32(&r);
	nkv = wr_u32(&r);
	if (r.err || join > 1 ||
	    (uint64_t)nm * MEMBER_MIN + (uint64_t)nkv * KV_MIN > wr_left(&r))
		return -EBADMSG;
	s.join = join;
	s.nmembers = nm;
	s.nkv = nkv;
	s.members = nm ? xcalloc(nm, sizeof(*s.members)) : NULL;
	s.kv = nkv ? xcalloc(nkv, sizeof(*s.kv)) : NULL;
	for (i = 0; i < nm && !r.err; i++) {
		struct wire_member *m = &s.members[i];

		wr_bytes(&r, m->id, WIRE_ID_SIZE);
		m->incarnation = wr_u64(&r);
		m->state = wr_u8(&r);
		addr_get(&r, &m->addr);
		m->name = wr_str8(&r, WIRE_NAME_MAX, &m->name_len);
		m->meta = wr_blob16(&r, WIRE_META_MAX, &m->meta_len);
		status_get(&r, &m->status);
		if (m->state >= _WIRE_MEMBER_STATE_MAX)
			r.err = true;
	}
	for (i = 0; i < nkv && !r.err; i++) {
		struct wire_kv *kv = &s.kv[i];

		wr_bytes(&r, kv->origin, WIRE_ID_SIZE);
		kv->version = wr_u64(&r);
		kv->key = wr_str8(&r, WIRE_KEY_MAX, &kv->key_len);
		kv->value = wr_blob16(&r, WIRE_VALUE_MAX, &kv->value_len);
		if (kv->key_len == 0)
			r.err = true;
	}
	if (r.err || wr_left(&r) != 0) {
		wire_sync_free(&s);
		return -EBADMSG;
	}
	*ret = s;
	return 0;
}
