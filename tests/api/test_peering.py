"""VPC peering connections through the API: the states and who may move
them, overlapping blocks, one connection per pair, routes, cross-account
requests, options, security group references to the peer VPC."""
import datetime

import pytest

from vpcdtest import fails


def vpc(ec2, cidr):
    return ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]


def pcx(ec2, pid):
    return ec2.describe_vpc_peering_connections(
        VpcPeeringConnectionIds=[pid])["VpcPeeringConnections"][0]


def test_request_accept_delete(ec2, vpcd):
    a, b = vpc(ec2, "10.0.0.0/16"), vpc(ec2, "10.1.0.0/16")
    p = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=b)["VpcPeeringConnection"]
    pid = p["VpcPeeringConnectionId"]
    assert pid.startswith("pcx-") and len(pid) == 21
    account = ec2.describe_vpcs(VpcIds=[a])["Vpcs"][0]["OwnerId"]
    assert p["Status"] == {"Code": "pending-acceptance",
                           "Message": "Pending Acceptance by %s" % account}
    assert p["RequesterVpcInfo"]["VpcId"] == a
    assert p["RequesterVpcInfo"]["CidrBlock"] == "10.0.0.0/16"
    assert p["RequesterVpcInfo"]["OwnerId"] == account
    assert p["RequesterVpcInfo"]["Region"] == "us-east-1"
    assert p["AccepterVpcInfo"]["VpcId"] == b and "CidrBlock" not in p["AccepterVpcInfo"]
    # The request expires seven days after it was made.
    left = p["ExpirationTime"] - datetime.datetime.now(datetime.timezone.utc)
    assert datetime.timedelta(days=6, hours=23) < left <= datetime.timedelta(days=7)
    acc = ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pid)["VpcPeeringConnection"]
    assert acc["Status"] == {"Code": "active", "Message": "Active"}
    assert acc["AccepterVpcInfo"]["CidrBlock"] == "10.1.0.0/16"
    assert acc["AccepterVpcInfo"]["PeeringOptions"]["AllowDnsResolutionFromRemoteVpc"] is False
    assert "ExpirationTime" not in acc
    fails("InvalidStateTransition", ec2.accept_vpc_peering_connection, VpcPeeringConnectionId=pid)
    fails("InvalidStateTransition", ec2.reject_vpc_peering_connection, VpcPeeringConnectionId=pid)
    # Routes to it, in either VPC, and none in a third.
    rtb_a = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [a]}])[
        "RouteTables"][0]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb_a, DestinationCidrBlock="10.1.0.0/16",
                     VpcPeeringConnectionId=pid)
    route = [r for r in ec2.describe_route_tables(RouteTableIds=[rtb_a])["RouteTables"][0][
        "Routes"] if r["DestinationCidrBlock"] == "10.1.0.0/16"][0]
    assert route["VpcPeeringConnectionId"] == pid and route["State"] == "active"
    c = vpc(ec2, "10.2.0.0/16")
    rtb_c = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [c]}])[
        "RouteTables"][0]["RouteTableId"]
    fails("InvalidParameterValue", ec2.create_route, RouteTableId=rtb_c,
          DestinationCidrBlock="10.1.0.0/16", VpcPeeringConnectionId=pid)
    # Either side deletes it; routes to it become blackholes.
    assert ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pid)["Return"] is True
    d = pcx(ec2, pid)
    assert d["Status"] == {"Code": "deleted", "Message": "Deleted by %s" % account}
    route = [r for r in ec2.describe_route_tables(RouteTableIds=[rtb_a])["RouteTables"][0][
        "Routes"] if r["DestinationCidrBlock"] == "10.1.0.0/16"][0]
    assert route["State"] == "blackhole"
    fails("InvalidStateTransition", ec2.delete_vpc_peering_connection,
          VpcPeeringConnectionId=pid)
    fails("InvalidVpcPeeringConnectionID.NotFound", ec2.replace_route, RouteTableId=rtb_a,
          DestinationCidrBlock="10.1.0.0/16", VpcPeeringConnectionId=pid)
    # A new connection between the same VPCs is possible once it is gone.
    ec2.create_vpc_peering_connection(VpcId=b, PeerVpcId=a)


