/*
 * rules/resolve: the settings that involve more than one key or file:
 * the local instance and the cluster (addresses, tags, key requirement,
 * synchro options), statistics periods, aliases, identifier lists with
 * their signs, and model chains.
 *
 * Where Supvisors silently fixes a combination (a sign it ignores, an
 * option it drops), the choice here is an error that says why, except for
 * defaults that cannot apply (see resolve_instance()).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "rules/loader.h"

/* ------------------------------------------------------------ addresses */

struct addr {
	const char *host;
	uint16_t port;
	bool loopback;
};

static bool
parse_addr(struct ld *ld, const struct ynode *n, const char *s,
	   const char *key, struct addr *ret)
{
	const char *colon, *hs, *he;
	struct in6_addr a6;
	struct in_addr a4;
	int64_t port;
	char *host;

	if (s[0] == '[') {
		he = strchr(s, ']');
		if (he == NULL || he[1] != ':')
			goto bad;
		hs = s + 1;
		colon = he + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			goto bad;
		hs = s;
		he = colon;
		if (memchr(s, ':', (size_t)(colon - s)) != NULL)
			goto bad;
	}
	if (he == hs)
		goto bad;
	if (util_parse_int64(colon + 1, 1, 65535, &port) < 0)
		goto bad;
	host = arena_strndup(&ld->r->a, hs, (size_t)(he - hs));
	ret->host = host;
	ret->port = (uint16_t)port;
	ret->loopback = strcmp(host, "localhost") == 0 ||
			(inet_pton(AF_INET, host, &a4) == 1 &&
			 (ntohl(a4.s_addr) >> 24) == 127) ||
			(inet_pton(AF_INET6, host, &a6) == 1 &&
			 IN6_IS_ADDR_LOOPBACK(&a6));
	return true;
bad:
	error(ld, n, "'%s' must be HOST:PORT (port 1-65535, IPv6 in "
		     "brackets), not '%s'", key, s);
	return false;
}

/* ------------------------------------------------------------ instance */

static const char *
expand_path(struct ld *ld, const struct ynode *n, const char *tmpl,
	    const char *key)
{
	struct xvar vars[3] = {
		{"instance_name", ld->instance_name, 0},
		{"here", ld->files[0].here, 0},
		{"host_node_name", ld->host, 0},
	};
	char msg[256];
	const char *s;

	s = expand_template(&ld->r->a, tmpl, vars, ARRAY_SIZE(vars), ld->envp,
			    msg, sizeof(msg));
	if (s == NULL) {
		error(ld, n, "'%s': %s", key, msg);
		return NULL;
	}
	if (*s == '\0') {
		error(ld, n, "'%s' is empty", key);
		return NULL;
	}
	return join_path(&ld->r->a, ld->files[0].here, s);
}

/* TMPL with %(instance_name)s, %(host_node_name)s and %(ENV_X)s
 * expanded (one file for several instances on one host may still give
 * each its own machine, to test placement over nodes). */
static const char *
expand_text(struct ld *ld, const struct ynode *n, const char *tmpl,
	    const char *key)
{
	struct xvar vars[2] = {
		{"instance_name", ld->instance_name, 0},
		{"host_node_name", ld->host, 0},
	};
	char msg[256];
	const char *s;

	s = expand_template(&ld->r->a, tmpl, vars, ARRAY_SIZE(vars), ld->envp,
			    msg, sizeof(msg));
	if (s == NULL)
		error(ld, n, "'%s': %s", key, msg);
	else if (*s == '\0')
		error(ld, n, "'%s' is empty", key);
	return s;
}

/* S with every '%' doubled, so that it passes expansion unchanged. */
static const char *
escape_pct(struct ld *ld, const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	const char *ret;

	if (strchr(s, '%') == NULL)
		return s;
	for (; *s; s++) {
		if (*s == '%')
			strbuf_addc(&sb, '%');
		strbuf_addc(&sb, *s);
	}
	ret = arena_strdup(&ld->scratch, strbuf_str(&sb));
	strbuf_done(&sb);
	return ret;
}

