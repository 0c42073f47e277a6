#include "helpers.h"

#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* getenv(env), else fallback, made absolute once into buf. */
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

const char *test_stratbox(void)
{
	static char buf[PATH_MAX];
	return absolute(buf, "STRATBOX_BIN", "build/stratbox");
}

const char *test_probe(void)
{
	static char buf[PATH_MAX];
	return absolute(buf, "STRATBOX_PROBE", "build/tests/probe");
}

/* The runtime's files are found next to the stratbox binary. */
static const char *beside_stratbox(char *buf, const char *env, const char *name)
{
	if (buf[0] == '\0') {
		char dir[PATH_MAX];
		snprintf(dir, sizeof(dir), "%s", test_stratbox());
		char fallback[PATH_MAX + 64];
		snprintf(fallback, sizeof(fallback), "%s/%s", dirname(dir), name);
		absolute(buf, env, fallback);
	}
	return buf;
}

const char *test_zygote(void)
{
	static char buf[PATH_MAX];
	return beside_stratbox(buf, "STRATBOX_ZYGOTE", "stratbox-zygote");
}

const char *test_package(void)
{
	static char buf[PATH_MAX];
	return beside_stratbox(buf, "STRATBOX_PYTHON_PKG", "python");
}

const char *test_data_dir(void)
{
	const char *p = getenv("STRATBOX_TEST_DATA");
	return p && *p ? p : "tests";
}

const char *test_cgroup_parent(void)
{
	const char *p = getenv("STRATBOX_TEST_CGROUP_PARENT");
	return p && *p ? p : NULL;
}

bool test_have_cgroups(void)
{
	return geteuid() == 0 || test_cgroup_parent() != NULL;
}

FILE *test_open_checkout_file(const char *rel, char *found, size_t size)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n < 0 ? 0 : n] = '\0';
	const char *dir = dirname(exe);
	/* build/tests/X, build/asan/tests/X */
	const char *const tries[] = { ".", "../..", "../../.." };
	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		snprintf(found, size, "%s%s%s/%s", i ? dir : "", i ? "/" : "", tries[i], rel);
		FILE *f = fopen(found, "r");
		if (f != NULL)
			return f;
	}
	return NULL;
}

char *test_read_all(int fd)
{
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	CHECK(buf != NULL);
	for (;;) {
		if (len + 1 >= cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			CHECK(buf != NULL);
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

/* The child's side: its descriptors, environment, then the binary. */
static void __attribute__((noreturn)) exec_child(const struct test_cmd *cmd, int out_fd, int err_fd)
{
	if (out_fd >= 0)
		dup2(out_fd, 1);
	if (err_fd >= 0)
		dup2(err_fd, 2);
	for (const char *const *e = cmd->env; e && *e; e++)
		putenv((char *) *e);
	if (cmd->child_setup)
		cmd->child_setup(cmd->child_arg);
	execv(cmd->argv[0], (char *const *) cmd->argv);
	_exit(127);
}

void test_run(const struct test_cmd *cmd, struct test_output *o)
{
	memset(o, 0, sizeof(*o));
	int po[2];
	CHECK(pipe2(po, O_CLOEXEC) == 0);
	FILE *errf = NULL;
	if (cmd->err == TEST_STDERR_CAPTURE) {
		errf = tmpfile();
		CHECK(errf != NULL);
		fcntl(fileno(errf), F_SETFD, FD_CLOEXEC); /* dup2 gives the child its own */
	}
	fflush(NULL);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		exec_child(cmd, po[1],
			   errf                               ? fileno(errf)
			   : cmd->err == TEST_STDERR_MERGE ? po[1]
							     : -1);
	close(po[1]);
	o->out = test_read_all(po[0]);
	close(po[0]);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	o->exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (errf != NULL) {
		rewind(errf);
		o->err = test_read_all(fileno(errf));
		fclose(errf);
	} else {
		o->err = strdup("");
	}
}

void test_output_free(struct test_output *o)
{
	free(o->out);
	free(o->err);
	memset(o, 0, sizeof(*o));
}

char *test_run_bin(const char *bin, const char *const *args, enum test_stderr err, int *exit_code)
{
	const char *argv[64];
	size_t n = 0;
	argv[n++] = bin;
	for (; args && *args && n < 63; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	struct test_output o;
	test_run(&(struct test_cmd){ .argv = argv, .err = err }, &o);
	free(o.err);
	*exit_code = o.exit_code;
	return o.out;
}

pid_t test_start(const struct test_cmd *cmd, int *stdout_fd)
{
	int po[2];
	CHECK(pipe2(po, O_CLOEXEC) == 0);
	fflush(NULL);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		exec_child(cmd, po[1], cmd->err == TEST_STDERR_MERGE ? po[1] : -1);
	close(po[1]);
	*stdout_fd = po[0];
	return pid;
}

void test_temp_file(char *tmpl, const char *content)
{
	int fd = mkstemp(tmpl);
	CHECK(fd >= 0, "mkstemp %s: %s", tmpl, strerror(errno));
	size_t len = strlen(content);
	CHECK(write(fd, content, len) == (ssize_t) len);
	close(fd);
	CHECK(chmod(tmpl, 0644) == 0); /* readable by the sandbox's user */
}

json_t *test_json_get(const json_t *o, const char *path)
{
	char buf[256];
	CHECK(strlen(path) < sizeof(buf), "JSON path too long: %s", path);
	snprintf(buf, sizeof(buf), "%s", path);
	json_t *cur = (json_t *) o;
	char *save = NULL;
	for (char *k = strtok_r(buf, ".", &save); k && cur; k = strtok_r(NULL, ".", &save))
		cur = json_object_get(cur, k);
	return cur;
}

void test_rm_rf(const char *path)
{
	char *cmd = NULL;
	CHECK(asprintf(&cmd, "chmod -R u+w '%s' 2>/dev/null; rm -rf '%s'", path, path) > 0);
	if (system(cmd) != 0)
		test_note("could not remove %s", path);
	free(cmd);
}

void test_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}
