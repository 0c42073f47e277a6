/* sbx_check_source(): tokenize, then apply the rules to the token stream,
 * and the result's JSON.  The rules themselves are in rules.c (names,
 * attributes, strings) and imports.c (import statements, module chains,
 * optional imports).
 *
 * Rules, each named after a technique (docs/validator.md has the table):
 *   import-not-allowed   a module outside the allow-list, or a denied part of one
 *   relative-import      strategies are one module; "from . import x" reaches packages
 *   star-import          hides which names arrive (and can shadow builtins)
 *   banned-builtin       eval/exec/compile/__import__ run code made at run time;
 *                        globals/locals/vars reach namespaces; getattr & co with a
 *                        computed or dunder name reach anything
 *   banned-identifier    escape hatches reachable without a dunder: frames, code
 *                        objects, pickle, numpy's ctypes bridge
 *   module-attribute     pd.io.common.os, np.core._internal: chains into modules
 *                        off the allow-list and into private module internals
 *   dunder-attribute     obj.__class__.__mro__/__subclasses__/__globals__: the classic
 *                        walk from any object to every class and module
 *   dunder-name          bare __builtins__, __loader__, ... and defining hooks
 *                        like __getattr__ or __reduce__
 *   dunder-string        "{0.__globals__}".format(x), attrgetter("__globals__")
 *   encoding-declaration a "# coding: utf-7" line makes Python read different text
 *   non-ascii-identifier only when the policy forbids them
 *   source-too-large     a size cap
 *   too-many-violations  the report stops after CHECK_MAX_VIOLATIONS
 */
#include "common/util.h"
#include "validate/check.h"
#include "validate/violations.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <string.h>

const char *sbx_severity_name(enum sbx_severity s)
{
	return s == SBX_SEVERITY_WARNING ? "warning" : "error";
}

/* splitmix64's finalizer: every bit of the key moves every bit of the
 * hash (a plain multiply leaves the low bits to the key's low bits, and
 * the line number is in the high ones) */
static size_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return (size_t) (x ^ (x >> 31));
}

/* One report per (line, col, rule): a hash set of the three. */
static bool seen_before(struct checker *c, unsigned line, unsigned col, const char *rule)
{
	uint64_t key = ((uint64_t) line << 32) ^ ((uint64_t) col << 12) ^ (uint64_t) (uintptr_t) rule;
	key |= 1; /* 0 marks an empty slot */
	if (c->nseen * 2 >= c->seen_cap) {
		size_t ncap = c->seen_cap ? c->seen_cap * 2 : 64;
		uint64_t *ns = calloc(ncap, sizeof(uint64_t));
		if (ns == NULL) {
			c->oom = true;
			return true;
		}
		for (size_t i = 0; i < c->seen_cap; i++) {
			if (c->seen[i] == 0)
				continue;
			size_t k = mix(c->seen[i]) & (ncap - 1);
			while (ns[k] != 0)
				k = (k + 1) & (ncap - 1);
			ns[k] = c->seen[i];
		}
		free(c->seen);
		c->seen = ns;
		c->seen_cap = ncap;
	}
	size_t k = mix(key) & (c->seen_cap - 1);
	for (; c->seen[k] != 0; k = (k + 1) & (c->seen_cap - 1))
		if (c->seen[k] == key)
			return true;
	c->seen[k] = key;
	c->nseen++;
	return false;
}

void check_add(struct checker *c, enum sbx_severity sev, unsigned line, unsigned col,
	       const char *rule, const char *fmt, ...)
{
	struct sbx_check_result *r = c->out;
	if (c->oom)
		return;
	if (r->n >= CHECK_MAX_VIOLATIONS) {
		/* a report nobody reads costs memory: count the rest (without
		 * the deduplication, which would cost memory too) */
		c->suppressed++;
		c->suppressed_errors += sev == SBX_SEVERITY_ERROR;
		return;
	}
	if (seen_before(c, line, col, rule))
		return;
	if (r->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct sbx_violation *nv = realloc(r->v, (cap + 1) * sizeof(*nv));
		if (nv == NULL) {
			c->oom = true;
			return;
		}
		r->v = nv;
		c->cap = cap;
	}
	va_list ap;
	va_start(ap, fmt);
	char *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (msg == NULL) {
		c->oom = true;
		return;
	}
	r->v[r->n++] = (struct sbx_violation){ line, col, rule, msg, sev };
	r->errors += sev == SBX_SEVERITY_ERROR;
}

bool tok_raw(const struct checker *c, size_t i, enum py_tok type, const char *text)
{
	if (i >= c->t->n || c->t->v[i].type != type)
		return false;
	size_t n = strlen(text);
	return c->t->v[i].len == n && memcmp(c->src + c->t->v[i].start, text, n) == 0;
}

