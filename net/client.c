/*
 * client: a small blocking HTTP/1.1 client for the daemon's control API.
 * See client.h for why it is not libcurl.
 *
 * Every wait is a poll() bounded by the request's deadline, so a daemon
 * that stops answering costs at most the timeout.  The answer is read
 * through one buffer: the status line and headers line by line, then the
 * body by Content-Length, by chunks, or up to the end of the connection,
 * each piece going either to the reply's body or to the stream function.
 */
#include "net/client.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define CONNECT_TIMEOUT_MS 5000
#define MAX_HEADERS (64 * 1024)
#define MAX_BODY (256ULL * 1024 * 1024)

struct client {
	char *unix_path; /* NULL for TCP */
	char *host;
	char *port;
	char *auth; /* "Authorization: Bearer ...\r\n" or "" */
	long timeout_ms;
	int fd; /* kept-alive connection, or -1 */
};

/* One answer being read. */
struct xfer {
	int fd;
	int64_t deadline; /* util_now_ms() value, or 0: none */
	char buf[16384];
	size_t off, len;
	struct client_reply *ret;
	client_data_fn fn;
	void *arg;
	bool stopped; /* FN asked to end */
	bool got_any; /* some byte of the answer arrived */
};

struct client *
client_new(const char *address, const char *token)
{
	struct client *c = xcalloc(1, sizeof(*c));

	c->fd = -1;
	if (strncmp(address, "http://", 7) == 0) {
		/* "host:port", "[v6]:port", with or without a trailing path */
		char *hp = xstrndup(address + 7, strcspn(address + 7, "/"));
		char *colon = strrchr(hp, ':');

		if (colon == NULL || colon == hp || colon[1] == '\0') {
			free(hp);
			free(c);
			return NULL;
		}
		*colon = '\0';
		if (hp[0] == '[' && colon[-1] == ']') {
			colon[-1] = '\0';
			c->host = xstrdup(hp + 1);
		} else {
			c->host = xstrdup(hp);
		}
		c->port = xstrdup(colon + 1);
		free(hp);
	} else {
		c->unix_path = xstrdup(address);
	}
	c->auth = token != NULL && c->unix_path == NULL ?
			  xasprintf("Authorization: Bearer %s\r\n", token) :
			  xstrdup("");
	return c;
}

static void
disconnect(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

struct client *
client_free(struct client *c)
{
	if (c == NULL)
		return NULL;
	disconnect(c);
	free(c->unix_path);
	free(c->host);
	free(c->port);
	free(c->auth);
	free(c);
	return NULL;
}

void
client_set_timeout_ms(struct client *c, long ms)
{
	c->timeout_ms = ms > 0 ? ms : 0;
}

void
client_reply_done(struct client_reply *r)
{
	strbuf_done(&r->body);
	r->status = 0;
}

/* Wait for EVENTS on FD until DEADLINE (0: forever). */
static int
wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = {.fd = fd, .events = events};
	int r, ms;

	for (;;) {
		ms = -1;
		if (deadline > 0) {
			int64_t left = deadline - util_now_ms();

			if (left <= 0)
				return -ETIMEDOUT;
			ms = (int)MIN(left, (int64_t)1 << 30);
		}
		r = poll(&p, 1, ms);
		if (r > 0)
			return 0;
		if (r == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

static int
connect_fd(int fd, const struct sockaddr *sa, socklen_t len)
{
	int64_t deadline = util_now_ms() + CONNECT_TIMEOUT_MS;
	int err = 0, r;
	socklen_t elen = sizeof(err);

	if (connect(fd, sa, len) == 0)
		return 0;
	if (errno != EINPROGRESS && errno != EAGAIN)
		return -errno;
	r = wait_fd(fd, POLLOUT, deadline);
	if (r < 0)
		return r;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
		return -errno;
	return -err;
}

static int
open_connection(struct client *c)
{
	struct addrinfo hints = {0}, *res = NULL, *ai;
	int fd = -1, r;

	if (c->unix_path != NULL) {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};

		if (strlen(c->unix_path) >= sizeof(sa.sun_path))
			return -ENAMETOOLONG;
		memcpy(sa.sun_path, c->unix_path, strlen(c->unix_path) + 1);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    0);
		if (fd < 0)
			return -errno;
		r = connect_fd(fd, (struct sockaddr *)&sa, sizeof(sa));
	} else {
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_NUMERICSERV;
		if (getaddrinfo(c->host, c->port, &hints, &res) != 0)
			return -ECONNREFUSED;
		r = -ECONNREFUSED;
		for (ai = res; ai != NULL; ai = ai->ai_next) {
			fd = socket(ai->ai_family, ai->ai_socktype |
						   SOCK_CLOEXEC | SOCK_NONBLOCK,
				    0);
			if (fd < 0)
				continue;
			r = connect_fd(fd, ai->ai_addr, ai->ai_addrlen);
			if (r == 0)
				break;
			close(fd);
			fd = -1;
		}
		freeaddrinfo(res);
	}
	if (r < 0) {
		if (fd >= 0)
			close(fd);
		return r;
	}
	c->fd = fd;
	return 0;
}

static int
send_all(struct xfer *x, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(x->fd, p, n, MSG_NOSIGNAL);

		if (w > 0) {
			p += w;
			n -= (size_t)w;
		} else if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
			int r = wait_fd(x->fd, POLLOUT, x->deadline);
			if (r < 0)
				return r;
		} else {
			return -ECONNRESET;
		}
	}
	return 0;
}

