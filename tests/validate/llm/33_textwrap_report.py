import textwrap
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class Report:
    trades: int
    win_rate: float
    sharpe: float

    def render(self) -> str:
        body = f"""
            Strategy report
            ---------------
            trades:   {self.trades}
            win rate: {self.win_rate:.1%}
            sharpe:   {self.sharpe:.2f}
        """
        return textwrap.dedent(body).strip()


class AroonStrategy:
    def __init__(self, period: int = 25):
        self.period = period

    def initialize(self, df: pd.DataFrame) -> None:
        p = self.period
        self.up = df["high"].rolling(p + 1).apply(lambda x: x.argmax() / p * 100, raw=True)
        self.down = df["low"].rolling(p + 1).apply(lambda x: x.argmin() / p * 100, raw=True)
        self.close = df["close"]

    def generate_signals(self) -> pd.Series:
        return pd.Series(np.where(self.up > self.down, 1, -1), index=self.close.index)

    def report(self) -> Report:
        sig = self.generate_signals().shift()
        rets = self.close.pct_change() * sig
        trades = int((sig.diff() != 0).sum())
        sharpe = float(rets.mean() / rets.std() * np.sqrt(252)) if rets.std() > 0 else 0.0
        return Report(trades, float((rets > 0).mean()), sharpe)


c = 100 + np.random.randn(300).cumsum()
s = AroonStrategy()
s.initialize(pd.DataFrame({"close": c, "high": c + 1, "low": c - 1}))
print(textwrap.indent(s.report().render(), "  "))
print(textwrap.shorten("Aroon oscillator trend strategy with daily rebalancing", width=30))
