"""Tags: CreateTags, DeleteTags and DescribeTags on every resource type, and
TagSpecifications on every Create call."""
import botocore.exceptions
import pytest

from vpcdtest import error_code


@pytest.fixture
def resources(ec2):
    """One resource of each taggable type: {resource-type: id}."""
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    sn = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    sg = ec2.create_security_group(VpcId=vpc, GroupName="web", Description="web")["GroupId"]
    acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    rule = ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
         "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    return {"vpc": vpc, "subnet": sn, "route-table": rtb, "internet-gateway": igw,
            "security-group": sg, "network-acl": acl, "security-group-rule": rule}


def tags_of(ec2, rtype, rid):
    """The tags as the resource's own Describe call shows them."""
    if rtype == "vpc":
        t = ec2.describe_vpcs(VpcIds=[rid])["Vpcs"][0].get("Tags", [])
    elif rtype == "subnet":
        t = ec2.describe_subnets(SubnetIds=[rid])["Subnets"][0].get("Tags", [])
    elif rtype == "route-table":
        t = ec2.describe_route_tables(RouteTableIds=[rid])["RouteTables"][0].get("Tags", [])
    elif rtype == "internet-gateway":
        t = ec2.describe_internet_gateways(InternetGatewayIds=[rid])[
            "InternetGateways"][0].get("Tags", [])
    elif rtype == "security-group":
        t = ec2.describe_security_groups(GroupIds=[rid])["SecurityGroups"][0].get("Tags", [])
    elif rtype == "network-acl":
        t = ec2.describe_network_acls(NetworkAclIds=[rid])["NetworkAcls"][0].get("Tags", [])
    else:
        t = ec2.describe_security_group_rules(SecurityGroupRuleIds=[rid])[
            "SecurityGroupRules"][0].get("Tags", [])
    return {x["Key"]: x["Value"] for x in t}


def described(ec2, *filters, **kw):
    flt = [{"Name": n, "Values": list(v)} for n, v in filters]
    return ec2.describe_tags(Filters=flt, **kw)["Tags"]


TYPES = ["vpc", "subnet", "route-table", "internet-gateway", "security-group",
         "network-acl", "security-group-rule"]


@pytest.mark.parametrize("rtype", TYPES)
def test_create_tags_on_every_type(ec2, resources, rtype):
    rid = resources[rtype]
    ec2.create_tags(Resources=[rid], Tags=[{"Key": "Name", "Value": "x"},
                                           {"Key": "env", "Value": ""}])
    assert tags_of(ec2, rtype, rid) == {"Name": "x", "env": ""}
    got = described(ec2, ("resource-id", [rid]))
    assert sorted((t["Key"], t["Value"], t["ResourceType"]) for t in got) == \
        [("Name", "x", rtype), ("env", "", rtype)]


@pytest.mark.parametrize("rtype", TYPES)
def test_delete_tags_on_every_type(ec2, resources, rtype):
    rid = resources[rtype]
    ec2.create_tags(Resources=[rid], Tags=[{"Key": "a", "Value": "1"},
                                           {"Key": "b", "Value": "2"}])
    ec2.delete_tags(Resources=[rid], Tags=[{"Key": "a"}])
    assert tags_of(ec2, rtype, rid) == {"b": "2"}


def test_create_tags_on_several_resources(ec2, resources):
    ids = [resources["vpc"], resources["subnet"]]
    ec2.create_tags(Resources=ids, Tags=[{"Key": "team", "Value": "net"}])
    assert sorted(t["ResourceId"] for t in described(ec2, ("key", ["team"]))) == sorted(ids)


def test_create_tags_overwrites_value(ec2, resources):
    vpc = resources["vpc"]
    ec2.create_tags(Resources=[vpc], Tags=[{"Key": "k", "Value": "1"}])
    ec2.create_tags(Resources=[vpc], Tags=[{"Key": "k", "Value": "2"}])
    assert tags_of(ec2, "vpc", vpc) == {"k": "2"}


