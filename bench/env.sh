#!/bin/sh
# Environments (docs/environments.md): does an image cost anything once the
# pool is warm?  An image built here from the host's own files
# (tests/env/mkimage.py, the same Python, numpy and pandas as the host's)
# is imported, and the same work runs on it and on the host's environment,
# alternately, in one run:
#
#   first use    env check's zygote start to the end of its first job
#   warm job     env check's warm jobs (each on a slot forked ahead), p50
#   batch        exec --batch of N trivial jobs, --parallel 2: jobs/s
#
#   bench/env.sh [ROUNDS] [JOBS]      (as root; figures, never pass/fail)
set -eu
cd "$(dirname "$0")/.."
rounds=${1:-3}
jobs=${2:-200}
bin=$PWD/build/stratbox
work=$(mktemp -d /tmp/stratbox-bench-env.XXXXXX)
chmod 755 "$work"
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT INT TERM
state=$work/state

t0=$(date +%s.%N)
python3 tests/env/mkimage.py docker "$work/image.tar" >/dev/null
t1=$(date +%s.%N)
"$bin" env import img "$work/image.tar" --state-dir "$state" 2>/dev/null >/dev/null
t2=$(date +%s.%N)
size=$(du -sm "$work/image.tar" | cut -f1)
echo "environments: an image of the host's Python, numpy and pandas (${size} MB archive)"
awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { printf "  build the archive %.1f s, env import (unpack, probe, hash, seal) %.1f s\n", b - a, c - b }'

i=0
: >"$work/jobs.jsonl"
while [ "$i" -lt "$jobs" ]; do
	printf '%s\n' '{"code": "x = sum(range(1000))\n"}' >>"$work/jobs.jsonl"
	i=$((i + 1))
done

for r in $(seq "$rounds"); do
	for env in host img; do
		"$bin" env check "$env" --state-dir "$state" --json --jobs 30 2>/dev/null >"$work/check.json" || true
		b0=$(date +%s.%N)
		"$bin" exec --batch "$work/jobs.jsonl" --parallel 2 --env "$env" --state-dir "$state" \
			>"$work/batch.out" 2>/dev/null || true
		b1=$(date +%s.%N)
		ok=$(grep -c '"status":"OK"' "$work/batch.out" || true)
		/usr/bin/python3 - "$work/check.json" "$env" "$r" "$b0" "$b1" "$ok" "$jobs" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
env, r, b0, b1, ok, n = sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
w = c.get("warm_job_ms", {})
print("  round %s %-4s first use %6.0f ms   warm job p50 %5.2f ms p90 %5.2f ms   batch %5.1f jobs/s (%d/%d OK)%s"
      % (r, env, c.get("zygote_start_ms", 0), w.get("p50", 0), w.get("p90", 0), n / (b1 - b0), ok, n,
         "" if c.get("ok") else "   env check: " + "; ".join(c.get("problems", []))[:200]))
EOF
	done
done
