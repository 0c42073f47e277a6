import numpy as np
import pandas as pd

try:
    import pandas_ta as ta
except ModuleNotFoundError:
    ta = None
    print("pandas_ta not installed; using built-in indicator implementations")


def ema(series, span):
    return series.ewm(span=span, adjust=False).mean()


class SupertrendLiteStrategy:
    def __init__(self, length=10, multiplier=3.0):
        self.length = length
        self.multiplier = multiplier

    def initialize(self, df):
        self.df = df.copy()
        if ta is not None:
            self.df["atr"] = ta.atr(df["high"], df["low"], df["close"], length=self.length)
        else:
            tr = np.maximum(df["high"] - df["low"],
                            np.maximum((df["high"] - df["close"].shift()).abs(), (df["low"] - df["close"].shift()).abs()))
            self.df["atr"] = ema(tr, self.length)

    def generate_signals(self):
        hl2 = (self.df["high"] + self.df["low"]) / 2
        upper = hl2 + self.multiplier * self.df["atr"]
        lower = hl2 - self.multiplier * self.df["atr"]
        trend = np.where(self.df["close"] > upper.shift(), 1, np.where(self.df["close"] < lower.shift(), -1, np.nan))
        return pd.Series(trend, index=self.df.index).ffill().fillna(0)


c = 100 + np.random.randn(300).cumsum()
strat = SupertrendLiteStrategy()
strat.initialize(pd.DataFrame({"close": c, "high": c + 1, "low": c - 1}))
print(strat.generate_signals().value_counts())
