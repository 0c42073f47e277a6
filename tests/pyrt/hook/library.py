# Library code that reads frames, compiles or imports on its own account
# must keep working with the hook on (each line would raise otherwise).
import dataclasses, collections, typing, enum, decimal, statistics, datetime, json, re
import functools, copy, math
import numpy as np
import pandas as pd

@dataclasses.dataclass(frozen=True)
class Config:
    fast: int = 10
    slow: int = 30
    tags: list = dataclasses.field(default_factory=list)

@dataclasses.dataclass(order=True)
class Trade:
    price: float
    size: float = 1.0
    def __post_init__(self):
        object.__setattr__(self, "size", abs(self.size))

Point = collections.namedtuple("Point", "x y")
class Bar(typing.NamedTuple):
    close: float
    volume: "int" = 0
Side = enum.Enum("Side", "BUY SELL")
class Mode(enum.Enum):
    FAST = 1
    SLOW = 2

cfg = Config()
assert repr(cfg) == "Config(fast=10, slow=30, tags=[])", repr(cfg)
assert copy.deepcopy(cfg) == cfg and Trade(2.0, -3).size == 3
assert Point(1, 2)._asdict() == {"x": 1, "y": 2} and Bar(1.0).volume == 0
assert Side.BUY.name == "BUY" and Mode(2) is Mode.SLOW
assert f"{cfg.__class__.__name__}" == "Config"

# pandas and numpy as strategies use them (pandas reads frames for its
# warnings; query and eval parse expressions)
df = pd.DataFrame({"close": np.linspace(100, 120, 50), "volume": np.arange(50)})
df["sma"] = df["close"].rolling(5).mean()
df["ema"] = df["close"].ewm(span=5).mean()
assert df.query("close > 119.5").shape[0] == 2
assert float(df.eval("close * 2").iloc[0]) == 200.0
g = df.assign(k=df.index % 3).groupby("k").agg({"close": ["mean", "std"]})
assert g.shape == (3, 2)
s = pd.Series([1.0, 2.0])
chained = df[df.close > 110]
chained["x"] = 1  # SettingWithCopyWarning: pandas walks frames to find our line
str(df.describe())
pd.to_datetime(["2024-01-02", "2024-03-04"])
np.random.default_rng(1).normal(size=10).mean()
np.linalg.lstsq(np.eye(3), np.ones(3), rcond=None)

# C code importing on the call's behalf, and lazy imports
datetime.datetime.strptime("2024-01-02 10:11", "%Y-%m-%d %H:%M")
"é".encode("cp1252")
assert decimal.Decimal("1.10") + decimal.Decimal("2.20") == decimal.Decimal("3.30")
assert statistics.median([3, 1, 2]) == 2
functools.lru_cache(maxsize=8)(lambda x: x)(1)

# an optional import falls back as written
try:
    import scipy.stats as stats  # noqa: not on the allow-list
    have_scipy = True
except ImportError:
    have_scipy = False
assert not have_scipy

# exceptions and their tracebacks, formatted by the library
import stratbox
try:
    raise ValueError("inner")
except ValueError as e:
    err = repr(e)
# logging and warnings with caller information (frames read by the
# library), traceback formatting
import logging, warnings, traceback
logging.basicConfig(level=logging.INFO, format="%(filename)s:%(lineno)d %(funcName)s %(message)s")
log = logging.getLogger("strategy")
def on_bar():
    log.info("bar seen")
on_bar()
warnings.warn("careful", UserWarning)
try:
    {}["missing"]
except KeyError:
    tb = traceback.format_exc()
assert "KeyError" in tb and "strategy.py" in tb, tb
print("LIBRARY OK", err, flush=True)
