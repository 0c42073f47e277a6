/* The seccomp policy, checked on the compiled BPF itself: a classic-BPF
 * interpreter runs the program for a syscall and its arguments, the way
 * the kernel would, and the test asserts the action.  Nothing is loaded,
 * so this runs anywhere. */
#include "harness.h"
#include "helpers.h"
#include "sandbox/internal.h"
#include "unit.h"

#include <errno.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <seccomp.h>
#include <linux/netlink.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/syscall.h>

static uint32_t run_bpf(const struct seccomp_prog *p, const struct seccomp_data *d)
{
	uint32_t A = 0, X = 0, M[BPF_MEMWORDS] = { 0 };
	const unsigned char *data = (const unsigned char *) d;
	for (unsigned pc = 0; pc < p->len; pc++) {
		const struct sock_filter *f = &p->insns[pc];
		uint32_t k = f->k;
		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			CHECK(k + 4 <= sizeof(*d) && k % 4 == 0, "load out of bounds: %u", k);
			memcpy(&A, data + k, 4);
			break;
		case BPF_LD | BPF_IMM: A = k; break;
		case BPF_LD | BPF_MEM: A = M[k]; break;
		case BPF_LDX | BPF_IMM: X = k; break;
		case BPF_LDX | BPF_MEM: X = M[k]; break;
		case BPF_ST: M[k] = A; break;
		case BPF_STX: M[k] = X; break;
		case BPF_ALU | BPF_AND | BPF_K: A &= k; break;
		case BPF_ALU | BPF_OR | BPF_K: A |= k; break;
		case BPF_ALU | BPF_ADD | BPF_K: A += k; break;
		case BPF_ALU | BPF_SUB | BPF_K: A -= k; break;
		case BPF_ALU | BPF_RSH | BPF_K: A >>= k; break;
		case BPF_ALU | BPF_LSH | BPF_K: A <<= k; break;
		case BPF_MISC | BPF_TAX: X = A; break;
		case BPF_MISC | BPF_TXA: A = X; break;
		case BPF_JMP | BPF_JA: pc += k; break;
		case BPF_JMP | BPF_JEQ | BPF_K: pc += A == k ? f->jt : f->jf; break;
		case BPF_JMP | BPF_JGT | BPF_K: pc += A > k ? f->jt : f->jf; break;
		case BPF_JMP | BPF_JGE | BPF_K: pc += A >= k ? f->jt : f->jf; break;
		case BPF_JMP | BPF_JSET | BPF_K: pc += (A & k) ? f->jt : f->jf; break;
		case BPF_JMP | BPF_JEQ | BPF_X: pc += A == X ? f->jt : f->jf; break;
		case BPF_JMP | BPF_JGT | BPF_X: pc += A > X ? f->jt : f->jf; break;
		case BPF_JMP | BPF_JGE | BPF_X: pc += A >= X ? f->jt : f->jf; break;
		case BPF_RET | BPF_K: return k;
		case BPF_RET | BPF_A: return A;
		default:
			test_fail_at(__FILE__, __LINE__, "unhandled BPF opcode 0x%x at %u", f->code, pc);
		}
	}
	test_fail_at(__FILE__, __LINE__, "program fell off its end");
}

static uint32_t action(const struct seccomp_prog *p, uint32_t arch, int nr, uint64_t a0,
		       uint64_t a1)
{
	struct seccomp_data d;
	memset(&d, 0, sizeof(d));
	d.nr = nr;
	d.arch = arch;
	d.args[0] = a0;
	d.args[1] = a1;
	return run_bpf(p, &d);
}

/* ...with up to four arguments. */
static uint32_t action4(const struct seccomp_prog *p, int nr, uint64_t a0, uint64_t a1,
			uint64_t a2, uint64_t a3)
{
	struct seccomp_data d;
	memset(&d, 0, sizeof(d));
	d.nr = nr;
	d.arch = AUDIT_ARCH_X86_64;
	d.args[0] = a0;
	d.args[1] = a1;
	d.args[2] = a2;
	d.args[3] = a3;
	return run_bpf(p, &d);
}

