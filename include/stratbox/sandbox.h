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
/* The same as a jansson object (a new reference), for a caller that adds
 * to it or puts it in a document of its own. */
struct json_t;
struct json_t *sbx_verdict_json(const sbx_verdict *v);
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

/* ---- what runs on this machine: the run directory ---------------------
 *
 * Every sandbox (sbx_proc_start: `stratbox run`, a pool's zygote) and every
 * Python pool registers itself in a run directory while it lives, with a
 * lock its supervisor holds: when the supervisor dies, however it dies,
 * its entry is recognisably stale.  The directory is STRATBOX_RUN_DIR when
 * set, else /run/stratbox for root, $XDG_RUNTIME_DIR/stratbox, or
 * /tmp/stratbox-run-UID when XDG_RUNTIME_DIR is unset.  Layout and rules:
 * docs/operations.md. */

/* The run directory this process uses (not created): 0, or -1 when the
 * name does not fit. */
int sbx_run_dir(char *buf, size_t size, sbx_error **err);

/* The environment a sandbox runs (shown by `stratbox ps`); NULL or "" is
 * the host's.  At most 63 bytes. */
int sbx_config_set_env_name(sbx_config *cfg, const char *name, sbx_error **err);

#define SBX_ENTRY_MAX_CGROUPS 8
struct sbx_entry {
	char id[16];	  /* what `stratbox ps` shows and `stratbox kill` takes */
	char kind[16];	  /* "run", "zygote" (a pool's), "pool"; "slot": a live pool's slot,
			   * found in its cgroups (id POOL.SEQ, not an entry of its own) */
	char env[64];	  /* the environment's name; "host" */
	char parent[16];  /* a zygote's pool, or "" */
	unsigned uid;	  /* the supervisor's effective uid */
	int supervisor_pid;
	unsigned long long supervisor_start; /* clock ticks after boot (/proc/PID/stat) */
	int pid;	  /* the sandbox's init; 0 for a pool (see supervisor_pid) */
	unsigned long long pid_start;
	double created;	  /* Unix time, seconds */
	/* a run's or zygote's job cgroup, one per hierarchy (v1) */
	char cgroup[SBX_ENTRY_MAX_CGROUPS][512];
	int ncgroup;
	/* a pool's: where the cgroups of its zygote and slots are made */
	char cgroup_parent[SBX_ENTRY_MAX_CGROUPS][512];
	int ncgroup_parent;
	char command[1024]; /* the command line (a pool: its owner's) */
	bool stale;	  /* its supervisor is gone */
	/* measured from its cgroups when live (sbx_entries_list) */
	bool have_memory, have_cpu;
	uint64_t memory_bytes, cpu_ns;
	unsigned cgroups_live; /* a pool: job cgroups of its owner now (zygote and slots) */
};

/* Every entry of run_dir (NULL: sbx_run_dir()), oldest first, stale ones
 * marked, live ones measured.  *out is malloc'd (free()); a missing
 * directory has no entries. */
int sbx_entries_list(const char *run_dir, struct sbx_entry **out, size_t *n, sbx_error **err);

/* End one sandbox or pool by id (or a unique prefix of one).  A run or a
 * zygote: its supervisor is asked to kill it (its verdict is
 * SANDBOX_ERROR, "killed: ..."), or, if it does not within a few seconds,
 * its init and cgroup are killed from here.  A pool: its owner is sent
 * SIGTERM (a pool lives and ends with the process that made it).  Returns
 * once its entry is gone, with *which (may be NULL) filled; -1 with an
 * SBX_ERR_INVALID error when no live entry has that id, SBX_ERR_SYSTEM
 * when it could not be ended. */
int sbx_entry_kill(const char *run_dir, const char *id, struct sbx_entry *which, sbx_error **err);

/* What killed supervisors left: stale run-directory entries with their
 * cgroups, stale job cgroups under cgroup_parent (NULL: our own cgroup),
 * and stratbox's temporary files in state_dir (NULL: none).  Nothing a
 * live supervisor holds is touched.  Each thing removed (or, dry_run,
 * that would be) is named to removed(ctx, what, path); returns how many,
 * or -1. */
struct sbx_cleanup_options {
	const char *run_dir;	   /* NULL: sbx_run_dir() */
	const char *cgroup_parent; /* as sbx_config_set_cgroup_parent */
	const char *state_dir;	   /* NULL: no temporary files are looked for */
	uint64_t older_than_ns;	   /* only what is older; temporary files: untouched for this
				    * long (0: SBX_CLEANUP_TMP_MIN_AGE_NS for them) */
	bool dry_run;
};
/* A temporary file may belong to a live writer that holds no lock stratbox
 * can test: without --older-than, only those untouched this long go. */
#define SBX_CLEANUP_TMP_MIN_AGE_NS (10ull * 60 * 1000000000ull)
int sbx_cleanup(const struct sbx_cleanup_options *o,
		void (*removed)(void *ctx, const char *what, const char *path), void *ctx,
		sbx_error **err);

#ifdef __cplusplus
}
#endif
#endif
