/* The job pipeline, for every front end (the CLI's exec and batch, the
 * service): a job from its JSON description, the validator before the
 * sandbox, and the result as a JSON object the caller can add to (an id,
 * timings of its own).  Nothing here runs code or touches the kernel; it
 * calls sbx_check_source() and sbx_pool_run(). */
#include "common/parse.h"
#include "common/util.h"
#include "pyrt/pool.h"
#include "validate/violations.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <string.h>

static json_t *text(const char *s, size_t len)
{
	if (s == NULL)
		return json_null();
	char *clean = malloc(len * 3 + 1);
	if (clean == NULL)
		return json_null();
	size_t n = utf8_sanitize(s, len, clean);
	json_t *j = json_stringn_nocheck(clean, n);
	free(clean);
	return j;
}

static json_t *ms(uint64_t ns)
{
	return json_real((double) (ns / 1000u) / 1000.0);
}

json_t *sbx_job_result_json(const struct sbx_job_result *r, const struct sbx_check_result *viol)
{
	json_t *o = json_object();
	if (o == NULL)
		return NULL;
	if (viol != NULL) {
		json_object_set_new(o, "success", json_false());
		json_object_set_new(o, "status", json_string("VALIDATION_ERROR"));
		json_object_set_new(o, "output", json_string(""));
		char *first = viol->n ? str_printf("line %u: %s", viol->v[0].line, viol->v[0].message)
				      : NULL;
		json_object_set_new(o, "error", first ? json_string(first) : json_null());
		free(first);
		json_object_set_new(o, "violations", validate_violations_json(viol));
		json_object_set_new(o, "metrics", json_object());
		return o;
	}
	const sbx_verdict *v = &r->verdict;
	json_object_set_new(o, "success", json_boolean(v->status == SBX_OK));
	json_object_set_new(o, "status", json_string(sbx_status_name(v->status)));
	json_object_set_new(o, "output", text(v->out.data ? v->out.data : "", v->out.len));
	json_object_set_new(o, "stderr", text(v->err.data ? v->err.data : "", v->err.len));
	const char *err = r->error ? r->error
			  : v->status != SBX_OK && v->message && *v->message ? v->message
									     : NULL;
	json_object_set_new(o, "error", err ? json_string(err) : json_null());
	if (r->traceback)
		json_object_set_new(o, "traceback", json_string(r->traceback));
	json_t *m = json_object();
	json_object_set_new(m, "wall_ms", ms(v->wall_ns));
	json_object_set_new(m, "cpu_ms", ms(v->cpu_user_ns + v->cpu_sys_ns));
	json_object_set_new(m, "memory_peak_bytes", json_integer((json_int_t) v->memory_peak_bytes));
	json_object_set_new(m, "queue_ms", ms(r->queue_ns));
	json_object_set_new(m, "setup_ms", ms(v->setup_ns));
	json_object_set_new(m, "exit_code", json_integer(v->exit_code));
	json_object_set_new(m, "warm", json_boolean(r->warm));
	json_object_set_new(m, "protocol_errors", json_integer(r->protocol_errors));
	json_object_set_new(o, "metrics", m);
	json_t *vj = sbx_verdict_json(v);
	if (vj != NULL) {
		json_object_del(vj, "stdout");
		json_object_del(vj, "stderr");
		json_object_set_new(o, "verdict", vj);
	}
	return o;
}

char *sbx_job_result_to_json(const struct sbx_job_result *r, const struct sbx_check_result *viol)
{
	json_t *o = sbx_job_result_json(r, viol);
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
	json_decref(o);
	return s;
}


/* ---- a job from JSON ---- */

static const char *const job_keys[] = { "code", "data", "timeout", "cpu_time", "memory",
					"seed", "id", "env", NULL };

static int json_seconds(const json_t *v, const char *key, uint64_t *out, sbx_error **err)
{
	double s = json_number_value(v);
	if (!json_is_number(v) || !isfinite(s) || s <= 0 || s > 3600)
		return sbx_error_set(err, 0, "\"%s\" must be seconds in (0, 3600]", key);
	*out = (uint64_t) (s * 1e9);
	return *out ? 0 : sbx_error_set(err, 0, "\"%s\" must be at least a nanosecond", key);
}

