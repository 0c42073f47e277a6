/* The value of a string literal's text, as Python computes it: the
 * dunder-string rule looks for names in what the string *is*
 * ("\x5f\x5fglobals\x5f\x5f" is "__globals__"), not in how it is spelt. */
#include "validate/check.h"

#include <stdlib.h>
#include <string.h>
#include <unistr.h>
#include <uniname.h>

int strbuf_put(struct strbuf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (b->n + n + 1 > cap)
			cap *= 2;
		char *nv = realloc(b->v, cap);
		if (nv == NULL)
			return -1;
		b->v = nv;
		b->cap = cap;
	}
	memcpy(b->v + b->n, s, n);
	b->n += n;
	b->v[b->n] = '\0';
	return 0;
}

static int put_cp(struct strbuf *b, unsigned long cp, bool bytes)
{
	uint8_t u[6];
	if (bytes || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
		char ch = cp < 0x80 ? (char) cp : '?';
		return strbuf_put(b, &ch, 1);
	}
	int n = u8_uctomb(u, (ucs4_t) cp, (int) sizeof(u));
	return n > 0 ? strbuf_put(b, (const char *) u, (size_t) n) : strbuf_put(b, "?", 1);
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = (char) (ch | 0x20);
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* \N{NAME}: Python's lookup ignores case; an unknown name is not a
 * letter, so it becomes '?' (Python refuses such a literal anyway). */
static int put_named(struct strbuf *b, const char *name, size_t len)
{
	char up[UNINAME_MAX];
	if (len == 0 || len >= sizeof(up))
		return strbuf_put(b, "?", 1);
	for (size_t i = 0; i < len; i++)
		up[i] = name[i] >= 'a' && name[i] <= 'z' ? (char) (name[i] - 32) : name[i];
	up[len] = '\0';
	ucs4_t cp = unicode_name_character(up);
	return cp == UNINAME_INVALID ? strbuf_put(b, "?", 1) : put_cp(b, cp, false);
}

/* One escape at s[k] == '\\'; returns the bytes it used, 0 on OOM. */
static size_t escape(struct strbuf *b, const char *s, size_t k, size_t n, bool bytes)
{
	char e = s[k + 1];
	unsigned long v = 0;
	size_t digits = e == 'x' ? 2 : (!bytes && e == 'u') ? 4 : (!bytes && e == 'U') ? 8 : 0;
	if (e == '\n')
		return 2;
	if (e == '\r')
		return k + 2 < n && s[k + 2] == '\n' ? 3 : 2;
	if (digits) {
		size_t d = 0;
		while (d < digits && k + 2 + d < n && hexval(s[k + 2 + d]) >= 0)
			v = v * 16 + (unsigned long) hexval(s[k + 2 + d++]);
		return put_cp(b, d ? v : '?', bytes) < 0 ? 0 : 2 + d;
	}
	if (e >= '0' && e <= '7') {
		size_t d = 0;
		while (d < 3 && k + 1 + d < n && s[k + 1 + d] >= '0' && s[k + 1 + d] <= '7')
			v = v * 8 + (unsigned long) (s[k + 1 + d++] - '0');
		return put_cp(b, v, bytes) < 0 ? 0 : 1 + d;
	}
	if (!bytes && e == 'N' && k + 2 < n && s[k + 2] == '{') {
		size_t close = k + 3;
		while (close < n && s[close] != '}')
			close++;
		if (close < n)
			return put_named(b, s + k + 3, close - (k + 3)) < 0 ? 0 : close + 1 - k;
	}
	static const char from[] = "\\'\"abfnrtv", to[] = "\\'\"\a\b\f\n\r\t\v";
	const char *m = e ? strchr(from, e) : NULL;
	if (m != NULL)
		return strbuf_put(b, &to[m - from], 1) < 0 ? 0 : 2;
	/* an unknown escape keeps its backslash */
	return strbuf_put(b, s + k, 1) < 0 ? 0 : 1;
}

int strlit_decode(struct strbuf *b, const char *s, size_t n, bool raw, bool bytes)
{
	size_t start = b->n;
	if (raw && strbuf_put(b, s, n) < 0)
		return -1;
	size_t k = raw ? n : 0;
	while (k < n) {
		size_t run = k;
		while (run < n && s[run] != '\\')
			run++;
		if (run > k && strbuf_put(b, s + k, run - k) < 0)
			return -1;
		k = run;
		if (k >= n)
			break;
		if (k + 1 >= n) { /* a lone backslash (before an f-string field) */
			if (strbuf_put(b, "\\", 1) < 0)
				return -1;
			break;
		}
		size_t used = escape(b, s, k, n, bytes);
		if (used == 0)
			return -1;
		k += used;
	}
	if (bytes) /* non-ASCII source bytes in a bytes literal: not identifier text */
		for (size_t i = start; i < b->n; i++)
			if ((unsigned char) b->v[i] >= 0x80)
				b->v[i] = '?';
	return 0;
}
