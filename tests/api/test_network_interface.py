"""Network interfaces: create, describe (every filter), attach, detach,
modify, secondary addresses, and how they tie subnets and groups down."""
import pytest

from vpcdtest import AMI, fails, http_status


@pytest.fixture
def net(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    sn = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24",
                           AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    sn_b = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.2.0/24",
                             AvailabilityZone="us-east-1b")["Subnet"]["SubnetId"]
    sg = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}])
    return {"vpc": vpc, "subnet": sn, "subnet_b": sn_b,
            "default_sg": sg["SecurityGroups"][0]["GroupId"]}


def create(ec2, net, **kw):
    kw.setdefault("SubnetId", net["subnet"])
    return ec2.create_network_interface(**kw)["NetworkInterface"]


def launch(ec2, net, subnet=None):
    r = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1,
                          SubnetId=subnet or net["subnet"])
    return r["Instances"][0]["InstanceId"]


def test_lists_nothing_with_an_empty_set(ec2):
    r = ec2.describe_network_interfaces()
    assert r["NetworkInterfaces"] == []
    assert "NextToken" not in r


def test_create_and_describe(ec2, net):
    eni = create(ec2, net, Description="db")
    assert eni["NetworkInterfaceId"].startswith("eni-")
    assert eni["SubnetId"] == net["subnet"] and eni["VpcId"] == net["vpc"]
    assert eni["AvailabilityZone"] == "us-east-1a"
    assert eni["Description"] == "db"
    assert eni["PrivateIpAddress"] == "10.0.1.4"
    assert eni["PrivateDnsName"] == "ip-10-0-1-4.ec2.internal"
    assert eni["Status"] == "available"
    assert eni["SourceDestCheck"] is True and eni["RequesterManaged"] is False
    assert eni["InterfaceType"] == "interface"
    assert eni["MacAddress"].startswith("02:") and len(eni["MacAddress"]) == 17
    assert [g["GroupId"] for g in eni["Groups"]] == [net["default_sg"]]
    assert eni["Groups"][0]["GroupName"] == "default"
    assert "Attachment" not in eni
    d = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni["NetworkInterfaceId"]])
    assert d["NetworkInterfaces"][0] == eni
    sn = ec2.describe_subnets(SubnetIds=[net["subnet"]])["Subnets"][0]
    assert sn["AvailableIpAddressCount"] == 250


def test_explicit_and_secondary_addresses(ec2, net):
    eni = create(ec2, net, PrivateIpAddress="10.0.1.20", SecondaryPrivateIpAddressCount=2)
    ips = [(p["PrivateIpAddress"], p["Primary"]) for p in eni["PrivateIpAddresses"]]
    assert ips == [("10.0.1.20", True), ("10.0.1.4", False), ("10.0.1.5", False)]
    eni2 = create(ec2, net, PrivateIpAddresses=[
        {"PrivateIpAddress": "10.0.1.30", "Primary": True},
        {"PrivateIpAddress": "10.0.1.31", "Primary": False}])
    assert eni2["PrivateIpAddress"] == "10.0.1.30"
    assert len(eni2["PrivateIpAddresses"]) == 2
    fails("InvalidIPAddress.InUse", create, ec2, net, PrivateIpAddress="10.0.1.31")
    fails("InvalidParameterValue", create, ec2, net, PrivateIpAddress="10.0.9.9")
    fails("InvalidParameterValue", create, ec2, net, PrivateIpAddress="10.0.1.255")
    fails("InvalidParameterValue", create, ec2, net, PrivateIpAddress="10.0.1.1")
    sn = ec2.describe_subnets(SubnetIds=[net["subnet"]])["Subnets"][0]
    assert sn["AvailableIpAddressCount"] == 251 - 5


