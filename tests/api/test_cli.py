"""Debian's aws CLI (/usr/bin/aws 2.9.19) end to end."""
import json


def test_cli_end_to_end(vpcd):
    aws = vpcd.aws
    vpc = aws("ec2", "create-vpc", "--cidr-block", "10.0.0.0/16")["Vpc"]
    assert vpc["CidrBlock"] == "10.0.0.0/16"
    assert vpc["IsDefault"] is False
    vpc_id = vpc["VpcId"]

    sn = aws("ec2", "create-subnet", "--vpc-id", vpc_id, "--cidr-block", "10.0.1.0/24",
             "--availability-zone", "us-east-1a")["Subnet"]
    assert sn["VpcId"] == vpc_id
    assert sn["AvailableIpAddressCount"] == 251
    sn_id = sn["SubnetId"]

    igw_id = aws("ec2", "create-internet-gateway")["InternetGateway"]["InternetGatewayId"]
    assert aws("ec2", "attach-internet-gateway", "--internet-gateway-id", igw_id,
               "--vpc-id", vpc_id) == {}

    rtb = aws("ec2", "create-route-table", "--vpc-id", vpc_id)["RouteTable"]
    rtb_id = rtb["RouteTableId"]
    assert rtb["Routes"][0]["GatewayId"] == "local"

    assert aws("ec2", "create-route", "--route-table-id", rtb_id, "--destination-cidr-block",
               "0.0.0.0/0", "--gateway-id", igw_id) == {"Return": True}
    assoc = aws("ec2", "associate-route-table", "--route-table-id", rtb_id,
                "--subnet-id", sn_id)
    assert assoc["AssociationId"].startswith("rtbassoc-")
    assert assoc["AssociationState"] == {"State": "associated"}

    got = aws("ec2", "describe-route-tables", "--filters",
              "Name=association.subnet-id,Values=%s" % sn_id)["RouteTables"]
    assert [t["RouteTableId"] for t in got] == [rtb_id]
    routes = {r["DestinationCidrBlock"]: r for r in got[0]["Routes"]}
    assert routes["0.0.0.0/0"]["GatewayId"] == igw_id
    assert routes["0.0.0.0/0"]["State"] == "active"

    assert aws("ec2", "create-tags", "--resources", vpc_id, sn_id,
               "--tags", "Key=Name,Value=demo env", "Key=team,Value=net") == {}
    tags = aws("ec2", "describe-tags", "--filters", "Name=key,Values=Name")["Tags"]
    assert sorted((t["ResourceId"], t["Value"]) for t in tags) == \
        sorted([(vpc_id, "demo env"), (sn_id, "demo env")])
    named = aws("ec2", "describe-vpcs", "--filters", "Name=tag:Name,Values=demo env")["Vpcs"]
    assert [v["VpcId"] for v in named] == [vpc_id]

    aws("ec2", "disassociate-route-table", "--association-id", assoc["AssociationId"])
    aws("ec2", "delete-route", "--route-table-id", rtb_id, "--destination-cidr-block",
        "0.0.0.0/0")
    aws("ec2", "delete-route-table", "--route-table-id", rtb_id)
    aws("ec2", "detach-internet-gateway", "--internet-gateway-id", igw_id, "--vpc-id", vpc_id)
    aws("ec2", "delete-internet-gateway", "--internet-gateway-id", igw_id)
    aws("ec2", "delete-subnet", "--subnet-id", sn_id)
    aws("ec2", "delete-vpc", "--vpc-id", vpc_id)

    assert aws("ec2", "describe-vpcs")["Vpcs"] == []
    assert aws("ec2", "describe-subnets")["Subnets"] == []
    assert aws("ec2", "describe-internet-gateways")["InternetGateways"] == []
    assert aws("ec2", "describe-route-tables")["RouteTables"] == []
    assert aws("ec2", "describe-tags")["Tags"] == []


def test_cli_not_found_error(vpcd):
    r = vpcd.aws("ec2", "delete-vpc", "--vpc-id", "vpc-0123456789abcdef0", check=False)
    assert r.returncode == 254
    assert "InvalidVpcID.NotFound" in r.stderr
    assert "DeleteVpc" in r.stderr
    assert r.stdout == ""


def test_cli_dry_run(vpcd):
    r = vpcd.aws("ec2", "create-vpc", "--cidr-block", "10.0.0.0/16", "--dry-run", check=False)
    assert r.returncode == 254
    assert "DryRunOperation" in r.stderr
    assert vpcd.aws("ec2", "describe-vpcs")["Vpcs"] == []


