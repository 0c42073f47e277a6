/* stratbox backtest engine: the trusted core that fills a strategy's orders
 * and computes every number of a backtest's result.
 *
 * Pure computation: no Python, no sandbox, no I/O beyond reading data files.
 * Every object is self-contained (no globals), so several backtests run at
 * once on several threads, one bt_engine each; a bt_data is read-only once
 * built and may be shared by any number of engines and threads.
 *
 *     bt_series *s;  bt_data *d;  bt_engine *e;  bt_result *r;  bt_config c;
 *     bt_series_read("data/GOOG.csv", "GOOG", &s, &err);
 *     bt_data_new(&s, 1, &d, &err);
 *     bt_config_default(&c);
 *     bt_engine_new(d, &c, &e, &err);
 *     while (bt_engine_next(e, &err) > 0) {       // fills on this bar, marks to its Close
 *             bt_account a;
 *             bt_engine_account(e, &a);           // what the strategy is shown
 *             ... ask the strategy, get orders ...
 *             bt_engine_submit(e, orders, n, &err);   // placed on this bar
 *     }
 *     bt_engine_finish(e, &r, &err);              // end policy, metrics
 *     char *json = bt_result_json(r, &err);
 *
 * or, vectorised: bt_run_targets(d, &c, target, n, &r, &err).
 *
 * The execution model is docs/backtest.md, the metrics docs/metrics.md.
 * Errors come back through sbx_error (negative return or NULL).
 */
#ifndef STRATBOX_ENGINE_H
#define STRATBOX_ENGINE_H

#include "stratbox/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- time ------------------------------------------------------------ */

/* Times are seconds since 1970-01-01T00:00:00Z; a file's times are taken
 * as UTC unless they carry an offset. */

/* Parse "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS]" (or with 'T'), with an
 * optional "Z" or "+HH:MM"/"-HH:MM".  With end_of_day, a bare date means
 * its last second (for an inclusive --end).  0 or -1 with *err. */
int bt_time_parse(const char *s, bool end_of_day, int64_t *out, sbx_error **err);

/* "YYYY-MM-DDTHH:MM:SSZ" into buf (at least 32 bytes). */
void bt_time_format(int64_t t, char *buf, size_t size);

/* ---- one symbol's bars, as read --------------------------------------- */

typedef struct bt_series {
	char *symbol;
	char *source;	/* the file it came from ("" when built in memory) */
	size_t n;
	int64_t *time;	/* strictly increasing */
	double *open, *high, *low, *close;
	double *volume; /* NaN where the file has no volume column */
} bt_series;

/* Read a CSV file of bars (every layout of data/README.md; the rules and
 * the errors are in docs/backtest.md).  Bad data is an error naming the
 * file, the line and the problem. */
int bt_series_read(const char *path, const char *symbol, bt_series **out, sbx_error **err);

/* The same from memory; name is used in error messages. */
int bt_series_parse(const char *text, size_t len, const char *name, const char *symbol,
		    bt_series **out, sbx_error **err);

/* An empty series of n bars to fill in (tests, benchmarks, a service that
 * receives bars another way); bt_series_check() then applies the reader's
 * rules to it. */
int bt_series_new(const char *symbol, size_t n, bt_series **out, sbx_error **err);
int bt_series_check(const bt_series *s, sbx_error **err);

/* Keep only the bars with start <= time <= end.  No bar left is an error. */
int bt_series_clip(bt_series *s, int64_t start, int64_t end, sbx_error **err);

void bt_series_free(bt_series *s);

/* ---- symbols aligned on one timeline, with its calendar ---------------- */

typedef enum bt_frequency {
	BT_FREQ_INTRADAY,
	BT_FREQ_DAILY,
	BT_FREQ_WEEKLY,
	BT_FREQ_MONTHLY,
	BT_FREQ_YEARLY,
} bt_frequency;

typedef struct bt_symbol {
	char *name;
	char *source;
	/* n values on the common timeline.  Where the symbol has no bar
	 * (has_bar[i] == 0) open/high/low/close hold its last Close (NaN
	 * before its first bar) and volume 0: it is valued at that Close and
	 * nothing of it fills there. */
	double *open, *high, *low, *close, *volume;
	uint8_t *has_bar;
	size_t first_bar; /* index of its first bar */
	size_t bars;	  /* how many bars it has */
} bt_symbol;