def test_delete_tags_by_key_and_matching_value(ec2, resources):
    vpc = resources["vpc"]
    ec2.create_tags(Resources=[vpc], Tags=[{"Key": "k", "Value": "1"}])
    ec2.delete_tags(Resources=[vpc], Tags=[{"Key": "k", "Value": "1"}])
    assert tags_of(ec2, "vpc", vpc) == {}


def test_delete_tags_by_key_and_other_value_keeps_tag(ec2, resources):
    vpc = resources["vpc"]
    ec2.create_tags(Resources=[vpc], Tags=[{"Key": "k", "Value": "1"}])
    ec2.delete_tags(Resources=[vpc], Tags=[{"Key": "k", "Value": "2"}])
    assert tags_of(ec2, "vpc", vpc) == {"k": "1"}


def test_delete_tags_with_empty_value_only_matches_empty(ec2, resources):
    vpc = resources["vpc"]
    ec2.create_tags(Resources=[vpc], Tags=[{"Key": "k", "Value": "1"},
                                           {"Key": "e", "Value": ""}])
    ec2.delete_tags(Resources=[vpc], Tags=[{"Key": "k", "Value": ""},
                                           {"Key": "e", "Value": ""}])
    assert tags_of(ec2, "vpc", vpc) == {"k": "1"}


def test_delete_tags_without_tags_removes_all(ec2, resources):
    vpc = resources["vpc"]
    ec2.create_tags(Resources=[vpc], Tags=[{"Key": "a", "Value": "1"},
                                           {"Key": "b", "Value": "2"}])
    ec2.delete_tags(Resources=[vpc])
    assert tags_of(ec2, "vpc", vpc) == {}


def test_delete_missing_tag_is_fine(ec2, resources):
    ec2.delete_tags(Resources=[resources["vpc"]], Tags=[{"Key": "nothing"}])


@pytest.mark.parametrize("rid,code", [
    ("vpc-0123456789abcdef0", "InvalidVpcID.NotFound"),
    ("subnet-0123456789abcdef0", "InvalidSubnetID.NotFound"),
    ("rtb-0123456789abcdef0", "InvalidRouteTableID.NotFound"),
    ("igw-0123456789abcdef0", "InvalidInternetGatewayID.NotFound"),
    ("sg-0123456789abcdef0", "InvalidGroup.NotFound"),
    ("acl-0123456789abcdef0", "InvalidNetworkAclID.NotFound"),
    ("sgr-0123456789abcdef0", "InvalidSecurityGroupRuleId.NotFound"),
])
def test_create_tags_unknown_resource(ec2, rid, code):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.create_tags(Resources=[rid], Tags=[{"Key": "k", "Value": "v"}])
    assert error_code(e) == code


def test_create_tags_with_one_unknown_resource_changes_nothing(ec2, resources):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.create_tags(Resources=[resources["vpc"], "vpc-0123456789abcdef0"],
                        Tags=[{"Key": "k", "Value": "v"}])
    assert error_code(e) == "InvalidVpcID.NotFound"
    assert tags_of(ec2, "vpc", resources["vpc"]) == {}


def test_delete_tags_unknown_resource(ec2):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.delete_tags(Resources=["subnet-0123456789abcdef0"], Tags=[{"Key": "k"}])
    assert error_code(e) == "InvalidSubnetID.NotFound"


def test_aws_prefix_is_rejected(ec2, resources):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.create_tags(Resources=[resources["vpc"]], Tags=[{"Key": "aws:foo", "Value": "v"}])
    assert error_code(e) == "InvalidParameterValue"
    assert tags_of(ec2, "vpc", resources["vpc"]) == {}


def test_aws_prefix_is_rejected_in_tag_specifications(ec2):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=[
            {"ResourceType": "vpc", "Tags": [{"Key": "aws:x", "Value": "v"}]}])
    assert error_code(e) == "InvalidParameterValue"
    assert ec2.describe_vpcs()["Vpcs"] == []


