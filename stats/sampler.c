/*
 * sampler: node and process sampling and the integration of every series
 * into its period histories.  See stats.h for the contract and
 * reference/stats.md for the formulas and their sources.
 *
 * Costs drive the shape (tests/bench/bench_stats.sh).  Each cycle, a
 * supervised process and each descendant cost one pread of a held
 * children file (which also proves the pid is still that process: held
 * /proc fds fail with ESRCH once it is gone) and one clock_gettime of
 * its CPU clock (ns, all threads); the dearer /proc/PID/stat (RSS,
 * threads) and io are read every fifth cycle, processes taking turns.
 * Nothing ever scans /proc.  The fd maps needed to attribute TCP sockets
 * are walked only when a socket the kernel reports belongs to the uid of
 * a supervised process and is not known yet, and at most every
 * FD_SCAN_INTERVAL_NS.  TCP bytes are credited as per-socket deltas, so
 * a closing socket never makes a total drop, and the final counters of
 * sockets closed between two dumps come from the sock_diag destroy
 * events, matched by cookie to the owner seen at the last dump.
 */
#include "stats/internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"

#define CAPACITY_INTERVAL_NS (30 * NSEC_PER_SEC)
#define FD_SCAN_INTERVAL_NS (5 * NSEC_PER_SEC)
#define SECTOR_BYTES 512
#define IO_EVERY 5
#define STAT_EVERY 5

static const char *const psi_files[PSI_MAX] = {
	"pressure/cpu", "pressure/memory", "pressure/io",
};

/* ------------------------------------------------------------ series */

static void
series_init(struct series *s, enum series_kind kind, double scale,
	    unsigned history)
{
	size_t i;

	*s = (struct series){.kind = kind, .scale = scale};
	for (i = 0; i < STATS_PERIODS_MAX; i++)
		stats_window_init(&s->win[i], history);
}

static void
series_done(struct series *s)
{
	size_t i;

	for (i = 0; i < STATS_PERIODS_MAX; i++)
		stats_window_done(&s->win[i]);
}

static void
series_gauge(struct series *s, double v)
{
	s->num = v;
	s->inst = v;
	s->has_inst = true;
}

/* Counters only grow: the caller passes non-negative deltas. */
static void
series_add(struct series *s, double dnum, double dden)
{
	s->num += dnum;
	s->den += dden;
	s->has_inst = dden > 0;
	s->inst = dden > 0 ? s->scale * dnum / dden : 0;
}

static void
series_integrate(struct series *s, size_t p)
{
	if (s->kind == SERIES_GAUGE) {
		if (s->ref[p].set && s->has_inst)
			stats_window_push(&s->win[p], s->num);
		s->ref[p].set = s->has_inst;
		return;
	}
	if (s->ref[p].set && s->den > s->ref[p].den)
		stats_window_push(&s->win[p], s->scale * (s->num - s->ref[p].num) /
						      (s->den - s->ref[p].den));
	s->ref[p].num = s->num;
	s->ref[p].den = s->den;
	s->ref[p].set = true;
}

bool
series_value(const struct series *s, int period, double *ret)
{
	const struct stats_window *w;

	if (period < 0) {
		*ret = s->inst;
		return s->has_inst;
	}
	w = &s->win[period];
	if (w->len == 0)
		return false;
	*ret = stats_window_at(w, w->len - 1);
	return true;
}

void
series_figures(const struct series *s, int period, struct stats_figures *ret)
{
	if (period < 0) {
		*ret = (struct stats_figures){0};
		return;
	}
	stats_window_figures(&s->win[period], ret);
}

static uint64_t
delta(uint64_t cur, uint64_t prev)
{
	/* a counter that went down was reset (driver reload, new device):
	 * everything it holds is new (reference/stats.md §5.2) */
	return cur >= prev ? cur - prev : cur;
}

/* ------------------------------------------------------------ node */

static void
node_close_fds(struct node *n)
{
	int *fds[] = {&n->stat_fd, &n->meminfo_fd, &n->loadavg_fd,
		      &n->diskstats_fd, &n->psi_fd[0], &n->psi_fd[1],
		      &n->psi_fd[2]};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fds); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

static void
node_reset(struct stats_sampler *s)
{
	struct node *n = &s->node;
	size_t i;

	series_done(&n->cpu);
	series_done(&n->mem);
	for (i = 0; i < n->ncpus; i++)
		series_done(&n->cpus[i].s);
	for (i = 0; i < n->nifaces; i++) {
		series_done(&n->ifaces[i].srx);
		series_done(&n->ifaces[i].stx);
	}
	for (i = 0; i < n->ndisks; i++) {
		series_done(&n->disks[i].srd);
		series_done(&n->disks[i].swr);
	}
	free(n->cpus);
	free(n->ifaces);
	free(n->disks);
	n->cpus = NULL;
	n->ifaces = NULL;
	n->disks = NULL;
	n->ncpus = n->nifaces = n->ndisks = 0;
	n->has_prev = n->has_meminfo = n->has_load = false;
	memset(n->has_psi, 0, sizeof(n->has_psi));
	series_init(&n->cpu, SERIES_RATIO, 100, s->conf.history);
	series_init(&n->mem, SERIES_GAUGE, 1, s->conf.history);
}

static int
open_node_file(struct stats_sampler *s, int *fd, const char *path)
{
	if (*fd >= 0)
		return 0;
	*fd = openat(s->procfd, path, O_RDONLY | O_CLOEXEC);
	return *fd < 0 ? -errno : 0;
}

static void
cpu_deltas(const struct procfs_cpu_times *cur,
	   const struct procfs_cpu_times *prev, double *ret_busy,
	   double *ret_total)
{
	/* per field, clamped: NO_HZ idle and iowait may step back a tick */
	const uint64_t *c = &cur->user, *p = &prev->user;
	double busy = 0, idle = 0;
	size_t i;

	for (i = 0; i < 8; i++) {
		double d = c[i] > p[i] ? (double)(c[i] - p[i]) : 0;

		if (i == 3 || i == 4) /* idle, iowait */
			idle += d;
		else
			busy += d;
	}
	*ret_busy = busy;
	*ret_total = busy + idle;
}

