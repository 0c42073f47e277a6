/* The broker: how pending orders fill on a bar, how trades open and close,
 * what the account is worth.  docs/backtest.md is the contract; every rule
 * here is stated there, and tests/engine/reference.py implements the same
 * rules independently.
 *
 * Arithmetic is written in one fixed order (the reference uses the same
 * expressions), so that two implementations of the same rules agree to
 * the last bit on fills and sizes, and a difference is a difference of rule.
 */
#include "common/util.h"
#include "engine/broker.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#define MAX_UNITS 9007199254740992.0 /* 2^53: every count of units is exact */

static double commission(const bt_engine *e, double abs_size, double price)
{
	return e->c.commission_fixed + abs_size * price * e->c.commission;
}

/* A non-negative amount of units, rounded down; the 1e-9 forgives the
 * rounding of a division that should have been whole (3 / 0.1). */
static int64_t floor_units(double x)
{
	if (!(x > 0))
		return 0;
	if (x >= MAX_UNITS)
		return (int64_t) MAX_UNITS;
	return (int64_t) floor(x + 1e-9);
}

static int grow(void **arr, size_t *cap, size_t need, size_t elem, sbx_error **err)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap * 2 : 16;
	while (n < need)
		n *= 2;
	void *p = bar_realloc(*arr, *cap * elem, n * elem);
	if (p == NULL)
		return sbx_error_set(err, ENOMEM, "engine: %zu entries", n);
	*arr = p;
	*cap = n;
	return 0;
}

static void set_units(bt_engine *e, int sym, int64_t delta)
{
	e->units[sym] += delta;
	e->pos[sym] = (double) e->units[sym] * e->unit;
}

double broker_equity(const bt_engine *e, const double *px)
{
	double eq = e->cash;
	for (size_t k = 0; k < e->nopen; k++) {
		const struct open_trade *o = &e->open[k];
		eq += (double) o->units * e->unit * (px[o->sym] - o->entry_price);
	}
	return eq;
}

double broker_available(const bt_engine *e, const double *px, double equity)
{
	double used = 0;
	for (size_t k = 0; k < e->nopen; k++) {
		const struct open_trade *o = &e->open[k];
		used += fabs((double) o->units * e->unit) * px[o->sym] / e->lev;
	}
	return equity - used > 0 ? equity - used : 0;
}

void broker_close_prices(const bt_engine *e, size_t t, double *px)
{
	for (size_t s = 0; s < e->d->nsym; s++)
		px[s] = e->d->sym[s].close[t];
}

void broker_remove_pending(bt_engine *e, size_t k)
{
	memmove(&e->pend[k], &e->pend[k + 1], (e->npend - k - 1) * sizeof(e->pend[0]));
	e->npend--;
}

/* Close q units (0 < q <= |units|) of open trade k at price px on bar b.
 * The closed part takes its share of the entry commission and pays the
 * exit commission; a partial close leaves the rest open. */
static int close_part(bt_engine *e, size_t k, int64_t q, double px, size_t b, bt_exit_reason why,
		      sbx_error **err)
{
	if (grow((void **) &e->done, &e->capdone, e->ndone + 1, sizeof(bt_trade), err) < 0)
		return -1;
	struct open_trade *o = &e->open[k];
	int64_t total = o->units > 0 ? o->units : -o->units;
	int64_t sign = o->units > 0 ? 1 : -1;
	double size = (double) (sign * q) * e->unit;
	double share = q == total ? o->entry_comm : o->entry_comm * ((double) q / (double) total);
	double exit_comm = commission(e, fabs(size), px);
	double gross = size * (px - o->entry_price);
	e->cash += gross - exit_comm;

	bt_trade *tr = &e->done[e->ndone++];
	double comms = share + exit_comm;
	*tr = (bt_trade){
		.symbol = o->sym,
		.size = size,
		.entry_bar = o->entry_bar,
		.exit_bar = b,
		.entry_time = e->d->time[o->entry_bar],
		.exit_time = e->d->time[b],
		.entry_price = o->entry_price,
		.exit_price = px,
		.sl = o->sl,
		.tp = o->tp,
		.pnl = gross - comms,
		.return_pct = ((double) sign * (px / o->entry_price - 1) -
			       comms / (fabs(size) * o->entry_price)) * 100,
		.commissions = comms,
		.exit_reason = why,
	};
	set_units(e, o->sym, -sign * q);
	if (q == total) {
		if (!isnan(o->sl) || !isnan(o->tp))
			e->nsltp--;
		/* closed: left in place with no units, and the array compacted
		 * once by the caller's loop (compact_open): removing each one
		 * at once made closing n trades O(n^2) */
		o->units = 0;
		e->emptied = true;
	} else {
		o->units -= sign * q;
		o->entry_comm -= share;
	}
	return 0;
}

