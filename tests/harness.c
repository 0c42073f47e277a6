#include "harness.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXIT_SKIP 77

void test_note_check(const char *file, int line, const char *cond)
{
	fprintf(stderr, "    %s:%d: check failed: %s\n", file, line, cond);
}

void test_fail_at(const char *file, int line, const char *fmt, ...)
{
	if (*fmt == '\0') {
		fflush(stderr);
		_exit(1);
	}
	va_list ap;
	fflush(stdout);
	fprintf(stderr, "    %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	_exit(1);
}

void test_skip(const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	fprintf(stderr, "    skip: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	_exit(EXIT_SKIP);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

static double test_t0;

void test_note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "    note +%.3f s: ", (now_ms() - test_t0) / 1e3);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

/* Run one test in its own process group, with a deadline.  Its stderr
 * goes to log_fd, replayed under the test's result line. */
static int run_one(const struct test_case *t, int timeout_s, int log_fd)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		setpgid(0, 0);
		dup2(log_fd, 2);
		test_t0 = now_ms();
		t->fn();
		fflush(NULL);
		_exit(0);
	}
	setpgid(pid, pid);
	double deadline = now_ms() + timeout_s * 1000.0;
	int st = 0;
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return -1;
		if (now_ms() > deadline) {
			dprintf(log_fd, "    timed out after %d s\n", timeout_s);
			if (getenv("STRATBOX_TEST_GDB") != NULL) { /* where it hangs */
				char cmd[200];
				snprintf(cmd, sizeof(cmd),
					 "gdb -p %d -batch -ex 'thread apply all bt' 2>/dev/null | "
					 "grep -E '^(Thread|#)' >&%d", (int) pid, log_fd);
				if (system(cmd) != 0)
					dprintf(log_fd, "    (no stacks: gdb failed)\n");
			}
			kill(-pid, SIGKILL);
			waitpid(pid, &st, 0);
			return 1;
		}
		struct timespec ts = { 0, 2000000 };
		nanosleep(&ts, NULL);
	}
	/* whatever the test started in its group goes too */
	kill(-pid, SIGKILL);
	if (WIFEXITED(st))
		return WEXITSTATUS(st) == EXIT_SKIP ? EXIT_SKIP : WEXITSTATUS(st) != 0;
	dprintf(log_fd, "    died of signal %d\n", WTERMSIG(st));
	return 1;
}

int test_main(const char *suite, const struct test_case *tests, size_t n, int argc, char **argv,
	      void (*before)(void), const char *(*after)(void))
{
	const char *filter = NULL;
	int timeout_s = 60;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--list") == 0) {
			for (size_t k = 0; k < n; k++)
				printf("%s\n", tests[k].name);
			return 0;
		} else if (strcmp(argv[i], "--filter") == 0 && i + 1 < argc) {
			filter = argv[++i];
		} else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			timeout_s = atoi(argv[++i]);
		}
	}
	signal(SIGPIPE, SIG_IGN);
	int passed = 0, failed = 0, skipped = 0;
	for (size_t k = 0; k < n; k++) {
		const struct test_case *t = &tests[k];
		if (filter && strstr(t->name, filter) == NULL)
			continue;
		if (before)
			before();
		double t0 = now_ms();
		FILE *log = tmpfile();
		int r = run_one(t, t->timeout_s ? t->timeout_s : timeout_s, log ? fileno(log) : 2);
		double dt = now_ms() - t0;
		const char *left = (after && r != EXIT_SKIP) ? after() : NULL;
		if (left != NULL && log != NULL)
			fprintf(log, "    left behind: %s\n", left);
		if (left != NULL)
			r = r == 0 ? 1 : r;
		if (r == 0) {
			printf("ok    %-44s %8.1f ms\n", t->name, dt);
			passed++;
		} else if (r == EXIT_SKIP) {
			printf("skip  %s\n", t->name);
			skipped++;
		} else {
			printf("FAIL  %s\n", t->name);
			failed++;
		}
		fflush(stdout);
		if (log != NULL && r != 0) {
			/* the details of a failure or skip, after its line */
			char buf[4096];
			size_t k2;
			rewind(log);
			while ((k2 = fread(buf, 1, sizeof(buf), log)) > 0)
				fwrite(buf, 1, k2, stdout);
			fflush(stdout);
		}
		if (log != NULL)
			fclose(log);
	}
	printf("%s: %d passed, %d failed, %d skipped\n", suite, passed, failed, skipped);
	return failed ? 1 : 0;
}
