/*
 * http: the control API's HTTP/1.1 server over libmicrohttpd (MHD),
 * driven from libev.  See http.h for the contract.
 *
 * MHD runs in "external epoll" mode: it keeps its own epoll set, whose fd
 * we watch with an ev_io, and tells us its next deadline (MHD_get_timeout)
 * which we keep in an ev_timer; after either fires we call MHD_run() and
 * re-arm the timer.  So MHD never runs a thread and every callback below
 * runs on the loop's thread.
 *
 * Listening sockets are made here, not by MHD, so that the unix socket
 * gets its mode at bind time (umask) and a live server on the same path
 * is detected (connect succeeds) instead of being silently replaced.  One
 * MHD daemon serves one listening socket, so the unix socket and the TCP
 * listener are two MHD daemons sharing the handler.
 *
 * MHD calls the access handler several times per request (headers, each
 * piece of body, end of body).  We check limits and authorisation on the
 * first call, gather the body, and call the user handler on the last.  A
 * response may only be queued from inside that callback, so an answer
 * given later (deferred request, stream) is stored in the request and the
 * suspended connection is resumed: MHD then calls the access handler
 * again and the stored response is queued there.  A stream that runs dry
 * suspends its connection from the content reader and is resumed by the
 * next write, since MHD would otherwise poll the reader in a busy loop.
 */
#include "net/http.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/util.h"

#define HTTP_MAX_HEADERS 8192
#define HTTP_MAX_BODY (1024 * 1024)
#define HTTP_MAX_CONNECTIONS 256
#define HTTP_IDLE_TIMEOUT_S 60
#define HTTP_MAX_LISTENERS 4
/* MHD's per-connection pool holds the read buffer (headers) and the
 * header part of the response; 8 KiB of headers must fit with room. */
#define HTTP_POOL_SIZE (32 * 1024)
#define HTTP_BACKLOG 128
#define HTTP_REALM "Bearer realm=\"supvisors-sched\""
/* The unescape callback writes this for a broken or NUL escape so that
 * the request fails validation: DEL is never valid in a decoded path. */
#define BAD_ESCAPE '\x7f'

struct http_listener {
	struct http_server *srv;
	struct MHD_Daemon *mhd;
	ev_io io;
	ev_timer timer;
	enum http_transport transport;
	bool adopted;		  /* no socket of its own: http_server_adopt */
	char *unix_path;	  /* removed on free if still ours */
	dev_t unix_dev;
	ino_t unix_ino;
	bool has_token;
	unsigned char token_hash[crypto_generichash_BYTES];
	bool public_read;
};

struct http_server {
	struct ev_loop *loop;
	http_handler_fn handler;
	void *ctx;
	unsigned idle_timeout_s;
	http_is_read_fn is_read; /* NULL: GET and HEAD */
	struct http_listener *listeners[HTTP_MAX_LISTENERS];
	size_t nlisteners;
	/* Resumes done outside MHD_run() are noticed through MHD's own
	 * wake-up pipe; the prepare watcher runs MHD once more before the
	 * loop blocks in case a resume did not wake it. */
	ev_prepare prepare;
	bool dirty;
	struct http_request *requests; /* live requests, for shutdown */
};

struct http_request {
	struct http_listener *lis;
	struct MHD_Connection *conn;
	struct http_request_info info;
	char *method;
	char *path;
	struct strbuf body;
	struct MHD_Response *resp; /* the answer, until queued */
	unsigned status;
	bool started;	 /* first access-handler call done */
	bool dispatched; /* handler called */
	bool in_handler;
	bool answered;	 /* http_reply_* or http_stream_open done */
	bool queued;
	bool suspended;
	bool aborted;	 /* on_abort ran (or server going away) */
	bool too_large;
	bool deferred;	 /* http_request_defer() called */
	http_abort_fn on_abort;
	void *abort_data;
	struct http_stream *stream;
	struct http_request *prev, *next;
};

/* Referenced by its request and by its MHD response, which MHD may
 * destroy before or after it reports the request completed. */
struct http_stream {
	struct http_request *req; /* NULL once the request completed */
	bool response_gone;
	char *buf;
	size_t off, len, cap, limit;
	bool closed;
	http_abort_fn on_abort;
	void *data;
};

