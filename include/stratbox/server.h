/* stratbox's HTTP service: strategies submitted over HTTP run as durable
 * jobs on one long-lived warm pool (docs/http-api.md).
 *
 *     struct sbx_server *srv;
 *     sbx_server_start(&(struct sbx_server_options){ .listen = "127.0.0.1:8080",
 *                                                    .state_dir = "/var/lib/stratbox",
 *                                                    .workers = 2 }, &srv, &err);
 *     ... wait for SIGTERM ...
 *     sbx_server_stop(srv);     // no new jobs; running ones finish
 *
 * The jobs live in DIR/jobs.db (src/store/store.h): a job answered 202 is
 * never lost, and one a killed server left running is run again when the
 * next one starts on the same directory.
 */
#ifndef STRATBOX_SERVER_H
#define STRATBOX_SERVER_H

#include "stratbox/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sbx_server_options {
	const char *listen;	   /* "HOST:PORT" ("[::1]:8080" for IPv6); NULL: 127.0.0.1:8080 */
	const char *state_dir;	   /* required: jobs.db, reports/ */
	unsigned workers;	   /* jobs at once; 0: 2 */
	const char *token_file;	   /* "NAME TOKEN" a line; NULL: one tenant, loopback only */
	size_t max_queue;	   /* queued jobs before 429; 0: 1000 */
	size_t max_body;	   /* request body limit in bytes; 0: 16 MiB */
	const char *cgroup_parent; /* as sbx_pool_options */
	const char *data_dir;	   /* "symbols" are NAME.csv here; NULL: the bundled manifest */
	const char *policy_path;   /* validator policy (replaces environments' allow-lists);
				    * NULL: the default */
	const char *env_dir;	   /* the environment store jobs' "env" names (include/stratbox/
				    * env.h); NULL: the default, as `stratbox env` */
	int log_fd;		   /* one line per event (start, requeue, stop); -1: none */
	/* a tenant's jobs not yet ended (queued or running) before 429; 0: no limit */
	size_t tenant_max_running;
	/* on stop, how long running jobs may go on before they are killed and
	 * queued again for the next start; 0: 60 s */
	uint64_t drain_timeout_ms;
	/* ended jobs (results and reports) are deleted after this; 0: 7 days */
	uint64_t retention_ms;
	/* HTTPS: PEM files of the certificate (chain) and its private key; both
	 * or neither.  Listening beyond loopback needs them, or plain_http (a
	 * TLS proxy in front does it), since tokens cross the network. */
	const char *tls_cert, *tls_key;
	bool plain_http;
	/* a connection that sends nothing for this long is closed (a client
	 * that never finishes its request); 0: 60 s */
	unsigned request_timeout_s;
	/* redis://[user:password@]host:port[/db] or unix:///path: jobs go to
	 * `stratbox worker` processes through Redis (include/stratbox/worker.h)
	 * and no job runs here (no pool is started); NULL: the local workers. */
	const char *queue_url;
	unsigned visibility_ms; /* --queue: a job's worker silent this long loses it; 0: 30 s */
};

struct sbx_server;

/* Open the store (requeueing what a killed server left running), start the
 * pool and the workers, then listen.  Refuses a non-loopback address
 * without a token file. */
int sbx_server_start(const struct sbx_server_options *opt, struct sbx_server **out,
		     sbx_error **err);
/* The port actually bound (for "HOST:0"). */
unsigned sbx_server_port(const struct sbx_server *srv);
/* Stop accepting, let running jobs finish, for drain_timeout_ms at most
 * (those still running then are killed and queued again; queued ones stay
 * queued in the store for the next start), free everything. */
void sbx_server_stop(struct sbx_server *srv);

#ifdef __cplusplus
}
#endif
#endif
