"""Loaded once by the zygote: everything a job may import, imported now, so
a job pays for none of it.  Then the garbage collector's generations are
frozen, so collections in a job do not write to (and copy) every page the
zygote shares with it.

It also closes, once for every job, the gaps CPython 3.11 leaves in its
audit events (docs/security.md), so that the audit hook installed from C
(src/pyrt/audit.c) sees every capability it is meant to refuse:

- ctypes reaches native code and raw memory without events (ctypes.cast,
  memmove, a function pointer made from an address): it is kept out of the
  process unless the policy allows it.  numpy works without it; pandas
  imports it only for a Windows error message and gets an empty module.
- _socket.socketpair and _posixsubprocess.fork_exec raise no event: both
  are replaced by refusals.
- subprocess.Popen raises its event only after making its pipes, which
  the job's seccomp policy refuses first: it is raised on entry instead.
- _imp.create_dynamic loads an extension module (and rebuilds one, with
  the functions replaced here) without an event: the zygote wraps it in C
  (audit.c: a wrapper in Python would hand the original out through its
  closure) to raise "stratbox.load_extension" first, which the hook
  decides like an import.
"""

import gc
import importlib
import os
import sys
import types

UNAUDITED = (("_socket", "socketpair"), ("_posixsubprocess", "fork_exec"))
NATIVE = ("ctypes", "_ctypes")


def _refusal(name):
    def refused(*args, **kwargs):
        raise PermissionError(
            f"stratbox: {name} is not allowed in strategy code "
            "(a capability the job sandbox does not give strategy code)")
    refused.__name__ = name.rpartition(".")[2]
    return refused


class _NoNative:
    """A meta-path entry, during the preload only: ctypes is not imported."""

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in NATIVE:
            raise ImportError(f"{name} is not available in stratbox jobs")
        return None


def _placeholder(name):
    m = types.ModuleType(name, f"{name} is not available in stratbox jobs: it reaches native "
                               "code and raw memory without audit events.")
    return m


def _close_audit_gaps():
    import subprocess

    for module, name in UNAUDITED:
        m = sys.modules.get(module)
        if m is not None and hasattr(m, name):
            setattr(m, name, _refusal(f"{module}.{name}"))

    popen_init = subprocess.Popen.__init__

    def __init__(self, args, *rest, **kwargs):
        sys.audit("subprocess.Popen", kwargs.get("executable"), args, kwargs.get("cwd"),
                  kwargs.get("env"))
        popen_init(self, args, *rest, **kwargs)

    subprocess.Popen.__init__ = __init__


def preload(allowed_imports, audited=True, preload_list=None):
    """audited: jobs run under the audit hook (False only for tests of the
    kernel layer alone, sbx_pool_options.no_audit_hook): close its gaps.
    preload_list: the modules imported now (the environment's preload,
    docs/environments.md); None: every allowed module that imports.  An
    allowed module left out is imported by the first job that asks."""
    if preload_list is None:
        preload_list = allowed_imports
    # A "native" environment (STRATBOX_NATIVE, docs/environments.md): its
    # libraries (scipy, and statsmodels and scikit-learn through it) need
    # ctypes in the process.  Strategy code still may not import it, and
    # the hook still refuses its audited calls (dlopen, dlsym, ...).
    native = os.environ.get("STRATBOX_NATIVE") == "1"
    blocked = audited and not native and not any(n in allowed_imports for n in NATIVE)
    if blocked:
        sys.meta_path.insert(0, _NoNative())
    try:
        import numpy  # noqa: F401 - first, so that it falls back without ctypes
        if blocked:
            sys.modules["ctypes"] = _placeholder("ctypes")
        loaded = []
        from . import strategy

        for name in allowed_imports:
            if name in strategy.MODULE_ALIASES:
                # a module name LLM code guesses for BaseStrategy: this one
                sys.modules[name] = strategy
        for name in preload_list:
            if name in ("__future__", "stratbox") or name in strategy.MODULE_ALIASES:
                continue
            if name not in allowed_imports and name.partition(".")[0] not in allowed_imports:
                continue  # a preload never widens the allow-list
            try:
                importlib.import_module(name)
                loaded.append(name)
            except Exception as e:  # noqa: BLE001 - one broken module is not the zygote's end
                print(f"stratbox-zygote: preload of {name} failed: {type(e).__name__}: {e}",
                      file=sys.stderr)
        # The runner and what pandas imports lazily on first use.
        from . import _backtest, _runner

        _runner.prepare(allowed_imports)
        _backtest.warm()  # what a backtest's first bars make lazily, made once here
        import pandas as pd
        import numpy as np

        pd.Series(np.arange(4.0)).rolling(2).mean().ewm(span=2).mean().describe()
        pd.DataFrame({"a": [1, 2, 1], "b": [3.0, 4.0, 5.0]}).groupby("a").agg(["mean", "std"])
        pd.to_datetime(["2024-01-01"])
    finally:
        if blocked:
            sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _NoNative)]
    if audited:
        _close_audit_gaps()
    gc.collect()
    gc.freeze()
    python = "python=%d.%d.%d" % sys.version_info[:3]
    return " ".join([python] + [f"{n}={getattr(__import__(n), '__version__', '')}".rstrip("=")
                                for n in ("numpy", "pandas")])
