/*
 * Route and body decoding of the control API.  See ctl_req.h.
 */
#include "core/ctl_req.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

static int
copy_name(struct ctl_route *r, const char *s, size_t n)
{
	if (n == 0)
		return -ENOENT;
	if (n >= sizeof(r->name))
		return -ENAMETOOLONG;
	memcpy(r->name, s, n);
	r->name[n] = '\0';
	return 0;
}

static const struct {
	const char *verb;
	enum ctl_route_kind proc, app;
} verbs[] = {
	{"start", CTL_PROCESS_START, CTL_APP_START},
	{"stop", CTL_PROCESS_STOP, CTL_APP_STOP},
	{"restart", CTL_PROCESS_RESTART, CTL_APP_RESTART},
	{"signal", CTL_PROCESS_SIGNAL, _CTL_ROUTE_MAX},
};

/* "/v1/processes/NS[/VERB]" and "/v1/applications/APP/VERB" */
static int
parse_named(const char *rest, bool app, bool post, struct ctl_route *r)
{
	const char *slash = strchr(rest, '/');
	size_t nlen = slash ? (size_t)(slash - rest) : strlen(rest);
	int rc;

	rc = copy_name(r, rest, nlen);
	if (rc < 0)
		return rc;
	if (slash == NULL) {
		if (app)
			return -ENOENT;
		r->kind = CTL_PROCESSES;
		return post ? -EOPNOTSUPP : 0;
	}
	if (!app && strcmp(slash + 1, "log") == 0) {
		r->kind = CTL_PROCESS_LOG;
		return post ? -EOPNOTSUPP : 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++) {
		enum ctl_route_kind k = app ? verbs[i].app : verbs[i].proc;

		if (k == _CTL_ROUTE_MAX || strcmp(slash + 1, verbs[i].verb))
			continue;
		r->kind = k;
		r->write = true;
		return post ? 0 : -EOPNOTSUPP;
	}
	return -ENOENT;
}

int
ctl_route_parse(const char *method, const char *path, struct ctl_route *ret)
{
	static const struct {
		const char *path;
		enum ctl_route_kind kind;
		bool write;
	} fixed[] = {
		{"/v1/state", CTL_STATE, false},
		{"/v1/instances", CTL_INSTANCES, false},
		{"/v1/applications", CTL_APPLICATIONS, false},
		{"/v1/processes", CTL_PROCESSES, false},
		{"/v1/reload", CTL_RELOAD, true},
	};
	struct ctl_route r = {.kind = _CTL_ROUTE_MAX};
	bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	bool post = strcmp(method, "POST") == 0;
	int rc;

	for (size_t i = 0; i < ARRAY_SIZE(fixed); i++) {
		if (strcmp(path, fixed[i].path) != 0)
			continue;
		r.kind = fixed[i].kind;
		r.write = fixed[i].write;
		if (fixed[i].write ? !post : !get)
			return -EOPNOTSUPP;
		*ret = r;
		return 0;
	}
	if (!get && !post)
		return strncmp(path, "/v1/", 4) == 0 ? -EOPNOTSUPP : -ENOENT;
	if (strncmp(path, "/v1/processes/", 14) == 0)
		rc = parse_named(path + 14, false, post, &r);
	else if (strncmp(path, "/v1/applications/", 17) == 0)
		rc = parse_named(path + 17, true, post, &r);
	else
		return -ENOENT;
	if (rc == 0)
		*ret = r;
	return rc;
}

/* ------------------------------------------------------------ bodies */

enum {
	F_WAIT = 1 << 0,
	F_STRATEGY = 1 << 1,
	F_INSTANCE = 1 << 2,
	F_EXTRA = 1 << 3,
	F_SIGNAL = 1 << 4,
};

