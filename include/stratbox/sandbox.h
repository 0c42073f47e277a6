/* stratbox sandbox: run one command in a fresh set of Linux namespaces with
 * cgroup limits, a seccomp allow-list and dropped privileges, and report one
 * precise verdict.
 *
 * Usage (minijail-style: configure step by step, nothing applied until run):
 *
 *     sbx_config *cfg = sbx_config_new();
 *     sbx_config_set_memory(cfg, 256 << 20, &err);
 *     sbx_config_set_argv(cfg, argc, argv, &err);
 *     sbx_verdict v;
 *     sbx_run(cfg, &v, &err);
 *     char *json = sbx_verdict_to_json(&v);
 *     sbx_verdict_clear(&v);
 *     sbx_config_free(cfg);
 *
 * The library holds no mutable process globals apart from a lazily detected,
 * read-only description of the machine's cgroup layout; a config may be
 * used by one sbx_run at a time.
 */
#ifndef STRATBOX_SANDBOX_H
#define STRATBOX_SANDBOX_H

#include "stratbox/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The reference limits (the Docker set-up stratbox replaces). */
#define SBX_DEFAULT_MEMORY (256ull << 20)
#define SBX_DEFAULT_PIDS 32u
#define SBX_DEFAULT_MILLICPUS 500u
#define SBX_DEFAULT_WALL_NS (60ull * 1000000000ull)
#define SBX_DEFAULT_OUTPUT (1ull << 20)
#define SBX_DEFAULT_TMP (16ull << 20)
#define SBX_DEFAULT_NOFILE 1024u
#define SBX_SANDBOX_UID 1000u
#define SBX_SANDBOX_GID 1000u

typedef struct sbx_config sbx_config;

/* Where the child's stdout/stderr go while it runs. */
enum sbx_output_mode {
	SBX_OUTPUT_CAPTURE = 0, /* kept in the verdict, up to the output limit */
	SBX_OUTPUT_PASSTHROUGH, /* copied to the given fds as it arrives, capped */
};

/* Which seccomp allow-list applies to the sandboxed process. */
enum sbx_policy {
	SBX_POLICY_RUN = 0,	/* general programs: shells, coreutils, python3 */
	SBX_POLICY_ZYGOTE,	/* the Python pool's zygote (trusted; builds job sandboxes) */
	SBX_POLICY_PYTHON_JOB,	/* strategy code: no execve, threads only, no sockets */
};

sbx_config *sbx_config_new(void);
void sbx_config_free(sbx_config *cfg);

int sbx_config_set_memory(sbx_config *cfg, uint64_t bytes, sbx_error **err);
int sbx_config_set_pids(sbx_config *cfg, uint64_t n, sbx_error **err);
int sbx_config_set_cpus(sbx_config *cfg, uint64_t millicpus, sbx_error **err);
/* 0 disables the CPU-time limit (the default). */
int sbx_config_set_cpu_time(sbx_config *cfg, uint64_t ns, sbx_error **err);
int sbx_config_set_wall_time(sbx_config *cfg, uint64_t ns, sbx_error **err);
/* Per stream (stdout and stderr each). */
int sbx_config_set_output_limit(sbx_config *cfg, uint64_t bytes, sbx_error **err);
int sbx_config_set_tmp_size(sbx_config *cfg, uint64_t bytes, sbx_error **err);
/* Bind host path src at dst inside the sandbox (dst defaults to src).
 * dst is resolved inside the sandbox's root and may not pass through a
 * symlink.  src is opened once when the sandbox starts; a symlink in its
 * last component is refused unless sbx_config_set_follow_symlinks() says
 * otherwise.  Symlinks in src's directories are followed: a source must
 * not pass through a directory that a sandbox can write. */
int sbx_config_add_bind(sbx_config *cfg, const char *src, const char *dst, bool writable,
			sbx_error **err);
/* Follow a symlink in the last component of every bind source (default:
 * false, such a bind is refused and the run is a SANDBOX_ERROR naming the
 * source and the link's target). */
void sbx_config_set_follow_symlinks(sbx_config *cfg, bool follow);
/* Build the sandbox's root from the tree at dir (an environment's root
 * filesystem, docs/environments.md) instead of the host: /usr, the
 * merged-/usr links (/bin, /lib, ...) and the bound /etc files come from
 * dir, read-only, and nothing of the host's /usr is visible.  The tree is
 * trusted to be the caller's (a sealed environment store): its top-level
 * /usr must be a directory, its links are copied as links.  NULL: the
 * host's (the default). */
int sbx_config_set_rootfs(sbx_config *cfg, const char *dir, sbx_error **err);
/* "NAME=VALUE"; replaces an earlier value of NAME. */
int sbx_config_add_env(sbx_config *cfg, const char *assignment, sbx_error **err);
int sbx_config_set_cwd(sbx_config *cfg, const char *dir, sbx_error **err);
/* A cgroup path relative to each hierarchy's root (v1) or the cgroup2
 * mount (v2) under which job cgroups are created.  Default: the cgroup this
 * process runs in. */
int sbx_config_set_cgroup_parent(sbx_config *cfg, const char *path, sbx_error **err);
int sbx_config_set_argv(sbx_config *cfg, int argc, char *const argv[], sbx_error **err);
void sbx_config_set_output(sbx_config *cfg, enum sbx_output_mode mode, int stdout_fd,
			   int stderr_fd);
