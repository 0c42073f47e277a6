/* Operations (docs/operations.md): `stratbox ps`, `kill` and `cleanup` over
 * the run directory, and what is left when supervisors are killed with
 * SIGKILL at several points of their life: a `stratbox run` of a sleeping
 * command, a pool with warm slots and nothing to do, a pool running a
 * job (`stratbox exec --batch`).  Each time `cleanup` (or the next start)
 * must leave the machine as it was: no process, cgroup, run entry or
 * temporary file; the harness checks the same after every test.
 *
 * The suite's sandboxes register in a run directory of its own
 * (tests/leftovers.c sets STRATBOX_RUN_DIR): another user's stratbox on
 * this machine never counts.  Only processes these tests started are
 * signalled, by pid. */
#include "leftovers.h"
#include "pyrt.h"
#include "tests.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *run_dir(void)
{
	const char *d = getenv("STRATBOX_RUN_DIR");
	CHECK(d != NULL && *d, "the suite runs with a run directory of its own");
	return d;
}

/* Files in the run directory (entries, kill FIFOs, unfinished ones). */
static int run_dir_files(void)
{
	DIR *d = opendir(run_dir());
	int n = 0;
	struct dirent *e;
	while (d != NULL && (e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	if (d != NULL)
		closedir(d);
	return n;
}

/* `stratbox ps --json [--all]` as parsed JSON (an array). */
static json_t *ps(bool all)
{
	int rc;
	char *out = run_cli(all ? (const char *const[]){ "ps", "--json", "--all", NULL }
				: (const char *const[]){ "ps", "--json", NULL },
			    &rc);
	CHECK_INT_EQ(rc, 0);
	json_error_t je;
	json_t *a = json_loads(out, 0, &je);
	CHECK(a != NULL && json_is_array(a), "ps --json printed: %.300s", out);
	free(out);
	return a;
}

static json_t *find_kind(json_t *a, const char *kind)
{
	size_t i;
	json_t *e;
	json_array_foreach(a, i, e) {
		if (strcmp(json_string_value(json_object_get(e, "kind")), kind) == 0)
			return e;
	}
	return NULL;
}

static const char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	CHECK(s != NULL, "\"%s\" is a string", key);
	return s;
}

/* Wait (bounded) until ps lists a live entry of this kind; its id out. */
static void wait_listed(const char *kind, char *id, size_t size)
{
	for (int i = 0; i < 3000; i++) {
		json_t *a = ps(false);
		json_t *e = find_kind(a, kind);
		if (e != NULL) {
			snprintf(id, size, "%s", jstr(e, "id"));
			json_decref(a);
			return;
		}
		json_decref(a);
		test_sleep_ms(10);
	}
	test_fail_at(__FILE__, __LINE__, "no running %s listed by stratbox ps", kind);
}

/* stratbox run [--json] [--cgroup-parent P] -- sh -c 'sleep 600; TOKEN' */
static pid_t start_run(const char *token, bool json, int *out_fd)
{
	const char *parent = t_cgroup_parent();
	char script[128];
	snprintf(script, sizeof(script), "sleep 600; exit 0 # %s", token);
	const char *argv[12];
	int n = 0;
	argv[n++] = test_stratbox();
	argv[n++] = "run";
	if (json)
		argv[n++] = "--json";
	argv[n++] = "--wall-time";
	argv[n++] = "600";
	if (parent != NULL) {
		argv[n++] = "--cgroup-parent";
		argv[n++] = parent;
	}
	argv[n++] = "--";
	argv[n++] = "/bin/sh";
	argv[n++] = "-c";
	argv[n++] = script;
	argv[n] = NULL;
	return test_start(&(struct test_cmd){ .argv = argv, .err = TEST_STDERR_INHERIT }, out_fd);
}

/* The sandbox's init: the supervisor's child. */
static int child_of(pid_t sup)
{
	char path[64], buf[256];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int) sup, (int) sup);
	FILE *f = fopen(path, "r");
	int pid = 0;
	if (f != NULL) {
		if (fgets(buf, sizeof(buf), f) != NULL)
			pid = atoi(buf);
		fclose(f);
	}
	return pid;
}

/* `stratbox cleanup` with this run's cgroup parent; its stdout. */
static char *cleanup(const char *extra, int *rc)
{
	const char *parent = t_cgroup_parent();
	const char *args[8];
	int n = 0;
	args[n++] = "cleanup";
	if (extra != NULL)
		args[n++] = extra;
	if (parent != NULL) {
		args[n++] = "--cgroup-parent";
		args[n++] = parent;
	}
	args[n] = NULL;
	return run_cli(args, rc);
}

