/*
 * UDP and TCP for one gossip core, on libev.  See transport.h.
 *
 * Nothing here decides anything about membership: bytes in are checked
 * (seal_open, then the wire decoders) and handed to the core, what the
 * core outputs is sealed and sent.  Reads are bounded by the channel's
 * limit before any allocation; a TCP peer that does not deliver a whole
 * frame within the timeout is dropped.
 */
#define _GNU_SOURCE /* accept4 */
#include "net/transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/util.h"

struct conn {
	struct transport *t;
	ev_io io;
	ev_timer timer;
	int fd;
	bool outgoing;     /* we asked for this push-pull or command */
	bool cmd;          /* outgoing: a command, not a push-pull */
	transport_reply_fn reply_fn;
	void *reply_arg;
	bool writing;
	struct wire_addr peer;
	uint8_t *out;      /* sealed frame to write */
	size_t out_len;
	size_t out_off;
	uint8_t hdr[WIRE_HEADER_SIZE];
	uint8_t *in;       /* sealed frame being read */
	size_t in_len;     /* 0 until the header is in */
	size_t in_off;
	struct conn *next;
};

/* A connection attempt to a suspected member: refused means its daemon
 * is gone (swim_confirm_dead). */
struct refprobe {
	struct transport *t;
	ev_io io;
	ev_timer timer;
	int fd;
	uint8_t id[WIRE_ID_SIZE];
	struct refprobe *next;
};

struct transport {
	struct ev_loop *loop;
	struct swim *sw;
	struct seal *seal;
	int udp;
	int tcp;
	ev_io udp_io;
	ev_io tcp_io;
	ev_timer timer;
	struct conn *conns;
	size_t nconns;
	struct refprobe *probes;
	void (*on_event)(void *ctx, const struct swim_event *ev);
	void (*on_command)(void *ctx, const uint8_t *sender,
			   const uint8_t *body, size_t len,
			   struct strbuf *reply);
	void *ctx;
	struct transport_counters c;
};

static socklen_t
to_sockaddr(const struct wire_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == 4) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(a->port);
		memcpy(&in->sin_addr, a->ip, 4);
		return sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(a->port);
		memcpy(&in6->sin6_addr, a->ip, 16);
		return sizeof(*in6);
	}
}

static int
from_sockaddr(const struct sockaddr_storage *ss, struct wire_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;

		a->family = 4;
		a->port = ntohs(in->sin_port);
		memcpy(a->ip, &in->sin_addr, 4);
		return 0;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 =
			(const struct sockaddr_in6 *)ss;

		a->family = 6;
		a->port = ntohs(in6->sin6_port);
		memcpy(a->ip, &in6->sin6_addr, 16);
		return 0;
	}
	return -EAFNOSUPPORT;
}

