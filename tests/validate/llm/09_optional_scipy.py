"""Pairs-trading z-score strategy with an optional SciPy dependency."""
import math
from typing import Tuple

import numpy as np
import pandas as pd

try:
    from scipy import stats
except ImportError:  # SciPy not available: fall back to a numpy regression
    stats = None


def hedge_ratio(y: np.ndarray, x: np.ndarray) -> Tuple[float, float]:
    if stats is not None:
        result = stats.linregress(x, y)
        return result.slope, result.intercept
    slope, intercept = np.polyfit(x, y, 1)
    return float(slope), float(intercept)


class PairsTradingStrategy:
    def __init__(self, window: int = 60, entry: float = 2.0, exit: float = 0.5):
        self.window = window
        self.entry = entry
        self.exit = exit

    def initialize(self, a: pd.Series, b: pd.Series) -> None:
        self.a = a.astype(float)
        self.b = b.astype(float)
        self.beta, self.alpha = hedge_ratio(self.a.values, self.b.values)

    def generate_signals(self) -> pd.DataFrame:
        spread = self.a - (self.beta * self.b + self.alpha)
        z = (spread - spread.rolling(self.window).mean()) / spread.rolling(self.window).std()
        long_entry = z < -self.entry
        short_entry = z > self.entry
        flat = z.abs() < self.exit
        pos = pd.Series(np.nan, index=z.index)
        pos[long_entry] = 1
        pos[short_entry] = -1
        pos[flat] = 0
        return pd.DataFrame({"z": z, "position": pos.ffill().fillna(0)})


rng = np.random.default_rng(11)
b = pd.Series(50 + rng.normal(0, 1, 500).cumsum())
a = 1.5 * b + rng.normal(0, 1, 500)
st = PairsTradingStrategy()
st.initialize(a, b)
print(round(st.beta, 2), math.isfinite(st.alpha), st.generate_signals()["position"].abs().sum())
