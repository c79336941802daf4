/*
 * The CLI's pure helpers: tables, state colours, namespec checks, JSON
 * shaping, exit codes and word splitting.  Nothing here talks to the
 * daemon or reads the environment (but cli_term_width), so
 * tests/test_cli.c exercises it directly.
 */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/util.h"
#include "tools/cli.h"

#define GAP 2

struct cli_table {
	size_t ncols;
	size_t nrows; /* row 0 holds the headers */
	size_t cap;
	char **cells;  /* nrows * ncols */
	char **colors; /* nrows * ncols, NULL entries allowed */
};

struct cli_table *
cli_table_new(size_t ncols, const char *const *headers)
{
	struct cli_table *t = xcalloc(1, sizeof(*t));

	t->ncols = ncols;
	cli_table_add(t, headers, NULL);
	return t;
}

void
cli_table_add(struct cli_table *t, const char *const *cells,
	      const char *const *colors)
{
	size_t i, base;

	if (t->nrows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->cells = xreallocarray(t->cells, t->cap * t->ncols,
					 sizeof(char *));
		t->colors = xreallocarray(t->colors, t->cap * t->ncols,
					  sizeof(char *));
	}
	base = t->nrows * t->ncols;
	for (i = 0; i < t->ncols; i++) {
		t->cells[base + i] = xstrdup(cells[i] != NULL ? cells[i] : "-");
		t->colors[base + i] = colors != NULL && colors[i] != NULL ?
					      xstrdup(colors[i]) : NULL;
	}
	t->nrows++;
}

/* Display width of S: one column per UTF-8 character, which is right for
 * every name and description we print. */
static size_t
text_width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

/* Bytes of S that fit in MAX columns, not cutting a UTF-8 sequence. */
static size_t
fit_bytes(const char *s, size_t max)
{
	size_t w = 0, i;

	for (i = 0; s[i] != '\0'; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80) {
			if (w == max)
				break;
			w++;
		}
	}
	return i;
}

void
cli_table_print(const struct cli_table *t, FILE *f, int width, bool color)
{
	size_t *w = xcalloc(t->ncols, sizeof(size_t));
	size_t r, c, used = 0;

	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++)
			w[c] = MAX(w[c], text_width(t->cells[r * t->ncols + c]));
	for (c = 0; c + 1 < t->ncols; c++)
		used += w[c] + GAP;
	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			const char *cell = t->cells[r * t->ncols + c];
			const char *col = t->colors[r * t->ncols + c];
			bool last = c + 1 == t->ncols;
			size_t n = strlen(cell), tw = text_width(cell);

			if (last && width > 0) {
				/* keep at least a few columns of the last cell */
				size_t room = (size_t)width > used + 8 ?
						      (size_t)width - used : 8;
				if (tw > room) {
					n = fit_bytes(cell, room - 1);
					tw = room - 1;
				}
			}
			if (color && col != NULL)
				fputs(col, f);
			fwrite(cell, 1, n, f);
			if (n < strlen(cell))
				fputs("\u2026", f);
			if (color && col != NULL)
				fputs(CLI_COLOR_RESET, f);
			if (!last)
				fprintf(f, "%*s", (int)(w[c] - tw + GAP), "");
		}
		fputc('\n', f);
	}
	free(w);
}

struct cli_table *
cli_table_free(struct cli_table *t)
{
	size_t i;

	if (t == NULL)
		return NULL;
	for (i = 0; i < t->nrows * t->ncols; i++) {
		free(t->cells[i]);
		free(t->colors[i]);
	}
	free(t->cells);
	free(t->colors);
	free(t);
	return NULL;
}

const char *
cli_state_color(const char *state, bool expected)
{
	if (state == NULL)
		return NULL;
	if (strcmp(state, "RUNNING") == 0)
		return "\033[32m";
	if (strcmp(state, "STARTING") == 0 || strcmp(state, "STOPPING") == 0 ||
	    strcmp(state, "BACKOFF") == 0)
		return "\033[33m";
	if (strcmp(state, "FATAL") == 0 ||
	    (strcmp(state, "EXITED") == 0 && !expected))
		return "\033[31m";
	return NULL;
}

int
cli_namespec_check(const char *ns)
{
	const char *colon = strchr(ns, ':'), *p;

	if (ns[0] == '\0' || colon == ns)
		return -EINVAL;
	if (colon != NULL && (colon[1] == '\0' || strchr(colon + 1, ':')))
		return -EINVAL;
	for (p = ns; *p != '\0'; p++)
		if (*p == '/' || isspace((unsigned char)*p) ||
		    iscntrl((unsigned char)*p))
			return -EINVAL;
	return 0;
}

