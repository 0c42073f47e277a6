/* The engine's internal helpers: the calendar arithmetic shared by the
 * readers, the data's calendar and the metrics.  Side-effect free. */
#ifndef STRATBOX_ENGINE_INTERNAL_H
#define STRATBOX_ENGINE_INTERNAL_H

#include "stratbox/engine.h"

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SECONDS_PER_DAY 86400

/* Days since 1970-01-01 of a proleptic Gregorian date, and back
 * (H. Hinnant's algorithms: exact for every int64 day we can meet). */
int64_t cal_days_from_civil(int64_t y, unsigned m, unsigned d);
void cal_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

/* Floor division of a time by a day: the day a time falls on. */
static inline int64_t cal_day(int64_t t)
{
	int64_t q = t / SECONDS_PER_DAY;
	return (t % SECONDS_PER_DAY < 0) ? q - 1 : q;
}

/* 0 = Monday ... 6 = Sunday (1970-01-01 was a Thursday). */
static inline unsigned cal_weekday(int64_t days)
{
	int64_t w = (days + 3) % 7;
	return (unsigned) (w < 0 ? w + 7 : w);
}

/* The period a time falls in, as a key that grows with time: its day, its
 * week (Monday to Sunday, the week pandas calls "W"), its month or year. */
int64_t cal_period_key(int64_t t, bt_frequency f);

/* Whether a month has the day, and how many days it has. */
unsigned cal_days_in_month(int64_t y, unsigned m);

/* "YYYY-MM-DD[( |T)HH:MM[:SS[.000]]][Z|(+|-)HH:MM]" of exactly len bytes.
 * 0, or -1 with a static reason. */
int cal_parse_datetime(const char *s, size_t len, int64_t *out, bool *has_time, const char **why);
/* "HH:MM[:SS[.000]]": seconds into the day. */
int cal_parse_clock(const char *s, size_t len, int64_t *out, const char **why);

/* log(b / a) for positive a and b, the per-bar log return.  Bars that
 * move less than 1/16 (nearly all) take the atanh series: with
 * s = (b - a) / (b + a), log(b / a) = 2 atanh(s) = 2 (s + s^3/3 + ... +
 * s^11/11), the next term below 2^-60 of the sum since |s| < 2^-5; b - a
 * is exact there, so this is as close to the true value as log() of the
 * rounded ratio, or closer, at a third of the cost.  Others take
 * log1p(), not log() of the rounded ratio, for the same reason. */
static inline double cal_log_ratio(double b, double a)
{
	double diff = b - a;
	if (!(fabs(diff) < 0x1p-4 * a))
		return log1p(diff / a);
	double s = diff / (b + a), s2 = s * s;
	return 2 * s *
	       (1 + s2 * (1.0 / 3 + s2 * (1.0 / 5 + s2 * (1.0 / 7 + s2 * (1.0 / 9 + s2 * (1.0 / 11))))));
}

/* What is wrong with a bar's prices and volume (volume NaN: none), written
 * into buf, or NULL: the one set of rules for files and for memory. */
const char *bt_bar_problem(double o, double h, double l, double c, double v, char *buf, size_t size);

/* An array of one value per bar.  Large ones are put on transparent huge
 * pages: a 10-million-bar backtest otherwise spends more time in the page
 * faults of its fresh arrays than in the backtest.  Freed with free(). */
void *bar_alloc(size_t bytes);
/* realloc() for arrays that grow (trades): once large, each growth is a
 * fresh huge-page block and a copy (glibc would grow it on the heap, in
 * 4 KiB pages, each a page fault).  old: the bytes in use. */
void *bar_realloc(void *p, size_t old, size_t bytes);

/* Times are kept within years 1..9999 so every one formats as ISO-8601. */
#define CAL_MIN_TIME (-62135596800LL) /* 0001-01-01T00:00:00Z */
#define CAL_MAX_TIME (253402300799LL) /* 9999-12-31T23:59:59Z */

#endif
