from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class StrategyParams:
    fast: int = 12
    slow: int = 26
    signal: int = 9
    threshold: float = 0.0
    name: str = field(default="")

    def __post_init__(self) -> None:
        if self.fast >= self.slow:
            raise ValueError("fast period must be shorter than slow period")
        if not self.name:
            # frozen dataclass: assign through object.__setattr__
            object.__setattr__(self, "name", f"MACD({self.fast},{self.slow},{self.signal})")


class MACDStrategy:
    def __init__(self, params: StrategyParams | None = None) -> None:
        self.params = params or StrategyParams()
        self.close: pd.Series | None = None

    def initialize(self, close: pd.Series) -> None:
        self.close = close

    def generate_signals(self) -> pd.Series:
        p = self.params
        ema_fast = self.close.ewm(span=p.fast, adjust=False).mean()
        ema_slow = self.close.ewm(span=p.slow, adjust=False).mean()
        macd = ema_fast - ema_slow
        hist = macd - macd.ewm(span=p.signal, adjust=False).mean()
        return pd.Series(np.sign(hist.where(hist.abs() > p.threshold, 0.0)), index=self.close.index)


s = MACDStrategy()
s.initialize(pd.Series(np.linspace(100, 120, 100) + np.sin(np.arange(100))))
print(s.params.name, int(s.generate_signals().abs().sum()))
