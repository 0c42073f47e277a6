/* The pool keeps serving: jobs that crash their slot, a killed zygote;
 * and the exec command, single and batch. */
#include "leftovers.h"
#include "pyrt.h"
#include "tests.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void p_pool_survives_slot_crashes(void)
{
	struct sbx_pool *pool = test_pool(true, 2);
	static const struct {
		const char *code, *status;
		int exit_code;
	} cases[] = {
		{ "import os\nos._exit(7)\n", "NONZERO_EXIT", 7 },
		{ "import ctypes\nctypes.string_at(0)\n", "SIGNALED", 139 },
		/* the job is pid 1 of its namespace: its own SIGABRT is ignored,
		 * and glibc's abort() then ends in a fault (SIGSEGV) */
		{ "import os, signal\nos.abort()\n", "SIGNALED", 139 },
		{ "import sys\nsys.stdout.close(); sys.stderr.close()\nimport os\nos.close(1)\n",
		  "OK", 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sbx_job_result r;
		run_code(pool, cases[i].code, &r);
		if (strcmp(rstatus(&r), cases[i].status) != 0)
			test_fail_at(__FILE__, __LINE__, "case %zu: %s, want %s (%s)", i, rstatus(&r),
				     cases[i].status, r.verdict.message ? r.verdict.message : "");
		CHECK_INT_EQ(r.verdict.exit_code, cases[i].exit_code);
		sbx_job_result_clear(&r);
		/* and the pool still serves */
		run_code(pool, "print('alive')\n", &r);
		EXPECT_JOB(&r, "OK");
		sbx_job_result_clear(&r);
	}
	sbx_pool_stop(pool);
}

/* Kill the zygote: the pool starts a new one and the next job runs. */
void p_pool_restarts_killed_zygote(void)
{
	struct sbx_pool *pool = test_pool(false, 1);
	struct sbx_job_result r;
	run_code(pool, "print(1)\n", &r);
	EXPECT_JOB(&r, "OK");
	sbx_job_result_clear(&r);
	test_note("first job done");
	struct sbx_pool_stats st;
	sbx_pool_stats(pool, &st);
	CHECK(st.zygote_pid > 0, "no zygote pid");
	CHECK(kill(st.zygote_pid, SIGKILL) == 0);
	test_note("killed the zygote, pid %d", st.zygote_pid);
	/* at once: on a slot that outlived its zygote for a moment (a
	 * complete sandbox of its own), or, if the slot dies under it, run
	 * again on a fresh one; a short limit, so a stuck job shows as one */
	struct sbx_job job = { .code = "print(2)\n", .code_len = 9, .timeout_ns = 15000000000ull };
	run_job_ex(pool, &job, &r);
	sbx_pool_stats(pool, &st);
	test_note("job after the kill: %s in %.1f ms (waited %.1f ms); zygote starts %llu, "
		  "slots ready %u starting %u busy %u", rstatus(&r), (double) r.verdict.wall_ns / 1e6,
		  (double) r.queue_ns / 1e6, (unsigned long long) st.zygote_starts, st.ready,
		  st.starting, st.busy);
	EXPECT_JOB(&r, "OK");
	CHECK_STR_EQ(rout(&r), "2\n");
	sbx_job_result_clear(&r);
	for (int i = 0; i < 600; i++) { /* the new zygote imports pandas */
		sbx_pool_stats(pool, &st);
		if (st.zygote_starts >= 2 && st.zygote_pid > 0)
			break;
		struct timespec ts = { 0, 50000000 };
		nanosleep(&ts, NULL);
	}
	CHECK(st.zygote_starts >= 2, "no new zygote after 30 s");
	test_note("a new zygote, pid %d", st.zygote_pid);
	job.code = "print(3)\n";
	run_job_ex(pool, &job, &r);
	EXPECT_JOB(&r, "OK");
	CHECK_STR_EQ(rout(&r), "3\n");
	sbx_job_result_clear(&r);
	CHECK_CONTAINS(st.versions, "pandas=");
	sbx_pool_stop(pool);
}

/* Idle slots are cheap: most of their memory is shared with the zygote. */
void p_idle_slot_shares_zygote_memory(void)
{
	struct sbx_pool *pool = test_pool(false, 2);
	t_wait_ready(pool, 2);
	struct sbx_pool_memory m;
	sbx_pool_memory(pool, &m);
	CHECK_INT_EQ(m.idle_slots, 2);
	CHECK(m.idle_slot_private_bytes < (8u << 20), "an idle slot has %llu private bytes",
	      (unsigned long long) m.idle_slot_private_bytes);
	CHECK(m.idle_slot_pss_bytes > 0);
	/* the zygote holds Python, numpy and pandas: tens of MiB, and an idle
	 * slot's own share of it is a fraction of that */
	CHECK(m.zygote_rss_bytes > (20u << 20), "zygote RSS %llu",
	      (unsigned long long) m.zygote_rss_bytes);
	CHECK(m.idle_slot_pss_bytes < m.zygote_rss_bytes);
	sbx_pool_stop(pool);
}

void p_exec_checks_then_runs_one_job(void)
{
	char code[] = "/tmp/stratbox-exec-XXXXXX";
	test_temp_file(code, "import stratbox\nprint(stratbox.data()['x'] * 2)\n");
	char data[] = "/tmp/stratbox-data-XXXXXX";
	test_temp_file(data, "{\"x\": 21}");
	int rc;
	const char *parent = t_cgroup_parent();
	char *out = run_cli(parent ? (const char *const[]){ "exec", "--json", "--data", data,
							    "--cgroup-parent", parent, code, NULL }
				   : (const char *const[]){ "exec", "--json", "--data", data, code, NULL },
			    &rc);
	CHECK_INT_EQ(rc, 0);
	CHECK_CONTAINS(out, "\"success\":true");
	CHECK_CONTAINS(out, "\"output\":\"42\\n\"");
	free(out);
	/* rejected by the validator: nothing runs */
	int fd = open(code, O_WRONLY | O_TRUNC);
	const char *bad = "import os\nos.system('id')\n";
	CHECK(write(fd, bad, strlen(bad)) > 0);
	close(fd);
	out = run_cli((const char *const[]){ "exec", "--json", code, NULL }, &rc);
	CHECK_INT_EQ(rc, 1);
	CHECK_CONTAINS(out, "\"status\":\"VALIDATION_ERROR\"");
	CHECK_CONTAINS(out, "\"rule\":\"import-not-allowed\"");
	free(out);
	/* bad data: a clear error */
	fd = open(data, O_WRONLY | O_TRUNC);
	CHECK(write(fd, "{nope", 5) == 5);
	close(fd);
	out = run_cli((const char *const[]){ "exec", "--data", data, code, NULL }, &rc);
	CHECK_INT_EQ(rc, 2);
	free(out);
	/* a bad option value: named, in the words `stratbox run` uses */
	static const char *const bad_opts[][3] = {
		{ "--memory", "12Q", "invalid value '12Q' for --memory: unknown size suffix" },
		{ "--timeout", "soon", "invalid value 'soon' for --timeout: expected a number" },
		{ "--cpu-time", "-1", "invalid value '-1' for --cpu-time: must not be negative" },
		{ "--parallel", "0", "invalid value '0' for --parallel: from 1 to 64" },
	};
	for (size_t i = 0; i < sizeof(bad_opts) / sizeof(bad_opts[0]); i++) {
		out = test_run_bin(test_stratbox(),
				   (const char *const[]){ "exec", bad_opts[i][0], bad_opts[i][1], code,
							  NULL },
				   TEST_STDERR_MERGE, &rc);
		CHECK_INT_EQ(rc, 2);
		CHECK_CONTAINS(out, bad_opts[i][2]);
		free(out);
	}
	out = test_run_bin(test_stratbox(),
			   (const char *const[]){ "run", "--memory", "12Q", "--", "/bin/true", NULL },
			   TEST_STDERR_MERGE, &rc);
	CHECK_CONTAINS(out, bad_opts[0][2]);
	free(out);
	unlink(code);
	unlink(data);
}

void p_batch_results_one_per_line_in_order(void)
{
	char path[] = "/tmp/stratbox-batch-XXXXXX";
	const char *jobs =
		"{\"id\": \"a\", \"code\": \"print(1)\"}\n"
		"not json at all\n"
		"{\"id\": \"c\", \"code\": \"import os\"}\n"
		"{\"id\": \"d\", \"code\": \"raise ValueError('bad')\"}\n"
		"\n"
		"{\"id\": \"e\", \"code\": \"import stratbox\\nprint(stratbox.data()['v'])\", \"data\": {\"v\": 5}}\n"
		"{\"id\": \"f\", \"code\": \"while True: pass\", \"timeout\": 0.2}\n"
		"{\"id\": \"g\"}\n"
		"{\"id\": 8, \"code\": \"import random\\nprint(random.random())\", \"seed\": 1}\n"
		/* a key twice: refused, as the service refuses it (which one would win?) */
		"{\"code\": \"print(1)\", \"code\": \"print(2)\"}\n";
	test_temp_file(path, jobs);
	int rc;
	const char *parent = t_cgroup_parent();
	char *out = run_cli(parent ? (const char *const[]){ "exec", "--batch", path, "--parallel", "3",
							    "--cgroup-parent", parent, NULL }
				   : (const char *const[]){ "exec", "--batch", path, "--parallel", "3",
							    NULL },
			    &rc);
	unlink(path);
	CHECK_INT_EQ(rc, 1); /* not every job succeeded */
	/* one line per job, in input order */
	static const char *const want[][2] = {
		{ "\"id\":\"a\"", "\"status\":\"OK\"" },
		{ "line 2:", "\"status\":\"INVALID_JOB\"" },
		{ "\"id\":\"c\"", "\"status\":\"VALIDATION_ERROR\"" },
		{ "\"id\":\"d\"", "ValueError: bad" },
		{ "\"id\":\"e\"", "\"output\":\"5\\n\"" },
		{ "\"id\":\"f\"", "\"status\":\"TIMEOUT_WALL\"" },
		{ "\"id\":\"g\"", "\"status\":\"INVALID_JOB\"" },
		{ "\"id\":8", "\"status\":\"OK\"" },
		{ "line 10:", "duplicate object key" },
	};
	t_check_result_lines(out, want, sizeof(want) / sizeof(want[0]));
	free(out);
}

/* Stopping the pool leaves nothing: checked by the suite's leftover hook
 * after every test; here explicitly, with slots in every state. */
void p_stop_leaves_nothing(void)
{
	struct sbx_pool *pool = test_pool(false, 4);
	struct sbx_job_result r;
	/* enough jobs that finished slots' cgroups wait, recycled, for new
	 * slots when the pool stops */
	for (int i = 0; i < 8; i++) {
		run_code(pool, "print(1)\n", &r);
		EXPECT_JOB(&r, "OK");
		sbx_job_result_clear(&r);
	}
	sbx_pool_stop(pool);
	CHECK_INT_EQ(count_processes_with("stratbox-zygote"), 0);
	CHECK_INT_EQ(count_job_cgroups(NULL, 0), 0);
}

/* A prefaulted slot ran trusted warm-up code before its job: nothing of
 * it is visible to the job (names, random state), and it did copy pages
 * ahead (its private memory is larger). */
void p_prefault_invisible_to_job(void)
{
	const char *code = "import random\nimport numpy as np\n"
			   "seen = []\n"
			   "try:\n    df; seen.append('df')\nexcept NameError:\n    pass\n"
			   "try:\n    value; seen.append('value')\nexcept NameError:\n    pass\n"
			   "try:\n    pd; seen.append('pd')\nexcept NameError:\n    pass\n"
			   "try:\n    np; seen.append('np')\nexcept NameError:\n    pass\n"
			   "print(seen, random.random(), np.random.rand(), np.random.randint(1000000))\n";
	struct sbx_job_result a, b;
	struct sbx_pool_memory ma, mb;
	struct sbx_pool *pool = test_pool_ex(true, 2, true);
	run_code(pool, code, &a);
	t_wait_ready(pool, 2);
	sbx_pool_memory(pool, &ma);
	sbx_pool_stop(pool);
	pool = test_pool_ex(true, 2, false);
	run_code(pool, code, &b);
	t_wait_ready(pool, 2);
	sbx_pool_memory(pool, &mb);
	sbx_pool_stop(pool);
	EXPECT_JOB(&a, "OK");
	EXPECT_JOB(&b, "OK");
	CHECK_STR_EQ(rout(&a), rout(&b));
	CHECK(strncmp(rout(&a), "['np'] ", 7) == 0, "%s", rout(&a));
	CHECK(ma.idle_slots == 2 && mb.idle_slots == 2);
	CHECK(ma.idle_slot_private_bytes > mb.idle_slot_private_bytes + (512u << 10),
	      "prefaulted slot %llu private bytes, plain %llu",
	      (unsigned long long) ma.idle_slot_private_bytes,
	      (unsigned long long) mb.idle_slot_private_bytes);
	sbx_job_result_clear(&a);
	sbx_job_result_clear(&b);
}

static json_t *doctor_check(json_t *doc, const char *name)
{
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(doc, "checks"), i, c)
	{
		if (strcmp(json_string_value(json_object_get(c, "name")), name) == 0)
			return c;
	}
	test_fail_at(__FILE__, __LINE__, "doctor has no check '%s'", name);
}