static const char *
user_base(struct ld *ld, const char *xdg, const char *home_rel)
{
	const char *v = env_get(ld, xdg), *home;

	if (v != NULL && v[0] == '/')
		return escape_pct(ld, v);
	home = env_get(ld, "HOME");
	if (home_rel != NULL && home != NULL && home[0] == '/')
		return escape_pct(ld, arena_printf(&ld->scratch, "%s/%s", home,
						   home_rel));
	return arena_printf(&ld->scratch, "/tmp/supvisors-sched-%u",
			    (unsigned)getuid());
}

static const char *
instance_path(struct ld *ld, const struct iraw *in, enum inst_field f)
{
	const char *tmpl;

	if (in->set & (1ull << f)) {
		tmpl = *(const char *const *)((const char *)in +
					      schema_instance.f[f].off);
		return expand_path(ld, in->pos[f], tmpl,
				   schema_instance.f[f].key);
	}
	if (ld->opts->is_root) {
		if (f == IF_CONTROL)
			tmpl = "/run/supvisors-sched/%(instance_name)s.sock";
		else if (f == IF_STATE_DIR)
			tmpl = "/var/lib/supvisors-sched/%(instance_name)s";
		else
			tmpl = "/var/log/supvisors-sched/%(instance_name)s";
	} else if (f == IF_CONTROL) {
		tmpl = arena_printf(&ld->scratch,
				    "%s/supvisors-sched/%%(instance_name)s.sock",
				    user_base(ld, "XDG_RUNTIME_DIR", NULL));
	} else {
		tmpl = arena_printf(&ld->scratch,
				    "%s/supvisors-sched/%%(instance_name)s%s",
				    user_base(ld, "XDG_STATE_HOME",
					      ".local/state"),
				    f == IF_LOG_DIR ? "/log" : "");
	}
	return expand_path(ld, NULL, tmpl, schema_instance.f[f].key);
}

static const char *
machine_id(struct ld *ld)
{
	static const char *const files[] = {"/etc/machine-id",
					    "/var/lib/dbus/machine-id"};
	char buf[128];
	size_t i, n;
	FILE *f;

	for (i = 0; i < ARRAY_SIZE(files); i++) {
		f = fopen(files[i], "re");
		if (f == NULL)
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
			n--;
		if (n > 0)
			return arena_strndup(&ld->r->a, buf, n);
	}
	return arena_strdup(&ld->r->a, ld->host);
}

static void
add_tag(struct ld *ld, struct vec *tags, const struct ynode *n)
{
	const char *why = schema_check_name(n->s);

	if (why != NULL) {
		error(ld, n, "tag '%s' %s", n->s, why);
		return;
	}
	if (strmap_put(&ld->tag_map, n->s, (void *)n->s) == NULL)
		vec_push(tags, (void *)n->s);
}

static const char **
tag_array(struct ld *ld, const struct nodevec *nv, size_t *ret_n)
{
	const char **v = arena_alloc(&ld->r->a, (nv->n + 1) * sizeof(*v));
	size_t i, j, n = 0;

	for (i = 0; i < nv->n; i++) {
		for (j = 0; j < n; j++)
			if (strcmp(v[j], nv->v[i]->s) == 0)
				break;
		if (j == n)
			v[n++] = arena_strdup(&ld->r->a, nv->v[i]->s);
	}
	*ret_n = n;
	return v;
}