#define ALLOW SECCOMP_RET_ALLOW
#define NOTIFY SECCOMP_RET_USER_NOTIF
#define X86_64 AUDIT_ARCH_X86_64

static const struct seccomp_prog *policy(enum sbx_policy which)
{
	const struct seccomp_prog *p = NULL;
	sbx_error *err = NULL;
	CHECK(seccomp_prog_get(which, &p, &err) == 0, "%s", err ? err->msg : "");
	return p;
}

static const struct seccomp_prog *run_policy(void)
{
	return policy(SBX_POLICY_RUN);
}

void u_seccomp_prebuilt_matches(void)
{
	static const enum sbx_policy policies[] = { SBX_POLICY_RUN, SBX_POLICY_ZYGOTE,
						    SBX_POLICY_PYTHON_JOB };
	for (size_t i = 0; i < sizeof(policies) / sizeof(policies[0]); i++) {
		struct seccomp_prog fresh;
		sbx_error *err = NULL;
		CHECK(seccomp_prog_compile(policies[i], &fresh, &err) == 0);
		const struct seccomp_prog *pre = seccomp_prebuilt(policies[i]);
		CHECK(pre != NULL && pre->len > 0, "policy %d: no build-time program linked in",
		      (int) policies[i]);
		CHECK_INT_EQ(pre->len, fresh.len);
		CHECK(memcmp(pre->insns, fresh.insns, fresh.len * sizeof(struct sock_filter)) == 0,
		      "policy %d: the build-time program differs from seccomp.c: rebuild",
		      (int) policies[i]);
		free(fresh.insns);
	}
}

void u_seccomp_run_allows_programs_refuses_escapes(void)
{
	const struct seccomp_prog *p = run_policy();
	static const int allowed[] = { SYS_read, SYS_write, SYS_openat, SYS_mmap, SYS_execve,
				       SYS_exit_group, SYS_futex, SYS_wait4, SYS_getrandom,
				       SYS_newfstatat, SYS_vfork, SYS_rseq, SYS_close_range };
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		CHECK(action(p, X86_64, allowed[i], 0, 0) == ALLOW, "syscall %d", allowed[i]);
	static const int denied[] = { SYS_ptrace, SYS_mount, SYS_umount2, SYS_pivot_root,
				      SYS_unshare, SYS_setns, SYS_keyctl, SYS_add_key,
				      SYS_request_key, SYS_bpf, SYS_perf_event_open,
				      SYS_io_uring_setup, SYS_io_uring_enter, SYS_io_uring_register,
				      SYS_userfaultfd, SYS_kexec_load, SYS_kexec_file_load,
				      SYS_init_module, SYS_finit_module, SYS_delete_module,
				      SYS_open_by_handle_at, SYS_process_vm_readv,
				      SYS_process_vm_writev, SYS_chroot, SYS_reboot, SYS_iopl,
				      SYS_modify_ldt, SYS_fsopen, SYS_open_tree, SYS_move_mount,
				      SYS_pidfd_getfd, SYS_kcmp, SYS_sethostname, 999 };
	for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++)
		CHECK(action(p, X86_64, denied[i], 0, 0) == NOTIFY, "syscall %d", denied[i]);
}

