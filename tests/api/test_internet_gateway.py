"""Internet gateways: create, attach, detach, delete, quota and filters."""
import botocore.exceptions
import pytest

from vpcdtest import error_code


@pytest.fixture
def vpc(ec2):
    return ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]


def create_igw(ec2, **kw):
    return ec2.create_internet_gateway(**kw)["InternetGateway"]["InternetGatewayId"]


def get_igw(ec2, igw):
    return ec2.describe_internet_gateways(InternetGatewayIds=[igw])["InternetGateways"][0]


def igw_ids(ec2, *filters):
    flt = [{"Name": n, "Values": list(v)} for n, v in filters]
    return sorted(i["InternetGatewayId"]
                  for i in ec2.describe_internet_gateways(Filters=flt)["InternetGateways"])


def test_create_internet_gateway(ec2):
    igw = ec2.create_internet_gateway()["InternetGateway"]
    assert igw["InternetGatewayId"].startswith("igw-")
    assert igw["Attachments"] == []
    got = get_igw(ec2, igw["InternetGatewayId"])
    assert got["Attachments"] == []
    assert got["OwnerId"].isdigit()


def test_create_internet_gateway_with_tags(ec2):
    igw = create_igw(ec2, TagSpecifications=[{"ResourceType": "internet-gateway",
                                              "Tags": [{"Key": "Name", "Value": "gw"}]}])
    assert get_igw(ec2, igw)["Tags"] == [{"Key": "Name", "Value": "gw"}]


def test_attach_internet_gateway(ec2, vpc):
    igw = create_igw(ec2)
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    assert get_igw(ec2, igw)["Attachments"] == [{"State": "available", "VpcId": vpc}]


def test_attach_twice_is_already_associated(ec2, vpc):
    igw = create_igw(ec2)
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    other = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=other)
    assert error_code(e) == "Resource.AlreadyAssociated"
    assert get_igw(ec2, igw)["Attachments"][0]["VpcId"] == vpc


def test_second_igw_on_same_vpc_is_already_associated(ec2, vpc):
    ec2.attach_internet_gateway(InternetGatewayId=create_igw(ec2), VpcId=vpc)
    second = create_igw(ec2)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.attach_internet_gateway(InternetGatewayId=second, VpcId=vpc)
    assert error_code(e) == "Resource.AlreadyAssociated"
    assert get_igw(ec2, second)["Attachments"] == []


def test_attach_unknown_vpc(ec2):
    igw = create_igw(ec2)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId="vpc-0123456789abcdef0")
    assert error_code(e) == "InvalidVpcID.NotFound"


def test_attach_unknown_igw(ec2, vpc):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.attach_internet_gateway(InternetGatewayId="igw-0123456789abcdef0", VpcId=vpc)
    assert error_code(e) == "InvalidInternetGatewayID.NotFound"


def test_detach_internet_gateway(ec2, vpc):
    igw = create_igw(ec2)
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    assert get_igw(ec2, igw)["Attachments"] == []


def test_detach_not_attached(ec2, vpc):
    igw = create_igw(ec2)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    assert error_code(e) == "Gateway.NotAttached"


def test_detach_from_wrong_vpc(ec2, vpc):
    igw = create_igw(ec2)
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    other = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=other)
    assert error_code(e) == "Gateway.NotAttached"
    assert get_igw(ec2, igw)["Attachments"][0]["VpcId"] == vpc


def test_delete_internet_gateway(ec2):
    igw = create_igw(ec2)
    ec2.delete_internet_gateway(InternetGatewayId=igw)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.describe_internet_gateways(InternetGatewayIds=[igw])
    assert error_code(e) == "InvalidInternetGatewayID.NotFound"


def test_delete_attached_igw_is_dependency_violation(ec2, vpc):
    igw = create_igw(ec2)
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.delete_internet_gateway(InternetGatewayId=igw)
    assert error_code(e) == "DependencyViolation"
    assert get_igw(ec2, igw)["Attachments"][0]["VpcId"] == vpc


def test_delete_unknown_igw(ec2):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.delete_internet_gateway(InternetGatewayId="igw-0123456789abcdef0")
    assert error_code(e) == "InvalidInternetGatewayID.NotFound"


def test_igw_quota_is_five(ec2):
    for _ in range(5):
        create_igw(ec2)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        create_igw(ec2)
    assert error_code(e) == "InternetGatewayLimitExceeded"
    assert len(ec2.describe_internet_gateways()["InternetGateways"]) == 5


def test_igw_quota_frees_on_delete(ec2):
    ids = [create_igw(ec2) for _ in range(5)]
    ec2.delete_internet_gateway(InternetGatewayId=ids[0])
    create_igw(ec2)


@pytest.fixture
def two_igws(ec2, vpc):
    a = create_igw(ec2)
    b = create_igw(ec2)
    ec2.attach_internet_gateway(InternetGatewayId=a, VpcId=vpc)
    return a, b


def test_filter_attachment_vpc_id(ec2, vpc, two_igws):
    a, b = two_igws
    assert igw_ids(ec2, ("attachment.vpc-id", [vpc])) == [a]


def test_filter_attachment_state(ec2, two_igws):
    a, b = two_igws
    assert igw_ids(ec2, ("attachment.state", ["available"])) == [a]


def test_filter_internet_gateway_id(ec2, two_igws):
    a, b = two_igws
    assert igw_ids(ec2, ("internet-gateway-id", [b])) == [b]


def test_filter_tag(ec2, two_igws):
    a, b = two_igws
    ec2.create_tags(Resources=[b], Tags=[{"Key": "k", "Value": "v"}])
    assert igw_ids(ec2, ("tag:k", ["v"])) == [b]


def test_unknown_igw_filter(ec2):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.describe_internet_gateways(Filters=[{"Name": "colour", "Values": ["x"]}])
    assert error_code(e) == "InvalidParameterValue"


def test_igw_quota_is_configurable(make_daemon):
    d = make_daemon(args=["--set", "quota.internet-gateways-per-region=7"]).start()
    ec2 = d.client()
    for _ in range(7):
        create_igw(ec2)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        create_igw(ec2)
    assert error_code(e) == "InternetGatewayLimitExceeded"


def test_create_default_vpc_at_igw_quota(ec2):
    for _ in range(5):
        create_igw(ec2)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.create_default_vpc()
    assert error_code(e) == "InternetGatewayLimitExceeded"
    assert ec2.describe_vpcs()["Vpcs"] == []
