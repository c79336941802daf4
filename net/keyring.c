/*
 * The cluster keyring and its file.  See keyring.h.
 *
 * The key file is the whole trust boundary of the cluster, so loading is
 * deliberately unforgiving: a world-readable file, a stray blank or a key
 * of the wrong length stops the daemon instead of silently weakening it.
 */
#include "net/keyring.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "net/wire.h"

#define KEYFILE_MAX 4096
#define B64_LEN (KEYRING_B64_SIZE - 1)

/* the context is BLAKE2b's key, which must be 16 to 64 bytes */
static_assert(sizeof("supvisors-sched key fingerprint") - 1 >=
		      crypto_generichash_KEYBYTES_MIN,
	      "fingerprint context");
static_assert(KEYRING_MAX == WIRE_FPS_MAX && KEYRING_FP_SIZE == WIRE_FP_SIZE &&
		      KEYRING_KEY_SIZE == WIRE_KEY_SIZE,
	      "keyring answers fit a message");
static_assert(KEYRING_KEY_SIZE == crypto_aead_xchacha20poly1305_ietf_KEYBYTES,
	      "key size");

void
keyring_key_encode(const uint8_t key[KEYRING_KEY_SIZE],
		   char out[KEYRING_B64_SIZE])
{
	sodium_bin2base64(out, KEYRING_B64_SIZE, key, KEYRING_KEY_SIZE,
			  sodium_base64_VARIANT_ORIGINAL);
}

void
keyring_generate(char out[KEYRING_B64_SIZE])
{
	uint8_t key[KEYRING_KEY_SIZE];

	crypto_aead_xchacha20poly1305_ietf_keygen(key);
	keyring_key_encode(key, out);
	sodium_memzero(key, sizeof(key));
}

