/*
 * core/log: "<N>" priority prefixes when $JOURNAL_STREAM names stderr,
 * timestamps and level words otherwise, the debug gate, and reopening a
 * log file that logrotate moved away.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "tests/lib/testlib.h"

/* Point fd 2 at a fresh file and return its contents after FN ran. */
static char *
capture_stderr(const char *name, void (*fn)(void))
{
	const char *path = test_write_file(test_tmpdir(), name, "");
	int saved = dup(2), fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	char *buf = xcalloc(1, 4096);
	ssize_t n;

	dup2(fd, 2);
	fn();
	dup2(saved, 2);
	close(saved);
	close(fd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = read(fd, buf, 4095);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void
emit_journal(void)
{
	struct stat st;
	char js[64];

	fstat(2, &st);
	snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", js, 1);
	log_init("t", 0);
	log_info("hello %d", 1);
	log_warnx("careful");
	errno = ENOENT;
	log_warn("open 'x'");
	log_debug("hidden");
	unsetenv("JOURNAL_STREAM");
	log_init("t", 0);
}

static void
test_journal(void)
{
	char *out = capture_stderr("journal", emit_journal);

	ASSERT_STR_EQ(out, "<6>hello 1\n<4>careful\n"
			   "<4>open 'x': No such file or directory\n");
	free(out);
}

static void
emit_plain(void)
{
	/* a stream that is not stderr: no prefixes */
	setenv("JOURNAL_STREAM", "1:1", 1);
	log_init("t", 1);
	log_error("bad");
	log_debug("shown %s", "too");
	unsetenv("JOURNAL_STREAM");
	log_init("t", 0);
}

static void
test_plain(void)
{
	char *out = capture_stderr("plain", emit_plain);
	char *second = strchr(out, '\n');

	ASSERT_NOT_NULL(second);
	/* 2026-11-25T10:39:54.123Z t ERROR: bad */
	ASSERT_INT_EQ(out[4], '-');
	ASSERT_INT_EQ(out[10], 'T');
	ASSERT_INT_EQ(out[23], 'Z');
	ASSERT_TRUE(strstr(out, " t ERROR: bad\n") != NULL);
	ASSERT_TRUE(strstr(second, " t DEBUG: shown too\n") != NULL);
	free(out);
}

static void
test_reopen(void)
{
	char path[512], moved[512], buf[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/daemon.log", test_tmpdir());
	snprintf(moved, sizeof(moved), "%s/daemon.log.1", test_tmpdir());
	ASSERT_INT_EQ(log_open_file(path), 0);
	log_info("before");
	ASSERT_INT_EQ(rename(path, moved), 0);
	ASSERT_INT_EQ(log_reopen(), 0);
	log_info("after");
	ASSERT_INT_EQ(log_open_file(NULL), 0);
	f = fopen(path, "r");
	ASSERT_NOT_NULL(f);
	ASSERT_NOT_NULL(fgets(buf, sizeof(buf), f));
	fclose(f);
	ASSERT_TRUE(strstr(buf, "INFO: after") != NULL);
	f = fopen(moved, "r");
	ASSERT_NOT_NULL(f);
	ASSERT_NOT_NULL(fgets(buf, sizeof(buf), f));
	fclose(f);
	ASSERT_TRUE(strstr(buf, "INFO: before") != NULL);
	ASSERT_INT_EQ(log_open_file("/nonexistent-dir/x.log"), -ENOENT);
}

int
main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"journal prefixes", test_journal},
		{"plain lines", test_plain},
		{"reopen after rotation", test_reopen},
	};

	return test_main(argc, argv, "log", cases, ARRAY_SIZE(cases));
}
