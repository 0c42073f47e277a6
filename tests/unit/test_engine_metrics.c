/* The metrics, each on a series small enough to work by hand: the expected
 * values are docs/metrics.md's formulas written out on the numbers. */
#include "common/util.h"
#include "engine/internal.h"
#include "test_engine.h"
#include "unit.h"

#include <jansson.h>
#include <string.h>

/* n daily bars from Monday 2024-01-01 with these closes (flat bars). */
static bt_data *closes(const double *c, size_t n, int64_t step)
{
	double (*b)[4] = malloc(n * sizeof(*b));
	for (size_t i = 0; i < n; i++)
		b[i][0] = b[i][1] = b[i][2] = b[i][3] = c[i];
	bt_series *s = te_series("M", (const double (*)[4]) b, n, 1);
	for (size_t i = 0; i < n; i++)
		s->time[i] = 1704067200 + (int64_t) i * step;
	bt_data *d = NULL;
	sbx_error *err = NULL;
	CHECK(bt_data_new(&s, 1, &d, &err) == 0);
	bt_series_free(s);
	free(b);
	return d;
}

static bt_metrics compute(const bt_data *d, double cash, const double *eq, const bt_trade *t,
			  size_t nt)
{
	bt_config c = te_config(cash);
	bt_metrics m;
	sbx_error *err = NULL;
	CHECK(bt_metrics_compute(d, &c, eq, t, nt, &m, &err) == 0);
	return m;
}

/* Five weekdays, no trades: returns, annualisation, risk ratios, beta. */
void u_engine_metrics_returns_as_worked_by_hand(void)
{
	static const double c[] = { 10, 11, 10, 10, 12 };
	static const double eq[] = { 100, 110, 99, 99, 121 };
	bt_data *d = closes(c, 5, 86400);
	CHECK(d->periods_per_year == 252); /* Monday to Friday: no weekend bars */
	bt_metrics m = compute(d, 100, eq, NULL, 0);
	CHECK_NEAR(m.return_pct, 21);
	CHECK_NEAR(m.buy_hold_return_pct, 20);
	CHECK_NEAR(m.equity_final, 121);
	CHECK_NEAR(m.equity_peak, 121);
	CHECK_NEAR(m.duration_days, 4);
	/* daily returns 0.1, -0.1, 0, 121/99 - 1; their geometric mean is
	 * (121/100)^(1/4) - 1 = sqrt(1.1) - 1 */
	double r[] = { 0.1, -0.1, 0, 121.0 / 99 - 1 }, g = sqrt(1.1) - 1, mean = 0, var = 0;
	for (int i = 0; i < 4; i++)
		mean += r[i] / 4;
	for (int i = 0; i < 4; i++)
		var += (r[i] - mean) * (r[i] - mean) / 3;
	double ann = pow(1.1, 126) - 1; /* (1 + g)^252 */
	CHECK_NEAR(m.return_ann_pct, ann * 100);
	double vol = sqrt(pow(var + 1.1, 252) - pow(1.1, 252)) * 100; /* (1 + g)^2 = 1.1 */
	CHECK_NEAR(m.volatility_ann_pct, vol);
	CHECK_NEAR(m.sharpe, ann * 100 / vol);
	/* downside: sqrt(mean(min(r, 0)^2)) = sqrt(0.01 / 4) = 0.05 */
	CHECK_NEAR(m.sortino, ann / (0.05 * sqrt(252)));
	CHECK_NEAR(m.max_drawdown_pct, 10); /* 99 against the peak 110 */
	CHECK_NEAR(m.calmar, ann / 0.1);
	CHECK_NEAR(m.cagr_pct, (pow(1.21, 365.25 / 4) - 1) * 100);
	(void) g;
	/* beta: log returns of equity (x) and close (y), sample cov / var */
	double x[] = { log(1.1), log(0.9), 0, log(121.0 / 99) };
	double y[] = { log(1.1), log(10.0 / 11), 0, log(1.2) }, mx = 0, my = 0, cxy = 0, vy = 0;
	for (int i = 0; i < 4; i++)
		mx += x[i] / 4, my += y[i] / 4;
	for (int i = 0; i < 4; i++)
		cxy += (x[i] - mx) * (y[i] - my) / 3, vy += (y[i] - my) * (y[i] - my) / 3;
	CHECK_NEAR(m.beta, cxy / vy);
	CHECK_NEAR(m.alpha_pct, 21 - cxy / vy * 20);
	/* nothing traded */
	CHECK_INT_EQ(m.trades, 0);
	CHECK_NEAR(m.exposure_pct, 0);
	CHECK_NAN(m.win_rate_pct);
	CHECK_NAN(m.avg_trade_pct);
	CHECK_NAN(m.profit_factor);
	CHECK_NAN(m.sqn);
	CHECK_NAN(m.kelly);
	CHECK_NEAR(m.commissions, 0);
	bt_data_free(d);
}

