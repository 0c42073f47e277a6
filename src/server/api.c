/* The endpoints (docs/http-api.md, openapi.yaml): routing, the tenant of a
 * request, a job as JSON, and errors that say what is wrong.
 *
 * A job request is checked here, whole, before it is stored: a request
 * that could never run is a 4xx now, not a failed job later.  What is
 * stored is the request as given (compacted, keys sorted), which the
 * worker parses again, and which an Idempotency-Key retry must match. */
#include "common/util.h"
#include "server/internal.h"
#include "server/envs.h"
#include "server/remote.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#define MAX_WAIT_S 600
#define MAX_LIST 500
#define MAX_KEY_LEN 255

void api_error(struct api_response *rs, unsigned status, const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	rs->status = status;
	json_decref(rs->body);
	rs->body = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message",
			     msg ? msg : "out of memory");
	free(msg);
}

static void api_sbx_error(struct api_response *rs, const sbx_error *e)
{
	switch (e->kind) {
	case SBX_ERR_INVALID:
	case SBX_ERR_SYNTAX:
		api_error(rs, 422, "invalid_request", "%s", e->msg);
		break;
	case SBX_ERR_STOPPED:
		api_error(rs, 503, "stopping", "%s", e->msg);
		break;
	case SBX_ERR_NOMEM:
	case SBX_ERR_SYSTEM:
		if (e->errnum == ENOSPC) {
			rs->retry_after = 30;
			api_error(rs, 503, "disk_full",
				  "the service's disk is full (%s): nothing was stored; retry later",
				  e->msg);
		} else {
			api_error(rs, 500, "internal", "%s", e->msg);
		}
		break;
	}
}

/* ---- a job as JSON ---- */

static json_t *time_json(int64_t ms)
{
	if (ms <= 0)
		return json_null();
	char buf[40];
	time_t t = (time_t) (ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, sizeof(buf) - n, ".%03dZ", (int) (ms % 1000));
	return json_string(buf);
}

static json_t *job_json(const struct sbx_store_job *j, bool with_result)
{
	json_t *o = json_pack("{s:s,s:s,s:s,s:o,s:o,s:o,s:i}", "id", j->id, "kind", j->kind,
			      "status", sbx_job_status_name(j->status), "created",
			      time_json(j->created_ms), "started", time_json(j->started_ms),
			      "finished", time_json(j->finished_ms), "attempts", (int) j->attempts);
	if (o == NULL)
		return NULL;
	if (j->idempotency_key)
		json_object_set_new(o, "idempotency_key", json_string(j->idempotency_key));
	if (with_result) {
		json_t *r = j->result ? json_loads(j->result, 0, NULL) : NULL;
		json_object_set_new(o, "result", r ? r : json_null());
	}
	return o;
}

static bool ended(enum sbx_job_status st)
{
	return st == SBX_JOB_DONE || st == SBX_JOB_FAILED || st == SBX_JOB_CANCELLED;
}

/* ---- query arguments ---- */

/* An unsigned number argument; 1 absent, 0 given, -1 bad (rs set). */
static int query_uint(const struct api_request *rq, const char *name, unsigned long max,
		      unsigned long *out, struct api_response *rs)
{
	const char *v = MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
	if (v == NULL)
		return 1;
	char *end = NULL;
	errno = 0;
	unsigned long n = strtoul(v, &end, 10);
	if (*v == '\0' || *v == '-' || *end != '\0' || errno != 0 || n > max) {
		api_error(rs, 400, "bad_query", "?%s=%s: a whole number from 0 to %lu", name, v,
			  max);
		return -1;
	}
	*out = n;
	return 0;
}

/* Wait until the job ends or `secs` pass (or the server stops); *j the job
 * as it stands then.  1 found, 0 gone, -1 error. */
