"""Instances: RunInstances and the calls around an instance's life, with
--dataplane none (the core completes every transition at once, so answers
show the transitional state and Describe calls the final one)."""
import base64
import os

import pytest

from vpcdtest import AMI, fails, http_status


@pytest.fixture
def net(ec2):
    """A VPC with a /24 subnet (addresses .4 - .254 usable) and an
    internet gateway."""
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    sn = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24",
                           AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    sg = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}])
    return {"vpc": vpc, "subnet": sn, "igw": igw,
            "default_sg": sg["SecurityGroups"][0]["GroupId"]}


def run(ec2, net, n=1, **kw):
    kw.setdefault("SubnetId", net["subnet"])
    return ec2.run_instances(ImageId=AMI, MinCount=n, MaxCount=n, **kw)


def describe(ec2, iid):
    r = ec2.describe_instances(InstanceIds=[iid])["Reservations"]
    return r[0]["Instances"][0]


def available(ec2, sn):
    return ec2.describe_subnets(SubnetIds=[sn])["Subnets"][0]["AvailableIpAddressCount"]


def test_run_answers_pending_and_describe_shows_running(ec2, net):
    r = run(ec2, net, InstanceType="t3.micro")
    assert r["ReservationId"].startswith("r-")
    inst = r["Instances"][0]
    assert inst["State"] == {"Code": 0, "Name": "pending"}
    assert inst["ImageId"] == AMI and inst["InstanceType"] == "t3.micro"
    assert inst["AmiLaunchIndex"] == 0
    assert inst["SubnetId"] == net["subnet"] and inst["VpcId"] == net["vpc"]
    assert inst["PrivateIpAddress"] == "10.0.1.4"
    assert inst["Placement"]["AvailabilityZone"] == "us-east-1a"
    assert [g["GroupId"] for g in inst["SecurityGroups"]] == [net["default_sg"]]
    assert "PublicIpAddress" not in inst
    d = describe(ec2, inst["InstanceId"])
    assert d["State"] == {"Code": 16, "Name": "running"}
    eni = d["NetworkInterfaces"][0]
    assert eni["Attachment"]["DeviceIndex"] == 0
    assert eni["Attachment"]["DeleteOnTermination"] is True
    assert eni["PrivateIpAddress"] == "10.0.1.4"


def test_default_instance_type_is_m1_small(ec2, net):
    assert run(ec2, net)["Instances"][0]["InstanceType"] == "m1.small"


def test_addresses_lowest_free_and_subnet_count_drops(ec2, net):
    before = available(ec2, net["subnet"])
    assert before == 251
    r = run(ec2, net, n=3)
    ips = sorted(i["PrivateIpAddress"] for i in r["Instances"])
    assert ips == ["10.0.1.4", "10.0.1.5", "10.0.1.6"]
    assert [i["AmiLaunchIndex"] for i in r["Instances"]] == [0, 1, 2]
    assert len({i["InstanceId"] for i in r["Instances"]}) == 3
    assert available(ec2, net["subnet"]) == before - 3


def test_explicit_private_ip(ec2, net):
    inst = run(ec2, net, PrivateIpAddress="10.0.1.100")["Instances"][0]
    assert inst["PrivateIpAddress"] == "10.0.1.100"
    fails("InvalidIPAddress.InUse", run, ec2, net, PrivateIpAddress="10.0.1.100")
    fails("InvalidParameterValue", run, ec2, net, PrivateIpAddress="10.0.2.5")
    for reserved in ("10.0.1.0", "10.0.1.1", "10.0.1.2", "10.0.1.3", "10.0.1.255"):
        fails("InvalidParameterValue", run, ec2, net, PrivateIpAddress=reserved)


def test_min_max_count_and_instance_limit(ec2, net):
    # The default quota is 20 instances: MaxCount is capped, MinCount is not.
    r = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=25, SubnetId=net["subnet"])
    assert len(r["Instances"]) == 20
    e = fails("InstanceLimitExceeded", run, ec2, net)
    assert http_status(e) == 400
    # Terminated instances do not count.
    ec2.terminate_instances(InstanceIds=[r["Instances"][0]["InstanceId"]])
    run(ec2, net)


