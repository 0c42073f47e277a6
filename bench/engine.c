/* The backtest engine's core alone: a target array in, metrics out, no
 * Python, one core.  Figures, never pass/fail.
 *
 *   engine [--bars N] [--runs R] [--data FILE] [--only sma|random|hold]
 *
 * FILE (data/GOOG.csv) is replicated to N bars (10,000,000): each copy
 * runs forward then the next one backwards in time (bars mirrored), so
 * prices stay in range however long the series, and its moves are squeezed
 * to the size of a minute's (else random flips lose everything to volatility
 * drag within a million bars); one-minute bars around the
 * clock from 2000-01-01, so the calendar (days as periods, A = 365) is a
 * real one.  Three target series: sma (a 10/30 moving-average cross, +1 or
 * -1), random (+1/-1, flipping with probability 0.05 a bar), hold (+1
 * throughout).  Each runs R times through bt_run_targets (the same
 * next/submit loop the lockstep front end drives, then the metrics); the
 * metrics are also timed alone.
 *
 * Then the case a sweep meets: FILE itself (2,148 bars for GOOG), the same
 * three kinds of targets, run back to back for about a second each: the
 * rate of whole backtests (results, trades and metrics) and of bars.
 */
#include "benchstat.h"
#include "stratbox/engine.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* Daily moves squeezed to minute-sized ones (an increasing map, so every
 * bar stays a valid bar): GOOG's ~2 % a day becomes ~0.07 % a minute. */
static double minute(double p)
{
	return 100 * pow(p / 100, 0.03);
}

static bt_series *replicate(const bt_series *g, size_t n)
{
	bt_series *s = NULL;
	sbx_error *err = NULL;
	if (bt_series_new("SYN", n, &s, &err) < 0) {
		fprintf(stderr, "%s\n", err->msg);
		exit(1);
	}
	for (size_t i = 0; i < n; i++) {
		size_t copy = i / g->n, k = i % g->n;
		bool back = copy % 2 == 1;
		size_t j = back ? g->n - 1 - k : k;
		s->time[i] = 946684800 + (int64_t) i * 60;
		s->open[i] = minute(back ? g->close[j] : g->open[j]);
		s->close[i] = minute(back ? g->open[j] : g->close[j]);
		s->high[i] = minute(g->high[j]);
		s->low[i] = minute(g->low[j]);
		s->volume[i] = g->volume[j];
	}
	return s;
}

static void sma_targets(const bt_data *d, double *t)
{
	const double *c = d->sym[0].close;
	double f = 0, s = 0;
	for (size_t i = 0; i < d->n; i++) {
		f += c[i] - (i >= 10 ? c[i - 10] : 0);
		s += c[i] - (i >= 30 ? c[i - 30] : 0);
		t[i] = i < 29 ? NAN : (f / 10 > s / 30 ? 1 : -1);
	}
}

static void random_targets(size_t n, double *t)
{
	uint64_t x = 88172645463325252ull;
	double cur = 1;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		if (x % 100 < 5)
			cur = -cur;
		t[i] = cur;
	}
}

static void run(const char *name, const bt_data *d, const double *t, int runs)
{
	bt_config c;
	bt_config_default(&c);
	c.fractional = 0.001; /* no commission: no run goes broke after half a million trades */
	double best = 1e300, best_m = 1e300, *all = malloc((size_t) runs * sizeof(double));
	size_t trades = 0;
	for (int r = 0; r < runs; r++) {
		bt_result *res = NULL;
		sbx_error *err = NULL;
		double t0 = now_ms();
		if (bt_run_targets(d, &c, t, d->n, &res, &err) < 0) {
			fprintf(stderr, "%s\n", err->msg);
			exit(1);
		}
		double t1 = now_ms();
		bt_metrics m;
		bt_metrics_compute(d, &c, res->equity, res->trades, res->ntrades, &m, &err);
		double t2 = now_ms();
		all[r] = t1 - t0;
		best = t1 - t0 < best ? t1 - t0 : best;
		best_m = t2 - t1 < best_m ? t2 - t1 : best_m;
		trades = res->ntrades;
		if (r == 0 && getenv("ENGINE_BENCH_DEBUG"))
			fprintf(stderr, "%s: placed %zu filled %zu rejected %zu, final equity %g, ruined %d\n",
				name, res->orders.placed, res->orders.filled, res->orders.rejected,
				res->metrics.equity_final, res->ruined);
		bt_result_free(res);
	}
	qsort(all, (size_t) runs, sizeof(double), cmp_double);
	double med = all[runs / 2];
	printf("%-7s %9zu trades  run %8.1f ms (median %8.1f)  %6.1f M bars/s (median %5.1f)  "
	       "metrics alone %6.1f ms = %6.1f M bars/s\n",
	       name, trades, best, med, (double) d->n / best / 1e3, (double) d->n / med / 1e3, best_m,
	       (double) d->n / best_m / 1e3);
	free(all);
}

