# expect: banned-builtin
import numpy as np


class IndicatorByName:
    def __init__(self, name="mean"):
        self.name = name

    def generate_signals(self, data):
        fn = getattr(np, self.name)
        return fn(data)
