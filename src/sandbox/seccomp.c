/* Syscall policies, compiled with libseccomp.
 *
 * Allow-list: a syscall not named here does not run.  Instead of killing
 * the process outright (which would leave a bare SIGSYS and no name), the
 * default action is a user notification: the calling thread stops inside
 * the syscall, the supervisor receives the syscall number and architecture
 * on the listener fd, names it in the verdict and kills the whole sandbox.
 * The call never executes.  The same holds for other architectures' ABIs
 * (i386 `int 0x80`, x32): they are "bad arch" for this filter and also
 * notify, so a 32-bit syscall cannot slip past a 64-bit rule.
 *
 * The BPF programs are compiled at build time (tools/gen-seccomp.c links
 * these rules and writes seccomp-prebuilt.c; seccomp_prog_get() compiles
 * once per process and policy only in a binary built without it) and
 * loaded with a raw seccomp(2) in the child, which must not allocate.
 */
#include "common/util.h"
#include "sandbox/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

/* What general programs need: the C library, shells, coreutils, Python with
 * numpy and pandas (docs/syscalls.md has what those ask for).
 * Deliberately absent, so they reach the default action: ptrace,
 * process_vm_readv/writev, kcmp, pidfd_getfd (reading other processes);
 * mount, umount2, pivot_root, chroot, fsopen/fsmount/open_tree/move_mount
 * (reshaping the filesystem view); unshare, setns (new or foreign
 * namespaces); keyctl, add_key, request_key (the kernel keyring is not
 * namespaced); bpf, perf_event_open, userfaultfd, io_uring_* (large kernel
 * attack surface, several past escapes); kexec_*, init/finit/delete_module,
 * reboot, swapon/off, acct, syslog, settimeofday, clock_settime/adjtime
 * (host-wide state); open_by_handle_at (the "shocker" container escape);
 * name_to_handle_at; modify_ldt, iopl, ioperm (x86 legacy); quotactl;
 * sethostname/setdomainname; lookup_dcookie; vhangup; move_pages,
 * migrate_pages; memfd_secret; uselib; nfsservctl; io_setup, io_submit,
 * io_getevents, io_pgetevents, io_cancel, io_destroy (kernel AIO: contexts
 * come from one host-wide pool, fs.aio-max-nr, that no namespace or cgroup
 * divides: a sandbox once held all 65536 for its whole run and the host's
 * own io_setup calls failed with EAGAIN). */
