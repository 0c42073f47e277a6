/* The tokenizer's internals, shared by tokenizer.c (CPython's
 * Parser/tokenizer.c) and fstring.c (the f-string part of CPython's
 * Parser/string_parser.c).  Not a public interface. */
#ifndef STRATBOX_VALIDATE_LEXER_H
#define STRATBOX_VALIDATE_LEXER_H

#include "validate/tokenizer.h"

#include <stdbool.h>
#include <stddef.h>

/* CPython's limits (Parser/tokenizer.h): brackets and indentation. */
#define LX_MAXLEVEL 200
#define LX_MAXINDENT 100

struct lexer {
	const char *s;
	size_t len;
	struct py_tokens *out;
	char *why;
	size_t whylen;
	size_t err_off;
	bool failed;
	/* the position of cur_off; tokens arrive in source order, so the
	 * cursor only moves forward and positions cost O(n) in all */
	size_t cur_off;
	unsigned cur_line, cur_col;
	/* indentation stack: columns with tabs to 8, and to 1 (CPython's
	 * "altcol", which catches inconsistent tabs and spaces) */
	unsigned ind[LX_MAXINDENT], altind[LX_MAXINDENT];
	int indent;
};

int lx_fail(struct lexer *lx, size_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
struct py_token *lx_emit(struct lexer *lx, enum py_tok type, size_t start, size_t end,
			 unsigned fdepth);
/* Tokenize the code in [a, b): a whole module when fdepth is 0, else the
 * expression of an f-string replacement field (CPython parses it as
 * "(" expr ")", so it is read inside one level of brackets). */
int lx_code(struct lexer *lx, size_t a, size_t b, unsigned fdepth);
/* The replacement fields of the f-string token tok, whose body (between
 * the quotes) is [a, b). */
int lx_fstring(struct lexer *lx, size_t tok, size_t a, size_t b, bool raw, unsigned fdepth);

#endif