static void
resolve_cluster_instances(struct ld *ld, struct vec *tags,
			  const struct ynode **ret_first_remote)
{
	const struct ynode *map = ld->top.cluster.instances;
	struct rl_cluster_conf *cc = &ld->r->cluster;
	struct rl_instance *inst;
	struct strmap addrs = {0}, names = {0};
	struct ynode *k, *v, *an;
	struct eraw e;
	struct addr ad;
	size_t i, j;
	const char *prev;

	if (!map_or_null(ld, map, "cluster.instances"))
		return;
	inst = arena_alloc(&ld->r->a, map->n * sizeof(*inst) + 1);
	cc->instances = inst;
	for (i = 0; i < map->n; i++) {
		k = map->v[2 * i];
		v = map->v[2 * i + 1];
		if (!ld_visit(ld, k) || !ld_visit(ld, v))
			break;
		if (!check_name(ld, k, "instance") ||
		    !check_unique(ld, &names, k, "instance",
				  "cluster.instances"))
			continue;
		memset(&e, 0, sizeof(e));
		if (v->type == Y_MAP) {
			schema_walk(ld, v, &schema_peer, &e,
				    &(struct wctx){"cluster instance", k->s});
			if (!(e.set & (1ull << EF_ADDRESS))) {
				error(ld, k, "cluster instance '%s' needs an "
					     "'address'", k->s);
				continue;
			}
			an = e.pos[EF_ADDRESS];
		} else if (v->type == Y_SCALAR && !ynode_is_null(v)) {
			e.address = v->s;
			an = v;
		} else {
			error(ld, v, "cluster instance '%s' must be "
				     "\"HOST:PORT\" or a mapping with "
				     "'address' and 'tags', not %s",
			      k->s, ynode_type_name(v));
			continue;
		}
		if (!parse_addr(ld, an, e.address, "address", &ad))
			continue;
		prev = strmap_put(&addrs, an->s, (void *)k->s);
		if (prev != NULL) {
			error(ld, an, "address '%s' is used by instances '%s' "
				      "and '%s'", an->s, prev, k->s);
			continue;
		}
		if (!ad.loopback && *ret_first_remote == NULL)
			*ret_first_remote = an;
		inst[cc->ninstances].name = arena_strdup(&ld->r->a, k->s);
		inst[cc->ninstances].address = arena_strdup(&ld->r->a,
							    e.address);
		inst[cc->ninstances].host = ad.host;
		inst[cc->ninstances].port = ad.port;
		for (j = 0; j < e.tags.n; j++)
			add_tag(ld, tags, e.tags.v[j]);
		inst[cc->ninstances].tags =
			tag_array(ld, &e.tags, &inst[cc->ninstances].ntags);
		strmap_put(&ld->inst_map, inst[cc->ninstances].name,
			   &inst[cc->ninstances]);
		cc->ninstances++;
	}
	strmap_done(&addrs);
	strmap_done(&names);
}

static void
resolve_gossip(struct ld *ld)
{
	const struct graw *g = &ld->top.cluster.gossip;
	struct rl_gossip *o = &ld->r->cluster.gossip;

#define GV(field, bit, def) ((g->set & (1ull << (bit))) ? g->field : (def))
	o->probe_interval_ms = GV(probe_interval, GF_PROBE_INTERVAL, 400);
	o->probe_timeout_ms = GV(probe_timeout, GF_PROBE_TIMEOUT, 200);
	o->indirect_checks = (unsigned)GV(indirect_checks, GF_INDIRECT_CHECKS,
					  3);
	o->suspicion_mult = (unsigned)GV(suspicion_mult, GF_SUSPICION_MULT, 4);
	o->retransmit_mult = (unsigned)GV(retransmit_mult, GF_RETRANSMIT_MULT,
					  4);
	o->gossip_interval_ms = GV(gossip_interval, GF_GOSSIP_INTERVAL, 100);
	o->gossip_nodes = (unsigned)GV(gossip_nodes, GF_GOSSIP_NODES, 3);
	o->sync_interval_ms = GV(sync_interval, GF_SYNC_INTERVAL, 30000);
#undef GV
	if (o->probe_timeout_ms >= o->probe_interval_ms)
		error(ld,
		      g->pos[GF_PROBE_TIMEOUT] ? g->pos[GF_PROBE_TIMEOUT]
					       : g->pos[GF_PROBE_INTERVAL],
		      "'probe_timeout' (%lldms) must be shorter than "
		      "'probe_interval' (%lldms)",
		      (long long)o->probe_timeout_ms,
		      (long long)o->probe_interval_ms);
}

