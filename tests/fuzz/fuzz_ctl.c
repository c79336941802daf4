/*
 * fuzz_ctl: the control API's request decoding (core/ctl_req.c, the
 * cluster routes of core/ctl_cluster.c, the extras of core/ctl_extra.c
 * and the disabled programs' file of core/disabled.c), route and body.  Byte 0 picks
 * the route kind and the method; the rest is the body, given to every
 * decoder, and its first line is also tried as a path.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctl_cluster.h"
#include "core/ctl_extra.h"
#include "core/ctl_req.h"
#include "core/disabled.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What a decoder accepts must hold its promises: exactly one name for a
 * plan, a known strategy other than USER for a conciliation. */
static void
cluster_bodies(const char *buf, size_t len, char *msg, size_t msglen)
{
	struct ctl_plan_req p;
	enum rl_conciliation c;
	char *master;

	if (ctl_cluster_plan_body(buf, len, &p, msg, msglen) == 0) {
		if ((p.application == NULL) == (p.namespec == NULL) ||
		    (unsigned)p.strategy > _RL_STRATEGY_MAX)
			abort();
		ctl_plan_req_done(&p);
	}
	if (ctl_cluster_conciliate_body(buf, len, &c, msg, msglen) == 0 &&
	    ((unsigned)c >= _RL_CONCILIATION_MAX ||
	     c == RL_CONCILIATION_USER))
		abort();
	if (ctl_cluster_end_sync_body(buf, len, &master, msg, msglen) == 0) {
		if (master != NULL && master[0] == '\0')
			abort();
		free(master);
	}
	(void)ctl_cluster_stop_body(buf, len, msg, msglen);
}

/* The extras: an instance is a name or nothing, a start_any has its
 * regex, compiles or is refused, and every key the file gives is one
 * the file would write back the same. */
static void
extra_bodies(const char *buf, size_t len, char *msg, size_t msglen)
{
	struct ctl_start_any a;
	struct disabled *s = disabled_new();
	char *inst;
	regex_t re;

	if (ctl_extra_instance_body(buf, len, &inst, msg, msglen) == 0) {
		if (inst != NULL && inst[0] == '\0')
			abort();
		free(inst);
	}
	if (ctl_extra_start_any_body(buf, len, &a, msg, msglen) == 0) {
		if (a.regex == NULL || a.start.instance != NULL)
			abort();
		if (ctl_extra_regex(a.regex, &re, msg, msglen) == 0) {
			(void)ctl_extra_full_match(&re, buf);
			regfree(&re);
		}
		ctl_start_any_done(&a);
	}
	(void)disabled_parse(s, buf, len);
	for (size_t i = 0; i < disabled_count(s); i++)
		if (!disabled_key_valid(disabled_key(s, i)))
			abort();
	disabled_free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_route rt;
	struct ctl_body b;
	char msg[192], *buf, *nl;
	enum ctl_route_kind kind;
	enum ctl_cluster_route crt;
	enum ctl_extra_route xrt;
	char name[256];

	if (size < 1)
		return 0;
	kind = (enum ctl_route_kind)(data[0] % _CTL_ROUTE_MAX);
	buf = malloc(size);
	if (buf == NULL)
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	if (ctl_body_parse(kind, buf, size - 1, &b, msg, sizeof(msg)) == 0) {
		if (b.signal < 0 || b.signal > 64)
			abort();
		ctl_body_done(&b);
	}
	cluster_bodies(buf, size - 1, msg, sizeof(msg));
	extra_bodies(buf, size - 1, msg, sizeof(msg));
	nl = strchr(buf, '\n');
	if (nl != NULL)
		*nl = '\0';
	if (ctl_route_parse(data[0] & 0x80 ? "POST" : "GET", buf, &rt) == 0 &&
	    (rt.kind >= _CTL_ROUTE_MAX || strlen(rt.name) >= sizeof(rt.name)))
		abort();
	if (ctl_extra_route(buf, &xrt, name, sizeof(name)) == 0 &&
	    ((unsigned)xrt >= _CTL_X_MAX || strlen(name) >= sizeof(name)))
		abort();
	if (ctl_cluster_route(buf, &crt) == 0 &&
	    strcmp(ctl_cluster_route_to_string(crt), buf) != 0)
		abort();
	free(buf);
	return 0;
}
