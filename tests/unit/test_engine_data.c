/* The engine's data: the CSV reader (every bundled layout, every kind of
 * bad data), the bundled files and their manifest, alignment of several
 * symbols, dates and the calendar. */
#include "common/util.h"
#include "engine/internal.h"
#include "test_engine.h"
#include "unit.h"

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *te_data_dir(void)
{
	const char *d = getenv("STRATBOX_DATA_DIR");
	struct stat st;
	d = d ? d : "data";
	char probe[512];
	snprintf(probe, sizeof(probe), "%s/datasets.json", d);
	if (stat(probe, &st) < 0)
		test_skip("no bundled data at %s (set STRATBOX_DATA_DIR)", d);
	return d;
}

static bt_series *parse_ok(const char *text)
{
	bt_series *s = NULL;
	sbx_error *err = NULL;
	CHECK(bt_series_parse(text, strlen(text), "t.csv", "T", &s, &err) == 0, "%s\n%s",
	      err ? err->msg : "", text);
	return s;
}

void u_engine_csv_reader_takes_every_layout(void)
{
	static const struct {
		const char *text;
		int64_t t0, t1;
		double close1;
	} cases[] = {
		/* backtesting.py: an empty first header cell */
		{ ",Open,High,Low,Close,Volume\n2004-08-19,100,104.06,95.96,100.34,22351900\n"
		  "2004-08-20,101.01,109.08,100.5,108.31,11428600\n",
		  1092873600, 1092960000, 108.31 },
		/* intraday timestamps, CRLF, a trailing blank line */
		{ ",Open,High,Low,Close,Volume\r\n2017-04-19 09:00:00,1.0716,1.0722,1.07083,1.07219,1413\r\n"
		  "2017-04-19 10:00:00,1.07214,1.07296,1.07214,1.0726,1241\r\n\r\n",
		  1492592400, 1492596000, 1.0726 },
		/* Yahoo: Close, not Adj Close */
		{ "Date,Open,High,Low,Close,Adj Close,Volume\n"
		  "1999-01-22,1.750000,1.953125,1.552083,1.640625,1.518424,67867200\n"
		  "1999-01-25,1.770833,1.833333,1.640625,1.812500,1.677496,12762000\n",
		  916963200, 917222400, 1.8125 },
		/* backtrader: OpenInterest; lower-case and spaced headers; no volume */
		{ " date , open,HIGH,low, Close ,OpenInterest\n2006-01-02,3578.73,3605.95,3578.73,3604.33,0\n"
		  "2006-01-03,3604.08,3638.42,3601.84,3614.34,0\n",
		  1136160000, 1136246400, 3614.34 },
		/* a separate Time column */
		{ "Date,Time,Open,High,Low,Close,Volume,OpenInterest\n"
		  "2006-01-02,09:05:00,3578.73,3587.88,3578.73,3582.99,0,0\n"
		  "2006-01-02,09:10:00,3583.01,3588.40,3583.01,3588.03,0,0",
		  1136192700, 1136193000, 3588.03 },
		/* a byte order mark, quotes, an ISO timestamp with an offset */
		{ "\xEF\xBB\xBF\"Datetime\",\"Open\",\"High\",\"Low\",\"Close\"\n"
		  "\"2020-01-01T10:00:00+02:00\",1,2,0.5,1.5\n2020-01-01T09:00:00Z,1,2,0.5,1.5e0\n",
		  1577865600, 1577869200, 1.5 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		bt_series *s = parse_ok(cases[i].text);
		CHECK(s->n == 2, "case %zu: %zu bars", i, s->n);
		CHECK(s->time[0] == cases[i].t0 && s->time[1] == cases[i].t1, "case %zu: %lld %lld", i,
		      (long long) s->time[0], (long long) s->time[1]);
		CHECK(s->close[1] == cases[i].close1, "case %zu: close %.17g", i, s->close[1]);
		bt_series_free(s);
	}
	bt_series *s = parse_ok(cases[3].text);
	CHECK(isnan(s->volume[0]), "no Volume column: NaN");
	bt_series_free(s);
}

void u_engine_bad_csv_refused_naming_line(void)
{
	static const char H[] = "Date,Open,High,Low,Close,Volume\n";
	static const struct {
		const char *body;
		const char *want;
	} cases[] = {
		{ "", "t.csv: no bars after the header" },
		{ "2020-01-01,1,2,0.5,abc,10\n", "t.csv:2: Close 'abc' is not a finite decimal number" },
		{ "2020-01-01,1,2,0.5,nan,10\n", "t.csv:2: Close 'nan' is not a finite" },
		{ "2020-01-01,1,2,0.5,inf,10\n", "t.csv:2: Close 'inf' is not a finite" },
		{ "2020-01-01,1,2,0.5,1e999,10\n", "Close '1e999' is not a finite" },
		{ "2020-01-01,0x10,2,0.5,1,10\n", "Open '0x10' is not" },
		{ "2020-01-01,1,2,,1,10\n", "t.csv:2: Low is empty" },
		{ "2020-01-01,1,2,0.5,1,10\n2020-01-02,1,0.5,2,1,10\n", "t.csv:3: High 0.5 is below Low 2" },
		{ "2020-01-01,3,2,0.5,1,10\n", "Open 3 is outside [Low 0.5, High 2]" },
		{ "2020-01-01,1,2,0.5,0.4,10\n", "Close 0.4 is outside [Low 0.5, High 2]" },
		{ "2020-01-01,1,2,0,1,10\n", "Low 0 is not a positive price" },
		{ "2020-01-01,-1,2,0.5,1,10\n", "Open -1 is not a positive price" },
		{ "2020-01-01,1,2,0.5,1,-10\n", "Volume -10 is negative" },
		{ "2020-01-02,1,2,0.5,1,10\n2020-01-02,1,2,0.5,1,10\n",
		  "t.csv:3: time 2020-01-02T00:00:00Z repeats line 2's" },
		{ "2020-01-02,1,2,0.5,1,10\n2020-01-01,1,2,0.5,1,10\n",
		  "t.csv:3: time 2020-01-01T00:00:00Z is before line 2's" },
		{ "2020-01-01,1,2,0.5,1\n", "t.csv:2: 5 fields where the header has 6" },
		{ "2020-01-01,1,2,0.5,1,10,7\n", "7 fields where the header has 6" },
		{ "2020-01-01,1,2,0.5,1,10\n\n2020-01-02,1,2,0.5,1,10\n", "t.csv:3: a blank line inside" },
		{ "2020-02-30,1,2,0.5,1,10\n", "date '2020-02-30': no such date" },
		{ "01/02/2020,1,2,0.5,1,10\n", "expected a date YYYY-MM-DD" },
		{ "2020-01-01 25:00,1,2,0.5,1,10\n", "time of day out of range" },
		{ "2020-01-01 10:00:00.5,1,2,0.5,1,10\n", "sub-second times are not supported" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char text[256];
		snprintf(text, sizeof(text), "%s%s", H, cases[i].body);
		bt_series *s = NULL;
		sbx_error *err = NULL;
		CHECK(bt_series_parse(text, strlen(text), "t.csv", "T", &s, &err) < 0, "case %zu", i);
		CHECK_CONTAINS(err->msg, cases[i].want);
		sbx_error_free(err);
	}
	static const struct {
		const char *text;
		const char *want;
	} heads[] = {
		{ "", "t.csv: empty file" },
		{ "\n\n", "t.csv: empty file" },
		{ "Date,Open,High,Low,Volume\n2020-01-01,1,2,0.5,1\n", "t.csv:1: no Close column" },
		{ "Open,High,Low,Close\n1,2,0.5,1\n", "t.csv:1: no Date column" },
		{ "Date,Open,High,Low,Close,Close\n", "t.csv:1: two Close columns (5 and 6)" },
		{ "Date,Time,Open,High,Low,Close\n2020-01-01 10:00,10:00,1,2,0.5,1\n",
		  "has a time and there is a Time column" },
		{ "Date,Open,High,Low,Close\n2020-01-01,1,2,0.5,1\0\n", "a NUL byte" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(heads); i++) {
		bt_series *s = NULL;
		sbx_error *err = NULL;
		size_t len = strlen(heads[i].text);
		if (strstr(heads[i].want, "NUL"))
			len += 2;
		CHECK(bt_series_parse(heads[i].text, len, "t.csv", "T", &s, &err) < 0, "head %zu", i);
		CHECK_CONTAINS(err->msg, heads[i].want);
		sbx_error_free(err);
	}
	bt_series *s = NULL;
	sbx_error *err = NULL;
	CHECK(bt_series_read("/nonexistent/x.csv", NULL, &s, &err) < 0);
	CHECK_CONTAINS(err->msg, "/nonexistent/x.csv");
	sbx_error_free(err);
}

/* Every bundled file reads, with the bars data/README.md says it has, and
 * the manifest names each one truthfully. */
void u_engine_bundled_data_matches_manifest(void)
{
	const char *dir = te_data_dir();
	char path[512];
	snprintf(path, sizeof(path), "%s/datasets.json", dir);
	bt_manifest *m = NULL;
	sbx_error *err = NULL;
	CHECK(bt_manifest_load(path, &m, &err) == 0, "%s", err ? err->msg : "");
	static const char *const want[] = { "GOOG", "EURUSD", "BTCUSD", "NVDA", "ORCL", "YHOO" };
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		CHECK(bt_manifest_find(m, want[i]) != NULL, "%s is not in the manifest", want[i]);
	CHECK(bt_manifest_find(m, "goog") == bt_manifest_find(m, "GOOG"));
	CHECK(bt_manifest_find(m, "nope") == NULL);
	/* every data file of the directory is listed */
	cleanup_dir DIR *dd = opendir(dir);
	CHECK(dd != NULL);
	for (struct dirent *de; (de = readdir(dd)) != NULL;) {
		const char *dot = strrchr(de->d_name, '.');
		if (dot == NULL || (strcmp(dot, ".csv") != 0 && strcmp(dot, ".txt") != 0))
			continue;
		bool listed = false;
		for (size_t i = 0; i < m->n; i++) {
			const char *f = strrchr(m->sets[i].file, '/');
			listed = listed || strcmp(f ? f + 1 : m->sets[i].file, de->d_name) == 0;
		}
		CHECK(listed, "%s/%s is not in the manifest", dir, de->d_name);
	}
	for (size_t i = 0; i < m->n; i++) {
		const bt_dataset *e = &m->sets[i];
		bt_series *s = NULL;
		bt_data *d = NULL;
		CHECK(bt_series_read(e->file, e->name, &s, &err) == 0, "%s: %s", e->name, err->msg);
		CHECK(s->n == e->bars, "%s: %zu bars, the manifest says %zu", e->name, s->n, e->bars);
		int64_t a, b;
		CHECK(bt_time_parse(e->start, false, &a, &err) == 0 && a == s->time[0], "%s start",
		      e->name);
		CHECK(bt_time_parse(e->end, false, &b, &err) == 0 && b == s->time[s->n - 1], "%s end",
		      e->name);
		CHECK(bt_data_new(&s, 1, &d, &err) == 0);
		const char *f = e->frequency;
		bool ok = strcmp(f, "hourly") == 0     ? d->median_gap == 3600
			  : strcmp(f, "5-minute") == 0 ? d->median_gap == 300
						       : strcmp(f, bt_frequency_name(d->freq)) == 0;
		CHECK(ok, "%s: frequency %s, the bars say %s (median gap %lld s)", e->name, f,
		      bt_frequency_name(d->freq), (long long) d->median_gap);
		CHECK(strlen(e->description) > 10);
		bt_data_free(d);
		bt_series_free(s);
	}
	bt_manifest_free(m);
}

void u_engine_bad_manifest_refused_naming_field(void)
{
	static const struct {
		const char *json;
		const char *want;
	} cases[] = {
		{ "{", "m.json:" },
		{ "{\"datasets\": []}", "no \"datasets\" list" },
		{ "{\"datasets\": [{\"name\": \"A\"}]}", "dataset 1: \"description\" must be" },
		{ "{\"datasets\": [{\"name\": \"A\", \"description\": \"d\", \"file\": \"../x\", "
		  "\"frequency\": \"daily\", \"start\": \"s\", \"end\": \"e\", \"bars\": 3}]}",
		  "must be a plain name" },
		{ "{\"datasets\": [{\"name\": \"A\", \"description\": \"d\", \"file\": \"x\", "
		  "\"frequency\": \"daily\", \"start\": \"s\", \"end\": \"e\", \"bars\": 0}]}",
		  "\"bars\" must be a positive integer" },
	};
	char dir[] = "/tmp/sbx-manifest-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char path[128];
	snprintf(path, sizeof(path), "%s/m.json", dir);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		FILE *f = fopen(path, "w");
		fputs(cases[i].json, f);
		fclose(f);
		bt_manifest *m = NULL;
		sbx_error *err = NULL;
		CHECK(bt_manifest_load(path, &m, &err) < 0, "case %zu", i);
		CHECK_CONTAINS(err->msg, cases[i].want);
		sbx_error_free(err);
	}
	unlink(path);
	rmdir(dir);
}

void u_engine_symbols_align_on_union_of_times(void)
{
	static const double A[][4] = { { 1, 1, 1, 1 }, { 2, 2, 2, 2 }, { 3, 3, 3, 3 } };
	static const double B[][4] = { { 10, 10, 10, 10 }, { 20, 20, 20, 20 }, { 30, 30, 30, 30 } };
	bt_series *a = te_series("A", A, 3, 2); /* days 0, 2, 4 */
	bt_series *b = te_series("B", B, 3, 1); /* days 0, 1, 2, then moved to 1, 2, 5 */
	b->time[0] += 86400;
	b->time[1] += 86400;
	b->time[2] += 3 * 86400;
	bt_series *both[] = { a, b };
	bt_data *d = NULL;
	sbx_error *err = NULL;
	CHECK(bt_data_new(both, 2, &d, &err) == 0);
	/* the union: days 0, 1, 2, 4, 5 */
	CHECK_INT_EQ(d->n, 5);
	static const int64_t day[] = { 0, 1, 2, 4, 5 };
	static const uint8_t has_a[] = { 1, 0, 1, 1, 0 }, has_b[] = { 0, 1, 1, 0, 1 };
	static const double close_a[] = { 1, 1, 2, 3, 3 };
	for (size_t i = 0; i < 5; i++) {
		CHECK(d->time[i] == 1704067200 + day[i] * 86400, "bar %zu", i);
		CHECK(d->sym[0].has_bar[i] == has_a[i] && d->sym[1].has_bar[i] == has_b[i], "bar %zu", i);
		CHECK(d->sym[0].close[i] == close_a[i], "bar %zu: %g", i, d->sym[0].close[i]);
	}
	CHECK(isnan(d->sym[1].close[0]), "no close before B's first bar");
	CHECK(d->sym[1].close[3] == 20 && d->sym[1].open[3] == 20, "B carries its last close");
	CHECK_INT_EQ(d->sym[1].first_bar, 1);
	CHECK_INT_EQ(d->sym[1].bars, 3);
	bt_data_free(d);
	/* a symbol twice is an error */
	bt_series *twice[] = { a, a };
	CHECK(bt_data_new(twice, 2, &d, &err) < 0);
	CHECK_CONTAINS(err->msg, "symbol A is given twice");
	sbx_error_free(err);
	err = NULL;
	/* clipping keeps [start, end] */
	CHECK(bt_series_clip(a, 1704067200 + 86400, 1704067200 + 4 * 86400, &err) == 0);
	CHECK_INT_EQ(a->n, 2);
	CHECK(a->close[0] == 2 && a->close[1] == 3);
	CHECK(bt_series_clip(a, 0, 1, &err) < 0);
	CHECK_CONTAINS(err->msg, "A: no bar from 1970-01-01T00:00:00Z to 1970-01-01T00:00:01Z");
	sbx_error_free(err);
	bt_series_free(a);
	bt_series_free(b);
}

void u_engine_dates_parse_and_round_trip(void)
{
	/* the civil calendar, both ways, over five centuries */
	for (int64_t day = -150000; day <= 150000; day += 7) {
		int64_t y;
		unsigned m, d;
		cal_civil_from_days(day, &y, &m, &d);
		CHECK(cal_days_from_civil(y, m, d) == day, "day %lld", (long long) day);
	}
	CHECK(cal_weekday(cal_days_from_civil(2024, 1, 1)) == 0); /* a Monday */
	CHECK(cal_weekday(cal_days_from_civil(2000, 2, 29)) == 1);
	CHECK(cal_weekday(cal_days_from_civil(1969, 12, 28)) == 6); /* a Sunday, before 1970 */
	static const struct {
		const char *s;
		bool end;
		int64_t want;
	} ok[] = {
		{ "2024-01-01", false, 1704067200 },
		{ "2024-01-01", true, 1704067200 + 86399 },
		{ "2024-01-01 10:30", false, 1704067200 + 37800 },
		{ "2024-01-01T10:30:15Z", false, 1704067200 + 37815 },
		{ "2024-01-01T10:30:15+01:30", false, 1704067200 + 37815 - 5400 },
		{ "2024-01-01 10:30:15-0500", false, 1704067200 + 37815 + 18000 },
		{ "2024/02/29", false, 1709164800 },
		{ "1969-12-31 23:59:59", false, -1 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		int64_t t;
		sbx_error *err = NULL;
		CHECK(bt_time_parse(ok[i].s, ok[i].end, &t, &err) == 0, "%s", ok[i].s);
		CHECK(t == ok[i].want, "%s: %lld", ok[i].s, (long long) t);
	}
	static const char *const bad[] = { "2023-02-29", "2024-13-01", "2024-01-01x", "24-01-01",
					   "2024-01-01 10", "2024-01-01 10:60", "" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int64_t t;
		sbx_error *err = NULL;
		CHECK(bt_time_parse(bad[i], false, &t, &err) < 0, "%s", bad[i]);
		sbx_error_free(err);
	}
	char buf[32];
	bt_time_format(1704067200 + 37815, buf, sizeof(buf));
	CHECK_STR_EQ(buf, "2024-01-01T10:30:15Z");
	bt_time_format(-1, buf, sizeof(buf));
	CHECK_STR_EQ(buf, "1969-12-31T23:59:59Z");
	/* periods: Monday-to-Sunday weeks, calendar months */
	int64_t sun = 1704067200 - 86400, mon = 1704067200, next_sun = mon + 6 * 86400 + 86399;
	CHECK(cal_period_key(sun, BT_FREQ_WEEKLY) + 1 == cal_period_key(mon, BT_FREQ_WEEKLY));
	CHECK(cal_period_key(mon, BT_FREQ_WEEKLY) == cal_period_key(next_sun, BT_FREQ_WEEKLY));
	CHECK(cal_period_key(mon - 1, BT_FREQ_MONTHLY) + 1 == cal_period_key(mon, BT_FREQ_MONTHLY));
	CHECK(cal_period_key(mon - 1, BT_FREQ_DAILY) + 1 == cal_period_key(mon, BT_FREQ_DAILY));
}

/* The frequency and A from the spacing of the bars, and where each period ends. */
void u_engine_frequency_inferred_from_bar_spacing(void)
{
	static const struct {
		int64_t step;	  /* seconds between bars */
		bool weekdays;	  /* skip Saturdays and Sundays */
		bt_frequency freq;
		double A;
	} cases[] = {
		{ 86400, true, BT_FREQ_DAILY, 252 },   { 86400, false, BT_FREQ_DAILY, 365 },
		{ 3600, true, BT_FREQ_INTRADAY, 252 }, { 3600, false, BT_FREQ_INTRADAY, 365 },
		{ 7 * 86400, false, BT_FREQ_WEEKLY, 52 }, { 30 * 86400, false, BT_FREQ_MONTHLY, 12 },
		{ 365 * 86400, false, BT_FREQ_YEARLY, 1 },
	};
	enum { N = 400 };
	for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
		bt_series *s = NULL;
		sbx_error *err = NULL;
		CHECK(bt_series_new("S", N, &s, &err) == 0);
		int64_t t = 1704067200; /* a Monday */
		for (size_t i = 0; i < N; i++) {
			while (cases[c].weekdays && cal_weekday(cal_day(t)) >= 5)
				t += cases[c].step;
			s->time[i] = t;
			s->open[i] = s->high[i] = s->low[i] = s->close[i] = 100;
			s->volume[i] = 0;
			t += cases[c].step;
		}
		bt_data *d = NULL;
		CHECK(bt_data_new(&s, 1, &d, &err) == 0);
		CHECK(d->freq == cases[c].freq, "case %zu: %s", c, bt_frequency_name(d->freq));
		CHECK(d->periods_per_year == cases[c].A, "case %zu: A = %g", c, d->periods_per_year);
		/* every period's last bar is followed by a bar of a later period */
		for (size_t k = 0; k + 1 < d->nperiods; k++) {
			size_t i = d->period_last[k];
			CHECK(cal_period_key(d->time[i], d->freq) <
			      cal_period_key(d->time[i + 1], d->freq));
			CHECK(k == 0 || d->period_last[k - 1] < i);
		}
		CHECK(d->period_last[d->nperiods - 1] == N - 1);
		if (cases[c].step == 3600)
			CHECK(d->nperiods < N / 20, "hourly bars: days as periods (%zu)", d->nperiods);
		bt_data_free(d);
		bt_series_free(s);
	}
}

/* Random damage to a valid file: every outcome is either a series that
 * passes the reader's own rules or an error naming the file; never a
 * crash or a read past the end (the text sits in a buffer of exactly its
 * length, so ASan sees any overread). */
void u_engine_damaged_csv_reads_or_names_file(void)
{
	static const char base[] =
		"Date,Time,Open,High,Low,Close,Volume\n2006-01-02,09:05:00,3578.73,3587.88,3578.73,"
		"3582.99,0\n2006-01-02,09:10:00,3583.01,3588.40,3583.01,3588.03,0\n2006-01-02,"
		"09:15:00,3588.03,3590.00,3585.5,3586.1,12\n";
	static const char bytes[] = "0123456789,.-+eE\n\r \"nai:TZ/\0\xff";
	uint64_t x = 42;
	size_t ok = 0;
	for (int it = 0; it < 20000; it++) {
		char text[sizeof(base) + 16];
		size_t len = sizeof(base) - 1;
		memcpy(text, base, len);
		for (int k = 0; k < 1 + it % 4; k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			size_t at = (size_t) (x >> 20) % (len + 1);
			char c = bytes[(x >> 8) % (sizeof(bytes) - 1)];
			switch (x % 3) {
			case 0: /* replace */
				if (at < len)
					text[at] = c;
				break;
			case 1: /* insert */
				if (len + 1 < sizeof(text)) {
					memmove(text + at + 1, text + at, len - at);
					text[at] = c;
					len++;
				}
				break;
			default: /* delete */
				if (at < len) {
					memmove(text + at, text + at + 1, len - at - 1);
					len--;
				}
			}
		}
		char *exact = malloc(len ? len : 1);
		memcpy(exact, text, len);
		bt_series *s = NULL;
		sbx_error *err = NULL;
		if (bt_series_parse(exact, len, "g.csv", "G", &s, &err) == 0) {
			CHECK(bt_series_check(s, &err) == 0, "accepted bad data: %s", err->msg);
			ok++;
			bt_series_free(s);
		} else {
			CHECK(err != NULL && strncmp(err->msg, "g.csv", 5) == 0, "%s",
			      err ? err->msg : "no error");
			sbx_error_free(err);
		}
		free(exact);
	}
	CHECK(ok > 100 && ok < 20000, "%zu of 20000 damaged files accepted", ok);
}