static int wait_job(struct sbx_server *s, const char *tenant, struct sbx_store_job *j,
		    unsigned long secs, sbx_error **err)
{
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += (time_t) secs;
	char id[SBX_JOB_ID_LEN + 1];
	memcpy(id, j->id, sizeof(id));
	for (;;) {
		/* the count of ends read before the job is: an end between the
		 * read and the wait is never missed */
		pthread_mutex_lock(&s->mu);
		unsigned long gen = s->ended_gen;
		pthread_mutex_unlock(&s->mu);
		sbx_store_job_clear(j);
		int r = sbx_store_get(s->store, tenant, id, j, err);
		if (r != 1 || ended(j->status))
			return r;
		pthread_mutex_lock(&s->mu);
		int rc = 0;
		while (!s->stopping && s->ended_gen == gen && rc != ETIMEDOUT)
			rc = pthread_cond_timedwait(&s->ended, &s->mu, &deadline);
		bool stop = s->stopping;
		pthread_mutex_unlock(&s->mu);
		if (stop || rc == ETIMEDOUT) {
			sbx_store_job_clear(j);
			return sbx_store_get(s->store, tenant, id, j, err);
		}
	}
}

/* ---- endpoints ---- */

static json_t *parse_body(const struct api_request *rq, struct api_response *rs)
{
	const char *ct = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "Content-Type");
	size_t n = ct ? strcspn(ct, ";") : 0;
	while (n > 0 && ct[n - 1] == ' ')
		n--;
	if (ct == NULL || n != strlen("application/json") ||
	    strncasecmp(ct, "application/json", n) != 0) {
		api_error(rs, 415, "unsupported_media_type",
			  "the body must be JSON (Content-Type: application/json), not %s",
			  ct ? ct : "a body without a Content-Type");
		return NULL;
	}
	json_error_t je;
	json_t *o = json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &je);
	if (o == NULL) {
		api_error(rs, 400, "bad_json", "the body is not JSON: line %d, column %d: %s",
			  je.line, je.column, je.text);
		return NULL;
	}
	if (!json_is_object(o)) {
		api_error(rs, 422, "invalid_request", "the body must be a JSON object");
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The request must be able to run: parsed as the worker will parse it. */
/* Per-field limits, before anything is parsed further: a strategy's source,
 * names, a sweep's spec and the symbols are bounded on their own, not only
 * by the body's size.  0, or -1 with a 422 naming the field. */
#define MAX_CODE (1u << 20)
#define MAX_NAME 255u
#define MAX_GRID 4096u
#define MAX_SYMBOLS 16u
static int check_fields(const json_t *o, struct api_response *rs)
{
	static const struct {
		const char *key;
		size_t max;
	} strings[] = { { "code", MAX_CODE },	   { "code_name", MAX_NAME }, { "strategy", MAX_NAME },
			{ "id", MAX_NAME },	   { "rank", MAX_NAME },      { "end_policy", MAX_NAME },
			{ "grid", MAX_GRID },	   { "start", MAX_NAME },     { "end", MAX_NAME } };
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		const json_t *v = json_object_get(o, strings[i].key);
		if (json_is_string(v) && json_string_length(v) > strings[i].max) {
			api_error(rs, 422, "field_too_long", "\"%s\" is %zu bytes: at most %zu",
				  strings[i].key, json_string_length(v), strings[i].max);
			return -1;
		}
	}
	const json_t *syms = json_object_get(o, "symbols"), *data = json_object_get(o, "data");
	size_t n = json_is_array(syms) ? json_array_size(syms) : 0;
	if (json_is_string(syms)) {
		n = 1;
		for (const char *p = json_string_value(syms); *p; p++)
			n += *p == ',';
	}
	if (json_is_object(data))
		n += json_object_size(data);
	if (n > MAX_SYMBOLS) {
		api_error(rs, 422, "too_many_symbols", "%zu symbols: a backtest takes at most %u", n,
			  MAX_SYMBOLS);
		return -1;
	}
	return 0;
}

/* The environment a request names ("env", default the host's): its policy,
 * or -1 with a 422 unknown_env.  With --queue, workers elsewhere have their
 * own environment stores: only the name's form is checked here, and the
 * host's policy answers /v1/validate. */
