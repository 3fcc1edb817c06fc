"""Subnets: CreateSubnet rules, DeleteSubnet, DescribeSubnets filters and
ModifySubnetAttribute."""
import botocore.exceptions
import pytest

from vpcdtest import error_code, http_status


@pytest.fixture
def vpc(ec2):
    return ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]


def create_subnet(ec2, vpc, cidr, **kw):
    return ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, **kw)["Subnet"]


def subnet_ids(ec2, *filters):
    flt = [{"Name": n, "Values": list(v)} for n, v in filters]
    return sorted(s["SubnetId"] for s in ec2.describe_subnets(Filters=flt)["Subnets"])


def test_create_subnet_fields(ec2, vpc):
    sn = create_subnet(ec2, vpc, "10.0.1.0/24", AvailabilityZone="us-east-1b")
    assert sn["SubnetId"].startswith("subnet-")
    assert sn["VpcId"] == vpc
    assert sn["CidrBlock"] == "10.0.1.0/24"
    assert sn["AvailabilityZone"] == "us-east-1b"
    assert sn["AvailabilityZoneId"] == "use1-az2"
    assert sn["State"] in ("pending", "available")
    assert sn["DefaultForAz"] is False
    assert sn["MapPublicIpOnLaunch"] is False
    assert sn["OwnerId"] == ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["OwnerId"]


def test_describe_subnet_is_available(ec2, vpc):
    sn = create_subnet(ec2, vpc, "10.0.1.0/24")["SubnetId"]
    got = ec2.describe_subnets(SubnetIds=[sn])["Subnets"]
    assert [s["State"] for s in got] == ["available"]


@pytest.mark.parametrize("cidr,count", [("10.0.1.0/24", 251), ("10.0.2.0/28", 11),
                                        ("10.0.0.0/16", 65531)])
def test_available_ip_address_count_reserves_five(ec2, vpc, cidr, count):
    sn = create_subnet(ec2, vpc, cidr)
    assert sn["AvailableIpAddressCount"] == count
    got = ec2.describe_subnets(SubnetIds=[sn["SubnetId"]])["Subnets"][0]
    assert got["AvailableIpAddressCount"] == count


def test_create_subnet_by_availability_zone_id(ec2, vpc):
    sn = create_subnet(ec2, vpc, "10.0.1.0/24", AvailabilityZoneId="use1-az3")
    assert sn["AvailabilityZone"] == "us-east-1c"
    assert sn["AvailabilityZoneId"] == "use1-az3"


def test_create_subnet_without_zone_picks_a_configured_zone(ec2, vpc):
    sn = create_subnet(ec2, vpc, "10.0.1.0/24")
    assert sn["AvailabilityZone"] in ("us-east-1a", "us-east-1b", "us-east-1c")


def test_create_subnet_outside_vpc_is_range_error(ec2, vpc):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        create_subnet(ec2, vpc, "10.1.0.0/24")
    assert error_code(e) == "InvalidSubnet.Range"
    assert ec2.describe_subnets()["Subnets"] == []


