/*
 * sched/place and the distribution modes: every strategy against ties,
 * the 100 % node cap, pending reservations, load sources, instance states
 * and tags (one table), then SINGLE_INSTANCE, SINGLE_NODE, '#', '@',
 * reservations shared between jobs, and the dry run.
 */
#include <errno.h>
#include <stdlib.h>

#include "sched/place.h"
#include "sched/seq.h"
#include "tests/lib/testlib.h"
#include "tests/test_sched_fx.h"

#define P(v, ns) sched_view_find_process((v), (ns))
#define I(v, n) sched_view_find_instance((v), (n))
#define MAXI 6

struct row {
	const char *name;
	const char *machines; /* node of each instance */
	const char *states;   /* R running, F failed, S stopped, I isolated,
				 s running but suspect */
	unsigned load[MAXI];  /* declared load per instance */
	unsigned pend[MAXI];  /* reservations per instance */
	unsigned cpu[MAXI];   /* measured CPU % per instance */
	const char *ids;      /* candidates, fx_ids syntax */
	enum rl_strategy strategy;
	enum rl_load_source source;
	unsigned expected;
	const char *want; /* NULL: no placement */
};

#define CONFIG RL_STRATEGY_CONFIG
#define LESS RL_STRATEGY_LESS_LOADED
#define MOST RL_STRATEGY_MOST_LOADED
#define LOCAL RL_STRATEGY_LOCAL
#define LESSN RL_STRATEGY_LESS_LOADED_NODE
#define MOSTN RL_STRATEGY_MOST_LOADED_NODE
#define EXP RL_LOAD_EXPECTED
#define MEAS RL_LOAD_MEASURED
#define XMAX RL_LOAD_MAX

