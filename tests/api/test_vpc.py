"""VPCs: CreateVpc, DeleteVpc, DescribeVpcs and its filters, VPC attributes,
secondary CIDR blocks, the default VPC and DescribeAccountAttributes."""
import botocore.exceptions
import pytest

from vpcdtest import error_code, http_status


def create_vpc(ec2, cidr="10.0.0.0/16", **kw):
    return ec2.create_vpc(CidrBlock=cidr, **kw)["Vpc"]


def one_vpc(ec2, vpc_id):
    return ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]


def vpc_ids(ec2, *filters):
    flt = [{"Name": n, "Values": list(v)} for n, v in filters]
    return sorted(v["VpcId"] for v in ec2.describe_vpcs(Filters=flt)["Vpcs"])


# --- CreateVpc -------------------------------------------------------------

def test_create_vpc_answers_pending_then_describe_shows_available(ec2):
    vpc = create_vpc(ec2)
    assert vpc["State"] == "pending"
    assert one_vpc(ec2, vpc["VpcId"])["State"] == "available"


def test_create_vpc_canonicalises_host_bits(ec2):
    vpc = create_vpc(ec2, "10.0.0.5/16")
    assert vpc["CidrBlock"] == "10.0.0.0/16"
    assert one_vpc(ec2, vpc["VpcId"])["CidrBlock"] == "10.0.0.0/16"


def test_create_vpc_fields(ec2, vpcd):
    account = vpcd.vpcctl("account", "list").stdout
    vpc = create_vpc(ec2, "10.1.0.0/16")
    assert vpc["VpcId"].startswith("vpc-")
    assert vpc["IsDefault"] is False
    assert vpc["InstanceTenancy"] == "default"
    assert vpc["OwnerId"].isdigit() and len(vpc["OwnerId"]) == 12
    assert vpc["OwnerId"] in account
    assoc = vpc["CidrBlockAssociationSet"]
    assert len(assoc) == 1
    assert assoc[0]["CidrBlock"] == "10.1.0.0/16"
    assert assoc[0]["AssociationId"].startswith("vpc-cidr-assoc-")
    assert assoc[0]["CidrBlockState"]["State"] == "associated"


def test_create_vpc_owner_id_is_the_account_id(vpcd):
    account_id, key, secret = vpcd.new_account("alice")
    vpc = create_vpc(vpcd.client((key, secret)))
    assert vpc["OwnerId"] == account_id


def test_create_vpc_dedicated_tenancy(ec2):
    vpc = create_vpc(ec2, InstanceTenancy="dedicated")
    assert vpc["InstanceTenancy"] == "dedicated"
    assert one_vpc(ec2, vpc["VpcId"])["InstanceTenancy"] == "dedicated"


def test_create_vpc_applies_tag_specifications(ec2):
    vpc = create_vpc(ec2, TagSpecifications=[{"ResourceType": "vpc", "Tags": [
        {"Key": "Name", "Value": "main"}, {"Key": "env", "Value": "test"}]}])
    want = {"Name": "main", "env": "test"}
    assert {t["Key"]: t["Value"] for t in vpc["Tags"]} == want
    got = one_vpc(ec2, vpc["VpcId"])["Tags"]
    assert {t["Key"]: t["Value"] for t in got} == want


