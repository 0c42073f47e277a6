/* stratbox doctor: can this machine run sandboxes, and what is missing?
 *
 * Each check says ok / warn / FAIL with the evidence, and how to fix a
 * failure.  Exit 0 only when every required check passes, 1 otherwise, 2 on
 * a usage error (docs/cli.md has every command's exit codes). */
#include "cli/cli.h"
#include "common/util.h"
#include "stratbox/env.h"
#include "stratbox/pyrt.h"
#include "stratbox/sandbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sched.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

/* The interpreter strategies run on: Debian's, with numpy and pandas. */
#define STRATEGY_PYTHON "/usr/bin/python3"

struct check {
	const char *name;
	bool required;
	int result; /* 0 ok, 1 warn, 2 fail */
	char detail[1400];
	char fix[1400];
};

#define OK 0
#define WARN 1
#define FAIL 2

static void check_kernel(struct check *c)
{
	struct utsname u;
	uname(&u);
	int major = 0, minor = 0;
	sscanf(u.release, "%d.%d", &major, &minor);
	int v = major * 1000 + minor;
	snprintf(c->detail, sizeof(c->detail), "Linux %s", u.release);
	if (v < 5012) {
		c->result = FAIL;
		snprintf(c->fix, sizeof(c->fix),
			 "Linux 5.12 or later is needed (mount_setattr for read-only bind trees); "
			 "Debian 12 ships 6.1");
	} else if (v < 5014) {
		c->result = WARN;
		snprintf(c->fix, sizeof(c->fix),
			 "Linux 5.14+ adds cgroup.kill; older kernels fall back to a member sweep");
	}
}

static void check_userns(struct check *c)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(unshare(CLONE_NEWUSER) == 0 ? 0 : errno);
	int st = 0;
	waitpid(pid, &st, 0);
	int e = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	c->required = geteuid() != 0;
	if (e == 0) {
		snprintf(c->detail, sizeof(c->detail), "available%s",
			 geteuid() == 0 ? " (not needed as root)" : " (used: running unprivileged)");
		return;
	}
	c->result = c->required ? FAIL : WARN;
	snprintf(c->detail, sizeof(c->detail), "unshare(CLONE_NEWUSER) failed: %s",
		 e > 0 ? strerror(e) : "crashed");
	snprintf(c->fix, sizeof(c->fix),
		 "enable unprivileged user namespaces: sysctl -w user.max_user_namespaces=15000; "
		 "on Ubuntu 24.04+: sysctl -w kernel.apparmor_restrict_unprivileged_userns=0; "
		 "or run stratbox as root");
}

static void check_seccomp(struct check *c)
{
	char buf[256] = "";
	if (read_file_at(AT_FDCWD, "/proc/sys/kernel/seccomp/actions_avail", buf, sizeof(buf)) < 0) {
		c->result = FAIL;
		snprintf(c->detail, sizeof(c->detail), "no /proc/sys/kernel/seccomp: %s",
			 strerror(errno));
		snprintf(c->fix, sizeof(c->fix), "use a kernel built with CONFIG_SECCOMP_FILTER");
		return;
	}
	buf[strcspn(buf, "\n")] = '\0';
	bool notif = strstr(buf, "user_notif") != NULL;
	bool kill = strstr(buf, "kill_process") != NULL;
	snprintf(c->detail, sizeof(c->detail), "actions: %s", buf);
	if (!notif || !kill) {
		c->result = FAIL;
		snprintf(c->fix, sizeof(c->fix),
			 "the user_notif action (Linux 5.0+) is needed to name a forbidden syscall");
	}
}

static void check_cgroup(struct check *c, const char *parent)
{
	struct sbx_cgroup_report rep;
	cleanup_error sbx_error *err = NULL;
	if (sbx_cgroup_probe(parent, &rep, &err) < 0) {
		c->result = FAIL;
		snprintf(c->detail, sizeof(c->detail), "%s", err->msg);
		return;
	}
	snprintf(c->detail, sizeof(c->detail), "%s: memory %s, pids %s, cpu %s; jobs under %s [%s]",
		 rep.backend, rep.memory ? "yes" : "NO", rep.pids ? "yes" : "NO",
		 rep.cpu ? "yes" : "NO", rep.parent, rep.layout);
	if (rep.memory && rep.pids && rep.cpu)
		return;
	c->result = FAIL;
	if (geteuid() == 0)
		snprintf(c->fix, sizeof(c->fix), "%s; mount the memory, pids and cpu controllers",
			 rep.problem);
	else
		snprintf(c->fix, sizeof(c->fix),
			 "%s. Without a delegated cgroup these limits are NOT enforced (each verdict "
			 "says so). Delegate one: with systemd, `systemd-run --user --scope -p "
			 "Delegate=yes stratbox ...`; or as root, mkdir a cgroup in each hierarchy, "
			 "chown it and its cgroup.procs to this user, and pass --cgroup-parent NAME",
			 rep.problem);
}