void u_seccomp_run_checks_clone_ioctl_socket_args(void)
{
	const struct seccomp_prog *p = run_policy();
	/* clone: threads and processes yes, namespaces no */
	uint64_t thread = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
			  CLONE_SYSVSEM | CLONE_SETTLS;
	CHECK(action(p, X86_64, SYS_clone, thread, 0) == ALLOW);
	CHECK(action(p, X86_64, SYS_clone, SIGCHLD, 0) == ALLOW);
	static const uint64_t ns[] = { CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET,
				       CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWCGROUP };
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
		CHECK(action(p, X86_64, SYS_clone, SIGCHLD | ns[i], 0) == NOTIFY, "flag %llx",
		      (unsigned long long) ns[i]);
	/* clone3: ENOSYS, so libc falls back to clone */
	CHECK(action(p, X86_64, SYS_clone3, 0, 0) == (SECCOMP_RET_ERRNO | ENOSYS));
	/* ioctl: only the terminal-injection requests are refused, with
	 * the upper 32 bits ignored as the kernel ignores them */
	CHECK(action(p, X86_64, SYS_ioctl, 1, FIONREAD) == ALLOW);
	CHECK(action(p, X86_64, SYS_ioctl, 1, TCGETS) == ALLOW);
	CHECK(action(p, X86_64, SYS_ioctl, 1, 0xffffffffu) == ALLOW);
	CHECK(action(p, X86_64, SYS_ioctl, 1, 0) == ALLOW);
	CHECK(action(p, X86_64, SYS_ioctl, 0, TIOCSTI) == NOTIFY);
	CHECK(action(p, X86_64, SYS_ioctl, 0, TIOCLINUX) == NOTIFY);
	CHECK(action(p, X86_64, SYS_ioctl, 0, 0x100000000ull | TIOCSTI) == NOTIFY);
	CHECK(action(p, X86_64, SYS_ioctl, 0, 0xdead00000000ull | TIOCLINUX) == NOTIFY);
	CHECK(action(p, X86_64, SYS_ioctl, 0, TIOCSTI + 1) == ALLOW);
	CHECK(action(p, X86_64, SYS_ioctl, 0, TIOCSTI - 1) == ALLOW);
	/* personality: query and default only */
	CHECK(action(p, X86_64, SYS_personality, 0xffffffffu, 0) == ALLOW);
	CHECK(action(p, X86_64, SYS_personality, 0, 0) == ALLOW);
	CHECK(action(p, X86_64, SYS_personality, 0x0400000 /* READ_IMPLIES_EXEC */, 0) == NOTIFY);
	CHECK(action(p, X86_64, SYS_personality, 0x0040000 /* ADDR_NO_RANDOMIZE */, 0) == NOTIFY);
	/* socket families */
	CHECK(action(p, X86_64, SYS_socket, AF_UNIX, 0) == ALLOW);
	CHECK(action(p, X86_64, SYS_socket, AF_INET6, 0) == ALLOW);
	CHECK(action(p, X86_64, SYS_socket, AF_PACKET, 0) == NOTIFY);
	CHECK(action(p, X86_64, SYS_socket, AF_VSOCK, 0) == NOTIFY);
	CHECK(action(p, X86_64, SYS_socket, AF_ALG, 0) == NOTIFY);
	CHECK(action(p, X86_64, SYS_socket, 0x100000000ull | AF_PACKET, 0) == NOTIFY);
}

/* Host-wide resources no namespace or cgroup divides: the kernel AIO pool
 * (fs.aio-max-nr) in every policy; netlink protocols other than
 * NETLINK_ROUTE (the host's device events, audit, ...); the hugetlb pool. */
