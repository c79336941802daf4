/*
 * core/record: the process and state machine records of the gossip and
 * the peer command body, encoded and decoded; every kind of malformed
 * input a peer could send is refused without touching the output.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>

#include "core/record.h"
#include "tests/lib/testlib.h"

/* A literal with its length, NULs inside included. */
#define LIT(s) (const uint8_t *)(s), sizeof(s) - 1

static int
proc_dec(const char *s, size_t n, struct record_proc *ret)
{
	return record_proc_decode((const uint8_t *)s, n, ret);
}

static int
proc_decs(const char *s, struct record_proc *ret)
{
	return proc_dec(s, strlen(s), ret);
}

static void
test_proc_encode(void)
{
	struct record_proc p = {
		.state = SCHED_PROC_RUNNING,
		.pid = 4242,
		.start_wall_ms = 1764000000123LL,
		.loading = 25,
		.expected = false,
		.extra = "-v --x 'a b'",
		.desc = "pid 4242, uptime 0:01:02",
	};
	char buf[400];

	const char *want = "RUNNING\t4242\t1764000000123\t25\t0\t"
			   "-v --x 'a b'\tpid 4242, uptime 0:01:02";

	ASSERT_INT_EQ(record_proc_encode(&p, buf, sizeof(buf)), strlen(want));
	ASSERT_STR_EQ(buf, want);
	p = (struct record_proc){.state = SCHED_PROC_EXITED, .expected = true};
	ASSERT_INT_EQ(record_proc_encode(&p, buf, sizeof(buf)), 16);
	ASSERT_STR_EQ(buf, "EXITED\t0\t0\t0\t1\t\t");
	/* exactly the room needed, then one byte less */
	ASSERT_INT_EQ(record_proc_encode(&p, buf, 17), 16);
	ASSERT_INT_EQ(record_proc_encode(&p, buf, 16), -ENOSPC);
	ASSERT_INT_EQ(record_proc_encode(&p, buf, 0), -ENOSPC);
	/* disabled is FLAGS' 2 */
	p.disabled = true;
	ASSERT_INT_EQ(record_proc_encode(&p, buf, sizeof(buf)), 16);
	ASSERT_STR_EQ(buf, "EXITED\t0\t0\t0\t3\t\t");
	p.expected = false;
	ASSERT_INT_EQ(record_proc_encode(&p, buf, sizeof(buf)), 16);
	ASSERT_STR_EQ(buf, "EXITED\t0\t0\t0\t2\t\t");
}

static void
test_proc_encode_clean(void)
{
	struct record_proc p = {.state = SCHED_PROC_FATAL};
	char buf[400], big[600];

	/* tabs and newlines flattened, broken UTF-8 replaced, good kept */
	p.extra = "a\tb\nc";
	p.desc = "\xc3\xa9t\xc3\xa9 \xff\xc3 \xe2\x82";
	ASSERT_INT_EQ(record_proc_encode(&p, buf, sizeof(buf)) > 0, 1);
	ASSERT_STR_EQ(buf, "FATAL\t0\t0\t0\t0\ta b c\t\xc3\xa9t\xc3\xa9 ?? ??");
	/* cut at RECORD_TEXT_MAX bytes, never inside a character */
	memset(big, 'x', sizeof(big));
	memcpy(big + 254, "\xc3\xa9", 2);
	big[sizeof(big) - 1] = '\0';
	p.extra = big;
	p.desc = NULL;
	ASSERT_INT_EQ(record_proc_encode(&p, buf, sizeof(buf)),
		      (int)strlen("FATAL\t0\t0\t0\t0\t\t") + 254);
	ASSERT_INT_EQ(buf[strlen("FATAL\t0\t0\t0\t0\t") + 253], 'x');
	big[254] = 'x';
	ASSERT_INT_EQ(record_proc_encode(&p, buf, sizeof(buf)),
		      (int)strlen("FATAL\t0\t0\t0\t0\t\t") + 255);
}

