/* Internals of the Python pool, shared by its files:
 *
 *   pool.c         the pool's life: options, start, stop
 *   pool-zygote.c  the zygote and the dispatcher thread that owns it
 *   pool-slots.c   a slot's life on the host, the preparer thread, and
 *                  what the others share: wake-ups, the slot list,
 *                  receiving a pool message
 *   pool-stats.c   counters and memory figures
 *   job.c          one job on a slot
 *   pipeline.c     the job pipeline: a job from JSON, check, run, the
 *                  result as JSON (only the public API: no pool internals)
 *
 * Calls between them go one way, never back: pool.c -> pool-zygote.c ->
 * pool-slots.c (pool.c and job.c call pool-slots.c too).
 *
 * The pool stands on the sandbox's face for runtimes (sandbox/runtime.h)
 * and nothing else of the sandbox. */
#ifndef STRATBOX_PYRT_POOL_H
#define STRATBOX_PYRT_POOL_H

#include "pyrt/protocol.h"
#include "sandbox/runtime.h"
#include "stratbox/pyrt.h"

#include <unistd.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum slot_state { SLOT_STARTING, SLOT_READY, SLOT_BUSY };

struct slot {
	uint32_t id;
	enum slot_state state;
	int ctl;		 /* host end of the slot's control socket */
	int out_r, err_r;	 /* its stdout/stderr */
	int status_r, status_w;	 /* its exit status, for the job's supervisor */
	pid_t pid;		 /* host pid, from SCM_CREDENTIALS */
	int pidfd;
	sbx_cgroup *cg;
	bool exited, job_done;
	bool retired;		 /* on the retired list (never twice: see pool_retire_slot) */
	int wait_status;
	uint64_t utime_ns, stime_ns, maxrss;
	uint64_t t_spawn, t_ready;
	struct slot *next;
};

/* Recycled slot cgroups kept; a batch at --parallel N needs about 3N+2. */
#define POOL_SPARE_CGROUPS 64

struct sbx_pool {
	struct sbx_pool_options opt;
	atomic_bool no_prefault; /* sbx_pool_prefault(false): work is waiting */
	atomic_uint lockstep_jobs; /* backtests running (refill() holds back beside them) */
	char *zygote_path, *package_dir, *allowed_csv;
	sbx_config *zcfg;
	sbx_proc *zproc;    /* freed by the monitor's sbx_proc_wait(): not to be touched */
	int zpidfd;	    /* our own handle on the zygote sandbox's init, -1 */
	pthread_t zmon;
	bool zmon_running;
	int chan; /* host end of the pool channel, -1 without a zygote */
	pid_t zpid; /* the zygote's pid here (for its memory figures), 0 unknown */
	pthread_t thread;   /* dispatcher: the zygote, its channel, spawning */
	pthread_t prep;	    /* preparer: slot cgroups in, retired slots out */
	int wake_r, wake_w; /* wakes the dispatcher */
	int pwake_r, pwake_w; /* wakes the preparer */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct slot *slots;
	struct slot *retired; /* done with: cgroup removal and closing, off the job's path */
	/* Cgroups of finished slots, recycled for new ones (the preparer's;
	 * the list under mu for sbx_pool_stats()). */
	sbx_cgroup *spare_cg[POOL_SPARE_CGROUPS]; /* oldest first */
	uint64_t spare_at[POOL_SPARE_CGROUPS];		  /* when each was released */
	int nspare_cg;
	uint64_t cgroups_made, cgroups_reused;
	uint32_t next_id;
	bool stopping;
	uint64_t jobs, zygote_starts, slots_forked;
	char versions[256];
	char last_error[256];
	sbx_registration *reg; /* the pool's run-directory entry, or NULL */
};

/* pool-slots.c */
/* Default limits of a slot's cgroup until a job sets its own. */
void pool_default_limits(struct sbx_limits *lim);
/* Wake the dispatcher (refill, stop) and the preparer (slots to attach or
 * release). */
void pool_wake(struct sbx_pool *p);
void pool_wake_preparer(struct sbx_pool *p);
/* Receive one message (through sandbox/ctl.h's ctl_recv(): no descriptors
 * kept) and, with SO_PASSCRED on, the sender's pid as the kernel
 * translated it into our pid namespace (0 when absent). */
ssize_t recv_with_pid(int fd, struct zmsg *m, int flags, pid_t *pid);
/* Unlink a slot from the pool and put it on the retired list, killing
 * what is left of it (call with p->mu held).  The preparer closes its
 * descriptors and recycles or removes its cgroup outside the lock: a
 * job's result never waits for that. */
void pool_retire_slot(struct sbx_pool *p, struct slot *s);
void release_retired(struct sbx_pool *p);
struct slot *find_slot(struct sbx_pool *p, uint32_t id);
void *preparer(void *arg);

/* pool-zygote.c */
int zygote_config(struct sbx_pool *p, sbx_error **err);
int zygote_start(struct sbx_pool *p, sbx_error **err);
/* The zygote is gone (or stopping): forget it and every slot not in use. */
void zygote_reset(struct sbx_pool *p);
void *dispatcher(void *arg);

static inline void pool_close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

#endif
