/* The job pipeline (include/stratbox/pyrt.h) as the front ends use it:
 * check-then-run through sbx_pool_run_checked(), and the same decisions
 * seen through `exec --batch`. */
#include "harness.h"
#include "pyrt.h"
#include "tests.h"

#include <jansson.h>
#include <string.h>
#include <unistd.h>

static json_t *run_checked(struct sbx_pool *pool, const char *code, bool *ok)
{
	struct sbx_job job = { .code = code, .code_len = strlen(code), .timeout_ns = 20000000000ull };
	sbx_error *err = NULL;
	json_t *res = sbx_pool_run_checked(pool, sbx_check_policy_default(), &job, ok, &err);
	CHECK(res != NULL, "run_checked: %s", err ? err->msg : "?");
	return res;
}

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "(none)";
}

/* Refused code never runs; code that does not tokenize is refused with the
 * place; warnings ride along with a run; the result is an object the
 * caller adds to. */
void p_checked_run_refuses_before_the_sandbox(void)
{
	struct sbx_pool *pool = test_pool(false, 1);
	struct sbx_pool_stats before, after;
	sbx_pool_stats(pool, &before);
	bool ok = true;
	json_t *res = run_checked(pool, "import os\nos.system('id')\n", &ok);
	CHECK(!ok);
	CHECK_STR_EQ(str(res, "status"), "VALIDATION_ERROR");
	json_t *v = json_array_get(json_object_get(res, "violations"), 0);
	CHECK_STR_EQ(str(v, "rule"), "import-not-allowed");
	json_decref(res);

	res = run_checked(pool, "x = 1\ny = (2,\n", &ok);
	CHECK(!ok);
	CHECK_STR_EQ(str(res, "status"), "VALIDATION_ERROR");
	v = json_array_get(json_object_get(res, "violations"), 0);
	CHECK_STR_EQ(str(v, "rule"), "syntax");
	CHECK_INT_EQ(json_integer_value(json_object_get(v, "line")), 2);
	CHECK_INT_EQ(json_integer_value(json_object_get(v, "col")), 5);
	json_decref(res);
	sbx_pool_stats(pool, &after);
	CHECK(after.jobs == before.jobs, "a refused job ran: %llu jobs",
	      (unsigned long long) (after.jobs - before.jobs));

	res = run_checked(pool, "try:\n    import scipy\nexcept ImportError:\n    scipy = None\n"
				"print(scipy)\n", &ok);
	CHECK(ok);
	CHECK_STR_EQ(str(res, "status"), "OK");
	CHECK_STR_EQ(str(res, "output"), "None\n");
	v = json_array_get(json_object_get(res, "warnings"), 0);
	CHECK_STR_EQ(str(v, "severity"), "warning");
	CHECK(json_object_set_new(res, "id", json_integer(5)) == 0); /* the caller adds to it */
	json_decref(res);

	res = run_checked(pool, "raise SystemExit(3)\n", &ok);
	CHECK(!ok);
	CHECK_STR_EQ(str(res, "status"), "NONZERO_EXIT");
	CHECK(json_object_get(res, "warnings") == NULL);
	json_decref(res);
	sbx_pool_stop(pool);
}

/* The batch front end takes every key of a job from the library: memory,
 * cpu_time and an unknown key each decided there, and said per line. */
void p_batch_job_keys_enforced(void)
{
	char path[] = "/tmp/stratbox-batch-XXXXXX";
	test_temp_file(path,
		    "{\"id\": 1, \"code\": \"b = bytearray(200 << 20)\\nprint(len(b))\", \"memory\": \"64M\"}\n"
		    "{\"id\": 2, \"code\": \"while True: pass\", \"cpu_time\": 0.3}\n"
		    "{\"id\": 3, \"code\": \"print(1)\", \"timout\": 3}\n"
		    "{\"id\": 4, \"code\": \"print(1\"}\n");
	int rc;
	const char *parent = t_cgroup_parent();
	char *out = run_cli(parent ? (const char *const[]){ "exec", "--batch", path, "--cgroup-parent",
							    parent, NULL }
				   : (const char *const[]){ "exec", "--batch", path, NULL },
			    &rc);
	unlink(path);
	CHECK_INT_EQ(rc, 1);
	/* without a cgroup the memory limit cannot be enforced, and the
	 * verdict says so: the key still reached the job's limits */
	const char *memory = test_have_cgroups() ? "\"status\":\"MEMORY_LIMIT\""
						 : "\"memory_bytes\":67108864";
	const char *const want[][2] = {
		{ "\"id\":1", memory },
		{ "\"id\":2", "\"status\":\"TIMEOUT_CPU\"" },
		{ "\"id\":3", "unknown key \\\"timout\\\"" },
		{ "\"id\":4", "\"rule\":\"syntax\"" },
	};
	t_check_result_lines(out, want, sizeof(want) / sizeof(want[0]));
	free(out);
}

/* backtest's usage and input errors: exit 2, nothing runs, the reason on
 * stderr naming what is wrong (docs/cli.md). */
void p_backtest_bad_input_exits_2_naming_it(void)
{
	char code[] = "/tmp/stratbox-bt-XXXXXX", data[] = "/tmp/stratbox-btdata-XXXXXX";
	test_temp_file(code, "class S(BaseStrategy):\n    def generate_signals(self, d):\n"
			     "        return []\n");
	test_temp_file(data, "Date,Open,High,Low,Close\n2020-01-02,1,2,0.5,1.5\n"
			     "2020-01-03,1,0.5,2,1.5\n");
	char data_opt[64];
	snprintf(data_opt, sizeof(data_opt), "X=%s", data);
	const struct {
		const char *const *args;
		const char *says;
	} cases[] = {
		{ (const char *const[]){ "backtest", code, NULL }, "--data FILE... or --symbols" },
		{ (const char *const[]){ "backtest", code, "--symbols", "NOPE", NULL },
		  "no bundled dataset 'NOPE'" },
		{ (const char *const[]){ "backtest", code, "--data", data_opt, NULL }, ":3: " },
		{ (const char *const[]){ "backtest", code, "--symbols", "GOOG", "--margin", "2", NULL },
		  "margin" },
		{ (const char *const[]){ "backtest", code, "--symbols", "GOOG", "--grid", "fast=5:1:1",
					 NULL },
		  "start <= stop" },
		{ (const char *const[]){ "backtest", code, "--symbols", "GOOG", "--rank", "sharpe",
					 NULL },
		  "--rank ranks a sweep" },
		{ (const char *const[]){ "backtest", code, "--symbols", "GOOG", "--grid", "a=1",
					 "--rank", "luck", NULL },
		  "'luck' is not a metric that ranks" },
		{ (const char *const[]){ "backtest", code, "--symbols", "GOOG", "--end-policy", "keep",
					 NULL },
		  "liquidate or hold" },
		{ (const char *const[]){ "backtest", "/nonexistent.py", "--symbols", "GOOG", NULL },
		  "/nonexistent.py" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc;
		char *out = test_run_bin(test_stratbox(), cases[i].args, TEST_STDERR_MERGE, &rc);
		CHECK(rc == 2, "case %zu: exit %d: %s", i, rc, out);
		CHECK_CONTAINS(out, cases[i].says);
		free(out);
	}
	unlink(code);
	unlink(data);
}
