"""Accounts: vpcctl's profiles work with real clients, accounts are isolated
from each other, and everything survives a restart."""
import configparser
import json
import os
import stat

import botocore.exceptions
import pytest

from vpcdtest import error_code


def profile_from(text, name):
    cp = configparser.ConfigParser()
    cp.read_string(text)
    assert cp.sections() == [name]
    return cp[name]["aws_access_key_id"], cp[name]["aws_secret_access_key"]


def test_account_create_prints_ini_profile(vpcd):
    out = vpcd.vpcctl("account", "create", "bob").stdout
    key, secret = profile_from(out, "bob")
    assert key.startswith("AKIA") and len(key) == 20
    assert len(secret) == 40


def test_account_profile_works_with_boto3(vpcd):
    key, secret = profile_from(vpcd.vpcctl("account", "create", "bob").stdout, "bob")
    c = vpcd.client((key, secret))
    vpc = c.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]
    assert [v["VpcId"] for v in c.describe_vpcs()["Vpcs"]] == [vpc["VpcId"]]


def test_account_profile_works_with_aws_cli(vpcd, tmp_path):
    out = vpcd.vpcctl("account", "create", "bob").stdout
    creds = tmp_path / "creds"
    creds.write_text(out)
    env = dict(os.environ, AWS_SHARED_CREDENTIALS_FILE=str(creds), AWS_PROFILE="bob",
               AWS_CONFIG_FILE="/dev/null", AWS_PAGER="", AWS_EC2_METADATA_DISABLED="true",
               AWS_DEFAULT_REGION="us-east-1")
    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        env.pop(k, None)
    import subprocess
    r = subprocess.run(["/usr/bin/aws", "--endpoint-url", vpcd.endpoint, "--output", "json",
                        "ec2", "create-vpc", "--cidr-block", "10.3.0.0/16"],
                       capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    vpc = json.loads(r.stdout)["Vpc"]
    # It belongs to bob, not to the administrator.
    assert vpcd.client().describe_vpcs()["Vpcs"] == []
    key, secret = profile_from(out, "bob")
    assert [v["VpcId"] for v in vpcd.client((key, secret)).describe_vpcs()["Vpcs"]] == \
        [vpc["VpcId"]]


def test_account_json_output(vpcd):
    account_id, key, secret = vpcd.new_account("carol")
    assert account_id.isdigit() and len(account_id) == 12
    listing = vpcd.vpcctl("account", "list").stdout
    assert account_id in listing and "carol" in listing and key in listing


def test_duplicate_account_name_is_refused(vpcd):
    vpcd.new_account("bob")
    r = vpcd.vpcctl("account", "create", "bob", check=False)
    assert r.returncode != 0
    assert "bob" in r.stderr


@pytest.fixture
def two(vpcd, ec2):
    _, key, secret = vpcd.new_account("other")
    other = vpcd.client((key, secret))
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    return other, vpc


def test_other_account_sees_no_vpcs(two):
    other, vpc = two
    assert other.describe_vpcs()["Vpcs"] == []


def test_other_account_describe_by_id_not_found(two):
    other, vpc = two
    with pytest.raises(botocore.exceptions.ClientError) as e:
        other.describe_vpcs(VpcIds=[vpc])
    assert error_code(e) == "InvalidVpcID.NotFound"


def test_other_account_cannot_delete_vpc(ec2, two):
    other, vpc = two
    with pytest.raises(botocore.exceptions.ClientError) as e:
        other.delete_vpc(VpcId=vpc)
    assert error_code(e) == "InvalidVpcID.NotFound"
    assert len(ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"]) == 1


def test_other_account_cannot_create_subnet_in_vpc(ec2, two):
    other, vpc = two
    with pytest.raises(botocore.exceptions.ClientError) as e:
        other.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")
    assert error_code(e) == "InvalidVpcID.NotFound"
    assert ec2.describe_subnets()["Subnets"] == []


def test_other_account_cannot_tag_vpc(ec2, two):
    other, vpc = two
    with pytest.raises(botocore.exceptions.ClientError) as e:
        other.create_tags(Resources=[vpc], Tags=[{"Key": "k", "Value": "v"}])
    assert error_code(e) == "InvalidVpcID.NotFound"


def test_other_account_sees_no_default_resources(two):
    other, vpc = two
    assert other.describe_route_tables()["RouteTables"] == []
    assert other.describe_network_acls()["NetworkAcls"] == []
    assert other.describe_security_groups()["SecurityGroups"] == []


def test_quota_is_per_account(ec2, two):
    other, vpc = two
    for i in range(1, 5):
        ec2.create_vpc(CidrBlock="10.%d.0.0/16" % i)
    for i in range(5):
        other.create_vpc(CidrBlock="10.%d.0.0/16" % i)


def test_default_vpc_is_per_account(ec2, two):
    other, vpc = two
    ec2.create_default_vpc()
    assert other.create_default_vpc()["Vpc"]["IsDefault"] is True


def test_credentials_file_mode_0600(vpcd):
    mode = stat.S_IMODE(os.stat(vpcd.credentials_file).st_mode)
    assert mode == 0o600


def test_data_survives_restart(vpcd, ec2):
    account_id, key, secret = vpcd.new_account("bob")
    before_creds = open(vpcd.credentials_file).read()
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "keep"}]}])["Vpc"]["VpcId"]
    ec2.associate_vpc_cidr_block(VpcId=vpc, CidrBlock="10.1.0.0/16")
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    sn = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24",
                           AvailabilityZone="us-east-1b")["Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=rtb, SubnetId=sn)
    sg = ec2.create_security_group(VpcId=vpc, GroupName="web", Description="web")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
         "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    bob_vpc = vpcd.client((key, secret)).create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]

    snapshot = {
        "vpcs": ec2.describe_vpcs()["Vpcs"],
        "subnets": ec2.describe_subnets()["Subnets"],
        "rtbs": ec2.describe_route_tables()["RouteTables"],
        "igws": ec2.describe_internet_gateways()["InternetGateways"],
        "sgs": ec2.describe_security_groups()["SecurityGroups"],
        "acls": ec2.describe_network_acls()["NetworkAcls"],
        "tags": ec2.describe_tags()["Tags"],
    }
    vpcd.stop()
    vpcd.start()
    ec2 = vpcd.client()
    assert open(vpcd.credentials_file).read() == before_creds
    after = {
        "vpcs": ec2.describe_vpcs()["Vpcs"],
        "subnets": ec2.describe_subnets()["Subnets"],
        "rtbs": ec2.describe_route_tables()["RouteTables"],
        "igws": ec2.describe_internet_gateways()["InternetGateways"],
        "sgs": ec2.describe_security_groups()["SecurityGroups"],
        "acls": ec2.describe_network_acls()["NetworkAcls"],
        "tags": ec2.describe_tags()["Tags"],
    }
    for k in snapshot:
        assert after[k] == snapshot[k], k
    r = ec2.describe_vpc_attribute(VpcId=vpc, Attribute="enableDnsHostnames")
    assert r["EnableDnsHostnames"] == {"Value": True}
    bob = vpcd.client((key, secret))
    assert [v["VpcId"] for v in bob.describe_vpcs()["Vpcs"]] == [bob_vpc]
    assert bob.describe_vpcs()["Vpcs"][0]["OwnerId"] == account_id


def test_data_survives_kill(vpcd, ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    vpcd.kill()
    vpcd.start()
    assert [v["VpcId"] for v in vpcd.client().describe_vpcs()["Vpcs"]] == [vpc]


def test_deletions_survive_restart(vpcd, ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    keep = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    ec2.delete_vpc(VpcId=vpc)
    vpcd.stop()
    vpcd.start()
    ec2 = vpcd.client()
    assert [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]] == [keep]
    assert len(ec2.describe_route_tables()["RouteTables"]) == 1


def test_replaced_main_association_survives_restart(vpcd, ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    flt = [{"Name": "association.main", "Values": ["true"]}, {"Name": "vpc-id", "Values": [vpc]}]
    old = ec2.describe_route_tables(Filters=flt)["RouteTables"][0]
    new = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.replace_route_table_association(
        AssociationId=old["Associations"][0]["RouteTableAssociationId"], RouteTableId=new)
    vpcd.stop()
    vpcd.start()
    ec2 = vpcd.client()
    assert [t["RouteTableId"] for t in ec2.describe_route_tables(Filters=flt)["RouteTables"]] \
        == [new]
    ec2.delete_route_table(RouteTableId=old["RouteTableId"])
    ec2.delete_vpc(VpcId=vpc)
    assert ec2.describe_route_tables()["RouteTables"] == []


def test_default_vpc_survives_restart(vpcd, ec2):
    vpc = ec2.create_default_vpc()["Vpc"]["VpcId"]
    before = ec2.describe_subnets()["Subnets"]
    vpcd.stop()
    vpcd.start()
    ec2 = vpcd.client()
    assert ec2.describe_vpcs()["Vpcs"][0]["IsDefault"] is True
    assert ec2.describe_subnets()["Subnets"] == before
    attrs = ec2.describe_account_attributes(AttributeNames=["default-vpc"])["AccountAttributes"]
    assert attrs[0]["AttributeValues"] == [{"AttributeValue": vpc}]
    r = ec2.describe_vpc_attribute(VpcId=vpc, Attribute="enableDnsHostnames")
    assert r["EnableDnsHostnames"] == {"Value": True}


def test_vpc_attributes_and_tenancy_survive_restart(vpcd, ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", InstanceTenancy="dedicated")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableNetworkAddressUsageMetrics={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": False})
    vpcd.stop()
    vpcd.start()
    ec2 = vpcd.client()
    assert ec2.describe_vpcs()["Vpcs"][0]["InstanceTenancy"] == "dedicated"
    assert ec2.describe_vpc_attribute(VpcId=vpc, Attribute="enableDnsSupport")[
        "EnableDnsSupport"] == {"Value": False}
    assert ec2.describe_vpc_attribute(VpcId=vpc, Attribute="enableNetworkAddressUsageMetrics")[
        "EnableNetworkAddressUsageMetrics"] == {"Value": True}


def test_creation_order_continues_after_restart(vpcd, ec2):
    first = [ec2.create_vpc(CidrBlock="10.%d.0.0/16" % i)["Vpc"]["VpcId"] for i in range(3)]
    vpcd.stop()
    vpcd.start()
    ec2 = vpcd.client()
    later = [ec2.create_vpc(CidrBlock="10.%d.0.0/16" % i)["Vpc"]["VpcId"] for i in range(3, 5)]
    r = ec2.describe_vpcs(MaxResults=5)
    assert [v["VpcId"] for v in r["Vpcs"]] == first + later
    assert "NextToken" not in r
