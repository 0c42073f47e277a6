/* Internal interfaces between the parts of the sandbox library.
 *
 * Layout: config.c holds the opaque configuration; rootfs.c plans and
 * builds the mount tree; seccomp.c compiles the syscall policies;
 * privs.c drops privileges and applies rlimits; cgroup.c (+ cgroup-v1.c,
 * cgroup-v2.c, cgroup-none.c) applies the resource limits; launch.c clones
 * the namespaces and runs the in-sandbox init; supervise.c watches the run;
 * verdict.c decides and prints the outcome; run.c ties them together;
 * registry.c and registry-sweep.c keep the run directory (`stratbox ps`).
 *
 * Code marked "child side" runs between clone() and execve(): it must not
 * allocate or take locks, so everything it needs is prepared by the parent.
 */
#ifndef STRATBOX_SANDBOX_INTERNAL_H
#define STRATBOX_SANDBOX_INTERNAL_H

#include "sandbox/ctl.h"
#include "sandbox/runtime.h"
#include "stratbox/sandbox.h"

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct sbx_bind {
	char *src, *dst;
	bool writable;
};

struct sbx_config {
	uint64_t memory, pids, millicpus, cpu_time_ns, wall_ns, output_limit, tmp_size;
	struct sbx_bind *binds;
	size_t nbinds;
	char **env; /* "NAME=VALUE", user-supplied */
	size_t nenv;
	char *cwd;
	char *cgroup_parent;
	char **argv; /* NULL-terminated */
	int argc;
	enum sbx_output_mode out_mode;
	int out_fd, err_fd;
	enum sbx_policy policy;
	int cancel_fd; /* readable => stop the run (e.g. a signalfd) */
	/* Internal knobs for the Python pool's zygote (not in the public API):
	 * keep every capability, inside a user namespace that is created even
	 * when running as root; descriptors handed to the command. */
	bool keep_caps;
	struct sbx_passfd {
		int host_fd, sandbox_fd;
	} passfds[4];
	int npassfds;
	const char *dirs[4];	/* extra empty directories in the root (mount points) */
	int ndirs;
	/* Host files or directories copied into the root instead of bound
	 * (sbx_config_add_copy()). */
	struct sbx_copy {
		char *src, *dst;
	} copies[4];
	int ncopies;
	bool follow_symlinks; /* user bind sources: follow a symlink in the last component */
	char *rootfs; /* the system directories come from this tree; NULL: the host's */
	/* For the run directory (registry.c): the environment's name ("":
	 * the host's) and the registered owner (a pool's id, for its zygote). */
	char env_name[64];
	char owner[16];
};

/* The knobs for a trusted helper (keep_caps, pass_fd, add_dir, add_copy)
 * are exported to runtimes: sandbox/runtime.h. */

/* ---------- rootfs.c ---------- */
enum rootfs_op_kind {
	OP_TMPFS,   /* mount tmpfs at dst, data = options */
	OP_MKDIR,   /* mkdir dst (mode) */
	OP_SYMLINK, /* symlink src -> dst */
	OP_FILE,    /* create dst with content src (mode) */
	OP_BIND,    /* bind host src at dst (ro unless writable), recursive */
	OP_DEV,	    /* bind a host device node src at dst */
	OP_PROC,    /* mount proc at dst */
	OP_RO_SELF, /* make the existing mount at dst read-only (bind onto itself) */
	OP_MASK,    /* hide dst behind /dev/null (files) if it exists */
	OP_REMOUNT_RO, /* remount the filesystem mounted at dst read-only */
	OP_PIVOT,   /* pivot_root into the new root and drop the old one */
	OP_COPY,    /* copy the file or directory open at src_fd to dst */
};

struct rootfs_op {
	enum rootfs_op_kind kind;
	const char *src;  /* host path or file content */
	const char *dst;  /* absolute path: under the base before OP_PIVOT, "/" after */
	const char *data; /* tmpfs options */
	unsigned long flags;
	unsigned mode;
	bool is_dir;	  /* OP_BIND: source is a directory (the child decides, from
			   * the descriptor it opened); OP_COPY: likewise */
	bool writable;
	bool optional;	  /* skip if the source is missing */
	bool follow;	  /* OP_BIND: follow a symlink in the source's last component */
	bool skip;	  /* child side: an optional source that is missing */
	int tree_fd;	  /* child side: detached clone of the source */
	int src_fd;	  /* OP_COPY: the source, opened by the parent (the plan owns it) */
};

