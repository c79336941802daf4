/*
 * stats, live: the sampler over the real /proc and netlink with real
 * children (build/tests/helpers/stats_child).  These check correctness,
 * not timing: CPU (which the sampler reads from the processes' CPU
 * clocks) is compared with their stat ticks over the same interval, in
 * a generous band, never with "one core": this machine is shared and a
 * busy loop may get half of one.
 */
#define _GNU_SOURCE
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stats/procfs.h"
#include "stats/stats.h"
#include "tests/lib/testlib.h"

#define TCP_PORT 17501

struct child {
	pid_t pid;
	int in, out; /* its stdin (ours to write), its stdout */
};

static struct child
spawn4(const char *a1, const char *a2, const char *a3, const char *a4)
{
	struct child c = {-1, -1, -1};
	char path[4096];
	int pin[2], pout[2];

	snprintf(path, sizeof(path), "%s/tests/helpers/stats_child",
		 test_build_dir());
	if (pipe(pin) < 0 || pipe(pout) < 0)
		return c;
	c.pid = fork();
	if (c.pid == 0) {
		dup2(pin[0], 0);
		dup2(pout[1], 1);
		close(pin[1]);
		close(pout[0]);
		setpgid(0, 0);
		execl(path, "stats_child", a1, a2, a3, a4, (char *)NULL);
		_exit(127);
	}
	close(pin[0]);
	close(pout[1]);
	c.in = pin[1];
	c.out = pout[0];
	return c;
}

static struct child
spawn(const char *a1, const char *a2, const char *a3)
{
	return spawn4(a1, a2, a3, NULL);
}

static char
expect(struct child *c)
{
	char ch = 0;

	if (read(c->out, &ch, 1) != 1)
		ch = 0;
	return ch;
}

