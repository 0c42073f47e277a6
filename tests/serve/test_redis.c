/* `stratbox serve --queue` with `stratbox worker`s, as separate processes
 * around a real redis-server on a unix socket in a temporary directory
 * (docs/deploy.md): jobs complete through the workers once each, a worker
 * killed mid-job, a server killed, Redis restarted empty and with its
 * append-only file, a cancelled job.  Skipped when redis-server is not
 * installed (scripts/install-deps.sh test installs it). */
#include "serve.h"
#include "store/store.h"
#include "tests.h"

#include "harness.h"
#include "helpers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define VISIBILITY "2s"

/* A program in PATH, or NULL. */
static const char *find_bin(const char *name, char *buf, size_t size)
{
	const char *path = getenv("PATH");
	char copy[4096];
	snprintf(copy, sizeof(copy), "%s", path && *path ? path : "/usr/bin:/bin");
	char *save = NULL;
	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(buf, size, "%s/%s", d, name);
		if (access(buf, X_OK) == 0)
			return buf;
	}
	return NULL;
}

/* ---- a redis-server of the test's own ---- */

struct redis {
	pid_t pid;
	char dir[128];	 /* a temporary directory: the socket, the AOF, the logs */
	char sock[200];
	char url[600];
	bool appendonly;
	char server_bin[PATH_MAX], cli_bin[PATH_MAX];
	unsigned tls_port; /* > 0: also TLS on 127.0.0.1 there, r->dir's certificates */
};

static char *redis_cli(struct redis *r, const char *const *args)
{
	const char *argv[16] = { "-s", r->sock };
	int n = 2;
	for (size_t i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	int rc;
	char *out = test_run_bin(r->cli_bin, argv, TEST_STDERR_MERGE, &rc);
	out[strcspn(out, "\n")] = '\0';
	return out;
}

static void redis_start(struct redis *r)
{
	char logf[200];
	snprintf(logf, sizeof(logf), "%s/redis.log", r->dir);
	char port[16], ca[200], cert[200], key[200];
	snprintf(port, sizeof(port), "%u", r->tls_port);
	snprintf(ca, sizeof(ca), "%s/ca.pem", r->dir);
	snprintf(cert, sizeof(cert), "%s/server.pem", r->dir);
	snprintf(key, sizeof(key), "%s/server.key", r->dir);
	const char *argv[32] = { r->server_bin, "--port", "0", "--unixsocket", r->sock,
				 "--unixsocketperm", "700", "--dir", r->dir, "--save", "",
				 "--appendonly", r->appendonly ? "yes" : "no", "--appendfsync",
				 "always", "--logfile", logf, "--daemonize", "no" };
	if (r->tls_port) {
		/* clients must show a certificate of the same CA (Redis's default) */
		const char *tls[] = { "--tls-port", port, "--bind", "127.0.0.1", "--tls-cert-file",
				      cert, "--tls-key-file", key, "--tls-ca-cert-file", ca, NULL };
		size_t n = 19;
		for (size_t i = 0; tls[i]; i++)
			argv[n++] = tls[i];
	}
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		execv(argv[0], (char *const *) argv);
		_exit(127);
	}
	r->pid = pid;
	for (int i = 0; i < 200; i++) {
		if (access(r->sock, F_OK) == 0) {
			char *pong = redis_cli(r, (const char *const[]){ "PING", NULL });
			bool up = strcmp(pong, "PONG") == 0;
			free(pong);
			if (up) {
				test_note("redis-server pid %d on %s", (int) pid, r->sock);
				return;
			}
		}
		usleep(50 * 1000);
	}
	test_fail_at(__FILE__, __LINE__, "redis-server did not answer on %s within 10 s", r->sock);
}

static void redis_stop(struct redis *r, int sig)
{
	if (r->pid <= 0)
		return;
	kill(r->pid, sig);
	waitpid(r->pid, NULL, 0);
	r->pid = 0;
	unlink(r->sock);
}

static void redis_new(struct redis *r, bool appendonly)
{
	memset(r, 0, sizeof(*r));
	if (find_bin("redis-server", r->server_bin, sizeof(r->server_bin)) == NULL ||
	    find_bin("redis-cli", r->cli_bin, sizeof(r->cli_bin)) == NULL)
		test_skip("redis-server is not installed (apt-get install redis-server)");
	snprintf(r->dir, sizeof(r->dir), "/tmp/stratbox-redis-test-XXXXXX");
	CHECK(mkdtemp(r->dir) != NULL, "mkdtemp: %s", strerror(errno));
	snprintf(r->sock, sizeof(r->sock), "%s/redis.sock", r->dir);
	snprintf(r->url, sizeof(r->url), "unix://%s", r->sock);
	r->appendonly = appendonly;
	redis_start(r);
}

