/* Jobs and their verdicts: output, exceptions, data, every limit. */
#include "pyrt.h"
#include "sandbox/launch.h"
#include "tests.h"

#include <unistd.h>

void p_result_has_output_and_metrics(void)
{
	struct sbx_pool *pool = test_pool(false, 1);
	struct sbx_job_result r;
	run_code(pool, "import pandas as pd\nimport numpy as np\n"
		       "print('mean', pd.Series(np.arange(5.0)).mean())\n", &r);
	EXPECT_JOB(&r, "OK");
	CHECK_STR_EQ(rout(&r), "mean 2.0\n");
	CHECK(r.verdict.wall_ns > 0 && r.verdict.memory_peak_bytes > 0);
	CHECK(r.warm);
	char *j = sbx_job_result_to_json(&r, NULL);
	CHECK_CONTAINS(j, "\"success\":true");
	CHECK_CONTAINS(j, "\"status\":\"OK\"");
	CHECK_CONTAINS(j, "\"output\":\"mean 2.0\\n\"");
	CHECK_CONTAINS(j, "\"wall_ms\":");
	CHECK_CONTAINS(j, "\"cpu_ms\":");
	CHECK_CONTAINS(j, "\"memory_peak_bytes\":");
	free(j);
	sbx_job_result_clear(&r);
	sbx_pool_stop(pool);
}

/* An exception: NONZERO_EXIT, its type and message as the error, and a
 * traceback that shows the strategy's frames and none of the runtime's. */
void p_exception_is_nonzero_exit_with_own_frames(void)
{
	struct sbx_pool *pool = test_pool(false, 1);
	struct sbx_job_result r;
	run_code(pool, "def f(x):\n    return 1 / x\n\nprint('before')\nf(0)\n", &r);
	EXPECT_JOB(&r, "NONZERO_EXIT");
	CHECK_INT_EQ(r.verdict.exit_code, 1);
	CHECK_STR_EQ(r.error, "ZeroDivisionError: division by zero");
	CHECK_CONTAINS(r.traceback, "strategy.py\", line 5");
	CHECK_CONTAINS(r.traceback, "strategy.py\", line 2, in f");
	CHECK_NOT_CONTAINS(r.traceback, "_runner.py");
	CHECK_CONTAINS(rerr(&r), "ZeroDivisionError");
	CHECK_STR_EQ(rout(&r), "before\n");
	sbx_job_result_clear(&r);
	/* a syntax error the validator lets through is reported the same way */
	run_code(pool, "x = (1,\n", &r);
	EXPECT_JOB(&r, "NONZERO_EXIT");
	CHECK_CONTAINS(r.error, "SyntaxError");
	sbx_job_result_clear(&r);
	/* sys.exit codes */
	run_code(pool, "raise SystemExit(3)\n", &r);
	EXPECT_JOB(&r, "NONZERO_EXIT");
	CHECK_INT_EQ(r.verdict.exit_code, 3);
	CHECK(r.error == NULL);
	sbx_job_result_clear(&r);
	sbx_pool_stop(pool);
}

/* The data document at /workspace/data.json, read-only. */
void p_job_reads_its_data_file(void)
{
	struct sbx_pool *pool = test_pool(false, 1);
	const char *code = "import json\nimport stratbox\n"
			   "d = stratbox.data()\nprint(d['symbol'], sum(d['close']))\n"
			   "try:\n    open('/workspace/data.json', 'w')\nexcept OSError as e:\n"
			   "    print('write refused', e.errno)\n"
			   "try:\n    open('/workspace/other', 'w')\nexcept OSError as e:\n"
			   "    print('create refused', e.errno)\n";
	const char *data = "{\"symbol\": \"GOOG\", \"close\": [1.5, 2.5]}";
	struct sbx_job job = { .code = code, .code_len = strlen(code), .data = data,
			       .data_len = strlen(data) };
	struct sbx_job_result r;
	run_job_ex(pool, &job, &r);
	EXPECT_JOB(&r, "OK");
	CHECK_CONTAINS(rout(&r), "GOOG 4.0\n");
	CHECK_CONTAINS(rout(&r), "write refused 30\n"); /* EROFS */
	CHECK_CONTAINS(rout(&r), "create refused 30\n"); /* EROFS */
	sbx_job_result_clear(&r);
	/* no data: stratbox.data() is None */
	run_code(pool, "import stratbox\nprint(stratbox.data())\n", &r);
	EXPECT_JOB(&r, "OK");
	CHECK_STR_EQ(rout(&r), "None\n");
	sbx_job_result_clear(&r);
	sbx_pool_stop(pool);
}

