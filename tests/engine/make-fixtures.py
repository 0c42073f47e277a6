#!/usr/bin/python3
"""Writes tests/engine/fixtures/*.csv: synthetic bars for the calendars the
bundled data lacks (7-day weeks, weekly and yearly bars, 24/7 hourly), so
that the annualisation rules (A = 365, 52, 1) and the period boundaries are
compared too.  Deterministic: the files are committed; rerun only to change
them.  /usr/bin/python3 tests/engine/make-fixtures.py"""

import os

import numpy as np
import pandas as pd

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


def bars(times, seed, vol, start=100.0):
    rng = np.random.default_rng(seed)
    n = len(times)
    close = start * np.exp(np.cumsum(rng.normal(0.0003, vol, n)))
    prev = np.concatenate(([start], close[:-1]))
    opn = prev * np.exp(rng.normal(0, vol / 3, n))
    hi = np.maximum(opn, close) * (1 + np.abs(rng.normal(0, vol / 2, n)))
    lo = np.minimum(opn, close) * (1 - np.abs(rng.normal(0, vol / 2, n)))
    r = lambda x: np.round(x, 4)
    hi, lo = np.maximum(r(hi), np.maximum(r(opn), r(close))), np.minimum(r(lo), np.minimum(r(opn), r(close)))
    return pd.DataFrame({"Open": r(opn), "High": hi, "Low": lo, "Close": r(close),
                         "Volume": rng.integers(100, 10000, n)}, index=times)


def main():
    os.makedirs(HERE, exist_ok=True)
    # every calendar day: weekends are 2/7 of the bars, A = 365
    d = bars(pd.date_range("2019-01-01", periods=900, freq="D"), 1, 0.03)
    d.to_csv(os.path.join(HERE, "daily-7d.csv"), index_label="Date")
    # weekly bars on a jittered weekday: some weeks hold two bars, some none
    rng = np.random.default_rng(2)
    base = pd.date_range("2000-01-07", periods=420, freq="7D")
    jit = base + pd.to_timedelta(rng.choice([-4, -1, 0, 0, 0, 1, 2], len(base)), unit="D")
    jit = pd.DatetimeIndex(sorted(set(jit)))
    bars(jit, 3, 0.04).to_csv(os.path.join(HERE, "weekly.csv"), index_label="Date")
    # yearly bars
    y = pd.DatetimeIndex([pd.Timestamp(f"{yr}-12-31") for yr in range(1990, 2024)])
    bars(y, 4, 0.2).to_csv(os.path.join(HERE, "yearly.csv"), index_label="Date")
    # hourly around the clock, with the timestamp in a "Datetime" column
    h = bars(pd.date_range("2021-03-01 00:00", periods=3000, freq="H"), 5, 0.008, 50000.0)
    h.index = h.index.strftime("%Y-%m-%d %H:%M:%S")
    h.to_csv(os.path.join(HERE, "hourly-24-7.csv"), index_label="Datetime")


if __name__ == "__main__":
    main()
