/* The pool's zygote and the dispatcher thread that owns it: starting and
 * restarting the zygote, its channel (Z_* messages, pyrt/protocol.h),
 * asking it for slots, and passing a slot's exit status on to the job
 * that watches it.  The dispatcher never blocks on anything slow. */
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

#define ZYGOTE_IN_SANDBOX "/opt/stratbox/bin/stratbox-zygote"
#define PACKAGE_IN_SANDBOX "/opt/stratbox/python"
#define ZYGOTE_START_NS (120ull * 1000000000ull)

/* The environment's part of the zygote's sandbox (docs/environments.md):
 * its root filesystem, the interpreter's path in it, the preload list, a
 * venv's site-packages bound read-only. */
static int zygote_environment(struct sbx_pool *p, sbx_config *c, sbx_error **err)
{
	const struct sbx_pool_options *o = &p->opt;
	if (o->rootfs && sbx_config_set_rootfs(c, o->rootfs, err) < 0)
		return -1;
	const char *vars[][2] = {
		{ "STRATBOX_PYTHON", o->python },
		{ "STRATBOX_PRELOAD", o->preload },
		{ "STRATBOX_SITE_PACKAGES", o->site_packages ? SBX_SITE_PACKAGES_IN_SANDBOX : NULL },
		{ "STRATBOX_NO_SYSTEM_SITE", o->no_system_site ? "1" : NULL },
		{ "STRATBOX_NATIVE", o->native ? "1" : NULL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(vars); i++) {
		if (vars[i][1] == NULL)
			continue;
		cleanup_free char *a = str_printf("%s=%s", vars[i][0], vars[i][1]);
		if (a == NULL)
			return sbx_error_set(err, ENOMEM, "pool");
		if (sbx_config_add_env(c, a, err) < 0)
			return -1;
	}
	if (o->site_packages && sbx_config_add_bind(c, o->site_packages, SBX_SITE_PACKAGES_IN_SANDBOX, false, err) < 0)
		return -1;
	return 0;
}

int zygote_config(struct sbx_pool *p, sbx_error **err)
{
	sbx_config *c = sbx_config_new();
	if (c == NULL)
		return sbx_error_set(err, ENOMEM, "pool");
	p->zcfg = c;
	char *const argv[] = { (char *) ZYGOTE_IN_SANDBOX };
	cleanup_free char *allowed = str_printf("STRATBOX_ALLOWED_IMPORTS=%s", p->allowed_csv);
	if (allowed == NULL)
		return sbx_error_set(err, ENOMEM, "pool");
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
	if (zygote_environment(p, c, err) < 0)
		return sbx_error_wrap(err, "environment %s", p->opt.env_name ? p->opt.env_name : "host");
	sbx_config_no_wall_limit(c); /* lives as long as the pool */
	sbx_config_set_policy(c, SBX_POLICY_ZYGOTE);
	sbx_config_keep_caps(c);
	sbx_config_set_output(c, SBX_OUTPUT_PASSTHROUGH, p->opt.log_fd, p->opt.log_fd);
	return 0;
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
int zygote_start(struct sbx_pool *p, sbx_error **err)
{
	cleanup_close int chan = -1, zchan = -1; /* our end, the zygote's */
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return sbx_error_set(err, errno, "pool channel");
	chan = sv[0], zchan = sv[1];
	sbx_config_clear_fds(p->zcfg);
	if (sbx_config_pass_fd(p->zcfg, zchan, ZYG_FD_POOL, err) < 0)
		return -1;
	trace_mark("zygote start");
	int r = sbx_proc_start(p->zcfg, &p->zproc, NULL, err);
	pool_close_fd(&zchan); /* the zygote has its own: its exit must reach us as EOF */
	if (r < 0)
		return sbx_error_wrap(err, "start the zygote");
	p->zygote_starts++;
	p->chan = steal_fd(&chan);
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
void zygote_reset(struct sbx_pool *p)
{
	if (p->chan >= 0) {
		struct zmsg m;
		memset(&m, 0, sizeof(m));
		m.type = Z_STOP;
		/* best effort, and never blocking on a zygote that reads no
		 * more: the channel is closed below anyway */
		fcntl(p->chan, F_SETFL, O_NONBLOCK);
		(void) ctl_send_fds(p->chan, &m, sizeof(m), NULL, 0);
	}
	if (p->zmon_running) {
		zygote_kill(p);
		pthread_join(p->zmon, NULL);
		p->zmon_running = false;
	}
	p->zproc = NULL;
	pool_close_fd(&p->zpidfd);
	pool_close_fd(&p->chan);
	pthread_mutex_lock(&p->mu);
	p->zpid = 0; /* a pid number that may be reused */
	for (struct slot *s = p->slots, *next; s; s = next) {
		next = s->next;
		if (s->state == SLOT_BUSY && !s->job_done) {
			/* its job's supervisor sees the slot die; no status will
			 * come: closing the status pipe says so (the job thread
			 * retires it) */
			pool_close_fd(&s->status_w);
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
	return ctl_send_fds(chan, &m, sizeof(m), fds, 3);
}

/* Ask the zygote for one more slot.  Every descriptor and the slot are
 * released on the way out unless handed over (the slot's ends to the slot,
 * the other ends to the zygote, which got copies). */
static int spawn_slot(struct sbx_pool *p, bool prefault)
{
	cleanup_close int ctl0 = -1, ctl1 = -1, out0 = -1, out1 = -1, err0 = -1, err1 = -1,
			  st0 = -1, st1 = -1;
	cleanup_free struct slot *s = calloc(1, sizeof(*s));
	int ctl[2], out[2], err[2], st[2];
	int one = 1;
	if (s == NULL || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) < 0)
		return -1;
	ctl0 = ctl[0], ctl1 = ctl[1];
	if (pipe2(out, O_CLOEXEC) < 0)
		return -1;
	out0 = out[0], out1 = out[1];
	if (pipe2(err, O_CLOEXEC) < 0)
		return -1;
	err0 = err[0], err1 = err[1];
	if (pipe2(st, O_CLOEXEC) < 0)
		return -1;
	st0 = st[0], st1 = st[1];
	/* the kernel stamps the slot's messages with its pid, in our namespace */
	setsockopt(ctl0, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	s->id = ++p->next_id;
	const int fds[3] = { ctl1, out1, err1 };
	if (send_spawn(p->chan, s->id, prefault ? ZF_PREFAULT : 0, fds) < 0)
		return -1;
	s->state = SLOT_STARTING;
	s->ctl = steal_fd(&ctl0);
	s->out_r = steal_fd(&out0);
	s->err_r = steal_fd(&err0);
	s->status_r = steal_fd(&st0);
	s->status_w = steal_fd(&st1);
	s->pidfd = -1;
	s->t_spawn = now_ns();
	struct slot *slot = steal_pointer(&s);
	pthread_mutex_lock(&p->mu);
	slot->next = p->slots;
	p->slots = slot;
	p->slots_forked++;
	pthread_mutex_unlock(&p->mu);
	pool_wake_preparer(p);
	return 0;
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

/* Slots up to the warm count, prefaulted (opt.prefault) unless the
 * caller said work is waiting (sbx_pool_prefault): the warm-up buys a
 * waiting service milliseconds of latency, but for a saturated one it is
 * CPU taken from the jobs (21 jobs/s with it against 35 without,
 * bench/serve_load.py). */
static void refill(struct sbx_pool *p)
{
	unsigned have = 0;
	pthread_mutex_lock(&p->mu);
	for (struct slot *s = p->slots; s; s = s->next)
		have += s->state != SLOT_BUSY;
	pthread_mutex_unlock(&p->mu);
	/* While a backtest runs, its host thread and its slot each keep a
	 * core busy, spinning between bars: a slot forked and warmed beside
	 * them takes those cores (37 us a bar instead of 9 on two cores,
	 * bench/backtest.c).  Then a slot is made only when none is ready or
	 * on its way; the rest follow when the backtest ends (job.c wakes
	 * us).  A burst of jobs beside a backtest may so wait for a fork. */
	if (have > 0 && atomic_load(&p->lockstep_jobs) > 0)
		return;
	bool prefault = p->opt.prefault && !atomic_load(&p->no_prefault);
	while (have < p->opt.warm && spawn_slot(p, prefault) == 0)
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
			pid_t pid; /* none: SO_PASSCRED is off after Z_READY */
			ssize_t r = recv_with_pid(p->chan, &m, MSG_DONTWAIT, &pid);
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

void *dispatcher(void *arg)
{
	struct sbx_pool *p = arg;
	unsigned backoff_ms = 100;
	while (!p->stopping) {
		if (p->chan < 0) {
			cleanup_error sbx_error *err = NULL;
			if (zygote_start(p, &err) < 0) {
				snprintf(p->last_error, sizeof(p->last_error), "%s", err->msg);
				if (p->opt.log_fd >= 0)
					dprintf(p->opt.log_fd, "stratbox: pool: %s\n", err->msg);
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
