/* One slot's share of a backtest or a sweep: k instances of the strategy,
 * each with its own params and its own engine, driven together through one
 * lockstep region (src/pyrt/lockstep.h).  backtest.c runs one chunk of one
 * instance; sweep.c runs many chunks on worker threads. */
#ifndef STRATBOX_ENGINE_CHUNK_H
#define STRATBOX_ENGINE_CHUNK_H

#include "stratbox/backtest.h"

#include <jansson.h>
#include <stdatomic.h>

enum chunk_mode { CHUNK_EVENT = 1, CHUNK_VECTOR = 2 };

/* What became of one instance. */
struct chunk_run {
	json_t *params;	   /* merged {name: value} (owned) */
	bt_config config;  /* the job's, with the instance's warmup */
	bt_result *result; /* NULL: no result (see status) */
	char *error;	   /* the instance's own failure, or the host's account */
	const char *status; /* "OK", "STRATEGY_ERROR", or the job's verdict status */
	size_t *lookahead; /* vectorised: bars where it looked ahead (sorted) */
	size_t nlookahead;
};

struct chunk {
	const bt_job *job;
	size_t k;
	struct chunk_run *runs;
	/* the job's outcome, shared by its instances */
	json_t *job_result; /* sbx_job_result_json() of the strategy's process */
	bool job_ok;	    /* its verdict is OK */
	enum chunk_mode mode;
	size_t *cuts, ncuts; /* vectorised: where the data was cut */
	size_t bars_sent;    /* bars the strategy was shown */
	uint64_t drive_ns;   /* from the first bar to the end message */
	char *host_error;    /* the protocol broke (the slot ended early, a bad answer) */
	bool cancelled;	     /* bt_job.cancel was set: the runs are CANCELLED */
	bool killed_at_end;  /* its process would not end when told: killed */
	/* progress: bars of every instance done (for sweeps); may be NULL */
	atomic_size_t *progress;
};

/* Run the chunk to the end (blocking).  -1 with *err only when it could
 * not start (the pool stopping, out of memory). */
int chunk_run(sbx_pool *pool, struct chunk *c, sbx_error **err);
void chunk_free(struct chunk *c);

/* One instance's result as the JSON a backtest returns (docs/backtest.md). */
json_t *chunk_run_json(const struct chunk *c, size_t i, sbx_error **err);

/* {"stratbox", "environment", "code", "code_sha256", "versions", ...the
 * job's own provenance}; versions as sbx_pool_stats gives them. */
json_t *chunk_provenance(const struct chunk *c, const char *versions);

/* An instance's lookahead bars: [{"bar", "time"}], empty when clean. */
json_t *chunk_lookahead_json(const struct chunk_run *r, const bt_data *data);

/* The merged params of the job and one combination (new reference). */
json_t *chunk_params(const bt_job *job, const json_t *combo);

#endif