void sbx_config_set_policy(sbx_config *cfg, enum sbx_policy policy);
/* When fd becomes readable (e.g. a signalfd for SIGINT/SIGTERM), the run is
 * stopped, the sandbox killed and cleaned up, and the verdict is
 * SANDBOX_ERROR "interrupted".  -1 (default) for none. */
void sbx_config_set_cancel_fd(sbx_config *cfg, int fd);

enum sbx_status {
	SBX_OK = 0,
	SBX_NONZERO_EXIT,
	SBX_SIGNALED,
	SBX_TIMEOUT_WALL,
	SBX_TIMEOUT_CPU,
	SBX_MEMORY_LIMIT,
	SBX_PIDS_LIMIT,
	SBX_OUTPUT_LIMIT,
	SBX_SYSCALL_VIOLATION,
	SBX_SANDBOX_ERROR,
};
const char *sbx_status_name(enum sbx_status s);

struct sbx_stream {
	char *data;	  /* captured bytes (NUL-terminated), NULL in passthrough */
	size_t len;	  /* bytes kept (never more than the output limit) */
	uint64_t total;	  /* bytes the child wrote that stratbox read */
	bool truncated;	  /* the child wrote more than the limit */
};

typedef struct sbx_verdict {
	enum sbx_status status;
	int exit_code;	       /* docker-run style: code, 128+signal, 125/126/127 */
	int signal;	       /* terminating signal of the command, or 0 */
	char syscall[48];      /* for SYSCALL_VIOLATION: name, "x32:name", "i386:name" */
	uint64_t wall_ns, cpu_user_ns, cpu_sys_ns, cpu_throttled_ns;
	uint64_t memory_peak_bytes;
	struct sbx_stream out, err;
	char *message;	       /* why, in words; and any limit not enforced */
	uint64_t setup_ns, run_ns, teardown_ns;
	/* evidence behind the status */
	uint64_t oom_kills;	   /* cgroup OOM-killer kills during the run */
	uint64_t pids_max_events;  /* forks refused by the pids limit */
	bool killed_by_supervisor; /* stratbox sent the SIGKILL */
	bool command_ended;	   /* the command ended by itself (exit or signal) */
	int command_exit_code, command_signal; /* ...and how */
	int syscall_nr;		   /* -1 when none */
	uint32_t syscall_arch;	   /* AUDIT_ARCH_* of the violating call */
	const char *cgroup_backend; /* "v1", "v2" or "none" */
	char unenforced[128];	   /* limits that could not be enforced, comma-separated */
	struct sbx_limits {
		uint64_t memory, pids, millicpus, cpu_time_ns, wall_ns, output, tmp;
	} limits;		   /* the limits the run was given */
} sbx_verdict;

/* Run the configured command.  Always fills *out: a setup failure becomes
 * status SANDBOX_ERROR with the reason in message (and is also returned as
 * -1 with *err set).  Returns 0 when the command ran, whatever its outcome. */
int sbx_run(const sbx_config *cfg, sbx_verdict *out, sbx_error **err);

/* A sandbox that keeps running while the caller does other things:
 * sbx_run() is sbx_proc_start() then sbx_proc_wait().  The config must
 * outlive the proc. */
typedef struct sbx_proc sbx_proc;
/* Launch the command.  On failure returns -1 and, if fail_verdict is not
 * NULL, fills it with the SANDBOX_ERROR verdict. */
int sbx_proc_start(const sbx_config *cfg, sbx_proc **out, sbx_verdict *fail_verdict,
		   sbx_error **err);
/* Supervise until the sandbox is gone; fills the verdict and frees p. */
void sbx_proc_wait(sbx_proc *p, sbx_verdict *v);
/* Kill the sandbox from another thread; sbx_proc_wait() then returns.
 * Only while sbx_proc_wait() has not returned (it frees p): a caller that
 * cannot know that keeps its own descriptor, from sbx_proc_pidfd(). */
int sbx_proc_kill(sbx_proc *p);
/* A new pidfd of the sandbox's init (close-on-exec, the caller's to
 * close), valid after p is gone: signalling it then fails with ESRCH
 * instead of reaching whatever reused a descriptor number. */
int sbx_proc_pidfd(const sbx_proc *p);

/* The verdict as one JSON object (malloc'd, no trailing newline). */
char *sbx_verdict_to_json(const sbx_verdict *v);
void sbx_verdict_clear(sbx_verdict *v);

/* What the cgroup layer can do for this process: the backend in use and
 * which limits a job cgroup under `cgroup_parent` (NULL: our own cgroup)
 * actually gets, found by creating and removing one. */
struct sbx_cgroup_report {
	char backend[8];      /* "v1", "v2" or "none" */
	bool memory, pids, cpu; /* enforceable */
	char layout[160];     /* e.g. "hybrid: controllers on v1, cgroup2 at ..." */
	char parent[512];     /* where job cgroups go (first hierarchy) */
	char problem[700];    /* why something is missing, or "" */
};
int sbx_cgroup_probe(const char *cgroup_parent, struct sbx_cgroup_report *out, sbx_error **err);

/* Remove job cgroups left by supervisors that were killed (also done at the
 * start of every run).  Returns the number removed, or -1. */
int sbx_cleanup_stale(const char *cgroup_parent, sbx_error **err);

#ifdef __cplusplus
}
#endif
#endif
