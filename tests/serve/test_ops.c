/* The service's operations over HTTP: reports, /metrics, killing a running
 * job, a tenant's quota, the drain's time limit, retention. */
#include "serve.h"
#include "store/store.h"
#include "tests.h"

#include "harness.h"
#include "helpers.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char *submit(const struct server *s, const char *token, const char *path,
		    const char *body, int want)
{
	struct http_reply r;
	http_json(s, "POST", path, token, body, &r);
	CHECK_INT_EQ(r.status, want);
	char *id = strdup(jstr(r.json, "id") ? jstr(r.json, "id") : "");
	http_reply_free(&r);
	return id;
}

static const char sma[] = "class Sma(BaseStrategy):\n"
			  "    def generate_signals(self, d):\n"
			  "        c = d.close\n"
			  "        if len(c) < 20:\n"
			  "            return []\n"
			  "        f, s = c[-5:].mean(), c[-20:].mean()\n"
			  "        if f > s and self.position <= 0:\n"
			  "            return [self.buy()]\n"
			  "        if f < s and self.position > 0:\n"
			  "            return [self.close()]\n"
			  "        return []\n"
			  "print('<script>alert(1)</script>')\n";

/* A done backtest's report: HTML with the engine's numbers, served with a
 * sandboxing policy, kept in DIR/reports; the same again on a second GET;
 * 409 while the job runs, 404 for an execution, another tenant's job, or
 * one cancelled. */
