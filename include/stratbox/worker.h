/* `stratbox worker`: runs the jobs a `stratbox serve --queue URL` publishes
 * to Redis, on its own warm pool, on any number of machines
 * (docs/deploy.md).
 *
 *     struct sbx_worker *w;
 *     sbx_worker_start(&(struct sbx_worker_options){ .queue_url = "redis://10.0.0.5:6379",
 *                                                    .workers = 4 }, &w, &err);
 *     ... wait for SIGTERM ...
 *     sbx_worker_stop(w);     // no new jobs; running ones finish and report
 *
 * A worker keeps nothing: a job it was running when it died is taken by
 * another worker after the visibility timeout, and the server records one
 * result per job however many times it ran.
 */
#ifndef STRATBOX_WORKER_H
#define STRATBOX_WORKER_H

#include "stratbox/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sbx_worker_options {
	const char *queue_url;	   /* required: as sbx_server_options.queue_url */
	unsigned workers;	   /* jobs at once; 0: 2 */
	const char *data_dir;	   /* as the server's: the same files on every machine */
	const char *cgroup_parent; /* as sbx_pool_options */
	const char *policy_path;   /* validator policy; NULL: the default */
	const char *env_dir;	   /* the environment store jobs' "env" names; NULL: the default */
	unsigned visibility_ms;	   /* as the server's; 0: 30 s */
	int log_fd;		   /* one line per job and event; -1: none */
};

struct sbx_worker;

/* Parse the URL (a bad one: SBX_ERR_INVALID), start the pool, then the
 * threads that read jobs.  Redis need not be up yet: they retry. */
int sbx_worker_start(const struct sbx_worker_options *opt, struct sbx_worker **out,
		     sbx_error **err);
/* Take no new job, let running ones finish and send their results (for a
 * while: a result Redis does not take is left to the job's next run), free
 * everything. */
void sbx_worker_stop(struct sbx_worker *w);

#ifdef __cplusplus
}
#endif
#endif
