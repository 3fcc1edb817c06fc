"""Routing on real packets: private subnets, blackhole routes, route table
associations, isolation between VPCs, and the source/destination check.

VPC 10.30.0.0/16 with an internet gateway:
  pub    10.30.1.0/24  route table "pub" (0.0.0.0/0 -> igw)
  priv   10.30.2.0/24  the main route table (local only)
  assoc  10.30.3.0/24  the main route table, until the tests change it
  bh     10.30.4.0/24  route table "bh" (192.0.2.0/24 -> an instance)
Every instance is in a group admitting all TCP from anywhere, so routing
alone decides.  The simulated internet host runs the echo server too.

Extra addresses inside an instance go on lo, not eth0: vpcd's drift repair
removes addresses it did not plan from an instance's eth0 within a few
seconds (see test_instances.py::test_guest_network_config_survives_reconcile).
"""
import re
import subprocess
import time

import pytest

from dpkit import (INTERNET_HOST, Net, Proc, SNIFF_PY, ask, blocked, connects, eventually,
                   internet_listener, module_daemon, tcp)

VPC_CIDR = "10.30.0.0/16"
INET_PORT = 8443

dp = module_daemon()


@pytest.fixture(scope="module")
def net(dp):
    n = Net(dp)
    v = n.vpc_id = n.vpc(VPC_CIDR)
    n.igw_id = n.igw(v)
    n.sub = {name: n.subnet(v, cidr) for name, cidr in (
        ("pub", "10.30.1.0/24"), ("priv", "10.30.2.0/24"), ("assoc", "10.30.3.0/24"),
        ("bh", "10.30.4.0/24"))}
    n.rtb_pub = n.route_table(v, igw=n.igw_id, subnets=[n.sub["pub"]])
    n.rtb_bh = n.route_table(v, subnets=[n.sub["bh"]])
    n.open = n.group(v, "open", [tcp(0, 65535)])
    n.i = {"q": n.launch("q", n.sub["pub"], [n.open], public=True, wait=False),
           "p": n.launch("p", n.sub["priv"], [n.open], public=True, wait=False),
           "r": n.launch("r", n.sub["assoc"], [n.open], public=True, wait=False),
           "k": n.launch("k", n.sub["bh"], [n.open], wait=False)}
    n.wait(*n.i.values())
    inet = internet_listener(dp, (INET_PORT,))
    try:
        yield n
    finally:
        inet.kill()


def sees_internet(dp, inst):
    """The instance reaches the internet host; returns the address the
    internet saw, or None."""
    a = ask(dp, inst, INTERNET_HOST, INET_PORT, timeout=1.0)
    return a.split()[1] if a else None


def test_private_subnet_has_no_internet_either_way(dp, net):
    q, p = net.i["q"], net.i["p"]
    # The public subnet, for contrast: both ways, behind its public address.
    assert connects(dp, "internet", q["public"], 80)
    assert sees_internet(dp, q) == q["public"]
    # The private subnet: the instance has a public address, but its
    # subnet has no route to the internet gateway.
    assert p["public"], "AssociatePublicIpAddress gave no public address"
    assert blocked(dp, "internet", p["public"], 80)
    assert sees_internet(dp, p) is None
    # Inside the VPC it is reachable.
    assert connects(dp, q, p["ip"], 80)


def test_blackhole_route_after_its_instance_terminates(dp, net):
    ec2 = net.ec2
    k = net.i["k"]
    x = net.launch("x", net.sub["priv"], [net.open])
    ec2.modify_network_interface_attribute(NetworkInterfaceId=x["eni"],
                                           SourceDestCheck={"Value": False})
    assert dp.run_in(x["id"], "ip", "addr", "add", "192.0.2.5/32", "dev", "lo").returncode == 0
    ec2.create_route(RouteTableId=net.rtb_bh, DestinationCidrBlock="192.0.2.0/24",
                     InstanceId=x["id"])

    def route():
        rt = ec2.describe_route_tables(RouteTableIds=[net.rtb_bh])["RouteTables"][0]
        return [r for r in rt["Routes"] if r.get("DestinationCidrBlock") == "192.0.2.0/24"][0]

    assert route()["State"] == "active"
    assert eventually(lambda: ask(dp, k, "192.0.2.5", 80) == "x %s hello" % k["ip"], 2), \
        "the route to the instance does not carry traffic"
    ec2.terminate_instances(InstanceIds=[x["id"]])
    net.wait_state(x["id"], "terminated")
    assert route()["State"] == "blackhole"
    assert blocked(dp, k, "192.0.2.5", 80)
    ec2.delete_route(RouteTableId=net.rtb_bh, DestinationCidrBlock="192.0.2.0/24")


