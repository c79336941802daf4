/*
 * cluster_keyring: cluster-wide management of the keyring that seals the
 * gossip (`supvisors-sched keyring list|install|use|remove`, GET and
 * POST /v1/keyring), the daemon's side of net/swim's keyring operations.
 *
 * As the origin (an API request here): the operation is applied to our
 * keyring and key file first, then disseminated with swim_keyring_send();
 * the request is answered once every member that was alive or suspect
 * when it was sent has acknowledged, or after CLUSTER_KEYRING_WAIT_MS,
 * with who applied it, who refused it and why, and who did not answer.
 * As a member (SWIM_EV_KEYRING): the same step is applied to our keyring,
 * saved to cluster.key_file (atomically) before it is used, handed to the
 * transport, and acknowledged with the result.  A cluster without a key
 * file runs on the loopback key (net/keyring.h), which cannot change:
 * every change is refused there, with that reason.
 *
 * Steps are idempotent so that an operation can be repeated until every
 * member has it: installing a key already there, or removing one already
 * gone, succeeds without change.  Using a key that is not installed, or
 * removing the primary key, is refused.  Rotation is therefore: install
 * the new key everywhere, make it primary everywhere (use), remove the
 * old one.
 *
 * Ownership: the struct cluster owns the struct cluster_keyring and frees
 * it before its transport; the HTTP server must be freed before it (its
 * deferred requests are aborted then).  cluster_keyring_free() accepts
 * NULL and returns NULL.  KEY_FILE is copied; the keys are wiped on free.
 */
#ifndef CORE_CLUSTER_KEYRING_H
#define CORE_CLUSTER_KEYRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/keyring.h"

#define CLUSTER_KEYRING_WAIT_MS 5000

struct cluster_keyring;
struct ev_loop;
struct http_request;
struct http_request_info;
struct swim_event;
struct transport;

/* KR: the keyring T was created with; KEY_FILE: where it is kept, NULL
 * for the loopback key. */
struct cluster_keyring *cluster_keyring_new(struct ev_loop *loop,
					    struct transport *t,
					    const char *key_file,
					    const struct keyring *kr);
struct cluster_keyring *cluster_keyring_free(struct cluster_keyring *k);

/* true when EV is a keyring event, which is then handled here (K NULL:
 * ignored). */
bool cluster_keyring_event(struct cluster_keyring *k,
			   const struct swim_event *ev);

/* Serves /v1/keyring (K NULL: no cluster, answered 409); false for any
 * other path. */
bool cluster_keyring_handle(struct http_request *req,
			    const struct http_request_info *info,
			    struct cluster_keyring *k);

/* ------------------------------------------------------------ pure */

/* A decoded POST /v1/keyring body. */
struct cluster_keyring_req {
	unsigned op; /* enum wire_keyring_op: install, use or remove */
	uint8_t key[KEYRING_KEY_SIZE];
};

/* S (LEN bytes, blanks around ignored) names a key: the key itself in
 * base64 (44 characters, as keygen prints it), or 4 to 16 hex digits
 * that start the fingerprint of exactly one key of KR.  0; -EINVAL (not
 * a key or fingerprint), -ENOENT (no such key in KR), -ENOTUNIQ (a
 * prefix of several). */
int cluster_keyring_resolve(const struct keyring *kr, const char *s,
			    size_t len, uint8_t ret[KEYRING_KEY_SIZE]);

/* Decodes {"op":"install"|"use"|"remove","key":"..."}: install needs
 * the key itself, use and remove take a fingerprint too (resolved in
 * KR).  0; -EINVAL (bad request) or -ENOENT (no such key), with a
 * message in MSG.  RET is written on success only. */
int cluster_keyring_parse(const char *body, size_t len,
			  const struct keyring *kr,
			  struct cluster_keyring_req *ret, char *msg,
			  size_t msglen);

/* One instance's step of operation OP on KEY: keyring_apply() made
 * idempotent (installing a present key, removing an absent one: 0, no
 * change), and -EROFS for any change without a key file.  KR is changed
 * only on success; *RET_CHANGED tells whether it was. */
int cluster_keyring_step(struct keyring *kr, unsigned op,
			 const uint8_t key[KEYRING_KEY_SIZE], bool has_key_file,
			 bool *ret_changed);

/* Words for a step's result (-errno), as shown to the user. */
const char *cluster_keyring_strerror(int result);

#endif
