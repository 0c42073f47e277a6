/* stratbox HTML reports: a backtest's result, or a sweep's ranking, as one
 * self-contained HTML file.
 *
 * The file needs nothing but itself: the chart library (TradingView's
 * lightweight-charts, vendored at build time), the report's script, its
 * style sheet and its data are all inline, and a Content-Security-Policy
 * forbids every network access and every script or style but those.
 * Everything in the input that a strategy controls (its output, its error
 * text, parameter names and values, symbol names) is escaped for the place
 * it lands in.  docs/backtest.md ("The HTML report") has the input fields
 * and what the page shows.
 *
 *     json_t *result = bt_result_to_json(r, &err);
 *     json_object_set_new(result, "bars", bt_report_bars(data, &err));
 *     ... add "status", "output", "provenance", ...
 *     char *html = bt_report_html(result, &(struct bt_report_options){ .title = "sma.py" }, &err);
 *
 * Pure functions of their input (no globals, no I/O): any thread may call
 * them at any time.
 */
#ifndef STRATBOX_REPORT_H
#define STRATBOX_REPORT_H

#include "stratbox/engine.h"
#include "stratbox/error.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct json_t;

struct bt_report_options {
	const char *title;  /* the page's heading, e.g. the strategy's file name;
			       NULL: "Backtest report" */
	size_t max_trades;  /* rows of the trades table (the rest are counted); 0: 5000 */
};

/* The report of one backtest.  result: what bt_result_to_json() gives
 * (metrics, trades, equity, config, orders), plus what the front end adds
 * beside it, each optional:
 *
 *   "status"          the sandbox's verdict: "OK", "TIMEOUT_CPU", ... (or
 *   "verdict"         an object with "status" and "message")
 *   "error"           the strategy's error (a string, or any JSON value)
 *   "output"          what the strategy printed (a string)
 *   "lookahead_bars"  bars where a vectorised strategy looked ahead
 *   "params"          the strategy's parameters ({name: value})
 *   "provenance"      {name: value}, nested objects allowed
 *   "bars"            the prices to chart, per symbol:
 *                     {"GOOG": {"time": [...], "open": [...], "high": [...],
 *                               "low": [...], "close": [...]}}
 *                     times as in the result (ISO-8601 strings) or seconds
 *                     since the epoch, strictly increasing; arrays of one
 *                     length.
 *
 * A failed run (no metrics, no equity) still gives a page: its verdict,
 * its error and its output.  Returns a malloc'd NUL-terminated string, or
 * NULL with *err (a result that is not an object, out of memory). */
char *bt_report_html(const struct json_t *result, const struct bt_report_options *opt,
		     sbx_error **err);

/* The "bars" member above, made from the data a backtest ran on: each
 * symbol's own bars (not the aligned timeline's filled gaps), times in
 * seconds.  A new reference, or NULL with *err when out of memory. */
struct json_t *bt_report_bars(const bt_data *d, sbx_error **err);

/* The report of what bt_backtest_run or bt_sweep_run gave, whichever it
 * is (a sweep's result has "runs" and its best run whole in "best"), with
 * the bars of d charted: what `stratbox backtest --report` writes and the
 * service's GET /v1/jobs/{id}/report serves.  rank: the sweep's (NULL:
 * sharpe).  The result is not changed.  NULL with *err as above. */
char *bt_report_of_result(const struct json_t *result, const bt_data *d, const char *title,
			  const char *rank, sbx_error **err);

struct bt_grid_report_options {
	const char *title; /* NULL: "Parameter sweep" */
	const char *rank;  /* the metric that ranks the runs (its own direction); NULL: "sharpe" */
	const char *heat;  /* the metric of the heat map; NULL: the ranking one */
	const char *x, *y; /* the parameters on the heat map's axes; NULL: the first two */
	size_t max_rows;   /* rows of the ranking table; 0: 100 */
};

/* The report of a sweep.  runs: an array of {"params": {name: value},
 * "metrics": {...}, "status": "OK"} (status optional; a run that is not OK
 * or has no metrics ranks last).  best: the full result of one run (as for
 * bt_report_html), shown below the ranking; NULL for none.  The heat map
 * shows, in each cell, the best value of the metric over the runs with
 * that x and y (other parameters may vary).  An unknown metric or
 * parameter name is an error. */
char *bt_report_grid_html(const struct json_t *runs, const struct json_t *best,
			  const struct bt_grid_report_options *opt, sbx_error **err);

/* The Content-Security-Policy hashes ("sha256-<base64>") of the report's
 * inline scripts and of its style sheet, as its own policy lists them.  A
 * page that shows a report in an <iframe srcdoc> must allow them in its
 * policy too: a srcdoc document inherits its parent's policy, on top of its
 * own (the status page, src/server/page.c). */
struct bt_report_sources {
	const char *scripts[2];
	const char *style;
};
void bt_report_csp_sources(struct bt_report_sources *out);

#ifdef __cplusplus
}
#endif
#endif
