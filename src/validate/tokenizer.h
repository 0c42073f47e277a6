/* A Python 3 tokenizer for the static validator.
 *
 * It produces the tokens the policy needs -- names, strings, numbers and
 * operators with their line and column -- and descends into f-string
 * replacement fields, so an expression hidden in f"{...}" is seen like
 * any other.  It does not build a syntax tree and does not track
 * indentation.  Pure: no I/O, no globals. */
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
};

struct py_token {
	enum py_tok type;
	size_t start, len;	  /* byte range in the source */
	unsigned line, col;	  /* 1-based; col counts bytes */
	bool in_fstring;	  /* inside an f-string replacement field */
	bool non_ascii;		  /* TOK_NAME: has non-ASCII characters */
	size_t body_start, body_len; /* TOK_STRING: between the quotes */
	bool raw, bytes, fmt;	  /* TOK_STRING prefix flags */
};

struct py_tokens {
	struct py_token *v;
	size_t n, cap;
	size_t *line_starts; /* offsets where each line begins */
	size_t nlines;
};

/* Tokenize src[0..len).  Returns 0, or -1 with a reason, line and column
 * for input Python itself would reject (unterminated string, invalid
 * UTF-8, a NUL byte, unbalanced f-string braces). */
int py_tokenize(const char *src, size_t len, struct py_tokens *out, char *why, size_t whylen,
		unsigned *err_line, unsigned *err_col);
void py_tokens_free(struct py_tokens *t);

#endif