static int
node_cpu(struct stats_sampler *s)
{
	struct node *n = &s->node;
	struct procfs_cpu_times total;
	size_t count, i;
	double busy, all;
	int r;

	if ((r = open_node_file(s, &n->stat_fd, "stat")) < 0 ||
	    (r = procfs_pread_all(n->stat_fd, &s->buf)) < 0)
		return r;
	for (;;) {
		r = procfs_parse_stat(s->buf.p, s->buf.len, &total, n->tmp,
				      n->tmpcap, &count);
		if (r < 0)
			return r;
		if (count <= n->tmpcap)
			break;
		if (count > 65536)
			return -ERANGE;
		n->tmpcap = count;
		n->tmp = xreallocarray(n->tmp, count, sizeof(*n->tmp));
	}
	if (n->has_prev) {
		cpu_deltas(&total, &n->prev, &busy, &all);
		series_add(&n->cpu, busy, all);
	} else {
		series_add(&n->cpu, 0, 0);
	}
	n->prev = total;
	n->has_prev = true;
	for (i = 0; i < n->ncpus; i++)
		n->cpus[i].present = false;
	for (i = 0; i < count; i++) {
		const struct procfs_cpu *c = &n->tmp[i];
		struct node_cpu *slot;

		if (c->index > 65535)
			continue;
		if (c->index >= n->ncpus) {
			size_t k, want = (size_t)c->index + 1;

			n->cpus = xreallocarray(n->cpus, want, sizeof(*n->cpus));
			for (k = n->ncpus; k < want; k++) {
				n->cpus[k] = (struct node_cpu){0};
				series_init(&n->cpus[k].s, SERIES_RATIO, 100,
					    s->conf.history);
			}
			n->ncpus = want;
		}
		slot = &n->cpus[c->index];
		slot->present = true;
		/* a CPU back from offline restarts from a new baseline */
		if (slot->has_prev &&
		    procfs_cpu_idle(&c->t) + 300 < procfs_cpu_idle(&slot->prev))
			slot->has_prev = false;
		if (slot->has_prev) {
			cpu_deltas(&c->t, &slot->prev, &busy, &all);
			series_add(&slot->s, busy, all);
		} else {
			series_add(&slot->s, 0, 0);
		}
		slot->prev = c->t;
		slot->has_prev = true;
	}
	for (i = 0; i < n->ncpus; i++)
		if (!n->cpus[i].present) {
			n->cpus[i].has_prev = false;
			n->cpus[i].s.has_inst = false;
		}
	return 0;
}

static int
node_memory(struct stats_sampler *s)
{
	struct node *n = &s->node;
	struct procfs_meminfo m;
	int r;

	if ((r = open_node_file(s, &n->meminfo_fd, "meminfo")) < 0 ||
	    (r = procfs_pread_all(n->meminfo_fd, &s->buf)) < 0 ||
	    (r = procfs_parse_meminfo(s->buf.p, s->buf.len, &m)) < 0)
		return r;
	n->meminfo = m;
	n->has_meminfo = true;
	/* psutil's virtual_memory().percent, which Supvisors publishes */
	series_gauge(&n->mem, 100.0 * (double)(m.total - MIN(m.available,
							     m.total)) /
				      (double)m.total);
	return 0;
}

static void
node_load_psi(struct stats_sampler *s)
{
	struct node *n = &s->node;
	size_t i;

	n->has_load = open_node_file(s, &n->loadavg_fd, "loadavg") == 0 &&
		      procfs_pread_all(n->loadavg_fd, &s->buf) == 0 &&
		      procfs_parse_loadavg(s->buf.p, s->buf.len, &n->load) == 0;
	/* PSI is absent without CONFIG_PSI or with psi=0 (EOPNOTSUPP) */
	for (i = 0; i < PSI_MAX; i++)
		n->has_psi[i] =
			open_node_file(s, &n->psi_fd[i], psi_files[i]) == 0 &&
			procfs_pread_all(n->psi_fd[i], &s->buf) == 0 &&
			procfs_parse_pressure(s->buf.p, s->buf.len,
					      &n->psi[i]) == 0;
}

struct disk_ctx {
	struct stats_sampler *s;
	double dt;
};

static bool
is_whole_disk(struct stats_sampler *s, const char *name)
{
	char path[64];

	/* partitions are not in /sys/block: summing them counts twice */
	snprintf(path, sizeof(path), "block/%s", name);
	return faccessat(s->sysfd, path, F_OK, 0) == 0;
}

static int
on_disk(const struct procfs_disk *d, void *arg)
{
	struct disk_ctx *ctx = arg;
	struct stats_sampler *s = ctx->s;
	struct node *n = &s->node;
	struct node_disk *k = NULL;
	size_t i;

	for (i = 0; i < n->ndisks; i++)
		if (strcmp(n->disks[i].name, d->name) == 0) {
			k = &n->disks[i];
			break;
		}
	if (k == NULL) {
		/* idle loop and ram devices would only add rows of zeros */
		if (d->reads + d->writes == 0 || !is_whole_disk(s, d->name))
			return 0;
		n->disks = xreallocarray(n->disks, n->ndisks + 1,
					 sizeof(*n->disks));
		k = &n->disks[n->ndisks++];
		*k = (struct node_disk){.rd = d->sectors_read,
					.wr = d->sectors_written};
		snprintf(k->name, sizeof(k->name), "%s", d->name);
		series_init(&k->srd, SERIES_RATIO, SECTOR_BYTES,
			    s->conf.history);
		series_init(&k->swr, SERIES_RATIO, SECTOR_BYTES,
			    s->conf.history);
		series_add(&k->srd, 0, 0);
		series_add(&k->swr, 0, 0);
	} else {
		series_add(&k->srd, (double)delta(d->sectors_read, k->rd),
			   ctx->dt);
		series_add(&k->swr, (double)delta(d->sectors_written, k->wr),
			   ctx->dt);
		k->rd = d->sectors_read;
		k->wr = d->sectors_written;
	}
	k->gen = s->gen;
	return 0;
}

static int
node_disks(struct stats_sampler *s, double dt)
{
	struct node *n = &s->node;
	struct disk_ctx ctx = {s, dt};
	size_t i, j;
	int r;

	if ((r = open_node_file(s, &n->diskstats_fd, "diskstats")) < 0 ||
	    (r = procfs_pread_all(n->diskstats_fd, &s->buf)) < 0)
		return r;
	r = procfs_parse_diskstats(s->buf.p, s->buf.len, on_disk, &ctx);
	for (i = j = 0; i < n->ndisks; i++) {
		if (n->disks[i].gen == s->gen) {
			n->disks[j++] = n->disks[i];
		} else {
			series_done(&n->disks[i].srd);
			series_done(&n->disks[i].swr);
		}
	}
	n->ndisks = j;
	return r < 0 ? r : 0;
}

static void
on_link(const struct stats_link *l, void *arg)
{
	struct disk_ctx *ctx = arg;
	struct stats_sampler *s = ctx->s;
	struct node *n = &s->node;
	struct node_iface *f = NULL;
	size_t i;

	/* Supvisors shows only interfaces that are up */
	if (!l->up)
		return;
	for (i = 0; i < n->nifaces; i++)
		if (n->ifaces[i].ifindex == l->ifindex &&
		    strcmp(n->ifaces[i].name, l->name) == 0) {
			f = &n->ifaces[i];
			break;
		}
	if (f == NULL) {
		n->ifaces = xreallocarray(n->ifaces, n->nifaces + 1,
					  sizeof(*n->ifaces));
		f = &n->ifaces[n->nifaces++];
		*f = (struct node_iface){.ifindex = l->ifindex,
					 .rx = l->rx_bytes,
					 .tx = l->tx_bytes};
		snprintf(f->name, sizeof(f->name), "%s", l->name);
		series_init(&f->srx, SERIES_RATIO, 1, s->conf.history);
		series_init(&f->stx, SERIES_RATIO, 1, s->conf.history);
		series_add(&f->srx, 0, 0);
		series_add(&f->stx, 0, 0);
	} else {
		series_add(&f->srx, (double)delta(l->rx_bytes, f->rx), ctx->dt);
		series_add(&f->stx, (double)delta(l->tx_bytes, f->tx), ctx->dt);
		f->rx = l->rx_bytes;
		f->tx = l->tx_bytes;
	}
	f->gen = s->gen;
}

