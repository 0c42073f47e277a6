import numpy as np
import pandas as pd


class BaseStrategy:
    def __init__(self, **params):
        self.params = dict(params)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{self.__class__.__name__}({args})"

    def __str__(self):
        return f"<{type(self).__qualname__} {self.params}>"

    def initialize(self, data):
        raise NotImplementedError

    def generate_signals(self):
        raise NotImplementedError


class KeltnerChannelStrategy(BaseStrategy):
    def __init__(self, ema=20, atr=10, mult=1.5):
        super().__init__(ema=ema, atr=atr, mult=mult)

    def initialize(self, data):
        self.data = data

    def generate_signals(self):
        p = self.params
        close = self.data["close"]
        mid = close.ewm(span=p["ema"]).mean()
        rng = (self.data["high"] - self.data["low"]).rolling(p["atr"]).mean()
        upper, lower = mid + p["mult"] * rng, mid - p["mult"] * rng
        return pd.Series(np.where(close > upper, -1, np.where(close < lower, 1, 0)), index=close.index)


if __name__ == "__main__":
    c = 100 + np.random.randn(250).cumsum()
    df = pd.DataFrame({"close": c, "high": c + 1, "low": c - 1})
    strat = KeltnerChannelStrategy()
    strat.initialize(df)
    print(repr(strat), str(strat), strat.generate_signals().sum())
    print(f"Running {strat.__class__.__name__} from {strat.__class__.__module__}")