static const char *const run_allow[] = {
	/* files and descriptors */
	"read", "write", "open", "openat", "openat2", "close", "close_range", "creat", "lseek",
	"pread64", "pwrite64", "readv", "writev", "preadv", "pwritev", "preadv2", "pwritev2",
	"stat", "fstat", "lstat", "newfstatat", "statx", "statfs", "fstatfs", "access",
	"faccessat", "faccessat2", "readlink", "readlinkat", "getdents", "getdents64", "mkdir",
	"mkdirat", "rmdir", "unlink", "unlinkat", "rename", "renameat", "renameat2", "link",
	"linkat", "symlink", "symlinkat", "chmod", "fchmod", "fchmodat", "fchmodat2", "chown",
	"fchown", "lchown", "fchownat", "truncate", "ftruncate", "fallocate", "fsync",
	"fdatasync", "sync_file_range", "utime", "utimes", "utimensat", "futimesat", "umask",
	"dup", "dup2", "dup3", "fcntl", "flock", "pipe", "pipe2", "sendfile", "splice", "tee",
	"vmsplice", "copy_file_range", "mknod", "mknodat", "getcwd", "chdir", "fchdir",
	"fadvise64", "readahead", "inotify_init", "inotify_init1",
	"inotify_add_watch", "inotify_rm_watch", "getxattr", "lgetxattr", "fgetxattr",
	"listxattr", "llistxattr", "flistxattr", "setxattr", "lsetxattr", "fsetxattr",
	"removexattr", "lremovexattr", "fremovexattr", "sync", "syncfs",
	/* memory (mmap and memfd_create below) */
	"munmap", "mprotect", "mremap", "brk", "madvise", "msync", "mincore", "mlock",
	"mlock2", "munlock", "mlockall", "munlockall", "membarrier", "get_mempolicy",
	"set_mempolicy", "mbind", "pkey_alloc", "pkey_free", "pkey_mprotect",
	/* processes, threads, signals (clone and clone3 below) */
	"fork", "vfork", "execve", "execveat", "exit", "exit_group", "wait4", "waitid", "getpid",
	"getppid", "gettid", "getpgid", "setpgid", "getpgrp", "getsid", "setsid", "kill",
	"tkill", "tgkill", "pidfd_open", "pidfd_send_signal", "rt_sigaction", "rt_sigprocmask",
	"rt_sigreturn", "rt_sigpending", "rt_sigtimedwait", "rt_sigqueueinfo",
	"rt_tgsigqueueinfo", "rt_sigsuspend", "sigaltstack", "pause", "alarm", "nanosleep",
	"clock_nanosleep", "getitimer", "setitimer", "timer_create", "timer_settime",
	"timer_gettime", "timer_getoverrun", "timer_delete", "timerfd_create",
	"timerfd_settime", "timerfd_gettime", "signalfd", "signalfd4", "eventfd", "eventfd2",
	"prctl", "arch_prctl", "set_tid_address", "set_robust_list", "get_robust_list", "futex",
	"futex_waitv", "rseq", "restart_syscall", "sched_yield", "sched_getaffinity",
	"sched_setaffinity", "sched_getparam", "sched_setparam", "sched_getscheduler",
	"sched_setscheduler", "sched_get_priority_max", "sched_get_priority_min",
	"sched_rr_get_interval", "sched_getattr", "sched_setattr", "getpriority", "setpriority",
	"ioprio_get", "ioprio_set", "getrlimit", "setrlimit", "prlimit64", "getrusage", "times",
	"capget", "capset", "getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid",
	"getgroups", "setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid",
	"setgroups", "setfsuid", "setfsgid", "uname", "sysinfo", "getcpu", "seccomp",
	"landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self",
	/* time */
	"gettimeofday", "time", "clock_gettime", "clock_getres",
	/* sockets (families checked below); the network namespace has no
	 * interface up, so only local IPC inside the sandbox works */
	"socketpair", "connect", "accept", "accept4", "bind", "listen", "getsockname",
	"getpeername", "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg",
	"shutdown", "setsockopt", "getsockopt",
	/* waiting */
	"select", "pselect6", "poll", "ppoll", "epoll_create", "epoll_create1", "epoll_ctl",
	"epoll_wait", "epoll_pwait", "epoll_pwait2",
	/* System V and POSIX IPC: private to the sandbox's IPC namespace
	 * (shmget below) */
	"shmat", "shmdt", "shmctl", "semget", "semop", "semtimedop", "semctl",
	"msgget", "msgsnd", "msgrcv", "msgctl", "mq_open", "mq_unlink", "mq_timedsend",
	"mq_timedreceive", "mq_notify", "mq_getsetattr",
	/* randomness */
	"getrandom",
};

/* Namespace flags that clone(2) must not carry.  CLONE_NEWTIME (0x80)
 * shares its bit with the exit signal in clone(2) and is only honoured by
 * clone3 and unshare, both refused. */
#define NS_CLONE_FLAGS                                                                             \
	(CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |             \
	 CLONE_NEWPID | CLONE_NEWNET)

/* Add rules giving `action` to syscall nr when the low 32 bits of argument
 * arg are none of the values in `except` (and, when `when` is not NULL,
 * the comparison *when holds as well: it must be on another argument).
 * libseccomp cannot compare one argument twice in a rule, and an
 * unconditional rule would override any exception, so the complement of
 * the excepted values is covered with masked-equality cubes: for each bit
 * position, the values that agree with an excepted value above that bit
 * and differ at it.  Comparing only the low 32 bits matters: the kernel
 * truncates an int argument, so a filter that looked at all 64 bits could
 * be passed 0x1_00005412 and let TIOCSTI through. */