typedef struct bt_data {
	size_t n;	/* bars on the union of the symbols' timestamps */
	int64_t *time;
	size_t nsym;
	bt_symbol *sym; /* in the order given; the first is the benchmark */

	/* The calendar, computed once from the times (docs/metrics.md). */
	bt_frequency freq;	 /* from the median spacing of the bars */
	int64_t median_gap;	 /* seconds */
	double weekend_share;	 /* bars on a Saturday or Sunday (UTC) */
	double periods_per_year; /* A: 1, 12, 52, 252 or 365 */
	size_t nperiods;	 /* days, weeks, months or years with a bar */
	size_t *period_last;	 /* the last bar of each period */

	/* The first symbol's log returns log(close[i] / close[i-1]), NaN
	 * where undefined (before its second bar), and their sums over the
	 * bars where defined: the market side of beta, shared by every run. */
	double *mkt_logret;
	size_t mkt_n;
	double mkt_sum, mkt_sumsq;
} bt_data;

/* Align k series (copied; the caller keeps them) on the union of their
 * times.  Symbol names must be distinct. */
int bt_data_new(bt_series *const *series, size_t k, bt_data **out, sbx_error **err);
void bt_data_free(bt_data *d);
const char *bt_frequency_name(bt_frequency f);

/* ---- the bundled data's manifest (data/datasets.json) ------------------- */

typedef struct bt_dataset {
	char *name;	   /* what --symbols takes, e.g. "GOOG" */
	char *description;
	char *file;	   /* resolved against the manifest's directory */
	char *frequency;   /* "daily", "hourly", "5-minute", "weekly", "monthly" */
	size_t bars;
	char *start, *end; /* first and last time, as in the file */
} bt_dataset;

typedef struct bt_manifest {
	char *dir;
	size_t n;
	bt_dataset *sets;
} bt_manifest;

int bt_manifest_load(const char *path, bt_manifest **out, sbx_error **err);
/* By name, case-insensitively; NULL when absent. */
const bt_dataset *bt_manifest_find(const bt_manifest *m, const char *name);
void bt_manifest_free(bt_manifest *m);
/* Where the bundled manifest is: $STRATBOX_DATA_DIR/datasets.json, else
 * data/ beside or above the executable (a build tree), else the installed
 * copy.  A new string; NULL when out of memory. */
char *bt_manifest_default_path(void);

/* ---- a backtest's bars, gathered: what the CLI and the service share ---- */

#define BT_MAX_SYMBOLS 16

/* Series from files, bundled or --data-dir datasets, or text in memory,
 * then clipped and aligned; with each one's provenance.  Zero it, add,
 * finish, clear (a half-built one too). */
typedef struct bt_inputs {
	size_t n;
	bt_series *series[BT_MAX_SYMBOLS];
	bt_data *data;	      /* after bt_inputs_finish */
	struct json_t *files; /* [{"symbol", "file" | "inline", "sha256", "bars"}] */
} bt_inputs;

int bt_inputs_add_file(bt_inputs *in, const char *symbol, const char *path, sbx_error **err);
/* NAME.csv (or NAME.txt) in dir when dir is not NULL, else the manifest's
 * dataset of that name (an error listing the names there are). */
int bt_inputs_add_dataset(bt_inputs *in, const bt_manifest *m, const char *dir, const char *name,
			  sbx_error **err);
int bt_inputs_add_text(bt_inputs *in, const char *symbol, const char *text, size_t len,
		       sbx_error **err);
/* Clip every series to [start, end] (either NULL: open; an end given as a
 * bare date is inclusive of that day) and align them into in->data. */
int bt_inputs_finish(bt_inputs *in, const char *start, const char *end, sbx_error **err);
void bt_inputs_clear(bt_inputs *in);

/* ---- the account and its orders ------------------------------------- */

typedef enum bt_end_policy {
	BT_END_LIQUIDATE, /* open trades close at the last bar's Open */
	BT_END_HOLD,	  /* open trades stay open, valued at the last Close */
} bt_end_policy;

