/* Parameter sweeps: a grid of combinations, run as chunks of instances on
 * pool slots in parallel (chunk.c), ranked by one metric. */
#include "common/util.h"
#include "engine/chunk.h"
#include "pyrt/lockstep.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the grid ---- */

static json_t *value_of(const char *s, size_t len)
{
	char buf[128];
	if (len == 0 || len >= sizeof(buf))
		return NULL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	char *end = NULL;
	errno = 0;
	long long i = strtoll(buf, &end, 10);
	if (*end == '\0' && errno == 0)
		return json_integer(i);
	double d = strtod(buf, &end);
	if (*end == '\0' && isfinite(d))
		return json_real(d);
	if (strcmp(buf, "true") == 0 || strcmp(buf, "false") == 0)
		return json_boolean(buf[0] == 't');
	return json_string(buf);
}

static bool is_int_text(const char *s)
{
	char *end = NULL;
	errno = 0;
	(void) strtoll(s, &end, 10);
	return *s && *end == '\0' && errno == 0;
}

/* One "name=spec" into a JSON array of its values. */
static json_t *axis_values(const char *name, const char *spec, size_t max, sbx_error **err)
{
	json_t *vals = json_array();
	if (vals == NULL)
		return sbx_error_set(err, ENOMEM, "grid"), NULL;
	const char *c1 = strchr(spec, ':');
	if (c1 != NULL) {
		char a[64], b[64], st[64];
		const char *c2 = strchr(c1 + 1, ':');
		if (c2 == NULL || strchr(c2 + 1, ':') != NULL || (size_t) (c1 - spec) >= sizeof(a) ||
		    (size_t) (c2 - c1 - 1) >= sizeof(b) || strlen(c2 + 1) >= sizeof(st)) {
			json_decref(vals);
			return sbx_error_set(err, 0, "'%s=%s': a range is start:stop:step", name, spec),
			       NULL;
		}
		snprintf(a, sizeof(a), "%.*s", (int) (c1 - spec), spec);
		snprintf(b, sizeof(b), "%.*s", (int) (c2 - c1 - 1), c1 + 1);
		snprintf(st, sizeof(st), "%s", c2 + 1);
		char *e1, *e2, *e3;
		double x0 = strtod(a, &e1), x1 = strtod(b, &e2), dx = strtod(st, &e3);
		if (*e1 || *e2 || *e3 || !*a || !*b || !*st || !isfinite(x0) || !isfinite(x1) ||
		    !isfinite(dx) || dx <= 0 || x1 < x0) {
			json_decref(vals);
			return sbx_error_set(err, 0,
					     "'%s=%s': start:stop:step needs numbers with start <= "
					     "stop and step > 0",
					     name, spec),
			       NULL;
		}
		bool ints = is_int_text(a) && is_int_text(b) && is_int_text(st);
		size_t count = (size_t) floor((x1 - x0) / dx + 1e-9) + 1;
		if (count > max) {
			json_decref(vals);
			return sbx_error_set(err, 0, "'%s=%s' has %zu values; at most %zu", name,
					     spec, count, max),
			       NULL;
		}
		for (size_t k = 0; k < count; k++) {
			double v = x0 + dx * (double) k;
			json_array_append_new(vals, ints ? json_integer((json_int_t) llround(v))
							 : json_real(round(v * 1e12) / 1e12));
		}
		return vals;
	}
	for (const char *p = spec;;) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t) (bar - p) : strlen(p);
		json_t *v = value_of(p, len);
		if (v == NULL) {
			json_decref(vals);
			return sbx_error_set(err, 0, "'%s=%s': an empty or overlong value", name, spec),
			       NULL;
		}
		json_array_append_new(vals, v);
		if (bar == NULL)
			break;
		p = bar + 1;
	}
	return vals;
}

