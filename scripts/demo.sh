#!/bin/sh
# make demo: run a real computation in the sandbox and print its verdict,
# show the sandbox stopping a fork bomb, then backtest an example strategy.
# Called after the build; BUILDROOT (make's variable, default build) says
# where the binaries are.
set -eu
cd "$(dirname "$0")/.."
out=${BUILDROOT:-build}
sbx=$out/stratbox
# the bundled datasets (--symbols GOOG), wherever the build went
STRATBOX_DATA_DIR=${STRATBOX_DATA_DIR:-$PWD/data}
export STRATBOX_DATA_DIR

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
$sbx run --json --wall-time 10 -- /bin/sh -c 'bomb() { bomb | bomb; }; bomb' |
	python3 -c 'import json, sys
v = json.load(sys.stdin)
print("status=%s exit_code=%s message=%s" % (v["status"], v["exit_code"], v["message"]))'

echo
echo "== a strategy job through stratbox exec (a warm pool slot; input at /workspace/data.json)"
tmp=$(mktemp -d /tmp/stratbox-demo.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
python3 examples/csv2json.py data/GOOG.csv GOOG >"$tmp/goog.json"
$sbx exec --data "$tmp/goog.json" examples/sma_exec.py

echo
echo "== stratbox check on code that tries the usual escapes"
$sbx check examples/escape.py || true

echo
echo "== code the validator lets through still meets the sandbox"
printf 'print(open("/etc/shadow").read())\n' >"$tmp/shadow.py"
$sbx exec --json "$tmp/shadow.py" | python3 -c 'import json, sys
r = json.load(sys.stdin)
print("status=%s error=%s" % (r["status"], r["error"]))'

echo
echo "== a backtest: examples/sma_cross.py on GOOG (the strategy sandboxed, fills and metrics by the engine)"
report=$out/demo-report.html
rc=0
$sbx backtest examples/sma_cross.py --symbols GOOG --report "$report" 2>"$tmp/backtest.err" || rc=$?
if [ "$rc" -eq 0 ]; then
	cat "$tmp/backtest.err" >&2
	echo "report: $report (open it in a browser)"
elif [ "$rc" -eq 2 ] && grep -q 'no HTML reports' "$tmp/backtest.err"; then
	# the table above is the backtest's: only the report is missing
	echo "report: skipped, this build of stratbox has no HTML reports (--report is not built in yet)"
else
	cat "$tmp/backtest.err" >&2
	echo "the backtest failed (exit code $rc)" >&2
	exit 1
fi
