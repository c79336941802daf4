/*
 * stats: the statistics module's public face for the daemon.
 *
 * A struct stats_sampler measures the node (CPU total and per core,
 * memory, load average, pressure, bytes/s per network interface and per
 * whole disk, capacity under cgroup limits) and the supervised processes
 * (CPU, RSS, memory %, threads, disk I/O and TCP bytes/s, each summed over
 * the process and its descendants), and integrates every statistic into
 * one history per configured period with Supvisors' figures (last, mean,
 * rate of change, slope, standard deviation; see window.h).
 *
 * It is a thin shell over /proc, sysfs and netlink: no timer, no thread,
 * no logging.  The daemon's tick calls stats_sampler_sample() with the
 * monotonic time and the list of supervised (namespec, pid); the sampler
 * samples when a collecting period has passed since its last sample and
 * otherwise returns at once.  Processes are tracked through held /proc
 * fds and pidfds, which refuse a reused pid (ESRCH), and their descendants
 * through /proc/PID/task/TID/children; vanished processes are normal.
 * CPU is sampled every time (from the CPU clocks, in ns, when PROC_ROOT
 * is the real /proc; from stat ticks otherwise); RSS, threads and disk
 * I/O every fifth sample, so a memory figure may be up to four
 * collecting periods old.
 *
 * Units: CPU of a process in percent of one core ("IRIX"), divided by the
 * node's core capacity in Solaris mode (irix_mode false) when reported;
 * node CPU in percent of the node; memory % of the memory capacity (the
 * cgroup limit when one is set, else MemTotal); rates in bytes per second.
 *
 * Ownership: the sampler copies the config and the strings it is given
 * (namespecs); stats_sampler_free() accepts NULL and returns NULL.  The
 * cJSON trees returned by the encoders belong to the caller
 * (cJSON_Delete), strings to free().
 */
#ifndef STATS_STATS_H
#define STATS_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct cJSON;
struct stats_sampler;

#define STATS_PERIODS_MAX 3

/* stats.enabled; the same bits as rules.h RL_STATS_* */
enum {
	STATS_HOST = 1 << 0,
	STATS_PROCESS = 1 << 1,
};

struct stats_config {
	unsigned enabled;                      /* STATS_HOST | STATS_PROCESS */
	int64_t collecting_period_ms;          /* 100 ms .. 1 h */
	size_t nperiods;                       /* 1 .. STATS_PERIODS_MAX */
	int64_t periods_ms[STATS_PERIODS_MAX]; /* each >= collecting period */
	unsigned history; /* points per period, 10 .. 1500 */
	bool irix_mode;
};

/* flags of stats_sampler_open() */
enum {
	STATS_NO_NETLINK = 1 << 0, /* no interfaces, no TCP (fixture roots) */
};

/* Limits a config must respect; -ERANGE from stats_sampler_open(). */
#define STATS_PERIOD_MIN_MS 100
#define STATS_PERIOD_MAX_MS 3600000
#define STATS_HISTORY_MIN 10
#define STATS_HISTORY_MAX 1500

/* PROC_ROOT is "/proc" normally, SYS_ROOT "/sys"; tests give fixture
 * trees.  Netlink sockets that cannot be opened leave the network figures
 * out (-EPERM in a sandbox) without failing the open. */
int stats_sampler_open(const struct stats_config *conf, const char *proc_root,
		       const char *sys_root, unsigned flags,
		       struct stats_sampler **ret);
struct stats_sampler *stats_sampler_free(struct stats_sampler *s);

struct stats_target {
	const char *namespec; /* "app:proc" */
	pid_t pid;            /* 0 = not running: forgotten */
};

/* Samples when NOW_NS (CLOCK_MONOTONIC) is at least one collecting period
 * (less 10 % for timer jitter) past the last sample.  TARGETS is the whole
 * set of supervised processes: a namespec missing from it is forgotten,
 * a namespec whose pid changed starts new series.  Returns 1 when it
 * sampled, 0 when not due yet, -errno when the node files cannot be read
 * (the process part still ran). */
int stats_sampler_sample(struct stats_sampler *s, int64_t now_ns,
			 const struct stats_target *targets, size_t n);
