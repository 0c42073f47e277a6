/* stratbox exec: Python strategy code in the sandboxed Python runtime.
 *
 *   stratbox exec CODE.py [--data DATA.json] [--timeout SEC] [--json] ...
 *   stratbox exec --batch JOBS.jsonl [--parallel N] ...
 *
 * The code is checked by the static validator first; a rejected job comes
 * back as status VALIDATION_ERROR with the violations, and nothing runs.
 * Code with only warnings (an optional import with a fallback) runs, and
 * its result carries them as "warnings".
 * A single job runs on a freshly started pool (a cold start); a batch
 * runs every job through one warm pool, N at a time, and prints one
 * result per line in input order. */
#include "cli/cli.h"
#include "common/parse.h"
#include "common/util.h"
#include "stratbox/env.h"
#include "stratbox/pyrt.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static const char exec_usage[] =
	"usage: stratbox exec CODE.py [OPTIONS]\n"
	"       stratbox exec --batch JOBS.jsonl [--parallel N] [OPTIONS]\n"
	"\n"
	"  --data FILE          JSON document the code reads at /workspace/data.json\n"
	"  --timeout SEC        wall-clock limit per job (60)\n"
	"  --memory SIZE        memory per job (256M)\n"
	"  --cpu-time SEC       CPU time per job (unlimited)\n"
	"  --seed N             random and numpy seed (0)\n"
	"  --env NAME           the environment to run on (stratbox env list; default: host)\n"
	"  --state-dir DIR      where environments are (stratbox env --help)\n"
	"  --policy FILE        validator policy (JSON); its imports also bind at run time;\n"
	"                       replaces the environment's allow-list\n"
	"  --json               print the result as JSON (always with --batch)\n"
	"  --batch FILE         one job per line: {\"code\": ..., \"data\": ..., \"timeout\": ...,\n"
	"                       \"seed\": ..., \"id\": ...}; '-' reads standard input\n"
	"  --parallel N         jobs running at once in a batch (2)\n"
	"  --cgroup-parent PATH where job cgroups go (see stratbox run --help)\n";

struct exec_opts {
	const char *code_path, *data_path, *batch_path, *policy_path, *cgroup_parent;
	const char *env_name, *state_dir;
	struct sbx_env *env;
	struct sbx_job defaults;
	bool json;
	unsigned parallel;
	sbx_check_policy *policy;
};

enum { O_DATA = 256, O_TIMEOUT, O_MEMORY, O_CPU_TIME, O_SEED, O_POLICY, O_JSON, O_BATCH,
       O_PARALLEL, O_CGROUP_PARENT, O_ENV, O_STATE_DIR, O_HELP };

static const struct option exec_options[] = {
	{ "data", required_argument, NULL, O_DATA },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "memory", required_argument, NULL, O_MEMORY },
	{ "cpu-time", required_argument, NULL, O_CPU_TIME },
	{ "seed", required_argument, NULL, O_SEED },
	{ "policy", required_argument, NULL, O_POLICY },
	{ "json", no_argument, NULL, O_JSON },
	{ "batch", required_argument, NULL, O_BATCH },
	{ "parallel", required_argument, NULL, O_PARALLEL },
	{ "cgroup-parent", required_argument, NULL, O_CGROUP_PARENT },
	{ "env", required_argument, NULL, O_ENV },
	{ "state-dir", required_argument, NULL, O_STATE_DIR },
	{ "help", no_argument, NULL, O_HELP },
	{ NULL, 0, NULL, 0 },
};

