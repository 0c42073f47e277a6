from typing import Callable, Dict, Type

import numpy as np
import pandas as pd

STRATEGY_REGISTRY: Dict[str, Type["BaseStrategy"]] = {}


def register(cls: Type["BaseStrategy"]) -> Type["BaseStrategy"]:
    STRATEGY_REGISTRY[cls.__name__.lower()] = cls
    return cls


class BaseStrategy:
    def initialize(self, data: pd.DataFrame) -> None:
        self.data = data

    def generate_signals(self) -> pd.Series:
        raise NotImplementedError(f"{type(self).__name__} must implement generate_signals")


@register
class Breakout(BaseStrategy):
    def generate_signals(self) -> pd.Series:
        hi = self.data["close"].rolling(55).max().shift()
        return (self.data["close"] > hi).astype(int)


@register
class Reversal(BaseStrategy):
    def generate_signals(self) -> pd.Series:
        r = self.data["close"].pct_change(5)
        return -np.sign(r.where(r.abs() > 0.05, 0))


def build(name: str) -> BaseStrategy:
    try:
        return STRATEGY_REGISTRY[name.lower()]()
    except KeyError:
        raise ValueError(f"unknown strategy {name!r}; choose from {sorted(STRATEGY_REGISTRY)}") from None


factory: Callable[[str], BaseStrategy] = build
data = pd.DataFrame({"close": 100 + np.random.randn(300).cumsum()})
for key in STRATEGY_REGISTRY:
    s = factory(key)
    s.initialize(data)
    print(key, int(s.generate_signals().abs().sum()))