/* When the next sample is due (for the daemon's timer). */
int64_t stats_sampler_next_ns(const struct stats_sampler *s);

/* Runtime switches, as Supvisors' XML-RPC: host and process statistics
 * on or off (turning one off drops its histories), and the collecting
 * period (-ERANGE outside STATS_PERIOD_MIN_MS..STATS_PERIOD_MAX_MS). */
void stats_sampler_set_enabled(struct stats_sampler *s, unsigned enabled);
unsigned stats_sampler_enabled(const struct stats_sampler *s);
int stats_sampler_set_period(struct stats_sampler *s, int64_t ms);
const struct stats_config *stats_sampler_config(const struct stats_sampler *s);
/* A new config in place (a reload): switches and collecting period as
 * above; other periods, another history depth or irix_mode restart every
 * history.  -EINVAL/-ERANGE as stats_sampler_open(), nothing changed. */
int stats_sampler_reconfigure(struct stats_sampler *s,
			      const struct stats_config *conf);

/* Which values an encoder or summary reports. */
enum {
	STATS_LAST_SAMPLE = -1, /* the latest collecting-period sample */
	/* 0 .. nperiods-1: the latest point of that period's history */
};

/* For `instances`, gossip and load_source MEASURED. */
struct stats_node_summary {
	bool valid;            /* false until a value exists for the period */
	double cpu_percent;    /* latest point, % of the node */
	double cpu_mean;       /* mean over the period's history */
	double mem_percent;    /* latest point, % of memory capacity */
	double cpu_capacity;   /* cores: online CPUs, or the cgroup quota */
	uint64_t mem_capacity; /* bytes: MemTotal, or the cgroup limit */
};

int stats_sampler_node(const struct stats_sampler *s, int period,
		       struct stats_node_summary *ret);

struct stats_proc_summary {
	bool valid;
	pid_t pid;
	double cpu_percent; /* IRIX or Solaris per the config */
	double mem_percent;
	uint64_t rss_bytes;
	unsigned threads;
	unsigned processes; /* the process and its live descendants */
};

/* -ENOENT when NAMESPEC is not tracked. */
int stats_sampler_process(const struct stats_sampler *s, const char *namespec,
			  int period, struct stats_proc_summary *ret);

/* JSON, as `supvisors-sched stats --json` prints it: every value is the
 * latest point of PERIOD, and each object holding values has a "window"
 * member with, per value, {"mean","rate","slope","stddev","points"}.
 * An instance object: {"name","cpu_percent","cpu_per_core":[...],
 * "mem_percent","load_average":[...],"net":[{"interface",
 * "rx_bytes_per_s","tx_bytes_per_s"}],"disk":[{"device",
 * "read_bytes_per_s","write_bytes_per_s"}],...}.  Values not measured
 * (yet, or not readable) are null. */
struct cJSON *stats_json_instance(const struct stats_sampler *s,
				  const char *instance, int period);
/* Array of {"namespec","instance","pid","cpu_percent","mem_percent",
 * "rss_bytes","threads","read_bytes_per_s","write_bytes_per_s",
 * "tcp_rx_bytes_per_s","tcp_tx_bytes_per_s",...}; FILTER is NULL, a
 * namespec, or "app:*". */
struct cJSON *stats_json_processes(const struct stats_sampler *s,
				   const char *instance, int period,
				   const char *filter);
/* Array of {"name","cpu_percent","mem_percent","rss_bytes","processes",
 * "window"}: sums over the application's processes on this instance. */
struct cJSON *stats_json_applications(const struct stats_sampler *s, int period,
				      const char *filter);
/* The applications of a "processes" array gathered from any number of
 * instances (pure: sums the latest values, and the means and slopes,
 * which add up; rates and standard deviations do not and are left out). */
struct cJSON *stats_json_sum_applications(const struct cJSON *processes);
/* {"instances":[...],"processes":[...],"applications":[...]} for this
 * instance, the body of GET /v1/stats; WHAT selects the members
 * (STATS_HOST for instances, STATS_PROCESS for processes and
 * applications).  A string to free(). */
char *stats_json_render(const struct stats_sampler *s, const char *instance,
			unsigned what, int period, const char *filter);

#endif
