/* The static validator: the tokenizer on its own, the escape corpora (each
 * attempt rejected by the rule that names its technique), the ordinary
 * strategies (none rejected) and the LLM-style ones (the false-rejection
 * rate, printed, at most 5 %), unusable input, and policy files.  The
 * table-driven cases are in test_validate_rules.c. */
#include "harness.h"
#include "helpers.h"
#include "stratbox/validate.h"
#include "unit.h"
#include "validate/tokenizer.h"
#include "validate_cases.h"

#include <dirent.h>
#include <stdio.h>
#include <unistd.h>

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	CHECK(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	char *buf = malloc((size_t) n + 1);
	CHECK(fread(buf, 1, (size_t) n, f) == (size_t) n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t) n;
	return buf;
}

static int check_text(const char *src, struct sbx_check_result *r, sbx_error **err)
{
	sbx_check_policy *p = sbx_check_policy_default();
	int rc = sbx_check_source(p, src, strlen(src), r, err);
	sbx_check_policy_free(p);
	return rc;
}

static bool has_rule(const struct sbx_check_result *r, const char *rule)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->v[i].rule, rule) == 0)
			return true;
	return false;
}

void u_tokenizer_finds_tokens_and_positions(void)
{
	validate_tokenizer_corners();
	validate_large_inputs();
	const char *src = "x = f'a{b!r:>{w}}c' + rb'\\'' \\\n  + \"\"\"t\n'q'\"\"\"  # c\ny=1;z=2\n";
	struct py_tokens t;
	char why[128];
	unsigned l, c;
	CHECK(py_tokenize(src, strlen(src), &t, why, sizeof(why), &l, &c) == 0, "%s", why);
	/* x = STRING(b, w inside) + STRING + STRING NEWLINE y = 1 ; z = 2 NEWLINE */
	int names = 0, strings = 0, newlines = 0, in_f = 0;
	for (size_t i = 0; i < t.n; i++) {
		names += t.v[i].type == TOK_NAME;
		strings += t.v[i].type == TOK_STRING;
		newlines += t.v[i].type == TOK_NEWLINE;
		in_f += t.v[i].fdepth > 0;
	}
	CHECK_INT_EQ(strings, 3);
	CHECK_INT_EQ(names, 5); /* x b w y z */
	CHECK_INT_EQ(in_f, 2);	/* b and w, from inside the f-string */
	CHECK_INT_EQ(newlines, 2);
	/* positions: y is on line 4 col 1 */
	bool found = false;
	for (size_t i = 0; i < t.n; i++)
		if (t.v[i].type == TOK_NAME && src[t.v[i].start] == 'y') {
			CHECK_INT_EQ(t.v[i].line, 4);
			CHECK_INT_EQ(t.v[i].col, 1);
			found = true;
		}
	CHECK(found);
	py_tokens_free(&t);

	/* column counts characters: "é" is one column */
	const char *u = "é = 1; eval\n";
	CHECK(py_tokenize(u, strlen(u), &t, why, sizeof(why), &l, &c) == 0);
	CHECK_INT_EQ(t.v[t.n - 2].col, 8);
	py_tokens_free(&t);

	/* unusable input: line and column of the problem */
	static const struct {
		const char *src;
		size_t len;
		unsigned line, col;
	} bad[] = {
		{ "x = 'abc\n", 9, 1, 5 },
		{ "x = 1\ny = '''abc\n", 17, 2, 5 },
		{ "x = \xff\n", 6, 1, 5 },
		{ "x = 1\0\n", 7, 1, 6 },
		{ "f'{'\n", 5, 1, 3 },
		{ "f'{}'\n", 6, 1, 3 },
		{ "f'}'\n", 5, 1, 3 },
		{ "x = $\n", 6, 1, 5 },
		{ "x = )\n", 6, 1, 5 },
		{ "x = 1 \\ 2\n", 10, 1, 7 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		l = c = 0;
		CHECK(py_tokenize(bad[i].src, bad[i].len, &t, why, sizeof(why), &l, &c) < 0,
		      "case %zu accepted", i);
		CHECK(l == bad[i].line && c == bad[i].col, "case %zu: %u:%u (%s), want %u:%u", i, l,
		      c, why, bad[i].line, bad[i].col);
		py_tokens_free(&t);
	}
	/* what must be accepted */
	static const char *good[] = {
		"r'\\''\n", "'\\N{LOW LINE}'\n", "f'\\N{LOW LINE}{x}'\n", "f'{x:{y}.{z}}'\n",
		"f'{a[\"k\"]}'\n", "f'{x!r}'\n", "f'{x=}'\n", "f'{{}}'\n", "x = 1_000.5e-3j\n",
		"\xef\xbb\xbfx = 1\n", "b'\\x00'\n", "x = (1,\n 2)\n", "0xFF_FF\n", "...\n",
		"a @= b ** -c // d\n", "lambda: (yield)\n", "x if y else z\n",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		CHECK(py_tokenize(good[i], strlen(good[i]), &t, why, sizeof(why), &l, &c) == 0,
		      "rejected %s: %s", good[i], why);
		py_tokens_free(&t);
	}
}

enum corpus_kind {
	CORPUS_CLEAN,	  /* no violation at all */
	CORPUS_REFUSED,	  /* each caught by the rule its "# expect: RULE" line names */
	CORPUS_RUNNABLE,  /* counted: how many are refused (errors; warnings run) */
};

/* Check every .py file of a corpus; returns how many, and for
 * CORPUS_RUNNABLE how many were refused in *refused. */
static int corpus(const char *sub, enum corpus_kind kind, int *refused)
{
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/validate/%s", test_data_dir(), sub);
	DIR *d = opendir(dir);
	CHECK(d != NULL, "no corpus at %s (set STRATBOX_TEST_DATA)", dir);
	sbx_check_policy *p = sbx_check_policy_default();
	struct dirent *e;
	int n = 0;
	while ((e = readdir(d)) != NULL) {
		size_t nl = strlen(e->d_name);
		if (nl < 4 || strcmp(e->d_name + nl - 3, ".py") != 0)
			continue;
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		size_t len;
		char *src = slurp(path, &len);
		struct sbx_check_result r;
		sbx_error *err = NULL;
		CHECK(sbx_check_source(p, src, len, &r, &err) == 0, "%s: unusable: %s", e->d_name,
		      err ? err->msg : "");
		if (kind == CORPUS_CLEAN) {
			CHECK(r.n == 0, "%s rejected: %s: %s", e->d_name, r.n ? r.v[0].rule : "",
			      r.n ? r.v[0].message : "");
		} else if (kind == CORPUS_RUNNABLE) {
			if (r.errors > 0) {
				(*refused)++;
				printf("    refused: %s:%u: %s: %s\n", e->d_name, r.v[0].line, r.v[0].rule,
				       r.v[0].message);
			}
		} else {
			const char *x = strstr(src, "# expect: ");
			CHECK(x != NULL, "%s has no '# expect: RULE' line", e->d_name);
			char rule[64];
			CHECK(sscanf(x + 10, "%63s", rule) == 1);
			bool caught = false;
			for (size_t i = 0; i < r.n; i++)
				caught |= strcmp(r.v[i].rule, rule) == 0 &&
					  r.v[i].severity == SBX_SEVERITY_ERROR;
			CHECK(caught, "%s: not caught by %s (%zu other violations%s%s)", e->d_name, rule,
			      r.n, r.n ? ", first: " : "", r.n ? r.v[0].rule : "");
		}
		sbx_check_result_clear(&r);
		free(src);
		n++;
	}
	closedir(d);
	sbx_check_policy_free(p);
	return n;
}

void u_escapes_refused_by_rule_naming_technique(void)
{
	int n = corpus("escapes", CORPUS_REFUSED, NULL);
	CHECK(n >= 60, "only %d escape attempts in the corpus", n);
	/* LLM-style strategies that reach for secrets, pickles, the network,
	 * processes, native code, and module internals */
	n = corpus("llm-dangerous", CORPUS_REFUSED, NULL);
	CHECK(n >= 30, "only %d dangerous LLM-style strategies in the corpus", n);
}

/* Harmless strategies written the ways LLMs write them: the share the
 * validator refuses (warnings do not count: that code runs). */
#define FALSE_REJECTION_GOAL_PCT 5.0

void u_strategies_pass_false_rejections_under_goal(void)
{
	int n = corpus("strategies", CORPUS_CLEAN, NULL);
	CHECK(n >= 20, "only %d ordinary strategies in the corpus", n);
	int refused = 0;
	n = corpus("llm", CORPUS_RUNNABLE, &refused);
	CHECK(n >= 40, "only %d LLM-style strategies in the corpus", n);
	double pct = 100.0 * refused / n;
	printf("    false rejections: %d of %d LLM-style strategies (%.1f %%), goal <= %.0f %%\n",
	       refused, n, pct, FALSE_REJECTION_GOAL_PCT);
	CHECK(pct <= FALSE_REJECTION_GOAL_PCT, "false-rejection rate %.1f %% above the goal", pct);
}

void u_validator_rules_decide_each_case(void)
{
	validate_rule_table();
	validate_result_shape();
	struct sbx_check_result r;
	sbx_error *err = NULL;
	/* attribute names that are builtins elsewhere are fine: df.eval, re.compile */
	CHECK(check_text("import re\nimport pandas as pd\nrx = re.compile('a')\ndf = pd.DataFrame()\n"
			 "df.eval('a + 1')\n",
			 &r, &err) == 0);
	CHECK_INT_EQ(r.n, 0);
	sbx_check_result_clear(&r);
	/* 'from' that is not an import */
	CHECK(check_text("def g():\n    yield from range(3)\ntry:\n    pass\nexcept Exception as e:\n"
			 "    raise ValueError('x') from e\n",
			 &r, &err) == 0);
	CHECK_INT_EQ(r.n, 0);
	sbx_check_result_clear(&r);
	/* line and column of a violation, and one violation per place */
	CHECK(check_text("x = 1\n  y = eval('2')\n", &r, &err) == 0);
	CHECK_INT_EQ(r.n, 1);
	CHECK_INT_EQ(r.v[0].line, 2);
	CHECK_INT_EQ(r.v[0].col, 7);
	CHECK_STR_EQ(r.v[0].rule, "banned-builtin");
	CHECK_CONTAINS(r.v[0].message, "eval");
	sbx_check_result_clear(&r);
	/* the JSON form */
	CHECK(check_text("import os\n", &r, &err) == 0);
	char *j = sbx_check_result_to_json(&r, "s.py");
	CHECK_CONTAINS(j, "\"ok\":false");
	CHECK_CONTAINS(j, "\"rule\":\"import-not-allowed\"");
	CHECK_CONTAINS(j, "\"line\":1");
	free(j);
	sbx_check_result_clear(&r);
	/* size cap */
	char *big = malloc(300 * 1024 + 1);
	memset(big, '#', 300 * 1024);
	big[300 * 1024] = '\0';
	CHECK(check_text(big, &r, &err) == 0);
	CHECK(has_rule(&r, "source-too-large"));
	sbx_check_result_clear(&r);
	free(big);
	/* unusable input reports where */
	CHECK(check_text("x = 'abc\n", &r, &err) < 0);
	CHECK(err->kind == SBX_ERR_SYNTAX && err->line == 1 && err->col == 5, "kind %d at %u:%u",
	      (int) err->kind, err->line, err->col);
	CHECK_CONTAINS(err->msg, "unterminated string");
	sbx_error_freep(&err);
	/* utf-8 cookies are fine */
	CHECK(check_text("# -*- coding: utf-8 -*-\nx = 1\n", &r, &err) == 0);
	CHECK_INT_EQ(r.n, 0);
	sbx_check_result_clear(&r);
}

void u_policy_file_replaces_defaults_bad_one_refused(void)
{
	char path[] = "/tmp/stratbox-policy-XXXXXX";
	test_temp_file(path, "{\"allowed_imports\": [\"math\", \"os\"], \"banned_builtins\": [\"print\"],"
			     " \"allow_non_ascii_identifiers\": false, \"max_source_bytes\": 100}");
	sbx_error *err = NULL;
	sbx_check_policy *p = sbx_check_policy_load(path, &err);
	CHECK(p != NULL, "%s", err ? err->msg : "");
	struct sbx_check_result r;
	const char *src = "import os\nimport numpy\nprint(1)\npreço = 1\n";
	CHECK(sbx_check_source(p, src, strlen(src), &r, &err) == 0);
	CHECK(has_rule(&r, "banned-builtin")); /* print, banned by this policy */
	CHECK(has_rule(&r, "import-not-allowed")); /* numpy, no longer allowed */
	CHECK(has_rule(&r, "non-ascii-identifier"));
	CHECK_INT_EQ(r.n, 3);
	sbx_check_result_clear(&r);
	const char *const *names;
	CHECK_INT_EQ(sbx_check_policy_imports(p, &names), 2);
	sbx_check_policy_free(p);

	static const char *bad[] = {
		"{\"allowed_import\": []}",	   /* unknown key */
		"{\"allowed_imports\": \"math\"}", /* not a list */
		"{\"allowed_imports\": [1]}",	   /* not strings */
		"{\"max_source_bytes\": -1}",
		"{\"allow_non_ascii_identifiers\": 1}",
		"[1, 2]",
		"{not json",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		FILE *f = fopen(path, "w");
		fputs(bad[i], f);
		fclose(f);
		p = sbx_check_policy_load(path, &err);
		CHECK(p == NULL, "accepted %s", bad[i]);
		CHECK(err != NULL && strstr(err->msg, path) != NULL, "no file name in: %s",
		      err ? err->msg : "");
		sbx_error_freep(&err);
	}
	/* the newer lists: each replaces its default */
	FILE *f = fopen(path, "w");
	fputs("{\"module_attributes\": [\"signal\"], \"denied_members\": [],"
	      " \"literal_name_builtins\": [], \"banned_builtins\": [\"getattr\"],"
	      " \"self_builtins\": [], \"names_in_strings\": [\"secret_word\"]}",
	      f);
	fclose(f);
	p = sbx_check_policy_load(path, &err);
	CHECK(p != NULL, "%s", err ? err->msg : "");
	static const struct {
		const char *src, *rule;
	} cases[] = {
		{ "x = df.signal\n", "module-attribute" },	 /* now refused */
		{ "x = df.os\n", NULL },			 /* no longer */
		{ "import logging.config\n", NULL },		 /* no denied members */
		{ "getattr(self, 'x')\n", "banned-builtin" }, /* banned outright */
		{ "vars(obj)\n", NULL },			 /* no self-only builtins */
		{ "s = 'a secret_word'\n", "dunder-string" },
		{ "s = '__globals__'\n", NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK(sbx_check_source(p, cases[i].src, strlen(cases[i].src), &r, &err) == 0);
		CHECK(cases[i].rule ? has_rule(&r, cases[i].rule) : r.errors == 0, "case %zu: %s: %zu errors%s%s",
		      i, cases[i].src, r.errors, r.n ? ", first: " : "", r.n ? r.v[0].rule : "");
		sbx_check_result_clear(&r);
	}
	sbx_check_policy_free(p);
	unlink(path);
}
