#!/usr/bin/python3
"""The Python client (clients/python/stratbox_client.py) against a live server.

    /usr/bin/python3 tests/client/test_client.py [STRATBOX] [--filter TEXT]

STRATBOX is the stratbox binary (default build/stratbox); `STRATBOX serve`
is started on 127.0.0.1 port 0 with a temporary state directory and token
file (the port read from its log), and stopped at the end, with every
temporary file removed.  The bundled datasets are the checkout's data/
($STRATBOX_DATA_DIR when set).  Ends with the line the test runner reads:

    client: N passed, N failed, N skipped
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from datetime import date, datetime, timedelta, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.dont_write_bytecode = True  # no __pycache__ in the checkout
sys.path.insert(0, os.path.join(ROOT, "clients", "python"))

import stratbox_client as sc  # noqa: E402

TOKENS = {
    "alice": "alice-0123456789abcdef",
    "bob": "bob-fedcba9876543210",
    "carol": "carol-00112233445566778899",
    "dave": "dave-99887766554433221100",
}

SMA = open(os.path.join(ROOT, "bench", "strategies", "sma_cross.py")).read()


# ---- checks ----


class Failure(Exception):
    pass


def check(cond, what, *args):
    if not cond:
        raise Failure(what % args if args else what)


def eq(got, want, what):
    check(got == want, "%s: got %r, want %r", what, got, want)


def raises(exc_type, fn, *a, **kw):
    """Call fn; it must raise exc_type (returned), nothing else."""
    try:
        fn(*a, **kw)
    except exc_type as e:
        return e
    except Exception as e:  # noqa: BLE001 - the wrong error is the failure
        raise Failure("expected %s, got %s: %s" % (exc_type.__name__, type(e).__name__, e)) from e
    raise Failure("expected %s, nothing raised" % exc_type.__name__)


# ---- a server ----


def _die_with_parent():
    """In the server's child before exec: SIGTERM when this test process
    dies, even by SIGKILL, so that no server outlives its test."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Server:
    """`stratbox serve` on 127.0.0.1:0 in a temporary directory."""

    def __init__(self, stratbox, workers=2, extra=(), again=None):
        """again: a stopped Server whose directory and port to start on."""
        if again is None:
            self.dir = tempfile.mkdtemp(prefix="stratbox-client-test.")
            self.tokens = os.path.join(self.dir, "tokens")
            with open(self.tokens, "w") as f:
                f.write("# tenants\n")
                for name, tok in TOKENS.items():
                    f.write("%s %s\n" % (name, tok))
            os.chmod(self.tokens, 0o600)
            listen = "127.0.0.1:0"
        else:
            self.dir, self.tokens = again.dir, again.tokens
            listen = "127.0.0.1:%d" % again.port
        self.log_path = os.path.join(self.dir, "serve.log")
        # this server's lines only, after an earlier one's in the same log
        self.log_start = os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0
        argv = [stratbox, "serve", "--listen", listen, "--state-dir",
                os.path.join(self.dir, "state"), "--workers", str(workers),
                "--token-file", self.tokens] + list(extra)
        env = dict(os.environ)
        env.setdefault("STRATBOX_DATA_DIR", os.path.join(ROOT, "data"))
        self.proc = None
        self.port = 0
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, env=env,
                                         preexec_fn=_die_with_parent)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            m = re.search(r"listening on 127\.0\.0\.1:(\d+)", self.log())
            if m:
                self.port = int(m.group(1))
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        if not self.port:
            text = self.log()
            self.stop()
            raise RuntimeError("serve did not listen: %s" % text)
        self.url = "http://127.0.0.1:%d" % self.port

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                f.seek(self.log_start)
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def client(self, tenant="alice", url=None, **kw):
        kw.setdefault("max_wait", 60)
        return sc.CodeExecutor(url or self.url, TOKENS[tenant] if tenant else None, **kw)

    def stop(self, remove=True):
        """SIGTERM (running jobs finish), SIGKILL after 20 s; the exit
        status; the directory removed unless remove is false."""
        rc = None
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None:
            rc = self.proc.returncode
        if remove:
            shutil.rmtree(self.dir, ignore_errors=True)
        return rc