static void
reap(struct child *c)
{
	if (c->pid > 0) {
		kill(-c->pid, SIGKILL);
		kill(c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
	}
	close(c->in);
	close(c->out);
	c->pid = -1;
}

static struct stats_sampler *
open_live(bool irix)
{
	struct stats_config conf = {
		.enabled = STATS_HOST | STATS_PROCESS,
		.collecting_period_ms = 500,
		.nperiods = 1,
		.periods_ms = {500},
		.history = 10,
		.irix_mode = irix,
	};
	struct stats_sampler *s = NULL;

	ASSERT_INT_EQ(stats_sampler_open(&conf, "/proc", "/sys", 0, &s), 0);
	return s;
}

/* CPU of PID in ns from its stat ticks: another source than the CPU
 * clock the sampler reads. */
static int64_t
cpu_ticks_ns(pid_t pid)
{
	struct procfs_buf b = PROCFS_BUF_INIT;
	struct procfs_pid_stat st;
	char path[64];
	int64_t ns = -1;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (procfs_read_at(AT_FDCWD, path, &b) == 0 &&
	    procfs_parse_pid_stat(b.p, b.len, &st) == 0)
		ns = (int64_t)(st.utime + st.stime) * NSEC_PER_SEC /
		     sysconf(_SC_CLK_TCK);
	procfs_buf_done(&b);
	return ns;
}

static void
pause_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	/* measuring needs time to pass; nothing here waits for an event */
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void
test_busy_descendant(void)
{
	struct child c = spawn("tree", NULL, NULL);
	struct stats_sampler *s = open_live(true);
	struct stats_proc_summary ps;
	struct stats_target t = {"load:tree", c.pid};
	pid_t grandchild;
	int64_t t0, t1, c0, c1;
	char buf[64] = "";
	FILE *f;
	double ref;

	ASSERT_INT_EQ(expect(&c), 'R');
	/* the spinner is the helper's child: only the tree walk finds it */
	snprintf(buf, sizeof(buf), "/proc/%d/task/%d/children", c.pid, c.pid);
	f = fopen(buf, "r");
	ASSERT_NOT_NULL(f);
	ASSERT_INT_EQ(fscanf(f, "%d", &grandchild), 1);
	fclose(f);
	t0 = util_now_ns();
	c0 = cpu_ticks_ns(grandchild) + cpu_ticks_ns(c.pid);
	ASSERT_INT_EQ(stats_sampler_sample(s, t0, &t, 1), 1);
	pause_ms(3000);
	t1 = util_now_ns();
	c1 = cpu_ticks_ns(grandchild) + cpu_ticks_ns(c.pid);
	ASSERT_INT_EQ(stats_sampler_sample(s, t1, &t, 1), 1);
	ASSERT_INT_EQ(
		stats_sampler_process(s, "load:tree", STATS_LAST_SAMPLE, &ps),
		0);
	ref = 100.0 * (double)(c1 - c0) / (double)(t1 - t0);
	printf("\n  busy grandchild: ours %.2f %%, stat ticks %.2f %%\n",
	       ps.cpu_percent, ref);
	ASSERT_TRUE(ps.valid);
	ASSERT_INT_EQ(ps.processes, 2);
	/* near one core if the machine lets it; always near the ticks
	 * (10 ms each: 3 s give +-0.7 point at worst, and the reads are not
	 * at the same instants) */
	ASSERT_TRUE(ps.cpu_percent > 5 && ps.cpu_percent < 110);
	ASSERT_TRUE(fabs(ps.cpu_percent - ref) < 5);

	/* the supervised process vanishes: normal, not an error */
	reap(&c);
	ASSERT_INT_EQ(stats_sampler_sample(s, t1 + NSEC_PER_SEC, &t, 1), 1);
	ASSERT_INT_EQ(
		stats_sampler_process(s, "load:tree", STATS_LAST_SAMPLE, &ps),
		0);
	ASSERT_FALSE(ps.valid);
	ASSERT_INT_EQ(ps.processes, 0);
	stats_sampler_free(s);
}

static void
test_rss(void)
{
	struct child c = spawn("alloc", "200", NULL);
	struct stats_sampler *s = open_live(true);
	struct stats_proc_summary ps;
	struct stats_target t = {"load:alloc", c.pid};

	ASSERT_INT_EQ(expect(&c), 'R');
	ASSERT_INT_EQ(stats_sampler_sample(s, util_now_ns(), &t, 1), 1);
	ASSERT_INT_EQ(
		stats_sampler_process(s, "load:alloc", STATS_LAST_SAMPLE, &ps),
		0);
	printf("\n  alloc 200 MiB: rss %llu bytes, %.2f %% of memory\n",
	       (unsigned long long)ps.rss_bytes, ps.mem_percent);
	ASSERT_TRUE(ps.rss_bytes >= 200ull << 20);
	ASSERT_TRUE(ps.rss_bytes < 260ull << 20);
	ASSERT_TRUE(ps.mem_percent > 0);
	ASSERT_INT_EQ(ps.threads, 1);
	reap(&c);
	stats_sampler_free(s);
}

/* TCP bytes of a process talking to itself on loopback; with CLOSE its
 * sockets are closed before the second sample, so the bytes can only
 * come from the sock_diag destroy events. */
static void
tcp_case(int port, const char *close)
{
	const long bytes = 3 << 20;
	char sport[16], nbytes[32];
	struct child c;
	struct stats_sampler *s = open_live(true);
	struct stats_target t;
	int64_t now, prev, deadline;
	double rx = 0, tx = 0;
	int i;

	snprintf(sport, sizeof(sport), "%d", port);
	snprintf(nbytes, sizeof(nbytes), "%ld", bytes);
	c = spawn4("tcp", sport, nbytes, close);
	t = (struct stats_target){"net:talker", c.pid};
	if (expect(&c) != 'R') {
		reap(&c);
		stats_sampler_free(s);
		CU_FAIL("tcp helper could not connect on its port");
		return;
	}
	prev = util_now_ns();
	ASSERT_INT_EQ(stats_sampler_sample(s, prev, &t, 1), 1);
	ASSERT_INT_EQ(write(c.in, "G", 1), 1);
	ASSERT_INT_EQ(expect(&c), 'D');
	/* destroy events come from a kernel work queue: a few samples */
	deadline = prev + 5 * NSEC_PER_SEC;
	for (i = 0; rx < bytes && util_now_ns() < deadline; i++) {
		char *out;
		cJSON *j;
		const cJSON *p;
		double dt;

		if (i > 0)
			pause_ms(100);
		now = MAX(util_now_ns(), prev + NSEC_PER_SEC / 2);
		ASSERT_INT_EQ(stats_sampler_sample(s, now, &t, 1), 1);
		dt = (double)(now - prev) / NSEC_PER_SEC;
		prev = now;
		out = stats_json_render(s, "n1", STATS_PROCESS,
					STATS_LAST_SAMPLE, NULL);
		j = cJSON_Parse(out);
		p = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "processes"), 0);
		ASSERT_NOT_NULL(p);
		rx += cJSON_GetObjectItem(p, "tcp_rx_bytes_per_s")
			      ->valuedouble *
		      dt;
		tx += cJSON_GetObjectItem(p, "tcp_tx_bytes_per_s")
			      ->valuedouble *
		      dt;
		cJSON_Delete(j);
		free(out);
	}
	printf("\n  tcp%s: %ld bytes each way; measured rx %.0f tx %.0f\n",
	       close ? " then close" : "", bytes, rx, tx);
	/* both ends are the same process: it received and sent BYTES */
	ASSERT_TRUE(fabs(rx - bytes) < bytes * 0.01 + 16);
	ASSERT_TRUE(fabs(tx - bytes) < bytes * 0.01 + 16);
	reap(&c);
	stats_sampler_free(s);
}

