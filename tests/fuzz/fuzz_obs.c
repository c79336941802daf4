/*
 * fuzz_obs: the event kinds filter (?type=) and the Prometheus writer
 * with any label value and help text.  The first line of the input is
 * the filter, the second the help text, the rest the label value.  The
 * exposition must stay three lines (HELP, TYPE, the sample) whatever the
 * bytes, and the label value must end at the closing quote.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/events.h"
#include "core/metrics.h"
#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *help, *value, *p;
	const char *labels[] = {"v", NULL, NULL};
	struct strbuf sb = {0};
	struct metrics m;
	unsigned mask = 0;
	size_t lines = 0;
	const char *s;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	help = strchr(buf, '\n');
	help = help ? (*help = '\0', help + 1) : buf + size;
	value = strchr(help, '\n');
	value = value ? (*value = '\0', value + 1) : buf + size;
	if (events_mask_parse(buf, &mask) == 0 && (mask & ~EVENTS_ALL) != 0)
		abort();
	labels[1] = value;
	metrics_init(&m, &sb);
	if (metrics_family(&m, "f", METRICS_GAUGE, help) != 0 ||
	    metrics_sample(&m, labels, 1) != 0)
		abort();
	s = strbuf_str(&sb);
	for (p = (char *)s; *p != '\0'; p++)
		lines += *p == '\n';
	if (lines != 3)
		abort();
	/* the sample line: f{v="..."} 1, the value's quotes escaped */
	s = strstr(s, "\nf{v=\"");
	if (s == NULL)
		abort();
	for (s += 6; *s != '"'; s++)
		if (*s == '\\')
			s++;
	if (strcmp(s, "\"} 1\n") != 0)
		abort();
	metrics_done(&m);
	strbuf_done(&sb);
	free(buf);
	return 0;
}
