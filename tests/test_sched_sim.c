/*
 * sched/: randomized runs of the whole decision core against simulated
 * instances, with a fixed seed per run (reproducible).  Random clusters
 * (some instances sharing a node), random applications (loads,
 * sequences, required, wait_exit, strategies, distributions), random
 * commands, simulated processes that start, crash, exit and stop after
 * random delays, lost requests and lost instances.  After every step:
 *   - no node is committed above 100 % (declared load + reservations);
 *   - the view's incremental sums equal a recount from scratch;
 * and at the end, once every event is delivered and every deadline
 * passed, the sequencer is idle and no reservation is left.
 */
#include <stdlib.h>

#include "sched/app.h"
#include "sched/failure.h"
#include "sched/seq.h"
#include "tests/lib/testlib.h"
#include "tests/test_sched_fx.h"

static uint64_t seed;

static unsigned
rnd(unsigned n)
{
	uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return n ? (unsigned)(z % n) : 0;
}

struct simev {
	int64_t at;
	uint32_t proc, inst;
	enum sched_proc_state state;
	bool expected;
};

struct sim {
	struct sched_view *v;
	struct sched_seq *s;
	struct sched_failq *q;
	struct sched_actions out;
	struct simev *ev;
	size_t nev, capev;
	int64_t now;
	unsigned violations;
};

static void
schedule(struct sim *m, int64_t at, uint32_t proc, uint32_t inst,
	 enum sched_proc_state st, bool expected)
{
	if (m->nev == m->capev) {
		m->capev = m->capev ? m->capev * 2 : 64;
		m->ev = xreallocarray(m->ev, m->capev, sizeof(*m->ev));
	}
	m->ev[m->nev++] = (struct simev){at, proc, inst, st, expected};
}

/* The simulated instances carry out the actions. */
static void
carry_out(struct sim *m)
{
	size_t i;

	for (i = 0; i < m->out.n; i++) {
		const struct sched_action *a = &m->out.v[i];
		const struct sched_process *p;
		int64_t t = m->now;

		if (a->kind != SCHED_ACT_START && a->kind != SCHED_ACT_STOP)
			continue;
		p = sched_view_process(m->v, a->proc);
		if (sched_view_instance(m->v, a->inst)->state !=
			    SCHED_INST_RUNNING ||
		    rnd(20) == 0)
			continue; /* lost request: the timeout handles it */
		if (a->kind == SCHED_ACT_START) {
			t += rnd(200);
			schedule(m, t, a->proc, a->inst, SCHED_PROC_STARTING,
				 true);
			t += rnd(3000);
			switch (rnd(8)) {
			case 0:
				schedule(m, t, a->proc, a->inst,
					 SCHED_PROC_FATAL, false);
				break;
			case 1:
				schedule(m, t, a->proc, a->inst,
					 SCHED_PROC_BACKOFF, false);
				schedule(m, t + rnd(2000), a->proc, a->inst,
					 SCHED_PROC_RUNNING, true);
				break;
			default:
				schedule(m, t, a->proc, a->inst,
					 SCHED_PROC_RUNNING, true);
				if (p->program->wait_exit || rnd(10) == 0)
					schedule(m, t + rnd(2000), a->proc,
						 a->inst, SCHED_PROC_EXITED,
						 rnd(4) != 0);
				break;
			}
		} else {
			t += rnd(200);
			schedule(m, t, a->proc, a->inst, SCHED_PROC_STOPPING,
				 true);
			schedule(m, t + rnd(12000), a->proc, a->inst,
				 SCHED_PROC_STOPPED, true);
		}
	}
	sched_actions_reset(&m->out);
}

