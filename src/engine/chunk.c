/* The host's side of the lockstep: a job on a pool slot running k
 * instances of the strategy (driver.c), and k engines here that fill their
 * orders, bar by bar (event mode) or from targets checked against prefix
 * runs (vectorised mode).
 *
 * Orders and targets are copied out of the region, bounded and validated
 * before anything uses them, and nothing the host wrote earlier is ever
 * read back (its engines hold the truth).  Bars are written one at a time,
 * after the answers for the bar before: the slot's process never holds a
 * bar beyond the one it is deciding on. */
#include "common/parse.h"
#include "common/util.h"
#include "engine/chunk.h"
#include "engine/driver.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* The instance's error text, copied out of the region and made valid UTF-8. */
static char *copy_error(const struct ls_answer *a)
{
	char buf[LS_ERROR_MAX];
	uint32_t n = a->error_len;
	if (n > LS_ERROR_MAX)
		n = LS_ERROR_MAX;
	memcpy(buf, a->error, n);
	char *out = malloc((size_t) n * 3 + 1);
	if (out != NULL)
		utf8_sanitize(buf, n, out);
	return out;
}

static void fail_run(struct chunk_run *r, char *msg)
{
	if (r->error == NULL)
		r->error = msg;
	else
		free(msg);
	r->status = "STRATEGY_ERROR";
}

/* ---- event mode ---- */

static int to_order(const struct ls_order *o, size_t nsym, bt_order *out)
{
	if (o->action < LS_BUY || o->action > LS_CANCEL || o->symbol >= nsym)
		return -1;
	memset(out, 0, sizeof(*out));
	out->action = o->action; /* enum ls_action and bt_action agree */
	out->symbol = o->symbol;
	out->has = (o->flags & LS_HAS_SIZE ? BT_HAS_SIZE : 0) |
		   (o->flags & LS_HAS_LIMIT ? BT_HAS_LIMIT : 0) |
		   (o->flags & LS_HAS_STOP ? BT_HAS_STOP : 0) | (o->flags & LS_HAS_SL ? BT_HAS_SL : 0) |
		   (o->flags & LS_HAS_TP ? BT_HAS_TP : 0);
	out->size = o->size;
	out->limit = o->limit;
	out->stop = o->stop;
	out->sl = o->sl;
	out->tp = o->tp;
	return 0;
}

/* Take instance i's answer for bar `bar`: copy, check, submit. */
static void take_answer(struct driver *d, size_t i, size_t bar)
{
	struct chunk_run *r = &d->c->runs[i];
	const struct ls_answer *a = driver_answer(d, i);
	uint64_t abar = a->bar;
	uint32_t n = a->norders, elen = a->error_len;
	if (elen > 0) {
		d->failed[i] = true;
		char *e = copy_error(a);
		fail_run(r, e ? e : strdup("the strategy raised"));
		return;
	}
	if (abar != bar || n == 0)
		return; /* not called on this bar (or a stale answer): no orders */
	if (n > LS_MAX_ORDERS) {
		d->failed[i] = true;
		fail_run(r, str_printf("bar %zu: a malformed answer (%u orders)", bar, n));
		return;
	}
	struct ls_order raw[LS_MAX_ORDERS];
	memcpy(raw, a->orders, n * sizeof(raw[0]));
	bt_order orders[LS_MAX_ORDERS];
	for (uint32_t k = 0; k < n; k++) {
		if (to_order(&raw[k], d->c->job->data->nsym, &orders[k]) < 0) {
			d->failed[i] = true;
			fail_run(r, str_printf("bar %zu: a malformed order (action %u, symbol %u)",
					       bar, raw[k].action, raw[k].symbol));
			return;
		}
	}
	sbx_error *err = NULL;
	if (bt_engine_submit(d->eng[i], orders, n, &err) < 0) {
		d->failed[i] = true;
		fail_run(r, strdup(err->msg));
		sbx_error_free(err);
	}
}

