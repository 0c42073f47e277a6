/* The service under faults: hostile jobs, slow clients, a full disk, many
 * clients at once.  Each bounded in time and count, on loopback. */
#include "serve.h"
#include "store/store.h"
#include "tests.h"

#include "harness.h"
#include "helpers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char *job_path(const char *id)
{
	char *p = malloc(64);
	snprintf(p, 64, "/v1/jobs/%s", id);
	return p;
}

/* POST and wait for the job (?wait=60): the reply's JSON (to be freed). */
static json_t *run_job(const struct server *s, const char *path, const char *body)
{
	struct http_reply r;
	http_json(s, "POST", path, NULL, body, &r);
	CHECK(r.status == 200, "%d %.300s", r.status, r.body);
	json_t *j = json_incref(r.json);
	http_reply_free(&r);
	return j;
}

/* Jobs that hang, flood, exhaust memory, crash, exit non-zero or are
 * refused: each ends done with its verdict, and the workers go on (a
 * plain job after them runs, both pool slots ready, the server alive). */
void v_hostile_jobs_never_take_a_worker_down(void)
{
	struct server s;
	state_dir_new(&s);
	server_start(&s, 2, NULL, NULL);
	static const struct {
		const char *body, *status;
	} jobs[] = {
		{ "{\"code\": \"while True:\\n    pass\\n\", \"timeout\": 1}", "TIMEOUT_WALL" },
		{ "{\"code\": \"while True:\\n    print('x' * 10000)\\n\", \"timeout\": 10}",
		  "OUTPUT_LIMIT" },
		{ "{\"code\": \"x = []\\nwhile True:\\n    x.append(bytearray(1 << 20))\\n\", "
		  "\"memory\": \"64M\", \"timeout\": 20}",
		  NULL /* MEMORY_LIMIT, or MemoryError without cgroups */ },
		{ "{\"code\": \"raise ValueError('boom')\\n\"}", "NONZERO_EXIT" },
		{ "{\"code\": \"raise SystemExit(3)\\n\"}", "NONZERO_EXIT" },
		{ "{\"code\": \"import os\\nos.system('id')\\n\"}", "VALIDATION_ERROR" },
		{ "{\"code\": \"import sys\\nsys.setrecursionlimit(10**6)\\n"
		  "def f(n):\\n    return f(n + 1)\\nf(0)\\n\", \"timeout\": 10}",
		  NULL /* a crash of the interpreter (SIGNALED) or RecursionError */ },
	};
	for (size_t i = 0; i < sizeof(jobs) / sizeof(jobs[0]); i++) {
		test_note("job %zu: sent", i);
		json_t *j = run_job(&s, "/v1/executions?wait=60", jobs[i].body);
		const char *st = jstr(j, "result.status");
		test_note("job %zu: %s, %s: %.120s", i, jstr(j, "status"), st ? st : "?",
			  jstr(j, "result.error") ? jstr(j, "result.error") : "");
		CHECK_STR_EQ(jstr(j, "status"), "done");
		if (jobs[i].status)
			CHECK_STR_EQ(st, jobs[i].status);
		else
			CHECK(st != NULL && strcmp(st, "OK") != 0, "job %zu: %s", i, st);
		json_decref(j);
	}
	/* jobs that end within a millisecond of their submission (refused
	 * before anything runs): each ?wait answers at once (an end between
	 * the waiter's read of the job and its wait once went unseen, and the
	 * waiter slept to its limit) */
	double slowest = 0;
	for (int i = 0; i < 60; i++) {
		double t0 = now_s();
		json_t *q = run_job(&s, "/v1/executions?wait=30", "{\"code\": \"import os\\n\"}");
		CHECK_STR_EQ(jstr(q, "status"), "done");
		json_decref(q);
		if (now_s() - t0 > slowest)
			slowest = now_s() - t0;
	}
	test_note("60 refused jobs waited for: the slowest answered in %.3f s", slowest);
	CHECK(slowest < 10, "a ?wait slept %.1f s past its job's end", slowest);
	json_t *j = run_job(&s, "/v1/executions?wait=60", "{\"code\": \"print(6 * 7)\"}");
	CHECK_STR_EQ(jstr(j, "result.status"), "OK");
	CHECK_CONTAINS(jstr(j, "result.output"), "42");
	json_decref(j);
	int ready = 0;
	for (int i = 0; i < 100 && ready < 2; i++) {
		struct http_reply r;
		http_json(&s, "GET", "/healthz", NULL, NULL, &r);
		ready = (int) json_integer_value(test_json_get(r.json, "pool.ready"));
		http_reply_free(&r);
		if (ready < 2)
			usleep(50 * 1000);
	}
	CHECK_INT_EQ(ready, 2);
	CHECK(kill(s.pid, 0) == 0);
	CHECK_INT_EQ(server_signal_wait(&s, SIGTERM), 0);
	state_dir_remove(&s);
}