struct rootfs_plan {
	struct rootfs_op *ops;
	size_t n, cap;
	char **strings; /* owned strings referenced by ops */
	size_t nstrings, capstrings;
	const char *base; /* host directory the new root is built on */
};

int rootfs_plan_build(const struct sbx_config *cfg, struct rootfs_plan *plan, sbx_error **err);
void rootfs_plan_free(struct rootfs_plan *plan);
/* The descriptors the plan holds open for the child (OP_COPY sources):
 * up to max of them into fds; returns how many. */
int rootfs_plan_fds(const struct rootfs_plan *plan, int *fds, int max);
/* Child side (rootfs-apply.c): build the root as planned; returns 0 or
 * reports and returns -1. */
int rootfs_apply(struct rootfs_plan *plan, int report_fd);
/* Deepest directory level an OP_COPY source may have below its top. */
#define ROOTFS_COPY_MAX_DEPTH 4

/* The sandbox's /etc: ONE table (rootfs.c), listed in docs/sandbox.md (a
 * unit test keeps the two equal). */
struct rootfs_etc_entry {
	const char *name;    /* relative to /etc: "passwd", "ld.so.cache" */
	const char *content; /* written fresh with this content; NULL: the host's,
			      * read-only, when the host has it */
};
extern const struct rootfs_etc_entry rootfs_etc_entries[];
extern const size_t rootfs_netc_entries;

/* What of a fresh procfs leaks host state or reaches host-wide controls,
 * and how it is hidden: ONE table (rootfs.c), applied by every /proc the
 * runtime mounts (the sandbox's, and each Python pool slot's) and listed
 * in docs/sandbox.md (a unit test keeps the two equal). */
enum rootfs_proc_how {
	PROC_MASK,	/* a file: /dev/null over it; a directory: an empty read-only tmpfs */
	PROC_READ_ONLY, /* bound onto itself read-only (recursive), nosuid, nodev, noexec */
};
struct rootfs_proc_entry {
	const char *name; /* relative to /proc: "kcore", "sys" */
	enum rootfs_proc_how how;
};
extern const struct rootfs_proc_entry rootfs_proc_entries[];
extern const size_t rootfs_nproc_entries;
/* Child side, async-signal-safe: apply the table to the procfs mounted at
 * proc (e.g. "/proc"), in the caller's mount namespace.  Entries the
 * kernel does not have are skipped.  Returns 0, or -errno with *failed set
 * to the entry's name. */
int rootfs_proc_protect(const char *proc, const char **failed);

/* ---------- seccomp.c ---------- */
struct seccomp_prog {
	struct sock_filter *insns;
	unsigned short len;
};
#define SBX_NPOLICIES 3
/* Whether a violation of the policy notifies the supervisor (and the
 * filter is installed with a listener).  Only one filter in a process's
 * chain may have a listener: the zygote's base filter refuses with ENOSYS
 * instead, so that each job's stricter filter can notify. */
bool seccomp_policy_notifies(enum sbx_policy policy);
/* The program for a policy: prebuilt at build time when available, else
 * compiled once per process.  The result is shared and read-only. */
int seccomp_prog_get(enum sbx_policy policy, const struct seccomp_prog **out, sbx_error **err);
/* Always compile now with libseccomp (the generator and tests use this). */
int seccomp_prog_compile(enum sbx_policy policy, struct seccomp_prog *out, sbx_error **err);
/* The build-time program, or NULL (seccomp-prebuilt.c or its stub). */
const struct seccomp_prog *seccomp_prebuilt(enum sbx_policy policy);
/* Child side: install prog, with a user-notification listener when
 * `listener`; returns the listener fd (or 0 without one), or -errno. */
int seccomp_install(const struct seccomp_prog *prog, bool listener);
/* Name a syscall for the verdict ("ptrace", "i386:getpid", "x32:read"). */
void seccomp_name_syscall(uint32_t arch, int nr, char *buf, size_t size);

