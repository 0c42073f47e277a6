/* The data the report's charts draw (src/engine/report.js reads it), made
 * from a backtest's result: checked, reduced to numbers, times in seconds.
 *
 *   {"intraday": false,
 *    "price": [{"symbol": "GOOG", "t": [...], "o": [...], "h": [...], "l": [...],
 *               "c": [...], "m": [[time, kind, text], ...]}],
 *    "equity": {"t": [...], "v": [...], "dd": [...], "bh": [...], "bh_name": "GOOG"}}
 *
 * Marker kinds: 0 long entry, 1 short entry, 2 exit of a long, 3 exit of a
 * short.  Symbol names are the only strategy-influenced text here; the
 * script puts them in the page with textContent, and the page writes the
 * whole block through hb_script_json().  Bars that cannot be drawn (arrays
 * of different lengths, times out of order) are left out with a note: a
 * report is still worth having without one of its charts. */
#include "engine/report_chart.h"

#include "common/parse.h"
#include "common/util.h"
#include "engine/internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PRICE_CHARTS 8

static void note(struct hbuf *notes, const char *sym, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void note(struct hbuf *notes, const char *sym, const char *fmt, ...)
{
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	hb_puts(notes, "<p class=\"note\">");
	if (sym != NULL) {
		hb_puts(notes, "<span class=\"sym\">");
		hb_texts(notes, sym);
		hb_puts(notes, "</span>: ");
	}
	hb_texts(notes, msg);
	hb_puts(notes, "</p>\n");
}

/* json_array_append_new() that remembers a failure. */
static void push(json_t *a, json_t *v, bool *ok)
{
	if (v == NULL || json_array_append_new(a, v) < 0)
		*ok = false;
}

static void set(json_t *o, const char *k, json_t *v, bool *ok)
{
	if (v == NULL || json_object_set_new(o, k, v) < 0)
		*ok = false;
}

/* A JSON string of arbitrary bytes (invalid UTF-8 replaced). */
static json_t *text_json(const char *s, size_t len)
{
	if (utf8_valid(s, len))
		return json_stringn(s, len);
	char *tmp = len <= ((size_t) -1 - 1) / 3 ? malloc(len * 3 + 1) : NULL;
	if (tmp == NULL)
		return NULL;
	size_t n = utf8_sanitize(s, len, tmp);
	json_t *j = json_stringn(tmp, n);
	free(tmp);
	return j;
}

/* One symbol's bars as {"symbol", "t", "o", "h", "l", "c", "m": []}, or
 * NULL with a note. */
static json_t *price_series(const char *sym, size_t symlen, const json_t *bars,
			    struct hbuf *notes, bool *ok)
{
	static const char *const in[] = { "time", "open", "high", "low", "close" };
	static const char *const out[] = { "t", "o", "h", "l", "c" };
	cleanup_free char *name = strndup(sym, symlen);
	const json_t *col[5];
	size_t n = 0;
	if (name == NULL) {
		*ok = false;
		return NULL;
	}
	for (int k = 0; k < 5; k++) {
		col[k] = json_object_get(bars, in[k]);
		if (!json_is_array(col[k])) {
			note(notes, name, "no price chart: \"%s\" is not an array", in[k]);
			return NULL;
		}
		if (k > 0 && json_array_size(col[k]) != n) {
			note(notes, name, "no price chart: \"%s\" has %zu values, \"time\" %zu", in[k],
			     json_array_size(col[k]), n);
			return NULL;
		}
		n = json_array_size(col[k]);
	}
	if (n == 0) {
		note(notes, name, "no price chart: no bars");
		return NULL;
	}
	json_t *s = json_object();
	set(s, "symbol", text_json(sym, symlen), ok);
	set(s, "m", json_array(), ok);
	int64_t prev = 0;
	for (int k = 0; k < 5 && *ok; k++) {
		json_t *a = json_array();
		set(s, out[k], a, ok);
		for (size_t i = 0; i < n && *ok; i++) {
			const json_t *v = json_array_get(col[k], i);
			int64_t t;
			double x;
			if (k == 0 && (json_time(v, &t) < 0 || (i > 0 && t <= prev))) {
				note(notes, name, "no price chart: bar %zu's time is %s", i,
				     json_time(v, &t) < 0 ? "not a time" : "not after the previous one");
				json_decref(s);
				return NULL;
			}
			if (k > 0 && json_finite(v, &x) < 0) {
				note(notes, name, "no price chart: bar %zu's %s is not a number", i, in[k]);
				json_decref(s);
				return NULL;
			}
			push(a, k == 0 ? json_integer(t) : json_real(x), ok);
			prev = t;
		}
	}
	return s;
}

/* The price series to chart: the result's symbols in their order, then
 * any other symbol of "bars". */
static json_t *price_all(const json_t *result, struct hbuf *notes, bool *ok)
{
	const json_t *bars = json_object_get(result, "bars");
	json_t *all = json_array();
	if (all == NULL) {
		*ok = false;
		return NULL;
	}
	if (bars == NULL || json_is_null(bars))
		return all;
	if (!json_is_object(bars)) {
		note(notes, NULL, "no price chart: \"bars\" is not an object of symbols");
		return all;
	}
	const json_t *syms = json_object_get(json_object_get(result, "config"), "symbols");
	cleanup_free const char **order = calloc(json_array_size(syms) + json_object_size(bars) + 1,
						 sizeof(char *));
	size_t k = 0, skipped = 0;
	if (order == NULL) {
		*ok = false;
		return all;
	}
	for (size_t i = 0; i < json_array_size(syms); i++) {
		const char *name = json_string_value(json_object_get(json_array_get(syms, i), "name"));
		if (name != NULL && json_object_get(bars, name) != NULL)
			order[k++] = name;
	}
	const char *key;
	const json_t *v;
	json_object_foreach ((json_t *) bars, key, v) {
		bool seen = false;
		for (size_t i = 0; i < k && !seen; i++)
			seen = strcmp(order[i], key) == 0;
		if (!seen)
			order[k++] = key;
	}
	for (size_t i = 0; i < k && *ok; i++) {
		if (json_array_size(all) == MAX_PRICE_CHARTS) {
			skipped = k - i;
			break;
		}
		json_t *s = price_series(order[i], strlen(order[i]), json_object_get(bars, order[i]),
					 notes, ok);
		if (s != NULL)
			push(all, s, ok);
	}
	if (skipped)
		note(notes, NULL, "%zu more symbols have bars but no chart (at most %d are drawn)",
		     skipped, MAX_PRICE_CHARTS);
	return all;
}

/* Each trade's entry and exit as markers on its symbol's chart. */
static void markers(const json_t *result, json_t *price, bool *ok)
{
	const json_t *trades = json_object_get(result, "trades");
	for (size_t i = 0; i < json_array_size(trades) && *ok; i++) {
		const json_t *tr = json_array_get(trades, i);
		const char *sym = json_string_value(json_object_get(tr, "symbol"));
		double size, ret;
		int64_t t;
		if (sym == NULL || json_finite(json_object_get(tr, "size"), &size) < 0)
			continue;
		json_t *m = NULL;
		for (size_t k = 0; k < json_array_size(price) && m == NULL; k++) {
			json_t *s = json_array_get(price, k);
			if (strcmp(json_string_value(json_object_get(s, "symbol")), sym) == 0)
				m = json_object_get(s, "m");
		}
		if (m == NULL)
			continue;
		bool longt = size > 0;
		if (json_time(json_object_get(tr, "entry_time"), &t) == 0)
			push(m, json_pack("[Iis]", (json_int_t) t, longt ? 0 : 1, ""), ok);
		if (json_time(json_object_get(tr, "exit_time"), &t) == 0) {
			char text[48] = "";
			if (json_finite(json_object_get(tr, "return_pct"), &ret) == 0) {
				snprintf(text, sizeof(text), "%s%.1f%%", ret < 0 ? "\u2212" : "+",
					 fabs(ret));
				if (strcmp(text + (ret < 0 ? 3 : 1), "0.0%") == 0)
					snprintf(text, sizeof(text), "0.0%%");
			}
			push(m, json_pack("[Iis]", (json_int_t) t, longt ? 2 : 3, text), ok);
		}
	}
}

/* The first charted symbol held from the strategy's first bar: what the
 * equity would have been had the cash bought it at the Close of bar
 * warmup - 1 (bar 0 without a warmup), as buy_hold_return_pct measures. */
static void buy_hold(const json_t *result, const json_t *price, json_t *eq, bool *ok)
{
	const json_t *s = json_array_get(price, 0), *t = json_object_get(eq, "t");
	const json_t *bt = json_object_get(s, "t"), *bc = json_object_get(s, "c");
	const json_t *cfg = json_object_get(result, "config");
	size_t n = json_array_size(t), nb = json_array_size(bt);
	const char *bench = json_string_value(
		json_object_get(json_array_get(json_object_get(cfg, "symbols"), 0), "name"));
	const char *sym = json_string_value(json_object_get(s, "symbol"));
	double cash;
	/* only the benchmark (the first symbol of the run) */
	if (sym == NULL || n == 0 || json_finite(json_object_get(cfg, "cash"), &cash) < 0 ||
	    (bench != NULL && strcmp(bench, sym) != 0))
		return;
	json_int_t warmup = json_integer_value(json_object_get(cfg, "warmup"));
	size_t base = warmup > 0 ? (size_t) warmup - 1 : 0;
	if (base >= n)
		return;
	json_t *bh = json_array();
	set(eq, "bh", bh, ok);
	set(eq, "bh_name", json_deep_copy(json_object_get(s, "symbol")), ok);
	double base_close = NAN, last = NAN;
	size_t j = 0;
	for (size_t i = 0; i < n && *ok; i++) {
		json_int_t ti = json_integer_value(json_array_get(t, i));
		while (j < nb && json_integer_value(json_array_get(bt, j)) <= ti)
			last = json_real_value(json_array_get(bc, j++));
		if (i == base)
			base_close = last;
		double v = i <= base || !(base_close > 0) || isnan(last) ? cash
								       : cash * last / base_close;
		push(bh, json_real(v), ok);
	}
}

static json_t *equity_series(const json_t *result, bool *ok)
{
	const json_t *eq = json_object_get(result, "equity");
	if (json_array_size(eq) == 0)
		return NULL;
	json_t *o = json_object(), *t = json_array(), *v = json_array(), *dd = json_array();
	set(o, "t", t, ok);
	set(o, "v", v, ok);
	set(o, "dd", dd, ok);
	int64_t prev = 0;
	for (size_t i = 0; i < json_array_size(eq) && *ok; i++) {
		const json_t *p = json_array_get(eq, i);
		int64_t ti;
		double e, d;
		if (json_time(json_object_get(p, "time"), &ti) < 0 || (i > 0 && ti <= prev) ||
		    json_finite(json_object_get(p, "equity"), &e) < 0)
			continue;
		if (json_finite(json_object_get(p, "drawdown_pct"), &d) < 0)
			d = 0;
		push(t, json_integer(ti), ok);
		push(v, json_real(e), ok);
		push(dd, json_real(d > 0 ? -d : 0), ok);
		prev = ti;
	}
	if (json_array_size(t) == 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Intraday when the bars are less than a day apart (median spacing). */
static bool intraday(const json_t *result, const json_t *eq)
{
	const char *f = json_string_value(json_object_get(json_object_get(result, "config"), "frequency"));
	if (f != NULL)
		return strcmp(f, "intraday") == 0;
	const json_t *t = json_object_get(eq, "t");
	size_t n = json_array_size(t);
	if (n < 2)
		return false;
	return json_integer_value(json_array_get(t, n / 2)) -
		       json_integer_value(json_array_get(t, n / 2 - 1)) <
	       SECONDS_PER_DAY;
}

json_t *chart_data(const json_t *result, struct hbuf *notes)
{
	bool ok = true;
	json_t *d = json_object();
	if (d == NULL)
		return NULL;
	json_t *price = price_all(result, notes, &ok);
	set(d, "price", price, &ok);
	if (ok)
		markers(result, price, &ok);
	json_t *eq = ok ? equity_series(result, &ok) : NULL;
	if (eq != NULL)
		set(d, "equity", eq, &ok); /* d owns it, even on failure */
	if (ok && eq != NULL)
		buy_hold(result, price, eq, &ok);
	set(d, "intraday", json_boolean(intraday(result, eq)), &ok);
	if (!ok) {
		json_decref(d);
		notes->oom = true;
		return NULL;
	}
	return d;
}
