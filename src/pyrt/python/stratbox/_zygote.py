"""Loaded once by the zygote: everything a job may import, imported now, so
a job pays for none of it.  Then the garbage collector's generations are
frozen, so collections in a job do not write to (and copy) every page the
zygote shares with it."""

import gc
import importlib


def preload(allowed_imports):
    loaded = []
    for name in allowed_imports:
        if name in ("__future__", "stratbox"):
            continue
        try:
            importlib.import_module(name)
            loaded.append(name)
        except ImportError:
            pass
    # The runner and what pandas imports lazily on first use.
    from . import _runner

    _runner.prepare(allowed_imports)
    import pandas as pd
    import numpy as np

    pd.Series(np.arange(4.0)).rolling(2).mean().ewm(span=2).mean().describe()
    pd.DataFrame({"a": [1, 2, 1], "b": [3.0, 4.0, 5.0]}).groupby("a").agg(["mean", "std"])
    pd.to_datetime(["2024-01-01"])
    gc.collect()
    gc.freeze()
    return " ".join(f"{n}={getattr(__import__(n), '__version__', '')}".rstrip("=") for n in ("numpy", "pandas"))
