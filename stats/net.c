/*
 * net: rtnetlink link counters (libnl-route) and a sock_diag TCP dump
 * (libnl-3 core).  See net.h.  The answers are parsed in tcpdiag.c, which
 * needs the kernel's <linux/tcp.h>: libnl's headers pull in glibc's
 * <netinet/tcp.h>, whose struct tcp_info clashes with it.
 */
#include "stats/net.h"

#include <errno.h>
#include <linux/if_link.h>
#include <linux/inet_diag.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/util.h"

struct stats_links {
	struct nl_sock *sk;
	struct nl_cache *cache; /* names and flags */
	struct nl_sock *ev;     /* RTNLGRP_LINK: the cache is stale */
	struct nl_sock *st;     /* RTM_GETSTATS, or NULL: refill each time */
	bool stale;
	bool missing; /* a counter named an ifindex the cache lacks */
	void (*fn)(const struct stats_link *link, void *ctx);
	void *ctx;
};

struct stats_tcp {
	struct nl_sock *sk;
	struct nl_sock *ev; /* destroy events, or NULL */
	bool no_compat;     /* the one-walk dump was refused */
	void (*fn)(const struct stats_tcp_sock *s, void *ctx);
	void *ctx;
};

/* libnl returns its own NLE_* codes; the house rule is -errno. */
static int
nl_errno(int nle)
{
	switch (nle < 0 ? -nle : nle) {
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_PERM:
	case NLE_NOACCESS:
		return -EPERM;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_INTR:
	case NLE_DUMP_INTR:
		return -EINTR;
	case NLE_OPNOTSUPP:
	case NLE_MSGTYPE_NOSUPPORT:
	case NLE_PROTO_MISMATCH:
		return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:
		return -EAFNOSUPPORT;
	case NLE_INVAL:
		return -EINVAL;
	default:
		return -EIO;
	}
}

static struct nl_sock *
sock_free(struct nl_sock *sk)
{
	if (sk != NULL)
		nl_socket_free(sk);
	return NULL;
}

/* One RTM_NEWSTATS answer: the 64-bit counters of one interface, its name
 * and flags from the cache. */
static int
on_stats_msg(struct nl_msg *m, void *arg)
{
	struct stats_links *l = arg;
	struct nlmsghdr *h = nlmsg_hdr(m);
	const struct if_stats_msg *ifsm;
	struct rtnl_link_stats64 st;
	struct rtnl_link *link;
	struct nlattr *a;
	const char *name;

	if (h->nlmsg_type != RTM_NEWSTATS ||
	    nlmsg_datalen(h) < (int)sizeof(*ifsm))
		return NL_OK;
	ifsm = nlmsg_data(h);
	a = nla_find(nlmsg_attrdata(h, sizeof(*ifsm)),
		     nlmsg_attrlen(h, sizeof(*ifsm)), IFLA_STATS_LINK_64);
	if (a == NULL || nla_len(a) < (int)sizeof(st))
		return NL_OK;
	memcpy(&st, nla_data(a), sizeof(st));
	link = rtnl_link_get(l->cache, (int)ifsm->ifindex);
	if (link == NULL) {
		l->missing = true;
		return NL_OK;
	}
	name = rtnl_link_get_name(link);
	l->fn(&(struct stats_link){.ifindex = (int)ifsm->ifindex,
				   .name = name ? name : "",
				   .up = (rtnl_link_get_flags(link) & IFF_UP) !=
					 0,
				   .rx_bytes = st.rx_bytes,
				   .tx_bytes = st.tx_bytes},
	      l->ctx);
	rtnl_link_put(link);
	return NL_OK;
}

static int
ignore_msg(struct nl_msg *m, void *arg)
{
	(void)m;
	(void)arg;
	return NL_OK;
}

/* Optional, both: without them the whole link dump is made each cycle.
 * RTM_GETSTATS (Linux 4.7) answers only the counters, a tenth of the
 * bytes of a link dump (which carries every attribute, IPv6 settings
 * included) and no object to build; the link group tells when names or
 * flags changed. */
static void
open_fast(struct stats_links *l)
{
	if ((l->ev = nl_socket_alloc()) == NULL ||
	    (l->st = nl_socket_alloc()) == NULL)
		goto fail;
	nl_socket_disable_seq_check(l->ev);
	nl_socket_disable_auto_ack(l->ev);
	nl_socket_disable_auto_ack(l->st);
	if (nl_connect(l->ev, NETLINK_ROUTE) < 0 ||
	    nl_socket_add_memberships(l->ev, RTNLGRP_LINK, 0) < 0 ||
	    nl_socket_set_nonblocking(l->ev) < 0 ||
	    nl_connect(l->st, NETLINK_ROUTE) < 0)
		goto fail;
	nl_socket_modify_cb(l->ev, NL_CB_VALID, NL_CB_CUSTOM, ignore_msg, l);
	nl_socket_modify_cb(l->st, NL_CB_VALID, NL_CB_CUSTOM, on_stats_msg, l);
	return;
fail:
	l->ev = sock_free(l->ev);
	l->st = sock_free(l->st);
}

