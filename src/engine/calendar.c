/* Dates and times: parsing the forms data files use, ISO-8601 output, and
 * the periods (days, weeks, months, years) the metrics resample to.  All
 * UTC, no time zone database: a time with an offset is converted once. */
#include "common/util.h"
#include "engine/internal.h"

#include <stdio.h>
#include <string.h>

int64_t cal_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const int64_t yoe = y - era * 400;
	const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void cal_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const int64_t doe = z - era * 146097;
	const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const int64_t mp = (5 * doy + 2) / 153;
	*d = (unsigned) (doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned) (mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

unsigned cal_days_in_month(int64_t y, unsigned m)
{
	static const unsigned dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return (m >= 1 && m <= 12) ? dim[m - 1] : 0;
}

int64_t cal_period_key(int64_t t, bt_frequency f)
{
	int64_t day = cal_day(t), y;
	unsigned m, d;
	switch (f) {
	case BT_FREQ_WEEKLY:
		/* Monday-based weeks: (day + 3) is a multiple of 7 on Mondays. */
		return (day + 3 - (int64_t) cal_weekday(day)) / 7;
	case BT_FREQ_MONTHLY:
		cal_civil_from_days(day, &y, &m, &d);
		return y * 12 + (int64_t) m - 1;
	case BT_FREQ_YEARLY:
		cal_civil_from_days(day, &y, &m, &d);
		return y;
	case BT_FREQ_INTRADAY:
	case BT_FREQ_DAILY:
		break;
	}
	return day;
}

/* Exactly n decimal digits at s; the value in *out. */
static bool digits(const char *s, size_t n, unsigned *out)
{
	unsigned v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned) (s[i] - '0');
	}
	*out = v;
	return true;
}

int cal_parse_clock(const char *s, size_t len, int64_t *out, const char **why)
{
	unsigned hh, mm, ss = 0;
	if (len < 5 || !digits(s, 2, &hh) || s[2] != ':' || !digits(s + 3, 2, &mm)) {
		*why = "expected a time HH:MM or HH:MM:SS";
		return -1;
	}
	size_t i = 5;
	if (i < len && s[i] == ':') {
		if (len < i + 3 || !digits(s + i + 1, 2, &ss)) {
			*why = "expected a time HH:MM or HH:MM:SS";
			return -1;
		}
		i += 3;
		if (i < len && s[i] == '.') { /* a fraction: only zeros (whole seconds) */
			size_t j = i + 1;
			while (j < len && s[j] == '0')
				j++;
			if (j == i + 1 || (j < len && s[j] >= '1' && s[j] <= '9')) {
				*why = "sub-second times are not supported";
				return -1;
			}
			i = j;
		}
	}
	if (i != len) {
		*why = "unexpected text after the time";
		return -1;
	}
	if (hh > 23 || mm > 59 || ss > 59) {
		*why = "time of day out of range";
		return -1;
	}
	*out = (int64_t) hh * 3600 + mm * 60 + ss;
	return 0;
}

/* "Z", "+HH:MM", "-HH:MM", "+HHMM" at the end of a time: seconds east. */
static size_t offset_len(const char *s, size_t len, int64_t *east, const char **why)
{
	*east = 0;
	if (len > 0 && (s[len - 1] == 'Z' || s[len - 1] == 'z'))
		return 1;
	for (size_t n = 6; n >= 5; n--) { /* +HH:MM, then +HHMM */
		if (len < n + 8)
			continue;
		const char *o = s + len - n;
		unsigned hh, mm;
		if ((o[0] != '+' && o[0] != '-') || !digits(o + 1, 2, &hh))
			continue;
		if (!(n == 6 ? o[3] == ':' && digits(o + 4, 2, &mm) : digits(o + 3, 2, &mm)))
			continue;
		if (hh > 23 || mm > 59) {
			*why = "time zone offset out of range";
			return (size_t) -1;
		}
		*east = (o[0] == '-' ? -1 : 1) * ((int64_t) hh * 3600 + mm * 60);
		return n;
	}
	return 0;
}

int cal_parse_datetime(const char *s, size_t len, int64_t *out, bool *has_time, const char **why)
{
	unsigned yy, mo, dd;
	*has_time = false;
	if (len < 10 || !digits(s, 4, &yy) || (s[4] != '-' && s[4] != '/') || !digits(s + 5, 2, &mo) ||
	    s[7] != s[4] || !digits(s + 8, 2, &dd)) {
		*why = "expected a date YYYY-MM-DD (optionally followed by HH:MM[:SS])";
		return -1;
	}
	if (yy < 1 || mo < 1 || mo > 12 || dd < 1 || dd > cal_days_in_month(yy, mo)) {
		*why = "no such date";
		return -1;
	}
	int64_t t = cal_days_from_civil(yy, mo, dd) * SECONDS_PER_DAY;
	if (len > 10) {
		if (s[10] != ' ' && s[10] != 'T' && s[10] != 't') {
			*why = "unexpected text after the date";
			return -1;
		}
		int64_t east;
		size_t off = offset_len(s, len, &east, why);
		if (off == (size_t) -1)
			return -1;
		int64_t clock;
		if (cal_parse_clock(s + 11, len - 11 - off, &clock, why) < 0)
			return -1;
		t += clock - east;
		*has_time = true;
	}
	if (t < CAL_MIN_TIME || t > CAL_MAX_TIME) {
		*why = "date out of range";
		return -1;
	}
	*out = t;
	return 0;
}

int bt_time_parse(const char *s, bool end_of_day, int64_t *out, sbx_error **err)
{
	const char *why = NULL;
	bool has_time;
	if (s == NULL)
		return sbx_error_set(err, 0, "no date given");
	size_t len = strlen(s);
	if (cal_parse_datetime(s, len, out, &has_time, &why) < 0)
		return sbx_error_set(err, 0, "invalid date '%s': %s", s, why);
	if (end_of_day && !has_time)
		*out += SECONDS_PER_DAY - 1;
	return 0;
}

void bt_time_format(int64_t t, char *buf, size_t size)
{
	if (t < CAL_MIN_TIME || t > CAL_MAX_TIME) {
		snprintf(buf, size, "%s", "invalid");
		return;
	}
	int64_t day = cal_day(t), y;
	int64_t sec = t - day * SECONDS_PER_DAY;
	unsigned m, d;
	cal_civil_from_days(day, &y, &m, &d);
	snprintf(buf, size, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ", (long long) y, m, d,
		 (long long) (sec / 3600), (long long) (sec / 60 % 60), (long long) (sec % 60));
}