static void
check(struct sim *m)
{
	size_t ni = sched_view_ninstances(m->v), nn = sched_view_nnodes(m->v);
	size_t np = sched_view_nprocesses(m->v), i, k;
	unsigned *iload = xcalloc(ni, sizeof(unsigned));
	unsigned *ipend = xcalloc(ni, sizeof(unsigned));
	unsigned *nload = xcalloc(nn, sizeof(unsigned));
	unsigned *npend = xcalloc(nn, sizeof(unsigned));

	for (i = 0; i < np; i++) {
		const struct sched_process *p = sched_view_process(m->v,
								   (uint32_t)i);
		for (k = 0; k < p->ninfo; k++)
			if (sched_proc_state_loading(p->info[k].state))
				iload[p->info[k].inst] += p->load;
	}
	for (i = 0; i < sched_view_nreservations(m->v); i++) {
		const struct sched_resv *r = sched_view_reservation(m->v, i);
		ipend[r->inst] += r->load;
	}
	for (i = 0; i < ni; i++) {
		const struct sched_instance *in = sched_view_instance(
			m->v, (uint32_t)i);
		if (in->load != iload[i] || in->pending != ipend[i])
			m->violations++;
		nload[in->node] += iload[i];
		npend[in->node] += ipend[i];
	}
	for (i = 0; i < nn; i++) {
		const struct sched_node *nd = sched_view_node(m->v,
							      (uint32_t)i);
		if (nd->load != nload[i] || nd->pending != npend[i])
			m->violations++;
		if (nd->load + nd->pending > 100) {
			fprintf(stderr, "seed run: node %zu at %u + %u\n", i,
				nd->load, nd->pending);
			m->violations++;
		}
	}
	free(iload);
	free(ipend);
	free(nload);
	free(npend);
}

static void
deliver_next(struct sim *m)
{
	size_t i, best = 0;
	struct simev e;
	struct sched_event se = {0};

	for (i = 1; i < m->nev; i++)
		if (m->ev[i].at < m->ev[best].at)
			best = i;
	e = m->ev[best];
	m->ev[best] = m->ev[--m->nev];
	if (e.at > m->now)
		m->now = e.at;
	/* a timeout due before this event fires first */
	if (sched_seq_next_deadline(m->s) <= m->now)
		sched_seq_tick(m->s, m->v, m->now, &m->out);
	if (sched_view_instance(m->v, e.inst)->state != SCHED_INST_RUNNING)
		return;
	se.state = e.state;
	se.expected_exit = e.expected;
	se.pid = 1;
	sched_view_process_event(m->v, e.proc, e.inst, &se, m->now);
	sched_seq_process_event(m->s, m->v, e.proc, e.inst, m->now, &m->out);
	if (e.state == SCHED_PROC_FATAL ||
	    (e.state == SCHED_PROC_EXITED && !e.expected))
		sched_fail_crash(m->q, m->v, e.proc, &m->out);
}

static void
command(struct sim *m)
{
	uint32_t napps = (uint32_t)sched_view_napps(m->v);
	uint32_t np = (uint32_t)sched_view_nprocesses(m->v);
	uint32_t ni = (uint32_t)sched_view_ninstances(m->v);

	switch (rnd(12)) {
	case 0:
	case 1:
	case 2:
		sched_seq_start_app(m->s, m->v, rnd(napps),
				    rnd(2) ? SCHED_STRATEGY_DEFAULT
					   : (enum rl_strategy)rnd(6),
				    m->now, &m->out, NULL);
		break;
	case 3:
		sched_seq_stop_app(m->s, m->v, rnd(napps), m->now, &m->out,
				   NULL);
		break;
	case 4:
		sched_seq_restart_app(m->s, m->v, rnd(napps),
				      SCHED_STRATEGY_DEFAULT, m->now, &m->out,
				      NULL);
		break;
	case 5:
		sched_seq_start_process(m->s, m->v, rnd(np),
					(enum rl_strategy)rnd(6),
					rnd(3) ? SCHED_NONE : rnd(ni), m->now,
					&m->out, NULL);
		break;
	case 6:
		sched_seq_stop_process(m->s, m->v, rnd(np), m->now, &m->out,
				       NULL);
		break;
	case 7:
		if (sched_seq_idle(m->s))
			sched_seq_start_all(m->s, m->v, m->now, &m->out, NULL);
		break;
	case 8:
		sched_fail_run(m->q, m->s, m->v, m->now, &m->out);
		break;
	case 9:
		sched_conciliate_all(m->v, m->s, m->q,
				     (enum rl_conciliation)rnd(6), m->now,
				     &m->out);
		break;
	case 10: {
		/* an instance is lost (never the local one), or comes back */
		uint32_t inst = 1 + rnd(ni - 1);
		const struct sched_instance *in = sched_view_instance(m->v,
								      inst);
		if (in->state == SCHED_INST_RUNNING && rnd(4) == 0) {
			uint32_t lost[512];
			size_t n;
			sched_view_set_instance_state(m->v, inst,
						      SCHED_INST_FAILED, false);
			n = sched_view_lose_instance(m->v, inst, m->now, lost);
			sched_seq_instance_lost(m->s, m->v, inst, m->now,
						&m->out);
			sched_fail_instance_lost(m->q, m->v, lost, n);
		} else if (in->state != SCHED_INST_RUNNING) {
			sched_view_set_instance_state(m->v, inst,
						      SCHED_INST_RUNNING, false);
		}
		break;
	}
	default: {
		struct sched_plan plan = SCHED_PLAN_INIT;
		struct sched_seq_conf c;
		size_t before = sched_view_nreservations(m->v);
		sched_seq_conf_default(&c, ni);
		sched_seq_plan(m->v, &c, rnd(napps), SCHED_NONE,
			       SCHED_STRATEGY_DEFAULT, &plan);
		sched_plan_done(&plan);
		if (sched_view_nreservations(m->v) != before)
			m->violations++;
		break;
	}
	}
}