static int
node_links(struct stats_sampler *s, double dt)
{
	struct node *n = &s->node;
	struct disk_ctx ctx = {s, dt};
	size_t i, j;
	int r;

	if (s->links == NULL)
		return 0;
	r = stats_links_read(s->links, on_link, &ctx);
	/* interfaces that went away or down (renames keep the ifindex but
	 * change the key: a new series, as psutil's nowrap does) */
	for (i = j = 0; i < n->nifaces; i++) {
		if (n->ifaces[i].gen == s->gen) {
			n->ifaces[j++] = n->ifaces[i];
		} else {
			series_done(&n->ifaces[i].srx);
			series_done(&n->ifaces[i].stx);
		}
	}
	n->nifaces = j;
	return r;
}

/* Walk the cgroup from PATH up to the root under DIR, reading FILE in
 * each and keeping the smallest limit. */
static void
cgroup_walk(struct stats_sampler *s, const char *dir, const char *cgpath,
	    const char *file, const char *file2, double *cores,
	    uint64_t *bytes)
{
	char path[1200], rel[600];
	struct procfs_buf b2 = PROCFS_BUF_INIT;
	size_t len;

	snprintf(rel, sizeof(rel), "%s", cgpath);
	for (;;) {
		len = strlen(rel);
		while (len > 0 && rel[len - 1] == '/')
			rel[--len] = '\0';
		snprintf(path, sizeof(path), "%s%s/%s", dir, rel, file);
		if (procfs_read_at(s->sysfd, path, &s->buf) == 0) {
			double c = 0;
			uint64_t m = 0;

			if (cores != NULL && file2 == NULL &&
			    procfs_parse_cpu_max(s->buf.p, s->buf.len, &c) == 0 &&
			    c > 0 && (*cores == 0 || c < *cores))
				*cores = c;
			if (cores != NULL && file2 != NULL) {
				snprintf(path, sizeof(path), "%s%s/%s", dir, rel,
					 file2);
				if (procfs_read_at(s->sysfd, path, &b2) == 0 &&
				    procfs_parse_cfs_quota(s->buf.p, s->buf.len,
							   b2.p, b2.len,
							   &c) == 0 &&
				    c > 0 && (*cores == 0 || c < *cores))
					*cores = c;
			}
			if (bytes != NULL &&
			    procfs_parse_mem_limit(s->buf.p, s->buf.len, &m) ==
				    0 &&
			    m > 0 && (*bytes == 0 || m < *bytes))
				*bytes = m;
		}
		if (len == 0)
			break;
		*strrchr(rel, '/') = '\0';
	}
	procfs_buf_done(&b2);
}

static void
node_capacity(struct stats_sampler *s, int64_t now_ns)
{
	struct node *n = &s->node;
	struct procfs_cgroup cg;
	const char *v2dir;
	double cores = 0;
	uint64_t bytes = 0;
	unsigned online = 0;

	if (n->has_capacity && now_ns - n->capacity_ns < CAPACITY_INTERVAL_NS)
		return;
	n->capacity_ns = now_ns;
	n->has_capacity = true;
	if (procfs_read_at(s->sysfd, "devices/system/cpu/online", &s->buf) ==
		    0 &&
	    procfs_parse_cpu_list(s->buf.p, s->buf.len, &online) == 0 &&
	    online > 0)
		n->online = online;
	else if (n->online == 0)
		n->online = (unsigned)MAX(sysconf(_SC_NPROCESSORS_ONLN), 1);
	if (procfs_read_at(s->procfd, "self/cgroup", &s->buf) == 0 &&
	    procfs_parse_cgroup(s->buf.p, s->buf.len, &cg) == 0) {
		/* pure v2 mounts at fs/cgroup, hybrid at fs/cgroup/unified */
		v2dir = faccessat(s->sysfd, "fs/cgroup/cgroup.controllers", F_OK,
				  0) == 0 ? "fs/cgroup" : "fs/cgroup/unified";
		if (cg.v2[0] != '\0') {
			cgroup_walk(s, v2dir, cg.v2, "cpu.max", NULL, &cores,
				    NULL);
			cgroup_walk(s, v2dir, cg.v2, "memory.max", NULL, NULL,
				    &bytes);
		}
		if (cg.cpu[0] != '\0') {
			cgroup_walk(s, "fs/cgroup/cpu", cg.cpu,
				    "cpu.cfs_quota_us", "cpu.cfs_period_us",
				    &cores, NULL);
			cgroup_walk(s, "fs/cgroup/cpu,cpuacct", cg.cpu,
				    "cpu.cfs_quota_us", "cpu.cfs_period_us",
				    &cores, NULL);
		}
		if (cg.memory[0] != '\0')
			cgroup_walk(s, "fs/cgroup/memory", cg.memory,
				    "memory.limit_in_bytes", NULL, NULL,
				    &bytes);
	}
	n->quota_cores = cores;
	n->mem_limit = bytes;
}

double
sampler_cores(const struct stats_sampler *s)
{
	const struct node *n = &s->node;
	double c = n->online ? n->online : 1;

	if (n->quota_cores > 0 && n->quota_cores < c)
		c = n->quota_cores;
	return c;
}

uint64_t
sampler_mem_capacity(const struct stats_sampler *s)
{
	const struct node *n = &s->node;
	uint64_t total = n->has_meminfo ? n->meminfo.total : 0;

	if (n->mem_limit > 0 && (total == 0 || n->mem_limit < total))
		return n->mem_limit;
	return total;
}

static int
node_sample(struct stats_sampler *s, double dt)
{
	int r, err = 0;

	if ((r = node_cpu(s)) < 0)
		err = r;
	if ((r = node_memory(s)) < 0 && err == 0)
		err = r;
	node_load_psi(s);
	if ((r = node_disks(s, dt)) < 0 && err == 0)
		err = r;
	node_links(s, dt);
	return err;
}

/* ------------------------------------------------------------ members */

static void
member_free(struct stats_sampler *s, struct member *m)
{
	if (m == NULL)
		return;
	if (stats_map_get(&s->members_by_pid, (uint64_t)m->pid) == m)
		stats_map_del(&s->members_by_pid, (uint64_t)m->pid);
	if (m->iofd >= 0)
		close(m->iofd);
	if (m->childfd >= 0)
		close(m->childfd);
	if (m->statfd >= 0)
		close(m->statfd);
	free(m);
}

/* Opens /proc/PID/NAME... relative to the sampler's /proc. */
static int
open_pid_file(struct stats_sampler *s, pid_t pid, const char *name, int flags)
{
	char path[64];

	snprintf(path, sizeof(path), "%d/%s", (int)pid, name);
	return openat(s->procfd, path, flags | O_RDONLY | O_CLOEXEC);
}

