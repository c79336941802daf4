/*
 * stats: the /proc parsers on fixtures (well-formed and malformed), the
 * window arithmetic against hand-computed figures, the hash map, and the
 * sampler driven over a fake /proc and /sys root whose files the test
 * rewrites between two samples, so every rate has a known answer.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stats/map.h"
#include "stats/net.h"
#include "stats/procfs.h"
#include "stats/stats.h"
#include "stats/window.h"
#include "tests/lib/testlib.h"

static struct procfs_buf buf = PROCFS_BUF_INIT;

/* Reads tests/fixtures/REL into buf; returns its length. */
static size_t
fixture(const char *rel)
{
	int r = procfs_read_at(AT_FDCWD, test_fixture(rel), &buf);

	ASSERT_INT_EQ(r, 0);
	return r == 0 ? buf.len : 0;
}

static void
test_parse_stat(void)
{
	struct procfs_cpu_times t;
	struct procfs_cpu cpus[1];
	size_t n = 0, len;

	len = fixture("proc/stat");
	ASSERT_INT_EQ(procfs_parse_stat(buf.p, len, &t, cpus, 1, &n), 0);
	ASSERT_INT_EQ(n, 2); /* two lines, one kept */
	ASSERT_INT_EQ(cpus[0].index, 0);
	ASSERT_INT_EQ(t.user, 1000);
	ASSERT_INT_EQ(t.iowait, 500);
	ASSERT_INT_EQ(t.guest, 100);
	/* guest is inside user: never added; iowait is idle */
	ASSERT_INT_EQ(procfs_cpu_busy(&t), 1500);
	ASSERT_INT_EQ(procfs_cpu_idle(&t), 8500);
	len = fixture("proc/malformed/stat_short");
	ASSERT_INT_EQ(procfs_parse_stat(buf.p, len, &t, cpus, 1, &n), -EINVAL);
	len = fixture("proc/malformed/stat_huge");
	ASSERT_INT_EQ(procfs_parse_stat(buf.p, len, &t, cpus, 1, &n), -ERANGE);
	len = fixture("proc/malformed/stat_noagg");
	ASSERT_INT_EQ(procfs_parse_stat(buf.p, len, &t, cpus, 1, &n), -EINVAL);
	/* four fields (Linux 2.4) are enough, the rest read as 0 */
	ASSERT_INT_EQ(procfs_parse_stat("cpu 1 2 3 4\ncpu7 1 2 3 4", 24, &t,
					cpus, 1, &n),
		      0);
	ASSERT_INT_EQ(cpus[0].index, 7);
	ASSERT_INT_EQ(t.steal, 0);
}

static void
test_parse_meminfo_loadavg_psi(void)
{
	struct procfs_meminfo m;
	struct procfs_loadavg l;
	struct procfs_psi p;
	size_t len;

	len = fixture("proc/meminfo");
	ASSERT_INT_EQ(procfs_parse_meminfo(buf.p, len, &m), 0);
	ASSERT_INT_EQ(m.total, 1000000ull * 1024);
	ASSERT_INT_EQ(m.available, 750000ull * 1024);
	ASSERT_INT_EQ(m.cached, 200000ull * 1024); /* not SwapCached */
	ASSERT_INT_EQ(m.swap_free, 90000ull * 1024);
	len = fixture("proc/malformed/meminfo_truncated");
	ASSERT_INT_EQ(procfs_parse_meminfo(buf.p, len, &m), 0);
	ASSERT_INT_EQ(m.total, 10 * 1024);
	ASSERT_INT_EQ(m.available, 0); /* estimated from nothing */
	len = fixture("proc/malformed/meminfo_nototal");
	ASSERT_INT_EQ(procfs_parse_meminfo(buf.p, len, &m), -EINVAL);
	ASSERT_INT_EQ(
		procfs_parse_meminfo("MemTotal: 99999999999999999 kB", 31, &m),
		-ERANGE);

	len = fixture("proc/loadavg");
	ASSERT_INT_EQ(procfs_parse_loadavg(buf.p, len, &l), 0);
	ASSERT_DOUBLE_EQ(l.load[0], 0.5, 1e-9);
	ASSERT_DOUBLE_EQ(l.load[2], 0.1, 1e-9);
	ASSERT_INT_EQ(l.running, 2);
	ASSERT_INT_EQ(l.total, 96);
	len = fixture("proc/malformed/loadavg_short");
	ASSERT_INT_EQ(procfs_parse_loadavg(buf.p, len, &l), -EINVAL);

	len = fixture("proc/pressure/io");
	ASSERT_INT_EQ(procfs_parse_pressure(buf.p, len, &p), 0);
	ASSERT_TRUE(p.has_some && p.has_full);
	ASSERT_DOUBLE_EQ(p.some.avg10, 2.25, 1e-9);
	ASSERT_DOUBLE_EQ(p.full.avg60, 0.5, 1e-9);
	ASSERT_INT_EQ(p.some.total_us, 99999);
	len = fixture("proc/malformed/pressure_truncated");
	ASSERT_INT_EQ(procfs_parse_pressure(buf.p, len, &p), -EINVAL);
}

