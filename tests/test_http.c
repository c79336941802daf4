/*
 * net/http: the server on a real libev loop, spoken to by a raw-socket
 * client in the same process.  The client never blocks: it watches its
 * socket with an ev_io and every wait runs the loop once (EVRUN_ONCE)
 * until a condition holds or a deadline passes, so the server and the
 * client take turns on one thread and no test sleeps.
 */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/util.h"
#include "net/http.h"
#include "tests/lib/testlib.h"

#define TCP_ADDR "127.0.0.1:17201"
#define TCP_PORT 17201

struct t {
	struct ev_loop *loop;
	struct http_server *srv;
	char path[512];
	int nreq;
	char method[16];
	char req_path[256];
	struct strbuf body;
	bool authorized;
	struct http_request *held;
	struct http_stream *stream;
	int aborts;
	int stream_aborts;
};

static struct t T;

static void
on_abort(struct http_request *req, void *data)
{
	struct t *t = data;

	t->aborts++;
	if (t->held == req)
		t->held = NULL;
}

static void
on_stream_abort(struct http_request *req, void *data)
{
	struct t *t = data;

	t->stream_aborts++;
	t->stream = NULL;
}

static void
handler(struct http_request *req, const struct http_request_info *info,
	void *ctx)
{
	struct t *t = ctx;
	struct strbuf sb = STRBUF_INIT;
	const char *q, *h;

	t->nreq++;
	snprintf(t->method, sizeof(t->method), "%s", info->method);
	snprintf(t->req_path, sizeof(t->req_path), "%s", info->path);
	strbuf_reset(&t->body);
	strbuf_add(&t->body, info->body, info->body_len);
	t->authorized = info->authorized;
	if (strcmp(info->path, "/echo") == 0) {
		q = http_request_query(req, "x");
		h = http_request_header(req, "x-test");
		strbuf_addf(&sb, "%s|%s|%s|%s|%zu", info->method,
			    q ? q : "-", h ? h : "-", info->body,
			    info->body_len);
		http_reply_text(req, 200, "text/plain", sb.buf, sb.len);
	} else if (strcmp(info->path, "/defer") == 0) {
		http_request_defer(req, on_abort, t);
		t->held = req;
	} else if (strcmp(info->path, "/stream") == 0) {
		t->stream = http_stream_open(req, "text/plain", 64,
					     on_stream_abort, t);
	} else if (strcmp(info->path, "/error") == 0) {
		http_reply_error(req, 409, "NOT_RUNNING", "a \"quote\"\nline");
	} else if (strcmp(info->path, "/silent") == 0) {
		/* answers nothing: the server must say 500 */
	} else {
		http_reply_error(req, 404, "NOT_FOUND", info->path);
	}
	strbuf_done(&sb);
}

/* ------------------------------------------------------------ client */

static void
noop_io(struct ev_loop *loop, ev_io *w, int revents)
{
}

static void
noop_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
}

typedef bool (*pred_fn)(void *arg);

struct conn {
	int fd;
	const char *out;
	size_t outlen, off;
	struct strbuf in;
	bool eof;
	ev_io io;
};

/* Run the loop until PRED(ARG) holds, C (if any) saw EOF, or 5 s passed.
 * Meanwhile C's pending output is written and its input gathered. */
static bool
pump(struct conn *c, pred_fn pred, void *arg)
{
	int64_t deadline = util_now_ms() + 5000;
	ev_timer tick;
	char buf[65536];
	bool ok = false;

	ev_timer_init(&tick, noop_timer, 0.5, 0.5);
	ev_timer_start(T.loop, &tick);
	if (c != NULL) {
		ev_io_init(&c->io, noop_io, c->fd, EV_READ);
		ev_io_start(T.loop, &c->io);
	}
	while (util_now_ms() < deadline) {
		if (pred != NULL && pred(arg)) {
			ok = true;
			break;
		}
		if (c != NULL) {
			ssize_t n;

			while (c->off < c->outlen) {
				n = send(c->fd, c->out + c->off,
					 c->outlen - c->off,
					 MSG_NOSIGNAL | MSG_DONTWAIT);
				if (n <= 0)
					break;
				c->off += (size_t)n;
			}
			for (;;) {
				n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
				if (n > 0) {
					strbuf_add(&c->in, buf, (size_t)n);
					continue;
				}
				if (n == 0 || (errno != EAGAIN && errno != EINTR))
					c->eof = true;
				break;
			}
			if (c->eof) {
				ok = pred == NULL || pred(arg);
				break;
			}
			ev_io_stop(T.loop, &c->io);
			ev_io_set(&c->io, c->fd,
				  EV_READ | (c->off < c->outlen ? EV_WRITE : 0));
			ev_io_start(T.loop, &c->io);
		}
		ev_run(T.loop, EVRUN_ONCE);
	}
	if (c != NULL)
		ev_io_stop(T.loop, &c->io);
	ev_timer_stop(T.loop, &tick);
	return ok;
}

