/* One job from its request to its result (job.h). */
#include "server/job.h"
#include "server/envs.h"
#include "common/util.h"

#include <jansson.h>
#include <string.h>

static json_t *run_execution(sbx_pool *pool, const sbx_check_policy *policy, const json_t *rq,
			     const struct job_cancel *cancel, bool *failed)
{
	cleanup_error sbx_error *err = NULL;
	struct sbx_job_request req;
	if (sbx_job_request_from_json(&req, rq, NULL, &err) < 0) {
		*failed = true;
		return sbx_job_error_json("FAILED", err->msg);
	}
	if (cancel && cancel->fd > 0)
		req.job.cancel_fd = cancel->fd;
	bool ok = false;
	json_t *res = sbx_pool_run_checked(pool, policy, &req.job, &ok, &err);
	sbx_job_request_clear(&req);
	if (res == NULL) {
		*failed = true;
		return sbx_job_error_json("FAILED", err ? err->msg : "out of memory");
	}
	return res;
}

static json_t *run_backtest(sbx_pool *pool, const sbx_check_policy *policy,
			    const bt_request_sources *sources, const json_t *rq,
			    const struct job_cancel *cancel, bool *failed)
{
	cleanup_error sbx_error *err = NULL;
	bt_request req;
	if (bt_request_from_json(&req, rq, sources, &err) < 0) {
		bt_request_clear(&req);
		*failed = true;
		return sbx_job_error_json("FAILED", err->msg);
	}
	if (cancel)
		req.job.cancel = cancel->flag;
	bool ok = false;
	json_t *res;
	if (req.combos != NULL) {
		/* a sweep: its combinations in one slot, in lockstep (one exchange a
		 * bar for them all), so that a sweep takes a worker's share of the
		 * pool like any job */
		req.job.spin_ns = 0;
		bt_sweep sw = { .job = &req.job, .combos = req.combos, .parallel = 1,
				.rank = req.rank };
		res = bt_sweep_run(pool, policy, &sw, &err);
	} else {
		res = bt_backtest_run(pool, policy, &req.job, &ok, &err);
	}
	bt_request_clear(&req);
	if (res == NULL) {
		*failed = true;
		return sbx_job_error_json("FAILED", err ? err->msg : "out of memory");
	}
	return res;
}

char *job_run(struct env_pools *envs, const bt_request_sources *sources, const char *kind,
	      const char *request, const struct job_cancel *cancel, bool *failed)
{
	*failed = false;
	json_t *res = NULL;
	json_error_t je;
	json_t *rq = json_loads(request, 0, &je);
	sbx_pool *pool = NULL;
	const sbx_check_policy *policy = NULL;
	cleanup_error sbx_error *err = NULL;
	if (rq == NULL) {
		*failed = true;
		res = sbx_job_error_json("FAILED", "the stored request is not JSON");
	} else if (env_pools_get(envs, json_string_value(json_object_get(rq, "env")), &pool,
				 &policy, &err) < 0 ||
		   pool == NULL) {
		*failed = true;
		res = sbx_job_error_json("FAILED", err ? err->msg : "no pool runs jobs here");
	} else if (strcmp(kind, "execution") == 0) {
		res = run_execution(pool, policy, rq, cancel, failed);
	} else if (strcmp(kind, "backtest") == 0) {
		res = run_backtest(pool, policy, sources, rq, cancel, failed);
	} else {
		*failed = true;
		res = sbx_job_error_json("FAILED", "unknown job kind");
	}
	json_decref(rq);
	char *text = res ? json_dumps(res, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
	json_decref(res);
	return text;
}
