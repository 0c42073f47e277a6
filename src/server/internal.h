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

struct sbx_server {
	struct sbx_server_options opt;
	char *host;
	unsigned port;
	sbx_store *store;
	struct auth *auth;
	sbx_pool *pool;
	sbx_check_policy *policy;
	char *manifest; /* the bundled manifest's path */
	bt_request_sources sources;
	struct MHD_Daemon *mhd;

	pthread_mutex_t mu;
	pthread_cond_t work;  /* a job was queued, or stopping */
	pthread_cond_t ended; /* a job ended (or was cancelled), or stopping */
	bool stopping;	      /* no new jobs; workers end after their current one */
	unsigned long queued_gen; /* counts jobs queued: a worker's wake-up is never missed */
	pthread_t *threads;
	unsigned nthreads;
	atomic_uint running;
	struct remote *remote; /* --queue: remote.c; NULL: the local workers run jobs */
};

void server_log(struct sbx_server *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Wake a worker (a job was queued), or every waiter (a job ended). */
void server_job_queued(struct sbx_server *s);
void server_job_ended(struct sbx_server *s);

/* ---- worker.c ---- */
void *worker_main(void *arg);

/* ---- http.c ---- */
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

#endif