def test_subnet_exhaustion(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    sn = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.0.0/28")["Subnet"]["SubnetId"]
    assert available(ec2, sn) == 11
    fails("InsufficientFreeAddressesInSubnet", ec2.run_instances, ImageId=AMI,
          MinCount=12, MaxCount=12, SubnetId=sn)
    r = ec2.run_instances(ImageId=AMI, MinCount=2, MaxCount=15, SubnetId=sn)
    assert len(r["Instances"]) == 11
    assert available(ec2, sn) == 0


def test_parameter_validation(ec2, net):
    fails("InvalidAMIID.Malformed", ec2.run_instances, ImageId="img-1", MinCount=1,
          MaxCount=1, SubnetId=net["subnet"])
    fails("InvalidParameterValue", run, ec2, net, InstanceType="huge")
    fails("InvalidParameterValue", ec2.run_instances, ImageId=AMI, MinCount=2,
          MaxCount=1, SubnetId=net["subnet"])
    fails("InvalidSubnetID.NotFound", ec2.run_instances, ImageId=AMI, MinCount=1,
          MaxCount=1, SubnetId="subnet-0123456789abcdef0")
    fails("InvalidParameterValue", run, ec2, net,
          Placement={"AvailabilityZone": "us-east-1b"})


def test_no_subnet_without_default_vpc(ec2):
    fails("VPCIdNotSpecified", ec2.run_instances, ImageId=AMI, MinCount=1, MaxCount=1)


def test_default_vpc_default_subnet(ec2):
    vpc = ec2.create_default_vpc()["Vpc"]["VpcId"]
    inst = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1,
                             Placement={"AvailabilityZone": "us-east-1b"})["Instances"][0]
    assert inst["VpcId"] == vpc
    sn = ec2.describe_subnets(SubnetIds=[inst["SubnetId"]])["Subnets"][0]
    assert sn["AvailabilityZone"] == "us-east-1b" and sn["DefaultForAz"]
    # Default subnets map a public address on launch.
    assert inst["PublicIpAddress"].startswith("198.51.100.")
    for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]:
        if s["SubnetId"] != sn["SubnetId"]:
            ec2.delete_subnet(SubnetId=s["SubnetId"])
    ec2.terminate_instances(InstanceIds=[inst["InstanceId"]])
    ec2.delete_subnet(SubnetId=sn["SubnetId"])
    fails("MissingInput", ec2.run_instances, ImageId=AMI, MinCount=1, MaxCount=1)


def test_security_groups(ec2, net):
    sg = ec2.create_security_group(GroupName="web", Description="w",
                                   VpcId=net["vpc"])["GroupId"]
    inst = run(ec2, net, SecurityGroupIds=[sg])["Instances"][0]
    assert [g["GroupId"] for g in inst["SecurityGroups"]] == [sg]
    assert inst["SecurityGroups"][0]["GroupName"] == "web"
    by_name = run(ec2, net, SecurityGroups=["web"])["Instances"][0]
    assert [g["GroupId"] for g in by_name["SecurityGroups"]] == [sg]
    fails("InvalidGroup.NotFound", run, ec2, net, SecurityGroupIds=["sg-0123456789abcdef0"])
    other = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    osg = ec2.create_security_group(GroupName="o", Description="o", VpcId=other)["GroupId"]
    fails("InvalidParameter", run, ec2, net, SecurityGroupIds=[osg])
    many = [ec2.create_security_group(GroupName="g%d" % i, Description="g",
                                      VpcId=net["vpc"])["GroupId"] for i in range(6)]
    fails("SecurityGroupsPerInterfaceLimitExceeded", run, ec2, net, SecurityGroupIds=many)
    # A group in use cannot be deleted.
    fails("DependencyViolation", ec2.delete_security_group, GroupId=sg)