int bt_grid_parse(const char *spec, size_t max, json_t **combos, sbx_error **err)
{
	if (max == 0)
		max = 100000;
	*combos = NULL;
	cleanup_free char *copy = strdup(spec ? spec : "");
	if (copy == NULL)
		return sbx_error_set(err, ENOMEM, "grid");
	json_t *names = json_array(), *axes = json_array();
	char *save = NULL;
	int rc = 0;
	for (char *item = strtok_r(copy, ",", &save); item && rc == 0;
	     item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		if (eq == NULL || eq == item) {
			rc = sbx_error_set(err, 0, "'%s': each part is NAME=start:stop:step, "
						   "NAME=a|b|c or NAME=value", item);
			break;
		}
		*eq = '\0';
		for (size_t k = 0; k < json_array_size(names); k++)
			if (strcmp(json_string_value(json_array_get(names, k)), item) == 0)
				rc = sbx_error_set(err, 0, "'%s' is given twice", item);
		json_t *vals = rc == 0 ? axis_values(item, eq + 1, max, err) : NULL;
		if (vals == NULL) {
			rc = -1;
			break;
		}
		json_array_append_new(names, json_string(item));
		json_array_append_new(axes, vals);
	}
	if (rc == 0 && json_array_size(names) == 0)
		rc = sbx_error_set(err, 0, "an empty grid");
	if (rc == 0 && json_array_size(names) > 64)
		rc = sbx_error_set(err, 0, "at most 64 parameters in a grid");
	size_t total = 1;
	for (size_t k = 0; rc == 0 && k < json_array_size(axes); k++) {
		total *= json_array_size(json_array_get(axes, k));
		if (total > max)
			rc = sbx_error_set(err, 0, "more than %zu combinations", max);
	}
	json_t *out = rc == 0 ? json_array() : NULL;
	size_t na = json_array_size(axes);
	for (size_t idx = 0; out && idx < total; idx++) {
		json_t *combo = json_object();
		size_t rest = idx, digit[64];
		for (size_t k = na; k-- > 0;) { /* the last name varies fastest */
			size_t m = json_array_size(json_array_get(axes, k));
			digit[k < 64 ? k : 63] = rest % m;
			rest /= m;
		}
		for (size_t k = 0; k < na && k < 64; k++) /* keys in the order given */
			json_object_set(combo, json_string_value(json_array_get(names, k)),
					json_array_get(json_array_get(axes, k), digit[k]));
		json_array_append_new(out, combo);
	}
	json_decref(names);
	json_decref(axes);
	if (rc < 0)
		return -1;
	if (out == NULL)
		return sbx_error_set(err, ENOMEM, "grid");
	*combos = out;
	return 0;
}

/* ---- the sweep ---- */

struct sweep {
	sbx_pool *pool;
	const bt_sweep *sw;
	struct chunk *chunks;
	size_t nchunks, next;
	atomic_size_t bars_done;
	size_t bars_total;
	pthread_mutex_t mu;
	sbx_error *err;
	bool stop_progress;
	uint64_t elapsed_ns;
};

static void *worker(void *arg)
{
	struct sweep *s = arg;
	for (;;) {
		pthread_mutex_lock(&s->mu);
		size_t i = s->next++;
		pthread_mutex_unlock(&s->mu);
		if (i >= s->nchunks)
			return NULL;
		sbx_error *err = NULL;
		if (chunk_run(s->pool, &s->chunks[i], &err) < 0) {
			pthread_mutex_lock(&s->mu);
			if (s->err == NULL)
				s->err = err;
			else
				sbx_error_free(err);
			s->next = s->nchunks; /* the pool is stopping: no more */
			pthread_mutex_unlock(&s->mu);
		}
	}
}

static void *progress_thread(void *arg)
{
	struct sweep *s = arg;
	size_t total = json_array_size(s->sw->combos);
	for (;;) {
		pthread_mutex_lock(&s->mu);
		bool stop = s->stop_progress;
		pthread_mutex_unlock(&s->mu);
		size_t bars = atomic_load(&s->bars_done);
		size_t done = s->bars_total ? (size_t) ((double) bars / (double) s->bars_total *
							(double) total)
					    : 0;
		if (stop)
			done = total;
		s->sw->progress(s->sw->progress_arg, done > total ? total : done, total);
		if (stop)
			return NULL;
		struct timespec ts = { 0, 100 * 1000000L };
		nanosleep(&ts, NULL);
	}
}

