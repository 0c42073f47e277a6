import numpy as np
import pandas as pd


class SMACrossoverStrategy:
    def __init__(self):
        self.short_window = 20
        self.long_window = 50
        self.data = None

    def initialize(self, data):
        self.data = data.copy()
        self.data["short_ma"] = self.data["close"].rolling(window=self.short_window).mean()
        self.data["long_ma"] = self.data["close"].rolling(window=self.long_window).mean()

    def generate_signals(self):
        signals = pd.DataFrame(index=self.data.index)
        signals["signal"] = 0.0
        signals["signal"] = np.where(self.data["short_ma"] > self.data["long_ma"], 1.0, 0.0)
        signals["positions"] = signals["signal"].diff()
        return signals


if __name__ == "__main__":
    prices = pd.DataFrame({"close": np.cumsum(np.random.randn(300)) + 100})
    strategy = SMACrossoverStrategy()
    strategy.initialize(prices)
    print(strategy.generate_signals().tail())
