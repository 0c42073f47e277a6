/* The supervisor's event loop for one sandbox.
 *
 * It waits on: the command's stdout and stderr pipes (captured or passed
 * through, capped), the control socket (failures, the seccomp listener,
 * the command's exit status, protocol frames), an optional second status
 * source, the seccomp listener (a forbidden syscall), the watched
 * process's pidfd (the sandbox is gone), the cgroup's event files (an OOM
 * kill, a refused fork), and a cancel fd.  Time limits are deadlines on
 * the monotonic clock: the wall deadline, and a CPU check scheduled for
 * the earliest moment the job could have used up its CPU time at the rate
 * its quota allows, so a long job costs a handful of wakeups, not a poll
 * every few milliseconds.
 *
 * The first limit reached stops the run: the supervisor kills the watched
 * process (pid 1 of the sandbox: the kernel then kills its whole pid
 * namespace) and sweeps the cgroup.
 */
#include "sandbox/launch.h"

#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define READ_CHUNK 65536
/* After the sandbox is gone every writer is dead; allow this long for the
 * last bytes in the pipes (and, for a pool slot, for the zygote's report
 * of its exit status) before giving up on them. */
#define DRAIN_NS (2ull * 1000000000ull)
/* cgroup v1's pids.events never notifies, and OOM eventfds are not
 * available to every user: the counters are also re-read on this tick, so
 * a fork bomb is stopped within 20 ms of its first refused fork.  Three
 * small reads per tick cost about 0.1% of a core. */
#define TICK_NS (20ull * 1000000ull)

void supervisor_init(struct supervisor *s)
{
	memset(s, 0, sizeof(*s));
	s->out_fd = s->err_fd = s->ctl_fd = s->status_fd = s->pidfd = s->notify_fd = -1;
	s->kill_fd = -1;
	s->syscall_nr = -1;
}

static uint64_t online_cpus_milli(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return (uint64_t) (n > 0 ? n : 1) * 1000u;
}

void supervisor_attach(struct supervisor *s, const struct sbx_config *cfg, struct sbx_cgroup *cg,
		       int out_fd, int err_fd, int ctl_fd, int pidfd)
{
	s->cfg = cfg;
	s->cg = cg;
	s->out_fd = out_fd;
	s->err_fd = err_fd;
	s->ctl_fd = ctl_fd;
	s->pidfd = pidfd;
	/* The job's CPU quota where its cgroup enforces one, else every
	 * online CPU; never more than the online CPUs (check_cgroup()
	 * schedules its next look at the CPU-time counter from this). */
	uint64_t online = online_cpus_milli();
	s->cpu_rate_milli = (cg != NULL && (cg->usable & CG_CPU)) ? cfg->millicpus : online;
	if (s->cpu_rate_milli > online)
		s->cpu_rate_milli = online;
}

static void stop(struct supervisor *s, enum stop_reason why)
{
	if (s->ev.stop == STOP_NONE)
		s->ev.stop = why;
	if (s->killed)
		return;
	s->killed = true;
	s->t_kill = now_ns();
	if (!s->proc_exited) {
		syscall(SYS_pidfd_send_signal, s->pidfd, SIGKILL, NULL, 0);
		if (s->cg != NULL)
			s->cg->b->ops->kill_all(s->cg);
	}
}

static void note_message(struct supervisor *s, const char *msg)
{
	if (s->message[0] == '\0')
		snprintf(s->message, sizeof(s->message), "%s", msg);
}

/* ---- passed-through output ---------------------------------------------
 *
 * The caller's stdout and stderr may be a pipe to a process that stopped
 * reading or a terminal paused with Ctrl-S: a write to them can block for
 * ever.  The event loop must keep every deadline and limit meanwhile, so it
 * only appends to a buffer (at most the output limit per stream, which it
 * enforces anyway) and a writer thread does the blocking writes.  The
 * sandbox's end never waits for the reader; only supervisor_deliver(), at
 * the end of the run, does. */
struct pass_chunk {
	struct pass_chunk *next;
	int which; /* 0: stdout, 1: stderr */
	size_t len;
	char data[];
};

struct passthrough {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct pass_chunk *head, **tail; /* in the order the bytes arrived */
	int fd[2];
	bool broken[2]; /* the reader went away: later bytes are dropped */
	bool done;	/* no more bytes will come */
};

