/*
 * sched/failure: running-failure decisions on a crash and on the loss of
 * an instance (priorities, promotion, deferral while the application is
 * busy) and conciliation choices, carried out through the sequencer.
 */
#include <errno.h>
#include <stdlib.h>

#include "sched/failure.h"
#include "sched/seq.h"
#include "tests/lib/testlib.h"
#include "tests/test_sched_fx.h"

#define P(v, ns) sched_view_find_process((v), (ns))
#define I(v, n) sched_view_find_instance((v), (n))

struct ffx {
	struct sched_view *v;
	struct sched_seq *s;
	struct sched_failq *q;
	struct sched_actions out;
	struct rl_application *a;
};

/* Application "a" with programs named after their strategy letter:
 * STRATS[i] is the running_failure_strategy of program i, SEQS[i] its
 * start_sequence. */
static void
ffx_init(struct ffx *f, unsigned ninst, size_t n,
	 const enum rl_running_failure *strats, const unsigned *seqs)
{
	size_t i;

	memset(f, 0, sizeof(*f));
	f->v = fx_view(ninst, NULL);
	f->s = sched_seq_new(NULL);
	f->q = sched_failq_new();
	f->a = fx_app("a", RL_DIST_ALL_INSTANCES, n);
	for (i = 0; i < n; i++) {
		struct rl_program *pg = fx_prog(f->a, i, fx_str("p%zu", i), 1,
						seqs[i], 10);
		pg->running_failure_strategy = strats[i];
	}
	sched_view_add_application(f->v, f->a, NULL);
}

static void
ffx_done(struct ffx *f)
{
	sched_failq_free(f->q);
	sched_seq_free(f->s);
	sched_view_free(f->v);
	sched_actions_done(&f->out);
	fx_reset();
}

static void
run_on(struct ffx *f, const char *ns, const char *inst)
{
	fx_event(f->v, ns, inst, SCHED_PROC_RUNNING, true, 1);
}

/* Loses INST and queues the failures, as the master does. */
static void
lose(struct ffx *f, const char *inst)
{
	uint32_t lost[16];
	size_t n;

	sched_view_set_instance_state(f->v, I(f->v, inst), SCHED_INST_FAILED,
				      false);
	n = sched_view_lose_instance(f->v, I(f->v, inst), 10, lost);
	sched_seq_instance_lost(f->s, f->v, I(f->v, inst), 10, &f->out);
	sched_fail_instance_lost(f->q, f->v, lost, n);
}

static bool
queued(struct ffx *f, enum rl_running_failure what, const char *ns)
{
	size_t i;

	for (i = 0; i < sched_failq_len(f->q); i++) {
		const struct sched_fail_job *j = sched_failq_job(f->q, i);
		if (j->what == what &&
		    (ns == NULL ? j->proc == SCHED_NONE
				: j->proc == P(f->v, ns)))
			return true;
	}
	return false;
}

#define RP RL_RUNNING_RESTART_PROCESS
#define RA RL_RUNNING_RESTART_APPLICATION
#define SA RL_RUNNING_STOP_APPLICATION
#define CO RL_RUNNING_CONTINUE
#define SH RL_RUNNING_SHUTDOWN
#define RS RL_RUNNING_RESTART