typedef struct bt_config {
	double cash;		 /* starting equity, > 0 (10000) */
	double commission;	 /* rate on |size| * price, per fill, in [0, 0.1) (0) */
	double commission_fixed; /* per fill, >= 0 (0) */
	double spread;		 /* entry price moves against the trader by this fraction, [0, 0.1) (0) */
	double margin;		 /* required margin ratio M, 0 < M <= 1; leverage 1/M (1) */
	double fractional;	 /* 0: whole units; else sizes are multiples of this unit */
	bool trade_on_close;	 /* market orders fill at the Close of the bar they are placed on */
	bt_end_policy end_policy;
	size_t warmup;		 /* the strategy's first bar (buy & hold starts at its Close - 1) */
} bt_config;

void bt_config_default(bt_config *c);
int bt_config_check(const bt_config *c, sbx_error **err);
const char *bt_end_policy_name(bt_end_policy p);

typedef enum bt_action {
	BT_BUY = 1,
	BT_SELL = 2,
	BT_CLOSE = 3,  /* close the symbol's trades (size: part of them), cancel its pending entries */
	BT_CANCEL = 4, /* cancel the symbol's pending orders */
} bt_action;

/* Which optional fields of a bt_order are present.  A present field must
 * be a finite positive number: NaN, infinities, zero and negatives are
 * refused with an error naming the bar and the order. */
enum {
	BT_HAS_SIZE = 1u << 0,
	BT_HAS_LIMIT = 1u << 1,
	BT_HAS_STOP = 1u << 2,
	BT_HAS_SL = 1u << 3,
	BT_HAS_TP = 1u << 4,
};

#define BT_ALL_SYMBOLS (-1) /* close or cancel: every symbol */
/* Orders waiting at once, per run: the order past it is the strategy's
 * error (the engine keeps no unbounded state for untrusted code, and each
 * bar looks at every pending order). */
#define BT_MAX_PENDING 1000
/* Trades open at once, per run, likewise: the opening past it is the
 * strategy's error.  Valuing the account and sizing an order look at
 * every open trade, so this bounds the engine's work a bar (at most a
 * second or two of the host's time a run, however the strategy tries). */
#define BT_MAX_OPEN_TRADES 5000

typedef struct bt_order {
	int action;   /* a bt_action; anything else is refused */
	int symbol;   /* index into bt_data.sym, or BT_ALL_SYMBOLS for close/cancel */
	unsigned has; /* BT_HAS_* */
	double size;  /* absent: all available equity; (0,1): that fraction of it; >= 1: units */
	double limit, stop;
	double sl, tp; /* stop-loss and take-profit prices of the trade it opens */
} bt_order;

/* What the strategy is shown before its call on a bar: the account after
 * that bar's fills, valued at its Close. */
typedef struct bt_account {
	size_t bar;
	int64_t time;
	double cash;		/* realised: starting cash + closed P&L - commissions */
	double equity;		/* cash + open trades at the Close */
	double available;	/* max(0, equity - margin in use) */
	const double *position; /* signed size per symbol (owned by the engine) */
	size_t open_trades, pending_orders;
	bool finished; /* ruined (equity <= 0) or past the last bar: no more orders */
} bt_account;

/* ---- the result -------------------------------------------------------- */

typedef enum bt_exit_reason {
	BT_EXIT_OPEN,	/* still open (end policy hold) */
	BT_EXIT_ORDER,	/* a close or an opposite order */
	BT_EXIT_SL,
	BT_EXIT_TP,
	BT_EXIT_END,	/* liquidated at the end of the data */
	BT_EXIT_RUIN,	/* equity reached 0 */
} bt_exit_reason;

typedef struct bt_trade {
	int symbol;
	double size; /* signed: > 0 long */
	size_t entry_bar, exit_bar; /* exit_bar: the last bar while open */
	int64_t entry_time, exit_time;
	double entry_price; /* after the spread */
	double exit_price;  /* NaN while open */
	double sl, tp;	    /* NaN when none */
	double pnl;	    /* size * (exit - entry) - commissions (open: at the last Close) */
	double return_pct;  /* (sign * (exit/entry - 1) - commissions / (|size| * entry)) * 100 */
	double commissions; /* its share of the entry commission + the exit commission */
	bt_exit_reason exit_reason;
} bt_trade;

typedef struct bt_metrics {
	int64_t start, end;
	double duration_days, exposure_pct, equity_final, equity_peak, return_pct,
		buy_hold_return_pct, return_ann_pct, volatility_ann_pct, cagr_pct, sharpe, sortino,
		calmar, beta, alpha_pct, max_drawdown_pct, avg_drawdown_pct,
		max_drawdown_duration_days, avg_drawdown_duration_days;
	size_t trades; /* closed trades: every trade statistic is over these */
	double win_rate_pct, best_trade_pct, worst_trade_pct, avg_trade_pct,
		max_trade_duration_days, avg_trade_duration_days, profit_factor, expectancy_pct, sqn,
		kelly, commissions;
} bt_metrics;