int sbx_job_request_from_json(struct sbx_job_request *req, const json_t *o,
			      const struct sbx_job *defaults, sbx_error **err)
{
	memset(req, 0, sizeof(*req));
	if (defaults != NULL)
		req->job = *defaults;
	req->job.code = NULL;
	req->job.data = NULL;
	if (!json_is_object(o))
		return sbx_error_set(err, 0, "a job must be a JSON object");
	const char *key;
	json_t *v;
	json_object_foreach ((json_t *) o, key, v) {
		size_t i = 0;
		while (job_keys[i] != NULL && strcmp(job_keys[i], key) != 0)
			i++;
		if (job_keys[i] == NULL)
			return sbx_error_set(err, 0,
					     "unknown key \"%s\" (a job has code, data, timeout, "
					     "cpu_time, memory, seed, id, env)",
					     key);
	}
	json_t *code = json_object_get(o, "code");
	if (!json_is_string(code))
		return sbx_error_set(err, 0, "\"code\" (a string) is required");
	/* the environment is the caller's to resolve (include/stratbox/env.h) */
	if ((v = json_object_get(o, "env")) != NULL &&
	    (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 64))
		return sbx_error_set(err, 0, "\"env\" must be an environment's name (a string)");
	req->job.code = json_string_value(code);
	req->job.code_len = json_string_length(code);
	if ((v = json_object_get(o, "timeout")) && json_seconds(v, "timeout", &req->job.timeout_ns, err) < 0)
		return -1;
	if ((v = json_object_get(o, "cpu_time")) &&
	    json_seconds(v, "cpu_time", &req->job.cpu_time_ns, err) < 0)
		return -1;
	if ((v = json_object_get(o, "memory")) != NULL) {
		const char *why = "must be a size such as \"256M\" or a number of bytes";
		uint64_t bytes = 0;
		if (json_is_integer(v) && json_integer_value(v) > 0)
			bytes = (uint64_t) json_integer_value(v);
		else if (!json_is_string(v) || parse_size(json_string_value(v), &bytes, &why) < 0)
			return sbx_error_set(err, 0, "\"memory\": %s", why);
		req->job.memory = bytes;
	}
	if ((v = json_object_get(o, "seed")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return sbx_error_set(err, 0, "\"seed\" must be a non-negative integer");
		req->job.seed = (uint64_t) json_integer_value(v);
		req->job.has_seed = true;
	}
	if ((v = json_object_get(o, "data")) != NULL) {
		req->data_doc = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
		if (req->data_doc == NULL)
			return sbx_error_set(err, ENOMEM, "job data");
		req->job.data = req->data_doc;
		req->job.data_len = strlen(req->data_doc);
	}
	return 0;
}

void sbx_job_request_clear(struct sbx_job_request *req)
{
	free(req->data_doc);
	memset(req, 0, sizeof(*req));
}

/* ---- check, then run ---- */

json_t *sbx_job_error_json(const char *status, const char *message)
{
	json_t *o = json_object();
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "success", json_false());
	json_object_set_new(o, "status", json_string(status));
	json_object_set_new(o, "output", json_string(""));
	json_object_set_new(o, "error", message ? json_string(message) : json_null());
	json_object_set_new(o, "metrics", json_object());
	return o;
}

int sbx_job_check(const sbx_check_policy *policy, const struct sbx_job *job, json_t **refusal,
		  json_t **warnings, sbx_error **err)
{
	*refusal = NULL;
	if (warnings != NULL)
		*warnings = NULL;
	struct sbx_check_result viol;
	sbx_error *cerr = NULL;
	if (sbx_check_source(policy, job->code, job->code_len, &viol, &cerr) < 0) {
		if (cerr->kind != SBX_ERR_SYNTAX) {
			*err = cerr;
			return -1;
		}
		/* code that does not tokenize is refused like any other */
		char *m = str_printf("line %u: %s", cerr->line, cerr->msg);
		json_t *o = sbx_job_error_json("VALIDATION_ERROR", m ? m : cerr->msg);
		free(m);
		json_t *v = json_pack("[{s:s,s:s,s:s,s:I,s:I}]", "rule", "syntax", "severity", "error",
				      "message", cerr->msg, "line", (json_int_t) cerr->line, "col",
				      (json_int_t) cerr->col);
		sbx_error_free(cerr);
		if (o == NULL || v == NULL || json_object_set_new(o, "violations", v) < 0) {
			json_decref(o);
			return sbx_error_set(err, ENOMEM, "result");
		}
		*refusal = o;
		return 0;
	}
	if (viol.errors > 0) /* refused: nothing runs (warnings alone do not refuse) */
		*refusal = sbx_job_result_json(NULL, &viol);
	else if (warnings != NULL && viol.n > 0)
		*warnings = validate_violations_json(&viol);
	bool oom = viol.errors > 0 ? *refusal == NULL : warnings && viol.n > 0 && *warnings == NULL;
	sbx_check_result_clear(&viol);
	return oom ? sbx_error_set(err, ENOMEM, "result") : 0;
}

json_t *sbx_pool_run_checked(sbx_pool *pool, const sbx_check_policy *policy,
			     const struct sbx_job *job, bool *ok, sbx_error **err)
{
	*ok = false;
	json_t *refusal, *warnings;
	if (sbx_job_check(policy, job, &refusal, &warnings, err) < 0)
		return NULL;
	if (refusal != NULL)
		return refusal;
	return sbx_pool_run_json(pool, job, warnings, ok, err);
}

json_t *sbx_pool_run_json(sbx_pool *pool, const struct sbx_job *job, json_t *warnings, bool *ok,
			  sbx_error **err)
{
	*ok = false;
	struct sbx_job_result res;
	if (sbx_pool_run(pool, job, &res, err) < 0) {
		json_decref(warnings);
		return NULL;
	}
	json_t *o = sbx_job_result_json(&res, NULL);
	if (o != NULL && warnings != NULL) /* code with only warnings runs; its result says so */
		json_object_set_new(o, "warnings", warnings);
	else
		json_decref(warnings);
	*ok = o != NULL && res.verdict.status == SBX_OK;
	sbx_job_result_clear(&res);
	return o ? o : (sbx_error_set(err, ENOMEM, "result"), NULL);
}
