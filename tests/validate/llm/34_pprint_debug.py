from pprint import pformat, pprint

import numpy as np
import pandas as pd


class OBVDivergenceStrategy:
    def __init__(self, lookback=20, verbose=True):
        self.lookback = lookback
        self.verbose = verbose
        self.state = {"signals": 0, "params": {"lookback": lookback}}

    def initialize(self, df):
        self.df = df
        direction = np.sign(df["close"].diff()).fillna(0)
        self.obv = (direction * df["volume"]).cumsum()
        if self.verbose:
            pprint(self.state)

    def generate_signals(self):
        price_trend = self.df["close"].diff(self.lookback)
        obv_trend = self.obv.diff(self.lookback)
        bullish = (price_trend < 0) & (obv_trend > 0)
        bearish = (price_trend > 0) & (obv_trend < 0)
        sig = pd.Series(np.select([bullish, bearish], [1, -1], 0), index=self.df.index)
        self.state["signals"] = int(sig.abs().sum())
        if self.verbose:
            print("state after signals:\n" + pformat(self.state, indent=2, width=60))
        return sig


df = pd.DataFrame({"close": 100 + np.random.randn(300).cumsum(), "volume": np.random.randint(1e3, 1e4, 300)})
s = OBVDivergenceStrategy()
s.initialize(df)
s.generate_signals()
