# Shared by the audit-hook attack programs (prepended to each): every
# module reachable from the allowed modules by attribute chains alone
# (pandas.io.common.os, numpy.core._internal.sys, ...), found by walking
# module __dict__s, as attacking code would.  No import of anything but
# the allowed modules.
import numpy, pandas, math, json, collections, functools, itertools, operator
import dataclasses, typing, enum, decimal, fractions, random, re, bisect, heapq
import copy, abc, statistics, datetime

_Module = type(numpy)
REACH = {}
_queue = [numpy, pandas, math, json, collections, functools, itertools, operator,
          dataclasses, typing, enum, decimal, fractions, random, re, bisect, heapq,
          copy, abc, statistics, datetime]
# An environment's own additions to the allow-list (stratbox env check
# sets EXTRA_ALLOWED before this file): walked from too.
try:
    _extra = EXTRA_ALLOWED  # noqa: F821
except NameError:
    _extra = ()
for _n in _extra:
    try:
        _queue.append(__import__(_n, fromlist=["_"]))
    except ImportError:
        pass
for _m in _queue:
    REACH[_m.__name__] = _m
while _queue:
    _m = _queue.pop()
    for _v in list(_m.__dict__.values()):
        if isinstance(_v, _Module) and _v.__name__ not in REACH:
            REACH[_v.__name__] = _v
            _queue.append(_v)

RESULTS = {"refused": [], "not_refused": []}


def mod(name):
    """A loaded module, reached by attributes (or through sys.modules)."""
    return REACH.get(name) or REACH["sys"].modules[name]


def attempt(label, fn):
    """Run one attack; record whether the audit hook refused it."""
    print("try", label, flush=True)  # the last line names an attack the kernel had to stop
    try:
        fn()
    except BaseException as e:  # noqa: BLE001
        if "stratbox:" in str(e):
            RESULTS["refused"].append(label)
            return
        RESULTS["not_refused"].append("%s: %s: %s" % (label, type(e).__name__, str(e)[:120]))
        return
    RESULTS["not_refused"].append(label + ": ran")


def report():
    print("RESULT " + json.dumps({"refused": len(RESULTS["refused"]),
                                  "not_refused": RESULTS["not_refused"],
                                  "reachable": len(REACH)}), flush=True)