static int
sock_open(const struct wire_addr *a, int type)
{
	int fd = socket(a->family == 4 ? AF_INET : AF_INET6,
			type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	return fd < 0 ? -errno : fd;
}

/* ------------------------------------------------------------ core glue */

static void
refprobe_free(struct refprobe *p)
{
	struct transport *t = p->t;
	struct refprobe **pp;

	for (pp = &t->probes; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	ev_io_stop(t->loop, &p->io);
	ev_timer_stop(t->loop, &p->timer);
	close(p->fd);
	free(p);
}

static void
on_refprobe(struct ev_loop *loop, ev_io *w, int revents)
{
	struct refprobe *p = container_of(w, struct refprobe, io);
	struct transport *t = p->t;
	int err = 0;
	socklen_t len = sizeof(err);
	uint8_t id[WIRE_ID_SIZE];

	(void)loop;
	(void)revents;
	if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	memcpy(id, p->id, sizeof(id));
	refprobe_free(p);
	if (err == ECONNREFUSED &&
	    swim_confirm_dead(t->sw, util_now_ms(), id) == 0) {
		t->c.refused_deaths++;
		transport_kick(t);
	}
}

static void
on_refprobe_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	refprobe_free(container_of(w, struct refprobe, timer));
}

static void
refprobe_start(struct transport *t, const uint8_t *id)
{
	struct sockaddr_storage ss;
	struct swim_member sm;
	struct refprobe *p;
	socklen_t sl;
	int k = swim_find(t->sw, id), fd;

	if (k < 0)
		return;
	swim_member_get(t->sw, (size_t)k, &sm);
	sl = to_sockaddr(&sm.addr, &ss);
	if ((fd = sock_open(&sm.addr, SOCK_STREAM)) < 0)
		return;
	if (connect(fd, (struct sockaddr *)&ss, sl) == 0 ||
	    errno != EINPROGRESS) {
		/* loopback may answer at once */
		int e = errno;

		close(fd);
		if (e == ECONNREFUSED &&
		    swim_confirm_dead(t->sw, util_now_ms(), id) == 0)
			t->c.refused_deaths++;
		return;
	}
	p = xcalloc(1, sizeof(*p));
	p->t = t;
	p->fd = fd;
	memcpy(p->id, id, WIRE_ID_SIZE);
	ev_io_init(&p->io, on_refprobe, fd, EV_WRITE);
	ev_io_start(t->loop, &p->io);
	ev_timer_init(&p->timer, on_refprobe_timeout, 1.0, 0.0);
	ev_timer_start(t->loop, &p->timer);
	p->next = t->probes;
	t->probes = p;
}

static void conn_start(struct transport *t, const struct wire_addr *to,
		       const uint8_t *body, size_t len);
static void conn_command(struct conn *c, const uint8_t *sender,
			 const uint8_t *body, size_t len);

static void
send_dgram(struct transport *t, const struct wire_addr *to,
	   const uint8_t *body, size_t len)
{
	uint8_t pkt[WIRE_DGRAM_MAX];
	struct sockaddr_storage ss;
	socklen_t sl = to_sockaddr(to, &ss);
	ssize_t n = seal_seal(t->seal, WIRE_T_GOSSIP, body, len, pkt,
			      sizeof(pkt));

	if (n < 0 || sendto(t->udp, pkt, (size_t)n, 0,
			    (struct sockaddr *)&ss, sl) != n) {
		t->c.send_errors++;
		return;
	}
	t->c.dgrams_out++;
}

void
transport_kick(struct transport *t)
{
	struct swim_output o;
	struct swim_event ev;
	int64_t next, now;

	while (swim_next_output(t->sw, &o)) {
		if (o.type == WIRE_T_GOSSIP)
			send_dgram(t, &o.to, o.body, o.len);
		else
			conn_start(t, &o.to, o.body, o.len);
	}
	while (swim_next_event(t->sw, &ev)) {
		if (ev.type == SWIM_EV_SUSPECT)
			refprobe_start(t, ev.id);
		if (t->on_event)
			t->on_event(t->ctx, &ev);
	}
	now = util_now_ms();
	next = swim_next_deadline(t->sw);
	ev_timer_stop(t->loop, &t->timer);
	ev_timer_set(&t->timer,
		     next <= now ? 0.0 : (double)(next - now) / 1000.0, 0.0);
	ev_timer_start(t->loop, &t->timer);
}

static void
on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct transport *t = container_of(w, struct transport, timer);

	swim_tick(t->sw, util_now_ms());
	transport_kick(t);
}