static int
collect_disk(const struct procfs_disk *d, void *ctx)
{
	struct procfs_disk *out = ctx;
	size_t i;

	for (i = 0; out[i].name[0] != '\0'; i++)
		;
	if (i < 3)
		out[i] = *d;
	return 0;
}

static void
test_parse_diskstats(void)
{
	struct procfs_disk d[4];
	size_t len;

	memset(d, 0, sizeof(d));
	len = fixture("proc/diskstats");
	ASSERT_INT_EQ(procfs_parse_diskstats(buf.p, len, collect_disk, d), 3);
	ASSERT_STR_EQ(d[1].name, "vda");
	ASSERT_INT_EQ(d[1].sectors_read, 1000);
	ASSERT_INT_EQ(d[1].sectors_written, 500);
	ASSERT_INT_EQ(d[1].io_ticks_ms, 70);
	/* a line cut short is skipped, the next one is read (11 fields,
	 * a pre-4.18 kernel) */
	memset(d, 0, sizeof(d));
	len = fixture("proc/malformed/diskstats_mixed");
	ASSERT_INT_EQ(procfs_parse_diskstats(buf.p, len, collect_disk, d), 1);
	ASSERT_STR_EQ(d[0].name, "vdb");
	ASSERT_INT_EQ(d[0].sectors_written, 16);
}

static void
test_parse_pid(void)
{
	struct procfs_pid_stat st;
	struct procfs_pid_io io;
	pid_t pids[2];
	size_t len;

	len = fixture("proc/4242/stat");
	ASSERT_INT_EQ(procfs_parse_pid_stat(buf.p, len, &st), 0);
	ASSERT_STR_EQ(st.comm, "(a) b)");
	ASSERT_INT_EQ(st.pid, 4242);
	ASSERT_INT_EQ(st.state, 'S');
	ASSERT_INT_EQ(st.ppid, 1);
	ASSERT_INT_EQ(st.utime, 100);
	ASSERT_INT_EQ(st.stime, 50);
	ASSERT_INT_EQ(st.threads, 1);
	ASSERT_INT_EQ(st.starttime, 12345);
	ASSERT_INT_EQ(st.rss_pages, 1000);
	len = fixture("proc/malformed/pid_stat_truncated");
	ASSERT_INT_EQ(procfs_parse_pid_stat(buf.p, len, &st), -EINVAL);
	len = fixture("proc/malformed/pid_stat_noparen");
	ASSERT_INT_EQ(procfs_parse_pid_stat(buf.p, len, &st), -EINVAL);
	len = fixture("proc/malformed/pid_stat_huge");
	ASSERT_INT_EQ(procfs_parse_pid_stat(buf.p, len, &st), -ERANGE);
	/* negative nice, and a buffer without a NUL after it */
	{
		const char s[] =
			"7 (x) R 1 0 0 0 -1 0 0 0 0 0 3 4 0 0 39 -19 2 "
			"0 9 100 20 5";

		ASSERT_INT_EQ(procfs_parse_pid_stat(s, sizeof(s) - 3, &st), 0);
		ASSERT_INT_EQ(st.nice, -19);
		ASSERT_INT_EQ(st.rss_pages, 20);
	}

	len = fixture("proc/4242/io");
	ASSERT_INT_EQ(procfs_parse_pid_io(buf.p, len, &io), 0);
	ASSERT_INT_EQ(io.read_bytes, 1000);
	ASSERT_INT_EQ(io.rchar, 5000);
	len = fixture("proc/malformed/io_huge");
	ASSERT_INT_EQ(procfs_parse_pid_io(buf.p, len, &io), -ERANGE);

	len = fixture("proc/4242/task/4242/children");
	ASSERT_INT_EQ(procfs_parse_pid_list(buf.p, len, pids, 2), 1);
	ASSERT_INT_EQ(pids[0], 4243);
	ASSERT_INT_EQ(procfs_parse_pid_list("1 2 3 ", 6, pids, 2), 3);
	ASSERT_INT_EQ(procfs_parse_pid_list("", 0, pids, 2), 0);
	len = fixture("proc/malformed/children_garbage");
	ASSERT_INT_EQ(procfs_parse_pid_list(buf.p, len, pids, 2), -EINVAL);
	ASSERT_INT_EQ(procfs_parse_pid_list("0", 1, pids, 2), -ERANGE);
}

