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

close = load_prices(260)
frame = pd.DataFrame({"close": close})
frame["month"] = (frame.index // 21).astype(int)
frame["ret"] = frame["close"].pct_change()
monthly = frame.groupby("month")["ret"].agg(["mean", "std", "count"])
best = monthly["mean"].idxmax()
print(f"months={len(monthly)} best={best} describe_mean={frame['ret'].describe()['mean']:.5f}")