static int request_env(struct sbx_server *s, const json_t *o, const sbx_check_policy **policy,
		       struct api_response *rs)
{
	const json_t *v = json_object_get(o, "env");
	*policy = s->policy;
	if (v == NULL)
		return 0;
	cleanup_error sbx_error *err = NULL;
	if (!json_is_string(v) || sbx_env_name_check(json_string_value(v), &err) < 0) {
		api_error(rs, 422, "invalid_request", "\"env\": %s",
			  err ? err->msg : "an environment's name (a string)");
		return -1;
	}
	if (s->remote != NULL)
		return 0;
	if (env_pools_policy(s->envs, json_string_value(v), policy, &err) < 0) {
		api_error(rs, 422, "unknown_env", "\"env\": %s", err->msg);
		return -1;
	}
	return 0;
}

static int check_request(struct sbx_server *s, const char *kind, const json_t *o,
			 struct api_response *rs)
{
	cleanup_error sbx_error *err = NULL;
	int r;
	const sbx_check_policy *policy;
	if (check_fields(o, rs) < 0 || request_env(s, o, &policy, rs) < 0)
		return -1;
	if (strcmp(kind, "execution") == 0) {
		struct sbx_job_request req;
		r = sbx_job_request_from_json(&req, o, NULL, &err);
		sbx_job_request_clear(&req);
	} else {
		bt_request req;
		r = bt_request_from_json(&req, o, &s->sources, &err);
		bt_request_clear(&req);
	}
	if (r < 0)
		api_sbx_error(rs, err);
	return r;
}

static void submit(struct sbx_server *s, const char *tenant, const char *kind,
		   const struct api_request *rq, struct api_response *rs)
{
	unsigned long wait = 0;
	int has_wait = query_uint(rq, "wait", MAX_WAIT_S, &wait, rs);
	if (has_wait < 0)
		return;
	const char *key = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "Idempotency-Key");
	if (key != NULL) {
		size_t n = strlen(key);
		bool ok = n > 0 && n <= MAX_KEY_LEN;
		for (size_t i = 0; ok && i < n; i++)
			ok = key[i] > 0x20 && key[i] < 0x7f;
		if (!ok) {
			api_error(rs, 400, "bad_idempotency_key",
				  "Idempotency-Key: 1 to %d printable ASCII characters", MAX_KEY_LEN);
			return;
		}
	}
	json_t *o = parse_body(rq, rs);
	if (o == NULL)
		return;
	int r = check_request(s, kind, o, rs);
	char *text = r == 0 ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	if (r < 0)
		return;
	if (text == NULL) {
		api_error(rs, 500, "internal", "out of memory");
		return;
	}
	pthread_mutex_lock(&s->mu);
	bool stopping = s->stopping;
	pthread_mutex_unlock(&s->mu);
	if (stopping) {
		free(text);
		rs->retry_after = 5;
		api_error(rs, 503, "stopping", "the service is stopping: retry on its next start");
		return;
	}
	struct sbx_store_job j;
	bool existed = false;
	cleanup_error sbx_error *err = NULL;
	r = sbx_store_submit(s->store, tenant, kind, text, key, s->opt.max_queue,
			     s->opt.tenant_max_running, &j, &existed, &err);
	if (r < 0) {
		free(text);
		api_sbx_error(rs, err);
		return;
	}
	if (r == 1) {
		free(text);
		rs->retry_after = 5;
		api_error(rs, 429, "queue_full", "the queue is full (%zu jobs waiting): retry later",
			  s->opt.max_queue);
		return;
	}
	if (r == 2) {
		free(text);
		rs->retry_after = 2;
		api_error(rs, 429, "tenant_quota",
			  "you have %zu jobs queued or running, your limit: retry when one ends",
			  s->opt.tenant_max_running);
		return;
	}
	if (existed && (strcmp(j.kind, kind) != 0 || strcmp(j.request, text) != 0)) {
		free(text);
		api_error(rs, 422, "idempotency_key_reused",
			  "Idempotency-Key '%s' was used for a different request (job %s)", key,
			  j.id);
		sbx_store_job_clear(&j);
		return;
	}
	free(text);
	rs->replayed = existed;
	if (!existed)
		server_job_queued(s);
	if (has_wait == 0 && wait > 0 && wait_job(s, tenant, &j, wait, &err) < 0) {
		api_sbx_error(rs, err);
		sbx_store_job_clear(&j);
		return;
	}
	rs->status = ended(j.status) ? 200 : 202;
	rs->body = job_json(&j, true);
	rs->location_buf = str_printf("/v1/jobs/%s", j.id);
	rs->location = rs->location_buf;
	sbx_store_job_clear(&j);
}