static void
test_parse_snmp(void)
{
	static const char swapped[] = "Tcp: OutSegs InSegs PassiveOpens "
				      "ActiveOpens\nTcp: 4 3 2 1\n";
	static const char huge[] = "Tcp: ActiveOpens PassiveOpens InSegs "
				   "OutSegs\nTcp: 1 2 3 99999999999999999999\n";
	struct procfs_tcp_activity a = {0};
	size_t len;

	len = fixture("proc/net/snmp");
	ASSERT_INT_EQ(procfs_parse_snmp_tcp(buf.p, len, &a), 0);
	ASSERT_INT_EQ(a.active_opens, 6593);
	ASSERT_INT_EQ(a.passive_opens, 5589);
	ASSERT_INT_EQ(a.in_segs, 120344);
	ASSERT_INT_EQ(a.out_segs, 116765);
	/* matched by name, not by position */
	ASSERT_INT_EQ(procfs_parse_snmp_tcp(swapped, sizeof(swapped) - 1, &a),
		      0);
	ASSERT_INT_EQ(a.active_opens, 1);
	ASSERT_INT_EQ(a.out_segs, 4);
	len = fixture("proc/malformed/snmp_short");
	ASSERT_INT_EQ(procfs_parse_snmp_tcp(buf.p, len, &a), -EINVAL);
	ASSERT_INT_EQ(procfs_parse_snmp_tcp(huge, sizeof(huge) - 1, &a),
		      -ERANGE);
	ASSERT_INT_EQ(procfs_parse_snmp_tcp("Tcp: ActiveOpens\n", 17, &a),
		      -EINVAL);
	ASSERT_INT_EQ(procfs_parse_snmp_tcp("", 0, &a), -EINVAL);
	/* the values are kept only on success */
	ASSERT_INT_EQ(a.active_opens, 1);
}

static void
test_parse_cgroup(void)
{
	struct procfs_cgroup cg;
	unsigned n = 0;
	uint64_t bytes = 1;
	double cores = -1;
	size_t len;

	len = fixture("proc/self/cgroup");
	ASSERT_INT_EQ(procfs_parse_cgroup(buf.p, len, &cg), 0);
	ASSERT_STR_EQ(cg.v2, "/svc/job");
	ASSERT_STR_EQ(cg.cpu, "/svc");
	ASSERT_STR_EQ(cg.memory, "/svc");
	ASSERT_INT_EQ(procfs_parse_cgroup("4:cpuacct:/x\n", 13, &cg), 0);
	ASSERT_STR_EQ(cg.cpu, "");
	ASSERT_INT_EQ(procfs_parse_cpu_list("0-3,6,8-9\n", 10, &n), 0);
	ASSERT_INT_EQ(n, 7);
	ASSERT_INT_EQ(procfs_parse_cpu_list("3-1", 3, &n), -EINVAL);
	ASSERT_INT_EQ(procfs_parse_cpu_list("0-99999999", 10, &n), -ERANGE);
	ASSERT_INT_EQ(procfs_parse_cpu_max("150000 100000\n", 14, &cores), 0);
	ASSERT_DOUBLE_EQ(cores, 1.5, 1e-9);
	ASSERT_INT_EQ(procfs_parse_cpu_max("max 100000\n", 11, &cores), 0);
	ASSERT_DOUBLE_EQ(cores, 0, 1e-9);
	ASSERT_INT_EQ(procfs_parse_cpu_max("1 0", 3, &cores), -EINVAL);
	ASSERT_INT_EQ(procfs_parse_cfs_quota("-1\n", 3, "100000\n", 7, &cores),
		      0);
	ASSERT_DOUBLE_EQ(cores, 0, 1e-9);
	ASSERT_INT_EQ(procfs_parse_cfs_quota("50000", 5, "100000", 6, &cores),
		      0);
	ASSERT_DOUBLE_EQ(cores, 0.5, 1e-9);
	ASSERT_INT_EQ(procfs_parse_mem_limit("max\n", 4, &bytes), 0);
	ASSERT_INT_EQ(bytes, 0);
	ASSERT_INT_EQ(
		procfs_parse_mem_limit("9223372036854771712\n", 20, &bytes), 0);
	ASSERT_INT_EQ(bytes, 0); /* v1's "unlimited" */
	ASSERT_INT_EQ(procfs_parse_mem_limit("1073741824", 10, &bytes), 0);
	ASSERT_INT_EQ(bytes, 1073741824);
}

