import math
import statistics
from collections import deque
from typing import Deque, List


class VolatilityTargetingStrategy:
    """Scale exposure so that realized volatility matches a target."""

    def __init__(self, target_vol: float = 0.15, lookback: int = 20, max_leverage: float = 2.0):
        self.target_vol = target_vol
        self.lookback = lookback
        self.max_leverage = max_leverage
        self.returns: Deque[float] = deque(maxlen=lookback)

    def initialize(self, prices: List[float]) -> None:
        self.prices = prices
        self.returns.clear()

    def generate_signals(self) -> List[float]:
        weights = []
        for prev, cur in zip(self.prices, self.prices[1:]):
            self.returns.append(math.log(cur / prev))
            if len(self.returns) < 2:
                weights.append(0.0)
                continue
            vol = statistics.stdev(self.returns) * math.sqrt(252)
            w = min(self.target_vol / vol, self.max_leverage) if vol > 0 else 0.0
            weights.append(round(w, 4))
        return weights


prices = [100.0]
for i in range(1, 300):
    prices.append(prices[-1] * (1 + 0.01 * math.sin(i / 7)))
s = VolatilityTargetingStrategy()
s.initialize(prices)
w = s.generate_signals()
print(statistics.mean(w), max(w))
