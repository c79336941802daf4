/*
 * ctl_stats: the statistics part of the daemon, apart from its other
 * routes so that the two owners can work on their files separately:
 * opening the sampler from the rules' `stats:` section, and serving
 *
 *   GET  /v1/stats                {"instances":[..],"processes":[..],"applications":[..]}
 *   GET  /v1/stats/instances      {"instances":[{..}]}
 *   GET  /v1/stats/processes      {"processes":[..],"applications":[..]}
 *   GET  /v1/stats/status         {"host_stats","process_stats","collecting_period_s","periods_s":[..],"history","irix_mode"}
 *   POST /v1/stats/enable         {"host":bool,"process":bool}  (either may be left out)
 *   POST /v1/stats/period         {"collecting_period_s":N}
 *
 * GET queries: ?period=N (1 = the first configured period, the default;
 * 0 = the latest collecting-period sample) and, for processes,
 * ?namespec=app:proc|app:*.  The POSTs are Supvisors' runtime switches
 * (enable_host_statistics, enable_process_statistics,
 * update_collecting_period) and need an authorized request.
 *
 * Ownership: the sampler stays the caller's; nothing here keeps a
 * pointer past the call.
 */
#ifndef CORE_CTL_STATS_H
#define CORE_CTL_STATS_H

#include <stdbool.h>

struct http_request;
struct http_request_info;
struct rl_stats_conf;
struct stats_sampler;

/* Opens the sampler on /proc and /sys for CONF; logs and returns -errno
 * on failure (the daemon then runs without statistics). */
int ctl_stats_open(const struct rl_stats_conf *conf,
		   struct stats_sampler **ret);

/* Answers REQ when its path is under /v1/stats and returns true; false
 * (REQ untouched) for any other path.  S may be NULL (statistics could
 * not be opened): then 503 STATS_UNAVAILABLE. */
bool ctl_stats_handle(struct http_request *req,
		      const struct http_request_info *info,
		      struct stats_sampler *s, const char *instance);

#endif
