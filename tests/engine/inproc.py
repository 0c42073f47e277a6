#!/usr/bin/python3
"""`stratbox backtest` against the same strategy run in this process.

For each case, the strategy class runs here, outside any sandbox, bar by
bar over the same CSV files: the bars a bar at a time in the same arrays
the slot gets (stratbox.strategy's _Store and Bars, zeros after the current
bar), the account it is shown kept by tests/engine/reference.py's broker
(an independent reimplementation of docs/backtest.md), its signals
normalised by stratbox.strategy.normalize_signals, exactly as the slot's
runtime does.  The orders it sends on each bar are written as JSON lines
and run through the C engine alone (tests/engine/engine-run --orders), or,
for a vectorised strategy, its targets (--targets).  Then every metric,
every trade, every equity point and the order counts of that run must
equal those of `stratbox backtest --json` on the same files, where the
strategy ran in the sandbox in lockstep with the engine (the CLI prints 15
significant digits: each number of the direct run is compared at that
precision).  One line per case, then:

    inproc: N passed, N failed, 0 skipped

Usage: /usr/bin/python3 tests/engine/inproc.py STRATBOX ENGINE-RUN [DATA-DIR] [--keep DIR]
       [--filter S]
(DATA-DIR: the bundled bars, data/ by default; run as root, or as a user
stratbox can sandbox; Debian's python3 with numpy and pandas.)
"""

import json
import math
import os
import subprocess
import sys
import tempfile
import types

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "src", "pyrt", "python"))

import reference as ref  # noqa: E402

# stratbox._backtest imports the zygote's built-in module; its helpers
# (the class found, the instance made, the warmup, the targets checked) are
# what the slot runs, and need nothing of it.
sys.modules.setdefault("_stratbox_ls", types.ModuleType("_stratbox_ls"))
from stratbox import _backtest  # noqa: E402
from stratbox.strategy import Bars, BaseStrategy, _Store, normalize_signals  # noqa: E402

FILES = {"GOOG": "GOOG.csv", "NVDA": "nvda-1999-2014.txt", "ORCL": "orcl-1995-2014.txt",
         "YHOO": "yhoo-1996-2015.txt", "EURUSD": "EURUSD.csv", "BTCUSD": "BTCUSD.csv"}

# ---------------------------------------------------------------- strategies

SMA_CROSS = '''
class SmaCross(BaseStrategy):
    params = {"fast": 10, "slow": 30}
    warmup = 30

    def generate_signals(self, current_data):
        c = current_data.close
        f, s = self.config["fast"], self.config["slow"]
        if c[-f:].mean() > c[-s:].mean():
            if self.position <= 0:
                return [self.close(), self.buy()]
        elif self.position > 0:
            return [self.close()]
        return []
'''

# limit, stop and stop-limit entries, sl/tp, shorts, partial sizes, units,
# cancels; decisions that read the account (position, cash, equity,
# available), the DataFrame and the Series methods
ORDERS = '''
from stratbox import BaseStrategy
import numpy as np


class Breakout(BaseStrategy):
    params = {"lookback": 20, "risk": 0.5}
    warmup = 20

    def initialize(self):
        self.entries = 0

    def generate_signals(self, data):
        n = self.config["lookback"]
        hi = float(data.high[-n:].max())
        lo = float(data.low[-n:].min())
        c = float(data.close[-1])
        ma = data["close"].rolling(n).mean().iloc[-1]
        out = []
        if self.bar_index % 37 == 0:
            out.append(self.cancel())
        if self.position == 0:
            if c > ma:
                out.append(self.buy(size=self.config["risk"], stop=round(hi * 1.001, 2),
                                    sl=round(lo, 2), tp=round(hi * 1.08, 2)))
            else:
                out.append(self.sell(size=7, limit=round(c * 1.01, 2),
                                     sl=round(c * 1.06, 2), tp=round(c * 0.93, 2)))
            self.entries += 1
        elif self.position > 0 and c < ma * 0.97:
            out.append(self.close())
        elif self.position < 0 and self.equity > self.cash * 1.02:
            out.append({"action": "close", "symbol": None, "size": None})
        if self.bar_index % 50 == 25 and self.available > 1000:
            out.append(self.buy(size=3, stop=round(c * 1.03, 2), limit=round(c * 1.035, 2)))
        return out
'''

