/*
 * The records instances exchange, encoded and decoded.  See record.h.
 *
 * The decoders work on (pointer, length) slices of the input and never
 * copy it into a NUL-terminated buffer first: a NUL inside a field is
 * then an error instead of a silent end of string, and nothing reads
 * past the length.  Numbers are parsed by hand, digits only and without
 * leading zeros, so that what decodes encodes back to the same bytes.
 */
#include "core/record.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

struct slice {
	const char *p;
	size_t n;
};

/* Length of the UTF-8 character at S (at most N bytes), 0 when it is
 * not one: overlong forms, surrogates and code points past U+10FFFF
 * are not. */
static size_t
utf8_char(const uint8_t *s, size_t n)
{
	uint32_t cp;
	size_t k, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		k = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		k = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		k = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < k)
		return 0;
	for (i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((k == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (k == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return k;
}

/* A field of text: at most MAX bytes of UTF-8, no NUL, tabs and
 * newlines only when ANY. */
static bool
text_ok(struct slice s, size_t max, bool any)
{
	const uint8_t *p = (const uint8_t *)s.p;
	size_t i = 0, k;

	if (s.n > max)
		return false;
	while (i < s.n) {
		if (p[i] == '\0' || (!any && (p[i] == '\t' || p[i] == '\n')))
			return false;
		if ((k = utf8_char(p + i, s.n - i)) == 0)
			return false;
		i += k;
	}
	return true;
}

/* S as a field: tabs and newlines as spaces, bytes that are not UTF-8
 * as '?', cut to MAX bytes between two characters.  OUT holds MAX + 1. */
static void
text_clean(const char *s, char *out, size_t max)
{
	const uint8_t *p = (const uint8_t *)(s != NULL ? s : "");
	size_t n = strlen((const char *)p), i = 0, o = 0, k;

	while (i < n) {
		k = utf8_char(p + i, n - i);
		if (o + (k == 0 ? 1 : k) > max)
			break;
		if (k == 0) {
			out[o++] = '?';
			k = 1;
		} else if (p[i] == '\t' || p[i] == '\n') {
			out[o++] = ' ';
		} else {
			memcpy(out + o, p + i, k);
			o += k;
		}
		i += k;
	}
	out[o] = '\0';
}

/* V into exactly NF fields at the tabs; with REST, the last field is
 * everything after the (NF-1)th tab, tabs included. */
static int
split(const uint8_t *v, size_t len, struct slice *f, size_t nf, bool rest)
{
	const char *p = (const char *)v, *end, *tab;
	size_t i;

	if (len == 0) /* V may then be NULL */
		return -EINVAL;
	end = p + len;
	for (i = 0; i + 1 < nf; i++) {
		tab = memchr(p, '\t', (size_t)(end - p));
		if (tab == NULL)
			return -EINVAL;
		f[i] = (struct slice){p, (size_t)(tab - p)};
		p = tab + 1;
	}
	if (!rest && memchr(p, '\t', (size_t)(end - p)) != NULL)
		return -EINVAL;
	f[i] = (struct slice){p, (size_t)(end - p)};
	return 0;
}

/* Decimal digits, no sign, no leading zero, at most MAX. */
static int
parse_dec(struct slice s, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;

	if (s.n == 0 || (s.n > 1 && s.p[0] == '0'))
		return -EINVAL;
	for (size_t i = 0; i < s.n; i++) {
		unsigned d = (unsigned)(unsigned char)s.p[i] - '0';

		if (d > 9 || d > max || v > (max - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*ret = v;
	return 0;
}

static int
parse_bit(struct slice s, bool *ret)
{
	if (s.n != 1 || (s.p[0] != '0' && s.p[0] != '1'))
		return -EINVAL;
	*ret = s.p[0] == '1';
	return 0;
}

/* The enum value whose name is exactly S (case included). */
static int
parse_name(struct slice s, const char *(*name)(int), int n)
{
	for (int i = 0; i < n; i++) {
		const char *x = name(i);

		if (x != NULL && strlen(x) == s.n && memcmp(x, s.p, s.n) == 0)
			return i;
	}
	return -EINVAL;
}

static const char *
proc_name(int i)
{
	return sched_proc_state_to_string((enum sched_proc_state)i);
}

static const char *
cstate_name(int i)
{
	return sched_cstate_to_string((enum sched_cstate)i);
}

static int
finish(int n, size_t len)
{
	if (n < 0)
		return -EINVAL;
	return (size_t)n < len ? n : -ENOSPC;
}

/* ------------------------------------------------------------ process */

int
record_proc_encode(const struct record_proc *p, char *buf, size_t len)
{
	const char *st = sched_proc_state_to_string(p->state);
	char extra[RECORD_TEXT_MAX + 1], desc[RECORD_TEXT_MAX + 1];

	if ((unsigned)p->state >= _SCHED_PROC_MAX || p->pid < 0 ||
	    p->pid > RECORD_PID_MAX || p->start_wall_ms < 0 ||
	    p->start_wall_ms > RECORD_WALL_MAX ||
	    p->loading > RECORD_LOADING_MAX)
		return -EINVAL;
	text_clean(p->extra, extra, RECORD_TEXT_MAX);
	text_clean(p->desc, desc, RECORD_TEXT_MAX);
	return finish(snprintf(buf, len, "%s\t%d\t%lld\t%u\t%d\t%s\t%s", st,
			       p->pid, (long long)p->start_wall_ms, p->loading,
			       p->expected | p->disabled << 1, extra, desc),
		      len);
}

int
record_proc_decode(const uint8_t *v, size_t len, struct record_proc *ret)
{
	struct slice f[7];
	uint64_t pid, start, loading, flags;
	int st;

	if (split(v, len, f, 7, true) < 0 ||
	    (st = parse_name(f[0], proc_name, _SCHED_PROC_MAX)) < 0 ||
	    parse_dec(f[1], RECORD_PID_MAX, &pid) < 0 ||
	    parse_dec(f[2], RECORD_WALL_MAX, &start) < 0 ||
	    parse_dec(f[3], RECORD_LOADING_MAX, &loading) < 0 ||
	    parse_dec(f[4], 3, &flags) < 0 ||
	    !text_ok(f[5], RECORD_TEXT_MAX, false) ||
	    !text_ok(f[6], RECORD_TEXT_MAX, true))
		return -EINVAL;
	*ret = (struct record_proc){
		.state = (enum sched_proc_state)st,
		.pid = (int)pid,
		.start_wall_ms = (int64_t)start,
		.loading = (unsigned)loading,
		.expected = (flags & 1) != 0,
		.disabled = (flags & 2) != 0,
		.extra = xstrndup(f[5].p, f[5].n),
		.desc = xstrndup(f[6].p, f[6].n),
	};
	return 0;
}

void
record_proc_clear(struct record_proc *p)
{
	if (p == NULL)
		return;
	free(p->extra);
	free(p->desc);
	p->extra = p->desc = NULL;
}

/* ------------------------------------------------------------ fsm */

int
record_fsm_encode(const struct record_fsm *f, char *buf, size_t len)
{
	const char *st = sched_cstate_to_string(f->state);
	size_t n = strnlen(f->master, sizeof(f->master));

	if ((unsigned)f->state >= _SCHED_CS_MAX || n > RECORD_NAME_MAX ||
	    strcmp(f->master, "-") == 0 ||
	    !text_ok((struct slice){f->master, n}, RECORD_NAME_MAX, false))
		return -EINVAL;
	return finish(snprintf(buf, len, "%s\t%s\t%d\t%016llx", st,
			       n > 0 ? f->master : "-", f->stable,
			       (unsigned long long)f->running),
		      len);
}

int
record_fsm_decode(const uint8_t *v, size_t len, struct record_fsm *ret)
{
	struct slice f[4];
	struct record_fsm r = {0};
	int st;

	if (split(v, len, f, 4, false) < 0 ||
	    (st = parse_name(f[0], cstate_name, _SCHED_CS_MAX)) < 0 ||
	    f[1].n == 0 || !text_ok(f[1], RECORD_NAME_MAX, false) ||
	    parse_bit(f[2], &r.stable) < 0 || f[3].n != 16)
		return -EINVAL;
	for (size_t i = 0; i < 16; i++) {
		char c = f[3].p[i];

		if (c >= '0' && c <= '9')
			r.running = r.running << 4 | (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			r.running = r.running << 4 | (uint64_t)(c - 'a' + 10);
		else
			return -EINVAL;
	}
	r.state = (enum sched_cstate)st;
	if (f[1].n != 1 || f[1].p[0] != '-')
		memcpy(r.master, f[1].p, f[1].n);
	*ret = r;
	return 0;
}

/* ------------------------------------------------------------ commands */

static const char *const op_names[] = {
	[RECORD_OP_START] = "start",     [RECORD_OP_STOP] = "stop",
	[RECORD_OP_SIGNAL] = "signal",   [RECORD_OP_LOG] = "log",
	[RECORD_OP_EVENT] = "event",     [RECORD_OP_SHUTDOWN] = "shutdown",
	[RECORD_OP_RESTART] = "restart", [RECORD_OP_DISABLE] = "disable",
	[RECORD_OP_ENABLE] = "enable",   [RECORD_OP_FINAL] = "final",
};

static const char *const stream_names[] = {
	[RECORD_STDOUT] = "stdout",
	[RECORD_STDERR] = "stderr",
};

const char *
record_op_to_string(enum record_op op)
{
	return (unsigned)op < _RECORD_OP_MAX ? op_names[op] : NULL;
}

int
record_op_from_string(const char *s)
{
	for (int i = 0; s != NULL && i < _RECORD_OP_MAX; i++)
		if (strcmp(op_names[i], s) == 0)
			return i;
	return -EINVAL;
}

const char *
record_stream_to_string(enum record_stream s)
{
	return (unsigned)s < _RECORD_STREAM_MAX ? stream_names[s] : NULL;
}

int
record_stream_from_string(const char *s)
{
	for (int i = 0; s != NULL && i < _RECORD_STREAM_MAX; i++)
		if (strcmp(stream_names[i], s) == 0)
			return i;
	return -EINVAL;
}

/* Member NAME of REQ: an integer in MIN..MAX, or DEF when absent. */
static bool
get_int(const cJSON *req, const char *name, double min, double max, double def,
	double *ret)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(req, name);
	double v;

	if (it == NULL) {
		*ret = def;
		return true;
	}
	if (!cJSON_IsNumber(it))
		return false;
	v = it->valuedouble;
	if (!(v >= min && v <= max) || floor(v) != v)
		return false;
	*ret = v;
	return true;
}

/* A string member of at most MAX bytes, NULL when absent or null. */
static bool
get_str(const cJSON *req, const char *name, size_t max, const char **ret)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(req, name);

	if (it == NULL || cJSON_IsNull(it)) {
		*ret = NULL;
		return true;
	}
	if (!cJSON_IsString(it) || it->valuestring == NULL ||
	    strlen(it->valuestring) > max)
		return false;
	*ret = it->valuestring;
	return true;
}

/* The fields of C->op, or what is wrong with them; C's strings are
 * copied last, once all is valid. */
static const char *
cmd_fields(const cJSON *req, struct record_cmd *c, const char **ret_extra)
{
	const char *s = NULL;
	const cJSON *it;
	double v = 0;
	int r;

	switch (c->op) {
	case RECORD_OP_START:
		if (!get_int(req, "load", 0, RECORD_LOADING_MAX, -1, &v) ||
		    v < 0)
			return "bad load";
		c->load = (unsigned)v;
		if (!get_str(req, "extra_args", RECORD_EXTRA_ARGS_MAX,
			     ret_extra))
			return "bad extra_args";
		break;
	case RECORD_OP_SIGNAL:
		if (!get_int(req, "signal", 1, RECORD_SIGNAL_MAX, 0, &v) ||
		    v == 0)
			return "bad signal";
		c->signal = (int)v;
		break;
	case RECORD_OP_LOG:
		if (!get_str(req, "stream", 16, &s) ||
		    (r = record_stream_from_string(s)) < 0)
			return "bad stream";
		c->stream = (enum record_stream)r;
		if (!get_int(req, "bytes", 0, RECORD_BYTES_MAX, -1, &v) ||
		    v < 0)
			return "bad bytes";
		c->bytes = (size_t)v;
		break;
	case RECORD_OP_EVENT:
		it = cJSON_GetObjectItemCaseSensitive(req, "expected");
		if (!get_str(req, "state", 16, &s) || s == NULL ||
		    (r = sched_proc_state_from_string(s)) < 0 ||
		    (it != NULL && !cJSON_IsBool(it)))
			return "bad event";
		c->state = (enum sched_proc_state)r;
		c->expected = cJSON_IsTrue(it);
		if (!get_int(req, "pid", 0, RECORD_PID_MAX, 0, &v))
			return "bad event";
		c->pid = (int)v;
		if (!get_int(req, "uptime_ms", 0, RECORD_WALL_MAX, 0, &v))
			return "bad event";
		c->uptime_ms = (int64_t)v;
		/* JSON numbers are exact integers up to 2^53 */
		if (!get_int(req, "version", 0, 9007199254740991.0, 0, &v))
			return "bad event";
		c->version = (uint64_t)v;
		break;
	case RECORD_OP_FINAL:
		it = cJSON_GetObjectItemCaseSensitive(req, "restart");
		if (it != NULL && !cJSON_IsBool(it))
			return "bad restart";
		c->restart = cJSON_IsTrue(it);
		break;
	default:
		break;
	}
	return NULL;
}

int
record_cmd_from_json(const cJSON *req, struct record_cmd *ret, char *msg,
		     size_t msglen)
{
	struct record_cmd c = {0};
	const cJSON *op = cJSON_GetObjectItemCaseSensitive(req, "op");
	const char *ns = NULL, *extra = NULL, *why = NULL;
	int r = -EINVAL, o = cJSON_IsString(op) && op->valuestring != NULL
				     ? record_op_from_string(op->valuestring)
				     : -EINVAL;

	if (!cJSON_IsObject(req)) {
		why = "not a JSON object";
	} else if (!cJSON_IsString(op) || op->valuestring == NULL) {
		why = "no op";
	} else if (o < 0) {
		snprintf(msg, msglen, "unknown op '%.64s'", op->valuestring);
		return -EINVAL;
	} else if ((c.op = (enum record_op)o) != RECORD_OP_SHUTDOWN &&
		   c.op != RECORD_OP_RESTART && c.op != RECORD_OP_FINAL &&
		   (!get_str(req, "namespec", RECORD_NAMESPEC_MAX, &ns) ||
		    ns == NULL || ns[0] == '\0')) {
		why = "bad namespec";
		r = -ENOENT;
	} else {
		why = cmd_fields(req, &c, &extra);
	}
	if (why != NULL) {
		snprintf(msg, msglen, "%s", why);
		return r;
	}
	c.namespec = ns != NULL ? xstrdup(ns) : NULL;
	c.extra_args = extra != NULL ? xstrdup(extra) : NULL;
	*ret = c;
	return 0;
}

int
record_cmd_parse(const uint8_t *body, size_t len, struct record_cmd *ret,
		 char *msg, size_t msglen)
{
	cJSON *req = cJSON_ParseWithLength((const char *)body, len);
	int r = record_cmd_from_json(req, ret, msg, msglen);

	cJSON_Delete(req);
	return r;
}

void
record_cmd_clear(struct record_cmd *c)
{
	if (c == NULL)
		return;
	free(c->namespec);
	free(c->extra_args);
	c->namespec = c->extra_args = NULL;
}
