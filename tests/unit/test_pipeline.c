/* The job pipeline's pure parts: a job from JSON (every key, every bad
 * value named), and the error kinds callers branch on. */
#include "harness.h"
#include "stratbox/engine.h"
#include "stratbox/pyrt.h"
#include "unit.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static int from(const char *text, struct sbx_job_request *req, sbx_error **err)
{
	static const struct sbx_job defaults = { .timeout_ns = 7000000000ull, .memory = 1u << 20 };
	json_t *o = json_loads(text, JSON_DECODE_ANY, NULL);
	CHECK(o != NULL, "test JSON does not parse: %s", text);
	int rc = sbx_job_request_from_json(req, o, &defaults, err);
	if (rc == 0) /* the code points into o: copy what the test looks at */
		req->job.code = strndup(req->job.code, req->job.code_len);
	json_decref(o);
	return rc;
}

void u_job_from_json_reads_every_key(void)
{
	struct sbx_job_request req;
	sbx_error *err = NULL;
	CHECK(from("{\"code\": \"print(1)\", \"data\": {\"a\": [1, 2.5]}, \"timeout\": 1.5, "
		   "\"cpu_time\": 2, \"memory\": \"64M\", \"seed\": 9, \"id\": [\"anything\"]}",
		   &req, &err) == 0,
	      "%s", err ? err->msg : "");
	CHECK_STR_EQ(req.job.code, "print(1)");
	CHECK_INT_EQ(req.job.code_len, 8);
	CHECK_STR_EQ(req.job.data, "{\"a\":[1,2.5]}");
	CHECK_INT_EQ(req.job.data_len, strlen("{\"a\":[1,2.5]}"));
	CHECK(req.job.timeout_ns == 1500000000ull);
	CHECK(req.job.cpu_time_ns == 2000000000ull);
	CHECK(req.job.memory == 64ull << 20);
	CHECK(req.job.has_seed && req.job.seed == 9);
	free((char *) req.job.code);
	sbx_job_request_clear(&req);

	/* keys not given keep the defaults; no data, no data.json */
	CHECK(from("{\"code\": \"x\"}", &req, &err) == 0);
	CHECK(req.job.timeout_ns == 7000000000ull && req.job.memory == 1u << 20);
	CHECK(req.job.data == NULL && !req.job.has_seed);
	free((char *) req.job.code);
	sbx_job_request_clear(&req);
	CHECK(from("{\"code\": \"x\", \"memory\": 1000000}", &req, &err) == 0);
	CHECK(req.job.memory == 1000000);
	free((char *) req.job.code);
	sbx_job_request_clear(&req);
}

void u_job_from_json_names_bad_values(void)
{
	static const struct {
		const char *json, *says;
	} bad[] = {
		{ "[1]", "must be a JSON object" },
		{ "{}", "\"code\" (a string) is required" },
		{ "{\"code\": 3}", "\"code\" (a string) is required" },
		{ "{\"code\": \"x\", \"timout\": 3}", "unknown key \"timout\"" },
		{ "{\"code\": \"x\", \"timeout\": 0}", "\"timeout\" must be seconds" },
		{ "{\"code\": \"x\", \"timeout\": -1}", "\"timeout\" must be seconds" },
		{ "{\"code\": \"x\", \"timeout\": 3601}", "\"timeout\" must be seconds" },
		{ "{\"code\": \"x\", \"timeout\": \"5\"}", "\"timeout\" must be seconds" },
		{ "{\"code\": \"x\", \"cpu_time\": null}", "\"cpu_time\" must be seconds" },
		{ "{\"code\": \"x\", \"memory\": \"lots\"}", "\"memory\":" },
		{ "{\"code\": \"x\", \"memory\": -5}", "\"memory\":" },
		{ "{\"code\": \"x\", \"seed\": -1}", "\"seed\" must be a non-negative integer" },
		{ "{\"code\": \"x\", \"seed\": 1.5}", "\"seed\" must be a non-negative integer" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sbx_job_request req;
		sbx_error *err = NULL;
		CHECK(from(bad[i].json, &req, &err) < 0, "accepted %s", bad[i].json);
		CHECK(err != NULL && err->kind == SBX_ERR_INVALID, "%s: kind %d", bad[i].json,
		      err ? (int) err->kind : -1);
		CHECK_CONTAINS(err->msg, bad[i].says);
		sbx_error_freep(&err);
		sbx_job_request_clear(&req);
	}
}

void u_error_kind_from_errno_place_kept(void)
{
	sbx_error *err = NULL;
	CHECK(sbx_error_set(&err, 0, "bad %s", "value") == -1);
	CHECK(err->kind == SBX_ERR_INVALID && err->line == 0 && err->col == 0);
	CHECK_STR_EQ(err->msg, "bad value");
	CHECK(sbx_error_wrap(&err, "outer") == -1);
	CHECK_STR_EQ(err->msg, "outer: bad value");
	CHECK(err->kind == SBX_ERR_INVALID); /* wrapping keeps the kind */
	sbx_error_freep(&err);
	sbx_error_set(&err, ENOENT, "open %s", "x");
	CHECK(err->kind == SBX_ERR_SYSTEM && err->errnum == ENOENT);
	CHECK_CONTAINS(err->msg, "open x: ");
	sbx_error_freep(&err);
	sbx_error_set(&err, ENOMEM, "x");
	CHECK(err->kind == SBX_ERR_NOMEM);
	sbx_error_freep(&err);
	sbx_error_set_at(&err, SBX_ERR_SYNTAX, 3, 14, "'(' was never closed");
	CHECK(err->kind == SBX_ERR_SYNTAX && err->line == 3 && err->col == 14 && err->errnum == 0);
	CHECK_STR_EQ(err->msg, "'(' was never closed");
	/* the first error wins: a second set leaves it alone */
	CHECK(sbx_error_set(&err, 0, "second") == -1);
	CHECK_STR_EQ(err->msg, "'(' was never closed");
	sbx_error_freep(&err);
	CHECK_STR_EQ(sbx_error_kind_name(SBX_ERR_STOPPED), "stopped");
	CHECK_STR_EQ(sbx_error_kind_name(SBX_ERR_SYNTAX), "syntax");
	/* the CSV reader's errors carry their line */
	static const char csv[] = "Date,Open,High,Low,Close\n2020-01-02,1,2,0.5,1.5\n"
				  "2020-01-03,1,2,0.5,abc\n";
	bt_series *s = NULL;
	CHECK(bt_series_parse(csv, sizeof(csv) - 1, "p.csv", "P", &s, &err) < 0);
	CHECK(err->kind == SBX_ERR_INVALID && err->line == 3, "kind %d line %u", (int) err->kind,
	      err->line);
	CHECK_CONTAINS(err->msg, "p.csv:3: ");
	sbx_error_freep(&err);
}
