# Frames and code objects: every route strategy code has to a frame.
sys = REACH["sys"]
inspect = mod("inspect")
traceback = mod("traceback")
attempt("sys._getframe", lambda: sys._getframe())
attempt("sys._getframe(1)", lambda: sys._getframe(1))
attempt("inspect.currentframe", lambda: inspect.currentframe())
attempt("inspect.stack", lambda: inspect.stack())
if "logging" in sys.modules:
    attempt("logging.currentframe", lambda: sys.modules["logging"].currentframe())
attempt("traceback.walk_stack", lambda: next(traceback.walk_stack(None)))
def _tb():
    try:
        1 / 0
    except ZeroDivisionError as e:
        return e.__traceback__
attempt("traceback tb_frame", lambda: _tb().tb_frame)
attempt("traceback.walk_tb", lambda: next(traceback.walk_tb(_tb())))
def _g():
    yield 1
attempt("generator gi_frame", lambda: _g().gi_frame)
attempt("generator gi_code", lambda: _g().gi_code)
async def _c():
    pass
_co = _c()
attempt("coroutine cr_frame", lambda: _co.cr_frame)
_co.close()
attempt("function __code__", lambda: json.dumps.__code__)
attempt("operator.attrgetter __code__", lambda: operator.attrgetter("__code__")(json.dumps))
attempt("set a library function's defaults",
        lambda: mod("builtins").setattr(json.dumps, "__defaults__", (True,)))
attempt("set a class's bases", lambda: mod("builtins").setattr(type("K", (), {}), "__bases__", (dict,)))
attempt("sys._current_frames", lambda: sys._current_frames())
attempt("gc.get_referrers of a frame-holder", lambda: mod("gc").get_referrers(json))
report()
