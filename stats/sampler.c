/*
 * sampler: the sampling cycle, the integration of every series into its
 * periods, and the public API of stats.h.  The node's figures are in
 * node.c, the processes' in proc.c, the series in series.c.
 */
#include "stats/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/util.h"

/* ------------------------------------------------------------ cycle */

static void
integrate(struct stats_sampler *s, size_t p)
{
	struct node *n = &s->node;
	size_t i;

	if (s->conf.enabled & STATS_HOST) {
		stats_series_integrate(&n->cpu, p);
		stats_series_integrate(&n->mem, p);
		for (i = 0; i < n->ncpus; i++)
			if (n->cpus[i].present)
				stats_series_integrate(&n->cpus[i].s, p);
		for (i = 0; i < n->nifaces; i++) {
			stats_series_integrate(&n->ifaces[i].srx, p);
			stats_series_integrate(&n->ifaces[i].stx, p);
		}
		for (i = 0; i < n->ndisks; i++) {
			stats_series_integrate(&n->disks[i].srd, p);
			stats_series_integrate(&n->disks[i].swr, p);
		}
	}
	if (!(s->conf.enabled & STATS_PROCESS))
		return;
	for (i = 0; i < s->nprocs; i++) {
		struct proc *q = s->procs[i];

		if (!q->alive)
			continue;
		stats_series_integrate(&q->cpu, p);
		stats_series_integrate(&q->mem, p);
		stats_series_integrate(&q->rss_s, p);
		stats_series_integrate(&q->threads_s, p);
		if (q->io_readable) {
			stats_series_integrate(&q->rd, p);
			stats_series_integrate(&q->wr, p);
		}
		if (s->tcp != NULL) {
			stats_series_integrate(&q->trx, p);
			stats_series_integrate(&q->ttx, p);
		}
	}
	stats_apps_integrate(s, p);
}

int
stats_sampler_sample(struct stats_sampler *s, int64_t now_ns,
		     const struct stats_target *targets, size_t n)
{
	int64_t period_ns = s->conf.collecting_period_ms * NSEC_PER_MSEC;
	double dt;
	size_t i;
	int r = 0;

	if (s->has_last && now_ns - s->last_ns < period_ns - period_ns / 10)
		return 0;
	dt = s->has_last ? (double)(now_ns - s->last_ns) / NSEC_PER_SEC : 0;
	s->gen++;
	stats_node_capacity(s, now_ns);
	if (s->conf.enabled & STATS_HOST)
		r = stats_node_sample(s, dt);
	if (s->conf.enabled & STATS_PROCESS) {
		s->nuids = 0;
		stats_procs_sync(s, targets, n);
		for (i = 0; i < s->nprocs; i++)
			stats_proc_read(s, s->procs[i]);
		stats_procs_verify(s);
		for (i = 0; i < s->nprocs; i++)
			stats_proc_commit(s, s->procs[i], now_ns, dt);
		if (s->tcp != NULL)
			stats_procs_tcp(s, now_ns, dt);
		stats_apps_sample(s);
	}
	for (i = 0; i < s->conf.nperiods; i++) {
		int64_t pns = s->conf.periods_ms[i] * NSEC_PER_MSEC;

		/* half a collecting period early is on time: a 10 s period
		 * sampled every 1 s must not slip to 11 s on timer jitter */
		if (s->started[i] &&
		    now_ns - s->ref_ns[i] < pns - period_ns / 2)
			continue;
		integrate(s, i);
		s->ref_ns[i] = now_ns;
		s->started[i] = true;
	}
	s->last_ns = now_ns;
	s->has_last = true;
	return r < 0 ? r : 1;
}

int64_t
stats_sampler_next_ns(const struct stats_sampler *s)
{
	int64_t period_ns = s->conf.collecting_period_ms * NSEC_PER_MSEC;

	return s->has_last ? s->last_ns + period_ns - period_ns / 10 : 0;
}

/* ------------------------------------------------------------ setup */

