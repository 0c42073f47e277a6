from collections import namedtuple, defaultdict
from typing import NamedTuple

import numpy as np
import pandas as pd

Bar = namedtuple("Bar", ["time", "open", "high", "low", "close"])


class TradeSignal(NamedTuple):
    index: int
    direction: int
    strength: float


class HeikinAshiTrendStrategy:
    def __init__(self, confirm_bars=3):
        self.confirm_bars = confirm_bars
        self.bars = []

    def initialize(self, df):
        self.bars = [Bar(*row) for row in df[["time", "open", "high", "low", "close"]].itertuples(index=False)]

    def _heikin_ashi(self):
        ha = []
        prev_open = prev_close = None
        for b in self.bars:
            close = (b.open + b.high + b.low + b.close) / 4
            open_ = (b.open + b.close) / 2 if prev_open is None else (prev_open + prev_close) / 2
            ha.append((open_, close))
            prev_open, prev_close = open_, close
        return ha

    def generate_signals(self):
        counts = defaultdict(int)
        signals = []
        run = 0
        for i, (o, c) in enumerate(self._heikin_ashi()):
            run = run + 1 if c > o and run >= 0 else (run - 1 if c < o and run <= 0 else (1 if c > o else -1))
            if abs(run) == self.confirm_bars:
                direction = int(np.sign(run))
                signals.append(TradeSignal(i, direction, abs(c - o)))
                counts[direction] += 1
        return signals, dict(counts)


n = 200
c = 100 + np.random.randn(n).cumsum()
df = pd.DataFrame({"time": range(n), "open": c + np.random.randn(n) * 0.2, "high": c + 1, "low": c - 1, "close": c})
s = HeikinAshiTrendStrategy()
s.initialize(df)
sigs, counts = s.generate_signals()
print(len(sigs), counts, sigs[0]._asdict() if sigs else None)
