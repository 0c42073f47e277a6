/* stratbox Python runtime: strategy code in a warm pool of sandboxed
 * Python processes.
 *
 * A pool starts one zygote (inside a base sandbox) that imports Python,
 * numpy and pandas once, and keeps `warm` slots forked ahead of demand,
 * each already in its own pid/mount/IPC namespaces and its own cgroup.  A
 * job takes a ready slot, gets its limits, its code and data, drops every
 * privilege and runs; a slot never runs a second job.  The pool refills in
 * the background and restarts its zygote if it dies; a job waits for a
 * slot rather than failing.
 *
 *     sbx_pool *pool;
 *     sbx_pool_start(&(struct sbx_pool_options){ .warm = 2 }, &pool, &err);
 *     struct sbx_job job = { .code = src, .code_len = n };
 *     struct sbx_job_result res;
 *     sbx_pool_run(pool, &job, &res, &err);     // thread-safe
 *     char *json = sbx_job_result_to_json(&res, NULL);
 *     sbx_job_result_clear(&res);
 *     sbx_pool_stop(pool);
 */
#ifndef STRATBOX_PYRT_H
#define STRATBOX_PYRT_H

#include "stratbox/error.h"
#include "stratbox/sandbox.h"
#include "stratbox/validate.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sbx_pool sbx_pool;

/* Where a venv environment's site-packages is bound in its sandboxes. */
#define SBX_SITE_PACKAGES_IN_SANDBOX "/opt/stratbox/site-packages"

struct sbx_pool_options {
	unsigned warm;		     /* ready slots kept forked ahead (default 2) */
	const char *cgroup_parent;   /* as sbx_config_set_cgroup_parent; NULL: own cgroup */
	/* NULL: stratbox-zygote next to this executable, or with rootfs
	 * stratbox-zygote-shared (the tree's libpython); a path given stands
	 * for both (with rootfs its "-shared" sibling is used, and must exist) */
	const char *zygote_path;
	const char *package_dir;     /* NULL: python/ next to this executable */
	const sbx_check_policy *policy; /* its allowed imports guard imports at run time */
	int log_fd;		     /* the zygote's own output; -1: discarded */
	/* Each new slot runs a short trusted warm-up before it is offered,
	 * so the memory a job writes first is copied from the zygote ahead
	 * of the request: a warm job's latency falls by about 3 ms, and each
	 * slot costs about 3 ms more CPU.  For a service whose slots wait
	 * for requests; not for batches, where every slot is taken at once
	 * and CPU is the limit (docs/python-runtime.md). */
	bool prefault;
	/* Jobs run without the audit hook (docs/security.md): for tests of
	 * the kernel layer alone, never for strategies. */
	bool no_audit_hook;
	/* The environment the pool runs (docs/environments.md); all NULL: the
	 * host's, as before environments existed.  include/stratbox/env.h
	 * fills these from a stored environment (sbx_env_pool_options). */
	const char *env_name;	  /* shown by `stratbox ps`; NULL: "host" */
	const char *rootfs;	  /* the sandbox root's /usr, /etc... come from here */
	const char *python;	  /* the interpreter's path inside the sandbox (sys.prefix) */
	const char *preload;	  /* modules the zygote imports, comma-separated; NULL: the
				   * allowed ones that import */
	const char *site_packages; /* a venv's site-packages (host path), bound read-only at
				    * SBX_SITE_PACKAGES_IN_SANDBOX */
	bool no_system_site;	  /* the venv excludes the system's site-packages */
	/* The environment's libraries need ctypes in the process (scipy
	 * does): it is loaded instead of kept out; strategies still may not
	 * import it (docs/security.md says what this concedes). */
	bool native;
};

/* One job: Python source and an optional JSON document for
 * /workspace/data.json.  Zero limits take the defaults (the reference
 * limits, 60 s wall time). */
struct sbx_job {
	const char *code;
	size_t code_len;
	const char *data; /* NULL: no /workspace/data.json */
	size_t data_len;
	uint64_t timeout_ns, memory, pids, millicpus, cpu_time_ns, output_limit, tmp_size;
	uint64_t seed;	  /* random and numpy seed; 0 unless has_seed */
	bool has_seed;
	/* The engine's lockstep region for a backtest (a memfd laid out as
	 * src/pyrt/lockstep.h says), mapped by the job before its code runs;
	 * 0: none.  Such a job is never run a second time on a fresh slot
	 * after its zygote dies (the region has moved on): it fails instead. */
	int lockstep_fd;
	/* Readable (an eventfd written, a pipe closed): kill the job now.  Its
	 * verdict is then SANDBOX_ERROR with a message that says it was
	 * interrupted.  Watched once the job has its slot; 0: none. */
	int cancel_fd;
};

struct sbx_job_result {
	sbx_verdict verdict;	/* status, exit code, output, usage: the sandbox's */
	/* The job's own report of the exception it exited with ("Type:
	 * message" and the traceback of its own frames), kept only when it
	 * exited non-zero by itself (NONZERO_EXIT): never beside another
	 * status, whose evidence is the sandbox's alone.  NULL otherwise. */
	char *error;
	char *traceback;
	unsigned protocol_errors; /* forged or malformed messages from inside (ignored) */
	uint64_t queue_ns;	/* waiting for a ready slot */
	bool warm;		/* ran in a slot forked ahead of the request */
};

