"""Network ACLs through Debian's boto3: default and custom ACLs, entries
(numbers, protocols, quota, ordering), subnet associations and the
DescribeNetworkAcls filters."""
import botocore.exceptions
import pytest

from vpcdtest import error_code


def make_vpc(ec2, cidr="10.0.0.0/16"):
    return ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]


def make_subnet(ec2, vpc_id, cidr="10.0.1.0/24"):
    return ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr)["Subnet"]["SubnetId"]


def describe(ec2, acl_id):
    return ec2.describe_network_acls(NetworkAclIds=[acl_id])["NetworkAcls"][0]


def default_acl(ec2, vpc_id):
    acls = ec2.describe_network_acls(Filters=[
        {"Name": "vpc-id", "Values": [vpc_id]},
        {"Name": "default", "Values": ["true"]}])["NetworkAcls"]
    assert len(acls) == 1
    return acls[0]


def entries(ec2, acl_id, egress):
    return [e for e in describe(ec2, acl_id)["Entries"] if e["Egress"] is egress]


def add_entry(ec2, acl_id, number, egress=False, **kw):
    args = dict(NetworkAclId=acl_id, RuleNumber=number, Protocol="-1", RuleAction="allow",
                Egress=egress, CidrBlock="10.0.0.0/8")
    args.update(kw)
    ec2.create_network_acl_entry(**args)


def deny_all(egress):
    return {"RuleNumber": 32767, "Protocol": "-1", "RuleAction": "deny", "Egress": egress,
            "CidrBlock": "0.0.0.0/0"}


@pytest.fixture
def vpc(ec2):
    return make_vpc(ec2)


@pytest.fixture
def acl(ec2, vpc):
    return ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]


# --- CreateNetworkAcl and the default ACL --------------------------------

def test_custom_acl_denies_everything(ec2, vpc):
    created = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]
    assert created["NetworkAclId"].startswith("acl-")
    assert created["VpcId"] == vpc
    assert created["IsDefault"] is False
    assert created["Entries"] == [deny_all(False), deny_all(True)]
    assert created["Associations"] == []
    assert describe(ec2, created["NetworkAclId"])["Entries"] == [deny_all(False), deny_all(True)]


def test_create_with_tags(ec2, vpc):
    created = ec2.create_network_acl(VpcId=vpc, TagSpecifications=[{
        "ResourceType": "network-acl", "Tags": [{"Key": "Name", "Value": "private"}]}])["NetworkAcl"]
    assert created["Tags"] == [{"Key": "Name", "Value": "private"}]
    assert describe(ec2, created["NetworkAclId"])["Tags"] == [{"Key": "Name", "Value": "private"}]


def test_create_in_unknown_vpc(ec2):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.create_network_acl(VpcId="vpc-0123456789abcdef0")
    assert error_code(e) == "InvalidVpcID.NotFound"


def test_default_acl_allows_everything(ec2, vpc):
    acl = default_acl(ec2, vpc)
    assert acl["IsDefault"] is True
    allow = {"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "CidrBlock": "0.0.0.0/0"}
    assert acl["Entries"] == [dict(allow, Egress=False), deny_all(False),
                              dict(allow, Egress=True), deny_all(True)]


def test_new_subnets_are_associated_with_the_default_acl(ec2, vpc):
    s1 = make_subnet(ec2, vpc, "10.0.1.0/24")
    s2 = make_subnet(ec2, vpc, "10.0.2.0/24")
    acl = default_acl(ec2, vpc)
    assocs = acl["Associations"]
    assert sorted(a["SubnetId"] for a in assocs) == sorted([s1, s2])
    for a in assocs:
        assert a["NetworkAclAssociationId"].startswith("aclassoc-")
        assert a["NetworkAclId"] == acl["NetworkAclId"]
    assert len({a["NetworkAclAssociationId"] for a in assocs}) == 2


def test_deleted_subnet_loses_its_association(ec2, vpc):
    subnet = make_subnet(ec2, vpc)
    ec2.delete_subnet(SubnetId=subnet)
    assert default_acl(ec2, vpc)["Associations"] == []


# --- CreateNetworkAclEntry ------------------------------------------------

def test_tcp_entry_with_port_range(ec2, acl):
    ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="6",
                                 RuleAction="allow", Egress=False, CidrBlock="10.0.0.0/16",
                                 PortRange={"From": 80, "To": 443})
    assert entries(ec2, acl, False)[0] == {
        "RuleNumber": 100, "Protocol": "6", "RuleAction": "allow", "Egress": False,
        "CidrBlock": "10.0.0.0/16", "PortRange": {"From": 80, "To": 443}}


