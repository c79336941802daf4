/*
 * Fuzz target for the control API's HTTP server: every input is sent as
 * raw bytes on one end of a socket pair whose other end the server adopts
 * (http_server_adopt), then the loop runs until the server has answered
 * and hung up.  The handler exercises every way of answering (at once,
 * deferred and answered on a later turn, a stream), so that the request
 * decoding, the suspend/resume paths and their teardown all see hostile
 * input.
 */
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/util.h"
#include "net/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_HELD 16

static struct ev_loop *loop;
static struct http_server *srv;
static struct http_request *held[MAX_HELD];
static size_t nheld;

static void
on_abort(struct http_request *req, void *data)
{
	size_t i;

	for (i = 0; i < nheld; i++)
		if (held[i] == req)
			held[i] = held[--nheld];
}

static void
handler(struct http_request *req, const struct http_request_info *info,
	void *ctx)
{
	struct http_stream *s;
	const char *q;

	if (strncmp(info->path, "/defer", 6) == 0 && nheld < MAX_HELD) {
		http_request_defer(req, on_abort, NULL);
		held[nheld++] = req;
	} else if (strncmp(info->path, "/stream", 7) == 0) {
		s = http_stream_open(req, "text/plain", 32, NULL, NULL);
		if (s != NULL) {
			http_stream_write(s, info->body, info->body_len);
			http_stream_write(s, info->path, strlen(info->path));
			http_stream_close(s);
		}
	} else if (strncmp(info->path, "/q", 2) == 0) {
		q = http_request_query(req, "a");
		if (q == NULL)
			q = http_request_header(req, "x-a");
		http_reply_text(req, 200, "text/plain", q ? q : "",
				q ? strlen(q) : 0);
	} else if (info->body_len > 0) {
		http_reply_json(req, 200, info->body, info->body_len);
	} else {
		http_reply_error(req, 404, "NOT_FOUND", info->path);
	}
}

static void
answer_held(void)
{
	while (nheld > 0) {
		struct http_request *req = held[--nheld];

		http_reply_json(req, 200, "{}", 2);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int sv[2], i;
	size_t off = 0;
	char buf[4096];
	bool eof = false;

	if (srv == NULL) {
		loop = ev_loop_new(EVFLAG_AUTO);
		srv = http_server_new(loop, handler, NULL);
		if (srv == NULL)
			abort();
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	if (http_server_adopt(srv, sv[0]) < 0)
		abort();
	for (i = 0; i < 200 && !eof; i++) {
		ssize_t n;

		while (off < size) {
			n = send(sv[1], data + off, size - off, MSG_NOSIGNAL);
			if (n <= 0)
				break;
			off += (size_t)n;
		}
		if (off == size)
			shutdown(sv[1], SHUT_WR);
		ev_run(loop, EVRUN_NOWAIT);
		answer_held();
		while ((n = recv(sv[1], buf, sizeof(buf), 0)) > 0)
			;
		if (n == 0 || (n < 0 && errno != EAGAIN))
			eof = true;
	}
	close(sv[1]);
	/* let the server see the hang-up and free the connection */
	for (i = 0; i < 4; i++) {
		ev_run(loop, EVRUN_NOWAIT);
		answer_held();
	}
	return 0;
}
