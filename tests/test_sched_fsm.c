/*
 * sched/fsm: the cluster state machine driven with explicit time, views
 * built by hand and the records the other instances would publish.  Each
 * case plays one instance of a small cluster (n1, n2, ... in id order
 * unless it names them otherwise) and checks the state, the master and
 * the exact SCHED_FSM_DO_* bits of every step against
 * reference/supvisors.md 2.2 and the deliberate changes of fsm.h.
 */
#include <errno.h>
#include <stdlib.h>

#include "sched/fsm.h"
#include "sched/view.h"
#include "tests/lib/testlib.h"

#define PUB SCHED_FSM_DO_PUBLISH
#define ABORT SCHED_FSM_DO_ABORT
#define START SCHED_FSM_DO_START_ALL
#define STOP SCHED_FSM_DO_STOP_ALL
#define FAIL SCHED_FSM_DO_FAILURES
#define CONCIL SCHED_FSM_DO_CONCILIATE
#define FINAL SCHED_FSM_DO_FINAL

#define OFF SCHED_CS_OFF
#define SYNC SCHED_CS_SYNCHRONIZATION
#define ELEC SCHED_CS_ELECTION
#define DIST SCHED_CS_DISTRIBUTION
#define OPER SCHED_CS_OPERATION
#define CONC SCHED_CS_CONCILIATION
#define RSTG SCHED_CS_RESTARTING
#define SHUT SCHED_CS_SHUTTING_DOWN
#define FIN SCHED_CS_FINAL

static const struct sched_fsm_work idle = {true, false, false};
static const struct sched_fsm_work busy = {false, false, false};
static const struct sched_fsm_work idle_conflicts = {true, true, false};
static const struct sched_fsm_work busy_conflicts = {false, true, false};
static const struct sched_fsm_work idle_conflicts_user = {true, true, true};

struct tf {
	struct sched_view *v;
	struct sched_fsm *f;
	struct sched_fsm_conf c;
	uint32_t core[8];
};

/* NAMES ("n1,n2,n3"): the instances in id order, all RUNNING, the
 * LOCAL-th one local; synchro SYNCHRO, Supvisors' default times (15 s),
 * failure strategy CONTINUE, no core.  tf_new() starts the machine. */
static void
tf_init(struct tf *t, const char *names, unsigned local, unsigned synchro)
{
	char *copy = xstrdup(names), *save = NULL, *tok;
	unsigned i = 0;

	memset(t, 0, sizeof(*t));
	t->v = sched_view_new();
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save), i++) {
		uint32_t id;

		CU_ASSERT_FATAL(sched_view_add_instance(t->v, tok, tok,
							i == local, &id) == 0);
		sched_view_set_instance_state(t->v, id, SCHED_INST_RUNNING,
					      false);
	}
	free(copy);
	t->c.synchro = synchro;
	t->c.synchro_timeout_ms = 15000;
	t->c.core_min_ms = 15000;
	t->c.failure_strategy = RL_CLUSTER_FAILURE_CONTINUE;
	t->c.core = t->core;
}

static uint32_t
id(const struct tf *t, const char *name)
{
	uint32_t i;

	if (name == NULL)
		return SCHED_NONE;
	i = sched_view_find_instance(t->v, name);
	CU_ASSERT_FATAL(i != SCHED_NONE);
	return i;
}

/* Core instances, comma separated (before tf_new). */
static void
tf_core(struct tf *t, const char *names)
{
	char *copy = xstrdup(names), *save = NULL, *tok;

	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save))
		t->core[t->c.ncore++] = id(t, tok);
	free(copy);
}

static void
tf_new(struct tf *t, int64_t now)
{
	t->f = sched_fsm_new(&t->c, t->v, now);
}

static void
tf_done(struct tf *t)
{
	sched_fsm_free(t->f);
	sched_view_free(t->v);
}

static void
set(struct tf *t, const char *name, enum sched_inst_state s)
{
	sched_view_set_instance_state(t->v, id(t, name), s, false);
}

/* NAME publishes CS and MASTER, with a stable view agreeing with ours. */
static void
rec(struct tf *t, const char *name, enum sched_cstate cs, const char *master)
{
	struct sched_fsm_peer p = {
		.state = cs,
		.master = id(t, master),
		.stable = true,
		.running = sched_fsm_running_hash(t->v),
	};

	sched_fsm_set_peer(t->f, id(t, name), &p);
}

/* Every other RUNNING instance publishes CS and MASTER. */
static void
rec_all(struct tf *t, enum sched_cstate cs, const char *master)
{
	for (uint32_t i = 0; i < sched_view_ninstances(t->v); i++) {
		const struct sched_instance *in = sched_view_instance(t->v, i);

		if (!in->local && in->state == SCHED_INST_RUNNING)
			rec(t, in->name, cs, master);
	}
}

static unsigned
step(struct tf *t, const struct sched_fsm_work *w, int64_t now)
{
	return sched_fsm_step(t->f, t->v, w, now);
}

static const char *
master_name(const struct tf *t)
{
	uint32_t m = sched_fsm_master(t->f);

	return m == SCHED_NONE ? "(none)" : sched_view_instance(t->v, m)->name;
}

/* Synchronizes (every instance RUNNING and agreeing, so STRICT, LIST and
 * CORE hold once core_min_ms has passed) and elects MASTER, the one the
 * election must choose; ends in DISTRIBUTION (master or slave). */
static void
elect(struct tf *t, const char *master, int64_t now)
{
	const char *local =
		sched_view_instance(t->v, sched_view_local(t->v))->name;
	unsigned bits;

	step(t, &idle, now);
	rec_all(t, SYNC, NULL);
	step(t, &idle, now);
	ASSERT_INT_EQ(sched_fsm_state(t->f), ELEC);
	ASSERT_STR_EQ(master_name(t), master);
	rec_all(t, ELEC, master);
	bits = step(t, &idle, now);
	if (strcmp(local, master) == 0) {
		ASSERT_INT_EQ(bits, PUB | START);
		ASSERT_INT_EQ(sched_fsm_state(t->f), DIST);
		ASSERT_TRUE(sched_fsm_is_master(t->f));
		return;
	}
	/* a slave waits for the master to move */
	ASSERT_INT_EQ(bits, 0);
	ASSERT_INT_EQ(sched_fsm_state(t->f), ELEC);
	rec(t, master, DIST, master);
	ASSERT_INT_EQ(step(t, &idle, now), PUB);
	ASSERT_INT_EQ(sched_fsm_state(t->f), DIST);
	ASSERT_FALSE(sched_fsm_is_master(t->f));
}

/* elect() then OPERATION (the master's start sequence done, or the
 * master publishing OPERATION). */
static void
operate(struct tf *t, const char *master, int64_t now)
{
	const char *local =
		sched_view_instance(t->v, sched_view_local(t->v))->name;

	elect(t, master, now);
	if (strcmp(local, master) != 0) {
		rec(t, master, OPER, master);
		ASSERT_INT_EQ(step(t, &idle, now), PUB);
	} else {
		ASSERT_INT_EQ(step(t, &idle, now), FAIL | PUB);
	}
	ASSERT_INT_EQ(sched_fsm_state(t->f), OPER);
	rec_all(t, OPER, master);
}

/* ------------------------------------------------------------ tables */

static void
test_names(void)
{
	static const char *const names[] = {
		"OFF",	      "SYNCHRONIZATION", "ELECTION",
		"DISTRIBUTION", "OPERATION",	   "CONCILIATION",
		"RESTARTING", "SHUTTING_DOWN",	 "FINAL",
	};

	for (int s = 0; s < _SCHED_CS_MAX; s++) {
		ASSERT_STR_EQ(sched_cstate_to_string(s), names[s]);
		ASSERT_INT_EQ(sched_cstate_from_string(names[s]), s);
	}
	ASSERT_INT_EQ(_SCHED_CS_MAX, 9);
	ASSERT_INT_EQ(sched_cstate_from_string("operation"), OPER);
	ASSERT_INT_EQ(sched_cstate_from_string("RUNNING"), -EINVAL);
	ASSERT_INT_EQ(sched_cstate_from_string(""), -EINVAL);
	ASSERT_STR_EQ(sched_cstate_to_string(_SCHED_CS_MAX), "?");
	ASSERT_STR_EQ(sched_cstate_to_string((enum sched_cstate)-1), "?");
}

