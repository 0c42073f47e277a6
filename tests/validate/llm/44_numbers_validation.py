import math
import numbers
from typing import Sequence

import numpy as np


def require_positive(name: str, value: numbers.Real) -> float:
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    if value <= 0 or math.isnan(value):
        raise ValueError(f"{name} must be positive, got {value}")
    return float(value)


class TimeSeriesMomentum:
    def __init__(self, lookback: int = 252, vol_window: int = 60, target: float = 0.4) -> None:
        self.lookback = int(require_positive("lookback", lookback))
        self.vol_window = int(require_positive("vol_window", vol_window))
        self.target = require_positive("target", target)

    def initialize(self, prices: Sequence[float]) -> None:
        self.prices = np.asarray(prices, dtype=np.float64)
        self.returns = np.diff(np.log(self.prices))

    def generate_signals(self) -> np.ndarray:
        n = len(self.prices)
        weights = np.zeros(n)
        for t in range(max(self.lookback, self.vol_window) + 1, n):
            past = self.prices[t - 1] / self.prices[t - 1 - self.lookback] - 1
            vol = self.returns[t - 1 - self.vol_window:t - 1].std() * np.sqrt(252)
            weights[t] = np.sign(past) * min(self.target / vol, 3.0) if vol > 0 else 0.0
        return weights


s = TimeSeriesMomentum(lookback=120)
s.initialize(100 * np.exp(np.random.default_rng(2).normal(0.0003, 0.01, 600).cumsum()))
print(np.round(s.generate_signals()[-5:], 3))
