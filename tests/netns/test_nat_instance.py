"""The NAT-instance pattern (seed 004): a private subnet whose default
route targets an instance of the NAT image with SourceDestCheck off."""
import subprocess
import time

import pytest

from vpcdtest import ASK, VPCCTL, listener, public_and_private, wait_port, wait_running

NAT_IMAGE = "ami-00000001"
PEER_ECHO = r'''
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 9000))
s.listen(16)
while True:
    c, peer = s.accept()
    c.sendall(("ok %s\n" % peer[0]).encode())
    c.close()
'''


@pytest.fixture
def nat(dp):
    ec2 = dp.client()
    n = public_and_private(ec2)
    vpc, public, private = n["vpc"], n["public"], n["private"]
    sg = ec2.create_security_group(VpcId=vpc, GroupName="nat", Description="nat")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}])
    nat_id = ec2.run_instances(ImageId=NAT_IMAGE, MinCount=1, MaxCount=1, NetworkInterfaces=[
        {"DeviceIndex": 0, "SubnetId": public, "Groups": [sg],
         "AssociatePublicIpAddress": True}])["Instances"][0]["InstanceId"]
    inner = ec2.run_instances(ImageId="ami-00000000", MinCount=1, MaxCount=1, SubnetId=private,
                              UserData=listener(22))["Instances"][0]["InstanceId"]
    priv_rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=priv_rtb, DestinationCidrBlock="0.0.0.0/0", InstanceId=nat_id)
    ec2.associate_route_table(RouteTableId=priv_rtb, SubnetId=private)
    wait_running(ec2, [nat_id, inner])
    nat_public = ec2.describe_instances(InstanceIds=[nat_id])["Reservations"][0]["Instances"][0][
        "PublicIpAddress"]
    server = subprocess.Popen([VPCCTL, "--data-dir", dp.data_dir, "internet", "--",
                               "/usr/bin/python3", "-c", PEER_ECHO], stdin=subprocess.DEVNULL)
    try:
        assert wait_port_raw(dp), "the internet host's listener did not start"
        yield dp, ec2, nat_id, inner, nat_public
    finally:
        server.kill()
        server.wait()


def wait_port_raw(dp, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = dp.internet("/usr/bin/python3", "-c", ASK)
        if r.returncode == 0:
            return True
        time.sleep(0.2)
    return False


def ask(dp, instance):
    r = dp.run_in(instance, "/usr/bin/python3", "-c", ASK)
    return r.stdout.strip() if r.returncode == 0 else None


def test_private_instance_reaches_internet_through_nat_instance(nat):
    dp, ec2, nat_id, inner, nat_public = nat
    ec2.modify_instance_attribute(InstanceId=nat_id, SourceDestCheck={"Value": False})
    deadline = time.time() + 5
    answer = None
    while time.time() < deadline and answer is None:
        answer = ask(dp, inner)
    # The internet sees the NAT instance's public address, not the private one.
    assert answer == "ok %s" % nat_public


def test_source_dest_check_on_blocks_the_nat_instance(nat):
    dp, ec2, nat_id, inner, nat_public = nat
    assert ask(dp, inner) is None


def test_route_to_terminated_nat_instance_is_a_blackhole(nat):
    dp, ec2, nat_id, inner, nat_public = nat
    ec2.modify_instance_attribute(InstanceId=nat_id, SourceDestCheck={"Value": False})
    ec2.terminate_instances(InstanceIds=[nat_id])
    deadline = time.time() + 10
    state = None
    while time.time() < deadline and state != "blackhole":
        rtbs = ec2.describe_route_tables(Filters=[{"Name": "route.instance-id",
                                                    "Values": [nat_id]}])["RouteTables"]
        state = [r["State"] for r in rtbs[0]["Routes"] if r.get("InstanceId") == nat_id][0]
        time.sleep(0.2)
    assert state == "blackhole"
    assert ask(dp, inner) is None


def test_route_more_specific_than_local_goes_through_the_instance(nat):
    """A route to part of the VPC's own block (here another subnet) that
    targets an instance overrides "local": the private instance's traffic
    to that subnet passes the NAT instance, which masquerades it."""
    dp, ec2, nat_id, inner, nat_public = nat
    ec2.modify_instance_attribute(InstanceId=nat_id, SourceDestCheck={"Value": False})
    desc = ec2.describe_instances(InstanceIds=[nat_id, inner])["Reservations"]
    by_id = {i["InstanceId"]: i for r in desc for i in r["Instances"]}
    vpc = by_id[inner]["VpcId"]
    nat_private = by_id[nat_id]["PrivateIpAddress"]
    other_subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.3.0/24")["Subnet"]["SubnetId"]
    sg = by_id[nat_id]["SecurityGroups"][0]["GroupId"]   # all from 10.0.0.0/16
    other = ec2.run_instances(
        ImageId="ami-00000000", MinCount=1, MaxCount=1, SubnetId=other_subnet,
        SecurityGroupIds=[sg],
        UserData="#!/bin/sh\nexec /usr/bin/python3 -c '%s'\n" % PEER_ECHO.replace("'", '"'),
    )["Instances"][0]
    wait_running(ec2, [other["InstanceId"]])
    ask_other = ASK.replace("203.0.113.10", other["PrivateIpAddress"])

    def peer_seen():
        deadline = time.time() + 10
        while time.time() < deadline:
            r = dp.run_in(inner, "/usr/bin/python3", "-c", ask_other)
            if r.returncode == 0:
                return r.stdout.strip()
            time.sleep(0.2)
        return None

    inner_ip = by_id[inner]["PrivateIpAddress"]
    assert peer_seen() == "ok %s" % inner_ip, "straight through the router at first"
    rtb = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id",
                                              "Values": [by_id[inner]["SubnetId"]]}])
    rtb_id = rtb["RouteTables"][0]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb_id, DestinationCidrBlock="10.0.3.0/24", InstanceId=nat_id)
    deadline = time.time() + 5
    seen = None
    while time.time() < deadline and seen != "ok %s" % nat_private:
        seen = peer_seen()
    assert seen == "ok %s" % nat_private, "through the NAT instance after the route"
    ec2.delete_route(RouteTableId=rtb_id, DestinationCidrBlock="10.0.3.0/24")
    deadline = time.time() + 5
    while time.time() < deadline and seen != "ok %s" % inner_ip:
        seen = peer_seen()
    assert seen == "ok %s" % inner_ip, "straight again once the route is gone"