/* Supvisors' table (reference/supvisors.md 2.2), row by row, as strings
 * of the reachable states; CONCILIATION -> ELECTION is our addition. */
static void
test_transitions(void)
{
	static const char *const to[_SCHED_CS_MAX] = {
		[SCHED_CS_OFF] = "SYNCHRONIZATION",
		[SCHED_CS_SYNCHRONIZATION] = "OFF ELECTION",
		[SCHED_CS_ELECTION] =
			"OFF SYNCHRONIZATION DISTRIBUTION SHUTTING_DOWN",
		[SCHED_CS_DISTRIBUTION] = "OFF ELECTION OPERATION RESTARTING "
					  "SHUTTING_DOWN",
		[SCHED_CS_OPERATION] = "OFF SYNCHRONIZATION ELECTION "
				       "CONCILIATION RESTARTING SHUTTING_DOWN",
		[SCHED_CS_CONCILIATION] = "OFF SYNCHRONIZATION ELECTION "
					  "OPERATION RESTARTING SHUTTING_DOWN",
		[SCHED_CS_RESTARTING] = "FINAL",
		[SCHED_CS_SHUTTING_DOWN] = "FINAL",
		[SCHED_CS_FINAL] = "",
	};

	for (int a = 0; a < _SCHED_CS_MAX; a++) {
		char got[256] = "";

		for (int b = 0; b < _SCHED_CS_MAX; b++) {
			if (!sched_cstate_allowed(a, b))
				continue;
			if (got[0] != '\0')
				strcat(got, " ");
			strcat(got, sched_cstate_to_string(b));
		}
		ASSERT_STR_EQ(got, to[a]);
	}
	/* the documented change, and bad input */
	ASSERT_TRUE(sched_cstate_allowed(CONC, ELEC));
	ASSERT_FALSE(sched_cstate_allowed(_SCHED_CS_MAX, OFF));
	ASSERT_FALSE(sched_cstate_allowed(OFF, _SCHED_CS_MAX));
	ASSERT_FALSE(sched_cstate_allowed((enum sched_cstate)-1, OFF));
}

/* ------------------------------------------------------------ OFF */

static void
test_off(void)
{
	struct tf t;
	struct sched_fsm_peer r;

	tf_init(&t, "n1,n2", 0, RL_SYNCHRO_STRICT);
	set(&t, "n1", SCHED_INST_CHECKING);
	tf_new(&t, 0);
	ASSERT_INT_EQ(sched_fsm_state(t.f), OFF);
	ASSERT_STR_EQ(sched_fsm_reason(t.f), "");
	ASSERT_INT_EQ(sched_fsm_master(t.f), SCHED_NONE);
	ASSERT_FALSE(sched_fsm_is_master(t.f));
	/* the local handshake is not done: nothing happens */
	ASSERT_INT_EQ(step(&t, &idle, 100), PUB); /* degraded now */
	ASSERT_INT_EQ(sched_fsm_state(t.f), OFF);
	ASSERT_INT_EQ(step(&t, &idle, 200), 0);
	ASSERT_INT_EQ(sched_fsm_state(t.f), OFF);
	ASSERT_TRUE(sched_fsm_may_activate(t.f));
	sched_fsm_record(t.f, t.v, &r);
	ASSERT_TRUE(r.known);
	ASSERT_INT_EQ(r.state, OFF);
	ASSERT_INT_EQ(r.master, SCHED_NONE);
	ASSERT_FALSE(r.stable);

	/* RUNNING: SYNCHRONIZATION aborts every job on entry and stays
	 * there while n2 has published nothing */
	set(&t, "n1", SCHED_INST_RUNNING);
	ASSERT_INT_EQ(step(&t, &idle, 300), PUB | ABORT);
	ASSERT_INT_EQ(sched_fsm_state(t.f), SYNC);
	ASSERT_STR_EQ(sched_fsm_reason(t.f), "local instance RUNNING");
	ASSERT_FALSE(sched_fsm_degraded(t.f));
	ASSERT_TRUE(sched_fsm_may_activate(t.f));
	ASSERT_INT_EQ(step(&t, &idle, 400), 0);
	ASSERT_INT_EQ(sched_fsm_state(t.f), SYNC);

	/* any state after OFF: the local instance down -> OFF */
	set(&t, "n1", SCHED_INST_FAILED);
	ASSERT_INT_EQ(step(&t, &idle, 500), PUB);
	ASSERT_INT_EQ(sched_fsm_state(t.f), OFF);
	ASSERT_STR_EQ(sched_fsm_reason(t.f), "local instance down");
	tf_done(&t);

	/* also from OPERATION, and back through SYNCHRONIZATION */
	tf_init(&t, "n1,n2", 0, RL_SYNCHRO_STRICT);
	tf_new(&t, 0);
	operate(&t, "n1", 0);
	set(&t, "n1", SCHED_INST_STOPPED);
	ASSERT_INT_EQ(step(&t, &idle, 10) & ~(unsigned)PUB, 0);
	ASSERT_INT_EQ(sched_fsm_state(t.f), OFF);
	ASSERT_FALSE(sched_fsm_is_master(t.f));
	set(&t, "n1", SCHED_INST_RUNNING);
	ASSERT_TRUE(step(&t, &idle, 20) & ABORT);
	ASSERT_TRUE(sched_fsm_state(t.f) >= SYNC);
	tf_done(&t);
}

/* ------------------------------------------------------------ synchro */

/* STRICT and LIST: every instance RUNNING, in a view every RUNNING
 * instance agrees on. */
static void
test_strict_list(void)
{
	static const unsigned opts[] = {RL_SYNCHRO_STRICT, RL_SYNCHRO_LIST};
	static const char *const why[] = {"synchro option STRICT met",
					  "synchro option LIST met"};

	for (int k = 0; k < 2; k++) {
		struct tf t;

		tf_init(&t, "n1,n2,n3", 0, opts[k]);
		set(&t, "n3", SCHED_INST_STOPPED);
		tf_new(&t, 0);
		ASSERT_INT_EQ(step(&t, &idle, 0), PUB | ABORT);
		ASSERT_TRUE(sched_fsm_degraded(t.f));
		rec(&t, "n2", SYNC, NULL);
		ASSERT_INT_EQ(step(&t, &idle, 100000), 0);
		ASSERT_INT_EQ(sched_fsm_state(t.f), SYNC);

		/* n3 RUNNING: n2's record is about the old set, and n3
		 * has published nothing */
		set(&t, "n3", SCHED_INST_RUNNING);
		ASSERT_INT_EQ(step(&t, &idle, 100001), PUB); /* degraded */
		ASSERT_FALSE(sched_fsm_degraded(t.f));
		ASSERT_INT_EQ(sched_fsm_state(t.f), SYNC);
		rec(&t, "n3", SYNC, NULL);
		ASSERT_INT_EQ(step(&t, &idle, 100002), 0);
		ASSERT_INT_EQ(sched_fsm_state(t.f), SYNC);
		rec(&t, "n2", SYNC, NULL);
		/* ELECTION, and the election at once: n1 declared */
		ASSERT_INT_EQ(step(&t, &idle, 100003), PUB | ABORT);
		ASSERT_INT_EQ(sched_fsm_state(t.f), ELEC);
		ASSERT_STR_EQ(sched_fsm_reason(t.f), why[k]);
		ASSERT_STR_EQ(master_name(&t), "n1");
		ASSERT_FALSE(sched_fsm_is_master(t.f));
		tf_done(&t);
	}
}

