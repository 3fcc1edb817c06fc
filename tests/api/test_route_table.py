"""Route tables: create/delete, associations (subnet and main), routes and
their targets, blackhole state, filters and pagination."""
import botocore.exceptions
import pytest

from vpcdtest import error_code


@pytest.fixture
def vpc(ec2):
    return ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]


@pytest.fixture
def subnet(ec2, vpc):
    return ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]


@pytest.fixture
def rtb(ec2, vpc):
    return ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]


@pytest.fixture
def igw(ec2, vpc):
    i = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=i, VpcId=vpc)
    return i


def get_rtb(ec2, rtb_id):
    return ec2.describe_route_tables(RouteTableIds=[rtb_id])["RouteTables"][0]


def main_rtb(ec2, vpc):
    got = ec2.describe_route_tables(Filters=[
        {"Name": "association.main", "Values": ["true"]},
        {"Name": "vpc-id", "Values": [vpc]}])["RouteTables"]
    assert len(got) == 1
    return got[0]


def route(ec2, rtb_id, dst):
    for r in get_rtb(ec2, rtb_id)["Routes"]:
        if r["DestinationCidrBlock"] == dst:
            return r
    return None


def rtb_ids(ec2, *filters):
    flt = [{"Name": n, "Values": list(v)} for n, v in filters]
    return sorted(r["RouteTableId"] for r in ec2.describe_route_tables(Filters=flt)["RouteTables"])


# --- Create / Delete -------------------------------------------------------

def test_create_route_table_fields(ec2, vpc):
    rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]
    assert rt["RouteTableId"].startswith("rtb-")
    assert rt["VpcId"] == vpc
    assert rt["Associations"] == []
    assert rt["Routes"] == [{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local",
                             "Origin": "CreateRouteTable", "State": "active"}]


def test_create_route_table_with_tags(ec2, vpc):
    rt = ec2.create_route_table(VpcId=vpc, TagSpecifications=[
        {"ResourceType": "route-table", "Tags": [{"Key": "Name", "Value": "pub"}]}])["RouteTable"]
    assert get_rtb(ec2, rt["RouteTableId"])["Tags"] == [{"Key": "Name", "Value": "pub"}]


def test_create_route_table_unknown_vpc(ec2):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.create_route_table(VpcId="vpc-0123456789abcdef0")
    assert error_code(e) == "InvalidVpcID.NotFound"


def test_delete_route_table(ec2, rtb):
    ec2.delete_route_table(RouteTableId=rtb)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.describe_route_tables(RouteTableIds=[rtb])
    assert error_code(e) == "InvalidRouteTableID.NotFound"


def test_delete_route_table_unknown(ec2):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.delete_route_table(RouteTableId="rtb-0123456789abcdef0")
    assert error_code(e) == "InvalidRouteTableID.NotFound"