def test_public_ip_from_pool_and_subnet_attribute(ec2, net):
    inst = ec2.run_instances(
        ImageId=AMI, MinCount=1, MaxCount=1,
        NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": net["subnet"],
                            "AssociatePublicIpAddress": True}])["Instances"][0]
    assert inst["PublicIpAddress"] == "198.51.100.1"
    assert inst["PublicDnsName"] == "ec2-198-51-100-1.compute-1.amazonaws.com"
    ec2.modify_subnet_attribute(SubnetId=net["subnet"], MapPublicIpOnLaunch={"Value": True})
    second = run(ec2, net)["Instances"][0]
    assert second["PublicIpAddress"] == "198.51.100.2"
    f = ec2.describe_instances(Filters=[{"Name": "ip-address", "Values": ["198.51.100.2"]}])
    assert [i["InstanceId"] for r in f["Reservations"] for i in r["Instances"]] == \
        [second["InstanceId"]]


def test_network_interfaces_parameter(ec2, net):
    sn2 = ec2.create_subnet(VpcId=net["vpc"], CidrBlock="10.0.2.0/24",
                            AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    eni = ec2.create_network_interface(SubnetId=sn2)["NetworkInterface"]["NetworkInterfaceId"]
    inst = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, NetworkInterfaces=[
        {"DeviceIndex": 0, "SubnetId": net["subnet"], "PrivateIpAddress": "10.0.1.50",
         "SecondaryPrivateIpAddressCount": 2, "Description": "eth0"},
        {"DeviceIndex": 1, "NetworkInterfaceId": eni}])["Instances"][0]
    nis = sorted(inst["NetworkInterfaces"], key=lambda n: n["Attachment"]["DeviceIndex"])
    assert nis[0]["PrivateIpAddress"] == "10.0.1.50" and nis[0]["Description"] == "eth0"
    assert len(nis[0]["PrivateIpAddresses"]) == 3
    assert nis[1]["NetworkInterfaceId"] == eni
    assert nis[1]["Attachment"]["DeleteOnTermination"] is False
    fails("InvalidParameterCombination", ec2.run_instances, ImageId=AMI, MinCount=1,
          MaxCount=1, SubnetId=net["subnet"],
          NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": net["subnet"]}])
    fails("InvalidNetworkInterface.InUse", ec2.run_instances, ImageId=AMI, MinCount=1,
          MaxCount=1, NetworkInterfaces=[{"DeviceIndex": 0, "NetworkInterfaceId": eni}])
    # Terminating deletes the launch-created interface, detaches the other.
    ec2.terminate_instances(InstanceIds=[inst["InstanceId"]])
    left = ec2.describe_network_interfaces(
        Filters=[{"Name": "vpc-id", "Values": [net["vpc"]]}])["NetworkInterfaces"]
    assert [(n["NetworkInterfaceId"], n["Status"]) for n in left] == [(eni, "available")]


def test_user_data_and_tags(ec2, net):
    ud = base64.b64encode(b"#!/bin/sh\necho hi\n").decode()
    inst = run(ec2, net, UserData="#!/bin/sh\necho hi\n", TagSpecifications=[
        {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web"}]},
        {"ResourceType": "network-interface", "Tags": [{"Key": "role", "Value": "eth0"}]}],
    )["Instances"][0]
    iid = inst["InstanceId"]
    assert inst["Tags"] == [{"Key": "Name", "Value": "web"}]
    a = ec2.describe_instance_attribute(InstanceId=iid, Attribute="userData")
    assert a["UserData"]["Value"] == ud
    eni = describe(ec2, iid)["NetworkInterfaces"][0]["NetworkInterfaceId"]
    t = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni])["NetworkInterfaces"][0]
    assert t["TagSet"] == [{"Key": "role", "Value": "eth0"}]
    f = ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": ["web"]}])
    assert len(f["Reservations"]) == 1
    fails("InvalidParameterValue", run, ec2, net, TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": "a", "Value": "b"}]}])
    ec2.create_tags(Resources=[iid, eni], Tags=[{"Key": "env", "Value": "prod"}])
    t = ec2.describe_tags(Filters=[{"Name": "key", "Values": ["env"]}])["Tags"]
    assert sorted((x["ResourceId"], x["ResourceType"]) for x in t) == \
        sorted([(iid, "instance"), (eni, "network-interface")])


def test_describe_filters_and_reservations(ec2, net):
    a = run(ec2, net, n=2, InstanceType="t3.small")
    b = run(ec2, net)
    res = ec2.describe_instances()["Reservations"]
    assert [r["ReservationId"] for r in res] == [a["ReservationId"], b["ReservationId"]]
    assert [len(r["Instances"]) for r in res] == [2, 1]
    iid = b["Instances"][0]["InstanceId"]
    eni = describe(ec2, iid)["NetworkInterfaces"][0]["NetworkInterfaceId"]

    def ids(name, *values):
        r = ec2.describe_instances(Filters=[{"Name": name, "Values": list(values)}])
        return sorted(i["InstanceId"] for x in r["Reservations"] for i in x["Instances"])

    all_ids = sorted([i["InstanceId"] for i in a["Instances"]] + [iid])
    assert ids("instance-id", iid) == [iid]
    assert ids("instance-state-name", "running") == all_ids
    assert ids("instance-state-code", "16") == all_ids
    assert ids("subnet-id", net["subnet"]) == all_ids
    assert ids("vpc-id", net["vpc"]) == all_ids
    assert ids("private-ip-address", "10.0.1.6") == [iid]
    assert ids("image-id", AMI) == all_ids
    assert ids("instance-type", "t3.small") == sorted(i["InstanceId"] for i in a["Instances"])
    assert ids("reservation-id", b["ReservationId"]) == [iid]
    assert ids("availability-zone", "us-east-1a") == all_ids
    assert ids("network-interface.network-interface-id", eni) == [iid]
    assert ids("instance.group-id", net["default_sg"]) == all_ids
    assert ids("group-name", "default") == all_ids
    assert ids("tag-key", "nothing") == []
    fails("InvalidParameterValue", ec2.describe_instances,
          Filters=[{"Name": "bogus", "Values": ["x"]}])
    fails("InvalidInstanceID.NotFound", ec2.describe_instances,
          InstanceIds=["i-0123456789abcdef0"])


def test_pagination(ec2, net):
    run(ec2, net, n=7)
    seen, token = [], None
    while True:
        kw = {"MaxResults": 5}
        if token:
            kw["NextToken"] = token
        r = ec2.describe_instances(**kw)
        seen += [i["InstanceId"] for x in r["Reservations"] for i in x["Instances"]]
        token = r.get("NextToken")
        if not token:
            break
    assert len(seen) == 7 and len(set(seen)) == 7
    pages = list(ec2.get_paginator("describe_instances").paginate(
        PaginationConfig={"PageSize": 5}))
    assert len(pages) == 2


def test_stop_start_reboot(ec2, net):
    ec2.modify_subnet_attribute(SubnetId=net["subnet"], MapPublicIpOnLaunch={"Value": True})
    inst = run(ec2, net)["Instances"][0]
    iid, ip = inst["InstanceId"], inst["PublicIpAddress"]
    r = ec2.stop_instances(InstanceIds=[iid])["StoppingInstances"][0]
    assert r["PreviousState"]["Name"] == "running" and r["CurrentState"]["Name"] == "stopping"
    d = describe(ec2, iid)
    assert d["State"]["Name"] == "stopped"
    assert "PublicIpAddress" not in d
    assert d["StateReason"]["Code"] == "Client.UserInitiatedShutdown"
    # Stopping again is harmless.
    r = ec2.stop_instances(InstanceIds=[iid])["StoppingInstances"][0]
    assert r["CurrentState"]["Name"] == "stopped"
    # Another instance takes the released address; a start gets a new one.
    other = run(ec2, net)["Instances"][0]
    assert other["PublicIpAddress"] == ip
    r = ec2.start_instances(InstanceIds=[iid])["StartingInstances"][0]
    assert r["PreviousState"]["Name"] == "stopped" and r["CurrentState"]["Name"] == "pending"
    d = describe(ec2, iid)
    assert d["State"]["Name"] == "running"
    assert d["PublicIpAddress"] not in (None, ip)
    ec2.reboot_instances(InstanceIds=[iid])
    fails("DryRunOperation", ec2.stop_instances, InstanceIds=[iid], DryRun=True)
    assert describe(ec2, iid)["State"]["Name"] == "running"


def test_terminate(ec2, net):
    ec2.modify_subnet_attribute(SubnetId=net["subnet"], MapPublicIpOnLaunch={"Value": True})
    inst = run(ec2, net)["Instances"][0]
    iid = inst["InstanceId"]
    before = available(ec2, net["subnet"])
    r = ec2.terminate_instances(InstanceIds=[iid])["TerminatingInstances"][0]
    assert r["PreviousState"] == {"Code": 16, "Name": "running"}
    assert r["CurrentState"] == {"Code": 32, "Name": "shutting-down"}
    d = describe(ec2, iid)
    assert d["State"] == {"Code": 48, "Name": "terminated"}
    assert d["NetworkInterfaces"] == [] and "PublicIpAddress" not in d
    assert available(ec2, net["subnet"]) == before + 1
    again = ec2.terminate_instances(InstanceIds=[iid])["TerminatingInstances"][0]
    assert again["CurrentState"]["Name"] == "terminated"
    fails("IncorrectInstanceState", ec2.stop_instances, InstanceIds=[iid])
    fails("IncorrectInstanceState", ec2.start_instances, InstanceIds=[iid])
    # The subnet and VPC no longer depend on it.
    ec2.detach_internet_gateway(InternetGatewayId=net["igw"], VpcId=net["vpc"])
    ec2.delete_subnet(SubnetId=net["subnet"])


def test_all_or_nothing_and_disable_api_termination(ec2, net):
    a = run(ec2, net, DisableApiTermination=True)["Instances"][0]["InstanceId"]
    b = run(ec2, net)["Instances"][0]["InstanceId"]
    fails("OperationNotPermitted", ec2.terminate_instances, InstanceIds=[b, a])
    assert describe(ec2, b)["State"]["Name"] == "running"
    fails("InvalidInstanceID.NotFound", ec2.terminate_instances,
          InstanceIds=[b, "i-0123456789abcdef0"])
    assert describe(ec2, b)["State"]["Name"] == "running"
    ec2.modify_instance_attribute(InstanceId=a, DisableApiTermination={"Value": False})
    ec2.terminate_instances(InstanceIds=[a, b])


def test_dependents_block_deletes(ec2, net):
    run(ec2, net)
    fails("DependencyViolation", ec2.delete_subnet, SubnetId=net["subnet"])
    ec2.detach_internet_gateway(InternetGatewayId=net["igw"], VpcId=net["vpc"])
    fails("DependencyViolation", ec2.delete_vpc, VpcId=net["vpc"])


def test_detach_igw_with_public_addresses(ec2, net):
    ec2.modify_subnet_attribute(SubnetId=net["subnet"], MapPublicIpOnLaunch={"Value": True})
    iid = run(ec2, net)["Instances"][0]["InstanceId"]
    fails("DependencyViolation", ec2.detach_internet_gateway,
          InternetGatewayId=net["igw"], VpcId=net["vpc"])
    ec2.stop_instances(InstanceIds=[iid])
    ec2.detach_internet_gateway(InternetGatewayId=net["igw"], VpcId=net["vpc"])


def test_attributes(ec2, net):
    iid = run(ec2, net)["Instances"][0]["InstanceId"]
    sg = ec2.create_security_group(GroupName="x", Description="x", VpcId=net["vpc"])["GroupId"]
    ec2.modify_instance_attribute(InstanceId=iid, Groups=[sg])
    a = ec2.describe_instance_attribute(InstanceId=iid, Attribute="groupSet")
    assert [g["GroupId"] for g in a["Groups"]] == [sg]
    ec2.modify_instance_attribute(InstanceId=iid, SourceDestCheck={"Value": False})
    a = ec2.describe_instance_attribute(InstanceId=iid, Attribute="sourceDestCheck")
    assert a["SourceDestCheck"]["Value"] is False
    assert describe(ec2, iid)["SourceDestCheck"] is False
    fails("IncorrectInstanceState", ec2.modify_instance_attribute, InstanceId=iid,
          InstanceType={"Value": "t3.large"})
    fails("IncorrectInstanceState", ec2.modify_instance_attribute, InstanceId=iid,
          UserData={"Value": b"new"})
    ec2.stop_instances(InstanceIds=[iid])
    ec2.modify_instance_attribute(InstanceId=iid, InstanceType={"Value": "t3.large"})
    ec2.modify_instance_attribute(InstanceId=iid, UserData={"Value": b"new"})
    assert ec2.describe_instance_attribute(InstanceId=iid, Attribute="instanceType")[
        "InstanceType"]["Value"] == "t3.large"
    ud = ec2.describe_instance_attribute(InstanceId=iid, Attribute="userData")["UserData"]
    assert base64.b64decode(ud["Value"]) == b"new"
    a = ec2.describe_instance_attribute(InstanceId=iid, Attribute="disableApiTermination")
    assert a["DisableApiTermination"]["Value"] is False
    fails("InvalidParameterValue", ec2.describe_instance_attribute, InstanceId=iid,
          Attribute="bogus")


def test_instance_status(ec2, net):
    a = run(ec2, net)["Instances"][0]["InstanceId"]
    b = run(ec2, net)["Instances"][0]["InstanceId"]
    ec2.stop_instances(InstanceIds=[b])
    st = ec2.describe_instance_status()["InstanceStatuses"]
    assert [s["InstanceId"] for s in st] == [a]
    assert st[0]["InstanceStatus"]["Status"] == "ok"
    st = ec2.describe_instance_status(IncludeAllInstances=True)["InstanceStatuses"]
    assert {s["InstanceId"]: s["InstanceState"]["Name"] for s in st} == \
        {a: "running", b: "stopped"}
    # The waiter boto3 users reach for works.
    ec2.get_waiter("instance_status_ok").wait(InstanceIds=[a])
    ec2.get_waiter("instance_running").wait(InstanceIds=[a])


def test_console_output_empty_without_log(ec2, net):
    iid = run(ec2, net)["Instances"][0]["InstanceId"]
    r = ec2.get_console_output(InstanceId=iid)
    assert r["InstanceId"] == iid and r.get("Output", "") == ""
    fails("InvalidInstanceID.NotFound", ec2.get_console_output,
          InstanceId="i-0123456789abcdef0")


# Strict: once src/daemon/vpcd.c sets api_options.data_dir this passes and
# the marker must go.
def test_console_output_reads_log(vpcd, ec2, net):
    iid = run(ec2, net)["Instances"][0]["InstanceId"]
    os.makedirs(os.path.join(vpcd.data_dir, "console"), exist_ok=True)
    with open(os.path.join(vpcd.data_dir, "console", iid + ".log"), "w") as f:
        f.write("booted\n")
    r = ec2.get_console_output(InstanceId=iid)
    # boto3 decodes the base64 itself.
    assert r["Output"] == "booted\n"


def test_describe_images(ec2):
    imgs = ec2.describe_images(Owners=["amazon"],
                               Filters=[{"Name": "name", "Values": ["vpcd-*"]}])["Images"]
    assert [(i["ImageId"], i["Name"]) for i in imgs] == [(AMI, "vpcd-linux"),
                                                          ("ami-00000001", "vpcd-nat")]
    nat = ec2.describe_images(ImageIds=["ami-00000001"])["Images"]
    assert [i["Name"] for i in nat] == ["vpcd-nat"] and "NAT" in nat[0]["Description"]
    assert ec2.describe_images(Owners=["self"])["Images"] == []
    fails("InvalidAMIID.NotFound", ec2.describe_images, ImageIds=["ami-12345678"])


def test_dry_run(ec2, net):
    e = fails("DryRunOperation", run, ec2, net, DryRun=True)
    assert http_status(e) == 412
    assert ec2.describe_instances()["Reservations"] == []
    assert available(ec2, net["subnet"]) == 251


def test_client_token_idempotency(ec2, net):
    r1 = run(ec2, net, ClientToken="tok-1")
    r2 = run(ec2, net, ClientToken="tok-1")
    assert r1["ReservationId"] == r2["ReservationId"]
    assert [i["InstanceId"] for i in r1["Instances"]] == [i["InstanceId"] for i in r2["Instances"]]
    assert r2["Instances"][0]["ClientToken"] == "tok-1"
    assert r2["Instances"][0]["PrivateIpAddress"] == r1["Instances"][0]["PrivateIpAddress"]
    assert len(ec2.describe_instances()["Reservations"]) == 1
    fails("IdempotentParameterMismatch", run, ec2, net, ClientToken="tok-1",
          InstanceType="t3.nano")
    f = ec2.describe_instances(Filters=[{"Name": "client-token", "Values": ["tok-1"]}])
    assert len(f["Reservations"]) == 1


def test_route_to_instance_blackhole_after_terminate(ec2, net):
    iid = run(ec2, net)["Instances"][0]["InstanceId"]
    rtb = ec2.create_route_table(VpcId=net["vpc"])["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="192.168.0.0/16", InstanceId=iid)
    fails("InvalidInstanceID.NotFound", ec2.create_route, RouteTableId=rtb,
          DestinationCidrBlock="192.169.0.0/16", InstanceId="i-0123456789abcdef0")

    def state():
        t = ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]
        return [r["State"] for r in t["Routes"] if r.get("InstanceId") == iid]

    assert state() == ["active"]
    eni = describe(ec2, iid)["NetworkInterfaces"][0]["NetworkInterfaceId"]
    t = ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]
    assert [r.get("NetworkInterfaceId") for r in t["Routes"] if r.get("InstanceId")] == [eni]
    ec2.stop_instances(InstanceIds=[iid])
    assert state() == ["blackhole"]
    ec2.start_instances(InstanceIds=[iid])
    assert state() == ["active"]
    ec2.terminate_instances(InstanceIds=[iid])
    assert state() == ["blackhole"]
    other = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    osn = ec2.create_subnet(VpcId=other, CidrBlock="10.8.0.0/24")["Subnet"]["SubnetId"]
    oid = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1,
                            SubnetId=osn)["Instances"][0]["InstanceId"]
    fails("InvalidParameterValue", ec2.create_route, RouteTableId=rtb,
          DestinationCidrBlock="192.170.0.0/16", InstanceId=oid)


