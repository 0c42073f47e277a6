/* The metrics of a backtest (docs/metrics.md has every formula).
 *
 * One pass over the equity curve gives the drawdowns, the period returns
 * and the covariance with the benchmark; one pass over the trades gives
 * the trade statistics.  Undefined values are NaN (null in JSON): a ratio
 * whose denominator is 0, a statistic of too few values.
 */
#include "common/util.h"
#include "engine/internal.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#define F(name, kind, better) { #name, offsetof(bt_metrics, name), kind, better }
static const bt_metric_field fields[] = {
	F(start, BT_METRIC_TIME, 0),
	F(end, BT_METRIC_TIME, 0),
	F(duration_days, BT_METRIC_REAL, 0),
	F(exposure_pct, BT_METRIC_REAL, 0),
	F(equity_final, BT_METRIC_REAL, 1),
	F(equity_peak, BT_METRIC_REAL, 1),
	F(return_pct, BT_METRIC_REAL, 1),
	F(buy_hold_return_pct, BT_METRIC_REAL, 0),
	F(return_ann_pct, BT_METRIC_REAL, 1),
	F(volatility_ann_pct, BT_METRIC_REAL, -1),
	F(cagr_pct, BT_METRIC_REAL, 1),
	F(sharpe, BT_METRIC_REAL, 1),
	F(sortino, BT_METRIC_REAL, 1),
	F(calmar, BT_METRIC_REAL, 1),
	F(beta, BT_METRIC_REAL, 0),
	F(alpha_pct, BT_METRIC_REAL, 1),
	F(max_drawdown_pct, BT_METRIC_REAL, -1),
	F(avg_drawdown_pct, BT_METRIC_REAL, -1),
	F(max_drawdown_duration_days, BT_METRIC_REAL, -1),
	F(avg_drawdown_duration_days, BT_METRIC_REAL, -1),
	F(trades, BT_METRIC_COUNT, 0),
	F(win_rate_pct, BT_METRIC_REAL, 1),
	F(best_trade_pct, BT_METRIC_REAL, 1),
	F(worst_trade_pct, BT_METRIC_REAL, 1),
	F(avg_trade_pct, BT_METRIC_REAL, 1),
	F(max_trade_duration_days, BT_METRIC_REAL, 0),
	F(avg_trade_duration_days, BT_METRIC_REAL, 0),
	F(profit_factor, BT_METRIC_REAL, 1),
	F(expectancy_pct, BT_METRIC_REAL, 1),
	F(sqn, BT_METRIC_REAL, 1),
	F(kelly, BT_METRIC_REAL, 1),
	F(commissions, BT_METRIC_REAL, -1),
};
#undef F

const bt_metric_field *bt_metric_fields(size_t *n)
{
	*n = ARRAY_SIZE(fields);
	return fields;
}

const bt_metric_field *bt_metric_find(const char *name)
{
	for (size_t i = 0; name && i < ARRAY_SIZE(fields); i++)
		if (strcmp(fields[i].name, name) == 0)
			return &fields[i];
	return NULL;
}

double bt_metric_value(const bt_metrics *m, const bt_metric_field *f)
{
	const char *p = (const char *) m + f->offset;
	switch (f->kind) {
	case BT_METRIC_TIME: return (double) *(const int64_t *) (const void *) p;
	case BT_METRIC_COUNT: return (double) *(const size_t *) (const void *) p;
	case BT_METRIC_REAL: break;
	}
	return *(const double *) (const void *) p;
}

static double ratio(double a, double b)
{
	return (b == 0 || isnan(b)) ? NAN : a / b;
}

static double days_up(double seconds)
{
	return ceil(seconds / SECONDS_PER_DAY);
}

/* Drawdown = 1 - equity / running peak.  A drawdown period runs from a bar
 * at zero drawdown (equity at its running peak) to the next one, with at
 * least one bar below the peak between them; an unfinished one ends at the
 * last bar.  Its depth is its deepest point: 1 - trough / peak. */
