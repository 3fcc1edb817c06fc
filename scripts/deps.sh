#!/bin/sh
# Installs the Debian packages vpcd needs to build (and, with --test, to run
# its test suite), if they are missing.  Safe to run repeatedly: it only
# calls apt-get when something is absent.
set -eu

build_pkgs="gcc meson ninja-build pkg-config libmicrohttpd-dev libsqlite3-dev libssl-dev libjansson-dev libnl-3-dev libnl-route-3-dev libnftables-dev libmnl-dev libnetfilter-conntrack-dev libnetfilter-log-dev zlib1g-dev"
test_pkgs="python3 python3-boto3 python3-botocore python3-pytest awscli sqlite3 iproute2 nftables iputils-ping iperf3 netcat-openbsd conntrack"

pkgs=$build_pkgs
if [ "${1:-}" = "--test" ]; then
	pkgs="$pkgs $test_pkgs"
fi

missing=""
for p in $pkgs; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done

# Node.js may come from Debian (nodejs + npm) or from a vendor package that
# bundles npm; only ask for Debian's when no npm is there at all.
if [ "${1:-}" = "--test" ] && ! command -v npm >/dev/null 2>&1; then
	missing="$missing nodejs npm"
fi

if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps: missing Debian packages:$missing" >&2
		echo "deps: run as root, or: apt-get install$missing" >&2
		exit 1
	fi
	echo "deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q --no-install-recommends $missing >/dev/null 2>&1 || {
		apt-get update -q >/dev/null
		apt-get install -y -q --no-install-recommends $missing
	}
fi

# The JavaScript SDK for the smoke test comes from the npm registry, pinned
# by tests/js/package-lock.json.
if [ "${1:-}" = "--test" ] && [ -f tests/js/package.json ] && [ ! -d tests/js/node_modules/@aws-sdk/client-ec2 ]; then
	echo "deps: installing the JavaScript SDK for tests (npm ci)"
	(cd tests/js && npm ci --no-audit --no-fund --loglevel=error)
fi
exit 0
