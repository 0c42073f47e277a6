/* hook: what the job's audit hook (src/pyrt/audit.c) costs.  Prints
 * figures, asserts nothing.
 *
 *   hook [-n RUNS] [-b BUILD_DIR] [-d GOOG.csv]
 *
 * Two pools, one with the hook and one without (sbx_pool_options
 * .no_audit_hook), measured in turns so that drift of this VM's speed
 * falls on both alike:
 *   1. a warm job (import pandas, print one line), request to result;
 *   2. a bar loop: an SMA-cross object called once per bar with a numpy
 *      view of the closes so far (the shape of a lockstep strategy's
 *      work), over GOOG's 2,148 closes, repeated; the per-bar cost is the
 *      difference between jobs with and without the loop, timed by the
 *      host (the job's own clock is not used). */
#include "benchstat.h"
#include "stratbox/pyrt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REPS 10

static const char warm_job[] = "import pandas as pd\nprint('rows', len(pd.DataFrame({'a': [1, 2]})))\n";

static const char bar_job[] =
	"import numpy as np, stratbox\n"
	"c = np.array(stratbox.data()['close'])\n"
	"class SmaCross:\n"
	"    def __init__(self, fast=10, slow=30):\n"
	"        self.fast, self.slow, self.position = fast, slow, 0\n"
	"    def on_bar(self, close):\n"
	"        if len(close) < self.slow:\n"
	"            return 0\n"
	"        f = close[-self.fast:].mean()\n"
	"        s = close[-self.slow:].mean()\n"
	"        self.position = 1 if f > s else -1\n"
	"        return self.position\n"
	"s = SmaCross()\n"
	"for rep in range(%d):\n"
	"    for i in range(1, len(c) + 1):\n"
	"        s.on_bar(c[:i])\n"
	"print(s.position)\n";

static char *closes_json(const char *csv, size_t *nbars)
{
	FILE *f = fopen(csv, "r");
	if (f == NULL) {
		perror(csv);
		exit(1);
	}
	size_t cap = 1 << 16, len = 0;
	char *out = malloc(cap), line[512];
	len += (size_t) snprintf(out, cap, "{\"close\": [");
	*nbars = 0;
	if (fgets(line, sizeof(line), f) == NULL) /* header: ,Open,High,Low,Close,Volume */
		exit(1);
	while (fgets(line, sizeof(line), f)) {
		char *p = line;
		for (int col = 0; col < 4 && p; col++)
			p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL;
		if (p == NULL)
			continue;
		double close = strtod(p, NULL);
		if (cap - len < 64)
			out = realloc(out, cap *= 2);
		len += (size_t) snprintf(out + len, cap - len, "%s%.4f", *nbars ? "," : "", close);
		(*nbars)++;
	}
	fclose(f);
	snprintf(out + len, cap - len, "]}");
	return out;
}

static sbx_pool *start(const char *build, bool hook)
{
	char zyg[1024], pkg[1024];
	snprintf(zyg, sizeof(zyg), "%s/stratbox-zygote", build);
	snprintf(pkg, sizeof(pkg), "%s/python", build);
	struct sbx_pool_options o = { .warm = 1, .zygote_path = zyg, .package_dir = pkg,
				      .log_fd = 2, .no_audit_hook = !hook };
	sbx_pool *p = NULL;
	sbx_error *err = NULL;
	if (sbx_pool_start(&o, &p, &err) < 0) {
		fprintf(stderr, "hook: %s\n", err->msg);
		exit(1);
	}
	return p;
}

/* One job; its wall time as the host measured it (ns). */
static double run(sbx_pool *p, const char *code, const char *data)
{
	struct sbx_job job = { .code = code, .code_len = strlen(code), .millicpus = 1000 };
	if (data != NULL) {
		job.data = data;
		job.data_len = strlen(data);
	}
	struct sbx_job_result r;
	sbx_error *err = NULL;
	if (sbx_pool_run(p, &job, &r, &err) < 0 || r.verdict.status != SBX_OK) {
		fprintf(stderr, "hook: job failed: %s %s\n", sbx_status_name(r.verdict.status),
			r.error ? r.error : "");
		exit(1);
	}
	double wall = (double) r.verdict.wall_ns;
	sbx_job_result_clear(&r);
	return wall;
}

int main(int argc, char **argv)
{
	int runs = 100, opt;
	const char *build = "build", *csv = "data/GOOG.csv";
	while ((opt = getopt(argc, argv, "n:b:d:")) != -1) {
		if (opt == 'n')
			runs = atoi(optarg);
		else if (opt == 'b')
			build = optarg;
		else if (opt == 'd')
			csv = optarg;
	}
	size_t nbars;
	char *data = closes_json(csv, &nbars);
	sbx_pool *on = start(build, true), *off = start(build, false);
	char loop[2048], empty[2048];
	snprintf(loop, sizeof(loop), bar_job, REPS);
	snprintf(empty, sizeof(empty), bar_job, 0);

	double *w_on = calloc((size_t) runs, sizeof(double)), *w_off = calloc((size_t) runs, sizeof(double));
	for (int i = 0; i < 3; i++) { /* first jobs of each pool */
		run(on, warm_job, NULL);
		run(off, warm_job, NULL);
	}
	for (int i = 0; i < runs; i++) {
		w_on[i] = run(on, warm_job, NULL) / 1e6;
		w_off[i] = run(off, warm_job, NULL) / 1e6;
	}
	printf("warm job (import pandas, print a line), job wall time, n=%d\n", runs);
	bench_print("  hook on ", w_on, (size_t) runs, "ms");
	bench_print("  hook off", w_off, (size_t) runs, "ms");

	int bar_runs = runs / 10 > 5 ? runs / 10 : 5;
	double *b_on = calloc((size_t) bar_runs, sizeof(double)), *b_off = calloc((size_t) bar_runs, sizeof(double));
	for (int i = 0; i < bar_runs; i++) {
		double base_on = run(on, empty, data), base_off = run(off, empty, data);
		b_on[i] = (run(on, loop, data) - base_on) / 1e3 / (double) (REPS * nbars);
		b_off[i] = (run(off, loop, data) - base_off) / 1e3 / (double) (REPS * nbars);
	}
	printf("\nbar loop: SMA cross over %zu bars x %d, numpy views, host-timed, n=%d\n", nbars,
	       REPS, bar_runs);
	bench_print("  hook on ", b_on, (size_t) bar_runs, "us/bar");
	bench_print("  hook off", b_off, (size_t) bar_runs, "us/bar");
	sbx_pool_stop(on);
	sbx_pool_stop(off);
	free(data);
	return 0;
}
