/* Backtests under attack (issue 9): a strategy must never see a bar after
 * the one it is deciding on, never report a number of its own, never hang
 * or crash the host that drives it; limits end it promptly; BaseStrategy
 * is there however the code guesses its import.
 *
 * The attack programs are in tests/pyrt/lookahead/.  Each prints what it
 * saw (common.py says how); the test alone holds the data and judges: a
 * value read by any route at bar i that equals a price or time of a later
 * bar (and of no bar up to i) is a lookahead.  Every route also reads the
 * current bar the same way, and must find it: a route that reads nothing
 * proves nothing.
 *
 * Runs go through the library (bt_backtest_run, bt_sweep_run) on a pool of
 * the test's own, with the default policy and the audit hook, as the
 * service will; the attacks that need the process itself (/proc/self/mem,
 * gc, _stratbox_ls) run under lookahead/policy.json with the hook off, so
 * that only the design stands in their way. */
#include "common/util.h"
#include "pyrt.h"
#include "tests.h"

#include "stratbox/backtest.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* Pools, data, programs, runs.                                        */

struct bt_env {
	sbx_pool *pool;
	sbx_check_policy *pol;
};

enum env_kind {
	ENV_DEFAULT,  /* the default policy, the audit hook on: what strategies meet */
	ENV_PROCESS,  /* lookahead/policy.json, the hook off: the kernel and the design alone */
};

static void env_start(struct bt_env *e, enum env_kind kind, unsigned warm)
{
	sbx_error *err = NULL;
	if (kind == ENV_PROCESS) {
		char path[1024];
		snprintf(path, sizeof(path), "%s/pyrt/lookahead/policy.json", test_data_dir());
		e->pol = sbx_check_policy_load(path, &err);
	} else {
		e->pol = sbx_check_policy_default();
	}
	CHECK(e->pol != NULL, "policy: %s", err ? err->msg : "");
	CHECK(bt_backtest_policy(e->pol, &err) == 0, "%s", err ? err->msg : "");
	struct sbx_pool_options o = { .warm = warm,
				      .cgroup_parent = t_cgroup_parent(),
				      .zygote_path = test_zygote(),
				      .package_dir = test_package(),
				      .policy = e->pol,
				      .log_fd = 2,
				      .no_audit_hook = kind == ENV_PROCESS };
	CHECK(sbx_pool_start(&o, &e->pool, &err) == 0, "pool: %s", err ? err->msg : "");
}

static void env_stop(struct bt_env *e)
{
	sbx_pool_stop(e->pool);
	sbx_check_policy_free(e->pol);
	memset(e, 0, sizeof(*e));
}

/* The bundled bars: staged beside the suite's data (tests/run.sh), or the
 * checkout's data/ when run from it. */
/* GOOG, up to `end` (inclusive; NULL: all of it). */
static bt_data *load_goog(const char *end)
{
	char path[1100];
	snprintf(path, sizeof(path), "%s/GOOG.csv", t_bars_dir());
	sbx_error *err = NULL;
	bt_series *s = NULL;
	CHECK(bt_series_read(path, "GOOG", &s, &err) == 0, "%s", err ? err->msg : "");
	if (end != NULL) {
		int64_t t1;
		CHECK(bt_time_parse(end, true, &t1, &err) == 0, "%s", err ? err->msg : "");
		CHECK(bt_series_clip(s, INT64_MIN, t1, &err) == 0, "%s", err ? err->msg : "");
	}
	bt_data *d = NULL;
	CHECK(bt_data_new(&s, 1, &d, &err) == 0, "%s", err ? err->msg : "");
	bt_series_free(s);
	return d;
}

static char *read_text(const char *path)
{
	char *text = NULL;
	size_t n;
	sbx_error *err = NULL;
	CHECK(read_file_alloc(path, 4 << 20, &text, &n, &err) == 0, "read %s: %s", path,
	      err ? err->msg : "");
	return text;
}

/* lookahead/<name>.py for each name, joined (NULL-terminated list). */
static char *program(const char *first, ...)
{
	va_list ap;
	va_start(ap, first);
	char *code = strdup("");
	for (const char *name = first; name != NULL; name = va_arg(ap, const char *)) {
		char path[1100];
		snprintf(path, sizeof(path), "%s/pyrt/lookahead/%s.py", test_data_dir(), name);
		char *part = read_text(path);
		char *joined = str_printf("%s%s\n", code, part);
		free(code);
		free(part);
		code = joined;
	}
	va_end(ap);
	return code;
}

struct run_opts {
	json_t *params;	    /* borrowed; NULL: none */
	const char *strategy; /* NULL: the one class */
	double timeout_s;   /* 0: 30 s */
	uint64_t memory;
	bool trade_on_close;
	size_t cpus_milli;  /* 0: one CPU */
	const volatile int *cancel; /* bt_job.cancel */
};

/* One backtest; the result (never NULL: a run that cannot start fails the
 * test).  *secs: how long it took. */