static void *pass_writer(void *arg)
{
	struct passthrough *pt = arg;
	pthread_mutex_lock(&pt->mu);
	for (;;) {
		struct pass_chunk *c = pt->head;
		if (c == NULL) {
			if (pt->done)
				break;
			pthread_cond_wait(&pt->cv, &pt->mu);
			continue;
		}
		pt->head = c->next;
		if (pt->head == NULL)
			pt->tail = &pt->head;
		bool skip = pt->broken[c->which];
		pthread_mutex_unlock(&pt->mu);
		bool failed = !skip && write_all(pt->fd[c->which], c->data, c->len) < 0;
		pthread_mutex_lock(&pt->mu);
		if (failed)
			pt->broken[c->which] = true;
		free(c);
	}
	pthread_mutex_unlock(&pt->mu);
	return NULL;
}

static void pass_start(struct supervisor *s)
{
	struct passthrough *pt = calloc(1, sizeof(*pt));
	if (pt == NULL)
		return;
	pt->fd[0] = s->cfg->out_fd;
	pt->fd[1] = s->cfg->err_fd;
	pt->tail = &pt->head;
	pthread_mutex_init(&pt->mu, NULL);
	pthread_cond_init(&pt->cv, NULL);
	if (pthread_create(&pt->thread, NULL, pass_writer, pt) != 0) {
		pthread_mutex_destroy(&pt->mu);
		pthread_cond_destroy(&pt->cv);
		free(pt);
		return; /* take_output() writes directly, as a last resort */
	}
	s->pass = pt;
}

/* Queue bytes for one of the caller's descriptors; false when they cannot
 * be delivered (the reader is gone, or no memory). */
static bool pass_push(struct passthrough *pt, int which, const char *buf, size_t n)
{
	struct pass_chunk *c = malloc(sizeof(*c) + n);
	if (c == NULL)
		return false;
	c->next = NULL;
	c->which = which;
	c->len = n;
	memcpy(c->data, buf, n);
	pthread_mutex_lock(&pt->mu);
	bool ok = !pt->broken[which];
	if (ok) {
		*pt->tail = c;
		pt->tail = &c->next;
		pthread_cond_signal(&pt->cv);
	}
	pthread_mutex_unlock(&pt->mu);
	if (!ok)
		free(c);
	return ok;
}

void supervisor_deliver(struct supervisor *s)
{
	struct passthrough *pt = s->pass;
	if (pt == NULL)
		return;
	pthread_mutex_lock(&pt->mu);
	pt->done = true;
	pthread_cond_signal(&pt->cv);
	pthread_mutex_unlock(&pt->mu);
	pthread_join(pt->thread, NULL);
	pthread_mutex_destroy(&pt->mu);
	pthread_cond_destroy(&pt->cv);
	free(pt);
	s->pass = NULL;
}

/* Append what fits under the limit; anything beyond it means the command
 * wrote more than allowed. */
static void take_output(struct supervisor *s, struct sbx_stream *st, bool *broken, int sink,
			const char *buf, size_t n)
{
	uint64_t limit = s->cfg->output_limit;
	st->total += n;
	size_t room = st->len < limit ? (size_t) (limit - st->len) : 0;
	size_t keep = n < room ? n : room;
	if (keep > 0) {
		if (s->cfg->out_mode == SBX_OUTPUT_CAPTURE) {
			memcpy(st->data + st->len, buf, keep);
			st->data[st->len + keep] = '\0';
		} else if (!*broken && s->pass != NULL) {
			if (!pass_push(s->pass, st == &s->out ? 0 : 1, buf, keep))
				*broken = true; /* our reader went away: keep draining */
		} else if (!*broken && write_all(sink, buf, keep) < 0) {
			*broken = true;
		}
		st->len += keep;
	}
	if (n > keep) {
		st->truncated = true;
		stop(s, STOP_OUTPUT);
	}
}

static void read_stream(struct supervisor *s, int fd, struct sbx_stream *st, bool *eof,
			bool *broken, int sink)
{
	char buf[READ_CHUNK];
	ssize_t n = read(fd, buf, sizeof(buf));
	if (n < 0) {
		if (errno != EINTR && errno != EAGAIN)
			*eof = true;
		return;
	}
	if (n == 0) {
		*eof = true;
		return;
	}
	take_output(s, st, broken, sink, buf, (size_t) n);
}

