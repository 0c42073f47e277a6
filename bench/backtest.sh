#!/bin/sh
# Backtests on a warm pool, each beside its floor in the same run:
#
#   floor 1   the same SMA-cross class driven bar by bar in one plain python3
#             process (bench/bt_floor.py): no sandbox, no lockstep, no engine
#   floor 2   two such processes at once, each with half of a sweep's 200
#             combinations (what the two cores can do without stratbox)
#
# Then build/bench/backtest: the sandboxed single run (--cpus 1) and the
# sweeps (2 slots at --cpus 1).  Figures only, never pass/fail.
set -eu
cd "$(dirname "$0")/.."
b=${BUILDROOT:-build}
py=/usr/bin/python3
echo "== backtests (GOOG.csv, 2148 bars) =="
$py bench/bt_floor.py bench/strategies/sma_cross.py data/GOOG.csv 1 10
$py bench/bt_floor.py bench/strategies/empty.py data/GOOG.csv 1 10
t0=$(date +%s.%N)
$py bench/bt_floor.py bench/strategies/sma_cross.py data/GOOG.csv 100 1 >/tmp/stratbox-floor-a.$$ &
a=$!
$py bench/bt_floor.py bench/strategies/sma_cross.py data/GOOG.csv 100 1 >/tmp/stratbox-floor-b.$$ &
c=$!
wait $a $c
t1=$(date +%s.%N)
rm -f /tmp/stratbox-floor-a.$$ /tmp/stratbox-floor-b.$$
echo "floor: two python3 processes, 100 SMA instances each: $(echo "$t0 $t1" | awk '{printf "%.1f backtests/s (%.2f s for 200)", 200/($2-$1), $2-$1}')"
"$b/bench/backtest" "${1:-20}"