/* Run a command in the sandbox; fills status text, returns the verdict. */
static int sandboxed(const char *const argv[], int argc, double wall_s, sbx_verdict *v)
{
	sbx_config *cfg = sbx_config_new();
	cleanup_error sbx_error *err = NULL;
	sbx_config_set_wall_time(cfg, (uint64_t) (wall_s * 1e9), &err);
	sbx_config_set_argv(cfg, argc, (char *const *) argv, &err);
	int r = sbx_run(cfg, v, &err);
	sbx_config_free(cfg);
	return r;
}

static void check_python(struct check *c)
{
	if (access(STRATEGY_PYTHON, X_OK) != 0) {
		c->result = FAIL;
		snprintf(c->detail, sizeof(c->detail), "%s: %s", STRATEGY_PYTHON, strerror(errno));
		snprintf(c->fix, sizeof(c->fix), "apt-get install python3 python3-numpy python3-pandas");
		return;
	}
	const char *argv[] = { STRATEGY_PYTHON, "-c",
			       "import sys, numpy, pandas; print(sys.version.split()[0], "
			       "numpy.__version__, pandas.__version__)" };
	sbx_verdict v;
	sandboxed(argv, 3, 60, &v);
	if (v.status == SBX_OK && v.out.data) {
		char a[32] = "", b[32] = "", d[32] = "";
		sscanf(v.out.data, "%31s %31s %31s", a, b, d);
		snprintf(c->detail, sizeof(c->detail), "%s %s, numpy %s, pandas %s (imported in the "
			 "sandbox in %.0f ms)", STRATEGY_PYTHON, a, b, d, (double) v.wall_ns / 1e6);
	} else {
		c->result = FAIL;
		snprintf(c->detail, sizeof(c->detail), "%s: %.300s", sbx_status_name(v.status),
			 v.err.data && v.err.len ? v.err.data : (v.message ? v.message : ""));
		snprintf(c->fix, sizeof(c->fix), "apt-get install python3-numpy python3-pandas");
	}
	sbx_verdict_clear(&v);
}

/* The Python runtime's pool: the zygote starts, a warm job runs. */
static void check_pool(struct check *c, const char *parent)
{
	struct sbx_pool_options po = { .warm = 1, .cgroup_parent = parent, .log_fd = -1 };
	struct sbx_pool *pool = NULL;
	cleanup_error sbx_error *err = NULL;
	uint64_t t0 = now_ns();
	if (sbx_pool_start(&po, &pool, &err) < 0) {
		c->result = FAIL;
		snprintf(c->detail, sizeof(c->detail), "%s", err->msg);
		snprintf(c->fix, sizeof(c->fix),
			 "keep stratbox-zygote, stratbox-zygote-shared and python/ (make builds them) next to the stratbox "
			 "binary; apt-get install libpython3.11 python3-numpy python3-pandas");
		return;
	}
	uint64_t started = now_ns() - t0;
	static const char code[] = "import pandas\nprint(pandas.__version__)\n";
	struct sbx_job job = { .code = code, .code_len = sizeof(code) - 1 };
	struct sbx_job_result r;
	if (sbx_pool_run(pool, &job, &r, &err) < 0) {
		c->result = FAIL;
		snprintf(c->detail, sizeof(c->detail), "%s", err->msg);
	} else if (r.verdict.status != SBX_OK) {
		c->result = FAIL;
		snprintf(c->detail, sizeof(c->detail), "a job failed: %s: %.300s",
			 sbx_status_name(r.verdict.status),
			 r.error ? r.error : (r.verdict.message ? r.verdict.message : ""));
		snprintf(c->fix, sizeof(c->fix), "see the checks above");
	} else {
		snprintf(c->detail, sizeof(c->detail),
			 "zygote ready in %.0f ms; a job ran in %.1f ms (of it, waiting for a slot "
			 "%.1f ms)", (double) started / 1e6,
			 (double) (r.verdict.setup_ns + r.verdict.run_ns) / 1e6,
			 (double) r.queue_ns / 1e6);
	}
	sbx_job_result_clear(&r);
	sbx_pool_stop(pool);
}