static void
test_tcp(void)
{
	tcp_case(TCP_PORT, NULL);
}

static void
test_tcp_closed(void)
{
	tcp_case(TCP_PORT + 1, "close");
}

static void
test_node_live(void)
{
	struct stats_sampler *s = open_live(false);
	struct stats_node_summary n;
	char *out;
	cJSON *j, *inst;
	int64_t t0 = util_now_ns();

	ASSERT_INT_EQ(stats_sampler_sample(s, t0, NULL, 0), 1);
	pause_ms(600);
	ASSERT_INT_EQ(stats_sampler_sample(s, util_now_ns(), NULL, 0), 1);
	ASSERT_INT_EQ(stats_sampler_node(s, 0, &n), 0);
	ASSERT_TRUE(n.valid);
	ASSERT_TRUE(n.cpu_percent >= 0 && n.cpu_percent <= 100);
	ASSERT_TRUE(n.mem_percent > 0 && n.mem_percent < 100);
	ASSERT_TRUE(n.cpu_capacity >= 1);
	out = stats_json_render(s, "n1", STATS_HOST, 0, NULL);
	j = cJSON_Parse(out);
	inst = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "instances"), 0);
	ASSERT_NOT_NULL(inst);
	/* lo is always up */
	ASSERT_TRUE(cJSON_GetArraySize(cJSON_GetObjectItem(inst, "net")) >= 1);
	ASSERT_INT_EQ(
		cJSON_GetArraySize(cJSON_GetObjectItem(inst, "cpu_per_core")),
		sysconf(_SC_NPROCESSORS_ONLN));
	cJSON_Delete(j);
	free(out);
	stats_sampler_free(s);
}

/* lo of the current network namespace up or down; 0 or -errno. */
static int
set_lo(bool up)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		r = -errno;
	} else {
		ifr.ifr_flags = (short)(up ? ifr.ifr_flags | IFF_UP
					 : ifr.ifr_flags & ~IFF_UP);
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
			r = -errno;
	}
	close(fd);
	return r;
}

/* The "net" entry of interface NAME in the latest sample: its received
 * bytes/s, -1 when the interface is not listed. */
static double
lo_rx(struct stats_sampler *s)
{
	char *out = stats_json_render(s, "n1", STATS_HOST, STATS_LAST_SAMPLE,
				      NULL);
	cJSON *j = cJSON_Parse(out), *inst, *e;
	double v = -1;

	inst = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "instances"), 0);
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(inst, "net"))
	{
		const cJSON *rx = cJSON_GetObjectItem(e, "rx_bytes_per_s");

		if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(
				   e, "interface")),
			   "lo") == 0)
			v = cJSON_IsNumber(rx) ? rx->valuedouble : 0;
	}
	cJSON_Delete(j);
	free(out);
	return v;
}

/* In a network namespace of its own (lo down at first): an interface
 * is listed once up and no longer once down, the sampler learning it
 * from the link notifications, and its counters move with traffic.
 * Exits 0, 77 without the namespace, else the failed step. */
