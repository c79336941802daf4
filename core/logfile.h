/*
 * logfile: where a child's stdout or stderr goes.
 *
 * A struct logfile is one file with supervisord's size rotation: once it
 * holds maxbytes, NAME.N-1 becomes NAME.N ... NAME becomes NAME.1 and a
 * new NAME is started (with backups 0 the file is truncated instead, as
 * supervisord does).  Writes are split at the rotation boundary, so each
 * rotated file holds exactly maxbytes and the concatenation of
 * NAME.N .. NAME.1 NAME is the byte stream the child wrote.
 *
 * A struct logpipe reads one pipe (non-blocking, an ev_io) into a
 * logfile.  Nothing is dropped: when the file takes fewer bytes than read
 * (ENOSPC, EIO, a quota) the rest is held, the pipe is no longer read, so
 * the child blocks on its full pipe, and the write is retried every
 * LOGPIPE_RETRY_MS until it goes through.  A logpipe lives until end of
 * file on its pipe (the child and every descendant holding it closed it),
 * independently of the process that created it, then frees itself.
 *
 * Followers (tail -f) see every chunk after it was written to the file.
 *
 * Ownership: a logfile is reference counted (logfile_ref/_unref); each
 * logpipe reading into it holds one reference.  logpipe_new() takes the
 * pipe fd.  logpipe_close_all() frees every live pipe (daemon exit).
 * Follower callbacks must not free the logfile they are called for.
 */
#ifndef CORE_LOGFILE_H
#define CORE_LOGFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ev_loop;
struct strbuf;
struct logfile;
struct logpipe;

#define LOGPIPE_RETRY_MS 200

typedef void (*logfile_follow_fn)(void *data, const char *buf, size_t len);

/* A log file at PATH (appended, created 0644 at the first write; its
 * directory must be writable now).  MAXBYTES 0: never rotate; a path
 * that is not a regular file (/dev/stdout, a FIFO) never rotates. */
int logfile_open(const char *path, uint64_t maxbytes, unsigned backups,
		 struct logfile **ret);
struct logfile *logfile_ref(struct logfile *lf);
struct logfile *logfile_unref(struct logfile *lf);
const char *logfile_path(const struct logfile *lf);
/* Bytes written (the whole of LEN unless the file refused some), or
 * -errno when nothing could be written. */
ssize_t logfile_write(struct logfile *lf, const void *data, size_t len);
/* Close and open the path again (SIGUSR2, after logrotate moved it). */
int logfile_reopen(struct logfile *lf);
/* Append the last BYTES bytes of the current file to OUT. */
int logfile_tail(const struct logfile *lf, size_t bytes, struct strbuf *out);

/* Followers: at most LOGFILE_FOLLOWERS_MAX per file. */
#define LOGFILE_FOLLOWERS_MAX 16
int logfile_follow(struct logfile *lf, logfile_follow_fn fn, void *data);
void logfile_unfollow(struct logfile *lf, logfile_follow_fn fn, void *data);

/* Read FD (made non-blocking here) into LF until end of file. */
struct logpipe *logpipe_new(struct ev_loop *loop, int fd, struct logfile *lf);
/* Read what is readable now from every live pipe (used before exit so
 * the last lines of a stopped child are kept), then free them all. */
void logpipe_close_all(void);
/* Live pipes, for tests and the status line. */
size_t logpipe_count(void);

#endif