static void listener_run(struct http_listener *lis);

/* ------------------------------------------------------------ helpers */

static int
set_cloexec_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	fl = fcntl(fd, F_GETFD);
	if (fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)
		return -errno;
	return 0;
}

static bool
has_control_char(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == BAD_ESCAPE)
			return true;
	return false;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Percent-decoding in place for the path, query keys and values.  MHD's
 * own decoder keeps a broken escape as it is and turns %00 into a NUL that
 * silently cuts the string; here both become BAD_ESCAPE so that the
 * request is refused with 400 instead of reaching a handler altered.
 */
static size_t
unescape_cb(void *cls, struct MHD_Connection *c, char *s)
{
	char *r = s, *w = s;

	while (*r != '\0') {
		if (*r != '%') {
			*w++ = *r++;
			continue;
		}
		int hi = hexval(r[1]), lo = hi < 0 ? -1 : hexval(r[2]);
		if (hi < 0 || lo < 0) {
			*w++ = BAD_ESCAPE;
			r += hi < 0 ? 1 : 2;
			continue;
		}
		*w = (char)(hi * 16 + lo);
		if (*w == '\0')
			*w = BAD_ESCAPE;
		w++;
		r += 3;
	}
	*w = '\0';
	return (size_t)(w - s);
}

static void
server_kick(struct http_server *srv)
{
	srv->dirty = true;
}

static void
request_resume(struct http_request *req)
{
	if (req->suspended) {
		req->suspended = false;
		MHD_resume_connection(req->conn);
		server_kick(req->lis->srv);
	}
}

static void
request_suspend(struct http_request *req)
{
	if (!req->suspended) {
		req->suspended = true;
		MHD_suspend_connection(req->conn);
	}
}

static struct MHD_Response *
make_response(const char *content_type, const char *body, size_t len)
{
	struct MHD_Response *r;

	r = MHD_create_response_from_buffer(len, (void *)body,
					    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		abort(); /* allocation failure: as xmalloc does */
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				content_type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	return r;
}

static char *
error_json(const char *code, const char *message)
{
	cJSON *root = cJSON_CreateObject(), *err;
	char *s;

	if (root == NULL)
		abort();
	err = cJSON_AddObjectToObject(root, "error");
	if (err == NULL || cJSON_AddStringToObject(err, "code", code) == NULL ||
	    cJSON_AddStringToObject(err, "message", message) == NULL)
		abort();
	s = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (s == NULL)
		abort();
	return s;
}

/* A 401 always says how to authenticate (RFC 7235). */
static struct MHD_Response *
make_error(unsigned status, const char *code, const char *message)
{
	struct MHD_Response *r;
	char *s = error_json(code, message);

	r = make_response("application/json", s, strlen(s));
	cJSON_free(s);
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					HTTP_REALM);
	return r;
}

/* Store the answer; queue it now if MHD is inside the access handler for
 * this request, else resume the connection so that MHD calls us back. */
static void
request_answer(struct http_request *req, unsigned status,
	       struct MHD_Response *resp)
{
	if (req->answered || req->aborted) {
		MHD_destroy_response(resp);
		return;
	}
	req->answered = true;
	req->resp = resp;
	req->status = status;
	if (!req->in_handler)
		request_resume(req);
}

static enum MHD_Result
queue_answer(struct http_request *req)
{
	enum MHD_Result r;

	r = MHD_queue_response(req->conn, req->status, req->resp);
	MHD_destroy_response(req->resp);
	req->resp = NULL;
	req->queued = true;
	return r;
}

/* Answer from inside the access handler, before the user handler ran. */
static enum MHD_Result
refuse(struct http_request *req, unsigned status, const char *code,
       const char *message)
{
	req->answered = true;
	req->resp = make_error(status, code, message);
	req->status = status;
	return queue_answer(req);
}

/* ------------------------------------------------------------ requests */

struct header_sum {
	size_t total;
	bool bad;
};

static enum MHD_Result
sum_header(void *cls, enum MHD_ValueKind kind, const char *key,
	   const char *value)
{
	struct header_sum *h = cls;

	h->total += strlen(key) + 4 + (value != NULL ? strlen(value) : 0);
	return MHD_YES;
}