/* ---------- privs.c ---------- */
struct privs_plan {
	bool userns;	/* running in a user namespace we created */
	uint64_t cpu_time_ns, fsize, nofile, nproc, data; /* 0 = leave as is */
};
/* Child side: drop to SBX_SANDBOX_UID/GID with no capabilities and
 * no_new_privs, and apply rlimits.  Returns 0 or -1 after reporting. */
int privs_drop(const struct privs_plan *p, int report_fd);
/* setgroups(0), setresgid(g,g,g), setresuid(u,u,u) as system calls on the
 * calling thread.  The C library's wrappers apply an id change to every
 * thread it knows of, and a sandbox's processes are copies of a possibly
 * multi-threaded host: in the copy those threads do not exist, and the
 * wrapper waits for them forever.  Each process here has one thread. */
int sys_drop_groups(void);
int sys_setresgid(gid_t g);
int sys_setresuid(uid_t u);
int privs_apply_rlimits(const struct privs_plan *p, int report_fd);

/* ---------- cgroup.c ---------- */
struct cg_limits {
	uint64_t memory;    /* bytes, memory+swap capped to the same value */
	uint64_t pids;
	uint64_t millicpus;
	/* live CPU usage is needed (a CPU-time limit).  Otherwise a v1
	 * cpuacct hierarchy is not used: the final CPU time comes exactly
	 * from the init's wait4() usage, which includes every process the
	 * sandbox reaped. */
	bool cpu_usage;
};
struct cg_stats {
	uint64_t cpu_usage_ns, cpu_user_ns, cpu_sys_ns, throttled_ns;
	uint64_t memory_peak, oom_kills, pids_max_events;
	bool have_cpu, have_memory, have_pids;
};
enum cg_controller { CG_MEMORY = 1, CG_PIDS = 2, CG_CPU = 4, CG_CPUACCT = 8 };
/* The CFS bandwidth period both backends set: a CPU quota is a budget per
 * period, spent by whatever ran in the cgroup during it. */
#define CG_CPU_PERIOD_US 100000u

struct sbx_cgroup; /* one job's cgroup (one directory per v1 hierarchy) */
struct cgroup_backend;

struct cgroup_ops {
	const char *name;
	int (*create)(const struct cgroup_backend *b, const char *parent, const char *name,
		      const struct cg_limits *lim, struct sbx_cgroup **out, sbx_error **err);
	int (*attach)(struct sbx_cgroup *cg, pid_t pid, sbx_error **err);
	/* A directory fd for clone3(CLONE_INTO_CGROUP); NULL when the backend
	 * cannot start a process inside a cgroup (v1, none), which must then
	 * be created after the clone and joined.  Starting a process inside
	 * its cgroup avoids migrating it, which on an idle machine waits for
	 * an RCU grace period (~8 ms here). */
	int (*clone_into_fd)(struct sbx_cgroup *cg);
	/* v1: descriptors of the job's `tasks` files, for the process to
	 * move itself with cgroup_join_self(): writing "0" there moves one
	 * thread, the caller, and skips the global lock a move by pid takes,
	 * whose RCU grace period costs ~10-18 ms on an idle machine.  Opened
	 * here, so the kernel checks the opener's credentials.  Returns how
	 * many (0: not supported, attach by pid instead), or -1. */
	int (*join_fds)(struct sbx_cgroup *cg, int *fds, int max, sbx_error **err);
	/* Change the limits of an existing job cgroup (a pool slot getting
	 * its job's limits). */
	int (*set_limits)(struct sbx_cgroup *cg, const struct cg_limits *lim, sbx_error **err);
	/* fds to poll(POLLIN|POLLPRI) that fire when a limit event happens */
	int (*event_fds)(struct sbx_cgroup *cg, int *fds, short *events, int max);
	/* The counters as the kernel keeps them, cumulative since the
	 * cgroup was made: callers use cgroup_read_stats(). */
	int (*read_stats)(struct sbx_cgroup *cg, struct cg_stats *st);
	int (*kill_all)(struct sbx_cgroup *cg);
	/* The backend's part of cgroup_recycle(): -1 unless every process
	 * of the last job is gone and at most CG_RECYCLE_MAX_CHARGE is still
	 * charged; then the memory peak is reset (-1 if the kernel cannot).
	 * Optional (NULL: never reused). */
	int (*recycle)(struct sbx_cgroup *cg);
	int (*destroy)(struct sbx_cgroup *cg, sbx_error **err);
	int (*cleanup_stale)(const struct cgroup_backend *b, const char *parent, sbx_error **err);
};

