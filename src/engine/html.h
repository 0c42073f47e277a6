/* Writing HTML that carries hostile text: an output buffer and the
 * escapers for each context text can land in.  Pure functions, no I/O.
 *
 * Everything a strategy controls (its output, its exception's text, the
 * names of its parameters and their values, symbol names read from file
 * names) reaches the report through these, and only these:
 *
 *   hb_text()         HTML text and double- or single-quoted attribute values
 *   hb_script_json()  JSON inside <script type="application/json">
 *
 * Unescaped writes (hb_put, hb_puts, hb_printf) are for the report's own
 * markup and for numbers.  (Text in a <pre> follows a newline: the parser
 * drops one right after the start tag, which would eat the text's own.) */
#ifndef STRATBOX_ENGINE_HTML_H
#define STRATBOX_ENGINE_HTML_H

#include <stdbool.h>
#include <stddef.h>

/* A growing string that remembers an allocation failure: writers append
 * without checking every call, and the caller checks `oom` once. */
struct hbuf {
	char *v;
	size_t n, cap;
	bool oom;
};

void hb_put(struct hbuf *b, const char *s, size_t n);
void hb_puts(struct hbuf *b, const char *s);
void hb_printf(struct hbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* s[0..len) as HTML text, safe in element content and in quoted attribute
 * values: & < > " ' become character references (so no tag, entity or
 * attribute can start or end), invalid UTF-8 becomes U+FFFD (a lone byte
 * must not merge with the markup that follows in a lenient decoder), and
 * NUL and the C0 controls other than tab, LF and CR become U+FFFD (the
 * parser's own treatment of NUL, made explicit). */
void hb_text(struct hbuf *b, const char *s, size_t len);
void hb_texts(struct hbuf *b, const char *s);

/* A JSON text (jansson's output: < > & U+2028 U+2029 occur only inside its
 * strings) written so that it cannot leave the <script> element that holds
 * it: < > & become \u003c \u003e \u0026, so neither "</script" nor "<!--"
 * (which would switch the tokenizer into its escaped states) can occur,
 * and U+2028/U+2029 become \u2028 \u2029 (line terminators to a JavaScript
 * parser before ES2019, were the block ever evaluated as script).  Invalid
 * UTF-8 becomes U+FFFD. */
void hb_script_json(struct hbuf *b, const char *json, size_t len);

/* The text, NUL-terminated, handed to the caller (NULL after a failure);
 * the buffer is empty again. */
char *hb_steal(struct hbuf *b);
void hb_free(struct hbuf *b);

#endif