/* The metrics as a table, in docs/metrics.md's order: for writers, report
 * tables and ranking (better: +1 higher is better, -1 lower is better,
 * 0 not a ranking metric). */
typedef enum bt_metric_kind { BT_METRIC_TIME, BT_METRIC_COUNT, BT_METRIC_REAL } bt_metric_kind;
typedef struct bt_metric_field {
	const char *name;
	size_t offset; /* into bt_metrics */
	bt_metric_kind kind;
	int better;
} bt_metric_field;
const bt_metric_field *bt_metric_fields(size_t *n);
/* The value of a field as a double (times and counts converted). */
double bt_metric_value(const bt_metrics *m, const bt_metric_field *f);
const bt_metric_field *bt_metric_find(const char *name);

typedef struct bt_order_counts {
	size_t placed;	  /* buy, sell and close orders accepted */
	size_t filled;	  /* orders that executed (closes that had something to close) */
	size_t rejected;  /* not enough available equity for even one unit / the size asked */
	size_t cancelled; /* by cancel, close, a newer target, or ruin */
	size_t pending;	  /* still waiting at the end */
} bt_order_counts;

typedef struct bt_result {
	const bt_data *data; /* borrowed: the result must not outlive its data */
	bt_config config;
	size_t n;
	double *equity;	  /* at each bar's Close, after that bar's fills */
	bt_trade *trades; /* closed trades in the order they closed, then the open ones */
	size_t ntrades;
	bt_metrics metrics;
	bt_order_counts orders;
	bool ruined;
	size_t ruin_bar;
} bt_result;

void bt_result_free(bt_result *r);

/* The metrics of an equity curve (n = d->n values) and its trades: a pure
 * function, also usable on results built elsewhere. */
int bt_metrics_compute(const bt_data *d, const bt_config *c, const double *equity,
		       const bt_trade *trades, size_t ntrades, bt_metrics *out, sbx_error **err);

/* The result as JSON: {"metrics", "trades", "equity": [{time, equity,
 * drawdown_pct}], "config", "orders"}; NaN is null, times ISO-8601.
 * bt_result_to_json returns a jansson json_t (new reference). */
struct json_t;
struct json_t *bt_result_to_json(const bt_result *r, sbx_error **err);
char *bt_result_json(const bt_result *r, sbx_error **err);

/* ---- the engine ---------------------------------------------------- */

typedef struct bt_engine bt_engine;

int bt_engine_new(const bt_data *d, const bt_config *c, bt_engine **out, sbx_error **err);

/* Process the next bar: fill what is pending on it, mark the account to
 * its Close (and on the last bar, apply the end policy).  1 when a bar was
 * processed, 0 when there is none left or the run has ended, -1 on error. */
int bt_engine_next(bt_engine *e, sbx_error **err);

/* The account after the current bar (valid until the next call). */
void bt_engine_account(const bt_engine *e, bt_account *out);

/* The orders the strategy placed on the current bar, in the order it
 * returned them.  Validated first: on error nothing is applied.  Orders
 * after the run has finished are ignored. */
int bt_engine_submit(bt_engine *e, const bt_order *orders, size_t n, sbx_error **err);

/* Vectorised input for the first symbol: the target position on the
 * current bar as a signed fraction of equity in [-1, 1].  Acted on when
 * it differs from the previous target; NaN keeps the previous target. */
int bt_engine_submit_target(bt_engine *e, double target, sbx_error **err);

/* After the last bar (or the ruin): the result, with its metrics.  The
 * engine is spent afterwards (only bt_engine_free). */
int bt_engine_finish(bt_engine *e, bt_result **out, sbx_error **err);

void bt_engine_free(bt_engine *e);

/* A whole vectorised run: target[i] for every bar (n == d->n); targets on
 * bars before c->warmup are ignored. */
int bt_run_targets(const bt_data *d, const bt_config *c, const double *target, size_t n,
		   bt_result **out, sbx_error **err);

#ifdef __cplusplus
}
#endif
#endif
