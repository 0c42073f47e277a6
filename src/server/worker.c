/* Worker threads: take the oldest queued job from the store, run it on the
 * server's pool, write its one result.  A job ends "done" when it ran to a
 * result, whatever the strategy's verdict (result.success says), "failed"
 * only when the service could not run it (its request no longer loads: a
 * dataset gone): job.c, which `stratbox worker` shares.  A worker asked to
 * stop finishes its job first, unless the drain runs out of time: then the
 * job is killed and queued again.  DELETE of a running job kills it here
 * (struct worker: the id it runs, its cancel flag and fd).  With --queue,
 * these threads do not run: remote.c hands jobs to workers through Redis
 * instead. */
#include "common/util.h"
#include "server/internal.h"
#include "server/job.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

/* Take the job as this worker's (DELETE and the drain find it here); false
 * when it was cancelled between the claim and now. */
static bool adopt(struct worker *w, const struct sbx_store_job *j)
{
	struct sbx_server *s = w->s;
	uint64_t v;
	while (read(w->cancel_fd, &v, sizeof(v)) > 0) /* nonblocking: drained */
		;
	pthread_mutex_lock(&s->mu);
	memcpy(w->id, j->id, sizeof(w->id));
	w->cancel = 0;
	w->requeue = false;
	pthread_mutex_unlock(&s->mu);
	struct sbx_store_job now;
	cleanup_error sbx_error *err = NULL;
	if (sbx_store_get(s->store, NULL, j->id, &now, &err) == 1) {
		bool running = now.status == SBX_JOB_RUNNING;
		sbx_store_job_clear(&now);
		return running;
	}
	return true;
}

static void run_one(struct worker *w, struct sbx_store_job *j)
{
	struct sbx_server *s = w->s;
	if (!adopt(w, j)) {
		pthread_mutex_lock(&s->mu);
		w->id[0] = '\0';
		pthread_mutex_unlock(&s->mu);
		server_job_ended(s);
		return;
	}
	bool failed = false;
	struct job_cancel cancel = { .flag = &w->cancel, .fd = w->cancel_fd };
	char *text = job_run(s->envs, &s->sources, j->kind, j->request, &cancel, &failed);
	cleanup_error sbx_error *err = NULL;
	pthread_mutex_lock(&s->mu);
	bool requeue = w->requeue;
	w->id[0] = '\0';
	pthread_mutex_unlock(&s->mu);
	enum sbx_job_status st = failed ? SBX_JOB_FAILED : SBX_JOB_DONE;
	int r;
	if (requeue) {
		/* killed by the drain: its run does not count; the next start runs it */
		r = sbx_store_requeue(s->store, j->id, &err);
		if (r == 1) {
			server_log(s, "job %s: still running at the drain's end: queued again",
				   j->id);
			pthread_mutex_lock(&s->mu);
			s->m.requeued++;
			pthread_mutex_unlock(&s->mu);
		}
	} else {
		/* a store that cannot take the result now (a full disk) is asked
		 * again, every second, until it can or the server stops: then the
		 * job stays running in the store, and the next start runs it again */
		for (unsigned tries = 0;; tries++) {
			sbx_error_free(err);
			err = NULL;
			r = sbx_store_finish(
				s->store, j->id, st,
				text ? text : "{\"success\":false,\"error\":\"out of memory\"}", &err);
			if (r >= 0)
				break;
			if (tries == 0)
				server_log(s, "job %s: its result cannot be stored yet (%s): retrying",
					   j->id, err->msg);
			pthread_mutex_lock(&s->mu);
			bool stopping = s->stopping;
			if (!stopping) {
				struct timespec ts;
				clock_gettime(CLOCK_REALTIME, &ts);
				ts.tv_sec += 1;
				pthread_cond_timedwait(&s->work, &s->mu, &ts);
			}
			pthread_mutex_unlock(&s->mu);
			if (stopping)
				break;
		}
		if (r == 1) {
			/* the claim gave its acceptance and start; it ended now */
			struct timespec now;
			clock_gettime(CLOCK_REALTIME, &now);
			server_count_job(s, j->kind, st, j->created_ms, j->started_ms,
					 (int64_t) now.tv_sec * 1000 + now.tv_nsec / 1000000);
		}
	}
	if (r < 0)
		server_log(s, "job %s: its result could not be stored: %s", j->id, err->msg);
	free(text);
	server_job_ended(s);
}

void server_kill_running(struct sbx_server *s, const char *id)
{
	pthread_mutex_lock(&s->mu);
	for (unsigned i = 0; i < s->nworkers; i++) {
		struct worker *w = &s->workers[i];
		if (strcmp(w->id, id) == 0) {
			uint64_t one = 1;
			w->cancel = 1;
			if (write(w->cancel_fd, &one, sizeof(one)) != sizeof(one))
				server_log(s, "job %s: cannot signal its worker", id);
		}
	}
	pthread_mutex_unlock(&s->mu);
}

void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct sbx_server *s = w->s;
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
			/* more jobs queued behind this one: the pool's next slots
			 * skip their warm-up (CPU the running jobs need) */
			size_t counts[SBX_JOB_STATUS_COUNT];
			cleanup_error sbx_error *cerr = NULL;
			if (sbx_store_counts(s->store, counts, &cerr) == 0)
				sbx_pool_prefault(s->pool, counts[SBX_JOB_QUEUED] == 0);
			atomic_fetch_add(&s->running, 1);
			run_one(w, &j);
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