static json_t *backtest(struct bt_env *e, const char *code, const bt_data *d,
			const struct run_opts *o, double *secs)
{
	static const struct run_opts none;
	if (o == NULL)
		o = &none;
	bt_job job = { .code = code,
		       .code_len = strlen(code),
		       .data = d,
		       .strategy = o->strategy,
		       .params = o->params,
		       .timeout_ns = (uint64_t) ((o->timeout_s > 0 ? o->timeout_s : 30) * 1e9),
		       .memory = o->memory,
		       .millicpus = o->cpus_milli ? o->cpus_milli : 1000,
		       .seed = 1,
		       .has_seed = true,
		       .spin_ns = UINT64_MAX,
		       .cancel = o->cancel };
	bt_config_default(&job.config);
	job.config.trade_on_close = o->trade_on_close;
	bool ok;
	sbx_error *err = NULL;
	struct timespec t0, t1;
	/* the host thread may leave its slot's CPU while it spins
	 * (driver_keep_apart), whatever the slot says: never for good */
	cpu_set_t cpus0, cpus1;
	CHECK(sched_getaffinity(0, sizeof(cpus0), &cpus0) == 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	json_t *r = bt_backtest_run(e->pool, e->pol, &job, &ok, &err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(r != NULL, "backtest: %s", err ? err->msg : "");
	CHECK(sched_getaffinity(0, sizeof(cpus1), &cpus1) == 0 && CPU_EQUAL(&cpus0, &cpus1),
	      "the backtest left the calling thread on %d of its %d CPUs", CPU_COUNT(&cpus1),
	      CPU_COUNT(&cpus0));
	if (secs)
		*secs = (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9;
	CHECK(ok == json_is_true(json_object_get(r, "success")));
	return r;
}

static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static void show(const json_t *r)
{
	char *s = json_dumps(r, JSON_COMPACT);
	test_note("result: %.1500s", s ? s : "?");
	free(s);
}

#define EXPECT_STATUS(r, st)                                                                       \
	do {                                                                                       \
		if (strcmp(jstr((r), "status"), (st)) != 0) {                                      \
			show(r);                                                                   \
			test_fail_at(__FILE__, __LINE__, "status %s, want %s (error: %s)",         \
				     jstr((r), "status"), (st), jstr((r), "error"));               \
		}                                                                                  \
	} while (0)

/* The same numbers: metrics and trades equal to the last bit. */
static void expect_same_numbers(const json_t *got, const json_t *want, const char *what)
{
	const char *keys[] = { "metrics", "trades", "equity" };
	for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
		json_t *a = json_object_get(got, keys[k]), *b = json_object_get(want, keys[k]);
		if (!json_equal(a, b) || json_is_null(a)) {
			char *sa = json_dumps(a, JSON_COMPACT), *sb = json_dumps(b, JSON_COMPACT);
			test_fail_at(__FILE__, __LINE__, "%s: %s differ\n    got:  %.700s\n    want: %.700s",
				     what, keys[k], sa ? sa : "null", sb ? sb : "null");
		}
	}
}

/* ------------------------------------------------------------------ */
/* The judge of what the attack programs saw.                          */

struct known {
	const bt_data *d;
	size_t n;
	uint64_t *bits;	 /* every price and volume, and every time, of every bar */
	size_t *first;	 /* the first bar each value belongs to */
	size_t nbits;
};

static uint64_t dbits(double x)
{
	uint64_t u;
	memcpy(&u, &x, 8);
	return u;
}

static void known_init(struct known *k, const bt_data *d)
{
	memset(k, 0, sizeof(*k));
	k->d = d;
	k->n = d->n;
	k->bits = calloc(d->n * 6 * d->nsym, sizeof(uint64_t));
	k->first = calloc(d->n * 6 * d->nsym, sizeof(size_t));
	CHECK(k->bits && k->first);
	for (size_t i = 0; i < d->n; i++)
		for (size_t s = 0; s < d->nsym; s++) {
			const bt_symbol *y = &d->sym[s];
			double v[5] = { y->open[i], y->high[i], y->low[i], y->close[i], y->volume[i] };
			for (int c = 0; c < 5; c++) {
				k->bits[k->nbits] = dbits(v[c]);
				k->first[k->nbits++] = i;
			}
			k->bits[k->nbits] = (uint64_t) d->time[i];
			k->first[k->nbits++] = i;
		}
}

static void known_free(struct known *k)
{
	free(k->bits);
	free(k->first);
}

/* The first bar with this value, or SIZE_MAX. */
static size_t first_bar(const struct known *k, uint64_t v)
{
	size_t best = SIZE_MAX;
	for (size_t j = 0; j < k->nbits; j++)
		if (k->bits[j] == v && k->first[j] < best)
			best = k->first[j];
	return best;
}

struct verdict {
	size_t lines, values, controls, scans, leaks, errors, forbidden, refused, text_misses;
	char first_leak[512], first_error[512], first_refusal[512];
};

/* Go through the program's output; every leak and wrong control fails the
 * test at the end (after all of them are counted).  `need_k`/`need_f`:
 * routes whose control (K) or scan control (F j == bar) must be there on
 * every bar in `bars` (n bars; NULL: every bar the strategy is called on). */
static void judge(const struct known *k, const char *out, const char *const *need_k,
		  const char *const *need_f, const size_t *bars, size_t nbars, struct verdict *v)
{
	memset(v, 0, sizeof(*v));
	size_t nk = 0, nf = 0;
	while (need_k && need_k[nk])
		nk++;
	while (need_f && need_f[nf])
		nf++;
	/* which (route, bar) controls were seen */
	uint8_t *kseen = calloc((nk + nf + 1) * (k->n + 1), 1);
	CHECK(kseen != NULL);
	char *copy = strdup(out), *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char kind = line[0], route[128];
		size_t bar;
		int used = 0;
		if (line[1] != ' ' || sscanf(line + 2, "%127s %zu %n", route, &bar, &used) < 2)
			continue;
		v->lines++;
		const char *rest = line + 2 + used;
		if (kind == 'S') {
			for (const char *p = rest; *p;) {
				char *end;
				uint64_t val = strtoull(p, &end, 16);
				if (end == p)
					break;
				p = end;
				while (*p == ' ')
					p++;
				v->values++;
				if (val == 0)
					continue;
				size_t fb = first_bar(k, val);
				if (fb != SIZE_MAX && fb > bar) {
					if (v->leaks++ == 0)
						snprintf(v->first_leak, sizeof(v->first_leak),
							 "%s at bar %zu read %016" PRIx64
							 ", a value of bar %zu",
							 route, bar, val, fb);
				}
			}
		} else if (kind == 'K') {
			uint64_t val = strtoull(rest, NULL, 16);
			CHECK(bar < k->n, "%s", line);
			if (val != dbits(k->d->sym[0].close[bar])) {
				if (v->errors++ == 0)
					snprintf(v->first_error, sizeof(v->first_error),
						 "%s at bar %zu read %016" PRIx64 " for the bar's Close",
						 route, bar, val);
			}
			for (size_t r = 0; r < nk; r++)
				if (strcmp(route, need_k[r]) == 0)
					kseen[r * (k->n + 1) + bar] = 1;
			v->controls++;
		} else if (kind == 'F') {
			long j = strtol(rest, NULL, 10);
			if (j == (long) bar) {
				for (size_t r = 0; r < nf; r++)
					if (strcmp(route, need_f[r]) == 0)
						kseen[(nk + r) * (k->n + 1) + bar] = 1;
				v->scans++;
			} else if (j > (long) bar && (size_t) j < k->n) {
				size_t fb = first_bar(k, dbits(k->d->sym[0].close[j]));
				if (fb > bar && v->leaks++ == 0)
					snprintf(v->first_leak, sizeof(v->first_leak),
						 "%s at bar %zu found the Close of bar %ld", route, bar,
						 j);
			}
		} else if (kind == 'X') {
			if (v->forbidden++ == 0)
				snprintf(v->first_leak, sizeof(v->first_leak), "%s", line);
		} else if (kind == 'E') {
			if (v->refused++ == 0)
				snprintf(v->first_refusal, sizeof(v->first_refusal), "%s", line);
		}
	}
	free(copy);
	/* every bar but the last, where the host does not call the strategy
	 * (drive_event() in chunk.c stops once the engine is finished) */
	size_t nb = bars ? nbars : k->n - 1;
	for (size_t r = 0; r < nk + nf; r++)
		for (size_t q = 0; q < nb; q++) {
			size_t bar = bars ? bars[q] : q;
			const char *route = r < nk ? need_k[r] : need_f[r - nk];
			/* the text scan's control is a short-lived bytes object that
			 * a scan of /proc/self/mem can miss (a chunk unreadable at
			 * that moment); the binary scan of the same memory must not */
			if (!kseen[r * (k->n + 1) + bar] && strcmp(route, "proc_mem_text") == 0) {
				v->text_misses++;
				continue;
			}
			if (!kseen[r * (k->n + 1) + bar] && v->errors++ == 0)
				snprintf(v->first_error, sizeof(v->first_error),
					 "route %s read nothing at bar %zu (its control is missing)",
					 route, bar);
		}
	free(kseen);
	test_note("%zu lines: %zu values read where later bars would be, %zu controls, %zu scans "
		  "that found the current bar; %zu leaks, %zu forbidden, %zu errors, %zu refused",
		  v->lines, v->values, v->controls, v->scans, v->leaks, v->forbidden, v->errors,
		  v->refused);
	if (v->refused)
		test_note("the first refusal: %s", v->first_refusal);
	if (v->text_misses)
		test_note("the text scan's control missed on %zu bars", v->text_misses);
}

static void expect_no_lookahead(const struct verdict *v, const char *what)
{
	CHECK(v->leaks == 0 && v->forbidden == 0, "%s: %zu lookaheads, %zu forbidden; the first: %s",
	      what, v->leaks, v->forbidden, v->first_leak);
	CHECK(v->errors == 0, "%s: %zu errors; the first: %s (the first refusal: %s)", what,
	      v->errors, v->first_error, v->refused ? v->first_refusal : "none");
}

/* The needles of common.py: each Close's bits as [lo, hi], and its
 * shortest text split in two. */
static json_t *needle_params(const bt_data *d)
{
	json_t *pairs = json_array(), *texts = json_array();
	for (size_t i = 0; i < d->n; i++) {
		double c = d->sym[0].close[i];
		uint64_t b = dbits(c);
		json_array_append_new(pairs, json_pack("[I,I]", (json_int_t) (b & 0xffffffffu),
						       (json_int_t) (b >> 32)));
		char t[40];
		for (int p = 1; p <= 17; p++) {
			snprintf(t, sizeof(t), "%.*g", p, c);
			if (strtod(t, NULL) == c)
				break;
		}
		if (strchr(t, '.') == NULL && strchr(t, 'e') == NULL)
			strcat(t, ".0"); /* as Python's repr writes a whole float */
		size_t h = strlen(t) / 2;
		json_array_append_new(texts, json_pack("[s%,s]", t, h, t + h));
	}
	return json_pack("{s:o,s:o}", "needles", pairs, "texts", texts);
}

/* ------------------------------------------------------------------ */
/* 1. No bar after the current one, by any route.                      */

#define LOOKAHEAD_END "2004-11-11" /* GOOG's first 60 bars */

/* numpy alone, under the default policy: views past their end
 * (as_strided, np.ndarray on .base), the column's .base, the whole region
 * through .base.base and its header, pandas (shift(-1), iloc past the
 * end), spinning and sleeping in the hope the host writes ahead. */
void p_bt_numpy_and_pandas_routes_never_see_a_later_bar(void)
{
	struct bt_env e;
	env_start(&e, ENV_DEFAULT, 1);
	bt_data *d = load_goog(LOOKAHEAD_END);
	struct known k;
	known_init(&k, d);
	char *code = program("common", "arrays", NULL);
	json_t *params = needle_params(d);
	struct run_opts o = { .params = params };
	json_t *r = backtest(&e, code, d, &o, NULL);
	EXPECT_STATUS(r, "OK");
	static const char *const need_k[] = { "strided_close", "base_close", "ndarray_buffer",
					      "region_close", "df_close", NULL };
	static const char *const need_f[] = { "region_scan", "column_bytes", NULL };
	struct verdict v;
	judge(&k, jstr(r, "output"), need_k, need_f, NULL, 0, &v);
	expect_no_lookahead(&v, "numpy routes");
	CHECK(v.values > 60 * 40, "only %zu values read", v.values);
	json_decref(r);
	json_decref(params);
	free(code);
	known_free(&k);
	bt_data_free(d);
	env_stop(&e);
}

/* The process itself, with every module allowed and the audit hook off:
 * _stratbox_ls.region() and stratbox._backtest's, /proc/self/mem over
 * every data mapping (bits and text), ctypes over the region and the heap,
 * every object gc can reach, the region's memfd (map_files, open fds),
 * files in /dev/shm, /workspace, /tmp, other processes. */
void p_bt_process_memory_routes_never_see_a_later_bar(void)
{
	struct bt_env e;
	env_start(&e, ENV_PROCESS, 1);
	bt_data *d = load_goog(LOOKAHEAD_END);
	struct known k;
	known_init(&k, d);
	char *code = program("common", "process", NULL);
	json_t *params = needle_params(d);
	static const size_t bars[] = { 0, 1, 31, 58 };
	json_t *jb = json_array();
	for (size_t i = 0; i < ARRAY_SIZE(bars); i++)
		json_array_append_new(jb, json_integer((json_int_t) bars[i]));
	json_object_set_new(params, "bars", jb);
	struct run_opts o = { .params = params, .timeout_s = 50, .memory = 512u << 20 };
	double secs;
	json_t *r = backtest(&e, code, d, &o, &secs);
	test_note("%.1f s", secs);
	EXPECT_STATUS(r, "OK");
	static const char *const need_k[] = { "backtest_module", NULL };
	static const char *const need_f[] = { "ls_region", "proc_mem", "proc_mem_text", "ctypes_mem",
					      "gc_objects", NULL };
	struct verdict v;
	judge(&k, jstr(r, "output"), need_k, need_f, bars, ARRAY_SIZE(bars), &v);
	expect_no_lookahead(&v, "process routes");
	json_decref(r);
	json_decref(params);
	free(code);
	known_free(&k);
	bt_data_free(d);
	env_stop(&e);
}

/* Posting early to get the next bar, then answering for the bar asked
 * about with the next Close in hand (trade on close: a sure win): the
 * host took the answer at the post, so not one such order may fill. */
void p_bt_early_post_orders_never_fill_on_next_close(void)
{
	struct bt_env e;
	env_start(&e, ENV_PROCESS, 1);
	bt_data *d = load_goog(LOOKAHEAD_END);
	char *code = program("common", "pydrive", "early_post", NULL);
	struct run_opts o = { .strategy = "EarlyPost", .trade_on_close = true };
	json_t *r = backtest(&e, code, d, &o, NULL);
	const char *st = jstr(r, "status");
	CHECK(strcmp(st, "OK") == 0 || strcmp(st, "STRATEGY_ERROR") == 0, "status %s (%s)", st,
	      jstr(r, "error"));
	/* it did see the next bar, after its (empty) answer */
	CHECK_CONTAINS(jstr(r, "output"), "P early_post");
	json_t *tr = json_object_get(r, "trades");
	if (json_array_size(tr) != 0) {
		show(r);
		test_fail_at(__FILE__, __LINE__,
			     "%zu orders chosen with the next bar's Close in hand were filled",
			     json_array_size(tr));
	}
	test_note("status %s: %s", st, jstr(r, "error"));
	json_decref(r);
	free(code);
	bt_data_free(d);
	env_stop(&e);
}

/* The same with numpy alone, under the default policy: a post is one
 * more on slot_seq in the region.  Orders are returned only with the next
 * bar in hand, so not one trade may come of them. */
void p_bt_early_post_via_numpy_orders_never_fill(void)
{
	struct bt_env e;
	env_start(&e, ENV_DEFAULT, 1);
	bt_data *d = load_goog(LOOKAHEAD_END);
	char *code = program("common", "early_post_numpy", NULL);
	struct run_opts o = { .strategy = "EarlyPostNumpy", .trade_on_close = true, .timeout_s = 20 };
	double secs;
	json_t *r = backtest(&e, code, d, &o, &secs);
	const char *st = jstr(r, "status");
	test_note("status %s in %.2f s: %s", st, secs, jstr(r, "error"));
	CHECK(strcmp(st, "OK") == 0 || strcmp(st, "STRATEGY_ERROR") == 0, "status %s (%s)", st,
	      jstr(r, "error"));
	CHECK_CONTAINS(jstr(r, "output"), "P early_post_numpy");
	json_t *tr = json_object_get(r, "trades");
	if (json_array_size(tr) != 0) {
		show(r);
		test_fail_at(__FILE__, __LINE__,
			     "%zu orders chosen with the next bar's Close in hand were filled",
			     json_array_size(tr));
	}
	json_decref(r);
	free(code);
	bt_data_free(d);
	env_stop(&e);
}

/* The header's host-side words rewritten from inside (numpy alone): kind
 * and upto as if every bar had been sent, slot_mode; the host writes only
 * what it means to.  Then host_seq bumped too (the host's next post
 * overwrites it; with _stratbox_ls at hand the slot can do worse:
 * p_bt_broken_exchange_ends_in_prompt_strategy_error). */
void p_bt_forged_header_words_reveal_no_later_bar(void)
{
	struct bt_env e;
	env_start(&e, ENV_DEFAULT, 1);
	bt_data *d = load_goog(LOOKAHEAD_END);
	struct known k;
	known_init(&k, d);
	char *code = program("common", "header", NULL);
	static const char *const need_k[] = { "header", NULL };
	/* kind, upto and slot_mode on every bar */
	json_t *r = backtest(&e, code, d, NULL, NULL);
	EXPECT_STATUS(r, "OK");
	struct verdict v;
	judge(&k, jstr(r, "output"), need_k, NULL, NULL, 0, &v);
	expect_no_lookahead(&v, "kind, upto, slot_mode");
	CHECK_INT_EQ(json_array_size(json_object_get(r, "trades")), 0);
	json_decref(r);
	/* and host_seq at bar 20: overwritten by the host's own next value
	 * before the slot's runtime waits again, so nothing may change */
	json_t *params = json_pack("{s:i}", "host_seq_at", 20);
	struct run_opts o = { .params = params, .timeout_s = 20 };
	double secs;
	r = backtest(&e, code, d, &o, &secs);
	test_note("host_seq: %s in %.2f s: %s", jstr(r, "status"), secs, jstr(r, "error"));
	const char *st = jstr(r, "status");
	CHECK(strcmp(st, "OK") == 0 || strcmp(st, "STRATEGY_ERROR") == 0, "status %s", st);
	CHECK(secs < 10, "%.1f s: the host waited for the job's time limit", secs);
	/* a protocol error (when the runtime saw our value first) ends the
	 * run after bar 20: controls up to there */
	static const size_t upto20[] = { 0, 5, 10, 19, 20 };
	judge(&k, jstr(r, "output"), need_k, NULL, upto20, ARRAY_SIZE(upto20), &v);
	expect_no_lookahead(&v, "host_seq");
	json_decref(r);
	json_decref(params);
	free(code);
	known_free(&k);
	bt_data_free(d);
	env_stop(&e);
}

/* The header's layout fields (where the host writes bars and accounts and
 * reads answers) rewritten from inside with numpy alone.  The host made
 * the layout and must keep to its own copy: the run ends as an honest one
 * (no orders, no trades) or as a protocol error, and the host survives.
 * Each field runs in a process of its own, so that a host that dies says
 * which field killed it. */
void p_bt_forged_header_layout_never_breaks_host(void)
{
	static const struct {
		const char *field;
		unsigned off, width;
		uint64_t value;
	} cases[] = {
		{ "nbars", 16, 8, 1ull << 40 },	     { "cols_off", 72, 8, 1ull << 40 },
		{ "time_off", 64, 8, 1ull << 40 },   { "has_off", 80, 8, 1ull << 40 },
		{ "acct_off", 88, 8, 1ull << 40 },   { "answer_off", 96, 8, 1ull << 40 },
		{ "targets_off", 104, 8, 1ull << 40 }, { "ninst", 24, 8, 4096 },
		{ "nsym", 12, 4, 16 },		     { "size", 40, 8, 1 },
		{ "cols_off=0", 72, 8, 0 },	     { "answer_off=0", 96, 8, 0 },
	};
	bt_data *d = load_goog(LOOKAHEAD_END);
	char *code = program("common", "offsets", NULL);
	char failures[4096] = "";
	size_t nfail = 0;
	for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
		int pfd[2];
		CHECK(pipe(pfd) == 0);
		fflush(NULL);
		pid_t pid = fork();
		CHECK(pid >= 0);
		if (pid == 0) {
			close(pfd[0]);
			struct bt_env e;
			env_start(&e, ENV_DEFAULT, 1);
			json_t *params = json_pack("{s:i,s:I,s:I,s:i}", "at", 5, "field",
						   (json_int_t) cases[c].off, "value",
						   (json_int_t) cases[c].value, "width",
						   (int) cases[c].width);
			struct run_opts o = { .params = params, .strategy = "Offsets",
					      .timeout_s = 20 };
			double secs;
			json_t *r = backtest(&e, code, d, &o, &secs);
			char *line = str_printf("%s %zu %.1f %s", jstr(r, "status"),
						json_array_size(json_object_get(r, "trades")), secs,
						jstr(r, "error"));
			if (write(pfd[1], line, strlen(line)) < 0)
				_exit(3);
			env_stop(&e);
			_exit(0);
		}
		close(pfd[1]);
		char buf[1024] = "";
		ssize_t n = read(pfd[0], buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		close(pfd[0]);
		int st;
		waitpid(pid, &st, 0);
		char status[64] = "";
		size_t trades = 0;
		double secs = 0;
		sscanf(buf, "%63s %zu %lf", status, &trades, &secs);
		/* the slot may crash itself (lsmod.c follows the header it
		 * was given): its verdict then, like any strategy that crashes */
		bool good = n > 0 && status[0] != '\0' && trades == 0 && secs < 15;
		if (WIFSIGNALED(st) && n <= 0)
			snprintf(buf, sizeof(buf), "the host died of signal %d (%s)", WTERMSIG(st),
				 strsignal(WTERMSIG(st)));
		test_note("%-12s = %#" PRIx64 ": %s", cases[c].field, cases[c].value, buf);
		if (!good) {
			nfail++;
			size_t len = strlen(failures);
			snprintf(failures + len, sizeof(failures) - len, "\n    %s: %s", cases[c].field,
				 buf);
		}
	}
	free(code);
	bt_data_free(d);
	CHECK(nfail == 0, "%zu of %zu forged layout fields broke the host:%s", nfail,
	      ARRAY_SIZE(cases), failures);
}

/* Vectorised mode cannot stop lookahead, only report it: a strategy that
 * trades on tomorrow's move must be reported, the plain one and the one
 * that remembers, in its class, where earlier cuts ended. */
void p_bt_vectorised_lookahead_reported(void)
{
	struct bt_env e;
	env_start(&e, ENV_DEFAULT, 1);
	bt_data *d = load_goog(NULL);
	const char *names[] = { "vector_peek", "vector_evade" };
	char failures[1024] = "";
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char *body = program(names[i], NULL);
		char *code = str_printf("import numpy as np\n%s", body);
		json_t *r = backtest(&e, code, d, NULL, NULL);
		EXPECT_STATUS(r, "OK");
		CHECK_STR_EQ(jstr(r, "mode"), "vectorised");
		size_t nla = json_array_size(json_object_get(r, "lookahead_bars"));
		test_note("%s: %zu bars reported, return %.0f %%", names[i], nla,
			  json_number_value(json_object_get(json_object_get(r, "metrics"),
							    "return_pct")));
		if (nla == 0) {
			size_t len = strlen(failures);
			snprintf(failures + len, sizeof(failures) - len,
				 "\n    %s: no lookahead reported (return %.0f %%)", names[i],
				 json_number_value(json_object_get(json_object_get(r, "metrics"),
								   "return_pct")));
		}
		json_decref(r);
		free(code);
		free(body);
	}
	bt_data_free(d);
	env_stop(&e);
	CHECK(failures[0] == '\0', "lookahead went unreported:%s", failures);
}

