/* The broker, bar by bar, on series small enough to work by hand: every
 * expected value below is written as the arithmetic of docs/backtest.md
 * that produces it. */
#include "common/util.h"
#include "engine/driver.h"
#include "test_engine.h"
#include "unit.h"

#include <pthread.h>
#include <sched.h>
#include <string.h>

bt_series *te_series(const char *name, const double (*ohlc)[4], size_t n, int64_t step_days)
{
	bt_series *s = NULL;
	sbx_error *err = NULL;
	CHECK(bt_series_new(name, n, &s, &err) == 0);
	for (size_t i = 0; i < n; i++) {
		s->time[i] = 1704067200 + (int64_t) i * step_days * 86400; /* 2024-01-01 */
		s->open[i] = ohlc[i][0];
		s->high[i] = ohlc[i][1];
		s->low[i] = ohlc[i][2];
		s->close[i] = ohlc[i][3];
		s->volume[i] = 1000;
	}
	CHECK(bt_series_check(s, &err) == 0, "%s", err->msg);
	return s;
}

bt_data *te_data(const double (*ohlc)[4], size_t n)
{
	bt_series *s = te_series("X", ohlc, n, 1);
	bt_data *d = NULL;
	sbx_error *err = NULL;
	CHECK(bt_data_new(&s, 1, &d, &err) == 0);
	bt_series_free(s);
	return d;
}

bt_config te_config(double cash)
{
	bt_config c;
	bt_config_default(&c);
	c.cash = cash;
	return c;
}

static int drive(const bt_data *d, const bt_config *c, const struct te_step *steps, size_t n,
		 bt_result **r, sbx_error **err)
{
	bt_engine *e = NULL;
	CHECK(bt_engine_new(d, c, &e, err) == 0, "%s", (*err)->msg);
	size_t k = 0;
	int rc;
	while ((rc = bt_engine_next(e, err)) > 0) {
		bt_account a;
		bt_engine_account(e, &a);
		if (k < n && steps[k].bar == a.bar) {
			rc = bt_engine_submit(e, steps[k].o, steps[k].n, err);
			k++;
			if (rc < 0)
				break;
		}
	}
	if (rc == 0)
		rc = bt_engine_finish(e, r, err);
	bt_engine_free(e);
	return rc;
}

bt_result *te_run(const bt_data *d, const bt_config *c, const struct te_step *steps, size_t n)
{
	bt_result *r = NULL;
	sbx_error *err = NULL;
	CHECK(drive(d, c, steps, n, &r, &err) == 0, "%s", err->msg);
	return r;
}

char *te_run_error(const bt_data *d, const bt_config *c, const struct te_step *steps, size_t n)
{
	bt_result *r = NULL;
	sbx_error *err = NULL;
	CHECK(drive(d, c, steps, n, &r, &err) < 0, "the orders were accepted");
	return strdup(err->msg);
}

/* A gentle uptrend, then a dip. */
static const double UP[][4] = {
	{ 100, 102, 99, 101 },
	{ 102, 104, 101, 103 },
	{ 103, 106, 102, 105 },
	{ 104, 105, 100, 101 },
};

void u_engine_market_order_fills_at_next_open(void)
{
	bt_data *d = te_data(UP, 4);
	bt_config c = te_config(1000);
	struct te_step s[] = { { 0, 1, { BUY(NA, NA, NA, NA, NA) } } };
	bt_result *r = te_run(d, &c, s, 1);
	/* placed on bar 0, filled at bar 1's open: floor(1000 / 102) = 9 units */
	CHECK_INT_EQ(r->ntrades, 1);
	const bt_trade *t = &r->trades[0];
	CHECK_NEAR(t->size, 9);
	CHECK_INT_EQ(t->entry_bar, 1);
	CHECK_NEAR(t->entry_price, 102);
	CHECK_NEAR(r->equity[0], 1000);
	CHECK_NEAR(r->equity[1], 1000 + 9 * (103 - 102));
	CHECK_NEAR(r->equity[2], 1000 + 9 * (105 - 102));
	/* the last bar under liquidate: closed at its open, 104 */
	CHECK_INT_EQ(t->exit_bar, 3);
	CHECK(t->exit_reason == BT_EXIT_END);
	CHECK_NEAR(t->exit_price, 104);
	CHECK_NEAR(t->pnl, 9 * (104 - 102));
	CHECK_NEAR(t->return_pct, (104.0 / 102 - 1) * 100);
	CHECK_NEAR(r->equity[3], 1000 + 9 * (104 - 102));
	CHECK_INT_EQ(r->orders.placed, 1);
	CHECK_INT_EQ(r->orders.filled, 1);
	bt_result_free(r);
	bt_data_free(d);
}

void u_engine_trade_on_close_fills_at_same_close(void)
{
	bt_data *d = te_data(UP, 4);
	bt_config c = te_config(1000);
	c.trade_on_close = true;
	struct te_step s[] = { { 0, 1, { BUY(NA, NA, NA, NA, NA) } } };
	bt_result *r = te_run(d, &c, s, 1);
	/* filled at bar 0's own close: floor(1000 / 101) = 9 units at 101 */
	const bt_trade *t = &r->trades[0];
	CHECK_INT_EQ(t->entry_bar, 0);
	CHECK_NEAR(t->entry_price, 101);
	CHECK_NEAR(r->equity[0], 1000);
	CHECK_NEAR(r->equity[1], 1000 + 9 * (103 - 101));
	CHECK_NEAR(r->equity[3], 1000 + 9 * (104 - 101)); /* liquidated at the last open */
	bt_result_free(r);
	bt_data_free(d);
}