static void
test_proc_encode_range(void)
{
	struct record_proc p = {.state = SCHED_PROC_STOPPED};
	char buf[256];

	p.state = _SCHED_PROC_MAX;
	ASSERT_INT_EQ(record_proc_encode(&p, buf, sizeof(buf)), -EINVAL);
	p.state = SCHED_PROC_STOPPED;
	p.pid = -1;
	ASSERT_INT_EQ(record_proc_encode(&p, buf, sizeof(buf)), -EINVAL);
	p.pid = RECORD_PID_MAX + 1;
	ASSERT_INT_EQ(record_proc_encode(&p, buf, sizeof(buf)), -EINVAL);
	p.pid = RECORD_PID_MAX;
	p.start_wall_ms = -5;
	ASSERT_INT_EQ(record_proc_encode(&p, buf, sizeof(buf)), -EINVAL);
	p.start_wall_ms = RECORD_WALL_MAX + 1;
	ASSERT_INT_EQ(record_proc_encode(&p, buf, sizeof(buf)), -EINVAL);
	p.start_wall_ms = RECORD_WALL_MAX;
	p.loading = 101;
	ASSERT_INT_EQ(record_proc_encode(&p, buf, sizeof(buf)), -EINVAL);
	p.loading = 100;
	ASSERT_INT_EQ(record_proc_encode(&p, buf, sizeof(buf)) > 0, 1);
	ASSERT_STR_EQ(buf, "STOPPED\t4194304\t253402300799999\t100\t0\t\t");
}

static void
test_proc_decode(void)
{
	struct record_proc p = {0};
	const char *in = "STOPPING\t17\t1764000000123\t100\t1\t--a b\t"
			 "stop\trequested\nby x";

	ASSERT_INT_EQ(proc_decs(in, &p), 0);
	ASSERT_INT_EQ(p.state, SCHED_PROC_STOPPING);
	ASSERT_INT_EQ(p.pid, 17);
	ASSERT_INT_EQ(p.start_wall_ms, 1764000000123LL);
	ASSERT_INT_EQ(p.loading, 100);
	ASSERT_TRUE(p.expected);
	ASSERT_FALSE(p.disabled);
	ASSERT_STR_EQ(p.extra, "--a b");
	/* the description is any text after the sixth tab */
	ASSERT_STR_EQ(p.desc, "stop\trequested\nby x");
	record_proc_clear(&p);
	ASSERT_NULL(p.extra);
	record_proc_clear(NULL);
	ASSERT_INT_EQ(proc_decs("STOPPED\t0\t0\t5\t2\t\t", &p), 0);
	ASSERT_TRUE(p.disabled);
	ASSERT_FALSE(p.expected);
	record_proc_clear(&p);

	ASSERT_INT_EQ(proc_decs("UNKNOWN\t0\t0\t0\t0\t\t", &p), 0);
	ASSERT_INT_EQ(p.state, SCHED_PROC_UNKNOWN);
	ASSERT_STR_EQ(p.extra, "");
	ASSERT_STR_EQ(p.desc, "");
	record_proc_clear(&p);
	/* the limits themselves */
	ASSERT_INT_EQ(
		proc_decs("RUNNING\t4194304\t253402300799999\t100\t0\t\t", &p),
		0);
	ASSERT_INT_EQ(p.pid, RECORD_PID_MAX);
	ASSERT_INT_EQ(p.start_wall_ms, RECORD_WALL_MAX);
	record_proc_clear(&p);
	/* only LEN bytes are read: the tail after it is not there */
	ASSERT_INT_EQ(proc_dec("BACKOFF\t0\t0\t0\t0\tx\tdescXXXX",
			       strlen("BACKOFF\t0\t0\t0\t0\tx\tdesc"), &p),
		      0);
	ASSERT_STR_EQ(p.desc, "desc");
	record_proc_clear(&p);
}

