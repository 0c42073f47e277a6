/* The HTML report's pure parts: the escapers (html.c), the page of a
 * failed run, the sweep's ranking in each metric's direction and its heat
 * map, bt_report_bars, and bad input.  tests/report/check.js opens real
 * pages in Chromium; these pin the rules byte by byte. */
#include "engine/html.h"
#include "harness.h"
#include "stratbox/engine.h"
#include "stratbox/report.h"
#include "unit.h"

#include <jansson.h>
#include <string.h>

static char *text_of(const char *s, size_t len)
{
	struct hbuf b = { 0 };
	hb_text(&b, s, len);
	return hb_steal(&b);
}

void u_report_text_escape_leaves_no_markup_replaces_bad_utf8(void)
{
	static const struct {
		const char *in;
		size_t len;
		const char *want;
	} cases[] = {
		{ "a<b>c&d\"e'f", 11, "a&lt;b&gt;c&amp;d&quot;e&#39;f" },
		{ "</script><!--", 13, "&lt;/script&gt;&lt;!--" },
		{ "&amp;", 5, "&amp;amp;" },
		{ "tab\tlf\ncr\r", 10, "tab\tlf\ncr\r" },
		{ "nul\0x", 5, "nul\xef\xbf\xbdx" },
		{ "\x01\x1b[31m\x7f", 7, "\xef\xbf\xbd\xef\xbf\xbd[31m\x7f" },
		{ "caf\xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x93\x88", 14, "caf\xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x93\x88" },
		{ "lone \xff<", 7, "lone \xef\xbf\xbd&lt;" },
		/* a cut sequence must not swallow the '<' after it */
		{ "cut \xe2\x80<b>", 9, "cut \xef\xbf\xbd\xef\xbf\xbd&lt;b&gt;" },
		{ "overlong \xc0\xaf", 11, "overlong \xef\xbf\xbd\xef\xbf\xbd" },
		{ "surrogate \xed\xa0\x80", 13, NULL }, /* only: no raw surrogate */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = text_of(cases[i].in, cases[i].len);
		CHECK(got != NULL);
		if (cases[i].want != NULL)
			CHECK_STR_EQ(got, cases[i].want);
		CHECK_NOT_CONTAINS(got, "\xed\xa0\x80");
		CHECK(strpbrk(got, "<>\"'") == NULL, "case %zu: %s", i, got);
		free(got);
	}
}

void u_report_script_json_cannot_end_script_reads_back_equal(void)
{
	json_t *v = json_pack("{s:s, s:s, s:[s, s]}", "</script><script>alert(1)</script>", "<!--",
			      "a\xe2\x80\xa8" "b\xe2\x80\xa9" "c", "&lt;", "x", "<SCRIPT", "</Script >");
	CHECK(v != NULL);
	char *json = json_dumps(v, JSON_COMPACT);
	struct hbuf b = { 0 };
	hb_script_json(&b, json, strlen(json));
	char *out = hb_steal(&b);
	CHECK(out != NULL);
	CHECK(strpbrk(out, "<>&") == NULL, "%s", out);
	CHECK_NOT_CONTAINS(out, "\xe2\x80\xa8");
	CHECK_NOT_CONTAINS(out, "\xe2\x80\xa9");
	CHECK_CONTAINS(out, "\\u003c/script\\u003e");
	CHECK_CONTAINS(out, "\\u2028");
	/* the same value for a JSON reader */
	json_error_t je;
	json_t *back = json_loads(out, 0, &je);
	CHECK(back != NULL, "%s", je.text);
	CHECK(json_equal(back, v));
	json_decref(back);
	json_decref(v);
	free(json);
	free(out);
}

static char *page(const char *result_json)
{
	json_error_t je;
	json_t *r = json_loads(result_json, 0, &je);
	CHECK(r != NULL, "%s", je.text);
	sbx_error *err = NULL;
	char *html = bt_report_html(r, NULL, &err);
	CHECK(html != NULL, "%s", err ? err->msg : "");
	json_decref(r);
	return html;
}

void u_report_failed_run_page_shows_status_escaped_no_metrics_no_script(void)
{
	char *html = page("{\"status\": \"MEMORY_LIMIT\", \"error\": \"MemoryError: <b>big</b>\","
			  " \"output\": \"</pre><script>x()</script>\", \"stderr\": \"\"}");
	CHECK_CONTAINS(html, "The strategy's run failed: MEMORY_LIMIT");
	CHECK_CONTAINS(html, "MemoryError: &lt;b&gt;big&lt;/b&gt;");
	CHECK_CONTAINS(html, "&lt;/pre&gt;&lt;script&gt;x()&lt;/script&gt;");
	CHECK_CONTAINS(html, "script-src 'none'");
	CHECK_CONTAINS(html, "connect-src 'none'");
	CHECK_NOT_CONTAINS(html, "<script");
	CHECK_NOT_CONTAINS(html, "id=\"metrics\"");
	CHECK_NOT_CONTAINS(html, "class=\"cards\"");
	CHECK_NOT_CONTAINS(html, "id=\"stderr\""); /* empty: no section */
	free(html);
}

