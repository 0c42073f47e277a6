#!/bin/sh
# Run the whole test suite and print one summary line:
#
#   TOTAL: N passed, N failed, N skipped
#
# Suites, each a binary printing "<suite>: N passed, N failed, N skipped":
#   unit                       the pure parts
#   security (root)            every attack, as root
#   security (unprivileged)    as uid 65534, with a delegated cgroup parent
#   security (unprivileged, no cgroup)   as uid 65534 without one
#   serve (root)               the job store, and stratbox serve over HTTP
# and the same suites again from the ASan+UBSan build (build/asan); then
# the fuzzers, the validator against CPython, the engine against its
# reference, the HTML report and the status page in headless Chromium,
# and the Python client against a live server.
#
# Must run as root (it creates the delegated cgroup and switches users);
# as another user only the unit suite and the unprivileged suites run.
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
unpriv_uid=65534
stage=$(mktemp -d /tmp/stratbox-tests.XXXXXX)
chmod 755 "$stage"
deleg_name="sbx-deleg-$$"
deleg_dirs=""
results="$stage/results"
: >"$results"

cleanup() {
	# depth first: a job cgroup left inside (a leak the suites report)
	# must not keep the delegated parent alive after the run
	for d in $deleg_dirs; do
		find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	rm -rf "$stage"
}
trap cleanup EXIT INT TERM

# Copy a build's binaries somewhere every user can read (the checkout
# may live under a private home directory).
stage_build() { # build-dir name
	mkdir -p "$stage/$2"
	cp "$1/stratbox" "$1/tests/probe" "$1/tests/unit" "$1/tests/security" "$1/tests/pyrt" \
		"$stage/$2/"
	# the zygote and its package are found next to the stratbox binary
	cp "$1/stratbox-zygote" "$1/stratbox-zygote-shared" "$stage/$2/"
	# the service, and its suite (which reads the bundled data)
	cp "$1/stratbox-serve" "$1/tests/serve" "$stage/$2/"
	cp -r "$1/python" "$stage/$2/python"
	mkdir -p "$stage/$2/data/pyrt" "$stage/$2/data/validate"
	cp tests/pyrt/permissive-policy.json "$stage/$2/data/pyrt/"
	cp -r tests/pyrt/hook "$stage/$2/data/pyrt/"
	mkdir -p "$stage/$2/data/env" && cp tests/env/mkimage.py tests/env/addlayer.py "$stage/$2/data/env/"
	# the backtest attacks (tests/pyrt/test_backtest.c) and their bars
	cp -r tests/pyrt/lookahead "$stage/$2/data/pyrt/"
	mkdir -p "$stage/$2/data/bars" && cp data/GOOG.csv "$stage/$2/data/bars/"
	# the bundled data and a strategy, where the serve suite looks for its
	# checkout (the current directory of an unprivileged run)
	if [ ! -d "$stage/data" ]; then
		cp -r data "$stage/data"
		mkdir -p "$stage/bench" && cp -r bench/strategies "$stage/bench/"
		chmod -R a+rX "$stage/data" "$stage/bench"
	fi
	cp -r tests/validate/escapes tests/validate/strategies tests/validate/llm \
		tests/validate/llm-dangerous "$stage/$2/data/validate/"
	chmod -R a+rX "$stage/$2"
}

# A cgroup parent delegated to the unprivileged user, beneath our own
# cgroup in each hierarchy, as systemd's Delegate=yes would give a user.
make_delegated_cgroup() {
	while IFS=: read -r _ ctl path; do
		case "$ctl" in
		"") dir="/sys/fs/cgroup$path"; [ -f "$dir/cgroup.subtree_control" ] || dir="/sys/fs/cgroup/unified$path" ;;
		*memory* | *pids* | *cpu*) dir="/sys/fs/cgroup/$ctl$path" ;;
		*) continue ;;
		esac
		dir="${dir%/}/$deleg_name"
		[ -d "$(dirname "$dir")" ] || continue
		mkdir "$dir" 2>/dev/null || continue
		deleg_dirs="$dir $deleg_dirs"
		for f in "$dir" "$dir/cgroup.procs" "$dir/tasks" "$dir/cgroup.subtree_control" "$dir/cgroup.threads"; do
			[ -e "$f" ] && chown "$unpriv_uid:$unpriv_uid" "$f"
		done
		if [ -z "$ctl" ]; then # v2: let the delegate use the controllers
			for c in memory pids cpu; do
				echo "+$c" >"$dir/cgroup.subtree_control" 2>/dev/null
			done
		fi
	done </proc/self/cgroup
}

