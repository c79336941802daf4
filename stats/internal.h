/*
 * internal: the sampler's records, shared by sampler.c (which fills them)
 * and json.c (which reads them).  Not for use outside stats/.
 *
 * A series is one statistic: either a gauge (a value per sample: RSS,
 * memory %) or a ratio of two monotonic counters the sampler accumulates
 * itself (CPU ticks over seconds, busy ticks over all ticks, bytes over
 * seconds), so that a counter reset, a vanished descendant or a closed
 * socket never makes a rate negative.  Each configured period keeps its
 * own reference point and history.
 */
#ifndef STATS_INTERNAL_H
#define STATS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/types.h>

#include "stats/map.h"
#include "stats/net.h"
#include "stats/procfs.h"
#include "stats/stats.h"
#include "stats/window.h"

enum series_kind {
	SERIES_GAUGE,
	SERIES_RATIO,
};

struct series {
	enum series_kind kind;
	double scale; /* ratio points are scale * dnum / dden */
	double num, den;
	double inst; /* the latest sample's value */
	bool has_inst;
	struct {
		double num, den;
		bool set;
	} ref[STATS_PERIODS_MAX];
	struct stats_window win[STATS_PERIODS_MAX];
};

struct node_cpu {
	bool present;
	bool has_prev;
	struct procfs_cpu_times prev;
	struct series s;
};

struct node_iface {
	int ifindex;
	char name[64];
	uint64_t gen;
	uint64_t rx, tx;
	struct series srx, stx;
};

struct node_disk {
	char name[32];
	uint64_t gen;
	uint64_t rd, wr; /* sectors */
	struct series srd, swr;
};

enum { PSI_CPU, PSI_MEMORY, PSI_IO, PSI_MAX };

struct node {
	int stat_fd, meminfo_fd, loadavg_fd, diskstats_fd, psi_fd[PSI_MAX];
	bool has_prev;
	struct procfs_cpu_times prev;
	struct series cpu, mem;
	struct node_cpu *cpus; /* indexed by the N of cpuN */
	size_t ncpus;
	struct procfs_cpu *tmp; /* parse buffer */
	size_t tmpcap;
	bool has_meminfo, has_load;
	struct procfs_meminfo meminfo;
	struct procfs_loadavg load;
	bool has_psi[PSI_MAX];
	struct procfs_psi psi[PSI_MAX];
	struct node_iface *ifaces;
	size_t nifaces;
	struct node_disk *disks;
	size_t ndisks;
	/* capacity, refreshed every STATS_CAPACITY_NS */
	int64_t capacity_ns;
	bool has_capacity;
	unsigned online;
	double quota_cores; /* 0 = none */
	uint64_t mem_limit; /* 0 = none */
};

struct proc;

struct member {
	pid_t pid;
	int statfd, childfd; /* -1 when absent */
	int pidfd; /* -1 without the CPU clock, or when refused */
	bool watched;  /* pidfd in the sampler's epoll set */
	bool exited;   /* the epoll set reported it this cycle */
	bool io_denied;
	bool has_prev;
	bool fresh;    /* opened during the current walk */
	bool dead;     /* its stat could not be read: gone */
	bool io_prev;  /* rd, wr hold a reading */
	bool has_stat; /* threads, rss_pages hold a reading */
	bool io_now;   /* cur_rd, cur_wr were read this cycle */
	bool kids_valid; /* kids[] is the children file as of kids_cpu */
	uint32_t uid;
	uint64_t visit;       /* walk generation that reached it */
	uint64_t cpu, rd, wr; /* cpu: ns with the CPU clock, else ticks */
	uint64_t cur_cpu, cur_rd, cur_wr; /* this cycle's, not yet verified */
	uint64_t io_cpu;   /* cpu when rd, wr were read */
	uint64_t kids_cpu; /* cpu when kids[] was read */
	uint64_t threads, rss_pages;
	pid_t *kids; /* children of every thread, as last read */
	size_t nkids, capkids;
	struct proc *owner;
};

struct proc {
	char *namespec;
	size_t applen; /* namespec[0..applen) is the application */
	pid_t pid;
	bool alive;
	bool has_prev;
	bool io_readable;
	bool io_prev;            /* an I/O turn happened */
	bool io_turn;            /* this cycle reads I/O */
	unsigned io_countdown;   /* cycles to the next I/O turn */
	unsigned stat_countdown; /* cycles to the next stat turn */
	int64_t io_ns;           /* time of the last I/O turn */
	uint64_t gen;
	struct member **members; /* [0] is the root, when alive */
	size_t nmembers, capmembers;
	struct app *app; /* its application, set by the first apps pass */
	uint64_t threads, rss;
	double tcp_rx, tcp_tx; /* bytes credited since the last sample */
	struct series cpu, mem, rss_s, threads_s, rd, wr, trx, ttx;
};