static void
test_proc_decode_bad(void)
{
	static const char *const bad[] = {
		"",
		"RUNNING",
		"RUNNING\t1\t2\t3\t0\tx", /* six fields */
		"RUNNING\t1\t2\t3\t0",
		"\t1\t2\t3\t0\t\t",
		"RUNNIN\t1\t2\t3\t0\t\t",
		"running\t1\t2\t3\t0\t\t", /* names are exact */
		"RUNNING \t1\t2\t3\t0\t\t",
		"RUNNING\t\t2\t3\t0\t\t", /* empty numbers */
		"RUNNING\t1\t\t3\t0\t\t",
		"RUNNING\t1\t2\t\t0\t\t",
		"RUNNING\t1\t2\t3\t\t\t",
		"RUNNING\t-1\t2\t3\t0\t\t", /* negative */
		"RUNNING\t1\t-2\t3\t0\t\t",
		"RUNNING\t1\t2\t-3\t0\t\t",
		"RUNNING\t+1\t2\t3\t0\t\t",
		"RUNNING\t01\t2\t3\t0\t\t", /* not what the encoder writes */
		"RUNNING\t1\t02\t3\t0\t\t",
		"RUNNING\t 1\t2\t3\t0\t\t",
		"RUNNING\t1 \t2\t3\t0\t\t",
		"RUNNING\t0x1\t2\t3\t0\t\t",
		"RUNNING\t1.0\t2\t3\t0\t\t",
		"RUNNING\t4194305\t2\t3\t0\t\t", /* past the limits */
		"RUNNING\t99999999999999999999999\t2\t3\t0\t\t",
		"RUNNING\t1\t253402300800000\t3\t0\t\t",
		"RUNNING\t1\t18446744073709551616\t3\t0\t\t",
		"RUNNING\t1\t9223372036854775808\t3\t0\t\t",
		"RUNNING\t1\t2\t101\t0\t\t",
		"RUNNING\t1\t2\t4294967296\t0\t\t",
		"RUNNING\t1\t2\t3\t4\t\t", /* FLAGS 0 to 3 */
		"RUNNING\t1\t2\t3\t00\t\t",
		"RUNNING\t1\t2\t3\ttrue\t\t",
		"RUNNING\t1\t2\t3\t0\ta\nb\t", /* extra: no newline */
		"RUNNING\t1\t2\t3\t0\t\xff\t", /* not UTF-8 */
		"RUNNING\t1\t2\t3\t0\t\t\xc3",
		"RUNNING\t1\t2\t3\t0\t\t\xc0\xaf",         /* overlong */
		"RUNNING\t1\t2\t3\t0\t\t\xed\xa0\x80",     /* surrogate */
		"RUNNING\t1\t2\t3\t0\t\t\xf4\x90\x80\x80", /* > U+10FFFF */
		"RUNNING\t1\t2\t3\t0\t\t\xe2\x82",         /* cut short */
	};
	struct record_proc p, keep;
	char big[400];
	int n;

	memset(&p, 0xa5, sizeof(p));
	memcpy(&keep, &p, sizeof(p));
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		ASSERT_INT_EQ(proc_decs(bad[i], &p), -EINVAL);
		ASSERT_INT_EQ(memcmp(&p, &keep, sizeof(p)), 0);
	}
	ASSERT_INT_EQ(record_proc_decode(NULL, 0, &p), -EINVAL);
	/* a NUL inside any field */
	ASSERT_INT_EQ(record_proc_decode(LIT("RUN\0NING\t1\t2\t3\t0\t\t"), &p),
		      -EINVAL);
	ASSERT_INT_EQ(record_proc_decode(LIT("RUNNING\t1\0\t2\t3\t0\t\t"), &p),
		      -EINVAL);
	ASSERT_INT_EQ(record_proc_decode(LIT("RUNNING\t1\t2\t3\t0\ta\0\t"), &p),
		      -EINVAL);
	ASSERT_INT_EQ(
		record_proc_decode(LIT("RUNNING\t1\t2\t3\t0\t\tab\0"), &p),
		-EINVAL);
	ASSERT_INT_EQ(memcmp(&p, &keep, sizeof(p)), 0);
	ASSERT_INT_EQ(record_proc_decode(LIT("RUNNING\t1\t2\t3\t0\t\tab"), &p),
		      0);
	record_proc_clear(&p);
	/* texts longer than the encoder writes */
	n = snprintf(big, sizeof(big), "RUNNING\t1\t2\t3\t0\t\t");
	memset(big + n, 'd', 256);
	ASSERT_INT_EQ(proc_dec(big, (size_t)n + 256, &p), -EINVAL);
	ASSERT_INT_EQ(proc_dec(big, (size_t)n + 255, &p), 0);
	ASSERT_INT_EQ(strlen(p.desc), 255);
	record_proc_clear(&p);
	n = snprintf(big, sizeof(big), "RUNNING\t1\t2\t3\t0\t");
	memset(big + n, 'e', 256);
	big[n + 256] = '\t';
	ASSERT_INT_EQ(proc_dec(big, (size_t)n + 257, &p), -EINVAL);
}

