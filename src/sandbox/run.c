/* sbx_run(): one sandboxed command from configuration to verdict.
 *
 *   prepare (plan mounts, compile seccomp, environment)   -- setup_ns
 *   clone the init  ||  create the job cgroup, attach, GO  (in parallel:
 *                       the init builds its root meanwhile)
 *   supervise until the sandbox is gone                   -- run_ns
 *   collect cgroup evidence, remove the cgroup            -- teardown_ns
 */
#include "common/parse.h"
#include "common/util.h"
#include "sandbox/launch.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

void sandbox_verdict_limits(sbx_verdict *v, const struct sbx_config *cfg)
{
	v->limits.memory = cfg->memory;
	v->limits.pids = cfg->pids;
	v->limits.millicpus = cfg->millicpus;
	v->limits.cpu_time_ns = cfg->cpu_time_ns;
	v->limits.wall_ns = cfg->wall_ns;
	v->limits.output = cfg->output_limit;
	v->limits.tmp = cfg->tmp_size;
}

static void set_message(sbx_verdict *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_message(sbx_verdict *v, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *m = NULL;
	if (vasprintf(&m, fmt, ap) >= 0) {
		free(v->message);
		v->message = m;
	}
	va_end(ap);
}

/* Kill and reap the init after a failure before GO. */
static void abort_launch(struct launch *l)
{
	if (l->init_pidfd >= 0)
		syscall(SYS_pidfd_send_signal, l->init_pidfd, SIGKILL, NULL, 0);
	if (l->init_pid > 0)
		waitpid(l->init_pid, NULL, __WALL);
	l->init_pid = -1;
}

static int fail_verdict(sbx_verdict *v, sbx_error **err, uint64_t t0)
{
	v->status = SBX_SANDBOX_ERROR;
	v->exit_code = 125;
	set_message(v, "sandbox setup failed: %s", (err && *err) ? (*err)->msg : "unknown error");
	v->setup_ns = now_ns() - t0;
	return -1;
}

static const char *describe_status(const sbx_verdict *v, const struct sbx_config *cfg, char *buf,
				   size_t size)
{
	char a[32];
	buf[0] = '\0';
	switch (v->status) {
	case SBX_OK: return buf;
	case SBX_NONZERO_EXIT: snprintf(buf, size, "exited with code %d", v->exit_code); break;
	case SBX_SIGNALED: snprintf(buf, size, "killed by signal %d (%s)", v->signal, strsignal(v->signal)); break;
	case SBX_TIMEOUT_WALL:
		snprintf(buf, size, "wall time limit of %.3f s reached", (double) cfg->wall_ns / 1e9);
		break;
	case SBX_TIMEOUT_CPU:
		snprintf(buf, size, "CPU time limit of %.3f s reached", (double) cfg->cpu_time_ns / 1e9);
		break;
	case SBX_MEMORY_LIMIT:
		format_size(cfg->memory, a, sizeof(a));
		snprintf(buf, size, "memory limit of %s reached: the kernel's OOM killer stopped the job", a);
		break;
	case SBX_PIDS_LIMIT:
		snprintf(buf, size, "process limit of %llu reached: a fork was refused", (unsigned long long) cfg->pids);
		break;
	case SBX_OUTPUT_LIMIT:
		format_size(cfg->output_limit, a, sizeof(a));
		snprintf(buf, size, "output limit of %s per stream reached; output before the cap is kept", a);
		break;
	case SBX_SYSCALL_VIOLATION:
		snprintf(buf, size, "forbidden system call %s", v->syscall);
		break;
	case SBX_SANDBOX_ERROR: snprintf(buf, size, "sandbox error"); break;
	}
	return buf;
}

void sandbox_finish_verdict(sbx_verdict *v, struct supervisor *s, const struct sbx_config *cfg,
			    const struct cg_stats *st)
{
	struct evidence *e = &s->ev;
	e->oom_kills = st->oom_kills;
	e->pids_max_events = st->pids_max_events;
	e->out_truncated = s->out.truncated;
	e->err_truncated = s->err.truncated;
	e->cpu_usage_ns = st->have_cpu ? st->cpu_usage_ns : s->proc_utime_ns + s->proc_stime_ns;
	e->cpu_limit_ns = cfg->cpu_time_ns;
	e->run_ns = s->t_end - s->t_go;
	e->wall_limit_ns = cfg->wall_ns;

	v->status = verdict_decide(e, &v->exit_code, &v->signal);
	v->wall_ns = e->run_ns;
	v->run_ns = e->run_ns;
	if (st->have_cpu) {
		/* The user/system split is tick-sampled (v1) or rounded (v2);
		 * the total is exact.  Scale the split to the exact total so
		 * that user + sys is the CPU time the limit was judged on. */
		uint64_t split = st->cpu_user_ns + st->cpu_sys_ns;
		if (split > 0 && st->cpu_usage_ns > 0) {
			v->cpu_user_ns = (uint64_t) ((unsigned __int128) st->cpu_usage_ns *
						     st->cpu_user_ns / split);
			v->cpu_sys_ns = st->cpu_usage_ns - v->cpu_user_ns;
		} else {
			v->cpu_user_ns = st->cpu_usage_ns;
			v->cpu_sys_ns = 0;
		}
	} else {
		v->cpu_user_ns = s->proc_utime_ns;
		v->cpu_sys_ns = s->proc_stime_ns;
	}
	v->cpu_throttled_ns = st->throttled_ns;
	v->memory_peak_bytes = st->have_memory ? st->memory_peak : s->proc_maxrss;
	v->oom_kills = st->oom_kills;
	v->pids_max_events = st->pids_max_events;
	v->killed_by_supervisor = s->killed;
	if (e->have_status) {
		v->command_ended = true;
		if (WIFSIGNALED(e->wait_status)) {
			v->command_signal = WTERMSIG(e->wait_status);
			v->command_exit_code = 128 + v->command_signal;
		} else {
			v->command_exit_code = WEXITSTATUS(e->wait_status);
		}
	}
	if (e->seccomp_violation) {
		snprintf(v->syscall, sizeof(v->syscall), "%s", s->syscall);
		v->syscall_nr = s->syscall_nr;
		v->syscall_arch = s->syscall_arch;
	}
	v->out = s->out;
	v->err = s->err;
	memset(&s->out, 0, sizeof(s->out));
	memset(&s->err, 0, sizeof(s->err));

	char what[200];
	describe_status(v, cfg, what, sizeof(what));
	if (!e->have_status && e->stop == STOP_NONE && v->status == SBX_SANDBOX_ERROR)
		snprintf(what, sizeof(what), "the sandbox was killed from outside before its exit "
					     "status was known");
	const char *base = s->message[0] ? s->message : what;
	/* RLIMIT_DATA, the fallback, is not a memory limit: it caps each
	 * process's private heap, and shared mappings, /tmp and /dev/shm
	 * escape it.  Say so, rather than present it as the limit. */
	bool memory = strstr(v->unenforced, "memory") != NULL;
	if (v->unenforced[0])
		set_message(v, "%s%slimits not enforced (no usable cgroup controller): %s%s%s", base,
			    *base ? "; " : "", v->unenforced,
			    memory ? " (memory: only each process's private heap is capped, by "
				     "RLIMIT_DATA; shared mappings, /tmp and /dev/shm are not counted)"
				   : "",
			    geteuid() ? "; run `stratbox doctor` for how to delegate a cgroup" : "");
	else
		set_message(v, "%s", base);
}

void sandbox_collect_verdict(sbx_verdict *v, struct supervisor *s)
{
	struct cg_stats st;
	memset(&st, 0, sizeof(st));
	if (s->cg != NULL)
		cgroup_read_stats(s->cg, &st);
	sandbox_finish_verdict(v, s, s->cfg, &st);
	if (s->notify_fd >= 0)
		close(s->notify_fd);
	s->notify_fd = -1;
}

int sandbox_alloc_streams(struct supervisor *s, const struct sbx_config *cfg, sbx_error **err)
{
	if (cfg->out_mode != SBX_OUTPUT_CAPTURE)
		return 0;
	/* Grown on demand would be cheaper for small outputs, but a fixed
	 * buffer keeps the hot path simple; untouched pages cost nothing. */
	s->out.data = malloc(cfg->output_limit + 1);
	s->err.data = malloc(cfg->output_limit + 1);
	if (s->out.data == NULL || s->err.data == NULL)
		return sbx_error_set(err, ENOMEM, "output buffers");
	s->out.data[0] = s->err.data[0] = '\0';
	return 0;
}

struct sbx_proc {
	const struct sbx_config *cfg;
	const struct cgroup_backend *b;
	struct launch l;
	struct supervisor s;
	struct sbx_cgroup *cg;
	int join[CTL_MAX_FDS], njoin; /* v1: for the init to move itself */
	uint64_t t0;
	sbx_verdict v; /* filled as it goes: limits, backend, setup time */
	struct sbx_registration *reg; /* in the run directory, or NULL */
};

/* Clone the init, make and attach its cgroup. */
static int proc_launch(sbx_proc *p, sbx_error **err)
{
	const struct sbx_config *cfg = p->cfg;
	struct launch *l = &p->l;
	const struct cgroup_backend *b = p->b;
	char cgname[64];
	struct cg_limits lim = { cfg->memory, cfg->pids, cfg->millicpus, cfg->cpu_time_ns != 0 };
	if (launch_prepare(l, cfg, err) < 0 || sandbox_alloc_streams(&p->s, cfg, err) < 0)
		return -1;
	trace_mark("prepare (plan, seccomp, env)");
	if (cgroup_job_name(cgname, sizeof(cgname)) < 0)
		return sbx_error_set(err, errno, "cgroup name");
	if (b->ops->clone_into_fd != NULL) {
		/* v2: make the cgroup first and start the init inside it. */
		if (b->ops->create(b, cfg->cgroup_parent, cgname, &lim, &p->cg, err) < 0)
			return -1;
		trace_mark("cgroup create");
		if (launch_start(l, b->ops->clone_into_fd(p->cg), err) < 0)
			return -1;
		trace_mark("clone into cgroup");
		if (l->userns && launch_write_maps(l, err) < 0)
			return -1;
	} else {
		/* v1, none: while the init builds its root, make its cgroup
		 * and move it there. */
		if (launch_start(l, -1, err) < 0)
			return -1;
		trace_mark("clone");
		if (l->userns && launch_write_maps(l, err) < 0)
			return -1;
		if (b->ops->create(b, cfg->cgroup_parent, cgname, &lim, &p->cg, err) < 0)
			return -1;
		trace_mark("cgroup create");
		int n = b->ops->join_fds ? b->ops->join_fds(p->cg, p->join, CTL_MAX_FDS, err) : 0;
		if (n < 0)
			return -1;
		p->njoin = n;
		if (n == 0 && b->ops->attach(p->cg, l->init_pid, err) < 0)
			return -1;
		trace_mark(n ? "cgroup tasks files (the init joins)" : "cgroup attach");
	}
	cgroup_describe_missing(p->cg->usable, &lim, p->v.unenforced, sizeof(p->v.unenforced));
	return 0;
}

/* Arm the supervisor and let the init run the command. */
static void proc_go(sbx_proc *p)
{
	const struct sbx_config *cfg = p->cfg;
	struct launch *l = &p->l;
	struct ctl_msg go;
	memset(&go, 0, sizeof(go));
	go.type = CTL_GO;
	/* Fallbacks when the cgroup cannot enforce: RLIMIT_NPROC counts the
	 * sandbox uid's tasks in its own user namespace (init included);
	 * RLIMIT_DATA caps each process's heap. */
	if (!(p->cg->usable & CG_PIDS) && l->userns)
		go.nproc_limit = cfg->pids;
	if (!(p->cg->usable & CG_MEMORY))
		go.data_limit = cfg->memory;
	struct supervisor *s = &p->s;
	supervisor_attach(s, cfg, p->cg, l->out_r, l->err_r, l->ctl_parent, l->init_pidfd);
	s->reap_pid = l->init_pid;
	s->t_go = now_ns();
	p->v.setup_ns = s->t_go - p->t0;
	if (ctl_send_fds(l->ctl_parent, &go, sizeof(go), p->join, p->njoin) < 0)
		s->killed = true; /* the init died during setup; its report says why */
	while (p->njoin > 0)
		close(p->join[--p->njoin]);
}

/* Launch the sandbox and send GO.  On failure *out is NULL and fail_v (if
 * not NULL) holds the SANDBOX_ERROR verdict. */
int sbx_proc_start(const sbx_config *cfg, sbx_proc **out, sbx_verdict *fail_v, sbx_error **err)
{
	*out = NULL;
	sbx_proc *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return sbx_error_set(err, ENOMEM, "sandbox");
	p->cfg = cfg;
	p->t0 = now_ns();
	p->v.syscall_nr = -1;
	sandbox_verdict_limits(&p->v, cfg);
	supervisor_init(&p->s);
	struct launch *l = &p->l;
	l->ctl_parent = l->ctl_child = l->out_r = l->out_w = l->err_r = l->err_w = -1;
	l->init_pidfd = l->init_pid = -1;

	trace_mark("run: start");
	p->b = cgroup_backend_get(err);
	p->v.cgroup_backend = p->b->ops->name;
	trace_mark("cgroup detect");
	(void) p->b->ops->cleanup_stale(p->b, cfg->cgroup_parent, NULL);
	registry_sweep();
	trace_mark("stale cleanup");
	if (proc_launch(p, err) < 0) {
		while (p->njoin > 0)
			close(p->join[--p->njoin]);
		abort_launch(l);
		if (p->cg != NULL)
			p->b->ops->destroy(p->cg, NULL);
		free(p->s.out.data);
		free(p->s.err.data);
		launch_release(l);
		if (fail_v != NULL) {
			*fail_v = p->v;
			fail_verdict(fail_v, err, p->t0);
		}
		free(p);
		return -1;
	}
	/* registered while the init builds its root; gone only after the
	 * cgroup is (sbx_proc_wait) */
	struct reg_sandbox rs = { cfg, l->init_pid, p->cg };
	p->reg = registry_add_sandbox(&rs);
	p->s.kill_fd = registry_kill_fd(p->reg);
	trace_mark("register");
	proc_go(p);
	*out = p;
	return 0;
}

int sbx_proc_kill(sbx_proc *p)
{
	return (int) syscall(SYS_pidfd_send_signal, p->l.init_pidfd, SIGKILL, NULL, 0);
}

int sbx_proc_pidfd(const sbx_proc *p)
{
	return fcntl(p->l.init_pidfd, F_DUPFD_CLOEXEC, 3);
}

/* From GO to the verdict: supervise, collect the cgroup's evidence, remove
 * the cgroup.  Frees p. */
void sbx_proc_wait(sbx_proc *p, sbx_verdict *v)
{
	struct supervisor *s = &p->s;
	supervise(s);
	trace_mark("supervise (run)");

	uint64_t t_td = now_ns();
	*v = p->v;
	sandbox_collect_verdict(v, s);
	cleanup_error sbx_error *derr = NULL;
	if (p->b->ops->destroy(p->cg, &derr) < 0 && v->status != SBX_SANDBOX_ERROR) {
		/* The run itself is valid; say what was left behind. */
		set_message(v, "%s%scgroup cleanup failed: %s", v->message ? v->message : "",
			    v->message && *v->message ? "; " : "", derr->msg);
	}
	launch_release(&p->l);
	sbx_unregister(p->reg);
	v->teardown_ns = now_ns() - t_td;
	trace_mark("teardown");
	/* the sandbox and its cgroup are gone: only now wait for our reader */
	supervisor_deliver(s);
	free(p);
}

int sbx_run(const sbx_config *cfg, sbx_verdict *v, sbx_error **err)
{
	sbx_proc *p = NULL;
	if (sbx_proc_start(cfg, &p, v, err) < 0)
		return -1;
	sbx_proc_wait(p, v);
	return 0;
}
