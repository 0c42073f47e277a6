/* One backtest: check the strategy, run it on a pool slot in lockstep with
 * the engine (chunk.c), and give the result as JSON (docs/backtest.md). */
#include "common/hash.h"
#include "common/util.h"
#include "engine/chunk.h"
#include "stratbox/version.h"

#include <errno.h>
#include <string.h>

/* Kept equal to MODULE_ALIASES in src/pyrt/python/stratbox/strategy.py
 * (tests/pyrt checks both by importing each in a backtest). */
static const char *const module_aliases[] = {
	"strategy",  "strategies",   "base_strategy",	   "basestrategy",  "strategy_base",
	"base",	     "backtest",     "backtester",	   "backtesting_framework",
	"trading",   "trading_strategy", "framework",	   "strategy_framework",
	"engine",    "core",	     "stratbox_strategy", "strategy_api",  "bt",
	"lib",
};

int bt_backtest_policy(sbx_check_policy *policy, sbx_error **err)
{
	return sbx_check_policy_allow_imports(policy, module_aliases, ARRAY_SIZE(module_aliases),
					      err);
}

json_t *chunk_lookahead_json(const struct chunk_run *r, const bt_data *data)
{
	json_t *a = json_array();
	for (size_t k = 0; a && k < r->nlookahead; k++) {
		char t[40];
		bt_time_format(data->time[r->lookahead[k]], t, sizeof(t));
		json_array_append_new(a, json_pack("{s:I,s:s}", "bar", (json_int_t) r->lookahead[k],
						   "time", t));
	}
	return a;
}

json_t *chunk_provenance(const struct chunk *c, const char *versions)
{
	const bt_job *job = c->job;
	char code_hash[SHA256_HEX_LEN + 1];
	sha256_hex(job->code, job->code_len, code_hash);
	json_t *p = json_pack("{s:s,s:s,s:s,s:s}", "stratbox", STRATBOX_VERSION, "environment",
			      "host", "code", job->code_name ? job->code_name : "strategy.py",
			      "code_sha256", code_hash);
	if (p == NULL)
		return NULL;
	/* "python=3.11.2 numpy=1.24.2 pandas=1.5.3": as {name: version} */
	json_t *pk = json_object();
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", versions ? versions : "");
	char *save = NULL;
	for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(t, '=');
		if (eq == NULL)
			continue;
		*eq = '\0';
		json_object_set_new(pk, t, json_string(eq + 1));
	}
	json_object_set_new(p, "versions", pk);
	if (json_is_object(job->provenance))
		json_object_update(p, (json_t *) job->provenance);
	return p;
}

/* Take a field of the strategy process's result into ours. */
static void take(json_t *dst, const json_t *jr, const char *key, const char *as)
{
	json_t *v = json_object_get(jr, key);
	if (v != NULL)
		json_object_set(dst, as ? as : key, v);
}

json_t *chunk_run_json(const struct chunk *c, size_t i, sbx_error **err)
{
	const struct chunk_run *r = &c->runs[i];
	json_t *o = NULL;
	if (r->result != NULL) {
		o = bt_result_to_json(r->result, err);
		if (o == NULL)
			return NULL;
	} else {
		o = json_pack("{s:n,s:[],s:[]}", "metrics", "trades", "equity");
		if (o == NULL) {
			sbx_error_set(err, ENOMEM, "result");
			return NULL;
		}
	}
	bool ok = strcmp(r->status, "OK") == 0 && r->result != NULL;
	json_object_set_new(o, "success", json_boolean(ok));
	json_object_set_new(o, "status", json_string(r->status));
	const json_t *jr = c->job_result;
	const char *jerr = json_string_value(json_object_get(jr, "error"));
	const char *e = r->error ? r->error : (!c->job_ok ? jerr : NULL);
	json_object_set_new(o, "error", e ? json_string(e) : json_null());
	if (!c->job_ok)
		take(o, jr, "traceback", NULL);
	take(o, jr, "output", NULL);
	take(o, jr, "stderr", NULL);
	json_object_set_new(o, "mode",
			    json_string(c->mode == CHUNK_VECTOR ? "vectorised" : "event"));
	json_object_set(o, "params", r->params);
	json_object_set_new(o, "lookahead_bars", chunk_lookahead_json(r, c->job->data));
	if (c->mode == CHUNK_VECTOR && c->cuts != NULL) {
		json_t *cuts = json_array();
		for (size_t k = 0; cuts && k + 1 < c->ncuts; k++)
			json_array_append_new(cuts, json_integer((json_int_t) c->cuts[k]));
		json_object_set_new(o, "lookahead_cuts", cuts);
	}
	take(o, jr, "verdict", NULL);
	json_t *m = json_object_get(jr, "metrics");
	double wall = json_number_value(json_object_get(m, "wall_ms"));
	json_object_set_new(o, "timings",
			    json_pack("{s:f,s:f,s:I,s:f}", "run_ms", wall, "lockstep_ms",
				      (double) c->drive_ns / 1e6, "bars", (json_int_t) c->bars_sent,
				      "us_per_bar",
				      c->bars_sent ? (double) c->drive_ns / 1e3 / (double) c->bars_sent
						   : 0.0));
	return o;
}

json_t *bt_backtest_run(sbx_pool *pool, const sbx_check_policy *policy, const bt_job *job,
			bool *ok, sbx_error **err)
{
	*ok = false;
	if (job->data == NULL || job->data->n == 0)
		return sbx_error_set(err, 0, "a backtest needs bars"), NULL;
	if (bt_config_check(&job->config, err) < 0)
		return NULL;
	struct sbx_job sj = { .code = job->code, .code_len = job->code_len };
	json_t *refusal = NULL, *warnings = NULL;
	if (sbx_job_check(policy, &sj, &refusal, &warnings, err) < 0)
		return NULL;
	if (refusal != NULL) {
		json_object_set_new(refusal, "metrics", json_null());
		return refusal;
	}
	struct chunk c;
	memset(&c, 0, sizeof(c));
	c.job = job;
	c.k = 1;
	c.runs = calloc(1, sizeof(*c.runs));
	if (c.runs == NULL || (c.runs[0].params = chunk_params(job, NULL)) == NULL) {
		chunk_free(&c);
		json_decref(warnings);
		return sbx_error_set(err, ENOMEM, "backtest"), NULL;
	}
	if (chunk_run(pool, &c, err) < 0) {
		chunk_free(&c);
		json_decref(warnings);
		return NULL;
	}
	json_t *o = chunk_run_json(&c, 0, err);
	if (o != NULL) {
		struct sbx_pool_stats st;
		sbx_pool_stats(pool, &st);
		json_object_set_new(o, "provenance", chunk_provenance(&c, st.versions));
		if (warnings != NULL)
			json_object_set(o, "warnings", warnings);
		*ok = json_is_true(json_object_get(o, "success"));
	}
	json_decref(warnings);
	chunk_free(&c);
	return o;
}