static void get_job(struct sbx_server *s, const char *tenant, const char *id,
		    const struct api_request *rq, struct api_response *rs)
{
	unsigned long wait = 0;
	int has_wait = query_uint(rq, "wait", MAX_WAIT_S, &wait, rs);
	if (has_wait < 0)
		return;
	struct sbx_store_job j;
	cleanup_error sbx_error *err = NULL;
	int r = sbx_store_get(s->store, tenant, id, &j, &err);
	if (r == 1 && has_wait == 0 && wait > 0)
		r = wait_job(s, tenant, &j, wait, &err);
	if (r < 0) {
		api_sbx_error(rs, err);
		return;
	}
	if (r == 0) {
		api_error(rs, 404, "not_found", "no job %s", id);
		return;
	}
	rs->status = 200;
	rs->body = job_json(&j, true);
	sbx_store_job_clear(&j);
}

static void cancel_job(struct sbx_server *s, const char *tenant, const char *id,
		       struct api_response *rs)
{
	enum sbx_job_status was = SBX_JOB_QUEUED;
	cleanup_error sbx_error *err = NULL;
	int r = sbx_store_cancel(s->store, tenant, id, &was, &err);
	if (r < 0) {
		api_sbx_error(rs, err);
		return;
	}
	if (r == 0) {
		api_error(rs, 404, "not_found", "no job %s", id);
		return;
	}
	if (r == 2) {
		api_error(rs, 409, "already_ended", "job %s has already ended (%s)", id,
			  sbx_job_status_name(was));
		return;
	}
	if (was == SBX_JOB_RUNNING)
		server_kill_running(s, id);
	server_job_ended(s);
	remote_job_cancelled(s, id);
	struct sbx_store_job j;
	if (sbx_store_get(s->store, tenant, id, &j, &err) != 1) {
		api_error(rs, 500, "internal", "job %s vanished", id);
		return;
	}
	server_count_job(s, j.kind, SBX_JOB_CANCELLED, 0, 0, 0);
	rs->status = 200;
	rs->body = job_json(&j, true);
	sbx_store_job_clear(&j);
}

static void list_jobs(struct sbx_server *s, const char *tenant, const struct api_request *rq,
		      struct api_response *rs)
{
	unsigned long limit = 50, cursor = 0;
	if (query_uint(rq, "limit", MAX_LIST, &limit, rs) < 0 ||
	    query_uint(rq, "cursor", (unsigned long) INT64_MAX, &cursor, rs) < 0)
		return;
	const char *st = MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, "status");
	int status = -1;
	if (st != NULL && (status = sbx_job_status_parse(st)) < 0) {
		api_error(rs, 400, "bad_query",
			  "?status=%s: one of queued, running, done, failed, cancelled", st);
		return;
	}
	if (limit == 0) {
		api_error(rs, 400, "bad_query", "?limit=0: a whole number from 1 to %d", MAX_LIST);
		return;
	}
	struct sbx_store_job *jobs = NULL;
	size_t n = 0;
	cleanup_error sbx_error *err = NULL;
	/* one more than asked: a cursor only when there is a next page */
	if (sbx_store_list(s->store, tenant, status, (int64_t) cursor, limit + 1, &jobs, &n, &err) <
	    0) {
		api_sbx_error(rs, err);
		return;
	}
	bool more = n > limit;
	if (more) {
		sbx_store_job_clear(&jobs[limit]);
		n = limit;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, job_json(&jobs[i], false));
	json_t *next = json_null();
	if (more) {
		char c[32];
		snprintf(c, sizeof(c), "%lld", (long long) jobs[n - 1].seq);
		json_decref(next);
		next = json_string(c);
	}
	for (size_t i = 0; i < n; i++)
		sbx_store_job_clear(&jobs[i]);
	free(jobs);
	rs->status = 200;
	rs->body = json_pack("{s:o,s:o}", "jobs", arr, "next_cursor", next);
}