static void
on_udp(struct ev_loop *loop, ev_io *w, int revents)
{
	struct transport *t = container_of(w, struct transport, udp_io);
	static struct wire_packet pkt;
	uint8_t buf[WIRE_DGRAM_MAX + 1], body[WIRE_DGRAM_MAX];
	int budget;

	/* a bounded batch, so that a flood cannot starve the loop */
	for (budget = 0; budget < 64; budget++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct wire_header h;
		struct wire_addr from;
		ssize_t n = recvfrom(t->udp, buf, sizeof(buf), 0,
				     (struct sockaddr *)&ss, &sl);

		if (n < 0)
			break;
		t->c.dgrams_in++;
		if (from_sockaddr(&ss, &from) < 0)
			continue;
		n = seal_open(t->seal, SEAL_DGRAM, buf, (size_t)n, &h, body,
			      sizeof(body), NULL);
		if (n < 0)
			continue;
		if (wire_packet_decode(body, (size_t)n, &pkt) < 0) {
			seal_count_drop(t->seal, SEAL_DROP_DECODE);
			continue;
		}
		swim_recv(t->sw, util_now_ms(), h.sender, &from, &pkt);
	}
	transport_kick(t);
}

/* ------------------------------------------------------------ TCP */

static void
conn_free(struct conn *c)
{
	struct transport *t = c->t;
	struct conn **pp;

	for (pp = &t->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	t->nconns--;
	ev_io_stop(t->loop, &c->io);
	ev_timer_stop(t->loop, &c->timer);
	close(c->fd);
	free(c->out);
	free(c->in);
	free(c);
}

static void
conn_fail(struct conn *c)
{
	struct transport *t = c->t;

	if (c->outgoing && c->cmd) {
		transport_reply_fn fn = c->reply_fn;
		void *arg = c->reply_arg;

		t->c.cmd_failures++;
		conn_free(c);
		fn(arg, -ECOMM, NULL, 0);
		return;
	}
	if (c->outgoing) {
		t->c.sync_failures++;
		swim_sync_failed(t->sw, util_now_ms(), &c->peer);
	}
	conn_free(c);
	transport_kick(t);
}

static void
conn_want(struct conn *c, int events)
{
	ev_io_stop(c->t->loop, &c->io);
	ev_io_set(&c->io, c->fd, events);
	ev_io_start(c->t->loop, &c->io);
}

/* An incoming command: the caller answers at once; the answer goes back
 * on the same connection, which then closes. */
static void
conn_command(struct conn *c, const uint8_t *sender, const uint8_t *body,
	     size_t len)
{
	struct transport *t = c->t;
	struct strbuf reply = STRBUF_INIT;
	ssize_t n;

	t->c.cmds_in++;
	if (t->on_command != NULL)
		t->on_command(t->ctx, sender, body, len, &reply);
	c->out = xmalloc(reply.len + WIRE_OVERHEAD);
	n = seal_seal(t->seal, WIRE_T_CMD_REPLY, reply.buf ? reply.buf : "",
		      reply.len, c->out, reply.len + WIRE_OVERHEAD);
	strbuf_done(&reply);
	if (n < 0) {
		conn_fail(c);
		return;
	}
	c->out_len = (size_t)n;
	c->out_off = 0;
	c->writing = true;
	conn_want(c, EV_WRITE);
}

/* A whole frame is in: open, decode, hand to the core. */
static void
conn_frame(struct conn *c)
{
	struct transport *t = c->t;
	uint8_t *body = xmalloc(c->in_len);
	struct wire_header h;
	struct wire_sync sync;
	ssize_t n;

	n = seal_open(t->seal, SEAL_STREAM, c->in, c->in_len, &h, body,
		      c->in_len, NULL);
	if (n >= 0 && c->outgoing && c->cmd && h.type == WIRE_T_CMD_REPLY) {
		transport_reply_fn fn = c->reply_fn;
		void *arg = c->reply_arg;

		conn_free(c);
		fn(arg, 0, body, (size_t)n);
		free(body);
		return;
	}
	if (n >= 0 && !c->outgoing && h.type == WIRE_T_CMD) {
		conn_command(c, h.sender, body, (size_t)n);
		free(body);
		return;
	}
	if (n < 0 || c->cmd ||
	    h.type != (c->outgoing ? WIRE_T_SYNC_REPLY : WIRE_T_SYNC)) {
		if (n >= 0)
			seal_count_drop(t->seal, SEAL_DROP_TYPE);
		goto fail;
	}
	if (wire_sync_decode(body, (size_t)n, &sync) < 0) {
		seal_count_drop(t->seal, SEAL_DROP_DECODE);
		goto fail;
	}
	if (c->outgoing) {
		swim_sync_merge(t->sw, util_now_ms(), h.sender, &sync);
		wire_sync_free(&sync);
		free(body);
		conn_free(c);
		transport_kick(t);
		return;
	} else {
		struct wwriter w;
		ssize_t len;

		ww_init_growable(&w);
		swim_sync_reply(t->sw, util_now_ms(), h.sender, &sync, &w);
		wire_sync_free(&sync);
		t->c.syncs_in++;
		c->out = xmalloc(w.len + WIRE_OVERHEAD);
		len = w.err ? -EMSGSIZE
			    : seal_seal(t->seal, WIRE_T_SYNC_REPLY, w.p,
					w.len, c->out, w.len + WIRE_OVERHEAD);
		ww_done(&w);
		if (len < 0)
			goto fail;
		c->out_len = (size_t)len;
		c->out_off = 0;
		c->writing = true;
		conn_want(c, EV_WRITE);
		free(body);
		transport_kick(t);
		return;
	}
fail:
	free(body);
	conn_fail(c);
}

/* After a read or write that returned N: 1 progress, 0 try again later,
 * -1 the connection failed and is gone. */
static int
conn_io(struct conn *c, ssize_t n)
{
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		conn_fail(c);
		return -1;
	}
	return 1;
}