static void
build(struct sim *m)
{
	static const char *const machines[] = {"A,A,B", "A,B,C,D",
					       "A,A,A,B,B", "A,B,B,C,C,D"};
	const char *mach = machines[rnd(ARRAY_SIZE(machines))];
	unsigned ni = 1, napps = 2 + rnd(4), a, k;
	const char *p;

	for (p = mach; *p; p++)
		ni += *p == ',';
	m->v = fx_view(ni, mach);
	for (a = 0; a < napps; a++) {
		unsigned nprog = 1 + rnd(4);
		struct rl_application *ra = fx_app(fx_str("app%u", a),
						   (enum rl_distribution)rnd(3),
						   nprog);
		ra->starting_strategy = (enum rl_strategy)rnd(6);
		ra->start_sequence = rnd(3);
		ra->stop_sequence = rnd(3);
		if (rnd(3) == 0)
			fx_ids(&ra->identifiers, "n2,n1,n3");
		for (k = 0; k < nprog; k++) {
			struct rl_program *pg =
				fx_prog(ra, k, fx_str("p%u", k), 1 + rnd(3),
					rnd(4), rnd(45));
			pg->required = rnd(3) == 0;
			pg->wait_exit = rnd(6) == 0;
			pg->wait_exit_timeout_ms = rnd(2) ? 0 : 4000;
			pg->starting_failure_strategy =
				(enum rl_starting_failure)rnd(3);
			pg->running_failure_strategy =
				(enum rl_running_failure)rnd(4);
			switch (rnd(6)) {
			case 0:
				fx_ids(&pg->identifiers, "#");
				break;
			case 1:
				fx_ids(&pg->identifiers, "@,n1,n2");
				break;
			case 2:
				fx_ids(&pg->identifiers, "n3,n1");
				break;
			default:
				break;
			}
		}
		sched_view_add_application(m->v, ra, NULL);
	}
	m->s = sched_seq_new(NULL);
	m->q = sched_failq_new();
}

static void
test_random_runs(void)
{
	unsigned run;

	for (run = 0; run < 200; run++) {
		struct sim m = {0};
		unsigned step;

		seed = 1000 + run;
		build(&m);
		for (step = 0; step < 300; step++) {
			if (m.nev == 0 || rnd(3) == 0)
				command(&m);
			else
				deliver_next(&m);
			carry_out(&m);
			check(&m);
		}
		/* drain: deliver everything, then let every deadline pass */
		while (m.nev || !sched_seq_idle(m.s)) {
			if (m.nev) {
				deliver_next(&m);
			} else {
				int64_t d = sched_seq_next_deadline(m.s);
				if (d == INT64_MAX)
					break; /* wait_exit with no timeout */
				m.now = d;
				sched_seq_tick(m.s, m.v, m.now, &m.out);
			}
			carry_out(&m);
			check(&m);
		}
		if (!sched_seq_idle(m.s)) {
			/* only a wait_exit without timeout may wait forever */
			sched_seq_abort(m.s, m.v);
		}
		if (m.violations)
			fprintf(stderr, "run %u (seed %u): %u violations\n",
				run, 1000 + run, m.violations);
		ASSERT_INT_EQ(m.violations, 0);
		ASSERT_INT_EQ(sched_view_nreservations(m.v), 0);
		sched_failq_free(m.q);
		sched_seq_free(m.s);
		sched_view_free(m.v);
		sched_actions_done(&m.out);
		free(m.ev);
		fx_reset();
	}
}

static const struct test_case cases[] = {
	{"random runs", test_random_runs},
};

int
main(int argc, char **argv)
{
	return test_main(argc, argv, "sched_sim", cases, ARRAY_SIZE(cases));
}