def test_create_errors(ec2, net):
    fails("InvalidSubnetID.NotFound", ec2.create_network_interface,
          SubnetId="subnet-0123456789abcdef0")
    fails("InvalidGroup.NotFound", create, ec2, net, Groups=["sg-0123456789abcdef0"])
    other = ec2.create_vpc(CidrBlock="10.5.0.0/16")["Vpc"]["VpcId"]
    osg = ec2.create_security_group(GroupName="o", Description="o", VpcId=other)["GroupId"]
    fails("InvalidParameter", create, ec2, net, Groups=[osg])
    many = [ec2.create_security_group(GroupName="g%d" % i, Description="g",
                                      VpcId=net["vpc"])["GroupId"] for i in range(6)]
    fails("SecurityGroupsPerInterfaceLimitExceeded", create, ec2, net, Groups=many)
    tiny = ec2.create_subnet(VpcId=net["vpc"], CidrBlock="10.0.3.0/28")["Subnet"]["SubnetId"]
    fails("InsufficientFreeAddressesInSubnet", create, ec2, net, SubnetId=tiny,
          SecondaryPrivateIpAddressCount=11)
    e = fails("DryRunOperation", create, ec2, net, DryRun=True)
    assert http_status(e) == 412
    assert ec2.describe_network_interfaces()["NetworkInterfaces"] == []


def test_delete(ec2, net):
    sg = ec2.create_security_group(GroupName="app", Description="a",
                                   VpcId=net["vpc"])["GroupId"]
    eni = create(ec2, net, Groups=[sg])["NetworkInterfaceId"]
    fails("DependencyViolation", ec2.delete_subnet, SubnetId=net["subnet"])
    fails("DependencyViolation", ec2.delete_security_group, GroupId=sg)
    ec2.delete_network_interface(NetworkInterfaceId=eni)
    ec2.delete_security_group(GroupId=sg)
    fails("InvalidNetworkInterfaceID.NotFound", ec2.delete_network_interface,
          NetworkInterfaceId=eni)
    ec2.delete_subnet(SubnetId=net["subnet"])


def test_attach_detach(ec2, net):
    iid = launch(ec2, net)
    eni = create(ec2, net)["NetworkInterfaceId"]
    att = ec2.attach_network_interface(NetworkInterfaceId=eni, InstanceId=iid, DeviceIndex=1)
    assert att["AttachmentId"].startswith("eni-attach-")
    d = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni])["NetworkInterfaces"][0]
    assert d["Status"] == "in-use"
    assert d["Attachment"]["InstanceId"] == iid and d["Attachment"]["DeviceIndex"] == 1
    assert d["Attachment"]["Status"] == "attached"
    assert d["Attachment"]["DeleteOnTermination"] is False
    fails("InvalidNetworkInterface.InUse", ec2.delete_network_interface, NetworkInterfaceId=eni)
    eni2 = create(ec2, net)["NetworkInterfaceId"]
    fails("InvalidParameterValue", ec2.attach_network_interface, NetworkInterfaceId=eni2,
          InstanceId=iid, DeviceIndex=1)
    fails("InvalidNetworkInterface.InUse", ec2.attach_network_interface,
          NetworkInterfaceId=eni, InstanceId=iid, DeviceIndex=2)
    eni_b = create(ec2, net, SubnetId=net["subnet_b"])["NetworkInterfaceId"]
    fails("InvalidParameterCombination", ec2.attach_network_interface,
          NetworkInterfaceId=eni_b, InstanceId=iid, DeviceIndex=2)
    fails("InvalidInstanceID.NotFound", ec2.attach_network_interface,
          NetworkInterfaceId=eni2, InstanceId="i-0123456789abcdef0", DeviceIndex=2)
    inst = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    assert len(inst["NetworkInterfaces"]) == 2
    primary = [n for n in inst["NetworkInterfaces"] if n["Attachment"]["DeviceIndex"] == 0][0]
    fails("OperationNotPermitted", ec2.detach_network_interface,
          AttachmentId=primary["Attachment"]["AttachmentId"])
    fails("InvalidAttachmentID.NotFound", ec2.detach_network_interface,
          AttachmentId="eni-attach-0123456789abcdef0")
    ec2.detach_network_interface(AttachmentId=att["AttachmentId"])
    d = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni])["NetworkInterfaces"][0]
    assert d["Status"] == "available" and "Attachment" not in d
    ec2.delete_network_interface(NetworkInterfaceId=eni)