void u_seccomp_host_wide_resources_refused(void)
{
	static const int aio[] = { SYS_io_setup, SYS_io_submit, SYS_io_getevents,
				   SYS_io_pgetevents, SYS_io_cancel, SYS_io_destroy };
	const struct seccomp_prog *run = run_policy(), *zyg = policy(SBX_POLICY_ZYGOTE),
				  *job = policy(SBX_POLICY_PYTHON_JOB);
	for (size_t i = 0; i < sizeof(aio) / sizeof(aio[0]); i++) {
		CHECK(action(run, X86_64, aio[i], 0, 0) == NOTIFY, "run: syscall %d", aio[i]);
		CHECK(action(job, X86_64, aio[i], 0, 0) == NOTIFY, "job: syscall %d", aio[i]);
		CHECK(action(zyg, X86_64, aio[i], 0, 0) == SECCOMP_RET_TRACE, "zygote: syscall %d",
		      aio[i]);
	}

	/* netlink: NETLINK_ROUTE (glibc's getaddrinfo, if_nameindex) only */
	const uint32_t nlerr = SECCOMP_RET_ERRNO | EPROTONOSUPPORT;
	CHECK(action4(run, SYS_socket, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE, 0) == ALLOW);
	CHECK(action4(run, SYS_socket, AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_ROUTE, 0) ==
	      ALLOW);
	/* the kernel reads an int: upper bits do not make another protocol */
	CHECK(action4(run, SYS_socket, AF_NETLINK, SOCK_RAW, 0x100000000ull | NETLINK_ROUTE, 0) ==
	      ALLOW);
	static const uint64_t refused[] = { NETLINK_KOBJECT_UEVENT, NETLINK_AUDIT, NETLINK_SOCK_DIAG,
					    NETLINK_GENERIC, NETLINK_NETFILTER, NETLINK_SELINUX,
					    NETLINK_CONNECTOR, NETLINK_CRYPTO, 1, 31, 0xffffffffu,
					    0x100000000ull | NETLINK_KOBJECT_UEVENT };
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		CHECK(action4(run, SYS_socket, AF_NETLINK, SOCK_RAW, refused[i], 0) == nlerr,
		      "run: netlink protocol %#llx", (unsigned long long) refused[i]);
		CHECK(action4(zyg, SYS_socket, AF_NETLINK, SOCK_RAW, refused[i], 0) ==
			      SECCOMP_RET_TRACE,
		      "zygote: netlink protocol %#llx", (unsigned long long) refused[i]);
		CHECK(action4(job, SYS_socket, AF_NETLINK, SOCK_RAW, refused[i], 0) == NOTIFY);
	}
	/* the other families are untouched by the netlink rules */
	CHECK(action4(run, SYS_socket, AF_UNIX, SOCK_STREAM, NETLINK_KOBJECT_UEVENT, 0) == ALLOW);
	CHECK(action4(run, SYS_socket, AF_INET, SOCK_DGRAM, 17, 0) == ALLOW);
	CHECK(action4(run, SYS_socket, AF_PACKET, SOCK_RAW, NETLINK_ROUTE, 0) == NOTIFY);

	/* hugetlb: ENOMEM, as a host with an empty pool answers */
	const uint32_t nomem = SECCOMP_RET_ERRNO | ENOMEM;
	const struct seccomp_prog *both[] = { run, job };
	for (size_t i = 0; i < 2; i++) {
		const struct seccomp_prog *p = both[i];
		CHECK(action4(p, SYS_mmap, 0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS) == ALLOW);
		CHECK(action4(p, SYS_mmap, 0, 4096, PROT_READ, MAP_SHARED) == ALLOW);
		CHECK(action4(p, SYS_mmap, 0, 2 << 20, PROT_READ,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB) == nomem);
		CHECK(action4(p, SYS_mmap, 0, 2 << 20, PROT_READ,
			      0xff00000000ull | MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB) == nomem);
	}
	CHECK(action4(zyg, SYS_mmap, 0, 2 << 20, 0, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB) ==
	      nomem);
	CHECK(action4(run, SYS_memfd_create, 0, MFD_CLOEXEC, 0, 0) == ALLOW);
	CHECK(action4(run, SYS_memfd_create, 0, MFD_CLOEXEC | MFD_HUGETLB, 0, 0) == nomem);
	CHECK(action4(run, SYS_shmget, 0, 4096, IPC_CREAT | 0600, 0) == ALLOW);
	CHECK(action4(run, SYS_shmget, 0, 2 << 20, IPC_CREAT | SHM_HUGETLB | 0600, 0) == nomem);
	CHECK(action4(job, SYS_memfd_create, 0, 0, 0, 0) == NOTIFY);
}