static int
connect_unix_nb(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

static int
connect_tcp(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(0x7f000001);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

static void
conn_init(struct conn *c, int fd, const char *out, size_t len)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->out = out;
	c->outlen = len;
}

static void
conn_done(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	strbuf_done(&c->in);
}

/* Send RAW on a new connection to the unix socket, wait for EOF, return
 * the whole answer (caller frees). */
static char *
exchange_fd(int fd, const char *raw, size_t len)
{
	struct conn c;
	char *s;

	conn_init(&c, fd, raw, len);
	pump(&c, NULL, NULL);
	s = xstrdup(strbuf_str(&c.in));
	conn_done(&c);
	return s;
}

static char *
exchange(const char *raw)
{
	int fd = connect_unix_nb(T.path);

	ASSERT_TRUE(fd >= 0);
	return exchange_fd(fd, raw, strlen(raw));
}

static int
status_of(const char *resp)
{
	int st = -1;

	if (sscanf(resp, "HTTP/1.%*d %d", &st) != 1)
		return -1;
	return st;
}

static const char *
body_of(const char *resp)
{
	const char *p = strstr(resp, "\r\n\r\n");

	return p != NULL ? p + 4 : "";
}

static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void
setup(void)
{
	memset(&T, 0, sizeof(T));
	T.loop = ev_loop_new(EVFLAG_AUTO);
	snprintf(T.path, sizeof(T.path), "%s/ctl-%d.sock", test_tmpdir(),
		 getpid());
	T.srv = http_server_new(T.loop, handler, &T);
	ASSERT_NOT_NULL(T.srv);
	ASSERT_INT_EQ(http_server_listen_unix(T.srv, T.path, 0660), 0);
}

static void
teardown(void)
{
	T.srv = http_server_free(T.srv);
	ev_loop_destroy(T.loop);
	strbuf_done(&T.body);
}

/* ------------------------------------------------------------ tests */

static void
test_routing(void)
{
	char *r;
	int before = count_fds();

	setup();
	r = exchange("GET /echo?x=a%20b%3Ac HTTP/1.1\r\nHost: x\r\n"
		     "X-Test: hello\r\nConnection: close\r\n\r\n");
	ASSERT_INT_EQ(status_of(r), 200);
	ASSERT_STR_EQ(body_of(r), "GET|a b:c|hello||0");
	ASSERT_TRUE(strstr(r, "Content-Type: text/plain") != NULL);
	free(r);

	r = exchange("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 13\r\n"
		     "Connection: close\r\n\r\n{\"wait\":true}");
	ASSERT_INT_EQ(status_of(r), 200);
	ASSERT_STR_EQ(body_of(r), "POST|-|-|{\"wait\":true}|13");
	ASSERT_STR_EQ(T.req_path, "/echo");
	ASSERT_TRUE(T.authorized);
	free(r);

	/* the path is decoded: a namespec in the URL */
	r = exchange("GET /v1/processes/app%3A%2A HTTP/1.1\r\nHost: x\r\n"
		     "Connection: close\r\n\r\n");
	ASSERT_INT_EQ(status_of(r), 404);
	ASSERT_STR_EQ(T.req_path, "/v1/processes/app:*");
	free(r);

	/* two requests on one connection (keep-alive, pipelined) */
	r = exchange("GET /echo?x=1 HTTP/1.1\r\nHost: x\r\n\r\n"
		     "GET /echo?x=2 HTTP/1.1\r\nHost: x\r\n"
		     "Connection: close\r\n\r\n");
	ASSERT_TRUE(strstr(r, "GET|1|") != NULL);
	ASSERT_TRUE(strstr(r, "GET|2|") != NULL);
	free(r);

	/* a handler that answers nothing gets a 500 for it */
	r = exchange("GET /silent HTTP/1.1\r\nHost: x\r\n"
		     "Connection: close\r\n\r\n");
	ASSERT_INT_EQ(status_of(r), 500);
	free(r);
	teardown();
	ASSERT_INT_EQ(count_fds(), before);
}

static void
test_error_json(void)
{
	cJSON *j, *e;
	char *r;

	setup();
	r = exchange("GET /error HTTP/1.1\r\nHost: x\r\n"
		     "Connection: close\r\n\r\n");
	ASSERT_INT_EQ(status_of(r), 409);
	ASSERT_TRUE(strstr(r, "Content-Type: application/json") != NULL);
	j = cJSON_Parse(body_of(r));
	ASSERT_NOT_NULL(j);
	e = cJSON_GetObjectItem(j, "error");
	ASSERT_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItem(e, "code")),
		      "NOT_RUNNING");
	ASSERT_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItem(e, "message")),
		      "a \"quote\"\nline");
	cJSON_Delete(j);
	free(r);
	teardown();
}

