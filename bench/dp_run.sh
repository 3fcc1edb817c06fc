#!/bin/bash
# bench/dp_run.sh: the data-plane benchmark (docs/benchmarks.md, "Data plane").
#
# Needs root, iperf3 and python3 with boto3.  Builds what is missing,
# creates the baseline (a bare veth pair between two namespaces of its own,
# vpcdbench-<pid>-a and -b), the same pair with the 192 KiB segments vpcd
# gives its veths (-ga, -gb) and a routed baseline (-rc, -r, -s: client,
# router, server, no rules), starts one vpcd --dataplane linux on a free
# loopback port with a temporary data directory under /tmp, and runs
# bench/dp_bench.py, which drives vpcd through the API and measures
# throughput (iperf3), new connections/s (build/bench/connrate), the launch
# of 1,000 instances, memory, and the delay from an
# AuthorizeSecurityGroupIngress answer to the first connection it allows.
#
# Traffic flows only between the baselines' namespaces and between
# namespaces vpcd created; nothing in the host's namespace is changed.
# On exit, also on failure or ^C, it stops vpcd, purges everything vpcd
# built (vpcd --purge), kills what runs in its baseline namespaces,
# deletes them, and removes the data directory.
#
# Environment: BUILD (default build); VPCD, the vpcd binary (default
# $BUILD/vpcd: it must accept --set quota.instances-per-region);
# DP_INSTANCES, the instances of the large VPC (default 1000);
# DP_TRIALS, rule-change trials (default 50); DP_SECONDS, seconds per
# throughput or connection-rate measurement (default 5); DP_ROUNDS, rounds of
# those, interleaved between the baselines and the two VPCs (default 5);
# DP_PERF=1 adds perf profiles (the machine during (a) and (b) traffic,
# vpcd during the rule-change trials) for diagnosis.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
VPCD=${VPCD:-$BUILD/vpcd}
VPCCTL=${VPCCTL:-$(dirname "$VPCD")/vpcctl}
INSTANCES=${DP_INSTANCES:-1000}

if [ "$(id -u)" != 0 ]; then
	echo "dp_run.sh: needs root (network namespaces)" >&2
	exit 1
fi
command -v iperf3 >/dev/null || { echo "dp_run.sh: needs iperf3" >&2; exit 1; }
if [ ! -f "$BUILD/build.ninja" ]; then
	meson setup "$BUILD" "$ROOT"
fi
ninja -C "$BUILD" vpcd vpcctl bench/connrate >/dev/null
if ! "$VPCD" -n --data-dir /nonexistent --set quota.instances-per-region=1 >/dev/null 2>&1; then
	echo "dp_run.sh: $VPCD has no quota.instances-per-region, so it cannot launch" \
		"$INSTANCES instances (set VPCD to a binary that has it)" >&2
	exit 1
fi

