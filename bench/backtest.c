/* Backtests on a warm pool, each beside its floor (bench/bt_floor.py, the
 * same class in one plain python3 process).
 *
 *   build/bench/backtest [RUNS]
 *
 *   single   an event-driven SMA cross over GOOG.csv (2,148 bars) at
 *            --cpus 1: microseconds a bar of the lockstep (host and slot
 *            each on a core, spinning) and the whole job, on a pool whose
 *            slots are warmed up before they are offered (as the service
 *            runs them) and on one whose are not (as the CLI's one-shot
 *            pool); each run starts with the pool at rest (its slots ready)
 *            The machine's speed drifts (a VM: the floor itself moved from
 *            4.8 to 7.8 us a bar within an hour here), so the floor is
 *            measured again before each round of runs and each round's
 *            ratio to it is printed too
 *            The exchange's own floor is measured beside it (trip: one
 *            cache line's round trip between C threads on the two CPUs)
 *   exchange the same with a strategy that answers nothing at once
 *   sweep    200 combinations, 2 slots at --cpus 1: event-driven and
 *            vectorised, backtests/s
 * The floors are printed by bench/backtest.sh beside these figures.
 *
 * BENCH_CODE=FILE runs FILE instead of the SMA cross in the single runs
 * and prints what it printed (a strategy timing itself, to see where a
 * bar's time goes); BENCH_VERBOSE=1 prints every single run beside its
 * round's floor.  (The first run of a round used to be 3x slower: after
 * the pool sat idle, the slot woke on the host thread's core; the host
 * thread now moves off it, driver_keep_apart in src/engine/driver.c.) */
#include "benchstat.h"
#include "stratbox/backtest.h"

#include <jansson.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return NULL;
	static char buf[1 << 20];
	*len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[*len] = '\0';
	return strdup(buf);
}

static double num(const json_t *o, const char *a, const char *b)
{
	return json_number_value(json_object_get(json_object_get(o, a), b));
}

#define WARM 2

static sbx_pool *start(const sbx_check_policy *pol, bool prefault)
{
	const char *b = getenv("BUILDROOT") ? getenv("BUILDROOT") : "build";
	char zyg[512], pkg[512];
	snprintf(zyg, sizeof(zyg), "%s/stratbox-zygote", b);
	snprintf(pkg, sizeof(pkg), "%s/python", b);
	sbx_error *err = NULL;
	sbx_pool *pool = NULL;
	if (sbx_pool_start(&(struct sbx_pool_options){ .warm = WARM,
						       .prefault = prefault,
						       .policy = pol,
						       .log_fd = 2,
						       .zygote_path = zyg,
						       .package_dir = pkg },
			   &pool, &err) < 0) {
		fprintf(stderr, "pool: %s\n", err->msg);
		exit(1);
	}
	return pool;
}

/* Until the pool has its warm slots ready and none starting: a slot being
 * forked (and warmed) would take a core from the measured run. */
static void at_rest(sbx_pool *pool)
{
	struct sbx_pool_stats st;
	for (int i = 0; i < 5000; i++) {
		sbx_pool_stats(pool, &st);
		if (st.ready >= WARM && st.starting == 0)
			break;
		usleep(1000);
	}
}

/* A backtest `runs` times, each from a pool at rest: microseconds a bar
 * into bar_us, the job's milliseconds into job_ms (may be NULL). */
static void repeat(sbx_pool *pool, const sbx_check_policy *pol, const bt_job *job, int runs,
		   double *bar_us, double *job_ms)
{
	for (int i = 0; i < runs; i++) {
		bool ok;
		sbx_error *err = NULL;
		at_rest(pool);
		json_t *r = bt_backtest_run(pool, pol, job, &ok, &err);
		if (r == NULL || !ok) {
			fprintf(stderr, "backtest failed: %s\n",
				r ? json_string_value(json_object_get(r, "error")) : err->msg);
			exit(1);
		}
		bar_us[i] = num(r, "timings", "us_per_bar");
		if (job_ms != NULL)
			job_ms[i] = num(r, "timings", "run_ms");
		if (getenv("BENCH_CODE")) {
			const json_t *o = json_object_get(r, "output");
			fputs(json_string_value(o) ? json_string_value(o) : "", stdout);
		}
		json_decref(r);
	}
}

