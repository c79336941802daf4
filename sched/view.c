/*
 * The cluster view: records in growable arrays indexed by id, three name
 * maps (open addressing, FNV-1a), and the incremental bookkeeping of
 * loads, running sets and synthesized states.  See view.h.
 *
 * Per-process reports are sparse (only the instances that reported the
 * process): with 10 000 processes and 1 000 instances a dense matrix
 * would cost hundreds of megabytes for nothing.
 */
#include "sched/view.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"
#include "rules/formula.h"

struct map_slot {
	const char *key;
	uint32_t id;
};

struct strmap {
	struct map_slot *slots;
	size_t cap; /* power of two, or 0 */
	size_t n;
};

struct sched_view {
	struct sched_instance *inst;
	struct sched_inst_hot *hot; /* same index, same capacity */
	size_t ninst, capinst;
	struct sched_node *nodes;
	size_t nnodes, capnodes;
	struct sched_process *procs;
	size_t nprocs, capprocs;
	struct sched_app *apps;
	size_t napps, capapps;
	struct sched_resv *resv;
	size_t nresv, capresv;
	struct strmap inst_map, node_map, proc_map, app_map;
	uint32_t local;
};

static const char *const inst_state_names[_SCHED_INST_MAX] = {
	"STOPPED", "CHECKING", "CHECKED", "RUNNING", "FAILED", "ISOLATED",
};

static const char *const proc_state_names[_SCHED_PROC_MAX] = {
	"STOPPED", "STARTING", "RUNNING", "BACKOFF",
	"STOPPING", "EXITED", "FATAL", "UNKNOWN",
};

static const int proc_state_codes[_SCHED_PROC_MAX] = {
	0, 10, 20, 30, 40, 100, 200, 1000,
};

const char *
sched_inst_state_to_string(enum sched_inst_state s)
{
	return (unsigned)s < _SCHED_INST_MAX ? inst_state_names[s] : NULL;
}

int
sched_name_lookup(const char *const *names, size_t n, const char *s)
{
	size_t i;

	if (s == NULL)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (strcasecmp(names[i], s) == 0)
			return (int)i;
	return -EINVAL;
}

int
sched_inst_state_from_string(const char *s)
{
	return sched_name_lookup(inst_state_names, _SCHED_INST_MAX, s);
}

const char *
sched_proc_state_to_string(enum sched_proc_state s)
{
	return (unsigned)s < _SCHED_PROC_MAX ? proc_state_names[s] : NULL;
}

int
sched_proc_state_from_string(const char *s)
{
	return sched_name_lookup(proc_state_names, _SCHED_PROC_MAX, s);
}

int
sched_proc_state_code(enum sched_proc_state s)
{
	return (unsigned)s < _SCHED_PROC_MAX ? proc_state_codes[s] : -1;
}

bool
sched_proc_state_loading(enum sched_proc_state s)
{
	return s == SCHED_PROC_STARTING || s == SCHED_PROC_RUNNING ||
	       s == SCHED_PROC_BACKOFF;
}

bool
sched_proc_state_stopped(enum sched_proc_state s)
{
	return s == SCHED_PROC_STOPPED || s == SCHED_PROC_EXITED ||
	       s == SCHED_PROC_FATAL || s == SCHED_PROC_UNKNOWN;
}

/* In the running set (reference/supvisors.md 3.1): a STOPPING instance
 * stays in it until a stopped state arrives. */
static bool
state_in_running_set(enum sched_proc_state s)
{
	return sched_proc_state_loading(s) || s == SCHED_PROC_STOPPING;
}

/* ------------------------------------------------------------ name maps */

static uint32_t
map_get(const struct strmap *m, const char *key)
{
	size_t i;

	if (m->cap == 0 || key == NULL)
		return SCHED_NONE;
	for (i = util_hash_str(key) & (m->cap - 1); m->slots[i].key;
	     i = (i + 1) & (m->cap - 1))
		if (strcmp(m->slots[i].key, key) == 0)
			return m->slots[i].id;
	return SCHED_NONE;
}

static void
map_put_slot(struct map_slot *slots, size_t cap, const char *key,
	     uint32_t id)
{
	size_t i;

	for (i = util_hash_str(key) & (cap - 1); slots[i].key; i = (i + 1) & (cap - 1))
		;
	slots[i].key = key;
	slots[i].id = id;
}