void
cli_json_merge_array(cJSON *into, cJSON *from, const char *key)
{
	cJSON *dst = cJSON_GetObjectItemCaseSensitive(into, key);
	cJSON *src = cJSON_GetObjectItemCaseSensitive(from, key);
	cJSON *item;

	if (dst == NULL) {
		dst = cJSON_AddArrayToObject(into, key);
		if (dst == NULL)
			abort();
	}
	if (!cJSON_IsArray(src) || !cJSON_IsArray(dst))
		return;
	while ((item = cJSON_DetachItemFromArray(src, 0)) != NULL)
		cJSON_AddItemToArray(dst, item);
}

int
cli_exit_for_code(const char *command, const char *code)
{
	bool start = strcmp(command, "start") == 0 ||
		     strcmp(command, "restart") == 0;

	if (code == NULL)
		return CLI_EXIT_OK;
	if (strcmp(code, "BAD_NAME") == 0)
		return CLI_EXIT_UNKNOWN;
	if (strcmp(code, "BAD_SIGNAL") == 0 || strcmp(code, "BAD_REQUEST") == 0 ||
	    strcmp(code, "BAD_REGEX") == 0)
		return CLI_EXIT_USAGE;
	if (start && strcmp(code, "ALREADY_STARTED") == 0)
		return CLI_EXIT_OK;
	if (strcmp(command, "stop") == 0 && strcmp(code, "NOT_RUNNING") == 0)
		return CLI_EXIT_OK;
	/* supervisorctl's "dead program" faults: the LSB "not running" */
	if (strcmp(code, "SPAWN_ERROR") == 0 ||
	    strcmp(code, "ABNORMAL_TERMINATION") == 0 ||
	    strcmp(code, "NO_RESOURCE") == 0 ||
	    strcmp(code, "NOT_RUNNING") == 0)
		return CLI_EXIT_START_FAILED;
	return CLI_EXIT_FAILED;
}

const char *
cli_error_text(const char *code)
{
	static const struct {
		const char *code, *text;
	} texts[] = {
		{"BAD_NAME", "no such process"},
		{"BAD_SIGNAL", "bad signal name"},
		{"ALREADY_STARTED", "already started"},
		{"NOT_RUNNING", "not running"},
		{"SPAWN_ERROR", "spawn error"},
		{"ABNORMAL_TERMINATION", "abnormal termination"},
		{"NO_RESOURCE", "no resource available"},
		{"SHUTTING_DOWN", "shutting down"},
		{"UNAUTHORIZED", "unauthorized"},
		{"CONF_ERROR", "configuration error"},
		{"DISABLED", "disabled"},
		{"BAD_REGEX", "bad regular expression"},
	};
	size_t i;

	for (i = 0; code != NULL && i < ARRAY_SIZE(texts); i++)
		if (strcmp(texts[i].code, code) == 0)
			return texts[i].text;
	return "failed";
}

int
cli_term_width(void)
{
	struct winsize ws;
	const char *cols;
	int64_t n;

	if (!isatty(STDOUT_FILENO))
		return 0;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	cols = getenv("COLUMNS");
	if (cols != NULL && util_parse_int64(cols, 1, 10000, &n) == 0)
		return (int)n;
	return 80;
}

int
cli_split_words(const char *line, char ***ret_argv)
{
	struct strbuf w = STRBUF_INIT;
	char **argv = NULL;
	size_t n = 0;
	const char *p = line;

	for (;;) {
		char quote = 0;
		bool any = false;

		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		for (; *p != '\0' && (quote || !isspace((unsigned char)*p));
		     p++) {
			if (quote && *p == quote) {
				quote = 0;
			} else if (!quote && (*p == '\'' || *p == '"')) {
				quote = *p;
				any = true;
			} else {
				strbuf_addc(&w, *p);
				any = true;
			}
		}
		if (quote) {
			strbuf_done(&w);
			cli_words_free(argv);
			return -EINVAL;
		}
		if (any) {
			argv = xreallocarray(argv, n + 2, sizeof(char *));
			argv[n++] = xstrdup(strbuf_str(&w));
			argv[n] = NULL;
		}
		strbuf_reset(&w);
	}
	strbuf_done(&w);
	if (argv == NULL)
		argv = xcalloc(1, sizeof(char *));
	*ret_argv = argv;
	return (int)n;
}

void
cli_words_free(char **argv)
{
	size_t i;

	for (i = 0; argv != NULL && argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

const char *
cli_json_str(const cJSON *o, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

bool
cli_json_num(const cJSON *o, const char *key, double *ret)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsNumber(v))
		return false;
	*ret = v->valuedouble;
	return true;
}

void
cli_print_json(const cJSON *json)
{
	char *s = cJSON_PrintUnformatted(json);

	if (s == NULL)
		abort();
	printf("%s\n", s);
	cJSON_free(s);
}