static void handle_notify(struct supervisor *s);

/* Read what a pipe holds now, without waiting for more. */
static void drain_now(struct supervisor *s, int fd, struct sbx_stream *st, bool *eof,
		      bool *broken, int sink)
{
	while (!*eof && fcntl(fd, F_SETFL, O_NONBLOCK) == 0) {
		uint64_t before = st->total;
		read_stream(s, fd, st, eof, broken, sink);
		if (st->total == before)
			break;
	}
}

/* A pool slot announces its exit code just before _exit(), so the job's
 * result need not wait for the kernel to tear down an address space
 * shared with the zygote (about 2 ms here) nor for the zygote to reap it.
 * The announcement comes from the untrusted process, so it is worth
 * exactly what exiting with that code is worth, which the process can do
 * at any moment anyway: the process is killed now, a pending seccomp
 * violation still wins, the cgroup's counters (read by the caller) still
 * decide limits, and output written before the announcement is kept.  The
 * caller kills the cgroup and removes it off the job's path. */
static void announced_exit(struct supervisor *s, int code)
{
	struct cg_stats st;
	if (s->cg == NULL || cgroup_read_stats(s->cg, &st) < 0 || !st.have_cpu)
		return; /* the real exit gives the usage figures: wait for it */
	if (s->notify_fd >= 0) {
		struct pollfd pf = { s->notify_fd, POLLIN, 0 };
		if (poll(&pf, 1, 0) > 0)
			handle_notify(s);
	}
	if (s->killed)
		return; /* a violation: the run ends the ordinary way */
	syscall(SYS_pidfd_send_signal, s->pidfd, SIGKILL, NULL, 0);
	s->t_end = now_ns();
	s->proc_exited = true;
	s->ev.have_status = true;
	s->ev.wait_status = (code & 0xff) << 8; /* as W_EXITCODE(code, 0) */
	/* what it wrote before announcing is in the pipes now */
	drain_now(s, s->out_fd, &s->out, &s->out_eof, &s->pass_out_broken, s->cfg->out_fd);
	drain_now(s, s->err_fd, &s->err, &s->err_eof, &s->pass_err_broken, s->cfg->err_fd);
	s->out_eof = s->err_eof = s->ctl_eof = s->status_eof = true;
	if (s->notify_fd >= 0) {
		close(s->notify_fd);
		s->notify_fd = -1;
	}
}

/* A fixed-size control message (not a frame).  from_ctl: it came on the
 * control socket, which in a pool slot the job's own code can write to.
 * Once that code may be running (ctl_hostile), nothing on the socket can
 * set the status, the message or any measured field: only an exit
 * announcement is taken, worth exactly what exiting is worth. */
static void handle_msg(struct supervisor *s, const struct ctl_msg *m, int passed, bool from_ctl)
{
	if (from_ctl && s->ctl_hostile && m->type != CTL_EXITING) {
		s->ctl_rejected++;
		if (passed >= 0)
			close(passed);
		return;
	}
	switch (m->type) {
	case CTL_LISTENER:
		if (passed >= 0 && s->notify_fd < 0) {
			s->notify_fd = passed;
			if (from_ctl && s->ctl_hostile_after_listener)
				s->ctl_hostile = true; /* strategy code runs from here */
		} else if (passed >= 0) {
			close(passed);
		}
		return;
	case CTL_STATUS:
		/* from the init of `stratbox run`, or from the pool's status
		 * pipe; never from a slot's control socket */
		if (from_ctl && s->status_fd >= 0)
			break;
		s->ev.have_status = true;
		s->ev.wait_status = m->status;
		break;
	case CTL_EXITING:
		if (from_ctl && s->accept_exiting && !s->proc_exited && !s->killed)
			announced_exit(s, m->status);
		break;
	case CTL_REPORT: {
		char full[512];
		char msg[sizeof(m->report.msg)];
		memcpy(msg, m->report.msg, sizeof(msg));
		msg[sizeof(msg) - 1] = '\0';
		if (m->report.stage == STAGE_EXEC) {
			s->ev.exec_errno = m->report.errnum ? m->report.errnum : ENOEXEC;
			snprintf(full, sizeof(full), "%s: %s", msg, strerror(s->ev.exec_errno));
			note_message(s, full);
		} else {
			s->ev.setup_failed = true;
			snprintf(full, sizeof(full), "sandbox setup failed: %s: %s", msg,
				 strerror(m->report.errnum));
			note_message(s, full);
			stop(s, STOP_NONE);
		}
		break;
	}
	default:
		break;
	}
	if (passed >= 0)
		close(passed); /* nothing else is ever accepted */
}

