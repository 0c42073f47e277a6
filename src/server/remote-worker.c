/* `stratbox worker` (include/stratbox/worker.h): jobs from the Redis queue
 * run on this machine's warm pool, results sent back to the server.
 *
 * One thread per job at once, each with its own connection (hiredis is
 * synchronous) and its own consumer name in the group RQ_GROUP_WORKERS,
 * plus a watcher thread with a connection of its own.  A job thread first
 * takes over a job whose worker has been silent for the visibility
 * timeout (XAUTOCLAIM), else waits for a new one (XREADGROUP); it skips a
 * job the server has ended (RQ_ENDED: cancelled, or finished by another
 * worker), runs it with job_run() as the server's own workers do, then
 * sends the result and acknowledges the job in one transaction.  The
 * watcher, every 100 ms, stops a running job the server has cancelled,
 * and keeps claiming each running job (XCLAIM) so that a job longer than
 * the visibility timeout is not taken from a worker that is alive.
 *
 * Nothing here is durable: a worker killed mid-job leaves the job pending
 * in Redis for another; the server records one result however many times
 * a job ran. */
#include "stratbox/worker.h"
#include "common/util.h"
#include "queue/redis.h"
#include "server/envs.h"
#include "server/job.h"
#include "stratbox/sandbox.h"
#include "store/store.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define CANCEL_POLL_MS 100
#define RESULT_TRIES_STOPPING 10

struct sbx_worker;

struct wslot {
	struct sbx_worker *w;
	char consumer[160];
	pthread_t thread;
	int efd;	     /* eventfd: written to stop an execution */
	volatile int cancel; /* set to stop a backtest */
	/* under w->mu */
	bool busy;
	char job[SBX_JOB_ID_LEN + 1];
	char entry[64]; /* its stream entry */
};

struct sbx_worker {
	struct sbx_worker_options opt;
	struct rq_url url;
	char *where;
	sbx_pool *pool;
	sbx_check_policy *policy;
	struct env_pools *envs; /* the host's pool (pool) and the others jobs name */
	char *manifest;
	bt_request_sources sources;
	pthread_mutex_t mu;
	atomic_bool stopping;
	atomic_bool jobs_done; /* the job threads have ended: the watcher may too */
	struct wslot *slots;
	unsigned nslots, nthreads;
	pthread_t watcher;
	bool watcher_started;
};

