/* stratbox backtest: a strategy class over bars, in the sandbox, with the
 * engine outside it filling the orders and computing the metrics.
 *
 * The front end only: options to a bt_job (include/stratbox/backtest.h),
 * the data read and aligned, one run or a sweep, and the result printed as
 * a table, JSON, or an HTML report. */
#include "cli/cli.h"
#include "stratbox/env.h"
#include "common/hash.h"
#include "common/parse.h"
#include "common/util.h"
#include "stratbox/backtest.h"
#include "stratbox/report.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char backtest_usage[] =
	"usage: stratbox backtest STRATEGY.py (--data [SYM=]FILE... | [--data-dir DIR] --symbols A,B)\n"
	"                         [OPTIONS]\n"
	"\n"
	"data\n"
	"  --data [SYM=]FILE     a CSV file of bars (the symbol is the file's name unless given)\n"
	"  --symbols A,B         bundled datasets by name (GOOG, EURUSD, BTCUSD, ...), or A.csv\n"
	"                        (or A.txt) in --data-dir\n"
	"  --data-dir DIR        where --symbols are read\n"
	"  --start DATE --end DATE   only these bars (inclusive)\n"
	"account and execution (docs/backtest.md)\n"
	"  --cash AMOUNT         starting cash (10000)\n"
	"  --commission RATE     per fill, on |size| x price (0)\n"
	"  --commission-fixed AMOUNT  per fill (0)\n"
	"  --spread RATE         entry price moves against the trader by this fraction (0)\n"
	"  --margin M            required margin ratio, 0 < M <= 1; leverage 1/M (1)\n"
	"  --fractional UNIT     sizes in multiples of UNIT (e.g. 1e-8) instead of whole units\n"
	"  --trade-on-close      market orders fill at the Close of the bar they are placed on\n"
	"  --end-policy P        liquidate (default) or hold open trades at the end\n"
	"strategy\n"
	"  --strategy NAME       the class to run when the file defines several\n"
	"  --config FILE         parameters (a JSON object) over the class's params\n"
	"  --param NAME=VALUE    one parameter (a JSON value, or a word); repeatable\n"
	"  --grid SPEC           a sweep: 'fast=5:30:5,slow=20:100:10' (ranges include their end)\n"
	"  --parallel N          sweep runs at once (2)\n"
	"  --rank METRIC         what ranks a sweep (sharpe), each metric in its own direction\n"
	"  --seed N              random and numpy seed in the strategy's process\n"
	"  --policy FILE         validator policy (JSON); replaces the environment's allow-list\n"
	"  --env NAME            the environment to run on (stratbox env list; default: host)\n"
	"  --state-dir DIR       where environments are (stratbox env --help)\n"
	"sandbox\n"
	"  --timeout SEC         wall-clock limit of the strategy's process (60)\n"
	"  --memory SIZE         its memory (256M)\n"
	"  --cpus N              its CPU quota (0.5; use 1 for speed)\n"
	"  --cpu-time SEC        its CPU time (unlimited)\n"
	"  --cgroup-parent PATH  where job cgroups go (see stratbox run --help)\n"
	"output\n"
	"  --json                print the JSON result on stdout\n"
	"  --output FILE         write the JSON result to FILE\n"
	"  --report FILE         write a self-contained HTML report\n"
	"  --quiet               no table, no progress\n";

#define MAX_DATA BT_MAX_SYMBOLS
#define MAX_PARAMS 64

struct bt_opts {
	const char *code_path, *data_dir, *symbols, *start, *end, *config_path, *strategy;
	const char *grid, *rank, *output, *report, *policy_path, *cgroup_parent;
	const char *env_name, *state_dir;
	const char *data[MAX_DATA];
	size_t ndata;
	const char *params[MAX_PARAMS];
	size_t nparams;
	bt_config cfg;
	uint64_t timeout_ns, memory, millicpus, cpu_time_ns, seed;
	bool has_seed, json, quiet;
	unsigned parallel;
};

