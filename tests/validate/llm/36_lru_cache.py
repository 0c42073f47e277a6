from functools import lru_cache, partial, reduce
from itertools import accumulate, islice
import operator

import numpy as np
import pandas as pd


@lru_cache(maxsize=128)
def fib_levels(high: float, low: float) -> tuple:
    diff = high - low
    return tuple(high - diff * r for r in (0.236, 0.382, 0.5, 0.618, 0.786))


class FibonacciRetracementStrategy:
    def __init__(self, swing_window: int = 50, tolerance: float = 0.003) -> None:
        self.swing_window = swing_window
        self.tolerance = tolerance

    def initialize(self, close: pd.Series) -> None:
        self.close = close

    def generate_signals(self) -> pd.Series:
        out = np.zeros(len(self.close))
        near = partial(np.isclose, rtol=self.tolerance)
        for i in range(self.swing_window, len(self.close)):
            window = self.close.iloc[i - self.swing_window:i]
            levels = fib_levels(round(window.max(), 2), round(window.min(), 2))
            price = self.close.iloc[i]
            if any(near(price, lvl) for lvl in levels[2:4]):
                out[i] = 1 if window.iloc[-1] > window.iloc[0] else -1
        return pd.Series(out, index=self.close.index)


s = FibonacciRetracementStrategy()
s.initialize(pd.Series(100 + np.random.randn(400).cumsum()))
sig = s.generate_signals()
equity = list(accumulate(sig.diff().fillna(0).abs(), operator.add))
print(fib_levels.cache_info().hits, reduce(operator.add, islice(equity, 10), 0.0))
