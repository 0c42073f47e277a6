/* What the sandbox exports on purpose for the runtimes built on it: the
 * Python pool (src/pyrt/) and what drives strategies through it.  A
 * runtime starts its processes itself (a zygote forks them) and needs the
 * pieces `stratbox run` puts together: a trusted helper's sandbox, job
 * cgroups, a supervisor watching a process it did not clone, and the
 * child side's last steps before untrusted code runs.  Nothing else of
 * the sandbox's internals is visible outside src/sandbox/ (HACKING.md).
 *
 * The control channel these processes speak is sandbox/ctl.h. */
#ifndef STRATBOX_SANDBOX_RUNTIME_H
#define STRATBOX_SANDBOX_RUNTIME_H

#include "sandbox/ctl.h"
#include "stratbox/sandbox.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- a trusted helper's sandbox (the zygote) -------------------------- */

/* The command keeps every capability inside its own user namespace (and
 * across execve): only for trusted code that builds sandboxes itself. */
void sbx_config_keep_caps(sbx_config *cfg);
/* Hand host_fd to the command as sandbox_fd (4..63), open across execve;
 * sbx_config_clear_fds() forgets every one handed so far. */
int sbx_config_pass_fd(sbx_config *cfg, int host_fd, int sandbox_fd, sbx_error **err);
void sbx_config_clear_fds(sbx_config *cfg);
/* An empty directory in the root, for mounts the command makes inside. */
int sbx_config_add_dir(sbx_config *cfg, const char *path, sbx_error **err);
/* A host file or directory tree copied into the root at launch instead of
 * bound (its host path then appears nowhere in the sandbox). */
int sbx_config_add_copy(sbx_config *cfg, const char *src, const char *dst, sbx_error **err);
/* No wall-time limit: the sandbox lives as long as its owner keeps it. */
void sbx_config_no_wall_limit(sbx_config *cfg);
/* The limits a configuration gives (defaults where none was set). */
void sbx_config_limits(const sbx_config *cfg, struct sbx_limits *out);
/* A configuration freed at the end of its scope (common/util.h's idiom;
 * hand it on with steal_pointer()). */
static inline void sbx_config_freep(sbx_config **c)
{
	sbx_config_free(*c);
}
#define cleanup_config __attribute__((cleanup(sbx_config_freep)))

/* ---- registering in the run directory (stratbox/sandbox.h) ------------
 *
 * sbx_proc_start() registers every sandbox itself; a runtime registers
 * what it runs on top (a pool) for its life. */
struct sbx_register_info {
	const char *kind;	   /* "pool" */
	const char *env_name;	   /* NULL: "host" */
	const char *cgroup_parent; /* where its sandboxes' cgroups go (NULL: our own cgroup) */
	const char *command;	   /* NULL: this process's command line */
};
typedef struct sbx_registration sbx_registration;
/* Best effort: -1 when the run directory cannot be used (the caller goes
 * on; `stratbox doctor` says why). */
int sbx_register(const struct sbx_register_info *info, sbx_registration **out, sbx_error **err);
const char *sbx_registration_id(const sbx_registration *r);
/* Remove the entry and release its lock (NULL: nothing). */
void sbx_unregister(sbx_registration *r);
/* The sandbox belongs to the registered owner id (a pool's zygote). */
void sbx_config_set_owner(sbx_config *cfg, const char *owner_id);

/* ---- job cgroups ------------------------------------------------------- */

typedef struct sbx_cgroup sbx_cgroup;

/* The CPU quota period both backends use: a quota is a budget per period. */
#define SBX_CPU_PERIOD_US 100000u

/* A new job cgroup under parent (NULL: our own cgroup), with the limits
 * of lim (memory, pids, millicpus; the CPU-time counter is kept live). */
int sbx_cgroup_create(const char *parent, const struct sbx_limits *lim, sbx_cgroup **out,
		      sbx_error **err);
/* v1: descriptors of the cgroup's `tasks` files, for the process to join
 * itself (sbx_child_join_cgroup); returns how many, 0 when it must be
 * attached by pid instead (sbx_cgroup_attach), or -1. */
int sbx_cgroup_join_fds(sbx_cgroup *cg, int *fds, int max, sbx_error **err);
int sbx_cgroup_attach(sbx_cgroup *cg, pid_t pid, sbx_error **err);
/* Give an existing job cgroup new limits (only those that change are
 * written). */
