"""The runtime import guard: the static validator's import allow-list,
enforced again while the code runs (dynamic imports included).

An extra layer, not the boundary: the kernel sandbox is.  Imports made by
library code (pandas importing its own submodules) pass; imports made by
strategy code, directly or through __import__, are checked.
"""

import builtins

USER_MODULE = "__main__"

# The builtins strategy code does not get (mirrors the validator's
# banned_builtins): dynamic code and reflection by computed names.
REMOVED_BUILTINS = (
    "eval", "exec", "compile", "breakpoint", "globals", "locals", "vars",
    "getattr", "setattr", "delattr", "input", "help", "exit", "quit",
)


# Modules CPython's own C code imports lazily on behalf of a call made by
# strategy code (datetime.strftime imports time, strptime imports
# _strptime, ...).  C code imports through the caller's __import__, so these
# arrive here looking like the strategy's own imports.  None of them opens
# anything the sandbox does not already allow.  The static validator still
# refuses them in the source.
C_LEVEL_IMPORTS = frozenset((
    "time", "_strptime", "locale", "_locale", "calendar", "unicodedata", "encodings",
    "codecs", "warnings", "_datetime", "_decimal", "_pydecimal", "zoneinfo", "_json",
    "_random", "_bisect", "_heapq", "_operator", "_functools", "_collections",
))


def make_import(allowed, real_import=builtins.__import__):
    allowed = frozenset(allowed) | C_LEVEL_IMPORTS

    def guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
        importer = globals.get("__name__") if isinstance(globals, dict) else None
        if importer is None or importer == USER_MODULE:
            if level:
                raise ImportError("relative imports are not allowed in strategy code")
            root = name.partition(".")[0]
            if root not in allowed:
                raise ImportError(
                    f"import of {root!r} is not allowed in strategy code; "
                    f"allowed: {', '.join(sorted(allowed))}"
                )
        return real_import(name, globals, locals, fromlist, level)

    return guarded_import


def user_builtins(allowed):
    """A builtins dict for strategy code: no dynamic code, guarded imports."""
    b = dict(vars(builtins))
    for name in REMOVED_BUILTINS:
        b.pop(name, None)
    b["__import__"] = make_import(allowed)
    return b