static void kill_and_reap(pid_t pid, int sig)
{
	CHECK(kill(pid, sig) == 0);
	CHECK(waitpid(pid, NULL, 0) == pid);
}

/* What a SIGKILLed supervisor leaves, then what cleanup leaves: nothing. */
static void check_cleanup_removes_all(int stale_entries)
{
	int rc;
	char first[1100];
	int cgroups = count_job_cgroups(first, sizeof(first));
	CHECK_INT_EQ(run_dir_files() >= stale_entries, 1);
	/* --dry-run names them and removes nothing */
	char *out = cleanup("--dry-run", &rc);
	CHECK_INT_EQ(rc, 0);
	CHECK_CONTAINS(out, "would remove run entry ");
	if (cgroups > 0)
		CHECK_CONTAINS(out, "would remove cgroup ");
	free(out);
	CHECK(run_dir_files() >= stale_entries, "--dry-run removed entries");
	CHECK_INT_EQ(count_job_cgroups(NULL, 0), cgroups);
	out = cleanup(NULL, &rc);
	CHECK_INT_EQ(rc, 0);
	CHECK_CONTAINS(out, "removed run entry ");
	if (cgroups > 0)
		CHECK_CONTAINS(out, "removed cgroup ");
	CHECK_NOT_CONTAINS(out, "would remove");
	free(out);
	CHECK_INT_EQ(run_dir_files(), 0);
	CHECK_INT_EQ(count_job_cgroups(first, sizeof(first)), 0);
	CHECK_INT_EQ(count_processes_with("stratbox-zygote"), 0);
	out = cleanup(NULL, &rc);
	CHECK_INT_EQ(rc, 0);
	CHECK_STR_EQ(out, "nothing to remove\n");
	free(out);
}

/* ps --json lists a live run with every field right. */
void p_ps_lists_live_run_field_by_field(void)
{
	char token[64], id[16];
	snprintf(token, sizeof(token), "sbx-ps-%d", (int) getpid());
	int out;
	pid_t sup = start_run(token, true, &out);
	wait_listed("run", id, sizeof(id));
	json_t *a = ps(false);
	CHECK_INT_EQ(json_array_size(a), 1);
	json_t *e = json_array_get(a, 0);
	CHECK_INT_EQ(strlen(jstr(e, "id")), 8);
	CHECK_INT_EQ(strspn(jstr(e, "id"), "0123456789abcdef"), 8);
	CHECK_STR_EQ(jstr(e, "kind"), "run");
	CHECK_STR_EQ(jstr(e, "env"), "host");
	CHECK_STR_EQ(jstr(e, "state"), "running");
	CHECK_INT_EQ(json_integer_value(json_object_get(e, "supervisor_pid")), sup);
	CHECK_INT_EQ(json_integer_value(json_object_get(e, "pid")), child_of(sup));
	CHECK_INT_EQ(json_integer_value(json_object_get(e, "uid")), geteuid());
	CHECK(json_is_null(json_object_get(e, "pool")));
	double age = json_real_value(json_object_get(e, "age_seconds"));
	CHECK(age >= 0 && age < 120, "age %f", age);
	CHECK(json_real_value(json_object_get(e, "created")) > 1.6e9);
	char command[160];
	snprintf(command, sizeof(command), "/bin/sh -c 'sleep 600; exit 0 # %s'", token);
	CHECK_STR_EQ(jstr(e, "command"), command);
	json_t *cg = json_object_get(e, "cgroups");
	CHECK(json_is_array(cg));
	if (test_have_cgroups()) {
		char name[64];
		snprintf(name, sizeof(name), "/stratbox-%d-", (int) sup);
		CHECK(json_array_size(cg) >= 1);
		for (size_t i = 0; i < json_array_size(cg); i++) {
			const char *p = json_string_value(json_array_get(cg, i));
			CHECK_CONTAINS(p, name);
			CHECK(access(p, F_OK) == 0, "%s exists", p);
		}
		/* measured (v1: 0 until the init has moved itself in) */
		CHECK(json_is_integer(json_object_get(e, "memory_bytes")));
	}
	json_t *cpu = json_object_get(e, "cpu_seconds");
	CHECK(json_is_null(cpu) || json_real_value(cpu) >= 0);
	json_decref(a);
	/* the table shows the same */
	int rc;
	char *table = run_cli((const char *const[]){ "ps", NULL }, &rc);
	CHECK_INT_EQ(rc, 0);
	CHECK_CONTAINS(table, id);
	CHECK_CONTAINS(table, token);
	free(table);
	kill_and_reap(sup, SIGTERM); /* interrupted: a clean stop */
	close(out);
	CHECK_INT_EQ(run_dir_files(), 0);
}

