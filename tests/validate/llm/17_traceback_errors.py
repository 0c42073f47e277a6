import traceback
from typing import Optional

import numpy as np
import pandas as pd


class VWAPReversionStrategy:
    def __init__(self, band: float = 0.01) -> None:
        self.band = band
        self.data: Optional[pd.DataFrame] = None
        self.errors = []

    def initialize(self, data: pd.DataFrame) -> None:
        try:
            required = {"close", "volume"}
            missing = required - set(data.columns)
            if missing:
                raise KeyError(f"missing columns: {sorted(missing)}")
            self.data = data
        except KeyError:
            traceback.print_exc()
            self.errors.append(traceback.format_exc())
            raise

    def generate_signals(self) -> pd.Series:
        try:
            pv = (self.data["close"] * self.data["volume"]).cumsum()
            vwap = pv / self.data["volume"].cumsum()
            dev = self.data["close"] / vwap - 1
            return pd.Series(np.where(dev < -self.band, 1, np.where(dev > self.band, -1, 0)),
                             index=self.data.index)
        except Exception as exc:  # keep the backtest alive, but record what happened
            print("signal generation failed:", exc)
            print("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
            return pd.Series(0, index=self.data.index)


df = pd.DataFrame({"close": 20 + np.random.randn(100).cumsum() * 0.1, "volume": np.random.randint(100, 1000, 100)})
st = VWAPReversionStrategy()
st.initialize(df)
print(st.generate_signals().value_counts())
