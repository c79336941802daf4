/*
 * node: the node's figures: CPU total and per core (/proc/stat), memory
 * (meminfo), load average, pressure, whole disks (diskstats, sysfs),
 * interfaces (rtnetlink) and the capacity under cgroup limits.  See
 * reference/stats.md §1 and §5.9 for the formulas.
 */
#include "stats/internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"

#define CAPACITY_INTERVAL_NS (30 * NSEC_PER_SEC)
#define SECTOR_BYTES 512

static const char *const psi_files[PSI_MAX] = {
	"pressure/cpu",
	"pressure/memory",
	"pressure/io",
};

/* ------------------------------------------------------------ node */

void
stats_node_close_fds(struct node *n)
{
	int *fds[] = {&n->stat_fd,      &n->meminfo_fd, &n->loadavg_fd,
		      &n->diskstats_fd, &n->psi_fd[0],  &n->psi_fd[1],
		      &n->psi_fd[2]};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fds); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

void
stats_node_reset(struct stats_sampler *s)
{
	struct node *n = &s->node;
	size_t i;

	stats_series_done(&n->cpu);
	stats_series_done(&n->mem);
	for (i = 0; i < n->ncpus; i++)
		stats_series_done(&n->cpus[i].s);
	for (i = 0; i < n->nifaces; i++) {
		stats_series_done(&n->ifaces[i].srx);
		stats_series_done(&n->ifaces[i].stx);
	}
	for (i = 0; i < n->ndisks; i++) {
		stats_series_done(&n->disks[i].srd);
		stats_series_done(&n->disks[i].swr);
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
	stats_series_init(&n->cpu, SERIES_RATIO, 100, s->conf.history);
	stats_series_init(&n->mem, SERIES_GAUGE, 1, s->conf.history);
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
		stats_series_add(&n->cpu, busy, all);
	} else {
		stats_series_add(&n->cpu, 0, 0);
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

			n->cpus =
				xreallocarray(n->cpus, want, sizeof(*n->cpus));
			for (k = n->ncpus; k < want; k++) {
				n->cpus[k] = (struct node_cpu){0};
				stats_series_init(&n->cpus[k].s, SERIES_RATIO,
						  100, s->conf.history);
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
			stats_series_add(&slot->s, busy, all);
		} else {
			stats_series_add(&slot->s, 0, 0);
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
	stats_series_gauge(
		&n->mem, 100.0 * (double)(m.total - MIN(m.available, m.total)) /
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
		stats_series_init(&k->srd, SERIES_RATIO, SECTOR_BYTES,
				  s->conf.history);
		stats_series_init(&k->swr, SERIES_RATIO, SECTOR_BYTES,
				  s->conf.history);
		stats_series_add(&k->srd, 0, 0);
		stats_series_add(&k->swr, 0, 0);
	} else {
		stats_series_add(
			&k->srd,
			(double)stats_counter_delta(d->sectors_read, k->rd),
			ctx->dt);
		stats_series_add(
			&k->swr,
			(double)stats_counter_delta(d->sectors_written, k->wr),
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
			stats_series_done(&n->disks[i].srd);
			stats_series_done(&n->disks[i].swr);
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
		stats_series_init(&f->srx, SERIES_RATIO, 1, s->conf.history);
		stats_series_init(&f->stx, SERIES_RATIO, 1, s->conf.history);
		stats_series_add(&f->srx, 0, 0);
		stats_series_add(&f->stx, 0, 0);
	} else {
		stats_series_add(
			&f->srx,
			(double)stats_counter_delta(l->rx_bytes, f->rx),
			ctx->dt);
		stats_series_add(
			&f->stx,
			(double)stats_counter_delta(l->tx_bytes, f->tx),
			ctx->dt);
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
			stats_series_done(&n->ifaces[i].srx);
			stats_series_done(&n->ifaces[i].stx);
		}
	}
	n->nifaces = j;
	return r;
}

/* Walk the cgroup from PATH up to the root under DIR, reading FILE in
 * each and keeping the smallest limit. */
static void
cgroup_walk(struct stats_sampler *s, const char *dir, const char *cgpath,
	    const char *file, const char *file2, double *cores, uint64_t *bytes)
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
			    procfs_parse_cpu_max(s->buf.p, s->buf.len, &c) ==
				    0 &&
			    c > 0 && (*cores == 0 || c < *cores))
				*cores = c;
			if (cores != NULL && file2 != NULL) {
				snprintf(path, sizeof(path), "%s%s/%s", dir,
					 rel, file2);
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

void
stats_node_capacity(struct stats_sampler *s, int64_t now_ns)
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
		v2dir = faccessat(s->sysfd, "fs/cgroup/cgroup.controllers",
				  F_OK, 0) == 0
				? "fs/cgroup"
				: "fs/cgroup/unified";
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
stats_node_cores(const struct stats_sampler *s)
{
	const struct node *n = &s->node;
	double c = n->online ? n->online : 1;

	if (n->quota_cores > 0 && n->quota_cores < c)
		c = n->quota_cores;
	return c;
}

uint64_t
stats_node_mem_capacity(const struct stats_sampler *s)
{
	const struct node *n = &s->node;
	uint64_t total = n->has_meminfo ? n->meminfo.total : 0;

	if (n->mem_limit > 0 && (total == 0 || n->mem_limit < total))
		return n->mem_limit;
	return total;
}

int
stats_node_sample(struct stats_sampler *s, double dt)
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
