/*
 * swim: membership and failure detection (SWIM with Lifeguard, as
 * memberlist does it) as a pure state machine.
 *
 * No sockets, no clock, no randomness of its own: the caller passes the
 * time (milliseconds on any monotonic clock) to every call and a seed at
 * creation, gives it what it received (already unsealed and decoded by
 * net/seal.h and net/wire.h), and drains what it wants sent and what it
 * has to say:
 *
 *   swim_recv(s, now, sender, from, &packet)    a WIRE_T_GOSSIP datagram
 *   swim_sync_reply(s, now, sender, &sync, &w)  a WIRE_T_SYNC request
 *   swim_sync_merge(s, now, sender, &sync)      a WIRE_T_SYNC_REPLY
 *   swim_tick(s, now)                           when swim_next_deadline()
 *   swim_next_output(s, &out)                   bodies to seal and send
 *   swim_next_event(s, &ev)                     membership changes
 *
 * Protocol: shuffled round-robin probing (ping, then ping-req through k
 * helpers who answer nack when the target is silent), suspicion with
 * incarnation numbers and refutation, a suspicion timeout scaled by
 * log10(n) that shrinks from beta*min to min with independent
 * confirmations, a local health score 0..awareness_max that stretches our
 * own probe period and timeout, piggybacked dissemination with at most
 * retransmit_mult*max(2, ceil(log10(n+1))) sends per update (records
 * retransmit_mult more), a gossip tick to gossip_nodes members (dead ones
 * too for gossip_to_dead_ms), push-pull of the full state on join and
 * every sync_interval (scaled above 32 members, jittered), join through
 * seed addresses with retries, periodic reconnect attempts to dead
 * members, graceful leave.  Beyond memberlist: a member accused by
 * another is probed next by everyone who hears it (a confirmation if it
 * is gone, the accusation delivered if not); a member we hold suspect or
 * dead that talks to us is told so at once, and a stale accusation gets
 * our current alive straight back; differing record digests trigger a
 * push-pull (a record update missed by gossip).  Incarnation = boot
 * generation << 32 | counter, so a restarted instance (its caller
 * persists and increments the generation) always beats what the cluster
 * remembers of its previous life.
 *
 * What rides on it: every datagram carries the sender's struct
 * wire_status (load vector, rules digest, newest record version, digest
 * of the records it holds), set by
 * swim_set_status(); a member whose rules digest differs from ours is
 * flagged (SWIM_EV_RULES).  Each instance owns a set of records (key ->
 * value, e.g. one per process: namespec -> state), each with a version
 * from the owner's counter (generation << 32 | n): swim_kv_set()
 * disseminates a change, every instance keeps the newest version per
 * (owner, key) (last writer wins, the owner being the only writer), and
 * push-pull carries them whole.
 *
 * Ownership: struct swim is opaque; swim_free() accepts NULL and returns
 * NULL.  Pointers in a struct swim_output, swim_event or swim_member are
 * valid until the next call into swim.  Decoded input is only read.
 */
#ifndef NET_SWIM_H
#define NET_SWIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/wire.h"

struct rl_gossip;

struct swim_config {
	int64_t probe_interval_ms;     /* T: one probe per period */
	int64_t probe_timeout_ms;      /* direct ack wait, then ping-req */
	unsigned indirect_checks;      /* k helpers */
	unsigned suspicion_mult;       /* alpha: min = alpha*log10(n)*T */
	unsigned suspicion_max_mult;   /* beta: max = beta*min */
	unsigned retransmit_mult;      /* lambda */
	int64_t gossip_interval_ms;
	unsigned gossip_nodes;
	int64_t sync_interval_ms;      /* push-pull period (n <= 32) */
	unsigned awareness_max;        /* local health score 0..max */
	int64_t gossip_to_dead_ms;     /* dead members still get gossip */
	int64_t reconnect_interval_ms; /* seeds and dead members retried */
	int64_t tombstone_ms;          /* dead/left forgotten after */
	int64_t join_retry_ms;         /* first join retry; doubles */
	size_t packet_max;             /* body budget <= WIRE_BODY_MAX */
};

/* Defaults for a LAN of up to a few hundred instances. */
void swim_config_default(struct swim_config *c);
/* The tunables of cluster.gossip over the defaults. */
void swim_config_apply(struct swim_config *c, const struct rl_gossip *g);

