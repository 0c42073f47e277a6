import json

import numpy as np
import pandas as pd


def load_prices(n=500, seed=7):
    """Close prices from /workspace/data.json if present, else a seeded random walk."""
    try:
        with open("/workspace/data.json") as f:
            data = json.load(f)
        return pd.Series(data["close"], dtype=float)
    except (OSError, KeyError, ValueError):
        rng = np.random.default_rng(seed)
        returns = rng.normal(0.0003, 0.01, n)
        return pd.Series(100 * np.exp(np.cumsum(returns)))

from dataclasses import dataclass, field
from typing import List


@dataclass
class Trade:
    side: int
    price: float


@dataclass
class CrossStrategy:
    fast: int = 5
    slow: int = 20
    trades: List[Trade] = field(default_factory=list)

    def __post_init__(self):
        if self.fast >= self.slow:
            raise ValueError("fast must be shorter than slow")

    def __repr__(self) -> str:
        return f"CrossStrategy({self.fast}, {self.slow}, trades={len(self.trades)})"

    def run(self, close: pd.Series) -> None:
        fast, slow = close.rolling(self.fast).mean(), close.rolling(self.slow).mean()
        above = (fast > slow).astype(int).diff()
        for i, change in above.items():
            if change == 1:
                self.trades.append(Trade(1, float(close[i])))
            elif change == -1:
                self.trades.append(Trade(-1, float(close[i])))


s = CrossStrategy()
s.run(load_prices())
print(s)
