"""Elastic IPs on real packets: the internet reaches the instance an
address is associated with, and the instance goes out behind it; moving
it moves new connections; disassociating ends both; an auto-assigned
public address works until an Elastic IP replaces it.

VPC 10.40.0.0/16 with an internet gateway; subnets pub (no public
addresses on launch) and auto (MapPublicIpOnLaunch), both routed to the
gateway; a group admitting all TCP from anywhere."""
import botocore.exceptions
import pytest

from dpkit import (INTERNET_HOST, Net, ask, blocked, eventually, internet_listener,
                   module_daemon, tcp)

INET_PORT = 8443

dp = module_daemon()


@pytest.fixture(scope="module")
def net(dp):
    n = Net(dp)
    v = n.vpc_id = n.vpc("10.40.0.0/16")
    igw = n.igw(v)
    n.sub = {"pub": n.subnet(v, "10.40.1.0/24"),
             "auto": n.subnet(v, "10.40.2.0/24", map_public=True)}
    n.route_table(v, igw=igw, subnets=list(n.sub.values()))
    n.open = n.group(v, "open", [tcp(0, 65535)])
    n.i = {"a": n.launch("a", n.sub["pub"], [n.open], wait=False),
           "b": n.launch("b", n.sub["pub"], [n.open], wait=False),
           "c": n.launch("c", n.sub["auto"], [n.open], wait=False)}
    n.wait(*n.i.values())
    inet = internet_listener(dp, (INET_PORT,))
    try:
        yield n
    finally:
        inet.kill()


def answer(dp, public):
    """Which instance the internet reaches at 'public' (None: none)."""
    a = ask(dp, "internet", public, 80, timeout=1.0)
    assert a is None or a.endswith(" %s hello" % INTERNET_HOST), a
    return a.split()[0] if a else None


def seen_from_internet(dp, inst):
    """The address the internet sees the instance's connection come from
    (None: it does not reach the internet)."""
    a = ask(dp, inst, INTERNET_HOST, INET_PORT, timeout=1.0)
    return a.split()[1] if a else None


def test_elastic_ip_follows_its_association(dp, net):
    ec2 = net.ec2
    a, b = net.i["a"], net.i["b"]
    alloc = ec2.allocate_address(Domain="vpc")
    eip, alloc_id = alloc["PublicIp"], alloc["AllocationId"]
    try:
        assert answer(dp, eip) is None, "an unassociated address reaches nobody"
        assert seen_from_internet(dp, a) is None, "a has no public address yet"
        ec2.associate_address(AllocationId=alloc_id, InstanceId=a["id"])
        assert eventually(lambda: answer(dp, eip) == "a", 2)
        assert seen_from_internet(dp, a) == eip
        # Moving it needs AllowReassociation.
        with pytest.raises(botocore.exceptions.ClientError):
            ec2.associate_address(AllocationId=alloc_id, InstanceId=b["id"],
                                  AllowReassociation=False)
        ec2.associate_address(AllocationId=alloc_id, InstanceId=b["id"],
                              AllowReassociation=True)
        assert eventually(lambda: answer(dp, eip) == "b", 2), "new connections reach b"
        assert seen_from_internet(dp, b) == eip
        assert seen_from_internet(dp, a) is None, "a lost its public address"
        assoc = ec2.describe_addresses(AllocationIds=[alloc_id])["Addresses"][0]
        assert assoc["InstanceId"] == b["id"]
        ec2.disassociate_address(AssociationId=assoc["AssociationId"])
        assert eventually(lambda: answer(dp, eip) is None, 3)
        assert seen_from_internet(dp, b) is None
    finally:
        ec2.release_address(AllocationId=alloc_id)


def test_auto_public_address_until_an_elastic_ip(dp, net):
    ec2 = net.ec2
    c = net.i["c"]
    auto = c["public"]
    assert auto, "MapPublicIpOnLaunch gave no public address"
    assert answer(dp, auto) == "c"
    assert seen_from_internet(dp, c) == auto
    alloc = ec2.allocate_address(Domain="vpc")
    eip, alloc_id = alloc["PublicIp"], alloc["AllocationId"]
    try:
        assoc = ec2.associate_address(AllocationId=alloc_id, InstanceId=c["id"])["AssociationId"]
        assert eventually(lambda: answer(dp, eip) == "c", 2)
        assert net.describe(c["id"])["PublicIpAddress"] == eip
        assert seen_from_internet(dp, c) == eip
        assert answer(dp, auto) is None, "the auto-assigned address was released"
        ec2.disassociate_address(AssociationId=assoc)
        assert eventually(lambda: answer(dp, eip) is None, 3)
        # AWS gives the instance a (new) auto-assigned address again;
        # whatever DescribeInstances reports must work.
        now = net.describe(c["id"]).get("PublicIpAddress")
        if now:
            assert eventually(lambda: answer(dp, now) == "c", 2)
            assert seen_from_internet(dp, c) == now
    finally:
        ec2.release_address(AllocationId=alloc_id)
