"""Network ACLs on real packets: stateless, numbered, lowest number first,
first match wins, implicit final deny, evaluated where traffic crosses a
subnet's boundary and not inside it.

One vpcd and one VPC for the module: clients c1, c2 in subnet c (default
ACL), servers s1, s2 in subnet s.  Every test gives subnet s an ACL of its
own and puts the default ACL back afterwards.  All instances are in a
group that admits every TCP port from the VPC, so only the ACLs decide."""
import pytest

from dpkit import Net, blocked, connects, eventually, hold, module_daemon, tcp

VPC_CIDR = "10.20.0.0/16"
C_CIDR = "10.20.1.0/24"

dp = module_daemon()


@pytest.fixture(scope="module")
def net(dp):
    n = Net(dp)
    n.vpc_id = n.vpc(VPC_CIDR)
    n.sub = {"c": n.subnet(n.vpc_id, C_CIDR), "s": n.subnet(n.vpc_id, "10.20.2.0/24")}
    g = n.group(n.vpc_id, "open", [tcp(0, 65535, cidr=VPC_CIDR)])
    n.i = {name: n.launch(name, n.sub[name[0]], [g], wait=False)
           for name in ("c1", "c2", "s1", "s2")}
    n.wait(*n.i.values())
    n.default_acl = n.ec2.describe_network_acls(Filters=[
        {"Name": "vpc-id", "Values": [n.vpc_id]},
        {"Name": "default", "Values": ["true"]}])["NetworkAcls"][0]["NetworkAclId"]
    return n


def associate(net, subnet, acl):
    """ReplaceNetworkAclAssociation of 'subnet' to 'acl'."""
    cur = net.ec2.describe_network_acls(Filters=[
        {"Name": "association.subnet-id", "Values": [subnet]}])["NetworkAcls"][0]
    assoc = [a for a in cur["Associations"] if a["SubnetId"] == subnet][0]
    net.ec2.replace_network_acl_association(AssociationId=assoc["NetworkAclAssociationId"],
                                            NetworkAclId=acl)


def entry(net, acl, number, action, egress=False, cidr=VPC_CIDR, ports=(0, 65535),
          proto="6"):
    net.ec2.create_network_acl_entry(
        NetworkAclId=acl, RuleNumber=number, Protocol=proto, RuleAction=action,
        Egress=egress, CidrBlock=cidr, PortRange={"From": ports[0], "To": ports[1]})


@pytest.fixture
def acl(net):
    """A new custom ACL (deny-all until entries are added) on subnet s;
    the default ACL is put back afterwards."""
    a = net.ec2.create_network_acl(VpcId=net.vpc_id)["NetworkAcl"]["NetworkAclId"]
    associate(net, net.sub["s"], a)
    yield a
    associate(net, net.sub["s"], net.default_acl)
    net.ec2.delete_network_acl(NetworkAclId=a)


def c_to_s(dp, net, port, client="c1", server="s1"):
    return connects(dp, net.i[client], net.i[server]["ip"], port)


def c_to_s_blocked(dp, net, port, client="c1", server="s1"):
    return blocked(dp, net.i[client], net.i[server]["ip"], port)


def test_lower_numbered_deny_beats_higher_allow(dp, net, acl):
    # The allow is created first: the rule number decides, not the order.
    entry(net, acl, 200, "allow")
    entry(net, acl, 100, "deny", cidr=C_CIDR, ports=(9000, 9000))
    entry(net, acl, 100, "allow", egress=True)
    assert eventually(lambda: c_to_s(dp, net, 80), 2)
    assert c_to_s_blocked(dp, net, 9000)
    assert c_to_s(dp, net, 9001)


def test_lower_numbered_allow_beats_higher_deny(dp, net, acl):
    """First match wins whatever its action: an allow numbered before a
    deny of the same traffic lets it through."""
    entry(net, acl, 300, "deny", cidr=C_CIDR)
    entry(net, acl, 50, "allow", cidr=C_CIDR, ports=(9000, 9000))
    entry(net, acl, 100, "allow", egress=True)
    assert eventually(lambda: c_to_s(dp, net, 9000), 2)
    assert c_to_s_blocked(dp, net, 80)