static const struct row rows[] = {
	/* CONFIG: first valid in the rule's order */
	{"config order", "a,b,c", "RRR", {0}, {0}, {0}, "n3,n1,n2", CONFIG,
	 EXP, 10, "n3"},
	{"config all", "a,b,c", "RRR", {0}, {0}, {0}, "*", CONFIG, EXP, 10,
	 "n1"},
	{"config full first", "a,b,c", "RRR", {0, 0, 90}, {0}, {0}, "n3,n2",
	 CONFIG, EXP, 20, "n2"},
	{"config exactly 100", "a,b,c", "RRR", {80, 0, 0}, {0}, {0}, "*",
	 CONFIG, EXP, 20, "n1"},
	{"config not running", "a,b,c", "FSR", {0}, {0}, {0}, "*", CONFIG,
	 EXP, 10, "n3"},
	{"config isolated suspect", "a,b,c", "IsR", {0}, {0}, {0}, "*",
	 CONFIG, EXP, 10, "n3"},
	{"config nothing valid", "a,b,c", "RRF", {95, 95, 0}, {0}, {0}, "*",
	 CONFIG, EXP, 10, NULL},
	{"config unknown names", "a,b,c", "RRR", {0}, {0}, {0}, "zz,n2,yy",
	 CONFIG, EXP, 10, "n2"},
	{"config tag", "a,b,c", "RRR", {0}, {0}, {0}, "t:front", CONFIG, EXP,
	 10, "n2"},
	{"config name then tag", "a,b,c", "RRR", {0}, {0}, {0}, "n3,t:front",
	 CONFIG, EXP, 10, "n3"},
	{"config zero load on full", "a,b,c", "RRR", {100, 0, 0}, {0}, {0},
	 "*", CONFIG, EXP, 0, "n1"},
	/* the cap is per node: instances of a node share 100 % */
	{"node cap shared", "a,a,b", "RRR", {40, 40, 60}, {0}, {0}, "*",
	 CONFIG, EXP, 30, "n3"},
	{"node cap none", "a,a,b", "RRR", {40, 40, 75}, {0}, {0}, "*", LESS,
	 EXP, 30, NULL},
	/* LESS_LOADED: smallest (instance, node), first of equals */
	{"less ties first", "a,b,c", "RRR", {0}, {0}, {0}, "*", LESS, EXP, 10,
	 "n1"},
	{"less ties rule order", "a,b,c", "RRR", {0}, {0}, {0}, "n3,n2,n1",
	 LESS, EXP, 10, "n3"},
	{"less min", "a,b,c", "RRR", {30, 10, 20}, {0}, {0}, "*", LESS, EXP,
	 10, "n2"},
	{"less node breaks tie", "a,a,b,c", "RRRR", {10, 50, 10, 10}, {0},
	 {0}, "n1,n3", LESS, EXP, 10, "n3"},
	{"less skips full", "a,b,c", "RRR", {95, 50, 60}, {0}, {0}, "*", LESS,
	 EXP, 10, "n2"},
	/* MOST_LOADED: largest, last of equals */
	{"most ties last", "a,b,c", "RRR", {0}, {0}, {0}, "*", MOST, EXP, 10,
	 "n3"},
	{"most ties rule order", "a,b,c", "RRR", {0}, {0}, {0}, "n3,n1,n2",
	 MOST, EXP, 10, "n2"},
	{"most max valid", "a,b,c", "RRR", {30, 90, 20}, {0}, {0}, "*", MOST,
	 EXP, 20, "n1"},
	{"most partial tie", "a,b,c", "RRR", {50, 50, 10}, {0}, {0}, "*", MOST,
	 EXP, 20, "n2"},
	/* *_NODE: node total first */
	{"less vs node 1", "a,a,b", "RRR", {10, 50, 20}, {0}, {0}, "n1,n3",
	 LESS, EXP, 10, "n1"},
	{"less vs node 2", "a,a,b", "RRR", {10, 50, 20}, {0}, {0}, "n1,n3",
	 LESSN, EXP, 10, "n3"},
	{"lessnode instance tie", "a,a,b", "RRR", {20, 10, 50}, {0}, {0}, "*",
	 LESSN, EXP, 10, "n2"},
	{"most vs node 1", "a,a,b", "RRR", {10, 40, 20}, {0}, {0}, "n1,n3",
	 MOST, EXP, 10, "n3"},
	{"most vs node 2", "a,a,b", "RRR", {10, 40, 20}, {0}, {0}, "n1,n3",
	 MOSTN, EXP, 10, "n1"},
	{"mostnode ties last", "a,b,c", "RRR", {0}, {0}, {0}, "*", MOSTN, EXP,
	 10, "n3"},
	{"lessnode one per node", "a,b,c", "RRR", {30, 10, 20}, {0}, {0}, "*",
	 LESSN, EXP, 10, "n2"},
	/* LOCAL: the local instance (n1) or nothing */
	{"local", "a,b,c", "RRR", {50, 0, 0}, {0}, {0}, "*", LOCAL, EXP, 10,
	 "n1"},
	{"local full", "a,b,c", "RRR", {95, 0, 0}, {0}, {0}, "*", LOCAL, EXP,
	 10, NULL},
	{"local not candidate", "a,b,c", "RRR", {0}, {0}, {0}, "n2,n3", LOCAL,
	 EXP, 10, NULL},
	{"local not running", "a,b,c", "FRR", {0}, {0}, {0}, "*", LOCAL, EXP,
	 10, NULL},
	/* pending reservations count for validity and for ordering */
	{"pending cap", "a,b,c", "RRR", {0}, {90, 0, 0}, {0}, "*", CONFIG, EXP,
	 20, "n2"},
	{"pending node cap", "a,a,b", "RRR", {30, 0, 0}, {0, 50, 0}, {0}, "*",
	 CONFIG, EXP, 30, "n3"},
	{"pending order less", "a,b,c", "RRR", {0}, {10, 0, 5}, {0}, "*", LESS,
	 EXP, 10, "n2"},
	{"pending order most", "a,b,c", "RRR", {20, 0, 0}, {0, 30, 0}, {0},
	 "*", MOST, EXP, 10, "n2"},
	/* load sources */
	{"measured cap", "a,b,c", "RRR", {0}, {0}, {95, 0, 0}, "*", CONFIG,
	 MEAS, 10, "n2"},
	{"expected ignores cpu", "a,b,c", "RRR", {0}, {0}, {95, 0, 0}, "*",
	 CONFIG, EXP, 10, "n1"},
	{"measured ignores declared", "a,b,c", "RRR", {95, 0, 0}, {0},
	 {10, 0, 0}, "*", CONFIG, MEAS, 10, "n1"},
	{"max takes declared", "a,b,c", "RRR", {85, 0, 0}, {0}, {30, 0, 0},
	 "*", CONFIG, XMAX, 20, "n2"},
	{"max takes measured", "a,b,c", "RRR", {30, 0, 0}, {0}, {85, 0, 0},
	 "*", CONFIG, XMAX, 20, "n2"},
	{"measured plus pending", "a,b,c", "RRR", {0}, {50, 0, 0},
	 {45, 0, 0}, "*", CONFIG, MEAS, 10, "n2"},
	{"measured node order", "a,b,c", "RRR", {0}, {0}, {50, 10, 30}, "*",
	 LESSN, MEAS, 10, "n2"},
};

/* Declared loads come from a filler application whose programs weigh
 * 1, 2, 4 ... 64 %: instance i runs the bits of its load. */
