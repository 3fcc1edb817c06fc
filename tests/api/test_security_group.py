"""Security groups and their rules, through Debian's boto3 (and the CLI
where it matters): create/delete, authorize/revoke, describe filters,
rule ids (DescribeSecurityGroupRules, ModifySecurityGroupRules) and
rule descriptions."""
import botocore.exceptions
import pytest

from vpcdtest import error_code, http_status

ALL_OUT = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [],
           "PrefixListIds": [], "UserIdGroupPairs": []}


def make_vpc(ec2, cidr="10.0.0.0/16"):
    return ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]


def make_sg(ec2, vpc_id, name="web", description="web servers", **kw):
    return ec2.create_security_group(GroupName=name, Description=description, VpcId=vpc_id,
                                     **kw)["GroupId"]


def tcp(port, *cidrs, to=None, **extra):
    perm = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port if to is None else to,
            "IpRanges": [{"CidrIp": c} for c in cidrs]}
    perm.update(extra)
    return perm


def describe(ec2, group_id):
    return ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]


def ingress_rules(ec2, group_id):
    rules = ec2.describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [group_id]}])["SecurityGroupRules"]
    return [r for r in rules if not r["IsEgress"]]


@pytest.fixture
def vpc(ec2):
    return make_vpc(ec2)


@pytest.fixture
def sg(ec2, vpc):
    return make_sg(ec2, vpc)


# --- CreateSecurityGroup -------------------------------------------------

def test_create_returns_a_group_id(ec2, vpc):
    group_id = make_sg(ec2, vpc)
    assert group_id.startswith("sg-")
    group = describe(ec2, group_id)
    assert (group["GroupName"], group["Description"], group["VpcId"]) == ("web", "web servers", vpc)


def test_new_group_has_no_inbound_rules_and_allows_all_outbound(ec2, sg):
    group = describe(ec2, sg)
    assert group["IpPermissions"] == []
    assert group["IpPermissionsEgress"] == [ALL_OUT]


def test_create_without_vpc_and_without_default_vpc_fails(ec2):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.create_security_group(GroupName="web", Description="d")
    assert error_code(e) == "VPCIdNotSpecified"
    assert http_status(e) == 400


def test_create_without_vpc_uses_the_default_vpc(ec2):
    default_vpc = ec2.create_default_vpc()["Vpc"]["VpcId"]
    group_id = ec2.create_security_group(GroupName="web", Description="d")["GroupId"]
    assert describe(ec2, group_id)["VpcId"] == default_vpc


def test_duplicate_name_in_the_same_vpc_is_refused(ec2, vpc, sg):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        make_sg(ec2, vpc)
    assert error_code(e) == "InvalidGroup.Duplicate"


def test_same_name_in_another_vpc_is_allowed(ec2, vpc, sg):
    other = make_vpc(ec2, "10.1.0.0/16")
    group_id = make_sg(ec2, other)
    assert group_id != sg
    assert describe(ec2, group_id)["VpcId"] == other


def test_name_default_is_reserved(ec2, vpc):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        make_sg(ec2, vpc, name="default")
    assert error_code(e) == "InvalidGroup.Reserved"


def test_name_starting_with_sg_dash_is_invalid(ec2, vpc):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        make_sg(ec2, vpc, name="sg-foo")
    assert error_code(e) == "InvalidParameterValue"


def test_missing_description_is_refused(vpcd, vpc):
    raw = vpcd.client(parameter_validation=False)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        raw.create_security_group(GroupName="web", VpcId=vpc)
    assert error_code(e) == "MissingParameter"


def test_create_with_tags(ec2, vpc):
    r = ec2.create_security_group(
        GroupName="web", Description="d", VpcId=vpc,
        TagSpecifications=[{"ResourceType": "security-group",
                            "Tags": [{"Key": "Name", "Value": "web"}]}])
    assert r["Tags"] == [{"Key": "Name", "Value": "web"}]
    assert describe(ec2, r["GroupId"])["Tags"] == [{"Key": "Name", "Value": "web"}]


