/*
 * sched/: the cluster view, application state and failures, the
 * operational_status formulas and the start/stop sequences, driven with
 * explicit time (no clock, no sleep).
 */
#include <errno.h>
#include <stdlib.h>

#include "sched/app.h"
#include "sched/place.h"
#include "rules/formula.h"
#include "sched/seq.h"
#include "tests/lib/testlib.h"
#include "tests/test_sched_fx.h"

#define P(v, ns) sched_view_find_process((v), (ns))
#define I(v, n) sched_view_find_instance((v), (n))

/* ------------------------------------------------------------ view */

static void
test_view_loads(void)
{
	struct sched_view *v = fx_view(3, "m1,m1,m2");
	struct rl_application *a = fx_app("a", RL_DIST_ALL_INSTANCES, 2);
	const struct sched_instance *n1, *n2;
	uint32_t lost[8];

	fx_prog(a, 0, "p1", 1, 1, 20);
	fx_prog(a, 1, "p2", 1, 2, 30);
	ASSERT_INT_EQ(sched_view_add_application(v, a, NULL), 0);
	ASSERT_INT_EQ(sched_view_add_application(v, a, NULL), -EEXIST);
	ASSERT_INT_EQ(sched_view_nnodes(v), 2);
	n1 = sched_view_instance(v, I(v, "n1"));
	n2 = sched_view_instance(v, I(v, "n2"));
	ASSERT_INT_EQ(n1->node, n2->node);
	ASSERT_TRUE(n1->local);

	fx_event(v, "a:p1", "n1", SCHED_PROC_STARTING, true, 10);
	ASSERT_INT_EQ(sched_view_instance(v, I(v, "n1"))->load, 20);
	ASSERT_INT_EQ(sched_view_node(v, n1->node)->load, 20);
	fx_event(v, "a:p1", "n1", SCHED_PROC_RUNNING, true, 20);
	ASSERT_INT_EQ(sched_view_instance(v, I(v, "n1"))->load, 20);
	ASSERT_INT_EQ(sched_view_process(v, P(v, "a:p1"))->state,
		      SCHED_PROC_RUNNING);
	/* a second copy: a conflict, state by priority */
	fx_event(v, "a:p1", "n3", SCHED_PROC_STARTING, true, 30);
	ASSERT_TRUE(sched_view_conflict(v, P(v, "a:p1")));
	ASSERT_INT_EQ(sched_view_process(v, P(v, "a:p1"))->state,
		      SCHED_PROC_RUNNING);
	ASSERT_INT_EQ(sched_view_process(v, P(v, "a:p1"))->nrunning, 2);
	fx_event(v, "a:p1", "n1", SCHED_PROC_STOPPING, true, 40);
	ASSERT_INT_EQ(sched_view_process(v, P(v, "a:p1"))->state,
		      SCHED_PROC_STARTING);
	ASSERT_INT_EQ(sched_view_instance(v, I(v, "n1"))->load, 0);
	fx_event(v, "a:p1", "n1", SCHED_PROC_STOPPED, true, 50);
	ASSERT_FALSE(sched_view_conflict(v, P(v, "a:p1")));
	ASSERT_INT_EQ(sched_view_process(v, P(v, "a:p1"))->running_inst,
		      I(v, "n3"));

	/* reservations: pending until the target reports a running state */
	sched_view_reserve(v, P(v, "a:p2"), I(v, "n2"), 30, INT64_MAX);
	ASSERT_INT_EQ(sched_view_instance(v, I(v, "n2"))->pending, 30);
	ASSERT_INT_EQ(sched_view_node(v, n2->node)->pending, 30);
	fx_event(v, "a:p2", "n1", SCHED_PROC_STOPPED, true, 55);
	ASSERT_INT_EQ(sched_view_nreservations(v), 1);
	fx_event(v, "a:p2", "n2", SCHED_PROC_STARTING, true, 60);
	ASSERT_INT_EQ(sched_view_nreservations(v), 0);
	ASSERT_INT_EQ(sched_view_instance(v, I(v, "n2"))->pending, 0);
	ASSERT_INT_EQ(sched_view_instance(v, I(v, "n2"))->load, 30);
	ASSERT_INT_EQ(sched_view_node(v, n2->node)->load, 30);
	/* expiry */
	sched_view_reserve(v, P(v, "a:p1"), I(v, "n1"), 20, 100);
	ASSERT_INT_EQ(sched_view_expire(v, 99), 0);
	ASSERT_INT_EQ(sched_view_expire(v, 100), 1);
	ASSERT_INT_EQ(sched_view_node(v, n1->node)->pending, 0);

	/* losing n2: p2 ran only there */
	ASSERT_INT_EQ(sched_view_lose_instance(v, I(v, "n2"), 70, lost), 1);
	ASSERT_INT_EQ(lost[0], P(v, "a:p2"));
	ASSERT_INT_EQ(sched_view_instance(v, I(v, "n2"))->load, 0);
	ASSERT_INT_EQ(sched_view_process(v, P(v, "a:p2"))->state,
		      SCHED_PROC_FATAL);
	sched_view_free(v);
	fx_reset();
}

