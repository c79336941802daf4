/*
 * `events [--type T[,T...]] [--json]`: follow GET /v1/events until
 * interrupted.  The server-sent events are parsed here as they come (a
 * piece of the stream may end anywhere in a line) and printed one line
 * each: NDJSON objects {"event","id","data"} with --json, for scripts as
 * Nomad's event stream; otherwise a time, the kind and the fields that
 * matter for that kind.
 */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/events.h"
#include "core/util.h"
#include "net/client.h"
#include "tools/cli.h"

struct sse {
	struct strbuf line;  /* the line being received */
	struct strbuf event; /* the kind of the event being received */
	struct strbuf id;
	struct strbuf data;
};

static const char *
str(const cJSON *j, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(j, key);

	return cJSON_IsString(v) ? v->valuestring : "-";
}

static double
num(const cJSON *j, const char *key)
{
	const cJSON *v = cJSON_GetObjectItem(j, key);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static void
print_human(const char *kind, const cJSON *d)
{
	char when[16];
	time_t now = time(NULL);
	struct tm tm;

	strftime(when, sizeof(when), "%H:%M:%S", localtime_r(&now, &tm));
	printf("%s %-11s ", when, kind);
	if (strcmp(kind, "process") == 0)
		printf("%s %s %s\n", str(d, "namespec"), str(d, "state"),
		       str(d, "description"));
	else if (strcmp(kind, "event") == 0)
		printf("%s %s -> %s%s\n", str(d, "namespec"),
		       str(d, "from_state"), str(d, "state"),
		       cJSON_IsTrue(cJSON_GetObjectItem(d, "expected"))
			       ? " (expected)"
			       : "");
	else if (strcmp(kind, "application") == 0)
		printf("%s %s%s%s\n", str(d, "name"), str(d, "state"),
		       cJSON_IsTrue(cJSON_GetObjectItem(d, "major_failure"))
			       ? " major failure"
			       : "",
		       cJSON_IsTrue(cJSON_GetObjectItem(d, "minor_failure"))
			       ? " minor failure"
			       : "");
	else if (strcmp(kind, "instance") == 0)
		printf("%s %s load %.0f%% processes %.0f\n", str(d, "name"),
		       str(d, "state"), num(d, "load"), num(d, "processes"));
	else if (strcmp(kind, "supvisors") == 0)
		printf("%s master %s\n", str(d, "state"), str(d, "master"));
	else if (strcmp(kind, "hstats") == 0)
		printf("%s cpu %.1f%% mem %.1f%%\n", str(d, "name"),
		       num(d, "cpu_percent"), num(d, "mem_percent"));
	else if (strcmp(kind, "pstats") == 0)
		printf("%s cpu %.1f%% mem %.1f%%\n", str(d, "namespec"),
		       num(d, "cpu_percent"), num(d, "mem_percent"));
	else
		printf("%s\n", str(d, "reason"));
}

/* A blank line: the event received is complete. */
static int
dispatch(struct sse *s)
{
	cJSON *d;
	int r = 0;

	if (s->data.len == 0)
		goto out; /* a comment or a retry: nothing to show */
	d = cJSON_ParseWithLength(strbuf_str(&s->data), s->data.len);
	if (d == NULL)
		goto out;
	if (cli_opts.json) {
		cJSON *o = cJSON_CreateObject();
		char *text;

		cJSON_AddStringToObject(o, "event",
					s->event.len ? strbuf_str(&s->event)
						     : "message");
		if (s->id.len > 0)
			cJSON_AddNumberToObject(o, "id",
						strtod(strbuf_str(&s->id), NULL));
		else
			cJSON_AddNullToObject(o, "id");
		cJSON_AddItemToObject(o, "data", d);
		text = cJSON_PrintUnformatted(o);
		if (text != NULL)
			printf("%s\n", text);
		free(text);
		cJSON_Delete(o);
	} else {
		print_human(s->event.len ? strbuf_str(&s->event) : "message",
			    d);
		cJSON_Delete(d);
	}
	if (fflush(stdout) != 0)
		r = -1; /* stdout went away: stop following */
out:
	strbuf_reset(&s->event);
	strbuf_reset(&s->id);
	strbuf_reset(&s->data);
	return r;
}

static void
field(struct sse *s, const char *line)
{
	const char *colon = strchr(line, ':');
	size_t n = colon ? (size_t)(colon - line) : strlen(line);
	const char *v = colon ? colon + 1 + (colon[1] == ' ') : "";

	if (n == 5 && strncmp(line, "event", 5) == 0) {
		strbuf_reset(&s->event);
		strbuf_adds(&s->event, v);
	} else if (n == 2 && strncmp(line, "id", 2) == 0) {
		strbuf_reset(&s->id);
		strbuf_adds(&s->id, v);
	} else if (n == 4 && strncmp(line, "data", 4) == 0) {
		if (s->data.len > 0)
			strbuf_addc(&s->data, '\n');
		strbuf_adds(&s->data, v);
	}
}

static int
on_data(const char *data, size_t len, void *arg)
{
	struct sse *s = arg;

	for (size_t i = 0; i < len; i++) {
		if (data[i] != '\n') {
			if (data[i] != '\r')
				strbuf_addc(&s->line, data[i]);
			continue;
		}
		if (s->line.len == 0) {
			if (dispatch(s) < 0)
				return -1;
		} else if (strbuf_str(&s->line)[0] != ':') {
			field(s, strbuf_str(&s->line));
		}
		strbuf_reset(&s->line);
	}
	return 0;
}

static int
usage(void)
{
	fprintf(stderr, "usage: supvisors-sched events [--type KIND[,KIND...]] "
			"[--json]\n"
			"  kinds: supvisors instance application event "
			"process hstats pstats\n");
	return CLI_EXIT_USAGE;
}

int
cli_events(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"type", required_argument, NULL, 't'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	struct client_reply rep = CLIENT_REPLY_INIT;
	struct strbuf types = {0};
	struct sse s = {0};
	struct client *c;
	unsigned mask;
	char *path, *esc;
	int ch, r, rc = CLI_EXIT_OK;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "+t:", longopts, NULL)) != -1) {
		switch (ch) {
		case 't':
			if (events_mask_parse(optarg, &mask) < 0) {
				strbuf_done(&types);
				return usage();
			}
			strbuf_addf(&types, "%s%s", types.len ? "," : "",
				    optarg);
			break;
		case 'j':
			cli_opts.json = true;
			break;
		default:
			strbuf_done(&types);
			return usage();
		}
	}
	if (optind != argc) {
		strbuf_done(&types);
		return usage();
	}
	c = cli_client();
	if (c == NULL) {
		strbuf_done(&types);
		return CLI_EXIT_UNKNOWN;
	}
	esc = client_escape(strbuf_str(&types));
	path = xasprintf("/v1/events%s%s", types.len ? "?type=" : "",
			 types.len ? esc : "");
	free(esc);
	strbuf_done(&types);
	client_set_timeout_ms(c, 0);
	r = client_stream(c, path, on_data, &s, &rep);
	free(path);
	if (r < 0) {
		rc = cli_report_transport(r);
	} else if (rep.status < 200 || rep.status >= 300) {
		cJSON *j = cJSON_ParseWithLength(strbuf_str(&rep.body),
						 rep.body.len);

		rc = cli_report_error(rep.status, j);
		cJSON_Delete(j);
	}
	client_reply_done(&rep);
	strbuf_done(&s.line);
	strbuf_done(&s.event);
	strbuf_done(&s.id);
	strbuf_done(&s.data);
	return rc;
}