# two symbols on the union of their dates (YHOO starts later: NaN before)
ROTATION = '''
import math


class Rotation(BaseStrategy):
    params = {"lookback": 40}
    warmup = 40

    def generate_signals(self, current_data):
        n = self.config["lookback"]
        best, score = None, 0.0
        for sym in self.symbols:
            c = current_data[sym].close
            if len(c) <= n or math.isnan(c[-n - 1]) or math.isnan(c[-1]):
                continue
            r = c[-1] / c[-n - 1] - 1
            if r > score:
                best, score = sym, r
        out = []
        for sym in self.symbols:
            if self.positions[sym] != 0 and sym != best:
                out.append(self.close(symbol=sym))
        if best is not None and self.positions[best] == 0:
            out.append(self.buy(size=0.45, symbol=best))
        return out
'''

VECTOR = '''
import numpy as np
import pandas as pd


class VectorSma(BaseStrategy):
    params = {"fast": 12, "slow": 40}
    warmup = 40

    def signals(self, data):
        c = pd.Series(data.close)
        f = c.rolling(self.config["fast"]).mean()
        s = c.rolling(self.config["slow"]).mean()
        t = np.where(f > s, 1.0, np.where(f < s, -0.5, 0.0))
        t[: self.config["slow"]] = np.nan
        return t
'''

# an order placed on the last bar: with trade on close and the hold policy
# the engine fills it at that bar's Close (docs/backtest.md)
LAST_BAR = '''
class LastBar(BaseStrategy):
    def generate_signals(self, d):
        if len(d) == 60:
            return [self.buy(size=10)]
        return []
'''

CASES = [
    dict(name="sma-cross GOOG", code=SMA_CROSS, syms=["GOOG"]),
    dict(name="sma-cross GOOG fast=5 slow=20 commission spread", code=SMA_CROSS, syms=["GOOG"],
         params={"fast": 5, "slow": 20}, cfg=dict(commission=0.001, spread=0.0005)),
    dict(name="breakout NVDA limit/stop/sl/tp", code=ORDERS, syms=["NVDA"],
         cfg=dict(commission=0.0005, commission_fixed=1.0)),
    dict(name="breakout ORCL trade-on-close hold margin 0.5", code=ORDERS, syms=["ORCL"],
         start="2000-01-01", end="2006-12-31",
         cfg=dict(trade_on_close=True, end_policy="hold", margin=0.5)),
    dict(name="rotation ORCL+YHOO", code=ROTATION, syms=["ORCL", "YHOO"], start="1995-06-01",
         end="2003-12-31", cfg=dict(commission=0.001)),
    dict(name="vectorised sma GOOG (targets)", code=VECTOR, syms=["GOOG"],
         cfg=dict(commission=0.0005)),
    dict(name="vectorised sma EURUSD margin 0.1", code=VECTOR, syms=["EURUSD"],
         params={"fast": 24, "slow": 96}, cfg=dict(margin=0.1)),
    dict(name="an order on the last bar (trade-on-close, hold)", code=LAST_BAR, syms=["GOOG"],
         end="2004-11-11", cfg=dict(trade_on_close=True, end_policy="hold")),
]

# ---------------------------------------------------------------- the run here


def load(data_dir, syms, start, end):
    """reference.Data (the engine's alignment), with each symbol's volume
    aligned as the engine does it (0 where the symbol has no bar)."""
    frames, vols = [], []
    for s in syms:
        path = os.path.join(data_dir, FILES[s])
        frames.append(ref.read_bars(path))
        raw = pd.read_csv(path)
        vol = [c for c in raw.columns if c.strip().lower() == "volume"]
        vols.append(pd.Series(raw[vol[0]].astype(float).values if vol else 0.0,
                              index=frames[-1].index))
    d = ref.Data(frames, syms, start, end)
    d.volume = [v.reindex(d.index).fillna(0.0).values for v in vols]
    return d


