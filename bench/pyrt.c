/* pyrt: the warm pool's figures, measured through the library the CLI and
 * the HTTP service use.  Prints figures, asserts nothing.
 *
 *   pyrt [-n RUNS] [-w WARM] [-c CGROUP_PARENT] [-b BUILD_DIR]
 *
 * BUILD_DIR holds stratbox-zygote and python/ (default: build).
 *
 * 1. warm latency: a job that imports pandas and prints one line, run one
 *    at a time through sbx_pool_run() on a pool whose slots are ready;
 *    request to result, p50/p90/p99, and where the time goes;
 * 2. memory: the zygote's resident set and each idle slot's PSS and
 *    private memory;
 * 3. the network-namespace trap: what creating one per job would cost,
 *    against the job path that needs none (sockets are refused).
 */
#include "benchstat.h"
#include "stratbox/pyrt.h"

#include <errno.h>
#include <stdbool.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* CPU time the whole machine spent busy, in ms (from /proc/stat). */
static double machine_busy_ms(void)
{
	FILE *f = fopen("/proc/stat", "r");
	unsigned long long v[10] = { 0 };
	if (f == NULL)
		return 0;
	int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
		       &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]);
	fclose(f);
	if (n < 8)
		return 0;
	double hz = (double) sysconf(_SC_CLK_TCK);
	/* user nice system [idle iowait] irq softirq steal */
	return (double) (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) * 1000.0 / hz;
}

static void wait_ready(sbx_pool *pool, unsigned warm)
{
	for (int i = 0; i < 3000; i++) {
		struct sbx_pool_stats st;
		sbx_pool_stats(pool, &st);
		if (st.ready >= warm)
			return;
		usleep(10000);
	}
	fprintf(stderr, "pyrt: the pool did not fill in 30 s\n");
	exit(1);
}

/* fork a child that creates a network namespace and exits; as root only */
static int netns_cost(int n)
{
	double *t = calloc((size_t) n, sizeof(double)), *u = calloc((size_t) n, sizeof(double));
	for (int i = 0; i < n; i++) {
		for (int with = 0; with < 2; with++) {
			double t0 = now_ms();
			pid_t pid = fork();
			if (pid == 0)
				_exit(with && unshare(CLONE_NEWNET) < 0 ? 1 : 0);
			int st;
			waitpid(pid, &st, 0);
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
				free(t);
				free(u);
				return -1;
			}
			(with ? t : u)[i] = now_ms() - t0;
		}
	}
	print_summary("fork+exit", u, n, "");
	print_summary("fork+unshare(NEWNET)+exit", t, n, "");
	free(t);
	free(u);
	return 0;
}

struct bench {
	int runs;
	unsigned warm;
	const char *cgroup_parent, *build;
};

/* Warm latency, one request at a time, on a pool with or without the
 * prefault warm-up; the CPU the machine spent per job, refill included. */
