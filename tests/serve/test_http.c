/* `stratbox serve` over HTTP on loopback: what a client sees (docs/http-api.md). */
#include "serve.h"
#include "store/store.h"
#include "tests.h"

#include "harness.h"
#include "helpers.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define TOKEN_ALICE "alice-0123456789abcdef"
#define TOKEN_BOB "bob-fedcba9876543210"

static void token_file(char *path)
{
	test_temp_file(path, "# tenants\nalice " TOKEN_ALICE "\n\nbob " TOKEN_BOB "\n");
}

static const char sma_path[] = "bench/strategies/sma_cross.py";

static char *checkout_text(const char *rel, char *found, size_t size)
{
	FILE *f = test_open_checkout_file(rel, found, size);
	CHECK(f != NULL, "no %s (tried %s)", rel, found);
	char *t = test_read_all(fileno(f));
	fclose(f);
	return t;
}

void v_execution_waited_gives_exec_result(void)
{
	struct server s;
	state_dir_new(&s);
	server_start(&s, 1, NULL, NULL);
	const char *code = "import json\nd = json.load(open('/workspace/data.json'))\n"
			   "print(sum(d['x']))\n";
	char *body = body_with_code(code, "{\"data\": {\"x\": [1, 2, 3]}, \"timeout\": 10}");
	struct http_reply r;
	http_json(&s, "POST", "/v1/executions?wait=30", NULL, body, &r);
	CHECK_INT_EQ(r.status, 200);
	CHECK_STR_EQ(jstr(r.json, "status"), "done");
	CHECK_STR_EQ(jstr(r.json, "kind"), "execution");
	CHECK(json_is_true(test_json_get(r.json, "result.success")), "%s", r.body);
	CHECK_STR_EQ(jstr(r.json, "result.status"), "OK");
	CHECK_STR_EQ(jstr(r.json, "result.output"), "6\n");
	CHECK(jstr(r.json, "created") && jstr(r.json, "started") && jstr(r.json, "finished"));
	char *loc = http_header(&r, "Location");
	char want[64];
	snprintf(want, sizeof(want), "/v1/jobs/%s", jstr(r.json, "id"));
	CHECK_STR_EQ(loc, want);
	free(loc);

	/* the same code through `stratbox exec --json`: the same result */
	char code_f[] = "/tmp/stratbox-serve-code-XXXXXX", data_f[] = "/tmp/stratbox-serve-data-XXXXXX";
	test_temp_file(code_f, code);
	test_temp_file(data_f, "{\"x\": [1, 2, 3]}");
	int rc;
	char *out = test_run_bin(test_stratbox(),
				 (const char *const[]){ "exec", "--json", "--data", data_f, code_f,
							NULL },
				 TEST_STDERR_CAPTURE, &rc);
	json_t *cli = json_loads(out, 0, NULL);
	CHECK(cli != NULL, "exec printed: %s", out);
	CHECK_STR_EQ(jstr(cli, "output"), jstr(r.json, "result.output"));
	CHECK_STR_EQ(jstr(cli, "status"), jstr(r.json, "result.status"));
	json_decref(cli);
	free(out);
	unlink(code_f);
	unlink(data_f);

	/* a failing strategy is a done job whose result says so */
	free(body);
	body = body_with_code("raise ValueError('nope')\n", NULL);
	http_reply_free(&r);
	http_json(&s, "POST", "/v1/executions?wait=30", NULL, body, &r);
	CHECK_INT_EQ(r.status, 200);
	CHECK_STR_EQ(jstr(r.json, "status"), "done");
	CHECK(json_is_false(test_json_get(r.json, "result.success")));
	CHECK_STR_EQ(jstr(r.json, "result.status"), "NONZERO_EXIT");
	CHECK_CONTAINS(jstr(r.json, "result.error"), "ValueError: nope");
	http_reply_free(&r);
	free(body);
	CHECK_INT_EQ(server_signal_wait(&s, SIGTERM), 0);
	state_dir_remove(&s);
}

