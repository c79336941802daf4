/*
 * http: the HTTP/1.1 server of the control API, built on libmicrohttpd
 * and driven from the libev loop (MHD runs with no thread of its own; its
 * epoll fd is an ev_io and its timeout an ev_timer), so every handler runs
 * on the daemon's one thread and may touch daemon state directly.
 *
 * The server knows nothing of routes: it decodes a request (method, path,
 * query, headers, a bounded body) into a struct http_request and calls the
 * one handler it was given.  The handler answers at once with
 * http_reply_*(), or later: it may suspend the request (a `wait` start,
 * a log tail that waits for data) and answer it from any later callback,
 * or open a stream (server-sent events, `tail -f`).
 *
 * Limits: request line and headers 8 KiB (431 beyond), body 1 MiB (413
 * when Content-Length says more; a chunked body that grows past it gets
 * its connection closed), at most 256 connections per listener, idle
 * connections closed after 60 s.  A request that fails to decode (bad
 * request line or header, a broken or NUL %-escape, a control character
 * in the path or query, a NUL byte in the body, no Host header) is
 * answered 400 by the server itself and never reaches the handler; a
 * request line that cannot even be split gets its connection closed.  Over TCP, a request
 * without the right "Authorization: Bearer TOKEN" is answered 401 with
 * WWW-Authenticate unless it is a read (GET/HEAD, or what the server's
 * http_is_read_fn says) and public_read is set.
 *
 * While a request is deferred or a stream has nothing to send, MHD does
 * not watch its connection: a client that left is noticed at the next
 * answer or write (on_abort then runs).  Streams that may stay quiet
 * should write a keep-alive now and then (SSE: ": keepalive\n\n").
 *
 * Ownership: a struct http_request is owned by the server.  It stays
 * valid until it has been answered (http_reply_*, http_stream_close) or
 * until its on_abort callback ran (client gone); a handler must answer
 * every request exactly once unless the abort callback says otherwise.
 * A stream is owned by the server and freed after http_stream_close() or
 * after its on_abort ran.  When the server is freed, every deferred
 * request and open stream gets its on_abort first.  Never free the server
 * from inside one of its callbacks.
 */
#ifndef NET_HTTP_H
#define NET_HTTP_H

#include <stdbool.h>
#include <stddef.h>

struct ev_loop;
struct http_server;
struct http_request;
struct http_stream;

enum http_transport {
	HTTP_UNIX, /* the control socket: trusted by file mode 0660 */
	HTTP_TCP,  /* instance.http: writes need the bearer token */
};

struct http_request_info {
	const char *method;   /* "GET", "POST", ... */
	const char *path;     /* decoded, without the query: "/v1/state" */
	const char *body;     /* NUL-terminated; "" when none */
	size_t body_len;
	enum http_transport transport;
	bool authorized;      /* unix socket, or TCP with the right token */
};

/* Called once per request.  INFO and its strings live as long as REQ. */
typedef void (*http_handler_fn)(struct http_request *req,
				const struct http_request_info *info,
				void *ctx);
/* Called when the client went away before the answer; REQ is then freed
 * by the server right after the callback returns. */
typedef void (*http_abort_fn)(struct http_request *req, void *data);

struct http_server *http_server_new(struct ev_loop *loop,
				    http_handler_fn handler, void *ctx);
struct http_server *http_server_free(struct http_server *srv);

/* Bind a unix socket at PATH with MODE.  Refuses (-EADDRINUSE) when a
 * live server answers there; removes a stale socket file otherwise. */
int http_server_listen_unix(struct http_server *srv, const char *path,
			    unsigned mode);
/* Bind "host:port" (TCP).  TOKEN: bearer token required for writes (and
 * for reads unless PUBLIC_READ); NULL makes every TCP write 401. */
int http_server_listen_tcp(struct http_server *srv, const char *hostport,
			   const char *token, bool public_read);

/* Serve the already-connected stream socket FD as if it had been accepted
 * on the control socket (trusted).  The server owns FD from then on, even
 * on failure.  For socket pairs in tests and fuzzers. */
int http_server_adopt(struct http_server *srv, int fd);
/* Whether METHOD on PATH only reads, for public_read listeners: a POST
 * whose body is a query (a dry run) may be one. */
typedef bool (*http_is_read_fn)(const char *method, const char *path);
/* FN replaces the default (GET and HEAD only); NULL restores it. */
void http_server_set_is_read(struct http_server *srv, http_is_read_fn fn);
/* Idle timeout of listeners created after this call (default 60 s). */
void http_server_set_idle_timeout(struct http_server *srv, unsigned seconds);

/* Query parameter NAME of REQ (decoded), or NULL. */
const char *http_request_query(struct http_request *req, const char *name);
/* Header NAME of REQ (case-insensitive), or NULL. */
const char *http_request_header(struct http_request *req, const char *name);

/* Answer REQ.  BODY is copied.  Content-Type application/json. */
void http_reply_json(struct http_request *req, unsigned status,
		     const char *body, size_t len);
/* {"error":{"code":CODE,"message":MESSAGE}} */
void http_reply_error(struct http_request *req, unsigned status,
		      const char *code, const char *message);
void http_reply_text(struct http_request *req, unsigned status,
		     const char *content_type, const char *body, size_t len);

/* Keep REQ open past the handler's return; answer later with
 * http_reply_*().  ON_ABORT (may be NULL) runs if the client leaves. */
void http_request_defer(struct http_request *req, http_abort_fn on_abort,
			void *data);

/* Turn REQ into a stream with 200 and CONTENT_TYPE (chunked).  Writes are
 * buffered up to LIMIT bytes; a write that would go past it returns
 * -ENOBUFS and the caller decides (SSE: send a final event and close).
 * ON_ABORT runs when the client leaves; the stream is freed after it
 * returns.  Works inside the handler or on a deferred request; NULL when
 * REQ was already answered.  Writes after close return -EPIPE. */
struct http_stream *http_stream_open(struct http_request *req,
				     const char *content_type, size_t limit,
				     http_abort_fn on_abort, void *data);
int http_stream_write(struct http_stream *s, const char *data, size_t len);
/* Bytes written and not yet taken by the connection: a writer may keep
 * part of LIMIT in reserve (SSE: room for the final event). */
size_t http_stream_buffered(const struct http_stream *s);
void http_stream_close(struct http_stream *s);

#endif