void u_seccomp_other_abis_refused_and_named(void)
{
	const struct seccomp_prog *p = run_policy();
	/* i386 via int 0x80, with a syscall number allowed natively */
	CHECK(action(p, AUDIT_ARCH_I386, 3 /* read on i386 */, 0, 0) == NOTIFY);
	/* x32: x86_64 arch, syscall number with bit 30 set */
	CHECK(action(p, X86_64, 0x40000000 | SYS_read, 0, 0) == NOTIFY);
	CHECK(action(p, AUDIT_ARCH_AARCH64, SYS_read, 0, 0) == NOTIFY);
	char name[48];
	seccomp_name_syscall(AUDIT_ARCH_I386, 20, name, sizeof(name));
	CHECK_STR_EQ(name, "i386:getpid");
	seccomp_name_syscall(X86_64, 0x40000000 | 39, name, sizeof(name));
	CHECK_STR_EQ(name, "x32:getpid");
	seccomp_name_syscall(X86_64, SYS_ptrace, name, sizeof(name));
	CHECK_STR_EQ(name, "ptrace");
	seccomp_name_syscall(X86_64, 5000, name, sizeof(name));
	CHECK_STR_EQ(name, "syscall_5000");
}

/* Python jobs: what a numpy/pandas workload needs, and no execve, no new
 * process (threads only), no socket, no SysV IPC, a short ioctl list. */
void u_seccomp_job_refuses_exec_processes_sockets(void)
{
	const struct seccomp_prog *p = policy(SBX_POLICY_PYTHON_JOB);
	static const int allowed[] = { SYS_read, SYS_write, SYS_openat, SYS_mmap, SYS_munmap,
				       SYS_futex, SYS_exit_group, SYS_getrandom, SYS_newfstatat,
				       SYS_clock_gettime, SYS_getdents64, SYS_brk, SYS_rseq };
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		CHECK(action(p, X86_64, allowed[i], 0, 0) == ALLOW, "syscall %d", allowed[i]);
	static const int denied[] = { SYS_execve, SYS_execveat, SYS_fork, SYS_vfork,
				      SYS_socket, SYS_socketpair, SYS_connect, SYS_bind,
				      SYS_shmget, SYS_msgget, SYS_semget, SYS_ptrace, SYS_mount,
				      SYS_unshare, SYS_setns, SYS_setuid, SYS_bpf, SYS_keyctl,
				      SYS_io_uring_setup, SYS_userfaultfd, SYS_personality,
				      SYS_process_vm_readv, SYS_chroot, SYS_memfd_create, 999 };
	for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++)
		CHECK(action(p, X86_64, denied[i], 0, 0) == NOTIFY, "syscall %d", denied[i]);
	/* clone: a thread yes; a process, or a thread with a namespace, no */
	uint64_t thread = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
			  CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
	CHECK(action(p, X86_64, SYS_clone, thread, 0) == ALLOW);
	CHECK(action(p, X86_64, SYS_clone, SIGCHLD, 0) == NOTIFY);
	CHECK(action(p, X86_64, SYS_clone, CLONE_VM | CLONE_VFORK | SIGCHLD, 0) == NOTIFY);
	CHECK(action(p, X86_64, SYS_clone, thread | CLONE_NEWNS, 0) == NOTIFY);
	CHECK(action(p, X86_64, SYS_clone, thread | CLONE_NEWUSER, 0) == NOTIFY);
	CHECK(action(p, X86_64, SYS_clone3, 0, 0) == (SECCOMP_RET_ERRNO | ENOSYS));
	/* ioctl: what Python's I/O asks, nothing else */
	CHECK(action(p, X86_64, SYS_ioctl, 1, TCGETS) == ALLOW);
	CHECK(action(p, X86_64, SYS_ioctl, 1, FIONREAD) == ALLOW);
	CHECK(action(p, X86_64, SYS_ioctl, 0, TIOCSTI) == NOTIFY);
	CHECK(action(p, X86_64, SYS_ioctl, 0, TIOCSCTTY) == NOTIFY);
	/* sendmsg only on the control socket, to hand over the listener */
	CHECK(action(p, X86_64, SYS_sendmsg, 3, 0) == ALLOW);
	CHECK(action(p, X86_64, SYS_sendmsg, 4, 0) == NOTIFY);
	CHECK(action(p, AUDIT_ARCH_I386, 3, 0, 0) == NOTIFY);
	CHECK(action(p, X86_64, 0x40000000 | SYS_read, 0, 0) == NOTIFY);
}

