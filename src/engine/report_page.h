/* The parts of an HTML report page shared by the backtest report
 * (report_backtest.c) and the sweep report (report_grid.c): the page's
 * head with its Content-Security-Policy, its foot with the inline scripts,
 * and the formatting of values.  Strategy-controlled text goes through
 * html.h's escapers only. */
#ifndef STRATBOX_ENGINE_REPORT_PAGE_H
#define STRATBOX_ENGINE_REPORT_PAGE_H

#include "engine/html.h"
#include "stratbox/report.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* <!DOCTYPE html> up to the opening <main>.  With charts, the policy
 * allows exactly the two inline scripts page_end() writes; without, no
 * script at all. */
void page_begin(struct hbuf *b, const char *title, bool charts);

/* </main>, the footer (with the chart library's attribution when charts),
 * and with charts the data block (data, escaped by hb_script_json), the
 * chart library and the report's script. */
void page_end(struct hbuf *b, const json_t *data);

/* The policy itself (for the tests). */
void page_csp(struct hbuf *b, bool charts);

/* ---- values ---------------------------------------------------------- */

enum fmt { F_TIME, F_COUNT, F_PCT, F_DAYS, F_MONEY, F_RATIO, F_NUMBER };

/* A metric's label, format and group (0 performance, 1 risk, 2 trades);
 * an unknown name is its own label, a plain number in group 0. */
struct metric_info {
	const char *name, *label;
	enum fmt fmt;
	int group;
};
struct metric_info metric_info(const char *name);

/* A number: thousands separated, `decimals` places, a sign when asked;
 * NaN and infinities as an em dash. */
void put_number(struct hbuf *b, double v, int decimals, bool sign);
/* A JSON value in a format: null as a dimmed em dash, an ISO time as
 * "YYYY-MM-DD[ HH:MM[:SS]]", strings and other values escaped. */
void put_formatted(struct hbuf *b, const json_t *v, enum fmt f, bool sign);
/* Any JSON value as escaped text: a string as itself, the rest as JSON. */
void put_value(struct hbuf *b, const json_t *v);
/* An ISO-8601 time from the engine ("YYYY-MM-DDTHH:MM:SSZ") made short;
 * anything else escaped as it is. */
void put_time(struct hbuf *b, const char *s);

/* A JSON string's text and length (NULL when not a string). */
const char *jstr(const json_t *v, size_t *len);
/* A time: an ISO-8601 string or seconds since the epoch.  0 or -1. */
int json_time(const json_t *v, int64_t *out);
/* A finite number (integer or real).  0 or -1. */
int json_finite(const json_t *v, double *out);

#endif