static int rule_except(scmp_filter_ctx ctx, uint32_t action, int nr,
		       const struct scmp_arg_cmp *when, unsigned arg, const uint32_t *except,
		       size_t nexcept)
{
	/* Walk the binary trie of the excepted values from the top bit down;
	 * every branch that leaves the set of excepted prefixes is one cube. */
	struct cube {
		uint32_t mask, value;
	} stack[64 * 4];
	size_t sp = 0;
	stack[sp++] = (struct cube){ 0, 0 };
	while (sp > 0) {
		struct cube c = stack[--sp];
		bool any = false, exact = false;
		for (size_t i = 0; i < nexcept; i++) {
			if ((except[i] & c.mask) == c.value) {
				any = true;
				exact = c.mask == 0xffffffffu;
			}
		}
		if (!any) {
			struct scmp_arg_cmp cmp[2] = { SCMP_CMP(arg, SCMP_CMP_MASKED_EQ, c.mask, c.value) };
			unsigned n = 1;
			if (when != NULL)
				cmp[n++] = *when;
			int r = seccomp_rule_add_array(ctx, action, nr, n, cmp);
			if (r < 0)
				return r;
			continue;
		}
		if (exact)
			continue; /* an excepted value itself: left to other rules */
		/* masks grow from the top bit down: the next bit to split on */
		uint32_t bit = 0x80000000u >> __builtin_popcount(c.mask);
		if (sp + 2 > ARRAY_SIZE(stack))
			return -ENOSPC;
		stack[sp++] = (struct cube){ c.mask | bit, c.value };
		stack[sp++] = (struct cube){ c.mask | bit, c.value | bit };
	}
	return 0;
}

/* Allow syscall nr unless the low 32 bits of argument arg are one of deny
 * (which then reach the default action). */
static int allow_except(scmp_filter_ctx ctx, int nr, unsigned arg, const uint32_t *deny,
			size_t ndeny)
{
	return rule_except(ctx, SCMP_ACT_ALLOW, nr, NULL, arg, deny, ndeny);
}

static int allow_values(scmp_filter_ctx ctx, int nr, unsigned arg, const uint32_t *vals, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
					 SCMP_CMP(arg, SCMP_CMP_MASKED_EQ, 0xffffffffu, vals[i]));
		if (r < 0)
			return r;
	}
	return 0;
}

static int add_names(scmp_filter_ctx ctx, const char *const *names, size_t n, sbx_error **err)
{
	for (size_t i = 0; i < n; i++) {
		int nr = seccomp_syscall_resolve_name(names[i]);
		if (nr == __NR_SCMP_ERROR)
			continue; /* unknown to this libseccomp: nothing to allow */
		int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (r < 0)
			return sbx_error_set(err, -r, "seccomp: allow %s", names[i]);
	}
	return 0;
}

/* Memory from the hugetlb pool is a host-wide reserve (vm.nr_hugepages,
 * set aside for databases or VMs) that no memory cgroup here is charged
 * for: a sandbox could drain it for the host.  mmap(MAP_HUGETLB),
 * memfd_create(MFD_HUGETLB) and shmget(SHM_HUGETLB) fail with ENOMEM, the
 * answer of a host with an empty pool, which every caller handles (glibc's
 * malloc falls back to ordinary pages).  Transparent huge pages (madvise)
 * come from ordinary memory and stay allowed.  `all`: also memfd_create
 * and shmget (the job policy allows neither). */
