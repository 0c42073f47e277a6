import warnings

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore", category=RuntimeWarning)
warnings.simplefilter(action="ignore", category=FutureWarning)


class StochasticOscillatorStrategy:
    def __init__(self, k_period=14, d_period=3, lower=20, upper=80):
        self.k_period = k_period
        self.d_period = d_period
        self.lower = lower
        self.upper = upper

    def initialize(self, df):
        if len(df) < self.k_period:
            warnings.warn("price history shorter than the %K period", UserWarning)
        self.df = df

    def generate_signals(self):
        low_min = self.df["low"].rolling(self.k_period).min()
        high_max = self.df["high"].rolling(self.k_period).max()
        with np.errstate(divide="ignore", invalid="ignore"):
            k = 100 * (self.df["close"] - low_min) / (high_max - low_min)
        d = k.rolling(self.d_period).mean()
        signal = pd.Series(0, index=self.df.index)
        signal[(k < self.lower) & (k > d)] = 1
        signal[(k > self.upper) & (k < d)] = -1
        return signal


with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    c = 10 + np.abs(np.random.randn(200).cumsum())
    df = pd.DataFrame({"close": c, "high": c * 1.01, "low": c * 0.99})
    st = StochasticOscillatorStrategy()
    st.initialize(df)
    print(st.generate_signals().value_counts())
