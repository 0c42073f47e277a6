/* The environments a service runs jobs on (docs/environments.md): the
 * host's pool, started with the service, and one pool per other
 * environment a job names, started on its first job (a zygote start: a
 * second or so) and kept until the service stops.  An environment once
 * used stays open, so `stratbox env rm` refuses it until the service
 * stops.  Shared by the server and `stratbox worker`; thread-safe. */
#ifndef STRATBOX_SERVER_ENVS_H
#define STRATBOX_SERVER_ENVS_H

#include "stratbox/env.h"
#include "stratbox/pyrt.h"

struct env_pools_options {
	const char *state_dir;	   /* the environment store; NULL: the default */
	const char *policy_path;   /* --policy: replaces every environment's allow-list */
	const char *cgroup_parent;
	unsigned warm;		   /* warm slots of each environment's pool */
	bool prefault;
	int log_fd;
	sbx_pool *host_pool;	   /* the host's, the caller's */
	const sbx_check_policy *host_policy;
};

struct env_pools;
int env_pools_new(const struct env_pools_options *o, struct env_pools **out, sbx_error **err);
/* Stops every pool it started. */
void env_pools_free(struct env_pools *ep);
/* The pool and policy of environment name (NULL or "host": the host's),
 * its pool started now if this is its first job.  -1 when there is no
 * such environment (SBX_ERR_INVALID) or its pool does not start. */
int env_pools_get(struct env_pools *ep, const char *name, sbx_pool **pool,
		  const sbx_check_policy **policy, sbx_error **err);
/* The policy alone (validation at submission): no pool started. */
int env_pools_policy(struct env_pools *ep, const char *name, const sbx_check_policy **policy,
		     sbx_error **err);

#endif
