/* Helpers for the engine's unit tests (test_engine*.c): tiny hand-made
 * price series, orders with absent fields, a driver that places orders on
 * given bars, and comparisons of doubles. */
#ifndef STRATBOX_TEST_ENGINE_H
#define STRATBOX_TEST_ENGINE_H

#include "harness.h"
#include "stratbox/engine.h"

#include <math.h>

/* Equal to 1e-9 relative (the hand-worked values are exact decimals). */
#define CHECK_NEAR(a, b)                                                                           \
	do {                                                                                       \
		double a_ = (a), b_ = (b);                                                         \
		if (!(fabs(a_ - b_) <= 1e-9 * fmax(1, fmax(fabs(a_), fabs(b_)))))                  \
			test_fail_at(__FILE__, __LINE__, "%s == %s\n    got %.17g, want %.17g", #a, #b, \
				     a_, b_);                                                      \
	} while (0)

#define CHECK_NAN(a)                                                                               \
	do {                                                                                       \
		double a_ = (a);                                                                   \
		if (!isnan(a_))                                                                    \
			test_fail_at(__FILE__, __LINE__, "%s is undefined (NaN)\n    got %.17g", #a, a_); \
	} while (0)

#define NA NAN

/* An order: NaN fields are absent. */
static inline bt_order te_order(int action, int sym, double size, double limit, double stop,
				double sl, double tp)
{
	bt_order o = { .action = action, .symbol = sym, .size = size, .limit = limit,
		       .stop = stop, .sl = sl, .tp = tp };
	o.has = (isnan(size) ? 0 : BT_HAS_SIZE) | (isnan(limit) ? 0 : BT_HAS_LIMIT) |
		(isnan(stop) ? 0 : BT_HAS_STOP) | (isnan(sl) ? 0 : BT_HAS_SL) |
		(isnan(tp) ? 0 : BT_HAS_TP);
	return o;
}
#define BUY(size, limit, stop, sl, tp) te_order(BT_BUY, 0, size, limit, stop, sl, tp)
#define SELL(size, limit, stop, sl, tp) te_order(BT_SELL, 0, size, limit, stop, sl, tp)
#define CLOSE() te_order(BT_CLOSE, 0, NA, NA, NA, NA, NA)
#define CANCEL() te_order(BT_CANCEL, 0, NA, NA, NA, NA, NA)

/* Daily bars (open, high, low, close) from 2024-01-01, one per calendar day
 * (step_days apart), for one symbol named name. */
bt_series *te_series(const char *name, const double (*ohlc)[4], size_t n, int64_t step_days);
bt_data *te_data(const double (*ohlc)[4], size_t n);

/* The orders placed on one bar. */
struct te_step {
	size_t bar;
	size_t n;
	bt_order o[4];
};

/* Run the engine over d with the orders of steps (bars increasing). */
bt_result *te_run(const bt_data *d, const bt_config *c, const struct te_step *steps, size_t n);
/* The same, expecting bt_engine_submit to fail: returns its message. */
char *te_run_error(const bt_data *d, const bt_config *c, const struct te_step *steps, size_t n);

bt_config te_config(double cash);

/* The directory of the bundled data (STRATBOX_DATA_DIR, else ./data); the
 * test is skipped when it is not there. */
const char *te_data_dir(void);

#endif