def test_fifty_tags_allowed(ec2, resources):
    vpc = resources["vpc"]
    ec2.create_tags(Resources=[vpc], Tags=[{"Key": "k%d" % i, "Value": "v"} for i in range(50)])
    assert len(tags_of(ec2, "vpc", vpc)) == 50


def test_fifty_first_tag_is_tag_limit_exceeded(ec2, resources):
    vpc = resources["vpc"]
    ec2.create_tags(Resources=[vpc], Tags=[{"Key": "k%d" % i, "Value": "v"} for i in range(50)])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.create_tags(Resources=[vpc], Tags=[{"Key": "one-more", "Value": "v"}])
    assert error_code(e) == "TagLimitExceeded"
    assert len(tags_of(ec2, "vpc", vpc)) == 50


def test_overwriting_a_tag_at_the_limit_is_fine(ec2, resources):
    vpc = resources["vpc"]
    ec2.create_tags(Resources=[vpc], Tags=[{"Key": "k%d" % i, "Value": "v"} for i in range(50)])
    ec2.create_tags(Resources=[vpc], Tags=[{"Key": "k0", "Value": "w"}])
    assert tags_of(ec2, "vpc", vpc)["k0"] == "w"


def test_fifty_one_tags_in_one_call_is_tag_limit_exceeded(ec2, resources):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.create_tags(Resources=[resources["vpc"]],
                        Tags=[{"Key": "k%d" % i, "Value": "v"} for i in range(51)])
    assert error_code(e) == "TagLimitExceeded"


def test_tag_specifications_with_fifty_one_tags(ec2):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=[
            {"ResourceType": "vpc", "Tags": [{"Key": "k%d" % i, "Value": "v"}
                                             for i in range(51)]}])
    assert error_code(e) == "TagLimitExceeded"


def test_tag_specification_of_wrong_type(ec2):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=[
            {"ResourceType": "subnet", "Tags": [{"Key": "k", "Value": "v"}]}])
    assert error_code(e) == "InvalidParameterValue"


@pytest.mark.parametrize("rtype", ["vpc", "subnet", "route-table", "internet-gateway",
                                   "security-group", "network-acl"])
def test_tag_specifications_on_every_create(ec2, rtype):
    spec = [{"ResourceType": rtype, "Tags": [{"Key": "Name", "Value": rtype}]}]
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    if rtype == "vpc":
        rid = ec2.create_vpc(CidrBlock="10.1.0.0/16", TagSpecifications=spec)["Vpc"]["VpcId"]
    elif rtype == "subnet":
        rid = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24",
                                TagSpecifications=spec)["Subnet"]["SubnetId"]
    elif rtype == "route-table":
        rid = ec2.create_route_table(VpcId=vpc, TagSpecifications=spec)[
            "RouteTable"]["RouteTableId"]
    elif rtype == "internet-gateway":
        rid = ec2.create_internet_gateway(TagSpecifications=spec)[
            "InternetGateway"]["InternetGatewayId"]
    elif rtype == "security-group":
        rid = ec2.create_security_group(VpcId=vpc, GroupName="g", Description="d",
                                        TagSpecifications=spec)["GroupId"]
    else:
        rid = ec2.create_network_acl(VpcId=vpc, TagSpecifications=spec)[
            "NetworkAcl"]["NetworkAclId"]
    assert tags_of(ec2, rtype, rid) == {"Name": rtype}
    got = described(ec2, ("resource-id", [rid]))
    assert [(t["Key"], t["Value"], t["ResourceType"]) for t in got] == [("Name", rtype, rtype)]