static void validate(struct sbx_server *s, const struct api_request *rq, struct api_response *rs)
{
	json_t *o = parse_body(rq, rs);
	if (o == NULL)
		return;
	const char *key;
	json_t *v;
	json_object_foreach (o, key, v) {
		if (strcmp(key, "code") != 0 && strcmp(key, "env") != 0) {
			api_error(rs, 422, "invalid_request",
				  "unknown key \"%s\" (validate takes code and env)", key);
			json_decref(o);
			return;
		}
	}
	const json_t *code = json_object_get(o, "code");
	if (!json_is_string(code)) {
		api_error(rs, 422, "invalid_request", "\"code\" (a string) is required");
		json_decref(o);
		return;
	}
	const sbx_check_policy *policy;
	if (request_env(s, o, &policy, rs) < 0) {
		json_decref(o);
		return;
	}
	struct sbx_check_result res;
	cleanup_error sbx_error *err = NULL;
	if (sbx_check_source(policy, json_string_value(code), json_string_length(code), &res,
			     &err) < 0) {
		json_decref(o);
		if (err->kind != SBX_ERR_SYNTAX && err->kind != SBX_ERR_INVALID) {
			api_sbx_error(rs, err);
			return;
		}
		/* code that does not tokenize: an answer about the code */
		rs->status = 200;
		rs->body = json_pack("{s:b,s:i,s:i,s:[{s:i,s:i,s:s,s:s,s:s}]}", "ok", 0, "errors", 1,
				     "warnings", 0, "violations", "line", (int) err->line, "col",
				     (int) err->col, "rule", "syntax", "severity", "error", "message",
				     err->msg);
		return;
	}
	json_decref(o);
	char *text = sbx_check_result_to_json(&res, "strategy.py");
	sbx_check_result_clear(&res);
	json_t *body = text ? json_loads(text, 0, NULL) : NULL;
	free(text);
	if (body == NULL) {
		api_error(rs, 500, "internal", "out of memory");
		return;
	}
	json_object_del(body, "file");
	rs->status = 200;
	rs->body = body;
}

static void datasets(struct sbx_server *s, struct api_response *rs)
{
	json_t *arr = json_array();
	if (s->opt.data_dir == NULL) {
		bt_manifest *m = NULL;
		cleanup_error sbx_error *err = NULL;
		if (bt_manifest_load(s->manifest, &m, &err) < 0) {
			json_decref(arr);
			api_error(rs, 500, "internal", "the bundled data: %s", err->msg);
			return;
		}
		for (size_t i = 0; i < m->n; i++) {
			const bt_dataset *d = &m->sets[i];
			json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:I,s:s,s:s}", "name",
							     d->name, "description", d->description,
							     "frequency", d->frequency, "bars",
							     (json_int_t) d->bars, "start", d->start,
							     "end", d->end));
		}
		bt_manifest_free(m);
	}
	rs->status = 200;
	rs->body = json_pack("{s:o,s:s*}", "datasets", arr, "data_dir", s->opt.data_dir);
}

static void healthz(struct sbx_server *s, struct api_response *rs)
{
	size_t counts[SBX_JOB_STATUS_COUNT];
	cleanup_error sbx_error *err = NULL;
	if (sbx_store_counts(s->store, counts, &err) < 0) {
		api_error(rs, 503, "store", "%s", err->msg);
		return;
	}
	struct sbx_pool_stats ps = { 0 };
	if (s->pool) /* none with --queue */
		sbx_pool_stats(s->pool, &ps);
	pthread_mutex_lock(&s->mu);
	bool stopping = s->stopping;
	pthread_mutex_unlock(&s->mu);
	rs->status = stopping ? 503 : 200;
	rs->body = json_pack("{s:s,s:i,s:I,s:I,s:{s:i,s:i,s:s}}", "status",
			     stopping ? "stopping" : "ok", "workers", (int) s->opt.workers, "queued",
			     (json_int_t) counts[SBX_JOB_QUEUED], "running",
			     (json_int_t) counts[SBX_JOB_RUNNING], "pool", "ready", (int) ps.ready,
			     "busy", (int) ps.busy, "versions", ps.versions);
}

