# Code built at run time, by every route to the real builtins and to the
# compiler: each must be refused.
sys = REACH["sys"]
builtins = REACH["builtins"]
real = pandas.io.common.__builtins__  # a module's real builtins
real = real if isinstance(real, dict) else real.__dict__
for src_name, b in (("sys.modules builtins", sys.modules["builtins"].__dict__),
                    ("builtins module", builtins.__dict__), ("a module's __builtins__", real)):
    attempt(src_name + " eval", lambda b=b: b["eval"]("1 + 1"))
    attempt(src_name + " exec", lambda b=b: b["exec"]("x = 1"))
    attempt(src_name + " compile", lambda b=b: b["compile"]("1", "s", "eval"))
attempt("eval through a library callback", lambda: pandas.Series(["1 + 1"]).apply(builtins.eval))
attempt("exec through map", lambda: list(map(builtins.exec, ["x = 1"])))
attempt("compile under a library file's name",
        lambda: builtins.compile("x = 1", "/usr/lib/python3.11/os.py", "exec"))
attempt("compile via functools.partial in a library callback",
        lambda: pandas.Series(["x = 1"]).apply(functools.partial(
            builtins.compile, filename="/usr/lib/python3.11/os.py", mode="exec")).iloc[0])
attempt("code object by hand", lambda: mod("types").CodeType(
    0, 0, 0, 0, 0, 0, b"", (), (), (), "/usr/lib/python3.11/os.py", "f", "f", 1, b"", b""))
attempt("code.replace", lambda: (lambda: 0).__code__.replace(co_filename="/usr/lib/python3.11/os.py"))
attempt("function from a library's code", lambda: mod("types").FunctionType(json.dumps.__code__, {}))
attempt("dataclasses._create_fn", lambda: dataclasses._create_fn("f", [], ["return 1"], globals={}))
attempt("typing forward reference evaluation",
        lambda: typing.ForwardRef("1 + 1")._evaluate({}, {}, frozenset()))
attempt("get_type_hints on a string annotation",
        lambda: typing.get_type_hints(type("A", (), {"__annotations__": {"x": "1 + 1"}})))
attempt("importlib source_to_code", lambda: mod("importlib").machinery.SourceFileLoader(
    "x", "/tmp/x.py").source_to_code(b"x = 1", "/usr/lib/python3.11/os.py"))
attempt("importlib _call_with_frames_removed(exec)",
        lambda: mod("importlib")._bootstrap._call_with_frames_removed(builtins.exec, "x = 1", {}))
attempt("marshal of a code object", lambda: mod("marshal").loads(b"\xe3" + bytes(40)))


def runner_again():
    # run_job reports an exception itself and returns 1; 77 means it ran
    rc = sys.modules["stratbox._runner"].run_job(b"raise SystemExit(77)", 0)
    if rc != 77:
        raise RuntimeError("stratbox: refused inside run_job (rc %d)" % rc)


attempt("runner called again", runner_again)
report()