def test_every_vpc_has_a_default_group_that_references_itself(ec2, vpc):
    group = ec2.describe_security_groups(Filters=[
        {"Name": "vpc-id", "Values": [vpc]},
        {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"]
    assert len(group) == 1
    pairs = group[0]["IpPermissions"][0]["UserIdGroupPairs"]
    assert pairs == [{"GroupId": group[0]["GroupId"], "UserId": group[0]["OwnerId"]}]
    assert group[0]["IpPermissionsEgress"] == [ALL_OUT]


# --- DeleteSecurityGroup -------------------------------------------------

def test_delete_removes_the_group(ec2, sg):
    ec2.delete_security_group(GroupId=sg)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.describe_security_groups(GroupIds=[sg])
    assert error_code(e) == "InvalidGroup.NotFound"


def test_default_group_cannot_be_deleted(ec2, vpc):
    default = ec2.describe_security_groups(Filters=[
        {"Name": "vpc-id", "Values": [vpc]},
        {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]["GroupId"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.delete_security_group(GroupId=default)
    assert error_code(e) == "CannotDelete"


def test_group_referenced_by_another_group_cannot_be_deleted(ec2, vpc, sg):
    other = make_sg(ec2, vpc, name="db")
    ec2.authorize_security_group_ingress(GroupId=other, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
         "UserIdGroupPairs": [{"GroupId": sg}]}])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.delete_security_group(GroupId=sg)
    assert error_code(e) == "DependencyViolation"


def test_delete_by_name_in_the_default_vpc(ec2):
    ec2.create_default_vpc()
    group_id = ec2.create_security_group(GroupName="web", Description="d")["GroupId"]
    ec2.delete_security_group(GroupName="web")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.describe_security_groups(GroupIds=[group_id])
    assert error_code(e) == "InvalidGroup.NotFound"


def test_delete_unknown_group(ec2):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.delete_security_group(GroupId="sg-0123456789abcdef0")
    assert error_code(e) == "InvalidGroup.NotFound"


# --- AuthorizeSecurityGroupIngress/Egress --------------------------------

def test_authorize_ip_range_with_description(ec2, sg):
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
        "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "HTTPS from the LAN"}]}])
    assert describe(ec2, sg)["IpPermissions"] == [{
        "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
        "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "HTTPS from the LAN"}],
        "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": []}]


def test_authorize_another_group_of_the_same_vpc(ec2, vpc, sg):
    other = make_sg(ec2, vpc, name="lb")
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
        "UserIdGroupPairs": [{"GroupId": other, "Description": "from the LB"}]}])
    group = describe(ec2, sg)
    assert group["IpPermissions"][0]["UserIdGroupPairs"] == [
        {"GroupId": other, "UserId": group["OwnerId"], "Description": "from the LB"}]
    assert group["IpPermissions"][0]["IpRanges"] == []


def test_authorize_a_group_of_another_vpc_is_refused(ec2, vpc, sg):
    other_vpc = make_vpc(ec2, "10.1.0.0/16")
    other = make_sg(ec2, other_vpc, name="lb")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
            "UserIdGroupPairs": [{"GroupId": other}]}])
    assert error_code(e) == "InvalidGroup.NotFound"
    assert describe(ec2, sg)["IpPermissions"] == []


def test_authorize_unknown_referenced_group(ec2, sg):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
            "UserIdGroupPairs": [{"GroupId": "sg-0123456789abcdef0"}]}])
    assert error_code(e) == "InvalidGroup.NotFound"


def test_authorize_legacy_top_level_form(ec2, sg):
    ec2.authorize_security_group_ingress(GroupId=sg, IpProtocol="tcp", FromPort=22, ToPort=22,
                                         CidrIp="192.0.2.0/24")
    perms = describe(ec2, sg)["IpPermissions"]
    assert [(p["IpProtocol"], p["FromPort"], p["ToPort"], p["IpRanges"]) for p in perms] == [
        ("tcp", 22, 22, [{"CidrIp": "192.0.2.0/24"}])]


def test_authorize_with_the_cli_shorthand(vpcd, ec2, sg):
    vpcd.aws("ec2", "authorize-security-group-ingress", "--group-id", sg, "--protocol", "tcp",
             "--port", "8080-8081", "--cidr", "198.51.100.0/24")
    perm = describe(ec2, sg)["IpPermissions"][0]
    assert (perm["FromPort"], perm["ToPort"], perm["IpRanges"]) == (
        8080, 8081, [{"CidrIp": "198.51.100.0/24"}])


