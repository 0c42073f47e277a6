# Capabilities through module attributes.  Each capability function of the
# catalogue is looked up in its home module, reached by attributes alone;
# every route to the same function object from any reachable module
# (pandas.io.common.os.system, numpy...os.system, posix.system) is counted,
# and the function is called with arguments that would work.  Each call
# must be refused by the audit hook, not by the kernel.
sys = mod("sys")
os = mod("os")
tgt = ["/bin/true"]
noop = lambda *a: None  # noqa: E731
CATALOGUE = [
    ("os", "system", ("true",)), ("os", "popen", ("true",)),
    ("os", "execv", ("/bin/true", tgt)), ("os", "execve", ("/bin/true", tgt, {})),
    ("os", "execl", ("/bin/true", "true")), ("os", "execlp", ("true", "true")),
    ("os", "execvp", ("true", tgt)), ("os", "execvpe", ("true", tgt, {})),
    ("os", "spawnv", (0, "/bin/true", tgt)), ("os", "spawnl", (0, "/bin/true", "true")),
    ("os", "posix_spawn", ("/bin/true", tgt, {})), ("os", "posix_spawnp", ("true", tgt, {})),
    ("os", "fork", ()), ("os", "forkpty", ()), ("os", "kill", (1, 0)), ("os", "killpg", (1, 0)),
    ("posix", "system", ("true",)), ("posix", "fork", ()),
    ("subprocess", "Popen", (tgt,)), ("subprocess", "run", (tgt,)), ("subprocess", "call", (tgt,)),
    ("subprocess", "check_call", (tgt,)), ("subprocess", "check_output", (tgt,)),
    ("subprocess", "getoutput", ("true",)), ("subprocess", "getstatusoutput", ("true",)),
    ("_posixsubprocess", "fork_exec", ()),
    ("socket", "socket", ()), ("socket", "socketpair", ()),
    ("socket", "create_connection", (("127.0.0.1", 9),)),
    ("socket", "create_server", (("127.0.0.1", 0),)), ("socket", "fromfd", (1, 1, 1)),
    ("socket", "getaddrinfo", ("localhost", 80)), ("socket", "gethostbyname", ("localhost",)),
    ("_socket", "socket", ()), ("_socket", "socketpair", ()),
    ("pickle", "loads", (b"cos\nsystem\n(S'true'\ntR.",)),
    ("_pickle", "loads", (b"cposix\nsystem\n(S'true'\ntR.",)),
    ("marshal", "loads", (b"\xe9\x01\x00\x00\x00",)),
    ("sys", "settrace", (noop,)), ("sys", "setprofile", (noop,)),
    ("sys", "_current_frames", ()), ("sys", "_getframe", ()),
    ("gc", "get_objects", ()), ("gc", "get_referrers", (os,)), ("gc", "get_referents", (os,)),
    ("inspect", "currentframe", ()), ("inspect", "stack", ()),
    ("builtins", "breakpoint", ()),
    ("_imp", "create_dynamic", (mod("importlib").util.find_spec("_ctypes"),)),
]
routes = 0
for home, name, args in CATALOGUE:
    fn = mod(home).__dict__.get(name)
    if fn is None:
        RESULTS["not_refused"].append("%s.%s: missing from its module" % (home, name))
        continue
    routes += sum(1 for m in REACH.values() for v in list(m.__dict__.values()) if v is fn)
    attempt("%s.%s" % (home, name), lambda fn=fn, args=args: fn(*args))
print("routes", routes)
# ctypes: not in the process (numpy falls back without it); what is there
# is an empty placeholder, and the real one cannot be loaded.  In a
# "native" environment (docs/environments.md: scipy and what builds on it
# need ctypes in the process) it is there: loading a library and looking
# up a symbol are still refused, and what raises no event is conceded.
try:
    _native = NATIVE  # noqa: F821
except NameError:
    _native = False
if _native:
    attempt("ctypes.CDLL(None) in a native environment", lambda: mod("ctypes").CDLL(None))
    attempt("ctypes symbol lookup in a native environment",
            lambda: mod("ctypes").pythonapi.PyRun_SimpleString)
    attempt("ctypes.util.find_library in a native environment",
            lambda: mod("ctypes").CDLL(mod("ctypes").util.find_library("c")))
    print("CONCEDED ctypes is in the process: calls through existing function pointers, "
          "cast and memmove raise no audit event")
else:
    attempt("ctypes is a placeholder", lambda: mod("ctypes").CDLL(None).getpid()
            if hasattr(mod("ctypes"), "CDLL") else (_ for _ in ()).throw(
                RuntimeError("stratbox: ctypes is a placeholder here")))
    attempt("import the real ctypes", lambda: mod("importlib").import_module("_ctypes"))
attempt("rebuild _socket for the real socketpair", lambda: mod("importlib").util.module_from_spec(
    mod("importlib").util.find_spec("_socket")).socketpair())
attempt("pickle Unpickler.find_class",
        lambda: mod("pickle")._Unpickler(mod("io").BytesIO()).find_class("os", "system"))
attempt("os.system via pandas", lambda: pandas.io.common.os.system("true"))
attempt("os.system through pandas.eval", lambda: pandas.eval("x.system('true')", local_dict={"x": os}))
attempt("subprocess via os.popen with pipes", lambda: os.popen("true").read())
attempt("marshal of bytes", lambda: mod("marshal").loads(mod("marshal").dumps(1)))
attempt("object graph via numpy", lambda: mod("gc").get_objects())


def tracer():
    seen = []
    mod("threading").settrace(lambda *a: seen.append(a))
    t = mod("threading").Thread(target=int)
    t.start()
    t.join()
    mod("threading").settrace(None)
    if seen:
        raise AssertionError("a tracer ran")
    raise RuntimeError("stratbox: the thread's settrace was refused")


attempt("a tracer through threading", tracer)


def audit_hook():
    seen = []
    sys.addaudithook(lambda e, a: seen.append(e))  # refused silently by CPython's rules
    open("/workspace-none", "a") if False else None
    len(sys.modules)
    mod("builtins").id(1)
    if seen:
        raise AssertionError("a new audit hook ran")
    raise RuntimeError("stratbox: the new audit hook was not added")


attempt("sys.addaudithook", audit_hook)
report()