static unsigned
allowed_fields(enum ctl_route_kind k)
{
	switch (k) {
	case CTL_PROCESS_START:
	case CTL_PROCESS_RESTART:
		return F_WAIT | F_STRATEGY | F_INSTANCE | F_EXTRA;
	case CTL_PROCESS_STOP:
		return F_WAIT;
	case CTL_PROCESS_SIGNAL:
		return F_SIGNAL;
	case CTL_APP_START:
	case CTL_APP_RESTART:
		return F_WAIT | F_STRATEGY;
	case CTL_APP_STOP:
		return F_WAIT;
	default:
		return 0;
	}
}

static int __attribute__((format(printf, 4, 5)))
fail(int r, char *msg, size_t msglen, const char *fmt, ...)
{
	va_list ap;

	if (msglen > 0) {
		va_start(ap, fmt);
		vsnprintf(msg, msglen, fmt, ap);
		va_end(ap);
	}
	return r;
}

static bool
blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return false;
	return true;
}

/* A string or null into *RET (NULL for null). */
static int
opt_string(const cJSON *it, char **ret, char *msg, size_t msglen)
{
	if (cJSON_IsNull(it)) {
		*ret = NULL;
		return 0;
	}
	if (!cJSON_IsString(it) || it->valuestring == NULL)
		return fail(-EINVAL, msg, msglen, "'%s' must be a string",
			    it->string);
	*ret = xstrdup(it->valuestring);
	return 0;
}

static int
parse_signal(const cJSON *it, int *ret, char *msg, size_t msglen)
{
	int sig;

	if (cJSON_IsNumber(it)) {
		double v = it->valuedouble;

		if (!(v >= 1 && v < 65) || floor(v) != v)
			return fail(-EDOM, msg, msglen, "unknown signal %g", v);
		sig = (int)v;
		if (util_signal_name(sig) == NULL)
			return fail(-EDOM, msg, msglen, "unknown signal %d",
				    sig);
		*ret = sig;
		return 0;
	}
	if (!cJSON_IsString(it) || it->valuestring == NULL)
		return fail(-EINVAL, msg, msglen,
			    "'signal' must be a name or a number");
	sig = util_signal_from_name(it->valuestring);
	if (sig < 0)
		return fail(-EDOM, msg, msglen, "unknown signal '%.64s'",
			    it->valuestring);
	*ret = sig;
	return 0;
}

int
ctl_body_object(const char *body, size_t len, cJSON **ret, char *msg,
		size_t msglen)
{
	const char *end = NULL;
	cJSON *root;

	if (body == NULL || blank(body, len)) {
		*ret = NULL;
		return 0;
	}
	root = cJSON_ParseWithLengthOpts(body, len, &end, false);
	if (root == NULL)
		return fail(-EINVAL, msg, msglen, "malformed JSON body");
	if (end < body || !blank(end, len - (size_t)(end - body))) {
		cJSON_Delete(root);
		return fail(-EINVAL, msg, msglen,
			    "trailing data after the body");
	}
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return fail(-EINVAL, msg, msglen, "the body must be an object");
	}
	*ret = root;
	return 0;
}

int
ctl_body_parse(enum ctl_route_kind kind, const char *body, size_t len,
	       struct ctl_body *ret, char *msg, size_t msglen)
{
	struct ctl_body b = {.wait = true, .strategy = CTL_STRATEGY_DEFAULT};
	unsigned allowed = allowed_fields(kind);
	const cJSON *it;
	cJSON *root;
	int r = 0;

