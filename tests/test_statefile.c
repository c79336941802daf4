/*
 * core/statefile and core/notify: the children file round trip, the
 * leftover search over a real session whose leader died, and the
 * readiness datagram on an abstract socket.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/notify.h"
#include "core/spawn.h"
#include "core/statefile.h"
#include "tests/lib/testlib.h"

static void
test_roundtrip(void)
{
	struct statefile_entry in[2] = {
		{.pid = 1234, .starttime = 99, .namespec = "a:b"},
		{.pid = 5678, .starttime = 1ULL << 40, .namespec = "c:d_01"},
	};
	struct statefile_entry *out = NULL;
	char path[4096];
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/children", test_tmpdir());
	ASSERT_INT_EQ(statefile_load(path, &out, &n), -ENOENT);
	ASSERT_INT_EQ(statefile_save(path, in, 2), 0);
	ASSERT_INT_EQ(statefile_load(path, &out, &n), 0);
	ASSERT_INT_EQ(n, 2);
	ASSERT_INT_EQ(out[1].pid, 5678);
	ASSERT_TRUE(out[1].starttime == 1ULL << 40);
	ASSERT_STR_EQ(out[0].namespec, "a:b");
	free(out);
	/* garbage lines are skipped */
	test_write_file(test_tmpdir(), "children", "x y z\n1 2\n42 7 ok:ok\n");
	ASSERT_INT_EQ(statefile_load(path, &out, &n), 0);
	ASSERT_INT_EQ(n, 1);
	ASSERT_INT_EQ(out[0].pid, 42);
	free(out);
}

static void
test_leftovers(void)
{
	char child[4096], gcfile[4096];
	const char *argv[] = {child, "--grandchild", gcfile, "--no-pdeathsig",
			      "--sleep", NULL};
	const char *envp[] = {"PATH=/usr/bin:/bin", NULL};
	struct spawn_req req = {.argv = argv, .envp = envp, .umask = -1,
				.stdout_fd = -1, .stderr_fd = -1};
	struct spawn_result res;
	struct statefile_entry e = {0}, other = {0};
	struct leftover *lo = NULL;
	size_t n = 0;
	uint64_t st;
	pid_t gc = 0;
	FILE *f;

	snprintf(child, sizeof(child), "%s/tests/helpers/child",
		 test_build_dir());
	snprintf(gcfile, sizeof(gcfile), "%s/gc.pid", test_tmpdir());
	ASSERT_INT_EQ(spawn_process(&req, &res), 0);
	ASSERT_TRUE(res.pid > 0);
	if (res.pid <= 0)
		return;
	for (int i = 0; i < 500 && gc <= 0; i++) {
		f = fopen(gcfile, "r");
		if (f != NULL) {
			if (fscanf(f, "%d", &gc) != 1)
				gc = 0;
			fclose(f);
		}
		if (gc <= 0)
			usleep(10000);
	}
	ASSERT_TRUE(gc > 0);
	ASSERT_INT_EQ(statefile_starttime(res.pid, &st), 0);
	e.pid = res.pid;
	e.starttime = st;
	/* the leader is found while alive, with its grandchild */
	ASSERT_INT_EQ(statefile_find_leftovers(&e, 1, &lo, &n), 2);
	free(lo);
	/* a recorded pid now owned by another process: not ours */
	other = e;
	other.starttime = st + 1;
	ASSERT_INT_EQ(statefile_find_leftovers(&other, 1, &lo, &n), 0);
	/* the leader dies: the grandchild is still a leftover */
	kill(res.pid, SIGKILL);
	waitpid(res.pid, NULL, 0);
	ASSERT_INT_EQ(statefile_starttime(res.pid, &st), -ESRCH);
	ASSERT_INT_EQ(statefile_find_leftovers(&e, 1, &lo, &n), 1);
	ASSERT_INT_EQ(n, 1);
	if (n == 1) {
		ASSERT_INT_EQ(lo[0].pid, gc);
		ASSERT_TRUE(statefile_leftover_alive(&lo[0]));
		kill(gc, SIGKILL);
		for (int i = 0; i < 500 && statefile_leftover_alive(&lo[0]);
		     i++)
			usleep(10000);
		ASSERT_FALSE(statefile_leftover_alive(&lo[0]));
	}
	free(lo);
}

static void
test_notify(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char name[64], buf[128];
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ssize_t n;

	snprintf(name, sizeof(name), "@supvisors-test-%d", (int)getpid());
	memcpy(sa.sun_path + 1, name + 1, strlen(name) - 1);
	ASSERT_INT_EQ(bind(fd, (struct sockaddr *)&sa,
			   (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
				       strlen(name))),
		      0);
	setenv("NOTIFY_SOCKET", name, 1);
	setenv("WATCHDOG_USEC", "30000000", 1);
	notify_init();
	ASSERT_TRUE(notify_enabled());
	ASSERT_NULL(getenv("NOTIFY_SOCKET"));
	ASSERT_INT_EQ(notify_watchdog_ms(), 30000);
	ASSERT_INT_EQ(notify_send("READY=1"), 0);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	ASSERT_INT_EQ(n, 7);
	buf[n > 0 ? n : 0] = '\0';
	ASSERT_STR_EQ(buf, "READY=1");
	ASSERT_INT_EQ(notify_sendf("STATUS=%d up", 3), 0);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	ASSERT_STR_EQ(buf, "STATUS=3 up");
	close(fd);
	/* without the variable: nothing, successfully */
	notify_init();
	ASSERT_FALSE(notify_enabled());
	ASSERT_INT_EQ(notify_send("READY=1"), 0);
}

int
main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"state file round trip", test_roundtrip},
		{"leftovers of a dead leader", test_leftovers},
		{"sd_notify datagrams", test_notify},
	};

	return test_main(argc, argv, "statefile", cases, ARRAY_SIZE(cases));
}
