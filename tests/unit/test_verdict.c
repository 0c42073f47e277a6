/* Verdict precedence (a pure function of the evidence) and its JSON. */
#include "harness.h"
#include "sandbox/internal.h"
#include "unit.h"

#include <errno.h>
#include <jansson.h>
#include <signal.h>

#define EXITED(c) ((c) << 8)
#define KILLED(s) (s)

void u_verdict_follows_documented_precedence(void)
{
	static const struct {
		const char *what;
		struct evidence e;
		enum sbx_status want;
		int code, sig;
	} cases[] = {
		{ "clean exit", { .have_status = true, .wait_status = EXITED(0) }, SBX_OK, 0, 0 },
		{ "exit 3", { .have_status = true, .wait_status = EXITED(3) }, SBX_NONZERO_EXIT, 3, 0 },
		{ "SIGSEGV", { .have_status = true, .wait_status = KILLED(SIGSEGV) }, SBX_SIGNALED,
		  139, SIGSEGV },
		{ "setup failed", { .setup_failed = true }, SBX_SANDBOX_ERROR, 125, 0 },
		{ "not found", { .exec_errno = ENOENT }, SBX_SANDBOX_ERROR, 127, 0 },
		{ "not executable", { .exec_errno = EACCES }, SBX_SANDBOX_ERROR, 126, 0 },
		{ "cancelled", { .stop = STOP_CANCEL }, SBX_SANDBOX_ERROR, 125, 0 },
		{ "wall", { .stop = STOP_WALL }, SBX_TIMEOUT_WALL, 137, SIGKILL },
		{ "cpu", { .stop = STOP_CPU }, SBX_TIMEOUT_CPU, 137, SIGKILL },
		{ "output", { .stop = STOP_OUTPUT, .out_truncated = true }, SBX_OUTPUT_LIMIT, 137,
		  SIGKILL },
		/* an OOM kill is a SIGKILL: the cgroup's counter makes it MEMORY_LIMIT */
		{ "oom", { .have_status = true, .wait_status = KILLED(SIGKILL), .oom_kills = 1 },
		  SBX_MEMORY_LIMIT, 137, SIGKILL },
		{ "plain SIGKILL", { .have_status = true, .wait_status = KILLED(SIGKILL) },
		  SBX_SIGNALED, 137, SIGKILL },
		{ "pids", { .stop = STOP_PIDS, .pids_max_events = 5 }, SBX_PIDS_LIMIT, 137, SIGKILL },
		{ "seccomp", { .stop = STOP_SYSCALL, .seccomp_violation = true },
		  SBX_SYSCALL_VIOLATION, 159, SIGSYS },
		/* precedence: kernel evidence over the supervisor's own stops */
		{ "oom then wall", { .stop = STOP_WALL, .oom_kills = 1 }, SBX_MEMORY_LIMIT, 137,
		  SIGKILL },
		{ "refused fork then wall", { .stop = STOP_WALL, .pids_max_events = 1 },
		  SBX_PIDS_LIMIT, 137, SIGKILL },
		{ "seccomp over oom", { .seccomp_violation = true, .oom_kills = 2 },
		  SBX_SYSCALL_VIOLATION, 159, SIGSYS },
		{ "oom over pids", { .oom_kills = 1, .pids_max_events = 1 }, SBX_MEMORY_LIMIT, 137,
		  SIGKILL },
		/* gone without a status and without evidence: killed from outside */
		{ "status lost", { .run_ns = 5 }, SBX_SANDBOX_ERROR, 125, 0 },
		{ "status lost, but an OOM kill explains it", { .oom_kills = 1 }, SBX_MEMORY_LIMIT,
		  137, SIGKILL },
		{ "setup error over everything", { .setup_failed = true, .oom_kills = 1,
						   .seccomp_violation = true },
		  SBX_SANDBOX_ERROR, 125, 0 },
		/* first supervisor stop wins among output/cpu/wall */
		{ "cpu stop, output also truncated", { .stop = STOP_CPU, .out_truncated = true },
		  SBX_TIMEOUT_CPU, 137, SIGKILL },
		/* the command ended by itself but past a limit */
		{ "exited 0 with truncated output",
		  { .have_status = true, .wait_status = EXITED(0), .err_truncated = true },
		  SBX_OUTPUT_LIMIT, 137, SIGKILL },
		{ "exited 0 past the CPU limit",
		  { .have_status = true, .wait_status = EXITED(0), .cpu_usage_ns = 5,
		    .cpu_limit_ns = 4 },
		  SBX_TIMEOUT_CPU, 137, SIGKILL },
		{ "SIGXCPU from RLIMIT_CPU", { .have_status = true, .wait_status = KILLED(SIGXCPU) },
		  SBX_TIMEOUT_CPU, 137, SIGKILL },
		{ "exited past the wall limit",
		  { .have_status = true, .wait_status = EXITED(1), .run_ns = 10, .wall_limit_ns = 9 },
		  SBX_TIMEOUT_WALL, 137, SIGKILL },
		{ "under the limits",
		  { .have_status = true, .wait_status = EXITED(0), .cpu_usage_ns = 3,
		    .cpu_limit_ns = 4, .run_ns = 8, .wall_limit_ns = 9 },
		  SBX_OK, 0, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int code = -1, sig = -1;
		enum sbx_status st = verdict_decide(&cases[i].e, &code, &sig);
		CHECK(st == cases[i].want, "%s: got %s, want %s", cases[i].what, sbx_status_name(st),
		      sbx_status_name(cases[i].want));
		CHECK(code == cases[i].code, "%s: exit code %d, want %d", cases[i].what, code,
		      cases[i].code);
		CHECK(sig == cases[i].sig, "%s: signal %d, want %d", cases[i].what, sig,
		      cases[i].sig);
	}
}

void u_verdict_json_is_valid_and_complete(void)
{
	sbx_verdict v;
	memset(&v, 0, sizeof(v));
	v.syscall_nr = -1;
	v.status = SBX_OUTPUT_LIMIT;
	v.exit_code = 137;
	v.signal = 9;
	v.wall_ns = 1234567;  /* 1.235 ms */
	v.out.data = strdup("ok\xff\n");
	v.out.len = 4;
	v.out.total = 9;
	v.out.truncated = true;
	v.message = strdup("output limit \"quoted\"");
	v.cgroup_backend = "v1";
	snprintf(v.unenforced, sizeof(v.unenforced), "memory,cpus");
	v.limits.memory = 1 << 20;
	char *s = sbx_verdict_to_json(&v);
	CHECK(s != NULL);
	json_error_t je;
	json_t *j = json_loads(s, 0, &je);
	CHECK(j != NULL, "invalid JSON: %s: %s", je.text, s);
	CHECK_STR_EQ(json_string_value(json_object_get(j, "status")), "OUTPUT_LIMIT");
	CHECK_INT_EQ(json_integer_value(json_object_get(j, "exit_code")), 137);
	CHECK_STR_EQ(json_string_value(json_object_get(j, "stdout")), "ok\xef\xbf\xbd\n");
	CHECK_INT_EQ(json_integer_value(json_object_get(j, "stdout_bytes")), 9);
	CHECK(json_is_true(json_object_get(j, "stdout_truncated")));
	CHECK(json_is_null(json_object_get(j, "stderr")), "stderr not captured: null");
	CHECK(json_is_null(json_object_get(j, "syscall")));
	CHECK_CONTAINS(s, "\"wall_ms\":1.235");
	json_t *un = json_object_get(json_object_get(j, "evidence"), "unenforced");
	CHECK_INT_EQ(json_array_size(un), 2);
	CHECK_STR_EQ(json_string_value(json_array_get(un, 1)), "cpus");
	CHECK_STR_EQ(json_string_value(json_object_get(j, "message")), "output limit \"quoted\"");
	json_decref(j);
	free(s);
	sbx_verdict_clear(&v);
	CHECK(v.out.data == NULL && v.message == NULL && v.syscall_nr == -1);
	for (int st = SBX_OK; st <= SBX_SANDBOX_ERROR; st++)
		CHECK(strcmp(sbx_status_name((enum sbx_status) st), "UNKNOWN") != 0);
}
