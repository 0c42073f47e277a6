/* The engine's life cycle: configuration, the bar-by-bar loop a front end
 * drives (next, account, submit), the orders' validation, the end of the
 * run and the result.  The fills themselves are broker.c's. */
#include "common/util.h"
#include "engine/broker.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

void bt_config_default(bt_config *c)
{
	*c = (bt_config){ .cash = 10000, .margin = 1, .end_policy = BT_END_LIQUIDATE };
}

const char *bt_end_policy_name(bt_end_policy p)
{
	switch (p) {
	case BT_END_LIQUIDATE: return "liquidate";
	case BT_END_HOLD: return "hold";
	}
	return "unknown";
}

int bt_config_check(const bt_config *c, sbx_error **err)
{
	if (!(isfinite(c->cash) && c->cash > 0 && c->cash < 1e15))
		return sbx_error_set(err, 0, "cash %g must be positive (and below 1e15)", c->cash);
	if (!(c->commission >= 0 && c->commission < 0.1))
		return sbx_error_set(err, 0, "commission rate %g must be in [0, 0.1)", c->commission);
	if (!(isfinite(c->commission_fixed) && c->commission_fixed >= 0))
		return sbx_error_set(err, 0, "fixed commission %g must be 0 or more",
				     c->commission_fixed);
	if (!(c->spread >= 0 && c->spread < 0.1))
		return sbx_error_set(err, 0, "spread %g must be in [0, 0.1)", c->spread);
	if (!(c->margin > 0 && c->margin <= 1))
		return sbx_error_set(err, 0, "margin %g must be in (0, 1] (leverage 1/margin)",
				     c->margin);
	if (!(c->fractional == 0 || (isfinite(c->fractional) && c->fractional > 0 &&
				     c->fractional <= 1)))
		return sbx_error_set(err, 0, "fractional unit %g must be in (0, 1] (0: whole units)",
				     c->fractional);
	if (c->end_policy != BT_END_LIQUIDATE && c->end_policy != BT_END_HOLD)
		return sbx_error_set(err, 0, "unknown end policy %d", (int) c->end_policy);
	return 0;
}

void bt_engine_free(bt_engine *e)
{
	if (e == NULL)
		return;
	free(e->units);
	free(e->pos);
	free(e->mark);
	free(e->open);
	free(e->pend);
	free(e->done);
	free(e->equity);
	free(e);
}

int bt_engine_new(const bt_data *d, const bt_config *c, bt_engine **out, sbx_error **err)
{
	if (d == NULL || d->n == 0)
		return sbx_error_set(err, 0, "engine: no data");
	if (bt_config_check(c, err) < 0)
		return -1;
	bt_engine *e = calloc(1, sizeof(*e));
	if (e == NULL)
		return sbx_error_set(err, ENOMEM, "engine");
	e->d = d;
	e->c = *c;
	e->unit = c->fractional > 0 ? c->fractional : 1;
	e->lev = 1 / c->margin;
	e->cash = c->cash;
	e->units = calloc(d->nsym, sizeof(int64_t));
	e->pos = calloc(d->nsym, sizeof(double));
	e->mark = calloc(d->nsym, sizeof(double));
	e->equity = bar_alloc(d->n * sizeof(double));
	if (!e->units || !e->pos || !e->mark || !e->equity) {
		bt_engine_free(e);
		return sbx_error_set(err, ENOMEM, "engine for %zu bars", d->n);
	}
	*out = e;
	return 0;
}

/* Equity <= 0 at a close ends the run: everything closes at that Close,
 * pending orders are dropped and equity stays 0 to the end. */
static int ruin(bt_engine *e, size_t t, sbx_error **err)
{
	broker_close_prices(e, t, e->mark);
	if (broker_close_all(e, e->mark, t, BT_EXIT_RUIN, err) < 0)
		return -1;
	e->counts.cancelled += e->npend;
	e->npend = 0;
	e->cash = 0;
	for (size_t i = t; i < e->d->n; i++)
		e->equity[i] = 0;
	e->ruined = e->ended = true;
	e->ruin_bar = t;
	return 0;
}

