/* A test-only front end of the HTML report: a result's JSON in, the page
 * out; and, to have real results to report on, a small trusted strategy
 * run by the engine over bundled data.  tests/report/check.js drives it and
 * opens the pages in headless Chromium.
 *
 *   report-gen [--title T] [--max-trades N] RESULT.json          page of one run
 *   report-gen --grid RUNS.json [--best RESULT.json] [--rank M] [--heat M]
 *              [--x PARAM] [--y PARAM] [--title T] [--max-rows N]     page of a sweep
 *   report-gen --backtest --data SYM=FILE... [--fast N] [--slow N] [--stop PCT]
 *              [--start DATE] [--end DATE] [--commission R] [--cash X]
 *                                                         a run's result, as JSON
 *   report-gen --sweep FAST:FAST:STEP,SLOW:SLOW:STEP --data SYM=FILE... [...]
 *                          every combination's {"params", "metrics", "status"}
 *
 * The strategy is an SMA cross on every symbol, event-driven through
 * bt_engine_submit(): when the fast mean crosses above the slow one it
 * closes the symbol and buys with 95 % / symbols of the available equity,
 * crossing below it closes and sells short; with --stop, each entry
 * carries a stop-loss and a take-profit PCT % away.  Its first call is on
 * bar `slow` (the warmup).  The result gains what the CLI adds beside the
 * engine's: "status", "params", "bars" (bt_report_bars), "output",
 * "lookahead_bars".
 *
 * Exit 0 with the output on stdout, 1 with the error on stderr. */
#include "common/util.h"
#include "stratbox/engine.h"
#include "stratbox/report.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DATA 8

struct opts {
	const char *input, *grid, *best, *sweep, *start, *end;
	bool backtest;
	const char *data[MAX_DATA];
	size_t ndata;
	unsigned fast, slow;
	double stop;
	bt_config c;
	struct bt_report_options o;
	struct bt_grid_report_options g;
};

static json_t *load(const char *path)
{
	json_error_t je;
	json_t *j = json_load_file(path, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	if (j == NULL)
		fprintf(stderr, "report-gen: %s:%d: %s\n", path, je.line, je.text);
	return j;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	bt_config_default(&o->c);
	o->fast = 10;
	o->slow = 30;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--backtest") == 0) {
			o->backtest = true;
			continue;
		}
		if (v == NULL || strncmp(a, "--", 2) != 0) {
			if (o->input != NULL)
				return -1;
			o->input = a;
			continue;
		}
		if (strcmp(a, "--title") == 0)
			o->o.title = o->g.title = v;
		else if (strcmp(a, "--max-trades") == 0)
			o->o.max_trades = strtoul(v, NULL, 10);
		else if (strcmp(a, "--max-rows") == 0)
			o->g.max_rows = strtoul(v, NULL, 10);
		else if (strcmp(a, "--grid") == 0)
			o->grid = v;
		else if (strcmp(a, "--best") == 0)
			o->best = v;
		else if (strcmp(a, "--rank") == 0)
			o->g.rank = v;
		else if (strcmp(a, "--heat") == 0)
			o->g.heat = v;
		else if (strcmp(a, "--x") == 0)
			o->g.x = v;
		else if (strcmp(a, "--y") == 0)
			o->g.y = v;
		else if (strcmp(a, "--sweep") == 0)
			o->sweep = v;
		else if (strcmp(a, "--data") == 0 && o->ndata < MAX_DATA)
			o->data[o->ndata++] = v;
		else if (strcmp(a, "--fast") == 0)
			o->fast = (unsigned) strtoul(v, NULL, 10);
		else if (strcmp(a, "--slow") == 0)
			o->slow = (unsigned) strtoul(v, NULL, 10);
		else if (strcmp(a, "--stop") == 0)
			o->stop = strtod(v, NULL);
		else if (strcmp(a, "--start") == 0)
			o->start = v;
		else if (strcmp(a, "--end") == 0)
			o->end = v;
		else if (strcmp(a, "--commission") == 0)
			o->c.commission = strtod(v, NULL);
		else if (strcmp(a, "--cash") == 0)
			o->c.cash = strtod(v, NULL);
		else
			return -1;
		i++;
	}
	int modes = (o->input != NULL && !o->backtest) + (o->grid != NULL) + o->backtest +
		    (o->sweep != NULL);
	if (modes != 1 || ((o->backtest || o->sweep) && o->ndata == 0))
		return -1;
	return 0;
}

/* ---- the strategy ------------------------------------------------------ */