static void
test_timeout(void)
{
	struct tf t;

	/* exact boundary, counted from the machine's creation */
	tf_init(&t, "n1,n2,n3", 0, RL_SYNCHRO_TIMEOUT);
	t.c.synchro_timeout_ms = 15000;
	set(&t, "n2", SCHED_INST_STOPPED);
	set(&t, "n3", SCHED_INST_STOPPED);
	tf_new(&t, 1000);
	ASSERT_INT_EQ(step(&t, &idle, 1000), PUB | ABORT);
	ASSERT_INT_EQ(sched_fsm_state(t.f), SYNC);
	ASSERT_FALSE(sched_fsm_degraded(t.f)); /* TIMEOUT never degrades */
	ASSERT_INT_EQ(step(&t, &idle, 15999), 0);
	ASSERT_INT_EQ(sched_fsm_state(t.f), SYNC);
	/* alone: elected at once, DISTRIBUTION with the start */
	ASSERT_INT_EQ(step(&t, &idle, 16000), PUB | ABORT | START);
	ASSERT_INT_EQ(sched_fsm_state(t.f), DIST);
	ASSERT_STR_EQ(sched_fsm_reason(t.f), "n1 elected");
	ASSERT_STR_EQ(master_name(&t), "n1");
	ASSERT_TRUE(sched_fsm_is_master(t.f));
	ASSERT_FALSE(sched_fsm_degraded(t.f));
	tf_done(&t);

	/* TIMEOUT does not need the views to agree, the election does */
	tf_init(&t, "n1,n2,n3", 0, RL_SYNCHRO_TIMEOUT);
	t.c.synchro_timeout_ms = 20000;
	set(&t, "n3", SCHED_INST_CHECKING);
	tf_new(&t, 0);
	step(&t, &idle, 0);
	ASSERT_INT_EQ(step(&t, &idle, 19999), 0);
	ASSERT_INT_EQ(sched_fsm_state(t.f), SYNC);
	ASSERT_INT_EQ(step(&t, &idle, 20000), PUB | ABORT);
	ASSERT_INT_EQ(sched_fsm_state(t.f), ELEC);
	ASSERT_STR_EQ(sched_fsm_reason(t.f), "synchro option TIMEOUT met");
	ASSERT_INT_EQ(sched_fsm_master(t.f), SCHED_NONE);
	tf_done(&t);
}

static void
test_core(void)
{
	struct tf t;

	/* the core RUNNING and agreed, and core_min_ms */
	tf_init(&t, "n1,n2,n3", 0, RL_SYNCHRO_CORE);
	tf_core(&t, "n3");
	t.c.core_min_ms = 15000;
	set(&t, "n2", SCHED_INST_STOPPED);
	tf_new(&t, 0);
	ASSERT_INT_EQ(step(&t, &idle, 0), PUB | ABORT);
	ASSERT_FALSE(sched_fsm_degraded(t.f)); /* n2 is not core */
	ASSERT_INT_EQ(step(&t, &idle, 15000), 0); /* n3: no record yet */
	ASSERT_INT_EQ(sched_fsm_state(t.f), SYNC);
	rec(&t, "n3", SYNC, NULL);
	ASSERT_INT_EQ(step(&t, &idle, 14999), 0);
	ASSERT_INT_EQ(sched_fsm_state(t.f), SYNC);
	ASSERT_INT_EQ(step(&t, &idle, 15000), PUB | ABORT);
	ASSERT_INT_EQ(sched_fsm_state(t.f), ELEC);
	ASSERT_STR_EQ(sched_fsm_reason(t.f), "synchro option CORE met");
	/* the core instance wins the election over the lower n1 */
	ASSERT_STR_EQ(master_name(&t), "n3");
	tf_done(&t);

	/* the core not RUNNING: degraded, no end however long */
	tf_init(&t, "n1,n2,n3", 0, RL_SYNCHRO_CORE);
	tf_core(&t, "n2,n3");
	set(&t, "n3", SCHED_INST_STOPPED);
	tf_new(&t, 0);
	ASSERT_INT_EQ(step(&t, &idle, 0), PUB | ABORT);
	ASSERT_TRUE(sched_fsm_degraded(t.f));
	rec(&t, "n2", SYNC, NULL);
	ASSERT_INT_EQ(step(&t, &idle, 1000000), 0);
	ASSERT_INT_EQ(sched_fsm_state(t.f), SYNC);
	set(&t, "n3", SCHED_INST_RUNNING);
	rec_all(&t, SYNC, NULL);
	ASSERT_INT_EQ(step(&t, &idle, 1000001), PUB | ABORT);
	ASSERT_FALSE(sched_fsm_degraded(t.f));
	ASSERT_INT_EQ(sched_fsm_state(t.f), ELEC);
	ASSERT_STR_EQ(master_name(&t), "n2"); /* lowest core */
	tf_done(&t);
}

static void
test_user(void)
{
	struct tf t;

	/* end_sync's errors */
	tf_init(&t, "n1,n2,n3", 1, RL_SYNCHRO_STRICT);
	tf_new(&t, 0);
	ASSERT_INT_EQ(sched_fsm_end_sync(t.f, t.v, SCHED_NONE), -ENOTSUP);
	tf_done(&t);

	/* the user chooses: the election's choice (core first) */
	tf_init(&t, "n1,n2,n3", 1, RL_SYNCHRO_USER);
	tf_core(&t, "n3");
	set(&t, "n1", SCHED_INST_STOPPED);
	tf_new(&t, 0);
	ASSERT_INT_EQ(step(&t, &idle, 0), PUB | ABORT);
	rec_all(&t, SYNC, NULL);
	ASSERT_INT_EQ(step(&t, &idle, 1000000), 0);
	ASSERT_INT_EQ(sched_fsm_state(t.f), SYNC);
	ASSERT_INT_EQ(sched_fsm_end_sync(t.f, t.v, id(&t, "n1")), -EINVAL);
	ASSERT_INT_EQ(sched_fsm_end_sync(t.f, t.v, 99), -EINVAL);
	ASSERT_INT_EQ(sched_fsm_master(t.f), SCHED_NONE);
	ASSERT_INT_EQ(sched_fsm_end_sync(t.f, t.v, SCHED_NONE), 0);
	ASSERT_STR_EQ(master_name(&t), "n3");
	ASSERT_INT_EQ(step(&t, &idle, 1000001), PUB | ABORT);
	ASSERT_INT_EQ(sched_fsm_state(t.f), ELEC);
	ASSERT_STR_EQ(sched_fsm_reason(t.f), "synchro option USER met");
	ASSERT_STR_EQ(master_name(&t), "n3");
	ASSERT_INT_EQ(sched_fsm_end_sync(t.f, t.v, SCHED_NONE), -EALREADY);
	rec(&t, "n3", DIST, "n3");
	ASSERT_INT_EQ(step(&t, &idle, 1000002), PUB);
	ASSERT_INT_EQ(sched_fsm_state(t.f), DIST);
	tf_done(&t);

	/* the user chooses any RUNNING instance, not the election's */
	tf_init(&t, "n1,n2,n3", 0, RL_SYNCHRO_USER);
	tf_new(&t, 0);
	step(&t, &idle, 0);
	rec_all(&t, SYNC, NULL);
	ASSERT_INT_EQ(sched_fsm_end_sync(t.f, t.v, id(&t, "n2")), 0);
	ASSERT_INT_EQ(step(&t, &idle, 1), PUB | ABORT);
	ASSERT_STR_EQ(master_name(&t), "n2");
	tf_done(&t);

	/* a peer declaring a RUNNING master ends the synchronization;
	 * one declaring a master that is not RUNNING does not */
	tf_init(&t, "n1,n2,n3,n4", 0, RL_SYNCHRO_USER);
	set(&t, "n4", SCHED_INST_STOPPED);
	tf_new(&t, 0);
	step(&t, &idle, 0);
	rec_all(&t, SYNC, NULL);
	rec(&t, "n2", SYNC, "n4");
	ASSERT_INT_EQ(step(&t, &idle, 1000000), 0);
	ASSERT_INT_EQ(sched_fsm_state(t.f), SYNC);
	rec(&t, "n2", SYNC, "n3");
	ASSERT_INT_EQ(step(&t, &idle, 1000001), PUB | ABORT);
	ASSERT_INT_EQ(sched_fsm_state(t.f), ELEC);
	ASSERT_STR_EQ(sched_fsm_reason(t.f), "synchro option USER met");
	ASSERT_STR_EQ(master_name(&t), "n3");
	tf_done(&t);
}

/* An instance (re)joining a cluster whose master already works joins it
 * at once, whatever its own synchro options say. */
