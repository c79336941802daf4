/*
 * libFuzzer target for everything that reads bytes from the network:
 * the datagram and push-pull decoders, the unsealing checks (header,
 * lengths, replay window, tag) and the key file parser.
 *
 * The first byte chooses the path.  Path 4 seals the input with a valid
 * key before opening it, so that the fuzzer reaches the body decoder
 * through the same road a genuine packet takes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/keyring.h"
#include "net/seal.h"
#include "net/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct seal *rx, *tx;

static void
setup(void)
{
	static const uint8_t a[WIRE_ID_SIZE] = {1}, b[WIRE_ID_SIZE] = {2};
	struct keyring kr = {0};
	uint8_t key[KEYRING_KEY_SIZE];

	memset(key, 7, sizeof(key));
	keyring_install(&kr, key);
	memset(key, 8, sizeof(key));
	keyring_install(&kr, key);
	rx = seal_new("fuzz", a, 1, &kr);
	tx = seal_new("fuzz", b, 1, &kr);
}

static void
decode_body(const uint8_t *p, size_t n)
{
	static struct wire_packet pkt;
	struct wire_sync sync;
	size_t i, total = WIRE_STATUS_SIZE;

	if (wire_packet_decode(p, n, &pkt) == 0) {
		/* what decodes re-encodes to the same size */
		for (i = 0; i < pkt.nmsg; i++)
			total += wire_msg_size(&pkt.msg[i]);
		if (total != n)
			abort();
	}
	if (wire_sync_decode(p, n, &sync) == 0)
		wire_sync_free(&sync);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[1 << 17], sealed[(1 << 17) + WIRE_OVERHEAD];
	struct keyring kr;
	unsigned line;
	ssize_t n;

	if (rx == NULL)
		setup();
	if (size < 1 || size > sizeof(out))
		return 0;
	switch (data[0] % 6) {
	case 0:
		decode_body(data + 1, size - 1);
		break;
	case 1: {
		struct wire_sync sync;

		if (wire_sync_decode(data + 1, size - 1, &sync) == 0)
			wire_sync_free(&sync);
		break;
	}
	case 2:
		n = seal_open(rx, SEAL_DGRAM, data + 1, size - 1, NULL, out,
			      sizeof(out), NULL);
		if (n >= 0)
			decode_body(out, (size_t)n);
		break;
	case 3:
		if (size - 1 >= WIRE_HEADER_SIZE)
			(void)seal_frame_size(data + 1);
		n = seal_open(rx, SEAL_STREAM, data + 1, size - 1, NULL, out,
			      sizeof(out), NULL);
		if (n >= 0)
			decode_body(out, (size_t)n);
		break;
	case 4:
		n = seal_seal(tx, size - 1 <= WIRE_BODY_MAX ? WIRE_T_GOSSIP
							    : WIRE_T_SYNC,
			      data + 1, size - 1, sealed, sizeof(sealed));
		if (n < 0)
			break;
		n = seal_open(rx, size - 1 <= WIRE_BODY_MAX ? SEAL_DGRAM
							    : SEAL_STREAM,
			      sealed, (size_t)n, NULL, out, sizeof(out), NULL);
		if (n != (ssize_t)(size - 1) || memcmp(out, data + 1, size - 1))
			abort();
		decode_body(out, (size_t)n);
		break;
	default:
		if (keyring_parse((const char *)data + 1, size - 1, &kr,
				  &line) == 0)
			keyring_wipe(&kr);
		break;
	}
	return 0;
}
