/* The sandbox's face for runtimes (runtime.h), over its internals. */
#include "sandbox/runtime.h"

#include "common/util.h"
#include "sandbox/internal.h"
#include "sandbox/launch.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

_Static_assert(SBX_CPU_PERIOD_US == CG_CPU_PERIOD_US, "one CPU period for everyone");

void sbx_config_clear_fds(sbx_config *cfg)
{
	cfg->npassfds = 0;
}

void sbx_config_no_wall_limit(sbx_config *cfg)
{
	cfg->wall_ns = UINT64_MAX / 4; /* far beyond any run, and no overflow when added */
}

void sbx_config_limits(const sbx_config *cfg, struct sbx_limits *out)
{
	memset(out, 0, sizeof(*out));
	out->memory = cfg->memory;
	out->pids = cfg->pids;
	out->millicpus = cfg->millicpus;
	out->cpu_time_ns = cfg->cpu_time_ns;
	out->wall_ns = cfg->wall_ns;
	out->output = cfg->output_limit;
	out->tmp = cfg->tmp_size;
}

/* ---- job cgroups ------------------------------------------------------- */

static struct cg_limits cg_limits_of(const struct sbx_limits *lim)
{
	/* the CPU-time counter live: a runtime's process is not the caller's
	 * child, so its CPU time comes from the cgroup */
	struct cg_limits l = { lim->memory, lim->pids, lim->millicpus, true };
	return l;
}

int sbx_cgroup_create(const char *parent, const struct sbx_limits *lim, sbx_cgroup **out,
		      sbx_error **err)
{
	const struct cgroup_backend *b = cgroup_backend_get(err);
	char name[64];
	if (b == NULL)
		return -1;
	if (cgroup_job_name(name, sizeof(name)) < 0)
		return sbx_error_set(err, errno, "cgroup name");
	struct cg_limits l = cg_limits_of(lim);
	return b->ops->create(b, parent, name, &l, out, err);
}

int sbx_cgroup_join_fds(sbx_cgroup *cg, int *fds, int max, sbx_error **err)
{
	return cg->b->ops->join_fds ? cg->b->ops->join_fds(cg, fds, max, err) : 0;
}

int sbx_cgroup_attach(sbx_cgroup *cg, pid_t pid, sbx_error **err)
{
	return cg->b->ops->attach(cg, pid, err);
}

int sbx_cgroup_set_limits(sbx_cgroup *cg, const struct sbx_limits *lim, sbx_error **err)
{
	struct cg_limits l = cg_limits_of(lim);
	return cg->b->ops->set_limits(cg, &l, err);
}

int sbx_cgroup_recycle(sbx_cgroup *cg)
{
	return cgroup_recycle(cg);
}

void sbx_cgroup_destroy(sbx_cgroup *cg)
{
	if (cg != NULL)
		cg->b->ops->destroy(cg, NULL);
}

const char *sbx_cgroup_backend_name(void)
{
	return cgroup_backend_get(NULL)->ops->name;
}

/* ---- watching a process the runtime started ---------------------------- */

struct sbx_watch {
	struct supervisor sv;
};

int sbx_watch_new(const struct sbx_watch_spec *spec, sbx_watch **out, sbx_error **err)
{
	sbx_watch *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return sbx_error_set(err, ENOMEM, "watch");
	struct supervisor *s = &w->sv;
	supervisor_init(s);
	supervisor_attach(s, spec->cfg, spec->cg, spec->out_fd, spec->err_fd, spec->ctl_fd,
			  spec->pidfd);
	s->status_fd = spec->status_fd;
	s->on_frame = spec->on_frame;
	s->frame_ctx = spec->frame_ctx;
	s->accept_exiting = spec->accept_exiting;
	s->ctl_hostile_after_listener = spec->ctl_hostile_after_listener;
	if (sandbox_alloc_streams(s, spec->cfg, err) < 0) {
		free(s->out.data);
		free(s->err.data);
		free(w);
		return -1;
	}
	*out = w;
	return 0;
}

void sbx_watch_go(sbx_watch *w, bool delivered)
{
	w->sv.t_go = now_ns();
	if (!delivered)
		w->sv.killed = true; /* it is gone: its status says why */
}

uint64_t sbx_watch_started_ns(const sbx_watch *w)
{
	return w->sv.t_go;
}

void sbx_watch_run(sbx_watch *w)
{
	supervise(&w->sv);
}

void sbx_watch_seen(const sbx_watch *w, struct sbx_watch_seen *seen)
{
	const struct supervisor *s = &w->sv;
	seen->have_status = s->ev.have_status;
	seen->stopped = s->ev.stop != STOP_NONE;
	seen->setup_failed = s->ev.setup_failed;
	seen->ctl_rejected = s->ctl_rejected;
}

void sbx_watch_finish(sbx_watch *w, const struct sbx_usage *reaped, sbx_verdict *v)
{
	struct supervisor *s = &w->sv;
	if (reaped != NULL) {
		s->proc_utime_ns = reaped->utime_ns;
		s->proc_stime_ns = reaped->stime_ns;
		s->proc_maxrss = reaped->maxrss;
	}
	/* neither writes v->setup_ns: the caller's stays */
	sandbox_verdict_limits(v, s->cfg);
	sandbox_collect_verdict(v, s);
	v->cgroup_backend = sbx_cgroup_backend_name();
	supervisor_deliver(s);
	v->teardown_ns = now_ns() - s->t_end;
	free(s->out.data); /* what the verdict did not take over */
	free(s->err.data);
	free(w);
}

/* ---- the child side ------------------------------------------------------ */

int sbx_child_drop(const struct sbx_child_limits *lim, int report_fd)
{
	struct privs_plan pp = { .userns = true,
				 .cpu_time_ns = lim->cpu_time_ns,
				 .fsize = lim->fsize,
				 .nofile = lim->nofile };
	if (privs_apply_rlimits(&pp, report_fd) < 0 || privs_drop(&pp, report_fd) < 0)
		return -1;
	return 0;
}

int sbx_child_seccomp(enum sbx_policy policy, int report_fd)
{
	const struct seccomp_prog *prog = NULL;
	/* the program was compiled at build time: nothing is allocated */
	if (seccomp_prog_get(policy, &prog, NULL) < 0) {
		child_fail(report_fd, STAGE_SETUP, EINVAL, "seccomp policy");
		return -1;
	}
	bool notifies = seccomp_policy_notifies(policy);
	int listener = seccomp_install(prog, notifies);
	if (listener < 0) {
		child_fail(report_fd, STAGE_SETUP, -listener, "install the seccomp filter");
		return -1;
	}
	if (!notifies)
		return 0;
	int r = ctl_send_listener(report_fd, listener);
	int saved = errno;
	close(listener);
	if (r < 0) {
		child_fail(report_fd, STAGE_SETUP, saved, "pass the seccomp listener");
		return -1;
	}
	return 0;
}

int sbx_child_join_cgroup(const int *fds, int n)
{
	return cgroup_join_self(fds, n);
}

int sbx_child_protect_proc(const char *proc, const char **failed)
{
	return rootfs_proc_protect(proc, failed);
}