static void
test_join_working(void)
{
	static const enum sched_cstate working[] = {DIST, OPER, CONC};

	for (int k = 0; k < 3; k++) {
		struct tf t;
		unsigned bits;

		/* STRICT cannot hold: n4 is STOPPED */
		tf_init(&t, "n1,n2,n3,n4", 0, RL_SYNCHRO_STRICT);
		set(&t, "n4", SCHED_INST_STOPPED);
		tf_new(&t, 0);
		step(&t, &idle, 0);
		rec_all(&t, working[k], "n2");
		bits = step(&t, &idle, 10);
		/* n2 is kept although n1 is lower; the slave follows it
		 * to its state within the same step */
		ASSERT_STR_EQ(master_name(&t), "n2");
		ASSERT_INT_EQ(sched_fsm_state(t.f), working[k]);
		ASSERT_INT_EQ(bits, PUB | ABORT);
		ASSERT_FALSE(sched_fsm_is_master(t.f));
		tf_done(&t);
	}

	/* a master still electing or synchronizing is not joined */
	{
		struct tf t;

		tf_init(&t, "n1,n2,n3,n4", 0, RL_SYNCHRO_STRICT);
		set(&t, "n4", SCHED_INST_STOPPED);
		tf_new(&t, 0);
		step(&t, &idle, 0);
		rec_all(&t, ELEC, "n2");
		ASSERT_INT_EQ(step(&t, &idle, 10), 0);
		ASSERT_INT_EQ(sched_fsm_state(t.f), SYNC);
		/* nor one that is not RUNNING here */
		rec_all(&t, OPER, "n4");
		ASSERT_INT_EQ(step(&t, &idle, 20), 0);
		ASSERT_INT_EQ(sched_fsm_state(t.f), SYNC);
		tf_done(&t);
	}

	/* nor while our own conditions are lost and the failure strategy
	 * would act on them at once: wait for them instead */
	for (int k = 0; k < 2; k++) {
		struct tf t;

		tf_init(&t, "n1,n2,n3,n4", 0, RL_SYNCHRO_STRICT);
		t.c.failure_strategy = k == 0 ? RL_CLUSTER_FAILURE_SHUTDOWN
					      : RL_CLUSTER_FAILURE_RESYNC;
		set(&t, "n4", SCHED_INST_STOPPED);
		tf_new(&t, 0);
		step(&t, &idle, 0);
		rec_all(&t, OPER, "n2");
		ASSERT_INT_EQ(step(&t, &idle, 10), 0);
		ASSERT_INT_EQ(sched_fsm_state(t.f), SYNC);
		set(&t, "n4", SCHED_INST_RUNNING);
		rec_all(&t, OPER, "n2");
		ASSERT_INT_EQ(step(&t, &idle, 20), PUB | ABORT);
		ASSERT_INT_EQ(sched_fsm_state(t.f), OPER);
		ASSERT_STR_EQ(master_name(&t), "n2");
		tf_done(&t);
	}
}

/* ------------------------------------------------------------ election */

/* Anything that makes the views disagree holds the election. */
static void
test_views_disagree(void)
{
	static const enum sched_inst_state unstable[] = {
		SCHED_INST_CHECKING, SCHED_INST_CHECKED, SCHED_INST_FAILED};
	struct tf t;
	struct sched_fsm_peer p;
	uint64_t h;

	tf_init(&t, "n1,n2,n3,n4", 0, RL_SYNCHRO_TIMEOUT);
	t.c.synchro_timeout_ms = 0;
	tf_new(&t, 0);
	ASSERT_INT_EQ(step(&t, &idle, 0), PUB | ABORT);
	ASSERT_INT_EQ(sched_fsm_state(t.f), ELEC);
	rec_all(&t, SYNC, NULL);

	/* an instance in a transient state in our view */
	for (int k = 0; k < 3; k++) {
		set(&t, "n4", unstable[k]);
		rec_all(&t, SYNC, NULL);
		ASSERT_INT_EQ(step(&t, &idle, 1), 0);
		ASSERT_INT_EQ(sched_fsm_master(t.f), SCHED_NONE);
		sched_fsm_record(t.f, t.v, &p);
		ASSERT_FALSE(p.stable);
	}
	set(&t, "n4", SCHED_INST_ISOLATED);
	sched_fsm_record(t.f, t.v, &p);
	ASSERT_TRUE(p.stable);
	h = p.running;

	/* a peer seeing another RUNNING set */
	rec_all(&t, SYNC, NULL);
	p = (struct sched_fsm_peer){.state = SYNC, .master = SCHED_NONE,
				    .stable = true, .running = h ^ 1};
	sched_fsm_set_peer(t.f, id(&t, "n3"), &p);
	ASSERT_INT_EQ(step(&t, &idle, 2), 0);
	ASSERT_INT_EQ(sched_fsm_master(t.f), SCHED_NONE);

	/* a peer whose own view is not stable */
	p.running = h;
	p.stable = false;
	sched_fsm_set_peer(t.f, id(&t, "n3"), &p);
	ASSERT_INT_EQ(step(&t, &idle, 3), 0);
	ASSERT_INT_EQ(sched_fsm_master(t.f), SCHED_NONE);

	/* a RUNNING peer whose record is unknown (or forgotten) */
	rec_all(&t, SYNC, NULL);
	sched_fsm_forget_peer(t.f, id(&t, "n2"));
	ASSERT_FALSE(sched_fsm_peer(t.f, id(&t, "n2"))->known);
	ASSERT_INT_EQ(step(&t, &idle, 4), 0);
	ASSERT_INT_EQ(sched_fsm_master(t.f), SCHED_NONE);

	/* the record of an instance not RUNNING does not matter */
	set(&t, "n2", SCHED_INST_STOPPED);
	rec_all(&t, SYNC, NULL);
	p.stable = false;
	p.running = 0;
	sched_fsm_set_peer(t.f, id(&t, "n4"), &p);
	ASSERT_INT_EQ(step(&t, &idle, 5), PUB);
	ASSERT_STR_EQ(master_name(&t), "n1");
	ASSERT_INT_EQ(sched_fsm_state(t.f), ELEC);
	tf_done(&t);
}

/* The lowest name, not the lowest id; core instances first. */
static void
test_election_order(void)
{
	struct tf t;

	tf_init(&t, "nc,na,nb", 0, RL_SYNCHRO_STRICT);
	tf_new(&t, 0);
	elect(&t, "na", 0);
	ASSERT_STR_EQ(sched_fsm_reason(t.f), "na elected");
	tf_done(&t);

	tf_init(&t, "nc,na,nb", 2, RL_SYNCHRO_STRICT);
	tf_core(&t, "nc,nb");
	tf_new(&t, 0);
	elect(&t, "nb", 0);
	tf_done(&t);

	/* the master does not move while one instance declares another */
	tf_init(&t, "n1,n2,n3", 0, RL_SYNCHRO_STRICT);
	tf_new(&t, 0);
	step(&t, &idle, 0);
	rec_all(&t, SYNC, NULL);
	step(&t, &idle, 0);
	ASSERT_STR_EQ(master_name(&t), "n1");
	rec(&t, "n2", ELEC, "n1");
	ASSERT_INT_EQ(step(&t, &idle, 1), 0);
	ASSERT_INT_EQ(sched_fsm_state(t.f), ELEC);
	rec(&t, "n3", ELEC, "n1");
	ASSERT_INT_EQ(step(&t, &idle, 2), PUB | START);
	ASSERT_INT_EQ(sched_fsm_state(t.f), DIST);
	tf_done(&t);
}

/* A lower-named instance joining does not dethrone the working master;
 * the master goes through ELECTION and DISTRIBUTION again (the repair
 * pass). */
