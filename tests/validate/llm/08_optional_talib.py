import numpy as np
import pandas as pd

try:
    import talib  # optional: faster indicators when TA-Lib is installed
    HAS_TALIB = True
except ImportError:
    talib = None
    HAS_TALIB = False


class ATRBreakoutStrategy:
    def __init__(self, atr_period=14, multiplier=2.0):
        self.atr_period = atr_period
        self.multiplier = multiplier

    def initialize(self, ohlc: pd.DataFrame):
        self.ohlc = ohlc

    def _atr(self):
        high, low, close = self.ohlc["high"], self.ohlc["low"], self.ohlc["close"]
        if HAS_TALIB:
            return pd.Series(talib.ATR(high.values, low.values, close.values, timeperiod=self.atr_period),
                             index=self.ohlc.index)
        prev_close = close.shift(1)
        tr = pd.concat([high - low, (high - prev_close).abs(), (low - prev_close).abs()], axis=1).max(axis=1)
        return tr.rolling(self.atr_period).mean()

    def generate_signals(self):
        atr = self._atr()
        close = self.ohlc["close"]
        upper = close.shift(1) + self.multiplier * atr
        lower = close.shift(1) - self.multiplier * atr
        return pd.Series(np.where(close > upper, 1, np.where(close < lower, -1, 0)), index=close.index)


rng = np.random.default_rng(3)
c = 100 + rng.normal(0, 1, 300).cumsum()
df = pd.DataFrame({"close": c, "high": c + rng.uniform(0, 1, 300), "low": c - rng.uniform(0, 1, 300)})
s = ATRBreakoutStrategy()
s.initialize(df)
print(s.generate_signals().value_counts().to_dict())
