/* The status page: GET / (index.html), /page.js and /page.css, the files of
 * src/server/page/ embedded at build time (page_assets.h).  The page holds
 * no data, so it needs no token; its script asks the API for everything,
 * with the token the user gives it (docs/http-api.md, "Status page").
 *
 * The threat is text a strategy controls (its output, its error, its
 * report) running as script in the service's origin, next to the token in
 * sessionStorage.  The script inserts such text with textContent only, and
 * the policy below is the second wall: no inline script or style of the
 * page's own, nothing loaded from anywhere but here, no form posts, no
 * framing.  A report is shown in <iframe sandbox="allow-scripts" srcdoc>:
 * an opaque origin that cannot read the page's storage; a srcdoc document
 * inherits the page's policy on top of its own, so the page's policy lists
 * the hashes of the report's inline scripts and style sheet
 * (bt_report_csp_sources), which are the only inline code it allows. */
#include "server/internal.h"
#include "server/page_assets.h"
#include "stratbox/report.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static char page_policy[512];
static pthread_once_t page_policy_once = PTHREAD_ONCE_INIT;

/* Made once: the hashes are fixed at build time, so this is a constant
 * the compiler could not assemble. */
static void page_policy_make(void)
{
	struct bt_report_sources rsrc;
	bt_report_csp_sources(&rsrc);
	int n = snprintf(page_policy, sizeof(page_policy),
			 "default-src 'none'; script-src 'self' '%s' '%s'; style-src 'self' '%s'; "
			 "img-src data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
			 "frame-ancestors 'none'",
			 rsrc.scripts[0], rsrc.scripts[1], rsrc.style);
	/* too long cannot happen (three hashes of 51 characters); if it did,
	 * the strictest policy there is, rather than a truncated one */
	if (n < 0 || (size_t) n >= sizeof(page_policy))
		snprintf(page_policy, sizeof(page_policy), "default-src 'none'");
}

static const struct {
	const char *path, *type;
	const char *bytes;
	const size_t *len;
} files[] = {
	{ "/", "text/html; charset=utf-8", page_index_html, &page_index_html_len },
	{ "/page.js", "text/javascript; charset=utf-8", page_js, &page_js_len },
	{ "/page.css", "text/css; charset=utf-8", page_css, &page_css_len },
};

bool page_handle(const struct api_request *rq, struct api_response *rs)
{
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (strcmp(rq->path, files[i].path) != 0)
			continue;
		if (strcmp(rq->method, "GET") != 0 && strcmp(rq->method, "HEAD") != 0) {
			rs->allow = "GET, HEAD";
			api_error(rs, 405, "method_not_allowed", "this path takes GET, HEAD");
			return true;
		}
		size_t len = *files[i].len;
		rs->raw = malloc(len + 1);
		if (rs->raw == NULL) {
			api_error(rs, 500, "internal", "out of memory");
			return true;
		}
		memcpy(rs->raw, files[i].bytes, len + 1);
		rs->raw_len = len;
		rs->content_type = files[i].type;
		pthread_once(&page_policy_once, page_policy_make);
		rs->csp = page_policy;
		rs->status = 200;
		return true;
	}
	return false;
}