static struct member *
member_open(struct stats_sampler *s, struct proc *p, pid_t pid)
{
	struct member *m;
	struct stat st;
	char name[48];
	int dirfd;

	snprintf(name, sizeof(name), "%d", (int)pid);
	dirfd = openat(s->procfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return NULL;
	m = xcalloc(1, sizeof(*m));
	*m = (struct member){.pid = pid, .statfd = -1, .childfd = -1,
			     .iofd = -1, .owner = p};
	if (fstat(dirfd, &st) == 0)
		m->uid = (uint32_t)st.st_uid;
	/* the held files are the identity: once the process is gone every
	 * pread on them fails with ESRCH, even if the pid is reused; the
	 * directory itself is not kept, to stay at three fds per process
	 * (5000 processes fit under a 20000 fd limit) */
	m->statfd = openat(dirfd, "stat", O_RDONLY | O_CLOEXEC);
	snprintf(name, sizeof(name), "task/%d/children", (int)pid);
	m->childfd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	m->iofd = openat(dirfd, "io", O_RDONLY | O_CLOEXEC);
	/* ptrace-gated: another uid, or not dumpable; the answer will not
	 * change, so it is not asked again */
	if (m->iofd < 0 && (errno == EACCES || errno == EPERM))
		m->io_denied = true;
	close(dirfd);
	if (m->statfd < 0) {
		member_free(s, m);
		return NULL;
	}
	if (stats_map_get(&s->members_by_pid, (uint64_t)pid) == NULL)
		stats_map_put(&s->members_by_pid, (uint64_t)pid, m);
	m->fresh = true;
	return m;
}

/* Reads stat; 0, or -ESRCH/-ENOENT when the process is gone. */
static int
member_read_stat(struct stats_sampler *s, struct member *m, uint64_t *ret_cpu)
{
	struct procfs_pid_stat st;
	int r;

	if ((r = procfs_pread_all(m->statfd, &s->buf)) < 0)
		return r;
	if ((r = procfs_parse_pid_stat(s->buf.p, s->buf.len, &st)) < 0)
		return r;
	if (st.state == 'X')
		return -ESRCH;
	m->threads = st.threads;
	m->rss_pages = st.rss_pages;
	*ret_cpu = st.utime + st.stime;
	return 0;
}

/* The whole thread group's CPU time in ns (live and exited threads), by
 * pid: call it only right after a held fd proved the pid is still this
 * process. */
/* The whole thread group's CPU time in ns (live and exited threads), by
 * pid: call it only right after a held fd proved the pid is still this
 * process.  The clock id is built as the kernel defines it
 * (MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED), part of the ABI that
 * glibc's clock_getcpuclockid uses), which spares the clock_getres
 * system call glibc makes to check the pid. */
static int
member_cpu_ns(const struct member *m, uint64_t *ret)
{
	clockid_t cid = (clockid_t)((~(unsigned)m->pid << 3) | 2);
	struct timespec ts;

	if (clock_gettime(cid, &ts) != 0)
		return -ESRCH;
	*ret = (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
	return 0;
}

static void
member_read_io(struct stats_sampler *s, struct member *m, uint64_t *ret_rd,
	       uint64_t *ret_wr, bool *ret_ok)
{
	struct procfs_pid_io io;

	*ret_ok = false;
	if (m->io_denied || m->iofd < 0)
		return;
	if (procfs_pread_all(m->iofd, &s->buf) < 0 ||
	    procfs_parse_pid_io(s->buf.p, s->buf.len, &io) < 0) {
		if (errno == EACCES || errno == EPERM)
			m->io_denied = true;
		return;
	}
	*ret_rd = io.read_bytes;
	*ret_wr = io.write_bytes;
	*ret_ok = true;
}

static int
pids_append(struct stats_sampler *s, size_t *n, const char *buf, size_t len)
{
	int count;

	for (;;) {
		count = procfs_parse_pid_list(buf, len, s->pids + *n,
					      s->pidcap - *n);
		if (count < 0)
			return count;
		if ((size_t)count <= s->pidcap - *n)
			break;
		s->pidcap = *n + (size_t)count + 64;
		s->pids = xreallocarray(s->pids, s->pidcap, sizeof(*s->pids));
	}
	*n += (size_t)count;
	return 0;
}

/* The children of every thread of M into s->pids[0..*ret_n). */
static int
member_children(struct stats_sampler *s, struct member *m, size_t *ret_n)
{
	char path[48];
	size_t n = 0;
	struct dirent *de;
	DIR *d;
	int fd, r;

	if (m->threads <= 1) {
		if (m->childfd < 0)
			return -ENOENT;
		if ((r = procfs_pread_all(m->childfd, &s->buf)) < 0)
			return r;
		if ((r = pids_append(s, &n, s->buf.p, s->buf.len)) < 0)
			return r;
		*ret_n = n;
		return 0;
	}
	/* threads fork too: each has its own children file */
	/* by number: the stat pread just before proved the pid is still
	 * this process */
	fd = open_pid_file(s, m->pid, "task", O_DIRECTORY);
	if (fd < 0)
		return -errno;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "%.20s/children", de->d_name);
		if (procfs_read_at(dirfd(d), path, &s->buf) == 0)
			pids_append(s, &n, s->buf.p, s->buf.len);
	}
	closedir(d);
	*ret_n = n;
	return 0;
}

/* ------------------------------------------------------------ procs */

static void
proc_series_init(struct stats_sampler *s, struct proc *p)
{
	unsigned h = s->conf.history;

	/* CPU in ns from the clock, in ticks from stat without it */
	series_init(&p->cpu, SERIES_RATIO,
		    s->cpu_clock ? 100.0 / NSEC_PER_SEC : 100.0 / s->clk_tck, h);
	series_init(&p->mem, SERIES_GAUGE, 1, h);
	series_init(&p->rss_s, SERIES_GAUGE, 1, h);
	series_init(&p->threads_s, SERIES_GAUGE, 1, h);
	series_init(&p->rd, SERIES_RATIO, 1, h);
	series_init(&p->wr, SERIES_RATIO, 1, h);
	series_init(&p->trx, SERIES_RATIO, 1, h);
	series_init(&p->ttx, SERIES_RATIO, 1, h);
}

static void
proc_series_done(struct proc *p)
{
	series_done(&p->cpu);
	series_done(&p->mem);
	series_done(&p->rss_s);
	series_done(&p->threads_s);
	series_done(&p->rd);
	series_done(&p->wr);
	series_done(&p->trx);
	series_done(&p->ttx);
}

static void
proc_drop_members(struct stats_sampler *s, struct proc *p)
{
	size_t i;

	for (i = 0; i < p->nmembers; i++)
		member_free(s, p->members[i]);
	p->nmembers = 0;
}

static void
proc_forget_inodes(struct stats_sampler *s, struct proc *p)
{
	size_t i;

	for (i = 0; i < s->inodes.cap; i++) {
		struct inode_owner *o = s->inodes.slots[i].value;

		if (o != NULL && o->owner == p)
			o->owner = NULL;
	}
	for (i = 0; i < s->socks.cap; i++) {
		struct sock_state *st = s->socks.slots[i].value;

		if (st != NULL && st->owner == p)
			st->owner = NULL;
	}
}