static void
test_view_synthesis(void)
{
	struct sched_view *v = fx_view(2, NULL);
	struct rl_application *a = fx_app("a", RL_DIST_ALL_INSTANCES, 1);
	uint32_t run[4];

	fx_prog(a, 0, "p", 1, 1, 0);
	sched_view_add_application(v, a, NULL);
	ASSERT_TRUE(sched_view_app_never_started(v, 0));
	/* announcing a never-run process as STOPPED records nothing */
	fx_event(v, "a:p", "n1", SCHED_PROC_STOPPED, true, 1);
	fx_event(v, "a:p", "n2", SCHED_PROC_STOPPED, true, 1);
	ASSERT_INT_EQ(sched_view_process(v, 0)->ninfo, 0);
	/* no running copy: the most recently received report wins */
	fx_event(v, "a:p", "n2", SCHED_PROC_EXITED, false, 10);
	fx_event(v, "a:p", "n1", SCHED_PROC_FATAL, false, 5);
	ASSERT_INT_EQ(sched_view_process(v, 0)->state, SCHED_PROC_EXITED);
	ASSERT_FALSE(sched_view_app_never_started(v, 0));
	fx_event(v, "a:p", "n1", SCHED_PROC_STOPPED, true, 20);
	ASSERT_INT_EQ(sched_view_process(v, 0)->state, SCHED_PROC_STOPPED);
	/* forced state shown until the next real event */
	sched_view_force_state(v, 0, SCHED_PROC_FATAL,
			       "No resource available", 30);
	ASSERT_INT_EQ(sched_view_display_state(v, 0), SCHED_PROC_FATAL);
	ASSERT_STR_EQ(sched_view_process(v, 0)->forced_reason,
		      "No resource available");
	fx_event(v, "a:p", "n2", SCHED_PROC_STARTING, true, 40);
	ASSERT_INT_EQ(sched_view_display_state(v, 0), SCHED_PROC_STARTING);
	ASSERT_INT_EQ(sched_view_running_instances(v, 0, run), 1);
	ASSERT_INT_EQ(run[0], 1);
	/* uptime from the reported uptime */
	{
		struct sched_event ev = {SCHED_PROC_RUNNING, true, 42, 5000};
		sched_view_process_event(v, 0, 0, &ev, 100000);
		ASSERT_INT_EQ(sched_view_pinfo(v, 0, 0)->start_ms, 95000);
	}
	ASSERT_INT_EQ(sched_view_running_instances(v, 0, run), 2);
	ASSERT_INT_EQ(run[0], 0);
	ASSERT_INT_EQ(run[1], 1);
	ASSERT_INT_EQ(sched_view_find_instance(v, "nope"), SCHED_NONE);
	ASSERT_INT_EQ(sched_view_add_instance(v, "n1", "x", false, NULL),
		      -EEXIST);
	ASSERT_INT_EQ(sched_view_add_instance(v, "n9", "x", true, NULL),
		      -EEXIST);
	ASSERT_INT_EQ(sched_proc_state_code(SCHED_PROC_FATAL), 200);
	ASSERT_INT_EQ(sched_proc_state_from_string("backoff"),
		      SCHED_PROC_BACKOFF);
	ASSERT_STR_EQ(sched_inst_state_to_string(SCHED_INST_ISOLATED),
		      "ISOLATED");
	ASSERT_INT_EQ(sched_inst_state_from_string("checked"),
		      SCHED_INST_CHECKED);
	ASSERT_INT_EQ(sched_inst_state_from_string("nope"), -EINVAL);
	ASSERT_INT_EQ(sched_action_kind_from_string("job_done"),
		      SCHED_ACT_JOB_DONE);
	ASSERT_STR_EQ(sched_action_kind_to_string(SCHED_ACT_FORCE), "FORCE");
	ASSERT_INT_EQ(sched_excl_from_string("over capacity"),
		      SCHED_EXCL_CAPACITY);
	ASSERT_NULL(sched_excl_to_string(_SCHED_EXCL_MAX));
	sched_view_free(v);
	fx_reset();
}

/* ------------------------------------------------------------ formulas */

static void
test_formula_parse(void)
{
	static const struct {
		const char *src;
		size_t col; /* 0: valid */
	} cases[] = {
		{"'a'", 0},
		{"\"a\" and 'b'", 0},
		{"'a' and 'b' or not 'c'", 0},
		{"not not 'a'", 0},
		{"any('w_.*') and all(\"x\\d+\")", 0},
		{"('a' or ('b' and 'c'))", 0},
		{"  'a'\t", 0},
		{"'it\\'s'", 0},
		{"", 1},
		{"   ", 1},
		{"'a' 'b'", 5},
		{"'a' and", 8},
		{"'a' xor 'b'", 5},
		{"('a'", 5},
		{"'a')", 4},
		{"any 'a'", 5},
		{"any()", 5},
		{"any('a' , 'b')", 9},
		{"all('a'", 8},
		{"'unterminated", 1},
		{"'a' and 'b", 9},
		{"'('", 1},
		{"''", 1},
		{"'a' & 'b'", 5},
		{"True", 1},
		{"not", 4},
		{"'a' or or 'b'", 8},
		/* regex blow-ups refused before regcomp sees them */
		{"'(a+)+' and 'w{2,3}' and '[+*]x'", 0},
		{"'a' and 'd++'", 9},
		{"'+a'", 1},
		{"'a{33}'", 1},
		{"'a{'", 1},
		{"'((((((((((((a+)+)+)+)+)+)+)+)+)+)+)+)+)+'", 1},
		{"'[abc'", 1},
		{"'a)'", 1},
		{"'a)|(.*'", 1},
		{"'(a'", 1},
		{"'[[:alpha:'", 1},
		{"'[[:alpha:]_]+'", 0},
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct rl_formula *f = NULL;
		size_t col = 0;
		char *msg = NULL;
		int r = rl_formula_parse(cases[i].src, &f, &col, &msg);
		if (cases[i].col == 0) {
			ASSERT_INT_EQ(r, 0);
			ASSERT_NULL(msg);
		} else {
			ASSERT_INT_EQ(r, -EINVAL);
			if (col != cases[i].col)
				fprintf(stderr, "formula <%s>: column %zu (%s)\n",
					cases[i].src, col, msg);
			ASSERT_INT_EQ(col, cases[i].col);
			ASSERT_NOT_NULL(msg);
			ASSERT_NULL(f);
		}
		free(msg);
		rl_formula_free(f);
	}
	/* nesting limit */
	{
		struct strbuf sb = STRBUF_INIT;
		struct rl_formula *f = NULL;
		char *msg = NULL;
		for (i = 0; i < 200; i++)
			strbuf_addc(&sb, '(');
		strbuf_adds(&sb, "'a'");
		for (i = 0; i < 200; i++)
			strbuf_addc(&sb, ')');
		ASSERT_INT_EQ(rl_formula_parse(strbuf_str(&sb), &f, NULL,
						  &msg),
			      -EINVAL);
		ASSERT_NOT_NULL(msg);
		free(msg);
		strbuf_done(&sb);
	}
}