void u_engine_costs_move_fills_against_trader(void)
{
	bt_data *d = te_data(UP, 4);
	bt_config c = te_config(1000);
	c.commission = 0.01;
	c.commission_fixed = 1;
	c.spread = 0.01;
	struct te_step s[] = { { 0, 1, { BUY(NA, NA, NA, NA, NA) } } };
	bt_result *r = te_run(d, &c, s, 1);
	/* entry 102 * 1.01 = 103.02; units floor((1000 - 1) / (103.02 * 1.01)) = 9 */
	const bt_trade *t = &r->trades[0];
	double entry = 102 * 1.01, in = 1 + 9 * entry * 0.01, out = 1 + 9 * 104 * 0.01;
	CHECK_NEAR(t->size, 9);
	CHECK_NEAR(t->entry_price, entry);
	CHECK_NEAR(r->equity[1], 1000 - in + 9 * (103 - entry));
	CHECK_NEAR(t->exit_price, 104); /* the spread moves only the entry */
	CHECK_NEAR(t->commissions, in + out);
	CHECK_NEAR(t->pnl, 9 * (104 - entry) - in - out);
	CHECK_NEAR(t->return_pct, ((104 / entry - 1) - (in + out) / (9 * entry)) * 100);
	CHECK_NEAR(r->equity[3], 1000 + 9 * (104 - entry) - in - out);
	CHECK_NEAR(r->metrics.commissions, in + out);
	bt_result_free(r);

	/* a short's entry moves down: 102 * 0.99 */
	struct te_step s2[] = { { 0, 1, { SELL(2, NA, NA, NA, NA) } } };
	r = te_run(d, &c, s2, 1);
	entry = 102 * 0.99;
	in = 1 + 2 * entry * 0.01;
	out = 1 + 2 * 104 * 0.01;
	CHECK_NEAR(r->trades[0].entry_price, entry);
	CHECK_NEAR(r->trades[0].pnl, -2 * (104 - entry) - in - out);
	bt_result_free(r);
	bt_data_free(d);
}

void u_engine_sizes_follow_fraction_margin_and_step(void)
{
	bt_data *d = te_data(UP, 4);
	bt_config c = te_config(1000);
	/* half of the available equity: floor(500 / 102) = 4 units; then 3
	 * whole units (306 <= 1000 - 4 * 102 available); then 20 units at
	 * 103 (2060 > 1007 - 7 * 103 available): refused */
	struct te_step s[] = { { 0, 2, { BUY(0.5, NA, NA, NA, NA), BUY(3, NA, NA, NA, NA) } },
			       { 1, 1, { BUY(20, NA, NA, NA, NA) } } };
	bt_result *r = te_run(d, &c, s, 2);
	CHECK_INT_EQ(r->ntrades, 2);
	CHECK_NEAR(r->trades[0].size, 4);
	CHECK_NEAR(r->trades[1].size, 3);
	CHECK_INT_EQ(r->orders.rejected, 1);
	CHECK_INT_EQ(r->orders.filled, 2);
	bt_result_free(r);

	/* margin 0.5: leverage 2, all available equity buys floor(2000 / 102) = 19 */
	c.margin = 0.5;
	struct te_step s2[] = { { 0, 1, { BUY(NA, NA, NA, NA, NA) } } };
	r = te_run(d, &c, s2, 1);
	CHECK_NEAR(r->trades[0].size, 19);
	CHECK_NEAR(r->equity[1], 1000 + 19 * (103 - 102));
	bt_result_free(r);

	/* fractional units of 0.001: floor(1000 / 102 / 0.001) * 0.001 */
	c.margin = 1;
	c.fractional = 0.001;
	r = te_run(d, &c, s2, 1);
	CHECK_NEAR(r->trades[0].size, 9.803);
	bt_result_free(r);
	bt_data_free(d);
}

void u_engine_account_values_positions_at_close(void)
{
	bt_data *d = te_data(UP, 4);
	bt_config c = te_config(1000);
	sbx_error *err = NULL;
	bt_engine *e = NULL;
	bt_account a;
	CHECK(bt_engine_new(d, &c, &e, &err) == 0);
	CHECK(bt_engine_next(e, &err) == 1);
	bt_order o = BUY(NA, NA, NA, NA, NA);
	CHECK(bt_engine_submit(e, &o, 1, &err) == 0);
	bt_engine_account(e, &a);
	CHECK_INT_EQ(a.pending_orders, 1);
	CHECK(bt_engine_next(e, &err) == 1);
	bt_engine_account(e, &a);
	/* after bar 1: 9 units from 102, valued at its close 103 */
	CHECK_INT_EQ(a.bar, 1);
	CHECK_NEAR(a.position[0], 9);
	CHECK_NEAR(a.cash, 1000);
	CHECK_NEAR(a.equity, 1000 + 9 * (103 - 102));
	CHECK_NEAR(a.available, 1009 - 9 * 103);
	CHECK_INT_EQ(a.open_trades, 1);
	CHECK(!a.finished);
	CHECK(bt_engine_next(e, &err) == 1 && bt_engine_next(e, &err) == 1);
	bt_engine_account(e, &a);
	CHECK(a.finished);
	CHECK(bt_engine_next(e, &err) == 0);
	bt_result *r = NULL;
	CHECK(bt_engine_finish(e, &r, &err) == 0);
	CHECK(bt_engine_finish(e, &r, &err) < 0); /* once only */
	sbx_error_free(err);
	bt_result_free(r);
	bt_engine_free(e);
	bt_data_free(d);
}