struct dd_acc {
	double maxdd, sum_depth, sum_dur, max_dur;
	size_t nper;
};

static void dd_close(struct dd_acc *a, const bt_data *d, double peak, double trough, size_t start,
		     size_t stop)
{
	double depth = peak > 0 ? 1 - trough / peak : 1;
	double dur = (double) (d->time[stop] - d->time[start]);
	a->nper++;
	a->sum_depth += depth;
	a->maxdd = depth > a->maxdd ? depth : a->maxdd;
	a->sum_dur += dur;
	a->max_dur = dur > a->max_dur ? dur : a->max_dur;
}

static void dd_finish(const struct dd_acc *a, bt_metrics *m)
{
	double n = (double) a->nper;
	m->max_drawdown_pct = a->maxdd * 100;
	m->avg_drawdown_pct = a->nper ? a->sum_depth / n * 100 : NAN;
	m->max_drawdown_duration_days = a->nper ? days_up(a->max_dur) : NAN;
	m->avg_drawdown_duration_days = a->nper ? days_up(a->sum_dur / n) : NAN;
}

/* Returns of the equity at each period's last bar: their geometric mean g,
 * sample variance and downside deviation, annualised with A. */
static void period_returns(const bt_data *d, const double *eq, double max_dd, bt_metrics *m)
{
	size_t np = d->nperiods, nr = np > 0 ? np - 1 : 0;
	double A = d->periods_per_year;
	double shift = 0, s1 = 0, s2 = 0, down = 0;
	bool wiped = false;
	for (size_t k = 1; k < np; k++) {
		double prev = eq[d->period_last[k - 1]], cur = eq[d->period_last[k]];
		double r = prev > 0 ? cur / prev - 1 : 0;
		if (k == 1)
			shift = r;
		s1 += r - shift;
		s2 += (r - shift) * (r - shift);
		down += r < 0 ? r * r : 0;
		wiped = wiped || r <= -1;
	}
	double g = NAN, var = NAN;
	if (nr >= 1) {
		/* The product of the (1 + r) telescopes to last / first.  After a
		 * ruin equity stays 0: a return from 0 counts as 0, the one to
		 * 0 as -100 %. */
		double first = eq[d->period_last[0]], last = eq[d->period_last[np - 1]];
		g = wiped ? -1 : first > 0 ? exp(log(last / first) / (double) nr) - 1 : 0;
	}
	if (nr >= 2)
		var = (s2 - s1 * s1 / (double) nr) / (double) (nr - 1);
	double ann = pow(1 + g, A) - 1;
	double inner = pow(var + (1 + g) * (1 + g), A) - pow(1 + g, 2 * A);
	double vol = sqrt(inner > 0 ? inner : 0) * 100;
	if (isnan(var))
		vol = NAN;
	m->return_ann_pct = ann * 100;
	m->volatility_ann_pct = vol;
	m->sharpe = ratio(m->return_ann_pct, m->volatility_ann_pct);
	m->sortino = nr >= 1 ? ratio(ann, sqrt(down / (double) nr) * sqrt(A)) : NAN;
	m->calmar = ratio(ann, max_dd);
}

/* beta = cov(x, y) / var(y) of the per-bar log returns of the equity (x)
 * and of the first symbol's Close (y), over the bars where both exist:
 * after the benchmark's first bar, and (after a ruin) between positive
 * equities.  Without a ruin the market's sums are the data's, computed once. */
struct beta_acc {
	double sx, sxy, sy, syy;
	size_t cnt;
};

static double beta_finish(const struct beta_acc *b)
{
	if (b->cnt < 2)
		return NAN;
	double c = (double) b->cnt;
	double cov = (b->sxy - b->sx * b->sy / c) / (c - 1);
	double vy = (b->syy - b->sy * b->sy / c) / (c - 1);
	return ratio(cov, vy);
}

