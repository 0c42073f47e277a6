"""Runs one job's strategy code in this (already sandboxed) process.

Called from the zygote's slot after privileges are dropped and the job's
seccomp filter is on.  Returns the process exit code: 0, 1 for an uncaught
exception (its traceback on stderr, limited to the strategy's own frames,
and a structured copy to the host), or the code given to SystemExit.
"""

import random
import sys
import traceback

import numpy as np

import _stratbox_ls as _ls

from . import _guard, _protocol

FILENAME = "strategy.py"


def _user_traceback(exc):
    te = traceback.TracebackException(type(exc), exc, exc.__traceback__)
    te.stack = traceback.StackSummary.from_list(
        [f for f in te.stack if f.filename == FILENAME]
    )
    return "".join(te.format())


def _exit_code(exc):
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


_builtins = None


def prepare(allowed_imports):
    """In the zygote: the strategy's builtins, built once and shared by
    every job (a copy per job would touch every builtin object's page)."""
    global _builtins
    _builtins = _guard.user_builtins(allowed_imports)


# What warm() runs: the first steps of almost every strategy.  Each line
# here costs every slot CPU time whether its job needs it or not; a
# heavier warm-up (rolling windows, formatting) cut a job's latency a
# little more but tripled the CPU per slot (docs/python-runtime.md).
_WARM_SOURCE = """
import numpy as np
import pandas as pd
df = pd.DataFrame({"close": np.arange(4.0)})
value = float(df["close"].mean())
"""


def warm():
    """In a freshly forked slot, before it is offered to a job: the job
    path once, on this trusted code.  A job's first writes to memory shared
    with the zygote (reference counts, caches) each copy a page, a few
    microseconds apiece and some 500 of them; most happen here instead,
    off the request path.  Leaves nothing a job can see: its namespace is discarded and
    run_job() seeds the generators again."""
    random.seed(0)
    np.random.seed(0)
    compiled = compile(_WARM_SOURCE, FILENAME, "exec", dont_inherit=True)
    exec(compiled, {"__name__": _guard.USER_MODULE, "__file__": FILENAME,
                    "__builtins__": _builtins})
    from . import _backtest
    _backtest.warm()


def run_job(code, seed, ctl_fd=_protocol.FD):
    channel = _protocol.Channel(ctl_fd)
    # Deterministic by default: the hash seed is fixed by the zygote, the
    # random generators here (BLAS/OpenMP run one thread).
    random.seed(seed)
    np.random.seed(seed & 0xFFFFFFFF)
    try:
        # Decoded here, strictly: a "# coding:" line cannot make Python read
        # different text than the validator checked.
        source = code.decode("utf-8")
        compiled = compile(source, FILENAME, "exec", dont_inherit=True)
        env = {
            "__name__": _guard.USER_MODULE,
            "__file__": FILENAME,
            "__builtins__": _builtins,
        }
        backtest = _ls.region() is not None
        if backtest:
            # most LLM-written strategies subclass it without importing it
            from .strategy import BaseStrategy
            env["BaseStrategy"] = BaseStrategy
        exec(compiled, env)
        if backtest:
            from . import _backtest
            _backtest.run(env)
        rc = 0
    except SystemExit as e:
        rc = _exit_code(e)
    except BaseException as e:  # noqa: BLE001 - report whatever the strategy raised
        text = _user_traceback(e)
        sys.stderr.write(text)
        channel.send({
            "type": "error",
            "exc_type": type(e).__name__,
            "message": str(e)[:4000],
            "traceback": text[-30000:],
        })
        rc = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except Exception:  # noqa: BLE001 - a closed pipe must not change the status
            pass
    return rc
