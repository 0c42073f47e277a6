import numpy as np
import pandas as pd


class LinearRegressionChannel:
    def __init__(self, window=50, width=2.0):
        self.window = window
        self.width = width
        print(f"Initialized {type(self).__name__} with {vars(self)}")

    def initialize(self, close):
        self.close = pd.Series(close, dtype=float)

    def generate_signals(self):
        x = np.arange(self.window)
        sig = np.zeros(len(self.close))
        for i in range(self.window, len(self.close)):
            y = self.close.values[i - self.window:i]
            slope, intercept = np.polyfit(x, y, 1)
            fitted = slope * x + intercept
            resid = y - fitted
            upper = fitted[-1] + self.width * resid.std()
            lower = fitted[-1] - self.width * resid.std()
            price = self.close.values[i]
            sig[i] = -1 if price > upper else (1 if price < lower else 0)
        return pd.Series(sig, index=self.close.index)


s = LinearRegressionChannel()
s.initialize(100 + np.random.randn(300).cumsum())
print(s.generate_signals().value_counts())