/* After a ruin: only the pairs of positive equities count. */
static void beta_ruined(const bt_data *d, const double *eq, struct beta_acc *b)
{
	for (size_t i = d->sym[0].first_bar + 1; i < d->n; i++) {
		if (!(eq[i - 1] > 0 && eq[i] > 0))
			continue;
		double x = eq[i] == eq[i - 1] ? 0 : cal_log_ratio(eq[i], eq[i - 1]);
		double y = d->mkt_logret[i];
		b->sx += x;
		b->sxy += x * y;
		b->sy += y;
		b->syy += y * y;
		b->cnt++;
	}
}

/* One pass over the equity curve: the drawdowns and, without a ruin, the
 * covariance (the loop every bar of every run goes through: its state in
 * locals, the rare events out of line). */
static void equity_pass(const bt_data *d, const double *eq, bt_metrics *m)
{
	struct dd_acc dd = { 0 };
	struct beta_acc b = { 0 };
	bool alive = eq[d->n - 1] > 0; /* no ruin: every equity value is positive */
	double peak = eq[0], trough = 0, sx = 0, sxy = 0;
	size_t start = 0, fb = alive ? d->sym[0].first_bar : d->n;
	bool below = false;
	const double *y = d->mkt_logret;
	for (size_t i = 0; i < d->n; i++) {
		double e = eq[i];
		if (e < peak) {
			trough = !below || e < trough ? e : trough;
			below = true;
		} else {
			if (below)
				dd_close(&dd, d, peak, trough, start, i);
			peak = e;
			start = i;
			below = false;
		}
		if (i > fb && e != eq[i - 1]) {
			double x = cal_log_ratio(e, eq[i - 1]);
			sx += x;
			sxy += x * y[i];
		}
	}
	if (below)
		dd_close(&dd, d, peak, trough, start, d->n - 1);
	m->equity_peak = peak;
	dd_finish(&dd, m);
	if (alive)
		b = (struct beta_acc){ sx, sxy, d->mkt_sum, d->mkt_sumsq, d->mkt_n };
	else
		beta_ruined(d, eq, &b);
	m->beta = beta_finish(&b);
}

struct range {
	size_t a, b;
};

static int cmp_range(const void *x, const void *y)
{
	const struct range *p = x, *q = y;
	return (p->a > q->a) - (p->a < q->a);
}

/* Bars covered by ranges [a, b] given in order of their start. */
struct sweep {
	size_t covered, end;
	bool any;
};

static void sweep_add(struct sweep *s, size_t a, size_t b)
{
	if (!s->any || a > s->end) {
		s->covered += b - a + 1;
		s->end = b;
		s->any = true;
	} else if (b > s->end) {
		s->covered += b - s->end;
		s->end = b;
	}
}

/* Bars with a trade open (entry to exit bar inclusive), as a share of all.
 * Trades come in the order they closed, usually also the order they
 * opened; only otherwise are their ranges copied and sorted. */
static int exposure(size_t n, const bt_trade *t, size_t nt, double *out, sbx_error **err)
{
	struct sweep s = { 0, 0, false };
	bool sorted = true;
	for (size_t k = 1; k < nt && sorted; k++)
		sorted = t[k].entry_bar >= t[k - 1].entry_bar;
	if (sorted) {
		for (size_t k = 0; k < nt; k++)
			sweep_add(&s, t[k].entry_bar, t[k].exit_bar);
	} else {
		cleanup_free struct range *r = bar_alloc(nt * sizeof(*r));
		if (r == NULL)
			return sbx_error_set(err, ENOMEM, "metrics: %zu trades", nt);
		for (size_t k = 0; k < nt; k++)
			r[k] = (struct range){ t[k].entry_bar, t[k].exit_bar };
		qsort(r, nt, sizeof(*r), cmp_range);
		for (size_t k = 0; k < nt; k++)
			sweep_add(&s, r[k].a, r[k].b);
	}
	*out = (double) s.covered / (double) n * 100;
	return 0;
}