/* ------------------------------------------------------------------ */
/* 2. A hostile slot's answers: refused, or ignored, never believed.    */

#define FORGE_END "2005-03-31" /* GOOG's first 155 bars */

/* The honest orders of lookahead/forge.py's strategy: market, fractional,
 * unit, limit, stop and sl/tp orders, long and short.  Prices from the
 * data, so that every one is valid where it is placed. */
static json_t *forge_orders(const bt_data *d)
{
	const double *c = d->sym[0].close;
	return json_pack("{s:[{s:s}],s:[{s:s}],s:[{s:s,s:f}],s:[{s:s}],"
			 "s:[{s:s,s:f,s:f,s:f}],s:[{s:s,s:f,s:f}],s:[{s:s}],s:[{s:s}]}",
			 "10", "action", "buy", "25", "action", "close", "40", "action", "sell",
			 "size", 0.5, "55", "action", "close", "70", "action", "buy", "size", 10.0,
			 "sl", floor(c[70] * 0.9), "tp", ceil(c[70] * 1.1), "90", "action", "buy",
			 "stop", ceil(c[90] * 1.02), "size", 5.0, "120", "action", "close", "140",
			 "action", "cancel");
}

/* The program with its SCRIPT (a JSON object text). */
static char *forge_program(const char *script)
{
	char *body = program("pydrive", "forge", NULL);
	char *code = str_printf("import json\nSCRIPT = json.loads(r'''%s''')\n%s", script, body);
	free(body);
	return code;
}