static struct sched_view *
build(const struct row *r, size_t *ret_n)
{
	size_t n = strlen(r->states), i, b;
	struct rl_application *fill = fx_app("fill", RL_DIST_ALL_INSTANCES, 7);
	struct rl_application *pend = fx_app("pend", RL_DIST_ALL_INSTANCES, 1);
	struct sched_view *v = fx_view((unsigned)n, r->machines);
	const char *front[] = {"front"};

	for (b = 0; b < 7; b++)
		fx_prog(fill, b, fx_str("w%zu", b), 1, 0, 1u << b);
	fx_prog(pend, 0, "r", MAXI, 0, 0);
	sched_view_add_application(v, fill, NULL);
	sched_view_add_application(v, pend, NULL);
	sched_view_set_instance_tags(v, 1, front, 1);
	sched_view_set_instance_tags(v, 2, front, 1);
	for (i = 0; i < n; i++) {
		char inst[32];
		snprintf(inst, sizeof(inst), "n%zu", i + 1);
		for (b = 0; b < 7; b++)
			if (r->load[i] & (1u << b))
				fx_event(v, fx_str("fill:w%zu", b), inst,
					 SCHED_PROC_RUNNING, true, 1);
		if (r->pend[i])
			sched_view_reserve(v, P(v, fx_str("pend:r_%zu", i)),
					   (uint32_t)i, r->pend[i], INT64_MAX);
		sched_view_set_instance_cpu(v, (uint32_t)i, r->cpu[i]);
		switch (r->states[i]) {
		case 'F':
			sched_view_set_instance_state(v, (uint32_t)i,
						      SCHED_INST_FAILED, false);
			break;
		case 'S':
			sched_view_set_instance_state(v, (uint32_t)i,
						      SCHED_INST_STOPPED, false);
			break;
		case 'I':
			sched_view_set_instance_state(v, (uint32_t)i,
						      SCHED_INST_ISOLATED,
						      false);
			break;
		case 's':
			sched_view_set_instance_state(v, (uint32_t)i,
						      SCHED_INST_RUNNING, true);
			break;
		default:
			break;
		}
	}
	*ret_n = n;
	return v;
}

static void
test_strategy_table(void)
{
	size_t t;

	for (t = 0; t < ARRAY_SIZE(rows); t++) {
		const struct row *r = &rows[t];
		struct sched_place_req rq = {0};
		struct sched_why why[MAXI];
		struct rl_identifiers ids;
		uint32_t cands[MAXI], got, got_why;
		size_t n, i;

		struct sched_view *v = build(r, &n);
		for (i = 0; i < n; i++)
			ASSERT_INT_EQ(sched_view_instance(v, (uint32_t)i)->load,
				      r->load[i]);
		fx_ids(&ids, r->ids);
		rq.strategy = r->strategy;
		rq.source = r->source;
		rq.load = r->expected;
		rq.proc = SCHED_NONE;
		rq.node = SCHED_NONE;
		rq.cands = cands;
		rq.ncands = sched_place_resolve(v, &ids, cands);
		got = sched_place(v, &rq, NULL);
		got_why = sched_place(v, &rq, why);
		if ((r->want == NULL) != (got == SCHED_NONE) ||
		    (r->want && strcmp(r->want,
				       sched_view_instance(v, got)->name)))
			fprintf(stderr, "row '%s': got %s\n", r->name,
				got == SCHED_NONE
					? "none"
					: sched_view_instance(v, got)->name);
		ASSERT_INT_EQ(got, r->want ? I(v, r->want) : SCHED_NONE);
		/* the dry run decides the same, and explains */
		ASSERT_INT_EQ(got_why, got);
		for (i = 0; i < n; i++) {
			enum sched_excl e = why[i].excl;
			if (i == got)
				ASSERT_INT_EQ(e, SCHED_EXCL_CHOSEN);
			else
				ASSERT_TRUE(e != SCHED_EXCL_CHOSEN);
			if (e == SCHED_EXCL_CAPACITY)
				ASSERT_TRUE(why[i].node_load +
						    why[i].node_pending +
						    why[i].expected >
					    100);
		}
		sched_view_free(v);
		fx_reset();
	}
}

static void
test_why_format(void)
{
	const struct row r = {"why", "a,b,c,d", "RFRR", {60, 0, 10, 0},
			      {20, 0, 0, 0}, {0}, "n1,n2,n3", LESS,
			      EXP, 30, "n3"};
	struct sched_place_req rq = {0};
	struct sched_why why[MAXI];
	struct strbuf sb = STRBUF_INIT;
	struct rl_identifiers ids;
	uint32_t cands[MAXI];
	size_t n;
	struct sched_view *v = build(&r, &n);

	fx_ids(&ids, r.ids);
	rq.strategy = r.strategy;
	rq.load = r.expected;
	rq.proc = SCHED_NONE;
	rq.node = SCHED_NONE;
	rq.cands = cands;
	rq.ncands = sched_place_resolve(v, &ids, cands);
	ASSERT_INT_EQ(sched_place(v, &rq, why), 2);
	ASSERT_INT_EQ(why[0].excl, SCHED_EXCL_CAPACITY);
	sched_why_format(v, 0, &why[0], &sb);
	ASSERT_STR_EQ(strbuf_str(&sb), "would exceed 100 % (node load 60 + "
				       "pending 20 + expected 30 = 110)");
	strbuf_reset(&sb);
	ASSERT_INT_EQ(why[1].excl, SCHED_EXCL_NOT_RUNNING);
	sched_why_format(v, 1, &why[1], &sb);
	ASSERT_STR_EQ(strbuf_str(&sb), "not RUNNING (FAILED)");
	strbuf_reset(&sb);
	ASSERT_INT_EQ(why[3].excl, SCHED_EXCL_NOT_CANDIDATE);
	sched_why_format(v, 3, &why[3], &sb);
	ASSERT_STR_EQ(strbuf_str(&sb), "not in identifiers");
	strbuf_done(&sb);
	sched_view_free(v);
	fx_reset();
}

