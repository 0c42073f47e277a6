/* The report's output buffer and escapers (html.h says which text goes
 * through which). */
#include "engine/html.h"

#include "common/parse.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool reserve(struct hbuf *b, size_t more)
{
	if (b->oom)
		return false;
	if (more < b->cap - b->n)
		return true;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap - b->n <= more) {
		if (cap > ((size_t) -1) / 2) {
			b->oom = true;
			return false;
		}
		cap *= 2;
	}
	char *v = realloc(b->v, cap);
	if (v == NULL) {
		b->oom = true;
		return false;
	}
	b->v = v;
	b->cap = cap;
	return true;
}

void hb_put(struct hbuf *b, const char *s, size_t n)
{
	if (!reserve(b, n))
		return;
	memcpy(b->v + b->n, s, n);
	b->n += n;
	b->v[b->n] = '\0';
}

void hb_puts(struct hbuf *b, const char *s)
{
	hb_put(b, s, strlen(s));
}

void hb_printf(struct hbuf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	if ((size_t) n < sizeof(small)) {
		hb_put(b, small, (size_t) n);
		return;
	}
	if (!reserve(b, (size_t) n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->v + b->n, (size_t) n + 1, fmt, ap);
	va_end(ap);
	b->n += (size_t) n;
}

/* s as valid UTF-8: s itself when it is, else a sanitized copy in *tmp. */
static const char *valid_utf8(const char *s, size_t *len, char **tmp)
{
	*tmp = NULL;
	if (utf8_valid(s, *len))
		return s;
	if (*len > (((size_t) -1) - 1) / 3 || (*tmp = malloc(*len * 3 + 1)) == NULL)
		return NULL;
	*len = utf8_sanitize(s, *len, *tmp);
	return *tmp;
}

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */

void hb_text(struct hbuf *b, const char *s, size_t len)
{
	char *tmp;
	const char *u = valid_utf8(s, &len, &tmp);
	if (u == NULL) {
		b->oom = true;
		return;
	}
	size_t run = 0; /* bytes copied as they are, written in one go */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char) u[i];
		const char *rep;
		switch (c) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		case '\t':
		case '\n':
		case '\r': rep = NULL; break;
		default: rep = c < 0x20 ? REPLACEMENT : NULL; break;
		}
		if (rep == NULL)
			continue;
		hb_put(b, u + run, i - run);
		hb_puts(b, rep);
		run = i + 1;
	}
	hb_put(b, u + run, len - run);
	free(tmp);
}

void hb_texts(struct hbuf *b, const char *s)
{
	hb_text(b, s, strlen(s));
}

void hb_script_json(struct hbuf *b, const char *json, size_t len)
{
	char *tmp;
	const char *u = valid_utf8(json, &len, &tmp);
	if (u == NULL) {
		b->oom = true;
		return;
	}
	size_t run = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char) u[i];
		const char *rep = NULL;
		size_t skip = 1;
		if (c == '<')
			rep = "\\u003c";
		else if (c == '>')
			rep = "\\u003e";
		else if (c == '&')
			rep = "\\u0026";
		else if (c == 0xe2 && i + 2 < len && (unsigned char) u[i + 1] == 0x80 &&
			 ((unsigned char) u[i + 2] == 0xa8 || (unsigned char) u[i + 2] == 0xa9)) {
			rep = (unsigned char) u[i + 2] == 0xa8 ? "\\u2028" : "\\u2029";
			skip = 3;
		}
		if (rep == NULL)
			continue;
		hb_put(b, u + run, i - run);
		hb_puts(b, rep);
		i += skip - 1;
		run = i + 1;
	}
	hb_put(b, u + run, len - run);
	free(tmp);
}

char *hb_steal(struct hbuf *b)
{
	if (b->oom || !reserve(b, 0)) {
		hb_free(b);
		return NULL;
	}
	b->v[b->n] = '\0';
	char *v = b->v;
	*b = (struct hbuf){ 0 };
	return v;
}

void hb_free(struct hbuf *b)
{
	free(b->v);
	*b = (struct hbuf){ 0 };
}