static void
test_proc_round_trip(void)
{
	struct record_proc
		in =
			{
				.state = SCHED_PROC_BACKOFF,
				.pid = 0,
				.start_wall_ms = 0,
				.loading = 7,
				.expected = false,
				.extra = "\xe2\x82\xac 5",
				.desc = "Exited too quickly (process log may "
					"have details)",
			},
		out = {0};
	char buf[400], again[400];
	int n;

	for (int s = 0; s < _SCHED_PROC_MAX; s++) {
		in.state = (enum sched_proc_state)s;
		in.expected = s % 2;
		n = record_proc_encode(&in, buf, sizeof(buf));
		ASSERT_INT_EQ(n > 0, 1);
		ASSERT_INT_EQ(proc_dec(buf, (size_t)n, &out), 0);
		ASSERT_INT_EQ(out.state, in.state);
		ASSERT_INT_EQ(out.loading, 7);
		ASSERT_INT_EQ(out.expected, in.expected);
		ASSERT_STR_EQ(out.extra, in.extra);
		ASSERT_STR_EQ(out.desc, in.desc);
		ASSERT_INT_EQ(record_proc_encode(&out, again, sizeof(again)),
			      n);
		ASSERT_STR_EQ(again, buf);
		record_proc_clear(&out);
	}
}

static int
fsm_decs(const char *s, struct record_fsm *ret)
{
	return record_fsm_decode((const uint8_t *)s, strlen(s), ret);
}

static void
test_fsm(void)
{
	struct record_fsm f =
				  {
					  .state = SCHED_CS_OPERATION,
					  .master = "node-1",
					  .stable = true,
					  .running = 0x0123456789abcdefULL,
				  },
			  g = {0};
	char buf[256];

	ASSERT_INT_EQ(record_fsm_encode(&f, buf, sizeof(buf)), 35);
	ASSERT_STR_EQ(buf, "OPERATION\tnode-1\t1\t0123456789abcdef");
	ASSERT_INT_EQ(fsm_decs(buf, &g), 0);
	ASSERT_INT_EQ(g.state, SCHED_CS_OPERATION);
	ASSERT_STR_EQ(g.master, "node-1");
	ASSERT_TRUE(g.stable);
	ASSERT_TRUE(g.running == 0x0123456789abcdefULL);
	f = (struct record_fsm){.state = SCHED_CS_ELECTION, .running = 1};
	ASSERT_INT_EQ(record_fsm_encode(&f, buf, sizeof(buf)), 29);
	ASSERT_STR_EQ(buf, "ELECTION\t-\t0\t0000000000000001");
	ASSERT_INT_EQ(fsm_decs(buf, &g), 0);
	ASSERT_STR_EQ(g.master, "");
	ASSERT_FALSE(g.stable);
	ASSERT_TRUE(g.running == 1);
	ASSERT_INT_EQ(fsm_decs("FINAL\tx\t0\tffffffffffffffff", &g), 0);
	ASSERT_TRUE(g.running == UINT64_MAX);
	ASSERT_INT_EQ(record_fsm_encode(&f, buf, 29), -ENOSPC);
	/* what the encoder refuses */
	f.state = _SCHED_CS_MAX;
	ASSERT_INT_EQ(record_fsm_encode(&f, buf, sizeof(buf)), -EINVAL);
	f.state = SCHED_CS_OFF;
	strcpy(f.master, "-");
	ASSERT_INT_EQ(record_fsm_encode(&f, buf, sizeof(buf)), -EINVAL);
	strcpy(f.master, "a\tb");
	ASSERT_INT_EQ(record_fsm_encode(&f, buf, sizeof(buf)), -EINVAL);
	strcpy(f.master, "a\xff");
	ASSERT_INT_EQ(record_fsm_encode(&f, buf, sizeof(buf)), -EINVAL);
	memset(f.master, 'm', sizeof(f.master)); /* not even terminated */
	ASSERT_INT_EQ(record_fsm_encode(&f, buf, sizeof(buf)), -EINVAL);
	f.master[RECORD_NAME_MAX] = '\0';
	ASSERT_INT_EQ(record_fsm_encode(&f, buf, sizeof(buf)),
		      strlen("OFF\t\t0\t0000000000000001") + RECORD_NAME_MAX);
	ASSERT_INT_EQ(fsm_decs(buf, &g), 0);
	ASSERT_STR_EQ(g.master, f.master);
}