static enum MHD_Result
check_arg(void *cls, enum MHD_ValueKind kind, const char *key,
	  const char *value)
{
	struct header_sum *h = cls;

	if (has_control_char(key) ||
	    (value != NULL && has_control_char(value))) {
		h->bad = true;
		return MHD_NO;
	}
	return MHD_YES;
}

static bool
is_read(const struct http_server *srv, const char *method, const char *path)
{
	if (srv->is_read != NULL)
		return srv->is_read(method, path);
	return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

/* Unix socket: trusted.  TCP: "Authorization: Bearer TOKEN", compared in
 * constant time through fixed-size hashes (so length leaks nothing). */
static bool
check_token(struct http_request *req)
{
	struct http_listener *lis = req->lis;
	unsigned char h[crypto_generichash_BYTES];
	const char *a, *tok;

	if (lis->transport == HTTP_UNIX)
		return true;
	if (!lis->has_token)
		return false;
	a = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
					MHD_HTTP_HEADER_AUTHORIZATION);
	if (a == NULL || strncasecmp(a, "Bearer ", 7) != 0)
		return false;
	for (tok = a + 7; *tok == ' '; tok++)
		;
	crypto_generichash(h, sizeof(h), (const unsigned char *)tok,
			   strlen(tok), NULL, 0);
	return sodium_memcmp(h, lis->token_hash, sizeof(h)) == 0;
}

/* First call: headers are in.  Returns MHD_YES with nothing queued when
 * the request may go on, or the result of queueing a refusal. */
static enum MHD_Result
request_start(struct http_request *req, const char *url, const char *method,
	      const char *version)
{
	struct header_sum h = {0, false};
	const char *cl;
	uint64_t len;

	h.total = strlen(method) + strlen(url) + strlen(version) + 4;
	MHD_get_connection_values(req->conn, MHD_HEADER_KIND, sum_header, &h);
	if (h.total > HTTP_MAX_HEADERS)
		return refuse(req, 431, "BAD_REQUEST",
			      "request headers larger than 8 KiB");
	if (url[0] != '/' || has_control_char(url))
		return refuse(req, MHD_HTTP_BAD_REQUEST, "BAD_REQUEST",
			      "malformed request path");
	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, check_arg,
				  &h);
	if (h.bad)
		return refuse(req, MHD_HTTP_BAD_REQUEST, "BAD_REQUEST",
			      "malformed query string");
	cl = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
					 MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL && util_parse_uint64(cl, UINT64_MAX, &len) == 0 &&
	    len > HTTP_MAX_BODY)
		return refuse(req, 413,
			      "PAYLOAD_TOO_LARGE", "request body larger than 1 MiB");
	req->info.authorized = check_token(req);
	if (!req->info.authorized &&
	    (!is_read(req->lis->srv, method, url) || !req->lis->public_read))
		return refuse(req, MHD_HTTP_UNAUTHORIZED, "UNAUTHORIZED",
			      "a bearer token is required");
	req->method = xstrdup(method);
	req->path = xstrdup(url);
	req->info.method = req->method;
	req->info.path = req->path;
	req->info.transport = req->lis->transport;
	return MHD_YES;
}

static enum MHD_Result
request_dispatch(struct http_request *req)
{
	struct http_server *srv = req->lis->srv;

	if (memchr(strbuf_str(&req->body), '\0', req->body.len) != NULL)
		return refuse(req, MHD_HTTP_BAD_REQUEST, "BAD_REQUEST",
			      "NUL byte in request body");
	req->info.body = strbuf_str(&req->body);
	req->info.body_len = req->body.len;
	req->dispatched = true;
	req->in_handler = true;
	srv->handler(req, &req->info, srv->ctx);
	req->in_handler = false;
	if (req->answered)
		return queue_answer(req);
	if (req->deferred || req->stream != NULL) {
		request_suspend(req);
		return MHD_YES;
	}
	return refuse(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "INTERNAL",
		      "the request was not answered");
}

