#!/usr/bin/python3
"""Every module reachable as an attribute of an allowed module is covered.

Allowed modules carry other modules as attributes: pandas.io.common.os,
numpy.core._internal.ctypes, logging.os, uuid.platform, ...  This walks,
with the CPython the jobs run on (/usr/bin/python3), every allowed module
and numpy's and pandas' submodules (imported first, as a job could import
them), through module and class namespaces, and collects each attribute
whose value is a module off the allow-list.  For each one:

  * its name, written as any object's attribute (x.NAME), must be refused
    by the validator, unless the table EXEMPT below says why that module
    reaches no further than open() (and what still guards it);
  * the full path (import pandas; pandas.io.common.os) must be refused.

And each denied member of the policy (logging.config, string.Formatter,
...) must exist and be refused both as an attribute chain and as a
from-import.  The lists come from the validator itself (vprobe policy).

    modwalk.py VPROBE
"""
import contextlib
import importlib
import io
import json
import pkgutil
import subprocess
import sys
import time
import types
import warnings

# name -> (why the module is harmless, sources that must still be refused)
EXEMPT = {
    "types": ("the name is also pandas.api.types; the module's members that build "
              "code or functions are banned identifiers",
              ["y = x.types.CodeType\n", "y = x.types.FunctionType\n",
               "y = x.types.LambdaType\n"]),
    "_types": ("types under another name (pprint._types), same guard",
               ["y = x._types.CodeType\n"]),
    "signal": ("a common attribute in trading code (df.signal); the module sets "
               "handlers and timers of the job's own process only", []),
    "platform": ("a common attribute (an exchange platform); the module describes "
                 "the host the sandbox shows, and cannot start the tools it calls", []),
    "log": ("np.log; the module behind it (distutils.log) is a logger", []),
    "token": ("token type constants", []),
    "keyword": ("the keyword list", []),
    "struct": ("packs and unpacks bytes", []),
    "unicodedata": ("character properties", []),
    "locale": ("setlocale() of the job's own process", []),
    "_locale": ("locale's C part", []),
    "codecs": ("codecs.open() is open()", []),
    "contextvars": ("context variables", []),
    "_random": ("random's C part", []),
    "_sre": ("re's C part", []),
    "_string": ("string's C part (splits format field names)", []),
    "_uuid": ("uuid's C part (libuuid)", []),
    # matplotlib's modules, reachable only where python3-matplotlib is
    # installed (pandas.plotting._matplotlib carries them); the names are
    # common in trading and plotting code (self.ticker, df.dates, plt.cm),
    # and what the modules carry further (os, subprocess, ...) is refused
    # by its own name, as the walk checks
    "cm": ("matplotlib.cm: colormaps (plt.cm)", []),
    "dates": ("matplotlib.dates: date tick locators and formatters", []),
    "units": ("matplotlib.units: unit converters", []),
    "ticker": ("matplotlib.ticker: tick locators and formatters (also self.ticker)", []),
    "patches": ("matplotlib.patches: shapes to draw", []),
}

SKIP_SUBMODULES = (".tests", "conftest", ".f2py", "distutils", "extbuild", "_pyinstaller")


