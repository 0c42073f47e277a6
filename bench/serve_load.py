#!/usr/bin/python3
"""Load on `stratbox serve`, with its floor beside it.

N jobs (2,000 by default) from C concurrent clients (50), each a small
execution submitted with ?wait and an Idempotency-Key: the figures are
the latency a client sees (submit to result) at p50 and p99, and jobs/s
over the whole run; then every job is checked: done, its own output, one
attempt, no job lost or duplicated.  Beside it, in the same run, the same
jobs through `stratbox exec --batch` with as many slots (the floor: the
same sandboxed work without HTTP, the store or the queue).

Usage: /usr/bin/python3 bench/serve_load.py [--jobs N] [--clients C] [--workers W]
       [--build DIR]
Figures, never pass/fail (a lost or duplicated job is reported, and the
exit status is 1).
"""

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

ap = argparse.ArgumentParser()
ap.add_argument("--jobs", type=int, default=2000)
ap.add_argument("--clients", type=int, default=50)
ap.add_argument("--workers", type=int, default=2)
ap.add_argument("--build", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                 "..", "build"))
a = ap.parse_args()
stratbox = os.path.join(a.build, "stratbox")
serve = os.path.join(a.build, "stratbox-serve")
tmp = tempfile.mkdtemp(prefix="stratbox-load-")


def code(i):
    return "print(sum(range(%d)))\n" % (1000 + i)


def want(i):
    return "%d\n" % sum(range(1000 + i))


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p / 100.0 * len(v)))]


# ---- the service
log = open(os.path.join(tmp, "serve.log"), "w+")
proc = subprocess.Popen([serve, "serve", "--listen", "127.0.0.1:0", "--state-dir",
                         os.path.join(tmp, "state"), "--workers", str(a.workers),
                         "--max-queue", str(a.jobs + 10)], stdout=log, stderr=log)
port = None
for _ in range(400):
    log.seek(0)
    m = re.search(r"listening on 127\.0\.0\.1:(\d+)", log.read())
    if m:
        port = int(m.group(1))
        break
    time.sleep(0.05)
if port is None:
    log.seek(0)
    sys.exit("the server did not start: " + log.read())

lat = [None] * a.jobs
ids = [None] * a.jobs
errors = []
next_job = [0]
lock = threading.Lock()


def client():
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    while True:
        with lock:
            i = next_job[0]
            next_job[0] += 1
        if i >= a.jobs:
            break
        body = json.dumps({"code": code(i)})
        t0 = time.monotonic()
        for attempt in range(5):
            try:
                conn.request("POST", "/v1/executions?wait=600", body,
                             {"Content-Type": "application/json",
                              "Idempotency-Key": "load-%d" % i})
                r = conn.getresponse()
                doc = json.loads(r.read())
                break
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        else:
            errors.append("job %d: no answer" % i)
            continue
        lat[i] = time.monotonic() - t0
        ids[i] = doc.get("id")
        if r.status != 200 or doc.get("status") != "done":
            errors.append("job %d: %d %s" % (i, r.status, doc.get("status")))
        elif doc["result"].get("output") != want(i):
            errors.append("job %d: output %r" % (i, doc["result"].get("output")))


t0 = time.monotonic()
threads = [threading.Thread(target=client) for _ in range(a.clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
wall = time.monotonic() - t0

# every job once: the tenant's list holds exactly the jobs sent
seen = {}
cursor = None
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
while True:
    conn.request("GET", "/v1/jobs?limit=500" + ("&cursor=" + cursor if cursor else ""))
    page = json.loads(conn.getresponse().read())
    for j in page["jobs"]:
        seen[j["id"]] = j
    cursor = page.get("next_cursor")
    if not cursor:
        break
dups = len(seen) - len(set(i for i in ids if i))
lost = [i for i, x in enumerate(ids) if x is None or x not in seen]
again = [j["id"] for j in seen.values() if j.get("attempts") != 1]
proc.send_signal(signal.SIGTERM)
proc.wait(timeout=120)

ok = [x for x in lat if x is not None]
print("stratbox serve: %d jobs from %d clients, %d workers" % (a.jobs, a.clients, a.workers))
print("  %.1f jobs/s (%.2f s); latency p50 %.1f ms, p99 %.1f ms, max %.1f ms" % (
    len(ok) / wall, wall, pct(ok, 50) * 1e3, pct(ok, 99) * 1e3, max(ok) * 1e3))
print("  jobs in the store %d; lost %d; duplicated %d; run more than once %d; wrong %d" % (
    len(seen), len(lost), max(dups, 0), len(again), len(errors)))
for e in errors[:10]:
    print("   ", e)

# ---- the floor: the same jobs through exec --batch
batch = os.path.join(tmp, "jobs.jsonl")
with open(batch, "w") as f:
    for i in range(a.jobs):
        f.write(json.dumps({"code": code(i), "id": i}) + "\n")
t0 = time.monotonic()
out = subprocess.run([stratbox, "exec", "--batch", batch, "--parallel", str(a.workers)],
                     capture_output=True, text=True)
bwall = time.monotonic() - t0
bad = 0
for line in out.stdout.splitlines():
    d = json.loads(line)
    if d.get("output") != want(int(d["id"])):
        bad += 1
print("stratbox exec --batch (the floor): %d jobs, --parallel %d" % (a.jobs, a.workers))
print("  %.1f jobs/s (%.2f s, including its pool's start); wrong %d" % (a.jobs / bwall, bwall,
                                                                       bad))
print("  the service costs %.2fx the batch's time per job" % (wall / bwall))
shutil.rmtree(tmp, ignore_errors=True)
sys.exit(1 if errors or lost or dups > 0 or again or bad else 0)
