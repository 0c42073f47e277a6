/* stratbox backtests: a strategy class, run in a sandboxed pool slot, driven
 * bar by bar by the trusted engine outside it.
 *
 * The strategy's code runs in a slot of an sbx_pool (include/stratbox/pyrt.h)
 * and only sends orders; the engine (include/stratbox/engine.h) fills them
 * and computes every number.  The slot sees bar i+1 only after it has
 * answered for bar i (the lockstep region, src/pyrt/lockstep.h).  A
 * vectorised strategy (one that defines signals()) is re-run on prefixes
 * of the data and every bar where it could have looked ahead is reported.
 *
 *     sbx_check_policy *pol = sbx_check_policy_default();
 *     bt_backtest_policy(pol, &err);              // BaseStrategy's module aliases
 *     sbx_pool_start(&(struct sbx_pool_options){ .policy = pol }, &pool, &err);
 *     bt_job job = { .code = src, .code_len = n, .data = data };
 *     bt_config_default(&job.config);
 *     json_t *res = bt_backtest_run(pool, pol, &job, &ok, &err);   // thread-safe
 *
 * docs/backtest.md has the execution model and every field of the result;
 * docs/strategy-api.md the strategy's side.
 */
#ifndef STRATBOX_BACKTEST_H
#define STRATBOX_BACKTEST_H

#include "stratbox/engine.h"
#include "stratbox/error.h"
#include "stratbox/pyrt.h"
#include "stratbox/validate.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct json_t;

#define BT_DEFAULT_TIMEOUT_NS (60ull * 1000000000ull)

typedef struct bt_job {
	const char *code; /* the strategy's source (UTF-8 Python) */
	size_t code_len;
	const char *code_name; /* for messages and provenance ("sma.py"); NULL: "strategy.py" */
	const bt_data *data;   /* borrowed: the aligned bars */
	bt_config config;      /* the account and execution model */
	const char *strategy;  /* the class to run; NULL: the one subclass of BaseStrategy */
	/* {name: value} over the class's params (the run's config); NULL: none */
	const struct json_t *params;
	/* the sandbox's limits for the strategy's process; 0: the defaults
	 * (docs/backtest.md: 60 s wall time, 256M, 0.5 CPU).  In a sweep the
	 * wall and CPU times are each run's: a slot running k combinations gets
	 * k times them; memory is the slot's. */
	uint64_t timeout_ns, memory, millicpus, cpu_time_ns;
	uint64_t seed; /* random and numpy seed (the lookahead cut points never use it) */
	bool has_seed;
	unsigned lookahead_cuts; /* vectorised: prefix re-runs; 0: 20 */
	/* How long each side spins before sleeping on the futex: a spin saves
	 * two wake-ups a bar when the host and the slot have a core each; 0
	 * when they share cores (a sweep).  UINT64_MAX: the default (1 ms; adaptive:
	 * halved after a wait that outlasts it).  STRATBOX_LOCKSTEP_SPIN_NS overrides
	 * the default for benchmarks. */
	uint64_t spin_ns;
	/* Provenance the caller knows of (data files and their hashes, the
	 * environment): merged into the result's "provenance"; NULL: none. */
	const struct json_t *provenance;
	/* Set (non-zero) by another thread to stop the backtest: the strategy's
	 * process is killed within about 20 ms and the result's status is
	 * CANCELLED.  NULL: none. */
	const volatile int *cancel;
} bt_job;

/* Allow, in a policy, the module names LLM-written code guesses for
 * BaseStrategy (`from strategy import BaseStrategy`, docs/strategy-api.md).
 * A pool that runs backtests is started with such a policy. */
int bt_backtest_policy(sbx_check_policy *policy, sbx_error **err);