def test_delete_main_route_table_is_dependency_violation(ec2, vpc):
    main = main_rtb(ec2, vpc)["RouteTableId"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.delete_route_table(RouteTableId=main)
    assert error_code(e) == "DependencyViolation"
    assert get_rtb(ec2, main)["RouteTableId"] == main


def test_delete_associated_route_table_is_dependency_violation(ec2, rtb, subnet):
    ec2.associate_route_table(RouteTableId=rtb, SubnetId=subnet)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.delete_route_table(RouteTableId=rtb)
    assert error_code(e) == "DependencyViolation"


# --- Associations ----------------------------------------------------------

def test_associate_route_table(ec2, rtb, subnet):
    r = ec2.associate_route_table(RouteTableId=rtb, SubnetId=subnet)
    assert r["AssociationId"].startswith("rtbassoc-")
    assert r["AssociationState"]["State"] == "associated"
    assocs = get_rtb(ec2, rtb)["Associations"]
    assert len(assocs) == 1
    assert assocs[0]["SubnetId"] == subnet
    assert assocs[0]["Main"] is False
    assert assocs[0]["RouteTableAssociationId"] == r["AssociationId"]


def test_associate_subnet_twice_is_already_associated(ec2, vpc, rtb, subnet):
    ec2.associate_route_table(RouteTableId=rtb, SubnetId=subnet)
    other = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.associate_route_table(RouteTableId=other, SubnetId=subnet)
    assert error_code(e) == "Resource.AlreadyAssociated"
    assert get_rtb(ec2, other)["Associations"] == []


def test_associate_unknown_subnet(ec2, rtb):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.associate_route_table(RouteTableId=rtb, SubnetId="subnet-0123456789abcdef0")
    assert error_code(e) == "InvalidSubnetID.NotFound"


def test_associate_unknown_route_table(ec2, subnet):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.associate_route_table(RouteTableId="rtb-0123456789abcdef0", SubnetId=subnet)
    assert error_code(e) == "InvalidRouteTableID.NotFound"


def test_associate_subnet_of_other_vpc_is_refused(ec2, rtb):
    other = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    sn = ec2.create_subnet(VpcId=other, CidrBlock="10.1.1.0/24")["Subnet"]["SubnetId"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.associate_route_table(RouteTableId=rtb, SubnetId=sn)
    assert error_code(e) == "InvalidParameterValue"


def test_disassociate_falls_back_to_main(ec2, vpc, rtb, subnet):
    assoc = ec2.associate_route_table(RouteTableId=rtb, SubnetId=subnet)["AssociationId"]
    ec2.disassociate_route_table(AssociationId=assoc)
    assert get_rtb(ec2, rtb)["Associations"] == []
    assert rtb_ids(ec2, ("association.subnet-id", [subnet])) == []
    ec2.delete_route_table(RouteTableId=rtb)


def test_disassociate_unknown_association(ec2, vpc):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.disassociate_route_table(AssociationId="rtbassoc-0123456789abcdef0")
    assert error_code(e) == "InvalidAssociationID.NotFound"


def test_disassociate_main_association_is_refused(ec2, vpc):
    assoc = main_rtb(ec2, vpc)["Associations"][0]["RouteTableAssociationId"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.disassociate_route_table(AssociationId=assoc)
    assert error_code(e) == "InvalidParameterValue"


def test_replace_subnet_association(ec2, vpc, rtb, subnet):
    assoc = ec2.associate_route_table(RouteTableId=rtb, SubnetId=subnet)["AssociationId"]
    other = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    r = ec2.replace_route_table_association(AssociationId=assoc, RouteTableId=other)
    new = r["NewAssociationId"]
    assert new.startswith("rtbassoc-")
    assert r["AssociationState"]["State"] == "associated"
    assert get_rtb(ec2, rtb)["Associations"] == []
    assocs = get_rtb(ec2, other)["Associations"]
    assert [(a["SubnetId"], a["RouteTableAssociationId"]) for a in assocs] == [(subnet, new)]


def test_replace_main_association(ec2, vpc, rtb):
    old_main = main_rtb(ec2, vpc)
    assoc = old_main["Associations"][0]["RouteTableAssociationId"]
    r = ec2.replace_route_table_association(AssociationId=assoc, RouteTableId=rtb)
    new_main = main_rtb(ec2, vpc)
    assert new_main["RouteTableId"] == rtb
    assert new_main["Associations"][0]["Main"] is True
    assert new_main["Associations"][0]["RouteTableAssociationId"] == r["NewAssociationId"]
    # The old main table is an ordinary table now and can be deleted.
    assert get_rtb(ec2, old_main["RouteTableId"])["Associations"] == []
    ec2.delete_route_table(RouteTableId=old_main["RouteTableId"])


def test_replaced_main_table_cannot_be_deleted(ec2, vpc, rtb):
    assoc = main_rtb(ec2, vpc)["Associations"][0]["RouteTableAssociationId"]
    ec2.replace_route_table_association(AssociationId=assoc, RouteTableId=rtb)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.delete_route_table(RouteTableId=rtb)
    assert error_code(e) == "DependencyViolation"


def test_replace_association_unknown(ec2, rtb):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.replace_route_table_association(AssociationId="rtbassoc-0123456789abcdef0",
                                            RouteTableId=rtb)
    assert error_code(e) == "InvalidAssociationID.NotFound"


# --- Routes ----------------------------------------------------------------

def test_create_route_to_attached_igw_is_active(ec2, rtb, igw):
    assert ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0",
                            GatewayId=igw)["Return"] is True
    r = route(ec2, rtb, "0.0.0.0/0")
    assert r == {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": igw,
                 "Origin": "CreateRoute", "State": "active"}


def test_create_route_twice_is_route_already_exists(ec2, rtb, igw):
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    assert error_code(e) == "RouteAlreadyExists"


def test_create_route_to_detached_igw_is_invalid(ec2, rtb):
    i = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=i)
    assert error_code(e) == "InvalidParameterValue"
    assert route(ec2, rtb, "0.0.0.0/0") is None


def test_create_route_to_igw_of_other_vpc_is_invalid(ec2, rtb):
    other = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    i = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=i, VpcId=other)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=i)
    assert error_code(e) == "InvalidParameterValue"


