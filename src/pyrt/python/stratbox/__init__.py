"""stratbox: the strategy API, importable inside the sandbox.

Strategy code runs in a sandbox with no network and no host files.  Its
input is a read-only JSON document at /workspace/data.json; what it prints
is captured.  Nothing it reports about itself is trusted: for backtests it
will send orders, and the engine outside the sandbox computes every number.
"""

DATA_PATH = "/workspace/data.json"

__all__ = ["DATA_PATH", "data", "BaseStrategy"]


def __getattr__(name):
    # `from stratbox import BaseStrategy`, loaded on first use
    if name in ("BaseStrategy", "SignalError"):
        from . import strategy

        return getattr(strategy, name)
    raise AttributeError(f"module 'stratbox' has no attribute {name!r}")


def data():
    """The job's input document (parsed JSON), or None when there is none."""
    import json

    try:
        with open(DATA_PATH, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return None