static void wlog(struct sbx_worker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void wlog(struct sbx_worker *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_line(w->opt.log_fd, "stratbox worker", fmt, ap);
	va_end(ap);
}

static bool stopped(void *arg)
{
	struct sbx_worker *w = arg;
	return atomic_load(&w->stopping);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

/* ---- one job ---- */

static void ack_cmds(struct rq_cmd *ack, struct rq_cmd *del, const char *eid)
{
	rq_arg(ack, "XACK");
	rq_arg(ack, RQ_JOBS);
	rq_arg(ack, RQ_GROUP_WORKERS);
	rq_arg(ack, eid);
	rq_arg(del, "XDEL");
	rq_arg(del, RQ_JOBS);
	rq_arg(del, eid);
}

/* Drop a job entry this worker will not run (ended, or not a job: id
 * NULL).  An ended job's marker goes too: the server may have published
 * the job again just as it recorded its end, and the job is no longer
 * the server's to publish. */
static void discard(struct rq_conn *c, const char *eid, const char *id)
{
	struct rq_cmd cmds[3] = { 0 };
	ack_cmds(&cmds[0], &cmds[1], eid);
	char key[sizeof(RQ_PUBLISHED) + SBX_JOB_ID_LEN];
	if (id) {
		snprintf(key, sizeof(key), RQ_PUBLISHED "%s", id);
		rq_arg(&cmds[2], "DEL");
		rq_arg(&cmds[2], key);
	}
	cleanup_error sbx_error *err = NULL;
	rq_transaction(c, cmds, id ? 3 : 2, &err); /* failed: the entry comes back, skipped again */
}

/* The server's word on a job: "cancelled", "done", ... (to be freed), or
 * NULL when it has not ended it (or Redis did not answer: run it). */
static char *ended_on_server(struct rq_conn *c, const char *id)
{
	char key[sizeof(RQ_ENDED) + SBX_JOB_ID_LEN];
	snprintf(key, sizeof(key), RQ_ENDED "%s", id);
	struct rq_cmd cmd = { 0 };
	rq_arg(&cmd, "GET");
	rq_arg(&cmd, key);
	cleanup_error sbx_error *err = NULL;
	struct redisReply *r = rq_run(c, &cmd, &err);
	char *v = r && r->type == REDIS_REPLY_STRING ? strndup(r->str, r->len) : NULL;
	rq_reply_free(r);
	return v;
}

static void set_busy(struct wslot *sl, const char *id, const char *eid)
{
	uint64_t drain;
	while (read(sl->efd, &drain, sizeof(drain)) > 0) {
	}
	pthread_mutex_lock(&sl->w->mu);
	sl->busy = id != NULL;
	sl->cancel = 0;
	snprintf(sl->job, sizeof(sl->job), "%s", id ? id : "");
	snprintf(sl->entry, sizeof(sl->entry), "%s", eid ? eid : "");
	pthread_mutex_unlock(&sl->w->mu);
}

/* Send the result and acknowledge the job, in one transaction; retried
 * with backoff while Redis is down (for a while only once stopping: the
 * job then stays pending and runs again elsewhere). */
static bool send_result(struct wslot *sl, struct rq_conn *c, const char *eid, const char *id,
			bool failed, const char *text)
{
	struct sbx_worker *w = sl->w;
	for (unsigned tries = 0;; tries++) {
		struct rq_cmd cmds[3] = { 0 };
		rq_arg(&cmds[0], "XADD");
		rq_arg(&cmds[0], RQ_RESULTS);
		rq_arg(&cmds[0], "*");
		rq_arg(&cmds[0], "type");
		rq_arg(&cmds[0], "result");
		rq_arg(&cmds[0], "id");
		rq_arg(&cmds[0], id);
		rq_arg(&cmds[0], "status");
		rq_arg(&cmds[0], failed ? "failed" : "done");
		rq_arg(&cmds[0], "result");
		rq_arg(&cmds[0], text);
		rq_arg(&cmds[0], "worker");
		rq_arg(&cmds[0], sl->consumer);
		ack_cmds(&cmds[1], &cmds[2], eid);
		cleanup_error sbx_error *err = NULL;
		if (rq_transaction(c, cmds, 3, &err) == 0)
			return true;
		if (tries == 0)
			wlog(w, "job %s: its result could not be sent: %s; retrying", id, err->msg);
		if (atomic_load(&w->stopping) && tries >= RESULT_TRIES_STOPPING) {
			wlog(w, "job %s: stopping without sending its result: it runs again "
				"elsewhere after the visibility timeout",
			     id);
			return false;
		}
		rq_backoff(c, NULL, NULL);
	}
}

static void run_entry(struct wslot *sl, struct rq_conn *c, const struct redisReply *e)
{
	struct sbx_worker *w = sl->w;
	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
	    e->element[0]->type != REDIS_REPLY_STRING)
		return;
	const char *eid = e->element[0]->str;
	const struct redisReply *fields = e->element[1];
	size_t idlen = 0;
	const char *idf = rq_field(fields, "id", &idlen);
	const char *kind = rq_field(fields, "kind", NULL);
	const char *request = rq_field(fields, "request", NULL);
	if (!sbx_job_id_valid(idf, idlen) || kind == NULL || request == NULL) {
		wlog(w, "queue entry %s is not a job: dropped", eid);
		discard(c, eid, NULL);
		return;
	}
	char id[SBX_JOB_ID_LEN + 1];
	memcpy(id, idf, SBX_JOB_ID_LEN);
	id[SBX_JOB_ID_LEN] = '\0';
	cleanup_free char *ended = ended_on_server(c, id);
	if (ended) {
		wlog(w, "job %s: %s on the server: skipped", id, ended);
		discard(c, eid, id);
		return;
	}
	set_busy(sl, id, eid);
	struct rq_cmd started = { 0 };
	rq_arg(&started, "XADD");
	rq_arg(&started, RQ_RESULTS);
	rq_arg(&started, "*");
	rq_arg(&started, "type");
	rq_arg(&started, "started");
	rq_arg(&started, "id");
	rq_arg(&started, id);
	rq_arg(&started, "worker");
	rq_arg(&started, sl->consumer);
	cleanup_error sbx_error *err = NULL;
	rq_reply_free(rq_run(c, &started, &err)); /* only the status shown: not needed to go on */
	wlog(w, "job %s: running (%s, %s)", id, kind, sl->consumer);
	bool failed = false;
	struct job_cancel cancel = { .flag = &sl->cancel, .fd = sl->efd };
	char *text = job_run(w->envs, &w->sources, kind, request, &cancel, &failed);
	bool cancelled = sl->cancel != 0;
	set_busy(sl, NULL, NULL);
	if (send_result(sl, c, eid, id,
			failed, text ? text : "{\"success\":false,\"error\":\"out of memory\"}"))
		wlog(w, "job %s: %s", id,
		     cancelled ? "stopped (cancelled on the server)" : failed ? "failed" : "done");
	free(text);
}

/* ---- the job threads ---- */

/* The first entry of an XAUTOCLAIM or XREADGROUP reply, or NULL; *cursor
 * advanced for XAUTOCLAIM. */
static const struct redisReply *first_claimed(const struct redisReply *r, char *cursor,
					      size_t size)
{
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 2)
		return NULL;
	if (r->element[0]->type == REDIS_REPLY_STRING)
		snprintf(cursor, size, "%s", r->element[0]->str);
	const struct redisReply *entries = r->element[1];
	for (size_t i = 0; entries->type == REDIS_REPLY_ARRAY && i < entries->elements; i++) {
		const struct redisReply *e = entries->element[i];
		/* a deleted entry (Redis 6.2) has no fields */
		if (e->type == REDIS_REPLY_ARRAY && e->elements == 2 &&
		    e->element[1]->type == REDIS_REPLY_ARRAY)
			return e;
	}
	return NULL;
}

