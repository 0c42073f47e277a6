/* The verdict: one status decided from the evidence, and its JSON form.
 *
 * verdict_decide() is pure, so the precedence (docs/verdict.md) is tested
 * case by case without running anything:
 *
 *   SANDBOX_ERROR > SYSCALL_VIOLATION > MEMORY_LIMIT > PIDS_LIMIT >
 *   (no exit status and no explanation: SANDBOX_ERROR) >
 *   OUTPUT_LIMIT | TIMEOUT_CPU | TIMEOUT_WALL (whichever the supervisor
 *   acted on first; at the end, in that order) > SIGNALED > NONZERO_EXIT > OK
 *
 * Kernel evidence outranks the supervisor's own stops because it cannot be
 * a consequence of them: a SIGKILL from stratbox never causes an OOM kill,
 * a refused fork or a forbidden syscall, but those can cause a hang that
 * later times out.
 */
#include "common/parse.h"
#include "common/util.h"
#include "sandbox/internal.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

const char *sbx_status_name(enum sbx_status s)
{
	switch (s) {
	case SBX_OK: return "OK";
	case SBX_NONZERO_EXIT: return "NONZERO_EXIT";
	case SBX_SIGNALED: return "SIGNALED";
	case SBX_TIMEOUT_WALL: return "TIMEOUT_WALL";
	case SBX_TIMEOUT_CPU: return "TIMEOUT_CPU";
	case SBX_MEMORY_LIMIT: return "MEMORY_LIMIT";
	case SBX_PIDS_LIMIT: return "PIDS_LIMIT";
	case SBX_OUTPUT_LIMIT: return "OUTPUT_LIMIT";
	case SBX_SYSCALL_VIOLATION: return "SYSCALL_VIOLATION";
	case SBX_SANDBOX_ERROR: return "SANDBOX_ERROR";
	}
	return "UNKNOWN";
}

/* The status from the evidence, in precedence order. */
static enum sbx_status decide_status(const struct evidence *e, int sig, int code)
{
	if (e->setup_failed || e->stop == STOP_CANCEL || e->exec_errno)
		return SBX_SANDBOX_ERROR;
	if (e->seccomp_violation)
		return SBX_SYSCALL_VIOLATION;
	if (e->oom_kills > 0)
		return SBX_MEMORY_LIMIT;
	if (e->pids_max_events > 0)
		return SBX_PIDS_LIMIT;
	/* Gone without an exit status and without anything that explains it:
	 * killed from outside the sandbox (its zygote died, an administrator
	 * killed it).  Nothing about the command's outcome can be claimed. */
	if (!e->have_status && e->stop == STOP_NONE)
		return SBX_SANDBOX_ERROR;
	switch (e->stop) {
	case STOP_OUTPUT: return SBX_OUTPUT_LIMIT;
	case STOP_CPU: return SBX_TIMEOUT_CPU;
	case STOP_WALL: return SBX_TIMEOUT_WALL;
	case STOP_PIDS: return SBX_PIDS_LIMIT;
	case STOP_MEMORY: return SBX_MEMORY_LIMIT;
	case STOP_SYSCALL: return SBX_SYSCALL_VIOLATION;
	case STOP_NONE:
	case STOP_CANCEL: break;
	}
	/* The command ended on its own, but past a limit. */
	if (e->out_truncated || e->err_truncated)
		return SBX_OUTPUT_LIMIT;
	if ((e->cpu_limit_ns && e->cpu_usage_ns >= e->cpu_limit_ns) || sig == SIGXCPU)
		return SBX_TIMEOUT_CPU;
	if (e->wall_limit_ns && e->run_ns >= e->wall_limit_ns)
		return SBX_TIMEOUT_WALL;
	if (sig != 0)
		return SBX_SIGNALED;
	if (code != 0)
		return SBX_NONZERO_EXIT;
	return SBX_OK;
}

enum sbx_status verdict_decide(const struct evidence *e, int *exit_code, int *signal)
{
	int code = 0, sig = 0;
	if (e->have_status) {
		if (WIFEXITED(e->wait_status)) {
			code = WEXITSTATUS(e->wait_status);
		} else if (WIFSIGNALED(e->wait_status)) {
			sig = WTERMSIG(e->wait_status);
			code = 128 + sig;
		}
	}
	enum sbx_status st = decide_status(e, sig, code);
	switch (st) {
	case SBX_SANDBOX_ERROR:
		*signal = 0;
		*exit_code = e->exec_errno == ENOENT ? 127 : e->exec_errno ? 126 : 125;
		break;
	case SBX_SYSCALL_VIOLATION:
		/* What a seccomp kill looks like: the command never returned
		 * from the forbidden call. */
		*signal = SIGSYS;
		*exit_code = 128 + SIGSYS;
		break;
	case SBX_MEMORY_LIMIT:
	case SBX_PIDS_LIMIT:
	case SBX_OUTPUT_LIMIT:
	case SBX_TIMEOUT_CPU:
	case SBX_TIMEOUT_WALL:
		/* A limit verdict always reads as the sandbox's SIGKILL, even
		 * when the command ended an instant before the kill landed:
		 * a script must never see 0 for a run that broke a limit.
		 * The command's own status stays in the evidence. */
		*signal = SIGKILL;
		*exit_code = 128 + SIGKILL;
		break;
	case SBX_OK:
	case SBX_NONZERO_EXIT:
	case SBX_SIGNALED:
		*signal = sig;
		*exit_code = code;
		break;
	}
	return st;
}