struct ranked {
	struct chunk *c;
	size_t i;
	double v;
	bool ok;
	int better; /* the metric's direction: +1 higher is better */
};

static int cmp_ranked(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	bool xv = x->ok && !isnan(x->v), yv = y->ok && !isnan(y->v);
	if (xv != yv)
		return xv ? -1 : 1;
	if (!xv)
		return 0;
	if (x->v == y->v)
		return 0;
	return (x->better > 0 ? x->v > y->v : x->v < y->v) ? -1 : 1;
}

/* Run every chunk, `parallel` at once; the progress bar meanwhile. */
static int sweep_execute(struct sweep *s, unsigned parallel, sbx_error **err)
{
	const bt_sweep *sw = s->sw;
	uint64_t t0 = now_ns();
	pthread_t th[64], pth;
	unsigned nth = parallel < s->nchunks ? parallel : (unsigned) s->nchunks;
	if (nth > 64)
		nth = 64;
	bool prog = sw->progress != NULL && pthread_create(&pth, NULL, progress_thread, s) == 0;
	unsigned started = 0;
	for (unsigned t = 0; t < nth; t++)
		if (pthread_create(&th[started], NULL, worker, s) == 0)
			started++;
	if (started == 0)
		worker(s);
	for (unsigned t = 0; t < started; t++)
		pthread_join(th[t], NULL);
	if (prog) {
		pthread_mutex_lock(&s->mu);
		s->stop_progress = true;
		pthread_mutex_unlock(&s->mu);
		pthread_join(pth, NULL);
	}
	s->elapsed_ns = now_ns() - t0;
	if (s->err != NULL) {
		*err = s->err;
		s->err = NULL;
		return -1;
	}
	return 0;
}

/* The runs ranked, and the best one in full. */
static json_t *sweep_collect(struct sweep *s, const bt_metric_field *field, const char *rank,
			     sbx_error **err)
{
	size_t total = json_array_size(s->sw->combos);
	cleanup_free struct ranked *rk = calloc(total, sizeof(*rk));
	if (rk == NULL)
		return sbx_error_set(err, ENOMEM, "sweep"), NULL;
	size_t m = 0;
	for (size_t k = 0; k < s->nchunks; k++)
		for (size_t i = 0; i < s->chunks[k].k && m < total; i++) {
			struct chunk_run *r = &s->chunks[k].runs[i];
			rk[m].c = &s->chunks[k];
			rk[m].i = i;
			rk[m].ok = r->result != NULL && strcmp(r->status, "OK") == 0;
			rk[m].v = rk[m].ok ? bt_metric_value(&r->result->metrics, field) : NAN;
			rk[m].better = field->better;
			m++;
		}
	qsort(rk, m, sizeof(*rk), cmp_ranked);
	json_t *runs = json_array();
	const bt_data *data = s->sw->job->data;
	cleanup_free uint8_t *mark = calloc(data->n, 1); /* the union of the runs' lookahead bars */
	for (size_t j = 0; j < m; j++) {
		struct chunk_run *r = &rk[j].c->runs[rk[j].i];
		json_t *one = json_pack("{s:O,s:s,s:b}", "params", r->params, "status", r->status,
					"success", rk[j].ok);
		const char *jerr = json_string_value(json_object_get(rk[j].c->job_result, "error"));
		const char *e = r->error ? r->error : (!rk[j].c->job_ok ? jerr : NULL);
		json_object_set_new(one, "error", e ? json_string(e) : json_null());
		if (r->result != NULL) {
			json_t *full = bt_result_to_json(r->result, NULL);
			json_object_set(one, "metrics", json_object_get(full, "metrics"));
			json_decref(full);
		} else {
			json_object_set_new(one, "metrics", json_null());
		}
		json_object_set_new(one, "lookahead_bars", chunk_lookahead_json(r, s->sw->job->data));
		for (size_t q = 0; q < r->nlookahead; q++)
			if (mark != NULL)
				mark[r->lookahead[q]] = 1;
		json_array_append_new(runs, one);
	}
	json_t *look = json_array();
	for (size_t b = 0; mark != NULL && b < data->n; b++)
		if (mark[b]) {
			char t[40];
			bt_time_format(data->time[b], t, sizeof(t));
			json_array_append_new(look, json_pack("{s:I,s:s}", "bar", (json_int_t) b, "time", t));
		}
	json_t *best = chunk_run_json(rk[0].c, rk[0].i, err);
	if (best == NULL) {
		json_decref(runs);
		json_decref(look);
		return NULL;
	}
	struct sbx_pool_stats st;
	sbx_pool_stats(s->pool, &st);
	json_object_set_new(best, "provenance", chunk_provenance(rk[0].c, st.versions));
	size_t per = s->chunks[0].k;
	return json_pack("{s:s,s:o,s:o,s:o,s:{s:f,s:f,s:I,s:I}}", "rank", rank, "runs", runs,
			 "best", best, "lookahead_bars", look, "timings", "run_ms",
			 (double) s->elapsed_ns / 1e6, "backtests_per_s",
			 (double) total / ((double) s->elapsed_ns / 1e9), "slots",
			 (json_int_t) s->nchunks, "per_slot", (json_int_t) per);
}

