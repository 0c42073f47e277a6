/* The Python layer's second wall, the audit hook (src/pyrt/audit.c), as
 * strategy code with full control of its own Python process meets it:
 * the default allow-list, no static validation (only the CLI runs it).
 * Each attack program (tests/pyrt/hook/) reaches modules through the
 * allowed ones' attributes and tries a class of capability by every
 * route it has; every attempt must be refused by the hook itself, with a
 * "stratbox:" exception, and none may fall through to the kernel (which
 * would end the job as a SYSCALL_VIOLATION). */
#include "common/util.h"
#include "pyrt.h"
#include "tests.h"

#include <jansson.h>

static char *hook_program(const char *name)
{
	char path[1024];
	char *reach = NULL, *body = NULL;
	size_t n;
	snprintf(path, sizeof(path), "%s/pyrt/hook/reach.py", test_data_dir());
	CHECK(read_file_alloc(path, 1 << 20, &reach, &n, NULL) == 0, "read %s", path);
	snprintf(path, sizeof(path), "%s/pyrt/hook/%s", test_data_dir(), name);
	CHECK(read_file_alloc(path, 1 << 20, &body, &n, NULL) == 0, "read %s", path);
	char *code = str_printf("%s\n%s", reach, body);
	free(reach);
	free(body);
	return code;
}

/* Run one attack program; every attempt refused, at least `min` of them. */
static void expect_all_refused(const char *name, long long min)
{
	struct sbx_pool *pool = test_pool(false, 1);
	char *code = hook_program(name);
	struct sbx_job_result r;
	run_code(pool, code, &r);
	free(code);
	if (r.verdict.status != SBX_OK) {
		/* the last attempt named is the one that reached the kernel */
		const char *o = rout(&r);
		size_t n = strlen(o);
		test_fail_at(__FILE__, __LINE__, "%s: status %s (%s), output ends:\n%s", name,
			     rstatus(&r), r.verdict.message ? r.verdict.message : "",
			     o + (n > 600 ? n - 600 : 0));
	}
	const char *line = strstr(rout(&r), "RESULT ");
	CHECK(line != NULL, "no result line: %.2000s", rout(&r));
	json_error_t je;
	json_t *res = json_loadb(line + 7, strcspn(line + 7, "\n"), 0, &je);
	CHECK(res != NULL, "bad result line: %s", je.text);
	json_t *nr = json_object_get(res, "not_refused");
	if (json_array_size(nr) > 0) {
		char *s = json_dumps(nr, JSON_INDENT(1));
		test_fail_at(__FILE__, __LINE__, "%s: not refused by the hook:\n%s", name, s);
	}
	long long refused = json_integer_value(json_object_get(res, "refused"));
	test_note("%s: %lld attempts refused, %lld modules reachable", name, refused,
		  (long long) json_integer_value(json_object_get(res, "reachable")));
	CHECK(refused >= min, "%s: %lld attempts refused, want at least %lld", name, refused, min);
	json_decref(res);
	sbx_job_result_clear(&r);
	sbx_pool_stop(pool);
}

/* Processes, signals, sockets, ctypes, unpickling, tracing, the object
 * graph: through every reachable module that holds one. */
void p_hook_refuses_capabilities(void)
{
	expect_all_refused("capabilities.py", 60);
}

/* eval, exec and compile of code built at run time, by every route to the
 * real builtins and the compiler. */
void p_hook_refuses_built_code(void)
{
	expect_all_refused("code.py", 20);
}

/* Frames and code objects. */
void p_hook_refuses_frame_access(void)
{
	expect_all_refused("frames.py", 14);
}

/* Modules neither loaded nor allowed, by every import route; nothing the
 * job wrote can be imported or mapped as code. */
void p_hook_refuses_unallowed_imports(void)
{
	expect_all_refused("imports.py", 11);
}

/* What must keep working: dataclass, namedtuple, enum, typing, logging
 * and warnings with caller information, pandas' own frame reads and
 * expression parser, lazy imports, optional imports that fall back. */
void p_hook_lets_library_idioms_run(void)
{
	char path[1024], *code = NULL;
	size_t n;
	/* the default allow-list and the modules LLM-written strategies log,
	 * warn and format tracebacks with */
	snprintf(path, sizeof(path), "%s/pyrt/hook/library-policy.json", test_data_dir());
	struct sbx_pool *pool = test_pool_policy(path, 1);
	snprintf(path, sizeof(path), "%s/pyrt/hook/library.py", test_data_dir());
	CHECK(read_file_alloc(path, 1 << 20, &code, &n, NULL) == 0, "read %s", path);
	struct sbx_job_result r;
	run_code(pool, code, &r);
	free(code);
	EXPECT_JOB(&r, "OK");
	CHECK_CONTAINS(rout(&r), "LIBRARY OK ValueError('inner')");
	CHECK_CONTAINS(rerr(&r), "strategy.py:");  /* the caller's line: frames were read */
	CHECK_CONTAINS(rerr(&r), "on_bar bar seen");
	CHECK_CONTAINS(rerr(&r), "UserWarning: careful");
	CHECK_NOT_CONTAINS(rerr(&r), "stratbox:");
	sbx_job_result_clear(&r);
	sbx_pool_stop(pool);
}
