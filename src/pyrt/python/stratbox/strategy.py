"""The strategy API (docs/strategy-api.md): a class driven bar by bar.

    from stratbox import BaseStrategy

    class SmaCross(BaseStrategy):
        params = {"fast": 10, "slow": 30}   # defaults; the run's config overrides them
        warmup = 30                         # first call on bar index 30 (0-based)

        def generate_signals(self, current_data):
            c = current_data.close          # numpy, oldest first, newest = current bar
            if c[-10:].mean() > c[-30:].mean() and self.position <= 0:
                return [self.close(), self.buy()]
            return []

The strategy sees the bars up to and including the current one, and nothing
after it: the next bar is not in this process until the strategy has
answered for the current one.  It only sends orders; the engine outside the
sandbox fills them and computes every number of the result.  The account
state it is shown (position, cash, equity) is the engine's, after the
current bar's fills.
"""

import math

import numpy as np

__all__ = ["BaseStrategy", "Bars", "Column", "SignalError"]

# Module names LLM-written code imports BaseStrategy from, when it guesses
# (`from strategy import BaseStrategy`): a backtest allows each of them and
# gives this module.  The one true import is `from stratbox import
# BaseStrategy`.  Kept equal to BT_MODULE_ALIASES in src/engine/backtest.c
# (a test checks).
MODULE_ALIASES = ("strategy", "strategies", "base_strategy", "basestrategy", "strategy_base",
                  "base", "backtest", "backtester", "backtesting_framework", "trading",
                  "trading_strategy", "framework", "strategy_framework", "engine", "core",
                  "stratbox_strategy", "strategy_api", "bt", "lib")


class SignalError(ValueError):
    """A signal the engine cannot take (raised with the bar it was sent on)."""


ACTIONS = ("buy", "sell", "close", "cancel")
_PRICE_FIELDS = ("limit", "stop", "sl", "tp")


class BaseStrategy:
    """Subclass it; define generate_signals(self, current_data).

    Attributes kept current before each call: config (params merged with the
    run's config), position (signed size held in the first symbol),
    positions (by symbol), cash, equity, bar_index (0-based), symbols."""

    params = {}
    warmup = 0

    def __init__(self, config=None, **kwargs):
        """The engine makes the instance (its config set first); a strategy's
        own __init__ may call super().__init__() or not."""
        if "_sbx_ready" in self.__dict__:
            if config or kwargs:
                self.config.update(config or {}, **kwargs)
            return
        merged = dict(type(self).params or {})
        merged.update(config or {}, **kwargs)
        BaseStrategy._setup(self, merged, ["ASSET"])

    def _setup(self, config, symbols, cash=0.0):
        self._sbx_ready = True
        self.config = config
        self.params = config        # LLM code reads either
        self.symbols = list(symbols)
        self.symbol = self.symbols[0]
        self.position = 0.0
        self.positions = {s: 0.0 for s in self.symbols}
        self.cash = self.equity = self.available = float(cash)  # the starting cash until bar one
        self.bar_index = -1

    def initialize(self):
        """Called once, before the first bar."""

    def generate_signals(self, current_data):
        """Return a list of signals (or None): self.buy(), self.sell(),
        self.close(), self.cancel(), or plain dicts with the same keys."""
        return []

    # ---- signals -------------------------------------------------------
    def buy(self, size=None, symbol=None, limit=None, stop=None, sl=None, tp=None):
        """Go long: size None = all available equity, 0 < size < 1 = that
        fraction of it, size >= 1 = units.  limit/stop make it a limit,
        stop or stop-limit order; sl/tp attach a stop-loss/take-profit."""
        return {"action": "buy", "symbol": symbol, "size": size, "limit": limit, "stop": stop,
                "sl": sl, "tp": tp}

    def sell(self, size=None, symbol=None, limit=None, stop=None, sl=None, tp=None):
        """Go short (or reduce a long: an opposite order closes open trades
        first), with the same arguments as buy()."""
        return {"action": "sell", "symbol": symbol, "size": size, "limit": limit, "stop": stop,
                "sl": sl, "tp": tp}

    def close(self, symbol=None):
        """Close every open trade in the symbol (default: the first) and
        cancel its pending entries; nothing open, nothing happens."""
        return {"action": "close", "symbol": symbol}

    def cancel(self, symbol=None):
        """Cancel the symbol's pending orders."""
        return {"action": "cancel", "symbol": symbol}


def _finite_positive(v):
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) \
        and math.isfinite(v) and v > 0


