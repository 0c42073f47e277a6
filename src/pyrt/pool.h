/* Internals of the Python pool, shared by pool.c (the zygote and the
 * dispatcher that keeps slots ready) and job.c (running one job). */
#ifndef STRATBOX_PYRT_POOL_H
#define STRATBOX_PYRT_POOL_H

#include "pyrt/zproto.h"
#include "sandbox/internal.h"
#include "stratbox/pyrt.h"

#include <pthread.h>
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
	struct sbx_cgroup *cg;
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
	struct sbx_cgroup *spare_cg[POOL_SPARE_CGROUPS]; /* oldest first */
	uint64_t spare_at[POOL_SPARE_CGROUPS];		  /* when each was released */
	int nspare_cg;
	uint64_t cgroups_made, cgroups_reused;
	uint32_t next_id;
	bool stopping;
	const struct cgroup_backend *b;
	uint64_t jobs, zygote_starts, slots_forked;
	char versions[256];
	char last_error[256];
};

/* Default limits of a slot's cgroup until a job sets its own. */
void pool_default_limits(struct cg_limits *lim);
/* Wake the dispatcher (refill, stop) and the preparer (slots to attach or
 * release). */
void pool_wake(struct sbx_pool *p);
/* Unlink a slot from the pool and hand it to the dispatcher, which kills
 * what is left of it and removes its cgroup outside the lock (call with
 * p->mu held).  A job's result never waits for that. */
void pool_retire_slot(struct sbx_pool *p, struct slot *s);

#endif
