/*
 * fuzz_procfs: every /proc, sysfs and cgroupfs parser of stats/procfs.c
 * and the sock_diag answer parser, fed the same bytes.  The input is
 * copied into a buffer of exactly its size with no NUL after it, so a
 * parser that reads one byte too far trips ASan.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stats/net.h"
#include "stats/procfs.h"

static int
count_disk(const struct procfs_disk *d, void *ctx)
{
	(*(size_t *)ctx) += strlen(d->name);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct procfs_cpu_times t;
	struct procfs_cpu cpus[4];
	struct procfs_meminfo m;
	struct procfs_loadavg l;
	struct procfs_psi psi;
	struct procfs_pid_stat st;
	struct procfs_pid_io io;
	struct procfs_tcp_activity ta;
	struct procfs_cgroup cg;
	struct stats_tcp_sock sk;
	pid_t pids[8];
	size_t n = 0, half;
	unsigned count;
	uint64_t bytes;
	double cores;
	char *buf = malloc(size ? size : 1);

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	procfs_parse_stat(buf, size, &t, cpus, 4, &n);
	procfs_parse_meminfo(buf, size, &m);
	procfs_parse_loadavg(buf, size, &l);
	procfs_parse_pressure(buf, size, &psi);
	procfs_parse_diskstats(buf, size, count_disk, &n);
	procfs_parse_pid_stat(buf, size, &st);
	procfs_parse_pid_io(buf, size, &io);
	procfs_parse_snmp_tcp(buf, size, &ta);
	procfs_parse_pid_list(buf, size, pids, 8);
	procfs_parse_cpu_list(buf, size, &count);
	procfs_parse_cgroup(buf, size, &cg);
	procfs_parse_cpu_max(buf, size, &cores);
	procfs_parse_mem_limit(buf, size, &bytes);
	half = size / 2;
	procfs_parse_cfs_quota(buf, half, buf + half, size - half, &cores);
	stats_tcp_parse(buf, size, &sk);
	free(buf);
	return 0;
}
