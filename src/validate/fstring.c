/* The replacement fields of an f-string, found as CPython 3.11 finds them
 * (Parser/string_parser.c: fstring_find_literal, fstring_find_expr,
 * _PyPegen_FstringParser_ConcatFstring).  In 3.11 the tokenizer returns
 * an f-string as one STRING token and the parser reads the fields out of
 * its text; each field's expression is then parsed as "(" expr ")".  So
 * this file decides where code hides inside a string, and it has to
 * decide exactly as CPython does:
 *
 *   - "{{" and "}}" are literal braces, in the string but not in a format
 *     spec (f"{x:{{}}}" has a field whose expression is "{}");
 *   - a backslash never escapes a brace: f"\{x}" evaluates x (an older
 *     reading of "\{" as an escaped brace hid f"\{HIDDEN}" from the
 *     check); only "\N{...}" is skipped whole;
 *   - no backslash and no '#' anywhere in an expression, and fields nest
 *     one level deep, in a format spec only. */
#include "validate/lexer.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* fstring_find_literal(): returns 1 after a doubled brace (the literal
 * goes on), 0 at a '{', at a '}' ending a format spec, or at the end; -1
 * on error. */
static int find_literal(struct lexer *lx, size_t *str, size_t end, bool raw, int lvl)
{
	const char *S = lx->s;
	size_t s = *str;
	while (s < end) {
		char ch = S[s++];
		if (!raw && ch == '\\' && s < end) {
			ch = S[s++];
			if (ch == 'N') {
				/* "\N{NAME}": its braces are not a field (and CPython
				 * steps over the byte after \N whatever it is) */
				if (s < end && S[s++] == '{') {
					while (s < end && S[s++] != '}')
						;
				}
				continue;
			}
			/* any other escaped character is itself: "\{" opens a field */
		}
		if (ch == '{' || ch == '}') {
			if (lvl == 0) {
				if (s < end && S[s] == ch) {
					*str = s + 1;
					return 1;
				}
				if (ch == '}')
					return lx_fail(lx, s - 1, "f-string: single '}' is not allowed");
			}
			s--;
			break;
		}
	}
	*str = s;
	return 0;
}

static int fstring_parse(struct lexer *lx, size_t tok, size_t *str, size_t end, bool raw, int lvl,
			 unsigned fdepth);

static size_t new_field(struct lexer *lx, size_t tok, size_t at, int lvl)
{
	struct py_tokens *t = lx->out;
	if (t->nfields == t->fcap) {
		size_t cap = t->fcap ? t->fcap * 2 : 16;
		struct py_field *nf = realloc(t->fields, cap * sizeof(*nf));
		if (nf == NULL)
			return lx_fail(lx, at, "out of memory"), SIZE_MAX;
		t->fields = nf;
		t->fcap = cap;
	}
	struct py_field *f = &t->fields[t->nfields];
	memset(f, 0, sizeof(*f));
	f->string_tok = tok;
	f->level = (unsigned) lvl;
	return t->nfields++;
}

/* Where the expression of the field opened at *str ends: at '!', ':',
 * '}' or '=' outside brackets and strings, but not in "!=", "==", "<=",
 * ">=".  Strings inside are skipped by their quotes alone (no backslash
 * can occur). */
static int find_expr_end(struct lexer *lx, size_t open, size_t *str, size_t end)
{
	const char *S = lx->s;
	char quote = 0, stack[LX_MAXLEVEL];
	int stype = 0, depth = 0;
	for (; *str < end; (*str)++) {
		size_t k = *str;
		char ch = S[k];
		if (ch == '\\')
			return lx_fail(lx, k, "f-string expression part cannot include a backslash");
		if (quote) {
			if (ch == quote) {
				if (stype == 1) {
					quote = 0;
				} else if (k + 2 < end && S[k + 1] == ch && S[k + 2] == ch) {
					*str += 2;
					quote = 0;
				}
			}
			continue;
		}
		if (ch == '\'' || ch == '"') {
			stype = 1;
			if (k + 2 < end && S[k + 1] == ch && S[k + 2] == ch) {
				stype = 3;
				*str += 2;
			}
			quote = ch;
		} else if (ch == '[' || ch == '{' || ch == '(') {
			if (depth >= LX_MAXLEVEL)
				return lx_fail(lx, k, "f-string: too many nested parenthesis");
			stack[depth++] = ch;
		} else if (ch == '#') {
			return lx_fail(lx, k, "f-string expression part cannot include '#'");
		} else if (depth == 0 && strchr("!:}=<>", ch) != NULL) {
			char next = k + 1 < end ? S[k + 1] : 0;
			if (next == '=' && (ch == '!' || ch == '=' || ch == '<' || ch == '>')) {
				*str += 1;
				continue;
			}
			if (ch == '<' || ch == '>')
				continue;
			break;
		} else if (ch == ']' || ch == '}' || ch == ')') {
			if (depth == 0)
				return lx_fail(lx, k, "f-string: unmatched '%c'", ch);
			char o = stack[--depth];
			if (!((o == '(' && ch == ')') || (o == '[' && ch == ']') || (o == '{' && ch == '}')))
				return lx_fail(lx, k,
					       "f-string: closing parenthesis '%c' does not match opening "
					       "parenthesis '%c'",
					       ch, o);
		}
	}
	if (quote)
		return lx_fail(lx, *str, "f-string: unterminated string");
	if (depth)
		return lx_fail(lx, *str, "f-string: unmatched '%c'", stack[depth - 1]);
	if (*str >= end)
		return lx_fail(lx, open, "f-string: expecting '}'");
	return 0;
}

