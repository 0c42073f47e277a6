/* The server's side of the Redis queue (`stratbox serve --queue URL`,
 * src/queue/redis.h has the keys, docs/deploy.md the picture).
 *
 * The store stays the one record of every job; Redis is a carrier that may
 * be down or lose everything.  Two threads, each with its own connection:
 *
 *   publisher  puts every job the store says is unfinished (queued or
 *              running) into the jobs stream unless Redis still holds it
 *              (its RQ_PUBLISHED key): new jobs at once, and every job
 *              again on each reconnect and every visibility timeout, so a
 *              Redis that restarted empty, or lost the last writes, gets
 *              them back.  A duplicate costs a second run at worst: the
 *              store records one result.  It also publishes cancellations.
 *   results    reads the workers' events: "started" marks a job running,
 *              "result" ends it with sbx_store_finish (which records a
 *              result only for a job still running: idempotent), then
 *              acknowledges.  An event read but not recorded (the server
 *              killed) is read again from the pending list on restart.
 *
 * Only the HTTP side writes jobs into the store; these threads never hold
 * s->mu across a Redis command. */
#include "common/util.h"
#include "queue/redis.h"
#include "server/internal.h"
#include "server/remote.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <string.h>
#include <time.h>

#define PAGE 256
#define CANCELS_MAX 4096

struct remote {
	struct rq_url url;
	char *where; /* the URL without credentials, for logs */
	unsigned visibility_ms;
	/* cancellations not yet published (under s->mu) */
	char (*cancels)[SBX_JOB_ID_LEN + 1];
	size_t ncancels;
};

void remote_free(struct remote *r)
{
	if (r == NULL)
		return;
	rq_url_clear(&r->url);
	free(r->where);
	free(r->cancels);
	free(r);
}

const char *remote_where(const struct remote *r)
{
	return r->where;
}

