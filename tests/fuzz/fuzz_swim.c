/*
 * libFuzzer target for the protocol core: sequences of decoded
 * datagrams, push-pull frames, timer ticks and local record updates fed
 * into one net/swim core that knows a few members.  Beyond "no crash, no
 * leak, no undefined behaviour", every datagram and frame the core
 * produces must decode again and fit its budget.
 *
 * Input: records of [op][sender][len u16][len bytes], op % 5:
 *   0 datagram body from member SENDER % 4   1 push-pull request
 *   2 push-pull answer                        3 advance time by len * 10 ms
 *   4 set a record (key and value from the bytes)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/swim.h"
#include "net/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PEERS 4

static void
check_outputs(struct swim *s)
{
	static struct wire_packet pkt;
	struct swim_output o;
	struct swim_event ev;
	struct wire_sync sync;

	while (swim_next_output(s, &o)) {
		if (o.type == WIRE_T_GOSSIP) {
			if (o.len > WIRE_BODY_MAX ||
			    wire_packet_decode(o.body, o.len, &pkt) != 0)
				abort();
		} else {
			if (wire_sync_decode(o.body, o.len, &sync) != 0)
				abort();
			wire_sync_free(&sync);
		}
	}
	while (swim_next_event(s, &ev))
		if (ev.type >= _SWIM_EV_MAX)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wire_packet pkt;
	uint8_t ids[PEERS][WIRE_ID_SIZE];
	struct wire_addr addrs[PEERS];
	struct wire_member mm[PEERS];
	struct wire_sync all = {.members = mm, .nmembers = PEERS};
	struct swim_config cfg;
	struct swim_self me = {.name = "fuzz"};
	struct swim *s;
	int64_t now = 1000;
	size_t pos = 0, i;

	swim_config_default(&cfg);
	memset(mm, 0, sizeof(mm));
	for (i = 0; i < PEERS; i++) {
		memset(ids[i], (int)i + 1, WIRE_ID_SIZE);
		wire_addr_parse("127.0.0.1:17300", &addrs[i]);
		addrs[i].port = (uint16_t)(17300 + i);
		memcpy(mm[i].id, ids[i], WIRE_ID_SIZE);
		mm[i].addr = addrs[i];
		mm[i].incarnation = 1ull << 32;
		mm[i].name = "p";
		mm[i].name_len = 1;
	}
	memcpy(me.id, ids[0], WIRE_ID_SIZE);
	me.addr = addrs[0];
	me.generation = 1;
	s = swim_new(&cfg, &me, 42);
	swim_sync_merge(s, now, ids[1], &all);
	check_outputs(s);
	while (pos + 4 <= size) {
		uint8_t op = data[pos], who = data[pos + 1] % PEERS;
		size_t len = (size_t)data[pos + 2] << 8 | data[pos + 3];
		const uint8_t *p = data + pos + 4;

		if (len > size - pos - 4)
			len = size - pos - 4;
		pos += 4 + len;
		switch (op % 5) {
		case 0:
			if (wire_packet_decode(p, len, &pkt) == 0)
				swim_recv(s, now, ids[who], &addrs[who], &pkt);
			break;
		case 1:
		case 2: {
			struct wire_sync sync;

			if (wire_sync_decode(p, len, &sync) != 0)
				break;
			if (op % 5 == 1) {
				struct wwriter w;

				ww_init_growable(&w);
				swim_sync_reply(s, now, ids[who], &sync, &w);
				if (w.err || wire_sync_decode(w.p, w.len,
							      &all) != 0)
					abort();
				wire_sync_free(&all);
				ww_done(&w);
			} else {
				swim_sync_merge(s, now, ids[who], &sync);
			}
			wire_sync_free(&sync);
			break;
		}
		case 3:
			now += (int64_t)len * 10;
			while (swim_next_deadline(s) <= now) {
				swim_tick(s, swim_next_deadline(s));
				check_outputs(s);
			}
			break;
		default: {
			char key[16];
			size_t k = len < 15 ? len : 15;

			memcpy(key, p, k);
			key[k] = '\0';
			swim_kv_set(s, now, key, p, len);
			break;
		}
		}
		check_outputs(s);
	}
	swim_free(s);
	return 0;
}
