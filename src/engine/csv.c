/* The CSV reader for bars.
 *
 * One reader for every layout of the bundled data (data/README.md): the
 * columns are found by name in the header, case-insensitively, so an empty
 * first header cell (a pandas index), "Date,Time,..." with a separate clock
 * column, an "Adj Close" beside "Close", "Volume,OpenInterest" all read the
 * same way.  Bad data is never repaired or skipped: the first problem is an
 * error naming the file, the line and what is wrong, because a backtest on
 * silently mangled prices is a wrong answer that looks right.
 */
#include "common/util.h"
#include "engine/internal.h"

#include <ctype.h>
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/param.h>

#define MAX_FILE_BYTES (1u << 30)
#define MAX_FIELDS 64

enum col { COL_TIME, COL_CLOCK, COL_OPEN, COL_HIGH, COL_LOW, COL_CLOSE, COL_VOLUME, NCOLS };
static const char *const col_names[NCOLS] = { "Date", "Time", "Open", "High",
					      "Low", "Close", "Volume" };

struct span {
	const char *p;
	size_t len;
};

struct reader {
	const char *name; /* for messages */
	const char *text, *end;
	const char *cur;
	size_t line;	  /* number of the line last returned (1-based) */
	int col[NCOLS];	  /* field index of each column, -1 when absent */
	size_t nfields;	  /* fields in the header */
	locale_t c_locale;
};