static int warm_latency(const struct bench *b, bool prefault, bool first)
{
	sbx_error *err = NULL;
	sbx_pool *pool = NULL;
	double t0 = now_ms();
	char zygote[4096], package[4096];
	snprintf(zygote, sizeof(zygote), "%s/stratbox-zygote", b->build);
	snprintf(package, sizeof(package), "%s/python", b->build);
	struct sbx_pool_options o = { .warm = b->warm, .cgroup_parent = b->cgroup_parent,
				      .zygote_path = zygote, .package_dir = package, .log_fd = -1,
				      .prefault = prefault };
	if (sbx_pool_start(&o, &pool, &err) < 0) {
		fprintf(stderr, "pyrt: %s\n", err->msg);
		return -1;
	}
	wait_ready(pool, b->warm);
	double fill = now_ms() - t0;

	static const char code[] = "import pandas as pd\nprint('rows', len(pd.DataFrame({'a': [1, 2]})))\n";
	int runs = b->runs;
	double *lat = calloc((size_t) runs, sizeof(double));
	double queue = 0, setup = 0, run = 0;
	int cold = 0, bad = 0;
	double busy0 = 0;
	for (int i = -10; i < runs; i++) {
		if (i == 0)
			busy0 = machine_busy_ms();
		/* one job at a time, each on a ready slot: the pool refills
		 * between requests, as it does between a service's requests */
		wait_ready(pool, b->warm);
		struct sbx_job job = { .code = code, .code_len = sizeof(code) - 1 };
		struct sbx_job_result r;
		double a = now_ms();
		if (sbx_pool_run(pool, &job, &r, &err) < 0) {
			fprintf(stderr, "pyrt: %s\n", err->msg);
			return -1;
		}
		double dt = now_ms() - a;
		if (r.verdict.status != SBX_OK || !r.verdict.out.data ||
		    strcmp(r.verdict.out.data, "rows 2\n") != 0)
			bad++;
		if (i >= 0) {
			lat[i] = dt;
			cold += !r.warm;
			queue += (double) r.queue_ns / 1e6;
			setup += (double) r.verdict.setup_ns / 1e6;
			run += (double) r.verdict.run_ns / 1e6;
		}
		sbx_job_result_clear(&r);
	}
	struct sbx_pool_stats st;
	wait_ready(pool, b->warm);
	double busy = machine_busy_ms() - busy0; /* includes refilling the slots used */
	sbx_pool_stats(pool, &st);
	struct sbx_pool_memory mem;
	sbx_pool_memory(pool, &mem);

	if (first)
		printf("pool: %s, %u slots kept ready; zygote started and slots ready in %.0f ms\n",
		       st.versions, b->warm, fill);
	print_summary(prefault ? "warm job, slots prefaulted" : "warm job, no prefault", lat, runs, "");
	if (bad || cold)
		printf("  !! %d jobs did not print the expected line, %d ran cold\n", bad, cold);
	printf("  where the time goes (mean ms): take a ready slot %.3f; its limits, code\n"
	       "  into a memfd %.3f; job sent to exit announced (guard, compile, run) %.3f;\n"
	       "  the rest is waking threads and building the result (the cgroup is\n"
	       "  removed off the job's path)\n",
	       queue / runs, (setup - queue) / runs, run / runs);
	printf("  CPU per job, whole machine, its slot's fork and refill included: %.2f ms\n",
	       busy / runs);
	printf("  memory: zygote RSS %.1f MiB; per idle slot PSS %.1f MiB, private %.2f MiB\n",
	       (double) mem.zygote_rss_bytes / 1048576.0, (double) mem.idle_slot_pss_bytes / 1048576.0,
	       (double) mem.idle_slot_private_bytes / 1048576.0);
	sbx_pool_stop(pool);
	free(lat);
	return 0;
}

int main(int argc, char **argv)
{
	struct bench b = { .runs = 300, .warm = 2, .build = "build" };
	int opt;
	while ((opt = getopt(argc, argv, "n:w:c:b:")) != -1) {
		if (opt == 'n')
			b.runs = atoi(optarg);
		else if (opt == 'w')
			b.warm = (unsigned) atoi(optarg);
		else if (opt == 'c')
			b.cgroup_parent = optarg;
		else if (opt == 'b')
			b.build = optarg;
		else
			return 2;
	}
	if (b.runs < 1 || b.warm < 1) {
		fprintf(stderr, "usage: pyrt [-n RUNS] [-w WARM] [-c CGROUP_PARENT] [-b BUILD_DIR]\n");
		return 2;
	}
	if (warm_latency(&b, true, true) < 0 || warm_latency(&b, false, false) < 0)
		return 1;
	if (geteuid() == 0) {
		printf("network namespace per job, the cost avoided (jobs share the zygote's empty one\n"
		       "and cannot create sockets):\n");
		if (netns_cost(200) < 0)
			printf("  (unshare(CLONE_NEWNET) failed: %s)\n", strerror(errno));
	}
	return 0;
}
