/* stratbox validate: a static check of Python strategy code.
 *
 * Defence in depth only: the kernel sandbox is the security boundary, the
 * runtime guard the second wall.  The check steers code early, with
 * messages an LLM can act on, away from what ordinary strategy code never
 * needs and escape attempts usually do: imports outside an allow-list,
 * dynamic code (eval, exec, compile, __import__, ...), reflection by
 * computed names (getattr with a computed or dunder name, globals, vars),
 * dunder access beyond a short safe list, attribute chains into modules
 * off the allow-list (pd.io.common.os), frame and pickle escape hatches,
 * non-UTF-8 encoding declarations, oversized sources.  It reads the code
 * as CPython 3.11 does (docs/validator.md, "The tokenizer"): identifiers
 * after NFKC normalisation ("ｅｖａｌ" is eval), f-string fields where
 * CPython finds them.  Linear in the size of the source. */
#ifndef STRATBOX_VALIDATE_H
#define STRATBOX_VALIDATE_H

#include "stratbox/error.h"

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sbx_check_policy sbx_check_policy;

/* The default policy (see docs/strategy-api.md). */
sbx_check_policy *sbx_check_policy_default(void);
/* A policy from a JSON file: any of the default's keys, each replacing the
 * default list or value; unknown keys are an error. */
sbx_check_policy *sbx_check_policy_load(const char *path, sbx_error **err);
void sbx_check_policy_free(sbx_check_policy *p);
/* Allow more top-level modules (the backtest adds the module names LLMs
 * guess for BaseStrategy, docs/strategy-api.md). */
int sbx_check_policy_allow_imports(sbx_check_policy *p, const char *const *names, size_t n,
				   sbx_error **err);
/* The allowed import roots, for the runtime import guard. */
size_t sbx_check_policy_imports(const sbx_check_policy *p, const char *const **names);

/* An error refuses the code; a warning is reported and the code runs
 * (an optional import guarded by "except ImportError" with a fallback:
 * the runtime refuses the import and the fallback runs). */
enum sbx_severity {
	SBX_SEVERITY_ERROR,
	SBX_SEVERITY_WARNING,
};
const char *sbx_severity_name(enum sbx_severity s); /* "error", "warning" */

struct sbx_violation {
	unsigned line, col;	    /* 1-based; col counts characters */
	const char *rule;	    /* e.g. "import-not-allowed" */
	char *message;		    /* what is wrong and what to do instead */
	enum sbx_severity severity;
};

/* Errors first, then warnings, each in source order. */
struct sbx_check_result {
	struct sbx_violation *v;
	size_t n;
	size_t errors; /* how many of v are errors: the code is refused when > 0 */
};

/* Check src[0..len).  Returns 0 with out filled (errors == 0: the code may
 * run; n == 0: clean), or -1 with *err set when the input is unusable
 * (not UTF-8, unterminated string, ...): err->msg then starts with
 * "LINE:COL: ". */
int sbx_check_source(const sbx_check_policy *p, const char *src, size_t len,
		     struct sbx_check_result *out, sbx_error **err);
void sbx_check_result_clear(struct sbx_check_result *r);
/* {"ok": errors == 0, "errors": N, "warnings": N,
 *  "violations":[{"line","col","rule","severity","message"}]} (malloc'd). */
char *sbx_check_result_to_json(const struct sbx_check_result *r, const char *file);

#ifdef __cplusplus
}
#endif
#endif