def test_deny_of_one_host_before_allow_of_its_subnet(dp, net, acl):
    c1 = net.i["c1"]
    entry(net, acl, 100, "allow", cidr=C_CIDR)
    entry(net, acl, 90, "deny", cidr=c1["ip"] + "/32")
    entry(net, acl, 100, "allow", egress=True)
    assert eventually(lambda: c_to_s(dp, net, 80, client="c2"), 2)
    assert c_to_s_blocked(dp, net, 80, client="c1")


def test_custom_acl_ends_in_an_implicit_deny(dp, net, acl):
    assert eventually(lambda: c_to_s_blocked(dp, net, 80), 3), \
        "a custom ACL without entries must deny everything"
    entry(net, acl, 100, "allow", ports=(80, 80))
    entry(net, acl, 100, "allow", egress=True, ports=(1024, 65535))
    assert eventually(lambda: c_to_s(dp, net, 80), 2)
    assert c_to_s_blocked(dp, net, 9000), "no entry matches 9000: the implicit deny"
    # Outbound only ephemeral ports: s1 cannot open a connection to port 80.
    assert blocked(dp, net.i["s1"], net.i["c1"]["ip"], 80)


def test_replies_need_an_ephemeral_port_rule(dp, net, acl):
    """ACLs are stateless: an inbound rule for the service without an
    outbound rule for the client's ephemeral ports loses the reply."""
    c2 = net.i["c2"]
    entry(net, acl, 100, "allow", ports=(9000, 9000))
    # Replies may leave only towards c2 (which shows the ACL is in place).
    entry(net, acl, 100, "allow", egress=True, cidr=c2["ip"] + "/32", ports=(1024, 65535))
    assert eventually(lambda: c_to_s(dp, net, 9000, client="c2"), 2)
    assert c_to_s_blocked(dp, net, 9000, client="c1"), "the reply to c1 must be lost"
    entry(net, acl, 110, "allow", egress=True, cidr=C_CIDR, ports=(1024, 65535))
    assert eventually(lambda: c_to_s(dp, net, 9000), 2)
    assert c_to_s_blocked(dp, net, 80)


def test_a_change_reaches_established_connections(dp, net, acl):
    """ACLs are stateless: a deny added while a connection is open drops
    its very next packets; that they passed before (and that conntrack
    knows the connection) lets nothing through."""
    entry(net, acl, 100, "allow", ports=(80, 80))
    entry(net, acl, 100, "allow", egress=True, cidr=C_CIDR, ports=(1024, 65535))
    assert eventually(lambda: c_to_s(dp, net, 80), 2)
    conn = hold(dp, net.i["c1"], net.i["s1"]["ip"], 80)
    try:
        assert conn.send("one").endswith(" one"), "both directions pass"
        entry(net, acl, 50, "deny", egress=True, cidr=C_CIDR, ports=(1024, 65535))
        assert eventually(lambda: c_to_s_blocked(dp, net, 80), 3), "the deny is in place"
        assert conn.send("two", timeout=5).startswith("FAIL"), \
            "the established connection's reply passed a deny"
    finally:
        conn.kill()


def test_no_effect_inside_the_subnet(dp, net, acl):
    """Two instances of one subnet talk even under a deny-all ACL."""
    entry(net, acl, 1, "deny", proto="-1", cidr="0.0.0.0/0")
    entry(net, acl, 1, "deny", egress=True, proto="-1", cidr="0.0.0.0/0")
    assert eventually(lambda: c_to_s_blocked(dp, net, 80), 3)
    s1, s2 = net.i["s1"], net.i["s2"]
    assert connects(dp, s1, s2["ip"], 80)
    assert connects(dp, s2, s1["ip"], 9000)


def test_replace_network_acl_association(dp, net):
    assert c_to_s(dp, net, 80)
    a = net.ec2.create_network_acl(VpcId=net.vpc_id)["NetworkAcl"]["NetworkAclId"]
    try:
        associate(net, net.sub["s"], a)
        desc = net.ec2.describe_network_acls(NetworkAclIds=[a])["NetworkAcls"][0]
        assert [x["SubnetId"] for x in desc["Associations"]] == [net.sub["s"]]
        assert eventually(lambda: c_to_s_blocked(dp, net, 80), 3)
        assert c_to_s_blocked(dp, net, 80, client="c2", server="s2")
    finally:
        associate(net, net.sub["s"], net.default_acl)
    assert eventually(lambda: c_to_s(dp, net, 80), 2)
    net.ec2.delete_network_acl(NetworkAclId=a)