void
resolve_stats(struct ld *ld)
{
	const struct sraw *s = &ld->top.stats;
	struct rl_stats_conf *o = &ld->r->stats;
	size_t i;

	o->enabled = (s->set & (1ull << SF_ENABLED))
			     ? s->enabled
			     : RL_STATS_HOST | RL_STATS_PROCESS;
	o->collecting_period_ms = (s->set & (1ull << SF_COLLECTING_PERIOD))
					  ? s->collecting_period
					  : 1000;
	if (s->set & (1ull << SF_PERIODS)) {
		o->nperiods = s->periods.n;
		memcpy(o->periods_ms, s->periods.v, sizeof(o->periods_ms));
	} else {
		o->nperiods = 1;
		o->periods_ms[0] = 10000;
	}
	o->history = (s->set & (1ull << SF_HISTORY)) ? (unsigned)s->history
						    : 200;
	o->irix_mode = s->irix_mode;
	for (i = 0; i < o->nperiods; i++) {
		if (o->periods_ms[i] % o->collecting_period_ms != 0) {
			char a[32], b[32];

			error(ld,
			      s->pos[SF_PERIODS] ? s->pos[SF_PERIODS]
						 : s->pos[SF_COLLECTING_PERIOD],
			      "period %s is not a multiple of "
			      "'collecting_period' %s",
			      util_format_duration(o->periods_ms[i], a,
						   sizeof(a)),
			      util_format_duration(o->collecting_period_ms, b,
						   sizeof(b)));
			break;
		}
	}
}

