/*
 * fuzz_keyring: the body of POST /v1/keyring (core/cluster_keyring.c),
 * decoded against a keyring of three fixed keys, and the step it leads
 * to.  A step that succeeds must have done what it says (the key
 * installed, primary, or gone) and kept the keyring's invariants: no
 * duplicate, at most KEYRING_MAX keys, never empty.
 */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/cluster_keyring.h"
#include "net/keyring.h"
#include "net/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cluster_keyring_req q;
	struct keyring kr = {.n = 3};
	char msg[192], *buf;
	bool changed;

	if (sodium_init() < 0)
		abort();
	for (size_t i = 0; i < kr.n; i++)
		memset(kr.keys[i], (int)(i + 1), KEYRING_KEY_SIZE);
	buf = malloc(size + 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	if (cluster_keyring_parse(buf, size, &kr, &q, msg, sizeof(msg)) == 0) {
		if (q.op != WIRE_KEYRING_INSTALL && q.op != WIRE_KEYRING_USE &&
		    q.op != WIRE_KEYRING_REMOVE)
			abort();
		if (cluster_keyring_step(&kr, q.op, q.key, true, &changed) ==
		    0) {
			int at = keyring_find(&kr, q.key);

			if (kr.n == 0 || kr.n > KEYRING_MAX ||
			    (q.op == WIRE_KEYRING_INSTALL && at < 0) ||
			    (q.op == WIRE_KEYRING_USE && at != 0) ||
			    (q.op == WIRE_KEYRING_REMOVE && at >= 0))
				abort();
		}
		for (size_t i = 1; i < kr.n; i++)
			for (size_t j = 0; j < i; j++)
				if (memcmp(kr.keys[i], kr.keys[j],
					   KEYRING_KEY_SIZE) == 0)
					abort();
	}
	(void)cluster_keyring_resolve(&kr, buf, size, q.key);
	free(buf);
	return 0;
}
