/* The service's life: the store opened (requeueing what a killed server
 * left running), one warm pool for the whole life of the process, the
 * workers, the HTTP listener; and the graceful stop in the reverse order:
 * no new connections or jobs, workers finish the job they hold, waiters
 * are answered with the job as it stands, then everything is freed.
 * Queued jobs stay in the store for the next start. */
#include "common/util.h"
#include "server/internal.h"
#include "server/envs.h"
#include "server/remote.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_DRAIN_MS (60u * 1000u)
#define DEFAULT_RETENTION_MS (7ull * 24 * 3600 * 1000)

void server_log(struct sbx_server *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_line(s->opt.log_fd, "stratbox serve", fmt, ap);
	va_end(ap);
}

void server_job_queued(struct sbx_server *s)
{
	pthread_mutex_lock(&s->mu);
	s->queued_gen++;
	pthread_cond_signal(&s->work);
	pthread_mutex_unlock(&s->mu);
}

void server_job_ended(struct sbx_server *s)
{
	pthread_mutex_lock(&s->mu);
	s->ended_gen++;
	pthread_cond_broadcast(&s->ended);
	pthread_mutex_unlock(&s->mu);
}

unsigned sbx_server_port(const struct sbx_server *srv)
{
	return srv->port;
}

static void deadline_after(struct timespec *ts, uint64_t ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += (time_t) (ms / 1000);
	ts->tv_nsec += (long) (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* No new jobs; running ones finish, for drain_timeout_ms at most: then
 * they are killed and queued again (run_one sees w->requeue). */
static void stop_workers(struct sbx_server *s)
{
	pthread_mutex_lock(&s->mu);
	s->stopping = true;
	pthread_cond_broadcast(&s->work);
	pthread_cond_broadcast(&s->janitor_wake);
	struct timespec deadline;
	deadline_after(&deadline, s->opt.drain_timeout_ms);
	for (;;) {
		bool busy = false;
		for (unsigned i = 0; i < s->nworkers; i++)
			busy = busy || s->workers[i].id[0] != '\0';
		if (!busy)
			break;
		if (pthread_cond_timedwait(&s->ended, &s->mu, &deadline) == ETIMEDOUT) {
			for (unsigned i = 0; i < s->nworkers; i++) {
				struct worker *w = &s->workers[i];
				uint64_t one = 1;
				if (w->id[0] == '\0')
					continue;
				w->requeue = true;
				w->cancel = 1;
				if (write(w->cancel_fd, &one, sizeof(one)) != sizeof(one))
					server_log(s, "job %s: cannot signal its worker", w->id);
			}
			break;
		}
	}
	pthread_mutex_unlock(&s->mu);
	for (unsigned i = 0; i < s->nthreads; i++)
		pthread_join(s->threads[i], NULL);
	s->nthreads = 0;
	s->nworkers = 0;
	if (s->janitor_started)
		pthread_join(s->janitor, NULL);
	s->janitor_started = false;
	/* waiters answer with the job as it stands */
	server_job_ended(s);
}

/* Retention: every few minutes (or a tenth of the retention, when that is
 * shorter), the ended jobs older than it go, with their reports. */
static void *janitor_main(void *arg)
{
	struct sbx_server *s = arg;
	uint64_t every = s->opt.retention_ms / 10;
	if (every > 5 * 60 * 1000)
		every = 5 * 60 * 1000;
	if (every < 100)
		every = 100;
	pthread_mutex_lock(&s->mu);
	while (!s->stopping) {
		pthread_mutex_unlock(&s->mu);
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		int64_t now_ms = (int64_t) now.tv_sec * 1000 + now.tv_nsec / 1000000;
		char **ids = NULL;
		size_t n = 0;
		cleanup_error sbx_error *err = NULL;
		if (sbx_store_expire(s->store, now_ms - (int64_t) s->opt.retention_ms, &ids, &n,
				     &err) < 0)
			server_log(s, "retention: %s", err->msg);
		for (size_t i = 0; i < n; i++) {
			report_remove(s, ids[i]);
			free(ids[i]);
		}
		free(ids);
		if (n > 0)
			server_log(s, "retention: %zu ended job(s) deleted", n);
		pthread_mutex_lock(&s->mu);
		s->m.expired += n;
		struct timespec deadline;
		deadline_after(&deadline, every);
		if (!s->stopping)
			pthread_cond_timedwait(&s->janitor_wake, &s->mu, &deadline);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

static void server_free(struct sbx_server *s)
{
	if (s == NULL)
		return;
	stop_workers(s);
	http_stop(s);
	env_pools_free(s->envs); /* the pools it started; the host's is ours */
	if (s->pool)
		sbx_pool_stop(s->pool);
	sbx_check_policy_free(s->policy);
	sbx_store_close(s->store);
	remote_free(s->remote);
	auth_free(s->auth);
	free(s->threads);
	for (unsigned i = 0; s->workers && i < s->opt.workers; i++)
		if (s->workers[i].cancel_fd >= 0)
			close(s->workers[i].cancel_fd);
	free(s->workers);
	free(s->manifest);
	free(s->host);
	if (s->tls_key_pem != NULL)
		explicit_bzero(s->tls_key_pem, strlen(s->tls_key_pem));
	free(s->tls_key_pem);
	free(s->tls_cert_pem);
	pthread_cond_destroy(&s->work);
	pthread_cond_destroy(&s->ended);
	pthread_cond_destroy(&s->janitor_wake);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

void sbx_server_stop(struct sbx_server *srv)
{
	if (srv == NULL)
		return;
	http_quiesce(srv);
	unsigned busy = atomic_load(&srv->running);
	server_log(srv, "stopping: no new connections; %u running job(s) finish first", busy);
	stop_workers(srv);
	server_free(srv);
}

int sbx_server_start(const struct sbx_server_options *opt, struct sbx_server **out,
		     sbx_error **err)
{
	*out = NULL;
	if (opt->state_dir == NULL || *opt->state_dir == '\0')
		return sbx_error_set(err, 0, "give the state directory (--state-dir DIR)");
	struct sbx_server *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return sbx_error_set(err, ENOMEM, "server");
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_cond_init(&s->work, &ca);
	pthread_cond_init(&s->ended, &ca);
	pthread_cond_init(&s->janitor_wake, &ca);
	pthread_condattr_destroy(&ca);
	s->opt = *opt;
	if (s->opt.listen == NULL)
		s->opt.listen = "127.0.0.1:8080";
	if (s->opt.workers == 0)
		s->opt.workers = 2;
	if (s->opt.max_queue == 0)
		s->opt.max_queue = 1000;
	if (s->opt.max_body == 0)
		s->opt.max_body = 16u << 20;
	if (s->opt.request_timeout_s == 0)
		s->opt.request_timeout_s = 60;
	if (s->opt.drain_timeout_ms == 0)
		s->opt.drain_timeout_ms = DEFAULT_DRAIN_MS;
	if (s->opt.retention_ms == 0)
		s->opt.retention_ms = DEFAULT_RETENTION_MS;

	unsigned requeued = 0;
	if (http_load_tls(s, err) < 0 || auth_load(opt->token_file, &s->auth, err) < 0 ||
	    sbx_store_open(opt->state_dir, &s->store, &requeued, err) < 0) {
		server_free(s);
		return -1;
	}
	if (requeued)
		server_log(s, "%u job(s) a previous server left running are queued again",
			   requeued);
	s->manifest = bt_manifest_default_path();
	s->sources = (bt_request_sources){ .manifest = s->manifest, .data_dir = opt->data_dir };
	s->policy = opt->policy_path ? sbx_check_policy_load(opt->policy_path, err)
				     : sbx_check_policy_default();
	if (s->manifest == NULL || s->policy == NULL || bt_backtest_policy(s->policy, err) < 0) {
		if (s->manifest == NULL || s->policy == NULL)
			sbx_error_set(err, ENOMEM, "server");
		server_free(s);
		return -1;
	}
	/* one pool for the whole life of the service: a job costs a
	 * warm slot, not a pool start (prefaulted: slots wait for requests);
	 * none with --queue, where workers elsewhere run the jobs */
	if (opt->queue_url == NULL &&
	    sbx_pool_start(&(struct sbx_pool_options){ .warm = s->opt.workers,
						       .cgroup_parent = opt->cgroup_parent,
						       .policy = s->policy,
						       .prefault = true,
						       .log_fd = opt->log_fd },
			   &s->pool, err) < 0) {
		sbx_error_wrap(err, "cannot start the Python runtime");
		server_free(s);
		return -1;
	}
	if (env_pools_new(&(struct env_pools_options){ .state_dir = opt->env_dir,
						      .policy_path = opt->policy_path,
						      .cgroup_parent = opt->cgroup_parent,
						      .warm = s->opt.workers < 2 ? s->opt.workers : 2,
						      .prefault = true,
						      .log_fd = opt->log_fd,
						      .host_pool = s->pool,
						      .host_policy = s->policy },
			  &s->envs, err) < 0) {
		server_free(s);
		return -1;
	}
	s->threads = calloc(s->opt.workers + REMOTE_THREADS, sizeof(*s->threads));
	s->workers = calloc(s->opt.workers, sizeof(*s->workers));
	if (s->threads == NULL || s->workers == NULL) {
		server_free(s);
		return sbx_error_set(err, ENOMEM, "workers");
	}
	for (unsigned i = 0; i < s->opt.workers; i++)
		s->workers[i] = (struct worker){ .s = s, .index = i, .cancel_fd = -1 };
	for (unsigned i = 0; i < s->opt.workers; i++) {
		s->workers[i].cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (s->workers[i].cancel_fd < 0) {
			int e = errno;
			server_free(s);
			return sbx_error_set(err, e, "eventfd");
		}
	}
	if ((opt->queue_url && remote_start(s, err) < 0) || http_start(s, err) < 0) {
		server_free(s);
		return -1;
	}
	for (unsigned i = 0; i < s->opt.workers && opt->queue_url == NULL; i++) {
		int e = pthread_create(&s->threads[s->nthreads], NULL, worker_main, &s->workers[i]);
		if (e != 0) {
			server_free(s);
			return sbx_error_set(err, e, "worker thread");
		}
		s->nthreads++;
		s->nworkers++;
	}
	int e = pthread_create(&s->janitor, NULL, janitor_main, s);
	if (e != 0) {
		server_free(s);
		return sbx_error_set(err, e, "retention thread");
	}
	s->janitor_started = true;
	if (s->remote)
		server_log(s, "jobs go to stratbox workers through the queue at %s",
			   remote_where(s->remote));
	server_log(s, "listening on %s:%u (%s), %u worker(s), state in %s%s", s->host, s->port,
		   s->tls ? "https" : "http", s->remote ? 0 : s->opt.workers, opt->state_dir,
		   auth_enabled(s->auth) ? ""
					 : "; no --token-file: one tenant, loopback only");
	*out = s;
	return 0;
}
