/* GET /metrics: the whole service in Prometheus' text format (version
 * 0.0.4): jobs ended by kind and final status, the queue, the pool's
 * slots, histograms of the time jobs waited in the queue and ran, and HTTP
 * responses by code.  Counters count since this process started (as
 * Prometheus expects: it handles the reset at a restart); the gauges are
 * read from the store and the pool when asked. */
#include "common/util.h"
#include "server/internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* seconds */
const double metric_bounds[METRIC_BUCKETS] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
					       1,     2.5,  5,     10,   30,  60,   300 };

static void observe(unsigned long hist[METRIC_BUCKETS + 1], double *sum, unsigned long *count,
		    double secs)
{
	if (secs < 0)
		secs = 0;
	size_t b = 0;
	while (b < METRIC_BUCKETS && secs > metric_bounds[b])
		b++;
	hist[b]++; /* made cumulative when written */
	*sum += secs;
	(*count)++;
}

void server_count_job(struct sbx_server *s, const char *kind, enum sbx_job_status st,
		      int64_t created_ms, int64_t started_ms, int64_t finished_ms)
{
	int k = strcmp(kind, "backtest") == 0;
	pthread_mutex_lock(&s->mu);
	if ((int) st >= 0 && st < SBX_JOB_STATUS_COUNT)
		s->m.ended[k][st]++;
	if (started_ms > 0 && created_ms > 0)
		observe(s->m.wait_hist, &s->m.wait_sum, &s->m.wait_count,
			(double) (started_ms - created_ms) / 1e3);
	if (finished_ms > 0 && started_ms > 0)
		observe(s->m.run_hist, &s->m.run_sum, &s->m.run_count,
			(double) (finished_ms - started_ms) / 1e3);
	pthread_mutex_unlock(&s->mu);
}

void server_count_http(struct sbx_server *s, unsigned status)
{
	if (status < 100 || status > 599)
		return;
	pthread_mutex_lock(&s->mu);
	s->m.http[status - 100]++;
	pthread_mutex_unlock(&s->mu);
}

struct text {
	char *buf;
	size_t len, cap;
	bool failed;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct text *t, const char *fmt, ...)
{
	if (t->failed)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->failed = true;
			return;
		}
		if ((size_t) n < t->cap - t->len) {
			t->len += (size_t) n;
			return;
		}
		size_t cap = (t->cap + (size_t) n + 1) * 2;
		char *b = realloc(t->buf, cap);
		if (b == NULL) {
			t->failed = true;
			return;
		}
		t->buf = b;
		t->cap = cap;
	}
}

static void histogram(struct text *t, const char *name, const char *help,
		      const unsigned long hist[METRIC_BUCKETS + 1], double sum, unsigned long count)
{
	put(t, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	unsigned long cum = 0;
	for (size_t b = 0; b < METRIC_BUCKETS; b++) {
		cum += hist[b];
		put(t, "%s_bucket{le=\"%g\"} %lu\n", name, metric_bounds[b], cum);
	}
	put(t, "%s_bucket{le=\"+Inf\"} %lu\n%s_sum %.6f\n%s_count %lu\n", name, count, name, sum,
	    name, count);
}

char *server_metrics_text(struct sbx_server *s)
{
	size_t counts[SBX_JOB_STATUS_COUNT];
	cleanup_error sbx_error *err = NULL;
	bool have_counts = sbx_store_counts(s->store, counts, &err) == 0;
	struct sbx_pool_stats ps;
	memset(&ps, 0, sizeof(ps));
	if (s->pool != NULL) /* --queue: no pool here */
		sbx_pool_stats(s->pool, &ps);
	pthread_mutex_lock(&s->mu);
	struct metrics m = s->m;
	unsigned workers = s->nworkers, busy = 0;
	for (unsigned i = 0; i < s->nworkers; i++)
		busy += s->workers[i].id[0] != '\0';
	pthread_mutex_unlock(&s->mu);

	struct text t = { malloc(8192), 0, 8192, false };
	if (t.buf == NULL)
		return NULL;
	static const char *const kinds[2] = { "execution", "backtest" };
	put(&t, "# HELP stratbox_jobs_ended_total Jobs that ended, by kind and final status.\n"
		"# TYPE stratbox_jobs_ended_total counter\n");
	for (int k = 0; k < 2; k++)
		for (int st = SBX_JOB_DONE; st < SBX_JOB_STATUS_COUNT; st++)
			put(&t, "stratbox_jobs_ended_total{kind=\"%s\",status=\"%s\"} %lu\n",
			    kinds[k], sbx_job_status_name((enum sbx_job_status) st), m.ended[k][st]);
	if (have_counts) {
		put(&t, "# HELP stratbox_jobs Jobs in the store by status.\n"
			"# TYPE stratbox_jobs gauge\n");
		for (int st = 0; st < SBX_JOB_STATUS_COUNT; st++)
			put(&t, "stratbox_jobs{status=\"%s\"} %zu\n",
			    sbx_job_status_name((enum sbx_job_status) st), counts[st]);
		put(&t, "# HELP stratbox_queue_depth Jobs queued, not yet taken by a worker.\n"
			"# TYPE stratbox_queue_depth gauge\nstratbox_queue_depth %zu\n",
		    counts[SBX_JOB_QUEUED]);
	}
	put(&t, "# HELP stratbox_workers Worker threads, and how many run a job.\n"
		"# TYPE stratbox_workers gauge\nstratbox_workers{state=\"busy\"} %u\n"
		"stratbox_workers{state=\"idle\"} %u\n",
	    busy, workers - busy);
	put(&t, "# HELP stratbox_pool_slots The warm pool's slots (forked Python processes).\n"
		"# TYPE stratbox_pool_slots gauge\nstratbox_pool_slots{state=\"ready\"} %u\n"
		"stratbox_pool_slots{state=\"busy\"} %u\n",
	    ps.ready, ps.busy);
	histogram(&t, "stratbox_job_queue_wait_seconds",
		  "Time from a job's acceptance to a worker taking it.", m.wait_hist, m.wait_sum,
		  m.wait_count);
	histogram(&t, "stratbox_job_run_seconds", "Time from a worker taking a job to its end.",
		  m.run_hist, m.run_sum, m.run_count);
	put(&t, "# HELP stratbox_jobs_requeued_total Jobs a stopping server gave up on and "
		"queued again.\n# TYPE stratbox_jobs_requeued_total counter\n"
		"stratbox_jobs_requeued_total %lu\n",
	    m.requeued);
	put(&t, "# HELP stratbox_jobs_expired_total Ended jobs deleted by retention.\n"
		"# TYPE stratbox_jobs_expired_total counter\nstratbox_jobs_expired_total %lu\n",
	    m.expired);
	put(&t, "# HELP stratbox_http_responses_total HTTP responses by status code.\n"
		"# TYPE stratbox_http_responses_total counter\n");
	for (unsigned c = 0; c < 500; c++)
		if (m.http[c])
			put(&t, "stratbox_http_responses_total{code=\"%u\"} %lu\n", c + 100,
			    m.http[c]);
	if (t.failed) {
		free(t.buf);
		return NULL;
	}
	return t.buf;
}
