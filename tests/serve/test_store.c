/* The job store alone (src/store/store.h): what a restart, a retry and a
 * late result do to the jobs table. */
#include "serve.h"
#include "store/store.h"
#include "tests.h"

#include "harness.h"

#include <string.h>
#include <time.h>

static sbx_store *open_store(const struct server *d, unsigned *requeued)
{
	sbx_store *st = NULL;
	sbx_error *err = NULL;
	CHECK(sbx_store_open(d->dir, &st, requeued, &err) == 0, "%s", err ? err->msg : "");
	return st;
}

static void submit(sbx_store *st, const char *tenant, const char *key, struct sbx_store_job *j,
		   bool *existed)
{
	sbx_error *err = NULL;
	bool ex = false;
	CHECK(sbx_store_submit(st, tenant, "execution", "{\"code\":\"print(1)\"}", key, 0, 0, j, &ex,
			       &err) == 0,
	      "%s", err ? err->msg : "");
	if (existed)
		*existed = ex;
}

/* A server killed mid-job left it running: the next open queues it again,
 * and the jobs never taken stay queued, in their order. */
void v_store_requeues_running_jobs_on_open(void)
{
	struct server d;
	state_dir_new(&d);
	unsigned requeued = 99;
	sbx_store *st = open_store(&d, &requeued);
	CHECK_INT_EQ(requeued, 0);
	struct sbx_store_job a, b, c;
	submit(st, "t", NULL, &a, NULL);
	submit(st, "t", NULL, &b, NULL);
	sbx_error *err = NULL;
	CHECK_INT_EQ(sbx_store_claim(st, &c, &err), 1);
	CHECK_STR_EQ(c.id, a.id);
	CHECK_INT_EQ(c.status, SBX_JOB_RUNNING);
	sbx_store_job_clear(&c);
	sbx_store_close(st); /* as a kill would leave it: a running job, no result */

	st = open_store(&d, &requeued);
	CHECK_INT_EQ(requeued, 1);
	CHECK_INT_EQ(sbx_store_get(st, "t", a.id, &c, &err), 1);
	CHECK_INT_EQ(c.status, SBX_JOB_QUEUED);
	CHECK_INT_EQ(c.attempts, 1);
	sbx_store_job_clear(&c);
	CHECK_INT_EQ(sbx_store_claim(st, &c, &err), 1);
	CHECK_STR_EQ(c.id, a.id); /* still first */
	CHECK_INT_EQ(c.attempts, 2);
	sbx_store_job_clear(&c);
	CHECK_INT_EQ(sbx_store_claim(st, &c, &err), 1);
	CHECK_STR_EQ(c.id, b.id);
	sbx_store_job_clear(&c);
	CHECK_INT_EQ(sbx_store_claim(st, &c, &err), 0);
	sbx_store_close(st);
	sbx_store_job_clear(&a);
	sbx_store_job_clear(&b);
	state_dir_remove(&d);
}

/* A result ends the job; a second one (a duplicate run) and one for a job
 * cancelled meanwhile are dropped. */
void v_store_result_written_once(void)
{
	struct server d;
	state_dir_new(&d);
	sbx_store *st = open_store(&d, NULL);
	struct sbx_store_job a, b, c;
	submit(st, "t", NULL, &a, NULL);
	submit(st, "t", NULL, &b, NULL);
	sbx_error *err = NULL;
	CHECK_INT_EQ(sbx_store_claim(st, &c, &err), 1);
	sbx_store_job_clear(&c);
	CHECK_INT_EQ(sbx_store_finish(st, a.id, SBX_JOB_DONE, "{\"n\":1}", &err), 1);
	CHECK_INT_EQ(sbx_store_finish(st, a.id, SBX_JOB_DONE, "{\"n\":2}", &err), 0);
	CHECK_INT_EQ(sbx_store_get(st, "t", a.id, &c, &err), 1);
	CHECK_INT_EQ(c.status, SBX_JOB_DONE);
	CHECK_STR_EQ(c.result, "{\"n\":1}");
	CHECK(c.finished_ms >= c.started_ms && c.started_ms >= c.created_ms);
	sbx_store_job_clear(&c);

	CHECK_INT_EQ(sbx_store_claim(st, &c, &err), 1);
	sbx_store_job_clear(&c);
	enum sbx_job_status was;
	CHECK_INT_EQ(sbx_store_cancel(st, "other", b.id, &was, &err), 0); /* not theirs */
	CHECK_INT_EQ(sbx_store_cancel(st, "t", b.id, &was, &err), 1);
	CHECK_INT_EQ(was, SBX_JOB_RUNNING);
	CHECK_INT_EQ(sbx_store_finish(st, b.id, SBX_JOB_DONE, "{}", &err), 0);
	CHECK_INT_EQ(sbx_store_get(st, "t", b.id, &c, &err), 1);
	CHECK_INT_EQ(c.status, SBX_JOB_CANCELLED);
	CHECK(c.result == NULL);
	sbx_store_job_clear(&c);
	CHECK_INT_EQ(sbx_store_cancel(st, "t", b.id, &was, &err), 2);
	sbx_store_close(st);
	sbx_store_job_clear(&a);
	sbx_store_job_clear(&b);
	state_dir_remove(&d);
}

