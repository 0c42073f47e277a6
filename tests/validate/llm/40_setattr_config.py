import numpy as np
import pandas as pd

DEFAULTS = {"fast": 10, "slow": 30, "stop": 0.03}


class ConfigurableCrossover:
    """Moving-average crossover whose parameters come from a config dict."""

    def __init__(self, **kwargs):
        params = {**DEFAULTS, **kwargs}
        for key, value in params.items():
            setattr(self, key, value)

    def initialize(self, close):
        self.close = pd.Series(close, dtype=float)

    def generate_signals(self):
        fast = self.close.rolling(self.fast).mean()
        slow = self.close.rolling(self.slow).mean()
        return pd.Series(np.where(fast > slow, 1, -1), index=self.close.index)


s = ConfigurableCrossover(fast=5)
s.initialize(100 + np.random.randn(200).cumsum())
print(s.generate_signals().value_counts())
