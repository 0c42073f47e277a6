import json
import time
import uuid
from datetime import datetime, timezone

import numpy as np
import pandas as pd


class RunContext:
    def __init__(self, strategy_name: str) -> None:
        self.run_id = str(uuid.uuid4())
        self.strategy_name = strategy_name
        self.started = datetime.now(timezone.utc).isoformat()
        self._t0 = time.monotonic()

    def finish(self, **stats) -> str:
        return json.dumps({
            "run_id": self.run_id,
            "strategy": self.strategy_name,
            "started": self.started,
            "duration_s": round(time.monotonic() - self._t0, 4),
            **stats,
        })


class RSI2Strategy:
    """Larry Connors' 2-period RSI pullback strategy."""

    def __init__(self, entry: float = 10, exit: float = 70, trend: int = 200) -> None:
        self.entry, self.exit, self.trend = entry, exit, trend
        self.ctx = RunContext(type(self).__name__)

    def initialize(self, close: pd.Series) -> None:
        self.close = close
        delta = close.diff()
        up = delta.clip(lower=0).ewm(alpha=1 / 2).mean()
        down = (-delta.clip(upper=0)).ewm(alpha=1 / 2).mean()
        self.rsi = 100 - 100 / (1 + up / down)
        self.sma = close.rolling(self.trend).mean()

    def generate_signals(self) -> pd.Series:
        pos, out = 0, []
        for c, r, m in zip(self.close, self.rsi, self.sma):
            if pos == 0 and c > m and r < self.entry:
                pos = 1
            elif pos == 1 and r > self.exit:
                pos = 0
            out.append(pos)
        sig = pd.Series(out, index=self.close.index)
        print(self.ctx.finish(trades=int(sig.diff().abs().sum())))
        return sig


s = RSI2Strategy()
s.initialize(pd.Series(100 + np.random.randn(600).cumsum()))
s.generate_signals()
