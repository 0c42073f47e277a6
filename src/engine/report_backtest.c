/* The HTML report of one backtest (include/stratbox/report.h): the
 * verdict, the charts (price with the trades, equity, drawdown), the
 * metrics, the trades, the configuration, what the strategy printed and
 * the provenance.  Tables are written here, as HTML, so the numbers read
 * without the script; the charts are drawn by report.js from the data
 * block (report_chart.c).  Every string from the result goes through
 * hb_text() or put_value(). */
#include "engine/report_backtest.h"

#include "common/util.h"
#include "engine/report_chart.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#define DEFAULT_MAX_TRADES 5000
#define MAX_LOOKAHEAD_LISTED 20

/* The verdict: "status" (or "verdict": {"status", "message"}). */
static const char *status_of(const json_t *r, const json_t **message)
{
	const json_t *v = json_object_get(r, "verdict");
	const json_t *st = json_is_object(v) ? json_object_get(v, "status") : NULL;
	*message = json_is_object(v) ? json_object_get(v, "message") : json_object_get(r, "message");
	if (st == NULL)
		st = json_is_string(v) ? v : json_object_get(r, "status");
	return json_string_value(st);
}

static void header(struct hbuf *b, const json_t *r, const char *title)
{
	const json_t *cfg = json_object_get(r, "config"), *m = json_object_get(r, "metrics");
	const json_t *syms = json_object_get(cfg, "symbols"), *message;
	const char *status = status_of(r, &message);
	hb_puts(b, "<header>\n<div class=\"title\"><h1>");
	hb_texts(b, title);
	hb_puts(b, "</h1>");
	if (status != NULL) {
		hb_printf(b, "<span class=\"badge %s\">", strcmp(status, "OK") == 0 ? "ok" : "fail");
		hb_texts(b, status);
		hb_puts(b, "</span>");
	}
	hb_puts(b, "</div>\n<p class=\"sub\">");
	for (size_t i = 0; i < json_array_size(syms); i++) {
		hb_puts(b, i ? ", " : "");
		hb_puts(b, "<span class=\"sym\">");
		put_value(b, json_object_get(json_array_get(syms, i), "name"));
		hb_puts(b, "</span>");
	}
	if (json_is_string(json_object_get(m, "start"))) {
		hb_puts(b, json_array_size(syms) ? " &middot; " : "");
		put_time(b, json_string_value(json_object_get(m, "start")));
		hb_puts(b, " to ");
		put_formatted(b, json_object_get(m, "end"), F_TIME, false);
	}
	if (json_is_integer(json_object_get(cfg, "bars"))) {
		hb_puts(b, " &middot; ");
		put_formatted(b, json_object_get(cfg, "bars"), F_COUNT, false);
		hb_puts(b, " ");
		if (json_is_string(json_object_get(cfg, "frequency"))) {
			put_value(b, json_object_get(cfg, "frequency"));
			hb_puts(b, " ");
		}
		hb_puts(b, "bars");
	}
	if (json_is_number(json_object_get(cfg, "cash"))) {
		hb_puts(b, " &middot; starting cash ");
		put_formatted(b, json_object_get(cfg, "cash"), F_MONEY, false);
	}
	hb_puts(b, "</p>\n</header>\n<main>\n");
}

/* What the static validator refused: [{"line", "col", "rule", "severity", "message"}]. */
static void violations(struct hbuf *b, const json_t *viol)
{
	size_t n = json_array_size(viol);
	hb_printf(b, "<section class=\"alert\" id=\"violations\">\n<h2>The validator refused the "
		     "code <span class=\"count\">(%zu finding%s)</span></h2>\n<div class=\"scroll\">"
		     "<table class=\"data\">\n<thead><tr><th>Line</th><th>Column</th><th class=\"text\">"
		     "Rule</th><th class=\"text\">Severity</th><th class=\"text\">Message</th></tr>"
		     "</thead>\n<tbody>\n",
		  n, n == 1 ? "" : "s");
	for (size_t i = 0; i < n && i < 500; i++) {
		const json_t *v = json_array_get(viol, i);
		static const char *const keys[] = { "line", "col", "rule", "severity", "message" };
		hb_puts(b, "<tr>");
		for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
			const json_t *f = json_object_get(v, keys[k]);
			hb_puts(b, k >= 2 ? "<td class=\"text\">" : "<td>");
			if (f != NULL)
				put_value(b, f);
			hb_puts(b, "</td>");
		}
		hb_puts(b, "</tr>\n");
	}
	hb_puts(b, "</tbody></table></div>\n</section>\n");
}

