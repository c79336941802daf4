/*
 * ctl_stats: the statistics part of the daemon, apart from its other
 * routes so that the two owners can work on their files separately:
 * opening the sampler from the rules' `stats:` section, and serving
 *
 *   GET  /v1/stats {"instances":[..],"processes":[..],"applications":[..]} GET
 * /v1/stats/instances      {"instances":[{..}]} GET  /v1/stats/processes
 * {"processes":[..],"applications":[..]} GET  /v1/stats/status
 * {"host_stats","process_stats","collecting_period_s","periods_s":[..],"history","irix_mode"}
 *   POST /v1/stats/enable         {"host":bool,"process":bool}  (either may be
 * left out) POST /v1/stats/period         {"collecting_period_s":N}
 *
 * GET queries: ?period=N (1 = the first configured period, the default;
 * 0 = the latest collecting-period sample) and, for processes,
 * ?namespec=app:proc|app:*.  The POSTs are Supvisors' runtime switches
 * (enable_host_statistics, enable_process_statistics,
 * update_collecting_period) and need an authorized request.
 *
 * The daemon's part is a few lines in ctl.c: ctl_stats_new() once the
 * loop, the processes and the rules exist, ctl_stats_handle() first in the
 * HTTP handler, ctl_stats_apply() after a reload (ctl_reloaded()),
 * ctl_stats_free() at exit.  The sampler then runs on its own ev_timer, every
 * collecting period, over the processes of the table.
 *
 * Ownership: the caller owns the struct ctl_stats, and the loop and
 * daemon it was given must outlive it; INSTANCE is copied.  The sampler
 * lives as long as the struct ctl_stats (a reload reconfigures it in
 * place), unless it could not be opened (NULL).
 */
#ifndef CORE_CTL_STATS_H
#define CORE_CTL_STATS_H

#include <stdbool.h>

struct ctl_stats;
struct ev_loop;
struct http_request;
struct http_request_info;
struct daemon;
struct rl_stats_conf;
struct stats_sampler;

/* Never NULL: a sampler that cannot be opened is logged once and the
 * routes answer 503.  D gives the supervised processes; NULL samples the
 * node only. */
struct ctl_stats *ctl_stats_new(struct ev_loop *loop, const struct daemon *d,
				const struct rl_stats_conf *conf,
				const char *instance);
struct ctl_stats *ctl_stats_free(struct ctl_stats *cs);
/* A new stats: section: switches and collecting period are applied as
 * they are; new periods, history depth or irix_mode restart the
 * histories (stats_sampler_reconfigure). */
void ctl_stats_apply(struct ctl_stats *cs, const struct rl_stats_conf *conf);
/* The sampler, for `instances` (stats_sampler_node) and the gossiped
 * load; NULL when it could not be opened. */
struct stats_sampler *ctl_stats_sampler(const struct ctl_stats *cs);
/* ctl_stats_serve() on CS's sampler and instance name. */
bool ctl_stats_handle(struct http_request *req,
		      const struct http_request_info *info,
		      struct ctl_stats *cs);

/* Opens the sampler on /proc and /sys for CONF; logs and returns -errno
 * on failure (the daemon then runs without statistics). */
int ctl_stats_open(const struct rl_stats_conf *conf,
		   struct stats_sampler **ret);

/* Answers REQ when its path is under /v1/stats and returns true; false
 * (REQ untouched) for any other path.  S may be NULL (statistics could
 * not be opened): then 503 STATS_UNAVAILABLE. */
bool ctl_stats_serve(struct http_request *req,
		     const struct http_request_info *info,
		     struct stats_sampler *s, const char *instance);

#endif