static long redis_int(struct redis *r, const char *const *args)
{
	char *out = redis_cli(r, args);
	long v = strtol(out, NULL, 10);
	free(out);
	return v;
}

/* Poll until `XLEN key` is want (at most 15 s). */
static void wait_xlen(struct redis *r, const char *key, long want)
{
	long n = -1;
	for (int i = 0; i < 150; i++) {
		n = redis_int(r, (const char *const[]){ "XLEN", key, NULL });
		if (n == want)
			return;
		usleep(100 * 1000);
	}
	test_fail_at(__FILE__, __LINE__, "XLEN %s stayed %ld, want %ld", key, n, want);
}

/* ---- workers ---- */

struct worker {
	pid_t pid;
	char log[200];
};

static char *worker_log(const struct worker *w)
{
	return log_text(w->log);
}

static void worker_start(struct worker *w, const struct redis *r, const char *name)
{
	snprintf(w->log, sizeof(w->log), "%s/%s.log", r->dir, name);
	const char *argv[] = { test_stratbox(), "worker", "--queue", r->url, "--workers", "1",
			       "--visibility-timeout", VISIBILITY, NULL };
	char *log = NULL;
	w->pid = spawn_logged(argv, w->log, "ready:", &log);
	free(log);
	test_note("worker %s pid %d", name, (int) w->pid);
}

static int worker_stop(struct worker *w, int sig)
{
	if (w->pid <= 0)
		return -1;
	kill(w->pid, sig);
	int st = 0;
	waitpid(w->pid, &st, 0);
	w->pid = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* How many times the workers' logs say `what` of job id ("running", "done"). */
static int count_in_logs(struct worker *ws, size_t n, const char *id, const char *what);

/* How many times the workers logged it, once at least one has: a worker
 * logs a job's end after it has sent the result, so the server may have
 * the result a moment before the line is written. */
static int times_in_logs(struct worker *ws, size_t n, const char *id, const char *what)
{
	int count = 0;
	for (int i = 0; i < 100 && (count = count_in_logs(ws, n, id, what)) == 0; i++)
		usleep(50 * 1000);
	return count;
}

static int count_in_logs(struct worker *ws, size_t n, const char *id, const char *what)
{
	char needle[128];
	snprintf(needle, sizeof(needle), "job %s: %s", id, what);
	int count = 0;
	for (size_t i = 0; i < n; i++) {
		char *log = worker_log(&ws[i]);
		for (const char *p = log; (p = strstr(p, needle)) != NULL; p += strlen(needle))
			count++;
		free(log);
	}
	return count;
}

static void wait_in_log(struct worker *w, const char *text)
{
	for (int i = 0; i < 300; i++) {
		char *log = worker_log(w);
		bool found = strstr(log, text) != NULL;
		free(log);
		if (found)
			return;
		usleep(100 * 1000);
	}
	char *log = worker_log(w);
	test_fail_at(__FILE__, __LINE__, "the worker never said \"%s\": %s", text, log);
}

/* ---- the server ---- */

static void serve_queue(struct server *s, const struct redis *r)
{
	server_start(s, 1, NULL,
		     (const char *const[]){ "--queue", r->url, "--visibility-timeout", VISIBILITY,
					    NULL });
}

static char *submit(const struct server *s, const char *path, const char *code,
		    const char *extra)
{
	char *body = body_with_code(code, extra);
	struct http_reply rp;
	http_json(s, "POST", path, NULL, body, &rp);
	free(body);
	CHECK_INT_EQ(rp.status, 202);
	char *id = strdup(jstr(rp.json, "id"));
	http_reply_free(&rp);
	return id;
}

/* The job once it has ended (at most 60 s), as the server gives it. */
static json_t *wait_ended(const struct server *s, const char *id)
{
	char path[128];
	snprintf(path, sizeof(path), "/v1/jobs/%s?wait=60", id);
	struct http_reply rp;
	http_json(s, "GET", path, NULL, NULL, &rp);
	CHECK_INT_EQ(rp.status, 200);
	const char *st = jstr(rp.json, "status");
	CHECK(st && strcmp(st, "queued") != 0 && strcmp(st, "running") != 0,
	      "job %s is still %s after 60 s", id, st ? st : "?");
	json_t *j = json_incref(rp.json);
	http_reply_free(&rp);
	return j;
}

static void wait_status_is(const struct server *s, const char *id, const char *want)
{
	char path[128];
	snprintf(path, sizeof(path), "/v1/jobs/%s", id);
	for (int i = 0; i < 300; i++) {
		struct http_reply rp;
		http_json(s, "GET", path, NULL, NULL, &rp);
		bool ok = rp.status == 200 && strcmp(jstr(rp.json, "status") ?: "", want) == 0;
		http_reply_free(&rp);
		if (ok)
			return;
		usleep(100 * 1000);
	}
	test_fail_at(__FILE__, __LINE__, "job %s never became %s", id, want);
}

/* An execution that printed want, done, in one attempt (or `attempts`). */
static void check_printed(const struct server *s, const char *id, const char *want,
			  int attempts)
{
	json_t *j = wait_ended(s, id);
	CHECK_STR_EQ(jstr(j, "status"), "done");
	CHECK_STR_EQ(jstr(j, "result.output"), want);
	CHECK_INT_EQ(json_integer_value(json_object_get(j, "attempts")), attempts);
	json_decref(j);
}

static void cleanup(struct server *s, struct redis *r, struct worker *ws, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ws[i].pid > 0)
			CHECK_INT_EQ(worker_stop(&ws[i], SIGTERM), 0);
	if (s->pid > 0)
		CHECK_INT_EQ(server_signal_wait(s, SIGTERM), 0);
	redis_stop(r, SIGTERM);
	state_dir_remove(s);
	test_rm_rf(r->dir);
}

