/* Worker threads: take the oldest queued job from the store, run it on the
 * server's pool, write its one result.  A job ends "done" when it ran to a
 * result, whatever the strategy's verdict (result.success says), "failed"
 * only when the service could not run it (its request no longer loads: a
 * dataset gone).  A worker asked to stop finishes its job first, unless
 * the drain runs out of time: then the job is killed and queued again.
 * DELETE of a running job kills it here (struct worker: the id it runs,
 * its cancel flag and fd). */
#include "common/util.h"
#include "server/internal.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

static char *dump(const json_t *o)
{
	return json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(15));
}

static json_t *run_execution(struct worker *w, const json_t *rq, bool *failed)
{
	struct sbx_server *s = w->s;
	cleanup_error sbx_error *err = NULL;
	struct sbx_job_request req;
	if (sbx_job_request_from_json(&req, rq, NULL, &err) < 0) {
		*failed = true;
		return sbx_job_error_json("FAILED", err->msg);
	}
	bool ok = false;
	req.job.cancel_fd = w->cancel_fd;
	json_t *res = sbx_pool_run_checked(s->pool, s->policy, &req.job, &ok, &err);
	sbx_job_request_clear(&req);
	if (res == NULL) {
		*failed = true;
		return sbx_job_error_json("FAILED", err ? err->msg : "out of memory");
	}
	return res;
}

static json_t *run_backtest(struct worker *w, const json_t *rq, bool *failed)
{
	struct sbx_server *s = w->s;
	cleanup_error sbx_error *err = NULL;
	bt_request req;
	if (bt_request_from_json(&req, rq, &s->sources, &err) < 0) {
		bt_request_clear(&req);
		*failed = true;
		return sbx_job_error_json("FAILED", err->msg);
	}
	bool ok = false;
	req.job.cancel = &w->cancel;
	json_t *res;
	if (req.combos != NULL) {
		/* a sweep: its combinations in one slot, in lockstep (one exchange a
		 * bar for them all), so that a sweep takes a worker's share of the
		 * pool like any job */
		req.job.spin_ns = 0;
		bt_sweep sw = { .job = &req.job, .combos = req.combos, .parallel = 1,
				.rank = req.rank };
		res = bt_sweep_run(s->pool, s->policy, &sw, &err);
	} else {
		res = bt_backtest_run(s->pool, s->policy, &req.job, &ok, &err);
	}
	bt_request_clear(&req);
	if (res == NULL) {
		*failed = true;
		return sbx_job_error_json("FAILED", err ? err->msg : "out of memory");
	}
	return res;
}

/* Take the job as this worker's (DELETE and the drain find it here); false
 * when it was cancelled between the claim and now. */
static bool adopt(struct worker *w, const struct sbx_store_job *j)
{
	struct sbx_server *s = w->s;
	uint64_t v;
	while (read(w->cancel_fd, &v, sizeof(v)) > 0) /* nonblocking: drained */
		;
	pthread_mutex_lock(&s->mu);
	memcpy(w->id, j->id, sizeof(w->id));
	w->cancel = 0;
	w->requeue = false;
	pthread_mutex_unlock(&s->mu);
	struct sbx_store_job now;
	cleanup_error sbx_error *err = NULL;
	if (sbx_store_get(s->store, NULL, j->id, &now, &err) == 1) {
		bool running = now.status == SBX_JOB_RUNNING;
		sbx_store_job_clear(&now);
		return running;
	}
	return true;
}

static void run_one(struct worker *w, struct sbx_store_job *j)
{
	struct sbx_server *s = w->s;
	if (!adopt(w, j)) {
		pthread_mutex_lock(&s->mu);
		w->id[0] = '\0';
		pthread_mutex_unlock(&s->mu);
		server_job_ended(s);
		return;
	}
	bool failed = false;
	json_t *res = NULL;
	json_error_t je;
	json_t *rq = json_loads(j->request, 0, &je);
	if (rq == NULL) {
		failed = true;
		res = sbx_job_error_json("FAILED", "the stored request is not JSON");
	} else if (strcmp(j->kind, "execution") == 0) {
		res = run_execution(w, rq, &failed);
	} else if (strcmp(j->kind, "backtest") == 0) {
		res = run_backtest(w, rq, &failed);
	} else {
		failed = true;
		res = sbx_job_error_json("FAILED", "unknown job kind");
	}
	json_decref(rq);
	char *text = res ? dump(res) : NULL;
	json_decref(res);
	cleanup_error sbx_error *err = NULL;
	pthread_mutex_lock(&s->mu);
	bool requeue = w->requeue;
	w->id[0] = '\0';
	pthread_mutex_unlock(&s->mu);
	enum sbx_job_status st = failed ? SBX_JOB_FAILED : SBX_JOB_DONE;
	int r;
	if (requeue) {
		/* killed by the drain: its run does not count; the next start runs it */
		r = sbx_store_requeue(s->store, j->id, &err);
		if (r == 1) {
			server_log(s, "job %s: still running at the drain's end: queued again",
				   j->id);
			pthread_mutex_lock(&s->mu);
			s->m.requeued++;
			pthread_mutex_unlock(&s->mu);
		}
	} else {
		/* a store that cannot take the result now (a full disk) is asked
		 * again, every second, until it can or the server stops: then the
		 * job stays running in the store, and the next start runs it again */
		for (unsigned tries = 0;; tries++) {
			sbx_error_free(err);
			err = NULL;
			r = sbx_store_finish(
				s->store, j->id, st,
				text ? text : "{\"success\":false,\"error\":\"out of memory\"}", &err);
			if (r >= 0)
				break;
			if (tries == 0)
				server_log(s, "job %s: its result cannot be stored yet (%s): retrying",
					   j->id, err->msg);
			pthread_mutex_lock(&s->mu);
			bool stopping = s->stopping;
			if (!stopping) {
				struct timespec ts;
				clock_gettime(CLOCK_REALTIME, &ts);
				ts.tv_sec += 1;
				pthread_cond_timedwait(&s->work, &s->mu, &ts);
			}
			pthread_mutex_unlock(&s->mu);
			if (stopping)
				break;
		}
		if (r == 1) {
			struct sbx_store_job done;
			cleanup_error sbx_error *gerr = NULL;
			if (sbx_store_get(s->store, NULL, j->id, &done, &gerr) == 1) {
				server_count_job(s, j->kind, st, done.created_ms, done.started_ms,
						 done.finished_ms);
				sbx_store_job_clear(&done);
			}
		}
	}
	if (r < 0)
		server_log(s, "job %s: its result could not be stored: %s", j->id, err->msg);
	free(text);
	server_job_ended(s);
}

void server_kill_running(struct sbx_server *s, const char *id)
{
	pthread_mutex_lock(&s->mu);
	for (unsigned i = 0; i < s->nthreads; i++) {
		struct worker *w = &s->workers[i];
		if (strcmp(w->id, id) == 0) {
			uint64_t one = 1;
			w->cancel = 1;
			if (write(w->cancel_fd, &one, sizeof(one)) != sizeof(one))
				server_log(s, "job %s: cannot signal its worker", id);
		}
	}
	pthread_mutex_unlock(&s->mu);
}

void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct sbx_server *s = w->s;
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
			run_one(w, &j);
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
