/* GET /v1/jobs/{id}/report: a backtest's HTML report (src/engine/report*.c),
 * made from the job's stored request and result, the first time it is
 * asked for, and kept in DIR/reports/ID.html for the next time.  The
 * request is loaded again for the bars the charts show (a bundled or
 * --data-dir dataset, or the CSV given inline), so a report needs nothing
 * that only the machine that ran the job has: it is the same whether a
 * local worker or a remote one ran it.
 *
 * The page is self-contained (its own Content-Security-Policy forbids
 * every network access); it is served with that policy and `sandbox
 * allow-scripts` on top, so that text a strategy controls can never run
 * as script in the service's origin, next to a token. */
#include "common/util.h"
#include "server/internal.h"
#include "stratbox/report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define REPORT_CSP                                                                                 \
	"sandbox allow-scripts; default-src 'none'; script-src 'unsafe-inline'; "                 \
	"style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

/* A kept report larger than this is made again rather than read. */
#define REPORT_MAX (256u << 20)

static char *report_path(struct sbx_server *s, const char *id)
{
	return str_printf("%s/%s.html", sbx_store_reports_dir(s->store), id);
}

void report_remove(struct sbx_server *s, const char *id)
{
	char *path = report_path(s, id);
	if (path != NULL && unlink(path) < 0 && errno != ENOENT)
		server_log(s, "job %s: cannot remove its report: %s", id, strerror(errno));
	free(path);
}

/* Write text to path through a temporary file and a rename: a reader sees
 * the whole report or none. */
static int write_atomic(const char *path, const char *text, size_t len, sbx_error **err)
{
	char *tmp = str_printf("%s.tmp.%ld", path, (long) gettid());
	if (tmp == NULL)
		return sbx_error_set(err, ENOMEM, "report");
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0) {
		sbx_error_set(err, errno, "%s", tmp);
		free(tmp);
		return -1;
	}
	size_t off = 0;
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		off += (size_t) n;
	}
	int rc = 0;
	if (off != len || fsync(fd) < 0)
		rc = sbx_error_set(err, errno ? errno : EIO, "%s", tmp);
	if (close(fd) < 0 && rc == 0)
		rc = sbx_error_set(err, errno, "%s", tmp);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = sbx_error_set(err, errno, "%s", path);
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

/* The report of a finished backtest (or sweep) from its request (read
 * again for the bars) and result. */
static char *make_report(struct sbx_server *s, const struct sbx_store_job *j, sbx_error **err)
{
	json_error_t je;
	json_t *rq = json_loads(j->request, 0, &je);
	json_t *res = j->result ? json_loads(j->result, 0, &je) : NULL;
	char *html = NULL;
	bt_request req;
	memset(&req, 0, sizeof(req));
	if (rq == NULL || !json_is_object(res)) {
		sbx_error_set(err, 0, "the stored job is not JSON");
	} else if (bt_request_from_json(&req, rq, &s->sources, err) == 0) {
		const char *name = json_string_value(json_object_get(rq, "code_name"));
		char *title = str_printf("%s (job %s)", name ? name : "strategy.py", j->id);
		html = title ? bt_report_of_result(res, req.job.data, title, req.rank, err)
			     : (sbx_error_set(err, ENOMEM, "report"), NULL);
		free(title);
	}
	bt_request_clear(&req);
	json_decref(rq);
	json_decref(res);
	return html;
}

void api_report(struct sbx_server *s, const char *tenant, const char *id,
		struct api_response *rs)
{
	struct sbx_store_job j;
	cleanup_error sbx_error *err = NULL;
	int r = sbx_store_get(s->store, tenant, id, &j, &err);
	if (r < 0) {
		api_error(rs, 500, "internal", "%s", err->msg);
		return;
	}
	if (r == 0) {
		api_error(rs, 404, "not_found", "no job %s", id);
		return;
	}
	if (strcmp(j.kind, "backtest") != 0) {
		api_error(rs, 404, "no_report", "job %s is an %s: only backtests have a report", id,
			  j.kind);
		sbx_store_job_clear(&j);
		return;
	}
	if (j.status != SBX_JOB_DONE || j.result == NULL) {
		if (j.status == SBX_JOB_QUEUED || j.status == SBX_JOB_RUNNING) {
			rs->retry_after = 1;
			api_error(rs, 409, "not_finished",
				  "job %s is %s: its report is made when it is done", id,
				  sbx_job_status_name(j.status));
		} else {
			api_error(rs, 404, "no_report", "job %s is %s: it has no report", id,
				  sbx_job_status_name(j.status));
		}
		sbx_store_job_clear(&j);
		return;
	}
	char *path = report_path(s, id);
	size_t len = 0;
	char *html = NULL;
	cleanup_error sbx_error *rerr = NULL;
	if (path != NULL && read_file_alloc(path, REPORT_MAX, &html, &len, &rerr) < 0) {
		if (rerr->errnum != ENOENT)
			server_log(s, "job %s: its kept report is not read (%s): made again", id,
				   rerr->msg);
		html = NULL;
	}
	if (html == NULL && path != NULL) {
		html = make_report(s, &j, &err);
		if (html == NULL) {
			api_error(rs, 500, "report", "job %s: its report could not be made: %s", id,
				  err ? err->msg : "out of memory");
		} else {
			len = strlen(html);
			cleanup_error sbx_error *werr = NULL;
			/* served even when it cannot be kept (a full disk) */
			if (write_atomic(path, html, len, &werr) < 0)
				server_log(s, "job %s: its report is not kept: %s", id, werr->msg);
		}
	}
	free(path);
	sbx_store_job_clear(&j);
	if (html == NULL) {
		if (rs->status == 0)
			api_error(rs, 500, "internal", "out of memory");
		return;
	}
	rs->status = 200;
	rs->raw = html;
	rs->raw_len = len;
	rs->content_type = "text/html; charset=utf-8";
	rs->csp = REPORT_CSP;
}