static void
test_fsm_bad(void)
{
	static const char *const bad[] = {
		"",
		"OPERATION",
		"OPERATION\tm\t1",
		"OPERATION\tm\t1\t0123456789abcdef\t", /* five fields */
		"OPERATION\tm\t1\t0123456789abcdef\tx",
		"OPERATION\t\t1\t0123456789abcdef", /* no master, not "-" */
		"OPERATION\tm\t\t1\t0123456789abcdef",
		"Operation\tm\t1\t0123456789abcdef",
		"RUNNING\tm\t1\t0123456789abcdef",
		"\tm\t1\t0123456789abcdef",
		"OPERATION\tm\t2\t0123456789abcdef",
		"OPERATION\tm\t-1\t0123456789abcdef",
		"OPERATION\tm\t\t0123456789abcdef",
		"OPERATION\tm\t1\t0123456789abcde", /* 15 digits */
		"OPERATION\tm\t1\t0123456789abcdef0",
		"OPERATION\tm\t1\t0123456789ABCDEF",
		"OPERATION\tm\t1\t-123456789abcdef",
		"OPERATION\tm\t1\t 123456789abcdef",
		"OPERATION\tm\t1\t0x23456789abcdef",
		"OPERATION\tm\t1\t",
		"OPERATION\ta\nb\t1\t0123456789abcdef",
		"OPERATION\t\xff\t1\t0123456789abcdef",
		"OPERATION\t\xc3\t1\t0123456789abcdef",
		"OPERATION\tmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm"
		"mm"
		"mmmmmmmmmmmm\t1\t0123456789abcdef", /* 65 bytes */
	};
	struct record_fsm f, keep;

	memset(&f, 0xa5, sizeof(f));
	memcpy(&keep, &f, sizeof(f));
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		ASSERT_INT_EQ(fsm_decs(bad[i], &f), -EINVAL);
		ASSERT_INT_EQ(memcmp(&f, &keep, sizeof(f)), 0);
	}
	ASSERT_INT_EQ(record_fsm_decode(NULL, 0, &f), -EINVAL);
	ASSERT_INT_EQ(
		record_fsm_decode(LIT("OFF\tm\0\t1\t0123456789abcdef"), &f),
		-EINVAL);
	ASSERT_INT_EQ(
		record_fsm_decode(LIT("OFF\tm\t1\t0123456789abcde\0"), &f),
		-EINVAL);
	ASSERT_INT_EQ(
		record_fsm_decode(LIT("OFF\t\0\t1\t0123456789abcdef"), &f),
		-EINVAL);
	ASSERT_INT_EQ(memcmp(&f, &keep, sizeof(f)), 0);
}