static void
test_join_keeps_master(void)
{
	struct tf t;
	unsigned bits;

	tf_init(&t, "n1,n2,n3", 1, RL_SYNCHRO_STRICT | RL_SYNCHRO_TIMEOUT);
	set(&t, "n1", SCHED_INST_STOPPED);
	tf_new(&t, 0);
	operate(&t, "n2", 15000);
	ASSERT_TRUE(sched_fsm_degraded(t.f));
	ASSERT_TRUE(sched_fsm_is_master(t.f));

	/* n1 comes: its record is unknown at first */
	set(&t, "n1", SCHED_INST_CHECKED);
	ASSERT_INT_EQ(step(&t, &idle, 1), FAIL);
	ASSERT_INT_EQ(sched_fsm_state(t.f), OPER);
	set(&t, "n1", SCHED_INST_RUNNING);
	bits = step(&t, &idle, 2);
	ASSERT_INT_EQ(bits, PUB | ABORT);
	ASSERT_INT_EQ(sched_fsm_state(t.f), ELEC);
	ASSERT_STR_EQ(master_name(&t), "n2");
	ASSERT_FALSE(sched_fsm_degraded(t.f));
	rec(&t, "n1", SYNC, NULL);
	rec(&t, "n3", ELEC, "n2");
	ASSERT_INT_EQ(step(&t, &idle, 3), 0);
	ASSERT_STR_EQ(master_name(&t), "n2");
	rec(&t, "n1", ELEC, "n2");
	ASSERT_INT_EQ(step(&t, &idle, 4), PUB | START);
	ASSERT_INT_EQ(sched_fsm_state(t.f), DIST);
	ASSERT_STR_EQ(master_name(&t), "n2");
	tf_done(&t);

	/* the same seen from the joining n1 */
	tf_init(&t, "n1,n2,n3", 0, RL_SYNCHRO_STRICT);
	tf_new(&t, 0);
	step(&t, &idle, 0);
	rec_all(&t, ELEC, "n2");
	ASSERT_INT_EQ(step(&t, &idle, 1), PUB | ABORT);
	ASSERT_INT_EQ(sched_fsm_state(t.f), ELEC);
	ASSERT_STR_EQ(master_name(&t), "n2");
	rec(&t, "n2", DIST, "n2");
	ASSERT_INT_EQ(step(&t, &idle, 2), PUB);
	ASSERT_INT_EQ(sched_fsm_state(t.f), DIST);
	ASSERT_FALSE(sched_fsm_is_master(t.f));
	tf_done(&t);
}

/* Two partitions heal, each with its master: the lower of the two
 * declared masters wins, not the lowest instance. */
static void
test_partition_heal(void)
{
	struct tf t;
	unsigned bits;

	tf_init(&t, "n1,n2,n3,n4", 2, RL_SYNCHRO_TIMEOUT);
	t.c.synchro_timeout_ms = 0;
	set(&t, "n1", SCHED_INST_STOPPED);
	set(&t, "n2", SCHED_INST_STOPPED);
	tf_new(&t, 0);
	step(&t, &idle, 0);
	rec_all(&t, ELEC, NULL);
	ASSERT_INT_EQ(step(&t, &idle, 1), PUB);
	ASSERT_STR_EQ(master_name(&t), "n3");
	rec_all(&t, ELEC, "n3");
	ASSERT_INT_EQ(step(&t, &idle, 2), PUB | START);
	ASSERT_INT_EQ(step(&t, &idle, 3), FAIL | PUB);
	ASSERT_INT_EQ(sched_fsm_state(t.f), OPER);

	/* the other half: n1 and n2 under n2 */
	set(&t, "n1", SCHED_INST_RUNNING);
	set(&t, "n2", SCHED_INST_RUNNING);
	rec(&t, "n1", OPER, "n2");
	rec(&t, "n2", OPER, "n2");
	rec(&t, "n4", OPER, "n3");
	bits = step(&t, &idle, 4);
	ASSERT_INT_EQ(bits, PUB | ABORT);
	ASSERT_STR_EQ(sched_fsm_reason(t.f), "masters differ");
	/* n4 still declares n3: n3 waits as a slave */
	ASSERT_INT_EQ(sched_fsm_state(t.f), ELEC);
	ASSERT_STR_EQ(master_name(&t), "n2");
	rec(&t, "n4", ELEC, "n2");
	rec(&t, "n1", ELEC, "n2");
	rec(&t, "n2", ELEC, "n2");
	ASSERT_INT_EQ(step(&t, &idle, 5), 0);
	rec(&t, "n2", DIST, "n2");
	ASSERT_INT_EQ(step(&t, &idle, 6), PUB);
	ASSERT_INT_EQ(sched_fsm_state(t.f), DIST);
	ASSERT_FALSE(sched_fsm_is_master(t.f));
	tf_done(&t);
}

/* ------------------------------------------------------------ working */

static void
test_slave_follows(void)
{
	struct tf t;

	tf_init(&t, "n1,n2,n3", 1, RL_SYNCHRO_STRICT);
	tf_new(&t, 0);
	elect(&t, "n1", 0);
	ASSERT_FALSE(sched_fsm_may_activate(t.f));
	/* the slave never starts, fails over or conciliates */
	ASSERT_INT_EQ(step(&t, &idle_conflicts, 1), 0);
	ASSERT_INT_EQ(sched_fsm_state(t.f), DIST);
	rec(&t, "n1", OPER, "n1");
	ASSERT_INT_EQ(step(&t, &idle_conflicts, 2), PUB);
	ASSERT_INT_EQ(sched_fsm_state(t.f), OPER);
	ASSERT_STR_EQ(sched_fsm_reason(t.f), "following the master");
	ASSERT_TRUE(sched_fsm_may_activate(t.f));
	ASSERT_INT_EQ(step(&t, &idle_conflicts, 3), 0);
	rec(&t, "n1", CONC, "n1");
	ASSERT_INT_EQ(step(&t, &idle_conflicts, 4), PUB);
	ASSERT_INT_EQ(sched_fsm_state(t.f), CONC);
	rec(&t, "n1", OPER, "n1");
	ASSERT_INT_EQ(step(&t, &idle, 5), PUB);
	ASSERT_INT_EQ(sched_fsm_state(t.f), OPER);
	ASSERT_INT_EQ(sched_fsm_request(t.f, SHUT, NULL), -EPERM);
	ASSERT_INT_EQ(sched_fsm_request(t.f, RSTG, NULL), -EPERM);
	/* the master stops: the slave aborts, does not stop anything */
	rec(&t, "n1", SHUT, "n1");
	ASSERT_INT_EQ(step(&t, &busy, 6), PUB | ABORT);
	ASSERT_INT_EQ(sched_fsm_state(t.f), SHUT);
	ASSERT_INT_EQ(sched_fsm_final_kind(t.f), SHUT);
	ASSERT_INT_EQ(step(&t, &idle, 7), 0);
	ASSERT_INT_EQ(sched_fsm_state(t.f), SHUT);
	rec(&t, "n1", FIN, "n1");
	ASSERT_INT_EQ(step(&t, &busy, 8), PUB | FINAL);
	ASSERT_INT_EQ(sched_fsm_state(t.f), FIN);
	ASSERT_STR_EQ(sched_fsm_reason(t.f), "master done");
	/* FINAL is inert, even without the local instance */
	set(&t, "n2", SCHED_INST_STOPPED);
	ASSERT_INT_EQ(step(&t, &idle, 9), PUB); /* degraded */
	ASSERT_INT_EQ(sched_fsm_state(t.f), FIN);
	tf_done(&t);

	/* RESTARTING, then the master gone */
	tf_init(&t, "n1,n2,n3", 1, RL_SYNCHRO_STRICT);
	tf_new(&t, 0);
	operate(&t, "n1", 0);
	rec(&t, "n1", RSTG, "n1");
	ASSERT_INT_EQ(step(&t, &idle, 1), PUB | ABORT);
	ASSERT_INT_EQ(sched_fsm_state(t.f), RSTG);
	ASSERT_INT_EQ(sched_fsm_final_kind(t.f), RSTG);
	set(&t, "n1", SCHED_INST_STOPPED);
	ASSERT_INT_EQ(step(&t, &busy, 2), PUB | FINAL);
	ASSERT_INT_EQ(sched_fsm_state(t.f), FIN);
	ASSERT_STR_EQ(sched_fsm_reason(t.f), "master gone");
	ASSERT_INT_EQ(sched_fsm_final_kind(t.f), RSTG);
	tf_done(&t);

	/* a master already FINAL: SHUTTING_DOWN and FINAL in one step */
	tf_init(&t, "n1,n2,n3", 2, RL_SYNCHRO_STRICT);
	tf_new(&t, 0);
	operate(&t, "n1", 0);
	rec(&t, "n1", FIN, "n1");
	ASSERT_INT_EQ(step(&t, &idle, 1), PUB | ABORT | FINAL);
	ASSERT_INT_EQ(sched_fsm_state(t.f), FIN);
	ASSERT_INT_EQ(sched_fsm_final_kind(t.f), SHUT);
	tf_done(&t);

	/* the master back to ELECTION: the slave follows */
	tf_init(&t, "n1,n2,n3", 1, RL_SYNCHRO_STRICT);
	tf_new(&t, 0);
	operate(&t, "n1", 0);
	rec(&t, "n1", ELEC, "n1");
	ASSERT_INT_EQ(step(&t, &idle, 1), PUB | ABORT);
	ASSERT_INT_EQ(sched_fsm_state(t.f), ELEC);
	ASSERT_STR_EQ(master_name(&t), "n1");
	tf_done(&t);
}