void v_backtest_waited_gives_cli_metrics(void)
{
	char found[4096];
	char *code = checkout_text(sma_path, found, sizeof(found));
	struct server s;
	state_dir_new(&s);
	server_start(&s, 1, NULL, NULL);
	char *body = body_with_code(code, "{\"symbols\": [\"GOOG\"], \"start\": \"2010-01-01\", "
					  "\"params\": {\"fast\": 5, \"slow\": 20}, "
					  "\"commission\": 0.001}");
	struct http_reply r;
	http_json(&s, "POST", "/v1/backtests?wait=60", NULL, body, &r);
	CHECK_INT_EQ(r.status, 200);
	CHECK_STR_EQ(jstr(r.json, "status"), "done");
	CHECK_STR_EQ(jstr(r.json, "kind"), "backtest");
	CHECK(json_is_true(test_json_get(r.json, "result.success")), "%.800s", r.body);
	const json_t *m = test_json_get(r.json, "result.metrics");
	CHECK(json_is_object(m), "%.800s", r.body);

	int rc;
	char *out = test_run_bin(test_stratbox(),
				 (const char *const[]){ "backtest", found, "--symbols", "GOOG",
							"--start", "2010-01-01", "--param", "fast=5",
							"--param", "slow=20", "--commission", "0.001",
							"--json", NULL },
				 TEST_STDERR_CAPTURE, &rc);
	CHECK_INT_EQ(rc, 0);
	json_t *cli = json_loads(out, 0, NULL);
	CHECK(cli != NULL, "backtest printed: %.500s", out);
	CHECK(json_equal(json_object_get(cli, "metrics"), (json_t *) m),
	      "the service's metrics differ from the CLI's");
	CHECK(json_equal(json_object_get(cli, "trades"), (json_t *) test_json_get(r.json, "result.trades")));
	/* the data files by name: where the server keeps them is its own */
	const char *file = json_string_value(json_object_get(
		json_array_get(test_json_get(r.json, "result.provenance.data"), 0), "file"));
	CHECK(file != NULL && strchr(file, '/') == NULL, "provenance names %s", file);
	json_decref(cli);
	free(out);

	/* inline CSV bars run too */
	free(body);
	body = body_with_code(code, "{\"data\": {\"X\": \"Date,Open,High,Low,Close\\n"
				    "2020-01-01,1,2,0.5,1.5\\n2020-01-02,1.5,2,1,1.8\\n"
				    "2020-01-03,1.8,2.2,1.7,2\\n\"}, "
				    "\"params\": {\"fast\": 1, \"slow\": 2}}");
	http_reply_free(&r);
	http_json(&s, "POST", "/v1/backtests?wait=60", NULL, body, &r);
	CHECK_INT_EQ(r.status, 200);
	CHECK_STR_EQ(jstr(r.json, "status"), "done");
	CHECK(json_is_object(test_json_get(r.json, "result.metrics")), "%.800s", r.body);
	http_reply_free(&r);
	free(body);
	free(code);
	CHECK_INT_EQ(server_signal_wait(&s, SIGTERM), 0);
	state_dir_remove(&s);
}