def test_attachment_delete_on_termination(ec2, net):
    iid = launch(ec2, net)
    eni = create(ec2, net)["NetworkInterfaceId"]
    att = ec2.attach_network_interface(NetworkInterfaceId=eni, InstanceId=iid,
                                       DeviceIndex=1)["AttachmentId"]
    ec2.modify_network_interface_attribute(
        NetworkInterfaceId=eni, Attachment={"AttachmentId": att, "DeleteOnTermination": True})
    a = ec2.describe_network_interface_attribute(NetworkInterfaceId=eni, Attribute="attachment")
    assert a["Attachment"]["DeleteOnTermination"] is True
    ec2.terminate_instances(InstanceIds=[iid])
    fails("InvalidNetworkInterfaceID.NotFound", ec2.describe_network_interfaces,
          NetworkInterfaceIds=[eni])


def test_modify_attributes(ec2, net):
    eni = create(ec2, net)["NetworkInterfaceId"]
    sgs = [ec2.create_security_group(GroupName="g%d" % i, Description="g",
                                     VpcId=net["vpc"])["GroupId"] for i in range(6)]
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eni, Groups=sgs[:2])
    a = ec2.describe_network_interface_attribute(NetworkInterfaceId=eni, Attribute="groupSet")
    assert [g["GroupId"] for g in a["Groups"]] == sgs[:2]
    fails("SecurityGroupsPerInterfaceLimitExceeded", ec2.modify_network_interface_attribute,
          NetworkInterfaceId=eni, Groups=sgs)
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eni,
                                           SourceDestCheck={"Value": False})
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eni,
                                           Description={"Value": "nat"})
    d = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni])["NetworkInterfaces"][0]
    assert d["SourceDestCheck"] is False and d["Description"] == "nat"
    a = ec2.describe_network_interface_attribute(NetworkInterfaceId=eni,
                                                 Attribute="sourceDestCheck")
    assert a["SourceDestCheck"]["Value"] is False
    fails("InvalidParameterCombination", ec2.modify_network_interface_attribute,
          NetworkInterfaceId=eni, SourceDestCheck={"Value": True},
          Description={"Value": "x"})
    # The old groups can be deleted now, the new ones cannot.
    ec2.delete_security_group(GroupId=sgs[5])
    fails("DependencyViolation", ec2.delete_security_group, GroupId=sgs[0])


def test_assign_unassign(ec2, net):
    eni = create(ec2, net)["NetworkInterfaceId"]
    r = ec2.assign_private_ip_addresses(NetworkInterfaceId=eni, SecondaryPrivateIpAddressCount=2)
    assert [a["PrivateIpAddress"] for a in r["AssignedPrivateIpAddresses"]] == \
        ["10.0.1.5", "10.0.1.6"]
    ec2.assign_private_ip_addresses(NetworkInterfaceId=eni, PrivateIpAddresses=["10.0.1.40"])
    d = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni])["NetworkInterfaces"][0]
    assert [p["PrivateIpAddress"] for p in d["PrivateIpAddresses"]] == \
        ["10.0.1.4", "10.0.1.5", "10.0.1.6", "10.0.1.40"]
    other = create(ec2, net)["NetworkInterfaceId"]
    fails("InvalidIPAddress.InUse", ec2.assign_private_ip_addresses,
          NetworkInterfaceId=other, PrivateIpAddresses=["10.0.1.40"])
    ec2.assign_private_ip_addresses(NetworkInterfaceId=other, PrivateIpAddresses=["10.0.1.40"],
                                    AllowReassignment=True)
    d = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni])["NetworkInterfaces"][0]
    assert "10.0.1.40" not in [p["PrivateIpAddress"] for p in d["PrivateIpAddresses"]]
    ec2.unassign_private_ip_addresses(NetworkInterfaceId=eni, PrivateIpAddresses=["10.0.1.5"])
    fails("InvalidParameterValue", ec2.unassign_private_ip_addresses,
          NetworkInterfaceId=eni, PrivateIpAddresses=["10.0.1.4"])
    fails("InvalidParameterValue", ec2.unassign_private_ip_addresses,
          NetworkInterfaceId=eni, PrivateIpAddresses=["10.0.1.99"])
    sn = ec2.describe_subnets(SubnetIds=[net["subnet"]])["Subnets"][0]
    assert sn["AvailableIpAddressCount"] == 251 - 4


