"""DescribeNetworkInterfaces while the model has no interfaces (no
instances yet): an empty answer, with AWS's validation of ids, filters,
paging and DryRun. Terraform calls it before deleting subnets and groups."""
import botocore.exceptions
import pytest

from conftest import error_code, http_status


def test_lists_nothing_with_an_empty_set(ec2):
    r = ec2.describe_network_interfaces()
    assert r["NetworkInterfaces"] == []
    assert "NextToken" not in r


def test_terraform_style_filters_are_accepted(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    sn = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    sg = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}])
    sg_id = sg["SecurityGroups"][0]["GroupId"]
    for name, value in (("subnet-id", sn), ("group-id", sg_id), ("vpc-id", vpc),
                        ("tag:Name", "x"), ("attachment.status", "attached")):
        r = ec2.describe_network_interfaces(Filters=[{"Name": name, "Values": [value]}])
        assert r["NetworkInterfaces"] == []


def test_unknown_filter_is_invalid(ec2):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.describe_network_interfaces(Filters=[{"Name": "bogus", "Values": ["x"]}])
    assert error_code(e) == "InvalidParameterValue"


def test_unknown_id_is_not_found(ec2):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.describe_network_interfaces(NetworkInterfaceIds=["eni-0123456789abcdef0"])
    assert error_code(e) == "InvalidNetworkInterfaceID.NotFound"
    assert http_status(e) == 400


def test_paging_and_dry_run(ec2):
    # (boto3 itself refuses MaxResults outside 5..1000 before sending.)
    assert ec2.describe_network_interfaces(MaxResults=5)["NetworkInterfaces"] == []
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.describe_network_interfaces(DryRun=True)
    assert error_code(e) == "DryRunOperation" and http_status(e) == 412