/* The zygote (trusted code): refusals are TRACE, which ranks below a job
 * filter's USER_NOTIF so the job's violation is the one reported, and
 * fails with ENOSYS when nothing traces. */
void u_seccomp_zygote_refusals_rank_below_job_notify(void)
{
	const struct seccomp_prog *p = policy(SBX_POLICY_ZYGOTE);
	static const int allowed[] = { SYS_read,	 SYS_mount,	   SYS_umount2, SYS_unshare,
				       SYS_execve,	 SYS_openat,	   SYS_futex,	SYS_open_tree,
				       SYS_move_mount, SYS_mount_setattr, SYS_fsopen,	SYS_fsconfig,
				       SYS_fsmount };
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		CHECK(action(p, X86_64, allowed[i], 0, 0) == ALLOW, "syscall %d", allowed[i]);
	static const int denied[] = { SYS_ptrace, SYS_bpf, SYS_keyctl, SYS_pivot_root,
				      SYS_kexec_load, SYS_init_module, SYS_open_by_handle_at,
				      SYS_io_uring_setup, 999 };
	for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++)
		CHECK(action(p, X86_64, denied[i], 0, 0) == SECCOMP_RET_TRACE, "syscall %d",
		      denied[i]);
	/* a job runs under both filters: the kernel takes the action of
	 * highest precedence, the lowest as a signed action value */
	const struct seccomp_prog *job = policy(SBX_POLICY_PYTHON_JOB);
	static const int job_denied[] = { SYS_ptrace, SYS_bpf, SYS_socket, SYS_execve, 999 };
	for (size_t i = 0; i < sizeof(job_denied) / sizeof(job_denied[0]); i++) {
		int32_t z = (int32_t) (action(p, X86_64, job_denied[i], 0, 0) &
				       SECCOMP_RET_ACTION_FULL);
		int32_t j = (int32_t) (action(job, X86_64, job_denied[i], 0, 0) &
				       SECCOMP_RET_ACTION_FULL);
		CHECK((z < j ? (uint32_t) z : (uint32_t) j) == NOTIFY,
		      "syscall %d: the stacked action is not the job's notification",
		      job_denied[i]);
	}
	/* setns back into its own pid namespace only */
	CHECK(action(p, X86_64, SYS_setns, 5, CLONE_NEWPID) == ALLOW);
	CHECK(action(p, X86_64, SYS_setns, 5, CLONE_NEWNET) == SECCOMP_RET_TRACE);
	CHECK(action(p, X86_64, SYS_setns, 5, 0) == SECCOMP_RET_TRACE);
	/* new pid/mount/ipc namespaces for slots; never user, net, uts */
	CHECK(action(p, X86_64, SYS_clone, SIGCHLD | CLONE_NEWPID, 0) == ALLOW);
	CHECK(action(p, X86_64, SYS_clone, SIGCHLD | CLONE_NEWUSER, 0) == SECCOMP_RET_TRACE);
	CHECK(action(p, X86_64, SYS_clone, SIGCHLD | CLONE_NEWNET, 0) == SECCOMP_RET_TRACE);
	/* unshare likewise: the namespaces a slot makes itself (zygote.c),
	 * never a user, network or UTS one, alone or among others */
	static const unsigned long unshare_ok[] = { CLONE_NEWNS | CLONE_NEWIPC, CLONE_NEWCGROUP,
						    CLONE_NEWPID, 0 };
	for (size_t i = 0; i < sizeof(unshare_ok) / sizeof(unshare_ok[0]); i++)
		CHECK(action(p, X86_64, SYS_unshare, unshare_ok[i], 0) == ALLOW,
		      "unshare(%#lx) refused", unshare_ok[i]);
	static const unsigned long unshare_no[] = { CLONE_NEWUSER, CLONE_NEWNET, CLONE_NEWUTS,
						    CLONE_NEWNS | CLONE_NEWUSER,
						    CLONE_NEWPID | CLONE_NEWNET,
						    CLONE_NEWIPC | CLONE_NEWUTS };
	for (size_t i = 0; i < sizeof(unshare_no) / sizeof(unshare_no[0]); i++)
		CHECK(action(p, X86_64, SYS_unshare, unshare_no[i], 0) == SECCOMP_RET_TRACE,
		      "unshare(%#lx) allowed", unshare_no[i]);
	CHECK(action(p, AUDIT_ARCH_I386, 3, 0, 0) == SECCOMP_RET_TRACE);
}

