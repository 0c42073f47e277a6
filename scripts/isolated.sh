#!/bin/sh
# Run a command (a suite, `sh .ci/run`, a benchmark) away from everything
# else on a shared machine: its own cgroups (NAME, below the current ones,
# in the v1 hierarchies), its own pid and mount namespaces, a private /tmp.
# The suites' "nothing left behind" checks look at the whole host, so
# another user's (or another checkout's) sandboxes would otherwise count
# as this run's.  As root.
#
#   usage: scripts/isolated.sh NAME DIR CMD...
#   e.g.   scripts/isolated.sh mine "$PWD" build/tests/serve --filter redis
set -eu
name=$1; dir=$2; shift 2
for c in pids cpu cpuacct memory; do
	own=$(awk -F: -v c="$c" '$2 ~ ("(^|,)" c "(,|$)") {print $3}' /proc/self/cgroup)
	mkdir -p "/sys/fs/cgroup/$c$own/$name"
	echo $$ > "/sys/fs/cgroup/$c$own/$name/tasks"
done
cd "$dir"
exec unshare --pid --mount --fork --mount-proc sh -c 'mount -t tmpfs -o mode=1777 tmpfs /tmp && "$@"' sh "$@"
