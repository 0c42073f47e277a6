import json

import numpy as np
import pandas as pd


def load_prices(n=500, seed=7):
    """Close prices from /workspace/data.json if present, else a seeded random walk."""
    try:
        with open("/workspace/data.json") as f:
            data = json.load(f)
        return pd.Series(data["close"], dtype=float)
    except (OSError, KeyError, ValueError):
        rng = np.random.default_rng(seed)
        returns = rng.normal(0.0003, 0.01, n)
        return pd.Series(100 * np.exp(np.cumsum(returns)))


close = load_prices()
ema_fast = close.ewm(span=12, adjust=False).mean()
ema_slow = close.ewm(span=26, adjust=False).mean()
macd = ema_fast - ema_slow
signal_line = macd.ewm(span=9, adjust=False).mean()
histogram = macd - signal_line
print(f"MACD={macd.iloc[-1]:.4f} signal={signal_line.iloc[-1]:.4f} hist={histogram.iloc[-1]:.4f}")