static int no_hugetlb(scmp_filter_ctx ctx, bool all)
{
	static const struct {
		const char *name;
		unsigned arg;
		uint32_t flag;
	} calls[] = {
		{ "mmap", 3, MAP_HUGETLB },
		{ "memfd_create", 1, MFD_HUGETLB },
		{ "shmget", 2, SHM_HUGETLB },
	};
	for (size_t i = 0; i < (all ? ARRAY_SIZE(calls) : 1); i++) {
		int nr = seccomp_syscall_resolve_name(calls[i].name);
		int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
					 SCMP_CMP(calls[i].arg, SCMP_CMP_MASKED_EQ, calls[i].flag, 0));
		if (r == 0)
			r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOMEM), nr, 1,
					     SCMP_CMP(calls[i].arg, SCMP_CMP_MASKED_EQ, calls[i].flag,
						      calls[i].flag));
		if (r < 0)
			return r;
	}
	return 0;
}

/* The RUN rules.  refusals_errno: refuse the calls some programs probe
 * for (other netlink protocols) with an errno, as a kernel without them
 * would; false for the zygote, whose refusals must rank below a job's
 * notification (default_action()). */
static int build_run_rules(scmp_filter_ctx ctx, bool refusals_errno, sbx_error **err)
{
	if (add_names(ctx, run_allow, ARRAY_SIZE(run_allow), err) < 0)
		return -1;

	/* New processes and threads, but never new namespaces. */
	int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
				 SCMP_A0(SCMP_CMP_MASKED_EQ, NS_CLONE_FLAGS, 0));
	/* clone3 passes its flags behind a pointer, which seccomp cannot
	 * inspect: make it look absent so the C library falls back to
	 * clone(2), whose flags are checked above. */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);

	/* TIOCSTI pushes characters into a terminal's input queue (typing
	 * commands into the caller's shell); TIOCLINUX can do the same on a
	 * virtual console.  Everything else ioctl does is per-fd. */
	static const uint32_t tty_inject[] = { TIOCSTI, TIOCLINUX };
	if (r == 0)
		r = allow_except(ctx, SCMP_SYS(ioctl), 1, tty_inject, ARRAY_SIZE(tty_inject));

	/* personality(2): only the query and the default.  Other personas
	 * (READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE, ...) weaken mitigations. */
	static const uint32_t personas[] = { 0, 0xffffffffu };
	if (r == 0)
		r = allow_values(ctx, SCMP_SYS(personality), 0, personas, ARRAY_SIZE(personas));

	/* Socket families: local and IP (unreachable: no interface is up).
	 * Not AF_PACKET, AF_KEY, AF_ALG, AF_VSOCK, ... which reach kernel
	 * code or the host. */
	static const uint32_t families[] = { AF_UNIX, AF_INET, AF_INET6 };
	if (r == 0)
		r = allow_values(ctx, SCMP_SYS(socket), 0, families, ARRAY_SIZE(families));
	/* Netlink: NETLINK_ROUTE only, which answers for the sandbox's own
	 * network namespace (glibc's getaddrinfo(AI_ADDRCONFIG), getifaddrs
	 * and if_nameindex use it; changing anything there needs
	 * CAP_NET_ADMIN, which the command never has).  Other protocols are
	 * not per namespace: NETLINK_KOBJECT_UEVENT delivers the host's
	 * device events (a root sandbox received them), NETLINK_AUDIT,
	 * SOCK_DIAG, GENERIC (taskstats) and the rest reach host state. */
	struct scmp_arg_cmp netlink = SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu, AF_NETLINK);
	static const uint32_t nl_ok[] = { NETLINK_ROUTE };
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 2, netlink,
				     SCMP_A2(SCMP_CMP_MASKED_EQ, 0xffffffffu, NETLINK_ROUTE));
	/* ...and the others fail as on a kernel built without them, instead
	 * of ending the run: libraries open them as optional features and
	 * test for EPROTONOSUPPORT (libaudit in sudo, login and shadow's
	 * tools; udev and libusb hotplug monitors; sd-netlink).  The call
	 * still never runs.  Not in the zygote's policy: there it falls to
	 * the default action, so that a job's own filter reports it. */
	if (r == 0 && refusals_errno)
		r = rule_except(ctx, SCMP_ACT_ERRNO(EPROTONOSUPPORT), SCMP_SYS(socket), &netlink, 2,
				nl_ok, ARRAY_SIZE(nl_ok));
	if (r == 0)
		r = no_hugetlb(ctx, true);
	if (r < 0)
		return sbx_error_set(err, -r, "seccomp: conditional rules");
	return 0;
}