static int
cmd(const char *json, struct record_cmd *ret, char *msg)
{
	return record_cmd_parse((const uint8_t *)json, strlen(json), ret, msg,
				128);
}

static void
test_cmd(void)
{
	struct record_cmd c;
	char msg[128];

	ASSERT_INT_EQ(cmd("{\"op\":\"start\",\"namespec\":\"a:b\",\"load\":30,"
			  "\"extra_args\":\"-x 1\",\"other\":1}",
			  &c, msg),
		      0);
	ASSERT_INT_EQ(c.op, RECORD_OP_START);
	ASSERT_STR_EQ(c.namespec, "a:b");
	ASSERT_INT_EQ(c.load, 30);
	ASSERT_STR_EQ(c.extra_args, "-x 1");
	record_cmd_clear(&c);
	ASSERT_NULL(c.namespec);
	record_cmd_clear(NULL);
	ASSERT_INT_EQ(cmd("{\"op\":\"start\",\"namespec\":\"a:b\",\"load\":0,"
			  "\"extra_args\":null}",
			  &c, msg),
		      0);
	ASSERT_NULL(c.extra_args);
	record_cmd_clear(&c);
	ASSERT_INT_EQ(cmd("{\"op\":\"stop\",\"namespec\":\"a:b\"}", &c, msg),
		      0);
	ASSERT_INT_EQ(c.op, RECORD_OP_STOP);
	record_cmd_clear(&c);
	ASSERT_INT_EQ(cmd("{\"op\":\"signal\",\"namespec\":\"a:b\","
			  "\"signal\":64}",
			  &c, msg),
		      0);
	ASSERT_INT_EQ(c.signal, 64);
	record_cmd_clear(&c);
	ASSERT_INT_EQ(cmd("{\"op\":\"log\",\"namespec\":\"a:b\",\"stream\":"
			  "\"stderr\",\"bytes\":16777216}",
			  &c, msg),
		      0);
	ASSERT_INT_EQ(c.stream, RECORD_STDERR);
	ASSERT_INT_EQ(c.bytes, 16u << 20);
	record_cmd_clear(&c);
	ASSERT_INT_EQ(cmd("{\"op\":\"event\",\"namespec\":\"a:b\",\"state\":"
			  "\"EXITED\",\"pid\":12,\"uptime_ms\":1500,"
			  "\"expected\":true}",
			  &c, msg),
		      0);
	ASSERT_INT_EQ(c.state, SCHED_PROC_EXITED);
	ASSERT_INT_EQ(c.pid, 12);
	ASSERT_INT_EQ(c.uptime_ms, 1500);
	ASSERT_TRUE(c.expected);
	record_cmd_clear(&c);
	ASSERT_INT_EQ(cmd("{\"op\":\"event\",\"namespec\":\"a:b\",\"state\":"
			  "\"STOPPED\"}",
			  &c, msg),
		      0);
	ASSERT_INT_EQ(c.pid, 0);
	ASSERT_INT_EQ(c.uptime_ms, 0);
	ASSERT_FALSE(c.expected);
	record_cmd_clear(&c);
	ASSERT_INT_EQ(cmd("{\"op\":\"shutdown\"}", &c, msg), 0);
	ASSERT_INT_EQ(c.op, RECORD_OP_SHUTDOWN);
	ASSERT_NULL(c.namespec);
	ASSERT_INT_EQ(cmd("{\"op\":\"restart\",\"namespec\":7}", &c, msg), 0);
	ASSERT_INT_EQ(c.op, RECORD_OP_RESTART);
	for (int i = 0; i < _RECORD_OP_MAX; i++)
		ASSERT_INT_EQ(record_op_from_string(
				      record_op_to_string((enum record_op)i)),
			      i);
	ASSERT_NULL(record_op_to_string(_RECORD_OP_MAX));
	ASSERT_INT_EQ(record_stream_from_string("stdout"), RECORD_STDOUT);
	ASSERT_INT_EQ(record_stream_from_string(NULL), -EINVAL);
	ASSERT_NULL(record_stream_to_string(_RECORD_STREAM_MAX));
}