enum swim_state {
	SWIM_ALIVE = WIRE_ALIVE,
	SWIM_SUSPECT = WIRE_SUSPECT,
	SWIM_DEAD = WIRE_DEAD,
	SWIM_LEFT = WIRE_LEFT,
	_SWIM_STATE_MAX,
};

const char *swim_state_to_string(enum swim_state s);

struct swim_self {
	uint8_t id[WIRE_ID_SIZE];
	const char *name;       /* <= WIRE_NAME_MAX bytes */
	struct wire_addr addr;  /* what others use to reach us */
	uint32_t generation;    /* persisted by the caller, +1 per boot */
	const uint8_t *meta;    /* opaque, <= WIRE_META_MAX, may be NULL */
	size_t meta_len;
};

enum swim_event_type {
	SWIM_EV_JOIN,    /* a member we did not know, alive */
	SWIM_EV_ALIVE,   /* back to alive (refuted, or rejoined) */
	SWIM_EV_SUSPECT,
	SWIM_EV_DEAD,
	SWIM_EV_LEFT,
	SWIM_EV_UPDATE,  /* address, name or meta changed */
	SWIM_EV_STATUS,  /* load vector or digests changed */
	SWIM_EV_RULES,   /* rules digest now differs (or agrees again) */
	SWIM_EV_KV,      /* a record of that member changed */
	SWIM_EV_KEYRING, /* a keyring operation from member id: apply, ack */
	SWIM_EV_KEYRING_ACK, /* member id answered our keyring operation */
	_SWIM_EV_MAX,
};

const char *swim_event_type_to_string(enum swim_event_type t);

struct swim_event {
	enum swim_event_type type;
	uint8_t id[WIRE_ID_SIZE];
	const char *name;
	enum swim_state state;
	uint64_t incarnation;
	bool rules_mismatch;
	/* SWIM_EV_KV */
	const char *key;
	size_t key_len;
	const uint8_t *value; /* value_len == 0: deleted */
	size_t value_len;
	uint64_t version;
	/* SWIM_EV_KEYRING, SWIM_EV_KEYRING_ACK */
	uint64_t op_id;
	unsigned op;                  /* enum wire_keyring_op */
	uint8_t secret[WIRE_KEY_SIZE]; /* the key operated on (not in acks) */
	int result;                   /* ack: 0 or -errno */
	size_t nfp;                   /* ack: keys held there, primary first */
	uint8_t fp[WIRE_FPS_MAX][WIRE_FP_SIZE];
};

struct swim_output {
	struct wire_addr to;
	enum wire_type type; /* WIRE_T_GOSSIP (UDP) or WIRE_T_SYNC (TCP) */
	const uint8_t *body;
	size_t len;
	bool join; /* WIRE_T_SYNC: a join (seed address, id unknown) */
};

struct swim_member {
	const uint8_t *id;
	const char *name;
	struct wire_addr addr;
	enum swim_state state;
	uint64_t incarnation;
	int64_t since_ms;     /* last state change */
	const uint8_t *meta;
	size_t meta_len;
	struct wire_status status;
	bool status_known;
	bool rules_mismatch;
	bool self;
};

struct swim_counters {
	uint64_t probes;
	uint64_t probe_failures;
	uint64_t indirect_probes;
	uint64_t suspicions;    /* suspicions we started */
	uint64_t confirmations; /* independent confirmations received */
	uint64_t refutations;   /* times we refuted an accusation */
	uint64_t deaths;        /* members we declared dead */
	uint64_t syncs;         /* push-pulls started */
	uint64_t lag_syncs;     /* of which asked by differing digests */
	uint64_t broadcasts_dropped;
	uint64_t sent_msgs[_WIRE_M_MAX];
	uint64_t recv_msgs[_WIRE_M_MAX];
	uint64_t ignored;       /* messages about unknown or stale subjects */
};

struct swim;

/* NULL on bad arguments (name too long, no address). */
struct swim *swim_new(const struct swim_config *cfg,
		      const struct swim_self *self, uint64_t seed);
struct swim *swim_free(struct swim *s);

/* Join through these addresses (cluster.instances), retried with
 * backoff while no other member is alive, then every reconnect
 * interval while fewer members are alive than seeds given. */
void swim_join(struct swim *s, int64_t now, const struct wire_addr *seeds,
	       size_t n);
