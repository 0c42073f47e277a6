/* The supervisor never waits for whoever reads the command's output.
 * Without --json the output is passed through to stratbox's own stdout;
 * a reader that stops reading (a pipe to a hung process, a terminal paused
 * with Ctrl-S) must not stop the supervision: the wall limit still ends
 * the sandbox on time, and the output is still delivered, whole, once the
 * reader reads again. */
#include "sec.h"
#include "tests.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* stratbox run (no --json) with stdout into a pipe nobody reads yet. */
static pid_t start_unread(const char *marker, const char *limit_opt, const char *limit, int *out)
{
	char script[256];
	/* a background writer of 200,000 bytes (more than a pipe holds),
	 * then a spin that only the wall limit ends */
	snprintf(script, sizeof(script), "(head -c 200000 /dev/zero &); while :; do :; done # %s",
		 marker);
	const char *argv[12] = { test_stratbox(), "run", limit_opt, limit };
	size_t n = 4;
	if (test_cgroup_parent()) {
		argv[n++] = "--cgroup-parent";
		argv[n++] = test_cgroup_parent();
	}
	argv[n++] = "--";
	argv[n++] = "/bin/sh";
	argv[n++] = "-c";
	argv[n++] = script;
	argv[n] = NULL;
	return test_start(&(struct test_cmd){ .argv = argv, .err = TEST_STDERR_INHERIT }, out);
}

static size_t drain(int fd)
{
	char buf[65536];
	size_t total = 0;
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += (size_t) n;
	return total;
}

void t_stalled_reader_does_not_stall_limits(void)
{
	char marker[64];
	snprintf(marker, sizeof(marker), "stall-marker-%d", (int) getpid());
	int out;
	pid_t pid = start_unread(marker, "--wall-time", "2", &out);
	/* The sandbox's shell must be gone soon after its 2 s limit, while
	 * stratbox's stdout is still unread (the supervisor blocked in a
	 * write used to let it spin as long as the reader stalled). */
	int alive = -1;
	for (int i = 0; i < 100; i++) { /* up to 10 s */
		test_sleep_ms(100);
		if (i >= 25 && (alive = count_processes_starting("/bin/sh -c (head")) == 0)
			break;
	}
	CHECK(alive == 0, "the sandbox still runs while its reader stalls (%d processes)", alive);
	/* stratbox itself waits to deliver; nothing of the sandbox remains */
	int st;
	CHECK(waitpid(pid, &st, WNOHANG) == 0, "stratbox exited before its output was read");
	size_t got = drain(out);
	close(out);
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st));
	CHECK_INT_EQ(WEXITSTATUS(st), 137); /* killed at its wall limit */
	CHECK_INT_EQ(got, 200000);	    /* delivered whole, once read */
}

/* A reader that goes away for good: the run still ends at its limit and
 * stratbox exits; the output is dropped, nothing else is disturbed. */
void t_gone_reader_does_not_stall_run(void)
{
	char marker[64];
	snprintf(marker, sizeof(marker), "gone-marker-%d", (int) getpid());
	int out;
	pid_t pid = start_unread(marker, "--wall-time", "1", &out);
	close(out);
	int st;
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st));
	CHECK_INT_EQ(WEXITSTATUS(st), 137);
	CHECK_INT_EQ(count_processes_starting("/bin/sh -c (head"), 0);
}
