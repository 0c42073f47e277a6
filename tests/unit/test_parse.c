/* Sizes, durations, CPU counts, UTF-8 clean-up: the table-driven cases. */
#include "common/parse.h"
#include "harness.h"
#include "unit.h"

void u_size_parser_takes_suffixes_refuses_junk(void)
{
	static const struct {
		const char *in;
		int ok;
		uint64_t want;
	} cases[] = {
		{ "256M", 1, 256ull << 20 },   { "16m", 1, 16ull << 20 },    { "1G", 1, 1ull << 30 },
		{ "512K", 1, 512ull << 10 },   { "1048576", 1, 1048576 },    { "1.5G", 1, 3ull << 29 },
		{ "64MiB", 1, 64ull << 20 },   { "2GB", 1, 2ull << 30 },     { "0", 1, 0 },
		{ "1T", 1, 1ull << 40 },       { "0.5K", 1, 512 },	     { "+8M", 1, 8ull << 20 },
		{ "", 0, 0 },		       { "-1", 0, 0 },		     { "12X", 0, 0 },
		{ "1.5", 0, 0 },	       { "M", 0, 0 },		     { "99999999999999999999G", 0, 0 },
		{ "16777216T", 0, 0 },	       { "1 M", 0, 0 },		     { "1MM", 0, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 0;
		const char *why = NULL;
		int r = parse_size(cases[i].in, &v, &why);
		CHECK((r == 0) == cases[i].ok, "parse_size(\"%s\") -> %d (%s)", cases[i].in, r,
		      why ? why : "");
		if (cases[i].ok)
			CHECK(v == cases[i].want, "parse_size(\"%s\") = %llu", cases[i].in,
			      (unsigned long long) v);
		else
			CHECK(why != NULL && *why, "no reason for \"%s\"", cases[i].in);
	}
}

void u_duration_parser_takes_units_refuses_zero(void)
{
	static const struct {
		const char *in;
		int ok;
		uint64_t want_ns;
	} cases[] = {
		{ "60", 1, 60000000000ull }, { "0.25", 1, 250000000ull }, { "1.5s", 1, 1500000000ull },
		{ "250ms", 1, 250000000ull }, { "2m", 1, 120000000000ull }, { "1h", 1, 3600000000000ull },
		{ "10us", 1, 10000ull },      { "0.0000000011", 1, 1ull }, { "0", 0, 0 },
		{ "7d", 1, 604800000000000ull }, { "1.5d", 1, 129600000000000ull },
		{ "0.0", 0, 0 },	      { "abc", 0, 0 },		   { "", 0, 0 },
		{ "-3", 0, 0 },		      { "5x", 0, 0 },		   { "99999999999999999999", 0, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 0;
		const char *why = NULL;
		int r = parse_duration(cases[i].in, &v, &why);
		CHECK((r == 0) == cases[i].ok, "parse_duration(\"%s\") -> %d", cases[i].in, r);
		if (cases[i].ok)
			CHECK(v == cases[i].want_ns, "parse_duration(\"%s\") = %llu", cases[i].in,
			      (unsigned long long) v);
	}
}

void u_cpus_parser_gives_millicpus_in_range(void)
{
	static const struct {
		const char *in;
		int ok;
		uint64_t want;
	} cases[] = {
		{ "0.5", 1, 500 }, { "2", 1, 2000 }, { "1.25", 1, 1250 }, { "0.001", 1, 1 },
		{ "0", 0, 0 },	   { "0.0001", 0, 0 }, { "abc", 0, 0 }, { "1.5x", 0, 0 },
		{ "-1", 0, 0 },	   { "5000", 0, 0 },   { "", 0, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 0;
		const char *why = NULL;
		int r = parse_cpus(cases[i].in, &v, &why);
		CHECK((r == 0) == cases[i].ok, "parse_cpus(\"%s\") -> %d", cases[i].in, r);
		if (cases[i].ok)
			CHECK_INT_EQ(v, cases[i].want);
	}
	uint64_t v;
	const char *why;
	CHECK(parse_u64("32", &v, &why) == 0 && v == 32);
	CHECK(parse_u64("3x", &v, &why) < 0);
	CHECK(parse_u64("-3", &v, &why) < 0);
	CHECK(parse_u64("18446744073709551616", &v, &why) < 0);
	CHECK(parse_u64("18446744073709551615", &v, &why) == 0 && v == UINT64_MAX);
}

void u_format_size_uses_exact_unit(void)
{
	char b[32];
	format_size(256ull << 20, b, sizeof(b));
	CHECK_STR_EQ(b, "256M");
	format_size(1ull << 30, b, sizeof(b));
	CHECK_STR_EQ(b, "1G");
	format_size(1000, b, sizeof(b));
	CHECK_STR_EQ(b, "1000");
	format_size(1536, b, sizeof(b));
	CHECK_STR_EQ(b, "1536");
	format_size(0, b, sizeof(b));
	CHECK_STR_EQ(b, "0");
}

void u_invalid_utf8_becomes_replacement_chars(void)
{
	static const struct {
		const char *in;
		size_t len;
		const char *want;
	} cases[] = {
		{ "plain", 5, "plain" },
		{ "caf\xc3\xa9", 5, "caf\xc3\xa9" },
		{ "\xe2\x82\xac", 3, "\xe2\x82\xac" },			 /* euro sign */
		{ "\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80" },		 /* emoji */
		{ "a\xffz", 3, "a\xef\xbf\xbdz" },			 /* invalid byte */
		{ "\xc0\x80", 2, "\xef\xbf\xbd\xef\xbf\xbd" },		 /* overlong NUL */
		{ "\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* surrogate */
		{ "\xf4\x90\x80\x80", 4,
		  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },	 /* > U+10FFFF */
		{ "\xe2\x82", 2, "\xef\xbf\xbd\xef\xbf\xbd" },		 /* truncated */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[64];
		size_t n = utf8_sanitize(cases[i].in, cases[i].len, out);
		CHECK_INT_EQ(n, strlen(cases[i].want));
		CHECK(memcmp(out, cases[i].want, n) == 0, "case %zu", i);
		CHECK(utf8_valid(out, n));
		CHECK(utf8_valid(cases[i].in, cases[i].len) == (strcmp(cases[i].in, cases[i].want) == 0),
		      "utf8_valid case %zu", i);
	}
	/* embedded NUL is valid UTF-8 and kept */
	char out[8];
	CHECK_INT_EQ(utf8_sanitize("a\0b", 3, out), 3);
	CHECK(out[1] == '\0');
}