static bool stopped(void *arg)
{
	struct sbx_server *s = arg;
	pthread_mutex_lock(&s->mu);
	bool stop = s->stopping;
	pthread_mutex_unlock(&s->mu);
	return stop;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

void remote_job_cancelled(struct sbx_server *s, const char *id)
{
	if (s->remote == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	struct remote *r = s->remote;
	if (r->ncancels < CANCELS_MAX) {
		snprintf(r->cancels[r->ncancels], SBX_JOB_ID_LEN + 1, "%s", id);
		r->ncancels++;
	}
	pthread_cond_broadcast(&s->work);
	pthread_mutex_unlock(&s->mu);
}

/* ---- the publisher ---- */

struct publisher {
	struct sbx_server *s;
	struct remote *r;
	struct rq_conn *c;
	int64_t high;	    /* the newest job this process has published */
	bool first;	    /* nothing published yet since the start */
	bool down_logged;   /* "Redis is down" said once per outage */
};

static int publish_job(struct publisher *p, const struct sbx_store_job *j, sbx_error **err)
{
	char key[sizeof(RQ_PUBLISHED) + SBX_JOB_ID_LEN];
	snprintf(key, sizeof(key), RQ_PUBLISHED "%s", j->id);
	struct rq_cmd cmds[2] = { 0 };
	rq_arg(&cmds[0], "XADD");
	rq_arg(&cmds[0], RQ_JOBS);
	rq_arg(&cmds[0], "*");
	rq_arg(&cmds[0], "id");
	rq_arg(&cmds[0], j->id);
	rq_arg(&cmds[0], "kind");
	rq_arg(&cmds[0], j->kind);
	rq_arg(&cmds[0], "request");
	rq_arg(&cmds[0], j->request);
	rq_arg(&cmds[1], "SET");
	rq_arg(&cmds[1], key);
	rq_arg(&cmds[1], "1");
	return rq_transaction(p->c, cmds, 2, err);
}

/* Publish the unfinished jobs after seq `after` that Redis does not hold.
 * 0, or -1 when Redis failed (the rest wait for the next pass). */
static int publish_pass(struct publisher *p, int64_t after, sbx_error **err)
{
	unsigned fresh = 0, again = 0;
	int rc = 0;
	for (;;) {
		struct sbx_store_job *jobs = NULL;
		size_t n = 0;
		if (sbx_store_unfinished(p->s->store, after, PAGE, &jobs, &n, err) < 0) {
			rc = -1;
			break;
		}
		struct rq_cmd *cmds = calloc(n ? n : 1, sizeof(*cmds));
		struct redisReply **replies = calloc(n ? n : 1, sizeof(*replies));
		char (*keys)[sizeof(RQ_PUBLISHED) + SBX_JOB_ID_LEN] = calloc(n ? n : 1, sizeof(*keys));
		if (cmds == NULL || replies == NULL || keys == NULL) {
			rc = sbx_error_set(err, ENOMEM, "publishing jobs");
		} else {
			for (size_t i = 0; i < n; i++) {
				snprintf(keys[i], sizeof(keys[i]), RQ_PUBLISHED "%s", jobs[i].id);
				rq_arg(&cmds[i], "EXISTS");
				rq_arg(&cmds[i], keys[i]);
			}
			if (n > 0 && rq_pipeline(p->c, cmds, n, replies, err) < 0)
				rc = -1;
		}
		for (size_t i = 0; rc == 0 && i < n; i++) {
			if (replies[i]->type == REDIS_REPLY_INTEGER && replies[i]->integer == 1)
				continue;
			if (publish_job(p, &jobs[i], err) < 0) {
				rc = -1;
				break;
			}
			if (jobs[i].seq <= p->high && !p->first)
				again++;
			else
				fresh++;
		}
		for (size_t i = 0; i < n; i++) {
			if (rc == 0 && jobs[i].seq > p->high)
				p->high = jobs[i].seq;
			if (replies && replies[i])
				rq_reply_free(replies[i]);
		}
		int64_t last = n ? jobs[n - 1].seq : after;
		for (size_t i = 0; i < n; i++)
			sbx_store_job_clear(&jobs[i]);
		free(jobs);
		free(cmds);
		free(replies);
		free(keys);
		if (rc < 0 || n < PAGE)
			break;
		after = last;
	}
	if (again)
		server_log(p->s, "Redis no longer held %u unfinished job(s): published them again",
			   again);
	if (p->first && fresh)
		server_log(p->s, "%u unfinished job(s) from the store published to the queue", fresh);
	if (rc == 0)
		p->first = false;
	return rc;
}

/* Publish the cancellations queued by remote_job_cancelled. */
static int publish_cancels(struct publisher *p, sbx_error **err)
{
	for (;;) {
		char id[SBX_JOB_ID_LEN + 1];
		pthread_mutex_lock(&p->s->mu);
		bool any = p->r->ncancels > 0;
		if (any)
			memcpy(id, p->r->cancels[p->r->ncancels - 1], sizeof(id));
		pthread_mutex_unlock(&p->s->mu);
		if (!any)
			return 0;
		char ended[sizeof(RQ_ENDED) + SBX_JOB_ID_LEN], pub[sizeof(RQ_PUBLISHED) + SBX_JOB_ID_LEN],
			ttl[16];
		snprintf(ended, sizeof(ended), RQ_ENDED "%s", id);
		snprintf(pub, sizeof(pub), RQ_PUBLISHED "%s", id);
		snprintf(ttl, sizeof(ttl), "%d", RQ_ENDED_TTL_S);
		struct rq_cmd cmds[2] = { 0 };
		rq_arg(&cmds[0], "SET");
		rq_arg(&cmds[0], ended);
		rq_arg(&cmds[0], "cancelled");
		rq_arg(&cmds[0], "EX");
		rq_arg(&cmds[0], ttl);
		rq_arg(&cmds[1], "DEL");
		rq_arg(&cmds[1], pub);
		if (rq_transaction(p->c, cmds, 2, err) < 0)
			return -1;
		/* taken off the list only once published (it is the last one:
		 * remote_job_cancelled only appends) */
		pthread_mutex_lock(&p->s->mu);
		for (size_t i = p->r->ncancels; i-- > 0;)
			if (strcmp(p->r->cancels[i], id) == 0) {
				memmove(p->r->cancels[i], p->r->cancels[i + 1],
					(p->r->ncancels - i - 1) * sizeof(p->r->cancels[0]));
				p->r->ncancels--;
				break;
			}
		pthread_mutex_unlock(&p->s->mu);
	}
}

static void redis_failed(struct publisher *p, sbx_error *err)
{
	if (!p->down_logged)
		server_log(p->s, "%s; retrying (accepted jobs wait in the store)",
			   err ? err->msg : "Redis failed");
	p->down_logged = true;
}

static void *publisher_main(void *arg)
{
	struct sbx_server *s = arg;
	struct publisher p = { .s = s, .r = s->remote, .first = true };
	p.c = rq_conn_new(&s->remote->url, 5000);
	if (p.c == NULL) {
		server_log(s, "the queue's publisher: out of memory");
		return NULL;
	}
	bool connected = false;
	uint64_t last_full = 0;
	unsigned long gen_done = 0;
	for (;;) {
		bool stop = stopped(s);
		cleanup_error sbx_error *err = NULL;
		if (!rq_conn_up(p.c)) {
			if (connected)
				server_log(s, "Redis at %s: connection lost", s->remote->where);
			connected = false;
			if (rq_conn_ensure(p.c, &err) < 0 ||
			    rq_ensure_group(p.c, RQ_JOBS, RQ_GROUP_WORKERS, &err) < 0) {
				redis_failed(&p, err);
				if (stop)
					break;
				rq_backoff(p.c, stopped, s);
				continue;
			}
			server_log(s, "Redis at %s: connected", s->remote->where);
			connected = true;
			p.down_logged = false;
			last_full = 0; /* a reconnect: Redis may have lost anything */
		}
		pthread_mutex_lock(&s->mu);
		unsigned long gen = s->queued_gen;
		pthread_mutex_unlock(&s->mu);
		int rc = publish_cancels(&p, &err);
		uint64_t now = mono_ms();
		if (rc == 0 && (last_full == 0 || now - last_full >= s->remote->visibility_ms)) {
			rc = publish_pass(&p, 0, &err);
			if (rc == 0)
				last_full = now;
		} else if (rc == 0 && gen != gen_done) {
			rc = publish_pass(&p, p.high, &err);
		}
		if (rc == 0)
			gen_done = gen;
		if (stop)
			break;
		if (rc < 0) {
			redis_failed(&p, err);
			rq_backoff(p.c, stopped, s);
			continue;
		}
		/* until a job is queued or cancelled, or the next full pass */
		pthread_mutex_lock(&s->mu);
		if (!s->stopping && s->queued_gen == gen && s->remote->ncancels == 0) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 250 * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&s->work, &s->mu, &ts);
		}
		pthread_mutex_unlock(&s->mu);
	}
	rq_conn_free(p.c);
	return NULL;
}

