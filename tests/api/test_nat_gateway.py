"""NAT gateways through the API (no data plane: transitions complete at
once): what CreateNatGateway checks at once and what puts a gateway in
state failed, its interface and Elastic IP, routes to it, deletion."""
import pytest

from vpcdtest import fails


@pytest.fixture
def net(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    pub = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24",
                            AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    priv = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24",
                             AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=rtb, SubnetId=priv)
    return {"vpc": vpc, "public": pub, "private": priv, "igw": igw, "rtb": rtb}


def natgw(ec2, nid):
    return ec2.describe_nat_gateways(NatGatewayIds=[nid])["NatGateways"][0]


def create_public(ec2, net, **kw):
    alloc = ec2.allocate_address(Domain="vpc")
    gw = ec2.create_nat_gateway(SubnetId=net["public"], AllocationId=alloc["AllocationId"],
                                **kw)["NatGateway"]
    return gw, alloc


def test_public_gateway_interface_and_address(ec2, net):
    gw, alloc = create_public(ec2, net)
    nid = gw["NatGatewayId"]
    assert nid.startswith("nat-") and len(nid) == 21
    assert gw["VpcId"] == net["vpc"] and gw["SubnetId"] == net["public"]
    assert gw["ConnectivityType"] == "public" and "CreateTime" in gw
    d = natgw(ec2, nid)
    assert d["State"] == "available" and "FailureCode" not in d
    [a] = d["NatGatewayAddresses"]
    assert a["AllocationId"] == alloc["AllocationId"] and a["PublicIp"] == alloc["PublicIp"]
    assert a["PrivateIp"] == "10.0.0.4"
    eni = ec2.describe_network_interfaces(
        NetworkInterfaceIds=[a["NetworkInterfaceId"]])["NetworkInterfaces"][0]
    assert eni["InterfaceType"] == "nat_gateway" and eni["RequesterManaged"] is True
    assert eni["Description"] == "Interface for NAT Gateway " + nid
    assert eni["Groups"] == [] and eni["PrivateIpAddress"] == "10.0.0.4"
    assert eni["Association"]["PublicIp"] == alloc["PublicIp"]
    # The Elastic IP is associated with the gateway's interface.
    addr = ec2.describe_addresses(AllocationIds=[alloc["AllocationId"]])["Addresses"][0]
    assert addr["NetworkInterfaceId"] == eni["NetworkInterfaceId"]
    assert "InstanceId" not in addr
    # Neither the interface nor the address can be changed by the user.
    eid = eni["NetworkInterfaceId"]
    fails("OperationNotPermitted", ec2.delete_network_interface, NetworkInterfaceId=eid)
    fails("OperationNotPermitted", ec2.modify_network_interface_attribute,
          NetworkInterfaceId=eid, SourceDestCheck={"Value": False})
    fails("OperationNotPermitted", ec2.disassociate_address,
          AssociationId=addr["AssociationId"])
    fails("InvalidIPAddress.InUse", ec2.release_address, AllocationId=alloc["AllocationId"])
    # The subnet and the internet gateway are in use.
    fails("DependencyViolation", ec2.delete_subnet, SubnetId=net["public"])
    fails("DependencyViolation", ec2.detach_internet_gateway,
          InternetGatewayId=net["igw"], VpcId=net["vpc"])


def test_routes_and_deletion(ec2, net):
    gw, alloc = create_public(ec2, net)
    nid = gw["NatGatewayId"]
    ec2.create_route(RouteTableId=net["rtb"], DestinationCidrBlock="0.0.0.0/0",
                     NatGatewayId=nid)
    route = lambda: [r for r in ec2.describe_route_tables(RouteTableIds=[net["rtb"]])
                     ["RouteTables"][0]["Routes"] if r["DestinationCidrBlock"] == "0.0.0.0/0"][0]
    assert route()["NatGatewayId"] == nid and route()["State"] == "active"
    eni = natgw(ec2, nid)["NatGatewayAddresses"][0]["NetworkInterfaceId"]
    assert ec2.delete_nat_gateway(NatGatewayId=nid)["NatGatewayId"] == nid
    d = natgw(ec2, nid)
    assert d["State"] == "deleted" and d["DeleteTime"] >= d["CreateTime"]
    assert d["NatGatewayAddresses"][0]["PublicIp"] == alloc["PublicIp"]
    # The route stays, as a blackhole; the interface is gone, the address free.
    assert route()["NatGatewayId"] == nid and route()["State"] == "blackhole"
    fails("InvalidNetworkInterfaceID.NotFound", ec2.describe_network_interfaces,
          NetworkInterfaceIds=[eni])
    assert "AssociationId" not in ec2.describe_addresses(
        AllocationIds=[alloc["AllocationId"]])["Addresses"][0]
    # Deleting again changes nothing; a new route cannot target it.
    ec2.delete_nat_gateway(NatGatewayId=nid)
    fails("InvalidNatGatewayID.NotFound", ec2.replace_route, RouteTableId=net["rtb"],
          DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nid)
    ec2.release_address(AllocationId=alloc["AllocationId"])
    ec2.delete_subnet(SubnetId=net["public"])


