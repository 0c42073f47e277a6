#include "validate/tokenizer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lexer {
	const char *s;
	size_t len;
	struct py_tokens *out;
	char *why;
	size_t whylen;
	size_t err_off;
	int failed;
};

static int fail(struct lexer *lx, size_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(struct lexer *lx, size_t off, const char *fmt, ...)
{
	if (!lx->failed) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(lx->why, lx->whylen, fmt, ap);
		va_end(ap);
		lx->err_off = off;
		lx->failed = 1;
	}
	return -1;
}

/* Length of the UTF-8 sequence starting at s[i] (1..4), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t i, size_t end)
{
	unsigned c = s[i];
	size_t n;
	unsigned min, cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, min = 0x10000;
	else
		return 0;
	if (end - i < n)
		return 0;
	cp = c & (0x3fu >> (n - 1));
	for (size_t k = 1; k < n; k++) {
		if ((s[i + k] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i + k] & 0x3fu);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static void position(const struct py_tokens *t, const char *s, size_t off, unsigned *line,
		     unsigned *col)
{
	/* binary search for the last line start <= off */
	size_t lo = 0, hi = t->nlines;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (t->line_starts[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	*line = (unsigned) lo + 1;
	unsigned c = 1;
	for (size_t i = t->line_starts[lo]; i < off; i++)
		if (((unsigned char) s[i] & 0xc0) != 0x80)
			c++; /* count characters, not continuation bytes */
	*col = c;
}

static struct py_token *emit(struct lexer *lx, enum py_tok type, size_t start, size_t end,
			     bool in_fstring)
{
	struct py_tokens *t = lx->out;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		struct py_token *nv = realloc(t->v, cap * sizeof(*nv));
		if (nv == NULL) {
			fail(lx, start, "out of memory");
			return NULL;
		}
		t->v = nv;
		t->cap = cap;
	}
	struct py_token *tok = &t->v[t->n++];
	memset(tok, 0, sizeof(*tok));
	tok->type = type;
	tok->start = start;
	tok->len = end - start;
	tok->in_fstring = in_fstring;
	position(t, lx->s, start, &tok->line, &tok->col);
	return tok;
}

static bool is_name_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static bool is_name_char(unsigned char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9');
}

static int lex_range(struct lexer *lx, size_t a, size_t b, bool in_fstring);

/* If a string literal starts at s[i] (a valid prefix, then a quote), the
 * prefix length (0-2), else -1.  Prefixes are case-insensitive. */
static int string_prefix(const char *s, size_t i, size_t end)
{
	static const char *const valid[] = { "", "r", "u", "f", "b", "br", "rb", "fr", "rf" };
	for (size_t p = 0; p <= 2; p++) {
		if (i + p >= end)
			return -1;
		char q = s[i + p];
		if (q == '\'' || q == '"') {
			char pre[3] = { 0, 0, 0 };
			for (size_t k = 0; k < p; k++)
				pre[k] = (char) (s[i + k] | 0x20);
			for (size_t v = 0; v < sizeof(valid) / sizeof(valid[0]); v++)
				if (strcmp(pre, valid[v]) == 0)
					return (int) p;
			return -1;
		}
		if (!((q >= 'a' && q <= 'z') || (q >= 'A' && q <= 'Z')))
			return -1;
	}
	return -1;
}

struct strinfo {
	size_t body, body_end, after;
	bool raw, bytes, fmt;
};

/* Find the end of the string literal at i without emitting anything.
 * Returns 0 and fills *si, or -1 after fail(). */