/* Graceful leave: tells the cluster, stops probing.  Keep calling
 * swim_tick() for a few gossip intervals so the news gets out. */
void swim_leave(struct swim *s, int64_t now);

void swim_set_status(struct swim *s, const struct wire_status *st);
/* New metadata: incarnation+1 and an alive broadcast. */
int swim_set_meta(struct swim *s, int64_t now, const uint8_t *meta,
		  size_t len);
/* Sets (LEN > 0) or deletes (LEN == 0) one of our records; returns the
 * new version, or -EINVAL (key empty or over WIRE_KEY_MAX, value over
 * WIRE_VALUE_MAX). */
int64_t swim_kv_set(struct swim *s, int64_t now, const char *key,
		    const void *value, size_t len);
/* Newest known value of OWNER's KEY, or NULL. */
const uint8_t *swim_kv_get(const struct swim *s,
			   const uint8_t owner[WIRE_ID_SIZE], const char *key,
			   size_t *ret_len, uint64_t *ret_version);

/* Cluster-wide keyring operations (keyring list|install|use|remove) ride
 * the gossip like membership news: swim_keyring_send() disseminates one
 * and returns its id; every other instance gets one SWIM_EV_KEYRING for
 * it (ev.id = the origin), applies it (keyring_apply, keyring_save,
 * transport_set_keyring) and answers with swim_keyring_ack(), sent
 * straight to the origin, which gets SWIM_EV_KEYRING_ACK per answer
 * (ev.id = who answered).  The origin applies its own operation itself.
 * The key travels sealed with the current primary key, as in Serf. */
uint64_t swim_keyring_send(struct swim *s, int64_t now, unsigned op,
			   const uint8_t key[WIRE_KEY_SIZE]);
/* -ENOENT if the origin is unknown, -EINVAL if NFP > WIRE_FPS_MAX. */
int swim_keyring_ack(struct swim *s, const uint8_t origin[WIRE_ID_SIZE],
		     uint64_t op_id, int result,
		     const uint8_t fp[][WIRE_FP_SIZE], size_t nfp);

/* SENDER: the authenticated header's sender id; FROM: the source
 * address of the datagram (acks go there). */
void swim_recv(struct swim *s, int64_t now,
	       const uint8_t sender[WIRE_ID_SIZE], const struct wire_addr *from,
	       const struct wire_packet *p);
/* A push-pull request arrived: merges it, then writes our full state
 * (the body of the WIRE_T_SYNC_REPLY) into W. */
void swim_sync_reply(struct swim *s, int64_t now,
		     const uint8_t sender[WIRE_ID_SIZE],
		     const struct wire_sync *req, struct wwriter *w);
/* The answer to one of our WIRE_T_SYNC outputs. */
void swim_sync_merge(struct swim *s, int64_t now,
		     const uint8_t sender[WIRE_ID_SIZE],
		     const struct wire_sync *reply);
/* A push-pull we asked for failed (connect error, timeout). */
void swim_sync_failed(struct swim *s, int64_t now,
		      const struct wire_addr *to);

void swim_tick(struct swim *s, int64_t now);
/* Local proof that a suspected member is gone (the shell found its TCP
 * port closed: connection refused, which only a live kernel without the
 * listener answers): it is declared dead at once, as if its suspicion
 * had timed out, and the news spreads as usual.  A partition or a loss
 * never refuses a connection, so this cannot add false deaths there.
 * -ENOENT unknown member, -EAGAIN not suspected. */
int swim_confirm_dead(struct swim *s, int64_t now,
		      const uint8_t id[WIRE_ID_SIZE]);
/* When swim_tick() must be called next (absolute, ms). */
int64_t swim_next_deadline(const struct swim *s);

bool swim_next_output(struct swim *s, struct swim_output *ret);
bool swim_next_event(struct swim *s, struct swim_event *ret);

/* Members, self included, in no particular order. */
size_t swim_nmembers(const struct swim *s);
void swim_member_get(const struct swim *s, size_t i, struct swim_member *ret);
/* Index of ID, or -ENOENT. */
int swim_find(const struct swim *s, const uint8_t id[WIRE_ID_SIZE]);
/* Members alive or suspect, self included: the n of log(n). */
size_t swim_nlive(const struct swim *s);
unsigned swim_health(const struct swim *s);
uint64_t swim_incarnation(const struct swim *s);
const struct swim_counters *swim_counters(const struct swim *s);

#endif