/* Stops and limits: the bar's range decides, a gap fills at the open. */
void u_engine_limit_and_stop_fill_in_bar_range(void)
{
	bt_data *d = te_data(UP, 4);
	bt_config c = te_config(1000);
	const struct {
		bt_order o;
		double price; /* NaN: never fills */
		size_t bar;
	} cases[] = {
		{ BUY(NA, 101.5, NA, NA, NA), 101.5, 1 },  /* bar 1's low 101 <= 101.5 */
		{ BUY(NA, 103, NA, NA, NA), 102, 1 },	   /* opened below the limit: at the open */
		{ BUY(NA, 100, NA, NA, NA), NA, 0 },	   /* only bar 3's low reaches it: the last bar */
		{ BUY(NA, NA, 103.5, NA, NA), 103.5, 1 },  /* high 104 >= 103.5 */
		{ BUY(NA, NA, 101, NA, NA), 102, 1 },	   /* opened above the stop */
		{ BUY(NA, NA, 105.5, NA, NA), 105.5, 2 },  /* bar 2's high 106 */
		{ SELL(NA, 103.5, NA, NA, NA), 103.5, 1 }, /* a short limit: high 104 >= 103.5 */
		{ SELL(NA, NA, 101.5, NA, NA), 101.5, 1 }, /* a short stop: low 101 <= 101.5 */
		{ SELL(NA, NA, 102.5, NA, NA), 102, 1 },   /* opened below the stop */
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct te_step s[] = { { 0, 1, { cases[i].o } } };
		bt_result *r = te_run(d, &c, s, 1);
		if (isnan(cases[i].price)) {
			CHECK(r->ntrades == 0, "case %zu", i);
			CHECK_INT_EQ(r->orders.pending, 1);
		} else {
			CHECK(r->ntrades == 1, "case %zu", i);
			CHECK(r->trades[0].entry_price == cases[i].price, "case %zu: %g", i,
			      r->trades[0].entry_price);
			CHECK(r->trades[0].entry_bar == cases[i].bar, "case %zu", i);
		}
		bt_result_free(r);
	}
	bt_data_free(d);
}

