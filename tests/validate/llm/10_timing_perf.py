import time
from typing import List

import numpy as np
import pandas as pd


class DonchianChannelStrategy:
    """Breakout strategy on Donchian channels, with simple timing instrumentation."""

    def __init__(self, entry_window: int = 20, exit_window: int = 10):
        self.entry_window = entry_window
        self.exit_window = exit_window
        self.timings: List[float] = []

    def initialize(self, df: pd.DataFrame) -> None:
        start = time.time()
        self.df = df
        self.upper = df["high"].rolling(self.entry_window).max().shift(1)
        self.lower = df["low"].rolling(self.exit_window).min().shift(1)
        self.timings.append(time.time() - start)

    def generate_signals(self) -> pd.Series:
        t0 = time.perf_counter()
        close = self.df["close"]
        signals = pd.Series(0, index=close.index)
        signals[close > self.upper] = 1
        signals[close < self.lower] = -1
        elapsed_ms = (time.perf_counter() - t0) * 1000
        self.timings.append(elapsed_ms / 1000)
        print(f"generate_signals took {elapsed_ms:.3f} ms")
        return signals


if __name__ == "__main__":
    n = 1000
    close = pd.Series(100 + np.random.randn(n).cumsum())
    df = pd.DataFrame({"close": close, "high": close + 0.5, "low": close - 0.5})
    strategy = DonchianChannelStrategy()
    strategy.initialize(df)
    sig = strategy.generate_signals()
    print("longs:", int((sig == 1).sum()), "timestamp:", time.strftime("%Y-%m-%d %H:%M:%S"))
