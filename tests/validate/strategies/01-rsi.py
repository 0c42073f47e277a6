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


def rsi(close: pd.Series, period: int = 14) -> pd.Series:
    delta = close.diff()
    gain = delta.clip(lower=0).ewm(alpha=1 / period, adjust=False).mean()
    loss = (-delta.clip(upper=0)).ewm(alpha=1 / period, adjust=False).mean()
    rs = gain / loss.replace(0, np.nan)
    return 100 - 100 / (1 + rs)


close = load_prices()
r = rsi(close)
signal = np.where(r < 30, 1, np.where(r > 70, -1, 0))
print(f"RSI last={r.iloc[-1]:.2f} longs={int((signal == 1).sum())} shorts={int((signal == -1).sum())}")