/* "NAME:LINE: message", the line kept in the error too. */
static int csv_error(sbx_error **err, const struct reader *r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int csv_error(sbx_error **err, const struct reader *r, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sbx_error_set_at(err, SBX_ERR_INVALID, (unsigned) r->line, 0, "%s:%zu: %s", r->name,
				r->line, msg);
}

static void free_locale(locale_t *l)
{
	if (*l != (locale_t) 0)
		freelocale(*l);
}

/* The next line without its end of line ("\n" or "\r\n"); false at EOF. */
static bool next_line(struct reader *r, struct span *out)
{
	if (r->cur >= r->end)
		return false;
	const char *nl = memchr(r->cur, '\n', (size_t) (r->end - r->cur));
	const char *stop = nl ? nl : r->end;
	out->p = r->cur;
	out->len = (size_t) (stop - r->cur);
	if (out->len > 0 && out->p[out->len - 1] == '\r')
		out->len--;
	r->cur = nl ? nl + 1 : r->end;
	r->line++;
	return true;
}

static bool blank(struct span s)
{
	for (size_t i = 0; i < s.len; i++)
		if (!isspace((unsigned char) s.p[i]))
			return false;
	return true;
}

/* Split a line at commas; fields are trimmed of blanks and of one pair of
 * surrounding double quotes.  Returns the number of fields (up to max+1:
 * more than max means too many). */
static size_t split(struct span line, struct span *f, size_t max)
{
	size_t n = 0;
	const char *p = line.p, *end = line.p + line.len;
	for (;;) {
		const char *c = memchr(p, ',', (size_t) (end - p));
		const char *stop = c ? c : end;
		if (n < max) {
			const char *a = p, *b = stop;
			while (a < b && isspace((unsigned char) *a))
				a++;
			while (b > a && isspace((unsigned char) b[-1]))
				b--;
			if (b - a >= 2 && *a == '"' && b[-1] == '"') {
				a++;
				b--;
			}
			f[n] = (struct span){ a, (size_t) (b - a) };
		}
		n++;
		if (c == NULL || n > max)
			break;
		p = c + 1;
	}
	return n;
}

static bool span_is(struct span s, const char *word)
{
	return strlen(word) == s.len && strncasecmp(s.p, word, s.len) == 0;
}

static int classify(struct span h, size_t index)
{
	static const char *const timeish[] = { "date", "datetime", "timestamp", "date_time",
					       "date time", "index", "unnamed: 0" };
	for (size_t i = 0; i < ARRAY_SIZE(timeish); i++)
		if (span_is(h, timeish[i]))
			return COL_TIME;
	if (h.len == 0 && index == 0)
		return COL_TIME;
	if (span_is(h, "time"))
		return COL_CLOCK; /* a clock beside a date; the timestamp when alone */
	if (span_is(h, "open"))
		return COL_OPEN;
	if (span_is(h, "high"))
		return COL_HIGH;
	if (span_is(h, "low"))
		return COL_LOW;
	if (span_is(h, "close"))
		return COL_CLOSE;
	if (span_is(h, "volume") || span_is(h, "vol"))
		return COL_VOLUME;
	return -1; /* Adj Close, OpenInterest and anything else: not used */
}

static int read_header(struct reader *r, sbx_error **err)
{
	struct span line, f[MAX_FIELDS];
	do {
		if (!next_line(r, &line))
			return sbx_error_set(err, 0, "%s: empty file: no header and no bars", r->name);
	} while (blank(line));
	size_t n = split(line, f, MAX_FIELDS);
	if (n > MAX_FIELDS)
		return csv_error(err, r, "more than %d columns", MAX_FIELDS);
	for (int c = 0; c < NCOLS; c++)
		r->col[c] = -1;
	for (size_t i = 0; i < n; i++) {
		int c = classify(f[i], i);
		if (c < 0)
			continue;
		if (r->col[c] >= 0)
			return csv_error(err, r, "two %s columns (%zu and %zu)", col_names[c],
					 (size_t) r->col[c] + 1, i + 1);
		r->col[c] = (int) i;
	}
	if (r->col[COL_TIME] < 0 && r->col[COL_CLOCK] >= 0) { /* "Time" alone is the timestamp */
		r->col[COL_TIME] = r->col[COL_CLOCK];
		r->col[COL_CLOCK] = -1;
	}
	for (int c = 0; c < NCOLS; c++) {
		if (r->col[c] >= 0 || c == COL_CLOCK || c == COL_VOLUME)
			continue;
		return sbx_error_set(err, 0,
				     "%s:%zu: no %s column (the header must name Date (or an empty "
				     "first cell), Open, High, Low, Close; got \"%.*s\")",
				     r->name, r->line, col_names[c], (int) MIN(line.len, 200),
				     line.p);
	}
	r->nfields = n;
	return 0;
}

/* A decimal number: [+-]digits[.digits][e[+-]digits] (".5" and "5." too).
 * No NaN, no infinities, no hexadecimal. */
static bool parse_number(struct reader *r, struct span f, double *out)
{
	char buf[64];
	size_t i = 0, nd = 0;
	if (f.len == 0 || f.len >= sizeof(buf))
		return false;
	if (f.p[i] == '+' || f.p[i] == '-')
		i++;
	while (i < f.len && isdigit((unsigned char) f.p[i]))
		i++, nd++;
	if (i < f.len && f.p[i] == '.') {
		i++;
		while (i < f.len && isdigit((unsigned char) f.p[i]))
			i++, nd++;
	}
	if (nd == 0)
		return false;
	if (i < f.len && (f.p[i] == 'e' || f.p[i] == 'E')) {
		i++;
		if (i < f.len && (f.p[i] == '+' || f.p[i] == '-'))
			i++;
		size_t ne = 0;
		while (i < f.len && isdigit((unsigned char) f.p[i]))
			i++, ne++;
		if (ne == 0)
			return false;
	}
	if (i != f.len)
		return false;
	memcpy(buf, f.p, f.len);
	buf[f.len] = '\0';
	char *endp = NULL;
	errno = 0;
	*out = strtod_l(buf, &endp, r->c_locale);
	return endp == buf + f.len && isfinite(*out) && errno != ERANGE;
}

static int field_number(struct reader *r, const struct span *f, int c, double *out,
			sbx_error **err)
{
	struct span s = f[r->col[c]];
	if (parse_number(r, s, out))
		return 0;
	if (s.len == 0)
		return csv_error(err, r, "%s is empty", col_names[c]);
	return csv_error(err, r, "%s '%.*s' is not a finite decimal number", col_names[c],
			 (int) MIN(s.len, 40), s.p);
}

static int field_time(struct reader *r, const struct span *f, int64_t *out, sbx_error **err)
{
	struct span d = f[r->col[COL_TIME]];
	const char *why = NULL;
	bool has_time;
	if (cal_parse_datetime(d.p, d.len, out, &has_time, &why) < 0)
		return csv_error(err, r, "date '%.*s': %s", (int) MIN(d.len, 40), d.p, why);
	if (r->col[COL_CLOCK] < 0)
		return 0;
	struct span t = f[r->col[COL_CLOCK]];
	int64_t clock;
	if (has_time)
		return csv_error(err, r, "date '%.*s' has a time and there is a Time column",
				 (int) MIN(d.len, 40), d.p);
	if (cal_parse_clock(t.p, t.len, &clock, &why) < 0)
		return csv_error(err, r, "time '%.*s': %s", (int) MIN(t.len, 40), t.p, why);
	*out += clock;
	return 0;
}

/* The rules every bar obeys, from a file or from memory: what is wrong, in
 * buf, or NULL.  Open and Close outside [Low, High] are errors, not
 * rounding to forgive: the fill rules (a limit fills at min(Open, limit))
 * would otherwise fill at prices the bar never traded. */
const char *bt_bar_problem(double o, double h, double l, double c, double v, char *buf, size_t size)
{
	const double px[4] = { o, h, l, c };
	static const char *const nm[4] = { "Open", "High", "Low", "Close" };
	for (int i = 0; i < 4; i++) {
		if (!isfinite(px[i]))
			return snprintf(buf, size, "%s is not a finite number", nm[i]), buf;
		if (px[i] <= 0)
			return snprintf(buf, size, "%s %.10g is not a positive price", nm[i], px[i]), buf;
	}
	if (h < l)
		return snprintf(buf, size, "High %.10g is below Low %.10g", h, l), buf;
	if (o < l || o > h)
		return snprintf(buf, size, "Open %.10g is outside [Low %.10g, High %.10g]", o, l, h), buf;
	if (c < l || c > h)
		return snprintf(buf, size, "Close %.10g is outside [Low %.10g, High %.10g]", c, l, h),
		       buf;
	if (!isnan(v) && (!isfinite(v) || v < 0))
		return snprintf(buf, size, "Volume %.10g is negative or not finite", v), buf;
	return NULL;
}

static int read_bar(struct reader *r, struct span line, bt_series *s, size_t *prev_line,
		    sbx_error **err)
{
	struct span f[MAX_FIELDS];
	size_t n = split(line, f, MAX_FIELDS);
	if (n != r->nfields)
		return csv_error(err, r, "%zu fields where the header has %zu", n, r->nfields);
	size_t i = s->n;
	int64_t t;
	double v = NAN;
	if (field_time(r, f, &t, err) < 0 || field_number(r, f, COL_OPEN, &s->open[i], err) < 0 ||
	    field_number(r, f, COL_HIGH, &s->high[i], err) < 0 ||
	    field_number(r, f, COL_LOW, &s->low[i], err) < 0 ||
	    field_number(r, f, COL_CLOSE, &s->close[i], err) < 0)
		return -1;
	if (r->col[COL_VOLUME] >= 0 && field_number(r, f, COL_VOLUME, &v, err) < 0)
		return -1;
	char why[160];
	if (bt_bar_problem(s->open[i], s->high[i], s->low[i], s->close[i], v, why, sizeof(why)))
		return csv_error(err, r, "%s", why);
	if (i > 0 && t <= s->time[i - 1]) {
		char a[32], b[32];
		bt_time_format(t, a, sizeof(a));
		bt_time_format(s->time[i - 1], b, sizeof(b));
		return csv_error(err, r, "time %s %s line %zu's %s", a,
				 t == s->time[i - 1] ? "repeats" : "is before", *prev_line, b);
	}
	s->time[i] = t;
	s->volume[i] = v;
	s->n++;
	*prev_line = r->line;
	return 0;
}

static char *stem_of(const char *path)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	const char *dot = strrchr(b, '.');
	return strndup(b, dot && dot > b ? (size_t) (dot - b) : strlen(b));
}