static int
links_in_netns(void)
{
	struct stats_config conf = {
		.enabled = STATS_HOST,
		.collecting_period_ms = 1000,
		.nperiods = 1,
		.periods_ms = {1000},
		.history = 10,
		.irix_mode = true,
	};
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	struct stats_sampler *s = NULL;
	int64_t now = util_now_ns();
	char data[1000] = {0};
	int rx, tx, i;

	if (unshare(CLONE_NEWNET) < 0)
		return 77;
	if (stats_sampler_open(&conf, "/proc", "/sys", 0, &s) < 0)
		return 1;
	if (stats_sampler_sample(s, now, NULL, 0) != 1 || lo_rx(s) != -1)
		return 2;
	if (set_lo(true) < 0)
		return 3;
	if (stats_sampler_sample(s, now += NSEC_PER_SEC, NULL, 0) != 1 ||
	    lo_rx(s) != 0)
		return 4;
	rx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	tx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (rx < 0 || tx < 0 || bind(rx, (struct sockaddr *)&a, alen) < 0 ||
	    getsockname(rx, (struct sockaddr *)&a, &alen) < 0)
		return 5;
	for (i = 0; i < 50; i++)
		if (sendto(tx, data, sizeof(data), 0, (struct sockaddr *)&a,
			   alen) != (ssize_t)sizeof(data))
			return 6;
	if (stats_sampler_sample(s, now += NSEC_PER_SEC, NULL, 0) != 1 ||
	    lo_rx(s) < 50 * sizeof(data))
		return 7;
	if (set_lo(false) < 0)
		return 8;
	if (stats_sampler_sample(s, now += NSEC_PER_SEC, NULL, 0) != 1 ||
	    lo_rx(s) != -1)
		return 9;
	stats_sampler_free(s);
	return 0;
}

static void
test_links_netns(void)
{
	pid_t pid;
	int st;

	if (geteuid() != 0) {
		printf("\n  (skipped: needs root for a network namespace)\n");
		return;
	}
	fflush(NULL);
	pid = fork();
	ASSERT_TRUE(pid >= 0);
	if (pid == 0)
		_exit(links_in_netns());
	ASSERT_INT_EQ(waitpid(pid, &st, 0), pid);
	ASSERT_TRUE(WIFEXITED(st));
	if (WEXITSTATUS(st) == 77) {
		printf("\n  (skipped: no network namespace)\n");
		return;
	}
	ASSERT_INT_EQ(WEXITSTATUS(st), 0);
}

static int
count_fds(void)
{
	struct dirent *e;
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (d != NULL && (e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	if (d != NULL)
		closedir(d);
	return n;
}

/* Processes that come, run a tree, die and leave: every held /proc fd
 * is closed again, whatever the order. */
static void
test_no_fd_leak(void)
{
	struct stats_sampler *s = open_live(true);
	struct stats_target t[8];
	struct child c[8];
	char names[8][32];
	int64_t now = util_now_ns();
	int base, i, round;

	/* the node files stay open: count after they are */
	ASSERT_INT_EQ(stats_sampler_sample(s, now, NULL, 0), 1);
	base = count_fds();
	for (round = 0; round < 3; round++) {
		for (i = 0; i < 8; i++) {
			c[i] = spawn(i % 2 ? "tree" : "idle", NULL, NULL);
			snprintf(names[i], sizeof(names[i]), "leak:p%d", i);
			t[i] = (struct stats_target){names[i], c[i].pid};
		}
		for (i = 0; i < 8; i += 2)
			ASSERT_INT_EQ(expect(&c[i + 1]), 'R');
		ASSERT_INT_EQ(stats_sampler_sample(s, now += NSEC_PER_SEC, t, 8),
			      1);
		for (i = 0; i < 4; i++)
			reap(&c[i]);
		/* half are gone, still listed; then all are dropped */
		ASSERT_INT_EQ(stats_sampler_sample(s, now += NSEC_PER_SEC, t, 8),
			      1);
		for (; i < 8; i++)
			reap(&c[i]);
		ASSERT_INT_EQ(stats_sampler_sample(s, now += NSEC_PER_SEC, t, 0),
			      1);
		ASSERT_INT_EQ(count_fds(), base);
	}
	stats_sampler_free(s);
}

static const struct test_case cases[] = {
	{"no fd leak", test_no_fd_leak},
	{"node sample", test_node_live},
	{"interfaces up, down, counting", test_links_netns},
	{"busy descendant", test_busy_descendant},
	{"rss of 200 MiB", test_rss},
	{"tcp bytes on loopback", test_tcp},
	{"tcp bytes of sockets closed between samples", test_tcp_closed},
};

int
main(int argc, char **argv)
{
	return test_main(argc, argv, "stats_live", cases, ARRAY_SIZE(cases));
}
