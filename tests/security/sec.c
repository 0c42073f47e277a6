#include "sec.h"

#include <fcntl.h>
#include <unistd.h>

bool sec_unprivileged(void)
{
	return geteuid() != 0;
}

void need_cgroup_limits(void)
{
	if (!test_have_cgroups())
		test_skip("no cgroup delegated to this user: limits are reported unenforced "
			  "(the no_cgroup_* tests cover that)");
}

/* argv for stratbox: run [--json] [--cgroup-parent P] [--ro-bind probe] opts -- args */
static const char **build_argv(const char *const *opts, const char *const *args,
			       const struct run_opts *ro)
{
	static char bind[4200];
	size_t n = 0;
	const char **v = calloc(64 + 1, sizeof(char *));
	CHECK(v != NULL);
	v[n++] = test_stratbox();
	v[n++] = "run";
	if (!ro || !ro->no_json)
		v[n++] = "--json";
	if (test_cgroup_parent()) {
		v[n++] = "--cgroup-parent";
		v[n++] = test_cgroup_parent();
	}
	if (!ro || !ro->no_probe) {
		snprintf(bind, sizeof(bind), "%s:/probe", test_probe());
		v[n++] = "--ro-bind";
		v[n++] = bind;
	}
	for (; opts && *opts && n < 40; opts++)
		v[n++] = *opts;
	v[n++] = "--";
	for (; args && *args && n < 63; args++)
		v[n++] = *args;
	v[n] = NULL;
	return v;
}

/* In the child: a descriptor the supervisor inherits without CLOEXEC. */
static void keep_fd_open(const void *arg)
{
	int keep = *(const int *) arg;
	int fd = open("/etc/hostname", O_RDONLY);
	if (fd >= 0 && fd != keep) {
		dup2(fd, keep); /* dup2 clears close-on-exec */
		close(fd);
	}
}

void sbx_run_ex(struct sbx_result *r, const char *const *opts, const char *const *args,
		const struct run_opts *ro)
{
	memset(r, 0, sizeof(*r));
	const char **argv = build_argv(opts, args, ro);
	struct test_cmd cmd = { .argv = argv, .env = ro ? ro->env : NULL };
	if (ro && ro->keep_fd >= 0) {
		cmd.child_setup = keep_fd_open;
		cmd.child_arg = &ro->keep_fd;
	}
	struct test_output o;
	test_run(&cmd, &o);
	free(argv);
	r->raw = o.out;
	r->err = o.err;
	r->exit_code = o.exit_code;
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
	const char **argv = build_argv(opts, args, NULL);
	/* stderr: the test's own log, shown when the test fails, with the
	 * phase timings in case the start is slow */
	pid_t pid = test_start(&(struct test_cmd){ .argv = argv,
						   .env = (const char *const[]){ "STRATBOX_TRACE=1",
										 NULL },
						   .err = TEST_STDERR_INHERIT },
			       stdout_fd);
	free(argv);
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
	return test_json_get(r->v, path);
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

