/*
 * stats, identity: the sampler against a reused pid (of a supervised
 * process, and of a descendant reaped while its parent slept) and under
 * hidepid.
 *
 * All need root and run in a forked child that is pid 1 of a fresh pid
 * namespace with its own mount namespace and its own /proc, so forcing
 * a pid (ns_last_pid) or mounting /proc with hidepid touches nothing on
 * the machine; pid 1 dying takes every process of the namespace with
 * it.  The child cannot report through CUnit: it checks with CHECK,
 * prints what failed and exits with a status the test asserts.  Without
 * root, or where namespaces are refused (a container), the cases say so
 * and pass without checking anything.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stats/stats.h"
#include "tests/lib/testlib.h"

#define SKIP 77
#define NOBODY 65534

#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x)) {                                                    \
			fprintf(stderr, "\n  %s:%d: check failed: %s\n",       \
				__FILE__, __LINE__, #x);                       \
			return 1;                                              \
		}                                                              \
	} while (0)

_Noreturn static void
spin_forever(void)
{
	for (;;)
		;
}

/* Runs FN as pid 1 of a new pid namespace, with a private mount
 * namespace and a fresh /proc mounted with PROC_OPTS; its exit status,
 * or SKIP when the namespaces cannot be made. */
static int
run_isolated(int (*fn)(void), const char *proc_opts)
{
	pid_t outer, init;
	int st;

	if (geteuid() != 0)
		return SKIP;
	fflush(NULL);
	outer = fork();
	if (outer < 0)
		return -errno;
	if (outer == 0) {
		if (unshare(CLONE_NEWPID | CLONE_NEWNS) < 0)
			_exit(SKIP);
		init = fork();
		if (init == 0) {
			if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) <
				    0 ||
			    mount("proc", "/proc", "proc",
				  MS_NOSUID | MS_NODEV | MS_NOEXEC,
				  proc_opts) < 0) {
				perror("  mount");
				_exit(SKIP);
			}
			st = fn();
			fflush(NULL);
			_exit(st);
		}
		if (init < 0 || waitpid(init, &st, 0) != init)
			_exit(2);
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 3);
	}
	if (waitpid(outer, &st, 0) != outer)
		return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void
expect_isolated(int (*fn)(void), const char *proc_opts)
{
	int r = run_isolated(fn, proc_opts);

	if (r == SKIP) {
		printf("\n  (skipped: needs root and pid/mount namespaces)\n");
		return;
	}
	ASSERT_INT_EQ(r, 0);
}

static struct stats_sampler *
open_sampler(void)
{
	struct stats_config conf = {
		.enabled = STATS_HOST | STATS_PROCESS,
		.collecting_period_ms = 1000,
		.nperiods = 1,
		.periods_ms = {1000},
		.history = 10,
		.irix_mode = true,
	};
	struct stats_sampler *s = NULL;

	if (stats_sampler_open(&conf, "/proc", "/sys", 0, &s) < 0)
		return NULL;
	return s;
}

static void
kill_reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* A busy child holding 32 MiB: its CPU and RSS would show if they were
 * credited to the wrong namespec. */
static char *volatile hog_mem; /* escapes: the memset stays */

/* Polls /proc/PID/statm until the resident size reaches BYTES (5 s). */
static int
wait_rss(pid_t pid, unsigned long long bytes)
{
	char path[64];
	unsigned long long size, res;

	snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
	for (int i = 0; i < 500; i++) {
		FILE *f = fopen(path, "re");
		int n = f ? fscanf(f, "%llu %llu", &size, &res) : 0;

		if (f != NULL)
			fclose(f);
		if (n == 2 && res * (unsigned long long)sysconf(_SC_PAGESIZE) >=
				      bytes)
			return 0;
		usleep(10000);
	}
	return -ETIMEDOUT;
}

static pid_t
spawn_hog(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		hog_mem = malloc(32 << 20);
		if (hog_mem != NULL)
			memset(hog_mem, 1, 32 << 20);
		spin_forever();
	}
	return pid;
}

