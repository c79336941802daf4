/*
 * window: the history of one statistic for one integration period, and
 * the figures Supvisors' dashboard shows for it (reference/supvisors.md
 * §6): last value, mean, rate of change between the last two points (in
 * percent of the older one), slope of the least-squares line through the
 * points (x = point index, so in units per period, as Supvisors computes
 * it), and the population standard deviation.
 *
 * Points are stored as float: 5000 processes with seven series and a
 * history of 200 would otherwise cost twice the memory for digits nobody
 * reads.  The ring grows as points arrive, up to its depth, so a daemon
 * that just started holds little.
 *
 * Ownership: a struct stats_window is embedded by its owner, set up with
 * stats_window_init() and released with stats_window_done().
 */
#ifndef STATS_WINDOW_H
#define STATS_WINDOW_H

#include <stdbool.h>
#include <stddef.h>

struct stats_window {
	float *points;
	unsigned depth; /* most points kept */
	unsigned len;   /* points held */
	unsigned cap;   /* allocated */
	unsigned head;  /* index of the oldest point once the ring is full */
};

struct stats_figures {
	unsigned n; /* points in the history; figures are 0 when n == 0 */
	double last;
	double mean;
	double rate;   /* percent; valid only when has_rate */
	bool has_rate; /* n >= 2 and the previous point is not 0 */
	double slope;  /* per point; 0 when n < 2 */
	double stddev;
};

void stats_window_init(struct stats_window *w, unsigned depth);
void stats_window_done(struct stats_window *w);
void stats_window_clear(struct stats_window *w);
void stats_window_push(struct stats_window *w, double v);
/* Point I, 0 = oldest; I < w->len. */
double stats_window_at(const struct stats_window *w, unsigned i);
void stats_window_figures(const struct stats_window *w,
			  struct stats_figures *ret);
/* The same figures over an array (oldest first). */
void stats_figures_of(const double *v, unsigned n, struct stats_figures *ret);

#endif
