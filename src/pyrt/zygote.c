/* stratbox-zygote: the Python pool's zygote.
 *
 * Runs inside a base sandbox (its own user, pid, mount, network, IPC and
 * UTS namespaces; uid 1000 with capabilities only inside its user
 * namespace; the zygote seccomp policy, under which a call it does not
 * allow fails with ENOSYS: see default_action() in seccomp.c).  It initialises CPython once,
 * imports numpy, pandas and every module strategies may use, freezes the
 * garbage collector, and then forks one slot per request from the host.
 * No strategy code ever runs in the zygote itself.
 *
 * A slot is a fork of the zygote in its own pid, mount and IPC namespaces.
 * Before any strategy code runs it mounts its own /proc, /tmp, /dev/shm and
 * /workspace, is moved by the host into its own cgroup, enters a cgroup
 * namespace, drops every capability, and installs the job seccomp policy
 * (no execve, threads only, no sockets) with a listener the host watches.
 * It runs exactly one job and exits.  The network namespace is the
 * zygote's, created once and empty: a job cannot create sockets at all.
 *
 * The control plane is C; Python only executes.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "common/util.h"
#include "pyrt/audit.h"
#include "pyrt/lsmod.h"
#include "pyrt/protocol.h"
#include "sandbox/runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PACKAGE_DIR "/opt/stratbox/python"
#define MAX_SLOTS 256
#define MAX_CODE (4u << 20)
#define DEFAULT_TMP (16u << 20)

static struct {
	uint32_t id;
	pid_t pid;
} slots[MAX_SLOTS];
static int nslots;
static PyObject *run_job; /* stratbox._runner.run_job */
static PyObject *warm_slot; /* stratbox._runner.warm */
static PyObject *allowed; /* list of allowed import roots (for the preload) */
static bool audit_off;	  /* STRATBOX_AUDIT_HOOK=off: kernel-layer tests only */

static void die(const char *what)
{
	fprintf(stderr, "stratbox-zygote: %s: %s\n", what, strerror(errno));
	_exit(70);
}

static int send_msg(int fd, const struct zmsg *m, const int *fds, int nfds)
{
	return ctl_send_fds(fd, m, sizeof(*m), fds, nfds);
}

/* One message and up to max descriptors; returns 1, 0 at EOF, -1. */
static int recv_msg(int fd, struct zmsg *m, int *fds, int max, int *nfds)
{
	return ctl_recv_fds(fd, m, sizeof(*m), fds, max, nfds);
}

/* ------------------------------------------------------------------ */
/* The slot.                                                           */

static __attribute__((noreturn)) void slot_fail(const char *what, int err)
{
	child_fail(SLOT_FD_CTL, STAGE_SETUP, err, "%s", what);
	_exit(125);
}

static void mount_or_fail(const char *src, const char *dst, const char *type, unsigned long flags,
			  const char *data)
{
	if (mount(src, dst, type, flags, data) < 0) {
		char what[160];
		snprintf(what, sizeof(what), "mount %s on %s", type ? type : "bind", dst);
		slot_fail(what, errno);
	}
}

/* The slot's own view: /proc of its pid namespace, private /tmp and
 * /dev/shm, and its working directory in its own /tmp.  Done before the
 * slot is ready, off the request path.
 *
 * The zygote's own writable mounts (its /tmp and /dev/shm) are detached
 * from the slot's mount namespace, not merely covered: a covered mount is
 * still reachable through a working directory or descriptor that points
 * into it, and the zygote's working directory is inherited by every fork.
 * Left reachable, it was one directory shared by every job of the pool,
 * and what a job wrote there outlived the job and stayed charged to the
 * caller's cgroup.  A slot's own tmpfs mounts die with its mount
 * namespace, so what a job writes is freed when it exits. */
