import numpy as np


class VectorizedDualThrust:
    """Dual Thrust intraday breakout, fully vectorized with numpy."""

    def __init__(self, n=4, k1=0.5, k2=0.5):
        self.n = n
        self.k1 = k1
        self.k2 = k2

    def initialize(self, o, h, l, c):
        self.o, self.h, self.l, self.c = (np.asarray(a, dtype=float) for a in (o, h, l, c))

    def generate_signals(self):
        n = self.n
        hh = np.lib.stride_tricks.sliding_window_view(self.h, n).max(axis=1)
        ll = np.lib.stride_tricks.sliding_window_view(self.l, n).min(axis=1)
        hc = np.lib.stride_tricks.sliding_window_view(self.c, n).max(axis=1)
        lc = np.lib.stride_tricks.sliding_window_view(self.c, n).min(axis=1)
        rng = np.maximum(hh - lc, hc - ll)
        rng = np.concatenate([np.full(n, np.nan), rng[:-1]])
        buy_line = self.o + self.k1 * rng
        sell_line = self.o - self.k2 * rng
        sig = np.zeros_like(self.c)
        sig[self.c > buy_line] = 1
        sig[self.c < sell_line] = -1
        return sig


rng = np.random.default_rng(7)
c = 100 + rng.normal(0, 1, 500).cumsum()
o = c + rng.normal(0, 0.3, 500)
s = VectorizedDualThrust()
s.initialize(o, np.maximum(o, c) + 0.5, np.minimum(o, c) - 0.5, c)
sig = s.generate_signals()
print(np.unique(sig, return_counts=True))
