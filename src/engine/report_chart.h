/* The data of the report's charts, made from a backtest's result
 * (report_chart.c has its shape). */
#ifndef STRATBOX_ENGINE_REPORT_CHART_H
#define STRATBOX_ENGINE_REPORT_CHART_H

#include "engine/report_page.h"

/* The charts' data (new reference), or NULL when out of memory (and
 * notes->oom set).  Why a chart is missing goes into notes, as HTML. */
json_t *chart_data(const json_t *result, struct hbuf *notes);

#endif