def test_tcp_entry_by_name_is_shown_as_number(ec2, acl):
    add_entry(ec2, acl, 100, Protocol="tcp", PortRange={"From": 22, "To": 22})
    assert entries(ec2, acl, False)[0]["Protocol"] == "6"


def test_icmp_entry_with_type_and_code(ec2, acl):
    ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=110, Protocol="1",
                                 RuleAction="allow", Egress=False, CidrBlock="0.0.0.0/0",
                                 IcmpTypeCode={"Type": 8, "Code": -1})
    entry = entries(ec2, acl, False)[0]
    assert entry["Protocol"] == "1"
    assert entry["IcmpTypeCode"] == {"Type": 8, "Code": -1}
    assert "PortRange" not in entry


def test_all_traffic_deny_egress_entry(ec2, acl):
    add_entry(ec2, acl, 50, egress=True, RuleAction="deny", CidrBlock="192.0.2.0/24")
    assert entries(ec2, acl, True)[0] == {
        "RuleNumber": 50, "Protocol": "-1", "RuleAction": "deny", "Egress": True,
        "CidrBlock": "192.0.2.0/24"}
    assert entries(ec2, acl, False) == [deny_all(False)]


def test_entry_cidr_host_bits_are_cleared(ec2, acl):
    add_entry(ec2, acl, 100, CidrBlock="10.1.2.3/16")
    assert entries(ec2, acl, False)[0]["CidrBlock"] == "10.1.0.0/16"


@pytest.mark.parametrize("number", [1, 32766])
def test_lowest_and_highest_rule_numbers(ec2, acl, number):
    add_entry(ec2, acl, number)
    assert entries(ec2, acl, False)[0]["RuleNumber"] == number


@pytest.mark.parametrize("number", [0, 32767, 40000])
def test_rule_number_out_of_range(ec2, acl, number):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        add_entry(ec2, acl, number)
    assert error_code(e) == "InvalidParameterValue"
    assert entries(ec2, acl, False) == [deny_all(False)]


def test_tcp_entry_without_port_range_is_refused(ec2, acl):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        add_entry(ec2, acl, 100, Protocol="6")
    assert error_code(e) == "InvalidParameterValue"


def test_port_range_from_above_to_is_refused(ec2, acl):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        add_entry(ec2, acl, 100, Protocol="6", PortRange={"From": 443, "To": 80})
    assert error_code(e) == "InvalidParameterValue"


def test_unknown_protocol_is_refused(ec2, acl):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        add_entry(ec2, acl, 100, Protocol="bogus")
    assert error_code(e) == "InvalidParameterValue"


def test_unknown_rule_action_is_refused(vpcd, acl):
    raw = vpcd.client(parameter_validation=False)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        add_entry(raw, acl, 100, RuleAction="maybe")
    assert error_code(e) == "InvalidParameterValue"


def test_duplicate_rule_number_in_the_same_direction(ec2, acl):
    add_entry(ec2, acl, 100)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        add_entry(ec2, acl, 100, CidrBlock="192.168.0.0/16")
    assert error_code(e) == "NetworkAclEntryAlreadyExists"


def test_same_rule_number_in_the_other_direction_is_fine(ec2, acl):
    add_entry(ec2, acl, 100)
    add_entry(ec2, acl, 100, egress=True)
    assert [e["RuleNumber"] for e in describe(ec2, acl)["Entries"]] == [100, 32767, 100, 32767]