static void
test_formula_eval(void)
{
	const char *names[] = {"hmi", "w_1", "w_2", "db"};
	struct {
		const char *src;
		bool v[4];
		int want;
	} cases[] = {
		{"'hmi'", {1, 0, 0, 0}, 1},
		{"'hmi'", {0, 1, 1, 1}, 0},
		{"'hmi' and any('w_\\d')", {1, 0, 1, 0}, 1},
		{"'hmi' and all('w_\\d')", {1, 0, 1, 0}, 0},
		{"'hmi' and all('w_.*')", {1, 1, 1, 0}, 1},
		{"not 'db' or 'hmi'", {0, 0, 0, 1}, 0},
		{"not ('db' or 'hmi')", {0, 0, 0, 0}, 1},
		{"'db' or 'hmi' and 'w_1'", {0, 0, 0, 1}, 1},
		{"any('nothing')", {1, 1, 1, 1}, 0},
		{"all('nothing')", {0, 0, 0, 0}, 1},
		{"'h.*'", {1, 0, 0, 0}, 1},
		/* several names outside any/all: always an error */
		{"'w_.'", {1, 1, 1, 1}, -EINVAL},
		{"'hmi' or 'w_.'", {1, 1, 1, 1}, -EINVAL},
		/* full match only */
		{"'hm'", {1, 1, 1, 1}, -EINVAL},
		{"'w'", {1, 1, 1, 1}, -EINVAL},
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct rl_formula *f = NULL;
		ASSERT_INT_EQ(rl_formula_parse(cases[i].src, &f, NULL, NULL),
			      0);
		ASSERT_INT_EQ(rl_formula_eval(f, cases[i].v), -EINVAL);
		rl_formula_bind(f, names, 4);
		ASSERT_INT_EQ(rl_formula_eval(f, cases[i].v), cases[i].want);
		rl_formula_free(f);
	}
}

/* ------------------------------------------------------------ app state */

static void
test_app_state_legacy(void)
{
	struct sched_view *v = fx_view(1, NULL);
	struct rl_application *a = fx_app("a", RL_DIST_ALL_INSTANCES, 3);
	struct sched_app_status st;
	struct rl_program *req;

	req = fx_prog(a, 0, "req", 1, 1, 0);
	req->required = true;
	fx_prog(a, 1, "opt", 1, 2, 0);
	fx_prog(a, 2, "zero", 1, 0, 0);
	sched_view_add_application(v, a, NULL);

	ASSERT_INT_EQ(sched_app_status(v, 0, &st), 0);
	ASSERT_INT_EQ(st.state, SCHED_APP_STOPPED);
	ASSERT_FALSE(st.major_failure); /* required STOPPED, app STOPPED */
	ASSERT_STR_EQ(sched_app_operational(&st), "");

	fx_event(v, "a:opt", "n1", SCHED_PROC_RUNNING, true, 1);
	sched_app_status(v, 0, &st);
	ASSERT_INT_EQ(st.state, SCHED_APP_RUNNING);
	ASSERT_TRUE(st.major_failure); /* required STOPPED, app running */
	ASSERT_STR_EQ(sched_app_operational(&st), "Not Operational");

	fx_event(v, "a:req", "n1", SCHED_PROC_BACKOFF, true, 2);
	sched_app_status(v, 0, &st);
	ASSERT_INT_EQ(st.state, SCHED_APP_STARTING);
	ASSERT_FALSE(st.major_failure);

	fx_event(v, "a:req", "n1", SCHED_PROC_RUNNING, true, 3);
	fx_event(v, "a:zero", "n1", SCHED_PROC_EXITED, false, 4);
	sched_app_status(v, 0, &st);
	ASSERT_INT_EQ(st.state, SCHED_APP_RUNNING);
	ASSERT_FALSE(st.major_failure);
	ASSERT_TRUE(st.minor_failure);
	ASSERT_STR_EQ(sched_app_operational(&st), "Degraded");

	fx_event(v, "a:zero", "n1", SCHED_PROC_EXITED, true, 5);
	sched_app_status(v, 0, &st);
	ASSERT_STR_EQ(sched_app_operational(&st), "Operational");

	fx_event(v, "a:opt", "n1", SCHED_PROC_STOPPING, true, 6);
	ASSERT_INT_EQ(sched_app_state(v, 0), SCHED_APP_STOPPING);

	/* required and crashed: major, and major clears minor */
	fx_event(v, "a:opt", "n1", SCHED_PROC_FATAL, false, 7);
	fx_event(v, "a:req", "n1", SCHED_PROC_FATAL, false, 8);
	sched_app_status(v, 0, &st);
	ASSERT_INT_EQ(st.state, SCHED_APP_STOPPED);
	ASSERT_TRUE(st.major_failure);
	ASSERT_FALSE(st.minor_failure);
	ASSERT_INT_EQ(sched_app_state_from_string("running"),
		      SCHED_APP_RUNNING);
	sched_view_free(v);
	fx_reset();
}