def test_create_subnet_larger_than_vpc_is_range_error(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/24")["Vpc"]["VpcId"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        create_subnet(ec2, vpc, "10.0.0.0/23")
    assert error_code(e) == "InvalidSubnet.Range"


def test_create_subnet_smaller_than_28_is_range_error(ec2, vpc):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        create_subnet(ec2, vpc, "10.0.0.0/29")
    assert error_code(e) == "InvalidSubnet.Range"


def test_create_subnet_as_large_as_vpc(ec2, vpc):
    assert create_subnet(ec2, vpc, "10.0.0.0/16")["CidrBlock"] == "10.0.0.0/16"


def test_create_subnet_28(ec2, vpc):
    assert create_subnet(ec2, vpc, "10.0.0.16/28")["CidrBlock"] == "10.0.0.16/28"


def test_create_subnet_overlap_is_conflict(ec2, vpc):
    create_subnet(ec2, vpc, "10.0.1.0/24")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        create_subnet(ec2, vpc, "10.0.1.128/25")
    assert error_code(e) == "InvalidSubnet.Conflict"
    assert len(ec2.describe_subnets()["Subnets"]) == 1


def test_create_subnet_same_cidr_in_other_vpc_is_fine(ec2, vpc):
    other = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    create_subnet(ec2, vpc, "10.0.1.0/24")
    create_subnet(ec2, other, "10.0.1.0/24")
    assert len(ec2.describe_subnets()["Subnets"]) == 2


def test_create_subnet_bad_zone(ec2, vpc):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        create_subnet(ec2, vpc, "10.0.1.0/24", AvailabilityZone="us-west-2a")
    assert error_code(e) == "InvalidParameterValue"


def test_create_subnet_malformed_cidr(ec2, vpc):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        create_subnet(ec2, vpc, "10.0.1.0/")
    assert error_code(e) == "InvalidParameterValue"


def test_create_subnet_unknown_vpc(ec2):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        create_subnet(ec2, "vpc-0123456789abcdef0", "10.0.1.0/24")
    assert error_code(e) == "InvalidVpcID.NotFound"


def test_create_subnet_with_tags(ec2, vpc):
    sn = create_subnet(ec2, vpc, "10.0.1.0/24", TagSpecifications=[
        {"ResourceType": "subnet", "Tags": [{"Key": "Name", "Value": "web"}]}])
    assert sn["Tags"] == [{"Key": "Name", "Value": "web"}]
    got = ec2.describe_subnets(SubnetIds=[sn["SubnetId"]])["Subnets"][0]
    assert got["Tags"] == [{"Key": "Name", "Value": "web"}]


def test_create_subnet_in_secondary_cidr_block(ec2, vpc):
    ec2.associate_vpc_cidr_block(VpcId=vpc, CidrBlock="10.1.0.0/16")
    sn = create_subnet(ec2, vpc, "10.1.5.0/24")
    assert sn["CidrBlock"] == "10.1.5.0/24"


def test_create_subnet_spanning_two_blocks_is_range_error(ec2, vpc):
    ec2.associate_vpc_cidr_block(VpcId=vpc, CidrBlock="10.1.0.0/16")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        create_subnet(ec2, vpc, "10.0.0.0/15")
    assert error_code(e) == "InvalidSubnet.Range"


def test_delete_subnet(ec2, vpc):
    sn = create_subnet(ec2, vpc, "10.0.1.0/24")["SubnetId"]
    ec2.delete_subnet(SubnetId=sn)
    assert ec2.describe_subnets()["Subnets"] == []
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.describe_subnets(SubnetIds=[sn])
    assert error_code(e) == "InvalidSubnetID.NotFound"


def test_delete_subnet_unknown(ec2):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.delete_subnet(SubnetId="subnet-0123456789abcdef0")
    assert error_code(e) == "InvalidSubnetID.NotFound"
    assert http_status(e) == 400


def test_deleted_subnet_cidr_can_be_reused(ec2, vpc):
    sn = create_subnet(ec2, vpc, "10.0.1.0/24")["SubnetId"]
    ec2.delete_subnet(SubnetId=sn)
    create_subnet(ec2, vpc, "10.0.1.0/24")


def test_delete_subnet_removes_its_route_table_association(ec2, vpc):
    sn = create_subnet(ec2, vpc, "10.0.1.0/24")["SubnetId"]
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=rtb, SubnetId=sn)
    ec2.delete_subnet(SubnetId=sn)
    got = ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]
    assert got["Associations"] == []
    ec2.delete_route_table(RouteTableId=rtb)


@pytest.fixture
def subnets(ec2, vpc):
    a = create_subnet(ec2, vpc, "10.0.1.0/24", AvailabilityZone="us-east-1a",
                      TagSpecifications=[{"ResourceType": "subnet",
                                          "Tags": [{"Key": "tier", "Value": "web"}]}])["SubnetId"]
    b = create_subnet(ec2, vpc, "10.0.2.0/24", AvailabilityZone="us-east-1b")["SubnetId"]
    other = ec2.create_vpc(CidrBlock="10.5.0.0/16")["Vpc"]["VpcId"]
    c = create_subnet(ec2, other, "10.5.1.0/28", AvailabilityZone="us-east-1a")["SubnetId"]
    return a, b, c, other


def test_filter_vpc_id(ec2, vpc, subnets):
    a, b, c, other = subnets
    assert subnet_ids(ec2, ("vpc-id", [vpc])) == sorted([a, b])
    assert subnet_ids(ec2, ("vpc-id", [other])) == [c]


def test_filter_cidr_block(ec2, subnets):
    a, b, c, other = subnets
    assert subnet_ids(ec2, ("cidr-block", ["10.0.2.0/24"])) == [b]
    assert subnet_ids(ec2, ("cidr-block", ["10.0.*"])) == sorted([a, b])


