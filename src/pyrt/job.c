/* One job on a warm slot: give the slot's cgroup the job's limits, send the
 * code and data as sealed memfds, and supervise it exactly like
 * `stratbox run` supervises its command.  Every number in the result comes
 * from this side: the kernel's exit status (reported by the zygote, which
 * reaped the slot), the cgroup's counters, the bytes read from the pipes.
 * The only thing the strategy itself sends is a description of its own
 * exception, over a channel the host treats as hostile (pyrt/protocol.h):
 * it is shown only as the job's own account of why it exited non-zero,
 * never as the status or message of any other outcome. */
#include "common/parse.h"
#include "common/util.h"
#include "pyrt/pool.h"
#include "pyrt/protocol.h"
#include "validate/violations.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

struct job_ctx {
	struct pyrt_reports reports;
};

static void on_frame(void *arg, const char *data, size_t len)
{
	struct job_ctx *ctx = arg;
	pyrt_frame_apply(&ctx->reports, data, len);
}

static int sealed_memfd(const char *name, const char *data, size_t len)
{
	int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -1;
	if (write_all(fd, data, len) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The job's limits as a sandbox configuration (defaults where 0). */
static int job_config(const struct sbx_job *job, sbx_config **out, sbx_error **err)
{
	sbx_config *c = sbx_config_new();
	if (c == NULL)
		return sbx_error_set(err, ENOMEM, "job");
	if ((job->memory && sbx_config_set_memory(c, job->memory, err) < 0) ||
	    (job->pids && sbx_config_set_pids(c, job->pids, err) < 0) ||
	    (job->millicpus && sbx_config_set_cpus(c, job->millicpus, err) < 0) ||
	    (job->cpu_time_ns && sbx_config_set_cpu_time(c, job->cpu_time_ns, err) < 0) ||
	    (job->timeout_ns && sbx_config_set_wall_time(c, job->timeout_ns, err) < 0) ||
	    (job->output_limit && sbx_config_set_output_limit(c, job->output_limit, err) < 0) ||
	    (job->tmp_size && sbx_config_set_tmp_size(c, job->tmp_size, err) < 0)) {
		sbx_config_free(c);
		return -1;
	}
	if (job->cancel_fd > 0)
		sbx_config_set_cancel_fd(c, job->cancel_fd);
	*out = c;
	return 0;
}

/* Wait for a ready slot and take it. */
static struct slot *take_slot(struct sbx_pool *p)
{
	pthread_mutex_lock(&p->mu);
	for (;;) {
		if (p->stopping) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		for (struct slot *s = p->slots; s; s = s->next) {
			if (s->state == SLOT_READY) {
				s->state = SLOT_BUSY;
				p->jobs++;
				pthread_mutex_unlock(&p->mu);
				pool_wake(p); /* refill */
				return s;
			}
		}
		pthread_cond_wait(&p->cv, &p->mu);
	}
}

/* The job's own report of its exception, where it can be true: the job
 * exited with a non-zero code of its own.  For every other outcome (a
 * limit, a violation, a clean exit) the sandbox's account stands alone. */
static void take_reports(struct sbx_job_result *res, struct pyrt_reports *rep,
			 unsigned ctl_rejected)
{
	res->protocol_errors = rep->rejected + ctl_rejected;
	const struct pyrt_exception *e = &rep->exc;
	if (res->verdict.status != SBX_NONZERO_EXIT || e->type == NULL)
		return;
	res->error = str_printf("%s%s%s", e->type, *e->message ? ": " : "", e->message);
	res->traceback = e->traceback ? strdup(e->traceback) : NULL;
}

/* Send the job to the slot and watch it to the end; true when the slot
 * vanished without any outcome (its zygote died under it). */
static bool start_and_watch(struct sbx_pool *p, struct slot *s, const struct sbx_job *job,
			    const sbx_config *cfg, sbx_watch *w, struct job_ctx *ctx,
			    struct sbx_job_result *res, const int fds[3], uint64_t t0)
{
	struct sbx_limits lim;
	sbx_config_limits(cfg, &lim);
	struct zmsg m;
	memset(&m, 0, sizeof(m));
	m.type = S_JOB;
	m.seed = job->has_seed ? job->seed : 0;
	m.tmp_size = lim.tmp;
	m.nofile = SBX_DEFAULT_NOFILE;
	m.cpu_time_ns = lim.cpu_time_ns;
	m.code_len = job->code_len;
	m.data_len = job->data_len;
	int send[3] = { fds[0] }, nsend = 1;
	if (fds[1] >= 0) {
		m.flags |= JF_DATA;
		send[nsend++] = fds[1];
	}
	if (fds[2] >= 0) {
		m.flags |= JF_LOCKSTEP;
		send[nsend++] = fds[2];
	}
	bool sent = ctl_send_fds(s->ctl, &m, sizeof(m), send, nsend) == 0;
	sbx_watch_go(w, sent);
	res->verdict.setup_ns = sbx_watch_started_ns(w) - t0;
	sbx_watch_run(w);
	struct sbx_watch_seen seen;
	sbx_watch_seen(w, &seen);
	pthread_mutex_lock(&p->mu); /* the zygote's report of the reaped slot */
	struct sbx_usage usage = { s->utime_ns, s->stime_ns, s->maxrss };
	pthread_mutex_unlock(&p->mu);
	/* evidence read and the verdict built; the slot's cgroup is
	 * recycled or removed after the result, by the preparer */
	sbx_watch_finish(w, &usage, &res->verdict);
	take_reports(res, &ctx->reports, seen.ctl_rejected);
	return !seen.have_status && !seen.stopped && !seen.setup_failed &&
	       res->verdict.status == SBX_SANDBOX_ERROR;
}

static int run_once(sbx_pool *p, const struct sbx_job *job, struct sbx_job_result *res,
		    sbx_error **err, bool *lost);

/* A job whose slot vanished without an exit status (its zygote died under
 * it) has no trustworthy outcome; strategy code is a pure computation, so
 * it is run once more on a fresh slot. */
int sbx_pool_run(sbx_pool *p, const struct sbx_job *job, struct sbx_job_result *res,
		 sbx_error **err)
{
	bool lost = false;
	int r = run_once(p, job, res, err, &lost);
	if (r == 0 && lost && job->lockstep_fd <= 0) {
		uint64_t waited = res->queue_ns;
		sbx_job_result_clear(res);
		r = run_once(p, job, res, err, &lost);
		res->queue_ns += waited;
	}
	return r;
}

static int run_once(sbx_pool *p, const struct sbx_job *job, struct sbx_job_result *res,
		    sbx_error **err, bool *lost)
{
	memset(res, 0, sizeof(*res));
	res->verdict.syscall_nr = -1;
	uint64_t t0 = now_ns();
	cleanup_config sbx_config *cfg = NULL;
	if (job_config(job, &cfg, err) < 0)
		return -1;
	/* a backtest: counted before it takes its slot, so that the refill
	 * its taking starts holds back (refill() in pool-zygote.c) */
	bool lockstep = job->lockstep_fd > 0;
	if (lockstep)
		atomic_fetch_add(&p->lockstep_jobs, 1);
	struct slot *s = take_slot(p);
	if (s == NULL) {
		if (lockstep)
			atomic_fetch_sub(&p->lockstep_jobs, 1);
		return sbx_error_set_at(err, SBX_ERR_STOPPED, 0, 0, "the pool is stopping");
	}
	res->queue_ns = now_ns() - t0;
	res->warm = true;

	/* the job's own limits on the slot's cgroup, before any of its code */
	struct sbx_limits lim;
	sbx_config_limits(cfg, &lim);
	struct job_ctx ctx;
	memset(&ctx, 0, sizeof(ctx));
	struct sbx_watch_spec spec = {
		.cfg = cfg,
		.cg = s->cg,
		.out_fd = s->out_r,
		.err_fd = s->err_r,
		.ctl_fd = s->ctl,
		.status_fd = s->status_r,
		.pidfd = s->pidfd,
		.accept_exiting = s->cg != NULL,
		.ctl_hostile_after_listener = true, /* fd 3 is the job's too */
		.on_frame = on_frame,
		.frame_ctx = &ctx,
	};
	cleanup_error sbx_error *lerr = NULL;
	sbx_watch *w = NULL;
	cleanup_close int code_fd = sealed_memfd("strategy.py", job->code, job->code_len);
	cleanup_close int data_fd =
		job->data ? sealed_memfd("data.json", job->data, job->data_len) : -1;
	/* the lockstep region is the caller's */
	const int fds[3] = { code_fd, data_fd, job->lockstep_fd > 0 ? job->lockstep_fd : -1 };
	if (fds[0] < 0 || (job->data && fds[1] < 0) ||
	    (s->cg != NULL && sbx_cgroup_set_limits(s->cg, &lim, &lerr) < 0) ||
	    sbx_watch_new(&spec, &w, &lerr) < 0) {
		res->verdict.status = SBX_SANDBOX_ERROR;
		res->verdict.exit_code = 125;
		res->verdict.message = str_printf("job setup failed: %s",
						  lerr ? lerr->msg : strerror(errno));
	} else {
		*lost = start_and_watch(p, s, job, cfg, w, &ctx, res, fds, t0);
	}
	pyrt_reports_clear(&ctx.reports);
	pthread_mutex_lock(&p->mu);
	s->job_done = true;
	if (!s->exited)
		syscall(SYS_pidfd_send_signal, s->pidfd, SIGKILL, NULL, 0);
	/* retired here once the zygote has reported its end, else on that report */
	if (s->exited)
		pool_retire_slot(p, s);
	pthread_mutex_unlock(&p->mu);
	if (lockstep) {
		atomic_fetch_sub(&p->lockstep_jobs, 1);
		pool_wake(p); /* the slots held back */
	}
	return 0;
}

void sbx_job_result_clear(struct sbx_job_result *r)
{
	sbx_verdict_clear(&r->verdict);
	free(r->error);
	free(r->traceback);
	memset(r, 0, sizeof(*r));
}