int
keyring_key_decode(const char *b64, size_t len, uint8_t ret[KEYRING_KEY_SIZE])
{
	uint8_t key[KEYRING_KEY_SIZE + 1];
	size_t n = 0;
	const char *end = NULL;

	if (len != B64_LEN)
		return -EINVAL;
	if (sodium_base642bin(key, sizeof(key), b64, len, NULL, &n, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    n != KEYRING_KEY_SIZE || end != b64 + len) {
		sodium_memzero(key, sizeof(key));
		return -EINVAL;
	}
	memcpy(ret, key, KEYRING_KEY_SIZE);
	sodium_memzero(key, sizeof(key));
	return 0;
}

void
keyring_fingerprint(const uint8_t key[KEYRING_KEY_SIZE],
		    uint8_t ret[KEYRING_FP_SIZE])
{
	static const char ctx[] = "supvisors-sched key fingerprint";

	crypto_generichash(ret, KEYRING_FP_SIZE, key, KEYRING_KEY_SIZE,
			   (const uint8_t *)ctx, sizeof(ctx) - 1);
}

void
keyring_fingerprint_hex(const uint8_t key[KEYRING_KEY_SIZE],
			char out[2 * KEYRING_FP_SIZE + 1])
{
	uint8_t fp[KEYRING_FP_SIZE];

	keyring_fingerprint(key, fp);
	sodium_bin2hex(out, 2 * KEYRING_FP_SIZE + 1, fp, sizeof(fp));
}

int
keyring_find(const struct keyring *kr, const uint8_t key[KEYRING_KEY_SIZE])
{
	size_t i;

	for (i = 0; i < kr->n; i++)
		if (sodium_memcmp(kr->keys[i], key, KEYRING_KEY_SIZE) == 0)
			return (int)i;
	return -ENOENT;
}

int
keyring_install(struct keyring *kr, const uint8_t key[KEYRING_KEY_SIZE])
{
	if (keyring_find(kr, key) >= 0)
		return -EEXIST;
	if (kr->n == KEYRING_MAX)
		return -ENOSPC;
	memcpy(kr->keys[kr->n++], key, KEYRING_KEY_SIZE);
	return 0;
}

int
keyring_use(struct keyring *kr, const uint8_t key[KEYRING_KEY_SIZE])
{
	uint8_t tmp[KEYRING_KEY_SIZE];
	int i = keyring_find(kr, key);

	if (i < 0)
		return i;
	memcpy(tmp, kr->keys[i], KEYRING_KEY_SIZE);
	memmove(kr->keys[1], kr->keys[0], (size_t)i * KEYRING_KEY_SIZE);
	memcpy(kr->keys[0], tmp, KEYRING_KEY_SIZE);
	sodium_memzero(tmp, sizeof(tmp));
	return 0;
}

int
keyring_remove(struct keyring *kr, const uint8_t key[KEYRING_KEY_SIZE])
{
	int i = keyring_find(kr, key);

	if (i < 0)
		return i;
	if (i == 0)
		return -EBUSY;
	memmove(kr->keys[i], kr->keys[i + 1],
		(kr->n - (size_t)i - 1) * KEYRING_KEY_SIZE);
	kr->n--;
	sodium_memzero(kr->keys[kr->n], KEYRING_KEY_SIZE);
	return 0;
}

void
keyring_wipe(struct keyring *kr)
{
	sodium_memzero(kr, sizeof(*kr));
}

int
keyring_parse(const char *data, size_t len, struct keyring *ret,
	      unsigned *reterr_line)
{
	struct keyring kr = {0};
	size_t pos = 0;
	unsigned line = 0;
	int r = -EINVAL;

	*reterr_line = 0;
	if (len == 0 || len > KEYFILE_MAX)
		goto out;
	while (pos < len) {
		const char *nl = memchr(data + pos, '\n', len - pos);
		uint8_t key[KEYRING_KEY_SIZE];

		line++;
		if (nl == NULL ||
		    keyring_key_decode(data + pos, (size_t)(nl - data - pos),
				       key) < 0 ||
		    keyring_install(&kr, key) < 0) {
			sodium_memzero(key, sizeof(key));
			*reterr_line = line;
			goto out;
		}
		sodium_memzero(key, sizeof(key));
		pos = (size_t)(nl - data) + 1;
	}
	*ret = kr;
	r = 0;
out:
	keyring_wipe(&kr);
	return r;
}

int
keyring_load(const char *path, struct keyring *ret, unsigned *reterr_line)
{
	char buf[KEYFILE_MAX + 1];
	struct stat st;
	ssize_t n;
	size_t len = 0;
	int fd, r;

	*reterr_line = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	r = -EINVAL;
	if (!S_ISREG(st.st_mode))
		goto out;
	r = -EPERM;
	if (st.st_mode & (S_IRWXG | S_IRWXO))
		goto out;
	r = -EFBIG;
	if (st.st_size > KEYFILE_MAX)
		goto out;
	while ((n = read(fd, buf + len, sizeof(buf) - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto out;
		}
		len += (size_t)n;
		if (len > KEYFILE_MAX) {
			r = -EFBIG;
			goto out;
		}
	}
	r = keyring_parse(buf, len, ret, reterr_line);
out:
	sodium_memzero(buf, sizeof(buf));
	close(fd);
	return r;
}

int
keyring_save(const char *path, const struct keyring *kr)
{
	char b64[KEYRING_B64_SIZE], *tmp;
	size_t i;
	int fd, r = 0;

	if (kr->n == 0)
		return -EINVAL;
	tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	for (i = 0; i < kr->n && r == 0; i++) {
		keyring_key_encode(kr->keys[i], b64);
		b64[KEYRING_B64_SIZE - 1] = '\n';
		if (write(fd, b64, sizeof(b64)) != (ssize_t)sizeof(b64))
			r = -EIO;
	}
	sodium_memzero(b64, sizeof(b64));
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
out:
	free(tmp);
	return r;
}

void
keyring_loopback(const char *cluster, struct keyring *ret)
{
	static const char ctx[] = "supvisors-sched loopback cluster key";

	memset(ret, 0, sizeof(*ret));
	crypto_generichash(ret->keys[0], KEYRING_KEY_SIZE,
			   (const uint8_t *)cluster, strlen(cluster),
			   (const uint8_t *)ctx, sizeof(ctx) - 1);
	ret->n = 1;
}

int
keyring_apply(struct keyring *kr, unsigned op,
	      const uint8_t key[KEYRING_KEY_SIZE],
	      uint8_t ret_fp[KEYRING_MAX][KEYRING_FP_SIZE], size_t *ret_nfp)
{
	size_t i;
	int r;

	switch (op) {
	case WIRE_KEYRING_LIST:
		r = 0;
		break;
	case WIRE_KEYRING_INSTALL:
		r = keyring_install(kr, key);
		break;
	case WIRE_KEYRING_USE:
		r = keyring_use(kr, key);
		break;
	case WIRE_KEYRING_REMOVE:
		r = keyring_remove(kr, key);
		break;
	default:
		r = -EINVAL;
		break;
	}
	for (i = 0; i < kr->n; i++)
		keyring_fingerprint(kr->keys[i], ret_fp[i]);
	*ret_nfp = kr->n;
	return r;
}
