"""Bollinger band reversion, written the way pandas users (and LLMs) write it:
current_data["Close"] with .rolling(), .iloc[-1].

Go long when the Close closes below the lower band, short (if `allow_short`)
when it closes above the upper band; get out when it crosses back over the
middle band (the moving average).

Run it (from the top of the source tree, after `make`):

    build/stratbox backtest examples/bollinger.py --symbols EURUSD --param allow_short=true

Long only on a stock, with a commission, or a sweep of the band width:

    build/stratbox backtest examples/bollinger.py --symbols YHOO --commission 0.001
    build/stratbox backtest examples/bollinger.py --symbols EURUSD --grid 'num_std=1.5:3:0.5,window=20|50'

Pandas on every bar is the slow way: a few pandas calls cost about a
millisecond a bar, so the 5,000 hourly EURUSD bars take seconds (the numpy
attributes, current_data.close, cost microseconds).  Add --cpus 1 for speed.

Notes on the pandas-style access (docs/strategy-api.md, "current_data"):
- current_data["Close"] (or ["close"]) is a numpy array that also answers
  pandas Series methods (.rolling, .ewm, .shift, .iloc, ...) by building the
  Series on demand.  Slicing it first (.iloc[-n:]) keeps that cheap: a
  Series of the whole history on every bar costs O(bars) per bar.
- Its own numpy methods stay numpy's: .std() is the population standard
  deviation (ddof=0) where pandas' Series.std() is the sample one (ddof=1).
  Say which one you mean (.std(ddof=1) works in both), or go through
  .rolling(), which is pandas'.
- current_data.df is a real DataFrame; its columns are lower case
  ("close", not "Close").
"""

from stratbox import BaseStrategy


class Bollinger(BaseStrategy):
    params = {"window": 20, "num_std": 2.0, "allow_short": False, "size": 0.9}

    def initialize(self):
        self.window = int(self.config["window"])
        self.num_std = float(self.config["num_std"])
        self.allow_short = bool(self.config["allow_short"])
        self.size = float(self.config["size"])
        # bands need `window` Closes; the crossing test one more
        self.warmup = self.window

    def generate_signals(self, current_data):
        # the last window+1 Closes, as a pandas-style column
        close = current_data["Close"].iloc[-(self.window + 1):]
        mid = close.rolling(self.window).mean()      # a pandas Series (NaN, then a value)
        sd = close.rolling(self.window).std()        # pandas: sample std (ddof=1)
        upper = mid + self.num_std * sd
        lower = mid - self.num_std * sd

        price, mid_now = close.iloc[-1], mid.iloc[-1]

        if self.position > 0 and price >= mid_now:
            return [self.close()]                    # the long reverted to the mean
        if self.position < 0 and price <= mid_now:
            return [self.close()]                    # the short reverted to the mean
        if self.position == 0:
            if price < lower.iloc[-1]:
                # size: a fraction of the available equity, in whole units
                return [self.buy(size=self.size)]
            if self.allow_short and price > upper.iloc[-1]:
                return [self.sell(size=self.size)]
        return []
