"""The data-plane benchmark's measurements; bench/dp_run.sh sets up the
baseline namespaces and vpcd, passes them in BENCH_* variables, and
cleans up after it.  Every process this script starts is killed in its
'finally'; vpcd --purge (in dp_run.sh) removes the instance namespaces.

Scenarios, each measured between two hosts:
  bare   the baseline: a veth pair between two namespaces of dp_run.sh
  routed a second baseline: client, router and server namespaces of
         dp_run.sh, two veth pairs and IP forwarding, no nftables: the
         path of a VPC without its rules
  small  (a) two instances in different subnets of a VPC with the default
         security group and network ACL
  large  (b) the same in a VPC with 1,000 instances (1,000 ENIs), 10,000
         security-group rules and 20 ACL entries each way per subnet
"""
import configparser
import json
import os
import re
import statistics
import subprocess
import sys
import time

import boto3
from botocore.config import Config

ENV = os.environ
ENDPOINT = "http://" + ENV["BENCH_ENDPOINT"]
DATA = ENV["BENCH_DATA"]
VPCD_PID = int(ENV["BENCH_VPCD_PID"])
VPCD_LOG = ENV["BENCH_VPCD_LOG"]
VPCCTL = ENV["BENCH_VPCCTL"]
CONNRATE = ENV["BENCH_CONNRATE"]
NS_A, NS_B, NS_C = ENV["BENCH_NS_A"], ENV["BENCH_NS_B"], ENV["BENCH_NS_C"]
NS_GA, NS_GB = ENV["BENCH_NS_GA"], ENV["BENCH_NS_GB"]
NS_RC, NS_RS = ENV["BENCH_NS_RC"], ENV["BENCH_NS_RS"]
N_INSTANCES = int(ENV["BENCH_INSTANCES"])
TRIALS = int(ENV["BENCH_TRIALS"])
SECONDS = float(ENV["BENCH_SECONDS"])
AMI = "ami-00000000"
N_GROUPS, RULES_PER_GROUP = 100, 100     # 10,000 security-group rules
ACL_ENTRIES = 20                         # each way, per subnet
IPERF_PORT, RATE_PORT, PROBE_PORT = 5201, 9000, 9001
CONN_THREADS = 2
ROUNDS = int(ENV.get("BENCH_ROUNDS", "3"))
PERF = ENV.get("BENCH_PERF", "") not in ("", "0")   # DP_PERF=1: profile, see perf_top()
TMPDIR = os.path.dirname(DATA)

procs = []  # background processes to kill at the end


def log(msg):
    print(msg, flush=True)


def client():
    cp = configparser.ConfigParser()
    cp.read(os.path.join(DATA, "credentials"))
    return boto3.client("ec2", region_name="us-east-1", endpoint_url=ENDPOINT,
                        aws_access_key_id=cp["default"]["aws_access_key_id"],
                        aws_secret_access_key=cp["default"]["aws_secret_access_key"],
                        config=Config(retries={"max_attempts": 1}, read_timeout=120))


# A host is how to run a command in it: a command prefix.
def bare_host(ns):
    return ["ip", "netns", "exec", ns]


def instance_host(iid):
    return [VPCCTL, "--data-dir", DATA, "exec", iid, "--"]