def test_cli_paginates_automatically(make_daemon):
    d = make_daemon(args=["--set", "quota.vpcs-per-region=12"]).start()
    for i in range(12):
        d.aws("ec2", "create-vpc", "--cidr-block", "10.%d.0.0/16" % i)
    got = d.aws("ec2", "describe-vpcs", "--page-size", "5")["Vpcs"]
    assert len(got) == 12
    assert len({v["VpcId"] for v in got}) == 12


def test_cli_query_output(vpcd):
    vpc = vpcd.aws("ec2", "create-vpc", "--cidr-block", "10.0.0.0/16")["Vpc"]["VpcId"]
    r = vpcd.aws("ec2", "describe-vpcs", "--query", "Vpcs[].VpcId", check=False)
    assert r.returncode == 0
    assert json.loads(r.stdout) == [vpc]


def test_cli_default_vpc_and_account_attributes(vpcd):
    vpc = vpcd.aws("ec2", "create-default-vpc")["Vpc"]
    assert vpc["IsDefault"] is True
    attrs = vpcd.aws("ec2", "describe-account-attributes", "--attribute-names",
                     "default-vpc")["AccountAttributes"]
    assert attrs[0]["AttributeValues"] == [{"AttributeValue": vpc["VpcId"]}]


def test_cli_vpc_attribute(vpcd):
    vpc = vpcd.aws("ec2", "create-vpc", "--cidr-block", "10.0.0.0/16")["Vpc"]["VpcId"]
    vpcd.aws("ec2", "modify-vpc-attribute", "--vpc-id", vpc, "--enable-dns-hostnames")
    got = vpcd.aws("ec2", "describe-vpc-attribute", "--vpc-id", vpc,
                   "--attribute", "enableDnsHostnames")
    assert got == {"VpcId": vpc, "EnableDnsHostnames": {"Value": True}}


def test_cli_instance_flow(vpcd):
    """run-instances, describe-instances --filters, associate-address,
    terminate-instances, as a shell user would type them."""
    aws = vpcd.aws
    vpc_id = aws("ec2", "create-vpc", "--cidr-block", "10.0.0.0/16")["Vpc"]["VpcId"]
    sn_id = aws("ec2", "create-subnet", "--vpc-id", vpc_id, "--cidr-block",
                "10.0.1.0/24")["Subnet"]["SubnetId"]
    igw_id = aws("ec2", "create-internet-gateway")["InternetGateway"]["InternetGatewayId"]
    aws("ec2", "attach-internet-gateway", "--internet-gateway-id", igw_id, "--vpc-id", vpc_id)
    image = aws("ec2", "describe-images", "--owners", "amazon", "--filters",
                "Name=name,Values=vpcd-linux")["Images"][0]["ImageId"]

    r = aws("ec2", "run-instances", "--image-id", image, "--count", "2", "--instance-type",
            "t3.micro", "--subnet-id", sn_id, "--user-data", "#!/bin/sh\necho hi",
            "--tag-specifications", "ResourceType=instance,Tags=[{Key=Name,Value=web}]")
    assert [i["State"]["Name"] for i in r["Instances"]] == ["pending", "pending"]
    ids = [i["InstanceId"] for i in r["Instances"]]

    got = aws("ec2", "describe-instances", "--filters", "Name=tag:Name,Values=web",
              "Name=instance-state-name,Values=running")["Reservations"]
    assert sorted(i["InstanceId"] for x in got for i in x["Instances"]) == sorted(ids)
    out = aws("ec2", "describe-instances", "--instance-ids", ids[0], "--query",
              "Reservations[0].Instances[0].PrivateIpAddress", "--output", "json")
    assert out == "10.0.1.4"

    alloc = aws("ec2", "allocate-address", "--domain", "vpc")
    assoc = aws("ec2", "associate-address", "--instance-id", ids[0], "--allocation-id",
                alloc["AllocationId"])
    assert assoc["AssociationId"].startswith("eipassoc-")
    addr = aws("ec2", "describe-addresses", "--filters",
               "Name=instance-id,Values=%s" % ids[0])["Addresses"]
    assert [a["PublicIp"] for a in addr] == [alloc["PublicIp"]]

    t = aws("ec2", "terminate-instances", "--instance-ids", *ids)["TerminatingInstances"]
    assert {x["CurrentState"]["Name"] for x in t} == {"shutting-down"}
    aws("ec2", "wait", "instance-terminated", "--instance-ids", *ids)
    addr = aws("ec2", "describe-addresses")["Addresses"]
    assert "AssociationId" not in addr[0]
    aws("ec2", "release-address", "--allocation-id", alloc["AllocationId"])
    aws("ec2", "delete-subnet", "--subnet-id", sn_id)