/* Drop the trades close_part() emptied, keeping the order (FIFO). */
static void compact_open(bt_engine *e)
{
	if (!e->emptied) /* the bar's common case: nothing closed */
		return;
	e->emptied = false;
	size_t j = 0;
	for (size_t k = 0; k < e->nopen; k++)
		if (e->open[k].units != 0)
			e->open[j++] = e->open[k];
	e->nopen = j;
}

static int open_trade(bt_engine *e, int sym, int64_t units, double price, size_t b, double sl,
		      double tp, size_t sltp_from, sbx_error **err)
{
	if (e->nopen >= BT_MAX_OPEN_TRADES)
		return sbx_error_set(err, 0,
				     "%zu trades open already, and at most %d may be open at once: "
				     "close some first",
				     e->nopen, BT_MAX_OPEN_TRADES);
	if (grow((void **) &e->open, &e->capopen, e->nopen + 1, sizeof(struct open_trade), err) < 0)
		return -1;
	double size = (double) units * e->unit;
	double c = commission(e, fabs(size), price);
	e->cash -= c;
	e->open[e->nopen++] = (struct open_trade){
		.sym = sym, .units = units, .entry_price = price, .entry_comm = c,
		.entry_bar = b, .sl = sl, .tp = tp, .sltp_from = sltp_from,
	};
	if (!isnan(sl) || !isnan(tp))
		e->nsltp++;
	set_units(e, sym, units);
	return 0;
}

/* Close q units of the symbol's trades, oldest first (all when q < 0),
 * optionally only the trades of one direction (dir: +1, -1, 0 any). */
static int reduce_fifo(bt_engine *e, int sym, int dir, int64_t q, double px, size_t b,
		       bt_exit_reason why, int64_t *closed, sbx_error **err)
{
	*closed = 0;
	int rc = 0;
	for (size_t k = 0; k < e->nopen && q != 0; k++) {
		struct open_trade *o = &e->open[k];
		if (o->units == 0 || o->sym != sym || (dir > 0 && o->units < 0) ||
		    (dir < 0 && o->units > 0))
			continue;
		int64_t have = o->units > 0 ? o->units : -o->units;
		int64_t take = (q < 0 || q >= have) ? have : q;
		if ((rc = close_part(e, k, take, px, b, why, err)) < 0)
			break;
		*closed += take;
		if (q > 0)
			q -= take;
	}
	compact_open(e);
	return rc;
}

static double adjusted(const bt_engine *e, bool lng, double px)
{
	return lng ? px * (1 + e->c.spread) : px * (1 - e->c.spread);
}

/* How many units a budget buys at adjusted price adj, commissions included. */
static int64_t units_for(const bt_engine *e, double budget, double adj)
{
	return floor_units((budget - e->c.commission_fixed) /
			   (e->unit * adj * (1 + e->c.commission)));
}

/* Open need units at adj if the available equity covers them. */
static int open_if_covered(bt_engine *e, int sym, bool lng, int64_t need, double adj, size_t b,
			   double sl, double tp, size_t sltp_from, bool *opened, sbx_error **err)
{
	double eq = broker_equity(e, e->mark);
	double av = broker_available(e, e->mark, eq);
	double cost = (double) need * e->unit * adj * (1 + e->c.commission) + e->c.commission_fixed;
	*opened = false;
	if (cost > av * e->lev * (1 + 1e-12))
		return 0;
	*opened = true;
	return open_trade(e, sym, lng ? need : -need, adj, b, sl, tp, sltp_from, err);
}