static void
on_conn(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = container_of(w, struct conn, io);
	ssize_t n;

	if (c->writing) {
		n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
		if (conn_io(c, n) <= 0)
			return;
		c->out_off += (size_t)n;
		if (c->out_off < c->out_len)
			return;
		if (!c->outgoing) {
			/* answered: done */
			conn_free(c);
			return;
		}
		c->writing = false;
		conn_want(c, EV_READ);
		return;
	}
	if (c->in_len == 0) {
		ssize_t size;

		n = read(c->fd, c->hdr + c->in_off,
			 WIRE_HEADER_SIZE - c->in_off);
		if (conn_io(c, n) <= 0)
			return;
		c->in_off += (size_t)n;
		if (c->in_off < WIRE_HEADER_SIZE)
			return;
		size = seal_frame_size(c->hdr);
		if (size < 0) {
			seal_count_drop(c->t->seal, SEAL_DROP_MAGIC);
			conn_fail(c);
			return;
		}
		c->in_len = (size_t)size;
		c->in = xmalloc(c->in_len);
		memcpy(c->in, c->hdr, WIRE_HEADER_SIZE);
	}
	n = read(c->fd, c->in + c->in_off, c->in_len - c->in_off);
	if (conn_io(c, n) <= 0)
		return;
	c->in_off += (size_t)n;
	if (c->in_off == c->in_len)
		conn_frame(c);
}

static void
on_conn_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	conn_fail(container_of(w, struct conn, timer));
}

static struct conn *
conn_new(struct transport *t, int fd, bool outgoing,
	 const struct wire_addr *peer)
{
	struct conn *c = xcalloc(1, sizeof(*c));

	c->t = t;
	c->fd = fd;
	c->outgoing = outgoing;
	c->peer = *peer;
	ev_io_init(&c->io, on_conn, fd, outgoing ? EV_WRITE : EV_READ);
	ev_io_start(t->loop, &c->io);
	ev_timer_init(&c->timer, on_conn_timeout,
		      TRANSPORT_CONN_TIMEOUT_MS / 1000.0, 0.0);
	ev_timer_start(t->loop, &c->timer);
	c->next = t->conns;
	t->conns = c;
	t->nconns++;
	return c;
}