static void
test_cmd_bad(void)
{
	static const struct {
		const char *json;
		int r;
		const char *msg;
	} bad[] = {
		{"", -EINVAL, "not a JSON object"},
		{"[1]", -EINVAL, "not a JSON object"},
		{"{\"op\":\"stop\"", -EINVAL, "not a JSON object"},
		{"{}", -EINVAL, "no op"},
		{"{\"op\":3}", -EINVAL, "no op"},
		{"{\"op\":\"START\"}", -EINVAL, "unknown op 'START'"},
		{"{\"op\":\"kill\"}", -EINVAL, "unknown op 'kill'"},
		{"{\"op\":\"stop\"}", -ENOENT, "bad namespec"},
		{"{\"op\":\"stop\",\"namespec\":\"\"}", -ENOENT,
		 "bad namespec"},
		{"{\"op\":\"stop\",\"namespec\":1}", -ENOENT, "bad namespec"},
		{"{\"op\":\"start\",\"namespec\":\"a\"}", -EINVAL, "bad load"},
		{"{\"op\":\"start\",\"namespec\":\"a\",\"load\":-1}", -EINVAL,
		 "bad load"},
		{"{\"op\":\"start\",\"namespec\":\"a\",\"load\":101}", -EINVAL,
		 "bad load"},
		{"{\"op\":\"start\",\"namespec\":\"a\",\"load\":1.5}", -EINVAL,
		 "bad load"},
		{"{\"op\":\"start\",\"namespec\":\"a\",\"load\":\"5\"}",
		 -EINVAL, "bad load"},
		{"{\"op\":\"start\",\"namespec\":\"a\",\"load\":1e999}",
		 -EINVAL, "bad load"},
		{"{\"op\":\"start\",\"namespec\":\"a\",\"load\":5,"
		 "\"extra_args\":[]}",
		 -EINVAL, "bad extra_args"},
		{"{\"op\":\"signal\",\"namespec\":\"a\"}", -EINVAL,
		 "bad signal"},
		{"{\"op\":\"signal\",\"namespec\":\"a\",\"signal\":0}", -EINVAL,
		 "bad signal"},
		{"{\"op\":\"signal\",\"namespec\":\"a\",\"signal\":65}",
		 -EINVAL, "bad signal"},
		{"{\"op\":\"signal\",\"namespec\":\"a\",\"signal\":\"TERM\"}",
		 -EINVAL, "bad signal"},
		{"{\"op\":\"log\",\"namespec\":\"a\",\"bytes\":5}", -EINVAL,
		 "bad stream"},
		{"{\"op\":\"log\",\"namespec\":\"a\",\"stream\":\"stdin\","
		 "\"bytes\":5}",
		 -EINVAL, "bad stream"},
		{"{\"op\":\"log\",\"namespec\":\"a\",\"stream\":\"stdout\"}",
		 -EINVAL, "bad bytes"},
		{"{\"op\":\"log\",\"namespec\":\"a\",\"stream\":\"stdout\","
		 "\"bytes\":16777217}",
		 -EINVAL, "bad bytes"},
		{"{\"op\":\"log\",\"namespec\":\"a\",\"stream\":\"stdout\","
		 "\"bytes\":-1}",
		 -EINVAL, "bad bytes"},
		{"{\"op\":\"event\",\"namespec\":\"a\"}", -EINVAL, "bad event"},
		{"{\"op\":\"event\",\"namespec\":\"a\",\"state\":\"GONE\"}",
		 -EINVAL, "bad event"},
		{"{\"op\":\"event\",\"namespec\":\"a\",\"state\":\"STOPPED\","
		 "\"pid\":-1}",
		 -EINVAL, "bad event"},
		{"{\"op\":\"event\",\"namespec\":\"a\",\"state\":\"STOPPED\","
		 "\"pid\":4194305}",
		 -EINVAL, "bad event"},
		{"{\"op\":\"event\",\"namespec\":\"a\",\"state\":\"STOPPED\","
		 "\"uptime_ms\":-3}",
		 -EINVAL, "bad event"},
		{"{\"op\":\"event\",\"namespec\":\"a\",\"state\":\"STOPPED\","
		 "\"uptime_ms\":1e300}",
		 -EINVAL, "bad event"},
		{"{\"op\":\"event\",\"namespec\":\"a\",\"state\":\"STOPPED\","
		 "\"expected\":1}",
		 -EINVAL, "bad event"},
	};
	struct record_cmd c, keep;
	char msg[128];

	memset(&c, 0xa5, sizeof(c));
	memcpy(&keep, &c, sizeof(c));
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		msg[0] = '\0';
		ASSERT_INT_EQ(cmd(bad[i].json, &c, msg), bad[i].r);
		ASSERT_STR_EQ(msg, bad[i].msg);
		ASSERT_INT_EQ(memcmp(&c, &keep, sizeof(c)), 0);
	}
	/* only LEN bytes: a valid body cut short is not one */
	ASSERT_INT_EQ(record_cmd_parse((const uint8_t *)"{\"op\":\"shutdown\"}",
				       10, &c, msg, sizeof(msg)),
		      -EINVAL);
	ASSERT_INT_EQ(record_cmd_from_json(NULL, &c, msg, sizeof(msg)),
		      -EINVAL);
}

