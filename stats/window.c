/*
 * window: a bounded history per statistic and its figures.  See window.h.
 *
 * Figures are computed on demand (when the API is asked), not on every
 * push: a daemon sampling every second is asked far less often than it
 * samples.  Sums run in double over the float points, two passes for the
 * standard deviation so that a large mean does not eat the digits.
 */
#include "stats/window.h"

#include <math.h>
#include <stdlib.h>

#include "core/util.h"

void
stats_window_init(struct stats_window *w, unsigned depth)
{
	*w = (struct stats_window){.depth = depth ? depth : 1};
}

void
stats_window_done(struct stats_window *w)
{
	free(w->points);
	stats_window_init(w, w->depth);
}

void
stats_window_clear(struct stats_window *w)
{
	w->len = 0;
	w->head = 0;
}

void
stats_window_push(struct stats_window *w, double v)
{
	if (w->len < w->depth) {
		if (w->len == w->cap) {
			unsigned cap = w->cap ? w->cap * 2 : 8;

			if (cap > w->depth)
				cap = w->depth;
			w->points = xreallocarray(w->points, cap,
						  sizeof(*w->points));
			w->cap = cap;
		}
		w->points[w->len++] = (float)v;
		return;
	}
	w->points[w->head] = (float)v;
	w->head = (w->head + 1) % w->depth;
}

double
stats_window_at(const struct stats_window *w, unsigned i)
{
	return w->points[(w->head + i) % w->len];
}

static void
figures(double (*at)(const void *, unsigned), const void *src, unsigned n,
	struct stats_figures *ret)
{
	struct stats_figures f = {.n = n};
	double sum = 0, var = 0, sxy = 0, sxx = 0, xm, prev;
	unsigned i;

	if (n == 0) {
		*ret = f;
		return;
	}
	for (i = 0; i < n; i++)
		sum += at(src, i);
	f.mean = sum / n;
	f.last = at(src, n - 1);
	xm = (n - 1) / 2.0;
	for (i = 0; i < n; i++) {
		double d = at(src, i) - f.mean;

		var += d * d;
		sxy += (i - xm) * d;
		sxx += (i - xm) * (i - xm);
	}
	f.stddev = sqrt(var / n);
	if (n >= 2) {
		f.slope = sxy / sxx;
		prev = at(src, n - 2);
		if (prev != 0) {
			f.rate = 100.0 * (f.last - prev) / prev;
			f.has_rate = true;
		}
	}
	*ret = f;
}

static double
window_at(const void *src, unsigned i)
{
	return stats_window_at(src, i);
}

static double
array_at(const void *src, unsigned i)
{
	return ((const double *)src)[i];
}

void
stats_window_figures(const struct stats_window *w, struct stats_figures *ret)
{
	figures(window_at, w, w->len, ret);
}

void
stats_figures_of(const double *v, unsigned n, struct stats_figures *ret)
{
	figures(array_at, v, n, ret);
}
