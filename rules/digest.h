/*
 * rules/digest: canonical, order- and format-independent encodings of
 * rules values, hashed with SHA-256.  Private to rules/.
 */
#ifndef RULES_DIGEST_H
#define RULES_DIGEST_H

#include <sodium.h>

#include "rules/schema.h"

struct canon {
	crypto_hash_sha256_state st;
	size_t len;		 /* bytes waiting in buf */
	unsigned char buf[2048]; /* SHA-256 updates are costly one by one */
};

void canon_init(struct canon *c);
void canon_str(struct canon *c, const char *s);
void canon_int(struct canon *c, int64_t v);
/* Starts a list of N items named WHAT, so that lists cannot run together. */
void canon_begin(struct canon *c, const char *what, size_t n);
void canon_kv(struct canon *c, const struct rl_kv *v, size_t n);
/* Every field of T in BASE (only those written when ONLY_SET). */
void canon_fields(struct canon *c, const struct table *t, const void *base,
		  bool only_set);
void canon_final(struct canon *c, uint8_t out[32]);
void digest_hex(const uint8_t d[32], char out[65]);

/* The settings a running process was spawned with (rl_process's
 * config_hash): argv, directory, environment, umask, user and logs. */
void digest_process(const struct rl_program *p, const struct rl_process *proc,
		    uint8_t out[32]);

#endif
