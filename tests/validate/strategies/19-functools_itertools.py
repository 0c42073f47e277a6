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

import functools
import itertools
import operator


@functools.lru_cache(maxsize=None)
def fib_retracement(level: int) -> float:
    return {0: 0.0, 1: 0.236, 2: 0.382, 3: 0.5, 4: 0.618}.get(level, 1.0)


close = load_prices(200)
pairs = list(itertools.islice(itertools.combinations([5, 10, 20, 50], 2), 6))
scores = {}
for fast, slow in pairs:
    pos = (close.rolling(fast).mean() > close.rolling(slow).mean()).astype(int)
    scores[(fast, slow)] = float((close.pct_change().shift(-1) * pos).sum())
best = max(scores.items(), key=operator.itemgetter(1))
print(best, fib_retracement(4), functools.reduce(operator.add, [1, 2, 3]))
