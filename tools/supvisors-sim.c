/*
 * supvisors-sim: N instances of the gossip core (net/swim.c) in one
 * process, in virtual time, over a seeded random network, to measure
 * what the protocol promises before any daemon runs it.
 *
 * Every datagram goes through the real encoder and decoder; its size is
 * counted as sealed on the wire (body + WIRE_OVERHEAD + 28 bytes of IPv4
 * and UDP headers) but not actually encrypted, which would only cost CPU.
 * The network: latency 100 us + exponential(200 us), uniform loss on
 * datagrams (--loss), partitions between groups; push-pull frames are
 * reliable but blocked by partitions.  Scenarios:
 *
 *   crash      every --period s a random instance is killed, and
 *              restarted (next boot generation) 20 s later
 *   loss       nothing but updates: false deaths under --loss
 *   pause      every --period s an instance stops for --pause s, then
 *              resumes with everything it missed queued
 *   partition  the cluster splits in two for 30 s, heals for --period s
 *   slow       one instance handles everything up to 2 x --slow ms late
 *
 * --runs R repeats the run with seeds SEED .. SEED+R-1 and pools the
 * samples, for percentiles over more trials.
 *
 * Every scenario also publishes a record update from a random instance
 * every --updates s (2 s; 0: none), measures the time until all running
 * instances hold it, and counts false
 * deaths (a healthy, reachable instance declared dead).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "net/swim.h"
#include "net/wire.h"
#include "tools/sim.h"

#define US_PER_MS 1000
#define IP_UDP 28
#define WARMUP_MS 10000
#define RESTART_MS 20000
#define PARTITION_MS 30000
#define UPDATE_GIVEUP_MS 20000

enum { EV_TIMER, EV_DGRAM, EV_SYNC, EV_SYNC_REPLY, EV_ACTION };
enum { ACT_CRASH, ACT_RESTART, ACT_PAUSE, ACT_RESUME, ACT_SPLIT, ACT_HEAL,
       ACT_UPDATE };
enum scenario { SC_CRASH, SC_LOSS, SC_PAUSE, SC_PARTITION, SC_SLOW, SC_MAX };

static const char *const scenario_names[SC_MAX] = {
	"crash", "loss", "pause", "partition", "slow",
};

struct inst {
	struct swim *sw;
	uint8_t id[WIRE_ID_SIZE];
	struct wire_addr addr;
	uint32_t gen;
	bool up;
	bool paused;
	int64_t resume_us;
	int64_t deadline_us; /* the timer event that counts */
	int group;
	bool slow;
};

struct samples {
	double *v;
	size_t n;
	size_t cap;
};

struct sim {
	struct sim_heap heap;
	struct sim_rng rng;
	struct inst *in;
	size_t n;
	int64_t now_us;
	struct swim_config cfg;
	enum scenario sc;
	double loss;
	int64_t period_ms;
	int64_t pause_ms;
	int64_t slow_ms;
	int64_t update_ms; /* 0: no updates */
	bool partitioned;
	/* crash / pause / partition trial in progress */
	int64_t trial_start;
	uint32_t victim;
	bool trial_open;
	bool *knows;
	size_t known;
	size_t need;
	int64_t heal_at;
	/* update in progress */
	bool upd_open;
	uint32_t upd_origin;
	uint64_t upd_version;
	int64_t upd_start;
	bool *has;
	size_t have;
	size_t upd_need;
	uint64_t upd_n;
	/* results */
	struct samples detect, rejoin, heal, update;
	uint64_t false_deaths;
	uint64_t slow_deaths;
	uint64_t pause_deaths;
	uint64_t censored;
	uint64_t bytes;
	uint64_t bytes_kind[_WIRE_M_MAX]; /* [0]: push-pull frames */
	uint64_t datagrams;
	uint64_t decode_errors; /* a bug if ever non-zero */
	double inst_seconds; /* healthy instance-seconds measured */
	uint64_t suspicions;
	uint64_t refutations;
};