/* A failed run's verdict, its error, and a vectorised strategy's lookahead. */
static void alerts(struct hbuf *b, const json_t *r)
{
	const json_t *message, *err = json_object_get(r, "error");
	const char *status = status_of(r, &message);
	if (status != NULL && strcmp(status, "OK") != 0) {
		hb_puts(b, "<section class=\"alert\">\n<h2>The strategy's run failed: ");
		hb_texts(b, status);
		hb_puts(b, "</h2>\n");
		if (message != NULL && !json_is_null(message)) {
			hb_puts(b, "<p>");
			put_value(b, message);
			hb_puts(b, "</p>\n");
		}
		hb_puts(b, "</section>\n");
	}
	const json_t *tb = json_object_get(r, "traceback"), *viol = json_object_get(r, "violations");
	if ((err != NULL && !json_is_null(err)) || json_is_string(tb)) {
		hb_puts(b, "<section class=\"alert\" id=\"error\">\n<h2>Error</h2>\n");
		if (err != NULL && !json_is_null(err)) {
			hb_puts(b, "<pre id=\"error-text\">\n");
			put_value(b, err);
			hb_puts(b, "</pre>\n");
		}
		if (json_is_string(tb)) {
			hb_puts(b, "<p class=\"note\">Traceback:</p>\n<pre id=\"traceback\">\n");
			put_value(b, tb);
			hb_puts(b, "</pre>\n");
		}
		hb_puts(b, "</section>\n");
	}
	if (json_array_size(viol) > 0)
		violations(b, viol);
	const json_t *la = json_object_get(r, "lookahead_bars");
	size_t n = json_array_size(la);
	if (n > 0) {
		hb_printf(b, "<section class=\"alert\" id=\"lookahead\">\n<h2>Lookahead: the "
			     "strategy's targets depended on future bars at %zu bar%s</h2>\n<p>",
			  n, n == 1 ? "" : "s");
		for (size_t i = 0; i < n && i < MAX_LOOKAHEAD_LISTED; i++) {
			hb_puts(b, i ? ", <span class=\"iso\">" : "<span class=\"iso\">");
			put_formatted(b, json_array_get(la, i), F_TIME, false);
			hb_puts(b, "</span>");
		}
		hb_puts(b, n > MAX_LOOKAHEAD_LISTED ? ", &hellip;</p>\n" : "</p>\n");
		hb_puts(b, "<p>Its results are not those of a strategy that only knew the "
			   "past.</p>\n</section>\n");
	}
}

/* The characters HTML shows: a reference counts one, a tag none. */
static size_t visible_len(const char *s, size_t n)
{
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '<' || s[i] == '&') {
			const char *end = memchr(s + i, s[i] == '<' ? '>' : ';', n - i);
			if (end != NULL)
				i = (size_t) (end - s);
			len += s[i] != '>';
		} else if (((unsigned char) s[i] & 0xc0) != 0x80) {
			len++;
		}
	}
	return len;
}