/* Makes the next fork of this pid namespace return PID. */
static int
set_next_pid(pid_t pid)
{
	char buf[32];
	int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
	int len = snprintf(buf, sizeof(buf), "%d", (int)pid - 1);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, buf, (size_t)len) != len)
		r = -errno;
	close(fd);
	return r;
}

/* Once per phase of the sampler's stat/I/O turns (every fifth cycle
 * reads stat, the others only the children file and the CPU clock):
 * "reuse:a" runs, dies and is reaped; a hog gets its pid; the sampler,
 * still given that pid for "reuse:a", must find "reuse:a" gone and
 * credit it nothing, while "reuse:b" given the same pid reads the hog
 * (so the hog is visible and the check could fail). */
static int
reuse_in_ns(void)
{
	int phase, i;

	for (phase = 0; phase < 5; phase++) {
		struct stats_sampler *s = open_sampler();
		struct stats_proc_summary ps;
		struct stats_target t[2];
		int64_t now = util_now_ns();
		pid_t a, b;

		CHECK(s != NULL);
		a = spawn_hog();
		CHECK(a > 0);
		t[0] = (struct stats_target){"reuse:a", a};
		for (i = 0; i < phase + 2; i++)
			CHECK(stats_sampler_sample(s, now += NSEC_PER_SEC, t,
						   1) == 1);
		CHECK(stats_sampler_process(s, "reuse:a", STATS_LAST_SAMPLE,
					    &ps) == 0);
		CHECK(ps.valid && ps.pid == a && ps.processes == 1);
		kill_reap(a);
		/* a freed pid number becomes free again only after an RCU
		 * grace period: retry for a while */
		for (i = 0, b = -1; i < 200 && b != a; i++) {
			if (b > 0) {
				kill_reap(b);
				usleep(5000);
			}
			CHECK(set_next_pid(a) == 0);
			b = spawn_hog();
			CHECK(b > 0);
		}
		CHECK(b == a);
		/* let the hog use CPU and touch its memory (a loaded
		 * machine takes its time: wait until it shows) */
		CHECK(wait_rss(b, 32u << 20) == 0);
		t[1] = (struct stats_target){"reuse:b", b};
		/* RSS is read every fifth cycle, processes taking turns:
		 * six cycles see it at least once after the hog's memset */
		for (i = 0; i < 6; i++) {
			CHECK(stats_sampler_sample(s, now += NSEC_PER_SEC, t,
						   2) == 1);
			CHECK(stats_sampler_process(s, "reuse:a",
						    STATS_LAST_SAMPLE,
						    &ps) == 0);
			if (ps.valid || ps.processes != 0 || ps.rss_bytes != 0)
				fprintf(stderr,
					"\n  phase %d cycle %d: reuse:a valid "
					"%d processes %u rss %llu cpu %.1f\n",
					phase, i, ps.valid, ps.processes,
					(unsigned long long)ps.rss_bytes,
					ps.cpu_percent);
			CHECK(!ps.valid);
			CHECK(ps.processes == 0);
			CHECK(ps.rss_bytes == 0 && ps.cpu_percent == 0);
			CHECK(stats_sampler_process(s, "reuse:b",
						    STATS_LAST_SAMPLE,
						    &ps) == 0);
			if (!ps.valid || (i == 5 && ps.rss_bytes < 30u << 20))
				fprintf(stderr,
					"\n  phase %d cycle %d: reuse:b valid "
					"%d rss %llu\n",
					phase, i, ps.valid,
					(unsigned long long)ps.rss_bytes);
			CHECK(ps.valid && ps.processes == 1);
			CHECK(i < 5 || ps.rss_bytes >= 30u << 20);
		}
		kill_reap(b);
		stats_sampler_free(s);
	}
	return 0;
}

static void
test_pid_reuse(void)
{
	expect_isolated(reuse_in_ns, NULL);
}

