#!/bin/bash
# bench/run.sh: the API benchmark (docs/benchmarks.md explains the numbers).
#
# Starts one vpcd on a free loopback port with a temporary data directory
# under /tmp, drives it with build/bench/loadgen, measures the in-run
# baseline (durable one-row SQLite commits/s on the same disk) with
# build/bench/commitbench, prints the results, and always stops the daemon
# and removes its data directory, also on failure or ^C.
#
# Environment: BUILD (default build), BENCH_DURATION seconds per scenario
# (default 10), BENCH_CONNECTIONS for the concurrent scenarios (default 8).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
DURATION=${BENCH_DURATION:-10}
CONNS=${BENCH_CONNECTIONS:-8}
POPULATION=1000

if [ ! -f "$BUILD/build.ninja" ]; then
	meson setup "$BUILD" "$ROOT"
fi
ninja -C "$BUILD" vpcd bench/loadgen bench/commitbench >/dev/null

TMP=$(mktemp -d /tmp/vpcd-bench.XXXXXX)
VPCD_PID=
cleanup() {
	if [ -n "$VPCD_PID" ] && kill -0 "$VPCD_PID" 2>/dev/null; then
		kill -TERM "$VPCD_PID" 2>/dev/null || true
		wait "$VPCD_PID" 2>/dev/null || true
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ENDPOINT=127.0.0.1:$PORT
DATA=$TMP/data
"$BUILD/vpcd" --data-dir "$DATA" --listen "$ENDPOINT" --dataplane none --log-level warn \
	--set quota.vpcs-per-region=1000000 \
	--set quota.security-groups-per-vpc=100000 \
	--set quota.rules-per-security-group=1000 >"$TMP/vpcd.log" 2>&1 &
VPCD_PID=$!
for _ in $(seq 100); do
	[ -s "$DATA/credentials" ] && (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
	kill -0 "$VPCD_PID" 2>/dev/null || { cat "$TMP/vpcd.log"; exit 1; }
	sleep 0.1
done
[ -s "$DATA/credentials" ] || { echo "vpcd did not start" >&2; cat "$TMP/vpcd.log"; exit 1; }

RESULTS=$TMP/results
: >"$RESULTS"
# run LABEL loadgen-arguments...: runs loadgen, keeps its line under LABEL.
run() {
	local label=$1 line
	shift
	line=$("$BUILD/bench/loadgen" --endpoint "$ENDPOINT" --credentials "$DATA/credentials" \
		"$@" 2>"$TMP/$label.err") || {
		echo "loadgen $* failed: $line" >&2
		cat "$TMP/$label.err" >&2
		exit 1
	}
	echo "$label $line" | tee -a "$RESULTS"
	# With --progress: the rate second by second, as the store grows.
	if grep -q 't=.*calls/s' "$TMP/$label.err"; then
		echo "  $label calls/s, second by second:" \
			$(awk '/t=.*calls\/s/ { print $(NF - 1) }' "$TMP/$label.err")
	fi
}
field() {  # field LABEL KEY
	awk -v l="$1" -v k="$2" '$1 == l { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }' "$RESULTS"
}
rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$VPCD_PID/status"
}

echo "machine: $(nproc) CPUs, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
echo "vpcd $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)" \
	"at $ENDPOINT (pid $VPCD_PID), data in $DATA"
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $DURATION s per scenario, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
RSS_EMPTY=$(rss_kb)

# The describe scenarios run first, on exactly $POPULATION VPCs (each with
# its default security group); the mutating ones grow the store afterwards.
run populate --scenario create-vpc --count "$POPULATION" --connections "$CONNS" --quiet
RSS_POP=$(rss_kb)
run describe-vpc-by-id --scenario describe-vpc-by-id --connections "$CONNS" --duration "$DURATION"
run describe-vpc-by-id-1 --scenario describe-vpc-by-id --connections 1 --duration "$DURATION"
run describe-vpcs-all-1 --scenario describe-vpcs-all --connections 1 --duration "$DURATION"
run describe-vpcs-all --scenario describe-vpcs-all --connections "$CONNS" --duration "$DURATION"
run describe-sgs-all --scenario describe-sgs-all --connections "$CONNS" --duration "$DURATION"
run create-sg --scenario create-sg --connections "$CONNS" --duration "$DURATION" --progress
run create-vpc --scenario create-vpc --connections "$CONNS" --duration "$DURATION" \
	--cidr-base "$POPULATION" --progress
RSS_END=$(rss_kb)

# The baseline: one-row durable commits/s on the same file system.
BASE=$("$BUILD/bench/commitbench" "$TMP/baseline.db" 5)
echo "baseline $BASE" | tee -a "$RESULTS"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg) (other processes share these CPUs)"

COMMITS=$(echo "$BASE" | sed -n 's/.*commits_per_s=\([0-9]*\).*/\1/p')
VPC_RPS=$(field create-vpc rps)
SG_RPS=$(field create-sg rps)
BYID_RPS=$(field describe-vpc-by-id rps)
ALL_P50=$(field describe-vpcs-all-1 p50_ms)
FLOOR_P50=$(field describe-vpc-by-id-1 p50_ms)
verdict() { if [ "$1" = 1 ]; then echo met; else echo MISSED; fi; }

cat <<EOF

| measure | result | target |
|---|---|---|
| CreateVpc, $CONNS clients (durable calls/s) | $VPC_RPS | >= 5,000: $(verdict "$(awk -v x="$VPC_RPS" 'BEGIN { print (x >= 5000) }')") |
| CreateSecurityGroup + AuthorizeSecurityGroupIngress, $CONNS clients (calls/s) | $SG_RPS | >= 5,000: $(verdict "$(awk -v x="$SG_RPS" 'BEGIN { print (x >= 5000) }')") |
| DescribeVpcs by id, $CONNS clients (calls/s) | $BYID_RPS | >= 20,000: $(verdict "$(awk -v x="$BYID_RPS" 'BEGIN { print (x >= 20000) }')") |
| DescribeVpcs of $POPULATION VPCs, 1 client, p50 | $ALL_P50 ms | < 10 ms: $(verdict "$(awk -v x="$ALL_P50" 'BEGIN { print (x < 10) }')") |
| one-resource DescribeVpcs, 1 client, p50 (request overhead) | $FLOOR_P50 ms | |
| baseline: one-row WAL commits/s, synchronous=FULL | $COMMITS | |
| CreateVpc calls/s / baseline commits/s | $(awk -v a="$VPC_RPS" -v b="$COMMITS" 'BEGIN { printf "%.2f", a / b }') | |
| vpcd RSS: empty / $POPULATION VPCs / end of run | $RSS_EMPTY / $RSS_POP / $RSS_END KiB | |
EOF
