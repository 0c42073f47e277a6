import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import List

import pandas as pd


@dataclass
class Order:
    symbol: str
    side: str
    quantity: float
    price: float
    order_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    created_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))


class EMACrossStrategy:
    def __init__(self, symbol: str = "BTCUSD", fast: int = 9, slow: int = 21, size: float = 1.0):
        self.symbol = symbol
        self.fast = fast
        self.slow = slow
        self.size = size
        self.orders: List[Order] = []
        self.run_id = uuid.uuid4().hex[:8]

    def initialize(self, prices: pd.Series) -> None:
        self.prices = prices

    def generate_signals(self) -> List[Order]:
        fast = self.prices.ewm(span=self.fast).mean()
        slow = self.prices.ewm(span=self.slow).mean()
        above = fast > slow
        crosses = above.ne(above.shift()).iloc[1:]
        for idx in crosses[crosses].index:
            side = "BUY" if above[idx] else "SELL"
            self.orders.append(Order(self.symbol, side, self.size, float(self.prices[idx])))
        return self.orders


strategy = EMACrossStrategy()
strategy.initialize(pd.Series([100, 101, 103, 102, 99, 98, 100, 104, 106, 105] * 10, dtype=float))
orders = strategy.generate_signals()
print(f"run {strategy.run_id}: {len(orders)} orders, first id {orders[0].order_id if orders else None}")