static char *printing(int i)
{
	char *code = NULL;
	CHECK(asprintf(&code, "print('job %d')\n", i) > 0);
	return code;
}

static char *printed(int i)
{
	char *want = NULL;
	CHECK(asprintf(&want, "job %d\n", i) > 0);
	return want;
}

/* ---- the tests ---- */

void v_redis_bad_queue_url_is_a_usage_error(void)
{
	int rc;
	char *out = test_run_bin(test_stratbox(),
				 (const char *const[]){ "worker", "--queue", "http://h:6379", NULL },
				 TEST_STDERR_MERGE, &rc);
	CHECK_INT_EQ(rc, 2);
	CHECK_CONTAINS(out, "give redis://");
	free(out);
	out = test_run_bin(test_stratbox(), (const char *const[]){ "worker", NULL },
			   TEST_STDERR_MERGE, &rc);
	CHECK_INT_EQ(rc, 2);
	CHECK_CONTAINS(out, "--queue");
	free(out);
	struct server s;
	state_dir_new(&s);
	out = test_run_bin(test_stratbox(),
			   (const char *const[]){ "serve", "--listen", "127.0.0.1:0", "--state-dir",
						  s.dir, "--queue", "rediss://h:6380?cert=/c.pem", NULL },
			   TEST_STDERR_MERGE, &rc);
	CHECK_INT_EQ(rc, 2);
	CHECK_CONTAINS(out, "both cert= and key=");
	free(out);
	out = test_run_bin(test_stratbox(),
			   (const char *const[]){ "serve", "--state-dir", s.dir, "--queue",
						  "unix:///x", "--visibility-timeout", "0s", NULL },
			   TEST_STDERR_MERGE, &rc);
	CHECK_INT_EQ(rc, 2);
	CHECK_CONTAINS(out, "--visibility-timeout");
	free(out);
	state_dir_remove(&s);
}