/* kill ID ends a live run: its supervisor reports SANDBOX_ERROR "killed",
 * exit 125, and nothing of it is left; a second kill finds nothing. */
void p_kill_ends_run_with_sandbox_error_killed(void)
{
	char token[64], id[16];
	snprintf(token, sizeof(token), "sbx-kill-%d", (int) getpid());
	int out;
	pid_t sup = start_run(token, true, &out);
	wait_listed("run", id, sizeof(id));
	int rc;
	char *said = run_cli((const char *const[]){ "kill", id, NULL }, &rc);
	CHECK_INT_EQ(rc, 0);
	char want[64];
	snprintf(want, sizeof(want), "run %s ended\n", id);
	CHECK_STR_EQ(said, want);
	free(said);
	char *verdict = test_read_all(out);
	close(out);
	int st;
	CHECK(waitpid(sup, &st, 0) == sup);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 125, "stratbox run's status %d", st);
	json_t *v = json_loads(verdict, 0, NULL);
	CHECK(v != NULL, "verdict: %.300s", verdict);
	CHECK_STR_EQ(json_string_value(json_object_get(v, "status")), "SANDBOX_ERROR");
	CHECK_CONTAINS(json_string_value(json_object_get(v, "message")),
		       "killed: `stratbox kill` ended the sandbox");
	json_decref(v);
	free(verdict);
	CHECK_INT_EQ(count_processes_with(token), 0);
	CHECK_INT_EQ(count_job_cgroups(NULL, 0), 0);
	CHECK_INT_EQ(run_dir_files(), 0);
	said = run_cli((const char *const[]){ "kill", id, NULL }, &rc);
	CHECK_INT_EQ(rc, 1);
	free(said);
}

/* A `stratbox run` of a sleeping command (its token "sbx-NAME-PID"),
 * listed (its id into id), then its supervisor SIGKILLed and reaped: the
 * sandbox must go with it.  Returns the supervisor's pid. */
static pid_t killed_run(const char *name, char *id, size_t size)
{
	char token[64];
	snprintf(token, sizeof(token), "sbx-%s-%d", name, (int) getpid());
	int out;
	pid_t sup = start_run(token, false, &out);
	wait_listed("run", id, size);
	kill_and_reap(sup, SIGKILL);
	close(out);
	CHECK(processes_gone_within(token, 5000), "the sandbox outlived its killed supervisor");
	return sup;
}

/* A run whose supervisor was SIGKILLed: never listed as running (only
 * with --all, as stale), doctor names it, and cleanup (after a dry run
 * that removes nothing) leaves nothing. */
void p_killed_run_never_listed_live_and_cleaned_up(void)
{
	char id[16];
	(void) killed_run("stale", id, sizeof(id));
	json_t *a = ps(false);
	CHECK_INT_EQ(json_array_size(a), 0);
	json_decref(a);
	a = ps(true);
	CHECK_INT_EQ(json_array_size(a), 1);
	CHECK_STR_EQ(jstr(json_array_get(a, 0), "id"), id);
	CHECK_STR_EQ(jstr(json_array_get(a, 0), "state"), "stale");
	CHECK(json_is_null(json_object_get(json_array_get(a, 0), "memory_bytes")));
	json_decref(a);
	int rc;
	char *said = run_cli((const char *const[]){ "kill", id, NULL }, &rc);
	CHECK_INT_EQ(rc, 1); /* not running: nothing to kill */
	free(said);
	check_cleanup_removes_all(1);
}

/* doctor names a killed run's stale entry (and its own sandbox runs
 * sweep it, as every start does). */