static enum MHD_Result
on_access(void *cls, struct MHD_Connection *conn, const char *url,
	  const char *method, const char *version, const char *upload_data,
	  size_t *upload_data_size, void **con_cls)
{
	struct http_listener *lis = cls;
	struct http_server *srv = lis->srv;
	struct http_request *req = *con_cls;

	if (req == NULL) {
		req = xcalloc(1, sizeof(*req));
		req->lis = lis;
		req->conn = conn;
		req->next = srv->requests;
		if (srv->requests != NULL)
			srv->requests->prev = req;
		srv->requests = req;
		*con_cls = req;
	}
	if (!req->started) {
		req->started = true;
		return request_start(req, url, method, version);
	}
	if (*upload_data_size > 0) {
		if (req->too_large ||
		    req->body.len + *upload_data_size > HTTP_MAX_BODY) {
			/* A chunked body past the limit: no response may be
			 * queued while a body is arriving, so close. */
			req->too_large = true;
			return MHD_NO;
		}
		strbuf_add(&req->body, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (!req->dispatched)
		return request_dispatch(req);
	if (req->answered && !req->queued)
		return queue_answer(req);
	if (req->aborted)
		return MHD_NO; /* the server is going away */
	/* resumed with nothing to send yet (a stray wake-up) */
	if (!req->answered)
		request_suspend(req);
	return MHD_YES;
}

static void
stream_free(struct http_stream *s)
{
	free(s->buf);
	free(s);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
	     enum MHD_RequestTerminationCode toe)
{
	struct http_listener *lis = cls;
	struct http_request *req = *con_cls;
	struct http_stream *s;

	if (req == NULL)
		return;
	*con_cls = NULL;
	s = req->stream;
	if (s != NULL) {
		if (!s->closed && !req->aborted) {
			req->aborted = true;
			if (s->on_abort != NULL)
				s->on_abort(req, s->data);
		}
		s->closed = true;
	} else if (!req->answered && !req->aborted && req->dispatched) {
		req->aborted = true;
		if (req->on_abort != NULL)
			req->on_abort(req, req->abort_data);
	}
	if (req->resp != NULL)
		MHD_destroy_response(req->resp);
	if (s != NULL) {
		s->req = NULL;
		if (s->response_gone)
			stream_free(s);
	}
	if (req->prev != NULL)
		req->prev->next = req->next;
	else
		lis->srv->requests = req->next;
	if (req->next != NULL)
		req->next->prev = req->prev;
	strbuf_done(&req->body);
	free(req->method);
	free(req->path);
	free(req);
}

/* ------------------------------------------------------------ public API */

const char *
http_request_query(struct http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND,
					   name);
}

const char *
http_request_header(struct http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

void
http_reply_json(struct http_request *req, unsigned status, const char *body,
		size_t len)
{
	request_answer(req, status,
		       make_response("application/json", body, len));
}

void
http_reply_error(struct http_request *req, unsigned status, const char *code,
		 const char *message)
{
	request_answer(req, status, make_error(status, code, message));
}

void
http_reply_text(struct http_request *req, unsigned status,
		const char *content_type, const char *body, size_t len)
{
	request_answer(req, status, make_response(content_type, body, len));
}

void
http_request_defer(struct http_request *req, http_abort_fn on_abort,
		   void *data)
{
	req->deferred = true;
	req->on_abort = on_abort;
	req->abort_data = data;
}

/* ------------------------------------------------------------ streams */

static ssize_t
stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct http_stream *s = cls;
	size_t n = s->len - s->off;

	if (n == 0) {
		if (s->closed || s->req == NULL)
			return MHD_CONTENT_READER_END_OF_STREAM;
		/* nothing yet: sleep until the next write or close */
		request_suspend(s->req);
		return 0;
	}
	n = MIN(n, max);
	memcpy(buf, s->buf + s->off, n);
	s->off += n;
	if (s->off == s->len)
		s->off = s->len = 0;
	return (ssize_t)n;
}

static void
stream_release(void *cls)
{
	struct http_stream *s = cls;

	s->response_gone = true;
	if (s->req == NULL)
		stream_free(s);
}

struct http_stream *
http_stream_open(struct http_request *req, const char *content_type,
		 size_t limit, http_abort_fn on_abort, void *data)
{
	struct http_stream *s;
	struct MHD_Response *r;

	if (req->answered || req->aborted)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->req = req;
	s->limit = limit;
	s->on_abort = on_abort;
	s->data = data;
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024,
					      stream_read, s, stream_release);
	if (r == NULL)
		abort();
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	req->stream = s;
	request_answer(req, MHD_HTTP_OK, r);
	return s;
}