static json_t *forge_run(struct bt_env *e, const bt_data *d, const char *script, json_t *params,
			 double *secs)
{
	char *code = forge_program(script);
	struct run_opts o = { .params = params, .strategy = "Scripted", .timeout_s = 20 };
	json_t *r = backtest(e, code, d, &o, secs);
	free(code);
	return r;
}

/* Orders the engine cannot take, written over the runtime's answer:
 * every one ends the run as a STRATEGY_ERROR naming the bar, with no
 * metrics (never a crash, never a number). */
void p_bt_forged_orders_refused(void)
{
	static const struct {
		const char *script, *error;
	} cases[] = {
		{ "{\"30\": {\"norders\": 65}}", "bar 30: a malformed answer (65 orders)" },
		{ "{\"30\": {\"norders\": 4294967295}}", "bar 30: a malformed answer (4294967295 orders)" },
		{ "{\"30\": {\"orders\": [{\"action\": 9}]}}", "bar 30: a malformed order (action 9" },
		{ "{\"30\": {\"orders\": [{\"action\": 0}]}}", "bar 30: a malformed order (action 0" },
		{ "{\"30\": {\"orders\": [{\"action\": \"buy\", \"symbol\": 3}]}}",
		  "bar 30: a malformed order (action 1, symbol 3)" },
		{ "{\"30\": {\"orders\": [{\"action\": \"buy\", \"symbol\": 65535}]}}", "symbol 65535" },
		{ "{\"30\": {\"orders\": [{\"action\": \"buy\", \"limit\": \"nan\"}]}}",
		  "limit nan is not a positive number" },
		{ "{\"30\": {\"orders\": [{\"action\": \"buy\", \"limit\": -5}]}}",
		  "limit -5 is not a positive number" },
		{ "{\"30\": {\"orders\": [{\"action\": \"sell\", \"size\": \"inf\"}]}}",
		  "size inf is not a positive number" },
		{ "{\"30\": {\"orders\": [{\"action\": \"buy\", \"size\": 0}]}}",
		  "size 0 is not a positive number" },
		{ "{\"30\": {\"orders\": [{\"action\": \"buy\", \"size\": -3}]}}",
		  "size -3 is not a positive number" },
		{ "{\"30\": {\"orders\": [{\"action\": \"buy\", \"sl\": 1e9}]}}", "must be below the entry" },
		{ "{\"30\": {\"orders\": [{\"action\": \"sell\", \"tp\": 1e9}]}}", "must be below the entry" },
		{ "{\"30\": {\"orders\": [{\"action\": \"close\", \"limit\": 100}]}}",
		  "a close takes no limit" },
		{ "{\"30\": {\"orders\": [{\"action\": \"cancel\", \"size\": 1}]}}",
		  "a cancel takes no size" },
		{ "{\"30\": {\"orders\": [{\"action\": \"buy\", \"stop\": \"-inf\"}]}}",
		  "stop -inf is not a positive number" },
	};
	struct bt_env e;
	env_start(&e, ENV_PROCESS, 1);
	bt_data *d = load_goog(FORGE_END);
	json_t *params = json_pack("{s:o}", "orders", forge_orders(d));
	for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
		double secs;
		json_t *r = forge_run(&e, d, cases[c].script, params, &secs);
		test_note("%s: %s (%.2f s): %s", cases[c].script, jstr(r, "status"), secs,
			  jstr(r, "error"));
		EXPECT_STATUS(r, "STRATEGY_ERROR");
		CHECK_CONTAINS(jstr(r, "error"), cases[c].error);
		CHECK_CONTAINS(jstr(r, "error"), "bar 30");
		CHECK(json_is_null(json_object_get(r, "metrics")));
		CHECK_INT_EQ(json_array_size(json_object_get(r, "trades")), 0);
		json_decref(r);
	}
	json_decref(params);
	bt_data_free(d);
	env_stop(&e);
}

/* Garbage the host must not believe: a wrong bar number on an answer
 * (its orders dropped, as if never sent), a false "my answer is empty"
 * (the same), a false "it is not" (read), unknown flag bits, the account
 * and every price in the region overwritten, a warmup out of range.  The
 * numbers are those of an honest run of what the engine did take. */