/* ---- the results ---- */

/* Acknowledge and delete an event, with what else must happen with it. */
static int ack_event(struct rq_conn *c, const char *eid, struct rq_cmd *extra, size_t nextra,
		     sbx_error **err)
{
	struct rq_cmd cmds[4] = { 0 };
	for (size_t i = 0; i < nextra; i++)
		cmds[i] = extra[i];
	rq_arg(&cmds[nextra], "XACK");
	rq_arg(&cmds[nextra], RQ_RESULTS);
	rq_arg(&cmds[nextra], RQ_GROUP_SERVERS);
	rq_arg(&cmds[nextra], eid);
	rq_arg(&cmds[nextra + 1], "XDEL");
	rq_arg(&cmds[nextra + 1], RQ_RESULTS);
	rq_arg(&cmds[nextra + 1], eid);
	return rq_transaction(c, cmds, nextra + 2, err);
}

/* Record a job's result; 0, or -1 when the store or Redis failed (the
 * event stays pending and is read again). */
static int record_result(struct sbx_server *s, struct rq_conn *c, const char *eid,
			 const char *id, const struct redisReply *fields, sbx_error **err)
{
	size_t len = 0;
	const char *status = rq_field(fields, "status", NULL);
	const char *result = rq_field(fields, "result", &len);
	json_t *parsed = result ? json_loadb(result, len, 0, NULL) : NULL;
	bool ok_status = status && (strcmp(status, "done") == 0 || strcmp(status, "failed") == 0);
	if (!ok_status || !json_is_object(parsed)) {
		json_decref(parsed);
		server_log(s, "job %s: a result event without a status or a JSON result: dropped",
			   id);
		return ack_event(c, eid, NULL, 0, err);
	}
	json_decref(parsed);
	struct sbx_store_job j;
	int r = sbx_store_get(s->store, NULL, id, &j, err);
	if (r < 0)
		return -1;
	if (r == 1) {
		enum sbx_job_status st = j.status;
		sbx_store_job_clear(&j);
		/* its "started" was lost with a Redis that restarted, or this
		 * server was restarted (the store's open requeues) */
		if (st == SBX_JOB_QUEUED && sbx_store_start(s->store, id, err) < 0)
			return -1;
		cleanup_free char *text = strndup(result, len);
		if (text == NULL)
			return sbx_error_set(err, ENOMEM, "a job's result");
		r = sbx_store_finish(s->store, id,
				     strcmp(status, "done") == 0 ? SBX_JOB_DONE : SBX_JOB_FAILED, text,
				     err);
		if (r < 0)
			return -1;
	}
	char ended[sizeof(RQ_ENDED) + SBX_JOB_ID_LEN], pub[sizeof(RQ_PUBLISHED) + SBX_JOB_ID_LEN],
		ttl[16];
	snprintf(ended, sizeof(ended), RQ_ENDED "%s", id);
	snprintf(pub, sizeof(pub), RQ_PUBLISHED "%s", id);
	snprintf(ttl, sizeof(ttl), "%d", RQ_ENDED_TTL_S);
	struct rq_cmd extra[2] = { 0 };
	rq_arg(&extra[0], "SET");
	rq_arg(&extra[0], ended);
	rq_arg(&extra[0], status);
	rq_arg(&extra[0], "EX");
	rq_arg(&extra[0], ttl);
	rq_arg(&extra[1], "DEL");
	rq_arg(&extra[1], pub);
	int rc = ack_event(c, eid, extra, 2, err);
	if (r == 1)
		server_job_ended(s);
	return rc;
}