static bool
is_held(void *arg)
{
	return T.held != NULL;
}

static bool
has_text(void *arg)
{
	struct conn *c = arg;

	return strstr(strbuf_str(&c->in), "hello") != NULL;
}

static void
test_defer(void)
{
	static const char req[] = "POST /defer HTTP/1.1\r\nHost: x\r\n"
				  "Content-Length: 2\r\nConnection: close\r\n"
				  "\r\n{}";
	struct conn c;

	setup();
	conn_init(&c, connect_unix_nb(T.path), req, strlen(req));
	ASSERT_TRUE(pump(&c, is_held, NULL));
	/* the loop keeps running; nothing is sent until the answer */
	ev_run(T.loop, EVRUN_NOWAIT);
	ASSERT_INT_EQ(c.in.len, 0);
	http_reply_json(T.held, 202, "{\"ok\":true}", 11);
	T.held = NULL;
	pump(&c, NULL, NULL);
	ASSERT_TRUE(c.eof);
	ASSERT_INT_EQ(status_of(strbuf_str(&c.in)), 202);
	ASSERT_STR_EQ(body_of(strbuf_str(&c.in)), "{\"ok\":true}");
	ASSERT_INT_EQ(T.aborts, 0);
	conn_done(&c);

	/* a request still deferred when the server goes: on_abort */
	conn_init(&c, connect_unix_nb(T.path), req, strlen(req));
	ASSERT_TRUE(pump(&c, is_held, NULL));
	teardown();
	ASSERT_INT_EQ(T.aborts, 1);
	ASSERT_NULL(T.held);
	conn_done(&c);
}

static bool
is_streaming(void *arg)
{
	return T.stream != NULL;
}

static bool
stream_aborted(void *arg)
{
	return T.stream_aborts > 0;
}