static int
check_config(const struct stats_config *c)
{
	size_t i;

	if (c->enabled & ~(unsigned)(STATS_HOST | STATS_PROCESS))
		return -EINVAL;
	if (c->collecting_period_ms < STATS_PERIOD_MIN_MS ||
	    c->collecting_period_ms > STATS_PERIOD_MAX_MS || c->nperiods < 1 ||
	    c->nperiods > STATS_PERIODS_MAX || c->history < STATS_HISTORY_MIN ||
	    c->history > STATS_HISTORY_MAX)
		return -ERANGE;
	for (i = 0; i < c->nperiods; i++)
		if (c->periods_ms[i] < STATS_PERIOD_MIN_MS ||
		    c->periods_ms[i] > STATS_PERIOD_MAX_MS)
			return -ERANGE;
	return 0;
}

static void
raise_nofile(void)
{
	struct rlimit rl;

	/* every supervised process and descendant holds up to three fds
	 * (stat, children, a pidfd): use the hard limit the admin allows */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int
stats_sampler_open(const struct stats_config *conf, const char *proc_root,
		   const char *sys_root, unsigned flags,
		   struct stats_sampler **ret)
{
	struct stats_sampler *s;
	long tck, page;
	size_t i;
	int r;

	if ((r = check_config(conf)) < 0)
		return r;
	s = xcalloc(1, sizeof(*s));
	s->conf = *conf;
	s->flags = flags;
	s->sysfd = -1;
	s->epfd = -1;
	s->snmpfd = -1;
	s->node.stat_fd = s->node.meminfo_fd = s->node.loadavg_fd = -1;
	s->node.diskstats_fd = -1;
	for (i = 0; i < PSI_MAX; i++)
		s->node.psi_fd[i] = -1;
	s->procfd = open(proc_root ? proc_root : "/proc",
			 O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->procfd < 0) {
		r = -errno;
		goto fail;
	}
	/* sysfs is optional: without it, no whole-disk filter, no limits */
	s->sysfd = open(sys_root ? sys_root : "/sys",
			O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	tck = sysconf(_SC_CLK_TCK);
	page = sysconf(_SC_PAGESIZE);
	s->clk_tck = tck > 0 ? (double)tck : 100;
	/* CPU clocks are addressed by pid in our own pid namespace: only
	 * when the root is the real /proc */
	s->cpu_clock = proc_root == NULL || strcmp(proc_root, "/proc") == 0;
	s->page_size = page > 0 ? (uint64_t)page : 4096;
	/* without it every pidfd is asked on its own (member_same) */
	if (s->cpu_clock)
		s->epfd = epoll_create1(EPOLL_CLOEXEC);
	for (i = 0; i < STATS_PERIODS_MAX; i++)
		s->started[i] = false;
	stats_series_init(&s->node.cpu, SERIES_RATIO, 100, conf->history);
	stats_series_init(&s->node.mem, SERIES_GAUGE, 1, conf->history);
	if (!(flags & STATS_NO_NETLINK)) {
		/* unavailable netlink (seccomp, odd sandboxes) only costs
		 * the network figures */
		if (stats_links_open(&s->links) < 0)
			s->links = NULL;
		if (stats_tcp_open(&s->tcp) < 0)
			s->tcp = NULL;
		/* without it, a dump every cycle */
		if (s->tcp != NULL)
			s->snmpfd = openat(s->procfd, "net/snmp",
					   O_RDONLY | O_CLOEXEC);
	}
	raise_nofile();
	*ret = s;
	return 0;
fail:
	stats_sampler_free(s);
	return r;
}

struct stats_sampler *
stats_sampler_free(struct stats_sampler *s)
{
	if (s == NULL)
		return NULL;
	stats_procs_free(s);
	stats_node_reset(s);
	stats_series_done(&s->node.cpu);
	stats_series_done(&s->node.mem);
	stats_node_close_fds(&s->node);
	free(s->node.tmp);
	stats_map_done(&s->members_by_pid);
	stats_map_done(&s->socks);
	stats_map_done(&s->inodes);
	stats_links_free(s->links);
	stats_tcp_free(s->tcp);
	free(s->procs);
	free(s->apps);
	free(s->dump);
	free(s->pids);
	free(s->walk);
	procfs_buf_done(&s->buf);
	if (s->procfd >= 0)
		close(s->procfd);
	if (s->sysfd >= 0)
		close(s->sysfd);
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->snmpfd >= 0)
		close(s->snmpfd);
	free(s);
	return NULL;
}

void
stats_sampler_set_enabled(struct stats_sampler *s, unsigned enabled)
{
	enabled &= STATS_HOST | STATS_PROCESS;
	if ((s->conf.enabled & STATS_HOST) && !(enabled & STATS_HOST))
		stats_node_reset(s);
	if ((s->conf.enabled & STATS_PROCESS) && !(enabled & STATS_PROCESS))
		stats_procs_free(s);
	s->conf.enabled = enabled;
}

unsigned
stats_sampler_enabled(const struct stats_sampler *s)
{
	return s->conf.enabled;
}

int
stats_sampler_set_period(struct stats_sampler *s, int64_t ms)
{
	if (ms < STATS_PERIOD_MIN_MS || ms > STATS_PERIOD_MAX_MS)
		return -ERANGE;
	s->conf.collecting_period_ms = ms;
	return 0;
}

const struct stats_config *
stats_sampler_config(const struct stats_sampler *s)
{
	return &s->conf;
}

int
stats_sampler_reconfigure(struct stats_sampler *s,
			  const struct stats_config *conf)
{
	const struct stats_config *old = &s->conf;
	size_t i;
	int r;

	if ((r = check_config(conf)) < 0)
		return r;
	if (conf->nperiods != old->nperiods || conf->history != old->history ||
	    conf->irix_mode != old->irix_mode ||
	    memcmp(conf->periods_ms, old->periods_ms,
		   conf->nperiods * sizeof(conf->periods_ms[0])) != 0) {
		/* every series is rebuilt by the next sample with the new
		 * depth and periods */
		stats_procs_free(s);
		s->conf = *conf;
		stats_node_reset(s);
		for (i = 0; i < STATS_PERIODS_MAX; i++)
			s->started[i] = false;
		return 0;
	}
	stats_sampler_set_enabled(s, conf->enabled);
	s->conf.collecting_period_ms = conf->collecting_period_ms;
	return 0;
}

int
stats_sampler_node(const struct stats_sampler *s, int period,
		   struct stats_node_summary *ret)
{
	struct stats_node_summary n = {0};
	struct stats_figures f;

	if (period >= (int)s->conf.nperiods)
		return -ERANGE;
	n.cpu_capacity = stats_node_cores(s);
	n.mem_capacity = stats_node_mem_capacity(s);
	n.valid = stats_series_value(&s->node.cpu, period, &n.cpu_percent) &&
		  stats_series_value(&s->node.mem, period, &n.mem_percent);
	stats_series_figures(&s->node.cpu, period, &f);
	n.cpu_mean = period < 0 ? n.cpu_percent : f.mean;
	*ret = n;
	return 0;
}

int
stats_sampler_process(const struct stats_sampler *s, const char *namespec,
		      int period, struct stats_proc_summary *ret)
{
	const struct proc *p = stats_proc_find(s, namespec);
	struct stats_proc_summary r = {0};
	double v;

	if (p == NULL)
		return -ENOENT;
	if (period >= (int)s->conf.nperiods)
		return -ERANGE;
	r.pid = p->pid;
	r.processes = (unsigned)p->nmembers;
	r.valid =
		p->alive && stats_series_value(&p->cpu, period, &r.cpu_percent);
	if (r.valid && !s->conf.irix_mode)
		r.cpu_percent /= stats_node_cores(s);
	if (stats_series_value(&p->mem, period, &v))
		r.mem_percent = v;
	if (stats_series_value(&p->rss_s, period, &v))
		r.rss_bytes = (uint64_t)v;
	if (stats_series_value(&p->threads_s, period, &v))
		r.threads = (unsigned)v;
	*ret = r;
	return 0;
}