static void
test_app_state_formula(void)
{
	struct sched_view *v = fx_view(1, NULL);
	struct rl_application *a = fx_app("a", RL_DIST_ALL_INSTANCES, 2);
	struct rl_application *bad = fx_app("b", RL_DIST_ALL_INSTANCES, 1);
	struct rl_application *err = fx_app("c", RL_DIST_ALL_INSTANCES, 2);
	struct sched_app_status st;
	struct rl_program *hmi;

	a->operational_status = "'hmi' and any('w_.*')";
	hmi = fx_prog(a, 0, "hmi", 1, 1, 0);
	hmi->required = true; /* ignored in formula mode */
	fx_prog(a, 1, "w", 3, 2, 0);
	ASSERT_INT_EQ(sched_view_add_application(v, a, NULL), 0);
	bad->operational_status = "'x' and";
	fx_prog(bad, 0, "x", 1, 1, 0);
	ASSERT_INT_EQ(sched_view_add_application(v, bad, NULL), -EINVAL);
	err->operational_status = "'e.*'";
	fx_prog(err, 0, "e1", 1, 1, 0);
	fx_prog(err, 1, "e2", 1, 1, 0);
	ASSERT_INT_EQ(sched_view_add_application(v, err, NULL), 0);

	sched_app_status(v, 0, &st);
	ASSERT_INT_EQ(st.state, SCHED_APP_STOPPED);
	ASSERT_FALSE(st.major_failure);

	fx_event(v, "a:hmi", "n1", SCHED_PROC_RUNNING, true, 1);
	sched_app_status(v, 0, &st);
	ASSERT_TRUE(st.major_failure); /* no worker */
	fx_event(v, "a:w_1", "n1", SCHED_PROC_EXITED, true, 2);
	sched_app_status(v, 0, &st);
	ASSERT_FALSE(st.major_failure); /* expected exit counts as up */
	ASSERT_FALSE(st.minor_failure);
	ASSERT_STR_EQ(sched_app_operational(&st), "Operational");
	fx_event(v, "a:w_2", "n1", SCHED_PROC_FATAL, false, 3);
	sched_app_status(v, 0, &st);
	ASSERT_FALSE(st.major_failure);
	ASSERT_TRUE(st.minor_failure);
	ASSERT_STR_EQ(sched_app_operational(&st), "Degraded");
	fx_event(v, "a:w_1", "n1", SCHED_PROC_EXITED, false, 4);
	sched_app_status(v, 0, &st);
	ASSERT_TRUE(st.major_failure);
	ASSERT_FALSE(st.minor_failure);

	/* evaluation error -> major once running */
	fx_event(v, "c:e1", "n1", SCHED_PROC_RUNNING, true, 5);
	sched_app_status(v, 1, &st);
	ASSERT_TRUE(st.formula_error);
	ASSERT_TRUE(st.major_failure);
	sched_view_free(v);
	fx_reset();
}

/* ------------------------------------------------------------ sequences */

struct seqfx {
	struct sched_view *v;
	struct sched_seq *s;
	struct sched_actions out;
	struct rl_application *a;
};

static void
seqfx_init(struct seqfx *f, unsigned ninst, size_t nprog)
{
	struct sched_seq_conf c;

	memset(f, 0, sizeof(*f));
	f->v = fx_view(ninst, NULL);
	f->a = fx_app("a", RL_DIST_ALL_INSTANCES, nprog);
	sched_seq_conf_default(&c, ninst);
	c.margin_ms = 1000;
	f->s = sched_seq_new(&c);
}

static void
seqfx_done(struct seqfx *f)
{
	sched_seq_free(f->s);
	sched_view_free(f->v);
	sched_actions_done(&f->out);
	fx_reset();
}

/* An event from INST, applied to the view then the sequencer. */
static void
ev(struct seqfx *f, const char *ns, const char *inst,
   enum sched_proc_state st, bool expected, int64_t now)
{
	fx_event(f->v, ns, inst, st, expected, now);
	sched_seq_process_event(f->s, f->v, P(f->v, ns), I(f->v, inst), now,
				&f->out);
}

static bool
started(struct seqfx *f, const char *ns)
{
	return fx_find(&f->out, 0, SCHED_ACT_START, P(f->v, ns)) >= 0;
}

static void
test_seq_ranks(void)
{
	struct seqfx f;
	uint32_t job = 0;
	int k;

	seqfx_init(&f, 1, 4);
	fx_prog(f.a, 0, "a1", 1, 1, 10);
	fx_prog(f.a, 1, "a2", 1, 1, 10);
	fx_prog(f.a, 2, "b", 1, 2, 10);
	fx_prog(f.a, 3, "never", 1, 0, 10);
	sched_view_add_application(f.v, f.a, NULL);

	ASSERT_INT_EQ(sched_seq_start_app(f.s, f.v, 0, SCHED_STRATEGY_DEFAULT,
					  0, &f.out, &job),
		      0);
	ASSERT_TRUE(job != 0);
	ASSERT_INT_EQ(fx_count(&f.out, SCHED_ACT_START), 2);
	ASSERT_TRUE(started(&f, "a:a1") && started(&f, "a:a2"));
	ASSERT_INT_EQ(f.out.v[0].inst, I(f.v, "n1"));
	ASSERT_INT_EQ(f.out.v[0].load, 10);
	/* pending reservations accumulated within the rank */
	ASSERT_INT_EQ(sched_view_instance(f.v, 0)->pending, 20);
	ASSERT_TRUE(sched_seq_app_busy(f.s, 0));
	ASSERT_INT_EQ(sched_seq_start_app(f.s, f.v, 0, SCHED_STRATEGY_DEFAULT,
					  0, &f.out, NULL),
		      -EBUSY);
	ASSERT_INT_EQ(sched_seq_next_deadline(f.s), 1000);

	ev(&f, "a:a1", "n1", SCHED_PROC_STARTING, true, 100);
	ev(&f, "a:a1", "n1", SCHED_PROC_RUNNING, true, 1100);
	ASSERT_FALSE(started(&f, "a:b"));
	ASSERT_INT_EQ(sched_seq_next_deadline(f.s), 1000);
	ev(&f, "a:a2", "n1", SCHED_PROC_STARTING, true, 200);
	/* RUNNING within startsecs + margin of STARTING */
	ASSERT_INT_EQ(sched_seq_next_deadline(f.s), 200 + 1000 + 1000);
	ev(&f, "a:a2", "n1", SCHED_PROC_RUNNING, true, 1200);
	ASSERT_TRUE(started(&f, "a:b"));
	ASSERT_FALSE(started(&f, "a:never"));
	ev(&f, "a:b", "n1", SCHED_PROC_STARTING, true, 1300);
	ev(&f, "a:b", "n1", SCHED_PROC_RUNNING, true, 2300);
	k = fx_find(&f.out, 0, SCHED_ACT_JOB_DONE, SCHED_NONE);
	ASSERT_TRUE(k >= 0);
	ASSERT_INT_EQ(f.out.v[k].job, job);
	ASSERT_TRUE(f.out.v[k].ok);
	ASSERT_TRUE(sched_seq_idle(f.s));
	ASSERT_FALSE(sched_seq_app_busy(f.s, 0));
	ASSERT_INT_EQ(sched_seq_next_deadline(f.s), INT64_MAX);
	ASSERT_INT_EQ(sched_view_nreservations(f.v), 0);

	/* stop: stop_sequence descending, ranks wait for stopped states */
	sched_actions_reset(&f.out);
	ASSERT_INT_EQ(sched_seq_stop_app(f.s, f.v, 0, 3000, &f.out, &job), 0);
	ASSERT_INT_EQ(fx_count(&f.out, SCHED_ACT_STOP), 1);
	ASSERT_INT_EQ(f.out.v[0].proc, P(f.v, "a:b"));
	ev(&f, "a:b", "n1", SCHED_PROC_STOPPING, true, 3100);
	ASSERT_INT_EQ(sched_seq_next_deadline(f.s), 3100 + 10000 + 1000);
	ev(&f, "a:b", "n1", SCHED_PROC_STOPPED, true, 3200);
	ASSERT_INT_EQ(fx_count(&f.out, SCHED_ACT_STOP), 3);
	ev(&f, "a:a1", "n1", SCHED_PROC_STOPPED, true, 3300);
	ASSERT_INT_EQ(fx_count(&f.out, SCHED_ACT_JOB_DONE), 0);
	ev(&f, "a:a2", "n1", SCHED_PROC_EXITED, true, 3400);
	ASSERT_INT_EQ(fx_count(&f.out, SCHED_ACT_JOB_DONE), 1);
	seqfx_done(&f);
}