void v_backtest_report_served_and_kept(void)
{
	struct server s;
	state_dir_new(&s);
	char tokens[] = "/tmp/stratbox-serve-tokens-XXXXXX";
	test_temp_file(tokens, "alice tok-alice-0123456789\nbob tok-bob-0123456789\n");
	server_start(&s, 1, tokens, NULL);
	char *body = body_with_code(sma, "{\"symbols\": [\"GOOG\"], \"start\": \"2010-01-01\"}");
	struct http_reply r;
	http_json(&s, "POST", "/v1/backtests?wait=60", "tok-alice-0123456789", body, &r);
	CHECK(r.status == 200, "%d: %.500s", r.status, r.body);
	CHECK(json_is_true(test_json_get(r.json, "result.success")), "%.500s", r.body);
	char *id = strdup(jstr(r.json, "id"));
	double ret = json_number_value(test_json_get(r.json, "result.metrics.return_pct"));
	http_reply_free(&r);

	char path[128];
	snprintf(path, sizeof(path), "/v1/jobs/%s/report", id);
	http_json(&s, "GET", path, "tok-alice-0123456789", NULL, &r);
	CHECK_INT_EQ(r.status, 200);
	char *ct = http_header(&r, "content-type");
	CHECK_CONTAINS(ct, "text/html");
	free(ct);
	char *csp = http_header(&r, "content-security-policy");
	CHECK_CONTAINS(csp, "sandbox allow-scripts");
	CHECK(strstr(csp, "allow-same-origin") == NULL);
	free(csp);
	CHECK_CONTAINS(r.body, "<!DOCTYPE html>");
	CHECK_CONTAINS(r.body, id);
	/* the strategy's output is in the page, escaped */
	CHECK(strstr(r.body, "<script>alert(1)</script>") == NULL);
	/* the engine's return, as the page shows it */
	char want[64];
	snprintf(want, sizeof(want), ">%+.2f&nbsp;%%<", ret);
	test_note("return_pct %s", want);
	CHECK_CONTAINS(r.body, want);
	size_t first_len = strlen(r.body);
	http_reply_free(&r);
	char file[600];
	snprintf(file, sizeof(file), "%s/reports/%s.html", s.dir, id);
	struct stat st;
	CHECK(stat(file, &st) == 0, "no %s", file);
	CHECK_INT_EQ((size_t) st.st_size, first_len);
	http_json(&s, "GET", path, "tok-alice-0123456789", NULL, &r);
	CHECK_INT_EQ(r.status, 200);
	CHECK_INT_EQ(strlen(r.body), first_len);
	http_reply_free(&r);
	/* another tenant: not found, as if it did not exist */
	http_json(&s, "GET", path, "tok-bob-0123456789", NULL, &r);
	CHECK_INT_EQ(r.status, 404);
	http_reply_free(&r);
	/* an execution has none */
	char *eb = body_with_code("print(1)\n", NULL);
	http_json(&s, "POST", "/v1/executions?wait=30", "tok-alice-0123456789", eb, &r);
	CHECK_INT_EQ(r.status, 200);
	snprintf(path, sizeof(path), "/v1/jobs/%s/report", jstr(r.json, "id"));
	http_reply_free(&r);
	http_json(&s, "GET", path, "tok-alice-0123456789", NULL, &r);
	CHECK_INT_EQ(r.status, 404);
	CHECK_STR_EQ(jstr(r.json, "error.code"), "no_report");
	http_reply_free(&r);
	free(eb);
	/* a running backtest: 409, then cancelled: 404 */
	char *slow = body_with_code("import time\n"
				    "class Slow(BaseStrategy):\n"
				    "    def generate_signals(self, d):\n"
				    "        time.sleep(0.05)\n"
				    "        return []\n",
				    "{\"symbols\": [\"GOOG\"]}");
	char *sid = submit(&s, "tok-alice-0123456789", "/v1/backtests", slow, 202);
	wait_status(&s, "tok-alice-0123456789", sid, "running");
	snprintf(path, sizeof(path), "/v1/jobs/%s/report", sid);
	http_json(&s, "GET", path, "tok-alice-0123456789", NULL, &r);
	CHECK_INT_EQ(r.status, 409);
	char *ra = http_header(&r, "retry-after");
	CHECK(ra != NULL);
	free(ra);
	http_reply_free(&r);
	char jpath[128];
	snprintf(jpath, sizeof(jpath), "/v1/jobs/%s", sid);
	http_json(&s, "DELETE", jpath, "tok-alice-0123456789", NULL, &r);
	CHECK_INT_EQ(r.status, 200);
	http_reply_free(&r);
	http_json(&s, "GET", path, "tok-alice-0123456789", NULL, &r);
	CHECK_INT_EQ(r.status, 404);
	http_reply_free(&r);
	CHECK_INT_EQ(server_signal_wait(&s, SIGTERM), 0);
	free(slow);
	free(sid);
	free(body);
	free(id);
	unlink(tokens);
	state_dir_remove(&s);
}

/* DELETE of a running job kills it: with one worker, a job queued behind
 * a 60 s sleeper runs at once, and the sleeper ends cancelled, with no
 * result.  Both kinds: an execution and a backtest. */
void v_running_job_deleted_is_killed(void)
{
	struct server s;
	state_dir_new(&s);
	server_start(&s, 1, NULL, NULL);
	static const char *const kinds[][2] = {
		{ "/v1/executions", "{\"code\": \"import time\\ntime.sleep(60)\\n\"}" },
		{ "/v1/backtests", "{\"code\": \"import time\\nclass S(BaseStrategy):\\n"
				   "    def generate_signals(self, d):\\n"
				   "        time.sleep(60)\\n\", \"symbols\": [\"GOOG\"]}" },
	};
	for (size_t k = 0; k < 2; k++) {
		char *id = submit(&s, NULL, kinds[k][0], kinds[k][1], 202);
		wait_status(&s, NULL, id, "running");
		char *next = submit_id(&s, "print('next')\n");
		double t0 = now_s();
		char path[128];
		snprintf(path, sizeof(path), "/v1/jobs/%s", id);
		struct http_reply r;
		http_json(&s, "DELETE", path, NULL, NULL, &r);
		CHECK_INT_EQ(r.status, 200);
		CHECK_STR_EQ(jstr(r.json, "status"), "cancelled");
		http_reply_free(&r);
		wait_status(&s, NULL, next, "done");
		double dt = now_s() - t0;
		test_note("%s: the next job done %.2f s after the DELETE", kinds[k][0], dt);
		CHECK(dt < 20, "the killed job held the worker for %.1f s", dt);
		http_json(&s, "GET", path, NULL, NULL, &r);
		CHECK_STR_EQ(jstr(r.json, "status"), "cancelled");
		CHECK(json_is_null(json_object_get(r.json, "result")));
		http_reply_free(&r);
		free(next);
		free(id);
	}
	CHECK_INT_EQ(server_signal_wait(&s, SIGTERM), 0);
	state_dir_remove(&s);
}

