#!/bin/sh
# All benchmarks (make bench): figures, never pass/fail.
#
#   bench/run.sh [RUNS]
#
# bench/sandbox.sh   stratbox run against bubblewrap: /bin/true, python3 -c pass
# bench/python.sh    the warm pool: warm and cold Python jobs, bubblewrap cold,
#                    --batch throughput, memory per idle slot
set -eu
cd "$(dirname "$0")/.."
sh bench/sandbox.sh "$@"
echo
sh bench/python.sh "$@"