static void
test_seq_wait_exit(void)
{
	struct seqfx f;
	struct rl_program *init;
	int k;

	seqfx_init(&f, 1, 2);
	init = fx_prog(f.a, 0, "init", 1, 1, 0);
	init->wait_exit = true;
	fx_prog(f.a, 1, "main", 1, 2, 0);
	sched_view_add_application(f.v, f.a, NULL);

	sched_seq_start_app(f.s, f.v, 0, SCHED_STRATEGY_DEFAULT, 0, &f.out,
			    NULL);
	ev(&f, "a:init", "n1", SCHED_PROC_STARTING, true, 10);
	ev(&f, "a:init", "n1", SCHED_PROC_RUNNING, true, 20);
	ASSERT_FALSE(started(&f, "a:main"));
	/* wait_exit_timeout 0: no deadline while RUNNING */
	ASSERT_INT_EQ(sched_seq_next_deadline(f.s), INT64_MAX);
	sched_seq_tick(f.s, f.v, 1000000, &f.out);
	ASSERT_FALSE(started(&f, "a:main"));
	ev(&f, "a:init", "n1", SCHED_PROC_EXITED, true, 1000001);
	ASSERT_TRUE(started(&f, "a:main"));
	ev(&f, "a:main", "n1", SCHED_PROC_RUNNING, true, 1000002);
	k = fx_find(&f.out, 0, SCHED_ACT_JOB_DONE, SCHED_NONE);
	ASSERT_TRUE(k >= 0 && f.out.v[k].ok);
	seqfx_done(&f);

	/* unexpected exit fails; with a bounded wait, the timeout fails */
	seqfx_init(&f, 1, 2);
	init = fx_prog(f.a, 0, "init", 1, 1, 0);
	init->wait_exit = true;
	init->wait_exit_timeout_ms = 5000;
	fx_prog(f.a, 1, "main", 1, 2, 0);
	sched_view_add_application(f.v, f.a, NULL);
	sched_seq_start_app(f.s, f.v, 0, SCHED_STRATEGY_DEFAULT, 0, &f.out,
			    NULL);
	ev(&f, "a:init", "n1", SCHED_PROC_RUNNING, true, 10);
	ASSERT_INT_EQ(sched_seq_next_deadline(f.s), 5010);
	sched_seq_tick(f.s, f.v, 5009, &f.out);
	ASSERT_INT_EQ(fx_count(&f.out, SCHED_ACT_FORCE), 0);
	sched_seq_tick(f.s, f.v, 5010, &f.out);
	k = fx_find(&f.out, 0, SCHED_ACT_FORCE, P(f.v, "a:init"));
	ASSERT_TRUE(k >= 0);
	ASSERT_STR_EQ(f.out.v[k].reason,
		      "process EXITED event not received in time");
	/* not required: the sequence goes on */
	ASSERT_TRUE(started(&f, "a:main"));
	seqfx_done(&f);
}

