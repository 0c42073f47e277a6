#!/bin/sh
# make demo: run a real computation in the sandbox and print its verdict,
# then show the sandbox stopping a fork bomb.  Called after the build.
set -eu
cd "$(dirname "$0")/.."
sbx=build/stratbox

echo "== stratbox doctor"
$sbx doctor || true

echo
echo "== a pandas computation on bundled data, in the sandbox (verdict as JSON)"
$sbx run --json --wall-time 60 \
	--ro-bind "$PWD/examples:/examples" --ro-bind "$PWD/data:/data" \
	-- /usr/bin/python3 /examples/sma_summary.py /data/GOOG.csv |
	python3 -c 'import json, sys
v = json.load(sys.stdin)
print(v["stdout"], end="")
print("status=%s exit_code=%s wall_ms=%s cpu_ms=%.1f memory_peak=%.1f MiB" % (
    v["status"], v["exit_code"], v["wall_ms"], v["cpu_user_ms"] + v["cpu_sys_ms"],
    v["memory_peak_bytes"] / 2**20))'

echo
echo "== a fork bomb, stopped by the pids limit"
$sbx run --json --wall-time 10 -- /bin/sh -c 'bomb() { bomb | bomb & }; bomb' |
	python3 -c 'import json, sys
v = json.load(sys.stdin)
print("status=%s exit_code=%s message=%s" % (v["status"], v["exit_code"], v["message"]))'
