/* Limits: each attack must end in its exact verdict, with its evidence. */
#include "sec.h"
#include "tests.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

void t_fork_bomb_ends_in_pids_limit(void)
{
	need_cgroup_limits();
	struct sbx_result r;
	sbx_run_probe(&r, OPTS("--wall-time", "10"), ARGS("/probe", "forkbomb"));
	EXPECT_STATUS(&r, "PIDS_LIMIT");
	CHECK(vint(&r, "evidence.pids_max_events") > 0);
	CHECK(vbool(&r, "evidence.killed_by_supervisor"));
	CHECK_INT_EQ(vint(&r, "exit_code"), 137);
	CHECK(vreal(&r, "wall_ms") < 10000.0, "stopped only by the wall clock");
	sbx_result_free(&r);
}

void t_thread_bomb_ends_in_pids_limit(void)
{
	need_cgroup_limits();
	struct sbx_result r;
	sbx_run_probe(&r, OPTS("--wall-time", "10", "--pids", "16"), ARGS("/probe", "threadbomb"));
	EXPECT_STATUS(&r, "PIDS_LIMIT");
	CHECK(vint(&r, "evidence.pids_max_events") > 0);
	sbx_result_free(&r);
}

void t_memory_bomb_ends_in_memory_limit(void)
{
	need_cgroup_limits();
	struct sbx_result r;
	sbx_run_probe(&r, OPTS("--memory", "64M", "--wall-time", "20"), ARGS("/probe", "membomb"));
	EXPECT_STATUS(&r, "MEMORY_LIMIT");
	CHECK(vint(&r, "evidence.oom_kills") >= 1, "no OOM-kill evidence");
	CHECK(vint(&r, "memory_peak_bytes") <= 64 << 20, "peak above the limit");
	CHECK(vint(&r, "memory_peak_bytes") >= 48 << 20, "peak far below the limit");
	CHECK_INT_EQ(vint(&r, "signal"), 9);
	sbx_result_free(&r);
}

/* With a cgroup the supervisor stops the job at its CPU budget; without
 * one, RLIMIT_CPU (whole seconds, plus one of slack) does, by SIGXCPU. */
void t_cpu_spin_stopped_at_cpu_time(void)
{
	struct sbx_result r;
	sbx_run_probe(&r, OPTS("--cpu-time", "0.3", "--cpus", "1", "--wall-time", "20"),
		      ARGS("/probe", "spin"));
	EXPECT_STATUS(&r, "TIMEOUT_CPU");
	double cpu = vreal(&r, "cpu_user_ms") + vreal(&r, "cpu_sys_ms");
	double most = test_have_cgroups() ? 1500.0 : 3500.0;
	CHECK(cpu >= 300.0, "stopped at %.1f ms of CPU, before the limit", cpu);
	CHECK(cpu < most, "ran %.1f ms of CPU past a 300 ms limit", cpu);
	sbx_result_free(&r);
}

/* The CPU quota throttles: 0.2 CPU for 1 s of wall time. */
void t_cpu_quota_throttles(void)
{
	need_cgroup_limits();
	struct sbx_result r;
	sbx_run_probe(&r, OPTS("--cpus", "0.2", "--wall-time", "1"), ARGS("/probe", "spin"));
	EXPECT_STATUS(&r, "TIMEOUT_WALL");
	if (vget(&r, "evidence.unenforced") && json_array_size(vget(&r, "evidence.unenforced")))
		test_skip("cpu controller not usable here");
	double cpu = vreal(&r, "cpu_user_ms") + vreal(&r, "cpu_sys_ms");
	CHECK(cpu < 450.0, "used %.1f ms of CPU in 1 s at a 0.2 CPU quota", cpu);
	CHECK(vreal(&r, "cpu_throttled_ms") > 0.0, "no throttling evidence");
	sbx_result_free(&r);
}

void t_sleeper_stopped_at_wall_time(void)
{
	struct sbx_result r;
	sbx_run_probe(&r, OPTS("--wall-time", "0.3"), ARGS("/probe", "sleep", "30"));
	EXPECT_STATUS(&r, "TIMEOUT_WALL");
	CHECK(vreal(&r, "wall_ms") >= 300.0);
	CHECK(vreal(&r, "wall_ms") < 5000.0);
	CHECK_INT_EQ(vint(&r, "exit_code"), 137);
	sbx_result_free(&r);
}

void t_stdout_flood_capped_at_output_limit(void)
{
	struct sbx_result r;
	sbx_run_probe(&r, OPTS("--output-limit", "64K"), ARGS("/probe", "flood", "stdout"));
	EXPECT_STATUS(&r, "OUTPUT_LIMIT");
	CHECK_INT_EQ(strlen(vstr(&r, "stdout")), 65536); /* what came before the cap */
	CHECK(vbool(&r, "stdout_truncated"));
	CHECK(!vbool(&r, "stderr_truncated"));
	CHECK(vint(&r, "stdout_bytes") > 65536);
	sbx_result_free(&r);
}

