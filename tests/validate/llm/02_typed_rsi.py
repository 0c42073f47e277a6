from typing import Dict, List, Optional

import numpy as np
import pandas as pd


class RSIStrategy:
    """Relative Strength Index mean-reversion strategy."""

    def __init__(self, period: int = 14, oversold: float = 30.0, overbought: float = 70.0) -> None:
        self.period: int = period
        self.oversold: float = oversold
        self.overbought: float = overbought
        self.prices: Optional[pd.Series] = None

    def initialize(self, prices: pd.Series) -> None:
        self.prices = prices.astype(float)

    def _rsi(self) -> pd.Series:
        assert self.prices is not None, "call initialize() first"
        delta = self.prices.diff()
        gain = delta.clip(lower=0).rolling(self.period).mean()
        loss = (-delta.clip(upper=0)).rolling(self.period).mean()
        rs = gain / loss.replace(0, np.nan)
        return 100 - 100 / (1 + rs)

    def generate_signals(self) -> List[Dict[str, float]]:
        rsi = self._rsi()
        out: List[Dict[str, float]] = []
        for i, value in enumerate(rsi):
            if np.isnan(value):
                continue
            if value < self.oversold:
                out.append({"index": float(i), "signal": 1.0, "rsi": float(value)})
            elif value > self.overbought:
                out.append({"index": float(i), "signal": -1.0, "rsi": float(value)})
        return out


strategy = RSIStrategy()
strategy.initialize(pd.Series(100 + np.cumsum(np.random.default_rng(0).normal(size=250))))
print(len(strategy.generate_signals()), "signals")
