"""VPC peering on real packets: traffic flows once both sides route, a
security group may admit a peer VPC's group, and peering is not
transitive: a peer can use neither your other peerings nor your internet
gateway or NAT gateway."""
import time

import pytest

from vpcdtest import AMI, listener, wait_port, wait_running


def wait_until(fn, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if fn():
            return True
        time.sleep(0.2)
    return False


def never(fn, duration=2):
    deadline = time.time() + duration
    while time.time() < deadline:
        if fn():
            return False
        time.sleep(0.2)
    return True


@pytest.fixture
def world(dp):
    """Three VPCs A, B, C, each with a subnet, a main route table and an
    instance listening on 22 in a group open to 10.0.0.0/8; B also has an
    internet gateway (default route) and a NAT gateway."""
    ec2 = dp.client()
    w = {"dp": dp, "ec2": ec2}
    for i, name in enumerate("abc"):
        vpc = ec2.create_vpc(CidrBlock="10.%d.0.0/16" % i)["Vpc"]["VpcId"]
        sn = ec2.create_subnet(VpcId=vpc, CidrBlock="10.%d.1.0/24" % i)["Subnet"]["SubnetId"]
        sg = ec2.create_security_group(VpcId=vpc, GroupName="open", Description="o")["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
             "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
        inst = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, SubnetId=sn,
                                 SecurityGroupIds=[sg], UserData=listener(22))["Instances"][0]
        rtb = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])[
            "RouteTables"][0]["RouteTableId"]
        w[name] = {"vpc": vpc, "subnet": sn, "sg": sg, "rtb": rtb, "cidr": "10.%d.0.0/16" % i,
                   "id": inst["InstanceId"], "ip": inst["PrivateIpAddress"]}
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=w["b"]["vpc"])
    ec2.create_route(RouteTableId=w["b"]["rtb"], DestinationCidrBlock="0.0.0.0/0",
                     GatewayId=igw)
    wait_running(ec2, [w[n]["id"] for n in "abc"])
    for n in "abc":
        assert wait_port(dp, w[n]["id"], w[n]["ip"], 22), "listener of %s" % n
    return w


def peer(w, x, y, route=True):
    ec2 = w["ec2"]
    pid = ec2.create_vpc_peering_connection(VpcId=w[x]["vpc"], PeerVpcId=w[y]["vpc"])[
        "VpcPeeringConnection"]["VpcPeeringConnectionId"]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pid)
    if route:
        for a, b in ((x, y), (y, x)):
            ec2.create_route(RouteTableId=w[a]["rtb"], DestinationCidrBlock=w[b]["cidr"],
                             VpcPeeringConnectionId=pid)
    return pid


def test_traffic_needs_both_routes_and_stops_when_deleted(world):
    w, dp, ec2 = world, world["dp"], world["ec2"]
    a, b = w["a"], w["b"]
    assert never(lambda: dp.connects(a["id"], b["ip"], 22, timeout=0.5), 1)
    pid = peer(w, "a", "b", route=False)
    ec2.create_route(RouteTableId=a["rtb"], DestinationCidrBlock=b["cidr"],
                     VpcPeeringConnectionId=pid)
    # One way only: the reply has no route back.
    assert never(lambda: dp.connects(a["id"], b["ip"], 22, timeout=0.5), 1.5)
    ec2.create_route(RouteTableId=b["rtb"], DestinationCidrBlock=a["cidr"],
                     VpcPeeringConnectionId=pid)
    assert wait_until(lambda: dp.connects(a["id"], b["ip"], 22, timeout=0.5))
    assert wait_until(lambda: dp.connects(b["id"], a["ip"], 22, timeout=0.5))
    ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pid)
    assert wait_until(lambda: not dp.connects(a["id"], b["ip"], 22, timeout=0.5))


def test_security_group_admits_a_peer_group(world):
    w, dp, ec2 = world, world["dp"], world["ec2"]
    a, b = w["a"], w["b"]
    peer(w, "a", "b")
    assert wait_until(lambda: dp.connects(a["id"], b["ip"], 22, timeout=0.5))
    # B's listener admits only members of A's group "open" from now on.
    ec2.revoke_security_group_ingress(GroupId=b["sg"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
         "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
    ec2.authorize_security_group_ingress(GroupId=b["sg"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
         "UserIdGroupPairs": [{"GroupId": a["sg"]}]}])
    assert wait_until(lambda: dp.connects(a["id"], b["ip"], 22, timeout=0.5))
    # Another instance of A, outside that group, is refused.
    other = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1,
                              SubnetId=a["subnet"])["Instances"][0]["InstanceId"]
    wait_running(ec2, [other])
    assert never(lambda: dp.connects(other, b["ip"], 22, timeout=0.5), 1.5)


def test_not_transitive_and_no_edge_to_edge(world, dp):
    w, ec2 = world, world["ec2"]
    a, b, c = w["a"], w["b"], w["c"]
    ab = peer(w, "a", "b")
    peer(w, "b", "c")
    assert wait_until(lambda: dp.connects(a["id"], b["ip"], 22, timeout=0.5))
    assert wait_until(lambda: dp.connects(c["id"], b["ip"], 22, timeout=0.5))
    # A routes C's block and the internet through B: B forwards neither.
    ec2.create_route(RouteTableId=a["rtb"], DestinationCidrBlock=c["cidr"],
                     VpcPeeringConnectionId=ab)
    ec2.create_route(RouteTableId=c["rtb"], DestinationCidrBlock=a["cidr"],
                     VpcPeeringConnectionId=ec2.describe_vpc_peering_connections(
                         Filters=[{"Name": "accepter-vpc-info.vpc-id", "Values": [c["vpc"]]}])[
                         "VpcPeeringConnections"][0]["VpcPeeringConnectionId"])
    ec2.create_route(RouteTableId=a["rtb"], DestinationCidrBlock="0.0.0.0/0",
                     VpcPeeringConnectionId=ab)
    assert never(lambda: dp.connects(a["id"], c["ip"], 22, timeout=0.5), 2)
    # B reaches the internet host through its NAT gateway (a refused
    # connection is an answer); A, routing the internet to B, gets nothing.
    probe = ("import socket\ntry:\n socket.create_connection(('203.0.113.10', 9), 1)\n"
             " print('open')\nexcept ConnectionRefusedError:\n print('refused')\n"
             "except OSError:\n print('nothing')\n")
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    pub_sn = ec2.create_subnet(VpcId=b["vpc"], CidrBlock="10.1.2.0/24")["Subnet"]["SubnetId"]
    pub_rtb = ec2.create_route_table(VpcId=b["vpc"])["RouteTable"]["RouteTableId"]
    igw = ec2.describe_internet_gateways()["InternetGateways"][0]["InternetGatewayId"]
    ec2.create_route(RouteTableId=pub_rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=pub_rtb, SubnetId=pub_sn)
    nat = ec2.create_nat_gateway(SubnetId=pub_sn, AllocationId=alloc)["NatGateway"][
        "NatGatewayId"]
    ec2.replace_route(RouteTableId=b["rtb"], DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    assert wait_until(lambda: dp.run_in(b["id"], "/usr/bin/python3", "-c", probe)
                      .stdout.strip() == "refused"), "B reaches the internet host"
    assert dp.run_in(a["id"], "/usr/bin/python3", "-c", probe).stdout.strip() == "nothing"