int
http_stream_write(struct http_stream *s, const char *data, size_t len)
{
	size_t pending = s->len - s->off;

	if (s->closed || s->req == NULL)
		return -EPIPE;
	if (len > s->limit || pending > s->limit - len)
		return -ENOBUFS;
	if (s->off > 0 && s->len + len > s->cap) {
		memmove(s->buf, s->buf + s->off, pending);
		s->off = 0;
		s->len = pending;
	}
	if (s->len + len > s->cap) {
		s->cap = MAX(s->len + len, MAX(s->cap * 2, (size_t)4096));
		s->buf = xrealloc(s->buf, s->cap);
	}
	memcpy(s->buf + s->len, data, len);
	s->len += len;
	if (len > 0)
		request_resume(s->req);
	return 0;
}

size_t
http_stream_buffered(const struct http_stream *s)
{
	return s->len - s->off;
}

void
http_stream_close(struct http_stream *s)
{
	if (s == NULL || s->closed)
		return;
	s->closed = true;
	if (s->req != NULL)
		request_resume(s->req);
}

/* ------------------------------------------------------------ listeners */

static void
listener_rearm(struct http_listener *lis)
{
	struct ev_loop *loop = lis->srv->loop;
	MHD_UNSIGNED_LONG_LONG ms;

	ev_timer_stop(loop, &lis->timer);
	if (MHD_get_timeout(lis->mhd, &ms) == MHD_YES) {
		ev_timer_set(&lis->timer, (double)ms / 1000.0, 0.);
		ev_timer_start(loop, &lis->timer);
	}
}

static unsigned
listener_connections(struct http_listener *lis)
{
	const union MHD_DaemonInfo *di;

	di = MHD_get_daemon_info(lis->mhd,
				 MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
	return di != NULL ? di->num_connections : 0;
}

static void
listener_run(struct http_listener *lis)
{
	bool at_limit = listener_connections(lis) >= HTTP_MAX_CONNECTIONS;

	MHD_run(lis->mhd);
	/* At the limit MHD stops listening, and it starts again only at
	 * the start of a run: without this second run, connections waiting
	 * in the backlog would wait for an unrelated event. */
	if (at_limit && listener_connections(lis) < HTTP_MAX_CONNECTIONS)
		MHD_run(lis->mhd);
	listener_rearm(lis);
}

static void
on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	listener_run(container_of(w, struct http_listener, io));
}

static void
on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	listener_run(container_of(w, struct http_listener, timer));
}

static void
on_prepare(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct http_server *srv = container_of(w, struct http_server, prepare);
	int rounds;
	size_t i;

	for (rounds = 0; srv->dirty && rounds < 4; rounds++) {
		srv->dirty = false;
		for (i = 0; i < srv->nlisteners; i++)
			listener_run(srv->listeners[i]);
	}
}

/* Start an MHD daemon on FD (or on no socket when FD < 0).  On failure
 * FD is left to the caller; on success MHD owns it. */
static int
listener_start(struct http_server *srv, int fd, enum http_transport t,
	       struct http_listener **ret)
{
	struct http_listener *lis;
	const union MHD_DaemonInfo *di;
	unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;
	struct MHD_OptionItem opts[] = {
		{MHD_OPTION_CONNECTION_LIMIT, HTTP_MAX_CONNECTIONS, NULL},
		{MHD_OPTION_CONNECTION_TIMEOUT, srv->idle_timeout_s, NULL},
		{MHD_OPTION_CONNECTION_MEMORY_LIMIT, HTTP_POOL_SIZE, NULL},
		{MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, NULL},
		{MHD_OPTION_UNESCAPE_CALLBACK, (intptr_t)unescape_cb, NULL},
		/* refuse what request smuggling is made of: no Host, bare LF,
		 * spaces around header names */
		{MHD_OPTION_STRICT_FOR_CLIENT, 1, NULL},
		{fd >= 0 ? MHD_OPTION_LISTEN_SOCKET : MHD_OPTION_END, fd, NULL},
		{MHD_OPTION_END, 0, NULL},
	};

