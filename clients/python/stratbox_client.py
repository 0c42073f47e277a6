"""A client for the stratbox HTTP service (`stratbox serve`), standard library only.

Copy this one file into your project.  It talks to the endpoints of
docs/http-api.md and keeps the reference design's names, so a backend that
used the reference's container executor switches by changing an import::

    from stratbox_client import CodeExecutor

    ex = CodeExecutor("http://127.0.0.1:8080", token="...")
    r = ex.execute_strategy("print(1 + 1)")
    r.success, r.output, r.error, r.metrics       # True, "2\\n", None, {...}
    bt = ex.execute_backtest(code, ["GOOG"], {"fast": 5}, "2010-01-01", "2012-12-31")
    bt["success"], bt["results"]["metrics"]["total_return"]

Every job is submitted with an ``Idempotency-Key`` (a fresh uuid4 per call)
and ``?wait=``; a job still running when the wait ends is polled with
``GET /v1/jobs/{id}?wait=`` until it ends or the call's overall deadline
passes.  Connection errors, 5xx and 429 (honouring ``Retry-After``) are
retried, a bounded number of times, with the *same* key, so a retried submit
never creates a second job.  HTTP failures raise a :class:`StratboxError`
subclass.  docs/client.md is the manual.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import logging
import os
import random
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

__all__ = [
    "CodeExecutor",
    "ExecutionResult",
    "execute_strategy_in_container",
    "StratboxError",
    "AuthError",
    "NotFoundError",
    "RequestError",
    "ConflictError",
    "ServiceUnavailable",
    "StratboxTimeoutError",
    "EXECUTION_OPTIONS",
    "BACKTEST_OPTIONS",
    "DEFAULT_URL",
]

__version__ = "1.0"

#: Where ``stratbox serve`` listens by default (and the URL used when
#: ``STRATBOX_URL`` is not set).
DEFAULT_URL = "http://127.0.0.1:8080"

#: ``execute_strategy``'s keyword options: fields of ``POST /v1/executions``
#: besides ``code``, ``data`` and ``timeout``.
EXECUTION_OPTIONS: Tuple[str, ...] = ("cpu_time", "memory", "seed", "id")

#: ``execute_backtest``'s keyword options: fields of ``POST /v1/backtests``
#: besides ``code``, ``symbols``, ``params`` (the ``config`` argument),
#: ``start`` and ``end``.
BACKTEST_OPTIONS: Tuple[str, ...] = (
    "data",
    "strategy",
    "code_name",
    "cash",
    "commission",
    "commission_fixed",
    "spread",
    "margin",
    "fractional",
    "trade_on_close",
    "end_policy",
    "timeout",
    "cpu_time",
    "memory",
    "cpus",
    "seed",
)

_ENDED = ("done", "failed", "cancelled")
_RETRY_STATUSES = (429, 500, 502, 503, 504)

log = logging.getLogger("stratbox_client")

JSON = Any
RetryHook = Callable[[int, float, BaseException], None]


# ---- errors ----


class StratboxError(Exception):
    """Base of every error this client raises.

    ``status`` is the HTTP status (``None`` when there was no answer),
    ``code`` and ``message`` the server's ``{"error": {"code", "message"}}``,
    ``job_id`` the job concerned when there is one, ``retry_after`` the
    server's ``Retry-After`` in seconds when it sent one.
    """

    def __init__(
        self,
        message: str,
        *,
        status: Optional[int] = None,
        code: Optional[str] = None,
        job_id: Optional[str] = None,
        retry_after: Optional[float] = None,
    ) -> None:
        self.message = message
        self.status = status
        self.code = code
        self.job_id = job_id
        self.retry_after = retry_after
        super().__init__(self.__str__())

    def __str__(self) -> str:
        head = ""
        if self.status is not None:
            head = "%d %s: " % (self.status, self.code or "error")
        elif self.code:
            head = "%s: " % self.code
        return head + self.message


class AuthError(StratboxError):
    """401: no valid bearer token (``code`` is ``unauthorized``)."""


class NotFoundError(StratboxError):
    """404: no such job for this token's tenant (or no such path)."""


class RequestError(StratboxError):
    """Any other 4xx: the request is wrong and retrying it will not help
    (``bad_json``, ``bad_query``, ``bad_idempotency_key``,
    ``method_not_allowed``, ``body_too_large``, ``unsupported_media_type``,
    ``invalid_request``, ``idempotency_key_reused``, ...)."""


