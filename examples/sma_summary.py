"""A small strategy-style computation, run inside the sandbox by `make demo`.

Reads an OHLCV CSV, computes a 20/50-day moving-average crossover and prints
a few numbers.  It uses numpy and pandas like the strategies stratbox is for;
it has no network, no host files beyond the bound data, and uid 1000.
"""
import sys

import numpy as np
import pandas as pd

path = sys.argv[1] if len(sys.argv) > 1 else "/data/GOOG.csv"
df = pd.read_csv(path, index_col=0, parse_dates=True)
close = df["Close"]
fast, slow = close.rolling(20).mean(), close.rolling(50).mean()
signal = (fast > slow).astype(int)
crossings = int((signal.diff().abs() == 1).sum())
daily = close.pct_change().dropna()
print(f"bars={len(df)} from={df.index[0].date()} to={df.index[-1].date()}")
print(f"sma20/50 crossings={crossings} last_signal={'long' if signal.iloc[-1] else 'flat'}")
print(f"daily_vol={daily.std():.4f} annualised={daily.std() * np.sqrt(252):.3f}")
