"""Momentum rotation over several symbols: once a month, hold the `top`
symbols with the best trailing return over `lookback` bars, in equal parts
(only those whose return is positive; cash otherwise).

Run it (from the top of the source tree, after `make`):

    build/stratbox backtest examples/momentum_rotation.py --symbols NVDA,ORCL,YHOO \
        --commission 0.001 --end 2014-12-31

Two holdings, a shorter lookback:

    build/stratbox backtest examples/momentum_rotation.py --symbols NVDA,ORCL,YHOO \
        --commission 0.001 --end 2014-12-31 --param top=2 --param lookback=63

(`--end 2014-12-31`: NVDA's and ORCL's files end there, YHOO's a year later.
A position in a symbol whose data has ended cannot be closed any more:
orders fill only on the symbol's own bars.  It stays open, valued at its
last Close, until the run's end.)

Several symbols share one account (one cash balance).  Their bars are
aligned on the union of their timestamps: before a symbol's first bar its
prices are NaN (NVDA starts in 1999, ORCL in 1995), and where it has no bar
its last Close is repeated.  current_data.close and friends are the first
symbol's; current_data["NVDA"] gives NVDA's bars with the same attributes.
The first symbol listed is the benchmark of buy_hold_return_pct, alpha and
beta.
"""

import numpy as np

from stratbox import BaseStrategy


class MomentumRotation(BaseStrategy):
    params = {
        "lookback": 126,     # trailing return over ~6 months of daily bars
        "top": 1,            # how many symbols to hold, in equal parts
        "cash_buffer": 0.03, # kept in cash: the next Open may gap up
    }

    def initialize(self):
        self.lookback = int(self.config["lookback"])
        self.top = int(self.config["top"])
        self.buffer = float(self.config["cash_buffer"])
        self.warmup = self.lookback

    def new_month(self, current_data):
        t = current_data.time                # numpy datetime64, shared by all symbols
        return t[-1].astype("datetime64[M]") != t[-2].astype("datetime64[M]")

    @staticmethod
    def trading(bars):
        """Whether the symbol has a bar now.  Where it has none the engine
        repeats its last Close with volume 0 (and NaN before its first bar);
        orders for it wait for its next bar, which after its last one never
        comes."""
        return np.isfinite(bars.close[-1]) and bars.volume[-1] != 0

    def trailing_return(self, bars):
        c = bars.close
        now, then = c[-1], c[-1 - self.lookback]
        if not (np.isfinite(now) and np.isfinite(then)):
            return None                      # not listed yet, or not for long enough
        return now / then - 1.0

    def generate_signals(self, current_data):
        # Rebalance on the first bar of each month; the orders fill at the
        # next bar's Open.
        if not self.new_month(current_data):
            return []

        scores = {}
        for sym in self.symbols:
            bars = current_data[sym]         # that symbol's bars, same attributes
            r = self.trailing_return(bars)
            if self.trading(bars) and r is not None and r > 0:
                scores[sym] = r
        want = sorted(scores, key=scores.get, reverse=True)[:self.top]

        # Equal parts of the equity, in whole shares at today's Close.
        budget = self.equity * (1 - self.buffer) / self.top
        reduce, add = [], []
        for sym in self.symbols:
            held = self.positions[sym]
            if not self.trading(current_data[sym]):
                continue                     # an order would wait for its next bar
            if sym not in want:
                if held != 0:
                    reduce.append(self.close(symbol=sym))
                continue
            target = int(budget / current_data[sym].close[-1])
            delta = target - held
            if abs(delta) < 0.05 * target:
                continue                     # close enough: no churn
            if delta < 0:
                # a sell while long closes part of it (oldest shares first)
                reduce.append(self.sell(size=-delta, symbol=sym))
            else:
                # a size >= 1 is a number of shares; an order the available
                # equity cannot cover at the fill is rejected (counted in the
                # result's "orders"), and the next month tries again
                add.append(self.buy(size=delta, symbol=sym))
        # The engine fills a bar's orders in the order returned (closes
        # first of all): reductions before additions free the cash they use.
        return reduce + add
