"""An independent reimplementation of the backtest engine, from the
documents only: docs/backtest.md (data, alignment, the execution model) and
docs/metrics.md (every formula).  tests/engine/compare.py runs it beside the
C engine and compares every field.

Written to be obviously right rather than fast: pandas reads the files and
aligns the symbols, pandas resamples the equity to days/weeks/months, numpy
computes variances and covariances, trades are Python objects in a list.
Only the broker's arithmetic is written in the documented order (size,
commission, P&L), so that fills agree to the last bit and a difference is a
difference of rule, not of rounding.

Run with Debian's /usr/bin/python3 (numpy and pandas from Debian)."""

import math

import numpy as np
import pandas as pd

# ---------------------------------------------------------------- data


def read_bars(path):
    """One CSV file as a DataFrame indexed by UTC time (open..close)."""
    df = pd.read_csv(path)
    cols = {c.strip().lower(): c for c in df.columns}
    first = df.columns[0]
    if "date" in cols and "time" in cols:
        when = df[cols["date"]].astype(str) + " " + df[cols["time"]].astype(str)
    elif "date" in cols:
        when = df[cols["date"]]
    else:
        when = df[first]
    idx = pd.to_datetime(when, utc=True)
    out = pd.DataFrame(
        {k: df[cols[k]].astype(float).values for k in ("open", "high", "low", "close")},
        index=pd.DatetimeIndex(idx),
    )
    return out