/* More bytes into the buffer: > 0, 0 at the end of the connection, or
 * -errno. */
static int
fill(struct xfer *x)
{
	ssize_t n;
	int r;

	if (x->off > 0) {
		memmove(x->buf, x->buf + x->off, x->len - x->off);
		x->len -= x->off;
		x->off = 0;
	}
	if (x->len == sizeof(x->buf))
		return -EPROTO;
	for (;;) {
		n = recv(x->fd, x->buf + x->len, sizeof(x->buf) - x->len, 0);
		if (n > 0) {
			x->len += (size_t)n;
			x->got_any = true;
			return (int)n;
		}
		if (n == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -ECONNRESET;
		r = wait_fd(x->fd, POLLIN, x->deadline);
		if (r < 0)
			return r;
	}
}

/* One line without its CRLF into LINE (reset first). */
static int
read_line(struct xfer *x, struct strbuf *line, size_t max)
{
	strbuf_reset(line);
	for (;;) {
		char *nl = memchr(x->buf + x->off, '\n', x->len - x->off);
		size_t n = nl != NULL ? (size_t)(nl - (x->buf + x->off)) :
					x->len - x->off;
		int r;

		if (line->len + n > max)
			return -EPROTO;
		strbuf_add(line, x->buf + x->off, n);
		if (nl != NULL) {
			x->off += n + 1;
			if (line->len > 0 && line->buf[line->len - 1] == '\r')
				line->buf[--line->len] = '\0';
			return 0;
		}
		x->off = x->len;
		r = fill(x);
		if (r <= 0)
			return r == 0 ? -ECONNRESET : r;
	}
}

static int
deliver(struct xfer *x, const char *p, size_t n)
{
	if (x->stopped || n == 0)
		return 0;
	if (x->fn != NULL && x->ret->status >= 200 && x->ret->status < 300) {
		if (x->fn(p, n, x->arg) != 0)
			x->stopped = true;
		return 0;
	}
	if (x->ret->body.len + n > MAX_BODY)
		return -EPROTO;
	strbuf_add(&x->ret->body, p, n);
	return 0;
}

/* N bytes of body (UINT64_MAX: up to the end of the connection). */
static int
read_body(struct xfer *x, uint64_t n)
{
	while (n > 0 && !x->stopped) {
		size_t avail = x->len - x->off;
		int r;

		if (avail == 0) {
			r = fill(x);
			if (r == 0 && n == UINT64_MAX)
				return 0;
			if (r <= 0)
				return r == 0 ? -ECONNRESET : r;
			continue;
		}
		if ((uint64_t)avail > n)
			avail = (size_t)n;
		r = deliver(x, x->buf + x->off, avail);
		if (r < 0)
			return r;
		x->off += avail;
		if (n != UINT64_MAX)
			n -= avail;
	}
	return 0;
}

static int
read_chunked(struct xfer *x, struct strbuf *line)
{
	for (;;) {
		uint64_t size = 0;
		const char *p;
		int r = read_line(x, line, 1024);

		if (r < 0)
			return r;
		for (p = strbuf_str(line); *p != '\0' && *p != ';'; p++) {
			int d = (*p >= '0' && *p <= '9')   ? *p - '0' :
				(*p >= 'a' && *p <= 'f') ? *p - 'a' + 10 :
				(*p >= 'A' && *p <= 'F') ? *p - 'A' + 10 :
							   -1;
			if (d < 0 || size > (MAX_BODY >> 4))
				return -EPROTO;
			size = size * 16 + (uint64_t)d;
		}
		if (p == strbuf_str(line))
			return -EPROTO;
		if (size == 0)
			break;
		r = read_body(x, size);
		if (r < 0 || x->stopped)
			return r;
		r = read_line(x, line, 2); /* the CRLF after the data */
		if (r < 0)
			return r;
		if (line->len != 0)
			return -EPROTO;
	}
	/* trailers, up to the empty line */
	do {
		int r = read_line(x, line, MAX_HEADERS);
		if (r < 0)
			return r;
	} while (line->len > 0);
	return 0;
}

/* Status line and headers; *RET_LENGTH is UINT64_MAX when the body runs
 * to the end of the connection. */
static int
read_head(struct xfer *x, struct strbuf *line, bool *ret_chunked,
	  uint64_t *ret_length, bool *ret_close)
{
	size_t total = 0;
	int r, minor;
	long status;
	char sp;
	bool chunked = false, close_after = false;
	uint64_t length = UINT64_MAX;

	do {
		r = read_line(x, line, MAX_HEADERS);
		if (r < 0)
			return r;
		if (sscanf(strbuf_str(line), "HTTP/1.%d %3ld%c", &minor, &status,
			   &sp) < 2 ||
		    status < 100 || status > 599)
			return -EPROTO;
		close_after = minor == 0;
		/* 1xx (100 Continue): another head follows */
		while (line->len > 0) {
			char *colon, *v;

			r = read_line(x, line, MAX_HEADERS - total);
			if (r < 0)
				return r;
			total += line->len;
			if (line->len == 0)
				break;
			colon = strchr(line->buf, ':');
			if (colon == NULL)
				return -EPROTO;
			*colon = '\0';
			for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
				;
			if (strcasecmp(line->buf, "Content-Length") == 0) {
				if (util_parse_uint64(v, MAX_BODY, &length) < 0)
					return -EPROTO;
			} else if (strcasecmp(line->buf,
					      "Transfer-Encoding") == 0) {
				chunked = strcasecmp(v, "chunked") == 0;
			} else if (strcasecmp(line->buf, "Connection") == 0) {
				close_after = strcasecmp(v, "close") == 0;
			}
		}
	} while (status < 200);
	x->ret->status = status;
	*ret_chunked = chunked;
	*ret_length = length;
	*ret_close = close_after;
	return 0;
}

static int
exchange(struct client *c, const char *method, const char *path,
	 const char *body, client_data_fn fn, void *arg,
	 struct client_reply *ret, bool *ret_retry)
{
	struct strbuf req = STRBUF_INIT, line = STRBUF_INIT;
	struct xfer *x = xcalloc(1, sizeof(*x));
	bool chunked = false, close_after = false, reused = c->fd >= 0;
	uint64_t length = UINT64_MAX;
	int r;

	*ret_retry = false;
	if (c->fd < 0) {
		r = open_connection(c);
		if (r < 0)
			goto out;
	}
	x->fd = c->fd;
	x->deadline = c->timeout_ms > 0 ? util_now_ms() + c->timeout_ms : 0;
	x->ret = ret;
	x->fn = fn;
	x->arg = arg;
	strbuf_addf(&req, "%s %s HTTP/1.1\r\nHost: localhost\r\n"
			  "User-Agent: supvisors-sched\r\n%s",
		    method, path, c->auth);
	if (body != NULL || strcmp(method, "GET") != 0)
		strbuf_addf(&req, "Content-Type: application/json\r\n"
				  "Content-Length: %zu\r\n",
			    body != NULL ? strlen(body) : 0);
	strbuf_adds(&req, "\r\n");
	if (body != NULL)
		strbuf_adds(&req, body);
	strbuf_reset(&ret->body);
	ret->status = 0;
	r = send_all(x, req.buf, req.len);
	if (r == 0)
		r = read_head(x, &line, &chunked, &length, &close_after);
	/* a kept connection the daemon closed meanwhile: open a new one */
	if (r == -ECONNRESET && reused && !x->got_any) {
		*ret_retry = true;
		goto out;
	}
	if (r < 0)
		goto out;
	if (chunked)
		r = read_chunked(x, &line);
	else if (length != UINT64_MAX || close_after)
		r = read_body(x, length);
	else
		r = read_body(x, UINT64_MAX);
	if (x->stopped || (!chunked && length == UINT64_MAX))
		close_after = true;
out:
	if (r < 0 || close_after)
		disconnect(c);
	strbuf_done(&req);
	strbuf_done(&line);
	free(x);
	return r;
}

static int
perform(struct client *c, const char *method, const char *path,
	const char *body, client_data_fn fn, void *arg,
	struct client_reply *ret)
{
	bool retry;
	int r;

	r = exchange(c, method, path, body, fn, arg, ret, &retry);
	if (retry)
		r = exchange(c, method, path, body, fn, arg, ret, &retry);
	return r;
}

int
client_request(struct client *c, const char *method, const char *path,
	       const char *body, struct client_reply *ret)
{
	return perform(c, method, path, body, NULL, NULL, ret);
}

int
client_stream(struct client *c, const char *path, client_data_fn fn,
	      void *arg, struct client_reply *ret)
{
	return perform(c, "GET", path, NULL, fn, arg, ret);
}

char *
client_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	struct strbuf sb = STRBUF_INIT;

	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch) != NULL) {
			strbuf_addc(&sb, (char)ch);
		} else {
			strbuf_addc(&sb, '%');
			strbuf_addc(&sb, hex[ch >> 4]);
			strbuf_addc(&sb, hex[ch & 15]);
		}
	}
	if (sb.buf == NULL)
		return xstrdup("");
	return strbuf_steal(&sb);
}