static void check_run(struct check *c)
{
	const char *argv[] = { "/bin/true" };
	sbx_verdict v;
	sandboxed(argv, 1, 10, &v);
	if (v.status == SBX_OK) {
		snprintf(c->detail, sizeof(c->detail), "/bin/true: OK in %.1f ms (setup %.1f ms)",
			 (double) (v.setup_ns + v.run_ns + v.teardown_ns) / 1e6,
			 (double) v.setup_ns / 1e6);
	} else {
		c->result = FAIL;
		snprintf(c->detail, sizeof(c->detail), "%s: %s", sbx_status_name(v.status),
			 v.message ? v.message : "");
		snprintf(c->fix, sizeof(c->fix), "see the failures above");
	}
	sbx_verdict_clear(&v);
}

/* The run directory (docs/operations.md): usable, and what killed
 * supervisors left in it. */
static void check_rundir(struct check *c)
{
	char dir[4096];
	struct sbx_entry *v = NULL;
	size_t n = 0, stale = 0;
	cleanup_error sbx_error *err = NULL;
	if (sbx_run_dir(dir, sizeof(dir), &err) < 0 || sbx_entries_list(dir, &v, &n, &err) < 0) {
		c->result = WARN;
		snprintf(c->detail, sizeof(c->detail), "%s", err->msg);
		snprintf(c->fix, sizeof(c->fix),
			 "sandboxes still run, but `stratbox ps` and `kill` cannot see them; set "
			 "STRATBOX_RUN_DIR to a directory only you can write");
		return;
	}
	size_t off = 0;
	for (size_t i = 0; i < n; i++) {
		if (!v[i].stale)
			continue;
		stale++;
		int k = snprintf(c->fix + off, sizeof(c->fix) - off, "%s%s %s (supervisor pid %d)",
				 off ? ", " : "stale: ", v[i].kind, v[i].id, v[i].supervisor_pid);
		if (k > 0 && (size_t) k < sizeof(c->fix) - off)
			off += (size_t) k;
	}
	snprintf(c->detail, sizeof(c->detail), "%.1200s: %zu running, %zu stale", dir, n - stale, stale);
	if (stale > 0) {
		c->result = WARN;
		snprintf(c->fix + off, sizeof(c->fix) - off,
			 "; their supervisors were killed: any stratbox start removes what they "
			 "left (this doctor's own sandboxes did), `stratbox cleanup` without "
			 "starting one");
	}
	free(v);
}

/* The environments (docs/environments.md): each one's manifest readable,
 * and what a killed import left.  Not their zygotes: `stratbox env check
 * NAME` starts one and proves it. */
static void check_envs(struct check *c, const char *state_opt)
{
	cleanup_error sbx_error *err = NULL;
	cleanup_free char *state = sbx_env_state_dir(state_opt, &err);
	json_t *all = NULL;
	if (state == NULL || sbx_env_list(state, &all, &err) < 0) {
		c->result = WARN;
		snprintf(c->detail, sizeof(c->detail), "%s", err ? err->msg : "out of memory");
		snprintf(c->fix, sizeof(c->fix), "set STRATBOX_STATE_DIR or --state-dir");
		return;
	}
	size_t off = 0, bad = 0, i;
	json_t *m;
	json_array_foreach(all, i, m) {
		const char *e = json_string_value(json_object_get(m, "error"));
		int k = snprintf(c->detail + off, sizeof(c->detail) - off, "%s%s (%s)",
				 off ? ", " : "", json_string_value(json_object_get(m, "name")),
				 e ? "unreadable" : json_string_value(json_object_get(m, "kind")));
		if (k > 0 && (size_t) k < sizeof(c->detail) - off)
			off += (size_t) k;
		if (e != NULL) {
			bad++;
			snprintf(c->fix, sizeof(c->fix), "%s: `stratbox env rm` it and add it again",
				 e);
		}
	}
	/* what a killed `env import` or `env add` left */
	cleanup_free char *envs = str_printf("%s/envs", state);
	DIR *d = envs ? opendir(envs) : NULL;
	size_t tmps = 0;
	for (struct dirent *de; d && (de = readdir(d)) != NULL;)
		tmps += strncmp(de->d_name, ".tmp-", 5) == 0;
	if (d)
		closedir(d);
	snprintf(c->detail + off, sizeof(c->detail) - off, " in %.600s%s", state,
		 tmps ? "; unfinished imports left" : "");
	if (bad || tmps) {
		c->result = WARN;
		if (tmps && !bad)
			snprintf(c->fix, sizeof(c->fix),
				 "%zu .tmp-* director%s in %s/envs: an import or add that was killed "
				 "(or one still running): `stratbox cleanup` removes those nothing "
				 "holds",
				 tmps, tmps == 1 ? "y" : "ies", state);
	}
	json_decref(all);
}

