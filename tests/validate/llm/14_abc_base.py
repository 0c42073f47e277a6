from abc import ABC, abstractmethod
from typing import Any, Dict

import numpy as np
import pandas as pd


class Strategy(ABC):
    """Abstract base class every strategy implements."""

    name: str = "base"

    @abstractmethod
    def initialize(self, data: pd.DataFrame) -> None:
        ...

    @abstractmethod
    def generate_signals(self) -> pd.Series:
        ...

    def describe(self) -> Dict[str, Any]:
        return {"name": self.name, "type": type(self).__name__}


class TripleMAStrategy(Strategy):
    name = "triple_ma"

    def __init__(self, short: int = 5, medium: int = 20, long: int = 60) -> None:
        self.short, self.medium, self.long = short, medium, long

    def initialize(self, data: pd.DataFrame) -> None:
        close = data["close"]
        self.ma = pd.DataFrame({
            "s": close.rolling(self.short).mean(),
            "m": close.rolling(self.medium).mean(),
            "l": close.rolling(self.long).mean(),
        })

    def generate_signals(self) -> pd.Series:
        up = (self.ma["s"] > self.ma["m"]) & (self.ma["m"] > self.ma["l"])
        down = (self.ma["s"] < self.ma["m"]) & (self.ma["m"] < self.ma["l"])
        return pd.Series(np.select([up, down], [1, -1], 0), index=self.ma.index)


strategy: Strategy = TripleMAStrategy()
strategy.initialize(pd.DataFrame({"close": 100 + np.random.randn(300).cumsum()}))
print(strategy.describe(), strategy.generate_signals().abs().sum())
