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

struct env_pools;

/* Run a job of kind "execution" or "backtest" from its stored request
 * (JSON text) on its environment's pool (its "env", envs.h), and give its
 * result as JSON text (to be freed).  *failed: the service could not run
 * it (the request no longer loads, a dataset or the environment is gone,
 * ...): the job ends "failed", else "done" whatever the strategy's
 * verdict.  NULL only when out of memory. */
char *job_run(struct env_pools *envs, const bt_request_sources *sources, const char *kind,
	      const char *request, const struct job_cancel *cancel, bool *failed);

#endif
