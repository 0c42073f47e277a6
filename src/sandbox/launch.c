/* Launching the sandbox: clone() into new namespaces, the in-sandbox init,
 * and the last steps of the command before execve.
 *
 *   supervisor ──clone(NEWPID|NEWNS|NEWNET|NEWIPC|NEWUTS[|NEWUSER])──> init (pid 1)
 *        │  maps, cgroup attach, GO                                      │ builds the root,
 *        │<── reports, listener fd, wait status (control socket) ───────│ forks
 *        │                                                               └─> command (pid 2):
 *                                                                            drop privileges,
 *                                                                            seccomp, execve
 *
 * The init exists because pid 1 of a namespace ignores signals it has no
 * handler for and inherits every orphan: it reaps them, reports the
 * command's status, and when it exits the kernel kills everything left in
 * the namespace.  It dies with the supervisor (PR_SET_PDEATHSIG), so a
 * killed supervisor takes the sandbox with it.
 *
 * Everything between clone and execve runs without allocating: the parent
 * formatted every string and compiled the seccomp program beforehand.
 */
#include "sandbox/launch.h"

#include "common/util.h"

#include <errno.h>
#include <linux/sched.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Fixed descriptor numbers in the command before execve. */
#define FD_CTL 3

/* ------------------------------------------------------------------ */
/* The command (pid 2).                                                */

/* execvpe() searches the caller's PATH, not the one in envp: search the
 * sandbox's own PATH, like a shell in the sandbox would. */
static void exec_search(char *const argv[], char *const envp[], const char *path)
{
	const char *file = argv[0];
	if (strchr(file, '/') != NULL) {
		execve(file, argv, envp);
		return;
	}
	int saved = ENOENT;
	char buf[4096];
	size_t flen = strlen(file);
	for (const char *p = path; *p;) {
		const char *colon = strchr(p, ':');
		size_t dlen = colon ? (size_t) (colon - p) : strlen(p);
		if (dlen > 0 && dlen + 1 + flen < sizeof(buf)) {
			memcpy(buf, p, dlen);
			buf[dlen] = '/';
			memcpy(buf + dlen + 1, file, flen + 1);
			execve(buf, argv, envp);
			if (errno == EACCES || errno == ENOEXEC || errno == EPERM)
				saved = errno;
			else if (errno != ENOENT && errno != ENOTDIR)
				return;
		}
		if (colon == NULL)
			break;
		p = colon + 1;
	}
	errno = saved;
}

/* Put from at to, inheritable across execve. */
static void move_fd(int from, int to)
{
	if (from != to) {
		dup2(from, to);
		close(from);
	} else {
		fcntl(to, F_SETFD, 0);
	}
}

/* Close every descriptor except the (at most sixteen) listed. */
static void close_all_except(const int *keep, int n)
{
	int sorted[16];
	if (n > 16)
		n = 16;
	for (int i = 0; i < n; i++) {
		int j = i;
		while (j > 0 && sorted[j - 1] > keep[i]) {
			sorted[j] = sorted[j - 1];
			j--;
		}
		sorted[j] = keep[i];
	}
	unsigned from = 0;
	for (int i = 0; i < n; i++) {
		if (sorted[i] > (int) from)
			syscall(SYS_close_range, from, (unsigned) sorted[i] - 1, 0);
		from = (unsigned) sorted[i] + 1;
	}
	syscall(SYS_close_range, from, ~0u, 0);
}

/* Keep every capability across execve, for a uid that is not root in
 * its namespace: inheritable = permitted, then each raised as ambient. */
static int keep_caps_across_exec(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	if (syscall(SYS_capget, &hdr, data) < 0)
		return -errno;
	data[0].inheritable = data[0].permitted;
	data[1].inheritable = data[1].permitted;
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -errno;
	for (unsigned cap = 0; cap < 64; cap++) {
		uint32_t bit = 1u << (cap % 32);
		if (!(data[cap / 32].permitted & bit))
			continue;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0 && errno != EINVAL)
			return -errno;
	}
	return 0;
}