def test_overlap_fails_and_one_per_pair(ec2):
    a, b = vpc(ec2, "10.0.0.0/16"), vpc(ec2, "10.0.128.0/17")
    p = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=b)["VpcPeeringConnection"]
    assert p["Status"]["Code"] == "failed"
    assert "overlapping CIDR" in p["Status"]["Message"]
    fails("InvalidStateTransition", ec2.accept_vpc_peering_connection,
          VpcPeeringConnectionId=p["VpcPeeringConnectionId"])
    # A secondary block counts too.
    c = vpc(ec2, "10.5.0.0/16")
    ec2.associate_vpc_cidr_block(VpcId=c, CidrBlock="10.0.200.0/24")
    assert ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=c)[
        "VpcPeeringConnection"]["Status"]["Code"] == "failed"
    d = vpc(ec2, "10.9.0.0/16")
    first = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=d)["VpcPeeringConnection"]
    fails("VpcPeeringConnectionAlreadyExists", ec2.create_vpc_peering_connection,
          VpcId=d, PeerVpcId=a)
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=first["VpcPeeringConnectionId"])
    fails("VpcPeeringConnectionAlreadyExists", ec2.create_vpc_peering_connection,
          VpcId=a, PeerVpcId=d)


def test_reject_and_bad_requests(ec2):
    a, b = vpc(ec2, "10.0.0.0/16"), vpc(ec2, "10.1.0.0/16")
    pid = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=b)[
        "VpcPeeringConnection"]["VpcPeeringConnectionId"]
    assert ec2.reject_vpc_peering_connection(VpcPeeringConnectionId=pid)["Return"] is True
    assert pcx(ec2, pid)["Status"]["Code"] == "rejected"
    fails("InvalidStateTransition", ec2.accept_vpc_peering_connection, VpcPeeringConnectionId=pid)
    fails("MissingParameter", ec2.create_vpc_peering_connection, VpcId=a)
    fails("InvalidVpcID.NotFound", ec2.create_vpc_peering_connection, VpcId=a,
          PeerVpcId="vpc-0123456789abcdef0")
    fails("InvalidVpcID.NotFound", ec2.create_vpc_peering_connection,
          VpcId="vpc-0123456789abcdef0", PeerVpcId=b)
    fails("InvalidParameterValue", ec2.create_vpc_peering_connection, VpcId=a, PeerVpcId=b,
          PeerRegion="eu-west-1")
    fails("DryRunOperation", ec2.create_vpc_peering_connection, VpcId=a, PeerVpcId=b,
          DryRun=True)
    fails("InvalidVpcPeeringConnectionID.NotFound", ec2.accept_vpc_peering_connection,
          VpcPeeringConnectionId="pcx-0123456789abcdef0")
    fails("InvalidVpcPeeringConnectionID.NotFound", ec2.describe_vpc_peering_connections,
          VpcPeeringConnectionIds=["pcx-0123456789abcdef0"])
    assert [p["Status"]["Code"] for p in
            ec2.describe_vpc_peering_connections()["VpcPeeringConnections"]] == ["rejected"]


def test_across_accounts(vpcd, ec2):
    other_id, key, secret = vpcd.new_account("peer")
    other = vpcd.client(keys=(key, secret))
    a = vpc(ec2, "10.0.0.0/16")
    b = vpc(other, "10.1.0.0/16")
    me = ec2.describe_vpcs(VpcIds=[a])["Vpcs"][0]["OwnerId"]
    # Without PeerOwnerId the peer VPC is looked for in the caller's account.
    fails("InvalidVpcID.NotFound", ec2.create_vpc_peering_connection, VpcId=a, PeerVpcId=b)
    p = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=b, PeerOwnerId=other_id,
                                          TagSpecifications=[{
                                              "ResourceType": "vpc-peering-connection",
                                              "Tags": [{"Key": "Name", "Value": "ab"}]}])[
        "VpcPeeringConnection"]
    pid = p["VpcPeeringConnectionId"]
    assert p["Status"]["Message"] == "Pending Acceptance by %s" % other_id
    assert p["Tags"] == [{"Key": "Name", "Value": "ab"}]
    # Both accounts see it; only the accepter accepts; only the requester
    # deletes a pending request.
    assert pcx(other, pid)["RequesterVpcInfo"]["OwnerId"] == me
    fails("OperationNotPermitted", ec2.accept_vpc_peering_connection, VpcPeeringConnectionId=pid)
    fails("OperationNotPermitted", other.delete_vpc_peering_connection,
          VpcPeeringConnectionId=pid)
    other.accept_vpc_peering_connection(VpcPeeringConnectionId=pid)
    assert pcx(ec2, pid)["Status"]["Code"] == "active"
    # A third account sees nothing.
    _, k3, s3 = vpcd.new_account("third")
    third = vpcd.client(keys=(k3, s3))
    assert third.describe_vpc_peering_connections()["VpcPeeringConnections"] == []
    fails("InvalidVpcPeeringConnectionID.NotFound", third.delete_vpc_peering_connection,
          VpcPeeringConnectionId=pid)
    # Each side sets only its own options; ClassicLink is gone.
    r = ec2.modify_vpc_peering_connection_options(
        VpcPeeringConnectionId=pid,
        RequesterPeeringConnectionOptions={"AllowDnsResolutionFromRemoteVpc": True})
    assert r["RequesterPeeringConnectionOptions"]["AllowDnsResolutionFromRemoteVpc"] is True
    fails("OperationNotPermitted", ec2.modify_vpc_peering_connection_options,
          VpcPeeringConnectionId=pid,
          AccepterPeeringConnectionOptions={"AllowDnsResolutionFromRemoteVpc": True})
    fails("UnsupportedOperation", other.modify_vpc_peering_connection_options,
          VpcPeeringConnectionId=pid,
          AccepterPeeringConnectionOptions={"AllowEgressFromLocalClassicLinkToRemoteVpc": True})
    d = pcx(other, pid)
    assert d["RequesterVpcInfo"]["PeeringOptions"]["AllowDnsResolutionFromRemoteVpc"] is True
    assert d["AccepterVpcInfo"]["PeeringOptions"]["AllowDnsResolutionFromRemoteVpc"] is False
    # A security group may reference a group of the peer VPC (with its
    # owner), which shows the peering; without the peering it may not.
    sg_b = other.create_security_group(VpcId=b, GroupName="web", Description="w")["GroupId"]
    sg_a = ec2.create_security_group(VpcId=a, GroupName="app", Description="a")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg_a, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
        "UserIdGroupPairs": [{"GroupId": sg_b, "UserId": other_id}]}])
    pair = ec2.describe_security_groups(GroupIds=[sg_a])["SecurityGroups"][0][
        "IpPermissions"][0]["UserIdGroupPairs"][0]
    assert pair["GroupId"] == sg_b and pair["UserId"] == other_id and pair["VpcId"] == b
    assert pair["VpcPeeringConnectionId"] == pid and pair["PeeringStatus"] == "active"
    # The accepter deletes the active connection: the reference is stale.
    other.delete_vpc_peering_connection(VpcPeeringConnectionId=pid)
    assert pcx(ec2, pid)["Status"]["Message"] == "Deleted by %s" % other_id
    pair = ec2.describe_security_groups(GroupIds=[sg_a])["SecurityGroups"][0][
        "IpPermissions"][0]["UserIdGroupPairs"][0]
    assert pair["PeeringStatus"] == "deleted"
    fails("InvalidGroup.NotFound", ec2.authorize_security_group_ingress, GroupId=sg_a,
          IpPermissions=[{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
                          "UserIdGroupPairs": [{"GroupId": sg_b, "UserId": other_id}]}])


