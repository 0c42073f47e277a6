/* A test-only front end of the HTML report: a result's JSON in, the page
 * out.  tests/report/render.js drives it and opens the page in headless
 * Chromium.
 *
 *   report-gen [--title T] [--max-trades N] RESULT.json
 *   report-gen --grid RUNS.json [--best RESULT.json] [--rank M] [--heat M]
 *              [--x PARAM] [--y PARAM] [--title T] [--max-rows N]
 *
 * Exit 0 with the HTML on stdout, 1 with the error on stderr. */
#include "stratbox/report.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *load(const char *path)
{
	json_error_t je;
	json_t *j = json_load_file(path, JSON_DECODE_ANY, &je);
	if (j == NULL)
		fprintf(stderr, "report-gen: %s:%d: %s\n", path, je.line, je.text);
	return j;
}

int main(int argc, char **argv)
{
	struct bt_report_options o = { 0 };
	struct bt_grid_report_options g = { 0 };
	const char *input = NULL, *grid = NULL, *best = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (v == NULL) {
			input = a;
			continue;
		}
		if (strcmp(a, "--title") == 0)
			o.title = g.title = v;
		else if (strcmp(a, "--max-trades") == 0)
			o.max_trades = strtoul(v, NULL, 10);
		else if (strcmp(a, "--max-rows") == 0)
			g.max_rows = strtoul(v, NULL, 10);
		else if (strcmp(a, "--grid") == 0)
			grid = v;
		else if (strcmp(a, "--best") == 0)
			best = v;
		else if (strcmp(a, "--rank") == 0)
			g.rank = v;
		else if (strcmp(a, "--heat") == 0)
			g.heat = v;
		else if (strcmp(a, "--x") == 0)
			g.x = v;
		else if (strcmp(a, "--y") == 0)
			g.y = v;
		else {
			input = a;
			continue;
		}
		i++;
	}
	if ((input == NULL) == (grid == NULL)) {
		fprintf(stderr, "usage: report-gen [options] RESULT.json | --grid RUNS.json [options]\n");
		return 2;
	}
	json_t *r = load(grid ? grid : input), *b = best ? load(best) : NULL;
	if (r == NULL || (best && b == NULL))
		return 1;
	sbx_error *err = NULL;
	char *html = grid ? bt_report_grid_html(r, b, &g, &err) : bt_report_html(r, &o, &err);
	if (html == NULL) {
		fprintf(stderr, "report-gen: %s\n", err->msg);
		return 1;
	}
	fputs(html, stdout);
	free(html);
	json_decref(r);
	json_decref(b);
	return 0;
}
