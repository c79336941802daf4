/*
 * ctl: the control API of API-CONTRACT.md, as route handlers for the
 * HTTP server of net/http.h.  Requests are decoded by the pure functions
 * of ctl_req.h; the handlers read and command the daemon (daemon.h).
 *
 * Writes with "wait": true (and restarts, whose start follows the stop)
 * become operations that watch the daemon and answer their request when
 * every selected process reached its target state or failed.  Log tails
 * with follow=1 become streams fed by the log file's followers.
 *
 * Ownership: the daemon owns the struct ctl.  Free the HTTP server
 * first (it aborts every deferred request and stream, which releases
 * their operations' requests), then ctl_free(), which drops the
 * operations still waiting on processes.
 */
#ifndef CORE_CTL_H
#define CORE_CTL_H

#include <stddef.h>
#include <stdint.h>

struct cJSON;
struct ctl;
struct ctl_obs;
struct ctl_stats;
struct proc;
struct daemon;
struct http_request;
struct http_request_info;

struct ctl *ctl_new(struct daemon *d);
struct ctl *ctl_free(struct ctl *c);
/* The daemon applied new rules (statistics settings follow). */
void ctl_reloaded(struct ctl *c);
/* The http_handler_fn of the server; CTX is the struct ctl. */
void ctl_handle(struct http_request *req, const struct http_request_info *info,
		void *ctx);

/* The objects of the GET routes, for the event stream (ctl_obs.h):
 * the body of /v1/state, this instance's entry of /v1/instances, one of
 * /v1/applications (APP: view id) and of /v1/processes.  cJSON_Delete()
 * them. */
struct cJSON *ctl_state_json(const struct ctl *c);
struct cJSON *ctl_instance_json(const struct ctl *c);
struct cJSON *ctl_application_json(const struct ctl *c, uint32_t app);
struct cJSON *ctl_process_json(const struct ctl *c, const struct proc *p);
/* Answer REQ with STATUS and ROOT (deleted), or 500 when it cannot be
 * printed: for the routes of the other ctl_* modules. */
void ctl_reply_json(struct http_request *req, unsigned status,
		    struct cJSON *root);
/* For ctl_extra.h: the processes NAME selects as the routes do ("all",
 * "app:*", "app:name", a bare name), into *RET (free() it): 0 or
 * -ENOENT; and a start of NAMESPEC answered as POST
 * /v1/processes/NAMESPEC/start with body B would be. */
struct ctl_body;
int ctl_select(const struct ctl *c, const char *name, struct proc ***ret,
	       size_t *ret_n);
void ctl_start_one(struct ctl *c, struct http_request *req,
		   const char *namespec, const struct ctl_body *b);
/* The statistics routes and sampler of C. */
struct ctl_stats *ctl_get_stats(const struct ctl *c);
/* The observability routes (metrics, events, dashboard) of C. */
struct ctl_obs *ctl_obs(const struct ctl *c);

#endif
