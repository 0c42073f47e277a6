#!/usr/bin/env python3
# -*- coding: utf-8 -*-
"""Williams %R reversal strategy."""

__author__ = "Quant Research Team"
__version__ = "0.3.1"
__license__ = "MIT"
__all__ = ["WilliamsRStrategy"]

import numpy as np
import pandas as pd


class WilliamsRStrategy:
    def __init__(self, period: int = 14, oversold: float = -80, overbought: float = -20) -> None:
        self.period = period
        self.oversold = oversold
        self.overbought = overbought

    def initialize(self, df: pd.DataFrame) -> None:
        hh = df["high"].rolling(self.period).max()
        ll = df["low"].rolling(self.period).min()
        self.wr = -100 * (hh - df["close"]) / (hh - ll)

    def generate_signals(self) -> pd.Series:
        prev = self.wr.shift(1)
        buy = (prev < self.oversold) & (self.wr >= self.oversold)
        sell = (prev > self.overbought) & (self.wr <= self.overbought)
        return pd.Series(np.select([buy, sell], [1, -1], 0), index=self.wr.index)


if __name__ == "__main__":
    print(f"WilliamsRStrategy v{__version__} by {__author__}")
    c = 50 + np.random.randn(250).cumsum()
    s = WilliamsRStrategy()
    s.initialize(pd.DataFrame({"close": c, "high": c + 0.5, "low": c - 0.5}))
    print(s.generate_signals().abs().sum())
