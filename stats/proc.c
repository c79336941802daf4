/*
 * proc: the supervised processes (each with its descendants), their TCP
 * sockets and the per-application sums.  See stats.h for the contract
 * and reference/stats.md §2, §3 for the sources.
 *
 * Costs drive the shape (tests/bench/bench_stats.sh).  Each cycle, a
 * supervised process and each descendant cost one clock_gettime of its
 * CPU clock (ns, all threads), which is by pid number, and, only when
 * that clock moved since the last time, one pread of a held children
 * file: a process that ran no instruction forked nothing.  The pid
 * numbers are proven afterwards, for all members at once, by one
 * epoll_wait on their held pidfds: a pidfd that does not report an exit
 * names a process not reaped, so its number named it during the reads
 * (a held children file of a reaped process reads empty, where a held
 * stat fails with ESRCH); the few reported are asked one by one
 * (pidfd_send_signal(0): a zombie still counts).  The dearer
 * /proc/PID/stat (RSS, threads) is read every fifth cycle and io every
 * fifth cycle when the clock moved, processes taking turns.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"

#define FD_SCAN_INTERVAL_NS (5 * NSEC_PER_SEC)
#define IO_EVERY 5
#define STAT_EVERY 5

/* ------------------------------------------------------------ members */

static void
member_free(struct stats_sampler *s, struct member *m)
{
	if (m == NULL)
		return;
	if (stats_map_get(&s->members_by_pid, (uint64_t)m->pid) == m)
		stats_map_del(&s->members_by_pid, (uint64_t)m->pid);
	/* out of the epoll set before the close: a child the daemon forked
	 * may hold a copy of the fd until its exec, which would keep it in
	 * the set, and a later answer would name the freed member */
	if (m->watched)
		(void)epoll_ctl(s->epfd, EPOLL_CTL_DEL, m->pidfd, NULL);
	if (m->pidfd >= 0)
		close(m->pidfd);
	if (m->childfd >= 0)
		close(m->childfd);
	if (m->statfd >= 0)
		close(m->statfd);
	free(m->kids);
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
	*m = (struct member){.pid = pid,
			     .statfd = -1,
			     .childfd = -1,
			     .pidfd = -1,
			     .owner = p};
	if (fstat(dirfd, &st) == 0)
		m->uid = (uint32_t)st.st_uid;
	/* the held files are the identity: once the process is gone a
	 * pread of stat fails with ESRCH, even if the pid is reused (a
	 * children file reads empty instead); the directory itself is not
	 * kept, and io is opened by number when read, to stay at three fds
	 * per process (5000 processes fit under a 20000 fd limit) */
	m->statfd = openat(dirfd, "stat", O_RDONLY | O_CLOEXEC);
	snprintf(name, sizeof(name), "task/%d/children", (int)pid);
	m->childfd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	/* the CPU clock and io are read by number: the pidfd proves
	 * afterwards that the number still named this process (a held
	 * children file of a reaped process reads empty, not ESRCH); it
	 * names the process that held the pid when the stat fd was opened,
	 * since the stat pread below proves that process still lives.  It
	 * joins the sampler's epoll set, which reports the members that
	 * exited with one system call per cycle; the others cannot have
	 * been reaped, so their numbers still named them. */
	if (s->cpu_clock)
		m->pidfd = pidfd_open(pid, 0);
	close(dirfd);
	if (m->statfd < 0 ||
	    (m->pidfd >= 0 && procfs_pread_all(m->statfd, &s->buf) < 0)) {
		member_free(s, m);
		return NULL;
	}
	if (m->pidfd >= 0 && s->epfd >= 0) {
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = m};

		m->watched = epoll_ctl(s->epfd, EPOLL_CTL_ADD, m->pidfd, &ev) ==
			     0;
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

/* Whether M's pid still names M's process (reaped and reused: no; a
 * zombie: yes): for the reads by number, made before this check.
 * Signal 0 only checks existence; EPERM (another uid) is alive.
 * Without a pidfd, trust the held fd read just before. */
static bool
member_same(const struct member *m)
{
	return m->pidfd < 0 || pidfd_send_signal(m->pidfd, 0, NULL, 0) == 0 ||
	       errno != ESRCH;
}

/* The whole thread group's CPU time in ns (live and exited threads), by
 * pid, to be verified by stats_procs_verify().  The clock id is built
 * as the kernel defines it (MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED),
 * part of the ABI that glibc's clock_getcpuclockid uses), which spares
 * the clock_getres system call glibc makes to check the pid. */
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

/* io by number into cur_rd, cur_wr (io_now), to be verified like the
 * clock. */
static void
member_read_io(struct stats_sampler *s, struct member *m)
{
	struct procfs_pid_io io;
	int fd, r;

	m->io_now = false;
	if (m->io_denied)
		return;
	/* by number, every IO_EVERY cycles: cheaper in fds than a held
	 * file */
	fd = open_pid_file(s, m->pid, "io", 0);
	if (fd < 0) {
		/* ptrace-gated: another uid, or not dumpable; the answer
		 * will not change, so it is not asked again */
		if (errno == EACCES || errno == EPERM)
			m->io_denied = true;
		return;
	}
	r = procfs_pread_all(fd, &s->buf);
	close(fd);
	if (r == -EACCES || r == -EPERM)
		m->io_denied = true;
	if (r < 0 || procfs_parse_pid_io(s->buf.p, s->buf.len, &io) < 0)
		return;
	m->cur_rd = io.read_bytes;
	m->cur_wr = io.write_bytes;
	m->io_now = true;
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

/* Keep s->pids[0..n) as M's children as of the CPU time CPU. */
static void
member_keep_kids(struct stats_sampler *s, struct member *m, size_t n,
		 uint64_t cpu)
{
	if (n > m->capkids) {
		m->capkids = n;
		m->kids = xreallocarray(m->kids, n, sizeof(*m->kids));
	}
	if (n > 0)
		memcpy(m->kids, s->pids, n * sizeof(*m->kids));
	m->nkids = n;
	m->kids_cpu = cpu;
	m->kids_valid = true;
}

/* ------------------------------------------------------------ procs */

static void
proc_series_init(struct stats_sampler *s, struct proc *p)
{
	unsigned h = s->conf.history;

	/* CPU in ns from the clock, in ticks from stat without it */
	stats_series_init(
		&p->cpu, SERIES_RATIO,
		s->cpu_clock ? 100.0 / NSEC_PER_SEC : 100.0 / s->clk_tck, h);
	stats_series_init(&p->mem, SERIES_GAUGE, 1, h);
	stats_series_init(&p->rss_s, SERIES_GAUGE, 1, h);
	stats_series_init(&p->threads_s, SERIES_GAUGE, 1, h);
	stats_series_init(&p->rd, SERIES_RATIO, 1, h);
	stats_series_init(&p->wr, SERIES_RATIO, 1, h);
	stats_series_init(&p->trx, SERIES_RATIO, 1, h);
	stats_series_init(&p->ttx, SERIES_RATIO, 1, h);
}

static void
proc_series_done(struct proc *p)
{
	stats_series_done(&p->cpu);
	stats_series_done(&p->mem);
	stats_series_done(&p->rss_s);
	stats_series_done(&p->threads_s);
	stats_series_done(&p->rd);
	stats_series_done(&p->wr);
	stats_series_done(&p->trx);
	stats_series_done(&p->ttx);
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

struct proc *
stats_proc_find(const struct stats_sampler *s, const char *namespec)
{
	struct proc *p =
		stats_map_get(&s->procs_by_name, stats_map_hash_str(namespec));
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

void
stats_procs_sync(struct stats_sampler *s, const struct stats_target *t,
		 size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		struct proc *p;
		const char *colon;

		if (t[i].namespec == NULL || t[i].pid <= 0)
			continue;
		p = stats_proc_find(s, t[i].namespec);
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
				s->capprocs =
					s->capprocs ? 2 * s->capprocs : 64;
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

/* The first half of a cycle of one supervised process: read it and every
 * descendant reachable through the children files, and drop members
 * that are gone or no longer reachable.  What was read by pid number
 * (the CPU clock, io) waits in cur_* for stats_procs_verify(). */
void
stats_proc_read(struct stats_sampler *s, struct proc *p)
{
	struct member *root;
	size_t nwalk = 0, i, k;
	uint64_t visit = ++s->gen;
	bool stat_turn;

	/* I/O counters cost half a stat read and move slowly, and RSS and
	 * threads are gauges: read them every IO_EVERY (STAT_EVERY)
	 * cycles, the processes taking turns; CPU is read every cycle
	 * from its clock.  Without the clock (a fixture root), stat gives
	 * the CPU and is read every cycle. */
	p->io_turn = p->io_countdown-- == 0;
	if (p->io_turn)
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
		uint64_t ticks = 0;
		bool have_stat = false, reread;
		int r;

		m->exited = false;
		m->io_now = false;
		if (s->cpu_clock && member_cpu_ns(m, &m->cur_cpu) < 0) {
			m->dead = true; /* gone: freed below */
			continue;
		}
		/* stat (RSS, threads, and CPU ticks without the clock) is
		 * the costly read: every STAT_EVERY cycles, or when no pidfd
		 * can stand in as the proof of life */
		if (stat_turn || !m->has_stat || m->pidfd < 0) {
			if (member_read_stat(s, m, &ticks) < 0) {
				m->dead = true;
				continue;
			}
			m->has_stat = have_stat = true;
		}
		if (!s->cpu_clock)
			m->cur_cpu = ticks;
		/* a process whose CPU clock has not moved ran no instruction
		 * since its children were read: it forked nothing, reaped
		 * nothing, did no I/O.  The list is read again when it moved
		 * or when one of the children it names is no member any
		 * more (gone, or never opened). */
		reread = !s->cpu_clock || !m->kids_valid ||
			 m->kids_cpu != m->cur_cpu;
		for (k = 0; !reread && k < m->nkids; k++) {
			struct member *c = stats_map_get(&s->members_by_pid,
							 (uint64_t)m->kids[k]);

			if (c != NULL && c->owner != p)
				c = proc_member(p, m->kids[k]);
			reread = c == NULL;
		}
		if (reread) {
			size_t n = 0;

			/* the task directory is opened by number: a stat
			 * pread first proves the number is still this
			 * process */
			if (m->threads > 1 && !have_stat) {
				if (member_read_stat(s, m, &ticks) < 0) {
					m->dead = true;
					continue;
				}
				have_stat = true;
			}
			r = member_children(s, m, &n);
			if (r < 0 && r != -ENOENT && !have_stat) {
				/* a held fd of a process that is gone */
				m->dead = true;
				continue;
			}
			if (r < 0)
				m->kids_valid = false;
			else
				member_keep_kids(s, m, n, m->cur_cpu);
		}
		if (p->io_turn) {
			if (s->cpu_clock && m->io_prev &&
			    m->io_cpu == m->cur_cpu) {
				m->cur_rd = m->rd;
				m->cur_wr = m->wr;
				m->io_now = true;
			} else {
				member_read_io(s, m);
			}
		}
		for (k = 0; m->kids_valid && k < m->nkids; k++) {
			pid_t pid = m->kids[k];
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
		p->members =
			xreallocarray(p->members, nwalk, sizeof(*p->members));
	}
	if (nwalk > 0)
		memcpy(p->members, s->walk, nwalk * sizeof(*p->members));
	p->nmembers = nwalk;
}

/* One epoll_wait for every member: those it reports have exited (maybe
 * zombies, maybe reaped); stats_proc_commit() asks their pidfds. */
void
stats_procs_verify(struct stats_sampler *s)
{
	int n, i;

	s->check_all = false;
	if (s->epfd < 0)
		return;
	n = epoll_wait(s->epfd, s->evs, (int)ARRAY_SIZE(s->evs), 0);
	/* a full answer may have left some out */
	s->check_all = n < 0 || n == (int)ARRAY_SIZE(s->evs);
	for (i = 0; i < n; i++)
		((struct member *)s->evs[i].data.ptr)->exited = true;
}

/* The second half: drop the members whose pid may have named another
 * process when read, credit the others' CPU and I/O deltas, and add the
 * process's sample to its series. */
void
stats_proc_commit(struct stats_sampler *s, struct proc *p, int64_t now_ns,
		  double dt)
{
	struct member *root;
	size_t i, k;
	uint64_t cpu_sum = 0, rd_sum = 0, wr_sum = 0;
	uint64_t threads = 0, rss_pages = 0;
	bool io_any = false, was_alive = p->alive;

	for (i = k = 0; i < p->nmembers; i++) {
		struct member *m = p->members[i];
		bool ask = m->pidfd >= 0 &&
			   (m->exited || !m->watched || s->check_all);

		m->exited = false;
		/* a zombie still holds its pid: only ESRCH is gone */
		if (ask && !member_same(m)) {
			member_free(s, m);
			continue;
		}
		p->members[k++] = m;
	}
	p->nmembers = k;
	root = p->nmembers > 0 && p->members[0]->pid == p->pid ? p->members[0]
							       : NULL;
	p->alive = root != NULL;
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
	for (i = 0; i < p->nmembers; i++) {
		struct member *m = p->members[i];

		if (m->has_prev)
			cpu_sum += stats_counter_delta(m->cur_cpu, m->cpu);
		else if (p->has_prev && m != root)
			/* a descendant born since the last cycle: all it
			 * used was used in this interval */
			cpu_sum += m->cur_cpu;
		m->cpu = m->cur_cpu;
		m->has_prev = true;
		if (p->io_turn) {
			if (m->io_now && m->io_prev) {
				rd_sum += stats_counter_delta(m->cur_rd, m->rd);
				wr_sum += stats_counter_delta(m->cur_wr, m->wr);
			} else if (m->io_now && p->io_prev && m != root) {
				rd_sum += m->cur_rd;
				wr_sum += m->cur_wr;
			}
			m->rd = m->io_now ? m->cur_rd : 0;
			m->wr = m->io_now ? m->cur_wr : 0;
			m->io_prev = m->io_now;
			m->io_cpu = m->cur_cpu;
			io_any |= m->io_now;
		}
		threads += m->threads;
		rss_pages += m->rss_pages;
		note_uid(s, m->uid);
	}
	p->threads = threads;
	p->rss = rss_pages * s->page_size;
	stats_series_add(&p->cpu, p->has_prev ? (double)cpu_sum : 0, dt);
	if (p->io_turn) {
		double io_dt =
			p->io_prev ? (double)(now_ns - p->io_ns) / NSEC_PER_SEC
				   : 0;

		p->io_readable = io_any;
		if (io_any) {
			stats_series_add(
				&p->rd, p->io_prev ? (double)rd_sum : 0, io_dt);
			stats_series_add(
				&p->wr, p->io_prev ? (double)wr_sum : 0, io_dt);
		}
		p->io_prev = io_any;
		p->io_ns = now_ns;
	}
	stats_series_gauge(&p->rss_s, (double)p->rss);
	stats_series_gauge(&p->threads_s, (double)threads);
	{
		uint64_t cap = stats_node_mem_capacity(s);

		if (cap > 0)
			stats_series_gauge(&p->mem, 100.0 * (double)p->rss /
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
void
stats_map_sweep(struct stats_map *m, uint64_t gen, uint64_t keep,
		size_t gen_offset)
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
		st->owner->tcp_rx += (double)stats_counter_delta(
			sk->bytes_received, st->received);
		st->owner->tcp_tx +=
			(double)stats_counter_delta(sk->bytes_acked, st->acked);
	}
	free(stats_map_del(&s->socks, sk->cookie));
}

/* Whether no TCP socket of the namespace opened or carried a segment
 * since the last dump, which would then find every counter as it was
 * left (a close sends segments too).  The kernel walks its whole
 * established hash table for a dump (262144 buckets on a small node);
 * net/snmp costs a twentieth of that. */
static bool
tcp_quiet(struct stats_sampler *s)
{
	struct procfs_tcp_activity a;
	bool quiet;

	if (s->snmpfd < 0 || procfs_pread_all(s->snmpfd, &s->buf) < 0 ||
	    procfs_parse_snmp_tcp(s->buf.p, s->buf.len, &a) < 0) {
		s->has_activity = false;
		return false;
	}
	quiet = s->tcp_dumped && s->has_activity &&
		a.active_opens == s->activity.active_opens &&
		a.passive_opens == s->activity.passive_opens &&
		a.in_segs == s->activity.in_segs &&
		a.out_segs == s->activity.out_segs;
	/* read before the dump: what moves during it is seen next time */
	s->activity = a;
	s->has_activity = true;
	return quiet;
}

static void
tcp_series_add(struct stats_sampler *s, double dt)
{
	size_t i;

	for (i = 0; i < s->nprocs; i++) {
		struct proc *p = s->procs[i];

		if (p->alive) {
			stats_series_add(&p->trx, p->tcp_rx, dt);
			stats_series_add(&p->ttx, p->tcp_tx, dt);
		}
		p->tcp_rx = p->tcp_tx = 0;
	}
}

void
stats_procs_tcp(struct stats_sampler *s, int64_t now_ns, double dt)
{
	uint64_t gen;
	bool unknown = false;
	size_t i;

	/* the sockets closed since the last dump are not in this one */
	stats_tcp_closed(s->tcp, on_closed, s);
	if (tcp_quiet(s)) {
		tcp_series_add(s, dt);
		return;
	}
	gen = ++s->gen;
	s->ndump = 0;
	if (stats_tcp_dump(s->tcp, on_sock, s) < 0) {
		s->has_activity = false;
		return;
	}
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
	if (unknown &&
	    (!s->fd_scanned || now_ns - s->fd_scan_ns >= FD_SCAN_INTERVAL_NS)) {
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
		st->owner->tcp_rx += (double)stats_counter_delta(
			sk->bytes_received, st->received);
		st->owner->tcp_tx +=
			(double)stats_counter_delta(sk->bytes_acked, st->acked);
		st->received = sk->bytes_received;
		st->acked = sk->bytes_acked;
	}
	s->tcp_dumped = true;
	/* a socket gone from this dump may have its destroy event still on
	 * the way (it is sent from a work queue): keep it one more cycle */
	stats_map_sweep(&s->socks, gen, s->tcp_gen,
			offsetof(struct sock_state, gen));
	stats_map_sweep(&s->inodes, gen, gen,
			offsetof(struct inode_owner, gen));
	s->tcp_gen = gen;
	tcp_series_add(s, dt);
}

/* ------------------------------------------------------------ apps */

static void
app_free(struct app *a)
{
	stats_series_done(&a->cpu);
	stats_series_done(&a->mem);
	stats_series_done(&a->rss);
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
	stats_series_init(&a->cpu, SERIES_GAUGE, 1, s->conf.history);
	stats_series_init(&a->mem, SERIES_GAUGE, 1, s->conf.history);
	stats_series_init(&a->rss, SERIES_GAUGE, 1, s->conf.history);
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
 * the points of the period in stats_apps_integrate(). */
void
stats_apps_sample(struct stats_sampler *s)
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
		if (stats_series_value(&p->cpu, STATS_LAST_SAMPLE, &v))
			stats_series_gauge(&a->cpu, a->cpu.num + v);
		if (stats_series_value(&p->mem, STATS_LAST_SAMPLE, &v))
			stats_series_gauge(&a->mem, a->mem.num + v);
		if (stats_series_value(&p->rss_s, STATS_LAST_SAMPLE, &v))
			stats_series_gauge(&a->rss, a->rss.num + v);
	}
	apps_drop_unused(s, gen);
}

void
stats_apps_integrate(struct stats_sampler *s, size_t period)
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
		if (stats_series_value(&p->mem, (int)period, &v))
			a->acc_mem += v;
		if (stats_series_value(&p->rss_s, (int)period, &v))
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

void
stats_procs_free(struct stats_sampler *s)
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
	stats_map_sweep(&s->socks, UINT64_MAX, UINT64_MAX,
			offsetof(struct sock_state, gen));
	stats_map_sweep(&s->inodes, UINT64_MAX, UINT64_MAX,
			offsetof(struct inode_owner, gen));
	s->tcp_dumped = false;
	s->fd_scanned = false;
}