/* Drawdown periods, from a bar at zero drawdown to the next; the one still
 * open at the end counts, even one bar long. */
void u_engine_metrics_drawdowns_as_worked_by_hand(void)
{
	static const double c[] = { 1, 1, 1, 1, 1, 1, 1 };
	static const double eq[] = { 100, 90, 95, 100, 80, 120, 110 };
	bt_data *d = closes(c, 7, 86400);
	bt_metrics m = compute(d, 100, eq, NULL, 0);
	/* drawdowns 0, .1, .05, 0, .2, 0, 1/12: periods bar 0 -> 3 (depth .1,
	 * 3 days), 3 -> 5 (.2, 2 days), 5 -> 6 (1/12, 1 day, unfinished) */
	CHECK_NEAR(m.max_drawdown_pct, 20);
	CHECK_NEAR(m.avg_drawdown_pct, (0.1 + 0.2 + 1.0 / 12) / 3 * 100);
	CHECK_NEAR(m.max_drawdown_duration_days, 3);
	CHECK_NEAR(m.avg_drawdown_duration_days, 2);
	CHECK_NEAR(m.equity_peak, 120);
	CHECK_NAN(m.beta); /* the close never moves: var(y) = 0 */
	bt_data_free(d);

	/* no drawdown at all: max 0, the averages and durations undefined */
	static const double up[] = { 100, 101, 102 };
	d = closes(c, 3, 86400);
	m = compute(d, 100, up, NULL, 0);
	CHECK_NEAR(m.max_drawdown_pct, 0);
	CHECK_NAN(m.avg_drawdown_pct);
	CHECK_NAN(m.max_drawdown_duration_days);
	CHECK_NAN(m.calmar);
	bt_data_free(d);

	/* hourly bars: a 2-hour drawdown lasts 1 day, rounded up */
	static const double h[] = { 100, 90, 100, 100 };
	d = closes(c, 4, 3600);
	m = compute(d, 100, h, NULL, 0);
	CHECK_NEAR(m.max_drawdown_duration_days, 1);
	bt_data_free(d);
}

/* Hourly bars resample to days: one return, no variance. */
void u_engine_hourly_bars_resample_to_days(void)
{
	double c[48], eq[48];
	for (int i = 0; i < 48; i++) {
		c[i] = 100;
		eq[i] = i < 24 ? 100 + i : 200 - i; /* day 1 ends at 123, day 2 at 153 */
	}
	bt_data *d = closes(c, 48, 3600);
	CHECK_INT_EQ(d->nperiods, 2);
	bt_metrics m = compute(d, 100, eq, NULL, 0);
	CHECK_NEAR(m.return_ann_pct, (pow(153.0 / 123, 252) - 1) * 100);
	CHECK_NAN(m.volatility_ann_pct); /* one return: no sample variance */
	CHECK_NAN(m.sharpe);
	CHECK_NAN(m.sortino); /* no negative return: a zero downside deviation */
	bt_data_free(d);

	/* one bar: nothing is defined but the levels */
	d = closes(c, 1, 3600);
	m = compute(d, 100, eq, NULL, 0);
	CHECK_NAN(m.return_ann_pct);
	CHECK_NAN(m.beta);
	CHECK_NAN(m.cagr_pct);
	CHECK_NEAR(m.return_pct, 0);
	bt_data_free(d);
}

