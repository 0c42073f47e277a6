/* Between run.c, launch.c and supervise.c: the launch of one sandbox and
 * the supervisor that watches it (the channel between them: ctl.h). */
#ifndef STRATBOX_SANDBOX_LAUNCH_H
#define STRATBOX_SANDBOX_LAUNCH_H

#include "sandbox/internal.h"

#include <stdint.h>
#include <sys/types.h>

struct launch {
	/* prepared by the parent before clone */
	const struct sbx_config *cfg;
	struct rootfs_plan plan;
	const struct seccomp_prog *prog;
	struct privs_plan privs;
	char **envp;	    /* the command's environment */
	const char *path;   /* PATH value used to find the command */
	const char *cwd;
	bool userns;	    /* a user namespace: unprivileged, or keep_caps */
	bool root_userns;   /* ...created by root: maps are ours to choose */
	uintptr_t scrub_start, scrub_end; /* our argv+environ strings */
	/* fds */
	int ctl_parent, ctl_child;
	int out_r, out_w, err_r, err_w;
	/* results */
	pid_t init_pid;
	int init_pidfd;
};

int launch_prepare(struct launch *l, const struct sbx_config *cfg, sbx_error **err);
/* clone3() the sandbox init, inside the cgroup dir cgroup_fd when it is
 * not -1 (CLONE_INTO_CGROUP); on success init_pid and init_pidfd are set. */
int launch_start(struct launch *l, int cgroup_fd, sbx_error **err);
/* Write the user namespace maps for the init (unprivileged runs). */
int launch_write_maps(struct launch *l, sbx_error **err);
void launch_release(struct launch *l);

/* The supervisor's view of one running sandbox (supervise.c).  It knows
 * descriptors, not who made them: `stratbox run` watches its init, the
 * Python pool watches a slot forked by its zygote. */
struct supervisor {
	const struct sbx_config *cfg;
	int out_fd, err_fd;  /* the command's stdout/stderr pipes */
	int ctl_fd;	     /* control socket: reports, listener, status, frames */
	int status_fd;	     /* the source of CTL_STATUS when not ctl_fd (pool), or -1 */
	bool accept_exiting; /* end the run on CTL_EXITING (pool slots with a cgroup) */
	/* The control socket is open in the sandboxed code itself once it
	 * runs (a pool slot's fd 3): after its seccomp listener arrives (the
	 * last message trusted code sends before strategy code starts),
	 * CTL_REPORT, CTL_STATUS and CTL_LISTENER on it are forgeries and are
	 * counted in ctl_rejected instead of believed; frames are accepted
	 * only then. */
	bool ctl_hostile_after_listener;
	bool ctl_hostile;
	unsigned ctl_rejected;
	int pidfd;	     /* the process whose end ends the run */
	pid_t reap_pid;	     /* >0: our child, reaped with wait4 for its usage */
	struct sbx_cgroup *cg;
	/* protocol frames (CTL_FRAME), validated by the callee; may be NULL */
	void (*on_frame)(void *ctx, const char *data, size_t len);
	void *frame_ctx;
	struct evidence ev;
	struct sbx_stream out, err;
	struct passthrough *pass; /* SBX_OUTPUT_PASSTHROUGH: the writer thread */
	bool out_eof, err_eof, ctl_eof, status_eof, pass_out_broken, pass_err_broken;
	int notify_fd;
	int kill_fd;	     /* readable: `stratbox kill` asks for the end (registry.c), or -1 */
	bool proc_exited, killed;
	uint64_t t_go, t_end, t_kill;
	uint64_t cpu_rate_milli;    /* how fast the job can burn CPU time */
	uint64_t next_cpu_check;    /* monotonic ns */
	uint64_t proc_utime_ns, proc_stime_ns, proc_maxrss; /* reaped child's usage */
	char message[600];	    /* first setup/exec failure text */
	char syscall[48];
	int syscall_nr;
	uint32_t syscall_arch;
};

/* Zero a supervisor and mark every descriptor absent. */
void supervisor_init(struct supervisor *s);
/* Point a supervisor at the process it watches, the one wiring both
 * `stratbox run` (run.c) and a runtime's watch (runtime.c) use: its
 * configuration, its cgroup (or NULL), its stdout and stderr pipes, its
 * control socket, the pidfd whose readiness means it is gone, and how
 * fast it can burn CPU time (cpu_rate_milli).  The caller sets what only
 * it has (reap_pid; status_fd, frames, accept_exiting...). */
void supervisor_attach(struct supervisor *s, const struct sbx_config *cfg, struct sbx_cgroup *cg,
		       int out_fd, int err_fd, int ctl_fd, int pidfd);

/* Run the event loop from GO until the sandbox is gone and its output
 * drained.  Never fails: problems become evidence.  It never waits for
 * whoever reads passed-through output (see supervisor_deliver()). */
void supervise(struct supervisor *s);
/* Wait until the passed-through output is delivered to the caller's
 * descriptors (or they broke) and release the writer.  For the end of a
 * run, after its teardown: a reader that stalls stalls this call, never
 * the supervision of a live sandbox.  Nothing to do in capture mode. */
void supervisor_deliver(struct supervisor *s);

/* run.c: capture buffers for a supervisor, and the verdict from its
 * evidence and the cgroup's counters (shared with the Python pool). */
int sandbox_alloc_streams(struct supervisor *s, const struct sbx_config *cfg, sbx_error **err);
/* The limits a run was given, into its verdict. */
void sandbox_verdict_limits(sbx_verdict *v, const struct sbx_config *cfg);
void sandbox_finish_verdict(sbx_verdict *v, struct supervisor *s, const struct sbx_config *cfg,
			    const struct cg_stats *st);
/* After supervise(): the cgroup's counters read and the verdict filled
 * from them and the evidence (both `stratbox run` and runtimes' watches). */
void sandbox_collect_verdict(sbx_verdict *v, struct supervisor *s);

#endif