/* Passed descriptors to their numbers; then close all but 0-3 and them. */
static void place_fds(struct launch *l)
{
	const struct sbx_config *cfg = l->cfg;
	int tmp[8], keep[8];
	int n = cfg->npassfds;
	for (int i = 0; i < n; i++)
		tmp[i] = fcntl(cfg->passfds[i].host_fd, F_DUPFD_CLOEXEC, 64);
	for (int i = 0; i < n; i++) {
		if (tmp[i] >= 0) {
			dup2(tmp[i], cfg->passfds[i].sandbox_fd); /* not close-on-exec */
			close(tmp[i]);
		}
		keep[i] = cfg->passfds[i].sandbox_fd;
	}
	for (int i = 0; i < 4; i++)
		keep[n + i] = i;
	close_all_except(keep, n + 4);
}

static __attribute__((noreturn)) void payload_main(struct launch *l, const struct ctl_msg *go)
{
	const struct sbx_config *cfg = l->cfg;

	/* A new session: no controlling terminal, so no TIOCSTI or job
	 * control signals into the caller's terminal. */
	setsid();
	prctl(PR_SET_PDEATHSIG, SIGKILL);

	/* stdin is /dev/null; stdout/stderr are the supervisor's pipes.
	 * Every other inherited descriptor is closed. */
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	int ctl = fcntl(l->ctl_child, F_DUPFD_CLOEXEC, 10);
	int out = fcntl(l->out_w, F_DUPFD_CLOEXEC, 10);
	int errw = fcntl(l->err_w, F_DUPFD_CLOEXEC, 10);
	if (devnull < 0 || ctl < 0 || out < 0 || errw < 0)
		_exit(125);
	move_fd(devnull, 0);
	move_fd(out, 1);
	move_fd(errw, 2);
	move_fd(ctl, FD_CTL);
	fcntl(FD_CTL, F_SETFD, FD_CLOEXEC);
	place_fds(l);

	if (chdir(l->cwd) < 0) {
		child_fail(FD_CTL, STAGE_SETUP, errno, "working directory %s", l->cwd);
		_exit(125);
	}
	struct privs_plan pp = l->privs;
	pp.nproc = go->nproc_limit;
	pp.data = go->data_limit;
	if (privs_apply_rlimits(&pp, FD_CTL) < 0)
		_exit(125);
	if (cfg->keep_caps) {
		int r = keep_caps_across_exec();
		if (r < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
			child_fail(FD_CTL, STAGE_SETUP, r < 0 ? -r : errno, "keep capabilities");
			_exit(125);
		}
	} else if (privs_drop(&pp, FD_CTL) < 0) {
		_exit(125);
	}

	bool listen = seccomp_policy_notifies(cfg->policy);
	int listener = seccomp_install(l->prog, listen);
	if (listener < 0) {
		child_fail(FD_CTL, STAGE_SETUP, -listener, "install seccomp filter");
		_exit(125);
	}
	if (listen) {
		if (ctl_send_listener(FD_CTL, listener) < 0) {
			child_fail(FD_CTL, STAGE_SETUP, errno, "pass seccomp listener");
			_exit(125);
		}
		close(listener);
	}

	exec_search(cfg->argv, l->envp, l->path);
	int e = errno;
	child_fail(FD_CTL, STAGE_EXEC, e, "cannot execute %s", cfg->argv[0]);
	_exit(e == ENOENT ? 127 : 126);
}

/* ------------------------------------------------------------------ */
/* The init (pid 1).                                                   */

/* Our argv and environment strings are readable through /proc/1/cmdline
 * (by anyone) and /proc/1/environ: they hold the supervisor's command line
 * and environment, which may carry secrets.  Overwrite them. */
static void scrub_own_strings(const struct launch *l)
{
	if (l->scrub_end <= l->scrub_start)
		return;
	char *p = (char *) l->scrub_start;
	size_t n = l->scrub_end - l->scrub_start;
	memset(p, 0, n);
	static const char name[] = "stratbox-init";
	if (n > sizeof(name))
		memcpy(p, name, sizeof(name));
}