/* --tenant-max-running 2: a tenant's third unfinished job gets 429 with
 * Retry-After; another tenant is not held up; a place frees when a job
 * ends. */
void v_tenant_quota_gives_429(void)
{
	struct server s;
	state_dir_new(&s);
	char tokens[] = "/tmp/stratbox-serve-tokens-XXXXXX";
	test_temp_file(tokens, "alice tok-alice-0123456789\nbob tok-bob-0123456789\n");
	server_start(&s, 1, tokens, (const char *const[]){ "--tenant-max-running", "2", NULL });
	const char *alice = "tok-alice-0123456789";
	char *sleeper = body_with_code("import time\ntime.sleep(60)\n", NULL);
	char *a1 = submit(&s, alice, "/v1/executions", sleeper, 202);
	char *a2 = submit(&s, alice, "/v1/executions", sleeper, 202);
	struct http_reply r;
	http_json(&s, "POST", "/v1/executions", alice, sleeper, &r);
	CHECK_INT_EQ(r.status, 429);
	CHECK_STR_EQ(jstr(r.json, "error.code"), "tenant_quota");
	char *ra = http_header(&r, "retry-after");
	CHECK(ra != NULL && atoi(ra) > 0);
	free(ra);
	http_reply_free(&r);
	char *quick = body_with_code("print(2)\n", NULL);
	char *b1 = submit(&s, "tok-bob-0123456789", "/v1/executions", quick, 202);
	char path[128];
	snprintf(path, sizeof(path), "/v1/jobs/%s", a2);
	http_json(&s, "DELETE", path, alice, NULL, &r);
	CHECK_INT_EQ(r.status, 200);
	http_reply_free(&r);
	char *a3 = submit(&s, alice, "/v1/executions", quick, 202);
	snprintf(path, sizeof(path), "/v1/jobs/%s", a1);
	http_json(&s, "DELETE", path, alice, NULL, &r);
	http_reply_free(&r);
	wait_status(&s, "tok-bob-0123456789", b1, "done");
	wait_status(&s, alice, a3, "done");
	CHECK_INT_EQ(server_signal_wait(&s, SIGTERM), 0);
	free(a1);
	free(a2);
	free(a3);
	free(b1);
	free(quick);
	free(sleeper);
	unlink(tokens);
	state_dir_remove(&s);
}

/* SIGTERM with a job that outlasts --drain-timeout: the server stops
 * within about the timeout, the job is queued again (no result, attempts
 * 1), and the next start runs it to the end. */