def test_authorize_udp(ec2, sg):
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{
        "IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    perm = describe(ec2, sg)["IpPermissions"][0]
    assert (perm["IpProtocol"], perm["FromPort"], perm["ToPort"]) == ("udp", 53, 53)


def test_authorize_icmp_type_and_code(ec2, sg):
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{
        "IpProtocol": "icmp", "FromPort": 3, "ToPort": 4, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    perm = describe(ec2, sg)["IpPermissions"][0]
    assert (perm["IpProtocol"], perm["FromPort"], perm["ToPort"]) == ("icmp", 3, 4)


def test_authorize_icmp_all_types(ec2, sg):
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{
        "IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    perm = describe(ec2, sg)["IpPermissions"][0]
    assert (perm["IpProtocol"], perm["FromPort"], perm["ToPort"]) == ("icmp", -1, -1)


def test_authorize_all_traffic_shows_no_ports(ec2, sg):
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{
        "IpProtocol": "-1", "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
    perm = describe(ec2, sg)["IpPermissions"][0]
    assert perm["IpProtocol"] == "-1"
    assert "FromPort" not in perm and "ToPort" not in perm


def test_protocol_number_6_is_shown_as_tcp(ec2, sg):
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{
        "IpProtocol": "6", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
    perm = describe(ec2, sg)["IpPermissions"][0]
    assert (perm["IpProtocol"], perm["FromPort"], perm["ToPort"]) == ("tcp", 80, 80)


def test_protocol_number_without_ports(ec2, sg):
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{
        "IpProtocol": "50", "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
    perm = describe(ec2, sg)["IpPermissions"][0]
    assert perm["IpProtocol"] == "50"
    assert "FromPort" not in perm


@pytest.mark.parametrize("perm", [
    {"IpProtocol": "tcp", "FromPort": 90, "ToPort": 80},
    {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 65536},
    {"IpProtocol": "udp", "FromPort": -5, "ToPort": 80},
    {"IpProtocol": "tcp"},
], ids=["from-above-to", "port-above-65535", "negative-port", "tcp-without-ports"])
def test_invalid_ports_are_refused(ec2, sg, perm):
    perm = dict(perm, IpRanges=[{"CidrIp": "10.0.0.0/8"}])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[perm])
    assert error_code(e) == "InvalidParameterValue"
    assert describe(ec2, sg)["IpPermissions"] == []


@pytest.mark.parametrize("proto", ["foo", "256", "tcpx"])
def test_unknown_protocol_is_refused(ec2, sg, proto):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{
            "IpProtocol": proto, "FromPort": 1, "ToPort": 2, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
    assert error_code(e) == "InvalidParameterValue"


def test_invalid_cidr_is_refused(ec2, sg):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[tcp(22, "10.0.0.300/8")])
    assert error_code(e) == "InvalidParameterValue"


def test_duplicate_rule_is_refused(ec2, sg):
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[tcp(22, "10.0.0.0/8")])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[tcp(22, "10.0.0.0/8")])
    assert error_code(e) == "InvalidPermission.Duplicate"


def test_two_identical_rules_in_one_call_are_refused_and_add_nothing(ec2, sg):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.authorize_security_group_ingress(
            GroupId=sg, IpPermissions=[tcp(22, "10.0.0.0/8"), tcp(22, "10.0.0.0/8")])
    assert error_code(e) == "InvalidPermission.Duplicate"
    assert describe(ec2, sg)["IpPermissions"] == []


def test_failing_call_adds_none_of_its_rules(ec2, sg):
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[tcp(22, "10.0.0.0/8")])
    with pytest.raises(botocore.exceptions.ClientError):
        ec2.authorize_security_group_ingress(
            GroupId=sg, IpPermissions=[tcp(80, "10.0.0.0/8"), tcp(22, "10.0.0.0/8")])
    assert [p["FromPort"] for p in describe(ec2, sg)["IpPermissions"]] == [22]


def test_the_61st_inbound_rule_exceeds_the_quota(ec2, sg):
    ec2.authorize_security_group_ingress(
        GroupId=sg, IpPermissions=[tcp(1000, *["10.0.%d.0/24" % i for i in range(60)])])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[tcp(1001, "10.1.0.0/24")])
    assert error_code(e) == "RulesPerSecurityGroupLimitExceeded"


def test_quota_counts_inbound_and_outbound_separately(ec2, sg):
    ec2.authorize_security_group_ingress(
        GroupId=sg, IpPermissions=[tcp(1000, *["10.0.%d.0/24" % i for i in range(60)])])
    r = ec2.authorize_security_group_egress(GroupId=sg, IpPermissions=[tcp(443, "10.1.0.0/24")])
    assert r["Return"] is True


def test_rules_quota_is_configurable(make_daemon):
    d = make_daemon(args=["--set", "quota.rules-per-security-group=100"]).start()
    ec2 = d.client()
    sg = make_sg(ec2, make_vpc(ec2))
    ec2.authorize_security_group_ingress(
        GroupId=sg, IpPermissions=[tcp(1000, *["10.0.%d.0/24" % i for i in range(100)])])
    assert len(ingress_rules(ec2, sg)) == 100
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[tcp(1001, "10.1.0.0/24")])
    assert error_code(e) == "RulesPerSecurityGroupLimitExceeded"