def test_route_table_association_and_replacement(dp, net):
    ec2 = net.ec2
    r = net.i["r"]

    def internet_both_ways():
        return connects(dp, "internet", r["public"], 80) and sees_internet(dp, r) == r["public"]

    def no_internet():
        return blocked(dp, "internet", r["public"], 80) and sees_internet(dp, r) is None

    assert no_internet(), "the main route table has no internet route"
    assoc = ec2.associate_route_table(RouteTableId=net.rtb_pub,
                                      SubnetId=net.sub["assoc"])["AssociationId"]
    assert eventually(internet_both_ways, 2)
    local_only = net.route_table(net.vpc_id)
    assoc = ec2.replace_route_table_association(AssociationId=assoc,
                                                RouteTableId=local_only)["NewAssociationId"]
    assert eventually(no_internet, 4)
    assoc = ec2.replace_route_table_association(AssociationId=assoc,
                                                RouteTableId=net.rtb_pub)["NewAssociationId"]
    assert eventually(internet_both_ways, 2)
    ec2.disassociate_route_table(AssociationId=assoc)
    assert eventually(no_internet, 4), "back on the main route table"
    # Replacing the main route table changes every subnet without an
    # explicit association.
    main = ec2.describe_route_tables(Filters=[
        {"Name": "vpc-id", "Values": [net.vpc_id]},
        {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]
    main_assoc = [a for a in main["Associations"] if a.get("Main")][0]
    new_main = ec2.replace_route_table_association(
        AssociationId=main_assoc["RouteTableAssociationId"],
        RouteTableId=net.rtb_pub)["NewAssociationId"]
    try:
        assert eventually(internet_both_ways, 2)
    finally:
        ec2.replace_route_table_association(AssociationId=new_main,
                                            RouteTableId=main["RouteTableId"])
    assert eventually(no_internet, 4)
    ec2.delete_route_table(RouteTableId=local_only)


def test_no_traffic_between_vpcs(dp, net):
    """Private addresses of another VPC are unreachable, whether its CIDR
    differs or is the same; the same address in two VPCs is two hosts;
    public addresses still meet through the internet."""
    q, k = net.i["q"], net.i["k"]
    other = {}
    for key, cidr, subnet in (("v2", "10.31.0.0/16", "10.31.1.0/24"),
                              ("v3", VPC_CIDR, "10.30.1.0/24")):
        v = net.vpc(cidr)
        other[key] = (v, net.subnet(v, subnet), net.group(v, "open", [tcp(0, 65535)]))
    igw2 = net.igw(other["v2"][0])
    net.route_table(other["v2"][0], igw=igw2, subnets=[other["v2"][1]])
    v2 = net.launch("v2", other["v2"][1], [other["v2"][2]], public=True, wait=False)
    v3 = net.launch("v3", other["v3"][1], [other["v3"][2]], ip="10.30.1.200", wait=False)
    twin = net.launch("twin", other["v3"][1], [other["v3"][2]], ip=q["ip"], wait=False)
    net.wait(v2, v3, twin)
    # Different CIDRs.
    assert blocked(dp, q, v2["ip"], 80)
    assert blocked(dp, v2, q["ip"], 80)
    # The same CIDR: an address that exists only in the other VPC.
    assert blocked(dp, q, v3["ip"], 80)
    assert blocked(dp, v3, k["ip"], 80)
    # The same address in both: each VPC reaches its own host.
    assert ask(dp, k, q["ip"], 80) == "q %s hello" % k["ip"]
    assert ask(dp, v3, q["ip"], 80) == "twin %s hello" % v3["ip"]
    # Public addresses meet through the internet, as in AWS.
    assert ask(dp, q, v2["public"], 80) == "v2 %s hello" % q["public"]


def test_spoofed_source_dropped_unless_the_check_is_off(dp, net):
    """An instance sending from an address that is not its own: the peer
    never sees the packet, until SourceDestCheck is off on its ENI."""
    ec2 = net.ec2
    t = net.i["p"]
    s = net.launch("s", net.sub["pub"], [net.open])
    spoof = "10.30.1.250"
    assert dp.run_in(s["id"], "ip", "addr", "add", spoof + "/32", "dev", "lo").returncode == 0
    sniff = Proc(dp, t, "/usr/bin/python3", "-c", SNIFF_PY, "9001")
    try:
        assert sniff.readline(5) == "ready"
        # The instance's own address: the connection opens, the sniffer sees it.
        assert ask(dp, s, t["ip"], 9001) == "p %s hello" % s["ip"]
        assert s["ip"] in sniff.lines(0.5)
        # Its spoofed address: nothing arrives.
        assert ask(dp, s, t["ip"], 9001, timeout=1.0, bind=spoof) is None
        assert spoof not in sniff.lines(1.0), "a spoofed SYN reached the peer"
        ec2.modify_network_interface_attribute(NetworkInterfaceId=s["eni"],
                                               SourceDestCheck={"Value": False})
        assert ec2.describe_network_interface_attribute(
            NetworkInterfaceId=s["eni"], Attribute="sourceDestCheck")[
            "SourceDestCheck"]["Value"] is False

        def spoof_arrives():
            ask(dp, s, t["ip"], 9001, timeout=0.5, bind=spoof)
            return spoof in sniff.lines(0.3)
        assert eventually(spoof_arrives, 3), "with the check off the spoofed SYN is still dropped"
    finally:
        sniff.kill()


def test_one_route_table_and_policy_routing_switch_without_loss(dp, net):
    """A VPC whose subnets all use one route table is routed by the kernel's
    main table alone, without routing rules (docs/dataplane.md); the first
    subnet with a table of its own switches the router to policy routing,
    and the last one leaving switches it back.  Every route moves between
    kernel tables then: a flood ping across four switches loses nothing (but
    the one in flight when it ends).  A VPC of its own; 'net' for the
    internet listener."""
    n = Net(dp)
    v = n.vpc("10.31.0.0/16")
    igw = n.igw(v)
    sa, sb = n.subnet(v, "10.31.1.0/24"), n.subnet(v, "10.31.2.0/24")
    main = n.ec2.describe_route_tables(Filters=[
        {"Name": "vpc-id", "Values": [v]},
        {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]["RouteTableId"]
    n.ec2.create_route(RouteTableId=main, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    g = n.group(v, "all", [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    a, b = n.launch("a", sa, [g], public=True, wait=False), n.launch("b", sb, [g], public=True,
                                                                      wait=False)
    n.wait(a, b)
    router = "vpcd-%s-%s" % (dp.tag, v)

    def rules():
        """The routing rules beyond the kernel's own three."""
        out = subprocess.run(["ip", "-n", router, "rule", "show"], capture_output=True,
                             text=True, check=True).stdout
        return [r for r in out.splitlines()
                if not re.match(r"(0|32766|32767):\s+from all lookup (local|main|default)$", r)]

    assert rules() == [] and sees_internet(dp, b) == b["public"]
    pinger = Proc(dp, a, "ping", "-q", "-n", "-f", "-w", "15", b["ip"])
    try:
        time.sleep(0.5)
        private = n.route_table(v)
        for _ in range(2):
            assoc = n.ec2.associate_route_table(RouteTableId=private,
                                                SubnetId=sb)["AssociationId"]
            assert eventually(lambda: sees_internet(dp, b) is None, 3)
            assert any("fwmark" in r for r in rules())
            assert sees_internet(dp, a) == a["public"] and connects(dp, a, b["ip"], 80)
            n.ec2.disassociate_route_table(AssociationId=assoc)
            assert eventually(lambda: sees_internet(dp, b) == b["public"], 3)
            assert rules() == []
        assert pinger.p.poll() is None, "the ping ended before the switches: %s" % \
            pinger.lines(1)
        out = "\n".join(pinger.lines(20))
    finally:
        pinger.kill()
    m = re.search(r"(\d+) packets transmitted, (\d+) received", out)
    assert m and int(m.group(1)) > 5000, out
    assert int(m.group(1)) - int(m.group(2)) <= 1, out
    n.ec2.delete_route_table(RouteTableId=private)