void p_bt_forged_answers_ignored(void)
{
	struct bt_env e;
	env_start(&e, ENV_PROCESS, 1);
	bt_data *d = load_goog(FORGE_END);
	json_t *orders = forge_orders(d);
	json_t *params = json_pack("{s:O}", "orders", orders);
	json_t *honest = forge_run(&e, d, "{}", params, NULL);
	EXPECT_STATUS(honest, "OK");
	CHECK(json_array_size(json_object_get(honest, "trades")) >= 3, "too few trades to compare");
	/* without the close of bar 25 */
	json_t *o25 = json_deep_copy(orders);
	json_object_del(o25, "25");
	json_t *p25 = json_pack("{s:o}", "orders", o25);
	json_t *honest25 = forge_run(&e, d, "{}", p25, NULL);
	EXPECT_STATUS(honest25, "OK");
	CHECK(!json_equal(json_object_get(honest25, "trades"), json_object_get(honest, "trades")));
	static const struct {
		const char *script;
		int want; /* 0: the honest run; 25: the honest run without bar 25's orders */
	} cases[] = {
		{ "{\"25\": {\"bar\": 24}}", 25 },
		{ "{\"25\": {\"bar\": 26}}", 25 },
		{ "{\"25\": {\"bar\": 18446744073709551615}}", 25 },
		/* "my answer is empty" (slot_quiet) while it has orders: they are
		 * dropped, as if the answer said so; "not empty" on every bar:
		 * every answer read, the honest run */
		{ "{\"25\": {\"quiet\": 1}}", 25 },
		{ "{\"every\": {\"quiet\": 0}}", 0 },
		{ "{\"10\": {\"flags_or\": 224}}", 0 },
		{ "{\"70\": {\"flags_or\": 128}}", 0 },
		{ "{\"every\": {\"acct\": true}}", 0 },
		{ "{\"every\": {\"prices\": true}}", 0 },
		{ "{\"every\": {\"acct\": true, \"prices\": true}}", 0 },
	};
	for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
		json_t *r = forge_run(&e, d, cases[c].script, params, NULL);
		test_note("%s: %s %s", cases[c].script, jstr(r, "status"), jstr(r, "error"));
		EXPECT_STATUS(r, "OK");
		expect_same_numbers(r, cases[c].want ? honest25 : honest, cases[c].script);
		json_decref(r);
	}
	/* a warmup out of range is the last bar; one lower than the class's
	 * is a run that starts there (its buy & hold too) */
	json_t *pw = json_pack("{s:O,s:I}", "orders", orders, "warmup", (json_int_t) 1000000000);
	json_t *late = forge_run(&e, d, "{}", pw, NULL);
	EXPECT_STATUS(late, "OK");
	json_t *r = forge_run(&e, d, "{\"hello\": {\"warmup\": 18446744073709551615}}", params, NULL);
	EXPECT_STATUS(r, "OK");
	expect_same_numbers(r, late, "warmup 2^64-1");
	CHECK_INT_EQ(json_integer_value(json_object_get(json_object_get(r, "config"), "warmup")),
		     d->n - 1);
	json_decref(r);
	/* warmup 30 told as 0: the host runs from bar 0 (its buy & hold
	 * too), the runtime still calls the strategy from bar 30 on */
	json_t *p30 = json_pack("{s:O,s:i}", "orders", orders, "warmup", 30);
	json_t *late_orders = json_deep_copy(orders);
	json_object_del(late_orders, "10");
	json_object_del(late_orders, "25");
	json_t *p0 = json_pack("{s:o,s:i}", "orders", late_orders, "warmup", 0);
	json_t *at0 = forge_run(&e, d, "{}", p0, NULL);
	json_t *at30 = forge_run(&e, d, "{}", p30, NULL);
	r = forge_run(&e, d, "{\"hello\": {\"warmup\": 0}}", p30, NULL);
	EXPECT_STATUS(r, "OK");
	expect_same_numbers(r, at0, "warmup 30 told as 0");
	CHECK(!json_equal(json_object_get(at30, "metrics"), json_object_get(at0, "metrics")));
	json_decref(r);
	json_decref(at30);
	json_decref(at0);
	json_decref(p0);
	json_decref(p30);
	json_decref(late);
	json_decref(pw);
	json_decref(honest25);
	json_decref(p25);
	json_decref(honest);
	json_decref(params);
	json_decref(orders);
	bt_data_free(d);
	env_stop(&e);
}

/* The exchange itself broken: the slot's counter set back or ahead, a
 * hello with an unknown mode or with the vectorised mode for an event
 * strategy, a hello counted twice at once, an error text of 4 GB and not
 * UTF-8.  A STRATEGY_ERROR each, promptly, with no metrics. */
void p_bt_broken_exchange_ends_in_prompt_strategy_error(void)
{
	static const struct {
		const char *script, *error;
	} cases[] = {
		{ "{\"30\": {\"seq_set\": 0}}", "" },
		{ "{\"30\": {\"seq_set\": 4294967295}}", "" },
		{ "{\"30\": {\"seq_set\": 100}}", "" },
		{ "{\"hello\": {\"mode\": 7}}", "a malformed hello from the strategy (mode 7)" },
		{ "{\"hello\": {\"mode\": 0}}", "a malformed hello from the strategy (mode 0)" },
		{ "{\"hello\": {\"mode\": 2}}", "" },
		{ "{\"hello\": {\"seq_set\": 1}}", "a malformed hello" },
		{ "{\"30\": {\"error_len\": 4294967295, \"error_hex\": \"fffe41c3\"}}", "" },
		{ "{\"hello\": {\"error_len\": 3000, \"error_hex\": \"3c7363726970743e\"}}", "<script>" },
	};
	struct bt_env e;
	env_start(&e, ENV_PROCESS, 1);
	bt_data *d = load_goog(FORGE_END);
	json_t *params = json_pack("{s:o}", "orders", forge_orders(d));
	char failures[4096] = "";
	for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
		double secs;
		json_t *r = forge_run(&e, d, cases[c].script, params, &secs);
		const char *st = jstr(r, "status"), *err = jstr(r, "error");
		test_note("%s: %s in %.2f s: %.200s", cases[c].script, st, secs, err);
		bool good = strcmp(st, "STRATEGY_ERROR") == 0 && strstr(err, cases[c].error) != NULL &&
			    json_is_null(json_object_get(r, "metrics")) && secs < 10 &&
			    strlen(err) <= 3 * 2048;
		if (!good) {
			size_t len = strlen(failures);
			snprintf(failures + len, sizeof(failures) - len, "\n    %s: %s in %.1f s: %.200s",
				 cases[c].script, st, secs, err);
		}
		json_decref(r);
	}
	/* Two posts for one bar: the host may take the second as the next
	 * bar's answer, which carries the wrong bar number and is dropped, or
	 * see both at once and end the run.  Either way, late in the run
	 * (after the last order), the numbers are the honest ones. */
	json_t *honest = forge_run(&e, d, "{}", params, NULL);
	EXPECT_STATUS(honest, "OK");
	static const char *const twice[] = { "{\"150\": {\"extra_posts\": 1}}",
					     "{\"150\": {\"extra_posts\": 5}}",
					     "{\"hello\": {\"extra_posts\": 1}}" };
	for (size_t c = 0; c < ARRAY_SIZE(twice); c++) {
		double secs;
		json_t *r = forge_run(&e, d, twice[c], params, &secs);
		const char *st = jstr(r, "status");
		test_note("%s: %s in %.2f s: %.200s", twice[c], st, secs, jstr(r, "error"));
		if (strcmp(st, "OK") == 0)
			expect_same_numbers(r, honest, twice[c]);
		else
			EXPECT_STATUS(r, "STRATEGY_ERROR");
		CHECK(secs < 10);
		json_decref(r);
	}
	json_decref(honest);
	json_decref(params);
	bt_data_free(d);
	env_stop(&e);
	CHECK(failures[0] == '\0', "not a prompt STRATEGY_ERROR:%s", failures);
}

/* A thread of the strategy's own rewriting the answer area without pause
 * while the host reads it: whatever the host takes, it survives and
 * answers promptly (each run in a process of its own, so that a host that
 * dies says so). */
