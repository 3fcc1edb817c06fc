#!/usr/bin/python3
"""bench/gw_bench.py: the gateway benchmark (docs/benchmarks.md, "Gateways").

Needs root, iperf3 and build/bench/connrate (`make bench-gw` builds it).
Starts its own vpcd --dataplane linux on a free loopback port with a
temporary data directory, builds one VPC with

  public   an instance with an Elastic IP in a subnet routed to the
           internet gateway: instance -> router -> internet gateway (1:1
           NAT) -> the simulated internet's host
  natgw    an instance in a private subnet routed to a NAT gateway in the
           public subnet: instance -> router -> NAT gateway (source NAT,
           its own connection tracking) -> router -> internet gateway ->
           the same host

and measures, in interleaved rounds, TCP throughput (iperf3, 1 and 4
streams) and new TCP connections per second (connrate, which ends each
connection with a reset) from each instance to the internet host.  The
ratio natgw / public is what the NAT gateway costs.

Then flow logs: the connection rate between two instances of the VPC
(different subnets), with and without a flow log of ALL traffic on the
VPC, in interleaved rounds (the flow log is created and deleted for each);
and a completeness run: GW_FL_SECONDS (default 30) of connections at full
rate with the flow log on, after which every connection must have its
record on the client's interface and no window may say SKIPDATA.  vpcd
runs with flow-logs-window=5 so that the records come quickly.

Traffic flows only between namespaces vpcd created.  On exit, also on
failure or ^C, it stops vpcd, purges what it built (vpcd --purge) and
removes the data directory.

Environment: BUILD (default build), GW_SECONDS per measurement (default 5),
GW_ROUNDS (default 5), GW_PARTS (default "nat,flowlogs": what to measure).
"""
import configparser
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import boto3
from botocore.config import Config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))
VPCD = os.path.join(BUILD, "vpcd")
VPCCTL = os.path.join(BUILD, "vpcctl")
CONNRATE = os.path.join(BUILD, "bench", "connrate")
SECONDS = float(os.environ.get("GW_SECONDS", "5"))
ROUNDS = int(os.environ.get("GW_ROUNDS", "5"))
FL_SECONDS = float(os.environ.get("GW_FL_SECONDS", "30"))
FL_WINDOW = 5
PARTS = os.environ.get("GW_PARTS", "nat,flowlogs").split(",")
IPERF_PORT, RATE_PORT = 5201, 9000
ROLE = "arn:aws:iam::123456789012:role/flow-logs"
INTERNET_HOST = "203.0.113.10"
procs = []


def log(msg):
    print(msg, flush=True)


