#!/bin/sh
# Sandbox start-to-exit latency: stratbox run against bubblewrap, in the
# same run, with the same namespaces.  Prints figures, asserts nothing.
#
#   bench/sandbox.sh [RUNS]    (default 300; make bench)
#
# bubblewrap gets every namespace stratbox creates (user when it can, pid,
# mount, net, ipc, uts, cgroup), a new session, no capabilities, the same
# read-only /usr, /proc, /dev and a tmpfs /tmp.  It enforces no cgroup
# limit and no seccomp filter; stratbox runs with all of its limits and its
# filter in force.
set -eu
cd "$(dirname "$0")/.."
runs=${1:-300}
sbx=build/stratbox
lat=build/bench/spawnlat
mkdir -p build/bench
cc -O2 -o "$lat" bench/spawnlat.c
cc -O2 -o build/bench/floor bench/floor.c

if ! command -v bwrap >/dev/null; then
	echo "bubblewrap is not installed (apt-get install bubblewrap)" >&2
	exit 1
fi

bwrap_args="--unshare-all --die-with-parent --new-session --cap-drop ALL
 --ro-bind /usr /usr --symlink usr/lib /lib --symlink usr/lib64 /lib64 --symlink usr/bin /bin
 --symlink usr/sbin /sbin --ro-bind /etc/ld.so.cache /etc/ld.so.cache
 --ro-bind /etc/alternatives /etc/alternatives --proc /proc --dev /dev --tmpfs /tmp"

p50() { sed -E 's/.*p50=([0-9.]+).*/\1/'; }
p99() { sed -E 's/.*p99=([0-9.]+).*/\1/'; }

echo "machine: $(nproc) CPUs, $(uname -r), cgroup backend: $($sbx doctor | awk '/^cgroup limits/ {print $4}' | tr -d :)"
echo "runs per case: $runs (plus 10 warm-up)"
echo

for case in true python python-2cpu; do
	limits=""
	case $case in
	true) cmd="/bin/true" ;;
	python) cmd="/usr/bin/python3 -c pass" ;;
	python-2cpu) cmd="/usr/bin/python3 -c pass" limits="--cpus 2" ;;
	esac
	# shellcheck disable=SC2086
	s=$("$lat" -n "$runs" -l "stratbox run $limits -- $cmd" -- $sbx run --wall-time 30 $limits -- $cmd)
	# shellcheck disable=SC2086
	b=$("$lat" -n "$runs" -l "bwrap -- $cmd" -- bwrap $bwrap_args $cmd)
	echo "$s"
	echo "$b"
	# shellcheck disable=SC2086
	"$lat" -n "$runs" -l "(floor) clone + exec" -- build/bench/floor $cmd
	sp=$(echo "$s" | p50) bp=$(echo "$b" | p50) s9=$(echo "$s" | p99) b9=$(echo "$b" | p99)
	awk -v s="$sp" -v b="$bp" -v s9="$s9" -v b9="$b9" \
		'BEGIN {printf "  ratio stratbox/bwrap: p50 %.2f, p99 %.2f\n\n", s / b, s9 / b9}'
done

echo "where the time goes in stratbox run -- /bin/true (mean of 100 traced runs, ms):"
trace=build/bench/trace.txt
: >"$trace"
i=0
while [ $i -lt 100 ]; do
	STRATBOX_TRACE=1 $sbx run -- /bin/true 2>>"$trace" >/dev/null
	i=$((i + 1))
done
awk '/^trace / && !/start$/ {
	name = ""; for (i = 2; i < NF - 1; i++) name = name (name ? " " : "") $i
	sum[name] += $(NF - 1); n[name]++; if (!(name in order)) order[name] = ++k
} END {
	for (name in order) idx[order[name]] = name
	for (j = 1; j <= k; j++) { nm = idx[j]; printf "  %-34s %7.3f\n", nm, sum[nm] / n[nm]; tot += sum[nm] / n[nm] }
	printf "  %-34s %7.3f\n", "total inside stratbox", tot
}' "$trace"
"$lat" -n 200 -l "(for scale) /bin/true alone" -- /bin/true
