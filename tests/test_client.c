/*
 * net/client: the CLI's HTTP client against the real server (net/http),
 * which runs its libev loop in a forked child so that the blocking client
 * can run in this process.  The child serves a few routes that exercise
 * what the client must read: fixed bodies, chunked streams that end or
 * never do, a kept-alive connection closed under the client's feet, and
 * an answer that never comes.
 */
#include <errno.h>
#include <ev.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util.h"
#include "net/client.h"
#include "net/http.h"
#include "tests/lib/testlib.h"

static char sock_path[512];
static pid_t server_pid = -1;

/* ------------------------------------------------------------ server */

static struct http_stream *endless;

static void
on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	if (endless != NULL && http_stream_write(endless, "tick\n", 5) < 0)
		endless = NULL;
}

static void
on_endless_abort(struct http_request *req, void *data)
{
	endless = NULL;
}

static void
handler(struct http_request *req, const struct http_request_info *info,
	void *ctx)
{
	struct strbuf sb = STRBUF_INIT;
	struct http_stream *s;
	size_t i;

	if (strcmp(info->path, "/echo") == 0) {
		const char *a = http_request_header(req, "Authorization");

		strbuf_addf(&sb, "%s %s %s", info->method, info->body,
			    a ? a : "-");
		http_reply_json(req, 200, sb.buf, sb.len);
	} else if (strcmp(info->path, "/big") == 0) {
		for (i = 0; i < 300000; i++)
			strbuf_addc(&sb, (char)('a' + i % 26));
		http_reply_text(req, 200, "text/plain", sb.buf, sb.len);
	} else if (strcmp(info->path, "/chunks") == 0) {
		s = http_stream_open(req, "text/plain", 1 << 20, NULL, NULL);
		http_stream_write(s, "one,", 4);
		http_stream_write(s, "two,", 4);
		http_stream_write(s, "three", 5);
		http_stream_close(s);
	} else if (strcmp(info->path, "/endless") == 0) {
		endless = http_stream_open(req, "text/plain", 1 << 16,
					   on_endless_abort, NULL);
		http_stream_write(endless, "start\n", 6);
	} else if (strcmp(info->path, "/never") == 0) {
		http_request_defer(req, NULL, NULL);
	} else {
		http_reply_error(req, 404, "NOT_FOUND", "no such route");
	}
	strbuf_done(&sb);
}

static void
start_server(void)
{
	snprintf(sock_path, sizeof(sock_path), "%s/client.sock",
		 test_tmpdir());
	server_pid = fork();
	if (server_pid == 0) {
		struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
		struct http_server *srv = http_server_new(loop, handler, NULL);
		ev_timer tick;

		if (http_server_listen_unix(srv, sock_path, 0660) < 0)
			_exit(1);
		ev_timer_init(&tick, on_tick, 0.05, 0.05);
		ev_timer_start(loop, &tick);
		ev_run(loop, 0);
		_exit(0);
	}
}

static void
stop_server(void)
{
	if (server_pid > 0) {
		kill(server_pid, SIGKILL);
		waitpid(server_pid, NULL, 0);
	}
	server_pid = -1;
}

/* A client once the socket answers (the child may still be starting). */
static struct client *
connected_client(void)
{
	struct client_reply rep = CLIENT_REPLY_INIT;
	struct client *c = client_new(sock_path, NULL);
	int64_t deadline = util_now_ms() + 5000;

	while (client_request(c, "GET", "/echo", NULL, &rep) < 0 &&
	       util_now_ms() < deadline)
		usleep(10000); /* polling for the child to listen */
	client_reply_done(&rep);
	return c;
}

/* ------------------------------------------------------------ tests */

static void
test_request(void)
{
	struct client_reply rep = CLIENT_REPLY_INIT;
	struct client *c = connected_client();

	ASSERT_INT_EQ(client_request(c, "POST", "/echo", "{\"wait\":true}",
				     &rep), 0);
	ASSERT_INT_EQ(rep.status, 200);
	ASSERT_STR_EQ(strbuf_str(&rep.body), "POST {\"wait\":true} -");
	/* the same connection, kept alive */
	ASSERT_INT_EQ(client_request(c, "GET", "/nope", NULL, &rep), 0);
	ASSERT_INT_EQ(rep.status, 404);
	ASSERT_TRUE(strstr(strbuf_str(&rep.body), "NOT_FOUND") != NULL);
	/* a body larger than any buffer */
	ASSERT_INT_EQ(client_request(c, "GET", "/big", NULL, &rep), 0);
	ASSERT_INT_EQ(rep.body.len, 300000);
	ASSERT_TRUE(rep.body.buf[299999] == (char)('a' + 299999 % 26));
	client_reply_done(&rep);
	client_free(c);
}

