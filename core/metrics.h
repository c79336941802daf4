/*
 * metrics: a writer of the Prometheus text exposition format 0.0.4, the
 * body of GET /metrics.  It keeps the rules promtool checks: one HELP
 * and one TYPE line per family, the samples of a family together, names
 * of [a-zA-Z_:][a-zA-Z0-9_:]*, label values escaped (\\ \" \n), help
 * text escaped (\\ \n), values as Go parses them (NaN, +Inf, -Inf).
 *
 * A family is opened with metrics_family() and its samples follow with
 * metrics_sample(); opening a family a second time, a bad name or a bad
 * label name is a programming error reported by -EINVAL and nothing is
 * written, so a bug shows as a missing family and never as a broken
 * exposition.
 *
 * Ownership: struct metrics is the caller's (on the stack); OUT is the
 * caller's strbuf; metrics_done() frees the writer's own memory.
 */
#ifndef CORE_METRICS_H
#define CORE_METRICS_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf;

enum metrics_type {
	METRICS_GAUGE,
	METRICS_COUNTER, /* the family name ends in _total */
	_METRICS_TYPE_MAX,
};

const char *metrics_type_to_string(enum metrics_type t);

struct metrics {
	struct strbuf *out;
	char **families; /* names already opened */
	size_t nfamilies;
	const char *current; /* the open family, NULL before the first */
};

void metrics_init(struct metrics *m, struct strbuf *out);
void metrics_done(struct metrics *m);

/* "# HELP NAME HELP\n# TYPE NAME TYPE\n".  -EINVAL: bad or reused
 * name, or a counter not named *_total; the family is then closed and
 * the samples that follow are dropped. */
int metrics_family(struct metrics *m, const char *name, enum metrics_type type,
		   const char *help);
/* One sample of the open family: LABELS is NULL or alternating label
 * names and values ended by NULL ({"instance", name, NULL}).  -EINVAL
 * when no family is open or a label name is invalid. */
int metrics_sample(struct metrics *m, const char *const *labels, double value);

/* Escaping alone, for the tests: a label value into OUT. */
void metrics_escape_label(struct strbuf *out, const char *value);
bool metrics_name_valid(const char *name);

#endif
