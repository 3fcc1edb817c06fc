"""Flow logs on real packets: the records of traffic the test makes,
field by field, in CloudWatch-style streams and S3-layout objects; REJECT
on the interface whose group or network ACL dropped the packet; the
ACCEPT-then-REJECT case AWS documents; vpcctl flow-logs."""
import glob
import gzip
import os
import subprocess
import time

import pytest

from dpkit import INTERNET_HOST, ask, internet_listener
from vpcdtest import VPCCTL, wait_running

ROLE = "arn:aws:iam::123456789012:role/flow-logs"
WINDOW = 2   # flow-logs-window: every flow log's aggregation window, in seconds
# Sends 'count' datagrams of 'size' bytes from one source port.
UDP = r'''
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[3])))
for _ in range(int(sys.argv[4])):
    s.sendto(b"x" * int(sys.argv[5]), (sys.argv[1], int(sys.argv[2])))
'''
# Opens a TCP connection, sends a line, reads the answer; prints its port.
TCP = r'''
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1)
print(s.getsockname()[1])
s.sendall(b"hello\n")
s.recv(100)
s.close()
'''
# B: a TCP listener on 22 that answers "ok" and a UDP sink on 5000.
SERVER = "#!/bin/sh\nexec /usr/bin/python3 -c '%s'\n" % (
    "import socket, threading\n"
    "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nu.bind((\"0.0.0.0\", 5000))\n"
    "threading.Thread(target=lambda: [u.recv(2048) for _ in iter(int, 1)], daemon=True).start()\n"
    "s = socket.socket()\ns.bind((\"0.0.0.0\", 22))\ns.listen(8)\n"
    "while True:\n c, a = s.accept()\n c.recv(100)\n c.sendall(b\"ok\\n\")\n c.close()\n")