void v_drain_timeout_requeues_running_job(void)
{
	struct server s;
	state_dir_new(&s);
	server_start(&s, 1, NULL, (const char *const[]){ "--drain-timeout", "1s", NULL });
	char *id = submit_id(&s, "import time\ntime.sleep(4)\nprint('ran to the end')\n");
	wait_status(&s, NULL, id, "running");
	double t0 = now_s();
	CHECK_INT_EQ(server_signal_wait(&s, SIGTERM), 0);
	double dt = now_s() - t0;
	test_note("stopped %.2f s after SIGTERM", dt);
	CHECK(dt < 3.5, "the drain took %.1f s with --drain-timeout 1s", dt);
	char *log = server_log_text(&s);
	CHECK_CONTAINS(log, "queued again");
	free(log);
	server_start(&s, 1, NULL, NULL);
	char path[128];
	snprintf(path, sizeof(path), "/v1/jobs/%s", id);
	struct http_reply r;
	http_json(&s, "GET", path, NULL, NULL, &r);
	CHECK(strcmp(jstr(r.json, "status"), "queued") == 0 ||
		      strcmp(jstr(r.json, "status"), "running") == 0,
	      "%s", r.body);
	http_reply_free(&r);
	wait_status(&s, NULL, id, "done");
	http_json(&s, "GET", path, NULL, NULL, &r);
	CHECK_CONTAINS(jstr(r.json, "result.output"), "ran to the end");
	CHECK_INT_EQ(json_integer_value(json_object_get(r.json, "attempts")), 2);
	http_reply_free(&r);
	CHECK_INT_EQ(server_signal_wait(&s, SIGTERM), 0);
	free(id);
	state_dir_remove(&s);
}

/* --retention 2s: an ended job and its report are gone a few seconds
 * after it ended; a job still queued behind a sleeper is not. */
void v_retention_deletes_ended_jobs_and_reports(void)
{
	struct server s;
	state_dir_new(&s);
	server_start(&s, 1, NULL, (const char *const[]){ "--retention", "2s", NULL });
	char *body = body_with_code(sma, "{\"symbols\": [\"GOOG\"], \"start\": \"2010-01-01\"}");
	struct http_reply r;
	http_json(&s, "POST", "/v1/backtests?wait=60", NULL, body, &r);
	CHECK_INT_EQ(r.status, 200);
	char *id = strdup(jstr(r.json, "id"));
	http_reply_free(&r);
	char path[128], file[600];
	snprintf(path, sizeof(path), "/v1/jobs/%s/report", id);
	http_json(&s, "GET", path, NULL, NULL, &r);
	CHECK_INT_EQ(r.status, 200);
	http_reply_free(&r);
	snprintf(file, sizeof(file), "%s/reports/%s.html", s.dir, id);
	CHECK(access(file, F_OK) == 0);
	char *sleeper = submit_id(&s, "import time\ntime.sleep(8)\n");
	char *waiting = submit_id(&s, "print('waiting')\n");
	snprintf(path, sizeof(path), "/v1/jobs/%s", id);
	int code = 200;
	double t0 = now_s();
	while (code == 200 && now_s() - t0 < 6) {
		usleep(100 * 1000);
		http_json(&s, "GET", path, NULL, NULL, &r);
		code = r.status;
		http_reply_free(&r);
	}
	test_note("the ended job was deleted %.1f s after the test began waiting", now_s() - t0);
	CHECK_INT_EQ(code, 404);
	CHECK(access(file, F_OK) != 0, "%s is still there", file);
	snprintf(path, sizeof(path), "/v1/jobs/%s", waiting);
	http_json(&s, "GET", path, NULL, NULL, &r);
	CHECK_INT_EQ(r.status, 200);
	CHECK_STR_EQ(jstr(r.json, "status"), "queued");
	http_reply_free(&r);
	http_json(&s, "GET", "/metrics", NULL, NULL, &r);
	CHECK_CONTAINS(r.body, "stratbox_jobs_expired_total 1");
	http_reply_free(&r);
	snprintf(path, sizeof(path), "/v1/jobs/%s", sleeper);
	http_json(&s, "DELETE", path, NULL, NULL, &r);
	http_reply_free(&r);
	CHECK_INT_EQ(server_signal_wait(&s, SIGTERM), 0);
	free(sleeper);
	free(waiting);
	free(body);
	free(id);
	state_dir_remove(&s);
}

static double metric(const char *text, const char *series)
{
	size_t n = strlen(series);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, series, n) == 0 && p[n] == ' ')
			return strtod(p + n + 1, NULL);
	return -1;
}