def test_tag_specifications_on_security_group_rule(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    sg = ec2.create_security_group(VpcId=vpc, GroupName="g", Description="d")["GroupId"]
    rule = ec2.authorize_security_group_ingress(
        GroupId=sg, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                                    "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}],
        TagSpecifications=[{"ResourceType": "security-group-rule",
                            "Tags": [{"Key": "Name", "Value": "ssh"}]}])["SecurityGroupRules"][0]
    assert tags_of(ec2, "security-group-rule", rule["SecurityGroupRuleId"]) == {"Name": "ssh"}


# --- DescribeTags ----------------------------------------------------------

@pytest.fixture
def tagged(ec2, resources):
    ec2.create_tags(Resources=[resources["vpc"]], Tags=[{"Key": "Name", "Value": "main"},
                                                         {"Key": "env", "Value": "prod"}])
    ec2.create_tags(Resources=[resources["subnet"]], Tags=[{"Key": "Name", "Value": "web"}])
    ec2.create_tags(Resources=[resources["security-group-rule"]],
                    Tags=[{"Key": "env", "Value": "dev"}])
    return resources


def test_describe_tags_all(ec2, tagged):
    got = ec2.describe_tags()["Tags"]
    assert len(got) == 4
    assert {t["ResourceId"] for t in got} == {
        tagged["vpc"], tagged["subnet"], tagged["security-group-rule"]}


def test_describe_tags_filter_key(ec2, tagged):
    got = described(ec2, ("key", ["env"]))
    assert sorted(t["Value"] for t in got) == ["dev", "prod"]


def test_describe_tags_filter_value(ec2, tagged):
    got = described(ec2, ("value", ["web"]))
    assert [t["ResourceId"] for t in got] == [tagged["subnet"]]


def test_describe_tags_filter_resource_id(ec2, tagged):
    got = described(ec2, ("resource-id", [tagged["vpc"]]))
    assert sorted(t["Key"] for t in got) == ["Name", "env"]


def test_describe_tags_filter_resource_type(ec2, tagged):
    got = described(ec2, ("resource-type", ["subnet"]))
    assert [(t["ResourceId"], t["Key"]) for t in got] == [(tagged["subnet"], "Name")]
    got = described(ec2, ("resource-type", ["security-group-rule"]))
    assert [t["ResourceId"] for t in got] == [tagged["security-group-rule"]]


def test_describe_tags_filter_wildcard(ec2, tagged):
    got = described(ec2, ("value", ["pr*"]))
    assert [t["Value"] for t in got] == ["prod"]


def test_describe_tags_unknown_filter(ec2):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        described(ec2, ("colour", ["x"]))
    assert error_code(e) == "InvalidParameterValue"


def test_describe_tags_pagination(ec2, resources):
    ec2.create_tags(Resources=[resources["vpc"]],
                    Tags=[{"Key": "k%02d" % i, "Value": "v"} for i in range(12)])
    seen, token, pages = [], None, 0
    while True:
        kw = {"MaxResults": 5}
        if token:
            kw["NextToken"] = token
        r = ec2.describe_tags(**kw)
        assert len(r["Tags"]) <= 5
        seen += [t["Key"] for t in r["Tags"]]
        pages += 1
        token = r.get("NextToken")
        if not token:
            break
    assert pages == 3
    assert sorted(seen) == ["k%02d" % i for i in range(12)]


def test_describe_tags_exact_page_has_no_token(ec2, resources):
    ec2.create_tags(Resources=[resources["vpc"]],
                    Tags=[{"Key": "k%02d" % i, "Value": "v"} for i in range(5)])
    r = ec2.describe_tags(MaxResults=5)
    assert len(r["Tags"]) == 5
    assert "NextToken" not in r


def test_describe_tags_of_other_account_not_visible(vpcd, ec2, tagged):
    _, key, secret = vpcd.new_account("other")
    assert vpcd.client((key, secret)).describe_tags()["Tags"] == []


def test_tags_disappear_with_resource(ec2, tagged):
    ec2.delete_subnet(SubnetId=tagged["subnet"])
    assert described(ec2, ("resource-id", [tagged["subnet"]])) == []


def test_tag_value_with_spaces_and_unicode(ec2, resources):
    vpc = resources["vpc"]
    value = "a b+c&d=e/f ü 名前"
    ec2.create_tags(Resources=[vpc], Tags=[{"Key": "Name", "Value": value}])
    assert tags_of(ec2, "vpc", vpc) == {"Name": value}