def run(host, *cmd, timeout=60):
    return subprocess.run(host + list(cmd), capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def background(host, *cmd):
    p = subprocess.Popen(host + list(cmd), stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(p)
    return p


def wait_running(ec2, ids):
    deadline = time.time() + 60
    while time.time() < deadline:
        r = ec2.describe_instances(InstanceIds=ids)
        if all(i["State"]["Name"] == "running" for res in r["Reservations"]
               for i in res["Instances"]):
            return
        time.sleep(0.2)
    raise RuntimeError("instances not running")


def wait_listening(host, port):
    for _ in range(100):
        if run(host, CONNRATE, "probe", INTERNET_HOST, str(port), "success", "10", "50",
               "0.2").returncode == 0:
            return
        time.sleep(0.1)
    raise RuntimeError("the internet host does not answer on %d" % port)


def iperf(host, streams):
    r = run(host, "iperf3", "-c", INTERNET_HOST, "-p", str(IPERF_PORT), "-t",
            str(int(SECONDS)), "-P", str(streams), "-J", timeout=SECONDS + 30)
    if r.returncode != 0:
        raise RuntimeError("iperf3 failed: %s %s" % (r.stdout[-500:], r.stderr[-500:]))
    return json.loads(r.stdout)["end"]["sum_received"]["bits_per_second"] / 1e9


def conn_rate(host, ip=INTERNET_HOST, seconds=SECONDS, full=False):
    r = run(host, CONNRATE, "client", ip, str(RATE_PORT), str(seconds), "2",
            timeout=seconds + 30)
    m = re.search(r"conns=(\d+) errors=(\d+) conns_per_s=(\d+)", r.stdout)
    if r.returncode != 0 or not m:
        raise RuntimeError("connrate failed: %s %s" % (r.stdout, r.stderr))
    if full:
        return int(m.group(1)), int(m.group(2)), int(m.group(3))
    return int(m.group(3)), int(m.group(2))


def build(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    public = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    private = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.2.0/24")["Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    pub_rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=pub_rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=pub_rtb, SubnetId=public)
    nat = ec2.create_nat_gateway(SubnetId=public, AllocationId=ec2.allocate_address(
        Domain="vpc")["AllocationId"])["NatGateway"]["NatGatewayId"]
    priv_rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=priv_rtb, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    ec2.associate_route_table(RouteTableId=priv_rtb, SubnetId=private)
    pub_inst = ec2.run_instances(ImageId="ami-00000000", MinCount=1, MaxCount=1,
                                 SubnetId=public)["Instances"][0]["InstanceId"]
    nat_inst = ec2.run_instances(ImageId="ami-00000000", MinCount=1, MaxCount=1,
                                 SubnetId=private)["Instances"][0]["InstanceId"]
    wait_running(ec2, [pub_inst, nat_inst])
    ec2.associate_address(InstanceId=pub_inst, AllocationId=ec2.allocate_address(
        Domain="vpc")["AllocationId"])
    return pub_inst, nat_inst


def flow_logs(ec2, data, hosts_of):
    """The flow-log measurements; returns the table rows' values."""
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    subnets = sorted(ec2.describe_subnets()["Subnets"], key=lambda x: x["CidrBlock"])
    srv = ec2.run_instances(ImageId="ami-00000000", MinCount=1, MaxCount=1,
                            SubnetId=subnets[1]["SubnetId"])["Instances"][0]
    cli = ec2.run_instances(ImageId="ami-00000000", MinCount=1, MaxCount=1,
                            SubnetId=subnets[0]["SubnetId"])["Instances"][0]
    wait_running(ec2, [srv["InstanceId"], cli["InstanceId"]])
    srv_host, cli_host = hosts_of(srv["InstanceId"]), hosts_of(cli["InstanceId"])
    srv_ip = srv["PrivateIpAddress"]
    background(srv_host, CONNRATE, "serve", str(RATE_PORT))
    for _ in range(100):
        if run(cli_host, CONNRATE, "probe", srv_ip, str(RATE_PORT), "success", "10", "50",
               "0.2").returncode == 0:
            break
        time.sleep(0.1)

    def flow_log_on():
        return ec2.create_flow_logs(ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL",
                                    LogGroupName="bench", DeliverLogsPermissionArn=ROLE)[
            "FlowLogIds"][0]

    rates = {"off": [], "on": []}
    for rnd in range(ROUNDS):
        rates["off"].append(conn_rate(cli_host, srv_ip)[0])
        fl = flow_log_on()
        time.sleep(1.5)
        rates["on"].append(conn_rate(cli_host, srv_ip)[0])
        ec2.delete_flow_logs(FlowLogIds=[fl])
        log("round %d flow logs off %d, on %d new connections/s"
            % (rnd + 1, rates["off"][-1], rates["on"][-1]))
    # Completeness: every connection of a long run has its record.
    stream = os.path.join(data, "flowlogs", "cloudwatch", "bench",
                          cli["NetworkInterfaces"][0]["NetworkInterfaceId"] + "-all")
    def tx_packets():
        r = run(cli_host, "ip", "-s", "-j", "link", "show", "eth0")
        return json.loads(r.stdout)[0]["stats64"]["tx"]["packets"]

    def invalid_packets():
        """Packets the router's connection tracking found invalid (late or
        out-of-window segments, mostly around the resets): they belong to
        no connection and are dropped, so no record counts them."""
        r = run(["ip", "netns", "exec", "vpcd-%s-%s" % (tag(data), vpc)], "cat",
                "/proc/net/stat/nf_conntrack")
        lines = r.stdout.split("\n")
        col = lines[0].split().index("invalid")
        return sum(int(l.split()[col], 16) for l in lines[1:] if l.strip())

    fl = flow_log_on()
    time.sleep(1.5)
    start = os.path.getsize(stream) if os.path.exists(stream) else 0
    tx0, inv0 = tx_packets(), invalid_packets()
    conns, errors, rate = conn_rate(cli_host, srv_ip, FL_SECONDS, full=True)
    sent, invalid = tx_packets() - tx0, invalid_packets() - inv0
    # Reset connections end after conntrack's 10 s close timeout; then a window.
    time.sleep(10 + 2 * FL_WINDOW + 2)
    with open(stream) as f:
        f.seek(start)
        lines = [l.split() for l in f]
    ec2.delete_flow_logs(FlowLogIds=[fl])
    ours = [l for l in lines if l[4] == srv_ip and l[6] == str(RATE_PORT) and l[12] == "ACCEPT"]
    skip = sum(1 for l in lines if l[-1] == "SKIPDATA")
    # Records aggregate a window's connections with the same 5-tuple (the
    # client's ports are reused within seconds at this rate), and a
    # connection over two windows has two: so the check is on packets, the
    # records' against what the client's interface sent (a few of which
    # are ARP).
    packets = sum(int(l[8]) for l in ours)
    log("flow logs completeness: %d connections in %.0f s (%d/s, %d errors); %d records "
        "with %d packets, the interface sent %d of which the router found %d invalid; "
        "%d SKIPDATA" % (conns, FL_SECONDS, rate, errors, len(ours), packets, sent, invalid,
                         skip))
    with open(data + ".log") as f:
        dumps = [l.strip() for l in f if "flow logs: dump" in l]
    if dumps:
        log("vpcd   " + dumps[-1].split("] ", 1)[-1])
    return {"off": statistics.median(rates["off"]), "on": statistics.median(rates["on"]),
            "conns": conns, "rate": rate, "records": len(ours), "skip": skip,
            "packets": packets, "sent": sent - invalid}


def main(data):
    port = free_port()
    endpoint = "127.0.0.1:%d" % port
    vpcd = subprocess.Popen([VPCD, "--data-dir", data, "--listen", endpoint, "--dataplane",
                             "linux", "--set", "flow-logs-window=%d" % FL_WINDOW,
                             "--log-level", "debug"],
                            stdout=open(data + ".log", "wb"),
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    procs.append(vpcd)
    cred = os.path.join(data, "credentials")
    for _ in range(200):
        if os.path.exists(cred):
            break
        time.sleep(0.05)
    time.sleep(0.2)
    cp = configparser.ConfigParser()
    cp.read(cred)
    ec2 = boto3.client("ec2", region_name="us-east-1", endpoint_url="http://" + endpoint,
                       aws_access_key_id=cp["default"]["aws_access_key_id"],
                       aws_secret_access_key=cp["default"]["aws_secret_access_key"],
                       config=Config(retries={"max_attempts": 1}))
    pub_inst, nat_inst = build(ec2)
    if "nat" in PARTS:
        nat_gateway(data, pub_inst, nat_inst)
    if "flowlogs" in PARTS:
        flow_log_table(flow_logs(ec2, data, lambda iid: [VPCCTL, "--data-dir", data, "exec",
                                                         iid, "--"]))


def nat_gateway(data, pub_inst, nat_inst):
    inet = [VPCCTL, "--data-dir", data, "internet", "--"]
    background(inet, "iperf3", "-s", "-p", str(IPERF_PORT))
    background(inet, CONNRATE, "serve", str(RATE_PORT))
    hosts = {name: [VPCCTL, "--data-dir", data, "exec", iid, "--"]
             for name, iid in (("public", pub_inst), ("natgw", nat_inst))}
    for host in hosts.values():
        wait_listening(host, IPERF_PORT)
        wait_listening(host, RATE_PORT)
    samples = {n: {"gbit_1": [], "gbit_4": [], "conns": [], "errors": []} for n in hosts}
    for rnd in range(ROUNDS):
        for name, host in hosts.items():
            samples[name]["gbit_1"].append(iperf(host, 1))
        for name, host in hosts.items():
            samples[name]["gbit_4"].append(iperf(host, 4))
        for name, host in hosts.items():
            rate, errors = conn_rate(host)
            samples[name]["conns"].append(rate)
            samples[name]["errors"].append(errors)
        for name in hosts:
            s = samples[name]
            log("round %d %-6s %.2f Gbit/s (1 stream), %.2f Gbit/s (4 streams), "
                "%d connections/s (%d errors)" % (rnd + 1, name, s["gbit_1"][-1],
                                                  s["gbit_4"][-1], s["conns"][-1],
                                                  s["errors"][-1]))
    med = {n: {k: statistics.median(v) for k, v in s.items()} for n, s in samples.items()}
    print()
    print("Medians of %d rounds, %g s each; ratio of the medians." % (ROUNDS, SECONDS))
    print("| measure | public (internet gateway) | private through the NAT gateway "
          "| NAT / public |")
    print("|---|---|---|---|")
    for key, label, fmt in (("gbit_1", "TCP throughput, 1 stream (Gbit/s)", "%.2f"),
                            ("gbit_4", "TCP throughput, 4 streams (Gbit/s)", "%.2f"),
                            ("conns", "new TCP connections/s", "%d")):
        print("| %s | %s | %s | %.2f |" % (label, fmt % med["public"][key],
                                           fmt % med["natgw"][key],
                                           med["natgw"][key] / med["public"][key]))
    print()
    print("Connection errors: public %d, natgw %d." % (sum(samples["public"]["errors"]),
                                                       sum(samples["natgw"]["errors"])))


def flow_log_table(fl):
    print()
    print("| flow logs (instance -> instance, two subnets) | new TCP connections/s |")
    print("|---|---|")
    print("| without | %d |" % fl["off"])
    print("| with a flow log of ALL traffic on the VPC | %d |" % fl["on"])
    print("| with / without | %.2f (target >= 0.80: %s) |"
          % (fl["on"] / fl["off"], "met" if fl["on"] / fl["off"] >= 0.8 else "MISSED"))
    print("| completeness: connections in %.0f s at %d/s; records; packets in them / "
          "sent by the client in connections; SKIPDATA | %d; %d; %d / %d; %d (%s) |"
          % (FL_SECONDS, fl["rate"], fl["conns"], fl["records"], fl["packets"], fl["sent"],
             fl["skip"], "met" if not fl["skip"] and
             abs(fl["packets"] - fl["sent"]) <= 0.001 * fl["sent"] else "MISSED"))


def tag(data):
    """vpcd's namespace tag for a data directory (see src/dp/dp_names.c)."""
    h = 1469598103934665603
    for c in os.path.realpath(data).encode():
        h = ((h ^ c) * 1099511628211) & 0xffffffffffffffff
    return "%06x" % ((h ^ (h >> 29)) & 0xffffff)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


if __name__ == "__main__":
    if os.geteuid() != 0:
        sys.exit("gw_bench.py: needs root (network namespaces)")
    tmp = tempfile.mkdtemp(prefix="vpcd-gwbench.")
    data = os.path.join(tmp, "data")
    try:
        main(data)
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        subprocess.run([VPCD, "--data-dir", data, "--purge"], capture_output=True,
                       stdin=subprocess.DEVNULL)
        shutil.rmtree(tmp, ignore_errors=True)