void v_validate_answers_at_once(void)
{
	struct server s;
	state_dir_new(&s);
	server_start(&s, 1, NULL, NULL);
	struct http_reply r;
	char *body = body_with_code("import os\nprint(os.environ)\n", NULL);
	http_json(&s, "POST", "/v1/validate", NULL, body, &r);
	CHECK_INT_EQ(r.status, 200);
	CHECK(json_is_false(json_object_get(r.json, "ok")), "%s", r.body);
	CHECK_STR_EQ(jstr(json_array_get(json_object_get(r.json, "violations"), 0), "rule"),
		     "import-not-allowed");
	http_reply_free(&r);
	free(body);
	body = body_with_code("import numpy as np\nprint(np.arange(3).sum())\n", NULL);
	http_json(&s, "POST", "/v1/validate", NULL, body, &r);
	CHECK_INT_EQ(r.status, 200);
	CHECK(json_is_true(json_object_get(r.json, "ok")), "%s", r.body);
	http_reply_free(&r);
	free(body);
	body = body_with_code("x = 'unterminated\n", NULL);
	http_json(&s, "POST", "/v1/validate", NULL, body, &r);
	CHECK_INT_EQ(r.status, 200);
	CHECK(json_is_false(json_object_get(r.json, "ok")), "%s", r.body);
	CHECK_STR_EQ(jstr(json_array_get(json_object_get(r.json, "violations"), 0), "rule"),
		     "syntax");
	http_reply_free(&r);
	free(body);
	/* nothing was queued */
	http_json(&s, "GET", "/v1/jobs", NULL, NULL, &r);
	CHECK_INT_EQ(r.status, 200);
	CHECK_INT_EQ(json_array_size(json_object_get(r.json, "jobs")), 0);
	http_reply_free(&r);
	CHECK_INT_EQ(server_signal_wait(&s, SIGTERM), 0);
	state_dir_remove(&s);
}

void v_no_or_wrong_token_gives_401(void)
{
	char tokens[] = "/tmp/stratbox-serve-tokens-XXXXXX";
	token_file(tokens);
	struct server s;
	state_dir_new(&s);
	server_start(&s, 1, tokens, NULL);
	struct http_reply r;
	const char *paths[] = { "/v1/jobs", "/v1/datasets", "/v1/jobs/jaaaaaaaaaaaaaaaaaaaaaaaaa" };
	for (size_t i = 0; i < 3; i++) {
		http_json(&s, "GET", paths[i], NULL, NULL, &r);
		CHECK_INT_EQ(r.status, 401);
		char *h = http_header(&r, "WWW-Authenticate");
		CHECK(h && strncasecmp(h, "Bearer", 6) == 0, "%s", r.headers);
		free(h);
		CHECK_STR_EQ(jstr(r.json, "error.code"), "unauthorized");
		http_reply_free(&r);
		http_json(&s, "GET", paths[i], "alice-0123456789abcdeX", NULL, &r);
		CHECK_INT_EQ(r.status, 401);
		http_reply_free(&r);
	}
	char *body = body_with_code("print(1)\n", NULL);
	http_json(&s, "POST", "/v1/executions", NULL, body, &r);
	CHECK_INT_EQ(r.status, 401);
	http_reply_free(&r);
	http(&s, "POST", "/v1/executions", "Authorization: Basic YWxpY2U6eA==\r\n", body,
	     strlen(body), &r);
	CHECK_INT_EQ(r.status, 401);
	http_reply_free(&r);
	free(body);
	/* the right token, and /healthz without one */
	http_json(&s, "GET", "/v1/jobs", TOKEN_ALICE, NULL, &r);
	CHECK_INT_EQ(r.status, 200);
	http_reply_free(&r);
	http_json(&s, "GET", "/healthz", NULL, NULL, &r);
	CHECK_INT_EQ(r.status, 200);
	CHECK_STR_EQ(jstr(r.json, "status"), "ok");
	http_reply_free(&r);
	CHECK_INT_EQ(server_signal_wait(&s, SIGTERM), 0);
	unlink(tokens);
	state_dir_remove(&s);
}