void t_stderr_flood_capped_at_output_limit(void)
{
	struct sbx_result r;
	sbx_run_probe(&r, OPTS("--output-limit", "64K"), ARGS("/probe", "flood", "stderr"));
	EXPECT_STATUS(&r, "OUTPUT_LIMIT");
	CHECK_INT_EQ(strlen(vstr(&r, "stderr")), 65536);
	CHECK(vbool(&r, "stderr_truncated"));
	sbx_result_free(&r);
}

/* Exactly at the limit is fine; one byte more is not. */
void t_output_limit_is_exact(void)
{
	struct sbx_result r;
	sbx_run_probe(&r, OPTS("--output-limit", "1000"), ARGS("/probe", "print", "1000"));
	EXPECT_STATUS(&r, "OK");
	CHECK_INT_EQ(strlen(vstr(&r, "stdout")), 1000);
	sbx_result_free(&r);
	sbx_run_probe(&r, OPTS("--output-limit", "1000"), ARGS("/probe", "print", "1001"));
	EXPECT_STATUS(&r, "OUTPUT_LIMIT");
	CHECK_INT_EQ(strlen(vstr(&r, "stdout")), 1000);
	sbx_result_free(&r);
}

/* Output that is not UTF-8 still yields valid JSON (U+FFFD). */
void t_binary_output_yields_valid_json(void)
{
	struct sbx_result r;
	sbx_run_ex(&r, NO_OPTS, ARGS("/usr/bin/printf", "a\\377b\\000c"),
		   &(struct run_opts){ .keep_fd = -1, .no_probe = true });
	EXPECT_STATUS(&r, "OK");
	CHECK_INT_EQ(vint(&r, "stdout_bytes"), 5);
	json_t *j = vget(&r, "stdout");
	CHECK_INT_EQ(json_string_length(j), 7); /* a, U+FFFD (3), b, NUL, c */
	CHECK(memcmp(json_string_value(j), "a\xef\xbf\xbd" "b\0c", 7) == 0);
	sbx_result_free(&r);
}

/* Each forbidden syscall: SYSCALL_VIOLATION naming it. */
static const struct {
	const char *attack, *syscall;
} forbidden[] = {
	{ "ptrace", "ptrace" },
	{ "ptrace-attach", "ptrace" },
	{ "mount", "mount" },
	{ "umount2", "umount2" },
	{ "pivot_root", "pivot_root" },
	{ "chroot", "chroot" },
	{ "unshare", "unshare" },
	{ "setns", "setns" },
	{ "keyctl", "keyctl" },
	{ "add_key", "add_key" },
	{ "request_key", "request_key" },
	{ "bpf", "bpf" },
	{ "perf_event_open", "perf_event_open" },
	{ "io_uring_setup", "io_uring_setup" },
	{ "io_uring_enter", "io_uring_enter" },
	{ "io_uring_register", "io_uring_register" },
	/* kernel AIO: one host-wide pool of contexts (fs.aio-max-nr) */
	{ "io_setup", "io_setup" },
	{ "io_submit", "io_submit" },
	{ "userfaultfd", "userfaultfd" },
	{ "kexec_load", "kexec_load" },
	{ "kexec_file_load", "kexec_file_load" },
	{ "init_module", "init_module" },
	{ "finit_module", "finit_module" },
	{ "delete_module", "delete_module" },
	{ "open_by_handle_at", "open_by_handle_at" },
	{ "name_to_handle_at", "name_to_handle_at" },
	{ "personality", "personality" },
	{ "process_vm_readv", "process_vm_readv" },
	{ "reboot", "reboot" },
	{ "swapon", "swapon" },
	{ "sethostname", "sethostname" },
	{ "modify_ldt", "modify_ldt" },
	{ "iopl", "iopl" },
	{ "clone-newns", "clone" },
	{ "clone-newuser", "clone" },
	{ "socket-packet", "socket" },
	{ "tiocsti", "ioctl" },
	{ "tiocsti-high", "ioctl" },
	{ "i386", "i386:getpid" },
	{ "x32", "x32:getpid" },
	{ "seccomp-escape", "ptrace" },
};

/* Whether this kernel gives a 64-bit process the i386 ABI at all: the
 * probe's int 0x80, run without a sandbox, faults where it does not (a
 * kernel without IA32 emulation, or a hypervisor that does not forward
 * the software interrupt).  There is then no i386 call for the filter to
 * see. */
