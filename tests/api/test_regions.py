"""Regions and availability zones."""
import boto3
import botocore.config
import botocore.exceptions
import pytest

from vpcdtest import error_code


def test_describe_regions_lists_only_our_region(ec2):
    regions = ec2.describe_regions()["Regions"]
    assert [r["RegionName"] for r in regions] == ["us-east-1"]
    assert regions[0]["Endpoint"] == "ec2.us-east-1.amazonaws.com"
    assert regions[0]["OptInStatus"] == "opt-in-not-required"


def test_describe_regions_by_name(ec2):
    got = ec2.describe_regions(RegionNames=["us-east-1"])["Regions"]
    assert [r["RegionName"] for r in got] == ["us-east-1"]


def test_describe_regions_filter_region_name(ec2):
    got = ec2.describe_regions(Filters=[{"Name": "region-name", "Values": ["eu-*"]}])
    assert got["Regions"] == []


def test_describe_availability_zones(ec2):
    zones = ec2.describe_availability_zones()["AvailabilityZones"]
    assert [(z["ZoneName"], z["ZoneId"]) for z in zones] == [
        ("us-east-1a", "use1-az1"), ("us-east-1b", "use1-az2"), ("us-east-1c", "use1-az3")]
    for z in zones:
        assert z["State"] == "available"
        assert z["RegionName"] == "us-east-1"
        assert z["ZoneType"] == "availability-zone"


def test_describe_availability_zones_filter_zone_name(ec2):
    got = ec2.describe_availability_zones(Filters=[
        {"Name": "zone-name", "Values": ["us-east-1b"]}])["AvailabilityZones"]
    assert [z["ZoneName"] for z in got] == ["us-east-1b"]


def test_describe_availability_zones_filter_state(ec2):
    got = ec2.describe_availability_zones(Filters=[
        {"Name": "state", "Values": ["available"]}])["AvailabilityZones"]
    assert len(got) == 3
    got = ec2.describe_availability_zones(Filters=[
        {"Name": "state", "Values": ["impaired"]}])["AvailabilityZones"]
    assert got == []


def test_describe_availability_zones_filter_zone_id(ec2):
    got = ec2.describe_availability_zones(Filters=[
        {"Name": "zone-id", "Values": ["use1-az3"]}])["AvailabilityZones"]
    assert [z["ZoneName"] for z in got] == ["us-east-1c"]


def test_describe_availability_zones_by_name(ec2):
    got = ec2.describe_availability_zones(ZoneNames=["us-east-1a"])["AvailabilityZones"]
    assert [z["ZoneName"] for z in got] == ["us-east-1a"]


def test_describe_availability_zones_unknown_name(ec2):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.describe_availability_zones(ZoneNames=["us-east-1z"])
    assert error_code(e) == "InvalidParameterValue"


def test_unknown_zone_filter(ec2):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.describe_availability_zones(Filters=[{"Name": "colour", "Values": ["x"]}])
    assert error_code(e) == "InvalidParameterValue"


@pytest.fixture
def london(make_daemon):
    d = make_daemon(args=["--region", "eu-west-2"]).start()
    key, secret = d.keys()
    return boto3.client("ec2", region_name="eu-west-2", endpoint_url=d.endpoint,
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        config=botocore.config.Config(retries={"max_attempts": 1}))


def test_other_region_serves_its_zones(london):
    zones = london.describe_availability_zones()["AvailabilityZones"]
    assert [z["ZoneName"] for z in zones] == ["eu-west-2a", "eu-west-2b", "eu-west-2c"]
    assert {z["RegionName"] for z in zones} == {"eu-west-2"}
    assert [r["RegionName"] for r in london.describe_regions()["Regions"]] == ["eu-west-2"]


def test_other_region_creates_subnets_in_its_zones(london):
    vpc = london.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    sn = london.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24",
                              AvailabilityZone="eu-west-2b")["Subnet"]
    assert sn["AvailabilityZone"] == "eu-west-2b"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        london.create_subnet(VpcId=vpc, CidrBlock="10.0.2.0/24", AvailabilityZone="us-east-1a")
    assert error_code(e) == "InvalidParameterValue"
