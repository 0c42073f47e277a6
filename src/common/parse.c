#include "common/parse.h"

#include <stdio.h>
#include <string.h>

/* Parse "123", "123.456" into an integer part and a fraction scaled to
 * 10^9 (nine digits, extra digits truncated).  Sets *end past the number. */
static int parse_decimal(const char *s, uint64_t *ip, uint64_t *frac_e9, const char **end,
			 const char **why)
{
	const char *p = s;
	uint64_t whole = 0, frac = 0;
	int ndigits = 0, nfrac = 0;

	if (*p == '-') {
		*why = "must not be negative";
		return -1;
	}
	if (*p == '+')
		p++;
	while (*p >= '0' && *p <= '9') {
		unsigned d = (unsigned) (*p - '0');
		if (whole > (UINT64_MAX - d) / 10) {
			*why = "number too large";
			return -1;
		}
		whole = whole * 10 + d;
		ndigits++;
		p++;
	}
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			if (nfrac < 9) {
				frac = frac * 10 + (uint64_t) (*p - '0');
				nfrac++;
			}
			ndigits++;
			p++;
		}
		for (int i = nfrac; i < 9; i++)
			frac *= 10;
	}
	if (ndigits == 0) {
		*why = "expected a number";
		return -1;
	}
	*ip = whole;
	*frac_e9 = frac;
	*end = p;
	return 0;
}

/* whole.frac * mult, checked for overflow; fractions of a unit dropped. */
static int scale(uint64_t whole, uint64_t frac_e9, uint64_t mult, uint64_t *out, const char **why)
{
	if (whole > UINT64_MAX / mult) {
		*why = "number too large";
		return -1;
	}
	unsigned __int128 v = ((unsigned __int128) whole * 1000000000u + frac_e9) * mult / 1000000000u;
	if (v > UINT64_MAX) {
		*why = "number too large";
		return -1;
	}
	*out = (uint64_t) v;
	return 0;
}

static bool ieq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char ca = (char) (*a | 0x20), cb = (char) (*b | 0x20);
		if (ca != cb)
			return false;
	}
	return *a == *b;
}

int parse_size(const char *s, uint64_t *out, const char **why)
{
	static const struct {
		const char *suffix;
		uint64_t mult;
	} units[] = {
		{ "", 1 },	       { "b", 1 },	       { "k", 1ull << 10 },  { "kb", 1ull << 10 },
		{ "kib", 1ull << 10 }, { "m", 1ull << 20 },    { "mb", 1ull << 20 }, { "mib", 1ull << 20 },
		{ "g", 1ull << 30 },   { "gb", 1ull << 30 },   { "gib", 1ull << 30 }, { "t", 1ull << 40 },
		{ "tb", 1ull << 40 },  { "tib", 1ull << 40 },
	};
	const char *w = NULL, *end = NULL;
	uint64_t whole, frac;
	if (s == NULL || *s == '\0') {
		*why = "empty size";
		return -1;
	}
	if (parse_decimal(s, &whole, &frac, &end, &w) < 0) {
		*why = w;
		return -1;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (ieq(end, units[i].suffix)) {
			if (units[i].mult == 1 && frac != 0) {
				*why = "a size in bytes must be a whole number";
				return -1;
			}
			return scale(whole, frac, units[i].mult, out, why);
		}
	}
	*why = "unknown size suffix (use K, M, G or T)";
	return -1;
}

int parse_duration(const char *s, uint64_t *out_ns, const char **why)
{
	static const struct {
		const char *suffix;
		uint64_t mult;
	} units[] = {
		{ "", 1000000000ull },	 { "s", 1000000000ull }, { "ms", 1000000ull },
		{ "us", 1000ull },	 { "m", 60000000000ull }, { "min", 60000000000ull },
		{ "h", 3600000000000ull },
		{ "d", 86400000000000ull },
	};
	const char *w = NULL, *end = NULL;
	uint64_t whole, frac;
	if (s == NULL || *s == '\0') {
		*why = "empty duration";
		return -1;
	}
	if (parse_decimal(s, &whole, &frac, &end, &w) < 0) {
		*why = w;
		return -1;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (ieq(end, units[i].suffix)) {
			if (scale(whole, frac, units[i].mult, out_ns, why) < 0)
				return -1;
			if (*out_ns == 0) {
				*why = "must be greater than zero";
				return -1;
			}
			return 0;
		}
	}
	*why = "unknown time unit (use s, ms, m or h)";
	return -1;
}

int parse_cpus(const char *s, uint64_t *out, const char **why)
{
	const char *w = NULL, *end = NULL;
	uint64_t whole, frac;
	if (s == NULL || *s == '\0') {
		*why = "empty CPU count";
		return -1;
	}
	if (parse_decimal(s, &whole, &frac, &end, &w) < 0) {
		*why = w;
		return -1;
	}
	if (*end != '\0') {
		*why = "expected a decimal number such as 0.5";
		return -1;
	}
	if (whole > 4096) {
		*why = "more than 4096 CPUs";
		return -1;
	}
	uint64_t m = whole * 1000 + frac / 1000000;
	if (m == 0) {
		*why = "must be at least 0.001";
		return -1;
	}
	*out = m;
	return 0;
}

int parse_u64(const char *s, uint64_t *out, const char **why)
{
	uint64_t v = 0;
	if (s == NULL || *s == '\0') {
		*why = "empty number";
		return -1;
	}
	if (*s == '-') {
		*why = "must not be negative";
		return -1;
	}
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9') {
			*why = "expected a whole number";
			return -1;
		}
		unsigned d = (unsigned) (*p - '0');
		if (v > (UINT64_MAX - d) / 10) {
			*why = "number too large";
			return -1;
		}
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

void format_size(uint64_t bytes, char *buf, size_t size)
{
	static const char units[] = "KMGT";
	int u = -1;
	uint64_t v = bytes;
	while (v != 0 && v % 1024 == 0 && u < 3) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, size, "%llu", (unsigned long long) bytes);
	else
		snprintf(buf, size, "%llu%c", (unsigned long long) v, units[u]);
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t avail)
{
	unsigned c = s[0];
	size_t n;
	unsigned min;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		min = 0x10000;
	} else {
		return 0;
	}
	if (avail < n)
		return 0;
	unsigned cp = c & (0x3fu >> (n - 1));
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3fu);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

size_t utf8_sanitize(const char *in, size_t len, char *out)
{
	const unsigned char *s = (const unsigned char *) in;
	size_t i = 0, o = 0;
	while (i < len) {
		size_t n = utf8_seq(s + i, len - i);
		if (n == 0) {
			out[o++] = (char) 0xef;
			out[o++] = (char) 0xbf;
			out[o++] = (char) 0xbd;
			i++;
			continue;
		}
		memcpy(out + o, s + i, n);
		o += n;
		i += n;
	}
	out[o] = '\0';
	return o;
}

bool utf8_valid(const char *in, size_t len)
{
	const unsigned char *s = (const unsigned char *) in;
	size_t i = 0;
	while (i < len) {
		size_t n = utf8_seq(s + i, len - i);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}