/* Read one message from fd (the control socket or the status source). */
static void handle_ctl(struct supervisor *s, int fd, bool *eof)
{
	static _Thread_local char buf[SBX_FRAME_MAX + 8];
	struct ctl_recv_info info;
	ssize_t n = ctl_recv(fd, buf, sizeof(buf), MSG_DONTWAIT, 1, &info);
	/* A peer that closed with a message of ours unread makes the next
	 * receive fail once with ECONNRESET; what it sent before closing is
	 * still queued behind that error (a setup report, an exit status):
	 * read on rather than take it for the end. */
	for (int retry = 0; n < 0 && errno == ECONNRESET && retry < 2; retry++)
		n = ctl_recv(fd, buf, sizeof(buf), MSG_DONTWAIT, 1, &info);
	if (n < 0 && errno == ENOTSOCK) /* a pipe */
		n = read(fd, buf, sizeof(struct ctl_msg));
	if (n < 0) {
		if (errno != EINTR && errno != EAGAIN)
			*eof = true;
		return;
	}
	if (n == 0) {
		*eof = true;
		return;
	}
	int passed = info.nfds > 0 ? info.fds[0] : -1; /* one at most; more were closed */
	uint32_t type = 0;
	if (n >= 4)
		memcpy(&type, buf, 4);
	if (type == CTL_FRAME && !(info.flags & MSG_TRUNC)) {
		if (passed >= 0)
			close(passed);
		/* frames are the running code's own reports: none comes from
		 * trusted set-up, so one before the code runs is out of turn */
		if (fd == s->ctl_fd && s->ctl_hostile_after_listener && !s->ctl_hostile)
			s->ctl_rejected++;
		else if (s->on_frame != NULL)
			s->on_frame(s->frame_ctx, buf + 4, (size_t) n - 4);
		return;
	}
	if (n != (ssize_t) sizeof(struct ctl_msg) || (info.flags & (MSG_TRUNC | MSG_CTRUNC))) {
		if (passed >= 0)
			close(passed); /* malformed: ignored */
		if (fd == s->ctl_fd && s->ctl_hostile)
			s->ctl_rejected++;
		return;
	}
	struct ctl_msg m;
	memcpy(&m, buf, sizeof(m));
	handle_msg(s, &m, passed, fd == s->ctl_fd);
}

static void handle_notify(struct supervisor *s)
{
	struct seccomp_notif *req = NULL;
	struct seccomp_notif_resp *resp = NULL;
	if (seccomp_notify_alloc(&req, &resp) < 0)
		return;
	if (seccomp_notify_receive(s->notify_fd, req) == 0) {
		if (!s->ev.seccomp_violation) {
			s->ev.seccomp_violation = true;
			s->syscall_nr = req->data.nr;
			s->syscall_arch = req->data.arch;
			seccomp_name_syscall(req->data.arch, req->data.nr, s->syscall,
					     sizeof(s->syscall));
		}
		stop(s, STOP_SYSCALL);
		/* The thread is being killed; answer anyway so it never
		 * returns into the program with a result. */
		resp->id = req->id;
		resp->error = -EPERM;
		resp->val = 0;
		resp->flags = 0;
		(void) seccomp_notify_respond(s->notify_fd, resp);
	} else {
		close(s->notify_fd); /* every filtered task is gone */
		s->notify_fd = -1;
	}
	seccomp_notify_free(req, resp);
}

static uint64_t tv_ns(struct timeval tv)
{
	return (uint64_t) tv.tv_sec * 1000000000u + (uint64_t) tv.tv_usec * 1000u;
}

