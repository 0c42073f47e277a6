/* vprobe: the validator's test-only entry point, driven by the Python
 * tests in this directory (differential.py, modwalk.py, ...).
 *
 * Reads records from stdin, each a header line "MODE LEN\n" and LEN bytes
 * of source, and answers each with one JSON line on stdout:
 *
 *   tokens  {"ok":true,"tokens":[[TYPE,LINE,COL,TEXT,NAME,FDEPTH],...],
 *            "fields":[[STRING_TOKEN,EXPR_START,EXPR_END,LEVEL,TOK_FIRST,TOK_END],...],
 *            "values":[[TOKEN,VALUE],...]}
 *           TYPE as in Lib/token.py (NAME, NUMBER, STRING, OP, NEWLINE, INDENT,
 *           DEDENT); COL 0-based in characters; NAME the NFKC form of a NAME
 *           token; EXPR_* byte offsets of a field's expression; VALUE the
 *           decoded value of a non-f string literal, as the dunder-string
 *           rule sees it; FDEPTH how many f-string fields the token is in.
 *           Or {"ok":false,"line":L,"col":C,"error":"..."}.
 *   check   {"ok":true,"errors":N,"violations":[[RULE,LINE,COL,SEVERITY],...]}
 *           with the default policy, or {"ok":false,"error":"..."}.
 *   policy  the default policy's lists: {"allowed_imports":[...], ...} (the
 *           source is ignored).
 *
 * One process serves thousands of inputs: the judge's cost is its own. */
#include "stratbox/validate.h"
#include "validate/check.h"
#include "validate/tokenizer.h"

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const type_names[] = {
	[TOK_NAME] = "NAME",	 [TOK_NUMBER] = "NUMBER",   [TOK_STRING] = "STRING",
	[TOK_OP] = "OP",	 [TOK_NEWLINE] = "NEWLINE", [TOK_INDENT] = "INDENT",
	[TOK_DEDENT] = "DEDENT",
};

static json_t *tokens_json(const char *src, size_t len)
{
	struct py_tokens t;
	char why[200];
	unsigned line = 0, col = 0;
	json_t *o = json_object();
	if (py_tokenize(src, len, &t, why, sizeof(why), &line, &col) < 0) {
		json_object_set_new(o, "ok", json_false());
		json_object_set_new(o, "line", json_integer(line));
		json_object_set_new(o, "col", json_integer(col ? col - 1 : 0));
		json_object_set_new(o, "error", json_string(why));
		py_tokens_free(&t);
		return o;
	}
	json_t *toks = json_array(), *fields = json_array(), *values = json_array();
	for (size_t i = 0; i < t.n; i++) {
		const struct py_token *k = &t.v[i];
		size_t nl;
		const char *nm = py_name(&t, k, src, &nl);
		json_array_append_new(
			toks, json_pack("[s,i,i,s%,s%,i]", type_names[k->type], (json_int_t) k->line,
					(json_int_t) k->col - 1, src + k->start, k->len,
					k->type == TOK_NAME ? nm : "", k->type == TOK_NAME ? nl : 0,
					(json_int_t) k->fdepth));
		if (k->type == TOK_STRING && !k->fmt) {
			struct strbuf b = { 0 };
			strlit_decode(&b, src + py_body_start(k), py_body_len(k), k->raw, k->bytes);
			json_array_append_new(values,
					      json_pack("[i,s%]", (json_int_t) i, b.v ? b.v : "", b.n));
			free(b.v);
		}
	}
	for (size_t f = 0; f < t.nfields; f++) {
		const struct py_field *fl = &t.fields[f];
		json_array_append_new(fields, json_pack("[i,i,i,i,i,i]", (json_int_t) fl->string_tok,
							(json_int_t) fl->expr_start,
							(json_int_t) fl->expr_end, (json_int_t) fl->level,
							(json_int_t) fl->tok_first,
							(json_int_t) fl->tok_end));
	}
	json_object_set_new(o, "ok", json_true());
	json_object_set_new(o, "tokens", toks);
	json_object_set_new(o, "fields", fields);
	json_object_set_new(o, "values", values);
	py_tokens_free(&t);
	return o;
}

static json_t *check_json(const sbx_check_policy *p, const char *src, size_t len)
{
	struct sbx_check_result r;
	sbx_error *err = NULL;
	json_t *o = json_object();
	if (sbx_check_source(p, src, len, &r, &err) < 0) {
		json_object_set_new(o, "ok", json_false());
		json_object_set_new(o, "error", json_string(err->msg));
		sbx_error_free(err);
		return o;
	}
	json_t *v = json_array();
	for (size_t i = 0; i < r.n; i++)
		json_array_append_new(v, json_pack("[s,i,i,s]", r.v[i].rule, (json_int_t) r.v[i].line,
						   (json_int_t) r.v[i].col,
						   sbx_severity_name(r.v[i].severity)));
	json_object_set_new(o, "ok", json_true());
	json_object_set_new(o, "errors", json_integer((json_int_t) r.errors));
	json_object_set_new(o, "violations", v);
	sbx_check_result_clear(&r);
	return o;
}

static json_t *policy_json(const sbx_check_policy *p)
{
	static const struct {
		const char *key;
		size_t off;
	} lists[] = {
#define L(k, f) { k, offsetof(struct sbx_check_policy, f) }
		L("allowed_imports", imports),	       L("banned_builtins", banned_builtins),
		L("banned_identifiers", banned_identifiers), L("module_attributes", module_attributes),
		L("denied_members", denied_members),   L("names_in_strings", names_in_strings),
#undef L
	};
	json_t *o = json_object();
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		const struct strset *l = (const struct strset *) (const void *) ((const char *) p +
										 lists[i].off);
		json_t *a = json_array();
		for (size_t k = 0; k < l->n; k++)
			json_array_append_new(a, json_string(l->v[k]));
		json_object_set_new(o, lists[i].key, a);
	}
	return o;
}

int main(void)
{
	sbx_check_policy *p = sbx_check_policy_default();
	char mode[16];
	size_t len;
	if (p == NULL)
		return 1;
	while (scanf("%15s %zu", mode, &len) == 2) {
		if (getchar() != '\n' || len > (64u << 20))
			return 2;
		char *src = malloc(len + 1);
		if (src == NULL || fread(src, 1, len, stdin) != len)
			return 2;
		src[len] = '\0';
		json_t *o = strcmp(mode, "check") == 0	  ? check_json(p, src, len)
			    : strcmp(mode, "policy") == 0 ? policy_json(p)
							  : tokens_json(src, len);
		char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
		puts(s ? s : "{\"ok\":false,\"error\":\"json\"}");
		fflush(stdout);
		free(s);
		json_decref(o);
		free(src);
	}
	sbx_check_policy_free(p);
	return 0;
}