/* One backtest (blocking, thread-safe; the pool may be shared by any number
 * of threads).  The code is checked first: a refused strategy gives a
 * VALIDATION_ERROR result and nothing runs.  Returns the result as a new
 * JSON object (docs/backtest.md, "The JSON result"): a strategy that
 * crashes, loops or breaks a limit is a result with that status and no
 * metrics, never an error.  *ok: the strategy ran to the end and the
 * engine has its metrics.  NULL with *err only when nothing could run: the
 * pool is stopping, bad options (an SBX_ERR_INVALID naming them), out of
 * memory. */
struct json_t *bt_backtest_run(sbx_pool *pool, const sbx_check_policy *policy, const bt_job *job,
			       bool *ok, sbx_error **err);

/* ---- sweeps ---- */

/* A grid as the CLI writes it, "fast=5:30:5,slow=20:100:10,mode=a|b":
 * each name takes start:stop:step (inclusive of stop when the steps land
 * on it; integers when all three are), a list a|b|c (numbers or words), or
 * one value.  *combos: a new JSON array of {name: value} objects, every
 * combination, the first name varying slowest.  At most max combinations
 * (0: 100000). */
int bt_grid_parse(const char *spec, size_t max, struct json_t **combos, sbx_error **err);

typedef struct bt_sweep {
	const bt_job *job;	   /* everything but the params */
	const struct json_t *combos; /* an array of {name: value}: each over job->params */
	unsigned parallel;	   /* slots at once (the pool's warm count should match); 0: 2 */
	/* instances of the strategy per slot: one exchange a bar serves them
	 * all.  0: the combinations spread evenly over `parallel` slots */
	unsigned per_slot;
	const char *rank;	   /* the metric that ranks; NULL: "sharpe" */
	/* called from worker threads, serialised: combinations done so far */
	void (*progress)(void *arg, size_t done, size_t total);
	void *progress_arg;
} bt_sweep;

/* Every combination, `parallel` slots at once.  Returns {"rank": name,
 * "runs": [{"params", "status", "success", "error", "metrics"}...] ranked
 * best first (the metric's own direction; failed runs last), "best": the
 * full result of the best run (as bt_backtest_run gives), "lookahead_bars"
 * (the union over runs, vectorised), "timings"}.  NULL with *err as for
 * bt_backtest_run, or for an unknown rank metric. */
struct json_t *bt_sweep_run(sbx_pool *pool, const sbx_check_policy *policy, const bt_sweep *sw,
			    sbx_error **err);

/* ---- a backtest described in JSON (a request to the service) ---- */

/* Where "symbols" are found: NAME.csv in data_dir when it is not NULL,
 * else the manifest at `manifest` (bt_manifest_default_path()).  Never a
 * path the request names: a request reads only these. */
typedef struct bt_request_sources {
	const char *manifest;
	const char *data_dir;
} bt_request_sources;

/* {"code": "...", "symbols": ["GOOG"] | "GOOG,AAPL", "data": {"SYM": "CSV"},
 *  "start", "end", "params" (or "config": the same), "strategy", "code_name",
 *  "cash", "commission", "commission_fixed", "spread", "margin", "fractional",
 *  "trade_on_close", "end_policy", "timeout", "memory", "cpus", "cpu_time",
 *  "seed", "grid", "rank"}: `stratbox backtest`'s options (docs/http-api.md);
 *  with "grid" (at most 1000 combinations) it is a sweep: req->combos.  "code" and
 * "symbols" or "data" are required; an unknown key or a bad value is an
 * SBX_ERR_INVALID naming it; the bars are read, clipped and aligned here.
 * req->job points into o, which must outlive the request. */
typedef struct bt_request {
	bt_job job;
	bt_inputs inputs;
	struct json_t *provenance;
	struct json_t *combos; /* a sweep's combinations ("grid"), or NULL */
	const char *rank;      /* what ranks them ("rank"), or NULL: sharpe */
} bt_request;
int bt_request_from_json(bt_request *req, const struct json_t *o, const bt_request_sources *src,
			 sbx_error **err);
void bt_request_clear(bt_request *req);

#ifdef __cplusplus
}
#endif
#endif