void v_other_tenants_job_is_404(void)
{
	char tokens[] = "/tmp/stratbox-serve-tokens-XXXXXX";
	token_file(tokens);
	struct server s;
	state_dir_new(&s);
	server_start(&s, 1, tokens, NULL);
	struct http_reply r;
	char *body = body_with_code("print('alice')\n", NULL);
	http_json(&s, "POST", "/v1/executions?wait=30", TOKEN_ALICE, body, &r);
	CHECK_INT_EQ(r.status, 200);
	char path[128];
	snprintf(path, sizeof(path), "/v1/jobs/%s", jstr(r.json, "id"));
	http_reply_free(&r);
	http_json(&s, "GET", path, TOKEN_BOB, NULL, &r);
	CHECK_INT_EQ(r.status, 404);
	CHECK_STR_EQ(jstr(r.json, "error.code"), "not_found");
	http_reply_free(&r);
	http_json(&s, "DELETE", path, TOKEN_BOB, NULL, &r);
	CHECK_INT_EQ(r.status, 404);
	http_reply_free(&r);
	http_json(&s, "GET", "/v1/jobs", TOKEN_BOB, NULL, &r);
	CHECK_INT_EQ(json_array_size(json_object_get(r.json, "jobs")), 0);
	http_reply_free(&r);
	http_json(&s, "GET", path, TOKEN_ALICE, NULL, &r);
	CHECK_INT_EQ(r.status, 200);
	CHECK_STR_EQ(jstr(r.json, "result.output"), "alice\n");
	http_reply_free(&r);
	free(body);
	CHECK_INT_EQ(server_signal_wait(&s, SIGTERM), 0);
	unlink(tokens);
	state_dir_remove(&s);
}

void v_idempotent_retry_gives_same_job(void)
{
	struct server s;
	state_dir_new(&s);
	server_start(&s, 1, NULL, NULL);
	char *body = body_with_code("print('once')\n", NULL);
	const char *hdr = "Idempotency-Key: retry-1\r\n";
	struct http_reply a, b;
	http(&s, "POST", "/v1/executions", hdr, body, strlen(body), &a);
	CHECK_INT_EQ(a.status, 202);
	http(&s, "POST", "/v1/executions?wait=30", hdr, body, strlen(body), &b);
	CHECK(b.status == 200 || b.status == 202, "%d", b.status);
	CHECK_STR_EQ(jstr(b.json, "id"), jstr(a.json, "id"));
	char *replayed = http_header(&b, "Idempotent-Replayed");
	CHECK_STR_EQ(replayed, "true");
	free(replayed);
	http_reply_free(&b);
	/* the same key for another request is refused, naming the job */
	char *other = body_with_code("print('twice')\n", NULL);
	http(&s, "POST", "/v1/executions", hdr, other, strlen(other), &b);
	CHECK_INT_EQ(b.status, 422);
	CHECK_STR_EQ(jstr(b.json, "error.code"), "idempotency_key_reused");
	CHECK_CONTAINS(jstr(b.json, "error.message"), jstr(a.json, "id"));
	http_reply_free(&b);
	/* one job in all */
	http_json(&s, "GET", "/v1/jobs", NULL, NULL, &b);
	CHECK_INT_EQ(json_array_size(json_object_get(b.json, "jobs")), 1);
	http_reply_free(&b);
	http_reply_free(&a);
	free(body);
	free(other);
	CHECK_INT_EQ(server_signal_wait(&s, SIGTERM), 0);
	state_dir_remove(&s);
}

static void expect_error(const struct server *s, const char *method, const char *path,
			 const char *headers, const char *body, size_t len, int status,
			 const char *says)
{
	struct http_reply r;
	http(s, method, path, headers, body, len, &r);
	CHECK(r.status == status, "%s %s: %d, want %d: %s", method, path, r.status, status,
	      r.body ? r.body : "");
	CHECK(jstr(r.json, "error.message") != NULL, "%s %s: no JSON error: %s", method, path,
	      r.body ? r.body : "");
	CHECK_CONTAINS(jstr(r.json, "error.message"), says);
	http_reply_free(&r);
}

static size_t len_of(const char *s)
{
	return s ? strlen(s) : 0;
}

