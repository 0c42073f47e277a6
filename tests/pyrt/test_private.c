/* Every place a job can write is its own and goes with it: its working
 * directory and relative paths, /tmp, /dev/shm, every mount it can find
 * in /proc/self/mountinfo, the paths through /proc/self and /proc/1, and
 * every descriptor it holds.  A second job, run after the first or beside
 * it, finds none of what the first wrote, and what the first wrote no
 * longer holds memory once it is gone.  The Python layer is off (the
 * permissive policy): this is the kernel layer's promise. */
#include "common/util.h"
#include "pyrt.h"
#include "sandbox/internal.h"
#include "tests.h"

#include <pthread.h>
#include <time.h>
#include <unistd.h>

/* Writes a marker through every route it can find and prints the ones
 * that worked. */
static const char writer[] =
	"import os\n"
	"done = []\n"
	"def put(path):\n"
	"    try:\n"
	"        with open(path, 'w') as f:\n"
	"            f.write('marker')\n"
	"        done.append(path)\n"
	"    except OSError:\n"
	"        pass\n"
	"put('sbx-marker-rel')\n"
	"put(os.path.join(os.getcwd(), 'sbx-marker-cwd'))\n"
	"for line in open('/proc/self/mountinfo'):\n"
	"    put(os.path.join(line.split()[4], 'sbx-marker-mount'))\n"
	"for d in ('/tmp', '/dev/shm', '/var/tmp', '/workspace', '/', '/proc/self/cwd',\n"
	"          '/proc/self/root/tmp', '/proc/1/cwd', '/proc/1/root/dev/shm'):\n"
	"    put(os.path.join(d, 'sbx-marker-dir'))\n"
	"for fd in os.listdir('/proc/self/fd'):\n"
	"    put('/proc/self/fd/%s/sbx-marker-fd' % fd)\n"
	"print('wrote', len(done), sorted(set(os.path.dirname(p) for p in done)))\n";

/* Looks everywhere the writer could have written (every mount point,
 * walked, and the working directory). */
static const char looker[] =
	"import os\n"
	"found = []\n"
	"roots = {'.', os.getcwd(), '/tmp', '/dev/shm'}\n"
	"for line in open('/proc/self/mountinfo'):\n"
	"    mp = line.split()[4]\n"
	"    if not mp.startswith(('/proc', '/usr', '/sys')):\n"
	"        roots.add(mp)\n"
	"for r in sorted(roots):\n"
	"    for d, dirs, files in os.walk(r):\n"
	"        found += [os.path.join(d, f) for f in files if f.startswith('sbx-marker')]\n"
	"print('cwd', os.getcwd(), 'entries', sorted(os.listdir('.')))\n"
	"print('found', sorted(set(found)))\n";

static void expect_clean_look(const struct sbx_job_result *r)
{
	EXPECT_JOB(r, "OK");
	CHECK_CONTAINS(rout(r), "found []\n");
	CHECK_CONTAINS(rout(r), "entries []\n");
}

static void expect_wrote_privately(const struct sbx_job_result *r)
{
	EXPECT_JOB(r, "OK");
	/* it could write: relative paths land in its own /tmp */
	CHECK_CONTAINS(rout(r), "wrote ");
	CHECK_NOT_CONTAINS(rout(r), "wrote 0 ");
	CHECK_CONTAINS(rout(r), "'/tmp'");
}

/* One job after another: the second finds nothing of the first. */
void p_next_job_finds_nothing_written(void)
{
	struct sbx_pool *pool = test_pool(true, 1);
	struct sbx_job_result w, l;
	run_code(pool, writer, &w);
	expect_wrote_privately(&w);
	test_note("writer: %s", rout(&w));
	run_code(pool, looker, &l);
	expect_clean_look(&l);
	sbx_job_result_clear(&w);
	sbx_job_result_clear(&l);
	sbx_pool_stop(pool);
}

struct running {
	struct sbx_pool *pool;
	const char *code;
	struct sbx_job_result r;
};

static void *run_in_thread(void *arg)
{
	struct running *x = arg;
	run_code(x->pool, x->code, &x->r);
	return NULL;
}

/* Two jobs at once: the looker runs while the writer, having written,
 * is still alive. */
void p_concurrent_job_finds_nothing_written(void)
{
	struct sbx_pool *pool = test_pool(true, 2);
	t_wait_ready(pool, 2);
	char *slow_writer = str_printf("%simport time\ntime.sleep(1.5)\n", writer);
	char *late_looker = str_printf("import time\ntime.sleep(0.5)\n%s", looker);
	struct running w = { pool, slow_writer, { .queue_ns = 0 } };
	struct running l = { pool, late_looker, { .queue_ns = 0 } };
	pthread_t tw, tl;
	pthread_create(&tw, NULL, run_in_thread, &w);
	pthread_create(&tl, NULL, run_in_thread, &l);
	pthread_join(tw, NULL);
	pthread_join(tl, NULL);
	expect_wrote_privately(&w.r);
	expect_clean_look(&l.r);
	/* the looker ran while the writer lived */
	CHECK(l.r.verdict.wall_ns < w.r.verdict.wall_ns + 1000000000ull);
	sbx_job_result_clear(&w.r);
	sbx_job_result_clear(&l.r);
	free(slow_writer);
	free(late_looker);
	sbx_pool_stop(pool);
}

