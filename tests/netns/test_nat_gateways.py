"""NAT gateways on real packets: a private subnet reaches the simulated
internet through the gateway, which shows its Elastic IP; nothing from the
internet reaches in; idle connections end with a reset; deletion makes the
route a blackhole; the NAT-instance pattern works beside it."""
import subprocess
import time

import pytest

from vpcdtest import ASK, VPCCTL, public_and_private, wait_running

NAT_IMAGE = "ami-00000001"
# The internet host: answers "ok <peer address>" on 9000 and closes; on
# 9001 echoes lines for as long as the client keeps the connection.
SERVER = r'''
import socket, threading
def peer(port, talk):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(64)
    while True:
        c, addr = s.accept()
        threading.Thread(target=talk, args=(c, addr), daemon=True).start()
def once(c, addr):
    c.sendall(("ok %s\n" % addr[0]).encode())
    c.close()
def echo(c, addr):
    while True:
        d = c.recv(100)
        if not d:
            break
        c.sendall(d)
threading.Thread(target=peer, args=(9001, echo), daemon=True).start()
peer(9000, once)
'''
# Keeps one connection idle for argv[1] seconds between two exchanges.
IDLE = r'''
import socket, sys, time
s = socket.create_connection(("203.0.113.10", 9001), timeout=3)
s.settimeout(3)
s.sendall(b"one\n")
print(s.recv(10).decode().strip())
time.sleep(float(sys.argv[1]))
try:
    s.sendall(b"two\n")
    d = s.recv(10)
    print(d.decode().strip() if d else "closed")
except ConnectionResetError:
    print("reset")
except socket.timeout:
    print("timeout")
'''
LISTEN = "#!/bin/sh\nexec /usr/bin/python3 -c '%s'\n" % (
    "import socket\ns=socket.socket()\ns.bind((\"0.0.0.0\",22))\ns.listen(8)\n"
    "while True:\n c,a=s.accept()\n c.sendall(b\"ok\\n\")\n c.close()\n")