def test_failed_gateways(ec2, net):
    # An address already in use: the gateway fails, as on AWS, after creation.
    gw, alloc = create_public(ec2, net)
    other = ec2.create_nat_gateway(SubnetId=net["public"],
                                   AllocationId=alloc["AllocationId"])["NatGateway"]
    d = natgw(ec2, other["NatGatewayId"])
    assert d["State"] == "failed" and d["FailureCode"] == "Resource.AlreadyAssociated"
    assert d["FailureMessage"] == ("Elastic IP address %s is already associated"
                                   % alloc["AllocationId"])
    assert "NetworkInterfaceId" not in d["NatGatewayAddresses"][0]
    # No internet gateway: Gateway.NotAttached.
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    sn = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.0.0/28")["Subnet"]["SubnetId"]
    alloc2 = ec2.allocate_address(Domain="vpc")
    nid = ec2.create_nat_gateway(SubnetId=sn, AllocationId=alloc2["AllocationId"])[
        "NatGateway"]["NatGatewayId"]
    d = natgw(ec2, nid)
    assert (d["State"], d["FailureCode"]) == ("failed", "Gateway.NotAttached")
    assert d["FailureMessage"] == "Network %s has no Internet gateway attached" % vpc
    assert ec2.describe_network_interfaces(
        Filters=[{"Name": "subnet-id", "Values": [sn]}])["NetworkInterfaces"] == []
    # A full subnet: InsufficientFreeAddressesInSubnet (a /28 has 11 addresses).
    for _ in range(11):
        ec2.create_network_interface(SubnetId=sn)
    nid2 = ec2.create_nat_gateway(SubnetId=sn, ConnectivityType="private")[
        "NatGateway"]["NatGatewayId"]
    assert natgw(ec2, nid2)["FailureCode"] == "InsufficientFreeAddressesInSubnet"
    # A failed gateway cannot be routed to; deleting it ends it at once.
    fails("InvalidNatGatewayID.NotFound", ec2.create_route, RouteTableId=net["rtb"],
          DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nid)
    ec2.delete_nat_gateway(NatGatewayId=nid)
    assert natgw(ec2, nid)["State"] == "deleted"
    ec2.release_address(AllocationId=alloc2["AllocationId"])


def test_private_gateway(ec2, net):
    gw = ec2.create_nat_gateway(SubnetId=net["private"], ConnectivityType="private",
                                PrivateIpAddress="10.0.1.50")["NatGateway"]
    d = natgw(ec2, gw["NatGatewayId"])
    assert d["ConnectivityType"] == "private" and d["State"] == "available"
    [a] = d["NatGatewayAddresses"]
    assert a["PrivateIp"] == "10.0.1.50" and "PublicIp" not in a and "AllocationId" not in a
    fails("InvalidIPAddress.InUse", ec2.create_nat_gateway, SubnetId=net["private"],
          ConnectivityType="private", PrivateIpAddress="10.0.1.50")


def test_bad_requests_change_nothing(ec2, net):
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    fails("MissingParameter", ec2.create_nat_gateway, SubnetId="", AllocationId=alloc)
    fails("InvalidSubnetID.NotFound", ec2.create_nat_gateway, SubnetId="subnet-0123456789abcdef0",
          AllocationId=alloc)
    fails("MissingParameter", ec2.create_nat_gateway, SubnetId=net["public"])
    fails("InvalidAllocationID.NotFound", ec2.create_nat_gateway, SubnetId=net["public"],
          AllocationId="eipalloc-0123456789abcdef0")
    fails("InvalidParameterCombination", ec2.create_nat_gateway, SubnetId=net["public"],
          AllocationId=alloc, ConnectivityType="private")
    fails("InvalidParameterValue", ec2.create_nat_gateway, SubnetId=net["public"],
          AllocationId=alloc, ConnectivityType="internal")
    fails("InvalidParameterValue", ec2.create_nat_gateway, SubnetId=net["public"],
          AllocationId=alloc, PrivateIpAddress="10.0.9.9")
    fails("DryRunOperation", ec2.create_nat_gateway, SubnetId=net["public"],
          AllocationId=alloc, DryRun=True)
    assert ec2.describe_nat_gateways()["NatGateways"] == []
    assert ec2.describe_network_interfaces()["NetworkInterfaces"] == []
    e = fails("NatGatewayNotFound", ec2.describe_nat_gateways,
              NatGatewayIds=["nat-0123456789abcdef0"])
    assert "nat-0123456789abcdef0" in str(e.value)
    fails("NatGatewayNotFound", ec2.delete_nat_gateway, NatGatewayId="nat-0123456789abcdef0")
    fails("InvalidNatGatewayID.NotFound", ec2.create_route, RouteTableId=net["rtb"],
          DestinationCidrBlock="0.0.0.0/0", NatGatewayId="nat-0123456789abcdef0")
    # A gateway of another VPC is not a target.
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    nid = ec2.create_nat_gateway(SubnetId=net["public"], AllocationId=alloc)[
        "NatGateway"]["NatGatewayId"]
    fails("InvalidParameterValue", ec2.create_route, RouteTableId=rtb,
          DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nid)