void v_redis_jobs_complete_on_workers_once_each(void)
{
	struct redis r;
	redis_new(&r, false);
	struct server s;
	state_dir_new(&s);
	serve_queue(&s, &r);
	struct worker ws[2];
	worker_start(&ws[0], &r, "w0");
	worker_start(&ws[1], &r, "w1");
	enum { N = 6 };
	char *ids[N + 1];
	for (int i = 0; i < N; i++) {
		char *code = printing(i);
		ids[i] = submit(&s, "/v1/executions", code, NULL);
		free(code);
	}
	char found[4096];
	FILE *f = test_open_checkout_file("bench/strategies/sma_cross.py", found, sizeof(found));
	CHECK(f != NULL, "no %s", found);
	char *sma = test_read_all(fileno(f));
	fclose(f);
	ids[N] = submit(&s, "/v1/backtests", sma,
			"{\"symbols\": [\"GOOG\"], \"start\": \"2010-01-01\", "
			"\"params\": {\"fast\": 5, \"slow\": 20}}");
	free(sma);
	for (int i = 0; i < N; i++) {
		char *want = printed(i);
		check_printed(&s, ids[i], want, 1);
		free(want);
	}
	json_t *bt = wait_ended(&s, ids[N]);
	CHECK_STR_EQ(jstr(bt, "status"), "done");
	CHECK_STR_EQ(jstr(bt, "kind"), "backtest");
	CHECK(json_is_true(test_json_get(bt, "result.success")), "%s", jstr(bt, "result.error") ?: "");
	CHECK(json_is_object(test_json_get(bt, "result.metrics")));
	CHECK(json_array_size(test_json_get(bt, "result.trades")) > 0);
	json_decref(bt);
	/* each ran once, on one of the two */
	for (int i = 0; i <= N; i++) {
		CHECK_INT_EQ(times_in_logs(ws, 2, ids[i], "running"), 1);
		CHECK_INT_EQ(times_in_logs(ws, 2, ids[i], "done"), 1);
	}
	/* and the queue is drained: every entry acknowledged and deleted */
	wait_xlen(&r, "stratbox:jobs", 0);
	wait_xlen(&r, "stratbox:results", 0);
	for (int i = 0; i <= N; i++)
		free(ids[i]);
	cleanup(&s, &r, ws, 2);
}

void v_redis_killed_worker_job_completes_on_other_once(void)
{
	struct redis r;
	redis_new(&r, false);
	struct server s;
	state_dir_new(&s);
	serve_queue(&s, &r);
	struct worker ws[2];
	worker_start(&ws[0], &r, "w0");
	char *id = submit(&s, "/v1/executions", "import time\ntime.sleep(4)\nprint('slept')\n",
			  NULL);
	wait_status_is(&s, id, "running");
	char running[64];
	snprintf(running, sizeof(running), "job %s: running", id);
	wait_in_log(&ws[0], running);
	/* the second worker starts once the first holds the job */
	worker_start(&ws[1], &r, "w1");
	CHECK_INT_EQ(worker_stop(&ws[0], SIGKILL), 128 + SIGKILL);
	check_printed(&s, id, "slept\n", 2);
	char *log = worker_log(&ws[1]);
	CHECK_CONTAINS(log, "taking over a job a silent worker held");
	free(log);
	CHECK_INT_EQ(times_in_logs(&ws[1], 1, id, "running"), 1);
	CHECK_INT_EQ(times_in_logs(&ws[1], 1, id, "done"), 1);
	CHECK_INT_EQ(count_in_logs(&ws[0], 1, id, "done"), 0);
	wait_xlen(&r, "stratbox:jobs", 0);
	free(id);
	/* the killed worker's pool and zygote are stale in the run directory
	 * (docs/operations.md): cleanup removes them, and the live worker's
	 * stay until it stops */
	int rc;
	char *out = test_run_bin(test_stratbox(), (const char *const[]){ "cleanup", NULL },
				 TEST_STDERR_INHERIT, &rc);
	CHECK_INT_EQ(rc, 0);
	CHECK_CONTAINS(out, "removed run entry ");
	free(out);
	cleanup(&s, &r, ws, 2);
}

void v_redis_killed_server_restarted_completes_accepted_jobs(void)
{
	struct redis r;
	redis_new(&r, false);
	struct server s;
	state_dir_new(&s);
	/* accepted while Redis is down: they wait in the store */
	redis_stop(&r, SIGKILL);
	serve_queue(&s, &r);
	enum { N = 3 };
	char *ids[N];
	for (int i = 0; i < N; i++) {
		char *code = printing(i);
		ids[i] = submit(&s, "/v1/executions", code, NULL);
		free(code);
	}
	CHECK_INT_EQ(server_signal_wait(&s, SIGKILL), 128 + SIGKILL);
	redis_start(&r);
	struct worker ws[1];
	worker_start(&ws[0], &r, "w0");
	serve_queue(&s, &r);
	for (int i = 0; i < N; i++) {
		char *want = printed(i);
		check_printed(&s, ids[i], want, 1);
		free(want);
		CHECK_INT_EQ(times_in_logs(ws, 1, ids[i], "done"), 1);
		free(ids[i]);
	}
	char *log = server_log_text(&s);
	CHECK_CONTAINS(log, "3 unfinished job(s) from the store published to the queue");
	free(log);
	cleanup(&s, &r, ws, 1);
}

