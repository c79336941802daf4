/*
 * Child log files and the pipes that feed them.  See logfile.h.
 *
 * One static read buffer serves every pipe: data only stays in memory
 * (a heap copy in logpipe.pend) while the file refuses it, so a thousand
 * quiet children cost no buffer memory.
 */
#define _GNU_SOURCE
#include "core/logfile.h"

#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"

struct follower {
	logfile_follow_fn fn;
	void *data;
};

struct logfile {
	unsigned refs;
	int fd;
	char *path;
	uint64_t size;
	uint64_t maxbytes;
	unsigned backups;
	size_t nfollowers;
	struct follower followers[LOGFILE_FOLLOWERS_MAX];
};

static int
open_append(const char *path, uint64_t *ret_size)
{
	struct stat st;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY,
		  0644);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	*ret_size = (uint64_t)st.st_size;
	return fd;
}

int
logfile_open(const char *path, uint64_t maxbytes, unsigned backups,
	     struct logfile **ret)
{
	struct logfile *lf;
	struct stat st;
	uint64_t size;

	/* only checked now, created at the first write: every fd of the
	 * daemon is copied into each child it forks and closed again at
	 * exec, and file creation is the slow part of a spawn, so a
	 * thousand idle log files would make every start slower */
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return -EISDIR;
		if (!S_ISREG(st.st_mode))
			maxbytes = 0; /* /dev/stdout, a FIFO: never renamed */
		if (access(path, W_OK) < 0)
			return -errno;
		size = (uint64_t)st.st_size;
	} else if (errno != ENOENT) {
		return -errno;
	} else {
		char *dir = xstrdup(path), *slash = strrchr(dir, '/');
		int r = 0;

		if (slash != NULL)
			*(slash == dir ? slash + 1 : slash) = '\0';
		if (access(slash != NULL ? dir : ".", W_OK) < 0)
			r = -errno;
		free(dir);
		if (r < 0)
			return r;
		size = 0;
	}
	lf = xcalloc(1, sizeof(*lf));
	lf->refs = 1;
	lf->fd = -1;
	lf->path = xstrdup(path);
	lf->size = size;
	lf->maxbytes = maxbytes;
	lf->backups = backups;
	*ret = lf;
	return 0;
}

struct logfile *
logfile_ref(struct logfile *lf)
{
	if (lf != NULL)
		lf->refs++;
	return lf;
}

struct logfile *
logfile_unref(struct logfile *lf)
{
	if (lf == NULL || --lf->refs > 0)
		return NULL;
	if (lf->fd >= 0)
		close(lf->fd);
	free(lf->path);
	free(lf);
	return NULL;
}

const char *
logfile_path(const struct logfile *lf)
{
	return lf->path;
}

int
logfile_reopen(struct logfile *lf)
{
	uint64_t size;
	int fd;

	if (lf->fd < 0)
		return 0; /* opened at the next write anyway */
	fd = open_append(lf->path, &size);
	if (fd < 0)
		return fd;
	if (lf->fd >= 0)
		close(lf->fd);
	lf->fd = fd;
	lf->size = size;
	return 0;
}

/* NAME.N-1 -> NAME.N, ..., NAME -> NAME.1, then a fresh NAME. */
static int
rotate(struct logfile *lf)
{
	size_t plen = strlen(lf->path) + 16;
	char *from = xmalloc(plen), *to = xmalloc(plen);
	int r = 0, fd;

	if (lf->backups == 0) {
		if (lf->fd < 0 || ftruncate(lf->fd, 0) < 0)
			r = -errno;
		else
			lf->size = 0;
		goto out;
	}
	for (unsigned i = lf->backups; i > 1; i--) {
		snprintf(from, plen, "%s.%u", lf->path, i - 1);
		snprintf(to, plen, "%s.%u", lf->path, i);
		if (rename(from, to) < 0 && errno != ENOENT) {
			r = -errno;
			goto out;
		}
	}
	snprintf(to, plen, "%s.1", lf->path);
	if (rename(lf->path, to) < 0 && errno != ENOENT) {
		r = -errno;
		goto out;
	}
	fd = open(lf->path,
		  O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOCTTY,
		  0644);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	if (lf->fd >= 0)
		close(lf->fd);
	lf->fd = fd;
	lf->size = 0;
out:
	free(from);
	free(to);
	return r;
}