def run_here(case, data):
    """The strategy driven as the slot drives it; returns (mode, warmup,
    orders by bar, or the targets)."""
    env = {"__name__": "__main__", "__file__": "strategy.py", "BaseStrategy": BaseStrategy}
    exec(compile(case["code"], "strategy.py", "exec"), env)
    cls = _backtest.find_class(env, None)
    config = dict(getattr(cls, "params", None) or {}, **case.get("params", {}))
    syms, n = data.names, data.n
    stores, full = [], []
    for k, name in enumerate(syms):
        st = _Store(name, n)  # zeros after the current bar, as in the region
        st.time = data.time.astype("int64").view("datetime64[s]")
        full.append([np.array(c, dtype=np.float64) for c in
                     (data.open[k], data.high[k], data.low[k], data.close[k], data.volume[k])])
        stores.append(st)
    bars = Bars(stores[0]) if len(syms) == 1 else \
        Bars(stores[0], symbols={s.symbol: Bars(s) for s in stores})

    def reveal(upto):
        for st, cols in zip(stores, full):
            for c in range(5):
                st.cols[c][:upto] = cols[c][:upto]
            st.n = upto

    if callable(getattr(cls, "signals", None)):
        s = _backtest._make(cls, config, syms)
        w = _backtest._warmup(s, n)
        reveal(n)
        s = _backtest._make(cls, config, syms)  # the full run's own fresh instance
        s.initialize()
        s.bar_index = n - 1
        return "vectorised", w, _backtest._targets(s.signals(bars), n)
    s = _backtest._make(cls, config, syms)
    s.initialize()
    w = _backtest._warmup(s, n)
    cfg = ref.Config(warmup=w, **case.get("cfg", {}))
    broker = ref.Broker(data, cfg)
    orders = {}
    for t in range(n):
        broker.step()
        if broker.ruined is not None:
            break
        if t < w:
            continue
        reveal(t + 1)
        px = [data.close[k][t] for k in range(len(syms))]
        s.cash = float(broker.cash)
        s.equity = float(broker.equity[t])
        s.available = float(broker.available(px))
        pos = [float(broker.units_of(k) * broker.unit) for k in range(len(syms))]
        s.position = pos[0]
        s.positions = dict(zip(syms, pos))
        s.bar_index = t
        sig = normalize_signals(s.generate_signals(bars), syms, t)
        if not sig:
            continue
        lst = []
        for action, sym, size, limit, stop, sl, tp in sig:
            o = {"action": action, "symbol": sym}
            for k, v in (("size", size), ("limit", limit), ("stop", stop), ("sl", sl),
                         ("tp", tp)):
                if v is not None:
                    o[k] = v
            lst.append(o)
        orders[t] = lst
        broker.place([ref.Order(o["action"], o["symbol"], t, o.get("size"), o.get("limit"),
                                o.get("stop"), o.get("sl"), o.get("tp")) for o in lst])
        if broker.ruined is not None:
            break
    return "event", w, orders

# ---------------------------------------------------------------- comparing


def options(case):
    out = []
    cfg = case.get("cfg", {})
    for key, flag in (("commission", "--commission"), ("commission_fixed", "--commission-fixed"),
                      ("spread", "--spread"), ("margin", "--margin"),
                      ("fractional", "--fractional")):
        if key in cfg:
            out += [flag, repr(float(cfg[key]))]
    if cfg.get("trade_on_close"):
        out.append("--trade-on-close")
    if "end_policy" in cfg:
        out += ["--end-policy", cfg["end_policy"]]
    if case.get("start"):
        out += ["--start", case["start"]]
    if case.get("end"):
        out += ["--end", case["end"]]
    return out


def at15(x):
    """A number as the CLI prints it (%.15g), read back."""
    if isinstance(x, float) and math.isfinite(x):
        return float("%.15g" % x)
    return x


