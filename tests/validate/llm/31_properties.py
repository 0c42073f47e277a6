from functools import cached_property

import numpy as np
import pandas as pd


class ParabolicSARStrategy:
    def __init__(self, step: float = 0.02, max_step: float = 0.2) -> None:
        self._step = step
        self._max_step = max_step
        self._df = None

    @property
    def step(self) -> float:
        return self._step

    @step.setter
    def step(self, value: float) -> None:
        if not 0 < value < self._max_step:
            raise ValueError("step out of range")
        self._step = value

    @cached_property
    def sar(self) -> pd.Series:
        high, low = self._df["high"].values, self._df["low"].values
        sar = np.zeros(len(high))
        bull, af, ep = True, self._step, high[0]
        sar[0] = low[0]
        for i in range(1, len(high)):
            sar[i] = sar[i - 1] + af * (ep - sar[i - 1])
            if bull and low[i] < sar[i]:
                bull, sar[i], ep, af = False, ep, low[i], self._step
            elif not bull and high[i] > sar[i]:
                bull, sar[i], ep, af = True, ep, high[i], self._step
            elif bull and high[i] > ep:
                ep, af = high[i], min(af + self._step, self._max_step)
            elif not bull and low[i] < ep:
                ep, af = low[i], min(af + self._step, self._max_step)
        return pd.Series(sar, index=self._df.index)

    @staticmethod
    def describe() -> str:
        return "Parabolic SAR stop-and-reverse"

    @classmethod
    def default(cls) -> "ParabolicSARStrategy":
        return cls()

    def initialize(self, df: pd.DataFrame) -> None:
        self._df = df

    def generate_signals(self) -> pd.Series:
        return np.sign(self._df["close"] - self.sar)


c = 100 + np.random.randn(300).cumsum()
s = ParabolicSARStrategy.default()
s.initialize(pd.DataFrame({"close": c, "high": c + 0.5, "low": c - 0.5}))
print(ParabolicSARStrategy.describe(), s.generate_signals().value_counts().to_dict())