def test_filter_availability_zone(ec2, subnets):
    a, b, c, other = subnets
    assert subnet_ids(ec2, ("availability-zone", ["us-east-1a"])) == sorted([a, c])


def test_filter_availability_zone_id(ec2, subnets):
    a, b, c, other = subnets
    assert subnet_ids(ec2, ("availability-zone-id", ["use1-az2"])) == [b]


def test_filter_default_for_az(ec2, subnets):
    assert subnet_ids(ec2, ("default-for-az", ["true"])) == []
    assert len(subnet_ids(ec2, ("default-for-az", ["false"]))) == 3


def test_filter_default_for_az_in_default_vpc(ec2, subnets):
    d = ec2.create_default_vpc()["Vpc"]["VpcId"]
    got = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])
    assert {s["VpcId"] for s in got["Subnets"]} == {d}
    assert len(got["Subnets"]) == 3


def test_filter_subnet_id(ec2, subnets):
    a, b, c, other = subnets
    assert subnet_ids(ec2, ("subnet-id", [a, c])) == sorted([a, c])


def test_filter_state(ec2, subnets):
    assert len(subnet_ids(ec2, ("state", ["available"]))) == 3
    assert subnet_ids(ec2, ("state", ["pending"])) == []


def test_filter_map_public_ip_on_launch(ec2, subnets):
    a, b, c, other = subnets
    ec2.modify_subnet_attribute(SubnetId=b, MapPublicIpOnLaunch={"Value": True})
    assert subnet_ids(ec2, ("map-public-ip-on-launch", ["true"])) == [b]
    assert subnet_ids(ec2, ("map-public-ip-on-launch", ["false"])) == sorted([a, c])


def test_filter_tag(ec2, subnets):
    a, b, c, other = subnets
    assert subnet_ids(ec2, ("tag:tier", ["web"])) == [a]
    assert subnet_ids(ec2, ("tag-key", ["tier"])) == [a]


def test_filter_available_ip_address_count(ec2, subnets):
    a, b, c, other = subnets
    assert subnet_ids(ec2, ("available-ip-address-count", ["11"])) == [c]


def test_unknown_subnet_filter(ec2):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.describe_subnets(Filters=[{"Name": "no-such-filter", "Values": ["x"]}])
    assert error_code(e) == "InvalidParameterValue"


def test_describe_subnets_unknown_id(ec2, subnets):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.describe_subnets(SubnetIds=["subnet-0123456789abcdef0"])
    assert error_code(e) == "InvalidSubnetID.NotFound"


def test_modify_subnet_map_public_ip_on_launch(ec2, vpc):
    sn = create_subnet(ec2, vpc, "10.0.1.0/24")["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=sn, MapPublicIpOnLaunch={"Value": True})
    assert ec2.describe_subnets(SubnetIds=[sn])["Subnets"][0]["MapPublicIpOnLaunch"] is True
    ec2.modify_subnet_attribute(SubnetId=sn, MapPublicIpOnLaunch={"Value": False})
    assert ec2.describe_subnets(SubnetIds=[sn])["Subnets"][0]["MapPublicIpOnLaunch"] is False


def test_modify_subnet_attribute_unknown_subnet(ec2):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.modify_subnet_attribute(SubnetId="subnet-0123456789abcdef0",
                                    MapPublicIpOnLaunch={"Value": True})
    assert error_code(e) == "InvalidSubnetID.NotFound"


def test_new_subnet_uses_default_network_acl(ec2, vpc):
    sn = create_subnet(ec2, vpc, "10.0.1.0/24")["SubnetId"]
    acls = ec2.describe_network_acls(Filters=[
        {"Name": "association.subnet-id", "Values": [sn]}])["NetworkAcls"]
    assert len(acls) == 1 and acls[0]["IsDefault"] is True


def test_subnet_quota(make_daemon):
    d = make_daemon(args=["--set", "quota.subnets-per-vpc=2"]).start()
    ec2 = d.client()
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    create_subnet(ec2, vpc, "10.0.1.0/24")
    create_subnet(ec2, vpc, "10.0.2.0/24")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        create_subnet(ec2, vpc, "10.0.3.0/24")
    assert error_code(e) == "SubnetLimitExceeded"
