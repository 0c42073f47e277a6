import csv
import io

import numpy as np
import pandas as pd

SAMPLE = """date,open,high,low,close,volume
2024-01-02,100.0,101.5,99.2,101.0,12000
2024-01-03,101.0,102.3,100.1,101.8,13500
2024-01-04,101.8,102.0,99.9,100.2,15000
2024-01-05,100.2,100.9,98.7,99.1,16000
2024-01-08,99.1,100.5,98.9,100.4,11000
"""


class InsideBarStrategy:
    def initialize(self, csv_text: str = SAMPLE) -> None:
        self.df = pd.read_csv(io.StringIO(csv_text), parse_dates=["date"], index_col="date")

    def generate_signals(self) -> pd.Series:
        inside = (self.df["high"] < self.df["high"].shift()) & (self.df["low"] > self.df["low"].shift())
        breakout_up = self.df["close"] > self.df["high"].shift().where(inside.shift(fill_value=False))
        return breakout_up.astype(int)

    def export(self) -> str:
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(["date", "signal"])
        for day, sig in self.generate_signals().items():
            writer.writerow([day.date().isoformat(), int(sig)])
        return buf.getvalue()


s = InsideBarStrategy()
s.initialize()
print(s.export())