static int handle_event(struct sbx_server *s, struct rq_conn *c, const struct redisReply *e,
			sbx_error **err)
{
	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
	    e->element[0]->type != REDIS_REPLY_STRING)
		return 0;
	const char *eid = e->element[0]->str;
	const struct redisReply *fields = e->element[1];
	size_t idlen = 0;
	const char *type = rq_field(fields, "type", NULL);
	const char *idf = rq_field(fields, "id", &idlen);
	if (type == NULL || !sbx_job_id_valid(idf, idlen)) {
		server_log(s, "queue: an event without a type or a job id (%s): dropped", eid);
		return ack_event(c, eid, NULL, 0, err);
	}
	char id[SBX_JOB_ID_LEN + 1];
	memcpy(id, idf, SBX_JOB_ID_LEN);
	id[SBX_JOB_ID_LEN] = '\0';
	if (strcmp(type, "started") == 0) {
		if (sbx_store_start(s->store, id, err) < 0)
			return -1;
		return ack_event(c, eid, NULL, 0, err);
	}
	if (strcmp(type, "result") == 0)
		return record_result(s, c, eid, id, fields, err);
	server_log(s, "queue: an event of unknown type '%s' (%s): dropped", type, eid);
	return ack_event(c, eid, NULL, 0, err);
}

