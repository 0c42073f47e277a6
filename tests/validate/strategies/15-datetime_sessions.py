import datetime as dt

import pandas as pd

index = pd.date_range("2024-01-01 09:30", periods=390, freq="1min")
prices = pd.Series(range(390), index=index, dtype=float)
opening = prices.between_time(dt.time(9, 30), dt.time(10, 0))
closing = prices.between_time(dt.time(15, 30), dt.time(16, 0))
weekday = index[0].strftime("%A")
print(f"{weekday}: opening range={opening.max() - opening.min():.1f} closing bars={len(closing)}")
