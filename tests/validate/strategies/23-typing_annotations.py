from __future__ import annotations

from typing import Dict, Optional, Sequence

import numpy as np


def sharpe(returns: Sequence[float], rf: float = 0.0) -> Optional[float]:
    arr = np.asarray(returns, dtype=float) - rf
    if arr.size < 2 or arr.std() == 0:
        return None
    return float(arr.mean() / arr.std() * np.sqrt(252))


book: Dict[str, float] = {"AAPL": 0.4, "MSFT": 0.6}
r = np.random.default_rng(5).normal(0.001, 0.02, 252)
print(sharpe(r), sum(book.values()))