static const struct redisReply *first_read(const struct redisReply *r)
{
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 1 ||
	    r->element[0]->type != REDIS_REPLY_ARRAY || r->element[0]->elements != 2)
		return NULL;
	const struct redisReply *entries = r->element[0]->element[1];
	return entries->type == REDIS_REPLY_ARRAY && entries->elements > 0 ? entries->element[0]
									    : NULL;
}

static void *job_thread(void *arg)
{
	struct wslot *sl = arg;
	struct sbx_worker *w = sl->w;
	struct rq_conn *c = rq_conn_new(&w->url, 5000);
	if (c == NULL) {
		wlog(w, "%s: out of memory", sl->consumer);
		return NULL;
	}
	char idle[16], cursor[64] = "0-0";
	snprintf(idle, sizeof(idle), "%u", w->opt.visibility_ms);
	bool group = false, down = false;
	while (!atomic_load(&w->stopping)) {
		cleanup_error sbx_error *err = NULL;
		if (!group || !rq_conn_up(c)) {
			if (rq_ensure_group(c, RQ_JOBS, RQ_GROUP_WORKERS, &err) < 0) {
				if (!down)
					wlog(w, "%s; retrying", err->msg);
				down = true;
				rq_backoff(c, stopped, w);
				continue;
			}
			if (down)
				wlog(w, "Redis at %s: connected again", w->where);
			down = false;
			group = true;
		}
		/* a job whose worker went silent first */
		struct rq_cmd cmd = { 0 };
		rq_arg(&cmd, "XAUTOCLAIM");
		rq_arg(&cmd, RQ_JOBS);
		rq_arg(&cmd, RQ_GROUP_WORKERS);
		rq_arg(&cmd, sl->consumer);
		rq_arg(&cmd, idle);
		rq_arg(&cmd, cursor);
		rq_arg(&cmd, "COUNT");
		rq_arg(&cmd, "1");
		struct redisReply *r = rq_run(c, &cmd, &err);
		const struct redisReply *e = r ? first_claimed(r, cursor, sizeof(cursor)) : NULL;
		if (r && e) {
			wlog(w, "taking over a job a silent worker held (entry %s)",
			     e->element[0]->str);
			/* if that worker was on this machine, killed, its job
			 * cgroups are stale now: remove them (a pool start
			 * would, and this worker's has happened) */
			cleanup_error sbx_error *cerr = NULL;
			if (sbx_cleanup_stale(w->opt.cgroup_parent, &cerr) < 0)
				wlog(w, "stale job cgroups: %s", cerr->msg);
		} else if (r && r->type != REDIS_REPLY_ERROR) {
			rq_reply_free(r);
			struct rq_cmd rd = { 0 };
			rq_arg(&rd, "XREADGROUP");
			rq_arg(&rd, "GROUP");
			rq_arg(&rd, RQ_GROUP_WORKERS);
			rq_arg(&rd, sl->consumer);
			rq_arg(&rd, "COUNT");
			rq_arg(&rd, "1");
			rq_arg(&rd, "BLOCK");
			rq_arg(&rd, "1000");
			rq_arg(&rd, "STREAMS");
			rq_arg(&rd, RQ_JOBS);
			rq_arg(&rd, ">");
			r = rq_run(c, &rd, &err);
			e = r ? first_read(r) : NULL;
		}
		if (r == NULL) {
			if (!down)
				wlog(w, "%s; retrying", err->msg);
			down = true;
			rq_backoff(c, stopped, w);
			continue;
		}
		if (r->type == REDIS_REPLY_ERROR) {
			/* NOGROUP: Redis restarted empty; anything else: say it */
			if (!rq_reply_is_error(r, "NOGROUP"))
				wlog(w, "Redis: %s", r->str);
			group = false;
			rq_reply_free(r);
			rq_backoff(c, stopped, w);
			continue;
		}
		if (e)
			run_entry(sl, c, e);
		rq_reply_free(r);
	}
	rq_conn_free(c);
	return NULL;
}