	if (srv->nlisteners >= HTTP_MAX_LISTENERS)
		return -ENOSPC;
	if (fd < 0)
		flags |= MHD_USE_NO_LISTEN_SOCKET;
	lis = xcalloc(1, sizeof(*lis));
	lis->srv = srv;
	lis->transport = t;
	opts[3].ptr_value = lis;
	errno = 0;
	lis->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_access, lis,
				    MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (lis->mhd == NULL) {
		int r = errno != 0 ? -errno : -EIO;
		free(lis);
		return r;
	}
	di = MHD_get_daemon_info(lis->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	ev_io_init(&lis->io, on_io, di->epoll_fd, EV_READ);
	ev_io_start(srv->loop, &lis->io);
	ev_init(&lis->timer, on_timer);
	listener_rearm(lis);
	srv->listeners[srv->nlisteners++] = lis;
	*ret = lis;
	return 0;
}

static void
listener_free(struct http_listener *lis)
{
	struct stat st;

	ev_io_stop(lis->srv->loop, &lis->io);
	ev_timer_stop(lis->srv->loop, &lis->timer);
	MHD_stop_daemon(lis->mhd);
	/* remove the socket file only if it is still the one we bound */
	if (lis->unix_path != NULL && lstat(lis->unix_path, &st) == 0 &&
	    st.st_dev == lis->unix_dev && st.st_ino == lis->unix_ino)
		unlink(lis->unix_path);
	free(lis->unix_path);
	free(lis);
}

/* 0: something accepts connections at SA; -ECONNREFUSED: nobody does. */
static int
probe_unix(const struct sockaddr_un *sa)
{
	int fd, r = 0;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0) {
		/* EAGAIN: a live server whose backlog is full */
		if (errno == ECONNREFUSED || errno == ENOENT)
			r = -ECONNREFUSED;
		else if (errno != EAGAIN)
			r = -errno;
	}
	close(fd);
	return r;
}

int
http_server_listen_unix(struct http_server *srv, const char *path,
			unsigned mode)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct http_listener *lis;
	struct stat st;
	mode_t old;
	int fd = -1, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	if (srv->nlisteners >= HTTP_MAX_LISTENERS)
		return -ENOSPC;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST; /* never remove what is not a socket */
		r = probe_unix(&sa);
		if (r == 0)
			return -EADDRINUSE;
		if (r != -ECONNREFUSED)
			return r;
		if (unlink(path) < 0 && errno != ENOENT)
			return -errno;
	} else if (errno != ENOENT) {
		return -errno;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* the file is born with MODE: no window where it is wider */
	old = umask(~mode & 0777);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0) {
		r = -errno;
		goto fail;
	}
	if (chmod(path, mode & 07777) < 0 || lstat(path, &st) < 0 ||
	    listen(fd, HTTP_BACKLOG) < 0) {
		r = -errno;
		unlink(path);
		goto fail;
	}
	r = listener_start(srv, fd, HTTP_UNIX, &lis);
	if (r < 0) {
		unlink(path);
		goto fail;
	}
	lis->unix_path = xstrdup(path);
	lis->unix_dev = st.st_dev;
	lis->unix_ino = st.st_ino;
	return 0;
fail:
	close(fd);
	return r;
}

/* "host:port", "[v6]:port" or ":port" (every address). */
static int
split_hostport(const char *hostport, char **ret_host, char **ret_port)
{
	const char *colon, *host = hostport;
	size_t hlen;
	int64_t port;

	if (hostport[0] == '[') {
		const char *end = strchr(hostport, ']');
		if (end == NULL || end[1] != ':')
			return -EINVAL;
		host = hostport + 1;
		hlen = (size_t)(end - host);
		colon = end + 1;
	} else {
		colon = strrchr(hostport, ':');
		if (colon == NULL)
			return -EINVAL;
		hlen = (size_t)(colon - hostport);
	}
	if (util_parse_int64(colon + 1, 0, 65535, &port) < 0)
		return -EINVAL;
	*ret_host = hlen > 0 ? xstrndup(host, hlen) : NULL;
	*ret_port = xstrdup(colon + 1);
	return 0;
}