@pytest.fixture
def site(make_dp_daemon):
    """A in subnet 1 (default group), B in subnet 2 with a group that
    allows TCP 22, UDP 5000 and ICMP from the VPC; a flow log on the VPC
    to log group "flows" (default format) and one on B's interface to S3
    with a custom format."""
    dp = make_dp_daemon(args=["--set", "flow-logs-window=%d" % WINDOW]).start()
    ec2 = dp.client()
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    sn = [ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.%d.0/24" % i)["Subnet"]["SubnetId"]
          for i in (1, 2)]
    sg = ec2.create_security_group(VpcId=vpc, GroupName="b", Description="b")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]},
        {"IpProtocol": "udp", "FromPort": 5000, "ToPort": 5000,
         "IpRanges": [{"CidrIp": "10.0.0.0/16"}]},
        {"IpProtocol": "icmp", "FromPort": -1, "ToPort": -1,
         "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}])
    a = ec2.run_instances(ImageId="ami-00000000", MinCount=1, MaxCount=1,
                          SubnetId=sn[0])["Instances"][0]
    b = ec2.run_instances(ImageId="ami-00000000", MinCount=1, MaxCount=1, SubnetId=sn[1],
                          SecurityGroupIds=[sg], UserData=SERVER)["Instances"][0]
    wait_running(ec2, [a["InstanceId"], b["InstanceId"]])
    eni = lambda i: i["NetworkInterfaces"][0]["NetworkInterfaceId"]
    ec2.create_flow_logs(ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL",
                         LogGroupName="flows", DeliverLogsPermissionArn=ROLE)
    ec2.create_flow_logs(
        ResourceIds=[eni(b)], ResourceType="NetworkInterface", TrafficType="ALL",
        LogDestinationType="s3", LogDestination="arn:aws:s3:::flow-bucket/team",
        LogFormat="${version} ${vpc-id} ${subnet-id} ${instance-id} ${interface-id} "
                  "${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} "
                  "${bytes} ${action} ${tcp-flags} ${type} ${pkt-srcaddr} ${pkt-dstaddr} "
                  "${flow-direction} ${traffic-path} ${log-status}")
    account = ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["OwnerId"]
    s = {"dp": dp, "ec2": ec2, "vpc": vpc, "subnets": sn, "account": account,
         "a": a["InstanceId"], "a_ip": a["PrivateIpAddress"], "a_eni": eni(a),
         "b": b["InstanceId"], "b_ip": b["PrivateIpAddress"], "b_eni": eni(b)}
    deadline = time.time() + 10
    while time.time() < deadline and dp.run_in(s["a"], "/usr/bin/python3", "-c", TCP,
                                                s["b_ip"], "22").returncode != 0:
        time.sleep(0.2)
    # Let the flow logs' first windows pass, so what follows is the test's.
    time.sleep(WINDOW + 1)
    return s


def s3_rows(s):
    """The rows of the S3 flow log (B's interface) by field name, from
    objects named as AWS names them."""
    rows = []
    for o in sorted(glob.glob(os.path.join(
            s["dp"].data_dir, "flowlogs", "s3", "flow-bucket", "team", "AWSLogs", s["account"],
            "vpcflowlogs", "us-east-1", "20[0-9][0-9]", "[01][0-9]", "[0-3][0-9]",
            "%s_vpcflowlogs_us-east-1_fl-*_*T*Z_*.log.gz" % s["account"]))):
        with gzip.open(o, "rt") as f:
            lines = f.read().splitlines()
        rows += [dict(zip(lines[0].split(), l.split())) for l in lines[1:]]
    return rows


def wait_s3_rows(s, **want):
    """The S3 rows whose named fields equal 'want', once there are any."""
    deadline = time.time() + 4 * WINDOW + 4
    while True:
        rows = [r for r in s3_rows(s) if all(r.get(k) == v for k, v in want.items())]
        if rows:
            return rows
        assert time.time() < deadline, "no S3 record %s" % want
        time.sleep(0.5)


def stream(s, eni):
    path = os.path.join(s["dp"].data_dir, "flowlogs", "cloudwatch", "flows", eni + "-all")
    with open(path) as f:
        return [line.split() for line in f]


def records(lines, **want):
    """The records whose named fields (default format) equal 'want'."""
    names = ["version", "account", "eni", "src", "dst", "sport", "dport", "proto",
             "packets", "bytes", "start", "end", "action", "status"]
    return [dict(zip(names, r)) for r in lines
            if all(dict(zip(names, r)).get(k) == str(v) for k, v in want.items())]


def wait_records(s, eni, timeout=4 * WINDOW + 4, **want):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = records(stream(s, eni), **want)
        if got:
            return got
        time.sleep(0.5)
    raise AssertionError("no record %s on %s:\n%s" % (want, eni, stream(s, eni)[-10:]))


def test_accepted_udp_and_tcp_are_logged_on_both_interfaces(site):
    s, dp = site, site["dp"]
    t0 = int(time.time())
    r = dp.run_in(s["a"], "/usr/bin/python3", "-c", UDP, s["b_ip"], "5000", "40000", "5", "100")
    assert r.returncode == 0, r.stderr
    # Five datagrams of 100 bytes: 5 packets, 5 x (100 + 8 + 20) bytes,
    # the same on A's interface (egress) and B's (ingress); no reply.
    for eni in (s["a_eni"], s["b_eni"]):
        [rec] = wait_records(s, eni, src=s["a_ip"], dst=s["b_ip"], sport=40000, dport=5000)
        assert rec["version"] == "2" and rec["account"] == s["account"]
        assert rec["eni"] == eni and rec["proto"] == "17"
        assert (rec["packets"], rec["bytes"]) == ("5", "640")
        assert rec["action"] == "ACCEPT" and rec["status"] == "OK"
        assert t0 - 1 <= int(rec["start"]) <= int(rec["end"]) <= time.time() + 1
    assert not records(stream(s, s["a_eni"]), src=s["b_ip"], sport=5000)
    # A TCP connection: one record each way on each interface, the same
    # counts seen from both sides.
    port = dp.run_in(s["a"], "/usr/bin/python3", "-c", TCP, s["b_ip"], "22").stdout.strip()
    out_a = wait_records(s, s["a_eni"], src=s["a_ip"], sport=port, dport=22)
    back_a = wait_records(s, s["a_eni"], src=s["b_ip"], dport=port, sport=22)
    out_b = wait_records(s, s["b_eni"], src=s["a_ip"], sport=port, dport=22)
    back_b = wait_records(s, s["b_eni"], src=s["b_ip"], dport=port, sport=22)
    sent = sum(int(r["packets"]) for r in out_a)
    assert sent >= 4 and sent == sum(int(r["packets"]) for r in out_b)
    assert sum(int(r["bytes"]) for r in out_a) == sum(int(r["bytes"]) for r in out_b)
    # Six bytes of data, at least 40 bytes of headers a packet.
    assert sum(int(r["bytes"]) for r in out_a) >= 6 + 40 * sent
    assert sum(int(r["packets"]) for r in back_a) == sum(int(r["packets"]) for r in back_b) >= 3
    # The S3 objects of B's interface: the custom fields, in AWS's key layout.
    rows = s3_rows(s)
    assert rows and list(rows[0])[:5] == ["version", "vpc-id", "subnet-id", "instance-id", "interface-id"]
    syn = [r for r in rows if r["dstport"] == "22" and r["srcport"] == port]
    assert syn and all(r["version"] == "5" and r["vpc-id"] == s["vpc"] for r in syn)
    assert syn[0]["subnet-id"] == s["subnets"][1] and syn[0]["instance-id"] == s["b"]
    assert syn[0]["flow-direction"] == "ingress" and syn[0]["type"] == "IPv4"
    assert int(syn[0]["tcp-flags"]) & 2 and syn[0]["pkt-dstaddr"] == s["b_ip"]
    reply = [r for r in rows if r["srcport"] == "22" and r["dstport"] == port]
    assert reply[0]["flow-direction"] == "egress" and reply[0]["traffic-path"] == "1"
    assert int(reply[0]["tcp-flags"]) & 0x12 == 0x12
    # A window without traffic says NODATA; vpcctl flow-logs prints the
    # records of both destinations.
    wait_records(s, s["b_eni"], status="NODATA")
    out = subprocess.run([VPCCTL, "--data-dir", dp.data_dir, "flow-logs", s["b_eni"]],
                         capture_output=True, text=True, check=True).stdout
    assert "%s %s 40000 5000 17 5 640" % (s["a_ip"], s["b_ip"]) in out
    assert "NODATA" in out


def test_rejects_are_logged_where_they_happen(site):
    s, dp, ec2 = site, site["dp"], site["ec2"]
    # B's group does not allow port 23: REJECT on B's interface (ingress).
    dp.run_in(s["a"], "/usr/bin/python3", "-c", TCP, s["b_ip"], "23")
    rej = wait_records(s, s["b_eni"], src=s["a_ip"], dst=s["b_ip"], dport=23, action="REJECT")
    assert int(rej[0]["packets"]) >= 1 and rej[0]["proto"] == "6"
    assert not records(stream(s, s["a_eni"]), dport=23, action="REJECT")
    # AWS's example: the group allows the ping, B's subnet's network ACL
    # denies the reply: ACCEPT (the request) then REJECT (the reply) on B.
    acl = ec2.create_network_acl(VpcId=s["vpc"])["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="-1",
                                 RuleAction="allow", Egress=False, CidrBlock="0.0.0.0/0")
    assoc = [a["NetworkAclAssociationId"] for n in ec2.describe_network_acls(
        Filters=[{"Name": "association.subnet-id", "Values": [s["subnets"][1]]}])[
        "NetworkAcls"] for a in n["Associations"] if a["SubnetId"] == s["subnets"][1]][0]
    ec2.replace_network_acl_association(AssociationId=assoc, NetworkAclId=acl)
    time.sleep(0.5)
    assert dp.run_in(s["a"], "ping", "-c", "2", "-W", "1", s["b_ip"]).returncode != 0
    acc = wait_records(s, s["b_eni"], src=s["a_ip"], dst=s["b_ip"], proto=1, action="ACCEPT")
    rej = wait_records(s, s["b_eni"], src=s["b_ip"], dst=s["a_ip"], proto=1, action="REJECT")
    assert int(acc[0]["packets"]) >= 1 and int(rej[0]["packets"]) >= 1
    # /metrics counts the VPC's rejected packets by side; no event was lost.
    m = dp.metrics()
    rejected = lambda side: m[("vpcd_vpc_rejected_packets_total",
                               (("vpc_id", s["vpc"]), ("side", side)))]
    assert rejected("in") >= 1 and rejected("out") >= 1
    assert m[("vpcd_flow_log_lost_events_total", ())] == 0
    assert ("vpcd_vpc_connections", (("vpc_id", s["vpc"]),)) in m


def test_internet_traffic_path(site):
    s, dp, ec2 = site, site["dp"], site["ec2"]
    # B gets an Elastic IP and a route to an internet gateway, and talks
    # to the internet host: egress through the gateway is traffic-path 8,
    # with B's private address as AWS records it.
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=s["vpc"])
    main = ec2.describe_route_tables(Filters=[
        {"Name": "vpc-id", "Values": [s["vpc"]]},
        {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]["RouteTableId"]
    ec2.create_route(RouteTableId=main, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_address(InstanceId=s["b"], AllocationId=ec2.allocate_address(
        Domain="vpc")["AllocationId"])
    listener = internet_listener(dp, [9100])
    try:
        deadline = time.time() + 10
        while ask(dp, {"id": s["b"]}, INTERNET_HOST, 9100) is None:
            assert time.time() < deadline, "B cannot reach the internet"
        out = wait_s3_rows(s, dstaddr=INTERNET_HOST)
    finally:
        listener.kill()
    back = [r for r in s3_rows(s) if r["srcaddr"] == INTERNET_HOST]
    assert out[0]["srcaddr"] == s["b_ip"] and out[0]["dstport"] == "9100"
    assert out[0]["flow-direction"] == "egress" and out[0]["traffic-path"] == "8"
    assert back and back[0]["flow-direction"] == "ingress" and back[0]["traffic-path"] == "-"


def test_peering_traffic_path(site):
    s, dp, ec2 = site, site["dp"], site["ec2"]
    # C in a peered VPC answers on 22: B's egress to it is traffic-path 4.
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    sn = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.1.0/24")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(VpcId=vpc, GroupName="c", Description="c")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
         "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}])
    c = ec2.run_instances(ImageId="ami-00000000", MinCount=1, MaxCount=1, SubnetId=sn,
                          SecurityGroupIds=[sg], UserData=SERVER)["Instances"][0]
    pcx = ec2.create_vpc_peering_connection(VpcId=s["vpc"], PeerVpcId=vpc)[
        "VpcPeeringConnection"]["VpcPeeringConnectionId"]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    for v, cidr in ((s["vpc"], "10.1.0.0/16"), (vpc, "10.0.0.0/16")):
        rtb = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [v]}])[
            "RouteTables"][0]["RouteTableId"]
        ec2.create_route(RouteTableId=rtb, DestinationCidrBlock=cidr,
                         VpcPeeringConnectionId=pcx)
    wait_running(ec2, [c["InstanceId"]])
    deadline = time.time() + 10
    while dp.run_in(s["b"], "/usr/bin/python3", "-c", TCP, c["PrivateIpAddress"],
                    "22").returncode != 0:
        assert time.time() < deadline, "B cannot reach C over the peering"
        time.sleep(0.2)
    out = wait_s3_rows(s, dstaddr=c["PrivateIpAddress"])
    assert out[0]["flow-direction"] == "egress" and out[0]["traffic-path"] == "4"
    assert out[0]["action"] == "ACCEPT" and out[0]["dstport"] == "22"


def test_not_logged_and_flow_log_removal(site):
    s, dp, ec2 = site, site["dp"], site["ec2"]
    # The router's own address and the VPC's DNS address are not logged.
    dp.run_in(s["a"], "ping", "-c", "1", "-W", "1", "10.0.1.1")
    dp.run_in(s["a"], "/usr/bin/python3", "-c", UDP, "10.0.0.2", "53", "40001", "1", "30")
    time.sleep(2 * WINDOW + 1)
    lines = stream(s, s["a_eni"])
    assert not records(lines, dst="10.0.1.1") and not records(lines, dst="10.0.0.2")
    # Deleting the flow log stops its records.
    for fl in ec2.describe_flow_logs()["FlowLogs"]:
        ec2.delete_flow_logs(FlowLogIds=[fl["FlowLogId"]])
    time.sleep(WINDOW + 1)
    n = len(stream(s, s["a_eni"]))
    dp.run_in(s["a"], "/usr/bin/python3", "-c", UDP, s["b_ip"], "5000", "40002", "1", "10")
    time.sleep(2 * WINDOW + 1)
    assert len(stream(s, s["a_eni"])) == n