/* A descendant reaped by the kernel (its parent ignores SIGCHLD) while
 * the parent sleeps: the parent runs no instruction, so its CPU clock
 * stands still and the sampler keeps its last children list; a hog then
 * takes the descendant's pid.  The sampler must find the descendant
 * gone, not count the hog in its place, then or later. */
static int
reaped_child_once(int phase)
{
	struct stats_sampler *s = open_sampler();
	struct stats_proc_summary ps;
	struct stats_target t[1];
	int64_t now = util_now_ns();
	int hold[2], tell[2], i;
	pid_t parent, child, hog = -1;

	CHECK(s != NULL);
	CHECK(pipe(hold) == 0 && pipe(tell) == 0);
	parent = fork();
	CHECK(parent >= 0);
	if (parent == 0) {
		signal(SIGCHLD, SIG_IGN);
		child = fork();
		if (child == 0) {
			char c;

			close(hold[1]);
			/* until the test closes its end */
			while (read(hold[0], &c, 1) < 0 && errno == EINTR)
				;
			_exit(0);
		}
		close(hold[0]);
		close(hold[1]);
		if (write(tell[1], &child, sizeof(child)) != sizeof(child))
			_exit(1);
		close(tell[1]);
		for (;;)
			pause();
	}
	close(hold[0]);
	close(tell[1]);
	CHECK(read(tell[0], &child, sizeof(child)) == sizeof(child));
	t[0] = (struct stats_target){"tree:parent", parent};
	/* the parent's children file may lag its fork: poll */
	for (i = 0; i < 50; i++) {
		CHECK(stats_sampler_sample(s, now += NSEC_PER_SEC, t, 1) == 1);
		CHECK(stats_sampler_process(s, "tree:parent", STATS_LAST_SAMPLE,
					    &ps) == 0);
		if (ps.valid && ps.processes == 2)
			break;
		usleep(20000);
	}
	CHECK(ps.valid && ps.processes == 2);
	/* one phase of the stat turns each time */
	for (i = 0; i < phase; i++)
		CHECK(stats_sampler_sample(s, now += NSEC_PER_SEC, t, 1) == 1);
	/* the child exits and is reaped without waking the parent */
	close(hold[1]);
	for (i = 0; i < 500 && kill(child, 0) == 0; i++)
		usleep(10000);
	CHECK(kill(child, 0) < 0 && errno == ESRCH);
	for (i = 0; i < 200 && hog != child; i++) {
		if (hog > 0) {
			kill_reap(hog);
			usleep(5000);
		}
		CHECK(set_next_pid(child) == 0);
		hog = spawn_hog();
		CHECK(hog > 0);
	}
	CHECK(hog == child);
	/* the hog shows: its CPU and memory would count if adopted */
	CHECK(wait_rss(hog, 32u << 20) == 0);
	for (i = 0; i < 6; i++) {
		CHECK(stats_sampler_sample(s, now += NSEC_PER_SEC, t, 1) == 1);
		CHECK(stats_sampler_process(s, "tree:parent", STATS_LAST_SAMPLE,
					    &ps) == 0);
		if (ps.processes != 1 || ps.cpu_percent > 5 ||
		    ps.rss_bytes >= 32u << 20)
			fprintf(stderr,
				"\n  phase %d cycle %d: processes %u cpu %.1f "
				"rss %llu\n",
				phase, i, ps.processes, ps.cpu_percent,
				(unsigned long long)ps.rss_bytes);
		CHECK(ps.valid && ps.processes == 1);
		CHECK(ps.cpu_percent <= 5);
		CHECK(ps.rss_bytes < 32u << 20);
	}
	kill_reap(hog);
	kill_reap(parent);
	stats_sampler_free(s);
	return 0;
}

static int
reaped_child_in_ns(void)
{
	int phase, r;

	for (phase = 0; phase < 5; phase++)
		if ((r = reaped_child_once(phase)) != 0)
			return r;
	return 0;
}

