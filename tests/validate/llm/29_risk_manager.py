from dataclasses import dataclass
from typing import Optional

import numpy as np
import pandas as pd


@dataclass
class RiskLimits:
    max_position: float = 1.0
    stop_loss: float = 0.05
    take_profit: float = 0.10


class RiskManager:
    def __init__(self, limits: RiskLimits) -> None:
        self.limits = limits
        self.entry_price: Optional[float] = None

    def on_entry(self, price: float) -> None:
        self.entry_price = price

    def should_exit(self, price: float, side: int) -> bool:
        if self.entry_price is None:
            return False
        change = (price / self.entry_price - 1) * side
        return change <= -self.limits.stop_loss or change >= self.limits.take_profit


class TrendStrategyWithRisk:
    def __init__(self, window: int = 50, limits: Optional[RiskLimits] = None) -> None:
        self.window = window
        self.risk = RiskManager(limits or RiskLimits())

    def initialize(self, close: pd.Series) -> None:
        self.close = close
        self.ma = close.rolling(self.window).mean()

    def generate_signals(self) -> pd.Series:
        position = 0
        out = []
        for price, ma in zip(self.close, self.ma):
            if position != 0 and self.risk.should_exit(price, position):
                position = 0
            elif position == 0 and not np.isnan(ma):
                position = 1 if price > ma else -1
                self.risk.on_entry(price)
            out.append(position * self.risk.limits.max_position)
        return pd.Series(out, index=self.close.index)


s = TrendStrategyWithRisk()
s.initialize(pd.Series(100 + np.random.randn(500).cumsum()))
print(s.generate_signals().value_counts())
