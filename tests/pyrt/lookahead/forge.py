# A hostile slot: the runtime's own answers, then garbage written over
# them just before each post (the region is the strategy's to write), by a
# module-level wrapper of _stratbox_ls.post (called by pydrive.py's loop,
# which the test puts first).  Needs _stratbox_ls
# (policy.json, audit hook off).  The test prepends
#     SCRIPT = {"hello" | "BAR": {what to forge}, ...}
# and gives the honest orders in params["orders"] ({"BAR": [signal, ...]}):
# with SCRIPT = {} this is an honest strategy, the run every forged one is
# compared with.
import json
import math
import sys

import numpy as np

LS = sys.modules["_stratbox_ls"]
MV = LS.region()
U32 = np.frombuffer(MV, dtype=np.uint32, count=96)
U64 = np.frombuffer(MV, dtype=np.uint64, count=48)
NB, NINST = int(U64[2]), int(U64[3])
COLS_OFF, ACCT_OFF, ANSWER_OFF = int(U64[9]), int(U64[11]), int(U64[12])
NSYM = int(U32[3])
ANSWER_SIZE = 16 + 64 * 48 + 2048
ACCT_SIZE = 8 * 20
REAL_POST = LS.post
ACTIONS = {"buy": 1, "sell": 2, "close": 3, "cancel": 4}
FLAGS = {"size": 1, "limit": 2, "stop": 4, "sl": 8, "tp": 16}


def num(v):
    return float(v) if not isinstance(v, str) else float(v.replace("nan", "NaN"))


def answer_bytes(inst=0):
    return np.frombuffer(MV, dtype=np.uint8, count=ANSWER_SIZE, offset=ANSWER_OFF + inst * ANSWER_SIZE)


def put(buf, at, dtype, value):
    buf[at:at + np.dtype(dtype).itemsize] = np.frombuffer(np.array([value], dtype=dtype).tobytes(),
                                                           dtype=np.uint8)


def forge(f, bar):
    a = answer_bytes()
    if "bar" in f:
        put(a, 0, np.uint64, int(f["bar"]) & (2**64 - 1))
    if "orders" in f:  # raw orders: {"action": 1, "flags": 2, "symbol": 0, "size": .., ...}
        put(a, 0, np.uint64, bar if "bar" not in f else int(f["bar"]) & (2**64 - 1))
        put(a, 8, np.uint32, len(f["orders"]))
        for k, o in enumerate(f["orders"]):
            at = 16 + 48 * k
            a[at:at + 48] = 0
            act = o.get("action", 1)
            a[at] = ACTIONS.get(act, act) if isinstance(act, str) else act
            flags = o.get("flags", 0)
            for name, bit in FLAGS.items():
                if name in o:
                    flags |= bit
                    put(a, at + 8 + 8 * list(FLAGS).index(name), np.float64, num(o[name]))
            a[at + 1] = flags
            put(a, at + 2, np.uint16, o.get("symbol", 0))
    if "norders" in f:
        put(a, 8, np.uint32, f["norders"] & 0xFFFFFFFF)
    if "flags_or" in f:
        n = int(np.frombuffer(a[8:12].tobytes(), dtype=np.uint32)[0])
        for k in range(min(n, 64)):
            a[16 + 48 * k + 1] |= f["flags_or"]
    if "error_len" in f:
        put(a, 12, np.uint32, f["error_len"] & 0xFFFFFFFF)
        text = bytes.fromhex(f.get("error_hex", ""))
        a[16 + 64 * 48:16 + 64 * 48 + len(text)] = np.frombuffer(text, dtype=np.uint8)
    if "warmup" in f:
        put(a, 0, np.uint64, int(f["warmup"]) & (2**64 - 1))
    if "mode" in f:
        U32[256 // 4] = f["mode"]  # slot_mode (src/pyrt/lockstep.h)
    if f.get("acct"):
        acct = np.frombuffer(MV, dtype=np.float64, count=20 * NINST, offset=ACCT_OFF)
        acct[:] = 1e12
        np.frombuffer(MV, dtype=np.float64, count=4, offset=152)[:] = 1e12  # cash0..position0
    if f.get("prices"):
        cols = np.frombuffer(MV, dtype=np.float64, count=NSYM * 5 * NB, offset=COLS_OFF)
        cols[:] = 1e6
    if "seq_set" in f:
        U32[192 // 4] = f["seq_set"] & 0xFFFFFFFF  # slot_seq


def post():
    hello = int(U32[128 // 4]) == 0  # host_seq
    bar = int(U64[144 // 8]) - 1  # upto
    f = SCRIPT.get("hello" if hello else str(bar)) or SCRIPT.get("every")  # noqa: F821
    if f:
        forge(f, bar)
    if f and "quiet" in f:
        # the slot's own post, with its own word on whether its answer is
        # empty (slot_quiet), which the runtime's post would have computed
        U32[204 // 4] = f["quiet"]  # slot_quiet
        U32[192 // 4] += 1  # slot_seq
        return
    for _ in range(1 + (f or {}).get("extra_posts", 0)):
        REAL_POST()


LS.post = post


class Scripted(BaseStrategy):  # noqa: F821
    def initialize(self):
        self.warmup = self.config.get("warmup", 0)
        self.script = self.config.get("orders", {})

    def generate_signals(self, d):
        return self.script.get(str(self.bar_index), [])