/* stratbox doctor: exit 0 only when every required check passes, and a
 * failing check says how to fix it; the Python runtime is among them. */
void p_doctor_fails_unless_every_check_passes(void)
{
	int rc;
	const char *parent = t_cgroup_parent();
	char *out = run_cli(parent ? (const char *const[]){ "doctor", "--json", "--cgroup-parent",
							    parent, NULL }
				   : (const char *const[]){ "doctor", "--json", NULL },
			    &rc);
	json_error_t je;
	json_t *doc = json_loads(out, 0, &je);
	CHECK(doc != NULL, "not JSON: %s\n%s", je.text, out);
	static const char *const names[] = { "kernel",	      "user namespaces", "seccomp",
					     "cgroup limits", "python runtime",	 "sandboxed run",
					     "warm pool" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		doctor_check(doc, names[i]);
	CHECK_STR_EQ(json_string_value(json_object_get(doctor_check(doc, "warm pool"), "status")),
		     "ok");
	if (test_have_cgroups()) {
		CHECK(json_is_true(json_object_get(doc, "ok")), "%s", out);
		CHECK_INT_EQ(rc, 0);
	} else {
		/* unprivileged without a delegated cgroup: limits cannot be
		 * enforced, which doctor fails, saying how to fix it */
		json_t *cg = doctor_check(doc, "cgroup limits");
		CHECK_STR_EQ(json_string_value(json_object_get(cg, "status")), "FAIL");
		CHECK(json_is_string(json_object_get(cg, "fix")), "%s", out);
		CHECK(json_is_false(json_object_get(doc, "ok")));
		CHECK(rc != 0);
	}
	json_decref(doc);
	free(out);

	/* a stratbox without its zygote beside it */
	char dir[] = "/tmp/stratbox-doctor.XXXXXX", bin[64];
	CHECK(mkdtemp(dir) != NULL);
	snprintf(bin, sizeof(bin), "%s/stratbox", dir);
	int in = open(test_stratbox(), O_RDONLY | O_CLOEXEC);
	int o = open(bin, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	CHECK(in >= 0 && o >= 0);
	char buf[65536];
	ssize_t n;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		CHECK(write(o, buf, (size_t) n) == n);
	close(in);
	close(o);
	out = test_run_bin(bin, (const char *const[]){ "doctor", "--json", NULL }, TEST_STDERR_INHERIT,
			   &rc);
	unlink(bin);
	rmdir(dir);
	doc = json_loads(out, 0, &je);
	CHECK(doc != NULL, "not JSON: %s\n%s", je.text, out);
	json_t *wp = doctor_check(doc, "warm pool");
	CHECK_STR_EQ(json_string_value(json_object_get(wp, "status")), "FAIL");
	CHECK_CONTAINS(json_string_value(json_object_get(wp, "fix")), "stratbox-zygote");
	CHECK(rc != 0, "doctor exited 0 without a zygote");
	json_decref(doc);
	free(out);
}

/* Slots take turns in recycled cgroups: what one job did must not show in
 * the next one's figures.  A job that uses ~80 MB and ~150 ms of CPU,
 * then one that is killed by the OOM killer; the jobs after them, which
 * may run in those very cgroups, report their own small figures. */
void p_recycled_cgroup_shows_own_figures(void)
{
	if (!test_have_cgroups())
		test_skip("no cgroup delegated: slots get no cgroup to recycle");
	struct sbx_pool *pool = test_pool(false, 1);
	const char *big = "import time\nimport numpy as np\n"
			  "a = np.ones(10_000_000)\nprint(int(a.sum()))\ndel a\n"
			  "t = time.process_time()\nwhile time.process_time() - t < 0.15:\n    pass\n";
	/* two CPUs: a single thread is never throttled, so its cgroup is
	 * recycled (a throttled one is not) */
	struct sbx_job job = { .code = big, .code_len = strlen(big), .millicpus = 2000 };
	struct sbx_job_result r;
	run_job_ex(pool, &job, &r);
	EXPECT_JOB(&r, "OK");
	CHECK(r.verdict.memory_peak_bytes > (70u << 20), "peak %llu",
	      (unsigned long long) r.verdict.memory_peak_bytes);
	CHECK(r.verdict.cpu_user_ns + r.verdict.cpu_sys_ns > 140000000ull);
	CHECK(r.verdict.cpu_throttled_ns == 0);
	sbx_job_result_clear(&r);
	/* its cgroup recycled: the slot forked when the next job takes the
	 * ready one gets it, and runs the first small job below */
	t_wait_spare(pool, 1);
	/* a recycled cgroup is given out once a CPU period (100 ms) has
	 * passed since its job ended */
	struct timespec period = { 0, 150000000 };
	nanosleep(&period, NULL);
	const char *oom = "import numpy as np\na = np.ones(200_000_000)\n";
	struct sbx_job ojob = { .code = oom, .code_len = strlen(oom), .memory = 96u << 20 };
	run_job_ex(pool, &ojob, &r);
	EXPECT_JOB(&r, "MEMORY_LIMIT");
	sbx_job_result_clear(&r);
	for (int i = 0; i < 8; i++) {
		nanosleep(&(struct timespec){ 0, 110000000 }, NULL); /* a recycled cgroup rests a period */
		run_code(pool, "print('small')\n", &r);
		EXPECT_JOB(&r, "OK");
		test_note("job %d: throttled %llu, peak %llu, cpu %llu ns", i, (unsigned long long) r.verdict.cpu_throttled_ns,
			  (unsigned long long) r.verdict.memory_peak_bytes,
			  (unsigned long long) (r.verdict.cpu_user_ns + r.verdict.cpu_sys_ns));
		CHECK(r.verdict.memory_peak_bytes < (40u << 20));
		CHECK(r.verdict.cpu_user_ns + r.verdict.cpu_sys_ns < 100000000ull);
		CHECK(r.verdict.oom_kills == 0);
		CHECK(r.verdict.cpu_throttled_ns == 0);
		sbx_job_result_clear(&r);
		if (i == 0) { /* it ran in the big job's cgroup */
			struct sbx_pool_stats st;
			sbx_pool_stats(pool, &st);
			CHECK(st.cgroups_reused >= 1);
		}
	}
	struct sbx_pool_stats st;
	sbx_pool_stats(pool, &st);
	test_note("cgroups made %llu, reused %llu", (unsigned long long) st.cgroups_made,
		  (unsigned long long) st.cgroups_reused);
	CHECK(st.cgroups_reused >= 3, "reused %llu", (unsigned long long) st.cgroups_reused);
	sbx_pool_stop(pool);
}

/* The same on the v2 backend, forced onto this machine's cgroup2 mount
 * (no controllers there: CPU time from cpu.stat, which is cumulative and
 * must be rebased).  The backend is chosen once per process, so this
 * runs the body below in a new process of this suite with
 * STRATBOX_CGROUP=v2. */
void p_recycled_cgroup_shows_own_figures_v2(void)
{
	if (geteuid() != 0)
		test_skip("the cgroup2 mount is not delegated to this user");
	if (access("/sys/fs/cgroup/unified/cgroup.procs", F_OK) != 0 &&
	    access("/sys/fs/cgroup/cgroup.subtree_control", F_OK) != 0)
		test_skip("no cgroup2 mount");
	setenv("STRATBOX_CGROUP", "v2", 1); /* for the new process only: this one chose already */
	int rc;
	char *out = test_run_bin("/proc/self/exe",
				 (const char *const[]){ "--filter", "recycled_cgroup_shows_own_figures_v2_body", NULL },
				 TEST_STDERR_MERGE, &rc);
	CHECK(rc == 0 && strstr(out, "1 passed") != NULL, "%s", out);
	free(out);
}

void p_recycled_cgroup_shows_own_figures_v2_body(void)
{
	const char *forced = getenv("STRATBOX_CGROUP");
	if (forced == NULL || strcmp(forced, "v2") != 0)
		test_skip("run by recycled_cgroup_shows_own_figures_v2, in a process of its own");
	struct sbx_pool *pool = test_pool(false, 1);
	const char *big = "import time\nt = time.process_time()\n"
			  "while time.process_time() - t < 0.15:\n    pass\n";
	struct sbx_job job = { .code = big, .code_len = strlen(big), .millicpus = 2000 };
	struct sbx_job_result r;
	run_job_ex(pool, &job, &r);
	EXPECT_JOB(&r, "OK");
	CHECK_STR_EQ(r.verdict.cgroup_backend, "v2");
	CHECK(r.verdict.cpu_user_ns + r.verdict.cpu_sys_ns > 140000000ull);
	sbx_job_result_clear(&r);
	/* recycled: the second small job runs in it */
	t_wait_spare(pool, 1);
	for (int i = 0; i < 8; i++) {
		nanosleep(&(struct timespec){ 0, 110000000 }, NULL); /* a recycled cgroup rests a period */
		run_code(pool, "print('small')\n", &r);
		EXPECT_JOB(&r, "OK");
		CHECK(r.verdict.cpu_user_ns + r.verdict.cpu_sys_ns < 100000000ull, "job %d: %llu ns",
		      i, (unsigned long long) (r.verdict.cpu_user_ns + r.verdict.cpu_sys_ns));
		sbx_job_result_clear(&r);
	}
	struct sbx_pool_stats st;
	sbx_pool_stats(pool, &st);
	CHECK(st.cgroups_reused >= 3, "reused %llu", (unsigned long long) st.cgroups_reused);
	sbx_pool_stop(pool);
	CHECK_INT_EQ(count_job_cgroups(NULL, 0), 0);
}

/* `exec --batch` killed mid-run (SIGKILL: no cleanup of its own): the
 * zygote, its slots and their jobs die with it, and the next run removes
 * the cgroups it left behind, the recycled ones kept for new slots among
 * them. */
void p_killed_batch_swept_by_next_run(void)
{
	char path[] = "/tmp/stratbox-killed-XXXXXX";
	char jobs[300 * 64];
	size_t off = 0;
	for (int i = 0; i < 300; i++)
		off += (size_t) snprintf(jobs + off, sizeof(jobs) - off,
					 "{\"code\": \"print(sum(range(%d)))\"}\n", 200000 + i);
	test_temp_file(path, jobs);
	const char *parent = t_cgroup_parent();
	const char *argv[] = { test_stratbox(), "exec", "--batch", path, "--parallel", "2",
			       parent ? "--cgroup-parent" : NULL, parent, NULL };
	int out_fd;
	pid_t pid = test_start(&(struct test_cmd){ .argv = argv, .err = TEST_STDERR_INHERIT }, &out_fd);
	/* results stream in input order: after 20 lines the pool has run jobs
	 * and kept cgroups for new slots */
	int lines = 0;
	char buf[4096];
	ssize_t n;
	while (lines < 20 && (n = read(out_fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i++)
			lines += buf[i] == '\n';
	CHECK(lines >= 20, "only %d results before the kill", lines);
	CHECK(kill(pid, SIGKILL) == 0);
	CHECK(waitpid(pid, NULL, 0) == pid);
	close(out_fd);
	unlink(path);
	int left = -1;
	for (int i = 0; i < 250 && left != 0; i++) {
		left = count_processes_with("stratbox-zygote");
		struct timespec ts = { 0, 20000000 };
		nanosleep(&ts, NULL);
	}
	CHECK_INT_EQ(left, 0);
	char first[1100];
	int stale = count_job_cgroups(first, sizeof(first));
	test_note("cgroups left by the killed batch: %d (%s)", stale, first);
	CHECK(stale >= 1 || !test_have_cgroups(),
	      "expected the killed batch's cgroups to remain until the next run");
	/* the next run sweeps them (and the pool's stale run-directory
	 * entries, with or without cgroups) */
	char code[] = "/tmp/stratbox-next-XXXXXX";
	test_temp_file(code, "print(1)\n");
	int rc;
	char *out = run_cli(parent ? (const char *const[]){ "exec", "--cgroup-parent", parent, code, NULL }
				   : (const char *const[]){ "exec", code, NULL },
			    &rc);
	unlink(code);
	CHECK_INT_EQ(rc, 0);
	free(out);
	CHECK_INT_EQ(count_job_cgroups(first, sizeof(first)), 0);
}
