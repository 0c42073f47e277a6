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

class Indicator:
    def __init__(self, name: str):
        self.name = name

    def __str__(self) -> str:
        return f"{type(self).__name__}({self.name})"


class SMA(Indicator):
    def __init__(self, period: int):
        super().__init__(f"sma{period}")
        self.period = period

    def compute(self, close):
        return close.rolling(self.period).mean()


sma = SMA(15)
values = sma.compute(load_prices())
print(str(sma), round(float(values.iloc[-1]), 4))