static int load_data(const struct opts *o, bt_data **out, sbx_error **err)
{
	bt_series *s[MAX_DATA] = { 0 };
	int rc = -1;
	int64_t start = INT64_MIN, end = INT64_MAX;
	if ((o->start && bt_time_parse(o->start, false, &start, err) < 0) ||
	    (o->end && bt_time_parse(o->end, true, &end, err) < 0))
		return -1;
	for (size_t k = 0; k < o->ndata; k++) {
		cleanup_free char *sym = strdup(o->data[k]);
		char *eq = sym ? strchr(sym, '=') : NULL;
		if (eq == NULL) {
			sbx_error_set(err, EINVAL, "--data %s: expected SYM=FILE", o->data[k]);
			goto out;
		}
		*eq = '\0';
		if (bt_series_read(eq + 1, sym, &s[k], err) < 0 ||
		    ((o->start || o->end) && bt_series_clip(s[k], start, end, err) < 0))
			goto out;
	}
	rc = bt_data_new(s, o->ndata, out, err);
out:
	for (size_t k = 0; k < o->ndata; k++)
		bt_series_free(s[k]);
	return rc;
}

/* The mean of the last n of a symbol's own closes (hist[0..count)). */
static double sma(const double *hist, size_t count, size_t n)
{
	double sum = 0;
	for (size_t i = count - n; i < count; i++)
		sum += hist[i];
	return sum / (double) n;
}

static bt_order order(int action, int sym, double size)
{
	bt_order o = { .action = action, .symbol = sym };
	if (!isnan(size)) {
		o.size = size;
		o.has |= BT_HAS_SIZE;
	}
	return o;
}

/* The SMA cross over every symbol; log (may be NULL) gets a line per
 * signal, as a strategy's print() would. */
static int sma_cross(const bt_data *d, const struct opts *o, unsigned fast, unsigned slow,
		     bt_result **out, FILE *log, sbx_error **err)
{
	bt_config c = o->c;
	c.warmup = slow;
	double **hist = calloc(d->nsym, sizeof(double *));
	size_t *count = calloc(d->nsym, sizeof(size_t));
	bt_engine *e = NULL;
	int rc = -1;
	if (hist == NULL || count == NULL) {
		sbx_error_set(err, ENOMEM, "sma");
		goto out;
	}
	for (size_t k = 0; k < d->nsym; k++)
		if ((hist[k] = malloc(d->n * sizeof(double))) == NULL) {
			sbx_error_set(err, ENOMEM, "sma");
			goto out;
		}
	if (fast == 0 || slow <= fast) {
		sbx_error_set(err, EINVAL, "sma: need 0 < fast (%u) < slow (%u)", fast, slow);
		goto out;
	}
	if (bt_engine_new(d, &c, &e, err) < 0)
		goto out;
	while ((rc = bt_engine_next(e, err)) > 0) {
		bt_account a;
		bt_engine_account(e, &a);
		bt_order ord[4 * MAX_DATA];
		size_t n = 0;
		for (size_t k = 0; k < d->nsym; k++) {
			const bt_symbol *s = &d->sym[k];
			if (!s->has_bar[a.bar])
				continue;
			hist[k][count[k]++] = s->close[a.bar];
			if (a.bar < slow || count[k] < slow + 1)
				continue;
			double f0 = sma(hist[k], count[k] - 1, fast), s0 = sma(hist[k], count[k] - 1, slow);
			double f1 = sma(hist[k], count[k], fast), s1 = sma(hist[k], count[k], slow);
			int dir = f0 <= s0 && f1 > s1 ? 1 : f0 >= s0 && f1 < s1 ? -1 : 0;
			double pos = a.position[k];
			if (dir == 0 || (dir > 0 && pos > 0) || (dir < 0 && pos < 0))
				continue;
			if (log != NULL) {
				char when[32];
				bt_time_format(a.time, when, sizeof(when));
				fprintf(log, "%.10s %s: SMA(%u) crossed %s SMA(%u) at %.2f: going %s\n",
					when, s->name, fast, dir > 0 ? "above" : "below", slow,
					s->close[a.bar], dir > 0 ? "long" : "short");
			}
			ord[n++] = order(BT_CLOSE, (int) k, NAN);
			bt_order entry = order(dir > 0 ? BT_BUY : BT_SELL, (int) k,
					       0.95 / (double) d->nsym);
			if (o->stop > 0) {
				double px = s->close[a.bar], f = o->stop / 100;
				entry.sl = dir > 0 ? px * (1 - f) : px * (1 + f);
				entry.tp = dir > 0 ? px * (1 + 2 * f) : px * (1 - 2 * f);
				entry.has |= BT_HAS_SL | BT_HAS_TP;
			}
			ord[n++] = entry;
		}
		if (n > 0 && (rc = bt_engine_submit(e, ord, n, err)) < 0)
			break;
	}
	if (rc == 0)
		rc = bt_engine_finish(e, out, err);
out:
	bt_engine_free(e);
	for (size_t k = 0; hist != NULL && k < d->nsym; k++)
		free(hist[k]);
	free(hist);
	free(count);
	return rc;
}

