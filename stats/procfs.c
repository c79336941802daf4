/*
 * procfs: parsers for /proc, sysfs and cgroupfs files.  See procfs.h.
 *
 * The files are read every second for every supervised process, so the
 * parsers are hand-written loops over a cursor (no stdio, no strtoull
 * with its locale and errno) that stop at the end of the buffer rather
 * than at a NUL: a truncated or hostile file can make a parse fail but
 * never read out of bounds.  The fuzz target tests/fuzz/fuzz_procfs.c
 * holds them to that.
 */
#include "stats/procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"

/* ------------------------------------------------------------ reading */

static int
buf_reserve(struct procfs_buf *b, size_t want)
{
	size_t cap;
	char *p;

	if (want <= b->cap)
		return 0;
	if (want > PROCFS_BUF_MAX)
		return -EFBIG;
	cap = b->cap ? b->cap : 4096;
	while (cap < want)
		cap *= 2;
	p = realloc(b->p, cap);
	if (p == NULL)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

int
procfs_pread_all(int fd, struct procfs_buf *b)
{
	size_t off = 0;
	ssize_t n;
	int r;

	if ((r = buf_reserve(b, 4096)) < 0)
		return r;
	for (;;) {
		if (off + 1 >= b->cap && (r = buf_reserve(b, b->cap * 2)) < 0)
			return r;
		n = pread(fd, b->p + off, b->cap - 1 - off, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		off += (size_t)n;
		/* a seq_file read stops short only at the end, or when its
		 * page is full: a short answer under half a page is the
		 * whole file, and saves the read that would return 0 */
		if (off < 2048 && off < b->cap - 1)
			break;
	}
	b->p[off] = '\0';
	b->len = off;
	return 0;
}

int
procfs_read_at(int dirfd, const char *path, struct procfs_buf *b)
{
	int fd, r;

	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	r = procfs_pread_all(fd, b);
	close(fd);
	return r;
}

void
procfs_buf_done(struct procfs_buf *b)
{
	free(b->p);
	*b = (struct procfs_buf)PROCFS_BUF_INIT;
}

/* ------------------------------------------------------------ lexing */

struct cur {
	const char *p, *end;
};

static bool
cur_eof(const struct cur *c)
{
	return c->p >= c->end;
}

static void
skip_blanks(struct cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
}

static void
skip_line(struct cur *c)
{
	while (c->p < c->end && *c->p != '\n')
		c->p++;
	if (c->p < c->end)
		c->p++;
}

static bool
at_eol(const struct cur *c)
{
	return c->p >= c->end || *c->p == '\n';
}

static bool
is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* Blanks, then digits into a uint64; -EINVAL if none, -ERANGE on
 * overflow. */
static int
lex_u64(struct cur *c, uint64_t *ret)
{
	uint64_t v = 0;

	skip_blanks(c);
	if (cur_eof(c) || !is_digit(*c->p))
		return -EINVAL;
	for (; c->p < c->end && is_digit(*c->p); c->p++) {
		unsigned d = (unsigned)(*c->p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*ret = v;
	return 0;
}

static int
lex_i64(struct cur *c, int64_t *ret)
{
	bool neg = false;
	uint64_t v;
	int r;

	skip_blanks(c);
	if (!cur_eof(c) && *c->p == '-') {
		neg = true;
		c->p++;
		if (cur_eof(c) || !is_digit(*c->p))
			return -EINVAL;
	}
	if ((r = lex_u64(c, &v)) < 0)
		return r;
	if (v > (uint64_t)INT64_MAX + (neg ? 1 : 0))
		return -ERANGE;
	*ret = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

/* Skips one blank-separated token (any bytes but blanks and newline). */
static int
lex_skip_token(struct cur *c)
{
	const char *start;

	skip_blanks(c);
	start = c->p;
	while (c->p < c->end && *c->p != ' ' && *c->p != '\t' && *c->p != '\n')
		c->p++;
	return c->p > start ? 0 : -EINVAL;
}

/* "12.34": a non-negative decimal with at most 2^53 of integer part. */
static int
lex_double(struct cur *c, double *ret)
{
	uint64_t ip;
	double v, scale = 0.1;
	int r;

	if ((r = lex_u64(c, &ip)) < 0)
		return r;
	if (ip > (1ull << 53))
		return -ERANGE;
	v = (double)ip;
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		if (cur_eof(c) || !is_digit(*c->p))
			return -EINVAL;
		for (; c->p < c->end && is_digit(*c->p); c->p++) {
			v += (*c->p - '0') * scale;
			scale /= 10;
		}
	}
	*ret = v;
	return 0;
}

/* Does the cursor start with WORD followed by a blank, ':' or EOL?  If so
 * consume WORD. */
static bool
lex_word(struct cur *c, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
		return false;
	if (c->p + n < c->end && c->p[n] != ' ' && c->p[n] != '\t' &&
	    c->p[n] != ':' && c->p[n] != '\n' && c->p[n] != '=')
		return false;
	c->p += n;
	return true;
}

/* ------------------------------------------------------------ /proc/stat */

uint64_t
procfs_cpu_busy(const struct procfs_cpu_times *t)
{
	return t->user + t->nice + t->system + t->irq + t->softirq + t->steal;
}

uint64_t
procfs_cpu_idle(const struct procfs_cpu_times *t)
{
	return t->idle + t->iowait;
}

/* The counters after "cpu"/"cpuN": at least 4 (Linux 2.4 had 4), the rest
 * read as 0 when missing. */
static int
parse_cpu_fields(struct cur *c, struct procfs_cpu_times *ret)
{
	uint64_t v[10] = {0};
	size_t i;
	int r;

	for (i = 0; i < ARRAY_SIZE(v); i++) {
		skip_blanks(c);
		if (at_eol(c))
			break;
		if ((r = lex_u64(c, &v[i])) < 0)
			return r;
	}
	if (i < 4)
		return -EINVAL;
	skip_blanks(c);
	if (!at_eol(c))
		return -EINVAL;
	*ret = (struct procfs_cpu_times){
		.user = v[0],
		.nice = v[1],
		.system = v[2],
		.idle = v[3],
		.iowait = v[4],
		.irq = v[5],
		.softirq = v[6],
		.steal = v[7],
		.guest = v[8],
		.guest_nice = v[9],
	};
	return 0;
}

int
procfs_parse_stat(const char *buf, size_t len,
		  struct procfs_cpu_times *ret_total,
		  struct procfs_cpu *ret_cpus, size_t max, size_t *ret_n)
{
	struct cur c = {buf, buf + len};
	struct procfs_cpu_times total, t;
	bool have_total = false;
	size_t n = 0;
	int r;

	while (!cur_eof(&c)) {
		if (lex_word(&c, "cpu")) {
			if ((r = parse_cpu_fields(&c, &total)) < 0)
				return r;
			have_total = true;
		} else if (c.end - c.p > 3 && memcmp(c.p, "cpu", 3) == 0 &&
			   is_digit(c.p[3])) {
			uint64_t idx;

			c.p += 3;
			if ((r = lex_u64(&c, &idx)) < 0)
				return r;
			if (idx > UINT32_MAX)
				return -ERANGE;
			if ((r = parse_cpu_fields(&c, &t)) < 0)
				return r;
			if (n < max)
				ret_cpus[n] =
					(struct procfs_cpu){(unsigned)idx, t};
			n++;
		}
		skip_line(&c);
	}
	if (!have_total)
		return -EINVAL;
	*ret_total = total;
	*ret_n = n;
	return 0;
}

/* ------------------------------------------------------------ keyed */

struct key_field {
	const char *key;
	size_t off; /* of a uint64_t in the output struct */
};

/* "Key: value" lines (meminfo, PID/io): each known key's number goes to
 * OUT + its offset, times SCALE; returns a bit set of the keys seen. */
static int
parse_keyed(const char *buf, size_t len, const struct key_field *keys,
	    size_t nkeys, uint64_t scale, void *out, unsigned *ret_seen)
{
	struct cur c = {buf, buf + len};
	unsigned seen = 0;
	uint64_t v;
	size_t i;
	int r;

	while (!cur_eof(&c)) {
		for (i = 0; i < nkeys; i++)
			if (lex_word(&c, keys[i].key))
				break;
		if (i < nkeys && !cur_eof(&c) && *c.p == ':') {
			c.p++;
			if ((r = lex_u64(&c, &v)) < 0)
				return r;
			if (v > UINT64_MAX / scale)
				return -ERANGE;
			*(uint64_t *)(void *)((char *)out + keys[i].off) =
				v * scale;
			seen |= 1u << i;
		}
		skip_line(&c);
	}
	*ret_seen = seen;
	return 0;
}

/* ------------------------------------------------------------ meminfo */

int
procfs_parse_meminfo(const char *buf, size_t len, struct procfs_meminfo *ret)
{
	static const struct key_field keys[] = {
		{"MemTotal", offsetof(struct procfs_meminfo, total)},
		{"MemFree", offsetof(struct procfs_meminfo, free)},
		{"MemAvailable", offsetof(struct procfs_meminfo, available)},
		{"Buffers", offsetof(struct procfs_meminfo, buffers)},
		{"Cached", offsetof(struct procfs_meminfo, cached)},
		{"SReclaimable", offsetof(struct procfs_meminfo, sreclaimable)},
		{"SwapTotal", offsetof(struct procfs_meminfo, swap_total)},
		{"SwapFree", offsetof(struct procfs_meminfo, swap_free)},
	};
	struct procfs_meminfo m = {0};
	unsigned seen;
	int r;

	if ((r = parse_keyed(buf, len, keys, ARRAY_SIZE(keys), 1024, &m,
			     &seen)) < 0)
		return r;
	if (!(seen & 1) || m.total == 0)
		return -EINVAL;
	if (!(seen & 4)) {
		m.available = m.free + m.buffers + m.cached + m.sreclaimable;
		if (m.available > m.total)
			m.available = m.total;
	}
	*ret = m;
	return 0;
}

/* ------------------------------------------------------------ net/snmp */

/* The next line that starts with "Tcp:", past it; false if none. */
static bool
find_tcp_line(struct cur *c)
{
	while (!cur_eof(c)) {
		if ((size_t)(c->end - c->p) >= 4 &&
		    memcmp(c->p, "Tcp:", 4) == 0) {
			c->p += 4;
			return true;
		}
		skip_line(c);
	}
	return false;
}

int
procfs_parse_snmp_tcp(const char *buf, size_t len,
		      struct procfs_tcp_activity *ret)
{
#define TCP_KEY(name, field)                                                   \
	{                                                                      \
		name, offsetof(struct procfs_tcp_activity, field)              \
	}
	static const struct key_field keys[] = {
		TCP_KEY("ActiveOpens", active_opens),
		TCP_KEY("PassiveOpens", passive_opens),
		TCP_KEY("InSegs", in_segs),
		TCP_KEY("OutSegs", out_segs),
	};
#undef TCP_KEY
	struct procfs_tcp_activity a = {0};
	struct cur h = {buf, buf + len}, v;
	unsigned seen = 0;
	size_t i;
	int r;

	if (!find_tcp_line(&h))
		return -EINVAL;
	v = h;
	skip_line(&v);
	if (!find_tcp_line(&v))
		return -EINVAL;
	/* header and values side by side, a token each */
	for (;;) {
		skip_blanks(&h);
		if (at_eol(&h))
			break;
		for (i = 0; i < ARRAY_SIZE(keys); i++)
			if (lex_word(&h, keys[i].key))
				break;
		if (i == ARRAY_SIZE(keys)) {
			if ((r = lex_skip_token(&h)) < 0 ||
			    (r = lex_skip_token(&v)) < 0)
				return r;
			continue;
		}
		if ((r = lex_u64(&v, (uint64_t *)(void *)((char *)&a +
							 keys[i].off))) < 0)
			return r;
		if (!at_eol(&v) && *v.p != ' ' && *v.p != '\t')
			return -EINVAL;
		seen |= 1u << i;
	}
	if (seen != (1u << ARRAY_SIZE(keys)) - 1)
		return -EINVAL;
	*ret = a;
	return 0;
}

/* ------------------------------------------------------------ loadavg */

int
procfs_parse_loadavg(const char *buf, size_t len, struct procfs_loadavg *ret)
{
	struct cur c = {buf, buf + len};
	struct procfs_loadavg l;
	uint64_t running, total;
	int r, i;

	for (i = 0; i < 3; i++)
		if ((r = lex_double(&c, &l.load[i])) < 0)
			return r;
	if ((r = lex_u64(&c, &running)) < 0)
		return r;
	if (cur_eof(&c) || *c.p != '/')
		return -EINVAL;
	c.p++;
	if ((r = lex_u64(&c, &total)) < 0)
		return r;
	if (running > UINT32_MAX || total > UINT32_MAX)
		return -ERANGE;
	l.running = (unsigned)running;
	l.total = (unsigned)total;
	*ret = l;
	return 0;
}

/* ------------------------------------------------------------ pressure */

static int
parse_psi_line(struct cur *c, struct procfs_psi_line *ret)
{
	static const char *const keys[] = {"avg10", "avg60", "avg300"};
	double v[3];
	uint64_t total;
	int r, i;

	for (i = 0; i < 3; i++) {
		skip_blanks(c);
		if (!lex_word(c, keys[i]) || cur_eof(c) || *c->p != '=')
			return -EINVAL;
		c->p++;
		if ((r = lex_double(c, &v[i])) < 0)
			return r;
	}
	skip_blanks(c);
	if (!lex_word(c, "total") || cur_eof(c) || *c->p != '=')
		return -EINVAL;
	c->p++;
	if ((r = lex_u64(c, &total)) < 0)
		return r;
	*ret = (struct procfs_psi_line){v[0], v[1], v[2], total};
	return 0;
}

int
procfs_parse_pressure(const char *buf, size_t len, struct procfs_psi *ret)
{
	struct cur c = {buf, buf + len};
	struct procfs_psi psi = {0};
	int r;

	while (!cur_eof(&c)) {
		if (lex_word(&c, "some")) {
			if ((r = parse_psi_line(&c, &psi.some)) < 0)
				return r;
			psi.has_some = true;
		} else if (lex_word(&c, "full")) {
			if ((r = parse_psi_line(&c, &psi.full)) < 0)
				return r;
			psi.has_full = true;
		}
		skip_line(&c);
	}
	if (!psi.has_some)
		return -EINVAL;
	*ret = psi;
	return 0;
}

/* ------------------------------------------------------------ diskstats */

static int
parse_disk_line(struct cur *c, struct procfs_disk *d)
{
	uint64_t v[10], major, minor;
	const char *name;
	size_t i, n;
	int r;

	if ((r = lex_u64(c, &major)) < 0 || (r = lex_u64(c, &minor)) < 0)
		return r;
	skip_blanks(c);
	name = c->p;
	if ((r = lex_skip_token(c)) < 0)
		return r;
	n = (size_t)(c->p - name);
	if (n >= sizeof(d->name) || major > UINT32_MAX || minor > UINT32_MAX)
		return -ERANGE;
	/* reads, merged, sectors, ms, writes, merged, sectors, ms, in
	 * flight, io_ticks: the first ten of the eleven or more fields */
	for (i = 0; i < ARRAY_SIZE(v); i++)
		if ((r = lex_u64(c, &v[i])) < 0)
			return r;
	memcpy(d->name, name, n);
	d->name[n] = '\0';
	d->major = (unsigned)major;
	d->minor = (unsigned)minor;
	d->reads = v[0];
	d->sectors_read = v[2];
	d->writes = v[4];
	d->sectors_written = v[6];
	d->io_ticks_ms = v[9];
	return 0;
}

int
procfs_parse_diskstats(const char *buf, size_t len,
		       int (*fn)(const struct procfs_disk *d, void *ctx),
		       void *ctx)
{
	struct cur c = {buf, buf + len};
	struct procfs_disk d;
	int count = 0, r;

	while (!cur_eof(&c)) {
		if (parse_disk_line(&c, &d) == 0) {
			if ((r = fn(&d, ctx)) != 0)
				return r;
			if (count < INT32_MAX)
				count++;
		}
		skip_line(&c);
	}
	return count;
}

/* ------------------------------------------------------------ PID/stat */

int
procfs_parse_pid_stat(const char *buf, size_t len, struct procfs_pid_stat *ret)
{
	struct cur c = {buf, buf + len};
	struct procfs_pid_stat s = {0};
	const char *open, *close;
	uint64_t pid, v;
	int64_t ppid, nice;
	size_t n;
	int r, field;

	if ((r = lex_u64(&c, &pid)) < 0)
		return r;
	skip_blanks(&c);
	if (cur_eof(&c) || *c.p != '(')
		return -EINVAL;
	open = c.p + 1;
	close = NULL;
	for (const char *p = open; p < c.end; p++)
		if (*p == ')')
			close = p;
	if (close == NULL)
		return -EINVAL;
	n = (size_t)(close - open);
	if (n >= sizeof(s.comm))
		n = sizeof(s.comm) - 1;
	memcpy(s.comm, open, n);
	c.p = close + 1;
	skip_blanks(&c);
	if (cur_eof(&c) || *c.p == '\n')
		return -EINVAL;
	s.state = *c.p++;
	if ((r = lex_i64(&c, &ppid)) < 0)
		return r;
	/* fields 5 to 24; tpgid (8), priority (18) and nice (19) may be
	 * negative, and none of those we keep but nice */
	for (field = 5; field <= 24; field++) {
		skip_blanks(&c);
		if (!cur_eof(&c) && *c.p == '-') {
			if ((r = lex_i64(&c, &nice)) < 0)
				return r;
			if (field == 19)
				s.nice = nice;
			else if (field != 8 && field != 18)
				return -ERANGE;
			continue;
		}
		if ((r = lex_u64(&c, &v)) < 0)
			return r;
		switch (field) {
		case 14:
			s.utime = v;
			break;
		case 15:
			s.stime = v;
			break;
		case 19:
			s.nice = v > INT64_MAX ? INT64_MAX : (int64_t)v;
			break;
		case 20:
			s.threads = v;
			break;
		case 22:
			s.starttime = v;
			break;
		case 23:
			s.vsize = v;
			break;
		case 24:
			s.rss_pages = v;
			break;
		default:
			break;
		}
	}
	if (pid > INT32_MAX || ppid < 0 || ppid > INT32_MAX)
		return -ERANGE;
	s.pid = (pid_t)pid;
	s.ppid = (pid_t)ppid;
	*ret = s;
	return 0;
}

/* ------------------------------------------------------------ PID/io */

int
procfs_parse_pid_io(const char *buf, size_t len, struct procfs_pid_io *ret)
{
	static const struct key_field keys[] = {
		{"rchar", offsetof(struct procfs_pid_io, rchar)},
		{"wchar", offsetof(struct procfs_pid_io, wchar)},
		{"read_bytes", offsetof(struct procfs_pid_io, read_bytes)},
		{"write_bytes", offsetof(struct procfs_pid_io, write_bytes)},
		{"cancelled_write_bytes",
		 offsetof(struct procfs_pid_io, cancelled_write_bytes)},
	};
	struct procfs_pid_io io = {0};
	unsigned seen;
	int r;

	if ((r = parse_keyed(buf, len, keys, ARRAY_SIZE(keys), 1, &io, &seen)) <
	    0)
		return r;
	/* read_bytes and write_bytes are what we publish */
	if ((seen & 0xc) != 0xc)
		return -EINVAL;
	*ret = io;
	return 0;
}

/* ------------------------------------------------------------ lists */

int
procfs_parse_pid_list(const char *buf, size_t len, pid_t *ret_pids, size_t max)
{
	struct cur c = {buf, buf + len};
	uint64_t v;
	size_t n = 0;
	int r;

	for (;;) {
		skip_blanks(&c);
		while (!cur_eof(&c) && *c.p == '\n')
			c.p++;
		skip_blanks(&c);
		if (cur_eof(&c))
			break;
		if ((r = lex_u64(&c, &v)) < 0)
			return r;
		if (v == 0 || v > INT32_MAX)
			return -ERANGE;
		if (n < max)
			ret_pids[n] = (pid_t)v;
		if (n >= INT32_MAX)
			return -ERANGE;
		n++;
	}
	return (int)n;
}

int
procfs_parse_cpu_list(const char *buf, size_t len, unsigned *ret_count)
{
	struct cur c = {buf, buf + len};
	uint64_t lo, hi, count = 0;
	int r;

	for (;;) {
		if ((r = lex_u64(&c, &lo)) < 0)
			return r;
		hi = lo;
		if (!cur_eof(&c) && *c.p == '-') {
			c.p++;
			if ((r = lex_u64(&c, &hi)) < 0)
				return r;
			if (hi < lo)
				return -EINVAL;
		}
		if (hi - lo >= 1u << 20 || (count += hi - lo + 1) > 1u << 20)
			return -ERANGE;
		if (cur_eof(&c) || *c.p == '\n')
			break;
		if (*c.p != ',')
			return -EINVAL;
		c.p++;
	}
	*ret_count = (unsigned)count;
	return 0;
}

/* ------------------------------------------------------------ cgroups */

static int
copy_path(char *dst, size_t size, const char *p, const char *end)
{
	size_t n = (size_t)(end - p);

	if (n >= size)
		return -ENAMETOOLONG;
	if (n == 0 || p[0] != '/')
		return -EINVAL;
	memcpy(dst, p, n);
	dst[n] = '\0';
	return 0;
}

/* Does the comma-separated list [P, END) name controller CTL? */
static bool
has_controller(const char *p, const char *end, const char *ctl)
{
	size_t n = strlen(ctl);

	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *e = comma ? comma : end;

		if ((size_t)(e - p) == n && memcmp(p, ctl, n) == 0)
			return true;
		p = e + 1;
	}
	return false;
}

int
procfs_parse_cgroup(const char *buf, size_t len, struct procfs_cgroup *ret)
{
	struct cur c = {buf, buf + len};
	struct procfs_cgroup cg = {{0}, {0}, {0}};
	int r;

	while (!cur_eof(&c)) {
		const char *line = c.p, *eol, *c1, *c2;

		skip_line(&c);
		eol = c.p;
		if (eol > line && eol[-1] == '\n')
			eol--;
		/* hierarchy-ID:controller-list:path; the path may hold ':' */
		c1 = memchr(line, ':', (size_t)(eol - line));
		if (c1 == NULL)
			continue;
		c2 = memchr(c1 + 1, ':', (size_t)(eol - c1 - 1));
		if (c2 == NULL)
			continue;
		if (c1 - line == 1 && line[0] == '0' && c2 == c1 + 1) {
			if ((r = copy_path(cg.v2, sizeof(cg.v2), c2 + 1, eol)) <
			    0)
				return r;
		}
		if (has_controller(c1 + 1, c2, "cpu") &&
		    (r = copy_path(cg.cpu, sizeof(cg.cpu), c2 + 1, eol)) < 0)
			return r;
		if (has_controller(c1 + 1, c2, "memory") &&
		    (r = copy_path(cg.memory, sizeof(cg.memory), c2 + 1, eol)) <
			    0)
			return r;
	}
	*ret = cg;
	return 0;
}

int
procfs_parse_cpu_max(const char *buf, size_t len, double *ret_cores)
{
	struct cur c = {buf, buf + len};
	uint64_t quota = 0, period;
	bool unlimited;
	int r;

	unlimited = lex_word(&c, "max");
	if (!unlimited && (r = lex_u64(&c, &quota)) < 0)
		return r;
	if ((r = lex_u64(&c, &period)) < 0)
		return r;
	if (period == 0)
		return -EINVAL;
	*ret_cores = unlimited ? 0 : (double)quota / (double)period;
	return 0;
}

int
procfs_parse_cfs_quota(const char *quota, size_t qlen, const char *period,
		       size_t plen, double *ret_cores)
{
	struct cur q = {quota, quota + qlen}, p = {period, period + plen};
	int64_t qv;
	uint64_t pv;
	int r;

	if ((r = lex_i64(&q, &qv)) < 0 || (r = lex_u64(&p, &pv)) < 0)
		return r;
	if (pv == 0 || qv < -1 || qv == 0)
		return -EINVAL;
	*ret_cores = qv < 0 ? 0 : (double)qv / (double)pv;
	return 0;
}

int
procfs_parse_mem_limit(const char *buf, size_t len, uint64_t *ret_bytes)
{
	struct cur c = {buf, buf + len};
	uint64_t v;
	int r;

	if (lex_word(&c, "max")) {
		*ret_bytes = 0;
		return 0;
	}
	if ((r = lex_u64(&c, &v)) < 0)
		return r;
	*ret_bytes = v >= (1ull << 62) ? 0 : v;
	return 0;
}
