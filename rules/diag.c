/*
 * rules/diag: the list of problems found while loading, and its two
 * renderings (compiler-style lines for people and editors, JSON for
 * tools).
 *
 * The same problem can be reached twice (a node shared through a YAML
 * alias is walked once per use), so an identical diagnostic is kept once.
 * Past RL_DIAG_MAX entries problems are still counted, so that a load
 * with 500 errors fails, but not stored.
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "rules/rules-int.h"

void
rl_diags_add(struct rl_diags *d, const char *file, int line, int column,
	     enum rl_severity sev, const char *message)
{
	struct rl_diag *g;
	size_t i;

	for (i = 0; i < d->n; i++) {
		g = &d->v[i];
		if (g->line == line && g->column == column &&
		    g->severity == sev && strcmp(g->message, message) == 0 &&
		    strcmp(g->file, file ? file : "") == 0)
			return;
	}
	if (sev == RL_SEV_ERROR)
		d->errors++;
	else
		d->warnings++;
	if (d->n >= RL_DIAG_MAX) {
		d->truncated = true;
		return;
	}
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 8;
		d->v = xreallocarray(d->v, d->cap, sizeof(*d->v));
	}
	g = &d->v[d->n++];
	g->file = xstrdup(file ? file : "");
	g->line = line;
	g->column = column;
	g->severity = sev;
	g->message = xstrdup(message);
}

void
rl_diags_done(struct rl_diags *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].message);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}

static const char *
severity_name(enum rl_severity s)
{
	return s == RL_SEV_ERROR ? "error" : "warning";
}

void
rl_diags_print(const struct rl_diags *d, FILE *f)
{
	const struct rl_diag *g;
	size_t i;

	for (i = 0; i < d->n; i++) {
		g = &d->v[i];
		if (g->line > 0)
			fprintf(f, "%s:%d:%d: %s: %s\n", g->file, g->line,
				g->column, severity_name(g->severity),
				g->message);
		else
			fprintf(f, "%s: %s: %s\n", g->file,
				severity_name(g->severity), g->message);
	}
	if (d->truncated)
		fprintf(f, "%u errors and %u warnings in all; only the first "
			   "%d shown\n", d->errors, d->warnings, RL_DIAG_MAX);
}

void
rl_diags_to_json(const struct rl_diags *d, struct strbuf *out)
{
	cJSON *root, *arr, *o;
	char *s;
	size_t i;

	root = cJSON_CreateObject();
	cJSON_AddBoolToObject(root, "valid", d->errors == 0);
	arr = cJSON_AddArrayToObject(root, "diagnostics");
	for (i = 0; i < d->n; i++) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "file", d->v[i].file);
		cJSON_AddNumberToObject(o, "line", d->v[i].line);
		cJSON_AddNumberToObject(o, "column", d->v[i].column);
		cJSON_AddStringToObject(o, "severity",
					severity_name(d->v[i].severity));
		cJSON_AddStringToObject(o, "message", d->v[i].message);
		cJSON_AddItemToArray(arr, o);
	}
	cJSON_AddNumberToObject(root, "errors", d->errors);
	cJSON_AddNumberToObject(root, "warnings", d->warnings);
	cJSON_AddBoolToObject(root, "truncated", d->truncated);
	s = cJSON_PrintUnformatted(root);
	if (s == NULL)
		abort();
	strbuf_adds(out, s);
	cJSON_free(s);
	cJSON_Delete(root);
}
