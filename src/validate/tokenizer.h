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
#include <stdint.h>
#include <string.h>

enum py_tok {
	TOK_NAME,
	TOK_NUMBER,
	TOK_STRING,  /* the whole literal, prefix and quotes included */
	TOK_OP,
	TOK_NEWLINE, /* end of a logical line */
	TOK_INDENT,
	TOK_DEDENT,
};

/* 24 bytes: a token list is about a third of the source's size in
 * tokens, and the check runs on the host, outside every job's limits. */
struct py_token {
	uint32_t start, len;  /* byte range in the source */
	uint32_t line, col;   /* 1-based; col counts characters */
	uint32_t aux;	      /* TOK_NAME: 1 + offset of its NFKC form in py_tokens.names
				 (0: an ASCII name, itself); TOK_STRING with fmt: index
				 of its first field in py_tokens.fields */
	unsigned type : 3;    /* enum py_tok */
	unsigned fdepth : 5;  /* how many f-string replacement fields it is inside */
	unsigned non_ascii : 1; /* TOK_NAME: has non-ASCII characters */
	unsigned raw : 1, bytes : 1, fmt : 1; /* TOK_STRING: prefix flags */
	unsigned prefix : 2;  /* TOK_STRING: prefix length */
	unsigned triple : 1;  /* TOK_STRING: triple-quoted */
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
	char *names;		 /* NFKC forms of non-ASCII names, NUL-terminated */
	size_t names_n, names_cap;
};

/* Tokenize src[0..len), len below 4 GiB.  Returns 0, or -1 with a reason,
 * line and column for input Python itself would reject (unterminated
 * string, invalid UTF-8, a NUL byte, unbalanced brackets or f-string
 * braces, bad indentation, a malformed number) or on allocation failure. */
int py_tokenize(const char *src, size_t len, struct py_tokens *out, char *why, size_t whylen,
		unsigned *err_line, unsigned *err_col);
void py_tokens_free(struct py_tokens *t);

/* The name as Python sees it (NFKC for non-ASCII names) and its length. */
static inline const char *py_name(const struct py_tokens *t, const struct py_token *k,
				  const char *src, size_t *len)
{
	if (k->type == TOK_NAME && k->aux != 0) {
		const char *n = t->names + k->aux - 1;
		*len = strlen(n);
		return n;
	}
	*len = k->len;
	return src + k->start;
}

/* A string token's body: the text between its quotes. */
static inline size_t py_body_start(const struct py_token *k)
{
	return k->start + k->prefix + (k->triple ? 3u : 1u);
}

static inline size_t py_body_len(const struct py_token *k)
{
	return k->len - k->prefix - 2u * (k->triple ? 3u : 1u);
}

#endif
