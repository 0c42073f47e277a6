import json
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import List

import numpy as np
import pandas as pd


@dataclass
class Trade:
    day: str
    side: str
    price: float


@dataclass
class GapStrategy:
    gap_pct: float = 0.02
    trades: List[Trade] = field(default_factory=list)

    def initialize(self, df: pd.DataFrame) -> None:
        self.df = df

    def generate_signals(self) -> List[Trade]:
        gap = self.df["open"] / self.df["close"].shift() - 1
        for day, g, price in zip(self.df.index, gap, self.df["open"]):
            if g > self.gap_pct:
                self.trades.append(Trade(str(day), "SELL", float(price)))
            elif g < -self.gap_pct:
                self.trades.append(Trade(str(day), "BUY", float(price)))
        return self.trades

    def to_json(self) -> str:
        return json.dumps({"params": {"gap_pct": self.gap_pct}, "trades": [asdict(t) for t in self.trades]}, indent=2)


idx = pd.bdate_range(date(2023, 1, 2), periods=120)
c = 100 + np.random.randn(120).cumsum()
df = pd.DataFrame({"close": c, "open": c + np.random.randn(120) * 2.5}, index=idx)
s = GapStrategy()
s.initialize(df)
s.generate_signals()
tighter = replace(s, gap_pct=0.01, trades=[])
print(s.to_json()[:200], tighter.gap_pct)
