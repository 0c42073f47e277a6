/* The result as JSON: what the CLI prints, the service stores and the
 * HTML report reads.  NaN (an undefined metric) is null; times are
 * ISO-8601 UTC; reals keep 17 significant digits, so that a reader gets
 * back the engine's exact doubles. */
#include "common/util.h"
#include "engine/internal.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>

/* json_object_set_new() that remembers a failure instead of returning it. */
static void put(json_t *o, const char *key, json_t *v, bool *ok)
{
	if (v == NULL || json_object_set_new(o, key, v) < 0)
		*ok = false;
}

static json_t *num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *when(int64_t t)
{
	char b[32];
	bt_time_format(t, b, sizeof(b));
	return json_string(b);
}

static const char *exit_name(bt_exit_reason r)
{
	switch (r) {
	case BT_EXIT_OPEN: return "open";
	case BT_EXIT_ORDER: return "order";
	case BT_EXIT_SL: return "sl";
	case BT_EXIT_TP: return "tp";
	case BT_EXIT_END: return "end";
	case BT_EXIT_RUIN: return "ruin";
	}
	return "unknown";
}

static json_t *metrics_json(const bt_metrics *m, bool *ok)
{
	size_t nf;
	const bt_metric_field *f = bt_metric_fields(&nf);
	json_t *o = json_object();
	if (o == NULL) {
		*ok = false;
		return NULL;
	}
	for (size_t i = 0; i < nf; i++) {
		double v = bt_metric_value(m, &f[i]);
		switch (f[i].kind) {
		case BT_METRIC_TIME: put(o, f[i].name, when((int64_t) v), ok); break;
		case BT_METRIC_COUNT: put(o, f[i].name, json_integer((json_int_t) v), ok); break;
		case BT_METRIC_REAL: put(o, f[i].name, num(v), ok); break;
		}
	}
	return o;
}

static json_t *trade_json(const bt_data *d, const bt_trade *t, bool *ok)
{
	json_t *o = json_object();
	if (o == NULL) {
		*ok = false;
		return NULL;
	}
	bool open = t->exit_reason == BT_EXIT_OPEN;
	put(o, "symbol", json_string(d->sym[t->symbol].name), ok);
	put(o, "size", num(t->size), ok);
	put(o, "entry_bar", json_integer((json_int_t) t->entry_bar), ok);
	put(o, "entry_time", when(t->entry_time), ok);
	put(o, "entry_price", num(t->entry_price), ok);
	put(o, "exit_bar", open ? json_null() : json_integer((json_int_t) t->exit_bar), ok);
	put(o, "exit_time", open ? json_null() : when(t->exit_time), ok);
	put(o, "exit_price", open ? json_null() : num(t->exit_price), ok);
	put(o, "exit_reason", json_string(exit_name(t->exit_reason)), ok);
	put(o, "sl", num(t->sl), ok);
	put(o, "tp", num(t->tp), ok);
	put(o, "pnl", num(t->pnl), ok);
	put(o, "return_pct", num(t->return_pct), ok);
	put(o, "commissions", num(t->commissions), ok);
	return o;
}

static json_t *equity_json(const bt_result *r, bool *ok)
{
	json_t *a = json_array();
	double peak = r->n ? r->equity[0] : 0;
	for (size_t i = 0; a && i < r->n && *ok; i++) {
		double e = r->equity[i];
		peak = e > peak ? e : peak;
		json_t *o = json_object();
		if (o == NULL || json_array_append_new(a, o) < 0) {
			*ok = false;
			break;
		}
		put(o, "time", when(r->data->time[i]), ok);
		put(o, "equity", num(e), ok);
		put(o, "drawdown_pct", num(peak > 0 ? (1 - e / peak) * 100 : 100), ok);
	}
	if (a == NULL)
		*ok = false;
	return a;
}

static json_t *config_json(const bt_result *r, bool *ok)
{
	const bt_config *c = &r->config;
	const bt_data *d = r->data;
	json_t *o = json_object(), *syms = json_array();
	if (o == NULL || syms == NULL) {
		json_decref(o);
		json_decref(syms);
		*ok = false;
		return NULL;
	}
	put(o, "cash", num(c->cash), ok);
	put(o, "commission", num(c->commission), ok);
	put(o, "commission_fixed", num(c->commission_fixed), ok);
	put(o, "spread", num(c->spread), ok);
	put(o, "margin", num(c->margin), ok);
	put(o, "fractional", c->fractional > 0 ? num(c->fractional) : json_null(), ok);
	put(o, "trade_on_close", json_boolean(c->trade_on_close), ok);
	put(o, "end_policy", json_string(bt_end_policy_name(c->end_policy)), ok);
	put(o, "warmup", json_integer((json_int_t) c->warmup), ok);
	put(o, "bars", json_integer((json_int_t) d->n), ok);
	put(o, "frequency", json_string(bt_frequency_name(d->freq)), ok);
	put(o, "periods_per_year", num(d->periods_per_year), ok);
	for (size_t s = 0; s < d->nsym && *ok; s++) {
		json_t *y = json_object();
		if (y == NULL || json_array_append_new(syms, y) < 0) {
			*ok = false;
			break;
		}
		put(y, "name", json_string(d->sym[s].name), ok);
		put(y, "source", json_string(d->sym[s].source), ok);
		put(y, "bars", json_integer((json_int_t) d->sym[s].bars), ok);
	}
	put(o, "symbols", syms, ok);
	return o;
}

struct json_t *bt_result_to_json(const bt_result *r, sbx_error **err)
{
	bool ok = true;
	json_t *root = json_object(), *trades = json_array(), *orders = json_object();
	if (root == NULL || trades == NULL || orders == NULL) {
		json_decref(root);
		json_decref(trades);
		json_decref(orders);
		sbx_error_set(err, ENOMEM, "result JSON");
		return NULL;
	}
	put(root, "metrics", metrics_json(&r->metrics, &ok), &ok);
	for (size_t k = 0; k < r->ntrades && ok; k++)
		if (json_array_append_new(trades, trade_json(r->data, &r->trades[k], &ok)) < 0)
			ok = false;
	put(root, "trades", trades, &ok);
	put(root, "equity", equity_json(r, &ok), &ok);
	put(root, "config", config_json(r, &ok), &ok);
	put(orders, "placed", json_integer((json_int_t) r->orders.placed), &ok);
	put(orders, "filled", json_integer((json_int_t) r->orders.filled), &ok);
	put(orders, "rejected", json_integer((json_int_t) r->orders.rejected), &ok);
	put(orders, "cancelled", json_integer((json_int_t) r->orders.cancelled), &ok);
	put(orders, "pending", json_integer((json_int_t) r->orders.pending), &ok);
	put(root, "orders", orders, &ok);
	put(root, "ruined_at", r->ruined ? when(r->data->time[r->ruin_bar]) : json_null(), &ok);
	if (!ok) {
		json_decref(root);
		sbx_error_set(err, ENOMEM, "result JSON");
		return NULL;
	}
	return root;
}

char *bt_result_json(const bt_result *r, sbx_error **err)
{
	json_t *j = bt_result_to_json(r, err);
	if (j == NULL)
		return NULL;
	char *s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(17));
	json_decref(j);
	if (s == NULL)
		sbx_error_set(err, ENOMEM, "result JSON");
	return s;
}