def normalize_signals(signals, symbols, bar_index):
    """The strategy's answer as a list of (action, symbol index, size,
    limit, stop, sl, tp) tuples, None for an absent field.  A bad signal is
    a SignalError naming the bar and the signal, raised in the strategy's
    own process, so its traceback points at its own code; the engine checks
    everything again outside."""
    if signals is None:
        return []
    if isinstance(signals, dict):
        signals = [signals]
    if not isinstance(signals, (list, tuple)):
        raise SignalError(f"bar {bar_index}: generate_signals must return a list of signals "
                          f"or None, not {type(signals).__name__}")
    out = []
    for k, s in enumerate(signals):
        where = f"bar {bar_index}, signal {k} ({s!r})"
        if not isinstance(s, dict):
            raise SignalError(f"{where}: a signal is a dict such as self.buy() returns")
        action = s.get("action")
        if isinstance(action, str):
            action = action.lower()
        if action not in ACTIONS:
            raise SignalError(f"{where}: unknown action {s.get('action')!r}; use one of "
                              f"{', '.join(ACTIONS)}")
        unknown = set(s) - {"action", "symbol", "size", "limit", "stop", "sl", "tp"}
        if unknown:
            raise SignalError(f"{where}: unknown keys {sorted(unknown)}")
        sym = s.get("symbol")
        if sym is None:
            idx = 0
        elif isinstance(sym, str) and sym in symbols:
            idx = symbols.index(sym)
        else:
            raise SignalError(f"{where}: unknown symbol {sym!r}; symbols: {', '.join(symbols)}")
        size = s.get("size")
        if size is not None and not _finite_positive(size):
            raise SignalError(f"{where}: size must be a positive number (or None for all "
                              "available equity)")
        prices = []
        for f in _PRICE_FIELDS:
            v = s.get(f)
            if v is not None and not _finite_positive(v):
                raise SignalError(f"{where}: {f} must be a positive price")
            prices.append(None if v is None else float(v))
        out.append((action, idx, None if size is None else float(size), *prices))
    return out


class _ILoc:
    __slots__ = ("_of",)

    def __init__(self, of):
        self._of = of

    def __getitem__(self, key):
        return self._of._iloc(key)


class Column(np.ndarray):
    """One column of bars as current_data["close"] gives it: a numpy array
    (a view, oldest first) that also answers the pandas Series methods
    strategies use (.iloc, .rolling, .ewm, .pct_change, .shift, ...), which
    build the Series on demand.  current_data.close is a plain array (numpy
    reductions are faster on it)."""

    @property
    def iloc(self):
        return _ILoc(self)

    def _iloc(self, key):
        v = np.ndarray.__getitem__(self.view(np.ndarray), key)
        return v.view(Column) if isinstance(v, np.ndarray) else v

    def __array_wrap__(self, obj, context=None):
        # reductions give plain numbers, as on a plain array
        if obj.ndim == 0:
            return obj[()]
        return np.ndarray.__array_wrap__(self, obj, context)

    # A Series' meaning where numpy's differs: the sample deviation (ddof=1)
    # and clip(lower=, upper=).
    def std(self, axis=None, dtype=None, out=None, ddof=1, **kwargs):
        return np.ndarray.std(self.view(np.ndarray), axis=axis, dtype=dtype, out=out, ddof=ddof)

    def var(self, axis=None, dtype=None, out=None, ddof=1, **kwargs):
        return np.ndarray.var(self.view(np.ndarray), axis=axis, dtype=dtype, out=out, ddof=ddof)

    def clip(self, lower=None, upper=None, *args, **kwargs):
        return np.clip(self.view(np.ndarray), lower, upper).view(Column)

    @property
    def values(self):
        return self.view(np.ndarray)

    def to_numpy(self, *args, **kwargs):
        return self.view(np.ndarray)

    def series(self):
        import pandas as pd

        return pd.Series(self.view(np.ndarray))

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        import pandas as pd

        attr = getattr(pd.Series, name, None)
        if attr is None:
            raise AttributeError(f"'Column' object has no attribute {name!r}")
        return getattr(self.series(), name)


_COLUMNS = ("open", "high", "low", "close", "volume")


class Row:
    """One bar: .open ... .volume, .time, and the same by key."""

    __slots__ = ("open", "high", "low", "close", "volume", "time")

    def __init__(self, o, h, l, c, v, t):
        self.open, self.high, self.low, self.close, self.volume, self.time = o, h, l, c, v, t

    def __getitem__(self, key):
        k = key.lower() if isinstance(key, str) else key
        if k in ("open", "high", "low", "close", "volume", "time"):
            return getattr(self, k)
        raise KeyError(key)

    get = lambda self, key, default=None: self[key] if str(key).lower() in Row.__slots__ else default  # noqa: E731

    def __repr__(self):
        return (f"Row(time={self.time}, open={self.open}, high={self.high}, low={self.low}, "
                f"close={self.close}, volume={self.volume})")