int
stats_links_open(struct stats_links **ret)
{
	struct stats_links *l = xcalloc(1, sizeof(*l));
	int r;

	if ((l->sk = nl_socket_alloc()) == NULL) {
		r = -ENOMEM;
		goto fail;
	}
	/* subscribed before the first fill: no change falls between */
	open_fast(l);
	if ((r = nl_connect(l->sk, NETLINK_ROUTE)) < 0 ||
	    (r = rtnl_link_alloc_cache(l->sk, AF_UNSPEC, &l->cache)) < 0) {
		r = nl_errno(r);
		goto fail;
	}
	*ret = l;
	return 0;
fail:
	stats_links_free(l);
	return r;
}

struct stats_links *
stats_links_free(struct stats_links *l)
{
	if (l == NULL)
		return NULL;
	if (l->cache != NULL)
		nl_cache_free(l->cache);
	sock_free(l->sk);
	sock_free(l->ev);
	sock_free(l->st);
	free(l);
	return NULL;
}

/* Whether a link changed since the last call (or the group overran and
 * may have lost one). */
static bool
links_changed(struct stats_links *l)
{
	bool changed = false;
	int i, r;

	for (i = 0; i < 1000; i++) {
		struct pollfd pfd = {nl_socket_get_fd(l->ev), POLLIN, 0};

		if (poll(&pfd, 1, 0) <= 0)
			break;
		r = nl_recvmsgs_default(l->ev);
		if (r == -NLE_AGAIN)
			break;
		changed = true;
	}
	return changed;
}

static int
links_read_stats(struct stats_links *l)
{
	struct if_stats_msg req = {
		.family = AF_UNSPEC,
		.filter_mask = IFLA_STATS_FILTER_BIT(IFLA_STATS_LINK_64),
	};
	int r;

	r = nl_send_simple(l->st, RTM_GETSTATS, NLM_F_DUMP, &req, sizeof(req));
	if (r < 0 || (r = nl_recvmsgs_default(l->st)) < 0)
		return nl_errno(r);
	return 0;
}

int
stats_links_read(struct stats_links *l,
		 void (*fn)(const struct stats_link *link, void *ctx),
		 void *ctx)
{
	struct nl_object *o;
	int r;

	if (l->st != NULL) {
		if (links_changed(l) || l->stale) {
			if ((r = nl_cache_refill(l->sk, l->cache)) < 0) {
				l->stale = true;
				return nl_errno(r);
			}
			l->stale = false;
		}
		l->fn = fn;
		l->ctx = ctx;
		l->missing = false;
		r = links_read_stats(l);
		/* an interface newer than the cache: its name next time */
		l->stale = l->missing;
		if (r == 0)
			return 0;
		if (r != -EOPNOTSUPP)
			return r;
		/* a kernel without RTM_GETSTATS: the link dump each time */
		l->ev = sock_free(l->ev);
		l->st = sock_free(l->st);
	}
	if ((r = nl_cache_refill(l->sk, l->cache)) < 0)
		return nl_errno(r);
	for (o = nl_cache_get_first(l->cache); o != NULL;
	     o = nl_cache_get_next(o)) {
		struct rtnl_link *link = (struct rtnl_link *)o;
		const char *name = rtnl_link_get_name(link);
		struct stats_link s = {
			.ifindex = rtnl_link_get_ifindex(link),
			.name = name ? name : "",
			.up = (rtnl_link_get_flags(link) & IFF_UP) != 0,
			.rx_bytes =
				rtnl_link_get_stat(link, RTNL_LINK_RX_BYTES),
			.tx_bytes =
				rtnl_link_get_stat(link, RTNL_LINK_TX_BYTES),
		};
		fn(&s, ctx);
	}
	return 0;
}

/* ------------------------------------------------------------ TCP */

static int
on_tcp_msg(struct nl_msg *m, void *arg)
{
	struct stats_tcp *t = arg;
	struct nlmsghdr *h = nlmsg_hdr(m);
	struct stats_tcp_sock s;

	/* the legacy dump answers with its own request type */
	if ((h->nlmsg_type == SOCK_DIAG_BY_FAMILY ||
	     h->nlmsg_type == TCPDIAG_GETSOCK) &&
	    stats_tcp_parse(nlmsg_data(h), (size_t)nlmsg_datalen(h), &s) == 0)
		t->fn(&s, t->ctx);
	return NL_OK;
}

/* The destroy groups are optional: without them only the bytes of
 * sockets closed between two dumps are lost. */
