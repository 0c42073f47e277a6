"""The floor under a sandboxed backtest: the same strategy class driven bar
by bar in one plain python3 process, no sandbox, no lockstep, no engine.

    /usr/bin/python3 bench/bt_floor.py STRATEGY.py DATA.csv [INSTANCES] [REPEAT]

Uses stratbox's own Bars views and signal checks (src/pyrt/python), so the
only difference from `stratbox backtest` is what the sandbox and the
exchange with the engine add.  The account shown to the strategy is a
trivial one (its own last order's direction): the floor has no fills.
INSTANCES copies of the class (a sweep's share of one process) run on each
bar.  Prints microseconds per bar per instance (the best of REPEAT runs)
and the wall time.
"""

import os
import sys
import time

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "src", "pyrt", "python"))

sys.modules.setdefault("_stratbox_ls", type(sys)("_stratbox_ls"))  # the zygote's module: unused here
from stratbox.strategy import Bars, BaseStrategy, _Store, normalize_signals  # noqa: E402
from stratbox import _backtest  # noqa: E402


def load(path):
    rows = []
    with open(path) as f:
        head = f.readline().strip().split(",")
        cols = {h.strip().lower(): i for i, h in enumerate(head)}
        for line in f:
            p = line.strip().split(",")
            if len(p) < len(head):
                continue
            rows.append((np.datetime64(p[cols.get("date", 0)][:10]),
                         *(float(p[cols[c]]) for c in ("open", "high", "low", "close")),
                         float(p[cols["volume"]]) if "volume" in cols else 0.0))
    return rows


def main():
    code, data = sys.argv[1], sys.argv[2]
    inst = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    repeat = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    rows = load(data)
    n = len(rows)
    env = {"__name__": "strategy", "BaseStrategy": BaseStrategy}
    exec(compile(open(code).read(), "strategy.py", "exec"), env)
    cls = _backtest.find_class(env, None)
    best = float("inf")
    t_all = time.monotonic()
    for _ in range(repeat):
        st = _Store("X", n)
        for i, r in enumerate(rows):  # the data is in memory before the run, as in the region
            st.cols[0][i], st.cols[1][i], st.cols[2][i], st.cols[3][i], st.cols[4][i] = r[1:]
            st.time[i] = r[0]
        st.n = 0
        bars = Bars(st)
        objs = []
        for _k in range(inst):
            s = _backtest._make(cls, dict(cls.params), ["X"])
            s.initialize()
            objs.append(s)
        warm = [_backtest._warmup(s, n) for s in objs]
        t0 = time.perf_counter()
        for bar in range(min(warm), n):
            st.n = bar + 1
            for k, s in enumerate(objs):
                if bar < warm[k]:
                    continue
                s.bar_index = bar
                out = normalize_signals(s.generate_signals(bars), ["X"], bar)
                for o in out:  # a toy account: the last order's direction
                    if o[0] == "buy":
                        s.position = 1.0
                    elif o[0] == "sell":
                        s.position = -1.0
                    elif o[0] == "close":
                        s.position = 0.0
        dt = time.perf_counter() - t0
        best = min(best, dt / (n - min(warm)) / inst * 1e6)
    print(f"floor: {best:.2f} us a bar per instance ({inst} instance(s), {n} bars, best of "
          f"{repeat}); wall {time.monotonic() - t_all:.3f} s")


if __name__ == "__main__":
    main()