static void
test_window(void)
{
	static const double v[] = {2, 4, 4, 4, 5, 5, 7, 9};
	struct stats_window w;
	struct stats_figures f;
	size_t i;

	stats_figures_of(v, 8, &f);
	ASSERT_DOUBLE_EQ(f.mean, 5, 1e-9);
	ASSERT_DOUBLE_EQ(f.stddev, 2, 1e-9);
	ASSERT_DOUBLE_EQ(f.slope, 34.0 / 42.0, 1e-9);
	ASSERT_DOUBLE_EQ(f.rate, 100.0 * 2 / 7, 1e-9);
	ASSERT_TRUE(f.has_rate);
	ASSERT_DOUBLE_EQ(f.last, 9, 1e-9);

	stats_window_init(&w, 3);
	stats_window_figures(&w, &f);
	ASSERT_INT_EQ(f.n, 0);
	stats_window_push(&w, 0);
	stats_window_figures(&w, &f);
	ASSERT_INT_EQ(f.n, 1);
	ASSERT_FALSE(f.has_rate);
	ASSERT_DOUBLE_EQ(f.slope, 0, 1e-9);
	stats_window_push(&w, 5);
	stats_window_figures(&w, &f);
	ASSERT_FALSE(f.has_rate); /* from 0: no percent change */
	ASSERT_DOUBLE_EQ(f.slope, 5, 1e-9);
	for (i = 1; i <= 5; i++)
		stats_window_push(&w, (double)i);
	/* the ring keeps the last three: 3 4 5 */
	stats_window_figures(&w, &f);
	ASSERT_INT_EQ(f.n, 3);
	ASSERT_DOUBLE_EQ(stats_window_at(&w, 0), 3, 1e-9);
	ASSERT_DOUBLE_EQ(f.mean, 4, 1e-9);
	ASSERT_DOUBLE_EQ(f.slope, 1, 1e-9);
	ASSERT_DOUBLE_EQ(f.rate, 25, 1e-9);
	ASSERT_DOUBLE_EQ(f.stddev, sqrt(2.0 / 3.0), 1e-6);
	stats_window_done(&w);
}

static void
test_map(void)
{
	struct stats_map m = STATS_MAP_INIT;
	static int vals[5000];
	uint64_t k;

	for (k = 0; k < 5000; k++)
		stats_map_put(&m, k * 7, &vals[k]);
	ASSERT_INT_EQ(m.len, 5000);
	for (k = 0; k < 5000; k += 2)
		ASSERT_TRUE(stats_map_del(&m, k * 7) == &vals[k]);
	for (k = 0; k < 5000; k++)
		if (stats_map_get(&m, k * 7) != (k % 2 ? &vals[k] : NULL))
			break;
	ASSERT_INT_EQ(k, 5000);
	ASSERT_NULL(stats_map_del(&m, 3));
	ASSERT_INT_EQ(m.len, 2500);
	stats_map_done(&m);
}

static void
test_tcp_parse(void)
{
	/* an inet_diag_msg (72 bytes) + one INET_DIAG_INFO attribute too
	 * short to hold the byte counters, then garbage lengths */
	unsigned char msg[72 + 4 + 16];
	struct stats_tcp_sock s;

	memset(msg, 0, sizeof(msg));
	msg[72] = 20; /* nla_len */
	msg[74] = 2;  /* INET_DIAG_INFO */
	ASSERT_INT_EQ(stats_tcp_parse(msg, sizeof(msg), &s), -EINVAL);
	msg[72] = 200;
	ASSERT_INT_EQ(stats_tcp_parse(msg, sizeof(msg), &s), -EINVAL);
	ASSERT_INT_EQ(stats_tcp_parse(msg, 10, &s), -EINVAL);
}

/* ------------------------------------------------------------ sampler */

static char root[PATH_MAX];

static void
put_file(const char *rel, const char *data)
{
	char dir[PATH_MAX + 64], *slash;

	snprintf(dir, sizeof(dir), "%s/%s", root, rel);
	slash = strrchr(dir, '/');
	*slash = '\0';
	test_write_file(dir, slash + 1, data);
}