# ---- a proxy that drops the first answer ----


def _read_message(sock):
    """One HTTP/1.1 message (head and Content-Length body) from sock."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            return buf
        buf += chunk
    head, _, body = buf.partition(b"\r\n\r\n")
    m = re.search(rb"\r\ncontent-length:\s*(\d+)", head, re.I)
    n = int(m.group(1)) if m else 0
    while len(body) < n:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


class DroppingProxy:
    """Forwards each connection's request to the server, reads the whole
    answer, and for the first `drop` requests closes the client's
    connection instead of answering: the request took effect, the client
    never heard."""

    def __init__(self, port, drop=1):
        self.port = port
        self.drop = drop
        self.requests = []  # request heads, as received
        self.answers = []  # answer heads, as forwarded or dropped
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = "http://127.0.0.1:%d" % self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(60)
                try:
                    req = _read_message(conn)
                    self.requests.append(req.partition(b"\r\n\r\n")[0].decode("latin-1"))
                    with socket.create_connection(("127.0.0.1", self.port), timeout=60) as up:
                        up.sendall(req)
                        ans = _read_message(up)
                    self.answers.append(ans.partition(b"\r\n\r\n")[0].decode("latin-1"))
                    if len(self.answers) <= self.drop:
                        conn.shutdown(socket.SHUT_RDWR)
                        continue
                    conn.sendall(ans)
                except OSError:
                    pass

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accept()
        except OSError:
            pass
        self.sock.close()
        self.thread.join(5)


def header(head, name):
    m = re.search(r"^%s:\s*(.*?)\s*$" % re.escape(name), head, re.I | re.M)
    return m.group(1) if m else None


# ---- the tests ----


def t_execution_prints(s):
    ex = s.client()
    r = ex.execute_strategy("import json\nd = json.load(open('/workspace/data.json'))\n"
                            "print(sum(d['x']))\nprint('done')\n", data={"x": [1, 2, 3]}, timeout=10)
    check(isinstance(r, sc.ExecutionResult), "not an ExecutionResult: %r", r)
    eq(r.success, True, "success")
    eq(r.output, "6\ndone\n", "output")
    eq(r.error, None, "error")
    eq(r.status, "OK", "status")
    for k in ("wall_ms", "cpu_ms", "memory_peak_bytes", "queue_ms", "setup_ms", "exit_code"):
        check(isinstance(r.metrics.get(k), (int, float)), "metrics[%r] not a number: %r", k, r.metrics)
    eq(r.metrics["exit_code"], 0, "metrics exit_code")
    check(r.metrics["wall_ms"] > 0, "wall_ms %r", r.metrics["wall_ms"])
    # the job it ran as: done, submitted with a uuid4 Idempotency-Key
    job = ex.get_job(r.job_id)
    eq(job["status"], "done", "job status")
    eq(job["kind"], "execution", "job kind")
    eq(str(uuid.UUID(job["idempotency_key"])), job["idempotency_key"], "the key is a uuid")
    eq(uuid.UUID(job["idempotency_key"]).version, 4, "uuid version")
    eq(job["result"]["output"], "6\ndone\n", "the job's output")


def t_execution_raises(s):
    r = s.client().execute_strategy("print('before')\nraise ValueError('boom')\n")
    eq(r.success, False, "success")
    eq(r.status, "NONZERO_EXIT", "status")
    check(r.error and "ValueError: boom" in r.error, "error %r", r.error)
    eq(r.output, "before\n", "output")
    check("Traceback" in r.stderr, "stderr %r", r.stderr)
    eq(r.metrics.get("exit_code"), 1, "metrics exit_code")
    check("ValueError" in (r.result or {}).get("traceback", ""), "traceback in result")


def t_execution_refused_and_limits(s):
    ex = s.client()
    r = ex.execute_strategy("import os\nprint(os.environ)\n")
    eq(r.success, False, "refused: success")
    eq(r.status, "VALIDATION_ERROR", "refused: status")
    check(r.error and "os" in r.error, "refused: error %r", r.error)
    eq(r.output, "", "refused: nothing ran")
    r = ex.execute_strategy("while True:\n    pass\n", timeout=1)
    eq(r.success, False, "timeout: success")
    check(r.status.startswith("TIMEOUT"), "timeout: status %r", r.status)
    check(r.error, "timeout: no error text")
    # a bad value: the server's 422, a RequestError naming the field
    e = raises(sc.RequestError, ex.execute_strategy, "print(1)", timeout=-1)
    eq((e.status, e.code), (422, "invalid_request"), "bad timeout")
    check("timeout" in e.message, "message %r", e.message)
    e = raises(TypeError, ex.execute_strategy, "print(1)", cpus=2)
    check("cpus" in str(e), "TypeError names the option: %s", e)


def t_backtest_goog(s):
    ex = s.client()
    bt = ex.execute_backtest(SMA, ["GOOG"], {"fast": 5}, "2010-01-01", "2012-12-31")
    eq(set(bt) >= {"success", "results", "error"}, True, "keys %r" % sorted(bt))
    eq(bt["success"], True, "success (error %r)" % bt["error"])
    eq(bt["error"], None, "error")
    m, trades, equity = bt["results"]["metrics"], bt["results"]["trades"], bt["results"]["equity"]
    check(isinstance(m.get("return_pct"), float), "return_pct %r", m.get("return_pct"))
    eq(m["total_return"], m["return_pct"], "total_return")
    for k in ("sharpe", "max_drawdown_pct", "equity_final", "trades", "win_rate_pct"):
        check(k in m, "metric %s missing", k)
    check(isinstance(trades, list) and len(trades) > 0, "trades %r", trades[:1])
    eq(len(trades), m["trades"], "one trade per counted trade")
    for k in ("symbol", "size", "entry_time", "exit_time", "pnl", "return_pct"):
        check(k in trades[0], "trade key %s missing: %r", k, trades[0])
    eq(trades[0]["symbol"], "GOOG", "trade symbol")
    check(len(equity) > 700, "equity points %d", len(equity))
    eq(equity[0]["time"][:10], "2010-01-04", "first bar kept")
    eq(equity[-1]["time"][:10], "2012-12-31", "last bar kept")
    eq(bt["result"]["params"], {"fast": 5}, "params sent as config")
    # options map to the body: cash, commission
    bt2 = ex.execute_backtest(SMA, "GOOG", {"fast": 5}, date(2010, 1, 1), date(2012, 12, 31),
                              cash=50000, commission=0.001, code_name="sma_cross.py")
    eq(bt2["success"], True, "with options: success")
    eq(bt2["result"]["config"]["cash"], 50000, "cash")
    eq(bt2["result"]["config"]["commission"], 0.001, "commission")
    eq(bt2["results"]["equity"][0]["time"], equity[0]["time"], "date objects as dates")
    check(bt2["results"]["metrics"]["commissions"] > 0, "commissions paid")
    eq(bt2["result"]["provenance"]["code"], "sma_cross.py", "code_name")
    # datetimes: naive ones as UTC, aware ones converted
    bt3 = ex.execute_backtest(SMA, ["GOOG"], None, datetime(2010, 1, 5),
                              datetime(2012, 6, 29, 20, tzinfo=timezone(timedelta(hours=-5))))
    eq(bt3["success"], True, "datetimes: success (%r)" % bt3["error"])
    eq(bt3["results"]["equity"][0]["time"], "2010-01-05T00:00:00Z", "datetime start")
    eq(bt3["results"]["equity"][-1]["time"], "2012-06-29T00:00:00Z", "datetime end")


def t_backtest_failures(s):
    ex = s.client()
    bad = ("from stratbox import BaseStrategy\nclass S(BaseStrategy):\n"
           "    def generate_signals(self, d):\n        raise RuntimeError('no signal')\n")
    bt = ex.execute_backtest(bad, ["GOOG"], None, "2011-01-01", "2011-06-30")
    eq(bt["success"], False, "raising strategy: success")
    check(bt["error"] and "RuntimeError: no signal" in bt["error"], "error %r", bt["error"])
    eq(bt["results"], {"metrics": {}, "trades": [], "equity": []}, "no results")
    e = raises(sc.RequestError, ex.execute_backtest, SMA, ["NOSUCH"], None, None, None)
    eq((e.status, e.code), (422, "invalid_request"), "unknown dataset")
    check("NOSUCH" in e.message, "message names it: %r", e.message)
    # unknown options: a TypeError before any request (nothing listens there)
    dead = sc.CodeExecutor("http://127.0.0.1:1", TOKENS["alice"], max_retries=0)
    e = raises(TypeError, dead.execute_backtest, SMA, ["GOOG"], None, None, None, cach=1, fee=2)
    check("'cach'" in str(e) and "'fee'" in str(e), "names both: %s", e)


def t_validate(s):
    ex = s.client()
    v = ex.validate("import os\nprint(os.listdir('/'))\n")
    eq(v["ok"], False, "refused: ok")
    check(v["errors"] >= 1, "errors %r", v["errors"])
    rules = [x["rule"] for x in v["violations"]]
    check("import-not-allowed" in rules, "rules %r", rules)
    eq(v["violations"][0]["line"], 1, "line")
    v = ex.validate(SMA)
    eq((v["ok"], v["errors"]), (True, 0), "the SMA strategy")
    v = ex.validate("def f(:\n")
    eq(v["ok"], False, "syntax: ok")
    eq(v["violations"][0]["rule"], "syntax", "syntax rule")


def t_auth(s):
    wrong = sc.CodeExecutor(s.url, "wrong-token-0123456789", max_retries=0)
    e = raises(sc.AuthError, wrong.execute_strategy, "print(1)")
    eq((e.status, e.code), (401, "unauthorized"), "wrong token")
    raises(sc.AuthError, wrong.validate, "print(1)")
    none = sc.CodeExecutor(s.url, None, max_retries=0)
    raises(sc.AuthError, none.list_jobs)
    check(isinstance(e, sc.StratboxError), "AuthError is a StratboxError")
    eq(none.health()["status"], "ok", "healthz needs no token")


def t_jobs_not_found_and_tenants(s):
    alice, bob = s.client("alice"), s.client("bob")
    r = alice.execute_strategy("print('mine')")
    e = raises(sc.NotFoundError, bob.get_job, r.job_id)
    eq((e.status, e.code), (404, "not_found"), "another tenant's job")
    raises(sc.NotFoundError, bob.cancel, r.job_id)
    raises(sc.NotFoundError, alice.get_job, "j" + "0" * 25)
    raises(sc.NotFoundError, alice.get_job, "../../healthz")
    ids = [j["id"] for j in alice.list_jobs(limit=500)["jobs"]]
    check(r.job_id in ids, "alice lists her job")
    check(r.job_id not in [j["id"] for j in bob.list_jobs()["jobs"]], "bob does not")
    names = [d["name"] for d in alice.datasets()]
    check("GOOG" in names, "datasets %r", names)


def t_cancel(s):
    ex = s.client()
    slow = [ex.submit("executions", {"code": "import time\ntime.sleep(1.5)\n"}) for _ in range(2)]
    queued = ex.submit("executions", {"code": "print('never')\n"})
    eq(queued["status"], "queued", "the third job waits (2 workers)")
    c = ex.cancel(queued["id"])
    eq(c["status"], "cancelled", "cancelled")
    eq(ex.cancel(queued["id"])["status"], "cancelled", "cancel again: the same answer")
    r = ExecutionResultOf(ex, queued["id"])
    eq((r.success, r.status), (False, "CANCELLED"), "a cancelled job's result")
    done = ex.wait_job(slow[0], max_wait=30)
    eq(done["status"], "done", "slow job")
    e = raises(sc.ConflictError, ex.cancel, slow[0]["id"])
    eq((e.status, e.code), (409, "already_ended"), "cancel an ended job")
    check(isinstance(e, sc.RequestError), "ConflictError is a RequestError")
    ex.wait_job(slow[1], max_wait=30)


def ExecutionResultOf(ex, job_id):  # noqa: N802 - reads as the type it builds
    return sc.ExecutionResult.from_job(ex.wait_job(job_id, max_wait=30))


def t_explicit_idempotency_key(s):
    ex = s.client()
    key = "client-test-" + uuid.uuid4().hex
    a = ex.execute_strategy("print('once')", idempotency_key=key)
    b = ex.execute_strategy("print('once')", idempotency_key=key)
    eq(b.job_id, a.job_id, "the same key finds the same job")
    e = raises(sc.RequestError, ex.execute_strategy, "print('twice')", idempotency_key=key)
    eq((e.status, e.code), (422, "idempotency_key_reused"), "another body, the same key")


def t_retry_after_dropped_answer(s):
    """The first answer to the submit is lost: the client retries with the
    same key and the server replays the job it created; one job."""
    proxy = DroppingProxy(s.port, drop=1)
    try:
        retries = []
        ex = s.client("carol", url=proxy.url, backoff=0.05,
                      on_retry=lambda n, d, e: retries.append((n, d, e)))
        r = ex.execute_strategy("print('exactly once')")
        eq(r.success, True, "success")
        eq(r.output, "exactly once\n", "output")
        eq(len(retries), 1, "retries %r" % retries)
        check(not isinstance(retries[0][2], sc.StratboxError), "a connection error: %r", retries[0][2])
        posts = [h for h in proxy.requests if h.startswith("POST ")]
        eq(len(posts), 2, "POSTs through the proxy")
        k1, k2 = header(posts[0], "Idempotency-Key"), header(posts[1], "Idempotency-Key")
        check(k1 and k1 == k2, "the same key twice: %r %r", k1, k2)
        check(header(proxy.answers[0], "Idempotent-Replayed") is None, "the first answer is the original")
        eq(header(proxy.answers[1], "Idempotent-Replayed"), "true", "the retry's answer is a replay")
        jobs = s.client("carol").list_jobs()["jobs"]
        eq(len(jobs), 1, "carol's jobs")
        eq(jobs[0]["id"], r.job_id, "the one job")
        eq(jobs[0]["idempotency_key"], k1, "its key")
    finally:
        proxy.close()


def t_unreachable(s):
    # a port nothing listens on: connection refused, retried, then ServiceUnavailable
    port = _free_port()
    retries = []
    ex = sc.CodeExecutor("http://127.0.0.1:%d" % port, "x" * 20, max_retries=2, backoff=0.05,
                         on_retry=lambda n, d, e: retries.append(n))
    e = raises(sc.ServiceUnavailable, ex.execute_strategy, "print(1)")
    eq(e.attempts, 3, "attempts")
    eq(retries, [1, 2], "retries")
    eq(e.status, None, "no HTTP status")


def t_overall_timeout(s):
    ex = s.client(max_wait=2)
    t0 = time.monotonic()
    e = raises(sc.StratboxTimeoutError, ex.execute_strategy, "import time\ntime.sleep(4)\nprint('late')\n")
    took = time.monotonic() - t0
    check(isinstance(e, TimeoutError), "a TimeoutError too")
    check(1.5 <= took < 3.5, "gave up after %.2f s (max_wait 2)", took)
    check(e.job_id, "names the job")
    job = ex.get_job(e.job_id)
    check(job["status"] in ("queued", "running"), "the job goes on: %s", job["status"])
    eq(ex.cancel(e.job_id)["status"], "cancelled", "and can be cancelled")


def t_env_entry_point(s):
    saved = {k: os.environ.get(k) for k in ("STRATBOX_URL", "STRATBOX_TOKEN")}
    try:
        os.environ["STRATBOX_URL"] = s.url
        os.environ["STRATBOX_TOKEN"] = TOKENS["dave"]
        bt = sc.execute_strategy_in_container(SMA, ["GOOG"], {"fast": 5, "slow": 20},
                                              "2011-01-01", "2011-12-31")
        eq(bt["success"], True, "success (%r)" % bt["error"])
        eq(bt["results"]["metrics"]["total_return"], bt["results"]["metrics"]["return_pct"], "total_return")
        eq(bt["results"]["equity"][0]["time"][:4], "2011", "start")
        jobs = s.client("dave").list_jobs()["jobs"]
        eq([(j["id"], j["kind"]) for j in jobs], [(bt["job_id"], "backtest")], "dave's one job")
        os.environ["STRATBOX_TOKEN"] = "not-a-token-000000000"
        raises(sc.AuthError, sc.execute_strategy_in_container, SMA, ["GOOG"], None, None, None)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def t_queue_full_429(stratbox):
    """--max-queue 1, one worker, one job running and one queued: the next
    submit is 429 with Retry-After; the client sleeps that long and gets in."""
    s = Server(stratbox, workers=1, extra=["--max-queue", "1"])
    try:
        ex = s.client()
        first = ex.submit("executions", {"code": "import time\ntime.sleep(2.5)\n"})
        for _ in range(100):
            if ex.get_job(first["id"])["status"] == "running":
                break
            time.sleep(0.05)
        second = ex.submit("executions", {"code": "print('second')\n"})
        eq(second["status"], "queued", "the second job queues")
        # no retries: the 429 itself
        e = raises(sc.ServiceUnavailable, s.client(max_retries=0).execute_strategy, "print(0)")
        eq((e.status, e.code, e.retry_after), (429, "queue_full", 5.0), "429 queue_full, Retry-After 5")
        eq(e.attempts, 1, "one attempt")
        # with retries: waits Retry-After, then succeeds
        retries = []
        ex = s.client(on_retry=lambda n, d, e: retries.append((d, e)))
        t0 = time.monotonic()
        r = ex.execute_strategy("print('third')\n")
        took = time.monotonic() - t0
        eq((r.success, r.output), (True, "third\n"), "the third job")
        check(len(retries) >= 1, "it retried")
        d, err = retries[0]
        check(isinstance(err, sc.StratboxError) and err.status == 429, "after a 429: %r", err)
        check(5.0 <= d <= 5.6, "slept Retry-After (%.2f s)", d)
        check(took >= 5.0, "took %.2f s", took)
        jobs = ex.list_jobs()["jobs"]
        eq(len(jobs), 3, "three jobs, none from a refused submit")
        eq(ex.get_job(second["id"])["result"]["output"], "second\n", "the queued job ran")
    finally:
        s.stop()


def t_server_restart(stratbox):
    """The server stops (SIGTERM) while the client waits for a queued job,
    and starts again on the same port and state directory: the client's
    polls ride through the refused connections and get the job's result,
    run once."""
    s = Server(stratbox, workers=1)
    s2 = None
    try:
        ex = s.client()
        first = ex.submit("executions", {"code": "import time\ntime.sleep(1)\nprint('first')\n"})
        out, retries = {}, []
        waiter = s.client(max_retries=40, backoff=0.1, max_backoff=0.5,
                          on_retry=lambda n, d, e: retries.append(e))

        def run():
            try:
                out["r"] = waiter.execute_strategy("print('after the restart')\n")
            except Exception as e:  # noqa: BLE001 - reported by the test
                out["e"] = e

        t = threading.Thread(target=run, daemon=True)
        t.start()
        for _ in range(200):
            jobs = ex.list_jobs()["jobs"]
            if len(jobs) == 2:
                break
            time.sleep(0.02)
        eq([j["status"] for j in jobs][0], "queued", "the client's job waits behind the first")
        eq(s.stop(remove=False), 0, "the first server's exit")
        time.sleep(0.5)  # the client finds nobody listening
        s2 = Server(stratbox, workers=1, again=s)
        t.join(60)
        check(not t.is_alive(), "the client is still waiting")
        check("e" not in out, "the client failed: %r", out.get("e"))
        r = out["r"]
        eq((r.success, r.output), (True, "after the restart\n"), "the result")
        check(any(not isinstance(e, sc.StratboxError) for e in retries),
              "it retried after a refused connection: %r", retries)
        jobs = s2.client().list_jobs()["jobs"]
        eq(sorted(j["status"] for j in jobs), ["done", "done"], "two jobs, both done")
        eq(jobs[0]["attempts"], 1, "run once")
        eq(ex.get_job(first["id"])["result"]["output"], "first\n", "the first ran before the stop")
    finally:
        if s2 is not None:
            s2.stop()
        s.stop()


def _free_port():
    with socket.socket() as so:
        so.bind(("127.0.0.1", 0))
        return so.getsockname()[1]


SHARED = [
    t_execution_prints,
    t_execution_raises,
    t_execution_refused_and_limits,
    t_backtest_goog,
    t_backtest_failures,
    t_validate,
    t_auth,
    t_jobs_not_found_and_tenants,
    t_cancel,
    t_explicit_idempotency_key,
    t_retry_after_dropped_answer,
    t_unreachable,
    t_overall_timeout,
    t_env_entry_point,
]
OWN_SERVER = [t_queue_full_429, t_server_restart]


def main(argv):
    filt = None
    if "--filter" in argv:
        i = argv.index("--filter")
        filt = argv[i + 1]
        del argv[i:i + 2]
    stratbox = os.path.abspath(argv[0] if argv else os.path.join(ROOT, "build", "stratbox"))
    if not os.access(stratbox, os.X_OK):
        print("no %s: run make first" % stratbox)
        print("client: 0 passed, 0 failed, 1 skipped")
        return 0
    # the proxy variables would send loopback requests elsewhere
    for k in list(os.environ):
        if k.lower() in ("http_proxy", "https_proxy", "all_proxy"):
            del os.environ[k]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    passed = failed = 0
    t_start = time.monotonic()

    def run(t, arg):
        nonlocal passed, failed
        name = t.__name__[2:]
        if filt and filt not in name:
            return
        t0 = time.monotonic()
        try:
            t(arg)
        except Exception as e:  # noqa: BLE001 - any exception fails the test
            failed += 1
            print("FAIL  %-36s %5.2f s  %s: %s" % (name, time.monotonic() - t0, type(e).__name__, e))
            if not isinstance(e, Failure):
                traceback.print_exc(file=sys.stdout)
        else:
            passed += 1
            print("ok    %-36s %5.2f s" % (name, time.monotonic() - t0))
        sys.stdout.flush()

    server = None
    try:
        server = Server(stratbox, workers=2)
        for t in SHARED:
            run(t, server)
    except Exception as e:  # noqa: BLE001 - a server that does not start fails the run
        failed += 1
        print("FAIL  start the server: %s" % e)
    finally:
        if server is not None:
            server.stop()
    for t in OWN_SERVER:
        run(t, stratbox)
    print("(%.1f s)" % (time.monotonic() - t_start))
    print("client: %d passed, %d failed, 0 skipped" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
