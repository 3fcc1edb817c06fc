"""Security groups on real packets: stateful, per ENI, a union of rules,
both the sender's egress and the receiver's ingress must allow, group
references match members' private addresses, changes apply to new
connections at once and leave tracked ones alone.

One vpcd and one VPC for the module; tests that change rules or
memberships do it on groups and instances of their own."""
import pytest

from dpkit import Net, ask, blocked, connects, eventually, hold, module_daemon, tcp

VPC_CIDR = "10.10.0.0/16"

dp = module_daemon()


@pytest.fixture(scope="module")
def net(dp):
    """Subnets a and b.  web: TCP 80 from the VPC; client: nothing in;
    app: TCP 8080 from members of web.  a1 (web) and a2 (client) in a,
    b1 (app) and b2 (client) in b."""
    n = Net(dp)
    n.vpc_id = n.vpc(VPC_CIDR)
    n.sub = {"a": n.subnet(n.vpc_id, "10.10.1.0/24"), "b": n.subnet(n.vpc_id, "10.10.2.0/24")}
    n.web = n.group(n.vpc_id, "web", [tcp(80, cidr=VPC_CIDR)])
    n.client = n.group(n.vpc_id, "client")
    n.app = n.group(n.vpc_id, "app", [tcp(8080, group=n.web)])
    n.i = {}
    for name, sn, g in (("a1", "a", n.web), ("a2", "a", n.client), ("b1", "b", n.app),
                        ("b2", "b", n.client)):
        n.i[name] = n.launch(name, n.sub[sn], [g], wait=False)
    n.wait(*n.i.values())
    return n


def test_groups_apply_inside_one_subnet(dp, net):
    a1, a2 = net.i["a1"], net.i["a2"]
    assert connects(dp, a2, a1["ip"], 80)
    assert blocked(dp, a2, a1["ip"], 8080), "a1's group allows only TCP 80"
    assert blocked(dp, a1, a2["ip"], 80), "a2's group allows nothing in"


def test_groups_apply_across_subnets(dp, net):
    a1, b2 = net.i["a1"], net.i["b2"]
    assert connects(dp, b2, a1["ip"], 80)
    assert blocked(dp, b2, a1["ip"], 9000)
    assert blocked(dp, a1, b2["ip"], 80)


def test_group_reference_admits_members_only(dp, net):
    a1, a2, b1, b2 = (net.i[k] for k in ("a1", "a2", "b1", "b2"))
    assert connects(dp, a1, b1["ip"], 8080), "a1 is in web, which app admits"
    assert blocked(dp, a2, b1["ip"], 8080), "a2 is not in web"
    assert blocked(dp, b2, b1["ip"], 8080), "b2 is not in web"
    assert blocked(dp, a1, b1["ip"], 80), "the reference admits only 8080"
    # Membership is live: an instance that joins web is admitted.
    x = net.launch("x", net.sub["b"], [net.client])
    assert blocked(dp, x, b1["ip"], 8080)
    net.ec2.modify_instance_attribute(InstanceId=x["id"], Groups=[net.client, net.web])
    assert eventually(lambda: connects(dp, x, b1["ip"], 8080), 2)
    net.ec2.modify_instance_attribute(InstanceId=x["id"], Groups=[net.client])
    assert eventually(lambda: blocked(dp, x, b1["ip"], 8080), 3)