/* The same key from the same tenant is the same job; from another tenant
 * it is theirs, and a job is found only by its own tenant. */
void v_store_idempotency_key_is_per_tenant(void)
{
	struct server d;
	state_dir_new(&d);
	sbx_store *st = open_store(&d, NULL);
	struct sbx_store_job a, a2, b, c;
	bool existed = true;
	submit(st, "alice", "k1", &a, &existed);
	CHECK(!existed);
	submit(st, "alice", "k1", &a2, &existed);
	CHECK(existed);
	CHECK_STR_EQ(a2.id, a.id);
	submit(st, "bob", "k1", &b, &existed);
	CHECK(!existed);
	CHECK(strcmp(b.id, a.id) != 0);
	sbx_error *err = NULL;
	CHECK_INT_EQ(sbx_store_get(st, "bob", a.id, &c, &err), 0);
	CHECK_INT_EQ(sbx_store_get(st, "alice", a.id, &c, &err), 1);
	CHECK_STR_EQ(c.idempotency_key, "k1");
	sbx_store_job_clear(&c);
	size_t counts[SBX_JOB_STATUS_COUNT];
	CHECK_INT_EQ(sbx_store_counts(st, counts, &err), 0);
	CHECK_INT_EQ(counts[SBX_JOB_QUEUED], 2);
	/* a full queue refuses a new job, but still answers a retry */
	bool ex = false;
	CHECK_INT_EQ(sbx_store_submit(st, "alice", "execution", "{}", NULL, 2, 0, &c, &ex, &err), 1);
	CHECK_INT_EQ(sbx_store_submit(st, "alice", "execution", "{}", "k1", 2, 0, &c, &ex, &err), 0);
	CHECK(ex);
	sbx_store_job_clear(&c);
	sbx_store_close(st);
	sbx_store_job_clear(&a);
	sbx_store_job_clear(&a2);
	sbx_store_job_clear(&b);
	state_dir_remove(&d);
}

void v_store_lists_newest_first_by_cursor(void)
{
	struct server d;
	state_dir_new(&d);
	sbx_store *st = open_store(&d, NULL);
	char ids[5][SBX_JOB_ID_LEN + 1];
	for (int i = 0; i < 5; i++) {
		struct sbx_store_job j;
		submit(st, "t", NULL, &j, NULL);
		memcpy(ids[i], j.id, sizeof(ids[i]));
		sbx_store_job_clear(&j);
	}
	struct sbx_store_job j;
	submit(st, "other", NULL, &j, NULL);
	sbx_store_job_clear(&j);
	sbx_error *err = NULL;
	struct sbx_store_job *v = NULL;
	size_t n = 0;
	CHECK_INT_EQ(sbx_store_list(st, "t", -1, 0, 2, &v, &n, &err), 0);
	CHECK_INT_EQ(n, 2);
	CHECK_STR_EQ(v[0].id, ids[4]);
	CHECK_STR_EQ(v[1].id, ids[3]);
	int64_t cursor = v[1].seq;
	for (size_t i = 0; i < n; i++)
		sbx_store_job_clear(&v[i]);
	free(v);
	CHECK_INT_EQ(sbx_store_list(st, "t", -1, cursor, 10, &v, &n, &err), 0);
	CHECK_INT_EQ(n, 3);
	CHECK_STR_EQ(v[0].id, ids[2]);
	CHECK_STR_EQ(v[2].id, ids[0]);
	for (size_t i = 0; i < n; i++)
		sbx_store_job_clear(&v[i]);
	free(v);
	CHECK_INT_EQ(sbx_store_list(st, "t", SBX_JOB_DONE, 0, 10, &v, &n, &err), 0);
	CHECK_INT_EQ(n, 0);
	free(v);
	sbx_store_close(st);
	state_dir_remove(&d);
}

/* A tenant's quota counts its queued and running jobs, not another's; a
 * job that ends frees a place. */
