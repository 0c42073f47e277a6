/* Worker threads: take the oldest queued job from the store, run it on the
 * server's pool, write its one result.  A job ends "done" when it ran to a
 * result, whatever the strategy's verdict (result.success says), "failed"
 * only when the service could not run it (its request no longer loads: a
 * dataset gone).  A worker asked to stop finishes its job first. */
#include "common/util.h"
#include "server/internal.h"

#include <errno.h>
#include <string.h>

static char *dump(const json_t *o)
{
	return json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(15));
}

static json_t *run_execution(struct sbx_server *s, const json_t *rq, bool *failed)
{
	cleanup_error sbx_error *err = NULL;
	struct sbx_job_request req;
	if (sbx_job_request_from_json(&req, rq, NULL, &err) < 0) {
		*failed = true;
		return sbx_job_error_json("FAILED", err->msg);
	}
	bool ok = false;
	json_t *res = sbx_pool_run_checked(s->pool, s->policy, &req.job, &ok, &err);
	sbx_job_request_clear(&req);
	if (res == NULL) {
		*failed = true;
		return sbx_job_error_json("FAILED", err ? err->msg : "out of memory");
	}
	return res;
}

static json_t *run_backtest(struct sbx_server *s, const json_t *rq, bool *failed)
{
	cleanup_error sbx_error *err = NULL;
	bt_request req;
	if (bt_request_from_json(&req, rq, &s->sources, &err) < 0) {
		bt_request_clear(&req);
		*failed = true;
		return sbx_job_error_json("FAILED", err->msg);
	}
	bool ok = false;
	json_t *res = bt_backtest_run(s->pool, s->policy, &req.job, &ok, &err);
	bt_request_clear(&req);
	if (res == NULL) {
		*failed = true;
		return sbx_job_error_json("FAILED", err ? err->msg : "out of memory");
	}
	return res;
}

static void run_one(struct sbx_server *s, struct sbx_store_job *j)
{
	bool failed = false;
	json_t *res = NULL;
	json_error_t je;
	json_t *rq = json_loads(j->request, 0, &je);
	if (rq == NULL) {
		failed = true;
		res = sbx_job_error_json("FAILED", "the stored request is not JSON");
	} else if (strcmp(j->kind, "execution") == 0) {
		res = run_execution(s, rq, &failed);
	} else if (strcmp(j->kind, "backtest") == 0) {
		res = run_backtest(s, rq, &failed);
	} else {
		failed = true;
		res = sbx_job_error_json("FAILED", "unknown job kind");
	}
	json_decref(rq);
	char *text = res ? dump(res) : NULL;
	json_decref(res);
	cleanup_error sbx_error *err = NULL;
	int r = sbx_store_finish(s->store, j->id, failed ? SBX_JOB_FAILED : SBX_JOB_DONE,
				 text ? text : "{\"success\":false,\"error\":\"out of memory\"}", &err);
	if (r < 0)
		server_log(s, "job %s: its result could not be stored: %s", j->id, err->msg);
	free(text);
	server_job_ended(s);
}

void *worker_main(void *arg)
{
	struct sbx_server *s = arg;
	for (;;) {
		pthread_mutex_lock(&s->mu);
		bool stop = s->stopping;
		unsigned long gen = s->queued_gen;
		pthread_mutex_unlock(&s->mu);
		if (stop)
			break;
		struct sbx_store_job j;
		cleanup_error sbx_error *err = NULL;
		int r = sbx_store_claim(s->store, &j, &err);
		if (r == 1) {
			atomic_fetch_add(&s->running, 1);
			run_one(s, &j);
			atomic_fetch_sub(&s->running, 1);
			sbx_store_job_clear(&j);
			continue;
		}
		if (r < 0)
			server_log(s, "worker: %s", err->msg);
		/* nothing queued (or the store failed): sleep until a job is
		 * queued, with a timeout so that a missed wake-up or a store
		 * that recovers costs at most a second */
		pthread_mutex_lock(&s->mu);
		if (!s->stopping && s->queued_gen == gen) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			pthread_cond_timedwait(&s->work, &s->mu, &ts);
		}
		pthread_mutex_unlock(&s->mu);
	}
	return NULL;
}
