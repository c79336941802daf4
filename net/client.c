/*
 * client: HTTP requests to the daemon with libcurl.  See client.h.
 *
 * One easy handle per client, reused between requests so that a REPL or
 * a multi-namespec command opens its connection once.  curl is
 * initialised without SSL (CURL_GLOBAL_NOTHING): the control socket is
 * local and an `http://` address is plain HTTP, and skipping the TLS
 * library's start-up keeps a `status` call short.
 */
#include "net/client.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define CONNECT_TIMEOUT_MS 5000L

struct client {
	CURL *curl;
	char *unix_path; /* NULL for TCP */
	char *base;	 /* "http://localhost" or the URL given */
	struct curl_slist *headers;
	long timeout_ms;
};

struct xfer {
	CURL *curl;
	struct client_reply *ret;
	client_data_fn fn;
	void *arg;
	bool stopped; /* FN asked to end */
};

static bool curl_ready;

struct client *
client_new(const char *address, const char *token)
{
	struct client *c;
	char *auth;

	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_NOTHING) != CURLE_OK)
			return NULL;
		curl_ready = true;
	}
	c = xcalloc(1, sizeof(*c));
	c->curl = curl_easy_init();
	if (c->curl == NULL) {
		free(c);
		return NULL;
	}
	if (strncmp(address, "http://", 7) == 0) {
		c->base = xstrdup(address);
		/* "http://host:port/" and "http://host:port" alike */
		if (c->base[strlen(c->base) - 1] == '/')
			c->base[strlen(c->base) - 1] = '\0';
	} else {
		c->unix_path = xstrdup(address);
		c->base = xstrdup("http://localhost");
	}
	c->headers = curl_slist_append(NULL, "Content-Type: application/json");
	/* no "Expect: 100-continue" round trip for small JSON bodies */
	c->headers = curl_slist_append(c->headers, "Expect:");
	if (token != NULL && c->unix_path == NULL) {
		auth = xasprintf("Authorization: Bearer %s", token);
		c->headers = curl_slist_append(c->headers, auth);
		free(auth);
	}
	return c;
}

struct client *
client_free(struct client *c)
{
	if (c == NULL)
		return NULL;
	curl_easy_cleanup(c->curl);
	curl_slist_free_all(c->headers);
	free(c->unix_path);
	free(c->base);
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

static size_t
on_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb;
	long status = 0;

	curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &status);
	if (x->fn != NULL && status >= 200 && status < 300) {
		if (x->fn(data, n, x->arg) != 0) {
			x->stopped = true;
			return 0; /* ends the transfer */
		}
		return n;
	}
	strbuf_add(&x->ret->body, data, n);
	return n;
}

static int
map_error(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
		return -ECONNREFUSED;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	default:
		return -EPROTO;
	}
}

static int
perform(struct client *c, const char *method, const char *path,
	const char *body, client_data_fn fn, void *arg,
	struct client_reply *ret)
{
	struct xfer x = {c->curl, ret, fn, arg, false};
	CURL *h = c->curl;
	char *url = xasprintf("%s%s", c->base, path);
	CURLcode rc;

	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	if (c->unix_path != NULL)
		curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, c->unix_path);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http");
	if (strcmp(method, "GET") != 0) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body != NULL ? body : "");
	}
	strbuf_reset(&ret->body);
	ret->status = 0;
	rc = curl_easy_perform(h);
	free(url);
	if (rc == CURLE_WRITE_ERROR && x.stopped)
		rc = CURLE_OK;
	if (rc != CURLE_OK) {
		if (rc == CURLE_COULDNT_CONNECT && c->unix_path != NULL) {
			long err = 0;

			curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &err);
			if (err == ENOENT)
				return -ENOENT;
		}
		return map_error(rc);
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &ret->status);
	return 0;
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