/* docs/sandbox.md's table of refused calls, each through each policy it
 * names: a notification in RUN and PYTHON_JOB, TRACE (ENOSYS) in ZYGOTE.
 * Names must be ones libseccomp knows, so a typo is not a silent pass. */
struct refusals {
	size_t calls;
	char names[128][64];
};

static void refusal_row(const char *path, const char *line, void *arg)
{
	struct refusals *rf = arg;
	/* | calls | refused in | why | */
	const char *cells = line + 1;
	const char *bar1 = strchr(cells, '|');
	CHECK(bar1 != NULL, "unparsed row in %s: %s", path, line);
	const char *bar2 = strchr(bar1 + 1, '|');
	CHECK(bar2 != NULL, "unparsed row in %s: %s", path, line);
	char where[512];
	snprintf(where, sizeof(where), "%.*s", (int) (bar2 - bar1 - 1), bar1 + 1);
	/* the policies named before any parenthesis (which may name others
	 * as exceptions) */
	char *paren = strchr(where, '(');
	if (paren != NULL)
		*paren = '\0';
	bool every = strstr(where, "every policy") != NULL;
	bool run = every || strstr(where, "`RUN`"), zyg = every || strstr(where, "`ZYGOTE`"),
	     job = every || strstr(where, "`PYTHON_JOB`");
	CHECK(run || zyg || job, "%s: a row that names no policy: %s", path, line);
	const struct seccomp_prog *prun = run_policy(), *pzyg = policy(SBX_POLICY_ZYGOTE),
				  *pjob = policy(SBX_POLICY_PYTHON_JOB);
	for (const char *p = cells; p < bar1; p++) {
		if (*p != '`')
			continue;
		const char *end = memchr(p + 1, '`', (size_t) (bar1 - p - 1));
		CHECK(end != NULL, "%s: unbalanced ` in %s", path, line);
		char name[64];
		snprintf(name, sizeof(name), "%.*s", (int) (end - p - 1), p + 1);
		int nr = seccomp_syscall_resolve_name(name);
		CHECK(nr != __NR_SCMP_ERROR && nr >= 0, "%s names `%s`, not a syscall", path, name);
		if (run)
			CHECK(action(prun, X86_64, nr, 0, 0) == NOTIFY, "RUN allows %s", name);
		if (job)
			CHECK(action(pjob, X86_64, nr, 0, 0) == NOTIFY, "PYTHON_JOB allows %s", name);
		if (zyg)
			CHECK(action(pzyg, X86_64, nr, 0, 0) == SECCOMP_RET_TRACE, "ZYGOTE allows %s",
			      name);
		if (rf->calls < sizeof(rf->names) / sizeof(rf->names[0]))
			snprintf(rf->names[rf->calls], sizeof(rf->names[0]), "%s", name);
		rf->calls++;
		p = end;
	}
}