def wait_for(fn, timeout=15, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError("no %s after %ss" % (what, timeout))


def natgw_state(ec2, nid):
    return ec2.describe_nat_gateways(NatGatewayIds=[nid])["NatGateways"][0]["State"]


def ask(dp, instance):
    r = dp.run_in(instance, "/usr/bin/python3", "-c", ASK)
    return r.stdout.strip() if r.returncode == 0 else None


def natgw_metrics(dp, nid):
    """The gateway's samples from GET /metrics, by metric name."""
    pre = "vpcd_nat_gateway_"
    return {k[0][len(pre):]: v for k, v in dp.metrics().items()
            if k[0].startswith(pre) and k[1] == (("nat_gateway_id", nid),)}


def knock(dp, ip, port):
    """What a TCP connection attempt from the internet host meets."""
    code = ("import socket\n"
            "try:\n"
            "    socket.create_connection((%r, %d), timeout=1)\n"
            "    print('open')\n"
            "except ConnectionRefusedError:\n"
            "    print('refused')\n"
            "except socket.timeout:\n"
            "    print('timeout')\n"
            "except OSError:\n"
            "    print('unreachable')\n") % (ip, port)
    return dp.internet("/usr/bin/python3", "-c", code).stdout.strip()


@pytest.fixture
def make_site(make_dp_daemon):
    """A VPC with a public subnet (internet gateway, a NAT gateway with an
    Elastic IP) and a private subnet routed to the NAT gateway, with an
    instance listening on 22; the internet host runs SERVER."""
    servers = []

    def make(args=()):
        dp = make_dp_daemon(args=args).start()
        ec2 = dp.client()
        n = public_and_private(ec2)
        vpc, public, private = n["vpc"], n["public"], n["private"]
        alloc = ec2.allocate_address(Domain="vpc")
        gw = ec2.create_nat_gateway(SubnetId=public, AllocationId=alloc["AllocationId"])[
            "NatGateway"]
        assert gw["State"] == "pending"
        nid = gw["NatGatewayId"]
        priv_rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.create_route(RouteTableId=priv_rtb, DestinationCidrBlock="0.0.0.0/0",
                         NatGatewayId=nid)
        ec2.associate_route_table(RouteTableId=priv_rtb, SubnetId=private)
        inner = ec2.run_instances(ImageId="ami-00000000", MinCount=1, MaxCount=1,
                                  SubnetId=private, UserData=LISTEN)["Instances"][0]
        wait_running(ec2, [inner["InstanceId"]])
        wait_for(lambda: natgw_state(ec2, nid) == "available", what="available gateway")
        server = subprocess.Popen([VPCCTL, "--data-dir", dp.data_dir, "internet", "--",
                                   "/usr/bin/python3", "-c", SERVER], stdin=subprocess.DEVNULL)
        servers.append(server)
        return {"dp": dp, "ec2": ec2, "vpc": vpc, "public": public, "private": private,
                "nat": nid, "eip": alloc["PublicIp"], "alloc": alloc["AllocationId"],
                "inner": inner["InstanceId"], "inner_ip": inner["PrivateIpAddress"],
                "priv_rtb": priv_rtb}

    yield make
    for s in servers:
        s.kill()
        s.wait()


def test_private_subnet_reaches_out_and_nothing_reaches_in(make_site):
    s = make_site()
    dp = s["dp"]
    # The internet sees the gateway's Elastic IP.
    assert wait_for(lambda: ask(dp, s["inner"]), what="answer") == "ok %s" % s["eip"]
    # Nothing from the internet opens a connection inward: not to the
    # Elastic IP (the gateway forwards nothing it did not start), and the
    # private address is not routed at all.
    # Unsolicited packets are dropped, not refused: the client times out.
    assert knock(dp, s["eip"], 22) == "timeout"
    assert knock(dp, s["eip"], 9000) == "timeout"
    assert knock(dp, s["inner_ip"], 22) in ("timeout", "unreachable")
    assert not dp.connects("internet", s["inner_ip"], 22)
    # GET /metrics shows it as CloudWatch would: one connection in and out
    # at least, the knocks dropped; while a connection is open it is active.
    held = subprocess.Popen([VPCCTL, "--data-dir", dp.data_dir, "exec", s["inner"], "--",
                             "/usr/bin/python3", "-c", IDLE, "3"], stdout=subprocess.PIPE,
                            text=True, stdin=subprocess.DEVNULL)
    try:
        assert held.stdout.readline().strip() == "one"
        m = natgw_metrics(dp, s["nat"])
    finally:
        held.kill()
        held.wait()
    assert m["active_connection_count"] == 1
    assert m["connection_attempt_count"] >= 2 and m["connection_established_count"] >= 2
    assert m["packets_in_from_source"] >= 4 and m["packets_out_to_destination"] >= 4
    assert m["packets_in_from_destination"] >= 4 and m["packets_out_to_source"] >= 4
    assert m["bytes_out_to_source"] > 0 and m["bytes_in_from_destination"] > 0
    assert m["bytes_in_from_source"] == m["bytes_out_to_destination"] > 0
    assert m["packets_drop_count"] >= 2
    assert m["error_port_allocation"] == 0 and m["idle_timeout_count"] == 0


def test_idle_connection_gets_a_reset(make_site):
    s = make_site(args=["--set", "nat-idle-timeout=2"])
    dp = s["dp"]
    wait_for(lambda: ask(dp, s["inner"]), what="answer")
    # Active within the timeout: the connection lives.
    r = dp.run_in(s["inner"], "/usr/bin/python3", "-c", IDLE, "0.5")
    assert r.stdout.split() == ["one", "two"], r.stderr
    assert natgw_metrics(dp, s["nat"])["idle_timeout_count"] == 0
    # Idle past it: the gateway forgets the connection (counted then, while
    # the client still waits) and answers the client's next packet with a
    # reset, not a FIN.
    idle = subprocess.Popen([VPCCTL, "--data-dir", dp.data_dir, "exec", s["inner"], "--",
                             "/usr/bin/python3", "-c", IDLE, "8"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    try:
        wait_for(lambda: natgw_metrics(dp, s["nat"])["idle_timeout_count"] == 1, timeout=7,
                 what="idle timeout counted before the client sends again")
        out, err = idle.communicate(timeout=15)
    finally:
        idle.kill()
    assert out.split() == ["one", "reset"], err
    assert natgw_metrics(dp, s["nat"])["idle_timeout_count"] == 1


def test_deleted_gateway_is_a_blackhole(make_site):
    s = make_site()
    dp, ec2 = s["dp"], s["ec2"]
    wait_for(lambda: ask(dp, s["inner"]), what="answer")
    ec2.delete_nat_gateway(NatGatewayId=s["nat"])
    assert natgw_state(ec2, s["nat"]) in ("deleting", "deleted")
    wait_for(lambda: natgw_state(ec2, s["nat"]) == "deleted", what="deleted gateway")
    ns = "vpcd-%s-%s" % (dp.tag, s["nat"])
    assert ns not in subprocess.run(["ip", "netns", "list"], capture_output=True,
                                    text=True).stdout
    routes = ec2.describe_route_tables(RouteTableIds=[s["priv_rtb"]])["RouteTables"][0]["Routes"]
    assert [r["State"] for r in routes if r.get("NatGatewayId") == s["nat"]] == ["blackhole"]
    assert ask(dp, s["inner"]) is None
    # The Elastic IP is free again and can serve a new gateway.
    ec2.release_address(AllocationId=s["alloc"])


def test_nat_instance_works_beside_it(make_site):
    s = make_site()
    dp, ec2 = s["dp"], s["ec2"]
    sg = ec2.create_security_group(VpcId=s["vpc"], GroupName="nat", Description="nat")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}])
    nat_inst = ec2.run_instances(ImageId=NAT_IMAGE, MinCount=1, MaxCount=1, NetworkInterfaces=[
        {"DeviceIndex": 0, "SubnetId": s["public"], "Groups": [sg],
         "AssociatePublicIpAddress": True}])["Instances"][0]["InstanceId"]
    ec2.modify_instance_attribute(InstanceId=nat_inst, SourceDestCheck={"Value": False})
    other_sn = ec2.create_subnet(VpcId=s["vpc"], CidrBlock="10.0.3.0/24")["Subnet"]["SubnetId"]
    rtb = ec2.create_route_table(VpcId=s["vpc"])["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", InstanceId=nat_inst)
    ec2.associate_route_table(RouteTableId=rtb, SubnetId=other_sn)
    other = ec2.run_instances(ImageId="ami-00000000", MinCount=1, MaxCount=1,
                              SubnetId=other_sn)["Instances"][0]["InstanceId"]
    wait_running(ec2, [nat_inst, other])
    nat_public = ec2.describe_instances(InstanceIds=[nat_inst])["Reservations"][0][
        "Instances"][0]["PublicIpAddress"]
    assert wait_for(lambda: ask(dp, other), what="answer") == "ok %s" % nat_public
    assert wait_for(lambda: ask(dp, s["inner"]), what="answer") == "ok %s" % s["eip"]