int cmd_doctor(int argc, char **argv)
{
	bool json = false;
	const char *parent = NULL, *state_dir = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--state-dir") == 0 && i + 1 < argc) {
			state_dir = argv[++i];
		} else if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "--cgroup-parent") == 0 && i + 1 < argc) {
			parent = argv[++i];
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("usage: stratbox doctor [--json] [--cgroup-parent PATH] [--state-dir DIR]\n");
			return 0;
		} else if (strcmp(argv[i], "--cgroup-parent") == 0) {
			cli_err("doctor: option '--cgroup-parent' needs a value");
			return 2;
		} else {
			cli_err("doctor: unknown argument '%s'", argv[i]);
			return 2;
		}
	}
	struct check checks[] = {
		{ .name = "kernel", .required = true },
		{ .name = "user namespaces", .required = true },
		{ .name = "seccomp", .required = true },
		{ .name = "cgroup limits", .required = true },
		{ .name = "python runtime", .required = true },
		{ .name = "sandboxed run", .required = true },
		{ .name = "warm pool", .required = true },
		{ .name = "run directory", .required = false },
		{ .name = "environments", .required = false },
	};
	/* first: every sandbox start, the checks' own below included, sweeps
	 * the stale entries this reports */
	check_rundir(&checks[7]);
	check_kernel(&checks[0]);
	check_userns(&checks[1]);
	check_seccomp(&checks[2]);
	check_cgroup(&checks[3], parent);
	check_python(&checks[4]);
	check_run(&checks[5]);
	check_pool(&checks[6], parent);
	check_envs(&checks[8], state_dir);

	size_t n = sizeof(checks) / sizeof(checks[0]);
	bool ok = true;
	for (size_t i = 0; i < n; i++)
		if (checks[i].required && checks[i].result == FAIL)
			ok = false;
	static const char *words[] = { "ok", "warn", "FAIL" };
	if (json) {
		json_t *o = json_object(), *a = json_array();
		for (size_t i = 0; i < n; i++) {
			json_t *c = json_object();
			json_object_set_new(c, "name", json_string(checks[i].name));
			json_object_set_new(c, "status", json_string(words[checks[i].result]));
			json_object_set_new(c, "required", json_boolean(checks[i].required));
			json_object_set_new(c, "detail", json_string(checks[i].detail));
			json_object_set_new(c, "fix", checks[i].fix[0] ? json_string(checks[i].fix)
								       : json_null());
			json_array_append_new(a, c);
		}
		json_object_set_new(o, "ok", json_boolean(ok));
		json_object_set_new(o, "checks", a);
		char *s = json_dumps(o, JSON_INDENT(2));
		puts(s);
		free(s);
		json_decref(o);
	} else {
		printf("%-16s %-6s %s\n", "CHECK", "STATUS", "DETAIL");
		for (size_t i = 0; i < n; i++) {
			printf("%-16s %-6s %s\n", checks[i].name, words[checks[i].result],
			       checks[i].detail);
			if (checks[i].fix[0])
				printf("%-16s %-6s fix: %s\n", "", "", checks[i].fix);
		}
		printf("\n%s\n", ok ? "stratbox can run sandboxes here."
				    : "stratbox cannot run sandboxes here as configured: see FAIL above.");
	}
	return ok ? 0 : 1;
}