int bt_engine_next(bt_engine *e, sbx_error **err)
{
	if (e->ended || e->finished)
		return 0;
	size_t t = e->started ? e->t + 1 : 0;
	if (t >= e->d->n) {
		e->ended = true;
		return 0;
	}
	e->t = t;
	e->started = true;
	bool point = t == e->d->n - 1 && e->c.end_policy == BT_END_LIQUIDATE;
	double eq;
	if (e->npend == 0 && e->nsltp == 0 && !point) {
		/* nothing can fill: only the valuation (most bars of most runs) */
		eq = e->cash;
		for (size_t k = 0; k < e->nopen; k++) {
			const struct open_trade *o = &e->open[k];
			eq += (double) o->units * e->unit *
			      (e->d->sym[o->sym].close[t] - o->entry_price);
		}
	} else {
		if (broker_fill_bar(e, t, err) < 0)
			return sbx_error_wrap(err, "bar %zu", t);
		if (e->c.trade_on_close && !point && e->npend > 0 &&
		    broker_fill_on_close(e, t, err) < 0)
			return sbx_error_wrap(err, "bar %zu", t);
		broker_close_prices(e, t, e->mark);
		eq = broker_equity(e, e->mark);
	}
	e->equity[t] = eq;
	if (eq <= 0 && ruin(e, t, err) < 0)
		return sbx_error_wrap(err, "bar %zu", t);
	return 1;
}

void bt_engine_account(const bt_engine *e, bt_account *a)
{
	size_t t = e->started ? e->t : 0;
	double eq = e->started ? e->equity[t] : e->cash;
	*a = (bt_account){ .bar = t, .time = e->d->time[t], .cash = e->cash, .equity = eq,
			   .position = e->pos, .open_trades = e->nopen,
			   .pending_orders = e->npend,
			   .finished = e->ruined || (e->started && t == e->d->n - 1) };
	double used = 0;
	for (size_t k = 0; k < e->nopen; k++)
		used += fabs((double) e->open[k].units * e->unit) *
			e->d->sym[e->open[k].sym].close[t] / e->lev;
	a->available = eq - used > 0 ? eq - used : 0;
}

static const char *action_name(int a)
{
	switch (a) {
	case BT_BUY: return "buy";
	case BT_SELL: return "sell";
	case BT_CLOSE: return "close";
	case BT_CANCEL: return "cancel";
	default: return "?";
	}
}