/* ------------------------------------------------------------ distribution */

struct dfx {
	struct sched_view *v;
	struct sched_seq *s;
	struct sched_actions out;
};

static void
dfx_init(struct dfx *f, unsigned ninst, const char *machines)
{
	memset(f, 0, sizeof(*f));
	f->v = fx_view(ninst, machines);
	f->s = sched_seq_new(NULL);
}

static void
dfx_done(struct dfx *f)
{
	sched_seq_free(f->s);
	sched_view_free(f->v);
	sched_actions_done(&f->out);
	fx_reset();
}

/* Instance name where the START of NS went, or "-". */
static const char *
where(struct dfx *f, const char *ns)
{
	int k = fx_find(&f->out, 0, SCHED_ACT_START, P(f->v, ns));

	return k < 0 ? "-" : sched_view_instance(f->v, f->out.v[k].inst)->name;
}

static void
test_single_instance(void)
{
	struct dfx f;
	struct rl_application *a, *b;

	dfx_init(&f, 3, NULL);
	/* n1 is the least loaded but cannot hold the 70 % of the app */
	a = fx_app("big", RL_DIST_SINGLE_INSTANCE, 3);
	a->starting_strategy = RL_STRATEGY_LESS_LOADED;
	fx_prog(a, 0, "p1", 1, 1, 30);
	fx_prog(a, 1, "p2", 1, 2, 40);
	fx_prog(a, 2, "p0", 1, 0, 90); /* not sequenced: not counted */
	fx_ids(&a->identifiers, "n1,n2");
	b = fx_app("filler", RL_DIST_ALL_INSTANCES, 2);
	fx_prog(b, 0, "f1", 1, 0, 40);
	fx_prog(b, 1, "f2", 1, 0, 50);
	sched_view_add_application(f.v, a, NULL);
	sched_view_add_application(f.v, b, NULL);
	fx_event(f.v, "filler:f1", "n1", SCHED_PROC_RUNNING, true, 0);
	fx_event(f.v, "filler:f2", "n2", SCHED_PROC_RUNNING, true, 0);
	ASSERT_INT_EQ(sched_seq_start_app(f.s, f.v, 0, SCHED_STRATEGY_DEFAULT,
					  0, &f.out, NULL),
		      0);
	/* 40 + 70 > 100 and 50 + 70 > 100: nothing fits the whole app,
	 * every sequenced process fails "No resource available" */
	ASSERT_INT_EQ(fx_count(&f.out, SCHED_ACT_START), 0);
	ASSERT_INT_EQ(fx_count(&f.out, SCHED_ACT_FORCE), 2);
	ASSERT_TRUE(sched_seq_idle(f.s));
	/* free n2: the whole application goes there, ranks in order */
	fx_event(f.v, "filler:f2", "n2", SCHED_PROC_STOPPED, true, 1);
	sched_actions_reset(&f.out);
	sched_seq_start_app(f.s, f.v, 0, SCHED_STRATEGY_DEFAULT, 2, &f.out,
			    NULL);
	ASSERT_STR_EQ(where(&f, "big:p1"), "n2");
	fx_event(f.v, "big:p1", "n2", SCHED_PROC_RUNNING, true, 3);
	sched_seq_process_event(f.s, f.v, P(f.v, "big:p1"), 1, 3, &f.out);
	ASSERT_STR_EQ(where(&f, "big:p2"), "n2");
	dfx_done(&f);
}

static void
test_single_node(void)
{
	struct dfx f;
	struct rl_application *a;

	/* nodes: A = n1, n2; B = n3 */
	dfx_init(&f, 3, "A,A,B");
	a = fx_app("app", RL_DIST_SINGLE_NODE, 3);
	a->starting_strategy = RL_STRATEGY_MOST_LOADED_NODE;
	fx_prog(a, 0, "p1", 1, 1, 20);
	fx_prog(a, 1, "p2", 1, 1, 20);
	fx_prog(a, 2, "p3", 1, 1, 20);
	sched_view_add_application(f.v, a, NULL);
	sched_seq_start_app(f.s, f.v, 0, RL_STRATEGY_LESS_LOADED_NODE, 0,
			    &f.out, NULL);
	/* LESS over nodes: A first of equals; then LESS_LOADED_NODE per
	 * process within A, spreading as reservations accumulate */
	ASSERT_STR_EQ(where(&f, "app:p1"), "n1");
	ASSERT_STR_EQ(where(&f, "app:p2"), "n2");
	ASSERT_STR_EQ(where(&f, "app:p3"), "n1");
	dfx_done(&f);

	dfx_init(&f, 3, "A,A,B");
	a = fx_app("app", RL_DIST_SINGLE_NODE, 2);
	fx_prog(a, 0, "p1", 1, 1, 40);
	fx_prog(a, 1, "p2", 1, 1, 40);
	sched_view_add_application(f.v, a, NULL);
	sched_seq_start_app(f.s, f.v, 0, RL_STRATEGY_MOST_LOADED_NODE, 0,
			    &f.out, NULL);
	/* MOST over nodes: equal totals, the last candidate's node (B) */
	ASSERT_STR_EQ(where(&f, "app:p1"), "n3");
	ASSERT_STR_EQ(where(&f, "app:p2"), "n3");
	dfx_done(&f);
}