struct app {
	char *name;
	uint64_t gen;
	unsigned nprocs;
	struct series cpu, mem, rss;
	double acc_cpu, acc_mem, acc_rss; /* sums while integrating */
	bool acc_any;
};

struct sock_state {
	uint64_t gen;
	uint64_t acked, received; /* last credited */
	struct proc *owner;       /* as of the last dump, for its close */
};

struct inode_owner {
	uint64_t gen;
	struct proc *owner; /* NULL: seen by a fd scan, not ours */
};

struct stats_sampler {
	struct stats_config conf;
	unsigned flags;
	int procfd, sysfd;
	double clk_tck;
	bool cpu_clock; /* CPU from clock_getcpuclockid, in ns */
	uint64_t page_size;
	bool has_last;
	int64_t last_ns;
	int64_t ref_ns[STATS_PERIODS_MAX];
	bool started[STATS_PERIODS_MAX];
	uint64_t gen;
	struct node node;
	struct proc **procs;
	size_t nprocs, capprocs;
	struct stats_map procs_by_name;
	struct stats_map members_by_pid;
	struct app **apps;
	size_t napps, capapps;
	struct stats_map apps_by_name;
	struct stats_links *links;
	struct stats_tcp *tcp;
	int snmpfd; /* net/snmp: the TCP activity of the netns, or -1 */
	bool has_activity;
	struct procfs_tcp_activity activity; /* as of the last dump */
	struct stats_map socks;  /* cookie -> struct sock_state */
	struct stats_map inodes; /* inode -> struct inode_owner */
	bool tcp_dumped;
	uint64_t tcp_gen; /* gen of the last dump */
	int64_t fd_scan_ns;
	bool fd_scanned;
	uint32_t uids[8];
	size_t nuids;
	struct stats_tcp_sock *dump;
	size_t ndump, capdump;
	struct procfs_buf buf;
	pid_t *pids;
	size_t pidcap;
	struct member **walk;
	size_t capwalk;
	int epfd;         /* every member's pidfd, -1 without CPU clocks */
	bool check_all;   /* the epoll answer overflowed: ask every pidfd */
	struct epoll_event evs[64];
};

/* A counter that went down was reset (driver reload, new device):
 * everything it holds is new (reference/stats.md §5.2). */
static inline uint64_t
stats_counter_delta(uint64_t cur, uint64_t prev)
{
	return cur >= prev ? cur - prev : cur;
}

/* series.c */
void stats_series_init(struct series *s, enum series_kind kind, double scale,
		       unsigned history);
void stats_series_done(struct series *s);
void stats_series_gauge(struct series *s, double v);
/* Counters only grow: the caller passes non-negative deltas. */
void stats_series_add(struct series *s, double dnum, double dden);
void stats_series_integrate(struct series *s, size_t p);
/* The value for PERIOD (STATS_LAST_SAMPLE or an index); false if none. */
bool stats_series_value(const struct series *s, int period, double *ret);
void stats_series_figures(const struct series *s, int period,
			  struct stats_figures *ret);

/* node.c */
void stats_node_close_fds(struct node *n);
/* Drops every node series and starts them again (empty). */
void stats_node_reset(struct stats_sampler *s);
/* 0, or the first -errno of the files that could not be read. */
int stats_node_sample(struct stats_sampler *s, double dt);
/* Online CPUs and cgroup limits, re-read every 30 s. */
void stats_node_capacity(struct stats_sampler *s, int64_t now_ns);
/* Cores: online CPUs, or the cgroup quota when lower. */
double stats_node_cores(const struct stats_sampler *s);
/* Bytes: MemTotal, or the cgroup limit when lower. */
uint64_t stats_node_mem_capacity(const struct stats_sampler *s);

/* proc.c */
/* TARGETS become the tracked set (new ones added, missing ones freed). */
void stats_procs_sync(struct stats_sampler *s, const struct stats_target *t,
		      size_t n);
/* A cycle of the processes: stats_proc_read() for each, then
 * stats_procs_verify() once, then stats_proc_commit() for each.  Reads by
 * pid number are credited only after the verification has shown that
 * the number still named the process. */
void stats_proc_read(struct stats_sampler *s, struct proc *p);
void stats_procs_verify(struct stats_sampler *s);
void stats_proc_commit(struct stats_sampler *s, struct proc *p,
		       int64_t now_ns, double dt);
void stats_procs_tcp(struct stats_sampler *s, int64_t now_ns, double dt);
void stats_apps_sample(struct stats_sampler *s);
void stats_apps_integrate(struct stats_sampler *s, size_t period);
void stats_procs_free(struct stats_sampler *s);
struct proc *stats_proc_find(const struct stats_sampler *s,
			     const char *namespec);
/* Free and drop the entries whose uint64_t at GEN_OFFSET is neither GEN
 * nor KEEP. */
void stats_map_sweep(struct stats_map *m, uint64_t gen, uint64_t keep,
		     size_t gen_offset);

#endif
