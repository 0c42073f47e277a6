import logging

import numpy as np
import pandas as pd

logging.basicConfig(level=logging.INFO, format="%(asctime)s - %(name)s - %(levelname)s - %(message)s")
logger = logging.getLogger(__name__)


class MomentumStrategy:
    def __init__(self, lookback=60, holding=5, top_quantile=0.8):
        self.lookback = lookback
        self.holding = holding
        self.top_quantile = top_quantile
        self.prices = None
        logger.info("MomentumStrategy created (lookback=%d, holding=%d)", lookback, holding)

    def initialize(self, prices):
        self.prices = pd.DataFrame(prices)
        logger.debug("loaded %d rows", len(self.prices))

    def generate_signals(self):
        if self.prices is None or len(self.prices) < self.lookback:
            logger.warning("not enough data to compute momentum")
            return pd.Series(dtype=float)
        momentum = self.prices["close"].pct_change(self.lookback)
        threshold = momentum.quantile(self.top_quantile)
        signals = (momentum > threshold).astype(int)
        logger.info("generated %d long signals", int(signals.sum()))
        return signals


if __name__ == "__main__":
    rng = np.random.default_rng(42)
    df = pd.DataFrame({"close": 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 500)))})
    strategy = MomentumStrategy()
    strategy.initialize(df)
    strategy.generate_signals()
