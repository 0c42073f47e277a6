import copy
from typing import Dict, List

import numpy as np


class GridTradingStrategy:
    """Places buy and sell levels on a fixed grid around a reference price."""

    def __init__(self, spacing: float = 0.01, levels: int = 5) -> None:
        self.spacing = spacing
        self.levels = levels
        self.state: Dict[str, List[float]] = {"filled_buys": [], "filled_sells": []}

    def initialize(self, prices: np.ndarray) -> None:
        self.prices = np.asarray(prices, dtype=float)
        ref = float(self.prices[0])
        self.grid = [ref * (1 + self.spacing * k) for k in range(-self.levels, self.levels + 1)]

    def snapshot(self) -> Dict[str, List[float]]:
        return copy.deepcopy(self.state)

    def generate_signals(self) -> List[int]:
        initial = self.snapshot()
        out = []
        for prev, cur in zip(self.prices, self.prices[1:]):
            crossed = [g for g in self.grid if min(prev, cur) < g <= max(prev, cur)]
            if not crossed:
                out.append(0)
            elif cur < prev:
                self.state["filled_buys"].extend(crossed)
                out.append(1)
            else:
                self.state["filled_sells"].extend(crossed)
                out.append(-1)
        assert initial["filled_buys"] == []
        return out


s = GridTradingStrategy()
s.initialize(100 + np.random.randn(200).cumsum() * 0.3)
sig = s.generate_signals()
clone = copy.copy(s)
print(sum(1 for x in sig if x), len(clone.state["filled_buys"]))
