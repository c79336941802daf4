/*
 * cluster: the daemon's side of the gossip.  It creates the transport of
 * net/transport.h on instance.listen with the cluster's keyring, joins
 * through cluster.instances, persists the boot generation in state_dir,
 * and keeps the membership as Supvisors' instance states in the sched
 * view:
 *
 *   joined, status not yet heard   CHECKING
 *   status heard, same rules       RUNNING  (the handshake of Supvisors
 *                                            is the rules digest, which
 *                                            covers the strategies)
 *   rules digest differs           ISOLATED, reason shown
 *   suspected                      unchanged state, suspect flag
 *   declared dead                  FAILED, then on the next tick ISOLATED
 *                                  (auto_fence and the daemon operating)
 *                                  or STOPPED until it comes back
 *   left                           STOPPED
 *
 * What rides on the gossip: the load vector (expected load of the local
 * instance from the view, CPU and memory % of the node from the stats
 * sampler when enabled), the rules digest, the instance's machine as
 * metadata, and one record per local process (namespec -> state, pid,
 * start time, expected loading, description), so that every instance
 * knows every process's state (the view gets the remote reports).
 *
 * A configuration without cluster.instances has no cluster: cluster_new()
 * then sets *RET to NULL, and every function here accepts a NULL cluster.
 *
 * Ownership: the daemon owns the struct cluster and frees it after the
 * control API (which reads its counters); cluster_free() accepts NULL
 * and returns NULL.  JSON objects returned are the caller's.
 */
#ifndef CORE_CLUSTER_H
#define CORE_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cJSON;
struct cluster;
struct cluster_keyring;
struct ctl_obs;
struct daemon;
struct proc;

/* 0 (and *RET, NULL without cluster.instances) or -errno, logged. */
int cluster_new(struct daemon *d, struct cluster **ret);
struct cluster *cluster_free(struct cluster *c);

/* Hands the gossip counters to the metrics of O. */
void cluster_set_obs(struct cluster *c, struct ctl_obs *o);
/* A local process changed: its record is disseminated.  Returns the
 * record's version (0 without a cluster). */
uint64_t cluster_proc_changed(struct cluster *c, const struct proc *p);
/* The daemon built a new view (reload): states, machines and remote
 * process reports are applied to it again; records of removed
 * processes are deleted. */
void cluster_view_rebuilt(struct cluster *c);
/* Graceful leave (shutdown). */
void cluster_leave(struct cluster *c);

/* The keyring routes and steps (cluster_keyring.h); NULL without C. */
struct cluster_keyring *cluster_keyring(const struct cluster *c);

/* Instances in cluster.instances order. */
size_t cluster_ninstances(const struct cluster *c);
bool cluster_instance_local(const struct cluster *c, size_t i);
/* The entry of GET /v1/instances of a remote instance. */
struct cJSON *cluster_instance_json(const struct cluster *c, size_t i);
/* The description INST last published for NAMESPEC, NULL if none. */
const char *cluster_proc_desc(const struct cluster *c, const char *inst,
			      const char *namespec);
/* Publishes our state machine record (sched/fsm.h). */
struct sched_fsm_peer;
void cluster_publish_fsm(struct cluster *c, const struct sched_fsm_peer *p);
/* FAILED instances become STOPPED, or ISOLATED (auto_fence). */
void cluster_invalidate(struct cluster *c);
/* CHECKED instances become RUNNING (the state machine allows it). */
void cluster_activate(struct cluster *c);
/* A peer command (DESIGN.md 7.3): BODY to instance INST (view id) over
 * the sealed TCP channel; FN gets the answer object (err 0), or a
 * failure (-ECOMM, -EBADMSG), exactly once and never within this call;
 * -ECANCELED when the cluster is freed first (then only free ARG).
 * 0, or -errno (unknown or unreachable instance) and FN is not
 * called. */
int cluster_command(struct cluster *c, uint32_t inst, const struct cJSON *body,
		    void (*fn)(void *arg, int err, const struct cJSON *reply),
		    void *arg);
/* Adds {"gossip": {dropped datagrams by reason, counters}} to O. */
void cluster_counters_json(const struct cluster *c, struct cJSON *o);

#endif
