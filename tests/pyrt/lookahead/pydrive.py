# The runtime's event loop (_stratbox_ls.drive, in C) written in Python,
# for the attacks that replace the runtime's answer() or post() (forge.py,
# early_post.py): the code in the slot may run any loop it likes, and this
# one calls the module's functions by name, so that replacements take
# effect.  Needs _stratbox_ls (policy.json, audit hook off).
import sys as _sys

_LS = _sys.modules["_stratbox_ls"]


def _py_drive(stores, calls, bars, symbols, normalize, failed):
    alive = {i: True for i, _s, _w in calls}
    seq = 0
    while True:
        seq, kind, upto = _LS.next(seq)
        if kind != 1:  # LS_BAR
            return
        for st in stores:
            st.n = upto
        bar = upto - 1
        for i, s, w in calls:
            if bar < w or not alive[i] or _LS.sync(i, s, bar, symbols):
                continue
            try:
                _LS.answer(i, bar, normalize(s.generate_signals(bars), symbols, bar))
            except Exception as e:  # noqa: BLE001
                alive[i] = False
                failed(i, e)
        _LS.post()


_LS.drive = _py_drive
