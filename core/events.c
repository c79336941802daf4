/*
 * The event bus of GET /v1/events.  See events.h.
 *
 * Each event is formatted once and the same bytes go to the ring and to
 * every subscriber.  The ring is an array of slots reused in turn; the
 * subscribers a doubly linked list walked with a saved next pointer
 * because a subscriber may end in the middle of a publish.
 */
#include "core/events.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

static const char *const kind_names[_EVENTS_KIND_MAX] = {
	[EVENTS_SUPVISORS] = "supvisors",
	[EVENTS_INSTANCE] = "instance",
	[EVENTS_APPLICATION] = "application",
	[EVENTS_EVENT] = "event",
	[EVENTS_PROCESS] = "process",
	[EVENTS_HSTATS] = "hstats",
	[EVENTS_PSTATS] = "pstats",
};

struct slot {
	uint64_t id; /* 0: empty */
	enum events_kind kind;
	char *text;
	size_t len;
};

struct events_sub {
	unsigned mask;
	uint64_t last_id; /* last event id written to it */
	const struct events_sink *sink;
	void *ctx;
	struct events_sub *prev, *next;
};

struct events {
	struct slot *ring;
	size_t nring, head; /* head: the slot the next event takes */
	uint64_t next_id;
	struct events_sub *subs;
	size_t nsubs;
};

const char *
events_kind_to_string(enum events_kind k)
{
	return (unsigned)k < _EVENTS_KIND_MAX ? kind_names[k] : "?";
}

int
events_kind_from_string(const char *s)
{
	for (int i = 0; i < _EVENTS_KIND_MAX; i++)
		if (strcmp(kind_names[i], s) == 0)
			return i;
	return -EINVAL;
}

int
events_mask_parse(const char *s, unsigned *ret_mask)
{
	unsigned mask = 0;
	char name[32];

	if (s == NULL || s[0] == '\0') {
		*ret_mask = EVENTS_ALL;
		return 0;
	}
	while (*s != '\0') {
		size_t n = strcspn(s, ",");
		int k;

		if (n == 0 || n >= sizeof(name))
			return -EINVAL;
		memcpy(name, s, n);
		name[n] = '\0';
		k = events_kind_from_string(name);
		if (k < 0)
			return -EINVAL;
		mask |= 1u << k;
		s += n;
		if (*s == ',' && *++s == '\0')
			return -EINVAL;
	}
	*ret_mask = mask;
	return 0;
}

struct events *
events_new(size_t ring)
{
	struct events *b = xcalloc(1, sizeof(*b));

	b->nring = ring > 0 ? ring : 1;
	b->ring = xcalloc(b->nring, sizeof(*b->ring));
	b->next_id = 1;
	return b;
}

static void
sub_unlink(struct events *b, struct events_sub *s)
{
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		b->subs = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	b->nsubs--;
	free(s);
}

/* End S: its sink writes FINAL (when dropped) and closes. */
static void
sub_end(struct events *b, struct events_sub *s, bool dropped)
{
	const struct events_sink *sink = s->sink;
	void *ctx = s->ctx;
	char final[160];
	int n = 0;

	if (dropped)
		n = snprintf(final, sizeof(final),
			     "event: dropped\ndata: {\"reason\":\"the client "
			     "reads too slowly\",\"last_id\":%" PRIu64 "}\n\n",
			     s->last_id);
	sub_unlink(b, s);
	sink->close(ctx, dropped ? final : NULL, (size_t)n);
}

/* Write slot E to S; false when S ended. */
static bool
sub_send(struct events *b, struct events_sub *s, const struct slot *e)
{
	int r;

	if (!(s->mask & (1u << e->kind)))
		return true;
	r = s->sink->write(s->ctx, e->text, e->len);
	if (r < 0) {
		sub_end(b, s, r == -ENOBUFS);
		return false;
	}
	s->last_id = e->id;
	return true;
}

struct events *
events_free(struct events *b)
{
	if (b == NULL)
		return NULL;
	while (b->subs != NULL)
		sub_end(b, b->subs, false);
	for (size_t i = 0; i < b->nring; i++)
		free(b->ring[i].text);
	free(b->ring);
	free(b);
	return NULL;
}

uint64_t
events_publish(struct events *b, enum events_kind kind, const char *data)
{
	struct slot *e = &b->ring[b->head];
	struct events_sub *s, *next;
	struct strbuf sb = {0};

	strbuf_addf(&sb, "event: %s\nid: %" PRIu64 "\ndata: %s\n\n",
		    events_kind_to_string(kind), b->next_id, data);
	free(e->text);
	e->id = b->next_id++;
	e->kind = kind;
	e->len = sb.len;
	e->text = strbuf_steal(&sb);
	b->head = (b->head + 1) % b->nring;
	for (s = b->subs; s != NULL; s = next) {
		next = s->next;
		sub_send(b, s, e);
	}
	return e->id;
}

void
events_keepalive(struct events *b)
{
	static const char ka[] = ": keepalive\n\n";
	struct events_sub *s, *next;

	for (s = b->subs; s != NULL; s = next) {
		int r;

		next = s->next;
		r = s->sink->write(s->ctx, ka, sizeof(ka) - 1);
		if (r < 0)
			sub_end(b, s, r == -ENOBUFS);
	}
}

uint64_t
events_last_id(const struct events *b)
{
	return b->next_id - 1;
}

size_t
events_subscribers(const struct events *b)
{
	return b->nsubs;
}

struct events_sub *
events_subscribe(struct events *b, unsigned mask, const uint64_t *after,
		 const struct events_sink *sink, void *ctx)
{
	struct events_sub *s = xcalloc(1, sizeof(*s));
	uint64_t from;

	s->mask = mask & EVENTS_ALL;
	s->sink = sink;
	s->ctx = ctx;
	s->next = b->subs;
	if (b->subs != NULL)
		b->subs->prev = s;
	b->subs = s;
	b->nsubs++;
	if (after == NULL)
		return s;
	/* an id of an earlier run: everything kept */
	from = *after < b->next_id ? *after : 0;
	s->last_id = from;
	/* the oldest kept event is at head (or the ring is not full yet) */
	for (size_t i = 0; i < b->nring; i++) {
		const struct slot *e = &b->ring[(b->head + i) % b->nring];

		if (e->id == 0 || e->id <= from)
			continue;
		if (!sub_send(b, s, e))
			return NULL;
	}
	return s;
}

void
events_unsubscribe(struct events *b, struct events_sub *sub)
{
	if (sub != NULL)
		sub_unlink(b, sub);
}