/* libseccomp 2.5 exports BPF only to a file descriptor: go through a memfd. */
static int export_prog(scmp_filter_ctx ctx, struct seccomp_prog *out, sbx_error **err)
{
	cleanup_close int fd = memfd_create("stratbox-bpf", MFD_CLOEXEC);
	if (fd < 0)
		return sbx_error_set(err, errno, "memfd_create");
	int r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return sbx_error_set(err, -r, "seccomp_export_bpf");
	off_t len = lseek(fd, 0, SEEK_END);
	if (len <= 0 || len % (off_t) sizeof(struct sock_filter) != 0 ||
	    len / (off_t) sizeof(struct sock_filter) > BPF_MAXINSNS)
		return sbx_error_set(err, EINVAL, "seccomp program has an unexpected size %lld",
				     (long long) len);
	out->insns = malloc((size_t) len);
	if (out->insns == NULL)
		return sbx_error_set(err, ENOMEM, "seccomp program");
	if (pread(fd, out->insns, (size_t) len, 0) != len) {
		free(out->insns);
		out->insns = NULL;
		return sbx_error_set(err, errno, "read seccomp program");
	}
	out->len = (unsigned short) (len / (off_t) sizeof(struct sock_filter));
	return 0;
}

/* The zygote: what `run` allows, plus building a job's sandbox: mounting
 * its /proc, /tmp and /workspace, a new pid/mount/IPC namespace per job,
 * and its cgroup namespace.  Never a new user, network or UTS namespace.
 * Trusted code only; refused calls fail with ENOSYS (default_action()). */
static int build_zygote_policy(scmp_filter_ctx ctx, sbx_error **err)
{
	if (build_run_rules(ctx, false, err) < 0)
		return -1;
	/* the new mount API too: a slot's /proc is hidden in part with it
	 * (rootfs_proc_protect(), shared with `run`) */
	static const char *const extra[] = { "mount",	  "umount2",	   "open_tree",
					     "move_mount", "mount_setattr", "fsopen",
					     "fsconfig",  "fsmount" };
	if (add_names(ctx, extra, ARRAY_SIZE(extra), err) < 0)
		return -1;
	int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
				 SCMP_A0(SCMP_CMP_MASKED_EQ,
					 CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWCGROUP, 0));
	/* unshare: a slot's mount, IPC, cgroup and pid namespaces (zygote.c) */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(unshare), 1,
				     SCMP_A0(SCMP_CMP_MASKED_EQ,
					     CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWUTS, 0));
	/* back into its own pid namespace after forking a slot into a new one */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setns), 1,
				     SCMP_A1(SCMP_CMP_EQ, CLONE_NEWPID));
	if (r < 0)
		return sbx_error_set(err, -r, "seccomp: zygote clone rule");
	return 0;
}

/* Strategy code, after its libraries are imported (docs/syscalls.md:
 * fourteen syscalls cover a whole numpy/pandas workload).  No execve, no
 * new processes (threads only), no sockets, no SysV IPC. */
