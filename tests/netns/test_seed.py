"""The seed architecture (shared/seeds/000): a VPC with front, app and
database subnets and three security groups, on real packets."""
import pytest

from vpcdtest import listener, wait_running, wait_port


@pytest.fixture
def seed(dp):
    ec2 = dp.client()
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = {name: ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone="us-east-1a")
               ["Subnet"]["SubnetId"] for name, cidr in
               (("front", "10.0.1.0/24"), ("app", "10.0.2.0/24"), ("db", "10.0.3.0/24"))}
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=rtb, SubnetId=subnets["front"])

    def group(name):
        return ec2.create_security_group(VpcId=vpc, GroupName=name, Description=name)["GroupId"]

    nginx, intel, db = group("nginx"), group("intel"), group("db")
    ec2.authorize_security_group_ingress(GroupId=nginx, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": p, "ToPort": p, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
        for p in (80, 443)])
    ec2.authorize_security_group_ingress(GroupId=intel, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080,
         "UserIdGroupPairs": [{"GroupId": nginx}]}])
    ec2.authorize_security_group_ingress(GroupId=db, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306,
         "UserIdGroupPairs": [{"GroupId": intel}]}])
    ports = listener(80, 443, 8080, 3306)

    def run(subnet, sg, public):
        spec = {"ImageId": "ami-00000000", "MinCount": 1, "MaxCount": 1, "UserData": ports,
                "NetworkInterfaces": [{"DeviceIndex": 0, "SubnetId": subnets[subnet],
                                       "Groups": [sg], "AssociatePublicIpAddress": public}]}
        return ec2.run_instances(**spec)["Instances"][0]["InstanceId"]

    ids = {"front": run("front", nginx, True), "app": run("app", intel, False),
           "db": run("db", db, False)}
    wait_running(ec2, ids.values())
    desc = {i["InstanceId"]: i for r in ec2.describe_instances(InstanceIds=list(ids.values()))
            ["Reservations"] for i in r["Instances"]}
    ips = {k: desc[v]["PrivateIpAddress"] for k, v in ids.items()}
    public = desc[ids["front"]]["PublicIpAddress"]
    for name in ("front", "app", "db"):
        assert wait_port(dp, ids[name], "127.0.0.1", 80), name + ": user data did not start"
    return dp, ids, ips, public


def test_internet_reaches_only_the_front_web_ports(seed):
    dp, ids, ips, public = seed
    assert dp.connects("internet", public, 80)
    assert dp.connects("internet", public, 443)
    assert not dp.connects("internet", public, 8080)
    assert not dp.connects("internet", public, 3306)


def test_internet_cannot_reach_private_instances(seed):
    dp, ids, ips, public = seed
    assert not dp.connects("internet", ips["app"], 8080)
    assert not dp.connects("internet", ips["db"], 3306)


def test_tiers_reach_only_the_next_tier(seed):
    dp, ids, ips, public = seed
    assert dp.connects(ids["front"], ips["app"], 8080)
    assert dp.connects(ids["app"], ips["db"], 3306)
    assert not dp.connects(ids["front"], ips["db"], 3306)
    assert not dp.connects(ids["app"], ips["front"], 8080)