class Probe:
    def __init__(self, path):
        self.p = subprocess.Popen([path], stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def ask(self, mode, src):
        data = src.encode()
        self.p.stdin.write(b"%s %d\n" % (mode.encode(), len(data)) + data)
        self.p.stdin.flush()
        return json.loads(self.p.stdout.readline())

    def refused(self, src, rules=None):
        r = self.ask("check", src)
        if not r["ok"]:
            return False
        errs = [v[0] for v in r["violations"] if v[3] == "error"]
        return bool(errs) and (rules is None or any(e in rules for e in errs))


def root(name):
    return name.partition(".")[0]


def import_everything(allowed):
    """The allowed modules, then every submodule of numpy and pandas, with
    their import-time chatter swallowed."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        for name in sorted(allowed):
            with contextlib.suppress(Exception):
                importlib.import_module(name)
        for pkg in ("numpy", "pandas"):
            for info in pkgutil.walk_packages(sys.modules[pkg].__path__, pkg + "."):
                if any(s in info.name for s in SKIP_SUBMODULES):
                    continue
                with contextlib.suppress(BaseException):
                    importlib.import_module(info.name)


def walk(allowed):
    """(path, attribute, module) for every module-valued attribute, reached
    through allowed modules and their classes, whose module is not allowed."""
    found = []
    seen = set()
    queue = [(sys.modules[n], n) for n in sorted(allowed) if n in sys.modules]
    walked = 0
    while queue:
        mod, path = queue.pop(0)
        if id(mod) in seen:
            continue
        seen.add(id(mod))
        walked += 1
        items = [(k, v, path) for k, v in list(vars(mod).items())]
        for k, v in list(vars(mod).items()):
            if isinstance(v, type):
                with contextlib.suppress(Exception):
                    items += [(k2, v2, path + "." + k) for k2, v2 in vars(v).items()]
        for k, v, where in items:
            if not isinstance(v, types.ModuleType):
                continue
            name = getattr(v, "__name__", "?")
            if root(name) in allowed:
                queue.append((v, where + "." + k))
            else:
                found.append((where, k, name))
    return walked, found


def main():
    probe = Probe(sys.argv[1])
    policy = probe.ask("policy", "")
    allowed = set(policy["allowed_imports"]) - {"stratbox", "__future__"}
    t0 = time.monotonic()
    import_everything(allowed)
    walked, found = walk(allowed)
    failures = []
    names = sorted({k for _, k, _ in found})
    exempt_used = set()
    for name in names:
        if name in EXEMPT:
            exempt_used.add(name)
            for src in EXEMPT[name][1]:
                if not probe.refused(src):
                    failures.append("exempt %r: %r is not refused" % (name, src))
            continue
        if not probe.refused("y = x.%s\n" % name,
                             {"module-attribute", "banned-identifier", "dunder-attribute"}):
            mods = sorted({m for _, k, m in found if k == name})
            failures.append(".%s (the module %s, e.g. %s) is not refused" % (
                name, ", ".join(mods), next(p + "." + k for p, k, _ in found if k == name)))
    paths = refused_paths = 0
    for where, k, mod in found:
        if k in EXEMPT:
            continue
        paths += 1
        src = "import %s\nx = %s.%s\n" % (root(where), where, k)
        if probe.refused(src):
            refused_paths += 1
        else:
            failures.append("%s.%s (the module %s) is not refused" % (where, k, mod))
    for member in policy["denied_members"]:
        mod, _, attr = member.rpartition(".")
        try:
            importlib.import_module(mod)
            obj = sys.modules[mod]
            getattr(obj, attr) if hasattr(obj, attr) else importlib.import_module(member)
        except Exception as e:
            failures.append("denied member %s does not exist (%s)" % (member, e))
        for src in ("import %s\nx = %s\n" % (root(mod), member),
                    "from %s import %s\n" % (mod, attr)):
            if not probe.refused(src):
                failures.append("denied member %s: %r is not refused" % (member, src))
    for name in sorted(set(EXEMPT) - exempt_used):
        print("modwalk: note: exemption %r no longer needed (not found by the walk)" % name)
    dt = time.monotonic() - t0
    print("modwalk: %d modules walked in %.1f s; %d attributes lead to %d modules off the "
          "allow-list under %d names: %d names refused as x.NAME, %d exempt (harmless, "
          "see EXEMPT), %d of %d full paths refused; %d denied members checked"
          % (walked, dt, len(found), len({m for _, _, m in found}), len(names),
             len(names) - len(exempt_used), len(exempt_used), refused_paths, paths,
             len(policy["denied_members"])))
    print("modwalk: refused names: %s" % " ".join(n for n in names if n not in EXEMPT))
    for f in failures:
        print("FAIL: " + f)
    ok = not failures
    print("modwalk: %d passed, %d failed, 0 skipped" % (1 if ok else 0, 0 if ok else 1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
