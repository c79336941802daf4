/*
 * transport: the thin libev shell that binds one net/swim core to the
 * network: one UDP socket and one TCP listener on the same address
 * (instance.listen), every datagram and frame sealed and opened through
 * net/seal.h, drops counted by reason, one ev_timer for the core's next
 * deadline.
 *
 * Push-pull: the core asks for one (a WIRE_T_SYNC output); the transport
 * connects, sends the sealed frame, reads the sealed WIRE_T_SYNC_REPLY,
 * hands it to swim_sync_merge() and closes.  Incoming connections get the
 * mirror image.  At most TRANSPORT_CONNS_MAX connections at once (more are
 * refused), each bounded by TRANSPORT_CONN_TIMEOUT_MS.
 *
 * Use: transport_new(), then swim_join() on transport_swim() and
 * transport_kick(); the core's events arrive through conf.on_event as they
 * happen.  After any direct call into the core (swim_kv_set,
 * swim_set_status, swim_leave...), call transport_kick() so that what it
 * wants sent is sent and its timer re-armed.
 *
 * Ownership: struct transport is opaque and owns its sockets, watchers,
 * seal and core; transport_free() stops every watcher, closes every
 * socket, accepts NULL and returns NULL.  The loop must outlive it.
 * Not thread-safe: everything runs on the loop's thread.
 */
#ifndef NET_TRANSPORT_H
#define NET_TRANSPORT_H

#include <stdint.h>

#include "net/keyring.h"
#include "net/seal.h"
#include "net/swim.h"

#define TRANSPORT_CONNS_MAX 128
#define TRANSPORT_CONN_TIMEOUT_MS 10000
#define TRANSPORT_CMD_TIMEOUT_MS 5000

struct ev_loop;
struct strbuf;

/* The answer to transport_command(): ERR 0 and the peer's reply body
 * (valid during the call only), or ERR -ECOMM (no connection, timeout,
 * a frame that failed to open) and no body. */
typedef void (*transport_reply_fn)(void *arg, int err, const uint8_t *body,
				   size_t len);

struct transport_conf {
	struct ev_loop *loop;
	const char *cluster;        /* sealed into every packet */
	const struct keyring *keys; /* at least one key */
	struct swim_config swim;
	struct swim_self self;      /* self.addr: the advertised address */
	struct wire_addr listen;    /* bound for UDP and TCP */
	uint64_t seed;              /* the core's randomness */
	/* Called for every core event, on the loop's thread. */
	void (*on_event)(void *ctx, const struct swim_event *ev);
	/* A sealed command from member SENDER (its wire id): the answer is
	 * appended to REPLY before returning.  NULL: empty answers. */
	void (*on_command)(void *ctx, const uint8_t *sender,
			   const uint8_t *body, size_t len,
			   struct strbuf *reply);
	void *ctx;
};

struct transport_counters {
	uint64_t dgrams_in;
	uint64_t dgrams_out;
	uint64_t send_errors;
	uint64_t syncs_in;
	uint64_t syncs_out;
	uint64_t sync_failures;
	uint64_t conns_refused; /* over TRANSPORT_CONNS_MAX */
	uint64_t refused_deaths; /* suspected members whose port refused */
	uint64_t cmds_out;
	uint64_t cmds_in;
	uint64_t cmd_failures;
};

struct transport;

/* 0, or -errno (socket, bind: -EADDRINUSE...; -EINVAL: bad conf). */
int transport_new(const struct transport_conf *conf, struct transport **ret);
struct transport *transport_free(struct transport *t);

struct swim *transport_swim(struct transport *t);
/* Sends what the core wants sent, delivers its events, re-arms its
 * timer. */
void transport_kick(struct transport *t);
/* Peer commands (DESIGN.md 7.3): BODY, sealed as a WIRE_T_CMD frame on
 * a new TCP connection to TO; the peer's on_command answers, and FN gets
 * the answer (or the failure) exactly once, later, from the loop, never
 * from within this call.  0, or -errno and FN is never called.  A
 * transport freed first never calls FN: the caller owns ARG. */
int transport_command(struct transport *t, const struct wire_addr *to,
		      const void *body, size_t len, transport_reply_fn fn,
		      void *arg);
/* A keyring change (keyring install/use/remove): takes effect for the
 * next packet. */
void transport_set_keyring(struct transport *t, const struct keyring *kr);

/* This instance's wire identity, kept in STATE_DIR/gossip-identity (one
 * line: 32 hex digits of id, a space, the boot generation): created with
 * a random id and generation 1, and at every later call the generation
 * is incremented and written back (atomically, fsync'ed) before it is
 * returned, so that a restart always outranks the previous boot's
 * incarnations and sequence numbers.  -errno; -EINVAL for a damaged
 * file, -EOVERFLOW when the generation is exhausted. */
int transport_identity(const char *state_dir, uint8_t ret_id[WIRE_ID_SIZE],
		       uint32_t *ret_generation);

const struct seal_counters *transport_seal_counters(const struct transport *t);
const struct transport_counters *transport_counters(const struct transport *t);

#endif