static bool host_has_i386_abi(void)
{
	int rc;
	free(test_run_bin(test_probe(), ARGS("syscall", "i386"), TEST_STDERR_MERGE, &rc));
	return rc != 128 + SIGSEGV;
}

void t_forbidden_syscalls_are_named_violations(void)
{
	bool i386 = host_has_i386_abi();
	for (size_t i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++) {
		struct sbx_result r;
		if (!i386 && strcmp(forbidden[i].attack, "i386") == 0) {
			test_note("i386: not tested: int 0x80 faults here without a sandbox (no i386 ABI)");
			continue;
		}
		sbx_run_probe(&r, NO_OPTS, ARGS("/probe", "syscall", forbidden[i].attack));
		if (r.v == NULL || strcmp(vstr(&r, "status"), "SYSCALL_VIOLATION") != 0)
			test_fail_at(__FILE__, __LINE__, "%s: want SYSCALL_VIOLATION, got %.700s",
				     forbidden[i].attack, r.raw);
		const char *sc = vstr(&r, "syscall");
		if (sc == NULL || strcmp(sc, forbidden[i].syscall) != 0)
			test_fail_at(__FILE__, __LINE__, "%s: syscall %s, want %s", forbidden[i].attack,
				     sc ? sc : "(null)", forbidden[i].syscall);
		CHECK_INT_EQ(vint(&r, "signal"), 31);
		CHECK_INT_EQ(vint(&r, "exit_code"), 159);
		sbx_result_free(&r);
	}
}

/* What must keep working under the filter. */
void t_allowed_syscalls_still_work(void)
{
	static const char *ok[][2] = {
		{ "thread", "thread ok" },
		{ "ioctl-ok", "ioctl ok" },
		{ "personality-query", "personality=" },
		{ "clone3", "errno=38" }, /* ENOSYS, so libc falls back to clone(2) */
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct sbx_result r;
		sbx_run_probe(&r, NO_OPTS, ARGS("/probe", "syscall", ok[i][0]));
		EXPECT_STATUS(&r, "OK");
		CHECK_CONTAINS(vstr(&r, "stdout"), ok[i][1]);
		sbx_result_free(&r);
	}
}

/* docker run's exit codes, and the matching statuses. */
void t_exit_codes_follow_docker_run(void)
{
	struct sbx_result r;
	sbx_run_probe(&r, NO_OPTS, ARGS("/probe", "exit", "7"));
	EXPECT_STATUS(&r, "NONZERO_EXIT");
	CHECK_INT_EQ(r.exit_code, 7);
	CHECK_INT_EQ(vint(&r, "exit_code"), 7);
	sbx_result_free(&r);

	sbx_run_probe(&r, NO_OPTS, ARGS("/probe", "signal", "15"));
	EXPECT_STATUS(&r, "SIGNALED");
	CHECK_INT_EQ(r.exit_code, 143);
	CHECK_INT_EQ(vint(&r, "signal"), 15);
	sbx_result_free(&r);

	sbx_run_probe(&r, NO_OPTS, ARGS("/no/such/command"));
	EXPECT_STATUS(&r, "SANDBOX_ERROR");
	CHECK_INT_EQ(r.exit_code, 127);
	sbx_result_free(&r);

	sbx_run_probe(&r, NO_OPTS, ARGS("/etc"));
	EXPECT_STATUS(&r, "SANDBOX_ERROR");
	CHECK_INT_EQ(r.exit_code, 126);
	sbx_result_free(&r);

	sbx_run_probe(&r, NO_OPTS, ARGS("/probe", "exit", "0"));
	EXPECT_STATUS(&r, "OK");
	CHECK_INT_EQ(r.exit_code, 0);
	sbx_result_free(&r);

	/* bad input: a clear error and 125, nothing run */
	sbx_run_ex(&r, OPTS("--memory", "lots"), ARGS("/probe", "exit", "0"),
		   &(struct run_opts){ .keep_fd = -1 });
	CHECK_INT_EQ(r.exit_code, 125);
	CHECK_CONTAINS(r.err, "--memory");
	sbx_result_free(&r);
}

/* Without --json the command's output streams through, capped. */
void t_passthrough_output_capped(void)
{
	struct sbx_result r;
	sbx_run_ex(&r, OPTS("--output-limit", "100"), ARGS("/probe", "print", "150"),
		   &(struct run_opts){ .keep_fd = -1, .no_json = true });
	CHECK_INT_EQ(r.exit_code, 137); /* never 0 for a broken limit */
	CHECK_INT_EQ(strlen(r.raw), 100);
	CHECK_CONTAINS(r.err, "OUTPUT_LIMIT");
	sbx_result_free(&r);
}