static void
test_hash_and_at(void)
{
	struct dfx f;
	struct rl_application *a;
	struct rl_program *h, *at;

	dfx_init(&f, 3, NULL);
	a = fx_app("app", RL_DIST_ALL_INSTANCES, 2);
	h = fx_prog(a, 0, "h", 5, 1, 0);
	fx_ids(&h->identifiers, "#,n3,n1");
	at = fx_prog(a, 1, "at", 3, 1, 0);
	fx_ids(&at->identifiers, "@,n2,n3");
	sched_view_add_application(f.v, a, NULL);
	sched_seq_start_app(f.s, f.v, 0, SCHED_STRATEGY_DEFAULT, 0, &f.out,
			    NULL);
	/* '#': fewest so far, ties in list order, with roll-over */
	ASSERT_STR_EQ(where(&f, "app:h_0"), "n3");
	ASSERT_STR_EQ(where(&f, "app:h_1"), "n1");
	ASSERT_STR_EQ(where(&f, "app:h_2"), "n3");
	ASSERT_STR_EQ(where(&f, "app:h_3"), "n1");
	ASSERT_STR_EQ(where(&f, "app:h_4"), "n3");
	/* '@': one each, no roll-over: the third has no instance */
	ASSERT_STR_EQ(where(&f, "app:at_0"), "n2");
	ASSERT_STR_EQ(where(&f, "app:at_1"), "n3");
	ASSERT_STR_EQ(where(&f, "app:at_2"), "-");
	ASSERT_TRUE(fx_find(&f.out, 0, SCHED_ACT_FORCE, P(f.v, "app:at_2")) >=
		    0);
	/* the assignment is final: h_1 stays on n1 even when n1 fails */
	ASSERT_INT_EQ(sched_view_process(f.v, P(f.v, "app:h_1"))->assigned,
		      I(f.v, "n1"));
	dfx_done(&f);

	/* '#' alone means all instances; application-level '#' */
	dfx_init(&f, 3, NULL);
	a = fx_app("app_5", RL_DIST_SINGLE_INSTANCE, 1);
	fx_ids(&a->identifiers, "#");
	fx_prog(a, 0, "p", 1, 1, 0);
	sched_view_add_application(f.v, a, NULL);
	sched_seq_start_app(f.s, f.v, 0, SCHED_STRATEGY_DEFAULT, 0, &f.out,
			    NULL);
	/* (5 - 1) mod 3 = 1 -> n2 */
	ASSERT_STR_EQ(where(&f, "app_5:p"), "n2");
	dfx_done(&f);

	dfx_init(&f, 3, NULL);
	a = fx_app("nonumber", RL_DIST_SINGLE_INSTANCE, 1);
	fx_ids(&a->identifiers, "#,n1,n2");
	fx_prog(a, 0, "p", 1, 1, 0);
	sched_view_add_application(f.v, a, NULL);
	sched_seq_start_app(f.s, f.v, 0, SCHED_STRATEGY_DEFAULT, 0, &f.out,
			    NULL);
	ASSERT_STR_EQ(where(&f, "nonumber:p"), "-");
	dfx_done(&f);
}

/* Two applications started at once share one view: the second sees the
 * first one's reservations (Supvisors counts only its own job's). */
static void
test_global_reservations(void)
{
	struct dfx f;
	struct rl_application *a, *b;

	dfx_init(&f, 2, NULL);
	a = fx_app("a", RL_DIST_ALL_INSTANCES, 1);
	a->starting_strategy = RL_STRATEGY_LESS_LOADED;
	fx_prog(a, 0, "p", 1, 1, 60);
	b = fx_app("b", RL_DIST_ALL_INSTANCES, 1);
	b->starting_strategy = RL_STRATEGY_CONFIG;
	fx_prog(b, 0, "p", 1, 1, 60);
	sched_view_add_application(f.v, a, NULL);
	sched_view_add_application(f.v, b, NULL);
	sched_seq_start_app(f.s, f.v, 0, SCHED_STRATEGY_DEFAULT, 0, &f.out,
			    NULL);
	sched_seq_start_app(f.s, f.v, 1, SCHED_STRATEGY_DEFAULT, 0, &f.out,
			    NULL);
	ASSERT_STR_EQ(where(&f, "a:p"), "n1");
	/* CONFIG would take n1, but 60 are reserved there */
	ASSERT_STR_EQ(where(&f, "b:p"), "n2");
	ASSERT_INT_EQ(sched_view_nreservations(f.v), 2);
	/* a refusal by the target moves the start to the next candidate */
	sched_seq_start_refused(f.s, f.v, P(f.v, "b:p"), I(f.v, "n2"), 1,
				&f.out);
	ASSERT_INT_EQ(fx_count(&f.out, SCHED_ACT_START), 2);
	ASSERT_TRUE(fx_find(&f.out, 0, SCHED_ACT_FORCE, P(f.v, "b:p")) >= 0);
	ASSERT_INT_EQ(sched_view_nreservations(f.v), 1);
	dfx_done(&f);
}

