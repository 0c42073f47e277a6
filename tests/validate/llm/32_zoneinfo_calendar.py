import calendar
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

EXCHANGE_TZ = ZoneInfo("America/New_York")


class TurnOfMonthStrategy:
    """Long during the last N and first M trading days of each month."""

    def __init__(self, last_days: int = 3, first_days: int = 3) -> None:
        self.last_days = last_days
        self.first_days = first_days

    def initialize(self, dates: pd.DatetimeIndex) -> None:
        self.dates = dates

    def _in_window(self, d: datetime) -> bool:
        days_in_month = calendar.monthrange(d.year, d.month)[1]
        return d.day <= self.first_days or d.day > days_in_month - self.last_days

    def generate_signals(self) -> pd.Series:
        sig = [1 if self._in_window(d.astimezone(EXCHANGE_TZ)) else 0 for d in self.dates]
        return pd.Series(sig, index=self.dates)


start = datetime(2024, 1, 1, 16, tzinfo=EXCHANGE_TZ)
dates = pd.DatetimeIndex([start + timedelta(days=i) for i in range(120) if (start + timedelta(days=i)).weekday() < 5])
s = TurnOfMonthStrategy()
s.initialize(dates)
sig = s.generate_signals()
print(calendar.month_name[1], int(sig.sum()), "of", len(sig), "days long", np.mean(sig.values))