/* Whether the strategy is asked about this bar: not once ruined, but on
 * the last bar (its orders may still fill there: trade on close, hold). */
static bool asked(const bt_account *acc, size_t n)
{
	return !acc->finished || (acc->bar + 1 == n && acc->equity > 0);
}

static void show_account(struct driver *d, size_t i)
{
	bt_account acc;
	bt_engine_account(d->eng[i], &acc);
	struct ls_account *a = driver_account(d, i);
	a->cash = acc.cash;
	a->equity = acc.equity;
	a->available = acc.available;
	a->finished = !asked(&acc, d->c->job->data->n) || d->failed[i];
	for (size_t s = 0; s < d->c->job->data->nsym; s++)
		a->position[s] = acc.position[s];
	if (i == 0) { /* and on host_seq's line (lockstep.h) */
		struct ls_header *h = d->h;
		h->cash0 = a->cash;
		h->equity0 = a->equity;
		h->available0 = a->available;
		h->position0 = a->position[0];
		h->finished0 = a->finished;
	}
}

static void drive_event(struct driver *d)
{
	struct chunk *c = d->c;
	const bt_data *data = c->job->data;
	size_t n = data->n, wmin = n;
	for (size_t i = 0; i < c->k; i++)
		wmin = d->warmup[i] < wmin ? d->warmup[i] : wmin;
	uint64_t t0 = ls_now_ns();
	for (size_t bar = 0; bar < n; bar++) {
		bool any = false;
		for (size_t i = 0; i < c->k; i++) {
			if (d->failed[i])
				continue;
			sbx_error *err = NULL;
			if (bt_engine_next(d->eng[i], &err) < 0) {
				d->failed[i] = true;
				fail_run(&c->runs[i], strdup(err->msg));
				sbx_error_free(err);
				continue;
			}
			bt_account acc;
			bt_engine_account(d->eng[i], &acc);
			any = any || asked(&acc, n);
		}
		if (!any)
			break; /* every instance ruined or failed: nothing to ask */
		if (bar < wmin)
			continue;
		uint32_t kind = driver_write_bars(d, bar + 1, true);
		for (size_t i = 0; i < c->k; i++)
			show_account(d, i);
		driver_post(d, kind, bar + 1);
		if (!driver_wait_slot(d, ++d->slot_seq)) {
			c->host_error = str_printf("the strategy's process ended at bar %zu of %zu, "
						   "before the backtest did", bar, n);
			break;
		}
		c->bars_sent = bar + 1;
		driver_prefetch(d, bar + 2);
		driver_keep_apart(d, bar);
		/* one instance, and the slot says its answer is empty: as good as
		 * reading it (a lie drops only its own orders), a line not fetched */
		bool quiet = c->k == 1 && __atomic_load_n(&d->h->slot_quiet, __ATOMIC_RELAXED);
		for (size_t i = 0; i < c->k && !quiet; i++)
			if (!d->failed[i] && bar >= d->warmup[i])
				take_answer(d, i, bar);
		if (c->progress)
			atomic_fetch_add(c->progress, c->k);
	}
	c->drive_ns = ls_now_ns() - t0;
	driver_keep_apart_end(d);
	/* the engines that did not run to the end (every instance finished
	 * early) still give their results: bt_engine_finish closes them */
}

/* ---- vectorised mode ---- */

static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *) a, y = *(const size_t *) b;
	return x < y ? -1 : x > y;
}

/* Where to cut: `want` points in (first, n), half evenly spaced and half at
 * random, sorted and distinct, then n itself (the full run) last. */