bool tok_op(const struct checker *c, size_t i, const char *op)
{
	return tok_raw(c, i, TOK_OP, op);
}

const char *tok_norm(const struct checker *c, size_t i, size_t *len)
{
	return py_name(c->t, &c->t->v[i], c->src, len);
}

/* A name token that Python reads as `name` (after NFKC). */
bool tok_name(const struct checker *c, size_t i, const char *name)
{
	if (i >= c->t->n || c->t->v[i].type != TOK_NAME)
		return false;
	size_t len;
	const char *s = tok_norm(c, i, &len);
	return strlen(name) == len && memcmp(s, name, len) == 0;
}

bool is_dunder(const char *s, size_t len)
{
	return len > 4 && s[0] == '_' && s[1] == '_' && s[len - 1] == '_' && s[len - 2] == '_';
}

/* _name: a module's private part (not a dunder, not "_" alone). */
bool is_private(const char *s, size_t len)
{
	return len > 1 && s[0] == '_' && !is_dunder(s, len);
}

/* PEP 263: "coding[:=]name" in a comment on line 1 or 2. */
static void check_encoding(struct checker *c, const char *src, size_t len)
{
	size_t line_start = 0;
	for (unsigned line = 1; line <= 2 && line_start < len; line++) {
		size_t e = line_start;
		while (e < len && src[e] != '\n' && src[e] != '\r')
			e++;
		size_t k = line_start;
		while (k < e && (src[k] == ' ' || src[k] == '\t' || src[k] == '\f'))
			k++;
		for (size_t m = k; k < e && src[k] == '#' && m + 7 < e; m++) {
			if (memcmp(src + m, "coding", 6) != 0 || (src[m + 6] != ':' && src[m + 6] != '='))
				continue;
			size_t v = m + 7;
			while (v < e && (src[v] == ' ' || src[v] == '\t'))
				v++;
			size_t ve = v;
			while (ve < e && (((src[ve] | 0x20) >= 'a' && (src[ve] | 0x20) <= 'z') ||
					  (src[ve] >= '0' && src[ve] <= '9') || src[ve] == '-' ||
					  src[ve] == '_' || src[ve] == '.'))
				ve++;
			char enc[32];
			size_t el = ve - v < sizeof(enc) - 1 ? ve - v : sizeof(enc) - 1;
			for (size_t q = 0; q < el; q++)
				enc[q] = (char) (src[v + q] | 0x20);
			enc[el] = '\0';
			if (strcmp(enc, "utf-8") && strcmp(enc, "utf8") && strcmp(enc, "utf_8") &&
			    strncmp(enc, "utf-8-", 6) && strncmp(enc, "utf_8_", 6))
				check_add(c, SBX_SEVERITY_ERROR, line, (unsigned) (m - line_start) + 1,
					  "encoding-declaration",
					  "the source declares encoding '%s': only UTF-8 is accepted, "
					  "and Python would read different text than this check", enc);
			break;
		}
		line_start = e + 1;
		if (e + 1 < len && src[e] == '\r' && src[e + 1] == '\n')
			line_start++;
	}
}

/* For every bracket and INDENT, the index of its closing token: calls and
 * blocks are then skipped in O(1), which keeps every rule linear. */
static int match_brackets(struct checker *c)
{
	const struct py_tokens *t = c->t;
	c->match = malloc((t->n + 1) * sizeof(uint32_t));
	size_t sp = 0, cap = 64;
	cleanup_free uint32_t *stack = malloc(cap * sizeof(uint32_t));
	if (c->match == NULL || stack == NULL)
		return -1;
	for (size_t i = 0; i < t->n; i++) {
		c->match[i] = NO_MATCH;
		const struct py_token *k = &t->v[i];
		bool open = k->type == TOK_INDENT ||
			    (k->type == TOK_OP && k->len == 1 && strchr("([{", c->src[k->start]));
		bool close = k->type == TOK_DEDENT ||
			     (k->type == TOK_OP && k->len == 1 && strchr(")]}", c->src[k->start]));
		if (open) {
			if (sp == cap) {
				uint32_t *ns = realloc(stack, 2 * cap * sizeof(uint32_t));
				if (ns == NULL)
					return -1;
				stack = ns;
				cap *= 2;
			}
			stack[sp++] = (uint32_t) i;
		} else if (close && sp > 0) {
			c->match[stack[--sp]] = (uint32_t) i;
		}
	}
	return 0;
}

