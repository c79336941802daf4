/*
 * Placement decisions per second (issue 6, scheduling.md 6.2): a cluster
 * view of N instances (two per node) running 10 000 processes with a
 * seeded random fill, then batches of decisions for random processes,
 * each one the full path a start takes: candidates resolved from the
 * rules ("*"), then the strategy's single pass.  Every strategy, and the
 * same decisions through a port of Supvisors' algorithm (filter into a
 * list, stable sort by the keys, take first/last) as the reference a
 * reader would otherwise assume.  Medians over repetitions; one line per
 * workload, then a JSON line.  Times are thread CPU time (see now_s).
 *
 *   bench_placement [REPS] [DECISIONS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/util.h"
#include "sched/action.h"
#include "sched/place.h"
#include "sched/seq.h"
#include "sched/view.h"

#define NPROCS 10000
#define PER_APP 100

static uint64_t rng_state = 0x5eed;

static uint64_t
rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

struct world {
	struct sched_view *v;
	struct rl_application *apps;
	struct rl_program *progs;
	struct rl_process *procs;
	char **strs;
	size_t nstrs;
};

static char *
keep(struct world *w, char *s)
{
	w->strs[w->nstrs++] = s;
	return s;
}

/* N instances, 2 per node; 10 000 one-process programs of 0-9 %, about
 * a third of them running somewhere that still has room. */
static void
world_build(struct world *w, unsigned n, bool fill)
{
	size_t napps = NPROCS / PER_APP, a, i;

	memset(w, 0, sizeof(*w));
	w->v = sched_view_new();
	w->strs = xcalloc(4 * NPROCS + 4 * n + 16, sizeof(*w->strs));
	for (i = 0; i < n; i++) {
		char *name = keep(w, xasprintf("n%zu", i));
		char *machine = keep(w, xasprintf("m%zu", i / 2));
		uint32_t id;
		sched_view_add_instance(w->v, name, machine, i == 0, &id);
		sched_view_set_instance_state(w->v, id, SCHED_INST_RUNNING,
					      false);
		sched_view_set_instance_cpu(w->v, id, (unsigned)(rng() % 60));
	}
	w->apps = xcalloc(napps, sizeof(*w->apps));
	w->progs = xcalloc(NPROCS, sizeof(*w->progs));
	w->procs = xcalloc(NPROCS, sizeof(*w->procs));
	for (a = 0; a < napps; a++) {
		struct rl_application *ra = &w->apps[a];
		ra->name = keep(w, xasprintf("app%zu", a));
		ra->distribution = RL_DIST_ALL_INSTANCES;
		ra->identifiers.all = true;
		ra->nprograms = PER_APP;
		ra->programs = &w->progs[a * PER_APP];
		for (i = 0; i < PER_APP; i++) {
			size_t k = a * PER_APP + i;
			struct rl_program *pg = &w->progs[k];
			struct rl_process *ps = &w->procs[k];
			pg->name = keep(w, xasprintf("p%zu", i));
			pg->app = ra;
			pg->identifiers.all = true;
			pg->start_sequence = 1;
			pg->expected_loading = (unsigned)(rng() % 10);
			pg->nprocesses = 1;
			pg->processes = ps;
			ps->program = pg;
			ps->name = pg->name;
			ps->namespec = keep(w, xasprintf("%s:%s", ra->name,
							 pg->name));
		}
		sched_view_add_application(w->v, ra, NULL);
	}
	for (i = 0; fill && i < NPROCS; i += 3) {
		uint32_t inst = (uint32_t)(rng() % n);
		const struct sched_instance *in = sched_view_instance(w->v,
								      inst);
		const struct sched_process *p = sched_view_process(w->v,
								   (uint32_t)i);
		struct sched_event ev = {SCHED_PROC_RUNNING, true, 1, 1000};
		if (sched_view_node(w->v, in->node)->load + p->load <= 100)
			sched_view_process_event(w->v, (uint32_t)i, inst, &ev,
						 1000);
	}
}