void p_doctor_reports_stale_entry(void)
{
	char id[16];
	pid_t sup = killed_run("doctor", id, sizeof(id));
	const char *parent = t_cgroup_parent();
	int rc;
	char *o = run_cli(parent ? (const char *const[]){ "doctor", "--json", "--cgroup-parent",
							  parent, NULL }
				 : (const char *const[]){ "doctor", "--json", NULL },
			  &rc);
	json_t *d = json_loads(o, 0, NULL);
	CHECK(d != NULL, "doctor --json printed: %.300s", o);
	free(o);
	json_t *checks = json_object_get(d, "checks"), *c = NULL;
	for (size_t i = 0; i < json_array_size(checks); i++)
		if (strcmp(jstr(json_array_get(checks, i), "name"), "run directory") == 0)
			c = json_array_get(checks, i);
	CHECK(c != NULL, "no run directory check");
	CHECK_STR_EQ(jstr(c, "status"), "warn");
	CHECK(json_is_false(json_object_get(c, "required")));
	CHECK_CONTAINS(jstr(c, "detail"), run_dir());
	CHECK_CONTAINS(jstr(c, "detail"), ": 0 running, 1 stale");
	char want[64];
	snprintf(want, sizeof(want), "stale: run %s (supervisor pid %d)", id, (int) sup);
	CHECK_CONTAINS(jstr(c, "fix"), want);
	json_decref(d);
	CHECK_INT_EQ(run_dir_files(), 0);
	CHECK_INT_EQ(count_job_cgroups(NULL, 0), 0);
}

/* The next start sweeps a killed run's entry (and its cgroup). */
void p_next_start_sweeps_killed_run(void)
{
	char id[16];
	(void) killed_run("sweep", id, sizeof(id));
	CHECK(run_dir_files() >= 1);
	const char *parent = t_cgroup_parent();
	int rc;
	char *o = run_cli(parent ? (const char *const[]){ "run", "--cgroup-parent", parent, "--",
							  "/bin/true", NULL }
				 : (const char *const[]){ "run", "--", "/bin/true", NULL },
			  &rc);
	CHECK_INT_EQ(rc, 0);
	free(o);
	CHECK_INT_EQ(run_dir_files(), 0);
	CHECK_INT_EQ(count_job_cgroups(NULL, 0), 0);
}

/* cleanup, even with --older-than 1s, never touches a live run. */
void p_cleanup_never_touches_live_run(void)
{
	char token[64], id[16];
	snprintf(token, sizeof(token), "sbx-live-%d", (int) getpid());
	int out;
	pid_t sup = start_run(token, false, &out);
	wait_listed("run", id, sizeof(id));
	test_sleep_ms(1100);
	int cgroups = count_job_cgroups(NULL, 0), rc;
	char *said = cleanup(NULL, &rc);
	CHECK_INT_EQ(rc, 0);
	CHECK_STR_EQ(said, "nothing to remove\n");
	free(said);
	said = run_cli((const char *const[]){ "cleanup", "--older-than", "1s", NULL }, &rc);
	CHECK_INT_EQ(rc, 0);
	CHECK_STR_EQ(said, "nothing to remove\n");
	free(said);
	CHECK_INT_EQ(count_job_cgroups(NULL, 0), cgroups);
	CHECK(count_processes_with(token) >= 1, "cleanup ended a live run");
	CHECK(waitpid(sup, NULL, WNOHANG) == 0, "the supervisor ended");
	json_t *a = ps(false);
	CHECK_INT_EQ(json_array_size(a), 1);
	CHECK_STR_EQ(jstr(json_array_get(a, 0), "id"), id);
	json_decref(a);
	kill_and_reap(sup, SIGTERM);
	close(out);
}

/* A job that sleeps (with a memory limit of its own, for job_running()). */
static const char sleeping_job[] =
	"{\"code\": \"import time\\ntime.sleep(600)\", \"timeout\": 600, \"memory\": \"300M\"}\n";

/* stratbox exec --batch FILE (a sleeping job), its stdout on *out_fd. */
static pid_t start_batch(char *path, int *out_fd)
{
	const char *parent = t_cgroup_parent();
	test_temp_file(path, sleeping_job);
	const char *argv[] = { test_stratbox(), "exec", "--batch", path, "--parallel", "1",
			       parent ? "--cgroup-parent" : NULL, parent, NULL };
	return test_start(&(struct test_cmd){ .argv = argv, .err = TEST_STDERR_INHERIT }, out_fd);
}

/* A pool's and its zygote's entries, field by field. */
static void check_pool_entries(pid_t owner, const char *command, char *pool_id, size_t size)
{
	char zid[16];
	wait_listed("pool", pool_id, size);
	wait_listed("zygote", zid, sizeof(zid));
	json_t *a = ps(false);
	json_t *p = find_kind(a, "pool"), *z = find_kind(a, "zygote");
	CHECK(p != NULL && z != NULL);
	CHECK_STR_EQ(jstr(p, "env"), "host");
	CHECK_STR_EQ(jstr(p, "state"), "running");
	CHECK_INT_EQ(json_integer_value(json_object_get(p, "supervisor_pid")), owner);
	CHECK(json_is_null(json_object_get(p, "pid")));
	CHECK_CONTAINS(jstr(p, "command"), command);
	CHECK_STR_EQ(jstr(z, "env"), "host");
	CHECK_STR_EQ(jstr(z, "pool"), pool_id);
	CHECK_INT_EQ(json_integer_value(json_object_get(z, "supervisor_pid")), owner);
	CHECK(json_integer_value(json_object_get(z, "pid")) > 0);
	CHECK_STR_EQ(jstr(z, "command"), "/opt/stratbox/bin/stratbox-zygote");
	if (test_have_cgroups()) {
		CHECK(json_array_size(json_object_get(p, "cgroups")) >= 1);
		CHECK(json_integer_value(json_object_get(p, "sandboxes")) >= 1);
		CHECK(json_is_integer(json_object_get(p, "memory_bytes")));
	}
	json_decref(a);
}

