/* The validator's internals: the policy's lists, the checker the rules
 * share, and the string-literal decoder.  Not a public interface
 * (include/stratbox/validate.h is). */
#ifndef STRATBOX_VALIDATE_CHECK_H
#define STRATBOX_VALIDATE_CHECK_H

#include "stratbox/validate.h"
#include "validate/tokenizer.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A list of names with a hash index: lookups stay O(1) whatever the size
 * of the policy, so the check stays linear in the source. */
struct strset {
	char **v;
	size_t n;
	uint32_t *slot; /* open addressing: index + 1, 0 = empty */
	size_t nslot;
};

bool strset_has(const struct strset *l, const char *s, size_t len);

struct sbx_check_policy {
	struct strset imports;		   /* allowed import roots */
	struct strset banned_builtins;	   /* refused however they are used */
	struct strset literal_builtins;	   /* getattr & co: only with a literal ordinary name */
	struct strset self_builtins;	   /* vars: only as vars(self) */
	struct strset banned_identifiers;  /* escape hatches that need no dunder */
	struct strset module_attributes;   /* .os, .sys, ...: modules off the allow-list */
	struct strset denied_members;	   /* "logging.config": parts of allowed modules */
	struct strset dunder_access;	   /* obj.__x__ allowed */
	struct strset dunder_names;	   /* bare __x__ allowed */
	struct strset dunder_defs;	   /* def __x__ allowed */
	struct strset names_in_strings;	   /* refused inside a string's literal text */
	size_t max_source_bytes;
	bool allow_non_ascii_identifiers;
};

/* ---- the checker: one check of one source ---- */

#define CHECK_MAX_VIOLATIONS 200 /* then one "too-many-violations" entry */
#define NO_MATCH UINT32_MAX

/* Names bound by import statements ("np" -> "numpy"), for the chains
 * that start at a module: np.core._internal, logging.config. */
struct binding {
	const char *name; /* in the source (or a token's NFKC form) */
	size_t len;
	char *path; /* the dotted module path, owned */
};
struct bindings {
	struct binding *v;
	size_t n, cap;
	uint32_t *slot; /* open addressing: index + 1 */
	size_t nslot;
};

struct checker {
	const sbx_check_policy *p;
	const char *src;
	const struct py_tokens *t;
	uint32_t *match;     /* bracket/INDENT token -> its closing token (or NO_MATCH) */
	int8_t *optional;    /* >0: inside a try whose handler catches ImportError
				(tries nest at most 100 deep: CPython's indentation limit) */
	struct sbx_check_result *out;
	size_t cap;
	size_t suppressed, suppressed_errors;
	uint64_t *seen;	     /* (line, col, rule) already reported: a hash set */
	size_t nseen, seen_cap;
	struct bindings bind;
	bool oom;
};

void check_add(struct checker *c, enum sbx_severity sev, unsigned line, unsigned col,
	       const char *rule, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* token helpers */
bool tok_raw(const struct checker *c, size_t i, enum py_tok type, const char *text);
bool tok_name(const struct checker *c, size_t i, const char *name);
bool tok_op(const struct checker *c, size_t i, const char *op);
const char *tok_norm(const struct checker *c, size_t i, size_t *len);
bool is_dunder(const char *s, size_t len);
bool is_private(const char *s, size_t len);

/* rules.c and imports.c */
void check_identifier(struct checker *c, const struct py_token *t, const char *name, size_t len);
/* Whether an attribute name, written .name or as a literal, reaches
 * something the policy refuses; reports it at t when report is set. */
bool rules_attr_refused(struct checker *c, const struct py_token *t, const char *nm, size_t len,
			bool report);
/* Whether module_tok (a name bound by an import, or SIZE_MAX) followed by
 * .name is a private or denied part of that module. */
bool module_member_refused(struct checker *c, size_t module_tok, const struct py_token *at,
			   const char *name, size_t len, bool report);
void rules_name(struct checker *c, size_t i);
size_t rules_import(struct checker *c, size_t i, bool is_from);
void rules_strings(struct checker *c, size_t i, size_t *next);
void rules_module_chain(struct checker *c, size_t i);
void rules_mark_optional_imports(struct checker *c);
void rules_record_import_bindings(struct checker *c);
const char *bindings_get(const struct bindings *b, const char *name, size_t len);
void bindings_free(struct bindings *b);

/* ---- string literals (strlit.c) ---- */

/* Append the value of a literal's text [s, s+n) to *buf (UTF-8; a bytes
 * literal's non-ASCII bytes become '?'): escapes decoded as Python does,
 * "\N{LOW LINE}" included.  Returns 0 or -1 (out of memory). */
struct strbuf {
	char *v;
	size_t n, cap;
};
int strlit_decode(struct strbuf *b, const char *s, size_t n, bool raw, bool bytes);
int strbuf_put(struct strbuf *b, const char *s, size_t n);

#endif