static void
test_crash(void)
{
	static const enum rl_running_failure st[] = {RS, SH, SA, RA, RP, CO};
	static const unsigned seq[] = {1, 1, 1, 1, 1, 1};
	struct ffx f;
	size_t i;

	ffx_init(&f, 1, 6, st, seq);
	for (i = 0; i < 6; i++) {
		const char *ns = fx_str("a:p%zu", i);
		fx_event(f.v, ns, "n1", SCHED_PROC_FATAL, false, 1);
		sched_fail_crash(f.q, f.v, P(f.v, ns), &f.out);
	}
	ASSERT_INT_EQ(f.out.n, 2);
	ASSERT_INT_EQ(f.out.v[0].kind, SCHED_ACT_RESTART);
	ASSERT_INT_EQ(f.out.v[1].kind, SCHED_ACT_SHUTDOWN);
	/* STOP_APPLICATION swallows the RESTART_APPLICATION */
	ASSERT_INT_EQ(sched_failq_len(f.q), 1);
	ASSERT_TRUE(queued(&f, SA, NULL));
	ffx_done(&f);

	/* a forced state (our own "No resource available") is not acted
	 * upon: it would loop */
	ffx_init(&f, 1, 6, st, seq);
	sched_view_force_state(f.v, P(f.v, "a:p3"), SCHED_PROC_FATAL,
			       "No resource available", 1);
	sched_fail_crash(f.q, f.v, P(f.v, "a:p3"), &f.out);
	ASSERT_INT_EQ(sched_failq_len(f.q), 0);
	fx_event(f.v, "a:p3", "n1", SCHED_PROC_EXITED, false, 2);
	sched_fail_crash(f.q, f.v, P(f.v, "a:p3"), &f.out);
	ASSERT_TRUE(queued(&f, RA, NULL));
	ffx_done(&f);
}

static void
test_lost_priorities(void)
{
	struct ffx f;

	{
		/* RESTART_APPLICATION swallows sequenced process restarts,
		 * not the others */
		static const enum rl_running_failure st[] = {RP, RA, RP, CO};
		static const unsigned seq[] = {1, 1, 0, 1};
		ffx_init(&f, 2, 4, st, seq);
		run_on(&f, "a:p0", "n2");
		run_on(&f, "a:p1", "n2");
		run_on(&f, "a:p2", "n2");
		run_on(&f, "a:p3", "n1");
		lose(&f, "n2");
		ASSERT_TRUE(queued(&f, RA, NULL));
		ASSERT_FALSE(queued(&f, RP, "a:p0"));
		ASSERT_TRUE(queued(&f, RP, "a:p2"));
		ASSERT_INT_EQ(sched_failq_len(f.q), 2);
		ffx_done(&f);
	}
	{
		/* app still partly running: RESTART_PROCESS stays */
		static const enum rl_running_failure st[] = {RP, CO};
		static const unsigned seq[] = {1, 1};
		ffx_init(&f, 2, 2, st, seq);
		run_on(&f, "a:p0", "n2");
		run_on(&f, "a:p1", "n1");
		lose(&f, "n2");
		ASSERT_TRUE(queued(&f, RP, "a:p0"));
		ASSERT_INT_EQ(sched_failq_len(f.q), 1);
		/* then the CONTINUE process crashes too: nothing changes */
		sched_failq_add(f.q, f.v, P(f.v, "a:p1"), CO);
		ASSERT_INT_EQ(sched_failq_len(f.q), 2);
		sched_failq_add(f.q, f.v, P(f.v, "a:p1"), RP);
		ASSERT_FALSE(queued(&f, CO, "a:p1"));
		ASSERT_TRUE(queued(&f, RP, "a:p1"));
		ffx_done(&f);
	}
	{
		/* app fully stopped: promoted to RESTART_APPLICATION, which
		 * then absorbs the other sequenced restart */
		static const enum rl_running_failure st[] = {RP, RP, SH};
		static const unsigned seq[] = {1, 2, 1};
		ffx_init(&f, 2, 3, st, seq);
		run_on(&f, "a:p0", "n2");
		run_on(&f, "a:p1", "n2");
		run_on(&f, "a:p2", "n2");
		lose(&f, "n2");
		ASSERT_TRUE(queued(&f, RA, NULL));
		/* SHUTDOWN is ignored on a loss */
		ASSERT_INT_EQ(sched_failq_len(f.q), 1);
		ASSERT_INT_EQ(f.out.n, 0);
		ffx_done(&f);
	}
	{
		/* STOP_APPLICATION beats everything, whatever the order */
		static const enum rl_running_failure st[] = {RA, RP, SA, CO};
		static const unsigned seq[] = {1, 1, 1, 0};
		ffx_init(&f, 2, 4, st, seq);
		run_on(&f, "a:p0", "n2");
		run_on(&f, "a:p1", "n2");
		run_on(&f, "a:p2", "n2");
		run_on(&f, "a:p3", "n2");
		lose(&f, "n2");
		ASSERT_INT_EQ(sched_failq_len(f.q), 1);
		ASSERT_TRUE(queued(&f, SA, NULL));
		sched_failq_add(f.q, f.v, P(f.v, "a:p1"), RA);
		ASSERT_INT_EQ(sched_failq_len(f.q), 1);
		sched_failq_clear(f.q);
		ASSERT_INT_EQ(sched_failq_len(f.q), 0);
		ffx_done(&f);
	}
}