/* Statistics of the closed trades. */
static void trade_stats(const bt_trade *t, size_t nt, bt_metrics *m)
{
	size_t n = 0, wins = 0, losses = 0;
	double best = -INFINITY, worst = INFINITY, slog = 0, sret = 0, mean = 0, m2 = 0;
	double win_pnl = 0, loss_pnl = 0, pos_ret = 0, neg_ret = 0, sdur = 0, maxdur = 0;
	bool geo_ok = true;
	m->commissions = 0;
	for (size_t k = 0; k < nt; k++) {
		m->commissions += t[k].commissions;
		if (t[k].exit_reason == BT_EXIT_OPEN)
			continue;
		double r = t[k].return_pct / 100, p = t[k].pnl;
		n++;
		best = r > best ? r : best;
		worst = r < worst ? r : worst;
		geo_ok = geo_ok && 1 + r > 0;
		slog += geo_ok ? log1p(r) : 0;
		sret += r;
		double delta = p - mean; /* Welford: the P&L's sample variance */
		mean += delta / (double) n;
		m2 += delta * (p - mean);
		if (p > 0)
			wins++, win_pnl += p;
		else if (p < 0)
			losses++, loss_pnl -= p;
		pos_ret += r > 0 ? r : 0;
		neg_ret += r < 0 ? r : 0;
		double dur = (double) (t[k].exit_time - t[k].entry_time);
		sdur += dur;
		maxdur = dur > maxdur ? dur : maxdur;
	}
	m->trades = n;
	double dn = (double) n, w = n ? (double) wins / dn : NAN;
	m->win_rate_pct = w * 100;
	m->best_trade_pct = n ? best * 100 : NAN;
	m->worst_trade_pct = n ? worst * 100 : NAN;
	m->avg_trade_pct = n && geo_ok ? expm1(slog / dn) * 100 : NAN;
	m->max_trade_duration_days = n ? days_up(maxdur) : NAN;
	m->avg_trade_duration_days = n ? days_up(sdur / dn) : NAN;
	m->profit_factor = ratio(pos_ret, fabs(neg_ret));
	m->expectancy_pct = n ? sret / dn * 100 : NAN;
	m->sqn = n >= 2 ? ratio(sqrt(dn) * mean, sqrt(m2 / (dn - 1))) : NAN;
	double avg_win = wins ? win_pnl / (double) wins : NAN;
	double avg_loss = losses ? loss_pnl / (double) losses : NAN;
	m->kelly = w - (1 - w) / ratio(avg_win, avg_loss);
}

int bt_metrics_compute(const bt_data *d, const bt_config *c, const double *eq,
		       const bt_trade *trades, size_t ntrades, bt_metrics *m, sbx_error **err)
{
	size_t n = d->n;
	memset(m, 0, sizeof(*m));
	m->start = d->time[0];
	m->end = d->time[n - 1];
	m->duration_days = (double) (m->end - m->start) / SECONDS_PER_DAY;
	m->equity_final = eq[n - 1];
	m->return_pct = (eq[n - 1] - c->cash) / c->cash * 100;

	const bt_symbol *b = &d->sym[0];
	size_t b0 = c->warmup > 0 ? c->warmup - 1 : 0;
	b0 = b0 < n ? b0 : n - 1;
	b0 = b0 > b->first_bar ? b0 : b->first_bar;
	m->buy_hold_return_pct = (b->close[n - 1] - b->close[b0]) / b->close[b0] * 100;

	equity_pass(d, eq, m);
	period_returns(d, eq, m->max_drawdown_pct / 100, m);
	double years = m->duration_days / 365.25;
	m->cagr_pct = years > 0 ? (pow(m->equity_final / c->cash, 1 / years) - 1) * 100 : NAN;
	m->alpha_pct = m->return_pct - m->beta * m->buy_hold_return_pct;
	if (exposure(n, trades, ntrades, &m->exposure_pct, err) < 0)
		return -1;
	trade_stats(trades, ntrades, m);
	return 0;
}