static int scan_string(struct lexer *lx, size_t i, size_t end, int plen, struct strinfo *si)
{
	const char *s = lx->s;
	memset(si, 0, sizeof(*si));
	for (int k = 0; k < plen; k++) {
		char c = (char) (s[i + (size_t) k] | 0x20);
		si->raw |= c == 'r';
		si->bytes |= c == 'b';
		si->fmt |= c == 'f';
	}
	size_t q = i + (size_t) plen;
	char quote = s[q];
	bool triple = q + 2 < end && s[q + 1] == quote && s[q + 2] == quote;
	size_t j = q + (triple ? 3 : 1);
	si->body = j;
	for (;;) {
		if (j >= end)
			return fail(lx, i, "unterminated %sstring literal", triple ? "triple-quoted " : "");
		char c = s[j];
		if (c == '\\') {
			/* even in a raw string a backslash keeps the next quote */
			j += (j + 2 < end && s[j + 1] == '\r' && s[j + 2] == '\n') ? 3 : 2;
			continue;
		}
		if (c == '\0')
			return fail(lx, j, "NUL byte in a string literal");
		if (!triple && (c == '\n' || c == '\r'))
			return fail(lx, i, "unterminated string literal (end of line)");
		if (c == quote && (!triple || (j + 2 < end && s[j + 1] == quote && s[j + 2] == quote)))
			break;
		j++;
	}
	si->body_end = j;
	si->after = j + (triple ? 3 : 1);
	if (si->after > end)
		return fail(lx, i, "unterminated string literal");
	return 0;
}

static int lex_fstring_body(struct lexer *lx, size_t a, size_t b, bool raw);

/* A string literal at i: emit it (and the tokens of an f-string's
 * replacement fields); returns the offset after it, or 0 on error. */
static size_t lex_string(struct lexer *lx, size_t i, size_t end, int plen, bool in_fstring)
{
	struct strinfo si;
	if (scan_string(lx, i, end, plen, &si) < 0)
		return 0;
	struct py_token *t = emit(lx, TOK_STRING, i, si.after, in_fstring);
	if (t == NULL)
		return 0;
	t->body_start = si.body;
	t->body_len = si.body_end - si.body;
	t->raw = si.raw;
	t->bytes = si.bytes;
	t->fmt = si.fmt;
	if (si.fmt && lex_fstring_body(lx, si.body, si.body_end, si.raw) < 0)
		return 0;
	return si.after;
}

/* End of an expression inside an f-string replacement field starting at
 * k: the offset of the '}', '!' (conversion) or ':' (format spec) at
 * bracket depth 0.  Nested strings are skipped whole. */
static size_t fexpr_end(struct lexer *lx, size_t k, size_t end)
{
	const char *s = lx->s;
	int depth = 0;
	while (k < end) {
		char c = s[k];
		int plen = string_prefix(s, k, end);
		if (plen >= 0 && (plen == 0 || k == 0 || !is_name_char((unsigned char) s[k - 1]))) {
			struct strinfo si;
			if (scan_string(lx, k, end, plen, &si) < 0)
				return end + 1;
			k = si.after; /* tokenized with the rest of the expression */
			continue;
		}
		if (c == '(' || c == '[' || c == '{')
			depth++;
		else if ((c == ')' || c == ']' || c == '}') && depth > 0)
			depth--;
		else if (depth == 0) {
			if (c == '}' || c == ':')
				return k;
			if (c == '!' && !(k + 1 < end && s[k + 1] == '='))
				return k;
		}
		k++;
	}
	return end + 1; /* not found */
}

/* A replacement field whose '{' is at k-1; returns the offset after its
 * closing '}', or 0 on error. */
static size_t lex_replacement(struct lexer *lx, size_t k, size_t end)
{
	const char *s = lx->s;
	size_t e = fexpr_end(lx, k, end);
	if (lx->failed)
		return 0;
	if (e > end) {
		fail(lx, k - 1, "f-string: expecting '}'");
		return 0;
	}
	size_t nonblank = k;
	while (nonblank < e && (s[nonblank] == ' ' || s[nonblank] == '\t' || s[nonblank] == '\n'))
		nonblank++;
	if (nonblank == e) {
		fail(lx, k - 1, "f-string: empty expression not allowed");
		return 0;
	}
	if (lex_range(lx, k, e, true) < 0)
		return 0;
	size_t j = e;
	if (s[j] == '!') {
		j++;
		while (j < end && s[j] != ':' && s[j] != '}')
			j++;
	}
	if (j < end && s[j] == ':') {
		/* the format spec, with nested replacement fields */
		j++;
		while (j < end && s[j] != '}') {
			if (s[j] == '{') {
				j = lex_replacement(lx, j + 1, end);
				if (j == 0)
					return 0;
				continue;
			}
			j++;
		}
	}
	if (j >= end || s[j] != '}') {
		fail(lx, k - 1, "f-string: expecting '}'");
		return 0;
	}
	return j + 1;
}

