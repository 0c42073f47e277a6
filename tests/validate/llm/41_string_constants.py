import string
from typing import Dict, List

import numpy as np
import pandas as pd

VALID_TICKER_CHARS = set(string.ascii_uppercase + string.digits + ".")


def clean_ticker(raw: str) -> str:
    ticker = raw.strip().upper()
    if not ticker or not set(ticker) <= VALID_TICKER_CHARS:
        raise ValueError(f"invalid ticker: {raw!r}")
    return ticker


class CrossSectionalMomentum:
    def __init__(self, tickers: List[str], lookback: int = 60, top_n: int = 2):
        self.tickers = [clean_ticker(t) for t in tickers]
        self.lookback = lookback
        self.top_n = top_n

    def initialize(self, prices: pd.DataFrame) -> None:
        self.prices = prices[self.tickers]

    def generate_signals(self) -> Dict[str, int]:
        mom = self.prices.iloc[-1] / self.prices.iloc[-self.lookback] - 1
        ranked = mom.sort_values(ascending=False)
        longs = set(ranked.index[: self.top_n])
        shorts = set(ranked.index[-self.top_n:])
        return {t: (1 if t in longs else -1 if t in shorts else 0) for t in self.tickers}


tickers = ["aapl", "msft", "goog", "amzn", "brk.b"]
rng = np.random.default_rng(5)
prices = pd.DataFrame({clean_ticker(t): 100 * np.exp(rng.normal(0, 0.01, 200).cumsum()) for t in tickers})
s = CrossSectionalMomentum(tickers)
s.initialize(prices)
print(s.generate_signals())