int
http_server_listen_tcp(struct http_server *srv, const char *hostport,
		       const char *token, bool public_read)
{
	struct addrinfo hints = {0}, *res = NULL;
	struct http_listener *lis;
	char *host = NULL, *port = NULL;
	int fd = -1, r, one = 1;

	if (srv->nlisteners >= HTTP_MAX_LISTENERS)
		return -ENOSPC;
	r = split_hostport(hostport, &host, &port);
	if (r < 0)
		return r;
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &res) != 0 || res == NULL) {
		r = -EADDRNOTAVAIL;
		goto out;
	}
	fd = socket(res->ai_family,
		    res->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, res->ai_addr, res->ai_addrlen) < 0 ||
	    listen(fd, HTTP_BACKLOG) < 0) {
		r = -errno;
		goto out;
	}
	r = listener_start(srv, fd, HTTP_TCP, &lis);
	if (r < 0)
		goto out;
	fd = -1;
	lis->public_read = public_read;
	if (token != NULL && token[0] != '\0') {
		lis->has_token = true;
		crypto_generichash(lis->token_hash, sizeof(lis->token_hash),
				   (const unsigned char *)token, strlen(token),
				   NULL, 0);
	}
out:
	if (fd >= 0)
		close(fd);
	if (res != NULL)
		freeaddrinfo(res);
	free(host);
	free(port);
	return r;
}

int
http_server_adopt(struct http_server *srv, int fd)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct http_listener *lis = NULL;
	size_t i;
	int r;

	r = set_cloexec_nonblock(fd);
	if (r < 0)
		return r;
	for (i = 0; i < srv->nlisteners; i++)
		if (srv->listeners[i]->adopted)
			lis = srv->listeners[i];
	if (lis == NULL) {
		r = listener_start(srv, -1, HTTP_UNIX, &lis);
		if (r < 0)
			return r;
		lis->adopted = true;
	}
	if (MHD_add_connection(lis->mhd, fd, (struct sockaddr *)&sa,
			       sizeof(sa)) != MHD_YES)
		return -EMFILE; /* MHD closed FD */
	server_kick(srv);
	return 0;
}

void
http_server_set_idle_timeout(struct http_server *srv, unsigned seconds)
{
	srv->idle_timeout_s = seconds > 0 ? seconds : 1;
}

void
http_server_set_is_read(struct http_server *srv, http_is_read_fn fn)
{
	srv->is_read = fn;
}

struct http_server *
http_server_new(struct ev_loop *loop, http_handler_fn handler, void *ctx)
{
	struct http_server *srv;

	if (sodium_init() < 0)
		return NULL;
	srv = xcalloc(1, sizeof(*srv));
	srv->loop = loop;
	srv->handler = handler;
	srv->ctx = ctx;
	srv->idle_timeout_s = HTTP_IDLE_TIMEOUT_S;
	ev_prepare_init(&srv->prepare, on_prepare);
	ev_prepare_start(loop, &srv->prepare);
	return srv;
}

struct http_server *
http_server_free(struct http_server *srv)
{
	struct http_request *req;
	size_t i;

	if (srv == NULL)
		return NULL;
	/* Pending requests and open streams are abandoned: tell their
	 * owners, then resume every suspended connection, since MHD must
	 * not be stopped while any is suspended. */
	for (req = srv->requests; req != NULL; req = req->next) {
		struct http_stream *s = req->stream;

		if (!req->aborted &&
		    ((s != NULL && !s->closed) ||
		     (s == NULL && req->dispatched && !req->answered))) {
			req->aborted = true;
			if (s != NULL && s->on_abort != NULL)
				s->on_abort(req, s->data);
			else if (s == NULL && req->on_abort != NULL)
				req->on_abort(req, req->abort_data);
		}
		req->aborted = true;
		if (s != NULL)
			s->closed = true;
		if (req->suspended) {
			req->suspended = false;
			MHD_resume_connection(req->conn);
		}
	}
	for (i = 0; i < srv->nlisteners; i++)
		MHD_run(srv->listeners[i]->mhd);
	for (i = 0; i < srv->nlisteners; i++)
		listener_free(srv->listeners[i]);
	ev_prepare_stop(srv->loop, &srv->prepare);
	free(srv);
	return NULL;
}
