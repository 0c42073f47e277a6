# Reading ahead with numpy alone: what any strategy may write under the
# default policy (the validator and the audit hook both on).  Each route
# reads where the bars after the current one would be.
import time

from numpy.lib.stride_tricks import as_strided



def columns(d):
    return {"open": d.open, "high": d.high, "low": d.low, "close": d.close, "volume": d.volume}


def r_strided(self, d, bar):
    """as_strided past the end of each column's view (and of the times)."""
    for name, c in columns(d).items():
        n = len(c)
        ext = as_strided(c, shape=(n + AHEAD,), strides=c.strides)
        seen("strided_" + name, bar, ext[n:])
        if name == "close":
            control("strided_close", bar, ext[n - 1])
    t = d.time.view(np.int64)
    ext = np.lib.stride_tricks.as_strided(t, shape=(len(t) + AHEAD,), strides=t.strides)
    seen("strided_time", bar, ext[len(t):])


def r_base(self, d, bar):
    """.base of a column: the whole column, sized for every bar."""
    for name, c in columns(d).items():
        b = c.base
        seen("base_" + name, bar, b[bar + 1:bar + 1 + AHEAD])
        later = b[bar + 1:]
        seen("base_nonzero_" + name, bar, later[later != 0][:8])
    control("base_close", bar, d.close.base[bar])
    col = d["close"]  # the Column view answers .base too
    full = col.base.base if col.base.base is not None else col.base
    seen("column_base", bar, full[bar + 1:bar + 1 + AHEAD])
    tb = d.time.base  # the times, sized for every bar
    seen("base_time", bar, np.asarray(tb).view(np.int64)[bar + 1:bar + 1 + AHEAD])


def r_ndarray_buffer(self, d, bar):
    """A new array on the column's buffer at the next bar's offset."""
    b = d.close.base
    n = min(AHEAD, len(b) - bar - 1)
    if n > 0:
        a = np.ndarray(shape=(n,), dtype=np.float64, buffer=b, offset=(bar + 1) * 8)
        seen("ndarray_buffer", bar, a)
    a = np.ndarray(shape=(1,), dtype=np.float64, buffer=b, offset=bar * 8)
    control("ndarray_buffer", bar, a[0])


def r_region(self, d, bar):
    """The whole region through .base.base: every column of every symbol
    after the current bar, by the header's offsets."""
    mv = region_of(d)
    h = header(mv)
    nb = h["nbars"]
    nsym = len(self.symbols)
    for s in range(nsym):
        for c in range(5):
            col = np.frombuffer(mv, dtype=np.float64, count=nb,
                                offset=h["cols_off"] + (s * 5 + c) * nb * 8)
            later = col[bar + 1:]
            seen("region_col%d" % c, bar, later[:AHEAD])
            seen("region_nonzero%d" % c, bar, later[later != 0][:8])
            if s == 0 and c == 3:
                control("region_close", bar, col[bar])
    t = np.frombuffer(mv, dtype=np.int64, count=nb, offset=h["time_off"])
    seen("region_time", bar, t[bar + 1:bar + 1 + AHEAD])
    has_off = int(np.frombuffer(mv, dtype=np.uint64, count=48)[H_HAS_OFF // 8])
    has = np.frombuffer(mv, dtype=np.uint8, count=nsym * nb, offset=has_off).reshape(nsym, nb)
    if has[:, bar + 1:].any():
        say("X", "region_has", bar, "a later bar is marked present")
    if not has[0, bar]:
        failed("region_has", bar, ValueError("the current bar is not marked present"))


def r_region_scan(self, d, bar):
    """Every byte of the region, for the exact bits of any later Close."""
    mv = region_of(d)
    report_found("region_scan", bar, self.needles.find(mv, bar), len(mv))
    raw = d.close.base.tobytes()
    report_found("column_bytes", bar, self.needles.find(raw, bar), len(raw))


def r_pandas(self, d, bar):
    """The DataFrame and the Series methods: shift(-1), iloc past the end."""
    df = d.df
    if len(df) != bar + 1:
        seen("df_rows", bar, df["close"].to_numpy()[bar + 1:])
    control("df_close", bar, df["close"].iloc[-1])
    nxt = d["close"].shift(-1).iloc[-1]
    if nxt == nxt:  # not NaN
        seen("shift", bar, [nxt])
    try:
        row = d.iloc[len(d)]
        seen("iloc_next", bar, [row.close])
    except IndexError:
        pass
    tail = d.tail(AHEAD + 1)
    if len(tail) != min(AHEAD + 1, bar + 1):
        seen("tail", bar, tail.close)


def r_wait(self, d, bar):
    """Spin, then sleep, in the hope that the host writes ahead meanwhile."""
    b = d.close.base
    t0 = time.monotonic()
    best = 0.0
    while time.monotonic() - t0 < 0.02:
        v = b[bar + 1] if bar + 1 < len(b) else 0.0
        if v != 0:
            best = v
            break
    seen("spin", bar, [best])
    time.sleep(0.02)
    seen("sleep", bar, b[bar + 1:bar + 1 + AHEAD])


class Arrays(Attack):  # noqa: F821
    ROUTES = {"strided": r_strided, "base": r_base, "ndarray_buffer": r_ndarray_buffer,
              "region": r_region, "region_scan": r_region_scan, "pandas": r_pandas,
              "wait": r_wait}
