import copy
import re
from abc import ABC, abstractmethod


class Strategy(ABC):
    @abstractmethod
    def signal(self, bar: dict) -> int:
        ...


class Threshold(Strategy):
    def __init__(self, level: float):
        self.level = level
        self.history = []

    def signal(self, bar: dict) -> int:
        self.history.append(bar["close"])
        return 1 if bar["close"] > self.level else 0


pattern = re.compile(r"(?P<sym>[A-Z]+)-(?P<px>\d+\.\d+)")
bars = [{"close": float(m.group("px"))} for m in pattern.finditer("AAA-101.5 BBB-99.2 CCC-103.0")]
s = Threshold(100.0)
clone = copy.deepcopy(s)
print([s.signal(b) for b in bars], len(clone.history))