static bt_trade trade(size_t a, size_t b, double pnl, double ret, double comm, bool open)
{
	return (bt_trade){ .size = 1, .entry_bar = a, .exit_bar = b,
			   .entry_time = 1704067200 + (int64_t) a * 86400,
			   .exit_time = 1704067200 + (int64_t) b * 86400, .entry_price = 100,
			   .exit_price = open ? NAN : 100, .pnl = pnl, .return_pct = ret,
			   .commissions = comm, .sl = NAN, .tp = NAN,
			   .exit_reason = open ? BT_EXIT_OPEN : BT_EXIT_ORDER };
}

void u_engine_metrics_trades_as_worked_by_hand(void)
{
	double c[10], eq[10];
	for (int i = 0; i < 10; i++)
		c[i] = 100, eq[i] = 1000;
	bt_data *d = closes(c, 10, 86400);
	/* out of entry order on purpose; the last one still open */
	bt_trade t[] = {
		trade(0, 2, 20, 10, 1, false),	 trade(3, 4, 30, 15, 1, false),
		trade(1, 4, -10, -5, 1, false),	 trade(5, 5, -5, -2.5, 1, false),
		trade(7, 9, 99, 50, 1, true),
	};
	bt_metrics m = compute(d, 1000, eq, t, 5);
	CHECK_INT_EQ(m.trades, 4);
	CHECK_NEAR(m.win_rate_pct, 50);
	CHECK_NEAR(m.best_trade_pct, 15);
	CHECK_NEAR(m.worst_trade_pct, -5);
	CHECK_NEAR(m.avg_trade_pct, (pow(1.10 * 1.15 * 0.95 * 0.975, 0.25) - 1) * 100);
	CHECK_NEAR(m.expectancy_pct, (10 + 15 - 5 - 2.5) / 4);
	CHECK_NEAR(m.profit_factor, (0.10 + 0.15) / (0.05 + 0.025));
	/* P&L 20, 30, -10, -5: mean 8.75, sample variance 1118.75 / 3 */
	CHECK_NEAR(m.sqn, sqrt(4) * 8.75 / sqrt(1118.75 / 3));
	/* mean win 25, mean loss 7.5 */
	CHECK_NEAR(m.kelly, 0.5 - 0.5 / (25 / 7.5));
	CHECK_NEAR(m.max_trade_duration_days, 3);
	CHECK_NEAR(m.avg_trade_duration_days, 2); /* (2 + 1 + 3 + 0) / 4 = 1.5, rounded up */
	/* bars 0..5 and 7..9: 9 of 10 */
	CHECK_NEAR(m.exposure_pct, 90);
	CHECK_NEAR(m.commissions, 5);

	/* a loss beyond -100 % (leverage): the geometric mean is undefined;
	 * no loser: no profit factor, no Kelly; one trade: no SQN */
	bt_trade u[] = { trade(0, 1, -150, -150, 0, false), trade(2, 3, 10, 10, 0, false) };
	m = compute(d, 1000, eq, u, 2);
	CHECK_NAN(m.avg_trade_pct);
	m = compute(d, 1000, eq, u + 1, 1);
	CHECK_NAN(m.profit_factor);
	CHECK_NAN(m.kelly);
	CHECK_NAN(m.sqn);
	CHECK_NEAR(m.win_rate_pct, 100);
	bt_data_free(d);
}

void u_engine_equity_tracking_close_has_beta_1(void)
{
	/* equity in proportion to the close: beta 1, alpha 0 */
	static const double c[] = { 10, 12, 9, 11, 15, 14 };
	double eq[6];
	for (int i = 0; i < 6; i++)
		eq[i] = 1000 * c[i] / 10;
	bt_data *d = closes(c, 6, 86400);
	bt_metrics m = compute(d, 1000, eq, NULL, 0);
	CHECK_NEAR(m.beta, 1);
	CHECK_NEAR(m.alpha_pct, 0);
	CHECK_NEAR(m.return_pct, m.buy_hold_return_pct);
	/* and a warmup moves buy & hold's start to bar warmup - 1 */
	bt_config cf = te_config(1000);
	cf.warmup = 3;
	sbx_error *err = NULL;
	CHECK(bt_metrics_compute(d, &cf, eq, NULL, 0, &m, &err) == 0);
	CHECK_NEAR(m.buy_hold_return_pct, (14.0 - 9) / 9 * 100);
	bt_data_free(d);
}

/* The result's JSON: every metric of docs/metrics.md, in order; NaN as
 * null; times ISO-8601. */
