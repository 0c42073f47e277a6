#!/usr/bin/python3
"""stratbox serve against openapi.yaml, both ways.

A live server (loopback, a free port, its own state directory and a token
file with two tenants) is asked:

  - every documented operation, with a request the document allows: the
    status must be one the operation lists, the Content-Type the one it
    lists for that status, a JSON body valid against the schema given
    (a small JSON Schema validator below: $ref, type with nullable, enum,
    required, properties, additionalProperties, items, oneOf, minimum and
    maximum, minItems, minLength and maxLength, pattern), and the headers
    it documents (Location, Retry-After, WWW-Authenticate) present;
  - the same without a token: 401 wherever security applies;
  - every method the document does not list on a path: 405 with an Allow
    header naming exactly the listed ones;
  - every property of a request body with additionalProperties: false,
    one at a time on a minimal valid request: accepted (so the document
    promises nothing the server refuses); and a property it does not list:
    422 naming it (so the server takes nothing the document hides);
  - the error statuses the document lists for bad input (400 bad JSON, 413,
    415, 404 for another tenant's job, 409, 429) where they can be made.

Usage: /usr/bin/python3 tests/serve/openapi_check.py STRATBOX-SERVE OPENAPI.yaml DATA-DIR
Prints one line per check and "openapi: N passed, N failed, 0 skipped".
"""

import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import yaml

SERVE, SPEC, DATA = sys.argv[1:4]
spec = yaml.safe_load(open(SPEC))
passed = failed = 0
TOKENS = {"alice": "alice-token-0123456789", "bob": "bob-token-0123456789"}