static void
conn_start(struct transport *t, const struct wire_addr *to,
	   const uint8_t *body, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = to_sockaddr(to, &ss);
	struct conn *c;
	ssize_t n;
	int fd;

	t->c.syncs_out++;
	if (t->nconns >= TRANSPORT_CONNS_MAX ||
	    (fd = sock_open(to, SOCK_STREAM)) < 0)
		goto fail;
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 &&
	    errno != EINPROGRESS) {
		close(fd);
		goto fail;
	}
	c = conn_new(t, fd, true, to);
	c->out = xmalloc(len + WIRE_OVERHEAD);
	n = seal_seal(t->seal, WIRE_T_SYNC, body, len, c->out,
		      len + WIRE_OVERHEAD);
	if (n < 0) {
		conn_free(c);
		goto fail;
	}
	c->out_len = (size_t)n;
	c->writing = true;
	return;
fail:
	t->c.sync_failures++;
	swim_sync_failed(t->sw, util_now_ms(), to);
}

int
transport_command(struct transport *t, const struct wire_addr *to,
		  const void *body, size_t len, transport_reply_fn fn,
		  void *arg)
{
	struct sockaddr_storage ss;
	socklen_t sl = to_sockaddr(to, &ss);
	struct conn *c;
	ssize_t n;
	int fd;

	if (t->nconns >= TRANSPORT_CONNS_MAX)
		return -EAGAIN;
	if ((fd = sock_open(to, SOCK_STREAM)) < 0)
		return fd;
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 &&
	    errno != EINPROGRESS) {
		int r = -errno;

		close(fd);
		return r;
	}
	c = conn_new(t, fd, true, to);
	c->cmd = true;
	c->reply_fn = fn;
	c->reply_arg = arg;
	ev_timer_stop(t->loop, &c->timer);
	ev_timer_set(&c->timer, TRANSPORT_CMD_TIMEOUT_MS / 1000.0, 0.0);
	ev_timer_start(t->loop, &c->timer);
	c->out = xmalloc(len + WIRE_OVERHEAD);
	n = seal_seal(t->seal, WIRE_T_CMD, body, len, c->out,
		      len + WIRE_OVERHEAD);
	if (n < 0) {
		conn_free(c);
		return (int)n;
	}
	c->out_len = (size_t)n;
	c->writing = true;
	t->c.cmds_out++;
	return 0;
}

static void
on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct transport *t = container_of(w, struct transport, tcp_io);
	int budget;

	for (budget = 0; budget < 16; budget++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct wire_addr peer;
		int fd = accept4(t->tcp, (struct sockaddr *)&ss, &sl,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return;
		if (t->nconns >= TRANSPORT_CONNS_MAX ||
		    from_sockaddr(&ss, &peer) < 0) {
			t->c.conns_refused++;
			close(fd);
			continue;
		}
		conn_new(t, fd, false, &peer);
	}
}

/* ------------------------------------------------------------ life */

int
transport_new(const struct transport_conf *conf, struct transport **ret)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct transport *t;
	int one = 1, r;

	if (conf->loop == NULL || conf->keys == NULL || conf->keys->n == 0 ||
	    (conf->listen.family != 4 && conf->listen.family != 6))
		return -EINVAL;
	t = xcalloc(1, sizeof(*t));
	t->loop = conf->loop;
	t->udp = t->tcp = -1;
	t->on_event = conf->on_event;
	t->on_command = conf->on_command;
	t->ctx = conf->ctx;
	t->seal = seal_new(conf->cluster, conf->self.id, conf->self.generation,
			   conf->keys);
	t->sw = swim_new(&conf->swim, &conf->self, conf->seed);
	r = -EINVAL;
	if (t->seal == NULL || t->sw == NULL)
		goto fail;
	sl = to_sockaddr(&conf->listen, &ss);
	if ((r = sock_open(&conf->listen, SOCK_DGRAM)) < 0)
		goto fail;
	t->udp = r;
	if ((r = sock_open(&conf->listen, SOCK_STREAM)) < 0)
		goto fail;
	t->tcp = r;
	setsockopt(t->tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(t->udp, (struct sockaddr *)&ss, sl) < 0 ||
	    bind(t->tcp, (struct sockaddr *)&ss, sl) < 0 ||
	    listen(t->tcp, 64) < 0) {
		r = -errno;
		goto fail;
	}
	{
		/* bursts of gossip must not be dropped by the kernel */
		int size = 2 << 20;

		setsockopt(t->udp, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	}
	ev_io_init(&t->udp_io, on_udp, t->udp, EV_READ);
	ev_io_start(t->loop, &t->udp_io);
	ev_io_init(&t->tcp_io, on_accept, t->tcp, EV_READ);
	ev_io_start(t->loop, &t->tcp_io);
	ev_timer_init(&t->timer, on_timer, 0.0, 0.0);
	transport_kick(t);
	*ret = t;
	return 0;
fail:
	transport_free(t);
	return r;
}