TMP=$(mktemp -d /tmp/vpcd-dpbench.XXXXXX)
DATA=$TMP/data
NS_A=vpcdbench-$$-a
NS_B=vpcdbench-$$-b
NS_C=vpcdbench-$$-c   # empty: where the large VPC's ruleset is loaded by hand, to time it
# The bare pair again, with the 192 KiB segments vpcd gives its veths.
NS_GA=vpcdbench-$$-ga
NS_GB=vpcdbench-$$-gb
# The routed baseline: client, router, server, with no rules at all.
NS_RC=vpcdbench-$$-rc
NS_R=vpcdbench-$$-r
NS_RS=vpcdbench-$$-rs
VPCD_PID=
cleanup() {
	set +e
	if [ -n "$VPCD_PID" ] && kill -0 "$VPCD_PID" 2>/dev/null; then
		kill -TERM "$VPCD_PID"
		wait "$VPCD_PID" 2>/dev/null
	fi
	if [ -d "$DATA" ]; then
		"$VPCD" --data-dir "$DATA" --purge >"$TMP/purge.log" 2>&1 ||
			{ echo "vpcd --purge failed:" >&2; cat "$TMP/purge.log" >&2; }
	fi
	for ns in "$NS_A" "$NS_B" "$NS_C" "$NS_GA" "$NS_GB" "$NS_RC" "$NS_R" "$NS_RS"; do
		if [ -e "/run/netns/$ns" ]; then
			pids=$(ip netns pids "$ns")
			[ -n "$pids" ] && kill $pids 2>/dev/null
			ip netns del "$ns"
		fi
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The baseline: two namespaces and one veth pair, nothing else; and the
# same with vpcd's segmentation size (bench/gso_size.py).
ip netns add "$NS_C"
bare_pair() {  # NS_X NS_Y NET
	ip netns add "$1"
	ip netns add "$2"
	ip -n "$1" link add eth0 type veth peer name eth0 netns "$2"
	ip -n "$1" addr add "$3.1/30" dev eth0
	ip -n "$2" addr add "$3.2/30" dev eth0
	for ns in "$1" "$2"; do
		ip -n "$ns" link set lo up
		ip -n "$ns" link set eth0 up
	done
}
bare_pair "$NS_A" "$NS_B" 192.168.254
bare_pair "$NS_GA" "$NS_GB" 192.168.251
for ns in "$NS_GA" "$NS_GB"; do
	ip netns exec "$ns" /usr/bin/python3 "$ROOT/bench/gso_size.py" eth0 196608
done

# The routed baseline: the bare pair's hop plus one router namespace, as
# a VPC's path has, but no nftables and no conntrack rules.
for ns in "$NS_RC" "$NS_R" "$NS_RS"; do
	ip netns add "$ns"
	ip -n "$ns" link set lo up
done
ip -n "$NS_RC" link add eth0 type veth peer name c0 netns "$NS_R"
ip -n "$NS_RS" link add eth0 type veth peer name s0 netns "$NS_R"
ip -n "$NS_RC" addr add 192.168.253.2/30 dev eth0
ip -n "$NS_R" addr add 192.168.253.1/30 dev c0
ip -n "$NS_R" addr add 192.168.252.1/30 dev s0
ip -n "$NS_RS" addr add 192.168.252.2/30 dev eth0
ip -n "$NS_RC" link set eth0 up
ip -n "$NS_RS" link set eth0 up
ip -n "$NS_R" link set c0 up
ip -n "$NS_R" link set s0 up
ip -n "$NS_RC" route add default via 192.168.253.1
ip -n "$NS_RS" route add default via 192.168.252.1
ip netns exec "$NS_R" sysctl -qw net.ipv4.ip_forward=1

PORT=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ENDPOINT=127.0.0.1:$PORT
"$VPCD" --data-dir "$DATA" --listen "$ENDPOINT" --dataplane linux --log-level debug \
	--set quota.instances-per-region=$((INSTANCES + 100)) \
	--set quota.rules-per-security-group=100 \
	>"$TMP/vpcd.log" 2>&1 &
VPCD_PID=$!
for _ in $(seq 200); do
	[ -s "$DATA/credentials" ] && (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
	kill -0 "$VPCD_PID" 2>/dev/null || { cat "$TMP/vpcd.log"; exit 1; }
	sleep 0.1
done
[ -s "$DATA/credentials" ] || { echo "vpcd did not start" >&2; cat "$TMP/vpcd.log"; exit 1; }

echo "machine: $(nproc) CPUs, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)," \
	"kernel $(uname -r), $(iperf3 --version | head -1)"
echo "vpcd $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown) ($VPCD)" \
	"at $ENDPOINT (pid $VPCD_PID), data in $DATA"
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

BENCH_ENDPOINT=$ENDPOINT BENCH_DATA=$DATA BENCH_VPCD_PID=$VPCD_PID \
	BENCH_VPCD_LOG=$TMP/vpcd.log BENCH_VPCCTL=$VPCCTL \
	BENCH_CONNRATE=$BUILD/bench/connrate BENCH_NS_A=$NS_A BENCH_NS_B=$NS_B BENCH_NS_C=$NS_C BENCH_NS_GA=$NS_GA BENCH_NS_GB=$NS_GB BENCH_NS_RC=$NS_RC BENCH_NS_RS=$NS_RS \
	BENCH_INSTANCES=$INSTANCES BENCH_TRIALS=${DP_TRIALS:-50} \
	BENCH_SECONDS=${DP_SECONDS:-5} BENCH_ROUNDS=${DP_ROUNDS:-5} BENCH_PERF=${DP_PERF:-} \
	/usr/bin/python3 "$ROOT/bench/dp_bench.py"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg) (other processes share these CPUs)"