void u_seccomp_documented_refusals_hold(void)
{
	struct refusals rf = { 0 };
	size_t rows = doc_table_rows("docs/sandbox.md", "### Refused calls", "| `", refusal_row,
				     &rf);
	CHECK(rows >= 10 && rf.calls >= 50, "only %zu rows, %zu calls", rows, rf.calls);
	/* and the other way: the headline calls cannot leave the table (a row
	 * dropped from the doc would otherwise drop its checks with it) */
	static const char *const headline[] = {
		"ptrace",	     "process_vm_readv", "mount",	    "pivot_root",
		"unshare",	     "setns",		 "keyctl",	    "bpf",
		"perf_event_open",   "userfaultfd",	 "io_uring_setup",  "kexec_load",
		"init_module",	     "open_by_handle_at", "reboot",	    "modify_ldt",
		"io_setup",	     "personality",	 "execve",	    "fork",
		"socket",	     "connect",		 "shmget",
	};
	for (size_t i = 0; i < sizeof(headline) / sizeof(headline[0]); i++) {
		bool found = false;
		for (size_t k = 0; k < rf.calls && k < sizeof(rf.names) / sizeof(rf.names[0]); k++)
			found = found || strcmp(rf.names[k], headline[i]) == 0;
		CHECK(found, "docs/sandbox.md's table of refused calls no longer names `%s`",
		      headline[i]);
	}
	test_note("%zu calls in %zu rows", rf.calls, rows);
}

/* docs/syscalls.md's measurement of Python with numpy and pandas: what the
 * start-up and imports ask, RUN and ZYGOTE allow (clone3 fails with
 * ENOSYS, as the doc says, for the C library to fall back to clone); what
 * the strategy's own work asks after the imports, PYTHON_JOB allows. */
static size_t measured_list(const char *heading, char names[][32], size_t max)
{
	char path[PATH_MAX + 64];
	FILE *f = test_open_checkout_file("docs/syscalls.md", path, sizeof(path));
	if (f == NULL)
		test_skip("docs/syscalls.md not found (run the suite from the checkout)");
	char line[1024];
	bool in = false;
	size_t n = 0;
	/* the section's first paragraph: the names, up to an em dash */
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#') {
			if (in)
				break;
			in = strncmp(line, heading, strlen(heading)) == 0;
			continue;
		}
		if (!in)
			continue;
		if (line[0] == '\n') {
			if (n > 0)
				break;
			continue;
		}
		char *dash = strstr(line, "\xe2\x80\x94");
		if (dash != NULL)
			*dash = '\0';
		for (char *tok = strtok(line, " \n"); tok; tok = strtok(NULL, " \n")) {
			CHECK(n < max);
			snprintf(names[n++], 32, "%s", tok);
		}
		if (dash != NULL)
			break;
	}
	fclose(f);
	CHECK(n > 0, "no syscall list under \"%s\" in %s", heading, path);
	return n;
}

static uint32_t measured_action(const struct seccomp_prog *p, int nr)
{
	/* ioctl as Python asks it (isatty); every other call with zeros */
	return nr == SYS_ioctl ? action(p, X86_64, nr, 1, TCGETS) : action(p, X86_64, nr, 0, 0);
}

void u_seccomp_allows_measured_python_syscalls(void)
{
	char names[128][32];
	size_t n = measured_list("## Start-up and imports", names, 128);
	CHECK(n >= 30, "only %zu start-up syscalls read", n);
	const struct seccomp_prog *run = run_policy(), *zyg = policy(SBX_POLICY_ZYGOTE),
				  *job = policy(SBX_POLICY_PYTHON_JOB);
	for (size_t i = 0; i < n; i++) {
		int nr = seccomp_syscall_resolve_name(names[i]);
		CHECK(nr != __NR_SCMP_ERROR && nr >= 0, "`%s` is not a syscall", names[i]);
		uint32_t want = nr == SYS_clone3 ? (SECCOMP_RET_ERRNO | ENOSYS) : ALLOW;
		CHECK(measured_action(run, nr) == want, "RUN: %s", names[i]);
		CHECK(measured_action(zyg, nr) == want, "ZYGOTE: %s", names[i]);
	}
	n = measured_list("## After the imports", names, 128);
	CHECK_INT_EQ(n, 14); /* "fourteen syscalls for the whole workload" */
	for (size_t i = 0; i < n; i++) {
		int nr = seccomp_syscall_resolve_name(names[i]);
		CHECK(nr != __NR_SCMP_ERROR && nr >= 0, "`%s` is not a syscall", names[i]);
		CHECK(measured_action(job, nr) == ALLOW, "PYTHON_JOB: %s", names[i]);
	}
}