def check(ok, what, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("ok    %s" % what)
    else:
        failed += 1
        print("FAIL  %s%s" % (what, (": " + detail) if detail else ""))


# ------------------------------------------------------------ the validator

def resolve(s):
    while isinstance(s, dict) and "$ref" in s:
        node = spec
        for part in s["$ref"].lstrip("#/").split("/"):
            node = node[part]
        s = node
    return s


TYPES = {"object": dict, "array": list, "string": str, "boolean": bool}


def errors(value, schema, where="$"):
    """Why value does not match schema (an empty list when it does)."""
    s = resolve(schema)
    if not isinstance(s, dict):
        return []
    if value is None:
        return [] if s.get("nullable") or not s.get("type") and "oneOf" not in s else \
            ["%s: null, not %s" % (where, s.get("type", "oneOf"))]
    if "oneOf" in s:
        ok = [alt for alt in s["oneOf"] if not errors(value, alt, where)]
        if len(ok) != 1:
            return ["%s: matches %d of oneOf's %d" % (where, len(ok), len(s["oneOf"]))]
    t = s.get("type")
    if t == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            return ["%s: %r is not an integer" % (where, value)]
    elif t == "number":
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return ["%s: %r is not a number" % (where, value)]
    elif t in TYPES and not isinstance(value, TYPES[t]):
        return ["%s: %r is not %s" % (where, value, t)]
    out = []
    if "enum" in s and value not in s["enum"]:
        out.append("%s: %r not in %s" % (where, value, s["enum"]))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in s and value < s["minimum"]:
            out.append("%s: %r < %r" % (where, value, s["minimum"]))
        if "maximum" in s and value > s["maximum"]:
            out.append("%s: %r > %r" % (where, value, s["maximum"]))
    if isinstance(value, str):
        if len(value) < s.get("minLength", 0) or len(value) > s.get("maxLength", 1 << 60):
            out.append("%s: length %d" % (where, len(value)))
        if "pattern" in s and not re.search(s["pattern"], value):
            out.append("%s: %r does not match %s" % (where, value, s["pattern"]))
    if isinstance(value, list):
        if len(value) < s.get("minItems", 0):
            out.append("%s: %d items" % (where, len(value)))
        for i, v in enumerate(value):
            out += errors(v, s.get("items", {}), "%s[%d]" % (where, i))
    if isinstance(value, dict):
        props = s.get("properties", {})
        for k in s.get("required", []):
            if k not in value:
                out.append("%s: %s missing" % (where, k))
        extra = s.get("additionalProperties", True)
        for k, v in value.items():
            if k in props:
                out += errors(v, props[k], "%s.%s" % (where, k))
            elif extra is False:
                out.append("%s: %s is not in the schema" % (where, k))
            elif isinstance(extra, dict):
                out += errors(v, extra, "%s.%s" % (where, k))
    return out


# ------------------------------------------------------------ the server

state = tempfile.mkdtemp(prefix="stratbox-openapi-")
tokfile = os.path.join(state, "tokens")
with open(tokfile, "w") as f:
    for name, tok in TOKENS.items():
        f.write("%s %s\n" % (name, tok))
log = open(os.path.join(state, "log"), "w+")
proc = subprocess.Popen([SERVE, "serve", "--listen", "127.0.0.1:0", "--state-dir",
                         os.path.join(state, "db"), "--token-file", tokfile, "--workers", "1",
                         "--max-queue", "2", "--max-body", "64K", "--data-dir", DATA],
                        stdout=log, stderr=log)
port = None
for _ in range(200):
    log.seek(0)
    m = re.search(r"listening on 127\.0\.0\.1:(\d+)", log.read())
    if m:
        port = int(m.group(1))
        break
    if proc.poll() is not None:
        break
    time.sleep(0.05)
if port is None:
    log.seek(0)
    print(log.read())
    check(False, "the server starts")
    print("openapi: %d passed, %d failed, 0 skipped" % (passed, failed))
    sys.exit(1)


def request(method, path, body=None, token="alice", headers=None, raw=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    h = dict(headers or {})
    if token:
        h["Authorization"] = "Bearer " + TOKENS[token]
    data = raw
    if body is not None:
        data = json.dumps(body).encode()
        h.setdefault("Content-Type", "application/json")
    c.request(method, path, body=data, headers=h)
    r = c.getresponse()
    text = r.read()
    hdrs = {k.lower(): v for k, v in r.getheaders()}
    c.close()
    return r.status, hdrs, text


def conforms(op_path, method, status, hdrs, text, what):
    """The answer is one the document lists for the operation."""
    op = spec["paths"][op_path][method.lower()]
    resp = op["responses"].get(str(status))
    if resp is None:
        check(False, what, "status %d is not documented (%s): %.300s" %
              (status, sorted(op["responses"]), text))
        return None
    resp = resolve(resp)
    problems = []
    body = None
    content = resp.get("content", {})
    ctype = hdrs.get("content-type", "").split(";")[0].strip()
    if content:
        if ctype not in content:
            problems.append("Content-Type %r, documented %s" % (ctype, sorted(content)))
        elif ctype == "application/json":
            try:
                body = json.loads(text)
            except ValueError as e:
                problems.append("not JSON: %s" % e)
            else:
                problems += errors(body, content[ctype].get("schema", {}))
    for h in resp.get("headers", {}):
        if h.lower() in ("idempotent-replayed",):
            continue  # only on a replay
        if h.lower() not in hdrs:
            problems.append("no %s header" % h)
    check(not problems, what, "; ".join(problems[:5]))
    return body


try:
    paths = spec["paths"]
    goog_code = ("class S(BaseStrategy):\n"
                 "    def generate_signals(self, d):\n"
                 "        return [self.buy()] if len(d) == 5 else []\n")
    sleeper = {"code": "import time\ntime.sleep(30)\n"}

    # the operations, each with a request the document allows
    st, h, t = request("GET", "/healthz", token=None)
    conforms("/healthz", "GET", st, h, t, "GET /healthz (no token)")
    st, h, t = request("POST", "/v1/executions?wait=30", {"code": "print(1)", "seed": 1})
    job = conforms("/v1/executions", "POST", st, h, t, "POST /v1/executions?wait")
    exec_id = job["id"] if job else None
    st, h, t = request("POST", "/v1/backtests?wait=60", {"code": goog_code, "symbols": ["GOOG"],
                                                         "start": "2010-01-01"})
    job = conforms("/v1/backtests", "POST", st, h, t, "POST /v1/backtests?wait")
    bt_id = job["id"] if job else None
    st, h, t = request("POST", "/v1/validate", {"code": "import os\n"})
    conforms("/v1/validate", "POST", st, h, t, "POST /v1/validate")
    st, h, t = request("GET", "/v1/jobs?limit=5")
    conforms("/v1/jobs", "GET", st, h, t, "GET /v1/jobs")
    st, h, t = request("GET", "/v1/jobs?status=done&limit=1")
    conforms("/v1/jobs", "GET", st, h, t, "GET /v1/jobs?status")
    st, h, t = request("GET", "/v1/jobs/%s" % exec_id)
    conforms("/v1/jobs/{id}", "GET", st, h, t, "GET /v1/jobs/{id}")
    st, h, t = request("GET", "/v1/jobs/%s/report" % bt_id)
    conforms("/v1/jobs/{id}/report", "GET", st, h, t, "GET /v1/jobs/{id}/report")
    st, h, t = request("GET", "/v1/jobs/%s/report" % exec_id)
    conforms("/v1/jobs/{id}/report", "GET", st, h, t, "GET /v1/jobs/{id}/report of an execution")
    st, h, t = request("GET", "/v1/datasets")
    conforms("/v1/datasets", "GET", st, h, t, "GET /v1/datasets")
    st, h, t = request("GET", "/metrics")
    conforms("/metrics", "GET", st, h, t, "GET /metrics")
    for p in ("/", "/page.js", "/page.css"):
        if p in paths:
            for m in ("GET", "HEAD"):
                st, h, t = request(m, p, token=None)
                conforms(p, m, st, h, t, "%s %s (no token)" % (m, p))

    # a running job: its report is 409, DELETE kills it, the job is 200
    st, h, t = request("POST", "/v1/backtests", {
        "code": "import time\nclass S(BaseStrategy):\n    def generate_signals(self, d):\n"
                "        time.sleep(30)\n", "symbols": "GOOG"})
    job = conforms("/v1/backtests", "POST", st, h, t, "POST /v1/backtests (202)")
    run_id = job["id"] if job else None
    for _ in range(200):
        st, h, t = request("GET", "/v1/jobs/%s" % run_id)
        if json.loads(t)["status"] == "running":
            break
        time.sleep(0.05)
    st, h, t = request("GET", "/v1/jobs/%s/report" % run_id)
    conforms("/v1/jobs/{id}/report", "GET", st, h, t, "GET /v1/jobs/{id}/report while running")
    # the queue (max 2) filled behind it: 429
    q = [request("POST", "/v1/executions", {"code": "print(%d)" % i})[0] for i in range(2)]
    st, h, t = request("POST", "/v1/executions", {"code": "print(3)"})
    conforms("/v1/executions", "POST", st, h, t, "POST /v1/executions on a full queue (429)")
    check(st == 429 and q == [202, 202], "the third queued job is refused", "%s %d" % (q, st))
    st, h, t = request("DELETE", "/v1/jobs/%s" % run_id)
    conforms("/v1/jobs/{id}", "DELETE", st, h, t, "DELETE /v1/jobs/{id} (running)")
    st, h, t = request("DELETE", "/v1/jobs/%s" % run_id)
    conforms("/v1/jobs/{id}", "DELETE", st, h, t, "DELETE /v1/jobs/{id} again (409)")
    check(st == 409, "a second DELETE is 409", str(st))

    # errors the document lists
    st, h, t = request("GET", "/v1/jobs/%s" % exec_id, token="bob")
    conforms("/v1/jobs/{id}", "GET", st, h, t, "GET another tenant's job (404)")
    check(st == 404, "another tenant's job is 404", str(st))
    st, h, t = request("POST", "/v1/executions", raw=b"{not json",
                       headers={"Content-Type": "application/json"})
    conforms("/v1/executions", "POST", st, h, t, "POST bad JSON (400)")
    st, h, t = request("POST", "/v1/executions", raw=b"{}", headers={"Content-Type": "text/plain"})
    conforms("/v1/executions", "POST", st, h, t, "POST text/plain (415)")
    st, h, t = request("POST", "/v1/executions", {"code": "x" * 70000})
    conforms("/v1/executions", "POST", st, h, t, "POST over --max-body (413)")
    st, h, t = request("GET", "/v1/jobs?limit=x")
    conforms("/v1/jobs", "GET", st, h, t, "GET /v1/jobs?limit=x (400)")

    # without a token: 401 wherever security applies
    for p, ops in paths.items():
        for m, op in ops.items():
            if m not in ("get", "head", "post", "delete", "put", "patch"):
                continue
            if op.get("security", spec.get("security")) == []:
                continue
            url = p.replace("{id}", exec_id or "jaaaaaaaaaaaaaaaaaaaaaaaaa")
            body = {"code": "print(1)"} if m == "post" else None
            st, h, t = request(m.upper(), url, body, token=None)
            conforms(p, m.upper(), st, h, t, "%s %s without a token (401)" % (m.upper(), p))
            check(st == 401, "%s %s without a token is 401" % (m.upper(), p), str(st))

    # methods the document does not list: 405, Allow naming the listed ones
    for p, ops in paths.items():
        listed = sorted(m.upper() for m in ops
                        if m in ("get", "head", "post", "delete", "put", "patch"))
        url = p.replace("{id}", exec_id or "jaaaaaaaaaaaaaaaaaaaaaaaaa")
        for m in ("GET", "HEAD", "POST", "DELETE", "PUT", "PATCH"):
            if m in listed:
                continue
            st, h, t = request(m, url, {} if m in ("POST", "PUT", "PATCH") else None)
            allow = sorted(x.strip() for x in h.get("allow", "").split(",") if x.strip())
            check(st == 405 and allow == listed, "%s %s is 405, Allow %s" % (m, p, listed),
                  "%d, Allow %s" % (st, allow))

    # every documented request property accepted, one at a time; an
    # undocumented one refused, named
    examples = {
        "/v1/executions": ({"code": "print(1)"}, {
            "data": {"a": 1}, "timeout": 5, "cpu_time": 5, "memory": "256M", "seed": 3,
            "id": "tag-1", "env": "host"}),
        "/v1/backtests": ({"code": goog_code, "symbols": ["GOOG"]}, {
            "code_name": "s.py", "symbols": "GOOG",
            "data": {"X": "Date,Open,High,Low,Close\n2020-01-01,1,2,0.5,1.5\n"
                          "2020-01-02,1.5,2,1,1.8\n"},
            "start": "2010-01-01", "end": "2012-12-31", "params": {"a": 1},
            "config": {"a": 1}, "strategy": "S", "cash": 5000, "commission": 0.001,
            "commission_fixed": 1, "spread": 0.01, "margin": 0.5, "fractional": 1,
            "trade_on_close": True, "end_policy": "hold", "timeout": 10, "cpu_time": 10,
            "memory": 268435456, "cpus": 0.5, "seed": 7, "grid": "a=1:2:1",
            "rank": None, "env": "host"}),
    }
    for p, (base, values) in examples.items():
        schema = resolve(paths[p]["post"]["requestBody"]["content"]["application/json"]["schema"])
        props = schema["properties"]
        check(sorted(values) == sorted(k for k in props if k not in base or k in values),
              "%s: an example for every documented property" % p,
              "undocumented examples %s, missing %s" % (
                  sorted(set(values) - set(props)),
                  sorted(set(props) - set(values) - set(base))))
        for k, v in values.items():
            body = dict(base)
            body[k] = v
            if k == "rank":  # ranks a sweep: with a grid
                body.update(grid="a=1:2:1", rank="sortino")
            problems = errors(body, schema)
            st, h, t = request("POST", p + "?wait=0", body,
                               headers={"Idempotency-Key": "prop-%s-%s" % (p, k)})
            check(not problems and st in (200, 202),
                  "%s accepts the documented %r" % (p, k),
                  "%s; %d %.200s" % (problems, st, t))
            if st in (200, 202):
                jid = json.loads(t).get("id")
                request("DELETE", "/v1/jobs/%s" % jid)
        body = dict(base)
        body["undocumented_key"] = 1
        st, h, t = request("POST", p, body)
        check(st == 422 and b"undocumented_key" in t,
              "%s refuses a property the document does not list, naming it" % p,
              "%d %.200s" % (st, t))
finally:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    check(proc.returncode == 0, "the server stops cleanly on SIGTERM", str(proc.returncode))
    shutil.rmtree(state, ignore_errors=True)

print("openapi: %d passed, %d failed, 0 skipped" % (passed, failed))
sys.exit(1 if failed else 0)
