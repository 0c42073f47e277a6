#!/usr/bin/python3
"""The C engine against an independent reimplementation (reference.py).

Each case is a data set, a configuration and a deterministic signal series
(targets or orders); the C engine runs through its test front end
(engine-run) and prints its result's JSON; reference.py computes the same
from the documents; every metric, every trade field, every equity point and
the order counts must agree (relative 1e-9).  One line per case, then:

    engine-reference: N passed, N failed, 0 skipped

Usage: /usr/bin/python3 tests/engine/compare.py ENGINE-RUN [DATA-DIR] [--keep DIR] [--filter S]
"""

import json
import math
import os
import subprocess
import sys
import tempfile
from datetime import datetime, timezone

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference as ref  # noqa: E402

FILES = {
    "GOOG": "GOOG.csv", "EURUSD": "EURUSD.csv", "BTCUSD": "BTCUSD.csv",
    "NVDA": "nvda-1999-2014.txt", "ORCL": "orcl-1995-2014.txt", "YHOO": "yhoo-1996-2015.txt",
    "IDX": "2006-day-001.txt", "IDX5": "2006-min-005.txt",
    # synthetic calendars the bundled data lacks (make-fixtures.py)
    "D7": "@daily-7d.csv", "WEEKLY": "@weekly.csv", "YEARLY": "@yearly.csv",
    "H24": "@hourly-24-7.csv",
}
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


def data_path(data_dir, sym):
    f = FILES[sym]
    return os.path.join(FIXTURES, f[1:]) if f.startswith("@") else os.path.join(data_dir, f)

# ---------------------------------------------------------------- signals


def sma(x, n):
    out = np.full(len(x), np.nan)
    c = np.cumsum(np.insert(x, 0, 0.0))
    out[n - 1:] = (c[n:] - c[:-n]) / n
    return out


def sma_targets(data, fast=10, slow=30):
    c = data.close[0]
    f, s = sma(c, fast), sma(c, slow)
    t = np.where(f > s, 1.0, -1.0)
    t[np.isnan(s)] = np.nan
    return t


def random_targets(data, seed, values=(-1, -0.5, 0, 0.3, 1, math.nan), change=0.15):
    rng = np.random.default_rng(seed)
    out, cur = [], 0.0
    for _ in range(data.n):
        if rng.random() < change:
            cur = float(rng.choice(values))
        out.append(cur)
    return np.array(out)


def sma_orders(data, sl_pct=0.05, tp_pct=0.10):
    """The classic: on a cross, close, then buy or sell with a stop-loss and
    a take-profit around the close."""
    c = data.close[0]
    f, s = sma(c, 10), sma(c, 30)
    out = {}
    for i in range(1, data.n):
        if np.isnan(s[i - 1]):
            continue
        up = f[i - 1] <= s[i - 1] and f[i] > s[i]
        down = f[i - 1] >= s[i - 1] and f[i] < s[i]
        if up:
            out[i] = [dict(action="close"), dict(action="buy", sl=c[i] * (1 - sl_pct),
                                                   tp=c[i] * (1 + tp_pct))]
        elif down:
            out[i] = [dict(action="close"), dict(action="sell", sl=c[i] * (1 + sl_pct),
                                                   tp=c[i] * (1 - tp_pct))]
    return out


