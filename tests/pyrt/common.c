#include "pyrt.h"

#include "common/util.h"
#include "leftovers.h"
#include "sandbox/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char own_parent[512];

const char *t_bars_dir(void)
{
	static char dir[1024];
	const char *t = getenv("STRATBOX_TEST_DATA");
	if (t == NULL)
		return "data";
	snprintf(dir, sizeof(dir), "%s/bars", t);
	return dir;
}

const char *t_cgroup_parent(void)
{
	if (own_parent[0])
		return own_parent;
	return test_cgroup_parent();
}

/* The directories of `rel` (relative to our own cgroup) in every
 * hierarchy the backend uses; returns how many. */
static int cgroup_dirs(const char *rel, char dirs[][1024], int max)
{
	const struct cgroup_backend *b = cgroup_backend_get(NULL);
	int n = 0;
	for (int i = 0; b != NULL && i < b->nh && n < max; i++) {
		char *p = cgroup_parent_dir(&b->h[i], rel);
		if (p != NULL)
			snprintf(dirs[n++], 1024, "%s", p);
		free(p);
	}
	return n;
}

void t_use_own_cgroup_parent(void)
{
	char rel[512], dirs[8][1024];
	const char *base = t_cgroup_parent();
	snprintf(rel, sizeof(rel), "%.200s%ssbx-test-%d", base ? base : "", base ? "/" : "",
		 (int) getpid());
	int n = cgroup_dirs(rel, dirs, 8);
	for (int i = 0; i < n; i++) {
		CHECK(mkdir(dirs[i], 0755) == 0 || errno == EEXIST, "mkdir %s: %s", dirs[i],
		      strerror(errno));
		char ctl[1100];
		snprintf(ctl, sizeof(ctl), "%.1000s/cgroup.subtree_control", dirs[i]);
		int fd = open(ctl, O_WRONLY);
		if (fd >= 0) { /* v2: let job cgroups below use the controllers */
			static const char *const c[] = { "+memory", "+pids", "+cpu" };
			for (size_t k = 0; k < 3; k++)
				if (write(fd, c[k], strlen(c[k])) < 0) {
					/* not delegated to us: that limit stays unenforced */
				}
			close(fd);
		}
	}
	snprintf(own_parent, sizeof(own_parent), "%s", rel);
}

void t_drop_own_cgroup_parent(void)
{
	char dirs[8][1024];
	int n = cgroup_dirs(own_parent, dirs, 8);
	for (int i = 0; i < n; i++)
		rmdir(dirs[i]);
	own_parent[0] = '\0';
}

const char *t_caller_memory_cgroup(void)
{
	static char dir[1024];
	const struct cgroup_backend *b = cgroup_backend_get(NULL);
	for (int i = 0; b != NULL && i < b->nh; i++) {
		if (!(b->h[i].controllers & CG_MEMORY))
			continue;
		char *p = cgroup_parent_dir(&b->h[i], t_cgroup_parent());
		if (p == NULL)
			return NULL;
		snprintf(dir, sizeof(dir), "%s", p);
		free(p);
		return dir;
	}
	return NULL;
}

struct sbx_pool *test_pool(bool permissive, unsigned warm)
{
	return test_pool_ex(permissive, warm, false);
}

struct sbx_pool *test_pool_ex(bool permissive, unsigned warm, bool prefault)
{
	sbx_error *err = NULL;
	sbx_check_policy *pol = NULL;
	if (permissive) {
		char path[1024];
		snprintf(path, sizeof(path), "%s/pyrt/permissive-policy.json", test_data_dir());
		pol = sbx_check_policy_load(path, &err);
		CHECK(pol != NULL, "%s", err ? err->msg : "");
	}
	struct sbx_pool_options o = { .warm = warm,
				      .cgroup_parent = t_cgroup_parent(),
				      .zygote_path = test_zygote(),
				      .package_dir = test_package(),
				      .policy = pol,
				      .log_fd = 2,
				      .prefault = prefault,
				      .no_audit_hook = permissive };
	struct sbx_pool *p = NULL;
	CHECK(sbx_pool_start(&o, &p, &err) == 0, "pool: %s", err ? err->msg : "");
	sbx_check_policy_free(pol);
	return p;
}

