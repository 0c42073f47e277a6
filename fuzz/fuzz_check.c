/* libFuzzer target: the Python tokenizer and the validator's policy on
 * arbitrary bytes.  libFuzzer hands each input in a buffer of exactly its
 * size, so with ASan any read past the end crashes, and -timeout catches
 * a hang (the check must stay linear).  Seed corpus: tests/validate/.
 *
 * Beyond "no crash", the token stream's invariants are checked (abort on
 * a violation, which libFuzzer reports with the input):
 *   - every token lies inside the input, tokens start in source order,
 *     lines and columns are 1-based and never go back;
 *   - every f-string field's expression lies inside its string's body,
 *     after the previous field of that string, and its tokens are one
 *     level deeper than the string and lie inside the expression;
 *   - a name's NFKC form is set exactly when the name is not ASCII.
 * The first byte picks the policy: the default, or one that refuses
 * non-ASCII identifiers and allows nothing but numpy. */
#include "stratbox/validate.h"
#include "validate/tokenizer.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(c)                                                                                 \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "invariant broken: %s (%s:%d)\n", #c, __FILE__, __LINE__); \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static void check_tokens(const char *src, size_t size)
{
	struct py_tokens t;
	char why[200];
	unsigned line = 0, col = 0;
	if (py_tokenize(src, size, &t, why, sizeof(why), &line, &col) < 0) {
		REQUIRE(line >= 1 && col >= 1);
		py_tokens_free(&t);
		return;
	}
	for (size_t i = 0; i < t.n; i++) {
		const struct py_token *k = &t.v[i];
		REQUIRE((size_t) k->start + k->len <= size);
		REQUIRE(k->line >= 1 && k->col >= 1);
		if (i > 0) {
			const struct py_token *p = &t.v[i - 1];
			REQUIRE(k->start >= p->start);
			REQUIRE(k->line > p->line || (k->line == p->line && k->col >= p->col));
		}
		if (k->type == TOK_NAME)
			REQUIRE((k->aux != 0) == (bool) k->non_ascii);
		if (k->type == TOK_STRING)
			REQUIRE(py_body_start(k) + py_body_len(k) <= (size_t) k->start + k->len);
	}
	for (size_t f = 0; f < t.nfields; f++) {
		const struct py_field *fl = &t.fields[f];
		REQUIRE(fl->string_tok < t.n);
		const struct py_token *s = &t.v[fl->string_tok];
		REQUIRE(s->type == TOK_STRING && s->fmt);
		REQUIRE(fl->expr_start >= py_body_start(s) && fl->expr_start < fl->expr_end);
		REQUIRE(fl->end <= py_body_start(s) + py_body_len(s));
		REQUIRE(fl->tok_first <= fl->tok_end && fl->tok_end <= t.n);
		for (size_t k = fl->tok_first; k < fl->tok_end; k++) {
			REQUIRE(t.v[k].fdepth > s->fdepth);
			REQUIRE(t.v[k].start >= fl->expr_start &&
				t.v[k].start + t.v[k].len <= fl->expr_end);
		}
		if (f > 0 && t.fields[f - 1].string_tok == fl->string_tok &&
		    t.fields[f - 1].level == fl->level)
			REQUIRE(fl->expr_start >= t.fields[f - 1].end);
	}
	py_tokens_free(&t);
}

static sbx_check_policy *strict_policy(void)
{
	char path[] = "/tmp/stratbox-fuzz-policy-XXXXXX";
	int fd = mkstemp(path);
	const char *j = "{\"allowed_imports\": [\"numpy\"], \"allow_non_ascii_identifiers\": false}";
	if (fd < 0 || write(fd, j, strlen(j)) != (ssize_t) strlen(j))
		abort();
	close(fd);
	sbx_error *err = NULL;
	sbx_check_policy *p = sbx_check_policy_load(path, &err);
	unlink(path);
	if (p == NULL)
		abort();
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static sbx_check_policy *policy, *strict;
	if (policy == NULL) {
		policy = sbx_check_policy_default();
		strict = strict_policy();
	}
	check_tokens((const char *) data, size);
	const sbx_check_policy *p = size > 0 && (data[0] & 1) ? strict : policy;
	struct sbx_check_result r;
	sbx_error *err = NULL;
	if (sbx_check_source(p, (const char *) data, size, &r, &err) == 0) {
		size_t errors = 0;
		for (size_t i = 0; i < r.n; i++) {
			REQUIRE(r.v[i].line >= 1 && r.v[i].col >= 1 && r.v[i].message != NULL);
			errors += r.v[i].severity == SBX_SEVERITY_ERROR;
			/* errors first, then warnings */
			if (i > 0)
				REQUIRE(r.v[i - 1].severity <= r.v[i].severity);
		}
		REQUIRE(errors == r.errors);
		char *json = sbx_check_result_to_json(&r, "fuzz.py");
		REQUIRE(json != NULL);
		free(json);
		sbx_check_result_clear(&r);
	} else {
		REQUIRE(err != NULL);
		sbx_error_free(err);
	}
	return 0;
}