void p_endless_loop_stopped_at_timeout(void)
{
	struct sbx_pool *pool = test_pool(false, 1);
	const char *code = "while True:\n    pass\n";
	struct sbx_job job = { .code = code, .code_len = strlen(code), .timeout_ns = 300000000 };
	struct sbx_job_result r;
	run_job_ex(pool, &job, &r);
	EXPECT_JOB(&r, "TIMEOUT_WALL");
	CHECK(r.verdict.wall_ns >= 300000000);
	CHECK_INT_EQ(r.verdict.exit_code, 137);
	sbx_job_result_clear(&r);
	if (test_have_cgroups()) {
		struct sbx_job cj = { .code = code, .code_len = strlen(code),
				      .cpu_time_ns = 200000000, .timeout_ns = 10000000000ull };
		run_job_ex(pool, &cj, &r);
		EXPECT_JOB(&r, "TIMEOUT_CPU");
		sbx_job_result_clear(&r);
	}
	sbx_pool_stop(pool);
}

void p_memory_hog_ends_in_memory_limit(void)
{
	if (!test_have_cgroups())
		test_skip("no cgroup delegated: the memory limit is reported unenforced");
	struct sbx_pool *pool = test_pool(false, 1);
	const char *code = "import numpy as np\na = np.ones(200_000_000)\nprint(a.sum())\n";
	struct sbx_job job = { .code = code, .code_len = strlen(code), .memory = 128u << 20,
			       .timeout_ns = 30000000000ull };
	struct sbx_job_result r;
	run_job_ex(pool, &job, &r);
	EXPECT_JOB(&r, "MEMORY_LIMIT");
	CHECK(r.verdict.oom_kills >= 1);
	sbx_job_result_clear(&r);
	/* the pool still serves */
	run_code(pool, "print('next')\n", &r);
	EXPECT_JOB(&r, "OK");
	sbx_job_result_clear(&r);
	sbx_pool_stop(pool);
}

void p_output_flood_capped_at_output_limit(void)
{
	struct sbx_pool *pool = test_pool(false, 1);
	const char *code = "for i in range(100000):\n    print('x' * 99)\n";
	struct sbx_job job = { .code = code, .code_len = strlen(code), .output_limit = 65536 };
	struct sbx_job_result r;
	run_job_ex(pool, &job, &r);
	EXPECT_JOB(&r, "OUTPUT_LIMIT");
	CHECK_INT_EQ(r.verdict.out.len, 65536);
	CHECK(r.verdict.out.truncated);
	sbx_job_result_clear(&r);
	sbx_pool_stop(pool);
}

/* Same code, same output: seeds and hash seed fixed; a seed changes it. */
void p_same_code_same_output(void)
{
	struct sbx_pool *pool = test_pool(false, 2);
	const char *code = "import random\nimport numpy as np\n"
			   "print(random.random(), np.random.rand(), hash('stratbox'))\n";
	struct sbx_job_result a, b, c;
	run_code(pool, code, &a);
	run_code(pool, code, &b);
	EXPECT_JOB(&a, "OK");
	CHECK_STR_EQ(rout(&a), rout(&b));
	struct sbx_job job = { .code = code, .code_len = strlen(code), .seed = 42, .has_seed = true };
	run_job_ex(pool, &job, &c);
	EXPECT_JOB(&c, "OK");
	CHECK(strcmp(rout(&a), rout(&c)) != 0, "the seed changed nothing");
	sbx_job_result_clear(&a);
	sbx_job_result_clear(&b);
	sbx_job_result_clear(&c);
	/* one BLAS thread */
	run_code(pool, "import numpy as np\nnp.dot(np.ones((300, 300)), np.ones((300, 300)))\n"
		       "print(open('/proc/self/status').read().split('Threads:')[1].split()[0])\n",
		 &a);
	EXPECT_JOB(&a, "OK");
	CHECK_STR_EQ(rout(&a), "1\n");
	sbx_job_result_clear(&a);
	sbx_pool_stop(pool);
}

/* The runtime guard: dynamic imports and removed builtins, even when the
 * static check is bypassed (the library API does not validate). */