/* "bar 57 (2004-11-10T00:00:00Z): order 2 (sell GOOG)" */
static int order_error(const bt_engine *e, size_t j, const bt_order *o, sbx_error **err,
		       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int order_error(const bt_engine *e, size_t j, const bt_order *o, sbx_error **err,
		       const char *fmt, ...)
{
	char when[32], what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	bt_time_format(e->d->time[e->t], when, sizeof(when));
	const char *sym = o->symbol >= 0 && (size_t) o->symbol < e->d->nsym
				  ? e->d->sym[o->symbol].name
				  : (o->symbol == BT_ALL_SYMBOLS ? "all symbols" : "?");
	return sbx_error_set(err, 0, "bar %zu (%s): order %zu (%s %s): %s", e->t, when, j + 1,
			     action_name(o->action), sym, what);
}

static bool has(const bt_order *o, unsigned bit)
{
	return (o->has & bit) != 0;
}

/* One order's fields: present prices finite and positive, sizes positive,
 * the fields that make sense for its action, and a stop-loss and
 * take-profit on the right sides of the entry. */
static int check_order(const bt_engine *e, size_t j, const bt_order *o, sbx_error **err)
{
	static const struct {
		unsigned bit;
		const char *name;
		size_t off;
	} f[] = {
		{ BT_HAS_SIZE, "size", offsetof(bt_order, size) },
		{ BT_HAS_LIMIT, "limit", offsetof(bt_order, limit) },
		{ BT_HAS_STOP, "stop", offsetof(bt_order, stop) },
		{ BT_HAS_SL, "sl", offsetof(bt_order, sl) },
		{ BT_HAS_TP, "tp", offsetof(bt_order, tp) },
	};
	if (o->action < BT_BUY || o->action > BT_CANCEL)
		return order_error(e, j, o, err, "unknown action %d", o->action);
	bool entry = o->action == BT_BUY || o->action == BT_SELL;
	if (!(o->symbol >= 0 && (size_t) o->symbol < e->d->nsym) &&
	    !(o->symbol == BT_ALL_SYMBOLS && !entry))
		return order_error(e, j, o, err, "unknown symbol index %d", o->symbol);
	if (o->has & ~(unsigned) (BT_HAS_SIZE | BT_HAS_LIMIT | BT_HAS_STOP | BT_HAS_SL | BT_HAS_TP))
		return order_error(e, j, o, err, "unknown field bits 0x%x", o->has);
	for (size_t i = 0; i < ARRAY_SIZE(f); i++) {
		if (!has(o, f[i].bit))
			continue;
		double v = *(const double *) (const void *) ((const char *) o + f[i].off);
		if (!(isfinite(v) && v > 0))
			return order_error(e, j, o, err, "%s %g is not a positive number", f[i].name, v);
		if (!entry && (f[i].bit != BT_HAS_SIZE || o->action == BT_CANCEL))
			return order_error(e, j, o, err, "a %s takes no %s", action_name(o->action),
					   f[i].name);
	}
	if (!entry || !(has(o, BT_HAS_SL) || has(o, BT_HAS_TP)))
		return 0;
	double ref = has(o, BT_HAS_LIMIT)  ? o->limit
		     : has(o, BT_HAS_STOP) ? o->stop
					   : e->d->sym[o->symbol].close[e->t];
	if (isnan(ref))
		return 0;
	bool lng = o->action == BT_BUY;
	if (has(o, BT_HAS_SL) && (lng ? o->sl >= ref : o->sl <= ref))
		return order_error(e, j, o, err, "sl %g must be %s the entry %g", o->sl,
				   lng ? "below" : "above", ref);
	if (has(o, BT_HAS_TP) && (lng ? o->tp <= ref : o->tp >= ref))
		return order_error(e, j, o, err, "tp %g must be %s the entry %g", o->tp,
				   lng ? "above" : "below", ref);
	return 0;
}

static int queue(bt_engine *e, const struct pending *p, sbx_error **err)
{
	if (e->npend + 1 > e->cappend) {
		size_t n = e->cappend ? e->cappend * 2 : 16;
		struct pending *np = realloc(e->pend, n * sizeof(*np));
		if (np == NULL)
			return sbx_error_set(err, ENOMEM, "engine: %zu pending orders", n);
		e->pend = np;
		e->cappend = n;
	}
	e->pend[e->npend++] = *p;
	e->counts.placed++;
	return 0;
}

/* Drop the pending orders of sym (or every symbol): all of them for a
 * cancel, the entries (not the closes) for a close. */
static void drop_pending(bt_engine *e, int sym, bool entries_only)
{
	for (size_t k = 0; k < e->npend;) {
		const struct pending *p = &e->pend[k];
		if ((sym == BT_ALL_SYMBOLS || p->sym == sym) &&
		    !(entries_only && p->action == BT_CLOSE)) {
			broker_remove_pending(e, k);
			e->counts.cancelled++;
		} else {
			k++;
		}
	}
}

static int take_order(bt_engine *e, size_t j, const bt_order *o, sbx_error **err)
{
	if (o->action == BT_CANCEL) {
		drop_pending(e, o->symbol, false);
		return 0;
	}
	if (o->action == BT_CLOSE)
		drop_pending(e, o->symbol, true);
	size_t adds = o->symbol == BT_ALL_SYMBOLS ? e->d->nsym : 1;
	if (e->npend + adds > BT_MAX_PENDING)
		return order_error(e, j, o, err,
				   "%zu pending orders already, and at most %d may wait at once: "
				   "cancel some first (self.cancel())",
				   e->npend, BT_MAX_PENDING);
	struct pending p = { .action = o->action, .has = o->has, .size = o->size,
			     .limit = o->limit, .stop = o->stop, .sl = o->sl, .tp = o->tp,
			     .bar = e->t };
	if (o->symbol != BT_ALL_SYMBOLS) {
		p.sym = o->symbol;
		return queue(e, &p, err);
	}
	for (size_t s = 0; s < e->d->nsym; s++) {
		p.sym = (int) s;
		if (queue(e, &p, err) < 0)
			return -1;
	}
	return 0;
}

/* Orders placed on the last bar can fill only at its Close (trade on
 * close) and only if the run goes on holding; under liquidate the run is
 * over at that bar's open. */
static bool can_fill_now(const bt_engine *e)
{
	bool last = e->t == e->d->n - 1;
	return e->c.trade_on_close && !(last && e->c.end_policy == BT_END_LIQUIDATE);
}

static int after_submit(bt_engine *e, sbx_error **err)
{
	if (!can_fill_now(e) || e->npend == 0)
		return 0;
	if (broker_fill_on_close(e, e->t, err) < 0)
		return sbx_error_wrap(err, "bar %zu", e->t);
	e->equity[e->t] = broker_equity(e, e->mark);
	/* fills at this Close can end the run at this Close (a fixed
	 * commission above what is left) */
	if (e->equity[e->t] <= 0 && ruin(e, e->t, err) < 0)
		return sbx_error_wrap(err, "bar %zu", e->t);
	return 0;
}

int bt_engine_submit(bt_engine *e, const bt_order *orders, size_t n, sbx_error **err)
{
	if (!e->started)
		return sbx_error_set(err, 0, "orders before the first bar");
	if (e->ruined || e->finished)
		return 0;
	for (size_t j = 0; j < n; j++)
		if (check_order(e, j, &orders[j], err) < 0)
			return -1;
	for (size_t j = 0; j < n; j++)
		if (take_order(e, j, &orders[j], err) < 0)
			return -1;
	return after_submit(e, err);
}

int bt_engine_submit_target(bt_engine *e, double target, sbx_error **err)
{
	if (!e->started)
		return sbx_error_set(err, 0, "a target before the first bar");
	if (e->ruined || e->finished || isnan(target))
		return 0;
	if (!(fabs(target) <= 1 + 1e-9)) {
		char when[32];
		bt_time_format(e->d->time[e->t], when, sizeof(when));
		return sbx_error_set(err, 0, "bar %zu (%s): target %g is not in [-1, 1]", e->t, when,
				     target);
	}
	target = target > 1 ? 1 : target < -1 ? -1 : target;
	if (target == e->prev_target)
		return 0;
	e->prev_target = target;
	for (size_t k = 0; k < e->npend;) { /* a newer target replaces a pending one */
		if (e->pend[k].action == ACT_TARGET) {
			broker_remove_pending(e, k);
			e->counts.cancelled++;
		} else {
			k++;
		}
	}
	struct pending p = { .action = ACT_TARGET, .sym = 0, .target = target, .bar = e->t };
	if (queue(e, &p, err) < 0)
		return -1;
	return after_submit(e, err);
}

void bt_result_free(bt_result *r)
{
	if (r == NULL)
		return;
	free(r->equity);
	free(r->trades);
	free(r);
}

/* An open trade as the result shows it under the hold policy: valued at
 * the last Close, its entry commission paid, no exit yet. */
static bt_trade open_as_trade(const bt_engine *e, const struct open_trade *o)
{
	size_t last = e->d->n - 1;
	double px = e->d->sym[o->sym].close[last];
	double size = (double) o->units * e->unit;
	double sign = o->units > 0 ? 1 : -1;
	return (bt_trade){
		.symbol = o->sym, .size = size, .entry_bar = o->entry_bar, .exit_bar = last,
		.entry_time = e->d->time[o->entry_bar], .exit_time = e->d->time[last],
		.entry_price = o->entry_price, .exit_price = NAN, .sl = o->sl, .tp = o->tp,
		.pnl = size * (px - o->entry_price) - o->entry_comm,
		.return_pct = (sign * (px / o->entry_price - 1) -
			       o->entry_comm / (fabs(size) * o->entry_price)) * 100,
		.commissions = o->entry_comm, .exit_reason = BT_EXIT_OPEN,
	};
}

int bt_engine_finish(bt_engine *e, bt_result **out, sbx_error **err)
{
	const bt_data *d = e->d;
	if (e->finished)
		return sbx_error_set(err, 0, "engine: the run was already finished");
	if (!e->ruined && !(e->started && e->t == d->n - 1))
		return sbx_error_set(err, 0, "engine: the run is not complete (%zu of %zu bars)",
				     e->started ? e->t + 1 : 0, d->n);
	size_t nt = e->ndone + e->nopen;
	if (nt + 1 > e->capdone) {
		bt_trade *g = bar_realloc(e->done, e->ndone * sizeof(bt_trade),
					  (nt + 1) * sizeof(bt_trade));
		if (g == NULL)
			return sbx_error_set(err, ENOMEM, "engine: result");
		e->done = g;
		e->capdone = nt + 1;
	}
	bt_result *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return sbx_error_set(err, ENOMEM, "engine: result");
	bt_trade *tr = e->done; /* handed over */
	e->done = NULL;
	e->ndone = e->capdone = 0;
	for (size_t k = 0; k < e->nopen; k++)
		tr[nt - e->nopen + k] = open_as_trade(e, &e->open[k]);
	*r = (bt_result){ .data = d, .config = e->c, .n = d->n, .equity = e->equity,
			  .trades = tr, .ntrades = nt, .orders = e->counts, .ruined = e->ruined,
			  .ruin_bar = e->ruin_bar };
	r->orders.pending = e->npend;
	e->equity = NULL;
	e->finished = true; /* the trades and the equity belong to the result now */
	if (bt_metrics_compute(d, &e->c, r->equity, tr, nt, &r->metrics, err) < 0) {
		bt_result_free(r);
		return -1;
	}
	*out = r;
	return 0;
}

int bt_run_targets(const bt_data *d, const bt_config *c, const double *target, size_t n,
		   bt_result **out, sbx_error **err)
{
	if (n != d->n)
		return sbx_error_set(err, 0, "%zu targets for %zu bars", n, d->n);
	bt_engine *e = NULL;
	if (bt_engine_new(d, c, &e, err) < 0)
		return -1;
	int r;
	while ((r = bt_engine_next(e, err)) > 0) {
		double f = target[e->t];
		if (e->t < c->warmup || isnan(f) || f == e->prev_target)
			continue; /* no change: no order (the common case, decided here) */
		if (bt_engine_submit_target(e, f, err) < 0) {
			r = -1;
			break;
		}
	}
	if (r == 0)
		r = bt_engine_finish(e, out, err);
	bt_engine_free(e);
	return r;
}