void v_bad_requests_give_400_413_415_422(void)
{
	struct server s;
	state_dir_new(&s);
	server_start(&s, 1, NULL, (const char *const[]){ "--max-body", "64K", NULL });
#define E(m, p, h, b, st, says) expect_error(&s, m, p, h, b, len_of(b), st, says)
	E("POST", "/v1/executions", NULL, "{\"code\": ", 400, "not JSON: line 1");
	E("POST", "/v1/executions", NULL, "{\"code\": \"a\", \"code\": \"b\"}", 400, "duplicate");
	expect_error(&s, "POST", "/v1/executions", NULL, "{\"code\": \"\xff\"}", 14, 400,
		     "not JSON");
	E("POST", "/v1/executions", "Content-Type: text/plain\r\n", "print(1)", 415,
	  "Content-Type: application/json");
	E("POST", "/v1/executions", NULL, "[1]", 422, "a JSON object");
	E("POST", "/v1/executions", NULL, "{\"code\": \"print(1)\", \"tiemout\": 5}", 422,
	  "unknown key \"tiemout\"");
	E("POST", "/v1/executions", NULL, "{\"code\": 5}", 422, "\"code\" (a string)");
	E("POST", "/v1/executions", NULL, "{\"code\": \"x\", \"timeout\": -1}", 422, "timeout");
	E("POST", "/v1/backtests", NULL, "{\"code\": \"x\", \"symbols\": [\"NOPE\"]}", 422,
	  "no bundled dataset 'NOPE'");
	E("POST", "/v1/backtests", NULL, "{\"code\": \"x\", \"symbols\": [\"GOOG\"], \"margin\": 2}",
	  422, "margin");
	E("POST", "/v1/backtests", NULL, "{\"code\": \"x\", \"symbols\": [\"../etc/passwd\"]}", 422,
	  "not a dataset name");
	E("POST", "/v1/backtests", NULL, "{\"code\": \"x\", \"data\": {\"X\": \"Date,Close\\nzz,1\\n\"}}",
	  422, "\"data\".\"X\"");
	/* per-field limits, each named */
	E("POST", "/v1/backtests", NULL,
	  "{\"code\": \"x\", \"symbols\": \"A,B,C,D,E,F,G,H,I,J,K,L,M,N,O,P,Q\"}", 422,
	  "17 symbols: a backtest takes at most 16");
	char longname[400];
	snprintf(longname, sizeof(longname),
		 "{\"code\": \"x\", \"symbols\": [\"GOOG\"], \"strategy\": \"%0256d\"}", 7);
	E("POST", "/v1/backtests", NULL, longname, 422, "\"strategy\" is 256 bytes: at most 255");
	E("POST", "/v1/executions?wait=abc", NULL, "{\"code\": \"x\"}", 400, "?wait=abc");
	E("GET", "/v1/jobs?status=sleeping", NULL, NULL, 400, "queued, running");
	E("GET", "/v1/nothing", NULL, NULL, 404, "no such path");
	E("PUT", "/v1/executions", NULL, NULL, 405, "POST");
	E("GET", "/v1/jobs/jaaaaaaaaaaaaaaaaaaaaaaaaa", NULL, NULL, 404, "no job");
	/* a body over --max-body: by its Content-Length before it is read... */
	E("POST", "/v1/executions",
	  "Content-Type: application/json\r\nContent-Length: 100000000\r\n", NULL, 413,
	  "larger than 65536 bytes");
	/* ...and one sent whole */
	size_t big = 100 * 1024;
	char *b = malloc(big + 1);
	memset(b, ' ', big);
	b[big] = '\0';
	memcpy(b, "{\"code\": \"", 10);
	memcpy(b + big - 2, "\"}", 2);
	expect_error(&s, "POST", "/v1/executions", NULL, b, big, 413, "larger than");
	free(b);
	CHECK_INT_EQ(server_signal_wait(&s, SIGTERM), 0);
	/* a strategy over 1 MiB in a body the server takes */
	server_start(&s, 1, NULL, (const char *const[]){ "--max-body", "4M", NULL });
	big = 1100 * 1024;
	b = malloc(big + 1);
	memset(b, '#', big);
	b[big] = '\0';
	memcpy(b, "{\"code\": \"", 10);
	memcpy(b + big - 2, "\"}", 2);
	expect_error(&s, "POST", "/v1/executions", NULL, b, big, 422, "at most 1048576");
	free(b);
#undef E
	/* nothing was stored */
	struct http_reply r;
	http_json(&s, "GET", "/v1/jobs", NULL, NULL, &r);
	CHECK_INT_EQ(json_array_size(json_object_get(r.json, "jobs")), 0);
	http_reply_free(&r);
	CHECK_INT_EQ(server_signal_wait(&s, SIGTERM), 0);
	state_dir_remove(&s);
}

