/* The Python pool: one zygote in a base sandbox, and a dispatcher thread
 * that keeps `warm` slots forked ahead of demand.
 *
 *   host                          zygote (sandboxed)          slot (forked)
 *   dispatcher --Z_SPAWN(fds)-->  fork into new pid ns  -->   mounts, [prefault],
 *   preparer <--S_READY (SCM_CREDENTIALS: host pid)--------   S_READY, waits
 *   create the slot's cgroup; S_ATTACHED (v1: with its `tasks` files,
 *   the slot moves itself: cgroup_join_self()) -->
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
#include "sandbox/launch.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define ZYGOTE_IN_SANDBOX "/opt/stratbox/bin/stratbox-zygote"
#define PACKAGE_IN_SANDBOX "/opt/stratbox/python"
#define ZYGOTE_START_NS (120ull * 1000000000ull)

void pool_default_limits(struct cg_limits *lim)
{
	lim->memory = SBX_DEFAULT_MEMORY;
	lim->pids = SBX_DEFAULT_PIDS;
	lim->millicpus = SBX_DEFAULT_MILLICPUS;
	lim->cpu_usage = true; /* the host is not the slot's parent: CPU time from the cgroup */
}

static void pool_wake_preparer(struct sbx_pool *p)
{
	char c = 1;
	if (write(p->pwake_w, &c, 1) < 0)
		return; /* a full pipe already wakes it */
}

