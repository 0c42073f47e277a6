"""SMA crossover, vectorised: one call computes a target position for every
bar at once, which is much faster than a call per bar.

Run it (from the top of the source tree, after `make`):

    build/stratbox backtest examples/sma_vectorised.py --symbols GOOG --seed 1

A sweep (vectorised strategies are the cheap ones to sweep):

    build/stratbox backtest examples/sma_vectorised.py --symbols GOOG \
        --grid 'fast=5:30:5,slow=20:100:10' --rank sharpe

(the combinations with fast >= slow raise ValueError: they are listed last,
as STRATEGY_ERROR with the exception's text, and the others still run)

The contract (docs/strategy-api.md, "Vectorised strategies"): signals(self,
data) gets the bars (the same object as current_data in generate_signals)
and returns one number per bar, the position to hold as a signed fraction
of equity in [-1, 1]: 1 all in long, -0.5 half short, 0 flat, NaN "no
opinion yet" (keeps the previous target).  The engine trades only when the
target changes, at the next bar's Open.

Lookahead is checked, not trusted: the engine runs signals() again on ~20
prefixes of the data (cut at points half evenly spaced, half random; --seed
fixes them) and compares each prefix's targets with the full run's.  A
target for bar i that changes once bars after i exist used the future, and
is listed in the result's "lookahead_bars" with a warning on the terminal.
Try it: replace `fast > slow` below with `(fast > slow).shift(-1)`.
"""

import numpy as np

from stratbox import BaseStrategy


class SmaVectorised(BaseStrategy):
    params = {"fast": 10, "slow": 30, "allow_short": False}

    def signals(self, data):
        fast_n, slow_n = int(self.config["fast"]), int(self.config["slow"])
        if fast_n >= slow_n:
            raise ValueError(f"need fast < slow, got fast={fast_n} slow={slow_n}")

        close = data["Close"]                     # pandas-style column (numpy underneath)
        fast = close.rolling(fast_n).mean()       # pandas Series: NaN for the first bars
        slow = close.rolling(slow_n).mean()

        short = -1.0 if self.config["allow_short"] else 0.0
        target = np.where(fast > slow, 1.0, short)
        # no position until the slow average exists: NaN keeps the previous
        # target (initially flat)
        target[: slow_n - 1] = np.nan
        return target