static void
proc_free(struct stats_sampler *s, struct proc *p)
{
	proc_drop_members(s, p);
	proc_forget_inodes(s, p);
	proc_series_done(p);
	free(p->members);
	free(p->namespec);
	free(p);
}

static struct proc *
proc_find(const struct stats_sampler *s, const char *namespec)
{
	struct proc *p = stats_map_get(&s->procs_by_name,
				       stats_map_hash_str(namespec));
	size_t i;

	if (p != NULL && strcmp(p->namespec, namespec) == 0)
		return p;
	if (p == NULL)
		return NULL;
	/* a 64-bit hash collision: look the slow way */
	for (i = 0; i < s->nprocs; i++)
		if (strcmp(s->procs[i]->namespec, namespec) == 0)
			return s->procs[i];
	return NULL;
}

static void
proc_reset(struct stats_sampler *s, struct proc *p, pid_t pid)
{
	proc_drop_members(s, p);
	proc_forget_inodes(s, p);
	proc_series_done(p);
	proc_series_init(s, p);
	p->pid = pid;
	p->alive = false;
	p->has_prev = false;
	p->io_readable = false;
	p->io_prev = false;
	p->tcp_rx = p->tcp_tx = 0;
}

static void
procs_sync(struct stats_sampler *s, const struct stats_target *t, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		struct proc *p;
		const char *colon;

		if (t[i].namespec == NULL || t[i].pid <= 0)
			continue;
		p = proc_find(s, t[i].namespec);
		if (p == NULL) {
			p = xcalloc(1, sizeof(*p));
			p->namespec = xstrdup(t[i].namespec);
			colon = strchr(p->namespec, ':');
			p->applen = colon ? (size_t)(colon - p->namespec)
					  : strlen(p->namespec);
			proc_series_init(s, p);
			p->pid = t[i].pid;
			p->io_countdown = (unsigned)(s->nprocs % IO_EVERY);
			p->stat_countdown =
				(unsigned)((s->nprocs + 2) % STAT_EVERY);
			if (s->nprocs == s->capprocs) {
				s->capprocs = s->capprocs ? 2 * s->capprocs : 64;
				s->procs = xreallocarray(s->procs, s->capprocs,
							 sizeof(*s->procs));
			}
			s->procs[s->nprocs++] = p;
			stats_map_put(&s->procs_by_name,
				      stats_map_hash_str(p->namespec), p);
		} else if (p->pid != t[i].pid) {
			proc_reset(s, p, t[i].pid);
		}
		p->gen = s->gen;
	}
	for (i = j = 0; i < s->nprocs; i++) {
		struct proc *p = s->procs[i];

		if (p->gen == s->gen) {
			s->procs[j++] = p;
			continue;
		}
		if (stats_map_get(&s->procs_by_name,
				  stats_map_hash_str(p->namespec)) == p)
			stats_map_del(&s->procs_by_name,
				      stats_map_hash_str(p->namespec));
		proc_free(s, p);
	}
	s->nprocs = j;
}

static void
note_uid(struct stats_sampler *s, uint32_t uid)
{
	size_t i;

	for (i = 0; i < s->nuids; i++)
		if (s->uids[i] == uid)
			return;
	if (s->nuids < ARRAY_SIZE(s->uids))
		s->uids[s->nuids++] = uid;
}

/* PID among P's members, for the rare pid that is also a member of
 * another supervised tree (a supervised process started by another). */
static struct member *
proc_member(const struct proc *p, pid_t pid)
{
	size_t i;

	for (i = 0; i < p->nmembers; i++)
		if (p->members[i]->pid == pid)
			return p->members[i];
	return NULL;
}

static void
walk_push(struct stats_sampler *s, size_t *n, struct member *m)
{
	if (*n == s->capwalk) {
		s->capwalk = s->capwalk ? 2 * s->capwalk : 64;
		s->walk = xreallocarray(s->walk, s->capwalk, sizeof(*s->walk));
	}
	s->walk[(*n)++] = m;
}

/* One cycle of one supervised process: read it and every descendant
 * reachable through the children files, credit each member's CPU and
 * I/O deltas, and drop members that are gone or no longer reachable. */