def random_orders(data, seed, rate=0.12, nsym=1, units=(1, 5, 20)):
    """Every kind of order, at random but valid: market, limit, stop and
    stop-limit entries, sizes absent, fractional and in units, sl/tp on
    the right sides, partial closes, closes and cancels."""
    rng = np.random.default_rng(seed)
    out = {}
    for i in range(data.n - 1):
        if rng.random() >= rate:
            continue
        lst = []
        for _ in range(int(rng.integers(1, 4))):
            s = int(rng.integers(0, nsym))
            c = data.close[s][i]
            if math.isnan(c):
                continue
            k = rng.random()
            if k < 0.12:
                lst.append(dict(action="close", symbol=s))
                continue
            if k < 0.17:
                lst.append(dict(action="close", symbol=s, size=float(rng.choice([0.5, 2]))))
                continue
            if k < 0.22:
                lst.append(dict(action="cancel", symbol=int(rng.choice([s, -1]))))
                continue
            lng = rng.random() < 0.55
            o = dict(action="buy" if lng else "sell", symbol=s)
            z = rng.random()
            if z < 0.3:
                o["size"] = float(rng.choice([0.1, 0.25, 0.5, 0.9]))
            elif z < 0.6:
                o["size"] = float(rng.choice(units))
            kind = rng.random()
            ref_px = c
            d = float(rng.uniform(0.002, 0.03))
            if kind < 0.2:
                o["limit"] = ref_px = c * (1 - d if lng else 1 + d)
            elif kind < 0.35:
                o["stop"] = ref_px = c * (1 + d if lng else 1 - d)
            elif kind < 0.45:
                o["stop"] = c * (1 + d if lng else 1 - d)
                o["limit"] = ref_px = o["stop"] * (1 + (d / 2 if rng.random() < 0.5 else -d / 2) *
                                                   (1 if lng else -1))
            if rng.random() < 0.4:
                w = float(rng.uniform(0.01, 0.06))
                o["sl"] = ref_px * (1 - w if lng else 1 + w)
            if rng.random() < 0.4:
                w = float(rng.uniform(0.01, 0.08))
                o["tp"] = ref_px * (1 + w if lng else 1 - w)
            lst.append(o)
        if lst:
            out[i] = lst
    return out


# ---------------------------------------------------------------- cases

CASES = [
    dict(name="sma-targets GOOG", syms=["GOOG"], targets=lambda d: sma_targets(d)),
    dict(name="sma-targets NVDA commission spread trade-on-close", syms=["NVDA"],
         cfg=dict(commission=0.002, spread=0.001, trade_on_close=True),
         targets=lambda d: sma_targets(d, 5, 20)),
    dict(name="random-targets EURUSD margin 0.5 commissions", syms=["EURUSD"],
         cfg=dict(margin=0.5, commission=0.0002, commission_fixed=1.0),
         targets=lambda d: random_targets(d, 1)),
    dict(name="random-targets GOOG warmup 30 hold", syms=["GOOG"],
         cfg=dict(warmup=30, end_policy="hold", commission=0.001),
         targets=lambda d: random_targets(d, 2)),
    dict(name="random-targets GOOG margin 0.02 (ruin)", syms=["GOOG"], cfg=dict(margin=0.02),
         targets=lambda d: random_targets(d, 3, values=(-1, 1), change=0.3), expect_ruin=True),
    dict(name="random-targets BTCUSD fractional 1e-8", syms=["BTCUSD"],
         cfg=dict(fractional=1e-8, commission=0.001),
         targets=lambda d: random_targets(d, 4, change=0.3)),
    dict(name="random-targets ORCL start/end", syms=["ORCL"], start="2001-03-01", end="2003-12-31",
         cfg=dict(spread=0.0005), targets=lambda d: random_targets(d, 5)),
    dict(name="random-targets D7 every day (A=365)", syms=["D7"], cfg=dict(commission=0.001),
         targets=lambda d: random_targets(d, 6)),
    dict(name="random-targets WEEKLY jittered (A=52)", syms=["WEEKLY"],
         targets=lambda d: random_targets(d, 7, change=0.3)),
    dict(name="sma-targets YEARLY (A=1)", syms=["YEARLY"], targets=lambda d: sma_targets(d, 2, 4)),
    dict(name="sma-orders GOOG sl/tp", syms=["GOOG"], orders=lambda d: sma_orders(d)),
    dict(name="sma-orders YHOO commission fixed+rate spread", syms=["YHOO"],
         cfg=dict(commission=0.001, commission_fixed=2.0, spread=0.0005),
         orders=lambda d: sma_orders(d, 0.03, 0.06)),
    dict(name="random-orders YHOO", syms=["YHOO"], cfg=dict(commission=0.0005),
         orders=lambda d: random_orders(d, 11)),
    dict(name="random-orders NVDA margin 0.5 spread", syms=["NVDA"],
         cfg=dict(margin=0.5, spread=0.001, commission_fixed=1.0),
         orders=lambda d: random_orders(d, 12, units=(10, 100, 400))),
    dict(name="random-orders ORCL trade-on-close hold", syms=["ORCL"],
         cfg=dict(trade_on_close=True, end_policy="hold", commission=0.001),
         orders=lambda d: random_orders(d, 13, units=(10, 50, 300))),
    dict(name="random-orders GOOG+NVDA+ORCL margin 0.5", syms=["GOOG", "NVDA", "ORCL"],
         cfg=dict(margin=0.5, commission=0.001),
         orders=lambda d: random_orders(d, 14, rate=0.2, nsym=3, units=(5, 40, 200))),
    dict(name="random-orders IDX5+IDX intraday union", syms=["IDX5", "IDX"],
         cfg=dict(commission=0.0001),
         orders=lambda d: random_orders(d, 15, rate=0.1, nsym=2, units=(1, 2))),
    dict(name="random-orders BTCUSD fractional 1e-8 trade-on-close", syms=["BTCUSD"],
         cfg=dict(fractional=1e-8, trade_on_close=True, commission=0.002),
         orders=lambda d: random_orders(d, 16, rate=0.4, units=(1, 1.5, 2.25))),
    dict(name="random-orders D7+H24 daily and hourly union", syms=["D7", "H24"],
         cfg=dict(margin=0.5, commission=0.001, fractional=0.001),
         orders=lambda d: random_orders(d, 18, rate=0.2, nsym=2, units=(3, 30))),
    dict(name="random-orders H24 margin 0.25 fractional 0.001", syms=["H24"],
         cfg=dict(margin=0.25, fractional=0.001, commission=0.0005, spread=0.0002),
         orders=lambda d: random_orders(d, 19, rate=0.1, units=(1, 2.5))),
    dict(name="random-orders EURUSD margin 0.1 fractional 0.01", syms=["EURUSD"],
         cfg=dict(margin=0.1, fractional=0.01, spread=0.00005),
         orders=lambda d: random_orders(d, 17, rate=0.08, units=(1000, 5000.5))),
]