static void
test_stream(void)
{
	static const char req[] = "GET /stream HTTP/1.1\r\nHost: x\r\n"
				  "Connection: close\r\n\r\n";
	char big[65];
	struct conn c;
	const char *in;

	setup();
	conn_init(&c, connect_unix_nb(T.path), req, strlen(req));
	ASSERT_TRUE(pump(&c, is_streaming, NULL));
	ASSERT_INT_EQ(http_stream_write(T.stream, "hello", 5), 0);
	ASSERT_TRUE(pump(&c, has_text, &c));
	in = strbuf_str(&c.in);
	ASSERT_INT_EQ(status_of(in), 200);
	ASSERT_TRUE(strstr(in, "Transfer-Encoding: chunked") != NULL);
	ASSERT_TRUE(strstr(in, "\r\n5\r\nhello\r\n") != NULL);
	/* bounded: 64 bytes buffered at most */
	memset(big, 'x', sizeof(big));
	ASSERT_INT_EQ(http_stream_write(T.stream, big, 60), 0);
	ASSERT_INT_EQ(http_stream_write(T.stream, big, 5), -ENOBUFS);
	ASSERT_INT_EQ(http_stream_write(T.stream, big, 65), -ENOBUFS);
	ASSERT_INT_EQ(http_stream_write(T.stream, "tail", 4), 0);
	http_stream_close(T.stream);
	T.stream = NULL;
	pump(&c, NULL, NULL);
	ASSERT_TRUE(c.eof);
	in = strbuf_str(&c.in);
	ASSERT_TRUE(strstr(in, "tail") != NULL);
	ASSERT_TRUE(strstr(in, "\r\n0\r\n\r\n") != NULL);
	ASSERT_INT_EQ(T.stream_aborts, 0);
	conn_done(&c);

	/* the client leaves: noticed at the next write, on_abort runs */
	conn_init(&c, connect_unix_nb(T.path), req, strlen(req));
	ASSERT_TRUE(pump(&c, is_streaming, NULL));
	conn_done(&c);
	ASSERT_INT_EQ(http_stream_write(T.stream, "hello", 5), 0);
	ASSERT_TRUE(pump(NULL, stream_aborted, NULL));
	ASSERT_INT_EQ(T.stream_aborts, 1);
	ASSERT_NULL(T.stream);

	/* a stream open when the server goes: on_abort too */
	conn_init(&c, connect_unix_nb(T.path), req, strlen(req));
	ASSERT_TRUE(pump(&c, is_streaming, NULL));
	teardown();
	ASSERT_INT_EQ(T.stream_aborts, 2);
	conn_done(&c);
}

static void
test_limits(void)
{
	struct strbuf sb = STRBUF_INIT;
	char *r;
	int n0;
	size_t i;

	setup();
	n0 = T.nreq;
	/* headers just under 8 KiB pass, over it get 431 */
	strbuf_adds(&sb, "GET /echo HTTP/1.1\r\nHost: x\r\nConnection: close"
			 "\r\nX-Pad: ");
	for (i = 0; i < 7900; i++)
		strbuf_addc(&sb, 'a');
	strbuf_adds(&sb, "\r\n\r\n");
	r = exchange(sb.buf);
	ASSERT_INT_EQ(status_of(r), 200);
	free(r);
	strbuf_reset(&sb);
	strbuf_adds(&sb, "GET /echo HTTP/1.1\r\nHost: x\r\nConnection: close"
			 "\r\nX-Pad: ");
	for (i = 0; i < 8300; i++)
		strbuf_addc(&sb, 'a');
	strbuf_adds(&sb, "\r\n\r\n");
	r = exchange(sb.buf);
	ASSERT_INT_EQ(status_of(r), 431);
	free(r);
	/* far beyond the connection's memory: MHD refuses it itself */
	strbuf_reset(&sb);
	strbuf_adds(&sb, "GET /echo HTTP/1.1\r\nHost: x\r\nX-Pad: ");
	for (i = 0; i < 100000; i++)
		strbuf_addc(&sb, 'a');
	strbuf_adds(&sb, "\r\n\r\n");
	r = exchange(sb.buf);
	ASSERT_TRUE(status_of(r) == 431 || status_of(r) == 413);
	free(r);

	/* a 1 MiB body passes; Content-Length above it: 413 at once */
	strbuf_reset(&sb);
	strbuf_addf(&sb, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: "
			 "%d\r\nConnection: close\r\n\r\n", 1024 * 1024);
	for (i = 0; i < 1024 * 1024; i++)
		strbuf_addc(&sb, 'b');
	r = exchange(sb.buf);
	ASSERT_INT_EQ(status_of(r), 200);
	ASSERT_TRUE(strstr(r, "|1048576") != NULL);
	free(r);
	r = exchange("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: "
		     "1048577\r\n\r\n");
	ASSERT_INT_EQ(status_of(r), 413);
	free(r);

	/* a chunked body that grows past 1 MiB: connection closed */
	strbuf_reset(&sb);
	strbuf_adds(&sb, "POST /echo HTTP/1.1\r\nHost: x\r\n"
			 "Transfer-Encoding: chunked\r\n\r\n");
	for (i = 0; i < 17; i++) {
		size_t j;

		strbuf_adds(&sb, "10000\r\n");
		for (j = 0; j < 0x10000; j++)
			strbuf_addc(&sb, 'c');
		strbuf_adds(&sb, "\r\n");
	}
	strbuf_adds(&sb, "0\r\n\r\n");
	r = exchange(sb.buf);
	ASSERT_TRUE(status_of(r) != 200);
	free(r);
	ASSERT_INT_EQ(T.nreq, n0 + 2);
	strbuf_done(&sb);
	teardown();
}

