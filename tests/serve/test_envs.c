/* Environments in the service (docs/environments.md): a request's "env"
 * picks the allow-list that checks its code and the pool that runs it; a
 * name the service does not have is a 422 before anything is stored. */
#include "harness.h"
#include "helpers.h"
#include "serve.h"
#include "tests.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* colorsys: in the standard library, not on the default allow-list */
static const char uses_colorsys[] = "import colorsys\nprint(colorsys.rgb_to_hsv(1.0, 0.0, 0.0))\n";

void v_env_field_picks_allow_list_and_pool(void)
{
	struct server s;
	state_dir_new(&s);
	char envs[300];
	snprintf(envs, sizeof(envs), "%s/envs-store", s.dir);
	const char *argv[16] = { test_stratbox(), "env", "add", "mine", "--host", "--allow",
				 "colorsys", "--state-dir", envs };
	int n = 9;
	if (test_cgroup_parent() != NULL) {
		argv[n++] = "--cgroup-parent";
		argv[n++] = test_cgroup_parent();
	}
	argv[n] = NULL;
	struct test_cmd c = { .argv = argv, .err = TEST_STDERR_CAPTURE };
	struct test_output o;
	test_run(&c, &o);
	CHECK(o.exit_code == 0, "env add: %s", o.err);
	test_output_free(&o);
	server_start(&s, 1, NULL, (const char *const[]){ "--env-dir", envs, NULL });

	struct http_reply r;
	char *body = body_with_code(uses_colorsys, "{\"env\": \"mine\"}");
	http_json(&s, "POST", "/v1/validate", NULL, body, &r);
	CHECK_INT_EQ(r.status, 200);
	CHECK(json_is_true(json_object_get(r.json, "ok")), "%s", r.body);
	http_reply_free(&r);
	http_json(&s, "POST", "/v1/executions?wait=60", NULL, body, &r);
	CHECK_INT_EQ(r.status, 200);
	CHECK_STR_EQ(jstr(r.json, "result.status"), "OK");
	CHECK_STR_EQ(jstr(r.json, "result.output"), "(0.0, 1.0, 1.0)\n");
	http_reply_free(&r);
	free(body);

	/* the host's environment refuses the same code, before it runs */
	body = body_with_code(uses_colorsys, NULL);
	http_json(&s, "POST", "/v1/validate", NULL, body, &r);
	CHECK_INT_EQ(r.status, 200);
	CHECK(json_is_false(json_object_get(r.json, "ok")), "%s", r.body);
	http_reply_free(&r);
	http_json(&s, "POST", "/v1/executions?wait=60", NULL, body, &r);
	CHECK_INT_EQ(r.status, 200);
	CHECK_STR_EQ(jstr(r.json, "result.status"), "VALIDATION_ERROR");
	http_reply_free(&r);
	free(body);

	/* names it does not have, and names that are not names: 422, nothing stored */
	static const char *const bad[][2] = {
		{ "{\"env\": \"nope\"}", "unknown_env" },
		{ "{\"env\": \"Bad/Name\"}", "invalid_request" },
		{ "{\"env\": 7}", "invalid_request" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		body = body_with_code("print(1)\n", bad[i][0]);
		http_json(&s, "POST", "/v1/executions", NULL, body, &r);
		CHECK_INT_EQ(r.status, 422);
		CHECK_STR_EQ(jstr(r.json, "error.code"), bad[i][1]);
		http_reply_free(&r);
		http_json(&s, "POST", "/v1/validate", NULL, body, &r);
		CHECK_INT_EQ(r.status, 422);
		http_reply_free(&r);
		free(body);
	}
	http_json(&s, "GET", "/v1/jobs", NULL, NULL, &r);
	CHECK_INT_EQ(json_array_size(json_object_get(r.json, "jobs")), 2);
	http_reply_free(&r);
	/* a backtest names it too */
	body = body_with_code("import colorsys\n"
			      "class S(BaseStrategy):\n"
			      "    def generate_signals(self, d):\n"
			      "        h = colorsys.rgb_to_hsv(1.0, 0.0, 0.0)[0]\n"
			      "        return [self.buy()] if h == 0.0 and self.position == 0 else []\n",
			      "{\"env\": \"mine\", \"symbols\": [\"GOOG\"], \"end\": \"2010-03-01\"}");
	http_json(&s, "POST", "/v1/backtests?wait=60", NULL, body, &r);
	CHECK_INT_EQ(r.status, 200);
	CHECK_STR_EQ(jstr(r.json, "result.status"), "OK");
	http_reply_free(&r);
	free(body);
	CHECK_INT_EQ(server_signal_wait(&s, SIGTERM), 0);
	state_dir_remove(&s);
}
