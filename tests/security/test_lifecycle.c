/* Lifecycle: nothing outlives a run, even when the supervisor is killed;
 * stale cgroups are removed; the cgroup backends degrade honestly. */
#include "sec.h"
#include "stratbox/sandbox.h"
#include "tests.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A double-forked, setsid'd daemon dies with the run. */
void t_daemon_dies_with_run(void)
{
	char token[64];
	snprintf(token, sizeof(token), "sbx-daemon-%d", (int) getpid());
	struct sbx_result r;
	sbx_run_probe(&r, NO_OPTS, ARGS("/probe", "daemon", token));
	EXPECT_STATUS(&r, "OK");
	CHECK_CONTAINS(vstr(&r, "stdout"), "daemon started");
	/* immediately: the init's exit has already killed the namespace */
	CHECK_INT_EQ(count_processes_with(token), 0);
	sbx_result_free(&r);
}

static pid_t start_sleeper(const char *token, int *out_fd)
{
	pid_t sup = sbx_start_background(NO_OPTS, ARGS("/probe", "sleep", "600", token), out_fd);
	/* the probe itself, not stratbox (or its init before it scrubs its
	 * copy of stratbox's arguments), whose command lines hold it too */
	char probe[128];
	snprintf(probe, sizeof(probe), "/probe sleep 600 %s", token);
	int i, seen = 0;
	for (i = 0; i < 3000 && (seen = count_processes_starting(probe)) < 1; i++)
		test_sleep_ms(10);
	if (seen < 1) {
		fprintf(stderr, "no process runs '%s' after %d polls (%s)\n", probe, i,
			seen < 0 ? strerror(errno) : "");
		char cmd[600];
		snprintf(cmd, sizeof(cmd),
			 "for p in %d $(cat /proc/%d/task/*/children); do for c in $p $(cat /proc/$p/task/*/children 2>/dev/null); do "
			 "echo \"pid $c: $(tr '\\0' ' ' </proc/$c/cmdline) syscall=$(cat /proc/$c/syscall) "
			 "$(grep -E 'State|Seccomp:' /proc/$c/status | tr '\\n' ' ')\" >&2; done; done",
			 (int) sup, (int) sup);
		if (system(cmd) != 0)
			fprintf(stderr, "ps failed\n");
		test_fail_at(__FILE__, __LINE__, "the sandbox did not start");
	}
	return sup;
}

/* SIGKILL the supervisor: the sandbox dies (PR_SET_PDEATHSIG on the init,
 * whose exit kills the pid namespace), and the next run removes the job
 * cgroup the killed supervisor could not. */
void t_sandbox_dies_with_killed_supervisor(void)
{
	char token[64];
	snprintf(token, sizeof(token), "sbx-orphan-%d", (int) getpid());
	int out;
	pid_t sup = start_sleeper(token, &out);
	kill(sup, SIGKILL);
	waitpid(sup, NULL, 0);
	close(out);
	CHECK(processes_gone_within(token, 5000), "the sandbox outlived its killed supervisor");
	if (!test_have_cgroups()) {
		/* no job cgroup to leave behind; the next run sweeps the
		 * killed supervisor's run-directory entry */
		struct sbx_result r;
		sbx_run_probe(&r, NO_OPTS, ARGS("/probe", "exit", "0"));
		EXPECT_STATUS(&r, "OK");
		sbx_result_free(&r);
		return;
	}

	char first[1100];
	int stale = count_job_cgroups(first, sizeof(first));
	CHECK(stale >= 1, "expected the killed supervisor's job cgroup to remain until the next run");
	struct sbx_result r;
	sbx_run_probe(&r, NO_OPTS, ARGS("/probe", "exit", "0"));
	EXPECT_STATUS(&r, "OK");
	sbx_result_free(&r);
	CHECK_INT_EQ(count_job_cgroups(first, sizeof(first)), 0);
}

/* SIGTERM (or Ctrl-C) to stratbox: a clean stop, a verdict, no leftovers. */
void t_terminated_supervisor_stops_cleanly(void)
{
	char token[64];
	snprintf(token, sizeof(token), "sbx-term-%d", (int) getpid());
	int out;
	pid_t sup = start_sleeper(token, &out);
	kill(sup, SIGTERM);
	char buf[8192];
	ssize_t n = read(out, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	int st;
	waitpid(sup, &st, 0);
	close(out);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 125, "stratbox exit status %d", st);
	CHECK_CONTAINS(buf, "\"status\":\"SANDBOX_ERROR\"");
	CHECK_CONTAINS(buf, "interrupted");
	CHECK_INT_EQ(count_processes_with(token), 0);
	CHECK_INT_EQ(count_job_cgroups(NULL, 0), 0);
}

/* Without any cgroup (STRATBOX_CGROUP=none) the run still works and says
 * exactly which limits it could not enforce. */