static int parse_exec_args(int argc, char **argv, struct exec_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->parallel = 2;
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", exec_options, NULL)) != -1) {
		const char *why = NULL;
		uint64_t v = 0;
		switch (opt) {
		case O_DATA: o->data_path = optarg; break;
		case O_POLICY: o->policy_path = optarg; break;
		case O_JSON: o->json = true; break;
		case O_BATCH: o->batch_path = optarg; break;
		case O_CGROUP_PARENT: o->cgroup_parent = optarg; break;
		case O_ENV: o->env_name = optarg; break;
		case O_STATE_DIR: o->state_dir = optarg; break;
		case O_TIMEOUT:
		case O_CPU_TIME:
			if (parse_duration(optarg, &v, &why) < 0)
				return cli_bad_value(opt == O_TIMEOUT ? "timeout" : "cpu-time", optarg, why);
			*(opt == O_TIMEOUT ? &o->defaults.timeout_ns : &o->defaults.cpu_time_ns) = v;
			break;
		case O_MEMORY:
			if (parse_size(optarg, &v, &why) < 0)
				return cli_bad_value("memory", optarg, why);
			o->defaults.memory = v;
			break;
		case O_SEED:
			if (parse_u64(optarg, &v, &why) < 0)
				return cli_bad_value("seed", optarg, why);
			o->defaults.seed = v;
			o->defaults.has_seed = true;
			break;
		case O_PARALLEL:
			if (parse_u64(optarg, &v, &why) < 0 || v < 1 || v > 64)
				return cli_bad_value("parallel", optarg, why ? why : "from 1 to 64");
			o->parallel = (unsigned) v;
			break;
		case 'h':
		case O_HELP:
			fputs(exec_usage, stdout);
			return 1;
		default:
			cli_err("unknown or incomplete option '%s' (see stratbox exec --help)",
				argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc)
		o->code_path = argv[optind++];
	if (optind < argc || (!o->code_path == !o->batch_path)) {
		cli_err("give either CODE.py or --batch JOBS.jsonl");
		return -1;
	}
	return 0;
}

static void print_violations(const char *file, const json_t *res)
{
	size_t i;
	json_t *v;
	json_t *list = json_object_get(res, "violations");
	if (list == NULL)
		list = json_object_get(res, "warnings");
	json_array_foreach (list, i, v) {
		const char *sev = json_string_value(json_object_get(v, "severity"));
		fprintf(stderr, "%s:%lld:%lld: %s%s: %s\n", file,
			(long long) json_integer_value(json_object_get(v, "line")),
			(long long) json_integer_value(json_object_get(v, "col")),
			sev && strcmp(sev, "warning") == 0 ? "warning: " : "",
			json_string_value(json_object_get(v, "rule")),
			json_string_value(json_object_get(v, "message")));
	}
}

static void print_text(const char *key, FILE *f, const json_t *res)
{
	json_t *t = json_object_get(res, key);
	fwrite(json_string_value(t) ? json_string_value(t) : "", 1, json_string_length(t), f);
}

/* One job's result: the JSON line, or what a person reads (the job's own
 * output, then the verdict when it is not the job's own exit). */
static void print_result(const char *file, const json_t *res, bool as_json)
{
	if (as_json) {
		char *s = json_dumps(res, JSON_COMPACT | JSON_REAL_PRECISION(15));
		puts(s ? s : "{}");
		free(s);
	} else {
		print_violations(file, res);
		print_text("output", stdout, res);
		print_text("stderr", stderr, res);
		const char *status = json_string_value(json_object_get(res, "status"));
		if (status && strcmp(status, "OK") != 0 && strcmp(status, "NONZERO_EXIT") != 0 &&
		    strcmp(status, "VALIDATION_ERROR") != 0)
			cli_err("%s: %s", status,
				json_string_value(json_object_get(res, "error"))
					? json_string_value(json_object_get(res, "error"))
					: "");
	}
	fflush(stdout);
}

/* SIGINT, SIGTERM and SIGHUP from here on stop the jobs (interrupt.c):
 * taken only once the input is read, so that a signal while reading a
 * stalled pipe or terminal still ends the command at once. */
static void take_interrupts(struct exec_opts *o)
{
	int cancel = cli_interrupt_start();
	if (cancel > 0)
		o->defaults.cancel_fd = cancel;
}

static struct sbx_pool *start_pool(const struct exec_opts *o, unsigned warm)
{
	struct sbx_pool_options po = { .warm = warm,
				       .cgroup_parent = o->cgroup_parent,
				       .policy = o->policy,
				       .log_fd = 2 };
	sbx_env_pool_options(o->env, &po);
	struct sbx_pool *pool = NULL;
	cleanup_error sbx_error *err = NULL;
	if (sbx_pool_start(&po, &pool, &err) < 0) {
		cli_err("cannot start the Python runtime: %s", err->msg);
		return NULL;
	}
	return pool;
}

static int exec_one(struct exec_opts *o)
{
	cleanup_free char *code = NULL, *data = NULL;
	size_t code_len = 0, data_len = 0;
	cleanup_error sbx_error *err = NULL;
	if (read_file_alloc(o->code_path, 64u << 20, &code, &code_len, &err) < 0) {
		cli_err("%s", err->msg);
		return 2;
	}
	if (o->data_path != NULL) {
		if (read_file_alloc(o->data_path, 1u << 30, &data, &data_len, &err) < 0) {
			cli_err("%s", err->msg);
			return 2;
		}
		json_error_t je;
		json_t *doc = json_loadb(data, data_len, 0, &je);
		if (doc == NULL) {
			cli_err("%s:%d:%d: not JSON: %s", o->data_path, je.line, je.column, je.text);
			return 2;
		}
		json_decref(doc);
	}
	struct sbx_job job = o->defaults;
	job.code = code;
	job.code_len = code_len;
	job.data = data;
	job.data_len = data_len;
	json_t *refusal = NULL, *warnings = NULL;
	if (sbx_job_check(o->policy, &job, &refusal, &warnings, &err) < 0) {
		cli_err("%s: %s", o->code_path, err->msg);
		return 2;
	}
	if (refusal != NULL) { /* nothing runs, and no pool is started for it */
		print_result(o->code_path, refusal, o->json);
		json_decref(refusal);
		return 1;
	}
	take_interrupts(o);
	job.cancel_fd = o->defaults.cancel_fd;
	struct sbx_pool *pool = start_pool(o, 1);
	if (pool == NULL) {
		json_decref(warnings);
		return EXIT_SANDBOX_FAILURE;
	}
	bool ok = false;
	int rc = EXIT_SANDBOX_FAILURE;
	/* checked above: run it, with the warnings the check gave */
	json_t *res = sbx_pool_run_json(pool, &job, warnings, &ok, &err);
	if (res != NULL) {
		print_result(o->code_path, res, o->json);
		rc = (int) json_integer_value(
			json_object_get(json_object_get(res, "metrics"), "exit_code"));
		json_decref(res);
	} else {
		cli_err("%s", err->msg);
	}
	sbx_pool_stop(pool);
	return rc;
}

/* ---- batch ---- */

struct batch_item {
	char *line;
	size_t lineno;
	char *result; /* JSON line, when done */
	bool success; /* the job ran and its status is OK: decides the exit code */
};

struct batch {
	struct exec_opts *o;
	struct sbx_pool *pool;
	struct batch_item *items;
	size_t n, next;
	pthread_mutex_t mu;
	pthread_cond_t done;
};

/* A line's result that is not a run's: "line N: why", with its id. */
static char *line_result(const char *status, size_t lineno, const char *why, json_t *id)
{
	char *msg = str_printf("line %zu: %s", lineno, why);
	json_t *o = sbx_job_error_json(status, msg ? msg : why);
	free(msg);
	if (o != NULL && id != NULL)
		json_object_set(o, "id", id);
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return s;
}

/* One line of the batch to one JSON result line; *success when the job
 * ran and its status is OK (the exit code is decided from this, never from
 * the text: a job's id could spell "success":true). */
static char *run_item(struct batch *b, struct batch_item *it, bool *success)
{
	json_error_t je;
	*success = false;
	/* as the service reads a request: a key given twice is refused */
	json_t *o = json_loads(it->line, JSON_REJECT_DUPLICATES, &je);
	if (o == NULL)
		return line_result("INVALID_JOB", it->lineno, je.text, NULL);
	json_t *id = json_is_object(o) ? json_object_get(o, "id") : NULL;
	struct sbx_job_request req;
	sbx_error *err = NULL;
	char *line = NULL;
	if (sbx_job_request_from_json(&req, o, &b->o->defaults, &err) < 0) {
		line = line_result("INVALID_JOB", it->lineno, err->msg, id);
	} else {
		json_t *res = sbx_pool_run_checked(b->pool, b->o->policy, &req.job, success, &err);
		if (res == NULL) {
			line = line_result("INVALID_JOB", it->lineno, err->msg, id);
		} else {
			if (id != NULL)
				json_object_set(res, "id", id);
			line = json_dumps(res, JSON_COMPACT | JSON_REAL_PRECISION(15));
			json_decref(res);
		}
	}
	*success = *success && line != NULL;
	sbx_error_free(err);
	sbx_job_request_clear(&req);
	json_decref(o);
	return line;
}

static char *not_run(const struct batch_item *it)
{
	json_t *o = json_loads(it->line, JSON_REJECT_DUPLICATES, NULL);
	json_t *id = json_is_object(o) ? json_object_get(o, "id") : NULL;
	char *why = str_printf("not run: stratbox was interrupted (%s)",
			       strsignal(cli_interrupted()));
	char *s = line_result("SANDBOX_ERROR", it->lineno, why ? why : "not run", id);
	free(why);
	json_decref(o);
	return s;
}

static void *batch_worker(void *arg)
{
	struct batch *b = arg;
	for (;;) {
		pthread_mutex_lock(&b->mu);
		size_t i = b->next++;
		pthread_mutex_unlock(&b->mu);
		if (i >= b->n)
			return NULL;
		bool success = false;
		/* interrupted: the lines not started yet are not run, and say so */
		char *line = cli_interrupted() ? not_run(&b->items[i])
					       : run_item(b, &b->items[i], &success);
		pthread_mutex_lock(&b->mu);
		b->items[i].success = success && line != NULL;
		b->items[i].result = line ? line : strdup("{\"success\":false,\"status\":\"SANDBOX_ERROR\"}");
		pthread_cond_broadcast(&b->done);
		pthread_mutex_unlock(&b->mu);
	}
}

static int read_batch(const char *path, struct batch *b)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
	if (f == NULL) {
		cli_err("%s: %s", path, strerror(errno));
		return -1;
	}
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue; /* blank lines are not jobs */
		struct batch_item *ni = realloc(b->items, (b->n + 1) * sizeof(*ni));
		if (ni == NULL)
			break;
		b->items = ni;
		b->items[b->n++] = (struct batch_item){ strdup(line), lineno, NULL, false };
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return 0;
}