/* The watched process is gone (its pidfd is readable). */
static void handle_exit(struct supervisor *s)
{
	if (s->reap_pid > 0) {
		int st;
		struct rusage ru;
		pid_t r = wait4(s->reap_pid, &st, __WALL | WNOHANG, &ru);
		if (r != s->reap_pid)
			return;
		s->proc_utime_ns = tv_ns(ru.ru_utime);
		s->proc_stime_ns = tv_ns(ru.ru_stime);
		s->proc_maxrss = (uint64_t) ru.ru_maxrss * 1024u;
	}
	s->proc_exited = true;
	s->t_end = now_ns();
}

/* Re-read the cgroup's counters and act on a limit the kernel enforced. */
static void check_cgroup(struct supervisor *s, bool cpu_due)
{
	struct cg_stats st;
	if (s->cg == NULL || cgroup_read_stats(s->cg, &st) < 0)
		return;
	if (st.oom_kills > 0)
		stop(s, STOP_MEMORY);
	if (st.pids_max_events > 0)
		stop(s, STOP_PIDS);
	if (!cpu_due || s->cfg->cpu_time_ns == 0)
		return;
	if (st.have_cpu && st.cpu_usage_ns >= s->cfg->cpu_time_ns) {
		stop(s, STOP_CPU);
		return;
	}
	/* Earliest time the rest of the budget could be spent. */
	uint64_t left = s->cfg->cpu_time_ns - (st.have_cpu ? st.cpu_usage_ns : 0);
	uint64_t wait = left * 1000u / s->cpu_rate_milli;
	if (wait < 1000000u)
		wait = 1000000u;
	s->next_cpu_check = now_ns() + wait;
}

enum { EV_OUT, EV_ERR, EV_CTL, EV_STATUS, EV_PIDFD, EV_NOTIFY, EV_CANCEL, EV_KILL, EV_CG };

/* Done: the process is gone, its output drained, its control channel
 * closed, and (when a separate source reports it) its status known. */
static bool finished(const struct supervisor *s)
{
	return s->proc_exited && s->out_eof && s->err_eof && s->ctl_eof &&
	       (s->status_fd < 0 || s->ev.have_status || s->status_eof) &&
	       (s->notify_fd < 0 || s->killed);
}

static void add_pollfd(struct pollfd *p, int *tag, int *n, int fd, short ev, int t)
{
	p[*n].fd = fd;
	p[*n].events = ev;
	p[*n].revents = 0;
	tag[*n] = t;
	(*n)++;
}

static uint64_t next_deadline(const struct supervisor *s, uint64_t wall, uint64_t tick)
{
	if (!s->killed && !s->proc_exited) {
		uint64_t d = wall;
		if (s->cfg->cpu_time_ns && s->next_cpu_check < d)
			d = s->next_cpu_check;
		return tick < d ? tick : d;
	}
	if (s->proc_exited)
		return s->t_end + DRAIN_NS;
	return s->t_kill + 5ull * 1000000000u; /* re-kill if it lingers */
}

static void on_timeout(struct supervisor *s, uint64_t now, uint64_t wall, uint64_t *tick)
{
	const struct sbx_config *cfg = s->cfg;
	if (!s->killed && !s->proc_exited) {
		if (now >= wall) {
			if (cfg->cpu_time_ns)
				check_cgroup(s, true); /* a CPU overrun first, if both are due */
			stop(s, STOP_WALL);
			return;
		}
		bool cpu_due = cfg->cpu_time_ns && now >= s->next_cpu_check;
		if (cpu_due || now >= *tick)
			check_cgroup(s, cpu_due);
		if (now >= *tick)
			*tick = now + TICK_NS;
	} else if (s->killed && !s->proc_exited && now >= s->t_kill + 5000000000ull) {
		syscall(SYS_pidfd_send_signal, s->pidfd, SIGKILL, NULL, 0);
		s->t_kill = now;
	}
}