def test_create_route_to_unknown_igw(ec2, rtb):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0",
                         GatewayId="igw-0123456789abcdef0")
    assert error_code(e) == "InvalidInternetGatewayID.NotFound"


def test_create_route_unknown_route_table(ec2, igw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.create_route(RouteTableId="rtb-0123456789abcdef0",
                         DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    assert error_code(e) == "InvalidRouteTableID.NotFound"


@pytest.mark.parametrize("param,value,code", [
    ("NatGatewayId", "nat-0123456789abcdef0", "InvalidNatGatewayID.NotFound"),
    ("InstanceId", "i-0123456789abcdef0", "InvalidInstanceID.NotFound"),
    ("NetworkInterfaceId", "eni-0123456789abcdef0", "InvalidNetworkInterfaceID.NotFound"),
    ("VpcPeeringConnectionId", "pcx-0123456789abcdef0",
     "InvalidVpcPeeringConnectionID.NotFound"),
])
def test_create_route_to_unknown_target(ec2, rtb, param, value, code):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", **{param: value})
    assert error_code(e) == code


def test_create_route_without_target(ec2, rtb):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0")
    assert error_code(e) in ("MissingParameter", "InvalidParameterCombination")


def test_create_route_equal_to_local_is_refused(ec2, rtb, igw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="10.0.0.0/16", GatewayId=igw)
    assert error_code(e) in ("InvalidParameterValue", "RouteAlreadyExists")


def test_route_becomes_blackhole_after_detach_and_active_after_reattach(ec2, vpc, rtb, igw):
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    assert route(ec2, rtb, "0.0.0.0/0")["State"] == "blackhole"
    assert rtb_ids(ec2, ("route.state", ["blackhole"])) == [rtb]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    assert route(ec2, rtb, "0.0.0.0/0")["State"] == "active"
    assert rtb_ids(ec2, ("route.state", ["blackhole"])) == []


def test_route_becomes_blackhole_after_igw_deleted(ec2, vpc, rtb, igw):
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    ec2.delete_internet_gateway(InternetGatewayId=igw)
    r = route(ec2, rtb, "0.0.0.0/0")
    assert r["State"] == "blackhole"
    assert r["GatewayId"] == igw


def test_replace_route(ec2, vpc, rtb, igw):
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    igw2 = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw2, VpcId=vpc)
    ec2.replace_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw2)
    r = route(ec2, rtb, "0.0.0.0/0")
    assert r["GatewayId"] == igw2
    assert r["State"] == "active"


def test_replace_route_unknown_destination(ec2, rtb, igw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.replace_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    assert error_code(e) == "InvalidRoute.NotFound"


def test_replace_route_to_unknown_target_keeps_old(ec2, rtb, igw):
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.replace_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0",
                          NatGatewayId="nat-0123456789abcdef0")
    assert error_code(e) == "InvalidNatGatewayID.NotFound"
    assert route(ec2, rtb, "0.0.0.0/0")["GatewayId"] == igw


def test_delete_route(ec2, rtb, igw):
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="192.0.2.0/24", GatewayId=igw)
    ec2.delete_route(RouteTableId=rtb, DestinationCidrBlock="192.0.2.0/24")
    assert route(ec2, rtb, "192.0.2.0/24") is None


def test_delete_route_unknown(ec2, rtb):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.delete_route(RouteTableId=rtb, DestinationCidrBlock="192.0.2.0/24")
    assert error_code(e) == "InvalidRoute.NotFound"


def test_delete_local_route_is_refused(ec2, rtb):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.delete_route(RouteTableId=rtb, DestinationCidrBlock="10.0.0.0/16")
    assert error_code(e) == "InvalidParameterValue"
    assert route(ec2, rtb, "10.0.0.0/16")["GatewayId"] == "local"


# --- Filters ---------------------------------------------------------------

def test_filter_vpc_id(ec2, vpc, rtb):
    main = main_rtb(ec2, vpc)["RouteTableId"]
    ec2.create_vpc(CidrBlock="10.1.0.0/16")
    assert rtb_ids(ec2, ("vpc-id", [vpc])) == sorted([main, rtb])


def test_filter_association_main_false(ec2, vpc, rtb, subnet):
    ec2.associate_route_table(RouteTableId=rtb, SubnetId=subnet)
    assert rtb_ids(ec2, ("association.main", ["false"]), ("vpc-id", [vpc])) == [rtb]


