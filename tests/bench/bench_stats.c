/*
 * bench_stats: the C driver of tests/bench/bench_stats.sh.
 *
 *   bench_stats cost N CYCLES PIDFILE
 *       spawn N `sleep` children, write their pids to PIDFILE, sample
 *       them CYCLES times with the process sampler (after one warm-up
 *       cycle) and print "ours_us_per_proc MEDIAN" (CPU time of a cycle
 *       divided by N) and "stat_pread_us" (a bare pread of each
 *       process's stat, the kernel's floor); then wait on stdin for a line (the
 * script runs psutil and pidstat over the same pids meanwhile) and kill them.
 *   bench_stats daemon N SECONDS
 *       the same children, sampled for real every second with host and
 *       process statistics on, as the daemon does; prints
 *       "daemon_core_percent P" (process CPU time / wall time).
 *   bench_stats accuracy SECONDS BUSY_PID IDLE_PID
 *       sample the two pids every second for SECONDS seconds (IRIX mode,
 *       as pidstat) and print "ours_mean BUSY IDLE".
 *
 * The children are killed by PR_SET_PDEATHSIG if the driver dies.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"
#include "stats/stats.h"

static int64_t
cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static struct stats_target *
spawn_sleeps(size_t n)
{
	struct stats_target *t = xcalloc(n, sizeof(*t));
	size_t i;

	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			exit(1);
		}
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			execlp("sleep", "sleep", "3600", (char *)NULL);
			_exit(127);
		}
		t[i].pid = pid;
		t[i].namespec = xasprintf("bench:sleep_%zu", i);
	}
	return t;
}

static void
kill_all(struct stats_target *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		kill(t[i].pid, SIGKILL);
	for (i = 0; i < n; i++) {
		waitpid(t[i].pid, NULL, 0);
		free((char *)t[i].namespec);
	}
	free(t);
}

static struct stats_sampler *
open_sampler(unsigned enabled)
{
	struct stats_config c = {
		.enabled = enabled,
		.collecting_period_ms = 1000,
		.nperiods = 1,
		.periods_ms = {10000},
		.history = 200,
		.irix_mode = true,
	};
	struct stats_sampler *s;
	int r;

	if ((r = stats_sampler_open(&c, "/proc", "/sys", 0, &s)) < 0) {
		fprintf(stderr, "stats_sampler_open: %s\n", strerror(-r));
		exit(1);
	}
	return s;
}

static void
sleep_until(int64_t t)
{
	struct timespec ts = {t / NSEC_PER_SEC, t % NSEC_PER_SEC};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

/* The kernel's share: a bare pread of each held /proc/PID/stat, what
 * every per-process sampler pays at least once per process it reads. */
static double
stat_floor(const struct stats_target *t, size_t n, size_t cycles)
{
	int64_t *cpu = xcalloc(cycles, sizeof(*cpu)), c0, med;
	int *fds = xcalloc(n, sizeof(*fds));
	char path[64], buf[1024];
	size_t i, k;

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)t[i].pid);
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
	}
	for (k = 0; k < cycles; k++) {
		c0 = cpu_ns();
		for (i = 0; i < n; i++)
			if (pread(fds[i], buf, sizeof(buf), 0) < 0)
				break;
		cpu[k] = cpu_ns() - c0;
	}
	qsort(cpu, cycles, sizeof(*cpu), cmp_i64);
	med = cpu[cycles / 2];
	for (i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
	free(cpu);
	return (double)med / 1000.0 / (double)n;
}