static int exec_batch(struct exec_opts *o)
{
	struct batch b;
	memset(&b, 0, sizeof(b));
	b.o = o;
	pthread_mutex_init(&b.mu, NULL);
	pthread_cond_init(&b.done, NULL);
	if (read_batch(o->batch_path, &b) < 0)
		return 2;
	int rc = 0;
	trace_mark("batch read");
	take_interrupts(o);
	b.pool = start_pool(o, o->parallel * 2 + 2);
	if (b.pool == NULL)
		return EXIT_SANDBOX_FAILURE;
	pthread_t th[64];
	unsigned nth = o->parallel < b.n ? o->parallel : (unsigned) b.n;
	for (unsigned i = 0; i < nth; i++)
		pthread_create(&th[i], NULL, batch_worker, &b);
	/* print in input order, each as soon as it and all before it are done */
	for (size_t i = 0; i < b.n; i++) {
		pthread_mutex_lock(&b.mu);
		while (b.items[i].result == NULL)
			pthread_cond_wait(&b.done, &b.mu);
		pthread_mutex_unlock(&b.mu);
		puts(b.items[i].result);
		fflush(stdout);
		if (i == 0)
			trace_mark("first result");
		if (!b.items[i].success)
			rc = 1;
	}
	for (unsigned i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	trace_mark("all results");
	sbx_pool_stop(b.pool);
	trace_mark("pool stopped");
	if (cli_interrupted())
		rc = EXIT_SANDBOX_FAILURE;
	for (size_t i = 0; i < b.n; i++) {
		free(b.items[i].line);
		free(b.items[i].result);
	}
	free(b.items);
	return rc;
}

int cmd_exec(int argc, char **argv)
{
	struct exec_opts o;
	int r = parse_exec_args(argc, argv, &o);
	if (r != 0)
		return r > 0 ? 0 : 2;
	if (cli_env_open(o.state_dir, o.env_name, &o.env) < 0)
		return 2;
	o.policy = cli_env_policy(o.policy_path, o.env);
	if (o.policy == NULL) {
		sbx_env_free(o.env);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	int rc = o.batch_path ? exec_batch(&o) : exec_one(&o);
	if (cli_interrupted())
		rc = EXIT_SANDBOX_FAILURE;
	sbx_check_policy_free(o.policy);
	sbx_env_free(o.env);
	return rc;
}