static void
notify_followers(struct logfile *lf, const char *buf, size_t len)
{
	/* a callback may unfollow itself: iterate over a copy */
	struct follower copy[LOGFILE_FOLLOWERS_MAX];
	size_t n = lf->nfollowers;

	memcpy(copy, lf->followers, n * sizeof(copy[0]));
	for (size_t i = 0; i < n; i++)
		copy[i].fn(copy[i].data, buf, len);
}

ssize_t
logfile_write(struct logfile *lf, const void *data, size_t len)
{
	const char *p = data;
	size_t done = 0;
	int err = 0;

	if (lf->fd < 0 && len > 0) {
		int fd = open_append(lf->path, &lf->size);

		if (fd < 0)
			return fd;
		lf->fd = fd;
	}

	while (done < len) {
		size_t n = len - done;
		ssize_t w;

		if (lf->maxbytes > 0 && lf->size >= lf->maxbytes) {
			err = rotate(lf);
			if (err < 0)
				break;
		}
		if (lf->maxbytes > 0 && n > lf->maxbytes - lf->size)
			n = (size_t)(lf->maxbytes - lf->size);
		w = write(lf->fd, p + done, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			err = w < 0 ? -errno : -ENOSPC;
			break;
		}
		lf->size += (uint64_t)w;
		done += (size_t)w;
	}
	if (done > 0 && lf->nfollowers > 0)
		notify_followers(lf, p, done);
	if (done == 0 && err < 0)
		return err;
	return (ssize_t)done;
}

