import numpy as np
import pandas as pd

try:
    from numba import njit
except ImportError:  # numba is optional: run the plain Python loop instead
    def njit(*args, **kwargs):
        if len(args) == 1 and callable(args[0]) and not kwargs:
            return args[0]
        return lambda f: f


@njit(cache=True)
def trailing_stop_positions(close, entries, trail_pct):
    pos = np.zeros(close.shape[0])
    peak = 0.0
    holding = False
    for i in range(close.shape[0]):
        if not holding and entries[i]:
            holding = True
            peak = close[i]
        elif holding:
            peak = max(peak, close[i])
            if close[i] < peak * (1 - trail_pct):
                holding = False
        pos[i] = 1.0 if holding else 0.0
    return pos


class TrailingStopMomentum:
    def __init__(self, lookback=20, trail_pct=0.05):
        self.lookback = lookback
        self.trail_pct = trail_pct

    def initialize(self, close):
        self.close = pd.Series(close, dtype=float)

    def generate_signals(self):
        entries = (self.close > self.close.rolling(self.lookback).max().shift()).values
        return trailing_stop_positions(self.close.values, entries, self.trail_pct)


s = TrailingStopMomentum()
s.initialize(100 + np.random.randn(500).cumsum())
print(s.generate_signals().mean())
