from dataclasses import dataclass, field
from typing import List

import numpy as np
import pandas as pd


@dataclass
class BollingerConfig:
    window: int = 20
    num_std: float = 2.0
    symbols: List[str] = field(default_factory=lambda: ["SPY"])


@dataclass
class BollingerBandStrategy:
    config: BollingerConfig = field(default_factory=BollingerConfig)
    history: List[float] = field(default_factory=list)

    def initialize(self, closes: List[float]) -> None:
        self.history = list(closes)

    def generate_signals(self) -> pd.DataFrame:
        s = pd.Series(self.history, dtype=float)
        mid = s.rolling(self.config.window).mean()
        std = s.rolling(self.config.window).std()
        upper = mid + self.config.num_std * std
        lower = mid - self.config.num_std * std
        signal = np.select([s < lower, s > upper], [1, -1], default=0)
        return pd.DataFrame({"close": s, "upper": upper, "lower": lower, "signal": signal})


if __name__ == "__main__":
    strat = BollingerBandStrategy()
    strat.initialize(list(100 + np.random.randn(200).cumsum()))
    df = strat.generate_signals()
    print(df["signal"].value_counts())
