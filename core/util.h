/*
 * Small helpers every module may use: monotonic time, strict parsing of
 * integers, durations and sizes, signal names, allocation that aborts on
 * OOM, and a growable string buffer.
 *
 * Parsers are strict: no leading or trailing blanks, no partial numbers,
 * overflow is an error.  They return 0 or -EINVAL (syntax) / -ERANGE
 * (out of bounds) and write *ret only on success.
 *
 * Ownership: strbuf owns its buffer; strbuf_done() frees it and leaves an
 * empty, reusable buffer.  strbuf_steal() hands the buffer to the caller.
 */
#ifndef CORE_UTIL_H
#define CORE_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define container_of(ptr, type, member)                                        \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#define MSEC_PER_SEC 1000LL
#define NSEC_PER_MSEC 1000000LL
#define NSEC_PER_SEC 1000000000LL

/* CLOCK_MONOTONIC, for every decision. */
int64_t util_now_ns(void);
int64_t util_now_ms(void);
/* CLOCK_REALTIME in ms, only for display and for wire timestamps. */
int64_t util_wall_ms(void);

int util_parse_int64(const char *s, int64_t min, int64_t max, int64_t *ret);
int util_parse_uint64(const char *s, uint64_t max, uint64_t *ret);
/* "500ms", "10s", "5m", "2h", "1d", "1m30s", "1.5s"; bare number = seconds.
 * Result in milliseconds, at most MAX_MS. */
int util_parse_duration_ms(const char *s, int64_t max_ms, int64_t *ret_ms);
/* "50MB", "256KiB", "1GB", "4096"; K/M/G/T with or without "i" and "B",
 * any case; factors are 1024 as supervisord's byte sizes. */
int util_parse_size(const char *s, uint64_t max, uint64_t *ret);
/* Format a duration for humans: "3m12s", "2d4h", "850ms". */
char *util_format_duration(int64_t ms, char *buf, size_t len);

/* "TERM", "SIGTERM", "term", "15" -> SIGTERM.  -EINVAL if unknown. */
int util_signal_from_name(const char *s);
/* SIGTERM -> "TERM"; NULL if unknown. */
const char *util_signal_name(int sig);

/* FNV-1a of a NUL-terminated string, for the open-addressing name maps:
 * short keys, and no adversary gains anything from collisions. */
uint64_t util_hash_str(const char *s);

/* Levenshtein distance, capped at CAP (for "did you mean"). */
unsigned util_edit_distance(const char *a, const char *b, unsigned cap);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* realloc of an array of NMEMB elements, overflow-checked. */
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

struct strbuf {
	char *buf; /* always NUL-terminated once anything was added */
	size_t len;
	size_t cap;
};

#define STRBUF_INIT {NULL, 0, 0}

void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_adds(struct strbuf *sb, const char *s);
void strbuf_addc(struct strbuf *sb, char c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
void strbuf_reset(struct strbuf *sb);
void strbuf_done(struct strbuf *sb);
char *strbuf_steal(struct strbuf *sb);
/* Never NULL: "" for an empty buffer. */
const char *strbuf_str(const struct strbuf *sb);

/* Replace PATH with LEN bytes of DATA through PATH.tmp, fsync(2) and
 * rename(2): a reader (or a daemon after a crash) sees the old or the
 * new content whole.  0 or -errno (PATH is then unchanged). */
int util_write_file_atomic(const char *path, const void *data, size_t len);

#endif