/* Jobs published, no worker yet; Redis restarted (empty, or from its
 * append-only file); then a worker: every job completes once. */
static void restart_redis_then_run(bool appendonly)
{
	struct redis r;
	redis_new(&r, appendonly);
	struct server s;
	state_dir_new(&s);
	serve_queue(&s, &r);
	enum { N = 3 };
	char *ids[N];
	for (int i = 0; i < N; i++) {
		char *code = printing(i);
		ids[i] = submit(&s, "/v1/executions", code, NULL);
		free(code);
	}
	wait_xlen(&r, "stratbox:jobs", N);
	redis_stop(&r, SIGKILL);
	redis_start(&r);
	/* with the append-only file the stream survived; without, it is gone */
	CHECK_INT_EQ(redis_int(&r, (const char *const[]){ "XLEN", "stratbox:jobs", NULL }),
		     appendonly ? N : 0);
	struct worker ws[1];
	worker_start(&ws[0], &r, "w0");
	for (int i = 0; i < N; i++) {
		char *want = printed(i);
		check_printed(&s, ids[i], want, 1);
		free(want);
		CHECK_INT_EQ(times_in_logs(ws, 1, ids[i], "done"), 1);
		free(ids[i]);
	}
	char *log = server_log_text(&s);
	if (appendonly)
		CHECK_NOT_CONTAINS(log, "Redis no longer held");
	else
		CHECK_CONTAINS(log, "Redis no longer held 3 unfinished job(s): published them again");
	free(log);
	/* once more under a connected server and worker: both find their
	 * way back (the groups made again), and a new job runs */
	redis_stop(&r, SIGKILL);
	redis_start(&r);
	char *id = submit(&s, "/v1/executions", "print('after the restart')\n", NULL);
	check_printed(&s, id, "after the restart\n", 1);
	CHECK_INT_EQ(times_in_logs(ws, 1, id, "done"), 1);
	free(id);
	cleanup(&s, &r, ws, 1);
}

void v_redis_restarted_empty_gets_unfinished_jobs_again(void)
{
	restart_redis_then_run(false);
}

void v_redis_restarted_with_appendonly_keeps_jobs(void)
{
	restart_redis_then_run(true);
}

void v_redis_cancelled_jobs_never_run_or_are_stopped(void)
{
	struct redis r;
	redis_new(&r, false);
	struct server s;
	state_dir_new(&s);
	serve_queue(&s, &r);
	struct worker ws[1];
	worker_start(&ws[0], &r, "w0");
	char *slow = submit(&s, "/v1/executions", "import time\ntime.sleep(2)\nprint('slow')\n",
			    NULL);
	wait_status_is(&s, slow, "running");
	char *victim = submit(&s, "/v1/executions", "print('ran')\n", NULL);
	char path[128];
	snprintf(path, sizeof(path), "/v1/jobs/%s", victim);
	struct http_reply rp;
	http_json(&s, "DELETE", path, NULL, NULL, &rp);
	CHECK_INT_EQ(rp.status, 200);
	CHECK_STR_EQ(jstr(rp.json, "status"), "cancelled");
	http_reply_free(&rp);
	check_printed(&s, slow, "slow\n", 1);
	/* the victim reached the queue (the worker skips it) or was cancelled
	 * before the server published it (nothing to skip): a job submitted
	 * after it runs once the worker is past it, either way */
	char *canary = submit(&s, "/v1/executions", "print('canary')\n", NULL);
	check_printed(&s, canary, "canary\n", 1);
	free(canary);
	CHECK_INT_EQ(count_in_logs(ws, 1, victim, "running"), 0);
	json_t *j = wait_ended(&s, victim);
	CHECK_STR_EQ(jstr(j, "status"), "cancelled");
	CHECK(json_is_null(test_json_get(j, "result")));
	json_decref(j);

	/* a running job is stopped on its worker, which is free again */
	char *hang = submit(&s, "/v1/executions", "import time\ntime.sleep(60)\n", NULL);
	wait_status_is(&s, hang, "running");
	snprintf(path, sizeof(path), "/v1/jobs/%s", hang);
	http_json(&s, "DELETE", path, NULL, NULL, &rp);
	CHECK_INT_EQ(rp.status, 200);
	http_reply_free(&rp);
	char stopped[96];
	snprintf(stopped, sizeof(stopped), "job %s: stopped (cancelled on the server)", hang);
	wait_in_log(&ws[0], stopped);
	char *after = submit(&s, "/v1/executions", "print('after')\n", NULL);
	check_printed(&s, after, "after\n", 1);
	j = wait_ended(&s, hang);
	CHECK_STR_EQ(jstr(j, "status"), "cancelled");
	CHECK(json_is_null(test_json_get(j, "result")));
	json_decref(j);
	free(slow);
	free(victim);
	free(hang);
	free(after);
	cleanup(&s, &r, ws, 1);
}

