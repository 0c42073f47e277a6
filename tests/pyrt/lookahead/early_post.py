# Posting early: the strategy tells the host it has answered (post())
# without answering, waits until the host writes the next bar, then writes
# an order for the bar it was asked about, chosen knowing the next Close
# (with --trade-on-close that order would fill at this bar's Close: a sure
# win).  The host took the answer when it was posted; what comes after
# belongs to the next bar, so every such order must be dropped: the run
# has no trades at all.  The strategy posts once a bar itself (the
# runtime's loop is pydrive.py's, prepended by the test, with its answer
# and post disabled), so the exchange stays in step and the host has no
# protocol error to stop at.  Needs _stratbox_ls
# (policy.json, audit hook off).
import sys
import time

ls = sys.modules["_stratbox_ls"]
MV = ls.region()
U64 = np.frombuffer(MV, dtype=np.uint64, count=48)
HDR = header(MV)
NB = HDR["nbars"]
CLOSE = np.frombuffer(MV, dtype=np.float64, count=NB, offset=HDR["cols_off"] + 3 * NB * 8)
ANSWER = np.frombuffer(MV, dtype=np.uint8, count=16 + 48, offset=HDR["answer_off"])
POST = ls.post
HELLO = [True]


def runtime_post():
    """The runtime's post: the hello goes through; after that, the
    strategy's own post was the bar's one."""
    if HELLO[0]:
        HELLO[0] = False
        POST()


ls.answer = lambda *args: None  # the runtime's own answer would overwrite ours
ls.post = runtime_post


def write_order(bar, action):
    ANSWER[0:8] = np.frombuffer(np.uint64(bar).tobytes(), dtype=np.uint8)
    ANSWER[8:12] = np.frombuffer(np.uint32(1).tobytes(), dtype=np.uint8)
    ANSWER[12:16] = 0
    ANSWER[16:64] = 0
    ANSWER[16] = action  # 1 buy, 2 sell; no size: all available equity


class EarlyPost(BaseStrategy):  # noqa: F821
    def generate_signals(self, d):
        bar = self.bar_index
        here = float(CLOSE[bar])
        POST()  # "answered": nothing
        t0 = time.monotonic()
        while int(U64[H_UPTO // 8]) < bar + 2 and time.monotonic() - t0 < 0.5:
            pass
        if int(U64[H_UPTO // 8]) >= bar + 2:
            say("P", "early_post", bar, "saw the next bar after posting")
            write_order(bar, 1 if CLOSE[bar + 1] > here else 2)
        return []
