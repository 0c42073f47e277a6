from enum import Enum, IntEnum
from typing import List

import numpy as np
import pandas as pd


class Position(IntEnum):
    SHORT = -1
    FLAT = 0
    LONG = 1


class State(Enum):
    WAITING = "waiting"
    IN_TRADE = "in_trade"
    COOLDOWN = "cooldown"


class ChannelStateMachineStrategy:
    def __init__(self, window: int = 20, cooldown: int = 5) -> None:
        self.window = window
        self.cooldown = cooldown
        self.state = State.WAITING
        self.position = Position.FLAT

    def initialize(self, close: pd.Series) -> None:
        self.close = close
        self.hi = close.rolling(self.window).max().shift(1)
        self.lo = close.rolling(self.window).min().shift(1)

    def generate_signals(self) -> List[int]:
        out, wait = [], 0
        for c, hi, lo in zip(self.close, self.hi, self.lo):
            if self.state is State.COOLDOWN:
                wait -= 1
                if wait <= 0:
                    self.state = State.WAITING
            elif self.state is State.WAITING and not np.isnan(hi):
                if c > hi:
                    self.position, self.state = Position.LONG, State.IN_TRADE
                elif c < lo:
                    self.position, self.state = Position.SHORT, State.IN_TRADE
            elif self.state is State.IN_TRADE:
                if (self.position is Position.LONG and c < lo) or (self.position is Position.SHORT and c > hi):
                    self.position, self.state, wait = Position.FLAT, State.COOLDOWN, self.cooldown
            out.append(int(self.position))
        return out


s = ChannelStateMachineStrategy()
s.initialize(pd.Series(100 + np.random.randn(500).cumsum()))
print({p.name: s.generate_signals().count(p.value) for p in Position}, list(State.__members__))