class ConflictError(RequestError):
    """409 ``already_ended``: cancelling a job that has already ended."""


class ServiceUnavailable(StratboxError):
    """The service did not answer usefully after every retry: connection
    errors, 5xx, or 429 (``queue_full``).  ``status``/``code`` are the last
    answer's (``None`` after a connection error); ``attempts`` counts the
    requests made."""

    attempts: int = 0


class StratboxTimeoutError(StratboxError, TimeoutError):
    """The call's overall deadline (``max_wait``) passed before the job ended.

    The job goes on in the service: ``job_id`` names it (when it was
    accepted), for :meth:`CodeExecutor.get_job` or :meth:`CodeExecutor.cancel`.
    Also a built-in :class:`TimeoutError`."""


# ---- results ----


@dataclass
class ExecutionResult:
    """What :meth:`CodeExecutor.execute_strategy` returns.

    The first four fields are the reference design's:

    - ``success``: the code ran and exited 0 (``result.success``);
    - ``output``: what it printed on stdout;
    - ``error``: ``None`` on success, else one line: the exception
      (``"ValueError: boom"``), the validator's first violation, the
      sandbox's account of a limit, or why the service could not run it;
    - ``metrics``: the execution result's ``metrics`` object as the service
      gives it: ``wall_ms``, ``cpu_ms``, ``memory_peak_bytes``, ``queue_ms``,
      ``setup_ms``, ``exit_code``, ``warm`` (a warm pool slot ran it) and
      ``protocol_errors``; ``{}`` when nothing ran (refused by the validator,
      cancelled, failed).

    The rest are stratbox's: ``status`` (``OK``, ``NONZERO_EXIT``,
    ``VALIDATION_ERROR``, ``TIMEOUT_WALL``, ``MEMORY_LIMIT``, ..., or ``CANCELLED``/``FAILED`` for
    a job that did not run to a result), ``stderr``, ``job_id``, and
    ``result``, the whole result object (``verdict``, ``traceback``,
    ``violations``, ...), or ``None``.
    """

    success: bool
    output: str
    error: Optional[str]
    metrics: Dict[str, Any]
    status: str = ""
    stderr: str = ""
    job_id: Optional[str] = None
    result: Optional[Dict[str, Any]] = field(default=None, repr=False)

    @classmethod
    def from_job(cls, job: Mapping[str, Any]) -> "ExecutionResult":
        """The result of an ended execution job (``GET /v1/jobs/{id}``'s body)."""
        r = job.get("result") or {}
        jid = job.get("id")
        st = job.get("status")
        if st == "done":
            ok = bool(r.get("success"))
            err = None if ok else (r.get("error") or r.get("status") or "the code did not succeed")
            return cls(
                success=ok,
                output=r.get("output") or "",
                error=err,
                metrics=dict(r.get("metrics") or {}),
                status=r.get("status") or "",
                stderr=r.get("stderr") or "",
                job_id=jid,
                result=dict(r),
            )
        return cls(
            success=False,
            output="",
            error=_job_not_done_error(job),
            metrics={},
            status="CANCELLED" if st == "cancelled" else "FAILED",
            job_id=jid,
            result=dict(r) if r else None,
        )


def _job_not_done_error(job: Mapping[str, Any]) -> str:
    r = job.get("result") or {}
    if job.get("status") == "cancelled":
        return "job %s was cancelled" % job.get("id")
    return "the service could not run job %s: %s" % (job.get("id"), r.get("error") or "no reason given")


def backtest_result(job: Mapping[str, Any]) -> Dict[str, Any]:
    """The reference design's backtest dictionary from an ended backtest job.

    ``{"success", "results": {"metrics", "trades", "equity"}, "error"}``,
    with ``metrics["total_return"]`` (percent) equal to stratbox's
    ``return_pct``, plus ``status``, ``output``, ``job_id`` and ``result``
    (the whole result object of docs/backtest.md, "The JSON result")."""
    r = job.get("result") or {}
    done = job.get("status") == "done"
    ok = done and bool(r.get("success"))
    metrics = dict(r.get("metrics") or {}) if done else {}
    if "return_pct" in metrics:
        metrics["total_return"] = metrics["return_pct"]
    if ok:
        err = None
    elif done:
        err = r.get("error") or r.get("status") or "the backtest did not succeed"
    else:
        err = _job_not_done_error(job)
    return {
        "success": ok,
        "results": {
            "metrics": metrics,
            "trades": list(r.get("trades") or []) if done else [],
            "equity": list(r.get("equity") or []) if done else [],
        },
        "error": err,
        "status": (r.get("status") or "") if done else
        ("CANCELLED" if job.get("status") == "cancelled" else "FAILED"),
        "output": (r.get("output") or "") if done else "",
        "job_id": job.get("id"),
        "result": dict(r) if r else None,
    }


