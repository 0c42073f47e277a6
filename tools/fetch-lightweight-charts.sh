#!/bin/sh
# Fetch TradingView's lightweight-charts from npm into the build directory
# (the HTML report embeds it), check it against the pinned SHA-512 (the
# registry's "integrity"), and unpack the three files the report needs.
# Called by the Makefile; nothing it writes is committed.
#
# usage: tools/fetch-lightweight-charts.sh VERSION SHA512 DIR [TARBALL]
#   TARBALL: use this lightweight-charts-VERSION.tgz instead of npm (for a
#            build without network access: make LWC_TARBALL=...)
set -eu

version=$1 sha512=$2 dir=$3 tarball=${4:-}
pkg="lightweight-charts@$version"
tgz="$dir/lightweight-charts-$version.tgz"

say() { printf 'stratbox: %s\n' "$@" >&2; }

if ! command -v node >/dev/null; then
	say "node is needed to build the HTML report's assets." \
		"Debian: sh scripts/install-deps.sh build (installs nodejs and npm)"
	exit 1
fi

rm -rf "$dir"
mkdir -p "$dir"

if [ -n "$tarball" ]; then
	if ! cp "$tarball" "$tgz"; then
		say "LWC_TARBALL=$tarball: cannot read it"
		exit 1
	fi
else
	if ! command -v npm >/dev/null; then
		say "npm is needed to fetch $pkg, the chart library of the HTML report." \
			"Debian: sh scripts/install-deps.sh build (installs nodejs and npm)," \
			"or build with LWC_TARBALL=/path/to/lightweight-charts-$version.tgz"
		exit 1
	fi
	# --prefer-offline: a tarball in npm's cache (~/.npm) is used without
	# asking the registry; few, short retries: an offline build should
	# fail in seconds, not minutes.
	if ! (cd "$dir" && npm pack --prefer-offline --fetch-retries=1 --fetch-timeout=30000 \
		--fetch-retry-maxtimeout=10000 --loglevel=error "$pkg") >"$dir/npm.log" 2>&1 ||
		[ ! -f "$tgz" ]; then
		registry=$(npm config get registry 2>/dev/null || echo "?")
		say "could not fetch $pkg from the npm registry ($registry)." \
			"The HTML report (stratbox backtest --report) embeds this chart library, so the" \
			"build needs it once. Either" \
			"  - give this machine access to the registry (or set npm's proxy/registry" \
			"    configuration) and run make again; npm then keeps it in its cache, or" \
			"  - elsewhere: npm pack $pkg, copy lightweight-charts-$version.tgz to this" \
			"    machine and run make LWC_TARBALL=/path/to/lightweight-charts-$version.tgz" \
			"npm said:"
		tail -n 8 "$dir/npm.log" | sed 's/^/    /' >&2
		exit 1
	fi
fi

if ! echo "$sha512  $tgz" | sha512sum --check --quiet - >/dev/null 2>&1; then
	say "$tgz: not the pinned $pkg (SHA-512 differs); refusing to embed it"
	rm -f "$tgz"
	exit 1
fi
tar -xzf "$tgz" -C "$dir" package/package.json package/LICENSE \
	package/dist/lightweight-charts.standalone.production.js
