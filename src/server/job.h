/* One job from its request to its result, for both ways the service runs
 * jobs: the server's own worker threads (worker.c) and `stratbox worker`
 * processes fed through Redis (remote-worker.c).  Shared by src/server/
 * only. */
#ifndef STRATBOX_SERVER_JOB_H
#define STRATBOX_SERVER_JOB_H

#include "stratbox/backtest.h"
#include "stratbox/pyrt.h"

#include <stdbool.h>

/* What stops a running job (either may be absent): a backtest watches the
 * flag, an execution the descriptor (pyrt.h, backtest.h). */
struct job_cancel {
	const volatile int *flag; /* NULL: none */
	int fd;			  /* readable: kill the execution; <= 0: none */
};

/* Run a job of kind "execution" or "backtest" from its stored request
 * (JSON text) on pool, and give its result as JSON text (to be freed).
 * *failed: the service could not run it (the request no longer loads, a
 * dataset is gone, ...): the job ends "failed", else "done" whatever the
 * strategy's verdict.  NULL only when out of memory. */
char *job_run(sbx_pool *pool, const sbx_check_policy *policy, const bt_request_sources *sources,
	      const char *kind, const char *request, const struct job_cancel *cancel,
	      bool *failed);

#endif