/* A pool with warm slots and nothing to do (made through the library by a
 * child of this test) killed with SIGKILL: nothing listed as running;
 * cleanup leaves nothing. */
void p_killed_idle_pool_cleaned_up(void)
{
	int ready[2];
	CHECK(pipe(ready) == 0);
	fflush(NULL);
	pid_t owner = fork();
	CHECK(owner >= 0);
	if (owner == 0) {
		close(ready[0]);
		struct sbx_pool *pool = test_pool(false, 2);
		t_wait_ready(pool, 2);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	char c;
	CHECK(read(ready[0], &c, 1) == 1, "the pool did not get ready");
	close(ready[0]);
	char pool_id[16];
	check_pool_entries(owner, "pyrt", pool_id, sizeof(pool_id));
	kill_and_reap(owner, SIGKILL);
	CHECK(processes_gone_within("stratbox-zygote", 5000), "the zygote outlived its pool's owner");
	json_t *a = ps(false);
	CHECK_INT_EQ(json_array_size(a), 0);
	json_decref(a);
	a = ps(true);
	CHECK_INT_EQ(json_array_size(a), 2);
	json_decref(a);
	check_cleanup_removes_all(2);
}

/* Whether one of the owner's job cgroups has this memory limit: a job
 * gives its slot's cgroup its own limits when it starts. */
static bool job_running(pid_t owner, uint64_t limit)
{
	json_t *a = ps(false);
	json_t *p = find_kind(a, "pool");
	json_t *cg = p ? json_object_get(p, "cgroups") : NULL;
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "stratbox-%d-", (int) owner);
	bool found = false;
	for (size_t i = 0; !found && cg && i < json_array_size(cg); i++) {
		const char *dir = json_string_value(json_array_get(cg, i));
		DIR *d = opendir(dir);
		struct dirent *e;
		while (!found && d != NULL && (e = readdir(d)) != NULL) {
			if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
				continue;
			static const char *const files[] = { "memory.max", "memory.limit_in_bytes" };
			for (size_t f = 0; f < 2 && !found; f++) {
				char path[1200], buf[64];
				snprintf(path, sizeof(path), "%s/%s/%s", dir, e->d_name, files[f]);
				FILE *fp = fopen(path, "r");
				if (fp != NULL) {
					found = fgets(buf, sizeof(buf), fp) && strtoull(buf, NULL, 10) == limit;
					fclose(fp);
				}
			}
		}
		if (d != NULL)
			closedir(d);
	}
	json_decref(a);
	return found;
}

/* Wait until the batch's job runs (its slot has the job's memory limit);
 * without cgroups there is nothing to see it by: a moment. */
static void wait_job_running(pid_t owner)
{
	if (!test_have_cgroups()) {
		test_sleep_ms(1500);
		return;
	}
	int i;
	for (i = 0; i < 2000 && !job_running(owner, 300ull << 20); i++)
		test_sleep_ms(10);
	CHECK(i < 2000, "the job never took a slot");
}

/* exec --batch killed with SIGKILL while a job runs: the same. */
void p_killed_batch_job_cleaned_up(void)
{
	char path[] = "/tmp/stratbox-ops-XXXXXX";
	int out;
	pid_t owner = start_batch(path, &out);
	char pool_id[16];
	check_pool_entries(owner, "exec --batch", pool_id, sizeof(pool_id));
	wait_job_running(owner);
	kill_and_reap(owner, SIGKILL);
	close(out);
	unlink(path);
	CHECK(processes_gone_within("stratbox-zygote", 5000), "the zygote outlived its pool's owner");
	json_t *a = ps(false);
	CHECK_INT_EQ(json_array_size(a), 0);
	json_decref(a);
	check_cleanup_removes_all(2);
}