def test_the_21st_entry_exceeds_the_quota(ec2, acl):
    for i in range(20):
        add_entry(ec2, acl, 10 + i)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        add_entry(ec2, acl, 100)
    assert error_code(e) == "NetworkAclEntryLimitExceeded"
    add_entry(ec2, acl, 100, egress=True)


def test_entries_are_listed_by_rule_number(ec2, acl):
    for number in (300, 100, 200):
        add_entry(ec2, acl, number)
    assert [e["RuleNumber"] for e in entries(ec2, acl, False)] == [100, 200, 300, 32767]


def test_entry_in_unknown_acl(ec2):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        add_entry(ec2, "acl-0123456789abcdef0", 100)
    assert error_code(e) == "InvalidNetworkAclID.NotFound"


# --- Replace/DeleteNetworkAclEntry ---------------------------------------

def test_replace_entry(ec2, acl):
    add_entry(ec2, acl, 100)
    ec2.replace_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="17",
                                  RuleAction="deny", Egress=False, CidrBlock="192.0.2.0/24",
                                  PortRange={"From": 53, "To": 53})
    assert entries(ec2, acl, False) == [
        {"RuleNumber": 100, "Protocol": "17", "RuleAction": "deny", "Egress": False,
         "CidrBlock": "192.0.2.0/24", "PortRange": {"From": 53, "To": 53}},
        deny_all(False)]


def test_replace_missing_entry(ec2, acl):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.replace_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="-1",
                                      RuleAction="deny", Egress=False, CidrBlock="0.0.0.0/0")
    assert error_code(e) == "InvalidNetworkAclEntry.NotFound"


def test_replace_entry_of_the_other_direction_is_missing(ec2, acl):
    add_entry(ec2, acl, 100, egress=True)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.replace_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="-1",
                                      RuleAction="deny", Egress=False, CidrBlock="0.0.0.0/0")
    assert error_code(e) == "InvalidNetworkAclEntry.NotFound"


def test_delete_entry(ec2, acl):
    add_entry(ec2, acl, 100)
    add_entry(ec2, acl, 100, egress=True)
    ec2.delete_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Egress=False)
    assert [e["RuleNumber"] for e in describe(ec2, acl)["Entries"]] == [32767, 100, 32767]


def test_delete_missing_entry(ec2, acl):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.delete_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Egress=False)
    assert error_code(e) == "InvalidNetworkAclEntry.NotFound"


def test_default_entries_of_the_default_acl_can_be_deleted(ec2, vpc):
    acl_id = default_acl(ec2, vpc)["NetworkAclId"]
    ec2.delete_network_acl_entry(NetworkAclId=acl_id, RuleNumber=100, Egress=True)
    assert entries(ec2, acl_id, True) == [deny_all(True)]


# --- ReplaceNetworkAclAssociation ----------------------------------------

def test_replace_association_moves_the_subnet(ec2, vpc, acl):
    subnet = make_subnet(ec2, vpc)
    old = default_acl(ec2, vpc)["Associations"][0]["NetworkAclAssociationId"]
    new = ec2.replace_network_acl_association(AssociationId=old, NetworkAclId=acl)[
        "NewAssociationId"]
    assert new.startswith("aclassoc-") and new != old
    assert describe(ec2, acl)["Associations"] == [
        {"NetworkAclAssociationId": new, "NetworkAclId": acl, "SubnetId": subnet}]
    assert default_acl(ec2, vpc)["Associations"] == []


def test_replace_association_back_to_the_default(ec2, vpc, acl):
    subnet = make_subnet(ec2, vpc)
    default_id = default_acl(ec2, vpc)["NetworkAclId"]
    old = default_acl(ec2, vpc)["Associations"][0]["NetworkAclAssociationId"]
    moved = ec2.replace_network_acl_association(AssociationId=old, NetworkAclId=acl)[
        "NewAssociationId"]
    back = ec2.replace_network_acl_association(AssociationId=moved, NetworkAclId=default_id)[
        "NewAssociationId"]
    assert [a["SubnetId"] for a in default_acl(ec2, vpc)["Associations"]] == [subnet]
    assert default_acl(ec2, vpc)["Associations"][0]["NetworkAclAssociationId"] == back
    assert describe(ec2, acl)["Associations"] == []


