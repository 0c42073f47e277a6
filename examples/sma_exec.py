"""The same crossover summary as a strategy job: `stratbox exec` runs it in a
warm pool slot, with its input at /workspace/data.json (see make demo and
docs/strategy-api.md).  It passes `stratbox check`."""
import numpy as np
import pandas as pd

import stratbox

bars = stratbox.data()
df = pd.DataFrame(bars["rows"], columns=bars["columns"])
close = df["Close"].astype(float)
fast, slow = close.rolling(20).mean(), close.rolling(50).mean()
signal = (fast > slow).astype(int)
crossings = int((signal.diff().abs() == 1).sum())
daily = close.pct_change().dropna()
print(f"{bars['symbol']}: bars={len(df)} from={df['Date'].iloc[0]} to={df['Date'].iloc[-1]}")
print(f"sma20/50 crossings={crossings} last_signal={'long' if signal.iloc[-1] else 'flat'}")
print(f"daily_vol={daily.std():.4f} annualised={daily.std() * np.sqrt(252):.3f}")