static const char *
tree_copy(void)
{
	char cmd[PATH_MAX * 4];

	snprintf(root, sizeof(root), "%s/roots", test_tmpdir());
	snprintf(cmd, sizeof(cmd),
		 "rm -rf '%s' && mkdir -p '%s' && "
		 "cp -r tests/fixtures/proc tests/fixtures/sys '%s'/",
		 root, root, root);
	ASSERT_INT_EQ(system(cmd), 0);
	return root;
}

static struct stats_sampler *
open_fixture(bool irix)
{
	struct stats_config c = {
		.enabled = STATS_HOST | STATS_PROCESS,
		.collecting_period_ms = 1000,
		.nperiods = 2,
		.periods_ms = {1000, 5000},
		.history = 10,
		.irix_mode = irix,
	};
	char proc[PATH_MAX + 8], sys[PATH_MAX + 8];
	struct stats_sampler *s = NULL;

	tree_copy();
	snprintf(proc, sizeof(proc), "%s/proc", root);
	snprintf(sys, sizeof(sys), "%s/sys", root);
	ASSERT_INT_EQ(stats_sampler_open(&c, proc, sys, STATS_NO_NETLINK, &s),
		      0);
	return s;
}

/* The second snapshot of the fake node: one second later. */
static void
advance(void)
{
	put_file("proc/stat", "cpu  1300 0 600 8500 600 0 0 0 200 0\n"
			      "cpu0 700 0 300 4200 300 0 0 0 100 0\n"
			      "cpu1 600 0 300 4300 300 0 0 0 100 0\n");
	put_file("proc/diskstats",
		 " 254 0 vda 300 0 3000 50 90 0 1500 60 0 70 110\n"
		 " 254 1 vda1 90 0 900 45 35 0 450 55 0 65 100\n");
	put_file("proc/4242/stat",
		 "4242 ((a) b)) S 1 4242 4242 0 -1 0 0 0 0 0 150 60 0 0 20 0 1 "
		 "0 12345 10000000 1000 0\n");
	put_file("proc/4243/stat",
		 "4243 (child) S 4242 4242 4242 0 -1 0 0 0 0 0 40 0 0 0 20 0 2 "
		 "0 12400 5000000 500 0\n");
	put_file("proc/4242/io", "read_bytes: 5096\nwrite_bytes: 8192\n");
}

static const cJSON *
get(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	ASSERT_NOT_NULL(v);
	return v;
}

