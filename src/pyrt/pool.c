/* The Python pool: one zygote in a base sandbox, and a dispatcher thread
 * that keeps `warm` slots forked ahead of demand.
 *
 *   host                          zygote (sandboxed)          slot (forked)
 *   dispatcher --Z_SPAWN(fds)-->  fork into new pid ns  -->   mounts, [prefault],
 *   preparer <--S_READY (SCM_CREDENTIALS: host pid)--------   S_READY, waits
 *   create the slot's cgroup; S_ATTACHED (v1: with its `tasks` files,
 *   the slot moves itself: sbx_child_join_cgroup()) -->
 *   job thread --S_JOB(code, data)----------------------->    drops privileges,
 *   supervise: output, limits, seccomp listener               seccomp, runs,
 *   job thread <--CTL_EXITING(code)------------------------   announces, exits
 *   dispatcher <--Z_EXITED(status, usage)-- zygote reaps
 *   preparer: the slot's cgroup removed, after the job's result
 *
 * Two threads: the dispatcher owns the zygote and its channel (a slot's
 * exit status passes through it, so it never blocks on anything slow), the
 * preparer moves new slots into their cgroups and removes the cgroups of
 * finished ones.  If the zygote dies, the dispatcher restarts it; jobs
 * wait for a slot.
 */

#include "pyrt/pool.h"

#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <libgen.h>
#include <limits.h>

/* Where the zygote binary and the Python package live: next to us. */
static char *beside_exe(const char *name)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return NULL;
	exe[n] = '\0';
	return str_printf("%s/%s", dirname(exe), name);
}

static char *allowed_list(const sbx_check_policy *policy)
{
	sbx_check_policy *own = policy ? NULL : sbx_check_policy_default();
	const char *const *names;
	size_t n = sbx_check_policy_imports(policy ? policy : own, &names);
	size_t len = 1;
	for (size_t i = 0; i < n; i++)
		len += strlen(names[i]) + 1;
	char *s = calloc(1, len);
	for (size_t i = 0; s && i < n; i++) {
		if (i)
			strcat(s, ",");
		strcat(s, names[i]);
	}
	sbx_check_policy_free(own);
	return s;
}

/* Which zygote: stratbox-zygote for the host's Python (libpython linked
 * in, as /usr/bin/python3.11 has it), stratbox-zygote-shared for an
 * environment with a tree of its own (it loads the tree's libpython, so
 * interpreter and standard library match; Makefile, docs/environments.md).
 * A zygote the caller names stands for both: its "-shared" sibling is
 * taken for a tree when there is one. */
static char *zygote_for(const struct sbx_pool_options *opt)
{
	if (opt->zygote_path == NULL)
		return beside_exe(opt->rootfs ? "stratbox-zygote-shared" : "stratbox-zygote");
	if (opt->rootfs == NULL)
		return realpath(opt->zygote_path, NULL);
	/* never the linked-in interpreter on another tree's standard library */
	char *shared = str_printf("%s-shared", opt->zygote_path);
	char *r = shared ? realpath(shared, NULL) : NULL;
	free(shared);
	return r;
}

/* What sbx_pool_start() set up, once no thread runs. */
static void pool_free(struct sbx_pool *p)
{
	sbx_unregister(p->reg);
	sbx_config_free(p->zcfg);
	free(p->zygote_path);
	free(p->package_dir);
	free(p->allowed_csv);
	pool_close_fd(&p->wake_r);
	pool_close_fd(&p->wake_w);
	pool_close_fd(&p->pwake_r);
	pool_close_fd(&p->pwake_w);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p);
}

/* In the run directory for `stratbox ps` and `kill` (best effort: a pool
 * runs without); its zygotes name it as their owner. */
static void pool_register(struct sbx_pool *p)
{
	struct sbx_register_info ri = { "pool", p->opt.env_name, p->opt.cgroup_parent, NULL };
	if (sbx_register(&ri, &p->reg, NULL) == 0)
		sbx_config_set_owner(p->zcfg, sbx_registration_id(p->reg));
}

int sbx_pool_start(const struct sbx_pool_options *opt, sbx_pool **out, sbx_error **err)
{
	struct sbx_pool *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return sbx_error_set(err, ENOMEM, "pool");
	p->opt = *opt;
	if (p->opt.warm == 0)
		p->opt.warm = 2;
	if (p->opt.warm > 32)
		p->opt.warm = 32;
	p->chan = -1;
	p->zpidfd = -1;
	p->wake_r = p->wake_w = p->pwake_r = p->pwake_w = -1;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	/* absolute: both are copied into the zygote's sandbox */
	p->zygote_path = zygote_for(opt);
	p->package_dir = opt->package_dir ? realpath(opt->package_dir, NULL) : beside_exe("python");
	p->allowed_csv = allowed_list(opt->policy);
	int wk[2], pw[2];
	if (p->zygote_path == NULL || p->package_dir == NULL) {
		sbx_error_set(err, errno ? errno : ENOMEM, "%s %s",
			      p->zygote_path == NULL ? "zygote" : "Python package directory",
			      p->zygote_path == NULL ? (opt->zygote_path ? opt->zygote_path : "")
						     : (opt->package_dir ? opt->package_dir : ""));
		goto fail;
	}
	if (p->allowed_csv == NULL || pipe2(wk, O_CLOEXEC | O_NONBLOCK) < 0) {
		sbx_error_set(err, errno ? errno : ENOMEM, "pool");
		goto fail;
	}
	p->wake_r = wk[0];
	p->wake_w = wk[1];
	if (pipe2(pw, O_CLOEXEC | O_NONBLOCK) < 0) {
		sbx_error_set(err, errno, "pool");
		goto fail;
	}
	p->pwake_r = pw[0];
	p->pwake_w = pw[1];
	if (access(p->zygote_path, X_OK) < 0) {
		sbx_error_set(err, errno, "zygote %s", p->zygote_path);
		goto fail;
	}
	if (zygote_config(p, err) < 0 ||
	    (opt->no_audit_hook && sbx_config_add_env(p->zcfg, "STRATBOX_AUDIT_HOOK=off", err) < 0) ||
	    sbx_config_set_env_name(p->zcfg, opt->env_name, err) < 0)
		goto fail;
	pool_register(p);
	/* The first zygote starts here, so a broken set-up is an error now. */
	if (zygote_start(p, err) < 0) {
		zygote_reset(p);
		goto fail;
	}
	if (pthread_create(&p->prep, NULL, preparer, p) != 0) {
		sbx_error_set(err, EAGAIN, "pool thread");
		zygote_reset(p);
		goto fail;
	}
	if (pthread_create(&p->thread, NULL, dispatcher, p) != 0) {
		sbx_error_set(err, EAGAIN, "pool thread");
		p->stopping = true;
		pool_wake(p);
		pthread_join(p->prep, NULL);
		zygote_reset(p);
		goto fail;
	}
	*out = p;
	return 0;
fail:
	pool_free(p);
	return -1;
}

void sbx_pool_prefault(sbx_pool *p, bool on)
{
	atomic_store(&p->no_prefault, !on);
}

void sbx_pool_stop(sbx_pool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stopping = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pool_wake(p);
	pthread_join(p->thread, NULL);
	pthread_join(p->prep, NULL);
	pthread_mutex_lock(&p->mu);
	while (p->slots != NULL)
		pool_retire_slot(p, p->slots);
	pthread_mutex_unlock(&p->mu);
	release_retired(p);
	while (p->nspare_cg > 0)
		sbx_cgroup_destroy(p->spare_cg[--p->nspare_cg]);
	pool_free(p);
}