run_suite() { # label binary-dir as-user suite [env...]
	label=$1 dir=$2 user=$3 suite=$4
	shift 4
	echo
	echo "== $label"
	out="$stage/out.$$"
	set -- STRATBOX_BIN="$dir/stratbox" STRATBOX_PROBE="$dir/probe" \
		STRATBOX_TEST_DATA="$dir/data" "$@"
	if [ "$user" = root ]; then
		env "$@" "$dir/$suite" >"$out" 2>&1
	else
		(cd "$stage" && env "$@" setpriv --reuid "$unpriv_uid" --regid "$unpriv_uid" \
			--clear-groups "$dir/$suite") >"$out" 2>&1
	fi
	cat "$out"
	line=$(grep -E '^[a-z].*: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$out" | tail -n 1)
	if [ -z "$line" ]; then
		echo "$label: suite crashed"
		echo "0 0 1 0" >>"$results"
	else
		echo "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped/\1 \2 \3/' |
			awk '{print $1, $2, 0, $3}' >>"$results"
	fi
	rm -f "$out"
}

is_root=0
[ "$(id -u)" -eq 0 ] && is_root=1
[ $is_root -eq 1 ] && make_delegated_cgroup

buildroot=${BUILDROOT:-build}
for build in release asan; do
	dir=$buildroot
	[ $build = asan ] && dir=$buildroot/asan
	if [ ! -x "$dir/tests/security" ]; then
		[ $build = asan ] && continue
		echo "missing $dir/tests: run make tests first" >&2
		exit 2
	fi
	stage_build "$dir" "$build"
	b="$stage/$build"
	tag=""
	[ $build = asan ] && tag=" [asan]"
	# ASan's leak checker cannot follow the sandbox's namespaces (it
	# ptraces); leaks are checked in the stratbox process itself.
	asan_env="ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1"
	run_suite "unit$tag" "$b" root unit
	if [ $is_root -eq 1 ]; then
		run_suite "serve as root$tag" "$b" root serve $asan_env STRATBOX_DATA_DIR="$root/data"
		run_suite "serve as uid $unpriv_uid with a delegated cgroup$tag" "$b" unpriv serve \
			$asan_env STRATBOX_DATA_DIR="$stage/data" STRATBOX_TEST_CGROUP_PARENT="$deleg_name"
	fi
	for suite in security pyrt; do
		if [ $is_root -eq 1 ]; then
			run_suite "$suite as root$tag" "$b" root $suite $asan_env
			run_suite "$suite as uid $unpriv_uid with a delegated cgroup$tag" "$b" unpriv \
				$suite $asan_env STRATBOX_TEST_CGROUP_PARENT="$deleg_name"
			run_suite "$suite as uid $unpriv_uid without a cgroup$tag" "$b" unpriv $suite \
				$asan_env
		else
			run_suite "$suite as $(id -un)$tag" "$b" root $suite $asan_env
		fi
	done
done

# The fuzzers, each for a bounded time, seeded with their corpora: the
# validator's (tokenizer and policy), the host's parser of a job's
# control frames, and the tar reader of image layers (src/env/tar.c).
run_fuzz() { # label binary seed-dir...
	label=$1 fuzz=$2
	shift 2
	[ -x "$fuzz" ] || return 0
	secs=${STRATBOX_FUZZ_SECONDS:-60}
	echo
	echo "== fuzz: $label, ${secs} s"
	work="$stage/fuzz-$(basename "$fuzz")"
	mkdir -p "$work/corpus" "$work/crash"
	if "$fuzz" -max_total_time="$secs" -timeout=5 -rss_limit_mb=2048 \
		-artifact_prefix="$work/crash/" "$work/corpus" "$@" >"$work/log" 2>&1; then
		tail -n 1 "$work/log"
		echo "fuzz $label: 1 passed, 0 failed, 0 skipped"
		echo "1 0 0 0" >>"$results"
	else
		grep -A20 -E "ERROR|crash|Test unit written" "$work/log" | head -40
		cp "$work"/crash/* . 2>/dev/null
		echo "fuzz $label: 0 passed, 1 failed, 0 skipped (crash input copied to the checkout)"
		echo "0 1 0 0" >>"$results"
	fi
}
run_fuzz "tokenizer and validator" "$buildroot/fuzz/fuzz_check" tests/validate/escapes \
	tests/validate/strategies tests/validate/llm tests/validate/llm-dangerous
run_fuzz "job control frames" "$buildroot/fuzz/fuzz_protocol" fuzz/protocol-seeds
run_fuzz "image layers' tar reader" "$buildroot/fuzz/fuzz_tar" fuzz/tar-seeds

# The validator against CPython: the differential test (Debian's
# /usr/bin/python3, the interpreter jobs run on, is the judge; the ASan
# build's probe when there is one), the walk of every module reachable
# from the allowed ones, and the command line's exit codes.
run_script() { # label command...
	label=$1
	shift
	echo
	echo "== $label"
	out="$stage/script.out"
	"$@" >"$out" 2>&1
	cat "$out"
	line=$(grep -E '^[a-z].*: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$out" | tail -n 1)
	if [ -z "$line" ]; then
		echo "$label: crashed"
		echo "0 0 1 0" >>"$results"
	else
		echo "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped/\1 \2 \3/' |
			awk '{print $1, $2, 0, $3}' >>"$results"
	fi
}
vprobe=$buildroot/asan/tests/vprobe
[ -x "$vprobe" ] || vprobe=$buildroot/tests/vprobe
if [ -x /usr/bin/python3 ] && [ -x "$vprobe" ]; then
	diff_secs=${STRATBOX_DIFF_SECONDS:-30}
	run_script "validator vs CPython's tokenizer and parser, ${diff_secs} s" /usr/bin/python3 \
		tests/validate/differential.py --seconds "$diff_secs" "$vprobe" tests/validate
	run_script "modules reachable from the allowed ones" /usr/bin/python3 tests/validate/modwalk.py \
		"$buildroot/tests/vprobe"
fi
run_script "validator command line" sh tests/validate/cli.sh "$buildroot"

# The backtest engine against an independent reimplementation of its
# documents (tests/engine/compare.py: every metric, trade and equity point
# of 21 cases), through the ASan build's front end when there is one.
engine_run=$buildroot/asan/tests/engine-run
[ -x "$engine_run" ] || engine_run=$buildroot/tests/engine-run
if [ -x /usr/bin/python3 ] && [ -x "$engine_run" ]; then
	run_script "engine vs its reference" /usr/bin/python3 tests/engine/compare.py "$engine_run" data
else
	echo
	echo "engine vs its reference: skipped (no /usr/bin/python3 or no $engine_run)"
	echo "0 0 0 1" >>"$results"
fi

# stratbox serve against openapi.yaml, both ways (tests/serve/openapi_check.py):
# every documented operation answered as documented, every other method
# 405, every documented request property accepted and no other.
serve_bin=$buildroot/asan/stratbox-serve
[ -x "$serve_bin" ] || serve_bin=$buildroot/stratbox-serve
if [ $is_root -eq 1 ] && [ -x /usr/bin/python3 ] && [ -x "$serve_bin" ] &&
	/usr/bin/python3 -c 'import yaml' 2>/dev/null; then
	run_script "the service against openapi.yaml" env ASAN_OPTIONS=detect_leaks=1 \
		/usr/bin/python3 tests/serve/openapi_check.py "$serve_bin" openapi.yaml data
else
	echo
	echo "the service against openapi.yaml: skipped (not root, or no /usr/bin/python3 with yaml, or no $serve_bin)"
	echo "0 0 0 1" >>"$results"
fi

# The HTML report (tests/report/check.js): real engine results, failed
# runs, sweeps and hostile strings, each page checked as text and opened in
# headless Chromium; through the ASan build's front end when there is one.
report_gen=$buildroot/asan/tests/report-gen
[ -x "$report_gen" ] || report_gen=$buildroot/tests/report-gen
if command -v node >/dev/null && [ -x /usr/bin/chromium ] && [ -x "$report_gen" ]; then
	run_script "HTML report in headless Chromium" env ASAN_OPTIONS=detect_leaks=1 \
		node tests/report/check.js "$report_gen" data
else
	echo
	echo "HTML report in headless Chromium: skipped (no node, /usr/bin/chromium or $report_gen)"
	echo "0 0 0 1" >>"$results"
fi

# The status page (tests/serve/page.js): stratbox-serve started by the
# test with two tenants (and once without tokens), the page driven in
# headless Chromium: the token prompt, a backtest submitted through the
# form and watched from queued to done, cancel, the metrics against the
# API's, the report in its sandboxed frame, hostile output shown as text,
# the other tenant's view; through the ASan build's server when there is
# one.
serve_dir=$buildroot/asan
[ -x "$serve_dir/stratbox-serve" ] || serve_dir=$buildroot
if command -v node >/dev/null && [ -x /usr/bin/chromium ] && [ -x "$serve_dir/stratbox-serve" ] &&
	[ $is_root -eq 1 ]; then
	run_script "status page in headless Chromium" env ASAN_OPTIONS=detect_leaks=0 \
		STRATBOX_DATA_DIR="$root/data" node tests/serve/page.js "$serve_dir"
else
	echo
	echo "status page in headless Chromium: skipped (not root, or no node, /usr/bin/chromium or $serve_dir/stratbox-serve)"
	echo "0 0 0 1" >>"$results"
fi

# stratbox backtest against the same strategies driven in this process
# (tests/engine/inproc.py: an SMA cross, limit/stop/sl/tp orders, two
# symbols, vectorised targets): every metric, trade and equity point of the
# sandboxed run equal to the engine's alone on the orders sent here.
stratbox_bin=$buildroot/asan/stratbox
[ -x "$stratbox_bin" ] || stratbox_bin=$buildroot/stratbox
if [ -x /usr/bin/python3 ] && [ -x "$engine_run" ] && [ -x "$stratbox_bin" ]; then
	run_script "backtest vs the strategy run in-process" /usr/bin/python3 tests/engine/inproc.py \
		"$stratbox_bin" "$engine_run" data
else
	echo
	echo "backtest vs the strategy run in-process: skipped (no /usr/bin/python3, $engine_run or $stratbox_bin)"
	echo "0 0 0 1" >>"$results"
fi

# The Python client (clients/python/stratbox_client.py) against a live
# `stratbox serve` it starts on loopback (tests/client/test_client.py):
# executions, backtests, validate, errors, a retry after a dropped answer
# that keeps one job, 429 with Retry-After, the environment's entry point.
if [ -x /usr/bin/python3 ] && [ -x "$buildroot/stratbox-serve" ]; then
	run_script "Python client against a live server" env STRATBOX_DATA_DIR="$root/data" \
		/usr/bin/python3 tests/client/test_client.py "$buildroot/stratbox"
else
	echo
	echo "Python client against a live server: skipped (no /usr/bin/python3 or no $buildroot/stratbox-serve)"
	echo "0 0 0 1" >>"$results"
fi

echo
awk '{p += $1; f += $2 + $3; s += $4} END {printf "TOTAL: %d passed, %d failed, %d skipped\n", p, f, s; exit (f > 0)}' "$results"