# ---------------------------------------------------------------- comparison

TOL = 1e-9


def iso(t):
    return datetime.fromtimestamp(int(t), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def same(a, b):
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    if b is None or (isinstance(b, float) and math.isnan(b)):
        return False
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return abs(a - b) <= TOL * max(1.0, abs(a), abs(b))


def compare(c_json, data, cfg, eq, trades, counts, ruined, m, problems):
    cm = c_json["metrics"]
    for k, v in m.items():
        want = iso(v) if k in ("start", "end") else v
        if k not in cm:
            problems.append(f"metric {k} missing")
        elif not same(want, cm[k]):
            problems.append(f"metric {k}: C {cm[k]!r}, reference {want!r}")
    extra = set(cm) - set(m)
    if extra:
        problems.append(f"metrics only in C: {sorted(extra)}")
    ct = c_json["trades"]
    if len(ct) != len(trades):
        problems.append(f"{len(ct)} trades in C, {len(trades)} in the reference")
    for i, (a, b) in enumerate(zip(ct, trades)):
        for k in ("symbol", "size", "entry_bar", "entry_price", "exit_bar", "exit_price", "pnl",
                  "return_pct", "commissions", "exit_reason", "sl", "tp"):
            if not same(b[k], a[k]):
                problems.append(f"trade {i} {k}: C {a[k]!r}, reference {b[k]!r}")
        if a["entry_time"] != iso(b["entry_time"]):
            problems.append(f"trade {i} entry_time {a['entry_time']}")
        if a["exit_time"] != (iso(b["exit_time"]) if b["exit_time"] is not None else None):
            problems.append(f"trade {i} exit_time {a['exit_time']}")
        if len(problems) > 12:
            return
    ce = c_json["equity"]
    if len(ce) != data.n:
        problems.append(f"{len(ce)} equity points for {data.n} bars")
        return
    peak = np.maximum.accumulate(eq)
    for i in range(data.n):
        if not same(eq[i], ce[i]["equity"]) or ce[i]["time"] != iso(data.time[i]) or \
                not same((1 - eq[i] / peak[i]) * 100 if peak[i] > 0 else 100, ce[i]["drawdown_pct"]):
            problems.append(f"equity at bar {i}: C {ce[i]}, reference {eq[i]!r}")
            break
    for k, v in counts.items():
        if c_json["orders"][k] != v:
            problems.append(f"orders.{k}: C {c_json['orders'][k]}, reference {v}")
    want_ruin = iso(data.time[ruined]) if ruined is not None else None
    if c_json["ruined_at"] != want_ruin:
        problems.append(f"ruined_at: C {c_json['ruined_at']}, reference {want_ruin}")


def to_ref_orders(orders):
    out = {}
    for bar, lst in orders.items():
        out[bar] = [ref.Order(o["action"], o.get("symbol", 0), bar, o.get("size"), o.get("limit"),
                              o.get("stop"), o.get("sl"), o.get("tp")) for o in lst]
    return out


def run_case(case, engine, data_dir, work):
    syms = case["syms"]
    frames = [ref.read_bars(data_path(data_dir, s)) for s in syms]
    start, end = case.get("start"), case.get("end")
    data = ref.Data(frames, syms,
                    start=start and f"{start} 00:00:00+00:00",
                    end=end and f"{end} 23:59:59+00:00")
    cfg_kw = case.get("cfg", {})
    cfg = ref.Config(**cfg_kw)
    args = [engine]
    for s in syms:
        args += ["--data", f"{s}={data_path(data_dir, s)}"]
    for k, v in cfg_kw.items():
        flag = "--" + k.replace("_", "-")
        if v is True:
            args.append(flag)
        else:
            args += [flag, str(v) if not isinstance(v, float) else repr(v)]
    if start:
        args += ["--start", start]
    if end:
        args += ["--end", end]
    slug = "".join(ch if ch.isalnum() else "-" for ch in case["name"])
    if "targets" in case:
        targets = case["targets"](data)
        path = os.path.join(work, slug + ".targets")
        with open(path, "w") as f:
            f.write("".join(f"{t!r}\n" for t in targets))
        args += ["--targets", path]
        eq, trades, counts, ruined = ref.run(data, cfg, targets=list(targets))
    else:
        orders = case["orders"](data)
        path = os.path.join(work, slug + ".orders")
        with open(path, "w") as f:
            for bar in sorted(orders):
                f.write(json.dumps(dict(bar=bar, orders=orders[bar])) + "\n")
        args += ["--orders", path]
        eq, trades, counts, ruined = ref.run(data, cfg, orders=to_ref_orders(orders))
    m, _ = ref.metrics(data, cfg, eq, trades)
    p = subprocess.run(args, capture_output=True, text=True)
    if p.returncode != 0:
        return [f"engine-run failed: {p.stderr.strip()}"], None
    c_json = json.loads(p.stdout)
    problems = []
    compare(c_json, data, cfg, eq, trades, counts, ruined, m, problems)
    if case.get("expect_ruin") and ruined is None:
        problems.append("the case was meant to reach ruin and did not")
    closed = m["trades"]
    return problems, f"{data.n} bars, {closed} closed trades, {counts['placed']} orders"


def main():
    argv = sys.argv[1:]
    keep = filt = None
    if "--keep" in argv:
        keep = argv[argv.index("--keep") + 1]
        del argv[argv.index("--keep"):argv.index("--keep") + 2]
    if "--filter" in argv:
        filt = argv[argv.index("--filter") + 1]
        del argv[argv.index("--filter"):argv.index("--filter") + 2]
    if not argv:
        print(__doc__)
        return 2
    engine = os.path.abspath(argv[0])
    data_dir = argv[1] if len(argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "data")
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        work = keep or tmp
        os.makedirs(work, exist_ok=True)
        for case in CASES:
            if filt and filt not in case["name"]:
                continue
            try:
                problems, what = run_case(case, engine, data_dir, work)
            except Exception as e:  # a crash of the reference is a failure too
                problems, what = [f"{type(e).__name__}: {e}"], None
            if problems:
                failed += 1
                print(f"FAIL {case['name']}")
                for p in problems[:12]:
                    print(f"    {p}")
            else:
                passed += 1
                print(f"ok   {case['name']} ({what})")
    print(f"engine-reference: {passed} passed, {failed} failed, 0 skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