/* A buy or sell at raw price px: size it, close opposite trades FIFO,
 * open the remainder.  *did: anything executed. */
static int execute_entry(bt_engine *e, const struct pending *p, double px, size_t b,
			 size_t sltp_from, bool *did, sbx_error **err)
{
	bool lng = p->action == BT_BUY;
	double adj = adjusted(e, lng, px);
	int64_t q;
	*did = false;
	if ((p->has & BT_HAS_SIZE) && p->size >= 1) {
		q = floor_units(p->size / e->unit);
	} else {
		double frac = (p->has & BT_HAS_SIZE) ? p->size : 1.0;
		double eq = broker_equity(e, e->mark);
		double av = broker_available(e, e->mark, eq);
		q = units_for(e, av * e->lev * frac, adj);
	}
	if (q <= 0)
		return 0;
	int64_t closed;
	if (reduce_fifo(e, p->sym, lng ? -1 : 1, q, px, b, BT_EXIT_ORDER, &closed, err) < 0)
		return -1;
	*did = closed > 0;
	if (q == closed)
		return 0;
	bool opened;
	double sl = (p->has & BT_HAS_SL) ? p->sl : NAN, tp = (p->has & BT_HAS_TP) ? p->tp : NAN;
	if (open_if_covered(e, p->sym, lng, q - closed, adj, b, sl, tp, sltp_from, &opened, err) < 0)
		return -1;
	*did = *did || opened;
	return 0;
}

/* A target position for symbol 0, as a signed fraction of equity: flat
 * first when the sign changes, then buy or reduce to the target's units. */
static int execute_target(bt_engine *e, const struct pending *p, double px, size_t b,
			  size_t sltp_from, bool *did, sbx_error **err)
{
	double f = p->target;
	int64_t cur = e->units[0], closed;
	bool flat_first = cur != 0 && (f == 0 || (f > 0) != (cur > 0));
	*did = true;
	if (flat_first) {
		if (reduce_fifo(e, 0, 0, -1, px, b, BT_EXIT_ORDER, &closed, err) < 0)
			return -1;
		cur = 0;
	}
	if (f == 0)
		return 0;
	bool lng = f > 0;
	double adj = adjusted(e, lng, px);
	double eq = broker_equity(e, e->mark);
	int64_t want = units_for(e, fabs(f) * eq * e->lev, adj);
	int64_t have = cur > 0 ? cur : -cur;
	if (want < have)
		return reduce_fifo(e, 0, 0, have - want, px, b, BT_EXIT_ORDER, &closed, err);
	if (want == have) {
		*did = flat_first || have > 0; /* nothing to do, or not even one unit */
		return 0;
	}
	int64_t afford = units_for(e, broker_available(e, e->mark, eq) * e->lev, adj);
	int64_t delta = want - have < afford ? want - have : afford;
	if (delta <= 0) {
		*did = flat_first;
		return 0;
	}
	return open_trade(e, 0, lng ? delta : -delta, adj, b, NAN, NAN, sltp_from, err);
}

/* A close order at raw price px: all of the symbol's trades, or part. */
static int execute_close(bt_engine *e, const struct pending *p, double px, size_t b,
			 sbx_error **err)
{
	int64_t have = e->units[p->sym] > 0 ? e->units[p->sym] : -e->units[p->sym], q = -1, closed;
	if (have == 0)
		return 0; /* nothing open: nothing to do */
	if (p->has & BT_HAS_SIZE)
		q = p->size >= 1 ? floor_units(p->size / e->unit) : floor_units((double) have * p->size);
	if (q == 0)
		return 0;
	return reduce_fifo(e, p->sym, 0, q, px, b, BT_EXIT_ORDER, &closed, err);
}

/* Whether a pending entry fills on a bar (o, h, l), at what price, and
 * whether at the bar's open (then the whole bar is after the entry). */
