/*
 * keyring: the cluster's symmetric keys (32 bytes each, XChaCha20-Poly1305).
 *
 * The first key is the primary: it seals everything we send.  Every key
 * is tried to open what we receive, so that a key can be rotated without
 * partitioning the cluster (Serf's install, use, remove): install the new
 * key everywhere, make it primary everywhere, remove the old one.
 *
 * Key file: one key per line, base64 (standard alphabet, padded, 44
 * characters), primary first, each line ending in '\n'.  Nothing else is
 * accepted: no blanks, comments or duplicates; at most KEYRING_MAX keys;
 * a regular file of at most 4 KiB that neither group nor others may read
 * or write.  keyring_save() writes the same format atomically (mode 0600).
 *
 * Ownership: struct keyring is a plain value (no pointers); copy it
 * freely.  Key material is wiped by keyring_wipe().
 */
#ifndef NET_KEYRING_H
#define NET_KEYRING_H

#include <stddef.h>
#include <stdint.h>

#define KEYRING_KEY_SIZE 32
#define KEYRING_MAX 16
#define KEYRING_FP_SIZE 8
/* 44 characters of base64 and a NUL */
#define KEYRING_B64_SIZE 45

struct keyring {
	size_t n;
	uint8_t keys[KEYRING_MAX][KEYRING_KEY_SIZE]; /* [0] is primary */
};

/* A new random key, in base64. */
void keyring_generate(char out[KEYRING_B64_SIZE]);
/* Strict: exactly 44 characters decoding to 32 bytes.  -EINVAL. */
int keyring_key_decode(const char *b64, size_t len,
		       uint8_t ret[KEYRING_KEY_SIZE]);
void keyring_key_encode(const uint8_t key[KEYRING_KEY_SIZE],
			char out[KEYRING_B64_SIZE]);
/* A short public name for a key (BLAKE2b of it), safe to show and send. */
void keyring_fingerprint(const uint8_t key[KEYRING_KEY_SIZE],
			 uint8_t ret[KEYRING_FP_SIZE]);
/* 16 hex digits */
void keyring_fingerprint_hex(const uint8_t key[KEYRING_KEY_SIZE],
			     char out[2 * KEYRING_FP_SIZE + 1]);

/* Parses the content of a key file; -EINVAL with *RETERR_LINE set to
 * the 1-based line at fault (0: the file as a whole, e.g. empty). */
int keyring_parse(const char *data, size_t len, struct keyring *ret,
		  unsigned *reterr_line);
/* Reads and parses PATH: -errno, -EPERM if group or others have any
 * access, -EFBIG over 4 KiB, -EINVAL (see keyring_parse). */
int keyring_load(const char *path, struct keyring *ret,
		 unsigned *reterr_line);
int keyring_save(const char *path, const struct keyring *kr);

/* Rotation steps; each returns 0 or -errno and leaves KR unchanged on
 * error.  install: -EEXIST, -ENOSPC.  use: -ENOENT.  remove: -ENOENT,
 * -EBUSY for the primary key. */
int keyring_install(struct keyring *kr, const uint8_t key[KEYRING_KEY_SIZE]);
int keyring_use(struct keyring *kr, const uint8_t key[KEYRING_KEY_SIZE]);
int keyring_remove(struct keyring *kr, const uint8_t key[KEYRING_KEY_SIZE]);
/* Index of KEY, or -ENOENT. */
int keyring_find(const struct keyring *kr,
		 const uint8_t key[KEYRING_KEY_SIZE]);
void keyring_wipe(struct keyring *kr);
/* A keyring for a cluster without a key file, which the configuration
 * allows only when every address is loopback: one key derived from the
 * cluster name.  It keeps the framing, the checks and the replay windows
 * identical, and two clusters on one host apart, but it is no secret. */
void keyring_loopback(const char *cluster, struct keyring *ret);

/* One step of a cluster-wide operation as it reaches an instance (the
 * WIRE_M_KEYRING message, net/wire.h): OP is an enum wire_keyring_op
 * (list, install, use, remove) on KEY.  Returns 0 or -errno as the step
 * functions above (-EINVAL for an unknown op), and in every case the
 * fingerprints of the keys held afterwards, primary first, for the
 * answer.  The caller persists KR (keyring_save) when it changed. */
int keyring_apply(struct keyring *kr, unsigned op,
		  const uint8_t key[KEYRING_KEY_SIZE],
		  uint8_t ret_fp[KEYRING_MAX][KEYRING_FP_SIZE],
		  size_t *ret_nfp);

#endif
