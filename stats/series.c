/*
 * series: one statistic's counters or gauge, and its integration into
 * each period's history.  See internal.h.
 */
#include "stats/internal.h"

#include "core/util.h"

/* ------------------------------------------------------------ series */

void
stats_series_init(struct series *s, enum series_kind kind, double scale,
		  unsigned history)
{
	size_t i;

	*s = (struct series){.kind = kind, .scale = scale};
	for (i = 0; i < STATS_PERIODS_MAX; i++)
		stats_window_init(&s->win[i], history);
}

void
stats_series_done(struct series *s)
{
	size_t i;

	for (i = 0; i < STATS_PERIODS_MAX; i++)
		stats_window_done(&s->win[i]);
}

void
stats_series_gauge(struct series *s, double v)
{
	s->num = v;
	s->inst = v;
	s->has_inst = true;
}

/* Counters only grow: the caller passes non-negative deltas. */
void
stats_series_add(struct series *s, double dnum, double dden)
{
	s->num += dnum;
	s->den += dden;
	s->has_inst = dden > 0;
	s->inst = dden > 0 ? s->scale * dnum / dden : 0;
}

void
stats_series_integrate(struct series *s, size_t p)
{
	if (s->kind == SERIES_GAUGE) {
		if (s->ref[p].set && s->has_inst)
			stats_window_push(&s->win[p], s->num);
		s->ref[p].set = s->has_inst;
		return;
	}
	if (s->ref[p].set && s->den > s->ref[p].den)
		stats_window_push(&s->win[p], s->scale *
						      (s->num - s->ref[p].num) /
						      (s->den - s->ref[p].den));
	s->ref[p].num = s->num;
	s->ref[p].den = s->den;
	s->ref[p].set = true;
}

bool
stats_series_value(const struct series *s, int period, double *ret)
{
	const struct stats_window *w;

	if (period < 0) {
		*ret = s->inst;
		return s->has_inst;
	}
	w = &s->win[period];
	if (w->len == 0)
		return false;
	*ret = stats_window_at(w, w->len - 1);
	return true;
}

void
stats_series_figures(const struct series *s, int period,
		     struct stats_figures *ret)
{
	if (period < 0) {
		*ret = (struct stats_figures){0};
		return;
	}
	stats_window_figures(&s->win[period], ret);
}