def test_filters_quota_and_vpc_deletion(make_daemon):
    d = make_daemon(args=["--set", "quota.active-vpc-peering-connections-per-vpc=2",
                          "--set", "quota.outstanding-vpc-peering-connection-requests=3",
                          "--set", "quota.vpcs-per-region=10"]).start()
    ec2 = d.client()
    hub = vpc(ec2, "10.0.0.0/16")
    spokes = [vpc(ec2, "10.%d.0.0/16" % i) for i in range(1, 5)]
    ids = [ec2.create_vpc_peering_connection(VpcId=hub, PeerVpcId=s)[
        "VpcPeeringConnection"]["VpcPeeringConnectionId"] for s in spokes[:3]]
    fails("OutstandingVpcPeeringConnectionLimitExceeded", ec2.create_vpc_peering_connection,
          VpcId=hub, PeerVpcId=spokes[3])
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=ids[0])
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=ids[1])
    fails("VpcPeeringConnectionLimitExceeded", ec2.accept_vpc_peering_connection,
          VpcPeeringConnectionId=ids[2])
    f = lambda name, *v: [p["VpcPeeringConnectionId"] for p in
                          ec2.describe_vpc_peering_connections(
                              Filters=[{"Name": name, "Values": list(v)}])[
                              "VpcPeeringConnections"]]
    assert f("status-code", "active") == ids[:2]
    assert f("status-code", "pending-acceptance") == [ids[2]]
    assert f("accepter-vpc-info.vpc-id", spokes[1]) == [ids[1]]
    assert f("requester-vpc-info.cidr-block", "10.0.0.0/16") == ids
    assert f("accepter-vpc-info.cidr-block", "10.2.0.0/16") == [ids[1]]
    assert f("vpc-peering-connection-id", ids[2]) == [ids[2]]
    assert f("status-message", "Active") == ids[:2]
    assert len(f("expiration-time", "*")) == 1
    page = ec2.describe_vpc_peering_connections(MaxResults=5)
    assert len(page["VpcPeeringConnections"]) == 3 and "NextToken" not in page
    # Deleting a VPC deletes its connections.
    ec2.delete_vpc(VpcId=spokes[0])
    assert pcx(ec2, ids[0])["Status"]["Code"] == "deleted"
    # They survive a restart.
    before = ec2.describe_vpc_peering_connections()["VpcPeeringConnections"]
    d.stop()
    d.start()
    assert d.client().describe_vpc_peering_connections()["VpcPeeringConnections"] == before