static size_t *make_cuts(size_t first, size_t n, unsigned want, uint64_t seed, size_t *count)
{
	size_t *cuts = calloc((size_t) want + 1, sizeof(size_t));
	if (cuts == NULL)
		return NULL;
	size_t m = 0;
	if (n > first + 1) {
		size_t span = n - first - 1; /* cut points first+1 .. n-1 */
		unsigned even = want / 2;
		for (unsigned k = 1; k <= even; k++)
			cuts[m++] = first + 1 + (size_t) ((double) span * k / (even + 1));
		uint64_t s = seed ? seed : 0x9e3779b97f4a7c15ull;
		for (unsigned k = even; k < want; k++)
			cuts[m++] = first + 1 + (size_t) (next_rand(&s) % span);
		qsort(cuts, m, sizeof(size_t), cmp_size);
		size_t u = 0;
		for (size_t k = 0; k < m; k++)
			if (u == 0 || cuts[k] != cuts[u - 1])
				cuts[u++] = cuts[k];
		m = u;
	}
	cuts[m++] = n;
	*count = m;
	return cuts;
}

static bool differs(double a, double b)
{
	if (isnan(a) || isnan(b))
		return isnan(a) != isnan(b);
	return fabs(a - b) > 1e-9 * fmax(1.0, fabs(a));
}

/* The targets each instance gave at each cut: prefix[i * ncuts + k] holds
 * bars [0, cuts[k]) of instance i; the last cut is the full run. */
struct vector_runs {
	double **prefix;
	size_t done; /* cuts answered */
};

/* Give the slot cuts [k0, k1) and keep every instance's targets. */
static void drive_cuts(struct driver *d, struct vector_runs *v, size_t k0, size_t k1)
{
	struct chunk *c = d->c;
	size_t n = c->job->data->n;
	uint64_t t0 = ls_now_ns();
	for (size_t k = k0; k < k1; k++) {
		size_t upto = c->cuts[k];
		(void) driver_write_bars(d, upto, false);
		driver_post(d, LS_CUT, upto);
		if (!driver_wait_slot(d, ++d->slot_seq)) {
			c->host_error = str_printf("the strategy's process ended at cut %zu of %zu "
						   "(%zu bars), before the backtest did",
						   k + 1, c->ncuts, upto);
			break;
		}
		c->bars_sent = upto;
		for (size_t i = 0; i < c->k; i++) {
			if (d->failed[i])
				continue;
			const struct ls_answer *a = driver_answer(d, i);
			if (a->error_len > 0) {
				d->failed[i] = true;
				char *e = copy_error(a);
				fail_run(&c->runs[i], e ? e : strdup("the strategy raised"));
				continue;
			}
			double *t = malloc(upto * sizeof(double));
			if (t == NULL) {
				d->failed[i] = true;
				fail_run(&c->runs[i], strdup("out of memory"));
				continue;
			}
			memcpy(t, (const double *) ((const char *) d->h + d->lay.targets_off) + i * n,
			       upto * sizeof(double));
			v->prefix[i * c->ncuts + k] = t;
		}
		v->done = k + 1;
		if (c->progress)
			atomic_fetch_add(c->progress, c->k * n / c->ncuts);
	}
	c->drive_ns += ls_now_ns() - t0;
}

/* Compare every prefix run with the full run, and run the full targets. */
static void vector_results(struct chunk *c, const bool *failed, struct vector_runs *v)
{
	const bt_data *data = c->job->data;
	size_t n = data->n;
	for (size_t i = 0; i < c->k; i++) {
		struct chunk_run *r = &c->runs[i];
		double *full = v->done == c->ncuts ? v->prefix[i * c->ncuts + c->ncuts - 1] : NULL;
		if (!failed[i] && full != NULL) {
			/* every bar where a prefix run disagrees with the full run */
			uint8_t *mark = calloc(n, 1);
			for (size_t k = 0; mark && k + 1 < c->ncuts; k++) {
				const double *p = v->prefix[i * c->ncuts + k];
				for (size_t j = r->config.warmup; p && j < c->cuts[k]; j++)
					if (differs(full[j], p[j]))
						mark[j] = 1;
			}
			size_t cnt = 0;
			for (size_t j = 0; mark && j < n; j++)
				cnt += mark[j];
			r->lookahead = cnt ? malloc(cnt * sizeof(size_t)) : NULL;
			for (size_t j = 0; r->lookahead && j < n; j++)
				if (mark[j])
					r->lookahead[r->nlookahead++] = j;
			free(mark);
			sbx_error *err = NULL;
			if (bt_run_targets(data, &r->config, full, n, &r->result, &err) < 0) {
				fail_run(r, strdup(err->msg));
				sbx_error_free(err);
			}
		}
	}
}

