/*
 * Cluster-wide keyring management: the API routes and the gossip steps.
 * See cluster_keyring.h.
 *
 * The key file is written before the new keyring is used, so that an
 * instance that restarts comes back with the keys it was sealing with;
 * when it cannot be written, the keyring in memory does not change
 * either, and the step is refused.  Key material never leaves this file
 * but sealed in the gossip: the API shows fingerprints only, and the
 * copies kept here are wiped.
 */
#define _GNU_SOURCE
#include "core/cluster_keyring.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <ev.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/util.h"
#include "net/http.h"
#include "net/swim.h"
#include "net/transport.h"
#include "net/wire.h"

#define FP_HEX (2 * KEYRING_FP_SIZE + 1)
#define FP_PREFIX_MIN 4
#define KEY_ARG_MAX 256

/* A member asked, and what it answered. */
struct kpeer {
	uint8_t id[WIRE_ID_SIZE];
	char *name;
	bool answered;
	int result;
	size_t nfp;
	uint8_t fp[KEYRING_MAX][KEYRING_FP_SIZE];
};

/* An operation we started, waiting for its acknowledgements. */
struct kop {
	struct cluster_keyring *k;
	struct kop *prev, *next;
	struct http_request *req;
	uint64_t op_id;
	unsigned op;
	char fp[FP_HEX];
	struct kpeer *peers;
	size_t n;
	size_t pending;
	ev_timer timer;
};

struct cluster_keyring {
	struct ev_loop *loop;
	struct transport *t;
	char *key_file;
	char *self;
	struct keyring kr;
	struct kop *ops;
	ev_timer kick;
};

/* ------------------------------------------------------------ pure */

const char *
cluster_keyring_strerror(int result)
{
	switch (result) {
	case 0:
		return "ok";
	case -EROFS:
		return "no key file (cluster.key_file): the cluster runs on "
		       "the loopback key, whose keyring cannot be changed";
	case -ENOENT:
		return "key not installed: install it first";
	case -EBUSY:
		return "it is the primary key: make another key primary "
		       "first (keyring use)";
	case -ENOSPC:
		return "keyring full (16 keys): remove a key first";
	case -EIO:
		return "cannot write the key file (see that instance's log)";
	case -EINVAL:
		return "unknown keyring operation";
	default:
		return strerror(-result);
	}
}

