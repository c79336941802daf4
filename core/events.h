/*
 * events: the bus behind GET /v1/events.  Publishers hand it one JSON
 * object per event; it numbers the event, formats it once as a
 * server-sent event ("event: KIND\nid: N\ndata: JSON\n\n"), keeps the
 * last ones in a ring for clients that resume with Last-Event-ID, and
 * writes it to every subscriber whose filter takes its kind.
 *
 * The kinds are the headers of Supvisors' event interface: supvisors
 * (cluster state), instance, application, event (a raw process event),
 * process (process status), hstats and pstats (statistics).
 *
 * The bus knows nothing of sockets: a subscriber is a pair of callbacks.
 * A slow client must never block the daemon, so a write may refuse
 * (-ENOBUFS, its buffer is full): the bus then gives the subscriber a
 * final "dropped" event to write (from room the sink kept in reserve)
 * and ends it.  Any other negative answer ends it without a final event.
 *
 * Ownership: the bus owns its subscribers.  A subscriber ends either by
 * events_unsubscribe() (the client left) or by the bus calling its
 * close callback (dropped, or the bus freed); after either, its handle is
 * gone and neither side touches it again.  events_free() accepts NULL
 * and returns NULL.
 */
#ifndef CORE_EVENTS_H
#define CORE_EVENTS_H

#include <stddef.h>
#include <stdint.h>

enum events_kind {
	EVENTS_SUPVISORS,   /* cluster state, master */
	EVENTS_INSTANCE,    /* instance state and load */
	EVENTS_APPLICATION, /* application status */
	EVENTS_EVENT,	    /* a raw process event */
	EVENTS_PROCESS,	    /* process status */
	EVENTS_HSTATS,	    /* host statistics */
	EVENTS_PSTATS,	    /* process statistics */
	_EVENTS_KIND_MAX,
};

#define EVENTS_ALL ((1u << _EVENTS_KIND_MAX) - 1)

const char *events_kind_to_string(enum events_kind k);
/* -EINVAL when unknown. */
int events_kind_from_string(const char *s);
/* "process,event" (comma-separated kinds) into a mask; "" or NULL is
 * every kind.  -EINVAL on an unknown kind. */
int events_mask_parse(const char *s, unsigned *ret_mask);

struct events_sink {
	/* 0 when taken; -ENOBUFS when the client's buffer is full; any
	 * other -errno when the client is gone. */
	int (*write)(void *ctx, const char *buf, size_t len);
	/* The subscriber ends: FINAL (NULL when none) is the last text to
	 * send before closing. */
	void (*close)(void *ctx, const char *final, size_t len);
};

struct events;
struct events_sub;

/* RING: events kept for resuming (at least 1). */
struct events *events_new(size_t ring);
struct events *events_free(struct events *b);

/* Number and send an event.  DATA is one line of JSON (no newline).
 * Returns its id. */
uint64_t events_publish(struct events *b, enum events_kind kind,
			const char *data);
/* ": keepalive\n\n" to every subscriber. */
void events_keepalive(struct events *b);
uint64_t events_last_id(const struct events *b);
size_t events_subscribers(const struct events *b);

/* Subscribe to the kinds of MASK.  AFTER not NULL: first replay the
 * kept events numbered above *AFTER (all of them for 0, and when *AFTER
 * is not an id of this bus: the daemon restarted).  NULL when the replay
 * already overflowed the sink (its close callback has run). */
struct events_sub *events_subscribe(struct events *b, unsigned mask,
				    const uint64_t *after,
				    const struct events_sink *sink,
				    void *ctx);
/* The client left: forget it (its close callback is not called). */
void events_unsubscribe(struct events *b, struct events_sub *sub);

#endif
