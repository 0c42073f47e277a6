import logging
import sys

import numpy as np
import pandas as pd


def setup_logger(name: str = "strategy", level: int = logging.DEBUG) -> logging.Logger:
    log = logging.getLogger(name)
    if not log.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(asctime)s | %(levelname)-8s | %(name)s | %(message)s",
                                               datefmt="%Y-%m-%d %H:%M:%S"))
        log.addHandler(handler)
    log.setLevel(level)
    return log


logger = setup_logger()


class IchimokuStrategy:
    def __init__(self, tenkan=9, kijun=26, senkou=52):
        self.tenkan, self.kijun, self.senkou = tenkan, kijun, senkou

    def initialize(self, df):
        mid = lambda n: (df["high"].rolling(n).max() + df["low"].rolling(n).min()) / 2
        self.tenkan_sen = mid(self.tenkan)
        self.kijun_sen = mid(self.kijun)
        self.span_a = ((self.tenkan_sen + self.kijun_sen) / 2).shift(self.kijun)
        self.span_b = mid(self.senkou).shift(self.kijun)
        self.close = df["close"]
        logger.info("Ichimoku lines computed for %d bars", len(df))

    def generate_signals(self):
        cloud_top = np.maximum(self.span_a, self.span_b)
        cloud_bottom = np.minimum(self.span_a, self.span_b)
        long = (self.close > cloud_top) & (self.tenkan_sen > self.kijun_sen)
        short = (self.close < cloud_bottom) & (self.tenkan_sen < self.kijun_sen)
        sig = pd.Series(np.select([long, short], [1, -1], 0), index=self.close.index)
        logger.debug("signal distribution: %s", sig.value_counts().to_dict())
        return sig


c = 100 + np.random.randn(300).cumsum()
st = IchimokuStrategy()
st.initialize(pd.DataFrame({"close": c, "high": c + 1, "low": c - 1}))
st.generate_signals()
