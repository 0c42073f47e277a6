import numpy as np
import pandas as pd


class SignalPipeline:
    """A composable pipeline of indicator steps.

    Each step is a callable object: it implements ``__call__(df)`` and
    returns the frame with new columns. The pipeline itself also defines
    ``__call__`` so pipelines can be nested, and ``__len__`` / ``__iter__``
    so it behaves like a sequence. Subclasses should call ``__init__`` of
    the base class and may override ``__repr__``.
    """

    def __init__(self, *steps):
        self.steps = list(steps)

    def __call__(self, df):
        for step in self.steps:
            df = step(df)
        return df

    def __len__(self):
        return len(self.steps)

    def __iter__(self):
        return iter(self.steps)


class AddReturns:
    def __call__(self, df):
        df = df.copy()
        df["ret"] = df["close"].pct_change()
        return df


class AddZScore:
    def __init__(self, window=20):
        self.window = window

    def __call__(self, df):
        r = df["ret"]
        df["z"] = (r - r.rolling(self.window).mean()) / r.rolling(self.window).std()
        return df


class ZScoreReversalStrategy:
    """Fade extreme one-bar moves. Uses :class:`SignalPipeline` (see its ``__call__``)."""

    def initialize(self, df):
        self.df = SignalPipeline(AddReturns(), AddZScore())(df)

    def generate_signals(self):
        return np.sign(-self.df["z"].where(self.df["z"].abs() > 2, 0)).fillna(0)


st = ZScoreReversalStrategy()
st.initialize(pd.DataFrame({"close": 100 + np.random.randn(400).cumsum()}))
print(st.generate_signals().value_counts())
