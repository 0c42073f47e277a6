#include "sec.h"

#include "sandbox/internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

/* Absolute, resolved on first use: a test may change directory (the
 * relative --bind case) before it runs stratbox. */
static const char *absolute(char *buf, const char *env, const char *fallback)
{
	if (buf[0] == '\0') {
		const char *p = getenv(env);
		if (p == NULL)
			p = fallback;
		if (realpath(p, buf) == NULL)
			snprintf(buf, PATH_MAX, "%s", p);
	}
	return buf;
}

const char *sec_stratbox(void)
{
	static char buf[PATH_MAX];
	return absolute(buf, "STRATBOX_BIN", "build/stratbox");
}

const char *sec_probe(void)
{
	static char buf[PATH_MAX];
	return absolute(buf, "STRATBOX_PROBE", "build/tests/probe");
}

const char *sec_cgroup_parent(void)
{
	const char *p = getenv("STRATBOX_TEST_CGROUP_PARENT");
	return p && *p ? p : NULL;
}

bool sec_unprivileged(void)
{
	return geteuid() != 0;
}

bool sec_have_cgroups(void)
{
	return !sec_unprivileged() || sec_cgroup_parent() != NULL;
}

void need_cgroup_limits(void)
{
	if (!sec_have_cgroups())
		test_skip("no cgroup delegated to this user: limits are reported unenforced "
			  "(the no_cgroup_* tests cover that)");
}

static char *read_all(int fd)
{
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (len + 1 >= cap) {
			cap *= 2;
			buf = realloc(buf, cap);
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t) n;
	}
	buf[len] = '\0';
	return buf;
}

/* argv for stratbox: run [--json] [--cgroup-parent P] [--ro-bind probe] opts -- args */
static char **build_argv(const char *const *opts, const char *const *args, const struct run_opts *ro)
{
	static char bind[4200];
	size_t n = 0;
	char **v = calloc(64 + 1, sizeof(char *));
	v[n++] = (char *) sec_stratbox();
	v[n++] = (char *) "run";
	if (!ro || !ro->no_json)
		v[n++] = (char *) "--json";
	if (sec_cgroup_parent()) {
		v[n++] = (char *) "--cgroup-parent";
		v[n++] = (char *) sec_cgroup_parent();
	}
	if (!ro || !ro->no_probe) {
		snprintf(bind, sizeof(bind), "%s:/probe", sec_probe());
		v[n++] = (char *) "--ro-bind";
		v[n++] = bind;
	}
	for (; opts && *opts && n < 40; opts++)
		v[n++] = (char *) *opts;
	v[n++] = (char *) "--";
	for (; args && *args && n < 63; args++)
		v[n++] = (char *) *args;
	v[n] = NULL;
	return v;
}

static void exec_stratbox(char **argv, const struct run_opts *ro, int out_fd, int err_fd)
{
	if (out_fd >= 0)
		dup2(out_fd, 1);
	if (err_fd >= 0)
		dup2(err_fd, 2);
	if (ro && ro->env)
		for (const char *const *e = ro->env; *e; e++)
			putenv((char *) *e);
	if (ro && ro->keep_fd >= 0) {
		int fd = open("/etc/hostname", O_RDONLY);
		if (fd >= 0 && fd != ro->keep_fd) {
			dup2(fd, ro->keep_fd); /* dup2 clears close-on-exec */
			close(fd);
		}
	}
	execv(argv[0], argv);
	_exit(126);
}

void sbx_run_ex(struct sbx_result *r, const char *const *opts, const char *const *args,
		const struct run_opts *ro)
{
	memset(r, 0, sizeof(*r));
	char **argv = build_argv(opts, args, ro);
	int po[2], pe[2];
	CHECK(pipe(po) == 0 && pipe(pe) == 0);
	/* stderr goes to a file so a full pipe never blocks stratbox */
	FILE *errf = tmpfile();
	CHECK(errf != NULL);
	(void) pe;
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(po[0]);
		exec_stratbox(argv, ro, po[1], fileno(errf));
	}
	close(po[1]);
	r->raw = read_all(po[0]);
	close(po[0]);
	close(pe[0]);
	close(pe[1]);
	int st;
	waitpid(pid, &st, 0);
	r->exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	rewind(errf);
	r->err = read_all(fileno(errf));
	fclose(errf);
	free(argv);
	if (ro == NULL || !ro->no_json) {
		json_error_t je;
		r->v = json_loads(r->raw, JSON_ALLOW_NUL, &je);
		if (r->v != NULL && !json_is_object(r->v)) {
			json_decref(r->v);
			r->v = NULL;
		}
	}
}

void sbx_run_probe(struct sbx_result *r, const char *const *opts, const char *const *args)
{
	struct run_opts ro = { .keep_fd = -1 };
	sbx_run_ex(r, opts, args, &ro);
}

pid_t sbx_start_background(const char *const *opts, const char *const *args, int *stdout_fd)
{
	char **argv = build_argv(opts, args, NULL);
	int po[2];
	CHECK(pipe(po) == 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(po[0]);
		/* stderr: the test's own log, shown when the test fails, with
		 * the phase timings in case the start is slow */
		putenv((char *) "STRATBOX_TRACE=1");
		exec_stratbox(argv, NULL, po[1], -1);
	}
	close(po[1]);
	free(argv);
	*stdout_fd = po[0];
	return pid;
}

void sbx_result_free(struct sbx_result *r)
{
	json_decref(r->v);
	free(r->raw);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

json_t *vget(const struct sbx_result *r, const char *path)
{
	if (r->v == NULL)
		return NULL;
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", path);
	json_t *cur = r->v;
	char *save = NULL;
	for (char *t = strtok_r(buf, ".", &save); t && cur; t = strtok_r(NULL, ".", &save))
		cur = json_object_get(cur, t);
	return cur;
}

const char *vstr(const struct sbx_result *r, const char *key)
{
	json_t *j = vget(r, key);
	return json_is_string(j) ? json_string_value(j) : NULL;
}

long long vint(const struct sbx_result *r, const char *key)
{
	json_t *j = vget(r, key);
	if (!json_is_integer(j))
		test_fail_at(__FILE__, __LINE__, "verdict field %s is not an integer: %.600s", key,
			     r->raw ? r->raw : "");
	return json_integer_value(j);
}

double vreal(const struct sbx_result *r, const char *key)
{
	json_t *j = vget(r, key);
	if (!json_is_number(j))
		test_fail_at(__FILE__, __LINE__, "verdict field %s is not a number: %.600s", key,
			     r->raw ? r->raw : "");
	return json_number_value(j);
}

bool vbool(const struct sbx_result *r, const char *key)
{
	json_t *j = vget(r, key);
	if (!json_is_boolean(j))
		test_fail_at(__FILE__, __LINE__, "verdict field %s is not a boolean", key);
	return json_is_true(j);
}