json_t *bt_sweep_run(sbx_pool *pool, const sbx_check_policy *policy, const bt_sweep *sw,
		     sbx_error **err)
{
	const char *rank = sw->rank ? sw->rank : "sharpe";
	const bt_metric_field *field = bt_metric_find(rank);
	if (field == NULL || field->better == 0)
		return sbx_error_set(err, 0, "'%s' is not a metric that ranks (docs/metrics.md)",
				     rank),
		       NULL;
	size_t total = json_array_size(sw->combos);
	if (total == 0)
		return sbx_error_set(err, 0, "a sweep needs at least one combination"), NULL;
	const bt_job *job = sw->job;
	if (bt_config_check(&job->config, err) < 0)
		return NULL;
	struct sbx_job sj = { .code = job->code, .code_len = job->code_len };
	json_t *refusal = NULL;
	if (sbx_job_check(policy, &sj, &refusal, NULL, err) < 0)
		return NULL;
	if (refusal != NULL) {
		json_object_set_new(refusal, "metrics", json_null());
		json_t *o = json_pack("{s:s,s:[],s:o}", "rank", rank, "runs", "best", refusal);
		return o ? o : (sbx_error_set(err, ENOMEM, "sweep"), NULL);
	}
	unsigned parallel = sw->parallel ? sw->parallel : 2;
	size_t per = sw->per_slot ? sw->per_slot : (total + parallel - 1) / parallel;
	if (per > LS_MAX_INSTANCES)
		per = LS_MAX_INSTANCES;
	struct sweep s;
	memset(&s, 0, sizeof(s));
	s.pool = pool;
	s.sw = sw;
	s.nchunks = (total + per - 1) / per;
	s.chunks = calloc(s.nchunks, sizeof(*s.chunks));
	s.bars_total = total * job->data->n;
	pthread_mutex_init(&s.mu, NULL);
	bool oom = s.chunks == NULL;
	for (size_t k = 0; !oom && k < s.nchunks; k++) {
		struct chunk *c = &s.chunks[k];
		c->job = job;
		c->k = k + 1 < s.nchunks ? per : total - per * k;
		c->runs = calloc(c->k, sizeof(*c->runs));
		c->progress = sw->progress ? &s.bars_done : NULL;
		oom = c->runs == NULL;
		for (size_t i = 0; !oom && i < c->k; i++)
			oom = (c->runs[i].params =
				       chunk_params(job, json_array_get(sw->combos, per * k + i))) ==
			      NULL;
	}
	json_t *out = NULL;
	if (oom)
		sbx_error_set(err, ENOMEM, "sweep");
	else if (sweep_execute(&s, parallel, err) == 0)
		out = sweep_collect(&s, field, rank, err);
	for (size_t k = 0; s.chunks && k < s.nchunks; k++)
		chunk_free(&s.chunks[k]);
	free(s.chunks);
	sbx_error_free(s.err);
	pthread_mutex_destroy(&s.mu);
	return out;
}