static int
cost(size_t n, size_t cycles, const char *pidfile)
{
	struct stats_target *t = spawn_sleeps(n);
	struct stats_sampler *s = open_sampler(STATS_PROCESS);
	int64_t *cpu = xcalloc(cycles, sizeof(*cpu)), now = 0, c0;
	struct stats_proc_summary ps;
	char line[16];
	size_t i;
	FILE *f;

	/* children must have exec'd sleep before anyone reads them */
	for (i = 0; i < n; i++) {
		char path[64], comm[32] = "";
		FILE *cf;

		snprintf(path, sizeof(path), "/proc/%d/comm", (int)t[i].pid);
		for (;;) {
			if ((cf = fopen(path, "r")) != NULL) {
				if (fgets(comm, sizeof(comm), cf) == NULL)
					comm[0] = '\0';
				fclose(cf);
			}
			if (strncmp(comm, "sleep", 5) == 0)
				break;
			sched_yield();
		}
	}
	f = fopen(pidfile, "w");
	for (i = 0; i < n; i++)
		fprintf(f, "%d%c", (int)t[i].pid, i + 1 < n ? ',' : '\n');
	fclose(f);
	stats_sampler_sample(s, now += NSEC_PER_SEC, t, n);
	for (i = 0; i < cycles; i++) {
		c0 = cpu_ns();
		stats_sampler_sample(s, now += NSEC_PER_SEC, t, n);
		cpu[i] = cpu_ns() - c0;
	}
	qsort(cpu, cycles, sizeof(*cpu), cmp_i64);
	if (stats_sampler_process(s, t[0].namespec, STATS_LAST_SAMPLE, &ps) <
		    0 ||
	    !ps.valid) {
		fprintf(stderr, "bench_stats: first process not sampled\n");
		return 1;
	}
	printf("ours_us_per_proc %.3f\n",
	       (double)cpu[cycles / 2] / 1000.0 / (double)n);
	printf("stat_pread_us %.3f\n", stat_floor(t, n, cycles));
	fflush(stdout);
	if (fgets(line, sizeof(line), stdin) == NULL) {
		/* the script is gone: clean up anyway */
	}
	stats_sampler_free(s);
	kill_all(t, n);
	free(cpu);
	return 0;
}

static int
daemon_cpu(size_t n, int seconds)
{
	struct stats_target *t = spawn_sleeps(n);
	struct stats_sampler *s = open_sampler(STATS_HOST | STATS_PROCESS);
	int64_t start, c0, next;
	int i;

	stats_sampler_sample(s, util_now_ns(), t, n);
	start = util_now_ns();
	c0 = cpu_ns();
	next = start;
	for (i = 0; i < seconds; i++) {
		next += NSEC_PER_SEC;
		sleep_until(next);
		stats_sampler_sample(s, util_now_ns(), t, n);
	}
	printf("daemon_core_percent %.3f\n",
	       100.0 * (double)(cpu_ns() - c0) /
		       (double)(util_now_ns() - start));
	stats_sampler_free(s);
	kill_all(t, n);
	return 0;
}

static int
accuracy(int seconds, pid_t busy, pid_t idle)
{
	struct stats_target t[] = {{"acc:busy", busy}, {"acc:idle", idle}};
	struct stats_sampler *s = open_sampler(STATS_PROCESS);
	struct stats_proc_summary ps;
	double sum[2] = {0, 0};
	int64_t next = util_now_ns();
	int i, k;

	stats_sampler_sample(s, next, t, 2);
	for (i = 0; i < seconds; i++) {
		next += NSEC_PER_SEC;
		sleep_until(next);
		stats_sampler_sample(s, util_now_ns(), t, 2);
		for (k = 0; k < 2; k++)
			if (stats_sampler_process(s, t[k].namespec,
						  STATS_LAST_SAMPLE,
						  &ps) == 0 &&
			    ps.valid)
				sum[k] += ps.cpu_percent;
	}
	printf("ours_mean %.3f %.3f\n", sum[0] / seconds, sum[1] / seconds);
	stats_sampler_free(s);
	return 0;
}

int
main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 5 && strcmp(argv[1], "cost") == 0)
		return cost((size_t)atol(argv[2]), (size_t)atol(argv[3]),
			    argv[4]);
	if (argc == 4 && strcmp(argv[1], "daemon") == 0)
		return daemon_cpu((size_t)atol(argv[2]), atoi(argv[3]));
	if (argc == 5 && strcmp(argv[1], "accuracy") == 0)
		return accuracy(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
	fprintf(stderr, "usage: bench_stats cost N CYCLES PIDFILE | daemon N "
			"SECONDS | accuracy SECONDS BUSY IDLE\n");
	return 2;
}