static void
test_plan(void)
{
	struct dfx f;
	struct rl_application *a;
	struct sched_plan plan = SCHED_PLAN_INIT;
	struct sched_seq_conf c;
	struct strbuf sb = STRBUF_INIT;
	struct rl_program *h;

	dfx_init(&f, 2, NULL);
	sched_view_set_instance_state(f.v, 1, SCHED_INST_FAILED, false);
	a = fx_app("a", RL_DIST_ALL_INSTANCES, 4);
	fx_prog(a, 0, "p1", 1, 1, 60);
	fx_prog(a, 1, "p2", 1, 2, 50);
	fx_prog(a, 2, "up", 1, 1, 10);
	h = fx_prog(a, 3, "h", 2, 3, 0);
	fx_ids(&h->identifiers, "#");
	sched_view_add_application(f.v, a, NULL);
	fx_event(f.v, "a:up", "n1", SCHED_PROC_RUNNING, true, 0);
	sched_seq_conf_default(&c, 2);
	ASSERT_INT_EQ(sched_seq_plan(f.v, &c, 0, SCHED_NONE,
				     SCHED_STRATEGY_DEFAULT, &plan),
		      0);
	ASSERT_INT_EQ(plan.n, 5);
	/* rank 1: p1 then up (already running); rank 2: p2 */
	ASSERT_INT_EQ(plan.v[0].proc, P(f.v, "a:p1"));
	ASSERT_INT_EQ(plan.v[0].inst, 0);
	ASSERT_STR_EQ(plan.v[1].reason, "already running");
	ASSERT_INT_EQ(plan.v[2].proc, P(f.v, "a:p2"));
	ASSERT_INT_EQ(plan.v[2].inst, SCHED_NONE);
	ASSERT_STR_EQ(plan.v[2].reason, "No resource available");
	ASSERT_INT_EQ(plan.v[2].why[0].excl, SCHED_EXCL_CAPACITY);
	ASSERT_INT_EQ(plan.v[2].why[1].excl, SCHED_EXCL_NOT_RUNNING);
	/* nothing left behind */
	ASSERT_INT_EQ(sched_view_nreservations(f.v), 0);
	ASSERT_FALSE(sched_view_process(f.v, P(f.v, "a:h_0"))->assign_done);
	sched_plan_to_json(f.v, &plan, &sb);
	ASSERT_TRUE(strstr(strbuf_str(&sb),
			   "{\"namespec\":\"a:p2\",\"instance\":null,"
			   "\"reason\":\"No resource available\","
			   "\"excluded\":[{\"instance\":\"n1\",\"reason\":"
			   "\"would exceed 100 % (node load 10 + pending 60 "
			   "+ expected 50 = 120)\"},{\"instance\":\"n2\","
			   "\"reason\":\"not RUNNING (FAILED)\"}]}") != NULL);
	sched_plan_done(&plan);
	strbuf_done(&sb);
	/* one process */
	ASSERT_INT_EQ(sched_seq_plan(f.v, &c, SCHED_NONE, P(f.v, "a:p2"),
				     SCHED_STRATEGY_DEFAULT, &plan),
		      0);
	ASSERT_INT_EQ(plan.n, 1);
	ASSERT_INT_EQ(plan.v[0].inst, 0);
	sched_plan_done(&plan);
	ASSERT_INT_EQ(sched_seq_plan(f.v, &c, 99, SCHED_NONE,
				     SCHED_STRATEGY_DEFAULT, &plan),
		      -ENOENT);
	dfx_done(&f);
}

/* Every strategy x every distribution on one cluster, two processes of
 * 20 % in one rank (so the second placement sees the first one's
 * reservation).  Instances and their declared loads:
 *   n1 node A 10 (local), n2 node A 20, n3 node B 25, n4 node C 45,
 *   n5 node B 0            -> node totals A 30, B 25, C 45. */