def background(host, *cmd):
    p = subprocess.Popen(host + list(cmd), stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(p)
    return p


def run(host, *cmd, timeout=60):
    return subprocess.run(host + list(cmd), capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def wait_listening(host, ip, port):
    for _ in range(100):
        if run(host, CONNRATE, "probe", ip, str(port), "success", "10", "50", "0.2").returncode == 0:
            return
        time.sleep(0.1)
    raise RuntimeError("nothing answers on %s:%d" % (ip, port))


def iperf(host, ip, streams):
    r = run(host, "iperf3", "-c", ip, "-p", str(IPERF_PORT), "-t", str(int(SECONDS)),
            "-P", str(streams), "-J", timeout=SECONDS + 30)
    if r.returncode != 0:
        raise RuntimeError("iperf3 failed: %s %s" % (r.stdout[-500:], r.stderr[-500:]))
    return json.loads(r.stdout)["end"]["sum_received"]["bits_per_second"] / 1e9


def conn_rate(host, ip):
    r = run(host, CONNRATE, "client", ip, str(RATE_PORT), str(SECONDS), str(CONN_THREADS),
            timeout=SECONDS + 30)
    m = re.search(r"conns=(\d+) errors=(\d+) conns_per_s=(\d+)", r.stdout)
    if r.returncode != 0 or not m:
        raise RuntimeError("connrate failed: %s %s" % (r.stdout, r.stderr))
    return int(m.group(3)), int(m.group(2))


def start_servers(server_host, client_host, server_ip):
    background(server_host, "iperf3", "-s", "-p", str(IPERF_PORT))
    background(server_host, CONNRATE, "serve", str(RATE_PORT))
    wait_listening(client_host, server_ip, IPERF_PORT)
    wait_listening(client_host, server_ip, RATE_PORT)


def measure(pairs):
    """Throughput (1 and 4 streams) and connection rate from client to
    server of each pair, ROUNDS times, the pairs interleaved within each
    round so that a change in the machine's load hits them alike.  Returns
    the samples: name -> measure -> one value per round."""
    samples = {name: {"gbit_1": [], "gbit_4": [], "conns_per_s": [], "conn_errors": []}
               for name in pairs}
    for rnd in range(ROUNDS):
        for key in ("gbit_1", "gbit_4", "conns_per_s"):
            for name, (client_host, server_ip) in pairs.items():
                if key == "conns_per_s":
                    rate, errors = conn_rate(client_host, server_ip)
                    samples[name][key].append(rate)
                    samples[name]["conn_errors"].append(errors)
                else:
                    samples[name][key].append(iperf(client_host, server_ip,
                                                    1 if key == "gbit_1" else 4))
        for name in pairs:
            log("round %d %-7s iperf3 1 stream %.2f Gbit/s, 4 streams %.2f Gbit/s; "
                "%d new connections/s (%d errors)"
                % (rnd + 1, name, samples[name]["gbit_1"][-1], samples[name]["gbit_4"][-1],
                   samples[name]["conns_per_s"][-1], samples[name]["conn_errors"][-1]))
    return samples


def wait_running(ec2, ids, timeout=120):
    deadline = time.time() + timeout
    want = set(ids)
    while time.time() < deadline:
        running = set()
        for page in ec2.get_paginator("describe_instances").paginate(
                Filters=[{"Name": "instance-state-name", "Values": ["running"]}]):
            for res in page["Reservations"]:
                running.update(i["InstanceId"] for i in res["Instances"])
        if want <= running:
            return time.monotonic()
        time.sleep(0.25)
    raise RuntimeError("%d of %d instances not running after %d s"
                       % (len(want - running), len(want), timeout))


def private_ip(ec2, iid):
    r = ec2.describe_instances(InstanceIds=[iid])
    return r["Reservations"][0]["Instances"][0]["PrivateIpAddress"]


def launch(ec2, subnet, groups, count=1):
    r = ec2.run_instances(ImageId=AMI, MinCount=count, MaxCount=count, SubnetId=subnet,
                          SecurityGroupIds=groups)
    return [i["InstanceId"] for i in r["Instances"]]


def meminfo():
    out = {}
    with open("/proc/meminfo") as f:
        for line in f:
            k, v = line.split(":")
            out[k] = int(v.split()[0])
    return out


def rss_kib():
    with open("/proc/%d/status" % VPCD_PID) as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def small_vpc(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    s1 = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    s2 = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.2.0/24")["Subnet"]["SubnetId"]
    # No groups named: the VPC's default group, which admits its own members.
    cli = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, SubnetId=s1)["Instances"][0]
    srv = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, SubnetId=s2)["Instances"][0]
    wait_running(ec2, [cli["InstanceId"], srv["InstanceId"]])
    return cli["InstanceId"], srv["InstanceId"], srv["PrivateIpAddress"]


def large_vpc(ec2):
    """The VPC of scenario (b); returns what the measurements need."""
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    cidrs = ["10.1.0.0/21", "10.1.8.0/21"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=c)["Subnet"]["SubnetId"] for c in cidrs]

    # A network ACL of 20 entries each way: 19 that match nothing here
    # (other sources, other ports) before the one that allows.
    acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    for egress in (False, True):
        for n in range(1, ACL_ENTRIES):
            ec2.create_network_acl_entry(
                NetworkAclId=acl, RuleNumber=n, Protocol="6", RuleAction="deny", Egress=egress,
                CidrBlock="172.16.%d.0/24" % n, PortRange={"From": 30000 + n, "To": 30000 + n})
        ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="-1",
                                     RuleAction="allow", Egress=egress, CidrBlock="0.0.0.0/0")
    assocs = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                {"Name": "default", "Values": ["true"]}])
    for a in assocs["NetworkAcls"][0]["Associations"]:
        ec2.replace_network_acl_association(AssociationId=a["NetworkAclAssociationId"],
                                            NetworkAclId=acl)

    # 100 groups of 100 ingress rules each: each rule one TCP port (every
    # other one, so that no two rules merge into one range) from one host
    # of 172.16.0.0/12, nothing that the measured traffic matches.
    t0 = time.monotonic()
    groups = []
    for g in range(N_GROUPS):
        gid = ec2.create_security_group(VpcId=vpc, GroupName="bulk%d" % g,
                                        Description="bulk")["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 20000 + 2 * r, "ToPort": 20000 + 2 * r,
             "IpRanges": [{"CidrIp": "172.%d.%d.%d/32" % (16 + g // 256, g % 256, r + 1)}]}
            for r in range(RULES_PER_GROUP)])
        groups.append(gid)
    # The measured server's own group: what iperf3, connrate and the
    # probe need, from the client's subnet.
    srv_sg = ec2.create_security_group(VpcId=vpc, GroupName="server",
                                       Description="server")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=srv_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": p, "ToPort": p, "IpRanges": [{"CidrIp": cidrs[0]}]}
        for p in (IPERF_PORT, RATE_PORT, PROBE_PORT)])
    t_rules = time.monotonic() - t0
    n_rules = sum(len(g["IpPermissions"]) + len(g["IpPermissionsEgress"])
                  for page in ec2.get_paginator("describe_security_groups").paginate(
                      Filters=[{"Name": "vpc-id", "Values": [vpc]}])
                  for g in page["SecurityGroups"])

    # The measured pair sits behind a bulk group too, whose 100 rules a
    # new connection passes before the server group's rule matches.
    mem0, rss0 = meminfo(), rss_kib()
    t0 = time.monotonic()
    cli = launch(ec2, subnets[0], [groups[0]])[0]
    srv = launch(ec2, subnets[1], [groups[1], srv_sg])[0]
    ids = [cli, srv]
    rest = N_INSTANCES - 2
    per_call = max(1, rest // N_GROUPS)
    k = 0
    while rest > 0:
        n = min(per_call, rest)
        ids += launch(ec2, subnets[k % 2], [groups[k % N_GROUPS]], n)
        rest -= n
        k += 1
    t_api = time.monotonic() - t0
    t_run = wait_running(ec2, ids, timeout=300) - t0
    time.sleep(2)
    mem1, rss1 = meminfo(), rss_kib()
    info = {
        "vpc": vpc, "client": cli, "server": srv, "server_ip": private_ip(ec2, srv),
        "server_sg": srv_sg, "client_cidr": cidrs[0], "rules": n_rules, "rules_s": t_rules,
        "launch_calls": k + 2, "launch_api_s": t_api, "launch_running_s": t_run,
        "rss0": rss0, "rss1": rss1,
        "avail_per_inst": (mem0["MemAvailable"] - mem1["MemAvailable"]) / N_INSTANCES,
        "slab_per_inst": (mem1["Slab"] - mem0["Slab"]) / N_INSTANCES,
    }
    log("large  %d security-group rules in the VPC (incl. default egress rules), created in %.1f s"
        % (n_rules, t_rules))
    log("large  %d instances: %d RunInstances calls answered in %.1f s, all running after %.1f s"
        % (N_INSTANCES, k + 2, t_api, t_run))
    log("large  vpcd RSS %d -> %d KiB; per instance: %.0f KiB MemAvailable, %.0f KiB Slab"
        % (rss0, rss1, info["avail_per_inst"], info["slab_per_inst"]))
    return info


def rule_change(ec2, info):
    """Revoke the probe port's rule, wait until connections fail, authorize
    it and time the first connection that succeeds after the answer."""
    perm = [{"IpProtocol": "tcp", "FromPort": PROBE_PORT, "ToPort": PROBE_PORT,
             "IpRanges": [{"CidrIp": info["client_cidr"]}]}]
    ns = ["ip", "netns", "exec", info["client"]]
    ip, port = info["server_ip"], str(PROBE_PORT)
    background(instance_host(info["server"]), CONNRATE, "serve", port)
    wait_listening(ns, ip, PROBE_PORT)
    with open(VPCD_LOG) as f:
        f.seek(0, 2)
        log_start = f.tell()
    allow_ms, deny_ms, api_ms = [], [], []
    for _ in range(TRIALS):
        ec2.revoke_security_group_ingress(GroupId=info["server_sg"], IpPermissions=perm)
        t_ans = time.monotonic_ns()
        r = run(ns, CONNRATE, "probe", ip, port, "fail", "1", "2", "10")
        m = re.search(r"at_ns=(\d+)", r.stdout)
        if not m:
            raise RuntimeError("connections still succeed 10 s after the revoke")
        deny_ms.append((int(m.group(1)) - t_ans) / 1e6)
        p = subprocess.Popen(ns + [CONNRATE, "probe", ip, port, "success", "1", "2", "10"],
                             stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        procs.append(p)
        if p.stdout.readline().strip() != "ready":
            raise RuntimeError("probe did not start")
        t_call = time.monotonic_ns()
        ec2.authorize_security_group_ingress(GroupId=info["server_sg"], IpPermissions=perm)
        t_ans = time.monotonic_ns()
        out = p.communicate(timeout=15)[0]
        m = re.search(r"at_ns=(\d+)", out)
        if not m:
            raise RuntimeError("no connection 10 s after the authorize")
        allow_ms.append((int(m.group(1)) - t_ans) / 1e6)
        api_ms.append((t_ans - t_call) / 1e6)
    with open(VPCD_LOG) as f:
        f.seek(log_start)
        passes = [float(m.group(1)) for m in
                  re.finditer(r"incremental pass, \d+ changes, ([0-9.]+) ms", f.read())]
    return allow_ms, deny_ms, api_ms, passes


def full_passes(since):
    """The periodic full passes (observe everything) after log offset 'since'."""
    with open(VPCD_LOG) as f:
        f.seek(since)
        return [float(m.group(1)) for m in
                re.finditer(r"full pass, \d+ changes, ([0-9.]+) ms", f.read())]


def perf_top(label, target, fn, lines=14):
    """With DP_PERF=1: runs fn() under perf record (target: ["-a"] for the
    whole machine, ["-p", PID] for one process) and prints the hottest
    symbols, for the diagnosis of a missed target."""
    if not PERF:
        return fn()
    out = os.path.join(TMPDIR, "perf.data")
    p = subprocess.Popen(["perf", "record", "-q", "-F", "999", "-g", "-o", out] + target,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    try:
        return fn()
    finally:
        p.send_signal(2)
        p.wait()
        r = subprocess.run(["perf", "report", "-i", out, "--no-children", "--stdio", "-g", "none",
                            "--percent-limit", "1", "--sort", "comm,dso,symbol"],
                           capture_output=True, text=True)
        rows = [l for l in r.stdout.splitlines() if l.strip() and not l.startswith("#")]
        log("perf %s:" % label)
        for l in rows[:lines]:
            log("    " + l.strip())
        r = subprocess.run(["perf", "report", "-i", out, "--no-children", "--stdio", "-g", "none",
                            "--percent-limit", "2", "--sort", "comm,dso"],
                           capture_output=True, text=True)
        log("  by program and library: " + "; ".join(
            " ".join(l.split()) for l in r.stdout.splitlines() if l.strip() and l[0] != "#"))


def nft_load_times(text, n=5):
    """Times 'nft -f' of the large VPC's table, as vpcd loads it (delete
    and add in one transaction), in an empty namespace of dp_run.sh: the
    cost of a full table replace through libnftables and the kernel."""
    path = os.path.join(TMPDIR, "large.nft")
    with open(path, "w") as f:
        f.write("table inet vpcd\ndelete table inet vpcd\n" + text)
    times = []
    for _ in range(n):
        t0 = time.monotonic()
        r = run(bare_host(NS_C), "nft", "-f", path)
        times.append((time.monotonic() - t0) * 1e3)
        if r.returncode != 0:
            log("nft -f failed: " + r.stderr[:300])
            return None
    return times


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, int(round(p / 100 * len(xs) + 0.5)) - 1))]