void v_queued_job_cancelled_never_runs(void)
{
	struct server s;
	state_dir_new(&s);
	server_start(&s, 1, NULL, NULL);
	char *slow = submit_id(&s, "import time\ntime.sleep(2)\n");
	char *victim = submit_id(&s, "print('ran')\n");
	char path[128];
	snprintf(path, sizeof(path), "/v1/jobs/%s", victim);
	struct http_reply r;
	http_json(&s, "DELETE", path, NULL, NULL, &r);
	CHECK_INT_EQ(r.status, 200);
	CHECK_STR_EQ(jstr(r.json, "status"), "cancelled");
	http_reply_free(&r);
	http_json(&s, "DELETE", path, NULL, NULL, &r);
	CHECK_INT_EQ(r.status, 409);
	http_reply_free(&r);
	snprintf(path, sizeof(path), "/v1/jobs/%s?wait=30", slow);
	http_json(&s, "GET", path, NULL, NULL, &r);
	CHECK_STR_EQ(jstr(r.json, "status"), "done");
	http_reply_free(&r);
	snprintf(path, sizeof(path), "/v1/jobs/%s", victim);
	http_json(&s, "GET", path, NULL, NULL, &r);
	CHECK_STR_EQ(jstr(r.json, "status"), "cancelled");
	CHECK(json_is_null(test_json_get(r.json, "result")));
	CHECK(json_is_null(test_json_get(r.json, "started")));
	http_reply_free(&r);
	free(slow);
	free(victim);
	CHECK_INT_EQ(server_signal_wait(&s, SIGTERM), 0);
	state_dir_remove(&s);
}

