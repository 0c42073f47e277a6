/* Series and their alignment: several symbols on the union of their
 * timestamps, and the calendar of that timeline (frequency, periods per
 * year, the last bar of each period), computed once so that every run on
 * the same data, on any thread, shares it read-only. */
#include "common/util.h"
#include "engine/internal.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>

#define HUGE_PAGE (2u << 20)

void *bar_alloc(size_t bytes)
{
	if (bytes < 2 * HUGE_PAGE)
		return malloc(bytes);
	void *p = NULL;
	if (posix_memalign(&p, HUGE_PAGE, bytes) != 0)
		return NULL;
	madvise(p, bytes, MADV_HUGEPAGE); /* a hint: where THP is off, nothing changes */
	return p;
}

void *bar_realloc(void *p, size_t old, size_t bytes)
{
	if (bytes < 2 * HUGE_PAGE)
		return realloc(p, bytes);
	void *q = bar_alloc(bytes);
	if (q == NULL)
		return NULL;
	if (old > 0)
		memcpy(q, p, old < bytes ? old : bytes);
	free(p);
	return q;
}

/* One block per series: the times, then the five price/volume arrays. */
int bt_series_new(const char *symbol, size_t n, bt_series **out, sbx_error **err)
{
	if (symbol == NULL || *symbol == '\0')
		return sbx_error_set(err, 0, "a series needs a symbol name");
	if (n == 0 || n > ((size_t) 1 << 34))
		return sbx_error_set(err, 0, "%s: %zu bars is not a usable length", symbol, n);
	bt_series *s = calloc(1, sizeof(*s));
	char *block = bar_alloc(n * (sizeof(int64_t) + 5 * sizeof(double)));
	if (s == NULL || block == NULL) {
		free(s);
		free(block);
		return sbx_error_set(err, ENOMEM, "%s: %zu bars", symbol, n);
	}
	s->time = (int64_t *) (void *) block;
	double *p = (double *) (void *) (block + n * sizeof(int64_t));
	s->open = p;
	s->high = p + n;
	s->low = p + 2 * n;
	s->close = p + 3 * n;
	s->volume = p + 4 * n;
	s->n = n;
	s->symbol = strdup(symbol);
	s->source = strdup("");
	if (s->symbol == NULL || s->source == NULL) {
		bt_series_free(s);
		return sbx_error_set(err, ENOMEM, "%s", symbol);
	}
	*out = s;
	return 0;
}

void bt_series_free(bt_series *s)
{
	if (s == NULL)
		return;
	free(s->time); /* the block */
	free(s->symbol);
	free(s->source);
	free(s);
}

int bt_series_check(const bt_series *s, sbx_error **err)
{
	char why[160];
	if (s->n == 0)
		return sbx_error_set(err, 0, "%s: no bars", s->symbol);
	for (size_t i = 0; i < s->n; i++) {
		if (bt_bar_problem(s->open[i], s->high[i], s->low[i], s->close[i], s->volume[i], why,
				   sizeof(why)))
			return sbx_error_set(err, 0, "%s: bar %zu: %s", s->symbol, i, why);
		if (s->time[i] < CAL_MIN_TIME || s->time[i] > CAL_MAX_TIME)
			return sbx_error_set(err, 0, "%s: bar %zu: time out of range", s->symbol, i);
		if (i > 0 && s->time[i] <= s->time[i - 1])
			return sbx_error_set(err, 0, "%s: bar %zu: time %s the previous bar's", s->symbol,
					     i, s->time[i] == s->time[i - 1] ? "repeats" : "is before");
	}
	return 0;
}

int bt_series_clip(bt_series *s, int64_t start, int64_t end, sbx_error **err)
{
	size_t a = 0, b = s->n;
	while (a < s->n && s->time[a] < start)
		a++;
	while (b > a && s->time[b - 1] > end)
		b--;
	if (a == b) {
		char x[32] = "the beginning", y[32] = "the end";
		if (start > CAL_MIN_TIME)
			bt_time_format(start, x, sizeof(x));
		if (end < CAL_MAX_TIME)
			bt_time_format(end, y, sizeof(y));
		return sbx_error_set(err, 0, "%s: no bar from %s to %s", s->symbol, x, y);
	}
	size_t n = b - a;
	memmove(s->time, s->time + a, n * sizeof(int64_t));
	double *arr[5] = { s->open, s->high, s->low, s->close, s->volume };
	for (int k = 0; k < 5; k++)
		memmove(arr[k], arr[k] + a, n * sizeof(double));
	s->n = n;
	return 0;
}