/* ---- the watcher ---- */

struct running {
	struct wslot *sl;
	char job[SBX_JOB_ID_LEN + 1];
	char entry[64];
};

static void watch_once(struct sbx_worker *w, struct rq_conn *c, bool claim)
{
	struct running *run = calloc(w->nslots, sizeof(*run));
	struct rq_cmd *cmds = calloc(2 * (size_t) w->nslots, sizeof(*cmds));
	struct redisReply **replies = calloc(2 * (size_t) w->nslots, sizeof(*replies));
	char (*keys)[sizeof(RQ_ENDED) + SBX_JOB_ID_LEN] = calloc(w->nslots, sizeof(*keys));
	size_t n = 0, nc = 0;
	cleanup_error sbx_error *err = NULL;
	if (run == NULL || cmds == NULL || replies == NULL || keys == NULL)
		goto out;
	pthread_mutex_lock(&w->mu);
	for (unsigned i = 0; i < w->nslots; i++)
		if (w->slots[i].busy) {
			run[n].sl = &w->slots[i];
			memcpy(run[n].job, w->slots[i].job, sizeof(run[n].job));
			memcpy(run[n].entry, w->slots[i].entry, sizeof(run[n].entry));
			n++;
		}
	pthread_mutex_unlock(&w->mu);
	if (n == 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		snprintf(keys[i], sizeof(keys[i]), RQ_ENDED "%s", run[i].job);
		rq_arg(&cmds[nc], "EXISTS");
		rq_arg(&cmds[nc++], keys[i]);
	}
	/* still alive: the visibility timeout starts again */
	for (size_t i = 0; claim && i < n; i++) {
		rq_arg(&cmds[nc], "XCLAIM");
		rq_arg(&cmds[nc], RQ_JOBS);
		rq_arg(&cmds[nc], RQ_GROUP_WORKERS);
		rq_arg(&cmds[nc], run[i].sl->consumer);
		rq_arg(&cmds[nc], "0");
		rq_arg(&cmds[nc], run[i].entry);
		rq_arg(&cmds[nc++], "JUSTID");
	}
	if (rq_pipeline(c, cmds, nc, replies, &err) < 0) {
		nc = 0;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (replies[i]->type != REDIS_REPLY_INTEGER || replies[i]->integer != 1)
			continue;
		pthread_mutex_lock(&w->mu);
		struct wslot *sl = run[i].sl;
		bool same = sl->busy && strcmp(sl->job, run[i].job) == 0 && !sl->cancel;
		if (same) {
			sl->cancel = 1;
			uint64_t one = 1;
			if (write(sl->efd, &one, sizeof(one)) < 0) {
				/* the flag alone then: a backtest still stops */
			}
		}
		pthread_mutex_unlock(&w->mu);
		if (same)
			wlog(w, "job %s: cancelled on the server: stopping it", run[i].job);
	}
out:
	for (size_t i = 0; replies && i < nc; i++)
		rq_reply_free(replies[i]);
	free(run);
	free(cmds);
	free(replies);
	free(keys);
}

