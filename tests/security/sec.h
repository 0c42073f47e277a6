/* Helpers for the security suite: run `stratbox run --json` with the probe
 * bound at /probe, read the verdict, and check that nothing outlived it. */
#ifndef STRATBOX_TEST_SEC_H
#define STRATBOX_TEST_SEC_H

#include "harness.h"
#include "helpers.h"
#include "leftovers.h"

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

struct sbx_result {
	int exit_code;	 /* stratbox's own exit code */
	json_t *v;	 /* the verdict, or NULL if stdout was not one JSON object */
	char *raw;	 /* stdout as printed */
	char *err;	 /* stderr as printed */
};

struct run_opts {
	const char *const *env;	 /* extra NAME=VALUE for stratbox's own environment */
	int keep_fd;		 /* open this fd (to /etc/hostname) without CLOEXEC, or -1 */
	bool no_probe;		 /* do not bind the probe */
	bool no_json;		 /* run without --json */
};

#define OPTS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NO_OPTS ((const char *const[]){ NULL })
#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* Paths (test_stratbox(), test_probe(), test_cgroup_parent()) are in
 * helpers.h.  Whether this run is unprivileged (tests/run.sh runs the suite
 * as root and as uid 65534). */
bool sec_unprivileged(void);
/* Skip a test that needs enforced cgroup limits when there are none. */
void need_cgroup_limits(void);

/* stratbox run --json [cgroup parent] [--ro-bind probe:/probe] OPTS -- ARGS */
void sbx_run_probe(struct sbx_result *r, const char *const *opts, const char *const *args);
void sbx_run_ex(struct sbx_result *r, const char *const *opts, const char *const *args,
		const struct run_opts *ro);
/* Start stratbox in the background (for killing it); returns its pid. */
pid_t sbx_start_background(const char *const *opts, const char *const *args, int *stdout_fd);

const char *vstr(const struct sbx_result *r, const char *key);
long long vint(const struct sbx_result *r, const char *key);
double vreal(const struct sbx_result *r, const char *key);
bool vbool(const struct sbx_result *r, const char *key);
json_t *vget(const struct sbx_result *r, const char *path); /* "evidence.oom_kills" */

/* Fail unless the verdict parsed and its status is `status`. */
#define EXPECT_STATUS(r, status)                                                                   \
	do {                                                                                       \
		if ((r)->v == NULL)                                                                \
			test_fail_at(__FILE__, __LINE__, "no JSON verdict; stdout: %.500s stderr: %.500s", \
				     (r)->raw ? (r)->raw : "", (r)->err ? (r)->err : "");            \
		const char *s_ = vstr((r), "status");                                              \
		if (s_ == NULL || strcmp(s_, (status)) != 0)                                      \
			test_fail_at(__FILE__, __LINE__, "status %s, want %s\n    verdict: %.900s",   \
				     s_ ? s_ : "(none)", (status), (r)->raw);                      \
	} while (0)

/* The probe reported its attack blocked with this errno name in the line. */
#define EXPECT_BLOCKED(r, errtext)                                                                 \
	do {                                                                                       \
		EXPECT_STATUS((r), "OK");                                                          \
		CHECK_CONTAINS(vstr((r), "stdout"), "blocked:");                                   \
		CHECK_CONTAINS(vstr((r), "stdout"), (errtext));                                    \
	} while (0)

void sbx_result_free(struct sbx_result *r);

#endif
