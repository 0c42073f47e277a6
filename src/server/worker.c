/* Worker threads: take the oldest queued job from the store, run it on the
 * server's pool, write its one result.  A job ends "done" when it ran to a
 * result, whatever the strategy's verdict (result.success says), "failed"
 * only when the service could not run it (its request no longer loads: a
 * dataset gone): job.c, which `stratbox worker` shares.  A worker asked to
 * stop finishes its job first.  With --queue, these threads do not run:
 * remote.c hands jobs to workers through Redis instead. */
#include "common/util.h"
#include "server/internal.h"
#include "server/job.h"

#include <errno.h>
#include <string.h>

static void run_one(struct sbx_server *s, struct sbx_store_job *j)
{
	bool failed = false;
	char *text = job_run(s->pool, s->policy, &s->sources, j->kind, j->request, NULL, &failed);
	cleanup_error sbx_error *err = NULL;
	int r = sbx_store_finish(s->store, j->id, failed ? SBX_JOB_FAILED : SBX_JOB_DONE,
				 text ? text : "{\"success\":false,\"error\":\"out of memory\"}", &err);
	if (r < 0)
		server_log(s, "job %s: its result could not be stored: %s", j->id, err->msg);
	free(text);
	server_job_ended(s);
}

void *worker_main(void *arg)
{
	struct sbx_server *s = arg;
	for (;;) {
		pthread_mutex_lock(&s->mu);
		bool stop = s->stopping;
		unsigned long gen = s->queued_gen;
		pthread_mutex_unlock(&s->mu);
		if (stop)
			break;
		struct sbx_store_job j;
		cleanup_error sbx_error *err = NULL;
		int r = sbx_store_claim(s->store, &j, &err);
		if (r == 1) {
			atomic_fetch_add(&s->running, 1);
			run_one(s, &j);
			atomic_fetch_sub(&s->running, 1);
			sbx_store_job_clear(&j);
			continue;
		}
		if (r < 0)
			server_log(s, "worker: %s", err->msg);
		/* nothing queued (or the store failed): sleep until a job is
		 * queued, with a timeout so that a missed wake-up or a store
		 * that recovers costs at most a second */
		pthread_mutex_lock(&s->mu);
		if (!s->stopping && s->queued_gen == gen) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			pthread_cond_timedwait(&s->work, &s->mu, &ts);
		}
		pthread_mutex_unlock(&s->mu);
	}
	return NULL;
}
