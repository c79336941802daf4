/*
 * core/util: strict parsers, signal names, edit distance, strbuf.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>

#include "core/util.h"
#include "tests/lib/testlib.h"

static void
test_int(void)
{
	int64_t v = 0;
	uint64_t u = 0;

	ASSERT_INT_EQ(util_parse_int64("42", 0, 100, &v), 0);
	ASSERT_INT_EQ(v, 42);
	ASSERT_INT_EQ(util_parse_int64("-7", -10, 10, &v), 0);
	ASSERT_INT_EQ(v, -7);
	ASSERT_INT_EQ(util_parse_int64("-9223372036854775808", INT64_MIN,
				       INT64_MAX, &v), 0);
	ASSERT_TRUE(v == INT64_MIN);
	ASSERT_INT_EQ(util_parse_int64("9223372036854775808", INT64_MIN,
				       INT64_MAX, &v), -ERANGE);
	ASSERT_INT_EQ(util_parse_int64("101", 0, 100, &v), -ERANGE);
	ASSERT_INT_EQ(util_parse_int64("", 0, 100, &v), -EINVAL);
	ASSERT_INT_EQ(util_parse_int64(" 1", 0, 100, &v), -EINVAL);
	ASSERT_INT_EQ(util_parse_int64("1 ", 0, 100, &v), -EINVAL);
	ASSERT_INT_EQ(util_parse_int64("+1", 0, 100, &v), -EINVAL);
	ASSERT_INT_EQ(util_parse_int64("0x10", 0, 100, &v), -EINVAL);
	ASSERT_INT_EQ(util_parse_int64("1.5", 0, 100, &v), -EINVAL);
	ASSERT_INT_EQ(util_parse_int64("-", 0, 100, &v), -EINVAL);
	ASSERT_INT_EQ(util_parse_uint64("18446744073709551615", UINT64_MAX,
					&u), 0);
	ASSERT_TRUE(u == UINT64_MAX);
	ASSERT_INT_EQ(util_parse_uint64("18446744073709551616", UINT64_MAX,
					&u), -ERANGE);
	ASSERT_INT_EQ(util_parse_uint64("99999999999999999999x", UINT64_MAX,
					&u), -EINVAL);
	ASSERT_INT_EQ(util_parse_uint64("-1", UINT64_MAX, &u), -EINVAL);
}

static void
test_duration(void)
{
	int64_t ms = -1;
	const int64_t max = INT64_MAX / 2;

	ASSERT_INT_EQ(util_parse_duration_ms("500ms", max, &ms), 0);
	ASSERT_INT_EQ(ms, 500);
	ASSERT_INT_EQ(util_parse_duration_ms("10s", max, &ms), 0);
	ASSERT_INT_EQ(ms, 10000);
	ASSERT_INT_EQ(util_parse_duration_ms("5m", max, &ms), 0);
	ASSERT_INT_EQ(ms, 300000);
	ASSERT_INT_EQ(util_parse_duration_ms("2h", max, &ms), 0);
	ASSERT_INT_EQ(ms, 7200000);
	ASSERT_INT_EQ(util_parse_duration_ms("1d", max, &ms), 0);
	ASSERT_INT_EQ(ms, 86400000);
	ASSERT_INT_EQ(util_parse_duration_ms("7", max, &ms), 0);
	ASSERT_INT_EQ(ms, 7000);
	ASSERT_INT_EQ(util_parse_duration_ms("0", max, &ms), 0);
	ASSERT_INT_EQ(ms, 0);
	ASSERT_INT_EQ(util_parse_duration_ms("1m30s", max, &ms), 0);
	ASSERT_INT_EQ(ms, 90000);
	ASSERT_INT_EQ(util_parse_duration_ms("1.5s", max, &ms), 0);
	ASSERT_INT_EQ(ms, 1500);
	ASSERT_INT_EQ(util_parse_duration_ms("0.25", max, &ms), 0);
	ASSERT_INT_EQ(ms, 250);
	ASSERT_INT_EQ(util_parse_duration_ms("10x", max, &ms), -EINVAL);
	ASSERT_INT_EQ(util_parse_duration_ms("s", max, &ms), -EINVAL);
	ASSERT_INT_EQ(util_parse_duration_ms("", max, &ms), -EINVAL);
	ASSERT_INT_EQ(util_parse_duration_ms("-1s", max, &ms), -EINVAL);
	ASSERT_INT_EQ(util_parse_duration_ms("1s5", max, &ms), -EINVAL);
	ASSERT_INT_EQ(util_parse_duration_ms("1.s", max, &ms), -EINVAL);
	ASSERT_INT_EQ(util_parse_duration_ms("61s", 60000, &ms), -ERANGE);
	ASSERT_INT_EQ(util_parse_duration_ms("99999999999999999999d", max,
					     &ms), -ERANGE);
}

static void
test_size(void)
{
	uint64_t v = 0;

	ASSERT_INT_EQ(util_parse_size("50MB", UINT64_MAX, &v), 0);
	ASSERT_TRUE(v == 50ULL * 1024 * 1024);
	ASSERT_INT_EQ(util_parse_size("256KiB", UINT64_MAX, &v), 0);
	ASSERT_TRUE(v == 256ULL * 1024);
	ASSERT_INT_EQ(util_parse_size("1gb", UINT64_MAX, &v), 0);
	ASSERT_TRUE(v == 1024ULL * 1024 * 1024);
	ASSERT_INT_EQ(util_parse_size("4096", UINT64_MAX, &v), 0);
	ASSERT_TRUE(v == 4096);
	ASSERT_INT_EQ(util_parse_size("12B", UINT64_MAX, &v), 0);
	ASSERT_TRUE(v == 12);
	ASSERT_INT_EQ(util_parse_size("2K", UINT64_MAX, &v), 0);
	ASSERT_TRUE(v == 2048);
	ASSERT_INT_EQ(util_parse_size("5XB", UINT64_MAX, &v), -EINVAL);
	ASSERT_INT_EQ(util_parse_size("MB", UINT64_MAX, &v), -EINVAL);
	ASSERT_INT_EQ(util_parse_size("1MBx", UINT64_MAX, &v), -EINVAL);
	ASSERT_INT_EQ(util_parse_size("99999999999TB", UINT64_MAX, &v),
		      -ERANGE);
	ASSERT_INT_EQ(util_parse_size("2MB", 1024 * 1024, &v), -ERANGE);
}

static void
test_signals(void)
{
	ASSERT_INT_EQ(util_signal_from_name("TERM"), SIGTERM);
	ASSERT_INT_EQ(util_signal_from_name("SIGTERM"), SIGTERM);
	ASSERT_INT_EQ(util_signal_from_name("sigkill"), SIGKILL);
	ASSERT_INT_EQ(util_signal_from_name("hup"), SIGHUP);
	ASSERT_INT_EQ(util_signal_from_name("9"), SIGKILL);
	ASSERT_INT_EQ(util_signal_from_name("0"), -EINVAL);
	ASSERT_INT_EQ(util_signal_from_name("NOPE"), -EINVAL);
	ASSERT_INT_EQ(util_signal_from_name(""), -EINVAL);
	ASSERT_STR_EQ(util_signal_name(SIGUSR2), "USR2");
	ASSERT_NULL(util_signal_name(0));
}

static void
test_edit_distance(void)
{
	ASSERT_INT_EQ(util_edit_distance("comand", "command", 10), 1);
	ASSERT_INT_EQ(util_edit_distance("command", "command", 10), 0);
	ASSERT_INT_EQ(util_edit_distance("", "abc", 10), 3);
	ASSERT_INT_EQ(util_edit_distance("kitten", "sitting", 10), 3);
	ASSERT_INT_EQ(util_edit_distance("abcdef", "uvwxyz", 3), 3);
}

/* The published FNV-1a 64-bit test vectors. */
static void
test_hash(void)
{
	ASSERT_TRUE(util_hash_str("") == 0xcbf29ce484222325ULL);
	ASSERT_TRUE(util_hash_str("a") == 0xaf63dc4c8601ec8cULL);
	ASSERT_TRUE(util_hash_str("foobar") == 0x85944171f73967e8ULL);
}