void p_bt_racing_answer_rewrites_never_break_host(void)
{
	bt_data *d = load_goog(FORGE_END);
	char *code = program("common", "race", NULL);
	char failures[2048] = "";
	for (int seed = 1; seed <= 6; seed++) {
		int pfd[2];
		CHECK(pipe(pfd) == 0);
		fflush(NULL);
		pid_t pid = fork();
		CHECK(pid >= 0);
		if (pid == 0) {
			close(pfd[0]);
			struct bt_env e;
			env_start(&e, ENV_PROCESS, 1);
			json_t *params = json_pack("{s:i}", "seed", seed);
			struct run_opts o = { .params = params, .strategy = "Racy", .timeout_s = 20 };
			double secs;
			json_t *r = backtest(&e, code, d, &o, &secs);
			char *line = str_printf("%s %.1f %s", jstr(r, "status"), secs, jstr(r, "error"));
			if (write(pfd[1], line, strlen(line)) < 0)
				_exit(3);
			env_stop(&e);
			_exit(0);
		}
		close(pfd[1]);
		char buf[1024] = "";
		ssize_t n = read(pfd[0], buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		close(pfd[0]);
		int st;
		waitpid(pid, &st, 0);
		double secs = 99;
		char status[64] = "";
		sscanf(buf, "%63s %lf", status, &secs);
		if (n <= 0 && WIFSIGNALED(st))
			snprintf(buf, sizeof(buf), "the host died of signal %d", WTERMSIG(st));
		test_note("seed %d: %.300s", seed, buf);
		if (n <= 0 || secs > 10 || strcmp(status, "TIMEOUT_WALL") == 0) {
			size_t len = strlen(failures);
			snprintf(failures + len, sizeof(failures) - len, "\n    seed %d: %.200s", seed, buf);
		}
	}
	free(code);
	bt_data_free(d);
	CHECK(failures[0] == '\0', "the host did not survive a racing slot:%s", failures);
}

/* ------------------------------------------------------------------ */
/* 4. Limits: the sandbox's verdict, promptly, and no metrics.          */

static const char *const SMA =
	"class SmaCross(BaseStrategy):\n"
	"    params = {'fast': 10, 'slow': 30}\n"
	"    warmup = 30\n"
	"\n"
	"    def generate_signals(self, current_data):\n"
	"        c = current_data.close\n"
	"        f, s = self.config['fast'], self.config['slow']\n"
	"        if c[-f:].mean() > c[-s:].mean():\n"
	"            if self.position <= 0:\n"
	"                return [self.close(), self.buy()]\n"
	"        elif self.position > 0:\n"
	"            return [self.close()]\n"
	"        return []\n";

static void expect_verdict(struct bt_env *e, const bt_data *d, const char *code,
			   const struct run_opts *o, const char *status, const char *error,
			   double max_s)
{
	double secs;
	json_t *r = backtest(e, code, d, o, &secs);
	test_note("%s in %.2f s: %.200s", jstr(r, "status"), secs, jstr(r, "error"));
	EXPECT_STATUS(r, status);
	if (error)
		CHECK_CONTAINS(jstr(r, "error"), error);
	CHECK(json_is_null(json_object_get(r, "metrics")), "a %s run has metrics", status);
	CHECK_INT_EQ(json_array_size(json_object_get(r, "trades")), 0);
	CHECK(secs < max_s, "%s took %.1f s (at most %.1f)", status, secs, max_s);
	json_decref(r);
}

void p_bt_limits_and_faults_end_in_their_verdict_without_metrics(void)
{
	struct bt_env e;
	env_start(&e, ENV_DEFAULT, 1);
	bt_data *d = load_goog(NULL);
	struct run_opts t2 = { .timeout_s = 2 };
	expect_verdict(&e, d,
		       "class Spin(BaseStrategy):\n"
		       "    def generate_signals(self, d):\n"
		       "        while self.bar_index == 50:\n"
		       "            pass\n"
		       "        return []\n",
		       &t2, "TIMEOUT_WALL", NULL, 6);
	expect_verdict(&e, d,
		       "class Spin(BaseStrategy):\n"
		       "    def initialize(self):\n"
		       "        while True:\n"
		       "            pass\n",
		       &t2, "TIMEOUT_WALL", NULL, 6);
	expect_verdict(&e, d,
		       "import time\n"
		       "class Sleep(BaseStrategy):\n"
		       "    def generate_signals(self, d):\n"
		       "        time.sleep(3600)\n",
		       &t2, "TIMEOUT_WALL", NULL, 6);
	struct run_opts m = { .timeout_s = 20, .memory = 128u << 20 };
	/* without a cgroup the limit is the address space's: Python's own
	 * MemoryError, the job's exception */
	expect_verdict(&e, d,
		       "class Bomb(BaseStrategy):\n"
		       "    def generate_signals(self, d):\n"
		       "        if self.bar_index == 50:\n"
		       "            x = []\n"
		       "            while True:\n"
		       "                x.append(bytearray(1 << 20))\n"
		       "        return []\n",
		       &m, test_have_cgroups() ? "MEMORY_LIMIT" : "NONZERO_EXIT",
		       test_have_cgroups() ? NULL : "MemoryError", 15);
	expect_verdict(&e, d,
		       "class Flood(BaseStrategy):\n"
		       "    def generate_signals(self, d):\n"
		       "        print('x' * 100000)\n"
		       "        return []\n",
		       &m, "OUTPUT_LIMIT", NULL, 15);
	/* processes: refused before anything runs */
	expect_verdict(&e, d,
		       "import os\n"
		       "class Fork(BaseStrategy):\n"
		       "    def generate_signals(self, d):\n"
		       "        os.fork()\n",
		       &m, "VALIDATION_ERROR", "os", 5);
	expect_verdict(&e, d,
		       "import subprocess\n"
		       "class Sub(BaseStrategy):\n"
		       "    def generate_signals(self, d):\n"
		       "        subprocess.run(['true'])\n",
		       &m, "VALIDATION_ERROR", "subprocess", 5);
	/* the process ends before the data does: not a result */
	expect_verdict(&e, d,
		       "class Quit(BaseStrategy):\n"
		       "    def generate_signals(self, d):\n"
		       "        if self.bar_index == 50:\n"
		       "            raise SystemExit(0)\n"
		       "        return []\n",
		       &m, "STRATEGY_ERROR", "ended at bar 50", 10);
	/* an exception: the job's own verdict, with its text */
	expect_verdict(&e, d,
		       "class Raise(BaseStrategy):\n"
		       "    def generate_signals(self, d):\n"
		       "        if self.bar_index == 50:\n"
		       "            raise ValueError('no more')\n"
		       "        return []\n",
		       &m, "NONZERO_EXIT", "ValueError: no more", 10);
	/* a bad signal: the strategy's error naming the bar and the signal */
	expect_verdict(&e, d,
		       "class Bad(BaseStrategy):\n"
		       "    def generate_signals(self, d):\n"
		       "        if self.bar_index == 50:\n"
		       "            return [self.buy(limit=float('nan'))]\n"
		       "        return []\n",
		       &m, "NONZERO_EXIT", "bar 50, signal 0", 10);
	bt_data_free(d);
	env_stop(&e);
	/* with the validator out of the way, the kernel refuses them */
	env_start(&e, ENV_PROCESS, 1);
	d = load_goog(LOOKAHEAD_END);
	static const char *const procs[] = {
		"import os\n"
		"class Fork(BaseStrategy):\n"
		"    def generate_signals(self, d):\n"
		"        os.fork()\n"
		"        return []\n",
		"import subprocess\n"
		"class Sub(BaseStrategy):\n"
		"    def generate_signals(self, d):\n"
		"        subprocess.run(['/bin/true'])\n"
		"        return []\n",
		"import os\n"
		"class Exec(BaseStrategy):\n"
		"    def generate_signals(self, d):\n"
		"        os.execv('/bin/true', ['true'])\n",
	};
	for (size_t i = 0; i < ARRAY_SIZE(procs); i++) {
		double secs;
		json_t *r = backtest(&e, procs[i], d, &m, &secs);
		const char *st = jstr(r, "status");
		test_note("process %zu: %s in %.2f s: %.200s", i, st, secs, jstr(r, "error"));
		CHECK(strcmp(st, "OK") != 0 && strcmp(st, "STRATEGY_ERROR") != 0, "status %s", st);
		CHECK(json_is_null(json_object_get(r, "metrics")));
		CHECK(secs < 10);
		json_decref(r);
	}
	bt_data_free(d);
	env_stop(&e);
}

/* A strategy whose process will not end when the backtest does.  The host
 * says the end again every 20 ms, then kills the process after its grace
 * (a second): the run is the strategy's error, and the host never waits
 * for the job's time limit (20 s here).
 *   flush: a sys.stdout whose flush() never returns, so the runtime's last
 *     step (after the end) blocks: always killed;
 *   kind: a thread that writes "another bar" over the host's end message
 *     whenever it sees one: killed when the thread keeps winning, OK when
 *     the runtime read a repeated end first (the race the header test
 *     once lost, which left the host waiting for the job's limit);
 *   linger: the control, a thread left sleeping does not hold the process
 *     up (the runtime ends it), so that run is OK at once. */
void p_bt_process_refusing_to_end_ends_run_before_time_limit(void)
{
	static const struct {
		const char *name, *code, *status, *or_status;
	} cases[] = {
		{ "flush",
		  "import sys, time\n"
		  "class Stuck:\n"
		  "    def __init__(self, out):\n"
		  "        self.out = out\n"
		  "    def write(self, s):\n"
		  "        return self.out.write(s)\n"
		  "    def flush(self):\n"
		  "        time.sleep(3600)\n"
		  "class Flush(BaseStrategy):\n"
		  "    def initialize(self):\n"
		  "        sys.stdout = Stuck(sys.stdout)\n"
		  "    def generate_signals(self, d):\n"
		  "        return []\n",
		  "STRATEGY_ERROR", NULL },
		{ "kind",
		  "import threading\n"
		  "import numpy as np\n"
		  "def forge(mv):\n"
		  "    h = np.frombuffer(mv, dtype=np.uint32, count=96)\n"
		  "    while True:\n"
		  "        if h[256 // 4] == 3:\n"
		  "            h[256 // 4] = 1\n"
		  "class Kind(BaseStrategy):\n"
		  "    started = False\n"
		  "    def generate_signals(self, d):\n"
		  "        if not self.started:\n"
		  "            self.started = True\n"
		  "            mv = d.close.base.base\n"
		  "            threading.Thread(target=forge, args=(mv,), daemon=True).start()\n"
		  "        return []\n",
		  "STRATEGY_ERROR", "OK" },
		{ "linger",
		  "import threading, time\n"
		  "class Linger(BaseStrategy):\n"
		  "    def initialize(self):\n"
		  "        threading.Thread(target=time.sleep, args=(3600,)).start()\n"
		  "    def generate_signals(self, d):\n"
		  "        return []\n",
		  "OK", NULL },
	};
	struct bt_env e;
	env_start(&e, ENV_PROCESS, 1);
	bt_data *d = load_goog(LOOKAHEAD_END);
	/* two CPUs: the thread watches for the end while the runtime waits */
	struct run_opts o = { .timeout_s = 20, .cpus_milli = 2000 };
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		double secs;
		json_t *r = backtest(&e, cases[i].code, d, &o, &secs);
		test_note("%s: %s in %.2f s: %.200s", cases[i].name, jstr(r, "status"), secs,
			  jstr(r, "error"));
		const char *st = jstr(r, "status");
		if (cases[i].or_status == NULL || strcmp(st, cases[i].or_status) != 0)
			EXPECT_STATUS(r, cases[i].status);
		if (strcmp(st, "OK") != 0) {
			CHECK_CONTAINS(jstr(r, "error"), "did not end");
			CHECK(json_is_null(json_object_get(r, "metrics")));
		}
		CHECK(secs < 10, "%s: %.1f s: the host waited for the job's limit", cases[i].name,
		      secs);
		json_decref(r);
	}
	bt_data_free(d);
	env_stop(&e);
}