void pool_wake(struct sbx_pool *p)
{
	char c = 1;
	/* a full pipe already wakes its reader */
	if (write(p->wake_w, &c, 1) < 0 || write(p->pwake_w, &c, 1) < 0)
		return;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void pool_retire_slot(struct sbx_pool *p, struct slot *s)
{
	/* Several threads may give up on one slot (the zygote died while the
	 * preparer was attaching it): the first retires it. */
	if (s->retired)
		return;
	s->retired = true;
	for (struct slot **pp = &p->slots; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	if (s->pidfd >= 0 && !s->exited)
		syscall(SYS_pidfd_send_signal, s->pidfd, SIGKILL, NULL, 0);
	s->next = p->retired;
	p->retired = s;
	pool_wake(p);
}

/* Release one retired slot (without the lock; preparer, or the pool's
 * stop).  Its cgroup is kept for a new slot when the backend can make it
 * as good as new (see cgroup_ops.recycle): a mkdir and rmdir in every v1
 * hierarchy per job cost more than the rest of the host's work. */
static void release_slot(struct sbx_pool *p, struct slot *s)
{
	if (s->cg != NULL) {
		/* whether it is as good as new is decided when it is given out
		 * (slot_cgroup()), once the kernel has finished uncharging what
		 * the last job freed */
		bool keep = !p->stopping && p->nspare_cg < POOL_SPARE_CGROUPS;
		if (keep) {
			pthread_mutex_lock(&p->mu); /* for sbx_pool_stats() */
			p->spare_at[p->nspare_cg] = now_ns();
			p->spare_cg[p->nspare_cg++] = s->cg;
			pthread_mutex_unlock(&p->mu);
		} else {
			p->b->ops->destroy(s->cg, NULL);
		}
	}
	close_fd(&s->ctl);
	close_fd(&s->out_r);
	close_fd(&s->err_r);
	close_fd(&s->status_r);
	close_fd(&s->status_w);
	close_fd(&s->pidfd);
	free(s);
}

static void release_retired(struct sbx_pool *p)
{
	pthread_mutex_lock(&p->mu);
	struct slot *list = p->retired;
	p->retired = NULL;
	pthread_mutex_unlock(&p->mu);
	while (list != NULL) {
		struct slot *next = list->next;
		release_slot(p, list);
		list = next;
	}
}

static struct slot *find_slot(struct sbx_pool *p, uint32_t id)
{
	for (struct slot *s = p->slots; s; s = s->next)
		if (s->id == id)
			return s;
	return NULL;
}

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

static int zygote_config(struct sbx_pool *p, sbx_error **err)
{
	sbx_config *c = sbx_config_new();
	if (c == NULL)
		return sbx_error_set(err, ENOMEM, "pool");
	p->zcfg = c;
	char *const argv[] = { (char *) ZYGOTE_IN_SANDBOX };
	char allowed[2200];
	snprintf(allowed, sizeof(allowed), "STRATBOX_ALLOWED_IMPORTS=%s", p->allowed_csv);
	/* One BLAS/OpenMP thread and a fixed hash seed: deterministic jobs,
	 * and a zygote without threads, which forking requires. */
	static const char *const env[] = {
		"PYTHONHASHSEED=0",	  "OPENBLAS_NUM_THREADS=1", "OMP_NUM_THREADS=1",
		"MKL_NUM_THREADS=1",	  "NUMEXPR_NUM_THREADS=1",  "VECLIB_MAXIMUM_THREADS=1",
		"PYTHONDONTWRITEBYTECODE=1", "PYTHONNOUSERSITE=1",
	};
	if (sbx_config_set_argv(c, 1, argv, err) < 0 ||
	    sbx_config_add_copy(c, p->zygote_path, ZYGOTE_IN_SANDBOX, err) < 0 ||
	    sbx_config_add_copy(c, p->package_dir, PACKAGE_IN_SANDBOX, err) < 0 ||
	    sbx_config_add_env(c, allowed, err) < 0 || sbx_config_add_dir(c, "/workspace", err) < 0 ||
	    sbx_config_set_memory(c, 2ull << 30, err) < 0 || sbx_config_set_pids(c, 512, err) < 0 ||
	    sbx_config_set_cpus(c, 2000, err) < 0 ||
	    /* its /tmp is unused, but its size is also the RLIMIT_FSIZE
	     * ceiling every slot inherits and cannot raise */
	    sbx_config_set_tmp_size(c, 4ull << 30, err) < 0)
		return sbx_error_wrap(err, "zygote sandbox");
	for (size_t i = 0; i < ARRAY_SIZE(env); i++)
		if (sbx_config_add_env(c, env[i], err) < 0)
			return -1;
	if (p->opt.cgroup_parent && sbx_config_set_cgroup_parent(c, p->opt.cgroup_parent, err) < 0)
		return -1;
	c->wall_ns = UINT64_MAX / 4; /* lives as long as the pool */
	sbx_config_set_policy(c, SBX_POLICY_ZYGOTE);
	sbx_config_keep_caps(c);
	sbx_config_set_output(c, SBX_OUTPUT_PASSTHROUGH, p->opt.log_fd, p->opt.log_fd);
	return 0;
}

/* Receive one message and, with SO_PASSCRED on, the sender's pid as the
 * kernel translated it into our pid namespace (0 when absent).  No
 * descriptors are accepted here. */
static ssize_t recv_with_pid(int fd, struct zmsg *m, int flags, pid_t *pid)
{
	struct ctl_recv_info info;
	ssize_t n = ctl_recv(fd, m, sizeof(*m), flags, 0, &info);
	*pid = info.pid;
	return n;
}

/* Kill the zygote's sandbox: through our own pidfd, never through zproc,
 * which the monitor frees as soon as the sandbox is gone. */
static void zygote_kill(struct sbx_pool *p)
{
	if (p->zpidfd >= 0)
		syscall(SYS_pidfd_send_signal, p->zpidfd, SIGKILL, NULL, 0);
}

static void *zygote_monitor(void *arg)
{
	struct sbx_pool *p = arg;
	sbx_verdict v;
	sbx_proc_wait(p->zproc, &v);
	if (!p->stopping && p->opt.log_fd >= 0)
		dprintf(p->opt.log_fd, "stratbox: pool zygote ended: %s: %s\n",
			sbx_status_name(v.status), v.message ? v.message : "");
	sbx_verdict_clear(&v);
	return NULL;
}

/* Start a zygote and wait until it has imported everything. */
static int zygote_start(struct sbx_pool *p, sbx_error **err)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return sbx_error_set(err, errno, "pool channel");
	p->zcfg->npassfds = 0;
	if (sbx_config_pass_fd(p->zcfg, sv[1], ZYG_FD_POOL, err) < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	trace_mark("zygote start");
	int r = sbx_proc_start(p->zcfg, &p->zproc, NULL, err);
	close(sv[1]);
	if (r < 0) {
		close(sv[0]);
		return sbx_error_wrap(err, "start the zygote");
	}
	p->zygote_starts++;
	p->chan = sv[0];
	p->zpidfd = sbx_proc_pidfd(p->zproc); /* before the monitor can free zproc */
	p->zpid = 0;
	int one = 1; /* its Z_READY carries its pid */
	setsockopt(p->chan, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	if (pthread_create(&p->zmon, NULL, zygote_monitor, p) != 0) {
		sbx_proc_kill(p->zproc); /* no monitor: still ours to reap */
		sbx_verdict v;
		sbx_proc_wait(p->zproc, &v);
		sbx_verdict_clear(&v);
		p->zproc = NULL;
		return sbx_error_set(err, EAGAIN, "zygote monitor thread");
	}
	p->zmon_running = true;
	struct pollfd pf = { p->chan, POLLIN, 0 };
	uint64_t deadline = now_ns() + ZYGOTE_START_NS;
	for (;;) {
		uint64_t now = now_ns();
		int ms = now >= deadline ? 0 : (int) ((deadline - now) / 1000000u);
		int pr = poll(&pf, 1, ms);
		if (pr < 0 && errno == EINTR)
			continue;
		struct zmsg m;
		pid_t zpid = 0;
		ssize_t n = pr > 0 ? recv_with_pid(p->chan, &m, 0, &zpid) : -1;
		if (n == (ssize_t) sizeof(m) && m.type == Z_READY) {
			m.text[sizeof(m.text) - 1] = '\0';
			snprintf(p->versions, sizeof(p->versions), "%s", m.text);
			int off = 0;
			setsockopt(p->chan, SOL_SOCKET, SO_PASSCRED, &off, sizeof(off));
			pthread_mutex_lock(&p->mu);
			p->zpid = zpid;
			pthread_mutex_unlock(&p->mu);
			trace_mark("zygote ready");
			return 0;
		}
		sbx_error_set(err, 0, "the zygote did not start (%s)",
			      pr == 0 ? "timed out importing" : "it exited; see its log");
		zygote_kill(p);
		return -1;
	}
}

/* The zygote is gone (or stopping): forget it and every slot not in use. */
static void zygote_reset(struct sbx_pool *p)
{
	if (p->chan >= 0) {
		struct zmsg m;
		memset(&m, 0, sizeof(m));
		m.type = Z_STOP;
		send(p->chan, &m, sizeof(m), MSG_NOSIGNAL | MSG_DONTWAIT);
	}
	if (p->zmon_running) {
		zygote_kill(p);
		pthread_join(p->zmon, NULL);
		p->zmon_running = false;
	}
	p->zproc = NULL;
	close_fd(&p->zpidfd);
	close_fd(&p->chan);
	pthread_mutex_lock(&p->mu);
	p->zpid = 0; /* a pid number that may be reused */
	for (struct slot *s = p->slots, *next; s; s = next) {
		next = s->next;
		if (s->state == SLOT_BUSY && !s->job_done) {
			/* its job's supervisor sees the slot die; no status will
			 * come: closing the status pipe says so (the job thread
			 * retires it) */
			close_fd(&s->status_w);
			s->exited = true;
			continue;
		}
		pool_retire_slot(p, s);
	}
	pthread_mutex_unlock(&p->mu);
}

static int send_spawn(int chan, uint32_t id, uint32_t flags, const int fds[3])
{
	struct zmsg m;
	memset(&m, 0, sizeof(m));
	m.type = Z_SPAWN;
	m.slot = id;
	m.flags = flags;
	return launch_send_fds(chan, &m, sizeof(m), fds, 3);
}

/* Ask the zygote for one more slot. */
static int spawn_slot(struct sbx_pool *p)
{
	int ctl[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 }, st[2] = { -1, -1 };
	int one = 1;
	int fds[3];
	struct slot *s = calloc(1, sizeof(*s));
	if (s == NULL || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) < 0 ||
	    pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 || pipe2(st, O_CLOEXEC) < 0)
		goto fail;
	/* the kernel stamps the slot's messages with its pid, in our namespace */
	setsockopt(ctl[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	s->id = ++p->next_id;
	fds[0] = ctl[1];
	fds[1] = out[1];
	fds[2] = err[1];
	if (send_spawn(p->chan, s->id, p->opt.prefault ? ZF_PREFAULT : 0, fds) < 0)
		goto fail;
	close(ctl[1]);
	close(out[1]);
	close(err[1]);
	s->state = SLOT_STARTING;
	s->ctl = ctl[0];
	s->out_r = out[0];
	s->err_r = err[0];
	s->status_r = st[0];
	s->status_w = st[1];
	s->pidfd = -1;
	s->t_spawn = now_ns();
	pthread_mutex_lock(&p->mu);
	s->next = p->slots;
	p->slots = s;
	p->slots_forked++;
	pthread_mutex_unlock(&p->mu);
	pool_wake_preparer(p);
	return 0;
fail:
	close_fd(&ctl[0]);
	close_fd(&ctl[1]);
	close_fd(&out[0]);
	close_fd(&out[1]);
	close_fd(&err[0]);
	close_fd(&err[1]);
	close_fd(&st[0]);
	close_fd(&st[1]);
	free(s);
	return -1;
}

/* A cgroup for a new slot: a recycled one, or a new one with the pool's
 * default limits (a job sets its own).  A recycled cgroup is given out
 * only once a whole CPU quota period has passed since its last job ended:
 * the quota is a budget per period, and a job must not start on what the
 * jobs before it in that cgroup spent of the current one (seen: a job of
 * 9 ms throttled for 26 ms, after six others in the same period). */
static int slot_cgroup(struct sbx_pool *p, struct slot *s, sbx_error **err)
{
	for (;;) {
		struct sbx_cgroup *cg = NULL;
		pthread_mutex_lock(&p->mu);
		if (p->nspare_cg > 0 && now_ns() - p->spare_at[0] >= CG_CPU_PERIOD_US * 1000ull) {
			cg = p->spare_cg[0];
			p->nspare_cg--;
			memmove(p->spare_cg, p->spare_cg + 1,
				(size_t) p->nspare_cg * sizeof(p->spare_cg[0]));
			memmove(p->spare_at, p->spare_at + 1,
				(size_t) p->nspare_cg * sizeof(p->spare_at[0]));
		}
		pthread_mutex_unlock(&p->mu);
		if (cg == NULL)
			break;
		/* checked now rather than when its job ended: the memory the
		 * job freed is uncharged a moment after it exits */
		if (cgroup_recycle(cg) == 0) {
			s->cg = cg;
			pthread_mutex_lock(&p->mu);
			p->cgroups_reused++;
			pthread_mutex_unlock(&p->mu);
			return 0;
		}
		p->b->ops->destroy(cg, NULL);
	}
	char name[64];
	struct cg_limits lim;
	pool_default_limits(&lim);
	if (cgroup_job_name(name, sizeof(name)) < 0)
		return sbx_error_set(err, errno, "cgroup name");
	if (p->b->ops->create(p->b, p->opt.cgroup_parent, name, &lim, &s->cg, err) < 0)
		return -1;
	pthread_mutex_lock(&p->mu);
	p->cgroups_made++;
	pthread_mutex_unlock(&p->mu);
	return 0;
}

/* S_READY from a starting slot: learn its host pid, give it a cgroup. */
static void slot_ready(struct sbx_pool *p, struct slot *s)
{
	pthread_mutex_lock(&p->mu);
	bool gone = s->retired; /* retired since the poll; released only by us */
	pthread_mutex_unlock(&p->mu);
	if (gone)
		return;
	struct zmsg m;
	pid_t pid;
	ssize_t n = recv_with_pid(s->ctl, &m, MSG_DONTWAIT, &pid);
	if (n != (ssize_t) sizeof(m) || m.type != S_READY || pid <= 0) {
		if (n == 0 || n == (ssize_t) sizeof(m)) {
			/* died during setup, or spoke out of turn: drop it (its
			 * setup report, if any, names the failure) */
			if (n > 0 && p->opt.log_fd >= 0 && m.type == CTL_REPORT)
				dprintf(p->opt.log_fd, "stratbox: slot setup failed\n");
			pthread_mutex_lock(&p->mu);
			pool_retire_slot(p, s);
			pthread_mutex_unlock(&p->mu);
		}
		return;
	}
	int off = 0; /* known now: no credentials on the job's messages */
	setsockopt(s->ctl, SOL_SOCKET, SO_PASSCRED, &off, sizeof(off));
	s->pid = pid;
	s->pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
	sbx_error *err = NULL;
	int join[LAUNCH_MAX_FDS], njoin = 0;
	if (s->pidfd < 0 || slot_cgroup(p, s, &err) < 0 ||
	    (p->b->ops->join_fds &&
	     (njoin = p->b->ops->join_fds(s->cg, join, LAUNCH_MAX_FDS, &err)) < 0) ||
	    (njoin == 0 && p->b->ops->attach(s->cg, s->pid, &err) < 0)) {
		snprintf(p->last_error, sizeof(p->last_error), "slot cgroup: %s",
			 err ? err->msg : strerror(errno));
		sbx_error_free(err);
		pthread_mutex_lock(&p->mu);
		pool_retire_slot(p, s);
		pthread_mutex_unlock(&p->mu);
		return;
	}
	memset(&m, 0, sizeof(m));
	m.type = S_ATTACHED;
	/* v1: with its cgroup's `tasks` files, for the slot to move itself */
	int sent = launch_send_fds(s->ctl, &m, sizeof(m), join, njoin);
	while (njoin > 0)
		close(join[--njoin]);
	if (sent < 0) {
		pthread_mutex_lock(&p->mu);
		pool_retire_slot(p, s);
		pthread_mutex_unlock(&p->mu);
		return;
	}
	pthread_mutex_lock(&p->mu);
	if (!s->retired) { /* else its cgroup goes with it, on release */
		s->state = SLOT_READY;
		s->t_ready = now_ns();
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
}

/* Z_EXITED / Z_FAIL from the zygote. */
static void zygote_message(struct sbx_pool *p, const struct zmsg *m)
{
	pthread_mutex_lock(&p->mu);
	struct slot *s = find_slot(p, m->slot);
	if (s == NULL) {
		pthread_mutex_unlock(&p->mu);
		return;
	}
	if (m->type == Z_FAIL) {
		snprintf(p->last_error, sizeof(p->last_error), "%.200s", m->text);
		pool_retire_slot(p, s);
	} else if (m->type == Z_EXITED) {
		s->exited = true;
		s->wait_status = m->status;
		s->utime_ns = m->utime_ns;
		s->stime_ns = m->stime_ns;
		s->maxrss = m->maxrss;
		if (s->state == SLOT_BUSY) {
			struct ctl_msg cm;
			memset(&cm, 0, sizeof(cm));
			cm.type = CTL_STATUS;
			cm.status = m->status;
			if (write_all(s->status_w, &cm, sizeof(cm)) < 0) {
				/* the job is already done */
			}
			if (s->job_done)
				pool_retire_slot(p, s);
		} else {
			pool_retire_slot(p, s); /* an idle slot died: replaced below */
		}
	}
	pthread_mutex_unlock(&p->mu);
}

static void refill(struct sbx_pool *p)
{
	unsigned have = 0;
	pthread_mutex_lock(&p->mu);
	for (struct slot *s = p->slots; s; s = s->next)
		have += s->state != SLOT_BUSY;
	pthread_mutex_unlock(&p->mu);
	while (have < p->opt.warm && spawn_slot(p) == 0)
		have++;
}

/* One round of the dispatcher: zygote messages and wake-ups.  Returns
 * false when the zygote is gone. */
static bool dispatch_once(struct sbx_pool *p)
{
	struct pollfd pf[2] = { { p->chan, POLLIN, 0 }, { p->wake_r, POLLIN, 0 } };
	if (poll(pf, 2, 1000) < 0)
		return errno == EINTR;
	if (pf[1].revents) {
		char buf[64];
		while (read(p->wake_r, buf, sizeof(buf)) > 0)
			;
	}
	if (pf[0].revents) {
		struct zmsg m;
		for (;;) {
			ssize_t r = recv(p->chan, &m, sizeof(m), MSG_DONTWAIT);
			if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
				return false;
			if (r < 0)
				break;
			if (r == (ssize_t) sizeof(m))
				zygote_message(p, &m);
		}
	}
	return true;
}

/* The preparer: give starting slots their cgroups, release retired ones. */
static void *preparer(void *arg)
{
	struct sbx_pool *p = arg;
	while (!p->stopping) {
		release_retired(p);
		struct pollfd pf[65];
		struct slot *who[65];
		int n = 0;
		pf[n] = (struct pollfd){ p->pwake_r, POLLIN, 0 };
		who[n++] = NULL;
		pthread_mutex_lock(&p->mu);
		for (struct slot *s = p->slots; s && n < 65; s = s->next)
			if (s->state == SLOT_STARTING) {
				pf[n] = (struct pollfd){ s->ctl, POLLIN, 0 };
				who[n++] = s;
			}
		pthread_mutex_unlock(&p->mu);
		if (poll(pf, (nfds_t) n, 1000) < 0)
			continue;
		if (pf[0].revents) {
			char buf[64];
			while (read(p->pwake_r, buf, sizeof(buf)) > 0)
				;
		}
		for (int i = 1; i < n; i++)
			if (pf[i].revents)
				slot_ready(p, who[i]);
	}
	release_retired(p);
	return NULL;
}

static void *dispatcher(void *arg)
{
	struct sbx_pool *p = arg;
	unsigned backoff_ms = 100;
	while (!p->stopping) {
		if (p->chan < 0) {
			sbx_error *err = NULL;
			if (zygote_start(p, &err) < 0) {
				snprintf(p->last_error, sizeof(p->last_error), "%s", err->msg);
				if (p->opt.log_fd >= 0)
					dprintf(p->opt.log_fd, "stratbox: pool: %s\n", err->msg);
				sbx_error_free(err);
				zygote_reset(p);
				struct timespec ts = { backoff_ms / 1000, (long) (backoff_ms % 1000) * 1000000L };
				nanosleep(&ts, NULL);
				backoff_ms = backoff_ms < 5000 ? backoff_ms * 2 : 5000;
				continue;
			}
			backoff_ms = 100;
		}
		refill(p);
		if (!dispatch_once(p))
			zygote_reset(p); /* restarted on the next round */
	}
	zygote_reset(p);
	return NULL;
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

/* What sbx_pool_start() set up, once no thread runs. */
static void pool_free(struct sbx_pool *p)
{
	sbx_config_free(p->zcfg);
	free(p->zygote_path);
	free(p->package_dir);
	free(p->allowed_csv);
	close_fd(&p->wake_r);
	close_fd(&p->wake_w);
	close_fd(&p->pwake_r);
	close_fd(&p->pwake_w);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p);
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
	/* absolute: both are bound into the zygote's sandbox */
	p->zygote_path = opt->zygote_path ? realpath(opt->zygote_path, NULL) : beside_exe("stratbox-zygote");
	p->package_dir = opt->package_dir ? realpath(opt->package_dir, NULL) : beside_exe("python");
	p->allowed_csv = allowed_list(opt->policy);
	p->b = cgroup_backend_get(err);
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
	    (opt->no_audit_hook && sbx_config_add_env(p->zcfg, "STRATBOX_AUDIT_HOOK=off", err) < 0))
		goto fail;
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
		p->b->ops->destroy(p->spare_cg[--p->nspare_cg], NULL);
	pool_free(p);
}

/* Resident, proportional and private memory of a process, from
 * smaps_rollup. */
static void smaps(pid_t pid, uint64_t *rss, uint64_t *pss, uint64_t *priv)
{
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int) pid);
	*rss = *pss = *priv = 0;
	if (pid <= 0 || read_file_at(AT_FDCWD, path, buf, sizeof(buf)) < 0)
		return;
	const char *k = strstr(buf, "\nRss:");
	if (k)
		*rss = strtoull(k + 5, NULL, 10) * 1024u;
	k = strstr(buf, "\nPss:");
	if (k)
		*pss = strtoull(k + 5, NULL, 10) * 1024u;
	k = strstr(buf, "\nPrivate_Dirty:");
	if (k)
		*priv = strtoull(k + 15, NULL, 10) * 1024u;
}

void sbx_pool_stats(sbx_pool *p, struct sbx_pool_stats *st)
{
	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&p->mu);
	for (struct slot *s = p->slots; s; s = s->next) {
		if (s->state == SLOT_READY)
			st->ready++;
		else if (s->state == SLOT_STARTING)
			st->starting++;
		else
			st->busy++;
	}
	st->jobs = p->jobs;
	st->zygote_starts = p->zygote_starts;
	st->slots_forked = p->slots_forked;
	st->cgroups_made = p->cgroups_made;
	st->cgroups_reused = p->cgroups_reused;
	st->cgroups_spare = (unsigned) p->nspare_cg;
	snprintf(st->versions, sizeof(st->versions), "%s", p->versions);
	st->zygote_pid = p->zpid;
	pthread_mutex_unlock(&p->mu);
}

void sbx_pool_memory(sbx_pool *p, struct sbx_pool_memory *m)
{
	enum { MAX_MEASURED = 16 };
	pid_t pids[MAX_MEASURED];
	unsigned n = 0;
	memset(m, 0, sizeof(*m));
	pthread_mutex_lock(&p->mu);
	for (struct slot *s = p->slots; s && n < MAX_MEASURED; s = s->next)
		if (s->state == SLOT_READY)
			pids[n++] = s->pid;
	pid_t zpid = p->zpid;
	pthread_mutex_unlock(&p->mu);
	/* read outside the lock: a slot taken meanwhile is still this slot
	 * (its pid stays its own until its retirement reaps it) */
	uint64_t pss_sum = 0, priv_sum = 0, rss, pss, priv;
	for (unsigned i = 0; i < n; i++) {
		smaps(pids[i], &rss, &pss, &priv);
		pss_sum += pss;
		priv_sum += priv;
	}
	smaps(zpid, &m->zygote_rss_bytes, &pss, &priv);
	m->idle_slots = n;
	if (n) {
		m->idle_slot_pss_bytes = pss_sum / n;
		m->idle_slot_private_bytes = priv_sum / n;
	}
}