void
resolve_instance(struct ld *ld)
{
	const struct iraw *in = &ld->top.instance;
	const struct craw *cr = &ld->top.cluster;
	struct rl_instance_conf *ic = &ld->r->instance;
	struct rl_cluster_conf *cc = &ld->r->cluster;
	const struct ynode *first_remote = NULL, *n;
	const struct rl_instance *self;
	struct vec tags = {0};
	struct addr ad;
	const char *why, *listen, **core;
	size_t i;

	/* tags: the local instance's first, then the cluster's */
	for (i = 0; i < in->tags.n; i++)
		add_tag(ld, &tags, in->tags.v[i]);
	ic->tags = tag_array(ld, &in->tags, &ic->ntags);
	resolve_cluster_instances(ld, &tags, &first_remote);
	ld->r->tags = arena_alloc(&ld->r->a, (tags.n + 1) * sizeof(char *));
	for (i = 0; i < tags.n; i++)
		ld->r->tags[i] = arena_strdup(&ld->r->a, tags.v[i]);
	ld->r->ntags = tags.n;
	free(tags.v);

	if (ld->opts->name != NULL) {
		ic->name = arena_strdup(&ld->r->a, ld->opts->name);
		why = schema_check_name(ic->name);
		if (why != NULL)
			rl_diags_add(ld->diags, ld->files[0].path, 0, 0,
				     RL_SEV_ERROR,
				     "--name: the instance name is invalid");
	} else if (in->set & (1ull << IF_NAME)) {
		ic->name = arena_strdup(&ld->r->a, in->name);
		why = schema_check_name(ic->name);
		if (why != NULL)
			error(ld, in->pos[IF_NAME], "instance name '%s' %s",
			      in->name, why);
	} else {
		ic->name = arena_strdup(&ld->r->a, ld->host);
	}
	ld->instance_name = ic->name;
	self = strmap_get(&ld->inst_map, ic->name);
	if (self == NULL && cc->ninstances > 0)
		ld_diag(ld, cr->pos[CF_INSTANCES], RL_SEV_WARNING,
			"this instance '%s' is not in 'cluster.instances'; it "
			"can only join as a discovered instance", ic->name);
	if (self == NULL)
		strmap_put(&ld->inst_map, ic->name, (void *)ic);

	if (in->set & (1ull << IF_LISTEN)) {
		listen = in->listen;
		n = in->pos[IF_LISTEN];
	} else if (self != NULL) {
		listen = self->address;
		n = NULL;
	} else {
		listen = "127.0.0.1:7700";
		n = NULL;
	}
	ic->listen = arena_strdup(&ld->r->a, listen);
	if (parse_addr(ld, n, listen, "listen", &ad)) {
		ic->listen_host = ad.host;
		ic->listen_port = ad.port;
		if (!ad.loopback && first_remote == NULL)
			first_remote = n ? n : in->pos[IF_LISTEN];
	}
	if (in->set & (1ull << IF_ADVERTISE)) {
		if (parse_addr(ld, in->pos[IF_ADVERTISE], in->advertise,
			       "advertise", &ad)) {
			ic->advertise = arena_strdup(&ld->r->a, in->advertise);
			if (!ad.loopback && first_remote == NULL)
				first_remote = in->pos[IF_ADVERTISE];
		}
	}
	if (in->set & (1ull << IF_HTTP)) {
		if (parse_addr(ld, in->pos[IF_HTTP], in->http, "http", &ad))
			ic->http = arena_strdup(&ld->r->a, in->http);
	}
	if (!(in->set & (1ull << IF_MACHINE)) || !strcmp(in->machine, "auto"))
		ic->machine = machine_id(ld);
	else
		ic->machine = expand_text(ld, in->pos[IF_MACHINE], in->machine,
					  "machine");
	ic->control = instance_path(ld, in, IF_CONTROL);
	ic->state_dir = instance_path(ld, in, IF_STATE_DIR);
	ic->log_dir = instance_path(ld, in, IF_LOG_DIR);
	if (in->set & (1ull << IF_HTTP_TOKEN_FILE))
		ic->http_token_file = expand_path(
			ld, in->pos[IF_HTTP_TOKEN_FILE], in->http_token_file,
			"http_token_file");
	ic->http_public_read = in->http_public_read;

	/* cluster settings that need the instances */
	cc->name = arena_strdup(&ld->r->a, (cr->set & (1ull << CF_NAME))
						   ? cr->name
						   : "default");
	if (cr->set & (1ull << CF_KEY_FILE))
		cc->key_file = expand_path(ld, cr->pos[CF_KEY_FILE],
					   cr->key_file, "key_file");
	else if (first_remote != NULL)
		error(ld, first_remote, "'cluster.key_file' is required: "
		      "address '%s' is not loopback, and peer traffic off "
		      "this host must be sealed", first_remote->s);
	core = arena_alloc(&ld->r->a, (cr->core.n + 1) * sizeof(char *));
	cc->core = core;
	for (i = 0; i < cr->core.n; i++) {
		const char *c = cr->core.v[i]->s;
		char near[96];
		size_t j;

		if (strmap_get(&ld->inst_map, c) == NULL) {
			error(ld, cr->core.v[i], "core instance '%s' is not an "
			      "instance%s", c,
			      near_in_map(&ld->inst_map, c, near,
					  sizeof(near)));
			continue;
		}
		for (j = 0; j < cc->ncore; j++)
			if (strcmp(cc->core[j], c) == 0)
				break;
		if (j == cc->ncore)
			core[cc->ncore++] = arena_strdup(&ld->r->a, c);
	}
	if (cr->set & (1ull << CF_SYNCHRO)) {
		cc->synchro = cr->synchro;
		n = cr->pos[CF_SYNCHRO];
		if ((cc->synchro & RL_SYNCHRO_CORE) && cr->core.n == 0)
			error(ld, n, "synchro option CORE needs "
				     "'cluster.core' instances");
		if ((cc->synchro & (RL_SYNCHRO_STRICT | RL_SYNCHRO_LIST)) &&
		    cc->ninstances == 0)
			error(ld, n, "synchro options STRICT and LIST need "
				     "'cluster.instances'");
	} else {
		/* Supvisors' default, less what cannot apply */
		cc->synchro = RL_SYNCHRO_TIMEOUT;
		if (cr->core.n > 0)
			cc->synchro |= RL_SYNCHRO_CORE;
		if (cc->ninstances > 0)
			cc->synchro |= RL_SYNCHRO_STRICT;
	}
	cc->synchro_timeout_ms = (cr->set & (1ull << CF_SYNCHRO_TIMEOUT))
					 ? cr->synchro_timeout
					 : 15000;
	cc->auto_fence = cr->auto_fence;
	cc->starting_strategy = (cr->set & (1ull << CF_STARTING_STRATEGY))
					? (enum rl_strategy)cr->starting_strategy
					: RL_STRATEGY_CONFIG;
	cc->conciliation_strategy =
		(cr->set & (1ull << CF_CONCILIATION))
			? (enum rl_conciliation)cr->conciliation
			: RL_CONCILIATION_USER;
	cc->failure_strategy = (cr->set & (1ull << CF_FAILURE))
				       ? (enum rl_cluster_failure)cr->failure
				       : RL_CLUSTER_FAILURE_CONTINUE;
	cc->load_source = (cr->set & (1ull << CF_LOAD_SOURCE))
				  ? (enum rl_load_source)cr->load_source
				  : RL_LOAD_EXPECTED;
	if ((cc->synchro & RL_SYNCHRO_TIMEOUT) &&
	    cc->failure_strategy != RL_CLUSTER_FAILURE_CONTINUE)
		error(ld, cr->pos[CF_FAILURE],
		      "'failure_strategy' %s needs a 'synchro' without "
		      "TIMEOUT (after a timeout, missing instances are "
		      "expected: only CONTINUE applies)",
		      rl_cluster_failure_to_string(cc->failure_strategy));
	resolve_gossip(ld);
}