def test_authorize_returns_the_new_rules(ec2, sg):
    r = ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        tcp(22, "10.0.0.0/8", "192.168.0.0/16")])
    assert r["Return"] is True
    rules = r["SecurityGroupRules"]
    assert len(rules) == 2
    owner = describe(ec2, sg)["OwnerId"]
    for rule, cidr in zip(rules, ["10.0.0.0/8", "192.168.0.0/16"]):
        assert rule["SecurityGroupRuleId"].startswith("sgr-")
        assert rule["GroupId"] == sg
        assert rule["GroupOwnerId"] == owner
        assert rule["IsEgress"] is False
        assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 22, 22)
        assert rule["CidrIpv4"] == cidr
    assert rules[0]["SecurityGroupRuleId"] != rules[1]["SecurityGroupRuleId"]


def test_authorize_egress(ec2, sg):
    r = ec2.authorize_security_group_egress(GroupId=sg, IpPermissions=[tcp(443, "10.0.0.0/8")])
    assert r["SecurityGroupRules"][0]["IsEgress"] is True
    egress = describe(ec2, sg)["IpPermissionsEgress"]
    assert ALL_OUT in egress
    assert {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
            "IpRanges": [{"CidrIp": "10.0.0.0/8"}], "Ipv6Ranges": [], "PrefixListIds": [],
            "UserIdGroupPairs": []} in egress


def test_authorize_dry_run_adds_nothing(ec2, sg):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.authorize_security_group_ingress(GroupId=sg, DryRun=True,
                                             IpPermissions=[tcp(22, "10.0.0.0/8")])
    assert error_code(e) == "DryRunOperation"
    assert http_status(e) == 412
    assert describe(ec2, sg)["IpPermissions"] == []


def test_authorize_unknown_group(ec2):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.authorize_security_group_ingress(GroupId="sg-0123456789abcdef0",
                                             IpPermissions=[tcp(22, "10.0.0.0/8")])
    assert error_code(e) == "InvalidGroup.NotFound"


def test_rule_tags_from_tag_specifications(ec2, sg):
    r = ec2.authorize_security_group_ingress(
        GroupId=sg, IpPermissions=[tcp(22, "10.0.0.0/8")],
        TagSpecifications=[{"ResourceType": "security-group-rule",
                            "Tags": [{"Key": "Name", "Value": "ssh"}]}])
    assert r["SecurityGroupRules"][0]["Tags"] == [{"Key": "Name", "Value": "ssh"}]
    rule = ec2.describe_security_group_rules(
        SecurityGroupRuleIds=[r["SecurityGroupRules"][0]["SecurityGroupRuleId"]])
    assert rule["SecurityGroupRules"][0]["Tags"] == [{"Key": "Name", "Value": "ssh"}]


# --- DescribeSecurityGroups ----------------------------------------------

def test_rules_are_grouped_by_protocol_and_ports(ec2, vpc, sg):
    other = make_sg(ec2, vpc, name="lb")
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        tcp(80, "10.0.0.0/8"), tcp(443, "10.0.0.0/8"),
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": other}]}])
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[tcp(80, "192.168.0.0/16")])
    perms = {p["FromPort"]: p for p in describe(ec2, sg)["IpPermissions"]}
    assert sorted(perms) == [80, 443]
    assert perms[80]["IpRanges"] == [{"CidrIp": "10.0.0.0/8"}, {"CidrIp": "192.168.0.0/16"}]
    assert [g["GroupId"] for g in perms[80]["UserIdGroupPairs"]] == [other]
    assert perms[443]["IpRanges"] == [{"CidrIp": "10.0.0.0/8"}]


def test_cidr_host_bits_are_cleared(ec2, sg):
    r = ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[tcp(22, "10.1.2.3/8")])
    assert r["SecurityGroupRules"][0]["CidrIpv4"] == "10.0.0.0/8"


def test_describe_unknown_group_id(ec2):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.describe_security_groups(GroupIds=["sg-0123456789abcdef0"])
    assert error_code(e) == "InvalidGroup.NotFound"


def test_describe_by_group_name_in_the_default_vpc(ec2):
    ec2.create_default_vpc()
    group_id = ec2.create_security_group(GroupName="web", Description="d")["GroupId"]
    groups = ec2.describe_security_groups(GroupNames=["web"])["SecurityGroups"]
    assert [g["GroupId"] for g in groups] == [group_id]