static const char *const job_allow[] = {
	"read", "write", "readv", "writev", "pread64", "open", "openat", "close", "lseek",
	"newfstatat", "fstat", "stat", "lstat", "statx", "fstatfs", "getdents64", "readlink",
	"readlinkat", "access", "faccessat", "faccessat2", "getcwd", "dup", "dup2",
	"dup3", "ftruncate", "fsync", "fdatasync", "unlink", "unlinkat", "rename", "renameat",
	"renameat2", "mkdir", "mkdirat", "rmdir", "fadvise64", "munmap", "mprotect",
	"mremap", "madvise", "brk", "futex", "set_robust_list", "get_robust_list", "rseq",
	"exit", "exit_group", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack",
	"tgkill", "kill", "getpid", "gettid", "getppid", "getuid", "geteuid", "getgid",
	"getegid", "sched_yield", "sched_getaffinity", "getrandom", "clock_gettime",
	"clock_getres", "clock_nanosleep", "nanosleep", "gettimeofday", "time", "uname",
	"sysinfo", "getrusage", "times", "prlimit64", "getrlimit", "poll", "ppoll", "select",
	"pselect6", "set_tid_address", "restart_syscall",
};

static int build_job_policy(scmp_filter_ctx ctx, sbx_error **err)
{
	if (add_names(ctx, job_allow, ARRAY_SIZE(job_allow), err) < 0)
		return -1;
	/* threads: CLONE_THREAD set and no namespace flag, in one comparison */
	int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
				 SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD | NS_CLONE_FLAGS,
					 CLONE_THREAD));
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	/* ioctl: only what Python's I/O asks (isatty, terminal size, bytes
	 * waiting, blocking and close-on-exec flags) */
	static const uint32_t py_ioctls[] = { TCGETS, TIOCGWINSZ, FIONREAD, FIONBIO, FIOCLEX,
					      FIONCLEX };
	if (r == 0)
		r = allow_values(ctx, SCMP_SYS(ioctl), 1, py_ioctls, ARRAY_SIZE(py_ioctls));
	/* fcntl, but no file locks, leases or directory notifications: two
	 * jobs share the read-only files of /usr, and a lock one takes is seen
	 * by the other (F_GETLK): a channel between two slots of a sweep, one
	 * ahead of the other in the data */
	static const uint32_t fcntl_shared_state[] = { F_GETLK,	     F_SETLK,	    F_SETLKW,
						       F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW,
						       F_SETLEASE,  F_GETLEASE,	 F_NOTIFY };
	if (r == 0)
		r = allow_except(ctx, SCMP_SYS(fcntl), 1, fcntl_shared_state,
				 ARRAY_SIZE(fcntl_shared_state));
	/* the listener is passed once, on the control socket (fd 3) */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sendmsg), 1,
				     SCMP_A0(SCMP_CMP_EQ, 3));
	if (r == 0)
		r = no_hugetlb(ctx, false);
	if (r < 0)
		return sbx_error_set(err, -r, "seccomp: job rules");
	return 0;
}

bool seccomp_policy_notifies(enum sbx_policy policy)
{
	return policy != SBX_POLICY_ZYGOTE;
}

/* The zygote's default action.  Filters stack: for each syscall the kernel
 * takes the strongest action any filter returns (KILL > TRAP > ERRNO >
 * USER_NOTIF > TRACE).  A job runs under the zygote's filter and its own;
 * for a syscall both refuse, a kill or an errno here would win over the
 * job filter's notification, and the verdict could not name the call.
 * TRACE ranks below USER_NOTIF, and with no tracer attached (nothing may
 * ptrace the zygote) it fails the call with ENOSYS: a refusal for the
 * zygote's own trusted code, a named violation for a job. */
static uint32_t default_action(enum sbx_policy policy)
{
	return seccomp_policy_notifies(policy) ? SCMP_ACT_NOTIFY : SCMP_ACT_TRACE(0);
}