static void
test_sampler_fixture(void)
{
	const struct stats_target t[] = {{"web:front", 4242}};
	struct stats_node_summary node;
	struct stats_proc_summary ps;
	struct stats_sampler *s = open_fixture(true);
	const int64_t t0 = 1000 * NSEC_PER_SEC;
	cJSON *j, *arr;
	const cJSON *w;

	ASSERT_INT_EQ(stats_sampler_sample(s, t0, t, 1), 1);
	/* not due yet */
	ASSERT_INT_EQ(stats_sampler_sample(s, t0 + NSEC_PER_SEC / 2, t, 1), 0);
	ASSERT_INT_EQ(stats_sampler_next_ns(s), t0 + 9 * NSEC_PER_SEC / 10);
	advance();
	ASSERT_INT_EQ(stats_sampler_sample(s, t0 + NSEC_PER_SEC, t, 1), 1);

	ASSERT_INT_EQ(stats_sampler_node(s, 0, &node), 0);
	ASSERT_TRUE(node.valid);
	ASSERT_DOUBLE_EQ(node.cpu_percent, 40, 1e-9);
	ASSERT_DOUBLE_EQ(node.mem_percent, 25, 1e-9);
	/* cgroup: cpu.max 1.5 on the parent, max on the leaf; memory.max
	 * 1 GiB on the leaf but MemTotal is lower */
	ASSERT_DOUBLE_EQ(node.cpu_capacity, 1.5, 1e-9);
	ASSERT_INT_EQ(node.mem_capacity, 1000000ull * 1024);
	ASSERT_INT_EQ(stats_sampler_node(s, 1, &node), 0);
	ASSERT_FALSE(node.valid); /* the 5 s period has no point yet */

	ASSERT_INT_EQ(stats_sampler_process(s, "web:front", 0, &ps), 0);
	ASSERT_TRUE(ps.valid);
	/* (210 - 150) + (40 - 10) ticks in 1 s at 100 Hz, root + child */
	ASSERT_DOUBLE_EQ(ps.cpu_percent, 90, 1e-9);
	ASSERT_INT_EQ(ps.rss_bytes, 1500 * (uint64_t)sysconf(_SC_PAGESIZE));
	ASSERT_INT_EQ(ps.threads, 3);
	ASSERT_INT_EQ(ps.processes, 2);
	ASSERT_INT_EQ(stats_sampler_process(s, "web:nope", 0, &ps), -ENOENT);

	j = stats_json_instance(s, "n1", 0);
	ASSERT_STR_EQ(cJSON_GetStringValue(get(j, "name")), "n1");
	ASSERT_DOUBLE_EQ(get(j, "cpu_percent")->valuedouble, 40, 1e-9);
	arr = cJSON_GetObjectItemCaseSensitive(j, "cpu_per_core");
	ASSERT_INT_EQ(cJSON_GetArraySize(arr), 2);
	ASSERT_DOUBLE_EQ(cJSON_GetArrayItem(arr, 0)->valuedouble, 50, 1e-9);
	ASSERT_DOUBLE_EQ(cJSON_GetArrayItem(arr, 1)->valuedouble, 30, 1e-9);
	ASSERT_DOUBLE_EQ(
		cJSON_GetArrayItem(get(j, "load_average"), 1)->valuedouble,
		0.25, 1e-9);
	arr = cJSON_GetObjectItemCaseSensitive(j, "disk");
	/* vda only: loop0 never did I/O, vda1 is a partition */
	ASSERT_INT_EQ(cJSON_GetArraySize(arr), 1);
	ASSERT_STR_EQ(
		cJSON_GetStringValue(get(cJSON_GetArrayItem(arr, 0), "device")),
		"vda");
	ASSERT_DOUBLE_EQ(get(cJSON_GetArrayItem(arr, 0), "read_bytes_per_s")
				 ->valuedouble,
			 2000 * 512, 1e-9);
	ASSERT_DOUBLE_EQ(get(cJSON_GetArrayItem(arr, 0), "write_bytes_per_s")
				 ->valuedouble,
			 1000 * 512, 1e-9);
	ASSERT_DOUBLE_EQ(
		get(get(get(j, "pressure"), "io"), "some_avg10")->valuedouble,
		2.25, 1e-9);
	w = get(get(j, "window"), "cpu_percent");
	ASSERT_INT_EQ(get(w, "points")->valueint, 1);
	ASSERT_TRUE(cJSON_IsNull(get(w, "rate")));
	cJSON_Delete(j);

	arr = stats_json_processes(s, "n1", 0, "web:*");
	ASSERT_INT_EQ(cJSON_GetArraySize(arr), 1);
	j = cJSON_GetArrayItem(arr, 0);
	ASSERT_DOUBLE_EQ(get(j, "cpu_percent")->valuedouble, 90, 1e-9);
	/* I/O is read every fifth cycle: one reading so far, no rate */
	ASSERT_TRUE(cJSON_IsNull(get(j, "read_bytes_per_s")));
	ASSERT_DOUBLE_EQ(get(j, "mem_percent")->valuedouble,
			 100.0 * 1500 * sysconf(_SC_PAGESIZE) / 1024000000.0,
			 1e-3);
	ASSERT_TRUE(cJSON_IsNull(get(j, "tcp_rx_bytes_per_s")));
	cJSON_Delete(arr);
	arr = stats_json_processes(s, "n1", 0, "other:*");
	ASSERT_INT_EQ(cJSON_GetArraySize(arr), 0);
	cJSON_Delete(arr);
	arr = stats_json_applications(s, 0, NULL);
	ASSERT_INT_EQ(cJSON_GetArraySize(arr), 1);
	ASSERT_STR_EQ(
		cJSON_GetStringValue(get(cJSON_GetArrayItem(arr, 0), "name")),
		"web");
	ASSERT_DOUBLE_EQ(
		get(cJSON_GetArrayItem(arr, 0), "cpu_percent")->valuedouble, 90,
		1e-9);
	cJSON_Delete(arr);
	/* a namespec selects its application, another one does not */
	arr = stats_json_applications(s, 0, "web:front");
	ASSERT_INT_EQ(cJSON_GetArraySize(arr), 1);
	cJSON_Delete(arr);
	arr = stats_json_applications(s, 0, "we:front");
	ASSERT_INT_EQ(cJSON_GetArraySize(arr), 0);
	cJSON_Delete(arr);

	/* a period with no change: rate of change 0 % and a flat slope */
	ASSERT_INT_EQ(stats_sampler_sample(s, t0 + 2 * NSEC_PER_SEC, t, 1), 1);
	arr = stats_json_processes(s, "n1", 0, NULL);
	w = get(get(cJSON_GetArrayItem(arr, 0), "window"), "rss_bytes");
	ASSERT_INT_EQ(get(w, "points")->valueint, 2);
	ASSERT_DOUBLE_EQ(get(w, "rate")->valuedouble, 0, 1e-9);
	w = get(get(cJSON_GetArrayItem(arr, 0), "window"), "cpu_percent");
	ASSERT_DOUBLE_EQ(get(w, "mean")->valuedouble, 45, 1e-9);
	ASSERT_DOUBLE_EQ(get(w, "slope")->valuedouble, -90, 1e-9);
	ASSERT_DOUBLE_EQ(get(w, "stddev")->valuedouble, 45, 1e-9);
	ASSERT_DOUBLE_EQ(get(w, "rate")->valuedouble, -100, 1e-9);
	cJSON_Delete(arr);

	/* the second I/O reading, five cycles after the first */
	ASSERT_INT_EQ(stats_sampler_sample(s, t0 + 3 * NSEC_PER_SEC, t, 1), 1);
	ASSERT_INT_EQ(stats_sampler_sample(s, t0 + 4 * NSEC_PER_SEC, t, 1), 1);
	ASSERT_INT_EQ(stats_sampler_sample(s, t0 + 5 * NSEC_PER_SEC, t, 1), 1);
	arr = stats_json_processes(s, "n1", STATS_LAST_SAMPLE, NULL);
	j = cJSON_GetArrayItem(arr, 0);
	ASSERT_DOUBLE_EQ(get(j, "read_bytes_per_s")->valuedouble, 4096 / 5.0,
			 1e-9);
	ASSERT_DOUBLE_EQ(get(j, "write_bytes_per_s")->valuedouble, 8192 / 5.0,
			 1e-9);
	cJSON_Delete(arr);

	/* the namespec leaves the supervised set: forgotten */
	ASSERT_INT_EQ(stats_sampler_sample(s, t0 + 6 * NSEC_PER_SEC, t, 0), 1);
	ASSERT_INT_EQ(stats_sampler_process(s, "web:front", 0, &ps), -ENOENT);
	stats_sampler_free(s);
}