static int backtest(const struct opts *o)
{
	sbx_error *err = NULL;
	bt_data *d = NULL;
	bt_result *r = NULL;
	char *log = NULL;
	size_t loglen = 0;
	FILE *f = open_memstream(&log, &loglen);
	json_t *j = NULL;
	int rc = 1;
	if (f == NULL || load_data(o, &d, &err) < 0 || sma_cross(d, o, o->fast, o->slow, &r, f, &err) < 0)
		goto out;
	fclose(f);
	f = NULL;
	if ((j = bt_result_to_json(r, &err)) == NULL)
		goto out;
	json_object_set_new(j, "status", json_string("OK"));
	json_object_set_new(j, "params", json_pack("{sIsI}", "fast", (json_int_t) o->fast, "slow",
						     (json_int_t) o->slow));
	json_object_set_new(j, "bars", bt_report_bars(d, &err));
	json_object_set_new(j, "output", json_stringn(log, loglen));
	json_object_set_new(j, "lookahead_bars", json_array());
	if (json_dumpf(j, stdout, JSON_COMPACT | JSON_REAL_PRECISION(17)) == 0 && err == NULL)
		rc = 0;
	putchar('\n');
out:
	if (f != NULL)
		fclose(f);
	if (err != NULL)
		fprintf(stderr, "report-gen: %s\n", err->msg);
	sbx_error_free(err);
	json_decref(j);
	free(log);
	bt_result_free(r);
	bt_data_free(d);
	return rc;
}

/* "A:B:STEP" (B included). */
static int range(const char *s, unsigned *from, unsigned *to, unsigned *step)
{
	return sscanf(s, "%u:%u:%u", from, to, step) == 3 && *step > 0 && *from <= *to ? 0 : -1;
}

static int sweep(const struct opts *o)
{
	unsigned f0, f1, fs, s0, s1, ss;
	const char *comma = strchr(o->sweep, ',');
	if (comma == NULL || range(o->sweep, &f0, &f1, &fs) < 0 || range(comma + 1, &s0, &s1, &ss) < 0) {
		fprintf(stderr, "report-gen: --sweep FAST:FAST:STEP,SLOW:SLOW:STEP\n");
		return 2;
	}
	sbx_error *err = NULL;
	bt_data *d = NULL;
	json_t *runs = json_array();
	if (load_data(o, &d, &err) < 0) {
		fprintf(stderr, "report-gen: %s\n", err->msg);
		sbx_error_free(err);
		return 1;
	}
	for (unsigned fast = f0; fast <= f1; fast += fs)
		for (unsigned slow = s0; slow <= s1; slow += ss) {
			bt_result *r = NULL;
			json_t *run = json_object();
			json_object_set_new(run, "params", json_pack("{sIsI}", "fast", (json_int_t) fast,
								      "slow", (json_int_t) slow));
			if (sma_cross(d, o, fast, slow, &r, NULL, &err) < 0) {
				/* as the CLI reports a run that failed */
				json_object_set_new(run, "status", json_string("ERROR"));
				json_object_set_new(run, "error", json_string(err->msg));
				sbx_error_free(err);
				err = NULL;
			} else {
				json_t *j = bt_result_to_json(r, &err);
				json_object_set_new(run, "status", json_string("OK"));
				json_object_set(run, "metrics", json_object_get(j, "metrics"));
				json_decref(j);
			}
			bt_result_free(r);
			json_array_append_new(runs, run);
		}
	json_dumpf(runs, stdout, JSON_COMPACT | JSON_REAL_PRECISION(17));
	putchar('\n');
	json_decref(runs);
	bt_data_free(d);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	if (parse_args(argc, argv, &o) < 0) {
		fprintf(stderr, "usage: report-gen [options] RESULT.json | --grid RUNS.json [options] | "
				"--backtest --data SYM=FILE... | --sweep RANGES --data SYM=FILE...\n");
		return 2;
	}
	if (o.backtest)
		return backtest(&o);
	if (o.sweep)
		return sweep(&o);
	json_t *r = load(o.grid ? o.grid : o.input), *b = o.best ? load(o.best) : NULL;
	if (r == NULL || (o.best && b == NULL))
		return 1;
	sbx_error *err = NULL;
	char *html = o.grid ? bt_report_grid_html(r, b, &o.g, &err) : bt_report_html(r, &o.o, &err);
	if (html == NULL) {
		fprintf(stderr, "report-gen: %s\n", err->msg);
		sbx_error_free(err);
		return 1;
	}
	fputs(html, stdout);
	free(html);
	json_decref(r);
	json_decref(b);
	return 0;
}