struct sbx_pool *test_pool_policy(const char *policy_file, unsigned warm)
{
	sbx_error *err = NULL;
	sbx_check_policy *pol = sbx_check_policy_load(policy_file, &err);
	CHECK(pol != NULL, "%s", err ? err->msg : "");
	struct sbx_pool_options o = { .warm = warm,
				      .cgroup_parent = t_cgroup_parent(),
				      .zygote_path = test_zygote(),
				      .package_dir = test_package(),
				      .policy = pol,
				      .log_fd = 2 };
	struct sbx_pool *p = NULL;
	CHECK(sbx_pool_start(&o, &p, &err) == 0, "pool: %s", err ? err->msg : "");
	sbx_check_policy_free(pol);
	return p;
}

void t_wait_ready(struct sbx_pool *pool, unsigned n)
{
	struct sbx_pool_stats st;
	for (int i = 0; i < 1000; i++) {
		sbx_pool_stats(pool, &st);
		if (st.ready >= n)
			return;
		struct timespec ts = { 0, 20000000 };
		nanosleep(&ts, NULL);
	}
	test_fail_at(__FILE__, __LINE__, "%u slots ready after 20 s, want %u", st.ready, n);
}

void t_wait_spare(struct sbx_pool *pool, unsigned n)
{
	struct sbx_pool_stats st;
	for (int i = 0; i < 500; i++) {
		sbx_pool_stats(pool, &st);
		if (st.cgroups_spare >= n)
			return;
		struct timespec ts = { 0, 10000000 };
		nanosleep(&ts, NULL);
	}
	test_fail_at(__FILE__, __LINE__, "%u recycled cgroups after 5 s, want %u", st.cgroups_spare, n);
}

void run_job_ex(struct sbx_pool *pool, const struct sbx_job *job, struct sbx_job_result *r)
{
	sbx_error *err = NULL;
	CHECK(sbx_pool_run(pool, job, r, &err) == 0, "%s", err ? err->msg : "");
}

void run_code(struct sbx_pool *pool, const char *code, struct sbx_job_result *r)
{
	struct sbx_job job = { .code = code, .code_len = strlen(code) };
	run_job_ex(pool, &job, r);
}

const char *rstatus(const struct sbx_job_result *r)
{
	return sbx_status_name(r->verdict.status);
}

const char *rout(const struct sbx_job_result *r)
{
	return r->verdict.out.data ? r->verdict.out.data : "";
}

const char *rerr(const struct sbx_job_result *r)
{
	return r->verdict.err.data ? r->verdict.err.data : "";
}

char *run_cli(const char *const *args, int *exit_code)
{
	return test_run_bin(test_stratbox(), args, TEST_STDERR_INHERIT, exit_code);
}

void pyrt_snapshot(void)
{
	leftovers_snapshot();
}

const char *pyrt_leftovers(void)
{
	return leftovers_check();
}

void t_check_result_lines(char *out, const char *const want[][2], size_t n)
{
	char *save = NULL;
	char *line = strtok_r(out, "\n", &save);
	for (size_t i = 0; i < n; i++) {
		CHECK(line != NULL, "only %zu result lines", i);
		CHECK_CONTAINS(line, want[i][0]);
		CHECK_CONTAINS(line, want[i][1]);
		line = strtok_r(NULL, "\n", &save);
	}
	CHECK(line == NULL, "extra output: %s", line);
}

char *t_temp_dir(const char *what)
{
	char *d = str_printf("/tmp/stratbox-%s-XXXXXX", what);
	CHECK(d != NULL && mkdtemp(d) != NULL, "mkdtemp");
	chmod(d, 0755);
	return d;
}
