/* The engine's state, shared by the broker (fills, trades, equity:
 * broker.c) and the engine's life cycle and order intake (engine.c). */
#ifndef STRATBOX_ENGINE_BROKER_H
#define STRATBOX_ENGINE_BROKER_H

#include "engine/internal.h"

#define ACT_TARGET 100 /* internal: a vectorised target position for symbol 0 */

/* An order waiting to fill. */
struct pending {
	int action; /* BT_BUY, BT_SELL, BT_CLOSE or ACT_TARGET */
	int sym;
	unsigned has;
	double size, limit, stop, sl, tp;
	double target; /* ACT_TARGET: signed fraction of equity */
	size_t bar;    /* placed on */
	bool triggered; /* stop-limit: the stop was hit; now a limit order */
};

/* An open trade.  Sizes are whole multiples of the unit, kept as integers
 * so that FIFO reductions never leave a rounding residue. */
struct open_trade {
	int sym;
	int64_t units;	   /* signed */
	double entry_price; /* after the spread */
	double entry_comm;  /* entry commission not yet attributed to a closed part */
	size_t entry_bar;
	double sl, tp;	    /* NaN: none */
	size_t sltp_from;   /* first bar on which sl/tp are checked */
};

struct bt_engine {
	const bt_data *d;
	bt_config c;
	double unit; /* 1, or the fractional unit */
	double lev;  /* 1 / margin */

	size_t t;	/* the current bar (valid once started) */
	bool started;
	bool ended;	/* the last bar or the ruin is behind us */
	bool ruined;
	bool finished;	/* bt_engine_finish ran */
	size_t ruin_bar;

	double cash;
	int64_t *units; /* per symbol, signed */
	double *pos;	/* per symbol, signed size (units * unit) */
	double *mark;	/* per symbol, the price sizing and margin use in a fill phase */

	struct open_trade *open;
	size_t nopen, capopen, nsltp; /* nsltp: open trades with a sl or tp */
	bool emptied;		      /* close_part() left a trade with no units */
	struct pending *pend;
	size_t npend, cappend;
	bt_trade *done;
	size_t ndone, capdone;

	double *equity; /* n */
	bt_order_counts counts;
	double prev_target;
};

/* broker.c */
int broker_fill_bar(bt_engine *e, size_t t, sbx_error **err);
int broker_fill_on_close(bt_engine *e, size_t t, sbx_error **err);
double broker_equity(const bt_engine *e, const double *px);
double broker_available(const bt_engine *e, const double *px, double equity);
void broker_close_prices(const bt_engine *e, size_t t, double *px);
int broker_close_all(bt_engine *e, const double *px, size_t t, bt_exit_reason why,
		     sbx_error **err);
void broker_remove_pending(bt_engine *e, size_t k);

#endif
