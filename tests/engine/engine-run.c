/* A test-only front end of the engine: data files and a signals file in,
 * the result's JSON out.  tests/engine/compare.py drives it and checks
 * every field against its own reimplementation of docs/backtest.md and
 * docs/metrics.md.
 *
 *   engine-run --data SYM=FILE [--data ...] [--cash X] [--commission R]
 *              [--commission-fixed F] [--spread S] [--margin M] [--fractional U]
 *              [--trade-on-close] [--end-policy liquidate|hold] [--warmup N]
 *              [--start DATE] [--end DATE] (--targets FILE | --orders FILE)
 *
 * --targets: one target per line ("nan" keeps the previous one).
 * --orders: JSON lines {"bar": i, "orders": [{"action": "buy", "symbol": 0,
 *           "size": 0.5, "limit": .., "stop": .., "sl": .., "tp": ..}]},
 *           bars increasing.
 * Exit 0 with the JSON on stdout, 1 with the engine's error on stderr.
 */
#include "common/util.h"
#include "stratbox/engine.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct opts {
	bt_config c;
	const char *data[16];
	size_t ndata;
	const char *targets, *orders, *start, *end;
};

static int usage(void)
{
	fprintf(stderr, "usage: engine-run --data SYM=FILE... [options] (--targets F | --orders F)\n");
	return 2;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	bt_config_default(&o->c);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		bool takes = true;
		if (strcmp(a, "--trade-on-close") == 0) {
			o->c.trade_on_close = true;
			takes = false;
		} else if (v == NULL) {
			return -1;
		} else if (strcmp(a, "--data") == 0 && o->ndata < 16) {
			o->data[o->ndata++] = v;
		} else if (strcmp(a, "--cash") == 0) {
			o->c.cash = strtod(v, NULL);
		} else if (strcmp(a, "--commission") == 0) {
			o->c.commission = strtod(v, NULL);
		} else if (strcmp(a, "--commission-fixed") == 0) {
			o->c.commission_fixed = strtod(v, NULL);
		} else if (strcmp(a, "--spread") == 0) {
			o->c.spread = strtod(v, NULL);
		} else if (strcmp(a, "--margin") == 0) {
			o->c.margin = strtod(v, NULL);
		} else if (strcmp(a, "--fractional") == 0) {
			o->c.fractional = strtod(v, NULL);
		} else if (strcmp(a, "--warmup") == 0) {
			o->c.warmup = strtoul(v, NULL, 10);
		} else if (strcmp(a, "--end-policy") == 0) {
			o->c.end_policy = strcmp(v, "hold") == 0 ? BT_END_HOLD : BT_END_LIQUIDATE;
		} else if (strcmp(a, "--targets") == 0) {
			o->targets = v;
		} else if (strcmp(a, "--orders") == 0) {
			o->orders = v;
		} else if (strcmp(a, "--start") == 0) {
			o->start = v;
		} else if (strcmp(a, "--end") == 0) {
			o->end = v;
		} else {
			return -1;
		}
		i += takes;
	}
	return o->ndata > 0 && (o->targets != NULL) != (o->orders != NULL) ? 0 : -1;
}

