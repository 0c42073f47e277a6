import time
from contextlib import contextmanager
from typing import Dict, Iterator

import numpy as np
import pandas as pd


@contextmanager
def timed(label: str, store: Dict[str, float]) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        store[label] = time.perf_counter() - start


class ROCStrategy:
    """Rate-of-change momentum with timing of each stage."""

    def __init__(self, period: int = 12, threshold: float = 0.02) -> None:
        self.period = period
        self.threshold = threshold
        self.timings: Dict[str, float] = {}

    def initialize(self, prices: pd.Series) -> None:
        with timed("initialize", self.timings):
            self.prices = prices.astype(float)
            self.roc = self.prices.pct_change(self.period)

    def generate_signals(self) -> pd.Series:
        with timed("signals", self.timings):
            sig = np.where(self.roc > self.threshold, 1, np.where(self.roc < -self.threshold, -1, 0))
            result = pd.Series(sig, index=self.prices.index)
        return result


s = ROCStrategy()
s.initialize(pd.Series(100 * np.exp(np.random.normal(0, 0.02, 400).cumsum())))
out = s.generate_signals()
print({k: round(v * 1000, 3) for k, v in s.timings.items()}, int(out.abs().sum()))