enum { O_DATA = 256, O_SYMBOLS, O_DATA_DIR, O_START, O_END, O_CASH, O_COMMISSION,
       O_COMMISSION_FIXED, O_SPREAD, O_MARGIN, O_FRACTIONAL, O_TRADE_ON_CLOSE, O_END_POLICY,
       O_STRATEGY, O_CONFIG, O_PARAM, O_GRID, O_PARALLEL, O_RANK, O_SEED, O_POLICY, O_TIMEOUT,
       O_MEMORY, O_CPUS, O_CPU_TIME, O_CGROUP_PARENT, O_JSON, O_OUTPUT, O_REPORT, O_QUIET,
       O_ENV, O_STATE_DIR, O_HELP };

static const struct option options[] = {
	{ "data", required_argument, NULL, O_DATA },
	{ "symbols", required_argument, NULL, O_SYMBOLS },
	{ "data-dir", required_argument, NULL, O_DATA_DIR },
	{ "start", required_argument, NULL, O_START },
	{ "end", required_argument, NULL, O_END },
	{ "cash", required_argument, NULL, O_CASH },
	{ "commission", required_argument, NULL, O_COMMISSION },
	{ "commission-fixed", required_argument, NULL, O_COMMISSION_FIXED },
	{ "spread", required_argument, NULL, O_SPREAD },
	{ "margin", required_argument, NULL, O_MARGIN },
	{ "fractional", required_argument, NULL, O_FRACTIONAL },
	{ "trade-on-close", no_argument, NULL, O_TRADE_ON_CLOSE },
	{ "end-policy", required_argument, NULL, O_END_POLICY },
	{ "strategy", required_argument, NULL, O_STRATEGY },
	{ "config", required_argument, NULL, O_CONFIG },
	{ "param", required_argument, NULL, O_PARAM },
	{ "grid", required_argument, NULL, O_GRID },
	{ "parallel", required_argument, NULL, O_PARALLEL },
	{ "rank", required_argument, NULL, O_RANK },
	{ "seed", required_argument, NULL, O_SEED },
	{ "policy", required_argument, NULL, O_POLICY },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "memory", required_argument, NULL, O_MEMORY },
	{ "cpus", required_argument, NULL, O_CPUS },
	{ "cpu-time", required_argument, NULL, O_CPU_TIME },
	{ "cgroup-parent", required_argument, NULL, O_CGROUP_PARENT },
	{ "json", no_argument, NULL, O_JSON },
	{ "output", required_argument, NULL, O_OUTPUT },
	{ "report", required_argument, NULL, O_REPORT },
	{ "quiet", no_argument, NULL, O_QUIET },
	{ "env", required_argument, NULL, O_ENV },
	{ "state-dir", required_argument, NULL, O_STATE_DIR },
	{ "help", no_argument, NULL, O_HELP },
	{ NULL, 0, NULL, 0 },
};

static int parse_real(const char *opt, const char *s, double *out)
{
	char *end = NULL;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || !isfinite(v))
		return cli_bad_value(opt, s, "not a number");
	*out = v;
	return 0;
}