/* kill POOL: its owner is sent SIGTERM; exec stops its running job
 * (SANDBOX_ERROR, interrupted) and its pool, and exits 125, leaving
 * nothing (no entry, no cgroup) for kill or a later start to remove. */
void p_kill_pool_ends_its_owner(void)
{
	char path[] = "/tmp/stratbox-ops-XXXXXX";
	int out;
	pid_t owner = start_batch(path, &out);
	char pool_id[16];
	check_pool_entries(owner, "exec --batch", pool_id, sizeof(pool_id));
	wait_job_running(owner);
	int rc;
	char *said = run_cli((const char *const[]){ "kill", pool_id, NULL }, &rc);
	CHECK_INT_EQ(rc, 0);
	char want[64];
	snprintf(want, sizeof(want), "pool %s ended\n", pool_id);
	CHECK_STR_EQ(said, want);
	free(said);
	int st;
	CHECK(waitpid(owner, &st, 0) == owner);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 125, "exec's status %#x", st);
	char *lines = test_read_all(out);
	CHECK_CONTAINS(lines, "\"status\":\"SANDBOX_ERROR\"");
	CHECK_CONTAINS(lines, "interrupted: stratbox was asked to stop");
	free(lines);
	close(out);
	unlink(path);
	CHECK(processes_gone_within("stratbox-zygote", 5000));
	CHECK_INT_EQ(run_dir_files(), 0);
	CHECK_INT_EQ(count_job_cgroups(NULL, 0), 0);
}

/* A pool's slots are listed (found in its cgroups: nothing is registered
 * per job), each with its environment, pid and figures; `kill POOL.SEQ`
 * ends one slot, and the job it ran ends SIGNALED; the pool goes on to
 * its end. */
void p_ps_lists_pool_slots_kill_slot_ends_its_job(void)
{
	if (!test_have_cgroups())
		test_skip("slots are found through their cgroups");
	char path[] = "/tmp/stratbox-ops-XXXXXX";
	int out;
	pid_t owner = start_batch(path, &out);
	char pool_id[16];
	check_pool_entries(owner, "exec --batch", pool_id, sizeof(pool_id));
	wait_job_running(owner);
	json_t *a = ps(false);
	size_t slots = 0;
	char ids[8][16];
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *e = json_array_get(a, i);
		if (strcmp(jstr(e, "kind"), "slot") != 0)
			continue;
		CHECK_STR_EQ(jstr(e, "pool"), pool_id);
		CHECK_STR_EQ(jstr(e, "env"), "host");
		CHECK(strncmp(jstr(e, "id"), pool_id, strlen(pool_id)) == 0 &&
			      jstr(e, "id")[strlen(pool_id)] == '.',
		      "slot id %s", jstr(e, "id"));
		CHECK(json_integer_value(json_object_get(e, "pid")) > 0);
		CHECK(json_is_integer(json_object_get(e, "memory_bytes")));
		if (slots < 8)
			snprintf(ids[slots++], sizeof(ids[0]), "%s", jstr(e, "id"));
	}
	json_decref(a);
	CHECK(slots >= 1, "no slot listed");
	/* every slot listed, the job's among them */
	int rc, killed = 0;
	for (size_t i = 0; i < slots; i++) {
		/* once the job's slot is gone the batch ends, and its pool with it:
		 * the slots after that one are no longer there to kill */
		char *said = run_cli((const char *const[]){ "kill", ids[i], NULL }, &rc);
		if (rc == 0) {
			char want[64];
			snprintf(want, sizeof(want), "slot %s ended\n", ids[i]);
			CHECK_STR_EQ(said, want);
			killed++;
		}
		free(said);
	}
	CHECK(killed >= 1, "no slot could be killed");
	char *res = test_read_all(out);
	close(out);
	CHECK_CONTAINS(res, "\"status\":\"SIGNALED\"");
	CHECK_CONTAINS(res, "killed by signal 9");
	free(res);
	int st;
	CHECK(waitpid(owner, &st, 0) == owner);
	unlink(path);
	char *said = run_cli((const char *const[]){ "kill", "ffffffff.7", NULL }, &rc);
	CHECK_INT_EQ(rc, 1);
	free(said);
	CHECK(processes_gone_within("stratbox-zygote", 5000));
	CHECK_INT_EQ(run_dir_files(), 0);
	CHECK_INT_EQ(count_job_cgroups(NULL, 0), 0);
}

static void make_file(const char *path, bool old)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0, "%s: %s", path, strerror(errno));
	CHECK(write(fd, "x", 1) == 1);
	close(fd);
	if (old) {
		struct timespec t[2] = { { time(NULL) - 3600, 0 }, { time(NULL) - 3600, 0 } };
		CHECK(utimensat(AT_FDCWD, path, t, AT_SYMLINK_NOFOLLOW) == 0);
	}
}