static int compile_policy(enum sbx_policy policy, struct seccomp_prog *out, sbx_error **err)
{
	uint32_t deflt = default_action(policy);
	scmp_filter_ctx ctx = seccomp_init(deflt);
	if (ctx == NULL)
		return sbx_error_set(err, ENOMEM, "seccomp_init");
	int ret = -1;
	/* Other ABIs (i386, x32) notify too, so they are named and refused. */
	int r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, deflt);
	/* no_new_privs is set by the child itself, before loading. */
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	/* A binary tree of syscall numbers instead of a linear chain: with
	 * ~300 allowed calls, a syscall costs a dozen comparisons instead of
	 * up to 300, and loading is 4x faster because the kernel emulates
	 * the filter once per syscall number to build its allow cache. */
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (r < 0) {
		sbx_error_set(err, -r, "seccomp attributes");
		goto out;
	}
	switch (policy) {
	case SBX_POLICY_RUN:
		if (build_run_rules(ctx, true, err) < 0)
			goto out;
		break;
	case SBX_POLICY_ZYGOTE:
		if (build_zygote_policy(ctx, err) < 0)
			goto out;
		break;
	case SBX_POLICY_PYTHON_JOB:
		if (build_job_policy(ctx, err) < 0)
			goto out;
		break;
	default:
		sbx_error_set(err, EINVAL, "unknown seccomp policy %d", (int) policy);
		goto out;
	}

	if (export_prog(ctx, out, err) < 0)
		goto out;
	ret = 0;
out:
	seccomp_release(ctx);
	return ret;
}

static pthread_mutex_t prog_lock = PTHREAD_MUTEX_INITIALIZER;
static struct seccomp_prog progs[SBX_NPOLICIES];

int seccomp_prog_compile(enum sbx_policy policy, struct seccomp_prog *out, sbx_error **err)
{
	if ((unsigned) policy >= SBX_NPOLICIES)
		return sbx_error_set(err, EINVAL, "unknown seccomp policy %d", (int) policy);
	return compile_policy(policy, out, err);
}

/* The program for a policy: the one compiled into the binary at build time
 * (seccomp-prebuilt.c, generated by tools/gen-seccomp.c from the rules in
 * this file), or else compiled now with libseccomp, once per process.
 * Compiling costs ~2 ms; a sandbox launch is budgeted at about that. */
int seccomp_prog_get(enum sbx_policy policy, const struct seccomp_prog **out, sbx_error **err)
{
	if ((unsigned) policy >= SBX_NPOLICIES)
		return sbx_error_set(err, EINVAL, "unknown seccomp policy %d", (int) policy);
	const struct seccomp_prog *pre = seccomp_prebuilt(policy);
	if (pre != NULL && pre->len > 0) {
		*out = pre;
		return 0;
	}
	pthread_mutex_lock(&prog_lock);
	int r = 0;
	if (progs[policy].insns == NULL)
		r = compile_policy(policy, &progs[policy], err);
	pthread_mutex_unlock(&prog_lock);
	if (r < 0)
		return -1;
	*out = &progs[policy];
	return 0;
}

int seccomp_install(const struct seccomp_prog *prog, bool listener)
{
	struct sock_fprog fprog = { .len = prog->len, .filter = prog->insns };
	long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			  listener ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0, &fprog);
	return fd < 0 ? -errno : (int) fd;
}

void seccomp_name_syscall(uint32_t arch, int nr, char *buf, size_t size)
{
	const char *prefix = "";
	uint32_t lookup_arch = arch;
	int lookup_nr = nr;
	if (arch == AUDIT_ARCH_X86_64 && (nr & 0x40000000)) {
		prefix = "x32:";
		lookup_arch = SCMP_ARCH_X32;
	} else if (arch == AUDIT_ARCH_I386) {
		prefix = "i386:";
	} else if (arch != (uint32_t) seccomp_arch_native()) {
		prefix = "foreign:";
	}
	char *name = seccomp_syscall_resolve_num_arch(lookup_arch, lookup_nr);
	if (name == NULL && lookup_arch == SCMP_ARCH_X32)
		name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr & ~0x40000000);
	if (name != NULL)
		snprintf(buf, size, "%s%s", prefix, name);
	else
		snprintf(buf, size, "%ssyscall_%d", prefix, nr);
	free(name);
}

