/* The status page's files (src/server/page/), embedded at build time by
 * tools/gen-embed.c into $(O)/gen/page-assets.c (a build output, never
 * committed): each the file's exact bytes, NUL-terminated, and its length. */
#ifndef STRATBOX_SERVER_PAGE_ASSETS_H
#define STRATBOX_SERVER_PAGE_ASSETS_H

#include <stddef.h>

extern const char page_index_html[], page_js[], page_css[];
extern const size_t page_index_html_len, page_js_len, page_css_len;

#endif
