#!/bin/sh
# Python jobs: the warm pool against a cold start and against bubblewrap
# starting python3 cold, in one run.  Prints figures, asserts nothing.
#
#   bench/python.sh [RUNS]      (default 300 warm jobs; make bench)
#
# The job imports pandas and prints one line.  bubblewrap gets the same
# namespaces and read-only /usr as in bench/sandbox.sh; no cgroup limits,
# no seccomp.  stratbox runs every job with all its limits and filters.
set -eu
cd "$(dirname "$0")/.."
runs=${1:-300}
cold_runs=${STRATBOX_BENCH_COLD_RUNS:-20}
batch_jobs=400
parallel=2
sbx=build/stratbox
mkdir -p build/bench
lat=build/bench/spawnlat
pyrt=build/bench/pyrt
cc -O2 -o "$lat" bench/spawnlat.c
cc -O2 -D_GNU_SOURCE -Wall -Wextra -Iinclude -o "$pyrt" bench/pyrt.c build/libstratbox.a \
	-lseccomp -ljansson -lcap -lunistring -lm -lpthread
hook=build/bench/hook
cc -O2 -D_GNU_SOURCE -Wall -Wextra -Iinclude -o "$hook" bench/hook.c build/libstratbox.a \
	-lseccomp -ljansson -lcap -lunistring -lm -lpthread

tmp=$(mktemp -d /tmp/stratbox-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
chmod 755 "$tmp"
printf "import pandas as pd\nprint('rows', len(pd.DataFrame({'a': [1, 2]})))\n" >"$tmp/job.py"
chmod 644 "$tmp/job.py"

bwrap_args="--unshare-all --die-with-parent --new-session --cap-drop ALL
 --ro-bind /usr /usr --symlink usr/lib /lib --symlink usr/lib64 /lib64 --symlink usr/bin /bin
 --symlink usr/sbin /sbin --ro-bind /etc/ld.so.cache /etc/ld.so.cache
 --ro-bind /etc/alternatives /etc/alternatives --proc /proc --dev /dev --tmpfs /tmp
 --ro-bind $tmp/job.py /job.py"
now() { date +%s.%N; }
p50() { sed -E 's/.*p50=([0-9.]+).*/\1/'; }

echo "== Python jobs: import pandas, print one line ($(nproc) CPUs, $(uname -r))"
echo
echo "-- warm: through the pool, one request at a time, slots ready"
"$pyrt" -n "$runs" -b "$(pwd)/build"
echo
echo "-- cold: a whole process start each (n=$cold_runs)"
cold_s=$("$lat" -n "$cold_runs" -w 2 -l "stratbox exec (new pool)" -- $sbx exec "$tmp/job.py")
# shellcheck disable=SC2086
cold_b=$("$lat" -n "$cold_runs" -w 2 -l "bwrap python3" -- bwrap $bwrap_args /usr/bin/python3 /job.py)
echo "$cold_s"
echo "$cold_b"
echo

echo "-- throughput: $batch_jobs jobs at --parallel $parallel"
i=0
: >"$tmp/jobs.jsonl"
while [ $i -lt $batch_jobs ]; do
	printf '{"id": %d, "code": "import pandas as pd\\nprint(\\"rows\\", len(pd.DataFrame({\\"a\\": [1, %d]})))\\n"}\n' \
		$i $i >>"$tmp/jobs.jsonl"
	i=$((i + 1))
done
steal() { awk '/^cpu / {print $9; exit}' /proc/stat; }
median() { echo "$@" | tr ' ' '\n' | sort -n | sed -n 2p; }
# Each run of the pool is followed by a run of the floor: the same jobs
# forked from a pandas-loaded python3 with no sandbox at all
# (bench/pyfloor.py).  This VM's speed drifts; side by side, the ratio
# holds still.
rates=""
floor_rates=""
for rep in 1 2 3; do
	st0=$(steal)
	t0=$(now)
	STRATBOX_TRACE=1 $sbx exec --batch "$tmp/jobs.jsonl" --parallel $parallel >"$tmp/out.jsonl" 2>"$tmp/trace"
	t1=$(now)
	st1=$(steal)
	ok=$(grep -c '"status":"OK"' "$tmp/out.jsonl" || true)
	# after the first result the pool is warm: the steady rate
	steady=$(awk -v n=$batch_jobs '/^trace all results/ {printf "%.0f", (n - 1) / ($4 / 1000)}' "$tmp/trace")
	rate=$(awk -v a="$t0" -v b="$t1" -v n=$batch_jobs 'BEGIN {printf "%.1f", n / (b - a)}')
	rates="$rates $rate"
	echo "stratbox exec --batch (run $rep): $batch_jobs jobs, $ok OK, in" \
		"$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}') s: $rate jobs/s" \
		"(pool start included); $steady jobs/s once warm; CPU steal $(((st1 - st0) * 10)) ms"
	line=$(/usr/bin/python3 bench/pyfloor.py "$tmp/job.py" $batch_jobs $parallel)
	echo "  floor: $line"
	floor_rates="$floor_rates $(echo "$line" | sed -E 's/.*: ([0-9.]+) jobs\/s \(imports.*/\1/')"
done
sbx_rate=$(median $rates)
floor_rate=$(median $floor_rates)
echo "medians of the three: stratbox $sbx_rate jobs/s, no-sandbox floor $floor_rate jobs/s"

bw_jobs=$((cold_runs * 2))
t0=$(now)
# each job's own output is checked (parallel writers to one file can
# interleave their lines)
# shellcheck disable=SC2086
flat=$(echo $bwrap_args) # one line, for sh -c
seq $bw_jobs | xargs -P $parallel -I{} sh -c \
	"bwrap $flat /usr/bin/python3 /job.py | grep -qx 'rows 2' && echo OK" >"$tmp/bw.out"
t1=$(now)
bw_ok=$(grep -c '^OK$' "$tmp/bw.out" || true)
bw_rate=$(awk -v a="$t0" -v b="$t1" -v n=$bw_jobs 'BEGIN {printf "%.2f", n / (b - a)}')
echo "bwrap python3, xargs -P $parallel: $bw_jobs jobs, $bw_ok OK: $bw_rate jobs/s"
awk -v s="$sbx_rate" -v b="$bw_rate" -v cs="$(echo "$cold_s" | p50)" -v cb="$(echo "$cold_b" | p50)" \
	-v f="$floor_rate" \
	'BEGIN {printf "ratios: throughput stratbox/bwrap %.0fx (50x would be %.0f jobs/s), no-sandbox floor/bwrap %.0fx, stratbox/floor %.2f; cold p50 stratbox/bwrap %.2f\n", s / b, 50 * b, f / b, s / f, cs / cb}'
echo
echo "-- the audit hook's cost: the same jobs on a pool with it and one without, in turns"
"$hook" -n "$runs" -b "$(pwd)/build" -d data/GOOG.csv