static int connect_to(const struct server *s)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t) s->port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(connect(fd, (struct sockaddr *) &a, sizeof(a)) == 0, "connect: %s", strerror(errno));
	return fd;
}

/* Clients that start a request and never finish it (headers cut short, a
 * body shorter than its Content-Length): 40 of them hold no one else up,
 * each is closed after --request-timeout, and nothing is stored. */
void v_slow_clients_cut_off_others_served(void)
{
	struct server s;
	state_dir_new(&s);
	server_start(&s, 1, NULL, (const char *const[]){ "--request-timeout", "1s", NULL });
	enum { N = 40 };
	int fds[N];
	for (int i = 0; i < N; i++) {
		fds[i] = connect_to(&s);
		const char *part = i % 2 ? "POST /v1/executions HTTP/1.1\r\nHost: x\r\n"
					 : "POST /v1/executions HTTP/1.1\r\nHost: x\r\n"
					   "Content-Type: application/json\r\n"
					   "Content-Length: 100\r\n\r\n{\"code\": \"pri";
		CHECK(write(fds[i], part, strlen(part)) == (ssize_t) strlen(part));
	}
	double t0 = now_s();
	struct http_reply r;
	http_json(&s, "GET", "/healthz", NULL, NULL, &r);
	CHECK_INT_EQ(r.status, 200);
	http_reply_free(&r);
	json_t *j = run_job(&s, "/v1/executions?wait=30", "{\"code\": \"print(1)\"}");
	CHECK_STR_EQ(jstr(j, "status"), "done");
	json_decref(j);
	test_note("served beside %d stalled clients in %.2f s", N, now_s() - t0);
	/* each stalled connection is closed by the server */
	int closed = 0;
	for (int i = 0; i < N; i++) {
		struct timeval tv = { 10, 0 };
		setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		char buf[512];
		ssize_t n;
		while ((n = read(fds[i], buf, sizeof(buf))) > 0)
			;
		if (n == 0 || errno == ECONNRESET)
			closed++;
		close(fds[i]);
	}
	test_note("%d of %d closed, %.2f s after they stalled", closed, N, now_s() - t0);
	CHECK_INT_EQ(closed, N);
	CHECK(now_s() - t0 < 10, "the stalled clients were closed only after %.1f s",
	      now_s() - t0);
	http_json(&s, "GET", "/v1/jobs", NULL, NULL, &r);
	CHECK_INT_EQ(json_array_size(json_object_get(r.json, "jobs")), 1);
	http_reply_free(&r);
	CHECK_INT_EQ(server_signal_wait(&s, SIGTERM), 0);
	state_dir_remove(&s);
}

/* Fill the filesystem at dir with one file; its path in out. */
static void fill_disk(const char *dir, char *out, size_t size)
{
	snprintf(out, size, "%s/filler", dir);
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0, "%s: %s", out, strerror(errno));
	static char block[64 * 1024];
	memset(block, 'z', sizeof(block));
	size_t total = 0;
	for (;;) {
		ssize_t n = write(fd, block, sizeof(block));
		if (n <= 0)
			break;
		total += (size_t) n;
	}
	/* the last partial blocks */
	while (write(fd, block, 512) > 0)
		total += 512;
	while (write(fd, block, 1) > 0)
		total++;
	CHECK(errno == ENOSPC, "filling: %s", strerror(errno));
	fsync(fd);
	close(fd);
	test_note("filled %zu bytes", total);
}

/* The state directory's disk full: a new job is 503 disk_full with
 * Retry-After and nothing stored; reads still answer; a job that ends
 * while the disk is full keeps its result until there is room, then has
 * it; with room again, jobs are accepted; the store is whole after. */