static void reset_signals(void)
{
	struct sigaction dfl;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &dfl, NULL); /* EINVAL for the libc-reserved ones */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* After a setup failure is reported, before GO: wait for GO (or the
 * supervisor's end) and only then exit.  A unix socket closed with a
 * message unread in it makes the peer's next recv fail with ECONNRESET,
 * ahead of the messages queued for the peer: exiting with the GO unread
 * lost the report saying why the run failed (1 run in 100-200 of a
 * refused bind, then reported as "killed from outside"). */
static __attribute__((noreturn)) void exit_after_report(const struct launch *l)
{
	struct ctl_msg m;
	int fds[CTL_MAX_FDS], n = 0;
	if (ctl_recv_fds(l->ctl_child, &m, sizeof(m), fds, CTL_MAX_FDS, &n) == 1)
		while (n > 0)
			close(fds[--n]);
	_exit(1);
}

static int init_main(void *arg)
{
	struct launch *l = arg;
	struct ctl_msg m;

	/* Die with the supervisor.  If it is already gone, the control
	 * socket read below sees EOF and we exit. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* The signal mask and ignored signals survive fork and execve: a
	 * supervisor that blocks SIGTERM (for its signalfd) or ignores
	 * SIGPIPE would hand that to the command.  Start from defaults. */
	reset_signals();
	/* Nothing of the supervisor's descriptors stays open in here, but
	 * for those handed on to the command and the sources the root's
	 * copies are read from (rootfs_apply() closes those). */
	int keep[16] = { l->ctl_child, l->out_w, l->err_w };
	int nkeep = 3;
	for (int i = 0; i < l->cfg->npassfds; i++)
		keep[nkeep++] = l->cfg->passfds[i].host_fd;
	nkeep += rootfs_plan_fds(&l->plan, keep + nkeep, (int) ARRAY_SIZE(keep) - nkeep);
	close_all_except(keep, nkeep);

	int none[1], nnone = 0; /* MAPS_READY carries no descriptors */
	if (l->userns && (ctl_recv_fds(l->ctl_child, &m, sizeof(m), none, 0, &nnone) != 1 ||
			  m.type != CTL_MAPS_READY))
		_exit(1);
	if (l->root_userns) {
		/* Created by root: we are uid 0 on the host and unmapped here.
		 * Shed root's groups and become the sandbox uid; with no uid 0
		 * in this namespace the kernel keeps our capabilities in it. */
		if (sys_drop_groups() < 0 || sys_setresgid(SBX_SANDBOX_GID) < 0 ||
		    sys_setresuid(SBX_SANDBOX_UID) < 0) {
			child_fail(l->ctl_child, STAGE_SETUP, errno, "become uid %u", SBX_SANDBOX_UID);
			exit_after_report(l);
		}
	}

	scrub_own_strings(l);
	prctl(PR_SET_NAME, "stratbox-init", 0, 0, 0);
	if (sethostname("sandbox", 7) < 0) {
		child_fail(l->ctl_child, STAGE_SETUP, errno, "sethostname");
		exit_after_report(l);
	}
	if (rootfs_apply(&l->plan, l->ctl_child) < 0)
		exit_after_report(l);
	/* Not dumpable: the command (same uid in a user namespace) can
	 * neither ptrace us nor open /proc/1/mem, /proc/1/environ. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

	int join[CTL_MAX_FDS], njoin = 0;
	if (ctl_recv_fds(l->ctl_child, &m, sizeof(m), join, CTL_MAX_FDS, &njoin) != 1 ||
	    m.type != CTL_GO)
		_exit(1);
	/* v1: the GO carries the job cgroup's `tasks` files; moving
	 * ourselves is cheaper than being moved (cgroup_join_self()). */
	int jr = cgroup_join_self(join, njoin);
	if (jr < 0) {
		child_fail(l->ctl_child, STAGE_SETUP, -jr, "join the job cgroup");
		_exit(1);
	}
	/* Now inside the job cgroup: make it the root of our cgroup view,
	 * so /proc/self/cgroup shows nothing of the host's layout. */
	if (unshare(CLONE_NEWCGROUP) < 0) {
		child_fail(l->ctl_child, STAGE_SETUP, errno, "unshare cgroup namespace");
		_exit(1);
	}

	/* The raw system call, not fork(3): we are a copy of a process that
	 * may have other threads (the Python pool starts sandboxes from its
	 * dispatcher while jobs run), and fork(3) first takes the C library's
	 * locks, malloc's among them, which a thread that does not exist here
	 * may have held at the moment we were cloned: a deadlock.  Nothing
	 * from here to execve takes a lock. */
	pid_t pid = (pid_t) syscall(SYS_clone, SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid < 0) {
		child_fail(l->ctl_child, STAGE_SETUP, errno, "fork");
		_exit(1);
	}
	if (pid == 0)
		payload_main(l, &m);

	close(l->out_w);
	close(l->err_w);
	for (;;) {
		int st;
		pid_t w = waitpid(-1, &st, __WALL);
		if (w == pid) {
			memset(&m, 0, sizeof(m));
			m.type = CTL_STATUS;
			m.status = st;
			ctl_send(l->ctl_child, &m);
			/* Exiting kills whatever the command left behind. */
			_exit(0);
		}
		if (w < 0 && errno == ECHILD)
			_exit(0);
	}
}

/* ------------------------------------------------------------------ */
/* Parent side.                                                        */

/* arg_start..env_end of this process, from /proc/self/stat (fields 48-51). */
static void find_own_strings(uintptr_t *start, uintptr_t *end)
{
	char buf[2048];
	*start = *end = 0;
	if (read_file_at(AT_FDCWD, "/proc/self/stat", buf, sizeof(buf)) < 0)
		return;
	char *p = strrchr(buf, ')');
	if (p == NULL)
		return;
	int field = 2;
	for (p++; *p && field < 48; p++)
		if (*p == ' ')
			field++;
	unsigned long as, ae, es, ee;
	if (sscanf(p, "%lu %lu %lu %lu", &as, &ae, &es, &ee) == 4 && as < ae && es < ee) {
		*start = as < es ? as : es;
		*end = ae > ee ? ae : ee;
	}
}

static const char *env_value(char **envp, const char *name)
{
	size_t n = strlen(name);
	for (char **e = envp; *e; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

/* The environment is built from scratch: a minimal PATH/HOME/LANG, then
 * the caller's --env entries.  Nothing of the supervisor's leaks in. */
static int build_env(struct launch *l, const struct sbx_config *cfg, sbx_error **err)
{
	static const char *const defaults[] = { "PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/tmp",
						"LANG=C.UTF-8" };
	size_t n = 0, cap = ARRAY_SIZE(defaults) + cfg->nenv + 1;
	char **envp = calloc(cap, sizeof(*envp));
	if (envp == NULL)
		return sbx_error_set(err, ENOMEM, "environment");
	for (size_t i = 0; i < ARRAY_SIZE(defaults); i++) {
		size_t nl = (size_t) (strchr(defaults[i], '=') - defaults[i]) + 1;
		bool overridden = false;
		for (size_t j = 0; j < cfg->nenv; j++)
			if (strncmp(cfg->env[j], defaults[i], nl) == 0)
				overridden = true;
		if (!overridden)
			envp[n++] = (char *) defaults[i];
	}
	for (size_t j = 0; j < cfg->nenv; j++)
		envp[n++] = cfg->env[j];
	envp[n] = NULL;
	l->envp = envp;
	l->path = env_value(envp, "PATH");
	if (l->path == NULL)
		l->path = "";
	return 0;
}

/* Keep our descriptors off 0-2 so the child's dup2s never clobber one. */
static int fd_high(int fd)
{
	if (fd < 0 || fd > 2)
		return fd;
	int n = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return n;
}

int launch_prepare(struct launch *l, const struct sbx_config *cfg, sbx_error **err)
{
	memset(l, 0, sizeof(*l));
	l->ctl_parent = l->ctl_child = l->out_r = l->out_w = l->err_r = l->err_w = -1;
	l->init_pidfd = -1;
	l->init_pid = -1;
	l->cfg = cfg;
	l->userns = geteuid() != 0 || cfg->keep_caps;
	l->root_userns = geteuid() == 0 && l->userns;
	l->cwd = cfg->cwd ? cfg->cwd : "/tmp";
	if (cfg->argv == NULL)
		return sbx_error_set(err, 0, "no command given");
	if (seccomp_prog_get(cfg->policy, &l->prog, err) < 0)
		return -1;
	if (build_env(l, cfg, err) < 0)
		return -1;
	if (rootfs_plan_build(cfg, &l->plan, err) < 0)
		return -1;
	l->privs.userns = l->userns;
	l->privs.cpu_time_ns = cfg->cpu_time_ns;
	l->privs.fsize = cfg->tmp_size;
	l->privs.nofile = SBX_DEFAULT_NOFILE;
	find_own_strings(&l->scrub_start, &l->scrub_end);

	int sv[2], po[2], pe[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return sbx_error_set(err, errno, "socketpair");
	l->ctl_parent = fd_high(sv[0]);
	l->ctl_child = fd_high(sv[1]);
	if (pipe2(po, O_CLOEXEC) < 0)
		return sbx_error_set(err, errno, "pipe");
	l->out_r = fd_high(po[0]);
	l->out_w = fd_high(po[1]);
	if (pipe2(pe, O_CLOEXEC) < 0)
		return sbx_error_set(err, errno, "pipe");
	l->err_r = fd_high(pe[0]);
	l->err_w = fd_high(pe[1]);
	if (l->ctl_parent < 0 || l->ctl_child < 0 || l->out_r < 0 || l->out_w < 0 || l->err_r < 0 ||
	    l->err_w < 0)
		return sbx_error_set(err, errno, "descriptors");

	return 0;
}

int launch_start(struct launch *l, int cgroup_fd, sbx_error **err)
{
	uint64_t flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS |
			 CLONE_PIDFD;
	if (l->userns)
		flags |= CLONE_NEWUSER;
	if (cgroup_fd >= 0)
		flags |= CLONE_INTO_CGROUP;
	int pidfd = -1;
	struct clone_args args;
	memset(&args, 0, sizeof(args));
	args.flags = flags;
	args.pidfd = (uint64_t) (uintptr_t) &pidfd;
	args.exit_signal = SIGCHLD;
	args.cgroup = cgroup_fd >= 0 ? (uint64_t) cgroup_fd : 0;
	/* fork-like: the child continues here on a copy of our stack.  It
	 * only runs init_main(), which makes syscalls and does not allocate,
	 * so the C library's per-thread state it inherited does not matter. */
	long pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid == 0)
		_exit(init_main(l));
	if (pid < 0) {
		int e = errno;
		if (e == EPERM || e == ENOSPC || e == EINVAL || e == EUSERS)
			return sbx_error_set(err, e,
					     "clone namespaces (are user namespaces enabled? "
					     "see `stratbox doctor`)");
		return sbx_error_set(err, e, "clone3");
	}
	l->init_pid = (pid_t) pid;
	l->init_pidfd = pidfd;
	close(l->ctl_child);
	close(l->out_w);
	close(l->err_w);
	l->ctl_child = l->out_w = l->err_w = -1;
	return 0;
}

int launch_write_maps(struct launch *l, sbx_error **err)
{
	char path[64], map[64];
	static const struct {
		const char *file;
		bool gid;
	} files[] = { { "setgroups", false }, { "uid_map", false }, { "gid_map", true } };
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(path, sizeof(path), "/proc/%d/%s", (int) l->init_pid, files[i].file);
		if (i == 0 && l->root_userns)
			continue; /* root may leave setgroups allowed: the init sheds its groups */
		if (i == 0)
			/* "deny": the sandbox can never drop a supplementary
			 * group to escape a group-based denial on a host file. */
			snprintf(map, sizeof(map), "deny");
		else if (l->root_userns)
			/* root maps the sandbox ids to the same host ids, as a
			 * run without a user namespace would use */
			snprintf(map, sizeof(map), "%u %u 1\n",
				 files[i].gid ? SBX_SANDBOX_GID : SBX_SANDBOX_UID,
				 files[i].gid ? SBX_SANDBOX_GID : SBX_SANDBOX_UID);
		else
			snprintf(map, sizeof(map), "%u %u 1\n",
				 files[i].gid ? SBX_SANDBOX_GID : SBX_SANDBOX_UID,
				 files[i].gid ? (unsigned) getegid() : (unsigned) geteuid());
		int r = write_file_at(AT_FDCWD, path, map);
		if (r < 0)
			return sbx_error_set(err, -r, "write %s", path);
	}
	struct ctl_msg m;
	memset(&m, 0, sizeof(m));
	m.type = CTL_MAPS_READY;
	if (ctl_send(l->ctl_parent, &m) < 0)
		return sbx_error_set(err, errno, "signal the sandbox init");
	return 0;
}

void launch_release(struct launch *l)
{
	int *fds[] = { &l->ctl_parent, &l->ctl_child, &l->out_r, &l->out_w, &l->err_r, &l->err_w,
		       &l->init_pidfd };
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (*fds[i] >= 0) {
			close(*fds[i]);
			*fds[i] = -1;
		}
	free(l->envp);
	l->envp = NULL;
	rootfs_plan_free(&l->plan);
}