static void vector_runs_free(const struct chunk *c, struct vector_runs *v)
{
	for (size_t q = 0; v->prefix && q < c->k * c->ncuts; q++)
		free(v->prefix[q]);
	free(v->prefix);
}

/* ---- the chunk ---- */

/* The hello's warmups and errors; an engine for each instance. */
static void take_hello(struct driver *d)
{
	struct chunk *c = d->c;
	const bt_job *job = c->job;
	for (size_t i = 0; i < c->k; i++) {
		const struct ls_answer *a = driver_answer(d, i);
		uint64_t w = a->bar;
		d->warmup[i] = w < job->data->n ? (size_t) w : job->data->n - 1;
		c->runs[i].config = job->config;
		c->runs[i].config.warmup = d->warmup[i];
		if (a->error_len > 0) {
			d->failed[i] = true;
			char *e = copy_error(a);
			fail_run(&c->runs[i], e ? e : strdup("the strategy raised"));
		}
		sbx_error *eerr = NULL;
		if (!d->failed[i] && c->mode == CHUNK_EVENT &&
		    bt_engine_new(job->data, &c->runs[i].config, &d->eng[i], &eerr) < 0) {
			d->failed[i] = true;
			fail_run(&c->runs[i], strdup(eerr->msg));
			sbx_error_free(eerr);
		}
	}
}

/* A vectorised strategy: the prefixes in this process (each cut shows it
 * only bars before the cut, the cuts ascending), then the full run in a
 * fresh process that has seen no cut, so that the full run cannot know
 * where the cuts were and answer them as a prefix would (the cut points
 * come from getrandom, never from the job's seed, which the strategy
 * knows).  -1 only when the second job could not start. */
static int run_vector(struct driver *d, sbx_error **err)
{
	struct chunk *c = d->c;
	size_t n = c->job->data->n;
	uint64_t seed = 0;
	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = ls_now_ns();
	c->cuts = make_cuts(d->warmup[0], n, c->job->lookahead_cuts ? c->job->lookahead_cuts : 20,
			    seed, &c->ncuts);
	struct vector_runs v = { calloc(c->k * (c->ncuts ? c->ncuts : 1), sizeof(double *)), 0 };
	if (c->cuts == NULL || v.prefix == NULL) {
		c->host_error = strdup("out of memory");
		free(v.prefix);
		return 0;
	}
	drive_cuts(d, &v, 0, c->ncuts - 1);
	int rc = driver_end(d, err);
	bool first_ok = rc == 0 && d->jr.verdict.status == SBX_OK && c->host_error == NULL;
	if (first_ok) {
		struct driver full;
		if (driver_init(&full, d->pool, c, err) < 0) {
			driver_free(&full);
			rc = -1;
		} else {
			memcpy(full.failed, d->failed, c->k * sizeof(bool));
			int mode = driver_start(&full, err);
			if (mode < 0) {
				rc = -1;
			} else {
				if (mode == LS_VECTOR)
					drive_cuts(&full, &v, c->ncuts - 1, c->ncuts);
				else if (mode == LS_EVENT && c->host_error == NULL)
					c->host_error = strdup("the strategy changed its mode between runs");
				rc = driver_end(&full, err);
			}
			if (rc == 0) { /* the full run's process is the job's account */
				sbx_job_result_clear(&d->jr);
				d->jr = full.jr;
				memset(&full.jr, 0, sizeof(full.jr));
				memcpy(d->failed, full.failed, c->k * sizeof(bool));
			}
			driver_free(&full);
		}
	}
	if (rc == 0 && d->jr.verdict.status == SBX_OK && c->host_error == NULL)
		vector_results(c, d->failed, &v);
	vector_runs_free(c, &v);
	return rc;
}