def test_describe_by_group_name_outside_the_default_vpc_is_not_found(ec2, sg):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.describe_security_groups(GroupNames=["web"])
    assert error_code(e) == "InvalidGroup.NotFound"


@pytest.fixture
def filter_world(ec2):
    """Two VPCs; 'web' (tagged, inbound tcp 80 from 10.0.0.0/8, egress to
    192.0.2.0/24) and 'db' (inbound tcp 5432-5433 from web) in the first,
    'other' in the second."""
    vpc1, vpc2 = make_vpc(ec2), make_vpc(ec2, "10.1.0.0/16")
    web = make_sg(ec2, vpc1, name="web", description="web servers",
                  TagSpecifications=[{"ResourceType": "security-group",
                                      "Tags": [{"Key": "tier", "Value": "front"}]}])
    db = make_sg(ec2, vpc1, name="db", description="databases")
    other = make_sg(ec2, vpc2, name="other", description="elsewhere")
    ec2.authorize_security_group_ingress(GroupId=web, IpPermissions=[tcp(80, "10.0.0.0/8")])
    ec2.authorize_security_group_egress(GroupId=web, IpPermissions=[tcp(25, "192.0.2.0/24")])
    ec2.authorize_security_group_ingress(GroupId=db, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5433,
        "UserIdGroupPairs": [{"GroupId": web}]}])
    return {"vpc1": vpc1, "vpc2": vpc2, "web": web, "db": db, "other": other}


def names(ec2, filters):
    groups = ec2.describe_security_groups(Filters=filters)["SecurityGroups"]
    return sorted(g["GroupName"] for g in groups)


@pytest.mark.parametrize("name,value,expected", [
    ("group-name", "web", ["web"]),
    ("group-name", "d*", ["db", "default", "default"]),
    ("description", "databases", ["db"]),
    ("ip-permission.cidr", "10.0.0.0/8", ["web"]),
    ("ip-permission.from-port", "5432", ["db"]),
    ("ip-permission.to-port", "5433", ["db"]),
    ("ip-permission.protocol", "tcp", ["db", "web"]),
    ("egress.ip-permission.cidr", "192.0.2.0/24", ["web"]),
    ("tag:tier", "front", ["web"]),
])
def test_describe_filter(ec2, filter_world, name, value, expected):
    assert names(ec2, [{"Name": name, "Values": [value]}]) == expected


def test_describe_filter_group_id(ec2, filter_world):
    assert names(ec2, [{"Name": "group-id", "Values": [filter_world["db"]]}]) == ["db"]


def test_describe_filter_vpc_id(ec2, filter_world):
    assert names(ec2, [{"Name": "vpc-id", "Values": [filter_world["vpc2"]]}]) == ["default", "other"]


def test_describe_filter_ip_permission_group_id(ec2, filter_world):
    assert names(ec2, [{"Name": "ip-permission.group-id",
                        "Values": [filter_world["web"]]}]) == ["db"]


def test_describe_filter_owner_id(ec2, vpcd, filter_world):
    owner = describe(ec2, filter_world["web"])["OwnerId"]
    assert len(names(ec2, [{"Name": "owner-id", "Values": [owner]}])) == 5
    assert names(ec2, [{"Name": "owner-id", "Values": ["000000000000"]}]) == []


def test_describe_filters_are_anded(ec2, filter_world):
    assert names(ec2, [{"Name": "vpc-id", "Values": [filter_world["vpc1"]]},
                       {"Name": "group-name", "Values": ["default", "other"]}]) == ["default"]


def test_describe_unknown_filter_is_refused(ec2):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.describe_security_groups(Filters=[{"Name": "no-such-filter", "Values": ["x"]}])
    assert error_code(e) == "InvalidParameterValue"


def test_describe_pagination(ec2, vpc):
    for i in range(6):
        make_sg(ec2, vpc, name="g%d" % i)
    page = ec2.describe_security_groups(MaxResults=5)
    assert len(page["SecurityGroups"]) == 5
    rest = ec2.describe_security_groups(MaxResults=5, NextToken=page["NextToken"])
    assert len(rest["SecurityGroups"]) == 2
    assert "NextToken" not in rest
    ids = [g["GroupId"] for g in page["SecurityGroups"] + rest["SecurityGroups"]]
    assert len(set(ids)) == 7


def test_other_accounts_do_not_see_the_group(vpcd, ec2, sg):
    _, key, secret = vpcd.new_account("other")
    other = vpcd.client(keys=(key, secret))
    assert other.describe_security_groups()["SecurityGroups"] == []
    with pytest.raises(botocore.exceptions.ClientError) as e:
        other.describe_security_groups(GroupIds=[sg])
    assert error_code(e) == "InvalidGroup.NotFound"