def test_filter_association_main_follows_replacement(ec2, vpc, rtb):
    assoc = main_rtb(ec2, vpc)["Associations"][0]["RouteTableAssociationId"]
    ec2.replace_route_table_association(AssociationId=assoc, RouteTableId=rtb)
    assert rtb_ids(ec2, ("association.main", ["true"]), ("vpc-id", [vpc])) == [rtb]


def test_filter_association_subnet_id(ec2, rtb, subnet):
    ec2.associate_route_table(RouteTableId=rtb, SubnetId=subnet)
    assert rtb_ids(ec2, ("association.subnet-id", [subnet])) == [rtb]


def test_filter_association_id(ec2, rtb, subnet):
    assoc = ec2.associate_route_table(RouteTableId=rtb, SubnetId=subnet)["AssociationId"]
    assert rtb_ids(ec2, ("association.route-table-association-id", [assoc])) == [rtb]


def test_filter_route_table_id(ec2, rtb):
    assert rtb_ids(ec2, ("route-table-id", [rtb])) == [rtb]


def test_filter_route_gateway_id(ec2, rtb, igw):
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    assert rtb_ids(ec2, ("route.gateway-id", [igw])) == [rtb]


def test_filter_route_destination_cidr_block(ec2, rtb, igw):
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    assert rtb_ids(ec2, ("route.destination-cidr-block", ["0.0.0.0/0"])) == [rtb]


def test_filter_route_origin(ec2, rtb, igw):
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    assert rtb_ids(ec2, ("route.origin", ["CreateRoute"])) == [rtb]


def test_filter_tag(ec2, rtb):
    ec2.create_tags(Resources=[rtb], Tags=[{"Key": "Name", "Value": "pub"}])
    assert rtb_ids(ec2, ("tag:Name", ["pub"])) == [rtb]


def test_unknown_route_table_filter(ec2):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.describe_route_tables(Filters=[{"Name": "route.colour", "Values": ["x"]}])
    assert error_code(e) == "InvalidParameterValue"


# --- Pagination ------------------------------------------------------------

def test_pagination_walks_every_table(ec2, vpc):
    for _ in range(11):
        ec2.create_route_table(VpcId=vpc)
    seen, token, pages = [], None, 0
    while True:
        kw = {"MaxResults": 5}
        if token:
            kw["NextToken"] = token
        r = ec2.describe_route_tables(**kw)
        assert len(r["RouteTables"]) <= 5
        seen += [t["RouteTableId"] for t in r["RouteTables"]]
        pages += 1
        token = r.get("NextToken")
        if not token:
            break
    assert pages == 3
    assert len(seen) == 12 and len(set(seen)) == 12


@pytest.mark.parametrize("n", [4, 101])
def test_pagination_max_results_range(vpcd, n):
    ec2 = vpcd.client(parameter_validation=False)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.describe_route_tables(MaxResults=n)
    assert error_code(e) == "InvalidParameterValue"


def test_pagination_max_results_100(ec2, vpc):
    assert len(ec2.describe_route_tables(MaxResults=100)["RouteTables"]) == 1


def test_route_more_specific_than_vpc_to_igw_is_refused(ec2, rtb, igw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="10.0.1.0/24", GatewayId=igw)
    assert error_code(e) == "InvalidParameterValue"


def test_route_less_specific_than_vpc_is_allowed(ec2, rtb, igw):
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="10.0.0.0/8", GatewayId=igw)
    assert route(ec2, rtb, "10.0.0.0/8")["GatewayId"] == igw


def test_route_destination_with_host_bits_is_refused(ec2, rtb, igw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="192.0.2.1/24", GatewayId=igw)
    assert error_code(e) == "InvalidParameterValue"


def test_route_quota(make_daemon):
    d = make_daemon(args=["--set", "quota.routes-per-route-table=3"]).start()
    ec2 = d.client()
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="192.0.2.0/24", GatewayId=igw)
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="198.51.100.0/24", GatewayId=igw)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="203.0.113.0/24", GatewayId=igw)
    assert error_code(e) == "RouteLimitExceeded"


def test_route_table_quota(make_daemon):
    d = make_daemon(args=["--set", "quota.route-tables-per-vpc=2"]).start()
    ec2 = d.client()
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.create_route_table(VpcId=vpc)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.create_route_table(VpcId=vpc)
    assert error_code(e) == "RouteTableLimitExceeded"