/* fstring_find_expr(): the field whose '{' is at *str. */
static int find_expr(struct lexer *lx, size_t tok, size_t *str, size_t end, bool raw, int lvl,
		     unsigned fdepth)
{
	const char *S = lx->s;
	size_t open = *str;
	if (lvl >= 2)
		return lx_fail(lx, open, "f-string: expressions nested too deeply");
	*str += 1;
	size_t expr_start = *str;
	if (find_expr_end(lx, open, str, end) < 0)
		return -1;
	size_t expr_end = *str;
	/* fstring_compile_expr(): blanks alone are no expression ('\r' too:
	 * CPython has turned it into '\n' by now) */
	size_t k = expr_start;
	while (k < expr_end && strchr(" \t\n\r\f", S[k]) != NULL)
		k++;
	if (k == expr_end)
		return lx_fail(lx, open, "f-string: empty expression not allowed");
	size_t fi = new_field(lx, tok, open, lvl);
	if (fi == SIZE_MAX)
		return -1;
	lx->out->fields[fi].expr_start = expr_start;
	lx->out->fields[fi].expr_end = expr_end;
	lx->out->fields[fi].tok_first = lx->out->n;
	if (lx_code(lx, expr_start, expr_end, fdepth + 1) < 0)
		return -1;
	lx->out->fields[fi].tok_end = lx->out->n;
	if (S[*str] == '=') { /* f"{x=}": the text is printed, then the value */
		*str += 1;
		while (*str < end && strchr(" \t\n\r\v\f", S[*str]) != NULL)
			*str += 1;
		if (*str >= end)
			return lx_fail(lx, open, "f-string: expecting '}'");
	}
	if (S[*str] == '!') {
		*str += 1;
		if (*str >= end)
			return lx_fail(lx, open, "f-string: expecting '}'");
		char conv = S[*str];
		*str += 1;
		if (conv != 's' && conv != 'r' && conv != 'a')
			return lx_fail(lx, *str - 1, "f-string: invalid conversion character: expected "
						     "'s', 'r', or 'a'");
	}
	if (*str < end && S[*str] == ':') {
		*str += 1;
		if (*str >= end)
			return lx_fail(lx, open, "f-string: expecting '}'");
		if (fstring_parse(lx, tok, str, end, raw, lvl + 1, fdepth) < 0)
			return -1;
	}
	if (*str >= end || S[*str] != '}')
		return lx_fail(lx, open, "f-string: expecting '}'");
	*str += 1;
	lx->out->fields[fi].end = *str;
	return 0;
}

/* _PyPegen_FstringParser_ConcatFstring(): literals and fields until the
 * end of the string (level 0) or of a format spec (level 1). */
static int fstring_parse(struct lexer *lx, size_t tok, size_t *str, size_t end, bool raw, int lvl,
			 unsigned fdepth)
{
	for (;;) {
		int r = find_literal(lx, str, end, raw, lvl);
		if (r < 0)
			return -1;
		if (r == 1)
			continue;
		if (*str >= end || lx->s[*str] == '}')
			break;
		if (find_expr(lx, tok, str, end, raw, lvl, fdepth) < 0)
			return -1;
	}
	if (lvl != 0 && (*str >= end || lx->s[*str] != '}'))
		return lx_fail(lx, *str, "f-string: expecting '}'");
	return 0;
}

int lx_fstring(struct lexer *lx, size_t tok, size_t a, size_t b, bool raw, unsigned fdepth)
{
	size_t str = a;
	/* quotes run out first in anything CPython accepts (each level needs a
	 * kind of quote the levels around it do not use); py_token.fdepth
	 * has 5 bits */
	if (fdepth >= 16)
		return lx_fail(lx, a, "f-string: expressions nested too deeply");
	return fstring_parse(lx, tok, &str, b, raw, 0, fdepth);
}