int sbx_cgroup_set_limits(sbx_cgroup *cg, const struct sbx_limits *lim, sbx_error **err);
/* Make a finished job's cgroup as good as new for another job, or -1 when
 * it must be destroyed instead (docs/python-runtime.md). */
int sbx_cgroup_recycle(sbx_cgroup *cg);
void sbx_cgroup_destroy(sbx_cgroup *cg);
/* "v1", "v2" or "none". */
const char *sbx_cgroup_backend_name(void);

/* ---- watching a process the runtime started ----------------------------
 *
 * The supervisor of `stratbox run`, on descriptors the runtime supplies:
 * the process's output pipes, its control socket, where its wait status
 * comes from, a pidfd whose readiness means it is gone, and its cgroup.
 * Everything in the verdict is measured here; what the process sends on
 * its control socket is the runtime's to parse (on_frame). */
struct sbx_watch_spec {
	const sbx_config *cfg; /* limits and output mode; outlives the watch */
	sbx_cgroup *cg;	       /* or NULL */
	int out_fd, err_fd;    /* its stdout and stderr */
	int ctl_fd;	       /* its control socket */
	int status_fd;	       /* CTL_STATUS messages from whoever reaps it, or -1 */
	int pidfd;	       /* readable once it is gone */
	/* end the run on the process's exit announcement (CTL_EXITING) */
	bool accept_exiting;
	/* the process's own code can write to ctl_fd: after its seccomp
	 * listener arrives, control messages there are forgeries */
	bool ctl_hostile_after_listener;
	void (*on_frame)(void *ctx, const char *data, size_t len);
	void *frame_ctx;
};

typedef struct sbx_watch sbx_watch;
int sbx_watch_new(const struct sbx_watch_spec *spec, sbx_watch **out, sbx_error **err);
/* The process has been given its work (delivered), or could not be (it is
 * gone): the clock of its wall-time limit starts now. */
void sbx_watch_go(sbx_watch *w, bool delivered);
uint64_t sbx_watch_started_ns(const sbx_watch *w);
/* Supervise until the process is gone and its output drained. */
void sbx_watch_run(sbx_watch *w);

/* What the watch saw, for the runtime's own decisions. */
struct sbx_watch_seen {
	bool have_status;   /* an exit status (or announcement) arrived */
	bool stopped;	    /* the supervisor stopped it (a limit, a violation, a cancel) */
	bool setup_failed;  /* it reported a set-up failure */
	unsigned ctl_rejected; /* forged or malformed control messages */
};
void sbx_watch_seen(const sbx_watch *w, struct sbx_watch_seen *seen);

/* The reaped process's usage, as its parent saw it. */
struct sbx_usage {
	uint64_t utime_ns, stime_ns, maxrss;
};
/* Fill the verdict (v->setup_ns is kept) from the evidence, the cgroup's
 * counters and the reaped usage (NULL: none), and free the watch. */
void sbx_watch_finish(sbx_watch *w, const struct sbx_usage *reaped, sbx_verdict *v);

/* ---- the child side: a process's last steps before untrusted code ------
 *
 * Called in the sandboxed process itself, between fork and the code it
 * will run; nothing here allocates.  Failures are reported as CTL_REPORT
 * on report_fd (child_fail()), and -1 is returned. */
struct sbx_child_limits {
	uint64_t cpu_time_ns; /* RLIMIT_CPU, 0: none */
	uint64_t fsize;	      /* RLIMIT_FSIZE */
	uint64_t nofile;      /* RLIMIT_NOFILE */
};
/* rlimits, then uid/gid 1000, no capabilities, no_new_privs, inside the
 * user namespace the process already runs in. */
int sbx_child_drop(const struct sbx_child_limits *lim, int report_fd);
/* Install a policy's seccomp filter and hand its listener to the
 * supervisor on report_fd (CTL_LISTENER): the last trusted message. */
int sbx_child_seccomp(enum sbx_policy policy, int report_fd);
/* Move the calling single-threaded process into the cgroups whose `tasks`
 * descriptors are given (closes them): 0 or -errno. */
int sbx_child_join_cgroup(const int *fds, int n);
/* Hide and protect a freshly mounted /proc as every sandbox's is: 0, or
 * -errno with *failed naming the entry. */
int sbx_child_protect_proc(const char *proc, const char **failed);

#endif