static void
test_fail_run(void)
{
	struct ffx f;
	static const enum rl_running_failure st[] = {RP, CO};
	static const unsigned seq[] = {1, 1};
	int k;

	ffx_init(&f, 3, 2, st, seq);
	run_on(&f, "a:p0", "n2");
	run_on(&f, "a:p1", "n1");
	lose(&f, "n2");
	/* busy application: deferred */
	ASSERT_INT_EQ(sched_seq_stop_process(f.s, f.v, P(f.v, "a:p1"), 11,
					     &f.out, NULL),
		      0);
	ASSERT_TRUE(sched_seq_app_busy(f.s, 0));
	ASSERT_INT_EQ(sched_fail_run(f.q, f.s, f.v, 12, &f.out), 0);
	ASSERT_INT_EQ(sched_failq_len(f.q), 1);
	fx_event(f.v, "a:p1", "n1", SCHED_PROC_STOPPED, true, 13);
	sched_seq_process_event(f.s, f.v, P(f.v, "a:p1"), 0, 13, &f.out);
	ASSERT_FALSE(sched_seq_app_busy(f.s, 0));
	/* restarted elsewhere: n2 is not RUNNING any more (CONFIG: n1) */
	ASSERT_INT_EQ(sched_fail_run(f.q, f.s, f.v, 14, &f.out), 1);
	ASSERT_INT_EQ(sched_failq_len(f.q), 0);
	k = fx_find(&f.out, 0, SCHED_ACT_START, P(f.v, "a:p0"));
	ASSERT_TRUE(k >= 0);
	ASSERT_INT_EQ(f.out.v[k].inst, I(f.v, "n1"));
	ffx_done(&f);

	/* RESTART_APPLICATION: stop what is left, then start the app */
	{
		static const enum rl_running_failure st2[] = {RA, CO};
		ffx_init(&f, 2, 2, st2, seq);
		run_on(&f, "a:p0", "n2");
		run_on(&f, "a:p1", "n1");
		lose(&f, "n2");
		ASSERT_INT_EQ(sched_fail_run(f.q, f.s, f.v, 20, &f.out), 1);
		k = fx_find(&f.out, 0, SCHED_ACT_STOP, P(f.v, "a:p1"));
		ASSERT_TRUE(k >= 0);
		fx_event(f.v, "a:p1", "n1", SCHED_PROC_STOPPED, true, 21);
		sched_seq_process_event(f.s, f.v, P(f.v, "a:p1"), 0, 21,
					&f.out);
		ASSERT_TRUE(fx_find(&f.out, 0, SCHED_ACT_START,
				    P(f.v, "a:p0")) >= 0);
		ASSERT_TRUE(fx_find(&f.out, 0, SCHED_ACT_START,
				    P(f.v, "a:p1")) >= 0);
		ffx_done(&f);
	}
}

