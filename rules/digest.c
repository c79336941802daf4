/*
 * rules/digest: canonical encodings hashed with SHA-256 (libsodium).
 *
 * The rules digest must be equal on two instances whose files mean the
 * same thing and differ on any change of meaning.  So it is computed from
 * typed values, never from text: every field of a schema table is encoded
 * as (key, type tag, length-prefixed value) in table order, named things
 * are visited sorted by name, and unordered values (environment,
 * exitcodes) are sorted.  "10s" and "10000ms", a command written as a
 * string or as a list, flow or block style, key order and comments all
 * encode the same.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "rules/digest.h"

void
canon_init(struct canon *c)
{
	crypto_hash_sha256_init(&c->st);
	c->len = 0;
}

static void
flush(struct canon *c)
{
	crypto_hash_sha256_update(&c->st, c->buf, c->len);
	c->len = 0;
}

static void
add(struct canon *c, const void *data, size_t len)
{
	if (c->len + len > sizeof(c->buf))
		flush(c);
	if (len > sizeof(c->buf)) {
		crypto_hash_sha256_update(&c->st, data, len);
		return;
	}
	memcpy(c->buf + c->len, data, len);
	c->len += len;
}

/* TAG, then V as a LEB128 varint: the canonical form is hashed for every
 * field of every program, so it is kept short. */
static void
put_varint(struct canon *c, char tag, uint64_t v)
{
	unsigned char b[11];
	size_t n = 0;

	b[n++] = (unsigned char)tag;
	do {
		b[n] = (unsigned char)(v & 0x7f);
		v >>= 7;
		if (v != 0)
			b[n] |= 0x80;
		n++;
	} while (v != 0);
	add(c, b, n);
}

static void
put(struct canon *c, char tag, const void *data, size_t len)
{
	put_varint(c, tag, len);
	add(c, data, len);
}

void
canon_str(struct canon *c, const char *s)
{
	if (s == NULL)
		put(c, 'n', "", 0);
	else
		put(c, 's', s, strlen(s));
}

void
canon_int(struct canon *c, int64_t v)
{
	/* zigzag, so that small negative numbers stay short */
	put_varint(c, 'i', ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void
canon_begin(struct canon *c, const char *what, size_t n)
{
	put(c, '[', what, strlen(what));
	canon_int(c, (int64_t)n);
}

void
canon_final(struct canon *c, uint8_t out[32])
{
	flush(c);
	crypto_hash_sha256_final(&c->st, out);
}

static int
cmp_kv(const void *a, const void *b)
{
	return strcmp(((const struct rl_kv *)a)->key,
		      ((const struct rl_kv *)b)->key);
}

static int
cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

void
canon_kv(struct canon *c, const struct rl_kv *v, size_t n)
{
	struct rl_kv *sorted;
	size_t i;

	canon_begin(c, "kv", n);
	if (n == 0)
		return;
	sorted = xreallocarray(NULL, n, sizeof(*sorted));
	memcpy(sorted, v, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_kv);
	for (i = 0; i < n; i++) {
		canon_str(c, sorted[i].key);
		canon_str(c, sorted[i].value);
	}
	free(sorted);
}

static void
canon_field(struct canon *c, size_t idx, const struct field *f, const void *p)
{
	size_t i;

	/* fields are identified by their place in the table */
	put_varint(c, 'k', idx);
	switch (f->type) {
	case T_STR:
	case T_NSTR:
		canon_str(c, *(const char *const *)p);
		break;
	case T_BOOL:
		canon_int(c, *(const bool *)p);
		break;
	case T_INT:
	case T_DUR:
	case T_UMASK:
		canon_int(c, *(const int64_t *)p);
		break;
	case T_SIZE:
		canon_int(c, (int64_t)*(const uint64_t *)p);
		break;
	case T_ENUM:
	case T_AUTORESTART:
	case T_SIGNAL:
		canon_int(c, *(const int *)p);
		break;
	case T_SYNCHRO:
	case T_STATS:
		canon_int(c, *(const unsigned *)p);
		break;
	case T_ARGV: {
		const struct strvec *v = p;

		canon_begin(c, "argv", v->n);
		for (i = 0; i < v->n; i++)
			canon_str(c, v->v[i]);
		break;
	}
	case T_ENV: {
		const struct kvvec *v = p;

		canon_kv(c, v->v, v->n);
		break;
	}
	case T_LIST: {
		const struct nodevec *v = p;

		canon_begin(c, "list", v->n);
		for (i = 0; i < v->n; i++)
			canon_str(c, v->v[i]->s);
		break;
	}
	case T_EXITCODES: {
		const struct intvec *v = p;
		int *sorted;

		canon_begin(c, "codes", v->n);
		if (v->n == 0)
			break;
		sorted = xreallocarray(NULL, v->n, sizeof(*sorted));
		memcpy(sorted, v->v, v->n * sizeof(*sorted));
		qsort(sorted, v->n, sizeof(*sorted), cmp_int);
		for (i = 0; i < v->n; i++)
			canon_int(c, sorted[i]);
		free(sorted);
		break;
	}
	case T_PERIODS: {
		const struct periods *v = p;

		canon_begin(c, "periods", v->n);
		for (i = 0; i < v->n; i++)
			canon_int(c, v->v[i]);
		break;
	}
	case T_SUB:
		canon_fields(c, f->sub, p, false);
		break;
	case T_NODE:
		break;
	}
}

void
canon_fields(struct canon *c, const struct table *t, const void *base,
	     bool only_set)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		if (t->f[i].type == T_NODE)
			continue;
		if (only_set && !field_set(base, t, i))
			continue;
		canon_field(c, i, &t->f[i], (const char *)base + t->f[i].off);
	}
	put_varint(c, '}', t->n);
}

void
digest_hex(const uint8_t d[32], char out[65])
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[64] = '\0';
}

void
digest_process(const struct rl_program *p, const struct rl_process *proc,
	       uint8_t out[32])
{
	struct canon c;
	size_t i;

	canon_init(&c);
	canon_begin(&c, "argv", proc->argc);
	for (i = 0; i < proc->argc; i++)
		canon_str(&c, proc->argv[i]);
	canon_str(&c, proc->directory);
	canon_kv(&c, proc->env, proc->nenv);
	canon_int(&c, p->umask);
	canon_str(&c, p->user);
	canon_int(&c, p->redirect_stderr);
	canon_int(&c, proc->stdout_log.kind);
	canon_str(&c, proc->stdout_log.path);
	canon_int(&c, (int64_t)proc->stdout_log.maxbytes);
	canon_int(&c, proc->stdout_log.backups);
	canon_int(&c, proc->stderr_log.kind);
	canon_str(&c, proc->stderr_log.path);
	canon_int(&c, (int64_t)proc->stderr_log.maxbytes);
	canon_int(&c, proc->stderr_log.backups);
	canon_final(&c, out);
}