static void *watcher_thread(void *arg)
{
	struct sbx_worker *w = arg;
	struct rq_conn *c = rq_conn_new(&w->url, 2000);
	if (c == NULL)
		return NULL;
	uint64_t last_claim = 0, every = w->opt.visibility_ms / 3;
	/* on until the last job has ended: a job finishing after SIGTERM
	 * is still claimed (and still cancellable) */
	while (!atomic_load(&w->jobs_done)) {
		struct timespec ts = { .tv_sec = 0, .tv_nsec = CANCEL_POLL_MS * 1000000L };
		nanosleep(&ts, NULL);
		uint64_t now = mono_ms();
		bool claim = now - last_claim >= every;
		watch_once(w, c, claim);
		if (claim)
			last_claim = now;
	}
	rq_conn_free(c);
	return NULL;
}

/* ---- start and stop ---- */

/* A consumer with nothing pending is forgotten by the group on a clean
 * stop (one with a job pending stays, for XAUTOCLAIM to find). */
static void forget_consumers(struct sbx_worker *w)
{
	struct rq_conn *c = rq_conn_new(&w->url, 2000);
	for (unsigned i = 0; c && i < w->nthreads; i++) {
		struct rq_cmd cmd = { 0 };
		rq_arg(&cmd, "XPENDING");
		rq_arg(&cmd, RQ_JOBS);
		rq_arg(&cmd, RQ_GROUP_WORKERS);
		rq_arg(&cmd, "-");
		rq_arg(&cmd, "+");
		rq_arg(&cmd, "1");
		rq_arg(&cmd, w->slots[i].consumer);
		cleanup_error sbx_error *err = NULL;
		struct redisReply *r = rq_run(c, &cmd, &err);
		bool none = r && r->type == REDIS_REPLY_ARRAY && r->elements == 0;
		rq_reply_free(r);
		if (!none)
			continue;
		struct rq_cmd del = { 0 };
		rq_arg(&del, "XGROUP");
		rq_arg(&del, "DELCONSUMER");
		rq_arg(&del, RQ_JOBS);
		rq_arg(&del, RQ_GROUP_WORKERS);
		rq_arg(&del, w->slots[i].consumer);
		rq_reply_free(rq_run(c, &del, &err));
	}
	rq_conn_free(c);
}

static void worker_free(struct sbx_worker *w)
{
	if (w == NULL)
		return;
	atomic_store(&w->stopping, true);
	for (unsigned i = 0; i < w->nthreads; i++)
		pthread_join(w->slots[i].thread, NULL);
	atomic_store(&w->jobs_done, true);
	if (w->watcher_started)
		pthread_join(w->watcher, NULL);
	if (w->nthreads)
		forget_consumers(w);
	for (unsigned i = 0; w->slots && i < w->nslots; i++)
		if (w->slots[i].efd >= 0)
			close(w->slots[i].efd);
	env_pools_free(w->envs); /* the pools it started; the host's is ours */
	if (w->pool)
		sbx_pool_stop(w->pool);
	sbx_check_policy_free(w->policy);
	rq_url_clear(&w->url);
	free(w->where);
	free(w->manifest);
	free(w->slots);
	pthread_mutex_destroy(&w->mu);
	free(w);
}

