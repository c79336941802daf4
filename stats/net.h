/*
 * net: the two netlink sources of the statistics module.
 *
 * Links: per-interface byte counters from rtnetlink (64-bit, so no
 * 32-bit wrap): an RTM_GETSTATS dump of the counters alone each cycle,
 * names and flags from libnl-route's link cache, refilled when the link
 * group reports a change (or, on a kernel without either, the whole
 * link dump each cycle).
 *
 * TCP: a NETLINK_SOCK_DIAG dump of every TCP socket of the network
 * namespace with its tcp_info, sent and received with libnl-3's core
 * (nl_send_simple, nl_recvmsgs) and parsed by hand: libnl-idiag copies
 * the 104-byte glibc tcp_info and so never delivers tcpi_bytes_acked and
 * tcpi_bytes_received, the two counters we want (reference/stats.md §3.2).
 * Unprivileged: the kernel gives every socket's counters, uid and inode
 * to anyone; attributing them to processes is the caller's business.
 *
 * Ownership: each handle owns its netlink socket; *_free accepts NULL and
 * returns NULL.  Callbacks get pointers valid only during the call.
 */
#ifndef STATS_NET_H
#define STATS_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct stats_links;
struct stats_tcp;

struct stats_link {
	int ifindex;
	const char *name;
	bool up;
	uint64_t rx_bytes, tx_bytes;
};

int stats_links_open(struct stats_links **ret);
struct stats_links *stats_links_free(struct stats_links *l);
/* Refill the cache and call FN for every link.  0 or -errno. */
int stats_links_read(struct stats_links *l,
		     void (*fn)(const struct stats_link *link, void *ctx),
		     void *ctx);

struct stats_tcp_sock {
	uint64_t cookie; /* stable for the socket's life */
	uint64_t inode;  /* 0 for sockets in TIME_WAIT and the like */
	uint32_t uid;
	uint64_t bytes_acked;    /* sent and acknowledged: "tx" */
	uint64_t bytes_received; /* "rx" */
};

int stats_tcp_open(struct stats_tcp **ret);
struct stats_tcp *stats_tcp_free(struct stats_tcp *t);
/* Dump IPv4 then IPv6 TCP sockets (all states but LISTEN and TIME_WAIT)
 * and call FN for each one that carries a tcp_info.  0 or -errno. */
int stats_tcp_dump(struct stats_tcp *t,
		   void (*fn)(const struct stats_tcp_sock *s, void *ctx),
		   void *ctx);
/* Final counters of the TCP sockets closed since the last call, from the
 * sock_diag destroy multicast groups (joinable unprivileged); their
 * inode and uid read 0, so match them by cookie.  0 or -errno;
 * -EOPNOTSUPP when the groups could not be joined (a kernel without
 * them): sockets closed between two dumps then lose their last bytes. */
int stats_tcp_closed(struct stats_tcp *t,
		     void (*fn)(const struct stats_tcp_sock *s, void *ctx),
		     void *ctx);
/* Parse one SOCK_DIAG_BY_FAMILY answer (an inet_diag_msg and its
 * attributes, LEN bytes of netlink payload).  0, or -EINVAL when it is
 * too short or carries no tcp_info with the byte counters. */
int stats_tcp_parse(const void *payload, size_t len,
		    struct stats_tcp_sock *ret);

#endif