# From one instance: one datagram from each of 'n' source ports to 'port'.
FLOOD = r'''
import socket, sys
n, port = int(sys.argv[1]), int(sys.argv[2])
for p in range(1024, 1024 + n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", p))
    s.sendto(b"x", ("203.0.113.10", port))
    s.close()
'''
# On the internet host: how many distinct sources reach each port, once
# nothing more has come for a second.
COUNT = r'''
import select, socket, sys
socks = []
for port in sys.argv[1:]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, 33, 64 << 20)  # SO_RCVBUFFORCE
    s.bind(("0.0.0.0", int(port)))
    socks.append(s)
print("ready", flush=True)
seen = [set() for _ in socks]
while select.select(socks, [], [], 3 if not any(seen) else 1)[0]:
    for i, s in enumerate(socks):
        try:
            while True:
                seen[i].add(s.recvfrom(16, socket.MSG_DONTWAIT)[1])
        except BlockingIOError:
            pass
print(" ".join(str(len(x)) for x in seen), len({a for x in seen for a, _ in x}))
'''


def test_55000_connections_per_destination(make_site):
    """AWS: 55,000 simultaneous connections to each unique destination
    (address, port, protocol); more fail to get a port, and a different
    destination still has its own 55,000."""
    s = make_site()
    dp = s["dp"]
    counter = subprocess.Popen([VPCCTL, "--data-dir", dp.data_dir, "internet", "--",
                                "/usr/bin/python3", "-c", COUNT, "7000", "7001"],
                               stdout=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    try:
        assert counter.stdout.readline().strip() == "ready"
        for n, port in ((56000, 7000), (100, 7001)):
            r = dp.run_in(s["inner"], "/usr/bin/python3", "-c", FLOOD, str(n), str(port),
                          timeout=60)
            assert r.returncode == 0, r.stderr
        out = counter.communicate(timeout=30)[0].split()
    finally:
        counter.kill()
        counter.wait()
    # Every datagram that got a port arrives from the Elastic IP.
    assert out == ["55000", "100", "1"]
    m = natgw_metrics(dp, s["nat"])
    assert m["error_port_allocation"] == 1000 and m["packets_drop_count"] >= 1000
    assert m["packets_out_to_destination"] == 55100