def test_egress_rules_gate_the_sender(dp, net):
    """Without an egress rule the sender cannot connect, although the
    receiver admits it; a narrow egress rule opens exactly its port."""
    ec2 = net.ec2
    rx_group = net.group(net.vpc_id, "open-rx", [tcp(0, 65535, cidr=VPC_CIDR)])
    rx = net.launch("rx", net.sub["b"], [rx_group])
    tx_group = net.group(net.vpc_id, "tx-none", egress=[])
    tx = net.launch("tx", net.sub["a"], [tx_group])
    assert connects(dp, net.i["a2"], rx["ip"], 80), "the receiver admits the VPC"
    assert blocked(dp, tx, rx["ip"], 80)
    assert blocked(dp, tx, rx["ip"], 9000)
    ec2.authorize_security_group_egress(GroupId=tx_group, IpPermissions=[
        tcp(80, cidr=VPC_CIDR)])
    assert eventually(lambda: connects(dp, tx, rx["ip"], 80), 2)
    assert blocked(dp, tx, rx["ip"], 9000), "the egress rule opens only TCP 80"
    # The egress rule's destination counts too.
    ec2.revoke_security_group_egress(GroupId=tx_group, IpPermissions=[tcp(80, cidr=VPC_CIDR)])
    ec2.authorize_security_group_egress(GroupId=tx_group, IpPermissions=[
        tcp(80, cidr=net.i["a1"]["ip"] + "/32")])
    assert eventually(lambda: blocked(dp, tx, rx["ip"], 80), 3)
    assert connects(dp, tx, net.i["a1"]["ip"], 80)


def test_several_groups_are_a_union(dp, net):
    ec2 = net.ec2
    g80 = net.group(net.vpc_id, "u80", [tcp(80, cidr=VPC_CIDR)])
    g9000 = net.group(net.vpc_id, "u9000", [tcp(9000, cidr=VPC_CIDR)])
    u = net.launch("u", net.sub["b"], [g80])
    c = net.i["a2"]
    assert connects(dp, c, u["ip"], 80)
    assert blocked(dp, c, u["ip"], 9000)
    # ModifyInstanceAttribute GroupSet: both groups' rules apply.
    ec2.modify_instance_attribute(InstanceId=u["id"], Groups=[g80, g9000])
    assert eventually(lambda: connects(dp, c, u["ip"], 9000), 2)
    assert connects(dp, c, u["ip"], 80)
    assert blocked(dp, c, u["ip"], 8080)
    # ModifyNetworkInterfaceAttribute Groups: the set is replaced.
    ec2.modify_network_interface_attribute(NetworkInterfaceId=u["eni"], Groups=[g9000])
    assert eventually(lambda: blocked(dp, c, u["ip"], 80), 3)
    assert connects(dp, c, u["ip"], 9000)


def test_new_rule_applies_to_new_connections_within_a_second(dp, net):
    ec2 = net.ec2
    g = net.group(net.vpc_id, "late")
    t = net.launch("t", net.sub["b"], [g])
    c = net.i["a1"]
    assert blocked(dp, c, t["ip"], 9001)
    ec2.authorize_security_group_ingress(GroupId=g, IpPermissions=[tcp(9001, cidr=VPC_CIDR)])
    assert eventually(lambda: connects(dp, c, t["ip"], 9001, timeout=0.3), 1.0, 0.02), \
        "the new rule did not apply within a second"
    ec2.revoke_security_group_ingress(GroupId=g, IpPermissions=[tcp(9001, cidr=VPC_CIDR)])
    assert eventually(lambda: not connects(dp, c, t["ip"], 9001, timeout=0.3), 1.0, 0.02), \
        "the revoked rule still admitted new connections after a second"


def test_revoking_a_rule_keeps_tracked_connections(dp, net):
    """Removing a rule does not cut a tracked connection: the open one
    still carries data both ways, a new one fails."""
    ec2 = net.ec2
    rule = tcp(9000, cidr=VPC_CIDR)  # not 0.0.0.0/0 all ports: tracked
    g = net.group(net.vpc_id, "tracked", [rule])
    t = net.launch("tracked", net.sub["b"], [g])
    c = net.i["a2"]
    conn = hold(dp, c, t["ip"], 9000)
    try:
        assert conn.send("one") == "tracked %s one" % c["ip"]
        ec2.revoke_security_group_ingress(GroupId=g, IpPermissions=[rule])
        assert eventually(lambda: blocked(dp, c, t["ip"], 9000), 3), \
            "new connections still open after the revoke"
        assert conn.send("two") == "tracked %s two" % c["ip"], \
            "the tracked connection was cut by the revoke"
        assert ask(dp, c, t["ip"], 9000) is None
        assert conn.send("three") == "tracked %s three" % c["ip"]
    finally:
        conn.kill()
