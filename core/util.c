/*
 * Helpers shared by every module.  See util.h.
 *
 * The parsers do their own digit loops instead of strtol so that "+5",
 * " 5", "5 " and "0x5" are rejected the same way everywhere, and so that
 * overflow is detected exactly rather than through errno side effects.
 */
#include "core/util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

int64_t
util_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

int64_t
util_now_ms(void)
{
	return util_now_ns() / NSEC_PER_MSEC;
}

int64_t
util_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * MSEC_PER_SEC + ts.tv_nsec / NSEC_PER_MSEC;
}

/* Digits only; stops at the first non-digit; *end set there. */
static int
parse_digits(const char *s, uint64_t max, uint64_t *ret, const char **end)
{
	uint64_t v = 0;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (max - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*ret = v;
	*end = p;
	return 0;
}

int
util_parse_uint64(const char *s, uint64_t max, uint64_t *ret)
{
	const char *end;
	uint64_t v;
	int r;

	if (s == NULL)
		return -EINVAL;
	r = parse_digits(s, UINT64_MAX, &v, &end);
	if (r == -ERANGE) {
		/* a syntax error after the overflow still is a syntax error */
		for (end = s; isdigit((unsigned char)*end); end++)
			;
		return *end ? -EINVAL : -ERANGE;
	}
	if (r < 0)
		return r;
	if (*end != '\0')
		return -EINVAL;
	if (v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

int
util_parse_int64(const char *s, int64_t min, int64_t max, int64_t *ret)
{
	uint64_t mag;
	int neg = 0, r;
	int64_t v;

	if (s == NULL)
		return -EINVAL;
	if (*s == '-') {
		neg = 1;
		s++;
	}
	r = util_parse_uint64(s, (uint64_t)INT64_MAX + 1, &mag);
	if (r < 0)
		return r;
	if (!neg && mag > (uint64_t)INT64_MAX)
		return -ERANGE;
	v = neg ? (mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag)
		: (int64_t)mag;
	if (v < min || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

static const struct {
	const char *unit;
	int64_t ms;
} duration_units[] = {
	{"ms", 1},
	{"s", 1000},
	{"m", 60 * 1000},
	{"h", 3600 * 1000},
	{"d", 86400 * 1000},
};

int
util_parse_duration_ms(const char *s, int64_t max_ms, int64_t *ret_ms)
{
	const char *p = s;
	int64_t total = 0;
	int parts = 0;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	while (*p != '\0') {
		uint64_t whole, frac = 0, frac_div = 1;
		const char *end;
		size_t ulen = 0, i;
		int64_t unit = -1;
		int r;

		r = parse_digits(p, (uint64_t)INT64_MAX, &whole, &end);
		if (r < 0)
			return r;
		p = end;
		if (*p == '.') {
			p++;
			if (!isdigit((unsigned char)*p))
				return -EINVAL;
			for (; isdigit((unsigned char)*p); p++) {
				if (frac_div < 1000000000ULL) {
					frac = frac * 10 + (uint64_t)(*p - '0');
					frac_div *= 10;
				}
			}
		}
		while (isalpha((unsigned char)p[ulen]))
			ulen++;
		if (ulen == 0) {
			/* a bare number is seconds, and only alone */
			if (parts > 0 || *p != '\0')
				return -EINVAL;
			unit = 1000;
		} else {
			for (i = 0; i < ARRAY_SIZE(duration_units); i++)
				if (strlen(duration_units[i].unit) == ulen &&
				    strncmp(p, duration_units[i].unit, ulen) == 0)
					unit = duration_units[i].ms;
			if (unit < 0)
				return -EINVAL;
			p += ulen;
		}
		if (whole > (uint64_t)(max_ms / unit) + 1)
			return -ERANGE;
		{
			int64_t add = (int64_t)whole * unit +
				      (int64_t)(frac * (uint64_t)unit / frac_div);
			if (add > max_ms - total)
				return -ERANGE;
			total += add;
		}
		parts++;
	}
	*ret_ms = total;
	return 0;
}

int
util_parse_size(const char *s, uint64_t max, uint64_t *ret)
{
	static const char units[] = "KMGT";
	const char *end, *u;
	uint64_t v, factor = 1;
	int r;

	if (s == NULL)
		return -EINVAL;
	r = parse_digits(s, UINT64_MAX, &v, &end);
	if (r < 0)
		return r;
	if (*end != '\0') {
		char c = (char)toupper((unsigned char)*end);
		if (c == 'B' && end[1] == '\0') {
			factor = 1;
		} else {
			u = strchr(units, c);
			if (u == NULL || c == '\0')
				return -EINVAL;
			for (long i = 0; i <= u - units; i++)
				factor *= 1024;
			end++;
			if (*end == 'i' || *end == 'I')
				end++;
			if (*end == 'b' || *end == 'B')
				end++;
			if (*end != '\0')
				return -EINVAL;
		}
	}
	if (v != 0 && factor > UINT64_MAX / v)
		return -ERANGE;
	v *= factor;
	if (v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

char *
util_format_duration(int64_t ms, char *buf, size_t len)
{
	int64_t s = ms / 1000;

	if (ms < 0)
		snprintf(buf, len, "-");
	else if (ms < 1000)
		snprintf(buf, len, "%lldms", (long long)ms);
	else if (s < 60)
		snprintf(buf, len, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(buf, len, "%lldm%llds", (long long)(s / 60),
			 (long long)(s % 60));
	else if (s < 86400)
		snprintf(buf, len, "%lldh%lldm", (long long)(s / 3600),
			 (long long)(s % 3600 / 60));
	else
		snprintf(buf, len, "%lldd%lldh", (long long)(s / 86400),
			 (long long)(s % 86400 / 3600));
	return buf;
}

static const struct {
	const char *name;
	int sig;
} signal_names[] = {
	{"HUP", SIGHUP},   {"INT", SIGINT},	{"QUIT", SIGQUIT},
	{"ILL", SIGILL},   {"TRAP", SIGTRAP},	{"ABRT", SIGABRT},
	{"BUS", SIGBUS},   {"FPE", SIGFPE},	{"KILL", SIGKILL},
	{"USR1", SIGUSR1}, {"SEGV", SIGSEGV},	{"USR2", SIGUSR2},
	{"PIPE", SIGPIPE}, {"ALRM", SIGALRM},	{"TERM", SIGTERM},
	{"CHLD", SIGCHLD}, {"CONT", SIGCONT},	{"STOP", SIGSTOP},
	{"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},	{"TTOU", SIGTTOU},
	{"URG", SIGURG},   {"XCPU", SIGXCPU},	{"XFSZ", SIGXFSZ},
	{"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH},
	{"IO", SIGIO},	   {"PWR", SIGPWR},	{"SYS", SIGSYS},
};

int
util_signal_from_name(const char *s)
{
	uint64_t n;
	size_t i;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	if (util_parse_uint64(s, 64, &n) == 0)
		return n >= 1 && n < 65 && util_signal_name((int)n) ? (int)n
								   : -EINVAL;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (i = 0; i < ARRAY_SIZE(signal_names); i++)
		if (strcasecmp(s, signal_names[i].name) == 0)
			return signal_names[i].sig;
	return -EINVAL;
}

const char *
util_signal_name(int sig)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(signal_names); i++)
		if (signal_names[i].sig == sig)
			return signal_names[i].name;
	return NULL;
}

uint64_t
util_hash_str(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

unsigned
util_edit_distance(const char *a, const char *b, unsigned cap)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	unsigned row[65], prev, tmp, best;

	if (la > 64 || lb > 64)
		return cap;
	for (j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = (unsigned)i;
		best = row[0];
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			row[j] = MIN(MIN(row[j] + 1, row[j - 1] + 1),
				     prev + (a[i - 1] != b[j - 1]));
			prev = tmp;
			best = MIN(best, row[j]);
		}
		if (best >= cap)
			return cap;
	}
	return MIN(row[lb], cap);
}

static void *
check_alloc(void *p)
{
	if (p == NULL) {
		fputs("out of memory\n", stderr);
		abort();
	}
	return p;
}

void *
xmalloc(size_t n)
{
	return check_alloc(malloc(n ? n : 1));
}

void *
xcalloc(size_t n, size_t size)
{
	return check_alloc(calloc(n ? n : 1, size ? size : 1));
}

void *
xrealloc(void *p, size_t n)
{
	return check_alloc(realloc(p, n ? n : 1));
}

void *
xreallocarray(void *p, size_t nmemb, size_t size)
{
	if (size != 0 && nmemb > SIZE_MAX / size) {
		fputs("allocation overflow\n", stderr);
		abort();
	}
	return xrealloc(p, nmemb * size);
}

char *
xstrdup(const char *s)
{
	return check_alloc(strdup(s));
}

char *
xstrndup(const char *s, size_t n)
{
	return check_alloc(strndup(s, n));
}

char *
xasprintf(const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	return strbuf_steal(&sb);
}

void
strbuf_grow(struct strbuf *sb, size_t extra)
{
	size_t need;

	if (extra > SIZE_MAX - sb->len - 1)
		abort();
	need = sb->len + extra + 1;
	if (need <= sb->cap)
		return;
	if (sb->cap == 0)
		sb->cap = 64;
	while (sb->cap < need)
		sb->cap = sb->cap > SIZE_MAX / 2 ? need : sb->cap * 2;
	sb->buf = xrealloc(sb->buf, sb->cap);
}

void
strbuf_add(struct strbuf *sb, const void *data, size_t len)
{
	strbuf_grow(sb, len);
	if (len > 0)
		memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

void
strbuf_adds(struct strbuf *sb, const char *s)
{
	strbuf_add(sb, s, strlen(s));
}

void
strbuf_addc(struct strbuf *sb, char c)
{
	strbuf_add(sb, &c, 1);
}

void
strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	strbuf_grow(sb, (size_t)n);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
}

void
strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(sb, fmt, ap);
	va_end(ap);
}

void
strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->buf != NULL)
		sb->buf[0] = '\0';
}

void
strbuf_done(struct strbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
}

char *
strbuf_steal(struct strbuf *sb)
{
	char *p = sb->buf != NULL ? sb->buf : xstrdup("");

	sb->buf = NULL;
	sb->len = sb->cap = 0;
	return p;
}

const char *
strbuf_str(const struct strbuf *sb)
{
	return sb->buf != NULL ? sb->buf : "";
}

int
util_write_file_atomic(const char *path, const void *data, size_t len)
{
	char *tmp = xasprintf("%s.tmp", path);
	const char *p = data;
	size_t off = 0;
	int fd, r = 0;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	while (off < len) {
		ssize_t w = write(fd, p + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			r = -errno;
			break;
		}
		off += (size_t)w;
	}
	/* the rename must not publish a file whose data is not on disk */
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		(void)unlink(tmp);
out:
	free(tmp);
	return r;
}