void t_no_cgroup_reports_unenforced(void)
{
	struct sbx_result r;
	struct run_opts ro = { .env = (const char *const[]){ "STRATBOX_CGROUP=none", NULL },
			       .keep_fd = -1 };
	sbx_run_ex(&r, NO_OPTS, ARGS("/probe", "exit", "0"), &ro);
	if (test_cgroup_parent())
		/* an explicit parent with no usable hierarchy is an error */
		EXPECT_STATUS(&r, "SANDBOX_ERROR");
	else {
		EXPECT_STATUS(&r, "OK");
		CHECK_CONTAINS(vstr(&r, "message"), "limits not enforced");
		CHECK_CONTAINS(vstr(&r, "message"), "memory,pids,cpus (memory: only each process's "
							     "private heap is capped, by RLIMIT_DATA");
		CHECK_STR_EQ(vstr(&r, "evidence.cgroup"), "none");
		CHECK_INT_EQ(json_array_size(vget(&r, "evidence.unenforced")), 3);
	}
	sbx_result_free(&r);
}

/* The fallbacks still stop a fork bomb without a cgroup (RLIMIT_NPROC in
 * the sandbox's own user namespace); only meaningful unprivileged. */
void t_no_cgroup_fork_bomb_contained(void)
{
	if (!sec_unprivileged() || test_cgroup_parent())
		test_skip("only without root and without a delegated cgroup");
	struct sbx_result r;
	struct run_opts ro = { .env = (const char *const[]){ "STRATBOX_CGROUP=none", NULL },
			       .keep_fd = -1 };
	sbx_run_ex(&r, OPTS("--wall-time", "1"), ARGS("/probe", "forkbomb"), &ro);
	EXPECT_STATUS(&r, "TIMEOUT_WALL"); /* contained, then stopped by the clock */
	sbx_result_free(&r);
}

/* Without a cgroup, RLIMIT_DATA caps each process's heap: the memory
 * bomb's allocation fails instead of an OOM kill, and the verdict says
 * the memory limit was not enforced by a cgroup. */
void t_no_cgroup_memory_contained(void)
{
	if (test_have_cgroups())
		test_skip("only without a usable cgroup");
	struct sbx_result r;
	sbx_run_probe(&r, OPTS("--memory", "64M", "--wall-time", "20"), ARGS("/probe", "membomb"));
	EXPECT_BLOCKED(&r, "malloc");
	CHECK_CONTAINS(vstr(&r, "message"), "memory");
	CHECK(vint(&r, "memory_peak_bytes") < 80 << 20);
	sbx_result_free(&r);
	/* ...but it is no memory limit: a shared mapping escapes it, and the
	 * verdict says so instead of presenting the fallback as the limit */
	sbx_run_ex(&r, OPTS("--memory", "64M", "--wall-time", "20"),
		   ARGS("/usr/bin/python3", "-c",
			"import mmap\nm = mmap.mmap(-1, 200 << 20)\nc = b'x' * (1 << 20)\n"
			"for _ in range(200):\n    m.write(c)\nprint('shared', m.tell() >> 20)"),
		   &(struct run_opts){ .keep_fd = -1, .no_probe = true });
	EXPECT_STATUS(&r, "OK");
	CHECK_CONTAINS(vstr(&r, "stdout"), "shared 200");
	CHECK_CONTAINS(vstr(&r, "message"), "shared mappings, /tmp and /dev/shm are not counted");
	sbx_result_free(&r);
}

/* The v2 backend, forced onto this machine's cgroup2 mount (which holds
 * no controllers on a hybrid layout): create, attach, account CPU time,
 * kill and remove all work; the limits it cannot apply are reported. */
void t_cgroup_v2_backend_accounts_and_cleans_up(void)
{
	if (sec_unprivileged())
		test_skip("the cgroup2 mount is not delegated to this user");
	if (access("/sys/fs/cgroup/unified/cgroup.procs", F_OK) != 0 &&
	    access("/sys/fs/cgroup/cgroup.subtree_control", F_OK) != 0)
		test_skip("no cgroup2 mount");
	struct sbx_result r;
	struct run_opts ro = { .env = (const char *const[]){ "STRATBOX_CGROUP=v2", NULL },
			       .keep_fd = -1 };
	sbx_run_ex(&r, OPTS("--cpu-time", "0.2", "--wall-time", "10"), ARGS("/probe", "spin"), &ro);
	CHECK_STR_EQ(vstr(&r, "evidence.cgroup"), "v2");
	/* cpu.stat accounts CPU time even without the cpu controller */
	EXPECT_STATUS(&r, "TIMEOUT_CPU");
	sbx_result_free(&r);
	CHECK_INT_EQ(count_job_cgroups(NULL, 0), 0);
}

