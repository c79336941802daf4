/*
 * `supvisors-sched keygen`: print a new random cluster key (32 bytes in
 * base64), one line, ready for a key file (net/keyring.h) or for
 * `keyring install`.  Offline: needs no daemon.
 */
#include <sodium.h>
#include <stdio.h>

#include "net/keyring.h"
#include "tools/cli.h"

int
cli_keygen(int argc, char **argv)
{
	char key[KEYRING_B64_SIZE];

	if (argc != 1) {
		fprintf(stderr, "usage: supvisors-sched keygen\n");
		return CLI_EXIT_USAGE;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "supvisors-sched: libsodium failed to start\n");
		return CLI_EXIT_FAILED;
	}
	keyring_generate(key);
	printf("%s\n", key);
	sodium_memzero(key, sizeof(key));
	return CLI_EXIT_OK;
}
