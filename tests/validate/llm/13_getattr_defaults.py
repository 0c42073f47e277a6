import numpy as np
import pandas as pd


class VolatilityBreakoutStrategy:
    """Enters when today's range exceeds k times the average range."""

    def __init__(self, config=None):
        config = config or {}
        self.window = config.get("window", 20)
        self.k = config.get("k", 1.5)

    def initialize(self, data):
        self.data = data
        # subclasses may define extra parameters; fall back to defaults
        self.min_volume = getattr(self, "min_volume", 0)
        self.use_close = getattr(self, "use_close", True)

    def generate_signals(self):
        window = getattr(self, "window", 20)
        df = self.data
        rng = df["high"] - df["low"]
        avg = rng.rolling(window).mean()
        breakout = rng > self.k * avg
        if hasattr(self, "min_volume") and "volume" in df:
            breakout &= df["volume"] > self.min_volume
        direction = np.sign(df["close"] - df["open"]) if self.use_close else 1
        return (breakout * direction).fillna(0)


o = 100 + np.random.randn(300).cumsum()
df = pd.DataFrame({"open": o, "close": o + np.random.randn(300), "high": o + 2, "low": o - 2, "volume": 1000})
s = VolatilityBreakoutStrategy({"window": 10})
s.initialize(df)
print(s.generate_signals().value_counts())
