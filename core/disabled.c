/*
 * The set of disabled programs and its file.  See disabled.h.
 *
 * A few keys at most (a user disables programs one by one), so a plain
 * array searched linearly is the whole data structure.
 */
#include "core/disabled.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"

struct disabled {
	char **keys;
	size_t n;
};

struct disabled *
disabled_new(void)
{
	return xcalloc(1, sizeof(struct disabled));
}

struct disabled *
disabled_free(struct disabled *s)
{
	if (s == NULL)
		return NULL;
	for (size_t i = 0; i < s->n; i++)
		free(s->keys[i]);
	free(s->keys);
	free(s);
	return NULL;
}

size_t
disabled_count(const struct disabled *s)
{
	return s->n;
}

const char *
disabled_key(const struct disabled *s, size_t i)
{
	return i < s->n ? s->keys[i] : NULL;
}

static size_t
find(const struct disabled *s, const char *key)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->keys[i], key) == 0)
			return i;
	return SIZE_MAX;
}

bool
disabled_has(const struct disabled *s, const char *key)
{
	return s != NULL && find(s, key) != SIZE_MAX;
}

bool
disabled_key_valid(const char *key)
{
	const char *colon = strchr(key, ':');
	size_t len = strlen(key);

	if (colon == NULL || colon == key || colon[1] == '\0' ||
	    strchr(colon + 1, ':') != NULL || len > DISABLED_KEY_MAX)
		return false;
	for (const char *c = key; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return false;
	return true;
}

int
disabled_make_key(const char *app, const char *program, char *buf,
		  size_t len)
{
	int n = snprintf(buf, len, "%s:%s", app, program);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int
disabled_set(struct disabled *s, const char *key, bool on)
{
	size_t i;

	if (!disabled_key_valid(key))
		return -EINVAL;
	i = find(s, key);
	if (on == (i != SIZE_MAX))
		return 0;
	if (on) {
		s->keys = xreallocarray(s->keys, s->n + 1, sizeof(*s->keys));
		s->keys[s->n++] = xstrdup(key);
	} else {
		free(s->keys[i]);
		memmove(&s->keys[i], &s->keys[i + 1],
			(s->n - i - 1) * sizeof(*s->keys));
		s->n--;
	}
	return 1;
}

size_t
disabled_parse(struct disabled *s, const char *text, size_t len)
{
	size_t skipped = 0, off = 0;

	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t l = nl ? (size_t)(nl - (text + off)) : len - off;
		char *line;

		if (l > 0 && text[off + l - 1] == '\r')
			l--;
		line = xstrndup(text + off, l);
		/* xstrndup stops at a NUL: a line with one is bad */
		if (l == 0 || line[0] == '#')
			;
		else if (strlen(line) != l || disabled_set(s, line, true) < 0)
			skipped++;
		free(line);
		off += (nl ? (size_t)(nl - (text + off)) + 1 : len - off);
	}
	return skipped;
}

void
disabled_format(const struct disabled *s, struct strbuf *out)
{
	for (size_t i = 0; i < s->n; i++)
		strbuf_addf(out, "%s\n", s->keys[i]);
}

int
disabled_load(struct disabled *s, const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	while ((r = read(fd, buf, sizeof(buf))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			break;
		}
		strbuf_add(&sb, buf, (size_t)r);
	}
	close(fd);
	if (ret == 0)
		(void)disabled_parse(s, strbuf_str(&sb), sb.len);
	strbuf_done(&sb);
	return ret;
}

int
disabled_save(const struct disabled *s, const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	int r;

	disabled_format(s, &sb);
	r = util_write_file_atomic(path, strbuf_str(&sb), sb.len);
	strbuf_done(&sb);
	return r;
}
