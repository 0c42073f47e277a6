# A thread of the strategy's own rewrites the answer area without pause
# while the host reads it: the order count flipping between sane and huge,
# orders half valid, half garbage, the bar number right and wrong.  The host
# copies an answer before it looks at it and checks the copy; whatever it
# ends up taking, it must not crash or hang.  Needs _stratbox_ls and
# threading (policy.json, audit hook off).
import sys
import threading

LS = sys.modules["_stratbox_ls"]
MV = LS.region()
U64 = np.frombuffer(MV, dtype=np.uint64, count=48)
ANSWER = np.frombuffer(MV, dtype=np.uint8, count=16 + 64 * 48,
                       offset=int(U64[H_ANSWER_OFF // 8]))
HEAD = ANSWER[:16].view(np.uint32)    # bar (2 words), norders, error_len
ORDERS = ANSWER[16:].reshape(64, 48)
PRICES = ORDERS[:, 8:48].view(np.float64)  # size, limit, stop, sl, tp
STOP = []


def churn(seed):
    rng = np.random.default_rng(seed)
    counts = np.array([0, 1, 2, 64, 65, 1000, 0xFFFFFFFF], dtype=np.uint32)
    while not STOP:
        bar = int(U64[H_UPTO // 8]) - 1
        ORDERS[:, 0] = rng.integers(0, 6, 64)       # action: 1..4 valid
        ORDERS[:, 1] = rng.integers(0, 32, 64)      # flags: 1..31 valid bits, more
        ORDERS[:, 2:4] = 0
        ORDERS[rng.integers(0, 64), 2] = rng.integers(0, 3)  # a symbol out of range
        PRICES[:] = rng.choice([1.0, 50.0, 120.0, 1e9, -1.0, 0.0, np.nan], (64, 5))
        for _ in range(50):
            HEAD[2] = counts[rng.integers(0, len(counts))]
            HEAD[0] = bar + int(rng.integers(-1, 2))
            HEAD[1] = 0


class Racy(BaseStrategy):  # noqa: F821
    def initialize(self):
        threading.Thread(target=churn, args=(self.config.get("seed", 1),), daemon=True).start()

    def generate_signals(self, d):
        return [self.buy(size=1)] if self.bar_index % 3 == 0 else []