void supervise(struct supervisor *s)
{
	const struct sbx_config *cfg = s->cfg;
	int cg_fds[4];
	short cg_ev[4];
	int ncg = s->cg ? s->cg->b->ops->event_fds(s->cg, cg_fds, cg_ev, 4) : 0;
	for (int i = 0; i < ncg; i++)
		cgroup_rearm_event(cg_fds[i]);
	uint64_t wall_deadline = s->t_go + cfg->wall_ns;
	if (cfg->cpu_time_ns)
		s->next_cpu_check = s->t_go + 1000000u; /* first look after 1 ms */
	uint64_t next_tick = s->t_go + TICK_NS;
	if (s->status_fd < 0)
		s->status_eof = true;
	if (cfg->out_mode == SBX_OUTPUT_PASSTHROUGH && s->pass == NULL)
		pass_start(s);

	while (!finished(s)) {
		uint64_t now = now_ns();
		if (s->proc_exited && now > s->t_end + DRAIN_NS)
			break; /* a pipe held open by something we cannot see */

		struct pollfd p[EV_CG + 4];
		int tag[EV_CG + 4];
		int n = 0;
		if (!s->out_eof)
			add_pollfd(p, tag, &n, s->out_fd, POLLIN, EV_OUT);
		if (!s->err_eof)
			add_pollfd(p, tag, &n, s->err_fd, POLLIN, EV_ERR);
		if (!s->ctl_eof)
			add_pollfd(p, tag, &n, s->ctl_fd, POLLIN, EV_CTL);
		if (!s->status_eof && !s->ev.have_status)
			add_pollfd(p, tag, &n, s->status_fd, POLLIN, EV_STATUS);
		if (!s->proc_exited)
			add_pollfd(p, tag, &n, s->pidfd, POLLIN, EV_PIDFD);
		if (s->notify_fd >= 0)
			add_pollfd(p, tag, &n, s->notify_fd, POLLIN, EV_NOTIFY);
		if (cfg->cancel_fd >= 0 && !s->killed)
			add_pollfd(p, tag, &n, cfg->cancel_fd, POLLIN, EV_CANCEL);
		if (s->kill_fd >= 0 && !s->killed)
			add_pollfd(p, tag, &n, s->kill_fd, POLLIN, EV_KILL);
		if (!s->killed)
			for (int i = 0; i < ncg; i++)
				add_pollfd(p, tag, &n, cg_fds[i], cg_ev[i], EV_CG + i);

		uint64_t deadline = next_deadline(s, wall_deadline, next_tick);
		uint64_t d = deadline > now ? deadline - now : 0;
		struct timespec ts = { (time_t) (d / 1000000000u), (long) (d % 1000000000u) };
		int r = ppoll(p, (nfds_t) n, &ts, NULL);
		if (r < 0 && errno != EINTR)
			break;
		if (r <= 0) {
			on_timeout(s, now_ns(), wall_deadline, &next_tick);
			continue;
		}
		for (int i = 0; i < n; i++) {
			if (p[i].revents == 0)
				continue;
			switch (tag[i]) {
			case EV_OUT:
				read_stream(s, p[i].fd, &s->out, &s->out_eof, &s->pass_out_broken,
					    cfg->out_fd);
				break;
			case EV_ERR:
				read_stream(s, p[i].fd, &s->err, &s->err_eof, &s->pass_err_broken,
					    cfg->err_fd);
				break;
			case EV_CTL:
				handle_ctl(s, s->ctl_fd, &s->ctl_eof);
				break;
			case EV_STATUS:
				handle_ctl(s, s->status_fd, &s->status_eof);
				break;
			case EV_PIDFD:
				if (!s->proc_exited)
					handle_exit(s);
				break;
			case EV_NOTIFY:
				if (s->notify_fd >= 0)
					handle_notify(s);
				break;
			case EV_CANCEL:
				note_message(s, "interrupted: stratbox was asked to stop; the command was killed");
				stop(s, STOP_CANCEL);
				break;
			case EV_KILL:
				/* a byte, or a writer that closed (POLLHUP): only the
				 * run directory's owner can open the FIFO */
				note_message(s, "killed: `stratbox kill` ended the sandbox");
				stop(s, STOP_CANCEL);
				break;
			default:
				cgroup_rearm_event(p[i].fd);
				check_cgroup(s, false);
				break;
			}
		}
	}
	if (!s->proc_exited) {
		/* The drain gave up or poll failed: make sure it is gone. */
		stop(s, s->ev.stop);
		if (s->reap_pid > 0) {
			int st;
			struct rusage ru;
			if (wait4(s->reap_pid, &st, __WALL, &ru) == s->reap_pid)
				s->proc_exited = true;
		}
		s->t_end = now_ns();
	}
}