/* The floor now: the same class in a plain python3 (best of 3 runs). */
static double floor_now(void)
{
	FILE *f = popen("/usr/bin/python3 bench/bt_floor.py bench/strategies/sma_cross.py "
			"data/GOOG.csv 1 3",
			"r");
	double us = 0;
	if (f == NULL || fscanf(f, "floor: %lf", &us) != 1)
		us = 0;
	if (f != NULL)
		pclose(f);
	return us;
}

/* The exchange's own floor: one cache line's round trip between two
 * threads spinning on two CPUs (the host thread and the slot do at least
 * one such round trip a bar).  On this VM it is 0.13 us or 0.5-0.7 us from
 * one minute to the next, as the hypervisor places the vCPUs. */
static _Alignas(64) volatile uint32_t ping;
static _Alignas(64) volatile uint32_t pong;
#define PINGS 20000u

static void pin_to(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET((size_t) cpu, &set);
	(void) pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void *ponger(void *arg)
{
	pin_to(*(int *) arg);
	for (uint32_t i = 1; i <= PINGS; i++) {
		while (ping != i)
			__builtin_ia32_pause();
		pong = i;
	}
	return NULL;
}

static double round_trip_us(void)
{
	cpu_set_t mine;
	if (sched_getaffinity(0, sizeof(mine), &mine) < 0 || CPU_COUNT(&mine) < 2)
		return 0;
	int cpus[2], n = 0;
	for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
		if (CPU_ISSET((size_t) c, &mine))
			cpus[n++] = c;
	ping = pong = 0;
	pthread_t t;
	if (pthread_create(&t, NULL, ponger, &cpus[1]) != 0)
		return 0;
	pin_to(cpus[0]);
	double t0 = now_ms();
	for (uint32_t i = 1; i <= PINGS; i++) {
		ping = i;
		while (pong != i)
			__builtin_ia32_pause();
	}
	double t1 = now_ms();
	pthread_join(t, NULL);
	(void) sched_setaffinity(0, sizeof(mine), &mine);
	return (t1 - t0) * 1e3 / PINGS;
}

/* Rounds of 5 runs, each after the floor measured again. */
static void single(sbx_pool *pool, const sbx_check_policy *pol, const bt_job *job, int runs,
		   const char *label)
{
	int rounds = (runs + 4) / 5;
	runs = rounds * 5;
	double *bar_us = calloc((size_t) runs, sizeof(double)),
	       *job_ms = calloc((size_t) runs, sizeof(double)),
	       *floors = calloc((size_t) rounds, sizeof(double)),
	       *trips = calloc((size_t) rounds, sizeof(double)),
	       *ratio = calloc((size_t) runs, sizeof(double));
	for (int k = 0; k < rounds; k++) {
		floors[k] = floor_now();
		trips[k] = round_trip_us();
		repeat(pool, pol, job, 5, bar_us + 5 * k, job_ms + 5 * k);
		for (int i = 5 * k; i < 5 * k + 5; i++)
			ratio[i] = floors[k] > 0 ? bar_us[i] / floors[k] : 0;
		if (getenv("BENCH_VERBOSE"))
			for (int i = 5 * k; i < 5 * k + 5; i++)
				fprintf(stderr, "round %d: floor %.2f round trip %.3f run %.2f us\n", k,
					floors[k], trips[k], bar_us[i]);
	}
	printf("single SMA cross, GOOG (2148 bars), --cpus 1, %s:\n", label);
	bench_print("  per bar", bar_us, (size_t) runs, "us (lockstep, host+slot)");
	bench_print("  floor", floors, (size_t) rounds, "us a bar in plain python3, before each round");
	bench_print("  ratio", ratio, (size_t) runs, "x the floor of its round");
	bench_print("  trip", trips, (size_t) rounds,
		    "us: a cache line's round trip between the two CPUs, C threads spinning");
	bench_print("  job", job_ms, (size_t) runs, "ms (sandboxed process, start to exit)");
	free(bar_us);
	free(job_ms);
	free(floors);
	free(trips);
	free(ratio);
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 20;
	sbx_error *err = NULL;
	bt_series *s = NULL;
	bt_data *data = NULL;
	if (bt_series_read("data/GOOG.csv", "GOOG", &s, &err) < 0 ||
	    bt_data_new(&s, 1, &data, &err) < 0) {
		fprintf(stderr, "data: %s\n", err->msg);
		return 1;
	}
	sbx_check_policy *pol = sbx_check_policy_default();
	if (bt_backtest_policy(pol, &err) < 0) {
		fprintf(stderr, "policy: %s\n", err->msg);
		return 1;
	}
	size_t len, vlen, elen;
	const char *single_code = getenv("BENCH_CODE") ? getenv("BENCH_CODE")
							: "bench/strategies/sma_cross.py";
	char *code = slurp(single_code, &len);
	char *vcode = slurp("bench/strategies/sma_vectorised.py", &vlen);
	char *ecode = slurp("bench/strategies/empty.py", &elen);
	if (code == NULL || vcode == NULL || ecode == NULL) {
		fprintf(stderr, "run from the repository's root\n");
		return 1;
	}
	bt_job job = { .code = code, .code_len = len, .data = data, .millicpus = 1000,
		       .spin_ns = UINT64_MAX };
	bt_config_default(&job.config);

	sbx_pool *pool = start(pol, true);
	single(pool, pol, &job, runs, "slots warmed up before they are offered (the service)");
	/* the exchange alone: a strategy that answers nothing, at once */
	bt_job ej = job;
	ej.code = ecode;
	ej.code_len = elen;
	double *bar_us = calloc((size_t) runs, sizeof(double));
	repeat(pool, pol, &ej, runs, bar_us, NULL);
	bench_print("  exchange", bar_us, (size_t) runs,
		    "us a bar with an empty strategy (the floor of the lockstep)");
	free(bar_us);

	json_t *combos = NULL;
	if (bt_grid_parse("fast=5:50:5,slow=20:210:10", 0, &combos, &err) < 0) {
		fprintf(stderr, "grid: %s\n", err->msg);
		return 1;
	}
	const char *names[] = { "event-driven", "vectorised" };
	const char *codes[] = { code, vcode };
	size_t lens[] = { len, vlen };
	for (int m = 0; m < 2; m++) {
		bt_job j = job;
		j.code = codes[m];
		j.code_len = lens[m];
		j.spin_ns = 0;
		j.has_seed = true;
		j.seed = 1;
		double rate[3];
		int nrep = 3;
		for (int k = 0; k < nrep; k++) {
			at_rest(pool);
			bt_sweep sw = { .job = &j, .combos = combos, .parallel = 2 };
			json_t *r = bt_sweep_run(pool, pol, &sw, &err);
			if (r == NULL) {
				fprintf(stderr, "sweep: %s\n", err->msg);
				return 1;
			}
			rate[k] = num(r, "timings", "backtests_per_s");
			json_decref(r);
		}
		printf("sweep of %zu, 2 slots at --cpus 1, %s:\n", json_array_size(combos), names[m]);
		bench_print("  rate", rate, (size_t) nrep, "backtests/s");
	}
	json_decref(combos);
	sbx_pool_stop(pool);

	/* the same single run on slots that were not warmed up */
	pool = start(pol, false);
	single(pool, pol, &job, runs, "slots not warmed up (the CLI's pool)");
	sbx_pool_stop(pool);
	sbx_check_policy_free(pol);
	bt_data_free(data);
	bt_series_free(s);
	return 0;
}