const char *bt_frequency_name(bt_frequency f)
{
	switch (f) {
	case BT_FREQ_INTRADAY: return "intraday";
	case BT_FREQ_DAILY: return "daily";
	case BT_FREQ_WEEKLY: return "weekly";
	case BT_FREQ_MONTHLY: return "monthly";
	case BT_FREQ_YEARLY: return "yearly";
	}
	return "unknown";
}

void bt_data_free(bt_data *d)
{
	if (d == NULL)
		return;
	for (size_t k = 0; k < d->nsym && d->sym; k++) {
		free(d->sym[k].name);
		free(d->sym[k].source);
		free(d->sym[k].open); /* the symbol's block */
	}
	free(d->sym);
	free(d->time);
	free(d->period_last);
	free(d->mkt_logret);
	free(d);
}

/* The union of the series' times: a k-way merge of sorted arrays. */
static int union_times(bt_series *const *s, size_t k, bt_data *d, sbx_error **err)
{
	size_t total = 0;
	for (size_t j = 0; j < k; j++)
		total += s[j]->n;
	d->time = bar_alloc(total * sizeof(int64_t));
	cleanup_free size_t *pos = calloc(k, sizeof(size_t));
	if (d->time == NULL || pos == NULL)
		return sbx_error_set(err, ENOMEM, "aligning %zu bars", total);
	size_t n = 0;
	for (;;) {
		int64_t next = INT64_MAX;
		bool any = false;
		for (size_t j = 0; j < k; j++)
			if (pos[j] < s[j]->n && (!any || s[j]->time[pos[j]] < next)) {
				next = s[j]->time[pos[j]];
				any = true;
			}
		if (!any)
			break;
		d->time[n++] = next;
		for (size_t j = 0; j < k; j++)
			if (pos[j] < s[j]->n && s[j]->time[pos[j]] == next)
				pos[j]++;
	}
	d->n = n;
	return 0;
}

static int place_symbol(const bt_series *s, const bt_data *d, bt_symbol *y, sbx_error **err)
{
	size_t n = d->n;
	char *block = bar_alloc(n * (5 * sizeof(double) + 1));
	y->name = strdup(s->symbol);
	y->source = strdup(s->source ? s->source : "");
	if (block == NULL || y->name == NULL || y->source == NULL) {
		free(block);
		return sbx_error_set(err, ENOMEM, "%s: aligning %zu bars", s->symbol, n);
	}
	double *p = (double *) (void *) block;
	y->open = p;
	y->high = p + n;
	y->low = p + 2 * n;
	y->close = p + 3 * n;
	y->volume = p + 4 * n;
	y->has_bar = (uint8_t *) (block + 5 * n * sizeof(double));
	y->bars = s->n;
	double last = NAN;
	size_t j = 0;
	for (size_t i = 0; i < n; i++) {
		if (j < s->n && s->time[j] == d->time[i]) {
			if (j == 0)
				y->first_bar = i;
			y->open[i] = s->open[j];
			y->high[i] = s->high[j];
			y->low[i] = s->low[j];
			y->close[i] = last = s->close[j];
			y->volume[i] = s->volume[j];
			y->has_bar[i] = 1;
			j++;
		} else {
			y->open[i] = y->high[i] = y->low[i] = y->close[i] = last;
			y->volume[i] = 0;
			y->has_bar[i] = 0;
		}
	}
	return 0;
}

/* The k-th smallest of a[0..n) in a[k] (Hoare's selection), everything
 * before it no larger: the median in linear time. */
