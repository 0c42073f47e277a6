import numpy as np
import pandas as pd


class MeanReversionStrategy:
    def __init__(self, window=30, entry_z=2.0, exit_z=0.5):
        self.window = window
        self.entry_z = entry_z
        self.exit_z = exit_z
        print(f"[DEBUG] init window={window} entry_z={entry_z} exit_z={exit_z}")

    def initialize(self, df):
        self.df = df.copy()
        print(f"[DEBUG] data shape: {self.df.shape}")
        print(f"[DEBUG] first rows:\n{self.df.head()}")

    def generate_signals(self):
        close = self.df["close"]
        mean = close.rolling(self.window).mean()
        std = close.rolling(self.window).std()
        z = (close - mean) / std
        print(f"[DEBUG] z-score range: {z.min():.2f} .. {z.max():.2f}")
        position = 0
        positions = []
        for value in z:
            if np.isnan(value):
                positions.append(0)
                continue
            if position == 0 and value < -self.entry_z:
                position = 1
                print(f"[DEBUG] enter long at z={value:.2f}")
            elif position == 0 and value > self.entry_z:
                position = -1
                print(f"[DEBUG] enter short at z={value:.2f}")
            elif position != 0 and abs(value) < self.exit_z:
                print(f"[DEBUG] exit at z={value:.2f}")
                position = 0
            positions.append(position)
        self.df["position"] = positions
        return self.df["position"]


if __name__ == "__main__":
    data = pd.DataFrame({"close": 50 + np.random.randn(400).cumsum() * 0.5})
    strat = MeanReversionStrategy()
    strat.initialize(data)
    sig = strat.generate_signals()
    print(f"[DEBUG] trades: {(sig.diff() != 0).sum()}")
