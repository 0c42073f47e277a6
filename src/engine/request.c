/* A backtest described in JSON (a request body of the service), to a bt_job
 * and its aligned bars: the JSON face of `stratbox backtest`'s options.
 * backtest.h lists the keys.  Every wrong key or value is an SBX_ERR_INVALID
 * naming it; data problems are the readers' errors (file and line). */
#include "common/parse.h"
#include "common/util.h"
#include "stratbox/backtest.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <string.h>

static const char *const keys[] = {
	"code",	  "symbols",	"data",		"start",    "end",	"params",	  "config",
	"strategy", "cash",	"commission", "commission_fixed", "spread", "margin", "fractional",
	"trade_on_close", "end_policy", "timeout", "memory", "cpus", "cpu_time", "seed",
	"code_name", "grid", "rank", "env", NULL
};

/* A sweep's combinations over HTTP: as many as a slot runs in lockstep. */
#define REQUEST_MAX_COMBOS 1000u

static int seconds(const json_t *v, const char *key, uint64_t *out, sbx_error **err)
{
	double s = json_number_value(v);
	if (!json_is_number(v) || !isfinite(s) || s <= 0 || s > 3600)
		return sbx_error_set(err, 0, "\"%s\" must be seconds in (0, 3600]", key);
	*out = (uint64_t) (s * 1e9);
	return *out ? 0 : sbx_error_set(err, 0, "\"%s\" must be at least a nanosecond", key);
}

static int real(const json_t *o, const char *key, double *out, sbx_error **err)
{
	const json_t *v = json_object_get(o, key);
	if (v == NULL)
		return 0;
	if (!json_is_number(v) || !isfinite(json_number_value(v)))
		return sbx_error_set(err, 0, "\"%s\" must be a number", key);
	*out = json_number_value(v);
	return 0;
}

static const char *opt_string(const json_t *o, const char *key, sbx_error **err, bool *bad)
{
	const json_t *v = json_object_get(o, key);
	*bad = false;
	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_string(v) || json_string_length(v) == 0) {
		*bad = true;
		sbx_error_set(err, 0, "\"%s\" must be a non-empty string", key);
		return NULL;
	}
	return json_string_value(v);
}

static int load_symbols(bt_request *req, const json_t *o, const bt_request_sources *src,
			sbx_error **err)
{
	const json_t *syms = json_object_get(o, "symbols"), *data = json_object_get(o, "data");
	if (syms == NULL && data == NULL)
		return sbx_error_set(err, 0, "give \"symbols\" (dataset names) or \"data\" "
					     "({\"SYMBOL\": \"CSV text\"})");
	bt_manifest *m = NULL;
	int rc = 0;
	if (syms != NULL) {
		size_t n = json_is_array(syms) ? json_array_size(syms) : 0;
		cleanup_free char *list = json_is_string(syms) ? strdup(json_string_value(syms)) : NULL;
		if (!(n > 0 || (list != NULL && *list)))
			return sbx_error_set(err, 0, "\"symbols\" must be a non-empty array of dataset "
						     "names (or \"A,B\")");
		if (src->data_dir == NULL && bt_manifest_load(src->manifest, &m, err) < 0)
			return sbx_error_wrap(err, "the bundled data");
		if (n > 0) {
			for (size_t i = 0; rc == 0 && i < n; i++) {
				const json_t *s = json_array_get(syms, i);
				rc = json_is_string(s)
					     ? bt_inputs_add_dataset(&req->inputs, m, src->data_dir,
								     json_string_value(s), err)
					     : sbx_error_set(err, 0, "\"symbols\"[%zu] must be a string",
							     i);
			}
		} else {
			char *save = NULL;
			for (char *s = strtok_r(list, ",", &save); s && rc == 0;
			     s = strtok_r(NULL, ",", &save))
				rc = bt_inputs_add_dataset(&req->inputs, m, src->data_dir, s, err);
		}
		bt_manifest_free(m);
		if (rc < 0)
			return sbx_error_wrap(err, "\"symbols\"");
	}
	if (data != NULL) {
		if (!json_is_object(data) || json_object_size(data) == 0)
			return sbx_error_set(err, 0, "\"data\" must be an object {\"SYMBOL\": \"CSV "
						     "text\"}");
		const char *sym;
		const json_t *csv;
		json_object_foreach ((json_t *) data, sym, csv) {
			if (!json_is_string(csv))
				return sbx_error_set(err, 0, "\"data\".\"%s\" must be CSV text", sym);
			if (*sym == '\0' || strlen(sym) > 64)
				return sbx_error_set(err, 0, "\"data\": a symbol is 1 to 64 characters");
			if (bt_inputs_add_text(&req->inputs, sym, json_string_value(csv),
					       json_string_length(csv), err) < 0)
				return sbx_error_wrap(err, "\"data\".\"%s\"", sym);
		}
	}
	bool bad1, bad2;
	const char *start = opt_string(o, "start", err, &bad1);
	const char *end = bad1 ? NULL : opt_string(o, "end", err, &bad2);
	if (bad1 || bad2)
		return -1;
	return bt_inputs_finish(&req->inputs, start, end, err);
}

