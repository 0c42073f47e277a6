/* The HTML report's static assets, embedded at build time by
 * tools/gen-report-assets.js into $(O)/gen/report-assets.c (a build
 * output, never committed): TradingView's lightweight-charts as fetched by
 * npm, and the report's own script and style sheet.  Each *_sha256 is the
 * CSP source expression ("sha256-<base64>") of its asset's exact bytes. */
#ifndef STRATBOX_ENGINE_REPORT_ASSETS_H
#define STRATBOX_ENGINE_REPORT_ASSETS_H

#include <stddef.h>

extern const char bt_report_lwc_version[]; /* "4.2.3" */
extern const char bt_report_lwc_license[];	   /* its header's notice, one line each */
extern const char bt_report_lwc_license_text[]; /* its LICENSE file (Apache-2.0) */

extern const char bt_report_lwc_js[], bt_report_lwc_js_sha256[];
extern const size_t bt_report_lwc_js_len;
extern const char bt_report_app_js[], bt_report_app_js_sha256[];
extern const size_t bt_report_app_js_len;
extern const char bt_report_css[], bt_report_css_sha256[];
extern const size_t bt_report_css_len;

#endif