/* /metrics: needs a token; Prometheus text whose counters follow what was
 * done: jobs by kind and status, the queue, the pool, the histograms'
 * counts, HTTP responses by code. */
void v_metrics_count_the_service(void)
{
	struct server s;
	state_dir_new(&s);
	char tokens[] = "/tmp/stratbox-serve-tokens-XXXXXX";
	test_temp_file(tokens, "alice tok-alice-0123456789\nbob tok-bob-0123456789\n");
	server_start(&s, 1, tokens, NULL);
	struct http_reply r;
	http_json(&s, "GET", "/metrics", NULL, NULL, &r);
	CHECK_INT_EQ(r.status, 401);
	http_reply_free(&r);
	const char *alice = "tok-alice-0123456789", *bob = "tok-bob-0123456789";
	char *ok = body_with_code("print(1)\n", NULL);
	char *bad = body_with_code("raise SystemExit(3)\n", NULL);
	http_json(&s, "POST", "/v1/executions?wait=30", alice, ok, &r);
	CHECK_INT_EQ(r.status, 200);
	http_reply_free(&r);
	http_json(&s, "POST", "/v1/executions?wait=30", bob, bad, &r);
	CHECK_INT_EQ(r.status, 200);
	http_reply_free(&r);
	http_json(&s, "POST", "/v1/executions", alice, "{not json", &r);
	CHECK_INT_EQ(r.status, 400);
	http_reply_free(&r);
	char *bt = body_with_code(sma, "{\"symbols\": [\"GOOG\"], \"start\": \"2010-01-01\"}");
	http_json(&s, "POST", "/v1/backtests?wait=60", alice, bt, &r);
	CHECK_INT_EQ(r.status, 200);
	http_reply_free(&r);
	char *sleeper = body_with_code("import time\ntime.sleep(60)\n", NULL);
	char *sid = submit(&s, alice, "/v1/executions", sleeper, 202);
	wait_status(&s, alice, sid, "running");
	char *qid = submit(&s, alice, "/v1/executions", ok, 202);

	/* "running" is the worker's claim; the job takes its slot a moment
	 * later (a slot still being forked and warmed after the backtest) */
	for (int i = 0;; i++) {
		http_json(&s, "GET", "/metrics", bob, NULL, &r);
		CHECK_INT_EQ(r.status, 200);
		if (i == 200 || metric(r.body, "stratbox_pool_slots{state=\"busy\"}") >= 1)
			break;
		http_reply_free(&r);
		usleep(50 * 1000);
	}
	char *ct = http_header(&r, "content-type");
	CHECK_CONTAINS(ct, "text/plain; version=0.0.4");
	free(ct);
	const char *m = r.body;
	test_note("metrics:\n%.3000s", m);
	/* the whole service, whichever tenant asks */
	CHECK(metric(m, "stratbox_jobs_ended_total{kind=\"execution\",status=\"done\"}") == 2);
	CHECK(metric(m, "stratbox_jobs_ended_total{kind=\"backtest\",status=\"done\"}") == 1);
	CHECK(metric(m, "stratbox_jobs_ended_total{kind=\"execution\",status=\"failed\"}") == 0);
	CHECK(metric(m, "stratbox_queue_depth") == 1);
	CHECK(metric(m, "stratbox_jobs{status=\"running\"}") == 1);
	CHECK(metric(m, "stratbox_workers{state=\"busy\"}") == 1);
	CHECK(metric(m, "stratbox_pool_slots{state=\"busy\"}") >= 1);
	CHECK(metric(m, "stratbox_job_run_seconds_count") == 3);
	CHECK(metric(m, "stratbox_job_queue_wait_seconds_count") == 3);
	CHECK(metric(m, "stratbox_job_run_seconds_bucket{le=\"+Inf\"}") == 3);
	CHECK(metric(m, "stratbox_http_responses_total{code=\"400\"}") == 1);
	CHECK(metric(m, "stratbox_http_responses_total{code=\"401\"}") == 1);
	CHECK(metric(m, "stratbox_http_responses_total{code=\"200\"}") >= 3);
	http_reply_free(&r);
	char path[128];
	snprintf(path, sizeof(path), "/v1/jobs/%s", sid);
	http_json(&s, "DELETE", path, alice, NULL, &r);
	http_reply_free(&r);
	wait_status(&s, alice, qid, "done");
	http_json(&s, "GET", "/metrics", alice, NULL, &r);
	CHECK(metric(r.body, "stratbox_jobs_ended_total{kind=\"execution\",status=\"cancelled\"}") ==
	      1);
	CHECK(metric(r.body, "stratbox_jobs_ended_total{kind=\"execution\",status=\"done\"}") == 3);
	CHECK(metric(r.body, "stratbox_queue_depth") == 0);
	http_reply_free(&r);
	CHECK_INT_EQ(server_signal_wait(&s, SIGTERM), 0);
	free(sid);
	free(qid);
	free(sleeper);
	free(bt);
	free(ok);
	free(bad);
	unlink(tokens);
	state_dir_remove(&s);
}