static void
test_bad_requests(void)
{
	static const char *const bad[] = {
		"GET /a%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"GET /a%4 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"GET /a%00b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"GET /a%0ab HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"GET /q?x=%01 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"GET /q?x=%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"GET /echo HTTP/1.1\r\nConnection: close\r\n\r\n",
		"GET /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
		"GET /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n",
		"GET /echo HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
		"GET echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
	};
	static const char nul_body[] = "POST /echo HTTP/1.1\r\nHost: x\r\n"
				       "Content-Length: 3\r\nConnection: close"
				       "\r\n\r\na\0b";
	size_t i;
	char *r;

	setup();
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		r = exchange(bad[i]);
		if (status_of(r) != 400)
			fprintf(stderr, "request %zu: %.40s\n", i, r);
		ASSERT_INT_EQ(status_of(r), 400);
		free(r);
	}
	r = exchange_fd(connect_unix_nb(T.path), nul_body,
			sizeof(nul_body) - 1);
	ASSERT_INT_EQ(status_of(r), 400);
	free(r);
	/* a request line that cannot even be split: MHD hangs up */
	r = exchange("GARBAGE\r\n\r\n");
	ASSERT_TRUE(status_of(r) == 400 || r[0] == '\0');
	free(r);
	r = exchange("GET /echo HTTP/9.9\r\nHost: x\r\n\r\n");
	ASSERT_INT_EQ(status_of(r), 505);
	free(r);
	ASSERT_INT_EQ(T.nreq, 0);
	teardown();
}

