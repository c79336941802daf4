/*
 * procfs: parsers for the /proc, sysfs and cgroupfs files the statistics
 * module reads, and the one read helper they share.
 *
 * Every parser works on a buffer already read (so that tests feed
 * fixtures and the fuzzer feeds garbage) and never trusts it: numbers are
 * 64-bit unsigned with overflow detected (-ERANGE), a line that is cut
 * short or malformed makes the parser return -EINVAL (or skip the line
 * where the file is a list of independent lines, as diskstats), and no
 * parser reads past LEN.  The buffer need not be NUL-terminated.
 *
 * Ownership: parsers write only into the caller's structs, and only on
 * success.  struct procfs_buf owns its memory (procfs_buf_done frees it).
 */
#ifndef STATS_PROCFS_H
#define STATS_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A growable read buffer: files are read whole, whatever their size. */
struct procfs_buf {
	char *p;
	size_t len; /* bytes of the last read, p[len] == '\0' */
	size_t cap;
};

#define PROCFS_BUF_INIT                                                        \
	{                                                                      \
		NULL, 0, 0                                                     \
	}
#define PROCFS_BUF_MAX (16u << 20) /* nothing we read is larger */

/* Read FD from offset 0 to end of file with pread (seq_file files give a
 * page per call, so loop until 0).  0 or -errno; -EFBIG past the cap. */
int procfs_pread_all(int fd, struct procfs_buf *b);
/* openat(DIRFD, PATH) + procfs_pread_all + close. */
int procfs_read_at(int dirfd, const char *path, struct procfs_buf *b);
void procfs_buf_done(struct procfs_buf *b);

/* /proc/stat: one line "cpu" or "cpuN", in USER_HZ ticks. */
struct procfs_cpu_times {
	uint64_t user, nice, system, idle, iowait, irq, softirq, steal;
	uint64_t guest, guest_nice; /* already inside user and nice */
};

/* Ticks that count as busy (steal included) and idle (iowait included).
 * guest and guest_nice are never added: user and nice hold them. */
uint64_t procfs_cpu_busy(const struct procfs_cpu_times *t);
uint64_t procfs_cpu_idle(const struct procfs_cpu_times *t);

struct procfs_cpu {
	unsigned index; /* N of "cpuN": offline CPUs leave holes */
	struct procfs_cpu_times t;
};

/* Parses the aggregate into RET_TOTAL and up to MAX per-CPU lines into
 * RET_CPUS; *RET_N is the number of cpuN lines (may exceed MAX: the rest
 * are dropped).  Missing trailing fields (old kernels) read as 0. */
int procfs_parse_stat(const char *buf, size_t len,
		      struct procfs_cpu_times *ret_total,
		      struct procfs_cpu *ret_cpus, size_t max, size_t *ret_n);

/* /proc/meminfo, in bytes. */
struct procfs_meminfo {
	uint64_t total, free, available, buffers, cached, sreclaimable;
	uint64_t swap_total, swap_free;
};

/* MemTotal is required; MemAvailable missing (< 3.14) is estimated as
 * free + buffers + cached + SReclaimable. */
int procfs_parse_meminfo(const char *buf, size_t len,
			 struct procfs_meminfo *ret);

struct procfs_loadavg {
	double load[3];
	unsigned running, total;
};

int procfs_parse_loadavg(const char *buf, size_t len,
			 struct procfs_loadavg *ret);

/* /proc/pressure/{cpu,memory,io}: "some" and (not for cpu before 5.13)
 * "full", avg in percent, total in microseconds. */
struct procfs_psi_line {
	double avg10, avg60, avg300;
	uint64_t total_us;
};

struct procfs_psi {
	bool has_some, has_full;
	struct procfs_psi_line some, full;
};

int procfs_parse_pressure(const char *buf, size_t len, struct procfs_psi *ret);

/* /proc/diskstats: one device; sectors are 512 bytes whatever the disk. */
struct procfs_disk {
	char name[32];
	unsigned major, minor;
	uint64_t reads, sectors_read, writes, sectors_written, io_ticks_ms;
};

/* Calls FN for each well-formed line (malformed lines are skipped); stops
 * and returns FN's value if it is not 0.  Returns the count of devices. */
int procfs_parse_diskstats(const char *buf, size_t len,
			   int (*fn)(const struct procfs_disk *d, void *ctx),
			   void *ctx);

/* /proc/PID/stat, the fields we use (1-based numbers as in proc(5)). */
struct procfs_pid_stat {
	pid_t pid;          /* 1 */
	char comm[64];      /* 2, without the parentheses, truncated */
	char state;         /* 3 */
	pid_t ppid;         /* 4 */
	uint64_t utime;     /* 14, ticks, all threads */
	uint64_t stime;     /* 15 */
	int64_t nice;       /* 19 */
	uint64_t threads;   /* 20 */
	uint64_t starttime; /* 22, ticks since boot */
	uint64_t vsize;     /* 23, bytes */
	uint64_t rss_pages; /* 24 */
};

/* comm may hold spaces and ')': it ends at the LAST ')'. */
int procfs_parse_pid_stat(const char *buf, size_t len,
			  struct procfs_pid_stat *ret);

/* /proc/PID/io */
struct procfs_pid_io {
	uint64_t rchar, wchar, read_bytes, write_bytes, cancelled_write_bytes;
};

int procfs_parse_pid_io(const char *buf, size_t len, struct procfs_pid_io *ret);

/* /proc/net/snmp, the "Tcp:" header line and the values line after it:
 * the counters that move whenever a TCP socket of the network namespace
 * is opened or carries a segment. */
struct procfs_tcp_activity {
	uint64_t active_opens, passive_opens, in_segs, out_segs;
};

int procfs_parse_snmp_tcp(const char *buf, size_t len,
			  struct procfs_tcp_activity *ret);

/* /proc/PID/task/TID/children: "12 34 ".  Writes up to MAX pids, returns
 * how many the file lists (may exceed MAX) or -EINVAL. */
int procfs_parse_pid_list(const char *buf, size_t len, pid_t *ret_pids,
			  size_t max);

/* /sys/devices/system/cpu/online: "0-3,6,8-9" -> 7. */
int procfs_parse_cpu_list(const char *buf, size_t len, unsigned *ret_count);

/* /proc/self/cgroup: the v2 path ("0::/a/b") and the v1 paths of the cpu
 * and memory controllers; "" when absent.  Paths longer than the fields
 * are -ENAMETOOLONG. */
struct procfs_cgroup {
	char v2[512];
	char cpu[512];
	char memory[512];
};

int procfs_parse_cgroup(const char *buf, size_t len, struct procfs_cgroup *ret);

/* cgroup v2 cpu.max "QUOTA PERIOD" or "max PERIOD": *RET_CORES = quota /
 * period, or 0 when unlimited. */
int procfs_parse_cpu_max(const char *buf, size_t len, double *ret_cores);
/* v1 cpu.cfs_quota_us ("-1" = unlimited) and cpu.cfs_period_us, given
 * as two buffers. */
int procfs_parse_cfs_quota(const char *quota, size_t qlen, const char *period,
			   size_t plen, double *ret_cores);
/* v2 memory.max ("max") or v1 memory.limit_in_bytes (values at or above
 * 2^62 mean unlimited): *RET_BYTES = limit, or 0 when unlimited. */
int procfs_parse_mem_limit(const char *buf, size_t len, uint64_t *ret_bytes);

#endif
