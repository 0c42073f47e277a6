/* A Python 3.11 tokenizer for the static validator.
 *
 * The validator is only worth anything if it reads the code exactly as
 * CPython will, so this is a port of CPython 3.11's own tokenizer
 * (Parser/tokenizer.c) and of its f-string parser (Parser/string_parser.c):
 * the same tokens at the same places, INDENT and DEDENT included, the same
 * numbers (0x1.__class__ is NUMBER '0x1', OP '.', NAME '__class__'), and
 * inside f-strings the same replacement fields (in 3.11 a backslash never
 * escapes a brace: f"\{x}" evaluates x).  Each field's expression is
 * tokenized like any other code.  tests/validate/differential.py holds it
 * to that, with /usr/bin/python3's tokenize and ast as the judge.
 *
 * Linear in the input: positions are tracked by a cursor that only moves
 * forward, brackets are bounded at CPython's 200 levels.  Pure: no I/O, no
 * globals. */
#ifndef STRATBOX_VALIDATE_TOKENIZER_H
#define STRATBOX_VALIDATE_TOKENIZER_H

#include <stdbool.h>
#include <stddef.h>

enum py_tok {
	TOK_NAME,
	TOK_NUMBER,
	TOK_STRING,  /* the whole literal, prefix and quotes included */
	TOK_OP,
	TOK_NEWLINE, /* end of a logical line */
	TOK_INDENT,
	TOK_DEDENT,
};

struct py_token {
	enum py_tok type;
	size_t start, len;    /* byte range in the source */
	unsigned line, col;   /* 1-based; col counts characters */
	unsigned fdepth;      /* how many f-string replacement fields it is inside */
	bool non_ascii;	      /* TOK_NAME: has non-ASCII characters */
	char *norm;	      /* TOK_NAME with non_ascii: its NFKC form, as Python
				 reads it (owned by the token list); else NULL */
	/* TOK_STRING */
	size_t body_start, body_len; /* between the quotes */
	bool raw, bytes, fmt;	     /* prefix flags */
	size_t field0;		     /* fmt: index of its first field in py_tokens.fields */
};

/* One replacement field of an f-string, as 3.11's parser finds it. */
struct py_field {
	size_t string_tok;	     /* the TOK_STRING it belongs to */
	size_t expr_start, expr_end; /* the expression text CPython compiles */
	size_t end;		     /* offset just after the field's closing '}' */
	size_t tok_first, tok_end;   /* its expression's tokens */
	unsigned level;		     /* 0 in the string, 1 in a format spec */
};

struct py_tokens {
	struct py_token *v;
	size_t n, cap;
	struct py_field *fields; /* in source order, nested ones after their parent */
	size_t nfields, fcap;
};

/* Tokenize src[0..len).  Returns 0, or -1 with a reason, line and column
 * for input Python itself would reject (unterminated string, invalid
 * UTF-8, a NUL byte, unbalanced brackets or f-string braces, bad
 * indentation, a malformed number) or on allocation failure. */
int py_tokenize(const char *src, size_t len, struct py_tokens *out, char *why, size_t whylen,
		unsigned *err_line, unsigned *err_col);
void py_tokens_free(struct py_tokens *t);

/* The name as Python sees it (NFKC for non-ASCII names) and its length. */
static inline const char *py_name(const struct py_token *t, const char *src, size_t *len)
{
	if (t->norm != NULL) {
		size_t n = 0;
		while (t->norm[n])
			n++;
		*len = n;
		return t->norm;
	}
	*len = t->len;
	return src + t->start;
}

#endif