static void
test_strategy_x_distribution(void)
{
	static const enum rl_distribution dists[] = {
		RL_DIST_ALL_INSTANCES, RL_DIST_SINGLE_INSTANCE,
		RL_DIST_SINGLE_NODE};
	static const enum rl_strategy strats[] = {CONFIG, LESS, MOST,
						  LOCAL,  LESSN, MOSTN};
	/* [distribution][strategy]: "p1,p2" */
	static const char *const want[3][6] = {
		{"n1,n1", "n5,n1", "n4,n4", "n1,n1", "n5,n1", "n4,n4"},
		{"n1,n1", "n5,n5", "n4,n4", "n1,n1", "n5,n5", "n4,n4"},
		{"n1,n1", "n5,n5", "n4,n4", "n1,n1", "n5,n5", "n4,n4"},
	};
	static const unsigned loads[] = {10, 20, 25, 45, 0};
	size_t d, k, i, b;

	for (d = 0; d < ARRAY_SIZE(dists); d++)
		for (k = 0; k < ARRAY_SIZE(strats); k++) {
			struct dfx f;
			struct rl_application *a, *fill;
			char got[32];

			dfx_init(&f, 5, "A,A,B,C,B");
			fill = fx_app("fill", RL_DIST_ALL_INSTANCES, 7);
			for (b = 0; b < 7; b++)
				fx_prog(fill, b, fx_str("w%zu", b), 1, 0,
					1u << b);
			a = fx_app("app", dists[d], 2);
			a->starting_strategy = strats[k];
			fx_prog(a, 0, "p1", 1, 1, 20);
			fx_prog(a, 1, "p2", 1, 1, 20);
			sched_view_add_application(f.v, fill, NULL);
			sched_view_add_application(f.v, a, NULL);
			for (i = 0; i < 5; i++)
				for (b = 0; b < 7; b++)
					if (loads[i] & (1u << b))
						fx_event(f.v,
							 fx_str("fill:w%zu", b),
							 fx_str("n%zu", i + 1),
							 SCHED_PROC_RUNNING,
							 true, 1);
			sched_seq_start_app(f.s, f.v, 1,
					    SCHED_STRATEGY_DEFAULT, 2, &f.out,
					    NULL);
			snprintf(got, sizeof(got), "%s,%s",
				 where(&f, "app:p1"), where(&f, "app:p2"));
			if (strcmp(got, want[d][k]))
				fprintf(stderr, "dist %zu strategy %zu: %s\n",
					d, k, got);
			ASSERT_STR_EQ(got, want[d][k]);
			dfx_done(&f);
		}
}

/* ------------------------------------------------------------ oracle
 * Supvisors' get_supvisors_instance written the obvious way: keep the
 * valid candidates in order, stable-sort them by the strategy's keys,
 * take the first (LESS_*) or the last (MOST_*).  scheduling.md 6.1 asks
 * for 100 % agreement on 10^5 random cases per strategy. */
struct oitem {
	uint32_t inst;
	unsigned a, b;
	size_t order;
};

static int
ocmp(const void *x, const void *y)
{
	const struct oitem *p = x, *q = y;

	if (p->a != q->a)
		return p->a < q->a ? -1 : 1;
	if (p->b != q->b)
		return p->b < q->b ? -1 : 1;
	return p->order < q->order ? -1 : p->order > q->order;
}

static uint32_t
oracle(const struct sched_view *v, const struct sched_place_req *rq)
{
	struct oitem items[64];
	bool node_first = rq->strategy == LESSN || rq->strategy == MOSTN;
	size_t i, n = 0;

	for (i = 0; i < rq->ncands; i++) {
		const struct sched_instance *in = sched_view_instance(
			v, rq->cands[i]);
		const struct sched_node *nd = sched_view_node(v, in->node);
		unsigned nt = nd->load + nd->pending, it = in->load + in->pending;
		if (in->state != SCHED_INST_RUNNING || in->suspect ||
		    nt + rq->load > 100)
			continue;
		items[n++] = (struct oitem){rq->cands[i], node_first ? nt : it,
					    node_first ? it : nt, i};
	}
	if (rq->strategy == LOCAL) {
		for (i = 0; i < n; i++)
			if (items[i].inst == sched_view_local(v))
				return items[i].inst;
		return SCHED_NONE;
	}
	if (n == 0)
		return SCHED_NONE;
	if (rq->strategy == CONFIG)
		return items[0].inst;
	qsort(items, n, sizeof(*items), ocmp);
	return rq->strategy == MOST || rq->strategy == MOSTN
		       ? items[n - 1].inst
		       : items[0].inst;
}

static uint64_t oseed = 42;