def main():
    ec2 = client()
    log("bare   veth pair %s <-> %s" % (NS_A, NS_B))
    start_servers(bare_host(NS_B), bare_host(NS_A), "192.168.254.2")
    log("bare192 veth pair %s <-> %s, 192 KiB segments" % (NS_GA, NS_GB))
    start_servers(bare_host(NS_GB), bare_host(NS_GA), "192.168.251.2")
    log("routed %s -> router -> %s" % (NS_RC, NS_RS))
    start_servers(bare_host(NS_RS), bare_host(NS_RC), "192.168.252.2")
    cli, srv, srv_ip = small_vpc(ec2)
    log("small  %s -> %s (%s), default group and ACL" % (cli, srv, srv_ip))
    start_servers(instance_host(srv), instance_host(cli), srv_ip)
    info = large_vpc(ec2)
    log("large  %s -> %s (%s)" % (info["client"], info["server"], info["server_ip"]))
    start_servers(instance_host(info["server"]), instance_host(info["client"]),
                  info["server_ip"])
    nft = run(["ip", "netns", "exec", "vpcd-%s-%s" % (tag(), info["vpc"])],
              "nft", "list", "table", "inet", "vpcd").stdout
    log("large  router nftables table: %d lines, %d set elements of group rules"
        % (nft.count("\n"), nft.count(" . tcp . ")))
    with open(VPCD_LOG) as f:
        f.seek(0, 2)
        log_measure = f.tell()
    res = measure({"bare": (bare_host(NS_A), "192.168.254.2"),
                   "bare192": (bare_host(NS_GA), "192.168.251.2"),
                   "routed": (bare_host(NS_RC), "192.168.252.2"),
                   "small": (instance_host(cli), srv_ip),
                   "large": (instance_host(info["client"]), info["server_ip"])})

    if PERF:
        for name, (host, ip) in (("small", (instance_host(cli), srv_ip)),
                                 ("large", (instance_host(info["client"]), info["server_ip"]))):
            perf_top("whole machine, %s, iperf3 1 stream" % name, ["-a"],
                     lambda: iperf(host, ip, 1))
            perf_top("whole machine, %s, connrate" % name, ["-a"], lambda: conn_rate(host, ip))
    allow, deny, api, passes = perf_top("vpcd during the rule-change trials",
                                        ["-p", str(VPCD_PID)], lambda: rule_change(ec2, info),
                                        lines=25)
    log("rules  %d trials: authorize answer -> first connection p50 %.1f ms, p99 %.1f ms, max %.1f ms"
        % (len(allow), pct(allow, 50), pct(allow, 99), max(allow)))
    log("rules  revoke answer -> first refused connection p50 %.1f ms, p99 %.1f ms"
        % (pct(deny, 50), pct(deny, 99)))
    log("rules  AuthorizeSecurityGroupIngress call p50 %.1f ms; reconcile passes during the "
        "trials: %d, p50 %.1f ms, max %.1f ms" % (pct(api, 50), len(passes),
                                               pct(passes, 50) if passes else 0,
                                               max(passes) if passes else 0))

    fulls = full_passes(log_measure)
    if fulls:
        log("vpcd   full reconcile passes from the measurements on: %d, p50 %.0f ms, max %.0f ms"
            % (len(fulls), pct(fulls, 50), max(fulls)))
    loads = nft_load_times(nft)
    if loads:
        log("nft    'nft -f' of the large VPC's table (delete + add, one transaction), %d times: "
            "p50 %.0f ms, min %.0f ms" % (len(loads), pct(loads, 50), min(loads)))
    def median(name, key):
        return statistics.median(res[name][key])

    def ratio(name, base, key):
        """The ratio of the medians.  Each 5 s measurement varies by up to
        a third on this shared machine, independently of the one before
        it; the median over the rounds tames that better than pairing
        measurements of one round (the per-round ratios are logged)."""
        return median(name, key) / median(base, key)

    for key in ("gbit_1", "gbit_4", "conns_per_s"):
        for name in ("small", "large"):
            log("ratio  %s / bare, %s, per round: %s" % (name, key, " ".join(
                "%.2f" % (x / y) for x, y in zip(res[name][key], res["bare"][key]))))

    def verdict(ok):
        return "met" if ok else "MISSED"

    print()
    print("Medians of %d rounds, %g s each; ratios of the medians." % (ROUNDS, SECONDS))
    print("| measure | bare veth pair | bare, 192 KiB segments | routed, no rules | "
          "(a) default groups | (b) 1,000 instances, 10,000 rules | (a) / bare | (b) / bare "
          "| (a) / bare 192 KiB | (b) / bare 192 KiB | target |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for key, label, unit, target in (("gbit_1", "TCP throughput, 1 stream", "Gbit/s", 0.9),
                                      ("gbit_4", "TCP throughput, 4 streams", "Gbit/s", 0.9),
                                      ("conns_per_s", "new TCP connections/s", "/s", 0.7)):
        fmt = "%.2f" if unit == "Gbit/s" else "%d"
        ra, rl = ratio("small", "bare", key), ratio("large", "bare", key)
        print("| %s (%s) | %s | %s | %s | %s | %s | %.2f | %.2f | %.2f | %.2f | >= %.1f x bare: %s |"
              % (label, unit, fmt % median("bare", key), fmt % median("bare192", key),
                 fmt % median("routed", key), fmt % median("small", key),
                 fmt % median("large", key), ra, rl, ratio("small", "bare192", key),
                 ratio("large", "bare192", key), target, verdict(ra >= target and rl >= target)))
    def row(label, value, target=""):
        print("| %s | | | | | %s | | | | | %s |" % (label, value, target))

    row("launch %d instances (RunInstances until all running)" % N_INSTANCES,
        "%.1f s" % info["launch_running_s"],
        "< 30 s: %s" % verdict(info["launch_running_s"] < 30))
    row("authorize answer -> first new connection, p50 / p99 (%d trials)" % len(allow),
        "%.1f / %.1f ms" % (pct(allow, 50), pct(allow, 99)),
        "p99 < 100 ms: %s" % verdict(pct(allow, 99) < 100))
    row("revoke answer -> first refused connection, p50 / p99",
        "%.1f / %.1f ms" % (pct(deny, 50), pct(deny, 99)))
    row("vpcd RSS before / after the %d instances" % N_INSTANCES,
        "%d / %d KiB" % (info["rss0"], info["rss1"]))
    row("kernel memory per instance: MemAvailable drop / Slab growth",
        "%.0f / %.0f KiB" % (info["avail_per_inst"], info["slab_per_inst"]))
    print()
    print("Connection errors: %s." % ", ".join(
        "%s %d" % (name, sum(d["conn_errors"])) for name, d in res.items()))

def tag():
    h = 1469598103934665603
    for c in os.path.realpath(DATA).encode():
        h = ((h ^ c) * 1099511628211) & 0xffffffffffffffff
    return "%06x" % ((h ^ (h >> 29)) & 0xffffff)


if __name__ == "__main__":
    try:
        main()
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