class Bars:
    """The bars of one symbol up to the current one (current_data).

    .open .high .low .close .volume: numpy arrays (views); .time and .index:
    numpy datetime64; ["close"] and ["Close"] the same as a Column (which
    also has the Series methods); len(); .iloc[-1] a Row, .iloc[a:b] Bars;
    .df a pandas DataFrame, built only when asked.
    With several symbols, current_data["GOOG"] is that symbol's Bars (the
    attributes above are the first symbol's)."""

    __slots__ = ("_store", "_lo", "_hi", "_symbols", "_df", "_df_key")

    def __init__(self, store, lo=0, hi=None, symbols=None):
        self._store = store          # the symbol's growing arrays (_Store)
        self._lo = lo
        self._hi = hi                # None: up to the current bar
        self._symbols = symbols      # {name: Bars} for the multi-symbol view
        self._df = None
        self._df_key = None

    def _end(self):
        return self._store.n if self._hi is None else self._hi

    def _col(self, i):
        return self._store.cols[i][self._lo:self._end()]

    def _column(self, i):
        return self._store.cols[i][self._lo:self._end()].view(Column)

    open = property(lambda self: self._col(0))
    high = property(lambda self: self._col(1))
    low = property(lambda self: self._col(2))
    close = property(lambda self: self._col(3))
    volume = property(lambda self: self._col(4))

    @property
    def time(self):
        return self._store.time[self._lo:self._end()]

    index = time

    @property
    def symbol(self):
        return self._store.symbol

    @property
    def columns(self):
        return ["open", "high", "low", "close", "volume"]

    @property
    def shape(self):
        return (len(self), 5)

    def __len__(self):
        return self._end() - self._lo

    def __getitem__(self, key):
        if isinstance(key, str):
            k = key.lower()
            if k in _COLUMNS:
                return self._column(_COLUMNS.index(k))
            if k in ("time", "date", "datetime", "timestamp"):
                return self.time
            if k == "adj close":
                return self._column(3)
            if self._symbols and key in self._symbols:
                return self._symbols[key]
            raise KeyError(f"{key!r}: columns are open, high, low, close, volume, time"
                           + (f"; symbols: {', '.join(self._symbols)}" if self._symbols else ""))
        if isinstance(key, (list, tuple)):
            return self.df[[c.lower() for c in key]]
        raise TypeError("current_data[...] takes a column name or a symbol")

    def __contains__(self, key):
        return isinstance(key, str) and (key.lower() in _COLUMNS or bool(self._symbols and key in self._symbols))

    def keys(self):
        return self.columns

    @property
    def iloc(self):
        return _ILoc(self)

    def _iloc(self, key):
        n = len(self)
        if isinstance(key, slice):
            start, stop, step = key.indices(n)
            if step != 1:
                return self.df.iloc[key]
            return Bars(self._store, self._lo + start, self._lo + max(start, stop))
        i = int(key)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"bar {key} of {n}")
        j = self._lo + i
        c = self._store.cols
        return Row(float(c[0][j]), float(c[1][j]), float(c[2][j]), float(c[3][j]),
                   float(c[4][j]), self._store.time[j])

    def tail(self, n=5):
        return self._iloc(slice(max(0, len(self) - n), len(self)))

    def head(self, n=5):
        return self._iloc(slice(0, min(n, len(self))))

    @property
    def df(self):
        """The bars as a pandas DataFrame indexed by time, built at most once
        per bar: open, high, low, close, volume, and the same as Open, High,
        Low, Close, Volume (generated code writes either)."""
        key = (self._lo, self._end())
        if self._df is None or self._df_key != key:
            import pandas as pd

            cols = {c: self._col(i).view(np.ndarray) for i, c in enumerate(_COLUMNS)}
            cols.update({c.capitalize(): v for c, v in list(cols.items())})
            self._df = pd.DataFrame(cols, index=pd.DatetimeIndex(self.time, name="time"))
            self._df_key = key
        return self._df

    def __getattr__(self, name):
        # everything else a DataFrame has (rolling, describe, ...), built on demand
        if name.startswith("_"):
            raise AttributeError(name)
        import pandas as pd

        if getattr(pd.DataFrame, name, None) is None:
            raise AttributeError(f"'Bars' object has no attribute {name!r}")
        return getattr(self.df, name)

    def __repr__(self):
        return f"Bars({self.symbol}, {len(self)} bars)"


class _Store:
    """A symbol's bars so far, in arrays sized for the whole run (only the
    first n hold bars: the rest is zeros, never a future price)."""

    __slots__ = ("symbol", "cols", "time", "n")

    def __init__(self, symbol, capacity):
        self.symbol = symbol
        self.cols = [np.zeros(capacity) for _ in _COLUMNS]
        self.time = np.zeros(capacity, dtype="datetime64[s]")
        self.n = 0

    def append(self, o, h, l, c, v, t):
        i = self.n
        cols = self.cols
        cols[0][i] = o
        cols[1][i] = h
        cols[2][i] = l
        cols[3][i] = c
        cols[4][i] = v
        self.time[i] = t
        self.n = i + 1
