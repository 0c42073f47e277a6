"""SMA crossover, event-driven: long while the fast moving average of the Close
is above the slow one, flat otherwise.

Run it (from the top of the source tree, after `make`):

    build/stratbox backtest examples/sma_cross.py --symbols GOOG

Other parameters, or a sweep over them:

    build/stratbox backtest examples/sma_cross.py --symbols GOOG --param fast=20 --param slow=50
    build/stratbox backtest examples/sma_cross.py --symbols GOOG \
        --grid 'fast=5:30:5,slow=40:100:20' --rank sharpe

How it runs: the engine calls generate_signals() once per bar, from bar
`warmup` on, with the bars up to and including the current one (the next bar
is not in the process yet).  Orders returned on bar i fill at bar i+1's Open
(docs/backtest.md, "Execution").  The engine outside the sandbox fills them
and computes every metric; nothing this code computes is trusted.
"""

# The one true import (it also works without it: a backtest's strategy
# module starts with BaseStrategy defined, docs/strategy-api.md).
from stratbox import BaseStrategy


class SmaCross(BaseStrategy):
    # Defaults; --param NAME=VALUE, --config FILE or --grid override them.
    # self.config (also self.params) holds the merged values.
    params = {"fast": 10, "slow": 30}

    # The first call is on bar index `warmup` (0-based).  A class attribute
    # is read before initialize(); setting self.warmup in initialize() works
    # too, and is how a warmup that depends on the params is set.
    warmup = 30

    def initialize(self):
        self.fast = int(self.config["fast"])
        self.slow = int(self.config["slow"])
        if not 0 < self.fast < self.slow:
            raise ValueError(f"need 0 < fast < slow, got fast={self.fast} slow={self.slow}")
        # one bar more than the slow average, so that "yesterday's" averages exist
        self.warmup = self.slow

    def generate_signals(self, current_data):
        # numpy arrays, oldest first; c[-1] is the current bar's Close
        c = current_data.close
        fast_now, slow_now = c[-self.fast:].mean(), c[-self.slow:].mean()
        fast_prev, slow_prev = c[-self.fast - 1:-1].mean(), c[-self.slow - 1:-1].mean()

        crossed_up = fast_prev <= slow_prev and fast_now > slow_now
        crossed_down = fast_prev >= slow_prev and fast_now < slow_now

        if crossed_up and self.position <= 0:
            # close() first frees the equity, then buy() with no size invests
            # all of it (whole shares, at the next bar's Open)
            return [self.close(), self.buy()]
        if crossed_down and self.position > 0:
            return [self.close()]
        return []