static int load(const struct opts *o, bt_data **out, sbx_error **err)
{
	bt_series *s[16] = { 0 };
	int rc = -1;
	int64_t start = INT64_MIN, end = INT64_MAX;
	if ((o->start && bt_time_parse(o->start, false, &start, err) < 0) ||
	    (o->end && bt_time_parse(o->end, true, &end, err) < 0))
		return -1;
	for (size_t k = 0; k < o->ndata; k++) {
		cleanup_free char *sym = strdup(o->data[k]);
		char *eq = strchr(sym, '=');
		if (eq == NULL)
			return sbx_error_set(err, 0, "--data %s: expected SYM=FILE", o->data[k]);
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

static int run_targets(const struct opts *o, const bt_data *d, bt_result **r, sbx_error **err)
{
	FILE *f = fopen(o->targets, "r");
	if (f == NULL)
		return sbx_error_set(err, errno, "%s", o->targets);
	cleanup_free double *t = malloc(d->n * sizeof(double));
	char line[64];
	size_t n = 0;
	while (t && n < d->n && fgets(line, sizeof(line), f))
		t[n++] = strtod(line, NULL);
	fclose(f);
	if (t == NULL)
		return sbx_error_set(err, ENOMEM, "targets");
	return bt_run_targets(d, &o->c, t, n, r, err);
}

static double field(json_t *o, const char *k, unsigned bit, unsigned *has)
{
	json_t *v = json_object_get(o, k);
	if (v == NULL || json_is_null(v))
		return 0;
	*has |= bit;
	if (json_is_string(v)) /* "nan", "inf": what a careless strategy sends */
		return strtod(json_string_value(v), NULL);
	return json_number_value(v);
}

static int parse_orders(json_t *list, bt_order *out, size_t *n)
{
	static const char *const act[] = { "", "buy", "sell", "close", "cancel" };
	*n = 0;
	for (size_t k = 0; k < json_array_size(list) && k < 64; k++) {
		json_t *j = json_array_get(list, k);
		bt_order *o = &out[(*n)++];
		*o = (bt_order){ .action = 99 };
		const char *a = json_string_value(json_object_get(j, "action"));
		for (int i = 1; a && i <= 4; i++)
			if (strcmp(a, act[i]) == 0)
				o->action = i;
		json_t *s = json_object_get(j, "symbol");
		o->symbol = json_is_integer(s) ? (int) json_integer_value(s) : 0;
		o->size = field(j, "size", BT_HAS_SIZE, &o->has);
		o->limit = field(j, "limit", BT_HAS_LIMIT, &o->has);
		o->stop = field(j, "stop", BT_HAS_STOP, &o->has);
		o->sl = field(j, "sl", BT_HAS_SL, &o->has);
		o->tp = field(j, "tp", BT_HAS_TP, &o->has);
	}
	return 0;
}

static int run_orders(const struct opts *o, const bt_data *d, bt_result **r, sbx_error **err)
{
	FILE *f = fopen(o->orders, "r");
	if (f == NULL)
		return sbx_error_set(err, errno, "%s", o->orders);
	bt_engine *e = NULL;
	if (bt_engine_new(d, &o->c, &e, err) < 0) {
		fclose(f);
		return -1;
	}
	json_t *next = NULL;
	json_error_t je;
	char *line = NULL;
	size_t cap = 0;
	int rc;
	for (size_t bar = 0; (rc = bt_engine_next(e, err)) > 0; bar++) {
		if (next == NULL && getline(&line, &cap, f) > 0)
			next = json_loads(line, 0, &je);
		if (next == NULL || json_integer_value(json_object_get(next, "bar")) != (json_int_t) bar)
			continue;
		bt_order ord[64];
		size_t n;
		parse_orders(json_object_get(next, "orders"), ord, &n);
		json_decref(next);
		next = NULL;
		if ((rc = bt_engine_submit(e, ord, n, err)) < 0)
			break;
	}
	json_decref(next);
	free(line);
	fclose(f);
	if (rc == 0)
		rc = bt_engine_finish(e, r, err);
	bt_engine_free(e);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	if (parse_args(argc, argv, &o) < 0)
		return usage();
	sbx_error *err = NULL;
	bt_data *d = NULL;
	bt_result *r = NULL;
	if (load(&o, &d, &err) < 0 ||
	    (o.targets ? run_targets(&o, d, &r, &err) : run_orders(&o, d, &r, &err)) < 0) {
		fprintf(stderr, "engine-run: %s\n", err ? err->msg : "error");
		sbx_error_free(err);
		bt_data_free(d);
		return 1;
	}
	char *json = bt_result_json(r, &err);
	int rc = json ? 0 : 1;
	if (json)
		puts(json);
	else
		fprintf(stderr, "engine-run: %s\n", err->msg);
	free(json);
	sbx_error_free(err);
	bt_result_free(r);
	bt_data_free(d);
	return rc;
}