int chunk_run(sbx_pool *pool, struct chunk *c, sbx_error **err)
{
	if (c->job->cancel != NULL && *c->job->cancel) {
		c->cancelled = true; /* nothing to start */
		for (size_t i = 0; i < c->k; i++) {
			c->runs[i].status = "CANCELLED";
			c->runs[i].error = strdup("cancelled before it ran");
		}
		return 0;
	}
	struct driver d;
	if (driver_init(&d, pool, c, err) < 0) {
		driver_free(&d);
		return -1;
	}
	int mode = driver_start(&d, err);
	int rc = mode < 0 ? -1 : 0;
	if (mode > 0) {
		c->mode = mode == LS_VECTOR ? CHUNK_VECTOR : CHUNK_EVENT;
		take_hello(&d);
		if (c->mode == CHUNK_VECTOR) {
			rc = run_vector(&d, err);
		} else {
			drive_event(&d);
			rc = driver_end(&d, err);
		}
	} else if (mode == 0) {
		rc = driver_end(&d, err);
	}
	if (rc < 0) {
		driver_free(&d);
		return -1;
	}
	c->job_result = sbx_job_result_json(&d.jr, NULL);
	c->job_ok = d.jr.verdict.status == SBX_OK;
	if (c->mode == CHUNK_EVENT && c->job_ok && c->host_error == NULL) {
		for (size_t i = 0; i < c->k; i++) {
			sbx_error *ferr = NULL;
			if (d.failed[i] || d.eng[i] == NULL)
				continue;
			if (bt_engine_finish(d.eng[i], &c->runs[i].result, &ferr) < 0) {
				fail_run(&c->runs[i], strdup(ferr->msg));
				sbx_error_free(ferr);
			}
		}
	}
	for (size_t i = 0; i < c->k; i++) {
		struct chunk_run *r = &c->runs[i];
		if (!c->job_ok || c->host_error != NULL || c->cancelled) {
			bt_result_free(r->result);
			r->result = NULL;
		}
		if (c->cancelled) {
			free(r->error);
			r->status = "CANCELLED";
			r->error = strdup("cancelled: the strategy's process was killed");
		} else if (c->killed_at_end) {
			/* it would not end when told: the host killed it */
			free(r->error);
			r->status = "STRATEGY_ERROR";
			r->error = strdup(c->host_error);
		} else if (!c->job_ok) {
			/* the sandbox's outcome stands alone (the job's own error
			 * with it when it exited non-zero: sbx_job_result_json) */
			free(r->error);
			r->error = NULL;
			json_t *st = json_object_get(c->job_result, "status");
			r->status = json_string_value(st) ? json_string_value(st) : "SANDBOX_ERROR";
		} else if (c->host_error != NULL && r->error == NULL) {
			r->status = "STRATEGY_ERROR";
			r->error = strdup(c->host_error);
		} else if (r->status == NULL) {
			r->status = r->result ? "OK" : "STRATEGY_ERROR";
		}
	}
	driver_free(&d);
	return 0;
}

void chunk_free(struct chunk *c)
{
	for (size_t i = 0; c->runs && i < c->k; i++) {
		json_decref(c->runs[i].params);
		bt_result_free(c->runs[i].result);
		free(c->runs[i].error);
		free(c->runs[i].lookahead);
	}
	free(c->runs);
	json_decref(c->job_result);
	free(c->cuts);
	free(c->host_error);
	memset(c, 0, sizeof(*c));
}

json_t *chunk_params(const bt_job *job, const json_t *combo)
{
	json_t *p = json_is_object(job->params) ? json_deep_copy(job->params) : json_object();
	if (p != NULL && json_is_object(combo))
		json_object_update(p, (json_t *) combo);
	return p;
}