/* ---- routing ---- */

static bool is_method(const struct api_request *rq, const char *m)
{
	return strcmp(rq->method, m) == 0;
}

static void method_not_allowed(struct api_response *rs, const char *allow)
{
	rs->allow = allow;
	api_error(rs, 405, "method_not_allowed", "this path takes %s", allow);
}

void api_handle(struct sbx_server *s, const struct api_request *rq, struct api_response *rs)
{
	const char *p = rq->path;
	if (strcmp(p, "/healthz") == 0) {
		if (!is_method(rq, "GET"))
			return method_not_allowed(rs, "GET");
		return healthz(s, rs);
	}
	if (page_handle(rq, rs))
		return;
	bool metrics = strcmp(p, "/metrics") == 0;
	if (strncmp(p, "/v1/", 4) != 0 && !metrics) {
		api_error(rs, 404, "not_found", "no such path: %s", p);
		return;
	}
	const char *tenant = auth_tenant(
		s->auth, MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "Authorization"));
	if (tenant == NULL) {
		rs->auth_challenge = true;
		api_error(rs, 401, "unauthorized", "give a valid token: Authorization: Bearer TOKEN");
		return;
	}
	if (metrics) {
		if (!is_method(rq, "GET"))
			return method_not_allowed(rs, "GET");
		rs->raw = server_metrics_text(s);
		if (rs->raw == NULL)
			return api_error(rs, 500, "internal", "out of memory");
		rs->status = 200;
		rs->raw_len = strlen(rs->raw);
		rs->content_type = "text/plain; version=0.0.4; charset=utf-8";
		return;
	}
	p += 3; /* "/..." */
	if (strcmp(p, "/executions") == 0 || strcmp(p, "/backtests") == 0) {
		if (!is_method(rq, "POST"))
			return method_not_allowed(rs, "POST");
		return submit(s, tenant, p[1] == 'e' ? "execution" : "backtest", rq, rs);
	}
	if (strcmp(p, "/validate") == 0) {
		if (!is_method(rq, "POST"))
			return method_not_allowed(rs, "POST");
		return validate(s, rq, rs);
	}
	if (strcmp(p, "/datasets") == 0) {
		if (!is_method(rq, "GET"))
			return method_not_allowed(rs, "GET");
		return datasets(s, rs);
	}
	if (strcmp(p, "/jobs") == 0) {
		if (!is_method(rq, "GET"))
			return method_not_allowed(rs, "GET");
		return list_jobs(s, tenant, rq, rs);
	}
	if (strncmp(p, "/jobs/", 6) == 0 && strlen(p + 6) == SBX_JOB_ID_LEN + 7 &&
	    strcmp(p + 6 + SBX_JOB_ID_LEN, "/report") == 0) {
		char id[SBX_JOB_ID_LEN + 1];
		memcpy(id, p + 6, SBX_JOB_ID_LEN);
		id[SBX_JOB_ID_LEN] = '\0';
		if (!is_method(rq, "GET"))
			return method_not_allowed(rs, "GET");
		return api_report(s, tenant, id, rs);
	}
	if (strncmp(p, "/jobs/", 6) == 0 && strchr(p + 6, '/') == NULL && p[6] != '\0') {
		const char *id = p + 6;
		if (strlen(id) != SBX_JOB_ID_LEN) {
			api_error(rs, 404, "not_found", "no job %s", id);
			return;
		}
		if (is_method(rq, "GET"))
			return get_job(s, tenant, id, rq, rs);
		if (is_method(rq, "DELETE"))
			return cancel_job(s, tenant, id, rs);
		return method_not_allowed(rs, "GET, DELETE");
	}
	api_error(rs, 404, "not_found", "no such path: /v1%s", p);
}
