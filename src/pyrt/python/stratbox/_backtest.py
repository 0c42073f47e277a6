"""The slot's side of a backtest: drives the strategy class through the
lockstep region the job brought (src/pyrt/lockstep.h, docs/backtest.md).

The engine outside writes bar i+1 into the region only after it has read
the answers for bar i, so the arrays below hold zeros past the current bar:
there is nothing further to read, by any route.  This code runs in the same
process as the strategy, which can change anything here; the engine trusts
none of it and checks every answer.
"""

import json

import numpy as np

import _stratbox_ls as ls

from .strategy import Bars, BaseStrategy, SignalError, _Store, normalize_signals

# struct ls_header (lockstep.h): byte offsets
_NBARS, _NINST = 16, 24
_CONFIG_OFF, _CONFIG_LEN = 48, 56
_TIME_OFF, _COLS_OFF, _TARGETS_OFF = 64, 72, 104
_SLOT_MODE = 256
# (the accounts and answers are read and written by _stratbox_ls: answer, drive)
_EVENT, _VECTOR = 1, 2
_BAR, _CUT, _END = 1, 2, 3


def find_class(env, name):
    """The strategy class: the one subclass of BaseStrategy the code
    defines, or the one called name."""
    mine = [v for v in env.values()
            if isinstance(v, type) and issubclass(v, BaseStrategy) and v is not BaseStrategy
            and v.__module__ == env.get("__name__")]
    if name:
        for c in mine:
            if c.__name__ == name:
                return c
        raise LookupError(f"no strategy class named {name!r}; the code defines "
                          + (", ".join(sorted(c.__name__ for c in mine)) or "none"))
    if len(mine) == 1:
        return mine[0]
    if not mine:
        raise LookupError("the code defines no strategy: write a class that subclasses "
                          "BaseStrategy (from stratbox import BaseStrategy)")
    # a base class of the others is not the strategy (class Base(BaseStrategy); class Mine(Base))
    leaves = [c for c in mine if not any(o is not c and issubclass(o, c) for o in mine)]
    if len(leaves) == 1:
        return leaves[0]
    raise LookupError("the code defines several strategies ("
                      + ", ".join(sorted(c.__name__ for c in leaves))
                      + "): choose one with --strategy NAME")


