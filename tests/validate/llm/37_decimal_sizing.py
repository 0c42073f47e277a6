from decimal import ROUND_DOWN, Decimal, getcontext
from fractions import Fraction

import numpy as np
import pandas as pd

getcontext().prec = 28


class KellySizedTrendStrategy:
    """Trend following with position sizes from a fractional Kelly criterion."""

    def __init__(self, capital: str = "100000", kelly_fraction: Fraction = Fraction(1, 2), lot: str = "0.001"):
        self.capital = Decimal(capital)
        self.kelly_fraction = kelly_fraction
        self.lot = Decimal(lot)

    def initialize(self, prices: pd.Series) -> None:
        self.prices = prices
        rets = prices.pct_change().dropna()
        wins = rets[rets > 0]
        losses = rets[rets < 0]
        p = len(wins) / max(len(rets), 1)
        b = (wins.mean() / -losses.mean()) if len(losses) and len(wins) else 1.0
        self.kelly = max(0.0, p - (1 - p) / b)

    def size(self, price: float) -> Decimal:
        risk_capital = self.capital * Decimal(str(self.kelly)) * Decimal(self.kelly_fraction.numerator) / Decimal(self.kelly_fraction.denominator)
        qty = risk_capital / Decimal(str(price))
        return qty.quantize(self.lot, rounding=ROUND_DOWN)

    def generate_signals(self):
        ma = self.prices.rolling(30).mean()
        out = []
        for price, m in zip(self.prices, ma):
            direction = 0 if np.isnan(m) else (1 if price > m else -1)
            out.append((direction, self.size(price) if direction else Decimal(0)))
        return out


s = KellySizedTrendStrategy()
s.initialize(pd.Series(100 + np.random.randn(300).cumsum()))
print(s.generate_signals()[-1])