# --- RevokeSecurityGroupIngress/Egress -----------------------------------

def test_revoke_by_permission(ec2, sg):
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[tcp(22, "10.0.0.0/8")])
    r = ec2.revoke_security_group_ingress(GroupId=sg, IpPermissions=[tcp(22, "10.0.0.0/8")])
    assert r["Return"] is True
    assert "UnknownIpPermissions" not in r or r["UnknownIpPermissions"] == []
    assert describe(ec2, sg)["IpPermissions"] == []


def test_revoke_by_legacy_form(ec2, sg):
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[tcp(22, "10.0.0.0/8")])
    ec2.revoke_security_group_ingress(GroupId=sg, IpProtocol="tcp", FromPort=22, ToPort=22,
                                      CidrIp="10.0.0.0/8")
    assert describe(ec2, sg)["IpPermissions"] == []


def test_revoke_by_rule_id(ec2, sg):
    r = ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        tcp(22, "10.0.0.0/8"), tcp(80, "10.0.0.0/8")])
    ssh = r["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    ec2.revoke_security_group_ingress(GroupId=sg, SecurityGroupRuleIds=[ssh])
    assert [p["FromPort"] for p in describe(ec2, sg)["IpPermissions"]] == [80]


def test_revoke_unknown_rule_id(ec2, sg):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.revoke_security_group_ingress(GroupId=sg, SecurityGroupRuleIds=["sgr-0123456789abcdef0"])
    assert error_code(e) == "InvalidSecurityGroupRuleId.NotFound"


def test_revoke_egress_rule_id_as_ingress_is_not_found(ec2, sg):
    egress_id = [r for r in ec2.describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [sg]}])["SecurityGroupRules"]][0]["SecurityGroupRuleId"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.revoke_security_group_ingress(GroupId=sg, SecurityGroupRuleIds=[egress_id])
    assert error_code(e) == "InvalidSecurityGroupRuleId.NotFound"


def test_revoke_a_rule_that_does_not_exist(ec2, sg):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.revoke_security_group_ingress(GroupId=sg, IpPermissions=[tcp(22, "10.0.0.0/8")])
    assert error_code(e) == "InvalidPermission.NotFound"


def test_partial_revoke_reports_the_unknown_permissions(ec2, sg):
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[tcp(22, "10.0.0.0/8")])
    r = ec2.revoke_security_group_ingress(GroupId=sg, IpPermissions=[
        tcp(22, "10.0.0.0/8"), tcp(23, "10.0.0.0/8")])
    unknown = r["UnknownIpPermissions"]
    assert [(p["IpProtocol"], p["FromPort"], p["ToPort"], p["IpRanges"]) for p in unknown] == [
        ("tcp", 23, 23, [{"CidrIp": "10.0.0.0/8"}])]
    assert describe(ec2, sg)["IpPermissions"] == []


def test_revoke_default_egress_rule(ec2, sg):
    ec2.revoke_security_group_egress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    assert describe(ec2, sg)["IpPermissionsEgress"] == []


def test_revoke_ipv6_egress_of_a_group_without_ipv6_is_not_found(ec2, sg):
    """Terraform revokes ::/0 after creating every group and accepts
    InvalidPermission.NotFound as "nothing to do"."""
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.revoke_security_group_egress(GroupId=sg, IpPermissions=[
            {"IpProtocol": "-1", "FromPort": 0, "ToPort": 0, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
    assert error_code(e) == "InvalidPermission.NotFound"
    assert describe(ec2, sg)["IpPermissionsEgress"] == [ALL_OUT]


def test_revoke_referenced_group_rule(ec2, vpc, sg):
    other = make_sg(ec2, vpc, name="lb")
    pair = {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
            "UserIdGroupPairs": [{"GroupId": other}]}
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[pair])
    ec2.revoke_security_group_ingress(GroupId=sg, IpPermissions=[pair])
    assert describe(ec2, sg)["IpPermissions"] == []
    ec2.delete_security_group(GroupId=other)


# --- DescribeSecurityGroupRules ------------------------------------------

def test_describe_rules_by_id(ec2, sg):
    r = ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[tcp(22, "10.0.0.0/8")])
    rule_id = r["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    rules = ec2.describe_security_group_rules(SecurityGroupRuleIds=[rule_id])["SecurityGroupRules"]
    assert len(rules) == 1
    assert rules[0] == r["SecurityGroupRules"][0]


def test_describe_rules_unknown_id(ec2):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.describe_security_group_rules(SecurityGroupRuleIds=["sgr-0123456789abcdef0"])
    assert error_code(e) == "InvalidSecurityGroupRuleId.NotFound"


def test_describe_rules_filter_group_id(ec2, vpc, sg):
    make_sg(ec2, vpc, name="other")
    rules = ec2.describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [sg]}])["SecurityGroupRules"]
    assert [(r["GroupId"], r["IsEgress"], r["IpProtocol"], r["CidrIpv4"]) for r in rules] == [
        (sg, True, "-1", "0.0.0.0/0")]
    assert (rules[0]["FromPort"], rules[0]["ToPort"]) == (-1, -1)


