/* The backtest report's body, shared with the sweep report (which shows
 * its best run below the ranking). */
#ifndef STRATBOX_ENGINE_REPORT_BACKTEST_H
#define STRATBOX_ENGINE_REPORT_BACKTEST_H

#include "engine/report_page.h"

/* The sections of one result, from the <header> (when title is not NULL;
 * it opens <main>) to its provenance; *data gets the charts' data (new
 * reference; NULL and b->oom when out of memory). */
void report_backtest_body(struct hbuf *b, const json_t *result, const struct bt_report_options *opt,
			  const char *title, json_t **data);

/* The page around a report's body (which it frees): the head, its policy
 * and, when data has anything to draw, the charts' scripts.  NULL with *err
 * when out of memory. */
char *report_page_around(struct hbuf *body, const char *title, const json_t *data,
			 sbx_error **err);

#endif