int
cluster_keyring_step(struct keyring *kr, unsigned op,
		     const uint8_t key[KEYRING_KEY_SIZE], bool has_key_file,
		     bool *ret_changed)
{
	uint8_t fp[KEYRING_MAX][KEYRING_FP_SIZE];
	struct keyring next = *kr;
	size_t nfp;
	int r;

	r = keyring_apply(&next, op, key, fp, &nfp);
	if ((op == WIRE_KEYRING_INSTALL && r == -EEXIST) ||
	    (op == WIRE_KEYRING_REMOVE && r == -ENOENT))
		r = 0;
	if (r == 0 && memcmp(&next, kr, sizeof(next)) != 0 && !has_key_file)
		r = -EROFS;
	if (r == 0) {
		*ret_changed = memcmp(&next, kr, sizeof(next)) != 0;
		*kr = next;
	}
	keyring_wipe(&next);
	return r;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int
cluster_keyring_resolve(const struct keyring *kr, const char *s, size_t len,
			uint8_t ret[KEYRING_KEY_SIZE])
{
	char hex[FP_HEX];
	int found = -1;
	size_t i, k;

	while (len > 0 && is_blank(*s)) {
		s++;
		len--;
	}
	while (len > 0 && is_blank(s[len - 1]))
		len--;
	if (len == KEYRING_B64_SIZE - 1)
		return keyring_key_decode(s, len, ret);
	if (len < FP_PREFIX_MIN || len > FP_HEX - 1)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (!isxdigit((unsigned char)s[i]))
			return -EINVAL;
	for (k = 0; k < kr->n; k++) {
		keyring_fingerprint_hex(kr->keys[k], hex);
		for (i = 0; i < len; i++)
			if (tolower((unsigned char)s[i]) != hex[i])
				break;
		if (i < len)
			continue;
		if (found >= 0)
			return -ENOTUNIQ;
		found = (int)k;
	}
	if (found < 0)
		return -ENOENT;
	memcpy(ret, kr->keys[found], KEYRING_KEY_SIZE);
	return 0;
}

static int
fail(int r, char *msg, size_t msglen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
fail(int r, char *msg, size_t msglen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
	return r;
}

int
cluster_keyring_parse(const char *body, size_t len, const struct keyring *kr,
		      struct cluster_keyring_req *ret, char *msg,
		      size_t msglen)
{
	static const struct keyring empty;
	struct cluster_keyring_req q = {.op = _WIRE_KEYRING_OP_MAX};
	const cJSON *it, *key = NULL;
	const char *end = NULL;
	cJSON *root;
	int r = 0, op;

	root = cJSON_ParseWithLengthOpts(body, len, &end, false);
	if (root == NULL)
		return fail(-EINVAL, msg, msglen, "malformed JSON body");
	if (!cJSON_IsObject(root)) {
		r = fail(-EINVAL, msg, msglen, "the body must be an object");
		goto out;
	}
	for (const char *p = end; p != NULL && p < body + len; p++)
		if (!is_blank(*p)) {
			r = fail(-EINVAL, msg, msglen,
				 "trailing data after the body");
			goto out;
		}
	cJSON_ArrayForEach(it, root) {
		const char *name = it->string ? it->string : "";

		if (strcmp(name, "op") == 0 && cJSON_IsString(it) &&
		    it->valuestring != NULL) {
			op = wire_keyring_op_from_string(it->valuestring);
			if (op < 0 || op == WIRE_KEYRING_LIST) {
				r = fail(-EINVAL, msg, msglen,
					 "'op' must be install, use or "
					 "remove, not '%.32s'",
					 it->valuestring);
				goto out;
			}
			q.op = (unsigned)op;
		} else if (strcmp(name, "key") == 0 && cJSON_IsString(it) &&
			   it->valuestring != NULL) {
			key = it;
		} else if (strcmp(name, "op") == 0 ||
			   strcmp(name, "key") == 0) {
			r = fail(-EINVAL, msg, msglen, "'%s' must be a string",
				 name);
			goto out;
		} else {
			r = fail(-EINVAL, msg, msglen, "unknown field '%.64s'",
				 name);
			goto out;
		}
	}
	if (q.op == _WIRE_KEYRING_OP_MAX || key == NULL) {
		r = fail(-EINVAL, msg, msglen, "'op' and 'key' are required");
		goto out;
	}
	len = strlen(key->valuestring);
	if (len > KEY_ARG_MAX) {
		r = fail(-EINVAL, msg, msglen, "'key' is too long");
		goto out;
	}
	/* install takes the key itself: no fingerprint can name it */
	r = cluster_keyring_resolve(q.op == WIRE_KEYRING_INSTALL ? &empty : kr,
				    key->valuestring, len, q.key);
	if (r == 0)
		goto out;
	if (r == -EINVAL && q.op == WIRE_KEYRING_INSTALL)
		r = fail(r, msg, msglen,
			 "'key' must be a key as keygen prints it (44 "
			 "characters of base64)");
	else if (r == -EINVAL)
		r = fail(r, msg, msglen,
			 "'key' must be a key (base64) or a fingerprint (4 to "
			 "16 hex digits)");
	else if (q.op == WIRE_KEYRING_INSTALL)
		r = fail(-EINVAL, msg, msglen,
			 "install needs the key itself, not a fingerprint");
	else if (r == -ENOTUNIQ)
		r = fail(-EINVAL, msg, msglen,
			 "fingerprint '%.16s' starts more than one key: give "
			 "more digits",
			 key->valuestring);
	else
		r = fail(-ENOENT, msg, msglen,
			 "no key with fingerprint '%.16s' in the keyring",
			 key->valuestring);
out:
	if (key != NULL)
		sodium_memzero(key->valuestring, strlen(key->valuestring));
	cJSON_Delete(root);
	if (r == 0)
		*ret = q;
	sodium_memzero(&q, sizeof(q));
	return r;
}

/* ------------------------------------------------------------ helpers */

static void
fp_hex(const uint8_t fp[KEYRING_FP_SIZE], char out[FP_HEX])
{
	sodium_bin2hex(out, FP_HEX, fp, KEYRING_FP_SIZE);
}

static void
our_fps(const struct cluster_keyring *k,
	uint8_t fp[KEYRING_MAX][KEYRING_FP_SIZE], size_t *ret_n)
{
	for (size_t i = 0; i < k->kr.n; i++)
		keyring_fingerprint(k->kr.keys[i], fp[i]);
	*ret_n = k->kr.n;
}

static void
reply(struct http_request *req, unsigned status, cJSON *json)
{
	char *body = cJSON_PrintUnformatted(json);

	http_reply_json(req, status, body, strlen(body));
	free(body);
	cJSON_Delete(json);
}

/* Persists and uses NEXT; on failure nothing changes. */
static int
commit(struct cluster_keyring *k, const struct keyring *next)
{
	int r = keyring_save(k->key_file, next);

	if (r < 0)
		return r;
	k->kr = *next;
	transport_set_keyring(k->t, &k->kr);
	return 0;
}

/* ------------------------------------------------------------ origin */

static struct kop *
op_free(struct kop *o)
{
	if (o == NULL)
		return NULL;
	ev_timer_stop(o->k->loop, &o->timer);
	if (o->prev != NULL)
		o->prev->next = o->next;
	else
		o->k->ops = o->next;
	if (o->next != NULL)
		o->next->prev = o->prev;
	for (size_t i = 0; i < o->n; i++)
		free(o->peers[i].name);
	free(o->peers);
	free(o);
	return NULL;
}

static void
add_name(cJSON *arr, const char *name)
{
	cJSON_AddItemToArray(arr, cJSON_CreateString(name));
}

/* The keys seen anywhere, ours first, with who holds each.  ALL_MAX
 * distinct keys at most: members of one cluster share most of theirs. */
#define ALL_MAX (KEYRING_MAX * 8)
static void
list_json(const struct kop *o, cJSON *json)
{
	const struct cluster_keyring *k = o->k;
	uint8_t all[ALL_MAX][KEYRING_FP_SIZE];
	uint8_t ours[KEYRING_MAX][KEYRING_FP_SIZE];
	size_t nall = 0, nours, i, j, p;
	cJSON *keys = cJSON_AddArrayToObject(json, "keys");
	char hex[FP_HEX];

	our_fps(k, ours, &nours);
	for (i = 0; i < nours; i++)
		memcpy(all[nall++], ours[i], KEYRING_FP_SIZE);
	for (p = 0; p < o->n; p++) {
		const struct kpeer *pe = &o->peers[p];

		for (i = 0; pe->answered && i < pe->nfp; i++) {
			for (j = 0; j < nall; j++)
				if (memcmp(all[j], pe->fp[i],
					   KEYRING_FP_SIZE) == 0)
					break;
			if (j == nall && nall < ALL_MAX)
				memcpy(all[nall++], pe->fp[i], KEYRING_FP_SIZE);
		}
	}
	for (j = 0; j < nall; j++) {
		cJSON *e = cJSON_CreateObject(), *holders, *primary_on;

		fp_hex(all[j], hex);
		cJSON_AddStringToObject(e, "fingerprint", hex);
		cJSON_AddBoolToObject(e, "primary", j == 0);
		cJSON_AddBoolToObject(e, "installed", j < nours);
		holders = cJSON_AddArrayToObject(e, "instances");
		primary_on = cJSON_AddArrayToObject(e, "primary_on");
		if (j < nours)
			add_name(holders, k->self);
		if (j == 0)
			add_name(primary_on, k->self);
		for (p = 0; p < o->n; p++) {
			const struct kpeer *pe = &o->peers[p];

			for (i = 0; pe->answered && i < pe->nfp; i++)
				if (memcmp(all[j], pe->fp[i],
					   KEYRING_FP_SIZE) == 0) {
					add_name(holders, pe->name);
					if (i == 0)
						add_name(primary_on, pe->name);
				}
		}
		cJSON_AddItemToArray(keys, e);
	}
}

/* Answers O's request and frees O. */
static void
op_answer(struct kop *o)
{
	cJSON *json = cJSON_CreateObject(), *acked, *failed, *missing;
	size_t nfailed = 0, nmissing = 0;

	if (o->op == WIRE_KEYRING_LIST) {
		cJSON_AddStringToObject(json, "instance", o->k->self);
		if (o->k->key_file != NULL)
			cJSON_AddStringToObject(json, "key_file",
						o->k->key_file);
		else
			cJSON_AddNullToObject(json, "key_file");
		list_json(o, json);
	} else {
		cJSON_AddStringToObject(json, "op",
					wire_keyring_op_to_string(o->op));
		cJSON_AddStringToObject(json, "fingerprint", o->fp);
	}
	acked = cJSON_AddArrayToObject(json, "acked");
	failed = cJSON_AddArrayToObject(json, "failed");
	missing = cJSON_AddArrayToObject(json, "missing");
	add_name(acked, o->k->self);
	for (size_t i = 0; i < o->n; i++) {
		const struct kpeer *p = &o->peers[i];

		if (!p->answered) {
			add_name(missing, p->name);
			nmissing++;
		} else if (p->result == 0) {
			add_name(acked, p->name);
		} else {
			cJSON *f = cJSON_CreateObject();

			cJSON_AddStringToObject(f, "instance", p->name);
			cJSON_AddStringToObject(f, "error",
						cluster_keyring_strerror(
							p->result));
			cJSON_AddItemToArray(failed, f);
			nfailed++;
		}
	}
	if (o->op != WIRE_KEYRING_LIST)
		log_notice("keyring: %s of key %s: applied by %zu instance(s), "
			   "refused by %zu, no answer from %zu",
			   wire_keyring_op_to_string(o->op), o->fp,
			   o->n + 1 - nfailed - nmissing, nfailed, nmissing);
	if (o->req != NULL)
		reply(o->req, 200, json);
	else
		cJSON_Delete(json);
	op_free(o);
}

static void
on_op_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	op_answer(container_of(w, struct kop, timer));
}

static void
on_op_abort(struct http_request *req, void *data)
{
	struct kop *o = data;

	(void)req;
	o->req = NULL;
	op_free(o);
}

/* Sends OP on KEY to the cluster and defers REQ until the answers. */
static void
op_start(struct cluster_keyring *k, struct http_request *req, unsigned op,
	 const uint8_t key[KEYRING_KEY_SIZE])
{
	struct swim *s = transport_swim(k->t);
	struct kop *o = xcalloc(1, sizeof(*o));
	size_t n = swim_nmembers(s);
	struct swim_member m;
	uint8_t fp[KEYRING_FP_SIZE];

	o->k = k;
	o->req = req;
	o->op = op;
	ev_timer_init(&o->timer, on_op_timer, CLUSTER_KEYRING_WAIT_MS / 1000.0,
		      0.0);
	keyring_fingerprint(key, fp);
	fp_hex(fp, o->fp);
	o->peers = xcalloc(n, sizeof(*o->peers));
	for (size_t i = 0; i < n; i++) {
		swim_member_get(s, i, &m);
		if (m.self ||
		    (m.state != SWIM_ALIVE && m.state != SWIM_SUSPECT))
			continue;
		memcpy(o->peers[o->n].id, m.id, WIRE_ID_SIZE);
		o->peers[o->n++].name = xstrdup(m.name ? m.name : "?");
	}
	o->pending = o->n;
	o->next = k->ops;
	if (k->ops != NULL)
		k->ops->prev = o;
	k->ops = o;
	if (o->n == 0) {
		op_answer(o);
		return;
	}
	o->op_id = swim_keyring_send(s, util_now_ms(), op, key);
	ev_timer_start(k->loop, &o->timer);
	http_request_defer(req, on_op_abort, o);
	transport_kick(k->t);
}

static void
on_ack(struct cluster_keyring *k, const struct swim_event *ev)
{
	struct kop *o;
	struct kpeer *p = NULL;
	size_t i;

	for (o = k->ops; o != NULL && o->op_id != ev->op_id; o = o->next)
		;
	if (o == NULL) {
		log_debug("keyring: late answer from %s to operation %llx",
			  ev->name ? ev->name : "?",
			  (unsigned long long)ev->op_id);
		return;
	}
	for (i = 0; i < o->n; i++)
		if (memcmp(o->peers[i].id, ev->id, WIRE_ID_SIZE) == 0)
			p = &o->peers[i];
	if (p == NULL) {
		/* joined after we asked, and applied it all the same */
		o->peers = xreallocarray(o->peers, o->n + 1, sizeof(*o->peers));
		p = &o->peers[o->n++];
		memset(p, 0, sizeof(*p));
		memcpy(p->id, ev->id, WIRE_ID_SIZE);
		p->name = xstrdup(ev->name ? ev->name : "?");
		o->pending++;
	}
	if (p->answered)
		return;
	p->answered = true;
	p->result = ev->result;
	p->nfp = MIN(ev->nfp, (size_t)KEYRING_MAX);
	memcpy(p->fp, ev->fp, p->nfp * KEYRING_FP_SIZE);
	if (--o->pending == 0)
		op_answer(o);
}

/* ------------------------------------------------------------ member */

static void
on_kick(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	transport_kick(container_of(w, struct cluster_keyring, kick)->t);
}

static void
on_remote(struct cluster_keyring *k, const struct swim_event *ev)
{
	const char *opname = wire_keyring_op_to_string(ev->op) ?: "?";
	const char *from = ev->name ? ev->name : "?";
	uint8_t fp[KEYRING_MAX][KEYRING_FP_SIZE];
	struct keyring next = k->kr;
	char hex[FP_HEX];
	bool changed = false;
	size_t nfp;
	int r, s;

	keyring_fingerprint_hex(ev->secret, hex);
	r = cluster_keyring_step(&next, ev->op, ev->secret,
				 k->key_file != NULL, &changed);
	if (r == 0 && changed && (s = commit(k, &next)) < 0) {
		log_error("keyring: %s of key %s from instance %s: cannot "
			  "save the key file '%s': %s: refused",
			  opname, hex, from, k->key_file, strerror(-s));
		r = -EIO;
	} else if (ev->op != WIRE_KEYRING_LIST) {
		log_notice("keyring: %s of key %s from instance %s: %s",
			   opname, hex, from,
			   r < 0 ? cluster_keyring_strerror(r)
			   : changed ? "applied, key file saved"
				     : "already so");
	}
	keyring_wipe(&next);
	our_fps(k, fp, &nfp);
	if (swim_keyring_ack(transport_swim(k->t), ev->id, ev->op_id, r, fp,
			     nfp) == 0 &&
	    !ev_is_active(&k->kick)) {
		/* sent once the events are delivered, not from inside */
		ev_timer_set(&k->kick, 0.0, 0.0);
		ev_timer_start(k->loop, &k->kick);
	}
}

bool
cluster_keyring_event(struct cluster_keyring *k, const struct swim_event *ev)
{
	if (ev->type != SWIM_EV_KEYRING && ev->type != SWIM_EV_KEYRING_ACK)
		return false;
	if (k != NULL && ev->type == SWIM_EV_KEYRING)
		on_remote(k, ev);
	else if (k != NULL)
		on_ack(k, ev);
	return true;
}

/* ------------------------------------------------------------ routes */

static void
post_keyring(struct cluster_keyring *k, struct http_request *req,
	     const struct http_request_info *info)
{
	struct cluster_keyring_req q;
	struct keyring next = k->kr;
	char msg[192], hex[FP_HEX];
	bool changed = false;
	int r;

	r = cluster_keyring_parse(info->body, info->body_len, &k->kr, &q, msg,
				  sizeof(msg));
	if (r < 0) {
		http_reply_error(req, r == -ENOENT ? 404 : 400,
				 r == -ENOENT ? "NOT_FOUND" : "BAD_REQUEST",
				 msg);
		return;
	}
	keyring_fingerprint_hex(q.key, hex);
	r = cluster_keyring_step(&next, q.op, q.key, k->key_file != NULL,
				 &changed);
	if (r == -EROFS) {
		http_reply_error(req, 409, "NO_KEY_FILE",
				 "this cluster runs on the loopback key (no "
				 "cluster.key_file): its keyring cannot be "
				 "changed; install needs a key file on every "
				 "instance");
	} else if (r == -ENOENT) {
		snprintf(msg, sizeof(msg),
			 "key %s is not installed here: install it first", hex);
		http_reply_error(req, 404, "NOT_FOUND", msg);
	} else if (r == -EBUSY) {
		snprintf(msg, sizeof(msg),
			 "key %s is the primary key: make another key primary "
			 "first (keyring use)", hex);
		http_reply_error(req, 409, "KEY_IN_USE", msg);
	} else if (r == -ENOSPC) {
		http_reply_error(req, 409, "KEYRING_FULL",
				 "the keyring holds 16 keys: remove one first");
	} else if (r < 0) {
		http_reply_error(req, 400, "BAD_REQUEST",
				 cluster_keyring_strerror(r));
	} else if (changed && (r = commit(k, &next)) < 0) {
		errno = -r;
		log_warn("keyring: %s of key %s: cannot save the key file '%s'",
			 wire_keyring_op_to_string(q.op), hex, k->key_file);
		snprintf(msg, sizeof(msg), "cannot save the key file: %s",
			 strerror(-r));
		http_reply_error(req, 500, "KEY_FILE", msg);
	} else {
		log_notice("keyring: %s of key %s: %s here, asking the cluster",
			   wire_keyring_op_to_string(q.op), hex,
			   changed ? "applied" : "already so");
		op_start(k, req, q.op, q.key);
	}
	keyring_wipe(&next);
	sodium_memzero(&q, sizeof(q));
}

bool
cluster_keyring_handle(struct http_request *req,
		       const struct http_request_info *info,
		       struct cluster_keyring *k)
{
	static const uint8_t none[KEYRING_KEY_SIZE];
	bool get = strcmp(info->method, "GET") == 0 ||
		   strcmp(info->method, "HEAD") == 0;
	bool post = strcmp(info->method, "POST") == 0;

	if (strcmp(info->path, "/v1/keyring") != 0)
		return false;
	if (!get && !post) {
		http_reply_error(req, 405, "METHOD_NOT_ALLOWED",
				 "the keyring is read with GET and changed "
				 "with POST");
	} else if (post && !info->authorized) {
		http_reply_error(req, 401, "UNAUTHORIZED",
				 "writes need the bearer token");
	} else if (k == NULL) {
		http_reply_error(req, 409, "NO_CLUSTER",
				 "no cluster (cluster.instances is empty): no "
				 "keyring");
	} else if (post) {
		post_keyring(k, req, info);
	} else {
		op_start(k, req, WIRE_KEYRING_LIST, none);
	}
	return true;
}

/* ------------------------------------------------------------ life */

struct cluster_keyring *
cluster_keyring_new(struct ev_loop *loop, struct transport *t,
		    const char *key_file, const struct keyring *kr)
{
	struct cluster_keyring *k = xcalloc(1, sizeof(*k));
	struct swim *s = transport_swim(t);
	struct swim_member m;

	k->loop = loop;
	k->t = t;
	k->key_file = key_file ? xstrdup(key_file) : NULL;
	k->kr = *kr;
	for (size_t i = 0; i < swim_nmembers(s) && k->self == NULL; i++) {
		swim_member_get(s, i, &m);
		if (m.self)
			k->self = xstrdup(m.name ? m.name : "?");
	}
	if (k->self == NULL)
		k->self = xstrdup("?");
	ev_timer_init(&k->kick, on_kick, 0.0, 0.0);
	return k;
}

struct cluster_keyring *
cluster_keyring_free(struct cluster_keyring *k)
{
	if (k == NULL)
		return NULL;
	while (k->ops != NULL) {
		struct kop *o = k->ops;

		if (o->req != NULL)
			http_reply_error(o->req, 503, "SHUTTING_DOWN",
					 "the daemon is stopping");
		op_free(o);
	}
	ev_timer_stop(k->loop, &k->kick);
	keyring_wipe(&k->kr);
	free(k->key_file);
	free(k->self);
	free(k);
	return NULL;
}