def test_quota_per_zone(ec2, net):
    for _ in range(5):
        ec2.create_nat_gateway(SubnetId=net["private"], ConnectivityType="private")
    fails("NatGatewayLimitExceeded", ec2.create_nat_gateway, SubnetId=net["public"],
          ConnectivityType="private")
    # Another zone has its own five; a deleted gateway frees its place.
    sn_b = ec2.create_subnet(VpcId=net["vpc"], CidrBlock="10.0.2.0/24",
                             AvailabilityZone="us-east-1b")["Subnet"]["SubnetId"]
    ec2.create_nat_gateway(SubnetId=sn_b, ConnectivityType="private")
    first = ec2.describe_nat_gateways()["NatGateways"][0]["NatGatewayId"]
    ec2.delete_nat_gateway(NatGatewayId=first)
    ec2.create_nat_gateway(SubnetId=net["public"], ConnectivityType="private")


def test_filters_tags_pages_and_token(ec2, net):
    ids = []
    for i in range(6):
        ids.append(ec2.create_nat_gateway(
            SubnetId=net["private"] if i % 2 else net["public"], ConnectivityType="private",
            TagSpecifications=[{"ResourceType": "natgateway",
                                "Tags": [{"Key": "n", "Value": str(i)}]}])[
            "NatGateway"]["NatGatewayId"])
        if i == 0:  # five per zone
            ec2.delete_nat_gateway(NatGatewayId=ids[0])
    f = lambda name, *vals: [g["NatGatewayId"] for g in ec2.describe_nat_gateways(
        Filters=[{"Name": name, "Values": list(vals)}])["NatGateways"]]
    assert f("subnet-id", net["private"]) == ids[1::2]
    assert f("state", "deleted") == [ids[0]]
    assert f("state", "available") == ids[1:]
    assert f("tag:n", "2", "3") == ids[2:4]
    assert f("vpc-id", net["vpc"]) == ids
    assert f("nat-gateway-id", ids[4]) == [ids[4]]
    fails("InvalidParameterValue", ec2.describe_nat_gateways,
          Filters=[{"Name": "color", "Values": ["x"]}])
    page = ec2.describe_nat_gateways(MaxResults=5)
    rest = ec2.describe_nat_gateways(MaxResults=5, NextToken=page["NextToken"])
    assert [g["NatGatewayId"] for g in page["NatGateways"] + rest["NatGateways"]] == ids
    assert "NextToken" not in rest
    tags = ec2.describe_tags(Filters=[{"Name": "resource-type", "Values": ["natgateway"]}])
    assert len(tags["Tags"]) == 6
    # The same ClientToken and parameters: the same gateway, once.
    sn_b = ec2.create_subnet(VpcId=net["vpc"], CidrBlock="10.0.2.0/24",
                             AvailabilityZone="us-east-1b")["Subnet"]["SubnetId"]
    a = ec2.create_nat_gateway(SubnetId=sn_b, ConnectivityType="private",
                               ClientToken="tok-1")["NatGateway"]
    b = ec2.create_nat_gateway(SubnetId=sn_b, ConnectivityType="private",
                               ClientToken="tok-1")["NatGateway"]
    assert a["NatGatewayId"] == b["NatGatewayId"]
    assert len(ec2.describe_nat_gateways(Filters=[{"Name": "subnet-id", "Values": [sn_b]}])
               ["NatGateways"]) == 1
    fails("IdempotentParameterMismatch", ec2.create_nat_gateway, SubnetId=net["private"],
          ConnectivityType="private", ClientToken="tok-1")


def test_survives_restart(make_daemon):
    d = make_daemon().start()
    ec2 = d.client()
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    sn = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nid = ec2.create_nat_gateway(SubnetId=sn, AllocationId=alloc)["NatGateway"]["NatGatewayId"]
    failed = ec2.create_nat_gateway(SubnetId=sn, AllocationId=alloc)["NatGateway"]
    before = ec2.describe_nat_gateways()["NatGateways"]
    d.stop()
    d.start()
    after = d.client().describe_nat_gateways()["NatGateways"]
    assert after == before
    assert [g["NatGatewayId"] for g in after] == [nid, failed["NatGatewayId"]]
