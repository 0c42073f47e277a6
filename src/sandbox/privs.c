/* Dropping privileges and applying rlimits (child side: no allocation).
 *
 * The sandboxed command runs as uid/gid 1000 with every capability gone:
 * effective, permitted, inheritable, ambient and the bounding set, so
 * nothing it executes can regain one (a setuid-root binary, file
 * capabilities).  no_new_privs makes that doubly sure and is what lets an
 * unprivileged process install a seccomp filter.
 */
#include "common/util.h"
#include "sandbox/internal.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

static int set_rlimit(int res, rlim_t soft, rlim_t hard)
{
	struct rlimit rl = { soft, hard };
	return setrlimit(res, &rl) < 0 ? -errno : 0;
}

int privs_apply_rlimits(const struct privs_plan *p, int report_fd)
{
	/* No core dumps: they could fill /tmp and would hold the memory
	 * image of a killed process. */
	if (set_rlimit(RLIMIT_CORE, 0, 0) < 0)
		goto fail_core;
	if (p->nofile && set_rlimit(RLIMIT_NOFILE, p->nofile, p->nofile) < 0) {
		child_fail(report_fd, STAGE_SETUP, errno, "setrlimit NOFILE");
		return -1;
	}
	if (p->fsize && set_rlimit(RLIMIT_FSIZE, p->fsize, p->fsize) < 0) {
		child_fail(report_fd, STAGE_SETUP, errno, "setrlimit FSIZE");
		return -1;
	}
	if (p->cpu_time_ns) {
		/* Per process and in whole seconds: a backstop behind the
		 * supervisor's exact, job-wide check.  One second of slack so
		 * the supervisor, which sees the whole cgroup, normally acts
		 * first; then SIGXCPU, then SIGKILL a second later. */
		rlim_t s = (rlim_t) ((p->cpu_time_ns + 999999999u) / 1000000000u) + 1;
		if (set_rlimit(RLIMIT_CPU, s, s + 1) < 0) {
			child_fail(report_fd, STAGE_SETUP, errno, "setrlimit CPU");
			return -1;
		}
	}
	if (p->nproc && set_rlimit(RLIMIT_NPROC, p->nproc, p->nproc) < 0) {
		child_fail(report_fd, STAGE_SETUP, errno, "setrlimit NPROC");
		return -1;
	}
	if (p->data && set_rlimit(RLIMIT_DATA, p->data, p->data) < 0) {
		child_fail(report_fd, STAGE_SETUP, errno, "setrlimit DATA");
		return -1;
	}
	return 0;
fail_core:
	child_fail(report_fd, STAGE_SETUP, errno, "setrlimit CORE");
	return -1;
}

int sys_drop_groups(void)
{
	return (int) syscall(SYS_setgroups, 0, NULL);
}

int sys_setresgid(gid_t g)
{
	return (int) syscall(SYS_setresgid, g, g, g);
}

int sys_setresuid(uid_t u)
{
	return (int) syscall(SYS_setresuid, u, u, u);
}

int privs_drop(const struct privs_plan *p, int report_fd)
{
	/* Root (uid 0 inside) gets no capabilities on execve, and the
	 * capability rules are locked so nothing later can change them. */
	unsigned long bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP_LOCKED |
			     SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
			     SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
	if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) < 0) {
		child_fail(report_fd, STAGE_SETUP, errno, "set securebits");
		return -1;
	}
	/* Empty the bounding set: the ceiling for any future capability. */
	for (unsigned long cap = 0; cap <= 63; cap++) {
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
			if (errno == EINVAL)
				break; /* past the last capability this kernel knows */
			child_fail(report_fd, STAGE_SETUP, errno, "drop bounding capability %lu",
				   cap);
			return -1;
		}
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
		child_fail(report_fd, STAGE_SETUP, errno, "clear ambient capabilities");
		return -1;
	}
	/* Supplementary groups: dropped as root.  In a user namespace the
	 * kernel forbids setgroups (we wrote "deny" so the sandbox could
	 * never use it to shed a group that restricts access); the host
	 * groups it shows as nogroup stay with the process. */
	if (!p->userns && sys_drop_groups() < 0) {
		child_fail(report_fd, STAGE_SETUP, errno, "setgroups");
		return -1;
	}
	if (sys_setresgid(SBX_SANDBOX_GID) < 0) {
		child_fail(report_fd, STAGE_SETUP, errno, "setresgid %u", SBX_SANDBOX_GID);
		return -1;
	}
	if (sys_setresuid(SBX_SANDBOX_UID) < 0) {
		child_fail(report_fd, STAGE_SETUP, errno, "setresuid %u", SBX_SANDBOX_UID);
		return -1;
	}
	/* Going from uid 0 to 1000 clears effective and permitted sets, but
	 * in a user namespace we were never uid 0: clear all of them. */
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = { { 0, 0, 0 }, { 0, 0, 0 } };
	if (syscall(SYS_capset, &hdr, data) < 0) {
		child_fail(report_fd, STAGE_SETUP, errno, "capset");
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		child_fail(report_fd, STAGE_SETUP, errno, "no_new_privs");
		return -1;
	}
	/* Trust but verify: never run the command with anything else. */
	uid_t r, e, s;
	if (getresuid(&r, &e, &s) < 0 || r != SBX_SANDBOX_UID || e != SBX_SANDBOX_UID ||
	    s != SBX_SANDBOX_UID) {
		child_fail(report_fd, STAGE_SETUP, EPERM, "uid is not %u after dropping privileges",
			   SBX_SANDBOX_UID);
		return -1;
	}
	return 0;
}