void v_list_filters_by_status_and_pages(void)
{
	struct server s;
	state_dir_new(&s);
	server_start(&s, 1, NULL, NULL);
	char *ids[3];
	for (int i = 0; i < 3; i++)
		ids[i] = submit_id(&s, "print(1)\n");
	for (int i = 0; i < 3; i++)
		wait_status(&s, NULL, ids[i], "done");
	struct http_reply r;
	http_json(&s, "GET", "/v1/jobs?limit=2", NULL, NULL, &r);
	CHECK_INT_EQ(r.status, 200);
	const json_t *jobs = json_object_get(r.json, "jobs");
	CHECK_INT_EQ(json_array_size(jobs), 2);
	CHECK_STR_EQ(jstr(json_array_get(jobs, 0), "id"), ids[2]);
	CHECK(json_object_get(json_array_get(jobs, 0), "result") == NULL); /* lists are short */
	char path[128];
	snprintf(path, sizeof(path), "/v1/jobs?limit=2&cursor=%s", jstr(r.json, "next_cursor"));
	http_reply_free(&r);
	http_json(&s, "GET", path, NULL, NULL, &r);
	jobs = json_object_get(r.json, "jobs");
	CHECK_INT_EQ(json_array_size(jobs), 1);
	CHECK_STR_EQ(jstr(json_array_get(jobs, 0), "id"), ids[0]);
	CHECK(json_is_null(json_object_get(r.json, "next_cursor")));
	http_reply_free(&r);
	http_json(&s, "GET", "/v1/jobs?status=queued", NULL, NULL, &r);
	CHECK_INT_EQ(json_array_size(json_object_get(r.json, "jobs")), 0);
	http_reply_free(&r);
	http_json(&s, "GET", "/v1/jobs?status=done", NULL, NULL, &r);
	CHECK_INT_EQ(json_array_size(json_object_get(r.json, "jobs")), 3);
	http_reply_free(&r);
	/* a page that holds the last job exactly: no cursor to an empty page */
	http_json(&s, "GET", "/v1/jobs?limit=3", NULL, NULL, &r);
	CHECK_INT_EQ(json_array_size(json_object_get(r.json, "jobs")), 3);
	CHECK(json_is_null(json_object_get(r.json, "next_cursor")));
	http_reply_free(&r);
	http_json(&s, "GET", "/v1/jobs?limit=0", NULL, NULL, &r);
	CHECK_INT_EQ(r.status, 400);
	http_reply_free(&r);
	http_json(&s, "GET", "/v1/datasets", NULL, NULL, &r);
	CHECK_INT_EQ(r.status, 200);
	CHECK_STR_EQ(jstr(json_array_get(json_object_get(r.json, "datasets"), 0), "name"), "GOOG");
	http_reply_free(&r);
	for (int i = 0; i < 3; i++)
		free(ids[i]);
	CHECK_INT_EQ(server_signal_wait(&s, SIGTERM), 0);
	state_dir_remove(&s);
}

void v_non_loopback_without_tokens_refused(void)
{
	struct server s;
	state_dir_new(&s);
	int rc;
	char *out = test_run_bin(test_stratbox(),
				 (const char *const[]){ "serve", "--listen", "0.0.0.0:0",
							"--state-dir", s.dir, NULL },
				 TEST_STDERR_MERGE, &rc);
	CHECK_INT_EQ(rc, 2);
	CHECK_CONTAINS(out, "loopback only");
	free(out);
	out = test_run_bin(test_stratbox(), (const char *const[]){ "serve", NULL },
			   TEST_STDERR_MERGE, &rc);
	CHECK_INT_EQ(rc, 2);
	CHECK_CONTAINS(out, "--state-dir");
	free(out);
	server_start(&s, 1, NULL, NULL);
	char *log = server_log_text(&s);
	CHECK_CONTAINS(log, "no --token-file: one tenant, loopback only");
	free(log);
	CHECK_INT_EQ(server_signal_wait(&s, SIGTERM), 0);
	state_dir_remove(&s);
}

/* Read the store a stopped server left. */
static void stored(const struct server *s, const char *id, struct sbx_store_job *j)
{
	sbx_store *st = NULL;
	sbx_error *err = NULL;
	CHECK(sbx_store_open(s->dir, &st, NULL, &err) == 0, "%s", err ? err->msg : "");
	CHECK_INT_EQ(sbx_store_get(st, NULL, id, j, &err), 1);
	sbx_store_close(st);
}

void v_sigterm_lets_running_job_finish(void)
{
	struct server s;
	state_dir_new(&s);
	server_start(&s, 1, NULL, NULL);
	char *running = submit_id(&s, "import time\ntime.sleep(1.5)\nprint('finished')\n");
	char *queued = submit_id(&s, "print('later')\n");
	wait_status(&s, NULL, running, "running");
	CHECK_INT_EQ(server_signal_wait(&s, SIGTERM), 0);
	char *log = server_log_text(&s);
	CHECK_CONTAINS(log, "stopping");
	free(log);
	struct sbx_store_job j;
	stored(&s, running, &j);
	CHECK_INT_EQ(j.status, SBX_JOB_DONE);
	CHECK_CONTAINS(j.result, "finished");
	sbx_store_job_clear(&j);
	stored(&s, queued, &j);
	CHECK_INT_EQ(j.status, SBX_JOB_QUEUED); /* kept for the next start */
	sbx_store_job_clear(&j);
	server_start(&s, 1, NULL, NULL);
	wait_status(&s, NULL, queued, "done");
	CHECK_INT_EQ(server_signal_wait(&s, SIGTERM), 0);
	stored(&s, queued, &j);
	CHECK_CONTAINS(j.result, "later");
	CHECK_INT_EQ(j.attempts, 1);
	sbx_store_job_clear(&j);
	free(running);
	free(queued);
	state_dir_remove(&s);
}

