/* The service's parts, shared by src/server/ only:
 *
 *   server.c   start and stop, the options, the pool, the wake-ups
 *   http.c     libmicrohttpd: requests in, bodies bounded, responses out
 *   api.c      the endpoints: routing, the JSON of a job, errors
 *   worker.c   threads that take queued jobs from the store and run them
 *   job.c      one job from its request to its result (job.h; worker.c and
 *              `stratbox worker` alike)
 *   remote.c   --queue: jobs to `stratbox worker`s through Redis, results
 *              back (remote.h)
 *   auth.c     bearer tokens: tenants, hashed, compared in constant time
 */
#ifndef STRATBOX_SERVER_INTERNAL_H
#define STRATBOX_SERVER_INTERNAL_H

#include "store/store.h"
#include "stratbox/backtest.h"
#include "stratbox/pyrt.h"
#include "stratbox/server.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>

struct MHD_Daemon;
struct MHD_Connection;

/* ---- auth.c ---- */
struct auth;
/* NULL path: no tokens (every request is the tenant "default"). */
int auth_load(const char *path, struct auth **out, sbx_error **err);
void auth_free(struct auth *a);
bool auth_enabled(const struct auth *a);
/* The tenant of "Bearer TOKEN" (the Authorization header's value), or NULL. */
const char *auth_tenant(const struct auth *a, const char *authorization);

/* A worker thread and the job it runs, for DELETE and the drain. */
struct worker {
	struct sbx_server *s;
	unsigned index;
	char id[SBX_JOB_ID_LEN + 1]; /* "": idle (under s->mu) */
	volatile int cancel;	     /* set: the backtest is killed (bt_job.cancel) */
	int cancel_fd;		     /* written: the execution is killed (sbx_job.cancel_fd) */
	bool requeue;		     /* the drain gave up on it: queue it again */
};

/* Counters for /metrics (server.c; under s->mu). */
#define METRIC_BUCKETS 14
struct metrics {
	/* jobs ended, by kind (0 execution, 1 backtest) and final status */
	unsigned long ended[2][SBX_JOB_STATUS_COUNT];
	/* seconds: queue wait and run, cumulative histograms */
	unsigned long wait_hist[METRIC_BUCKETS + 1], run_hist[METRIC_BUCKETS + 1];
	double wait_sum, run_sum;
	unsigned long wait_count, run_count;
	/* HTTP responses by status code (100..599) */
	unsigned long http[500];
	unsigned long requeued, expired;
};
extern const double metric_bounds[METRIC_BUCKETS];

struct sbx_server {
	struct sbx_server_options opt;
	char *host;
	unsigned port;
	sbx_store *store;
	struct auth *auth;
	sbx_pool *pool;
	sbx_check_policy *policy;
	struct env_pools *envs; /* pool and policy, and those of the environments jobs name */
	char *manifest; /* the bundled manifest's path */
	bt_request_sources sources;
	struct MHD_Daemon *mhd;
	bool tls; /* listening with HTTPS */
	char *tls_cert_pem, *tls_key_pem; /* read at start, handed to MHD, wiped */

	pthread_mutex_t mu;
	pthread_cond_t work;  /* a job was queued, or stopping */
	pthread_cond_t ended; /* a job ended (or was cancelled), or stopping */
	pthread_cond_t janitor_wake; /* stopping */
	bool stopping;	      /* no new jobs; workers end after their current one */
	unsigned long queued_gen; /* counts jobs queued: a worker's wake-up is never missed */
	unsigned long ended_gen;  /* counts jobs ended: a waiter's wake-up is never missed */
	pthread_t *threads;
	struct worker *workers; /* opt.workers of them; the first nworkers run */
	unsigned nthreads, nworkers; /* threads to join; local worker threads among them */
	atomic_uint running;
	struct metrics m;
	pthread_t janitor; /* retention */
	bool janitor_started;
	struct remote *remote; /* --queue: remote.c; NULL: the local workers run jobs */
};

void server_log(struct sbx_server *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Wake a worker (a job was queued), or every waiter (a job ended). */
void server_job_queued(struct sbx_server *s);
void server_job_ended(struct sbx_server *s);
/* Kill the job if a worker runs it (DELETE of a running job). */
void server_kill_running(struct sbx_server *s, const char *id);
/* A job ended: its kind, final status and times (Unix ms), for /metrics. */
void server_count_job(struct sbx_server *s, const char *kind, enum sbx_job_status st,
		      int64_t created_ms, int64_t started_ms, int64_t finished_ms);
void server_count_http(struct sbx_server *s, unsigned status);
/* GET /metrics: the Prometheus text. */
char *server_metrics_text(struct sbx_server *s);

/* ---- worker.c ---- */
void *worker_main(void *arg);

/* ---- http.c ---- */
/* Read --tls-cert and --tls-key (before anything slow starts). */
int http_load_tls(struct sbx_server *s, sbx_error **err);
int http_start(struct sbx_server *s, sbx_error **err);
void http_quiesce(struct sbx_server *s);
void http_stop(struct sbx_server *s);

/* ---- api.c: one request, whole ---- */
struct api_request {
	const char *method, *path;
	struct MHD_Connection *conn; /* for query arguments and headers */
	const char *body;
	size_t body_len;
};
struct api_response {
	unsigned status;
	json_t *body;		/* owned; NULL: no body */
	/* or a body that is not JSON (owned, malloc'd), with its type and
	 * an optional Content-Security-Policy */
	char *raw;
	size_t raw_len;
	const char *content_type, *csp;
	const char *location;	/* a header, when not NULL (points into body's strings) */
	char *location_buf;
	unsigned retry_after;	/* seconds, when > 0 */
	const char *allow;	/* for 405 */
	bool auth_challenge;	/* WWW-Authenticate: Bearer (401) */
	bool replayed;		/* Idempotent-Replayed: true */
};
void api_handle(struct sbx_server *s, const struct api_request *rq, struct api_response *rs);
/* {"error": {"code": CODE, "message": ...}} with status */
void api_error(struct api_response *rs, unsigned status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ---- report.c ---- */
/* GET /v1/jobs/{id}/report: the HTML report of a tenant's backtest. */
void api_report(struct sbx_server *s, const char *tenant, const char *id,
		struct api_response *rs);
/* Remove a job's report file, if any (retention, tests). */
void report_remove(struct sbx_server *s, const char *id);

/* ---- page.c ---- */
/* GET /, /page.js, /page.css: the status page (no token).  True when the
 * path is one of its own (rs set), false for any other. */
bool page_handle(const struct api_request *rq, struct api_response *rs);

#endif