/* The machine's cgroup layout, detected once (read-only afterwards). */
struct cg_hierarchy {
	char *mount;	 /* e.g. /sys/fs/cgroup/memory */
	char *own;	 /* this process's cgroup, relative to the mount */
	unsigned controllers; /* enum cg_controller bits */
};
struct cgroup_backend {
	const struct cgroup_ops *ops;
	int version; /* 1, 2, or 0 for none */
	struct cg_hierarchy h[8];
	int nh;
	unsigned available; /* controllers present in the layout */
	char why_none[160]; /* when version 0: why */
};

/* Detect the layout (honours STRATBOX_CGROUP=v1|v2|none). */
const struct cgroup_backend *cgroup_backend_get(sbx_error **err);
extern const struct cgroup_ops cgroup_v1_ops, cgroup_v2_ops, cgroup_none_ops;

/* Resolve the parent directory for one hierarchy: absolute parent paths
 * are taken from the hierarchy root, relative ones from this process's own
 * cgroup.  Returns a malloc'd path or NULL. */
char *cgroup_parent_dir(const struct cg_hierarchy *h, const char *parent);
/* Job cgroup name: stratbox-<pid>-<starttime>-<seq>. */
int cgroup_job_name(char *buf, size_t size);
/* Whether a directory entry is a job cgroup of a supervisor that is gone. */
bool cgroup_name_is_stale(const char *name);
/* The unenforced limits for a set of usable controllers, as words. */
void cgroup_describe_missing(unsigned usable, const struct cg_limits *lim, char *buf, size_t size);
/* The controllers we use named in a list ("cpu memory", "rw,cpu,cpuacct"). */
unsigned cgroup_controller_mask(const char *list);
/* The value of `key` in "key value" lines (cpu.stat, memory.events), or 0. */
unsigned long long cgroup_keyed(const char *text, const char *key);
/* Remove stale job cgroups in one parent directory; returns how many. */
int cgroup_cleanup_dir(const char *parent_dir);
/* The same, for `stratbox cleanup`: only those made more than
 * older_than_ns ago, or none at all (dry_run: only named), each one
 * named to removed() (may be NULL).  Returns how many, or -errno. */
struct cg_sweep {
	uint64_t older_than_ns;
	bool dry_run;
};
int cgroup_sweep_dir(const char *parent_dir, const struct cg_sweep *how,
		     void (*removed)(void *ctx, const char *path), void *ctx);
/* Field 22 of /proc/<pid>/stat, the start time in clock ticks since boot;
 * -1 when the process is gone or a zombie. */
int proc_starttime(pid_t pid, unsigned long long *out);
/* Move the calling (single-threaded) process into the cgroups whose
 * `tasks` descriptors are given (join_fds); closes them.  Returns 0 or
 * -errno.  Async-signal-safe: called in the sandbox's init and in slots. */
int cgroup_join_self(const int *fds, int n);
/* SIGKILL every process in dir's cgroup.procs, once; returns how many
 * were listed, or -errno. */
int cgroup_kill_listed(const char *dir);
/* Remove a cgroup directory, killing what is left inside (v1 and v2). */
int cgroup_rmdir_retry(const char *path);

/* The counter files a job's verdict reads (see cgroup_read_stat()). */
enum cg_stat_file {
	CGS_CPU_USAGE,	/* v1 cpuacct.usage */
	CGS_CPU_USER,	/* v1 cpuacct.usage_user */
	CGS_CPU_SYS,	/* v1 cpuacct.usage_sys */
	CGS_CPU_STAT,	/* cpu.stat */
	CGS_MEM_PEAK,	/* v1 memory.max_usage_in_bytes, v2 memory.peak */
	CGS_MEM_EVENTS, /* v1 memory.oom_control, v2 memory.events */
	CGS_PIDS_EVENTS,
	CGS_PIDS_CURRENT, /* read when a cgroup is recycled */
	CGS_MEM_USAGE,	  /* v1 memory.usage_in_bytes, v2 memory.current */
	CGS_COUNT
};