/* ------------------------------------------------------------ aliases */

struct identbuf {
	struct rl_ident *v;
	size_t n, cap;
};

static void
ident_add(struct identbuf *b, enum rl_ident_kind kind, const char *name)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (b->v[i].kind == kind && strcmp(b->v[i].name, name) == 0)
			return;
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 8;
		b->v = xreallocarray(b->v, b->cap, sizeof(*b->v));
	}
	b->v[b->n].kind = kind;
	b->v[b->n].name = name;
	b->n++;
}

static void
unknown_ident(struct ld *ld, const struct ynode *n, const char *where)
{
	char near[96];

	near_in_map(&ld->inst_map, n->s, near, sizeof(near));
	if (near[0] == '\0')
		near_in_map(&ld->alias_map, n->s, near, sizeof(near));
	if (near[0] == '\0')
		near_in_map(&ld->tag_map, n->s, near, sizeof(near));
	error(ld, n, "unknown identifier '%s'%s: not an instance, an alias "
		     "or a tag%s", n->s, where, near);
}

static struct alias_raw *
find_alias(struct ld *ld, const char *name)
{
	return strmap_get(&ld->alias_raws, name);
}

static bool
resolve_alias(struct ld *ld, struct alias_raw *al, unsigned depth)
{
	struct identbuf b = {0};
	struct alias_raw *sub;
	const struct ynode *n;
	char where[96];
	size_t i, j;
	bool ok = true;

	if (al->state == 2)
		return al->v != NULL;
	if (al->state == 1) {
		error(ld, al->key, "alias '%s' refers to itself (alias cycle)",
		      al->name);
		return false;
	}
	if (depth > 64) {
		error(ld, al->key, "aliases nested deeper than 64 levels");
		al->state = 2;
		return false;
	}
	al->state = 1;
	snprintf(where, sizeof(where), " in alias '%s'", al->name);
	for (i = 0; i < al->items.n; i++) {
		n = al->items.v[i];
		if (!strcmp(n->s, "*") || !strcmp(n->s, "#") ||
		    !strcmp(n->s, "@")) {
			error(ld, n, "'%s' is not allowed in an alias", n->s);
			ok = false;
		} else if (strmap_get(&ld->inst_map, n->s) != NULL) {
			ident_add(&b, RL_IDENT_INSTANCE, n->s);
		} else if ((sub = find_alias(ld, n->s)) != NULL) {
			if (!resolve_alias(ld, sub, depth + 1)) {
				ok = false;
				continue;
			}
			for (j = 0; j < sub->n; j++)
				ident_add(&b, sub->v[j].kind, sub->v[j].name);
		} else if (strmap_get(&ld->tag_map, n->s) != NULL) {
			ident_add(&b, RL_IDENT_TAG, n->s);
		} else {
			unknown_ident(ld, n, where);
			ok = false;
		}
	}
	al->state = 2;
	if (ok) {
		al->v = arena_alloc(&ld->scratch,
				    (b.n + 1) * sizeof(*al->v));
		if (b.n > 0)
			memcpy(al->v, b.v, b.n * sizeof(*b.v));
		al->n = b.n;
	}
	free(b.v);
	return ok;
}