/* Milliseconds with microsecond resolution, printed without binary noise
 * (the dump uses 15 significant digits). */
static json_t *ms(uint64_t ns)
{
	return json_real(round((double) ns / 1000.0) / 1000.0);
}

static json_t *stream_text(const struct sbx_stream *s)
{
	if (s->data == NULL)
		return json_null();
	char *clean = malloc(s->len * 3 + 1);
	if (clean == NULL)
		return NULL;
	size_t n = utf8_sanitize(s->data, s->len, clean);
	json_t *j = json_stringn_nocheck(clean, n);
	free(clean);
	return j;
}

static json_t *unenforced_list(const char *csv)
{
	json_t *a = json_array();
	char buf[sizeof(((sbx_verdict *) 0)->unenforced)];
	snprintf(buf, sizeof(buf), "%s", csv);
	char *save = NULL;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
		json_array_append_new(a, json_string(t));
	return a;
}

json_t *sbx_verdict_json(const sbx_verdict *v)
{
	json_t *o = json_object();
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "status", json_string(sbx_status_name(v->status)));
	json_object_set_new(o, "exit_code", json_integer(v->exit_code));
	json_object_set_new(o, "signal", v->signal ? json_integer(v->signal) : json_null());
	json_object_set_new(o, "syscall", v->syscall[0] ? json_string(v->syscall) : json_null());
	json_object_set_new(o, "wall_ms", ms(v->wall_ns));
	json_object_set_new(o, "cpu_user_ms", ms(v->cpu_user_ns));
	json_object_set_new(o, "cpu_sys_ms", ms(v->cpu_sys_ns));
	json_object_set_new(o, "cpu_throttled_ms", ms(v->cpu_throttled_ns));
	json_object_set_new(o, "memory_peak_bytes", json_integer((json_int_t) v->memory_peak_bytes));
	json_object_set_new(o, "stdout", stream_text(&v->out));
	json_object_set_new(o, "stderr", stream_text(&v->err));
	json_object_set_new(o, "stdout_bytes", json_integer((json_int_t) v->out.total));
	json_object_set_new(o, "stderr_bytes", json_integer((json_int_t) v->err.total));
	json_object_set_new(o, "stdout_truncated", json_boolean(v->out.truncated));
	json_object_set_new(o, "stderr_truncated", json_boolean(v->err.truncated));
	json_object_set_new(o, "message", json_string(v->message ? v->message : ""));
	json_t *t = json_object();
	json_object_set_new(t, "setup_ms", ms(v->setup_ns));
	json_object_set_new(t, "run_ms", ms(v->run_ns));
	json_object_set_new(t, "teardown_ms", ms(v->teardown_ns));
	json_object_set_new(o, "timings", t);
	json_t *ev = json_object();
	json_object_set_new(ev, "oom_kills", json_integer((json_int_t) v->oom_kills));
	json_object_set_new(ev, "pids_max_events", json_integer((json_int_t) v->pids_max_events));
	json_object_set_new(ev, "killed_by_supervisor", json_boolean(v->killed_by_supervisor));
	json_object_set_new(ev, "syscall_nr",
			    v->syscall_nr >= 0 ? json_integer(v->syscall_nr) : json_null());
	if (v->syscall_nr >= 0) {
		char arch[16];
		snprintf(arch, sizeof(arch), "0x%08x", v->syscall_arch);
		json_object_set_new(ev, "syscall_arch", json_string(arch));
	}
	if (v->command_ended) {
		json_t *cs = json_object();
		json_object_set_new(cs, "exit_code", json_integer(v->command_exit_code));
		json_object_set_new(cs, "signal", v->command_signal ? json_integer(v->command_signal)
								   : json_null());
		json_object_set_new(ev, "command", cs);
	} else {
		json_object_set_new(ev, "command", json_null());
	}
	json_object_set_new(ev, "cgroup", json_string(v->cgroup_backend ? v->cgroup_backend : "none"));
	json_object_set_new(ev, "unenforced", unenforced_list(v->unenforced));
	json_object_set_new(o, "evidence", ev);
	json_t *l = json_object();
	json_object_set_new(l, "memory_bytes", json_integer((json_int_t) v->limits.memory));
	json_object_set_new(l, "pids", json_integer((json_int_t) v->limits.pids));
	json_object_set_new(l, "cpus", json_real((double) v->limits.millicpus / 1000.0));
	json_object_set_new(l, "cpu_time_ms",
			    v->limits.cpu_time_ns ? ms(v->limits.cpu_time_ns) : json_null());
	json_object_set_new(l, "wall_time_ms", ms(v->limits.wall_ns));
	json_object_set_new(l, "output_limit_bytes", json_integer((json_int_t) v->limits.output));
	json_object_set_new(l, "tmp_size_bytes", json_integer((json_int_t) v->limits.tmp));
	json_object_set_new(o, "limits", l);
	return o;
}

char *sbx_verdict_to_json(const sbx_verdict *v)
{
	json_t *o = sbx_verdict_json(v);
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
	json_decref(o);
	return s;
}

void sbx_verdict_clear(sbx_verdict *v)
{
	free(v->out.data);
	free(v->err.data);
	free(v->message);
	memset(v, 0, sizeof(*v));
	v->syscall_nr = -1;
}