/* The rules over the whole token stream, in source order. */
static void check_tokens(struct checker *c)
{
	const struct py_tokens *t = c->t;
	for (size_t i = 0; i < t->n && !c->oom;) {
		const struct py_token *k = &t->v[i];
		bool stmt_start = i == 0 || t->v[i - 1].type == TOK_NEWLINE ||
				  t->v[i - 1].type == TOK_INDENT || t->v[i - 1].type == TOK_DEDENT ||
				  tok_op(c, i - 1, ";") || tok_op(c, i - 1, ":");
		if (k->type == TOK_STRING) {
			rules_strings(c, i, &i);
		} else if (tok_raw(c, i, TOK_NAME, "import")) {
			i = rules_import(c, i, false);
		} else if (stmt_start && tok_raw(c, i, TOK_NAME, "from")) {
			/* yield from / raise ... from never start a statement */
			i = rules_import(c, i, true);
		} else if (k->type == TOK_NAME) {
			rules_name(c, i);
			rules_module_chain(c, i);
			i++;
		} else {
			i++;
		}
	}
}

/* Errors first, then warnings, each in source order (stable). */
static void order_result(struct checker *c)
{
	struct sbx_check_result *r = c->out;
	if (c->suppressed > 0) {
		char *msg = NULL;
		if (asprintf(&msg, "%zu more violations not shown (%zu of them errors): fix these first",
			     c->suppressed, c->suppressed_errors) >= 0) {
			enum sbx_severity sev =
				c->suppressed_errors ? SBX_SEVERITY_ERROR : SBX_SEVERITY_WARNING;
			r->v[r->n++] = (struct sbx_violation){ 1, 1, "too-many-violations", msg, sev };
			r->errors += sev == SBX_SEVERITY_ERROR;
		}
	}
	if (r->errors == r->n || r->errors == 0)
		return;
	struct sbx_violation *sorted = malloc(r->n * sizeof(*sorted));
	if (sorted == NULL) {
		c->oom = true;
		return;
	}
	size_t k = 0;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < r->n; i++)
			if ((r->v[i].severity == SBX_SEVERITY_ERROR) == (pass == 0))
				sorted[k++] = r->v[i];
	memcpy(r->v, sorted, r->n * sizeof(*sorted));
	free(sorted);
}

static void checker_free(struct checker *c)
{
	free(c->match);
	free(c->optional);
	free(c->seen);
	bindings_free(&c->bind);
}

int sbx_check_source(const sbx_check_policy *p, const char *src, size_t len,
		     struct sbx_check_result *out, sbx_error **err)
{
	memset(out, 0, sizeof(*out));
	struct checker c;
	memset(&c, 0, sizeof(c));
	c.p = p;
	c.src = src;
	c.out = out;
	if (len > p->max_source_bytes) {
		check_add(&c, SBX_SEVERITY_ERROR, 1, 1, "source-too-large",
			  "the source is %zu bytes; the limit is %zu", len, p->max_source_bytes);
		checker_free(&c);
		return c.oom ? sbx_error_set(err, ENOMEM, "check") : 0;
	}
	struct py_tokens t;
	char why[200];
	unsigned el = 0, ec = 0;
	if (py_tokenize(src, len, &t, why, sizeof(why), &el, &ec) < 0) {
		py_tokens_free(&t);
		return sbx_error_set_at(err, SBX_ERR_SYNTAX, el, ec, "%s", why);
	}
	c.t = &t;
	if (match_brackets(&c) < 0)
		c.oom = true;
	if (!c.oom)
		rules_record_import_bindings(&c);
	if (!c.oom)
		rules_mark_optional_imports(&c);
	if (!c.oom) {
		check_encoding(&c, src, len);
		check_tokens(&c);
		order_result(&c);
	}
	checker_free(&c);
	py_tokens_free(&t);
	if (c.oom) {
		sbx_check_result_clear(out);
		return sbx_error_set(err, ENOMEM, "check");
	}
	return 0;
}

void sbx_check_result_clear(struct sbx_check_result *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].message);
	free(r->v);
	memset(r, 0, sizeof(*r));
}

json_t *validate_violations_json(const struct sbx_check_result *r)
{
	json_t *a = json_array();
	for (size_t i = 0; i < r->n; i++) {
		json_t *v = json_object();
		json_object_set_new(v, "line", json_integer(r->v[i].line));
		json_object_set_new(v, "col", json_integer(r->v[i].col));
		json_object_set_new(v, "rule", json_string(r->v[i].rule));
		json_object_set_new(v, "severity", json_string(sbx_severity_name(r->v[i].severity)));
		json_object_set_new(v, "message", json_string(r->v[i].message));
		json_array_append_new(a, v);
	}
	return a;
}

char *sbx_check_result_to_json(const struct sbx_check_result *r, const char *file)
{
	json_t *o = json_object();
	if (file)
		json_object_set_new(o, "file", json_string(file));
	json_object_set_new(o, "ok", json_boolean(r->errors == 0));
	json_object_set_new(o, "errors", json_integer((json_int_t) r->errors));
	json_object_set_new(o, "warnings", json_integer((json_int_t) (r->n - r->errors)));
	json_object_set_new(o, "violations", validate_violations_json(r));
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}