	r = ctl_body_object(body, len, &root, msg, msglen);
	if (r < 0)
		return r;
	if (root == NULL)
		goto done;
	cJSON_ArrayForEach(it, root) {
		const char *k = it->string ? it->string : "";

		if (strcmp(k, "wait") == 0 && (allowed & F_WAIT)) {
			if (!cJSON_IsBool(it)) {
				r = fail(-EINVAL, msg, msglen,
					 "'wait' must be true or false");
				goto out;
			}
			b.wait = cJSON_IsTrue(it);
		} else if (strcmp(k, "strategy") == 0 &&
			   (allowed & F_STRATEGY)) {
			int s;

			if (cJSON_IsNull(it))
				continue;
			if (!cJSON_IsString(it) || it->valuestring == NULL) {
				r = fail(-EINVAL, msg, msglen,
					 "'strategy' must be a string");
				goto out;
			}
			s = rl_strategy_from_string(it->valuestring);
			if (s < 0) {
				r = fail(-EINVAL, msg, msglen,
					 "unknown strategy '%.64s'",
					 it->valuestring);
				goto out;
			}
			b.strategy = (enum rl_strategy)s;
		} else if (strcmp(k, "instance") == 0 &&
			   (allowed & F_INSTANCE)) {
			free(b.instance);
			b.instance = NULL;
			r = opt_string(it, &b.instance, msg, msglen);
		} else if (strcmp(k, "extra_args") == 0 &&
			   (allowed & F_EXTRA)) {
			free(b.extra_args);
			b.extra_args = NULL;
			r = opt_string(it, &b.extra_args, msg, msglen);
			b.extra_argv = ctl_free_words(b.extra_argv);
			b.nextra = 0;
			if (r == 0 && b.extra_args != NULL &&
			    ctl_split_words(b.extra_args, &b.extra_argv,
					    &b.nextra) < 0)
				r = fail(-EINVAL, msg, msglen,
					 "'extra_args': unbalanced quotes or "
					 "too many words");
		} else if (strcmp(k, "signal") == 0 && (allowed & F_SIGNAL)) {
			r = parse_signal(it, &b.signal, msg, msglen);
		} else {
			r = fail(-EINVAL, msg, msglen, "unknown field '%.64s'",
				 k);
		}
		if (r < 0)
			goto out;
	}
out:
	cJSON_Delete(root);
	if (r < 0) {
		ctl_body_done(&b);
		return r;
	}
done:
	if ((allowed & F_SIGNAL) && b.signal == 0)
		return fail(-EINVAL, msg, msglen, "'signal' is required");
	*ret = b;
	return 0;
}

void
ctl_body_done(struct ctl_body *b)
{
	free(b->instance);
	free(b->extra_args);
	b->instance = b->extra_args = NULL;
	b->extra_argv = ctl_free_words(b->extra_argv);
	b->nextra = 0;
}

char **
ctl_free_words(char **v)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
	return NULL;
}

int
ctl_split_words(const char *s, char ***ret, size_t *ret_n)
{
	struct strbuf w = STRBUF_INIT;
	char **v = xcalloc(1, sizeof(*v));
	size_t n = 0;
	bool in_word = false;
	int r = 0;

	for (;; s++) {
		char c = *s;

		if (c == '\0' || c == ' ' || c == '\t' || c == '\n') {
			if (in_word) {
				if (n == CTL_EXTRA_ARGS_MAX) {
					r = -EINVAL;
					break;
				}
				v = xreallocarray(v, n + 2, sizeof(*v));
				v[n++] = w.buf ? strbuf_steal(&w) : xstrdup("");
				v[n] = NULL;
				in_word = false;
			}
			if (c == '\0')
				break;
			continue;
		}
		in_word = true;
		if (c == '\\') {
			if (*++s == '\0') {
				r = -EINVAL;
				break;
			}
			strbuf_addc(&w, *s);
		} else if (c == '\'') {
			const char *end = strchr(s + 1, '\'');

			if (end == NULL) {
				r = -EINVAL;
				break;
			}
			strbuf_add(&w, s + 1, (size_t)(end - s - 1));
			s = end;
		} else if (c == '"') {
			for (s++; *s != '"'; s++) {
				if (*s == '\0')
					break;
				if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
					s++;
				strbuf_addc(&w, *s);
			}
			if (*s != '"') {
				r = -EINVAL;
				break;
			}
		} else {
			strbuf_addc(&w, c);
		}
	}
	strbuf_done(&w);
	if (r < 0) {
		ctl_free_words(v);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}
