/*
 * disabled: the programs disabled on this instance (Supvisors' enable /
 * disable), as a small set of "application:program" keys, and the file
 * instance.state_dir/disabled that keeps it across daemon restarts.
 *
 * The unit is the program, as in Supvisors: every process of a program
 * with numprocs > 1 is disabled together.  The file holds one key a
 * line; it is rewritten whole through a temporary file and rename(2),
 * so a crash leaves the old or the new version, never half of one.
 * Parsing is pure (disabled_parse) so that the fuzz target and the unit
 * tests can feed it anything: a line that cannot be a key (no colon,
 * blanks, control characters, over 255 bytes) is skipped, never fatal,
 * because a damaged file must not keep the daemon from starting.
 *
 * Ownership: the set copies its keys; disabled_free() accepts NULL and
 * returns NULL.
 */
#ifndef CORE_DISABLED_H
#define CORE_DISABLED_H

#include <stdbool.h>
#include <stddef.h>

struct disabled;
struct strbuf;

#define DISABLED_KEY_MAX 255

struct disabled *disabled_new(void);
struct disabled *disabled_free(struct disabled *s);
size_t disabled_count(const struct disabled *s);
/* The I-th key in insertion order (I < disabled_count()). */
const char *disabled_key(const struct disabled *s, size_t i);
bool disabled_has(const struct disabled *s, const char *key);
/* Adds (ON) or removes KEY: 1 when the set changed, 0 when it already
 * was so, -EINVAL for a key that is not "app:program". */
int disabled_set(struct disabled *s, const char *key, bool on);
/* Whether KEY has the form the file accepts. */
bool disabled_key_valid(const char *key);
/* The key of PROGRAM of APP into BUF: -ENAMETOOLONG when it does not
 * fit. */
int disabled_make_key(const char *app, const char *program, char *buf,
		      size_t len);

/* Adds the keys of TEXT (one a line; blank lines and lines starting
 * with '#' ignored; bad lines skipped).  Returns the number of lines
 * skipped. */
size_t disabled_parse(struct disabled *s, const char *text, size_t len);
/* The file's content for S, appended to OUT. */
void disabled_format(const struct disabled *s, struct strbuf *out);
/* 0, -ENOENT when there is no file, other -errno. */
int disabled_load(struct disabled *s, const char *path);
int disabled_save(const struct disabled *s, const char *path);

#endif