/* Back-to-back runs on the small data set: what a grid sweep does. */
static void sweep(const char *name, const bt_data *d, const double *t)
{
	bt_config c;
	bt_config_default(&c);
	c.fractional = 0.001;
	size_t runs = 0, trades = 0;
	double t0 = now_ms(), t1;
	do {
		for (int k = 0; k < 100; k++) {
			bt_result *res = NULL;
			if (bt_run_targets(d, &c, t, d->n, &res, NULL) < 0)
				exit(1);
			trades = res->ntrades;
			bt_result_free(res);
			runs++;
		}
		t1 = now_ms();
	} while (t1 - t0 < 1000);
	double per = (t1 - t0) / (double) runs;
	printf("%-7s %9zu trades  %7.1f us a backtest = %8.0f backtests/s = %6.1f M bars/s\n", name,
	       trades, per * 1e3, 1e3 / per, (double) d->n / per / 1e3);
}

int main(int argc, char **argv)
{
	size_t n = 10000000;
	int runs = 5;
	const char *file = "data/GOOG.csv", *only = "";
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--bars") == 0)
			n = strtoul(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--runs") == 0)
			runs = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--data") == 0)
			file = argv[i + 1];
		else if (strcmp(argv[i], "--only") == 0)
			only = argv[i + 1];
	}
	sbx_error *err = NULL;
	bt_series *g = NULL, *s;
	bt_data *d = NULL;
	double t0 = now_ms();
	if (bt_series_read(file, "G", &g, &err) < 0) {
		fprintf(stderr, "%s\n", err->msg);
		return 1;
	}
	double t1 = now_ms();
	s = replicate(g, n);
	double t2 = now_ms();
	if (bt_data_new(&s, 1, &d, &err) < 0) {
		fprintf(stderr, "%s\n", err->msg);
		return 1;
	}
	double t3 = now_ms();
	bt_series_free(s);
	printf("engine core, one core: %zu one-minute bars (%s x %zu), %zu daily periods, A = %g\n",
	       n, file, n / g->n, d->nperiods, d->periods_per_year);
	printf("reading %s: %.2f ms (%zu bars); replicating: %.0f ms; aligning + calendar: %.0f ms\n",
	       file, t1 - t0, g->n, t2 - t1, t3 - t2);
	double *t = malloc(n * sizeof(double));
	if (!*only || strcmp(only, "sma") == 0) {
		sma_targets(d, t);
		run("sma", d, t, runs);
	}
	if (!*only || strcmp(only, "random") == 0) {
		random_targets(n, t);
		run("random", d, t, runs);
	}
	if (!*only || strcmp(only, "hold") == 0) {
		for (size_t i = 0; i < n; i++)
			t[i] = 1;
		run("hold", d, t, runs);
	}
	free(t);
	bt_data_free(d);

	bt_data *small = NULL;
	if (bt_data_new(&g, 1, &small, &err) < 0)
		return 1;
	printf("\nsweep: %s itself (%zu bars), back to back, one core\n", file, small->n);
	t = malloc(small->n * sizeof(double));
	sma_targets(small, t);
	sweep("sma", small, t);
	random_targets(small->n, t);
	sweep("random", small, t);
	for (size_t i = 0; i < small->n; i++)
		t[i] = 1;
	sweep("hold", small, t);
	free(t);
	bt_data_free(small);
	bt_series_free(g);
	return 0;
}
