/*
 * Logging, in the shape of OpenBSD's log.c.
 *
 * One process-wide sink: stderr by default, or a file given to log_init().
 * When stderr is the systemd journal ($JOURNAL_STREAM names fd 2's device
 * and inode) each line gets a "<N>" syslog priority prefix and no
 * timestamp, since the journal adds its own.  Otherwise lines carry an
 * RFC 3339 UTC timestamp and a level word.
 *
 * Only core/ and tools/ log above debug; modules below core/ return -errno
 * and let their caller decide (house rule).  Every function here preserves
 * errno.  The level is checked before anything is formatted.
 */
#ifndef CORE_LOG_H
#define CORE_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LEVEL_ERR = 3,
	LOG_LEVEL_WARNING = 4,
	LOG_LEVEL_NOTICE = 5,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7,
};

/* Process name shown in front of lines when not on the journal. */
void log_init(const char *progname, int verbose);
/* Log to PATH (appended, created 0640) instead of stderr; NULL = stderr.
 * Returns 0 or -errno; on failure the previous sink stays. */
int log_open_file(const char *path);
/* Re-open the file given to log_open_file() (SIGUSR2, after logrotate). */
int log_reopen(void);
void log_set_verbose(int verbose);
int log_get_verbose(void);
/* 1 when a message at LEVEL would be written. */
int log_enabled(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* log_warn appends ": strerror(errno)"; log_warnx does not. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* log_error: an error that is not fatal (the daemon goes on). */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define log_debug(...)                                                         \
	do {                                                                   \
		if (log_enabled(LOG_LEVEL_DEBUG))                              \
			log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__);                 \
	} while (0)

/* Only before the loop runs, or on a broken invariant. Exit 1. */
void fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

#endif