/* A required process fails with each starting_failure_strategy. */
static void
test_seq_starting_failure(void)
{
	static const enum rl_starting_failure sfs[] = {
		RL_STARTING_ABORT, RL_STARTING_STOP, RL_STARTING_CONTINUE};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sfs); i++) {
		struct seqfx f;
		struct rl_program *req;
		int k;

		seqfx_init(&f, 1, 4);
		fx_prog(f.a, 0, "ok", 1, 1, 0);
		req = fx_prog(f.a, 1, "req", 1, 1, 0);
		req->required = true;
		req->starting_failure_strategy = sfs[i];
		fx_prog(f.a, 2, "slow", 1, 1, 0);
		fx_prog(f.a, 3, "later", 1, 2, 0);
		sched_view_add_application(f.v, f.a, NULL);
		sched_seq_start_app(f.s, f.v, 0, SCHED_STRATEGY_DEFAULT, 0,
				    &f.out, NULL);
		ASSERT_INT_EQ(fx_count(&f.out, SCHED_ACT_START), 3);
		ev(&f, "a:ok", "n1", SCHED_PROC_RUNNING, true, 10);
		ev(&f, "a:req", "n1", SCHED_PROC_STARTING, true, 10);
		ev(&f, "a:req", "n1", SCHED_PROC_FATAL, false, 20);
		/* in-flight "slow" completes before anything else */
		ASSERT_INT_EQ(fx_count(&f.out, SCHED_ACT_START), 3);
		ASSERT_INT_EQ(fx_count(&f.out, SCHED_ACT_JOB_DONE), 0);
		ev(&f, "a:slow", "n1", SCHED_PROC_RUNNING, true, 30);
		switch (sfs[i]) {
		case RL_STARTING_ABORT:
			ASSERT_FALSE(started(&f, "a:later"));
			ASSERT_INT_EQ(fx_count(&f.out, SCHED_ACT_STOP), 0);
			k = fx_find(&f.out, 0, SCHED_ACT_JOB_DONE, SCHED_NONE);
			ASSERT_TRUE(k >= 0 && !f.out.v[k].ok);
			break;
		case RL_STARTING_STOP:
			ASSERT_FALSE(started(&f, "a:later"));
			/* then the whole application is stopped */
			ASSERT_INT_EQ(fx_count(&f.out, SCHED_ACT_STOP), 2);
			ASSERT_INT_EQ(fx_count(&f.out, SCHED_ACT_JOB_DONE), 0);
			ev(&f, "a:ok", "n1", SCHED_PROC_STOPPED, true, 40);
			ev(&f, "a:slow", "n1", SCHED_PROC_STOPPED, true, 40);
			k = fx_find(&f.out, 0, SCHED_ACT_JOB_DONE, SCHED_NONE);
			ASSERT_TRUE(k >= 0 && !f.out.v[k].ok);
			break;
		default:
			ASSERT_TRUE(started(&f, "a:later"));
			ev(&f, "a:later", "n1", SCHED_PROC_RUNNING, true, 50);
			k = fx_find(&f.out, 0, SCHED_ACT_JOB_DONE, SCHED_NONE);
			ASSERT_TRUE(k >= 0 && !f.out.v[k].ok);
			break;
		}
		ASSERT_TRUE(sched_seq_idle(f.s));
		seqfx_done(&f);
	}
}

static void
test_seq_timeouts(void)
{
	struct seqfx f;
	struct rl_program *req;
	int k;

	seqfx_init(&f, 1, 3);
	req = fx_prog(f.a, 0, "req", 1, 1, 0);
	req->required = true;
	fx_prog(f.a, 1, "opt", 1, 1, 0);
	fx_prog(f.a, 2, "later", 1, 2, 0);
	sched_view_add_application(f.v, f.a, NULL);
	sched_seq_start_app(f.s, f.v, 0, SCHED_STRATEGY_DEFAULT, 0, &f.out,
			    NULL);
	/* opt never answers: STARTING not seen within the margin */
	ev(&f, "a:req", "n1", SCHED_PROC_STARTING, true, 500);
	ev(&f, "a:req", "n1", SCHED_PROC_BACKOFF, true, 1500);
	/* BACKOFF restarts the RUNNING deadline */
	ASSERT_INT_EQ(sched_seq_next_deadline(f.s), 1000);
	sched_seq_tick(f.s, f.v, 1000, &f.out);
	k = fx_find(&f.out, 0, SCHED_ACT_FORCE, P(f.v, "a:opt"));
	ASSERT_TRUE(k >= 0);
	ASSERT_INT_EQ(f.out.v[k].state, SCHED_PROC_FATAL);
	ASSERT_STR_EQ(f.out.v[k].reason,
		      "process STARTING event not received in time");
	ASSERT_INT_EQ(sched_view_display_state(f.v, P(f.v, "a:opt")),
		      SCHED_PROC_FATAL);
	/* the reservation of a timed-out start is released */
	ASSERT_INT_EQ(sched_view_nreservations(f.v), 0);
	ASSERT_INT_EQ(sched_seq_next_deadline(f.s), 1500 + 2000);
	sched_seq_tick(f.s, f.v, 3500, &f.out);
	k = fx_find(&f.out, 0, SCHED_ACT_FORCE, P(f.v, "a:req"));
	ASSERT_TRUE(k >= 0);
	ASSERT_STR_EQ(f.out.v[k].reason,
		      "process RUNNING event not received in time");
	/* required + ABORT: later is never started */
	ASSERT_FALSE(started(&f, "a:later"));
	ASSERT_TRUE(sched_seq_idle(f.s));
	/* a late real event clears the forced state */
	ev(&f, "a:req", "n1", SCHED_PROC_RUNNING, true, 4000);
	ASSERT_INT_EQ(sched_view_display_state(f.v, P(f.v, "a:req")),
		      SCHED_PROC_RUNNING);

	/* stop timeouts force STOPPED */
	sched_actions_reset(&f.out);
	sched_seq_stop_process(f.s, f.v, P(f.v, "a:req"), 5000, &f.out, NULL);
	ASSERT_INT_EQ(sched_seq_stop_process(f.s, f.v, P(f.v, "a:req"), 5000,
					     &f.out, NULL),
		      -EBUSY);
	ASSERT_INT_EQ(fx_count(&f.out, SCHED_ACT_STOP), 1);
	ev(&f, "a:req", "n1", SCHED_PROC_STOPPING, true, 5100);
	sched_seq_tick(f.s, f.v, 5100 + 11000, &f.out);
	k = fx_find(&f.out, 0, SCHED_ACT_FORCE, P(f.v, "a:req"));
	ASSERT_TRUE(k >= 0);
	ASSERT_INT_EQ(f.out.v[k].state, SCHED_PROC_STOPPED);
	ASSERT_STR_EQ(f.out.v[k].reason,
		      "process STOPPED event not received in time");
	k = fx_find(&f.out, 0, SCHED_ACT_JOB_DONE, SCHED_NONE);
	ASSERT_TRUE(k >= 0 && !f.out.v[k].ok);
	ASSERT_INT_EQ(sched_seq_stop_process(f.s, f.v, P(f.v, "a:opt"), 5000,
					     &f.out, NULL),
		      -EALREADY);
	seqfx_done(&f);
}

/* The single-instance daemon: rules that exclude the local instance, or
 * a full node, give FATAL "No resource available". */