static void
test_conciliate(void)
{
	static const enum rl_running_failure st[] = {RP};
	static const unsigned seq[] = {1};
	static const struct {
		enum rl_conciliation strategy;
		const char *stop; /* instances stopped, in order */
		enum sched_concil_then then;
	} cases[] = {
		/* n1 up since t=100, n2 since t=300, n3 since t=200 */
		{RL_CONCILIATION_SENICIDE, "n1,n3", SCHED_CONCIL_NOTHING},
		{RL_CONCILIATION_INFANTICIDE, "n2,n3", SCHED_CONCIL_NOTHING},
		{RL_CONCILIATION_USER, "", SCHED_CONCIL_NOTHING},
		{RL_CONCILIATION_STOP, "n1,n2,n3", SCHED_CONCIL_NOTHING},
		{RL_CONCILIATION_RESTART, "n1,n2,n3", SCHED_CONCIL_START},
		{RL_CONCILIATION_RUNNING_FAILURE, "n1,n2,n3",
		 SCHED_CONCIL_RUNNING_FAILURE},
	};
	size_t c;

	for (c = 0; c < ARRAY_SIZE(cases); c++) {
		struct ffx f;
		struct sched_event e1 = {SCHED_PROC_RUNNING, true, 1, 900};
		struct sched_event e2 = {SCHED_PROC_RUNNING, true, 2, 700};
		struct sched_event e3 = {SCHED_PROC_RUNNING, true, 3, 800};
		enum sched_concil_then then;
		uint32_t stop[4];
		struct strbuf sb = STRBUF_INIT;
		size_t n, i;

		ffx_init(&f, 3, 1, st, seq);
		sched_view_process_event(f.v, 0, 0, &e1, 1000);
		sched_view_process_event(f.v, 0, 1, &e2, 1000);
		sched_view_process_event(f.v, 0, 2, &e3, 1000);
		ASSERT_TRUE(sched_view_conflict(f.v, 0));
		n = sched_conciliate(f.v, 0, cases[c].strategy, stop, &then);
		for (i = 0; i < n; i++)
			strbuf_addf(&sb, "%s%s", i ? "," : "",
				    sched_view_instance(f.v, stop[i])->name);
		ASSERT_STR_EQ(strbuf_str(&sb), cases[c].stop);
		ASSERT_INT_EQ(then, cases[c].then);
		strbuf_done(&sb);

		/* carried out: stops (and a restart) through the sequencer */
		n = sched_conciliate_all(f.v, f.s, f.q, cases[c].strategy,
					 1000, &f.out);
		ASSERT_INT_EQ(n, cases[c].strategy == RL_CONCILIATION_USER ? 0
									   : 1);
		ASSERT_INT_EQ(fx_count(&f.out, SCHED_ACT_STOP),
			      strlen(cases[c].stop) ? (strlen(cases[c].stop) + 1) /
							      3
						    : 0);
		ASSERT_INT_EQ(sched_failq_len(f.q),
			      cases[c].then == SCHED_CONCIL_RUNNING_FAILURE);
		for (i = 0; i < f.out.n; i++)
			if (f.out.v[i].kind == SCHED_ACT_STOP) {
				fx_event(f.v, "a:p0",
					 sched_view_instance(f.v,
							     f.out.v[i].inst)
						 ->name,
					 SCHED_PROC_STOPPED, true, 1001);
				sched_seq_process_event(f.s, f.v, 0,
							f.out.v[i].inst, 1001,
							&f.out);
			}
		ASSERT_INT_EQ(sched_view_conflict(f.v, 0),
			      cases[c].strategy == RL_CONCILIATION_USER);
		if (cases[c].then == SCHED_CONCIL_START)
			ASSERT_TRUE(fx_find(&f.out, 0, SCHED_ACT_START, 0) >= 0);
		if (cases[c].then == SCHED_CONCIL_RUNNING_FAILURE) {
			/* all stopped: RESTART_PROCESS was queued before, the
			 * restart happens once the stop job is over */
			ASSERT_INT_EQ(sched_fail_run(f.q, f.s, f.v, 1002,
						     &f.out),
				      1);
			ASSERT_TRUE(fx_find(&f.out, 0, SCHED_ACT_START, 0) >= 0);
		}
		ffx_done(&f);
	}
}

static const struct test_case cases[] = {
	{"crash", test_crash},
	{"lost priorities", test_lost_priorities},
	{"fail run", test_fail_run},
	{"conciliate", test_conciliate},
};

int
main(int argc, char **argv)
{
	return test_main(argc, argv, "sched_fail", cases, ARRAY_SIZE(cases));
}