static int
collect(const char *data, size_t len, void *arg)
{
	strbuf_add(arg, data, len);
	return 0;
}

static int
until_tick(const char *data, size_t len, void *arg)
{
	strbuf_add(arg, data, len);
	return strstr(strbuf_str(arg), "tick") != NULL;
}

static void
test_stream(void)
{
	struct client_reply rep = CLIENT_REPLY_INIT;
	struct strbuf got = STRBUF_INIT;
	struct client *c = connected_client();

	ASSERT_INT_EQ(client_stream(c, "/chunks", collect, &got, &rep), 0);
	ASSERT_INT_EQ(rep.status, 200);
	ASSERT_STR_EQ(strbuf_str(&got), "one,two,three");
	ASSERT_INT_EQ(rep.body.len, 0);
	/* a stream that never ends, left by the callback */
	strbuf_reset(&got);
	ASSERT_INT_EQ(client_stream(c, "/endless", until_tick, &got, &rep), 0);
	ASSERT_TRUE(strncmp(strbuf_str(&got), "start\ntick", 10) == 0);
	/* an error status goes to the body, not to the callback */
	strbuf_reset(&got);
	ASSERT_INT_EQ(client_stream(c, "/nope", collect, &got, &rep), 0);
	ASSERT_INT_EQ(rep.status, 404);
	ASSERT_INT_EQ(got.len, 0);
	ASSERT_TRUE(rep.body.len > 0);
	strbuf_done(&got);
	client_reply_done(&rep);
	client_free(c);
}

static void
test_reconnect(void)
{
	struct client_reply rep = CLIENT_REPLY_INIT;
	struct client *c = connected_client();

	ASSERT_INT_EQ(client_request(c, "GET", "/echo", NULL, &rep), 0);
	/* the daemon restarts: the kept connection is dead... */
	stop_server();
	start_server();
	client_free(connected_client());
	/* ...and the client opens a new one by itself */
	ASSERT_INT_EQ(client_request(c, "POST", "/echo", "{}", &rep), 0);
	ASSERT_INT_EQ(rep.status, 200);
	ASSERT_STR_EQ(strbuf_str(&rep.body), "POST {} -");
	client_reply_done(&rep);
	client_free(c);
}

static void
test_errors(void)
{
	struct client_reply rep = CLIENT_REPLY_INIT;
	char path[600];
	struct client *c;

	snprintf(path, sizeof(path), "%s/none.sock", test_tmpdir());
	c = client_new(path, NULL);
	ASSERT_INT_EQ(client_request(c, "GET", "/echo", NULL, &rep), -ENOENT);
	client_free(c);
	c = client_new("http://127.0.0.1:17209", "tok");
	ASSERT_INT_EQ(client_request(c, "GET", "/", NULL, &rep),
		      -ECONNREFUSED);
	client_free(c);
	ASSERT_NULL(client_new("http://nohost", NULL));
	ASSERT_NULL(client_new("http://host:", NULL));
	/* an answer that never comes: the timeout */
	c = connected_client();
	client_set_timeout_ms(c, 300);
	ASSERT_INT_EQ(client_request(c, "GET", "/never", NULL, &rep),
		      -ETIMEDOUT);
	client_free(c);
	client_reply_done(&rep);
	ASSERT_NULL(client_free(NULL));
}

static void
test_escape(void)
{
	char *s = client_escape("app:proc_0*/ é");

	ASSERT_STR_EQ(s, "app%3Aproc_0%2A%2F%20%C3%A9");
	free(s);
	s = client_escape("");
	ASSERT_STR_EQ(s, "");
	free(s);
}

static const struct test_case cases[] = {
	{"request and keep-alive", test_request},
	{"streams", test_stream},
	{"reconnect", test_reconnect},
	{"errors", test_errors},
	{"escape", test_escape},
};

int
main(int argc, char **argv)
{
	int rc;

	signal(SIGPIPE, SIG_IGN);
	start_server();
	rc = test_main(argc, argv, "client", cases, ARRAY_SIZE(cases));
	stop_server();
	return rc;
}