void
resolve_aliases(struct ld *ld)
{
	size_t i;

	for (i = 0; i < ld->aliases.n; i++) {
		struct alias_raw *al = ld->aliases.v[i];

		if (strmap_get(&ld->inst_map, al->name) != NULL) {
			error(ld, al->key, "alias '%s' has the name of an "
			      "instance", al->name);
			al->state = 2;
			continue;
		}
		if (strmap_get(&ld->tag_map, al->name) != NULL) {
			error(ld, al->key, "alias '%s' has the name of a tag",
			      al->name);
			al->state = 2;
			continue;
		}
		resolve_alias(ld, al, 0);
	}
}

/* Builds *RET from the identifiers list NV.  SUBJECT is "program 'p'"
 * or "application 'a'". */
bool
resolve_idents(struct ld *ld, const struct nodevec *nv, bool is_app,
	       const char *name, unsigned numprocs, struct rl_identifiers *ret)
{
	struct identbuf b = {0};
	const struct ynode *star = NULL, *hash = NULL, *at = NULL, *named = NULL;
	struct alias_raw *al;
	const struct ynode *n;
	size_t i, j;
	bool ok = true;

	memset(ret, 0, sizeof(*ret));
	if (nv->n == 0) {
		ret->all = true;
		return true;
	}
	for (i = 0; i < nv->n; i++) {
		n = nv->v[i];
		if (strcmp(n->s, "*") == 0) {
			star = n;
		} else if (strcmp(n->s, "#") == 0) {
			hash = n;
		} else if (strcmp(n->s, "@") == 0) {
			at = n;
		} else if (strmap_get(&ld->inst_map, n->s) != NULL) {
			ident_add(&b, RL_IDENT_INSTANCE, n->s);
			named = named ? named : n;
		} else if ((al = find_alias(ld, n->s)) != NULL) {
			named = named ? named : n;
			if (al->v == NULL) {
				ok = false;
				continue;
			}
			for (j = 0; j < al->n; j++)
				ident_add(&b, al->v[j].kind, al->v[j].name);
		} else if (strmap_get(&ld->tag_map, n->s) != NULL) {
			ident_add(&b, RL_IDENT_TAG, n->s);
			named = named ? named : n;
		} else {
			unknown_ident(ld, n, "");
			ok = false;
		}
	}
	if (star != NULL && named != NULL) {
		error(ld, named, "'*' (every instance) cannot be combined with "
				 "names");
		ok = false;
	}
	if (hash != NULL && at != NULL) {
		error(ld, at, "'#' and '@' cannot be combined");
		ok = false;
	}
	if (is_app && at != NULL) {
		error(ld, at, "'@' is not allowed on an application (only on "
			      "a program with numprocs > 1)");
		ok = false;
	}
	if (!is_app && (hash || at) && numprocs < 2) {
		error(ld, hash ? hash : at, "'%s' spreads a homogeneous group: "
		      "program '%s' needs numprocs > 1", hash ? "#" : "@",
		      name);
		ok = false;
	}
	if (is_app && hash != NULL) {
		const char *end = name + strlen(name), *d = end;
		bool digits_ok;

		while (d > name && d[-1] >= '0' && d[-1] <= '9')
			d--;
		digits_ok = d < end && d > name && (d[-1] == '-' ||
						    d[-1] == '_');
		if (digits_ok) {
			const char *z = d;

			while (*z == '0')
				z++;
			digits_ok = *z != '\0';
		}
		if (!digits_ok) {
			error(ld, hash, "'#' on an application needs a name "
			      "ending in -N or _N (N >= 1), like '%s_01'",
			      name);
			ok = false;
		}
	}
	if (ok) {
		ret->all = star != NULL || b.n == 0;
		ret->sign = hash ? RL_SIGN_HASH : at ? RL_SIGN_AT : RL_SIGN_NONE;
		if (b.n > 0) {
			struct rl_ident *v = arena_alloc(
				&ld->r->a, b.n * sizeof(*v));

			for (i = 0; i < b.n; i++) {
				v[i].kind = b.v[i].kind;
				v[i].name = arena_strdup(&ld->r->a,
							 b.v[i].name);
			}
			ret->v = v;
			ret->n = b.n;
		}
	}
	free(b.v);
	return ok;
}