static void
proc_sample(struct stats_sampler *s, struct proc *p, int64_t now_ns,
	    double dt)
{
	struct member *root;
	size_t nwalk = 0, i, k, nchildren = 0;
	uint64_t visit = ++s->gen, cpu_sum = 0, rd_sum = 0, wr_sum = 0;
	uint64_t threads = 0, rss_pages = 0;
	bool io_any = false, was_alive = p->alive, io_turn, stat_turn;

	/* I/O counters cost half a stat read and move slowly, and RSS and
	 * threads are gauges: read them every IO_EVERY (STAT_EVERY)
	 * cycles, the processes taking turns; CPU is read every cycle
	 * from its clock.  Without the clock (a fixture root), stat gives
	 * the CPU and is read every cycle. */
	io_turn = p->io_countdown-- == 0;
	if (io_turn)
		p->io_countdown = IO_EVERY - 1;
	stat_turn = !s->cpu_clock || p->stat_countdown-- == 0;
	if (p->stat_countdown >= STAT_EVERY)
		p->stat_countdown = STAT_EVERY - 1;
	root = p->nmembers > 0 && p->members[0]->pid == p->pid ? p->members[0]
							       : NULL;
	if (root == NULL && !p->has_prev)
		root = member_open(s, p, p->pid);
	if (root != NULL) {
		root->visit = visit;
		walk_push(s, &nwalk, root);
	}
	for (i = 0; i < nwalk; i++) {
		struct member *m = s->walk[i];
		uint64_t cpu, ticks = 0, rd = 0, wr = 0;
		bool io_ok, read_children = true;

		/* stat (RSS, threads, and CPU ticks without the clock) is
		 * the costly read: every STAT_EVERY cycles, or when the
		 * children file cannot stand in as the proof of life */
		if (stat_turn || !m->has_stat || m->childfd < 0 ||
		    m->threads > 1) {
			if (member_read_stat(s, m, &ticks) < 0) {
				m->dead = true; /* gone: freed below */
				continue;
			}
			m->has_stat = true;
			read_children = member_children(s, m, &nchildren) == 0;
		} else if (member_children(s, m, &nchildren) < 0) {
			/* a held fd of a process that is gone: ESRCH */
			m->dead = true;
			continue;
		}
		cpu = ticks;
		if (s->cpu_clock && member_cpu_ns(m, &cpu) < 0) {
			m->dead = true;
			continue;
		}
		if (m->has_prev)
			cpu_sum += delta(cpu, m->cpu);
		else if (p->has_prev && m != root)
			/* a descendant born since the last cycle: all it
			 * used was used in this interval */
			cpu_sum += cpu;
		m->cpu = cpu;
		m->has_prev = true;
		io_ok = false;
		if (io_turn) {
			member_read_io(s, m, &rd, &wr, &io_ok);
			if (io_ok && m->io_prev) {
				rd_sum += delta(rd, m->rd);
				wr_sum += delta(wr, m->wr);
			} else if (io_ok && p->io_prev && m != root) {
				rd_sum += rd;
				wr_sum += wr;
			}
			m->rd = rd;
			m->wr = wr;
			m->io_prev = io_ok;
		}
		io_any |= io_ok;
		threads += m->threads;
		rss_pages += m->rss_pages;
		note_uid(s, m->uid);
		if (!read_children)
			continue;
		for (k = 0; k < nchildren; k++) {
			pid_t pid = s->pids[k];
			struct member *c = stats_map_get(&s->members_by_pid,
							 (uint64_t)pid);

			if (c != NULL && c->owner != p)
				c = proc_member(p, pid);
			if (c != NULL && c->visit == visit)
				continue;
			if (c == NULL && (c = member_open(s, p, pid)) == NULL)
				continue;
			c->visit = visit;
			walk_push(s, &nwalk, c);
		}
	}
	/* fresh members that failed at once are freed here; members
	 * reached and read make the new list; the old ones left behind
	 * exited or were re-parented away */
	for (i = k = 0; i < nwalk; i++) {
		struct member *m = s->walk[i];

		if (m->fresh) {
			m->fresh = false;
			if (m->dead) {
				member_free(s, m);
				continue;
			}
		}
		if (!m->dead)
			s->walk[k++] = m;
	}
	nwalk = k;
	for (i = 0; i < p->nmembers; i++)
		if (p->members[i]->visit != visit || p->members[i]->dead)
			member_free(s, p->members[i]);
	if (nwalk > p->capmembers) {
		p->capmembers = nwalk;
		p->members = xreallocarray(p->members, nwalk,
					   sizeof(*p->members));
	}
	if (nwalk > 0)
		memcpy(p->members, s->walk, nwalk * sizeof(*p->members));
	p->nmembers = nwalk;
	p->alive = p->nmembers > 0 && p->members[0]->pid == p->pid;
	if (!p->alive) {
		/* the root is gone: its pid may be reused by anyone, so the
		 * namespec stays dead until the daemon gives a new pid */
		proc_drop_members(s, p);
		if (was_alive)
			p->has_prev = true;
		p->threads_s.has_inst = p->rss_s.has_inst = false;
		p->mem.has_inst = false;
		p->cpu.has_inst = p->rd.has_inst = p->wr.has_inst = false;
		return;
	}
	p->threads = threads;
	p->rss = rss_pages * s->page_size;
	series_add(&p->cpu, p->has_prev ? (double)cpu_sum : 0, dt);
	if (io_turn) {
		double io_dt = p->io_prev ? (double)(now_ns - p->io_ns) /
						    NSEC_PER_SEC
					  : 0;

		p->io_readable = io_any;
		if (io_any) {
			series_add(&p->rd, p->io_prev ? (double)rd_sum : 0,
				   io_dt);
			series_add(&p->wr, p->io_prev ? (double)wr_sum : 0,
				   io_dt);
		}
		p->io_prev = io_any;
		p->io_ns = now_ns;
	}
	series_gauge(&p->rss_s, (double)p->rss);
	series_gauge(&p->threads_s, (double)threads);
	{
		uint64_t cap = sampler_mem_capacity(s);

		if (cap > 0)
			series_gauge(&p->mem, 100.0 * (double)p->rss /
						      (double)cap);
	}
	p->has_prev = true;
}

/* ------------------------------------------------------------ TCP */

static void
on_sock(const struct stats_tcp_sock *sk, void *arg)
{
	struct stats_sampler *s = arg;

	if (s->ndump == s->capdump) {
		s->capdump = s->capdump ? 2 * s->capdump : 64;
		s->dump = xreallocarray(s->dump, s->capdump, sizeof(*s->dump));
	}
	s->dump[s->ndump++] = *sk;
}

static bool
uid_supervised(const struct stats_sampler *s, uint32_t uid)
{
	size_t i;

	for (i = 0; i < s->nuids; i++)
		if (s->uids[i] == uid)
			return true;
	return false;
}

/* Map the socket inodes held by every supervised tree to its process.
 * /proc/PID/fd is readable only for the daemon's own uid (or as root);
 * a denied directory just leaves its sockets unattributed. */
static void
fd_scan(struct stats_sampler *s)
{
	char link[64];
	size_t i, j;

	for (i = 0; i < s->nprocs; i++) {
		struct proc *p = s->procs[i];

		for (j = 0; j < p->nmembers; j++) {
			struct dirent *de;
			DIR *d;
			int fd;

			fd = open_pid_file(s, p->members[j]->pid, "fd",
					   O_DIRECTORY);
			if (fd < 0)
				continue;
			if ((d = fdopendir(fd)) == NULL) {
				close(fd);
				continue;
			}
			while ((de = readdir(d)) != NULL) {
				struct inode_owner *o;
				uint64_t inode;
				ssize_t n;

				if (de->d_name[0] < '0' || de->d_name[0] > '9')
					continue;
				n = readlinkat(dirfd(d), de->d_name, link,
					       sizeof(link) - 1);
				if (n < 9 || memcmp(link, "socket:[", 8) != 0 ||
				    link[n - 1] != ']')
					continue;
				link[n - 1] = '\0';
				if (util_parse_uint64(link + 8, UINT64_MAX,
						      &inode) < 0)
					continue;
				o = stats_map_get(&s->inodes, inode);
				if (o == NULL) {
					o = xcalloc(1, sizeof(*o));
					stats_map_put(&s->inodes, inode, o);
				}
				o->owner = p;
				o->gen = s->gen;
			}
			closedir(d);
		}
	}
}

/* Drop map entries whose gen is neither GEN nor KEEP (their sockets
 * closed). */
static void
sweep(struct stats_map *m, uint64_t gen, uint64_t keep, size_t gen_offset)
{
	uint64_t *keys = NULL;
	size_t n = 0, i;

	for (i = 0; i < m->cap; i++) {
		void *v = m->slots[i].value;

		const uint64_t *g =
			v ? (const uint64_t *)(const void *)((const char *)v +
							     gen_offset)
			  : NULL;

		if (g != NULL && *g != gen && *g != keep) {
			keys = xreallocarray(keys, n + 1, sizeof(*keys));
			keys[n++] = m->slots[i].key;
		}
	}
	for (i = 0; i < n; i++)
		free(stats_map_del(m, keys[i]));
	free(keys);
}

/* A socket closed since the last dump: credit its last bytes to the
 * owner it had then (the event carries no inode), and forget it. */
static void
on_closed(const struct stats_tcp_sock *sk, void *arg)
{
	struct stats_sampler *s = arg;
	struct sock_state *st = stats_map_get(&s->socks, sk->cookie);

	if (st == NULL)
		return;
	if (st->owner != NULL) {
		st->owner->tcp_rx += (double)delta(sk->bytes_received,
						   st->received);
		st->owner->tcp_tx += (double)delta(sk->bytes_acked, st->acked);
	}
	free(stats_map_del(&s->socks, sk->cookie));
}