static void
test_reaped_child(void)
{
	expect_isolated(reaped_child_in_ns, NULL);
}

static void
drop_to_nobody(void)
{
	if (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
	    setresuid(NOBODY, NOBODY, NOBODY) < 0)
		_exit(4);
}

/* With /proc mounted hidepid=invisible, a sampler running as nobody
 * sees its own uid's tree (dumpable, as after an exec) and not root's
 * processes; those are reported as not running, never an error. */
static int
hidepid_in_ns(void)
{
	struct stats_target t[3];
	struct stats_proc_summary ps;
	struct stats_node_summary ns;
	struct stats_sampler *s;
	pid_t own, root, sampler;
	int64_t now;
	char path[64];
	char *out;
	int st, i;

	own = fork();
	if (own == 0) {
		drop_to_nobody();
		/* a uid change leaves the process non-dumpable, which
		 * hidepid would hide from its own uid too; exec would set
		 * it back */
		prctl(PR_SET_DUMPABLE, 1);
		if (fork() == 0)
			spin_forever();
		pause();
		_exit(0);
	}
	root = fork();
	if (root == 0)
		spin_forever();
	CHECK(own > 0 && root > 0);
	sampler = fork();
	if (sampler == 0) {
		drop_to_nobody();
		/* the setup really hides root's process from nobody */
		snprintf(path, sizeof(path), "/proc/%d", (int)root);
		CHECK(access(path, F_OK) < 0 && errno == ENOENT);
		s = open_sampler();
		CHECK(s != NULL);
		t[0] = (struct stats_target){"hide:own", own};
		t[1] = (struct stats_target){"hide:root", root};
		t[2] = (struct stats_target){"hide:gone", 99999};
		now = util_now_ns();
		/* the own tree's children file may lag its fork: poll */
		for (i = 0; i < 50; i++) {
			CHECK(stats_sampler_sample(s, now += NSEC_PER_SEC, t,
						   3) == 1);
			CHECK(stats_sampler_process(s, "hide:own",
						    STATS_LAST_SAMPLE,
						    &ps) == 0);
			if (ps.valid && ps.processes == 2)
				break;
			usleep(20000);
		}
		CHECK(ps.valid && ps.processes == 2 && ps.rss_bytes > 0);
		CHECK(ps.threads == 2);
		CHECK(stats_sampler_process(s, "hide:root", STATS_LAST_SAMPLE,
					    &ps) == 0);
		CHECK(!ps.valid && ps.processes == 0);
		CHECK(stats_sampler_process(s, "hide:gone", STATS_LAST_SAMPLE,
					    &ps) == 0);
		CHECK(!ps.valid && ps.processes == 0);
		CHECK(stats_sampler_node(s, STATS_LAST_SAMPLE, &ns) == 0);
		CHECK(ns.valid && ns.mem_percent > 0);
		out = stats_json_render(s, "n1", STATS_HOST | STATS_PROCESS,
					STATS_LAST_SAMPLE, NULL);
		CHECK(out != NULL && strstr(out, "\"hide:own\"") != NULL);
		free(out);
		stats_sampler_free(s);
		fflush(NULL);
		_exit(0);
	}
	CHECK(sampler > 0);
	CHECK(waitpid(sampler, &st, 0) == sampler);
	kill(own, SIGKILL);
	kill_reap(root);
	waitpid(own, NULL, 0);
	CHECK(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void
test_hidepid(void)
{
	expect_isolated(hidepid_in_ns, "hidepid=invisible");
}

static const struct test_case cases[] = {
	{"pid reused by another process", test_pid_reuse},
	{"descendant reaped unseen, pid reused", test_reaped_child},
	{"hidepid=invisible as nobody", test_hidepid},
};

int
main(int argc, char **argv)
{
	return test_main(argc, argv, "stats_pid", cases, ARRAY_SIZE(cases));
}