void v_store_tenant_quota_counts_unended_jobs(void)
{
	struct server d;
	state_dir_new(&d);
	sbx_store *st = open_store(&d, NULL);
	sbx_error *err = NULL;
	struct sbx_store_job a, b, c;
	bool ex = false;
	CHECK_INT_EQ(sbx_store_submit(st, "alice", "execution", "{}", NULL, 0, 2, &a, &ex, &err), 0);
	CHECK_INT_EQ(sbx_store_submit(st, "alice", "execution", "{}", NULL, 0, 2, &b, &ex, &err), 0);
	CHECK_INT_EQ(sbx_store_submit(st, "alice", "execution", "{}", NULL, 0, 2, &c, &ex, &err), 2);
	CHECK_INT_EQ(sbx_store_submit(st, "bob", "execution", "{}", NULL, 0, 2, &c, &ex, &err), 0);
	sbx_store_job_clear(&c);
	/* one running, one queued: still full; ended: a place again */
	struct sbx_store_job r;
	CHECK_INT_EQ(sbx_store_claim(st, &r, &err), 1);
	CHECK_INT_EQ(sbx_store_submit(st, "alice", "execution", "{}", NULL, 0, 2, &c, &ex, &err), 2);
	CHECK_INT_EQ(sbx_store_finish(st, r.id, SBX_JOB_DONE, "{}", &err), 1);
	CHECK_INT_EQ(sbx_store_submit(st, "alice", "execution", "{}", NULL, 0, 2, &c, &ex, &err), 0);
	sbx_store_job_clear(&c);
	sbx_store_job_clear(&r);
	sbx_store_job_clear(&a);
	sbx_store_job_clear(&b);
	sbx_store_close(st);
	state_dir_remove(&d);
}

/* A running job put back is queued again, without a start time; one that
 * is not running is left alone. */
void v_store_requeue_only_running(void)
{
	struct server d;
	state_dir_new(&d);
	sbx_store *st = open_store(&d, NULL);
	sbx_error *err = NULL;
	struct sbx_store_job a, r, g;
	submit(st, "t", NULL, &a, NULL);
	CHECK_INT_EQ(sbx_store_requeue(st, a.id, &err), 0);
	CHECK_INT_EQ(sbx_store_claim(st, &r, &err), 1);
	CHECK_INT_EQ(sbx_store_requeue(st, r.id, &err), 1);
	CHECK_INT_EQ(sbx_store_get(st, "t", a.id, &g, &err), 1);
	CHECK_INT_EQ(g.status, SBX_JOB_QUEUED);
	CHECK_INT_EQ(g.started_ms, 0);
	CHECK_INT_EQ(g.attempts, 1);
	/* its result is refused now: only a running job takes one */
	CHECK_INT_EQ(sbx_store_finish(st, a.id, SBX_JOB_DONE, "{}", &err), 0);
	sbx_store_job_clear(&g);
	sbx_store_job_clear(&r);
	sbx_store_job_clear(&a);
	sbx_store_close(st);
	state_dir_remove(&d);
}

/* Retention deletes ended jobs older than the limit and says which;
 * queued and running jobs stay whatever their age. */
void v_store_expire_deletes_only_ended(void)
{
	struct server d;
	state_dir_new(&d);
	sbx_store *st = open_store(&d, NULL);
	sbx_error *err = NULL;
	struct sbx_store_job q, run, done, g;
	submit(st, "t", NULL, &done, NULL);
	submit(st, "t", NULL, &run, NULL);
	submit(st, "t", NULL, &q, NULL);
	struct sbx_store_job c1, c2;
	CHECK_INT_EQ(sbx_store_claim(st, &c1, &err), 1);
	CHECK_STR_EQ(c1.id, done.id);
	CHECK_INT_EQ(sbx_store_finish(st, c1.id, SBX_JOB_DONE, "{}", &err), 1);
	CHECK_INT_EQ(sbx_store_claim(st, &c2, &err), 1);
	char **ids = NULL;
	size_t n = 0;
	/* nothing ended before an hour ago */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t now = (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	CHECK_INT_EQ(sbx_store_expire(st, now - 3600 * 1000, &ids, &n, &err), 0);
	CHECK_INT_EQ(n, 0);
	free(ids);
	CHECK_INT_EQ(sbx_store_expire(st, now + 1000, &ids, &n, &err), 0);
	CHECK_INT_EQ(n, 1);
	CHECK_STR_EQ(ids[0], done.id);
	free(ids[0]);
	free(ids);
	CHECK_INT_EQ(sbx_store_get(st, "t", done.id, &g, &err), 0);
	CHECK_INT_EQ(sbx_store_get(st, "t", run.id, &g, &err), 1);
	CHECK_INT_EQ(g.status, SBX_JOB_RUNNING);
	sbx_store_job_clear(&g);
	CHECK_INT_EQ(sbx_store_get(st, "t", q.id, &g, &err), 1);
	CHECK_INT_EQ(g.status, SBX_JOB_QUEUED);
	sbx_store_job_clear(&g);
	sbx_store_job_clear(&c1);
	sbx_store_job_clear(&c2);
	sbx_store_job_clear(&q);
	sbx_store_job_clear(&run);
	sbx_store_job_clear(&done);
	sbx_store_close(st);
	state_dir_remove(&d);
}