static void *results_main(void *arg)
{
	struct sbx_server *s = arg;
	/* the connection's timeout is above the read's BLOCK */
	struct rq_conn *c = rq_conn_new(&s->remote->url, 5000);
	if (c == NULL) {
		server_log(s, "the queue's results: out of memory");
		return NULL;
	}
	bool pending = true; /* read what a previous run read but did not record */
	while (!stopped(s)) {
		cleanup_error sbx_error *err = NULL;
		if (!rq_conn_up(c)) {
			/* the publisher says when Redis is down */
			if (rq_conn_ensure(c, &err) < 0 ||
			    rq_ensure_group(c, RQ_RESULTS, RQ_GROUP_SERVERS, &err) < 0) {
				rq_backoff(c, stopped, s);
				continue;
			}
			pending = true;
		}
		struct rq_cmd cmd = { 0 };
		rq_arg(&cmd, "XREADGROUP");
		rq_arg(&cmd, "GROUP");
		rq_arg(&cmd, RQ_GROUP_SERVERS);
		rq_arg(&cmd, "server");
		rq_arg(&cmd, "COUNT");
		rq_arg(&cmd, "64");
		rq_arg(&cmd, "BLOCK");
		rq_arg(&cmd, "1000");
		rq_arg(&cmd, "STREAMS");
		rq_arg(&cmd, RQ_RESULTS);
		rq_arg(&cmd, pending ? "0" : ">");
		struct redisReply *r = rq_run(c, &cmd, &err);
		if (r == NULL) {
			rq_backoff(c, stopped, s);
			continue;
		}
		if (r->type == REDIS_REPLY_ERROR) {
			/* NOGROUP: Redis restarted empty */
			if (!rq_reply_is_error(r, "NOGROUP"))
				server_log(s, "Redis: reading results: %s", r->str);
			if (rq_ensure_group(c, RQ_RESULTS, RQ_GROUP_SERVERS, &err) < 0)
				rq_backoff(c, stopped, s);
			rq_reply_free(r);
			continue;
		}
		const struct redisReply *entries = NULL;
		if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
		    r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements == 2)
			entries = r->element[0]->element[1];
		size_t n = entries && entries->type == REDIS_REPLY_ARRAY ? entries->elements : 0;
		if (pending && n == 0)
			pending = false;
		for (size_t i = 0; i < n; i++) {
			if (handle_event(s, c, entries->element[i], &err) < 0) {
				server_log(s, "queue: a worker's event could not be recorded: %s; "
					      "retrying",
					   err ? err->msg : "?");
				pending = true;
				rq_backoff(c, stopped, s);
				break;
			}
		}
		rq_reply_free(r);
	}
	rq_conn_free(c);
	return NULL;
}

int remote_start(struct sbx_server *s, sbx_error **err)
{
	struct remote *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return sbx_error_set(err, ENOMEM, "queue");
	if (rq_url_parse(s->opt.queue_url, &r->url, err) < 0) {
		remote_free(r);
		return -1;
	}
	r->where = rq_url_display(&r->url);
	r->cancels = calloc(CANCELS_MAX, sizeof(*r->cancels));
	r->visibility_ms = s->opt.visibility_ms ? s->opt.visibility_ms : 30000;
	if (r->where == NULL || r->cancels == NULL) {
		remote_free(r);
		return sbx_error_set(err, ENOMEM, "queue");
	}
	s->remote = r;
	void *(*mains[REMOTE_THREADS])(void *) = { publisher_main, results_main };
	for (unsigned i = 0; i < REMOTE_THREADS; i++) {
		int e = pthread_create(&s->threads[s->nthreads], NULL, mains[i], s);
		if (e != 0)
			return sbx_error_set(err, e, "queue thread");
		s->nthreads++;
	}
	return 0;
}