/* A free TCP port on loopback (closed again: redis-server binds it). */
static unsigned free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof(a);
	CHECK(fd >= 0 && bind(fd, (struct sockaddr *) &a, sizeof(a)) == 0 &&
	      getsockname(fd, (struct sockaddr *) &a, &len) == 0);
	close(fd);
	return ntohs(a.sin_port);
}

/* rediss://: serve and a worker reach a redis-server over TLS only (its
 * certificate checked against the URL's cacert and 127.0.0.1, theirs
 * shown as Redis asks), and a job runs; a server given another CA does
 * not trust it and says why. */
void v_redis_tls_jobs_complete_untrusted_refused(void)
{
	if (access("/usr/bin/openssl", X_OK) != 0)
		test_skip("no /usr/bin/openssl");
	struct redis r;
	memset(&r, 0, sizeof(r));
	if (find_bin("redis-server", r.server_bin, sizeof(r.server_bin)) == NULL ||
	    find_bin("redis-cli", r.cli_bin, sizeof(r.cli_bin)) == NULL)
		test_skip("redis-server is not installed (apt-get install redis-server)");
	snprintf(r.dir, sizeof(r.dir), "/tmp/stratbox-redis-test-XXXXXX");
	CHECK(mkdtemp(r.dir) != NULL, "mkdtemp: %s", strerror(errno));
	snprintf(r.sock, sizeof(r.sock), "%s/redis.sock", r.dir);
	/* a CA, the server's certificate for 127.0.0.1, a client's; and
	 * another CA that signed neither */
	char script[2048];
	snprintf(script, sizeof(script),
		 "set -e; cd '%s'; k='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes'\n"
		 "openssl req -x509 $k -keyout ca.key -out ca.pem -days 1 -subj /CN=test-ca\n"
		 "openssl req -x509 $k -keyout other.key -out other.pem -days 1 -subj /CN=other\n"
		 "printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext\n"
		 "for n in server client; do\n"
		 "  openssl req $k -keyout $n.key -out $n.csr -subj /CN=$n\n"
		 "  openssl x509 -req -in $n.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
		 "-out $n.pem -days 1 -extfile san.ext\n"
		 "done\n",
		 r.dir);
	int rc;
	char *out = test_run_bin("/bin/sh", (const char *const[]){ "-c", script, NULL },
				 TEST_STDERR_MERGE, &rc);
	CHECK(rc == 0, "certificates: %s", out);
	free(out);
	r.tls_port = free_port();
	redis_start(&r);
	snprintf(r.url, sizeof(r.url),
		 "rediss://127.0.0.1:%u?cacert=%s/ca.pem&cert=%s/client.pem&key=%s/client.key",
		 r.tls_port, r.dir, r.dir, r.dir);
	struct server s;
	state_dir_new(&s);
	serve_queue(&s, &r);
	struct worker ws[1];
	worker_start(&ws[0], &r, "w0");
	char *id = submit(&s, "/v1/executions", "print('over TLS')\n", NULL);
	check_printed(&s, id, "over TLS\n", 1);
	free(id);
	char *log = server_log_text(&s);
	CHECK_CONTAINS(log, "rediss://127.0.0.1:");
	free(log);
	CHECK_INT_EQ(server_signal_wait(&s, SIGTERM), 0);
	/* another CA: the server does not trust Redis, and says so */
	char url[600];
	snprintf(url, sizeof(url),
		 "rediss://127.0.0.1:%u?cacert=%s/other.pem&cert=%s/client.pem&key=%s/client.key",
		 r.tls_port, r.dir, r.dir, r.dir);
	server_start(&s, 1, NULL, (const char *const[]){ "--queue", url, NULL });
	bool said = false;
	for (int i = 0; i < 100 && !said; i++) {
		log = server_log_text(&s);
		said = strstr(log, "certificate") != NULL;
		if (said)
			test_note("untrusted: %.300s", strstr(log, "certificate"));
		free(log);
		if (!said)
			usleep(100 * 1000);
	}
	CHECK(said, "the server never said why it could not reach Redis");
	cleanup(&s, &r, ws, 1);
}