def test_filters(ec2, net):
    iid = launch(ec2, net)
    a = create(ec2, net, Description="alpha", TagSpecifications=[
        {"ResourceType": "network-interface", "Tags": [{"Key": "Name", "Value": "a"}]}])
    b = create(ec2, net, SubnetId=net["subnet_b"])
    ec2.attach_network_interface(NetworkInterfaceId=a["NetworkInterfaceId"], InstanceId=iid,
                                 DeviceIndex=1)
    primary = [n["NetworkInterfaceId"] for n in ec2.describe_network_interfaces(
        Filters=[{"Name": "attachment.device-index", "Values": ["0"]}])["NetworkInterfaces"]]

    def ids(name, *values):
        r = ec2.describe_network_interfaces(Filters=[{"Name": name, "Values": list(values)}])
        return sorted(n["NetworkInterfaceId"] for n in r["NetworkInterfaces"])

    aid, bid = a["NetworkInterfaceId"], b["NetworkInterfaceId"]
    everything = sorted(primary + [aid, bid])
    assert ids("subnet-id", net["subnet_b"]) == [bid]
    assert ids("vpc-id", net["vpc"]) == everything
    assert ids("availability-zone", "us-east-1b") == [bid]
    assert ids("attachment.instance-id", iid) == sorted(primary + [aid])
    assert ids("attachment.status", "attached") == sorted(primary + [aid])
    assert ids("status", "available") == [bid]
    assert ids("status", "in-use") == sorted(primary + [aid])
    assert ids("description", "alph*") == [aid]
    assert ids("group-id", net["default_sg"]) == everything
    assert ids("group-name", "default") == everything
    assert ids("private-ip-address", b["PrivateIpAddress"]) == [bid]
    assert ids("addresses.private-ip-address", a["PrivateIpAddress"]) == [aid]
    assert ids("mac-address", a["MacAddress"]) == [aid]
    assert ids("network-interface-id", aid) == [aid]
    assert ids("tag:Name", "a") == [aid]
    assert ids("requester-managed", "false") == everything
    assert ids("source-dest-check", "true") == everything
    assert ids("interface-type", "interface") == everything
    assert ids("owner-id", a["OwnerId"]) == everything
    fails("InvalidParameterValue", ec2.describe_network_interfaces,
          Filters=[{"Name": "bogus", "Values": ["x"]}])


def test_pagination(ec2, net):
    made = [create(ec2, net)["NetworkInterfaceId"] for _ in range(7)]
    seen, token = [], None
    while True:
        kw = {"MaxResults": 5}
        if token:
            kw["NextToken"] = token
        r = ec2.describe_network_interfaces(**kw)
        seen += [n["NetworkInterfaceId"] for n in r["NetworkInterfaces"]]
        token = r.get("NextToken")
        if not token:
            break
    assert seen == made


def test_unknown_id_is_not_found(ec2):
    e = fails("InvalidNetworkInterfaceID.NotFound", ec2.describe_network_interfaces,
              NetworkInterfaceIds=["eni-0123456789abcdef0"])
    assert http_status(e) == 400


def test_paging_and_dry_run(ec2):
    assert ec2.describe_network_interfaces(MaxResults=5)["NetworkInterfaces"] == []
    e = fails("DryRunOperation", ec2.describe_network_interfaces, DryRun=True)
    assert http_status(e) == 412