static void
test_strbuf(void)
{
	struct strbuf sb = STRBUF_INIT;
	char *s;
	int i;

	ASSERT_STR_EQ(strbuf_str(&sb), "");
	for (i = 0; i < 1000; i++)
		strbuf_addf(&sb, "%d,", i);
	ASSERT_INT_EQ(sb.len, 3890);
	strbuf_reset(&sb);
	strbuf_adds(&sb, "a");
	strbuf_addc(&sb, 'b');
	strbuf_add(&sb, "cd", 2);
	ASSERT_STR_EQ(sb.buf, "abcd");
	s = strbuf_steal(&sb);
	ASSERT_STR_EQ(s, "abcd");
	ASSERT_NULL(sb.buf);
	free(s);
	strbuf_done(&sb);
}

static void
test_format_duration(void)
{
	char b[32];

	ASSERT_STR_EQ(util_format_duration(850, b, sizeof(b)), "850ms");
	ASSERT_STR_EQ(util_format_duration(59000, b, sizeof(b)), "59s");
	ASSERT_STR_EQ(util_format_duration(192000, b, sizeof(b)), "3m12s");
	ASSERT_STR_EQ(util_format_duration(2 * 86400000LL + 4 * 3600000LL, b,
					   sizeof(b)), "2d4h");
}

int
main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"integers", test_int},
		{"durations", test_duration},
		{"sizes", test_size},
		{"signals", test_signals},
		{"edit distance", test_edit_distance},
		{"string hash", test_hash},
		{"strbuf", test_strbuf},
		{"format duration", test_format_duration},
	};

	return test_main(argc, argv, "util", cases, ARRAY_SIZE(cases));
}