static void
test_seq_no_resource(void)
{
	struct seqfx f;
	struct rl_program *big, *elsewhere;
	int k;

	seqfx_init(&f, 1, 3);
	fx_prog(f.a, 0, "small", 1, 1, 60);
	big = fx_prog(f.a, 1, "big", 1, 1, 50);
	big->required = true;
	big->starting_failure_strategy = RL_STARTING_CONTINUE;
	elsewhere = fx_prog(f.a, 2, "elsewhere", 1, 2, 0);
	fx_ids(&elsewhere->identifiers, "n7,t:gpu");
	sched_view_add_application(f.v, f.a, NULL);
	sched_seq_start_app(f.s, f.v, 0, SCHED_STRATEGY_DEFAULT, 0, &f.out,
			    NULL);
	/* small reserved 60: big (50) does not fit any more */
	ASSERT_TRUE(started(&f, "a:small"));
	ASSERT_FALSE(started(&f, "a:big"));
	k = fx_find(&f.out, 0, SCHED_ACT_FORCE, P(f.v, "a:big"));
	ASSERT_TRUE(k >= 0);
	ASSERT_STR_EQ(f.out.v[k].reason, "No resource available");
	ASSERT_INT_EQ(sched_view_display_state(f.v, P(f.v, "a:big")),
		      SCHED_PROC_FATAL);
	ev(&f, "a:small", "n1", SCHED_PROC_RUNNING, true, 10);
	/* CONTINUE: rank 2, whose identifiers do not name this instance */
	ASSERT_FALSE(started(&f, "a:elsewhere"));
	ASSERT_TRUE(fx_find(&f.out, 0, SCHED_ACT_FORCE,
			    P(f.v, "a:elsewhere")) >= 0);
	ASSERT_INT_EQ(fx_count(&f.out, SCHED_ACT_JOB_DONE), 1);
	/* a process start on a full node is refused the same way */
	sched_actions_reset(&f.out);
	ASSERT_INT_EQ(sched_seq_start_process(f.s, f.v, P(f.v, "a:big"),
					      SCHED_STRATEGY_DEFAULT,
					      SCHED_NONE, 20, &f.out, NULL),
		      0);
	ASSERT_TRUE(fx_find(&f.out, 0, SCHED_ACT_FORCE, P(f.v, "a:big")) >= 0);
	k = fx_find(&f.out, 0, SCHED_ACT_JOB_DONE, SCHED_NONE);
	ASSERT_TRUE(k >= 0 && !f.out.v[k].ok);
	ASSERT_INT_EQ(sched_seq_start_process(f.s, f.v, P(f.v, "a:small"),
					      SCHED_STRATEGY_DEFAULT,
					      SCHED_NONE, 20, &f.out, NULL),
		      -EALREADY);
	seqfx_done(&f);
}

static void
test_seq_global(void)
{
	struct sched_view *v = fx_view(1, NULL);
	struct sched_seq *s = sched_seq_new(NULL);
	struct sched_actions out = SCHED_ACTIONS_INIT;
	struct rl_application *a[4];
	const char *names[] = {"late", "early", "manual", "early2"};
	const unsigned seqs[] = {5, 1, 0, 1};
	uint32_t job;
	size_t i;

	for (i = 0; i < 4; i++) {
		a[i] = fx_app(names[i], RL_DIST_ALL_INSTANCES, 1);
		a[i]->start_sequence = seqs[i];
		a[i]->stop_sequence = seqs[i];
		fx_prog(a[i], 0, "p", 1, 1, 0);
		sched_view_add_application(v, a[i], NULL);
	}
	ASSERT_INT_EQ(sched_seq_start_all(s, v, 0, &out, &job), 0);
	/* group 1: early and early2 in parallel */
	ASSERT_INT_EQ(fx_count(&out, SCHED_ACT_START), 2);
	ASSERT_TRUE(fx_find(&out, 0, SCHED_ACT_START,
			    P(v, "early:p")) >= 0);
	ASSERT_TRUE(fx_find(&out, 0, SCHED_ACT_START,
			    P(v, "early2:p")) >= 0);
	fx_event(v, "early:p", "n1", SCHED_PROC_RUNNING, true, 1);
	sched_seq_process_event(s, v, P(v, "early:p"), 0, 1, &out);
	ASSERT_INT_EQ(fx_count(&out, SCHED_ACT_START), 2);
	fx_event(v, "early2:p", "n1", SCHED_PROC_RUNNING, true, 2);
	sched_seq_process_event(s, v, P(v, "early2:p"), 0, 2, &out);
	ASSERT_INT_EQ(fx_count(&out, SCHED_ACT_START), 3);
	ASSERT_TRUE(fx_find(&out, 0, SCHED_ACT_START, P(v, "late:p")) >= 0);
	fx_event(v, "late:p", "n1", SCHED_PROC_RUNNING, true, 3);
	sched_seq_process_event(s, v, P(v, "late:p"), 0, 3, &out);
	/* 3 application jobs and the global one */
	ASSERT_INT_EQ(fx_count(&out, SCHED_ACT_JOB_DONE), 4);
	ASSERT_INT_EQ(out.v[out.n - 1].job, job);
	ASSERT_INT_EQ(out.v[out.n - 1].app, SCHED_NONE);
	ASSERT_TRUE(sched_seq_idle(s));

	/* a second pass starts nothing: no failure, all started once */
	sched_actions_reset(&out);
	sched_seq_start_all(s, v, 10, &out, &job);
	ASSERT_INT_EQ(fx_count(&out, SCHED_ACT_START), 0);
	ASSERT_INT_EQ(fx_count(&out, SCHED_ACT_JOB_DONE), 1);

	/* stop all: stop_sequence descending */
	sched_actions_reset(&out);
	sched_seq_stop_all(s, v, 20, &out, &job);
	ASSERT_INT_EQ(fx_count(&out, SCHED_ACT_STOP), 1);
	ASSERT_INT_EQ(out.v[0].proc, P(v, "late:p"));
	fx_event(v, "late:p", "n1", SCHED_PROC_STOPPED, true, 21);
	sched_seq_process_event(s, v, P(v, "late:p"), 0, 21, &out);
	ASSERT_INT_EQ(fx_count(&out, SCHED_ACT_STOP), 3);
	sched_seq_abort(s, v);
	ASSERT_TRUE(sched_seq_idle(s));
	sched_seq_free(s);
	sched_view_free(v);
	sched_actions_done(&out);
	fx_reset();
}