def test_client_token(ec2, net):
    a = ec2.create_network_interface(SubnetId=net["subnet"], ClientToken="t1")
    b = ec2.create_network_interface(SubnetId=net["subnet"], ClientToken="t1")
    assert a["NetworkInterface"]["NetworkInterfaceId"] == b["NetworkInterface"]["NetworkInterfaceId"]
    assert b["ClientToken"] == "t1"
    assert len(ec2.describe_network_interfaces()["NetworkInterfaces"]) == 1


def test_route_to_interface(ec2, net):
    eni = create(ec2, net)["NetworkInterfaceId"]
    rtb = ec2.create_route_table(VpcId=net["vpc"])["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", NetworkInterfaceId=eni)
    routes = ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]["Routes"]
    assert [r["State"] for r in routes if r.get("NetworkInterfaceId") == eni] == ["active"]
    ec2.delete_network_interface(NetworkInterfaceId=eni)
    routes = ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]["Routes"]
    assert [r["State"] for r in routes if r.get("NetworkInterfaceId") == eni] == ["blackhole"]
    fails("InvalidNetworkInterfaceID.NotFound", ec2.create_route, RouteTableId=rtb,
          DestinationCidrBlock="10.9.0.0/16", NetworkInterfaceId=eni)
    other = ec2.create_vpc(CidrBlock="10.6.0.0/16")["Vpc"]["VpcId"]
    osn = ec2.create_subnet(VpcId=other, CidrBlock="10.6.0.0/24")["Subnet"]["SubnetId"]
    oeni = ec2.create_network_interface(SubnetId=osn)["NetworkInterface"]["NetworkInterfaceId"]
    fails("InvalidParameterValue", ec2.create_route, RouteTableId=rtb,
          DestinationCidrBlock="10.9.0.0/16", NetworkInterfaceId=oeni)


def test_restart_persistence(vpcd, ec2, net):
    iid = launch(ec2, net)
    eni = create(ec2, net, Description="keep", SecondaryPrivateIpAddressCount=1)
    ec2.attach_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"], InstanceId=iid,
                                 DeviceIndex=1)
    before = ec2.describe_network_interfaces()["NetworkInterfaces"]
    avail = ec2.describe_subnets(SubnetIds=[net["subnet"]])["Subnets"][0]
    vpcd.stop()
    vpcd.start()
    ec2 = vpcd.client()
    assert ec2.describe_network_interfaces()["NetworkInterfaces"] == before
    assert ec2.describe_subnets(SubnetIds=[net["subnet"]])["Subnets"][0] == avail


def test_two_accounts_are_isolated(vpcd, ec2, net):
    eni = create(ec2, net)["NetworkInterfaceId"]
    _, key, secret = vpcd.new_account("bob")
    bob = vpcd.client(keys=(key, secret))
    assert bob.describe_network_interfaces()["NetworkInterfaces"] == []
    fails("InvalidNetworkInterfaceID.NotFound", bob.delete_network_interface,
          NetworkInterfaceId=eni)
    fails("InvalidSubnetID.NotFound", bob.create_network_interface, SubnetId=net["subnet"])


def test_dry_run_changes_nothing(ec2, net):
    iid = launch(ec2, net)
    eni = create(ec2, net)["NetworkInterfaceId"]
    fails("DryRunOperation", ec2.attach_network_interface, NetworkInterfaceId=eni,
          InstanceId=iid, DeviceIndex=1, DryRun=True)
    att = ec2.attach_network_interface(NetworkInterfaceId=eni, InstanceId=iid,
                                       DeviceIndex=1)["AttachmentId"]
    fails("DryRunOperation", ec2.detach_network_interface, AttachmentId=att, DryRun=True)
    fails("DryRunOperation", ec2.modify_network_interface_attribute, NetworkInterfaceId=eni,
          SourceDestCheck={"Value": False}, DryRun=True)
    d = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni])["NetworkInterfaces"][0]
    assert d["Status"] == "in-use" and d["SourceDestCheck"] is True
    ec2.detach_network_interface(AttachmentId=att)
    fails("DryRunOperation", ec2.delete_network_interface, NetworkInterfaceId=eni, DryRun=True)
    ec2.describe_network_interfaces(NetworkInterfaceIds=[eni])