static int lex_fstring_body(struct lexer *lx, size_t a, size_t b, bool raw)
{
	const char *s = lx->s;
	size_t j = a;
	while (j < b) {
		char c = s[j];
		if (c == '\\' && !raw) {
			/* \N{NAME} is an escape, not a replacement field */
			if (j + 2 < b && s[j + 1] == 'N' && s[j + 2] == '{') {
				j += 3;
				while (j < b && s[j] != '}')
					j++;
				j++;
				continue;
			}
			j += 2;
			continue;
		}
		if (c == '{') {
			if (j + 1 < b && s[j + 1] == '{') {
				j += 2;
				continue;
			}
			j = lex_replacement(lx, j + 1, b);
			if (j == 0)
				return -1;
			continue;
		}
		if (c == '}') {
			if (j + 1 < b && s[j + 1] == '}') {
				j += 2;
				continue;
			}
			return fail(lx, j, "f-string: single '}' is not allowed");
		}
		j++;
	}
	return 0;
}

static const char *const ops3[] = { "**=", "//=", ">>=", "<<=", "...", "!=" };
static const char *const ops2[] = { "**", "//", ">>", "<<", "<=", ">=", "==", "!=", "->", ":=",
				    "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "@=" };
static const char ops1[] = "()[]{},:.;@=+-*/%&|^~<>";

static size_t match_op(const char *s, size_t i, size_t end)
{
	for (size_t k = 0; k < sizeof(ops3) / sizeof(ops3[0]); k++) {
		size_t n = strlen(ops3[k]);
		if (end - i >= n && memcmp(s + i, ops3[k], n) == 0)
			return n;
	}
	for (size_t k = 0; k < sizeof(ops2) / sizeof(ops2[0]); k++)
		if (end - i >= 2 && memcmp(s + i, ops2[k], 2) == 0)
			return 2;
	if (s[i] != '\0' && strchr(ops1, s[i]) != NULL)
		return 1;
	return 0;
}

static int lex_range(struct lexer *lx, size_t a, size_t b, bool in_fstring)
{
	const char *s = lx->s;
	size_t i = a;
	int depth = 0;
	bool line_has_tokens = false;
	while (i < b && !lx->failed) {
		unsigned char c = (unsigned char) s[i];
		if (c == ' ' || c == '\t' || c == '\f') {
			i++;
			continue;
		}
		if (c == '\\') {
			size_t n = i + 1;
			if (n < b && s[n] == '\r')
				n++;
			if (n < b && s[n] == '\n') {
				i = n + 1;
				continue;
			}
			return fail(lx, i, "unexpected character after line continuation");
		}
		if (c == '\n' || c == '\r') {
			if (depth == 0 && !in_fstring && line_has_tokens) {
				if (emit(lx, TOK_NEWLINE, i, i + 1, false) == NULL)
					return -1;
				line_has_tokens = false;
			}
			i++;
			continue;
		}
		if (c == '#') {
			while (i < b && s[i] != '\n' && s[i] != '\r')
				i++;
			continue;
		}
		if (c == '\0')
			return fail(lx, i, "NUL byte in source");
		line_has_tokens = true;
		int plen = string_prefix(s, i, b);
		if (plen >= 0) {
			i = lex_string(lx, i, b, plen, in_fstring);
			if (i == 0)
				return -1;
			continue;
		}
		if ((c >= '0' && c <= '9') || (c == '.' && i + 1 < b && s[i + 1] >= '0' && s[i + 1] <= '9')) {
			size_t j = i;
			bool hex = c == '0' && i + 1 < b && (s[i + 1] | 0x20) == 'x';
			while (j < b && (is_name_char((unsigned char) s[j]) || s[j] == '.') &&
			       (unsigned char) s[j] < 0x80) {
				char d = (char) (s[j] | 0x20);
				j++;
				if (!hex && d == 'e' && j < b && (s[j] == '+' || s[j] == '-'))
					j++;
			}
			if (emit(lx, TOK_NUMBER, i, j, in_fstring) == NULL)
				return -1;
			i = j;
			continue;
		}
		if (is_name_start(c)) {
			size_t j = i;
			bool non_ascii = false;
			while (j < b && is_name_char((unsigned char) s[j])) {
				if ((unsigned char) s[j] >= 0x80) {
					size_t n = utf8_len((const unsigned char *) s, j, b);
					if (n == 0)
						return fail(lx, j, "invalid UTF-8 in an identifier");
					non_ascii = true;
					j += n;
				} else {
					j++;
				}
			}
			struct py_token *t = emit(lx, TOK_NAME, i, j, in_fstring);
			if (t == NULL)
				return -1;
			t->non_ascii = non_ascii;
			i = j;
			continue;
		}
		size_t n = match_op(s, i, b);
		if (n == 0)
			return fail(lx, i, "invalid character '%c' (0x%02x)", c >= 0x20 && c < 0x7f ? c : '?', c);
		if (n == 1 && (c == '(' || c == '[' || c == '{'))
			depth++;
		else if (n == 1 && (c == ')' || c == ']' || c == '}')) {
			if (depth == 0 && !in_fstring)
				return fail(lx, i, "unmatched '%c'", c);
			if (depth > 0)
				depth--;
		}
		if (emit(lx, TOK_OP, i, i + n, in_fstring) == NULL)
			return -1;
		i += n;
	}
	if (!in_fstring && !lx->failed && line_has_tokens && emit(lx, TOK_NEWLINE, b, b, false) == NULL)
		return -1;
	return lx->failed ? -1 : 0;
}

int py_tokenize(const char *src, size_t len, struct py_tokens *out, char *why, size_t whylen,
		unsigned *err_line, unsigned *err_col)
{
	memset(out, 0, sizeof(*out));
	struct lexer lx = { src, len, out, why, whylen, 0, 0 };
	/* line table first: positions are needed for every token */
	size_t cap = 64;
	out->line_starts = malloc(cap * sizeof(size_t));
	if (out->line_starts == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	out->line_starts[out->nlines++] = 0;
	for (size_t i = 0; i < len; i++) {
		bool nl = src[i] == '\n' || (src[i] == '\r' && !(i + 1 < len && src[i + 1] == '\n'));
		if (!nl)
			continue;
		if (out->nlines == cap) {
			cap *= 2;
			size_t *n2 = realloc(out->line_starts, cap * sizeof(size_t));
			if (n2 == NULL) {
				snprintf(why, whylen, "out of memory");
				return -1;
			}
			out->line_starts = n2;
		}
		out->line_starts[out->nlines++] = i + 1;
	}
	/* the whole source must be UTF-8 (Python's default encoding) */
	for (size_t i = 0; i < len;) {
		size_t n = utf8_len((const unsigned char *) src, i, len);
		if (n == 0) {
			fail(&lx, i, "source is not valid UTF-8 (byte 0x%02x)", (unsigned char) src[i]);
			break;
		}
		i += n;
	}
	size_t start = 0;
	if (!lx.failed && len >= 3 && memcmp(src, "\xef\xbb\xbf", 3) == 0)
		start = 3; /* UTF-8 byte order mark */
	if (!lx.failed)
		lex_range(&lx, start, len, false);
	if (lx.failed) {
		position(out, src, lx.err_off, err_line, err_col);
		return -1;
	}
	return 0;
}

void py_tokens_free(struct py_tokens *t)
{
	free(t->v);
	free(t->line_starts);
	memset(t, 0, sizeof(*t));
}