struct transport *
transport_free(struct transport *t)
{
	if (t == NULL)
		return NULL;
	while (t->conns)
		conn_free(t->conns);
	while (t->probes)
		refprobe_free(t->probes);
	if (t->udp >= 0) {
		ev_io_stop(t->loop, &t->udp_io);
		close(t->udp);
	}
	if (t->tcp >= 0) {
		ev_io_stop(t->loop, &t->tcp_io);
		close(t->tcp);
	}
	ev_timer_stop(t->loop, &t->timer);
	swim_free(t->sw);
	seal_free(t->seal);
	free(t);
	return NULL;
}

struct swim *
transport_swim(struct transport *t)
{
	return t->sw;
}

void
transport_set_keyring(struct transport *t, const struct keyring *kr)
{
	seal_set_keyring(t->seal, kr);
}

const struct seal_counters *
transport_seal_counters(const struct transport *t)
{
	return seal_counters(t->seal);
}

const struct transport_counters *
transport_counters(const struct transport *t)
{
	return &t->c;
}

int
transport_identity(const char *state_dir, uint8_t ret_id[WIRE_ID_SIZE],
		   uint32_t *ret_generation)
{
	char *path, *tmp;
	char buf[128], hex[2 * WIRE_ID_SIZE + 1];
	uint8_t id[WIRE_ID_SIZE];
	uint64_t gen = 0;
	ssize_t n;
	int fd, r;

	if (sodium_init() < 0)
		return -EIO;
	path = xasprintf("%s/gossip-identity", state_dir);
	tmp = xasprintf("%s.tmp", path);

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		size_t idlen = 0;
		const char *end = NULL;
		char *sp;

		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		r = -EINVAL;
		if (n <= 0 || buf[n - 1] != '\n')
			goto out;
		buf[n - 1] = '\0';
		sp = strchr(buf, ' ');
		if (sp == NULL || sp - buf != 2 * WIRE_ID_SIZE)
			goto out;
		*sp = '\0';
		if (sodium_hex2bin(id, sizeof(id), buf, 2 * WIRE_ID_SIZE, NULL,
				   &idlen, &end) != 0 ||
		    idlen != WIRE_ID_SIZE ||
		    util_parse_uint64(sp + 1, UINT32_MAX, &gen) < 0)
			goto out;
		r = -EOVERFLOW;
		if (gen == UINT32_MAX)
			goto out;
	} else if (errno == ENOENT) {
		randombytes_buf(id, sizeof(id));
	} else {
		r = -errno;
		goto out;
	}
	gen++;
	sodium_bin2hex(hex, sizeof(hex), id, sizeof(id));
	n = snprintf(buf, sizeof(buf), "%s %llu\n", hex,
		     (unsigned long long)gen);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	r = write(fd, buf, (size_t)n) == n && fsync(fd) == 0 ? 0 : -EIO;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		goto out;
	}
	memcpy(ret_id, id, WIRE_ID_SIZE);
	*ret_generation = (uint32_t)gen;
out:
	free(path);
	free(tmp);
	return r;
}