/* bt_job.cancel set from another thread while the strategy computes: the
 * process is killed at once and the run is CANCELLED; a backtest whose
 * flag is already set does not start. */
struct canceller {
	volatile int flag;
	double after_s;
};

static void *cancel_later(void *arg)
{
	struct canceller *c = arg;
	struct timespec ts = { (time_t) c->after_s,
			       (long) ((c->after_s - (double) (time_t) c->after_s) * 1e9) };
	nanosleep(&ts, NULL);
	c->flag = 1;
	return NULL;
}

void p_bt_cancel_kills_running_backtest_and_skips_unstarted(void)
{
	struct bt_env e;
	env_start(&e, ENV_DEFAULT, 1);
	bt_data *d = load_goog(NULL);
	static const char *const slow = "import time\n"
					"class Slow(BaseStrategy):\n"
					"    def generate_signals(self, d):\n"
					"        time.sleep(0.05)\n"
					"        return []\n";
	struct canceller c = { 0, 0.5 };
	pthread_t th;
	CHECK(pthread_create(&th, NULL, cancel_later, &c) == 0);
	struct run_opts o = { .timeout_s = 30, .cancel = &c.flag };
	double secs;
	json_t *r = backtest(&e, slow, d, &o, &secs);
	pthread_join(th, NULL);
	test_note("running: %s in %.2f s: %s", jstr(r, "status"), secs, jstr(r, "error"));
	EXPECT_STATUS(r, "CANCELLED");
	CHECK(json_is_null(json_object_get(r, "metrics")));
	CHECK(secs < 5, "%.1f s: the cancel did not stop the run", secs);
	json_decref(r);
	/* already cancelled: nothing runs */
	r = backtest(&e, slow, d, &o, &secs);
	test_note("before: %s in %.3f s: %s", jstr(r, "status"), secs, jstr(r, "error"));
	EXPECT_STATUS(r, "CANCELLED");
	CHECK_CONTAINS(jstr(r, "error"), "before it ran");
	json_decref(r);
	bt_data_free(d);
	env_stop(&e);
}

/* A sweep where one combination raises (window=0: a division by zero):
 * that run is a STRATEGY_ERROR with the strategy's error, every other is
 * OK with the numbers of the same run alone. */
void p_bt_sweep_failing_combination_fails_alone(void)
{
	static const char *const code =
		"class Window(BaseStrategy):\n"
		"    params = {'window': 5}\n"
		"    def generate_signals(self, d):\n"
		"        c = d.close\n"
		"        w = self.config['window']\n"
		"        m = float(c[-w:].sum()) / w\n"
		"        if c[-1] > m and self.position <= 0:\n"
		"            return [self.buy()]\n"
		"        if c[-1] < m and self.position > 0:\n"
		"            return [self.close()]\n"
		"        return []\n";
	struct bt_env e;
	env_start(&e, ENV_DEFAULT, 2);
	bt_data *d = load_goog(NULL);
	json_t *combos = NULL;
	sbx_error *err = NULL;
	CHECK(bt_grid_parse("window=0:20:5", 0, &combos, &err) == 0, "%s", err ? err->msg : "");
	CHECK_INT_EQ(json_array_size(combos), 5);
	bt_job job = { .code = code, .code_len = strlen(code), .data = d, .spin_ns = 0,
		       .millicpus = 1000, .timeout_ns = 30000000000ull };
	bt_config_default(&job.config);
	bt_sweep sw = { .job = &job, .combos = combos, .parallel = 2, .rank = "return_pct" };
	json_t *res = bt_sweep_run(e.pool, e.pol, &sw, &err);
	CHECK(res != NULL, "%s", err ? err->msg : "");
	json_t *runs = json_object_get(res, "runs");
	CHECK_INT_EQ(json_array_size(runs), 5);
	size_t i;
	json_t *run;
	size_t ok = 0;
	json_array_foreach (runs, i, run) {
		json_int_t w = json_integer_value(json_object_get(json_object_get(run, "params"),
								  "window"));
		test_note("window %lld: %s %s", (long long) w, jstr(run, "status"), jstr(run, "error"));
		if (w == 0) {
			EXPECT_STATUS(run, "STRATEGY_ERROR");
			CHECK_CONTAINS(jstr(run, "error"), "ZeroDivisionError");
			CHECK(json_is_null(json_object_get(run, "metrics")));
			CHECK(i == 4, "the failed run is ranked %zu of 5", i + 1);
			continue;
		}
		EXPECT_STATUS(run, "OK");
		ok++;
		json_t *params = json_pack("{s:I}", "window", w);
		struct run_opts o = { .params = params };
		json_t *alone = backtest(&e, code, d, &o, NULL);
		EXPECT_STATUS(alone, "OK");
		CHECK(json_equal(json_object_get(run, "metrics"), json_object_get(alone, "metrics")),
		      "window %lld: the sweep's metrics differ from the run alone", (long long) w);
		json_decref(alone);
		json_decref(params);
	}
	CHECK_INT_EQ(ok, 4);
	json_decref(res);
	json_decref(combos);
	bt_data_free(d);
	env_stop(&e);
}

/* ------------------------------------------------------------------ */
/* 5. BaseStrategy however the code asks for it.                       */

/* The module names a backtest's policy adds (backtest.c's list). */
static json_t *c_aliases(void)
{
	sbx_check_policy *def = sbx_check_policy_default(), *bt = sbx_check_policy_default();
	sbx_error *err = NULL;
	CHECK(bt_backtest_policy(bt, &err) == 0, "%s", err ? err->msg : "");
	const char *const *a, *const *b;
	size_t na = sbx_check_policy_imports(def, &a), nb = sbx_check_policy_imports(bt, &b);
	json_t *out = json_array();
	for (size_t i = 0; i < nb; i++) {
		bool old = false;
		for (size_t j = 0; j < na && !old; j++)
			old = strcmp(a[j], b[i]) == 0;
		if (!old)
			json_array_append_new(out, json_string(b[i]));
	}
	sbx_check_policy_free(def);
	sbx_check_policy_free(bt);
	return out;
}

/* MODULE_ALIASES in the package the slots run (stratbox/strategy.py). */
static json_t *py_aliases(void)
{
	char path[1100];
	snprintf(path, sizeof(path), "%s/stratbox/strategy.py", test_package());
	char *text = read_text(path);
	const char *p = strstr(text, "\nMODULE_ALIASES = (");
	CHECK(p != NULL, "no MODULE_ALIASES in %s", path);
	const char *end = strchr(p, ')');
	CHECK(end != NULL);
	json_t *out = json_array();
	for (const char *q = strchr(p, '"'); q && q < end;) {
		const char *close = strchr(q + 1, '"');
		CHECK(close != NULL && close < end);
		json_array_append_new(out, json_stringn(q + 1, (size_t) (close - q - 1)));
		q = strchr(close + 1, '"');
	}
	free(text);
	return out;
}

static bool has_name(const json_t *list, const char *name)
{
	size_t i;
	json_t *v;
	json_array_foreach (list, i, v)
		if (strcmp(json_string_value(v), name) == 0)
			return true;
	return false;
}

/* MODULE_ALIASES in strategy.py and module_aliases in backtest.c: one list. */
void p_bt_module_aliases_match(void)
{
	json_t *c = c_aliases(), *py = py_aliases();
	size_t i;
	json_t *v;
	char *sc = json_dumps(c, JSON_COMPACT), *sp = json_dumps(py, JSON_COMPACT);
	test_note("backtest.c: %s", sc);
	test_note("strategy.py: %s", sp);
	CHECK(json_array_size(c) >= 10, "only %zu aliases in the policy", json_array_size(c));
	json_array_foreach (c, i, v)
		CHECK(has_name(py, json_string_value(v)), "'%s' is allowed by backtest.c but not in "
		      "MODULE_ALIASES", json_string_value(v));
	json_array_foreach (py, i, v)
		CHECK(has_name(c, json_string_value(v)), "'%s' is in MODULE_ALIASES but backtest.c "
		      "does not allow it", json_string_value(v));
	CHECK_INT_EQ(json_array_size(c), json_array_size(py));
	free(sc);
	free(sp);
	json_decref(c);
	json_decref(py);
}

/* Without an import, from stratbox, and from every alias (both import
 * forms): the same backtest, to the last bit. */