def test_restart_persistence(vpcd, ec2, net):
    ec2.modify_subnet_attribute(SubnetId=net["subnet"], MapPublicIpOnLaunch={"Value": True})
    a = run(ec2, net, UserData="hello", TagSpecifications=[
        {"ResourceType": "instance", "Tags": [{"Key": "k", "Value": "v"}]}])["Instances"][0]
    b = run(ec2, net)["Instances"][0]["InstanceId"]
    ec2.stop_instances(InstanceIds=[b])
    before = ec2.describe_instances()["Reservations"]
    avail = available(ec2, net["subnet"])
    vpcd.stop()
    vpcd.start()
    ec2 = vpcd.client()
    after = ec2.describe_instances()["Reservations"]
    assert after == before
    assert available(ec2, net["subnet"]) == avail
    ec2.start_instances(InstanceIds=[b])
    assert describe(ec2, b)["PublicIpAddress"] != describe(ec2, a["InstanceId"])["PublicIpAddress"]


def test_two_accounts_are_isolated(vpcd, ec2, net):
    iid = run(ec2, net)["Instances"][0]["InstanceId"]
    _, key, secret = vpcd.new_account("bob")
    bob = vpcd.client(keys=(key, secret))
    assert bob.describe_instances()["Reservations"] == []
    fails("InvalidInstanceID.NotFound", bob.terminate_instances, InstanceIds=[iid])
    fails("InvalidSubnetID.NotFound", bob.run_instances, ImageId=AMI, MinCount=1,
          MaxCount=1, SubnetId=net["subnet"])
    assert describe(ec2, iid)["State"]["Name"] == "running"