# ---- helpers ----


def _check_options(options: Mapping[str, Any], allowed: Sequence[str], call: str) -> Dict[str, Any]:
    unknown = sorted(k for k in options if k not in allowed)
    if unknown:
        raise TypeError(
            "%s: unknown option%s %s (it takes %s)"
            % (call, "s" if len(unknown) > 1 else "", ", ".join(repr(k) for k in unknown), ", ".join(allowed))
        )
    return {k: v for k, v in options.items() if v is not None}


def _date_text(d: Union[str, date, datetime, None], what: str) -> Optional[str]:
    if d is None or isinstance(d, str):
        return d
    if isinstance(d, datetime):
        if d.tzinfo is not None:
            d = d.astimezone(timezone.utc).replace(tzinfo=None)
        return d.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(d, date):
        return d.isoformat()
    raise TypeError("%s must be a string (\"2010-01-01\"), a date or a datetime, not %s" % (what, type(d).__name__))


def _parse_retry_after(value: Optional[str]) -> Optional[float]:
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(int(value)))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _error_from_answer(status: int, body: bytes, retry_after: Optional[float], job_id: Optional[str]) -> StratboxError:
    code, message = None, None
    try:
        doc = json.loads(body.decode("utf-8"))
        e = doc.get("error") if isinstance(doc, dict) else None
        if isinstance(e, dict):
            code, message = e.get("code"), e.get("message")
    except (ValueError, UnicodeDecodeError):
        pass
    if message is None:
        text = body.decode("utf-8", "replace").strip()
        message = text[:300] if text else "no error body"
    cls: type = StratboxError
    if status == 401:
        cls = AuthError
    elif status == 404:
        cls = NotFoundError
    elif status == 409:
        cls = ConflictError
    elif 400 <= status < 500 and status != 429:
        cls = RequestError
    elif status in _RETRY_STATUSES:
        cls = ServiceUnavailable
    return cls(message, status=status, code=code, job_id=job_id, retry_after=retry_after)


class _Answer:
    __slots__ = ("status", "headers", "body")

    def __init__(self, status: int, headers: Mapping[str, str], body: JSON) -> None:
        self.status = status
        self.headers = headers
        self.body = body


# ---- the client ----


