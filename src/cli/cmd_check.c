/* stratbox check FILE: the static validator.
 * Exit 0 when nothing is refused (warnings alone are printed and still exit
 * 0: the code would run), 1 when something is, 2 on a usage error or
 * unusable input (unreadable, not UTF-8, unterminated string, bad policy
 * file, ...). */
#include "cli/cli.h"
#include "common/util.h"
#include "stratbox/env.h"
#include "stratbox/validate.h"

#include <jansson.h>
#include <string.h>

static const char check_usage[] =
	"usage: stratbox check [--env NAME] [--state-dir DIR] [--policy POLICY.json] [--json] FILE.py\n"
	"\n"
	"Checks Python strategy code against the policy: allowed imports, banned\n"
	"builtins, dunder access, module internals. Exit 0 when the code may run\n"
	"(warnings are printed, prefixed \"warning:\"), 1 when it is refused, 2 on\n"
	"unusable input. --env checks against an environment's allow-list (stratbox env\n"
	"list); --policy replaces it.\n";

int cmd_check(int argc, char **argv)
{
	const char *policy_path = NULL, *file = NULL, *env_name = NULL, *state_dir = NULL;
	bool json = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "--policy") == 0 && i + 1 < argc) {
			policy_path = argv[++i];
		} else if (strcmp(argv[i], "--env") == 0 && i + 1 < argc) {
			env_name = argv[++i];
		} else if (strcmp(argv[i], "--state-dir") == 0 && i + 1 < argc) {
			state_dir = argv[++i];
		} else if (strcmp(argv[i], "--env") == 0 || strcmp(argv[i], "--state-dir") == 0) {
			cli_err("check: option '%s' needs a value", argv[i]);
			return 2;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(check_usage, stdout);
			return 0;
		} else if (strcmp(argv[i], "--policy") == 0) {
			cli_err("check: option '--policy' needs a value");
			return 2;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			cli_err("check: unknown option '%s'", argv[i]);
			return 2;
		} else if (file == NULL) {
			file = argv[i];
		} else {
			cli_err("check: one file at a time");
			return 2;
		}
	}
	if (file == NULL) {
		fputs(check_usage, stderr);
		return 2;
	}
	cleanup_error sbx_error *err = NULL;
	sbx_env *env = NULL;
	if (cli_env_open(state_dir, env_name, &env) < 0)
		return 2;
	sbx_check_policy *policy = cli_env_policy(policy_path, env);
	sbx_env_free(env); /* the policy is a copy */
	if (policy == NULL)
		return 2;
	cleanup_free char *src = NULL;
	size_t len = 0;
	/* read up to 64M: the policy's own cap decides what is too large */
	const char *path = strcmp(file, "-") == 0 ? "/dev/stdin" : file;
	if (read_file_alloc(path, 64u << 20, &src, &len, &err) < 0) {
		cli_err("%s", err->msg);
		sbx_check_policy_free(policy);
		return 2;
	}
	struct sbx_check_result res;
	int rc;
	if (sbx_check_source(policy, src, len, &res, &err) < 0) {
		if (json) {
			json_t *o = json_pack("{s:s,s:b,s:s,s:s,s:I,s:I}", "file", file, "ok", 0, "error",
					      err->msg, "kind", sbx_error_kind_name(err->kind), "line",
					      (json_int_t) err->line, "col", (json_int_t) err->col);
			char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
			puts(s ? s : "{}");
			free(s);
			json_decref(o);
		}
		cli_err_at(file, err);
		rc = 2;
	} else {
		if (json) {
			char *s = sbx_check_result_to_json(&res, file);
			puts(s ? s : "{}");
			free(s);
		} else {
			for (size_t i = 0; i < res.n; i++)
				printf("%s:%u:%u: %s%s: %s\n", file, res.v[i].line, res.v[i].col,
				       res.v[i].severity == SBX_SEVERITY_WARNING ? "warning: " : "",
				       res.v[i].rule, res.v[i].message);
			if (res.errors == 0)
				printf("%s: ok%s\n", file, res.n ? " (with warnings)" : "");
		}
		rc = res.errors ? 1 : 0;
		sbx_check_result_clear(&res);
	}
	sbx_check_policy_free(policy);
	return rc;
}
