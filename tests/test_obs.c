/*
 * core/metrics and core/events: the Prometheus writer (families, label
 * and help escaping, numbers, refusals) and the event bus (formatting,
 * filters, the ring and Last-Event-ID resume, keep-alives, and a slow
 * client dropped with a final event through a fake bounded sink).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "core/events.h"
#include "core/metrics.h"
#include "core/util.h"
#include "tests/lib/testlib.h"

static void
test_metrics_format(void)
{
	struct strbuf sb = {0};
	struct metrics m;
	const char *l1[] = {"node", "n1", "state", "RUNNING", NULL};

	metrics_init(&m, &sb);
	ASSERT_INT_EQ(metrics_family(&m, "x_up", METRICS_GAUGE,
				     "1 when up.\nSecond \\ line"),
		      0);
	ASSERT_INT_EQ(metrics_sample(&m, l1, 1), 0);
	ASSERT_INT_EQ(metrics_sample(&m, NULL, 0.25), 0);
	ASSERT_INT_EQ(metrics_family(&m, "x_events_total", METRICS_COUNTER,
				     "Events."),
		      0);
	ASSERT_INT_EQ(metrics_sample(&m, NULL, 12345678901234.0), 0);
	ASSERT_INT_EQ(metrics_sample(&m, NULL, NAN), 0);
	ASSERT_INT_EQ(metrics_sample(&m, NULL, INFINITY), 0);
	ASSERT_INT_EQ(metrics_sample(&m, NULL, -INFINITY), 0);
	ASSERT_INT_EQ(metrics_sample(&m, NULL, 0.1), 0);
	ASSERT_STR_EQ(strbuf_str(&sb),
		      "# HELP x_up 1 when up.\\nSecond \\\\ line\n"
		      "# TYPE x_up gauge\n"
		      "x_up{node=\"n1\",state=\"RUNNING\"} 1\n"
		      "x_up 0.25\n"
		      "# HELP x_events_total Events.\n"
		      "# TYPE x_events_total counter\n"
		      "x_events_total 12345678901234\n"
		      "x_events_total NaN\n"
		      "x_events_total +Inf\n"
		      "x_events_total -Inf\n"
		      "x_events_total 0.1\n");
	metrics_done(&m);
	strbuf_done(&sb);
}

static void
test_metrics_escape(void)
{
	struct strbuf sb = {0};
	struct metrics m;
	const char *l[] = {"name", "a\\b\"c\nd}", NULL};

	metrics_escape_label(&sb, "plain");
	ASSERT_STR_EQ(strbuf_str(&sb), "plain");
	strbuf_reset(&sb);
	metrics_escape_label(&sb, "\\\"\n");
	ASSERT_STR_EQ(strbuf_str(&sb), "\\\\\\\"\\n");
	strbuf_reset(&sb);
	metrics_init(&m, &sb);
	ASSERT_INT_EQ(metrics_family(&m, "esc", METRICS_GAUGE, "h"), 0);
	ASSERT_INT_EQ(metrics_sample(&m, l, 1), 0);
	ASSERT_STR_EQ(strbuf_str(&sb), "# HELP esc h\n# TYPE esc gauge\n"
				       "esc{name=\"a\\\\b\\\"c\\nd}\"} 1\n");
	metrics_done(&m);
	strbuf_done(&sb);
}

static void
test_metrics_refusals(void)
{
	struct strbuf sb = {0};
	struct metrics m;
	const char *bad_label[] = {"1x", "v", NULL};
	const char *reserved[] = {"__name__", "v", NULL};
	const char *no_value[] = {"k", NULL};

	metrics_init(&m, &sb);
	ASSERT_INT_EQ(metrics_sample(&m, NULL, 1), -EINVAL); /* no family */
	ASSERT_INT_EQ(metrics_family(&m, "9lives", METRICS_GAUGE, "h"),
		      -EINVAL);
	ASSERT_INT_EQ(metrics_family(&m, "a-b", METRICS_GAUGE, "h"), -EINVAL);
	ASSERT_INT_EQ(metrics_family(&m, "", METRICS_GAUGE, "h"), -EINVAL);
	ASSERT_INT_EQ(metrics_family(&m, "hits", METRICS_COUNTER, "h"),
		      -EINVAL);
	ASSERT_INT_EQ(metrics_sample(&m, NULL, 1), -EINVAL);
	ASSERT_INT_EQ(strlen(strbuf_str(&sb)), 0);
	ASSERT_INT_EQ(metrics_family(&m, "ns:ok_total", METRICS_COUNTER,
				     "h"),
		      0);
	ASSERT_INT_EQ(metrics_sample(&m, bad_label, 1), -EINVAL);
	ASSERT_INT_EQ(metrics_sample(&m, reserved, 1), -EINVAL);
	ASSERT_INT_EQ(metrics_sample(&m, no_value, 1), -EINVAL);
	ASSERT_INT_EQ(metrics_family(&m, "ns:ok_total", METRICS_GAUGE, "h"),
		      -EINVAL); /* a family appears once */
	ASSERT_INT_EQ(metrics_sample(&m, NULL, 1), -EINVAL);
	ASSERT_STR_EQ(strbuf_str(&sb), "# HELP ns:ok_total h\n"
				       "# TYPE ns:ok_total counter\n");
	ASSERT_TRUE(metrics_name_valid("a:b_c9"));
	ASSERT_FALSE(metrics_name_valid("a b"));
	metrics_done(&m);
	strbuf_done(&sb);
}