void u_report_bad_input_refused_or_noted_without_scripts(void)
{
	sbx_error *err = NULL;
	json_t *a = json_array();
	CHECK(bt_report_html(a, NULL, &err) == NULL);
	CHECK(err != NULL);
	sbx_error_free(err);
	err = NULL;
	CHECK(bt_report_grid_html(json_object_get(a, "x"), NULL, NULL, &err) == NULL);
	sbx_error_free(err);
	json_decref(a);

	/* bars that cannot be drawn: a note, and a page without scripts */
	char *html = page("{\"bars\": {\"X\": {\"time\": [1, 2], \"open\": [1], \"high\": [1, 2],"
			  " \"low\": [1, 2], \"close\": [1, 2]}}}");
	CHECK_CONTAINS(html, "no price chart: &quot;open&quot; has 1 values, &quot;time&quot; 2");
	CHECK_NOT_CONTAINS(html, "<script");
	free(html);
	html = page("{\"bars\": {\"X\": {\"time\": [2, 1], \"open\": [1, 1], \"high\": [1, 2],"
		    " \"low\": [1, 2], \"close\": [1, 2]}}}");
	CHECK_CONTAINS(html, "bar 1&#39;s time is not after the previous one");
	free(html);
}

/* The position of a run's marker in the ranking table. */
static const char *row_of(const char *html, int id)
{
	char cell[64];
	snprintf(cell, sizeof(cell), "<td class=\"param\">%d</td>", id);
	const char *rank = strstr(html, "id=\"ranking\"");
	CHECK(rank != NULL);
	const char *p = strstr(rank, cell);
	CHECK(p != NULL, "run %d not in the ranking", id);
	return p;
}

static char *grid(const json_t *runs, const char *rank, const char *x, const char *y,
		  sbx_error **err)
{
	struct bt_grid_report_options o = { .rank = rank, .x = x, .y = y };
	return bt_report_grid_html(runs, NULL, &o, err);
}

void u_report_grid_ranks_by_metric_direction_failed_runs_last(void)
{
	/* id: a parameter to find each run by (101..105); a, b: the heat map's axes */
	json_error_t je;
	json_t *runs = json_loads(
		"[{\"params\": {\"id\": 101, \"a\": 1, \"b\": 1}, \"status\": \"OK\","
		"  \"metrics\": {\"return_pct\": 10, \"max_drawdown_pct\": 30, \"sharpe\": 0.5}},"
		" {\"params\": {\"id\": 102, \"a\": 1, \"b\": 2}, \"status\": \"OK\","
		"  \"metrics\": {\"return_pct\": 30, \"max_drawdown_pct\": 10, \"sharpe\": null}},"
		" {\"params\": {\"id\": 103, \"a\": 2, \"b\": 1}, \"status\": \"TIMEOUT_CPU\","
		"  \"metrics\": {\"return_pct\": 99, \"max_drawdown_pct\": 1, \"sharpe\": 9}},"
		" {\"params\": {\"id\": 104, \"a\": 2, \"b\": 2}, \"status\": \"OK\","
		"  \"metrics\": {\"return_pct\": -5, \"max_drawdown_pct\": 20, \"sharpe\": 0.1}},"
		" {\"params\": {\"id\": 105, \"a\": 2, \"b\": 2}, \"status\": \"OK\","
		"  \"metrics\": {\"return_pct\": 20, \"max_drawdown_pct\": 50, \"sharpe\": 1.5}}]",
		0, &je);
	CHECK(runs != NULL, "%s", je.text);
	sbx_error *err = NULL;
	static const struct {
		const char *rank;
		int order[5];
	} cases[] = {
		/* descending; a failed run last whatever its numbers */
		{ "return_pct", { 102, 105, 101, 104, 103 } },
		/* ascending */
		{ "max_drawdown_pct", { 102, 104, 101, 105, 103 } },
		/* an undefined value (null) ranks after every number */
		{ "sharpe", { 105, 101, 104, 102, 103 } },
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		char *html = grid(runs, cases[c].rank, "a", "b", &err);
		CHECK(html != NULL, "%s", err ? err->msg : "");
		for (int k = 1; k < 5; k++)
			CHECK(row_of(html, cases[c].order[k - 1]) < row_of(html, cases[c].order[k]),
			      "%s: run %d before run %d", cases[c].rank, cases[c].order[k - 1],
			      cases[c].order[k]);
		CHECK_CONTAINS(html, "<td class=\"neg\">TIMEOUT_CPU</td>");
		CHECK_NOT_CONTAINS(html, "<script");
		free(html);
	}

	/* the heat map of return_pct over a and b: the cell a=2, b=2 holds the
	 * best of runs 4 and 5 (20), a=2, b=1 only a failed run (empty); the
	 * colours span the values shown, 10 to 30 (not run 4's -5) */
	char *html = grid(runs, "return_pct", "a", "b", &err);
	const char *heat = strstr(html, "id=\"heatmap\"");
	CHECK(heat != NULL);
	CHECK_CONTAINS(heat, "<tr><th scope=\"row\">1</th><td class=\"h0\">10.00&nbsp;%</td>"
			     "<td class=\"empty\">&mdash;</td></tr>");
	CHECK_CONTAINS(heat, "<tr><th scope=\"row\">2</th><td class=\"h8\">30.00&nbsp;%</td>"
			     "<td class=\"h4\">20.00&nbsp;%</td></tr>");
	CHECK_CONTAINS(heat, "worst 10.00&nbsp;%");
	CHECK_CONTAINS(heat, "best 30.00&nbsp;%");
	free(html);

	/* axes not given: the parameter with more values (over 12) goes down
	 * the side */
	json_t *wide = json_array();
	for (int a = 0; a < 13; a++)
		for (int b = 0; b < 2; b++)
			json_array_append_new(wide, json_pack("{s{sisi}s{sf}}", "params", "a", a, "b", b,
							      "metrics", "sharpe", a * 0.1 + b));
	html = grid(wide, NULL, NULL, NULL, &err);
	CHECK(html != NULL);
	CHECK_CONTAINS(html, "Sharpe ratio by <span class=\"param\">b</span> and <span "
			     "class=\"param\">a</span>");
	free(html);
	json_array_remove(wide, 25); /* 12 values of a: as given */
	json_array_remove(wide, 24);
	html = grid(wide, NULL, NULL, NULL, &err);
	CHECK_CONTAINS(html, "Sharpe ratio by <span class=\"param\">a</span> and <span "
			     "class=\"param\">b</span>");
	free(html);
	json_decref(wide);

	/* what is refused */
	static const struct {
		const char *rank, *x, *y, *why;
	} bad[] = {
		{ "no_such_metric", "a", "b", "no_such_metric is not a metric that ranks" },
		{ "start", "a", "b", "start is not a metric that ranks" },
		{ "sharpe", "a", "a", "the heat map's axes are both a" },
		{ "sharpe", "a", "zz", "no run has a parameter named zz" },
	};
	for (size_t c = 0; c < sizeof(bad) / sizeof(bad[0]); c++) {
		err = NULL;
		CHECK(grid(runs, bad[c].rank, bad[c].x, bad[c].y, &err) == NULL);
		CHECK(err != NULL);
		CHECK_CONTAINS(err->msg, bad[c].why);
		sbx_error_free(err);
	}
	json_decref(runs);
}