/* The verdict carries every documented field with its type. */
void t_verdict_has_every_documented_field(void)
{
	struct sbx_result r;
	sbx_run_probe(&r, NO_OPTS, ARGS("/probe", "print", "3"));
	EXPECT_STATUS(&r, "OK");
	static const char *strings[] = { "status", "stdout", "stderr", "message" };
	static const char *ints[] = { "exit_code", "memory_peak_bytes", "stdout_bytes",
				      "stderr_bytes" };
	static const char *nums[] = { "wall_ms", "cpu_user_ms", "cpu_sys_ms", "cpu_throttled_ms",
				      "timings.setup_ms", "timings.run_ms", "timings.teardown_ms" };
	static const char *bools[] = { "stdout_truncated", "stderr_truncated" };
	for (size_t i = 0; i < 4; i++)
		CHECK(json_is_string(vget(&r, strings[i])), "%s", strings[i]);
	for (size_t i = 0; i < 4; i++)
		CHECK(json_is_integer(vget(&r, ints[i])), "%s", ints[i]);
	for (size_t i = 0; i < 7; i++)
		CHECK(json_is_number(vget(&r, nums[i])), "%s", nums[i]);
	for (size_t i = 0; i < 2; i++)
		CHECK(json_is_boolean(vget(&r, bools[i])), "%s", bools[i]);
	CHECK(json_is_null(vget(&r, "signal")));
	CHECK(json_is_null(vget(&r, "syscall")));
	CHECK(vreal(&r, "wall_ms") > 0.0);
	CHECK(vint(&r, "memory_peak_bytes") > 0);
	CHECK_STR_EQ(vstr(&r, "stdout"), "yyy");
	/* exactly one JSON object and nothing else on stdout */
	size_t len = strlen(r.raw);
	CHECK(len > 2 && r.raw[0] == '{' && r.raw[len - 2] == '}' && r.raw[len - 1] == '\n');
	sbx_result_free(&r);
}

/* A job cgroup of a supervisor that no longer exists (made here with a
 * pid that cannot be alive) is removed by the next run. */
void t_stale_cgroup_removed_by_next_run(void)
{
	need_cgroup_limits();
	char first[1100];
	struct sbx_result r;
	/* find where job cgroups go by watching one appear */
	int out;
	char token[64];
	snprintf(token, sizeof(token), "sbx-where-%d", (int) getpid());
	pid_t sup = start_sleeper(token, &out);
	CHECK(count_job_cgroups(first, sizeof(first)) >= 1);
	kill(sup, SIGTERM);
	waitpid(sup, NULL, 0);
	close(out);
	char *slash = strrchr(first, '/');
	CHECK(slash != NULL);
	/* pid 4194304 is above the kernel's maximum: never alive */
	snprintf(slash + 1, sizeof(first) - (size_t) (slash + 1 - first), "stratbox-4194304-1-0");
	if (mkdir(first, 0755) != 0)
		test_skip("cannot create a cgroup in %s", first);
	sbx_run_probe(&r, NO_OPTS, ARGS("/probe", "exit", "0"));
	EXPECT_STATUS(&r, "OK");
	sbx_result_free(&r);
	CHECK(access(first, F_OK) != 0, "stale cgroup %s was not removed", first);
}

static volatile int hammering;

static void *hammer(void *arg)
{
	(void) arg;
	unsigned seed = 1;
	while (hammering) {
		void *v[64];
		for (int i = 0; i < 64; i++)
			v[i] = malloc(16 + rand_r(&seed) % 4000);
		for (int i = 0; i < 64; i++)
			free(v[i]);
	}
	return NULL;
}

/* The library in a multi-threaded caller (the Python pool, a service):
 * a sandbox's processes are copies of the caller, made while its other
 * threads hold the C library's locks.  Nothing between the copy and
 * execve may wait for those threads: fork(3) (malloc's locks) and the
 * set*id wrappers (which signal every thread) once did, and about half
 * of these runs hung until their wall limit. */
void t_threaded_caller_never_hangs(void)
{
	pthread_t th[3];
	hammering = 1;
	for (int i = 0; i < 3; i++)
		CHECK(pthread_create(&th[i], NULL, hammer, NULL) == 0);
	int bad = 0;
	char first[300] = "";
	for (int i = 0; i < 60; i++) {
		sbx_config *c = sbx_config_new();
		sbx_error *err = NULL;
		char *const av[] = { (char *) "/bin/true" };
		CHECK(sbx_config_set_argv(c, 1, av, &err) == 0);
		CHECK(sbx_config_set_wall_time(c, 5000000000ull, &err) == 0);
		if (test_cgroup_parent())
			CHECK(sbx_config_set_cgroup_parent(c, test_cgroup_parent(), &err) == 0);
		sbx_verdict v;
		sbx_run(c, &v, &err);
		sbx_error_free(err);
		if (v.status != SBX_OK && bad++ == 0)
			snprintf(first, sizeof(first), "run %d: %s: %s", i, sbx_status_name(v.status),
				 v.message ? v.message : "");
		sbx_verdict_clear(&v);
		sbx_config_free(c);
	}
	hammering = 0;
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	CHECK(bad == 0, "%d of 60 runs failed; first %s", bad, first);
}