void v_full_disk_gives_503_not_corruption(void)
{
	if (geteuid() != 0)
		test_skip("needs root (a small tmpfs for the state directory)");
	struct server s;
	state_dir_new(&s);
	/* a mount namespace of this test's own: the tmpfs goes with it */
	CHECK(unshare(CLONE_NEWNS) == 0, "unshare: %s", strerror(errno));
	CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
	CHECK(mount("stratbox-full", s.dir, "tmpfs", 0, "size=4m,mode=0700") == 0, "mount: %s",
	      strerror(errno));
	server_start(&s, 1, NULL, NULL);
	json_t *j = run_job(&s, "/v1/executions?wait=30", "{\"code\": \"print('before')\"}");
	char *before = strdup(jstr(j, "id"));
	json_decref(j);
	struct http_reply r;
	http_json(&s, "POST", "/v1/executions",
		  NULL, "{\"code\": \"import time\\ntime.sleep(2)\\nprint('during')\\n\"}", &r);
	CHECK_INT_EQ(r.status, 202);
	char *during = strdup(jstr(r.json, "id"));
	http_reply_free(&r);
	/* taken by a worker before the disk fills (taking it is a write too) */
	wait_status(&s, NULL, during, "running");
	char filler[600];
	fill_disk(s.dir, filler, sizeof(filler));
	int full = 0;
	for (int i = 0; i < 5; i++) {
		http_json(&s, "POST", "/v1/executions", NULL, "{\"code\": \"print('refused')\"}", &r);
		test_note("on a full disk: %d %.200s", r.status, r.body);
		if (r.status == 503) {
			full++;
			CHECK_STR_EQ(jstr(r.json, "error.code"), "disk_full");
			char *ra = http_header(&r, "retry-after");
			CHECK(ra != NULL);
			free(ra);
		}
		http_reply_free(&r);
	}
	CHECK_INT_EQ(full, 5);
	char *p = job_path(before);
	http_json(&s, "GET", p, NULL, NULL, &r);
	CHECK_INT_EQ(r.status, 200);
	CHECK_CONTAINS(jstr(r.json, "result.output"), "before");
	http_reply_free(&r);
	/* the job running meanwhile ends on the full disk: it waits */
	sleep(3);
	char *dp = job_path(during);
	http_json(&s, "GET", dp, NULL, NULL, &r);
	test_note("the job that ended on a full disk: %s", jstr(r.json, "status"));
	CHECK_STR_EQ(jstr(r.json, "status"), "running");
	http_reply_free(&r);
	char *log = server_log_text(&s);
	CHECK_CONTAINS(log, "cannot be stored yet");
	free(log);
	CHECK(unlink(filler) == 0);
	double t0 = now_s();
	const char *st = "";
	while (now_s() - t0 < 10) {
		http_json(&s, "GET", dp, NULL, NULL, &r);
		bool done = strcmp(jstr(r.json, "status"), "done") == 0;
		if (done)
			CHECK_CONTAINS(jstr(r.json, "result.output"), "during");
		st = done ? "done" : "";
		http_reply_free(&r);
		if (done)
			break;
		usleep(100 * 1000);
	}
	CHECK_STR_EQ(st, "done");
	j = run_job(&s, "/v1/executions?wait=30", "{\"code\": \"print('after')\"}");
	CHECK_CONTAINS(jstr(j, "result.output"), "after");
	json_decref(j);
	CHECK_INT_EQ(server_signal_wait(&s, SIGTERM), 0);
	/* the store, opened again: three jobs, each done with its result */
	sbx_store *store = NULL;
	sbx_error *err = NULL;
	CHECK(sbx_store_open(s.dir, &store, NULL, &err) == 0, "%s", err ? err->msg : "");
	size_t counts[SBX_JOB_STATUS_COUNT];
	CHECK_INT_EQ(sbx_store_counts(store, counts, &err), 0);
	CHECK_INT_EQ(counts[SBX_JOB_DONE], 3);
	CHECK_INT_EQ(counts[SBX_JOB_QUEUED] + counts[SBX_JOB_RUNNING] + counts[SBX_JOB_FAILED], 0);
	sbx_store_close(store);
	free(p);
	free(dp);
	free(before);
	free(during);
	umount2(s.dir, MNT_DETACH);
	state_dir_remove(&s);
}