static void
test_unix_socket(void)
{
	struct http_server *other;
	struct stat st;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char path[600];
	int fd;

	setup();
	ASSERT_INT_EQ(stat(T.path, &st), 0);
	ASSERT_TRUE(S_ISSOCK(st.st_mode));
	ASSERT_INT_EQ(st.st_mode & 07777, 0660);
	/* a second server on a live socket is refused */
	other = http_server_new(T.loop, handler, &T);
	ASSERT_INT_EQ(http_server_listen_unix(other, T.path, 0660),
		      -EADDRINUSE);
	/* a stale socket file (nobody listening) is replaced */
	snprintf(path, sizeof(path), "%s/stale.sock", test_tmpdir());
	ASSERT_TRUE(strlen(path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ASSERT_INT_EQ(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	ASSERT_INT_EQ(http_server_listen_unix(other, path, 0600), 0);
	ASSERT_INT_EQ(stat(path, &st), 0);
	ASSERT_INT_EQ(st.st_mode & 07777, 0600);
	/* what is not a socket is never removed */
	snprintf(path, sizeof(path), "%s/file", test_tmpdir());
	test_write_file(test_tmpdir(), "file", "data");
	ASSERT_INT_EQ(http_server_listen_unix(other, path, 0660), -EEXIST);
	ASSERT_INT_EQ(stat(path, &st), 0);
	other = http_server_free(other);
	snprintf(path, sizeof(path), "%s/stale.sock", test_tmpdir());
	ASSERT_INT_EQ(stat(path, &st), -1);
	/* the first server is untouched */
	ASSERT_INT_EQ(stat(T.path, &st), 0);
	teardown();
	ASSERT_INT_EQ(stat(T.path, &st), -1);
}

static char *
tcp_exchange(const char *raw)
{
	int fd = connect_tcp(TCP_PORT);

	ASSERT_TRUE(fd >= 0);
	return exchange_fd(fd, raw, strlen(raw));
}

/* The status of METHOD /echo over TCP without a token. */
static int
tcp_anonymous(const char *method)
{
	char raw[128], *r;
	int status;

	snprintf(raw, sizeof(raw),
		 "%s /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		 method);
	r = tcp_exchange(raw);
	status = status_of(r);
	free(r);
	return status;
}

/* Only POST /echo reads (not even GET): the predicate alone decides. */
static bool
post_echo_reads(const char *method, const char *path)
{
	return strcmp(method, "POST") == 0 && strcmp(path, "/echo") == 0;
}

static void
test_tcp_token(void)
{
	char *r;

	setup();
	ASSERT_INT_EQ(http_server_listen_tcp(T.srv, "nonsense", NULL, false),
		      -EINVAL);
	ASSERT_INT_EQ(http_server_listen_tcp(T.srv, TCP_ADDR, "s3cret",
					     false), 0);
	r = tcp_exchange("GET /echo HTTP/1.1\r\nHost: x\r\n"
			 "Connection: close\r\n\r\n");
	ASSERT_INT_EQ(status_of(r), 401);
	ASSERT_TRUE(strstr(r, "WWW-Authenticate: Bearer") != NULL);
	ASSERT_TRUE(strstr(r, "UNAUTHORIZED") != NULL);
	free(r);
	r = tcp_exchange("POST /echo HTTP/1.1\r\nHost: x\r\nAuthorization: "
			 "Bearer s3cre\r\nConnection: close\r\n\r\n");
	ASSERT_INT_EQ(status_of(r), 401);
	free(r);
	ASSERT_INT_EQ(T.nreq, 0);
	r = tcp_exchange("POST /echo HTTP/1.1\r\nHost: x\r\nAuthorization: "
			 "bearer s3cret\r\nConnection: close\r\n\r\n");
	ASSERT_INT_EQ(status_of(r), 200);
	ASSERT_TRUE(T.authorized);
	free(r);
	teardown();

	setup();
	ASSERT_INT_EQ(http_server_listen_tcp(T.srv, TCP_ADDR, "s3cret", true),
		      0);
	ASSERT_INT_EQ(tcp_anonymous("GET"), 200);
	ASSERT_FALSE(T.authorized);
	ASSERT_INT_EQ(tcp_anonymous("POST"), 401);
	/* a POST the server is told is a read (POST /v1/plan) passes */
	http_server_set_is_read(T.srv, post_echo_reads);
	ASSERT_INT_EQ(tcp_anonymous("POST"), 200);
	ASSERT_FALSE(T.authorized);
	ASSERT_INT_EQ(tcp_anonymous("GET"), 401);
	http_server_set_is_read(T.srv, NULL);
	ASSERT_INT_EQ(tcp_anonymous("GET"), 200);
	teardown();

	/* no token at all: every TCP write is refused */
	setup();
	ASSERT_INT_EQ(http_server_listen_tcp(T.srv, TCP_ADDR, NULL, true), 0);
	r = tcp_exchange("POST /echo HTTP/1.1\r\nHost: x\r\nAuthorization: "
			 "Bearer \r\nConnection: close\r\n\r\n");
	ASSERT_INT_EQ(status_of(r), 401);
	free(r);
	teardown();
}

static bool
got_answer(void *arg)
{
	struct conn *c = arg;

	return strstr(strbuf_str(&c->in), "\r\n\r\n") != NULL;
}

static void
test_connection_limit(void)
{
	static const char req[] = "GET /echo HTTP/1.1\r\nHost: x\r\n"
				  "Connection: close\r\n\r\n";
	int fds[256], n = 0, i;
	struct conn c;

	setup();
	/* 256 idle connections; the loop runs between connects so that
	 * the backlog never fills */
	while (n < 256) {
		int fd = connect_unix_nb(T.path);

		if (fd == -EAGAIN) {
			ev_run(T.loop, EVRUN_NOWAIT);
			continue;
		}
		ASSERT_TRUE(fd >= 0);
		fds[n++] = fd;
		ev_run(T.loop, EVRUN_NOWAIT);
	}
	/* the 257th waits in the backlog, unanswered... */
	conn_init(&c, connect_unix_nb(T.path), req, strlen(req));
	ASSERT_TRUE(c.fd >= 0);
	ASSERT_INT_EQ(send(c.fd, req, strlen(req), MSG_NOSIGNAL),
		      (ssize_t)strlen(req));
	c.off = c.outlen;
	for (i = 0; i < 50; i++)
		ev_run(T.loop, EVRUN_NOWAIT);
	ASSERT_INT_EQ(recv(c.fd, &(char){0}, 1, MSG_DONTWAIT), -1);
	ASSERT_INT_EQ(errno, EAGAIN);
	ASSERT_INT_EQ(T.nreq, 0);
	/* ...until a place frees up */
	close(fds[0]);
	ASSERT_TRUE(pump(&c, got_answer, &c));
	ASSERT_INT_EQ(status_of(strbuf_str(&c.in)), 200);
	conn_done(&c);
	for (i = 1; i < n; i++)
		close(fds[i]);
	teardown();
}

static void
test_idle_timeout(void)
{
	struct conn c;

	memset(&T, 0, sizeof(T));
	T.loop = ev_loop_new(EVFLAG_AUTO);
	snprintf(T.path, sizeof(T.path), "%s/idle.sock", test_tmpdir());
	T.srv = http_server_new(T.loop, handler, &T);
	http_server_set_idle_timeout(T.srv, 1);
	ASSERT_INT_EQ(http_server_listen_unix(T.srv, T.path, 0660), 0);
	/* half a request, then silence: the server hangs up */
	conn_init(&c, connect_unix_nb(T.path), "GET /echo HTTP/1.1\r\n", 20);
	pump(&c, NULL, NULL);
	ASSERT_TRUE(c.eof);
	ASSERT_INT_EQ(T.nreq, 0);
	conn_done(&c);
	teardown();
}

static void
test_adopt(void)
{
	static const char req[] = "GET /echo?x=sp HTTP/1.1\r\nHost: x\r\n"
				  "Connection: close\r\n\r\n";
	int sv[2];
	char *r;

	setup();
	ASSERT_INT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
		      0);
	ASSERT_INT_EQ(http_server_adopt(T.srv, sv[0]), 0);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	r = exchange_fd(sv[1], req, strlen(req));
	ASSERT_INT_EQ(status_of(r), 200);
	ASSERT_TRUE(strstr(r, "GET|sp|") != NULL);
	free(r);
	teardown();
}

/* "[::1]:port" listens on IPv6 loopback (when the host has it). */
static void
test_tcp_ipv6(void)
{
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6};
	int fd, r;
	char *resp;

	setup();
	r = http_server_listen_tcp(T.srv, "[::1]:17202", "tok", true);
	if (r == -EADDRNOTAVAIL || r == -EAFNOSUPPORT) {
		teardown();
		return; /* no IPv6 loopback here */
	}
	ASSERT_INT_EQ(r, 0);
	fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sa.sin6_port = htons(17202);
	sa.sin6_addr = in6addr_loopback;
	ASSERT_INT_EQ(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	resp = exchange_fd(fd, "GET /echo?x=6 HTTP/1.1\r\nHost: x\r\n"
			       "Connection: close\r\n\r\n", 54);
	ASSERT_INT_EQ(status_of(resp), 200);
	ASSERT_TRUE(strstr(resp, "GET|6|") != NULL);
	free(resp);
	teardown();
}

static const struct test_case cases[] = {
	{"routing, keep-alive, unanswered", test_routing},
	{"error bodies", test_error_json},
	{"deferred requests", test_defer},
	{"streams", test_stream},
	{"limits", test_limits},
	{"bad requests", test_bad_requests},
	{"unix socket", test_unix_socket},
	{"tcp bearer token", test_tcp_token},
	{"tcp over IPv6", test_tcp_ipv6},
	{"connection limit", test_connection_limit},
	{"idle timeout", test_idle_timeout},
	{"adopted socket", test_adopt},
};

int
main(int argc, char **argv)
{
	return test_main(argc, argv, "http", cases, ARRAY_SIZE(cases));
}