def test_replace_unknown_association(ec2, acl):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.replace_network_acl_association(AssociationId="aclassoc-0123456789abcdef0",
                                            NetworkAclId=acl)
    assert error_code(e) == "InvalidAssociationID.NotFound"


def test_replace_association_with_an_acl_of_another_vpc(ec2, vpc):
    make_subnet(ec2, vpc)
    other = ec2.create_network_acl(VpcId=make_vpc(ec2, "10.1.0.0/16"))["NetworkAcl"]["NetworkAclId"]
    old = default_acl(ec2, vpc)["Associations"][0]["NetworkAclAssociationId"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.replace_network_acl_association(AssociationId=old, NetworkAclId=other)
    assert error_code(e) == "InvalidParameterValue"


# --- DeleteNetworkAcl -----------------------------------------------------

def test_delete_acl(ec2, acl):
    ec2.delete_network_acl(NetworkAclId=acl)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        describe(ec2, acl)
    assert error_code(e) == "InvalidNetworkAclID.NotFound"


def test_default_acl_cannot_be_deleted(ec2, vpc):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.delete_network_acl(NetworkAclId=default_acl(ec2, vpc)["NetworkAclId"])
    assert error_code(e) == "InvalidParameterValue"


def test_associated_acl_cannot_be_deleted(ec2, vpc, acl):
    make_subnet(ec2, vpc)
    old = default_acl(ec2, vpc)["Associations"][0]["NetworkAclAssociationId"]
    ec2.replace_network_acl_association(AssociationId=old, NetworkAclId=acl)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.delete_network_acl(NetworkAclId=acl)
    assert error_code(e) == "DependencyViolation"


def test_delete_unknown_acl(ec2):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.delete_network_acl(NetworkAclId="acl-0123456789abcdef0")
    assert error_code(e) == "InvalidNetworkAclID.NotFound"


def test_deleting_the_vpc_removes_its_acls(ec2, vpc, acl):
    ec2.delete_network_acl(NetworkAclId=acl)
    ec2.delete_vpc(VpcId=vpc)
    assert ec2.describe_network_acls()["NetworkAcls"] == []


# --- DescribeNetworkAcls ---------------------------------------------------

@pytest.fixture
def world(ec2):
    """vpc1 with a subnet on a custom ACL 'custom' (tagged; inbound tcp
    22 allow from 10.0.0.0/8, rule 100; inbound deny icmp rule 200);
    vpc2 with only its default ACL."""
    vpc1, vpc2 = make_vpc(ec2), make_vpc(ec2, "10.1.0.0/16")
    subnet = make_subnet(ec2, vpc1)
    custom = ec2.create_network_acl(VpcId=vpc1, TagSpecifications=[{
        "ResourceType": "network-acl", "Tags": [{"Key": "tier", "Value": "private"}]}])[
        "NetworkAcl"]["NetworkAclId"]
    add_entry(ec2, custom, 100, Protocol="6", PortRange={"From": 22, "To": 22})
    add_entry(ec2, custom, 200, Protocol="1", RuleAction="deny", CidrBlock="198.51.100.0/24",
              IcmpTypeCode={"Type": -1, "Code": -1})
    assoc = default_acl(ec2, vpc1)["Associations"][0]["NetworkAclAssociationId"]
    ec2.replace_network_acl_association(AssociationId=assoc, NetworkAclId=custom)
    return {"vpc1": vpc1, "vpc2": vpc2, "subnet": subnet, "custom": custom,
            "default1": default_acl(ec2, vpc1)["NetworkAclId"],
            "default2": default_acl(ec2, vpc2)["NetworkAclId"]}


def acl_ids(ec2, filters):
    return sorted(a["NetworkAclId"] for a in ec2.describe_network_acls(Filters=filters)["NetworkAcls"])


def test_filter_vpc_id(ec2, world):
    assert acl_ids(ec2, [{"Name": "vpc-id", "Values": [world["vpc1"]]}]) == sorted(
        [world["custom"], world["default1"]])


def test_filter_default(ec2, world):
    assert acl_ids(ec2, [{"Name": "default", "Values": ["true"]}]) == sorted(
        [world["default1"], world["default2"]])
    assert acl_ids(ec2, [{"Name": "default", "Values": ["false"]}]) == [world["custom"]]


def test_filter_network_acl_id(ec2, world):
    assert acl_ids(ec2, [{"Name": "network-acl-id", "Values": [world["custom"]]}]) == [world["custom"]]


def test_filter_association_subnet_id(ec2, world):
    assert acl_ids(ec2, [{"Name": "association.subnet-id", "Values": [world["subnet"]]}]) == [
        world["custom"]]


def test_filter_entry_rule_number(ec2, world):
    assert acl_ids(ec2, [{"Name": "entry.rule-number", "Values": ["200"]}]) == [world["custom"]]
    assert len(acl_ids(ec2, [{"Name": "entry.rule-number", "Values": ["100"]}])) == 3


def test_filter_entry_cidr(ec2, world):
    assert acl_ids(ec2, [{"Name": "entry.cidr", "Values": ["198.51.100.0/24"]}]) == [world["custom"]]


def test_filter_entry_protocol_number(ec2, world):
    assert acl_ids(ec2, [{"Name": "entry.protocol", "Values": ["6"]}]) == [world["custom"]]


def test_filter_entry_protocol_name(ec2, world):
    assert acl_ids(ec2, [{"Name": "entry.protocol", "Values": ["tcp"]}]) == [world["custom"]]


def test_filter_entry_rule_action(ec2, world):
    # Every ACL has its deny-all entries; only the default ones allow all.
    assert len(acl_ids(ec2, [{"Name": "entry.rule-action", "Values": ["deny"]}])) == 3
    assert acl_ids(ec2, [{"Name": "entry.rule-action", "Values": ["allow"]},
                         {"Name": "vpc-id", "Values": [world["vpc1"]]}]) == sorted(
        [world["custom"], world["default1"]])


def test_filter_entry_port_range(ec2, world):
    assert acl_ids(ec2, [{"Name": "entry.port-range.from", "Values": ["22"]}]) == [world["custom"]]
    assert acl_ids(ec2, [{"Name": "entry.port-range.from", "Values": ["0"]}]) == []


def test_filter_tag(ec2, world):
    assert acl_ids(ec2, [{"Name": "tag:tier", "Values": ["private"]}]) == [world["custom"]]


def test_unknown_filter_is_refused(ec2):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.describe_network_acls(Filters=[{"Name": "no-such-filter", "Values": ["x"]}])
    assert error_code(e) == "InvalidParameterValue"


def test_describe_unknown_acl_id(ec2):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.describe_network_acls(NetworkAclIds=["acl-0123456789abcdef0"])
    assert error_code(e) == "InvalidNetworkAclID.NotFound"


def test_pagination(ec2, vpc):
    for _ in range(6):
        ec2.create_network_acl(VpcId=vpc)
    page = ec2.describe_network_acls(MaxResults=5)
    assert len(page["NetworkAcls"]) == 5
    rest = ec2.describe_network_acls(MaxResults=5, NextToken=page["NextToken"])
    assert len(rest["NetworkAcls"]) == 2
    assert "NextToken" not in rest
    ids = {a["NetworkAclId"] for a in page["NetworkAcls"] + rest["NetworkAcls"]}
    assert len(ids) == 7


def test_other_accounts_do_not_see_the_acl(vpcd, acl):
    _, key, secret = vpcd.new_account("other")
    other = vpcd.client(keys=(key, secret))
    assert other.describe_network_acls()["NetworkAcls"] == []