static void
test_master_distribution(void)
{
	struct tf t;

	tf_init(&t, "n1,n2,n3", 0, RL_SYNCHRO_STRICT);
	tf_new(&t, 0);
	elect(&t, "n1", 0); /* checked PUB|START on entry */
	ASSERT_FALSE(sched_fsm_may_activate(t.f));
	/* the start sequence runs: START_ALL only once */
	ASSERT_INT_EQ(step(&t, &busy, 1), FAIL);
	ASSERT_INT_EQ(step(&t, &busy_conflicts, 2), FAIL);
	ASSERT_INT_EQ(sched_fsm_state(t.f), DIST);
	ASSERT_INT_EQ(step(&t, &idle, 3), FAIL | PUB);
	ASSERT_INT_EQ(sched_fsm_state(t.f), OPER);
	ASSERT_STR_EQ(sched_fsm_reason(t.f), "start sequence done");
	ASSERT_TRUE(sched_fsm_may_activate(t.f));
	ASSERT_INT_EQ(step(&t, &idle, 4), FAIL);
	tf_done(&t);
}

static void
test_master_conciliation(void)
{
	struct tf t;

	tf_init(&t, "n1,n2,n3", 0, RL_SYNCHRO_STRICT);
	tf_new(&t, 0);
	operate(&t, "n1", 0);
	/* conflicts while jobs run: wait */
	ASSERT_INT_EQ(step(&t, &busy_conflicts, 1), FAIL);
	ASSERT_INT_EQ(sched_fsm_state(t.f), OPER);
	/* idle: CONCILIATION, and the strategy applied on entry */
	ASSERT_INT_EQ(step(&t, &idle_conflicts, 2), FAIL | PUB | CONCIL);
	ASSERT_INT_EQ(sched_fsm_state(t.f), CONC);
	ASSERT_STR_EQ(sched_fsm_reason(t.f), "conflicts");
	ASSERT_TRUE(sched_fsm_may_activate(t.f));
	ASSERT_INT_EQ(step(&t, &busy_conflicts, 3), FAIL);
	ASSERT_INT_EQ(step(&t, &busy, 4), FAIL);
	ASSERT_INT_EQ(sched_fsm_state(t.f), CONC);
	/* new conflicts once idle: applied again */
	ASSERT_INT_EQ(step(&t, &idle_conflicts, 5), FAIL | CONCIL);
	ASSERT_INT_EQ(step(&t, &idle, 6), FAIL | PUB);
	ASSERT_INT_EQ(sched_fsm_state(t.f), OPER);
	ASSERT_STR_EQ(sched_fsm_reason(t.f), "conflicts resolved");

	/* USER: the machine waits for the user */
	ASSERT_INT_EQ(step(&t, &idle_conflicts_user, 7), FAIL | PUB);
	ASSERT_INT_EQ(sched_fsm_state(t.f), CONC);
	ASSERT_INT_EQ(step(&t, &idle_conflicts_user, 8), FAIL);
	ASSERT_INT_EQ(sched_fsm_state(t.f), CONC);
	ASSERT_INT_EQ(step(&t, &idle, 9), FAIL | PUB);
	ASSERT_INT_EQ(sched_fsm_state(t.f), OPER);
	tf_done(&t);
}

static void
test_master_lost(void)
{
	static const enum sched_cstate from[] = {DIST, OPER, CONC};
	static const enum sched_inst_state gone[] = {
		SCHED_INST_FAILED, SCHED_INST_STOPPED, SCHED_INST_ISOLATED};

	for (int k = 0; k < 3; k++) {
		struct tf t;
		unsigned bits;

		tf_init(&t, "n1,n2,n3", 2, RL_SYNCHRO_TIMEOUT);
		t.c.synchro_timeout_ms = 0;
		tf_new(&t, 0);
		elect(&t, "n1", 0);
		if (from[k] != DIST) {
			rec(&t, "n1", from[k], "n1");
			ASSERT_INT_EQ(step(&t, &idle, 0), PUB);
		}
		ASSERT_INT_EQ(sched_fsm_state(t.f), from[k]);
		set(&t, "n1", gone[k]);
		bits = step(&t, &idle, 1);
		ASSERT_INT_EQ(bits, PUB | ABORT);
		ASSERT_INT_EQ(sched_fsm_state(t.f), ELEC);
		ASSERT_STR_EQ(sched_fsm_reason(t.f), "master lost");
		ASSERT_INT_EQ(sched_fsm_master(t.f), SCHED_NONE);
		/* n2 has not seen it yet */
		ASSERT_INT_EQ(step(&t, &idle, 2), 0);
		ASSERT_INT_EQ(sched_fsm_master(t.f), SCHED_NONE);
		rec(&t, "n2", ELEC, NULL);
		if (gone[k] == SCHED_INST_FAILED) {
			/* FAILED is not stable: invalidated first */
			ASSERT_INT_EQ(step(&t, &idle, 3), 0);
			ASSERT_INT_EQ(sched_fsm_master(t.f), SCHED_NONE);
			set(&t, "n1", SCHED_INST_STOPPED);
		}
		ASSERT_INT_EQ(step(&t, &idle, 3), PUB);
		ASSERT_STR_EQ(master_name(&t), "n2");
		rec(&t, "n2", DIST, "n2");
		ASSERT_INT_EQ(step(&t, &idle, 4), PUB);
		ASSERT_INT_EQ(sched_fsm_state(t.f), DIST);
		tf_done(&t);
	}

	/* an instance with no master, or another one, sends back to
	 * ELECTION too */
	{
		struct tf t;

		tf_init(&t, "n1,n2,n3", 0, RL_SYNCHRO_STRICT);
		tf_new(&t, 0);
		operate(&t, "n1", 0);
		rec(&t, "n3", OPER, NULL);
		ASSERT_INT_EQ(step(&t, &idle, 1), PUB | ABORT);
		ASSERT_INT_EQ(sched_fsm_state(t.f), ELEC);
		ASSERT_STR_EQ(sched_fsm_reason(t.f),
			      "an instance has no master");
		tf_done(&t);

		tf_init(&t, "n1,n2,n3", 0, RL_SYNCHRO_STRICT);
		tf_new(&t, 0);
		operate(&t, "n1", 0);
		rec(&t, "n3", OPER, "n3");
		ASSERT_INT_EQ(step(&t, &idle, 1), PUB | ABORT);
		ASSERT_STR_EQ(sched_fsm_reason(t.f), "masters differ");
		tf_done(&t);
	}
}

/* ------------------------------------------------------------ failures */

struct fcase {
	const char *name;
	unsigned synchro;
	const char *core;
	enum rl_cluster_failure strategy;
	const char *local;
	const char *lost; /* set STOPPED once in OPERATION */
	enum sched_cstate want;
	unsigned bits;
	bool degraded;
};

