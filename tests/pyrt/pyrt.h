/* Helpers for the Python runtime suite. */
#ifndef STRATBOX_TEST_PYRT_H
#define STRATBOX_TEST_PYRT_H

#include "harness.h"
#include "helpers.h"
#include "stratbox/pyrt.h"

#include <jansson.h>

/* A pool for one test: the default policy with the audit hook on (the
 * Python layer as strategies meet it; no static validation, which only
 * the CLI runs), or, when `permissive`, the permissive test policy
 * (imports of os, socket, ctypes, ... allowed) with the audit hook off,
 * so that the kernel layer alone is what a test exercises. */
struct sbx_pool *test_pool(bool permissive, unsigned warm);
/* ...and with each slot's prefault warm-up (sbx_pool_options.prefault) */
struct sbx_pool *test_pool_ex(bool permissive, unsigned warm, bool prefault);

/* A pool with the audit hook on and the import allow-list of a policy file. */
struct sbx_pool *test_pool_policy(const char *policy_file, unsigned warm);

/* Wait (up to 20 s) until n slots are ready; fails the test otherwise. */
void t_wait_ready(struct sbx_pool *pool, unsigned n);
/* Wait until the pool holds n recycled cgroups (fails after 5 s). */
void t_wait_spare(struct sbx_pool *pool, unsigned n);

/* Run code on the pool; the result must be freed with sbx_job_result_clear. */
void run_code(struct sbx_pool *pool, const char *code, struct sbx_job_result *r);
void run_job_ex(struct sbx_pool *pool, const struct sbx_job *job, struct sbx_job_result *r);

const char *rstatus(const struct sbx_job_result *r);
const char *rout(const struct sbx_job_result *r);
const char *rerr(const struct sbx_job_result *r);

#define EXPECT_JOB(r, st)                                                                          \
	do {                                                                                       \
		if (strcmp(rstatus(r), (st)) != 0)                                                 \
			test_fail_at(__FILE__, __LINE__,                                           \
				     "status %s, want %s\n    message: %s\n    error: %s\n    stdout: %.400s\n    stderr: %.600s", \
				     rstatus(r), (st), (r)->verdict.message ? (r)->verdict.message : "", \
				     (r)->error ? (r)->error : "", rout(r), rerr(r));              \
	} while (0)

/* Where the pool's cgroups go: this test's own parent while it has one,
 * else test_cgroup_parent(). */
const char *t_cgroup_parent(void);
/* Where GOOG.csv and the other bundled bars are: data/, or bars/ in the
 * data tests/run.sh stages for an unprivileged run. */
const char *t_bars_dir(void);
/* Make the pool's cgroups under a parent of this test's own (beneath
 * ours, or the delegated parent), and remove it. */
void t_use_own_cgroup_parent(void);
void t_drop_own_cgroup_parent(void);
/* The memory cgroup directory the pool's cgroups are made in, or NULL. */
const char *t_caller_memory_cgroup(void);

/* A new directory /tmp/stratbox-WHAT-XXXXXX everyone can read (the
 * sandbox's user, an unprivileged run), to be freed (removed with
 * test_rm_rf(), tests/helpers.h). */
char *t_temp_dir(const char *what);

/* stratbox ARGS: its stdout (its stderr goes to the test's log), exit code */
char *run_cli(const char *const *args, int *exit_code);
/* A batch's output, one result line per job in order: line i holds both
 * want[i][0] and want[i][1], and nothing follows the n-th (out is cut up). */
void t_check_result_lines(char *out, const char *const want[][2], size_t n);

void pyrt_snapshot(void);
const char *pyrt_leftovers(void);

#endif
