#!/bin/sh
# Install the Debian packages stratbox needs to build, run and test.
# Idempotent: only missing packages are installed, and nothing is done
# (not even `apt-get update`) when everything is already present.
#
# usage: scripts/install-deps.sh [build|test]
#   build  what `make` and `make demo` need (compiler, libraries, Python,
#          and Node with npm, which fetch and embed the HTML report's chart
#          library at build time)
#   test   build + what `make check` needs (bubblewrap, clang for fuzzing,
#          Chromium to open the HTML reports headless, redis-server for the
#          queue's tests, which start their own on a unix socket, ...)
set -eu

build_pkgs="gcc make libseccomp-dev libcap-dev libjansson-dev libunistring-dev
libpython3.11-dev python3 python3-numpy python3-pandas util-linux nettle-dev nodejs npm
libsqlite3-dev libmicrohttpd-dev libhiredis-dev libgnutls28-dev zlib1g-dev"
test_pkgs="clang libclang-rt-14-dev bubblewrap iproute2 procps chromium fonts-dejavu-core
python3-yaml openssl redis-server python3-venv python3-scipy python3-statsmodels
python3-sklearn python3-matplotlib"

case "${1:-build}" in
build) want="$build_pkgs" ;;
test) want="$build_pkgs $test_pkgs" ;;
*) echo "usage: $0 [build|test]" >&2; exit 2 ;;
esac

# Node and npm may come from elsewhere (NodeSource's nodejs bundles npm and
# conflicts with Debian's npm package): a working command is enough.
have_command() {
	case "$1" in
	nodejs) command -v node >/dev/null 2>&1 ;;
	npm) command -v npm >/dev/null 2>&1 ;;
	*) return 1 ;;
	esac
}

missing=""
for p in $want; do
	have_command "$p" && continue
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "stratbox: missing Debian packages:$missing" >&2
	echo "stratbox: run as root, or: sudo apt-get install$missing" >&2
	exit 1
fi

echo "stratbox: installing Debian packages:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