static const struct fcase fcases[] = {
	{"RESYNC", RL_SYNCHRO_STRICT, NULL, RL_CLUSTER_FAILURE_RESYNC, "n1",
	 "n3", SYNC, PUB | ABORT, true},
	{"SHUTDOWN", RL_SYNCHRO_STRICT, NULL, RL_CLUSTER_FAILURE_SHUTDOWN, "n1",
	 "n3", SHUT, PUB | ABORT | STOP, true},
	{"LIST SHUTDOWN", RL_SYNCHRO_LIST, NULL, RL_CLUSTER_FAILURE_SHUTDOWN,
	 "n1", "n3", SHUT, PUB | ABORT | STOP, true},
	{"slave SHUTDOWN", RL_SYNCHRO_STRICT, NULL,
	 RL_CLUSTER_FAILURE_SHUTDOWN, "n2", "n3", SHUT, PUB | ABORT, true},
	{"CONTINUE", RL_SYNCHRO_STRICT, NULL, RL_CLUSTER_FAILURE_CONTINUE, "n1",
	 "n3", OPER, PUB | FAIL, true},
	{"TIMEOUT forces CONTINUE", RL_SYNCHRO_STRICT | RL_SYNCHRO_TIMEOUT,
	 NULL, RL_CLUSTER_FAILURE_SHUTDOWN, "n1", "n3", OPER, PUB | FAIL, true},
	{"TIMEOUT forces CONTINUE (RESYNC)",
	 RL_SYNCHRO_CORE | RL_SYNCHRO_TIMEOUT, "n2,n3",
	 RL_CLUSTER_FAILURE_RESYNC, "n1", "n3", OPER, PUB, true},
	/* CORE before STRICT: a non-core loss is tolerated */
	{"CORE first, not core", RL_SYNCHRO_STRICT | RL_SYNCHRO_CORE, "n2,n3",
	 RL_CLUSTER_FAILURE_SHUTDOWN, "n3", "n1", OPER, PUB, true},
	{"CORE first, core", RL_SYNCHRO_STRICT | RL_SYNCHRO_CORE, "n2,n3",
	 RL_CLUSTER_FAILURE_RESYNC, "n1", "n3", SYNC, PUB | ABORT, true},
	/* USER first: the master still RUNNING is enough */
	{"USER first", RL_SYNCHRO_USER | RL_SYNCHRO_STRICT, NULL,
	 RL_CLUSTER_FAILURE_SHUTDOWN, "n1", "n3", OPER, PUB | FAIL, true},
};

static void
test_failure_strategy(void)
{
	for (size_t k = 0; k < ARRAY_SIZE(fcases); k++) {
		const struct fcase *c = &fcases[k];
		struct tf t;
		const char *master;
		unsigned bits;
		char got[160], want[160];

		tf_init(&t, "n1,n2,n3", c->local[1] - '1', c->synchro);
		if (c->core != NULL)
			tf_core(&t, c->core);
		t.c.failure_strategy = c->strategy;
		tf_new(&t, 0);
		if (c->synchro & RL_SYNCHRO_USER) {
			step(&t, &idle, 0);
			CU_ASSERT_FATAL(sched_fsm_end_sync(t.f, t.v,
							   SCHED_NONE) == 0);
		}
		master = c->core != NULL ? (c->core[1] == '2' ? "n2" : "n3")
					 : "n1";
		operate(&t, master, 20000);
		ASSERT_FALSE(sched_fsm_degraded(t.f));
		set(&t, c->lost, SCHED_INST_STOPPED);
		bits = step(&t, &idle, 20001);
		snprintf(got, sizeof(got), "%s: %s, bits %#x", c->name,
			 sched_cstate_to_string(sched_fsm_state(t.f)), bits);
		snprintf(want, sizeof(want), "%s: %s, bits %#x", c->name,
			 sched_cstate_to_string(c->want), c->bits);
		ASSERT_STR_EQ(got, want);
		ASSERT_INT_EQ(sched_fsm_degraded(t.f), c->degraded);
		if (c->want == SYNC)
			ASSERT_STR_EQ(sched_fsm_reason(t.f),
				      "synchro conditions lost: RESYNC");
		if (c->want == SHUT) {
			ASSERT_STR_EQ(sched_fsm_reason(t.f),
				      "synchro conditions lost: SHUTDOWN");
			ASSERT_INT_EQ(sched_fsm_final_kind(t.f), SHUT);
		}
		tf_done(&t);
	}
}

/* The failure strategy holds in ELECTION too. */
static void
test_failure_in_election(void)
{
	struct tf t;

	tf_init(&t, "n1,n2,n3", 1, RL_SYNCHRO_STRICT);
	t.c.failure_strategy = RL_CLUSTER_FAILURE_RESYNC;
	tf_new(&t, 0);
	step(&t, &idle, 0);
	rec_all(&t, SYNC, NULL);
	step(&t, &idle, 0);
	ASSERT_INT_EQ(sched_fsm_state(t.f), ELEC);
	set(&t, "n3", SCHED_INST_STOPPED);
	ASSERT_INT_EQ(step(&t, &idle, 1), PUB | ABORT);
	ASSERT_INT_EQ(sched_fsm_state(t.f), SYNC);
	tf_done(&t);

	tf_init(&t, "n1,n2,n3", 1, RL_SYNCHRO_STRICT);
	t.c.failure_strategy = RL_CLUSTER_FAILURE_SHUTDOWN;
	tf_new(&t, 0);
	step(&t, &idle, 0);
	rec_all(&t, SYNC, NULL);
	step(&t, &idle, 0);
	set(&t, "n3", SCHED_INST_FAILED);
	/* not the master (none is working yet): no STOP_ALL */
	ASSERT_INT_EQ(step(&t, &idle, 1), PUB | ABORT);
	ASSERT_INT_EQ(sched_fsm_state(t.f), SHUT);
	tf_done(&t);
}

/* ------------------------------------------------------------ stop */

static void
test_request(void)
{
	static const enum sched_cstate kinds[] = {SHUT, RSTG};
	static const enum sched_cstate from[] = {DIST, OPER, CONC};

	for (int k = 0; k < 2; k++)
		for (int s = 0; s < 3; s++) {
			struct tf t;
			unsigned bits = 12345;

			tf_init(&t, "n1,n2", 0, RL_SYNCHRO_STRICT);
			tf_new(&t, 0);
			step(&t, &idle, 0);
			rec_all(&t, SYNC, NULL);
			step(&t, &idle, 0);
			/* in ELECTION nobody is master yet */
			ASSERT_INT_EQ(sched_fsm_request(t.f, kinds[k], &bits),
				      -EPERM);
			rec_all(&t, ELEC, "n1");
			step(&t, &idle, 0);
			if (from[s] >= OPER)
				step(&t, &idle, 1);
			if (from[s] == CONC)
				step(&t, &idle_conflicts, 2);
			ASSERT_INT_EQ(sched_fsm_state(t.f), from[s]);
			ASSERT_INT_EQ(sched_fsm_request(t.f, OPER, &bits),
				      -EINVAL);
			ASSERT_INT_EQ(sched_fsm_request(t.f, FIN, &bits),
				      -EINVAL);
			ASSERT_INT_EQ(bits, 12345);
			ASSERT_INT_EQ(sched_fsm_request(t.f, kinds[k], &bits),
				      0);
			ASSERT_INT_EQ(bits, PUB | ABORT | STOP);
			ASSERT_INT_EQ(sched_fsm_state(t.f), kinds[k]);
			ASSERT_INT_EQ(sched_fsm_final_kind(t.f), kinds[k]);
			ASSERT_STR_EQ(sched_fsm_reason(t.f),
				      kinds[k] == SHUT ? "shutdown requested"
						       : "restart requested");
			bits = 12345;
			ASSERT_INT_EQ(sched_fsm_request(t.f, kinds[k], &bits),
				      -EALREADY);
			ASSERT_INT_EQ(sched_fsm_request(t.f, kinds[1 - k],
							&bits),
				      -EAGAIN);
			ASSERT_INT_EQ(bits, 12345);
			ASSERT_TRUE(sched_fsm_is_master(t.f));
			/* the stop sequence runs; FINAL once idle */
			ASSERT_INT_EQ(step(&t, &busy, 3), 0);
			ASSERT_INT_EQ(sched_fsm_state(t.f), kinds[k]);
			ASSERT_INT_EQ(step(&t, &idle, 4), PUB | FINAL);
			ASSERT_INT_EQ(sched_fsm_state(t.f), FIN);
			ASSERT_STR_EQ(sched_fsm_reason(t.f),
				      "every application stopped");
			ASSERT_INT_EQ(sched_fsm_final_kind(t.f), kinds[k]);
			ASSERT_INT_EQ(sched_fsm_request(t.f, SHUT, NULL),
				      -EAGAIN);
			ASSERT_INT_EQ(sched_fsm_request(t.f, RSTG, NULL),
				      -EAGAIN);
			ASSERT_INT_EQ(step(&t, &idle, 5), 0);
			ASSERT_INT_EQ(sched_fsm_state(t.f), FIN);
			tf_done(&t);
		}
}