def _init_args(cls, config):
    """How to call the strategy's own __init__: its named parameters that the
    config has (def __init__(self, fast=10, slow=30)), or the config itself
    for one other parameter (def __init__(self, params)), or nothing."""
    import inspect

    try:
        sig = inspect.signature(cls.__init__)
    except (TypeError, ValueError):
        return (), {}
    ps = list(sig.parameters.values())[1:]
    named = [p for p in ps if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    if any(p.kind == p.VAR_KEYWORD for p in ps):
        return (), dict(config)
    kw = {p.name: config[p.name] for p in named if p.name in config}
    if kw:
        return (), kw
    required = [p for p in named if p.default is p.empty]
    if len(required) == 1 and required[0].name in ("params", "config", "parameters", "settings",
                                                   "cfg", "kwargs", "options"):
        return (config,), {}
    return (), {}


def _make(cls, config, symbols, cash=0.0):
    """An instance with its config set before its own __init__ runs."""
    obj = cls.__new__(cls)
    BaseStrategy._setup(obj, config, symbols, cash)
    if cls.__init__ is not BaseStrategy.__init__:
        args, kwargs = _init_args(cls, config)
        cls.__init__(obj, *args, **kwargs)
    return obj


class _Region:
    def __init__(self, mv):
        self.mv = mv
        u64 = np.frombuffer(mv, dtype=np.uint64, count=48)
        self.u32 = np.frombuffer(mv, dtype=np.uint32, count=96)
        self.nbars = int(u64[_NBARS // 8])
        self.ninst = int(u64[_NINST // 8])
        off, n = int(u64[_CONFIG_OFF // 8]), int(u64[_CONFIG_LEN // 8])
        self.config = json.loads(bytes(mv[off:off + n]).decode("utf-8"))
        self.symbols = list(self.config["symbols"])
        self.cash = float(self.config.get("cash", 0.0))
        nsym = len(self.symbols)
        nb = self.nbars
        t = np.frombuffer(mv, dtype=np.int64, count=nb, offset=int(u64[_TIME_OFF // 8]))
        cols_off = int(u64[_COLS_OFF // 8])
        self.stores = []
        for s, name in enumerate(self.symbols):
            st = _Store.__new__(_Store)
            st.symbol = name
            st.cols = [np.frombuffer(mv, dtype=np.float64, count=nb,
                                     offset=cols_off + (s * 5 + c) * nb * 8) for c in range(5)]
            st.time = t.view("datetime64[s]")
            st.n = 0
            self.stores.append(st)
        self.targets_off = int(u64[_TARGETS_OFF // 8])

    def bars(self):
        if len(self.stores) == 1:
            return Bars(self.stores[0])
        return Bars(self.stores[0], symbols={s.symbol: Bars(s) for s in self.stores})

    def targets(self, inst, n):
        return np.frombuffer(self.mv, dtype=np.float64, count=n,
                             offset=self.targets_off + inst * self.nbars * 8)


def _warmup(s, nbars):
    w = getattr(s, "warmup", 0)
    try:
        w = int(w or 0)
    except (TypeError, ValueError):
        raise SignalError(f"warmup must be a whole number of bars, not {w!r}") from None
    return min(max(w, 0), max(nbars - 1, 0))


class _WarmCross(BaseStrategy):
    """warm()'s strategy: what nearly every event-driven one does a bar."""
    params = {"fast": 5, "slow": 12}

    def generate_signals(self, current_data):
        c = current_data.close
        fast = c[-self.config["fast"]:].mean()
        slow = c[-self.config["slow"]:].mean()
        if fast > slow and self.position <= 0:
            self.position = 1.0
            return [self.close(), self.buy()]
        if fast < slow and self.position >= 0:
            self.position = -1.0
            return [self.close(), self.sell()]
        return []


def warm(nbars=48):
    """In a fresh slot, before it is offered (stratbox._runner.warm): a
    backtest's per-bar path (Bars views, slices and reductions on them, the
    signal helpers and their checks) driven over a few bars of made-up
    prices, so that the first bars of a real run do not pay for copying the
    zygote's pages (measured: the first 100 bars of a cold slot cost about
    10 ms more than the next 100).  Trusted code, on data of its own: a job
    sees nothing of it."""
    st = _Store("W", nbars)
    for i in range(nbars):
        # negative: no bar of real data can ever equal one of these (bars
        # are checked for positive prices), so nothing a strategy finds in
        # memory from the warm-up passes for a price of its own run
        p = -(1000.0 + (i % 17) * 0.37 - (i % 5) * 0.11)
        st.append(p, p + 0.5, p - 0.5, p + 0.25, 1000.0, np.datetime64(i, "D"))
    st.n = 0
    bars = Bars(st)
    s = _make(_WarmCross, dict(_WarmCross.params), ["W"])
    s.initialize()
    for bar in range(nbars):
        st.n = bar + 1
        s.bar_index = bar
        if bar >= 12:
            normalize_signals(s.generate_signals(bars), ["W"], bar)


def run(env):
    mv = ls.region()
    r = _Region(mv)
    cfg = r.config
    cls = find_class(env, cfg.get("strategy"))
    vector = callable(getattr(cls, "signals", None))
    single = r.ninst == 1
    symbols = r.symbols
    configs = [dict(getattr(cls, "params", None) or {}, **inst.get("params", {}))
               for inst in cfg["instances"]]
    # hello: each instance made (event) or tried (vectorised), its warmup
    insts, warm = [], []
    for i, c in enumerate(configs):
        try:
            s = _make(cls, c, symbols, r.cash)
            s.initialize()
            w = _warmup(s, r.nbars)
            insts.append(None if vector else s)
            warm.append(w)
            ls.answer(i, w, [])
        except Exception as e:  # noqa: BLE001
            _failed(i, e, single)
            insts.append(None)
            warm.append(None)
    r.u32[_SLOT_MODE // 4] = _VECTOR if vector else _EVENT
    ls.post()
    if vector:
        _run_vector(r, cls, configs, warm, single)
    else:
        _run_event(r, insts, warm, single, symbols)


def _failed(i, e, single):
    if single:
        raise e
    ls.fail(i, f"{type(e).__name__}: {e}")


def _run_event(r, insts, warm, single, symbols):
    """Every bar until the host says the end: each live instance past its
    warmup shown its account (ls.sync), asked (generate_signals), its
    signals checked (normalize_signals) and written (ls.answer), then
    ls.post.  The loop itself is ls.drive, in C: it is the same loop, with
    the interpreter's share of each bar spared."""
    calls = [(i, s, warm[i]) for i, s in enumerate(insts) if s is not None]
    ls.drive(r.stores, calls, r.bars(), symbols, normalize_signals,
             lambda i, e: _failed(i, e, single))


def _run_vector(r, cls, configs, warm, single):
    alive = [w is not None for w in warm]
    seq = 0
    bars = r.bars()
    while True:
        seq, kind, upto = ls.next(seq)
        if kind != _CUT:
            return
        for st in r.stores:
            st.n = upto
        for i, c in enumerate(configs):
            if not alive[i]:
                continue
            try:
                s = _make(cls, c, r.symbols, r.cash)  # a fresh instance for every cut
                s.initialize()
                s.bar_index = upto - 1
                t = s.signals(bars)
                r.targets(i, upto)[:] = _targets(t, upto)
            except Exception as e:  # noqa: BLE001
                alive[i] = False
                _failed(i, e, single)
        ls.post()


def _targets(t, n):
    if t is None:
        raise SignalError("signals() returned None: return one target per bar")
    a = np.asarray(getattr(t, "to_numpy", lambda: t)(), dtype=np.float64).reshape(-1)
    if a.shape[0] != n:
        raise SignalError(f"signals() returned {a.shape[0]} targets for {n} bars: "
                          "return one per bar (NaN keeps the previous target)")
    bad = np.flatnonzero(np.abs(a) > 1)
    if bad.size:
        i = int(bad[0])
        raise SignalError(f"bar {i}: target {a[i]!r} is outside [-1, 1] (a signed "
                          "fraction of equity)")
    return a