static int parse_args(int argc, char **argv, struct bt_opts *o)
{
	memset(o, 0, sizeof(*o));
	bt_config_default(&o->cfg);
	o->parallel = 2;
	optind = 1;
	opterr = 0;
	int opt;
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		const char *why = NULL;
		uint64_t v = 0;
		const char *name = optind > 1 ? argv[optind - 1] + 2 : "";
		switch (opt) {
		case O_DATA:
			if (o->ndata == MAX_DATA)
				return cli_bad_value("data", optarg, "at most 16 files");
			o->data[o->ndata++] = optarg;
			break;
		case O_SYMBOLS: o->symbols = optarg; break;
		case O_DATA_DIR: o->data_dir = optarg; break;
		case O_START: o->start = optarg; break;
		case O_END: o->end = optarg; break;
		case O_CASH: if (parse_real("cash", optarg, &o->cfg.cash) < 0) return -1; break;
		case O_COMMISSION:
			if (parse_real("commission", optarg, &o->cfg.commission) < 0)
				return -1;
			break;
		case O_COMMISSION_FIXED:
			if (parse_real("commission-fixed", optarg, &o->cfg.commission_fixed) < 0)
				return -1;
			break;
		case O_SPREAD: if (parse_real("spread", optarg, &o->cfg.spread) < 0) return -1; break;
		case O_MARGIN: if (parse_real("margin", optarg, &o->cfg.margin) < 0) return -1; break;
		case O_FRACTIONAL:
			if (parse_real("fractional", optarg, &o->cfg.fractional) < 0)
				return -1;
			break;
		case O_TRADE_ON_CLOSE: o->cfg.trade_on_close = true; break;
		case O_END_POLICY:
			if (strcmp(optarg, "liquidate") == 0)
				o->cfg.end_policy = BT_END_LIQUIDATE;
			else if (strcmp(optarg, "hold") == 0)
				o->cfg.end_policy = BT_END_HOLD;
			else
				return cli_bad_value("end-policy", optarg, "liquidate or hold");
			break;
		case O_STRATEGY: o->strategy = optarg; break;
		case O_CONFIG: o->config_path = optarg; break;
		case O_PARAM:
			if (o->nparams == MAX_PARAMS)
				return cli_bad_value("param", optarg, "at most 64");
			if (strchr(optarg, '=') == NULL || optarg[0] == '=')
				return cli_bad_value("param", optarg, "NAME=VALUE");
			o->params[o->nparams++] = optarg;
			break;
		case O_GRID: o->grid = optarg; break;
		case O_RANK: o->rank = optarg; break;
		case O_PARALLEL:
			if (parse_u64(optarg, &v, &why) < 0 || v < 1 || v > 64)
				return cli_bad_value("parallel", optarg, why ? why : "from 1 to 64");
			o->parallel = (unsigned) v;
			break;
		case O_SEED:
			if (parse_u64(optarg, &o->seed, &why) < 0)
				return cli_bad_value("seed", optarg, why);
			o->has_seed = true;
			break;
		case O_POLICY: o->policy_path = optarg; break;
		case O_ENV: o->env_name = optarg; break;
		case O_STATE_DIR: o->state_dir = optarg; break;
		case O_TIMEOUT:
		case O_CPU_TIME:
			if (parse_duration(optarg, &v, &why) < 0)
				return cli_bad_value(name, optarg, why);
			*(opt == O_TIMEOUT ? &o->timeout_ns : &o->cpu_time_ns) = v;
			break;
		case O_MEMORY:
			if (parse_size(optarg, &o->memory, &why) < 0)
				return cli_bad_value("memory", optarg, why);
			break;
		case O_CPUS:
			if (parse_cpus(optarg, &o->millicpus, &why) < 0)
				return cli_bad_value("cpus", optarg, why);
			break;
		case O_CGROUP_PARENT: o->cgroup_parent = optarg; break;
		case O_JSON: o->json = true; break;
		case O_OUTPUT: o->output = optarg; break;
		case O_REPORT: o->report = optarg; break;
		case O_QUIET: o->quiet = true; break;
		case 'h':
		case O_HELP: fputs(backtest_usage, stdout); return 1;
		default:
			cli_err("unknown or incomplete option '%s' (see stratbox backtest --help)",
				argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc)
		o->code_path = argv[optind++];
	if (optind < argc) {
		cli_err("one strategy file at a time (extra argument '%s')", argv[optind]);
		return -1;
	}
	if (o->code_path == NULL) {
		cli_err("give the strategy's file (see stratbox backtest --help)");
		return -1;
	}
	if ((o->ndata > 0) == (o->symbols != NULL)) {
		cli_err("give the bars with --data FILE... or --symbols A,B (not both)");
		return -1;
	}
	if (o->rank && !o->grid) {
		cli_err("--rank ranks a sweep: give --grid too");
		return -1;
	}
	const bt_metric_field *rf = o->rank ? bt_metric_find(o->rank) : NULL;
	if (o->rank && (rf == NULL || rf->better == 0)) {
		cli_err("--rank: '%s' is not a metric that ranks (docs/metrics.md lists them)",
			o->rank);
		return -1;
	}
	return 0;
}

/* ---- data ---- */

static int load_data(const struct bt_opts *o, bt_inputs *l, sbx_error **err)
{
	memset(l, 0, sizeof(*l));
	for (size_t i = 0; i < o->ndata; i++) {
		const char *eq = strchr(o->data[i], '=');
		char sym[64];
		const char *path = o->data[i];
		if (eq != NULL && eq != o->data[i] && (size_t) (eq - o->data[i]) < sizeof(sym)) {
			snprintf(sym, sizeof(sym), "%.*s", (int) (eq - o->data[i]), o->data[i]);
			path = eq + 1;
		} else {
			const char *base = strrchr(path, '/');
			base = base ? base + 1 : path;
			snprintf(sym, sizeof(sym), "%s", base);
			char *dot = strrchr(sym, '.');
			if (dot != NULL && dot != sym)
				*dot = '\0';
		}
		if (bt_inputs_add_file(l, sym, path, err) < 0)
			return -1;
	}
	if (o->symbols != NULL) {
		cleanup_free char *list = strdup(o->symbols);
		bt_manifest *m = NULL;
		cleanup_free char *mpath = o->data_dir ? NULL : bt_manifest_default_path();
		if (!o->data_dir && bt_manifest_load(mpath, &m, err) < 0)
			return sbx_error_wrap(err, "the bundled data (set STRATBOX_DATA_DIR or give "
						   "--data-dir)");
		char *save = NULL;
		int rc = list ? 0 : sbx_error_set(err, ENOMEM, "--symbols");
		for (char *s = list ? strtok_r(list, ",", &save) : NULL; s && rc == 0;
		     s = strtok_r(NULL, ",", &save))
			rc = bt_inputs_add_dataset(l, m, o->data_dir, s, err);
		bt_manifest_free(m);
		if (rc < 0)
			return sbx_error_wrap(err, "--symbols");
	}
	return bt_inputs_finish(l, o->start, o->end, err);
}

/* ---- params ---- */

static json_t *load_params(const struct bt_opts *o, sbx_error **err)
{
	json_t *p = NULL;
	if (o->config_path) {
		json_error_t je;
		p = json_load_file(o->config_path, 0, &je);
		if (p == NULL || !json_is_object(p)) {
			json_decref(p);
			sbx_error_set_at(err, SBX_ERR_SYNTAX, (unsigned) je.line, (unsigned) je.column,
					 "%s: %s", o->config_path,
					 p ? "the config must be a JSON object" : je.text);
			return NULL;
		}
	} else {
		p = json_object();
	}
	for (size_t i = 0; p && i < o->nparams; i++) {
		const char *eq = strchr(o->params[i], '=');
		char name[128];
		snprintf(name, sizeof(name), "%.*s", (int) (eq - o->params[i]), o->params[i]);
		json_t *v = json_loads(eq + 1, JSON_DECODE_ANY, NULL);
		if (v == NULL)
			v = json_string(eq + 1); /* a word */
		json_object_set_new(p, name, v);
	}
	return p;
}

/* ---- output ---- */

static void fmt_metric(const json_t *v, char *buf, size_t size)
{
	if (json_is_real(v) || json_is_integer(v)) {
		double x = json_number_value(v);
		if (json_is_integer(v))
			snprintf(buf, size, "%lld", (long long) json_integer_value(v));
		else if (fabs(x) >= 1000)
			snprintf(buf, size, "%.2f", x);
		else
			snprintf(buf, size, "%.4g", x);
	} else if (json_is_string(v)) {
		snprintf(buf, size, "%s", json_string_value(v));
	} else {
		snprintf(buf, size, "-");
	}
}

static void print_table(const json_t *res)
{
	const json_t *m = json_object_get(res, "metrics");
	const char *status = json_string_value(json_object_get(res, "status"));
	if (!json_is_object(m)) {
		const char *e = json_string_value(json_object_get(res, "error"));
		printf("%s%s%s\n", status ? status : "?", e ? ": " : "", e ? e : "");
		return;
	}
	size_t n;
	const bt_metric_field *f = bt_metric_fields(&n);
	for (size_t i = 0; i < n; i++) {
		char v[64];
		fmt_metric(json_object_get(m, f[i].name), v, sizeof(v));
		printf("  %-28s %s\n", f[i].name, v);
	}
	const json_t *la = json_object_get(res, "lookahead_bars");
	if (json_array_size(la) > 0)
		printf("  %-28s %zu bars\n", "lookahead", json_array_size(la));
}

static int write_text(const char *path, const char *text, sbx_error **err)
{
	FILE *f = fopen(path, "we");
	if (f == NULL)
		return sbx_error_set(err, errno, "%s", path);
	bool ok = fputs(text, f) >= 0;
	ok = fclose(f) == 0 && ok;
	return ok ? 0 : sbx_error_set(err, EIO, "%s", path);
}

static int write_report(const struct bt_opts *o, const json_t *res, const bt_data *d,
			sbx_error **err)
{
	const char *base = strrchr(o->code_path, '/');
	base = base ? base + 1 : o->code_path;
	char *html = bt_report_of_result(res, d, base, o->rank, err);
	if (html == NULL)
		return -1;
	int rc = write_text(o->report, html, err);
	free(html);
	return rc;
}

/* ---- progress ---- */

static void progress(void *arg, size_t done, size_t total)
{
	(void) arg;
	int width = 40, fill = total ? (int) ((double) done / (double) total * width) : width;
	fprintf(stderr, "\r  [%.*s%*s] %zu/%zu", fill,
		"########################################", width - fill, "", done, total);
	if (done == total)
		fputc('\n', stderr);
	fflush(stderr);
}

/* ---- the command ---- */

static int emit(const struct bt_opts *o, json_t *res, sbx_error **err)
{
	if (o->output) {
		char *s = json_dumps(res, JSON_INDENT(1) | JSON_REAL_PRECISION(15));
		int rc = s ? write_text(o->output, s, err) : sbx_error_set(err, ENOMEM, "output");
		free(s);
		if (rc < 0)
			return -1;
	}
	if (o->json) {
		char *s = json_dumps(res, JSON_COMPACT | JSON_REAL_PRECISION(15));
		puts(s ? s : "{}");
		free(s);
	}
	return 0;
}

/* One run or a sweep on the pool, and what it gives printed. */
static int run_and_print(const struct bt_opts *o, sbx_pool *pool, const sbx_check_policy *policy,
			 const char *code, size_t code_len, const bt_inputs *data,
			 const json_t *params, const json_t *combos)
{
	cleanup_error sbx_error *err = NULL;
	json_t *prov = json_pack("{s:O}", "data", data->files);
	bt_job job = { .code = code,
		       .code_len = code_len,
		       .code_name = o->code_path,
		       .data = data->data,
		       .config = o->cfg,
		       .strategy = o->strategy,
		       .params = params,
		       .timeout_ns = o->timeout_ns,
		       .memory = o->memory,
		       .millicpus = o->millicpus,
		       .cpu_time_ns = o->cpu_time_ns,
		       .seed = o->seed,
		       .has_seed = o->has_seed,
		       .spin_ns = combos ? 0 : UINT64_MAX,
		       .provenance = prov,
		       .cancel = cli_interrupt_flag() };
	json_t *res = NULL, *runs = NULL;
	bool ok = false;
	if (combos) {
		bool tty = !o->quiet && isatty(2);
		bt_sweep sw = { .job = &job,
				.combos = combos,
				.parallel = o->parallel,
				.rank = o->rank,
				.progress = tty ? progress : NULL };
		res = bt_sweep_run(pool, policy, &sw, &err);
		runs = res ? json_object_get(res, "runs") : NULL;
		const json_t *best = json_object_get(res, "best");
		ok = res && json_is_true(json_object_get(best, "success"));
	} else {
		res = bt_backtest_run(pool, policy, &job, &ok, &err);
	}
	json_decref(prov);
	if (res == NULL) {
		cli_err("%s", err->msg);
		return EXIT_SANDBOX_FAILURE;
	}
	int rc = ok ? 0 : 1;
	if (emit(o, res, &err) < 0 ||
	    (o->report &&
	     write_report(o, res, data->data, &err) < 0)) {
		cli_err("%s", err->msg);
		rc = 2;
	}
	if (!o->json && !o->quiet) {
		const json_t *one = combos ? json_object_get(res, "best") : res;
		if (combos) {
			size_t i;
			json_t *run;
			printf("%zu runs ranked by %s; the best first:\n", json_array_size(runs),
			       json_string_value(json_object_get(res, "rank")));
			json_array_foreach (runs, i, run) {
				if (i == 10)
					break;
				char v[64];
				fmt_metric(json_object_get(json_object_get(run, "metrics"),
							   json_string_value(json_object_get(res, "rank"))),
					   v, sizeof(v));
				char *ps = json_dumps(json_object_get(run, "params"), JSON_COMPACT);
				printf("  %3zu  %-12s %-16s %s\n", i + 1, v,
				       json_string_value(json_object_get(run, "status")), ps ? ps : "");
				free(ps);
			}
			printf("the best run:\n");
		}
		const char *out = json_string_value(json_object_get(one, "output"));
		if (out && *out && !combos)
			fputs(out, stdout);
		print_table(one);
		const json_t *la = json_object_get(one, "lookahead_bars");
		if (json_array_size(la) > 0)
			cli_err("warning: the strategy looked ahead on %zu bars (lookahead_bars in "
				"the JSON result)",
				json_array_size(la));
	}
	json_decref(res);
	return rc;
}

int cmd_backtest(int argc, char **argv)
{
	struct bt_opts o;
	int r = parse_args(argc, argv, &o);
	if (r != 0)
		return r > 0 ? 0 : 2;
	cleanup_error sbx_error *err = NULL;
	cleanup_free char *code = NULL;
	size_t code_len = 0;
	if (read_file_alloc(o.code_path, 64u << 20, &code, &code_len, &err) < 0) {
		cli_err("%s", err->msg);
		return 2;
	}
	if (bt_config_check(&o.cfg, &err) < 0) {
		cli_err("%s", err->msg);
		return 2;
	}
	json_t *params = load_params(&o, &err);
	if (params == NULL) {
		cli_err("%s", err->msg);
		return 2;
	}
	json_t *combos = NULL;
	if (o.grid && bt_grid_parse(o.grid, 0, &combos, &err) < 0) {
		cli_err("--grid: %s", err->msg);
		json_decref(params);
		return 2;
	}
	bt_inputs data;
	if (load_data(&o, &data, &err) < 0) {
		cli_err("%s", err->msg);
		bt_inputs_clear(&data);
		json_decref(params);
		json_decref(combos);
		return 2;
	}
	sbx_env *env = NULL;
	sbx_check_policy *policy = NULL;
	if (cli_env_open(o.state_dir, o.env_name, &env) < 0 ||
	    (policy = cli_env_policy(o.policy_path, env)) == NULL ||
	    bt_backtest_policy(policy, &err) < 0) {
		if (err)
			cli_err("%s", err->msg);
		sbx_check_policy_free(policy);
		sbx_env_free(env);
		bt_inputs_clear(&data);
		json_decref(params);
		json_decref(combos);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	(void) cli_interrupt_start(); /* the flag is bt_job's cancel */
	int rc = EXIT_SANDBOX_FAILURE;
	sbx_pool *pool = NULL;
	struct sbx_pool_options po = { .warm = combos ? o.parallel : 1,
				       .cgroup_parent = o.cgroup_parent,
				       .policy = policy,
				       .log_fd = 2 };
	sbx_env_pool_options(env, &po);
	if (sbx_pool_start(&po, &pool, &err) < 0)
		cli_err("cannot start the Python runtime: %s", err->msg);
	else
		rc = run_and_print(&o, pool, policy, code, code_len, &data, params, combos);
	if (pool)
		sbx_pool_stop(pool);
	if (cli_interrupted()) {
		cli_err("interrupted (%s): the strategy's process was stopped",
			strsignal(cli_interrupted()));
		rc = EXIT_SANDBOX_FAILURE;
	}
	sbx_check_policy_free(policy);
	sbx_env_free(env);
	bt_inputs_clear(&data);
	json_decref(params);
	json_decref(combos);
	return rc;
}