void p_runtime_guard_refuses_without_validator(void)
{
	struct sbx_pool *pool = test_pool(false, 1);
	static const struct {
		const char *code, *error;
	} cases[] = {
		{ "import os\n", "ImportError: import of 'os' is not allowed" },
		{ "m = __import__('subprocess')\n", "ImportError: import of 'subprocess' is not allowed" },
		{ "import importlib\n", "ImportError: import of 'importlib' is not allowed" },
		{ "eval('1')\n", "NameError: name 'eval' is not defined" },
		{ "exec('x = 1')\n", "NameError: name 'exec' is not defined" },
		{ "globals()\n", "NameError: name 'globals' is not defined" },
		{ "getattr(1, '__class__')\n", "AttributeError: getattr() of '__class__' is not allowed" },
		{ "n = '__cl' + 'ass__'\nsetattr(int, n, 1)\n",
		  "AttributeError: setattr() of '__class__' is not allowed" },
		{ "hasattr(1, '__\\uff43lass__')\n", "AttributeError: hasattr() of" }, /* NFKC */
		{ "import math\nvars(math)\n", "TypeError: vars() of a module is not allowed" },
		{ "vars()\n", "TypeError: vars() without an argument is not allowed" },
		{ "def f():\n    import socket\nf()\n", "ImportError: import of 'socket' is not allowed" },
		{ "from . import x\n", "ImportError: relative imports are not allowed" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sbx_job_result r;
		run_code(pool, cases[i].code, &r);
		EXPECT_JOB(&r, "NONZERO_EXIT");
		CHECK(r.error && strstr(r.error, cases[i].error), "case %zu: %s", i,
		      r.error ? r.error : "(no error)");
		sbx_job_result_clear(&r);
	}
	/* library code still imports what it needs */
	struct sbx_job_result r;
	run_code(pool, "import pandas as pd\nprint(pd.Timestamp('2024-01-05').day_name())\n", &r);
	EXPECT_JOB(&r, "OK");
	CHECK_STR_EQ(rout(&r), "Friday\n");
	sbx_job_result_clear(&r);
	/* reflection by ordinary names works */
	run_code(pool, "class S:\n    window = 20\ns = S()\nsetattr(s, 'fast', 5)\n"
		       "print(getattr(s, 'window', 0), getattr(s, 'slow', 30), hasattr(s, 'fast'),"
		       " sorted(vars(s)), type(s).__name__)\n",
		 &r);
	EXPECT_JOB(&r, "OK");
	CHECK_STR_EQ(rout(&r), "20 30 True ['fast'] S\n");
	sbx_job_result_clear(&r);
	sbx_pool_stop(pool);
}

/* A forged or malformed protocol message is counted and ignored; it
 * cannot change the verdict. */
void p_malformed_frames_counted_and_ignored(void)
{
	struct sbx_pool *pool = test_pool(true, 1);
	const char *code =
		"import os, struct\n"
		"tag = struct.pack('<I', 0x46524D31)\n"
		"os.write(3, tag + b'not json')\n"
		"os.write(3, tag + b'{\"type\": \"verdict\", \"status\": \"OK\"}')\n"
		"os.write(3, tag + b'{\"type\": \"error\", \"exc_type\": 1}')\n"
		"os.write(3, b'garbage that is not a frame')\n"
		"raise SystemExit(4)\n";
	struct sbx_job_result r;
	run_code(pool, code, &r);
	EXPECT_JOB(&r, "NONZERO_EXIT");
	CHECK(r.verdict.exit_code == 4, "exit %d: %s %s", r.verdict.exit_code, r.error ? r.error : "",
	      rerr(&r));
	/* three rejected frames and one message that is neither a frame
	 * nor a control message */
	CHECK_INT_EQ(r.protocol_errors, 4);
	CHECK(r.error == NULL);
	sbx_job_result_clear(&r);
	sbx_pool_stop(pool);
}

/* The job's code can write to its control socket, so what arrives there
 * is worth no more than what the job could do anyway: a forged exit
 * status is ignored, and an early exit announcement ends the job as an
 * exit would (where it is accepted: slots with a cgroup). */
void p_forged_exit_announcement_only_ends_job(void)
{
	struct sbx_pool *pool = test_pool(true, 1);
	char code[1024];
	snprintf(code, sizeof(code),
		 "import os, struct\n"
		 "os.write(3, struct.pack('<Ii', %u, 0) + bytes(%zu))\n"
		 "print('forged')\n"
		 "os._exit(3)\n",
		 (unsigned) CTL_STATUS, sizeof(struct ctl_msg) - 8);
	struct sbx_job_result r;
	run_code(pool, code, &r);
	EXPECT_JOB(&r, "NONZERO_EXIT");
	CHECK_INT_EQ(r.verdict.exit_code, 3);
	sbx_job_result_clear(&r);

	snprintf(code, sizeof(code),
		 "import os, struct, sys, time\n"
		 "print('before'); sys.stdout.flush()\n"
		 "os.write(3, struct.pack('<Ii', %u, 0) + bytes(%zu))\n"
		 "time.sleep(30)\n"
		 "print('after')\n",
		 (unsigned) CTL_EXITING, sizeof(struct ctl_msg) - 8);
	struct sbx_job job = { .code = code, .code_len = strlen(code), .timeout_ns = 3000000000ull };
	run_job_ex(pool, &job, &r);
	if (test_have_cgroups()) {
		EXPECT_JOB(&r, "OK");
		CHECK(r.verdict.wall_ns < 2000000000ull, "ran %llu ns after announcing its exit",
		      (unsigned long long) r.verdict.wall_ns);
	} else {
		EXPECT_JOB(&r, "TIMEOUT_WALL"); /* no cgroup: only a real exit ends it */
	}
	CHECK_STR_EQ(rout(&r), "before\n");
	sbx_job_result_clear(&r);

	/* the pool keeps serving; the announcing slot is gone (the suite's
	 * leftover check covers processes and cgroups) */
	run_code(pool, "print(1)\n", &r);
	EXPECT_JOB(&r, "OK");
	CHECK_STR_EQ(rout(&r), "1\n");
	sbx_job_result_clear(&r);
	sbx_pool_stop(pool);
}