struct load {
	const struct server *s;
	int first, count;
	char (*ids)[SBX_JOB_ID_LEN + 1];
	int errors;
};

static void *load_client(void *arg)
{
	struct load *l = arg;
	for (int i = l->first; i < l->first + l->count; i++) {
		char body[128], key[80];
		snprintf(body, sizeof(body), "{\"code\": \"print(%d * 3)\"}", i);
		snprintf(key, sizeof(key), "Idempotency-Key: load-%d\r\nContent-Type: application/json\r\n",
			 i);
		struct http_reply r;
		/* submit, and submit again (a client retrying): one job */
		for (int k = 0; k < 2; k++) {
			http(l->s, "POST", "/v1/executions", key, body, strlen(body), &r);
			const char *id = r.json ? jstr(r.json, "id") : NULL;
			if ((r.status != 202 && r.status != 200) || id == NULL)
				l->errors++;
			else if (k == 0)
				snprintf(l->ids[i], sizeof(l->ids[i]), "%s", id);
			else if (strcmp(l->ids[i], id) != 0)
				l->errors++;
			http_reply_free(&r);
		}
	}
	return NULL;
}

/* 200 jobs from 10 concurrent clients, each sent twice with its key: all
 * accepted once, all done with their own output, none lost or duplicated.
 * (bench/serve_load.py runs the 2,000-job version with figures.) */
void v_many_clients_none_lost_or_duplicated(void)
{
	struct server s;
	state_dir_new(&s);
	server_start(&s, 2, NULL, (const char *const[]){ "--max-queue", "100000", NULL });
	enum { CLIENTS = 10, PER = 20, N = CLIENTS * PER };
	static char ids[N][SBX_JOB_ID_LEN + 1];
	memset(ids, 0, sizeof(ids));
	struct load l[CLIENTS];
	pthread_t th[CLIENTS];
	double t0 = now_s();
	for (int c = 0; c < CLIENTS; c++) {
		l[c] = (struct load){ &s, c * PER, PER, ids, 0 };
		CHECK(pthread_create(&th[c], NULL, load_client, &l[c]) == 0);
	}
	int errors = 0;
	for (int c = 0; c < CLIENTS; c++) {
		pthread_join(th[c], NULL);
		errors += l[c].errors;
	}
	double submitted = now_s() - t0;
	CHECK_INT_EQ(errors, 0);
	/* every job ends */
	size_t counts[SBX_JOB_STATUS_COUNT] = { 0 };
	for (int i = 0; i < 1200; i++) {
		struct http_reply r;
		http_json(&s, "GET", "/healthz", NULL, NULL, &r);
		long q = (long) json_integer_value(json_object_get(r.json, "queued")),
		     run = (long) json_integer_value(json_object_get(r.json, "running"));
		http_reply_free(&r);
		if (q == 0 && run == 0)
			break;
		usleep(100 * 1000);
	}
	test_note("%d jobs submitted (twice each) in %.2f s, all ended %.2f s after the start", N,
		  submitted, now_s() - t0);
	CHECK_INT_EQ(server_signal_wait(&s, SIGTERM), 0);
	sbx_store *store = NULL;
	sbx_error *err = NULL;
	CHECK(sbx_store_open(s.dir, &store, NULL, &err) == 0, "%s", err ? err->msg : "");
	CHECK_INT_EQ(sbx_store_counts(store, counts, &err), 0);
	CHECK_INT_EQ(counts[SBX_JOB_DONE], N);
	int wrong = 0;
	for (int i = 0; i < N; i++) {
		struct sbx_store_job j;
		char want[64];
		snprintf(want, sizeof(want), "\"output\":\"%d\\n\"", i * 3);
		if (sbx_store_get(store, NULL, ids[i], &j, &err) != 1) {
			wrong++;
			continue;
		}
		if (j.result == NULL || strstr(j.result, want) == NULL || j.attempts != 1)
			wrong++;
		sbx_store_job_clear(&j);
	}
	CHECK_INT_EQ(wrong, 0);
	sbx_store_close(store);
	state_dir_remove(&s);
}