def diff(a, b, path, out):
    """Every difference between the direct run (a) and the sandboxed one (b)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append("%s.%s: only in the %s run" % (path, k, "direct" if k in a else
                                                           "sandboxed"))
            else:
                diff(a[k], b[k], "%s.%s" % (path, k), out)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append("%s: %d items direct, %d sandboxed" % (path, len(a), len(b)))
        for i, (x, y) in enumerate(zip(a, b)):
            diff(x, y, "%s[%d]" % (path, i), out)
            if len(out) > 20:
                return
    elif isinstance(a, (int, float)) and isinstance(b, (int, float)) and \
            not isinstance(a, bool) and not isinstance(b, bool):
        if at15(float(a)) != float(b) and not (math.isnan(float(a)) and math.isnan(float(b))):
            out.append("%s: %r direct, %r sandboxed" % (path, a, b))
    elif a != b:
        out.append("%s: %r direct, %r sandboxed" % (path, a, b))


def run_case(case, stratbox, engine, data_dir, work):
    data = load(data_dir, case["syms"], case.get("start"), case.get("end"))
    mode, w, got = run_here(case, data)
    tag = case["name"].split()[0]
    strat = os.path.join(work, tag + ".py")
    with open(strat, "w") as f:
        f.write(case["code"])
    os.chmod(strat, 0o644)
    datas = []
    for s in case["syms"]:
        datas += ["--data", "%s=%s" % (s, os.path.join(data_dir, FILES[s]))]
    # the direct run: the C engine alone on what the strategy sent here
    args = [engine] + datas + options(case) + ["--warmup", str(w)]
    if mode == "vectorised":
        path = os.path.join(work, tag + ".targets")
        with open(path, "w") as f:
            f.write("".join("nan\n" if math.isnan(x) else "%r\n" % float(x) for x in got))
        args += ["--targets", path]
    else:
        path = os.path.join(work, tag + ".orders")
        with open(path, "w") as f:
            for t in sorted(got):
                f.write(json.dumps({"bar": t, "orders": got[t]}) + "\n")
        args += ["--orders", path]
    p = subprocess.run(args, capture_output=True, text=True)
    if p.returncode != 0:
        return ["engine-run: " + p.stderr.strip()], ""
    direct = json.loads(p.stdout)
    # the sandboxed run
    params = []
    for k, v in case.get("params", {}).items():
        params += ["--param", "%s=%s" % (k, json.dumps(v))]
    p = subprocess.run([stratbox, "backtest", strat] + datas + options(case) + params +
                       ["--json", "--cpus", "1", "--seed", "1", "--timeout", "120"],
                       capture_output=True, text=True)
    try:
        boxed = json.loads(p.stdout)
    except ValueError:
        return ["stratbox backtest exited %d: %s" % (p.returncode, p.stderr.strip()[:500])], ""
    if boxed.get("status") != "OK":
        return ["stratbox backtest: %s: %s" % (boxed.get("status"), boxed.get("error"))], ""
    problems = []
    if boxed.get("mode") != mode:
        problems.append("mode: %s direct, %s sandboxed" % (mode, boxed.get("mode")))
    if boxed.get("lookahead_bars"):
        problems.append("lookahead reported: %s" % boxed["lookahead_bars"][:5])
    if boxed.get("config", {}).get("warmup") != w:
        problems.append("warmup: %d direct, %s sandboxed" % (w, boxed.get("config", {})
                                                              .get("warmup")))
    for key in ("metrics", "trades", "equity", "orders", "ruined_at"):
        diff(direct.get(key), boxed.get(key), key, problems)
    ntrades = len(boxed.get("trades") or [])
    if mode == "event":
        norders = sum(len(v) for v in got.values())
        info = "%d orders on %d bars, %d trades" % (norders, len(got), ntrades)
    else:
        info = "%d targets, %d trades" % (len(got), ntrades)
    if not ntrades:
        problems.append("no trades: nothing compared")
    return problems, info


def main():
    argv = sys.argv[1:]
    keep = filt = None
    if "--keep" in argv:
        keep = argv[argv.index("--keep") + 1]
        del argv[argv.index("--keep"):argv.index("--keep") + 2]
    if "--filter" in argv:
        filt = argv[argv.index("--filter") + 1]
        del argv[argv.index("--filter"):argv.index("--filter") + 2]
    if len(argv) < 2:
        print(__doc__)
        return 2
    stratbox, engine = os.path.abspath(argv[0]), os.path.abspath(argv[1])
    data_dir = os.path.abspath(argv[2] if len(argv) > 2 else os.path.join(ROOT, "data"))
    work = keep or tempfile.mkdtemp(prefix="stratbox-inproc.")
    os.makedirs(work, exist_ok=True)
    os.chmod(work, 0o755)  # the sandbox's user reads the strategy file
    passed = failed = 0
    for case in CASES:
        if filt and filt not in case["name"]:
            continue
        try:
            problems, info = run_case(case, stratbox, engine, data_dir, work)
        except Exception as e:  # noqa: BLE001 - a case that cannot run is a failure
            problems, info = ["%s: %s" % (type(e).__name__, e)], ""
        if problems:
            failed += 1
            print("FAIL  %-52s %s" % (case["name"], info))
            for p in problems[:20]:
                print("    " + p)
        else:
            passed += 1
            print("ok    %-52s %s" % (case["name"], info))
        sys.stdout.flush()
    if keep is None:
        for f in os.listdir(work):
            os.unlink(os.path.join(work, f))
        os.rmdir(work)
    print("inproc: %d passed, %d failed, 0 skipped" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
