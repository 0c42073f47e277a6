/* The service's life: the store opened (requeueing what a killed server
 * left running), one warm pool for the whole life of the process, the
 * workers, the HTTP listener; and the graceful stop in the reverse order:
 * no new connections or jobs, workers finish the job they hold, waiters
 * are answered with the job as it stands, then everything is freed.
 * Queued jobs stay in the store for the next start. */
#include "common/util.h"
#include "server/internal.h"
#include "server/remote.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void server_log(struct sbx_server *s, const char *fmt, ...)
{
	if (s->opt.log_fd < 0)
		return;
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t) n > sizeof(buf) - 2)
		n = (int) sizeof(buf) - 2;
	buf[n++] = '\n';
	dprintf(s->opt.log_fd, "stratbox serve: %.*s", n, buf);
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
	pthread_cond_broadcast(&s->ended);
	pthread_mutex_unlock(&s->mu);
}

unsigned sbx_server_port(const struct sbx_server *srv)
{
	return srv->port;
}

static void stop_workers(struct sbx_server *s)
{
	pthread_mutex_lock(&s->mu);
	s->stopping = true;
	pthread_cond_broadcast(&s->work);
	pthread_mutex_unlock(&s->mu);
	for (unsigned i = 0; i < s->nthreads; i++)
		pthread_join(s->threads[i], NULL);
	s->nthreads = 0;
	/* waiters answer with the job as it stands */
	server_job_ended(s);
}

static void server_free(struct sbx_server *s)
{
	if (s == NULL)
		return;
	stop_workers(s);
	http_stop(s);
	if (s->pool)
		sbx_pool_stop(s->pool);
	sbx_check_policy_free(s->policy);
	sbx_store_close(s->store);
	remote_free(s->remote);
	auth_free(s->auth);
	free(s->threads);
	free(s->manifest);
	free(s->host);
	pthread_cond_destroy(&s->work);
	pthread_cond_destroy(&s->ended);
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

	unsigned requeued = 0;
	if (auth_load(opt->token_file, &s->auth, err) < 0 ||
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
	s->threads = calloc(s->opt.workers + REMOTE_THREADS, sizeof(*s->threads));
	if (s->threads == NULL) {
		server_free(s);
		return sbx_error_set(err, ENOMEM, "workers");
	}
	if ((opt->queue_url && remote_start(s, err) < 0) || http_start(s, err) < 0) {
		server_free(s);
		return -1;
	}
	for (unsigned i = 0; i < s->opt.workers && opt->queue_url == NULL; i++) {
		int e = pthread_create(&s->threads[i], NULL, worker_main, s);
		if (e != 0) {
			server_free(s);
			return sbx_error_set(err, e, "worker thread");
		}
		s->nthreads++;
	}
	if (s->remote)
		server_log(s, "jobs go to stratbox workers through the queue at %s",
			   remote_where(s->remote));
	server_log(s, "listening on %s:%u, %u worker(s), state in %s%s", s->host, s->port,
		   s->remote ? 0 : s->opt.workers, opt->state_dir,
		   auth_enabled(s->auth) ? ""
					 : "; no --token-file: one tenant, loopback only");
	*out = s;
	return 0;
}