void p_bt_base_strategy_every_import_gives_same_backtest(void)
{
	struct bt_env e;
	env_start(&e, ENV_DEFAULT, 1);
	bt_data *d = load_goog("2006-12-31");
	json_t *plain = backtest(&e, SMA, d, NULL, NULL);
	EXPECT_STATUS(plain, "OK");
	CHECK(json_integer_value(json_object_get(json_object_get(plain, "metrics"), "trades")) > 5);
	json_t *forms = json_array();
	json_array_append_new(forms, json_string("from stratbox import BaseStrategy\n"));
	json_array_append_new(forms, json_string("import stratbox\nBaseStrategy = stratbox.BaseStrategy\n"));
	json_array_append_new(forms, json_string("from stratbox.strategy import BaseStrategy\n"));
	json_t *aliases = c_aliases();
	size_t i;
	json_t *v;
	json_array_foreach (aliases, i, v) {
		const char *m = json_string_value(v);
		json_array_append_new(forms, json_sprintf("from %s import BaseStrategy\n", m));
		json_array_append_new(forms,
				      json_sprintf("import %s as base_mod\nBaseStrategy = base_mod.BaseStrategy\n", m));
	}
	char failures[4096] = "";
	json_array_foreach (forms, i, v) {
		char *code = str_printf("%s\n%s", json_string_value(v), SMA);
		json_t *r = backtest(&e, code, d, NULL, NULL);
		bool same = strcmp(jstr(r, "status"), "OK") == 0 &&
			    json_equal(json_object_get(r, "metrics"), json_object_get(plain, "metrics")) &&
			    json_equal(json_object_get(r, "trades"), json_object_get(plain, "trades"));
		if (!same) {
			size_t len = strlen(failures);
			snprintf(failures + len, sizeof(failures) - len, "\n    %.60s: %s %.150s",
				 json_string_value(v), jstr(r, "status"), jstr(r, "error"));
		}
		json_decref(r);
		free(code);
	}
	test_note("%zu import forms", json_array_size(forms));
	json_decref(aliases);
	json_decref(forms);
	json_decref(plain);
	bt_data_free(d);
	env_stop(&e);
	CHECK(failures[0] == '\0', "import forms that did not give the same backtest:%s", failures);
}

/* ------------------------------------------------------------------ */
/* A sweep's slots, side by side.                                       */

/* The slots of a sweep run at different speeds: the one ahead holds bars
 * the one behind has not been sent.  They must have no way to talk: here,
 * record locks on a file both can open (the kernel layer alone: fcntl
 * allowed, the hook off).  Two backtests at once on one pool, as a sweep's
 * chunks run (the library is thread-safe), so that each one's output is
 * there to read. */
struct side {
	struct bt_env *e;
	const bt_data *d;
	const char *code;
	int role;
	json_t *result;
};

static void *side_run(void *arg)
{
	struct side *s = arg;
	json_t *params = json_pack("{s:i}", "role", s->role);
	bt_job job = { .code = s->code, .code_len = strlen(s->code), .data = s->d,
		       .params = params, .spin_ns = 0, .millicpus = 1000,
		       .timeout_ns = 30000000000ull };
	bt_config_default(&job.config);
	bool ok;
	sbx_error *err = NULL;
	s->result = bt_backtest_run(s->e->pool, s->e->pol, &job, &ok, &err);
	sbx_error_free(err);
	json_decref(params);
	return NULL;
}

void p_bt_sweep_slots_no_channel(void)
{
	struct bt_env e;
	env_start(&e, ENV_PROCESS, 2);
	t_wait_ready(e.pool, 2);
	bt_data *d = load_goog(LOOKAHEAD_END);
	char *code = program("channel", NULL);
	struct side sides[2] = { { &e, d, code, 0, NULL }, { &e, d, code, 1, NULL } };
	pthread_t th[2];
	for (int k = 0; k < 2; k++)
		CHECK(pthread_create(&th[k], NULL, side_run, &sides[k]) == 0);
	for (int k = 0; k < 2; k++)
		pthread_join(th[k], NULL);
	for (int k = 0; k < 2; k++) {
		CHECK(sides[k].result != NULL);
		test_note("role %d: %s %s: %s", k, jstr(sides[k].result, "status"),
			  jstr(sides[k].result, "error"), jstr(sides[k].result, "output"));
	}
	const char *out = jstr(sides[0].result, "output");
	bool heard = strstr(out, "RECEIVER saw a lock") != NULL;
	/* the lock calls are refused outright (the job policy filters fcntl's
	 * command): both sides end with the call named; or, should a lock ever
	 * be allowed again, the receiver ran and heard nothing */
	bool refused = true;
	for (int k = 0; k < 2; k++)
		refused = refused && strcmp(jstr(sides[k].result, "status"), "SYSCALL_VIOLATION") == 0 &&
			  strstr(jstr(sides[k].result, "error"), "fcntl") != NULL;
	CHECK(refused || strstr(out, "RECEIVER") != NULL, "the receiver did not run");
	json_decref(sides[0].result);
	json_decref(sides[1].result);
	free(code);
	bt_data_free(d);
	env_stop(&e);
	CHECK(!heard, "one job saw another's record lock on a shared file: a channel between "
		      "concurrent slots (a sweep's chunk ahead can tell one behind its bars)");
}

/* ------------------------------------------------------------------ */
/* The command line.                                                   */

/* stratbox backtest [args] --json: the result, the exit code, the time. */
static json_t *cli_backtest(const char *code, const char *const *extra, int *rc, double *secs)
{
	char path[] = "/tmp/stratbox-bt-XXXXXX";
	test_temp_file(path, code);
	char data[1200];
	snprintf(data, sizeof(data), "GOOG=%s/GOOG.csv", t_bars_dir());
	const char *args[24];
	size_t n = 0;
	args[n++] = "backtest";
	args[n++] = path;
	args[n++] = "--data";
	args[n++] = data;
	args[n++] = "--json";
	if (t_cgroup_parent() != NULL) {
		args[n++] = "--cgroup-parent";
		args[n++] = t_cgroup_parent();
	}
	for (; extra && *extra && n < 23; extra++)
		args[n++] = *extra;
	args[n] = NULL;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	char *out = run_cli(args, rc);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	unlink(path);
	*secs = (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9;
	json_error_t je;
	json_t *r = json_loads(out, 0, &je);
	CHECK(r != NULL, "exit %d, not JSON (%s): %.500s", *rc, je.text, out);
	free(out);
	return r;
}

/* --timeout ends a strategy that loops, promptly, exit code 1, no metrics;
 * --grid with a combination that raises: that run alone fails; an honest
 * run: OK, exit 0. */
void p_bt_cli_timeout_exits_1_grid_failure_stays_in_its_run(void)
{
	int rc;
	double secs;
	json_t *r = cli_backtest("class Spin(BaseStrategy):\n"
				 "    def generate_signals(self, d):\n"
				 "        while True:\n"
				 "            pass\n",
				 (const char *const[]){ "--timeout", "2", NULL }, &rc, &secs);
	test_note("loop: exit %d in %.2f s: %s", rc, secs, jstr(r, "status"));
	EXPECT_STATUS(r, "TIMEOUT_WALL");
	CHECK_INT_EQ(rc, 1);
	CHECK(json_is_null(json_object_get(r, "metrics")));
	CHECK(secs < 10, "%.1f s", secs);
	json_decref(r);
	r = cli_backtest("class Window(BaseStrategy):\n"
			 "    params = {'window': 5}\n"
			 "    def generate_signals(self, d):\n"
			 "        w = self.config['window']\n"
			 "        m = float(d.close[-w:].sum()) / w\n"
			 "        if d.close[-1] > m and self.position <= 0:\n"
			 "            return [self.buy()]\n"
			 "        if d.close[-1] < m and self.position > 0:\n"
			 "            return [self.close()]\n"
			 "        return []\n",
			 (const char *const[]){ "--grid", "window=0:10:5", "--rank", "return_pct",
						NULL },
			 &rc, &secs);
	test_note("grid: exit %d in %.2f s", rc, secs);
	CHECK_INT_EQ(rc, 0);
	json_t *runs = json_object_get(r, "runs");
	CHECK_INT_EQ(json_array_size(runs), 3);
	size_t i, failed = 0;
	json_t *run;
	json_array_foreach (runs, i, run) {
		json_int_t w = json_integer_value(json_object_get(json_object_get(run, "params"),
								  "window"));
		if (w == 0) {
			EXPECT_STATUS(run, "STRATEGY_ERROR");
			CHECK_CONTAINS(jstr(run, "error"), "ZeroDivisionError");
			failed++;
		} else {
			EXPECT_STATUS(run, "OK");
		}
	}
	CHECK_INT_EQ(failed, 1);
	json_decref(r);
	r = cli_backtest(SMA, NULL, &rc, &secs);
	EXPECT_STATUS(r, "OK");
	CHECK_INT_EQ(rc, 0);
	CHECK(json_integer_value(json_object_get(json_object_get(r, "metrics"), "trades")) > 10);
	json_decref(r);
}
