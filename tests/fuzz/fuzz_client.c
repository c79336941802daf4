/*
 * Fuzz target for the CLI's HTTP client (net/client): every input is the
 * whole answer of a "daemon", a thread that accepts the client's
 * connection on a unix socket, reads the request, writes the input and
 * hangs up.  The client reads it once as a plain request and once as a
 * stream, so the status line, header, Content-Length, chunked and
 * read-to-the-end paths all see hostile bytes.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/util.h"
#include "net/client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int listen_fd = -1;
static char sock_path[108];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static const uint8_t *answer;
static size_t answer_len;
static int pending; /* answers the server still has to give */

static void *
server(void *arg)
{
	char buf[4096];

	for (;;) {
		int fd = accept(listen_fd, NULL, NULL);
		size_t got = 0;

		if (fd < 0)
			continue;
		/* the request ends with an empty line (no body for GET) */
		while (got < sizeof(buf) - 1) {
			ssize_t n = read(fd, buf + got, sizeof(buf) - 1 - got);
			if (n <= 0)
				break;
			got += (size_t)n;
			buf[got] = '\0';
			if (strstr(buf, "\r\n\r\n") != NULL)
				break;
		}
		pthread_mutex_lock(&lock);
		if (answer_len > 0)
			(void)!write(fd, answer, answer_len);
		pending--;
		pthread_cond_broadcast(&cond);
		pthread_mutex_unlock(&lock);
		close(fd);
	}
	return NULL;
}

static int
sink(const char *data, size_t len, void *arg)
{
	size_t *total = arg;

	*total += len;
	return *total > (1 << 20); /* enough: stop following */
}

static void
setup(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	pthread_t t;

	snprintf(sock_path, sizeof(sock_path), "/tmp/fuzz-client-%d.sock",
		 (int)getpid());
	unlink(sock_path);
	memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(listen_fd, 8) < 0)
		abort();
	pthread_create(&t, NULL, server, NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct client_reply rep = CLIENT_REPLY_INIT;
	struct client *c;
	size_t total = 0;

	if (listen_fd < 0)
		setup();
	pthread_mutex_lock(&lock);
	answer = data;
	answer_len = size;
	pending = 2;
	pthread_mutex_unlock(&lock);
	c = client_new(sock_path, NULL);
	client_set_timeout_ms(c, 2000);
	client_request(c, "GET", "/v1/processes", NULL, &rep);
	/* a new connection each time: the server hung up */
	client_free(c);
	c = client_new(sock_path, NULL);
	client_set_timeout_ms(c, 2000);
	client_stream(c, "/v1/processes/a%3Ab/log?follow=1", sink, &total,
		      &rep);
	client_free(c);
	client_reply_done(&rep);
	/* the server must be done with this input before the next one */
	pthread_mutex_lock(&lock);
	while (pending > 0)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	return 0;
}
