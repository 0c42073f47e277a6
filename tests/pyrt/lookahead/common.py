# Shared by the lookahead attack programs (tests/pyrt/test_backtest.c
# prepends it to each): what an attack saw, printed for the test to judge
# against the real data, which only the test holds.
#
# Lines printed (one per observation; the test parses them):
#   S ROUTE BAR HEX...  values (raw float64/int64 bits) a route read where
#                       a later bar would be: past the view's end, the
#                       region's columns after BAR, ...  The test fails if
#                       one equals a price (or time) of a bar after BAR that
#                       no bar up to BAR has.
#   K ROUTE BAR HEX     the same route's read of the current bar's Close:
#                       must be close[BAR] (proof the route reads the right
#                       place)
#   F ROUTE BAR J       a scan of memory, files or objects found the exact
#                       bits of bar J's Close, J >= BAR (J == BAR is the
#                       scan's control; J > BAR is a leak unless an earlier
#                       bar has that price too)
#   N ROUTE BAR COUNT   how much the scan covered (bytes or objects)
#   X ROUTE BAR TEXT    something that must not be (a later bar marked
#                       present, the region's fd open, another process)
#   E ROUTE BAR TEXT    the route failed (refused, or nothing to read)
#
# The strategy's params carry NEEDLES: each bar's Close as two 32-bit
# halves [lo, hi].  The halves never sit next to each other in this
# process (Python ints keep 30-bit digits; the arrays below hold only lo or
# only hi), so a scan that finds the 8 bytes of a future Close together has
# found the bar itself, not the needle.
import json

import numpy as np

# struct ls_header (src/pyrt/lockstep.h): byte offsets
H_NBARS, H_NINST, H_SIZE = 16, 24, 40
H_CONFIG_OFF, H_CONFIG_LEN = 48, 56
H_TIME_OFF, H_COLS_OFF, H_HAS_OFF, H_ACCT_OFF, H_ANSWER_OFF, H_TARGETS_OFF = 64, 72, 80, 88, 96, 104
H_HOST_SEQ, H_SLOT_SEQ, H_KIND, H_UPTO, H_SLOT_MODE = 128, 192, 136, 144, 256

AHEAD = 3  # how many slots after the current bar an array route reads


def say(kind, route, bar, *rest):
    print(kind, route, bar, *rest)


def seen(route, bar, values):
    """Values read where bars after `bar` would be (any numeric array)."""
    a = np.asarray(values).reshape(-1)
    if a.size == 0:
        return
    if a.dtype.kind == "f":
        bits = a.astype(np.float64).view(np.uint64)
    else:
        bits = a.astype(np.int64).view(np.uint64)
    say("S", route, bar, *("%016x" % int(b) for b in bits))


def control(route, bar, value):
    say("K", route, bar, "%016x" % int(np.float64(value).view(np.uint64)))


def failed(route, bar, e):
    say("E", route, bar, ("%s: %s" % (type(e).__name__, e)).replace("\n", " ")[:160])


DIGITS = b"0123456789"


class Needles:
    """Finds the exact bits of any bar's Close in a buffer, or its text.

    texts: each Close's shortest decimal text split in two, [head, tail]:
    the whole text is never in this process unless something put it there."""

    def __init__(self, pairs, texts=()):
        self.texts = [(h.encode(), t.encode()) for h, t in texts]
        self.lo = np.array([p[0] for p in pairs], dtype=np.uint32)
        self.hi = [int(p[1]) for p in pairs]
        self.by_lo = {}
        for j, p in enumerate(pairs):
            self.by_lo.setdefault(int(p[0]), []).append(j)

    def find(self, buf, start_bar):
        """Bars j >= start_bar whose Close is in buf (8-byte aligned)."""
        u8 = np.frombuffer(buf, dtype=np.uint8)
        n = u8.size // 8 * 8
        if n == 0:
            return set()
        words = u8[:n].view(np.uint32)
        lo = words[0::2]
        hi = words[1::2]
        hits = np.flatnonzero(np.isin(lo, self.lo))
        found = set()
        for k in hits.tolist():
            h = int(hi[k])
            for j in self.by_lo.get(int(lo[k]), ()):
                if j >= start_bar and self.hi[j] == h:
                    found.add(j)
        return found

    def find_text(self, buf, start_bar):
        """Bars j in [start_bar, start_bar + AHEAD] whose Close is in buf
        as text (not inside a longer number; trailing zeros allowed)."""
        found = set()
        for j in range(start_bar, min(start_bar + AHEAD + 1, len(self.texts))):
            head, tail = self.texts[j]
            at = buf.find(head)
            while at >= 0:
                end = at + len(head)
                if (at == 0 or buf[at - 1] not in DIGITS) and buf[end:end + len(tail)] == tail:
                    nxt = buf[end + len(tail):end + len(tail) + 3]
                    if not nxt or nxt[:1] not in DIGITS or nxt == b"000":
                        found.add(j)
                        break
                at = buf.find(head, at + 1)
        return found

    def bits_match(self, bits, start_bar):
        """Bars j >= start_bar whose Close has these 64 bits."""
        lo, hi = bits & 0xFFFFFFFF, bits >> 32
        return {j for j in self.by_lo.get(lo, ()) if j >= start_bar and self.hi[j] == hi}


def report_found(route, bar, found, covered):
    for j in sorted(found):
        say("F", route, bar, j)
    say("N", route, bar, covered)


def header(mv):
    """The region's header fields as ints."""
    u64 = np.frombuffer(mv, dtype=np.uint64, count=48)
    return {k: int(u64[off // 8]) for k, off in (
        ("nbars", H_NBARS), ("ninst", H_NINST), ("size", H_SIZE), ("time_off", H_TIME_OFF),
        ("cols_off", H_COLS_OFF), ("acct_off", H_ACCT_OFF), ("answer_off", H_ANSWER_OFF),
        ("upto", H_UPTO), ("config_off", H_CONFIG_OFF), ("config_len", H_CONFIG_LEN))}


def region_of(current_data):
    """The whole lockstep region, reached from a bar column by numpy alone:
    the column is a slice of an array made by np.frombuffer on it."""
    return current_data.close.base.base


class Attack(BaseStrategy):  # noqa: F821 - given by the runtime
    """Runs every route in ROUTES (name -> function(self, data, bar)) on
    every bar listed in params["bars"] (all bars when absent)."""

    ROUTES = {}

    def initialize(self):
        self.needles = Needles(self.config.get("needles", []), self.config.get("texts", []))
        self.only = set(self.config.get("bars", []))

    def generate_signals(self, current_data):
        bar = self.bar_index
        if self.only and bar not in self.only:
            return []
        for name, fn in self.ROUTES.items():
            try:
                fn(self, current_data, bar)
            except Exception as e:  # noqa: BLE001 - a refused route is an outcome
                failed(name, bar, e)
        return []