void u_report_bars_chart_each_symbol_only_its_own_bars(void)
{
	/* two symbols on different days: each charts its own bars only */
	bt_series *s[2] = { NULL, NULL };
	sbx_error *err = NULL;
	const int64_t day = 86400, t0 = 1704067200;
	CHECK(bt_series_new("A", 3, &s[0], &err) == 0);
	CHECK(bt_series_new("B", 2, &s[1], &err) == 0);
	for (size_t i = 0; i < 3; i++) {
		s[0]->time[i] = t0 + (int64_t) i * 2 * day; /* days 0, 2, 4 */
		s[0]->open[i] = s[0]->high[i] = s[0]->low[i] = s[0]->close[i] = 10 + (double) i;
		s[0]->volume[i] = 0;
	}
	for (size_t i = 0; i < 2; i++) {
		s[1]->time[i] = t0 + (int64_t) (1 + i * 2) * day; /* days 1, 3 */
		s[1]->open[i] = s[1]->low[i] = 20;
		s[1]->high[i] = 21;
		s[1]->close[i] = 20.5;
		s[1]->volume[i] = 0;
	}
	bt_data *d = NULL;
	CHECK(bt_data_new(s, 2, &d, &err) == 0);
	CHECK_INT_EQ(d->n, 5);
	json_t *bars = bt_report_bars(d, &err);
	CHECK(bars != NULL);
	char *got = json_dumps(bars, JSON_COMPACT | JSON_REAL_PRECISION(6));
	CHECK_STR_EQ(got, "{\"A\":{\"time\":[1704067200,1704240000,1704412800],"
			  "\"open\":[10.0,11.0,12.0],\"high\":[10.0,11.0,12.0],"
			  "\"low\":[10.0,11.0,12.0],\"close\":[10.0,11.0,12.0]},"
			  "\"B\":{\"time\":[1704153600,1704326400],\"open\":[20.0,20.0],"
			  "\"high\":[21.0,21.0],\"low\":[20.0,20.0],\"close\":[20.5,20.5]}}");
	free(got);
	json_decref(bars);
	bt_data_free(d);
	bt_series_free(s[0]);
	bt_series_free(s[1]);
}