/* Temporary files stratbox makes in a state directory go once untouched
 * for 10 minutes (or --older-than); a fresh one, and anything not named
 * as stratbox names them, stay; --dry-run removes nothing. */
void p_cleanup_removes_only_stale_temp_files(void)
{
	char state[] = "/tmp/stratbox-state-XXXXXX";
	CHECK(mkdtemp(state) != NULL);
	char p[512];
	snprintf(p, sizeof(p), "%s/envs", state);
	CHECK(mkdir(p, 0700) == 0);
	snprintf(p, sizeof(p), "%s/reports", state);
	CHECK(mkdir(p, 0700) == 0);
	snprintf(p, sizeof(p), "%s/envs/.tmp-old", state);
	CHECK(mkdir(p, 0700) == 0);
	snprintf(p, sizeof(p), "%s/envs/.tmp-old/layer", state);
	make_file(p, true);
	snprintf(p, sizeof(p), "%s/envs/.tmp-old", state);
	struct timespec t[2] = { { time(NULL) - 3600, 0 }, { time(NULL) - 3600, 0 } };
	CHECK(utimensat(AT_FDCWD, p, t, 0) == 0);
	snprintf(p, sizeof(p), "%s/envs/.tmp-fresh", state);
	make_file(p, false);
	snprintf(p, sizeof(p), "%s/envs/mine", state);
	make_file(p, true);
	snprintf(p, sizeof(p), "%s/reports/a1.html.tmp.1234", state);
	make_file(p, true);
	snprintf(p, sizeof(p), "%s/reports/a1.html", state);
	make_file(p, true);
	snprintf(p, sizeof(p), "%s/reports/notes.tmp.1", state);
	make_file(p, true);

	int rc;
	char *out = run_cli((const char *const[]){ "cleanup", "--dry-run", "--state-dir", state, NULL },
			    &rc);
	CHECK_INT_EQ(rc, 0);
	char want[600];
	snprintf(want, sizeof(want),
		 "would remove temporary file %s/envs/.tmp-old\n"
		 "would remove temporary file %s/reports/a1.html.tmp.1234\n",
		 state, state);
	CHECK_STR_EQ(out, want);
	free(out);
	snprintf(p, sizeof(p), "%s/envs/.tmp-old/layer", state);
	CHECK(access(p, F_OK) == 0, "--dry-run removed %s", p);
	out = run_cli((const char *const[]){ "cleanup", "--state-dir", state, NULL }, &rc);
	CHECK_INT_EQ(rc, 0);
	snprintf(want, sizeof(want),
		 "removed temporary file %s/envs/.tmp-old\n"
		 "removed temporary file %s/reports/a1.html.tmp.1234\n",
		 state, state);
	CHECK_STR_EQ(out, want);
	free(out);
	static const char *const stay[] = { "envs/.tmp-fresh", "envs/mine", "reports/a1.html",
					    "reports/notes.tmp.1" };
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s/%s", state, stay[i]);
		CHECK(access(p, F_OK) == 0, "cleanup removed %s", p);
	}
	/* --older-than 1s: the fresh one too, once a second old */
	test_sleep_ms(1100);
	out = run_cli((const char *const[]){ "cleanup", "--older-than", "1s", "--state-dir", state,
					     NULL },
		      &rc);
	CHECK_INT_EQ(rc, 0);
	snprintf(want, sizeof(want), "removed temporary file %s/envs/.tmp-fresh\n", state);
	CHECK_STR_EQ(out, want);
	free(out);
	for (size_t i = 1; i < 4; i++) {
		snprintf(p, sizeof(p), "%s/%s", state, stay[i]);
		CHECK(unlink(p) == 0, "%s: %s", p, strerror(errno));
	}
	snprintf(p, sizeof(p), "%s/envs", state);
	CHECK(rmdir(p) == 0);
	snprintf(p, sizeof(p), "%s/reports", state);
	CHECK(rmdir(p) == 0);
	CHECK(rmdir(state) == 0);
}