void u_engine_stop_limit_is_limit_once_triggered(void)
{
	static const double B[][4] = {
		{ 100, 101, 99, 100 },
		{ 100, 106, 99, 105 },
		{ 104, 105, 101, 102 },
		{ 102, 103, 101, 102 },
	};
	bt_data *d = te_data(B, 4);
	bt_config c = te_config(1000);
	const struct {
		bt_order o;
		double price;
		size_t bar;
	} cases[] = {
		/* triggered inside bar 1 at 103, within the limit 104: at the stop */
		{ BUY(NA, 104, 103, NA, NA), 103, 1 },
		/* triggered at 103 but the limit 102 is below: from bar 2 a limit
		 * order, filled at min(104, 102) */
		{ BUY(NA, 102, 103, NA, NA), 102, 2 },
		/* bar 1 opened at 100 >= the stop 99.5: a limit order for all of
		 * bar 1, which opens within it */
		{ BUY(NA, 101, 99.5, NA, NA), 100, 1 },
		/* a short stop-limit: stop 99.5 hit inside bar 1 (low 99), limit 99
		 * <= the stop: at the stop */
		{ SELL(NA, 99, 99.5, NA, NA), 99.5, 1 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct te_step s[] = { { 0, 1, { cases[i].o } } };
		bt_result *r = te_run(d, &c, s, 1);
		CHECK(r->ntrades == 1, "case %zu", i);
		CHECK(r->trades[0].entry_price == cases[i].price, "case %zu: %g", i,
		      r->trades[0].entry_price);
		CHECK(r->trades[0].entry_bar == cases[i].bar, "case %zu", i);
		bt_result_free(r);
	}
	bt_data_free(d);
}

void u_engine_stop_loss_first_when_bar_reaches_both(void)
{
	static const double B[][4] = {
		{ 100, 101, 99, 100 },
		{ 100, 103, 98, 102 },
		{ 105, 106, 94, 100 },
		{ 100, 101, 99, 100 },
		{ 100, 101, 99, 100 },
	};
	bt_data *d = te_data(B, 5);
	bt_config c = te_config(1000);
	const struct {
		bt_order o;
		double exit;
		size_t bar;
		bt_exit_reason why;
	} cases[] = {
		/* bought at bar 1's open; bar 1 reaches both: the stop-loss */
		{ BUY(NA, NA, NA, 98.5, 102.5), 98.5, 1, BT_EXIT_SL },
		/* bar 2 opens at 105, through the take-profit 104: it fills first */
		{ BUY(NA, NA, NA, 95, 104), 105, 2, BT_EXIT_TP },
		/* a short: bar 1 reaches both, the stop-loss at 101.5 */
		{ SELL(NA, NA, NA, 101.5, 98.5), 101.5, 1, BT_EXIT_SL },
		/* a short's take-profit: low 98 <= 99 */
		{ SELL(NA, NA, NA, 110, 99), 99, 1, BT_EXIT_TP },
		/* entered inside bar 1 by a limit at 99: its stop-loss 98.5, also
		 * inside bar 1's range, is checked from bar 2 (min(105, 98.5)) */
		{ BUY(NA, 99, NA, 98.5, NA), 98.5, 2, BT_EXIT_SL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct te_step s[] = { { 0, 1, { cases[i].o } } };
		bt_result *r = te_run(d, &c, s, 1);
		CHECK(r->ntrades == 1, "case %zu", i);
		const bt_trade *t = &r->trades[0];
		CHECK(t->exit_price == cases[i].exit, "case %zu: %g", i, t->exit_price);
		CHECK(t->exit_bar == cases[i].bar, "case %zu: bar %zu", i, t->exit_bar);
		CHECK(t->exit_reason == cases[i].why, "case %zu: %d", i, (int) t->exit_reason);
		bt_result_free(r);
	}
	bt_data_free(d);
}

/* Opposite orders close FIFO; a partial close takes its share of the
 * entry commission. */
void u_engine_opposite_orders_close_fifo(void)
{
	static const double B[][4] = {
		{ 10, 10, 10, 10 }, { 10, 10, 10, 10 }, { 11, 11, 11, 11 },
		{ 12, 12, 12, 12 }, { 13, 13, 13, 13 }, { 14, 14, 14, 14 },
	};
	bt_data *d = te_data(B, 6);
	bt_config c = te_config(10000);
	c.commission_fixed = 1;
	struct te_step s[] = {
		{ 0, 1, { BUY(10, NA, NA, NA, NA) } },	/* A: 10 at 10 (bar 1) */
		{ 1, 1, { BUY(5, NA, NA, NA, NA) } },	/* B: 5 at 11 (bar 2) */
		{ 2, 1, { SELL(12, NA, NA, NA, NA) } }, /* closes A, then 2 of B at 12 */
		{ 3, 1, { SELL(20, NA, NA, NA, NA) } }, /* closes B's 3, opens a short of 17 at 13 */
	};
	bt_result *r = te_run(d, &c, s, 4);
	CHECK_INT_EQ(r->ntrades, 4);
	const bt_trade *t = r->trades;
	CHECK_NEAR(t[0].size, 10);
	CHECK_NEAR(t[0].pnl, 10 * (12 - 10) - 2);
	CHECK_NEAR(t[1].size, 2);
	CHECK_NEAR(t[1].entry_price, 11);
	CHECK_NEAR(t[1].commissions, 1 * 2.0 / 5 + 1);
	CHECK_NEAR(t[2].size, 3);
	CHECK_NEAR(t[2].commissions, 1 * 3.0 / 5 + 1);
	CHECK_NEAR(t[2].exit_price, 13);
	CHECK_NEAR(t[3].size, -17);
	CHECK_NEAR(t[3].entry_price, 13);
	CHECK(t[3].exit_reason == BT_EXIT_END);
	CHECK_NEAR(t[3].pnl, -17 * (14 - 13) - 2);
	/* 3 entries and 4 exits, 1 each; every share adds up */
	CHECK_NEAR(r->metrics.commissions, 7);
	double net = 0;
	for (size_t k = 0; k < r->ntrades; k++)
		net += t[k].pnl;
	CHECK_NEAR(r->equity[5], 10000 + net);
	bt_result_free(r);
	bt_data_free(d);
}

void u_engine_close_and_cancel_drop_pending_orders(void)
{
	bt_data *d = te_data(UP, 4);
	bt_config c = te_config(1000);
	/* a close cancels the symbol's pending entries; with nothing open it
	 * does nothing else */
	struct te_step s1[] = { { 0, 1, { BUY(NA, 50, NA, NA, NA) } }, { 1, 1, { CLOSE() } } };
	bt_result *r = te_run(d, &c, s1, 2);
	CHECK_INT_EQ(r->ntrades, 0);
	CHECK_INT_EQ(r->orders.cancelled, 1);
	CHECK_INT_EQ(r->orders.pending, 0);
	bt_result_free(r);
	/* cancel drops what was placed before it, not what follows it */
	struct te_step s2[] = { { 0, 3, { BUY(NA, 50, NA, NA, NA), CANCEL(), BUY(1, NA, NA, NA, NA) } } };
	r = te_run(d, &c, s2, 1);
	CHECK_INT_EQ(r->ntrades, 1);
	CHECK_NEAR(r->trades[0].size, 1);
	CHECK_INT_EQ(r->orders.cancelled, 1);
	bt_result_free(r);
	/* close half: floor(9 * 0.5) = 4 of 9 units, at bar 2's open */
	struct te_step s3[] = { { 0, 1, { BUY(NA, NA, NA, NA, NA) } },
				{ 1, 1, { te_order(BT_CLOSE, 0, 0.5, NA, NA, NA, NA) } } };
	r = te_run(d, &c, s3, 2);
	CHECK_INT_EQ(r->ntrades, 2);
	CHECK_NEAR(r->trades[0].size, 4);
	CHECK_NEAR(r->trades[0].exit_price, 103);
	CHECK_NEAR(r->trades[1].size, 5);
	bt_result_free(r);
	bt_data_free(d);
}

void u_engine_zero_equity_ends_run(void)
{
	bt_data *d2;
	static const double B[][4] = {
		{ 100, 101, 99, 100 }, { 100, 100, 94, 95 }, { 95, 95, 89, 90 }, { 92, 93, 91, 92 },
	};
	bt_data *d = te_data(B, 4);
	bt_config c = te_config(1000);
	c.margin = 0.1; /* leverage 10: 100 units at 100 */
	struct te_step s[] = { { 0, 1, { BUY(NA, NA, NA, NA, NA) } }, { 2, 1, { SELL(1, NA, NA, NA, NA) } } };
	bt_result *r = te_run(d, &c, s, 2);
	/* bar 1: 1000 + 100 * (95 - 100) = 500; bar 2, with nothing to fill,
	 * closes at 90: 1000 + 100 * (90 - 100) = 0, the end; the order placed
	 * after it is ignored */
	CHECK_NEAR(r->equity[1], 500);
	CHECK(r->ruined);
	CHECK_INT_EQ(r->ruin_bar, 2);
	CHECK_INT_EQ(r->ntrades, 1);
	CHECK(r->trades[0].exit_reason == BT_EXIT_RUIN);
	CHECK_NEAR(r->trades[0].exit_price, 90);
	for (size_t i = 2; i < 4; i++)
		CHECK_NEAR(r->equity[i], 0);
	CHECK_NEAR(r->metrics.return_pct, -100);
	CHECK_NEAR(r->metrics.max_drawdown_pct, 100);
	CHECK_INT_EQ(r->orders.placed, 1);
	bt_result_free(r);

	/* trading on close, a fill can end the run at its own Close: 10 times
	 * leverage, 9 % commission and 9 % spread at bar 1's close 103 buy
	 * floor(10 * 1000 / (103 * 1.09 * 1.09)) = 81 units and lose more
	 * than the equity at once */
	d2 = te_data(UP, 4);
	c = te_config(1000);
	c.trade_on_close = true;
	c.margin = 0.1;
	c.commission = 0.09;
	c.spread = 0.09;
	struct te_step s2[] = { { 1, 1, { BUY(NA, NA, NA, NA, NA) } } };
	r = te_run(d2, &c, s2, 1);
	double entry = 103 * 1.09, in = 81 * entry * 0.09, out = 81 * 103 * 0.09;
	CHECK(r->ruined);
	CHECK_INT_EQ(r->ruin_bar, 1);
	CHECK_INT_EQ(r->ntrades, 1);
	CHECK_NEAR(r->trades[0].size, 81);
	CHECK(r->trades[0].exit_reason == BT_EXIT_RUIN && r->trades[0].exit_bar == 1);
	CHECK_NEAR(r->trades[0].pnl, 81 * (103 - entry) - in - out);
	CHECK_NEAR(r->equity[0], 1000);
	CHECK_NEAR(r->equity[1], 0);
	bt_result_free(r);
	bt_data_free(d2);
	bt_data_free(d);
}

void u_engine_held_position_valued_at_last_close(void)
{
	bt_data *d = te_data(UP, 4);
	bt_config c = te_config(1000);
	c.end_policy = BT_END_HOLD;
	struct te_step s[] = { { 0, 1, { BUY(NA, NA, NA, NA, NA) } } };
	bt_result *r = te_run(d, &c, s, 1);
	CHECK_INT_EQ(r->ntrades, 1);
	const bt_trade *t = &r->trades[0];
	CHECK(t->exit_reason == BT_EXIT_OPEN);
	CHECK_NAN(t->exit_price);
	CHECK_NEAR(t->pnl, 9 * (101 - 102)); /* valued at the last close */
	CHECK_NEAR(r->equity[3], 1000 + 9 * (101 - 102));
	CHECK_INT_EQ(r->metrics.trades, 0); /* trade statistics cover closed trades */
	CHECK_NEAR(r->metrics.exposure_pct, 3.0 / 4 * 100);
	CHECK_NAN(r->metrics.win_rate_pct);
	char *json = bt_result_json(r, NULL);
	CHECK_CONTAINS(json, "\"exit_price\":null");
	CHECK_CONTAINS(json, "\"exit_reason\":\"open\"");
	free(json);
	bt_result_free(r);
	bt_data_free(d);
}

/* Two symbols: B has no bar on day 1, so nothing of B fills there and B is
 * valued at its last close. */
void u_engine_symbol_without_bar_does_not_fill(void)
{
	static const double A[][4] = {
		{ 10, 10, 10, 10 }, { 10, 10, 10, 10 }, { 10, 10, 10, 10 }, { 10, 10, 10, 10 },
	};
	static const double B[][4] = { { 50, 50, 50, 50 }, { 55, 56, 54, 55 }, { 60, 60, 60, 60 } };
	bt_series *sa = te_series("A", A, 4, 1), *sb = te_series("B", B, 3, 1);
	sb->time[1] += 86400; /* B: days 0, 2, 3 */
	sb->time[2] += 86400;
	bt_series *both[] = { sa, sb };
	bt_data *d = NULL;
	sbx_error *err = NULL;
	CHECK(bt_data_new(both, 2, &d, &err) == 0);
	CHECK_INT_EQ(d->n, 4);
	CHECK(d->sym[1].has_bar[1] == 0 && d->sym[1].close[1] == 50);
	bt_config c = te_config(1000);
	struct te_step s[] = { { 0, 1, { te_order(BT_BUY, 1, 2, NA, NA, NA, NA) } } };
	bt_result *r = te_run(d, &c, s, 1);
	CHECK_INT_EQ(r->ntrades, 1);
	CHECK_INT_EQ(r->trades[0].entry_bar, 2); /* B's next bar */
	CHECK_NEAR(r->trades[0].entry_price, 55);
	CHECK_NEAR(r->equity[2], 1000 + 2 * (55 - 55));
	CHECK_NEAR(r->equity[3], 1000 + 2 * (60 - 55)); /* liquidated at B's last open, 60 */
	bt_result_free(r);
	bt_data_free(d);
	bt_series_free(sa);
	bt_series_free(sb);
}

void u_engine_bad_order_refused_naming_field(void)
{
	bt_data *d = te_data(UP, 4);
	bt_config c = te_config(1000);
	static const struct {
		bt_order o;
		const char *want;
	} cases[] = {
		{ { .action = 7 }, "unknown action 7" },
		{ { .action = BT_BUY, .symbol = 3 }, "unknown symbol index 3" },
		{ { .action = BT_BUY, .symbol = BT_ALL_SYMBOLS }, "unknown symbol index -1" },
		{ { .action = BT_BUY, .has = BT_HAS_SIZE, .size = 0 }, "size 0 is not a positive number" },
		{ { .action = BT_SELL, .has = BT_HAS_SIZE, .size = -2 }, "size -2 is not a positive" },
		{ { .action = BT_BUY, .has = BT_HAS_LIMIT, .limit = NAN }, "limit nan is not" },
		{ { .action = BT_BUY, .has = BT_HAS_STOP, .stop = -5 }, "stop -5 is not" },
		{ { .action = BT_BUY, .has = BT_HAS_TP, .tp = INFINITY }, "tp inf is not" },
		{ { .action = BT_BUY, .has = BT_HAS_SL, .sl = 104 }, "sl 104 must be below the entry 103" },
		{ { .action = BT_SELL, .has = BT_HAS_TP, .tp = 105 }, "tp 105 must be below the entry 103" },
		{ { .action = BT_BUY, .has = BT_HAS_SL | BT_HAS_LIMIT, .sl = 99, .limit = 98 },
		  "sl 99 must be below the entry 98" },
		{ { .action = BT_CLOSE, .has = BT_HAS_LIMIT, .limit = 98 }, "a close takes no limit" },
		{ { .action = BT_CANCEL, .has = BT_HAS_SIZE, .size = 1 }, "a cancel takes no size" },
		{ { .action = BT_BUY, .has = 1u << 9 }, "unknown field bits" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		/* the second order is bad: the first must not be applied either */
		struct te_step s[] = { { 1, 2, { BUY(NA, NA, NA, NA, NA), cases[i].o } } };
		char *msg = te_run_error(d, &c, s, 1);
		CHECK_CONTAINS(msg, cases[i].want);
		CHECK_CONTAINS(msg, "bar 1 (2024-01-02T00:00:00Z): order 2");
		free(msg);
	}
	/* a target out of [-1, 1] */
	sbx_error *err = NULL;
	bt_engine *e = NULL;
	CHECK(bt_engine_new(d, &c, &e, &err) == 0 && bt_engine_next(e, &err) == 1);
	CHECK(bt_engine_submit_target(e, 1.5, &err) < 0);
	CHECK_CONTAINS(err->msg, "target 1.5 is not in [-1, 1]");
	sbx_error_free(err);
	bt_engine_free(e);
	bt_data_free(d);
}

void u_engine_targets_trade_to_their_fraction(void)
{
	static const double B[][4] = {
		{ 100, 100, 100, 100 }, { 100, 101, 99, 100 }, { 110, 111, 109, 110 },
		{ 120, 121, 119, 120 }, { 100, 101, 99, 100 }, { 90, 91, 89, 90 },
		{ 95, 96, 94, 95 },
	};
	bt_data *d = te_data(B, 7);
	bt_config c = te_config(1000);
	double tg[] = { 1, 1, NAN, -0.5, -0.5, 0, 1 };
	bt_result *r = NULL;
	sbx_error *err = NULL;
	CHECK(bt_run_targets(d, &c, tg, 7, &r, &err) == 0);
	/* bar 0 -> 1: floor(1000 / 100) = 10 long at 100.  NaN holds.  Bar 3
	 * -> 4: close 10 at 100 (P&L 0), then short floor(0.5 * 1000 / 100)
	 * = 5 at 100.  Bar 5 -> 6: flat at 95.  Bar 6's target never fills. */
	CHECK_INT_EQ(r->ntrades, 2);
	CHECK_NEAR(r->trades[0].size, 10);
	CHECK_NEAR(r->trades[0].exit_price, 100);
	CHECK_NEAR(r->trades[1].size, -5);
	CHECK_NEAR(r->trades[1].entry_price, 100);
	CHECK_NEAR(r->trades[1].exit_price, 95);
	CHECK_NEAR(r->equity[2], 1000 + 10 * (110 - 100));
	CHECK_NEAR(r->equity[5], 1000 - 5 * (90 - 100));
	CHECK_NEAR(r->equity[6], 1000 - 5 * (95 - 100));
	CHECK_INT_EQ(r->orders.pending, 1);
	bt_result_free(r);

	/* a smaller target of the same sign sells down to it: 0.25 of the
	 * equity at bar 2's open (1000 + 10 * 10 = 1100) is floor(275 / 110)
	 * = 2 units: 8 of the 10 are sold */
	double tg2[] = { 1, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25 };
	CHECK(bt_run_targets(d, &c, tg2, 7, &r, &err) == 0);
	CHECK_NEAR(r->trades[0].size, 8);
	CHECK_NEAR(r->trades[0].exit_price, 110);
	CHECK_NEAR(r->trades[1].size, 2);
	bt_result_free(r);

	/* warmup: targets before bar 3 are not acted on */
	c.warmup = 3;
	CHECK(bt_run_targets(d, &c, tg2, 7, &r, &err) == 0);
	CHECK_INT_EQ(r->ntrades, 1);
	CHECK_INT_EQ(r->trades[0].entry_bar, 4);
	bt_result_free(r);
	bt_data_free(d);
}

/* One engine per backtest, any number at once on one shared bt_data. */
struct job {
	const bt_data *d;
	char *json;
};

static void *run_job(void *arg)
{
	struct job *j = arg;
	size_t n = j->d->n;
	double *t = malloc(n * sizeof(double));
	for (size_t i = 0; i < n; i++) /* a deterministic, busy target series */
		t[i] = ((i * 7919) % 13) / 6.0 - 1;
	bt_config c = te_config(10000);
	c.commission = 0.001;
	c.margin = 0.5;
	bt_result *r = NULL;
	if (bt_run_targets(j->d, &c, t, n, &r, NULL) == 0)
		j->json = bt_result_json(r, NULL);
	bt_result_free(r);
	free(t);
	return NULL;
}

void u_engine_runs_share_data_across_threads(void)
{
	const char *dir = te_data_dir();
	char path[512];
	snprintf(path, sizeof(path), "%s/GOOG.csv", dir);
	bt_series *s = NULL;
	bt_data *d = NULL;
	sbx_error *err = NULL;
	CHECK(bt_series_read(path, "GOOG", &s, &err) == 0);
	CHECK(bt_data_new(&s, 1, &d, &err) == 0);
	struct job jobs[4];
	pthread_t th[4];
	for (int i = 0; i < 4; i++) {
		jobs[i] = (struct job){ d, NULL };
		CHECK(pthread_create(&th[i], NULL, run_job, &jobs[i]) == 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	struct job alone = { d, NULL };
	run_job(&alone);
	CHECK(alone.json != NULL);
	CHECK_CONTAINS(alone.json, "\"trades\":[{");
	for (int i = 0; i < 4; i++) {
		CHECK(jobs[i].json != NULL && strcmp(jobs[i].json, alone.json) == 0, "thread %d", i);
		free(jobs[i].json);
	}
	free(alone.json);
	bt_data_free(d);
	bt_series_free(s);
}

/* n bars at 100 (range 99 to 101): nothing moves, a limit at 1 never fills. */
static bt_data *flat_data(size_t n)
{
	double(*ohlc)[4] = calloc(n, sizeof(*ohlc));
	CHECK(ohlc != NULL);
	for (size_t i = 0; i < n; i++) {
		ohlc[i][0] = ohlc[i][3] = 100;
		ohlc[i][1] = 101;
		ohlc[i][2] = 99;
	}
	bt_data *d = te_data((const double(*)[4]) ohlc, n);
	free(ohlc);
	return d;
}

/* A strategy cannot make the trusted engine keep unbounded state: orders
 * that never fill pile up to BT_MAX_PENDING, and the order past it is the
 * strategy's error, naming the bar and the order (64 a bar, for 16 bars,
 * would be 1,024).  A cancel makes room again. */
void u_engine_pending_orders_capped(void)
{
	enum { N = 40 };
	bt_data *d = flat_data(N);
	bt_config c = te_config(1000);
	bt_engine *e = NULL;
	sbx_error *err = NULL;
	CHECK(bt_engine_new(d, &c, &e, &err) == 0);
	bt_order o[64];
	for (size_t j = 0; j < 64; j++)
		o[j] = BUY(1, 1, NA, NA, NA); /* a limit at 1: never reached */
	int rc = 0;
	size_t bar = 0;
	while (rc == 0 && bt_engine_next(e, &err) > 0) {
		rc = bt_engine_submit(e, o, 64, &err);
		bar++;
	}
	CHECK(rc < 0, "every order was taken");
	CHECK_INT_EQ(bar, BT_MAX_PENDING / 64 + 1);
	char want[128];
	snprintf(want, sizeof(want), "order %d (buy X)", BT_MAX_PENDING % 64 + 1);
	CHECK_CONTAINS(err->msg, want);
	CHECK_CONTAINS(err->msg, "pending orders");
	sbx_error_free(err);
	err = NULL;
	bt_engine_free(e);
	/* cancel, and there is room again */
	CHECK(bt_engine_new(d, &c, &e, &err) == 0);
	bt_order oc[65];
	oc[0] = CANCEL();
	for (size_t j = 1; j < 65; j++)
		oc[j] = o[j - 1];
	while ((rc = bt_engine_next(e, &err)) > 0)
		CHECK(bt_engine_submit(e, oc, 65, &err) == 0, "%s", err->msg);
	CHECK_INT_EQ(rc, 0);
	bt_result *r = NULL;
	CHECK(bt_engine_finish(e, &r, &err) == 0);
	CHECK_INT_EQ(r->orders.placed, 64 * N);
	bt_result_free(r);
	bt_engine_free(e);
	bt_data_free(d);
}

/* Trades open at once are capped likewise (BT_MAX_OPEN_TRADES): the fill
 * past it is the strategy's error, naming the bar.  Below the cap, a close
 * of thousands of trades takes each once, oldest first (they were removed
 * one by one, with the array moved each time: quadratic). */
void u_engine_open_trades_capped_and_closed_in_order(void)
{
	enum { N = 120 };
	bt_data *d = flat_data(N);
	bt_config c = te_config(1e9);
	bt_engine *e = NULL;
	sbx_error *err = NULL;
	bt_order o[64];
	for (size_t j = 0; j < 64; j++)
		o[j] = BUY(1, NA, NA, NA, NA);
	/* 64 a bar, filled at the next open: the fill of bar 79 (79 * 64 > 5000) fails */
	CHECK(bt_engine_new(d, &c, &e, &err) == 0);
	int rc = 0;
	size_t bar = 0;
	while ((rc = bt_engine_next(e, &err)) > 0) {
		CHECK(bt_engine_submit(e, o, 64, &err) == 0, "%s", err->msg);
		bar++;
	}
	CHECK(rc < 0, "every trade was opened");
	CHECK_INT_EQ(bar, BT_MAX_OPEN_TRADES / 64 + 1);
	CHECK_CONTAINS(err->msg, "trades open already");
	sbx_error_free(err);
	err = NULL;
	bt_engine_free(e);
	/* 60 bars of 64 (3,840 trades, each 1 unit at 100), one close: every
	 * trade closed once, in the order opened, at the next open */
	CHECK(bt_engine_new(d, &c, &e, &err) == 0);
	bar = 0;
	bt_order cl = CLOSE();
	while ((rc = bt_engine_next(e, &err)) > 0) {
		if (bar < 60)
			CHECK(bt_engine_submit(e, o, 64, &err) == 0, "%s", err->msg);
		else if (bar == 60)
			CHECK(bt_engine_submit(e, &cl, 1, &err) == 0, "%s", err->msg);
		bar++;
	}
	CHECK_INT_EQ(rc, 0);
	bt_result *r = NULL;
	CHECK(bt_engine_finish(e, &r, &err) == 0);
	CHECK_INT_EQ(r->ntrades, 60 * 64);
	for (size_t k = 0; k < r->ntrades; k++) {
		CHECK_INT_EQ(r->trades[k].entry_bar, 1 + k / 64);
		CHECK_INT_EQ(r->trades[k].exit_bar, 61);
		CHECK_NEAR(r->trades[k].size, 1);
	}
	bt_result_free(r);
	bt_engine_free(e);
	bt_data_free(d);
}

/* driver_keep_apart (src/engine/driver.c): a spinning host whose slot says
 * it runs on the host thread's CPU moves the thread off that CPU, and
 * gives the thread its CPUs back at the end; a slot's lie (a CPU that
 * does not exist, 0 for unknown) changes nothing; sleeping (no spin), it
 * never moves. */
void u_engine_host_thread_keeps_off_the_slots_cpu(void)
{
	cpu_set_t before, now;
	CHECK(sched_getaffinity(0, sizeof(before), &before) == 0);
	if (CPU_COUNT(&before) < 2)
		test_skip("one CPU to run on: nowhere to move");
	struct ls_header h;
	memset(&h, 0, sizeof(h));
	struct driver d;
	memset(&d, 0, sizeof(d));
	d.h = &h;
	/* sleeping: stays put */
	int cpu = sched_getcpu();
	h.slot_cpu = (uint32_t) cpu + 1;
	driver_keep_apart(&d, 0);
	CHECK(!d.moved);
	/* lies: no such CPU, or unknown */
	d.spin.max = 1000000;
	h.slot_cpu = 100000;
	driver_keep_apart(&d, 0);
	h.slot_cpu = 0;
	driver_keep_apart(&d, 0);
	CHECK(!d.moved);
	CHECK(sched_getaffinity(0, sizeof(now), &now) == 0);
	CHECK(CPU_EQUAL(&now, &before));
	/* the slot on this thread's CPU: the thread leaves it */
	cpu = sched_getcpu();
	h.slot_cpu = (uint32_t) cpu + 1;
	driver_keep_apart(&d, 10);
	CHECK(d.moved);
	CHECK(sched_getcpu() != cpu, "still on CPU %d, the slot's", cpu);
	CHECK(sched_getaffinity(0, sizeof(now), &now) == 0);
	CHECK(!CPU_ISSET((size_t) cpu, &now) && CPU_COUNT(&now) == CPU_COUNT(&before) - 1);
	/* not again within 64 bars, whatever the slot says */
	int here = sched_getcpu();
	h.slot_cpu = (uint32_t) here + 1;
	driver_keep_apart(&d, 20);
	CHECK(sched_getcpu() == here);
	driver_keep_apart_end(&d);
	CHECK(sched_getaffinity(0, sizeof(now), &now) == 0);
	CHECK(CPU_EQUAL(&now, &before), "the thread's CPUs were not given back");
}
