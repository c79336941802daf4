/*
 * libFuzzer target for what peers send about themselves (core/record):
 * the process record and the state machine record of the gossip KV
 * store, and the JSON body of a peer command.  The first byte chooses
 * the decoder.
 *
 * Whatever decodes must encode again and decode to the same values.
 * The records are canonical: a state machine record re-encodes to the
 * very same bytes, and so does a process record whose description holds
 * no tab or newline (the encoder flattens those).
 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/record.h"
#include "net/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(bool ok)
{
	if (!ok)
		abort();
}

static void
fuzz_proc(const uint8_t *v, size_t n)
{
	struct record_proc a, b;
	char buf[WIRE_VALUE_MAX];
	bool flat = true;
	int len;

	if (record_proc_decode(v, n, &a) < 0)
		return;
	len = record_proc_encode(&a, buf, sizeof(buf));
	check(len > 0 && (size_t)len == strlen(buf));
	check(record_proc_decode((const uint8_t *)buf, (size_t)len, &b) == 0);
	check(a.state == b.state && a.pid == b.pid &&
	      a.start_wall_ms == b.start_wall_ms && a.loading == b.loading &&
	      a.expected == b.expected && strcmp(a.extra, b.extra) == 0);
	for (char *s = a.desc; *s; s++)
		if (*s == '\t' || *s == '\n') {
			*s = ' ';
			flat = false;
		}
	check(strcmp(a.desc, b.desc) == 0);
	if (flat)
		check((size_t)len == n && memcmp(buf, v, n) == 0);
	record_proc_clear(&a);
	record_proc_clear(&b);
}

static void
fuzz_fsm(const uint8_t *v, size_t n)
{
	struct record_fsm a, b;
	char buf[WIRE_VALUE_MAX];
	int len;

	if (record_fsm_decode(v, n, &a) < 0)
		return;
	len = record_fsm_encode(&a, buf, sizeof(buf));
	check(len > 0 && (size_t)len == n && memcmp(buf, v, n) == 0);
	check(record_fsm_decode((const uint8_t *)buf, (size_t)len, &b) == 0);
	check(a.state == b.state && strcmp(a.master, b.master) == 0 &&
	      a.stable == b.stable && a.running == b.running);
}

/* The command as its senders in core/daemon.c and core/ctl.c write it. */
static cJSON *
cmd_json(const struct record_cmd *c)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "op", record_op_to_string(c->op));
	if (c->namespec != NULL)
		cJSON_AddStringToObject(o, "namespec", c->namespec);
	switch (c->op) {
	case RECORD_OP_START:
		cJSON_AddNumberToObject(o, "load", c->load);
		if (c->extra_args != NULL)
			cJSON_AddStringToObject(o, "extra_args", c->extra_args);
		break;
	case RECORD_OP_SIGNAL:
		cJSON_AddNumberToObject(o, "signal", c->signal);
		break;
	case RECORD_OP_LOG:
		cJSON_AddStringToObject(o, "stream",
					record_stream_to_string(c->stream));
		cJSON_AddNumberToObject(o, "bytes", (double)c->bytes);
		break;
	case RECORD_OP_EVENT:
		cJSON_AddStringToObject(o, "state",
					sched_proc_state_to_string(c->state));
		cJSON_AddNumberToObject(o, "pid", c->pid);
		cJSON_AddNumberToObject(o, "uptime_ms", (double)c->uptime_ms);
		cJSON_AddBoolToObject(o, "expected", c->expected);
		break;
	default:
		break;
	}
	return o;
}

static bool
same_str(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void
fuzz_cmd(const uint8_t *v, size_t n)
{
	struct record_cmd a, b;
	char msg[160], *txt;
	cJSON *o;
	int r = record_cmd_parse(v, n, &a, msg, sizeof(msg));

	if (r < 0) {
		check(memchr(msg, '\0', sizeof(msg)) != NULL);
		return;
	}
	o = cmd_json(&a);
	txt = cJSON_PrintUnformatted(o);
	check(txt != NULL);
	check(record_cmd_parse((const uint8_t *)txt, strlen(txt), &b, msg,
			       sizeof(msg)) == 0);
	check(a.op == b.op && same_str(a.namespec, b.namespec) &&
	      a.load == b.load && same_str(a.extra_args, b.extra_args) &&
	      a.signal == b.signal && a.stream == b.stream &&
	      a.bytes == b.bytes && a.state == b.state && a.pid == b.pid &&
	      a.uptime_ms == b.uptime_ms && a.expected == b.expected);
	free(txt);
	cJSON_Delete(o);
	record_cmd_clear(&a);
	record_cmd_clear(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > (1 << 17))
		return 0;
	switch (data[0] % 3) {
	case 0:
		fuzz_proc(data + 1, size - 1);
		break;
	case 1:
		fuzz_fsm(data + 1, size - 1);
		break;
	default:
		fuzz_cmd(data + 1, size - 1);
		break;
	}
	return 0;
}