def test_create_vpc_creates_main_route_table_with_local_route(ec2):
    vpc = create_vpc(ec2, "10.2.0.0/16")
    rtbs = ec2.describe_route_tables(Filters=[
        {"Name": "association.main", "Values": ["true"]},
        {"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["RouteTables"]
    assert len(rtbs) == 1
    rtb = rtbs[0]
    assert [a["Main"] for a in rtb["Associations"]] == [True]
    assert rtb["Routes"] == [{"DestinationCidrBlock": "10.2.0.0/16", "GatewayId": "local",
                              "Origin": "CreateRouteTable", "State": "active"}]


def test_create_vpc_creates_default_network_acl(ec2):
    vpc = create_vpc(ec2)
    acls = ec2.describe_network_acls(Filters=[
        {"Name": "default", "Values": ["true"]},
        {"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["NetworkAcls"]
    assert len(acls) == 1
    assert acls[0]["IsDefault"] is True
    entries = {(e["Egress"], e["RuleNumber"]): e for e in acls[0]["Entries"]}
    assert set(entries) == {(False, 100), (False, 32767), (True, 100), (True, 32767)}
    for egress in (False, True):
        assert entries[(egress, 100)]["RuleAction"] == "allow"
        assert entries[(egress, 100)]["CidrBlock"] == "0.0.0.0/0"
        assert entries[(egress, 100)]["Protocol"] == "-1"
        assert entries[(egress, 32767)]["RuleAction"] == "deny"


def test_create_vpc_creates_default_security_group(ec2):
    vpc = create_vpc(ec2)
    sgs = ec2.describe_security_groups(Filters=[
        {"Name": "group-name", "Values": ["default"]},
        {"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["SecurityGroups"]
    assert len(sgs) == 1
    sg = sgs[0]
    assert sg["GroupName"] == "default"
    inbound = sg["IpPermissions"]
    assert len(inbound) == 1 and inbound[0]["IpProtocol"] == "-1"
    assert [p["GroupId"] for p in inbound[0]["UserIdGroupPairs"]] == [sg["GroupId"]]
    outbound = sg["IpPermissionsEgress"]
    assert len(outbound) == 1 and outbound[0]["IpProtocol"] == "-1"
    assert outbound[0]["IpRanges"] == [{"CidrIp": "0.0.0.0/0"}]


@pytest.mark.parametrize("cidr", ["10.0.0.0/16", "10.0.0.0/20", "10.0.0.0/28"])
def test_create_vpc_accepts_sizes_16_to_28(ec2, cidr):
    assert create_vpc(ec2, cidr)["CidrBlock"] == cidr


@pytest.mark.parametrize("cidr", ["10.0.0.0/15", "10.0.0.0/29"])
def test_create_vpc_rejects_sizes_outside_16_to_28(ec2, cidr):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        create_vpc(ec2, cidr)
    assert error_code(e) == "InvalidVpc.Range"
    assert http_status(e) == 400
    assert ec2.describe_vpcs()["Vpcs"] == []


@pytest.mark.parametrize("cidr", ["169.254.0.0/16", "127.0.0.0/16", "0.0.0.0/16",
                                  "224.0.0.0/16", "240.0.0.0/16"])
def test_create_vpc_rejects_reserved_ranges(ec2, cidr):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        create_vpc(ec2, cidr)
    assert error_code(e) == "InvalidVpc.Range"
    assert ec2.describe_vpcs()["Vpcs"] == []


def test_create_vpc_accepts_public_range(ec2):
    assert create_vpc(ec2, "52.1.0.0/16")["CidrBlock"] == "52.1.0.0/16"


@pytest.mark.parametrize("cidr", ["10.0.0.0", "10.0.0.256/16", "banana", "10.0.0.0/33"])
def test_create_vpc_rejects_malformed_cidr(ec2, cidr):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        create_vpc(ec2, cidr)
    assert error_code(e) == "InvalidParameterValue"


def test_create_vpc_quota_is_five(ec2):
    for i in range(5):
        create_vpc(ec2, "10.%d.0.0/16" % i)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        create_vpc(ec2, "10.9.0.0/16")
    assert error_code(e) == "VpcLimitExceeded"
    assert len(ec2.describe_vpcs()["Vpcs"]) == 5


def test_vpc_quota_is_configurable(make_daemon):
    d = make_daemon(args=["--set", "quota.vpcs-per-region=7"]).start()
    ec2 = d.client()
    for i in range(7):
        create_vpc(ec2, "10.%d.0.0/16" % i)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        create_vpc(ec2, "10.9.0.0/16")
    assert error_code(e) == "VpcLimitExceeded"


# --- DeleteVpc -------------------------------------------------------------

def test_delete_vpc_unknown_id(ec2):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.delete_vpc(VpcId="vpc-0123456789abcdef0")
    assert error_code(e) == "InvalidVpcID.NotFound"
    assert http_status(e) == 400


def test_delete_vpc_removes_it_and_its_defaults(ec2):
    vpc = create_vpc(ec2)["VpcId"]
    ec2.delete_vpc(VpcId=vpc)
    assert ec2.describe_vpcs()["Vpcs"] == []
    flt = [{"Name": "vpc-id", "Values": [vpc]}]
    assert ec2.describe_route_tables(Filters=flt)["RouteTables"] == []
    assert ec2.describe_network_acls(Filters=flt)["NetworkAcls"] == []
    assert ec2.describe_security_groups(Filters=flt)["SecurityGroups"] == []
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.describe_vpcs(VpcIds=[vpc])
    assert error_code(e) == "InvalidVpcID.NotFound"


def assert_dependency(ec2, vpc):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.delete_vpc(VpcId=vpc)
    assert error_code(e) == "DependencyViolation"
    assert one_vpc(ec2, vpc)["VpcId"] == vpc


def test_delete_vpc_with_subnet_is_dependency_violation(ec2):
    vpc = create_vpc(ec2)["VpcId"]
    sn = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    assert_dependency(ec2, vpc)
    ec2.delete_subnet(SubnetId=sn)
    ec2.delete_vpc(VpcId=vpc)


def test_delete_vpc_with_attached_igw_is_dependency_violation(ec2):
    vpc = create_vpc(ec2)["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    assert_dependency(ec2, vpc)
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    ec2.delete_vpc(VpcId=vpc)


def test_delete_vpc_with_extra_route_table_is_dependency_violation(ec2):
    vpc = create_vpc(ec2)["VpcId"]
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    assert_dependency(ec2, vpc)
    ec2.delete_route_table(RouteTableId=rtb)
    ec2.delete_vpc(VpcId=vpc)


def test_delete_vpc_with_extra_security_group_is_dependency_violation(ec2):
    vpc = create_vpc(ec2)["VpcId"]
    sg = ec2.create_security_group(VpcId=vpc, GroupName="web", Description="web")["GroupId"]
    assert_dependency(ec2, vpc)
    ec2.delete_security_group(GroupId=sg)
    ec2.delete_vpc(VpcId=vpc)


def test_delete_vpc_with_extra_network_acl_is_dependency_violation(ec2):
    vpc = create_vpc(ec2)["VpcId"]
    acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    assert_dependency(ec2, vpc)
    ec2.delete_network_acl(NetworkAclId=acl)
    ec2.delete_vpc(VpcId=vpc)


def test_delete_vpc_frees_quota(ec2):
    ids = [create_vpc(ec2, "10.%d.0.0/16" % i)["VpcId"] for i in range(5)]
    ec2.delete_vpc(VpcId=ids[0])
    create_vpc(ec2, "10.9.0.0/16")


# --- DescribeVpcs ----------------------------------------------------------

def test_describe_vpcs_unknown_id(ec2):
    create_vpc(ec2)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.describe_vpcs(VpcIds=["vpc-0123456789abcdef0"])
    assert error_code(e) == "InvalidVpcID.NotFound"
    assert "vpc-0123456789abcdef0" in e.value.response["Error"]["Message"]


def test_describe_vpcs_by_id_returns_only_those(ec2):
    a = create_vpc(ec2, "10.0.0.0/16")["VpcId"]
    create_vpc(ec2, "10.1.0.0/16")
    c = create_vpc(ec2, "10.2.0.0/16")["VpcId"]
    got = ec2.describe_vpcs(VpcIds=[a, c])["Vpcs"]
    assert sorted(v["VpcId"] for v in got) == sorted([a, c])


def test_describe_vpcs_empty(ec2):
    assert ec2.describe_vpcs()["Vpcs"] == []


@pytest.fixture
def three_vpcs(ec2):
    a = create_vpc(ec2, "10.0.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": [
        {"Key": "Name", "Value": "alpha"}, {"Key": "env", "Value": "prod"}]}])["VpcId"]
    b = create_vpc(ec2, "10.1.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": [
        {"Key": "Name", "Value": "beta"}]}])["VpcId"]
    c = create_vpc(ec2, "192.168.0.0/20")["VpcId"]
    return a, b, c


def test_filter_cidr(ec2, three_vpcs):
    a, b, c = three_vpcs
    assert vpc_ids(ec2, ("cidr", ["10.1.0.0/16"])) == [b]


def test_filter_cidr_block_association_cidr_block_sees_secondary(ec2, three_vpcs):
    a, b, c = three_vpcs
    ec2.associate_vpc_cidr_block(VpcId=a, CidrBlock="10.100.0.0/16")
    assert vpc_ids(ec2, ("cidr-block-association.cidr-block", ["10.100.0.0/16"])) == [a]
    assert vpc_ids(ec2, ("cidr", ["10.100.0.0/16"])) == []


def test_filter_cidr_block_association_id_and_state(ec2, three_vpcs):
    a, b, c = three_vpcs
    assoc = one_vpc(ec2, b)["CidrBlockAssociationSet"][0]["AssociationId"]
    assert vpc_ids(ec2, ("cidr-block-association.association-id", [assoc])) == [b]
    assert vpc_ids(ec2, ("cidr-block-association.state", ["associated"])) == sorted(three_vpcs)


def test_filter_dhcp_options_id(ec2, three_vpcs):
    dopt = one_vpc(ec2, three_vpcs[0])["DhcpOptionsId"]
    assert vpc_ids(ec2, ("dhcp-options-id", [dopt])) == sorted(three_vpcs)
    assert vpc_ids(ec2, ("dhcp-options-id", ["dopt-0000000000000000a"])) == []


def test_filter_is_default(ec2, three_vpcs):
    assert vpc_ids(ec2, ("is-default", ["false"])) == sorted(three_vpcs)
    assert vpc_ids(ec2, ("is-default", ["true"])) == []


def test_filter_owner_id(ec2, three_vpcs):
    owner = one_vpc(ec2, three_vpcs[0])["OwnerId"]
    assert vpc_ids(ec2, ("owner-id", [owner])) == sorted(three_vpcs)
    assert vpc_ids(ec2, ("owner-id", ["000000000000"])) == []


def test_filter_state(ec2, three_vpcs):
    assert vpc_ids(ec2, ("state", ["available"])) == sorted(three_vpcs)
    assert vpc_ids(ec2, ("state", ["pending"])) == []


def test_filter_vpc_id(ec2, three_vpcs):
    a, b, c = three_vpcs
    assert vpc_ids(ec2, ("vpc-id", [a, c])) == sorted([a, c])


def test_filter_tag_key_value(ec2, three_vpcs):
    a, b, c = three_vpcs
    assert vpc_ids(ec2, ("tag:Name", ["beta"])) == [b]
    assert vpc_ids(ec2, ("tag:Name", ["alpha", "beta"])) == sorted([a, b])


def test_filter_tag_key(ec2, three_vpcs):
    a, b, c = three_vpcs
    assert vpc_ids(ec2, ("tag-key", ["env"])) == [a]
    assert vpc_ids(ec2, ("tag-key", ["Name"])) == sorted([a, b])


def test_filter_tag_value(ec2, three_vpcs):
    a, b, c = three_vpcs
    assert vpc_ids(ec2, ("tag-value", ["prod"])) == [a]


def test_filter_wildcard_star(ec2, three_vpcs):
    a, b, c = three_vpcs
    assert vpc_ids(ec2, ("cidr", ["10.*"])) == sorted([a, b])
    assert vpc_ids(ec2, ("tag:Name", ["*ta"])) == [b]


def test_filter_wildcard_question_mark(ec2, three_vpcs):
    a, b, c = three_vpcs
    assert vpc_ids(ec2, ("tag:Name", ["b?ta"])) == [b]
    assert vpc_ids(ec2, ("tag:Name", ["b?a"])) == []


def test_filters_are_anded(ec2, three_vpcs):
    a, b, c = three_vpcs
    assert vpc_ids(ec2, ("cidr", ["10.*"]), ("tag:Name", ["alpha"])) == [a]


def test_unknown_filter_name(ec2):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.describe_vpcs(Filters=[{"Name": "flavour", "Values": ["x"]}])
    assert error_code(e) == "InvalidParameterValue"


# --- VPC attributes --------------------------------------------------------

@pytest.mark.parametrize("attr,default", [
    ("enableDnsSupport", True), ("enableDnsHostnames", False),
    ("enableNetworkAddressUsageMetrics", False)])
def test_describe_vpc_attribute_defaults(ec2, attr, default):
    vpc = create_vpc(ec2)["VpcId"]
    r = ec2.describe_vpc_attribute(VpcId=vpc, Attribute=attr)
    assert r["VpcId"] == vpc
    key = attr[0].upper() + attr[1:]
    assert r[key] == {"Value": default}


@pytest.mark.parametrize("attr", [
    "enableDnsSupport", "enableDnsHostnames", "enableNetworkAddressUsageMetrics"])
def test_modify_vpc_attribute_round_trip(ec2, attr):
    vpc = create_vpc(ec2)["VpcId"]
    key = attr[0].upper() + attr[1:]
    for value in (True, False, True):
        ec2.modify_vpc_attribute(VpcId=vpc, **{key: {"Value": value}})
        assert ec2.describe_vpc_attribute(VpcId=vpc, Attribute=attr)[key] == {"Value": value}


def test_describe_vpc_attribute_wire_format(vpcd, ec2):
    """Terraform needs <vpcId> and <attr><value>true</value></attr>."""
    vpc = create_vpc(ec2)["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    captured = {}

    def grab(http_response, **kw):
        captured["body"] = http_response.content
    c = vpcd.client()
    c.meta.events.register("after-call.ec2.DescribeVpcAttribute", grab)
    c.describe_vpc_attribute(VpcId=vpc, Attribute="enableDnsHostnames")
    body = captured["body"].decode()
    assert "<vpcId>%s</vpcId>" % vpc in body
    assert "<enableDnsHostnames><value>true</value></enableDnsHostnames>" in \
        body.replace("\n", "").replace(" ", "")


def test_describe_vpc_attribute_unknown_vpc(ec2):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.describe_vpc_attribute(VpcId="vpc-0123456789abcdef0", Attribute="enableDnsSupport")
    assert error_code(e) == "InvalidVpcID.NotFound"


# --- Secondary CIDR blocks -------------------------------------------------

def test_associate_vpc_cidr_block(ec2):
    vpc = create_vpc(ec2)["VpcId"]
    r = ec2.associate_vpc_cidr_block(VpcId=vpc, CidrBlock="10.1.0.0/16")
    assert r["VpcId"] == vpc
    assoc = r["CidrBlockAssociation"]
    assert assoc["CidrBlock"] == "10.1.0.0/16"
    assert assoc["AssociationId"].startswith("vpc-cidr-assoc-")
    assert assoc["CidrBlockState"]["State"] in ("associating", "associated")
    blocks = one_vpc(ec2, vpc)["CidrBlockAssociationSet"]
    assert [b["CidrBlock"] for b in blocks] == ["10.0.0.0/16", "10.1.0.0/16"]
    assert one_vpc(ec2, vpc)["CidrBlock"] == "10.0.0.0/16"


def test_associate_vpc_cidr_block_overlap(ec2):
    vpc = create_vpc(ec2)["VpcId"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.associate_vpc_cidr_block(VpcId=vpc, CidrBlock="10.0.128.0/17")
    assert error_code(e) == "InvalidVpc.Range"


@pytest.mark.parametrize("cidr", ["10.2.0.0/15", "10.2.0.0/29"])
def test_associate_vpc_cidr_block_size(ec2, cidr):
    vpc = create_vpc(ec2)["VpcId"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.associate_vpc_cidr_block(VpcId=vpc, CidrBlock=cidr)
    assert error_code(e) == "InvalidVpc.Range"


def test_associate_vpc_cidr_block_accepts_28(ec2):
    vpc = create_vpc(ec2)["VpcId"]
    r = ec2.associate_vpc_cidr_block(VpcId=vpc, CidrBlock="10.2.0.0/28")
    assert r["CidrBlockAssociation"]["CidrBlock"] == "10.2.0.0/28"


def test_associate_vpc_cidr_block_limit_is_five(ec2):
    vpc = create_vpc(ec2)["VpcId"]
    for i in range(1, 5):
        ec2.associate_vpc_cidr_block(VpcId=vpc, CidrBlock="10.%d.0.0/16" % i)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.associate_vpc_cidr_block(VpcId=vpc, CidrBlock="10.9.0.0/16")
    assert error_code(e) == "CidrLimitExceeded"
    assert len(one_vpc(ec2, vpc)["CidrBlockAssociationSet"]) == 5


def test_associate_vpc_cidr_block_adds_local_route_everywhere(ec2):
    vpc = create_vpc(ec2)["VpcId"]
    ec2.create_route_table(VpcId=vpc)
    ec2.associate_vpc_cidr_block(VpcId=vpc, CidrBlock="10.1.0.0/16")
    rtbs = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"]
    assert len(rtbs) == 2
    for rtb in rtbs:
        local = sorted(r["DestinationCidrBlock"] for r in rtb["Routes"]
                       if r.get("GatewayId") == "local")
        assert local == ["10.0.0.0/16", "10.1.0.0/16"]


def test_route_table_created_later_has_all_local_routes(ec2):
    vpc = create_vpc(ec2)["VpcId"]
    ec2.associate_vpc_cidr_block(VpcId=vpc, CidrBlock="10.1.0.0/16")
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]
    assert sorted(r["DestinationCidrBlock"] for r in rtb["Routes"]) == \
        ["10.0.0.0/16", "10.1.0.0/16"]


def test_disassociate_vpc_cidr_block(ec2):
    vpc = create_vpc(ec2)["VpcId"]
    assoc = ec2.associate_vpc_cidr_block(VpcId=vpc, CidrBlock="10.1.0.0/16")[
        "CidrBlockAssociation"]["AssociationId"]
    r = ec2.disassociate_vpc_cidr_block(AssociationId=assoc)
    assert r["VpcId"] == vpc
    assert r["CidrBlockAssociation"]["AssociationId"] == assoc
    assert r["CidrBlockAssociation"]["CidrBlock"] == "10.1.0.0/16"
    assert [b["CidrBlock"] for b in one_vpc(ec2, vpc)["CidrBlockAssociationSet"]] == \
        ["10.0.0.0/16"]
    rtb = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])[
        "RouteTables"][0]
    assert [r["DestinationCidrBlock"] for r in rtb["Routes"]] == ["10.0.0.0/16"]


def test_disassociate_primary_cidr_block_is_refused(ec2):
    vpc = create_vpc(ec2)
    assoc = vpc["CidrBlockAssociationSet"][0]["AssociationId"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.disassociate_vpc_cidr_block(AssociationId=assoc)
    assert error_code(e) == "OperationNotPermitted"
    assert len(one_vpc(ec2, vpc["VpcId"])["CidrBlockAssociationSet"]) == 1


def test_disassociate_cidr_block_with_subnet_is_refused(ec2):
    vpc = create_vpc(ec2)["VpcId"]
    assoc = ec2.associate_vpc_cidr_block(VpcId=vpc, CidrBlock="10.1.0.0/16")[
        "CidrBlockAssociation"]["AssociationId"]
    ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.0.0/24")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.disassociate_vpc_cidr_block(AssociationId=assoc)
    assert error_code(e) == "InvalidCidrBlock.InUse"
    assert len(one_vpc(ec2, vpc)["CidrBlockAssociationSet"]) == 2


def test_disassociate_unknown_cidr_association(ec2):
    create_vpc(ec2)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.disassociate_vpc_cidr_block(AssociationId="vpc-cidr-assoc-0123456789abcdef0")
    assert error_code(e) == "InvalidVpcCidrBlockAssociationID.NotFound"


# --- Default VPC -----------------------------------------------------------

def test_create_default_vpc(ec2):
    vpc = ec2.create_default_vpc()["Vpc"]
    assert vpc["CidrBlock"] == "172.31.0.0/16"
    assert vpc["IsDefault"] is True
    assert one_vpc(ec2, vpc["VpcId"])["IsDefault"] is True


def test_default_vpc_has_a_default_subnet_per_zone(ec2):
    vpc = ec2.create_default_vpc()["Vpc"]["VpcId"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]]
    assert sorted(s["AvailabilityZone"] for s in subnets) == sorted(zones)
    for s in subnets:
        assert s["CidrBlock"].startswith("172.31.") and s["CidrBlock"].endswith("/20")
        assert s["MapPublicIpOnLaunch"] is True
        assert s["DefaultForAz"] is True
    assert len({s["CidrBlock"] for s in subnets}) == len(subnets)


def test_default_vpc_has_attached_igw_and_default_route(ec2):
    vpc = ec2.create_default_vpc()["Vpc"]["VpcId"]
    igws = ec2.describe_internet_gateways(Filters=[
        {"Name": "attachment.vpc-id", "Values": [vpc]}])["InternetGateways"]
    assert len(igws) == 1
    igw = igws[0]["InternetGatewayId"]
    main = ec2.describe_route_tables(Filters=[
        {"Name": "association.main", "Values": ["true"]},
        {"Name": "vpc-id", "Values": [vpc]}])["RouteTables"][0]
    routes = {r["DestinationCidrBlock"]: r for r in main["Routes"]}
    assert routes["0.0.0.0/0"]["GatewayId"] == igw
    assert routes["0.0.0.0/0"]["State"] == "active"
    assert routes["172.31.0.0/16"]["GatewayId"] == "local"


def test_default_vpc_enables_dns_hostnames(ec2):
    vpc = ec2.create_default_vpc()["Vpc"]["VpcId"]
    r = ec2.describe_vpc_attribute(VpcId=vpc, Attribute="enableDnsHostnames")
    assert r["EnableDnsHostnames"] == {"Value": True}


def test_create_default_vpc_twice(ec2):
    ec2.create_default_vpc()
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.create_default_vpc()
    assert error_code(e) == "DefaultVpcAlreadyExists"
    assert len(ec2.describe_vpcs()["Vpcs"]) == 1


def test_filter_is_default_finds_default_vpc(ec2):
    d = ec2.create_default_vpc()["Vpc"]["VpcId"]
    create_vpc(ec2)
    assert vpc_ids(ec2, ("is-default", ["true"])) == [d]


def default_vpc_attribute(ec2):
    r = ec2.describe_account_attributes(AttributeNames=["default-vpc"])
    attrs = r["AccountAttributes"]
    assert [a["AttributeName"] for a in attrs] == ["default-vpc"]
    return [v["AttributeValue"] for v in attrs[0]["AttributeValues"]]


def test_account_attributes_default_vpc_none_then_id(ec2):
    assert default_vpc_attribute(ec2) == ["none"]
    vpc = ec2.create_default_vpc()["Vpc"]["VpcId"]
    assert default_vpc_attribute(ec2) == [vpc]


def test_account_attributes_all(ec2):
    names = {a["AttributeName"] for a in ec2.describe_account_attributes()["AccountAttributes"]}
    assert {"supported-platforms", "default-vpc"} <= names


# The VPC user guide's "IPv4 CIDR block association restrictions" table.
@pytest.mark.parametrize("primary,secondary", [
    ("10.0.0.0/16", "100.64.0.0/16"),     # RFC 1918 + 100.64/10
    ("10.0.0.0/16", "52.1.0.0/16"),       # RFC 1918 + publicly routable
    ("192.168.0.0/16", "8.8.0.0/24"),
    ("52.1.0.0/16", "100.64.0.0/16"),     # public + 100.64/10
    ("100.64.0.0/16", "52.1.0.0/16"),     # 100.64/10 + public
    ("172.16.0.0/16", "172.20.0.0/16"),   # same RFC 1918 range
])
def test_associate_vpc_cidr_block_permitted_ranges(ec2, primary, secondary):
    vpc = create_vpc(ec2, primary)["VpcId"]
    r = ec2.associate_vpc_cidr_block(VpcId=vpc, CidrBlock=secondary)
    assert r["CidrBlockAssociation"]["CidrBlock"] == secondary


@pytest.mark.parametrize("primary,secondary", [
    ("10.0.0.0/16", "192.168.0.0/16"),    # other RFC 1918 range
    ("10.0.0.0/16", "172.16.0.0/16"),
    ("192.168.0.0/16", "10.0.0.0/16"),
    ("52.1.0.0/16", "10.0.0.0/16"),       # public primary + RFC 1918
    ("10.5.0.0/16", "198.19.0.0/16"),     # 198.19.0.0/16 is never allowed
    ("10.1.0.0/16", "10.0.0.0/16"),       # 10.0.0.0/15 primary blocks 10.0.0.0/16
    ("172.16.0.0/16", "172.31.0.0/16"),   # 172.31.0.0/16 is restricted
])
def test_associate_vpc_cidr_block_restricted_ranges(ec2, primary, secondary):
    vpc = create_vpc(ec2, primary)["VpcId"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.associate_vpc_cidr_block(VpcId=vpc, CidrBlock=secondary)
    assert error_code(e) == "InvalidVpc.Range"
    assert len(one_vpc(ec2, vpc)["CidrBlockAssociationSet"]) == 1


def test_associate_vpc_cidr_block_unknown_vpc(ec2):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.associate_vpc_cidr_block(VpcId="vpc-0123456789abcdef0", CidrBlock="10.1.0.0/16")
    assert error_code(e) == "InvalidVpcID.NotFound"


def test_secondary_cidr_block_cannot_contain_a_route_destination(ec2):
    vpc = create_vpc(ec2)["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="10.1.2.0/24", GatewayId=igw)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.associate_vpc_cidr_block(VpcId=vpc, CidrBlock="10.1.0.0/16")
    assert error_code(e) == "InvalidParameterValue"


def test_create_default_vpc_is_all_or_nothing(make_daemon):
    """With room for fewer subnets than zones, nothing is created."""
    d = make_daemon(args=["--set", "quota.subnets-per-vpc=2"]).start()
    ec2 = d.client()
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.create_default_vpc()
    assert error_code(e) == "SubnetLimitExceeded"
    assert ec2.describe_vpcs()["Vpcs"] == []
    assert ec2.describe_subnets()["Subnets"] == []
    assert ec2.describe_internet_gateways()["InternetGateways"] == []


def test_create_default_vpc_dry_run(ec2):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.create_default_vpc(DryRun=True)
    assert error_code(e) == "DryRunOperation"
    assert ec2.describe_vpcs()["Vpcs"] == []
    assert ec2.describe_internet_gateways()["InternetGateways"] == []


def test_create_default_vpc_at_vpc_quota(ec2):
    for i in range(5):
        create_vpc(ec2, "10.%d.0.0/16" % i)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.create_default_vpc()
    assert error_code(e) == "VpcLimitExceeded"
    assert ec2.describe_internet_gateways()["InternetGateways"] == []


def test_default_vpc_can_be_deleted_and_recreated(ec2):
    vpc = ec2.create_default_vpc()["Vpc"]["VpcId"]
    for s in ec2.describe_subnets()["Subnets"]:
        ec2.delete_subnet(SubnetId=s["SubnetId"])
    igw = ec2.describe_internet_gateways()["InternetGateways"][0]["InternetGatewayId"]
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    ec2.delete_internet_gateway(InternetGatewayId=igw)
    ec2.delete_vpc(VpcId=vpc)
    assert default_vpc_attribute(ec2) == ["none"]
    again = ec2.create_default_vpc()["Vpc"]["VpcId"]
    assert again != vpc
    assert default_vpc_attribute(ec2) == [again]
