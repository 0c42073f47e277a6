/* The "none" cgroup backend: no usable cgroup hierarchy (an unprivileged
 * user without a delegated cgroup, or STRATBOX_CGROUP=none).  Every limit
 * it cannot enforce is listed in the verdict's message; the rlimit
 * fallbacks (RLIMIT_NPROC, RLIMIT_CPU, RLIMIT_DATA) still apply, and the
 * pid namespace still guarantees nothing outlives the run. */
#include "common/util.h"
#include "sandbox/internal.h"

#include <errno.h>
#include <string.h>

static int none_create(const struct cgroup_backend *b, const char *parent, const char *name,
		       const struct cg_limits *lim, struct sbx_cgroup **out, sbx_error **err)
{
	(void) lim;
	if (parent != NULL)
		return sbx_error_set(err, 0, "--cgroup-parent %s given, but no cgroup hierarchy is usable (%s)",
				     parent, b->why_none);
	struct sbx_cgroup *cg = calloc(1, sizeof(*cg));
	if (cg == NULL)
		return sbx_error_set(err, ENOMEM, "cgroup");
	cg->b = b;
	cg->dir_fd = -1;
	snprintf(cg->name, sizeof(cg->name), "%s", name);
	*out = cg;
	return 0;
}

static int none_attach(struct sbx_cgroup *cg, pid_t pid, sbx_error **err)
{
	(void) cg, (void) pid, (void) err;
	return 0;
}

static int none_set_limits(struct sbx_cgroup *cg, const struct cg_limits *lim, sbx_error **err)
{
	(void) cg, (void) lim, (void) err;
	return 0;
}

static int none_event_fds(struct sbx_cgroup *cg, int *fds, short *events, int max)
{
	(void) cg, (void) fds, (void) events, (void) max;
	return 0;
}

static int none_read_stats(struct sbx_cgroup *cg, struct cg_stats *st)
{
	(void) cg;
	memset(st, 0, sizeof(*st));
	return 0;
}

static int none_kill_all(struct sbx_cgroup *cg)
{
	(void) cg;
	return 0;
}

static int none_destroy(struct sbx_cgroup *cg, sbx_error **err)
{
	(void) err;
	cgroup_free(cg);
	return 0;
}

static int none_cleanup_stale(const struct cgroup_backend *b, const char *parent, sbx_error **err)
{
	(void) b, (void) parent, (void) err;
	return 0;
}

const struct cgroup_ops cgroup_none_ops = {
	.name = "none",
	.create = none_create,
	.attach = none_attach,
	.set_limits = none_set_limits,
	.event_fds = none_event_fds,
	.read_stats = none_read_stats,
	.kill_all = none_kill_all,
	.destroy = none_destroy,
	.cleanup_stale = none_cleanup_stale,
};