/* Bytes of memory charged to the cgroup the pool's jobs are made in,
 * or 0 when there is none to read. */
static uint64_t caller_memory(void)
{
	char path[1100], buf[64];
	const char *dir = t_caller_memory_cgroup();
	if (dir == NULL)
		return 0;
	snprintf(path, sizeof(path), "%s/memory.usage_in_bytes", dir);
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		snprintf(path, sizeof(path), "%s/memory.current", dir);
		f = fopen(path, "r");
	}
	if (f == NULL)
		return 0;
	uint64_t v = fgets(buf, sizeof(buf), f) ? strtoull(buf, NULL, 10) : 0;
	fclose(f);
	return v;
}

/* The caller's memory once the pool has settled: every retired slot
 * gone (the charge of a slot's private /tmp is dropped when its mount
 * namespace goes, a moment after it exits). */
static uint64_t settled_memory(struct sbx_pool *pool, uint64_t below)
{
	uint64_t m = 0;
	for (int i = 0; i < 60; i++) {
		t_wait_ready(pool, 1);
		m = caller_memory();
		if (m <= below)
			break;
		struct timespec ts = { 0, 50000000 };
		nanosleep(&ts, NULL);
	}
	return m;
}

/* Jobs in turn fill their /tmp (through a relative path) up to their
 * limits: each one starts clean, and the caller's memory comes back
 * after each, instead of growing by what every job wrote. */
void p_writes_freed_after_job(void)
{
	if (!test_have_cgroups())
		test_skip("no cgroup delegated: no caller memory to watch");
	/* a parent of its own, so that nothing else this machine runs is
	 * counted in the figure watched */
	t_use_own_cgroup_parent();
	struct sbx_pool *pool = test_pool(true, 1);
	struct sbx_job job = { .memory = 256ull << 20, .tmp_size = 200ull << 20 };
	static const char fill[] = "import os\n"
				   "print('cwd', os.getcwd(), 'before', sorted(os.listdir('.')))\n"
				   "chunk = b'x' * (1 << 20)\n"
				   "with open('big.bin', 'wb') as f:\n"
				   "    for _ in range(180):\n"
				   "        f.write(chunk)\n"
				   "print('wrote', os.path.getsize('big.bin') >> 20, 'MiB')\n";
	job.code = fill;
	job.code_len = strlen(fill);
	struct sbx_job_result r;
	run_job_ex(pool, &job, &r); /* the first job's own warm-up costs */
	EXPECT_JOB(&r, "OK");
	sbx_job_result_clear(&r);
	uint64_t base = settled_memory(pool, 0);
	if (base == 0)
		test_skip("the caller's cgroup has no memory counter here");
	test_note("caller memory after one job: %llu MiB", (unsigned long long) (base >> 20));
	for (int i = 0; i < 6; i++) {
		run_job_ex(pool, &job, &r);
		EXPECT_JOB(&r, "OK");
		CHECK_CONTAINS(rout(&r), "before []\n");
		CHECK_CONTAINS(rout(&r), "wrote 180 MiB\n");
		sbx_job_result_clear(&r);
		uint64_t m = settled_memory(pool, base + (32ull << 20));
		test_note("after job %d: %llu MiB", i + 2, (unsigned long long) (m >> 20));
		/* 180 MiB a job stayed charged before: 1 GiB after six */
		CHECK(m <= base + (64ull << 20), "job %d left %llu MiB charged to the caller", i + 2,
		      (unsigned long long) ((m - base) >> 20));
	}
	sbx_pool_stop(pool);
	t_drop_own_cgroup_parent();
}

/* A job's /proc hides what every sandbox's does (rootfs.c's one table):
 * each masked entry reads empty, each read-only one refuses a write. */
void p_job_proc_host_entries_hidden(void)
{
	char list[4096] = "";
	size_t off = 0;
	for (size_t i = 0; i < rootfs_nproc_entries; i++)
		off += (size_t) snprintf(list + off, sizeof(list) - off, "%s('%s', %d)",
					 i ? ", " : "", rootfs_proc_entries[i].name,
					 rootfs_proc_entries[i].how == PROC_MASK);
	char *code = str_printf(
		"import os\n"
		"ro = {l.split()[4] for l in open('/proc/self/mountinfo')\n"
		"      if l.split()[5].split(',')[0] == 'ro'}\n"
		"bad = []\n"
		"for name, masked in [%s]:\n"
		"    p = '/proc/' + name\n"
		"    if not os.path.exists(p):\n"
		"        continue\n"
		"    if masked and os.path.isdir(p):\n"
		"        if os.listdir(p):\n"
		"            bad.append(name)\n"
		"    elif masked:\n"
		"        try:\n"
		"            if open(p, 'rb').read():\n"
		"                bad.append(name)\n"
		"        except OSError:\n"
		"            pass\n"
		"    elif p not in ro:\n"
		"        bad.append(name)\n"
		"print('exposed', bad)\n",
		list);
	struct sbx_pool *pool = test_pool(true, 1);
	struct sbx_job_result r;
	run_code(pool, code, &r);
	free(code);
	EXPECT_JOB(&r, "OK");
	CHECK_STR_EQ(rout(&r), "exposed []\n");
	sbx_job_result_clear(&r);
	sbx_pool_stop(pool);
}
