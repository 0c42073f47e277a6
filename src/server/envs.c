/* The service's environments (envs.h): a pool per environment, started
 * on the first job that names it and kept until the service stops. */
#include "server/envs.h"

#include "common/util.h"
#include "stratbox/backtest.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct env_entry {
	char *name;
	sbx_env *env;		 /* held open: `env rm` refuses while we run it */
	sbx_check_policy *policy; /* the environment's, or --policy's */
	sbx_pool *pool;		 /* NULL until its first job */
	uint64_t failed_ns;	 /* its pool's last failed start (monotonic), 0: none */
	char *why;		 /* ...and why, given to every job for FAIL_HOLD_NS */
};

/* A pool that would not start is not tried again for each job that names
 * it (each try holds the table while a zygote starts), only after this. */
#define FAIL_HOLD_NS (30ull * 1000000000ull)

struct env_pools {
	struct env_pools_options o;
	char *state;
	pthread_mutex_t mu; /* the table; held while a pool starts */
	struct env_entry *e;
	size_t n, cap;
};

int env_pools_new(const struct env_pools_options *o, struct env_pools **out, sbx_error **err)
{
	struct env_pools *ep = calloc(1, sizeof(*ep));
	if (ep == NULL)
		return sbx_error_set(err, ENOMEM, "environments");
	ep->o = *o;
	pthread_mutex_init(&ep->mu, NULL);
	ep->state = sbx_env_state_dir(o->state_dir, err);
	if (ep->state == NULL) {
		env_pools_free(ep);
		return -1;
	}
	*out = ep;
	return 0;
}

void env_pools_free(struct env_pools *ep)
{
	if (ep == NULL)
		return;
	for (size_t i = 0; i < ep->n; i++) {
		if (ep->e[i].pool)
			sbx_pool_stop(ep->e[i].pool);
		sbx_check_policy_free(ep->e[i].policy);
		sbx_env_free(ep->e[i].env);
		free(ep->e[i].name);
		free(ep->e[i].why);
	}
	free(ep->e);
	free(ep->state);
	pthread_mutex_destroy(&ep->mu);
	free(ep);
}

static bool is_host(const char *name)
{
	return name == NULL || strcmp(name, "host") == 0;
}

/* The entry of name, opened now when new (under ep->mu). */
static struct env_entry *entry(struct env_pools *ep, const char *name, sbx_error **err)
{
	for (size_t i = 0; i < ep->n; i++)
		if (strcmp(ep->e[i].name, name) == 0)
			return &ep->e[i];
	if (ep->n == ep->cap) {
		size_t cap = ep->cap ? ep->cap * 2 : 4;
		struct env_entry *ne = realloc(ep->e, cap * sizeof(*ne));
		if (ne == NULL) {
			sbx_error_set(err, ENOMEM, "environments");
			return NULL;
		}
		ep->e = ne;
		ep->cap = cap;
	}
	struct env_entry x = { 0 };
	if (sbx_env_open(ep->state, name, &x.env, err) < 0)
		return NULL;
	x.name = strdup(name);
	x.policy = ep->o.policy_path ? sbx_check_policy_load(ep->o.policy_path, err)
				     : sbx_env_policy(x.env, err);
	if (x.name == NULL || x.policy == NULL || bt_backtest_policy(x.policy, err) < 0) {
		sbx_error_set(err, ENOMEM, "environments"); /* unless already set */
		free(x.name);
		sbx_check_policy_free(x.policy);
		sbx_env_free(x.env);
		return NULL;
	}
	ep->e[ep->n] = x;
	return &ep->e[ep->n++];
}

int env_pools_policy(struct env_pools *ep, const char *name, const sbx_check_policy **policy,
		     sbx_error **err)
{
	if (is_host(name)) {
		*policy = ep->o.host_policy;
		return 0;
	}
	pthread_mutex_lock(&ep->mu);
	struct env_entry *x = entry(ep, name, err);
	*policy = x ? x->policy : NULL;
	pthread_mutex_unlock(&ep->mu);
	return x ? 0 : -1;
}

int env_pools_get(struct env_pools *ep, const char *name, sbx_pool **pool,
		  const sbx_check_policy **policy, sbx_error **err)
{
	if (is_host(name)) {
		*pool = ep->o.host_pool;
		*policy = ep->o.host_policy;
		return 0;
	}
	pthread_mutex_lock(&ep->mu);
	struct env_entry *x = entry(ep, name, err);
	if (x != NULL && x->pool == NULL && x->failed_ns != 0 &&
	    now_ns() - x->failed_ns < FAIL_HOLD_NS) {
		sbx_error_set(err, 0, "%s (not tried again for 30 s)", x->why ? x->why : "");
		x = NULL;
	} else if (x != NULL && x->pool == NULL) {
		struct sbx_pool_options po = { .warm = ep->o.warm,
					       .cgroup_parent = ep->o.cgroup_parent,
					       .policy = x->policy,
					       .prefault = ep->o.prefault,
					       .log_fd = ep->o.log_fd };
		sbx_env_pool_options(x->env, &po);
		if (sbx_pool_start(&po, &x->pool, err) < 0) {
			sbx_error_wrap(err, "environment %s: cannot start its Python runtime", name);
			free(x->why);
			x->why = err && *err ? strdup((*err)->msg) : NULL;
			x->failed_ns = now_ns();
			x = NULL;
		}
	}
	*pool = x ? x->pool : NULL;
	*policy = x ? x->policy : NULL;
	pthread_mutex_unlock(&ep->mu);
	return x ? 0 : -1;
}
