/*
 * ctl_obs: the observability routes of the control API, apart from the
 * other routes so that their owners can work separately:
 *
 *   GET /metrics     Prometheus text format 0.0.4 (metrics.h)
 *   GET /v1/events   server-sent events (events.h); ?type=K1,K2 filters,
 *                    Last-Event-ID (or ?last_event_id=N) resumes
 *   GET /            the dashboard and its assets, embedded at build time
 *
 * and the CSRF guard of the TCP listener: a request other than GET/HEAD
 * coming over TCP without "Content-Type: application/json" is answered
 * 415 before any route sees it (a browser cannot send that header across
 * origins without a CORS preflight, which the server never grants).
 *
 * It feeds the event bus from the daemon: a daemon watcher publishes
 * process events, process and application status as they change, and a
 * one-second tick publishes the cluster state and the instance when
 * they differ from what was last published, and the statistics when the
 * sampler took a new sample.
 *
 * The daemon's part is in ctl.c: ctl_obs_new() in ctl_new(),
 * ctl_obs_handle() first in ctl_handle(), ctl_obs_free() in ctl_free().
 * Statistics and gossip counters appear once the daemon hands their
 * sources over with ctl_obs_set_sampler() / ctl_obs_set_gossip().
 *
 * Ownership: the struct ctl owns the struct ctl_obs; the sampler and
 * the counters given must outlive it or be unset (NULL) first.
 */
#ifndef CORE_CTL_OBS_H
#define CORE_CTL_OBS_H

#include <stdbool.h>
#include <stddef.h>

struct ctl;
struct ctl_obs;
struct daemon;
struct events;
struct http_request;
struct http_request_info;
struct seal_counters;
struct stats_sampler;
struct strbuf;
struct swim_counters;

struct ctl_obs *ctl_obs_new(struct ctl *c, struct daemon *d);
struct ctl_obs *ctl_obs_free(struct ctl_obs *o);

/* Answers REQ and returns true when it is one of the routes above (or
 * refused by the CSRF guard); false leaves REQ untouched. */
bool ctl_obs_handle(struct ctl_obs *o, struct http_request *req,
		    const struct http_request_info *info);

void ctl_obs_set_sampler(struct ctl_obs *o, struct stats_sampler *s);
void ctl_obs_set_gossip(struct ctl_obs *o, const struct seal_counters *seal,
			const struct swim_counters *swim);

/* The bus, for other publishers. */
struct events *ctl_obs_events(struct ctl_obs *o);
/* The body of GET /metrics, appended to OUT. */
void ctl_obs_metrics(struct ctl_obs *o, struct strbuf *out);

/* A file of the dashboard (generated from tools/dashboard/). */
struct obs_asset {
	const char *path; /* "/app.js"; "/" is index.html */
	const char *content_type;
	const unsigned char *data;
	size_t len;
};

extern const struct obs_asset obs_assets[];
extern const size_t obs_nassets;

#endif
