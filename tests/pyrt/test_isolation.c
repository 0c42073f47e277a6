/* The job sandbox and isolation between jobs, with the Python-level
 * guards off (the permissive policy): the kernel layer alone. */
#include "pyrt.h"
#include "tests.h"

#include <pthread.h>
#include <unistd.h>

/* No execve, no new process, no socket, no SysV IPC: each is a
 * SYSCALL_VIOLATION naming the call; threads still work. */
void p_job_cannot_exec_fork_or_open_socket(void)
{
	struct sbx_pool *pool = test_pool(true, 2);
	static const struct {
		const char *code, *syscall;
	} cases[] = {
		{ "import socket\nsocket.socket()\n", "socket" },
		{ "import os\nos.execv('/bin/true', ['true'])\n", "execve" },
		{ "import os\nos.fork()\n", "clone" },
		{ "import subprocess\nsubprocess.run(['/bin/true'])\n", NULL },
		{ "import ctypes\nctypes.CDLL(None).ptrace(0, 0, 0, 0)\n", "ptrace" },
		{ "import ctypes\nctypes.CDLL(None).shmget(1234, 4096, 0o1600)\n", "shmget" },
		{ "import ctypes\nctypes.CDLL(None).unshare(0x10000000)\n", "unshare" },
		{ "import ctypes\nctypes.CDLL(None).mount(b'none', b'/tmp', b'tmpfs', 0, None)\n", "mount" },
		{ "import os\nos.setuid(0)\n", "setuid" },
		{ "import socket\nsocket.socketpair()\n", "socketpair" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sbx_job_result r;
		run_code(pool, cases[i].code, &r);
		if (strcmp(rstatus(&r), "SYSCALL_VIOLATION") != 0)
			test_fail_at(__FILE__, __LINE__, "case %zu: %s (%s) stderr: %.300s", i,
				     rstatus(&r), r.error ? r.error : "", rerr(&r));
		if (cases[i].syscall)
			CHECK_STR_EQ(r.verdict.syscall, cases[i].syscall);
		sbx_job_result_clear(&r);
	}
	struct sbx_job_result r;
	run_code(pool, "import threading\nout = []\n"
		       "t = threading.Thread(target=lambda: out.append(6 * 7))\nt.start(); t.join()\n"
		       "print(out[0])\n",
		 &r);
	EXPECT_JOB(&r, "OK");
	CHECK_STR_EQ(rout(&r), "42\n");
	sbx_job_result_clear(&r);
	sbx_pool_stop(pool);
}

/* What a job is: uid 1000, no capability, pid 1 of its own namespace,
 * nothing of the host. */
void p_job_is_uid_1000_pid_1_without_capability(void)
{
	struct sbx_pool *pool = test_pool(true, 1);
	struct sbx_job_result r;
	run_code(pool, "import os\n"
		       "s = open('/proc/self/status').read()\n"
		       "print([l for l in s.splitlines() if l.startswith(('Uid', 'CapEff', 'CapBnd', 'NoNewPrivs', 'Seccomp:'))])\n"
		       "print('pid', os.getpid(), 'procs', sorted(p for p in os.listdir('/proc') if p.isdigit()))\n"
		       "print('cg', open('/proc/self/cgroup').read().split(chr(10))[0].split(':')[2])\n"
		       "print('exists', [p for p in ('/etc/shadow', '/root', '/home', '/sys', '/work') if os.path.exists(p)])\n"
		       "print('fds', sorted(os.listdir('/proc/self/fd')))\n",
		 &r);
	EXPECT_JOB(&r, "OK");
	const char *o = rout(&r);
	CHECK_CONTAINS(o, "'Uid:\\t1000\\t1000\\t1000\\t1000'");
	CHECK_CONTAINS(o, "'CapEff:\\t0000000000000000'");
	CHECK_CONTAINS(o, "'CapBnd:\\t0000000000000000'");
	CHECK_CONTAINS(o, "'NoNewPrivs:\\t1'");
	CHECK_CONTAINS(o, "'Seccomp:\\t2'");
	CHECK_CONTAINS(o, "pid 1 procs ['1']\n");
	CHECK_CONTAINS(o, "cg /\n");
	CHECK_CONTAINS(o, "exists []\n");
	CHECK_CONTAINS(o, "fds ['0', '1', '2', '3', '4']\n"); /* 4: the listdir itself */
	sbx_job_result_clear(&r);
	sbx_pool_stop(pool);
}

struct pair {
	struct sbx_pool *pool;
	const char *code;
	struct sbx_job_result r;
};

static void *run_thread(void *arg)
{
	struct pair *p = arg;
	run_code(p->pool, p->code, &p->r);
	return NULL;
}

/* Two jobs at once cannot see each other's processes, files, /tmp,
 * shared memory, IPC, or signal or reach each other. */
void p_concurrent_jobs_cannot_see_each_other(void)
{
	struct sbx_pool *pool = test_pool(true, 3);
	struct pair a = { pool,
			  "import os, time\n"
			  "open('/tmp/secret-a', 'w').write('a')\n"
			  "open('/dev/shm/secret-a', 'w').write('a')\n"
			  "print('ns', os.readlink('/proc/self/ns/pid'), os.readlink('/proc/self/ns/mnt'),"
			  " os.readlink('/proc/self/ns/ipc'))\n"
			  "time.sleep(1.0)\n"
			  "print('still', open('/tmp/secret-a').read())\n",
			  { .queue_ns = 0 } };
	struct pair b = { pool,
			  "import os, time, signal\n"
			  "time.sleep(0.3)\n"
			  "print('tmp', sorted(os.listdir('/tmp')), 'shm', sorted(os.listdir('/dev/shm')))\n"
			  "print('procs', sorted(p for p in os.listdir('/proc') if p.isdigit()))\n"
			  "print('ns', os.readlink('/proc/self/ns/pid'), os.readlink('/proc/self/ns/mnt'),"
			  " os.readlink('/proc/self/ns/ipc'))\n"
			  "hits = []\n"
			  "for pid in range(2, 200):\n"
			  "    try:\n        os.kill(pid, 0); hits.append(pid)\n"
			  "    except ProcessLookupError:\n        pass\n"
			  "print('signalable', hits)\n",
			  { .queue_ns = 0 } };
	pthread_t ta, tb;
	pthread_create(&ta, NULL, run_thread, &a);
	pthread_create(&tb, NULL, run_thread, &b);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	EXPECT_JOB(&a.r, "OK");
	EXPECT_JOB(&b.r, "OK");
	CHECK_CONTAINS(rout(&a.r), "still a\n");
	CHECK_CONTAINS(rout(&b.r), "tmp [] shm []\n");
	CHECK_CONTAINS(rout(&b.r), "procs ['1']\n");
	CHECK_CONTAINS(rout(&b.r), "signalable []\n");
	/* different pid, mount and IPC namespaces */
	const char *na = strstr(rout(&a.r), "ns "), *nb = strstr(rout(&b.r), "ns ");
	CHECK(na && nb);
	char la[200], lb[200];
	sscanf(na, "%199[^\n]", la);
	sscanf(nb, "%199[^\n]", lb);
	char pa[64], ma[64], ia[64], pb[64], mb[64], ib[64];
	CHECK(sscanf(la, "ns %63s %63s %63s", pa, ma, ia) == 3);
	CHECK(sscanf(lb, "ns %63s %63s %63s", pb, mb, ib) == 3);
	CHECK(strcmp(pa, pb) && strcmp(ma, mb) && strcmp(ia, ib), "shared namespace: %s / %s", la, lb);
	sbx_job_result_clear(&a.r);
	sbx_job_result_clear(&b.r);
	sbx_pool_stop(pool);
}

/* A slot never runs a second job: module state and /tmp do not carry. */
void p_slot_never_runs_second_job(void)
{
	struct sbx_pool *pool = test_pool(true, 1);
	const char *code = "import math, os\n"
			   "print('seen' if hasattr(math, 'marker') else 'fresh', os.path.exists('/tmp/m'),"
			   " os.readlink('/proc/self/ns/pid'))\n"
			   "math.marker = 1\nopen('/tmp/m', 'w').write('x')\n";
	struct sbx_job_result a, b;
	run_code(pool, code, &a);
	run_code(pool, code, &b);
	EXPECT_JOB(&a, "OK");
	EXPECT_JOB(&b, "OK");
	CHECK_CONTAINS(rout(&a), "fresh False");
	CHECK_CONTAINS(rout(&b), "fresh False");
	CHECK(strcmp(rout(&a), rout(&b)) != 0, "two jobs in one pid namespace");
	sbx_job_result_clear(&a);
	sbx_job_result_clear(&b);
	sbx_pool_stop(pool);
}