int bt_request_from_json(bt_request *req, const json_t *o, const bt_request_sources *src,
			 sbx_error **err)
{
	memset(req, 0, sizeof(*req));
	bt_config_default(&req->job.config);
	req->job.spin_ns = UINT64_MAX;
	if (!json_is_object(o))
		return sbx_error_set(err, 0, "a backtest must be a JSON object");
	const char *key;
	json_t *v;
	json_object_foreach ((json_t *) o, key, v) {
		size_t i = 0;
		while (keys[i] != NULL && strcmp(keys[i], key) != 0)
			i++;
		if (keys[i] == NULL)
			return sbx_error_set(err, 0,
					     "unknown key \"%s\" (a backtest has code, symbols, data, "
					     "start, end, params (or config), strategy, cash, commission, "
					     "commission_fixed, spread, margin, fractional, "
					     "trade_on_close, end_policy, timeout, memory, cpus, "
					     "cpu_time, seed, code_name, grid, rank, env)",
					     key);
	}
	const json_t *code = json_object_get(o, "code");
	if (!json_is_string(code) || json_string_length(code) == 0)
		return sbx_error_set(err, 0, "\"code\" (a string) is required");
	/* the environment is the caller's to resolve (include/stratbox/env.h) */
	if ((v = json_object_get(o, "env")) != NULL &&
	    (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 64))
		return sbx_error_set(err, 0, "\"env\" must be an environment's name (a string)");
	bt_job *j = &req->job;
	j->code = json_string_value(code);
	j->code_len = json_string_length(code);
	bool bad;
	j->code_name = opt_string(o, "code_name", err, &bad);
	if (bad)
		return -1;
	j->strategy = opt_string(o, "strategy", err, &bad);
	if (bad)
		return -1;
	const json_t *params = json_object_get(o, "params"), *config = json_object_get(o, "config");
	if (params && config)
		return sbx_error_set(err, 0, "give \"params\" or \"config\" (the same thing), not both");
	if (config)
		params = config;
	if (params && !json_is_object(params))
		return sbx_error_set(err, 0, "\"%s\" must be an object {name: value}",
				     config ? "config" : "params");
	j->params = params;
	bt_config *c = &j->config;
	if (real(o, "cash", &c->cash, err) < 0 || real(o, "commission", &c->commission, err) < 0 ||
	    real(o, "commission_fixed", &c->commission_fixed, err) < 0 ||
	    real(o, "spread", &c->spread, err) < 0 || real(o, "margin", &c->margin, err) < 0 ||
	    real(o, "fractional", &c->fractional, err) < 0)
		return -1;
	if ((v = json_object_get(o, "trade_on_close")) != NULL) {
		if (!json_is_boolean(v))
			return sbx_error_set(err, 0, "\"trade_on_close\" must be true or false");
		c->trade_on_close = json_is_true(v);
	}
	if ((v = json_object_get(o, "end_policy")) != NULL) {
		const char *p = json_string_value(v);
		if (p && strcmp(p, "liquidate") == 0)
			c->end_policy = BT_END_LIQUIDATE;
		else if (p && strcmp(p, "hold") == 0)
			c->end_policy = BT_END_HOLD;
		else
			return sbx_error_set(err, 0, "\"end_policy\" must be \"liquidate\" or \"hold\"");
	}
	if (bt_config_check(c, err) < 0)
		return -1;
	if ((v = json_object_get(o, "timeout")) && seconds(v, "timeout", &j->timeout_ns, err) < 0)
		return -1;
	if ((v = json_object_get(o, "cpu_time")) && seconds(v, "cpu_time", &j->cpu_time_ns, err) < 0)
		return -1;
	if ((v = json_object_get(o, "memory")) != NULL) {
		const char *why = "must be a size such as \"256M\" or a number of bytes";
		if (json_is_integer(v) && json_integer_value(v) > 0)
			j->memory = (uint64_t) json_integer_value(v);
		else if (!json_is_string(v) || parse_size(json_string_value(v), &j->memory, &why) < 0)
			return sbx_error_set(err, 0, "\"memory\": %s", why);
	}
	if ((v = json_object_get(o, "cpus")) != NULL) {
		double x = json_number_value(v);
		if (!json_is_number(v) || !isfinite(x) || x < 0.01 || x > 64)
			return sbx_error_set(err, 0, "\"cpus\" must be a number in [0.01, 64]");
		j->millicpus = (uint64_t) llround(x * 1000);
	}
	if ((v = json_object_get(o, "seed")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return sbx_error_set(err, 0, "\"seed\" must be a non-negative integer");
		j->seed = (uint64_t) json_integer_value(v);
		j->has_seed = true;
	}
	if ((v = json_object_get(o, "grid")) != NULL) {
		if (!json_is_string(v) || json_string_length(v) == 0)
			return sbx_error_set(err, 0,
					     "\"grid\" must be a sweep as the CLI's --grid writes it, "
					     "e.g. \"fast=5:30:5,slow=20:100:10\"");
		if (bt_grid_parse(json_string_value(v), REQUEST_MAX_COMBOS, &req->combos, err) < 0)
			return sbx_error_wrap(err, "\"grid\"");
	}
	req->rank = opt_string(o, "rank", err, &bad);
	if (bad)
		return -1;
	if (req->rank != NULL) {
		const bt_metric_field *rf = bt_metric_find(req->rank);
		if (req->combos == NULL)
			return sbx_error_set(err, 0, "\"rank\" ranks a sweep: give \"grid\" too");
		if (rf == NULL || rf->better == 0)
			return sbx_error_set(err, 0,
					     "\"rank\": '%s' is not a metric that ranks "
					     "(docs/metrics.md lists them)",
					     req->rank);
	}
	if (load_symbols(req, o, src, err) < 0)
		return -1;
	j->data = req->inputs.data;
	/* the files by name, not by where this machine keeps them */
	json_t *files = json_deep_copy(req->inputs.files);
	size_t i;
	json_t *f;
	json_array_foreach (files, i, f) {
		const char *path = json_string_value(json_object_get(f, "file"));
		const char *base = path ? strrchr(path, '/') : NULL;
		if (base != NULL)
			json_object_set_new(f, "file", json_string(base + 1));
	}
	req->provenance = files ? json_pack("{s:o}", "data", files) : NULL;
	if (req->provenance == NULL)
		return sbx_error_set(err, ENOMEM, "provenance");
	j->provenance = req->provenance;
	return 0;
}

void bt_request_clear(bt_request *req)
{
	bt_inputs_clear(&req->inputs);
	json_decref(req->provenance);
	json_decref(req->combos);
	memset(req, 0, sizeof(*req));
}
