/* What every suite shares besides the harness: where the binaries under
 * test and the checkout's files are, running a binary and collecting what
 * it printed, and files the sandbox's user can read.  Paths come from the
 * environment tests/run.sh sets, else from the build tree. */
#ifndef STRATBOX_TEST_HELPERS_H
#define STRATBOX_TEST_HELPERS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* The binaries under test, as absolute paths (resolved on first use: a
 * test may change directory before it runs one). */
const char *test_stratbox(void); /* STRATBOX_BIN, else build/stratbox */
const char *test_probe(void);	 /* STRATBOX_PROBE, else build/tests/probe */
const char *test_zygote(void);	 /* STRATBOX_ZYGOTE, else stratbox-zygote beside stratbox */
const char *test_package(void);	 /* STRATBOX_PYTHON_PKG, else python/ beside stratbox */
/* The suites' data, laid out as tests/ is (validate/escapes, pyrt/hook, ...):
 * STRATBOX_TEST_DATA (tests/run.sh stages a copy), else tests. */
const char *test_data_dir(void);

/* The cgroup parent tests/run.sh delegates to an unprivileged run
 * (STRATBOX_TEST_CGROUP_PARENT), or NULL. */
const char *test_cgroup_parent(void);
/* Whether cgroup limits can be enforced here: root, or a delegated parent. */
bool test_have_cgroups(void);

/* A file of the checkout (e.g. "docs/sandbox.md"): from the working
 * directory (tests/run.sh and make run the suites there), else from above
 * the binary's build directory.  NULL when not found; the path tried last
 * (or found) in `found`. */
FILE *test_open_checkout_file(const char *rel, char *found, size_t size);

/* Where a started binary's stderr goes. */
enum test_stderr {
	TEST_STDERR_CAPTURE, /* to a file, read into test_output.err (never blocks it) */
	TEST_STDERR_MERGE,   /* into stdout's pipe */
	TEST_STDERR_INHERIT, /* the test's own log, shown when the test fails */
};

struct test_cmd {
	const char *const *argv; /* NULL-terminated; argv[0] is the path run */
	const char *const *env;	 /* NAME=VALUE added to the child's environment, or NULL */
	enum test_stderr err;
	/* Run in the child just before exec (e.g. to leave a descriptor open). */
	void (*child_setup)(const void *arg);
	const void *child_arg;
};

struct test_output {
	char *out;     /* stdout (with stderr when merged), NUL-terminated */
	char *err;     /* stderr when captured, else "" */
	int exit_code; /* the exit status, or 128 + the signal that ended it */
};

/* Run a binary to its end and collect what it printed. */
void test_run(const struct test_cmd *cmd, struct test_output *o);
void test_output_free(struct test_output *o);
/* Shorthand: bin with args (NULL-terminated, without argv[0]); returns
 * stdout (with stderr when merged), to be freed; the exit code in *exit_code. */
char *test_run_bin(const char *bin, const char *const *args, enum test_stderr err,
		   int *exit_code);
/* Start a binary with its stdout on a pipe (*stdout_fd) and return its pid,
 * for a test that kills it or reads it slowly; cmd->err CAPTURE inherits. */
pid_t test_start(const struct test_cmd *cmd, int *stdout_fd);
/* What a descriptor gives until EOF, NUL-terminated (to be freed). */
char *test_read_all(int fd);

/* The value at a dotted path of objects ("evidence.oom_kills"), or NULL
 * when o is NULL or a key on the way is missing (or not an object). */
json_t *test_json_get(const json_t *o, const char *path);

/* Remove a file or a tree, made writable first (an environment store is
 * sealed read-only); a failure is noted in the test's log, not fatal. */
void test_rm_rf(const char *path);
/* Sleep for ms milliseconds (polling loops' step, never a timing claim). */
void test_sleep_ms(long ms);

/* mkstemp(tmpl) holding content, readable by everyone (the sandbox's user). */
void test_temp_file(char *tmpl, const char *content);

#endif