/* KEY must stay valid as long as the map: it points into a record. */
static void
map_put(struct strmap *m, const char *key, uint32_t id)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		struct map_slot *s = xcalloc(cap, sizeof(*s));

		for (i = 0; i < m->cap; i++)
			if (m->slots[i].key)
				map_put_slot(s, cap, m->slots[i].key,
					     m->slots[i].id);
		free(m->slots);
		m->slots = s;
		m->cap = cap;
	}
	map_put_slot(m->slots, m->cap, key, id);
	m->n++;
}

static void
map_done(struct strmap *m)
{
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

/* ------------------------------------------------------------ life */

#define GROW(arr, n, cap)                                                      \
	do {                                                                   \
		if ((n) == (cap)) {                                            \
			(cap) = (cap) ? (cap) * 2 : 8;                         \
			(arr) = xreallocarray((arr), (cap), sizeof(*(arr)));   \
		}                                                              \
	} while (0)

struct sched_view *
sched_view_new(void)
{
	struct sched_view *v = xcalloc(1, sizeof(*v));

	v->local = SCHED_NONE;
	return v;
}

static void
free_tags(struct sched_instance *in)
{
	size_t i;

	for (i = 0; i < in->ntags; i++)
		free(in->tags[i]);
	free(in->tags);
	in->tags = NULL;
	in->ntags = 0;
}

struct sched_view *
sched_view_free(struct sched_view *v)
{
	size_t i;

	if (v == NULL)
		return NULL;
	for (i = 0; i < v->ninst; i++) {
		free((char *)v->inst[i].name);
		free_tags(&v->inst[i]);
	}
	for (i = 0; i < v->nnodes; i++)
		free((char *)v->nodes[i].machine);
	for (i = 0; i < v->nprocs; i++) {
		free(v->procs[i].info);
		free(v->procs[i].forced_reason);
		free(v->procs[i].extra_args);
	}
	for (i = 0; i < v->napps; i++) {
		free(v->apps[i].procs);
		rl_formula_free(v->apps[i].formula);
	}
	free(v->inst);
	free(v->hot);
	free(v->nodes);
	free(v->procs);
	free(v->apps);
	free(v->resv);
	map_done(&v->inst_map);
	map_done(&v->node_map);
	map_done(&v->proc_map);
	map_done(&v->app_map);
	free(v);
	return NULL;
}

/* ------------------------------------------------------------ building */

static uint32_t
intern_node(struct sched_view *v, const char *machine)
{
	uint32_t id = map_get(&v->node_map, machine);
	struct sched_node *n;

	if (id != SCHED_NONE)
		return id;
	GROW(v->nodes, v->nnodes, v->capnodes);
	id = (uint32_t)v->nnodes++;
	n = &v->nodes[id];
	memset(n, 0, sizeof(*n));
	n->machine = xstrdup(machine);
	map_put(&v->node_map, n->machine, id);
	return id;
}

int
sched_view_add_instance(struct sched_view *v, const char *name,
			const char *machine, bool local, uint32_t *ret_id)
{
	struct sched_instance *in;
	uint32_t id;

	if (name == NULL || *name == '\0')
		return -EINVAL;
	if (map_get(&v->inst_map, name) != SCHED_NONE)
		return -EEXIST;
	if (local && v->local != SCHED_NONE)
		return -EEXIST;
	if (machine == NULL || *machine == '\0')
		machine = name; /* unknown node: a node of its own */
	if (v->ninst == v->capinst)
		v->hot = xreallocarray(v->hot, v->capinst ? v->capinst * 2 : 8,
				       sizeof(*v->hot));
	GROW(v->inst, v->ninst, v->capinst);
	id = (uint32_t)v->ninst++;
	in = &v->inst[id];
	memset(in, 0, sizeof(*in));
	in->name = xstrdup(name);
	in->state = SCHED_INST_STOPPED;
	in->local = local;
	in->node = intern_node(v, machine);
	v->hot[id] = (struct sched_inst_hot){in->node, 0, false};
	v->nodes[in->node].ninstances++;
	map_put(&v->inst_map, in->name, id);
	if (local)
		v->local = id;
	if (ret_id)
		*ret_id = id;
	return 0;
}

int
sched_view_set_instance_tags(struct sched_view *v, uint32_t inst,
			     const char *const *tags, size_t n)
{
	struct sched_instance *in;
	size_t i;

	if (inst >= v->ninst || (n > 0 && tags == NULL))
		return -ENOENT;
	in = &v->inst[inst];
	free_tags(in);
	if (n == 0)
		return 0;
	in->tags = xcalloc(n, sizeof(*in->tags));
	for (i = 0; i < n; i++)
		in->tags[i] = xstrdup(tags[i] ? tags[i] : "");
	in->ntags = n;
	return 0;
}

void
sched_view_set_instance_state(struct sched_view *v, uint32_t inst,
			      enum sched_inst_state state, bool suspect)
{
	if (inst >= v->ninst || (unsigned)state >= _SCHED_INST_MAX)
		return;
	v->inst[inst].state = state;
	v->inst[inst].suspect = suspect;
	v->hot[inst].usable = state == SCHED_INST_RUNNING && !suspect;
}

static void
node_refresh_cpu(struct sched_view *v, uint32_t node)
{
	unsigned cpu = 0;
	size_t i;

	for (i = 0; i < v->ninst; i++)
		if (v->inst[i].node == node && v->inst[i].cpu > cpu)
			cpu = v->inst[i].cpu;
	v->nodes[node].cpu = cpu;
}

void
sched_view_set_instance_cpu(struct sched_view *v, uint32_t inst,
			    unsigned cpu_pct)
{
	struct sched_instance *in;
	unsigned old;

	if (inst >= v->ninst)
		return;
	in = &v->inst[inst];
	old = in->cpu;
	in->cpu = cpu_pct > 100 ? 100 : cpu_pct;
	/* the node keeps the largest report; rescan only when it may drop */
	if (in->cpu >= v->nodes[in->node].cpu)
		v->nodes[in->node].cpu = in->cpu;
	else if (old == v->nodes[in->node].cpu)
		node_refresh_cpu(v, in->node);
}

int
sched_view_set_instance_machine(struct sched_view *v, uint32_t inst,
				const char *machine)
{
	struct sched_instance *in;
	struct sched_node *from, *to;
	uint32_t old, node;

	if (inst >= v->ninst || machine == NULL || *machine == '\0')
		return -EINVAL;
	in = &v->inst[inst];
	old = in->node;
	node = intern_node(v, machine); /* may move v->nodes */
	if (node == old)
		return 0;
	from = &v->nodes[old];
	to = &v->nodes[node];
	from->load -= in->load;
	from->pending -= in->pending;
	from->ninstances--;
	to->load += in->load;
	to->pending += in->pending;
	to->ninstances++;
	in->node = node;
	v->hot[inst].node = node;
	node_refresh_cpu(v, old);
	if (in->cpu > to->cpu)
		to->cpu = in->cpu;
	return 0;
}

static void
init_process(struct sched_process *p, const struct rl_program *pg,
	     const struct rl_process *rp, uint32_t app)
{
	memset(p, 0, sizeof(*p));
	p->namespec = rp->namespec;
	p->name = rp->name;
	p->app = app;
	p->rule = rp;
	p->program = pg;
	p->load = pg->expected_loading > 100 ? 100 : pg->expected_loading;
	p->state = SCHED_PROC_STOPPED;
	p->running_inst = SCHED_NONE;
	p->assigned = SCHED_NONE;
	p->resv = SCHED_NONE;
}

int
sched_view_add_application(struct sched_view *v,
			   const struct rl_application *ra, uint32_t *ret_id)
{
	struct rl_formula *f = NULL;
	struct sched_app *a;
	const char **names = NULL;
	size_t i, j, n = 0, k;
	uint32_t id;
	int r;

	if (ra == NULL || ra->name == NULL)
		return -EINVAL;
	if (map_get(&v->app_map, ra->name) != SCHED_NONE)
		return -EEXIST;
	for (i = 0; i < ra->nprograms; i++) {
		const struct rl_program *pg = &ra->programs[i];
		for (j = 0; j < pg->nprocesses; j++) {
			const char *ns = pg->processes[j].namespec;
			if (ns == NULL || pg->processes[j].name == NULL)
				return -EINVAL;
			if (map_get(&v->proc_map, ns) != SCHED_NONE)
				return -EEXIST;
			n++;
		}
	}
	if (ra->operational_status) {
		r = rl_formula_parse(ra->operational_status, &f, NULL, NULL);
		if (r < 0)
			return r;
	}
	GROW(v->apps, v->napps, v->capapps);
	id = (uint32_t)v->napps++;
	a = &v->apps[id];
	memset(a, 0, sizeof(*a));
	a->name = ra->name;
	a->rule = ra;
	a->formula = f;
	a->app_assigned = SCHED_NONE;
	a->procs = xcalloc(n ? n : 1, sizeof(*a->procs));
	names = xcalloc(n ? n : 1, sizeof(*names));
	map_put(&v->app_map, a->name, id);
	for (i = 0; i < ra->nprograms; i++) {
		const struct rl_program *pg = &ra->programs[i];
		for (j = 0; j < pg->nprocesses; j++) {
			uint32_t pid;
			GROW(v->procs, v->nprocs, v->capprocs);
			pid = (uint32_t)v->nprocs++;
			init_process(&v->procs[pid], pg, &pg->processes[j], id);
			map_put(&v->proc_map, v->procs[pid].namespec, pid);
			k = a->nprocs++;
			a->procs[k] = pid;
			names[k] = v->procs[pid].name;
		}
	}
	if (f)
		rl_formula_bind(f, names, a->nprocs);
	free(names);
	if (ret_id)
		*ret_id = id;
	return 0;
}

int
sched_view_build(const struct rules *r, struct sched_view **ret)
{
	const struct rl_instance_conf *ic = rules_instance(r);
	const struct rl_cluster_conf *cc = rules_cluster(r);
	struct sched_view *v = sched_view_new();
	uint32_t local = SCHED_NONE, id;
	size_t i;
	int rc;

	for (i = 0; i < cc->ninstances; i++) {
		const struct rl_instance *ri = &cc->instances[i];
		bool is_local = ic->name && strcmp(ri->name, ic->name) == 0;
		rc = sched_view_add_instance(v, ri->name,
					     is_local ? ic->machine : ri->name,
					     is_local, &id);
		if (rc < 0)
			goto fail;
		sched_view_set_instance_tags(v, id, (const char *const *)ri->tags,
					     ri->ntags);
		if (is_local)
			local = id;
	}
	if (local == SCHED_NONE) {
		rc = sched_view_add_instance(v, ic->name, ic->machine, true,
					     &local);
		if (rc < 0)
			goto fail;
	}
	if (ic->ntags)
		sched_view_set_instance_tags(v, local, ic->tags, ic->ntags);
	sched_view_set_instance_state(v, local, SCHED_INST_RUNNING, false);
	for (i = 0; i < rules_napplications(r); i++) {
		rc = sched_view_add_application(v, rules_application(r, i),
						NULL);
		if (rc < 0)
			goto fail;
	}
	*ret = v;
	return 0;
fail:
	sched_view_free(v);
	return rc;
}

/* ------------------------------------------------------------ access */

size_t
sched_view_ninstances(const struct sched_view *v)
{
	return v->ninst;
}

size_t
sched_view_nnodes(const struct sched_view *v)
{
	return v->nnodes;
}

size_t
sched_view_nprocesses(const struct sched_view *v)
{
	return v->nprocs;
}

size_t
sched_view_napps(const struct sched_view *v)
{
	return v->napps;
}

const struct sched_instance *
sched_view_instance(const struct sched_view *v, uint32_t id)
{
	return id < v->ninst ? &v->inst[id] : NULL;
}

const struct sched_instance *
sched_view_instances(const struct sched_view *v)
{
	return v->inst;
}

const struct sched_node *
sched_view_nodes(const struct sched_view *v)
{
	return v->nodes;
}

const struct sched_inst_hot *
sched_view_hot(const struct sched_view *v)
{
	return v->hot;
}

const struct sched_node *
sched_view_node(const struct sched_view *v, uint32_t id)
{
	return id < v->nnodes ? &v->nodes[id] : NULL;
}

const struct sched_process *
sched_view_process(const struct sched_view *v, uint32_t id)
{
	return id < v->nprocs ? &v->procs[id] : NULL;
}

const struct sched_app *
sched_view_app(const struct sched_view *v, uint32_t id)
{
	return id < v->napps ? &v->apps[id] : NULL;
}

uint32_t
sched_view_find_instance(const struct sched_view *v, const char *name)
{
	return map_get(&v->inst_map, name);
}

uint32_t
sched_view_find_process(const struct sched_view *v, const char *namespec)
{
	return map_get(&v->proc_map, namespec);
}

uint32_t
sched_view_find_app(const struct sched_view *v, const char *name)
{
	return map_get(&v->app_map, name);
}

uint32_t
sched_view_local(const struct sched_view *v)
{
	return v->local;
}

static struct sched_pinfo *
find_pinfo(const struct sched_process *p, uint32_t inst)
{
	size_t i;

	for (i = 0; i < p->ninfo; i++)
		if (p->info[i].inst == inst)
			return &p->info[i];
	return NULL;
}

const struct sched_pinfo *
sched_view_pinfo(const struct sched_view *v, uint32_t proc, uint32_t inst)
{
	if (proc >= v->nprocs)
		return NULL;
	return find_pinfo(&v->procs[proc], inst);
}

enum sched_proc_state
sched_view_display_state(const struct sched_view *v, uint32_t proc)
{
	const struct sched_process *p;

	if (proc >= v->nprocs)
		return SCHED_PROC_UNKNOWN;
	p = &v->procs[proc];
	return p->forced ? p->forced_state : p->state;
}

size_t
sched_view_running_instances(const struct sched_view *v, uint32_t proc,
			     uint32_t *ret)
{
	const struct sched_process *p;
	size_t i, n = 0;

	if (proc >= v->nprocs)
		return 0;
	p = &v->procs[proc];
	if (p->nrunning == 0)
		return 0;
	/* instance order, so that every caller sees the same list */
	for (i = 0; i < v->ninst; i++) {
		const struct sched_pinfo *pi = find_pinfo(p, (uint32_t)i);
		if (pi && state_in_running_set(pi->state))
			ret[n++] = (uint32_t)i;
	}
	return n;
}

bool
sched_view_conflict(const struct sched_view *v, uint32_t proc)
{
	return proc < v->nprocs && v->procs[proc].rule != NULL &&
	       v->procs[proc].nrunning > 1;
}

bool
sched_view_app_never_started(const struct sched_view *v, uint32_t app)
{
	const struct sched_app *a;
	size_t i, j;

	if (app >= v->napps)
		return false;
	a = &v->apps[app];
	for (i = 0; i < a->nprocs; i++) {
		const struct sched_process *p = &v->procs[a->procs[i]];
		for (j = 0; j < p->ninfo; j++)
			if (p->info[j].state != SCHED_PROC_STOPPED ||
			    p->info[j].ever_stopped)
				return false;
	}
	return true;
}

/* ------------------------------------------------------------ updates */

static void
synthesize(struct sched_process *p)
{
	static const enum sched_proc_state prio[] = {
		SCHED_PROC_RUNNING, SCHED_PROC_BACKOFF,
		SCHED_PROC_STARTING, SCHED_PROC_STOPPING,
	};
	const struct sched_pinfo *last = NULL;
	unsigned seen = 0; /* bit per state present in the running set */
	uint32_t n = 0;
	size_t i;

	p->running_inst = SCHED_NONE;
	for (i = 0; i < p->ninfo; i++) {
		const struct sched_pinfo *pi = &p->info[i];
		if (state_in_running_set(pi->state)) {
			if (n == 0 || pi->inst < p->running_inst)
				p->running_inst = pi->inst;
			n++;
			seen |= 1u << pi->state;
		}
		if (last == NULL || pi->event_ms >= last->event_ms)
			last = pi;
	}
	p->nrunning = n;
	p->expected_exit = true;
	if (n == 0) {
		/* the most recently received report */
		p->state = last ? last->state : SCHED_PROC_STOPPED;
		p->expected_exit = last ? last->expected_exit : true;
	} else if (n == 1) {
		p->state = find_pinfo(p, p->running_inst)->state;
	} else {
		p->state = SCHED_PROC_UNKNOWN;
		for (i = 0; i < ARRAY_SIZE(prio); i++)
			if (seen & (1u << prio[i])) {
				p->state = prio[i];
				break;
			}
	}
}

static void
resv_remove(struct sched_view *v, size_t idx)
{
	struct sched_resv *r = &v->resv[idx];
	struct sched_instance *in = &v->inst[r->inst];
	size_t last = v->nresv - 1;

	in->pending -= r->load;
	v->hot[r->inst].total -= r->load;
	v->nodes[in->node].pending -= r->load;
	v->procs[r->proc].resv = SCHED_NONE;
	if (idx != last) {
		v->resv[idx] = v->resv[last];
		v->procs[v->resv[idx].proc].resv = (uint32_t)idx;
	}
	v->nresv--;
}

static void
add_load(struct sched_view *v, uint32_t inst, unsigned load, bool add)
{
	struct sched_instance *in = &v->inst[inst];

	if (add) {
		in->load += load;
		v->hot[inst].total += load;
		v->nodes[in->node].load += load;
	} else {
		in->load -= load;
		v->hot[inst].total -= load;
		v->nodes[in->node].load -= load;
	}
}

static void
set_info_state(struct sched_view *v, struct sched_process *p,
	       struct sched_pinfo *pi, enum sched_proc_state state)
{
	bool was = sched_proc_state_loading(pi->state);
	bool is = sched_proc_state_loading(state);

	if (was != is)
		add_load(v, pi->inst, p->load, is);
	if (state_in_running_set(pi->state) && sched_proc_state_stopped(state))
		pi->ever_stopped = true;
	pi->state = state;
}

static struct sched_pinfo *
get_pinfo(struct sched_process *p, uint32_t inst)
{
	struct sched_pinfo *pi = find_pinfo(p, inst);

	if (pi)
		return pi;
	if (p->ninfo == p->capinfo) {
		p->capinfo = p->capinfo ? p->capinfo * 2 : 2;
		p->info = xreallocarray(p->info, p->capinfo, sizeof(*p->info));
	}
	pi = &p->info[p->ninfo++];
	memset(pi, 0, sizeof(*pi));
	pi->inst = inst;
	pi->state = SCHED_PROC_STOPPED;
	pi->expected_exit = true;
	return pi;
}

int
sched_view_process_event(struct sched_view *v, uint32_t proc, uint32_t inst,
			 const struct sched_event *ev, int64_t now_ms)
{
	struct sched_process *p;
	struct sched_pinfo *pi;

	if (proc >= v->nprocs || inst >= v->ninst || ev == NULL ||
	    (unsigned)ev->state >= _SCHED_PROC_MAX)
		return -ENOENT;
	p = &v->procs[proc];
	if (p->ninfo == 0 && ev->state == SCHED_PROC_STOPPED &&
	    p->resv == SCHED_NONE)
		return 0;
	pi = get_pinfo(p, inst);
	if (ev->version != 0) {
		if (ev->version <= pi->version)
			return -ESTALE;
		pi->version = ev->version;
	}
	if (sched_proc_state_loading(ev->state) &&
	    !state_in_running_set(pi->state))
		pi->start_ms = now_ms - (ev->uptime_ms > 0 ? ev->uptime_ms : 0);
	else if (state_in_running_set(ev->state) && ev->uptime_ms > 0)
		pi->start_ms = now_ms - ev->uptime_ms;
	set_info_state(v, p, pi, ev->state);
	pi->expected_exit = ev->expected_exit;
	pi->pid = ev->pid;
	pi->event_ms = now_ms;
	if (p->resv != SCHED_NONE && v->resv[p->resv].inst == inst &&
	    !sched_proc_state_stopped(ev->state))
		resv_remove(v, p->resv);
	/* a real event clears a forced state */
	p->forced = false;
	synthesize(p);
	return 0;
}

int
sched_view_set_disabled(struct sched_view *v, uint32_t proc, uint32_t inst,
			bool disabled)
{
	struct sched_process *p;
	struct sched_pinfo *pi;

	if (proc >= v->nprocs || inst >= v->ninst)
		return -ENOENT;
	p = &v->procs[proc];
	if (!disabled && find_pinfo(p, inst) == NULL)
		return 0; /* keep the reports sparse */
	pi = get_pinfo(p, inst);
	if (pi->disabled != disabled) {
		pi->disabled = disabled;
		if (disabled)
			p->ndisabled++;
		else
			p->ndisabled--;
	}
	return 0;
}

size_t
sched_view_lose_instance(struct sched_view *v, uint32_t inst, int64_t now_ms,
			 uint32_t *ret_lost)
{
	size_t i, n = 0;

	if (inst >= v->ninst)
		return 0;
	for (i = 0; i < v->nprocs; i++) {
		struct sched_process *p = &v->procs[i];
		struct sched_pinfo *pi = find_pinfo(p, inst);
		if (p->resv != SCHED_NONE && v->resv[p->resv].inst == inst)
			resv_remove(v, p->resv);
		if (pi != NULL)
			pi->version = 0; /* what it says when back is news */
		if (pi == NULL || !state_in_running_set(pi->state))
			continue;
		set_info_state(v, p, pi, SCHED_PROC_FATAL);
		pi->expected_exit = false;
		pi->event_ms = now_ms;
		synthesize(p);
		if (p->nrunning == 0) {
			if (ret_lost)
				ret_lost[n] = (uint32_t)i;
			n++;
		}
	}
	return n;
}

void
sched_view_force_state(struct sched_view *v, uint32_t proc,
		       enum sched_proc_state state, const char *reason,
		       int64_t now_ms)
{
	struct sched_process *p;

	if (proc >= v->nprocs || (unsigned)state >= _SCHED_PROC_MAX)
		return;
	p = &v->procs[proc];
	p->forced = true;
	p->forced_state = state;
	p->forced_ms = now_ms;
	free(p->forced_reason);
	p->forced_reason = xstrdup(reason ? reason : "");
}

void
sched_view_set_extra_args(struct sched_view *v, uint32_t proc,
			  const char *args)
{
	if (proc >= v->nprocs)
		return;
	free(v->procs[proc].extra_args);
	v->procs[proc].extra_args = args ? xstrdup(args) : NULL;
}

void
sched_view_set_assigned(struct sched_view *v, uint32_t proc, uint32_t inst)
{
	if (proc >= v->nprocs)
		return;
	v->procs[proc].assigned = inst < v->ninst ? inst : SCHED_NONE;
	v->procs[proc].assign_done = true;
}

void
sched_view_set_app_assigned(struct sched_view *v, uint32_t app, uint32_t inst)
{
	if (app >= v->napps)
		return;
	v->apps[app].app_assigned = inst < v->ninst ? inst : SCHED_NONE;
	v->apps[app].app_assign_done = true;
}

void
sched_view_restore_assigned(struct sched_view *v, uint32_t proc,
			    uint32_t inst, bool done)
{
	if (proc >= v->nprocs)
		return;
	v->procs[proc].assigned = inst;
	v->procs[proc].assign_done = done;
}

void
sched_view_restore_app_assigned(struct sched_view *v, uint32_t app,
				uint32_t inst, bool done)
{
	if (app >= v->napps)
		return;
	v->apps[app].app_assigned = inst;
	v->apps[app].app_assign_done = done;
}

void
sched_view_reserve(struct sched_view *v, uint32_t proc, uint32_t inst,
		   unsigned load, int64_t expires_ms)
{
	struct sched_resv *r;
	struct sched_instance *in;

	if (proc >= v->nprocs || inst >= v->ninst)
		return;
	if (v->procs[proc].resv != SCHED_NONE)
		resv_remove(v, v->procs[proc].resv);
	GROW(v->resv, v->nresv, v->capresv);
	r = &v->resv[v->nresv];
	r->proc = proc;
	r->inst = inst;
	r->load = load;
	r->expires_ms = expires_ms;
	v->procs[proc].resv = (uint32_t)v->nresv++;
	in = &v->inst[inst];
	in->pending += load;
	v->hot[inst].total += load;
	v->nodes[in->node].pending += load;
}

void
sched_view_release(struct sched_view *v, uint32_t proc)
{
	if (proc < v->nprocs && v->procs[proc].resv != SCHED_NONE)
		resv_remove(v, v->procs[proc].resv);
}

size_t
sched_view_expire(struct sched_view *v, int64_t now_ms)
{
	size_t i = 0, n = 0;

	while (i < v->nresv) {
		if (v->resv[i].expires_ms <= now_ms) {
			resv_remove(v, i); /* the last one moved into i */
			n++;
		} else {
			i++;
		}
	}
	return n;
}

size_t
sched_view_nreservations(const struct sched_view *v)
{
	return v->nresv;
}

const struct sched_resv *
sched_view_reservation(const struct sched_view *v, size_t i)
{
	return i < v->nresv ? &v->resv[i] : NULL;
}
