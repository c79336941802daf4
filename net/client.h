/*
 * client: the CLI's side of the control API.  One HTTP/1.1 request at a
 * time to the daemon, over its unix socket or, when the address is an
 * "http://host:port" URL, over TCP with an optional bearer token.  The
 * connection is kept open between requests (the prompt, several
 * namespecs) and opened again once if the daemon closed it meanwhile.
 *
 * A small blocking HTTP/1.1 client of its own rather than libcurl: the
 * CLI must answer `status` in well under 20 ms, and loading libcurl with
 * its 30-odd shared libraries (TLS, Kerberos, LDAP, ...) alone took
 * 17 ms on the benchmark machine.  It speaks what the daemon speaks:
 * Content-Length or chunked bodies, keep-alive, no TLS, no redirects.
 *
 * Errors are -errno: -ECONNREFUSED or -ENOENT when no daemon answers at
 * the address, -ETIMEDOUT when the timeout passed, -EPROTO for an answer
 * that is not HTTP/1.x or breaks its limits (64 KiB of headers, 256 MiB
 * of body), -ECONNRESET when the connection broke.  Any HTTP status,
 * error statuses included, is a success of the transport: look at
 * ret->status.
 *
 * Ownership: struct client owns its connection and copies of the
 * strings it was given; client_free() accepts NULL and returns NULL.
 * struct client_reply owns its body; client_reply_done() frees it and
 * leaves the reply reusable.
 */
#ifndef NET_CLIENT_H
#define NET_CLIENT_H

#include <stddef.h>

#include "core/util.h"

struct client;

struct client_reply {
	long status;	    /* HTTP status, 0 before an answer */
	struct strbuf body; /* whole body, unless it went to a stream fn */
};

#define CLIENT_REPLY_INIT {0, STRBUF_INIT}

/* Called with each piece of a 2xx body of client_stream(); a nonzero
 * return ends the transfer (client_stream then returns 0). */
typedef int (*client_data_fn)(const char *data, size_t len, void *arg);

/* ADDRESS: a unix socket path, or "http://host:port" (TOKEN, if not
 * NULL, is sent as "Authorization: Bearer TOKEN").  Nothing is connected
 * yet.  NULL for an "http://" address without a port. */
struct client *client_new(const char *address, const char *token);
struct client *client_free(struct client *c);

/* Whole-request timeout in ms for later requests; 0: none (default).
 * Connecting always has its own 5 s limit. */
void client_set_timeout_ms(struct client *c, long ms);

/* METHOD PATH (already %-encoded; see client_escape) with BODY as JSON
 * (NULL: none).  The reply goes to RET, which must be initialised. */
int client_request(struct client *c, const char *method, const char *path,
		   const char *body, struct client_reply *ret);

/* GET PATH; a 2xx body goes to FN piece by piece as it arrives (for
 * `tail -f`, events), any other body to RET->body. */
int client_stream(struct client *c, const char *path, client_data_fn fn,
		  void *arg, struct client_reply *ret);

void client_reply_done(struct client_reply *r);

/* S %-encoded for one path segment or query value (RFC 3986
 * unreserved characters kept).  The caller frees it. */
char *client_escape(const char *s);

#endif
