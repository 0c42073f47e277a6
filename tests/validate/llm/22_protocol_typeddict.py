from typing import List, Protocol, TypedDict, runtime_checkable

import numpy as np
import pandas as pd


class SignalRecord(TypedDict):
    index: int
    action: str
    price: float


@runtime_checkable
class TradingStrategy(Protocol):
    def initialize(self, data: pd.DataFrame) -> None: ...

    def generate_signals(self) -> List[SignalRecord]: ...


class CCIStrategy:
    def __init__(self, period: int = 20, level: float = 100.0) -> None:
        self.period = period
        self.level = level

    def initialize(self, data: pd.DataFrame) -> None:
        tp = (data["high"] + data["low"] + data["close"]) / 3
        sma = tp.rolling(self.period).mean()
        mad = tp.rolling(self.period).apply(lambda x: np.mean(np.abs(x - x.mean())), raw=True)
        self.cci = (tp - sma) / (0.015 * mad)
        self.close = data["close"]

    def generate_signals(self) -> List[SignalRecord]:
        records: List[SignalRecord] = []
        for i in range(1, len(self.cci)):
            prev, cur = self.cci.iloc[i - 1], self.cci.iloc[i]
            if prev < -self.level <= cur:
                records.append({"index": i, "action": "BUY", "price": float(self.close.iloc[i])})
            elif prev > self.level >= cur:
                records.append({"index": i, "action": "SELL", "price": float(self.close.iloc[i])})
        return records


strategy = CCIStrategy()
assert isinstance(strategy, TradingStrategy)
c = 100 + np.random.randn(300).cumsum()
strategy.initialize(pd.DataFrame({"close": c, "high": c + 1, "low": c - 1}))
print(len(strategy.generate_signals()))