static void
test_sampler_solaris_and_switches(void)
{
	const struct stats_target t[] = {{"web:front", 4242}};
	struct stats_proc_summary ps;
	struct stats_node_summary node;
	struct stats_sampler *s = open_fixture(false);
	const int64_t t0 = 50 * NSEC_PER_SEC;
	char *out;
	cJSON *j;

	ASSERT_INT_EQ(stats_sampler_sample(s, t0, t, 1), 1);
	advance();
	ASSERT_INT_EQ(stats_sampler_sample(s, t0 + NSEC_PER_SEC, t, 1), 1);
	ASSERT_INT_EQ(
		stats_sampler_process(s, "web:front", STATS_LAST_SAMPLE, &ps),
		0);
	/* Solaris mode: 90 % of one core over a 1.5-core capacity */
	ASSERT_DOUBLE_EQ(ps.cpu_percent, 60, 1e-9);

	out = stats_json_render(s, "n1", STATS_HOST | STATS_PROCESS, 0, NULL);
	ASSERT_NOT_NULL(out);
	j = cJSON_Parse(out);
	ASSERT_NOT_NULL(j);
	ASSERT_INT_EQ(cJSON_GetArraySize(get(j, "instances")), 1);
	ASSERT_INT_EQ(cJSON_GetArraySize(get(j, "processes")), 1);
	ASSERT_INT_EQ(cJSON_GetArraySize(get(j, "applications")), 1);
	{
		cJSON *apps = stats_json_sum_applications(get(j, "processes"));

		ASSERT_INT_EQ(cJSON_GetArraySize(apps), 1);
		ASSERT_DOUBLE_EQ(get(cJSON_GetArrayItem(apps, 0), "cpu_percent")
					 ->valuedouble,
				 60, 1e-9);
		cJSON_Delete(apps);
	}
	cJSON_Delete(j);
	free(out);
	ASSERT_NULL(stats_json_render(s, "n1", STATS_HOST, 2, NULL));

	/* host statistics off: node values go null, processes go on */
	stats_sampler_set_enabled(s, STATS_PROCESS);
	ASSERT_INT_EQ(stats_sampler_enabled(s), STATS_PROCESS);
	ASSERT_INT_EQ(stats_sampler_sample(s, t0 + 2 * NSEC_PER_SEC, t, 1), 1);
	ASSERT_INT_EQ(stats_sampler_node(s, 0, &node), 0);
	ASSERT_FALSE(node.valid);
	j = stats_json_instance(s, "n1", 0);
	ASSERT_TRUE(cJSON_IsNull(get(j, "cpu_percent")));
	cJSON_Delete(j);
	ASSERT_INT_EQ(stats_sampler_set_period(s, 50), -ERANGE);
	ASSERT_INT_EQ(stats_sampler_set_period(s, 2000), 0);
	ASSERT_INT_EQ(stats_sampler_config(s)->collecting_period_ms, 2000);
	ASSERT_INT_EQ(stats_sampler_sample(s, t0 + 3 * NSEC_PER_SEC, t, 1), 0);
	/* a new pid for the namespec: a new process, new series */
	ASSERT_INT_EQ(stats_sampler_sample(
			      s, t0 + 4 * NSEC_PER_SEC,
			      (struct stats_target[]){{"web:front", 4243}}, 1),
		      1);
	ASSERT_INT_EQ(stats_sampler_process(s, "web:front", 0, &ps), 0);
	ASSERT_INT_EQ(ps.pid, 4243);
	ASSERT_FALSE(ps.valid);
	ASSERT_INT_EQ(ps.processes, 1);
	stats_sampler_set_enabled(s, 0);
	ASSERT_INT_EQ(stats_sampler_process(s, "web:front", 0, &ps), -ENOENT);
	stats_sampler_free(s);
}