int sbx_pool_start(const struct sbx_pool_options *opt, sbx_pool **out, sbx_error **err);
/* Run one job (blocking, thread-safe).  Returns 0 with *res filled: a job
 * that breaks a limit is a result, not an error.  -1 only when the pool is
 * stopping. */
int sbx_pool_run(sbx_pool *pool, const struct sbx_job *job, struct sbx_job_result *res,
		 sbx_error **err);
void sbx_pool_stop(sbx_pool *pool);

/* With opt.prefault, whether new slots are warmed up now: a caller that
 * knows work is waiting says false (the warm-up buys latency for a job
 * that would wait for a slot anyway, and takes CPU from the running
 * ones), and true again when it has none.  Thread-safe; true at start. */
void sbx_pool_prefault(sbx_pool *pool, bool on);

/* Counters: cheap, any thread. */
struct sbx_pool_stats {
	unsigned ready, starting, busy;
	uint64_t jobs, zygote_starts, slots_forked;
	uint64_t cgroups_made, cgroups_reused; /* slot cgroups created, and recycled */
	unsigned cgroups_spare;		       /* finished, resting before a new slot */
	char versions[256]; /* "python=3.11.2 numpy=1.24.2 pandas=1.5.3" */
	int zygote_pid;	    /* in the caller's pid namespace; 0 while none runs */
};
void sbx_pool_stats(sbx_pool *pool, struct sbx_pool_stats *st);

/* Memory, from /proc/PID/smaps_rollup: each read walks a whole address
 * space (about a millisecond per process), so not for polling. */
struct sbx_pool_memory {
	uint64_t zygote_rss_bytes;			       /* resident set of the zygote */
	uint64_t idle_slot_pss_bytes, idle_slot_private_bytes; /* per ready slot, mean */
	unsigned idle_slots;				       /* how many were measured */
};
void sbx_pool_memory(sbx_pool *pool, struct sbx_pool_memory *m);

void sbx_job_result_clear(struct sbx_job_result *r);

/* ---- the job pipeline: what every front end (exec, a batch, the service)
 * does with a job, in one place ---- */

struct json_t;

/* {"success","output","error","status","stderr","metrics":{...},"verdict":{...}},
 * or a VALIDATION_ERROR result with the violations when v is not NULL
 * (r is then unused).  A new object the caller may add to; NULL when out
 * of memory.  docs/strategy-api.md has every field. */
struct json_t *sbx_job_result_json(const struct sbx_job_result *r, const struct sbx_check_result *v);
/* The same, serialised compactly (one line). */
char *sbx_job_result_to_json(const struct sbx_job_result *r, const struct sbx_check_result *v);
/* A result for a job that never reached the sandbox: {"success": false,
 * "status": STATUS, "output": "", "error": MESSAGE, "metrics": {}}. */
struct json_t *sbx_job_error_json(const char *status, const char *message);

/* A job described in JSON, as a batch line or a request body:
 *   {"code": "...", "data": <any JSON>, "timeout": SEC, "cpu_time": SEC,
 *    "memory": "256M" | BYTES, "seed": N, "id": <any, the caller's>}
 * "code" is required; every other key falls back to `defaults` (may be
 * NULL); an unknown key or a bad value is an SBX_ERR_INVALID error naming
 * it.  req->job.code points into o, which must outlive the request;
 * "data" is serialised into req (it becomes /workspace/data.json). */
struct sbx_job_request {
	struct sbx_job job;
	char *data_doc;
};
int sbx_job_request_from_json(struct sbx_job_request *req, const struct json_t *o,
			      const struct sbx_job *defaults, sbx_error **err);
void sbx_job_request_clear(struct sbx_job_request *req);

/* The validator's decision on a job, as the pipeline shows it: *refusal a
 * VALIDATION_ERROR result (as sbx_pool_run_checked gives) when the code is
 * refused, else NULL; *warnings (may be NULL) the violations array when the
 * validator only warned, else NULL.  -1 only when out of memory. */
int sbx_job_check(const sbx_check_policy *policy, const struct sbx_job *job,
		  struct json_t **refusal, struct json_t **warnings, sbx_error **err);

/* Check the job's code against the policy, then run it unless it is
 * refused (thread-safe, blocking).  Returns the result as a new JSON
 * object: VALIDATION_ERROR with its violations when refused (code that does
 * not tokenize is refused with the rule "syntax" and its line and column),
 * else the run's result with the validator's "warnings" when it had any.
 * *ok: the job ran and its status is OK (decide exit codes from this, never
 * from the text).  NULL with *err only when nothing could be decided: the
 * pool is stopping (SBX_ERR_STOPPED), out of memory. */
struct json_t *sbx_pool_run_checked(sbx_pool *pool, const sbx_check_policy *policy,
				    const struct sbx_job *job, bool *ok, sbx_error **err);
/* The second half of that, for a caller that checked the job itself with
 * sbx_job_check (to start no pool for refused code): run it and return its
 * result with warnings (taken over, may be NULL) added. */
struct json_t *sbx_pool_run_json(sbx_pool *pool, const struct sbx_job *job,
				 struct json_t *warnings, bool *ok, sbx_error **err);

#ifdef __cplusplus
}
#endif
#endif
