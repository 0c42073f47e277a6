#!/bin/sh
# All benchmarks (make bench): figures, never pass/fail.
#
#   bench/run.sh [RUNS]
#
# bench/sandbox.sh   stratbox run against bubblewrap: /bin/true, python3 -c pass
# bench/python.sh    the warm pool: warm and cold Python jobs, bubblewrap cold,
#                    --batch throughput, memory per idle slot
# bench/engine.c     the backtest engine's core alone: bars/s on one core,
#                    10M-bar series and back-to-back runs on GOOG.csv
# bench/validate.c   the static validator's throughput on large inputs
# bench/backtest.sh  backtests on a warm pool beside their floors (bt_floor.py)
# bench/env.sh       an image environment beside the host's: first use, warm
#                    job, batch throughput
set -eu
cd "$(dirname "$0")/.."
sh bench/sandbox.sh "$@"
echo
sh bench/python.sh "$@"
echo
mkdir -p build/bench
cc -O2 -D_GNU_SOURCE -Wall -Wextra -Iinclude -o build/bench/engine bench/engine.c \
	build/libstratbox.a -ljansson -lm -lpthread
build/bench/engine
echo
build/bench/validate
echo
sh bench/backtest.sh
echo
sh bench/env.sh