static bool match(struct pending *p, double o, double h, double l, double *price, bool *at_open)
{
	bool lng = p->action == BT_BUY || (p->action == ACT_TARGET && p->target > 0);
	bool has_l = p->has & BT_HAS_LIMIT, has_s = p->has & BT_HAS_STOP;
	if (!has_l && !has_s) {
		*price = o;
		*at_open = true;
		return true;
	}
	if (has_s && !p->triggered) {
		if (!(lng ? h >= p->stop : l <= p->stop))
			return false;
		bool gap = lng ? o >= p->stop : o <= p->stop;
		if (!has_l) {
			*price = lng ? fmax(o, p->stop) : fmin(o, p->stop);
			*at_open = gap;
			return true;
		}
		p->triggered = true;
		if (!gap) {
			/* Triggered inside the bar, at the stop: it fills there if
			 * the stop is within the limit; otherwise the part of the
			 * bar that might reach the limit may have come before the
			 * trigger, so the limit waits for the next bar. */
			if (lng ? p->stop <= p->limit : p->stop >= p->limit) {
				*price = p->stop;
				*at_open = false;
				return true;
			}
			return false;
		}
		/* triggered at the open: a limit order for the whole bar */
	}
	if (lng ? l <= p->limit : h >= p->limit) {
		*price = lng ? fmin(o, p->limit) : fmax(o, p->limit);
		*at_open = lng ? o <= p->limit : o >= p->limit;
		return true;
	}
	return false;
}

/* The stop-loss and take-profit of open trade k on a bar.  When the bar
 * reaches both, the stop-loss fills (the worse), unless the open itself
 * was already through the take-profit. */
static int check_sltp(bt_engine *e, size_t k, double o, double h, double l, size_t t, bool *closed,
		      sbx_error **err)
{
	const struct open_trade *ot = &e->open[k];
	bool lng = ot->units > 0;
	bool sl_hit = !isnan(ot->sl) && (lng ? l <= ot->sl : h >= ot->sl);
	bool tp_hit = !isnan(ot->tp) && (lng ? h >= ot->tp : l <= ot->tp);
	*closed = sl_hit || tp_hit;
	if (!*closed)
		return 0;
	bool use_tp = tp_hit && (!sl_hit || (lng ? o >= ot->tp : o <= ot->tp));
	double px = use_tp ? (lng ? fmax(o, ot->tp) : fmin(o, ot->tp))
			   : (lng ? fmin(o, ot->sl) : fmax(o, ot->sl));
	int64_t q = ot->units > 0 ? ot->units : -ot->units;
	return close_part(e, k, q, px, t, use_tp ? BT_EXIT_TP : BT_EXIT_SL, err);
}

/* One bar's prices for a symbol; on the last bar under the liquidate
 * policy only the open exists (everything closes there). */
struct bar_px {
	double o, h, l;
};

static struct bar_px bar_of(const bt_engine *e, int s, size_t t, bool point)
{
	const bt_symbol *y = &e->d->sym[s];
	if (point)
		return (struct bar_px){ y->open[t], y->open[t], y->open[t] };
	return (struct bar_px){ y->open[t], y->high[t], y->low[t] };
}

/* The sl/tp of the open trades: those checked from this bar on
 * (only_new: just the trades opened at this bar's open). */
static int sltp_pass(bt_engine *e, size_t t, bool point, bool only_new, sbx_error **err)
{
	int rc = 0;
	for (size_t k = 0; k < e->nopen && e->nsltp > 0; k++) {
		const struct open_trade *o = &e->open[k];
		bool due = only_new ? (o->entry_bar == t && o->sltp_from == t) : o->sltp_from <= t;
		bool closed = false;
		if (o->units != 0 && due && e->d->sym[o->sym].has_bar[t] &&
		    (!isnan(o->sl) || !isnan(o->tp))) {
			struct bar_px b = bar_of(e, o->sym, t, point);
			if ((rc = check_sltp(e, k, b.o, b.h, b.l, t, &closed, err)) < 0)
				break;
		}
	}
	compact_open(e);
	return rc;
}

static bool is_market(const struct pending *p)
{
	return !(p->has & (BT_HAS_LIMIT | BT_HAS_STOP));
}