void sbx_worker_stop(struct sbx_worker *w)
{
	if (w == NULL)
		return;
	unsigned busy = 0;
	pthread_mutex_lock(&w->mu);
	for (unsigned i = 0; i < w->nslots; i++)
		busy += w->slots[i].busy;
	pthread_mutex_unlock(&w->mu);
	wlog(w, "stopping: no new jobs; %u running job(s) finish first", busy);
	worker_free(w);
}

static int start_threads(struct sbx_worker *w, sbx_error **err)
{
	char host[64] = "worker";
	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	for (unsigned i = 0; i < w->nslots; i++) {
		struct wslot *sl = &w->slots[i];
		snprintf(sl->consumer, sizeof(sl->consumer), "%s-%d-%u", host, (int) getpid(), i);
		int e = pthread_create(&sl->thread, NULL, job_thread, sl);
		if (e != 0)
			return sbx_error_set(err, e, "worker thread");
		w->nthreads++;
	}
	int e = pthread_create(&w->watcher, NULL, watcher_thread, w);
	if (e != 0)
		return sbx_error_set(err, e, "worker thread");
	w->watcher_started = true;
	return 0;
}

int sbx_worker_start(const struct sbx_worker_options *opt, struct sbx_worker **out,
		     sbx_error **err)
{
	*out = NULL;
	struct sbx_worker *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return sbx_error_set(err, ENOMEM, "worker");
	pthread_mutex_init(&w->mu, NULL);
	w->opt = *opt;
	if (w->opt.workers == 0)
		w->opt.workers = 2;
	if (w->opt.visibility_ms == 0)
		w->opt.visibility_ms = 30000;
	if (rq_url_parse(opt->queue_url, &w->url, err) < 0) {
		worker_free(w);
		return -1;
	}
	w->where = rq_url_display(&w->url);
	w->nslots = w->opt.workers;
	w->slots = calloc(w->nslots, sizeof(*w->slots));
	for (unsigned i = 0; w->slots && i < w->nslots; i++)
		w->slots[i].efd = -1;
	w->manifest = bt_manifest_default_path();
	w->sources = (bt_request_sources){ .manifest = w->manifest, .data_dir = opt->data_dir };
	w->policy = opt->policy_path ? sbx_check_policy_load(opt->policy_path, err)
				     : sbx_check_policy_default();
	if (w->where == NULL || w->slots == NULL || w->manifest == NULL || w->policy == NULL) {
		if (w->policy != NULL || opt->policy_path == NULL)
			sbx_error_set(err, ENOMEM, "worker");
		worker_free(w);
		return -1;
	}
	for (unsigned i = 0; i < w->nslots; i++) {
		w->slots[i].w = w;
		w->slots[i].efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (w->slots[i].efd < 0) {
			sbx_error_set(err, errno, "eventfd");
			worker_free(w);
			return -1;
		}
	}
	if (bt_backtest_policy(w->policy, err) < 0) {
		worker_free(w);
		return -1;
	}
	if (sbx_pool_start(&(struct sbx_pool_options){ .warm = w->nslots,
						       .cgroup_parent = opt->cgroup_parent,
						       .policy = w->policy,
						       .prefault = true,
						       .log_fd = opt->log_fd },
			   &w->pool, err) < 0) {
		sbx_error_wrap(err, "cannot start the Python runtime");
		worker_free(w);
		return -1;
	}
	if (env_pools_new(&(struct env_pools_options){ .state_dir = opt->env_dir,
						      .policy_path = opt->policy_path,
						      .cgroup_parent = opt->cgroup_parent,
						      .warm = w->nslots < 2 ? w->nslots : 2,
						      .prefault = true,
						      .log_fd = opt->log_fd,
						      .host_pool = w->pool,
						      .host_policy = w->policy },
			  &w->envs, err) < 0 ||
	    start_threads(w, err) < 0) {
		worker_free(w);
		return -1;
	}
	wlog(w, "ready: %u job(s) at once from the queue at %s, visibility timeout %u ms",
	     w->nslots, w->where, w->opt.visibility_ms);
	*out = w;
	return 0;
}
