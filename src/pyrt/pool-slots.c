/* A slot's life on the host, and the preparer thread: a new slot's cgroup
 * (a recycled one after its rest, or a new one), its attachment, and the
 * release of finished slots off every job's path.  Also what every other
 * pool file needs underneath: the wake-ups, the slot list, receiving a
 * pool message.  This file calls none of the others (pool.h). */
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

void pool_default_limits(struct sbx_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	lim->memory = SBX_DEFAULT_MEMORY;
	lim->pids = SBX_DEFAULT_PIDS;
	lim->millicpus = SBX_DEFAULT_MILLICPUS;
}

void pool_wake_preparer(struct sbx_pool *p)
{
	char c = 1;
	if (write(p->pwake_w, &c, 1) < 0)
		return; /* a full pipe already wakes it */
}

void pool_wake(struct sbx_pool *p)
{
	char c = 1;
	/* both, always: a full pipe already wakes its reader, and must not keep
	 * the other from being written (the preparer would sleep through) */
	ssize_t a = write(p->wake_w, &c, 1);
	ssize_t b = write(p->pwake_w, &c, 1);
	(void) a;
	(void) b;
}

/* Receive one message and, with SO_PASSCRED on, the sender's pid as the
 * kernel translated it into our pid namespace (0 when absent).  No
 * descriptors are accepted here. */
ssize_t recv_with_pid(int fd, struct zmsg *m, int flags, pid_t *pid)
{
	struct ctl_recv_info info;
	ssize_t n = ctl_recv(fd, m, sizeof(*m), flags, 0, &info);
	*pid = info.pid;
	return n;
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
 * as good as new (see sbx_cgroup_recycle()): a mkdir and rmdir in every v1
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
			sbx_cgroup_destroy(s->cg);
		}
	}
	pool_close_fd(&s->ctl);
	pool_close_fd(&s->out_r);
	pool_close_fd(&s->err_r);
	pool_close_fd(&s->status_r);
	pool_close_fd(&s->status_w);
	pool_close_fd(&s->pidfd);
	free(s);
}

void release_retired(struct sbx_pool *p)
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

struct slot *find_slot(struct sbx_pool *p, uint32_t id)
{
	for (struct slot *s = p->slots; s; s = s->next)
		if (s->id == id)
			return s;
	return NULL;
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
		if (p->nspare_cg > 0 && now_ns() - p->spare_at[0] >= SBX_CPU_PERIOD_US * 1000ull) {
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
		if (sbx_cgroup_recycle(cg) == 0) {
			s->cg = cg;
			pthread_mutex_lock(&p->mu);
			p->cgroups_reused++;
			pthread_mutex_unlock(&p->mu);
			return 0;
		}
		sbx_cgroup_destroy(cg);
	}
	struct sbx_limits lim;
	pool_default_limits(&lim);
	if (sbx_cgroup_create(p->opt.cgroup_parent, &lim, &s->cg, err) < 0)
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
	cleanup_error sbx_error *err = NULL;
	int join[CTL_MAX_FDS], njoin = 0;
	if (s->pidfd < 0 || slot_cgroup(p, s, &err) < 0 ||
	    (njoin = sbx_cgroup_join_fds(s->cg, join, CTL_MAX_FDS, &err)) < 0 ||
	    (njoin == 0 && sbx_cgroup_attach(s->cg, s->pid, &err) < 0)) {
		snprintf(p->last_error, sizeof(p->last_error), "slot cgroup: %s",
			 err ? err->msg : strerror(errno));
		pthread_mutex_lock(&p->mu);
		pool_retire_slot(p, s);
		pthread_mutex_unlock(&p->mu);
		return;
	}
	memset(&m, 0, sizeof(m));
	m.type = S_ATTACHED;
	/* v1: with its cgroup's `tasks` files, for the slot to move itself */
	int sent = ctl_send_fds(s->ctl, &m, sizeof(m), join, njoin);
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

/* The preparer: give starting slots their cgroups, release retired ones. */
void *preparer(void *arg)
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