/* ------------------------------------------------------------ models */

static struct model_raw *
find_model(struct ld *ld, const char *name)
{
	return strmap_get(&ld->model_raws, name);
}

static struct model_raw *
model_ref(struct ld *ld, const struct praw *p, const char *what)
{
	struct model_raw *m;
	const struct ynode *n = p->pos[PF_REFERENCE];
	char near[96];

	if (!(p->set & (1ull << PF_REFERENCE)))
		return NULL;
	m = find_model(ld, p->reference);
	if (m == NULL)
		error(ld, n, "%s refers to unknown model '%s'%s", what,
		      p->reference,
		      near_in_map(&ld->model_map, p->reference, near,
				  sizeof(near)));
	return m;
}

/* Whether M comes first (in file order) among the models of its cycle. */
static bool
cycle_first(struct ld *ld, const struct model_raw *m)
{
	const struct model_raw *x = m;
	size_t i, mi = 0, xi;

	for (i = 0; i < ld->models.n; i++)
		if (ld->models.v[i] == m)
			mi = i;
	for (;;) {
		x = find_model(ld, x->p.reference);
		if (x == m || x == NULL)
			return true;
		for (xi = 0; xi < ld->models.n; xi++)
			if (ld->models.v[xi] == x && xi < mi)
				return false;
	}
}

/* Checks a model's chain once: at most 3 models, no cycle. */
void
check_models(struct ld *ld)
{
	struct model_raw *m, *chain[4], *next;
	char what[96];
	size_t i, len, j;

	for (i = 0; i < ld->models.n; i++) {
		m = ld->models.v[i];
		chain[0] = m;
		len = 1;
		for (;;) {
			snprintf(what, sizeof(what), "model '%s'",
				 chain[len - 1]->p.name);
			if (!(chain[len - 1]->p.set & (1ull << PF_REFERENCE)))
				break;
			next = find_model(ld, chain[len - 1]->p.reference);
			if (next == NULL) {
				if (chain[len - 1] == m)
					model_ref(ld, &m->p, what);
				else
					m->broken = true;
				break;
			}
			for (j = 0; j < len; j++)
				if (chain[j] == next)
					break;
			if (j < len) {
				/* once per cycle: from its first model */
				if (next == m && cycle_first(ld, m))
					error(ld, chain[len - 1]->p.pos[PF_REFERENCE],
					      "model cycle: model '%s' refers "
					      "back to '%s'",
					      chain[len - 1]->p.name, m->p.name);
				m->broken = true;
				break;
			}
			if (len == 3) {
				if (chain[0] == m)
					error(ld, chain[2]->p.pos[PF_REFERENCE],
					      "model chain too long: '%s' -> "
					      "'%s' -> '%s' -> '%s' (at most 3 "
					      "models)", chain[0]->p.name,
					      chain[1]->p.name,
					      chain[2]->p.name, next->p.name);
				m->broken = true;
				break;
			}
			chain[len++] = next;
		}
	}
	for (i = 0; i < ld->models.n; i++) {
		m = ld->models.v[i];
		for (next = m, len = 0; next != NULL && len < 4; len++) {
			if (next->broken) {
				m->broken = true;
				break;
			}
			next = (next->p.set & (1ull << PF_REFERENCE))
				       ? find_model(ld, next->p.reference)
				       : NULL;
		}
	}
}

/* The effective settings of a program: its own, then its models'. */
bool
merge_models(struct ld *ld, struct praw *eff, char *ctx_what)
{
	struct model_raw *m = model_ref(ld, eff, ctx_what);
	size_t i, depth = 0;

	if (eff->set & (1ull << PF_REFERENCE) && m == NULL)
		return false;
	while (m != NULL && depth++ < 3) {
		if (m->broken)
			return false;
		for (i = 0; i < _PF_MAX; i++)
			if (i != PF_REFERENCE && !(eff->set & (1ull << i)) &&
			    (m->p.set & (1ull << i)))
				schema_copy_field(&schema_program, i, eff,
						  &m->p);
		m = (m->p.set & (1ull << PF_REFERENCE))
			    ? find_model(ld, m->p.reference)
			    : NULL;
	}
	return true;
}