static void
test_seq_restart_and_lost(void)
{
	struct seqfx f;
	int k;

	seqfx_init(&f, 2, 1);
	fx_prog(f.a, 0, "p", 1, 1, 10);
	sched_view_add_application(f.v, f.a, NULL);
	ev(&f, "a:p", "n1", SCHED_PROC_RUNNING, true, 0);
	ASSERT_INT_EQ(sched_seq_restart_app(f.s, f.v, 0, RL_STRATEGY_CONFIG,
					    10, &f.out, NULL),
		      0);
	ASSERT_INT_EQ(fx_count(&f.out, SCHED_ACT_STOP), 1);
	ev(&f, "a:p", "n1", SCHED_PROC_STOPPED, true, 20);
	k = fx_find(&f.out, 0, SCHED_ACT_START, P(f.v, "a:p"));
	ASSERT_TRUE(k >= 0);
	ASSERT_INT_EQ(fx_count(&f.out, SCHED_ACT_JOB_DONE), 0);
	/* the target is lost before answering: a starting failure */
	sched_view_set_instance_state(f.v, f.out.v[k].inst, SCHED_INST_FAILED,
				      false);
	sched_view_lose_instance(f.v, f.out.v[k].inst, 30, NULL);
	sched_seq_instance_lost(f.s, f.v, f.out.v[k].inst, 30, &f.out);
	k = fx_find(&f.out, 0, SCHED_ACT_JOB_DONE, SCHED_NONE);
	ASSERT_TRUE(k >= 0 && !f.out.v[k].ok);
	ASSERT_INT_EQ(sched_view_nreservations(f.v), 0);
	seqfx_done(&f);
}

/* The view of a real configuration, through the rules loader. */
static void
test_view_build(void)
{
	static const char yaml[] =
		"version: 1\n"
		"instance: {name: n2, machine: m-2, tags: [front]}\n"
		"aliases: {pair: [n1, n2]}\n"
		"models: {w: {expected_loading: 5}}\n"
		"cluster:\n"
		"  instances: {n1: 127.0.0.1:17401, n2: 127.0.0.1:17402,"
		" n3: 127.0.0.1:17403}\n"
		"applications:\n"
		"  scada:\n"
		"    start_sequence: 1\n"
		"    operational_status: \"'hmi' and any('w_.*')\"\n"
		"    programs:\n"
		"      hmi: {command: /bin/true, start_sequence: 1,"
		" expected_loading: 30, identifiers: [front, n3]}\n"
		"      w: {command: /bin/true, numprocs: 2,"
		" process_name: \"w_%(process_num)d\", start_sequence: 2}\n";
	static const char *const env[] = {"HOME=/nonexistent", NULL};
	struct rules_load_opts o = {.name = NULL,
				    .host_node_name = "host",
				    .envp = env,
				    .is_root = false};
	struct rl_diags d = RL_DIAGS_INIT;
	struct rules *r = NULL;
	struct sched_view *v = NULL;
	struct sched_app_status st;
	uint32_t c[4];
	int rc;

	rc = rules_load_buffer("t.yaml", yaml, strlen(yaml), &o, &r, &d);
	if (rc < 0)
		rl_diags_print(&d, stderr);
	rl_diags_done(&d);
	ASSERT_INT_EQ(rc, 0);
	if (rc < 0)
		return;
	ASSERT_INT_EQ(sched_view_build(r, &v), 0);
	ASSERT_INT_EQ(sched_view_ninstances(v), 3);
	ASSERT_INT_EQ(sched_view_local(v), 1);
	ASSERT_STR_EQ(sched_view_node(v, sched_view_instance(v, 1)->node)
			      ->machine,
		      "m-2");
	ASSERT_INT_EQ(sched_view_instance(v, 1)->state, SCHED_INST_RUNNING);
	ASSERT_INT_EQ(sched_view_instance(v, 0)->state, SCHED_INST_STOPPED);
	ASSERT_INT_EQ(sched_view_nprocesses(v), 3);
	ASSERT_TRUE(P(v, "scada:w_1") != SCHED_NONE);
	/* the tag resolves to the local instance, then the name */
	ASSERT_INT_EQ(sched_place_candidates(v, P(v, "scada:hmi"), c), 2);
	ASSERT_INT_EQ(c[0], 1);
	ASSERT_INT_EQ(c[1], 2);
	/* gossip tells where n1 and n3 run: n3 shares n2's node */
	fx_event(v, "scada:hmi", "n3", SCHED_PROC_RUNNING, true, 1);
	ASSERT_INT_EQ(sched_view_set_instance_machine(v, 2, "m-2"), 0);
	ASSERT_INT_EQ(sched_view_instance(v, 2)->node,
		      sched_view_instance(v, 1)->node);
	ASSERT_INT_EQ(sched_view_node(v, sched_view_instance(v, 1)->node)->load,
		      30);
	ASSERT_INT_EQ(sched_view_nnodes(v), 3);
	sched_app_status(v, 0, &st);
	ASSERT_TRUE(st.major_failure); /* formula: no worker running */
	sched_view_free(v);
	rules_free(r);
}

static const struct test_case cases[] = {
	{"view from rules", test_view_build},
	{"view loads and reservations", test_view_loads},
	{"view synthesis", test_view_synthesis},
	{"formula parse", test_formula_parse},
	{"formula eval", test_formula_eval},
	{"app state legacy", test_app_state_legacy},
	{"app state formula", test_app_state_formula},
	{"seq ranks and stop order", test_seq_ranks},
	{"seq wait_exit", test_seq_wait_exit},
	{"seq starting failure", test_seq_starting_failure},
	{"seq timeouts", test_seq_timeouts},
	{"seq no resource", test_seq_no_resource},
	{"seq global start and stop", test_seq_global},
	{"seq restart and lost instance", test_seq_restart_and_lost},
};

int
main(int argc, char **argv)
{
	return test_main(argc, argv, "sched", cases, ARRAY_SIZE(cases));
}
