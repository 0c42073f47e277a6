"""
Production-grade MACD trend-following strategy.

This module implements a MACD-based trading strategy with robust input
validation, structured logging and clear separation of concerns. The
strategy exposes the standard ``initialize`` / ``generate_signals``
interface used by the backtesting engine.

Example:
    >>> strategy = MACDTrendStrategy(MACDConfig())
    >>> strategy.initialize(prices)
    >>> signals = strategy.generate_signals()
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import Enum, auto
from typing import Final, Optional

import numpy as np
import pandas as pd

__all__ = ["MACDConfig", "MACDTrendStrategy", "Signal", "StrategyError"]
__version__ = "1.2.0"

logger = logging.getLogger(__name__)

DEFAULT_FAST_PERIOD: Final[int] = 12
DEFAULT_SLOW_PERIOD: Final[int] = 26
DEFAULT_SIGNAL_PERIOD: Final[int] = 9
MIN_OBSERVATIONS: Final[int] = 50


class Signal(Enum):
    """Discrete trading signals."""

    BUY = auto()
    SELL = auto()
    HOLD = auto()


class StrategyError(RuntimeError):
    """Raised when the strategy is used incorrectly."""


@dataclass(frozen=True)
class MACDConfig:
    """Configuration for :class:`MACDTrendStrategy`."""

    fast_period: int = DEFAULT_FAST_PERIOD
    slow_period: int = DEFAULT_SLOW_PERIOD
    signal_period: int = DEFAULT_SIGNAL_PERIOD

    def validate(self) -> None:
        if not 0 < self.fast_period < self.slow_period:
            raise StrategyError("fast_period must be positive and below slow_period")


class MACDTrendStrategy:
    """MACD crossover strategy.

    Args:
        config: Strategy parameters.
    """

    def __init__(self, config: Optional[MACDConfig] = None) -> None:
        self._config = config or MACDConfig()
        self._config.validate()
        self._prices: Optional[pd.Series] = None
        self._initialized = False

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(config={self._config!r})"

    def initialize(self, prices: pd.Series) -> None:
        """Load price history.

        Raises:
            StrategyError: If there are fewer than MIN_OBSERVATIONS prices.
        """
        if len(prices) < MIN_OBSERVATIONS:
            raise StrategyError(f"need at least {MIN_OBSERVATIONS} observations, got {len(prices)}")
        self._prices = prices.astype(float)
        self._initialized = True
        logger.info("%s initialized with %d observations", self, len(prices))

    def generate_signals(self) -> pd.Series:
        """Return a Series of :class:`Signal` values aligned with the prices."""
        if not self._initialized or self._prices is None:
            raise StrategyError("initialize() must be called before generate_signals()")
        cfg = self._config
        fast = self._prices.ewm(span=cfg.fast_period, adjust=False).mean()
        slow = self._prices.ewm(span=cfg.slow_period, adjust=False).mean()
        macd = fast - slow
        signal_line = macd.ewm(span=cfg.signal_period, adjust=False).mean()
        cross_up = (macd > signal_line) & (macd.shift(1) <= signal_line.shift(1))
        cross_down = (macd < signal_line) & (macd.shift(1) >= signal_line.shift(1))
        out = pd.Series(Signal.HOLD, index=self._prices.index, dtype=object)
        out[cross_up] = Signal.BUY
        out[cross_down] = Signal.SELL
        logger.debug("buy=%d sell=%d", int(cross_up.sum()), int(cross_down.sum()))
        return out


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    series = pd.Series(100 + np.cumsum(np.random.default_rng(1).normal(0, 1, 300)))
    strategy = MACDTrendStrategy()
    strategy.initialize(series)
    print(strategy.generate_signals().value_counts())
