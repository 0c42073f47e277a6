/* CPython 3.11's tokenizer (Parser/tokenizer.c, tok_get), ported for the
 * validator.  The comments name the CPython behaviour each branch mirrors;
 * where CPython only warns (a number glued to a keyword: "1if x else 2"),
 * so does this tokenizer, by producing the same tokens. */
#include "validate/lexer.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uninorm.h>

int lx_fail(struct lexer *lx, size_t off, const char *fmt, ...)
{
	if (!lx->failed) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(lx->why, lx->whylen, fmt, ap);
		va_end(ap);
		lx->err_off = off;
		lx->failed = true;
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

/* Move the cursor to off, counting lines ("\n", "\r\n" or a lone "\r",
 * as CPython's newline translation does) and characters. */
static void advance(struct lexer *lx, size_t off)
{
	const char *s = lx->s;
	if (off < lx->cur_off) { /* only for an error position: start over */
		lx->cur_off = 0;
		lx->cur_line = lx->cur_col = 1;
	}
	size_t i = lx->cur_off;
	unsigned line = lx->cur_line, col = lx->cur_col;
	for (; i < off; i++) {
		unsigned char c = (unsigned char) s[i];
		if (c == '\n' || (c == '\r' && !(i + 1 < lx->len && s[i + 1] == '\n'))) {
			line++;
			col = 1;
		} else if ((c & 0xc0) != 0x80) {
			col++;
		}
	}
	lx->cur_off = off;
	lx->cur_line = line;
	lx->cur_col = col;
}

struct py_token *lx_emit(struct lexer *lx, enum py_tok type, size_t start, size_t end,
			 unsigned fdepth)
{
	struct py_tokens *t = lx->out;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		struct py_token *nv = realloc(t->v, cap * sizeof(*nv));
		if (nv == NULL) {
			lx_fail(lx, start, "out of memory");
			return NULL;
		}
		t->v = nv;
		t->cap = cap;
	}
	struct py_token *tok = &t->v[t->n++];
	memset(tok, 0, sizeof(*tok));
	tok->type = type;
	tok->start = (uint32_t) start; /* py_tokenize() refuses sources of 4 GiB */
	tok->len = (uint32_t) (end - start);
	tok->fdepth = fdepth;
	advance(lx, start);
	tok->line = lx->cur_line;
	tok->col = lx->cur_col;
	return tok;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_xdigit(char c)
{
	return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* is_potential_identifier_start / _char: CPython takes any byte >= 0x80
 * and checks the whole identifier afterwards; it never splits one. */
static bool id_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static bool id_char(unsigned char c)
{
	return id_start(c) || (c >= '0' && c <= '9');
}

/* The string prefix at i, if a string literal starts there: its length
 * (0-2), else -1.  CPython accepts b, r, u, f and the pairs br, rb, fr, rf
 * in any case, and only when the quote follows at once ("rbx'..'" is the
 * name rbx, then a string). */
static int string_prefix(const char *s, size_t i, size_t end)
{
	bool b = false, r = false, u = false, f = false;
	for (size_t p = 0; p <= 2 && i + p < end; p++) {
		char c = s[i + p];
		if (c == '\'' || c == '"')
			return (int) p;
		char l = (char) (c | 0x20);
		if (l == 'b' && !(b || u || f))
			b = true;
		else if (l == 'u' && !(b || u || r || f))
			u = true;
		else if (l == 'r' && !(r || u))
			r = true;
		else if (l == 'f' && !(f || b || u))
			f = true;
		else
			return -1;
	}
	return -1;
}

/* A string literal at i with a prefix of plen: emit it, then its
 * replacement fields if it is an f-string.  Returns the offset after it,
 * or 0 after lx_fail(). */
static size_t lex_string(struct lexer *lx, size_t i, size_t end, int plen, unsigned fdepth)
{
	const char *s = lx->s;
	size_t q = i + (size_t) plen;
	char quote = s[q];
	/* letter_quote: '' is an empty string, ''' opens a triple-quoted one */
	size_t qsize = q + 2 < end && s[q + 1] == quote && s[q + 2] == quote ? 3 : 1;
	size_t body = q + qsize, j = body, run = 0;
	/* the string ends at qsize unescaped quotes in a row; a backslash
	 * skips the next byte, in raw strings too */
	while (run < qsize) {
		if (j >= end)
			return lx_fail(lx, i, "unterminated %sstring literal", qsize == 3 ? "triple-quoted " : ""),
			       0;
		char c = s[j];
		if (qsize == 1 && (c == '\n' || c == '\r'))
			return lx_fail(lx, i, "unterminated string literal (end of line)"), 0;
		if (c == '\0')
			return lx_fail(lx, j, "NUL byte in a string literal"), 0;
		if (c == quote) {
			run++;
			j++;
			continue;
		}
		run = 0;
		if (c == '\\') {
			/* "\\\r\n" is one escaped newline once CPython has
			 * translated newlines */
			j += (j + 2 < end && s[j + 1] == '\r' && s[j + 2] == '\n') ? 3 : 2;
			if (j > end)
				j = end;
			continue;
		}
		j++;
	}
	size_t body_end = j - qsize;
	size_t idx = lx->out->n;
	struct py_token *t = lx_emit(lx, TOK_STRING, i, j, fdepth);
	if (t == NULL)
		return 0;
	t->prefix = (unsigned) plen;
	t->triple = qsize == 3;
	for (int k = 0; k < plen; k++) {
		char c = (char) (s[i + (size_t) k] | 0x20);
		t->raw |= c == 'r';
		t->bytes |= c == 'b';
		t->fmt |= c == 'f';
	}
	if (t->fmt) {
		t->aux = (uint32_t) lx->out->nfields;
		if (lx_fstring(lx, idx, body, body_end, t->raw, fdepth) < 0)
			return 0;
	}
	return j;
}

/* verify_end_of_number(): a number may be followed at once by one of the
 * keywords that can follow it in valid code (CPython warns: "1if x else
 * 2"), by nothing else that could be part of a name. */
static int end_of_number(struct lexer *lx, size_t j, size_t end, const char *kind)
{
	const char *s = lx->s;
	if (j >= end)
		return 0;
	char c = s[j];
	const char *rest = c == 'a' ? "nd" : c == 'e' ? "lse" : c == 'f' ? "or" : c == 'o' ? "r"
			 : c == 'n' ? "ot" : NULL;
	bool kw = false;
	if (rest != NULL) {
		size_t n = strlen(rest);
		kw = end - (j + 1) >= n && memcmp(s + j + 1, rest, n) == 0;
	} else if (c == 'i') {
		kw = j + 1 < end && (s[j + 1] == 'f' || s[j + 1] == 'n' || s[j + 1] == 's');
	}
	if (!kw && id_char((unsigned char) c))
		return lx_fail(lx, j, "invalid %s literal", kind);
	return 0;
}

/* tok_decimal_tail(): digits with single underscores between them. */
static size_t decimal_tail(struct lexer *lx, size_t j, size_t end)
{
	const char *s = lx->s;
	for (;;) {
		while (j < end && is_digit(s[j]))
			j++;
		if (j >= end || s[j] != '_')
			return j;
		j++;
		if (j >= end || !is_digit(s[j])) {
			lx_fail(lx, j, "invalid decimal literal");
			return 0;
		}
	}
}

/* 0x, 0o, 0b: digits of the base with single underscores. */
static size_t radix_number(struct lexer *lx, size_t j, size_t end, int base, const char *kind)
{
	const char *s = lx->s;
	do {
		if (j < end && s[j] == '_')
			j++;
		bool ok = j < end && (base == 16 ? is_xdigit(s[j]) : s[j] >= '0' && s[j] < '0' + base);
		if (!ok) {
			if (base != 16 && j < end && is_digit(s[j]))
				return lx_fail(lx, j, "invalid digit '%c' in %s literal", s[j], kind), 0;
			return lx_fail(lx, j, "invalid %s literal", kind), 0;
		}
		while (j < end && (base == 16 ? is_xdigit(s[j]) : s[j] >= '0' && s[j] < '0' + base))
			j++;
	} while (j < end && s[j] == '_');
	if (base != 16 && j < end && is_digit(s[j]))
		return lx_fail(lx, j, "invalid digit '%c' in %s literal", s[j], kind), 0;
	return end_of_number(lx, j, end, kind) < 0 ? 0 : j;
}

/* The fraction, exponent and imaginary parts, from j (after the integer
 * part, or after the '.').  Returns the end, or 0 after lx_fail(). */
static size_t number_tail(struct lexer *lx, size_t j, size_t end, bool after_dot)
{
	const char *s = lx->s;
	if (!after_dot && j < end && s[j] == '.') {
		j++;
		after_dot = true;
	}
	if (after_dot && j < end && is_digit(s[j]) && (j = decimal_tail(lx, j, end)) == 0)
		return 0;
	if (j < end && (s[j] == 'e' || s[j] == 'E')) {
		size_t e = j++;
		if (j < end && (s[j] == '+' || s[j] == '-')) {
			j++;
			if (j >= end || !is_digit(s[j]))
				return lx_fail(lx, j, "invalid decimal literal"), 0;
		} else if (j >= end || !is_digit(s[j])) {
			/* "1else": the number ends before the 'e' */
			return end_of_number(lx, e, end, "decimal") < 0 ? 0 : e;
		}
		if ((j = decimal_tail(lx, j, end)) == 0)
			return 0;
	}
	if (j < end && (s[j] == 'j' || s[j] == 'J'))
		return end_of_number(lx, j + 1, end, "imaginary") < 0 ? 0 : j + 1;
	return end_of_number(lx, j, end, "decimal") < 0 ? 0 : j;
}

/* A number at i (a digit, or '.' before a digit); returns its end, or 0. */
static size_t lex_number(struct lexer *lx, size_t i, size_t end)
{
	const char *s = lx->s;
	if (s[i] == '.')
		return number_tail(lx, i + 1, end, true);
	if (s[i] != '0') {
		size_t j = decimal_tail(lx, i, end);
		return j == 0 ? 0 : number_tail(lx, j, end, false);
	}
	char x = i + 1 < end ? (char) (s[i + 1] | 0x20) : 0;
	if (x == 'x')
		return radix_number(lx, i + 2, end, 16, "hexadecimal");
	if (x == 'o')
		return radix_number(lx, i + 2, end, 8, "octal");
	if (x == 'b')
		return radix_number(lx, i + 2, end, 2, "binary");
	/* zeros, possibly "0_0"; other digits only before '.', 'e' or 'j' */
	size_t j = i + 1;
	for (;;) {
		if (j < end && s[j] == '_') {
			j++;
			if (j >= end || !is_digit(s[j]))
				return lx_fail(lx, j, "invalid decimal literal"), 0;
		}
		if (j >= end || s[j] != '0')
			break;
		j++;
	}
	bool nonzero = j < end && is_digit(s[j]);
	if (nonzero && (j = decimal_tail(lx, j, end)) == 0)
		return 0;
	char c = j < end ? s[j] : 0;
	if (c == '.' || c == 'e' || c == 'E' || c == 'j' || c == 'J')
		return number_tail(lx, j, end, false);
	if (nonzero)
		return lx_fail(lx, i, "leading zeros in decimal integer literals are not permitted; "
				      "use an 0o prefix for octal integers"),
		       0;
	return end_of_number(lx, j, end, "decimal") < 0 ? 0 : j;
}

/* An identifier at i: its end, and its NFKC form when it is not ASCII
 * (Python normalises identifiers: "ｅｖａｌ" and "ℯval" are eval). */
static size_t lex_name(struct lexer *lx, size_t i, size_t end, unsigned fdepth)
{
	const char *s = lx->s;
	size_t j = i;
	bool non_ascii = false;
	while (j < end && id_char((unsigned char) s[j])) {
		if ((unsigned char) s[j] >= 0x80) {
			non_ascii = true;
			j += utf8_len((const unsigned char *) s, j, end); /* valid: checked up front */
		} else {
			j++;
		}
	}
	struct py_token *t = lx_emit(lx, TOK_NAME, i, j, fdepth);
	if (t == NULL)
		return 0;
	t->non_ascii = non_ascii;
	if (non_ascii) {
		struct py_tokens *o = lx->out;
		size_t nl = 0;
		uint8_t *n = u8_normalize(UNINORM_NFKC, (const uint8_t *) s + i, j - i, NULL, &nl);
		if (n == NULL)
			return lx_fail(lx, i, "out of memory"), 0;
		if (o->names_n + nl + 1 > o->names_cap) {
			size_t cap = o->names_cap ? o->names_cap : 256;
			while (o->names_n + nl + 1 > cap)
				cap *= 2;
			char *np = realloc(o->names, cap);
			if (np == NULL) {
				free(n);
				return lx_fail(lx, i, "out of memory"), 0;
			}
			o->names = np;
			o->names_cap = cap;
		}
		memcpy(o->names + o->names_n, n, nl);
		o->names[o->names_n + nl] = '\0';
		free(n);
		t->aux = (uint32_t) (o->names_n + 1);
		o->names_n += nl + 1;
	}
	return j;
}

/* The operators of Grammar/Tokens, longest first ("<>" only exists
 * under "from __future__ import barry_as_FLUFL", which the parser
 * refuses anyway, so it is left as '<' '>' like Lib/tokenize.py). */
static size_t match_op(const char *s, size_t i, size_t end)
{
	static const char ops3[][4] = { "**=", "...", "//=", "<<=", ">>=" };
	static const char ops2[][3] = { "!=", "%=", "&=", "**", "*=", "+=", "-=", "->", "//", "/=",
					":=", "<<", "<=", "==", ">=", ">>", "@=", "^=", "|=" };
	static const char ops1[] = "%&()*+,-./:;<=>@[]^{|}~";
	for (size_t k = 0; k < sizeof(ops3) / sizeof(ops3[0]); k++)
		if (end - i >= 3 && memcmp(s + i, ops3[k], 3) == 0)
			return 3;
	for (size_t k = 0; k < sizeof(ops2) / sizeof(ops2[0]); k++)
		if (end - i >= 2 && memcmp(s + i, ops2[k], 2) == 0)
			return 2;
	return s[i] != '\0' && strchr(ops1, s[i]) != NULL ? 1 : 0;
}

struct code_state {
	char parens[LX_MAXLEVEL];
	size_t paren_off[LX_MAXLEVEL];
	int level;
	/* CPython decides at the start of a physical line whether it is blank
	 * (only a comment or nothing); a line that is not, even one that is
	 * only a continuation, ends with a NEWLINE token */
	bool line_not_blank;
};

/* Brackets: CPython's paren stack, with its limit and its messages. */
static int bracket(struct lexer *lx, struct code_state *st, size_t i, unsigned fdepth)
{
	char c = lx->s[i];
	if (c == '(' || c == '[' || c == '{') {
		if (st->level >= LX_MAXLEVEL)
			return lx_fail(lx, i, "too many nested parentheses");
		st->paren_off[st->level] = i;
		st->parens[st->level++] = c;
		return 0;
	}
	if (c != ')' && c != ']' && c != '}')
		return 0;
	if (st->level == (fdepth ? 1 : 0))
		return lx_fail(lx, i, "unmatched '%c'", c);
	char open = st->parens[--st->level];
	if (!((open == '(' && c == ')') || (open == '[' && c == ']') || (open == '{' && c == '}')))
		return lx_fail(lx, i, "closing parenthesis '%c' does not match opening parenthesis '%c'",
			       c, open);
	return 0;
}

/* At the start of a physical line outside brackets: measure the
 * indentation and emit INDENT/DEDENT as CPython does (tabs to multiples of
 * 8, a form feed resets the column; blank and comment-only lines do not
 * count).  Returns the offset of the line's first non-blank byte. */
static size_t indentation(struct lexer *lx, struct code_state *st, size_t i, size_t end)
{
	const char *s = lx->s;
	unsigned col = 0, alt = 0;
	for (; i < end; i++) {
		if (s[i] == ' ')
			col++, alt++;
		else if (s[i] == '\t')
			col = (col / 8 + 1) * 8, alt++;
		else if (s[i] == '\f')
			col = alt = 0;
		else
			break;
	}
	if (i >= end || s[i] == '#' || s[i] == '\n' || s[i] == '\r' || st->level > 0)
		return i;
	int k = lx->indent;
	if (col == lx->ind[k]) {
		if (alt != lx->altind[k])
			return lx_fail(lx, i, "inconsistent use of tabs and spaces in indentation"), i;
	} else if (col > lx->ind[k]) {
		if (k + 1 >= LX_MAXINDENT)
			return lx_fail(lx, i, "too many levels of indentation"), i;
		if (alt <= lx->altind[k])
			return lx_fail(lx, i, "inconsistent use of tabs and spaces in indentation"), i;
		lx->indent = ++k;
		lx->ind[k] = col;
		lx->altind[k] = alt;
		lx_emit(lx, TOK_INDENT, i, i, 0);
	} else {
		while (k > 0 && col < lx->ind[k]) {
			k--;
			lx_emit(lx, TOK_DEDENT, i, i, 0);
		}
		lx->indent = k;
		if (col != lx->ind[k])
			return lx_fail(lx, i, "unindent does not match any outer indentation level"), i;
		if (alt != lx->altind[k])
			return lx_fail(lx, i, "inconsistent use of tabs and spaces in indentation"), i;
	}
	return i;
}

/* One token (or a run of blanks, a comment, a newline) at i. */
static size_t code_step(struct lexer *lx, struct code_state *st, size_t i, size_t b,
			unsigned fdepth, bool *atbol)
{
	const char *s = lx->s;
	unsigned char c = (unsigned char) s[i];
	if (c == ' ' || c == '\t' || c == '\f')
		return i + 1;
	if (c == '#') {
		while (i < b && s[i] != '\n' && s[i] != '\r')
			i++;
		return i;
	}
	if (c == '\n' || c == '\r') {
		if (fdepth == 0 && st->level == 0 && st->line_not_blank &&
		    lx_emit(lx, TOK_NEWLINE, i, i + 1, 0) == NULL)
			return 0;
		st->line_not_blank = false;
		*atbol = fdepth == 0;
		return i + (c == '\r' && i + 1 < b && s[i + 1] == '\n' ? 2 : 1);
	}
	if (c == '\\') {
		/* a continuation line: no NEWLINE, no indentation */
		size_t n = i + 1;
		if (n < b && s[n] == '\r')
			n++;
		if (n < b && s[n] == '\n')
			n++;
		if (n == i + 1 && n < b)
			return lx_fail(lx, i, "unexpected character after line continuation character"), 0;
		if (n == i + 1)
			return lx_fail(lx, i, "unexpected EOF while parsing"), 0;
		/* a continuation right before the end is accepted: CPython refuses
		 * it after "\n" but not after "\r\n" (its newline translation adds
		 * a line), and accepting what CPython refuses costs nothing */
		return n;
	}
	if (c == '\0')
		return lx_fail(lx, i, "NUL byte in source"), 0;
	if (id_start(c)) {
		int plen = string_prefix(s, i, b);
		return plen >= 0 ? lex_string(lx, i, b, plen, fdepth) : lex_name(lx, i, b, fdepth);
	}
	if (c == '\'' || c == '"')
		return lex_string(lx, i, b, 0, fdepth);
	if (is_digit((char) c) || (c == '.' && i + 1 < b && is_digit(s[i + 1]))) {
		size_t j = lex_number(lx, i, b);
		if (j == 0 || lx_emit(lx, TOK_NUMBER, i, j, fdepth) == NULL)
			return 0;
		return j;
	}
	size_t n = match_op(s, i, b);
	if (n == 0)
		return lx_fail(lx, i, "invalid character '%c' (U+%04X)", c >= 0x20 && c < 0x7f ? c : '?',
			       c),
		       0;
	if (n == 1 && bracket(lx, st, i, fdepth) < 0)
		return 0;
	if (lx_emit(lx, TOK_OP, i, i + n, fdepth) == NULL)
		return 0;
	return i + n;
}

int lx_code(struct lexer *lx, size_t a, size_t b, unsigned fdepth)
{
	struct code_state *st = malloc(sizeof(*st)); /* 2 KiB: not on the recursion's stack */
	if (st == NULL)
		return lx_fail(lx, a, "out of memory");
	st->level = 0;
	st->line_not_blank = false;
	if (fdepth > 0) { /* the implicit "(" around a field's expression */
		st->paren_off[0] = a;
		st->parens[st->level++] = '(';
	}
	bool atbol = fdepth == 0;
	size_t i = a;
	while (!lx->failed) {
		if (atbol) {
			atbol = false;
			i = indentation(lx, st, i, b);
			if (lx->failed)
				break;
			st->line_not_blank = i < b && lx->s[i] != '#' && lx->s[i] != '\n' &&
					     lx->s[i] != '\r';
		}
		if (i >= b)
			break;
		size_t next = code_step(lx, st, i, b, fdepth, &atbol);
		if (next == 0)
			break;
		i = next;
	}
	if (!lx->failed && st->level > (fdepth ? 1 : 0))
		lx_fail(lx, st->paren_off[st->level - 1], "'%c' was never closed",
			st->parens[st->level - 1]);
	if (!lx->failed && fdepth == 0) {
		/* the implicit newline at the end, then the open blocks close */
		if (st->line_not_blank)
			lx_emit(lx, TOK_NEWLINE, b, b, 0);
		for (; lx->indent > 0 && !lx->failed; lx->indent--)
			lx_emit(lx, TOK_DEDENT, b, b, 0);
	}
	free(st);
	return lx->failed ? -1 : 0;
}

int py_tokenize(const char *src, size_t len, struct py_tokens *out, char *why, size_t whylen,
		unsigned *err_line, unsigned *err_col)
{
	memset(out, 0, sizeof(*out));
	struct lexer lx;
	memset(&lx, 0, sizeof(lx));
	lx.s = src;
	lx.len = len;
	lx.out = out;
	lx.why = why;
	lx.whylen = whylen;
	lx.cur_line = lx.cur_col = 1;
	if (len >= UINT32_MAX) {
		snprintf(why, whylen, "source too large to tokenize");
		*err_line = *err_col = 1;
		return -1;
	}
	/* the whole source must be UTF-8: the runtime decodes it strictly */
	for (size_t i = 0; i < len;) {
		size_t n = utf8_len((const unsigned char *) src, i, len);
		if (n == 0) {
			lx_fail(&lx, i, "source is not valid UTF-8 (byte 0x%02x)", (unsigned char) src[i]);
			break;
		}
		i += n;
	}
	size_t start = 0;
	if (!lx.failed && len >= 3 && memcmp(src, "\xef\xbb\xbf", 3) == 0)
		start = 3; /* a UTF-8 byte order mark */
	if (!lx.failed)
		lx_code(&lx, start, len, 0);
	if (lx.failed) {
		advance(&lx, lx.err_off);
		*err_line = lx.cur_line;
		*err_col = lx.cur_col;
		return -1;
	}
	return 0;
}

void py_tokens_free(struct py_tokens *t)
{
	free(t->v);
	free(t->fields);
	free(t->names);
	memset(t, 0, sizeof(*t));
}
