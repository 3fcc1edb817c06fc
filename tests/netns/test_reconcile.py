"""The reconciler: restart adoption, drift repair, ownership, two daemons."""
import subprocess
import time

import pytest

from vpcdtest import VPCCTL, listener, netns_names, wait_port, wait_running

ECHO_SERVER = listener(7000)
PINGER = r'''
import socket, sys, time
s = socket.create_connection((%r, 7100), timeout=2)
s.settimeout(2)
deadline = time.time() + %f
n = 0
while time.time() < deadline:
    s.sendall(b"ping\n")
    if s.recv(5) != b"ping\n":
        sys.exit(2)
    n += 1
    time.sleep(0.1)
print(n)
'''
ECHO = r'''#!/bin/sh
exec python3 -c '
import socket, threading
def serve(c):
    while True:
        d = c.recv(64)
        if not d:
            return
        c.sendall(d)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 7100))
s.listen(8)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,)).start()
'
'''


def build(dp, cidr="10.0.0.0/16", n=2, user_data=ECHO):
    ec2 = dp.client()
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    sn = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr.replace("0.0/16", "1.0/24"))["Subnet"][
        "SubnetId"]
    sg = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}])[
        "SecurityGroups"][0]["GroupId"]
    ids = [i["InstanceId"] for i in ec2.run_instances(
        ImageId="ami-00000000", MinCount=n, MaxCount=n, SubnetId=sn, SecurityGroupIds=[sg],
        UserData=user_data)["Instances"]]
    wait_running(ec2, ids)
    ips = {i["InstanceId"]: i["PrivateIpAddress"] for r in ec2.describe_instances(
        InstanceIds=ids)["Reservations"] for i in r["Instances"]}
    return ec2, vpc, ids, ips


def router_ns(dp, vpc):
    return "vpcd-%s-%s" % (dp.tag, vpc)


def link_index(ns, name):
    r = subprocess.run(["ip", "-n", ns, "-o", "link", "show", name], capture_output=True,
                       text=True)
    return r.stdout.split(":")[0] if r.returncode == 0 else None


def echo_ready(dp, src, ip):
    code = ("import socket\ns = socket.create_connection((%r, 7100), timeout=1)\n"
            "s.sendall(b'x')\nassert s.recv(1) == b'x'\n") % ip
    deadline = time.time() + 10
    while time.time() < deadline:
        if dp.run_in(src, "/usr/bin/python3", "-c", code).returncode == 0:
            return True
        time.sleep(0.2)
    return False