def test_describe_rules_filter_rule_id(ec2, sg):
    r = ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[tcp(22, "10.0.0.0/8")])
    rule_id = r["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    rules = ec2.describe_security_group_rules(
        Filters=[{"Name": "security-group-rule-id", "Values": [rule_id]}])["SecurityGroupRules"]
    assert [x["SecurityGroupRuleId"] for x in rules] == [rule_id]


def test_describe_rules_filter_tag(ec2, sg):
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[tcp(80, "10.0.0.0/8")])
    r = ec2.authorize_security_group_ingress(
        GroupId=sg, IpPermissions=[tcp(22, "10.0.0.0/8")],
        TagSpecifications=[{"ResourceType": "security-group-rule",
                            "Tags": [{"Key": "role", "Value": "ssh"}]}])
    rules = ec2.describe_security_group_rules(
        Filters=[{"Name": "tag:role", "Values": ["ssh"]}])["SecurityGroupRules"]
    assert [x["SecurityGroupRuleId"] for x in rules] == [r["SecurityGroupRules"][0]["SecurityGroupRuleId"]]


def test_describe_rules_referenced_group(ec2, vpc, sg):
    other = make_sg(ec2, vpc, name="lb")
    r = ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": other}]}])
    rule = r["SecurityGroupRules"][0]
    assert rule["ReferencedGroupInfo"]["GroupId"] == other
    assert rule["ReferencedGroupInfo"]["UserId"] == describe(ec2, sg)["OwnerId"]
    assert "CidrIpv4" not in rule


def test_describe_rules_pagination(ec2, sg):
    ec2.authorize_security_group_ingress(
        GroupId=sg, IpPermissions=[tcp(1000, *["10.0.%d.0/24" % i for i in range(7)])])
    page = ec2.describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [sg]}], MaxResults=5)
    assert len(page["SecurityGroupRules"]) == 5
    rest = ec2.describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [sg]}], MaxResults=5, NextToken=page["NextToken"])
    assert len(rest["SecurityGroupRules"]) == 3
    assert "NextToken" not in rest
    ids = {x["SecurityGroupRuleId"] for x in page["SecurityGroupRules"] + rest["SecurityGroupRules"]}
    assert len(ids) == 8


def test_describe_rules_paginator_collects_everything(ec2, sg):
    ec2.authorize_security_group_ingress(
        GroupId=sg, IpPermissions=[tcp(1000, *["10.0.%d.0/24" % i for i in range(12)])])
    pages = ec2.get_paginator("describe_security_group_rules").paginate(
        Filters=[{"Name": "group-id", "Values": [sg]}], PaginationConfig={"PageSize": 5})
    assert sum(len(p["SecurityGroupRules"]) for p in pages) == 13


# --- ModifySecurityGroupRules --------------------------------------------

def test_modify_rule_keeps_its_id(ec2, sg):
    r = ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[tcp(22, "10.0.0.0/8")])
    rule_id = r["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    ec2.modify_security_group_rules(GroupId=sg, SecurityGroupRules=[{
        "SecurityGroupRuleId": rule_id,
        "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": 2222, "ToPort": 2223,
                              "CidrIpv4": "192.168.0.0/16", "Description": "moved"}}])
    rule = ec2.describe_security_group_rules(SecurityGroupRuleIds=[rule_id])["SecurityGroupRules"][0]
    assert (rule["FromPort"], rule["ToPort"], rule["CidrIpv4"], rule["Description"]) == (
        2222, 2223, "192.168.0.0/16", "moved")
    assert rule["IsEgress"] is False
    assert describe(ec2, sg)["IpPermissions"][0]["IpRanges"] == [
        {"CidrIp": "192.168.0.0/16", "Description": "moved"}]