static void
test_cmd_lengths(void)
{
	size_t n = RECORD_EXTRA_ARGS_MAX + 100;
	char *big = xmalloc(n), *json;
	struct record_cmd c;
	char msg[128];

	memset(big, 'x', n - 1);
	big[n - 1] = '\0';
	json = xasprintf("{\"op\":\"stop\",\"namespec\":\"%.*s\"}",
			 RECORD_NAMESPEC_MAX + 1, big);
	ASSERT_INT_EQ(cmd(json, &c, msg), -ENOENT);
	free(json);
	json = xasprintf("{\"op\":\"stop\",\"namespec\":\"%.*s\"}",
			 RECORD_NAMESPEC_MAX, big);
	ASSERT_INT_EQ(cmd(json, &c, msg), 0);
	ASSERT_INT_EQ(strlen(c.namespec), RECORD_NAMESPEC_MAX);
	record_cmd_clear(&c);
	free(json);
	json = xasprintf("{\"op\":\"start\",\"namespec\":\"a\",\"load\":1,"
			 "\"extra_args\":\"%.*s\"}",
			 RECORD_EXTRA_ARGS_MAX + 1, big);
	ASSERT_INT_EQ(cmd(json, &c, msg), -EINVAL);
	ASSERT_STR_EQ(msg, "bad extra_args");
	free(json);
	json = xasprintf("{\"op\":\"start\",\"namespec\":\"a\",\"load\":1,"
			 "\"extra_args\":\"%.*s\"}",
			 RECORD_EXTRA_ARGS_MAX, big);
	ASSERT_INT_EQ(cmd(json, &c, msg), 0);
	ASSERT_INT_EQ(strlen(c.extra_args), RECORD_EXTRA_ARGS_MAX);
	record_cmd_clear(&c);
	free(json);
	free(big);
}

int
main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"process record encode", test_proc_encode},
		{"process record cleans its texts", test_proc_encode_clean},
		{"process record encode ranges", test_proc_encode_range},
		{"process record decode", test_proc_decode},
		{"process record malformed", test_proc_decode_bad},
		{"process record round trip", test_proc_round_trip},
		{"fsm record", test_fsm},
		{"fsm record malformed", test_fsm_bad},
		{"peer command", test_cmd},
		{"peer command malformed", test_cmd_bad},
		{"peer command lengths", test_cmd_lengths},
	};

	return test_main(argc, argv, "record", cases, ARRAY_SIZE(cases));
}