static unsigned
orand(unsigned n)
{
	uint64_t z = (oseed += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (unsigned)((z ^ (z >> 31)) % n);
}

static void
test_oracle(void)
{
	static const enum rl_strategy strats[] = {CONFIG, LESS,  MOST,
						  LOCAL,  LESSN, MOSTN};
	unsigned world, mismatches = 0, cases_run = 0;

	/* 500 random clusters x 200 requests x 6 strategies = 6 * 10^5 */
	for (world = 0; world < 500; world++) {
		unsigned ni = 1 + orand(12), i, k, q;
		struct strbuf mach = STRBUF_INIT;
		struct sched_view *v;
		struct rl_application *pend;
		uint32_t cands[16];
		struct sched_why why[16];

		/* few distinct nodes, so that instances share them; small
		 * loads, so that ties are frequent */
		for (i = 0; i < ni; i++)
			strbuf_addf(&mach, "%s%c", i ? "," : "",
				    'A' + orand(1 + ni / 2));
		v = fx_view(ni, strbuf_str(&mach));
		strbuf_done(&mach);
		pend = fx_app("pend", RL_DIST_ALL_INSTANCES, 1);
		fx_prog(pend, 0, "r", 16, 0, 0);
		sched_view_add_application(v, pend, NULL);
		for (i = 0; i < ni; i++) {
			static const enum sched_inst_state st[] = {
				SCHED_INST_RUNNING, SCHED_INST_RUNNING,
				SCHED_INST_RUNNING, SCHED_INST_FAILED,
				SCHED_INST_ISOLATED};
			sched_view_set_instance_state(v, i, st[orand(5)],
						      orand(10) == 0);
			if (orand(2))
				sched_view_reserve(v, i, i, 5 * orand(12),
						   INT64_MAX);
		}
		for (q = 0; q < 200; q++)
			for (k = 0; k < ARRAY_SIZE(strats); k++) {
				struct sched_place_req rq = {0};
				uint32_t want, fast, slow;
				size_t n = 0;
				/* a random order of a random subset */
				for (i = 0; i < ni; i++)
					if (orand(4))
						cands[n++] = i;
				for (i = n; i > 1; i--) {
					unsigned j = orand((unsigned)i);
					uint32_t t = cands[i - 1];
					cands[i - 1] = cands[j];
					cands[j] = t;
				}
				rq.strategy = strats[k];
				rq.load = 5 * orand(15);
				rq.proc = SCHED_NONE;
				rq.node = SCHED_NONE;
				rq.cands = cands;
				rq.ncands = n;
				want = oracle(v, &rq);
				fast = sched_place(v, &rq, NULL);
				slow = sched_place(v, &rq, why);
				cases_run++;
				if (fast != want || slow != want)
					mismatches++;
			}
		sched_view_free(v);
		fx_reset();
	}
	ASSERT_INT_EQ(cases_run, 600000);
	ASSERT_INT_EQ(mismatches, 0);
}

static void
test_admit(void)
{
	struct dfx f;
	struct rl_application *a;
	unsigned total = 0;

	dfx_init(&f, 3, "A,A,B");
	a = fx_app("a", RL_DIST_ALL_INSTANCES, 3);
	fx_prog(a, 0, "big", 1, 1, 60);
	fx_prog(a, 1, "mid", 1, 1, 30);
	fx_prog(a, 2, "new", 1, 1, 20);
	sched_view_add_application(f.v, a, NULL);
	fx_event(f.v, "a:big", "n2", SCHED_PROC_RUNNING, true, 1);
	ASSERT_INT_EQ(sched_place_admit(f.v, 0, 1, 30, EXP, &total), 0);
	/* a reservation for another process on the node counts */
	sched_view_reserve(f.v, 1, 1, 30, INT64_MAX);
	ASSERT_INT_EQ(sched_place_admit(f.v, 0, 2, 20, EXP, &total),
		      -ENOSPC);
	ASSERT_INT_EQ(total, 90);
	/* its own reservation does not */
	ASSERT_INT_EQ(sched_place_admit(f.v, 0, 1, 30, EXP, NULL), 0);
	ASSERT_INT_EQ(sched_place_admit(f.v, 2, 2, 20, EXP, NULL), 0);
	ASSERT_INT_EQ(sched_place_admit(f.v, 2, 2, 20, MEAS, NULL), 0);
	sched_view_set_instance_cpu(f.v, 2, 90);
	ASSERT_INT_EQ(sched_place_admit(f.v, 2, 2, 20, MEAS, NULL), -ENOSPC);
	sched_view_set_instance_state(f.v, 2, SCHED_INST_FAILED, false);
	ASSERT_INT_EQ(sched_place_admit(f.v, 2, 2, 20, EXP, NULL),
		      -EHOSTDOWN);
	ASSERT_INT_EQ(sched_place_admit(f.v, 9, 2, 20, EXP, NULL), -ENOENT);
	dfx_done(&f);
}

static const struct test_case cases[] = {
	{"admission on the target", test_admit},
	{"oracle (Supvisors' sort) on 6 x 10^5 cases", test_oracle},
	{"strategy x distribution", test_strategy_x_distribution},
	{"strategy table", test_strategy_table},
	{"why format", test_why_format},
	{"single instance", test_single_instance},
	{"single node", test_single_node},
	{"hash and at signs", test_hash_and_at},
	{"global reservations", test_global_reservations},
	{"plan", test_plan},
};

int
main(int argc, char **argv)
{
	return test_main(argc, argv, "sched_place", cases, ARRAY_SIZE(cases));
}