def test_modify_unknown_rule(ec2, sg):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.modify_security_group_rules(GroupId=sg, SecurityGroupRules=[{
            "SecurityGroupRuleId": "sgr-0123456789abcdef0",
            "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1,
                                  "CidrIpv4": "10.0.0.0/8"}}])
    assert error_code(e) == "InvalidSecurityGroupRuleId.NotFound"


def test_modify_into_a_duplicate_is_refused(ec2, sg):
    r = ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        tcp(22, "10.0.0.0/8"), tcp(23, "10.0.0.0/8")])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.modify_security_group_rules(GroupId=sg, SecurityGroupRules=[{
            "SecurityGroupRuleId": r["SecurityGroupRules"][1]["SecurityGroupRuleId"],
            "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                                  "CidrIpv4": "10.0.0.0/8"}}])
    assert error_code(e) == "InvalidPermission.Duplicate"


# --- UpdateSecurityGroupRuleDescriptions* --------------------------------

def test_update_ingress_description_by_permission(ec2, sg):
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[tcp(22, "10.0.0.0/8")])
    ec2.update_security_group_rule_descriptions_ingress(GroupId=sg, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
        "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "ssh"}]}])
    assert describe(ec2, sg)["IpPermissions"][0]["IpRanges"] == [
        {"CidrIp": "10.0.0.0/8", "Description": "ssh"}]


def test_update_ingress_description_by_rule_id(ec2, sg):
    r = ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[tcp(22, "10.0.0.0/8")])
    rule_id = r["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    ec2.update_security_group_rule_descriptions_ingress(GroupId=sg, SecurityGroupRuleDescriptions=[
        {"SecurityGroupRuleId": rule_id, "Description": "ssh"}])
    rule = ec2.describe_security_group_rules(SecurityGroupRuleIds=[rule_id])["SecurityGroupRules"][0]
    assert rule["Description"] == "ssh"


def test_update_egress_description_by_permission(ec2, sg):
    ec2.update_security_group_rule_descriptions_egress(GroupId=sg, IpPermissions=[{
        "IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "anywhere"}]}])
    assert describe(ec2, sg)["IpPermissionsEgress"][0]["IpRanges"] == [
        {"CidrIp": "0.0.0.0/0", "Description": "anywhere"}]


def test_update_description_of_a_missing_rule(ec2, sg):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.update_security_group_rule_descriptions_ingress(GroupId=sg, IpPermissions=[
            tcp(22, "10.0.0.0/8")])
    assert error_code(e) == "InvalidPermission.NotFound"


# --- More edge cases ------------------------------------------------------

def test_group_referencing_itself_can_be_deleted(ec2, sg):
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{
        "IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": sg}]}])
    ec2.delete_security_group(GroupId=sg)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        describe(ec2, sg)
    assert error_code(e) == "InvalidGroup.NotFound"


def test_same_rule_with_another_description_is_a_duplicate(ec2, sg):
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
        "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "one"}]}])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
            "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "two"}]}])
    assert error_code(e) == "InvalidPermission.Duplicate"


def test_revoke_egress_by_rule_id(ec2, sg):
    rule_id = ec2.describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [sg]}])["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    ec2.revoke_security_group_egress(GroupId=sg, SecurityGroupRuleIds=[rule_id])
    assert describe(ec2, sg)["IpPermissionsEgress"] == []


def test_describe_dry_run(ec2, sg):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.describe_security_groups(DryRun=True)
    assert error_code(e) == "DryRunOperation"
    assert http_status(e) == 412


def test_describe_filter_ip_permission_group_name_and_user_id(ec2, filter_world):
    owner = describe(ec2, filter_world["web"])["OwnerId"]
    assert names(ec2, [{"Name": "ip-permission.group-name", "Values": ["web"]}]) == ["db"]
    # Every default group references itself, so the owner matches them too.
    assert names(ec2, [{"Name": "ip-permission.user-id", "Values": [owner]}]) == [
        "db", "default", "default"]


def test_cli_describe_shows_empty_inbound_list(vpcd, sg):
    out = vpcd.aws("ec2", "describe-security-groups", "--group-ids", sg)
    assert out["SecurityGroups"][0]["IpPermissions"] == []


def test_revoke_ipv4_and_ipv6_reports_the_ipv6_range_as_unknown(ec2, sg):
    r = ec2.revoke_security_group_egress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
         "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
    assert [p["Ipv6Ranges"] for p in r["UnknownIpPermissions"]] == [[{"CidrIpv6": "::/0"}]]
    assert describe(ec2, sg)["IpPermissionsEgress"] == []


def test_authorize_ipv6_range_is_not_supported(ec2, sg):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
    assert error_code(e) == "UnsupportedOperation"