int
logfile_tail(const struct logfile *lf, size_t bytes, struct strbuf *out)
{
	struct stat st;
	off_t off;
	size_t want;
	int fd, r = 0;

	/* read through a fresh descriptor: lf->fd is write-only */
	fd = open(lf->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	want = (uint64_t)st.st_size < bytes ? (size_t)st.st_size : bytes;
	off = st.st_size - (off_t)want;
	strbuf_grow(out, want);
	while (want > 0) {
		ssize_t n = pread(fd, out->buf + out->len, want, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
		out->buf[out->len] = '\0';
		off += n;
		want -= (size_t)n;
	}
out:
	close(fd);
	return r;
}

int
logfile_follow(struct logfile *lf, logfile_follow_fn fn, void *data)
{
	if (lf->nfollowers >= LOGFILE_FOLLOWERS_MAX)
		return -EMFILE;
	lf->followers[lf->nfollowers++] = (struct follower){fn, data};
	return 0;
}

void
logfile_unfollow(struct logfile *lf, logfile_follow_fn fn, void *data)
{
	for (size_t i = 0; i < lf->nfollowers; i++) {
		if (lf->followers[i].fn == fn && lf->followers[i].data == data) {
			memmove(&lf->followers[i], &lf->followers[i + 1],
				(lf->nfollowers - i - 1) *
					sizeof(lf->followers[0]));
			lf->nfollowers--;
			return;
		}
	}
}

/* ------------------------------------------------------------ pipes */

struct logpipe {
	ev_io io;
	ev_timer retry;
	struct ev_loop *loop;
	struct logfile *lf;
	char *pend; /* bytes read but refused by the file */
	size_t plen;
	bool warned;
	struct logpipe *prev, *next;
};

static struct logpipe *pipes;
static size_t npipes;
static char readbuf[65536];

/* At most this much per callback, so one chatty child cannot starve the
 * loop; libev calls again while the pipe stays readable. */
#define LOGPIPE_BURST (4 * sizeof(readbuf))
/* At exit: what is already in the pipes, not a writer that never stops. */
#define LOGPIPE_FINAL_BURST (16u << 20)

static void
logpipe_free(struct logpipe *lp)
{
	ev_io_stop(lp->loop, &lp->io);
	ev_timer_stop(lp->loop, &lp->retry);
	close(lp->io.fd);
	if (lp->plen > 0)
		log_warnx("child log '%s': %zu bytes could not be written, "
			  "dropped at exit", logfile_path(lp->lf), lp->plen);
	free(lp->pend);
	logfile_unref(lp->lf);
	if (lp->prev != NULL)
		lp->prev->next = lp->next;
	else
		pipes = lp->next;
	if (lp->next != NULL)
		lp->next->prev = lp->prev;
	npipes--;
	free(lp);
}

/* Write BUF; keep what the file refused and stop reading.  1 when all
 * went through. */
static int
push(struct logpipe *lp, const char *buf, size_t len)
{
	ssize_t w = logfile_write(lp->lf, buf, len);
	size_t done = w > 0 ? (size_t)w : 0;

	if (done == len) {
		if (lp->warned)
			log_info("child log '%s': writing again",
				 logfile_path(lp->lf));
		lp->warned = false;
		return 1;
	}
	if (!lp->warned) {
		errno = w < 0 ? (int)-w : ENOSPC;
		log_warn("child log '%s': holding output, the child waits",
			 logfile_path(lp->lf));
		lp->warned = true;
	}
	if (buf != lp->pend) {
		lp->pend = xmalloc(len - done);
		memcpy(lp->pend, buf + done, len - done);
	} else {
		memmove(lp->pend, lp->pend + done, len - done);
	}
	lp->plen = len - done;
	ev_io_stop(lp->loop, &lp->io);
	ev_timer_set(&lp->retry, LOGPIPE_RETRY_MS / 1000.0, 0.);
	ev_timer_start(lp->loop, &lp->retry);
	return 0;
}

static void
on_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct logpipe *lp = container_of(w, struct logpipe, retry);

	if (!push(lp, lp->pend, lp->plen))
		return;
	free(lp->pend);
	lp->pend = NULL;
	lp->plen = 0;
	ev_io_start(loop, &lp->io);
}

/* 1: more may come; 0: end of file (LP freed). */
static int
drain(struct logpipe *lp, size_t burst)
{
	size_t total = 0;

	while (total < burst) {
		ssize_t n = read(lp->io.fd, readbuf, sizeof(readbuf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 1;
		if (n <= 0) {
			if (n < 0)
				log_warn("child log '%s': read",
					 logfile_path(lp->lf));
			logpipe_free(lp);
			return 0;
		}
		total += (size_t)n;
		if (!push(lp, readbuf, (size_t)n))
			return 1;
	}
	return 1;
}

static void
on_readable(struct ev_loop *loop, ev_io *w, int revents)
{
	drain(container_of(w, struct logpipe, io), LOGPIPE_BURST);
}

struct logpipe *
logpipe_new(struct ev_loop *loop, int fd, struct logfile *lf)
{
	struct logpipe *lp = xcalloc(1, sizeof(*lp));
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		(void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	lp->loop = loop;
	lp->lf = logfile_ref(lf);
	ev_io_init(&lp->io, on_readable, fd, EV_READ);
	ev_timer_init(&lp->retry, on_retry, 0., 0.);
	ev_io_start(loop, &lp->io);
	lp->next = pipes;
	if (pipes != NULL)
		pipes->prev = lp;
	pipes = lp;
	npipes++;
	return lp;
}

void
logpipe_close_all(void)
{
	while (pipes != NULL) {
		struct logpipe *lp = pipes;

		if (lp->plen == 0 && drain(lp, LOGPIPE_FINAL_BURST) == 0)
			continue;
		logpipe_free(lp);
	}
}

size_t
logpipe_count(void)
{
	return npipes;
}