static void
sample_add(struct samples *s, double v)
{
	if (s->n == s->cap) {
		s->cap = MAX(64, 2 * s->cap);
		s->v = xreallocarray(s->v, s->cap, sizeof(*s->v));
	}
	s->v[s->n++] = v;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* JSON has no NaN */
static void
json_num(const char *key, double v, bool last)
{
	if (isnan(v))
		printf("\"%s\":null%s", key, last ? "" : ",");
	else
		printf("\"%s\":%.3f%s", key, v, last ? "" : ",");
}

static double
pct(struct samples *s, double p)
{
	size_t i;

	if (s->n == 0)
		return NAN;
	qsort(s->v, s->n, sizeof(*s->v), cmp_double);
	i = (size_t)ceil(p / 100.0 * (double)s->n);
	return s->v[i ? i - 1 : 0];
}

static void
addr_of(size_t i, struct wire_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = 4;
	a->ip[0] = 10;
	a->ip[1] = (uint8_t)((i + 1) >> 16);
	a->ip[2] = (uint8_t)((i + 1) >> 8);
	a->ip[3] = (uint8_t)(i + 1);
	a->port = 7700;
}

static size_t
index_of(const struct wire_addr *a)
{
	return ((size_t)a->ip[1] << 16 | (size_t)a->ip[2] << 8 | a->ip[3]) - 1;
}

static int64_t
now_ms(const struct sim *s)
{
	return s->now_us / US_PER_MS;
}

static bool
measuring(const struct sim *s)
{
	return now_ms(s) >= WARMUP_MS;
}

static void
push(struct sim *s, int64_t at_us, int kind, uint32_t dst, uint32_t src,
     int64_t arg, uint8_t *data, size_t len)
{
	struct sim_event ev = {.at_us = at_us, .kind = kind, .dst = dst,
			       .src = src, .arg = arg, .data = data,
			       .len = len};

	sim_heap_push(&s->heap, &ev);
}

static int64_t
latency_us(struct sim *s, uint32_t dst)
{
	int64_t l = 100 + (int64_t)sim_exponential(&s->rng, 200.0);

	if (s->in[dst].slow)
		l += (int64_t)(sim_uniform(&s->rng) * 2.0 *
			       (double)s->slow_ms * US_PER_MS);
	return l;
}

static bool
reachable(const struct sim *s, uint32_t a, uint32_t b)
{
	return s->in[b].up && s->in[a].group == s->in[b].group;
}

static void
schedule_timer(struct sim *s, uint32_t i)
{
	struct inst *in = &s->in[i];
	int64_t d = swim_next_deadline(in->sw) * US_PER_MS;

	if (d < s->now_us)
		d = s->now_us;
	if (d == in->deadline_us)
		return;
	in->deadline_us = d;
	push(s, d, EV_TIMER, i, i, d, NULL, 0);
}

/* Healthy = up, running and reachable from OBSERVER. */
static bool
healthy(const struct sim *s, uint32_t observer, uint32_t x)
{
	return s->in[x].up && !s->in[x].paused &&
	       s->in[x].group == s->in[observer].group;
}

static int
find_inst(const struct sim *s, const uint8_t id[WIRE_ID_SIZE])
{
	size_t i;

	/* ids carry their index in their first bytes */
	memcpy(&i, id, sizeof(i));
	return i < s->n ? (int)i : -1;
}

static void
trial_done(struct sim *s, struct samples *into)
{
	sample_add(into, (double)(s->now_us / US_PER_MS - s->trial_start) /
				 1000.0);
	s->trial_open = false;
}

static void
drain_events(struct sim *s, uint32_t i)
{
	struct swim_event ev;

	while (swim_next_event(s->in[i].sw, &ev)) {
		int x = find_inst(s, ev.id);

		if (x < 0)
			continue;
		if (ev.type == SWIM_EV_DEAD && measuring(s)) {
			if (healthy(s, i, (uint32_t)x)) {
				if (s->in[x].slow)
					s->slow_deaths++;
				else
					s->false_deaths++;
			} else if (s->in[x].paused) {
				s->pause_deaths++;
			}
		}
		if ((ev.type == SWIM_EV_DEAD || ev.type == SWIM_EV_LEFT) &&
		    s->trial_open && s->sc == SC_CRASH &&
		    (uint32_t)x == s->victim && !s->knows[i]) {
			s->knows[i] = true;
			if (++s->known == s->need)
				trial_done(s, &s->detect);
		}
		if ((ev.type == SWIM_EV_ALIVE || ev.type == SWIM_EV_JOIN) &&
		    s->trial_open && s->sc == SC_PAUSE && s->heal_at &&
		    (uint32_t)x == s->victim && !s->knows[i]) {
			s->knows[i] = true;
			if (++s->known == s->need)
				trial_done(s, &s->rejoin);
		}
		if (ev.type == SWIM_EV_KV && s->upd_open &&
		    (uint32_t)x == s->upd_origin &&
		    ev.version >= s->upd_version && !s->has[i]) {
			s->has[i] = true;
			if (++s->have == s->upd_need) {
				sample_add(&s->update,
					   (double)(now_ms(s) - s->upd_start) /
						   1000.0);
				s->upd_open = false;
			}
		}
	}
}

static void
drain_outputs(struct sim *s, uint32_t i)
{
	struct swim_output out;

	while (swim_next_output(s->in[i].sw, &out)) {
		size_t dst = index_of(&out.to);
		uint8_t *copy;

		if (measuring(s)) {
			size_t b = out.len + WIRE_OVERHEAD +
				   (out.type == WIRE_T_GOSSIP ? IP_UDP : 0);
			/* by the first message: what the datagram is for */
			int k = out.type != WIRE_T_GOSSIP ? 0
				: out.len > WIRE_STATUS_SIZE
					? out.body[WIRE_STATUS_SIZE]
					: 0;

			s->bytes += b;
			s->bytes_kind[k < _WIRE_M_MAX ? k : 0] += b;
		}
		if (dst >= s->n)
			continue;
		if (out.type == WIRE_T_GOSSIP) {
			s->datagrams++;
			if (!reachable(s, i, (uint32_t)dst) ||
			    sim_uniform(&s->rng) < s->loss)
				continue;
		} else if (!reachable(s, i, (uint32_t)dst)) {
			swim_sync_failed(s->in[i].sw, now_ms(s), &out.to);
			continue;
		}
		copy = xmalloc(out.len ? out.len : 1);
		memcpy(copy, out.body, out.len);
		push(s, s->now_us + latency_us(s, (uint32_t)dst),
		     out.type == WIRE_T_GOSSIP ? EV_DGRAM : EV_SYNC,
		     (uint32_t)dst, i, 0, copy, out.len);
	}
}

static void
after(struct sim *s, uint32_t i)
{
	drain_outputs(s, i);
	drain_events(s, i);
	schedule_timer(s, i);
}

static void
start_inst(struct sim *s, uint32_t i, bool join)
{
	struct inst *in = &s->in[i];
	char name[32];
	struct swim_self me = {.name = name};
	struct wire_status st = {.load = 10};

	snprintf(name, sizeof(name), "i%u", i);
	memcpy(me.id, in->id, WIRE_ID_SIZE);
	me.addr = in->addr;
	me.generation = ++in->gen;
	in->sw = swim_new(&s->cfg, &me, sim_rand(&s->rng));
	swim_set_status(in->sw, &st);
	in->up = true;
	in->paused = false;
	in->deadline_us = -1;
	if (join) {
		struct wire_addr seeds[3];
		size_t k;

		for (k = 0; k < 3 && k < s->n; k++)
			addr_of(k, &seeds[k]);
		swim_join(in->sw, now_ms(s), seeds, k);
	}
}

/* A cluster that has been running: everyone knows everyone. */
static void
bootstrap(struct sim *s)
{
	struct wire_sync all = {0};
	struct wire_addr seeds[3];
	size_t i, k;

	all.nmembers = s->n;
	all.members = xcalloc(s->n, sizeof(*all.members));
	for (i = 0; i < s->n; i++) {
		struct wire_member *m = &all.members[i];

		memcpy(m->id, s->in[i].id, WIRE_ID_SIZE);
		m->incarnation = (uint64_t)s->in[i].gen << 32;
		m->addr = s->in[i].addr;
		m->name = "i";
		m->name_len = 1;
		m->status.load = 10;
	}
	for (k = 0; k < 3 && k < s->n; k++)
		addr_of(k, &seeds[k]);
	for (i = 0; i < s->n; i++) {
		swim_join(s->in[i].sw, 0, seeds, k);
		swim_sync_merge(s->in[i].sw, 0, s->in[i].id, &all);
		after(s, (uint32_t)i);
	}
	free(all.members);
}

static uint32_t
random_up(struct sim *s)
{
	uint32_t i;

	do
		i = (uint32_t)(sim_rand(&s->rng) % s->n);
	while (!s->in[i].up || s->in[i].paused);
	return i;
}

static void
open_trial(struct sim *s, uint32_t victim)
{
	size_t i;

	if (s->trial_open)
		s->censored++;
	s->trial_open = true;
	s->trial_start = now_ms(s);
	s->victim = victim;
	s->known = 0;
	s->need = 0;
	s->heal_at = 0;
	for (i = 0; i < s->n; i++) {
		s->knows[i] = false;
		if (i != victim && s->in[i].up && !s->in[i].paused)
			s->need++;
	}
	if (s->need == 0)
		s->trial_open = false;
}

static void
action(struct sim *s, int act, uint32_t target)
{
	size_t i;

	switch (act) {
	case ACT_CRASH:
		target = random_up(s);
		s->in[target].up = false;
		s->in[target].sw = swim_free(s->in[target].sw);
		if (s->upd_open && !s->has[target] && target != s->upd_origin) {
			s->has[target] = true;
			s->upd_need--;
		}
		if (s->upd_open && s->have == s->upd_need)
			s->upd_open = false; /* the origin is gone, or all have it */
		open_trial(s, target);
		push(s, s->now_us + RESTART_MS * US_PER_MS, EV_ACTION, target,
		     0, ACT_RESTART, NULL, 0);
		push(s, s->now_us + s->period_ms * US_PER_MS, EV_ACTION, 0, 0,
		     ACT_CRASH, NULL, 0);
		break;
	case ACT_RESTART:
		if (s->trial_open && s->victim == target) {
			/* not known by all before the restart: a lower bound */
			trial_done(s, &s->detect);
			s->censored++;
		}
		start_inst(s, target, true);
		after(s, target);
		break;
	case ACT_PAUSE:
		target = random_up(s);
		open_trial(s, target);
		s->in[target].paused = true;
		s->in[target].resume_us = s->now_us + s->pause_ms * US_PER_MS;
		push(s, s->in[target].resume_us, EV_ACTION, target, 0,
		     ACT_RESUME, NULL, 0);
		push(s, s->now_us + s->period_ms * US_PER_MS, EV_ACTION, 0, 0,
		     ACT_PAUSE, NULL, 0);
		break;
	case ACT_RESUME:
		s->in[target].paused = false;
		/* rejoin time counts from here, for those who lost it */
		s->heal_at = now_ms(s);
		s->trial_start = now_ms(s);
		for (i = 0; i < s->n; i++)
			if (s->knows[i] == false && s->in[i].up && i != target) {
				const uint8_t *id = s->in[target].id;
				int k = swim_find(s->in[i].sw, id);
				struct swim_member m;

				if (k < 0)
					continue;
				swim_member_get(s->in[i].sw, (size_t)k, &m);
				if (m.state == SWIM_ALIVE ||
				    m.state == SWIM_SUSPECT) {
					s->knows[i] = true;
					s->known++;
				}
			}
		if (s->trial_open && s->known == s->need)
			s->trial_open = false; /* nobody lost it */
		break;
	case ACT_SPLIT:
		for (i = 0; i < s->n; i++)
			s->in[i].group = (int)(sim_rand(&s->rng) & 1);
		s->partitioned = true;
		push(s, s->now_us + PARTITION_MS * US_PER_MS, EV_ACTION, 0, 0,
		     ACT_HEAL, NULL, 0);
		push(s, s->now_us + (PARTITION_MS + s->period_ms) * US_PER_MS,
		     EV_ACTION, 0, 0, ACT_SPLIT, NULL, 0);
		break;
	case ACT_HEAL:
		for (i = 0; i < s->n; i++)
			s->in[i].group = 0;
		s->partitioned = false;
		s->heal_at = now_ms(s);
		break;
	case ACT_UPDATE: {
		uint32_t o = random_up(s);
		char val[32];
		int64_t v;

		push(s, s->now_us + s->update_ms * US_PER_MS, EV_ACTION, 0, 0,
		     ACT_UPDATE, NULL, 0);
		if (s->upd_open) {
			if (now_ms(s) - s->upd_start < UPDATE_GIVEUP_MS)
				break;
			/* counted at the give-up time: a lower bound */
			sample_add(&s->update,
				   (double)(now_ms(s) - s->upd_start) / 1000.0);
			s->censored++;
		}
		snprintf(val, sizeof(val), "RUNNING %llu",
			 (unsigned long long)++s->upd_n);
		v = swim_kv_set(s->in[o].sw, now_ms(s), "app:proc", val,
				strlen(val));
		s->upd_open = true;
		s->upd_origin = o;
		s->upd_version = (uint64_t)v;
		s->upd_start = now_ms(s);
		s->have = 0;
		s->upd_need = 0;
		for (i = 0; i < s->n; i++) {
			/* only those running now are waited for */
			s->has[i] = true;
			if (i != o && s->in[i].up && !s->in[i].paused &&
			    s->in[i].group == s->in[o].group) {
				s->has[i] = false;
				s->upd_need++;
			}
		}
		after(s, o);
		break;
	}
	default:
		break;
	}
}

/* After a heal: converged when every running instance sees every
 * running instance live. */
static void
check_heal(struct sim *s)
{
	size_t i, up = 0;

	if (!s->heal_at || s->partitioned || s->sc != SC_PARTITION)
		return;
	for (i = 0; i < s->n; i++)
		up += s->in[i].up;
	for (i = 0; i < s->n; i++)
		if (s->in[i].up && swim_nlive(s->in[i].sw) != up)
			return;
	sample_add(&s->heal, (double)(now_ms(s) - s->heal_at) / 1000.0);
	s->heal_at = 0;
}

static void
handle(struct sim *s, struct sim_event *ev)
{
	struct inst *in = &s->in[ev->dst];
	static struct wire_packet pkt;
	struct wire_sync sync;

	if (ev->kind == EV_ACTION) {
		action(s, (int)ev->arg, ev->dst);
		return;
	}
	if (!in->up || (ev->kind == EV_TIMER && ev->arg != in->deadline_us))
		return;
	if (in->paused) {
		/* a stopped process: everything waits for the resume */
		if (ev->kind != EV_TIMER) {
			push(s, in->resume_us, ev->kind, ev->dst, ev->src,
			     ev->arg, ev->data, ev->len);
			ev->data = NULL;
		} else {
			in->deadline_us = in->resume_us;
			push(s, in->resume_us, EV_TIMER, ev->dst, ev->dst,
			     in->resume_us, NULL, 0);
		}
		return;
	}
	switch (ev->kind) {
	case EV_TIMER:
		in->deadline_us = -1;
		swim_tick(in->sw, now_ms(s));
		break;
	case EV_DGRAM:
		if (wire_packet_decode(ev->data, ev->len, &pkt) == 0)
			swim_recv(in->sw, now_ms(s), s->in[ev->src].id,
				  &s->in[ev->src].addr, &pkt);
		else
			s->decode_errors++;
		break;
	case EV_SYNC:
		if (wire_sync_decode(ev->data, ev->len, &sync) == 0) {
			struct wwriter w;

			ww_init_growable(&w);
			swim_sync_reply(in->sw, now_ms(s), s->in[ev->src].id,
					&sync, &w);
			wire_sync_free(&sync);
			if (measuring(s))
				s->bytes += w.len + WIRE_OVERHEAD;
			if (reachable(s, ev->dst, ev->src)) {
				push(s, s->now_us + latency_us(s, ev->src),
				     EV_SYNC_REPLY, ev->src, ev->dst, 0, w.p,
				     w.len);
				w.p = NULL;
			}
			ww_done(&w);
		}
		break;
	case EV_SYNC_REPLY:
		if (wire_sync_decode(ev->data, ev->len, &sync) == 0) {
			swim_sync_merge(in->sw, now_ms(s), s->in[ev->src].id,
					&sync);
			wire_sync_free(&sync);
		}
		break;
	default:
		break;
	}
	after(s, ev->dst);
}

static void
run(struct sim *s, int64_t seconds)
{
	struct sim_event ev;
	int64_t end = (WARMUP_MS + seconds * 1000) * US_PER_MS;
	int64_t last_check = 0, last_count = WARMUP_MS * US_PER_MS;
	size_t i;

	for (i = 0; i < s->n; i++) {
		memcpy(s->in[i].id, &i, sizeof(i));
		s->in[i].id[15] = 0x5a;
		addr_of(i, &s->in[i].addr);
		start_inst(s, (uint32_t)i, false);
	}
	if (s->sc == SC_SLOW)
		s->in[s->n - 1].slow = true;
	bootstrap(s);
	switch (s->sc) {
	case SC_CRASH:
		push(s, WARMUP_MS * US_PER_MS, EV_ACTION, 0, 0, ACT_CRASH, NULL,
		     0);
		break;
	case SC_PAUSE:
		push(s, WARMUP_MS * US_PER_MS, EV_ACTION, 0, 0, ACT_PAUSE, NULL,
		     0);
		break;
	case SC_PARTITION:
		push(s, WARMUP_MS * US_PER_MS, EV_ACTION, 0, 0, ACT_SPLIT, NULL,
		     0);
		break;
	default:
		break;
	}
	if (s->update_ms > 0)
		push(s, WARMUP_MS * US_PER_MS + 500 * US_PER_MS, EV_ACTION, 0,
		     0, ACT_UPDATE, NULL, 0);
	while (sim_heap_pop(&s->heap, &ev) && ev.at_us < end) {
		if (ev.at_us >= last_count) {
			/* instance-seconds of healthy instances, per 100 ms */
			size_t h = 0;

			for (i = 0; i < s->n; i++)
				h += s->in[i].up && !s->in[i].paused;
			s->inst_seconds += (double)h * 0.1;
			last_count += 100 * US_PER_MS;
		}
		s->now_us = ev.at_us;
		handle(s, &ev);
		free(ev.data);
		if (s->now_us - last_check >= 100 * US_PER_MS) {
			last_check = s->now_us;
			check_heal(s);
		}
	}
	free(ev.data);
	for (i = 0; i < s->n; i++)
		if (s->in[i].sw) {
			const struct swim_counters *c =
				swim_counters(s->in[i].sw);

			s->suspicions += c->suspicions;
			s->refutations += c->refutations;
		}
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: supvisors-sim [-n N] [--seconds S] [--loss P] "
		   "[--seed X] [--scenario crash|loss|pause|partition|slow]\n"
		   "       [--period S] [--pause S] [--slow MS] [--updates S] "
		   "[--runs R] [--json] [-v]\n");
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"seconds", required_argument, NULL, 's'},
		{"loss", required_argument, NULL, 'l'},
		{"seed", required_argument, NULL, 'S'},
		{"scenario", required_argument, NULL, 'c'},
		{"period", required_argument, NULL, 'p'},
		{"pause", required_argument, NULL, 'P'},
		{"slow", required_argument, NULL, 'w'},
		{"updates", required_argument, NULL, 'u'},
		{"runs", required_argument, NULL, 'r'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct sim s = {0};
	int64_t n = 100, seconds = 600, v;
	uint64_t seed = 1;
	bool json = false, verbose = false;
	int64_t runs = 1, r;
	double hours;
	int c;

	swim_config_default(&s.cfg);
	s.period_ms = 30000;
	s.pause_ms = 10000;
	s.slow_ms = 500;
	s.update_ms = 2000;
	while ((c = getopt_long(argc, argv, "n:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (util_parse_int64(optarg, 2, 100000, &n) < 0)
				goto bad;
			break;
		case 's':
			if (util_parse_int64(optarg, 1, 86400 * 7, &seconds) < 0)
				goto bad;
			break;
		case 'l': {
			char *end;

			s.loss = strtod(optarg, &end);
			if (*end == '%')
				s.loss /= 100.0, end++;
			if (*end || s.loss < 0 || s.loss >= 1)
				goto bad;
			break;
		}
		case 'S':
			if (util_parse_uint64(optarg, UINT64_MAX, &seed) < 0)
				goto bad;
			break;
		case 'c':
			for (v = 0; v < SC_MAX; v++)
				if (strcmp(optarg, scenario_names[v]) == 0)
					break;
			if (v == SC_MAX)
				goto bad;
			s.sc = (enum scenario)v;
			break;
		case 'p':
			if (util_parse_duration_ms(optarg, 86400000, &v) < 0 ||
			    v < 1000)
				goto bad;
			s.period_ms = v;
			break;
		case 'P':
			if (util_parse_duration_ms(optarg, 86400000, &v) < 0)
				goto bad;
			s.pause_ms = v;
			break;
		case 'w':
			if (util_parse_int64(optarg, 0, 60000, &v) < 0)
				goto bad;
			s.slow_ms = v;
			break;
		case 'u':
			if (util_parse_duration_ms(optarg, 86400000, &v) < 0)
				goto bad;
			s.update_ms = v;
			break;
		case 'j':
			json = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'r':
			if (util_parse_int64(optarg, 1, 10000, &runs) < 0)
				goto bad;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind != argc)
		goto bad;
	s.n = (size_t)n;
	s.in = xcalloc(s.n, sizeof(*s.in));
	s.knows = xcalloc(s.n, sizeof(*s.knows));
	s.has = xcalloc(s.n, sizeof(*s.has));
	for (r = 0; r < runs; r++) {
		/* a fresh cluster per run; results accumulate */
		size_t i;

		for (i = 0; i < s.n; i++)
			swim_free(s.in[i].sw);
		memset(s.in, 0, s.n * sizeof(*s.in));
		sim_heap_done(&s.heap);
		s.rng.s = seed + (uint64_t)r;
		s.now_us = 0;
		s.partitioned = false;
		s.trial_open = false;
		s.upd_open = false;
		s.heal_at = 0;
		run(&s, seconds);
	}
	hours = s.inst_seconds / 3600.0;
	if (json) {
		printf("{\"instances\":%zu,\"seconds\":%lld,\"runs\":%lld,"
		       "\"loss\":%.3f,\"scenario\":\"%s\",\"seed\":%llu,",
		       s.n, (long long)seconds, (long long)runs, s.loss,
		       scenario_names[s.sc], (unsigned long long)seed);
		json_num("detect_p50", pct(&s.detect, 50), false);
		json_num("detect_p99", pct(&s.detect, 99), false);
		printf("\"detect_trials\":%zu,", s.detect.n);
		json_num("rejoin_p50", pct(&s.rejoin, 50), false);
		json_num("rejoin_p99", pct(&s.rejoin, 99), false);
		json_num("heal_p50", pct(&s.heal, 50), false);
		json_num("heal_p99", pct(&s.heal, 99), false);
		json_num("update_p50", pct(&s.update, 50), false);
		json_num("update_p99", pct(&s.update, 99), false);
		printf("\"updates\":%zu,", s.update.n);
		json_num("false_deaths_per_hour",
			 hours > 0 ? (double)s.false_deaths / hours : 0.0, false);
		printf("\"false_deaths\":%llu,\"slow_deaths\":%llu,"
		       "\"pause_deaths\":%llu,\"censored\":%llu,"
		       "\"suspicions\":%llu,\"refutations\":%llu,"
		       "\"decode_errors\":%llu,",
		       (unsigned long long)s.false_deaths,
		       (unsigned long long)s.slow_deaths,
		       (unsigned long long)s.pause_deaths,
		       (unsigned long long)s.censored,
		       (unsigned long long)s.suspicions,
		       (unsigned long long)s.refutations,
		       (unsigned long long)s.decode_errors);
		json_num("bytes_per_second",
			 s.inst_seconds > 0 ? (double)s.bytes / s.inst_seconds
					    : 0.0,
			 true);
		printf("}\n");
	} else {
		printf("scenario %s, %zu instances, %llds x %lld runs, loss "
		       "%.0f%%, seed %llu\n",
		       scenario_names[s.sc], s.n, (long long)seconds,
		       (long long)runs, s.loss * 100,
		       (unsigned long long)seed);
		if (s.detect.n)
			printf("  crash known by all     p50 %.2fs  p99 %.2fs  "
			       "(%zu trials)\n",
			       pct(&s.detect, 50), pct(&s.detect, 99),
			       s.detect.n);
		if (s.rejoin.n)
			printf("  back after a pause     p50 %.2fs  p99 %.2fs  "
			       "(%zu trials; %llu deaths of paused)\n",
			       pct(&s.rejoin, 50), pct(&s.rejoin, 99),
			       s.rejoin.n,
			       (unsigned long long)s.pause_deaths);
		if (s.heal.n)
			printf("  converged after heal   p50 %.2fs  p99 %.2fs  "
			       "(%zu heals)\n",
			       pct(&s.heal, 50), pct(&s.heal, 99), s.heal.n);
		printf("  update reaches all     p50 %.3fs  p99 %.3fs  (%zu "
		       "updates)\n",
		       pct(&s.update, 50), pct(&s.update, 99), s.update.n);
		printf("  false deaths           %llu  (%.3f per "
		       "instance-hour)\n",
		       (unsigned long long)s.false_deaths,
		       hours > 0 ? (double)s.false_deaths / hours : 0.0);
		if (s.sc == SC_SLOW)
			printf("  slow instance declared dead %llu times\n",
			       (unsigned long long)s.slow_deaths);
		if (s.decode_errors)
			printf("  DECODE ERRORS %llu\n",
			       (unsigned long long)s.decode_errors);
		printf("  suspicions %llu, refutations %llu, censored %llu\n",
		       (unsigned long long)s.suspicions,
		       (unsigned long long)s.refutations,
		       (unsigned long long)s.censored);
		if (verbose) {
			int k;

			for (k = 0; k < _WIRE_M_MAX; k++) {
				const char *name = k ? wire_msg_type_to_string(
							       (enum wire_msg_type)k)
						     : "push-pull";

				if (s.bytes_kind[k])
					printf("    %-12s %.0f B/s\n", name,
					       (double)s.bytes_kind[k] /
						       s.inst_seconds);
			}
		}
		printf("  bytes per instance     %.0f B/s\n",
		       s.inst_seconds > 0 ? (double)s.bytes / s.inst_seconds
					  : 0.0);
	}
	{
		size_t i;

		for (i = 0; i < s.n; i++)
			swim_free(s.in[i].sw);
	}
	sim_heap_done(&s.heap);
	free(s.in);
	free(s.knows);
	free(s.has);
	free(s.detect.v);
	free(s.rejoin.v);
	free(s.heal.v);
	free(s.update.v);
	return 0;
bad:
	usage(stderr);
	return 2;
}
