"""The builtins strategy code runs with: the static validator's rules,
enforced again while the code runs.

An extra layer, not the boundary: the kernel sandbox is, and the audit
hook installed from C (src/pyrt/audit.c) refuses capabilities, code built
at run time, frame introspection and imports outside the allow-list by any
route, whoever holds the function.  Here, strategy code gets:

- an import statement (and __import__) that refuses modules outside the
  allow-list even when they are loaded already, with a message that names
  the allowed ones;
- getattr, setattr, hasattr and delattr that refuse dunder names
  (reflection by computed name reaches the interpreter's internals:
  __class__, __subclasses__, __globals__, ...), and vars() of an instance
  only;
- no eval, exec, compile, breakpoint, globals, locals, input or help.

Imports made by library code (pandas importing its own submodules) pass.
"""

import builtins
import unicodedata

USER_MODULE = "__main__"

# The builtins strategy code does not get (mirrors the validator's
# banned_builtins): dynamic code, and the namespaces of the running frames.
REMOVED_BUILTINS = (
    "eval", "exec", "compile", "breakpoint", "globals", "locals",
    "input", "help", "exit", "quit",
)


# Modules CPython's own C code imports lazily on behalf of a call made by
# strategy code (datetime.strftime imports time, strptime imports
# _strptime, ...).  C code imports through the caller's __import__, so these
# arrive here looking like the strategy's own imports.  None of them opens
# anything the sandbox does not already allow.  The static validator still
# refuses the ones not on its allow-list in the source.
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


def _is_dunder(name):
    if not isinstance(name, str):
        return False  # the real function raises its own TypeError
    n = unicodedata.normalize("NFKC", name)
    return len(n) >= 4 and n.startswith("__") and n.endswith("__")


def _refuse(fn, name):
    raise AttributeError(
        f"{fn}() of {name!r} is not allowed in strategy code: a dunder name reached by "
        "reflection reaches the interpreter's internals; use the attribute directly")


def _checked(fn_name, real):
    def checked(obj, name, *rest):
        if _is_dunder(name):
            _refuse(fn_name, name)
        return real(obj, name, *rest)

    checked.__name__ = checked.__qualname__ = fn_name
    checked.__doc__ = real.__doc__
    return checked


_MODULE = type(builtins)
_NO_VARS = (type, _MODULE, type(len), type(lambda: 0))


def _vars(*args):
    """vars(obj): the instance's attributes (not a module's, class's or
    function's namespace, which hold the real builtins and their code)."""
    if len(args) != 1:
        raise TypeError("vars() without an argument is not allowed in strategy code; "
                        "name the object: vars(self)")
    obj = args[0]
    if isinstance(obj, _NO_VARS):
        raise TypeError(f"vars() of a {type(obj).__name__} is not allowed in strategy code")
    return builtins.vars(obj)


def user_builtins(allowed):
    """A builtins dict for strategy code: no dynamic code, guarded imports
    and reflection."""
    b = dict(vars(builtins))
    for name in REMOVED_BUILTINS:
        b.pop(name, None)
    b["__import__"] = make_import(allowed)
    for name in ("getattr", "setattr", "hasattr", "delattr"):
        b[name] = _checked(name, getattr(builtins, name))
    b["vars"] = _vars
    return b
