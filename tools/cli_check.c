/*
 * supvisors-sched check: validate a configuration offline, exactly as the
 * daemon would load it (same loader, same defaults, same limits).
 *
 * Diagnostics go to stderr in the compiler format editors understand; on
 * a terminal each is followed by its source line and a caret under the
 * column.  --json prints one object to stdout instead.  Exit 0 when the
 * configuration is valid (warnings allowed), 1 when it is not, 2 on a
 * usage error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "rules/rules.h"
#include "tools/cli.h"

static void
check_usage(FILE *f)
{
	fprintf(f, "usage: supvisors-sched check [-c FILE] [--json] "
		   "[--name NAME] [FILE]\n");
}

/* Line LINE of PATH, without its newline; NULL if unreadable. */
static char *
source_line(const char *path, int line)
{
	char *buf = NULL, *ret = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;
	int i = 0;

	f = fopen(path, "re");
	if (f == NULL)
		return NULL;
	while ((n = getline(&buf, &cap, f)) >= 0) {
		if (++i == line) {
			while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
				buf[--n] = '\0';
			ret = xstrdup(buf);
			break;
		}
	}
	free(buf);
	fclose(f);
	return ret;
}

static void
print_with_source(const struct rl_diags *d, FILE *f)
{
	const struct rl_diag *g;
	char *src;
	size_t i;
	int c, col;

	for (i = 0; i < d->n; i++) {
		g = &d->v[i];
		if (g->line <= 0) {
			fprintf(f, "%s: %s: %s\n", g->file,
				g->severity == RL_SEV_ERROR ? "error"
							    : "warning",
				g->message);
			continue;
		}
		fprintf(f, "%s:%d:%d: %s: %s\n", g->file, g->line, g->column,
			g->severity == RL_SEV_ERROR ? "error" : "warning",
			g->message);
		src = source_line(g->file, g->line);
		if (src == NULL)
			continue;
		fprintf(f, "  %s\n  ", src);
		/* keep tabs so that the caret lines up under them */
		for (c = 0, col = 1; col < g->column && src[c] != '\0';
		     c++, col++)
			fputc(src[c] == '\t' ? '\t' : ' ', f);
		fputs("^\n", f);
		free(src);
	}
	if (d->truncated)
		fprintf(f, "%u errors and %u warnings in all; only the first "
			   "%d shown\n", d->errors, d->warnings, RL_DIAG_MAX);
}

int
cli_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"json", no_argument, NULL, 'j'},
		{"name", required_argument, NULL, 'n'},
		{"dump-keys", no_argument, NULL, 'K'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct rules_load_opts opts = {0};
	struct rl_diags diags = RL_DIAGS_INIT;
	struct rules *r = NULL;
	const char *path = cli_opts.config;
	bool json = cli_opts.json;
	int c, rc;

	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'n':
			opts.name = optarg;
			break;
		case 'K':
			rules_schema_dump(stdout);
			return CLI_EXIT_OK;
		case 'h':
			check_usage(stdout);
			return CLI_EXIT_OK;
		default:
			check_usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		if (optind + 1 < argc || (path != NULL && path !=
					  cli_opts.config)) {
			check_usage(stderr);
			return CLI_EXIT_USAGE;
		}
		path = argv[optind];
	}
	if (path == NULL)
		path = rules_default_path();
	opts.is_root = geteuid() == 0;
	rc = rules_load(path, &opts, &r, &diags);
	if (json) {
		struct strbuf sb = STRBUF_INIT;

		rl_diags_to_json(&diags, &sb);
		puts(strbuf_str(&sb));
		strbuf_done(&sb);
	} else {
		if (isatty(2))
			print_with_source(&diags, stderr);
		else
			rl_diags_print(&diags, stderr);
		if (rc == 0)
			printf("%s: valid (%zu applications, %zu processes, "
			       "digest %.12s)\n", path,
			       rules_napplications(r), rules_nprocesses(r),
			       rules_digest(r));
		else
			fprintf(stderr, "%s: invalid (%u error%s)\n", path,
				diags.errors, diags.errors == 1 ? "" : "s");
	}
	rules_free(r);
	rl_diags_done(&diags);
	return rc == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILED;
}