/* Execute pending order k at price px on bar b; it leaves the queue. */
static int execute_pending(bt_engine *e, size_t k, double px, size_t b, size_t sltp_from,
			   sbx_error **err)
{
	struct pending p = e->pend[k];
	bool did = true;
	int r = 0;
	broker_remove_pending(e, k);
	if (p.action == BT_CLOSE)
		r = execute_close(e, &p, px, b, err);
	else if (p.action == ACT_TARGET)
		r = execute_target(e, &p, px, b, sltp_from, &did, err);
	else
		r = execute_entry(e, &p, px, b, sltp_from, &did, err);
	if (did)
		e->counts.filled++;
	else
		e->counts.rejected++;
	return r;
}

/* Fill what is pending on bar t, before its close: closes at the open,
 * the sl/tp of open trades, entries (market at the open, stop and limit
 * by the bar's range), then the sl/tp of trades opened at the open; on the
 * last bar under the liquidate policy, everything then closes at the open. */
int broker_fill_bar(bt_engine *e, size_t t, sbx_error **err)
{
	const bt_data *d = e->d;
	bool point = t == d->n - 1 && e->c.end_policy == BT_END_LIQUIDATE;
	bool toc = e->c.trade_on_close;
	for (size_t s = 0; s < d->nsym; s++)
		e->mark[s] = d->sym[s].open[t]; /* the carried Close where it has no bar */
	if (e->npend == 0 && e->nsltp == 0 && !point)
		return 0;

	for (size_t k = 0; k < e->npend;) {
		const struct pending *p = &e->pend[k];
		if (p->action != BT_CLOSE || toc || !d->sym[p->sym].has_bar[t]) {
			k++;
			continue;
		}
		if (execute_pending(e, k, d->sym[p->sym].open[t], t, t, err) < 0)
			return -1;
	}
	if (sltp_pass(e, t, point, false, err) < 0)
		return -1;
	for (size_t k = 0; k < e->npend;) {
		struct pending *p = &e->pend[k];
		double px;
		bool at_open;
		if (p->action == BT_CLOSE || !d->sym[p->sym].has_bar[t] || (toc && is_market(p))) {
			k++;
			continue;
		}
		struct bar_px b = bar_of(e, p->sym, t, point);
		if (!match(p, b.o, b.h, b.l, &px, &at_open)) {
			k++;
			continue;
		}
		if (execute_pending(e, k, px, t, at_open ? t : t + 1, err) < 0)
			return -1;
	}
	if (sltp_pass(e, t, point, true, err) < 0)
		return -1;
	if (point)
		return broker_close_all(e, e->mark, t, BT_EXIT_END, err);
	return 0;
}

/* Trade on close: market orders fill at the Close of bar t, closes first,
 * for the symbols that have a bar there. */
int broker_fill_on_close(bt_engine *e, size_t t, sbx_error **err)
{
	const bt_data *d = e->d;
	broker_close_prices(e, t, e->mark);
	for (int pass = 0; pass < 2; pass++) {
		for (size_t k = 0; k < e->npend;) {
			const struct pending *p = &e->pend[k];
			bool want = pass == 0 ? p->action == BT_CLOSE
					      : p->action != BT_CLOSE && is_market(p);
			if (!want || p->bar > t || !d->sym[p->sym].has_bar[t]) {
				k++;
				continue;
			}
			if (execute_pending(e, k, d->sym[p->sym].close[t], t, t + 1, err) < 0)
				return -1;
		}
	}
	return 0;
}

/* Close every open trade at px (per symbol) on bar t. */
int broker_close_all(bt_engine *e, const double *px, size_t t, bt_exit_reason why,
		     sbx_error **err)
{
	int rc = 0;
	for (size_t k = 0; k < e->nopen; k++) {
		const struct open_trade *o = &e->open[k];
		if (o->units != 0 &&
		    (rc = close_part(e, k, o->units > 0 ? o->units : -o->units, px[o->sym], t, why,
				     err)) < 0)
			break;
	}
	compact_open(e);
	return rc;
}