/* The figures a reader looks for first. */
static void cards(struct hbuf *b, const json_t *m)
{
	static const char *const keys[] = { "return_pct",     "buy_hold_return_pct", "sharpe",
					    "max_drawdown_pct", "win_rate_pct",      "trades",
					    "equity_final" };
	hb_puts(b, "<section class=\"cards\">\n");
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const json_t *v = json_object_get(m, keys[i]);
		struct metric_info mi = metric_info(keys[i]);
		double x;
		const char *tone = "";
		bool signed_ = strcmp(keys[i], "return_pct") == 0 ||
			       strcmp(keys[i], "buy_hold_return_pct") == 0;
		if (signed_ && json_finite(v, &x) == 0)
			tone = x > 0 ? " pos" : x < 0 ? " neg" : "";
		struct hbuf val = { 0 };
		put_formatted(&val, v, mi.fmt, signed_);
		/* "+705,194.56 %" (a bitcoin held for a decade) in a smaller size */
		hb_printf(b, "<div class=\"card\"><div class=\"label\">%s</div><div class=\"value%s%s\">",
			  mi.label, tone, visible_len(val.v ? val.v : "", val.n) > 10 ? " long" : "");
		hb_put(b, val.v ? val.v : "", val.n);
		b->oom |= val.oom;
		hb_free(&val);
		hb_puts(b, "</div></div>\n");
	}
	hb_puts(b, "</section>\n");
}

static void legend_item(struct hbuf *b, const char *cls, const char *text)
{
	hb_printf(b, "<span class=\"item\"><span class=\"key %s\"></span>%s</span>", cls, text);
}

/* The charts' containers; report.js draws into them. */
static void charts(struct hbuf *b, const json_t *data, const struct hbuf *notes)
{
	const json_t *price = json_object_get(data, "price"), *eq = json_object_get(data, "equity");
	if (json_array_size(price) == 0 && eq == NULL && notes->n == 0)
		return;
	hb_puts(b, "<section id=\"charts\">\n");
	if (notes->n)
		hb_put(b, notes->v, notes->n);
	for (size_t i = 0; i < json_array_size(price); i++) {
		hb_puts(b, "<h2>Price and trades: <span class=\"sym\">");
		put_value(b, json_object_get(json_array_get(price, i), "symbol"));
		hb_puts(b, "</span></h2>\n<div class=\"legend\">");
		legend_item(b, "candle-up", "close above open");
		legend_item(b, "candle-down", "close below open");
		legend_item(b, "mark-long", "long entry");
		legend_item(b, "mark-short", "short entry");
		legend_item(b, "mark-exit", "exit (trade return)");
		hb_printf(b, "</div>\n<div class=\"chart price\" id=\"price-%zu\"></div>\n", i);
	}
	if (eq != NULL) {
		hb_puts(b, "<h2>Equity</h2>\n<div class=\"legend\">");
		legend_item(b, "line-equity", "strategy");
		if (json_object_get(eq, "bh") != NULL) {
			hb_puts(b, "<span class=\"item\"><span class=\"key line-bh\"></span>buy &amp; hold "
				   "<span class=\"sym\">");
			put_value(b, json_object_get(eq, "bh_name"));
			hb_puts(b, "</span></span>");
		}
		hb_puts(b, "</div>\n<div class=\"chart equity\" id=\"equity\"></div>\n"
			   "<h2>Drawdown</h2>\n<div class=\"legend\">");
		legend_item(b, "area-dd", "below the running peak of equity, in %");
		hb_puts(b, "</div>\n<div class=\"chart drawdown\" id=\"drawdown\"></div>\n");
	}
	hb_puts(b, "</section>\n");
}

static void metric_row(struct hbuf *b, const char *name, const json_t *v)
{
	struct metric_info mi = metric_info(name);
	hb_puts(b, "<tr><th scope=\"row\">");
	hb_texts(b, mi.label);
	hb_puts(b, "</th><td>");
	put_formatted(b, v, mi.fmt, false);
	hb_puts(b, "</td></tr>\n");
}

/* Every metric of the result, in its order, in three groups. */
static void metrics_tables(struct hbuf *b, const json_t *m)
{
	static const char *const groups[] = { "Performance", "Risk", "Trades" };
	if (json_object_size(m) == 0)
		return;
	hb_puts(b, "<section id=\"metrics\">\n<h2>Metrics</h2>\n<div class=\"groups\">\n");
	for (int g = 0; g < 3; g++) {
		hb_printf(b, "<table class=\"kv\"><caption>%s</caption>\n<tbody>\n", groups[g]);
		const char *k;
		const json_t *v;
		json_object_foreach ((json_t *) m, k, v)
			if (metric_info(k).group == g)
				metric_row(b, k, v);
		hb_puts(b, "</tbody></table>\n");
	}
	hb_puts(b, "</div>\n</section>\n");
}