static void
world_free(struct world *w)
{
	size_t i;

	sched_view_free(w->v);
	for (i = 0; i < w->nstrs; i++)
		free(w->strs[i]);
	free(w->strs);
	free(w->apps);
	free(w->progs);
	free(w->procs);
}

/* ------------------------------------------------------------ reference
 * Supvisors' get_supvisors_instance, in C: filter the valid candidates
 * into a list, stable-sort by the strategy's keys, take the first (LESS)
 * or the last (MOST). */
struct ref_item {
	uint32_t inst;
	unsigned a, b;
	size_t order;
};

static int
ref_cmp(const void *x, const void *y)
{
	const struct ref_item *p = x, *q = y;

	if (p->a != q->a)
		return p->a < q->a ? -1 : 1;
	if (p->b != q->b)
		return p->b < q->b ? -1 : 1;
	return p->order < q->order ? -1 : p->order > q->order;
}

static uint32_t
ref_place(const struct sched_view *v, const struct sched_place_req *rq,
	  struct ref_item *items)
{
	bool node_first = rq->strategy == RL_STRATEGY_LESS_LOADED_NODE ||
			  rq->strategy == RL_STRATEGY_MOST_LOADED_NODE;
	bool most = rq->strategy == RL_STRATEGY_MOST_LOADED ||
		    rq->strategy == RL_STRATEGY_MOST_LOADED_NODE;
	size_t i, n = 0;

	for (i = 0; i < rq->ncands; i++) {
		const struct sched_instance *in = sched_view_instance(
			v, rq->cands[i]);
		const struct sched_node *nd = sched_view_node(v, in->node);
		unsigned nt = nd->load + nd->pending;
		unsigned it = in->load + in->pending;
		if (in->state != SCHED_INST_RUNNING || nt + rq->load > 100)
			continue;
		items[n].inst = rq->cands[i];
		items[n].a = node_first ? nt : it;
		items[n].b = node_first ? it : nt;
		items[n].order = i;
		n++;
	}
	if (n == 0)
		return SCHED_NONE;
	if (rq->strategy == RL_STRATEGY_CONFIG)
		return items[0].inst;
	qsort(items, n, sizeof(*items), ref_cmp);
	return most ? items[n - 1].inst : items[0].inst;
}

/* ------------------------------------------------------------ timing */

/* CPU time of this thread: the machine is shared (2 cores, several
 * agents), and wall time would measure the scheduler's queue as much as
 * the decision.  A placement does no I/O and never sleeps, so its CPU
 * time is its cost. */
static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static volatile uint32_t sink;

static const char *const strategy_names[] = {
	"CONFIG", "LESS_LOADED", "MOST_LOADED", "LOCAL", "LESS_LOADED_NODE",
	"MOST_LOADED_NODE",
};

/* Microseconds per decision over DECISIONS random processes. */
static double
run(struct world *w, enum rl_strategy s, bool reference, size_t decisions,
    uint32_t *cands, struct ref_item *items)
{
	size_t np = sched_view_nprocesses(w->v), i;
	struct sched_place_req rq = {0};
	double t0, t1;

	rq.strategy = s;
	rq.source = RL_LOAD_EXPECTED;
	rq.node = SCHED_NONE;
	rq.cands = cands;
	t0 = now_s();
	for (i = 0; i < decisions; i++) {
		uint32_t proc = (uint32_t)(rng() % np);
		rq.proc = proc;
		rq.load = sched_view_process(w->v, proc)->load;
		rq.ncands = sched_place_candidates(w->v, proc, cands);
		sink = reference ? ref_place(w->v, &rq, items)
				 : sched_place(w->v, &rq, NULL);
	}
	t1 = now_s();
	return (t1 - t0) * 1e6 / (double)decisions;
}

/* Cold start (scheduling.md 6.1): every application started by one
 * sched_seq_start_all() on an empty cluster, through the sequencer's
 * bookkeeping (jobs, reservations, actions); milliseconds until every
 * START is decided. */