static void
tcp_sample(struct stats_sampler *s, int64_t now_ns, double dt)
{
	uint64_t gen = ++s->gen;
	bool unknown = false;
	size_t i;

	/* the sockets closed since the last dump are not in this one */
	stats_tcp_closed(s->tcp, on_closed, s);
	s->ndump = 0;
	if (stats_tcp_dump(s->tcp, on_sock, s) < 0)
		return;
	for (i = 0; i < s->ndump; i++) {
		const struct stats_tcp_sock *sk = &s->dump[i];
		struct inode_owner *o;

		if (sk->inode == 0)
			continue;
		o = stats_map_get(&s->inodes, sk->inode);
		if (o != NULL)
			o->gen = gen;
		else if (uid_supervised(s, sk->uid))
			unknown = true;
	}
	if (unknown && (!s->fd_scanned ||
			now_ns - s->fd_scan_ns >= FD_SCAN_INTERVAL_NS)) {
		fd_scan(s);
		s->fd_scanned = true;
		s->fd_scan_ns = now_ns;
		/* whatever the scan did not claim is someone else's */
		for (i = 0; i < s->ndump; i++) {
			struct inode_owner *o;

			if (s->dump[i].inode == 0 ||
			    stats_map_get(&s->inodes, s->dump[i].inode) != NULL)
				continue;
			o = xcalloc(1, sizeof(*o));
			o->gen = gen;
			stats_map_put(&s->inodes, s->dump[i].inode, o);
		}
	}
	for (i = 0; i < s->ndump; i++) {
		const struct stats_tcp_sock *sk = &s->dump[i];
		struct sock_state *st = stats_map_get(&s->socks, sk->cookie);
		struct inode_owner *o;

		if (st == NULL) {
			st = xcalloc(1, sizeof(*st));
			/* sockets open before the first dump start from
			 * their current counters; later ones from zero,
			 * since everything they carry is new */
			if (!s->tcp_dumped) {
				st->acked = sk->bytes_acked;
				st->received = sk->bytes_received;
			}
			stats_map_put(&s->socks, sk->cookie, st);
		}
		st->gen = gen;
		o = sk->inode ? stats_map_get(&s->inodes, sk->inode) : NULL;
		/* a socket its process closed (FIN_WAIT, LAST_ACK) has no
		 * inode any more: it still belongs to its last owner */
		if (sk->inode != 0)
			st->owner = o ? o->owner : NULL;
		if (o != NULL)
			o->gen = gen;
		if (st->owner == NULL)
			continue; /* credited when attributed, if ever */
		st->owner->tcp_rx += (double)delta(sk->bytes_received,
						   st->received);
		st->owner->tcp_tx += (double)delta(sk->bytes_acked, st->acked);
		st->received = sk->bytes_received;
		st->acked = sk->bytes_acked;
	}
	s->tcp_dumped = true;
	/* a socket gone from this dump may have its destroy event still on
	 * the way (it is sent from a work queue): keep it one more cycle */
	sweep(&s->socks, gen, s->tcp_gen, offsetof(struct sock_state, gen));
	sweep(&s->inodes, gen, gen, offsetof(struct inode_owner, gen));
	s->tcp_gen = gen;
	for (i = 0; i < s->nprocs; i++) {
		struct proc *p = s->procs[i];

		if (p->alive)
			series_add(&p->trx, p->tcp_rx, dt);
		if (p->alive)
			series_add(&p->ttx, p->tcp_tx, dt);
		p->tcp_rx = p->tcp_tx = 0;
	}
}

/* ------------------------------------------------------------ apps */

static void
app_free(struct app *a)
{
	series_done(&a->cpu);
	series_done(&a->mem);
	series_done(&a->rss);
	free(a->name);
	free(a);
}

static struct app *
app_get(struct stats_sampler *s, const char *name, size_t len)
{
	char *key = xstrndup(name, len);
	uint64_t h = stats_map_hash_str(key);
	struct app *a = stats_map_get(&s->apps_by_name, h);
	size_t i;

	if (a != NULL && strcmp(a->name, key) != 0) {
		a = NULL;
		for (i = 0; i < s->napps; i++)
			if (strcmp(s->apps[i]->name, key) == 0)
				a = s->apps[i];
	}
	if (a != NULL) {
		free(key);
		return a;
	}
	a = xcalloc(1, sizeof(*a));
	a->name = key;
	series_init(&a->cpu, SERIES_GAUGE, 1, s->conf.history);
	series_init(&a->mem, SERIES_GAUGE, 1, s->conf.history);
	series_init(&a->rss, SERIES_GAUGE, 1, s->conf.history);
	if (s->napps == s->capapps) {
		s->capapps = s->capapps ? 2 * s->capapps : 16;
		s->apps = xreallocarray(s->apps, s->capapps, sizeof(*s->apps));
	}
	s->apps[s->napps++] = a;
	if (stats_map_get(&s->apps_by_name, h) == NULL)
		stats_map_put(&s->apps_by_name, h, a);
	return a;
}

static void
apps_drop_unused(struct stats_sampler *s, uint64_t gen)
{
	size_t i, j;

	for (i = j = 0; i < s->napps; i++) {
		struct app *a = s->apps[i];
		uint64_t h = stats_map_hash_str(a->name);

		if (a->gen == gen) {
			s->apps[j++] = a;
			continue;
		}
		if (stats_map_get(&s->apps_by_name, h) == a)
			stats_map_del(&s->apps_by_name, h);
		app_free(a);
	}
	s->napps = j;
}

/* An application's value is the sum of its processes' values, as
 * Supvisors sums a process and its descendants: the latest sample here,
 * the points of the period in apps_integrate(). */
static void
apps_sample(struct stats_sampler *s)
{
	uint64_t gen = ++s->gen;
	size_t i;
	double v;

	for (i = 0; i < s->nprocs; i++) {
		struct proc *p = s->procs[i];
		struct app *a;

		/* an application with a live process is never dropped, so
		 * the pointer stays good for the process's life */
		if (p->app == NULL)
			p->app = app_get(s, p->namespec, p->applen);
		a = p->app;
		if (a->gen != gen) {
			a->gen = gen;
			a->nprocs = 0;
			a->cpu.has_inst = a->mem.has_inst = a->rss.has_inst =
				false;
			a->cpu.num = a->mem.num = a->rss.num = 0;
		}
		a->nprocs++;
		if (series_value(&p->cpu, STATS_LAST_SAMPLE, &v))
			series_gauge(&a->cpu, a->cpu.num + v);
		if (series_value(&p->mem, STATS_LAST_SAMPLE, &v))
			series_gauge(&a->mem, a->mem.num + v);
		if (series_value(&p->rss_s, STATS_LAST_SAMPLE, &v))
			series_gauge(&a->rss, a->rss.num + v);
	}
	apps_drop_unused(s, gen);
}