/* A client with a bounded buffer that the test drains by hand. */
struct fake {
	struct strbuf got;
	size_t limit;    /* bytes it holds before refusing */
	size_t buffered; /* not yet drained */
	int closed;
	int gone; /* answers -EPIPE */
	char final[256];
};

static int
fake_write(void *ctx, const char *buf, size_t len)
{
	struct fake *f = ctx;

	if (f->gone)
		return -EPIPE;
	if (f->buffered + len > f->limit)
		return -ENOBUFS;
	f->buffered += len;
	strbuf_add(&f->got, buf, len);
	return 0;
}

static void
fake_close(void *ctx, const char *final, size_t len)
{
	struct fake *f = ctx;

	f->closed++;
	snprintf(f->final, sizeof(f->final), "%.*s", (int)len,
		 final ? final : "");
}

static const struct events_sink fake_sink = {fake_write, fake_close};

static void
fake_init(struct fake *f, size_t limit)
{
	*f = (struct fake){.limit = limit};
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static void
test_events_kinds(void)
{
	unsigned mask = 0;

	ASSERT_STR_EQ(events_kind_to_string(EVENTS_PROCESS), "process");
	ASSERT_INT_EQ(events_kind_from_string("hstats"), EVENTS_HSTATS);
	ASSERT_INT_EQ(events_kind_from_string("Process"), -EINVAL);
	ASSERT_INT_EQ(events_mask_parse(NULL, &mask), 0);
	ASSERT_INT_EQ(mask, EVENTS_ALL);
	ASSERT_INT_EQ(events_mask_parse("process,event", &mask), 0);
	ASSERT_INT_EQ(mask, (1u << EVENTS_PROCESS) | (1u << EVENTS_EVENT));
	mask = 7;
	ASSERT_INT_EQ(events_mask_parse("process,", &mask), -EINVAL);
	ASSERT_INT_EQ(events_mask_parse(",process", &mask), -EINVAL);
	ASSERT_INT_EQ(events_mask_parse("process,,event", &mask), -EINVAL);
	ASSERT_INT_EQ(events_mask_parse("bogus", &mask), -EINVAL);
	ASSERT_INT_EQ(mask, 7); /* untouched on error */
}

static void
test_events_publish_filter(void)
{
	struct events *b = events_new(8);
	struct fake all, procs;
	struct events_sub *s1, *s2;

	fake_init(&all, 1 << 20);
	fake_init(&procs, 1 << 20);
	s1 = events_subscribe(b, EVENTS_ALL, NULL, &fake_sink, &all);
	s2 = events_subscribe(b, 1u << EVENTS_PROCESS, NULL, &fake_sink,
			      &procs);
	ASSERT_NOT_NULL(s1);
	ASSERT_NOT_NULL(s2);
	ASSERT_INT_EQ(events_subscribers(b), 2);
	ASSERT_INT_EQ(events_publish(b, EVENTS_SUPVISORS, "{\"state\":1}"), 1);
	ASSERT_INT_EQ(events_publish(b, EVENTS_PROCESS, "{\"p\":2}"), 2);
	events_keepalive(b);
	ASSERT_STR_EQ(strbuf_str(&all.got),
		      "event: supvisors\nid: 1\ndata: {\"state\":1}\n\n"
		      "event: process\nid: 2\ndata: {\"p\":2}\n\n"
		      ": keepalive\n\n");
	ASSERT_STR_EQ(strbuf_str(&procs.got),
		      "event: process\nid: 2\ndata: {\"p\":2}\n\n"
		      ": keepalive\n\n");
	events_unsubscribe(b, s2);
	ASSERT_INT_EQ(events_subscribers(b), 1);
	ASSERT_INT_EQ(procs.closed, 0);
	b = events_free(b); /* ends the rest, without a final event */
	ASSERT_INT_EQ(all.closed, 1);
	ASSERT_STR_EQ(all.final, "");
	strbuf_done(&all.got);
	strbuf_done(&procs.got);
}

static void
test_events_resume(void)
{
	struct events *b = events_new(4);
	struct events_sub *s;
	struct fake f;
	char data[32];

	for (int i = 1; i <= 6; i++) {
		snprintf(data, sizeof(data), "{\"n\":%d}", i);
		events_publish(b, i % 2 ? EVENTS_EVENT : EVENTS_PROCESS, data);
	}
	ASSERT_INT_EQ(events_last_id(b), 6);
	/* after 4: 5 and 6 */
	fake_init(&f, 1 << 20);
	s = events_subscribe(b, EVENTS_ALL, &(uint64_t){4}, &fake_sink, &f);
	ASSERT_NOT_NULL(s);
	events_unsubscribe(b, s);
	ASSERT_STR_EQ(strbuf_str(&f.got),
		      "event: event\nid: 5\ndata: {\"n\":5}\n\n"
		      "event: process\nid: 6\ndata: {\"n\":6}\n\n");
	strbuf_done(&f.got);
	/* after 1: only 3..6 are kept (ring of 4), filtered on process */
	fake_init(&f, 1 << 20);
	s = events_subscribe(b, 1u << EVENTS_PROCESS, &(uint64_t){1},
			     &fake_sink, &f);
	ASSERT_NOT_NULL(s);
	events_unsubscribe(b, s);
	ASSERT_INT_EQ(count(strbuf_str(&f.got), "event: "), 2);
	ASSERT_TRUE(strstr(strbuf_str(&f.got), "id: 4\n") != NULL);
	ASSERT_TRUE(strstr(strbuf_str(&f.got), "id: 6\n") != NULL);
	strbuf_done(&f.got);
	/* an id from an earlier run (beyond ours): everything kept */
	fake_init(&f, 1 << 20);
	s = events_subscribe(b, EVENTS_ALL, &(uint64_t){99}, &fake_sink, &f);
	ASSERT_NOT_NULL(s);
	events_unsubscribe(b, s);
	ASSERT_INT_EQ(count(strbuf_str(&f.got), "event: "), 4);
	ASSERT_TRUE(strncmp(strbuf_str(&f.got), "event: event\nid: 3\n", 19) ==
		    0);
	strbuf_done(&f.got);
	/* from 0: everything kept */
	fake_init(&f, 1 << 20);
	s = events_subscribe(b, EVENTS_ALL, &(uint64_t){0}, &fake_sink, &f);
	ASSERT_NOT_NULL(s);
	events_unsubscribe(b, s);
	ASSERT_INT_EQ(count(strbuf_str(&f.got), "event: "), 4);
	strbuf_done(&f.got);
	/* up to date: nothing replayed, new events follow */
	fake_init(&f, 1 << 20);
	s = events_subscribe(b, EVENTS_ALL, &(uint64_t){6}, &fake_sink, &f);
	ASSERT_NOT_NULL(s);
	ASSERT_INT_EQ(f.got.len, 0);
	events_publish(b, EVENTS_INSTANCE, "{}");
	ASSERT_STR_EQ(strbuf_str(&f.got), "event: instance\nid: 7\ndata: {}\n\n");
	strbuf_done(&f.got);
	events_free(b);
}

static void
test_events_slow_client(void)
{
	struct events *b = events_new(16);
	struct fake slow, fast, gone;
	const char *data = "{\"payload\":\"0123456789\"}";
	size_t one = strlen("event: process\nid: 1\ndata: \n\n") + strlen(data);

	fake_init(&slow, 2 * one + 2); /* room for two events */
	fake_init(&fast, 1 << 20);
	fake_init(&gone, 1 << 20);
	ASSERT_NOT_NULL(events_subscribe(b, EVENTS_ALL, NULL, &fake_sink,
					 &slow));
	ASSERT_NOT_NULL(events_subscribe(b, EVENTS_ALL, NULL, &fake_sink,
					 &fast));
	ASSERT_NOT_NULL(events_subscribe(b, EVENTS_ALL, NULL, &fake_sink,
					 &gone));
	gone.gone = 1;
	for (int i = 0; i < 5; i++)
		events_publish(b, EVENTS_PROCESS, data);
	/* the slow one got two, then the final event, and was ended */
	ASSERT_INT_EQ(count(strbuf_str(&slow.got), "event: process"), 2);
	ASSERT_INT_EQ(slow.closed, 1);
	ASSERT_TRUE(strncmp(slow.final, "event: dropped\n", 15) == 0);
	ASSERT_TRUE(strstr(slow.final, "\"last_id\":2}") != NULL);
	/* the one gone is ended without a final event */
	ASSERT_INT_EQ(gone.closed, 1);
	ASSERT_STR_EQ(gone.final, "");
	/* the others never waited */
	ASSERT_INT_EQ(count(strbuf_str(&fast.got), "event: process"), 5);
	ASSERT_INT_EQ(events_subscribers(b), 1);
	/* a replay that overflows ends the subscriber at once */
	strbuf_done(&slow.got);
	fake_init(&slow, one);
	ASSERT_NULL(events_subscribe(b, EVENTS_ALL, &(uint64_t){99},
				     &fake_sink, &slow));
	ASSERT_INT_EQ(slow.closed, 1);
	ASSERT_TRUE(strstr(slow.final, "\"last_id\":1}") != NULL);
	ASSERT_INT_EQ(events_subscribers(b), 1);
	events_free(b);
	ASSERT_INT_EQ(fast.closed, 1);
	strbuf_done(&slow.got);
	strbuf_done(&fast.got);
	strbuf_done(&gone.got);
}

static const struct test_case cases[] = {
	{"metrics format", test_metrics_format},
	{"metrics escape", test_metrics_escape},
	{"metrics refusals", test_metrics_refusals},
	{"events kinds", test_events_kinds},
	{"events publish and filter", test_events_publish_filter},
	{"events resume", test_events_resume},
	{"events slow client", test_events_slow_client},
};

int
main(int argc, char **argv)
{
	return test_main(argc, argv, "obs", cases, ARRAY_SIZE(cases));
}
