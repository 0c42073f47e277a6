/* The service's durable job store: every job accepted, its request and its
 * one result, in SQLite (WAL) under a state directory:
 *
 *     DIR/jobs.db      the jobs table (and SQLite's -wal and -shm beside it)
 *     DIR/reports/     HTML reports, one per job that has one
 *
 * A job goes queued -> running -> done | failed, or to cancelled from
 * queued or running.  Its result is written in the same transaction that
 * ends it, and only while it is still running, so a job has at most one
 * result however many workers or restarts touch it.  Opening the store
 * puts back to queued every job a killed server left running: a job
 * accepted is never lost, and is run again from its request.
 *
 * Thread-safe: one connection behind a mutex (every call is short). */
#ifndef STRATBOX_STORE_H
#define STRATBOX_STORE_H

#include "stratbox/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sbx_store sbx_store;

enum sbx_job_status {
	SBX_JOB_QUEUED,
	SBX_JOB_RUNNING,
	SBX_JOB_DONE,	   /* ran to a result, whatever the strategy's verdict */
	SBX_JOB_FAILED,	   /* the service could not run it */
	SBX_JOB_CANCELLED,
};
#define SBX_JOB_STATUS_COUNT 5

/* "queued", "running", ...; and back (-1 when unknown). */
const char *sbx_job_status_name(enum sbx_job_status s);
int sbx_job_status_parse(const char *s);

#define SBX_JOB_ID_LEN 26 /* "j" and 25 characters of base32 randomness */
/* Whether id[0..len) is one (what arrives from Redis is checked). */
bool sbx_job_id_valid(const char *id, size_t len);

struct sbx_store_job {
	int64_t seq;			/* order of acceptance; the list's cursor */
	char id[SBX_JOB_ID_LEN + 1];
	char *tenant, *kind;
	enum sbx_job_status status;
	int64_t created_ms, started_ms, finished_ms; /* Unix ms; 0: not yet */
	unsigned attempts;		/* how many times a worker took it */
	char *request;			/* JSON text as accepted */
	char *result;			/* JSON text, or NULL */
	char *idempotency_key;		/* or NULL */
};
void sbx_store_job_clear(struct sbx_store_job *j);

/* Open (creating) DIR, DIR/reports and DIR/jobs.db; *requeued: how many
 * jobs a previous server left running and are queued again. */
int sbx_store_open(const char *dir, sbx_store **out, unsigned *requeued, sbx_error **err);
void sbx_store_close(sbx_store *s);
const char *sbx_store_reports_dir(const sbx_store *s);

/* Accept a job.  With an idempotency key the tenant has used before, the
 * job it created is returned instead and *existed is set (a client that
 * retries gets the same job).  max_queued > 0: refuse a new job when that
 * many are already queued; tenant_max > 0: when the tenant has that many
 * not yet ended (queued or running).  0 accepted (or found), 1 the queue
 * is full, 2 the tenant's quota is reached, -1 error. */
int sbx_store_submit(sbx_store *s, const char *tenant, const char *kind, const char *request,
		     const char *idempotency_key, size_t max_queued, size_t tenant_max,
		     struct sbx_store_job *out, bool *existed, sbx_error **err);

/* A job by id, seen by tenant (NULL: any).  1 found, 0 not (another
 * tenant's job is not found), -1 error. */
int sbx_store_get(sbx_store *s, const char *tenant, const char *id, struct sbx_store_job *out,
		  sbx_error **err);

/* The oldest queued job, now running (attempts counted).  1 taken, 0 none. */
int sbx_store_claim(sbx_store *s, struct sbx_store_job *out, sbx_error **err);

/* A job a remote worker has started (the Redis queue, src/server/remote.c):
 * queued -> running, or still running when another worker took it over;
 * attempts counted either way.  1 changed, 0 when the job has ended (or
 * is unknown). */
int sbx_store_start(sbx_store *s, const char *id, sbx_error **err);

/* Jobs not yet ended (queued or running), oldest first, with seq >
 * after_seq: what the server publishes to the Redis queue again.  *jobs
 * an array of *n (free each, then it). */
int sbx_store_unfinished(sbx_store *s, int64_t after_seq, size_t limit,
			 struct sbx_store_job **jobs, size_t *n, sbx_error **err);

/* End a running job with its result.  1 recorded, 0 when the job was no
 * longer running (cancelled meanwhile): the result is dropped. */
int sbx_store_finish(sbx_store *s, const char *id, enum sbx_job_status status,
		     const char *result, sbx_error **err);

/* Cancel a queued or running job of tenant's.  1 cancelled (*was its
 * status before), 0 not found, 2 already ended (nothing changed). */
int sbx_store_cancel(sbx_store *s, const char *tenant, const char *id, enum sbx_job_status *was,
		     sbx_error **err);

/* A tenant's jobs, newest first: status < 0 any; before_seq > 0: only
 * older than that (the cursor).  *jobs an array of *n (free each, then it). */
int sbx_store_list(sbx_store *s, const char *tenant, int status, int64_t before_seq, size_t limit,
		   struct sbx_store_job **jobs, size_t *n, sbx_error **err);

/* Put a running job back in the queue (a stopping server gave up on it):
 * 1 done, 0 it was not running. */
int sbx_store_requeue(sbx_store *s, const char *id, sbx_error **err);

/* Delete the jobs that ended before before_ms (Unix ms), with their
 * results; queued and running jobs are never touched.  *ids: the deleted
 * ids (free each, then the array), for their reports. */
int sbx_store_expire(sbx_store *s, int64_t before_ms, char ***ids, size_t *n, sbx_error **err);

/* Jobs in each status, for health and limits. */
int sbx_store_counts(sbx_store *s, size_t counts[SBX_JOB_STATUS_COUNT], sbx_error **err);

#endif