void v_killed_server_restarted_runs_every_job_once(void)
{
	struct server s;
	state_dir_new(&s);
	server_start(&s, 1, NULL, NULL);
	enum { N = 4 };
	char *ids[N];
	ids[0] = submit_id(&s, "import time\ntime.sleep(3)\nprint('job 0')\n");
	for (int i = 1; i < N; i++) {
		char code[64];
		snprintf(code, sizeof(code), "print('job %d')\n", i);
		ids[i] = submit_id(&s, code);
	}
	wait_status(&s, NULL, ids[0], "running");
	CHECK_INT_EQ(server_signal_wait(&s, SIGKILL), 128 + SIGKILL);

	server_start(&s, 2, NULL, NULL);
	char *log = server_log_text(&s);
	CHECK_CONTAINS(log, "1 job(s) a previous server left running are queued again");
	free(log);
	for (int i = 0; i < N; i++)
		wait_status(&s, NULL, ids[i], "done");
	struct http_reply r;
	http_json(&s, "GET", "/v1/jobs?limit=100", NULL, NULL, &r);
	CHECK_INT_EQ(json_array_size(json_object_get(r.json, "jobs")), N);
	http_reply_free(&r);
	CHECK_INT_EQ(server_signal_wait(&s, SIGTERM), 0);
	for (int i = 0; i < N; i++) {
		struct sbx_store_job j;
		stored(&s, ids[i], &j);
		CHECK_INT_EQ(j.status, SBX_JOB_DONE);
		char want[32];
		snprintf(want, sizeof(want), "job %d\\n", i);
		CHECK_CONTAINS(j.result, want);
		CHECK_INT_EQ(j.attempts, i == 0 ? 2 : 1);
		sbx_store_job_clear(&j);
		free(ids[i]);
	}
	state_dir_remove(&s);
}

void v_full_queue_gives_429_with_retry_after(void)
{
	struct server s;
	state_dir_new(&s);
	server_start(&s, 1, NULL, (const char *const[]){ "--max-queue", "1", NULL });
	char *running = submit_id(&s, "import time\ntime.sleep(1)\n");
	wait_status(&s, NULL, running, "running");
	char *queued = submit_id(&s, "print(1)\n");
	char *body = body_with_code("print(2)\n", NULL);
	struct http_reply r;
	http_json(&s, "POST", "/v1/executions", NULL, body, &r);
	CHECK_INT_EQ(r.status, 429);
	CHECK_STR_EQ(jstr(r.json, "error.code"), "queue_full");
	char *ra = http_header(&r, "Retry-After");
	CHECK(ra != NULL && atoi(ra) > 0, "Retry-After: %s", ra ? ra : "(none)");
	free(ra);
	http_reply_free(&r);
	/* once the queue drains, the same request is accepted */
	wait_status(&s, NULL, queued, "done");
	http_json(&s, "POST", "/v1/executions?wait=30", NULL, body, &r);
	CHECK_INT_EQ(r.status, 200);
	CHECK_STR_EQ(jstr(r.json, "result.output"), "2\n");
	http_reply_free(&r);
	free(body);
	free(running);
	free(queued);
	CHECK_INT_EQ(server_signal_wait(&s, SIGTERM), 0);
	state_dir_remove(&s);
}
