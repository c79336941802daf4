/*
 * Logging sink.  See log.h for the contract.
 *
 * A line is formatted into one buffer and written with a single write(2)
 * so that lines from the daemon and from test harnesses reading its stderr
 * never interleave mid-line.  Lines longer than the buffer are truncated
 * with a marker rather than split.
 */
#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 4096

static const char *log_progname = "supvisors-sched";
static int log_verbose;
static int log_journal;         /* stderr is the journal: "<N>" prefixes */
static int log_fd = 2;
static char *log_path;

static int
journal_is_stderr(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return 0;
	if (fstat(2, &st) < 0)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

void
log_init(const char *progname, int verbose)
{
	if (progname != NULL)
		log_progname = progname;
	log_verbose = verbose;
	log_journal = journal_is_stderr();
}

void
log_set_verbose(int verbose)
{
	log_verbose = verbose;
}

int
log_get_verbose(void)
{
	return log_verbose;
}

int
log_enabled(enum log_level level)
{
	return level < LOG_LEVEL_DEBUG || log_verbose > 0;
}

static int
open_log_file(const char *path)
{
	return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY,
		    0640);
}

int
log_open_file(const char *path)
{
	int fd, saved = errno;
	char *copy = NULL;

	if (path == NULL) {
		if (log_fd > 2)
			close(log_fd);
		log_fd = 2;
		free(log_path);
		log_path = NULL;
		log_journal = journal_is_stderr();
		return 0;
	}
	copy = strdup(path);
	if (copy == NULL)
		return -ENOMEM;
	fd = open_log_file(path);
	if (fd < 0) {
		int r = -errno;
		free(copy);
		errno = saved;
		return r;
	}
	if (log_fd > 2)
		close(log_fd);
	log_fd = fd;
	free(log_path);
	log_path = copy;
	log_journal = 0;
	errno = saved;
	return 0;
}

int
log_reopen(void)
{
	int fd, saved = errno;

	if (log_path == NULL)
		return 0;
	fd = open_log_file(log_path);
	if (fd < 0) {
		int r = -errno;
		errno = saved;
		return r;
	}
	if (log_fd > 2)
		close(log_fd);
	log_fd = fd;
	errno = saved;
	return 0;
}

static const char *
level_word(enum log_level level)
{
	switch (level) {
	case LOG_LEVEL_ERR:
		return "ERROR";
	case LOG_LEVEL_WARNING:
		return "WARN";
	case LOG_LEVEL_NOTICE:
		return "NOTICE";
	case LOG_LEVEL_INFO:
		return "INFO";
	case LOG_LEVEL_DEBUG:
		return "DEBUG";
	}
	return "?";
}

static void
log_emit(enum log_level level, const char *fmt, va_list ap, const char *tail)
{
	char line[LOG_LINE_MAX];
	size_t n = 0, cap = sizeof(line) - 2; /* room for "\n\0" */
	int saved = errno, r;

	if (!log_enabled(level))
		return;
	if (log_journal) {
		r = snprintf(line, cap, "<%d>", (int)level);
	} else {
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		r = snprintf(line, cap,
			     "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s: ",
			     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			     tm.tm_hour, tm.tm_min, tm.tm_sec,
			     ts.tv_nsec / 1000000, log_progname,
			     level_word(level));
	}
	n = r > 0 ? (size_t)r : 0;
	if (n < cap) {
		r = vsnprintf(line + n, cap - n, fmt, ap);
		if (r > 0)
			n += (size_t)r < cap - n ? (size_t)r : cap - n - 1;
	}
	if (tail != NULL && n < cap) {
		r = snprintf(line + n, cap - n, ": %s", tail);
		if (r > 0)
			n += (size_t)r < cap - n ? (size_t)r : cap - n - 1;
	}
	line[n++] = '\n';
	/* One write per line; a short write on a full pipe is not retried
	 * in a loop that could block the daemon forever. */
	if (write(log_fd, line, n) < 0) {
		/* nowhere to report it */
	}
	errno = saved;
}

void
log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	log_emit(level, fmt, ap, NULL);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(level, fmt, ap, NULL);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_WARNING, fmt, ap, strerror(saved));
	va_end(ap);
	errno = saved;
}

#define LOG_FN(name, level)                                                    \
	void name(const char *fmt, ...)                                        \
	{                                                                      \
		va_list ap;                                                    \
		va_start(ap, fmt);                                             \
		log_emit(level, fmt, ap, NULL);                                \
		va_end(ap);                                                    \
	}

LOG_FN(log_warnx, LOG_LEVEL_WARNING)
LOG_FN(log_info, LOG_LEVEL_INFO)
LOG_FN(log_notice, LOG_LEVEL_NOTICE)
LOG_FN(log_error, LOG_LEVEL_ERR)

void
fatal(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_ERR, fmt, ap, strerror(saved));
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_ERR, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