static void select_kth(int64_t *a, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;
	while (lo < hi) {
		int64_t pivot = a[lo + (hi - lo) / 2];
		size_t i = lo, j = hi;
		while (i <= j) {
			while (a[i] < pivot)
				i++;
			while (a[j] > pivot)
				j--;
			if (i <= j) {
				int64_t t = a[i];
				a[i] = a[j];
				a[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return;
	}
}

/* The frequency from the median spacing, as pandas' Timedelta.days of it
 * would name it, and A (docs/metrics.md). */
static int calendar(bt_data *d, sbx_error **err)
{
	size_t n = d->n;
	if (n >= 2) {
		cleanup_free int64_t *gap = bar_alloc((n - 1) * sizeof(int64_t));
		if (gap == NULL)
			return sbx_error_set(err, ENOMEM, "calendar of %zu bars", n);
		for (size_t i = 1; i < n; i++)
			gap[i - 1] = d->time[i] - d->time[i - 1];
		/* the median, as pandas takes it: the mean of the middle two */
		size_t m = n - 1;
		select_kth(gap, m, m / 2);
		int64_t hi = gap[m / 2], lo = hi;
		if (m % 2 == 0) {
			lo = gap[0];
			for (size_t i = 1; i < m / 2; i++)
				lo = gap[i] > lo ? gap[i] : lo;
		}
		d->median_gap = lo + (hi - lo) / 2;
	}
	int64_t days = d->median_gap / SECONDS_PER_DAY;
	size_t weekend = 0;
	for (size_t i = 0; i < n; i++)
		weekend += cal_weekday(cal_day(d->time[i])) >= 5;
	d->weekend_share = (double) weekend / (double) n;
	if (n >= 2 && d->median_gap < SECONDS_PER_DAY)
		d->freq = BT_FREQ_INTRADAY;
	else if (days >= 6 && days <= 8)
		d->freq = BT_FREQ_WEEKLY;
	else if (days >= 28 && days <= 31)
		d->freq = BT_FREQ_MONTHLY;
	else if (days >= 365 && days <= 366)
		d->freq = BT_FREQ_YEARLY;
	else
		d->freq = BT_FREQ_DAILY;
	switch (d->freq) {
	case BT_FREQ_WEEKLY: d->periods_per_year = 52; break;
	case BT_FREQ_MONTHLY: d->periods_per_year = 12; break;
	case BT_FREQ_YEARLY: d->periods_per_year = 1; break;
	case BT_FREQ_INTRADAY:
	case BT_FREQ_DAILY:
		d->periods_per_year = d->weekend_share > 0.6 * 2.0 / 7.0 ? 365 : 252;
		break;
	}

	d->period_last = bar_alloc(n * sizeof(size_t));
	if (d->period_last == NULL)
		return sbx_error_set(err, ENOMEM, "calendar of %zu bars", n);
	d->nperiods = 0;
	int64_t key = cal_period_key(d->time[0], d->freq);
	for (size_t i = 1; i <= n; i++) {
		int64_t next = i < n ? cal_period_key(d->time[i], d->freq) : key + 1;
		if (next != key)
			d->period_last[d->nperiods++] = i - 1;
		key = next;
	}
	return 0;
}

/* The benchmark's log returns, once for every run's beta. */
static int market_returns(bt_data *d, sbx_error **err)
{
	const double *c = d->sym[0].close;
	d->mkt_logret = bar_alloc(d->n * sizeof(double));
	if (d->mkt_logret == NULL)
		return sbx_error_set(err, ENOMEM, "returns of %zu bars", d->n);
	d->mkt_logret[0] = NAN;
	for (size_t i = 1; i < d->n; i++) {
		if (i <= d->sym[0].first_bar) {
			d->mkt_logret[i] = NAN;
			continue;
		}
		double y = cal_log_ratio(c[i], c[i - 1]);
		d->mkt_logret[i] = y;
		d->mkt_n++;
		d->mkt_sum += y;
		d->mkt_sumsq += y * y;
	}
	return 0;
}

int bt_data_new(bt_series *const *series, size_t k, bt_data **out, sbx_error **err)
{
	if (k == 0)
		return sbx_error_set(err, 0, "no symbols");
	for (size_t j = 0; j < k; j++) {
		if (series[j] == NULL || series[j]->n == 0)
			return sbx_error_set(err, 0, "symbol %zu has no bars", j + 1);
		for (size_t i = 0; i < j; i++)
			if (strcasecmp(series[i]->symbol, series[j]->symbol) == 0)
				return sbx_error_set(err, 0, "symbol %s is given twice", series[j]->symbol);
	}
	bt_data *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return sbx_error_set(err, ENOMEM, "data");
	d->sym = calloc(k, sizeof(bt_symbol));
	if (d->sym == NULL) {
		free(d);
		return sbx_error_set(err, ENOMEM, "data");
	}
	d->nsym = k;
	if (union_times(series, k, d, err) < 0)
		goto fail;
	for (size_t j = 0; j < k; j++)
		if (place_symbol(series[j], d, &d->sym[j], err) < 0)
			goto fail;
	if (calendar(d, err) < 0 || market_returns(d, err) < 0)
		goto fail;
	*out = d;
	return 0;
fail:
	bt_data_free(d);
	return -1;
}