static const char *exit_label(const char *reason)
{
	static const char *const names[][2] = { { "order", "signal" }, { "sl", "stop-loss" },
						{ "tp", "take-profit" }, { "end", "end of data" },
						{ "ruin", "ruin" },       { "open", "still open" } };
	for (size_t i = 0; reason != NULL && i < ARRAY_SIZE(names); i++)
		if (strcmp(reason, names[i][0]) == 0)
			return names[i][1];
	return NULL;
}

static void cell(struct hbuf *b, const json_t *v, enum fmt f, bool sign, const char *cls)
{
	hb_printf(b, "<td%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
	put_formatted(b, v, f, sign);
	hb_puts(b, "</td>");
}

static void trade_row(struct hbuf *b, size_t i, const json_t *t, bool sltp)
{
	double size = NAN, pnl = NAN;
	json_finite(json_object_get(t, "size"), &size);
	json_finite(json_object_get(t, "pnl"), &pnl);
	hb_printf(b, "<tr><td>%zu</td><td class=\"sym\">", i + 1);
	put_value(b, json_object_get(t, "symbol"));
	hb_printf(b, "</td><td class=\"%s\">%s</td>", size < 0 ? "short" : "long",
		  size < 0 ? "short" : size > 0 ? "long" : "&mdash;");
	hb_puts(b, "<td>");
	put_number(b, fabs(size), size == floor(size) ? 0 : 6, false);
	hb_puts(b, "</td>");
	cell(b, json_object_get(t, "entry_time"), F_TIME, false, "time");
	cell(b, json_object_get(t, "entry_price"), F_MONEY, false, NULL);
	cell(b, json_object_get(t, "exit_time"), F_TIME, false, "time");
	cell(b, json_object_get(t, "exit_price"), F_MONEY, false, NULL);
	if (sltp) {
		cell(b, json_object_get(t, "sl"), F_MONEY, false, NULL);
		cell(b, json_object_get(t, "tp"), F_MONEY, false, NULL);
	}
	const json_t *reason = json_object_get(t, "exit_reason");
	const char *label = exit_label(json_string_value(reason));
	hb_puts(b, "<td>");
	if (label != NULL)
		hb_puts(b, label);
	else
		put_formatted(b, reason, F_NUMBER, false);
	hb_puts(b, "</td>");
	const char *tone = pnl > 0 ? "pos" : pnl < 0 ? "neg" : NULL;
	cell(b, json_object_get(t, "pnl"), F_MONEY, true, tone);
	cell(b, json_object_get(t, "return_pct"), F_PCT, true, tone);
	cell(b, json_object_get(t, "commissions"), F_MONEY, false, NULL);
	hb_puts(b, "</tr>\n");
}

static void trades_table(struct hbuf *b, const json_t *trades, size_t max)
{
	size_t n = json_array_size(trades);
	bool sltp = false;
	if (!json_is_array(trades))
		return;
	for (size_t i = 0; i < n && !sltp; i++) {
		const json_t *t = json_array_get(trades, i);
		sltp = json_is_number(json_object_get(t, "sl")) || json_is_number(json_object_get(t, "tp"));
	}
	hb_printf(b, "<section id=\"trades\">\n<h2>Trades <span class=\"count\">(%zu)</span></h2>\n", n);
	if (n == 0) {
		hb_puts(b, "<p class=\"note\">The strategy made no trade.</p>\n</section>\n");
		return;
	}
	hb_puts(b, "<div class=\"scroll\"><table class=\"data\">\n<thead><tr><th>#</th><th>Symbol</th>"
		   "<th>Side</th><th>Size</th><th>Entry time</th><th>Entry price</th>"
		   "<th>Exit time</th><th>Exit price</th>");
	if (sltp)
		hb_puts(b, "<th>Stop-loss</th><th>Take-profit</th>");
	hb_puts(b, "<th>Exit</th><th>P&amp;L</th><th>Return</th><th>Commissions</th></tr></thead>\n"
		   "<tbody>\n");
	for (size_t i = 0; i < n && i < max; i++)
		trade_row(b, i, json_array_get(trades, i), sltp);
	hb_puts(b, "</tbody></table></div>\n");
	if (n > max)
		hb_printf(b, "<p class=\"note\">The first %zu of %zu trades are listed.</p>\n", max, n);
	hb_puts(b, "</section>\n");
}

/* An object as rows of name and value; nested objects as "outer.inner". */
static void kv_rows(struct hbuf *b, const char *prefix, const json_t *o, int depth)
{
	const char *k;
	const json_t *v;
	json_object_foreach ((json_t *) o, k, v) {
		if (json_is_object(v) && depth < 4) {
			cleanup_free char *p = str_printf("%s%s.", prefix, k);
			if (p == NULL) {
				b->oom = true;
				return;
			}
			kv_rows(b, p, v, depth + 1);
			continue;
		}
		hb_puts(b, "<tr><th scope=\"row\">");
		hb_texts(b, prefix);
		hb_texts(b, k);
		hb_puts(b, "</th><td>");
		put_value(b, v);
		hb_puts(b, "</td></tr>\n");
	}
}

static void kv_table(struct hbuf *b, const char *caption, const json_t *o)
{
	hb_printf(b, "<table class=\"kv\"><caption>%s</caption>\n<tbody>\n", caption);
	kv_rows(b, "", o, 0);
	hb_puts(b, "</tbody></table>\n");
}

/* The run's settings: the strategy's parameters, the engine's
 * configuration (its symbols listed by name and source), the orders. */
static void settings(struct hbuf *b, const json_t *r)
{
	const json_t *params = json_object_get(r, "params"), *cfg = json_object_get(r, "config");
	const json_t *orders = json_object_get(r, "orders"), *verdict = json_object_get(r, "verdict");
	if (!json_is_object(params) && !json_is_object(cfg) && !json_is_object(orders) &&
	    !json_is_object(verdict))
		return;
	hb_puts(b, "<section id=\"settings\">\n<h2>Settings</h2>\n<div class=\"groups\">\n");
	if (json_is_object(params))
		kv_table(b, "Strategy parameters", params);
	if (json_is_object(cfg)) {
		cleanup_decref json_t *c = json_copy((json_t *) cfg);
		const json_t *syms = json_object_get(cfg, "symbols");
		if (c == NULL) {
			b->oom = true;
			return;
		}
		json_object_del(c, "symbols");
		hb_puts(b, "<table class=\"kv\"><caption>Engine</caption>\n<tbody>\n");
		for (size_t i = 0; i < json_array_size(syms); i++) {
			const json_t *s = json_array_get(syms, i);
			hb_puts(b, "<tr><th scope=\"row\">symbol <span class=\"sym\">");
			put_value(b, json_object_get(s, "name"));
			hb_puts(b, "</span></th><td>");
			put_value(b, json_object_get(s, "source"));
			hb_puts(b, ", ");
			put_formatted(b, json_object_get(s, "bars"), F_COUNT, false);
			hb_puts(b, " bars</td></tr>\n");
		}
		kv_rows(b, "", c, 0);
		hb_puts(b, "</tbody></table>\n");
	}
	if (json_is_object(orders))
		kv_table(b, "Orders", orders);
	if (json_is_object(verdict)) {
		cleanup_decref json_t *v = json_copy((json_t *) verdict);
		if (v == NULL) {
			b->oom = true;
			return;
		}
		/* shown above: the status, its message and the streams */
		static const char *const shown[] = { "status", "message", "stdout", "stderr" };
		for (size_t i = 0; i < ARRAY_SIZE(shown); i++)
			json_object_del(v, shown[i]);
		if (json_object_size(v) > 0)
			kv_table(b, "Sandbox", v);
	}
	hb_puts(b, "</div>\n</section>\n");
}

/* One stream the strategy wrote: a string, or absent. */
static void stream(struct hbuf *b, const json_t *out, const char *id, const char *heading)
{
	size_t len;
	if (out == NULL || json_is_null(out))
		return;
	hb_printf(b, "<section id=\"%s\">\n<h2>%s</h2>\n", id, heading);
	if (jstr(out, &len) != NULL && len == 0) {
		hb_puts(b, "<p class=\"note\">Nothing.</p>\n</section>\n");
		return;
	}
	hb_printf(b, "<pre class=\"output\" id=\"%s-text\">\n", id);
	put_value(b, out);
	hb_puts(b, "</pre>\n</section>\n");
}

/* What the strategy printed ("output", or the verdict's "stdout") and
 * wrote to stderr ("stderr", or the verdict's). */
static void output_section(struct hbuf *b, const json_t *r)
{
	const json_t *v = json_object_get(r, "verdict");
	const json_t *out = json_object_get(r, "output"), *err = json_object_get(r, "stderr");
	if (out == NULL && json_is_object(v))
		out = json_object_get(v, "stdout");
	if (err == NULL && json_is_object(v))
		err = json_object_get(v, "stderr");
	stream(b, out, "output", "What the strategy printed");
	size_t len;
	if (jstr(err, &len) == NULL || len > 0) /* an empty stderr is not worth a section */
		stream(b, err, "stderr", "What the strategy wrote to stderr");
}

static void provenance(struct hbuf *b, const json_t *r)
{
	const json_t *p = json_object_get(r, "provenance");
	if (!json_is_object(p))
		return;
	hb_puts(b, "<section id=\"provenance\">\n<h2>Provenance</h2>\n");
	kv_table(b, "Where these numbers come from", p);
	hb_puts(b, "</section>\n");
}

void report_backtest_body(struct hbuf *b, const json_t *r, const struct bt_report_options *opt,
			  const char *title, json_t **data)
{
	struct hbuf notes = { 0 };
	const json_t *m = json_object_get(r, "metrics");
	size_t max = opt != NULL && opt->max_trades ? opt->max_trades : DEFAULT_MAX_TRADES;
	*data = chart_data(r, &notes);
	if (*data == NULL)
		b->oom = true;
	if (title != NULL)
		header(b, r, title);
	alerts(b, r);
	if (json_object_size(m) > 0)
		cards(b, m);
	charts(b, *data, &notes);
	metrics_tables(b, m);
	trades_table(b, json_object_get(r, "trades"), max);
	settings(b, r);
	output_section(b, r);
	provenance(b, r);
	hb_free(&notes);
}

/* Whether the charts' data has anything to draw. */
static bool report_has_charts(const json_t *data)
{
	return json_array_size(json_object_get(data, "price")) > 0 ||
	       json_object_get(data, "equity") != NULL;
}

char *bt_report_html(const json_t *result, const struct bt_report_options *opt, sbx_error **err)
{
	if (!json_is_object(result)) {
		sbx_error_set(err, EINVAL, "report: the result is not a JSON object");
		return NULL;
	}
	const char *title = opt != NULL && opt->title != NULL ? opt->title : "Backtest report";
	struct hbuf body = { 0 };
	cleanup_decref json_t *data = NULL;
	report_backtest_body(&body, result, opt, title, &data);
	return report_page_around(&body, title, data, err);
}

char *report_page_around(struct hbuf *body, const char *title, const json_t *data,
			 sbx_error **err)
{
	struct hbuf page = { 0 };
	bool with_charts = report_has_charts(data);
	page_begin(&page, title, with_charts);
	hb_put(&page, body->v ? body->v : "", body->n);
	page.oom |= body->oom;
	hb_free(body);
	page_end(&page, with_charts ? data : NULL);
	char *html = hb_steal(&page);
	if (html == NULL)
		sbx_error_set(err, ENOMEM, "report");
	return html;
}