/* Usage errors exit 2; an unknown id exits 1. */
void p_ps_kill_cleanup_usage_errors_exit_2(void)
{
	static const char *const bad[][4] = {
		{ "ps", "--bogus", NULL },
		{ "ps", "extra", NULL },
		{ "kill", NULL },
		{ "kill", "a", "b", NULL },
		{ "kill", "--bogus", NULL },
		{ "cleanup", "--older-than", "soon", NULL },
		{ "cleanup", "--bogus", NULL },
		{ "cleanup", "extra", NULL },
	};
	int rc;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *out = run_cli(bad[i], &rc);
		CHECK(rc == 2, "stratbox %s %s: exit %d, want 2", bad[i][0], bad[i][1] ? bad[i][1] : "",
		      rc);
		free(out);
	}
	char *out = run_cli((const char *const[]){ "kill", "0123abcd", NULL }, &rc);
	CHECK_INT_EQ(rc, 1);
	free(out);
	static const char *const cmds[] = { "ps", "kill", "cleanup" };
	for (size_t i = 0; i < 3; i++) {
		out = run_cli((const char *const[]){ cmds[i], "--help", NULL }, &rc);
		CHECK_INT_EQ(rc, 0);
		CHECK_CONTAINS(out, "usage: stratbox ");
		free(out);
	}
}

/* SIGINT, SIGTERM and SIGHUP on `exec` (one job, a batch) and `backtest`
 * (one run, a sweep): the running jobs are stopped, their results say so,
 * a batch's lines not started are reported as not run, the command exits
 * 125, and nothing is left: no entry, no cgroup, no process (the suite's
 * leftover check after the test, and here before any sweep could run). */
void p_interrupted_exec_and_backtest_stop_their_jobs_and_leave_nothing(void)
{
	char code[] = "/tmp/stratbox-ops-XXXXXX", batch[] = "/tmp/stratbox-ops-XXXXXX",
	     strat[] = "/tmp/stratbox-ops-XXXXXX";
	test_temp_file(code, "import time\ntime.sleep(600)\n");
	test_temp_file(batch, "{\"id\": 1, \"code\": \"import time\\ntime.sleep(600)\"}\n"
			      "{\"id\": 2, \"code\": \"print(2)\"}\n");
	test_temp_file(strat, "import time\n"
			      "class Slow(BaseStrategy):\n"
			      "    def generate_signals(self, current_data):\n"
			      "        time.sleep(0.05)\n"
			      "        return []\n");
	const char *parent = t_cgroup_parent();
	char data[1024];
	snprintf(data, sizeof(data), "%s/GOOG.csv", t_bars_dir());
	struct {
		const char *argv[16];
		int sig;
		const char *want[2];
	} cases[] = {
		{ { "exec", "--json", "--timeout", "600", code }, SIGTERM,
		  { "\"status\":\"SANDBOX_ERROR\"", "interrupted: stratbox was asked to stop" } },
		{ { "exec", "--batch", batch, "--parallel", "1", "--timeout", "600" }, SIGINT,
		  { "interrupted: stratbox was asked to stop", "line 2: not run: stratbox was interrupted" } },
		{ { "backtest", strat, "--data", data, "--json" }, SIGHUP,
		  { "\"status\":\"CANCELLED\"", "cancelled: the strategy's process was killed" } },
		{ { "backtest", strat, "--data", data, "--json", "--grid", "x=1:2:1", "--parallel", "2" },
		  SIGTERM, { "\"status\":\"CANCELLED\"", "cancelled: the strategy's process was killed" } },
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const char *argv[24] = { test_stratbox() };
		size_t n = 1;
		for (size_t i = 0; cases[k].argv[i]; i++)
			argv[n++] = cases[k].argv[i];
		if (parent != NULL) {
			argv[n++] = "--cgroup-parent";
			argv[n++] = parent;
		}
		argv[n] = NULL;
		int out;
		pid_t owner = test_start(&(struct test_cmd){ .argv = argv, .err = TEST_STDERR_INHERIT },
					 &out);
		char pool_id[16];
		wait_listed("pool", pool_id, sizeof(pool_id));
		test_sleep_ms(1500); /* the job under way (had it not started, it is stopped as it starts) */
		CHECK(kill(owner, cases[k].sig) == 0);
		char *text = test_read_all(out);
		int st;
		CHECK(waitpid(owner, &st, 0) == owner);
		close(out);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 125, "%s: status %#x", argv[1], st);
		CHECK_CONTAINS(text, cases[k].want[0]);
		CHECK_CONTAINS(text, cases[k].want[1]);
		free(text);
		/* what it made, it removed itself: nothing for a sweep to find */
		CHECK_INT_EQ(run_dir_files(), 0);
		CHECK_INT_EQ(count_job_cgroups(NULL, 0), 0);
		CHECK(processes_gone_within("stratbox-zygote", 5000));
	}
	unlink(code);
	unlink(batch);
	unlink(strat);
}
