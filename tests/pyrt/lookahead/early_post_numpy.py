# Posting early with numpy alone (the default policy, the audit hook on):
# the region is .base.base of any column, and a post is no more than one
# more on slot_seq (the host, spinning or in a 20 ms futex wait, notices).
# The strategy bumps it, waits for the next bar, and returns an order
# chosen with the next Close in hand (with --trade-on-close: a sure win);
# when the next bar does not come, it returns nothing.  So any trade at
# all is an order chosen with a later bar in hand: there must be none.
import time


class EarlyPostNumpy(BaseStrategy):  # noqa: F821
    def generate_signals(self, d):
        mv = region_of(d)
        u32 = np.frombuffer(mv, dtype=np.uint32, count=96)
        u64 = np.frombuffer(mv, dtype=np.uint64, count=48)
        h = header(mv)
        close = np.frombuffer(mv, dtype=np.float64, count=h["nbars"],
                              offset=h["cols_off"] + 3 * h["nbars"] * 8)
        upto = int(u64[H_UPTO // 8])
        here = float(close[upto - 1])
        u32[H_SLOT_SEQ // 4] += 1  # "answered": whatever the answer area holds
        t0 = time.monotonic()
        while int(u64[H_UPTO // 8]) <= upto and time.monotonic() - t0 < 0.2:
            pass
        now = int(u64[H_UPTO // 8])
        if now <= upto:
            return []
        say("P", "early_post_numpy", upto - 1, "saw bar %d" % (now - 1))
        return [self.buy()] if close[now - 1] > here else [self.sell()]