int bt_series_parse(const char *text, size_t len, const char *name, const char *symbol,
		    bt_series **out, sbx_error **err)
{
	struct reader r = { .name = name ? name : "(data)", .text = text, .end = text + len };
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) /* a UTF-8 byte order mark */
		r.text += 3;
	r.cur = r.text;
	__attribute__((cleanup(free_locale))) locale_t loc = newlocale(LC_NUMERIC_MASK, "C", 0);
	if (loc == (locale_t) 0)
		return sbx_error_set(err, errno, "%s: newlocale", r.name);
	r.c_locale = loc;
	if (memchr(r.text, '\0', (size_t) (r.end - r.text)) != NULL)
		return sbx_error_set(err, 0, "%s: a NUL byte: not a text file", r.name);
	if (read_header(&r, err) < 0)
		return -1;

	size_t cap = 1;
	for (const char *p = r.cur; p < r.end && (p = memchr(p, '\n', (size_t) (r.end - p))); p++)
		cap++;
	cleanup_free char *owned_symbol = symbol ? NULL : stem_of(r.name);
	bt_series *s = NULL;
	if (bt_series_new(symbol ? symbol : owned_symbol, cap, &s, err) < 0)
		return -1;
	s->n = 0;
	free(s->source);
	s->source = strdup(r.name);
	if (s->source == NULL) {
		bt_series_free(s);
		return sbx_error_set(err, ENOMEM, "%s", r.name);
	}

	struct span line;
	size_t prev_line = 0, blank_line = 0;
	while (next_line(&r, &line)) {
		if (blank(line)) { /* blank lines only at the end */
			blank_line = blank_line ? blank_line : r.line;
			continue;
		}
		if (blank_line) {
			bt_series_free(s);
			return sbx_error_set_at(err, SBX_ERR_INVALID, (unsigned) blank_line, 0,
						"%s:%zu: a blank line inside the data", r.name,
						blank_line);
		}
		if (read_bar(&r, line, s, &prev_line, err) < 0) {
			bt_series_free(s);
			return -1;
		}
	}
	if (s->n == 0) {
		bt_series_free(s);
		return sbx_error_set(err, 0, "%s: no bars after the header", r.name);
	}
	*out = s;
	return 0;
}

int bt_series_read(const char *path, const char *symbol, bt_series **out, sbx_error **err)
{
	cleanup_free char *text = NULL;
	size_t len = 0;
	if (read_file_alloc(path, MAX_FILE_BYTES, &text, &len, err) < 0)
		return -1;
	return bt_series_parse(text, len, path, symbol, out, err);
}