/* ------------------------------------------------------------ misc */

static void
test_degraded(void)
{
	struct tf t;

	tf_init(&t, "n1,n2,n3", 0, RL_SYNCHRO_TIMEOUT);
	t.c.synchro_timeout_ms = 0;
	set(&t, "n3", SCHED_INST_STOPPED);
	tf_new(&t, 0);
	step(&t, &idle, 0);
	ASSERT_FALSE(sched_fsm_degraded(t.f));
	tf_done(&t);

	tf_init(&t, "n1,n2,n3", 0, RL_SYNCHRO_TIMEOUT | RL_SYNCHRO_STRICT);
	t.c.synchro_timeout_ms = 0;
	tf_new(&t, 0);
	ASSERT_FALSE(sched_fsm_degraded(t.f));
	operate(&t, "n1", 0);
	ASSERT_FALSE(sched_fsm_degraded(t.f));
	/* every change is published once */
	set(&t, "n2", SCHED_INST_FAILED);
	ASSERT_INT_EQ(step(&t, &busy, 1), PUB | FAIL);
	ASSERT_TRUE(sched_fsm_degraded(t.f));
	ASSERT_INT_EQ(step(&t, &busy, 2), FAIL);
	ASSERT_TRUE(sched_fsm_degraded(t.f));
	set(&t, "n2", SCHED_INST_RUNNING);
	rec(&t, "n2", OPER, "n1");
	ASSERT_INT_EQ(step(&t, &busy, 3), PUB | FAIL);
	ASSERT_FALSE(sched_fsm_degraded(t.f));
	tf_done(&t);
}

static void
test_peers(void)
{
	struct tf t;
	struct sched_fsm_peer p = {.state = OPER, .master = 7, .stable = true,
				   .running = 42};
	struct sched_fsm_peer r;

	tf_init(&t, "n1,n2,n3", 1, RL_SYNCHRO_STRICT);
	tf_new(&t, 0);
	/* unknown at first, master none */
	for (uint32_t i = 0; i < 3; i++) {
		ASSERT_FALSE(sched_fsm_peer(t.f, i)->known);
		ASSERT_INT_EQ(sched_fsm_peer(t.f, i)->master, SCHED_NONE);
	}
	ASSERT_NULL(sched_fsm_peer(t.f, 3));
	ASSERT_NULL(sched_fsm_peer(t.f, SCHED_NONE));
	/* known is set by the machine; a bad master is none */
	sched_fsm_set_peer(t.f, 2, &p);
	ASSERT_TRUE(sched_fsm_peer(t.f, 2)->known);
	ASSERT_INT_EQ(sched_fsm_peer(t.f, 2)->state, OPER);
	ASSERT_INT_EQ(sched_fsm_peer(t.f, 2)->master, SCHED_NONE);
	ASSERT_INT_EQ(sched_fsm_peer(t.f, 2)->running, 42);
	p.master = 0;
	sched_fsm_set_peer(t.f, 2, &p);
	ASSERT_INT_EQ(sched_fsm_peer(t.f, 2)->master, 0);
	/* the local record and bad ids are ignored */
	sched_fsm_set_peer(t.f, 1, &p);
	ASSERT_FALSE(sched_fsm_peer(t.f, 1)->known);
	sched_fsm_set_peer(t.f, 3, &p);
	sched_fsm_set_peer(t.f, SCHED_NONE, &p);
	sched_fsm_forget_peer(t.f, 1);
	sched_fsm_forget_peer(t.f, 99);
	sched_fsm_forget_peer(t.f, 2);
	ASSERT_FALSE(sched_fsm_peer(t.f, 2)->known);
	ASSERT_INT_EQ(sched_fsm_peer(t.f, 2)->master, SCHED_NONE);

	/* our record */
	operate(&t, "n1", 0);
	sched_fsm_record(t.f, t.v, &r);
	ASSERT_TRUE(r.known);
	ASSERT_INT_EQ(r.state, OPER);
	ASSERT_INT_EQ(r.master, 0);
	ASSERT_TRUE(r.stable);
	ASSERT_TRUE(r.running == sched_fsm_running_hash(t.v));
	p.running = r.running;
	set(&t, "n3", SCHED_INST_CHECKING);
	sched_fsm_record(t.f, t.v, &r);
	ASSERT_FALSE(r.stable);
	ASSERT_TRUE(r.running != p.running);
	tf_done(&t);
	ASSERT_NULL(sched_fsm_free(NULL));
}

/* The digest depends on the set of RUNNING ids only: not on which
 * instance computes it, the order the states were set in, or the
 * instances in other states. */
static void
test_running_hash(void)
{
	struct tf a, b, c;
	uint64_t ha, hb;

	tf_init(&a, "n1,n2,n3,n4", 0, RL_SYNCHRO_STRICT);
	tf_init(&b, "n1,n2,n3,n4", 2, RL_SYNCHRO_STRICT);
	for (uint32_t i = 0; i < 4; i++) {
		sched_view_set_instance_state(a.v, i, SCHED_INST_STOPPED,
					      false);
		sched_view_set_instance_state(b.v, i, SCHED_INST_CHECKING,
					      false);
	}
	ASSERT_TRUE(sched_fsm_running_hash(a.v) ==
		    sched_fsm_running_hash(b.v));
	sched_view_set_instance_state(a.v, 0, SCHED_INST_RUNNING, false);
	sched_view_set_instance_state(a.v, 2, SCHED_INST_RUNNING, false);
	sched_view_set_instance_state(a.v, 3, SCHED_INST_FAILED, false);
	sched_view_set_instance_state(b.v, 3, SCHED_INST_ISOLATED, false);
	sched_view_set_instance_state(b.v, 2, SCHED_INST_RUNNING, true);
	sched_view_set_instance_state(b.v, 0, SCHED_INST_RUNNING, false);
	sched_view_set_instance_state(b.v, 1, SCHED_INST_CHECKED, false);
	ha = sched_fsm_running_hash(a.v);
	hb = sched_fsm_running_hash(b.v);
	ASSERT_TRUE(ha == hb);
	/* every other set differs (the 16 subsets of 4 instances) */
	tf_init(&c, "n1,n2,n3,n4", 3, RL_SYNCHRO_STRICT);
	for (unsigned set1 = 0; set1 < 16; set1++) {
		for (uint32_t i = 0; i < 4; i++)
			sched_view_set_instance_state(
				c.v, i,
				(set1 >> i) & 1 ? SCHED_INST_RUNNING
						: SCHED_INST_STOPPED,
				false);
		ASSERT_INT_EQ(sched_fsm_running_hash(c.v) == ha, set1 == 5);
		for (unsigned set2 = 0; set2 < set1; set2++) {
			struct tf d;

			tf_init(&d, "n1,n2,n3,n4", 0, RL_SYNCHRO_STRICT);
			for (uint32_t i = 0; i < 4; i++)
				sched_view_set_instance_state(
					d.v, i,
					(set2 >> i) & 1 ? SCHED_INST_RUNNING
							: SCHED_INST_STOPPED,
					false);
			ASSERT_TRUE(sched_fsm_running_hash(c.v) !=
				    sched_fsm_running_hash(d.v));
			sched_view_free(d.v);
		}
	}
	sched_view_free(a.v);
	sched_view_free(b.v);
	sched_view_free(c.v);
}

static const struct test_case cases[] = {
	{"names", test_names},
	{"transitions", test_transitions},
	{"off", test_off},
	{"strict and list", test_strict_list},
	{"timeout", test_timeout},
	{"core", test_core},
	{"user", test_user},
	{"join a working master", test_join_working},
	{"views disagree", test_views_disagree},
	{"election order", test_election_order},
	{"join keeps the master", test_join_keeps_master},
	{"partition heal", test_partition_heal},
	{"slave follows", test_slave_follows},
	{"master distribution", test_master_distribution},
	{"master conciliation", test_master_conciliation},
	{"master lost", test_master_lost},
	{"failure strategy", test_failure_strategy},
	{"failure in election", test_failure_in_election},
	{"request", test_request},
	{"degraded", test_degraded},
	{"peers", test_peers},
	{"running hash", test_running_hash},
};

int
main(int argc, char **argv)
{
	return test_main(argc, argv, "sched_fsm", cases, ARRAY_SIZE(cases));
}