static void
apps_integrate(struct stats_sampler *s, size_t period)
{
	size_t i;
	double v;

	for (i = 0; i < s->napps; i++) {
		s->apps[i]->acc_cpu = s->apps[i]->acc_mem = 0;
		s->apps[i]->acc_rss = 0;
		s->apps[i]->acc_any = false;
	}
	for (i = 0; i < s->nprocs; i++) {
		struct proc *p = s->procs[i];
		struct app *a = p->app;
		const struct stats_window *w = &p->cpu.win[period];

		/* only processes that produced a point this time */
		if (!p->alive || w->len == 0)
			continue;
		a->acc_cpu += stats_window_at(w, w->len - 1);
		if (series_value(&p->mem, (int)period, &v))
			a->acc_mem += v;
		if (series_value(&p->rss_s, (int)period, &v))
			a->acc_rss += v;
		a->acc_any = true;
	}
	for (i = 0; i < s->napps; i++) {
		struct app *a = s->apps[i];

		if (!a->acc_any)
			continue;
		stats_window_push(&a->cpu.win[period], a->acc_cpu);
		stats_window_push(&a->mem.win[period], a->acc_mem);
		stats_window_push(&a->rss.win[period], a->acc_rss);
	}
}

/* ------------------------------------------------------------ cycle */

static void
integrate(struct stats_sampler *s, size_t p)
{
	struct node *n = &s->node;
	size_t i;

	if (s->conf.enabled & STATS_HOST) {
		series_integrate(&n->cpu, p);
		series_integrate(&n->mem, p);
		for (i = 0; i < n->ncpus; i++)
			if (n->cpus[i].present)
				series_integrate(&n->cpus[i].s, p);
		for (i = 0; i < n->nifaces; i++) {
			series_integrate(&n->ifaces[i].srx, p);
			series_integrate(&n->ifaces[i].stx, p);
		}
		for (i = 0; i < n->ndisks; i++) {
			series_integrate(&n->disks[i].srd, p);
			series_integrate(&n->disks[i].swr, p);
		}
	}
	if (!(s->conf.enabled & STATS_PROCESS))
		return;
	for (i = 0; i < s->nprocs; i++) {
		struct proc *q = s->procs[i];

		if (!q->alive)
			continue;
		series_integrate(&q->cpu, p);
		series_integrate(&q->mem, p);
		series_integrate(&q->rss_s, p);
		series_integrate(&q->threads_s, p);
		if (q->io_readable) {
			series_integrate(&q->rd, p);
			series_integrate(&q->wr, p);
		}
		if (s->tcp != NULL) {
			series_integrate(&q->trx, p);
			series_integrate(&q->ttx, p);
		}
	}
	apps_integrate(s, p);
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
	node_capacity(s, now_ns);
	if (s->conf.enabled & STATS_HOST)
		r = node_sample(s, dt);
	if (s->conf.enabled & STATS_PROCESS) {
		s->nuids = 0;
		procs_sync(s, targets, n);
		for (i = 0; i < s->nprocs; i++)
			proc_sample(s, s->procs[i], now_ns, dt);
		if (s->tcp != NULL)
			tcp_sample(s, now_ns, dt);
		apps_sample(s);
	}
	for (i = 0; i < s->conf.nperiods; i++) {
		int64_t pns = s->conf.periods_ms[i] * NSEC_PER_MSEC;

		/* half a collecting period early is on time: a 10 s period
		 * sampled every 1 s must not slip to 11 s on timer jitter */
		if (s->started[i] && now_ns - s->ref_ns[i] < pns - period_ns / 2)
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
	    c->collecting_period_ms > STATS_PERIOD_MAX_MS ||
	    c->nperiods < 1 || c->nperiods > STATS_PERIODS_MAX ||
	    c->history < STATS_HISTORY_MIN || c->history > STATS_HISTORY_MAX)
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

	/* every supervised process and descendant holds up to four /proc
	 * fds: use the hard limit the admin allows */
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
	for (i = 0; i < STATS_PERIODS_MAX; i++)
		s->started[i] = false;
	series_init(&s->node.cpu, SERIES_RATIO, 100, conf->history);
	series_init(&s->node.mem, SERIES_GAUGE, 1, conf->history);
	if (!(flags & STATS_NO_NETLINK)) {
		/* unavailable netlink (seccomp, odd sandboxes) only costs
		 * the network figures */
		if (stats_links_open(&s->links) < 0)
			s->links = NULL;
		if (stats_tcp_open(&s->tcp) < 0)
			s->tcp = NULL;
	}
	raise_nofile();
	*ret = s;
	return 0;
fail:
	stats_sampler_free(s);
	return r;
}

static void
procs_free(struct stats_sampler *s)
{
	size_t i;

	for (i = 0; i < s->nprocs; i++)
		proc_free(s, s->procs[i]);
	s->nprocs = 0;
	for (i = 0; i < s->napps; i++)
		app_free(s->apps[i]);
	s->napps = 0;
	stats_map_done(&s->procs_by_name);
	stats_map_done(&s->apps_by_name);
	sweep(&s->socks, UINT64_MAX, UINT64_MAX,
	      offsetof(struct sock_state, gen));
	sweep(&s->inodes, UINT64_MAX, UINT64_MAX,
	      offsetof(struct inode_owner, gen));
	s->tcp_dumped = false;
	s->fd_scanned = false;
}

struct stats_sampler *
stats_sampler_free(struct stats_sampler *s)
{
	if (s == NULL)
		return NULL;
	procs_free(s);
	node_reset(s);
	series_done(&s->node.cpu);
	series_done(&s->node.mem);
	node_close_fds(&s->node);
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
	free(s);
	return NULL;
}

void
stats_sampler_set_enabled(struct stats_sampler *s, unsigned enabled)
{
	enabled &= STATS_HOST | STATS_PROCESS;
	if ((s->conf.enabled & STATS_HOST) && !(enabled & STATS_HOST))
		node_reset(s);
	if ((s->conf.enabled & STATS_PROCESS) && !(enabled & STATS_PROCESS))
		procs_free(s);
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
		procs_free(s);
		s->conf = *conf;
		node_reset(s);
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
	n.cpu_capacity = sampler_cores(s);
	n.mem_capacity = sampler_mem_capacity(s);
	n.valid = series_value(&s->node.cpu, period, &n.cpu_percent) &&
		  series_value(&s->node.mem, period, &n.mem_percent);
	series_figures(&s->node.cpu, period, &f);
	n.cpu_mean = period < 0 ? n.cpu_percent : f.mean;
	*ret = n;
	return 0;
}

int
stats_sampler_process(const struct stats_sampler *s, const char *namespec,
		      int period, struct stats_proc_summary *ret)
{
	const struct proc *p = proc_find(s, namespec);
	struct stats_proc_summary r = {0};
	double v;

	if (p == NULL)
		return -ENOENT;
	if (period >= (int)s->conf.nperiods)
		return -ERANGE;
	r.pid = p->pid;
	r.processes = (unsigned)p->nmembers;
	r.valid = p->alive && series_value(&p->cpu, period, &r.cpu_percent);
	if (r.valid && !s->conf.irix_mode)
		r.cpu_percent /= sampler_cores(s);
	if (series_value(&p->mem, period, &v))
		r.mem_percent = v;
	if (series_value(&p->rss_s, period, &v))
		r.rss_bytes = (uint64_t)v;
	if (series_value(&p->threads_s, period, &v))
		r.threads = (unsigned)v;
	*ret = r;
	return 0;
}