/* Python's ssl module as the client: GET path over HTTPS, verifying the
 * server's certificate against ca; prints "STATUS BODY". */
static char *https_get(unsigned port, const char *ca, const char *path, int *rc)
{
	char script[1024];
	snprintf(script, sizeof(script),
		 "import http.client, ssl, sys\n"
		 "ctx = ssl.create_default_context(cafile=sys.argv[1])\n"
		 "c = http.client.HTTPSConnection('127.0.0.1', %u, context=ctx, timeout=30)\n"
		 "c.request('GET', sys.argv[2])\n"
		 "r = c.getresponse()\n"
		 "print(r.status, r.read().decode())\n",
		 port);
	return test_run_bin("/usr/bin/python3",
			    (const char *const[]){ "-c", script, ca, path, NULL },
			    TEST_STDERR_MERGE, rc);
}

/* --tls-cert/--tls-key: HTTPS that a verifying client accepts, nothing in
 * plain text on that port; refused: one without the other, a key that is
 * not the certificate's, files that are not PEM, and plain HTTP beyond
 * loopback unless --plain-http says a proxy terminates TLS. */
void v_tls_serves_https_only(void)
{
	if (access("/usr/bin/openssl", X_OK) != 0 || access("/usr/bin/python3", X_OK) != 0)
		test_skip("no /usr/bin/openssl or /usr/bin/python3");
	struct server s;
	state_dir_new(&s);
	char cert[600], key[600], key2[600], cert2[600];
	snprintf(cert, sizeof(cert), "%s.cert.pem", s.dir);
	snprintf(key, sizeof(key), "%s.key.pem", s.dir);
	snprintf(cert2, sizeof(cert2), "%s.cert2.pem", s.dir);
	snprintf(key2, sizeof(key2), "%s.key2.pem", s.dir);
	for (int i = 0; i < 2; i++) {
		int rc;
		char *out = test_run_bin(
			"/usr/bin/openssl",
			(const char *const[]){ "req", "-x509", "-newkey", "ec", "-pkeyopt",
					       "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
					       i ? key2 : key, "-out", i ? cert2 : cert, "-days", "1",
					       "-subj", "/CN=localhost", "-addext",
					       "subjectAltName=IP:127.0.0.1", NULL },
			TEST_STDERR_MERGE, &rc);
		CHECK(rc == 0, "openssl: %s", out);
		free(out);
	}
	server_start(&s, 1, NULL, (const char *const[]){ "--tls-cert", cert, "--tls-key", key, NULL });
	char *log = server_log_text(&s);
	CHECK_CONTAINS(log, "(https)");
	free(log);
	int rc;
	char *out = https_get(s.port, cert, "/healthz", &rc);
	test_note("https: %s", out);
	CHECK_INT_EQ(rc, 0);
	CHECK(strncmp(out, "200 ", 4) == 0, "%s", out);
	CHECK_CONTAINS(out, "\"status\":\"ok\"");
	free(out);
	/* a client that does not trust the certificate gets nothing */
	out = https_get(s.port, cert2, "/healthz", &rc);
	CHECK(rc != 0, "verified against another certificate: %s", out);
	CHECK_CONTAINS(out, "CERTIFICATE_VERIFY_FAILED");
	free(out);
	/* plain HTTP on the TLS port: no answer */
	struct http_reply r;
	http(&s, "GET", "/healthz", NULL, NULL, 0, &r);
	CHECK(r.status == 0 || r.status == 400, "plain HTTP answered %d", r.status);
	http_reply_free(&r);
	CHECK_INT_EQ(server_signal_wait(&s, SIGTERM), 0);

	char tokens[] = "/tmp/stratbox-serve-tokens-XXXXXX";
	test_temp_file(tokens, "alice tok-alice-0123456789\n");
	static const struct {
		const char *args[8];
		const char *says;
	} bad[] = {
		{ { "--tls-cert", "CERT", NULL }, "both --tls-cert and --tls-key" },
		{ { "--tls-cert", "CERT", "--tls-key", "KEY2", NULL }, "private key of --tls-cert" },
		{ { "--tls-cert", "TOKENS", "--tls-key", "KEY", NULL }, "PEM certificate" },
		{ { "--tls-cert", "/nonexistent/c.pem", "--tls-key", "KEY", NULL }, "/nonexistent" },
		{ { "--listen", "0.0.0.0:0", "--token-file", "TOKENS", NULL }, "clear text" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *argv[16] = { "serve", "--state-dir", s.dir };
		int n = 3;
		for (size_t k = 0; bad[i].args[k]; k++) {
			const char *a = bad[i].args[k];
			argv[n++] = strcmp(a, "CERT") == 0   ? cert
				    : strcmp(a, "KEY") == 0  ? key
				    : strcmp(a, "KEY2") == 0 ? key2
				    : strcmp(a, "TOKENS") == 0 ? tokens
							       : a;
		}
		argv[n] = NULL;
		out = test_run_bin(test_stratbox(), argv, TEST_STDERR_MERGE, &rc);
		test_note("refused %zu: %d %s", i, rc, out);
		CHECK_INT_EQ(rc, 2);
		CHECK_CONTAINS(out, bad[i].says);
		free(out);
	}
	/* with --plain-http it listens beyond loopback */
	server_start(&s, 1, tokens,
		     (const char *const[]){ "--listen", "0.0.0.0:0", "--plain-http", NULL });
	log = server_log_text(&s);
	CHECK_CONTAINS(log, "listening on 0.0.0.0:");
	CHECK_CONTAINS(log, "(http)");
	free(log);
	http_json(&s, "GET", "/healthz", NULL, NULL, &r);
	CHECK_INT_EQ(r.status, 200);
	http_reply_free(&r);
	CHECK_INT_EQ(server_signal_wait(&s, SIGTERM), 0);
	unlink(tokens);
	unlink(cert);
	unlink(key);
	unlink(cert2);
	unlink(key2);
	state_dir_remove(&s);
}

/* A sweep over HTTP ("grid", "rank"): the same ranked runs, metrics and
 * best run as `stratbox backtest --grid --json`; its report is the
 * ranking with a heat map; a bad grid or rank is 422 naming it. */
void v_sweep_over_http_matches_cli(void)
{
	char path[4096];
	snprintf(path, sizeof(path), "/tmp/stratbox-sweep-XXXXXX");
	test_temp_file(path, sma);
	struct server s;
	state_dir_new(&s);
	server_start(&s, 1, NULL, NULL);
	char *body = body_with_code(sma, "{\"symbols\": [\"GOOG\"], \"start\": \"2010-01-01\", "
					 "\"grid\": \"a=1:3:1,b=x|y\", \"rank\": \"return_pct\"}");
	/* the strategy has no a or b: the runs are the same strategy, each
	 * labelled; what matters is that they match the CLI's */
	struct http_reply r;
	http_json(&s, "POST", "/v1/backtests?wait=120", NULL, body, &r);
	CHECK(r.status == 200, "%d %.500s", r.status, r.body);
	const json_t *res = test_json_get(r.json, "result");
	CHECK_STR_EQ(jstr(res, "rank"), "return_pct");
	const json_t *runs = json_object_get(res, "runs");
	CHECK_INT_EQ(json_array_size(runs), 6);
	int rc;
	char *out = test_run_bin(test_stratbox(),
				 (const char *const[]){ "backtest", path, "--symbols", "GOOG", "--start",
							"2010-01-01", "--grid", "a=1:3:1,b=x|y", "--rank",
							"return_pct", "--json", NULL },
				 TEST_STDERR_CAPTURE, &rc);
	CHECK_INT_EQ(rc, 0);
	json_t *cli = json_loads(out, 0, NULL);
	CHECK(cli != NULL, "%.300s", out);
	const json_t *cruns = json_object_get(cli, "runs");
	CHECK_INT_EQ(json_array_size(cruns), 6);
	for (size_t i = 0; i < json_array_size(runs); i++) {
		const json_t *a = json_array_get(runs, i), *b = json_array_get(cruns, i);
		CHECK(json_equal(json_object_get(a, "params"), json_object_get(b, "params")),
		      "run %zu: params differ", i);
		CHECK(json_equal(json_object_get(a, "metrics"), json_object_get(b, "metrics")),
		      "run %zu: metrics differ", i);
	}
	CHECK(json_equal(test_json_get(res, "best.metrics"), test_json_get(cli, "best.metrics")));
	CHECK(json_equal(test_json_get(res, "best.trades"), test_json_get(cli, "best.trades")));
	json_decref(cli);
	free(out);
	char rpath[128];
	snprintf(rpath, sizeof(rpath), "/v1/jobs/%s/report", jstr(r.json, "id"));
	http_reply_free(&r);
	http_json(&s, "GET", rpath, NULL, NULL, &r);
	CHECK_INT_EQ(r.status, 200);
	CHECK_CONTAINS(r.body, "id=\"ranking\"");
	CHECK_CONTAINS(r.body, "id=\"heatmap\"");
	CHECK_CONTAINS(r.body, "id=\"best\"");
	http_reply_free(&r);
	static const struct {
		const char *extra, *says;
	} bad[] = {
		{ "{\"symbols\": [\"GOOG\"], \"grid\": \"a=1:\"}", "a range is start:stop:step" },
		{ "{\"symbols\": [\"GOOG\"], \"grid\": 5}", "must be a sweep" },
		{ "{\"symbols\": [\"GOOG\"], \"grid\": \"a=1:2000:1\"}", "1000" },
		{ "{\"symbols\": [\"GOOG\"], \"rank\": \"sharpe\"}", "ranks a sweep" },
		{ "{\"symbols\": [\"GOOG\"], \"grid\": \"a=1:2:1\", \"rank\": \"trades\"}",
		  "not a metric that ranks" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *b = body_with_code(sma, bad[i].extra);
		http_json(&s, "POST", "/v1/backtests", NULL, b, &r);
		test_note("bad %zu: %d %s", i, r.status, r.body);
		CHECK_INT_EQ(r.status, 422);
		CHECK_CONTAINS(r.body, bad[i].says);
		http_reply_free(&r);
		free(b);
	}
	CHECK_INT_EQ(server_signal_wait(&s, SIGTERM), 0);
	free(body);
	unlink(path);
	state_dir_remove(&s);
}
