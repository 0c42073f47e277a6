from datetime import datetime, time as dtime

import numpy as np
import pandas as pd
import pytz

NY = pytz.timezone("America/New_York")
MARKET_OPEN = dtime(9, 30)
MARKET_CLOSE = dtime(16, 0)


class OpeningRangeBreakout:
    """Trade breakouts of the first 30 minutes of the New York session."""

    def __init__(self, range_minutes: int = 30):
        self.range_minutes = range_minutes

    def initialize(self, bars: pd.DataFrame):
        idx = pd.DatetimeIndex(bars.index)
        if idx.tz is None:
            idx = idx.tz_localize(pytz.utc)
        bars = bars.copy()
        bars.index = idx.tz_convert(NY)
        t = bars.index.time
        self.bars = bars[(t >= MARKET_OPEN) & (t < MARKET_CLOSE)]

    def generate_signals(self):
        out = []
        for day, session in self.bars.groupby(self.bars.index.date):
            opening = session.iloc[: self.range_minutes]
            hi, lo = opening["high"].max(), opening["low"].min()
            rest = session.iloc[self.range_minutes:]
            sig = np.where(rest["close"] > hi, 1, np.where(rest["close"] < lo, -1, 0))
            out.append(pd.Series(sig, index=rest.index))
        return pd.concat(out) if out else pd.Series(dtype=int)


idx = pd.date_range(datetime(2024, 1, 2, 14, 30), periods=390, freq="1min", tz=pytz.utc)
c = 100 + np.random.randn(390).cumsum() * 0.05
bars = pd.DataFrame({"close": c, "high": c + 0.02, "low": c - 0.02}, index=idx)
orb = OpeningRangeBreakout()
orb.initialize(bars)
print(orb.generate_signals().value_counts())