static void
test_sampler_bad_config(void)
{
	struct stats_config c = {STATS_HOST, 1000, 1, {10000}, 200, false};
	struct stats_sampler *s = NULL;

	c.history = 5;
	ASSERT_INT_EQ(
		stats_sampler_open(&c, "/proc", "/sys", STATS_NO_NETLINK, &s),
		-ERANGE);
	c.history = 200;
	c.nperiods = 4;
	ASSERT_INT_EQ(
		stats_sampler_open(&c, "/proc", "/sys", STATS_NO_NETLINK, &s),
		-ERANGE);
	c.nperiods = 1;
	ASSERT_INT_EQ(stats_sampler_open(&c, "/nonexistent", "/sys",
					 STATS_NO_NETLINK, &s),
		      -ENOENT);
	ASSERT_NULL(s);
	ASSERT_NULL(stats_sampler_free(NULL));
}

static void
test_sampler_malformed_root(void)
{
	const struct stats_target t[] = {{"a:b", 4242}};
	struct stats_sampler *s = open_fixture(true);
	struct stats_proc_summary ps;

	/* garbage everywhere: errors are returned, nothing crashes */
	put_file("proc/stat", "cpu 1 2");
	put_file("proc/meminfo", "MemTotal: 0 kB\n");
	put_file("proc/diskstats", "garbage\n");
	put_file("proc/4242/stat", "4242 (x");
	ASSERT_INT_EQ(stats_sampler_sample(s, NSEC_PER_SEC, t, 1), -EINVAL);
	ASSERT_INT_EQ(stats_sampler_process(s, "a:b", 0, &ps), 0);
	ASSERT_FALSE(ps.valid);
	stats_sampler_free(s);
}

static void
cleanup(void)
{
	procfs_buf_done(&buf);
}

static const struct test_case cases[] = {
	{"parse /proc/stat", test_parse_stat},
	{"parse meminfo, loadavg, pressure", test_parse_meminfo_loadavg_psi},
	{"parse diskstats", test_parse_diskstats},
	{"parse PID stat, io, children", test_parse_pid},
	{"parse net/snmp TCP counters", test_parse_snmp},
	{"parse cgroup limits", test_parse_cgroup},
	{"window figures", test_window},
	{"hash map", test_map},
	{"sock_diag parser bounds", test_tcp_parse},
	{"sampler over fixtures", test_sampler_fixture},
	{"sampler solaris mode and switches",
	 test_sampler_solaris_and_switches},
	{"sampler bad config", test_sampler_bad_config},
	{"sampler malformed root", test_sampler_malformed_root},
};

int
main(int argc, char **argv)
{
	atexit(cleanup);
	return test_main(argc, argv, "stats", cases, ARRAY_SIZE(cases));
}
