/*
 * The Prometheus text format writer.  See metrics.h.
 *
 * Values are printed with %.17g, which gives back the same double when
 * parsed and prints integers (counters, states) without a fraction.
 */
#include "core/metrics.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

static const char *const type_names[_METRICS_TYPE_MAX] = {
	[METRICS_GAUGE] = "gauge",
	[METRICS_COUNTER] = "counter",
};

const char *
metrics_type_to_string(enum metrics_type t)
{
	return (unsigned)t < _METRICS_TYPE_MAX ? type_names[t] : "untyped";
}

void
metrics_init(struct metrics *m, struct strbuf *out)
{
	*m = (struct metrics){.out = out};
}

void
metrics_done(struct metrics *m)
{
	for (size_t i = 0; i < m->nfamilies; i++)
		free(m->families[i]);
	free(m->families);
	*m = (struct metrics){0};
}

static bool
name_valid(const char *name, bool colon)
{
	if (name == NULL || name[0] == '\0' ||
	    (name[0] >= '0' && name[0] <= '9'))
		return false;
	for (const char *c = name; *c != '\0'; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '_' ||
		      (colon && *c == ':')))
			return false;
	return true;
}

bool
metrics_name_valid(const char *name)
{
	return name_valid(name, true);
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n > k && strcmp(s + n - k, suffix) == 0;
}

static void
escape(struct strbuf *out, const char *s, bool quote)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			strbuf_adds(out, "\\\\");
		else if (*s == '\n')
			strbuf_adds(out, "\\n");
		else if (quote && *s == '"')
			strbuf_adds(out, "\\\"");
		else
			strbuf_addc(out, *s);
	}
}

void
metrics_escape_label(struct strbuf *out, const char *value)
{
	escape(out, value, true);
}

int
metrics_family(struct metrics *m, const char *name, enum metrics_type type,
	       const char *help)
{
	m->current = NULL;
	if (!metrics_name_valid(name) || (unsigned)type >= _METRICS_TYPE_MAX ||
	    (type == METRICS_COUNTER && !ends_with(name, "_total")))
		return -EINVAL;
	for (size_t i = 0; i < m->nfamilies; i++)
		if (strcmp(m->families[i], name) == 0)
			return -EINVAL;
	m->families = xreallocarray(m->families, m->nfamilies + 1,
				    sizeof(*m->families));
	m->families[m->nfamilies++] = xstrdup(name);
	m->current = m->families[m->nfamilies - 1];
	strbuf_addf(m->out, "# HELP %s ", name);
	escape(m->out, help, false);
	strbuf_addf(m->out, "\n# TYPE %s %s\n", name, type_names[type]);
	return 0;
}

/* The shortest of %.15g and %.17g that parses back to V. */
static void
add_number(struct strbuf *out, double v)
{
	char buf[40];

	snprintf(buf, sizeof(buf), "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, sizeof(buf), "%.17g", v);
	strbuf_addf(out, " %s\n", buf);
}

int
metrics_sample(struct metrics *m, const char *const *labels, double value)
{
	if (m->current == NULL)
		return -EINVAL;
	for (size_t i = 0; labels != NULL && labels[i] != NULL; i += 2)
		if (!name_valid(labels[i], false) ||
		    strncmp(labels[i], "__", 2) == 0 || labels[i + 1] == NULL)
			return -EINVAL;
	strbuf_adds(m->out, m->current);
	if (labels != NULL && labels[0] != NULL) {
		strbuf_addc(m->out, '{');
		for (size_t i = 0; labels[i] != NULL; i += 2) {
			strbuf_addf(m->out, "%s%s=\"", i > 0 ? "," : "",
				    labels[i]);
			escape(m->out, labels[i + 1], true);
			strbuf_addc(m->out, '"');
		}
		strbuf_addc(m->out, '}');
	}
	if (isnan(value))
		strbuf_adds(m->out, " NaN\n");
	else if (isinf(value))
		strbuf_adds(m->out, value > 0 ? " +Inf\n" : " -Inf\n");
	else
		add_number(m->out, value);
	return 0;
}
