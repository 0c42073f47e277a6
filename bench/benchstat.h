/* Shared by the benchmark programs: a monotonic clock in milliseconds and
 * the one-line latency summary they all print (p50/p90/p99, min, mean). */
#ifndef STRATBOX_BENCHSTAT_H
#define STRATBOX_BENCHSTAT_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *) a, y = *(const double *) b;
	return x < y ? -1 : x > y;
}

/* Sorts t. */
static inline void print_summary(const char *label, double *t, int n, const char *suffix)
{
	qsort(t, (size_t) n, sizeof(double), cmp_double);
	double sum = 0;
	for (int i = 0; i < n; i++)
		sum += t[i];
	int p99 = (int) (n * 0.99);
	if (p99 >= n)
		p99 = n - 1;
	printf("%-28s n=%d p50=%.2f p90=%.2f p99=%.2f min=%.2f mean=%.2f ms%s\n", label, n, t[n / 2],
	       t[(int) (n * 0.9)], t[p99], t[0], sum / n, suffix);
}

/* The same summary in any unit (sorts t). */
static inline void bench_print(const char *label, double *t, size_t n, const char *unit)
{
	qsort(t, n, sizeof(double), cmp_double);
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += t[i];
	size_t p99 = (size_t) ((double) n * 0.99);
	if (p99 >= n)
		p99 = n - 1;
	printf("%-12s n=%zu p50=%.3f p90=%.3f p99=%.3f min=%.3f mean=%.3f %s\n", label, n, t[n / 2],
	       t[(size_t) ((double) n * 0.9)], t[p99], t[0], sum / (double) n, unit);
}

#endif