class Data:
    """Symbols on the union of their timestamps (docs/backtest.md)."""

    def __init__(self, frames, names, start=None, end=None):
        if start is not None or end is not None:
            frames = [f.loc[start:end] for f in frames]
        index = frames[0].index
        for f in frames[1:]:
            index = index.union(f.index)
        self.index = index
        self.n = len(index)
        self.names = names
        self.time = (index.asi8 // 10**9).astype(np.int64)
        self.open, self.high, self.low, self.close, self.has = [], [], [], [], []
        for f in frames:
            g = f.reindex(index)
            has = g["close"].notna().values
            close = g["close"].ffill().values
            self.has.append(has)
            self.close.append(close)
            for col, dst in (("open", self.open), ("high", self.high), ("low", self.low)):
                dst.append(np.where(has, g[col].values, close))
        self.first_bar = [int(np.argmax(h)) for h in self.has]


# ---------------------------------------------------------------- broker

BUY, SELL, CLOSE, CANCEL, TARGET = "buy", "sell", "close", "cancel", "target"


class Order:
    def __init__(self, action, sym, bar, size=None, limit=None, stop=None, sl=None, tp=None,
                 target=None):
        self.action, self.sym, self.bar = action, sym, bar
        self.size, self.limit, self.stop, self.sl, self.tp = size, limit, stop, sl, tp
        self.target = target
        self.triggered = False

    @property
    def is_long(self):
        return self.action == BUY or (self.action == TARGET and self.target > 0)

    @property
    def is_market(self):
        return self.limit is None and self.stop is None


class Position:
    """An open trade."""

    def __init__(self, sym, units, price, comm, bar, sl, tp, sltp_from):
        self.sym, self.units, self.entry, self.comm = sym, units, price, comm
        self.bar, self.sl, self.tp, self.sltp_from = bar, sl, tp, sltp_from


class Config:
    def __init__(self, cash=10000.0, commission=0.0, commission_fixed=0.0, spread=0.0, margin=1.0,
                 fractional=0.0, trade_on_close=False, end_policy="liquidate", warmup=0):
        self.cash, self.commission, self.commission_fixed = cash, commission, commission_fixed
        self.spread, self.margin, self.fractional = spread, margin, fractional
        self.trade_on_close, self.end_policy, self.warmup = trade_on_close, end_policy, warmup


def floor_units(x):
    if not x > 0:
        return 0
    if x >= 2.0**53:
        return 2**53
    return int(math.floor(x + 1e-9))


class Broker:
    def __init__(self, data, cfg):
        self.d, self.c = data, cfg
        self.unit = cfg.fractional if cfg.fractional > 0 else 1.0
        self.lev = 1.0 / cfg.margin
        self.cash = cfg.cash
        self.open = []      # Position, oldest first
        self.orders = []    # Order, in placement order
        self.closed = []    # dicts, in the order they closed
        self.equity = np.zeros(data.n)
        self.t = -1
        self.ruined = None
        self.prev_target = 0.0
        self.counts = dict(placed=0, filled=0, rejected=0, cancelled=0, pending=0)
        self.mark = [0.0] * len(data.names)

    # -- valuation
    def units_of(self, sym):
        return sum(p.units for p in self.open if p.sym == sym)

    def value(self, px):
        eq = self.cash
        for p in self.open:
            eq += p.units * self.unit * (px[p.sym] - p.entry)
        return eq

    def available(self, px):
        eq = self.value(px)
        used = 0.0
        for p in self.open:
            used += abs(p.units * self.unit) * px[p.sym] / self.lev
        return max(0.0, eq - used) if eq - used > 0 else 0.0

    def fee(self, abs_size, price):
        return self.c.commission_fixed + abs_size * price * self.c.commission

    # -- trades
    def close_units(self, p, q, price, bar, why):
        total = abs(p.units)
        sign = 1 if p.units > 0 else -1
        size = (sign * q) * self.unit
        share = p.comm if q == total else p.comm * (q / total)
        exit_fee = self.fee(abs(size), price)
        gross = size * (price - p.entry)
        self.cash += gross - exit_fee
        comms = share + exit_fee
        self.closed.append(dict(
            symbol=self.d.names[p.sym], size=size, entry_bar=p.bar, exit_bar=bar,
            entry_price=p.entry, exit_price=price, pnl=gross - comms,
            return_pct=(sign * (price / p.entry - 1) - comms / (abs(size) * p.entry)) * 100,
            commissions=comms, exit_reason=why, sl=p.sl, tp=p.tp))
        if q == total:
            self.open.remove(p)
        else:
            p.units -= sign * q
            p.comm -= share

    def open_units(self, sym, units, price, bar, sl, tp, sltp_from):
        size = units * self.unit
        c = self.fee(abs(size), price)
        self.cash -= c
        self.open.append(Position(sym, units, price, c, bar, sl, tp, sltp_from))

    def reduce(self, sym, direction, q, price, bar):
        """Close q units (None: all) of sym's trades, oldest first."""
        done = 0
        for p in list(self.open):
            if q is not None and q == 0:
                break
            if p.sym != sym or (direction > 0 and p.units < 0) or (direction < 0 and p.units > 0):
                continue
            have = abs(p.units)
            take = have if q is None or q >= have else q
            self.close_units(p, take, price, bar, "order")
            done += take
            if q is not None:
                q -= take
        return done

    def adjusted(self, lng, px):
        return px * (1 + self.c.spread) if lng else px * (1 - self.c.spread)

    def affordable(self, budget, adj):
        return floor_units((budget - self.c.commission_fixed) / (self.unit * adj * (1 + self.c.commission)))

    # -- executing one order at a raw price
    def do_entry(self, o, px, bar, sltp_from):
        lng = o.action == BUY
        adj = self.adjusted(lng, px)
        if o.size is not None and o.size >= 1:
            q = floor_units(o.size / self.unit)
        else:
            frac = o.size if o.size is not None else 1.0
            q = self.affordable(self.available(self.mark) * self.lev * frac, adj)
        if q <= 0:
            return False
        closed = self.reduce(o.sym, -1 if lng else 1, q, px, bar)
        if q == closed:
            return closed > 0
        need = q - closed
        cost = need * self.unit * adj * (1 + self.c.commission) + self.c.commission_fixed
        if cost > self.available(self.mark) * self.lev * (1 + 1e-12):
            return closed > 0
        self.open_units(o.sym, need if lng else -need, adj, bar, o.sl, o.tp, sltp_from)
        return True

    def do_target(self, o, px, bar, sltp_from):
        f = o.target
        cur = self.units_of(0)
        flat_first = cur != 0 and (f == 0 or (f > 0) != (cur > 0))
        if flat_first:
            self.reduce(0, 0, None, px, bar)
            cur = 0
        if f == 0:
            return True
        lng = f > 0
        adj = self.adjusted(lng, px)
        eq = self.value(self.mark)
        want = self.affordable(abs(f) * eq * self.lev, adj)
        have = abs(cur)
        if want < have:
            self.reduce(0, 0, have - want, px, bar)
            return True
        if want == have:
            return flat_first or have > 0
        delta = min(want - have, self.affordable(self.available(self.mark) * self.lev, adj))
        if delta <= 0:
            return flat_first
        self.open_units(0, delta if lng else -delta, adj, bar, None, None, sltp_from)
        return True

    def do_close(self, o, px, bar):
        have = abs(self.units_of(o.sym))
        if have == 0:
            return True
        q = None
        if o.size is not None:
            q = floor_units(o.size / self.unit) if o.size >= 1 else floor_units(have * o.size)
            if q == 0:
                return True
        self.reduce(o.sym, 0, q, px, bar)
        return True

    def execute(self, o, px, bar, sltp_from):
        self.orders.remove(o)
        if o.action == CLOSE:
            ok = self.do_close(o, px, bar)
        elif o.action == TARGET:
            ok = self.do_target(o, px, bar, sltp_from)
        else:
            ok = self.do_entry(o, px, bar, sltp_from)
        self.counts["filled" if ok else "rejected"] += 1

    # -- when does a pending order fill on a bar
    @staticmethod
    def fill_price(o, O, H, L):
        """(price, at_open) or None."""
        lng = o.is_long
        if o.is_market:
            return O, True
        if o.stop is not None and not o.triggered:
            hit = H >= o.stop if lng else L <= o.stop
            if not hit:
                return None
            gap = O >= o.stop if lng else O <= o.stop
            if o.limit is None:
                return (max(O, o.stop) if lng else min(O, o.stop)), gap
            o.triggered = True
            if not gap:
                within = o.stop <= o.limit if lng else o.stop >= o.limit
                return (o.stop, False) if within else None
        if (L <= o.limit) if lng else (H >= o.limit):
            return (min(O, o.limit) if lng else max(O, o.limit)), (O <= o.limit if lng else O >= o.limit)
        return None

    def exit_check(self, p, O, H, L, t):
        lng = p.units > 0
        sl = p.sl is not None and (L <= p.sl if lng else H >= p.sl)
        tp = p.tp is not None and (H >= p.tp if lng else L <= p.tp)
        if not (sl or tp):
            return
        gap_tp = tp and (O >= p.tp if lng else O <= p.tp)
        if tp and (not sl or gap_tp):
            self.close_units(p, abs(p.units), max(O, p.tp) if lng else min(O, p.tp), t, "tp")
        else:
            self.close_units(p, abs(p.units), min(O, p.sl) if lng else max(O, p.sl), t, "sl")

    def ohl(self, s, t, point):
        d = self.d
        if point:
            return d.open[s][t], d.open[s][t], d.open[s][t]
        return d.open[s][t], d.high[s][t], d.low[s][t]

    # -- one bar
    def step(self):
        d, c = self.d, self.c
        t = self.t = self.t + 1
        last = t == d.n - 1
        point = last and c.end_policy == "liquidate"
        toc = c.trade_on_close
        self.mark = [d.open[s][t] for s in range(len(d.names))]
        # 1. closes at the open
        if not toc:
            for o in [o for o in self.orders if o.action == CLOSE]:
                if o in self.orders and d.has[o.sym][t]:
                    self.execute(o, d.open[o.sym][t], t, t)
        # 2. sl/tp of the trades already open
        for p in list(self.open):
            if p in self.open and p.sltp_from <= t and d.has[p.sym][t]:
                self.exit_check(p, *self.ohl(p.sym, t, point), t)
        # 3. entries
        for o in list(self.orders):
            if o not in self.orders or o.action == CLOSE or not d.has[o.sym][t]:
                continue
            if toc and o.is_market:
                continue
            hit = self.fill_price(o, *self.ohl(o.sym, t, point))
            if hit is not None:
                self.execute(o, hit[0], t, t if hit[1] else t + 1)
        # 4. sl/tp of the trades opened at this open
        for p in list(self.open):
            if p in self.open and p.bar == t and p.sltp_from == t and d.has[p.sym][t]:
                self.exit_check(p, *self.ohl(p.sym, t, point), t)
        if point:
            for p in list(self.open):
                self.close_units(p, abs(p.units), self.mark[p.sym], t, "end")
        elif toc and self.orders:
            self.on_close(t)
        px = [d.close[s][t] for s in range(len(d.names))]
        self.equity[t] = self.value(px)
        if self.equity[t] <= 0:
            self.go_broke(t)

    def go_broke(self, t):
        """Equity <= 0 at bar t's Close: all closes there, equity stays 0."""
        d = self.d
        px = [d.close[s][t] for s in range(len(d.names))]
        for p in list(self.open):
            self.close_units(p, abs(p.units), px[p.sym], t, "ruin")
        self.counts["cancelled"] += len(self.orders)
        self.orders = []
        self.cash = 0.0
        self.equity[t:] = 0.0
        self.ruined = t

    def on_close(self, t):
        d = self.d
        self.mark = [d.close[s][t] for s in range(len(d.names))]
        for want in ("close", "entry"):
            for o in list(self.orders):
                if o not in self.orders or o.bar > t or not d.has[o.sym][t]:
                    continue
                if (o.action == CLOSE) != (want == "close") or (want == "entry" and not o.is_market):
                    continue
                self.execute(o, d.close[o.sym][t], t, t + 1)

    # -- the strategy's orders on bar t
    def place(self, orders):
        t = self.t
        for o in orders:
            if o.action == CANCEL:
                self.drop(o.sym, entries_only=False)
                continue
            if o.action == CLOSE:
                self.drop(o.sym, entries_only=True)
            syms = range(len(self.d.names)) if o.sym == -1 else [o.sym]
            for s in syms:
                q = Order(o.action, s, t, o.size, o.limit, o.stop, o.sl, o.tp, o.target)
                self.orders.append(q)
                self.counts["placed"] += 1
        self.after_place()

    def after_place(self):
        t, c = self.t, self.c
        last = t == self.d.n - 1
        if c.trade_on_close and not (last and c.end_policy == "liquidate") and self.orders:
            self.on_close(t)
            self.equity[t] = self.value(self.mark)
            if self.equity[t] <= 0:
                self.go_broke(t)

    def drop(self, sym, entries_only):
        keep = []
        for o in self.orders:
            if (sym == -1 or o.sym == sym) and not (entries_only and o.action == CLOSE):
                self.counts["cancelled"] += 1
            else:
                keep.append(o)
        self.orders = keep

    def place_target(self, f):
        if f is None or math.isnan(f):
            return
        f = max(-1.0, min(1.0, f))
        if f == self.prev_target:
            return
        self.prev_target = f
        n0 = len(self.orders)
        self.orders = [o for o in self.orders if o.action != TARGET]
        self.counts["cancelled"] += n0 - len(self.orders)
        self.orders.append(Order(TARGET, 0, self.t, target=f))
        self.counts["placed"] += 1
        self.after_place()

    def result_trades(self):
        d = self.d
        out = list(self.closed)
        last = d.n - 1
        for p in self.open:   # end policy hold
            size = p.units * self.unit
            sign = 1 if p.units > 0 else -1
            px = d.close[p.sym][last]
            out.append(dict(
                symbol=d.names[p.sym], size=size, entry_bar=p.bar, exit_bar=None,
                entry_price=p.entry, exit_price=None, pnl=size * (px - p.entry) - p.comm,
                return_pct=(sign * (px / p.entry - 1) - p.comm / (abs(size) * p.entry)) * 100,
                commissions=p.comm, exit_reason="open", sl=p.sl, tp=p.tp, _exit_bar=last))
        for tr in out:
            tr["entry_time"] = int(d.time[tr["entry_bar"]])
            eb = tr["exit_bar"] if tr["exit_bar"] is not None else tr["_exit_bar"]
            tr["_exit_bar"] = eb
            tr["exit_time"] = int(d.time[eb]) if tr["exit_bar"] is not None else None
            tr["_exit_time"] = int(d.time[eb])
        return out


def run(data, cfg, targets=None, orders=None):
    """targets: one value per bar; orders: {bar: [Order...]}.  Returns
    (equity, trades, counts, ruined_bar)."""
    b = Broker(data, cfg)
    for t in range(data.n):
        b.step()
        if b.ruined is not None:
            break
        if targets is not None:
            if t >= cfg.warmup:
                b.place_target(targets[t])
        elif orders and t in orders:
            b.place(orders[t])
        if b.ruined is not None:
            break
    b.counts["pending"] = len(b.orders)
    return b.equity, b.result_trades(), b.counts, b.ruined


# ---------------------------------------------------------------- metrics

def frequency(index):
    gaps = pd.Series(index).diff().dropna()
    if len(gaps) == 0:
        return "daily", 0
    med = gaps.median()
    if med < pd.Timedelta(days=1):
        return "intraday", med
    days = med.days
    if 6 <= days <= 8:
        return "weekly", med
    if 28 <= days <= 31:
        return "monthly", med
    if 365 <= days <= 366:
        return "yearly", med
    return "daily", med


def metrics(data, cfg, equity, trades):
    idx = data.index
    n = data.n
    eq = pd.Series(equity, index=idx)
    m = {}
    m["start"], m["end"] = int(data.time[0]), int(data.time[-1])
    m["duration_days"] = (data.time[-1] - data.time[0]) / 86400
    cover = np.zeros(n, dtype=bool)
    for tr in trades:
        cover[tr["entry_bar"]:tr["_exit_bar"] + 1] = True
    m["exposure_pct"] = cover.mean() * 100
    m["equity_final"] = equity[-1]
    m["equity_peak"] = equity.max()
    m["return_pct"] = (equity[-1] - cfg.cash) / cfg.cash * 100
    c0 = data.close[0]
    b0 = max(min(max(cfg.warmup - 1, 0), n - 1), data.first_bar[0])
    m["buy_hold_return_pct"] = (c0[-1] - c0[b0]) / c0[b0] * 100

    # periods and annualisation
    freq, _ = frequency(idx)
    weekend = (idx.dayofweek >= 5).mean()
    A = {"weekly": 52, "monthly": 12, "yearly": 1}.get(freq, 365 if weekend > 0.6 * 2 / 7 else 252)
    rule = {"weekly": "W-SUN", "monthly": "M", "yearly": "A"}.get(freq, "D")
    pe = eq.resample(rule).last().dropna().values
    r = np.array([(pe[k] / pe[k - 1] - 1) if pe[k - 1] > 0 else 0.0 for k in range(1, len(pe))])
    if len(r) >= 1:
        g = -1.0 if np.any(1 + r <= 0) else float(np.exp(np.mean(np.log1p(r))) - 1)
    else:
        g = math.nan
    var = float(np.var(r, ddof=1)) if len(r) >= 2 else math.nan
    ann = (1 + g) ** A - 1
    m["return_ann_pct"] = ann * 100
    if math.isnan(var):
        m["volatility_ann_pct"] = math.nan
    else:
        inner = (var + (1 + g) ** 2) ** A - (1 + g) ** (2 * A)
        m["volatility_ann_pct"] = math.sqrt(max(inner, 0.0)) * 100
    m["cagr_pct"] = (((equity[-1] / cfg.cash) ** (1 / (m["duration_days"] / 365.25)) - 1) * 100
                     if m["duration_days"] > 0 else math.nan)
    m["sharpe"] = div(m["return_ann_pct"], m["volatility_ann_pct"])
    down = math.sqrt(np.mean(np.minimum(r, 0) ** 2)) * math.sqrt(A) if len(r) else math.nan
    m["sortino"] = div(ann, down)

    peak = np.maximum.accumulate(eq.values)
    dd = 1 - eq.values / peak
    below = eq.values < peak
    m["max_drawdown_pct"] = dd.max() * 100
    m["calmar"] = div(ann, dd.max())
    # runs of bars below the peak, each with the bar at zero before it
    periods = []
    i = 0
    while i < n:
        if below[i]:
            j = i
            while j < n and below[j]:
                j += 1
            end = j if j < n else n - 1     # the recovery bar, or the last bar
            periods.append((dd[i - 1:end + 1].max(), data.time[end] - data.time[i - 1]))
            i = j
        else:
            i += 1
    if periods:
        depths = [p[0] for p in periods]
        durs = [p[1] for p in periods]
        m["avg_drawdown_pct"] = float(np.mean(depths)) * 100
        m["max_drawdown_duration_days"] = math.ceil(max(durs) / 86400)
        m["avg_drawdown_duration_days"] = math.ceil(np.mean(durs) / 86400)
    else:
        m["avg_drawdown_pct"] = m["max_drawdown_duration_days"] = math.nan
        m["avg_drawdown_duration_days"] = math.nan

    # beta over the bars where both log returns exist
    e, cl = eq.values, c0
    xs, ys = [], []
    for i in range(data.first_bar[0] + 1, n):
        if e[i - 1] > 0 and e[i] > 0:
            xs.append(math.log(e[i] / e[i - 1]))
            ys.append(math.log(cl[i] / cl[i - 1]))
    if len(xs) >= 2:
        cov = np.cov(np.array(xs), np.array(ys))
        beta = div(cov[0, 1], cov[1, 1])
    else:
        beta = math.nan
    m["beta"] = beta
    m["alpha_pct"] = m["return_pct"] - beta * m["buy_hold_return_pct"]

    closed = [tr for tr in trades if tr["exit_reason"] != "open"]
    k = len(closed)
    m["trades"] = k
    rets = np.array([tr["return_pct"] / 100 for tr in closed])
    pnl = np.array([tr["pnl"] for tr in closed])
    durs = np.array([tr["_exit_time"] - tr["entry_time"] for tr in closed], dtype=float)
    win = (pnl > 0).mean() if k else math.nan
    m["win_rate_pct"] = win * 100
    m["best_trade_pct"] = rets.max() * 100 if k else math.nan
    m["worst_trade_pct"] = rets.min() * 100 if k else math.nan
    m["avg_trade_pct"] = ((np.prod(1 + rets) ** (1 / k) - 1) * 100
                          if k and np.all(1 + rets > 0) else math.nan)
    m["max_trade_duration_days"] = math.ceil(durs.max() / 86400) if k else math.nan
    m["avg_trade_duration_days"] = math.ceil(durs.mean() / 86400) if k else math.nan
    m["profit_factor"] = div(rets[rets > 0].sum(), abs(rets[rets < 0].sum())) if k else math.nan
    m["expectancy_pct"] = rets.mean() * 100 if k else math.nan
    m["sqn"] = div(math.sqrt(k) * pnl.mean(), pnl.std(ddof=1)) if k >= 2 else math.nan
    wins, losses = pnl[pnl > 0], pnl[pnl < 0]
    ratio = div(wins.mean(), -losses.mean()) if len(wins) and len(losses) else math.nan
    m["kelly"] = win - (1 - win) / ratio if not math.isnan(ratio) and ratio != 0 else math.nan
    m["commissions"] = sum(tr["commissions"] for tr in trades)
    return m, dict(freq=freq, A=A)


def div(a, b):
    if b is None or b == 0 or (isinstance(b, float) and math.isnan(b)):
        return math.nan
    return a / b