void u_engine_result_json_lists_every_metric(void)
{
	static const char *const keys[] = {
		"start", "end", "duration_days", "exposure_pct", "equity_final", "equity_peak",
		"return_pct", "buy_hold_return_pct", "return_ann_pct", "volatility_ann_pct",
		"cagr_pct", "sharpe", "sortino", "calmar", "beta", "alpha_pct", "max_drawdown_pct",
		"avg_drawdown_pct", "max_drawdown_duration_days", "avg_drawdown_duration_days",
		"trades", "win_rate_pct", "best_trade_pct", "worst_trade_pct", "avg_trade_pct",
		"max_trade_duration_days", "avg_trade_duration_days", "profit_factor",
		"expectancy_pct", "sqn", "kelly", "commissions",
	};
	static const double B[][4] = { { 100, 102, 99, 101 }, { 102, 104, 101, 103 },
				       { 103, 106, 102, 105 }, { 104, 105, 100, 101 } };
	bt_data *d = te_data(B, 4);
	bt_config c = te_config(1000);
	struct te_step s[] = { { 0, 1, { BUY(NA, NA, NA, NA, NA) } } };
	bt_result *r = te_run(d, &c, s, 1);
	sbx_error *err = NULL;
	char *text = bt_result_json(r, &err);
	CHECK(text != NULL);
	json_error_t je;
	json_t *j = json_loads(text, 0, &je);
	CHECK(j != NULL, "%s", je.text);
	json_t *m = json_object_get(j, "metrics");
	CHECK_INT_EQ(json_object_size(m), ARRAY_SIZE(keys));
	size_t i = 0;
	const char *k;
	json_t *v;
	json_object_foreach(m, k, v) {
		CHECK_STR_EQ(k, keys[i]);
		CHECK(bt_metric_find(k) != NULL);
		i++;
	}
	CHECK_STR_EQ(json_string_value(json_object_get(m, "start")), "2024-01-01T00:00:00Z");
	CHECK(json_is_null(json_object_get(m, "profit_factor"))); /* no losing trade */
	CHECK(json_integer_value(json_object_get(m, "trades")) == 1);
	json_t *eq = json_object_get(j, "equity");
	CHECK_INT_EQ(json_array_size(eq), 4);
	CHECK_STR_EQ(json_string_value(json_object_get(json_array_get(eq, 3), "time")),
		     "2024-01-04T00:00:00Z");
	CHECK(json_real_value(json_object_get(json_array_get(eq, 1), "equity")) == 1009);
	json_t *t = json_array_get(json_object_get(j, "trades"), 0);
	CHECK_STR_EQ(json_string_value(json_object_get(t, "symbol")), "X");
	CHECK_STR_EQ(json_string_value(json_object_get(t, "exit_reason")), "end");
	CHECK(json_is_null(json_object_get(t, "sl")));
	CHECK(json_is_object(json_object_get(j, "config")) && json_is_object(json_object_get(j, "orders")));
	CHECK(json_is_null(json_object_get(j, "ruined_at")));
	/* ranking directions */
	CHECK(bt_metric_find("max_drawdown_pct")->better == -1);
	CHECK(bt_metric_find("sharpe")->better == 1);
	json_decref(j);
	free(text);
	bt_result_free(r);
	bt_data_free(d);
}

/* The per-bar log return beta uses: against log1pl, from moves of
 * 1e-12 to the edge of the series (1/16) and beyond it. */
void u_engine_log_return_matches_log1pl(void)
{
	double worst = 0;
	uint64_t x = 12345;
	for (int i = 0; i < 200000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		double mag = pow(10, -12 + 11.5 * (double) (x % 1000000) / 1e6); /* 1e-12 .. 0.3 */
		double a = 1 + (double) (x >> 40) / 1e3, b = a * (1 + ((x & 1) ? mag : -mag));
		long double want = log1pl(((long double) b - a) / a);
		double got = cal_log_ratio(b, a);
		double rel = (double) fabsl((got - want) / want);
		worst = rel > worst ? rel : worst;
	}
	CHECK(worst < 4 * 0x1p-53, "worst relative error %g", worst);
	CHECK(cal_log_ratio(2, 2) == 0);
	CHECK_NEAR(cal_log_ratio(1.0625, 1), log(1.0625));
}