static void slot_mounts(void)
{
	if (unshare(CLONE_NEWNS | CLONE_NEWIPC) < 0)
		slot_fail("unshare mount and IPC namespaces", errno);
	mount_or_fail(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	if (chdir("/") < 0)
		slot_fail("chdir /", errno);
	static const char *const zygote_writable[] = { "/tmp", "/dev/shm" };
	for (size_t i = 0; i < ARRAY_SIZE(zygote_writable); i++)
		if (umount2(zygote_writable[i], MNT_DETACH) < 0 && errno != EINVAL)
			slot_fail("detach the zygote's writable mounts", errno);
	mount_or_fail("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	/* the same entries hidden or read-only as in every sandbox's /proc
	 * (rootfs.c's one table): host counters, kernel symbols, tunables */
	const char *failed = NULL;
	int pr = sbx_child_protect_proc("/proc", &failed);
	if (pr < 0) {
		char what[96];
		snprintf(what, sizeof(what), "protect /proc/%s", failed ? failed : "?");
		slot_fail(what, -pr);
	}
	char opts[64];
	snprintf(opts, sizeof(opts), "mode=1777,size=%u", DEFAULT_TMP);
	/* noexec: nothing a job writes can be mapped as code (a shared
	 * library it wrote and had the import machinery load, which no audit
	 * event covers) */
	mount_or_fail("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts);
	mount_or_fail("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts);
	/* relative paths land in the job's own /tmp */
	if (chdir("/tmp") < 0)
		slot_fail("chdir /tmp", errno);
}

/* The job's input at /workspace/data.json, read-only. */
static void slot_workspace(int data_fd, uint64_t data_len)
{
	char opts[64];
	snprintf(opts, sizeof(opts), "mode=0755,size=%llu",
		 (unsigned long long) (data_len + (64u << 10)));
	mount_or_fail("tmpfs", "/workspace", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts);
	if (data_fd >= 0) {
		int fd = open("/workspace/data.json", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
		if (fd < 0)
			slot_fail("create /workspace/data.json", errno);
		off_t off = 0;
		while ((uint64_t) off < data_len) {
			ssize_t n = sendfile(fd, data_fd, &off, data_len - (uint64_t) off);
			if (n <= 0)
				slot_fail("copy the job's data", n < 0 ? errno : EIO);
		}
		close(fd);
	}
	mount_or_fail(NULL, "/workspace", NULL,
		      MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, opts);
}

static char *read_code(int fd, uint64_t len)
{
	if (len > MAX_CODE)
		slot_fail("code larger than 4 MiB", EFBIG);
	char *buf = malloc(len + 1);
	if (buf == NULL)
		slot_fail("code buffer", ENOMEM);
	ssize_t n = pread(fd, buf, len, 0);
	if (n < 0 || (uint64_t) n != len)
		slot_fail("read the job's code", n < 0 ? errno : EIO);
	buf[len] = '\0';
	return buf;
}

static __attribute__((noreturn)) void slot_run(const struct zmsg *job, int code_fd, int data_fd,
						int ls_fd)
{
	if (ls_fd >= 0) { /* a backtest: its region, mapped before any of its code */
		int r = lsmod_attach(ls_fd);
		if (r < 0)
			slot_fail("map the lockstep region", -r);
		close(ls_fd);
	}
	if (data_fd >= 0) /* no data: /workspace stays the empty, read-only directory */
		slot_workspace(data_fd, job->data_len);
	if (job->tmp_size && job->tmp_size != DEFAULT_TMP) {
		char opts[64];
		snprintf(opts, sizeof(opts), "size=%llu", (unsigned long long) job->tmp_size);
		mount_or_fail(NULL, "/tmp", NULL, MS_REMOUNT | MS_NOSUID | MS_NODEV | MS_NOEXEC, opts);
	}
	char *code = read_code(code_fd, job->code_len);
	close(code_fd);
	if (data_fd >= 0)
		close(data_fd);

	struct sbx_child_limits lim = { .cpu_time_ns = job->cpu_time_ns,
					.fsize = job->tmp_size ? job->tmp_size : DEFAULT_TMP,
					.nofile = job->nofile ? job->nofile : SBX_DEFAULT_NOFILE };
	if (sbx_child_drop(&lim, SLOT_FD_CTL) < 0)
		_exit(125);
	/* Dropping capabilities cleared the parent-death signal: set it again,
	 * so a job dies with its zygote.  (Should the zygote die before this
	 * line, the host's supervisor still ends the job at its wall limit.) */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* the last message trusted code sends on the control socket: after
	 * it the host believes nothing there (docs/security.md) */
	if (sbx_child_seccomp(SBX_POLICY_PYTHON_JOB, SLOT_FD_CTL) < 0)
		_exit(125);

	/* From here on: strategy code, under every restriction, the audit
	 * hook's included (pyrt/audit.c). */
	if (!audit_off)
		audit_activate();
	PyObject *bytes = PyBytes_FromStringAndSize(code, (Py_ssize_t) job->code_len);
	PyObject *res = bytes ? PyObject_CallFunction(run_job, "OK", bytes,
						      (unsigned long long) job->seed)
			      : NULL;
	int rc = 1;
	if (res != NULL && PyLong_Check(res))
		rc = (int) PyLong_AsLong(res);
	else
		PyErr_Print();
	fflush(stdout);
	fflush(stderr);
	/* Tell the host now rather than through the exit's teardown (see
	 * announced_exit() in src/sandbox/supervise.c). */
	struct ctl_msg done;
	memset(&done, 0, sizeof(done));
	done.type = CTL_EXITING;
	done.status = rc & 0xff;
	/* write(2): the job policy allows no sendto */
	(void) !write(SLOT_FD_CTL, &done, sizeof(done));
	_exit(rc & 0xff);
}

static __attribute__((noreturn)) void slot_main(uint32_t id, uint32_t flags, int ctl, int out,
						int err)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* 0: /dev/null, 1-2: the host's pipes, 3: the control socket */
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	int c = fcntl(ctl, F_DUPFD_CLOEXEC, 10), o = fcntl(out, F_DUPFD_CLOEXEC, 10),
	    e = fcntl(err, F_DUPFD_CLOEXEC, 10);
	if (devnull < 0 || c < 0 || o < 0 || e < 0)
		_exit(125);
	dup2(devnull, 0);
	dup2(o, 1);
	dup2(e, 2);
	dup2(c, SLOT_FD_CTL);
	syscall(SYS_close_range, 4u, ~0u, 0u);

	slot_mounts();
	/* The job path once, on trusted code, before the slot is offered:
	 * the pages a job writes first are copied from the zygote now, off
	 * the request path (stratbox._runner.warm). */
	if (flags & ZF_PREFAULT) {
		PyObject *w = PyObject_CallNoArgs(warm_slot);
		if (w == NULL)
			PyErr_Clear();
		Py_XDECREF(w);
	}
	struct zmsg m;
	memset(&m, 0, sizeof(m));
	m.type = S_READY;
	m.slot = id;
	if (send_msg(SLOT_FD_CTL, &m, NULL, 0) < 0)
		_exit(125);
	int fds[CTL_MAX_FDS], nfds;
	if (recv_msg(SLOT_FD_CTL, &m, fds, CTL_MAX_FDS, &nfds) != 1 || m.type != S_ATTACHED)
		_exit(0); /* the host let this slot go */
	/* v1: the job cgroup's `tasks` files come with it; moving ourselves
	 * is cheaper than being moved (see sbx_cgroup_join_fds()) */
	int jr = sbx_child_join_cgroup(fds, nfds);
	if (jr < 0)
		slot_fail("join the job cgroup", -jr);
	/* Now in the job cgroup: make it the root of our cgroup view. */
	if (unshare(CLONE_NEWCGROUP) < 0)
		slot_fail("unshare cgroup namespace", errno);
	if (recv_msg(SLOT_FD_CTL, &m, fds, 3, &nfds) != 1 || m.type != S_JOB || nfds < 1)
		_exit(0);
	int want = 1 + !!(m.flags & JF_DATA) + !!(m.flags & JF_LOCKSTEP);
	if (nfds != want)
		_exit(0);
	int data_fd = (m.flags & JF_DATA) ? fds[1] : -1;
	int ls_fd = (m.flags & JF_LOCKSTEP) ? fds[nfds - 1] : -1;
	slot_run(&m, fds[0], data_fd, ls_fd);
}

/* ------------------------------------------------------------------ */
/* The zygote.                                                         */

static int spawn_slot(uint32_t id, uint32_t flags, const int *fds, int pidns_fd)
{
	if (nslots >= MAX_SLOTS) {
		errno = EAGAIN;
		return -1;
	}
	/* The next child starts a new pid namespace, as its pid 1. */
	if (unshare(CLONE_NEWPID) < 0)
		return -1;
	PyOS_BeforeFork();
	pid_t pid = fork();
	if (pid == 0) {
		PyOS_AfterFork_Child();
		slot_main(id, flags, fds[0], fds[1], fds[2]);
	}
	int saved = errno;
	PyOS_AfterFork_Parent();
	/* Back to our own namespace for the children after this one. */
	if (setns(pidns_fd, CLONE_NEWPID) < 0)
		die("setns back to our pid namespace");
	if (pid < 0) {
		errno = saved;
		return -1;
	}
	slots[nslots].id = id;
	slots[nslots].pid = pid;
	nslots++;
	return 0;
}

static void reap(int pool)
{
	int st;
	struct rusage ru;
	pid_t pid;
	while ((pid = wait4(-1, &st, WNOHANG | __WALL, &ru)) > 0) {
		for (int i = 0; i < nslots; i++) {
			if (slots[i].pid != pid)
				continue;
			struct zmsg m;
			memset(&m, 0, sizeof(m));
			m.type = Z_EXITED;
			m.slot = slots[i].id;
			m.status = st;
			m.pid = pid;
			m.utime_ns = (uint64_t) ru.ru_utime.tv_sec * 1000000000u +
				     (uint64_t) ru.ru_utime.tv_usec * 1000u;
			m.stime_ns = (uint64_t) ru.ru_stime.tv_sec * 1000000000u +
				     (uint64_t) ru.ru_stime.tv_usec * 1000u;
			m.maxrss = (uint64_t) ru.ru_maxrss * 1024u;
			send_msg(pool, &m, NULL, 0);
			slots[i] = slots[--nslots];
			break;
		}
	}
}

static int python_load(char *versions, size_t size);

/* Initialise Python, preload the modules, and return the versions text. */
static void python_start(char *versions, size_t size)
{
	PyConfig config;
	PyConfig_InitPythonConfig(&config);
	config.install_signal_handlers = 0; /* the slot's signals stay default */
	config.user_site_directory = 0;
	config.write_bytecode = 0;
	config.parse_argv = 0;
	config.use_hash_seed = 1; /* deterministic: the same hash seed everywhere */
	config.hash_seed = 0;
	/* The interpreter's path decides sys.prefix, where the standard
	 * library is looked for: /usr/bin/python3 on Debian, /usr/local/bin
	 * in an image built from python.org's sources (an environment says,
	 * docs/environments.md). */
	const char *python = getenv("STRATBOX_PYTHON");
	wchar_t *wpython = Py_DecodeLocale(python && python[0] == '/' ? python : "/usr/bin/python3",
					   NULL);
	if (wpython == NULL) {
		fprintf(stderr, "stratbox-zygote: bad STRATBOX_PYTHON\n");
		_exit(70);
	}
	PyConfig_SetString(&config, &config.program_name, wpython);
	PyMem_RawFree(wpython);
	/* Before the interpreter exists, so that nothing run in it can have
	 * been first; Python code cannot remove it (PEP 578). */
	if (PyImport_AppendInittab("_stratbox_ls", lsmod_init) < 0) {
		fprintf(stderr, "stratbox-zygote: could not add the lockstep module\n");
		_exit(70);
	}
	if (audit_install() < 0) {
		fprintf(stderr, "stratbox-zygote: could not install the audit hook\n");
		_exit(70);
	}
	PyStatus st = Py_InitializeFromConfig(&config);
	PyConfig_Clear(&config);
	if (PyStatus_Exception(st)) {
		fprintf(stderr, "stratbox-zygote: Python: %s\n", st.err_msg ? st.err_msg : "init failed");
		_exit(70);
	}
	const char *hook = getenv("STRATBOX_AUDIT_HOOK");
	audit_off = hook != NULL && strcmp(hook, "off") == 0;
	if (python_load(versions, size) == 0)
		return;
	PyErr_Print();
	fprintf(stderr, "stratbox-zygote: could not load the stratbox package from %s\n", PACKAGE_DIR);
	_exit(70);
}

/* "a,b,c" as a new list of str; NULL with a Python error. */
static PyObject *csv_list(const char *csv)
{
	PyObject *list = PyList_New(0);
	for (const char *t = csv ? csv : ""; list != NULL && *t;) {
		size_t n = strcspn(t, ",");
		if (n > 0) {
			PyObject *s = PyUnicode_FromStringAndSize(t, (Py_ssize_t) n);
			if (s == NULL || PyList_Append(list, s) < 0) {
				Py_XDECREF(s);
				Py_CLEAR(list);
				break;
			}
			Py_DECREF(s);
		}
		t += n + (t[n] == ',');
	}
	return list;
}

/* A venv environment (docs/environments.md): its site-packages (bound
 * read-only at STRATBOX_SITE_PACKAGES) go first on sys.path, after the
 * stratbox package; without the system's site-packages
 * (STRATBOX_NO_SYSTEM_SITE, the venv's include-system-site-packages =
 * false), the interpreter's dist-/site-packages directories are dropped. */
static int site_paths(void)
{
	PyObject *sys_path = PySys_GetObject("path");
	if (sys_path == NULL)
		return -1;
	if (getenv("STRATBOX_NO_SYSTEM_SITE") != NULL) {
		for (Py_ssize_t i = PyList_GET_SIZE(sys_path) - 1; i >= 0; i--) {
			const char *e = PyUnicode_AsUTF8(PyList_GET_ITEM(sys_path, i));
			if (e == NULL)
				return -1;
			if ((strstr(e, "/dist-packages") || strstr(e, "/site-packages")) &&
			    PySequence_DelItem(sys_path, i) < 0)
				return -1;
		}
	}
	const char *site = getenv("STRATBOX_SITE_PACKAGES");
	if (site == NULL)
		return 0;
	PyObject *dir = PyUnicode_FromString(site);
	int r = dir ? PyList_Insert(sys_path, 1, dir) : -1;
	Py_XDECREF(dir);
	return r;
}

/* sys.path, the allowed-import list, the preload; -1 with a Python error. */
static int python_load(char *versions, size_t size)
{
	PyObject *sys_path = PySys_GetObject("path");
	PyObject *dir = PyUnicode_FromString(PACKAGE_DIR);
	if (sys_path == NULL || dir == NULL || PyList_Insert(sys_path, 0, dir) < 0)
		return -1;
	Py_DECREF(dir);
	allowed = csv_list(getenv("STRATBOX_ALLOWED_IMPORTS"));
	const char *pre = getenv("STRATBOX_PRELOAD");
	PyObject *preload = pre ? csv_list(pre) : Py_NewRef(allowed);
	if (allowed == NULL || preload == NULL || site_paths() < 0)
		return -1;
	PyObject *zyg = PyImport_ImportModule("stratbox._zygote");
	PyObject *v = zyg ? PyObject_CallMethod(zyg, "preload", "OOO", allowed,
						audit_off ? Py_False : Py_True, preload)
			  : NULL;
	Py_DECREF(preload);
	PyObject *runner = v ? PyImport_ImportModule("stratbox._runner") : NULL;
	if (runner == NULL)
		return -1;
	run_job = PyObject_GetAttrString(runner, "run_job");
	warm_slot = PyObject_GetAttrString(runner, "warm");
	if (run_job == NULL || warm_slot == NULL || audit_configure(allowed) < 0)
		return -1;
	snprintf(versions, size, "%s", PyUnicode_AsUTF8(v));
	Py_DECREF(v);
	/* Give back what the imports freed: fewer pages to copy per fork. */
	malloc_trim(0);
	return 0;
}

int main(void)
{
	int pool = ZYG_FD_POOL;
	char versions[256] = "";
	python_start(versions, sizeof(versions));

	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	int pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
	if (sfd < 0 || pidns < 0)
		die("signalfd / pid namespace");

	struct zmsg m;
	memset(&m, 0, sizeof(m));
	m.type = Z_READY;
	snprintf(m.text, sizeof(m.text), "%s", versions);
	if (send_msg(pool, &m, NULL, 0) < 0)
		die("report ready");

	for (;;) {
		struct pollfd p[2] = { { pool, POLLIN, 0 }, { sfd, POLLIN, 0 } };
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (p[1].revents) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == sizeof(si))
				;
			reap(pool);
		}
		if (!p[0].revents)
			continue;
		int fds[4], nfds;
		int r = recv_msg(pool, &m, fds, 4, &nfds);
		if (r == 0 || (r == 1 && m.type == Z_STOP))
			break;
		if (r < 0 || m.type != Z_SPAWN || nfds != 3) {
			for (int i = 0; i < nfds; i++)
				close(fds[i]);
			continue;
		}
		uint32_t id = m.slot;
		if (spawn_slot(id, m.flags, fds, pidns) < 0) {
			memset(&m, 0, sizeof(m));
			m.type = Z_FAIL;
			m.slot = id;
			snprintf(m.text, sizeof(m.text), "fork a slot: %s", strerror(errno));
			send_msg(pool, &m, NULL, 0);
		}
		for (int i = 0; i < 3; i++)
			close(fds[i]);
	}
	for (int i = 0; i < nslots; i++)
		kill(slots[i].pid, SIGKILL);
	return 0;
}