def test_restart_keeps_established_connections_and_rebuilds_nothing(dp):
    ec2, vpc, (a, b), ips = build(dp)
    assert echo_ready(dp, a, ips[b])
    rns = router_ns(dp, vpc)
    # A peering connection and a NAT gateway are adopted as they are too.
    _, peer_vpc, _, _ = build(dp, "10.1.0.0/16", n=1)
    pcx = ec2.create_vpc_peering_connection(VpcId=vpc, PeerVpcId=peer_vpc)[
        "VpcPeeringConnection"]["VpcPeeringConnectionId"]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    sn = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"][0]
    nat = ec2.create_nat_gateway(SubnetId=sn["SubnetId"], AllocationId=ec2.allocate_address(
        Domain="vpc")["AllocationId"])["NatGateway"]["NatGatewayId"]
    deadline = time.time() + 10
    while time.time() < deadline and ec2.describe_nat_gateways(NatGatewayIds=[nat])[
            "NatGateways"][0]["State"] != "available":
        time.sleep(0.1)
    pcx_if = "p" + pcx[-12:]
    assert link_index(rns, pcx_if) and link_index(router_ns(dp, peer_vpc), pcx_if)
    eth_before = {i: link_index(i, "eth0") for i in (a, b)}
    eth_before["nat"] = link_index("vpcd-%s-%s" % (dp.tag, nat), "eth0")
    eth_before["pcx"] = link_index(rns, pcx_if)
    pinger = subprocess.Popen([VPCCTL, "--data-dir", dp.data_dir, "exec", a, "--",
                               "/usr/bin/python3", "-c", PINGER % (ips[b], 6.0)],
                              stdout=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    try:
        time.sleep(1)
        dp.stop()
        time.sleep(0.5)
        dp.start()
        out, _ = pinger.communicate(timeout=20)
    finally:
        pinger.kill()
    assert pinger.returncode == 0, "the connection broke across the restart"
    assert int(out.strip()) > 30
    eth_after = {i: link_index(i, "eth0") for i in (a, b)}
    eth_after["nat"] = link_index("vpcd-%s-%s" % (dp.tag, nat), "eth0")
    eth_after["pcx"] = link_index(rns, pcx_if)
    assert eth_after == eth_before
    assert "repaired" not in dp.log().split("signal 15")[-1], "the restart changed the kernel"
    assert rns in netns_names()


def test_drift_is_repaired(dp):
    ec2, vpc, (a, b), ips = build(dp)
    assert echo_ready(dp, a, ips[b])
    rns = router_ns(dp, vpc)
    veth = [l.split(":")[1].strip().split("@")[0] for l in subprocess.run(
        ["ip", "-n", rns, "-o", "link", "show"], capture_output=True, text=True)
        .stdout.splitlines() if ": e" in l][0]
    subprocess.run(["ip", "-n", rns, "link", "del", veth], check=True)
    subprocess.run(["ip", "netns", "exec", rns, "nft", "flush", "ruleset"], check=True)
    # One route table: the ENI routes are in main (docs/dataplane.md).
    subprocess.run(["ip", "-n", rns, "route", "flush", "table", "main", "proto", "static"],
                   check=True)
    assert echo_ready(dp, a, ips[b]), "connectivity did not come back"
    r = subprocess.run(["ip", "netns", "exec", rns, "nft", "list", "tables"],
                       capture_output=True, text=True)
    assert "inet vpcd" in r.stdout
    assert "repaired" in dp.log()


def test_drift_is_repaired_while_changes_keep_coming(make_dp_daemon):
    """A full pass makes way for every change and goes on where it stopped,
    reading again the namespaces a change touched: under a change every few
    milliseconds and a launch now and then, full passes make way (the debug
    log says so), a deleted veth still comes back, and no pass trips over
    what another one made (creating a namespace or link again: a warning)."""
    dp = make_dp_daemon(args=["--log-level", "debug"]).start()
    ec2, vpc, ids, ips = build(dp, n=12)  # a full pass reads for a while
    a, b = ids[:2]
    sn = ec2.describe_instances(InstanceIds=[a])["Reservations"][0]["Instances"][0]["SubnetId"]
    sg = ec2.create_security_group(VpcId=vpc, GroupName="churn", Description="churn")["GroupId"]
    perm = [{"IpProtocol": "tcp", "FromPort": 9, "ToPort": 9,
             "IpRanges": [{"CidrIp": "192.0.2.0/24"}]}]
    assert echo_ready(dp, a, ips[b])
    rns = router_ns(dp, vpc)
    veth = "e" + ec2.describe_instances(InstanceIds=[b])["Reservations"][0]["Instances"][0][
        "NetworkInterfaces"][0]["NetworkInterfaceId"][-12:]
    launched = []
    deadline = time.time() + 8
    deleted = False
    while time.time() < deadline:
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=perm)
        ec2.revoke_security_group_ingress(GroupId=sg, IpPermissions=perm)
        if len(launched) < 6 and time.time() > deadline - 8 + len(launched):
            launched.append(ec2.run_instances(ImageId="ami-00000000", MinCount=1, MaxCount=1,
                                              SubnetId=sn)["Instances"][0]["InstanceId"])
        if not deleted and time.time() > deadline - 6:
            subprocess.run(["ip", "-n", rns, "link", "del", veth], check=True)
            deleted = True
    # On a loaded machine full passes come less often (they take at most a
    # share of the reconciler's time): keep changing until one made way.
    more = time.time() + 15
    while "full pass deferred by a change" not in dp.log() and time.time() < more:
        for _ in range(20):
            ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=perm)
            ec2.revoke_security_group_ingress(GroupId=sg, IpPermissions=perm)
    assert echo_ready(dp, a, ips[b]), "the deleted veth did not come back"
    wait_running(ec2, launched)
    log = dp.log()
    assert "repaired" in log
    assert "full pass deferred by a change" in log, "no full pass made way: no test"
    assert "[warn] dataplane" not in log, [l for l in log.splitlines() if "[warn]" in l]


def test_leftovers_are_removed_and_foreign_namespaces_kept(make_dp_daemon):
    dp = make_dp_daemon().start()
    ours = "vpcd-%s-vpc-0000000000000dead" % dp.tag
    foreign = "i-0000000000000f00d"
    subprocess.run(["ip", "netns", "add", ours], check=True)
    subprocess.run(["ip", "netns", "add", foreign], check=True)
    try:
        dp.stop()
        dp.start()
        names = netns_names()
        assert ours not in names, "a leftover of this daemon survived the restart"
        assert foreign in names, "an instance namespace without this daemon's mark was removed"
    finally:
        subprocess.run(["ip", "netns", "del", foreign])
        subprocess.run(["ip", "netns", "del", ours], capture_output=True)


def test_two_daemons_side_by_side(make_dp_daemon):
    one = make_dp_daemon("one").start()
    two = make_dp_daemon("two").start()
    assert one.tag != two.tag
    _, vpc1, (a1, b1), ips1 = build(one)
    _, vpc2, (a2, b2), ips2 = build(two)
    # The same CIDR in both: each VPC works on its own.
    assert echo_ready(one, a1, ips1[b1])
    assert echo_ready(two, a2, ips2[b2])
    # Purging one leaves the other untouched.
    one.stop()
    one.purge()
    assert a1 not in netns_names() and a2 in netns_names()
    assert echo_ready(two, a2, ips2[b2])