struct sbx_cgroup {
	const struct cgroup_backend *b;
	unsigned usable;  /* controllers this job actually has */
	char *dirs[8];	  /* per hierarchy (v1) or dirs[0] (v2) */
	int ndirs;
	int event_fd[3];  /* v1 oom eventfd, pids.events fds... */
	int nevent;
	int dir_fd;	  /* v2: O_PATH fd of the job directory, or -1 */
	char name[64];
	struct cg_limits set; /* the limits written last (0: not written) */
	struct cg_stats base; /* counters when last recycled: cgroup_read_stats() subtracts */
	int stat_fd[CGS_COUNT]; /* valid where stat_open has the bit */
	unsigned stat_open;
};
void cgroup_free(struct sbx_cgroup *cg);
/* Most a recycled cgroup may still have charged (kernel objects the last
 * job left cached); more, and it is destroyed instead. */
#define CG_RECYCLE_MAX_CHARGE (512u << 10)
/* A job's counters: the backend's, less what they were when the cgroup
 * was last recycled (the memory peak is reset instead). */
int cgroup_read_stats(struct sbx_cgroup *cg, struct cg_stats *st);
/* Ready a job cgroup whose processes are all gone for another job (the
 * pool's slots take turns in a few cgroups instead of making and
 * removing one per job): the memory peak reset, the counters rebased.
 * Returns -1 when it must be destroyed instead: not empty, a limit was
 * hit (OOM, pids, CPU throttling), memory still charged, or a peak the
 * kernel cannot reset. */
int cgroup_recycle(struct sbx_cgroup *cg);
/* Re-arm a limit-event descriptor (event_fds): a kernfs file must be
 * read again, an eventfd drained. */
void cgroup_rearm_event(int fd);
/* Read one counter file (dir/file) through a descriptor opened on first
 * use and kept for the cgroup's life: a kernfs open and close cost more
 * than the read, and a job's counters are read several times (limit
 * checks, an announced exit, the verdict).  Not for concurrent use on one
 * cgroup.  Returns the length read or -errno; buf is NUL-terminated. */
ssize_t cgroup_read_stat(struct sbx_cgroup *cg, enum cg_stat_file which, const char *dir,
			 const char *file, char *buf, size_t size);

/* ---------- registry.c ---------- */
/* What sbx_proc_start() registers of a sandbox. */
struct reg_sandbox {
	const struct sbx_config *cfg;
	pid_t pid;		    /* the init */
	const struct sbx_cgroup *cg; /* or NULL */
};
/* Register a sandbox with a kill FIFO (registry_kill_fd()); NULL when the
 * run directory cannot be used (best effort). */
struct sbx_registration *registry_add_sandbox(const struct reg_sandbox *sb);
/* The read end of the entry's kill FIFO: readable when `stratbox kill`
 * asks for the sandbox to end; -1 without one. */
int registry_kill_fd(const struct sbx_registration *r);
/* Remove stale entries (and what they name) from the run directory: every
 * sandbox start does. */
void registry_sweep(void);

/* ---------- verdict.c ---------- */
enum stop_reason {
	STOP_NONE = 0,
	STOP_OUTPUT,
	STOP_CPU,
	STOP_WALL,
	STOP_PIDS,
	STOP_MEMORY,
	STOP_SYSCALL,
	STOP_CANCEL,
};
/* Everything the supervisor observed; verdict_decide() is a pure function
 * of it (see docs/verdict.md for the precedence). */
struct evidence {
	bool setup_failed;
	int exec_errno;	       /* execve failed in the sandbox */
	enum stop_reason stop; /* first limit the supervisor acted on */
	bool have_status;      /* the command's wait status is known */
	int wait_status;
	bool seccomp_violation;
	uint64_t oom_kills, pids_max_events;
	bool out_truncated, err_truncated;
	uint64_t cpu_usage_ns, cpu_limit_ns;
	uint64_t run_ns, wall_limit_ns;
};
enum sbx_status verdict_decide(const struct evidence *e, int *exit_code, int *signal);

#endif