class CodeExecutor:
    """A client of one stratbox service.

    :param url: the service's base URL (``http://HOST:PORT`` or ``https://``).
    :param token: the bearer token (a line of the server's ``--token-file``);
        ``None`` for a server started without one.
    :param max_wait: the default overall deadline, in seconds, of one call:
        submitting, waiting in the queue, running, every retry and poll.
        When it passes, :class:`StratboxTimeoutError`.
    :param max_retries: retries of one request after a connection error, a
        5xx or a 429, before :class:`ServiceUnavailable`.
    :param backoff: the first retry's delay (seconds) when the server gave
        no ``Retry-After``; it doubles each retry (with jitter) up to
        ``max_backoff``.
    :param max_retry_after: the longest ``Retry-After`` honoured as given
        (longer ones are cut to this).
    :param long_poll: the longest ``?wait=`` of one request, seconds (the
        server allows 600).
    :param http_timeout: the socket timeout of a request, on top of its
        ``?wait=``.
    :param on_retry: called as ``on_retry(attempt, delay, error)`` before
        each retry's sleep (for logging or tests); ``error`` is the
        :class:`StratboxError` or the connection's exception.
    :param opener: a ``urllib.request.OpenerDirector`` to send requests
        through (for a custom TLS context or proxies); the default one
        honours the ``*_proxy`` environment variables as urllib does.
    """

    def __init__(
        self,
        url: str = DEFAULT_URL,
        token: Optional[str] = None,
        *,
        max_wait: float = 600.0,
        max_retries: int = 6,
        backoff: float = 0.5,
        max_backoff: float = 10.0,
        max_retry_after: float = 60.0,
        long_poll: float = 30.0,
        http_timeout: float = 30.0,
        on_retry: Optional[RetryHook] = None,
        opener: Optional[urllib.request.OpenerDirector] = None,
    ) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("url must be http://HOST:PORT or https://HOST:PORT, not %r" % (url,))
        self.url = url.rstrip("/")
        self.token = token
        self.max_wait = float(max_wait)
        self.max_retries = int(max_retries)
        self.backoff = float(backoff)
        self.max_backoff = float(max_backoff)
        self.max_retry_after = float(max_retry_after)
        self.long_poll = float(long_poll)
        self.http_timeout = float(http_timeout)
        self.on_retry = on_retry
        self._opener = opener or urllib.request.build_opener()

    def __repr__(self) -> str:
        return "CodeExecutor(%r, token=%s)" % (self.url, "'***'" if self.token else None)

    # ---- the reference design's calls ----

    def execute_strategy(
        self,
        code: str,
        data: Any = None,
        timeout: Optional[float] = 30,
        *,
        max_wait: Optional[float] = None,
        idempotency_key: Optional[str] = None,
        **options: Any,
    ) -> ExecutionResult:
        """Run Python ``code`` in the sandbox (``POST /v1/executions``) and wait for it.

        :param data: any JSON-serialisable value; the code reads it from
            ``/workspace/data.json`` (or ``stratbox.data()``).
        :param timeout: the sandbox's wall-clock limit, seconds (``None``:
            the server's default).
        :param max_wait: this call's overall deadline (default: the
            executor's ``max_wait``).
        :param idempotency_key: the key to submit with (default: a fresh
            uuid4); give your own to make a retry of the whole call, from
            another process, find the same job.
        :param options: ``cpu_time`` (seconds), ``memory`` (``"256M"`` or
            bytes), ``seed``, ``id`` (your own tag); others raise
            ``TypeError`` before any request.
        :returns: an :class:`ExecutionResult`; a strategy that raised or
            was refused is ``success=False``, not an exception.
        :raises StratboxError: its subclasses, for HTTP failures.
        """
        body: Dict[str, Any] = {"code": code}
        body.update(_check_options(options, EXECUTION_OPTIONS, "execute_strategy"))
        if data is not None:
            body["data"] = data
        if timeout is not None:
            body["timeout"] = timeout
        job = self.run_job("executions", body, max_wait=max_wait, idempotency_key=idempotency_key)
        return ExecutionResult.from_job(job)

    def execute_backtest(
        self,
        code: str,
        symbols: Union[Sequence[str], str, None],
        config: Optional[Mapping[str, Any]] = None,
        start_date: Union[str, date, datetime, None] = None,
        end_date: Union[str, date, datetime, None] = None,
        *,
        max_wait: Optional[float] = None,
        idempotency_key: Optional[str] = None,
        **options: Any,
    ) -> Dict[str, Any]:
        """Backtest a strategy class over bars (``POST /v1/backtests``) and wait for it.

        :param code: the source defining a ``BaseStrategy`` subclass.
        :param symbols: dataset names (``["GOOG"]`` or ``"GOOG,NVDA"``), from
            ``GET /v1/datasets``; ``None`` when ``data=`` gives inline bars.
        :param config: the strategy's parameters (``{"fast": 5}``), the
            body's ``params``.
        :param start_date: first day kept (``"2010-01-01"``, a ``date`` or a
            ``datetime``, naive ones taken as UTC); ``None``: from the start.
        :param end_date: last day kept, inclusive.
        :param options: the body's other fields: ``data`` (``{"SYMBOL":
            "CSV text"}``), ``strategy``, ``code_name``, ``cash``, ``commission``,
            ``commission_fixed``, ``spread``, ``margin``, ``fractional``,
            ``trade_on_close``, ``end_policy``, ``timeout``, ``cpu_time``,
            ``memory``, ``cpus``, ``seed``; others raise ``TypeError``
            before any request.
        :returns: ``{"success", "results": {"metrics", "trades", "equity"},
            "error", "status", "output", "job_id", "result"}``; metrics carry
            ``total_return`` (percent, equal to ``return_pct``).
        :raises StratboxError: its subclasses, for HTTP failures
            (:class:`RequestError` ``invalid_request`` for an unknown
            dataset or a bad option value).
        """
        opts = _check_options(options, BACKTEST_OPTIONS, "execute_backtest")
        body: Dict[str, Any] = {"code": code}
        if isinstance(symbols, str):
            body["symbols"] = symbols
        elif symbols is not None:
            body["symbols"] = list(symbols)
        if config is not None:
            body["params"] = dict(config)
        start = _date_text(start_date, "start_date")
        end = _date_text(end_date, "end_date")
        if start is not None:
            body["start"] = start
        if end is not None:
            body["end"] = end
        body.update(opts)
        job = self.run_job("backtests", body, max_wait=max_wait, idempotency_key=idempotency_key)
        return backtest_result(job)

    def validate(self, code: str, *, max_wait: Optional[float] = None) -> Dict[str, Any]:
        """Check ``code`` against the service's policy (``POST /v1/validate``); nothing runs.

        :returns: ``{"ok", "errors", "warnings", "violations": [{"line",
            "col", "rule", "severity", "message"}]}``; code that does not
            tokenize is one violation with the rule ``syntax``.
        """
        deadline = self._deadline(max_wait)
        return self._request("POST", "/v1/validate", body={"code": code}, deadline=deadline).body

    # ---- jobs ----

    def submit(
        self,
        kind: str,
        body: Mapping[str, Any],
        *,
        wait: float = 0,
        idempotency_key: Optional[str] = None,
        max_wait: Optional[float] = None,
    ) -> Dict[str, Any]:
        """Submit a raw request body to ``POST /v1/{kind}`` (``"executions"`` or
        ``"backtests"``) and return the job as the server answered it
        (ended when it ended within ``wait`` seconds, else queued or
        running).  Retried with one idempotency key."""
        if kind not in ("executions", "backtests"):
            raise ValueError("kind must be 'executions' or 'backtests', not %r" % (kind,))
        deadline = self._deadline(max_wait)
        key = idempotency_key or str(uuid.uuid4())
        w = self._wait_for(deadline, wait)
        return self._request(
            "POST",
            "/v1/" + kind,
            body=body,
            query={"wait": w} if w > 0 else None,
            headers={"Idempotency-Key": key},
            deadline=deadline,
            wait=w,
        ).body

    def run_job(
        self,
        kind: str,
        body: Mapping[str, Any],
        *,
        max_wait: Optional[float] = None,
        idempotency_key: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Submit a raw request body and wait for its job to end; return the ended job."""
        deadline = self._deadline(max_wait)
        job = self.submit(
            kind,
            body,
            wait=self.long_poll,
            idempotency_key=idempotency_key,
            max_wait=deadline - time.monotonic(),
        )
        return self.wait_job(job, max_wait=deadline - time.monotonic())

    def wait_job(self, job: Union[str, Mapping[str, Any]], *, max_wait: Optional[float] = None) -> Dict[str, Any]:
        """Wait until a job (its id, or its dict) ends; return it.

        Polls ``GET /v1/jobs/{id}?wait=`` (the server answers as soon as the
        job ends); a poll that comes back early without the job ended (a
        server stopping) is followed by a pause that doubles up to
        ``max_backoff``.
        :raises StratboxTimeoutError: when ``max_wait`` passes first."""
        deadline = self._deadline(max_wait)
        if isinstance(job, str):
            job = {"id": job, "status": "queued"}
        jid = str(job["id"])
        pause = min(0.1, self.max_backoff)
        while job.get("status") not in _ENDED:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise StratboxTimeoutError(
                    "job %s did not end within the deadline (it is %s)" % (jid, job.get("status")),
                    job_id=jid,
                )
            w = self._wait_for(deadline, self.long_poll)
            t0 = time.monotonic()
            job = self._get_job(jid, w, deadline)
            if job.get("status") in _ENDED:
                break
            if time.monotonic() - t0 < max(0.5, w / 2):
                time.sleep(max(0.0, min(pause, deadline - time.monotonic())))
                pause = min(pause * 2, self.max_backoff)
            else:
                pause = min(0.1, self.max_backoff)
        return dict(job)

    def get_job(self, job_id: str, *, wait: Optional[float] = None) -> Dict[str, Any]:
        """``GET /v1/jobs/{id}``: the job, with its result once ended.
        ``wait``: up to that many seconds for it to end first.
        :raises NotFoundError: no such job for this token."""
        deadline = self._deadline(None if not wait else max(self.max_wait, wait + self.http_timeout))
        return self._get_job(job_id, int(wait or 0), deadline)

    def cancel(self, job_id: str) -> Dict[str, Any]:
        """``DELETE /v1/jobs/{id}``: cancel a queued or running job; return it
        (``status`` ``cancelled``).  Cancelling a job already cancelled
        returns it too (so a retried cancel is harmless).
        :raises ConflictError: the job had already ended otherwise
            (``already_ended``).
        :raises NotFoundError: no such job for this token."""
        deadline = self._deadline(None)
        try:
            return self._request("DELETE", "/v1/jobs/" + self._quote_id(job_id), deadline=deadline, job_id=job_id).body
        except ConflictError:
            job = self._get_job(job_id, 0, deadline)
            if job.get("status") == "cancelled":
                return job
            raise

    def list_jobs(
        self, *, status: Optional[str] = None, limit: Optional[int] = None, cursor: Optional[str] = None
    ) -> Dict[str, Any]:
        """``GET /v1/jobs``: this tenant's jobs, newest first, without results:
        ``{"jobs": [...], "next_cursor": str | None}``."""
        query: Dict[str, Any] = {}
        if status is not None:
            query["status"] = status
        if limit is not None:
            query["limit"] = int(limit)
        if cursor is not None:
            query["cursor"] = cursor
        return self._request("GET", "/v1/jobs", query=query or None, deadline=self._deadline(None)).body

    def datasets(self) -> List[Dict[str, Any]]:
        """``GET /v1/datasets``: the bundled datasets a backtest's ``symbols`` may name."""
        return list(self._request("GET", "/v1/datasets", deadline=self._deadline(None)).body.get("datasets") or [])

    def health(self) -> Dict[str, Any]:
        """``GET /healthz`` (no token): ``{"status": "ok" | "stopping", "workers",
        "queued", "running", "pool"}``, answered also while the server stops (503)."""
        return self._request("GET", "/healthz", deadline=self._deadline(None), accept=(503,)).body

    # ---- the transport ----

    def _deadline(self, max_wait: Optional[float]) -> float:
        return time.monotonic() + (self.max_wait if max_wait is None else float(max_wait))

    def _wait_for(self, deadline: float, want: float) -> int:
        """A whole ?wait= that ends before the deadline (the server takes 0 to 600)."""
        return max(0, min(int(want), int(deadline - time.monotonic()) - 1, 600))

    @staticmethod
    def _quote_id(job_id: str) -> str:
        if not job_id:
            raise ValueError("a job id is required")
        return urllib.parse.quote(str(job_id), safe="")

    def _get_job(self, job_id: str, wait: int, deadline: float) -> Dict[str, Any]:
        return self._request(
            "GET",
            "/v1/jobs/" + self._quote_id(job_id),
            query={"wait": wait} if wait > 0 else None,
            deadline=deadline,
            wait=wait,
            job_id=job_id,
        ).body

    def _request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        query: Optional[Mapping[str, Any]] = None,
        headers: Optional[Mapping[str, str]] = None,
        deadline: float,
        wait: float = 0,
        job_id: Optional[str] = None,
        accept: Tuple[int, ...] = (),
    ) -> _Answer:
        """One request, retried (same headers, same body) after connection
        errors, 5xx and 429 up to max_retries times and within the deadline."""
        url = self.url + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        hdrs = {"Accept": "application/json", "User-Agent": "stratbox-client/%s" % __version__}
        if self.token:
            hdrs["Authorization"] = "Bearer " + self.token
        payload = None
        if body is not None:
            try:
                payload = json.dumps(body, allow_nan=False, ensure_ascii=False).encode("utf-8")
            except (TypeError, ValueError) as e:
                raise TypeError("the request is not JSON-serialisable: %s" % e) from None
            hdrs["Content-Type"] = "application/json"
        if headers:
            hdrs.update(headers)
        attempt = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise StratboxTimeoutError(
                    "%s %s: no answer within the deadline" % (method, path), job_id=job_id
                )
            sock_timeout = min(wait + self.http_timeout, remaining + 1.0)
            req = urllib.request.Request(url, data=payload, headers=hdrs, method=method)
            failure: BaseException
            retry_after: Optional[float] = None
            try:
                status, rhdrs, raw = self._send(req, sock_timeout)
            except (urllib.error.URLError, http.client.HTTPException, OSError) as e:
                # refused, reset, dropped before or during the answer, timed
                # out; but a certificate that does not verify will not
                # verify on a retry either (ssl's errors are ValueErrors)
                if isinstance(getattr(e, "reason", e), ValueError):
                    raise StratboxError("%s %s: %s" % (method, path, getattr(e, "reason", e)), code="tls") from e
                failure = e
            else:
                if 200 <= status < 300 or status in accept:
                    try:
                        doc = json.loads(raw.decode("utf-8")) if raw else {}
                    except (ValueError, UnicodeDecodeError):
                        raise StratboxError(
                            "%s %s: the answer is not JSON: %r" % (method, path, raw[:200]), status=status
                        ) from None
                    return _Answer(status, rhdrs, doc)
                retry_after = _parse_retry_after(rhdrs.get("Retry-After"))
                err = _error_from_answer(status, raw, retry_after, job_id)
                if status not in _RETRY_STATUSES:
                    raise err
                failure = err
            attempt += 1
            if attempt > self.max_retries:
                raise self._gave_up(method, path, attempt, failure, job_id)
            if retry_after is not None:
                delay = min(retry_after, self.max_retry_after)
                delay += random.uniform(0, 0.1 * delay)
            else:
                delay = min(self.backoff * 2 ** (attempt - 1), self.max_backoff)
                delay *= random.uniform(0.5, 1.0)
            if time.monotonic() + delay >= deadline:
                if retry_after is not None:
                    raise self._gave_up(
                        method, path, attempt, failure, job_id,
                        "its Retry-After (%g s) is beyond the deadline" % retry_after,
                    )
                raise StratboxTimeoutError(
                    "%s %s: no answer within the deadline (last: %s)" % (method, path, failure), job_id=job_id
                )
            log.info("%s %s: %s; retry %d in %.2f s", method, path, failure, attempt, delay)
            if self.on_retry is not None:
                self.on_retry(attempt, delay, failure)
            time.sleep(delay)

    def _send(self, req: urllib.request.Request, timeout: float) -> Tuple[int, Mapping[str, str], bytes]:
        try:
            with self._opener.open(req, timeout=timeout) as resp:
                return resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as e:
            try:
                raw = e.read()
            except (OSError, http.client.HTTPException):
                raw = b""
            finally:
                e.close()
            return e.code, e.headers, raw

    @staticmethod
    def _gave_up(
        method: str, path: str, attempts: int, failure: BaseException, job_id: Optional[str], why: str = ""
    ) -> ServiceUnavailable:
        if isinstance(failure, StratboxError):
            msg = "%s %s: %s (after %d attempt(s)%s)" % (
                method, path, failure.message, attempts, "; " + why if why else "",
            )
            e = ServiceUnavailable(msg, status=failure.status, code=failure.code, job_id=job_id,
                                   retry_after=failure.retry_after)
        else:
            reason = getattr(failure, "reason", None) or failure
            msg = "%s %s: %s (after %d attempt(s)%s)" % (
                method, path, reason or type(failure).__name__, attempts, "; " + why if why else "",
            )
            e = ServiceUnavailable(msg, code="unreachable", job_id=job_id)
        e.attempts = attempts
        e.__cause__ = failure
        return e


def execute_strategy_in_container(
    code: str,
    symbols: Union[Sequence[str], str, None],
    config: Optional[Mapping[str, Any]] = None,
    start_date: Union[str, date, datetime, None] = None,
    end_date: Union[str, date, datetime, None] = None,
    **options: Any,
) -> Dict[str, Any]:
    """The reference design's one-call backtest: :meth:`CodeExecutor.execute_backtest`
    on a service named by the environment.

    ``STRATBOX_URL``: the service (default ``http://127.0.0.1:8080``);
    ``STRATBOX_TOKEN``: its bearer token (none when unset or empty).
    ``options`` as :meth:`CodeExecutor.execute_backtest`'s."""
    url = os.environ.get("STRATBOX_URL") or DEFAULT_URL
    token = os.environ.get("STRATBOX_TOKEN") or None
    return CodeExecutor(url, token).execute_backtest(code, symbols, config, start_date, end_date, **options)