static void
open_events(struct stats_tcp *t)
{
	if ((t->ev = nl_socket_alloc()) == NULL)
		return;
	nl_socket_disable_seq_check(t->ev);
	nl_socket_disable_auto_ack(t->ev);
	if (nl_connect(t->ev, NETLINK_SOCK_DIAG) < 0 ||
	    nl_socket_add_memberships(t->ev, SKNLGRP_INET_TCP_DESTROY,
				      SKNLGRP_INET6_TCP_DESTROY, 0) < 0 ||
	    nl_socket_set_nonblocking(t->ev) < 0) {
		nl_socket_free(t->ev);
		t->ev = NULL;
		return;
	}
	nl_socket_set_buffer_size(t->ev, 1 << 20, 0);
	nl_socket_modify_cb(t->ev, NL_CB_VALID, NL_CB_CUSTOM, on_tcp_msg, t);
}

int
stats_tcp_open(struct stats_tcp **ret)
{
	struct stats_tcp *t = xcalloc(1, sizeof(*t));
	int r;

	if ((t->sk = nl_socket_alloc()) == NULL) {
		r = -ENOMEM;
		goto fail;
	}
	/* a dump is answered by NLMSG_DONE, never by an ACK to wait for */
	nl_socket_disable_auto_ack(t->sk);
	if ((r = nl_connect(t->sk, NETLINK_SOCK_DIAG)) < 0) {
		r = nl_errno(r);
		goto fail;
	}
	/* thousands of sockets arrive in one burst */
	nl_socket_set_buffer_size(t->sk, 1 << 20, 0);
	nl_socket_modify_cb(t->sk, NL_CB_VALID, NL_CB_CUSTOM, on_tcp_msg, t);
	open_events(t);
	*ret = t;
	return 0;
fail:
	stats_tcp_free(t);
	return r;
}

struct stats_tcp *
stats_tcp_free(struct stats_tcp *t)
{
	if (t == NULL)
		return NULL;
	if (t->sk != NULL)
		nl_socket_free(t->sk);
	if (t->ev != NULL)
		nl_socket_free(t->ev);
	free(t);
	return NULL;
}

/* The kernel answers a dump by walking every bucket of the established
 * hash table (262144 here: about 0.2 ms however few sockets there are),
 * once per request.  A SOCK_DIAG_BY_FAMILY request names one family, so
 * IPv4 and IPv6 cost two walks; the legacy TCPDIAG_GETSOCK request
 * (inet_diag_req, still served by inet_diag) dumps both in one walk. */
static int
tcp_dump_compat(struct stats_tcp *t)
{
	struct inet_diag_req req = {
		.idiag_family = AF_INET, /* the kernel takes any family */
		.idiag_ext = 1 << (INET_DIAG_INFO - 1),
		.idiag_states = ~((1u << TCP_LISTEN) | (1u << TCP_TIME_WAIT)),
	};
	int r;

	r = nl_send_simple(t->sk, TCPDIAG_GETSOCK, NLM_F_DUMP, &req,
			   sizeof(req));
	if (r < 0 || (r = nl_recvmsgs_default(t->sk)) < 0)
		return nl_errno(r);
	return 0;
}

int
stats_tcp_dump(struct stats_tcp *t,
	       void (*fn)(const struct stats_tcp_sock *s, void *ctx), void *ctx)
{
	static const int families[] = {AF_INET, AF_INET6};
	size_t i;
	int r;

	t->fn = fn;
	t->ctx = ctx;
	/* a socket delivered twice by a failed legacy dump and the
	 * fallback is credited once: the caller credits deltas */
	if (!t->no_compat) {
		if (tcp_dump_compat(t) == 0)
			return 0;
		t->no_compat = true;
	}
	for (i = 0; i < ARRAY_SIZE(families); i++) {
		struct inet_diag_req_v2 req = {
			.sdiag_family = (uint8_t)families[i],
			.sdiag_protocol = IPPROTO_TCP,
			.idiag_ext = 1 << (INET_DIAG_INFO - 1),
			.idiag_states =
				~((1u << TCP_LISTEN) | (1u << TCP_TIME_WAIT)),
		};

		r = nl_send_simple(t->sk, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, &req,
				   sizeof(req));
		if (r < 0)
			return nl_errno(r);
		if ((r = nl_recvmsgs_default(t->sk)) < 0)
			return nl_errno(r);
	}
	return 0;
}

int
stats_tcp_closed(struct stats_tcp *t,
		 void (*fn)(const struct stats_tcp_sock *s, void *ctx),
		 void *ctx)
{
	int r, i;

	if (t->ev == NULL)
		return -EOPNOTSUPP;
	t->fn = fn;
	t->ctx = ctx;
	/* read what is queued, never wait: poll first, whatever
	 * nl_recvmsgs makes of EAGAIN on a non-blocking socket */
	for (i = 0; i < 100000; i++) {
		struct pollfd pfd = {nl_socket_get_fd(t->ev), POLLIN, 0};

		if (poll(&pfd, 1, 0) <= 0)
			return 0;
		r = nl_recvmsgs_default(t->ev);
		if (r == -NLE_AGAIN)
			return 0;
		/* an overrun (ENOBUFS) dropped events: go on with the rest */
		if (r < 0 && r != -NLE_NOMEM)
			return nl_errno(r);
	}
	return 0;
}