static double
cold_start(unsigned n, enum rl_strategy s, size_t *ret_started)
{
	struct world w;
	struct sched_seq *seq;
	struct sched_actions out = SCHED_ACTIONS_INIT;
	size_t a, i, started = 0;
	double t0, t1;

	world_build(&w, n, false);
	for (a = 0; a < NPROCS / PER_APP; a++) {
		w.apps[a].starting_strategy = s;
		w.apps[a].start_sequence = 1;
	}
	seq = sched_seq_new(NULL);
	t0 = now_s();
	sched_seq_start_all(seq, w.v, 3000, &out, NULL);
	t1 = now_s();
	for (i = 0; i < out.n; i++)
		started += out.v[i].kind == SCHED_ACT_START;
	*ret_started = started;
	sched_actions_done(&out);
	sched_seq_free(seq);
	world_free(&w);
	return (t1 - t0) * 1e3;
}

static double
median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int
main(int argc, char **argv)
{
	static const unsigned sizes[] = {10, 100, 1000};
	static const enum rl_strategy strategies[] = {
		RL_STRATEGY_CONFIG, RL_STRATEGY_LESS_LOADED,
		RL_STRATEGY_MOST_LOADED, RL_STRATEGY_LESS_LOADED_NODE,
		RL_STRATEGY_MOST_LOADED_NODE,
	};
	size_t reps = argc > 1 ? strtoul(argv[1], NULL, 10) : 5;
	size_t decisions = argc > 2 ? strtoul(argv[2], NULL, 10) : 20000;
	size_t si, k, r;

	if (reps == 0 || reps > 100)
		reps = 5;
	if (decisions == 0)
		decisions = 20000;
	for (si = 0; si < ARRAY_SIZE(sizes); si++) {
		struct world w;
		uint32_t *cands = xcalloc(sizes[si], sizeof(*cands));
		struct ref_item *items = xcalloc(sizes[si], sizeof(*items));

		world_build(&w, sizes[si], true);
		for (k = 0; k < ARRAY_SIZE(strategies); k++) {
			double ours[100], ref[100], mo, mr;
			/* warm-up */
			run(&w, strategies[k], false, decisions / 10, cands,
			    items);
			for (r = 0; r < reps; r++) {
				ours[r] = run(&w, strategies[k], false,
					      decisions, cands, items);
				ref[r] = run(&w, strategies[k], true,
					     decisions, cands, items);
			}
			mo = median(ours, reps);
			mr = median(ref, reps);
			printf("placement instances=%-5u processes=%d %-17s "
			       "%8.3f us/decision (%9.0f/s) min %.3f max %.3f"
			       "  sort-based port %8.3f us  ratio %5.1fx\n",
			       sizes[si], NPROCS,
			       strategy_names[strategies[k]], mo,
			       1e6 / mo, ours[0], ours[reps - 1], mr, mr / mo);
			printf("{\"bench\":\"placement\",\"instances\":%u,"
			       "\"processes\":%d,\"strategy\":\"%s\","
			       "\"us_per_decision\":%.3f,\"decisions_per_s\":"
			       "%.0f,\"reference_us\":%.3f}\n",
			       sizes[si], NPROCS,
			       strategy_names[strategies[k]], mo,
			       1e6 / mo, mr);
			fflush(stdout);
		}
		world_free(&w);
		free(cands);
		free(items);
	}
	for (si = 0; si < ARRAY_SIZE(sizes); si++) {
		double ms[100];
		size_t started = 0;
		for (r = 0; r < reps; r++)
			ms[r] = cold_start(sizes[si], RL_STRATEGY_LESS_LOADED,
					   &started);
		printf("cold start instances=%-5u processes=%d LESS_LOADED "
		       "%8.2f ms for %zu STARTs%s\n",
		       sizes[si], NPROCS, median(ms, reps), started,
		       started < NPROCS ? " (no room for the others)" : "");
		printf("{\"bench\":\"cold_start\",\"instances\":%u,"
		       "\"processes\":%d,\"ms\":%.2f,\"started\":%zu}\n",
		       sizes[si], NPROCS, median(ms, reps), started);
		fflush(stdout);
	}
	return 0;
}
