import numpy as np
import pandas as pd


class AdaptiveMAStrategy:
    """Kaufman adaptive moving average crossover."""

    def __init__(self, er_period=10, fast=2, slow=30):
        self.er_period = er_period
        self.fast_sc = 2 / (fast + 1)
        self.slow_sc = 2 / (slow + 1)

    def initialize(self, close):
        self.close = pd.Series(close, dtype=float)
        if not hasattr(self, "position"):
            self.position = 0

    def _kama(self):
        change = self.close.diff(self.er_period).abs()
        volatility = self.close.diff().abs().rolling(self.er_period).sum()
        er = (change / volatility).fillna(0)
        sc = (er * (self.fast_sc - self.slow_sc) + self.slow_sc) ** 2
        kama = np.zeros(len(self.close))
        kama[0] = self.close.iloc[0]
        for i in range(1, len(self.close)):
            kama[i] = kama[i - 1] + sc.iloc[i] * (self.close.iloc[i] - kama[i - 1])
        return pd.Series(kama, index=self.close.index)

    def generate_signals(self):
        if not hasattr(self, "close"):
            raise RuntimeError("initialize() first")
        kama = self._kama()
        return np.sign(self.close - kama).astype(int)


s = AdaptiveMAStrategy()
s.initialize(100 + np.random.randn(300).cumsum())
print(s.generate_signals().value_counts(), s.position)
