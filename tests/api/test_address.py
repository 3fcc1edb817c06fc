"""Elastic IP addresses: allocation from the public pool, association with
instances and interfaces, and their effect on auto-assigned addresses."""
import pytest

from vpcdtest import AMI, fails, http_status


@pytest.fixture
def net(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    sn = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24",
                           AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    return {"vpc": vpc, "subnet": sn, "igw": igw}


def launch(ec2, net, public=False):
    r = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, NetworkInterfaces=[
        {"DeviceIndex": 0, "SubnetId": net["subnet"], "AssociatePublicIpAddress": public}])
    return r["Instances"][0]["InstanceId"]


def instance(ec2, iid):
    return ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]


def address(ec2, alloc):
    return ec2.describe_addresses(AllocationIds=[alloc])["Addresses"][0]


def test_allocate_release(ec2):
    a = ec2.allocate_address(Domain="vpc")
    assert a["AllocationId"].startswith("eipalloc-")
    assert a["PublicIp"] == "198.51.100.1" and a["Domain"] == "vpc"
    b = ec2.allocate_address()
    assert b["PublicIp"] == "198.51.100.2"
    d = ec2.describe_addresses()["Addresses"]
    assert [x["AllocationId"] for x in d] == [a["AllocationId"], b["AllocationId"]]
    assert "AssociationId" not in d[0]
    ec2.release_address(AllocationId=a["AllocationId"])
    fails("InvalidAllocationID.NotFound", ec2.release_address, AllocationId=a["AllocationId"])
    # The lowest free address is handed out again.
    assert ec2.allocate_address()["PublicIp"] == "198.51.100.1"


def test_quota(ec2):
    for _ in range(5):
        ec2.allocate_address(Domain="vpc")
    e = fails("AddressLimitExceeded", ec2.allocate_address, Domain="vpc")
    assert http_status(e) == 400


def test_dry_run(ec2):
    fails("DryRunOperation", ec2.allocate_address, Domain="vpc", DryRun=True)
    assert ec2.describe_addresses()["Addresses"] == []


def test_associate_with_instance(ec2, net):
    iid = launch(ec2, net, public=True)
    auto = instance(ec2, iid)["PublicIpAddress"]
    eip = ec2.allocate_address(Domain="vpc")
    assoc = ec2.associate_address(AllocationId=eip["AllocationId"], InstanceId=iid)
    assert assoc["AssociationId"].startswith("eipassoc-")
    inst = instance(ec2, iid)
    # The Elastic IP replaces the auto-assigned address, which is released.
    assert inst["PublicIpAddress"] == eip["PublicIp"] != auto
    a = address(ec2, eip["AllocationId"])
    assert a["InstanceId"] == iid and a["AssociationId"] == assoc["AssociationId"]
    assert a["PrivateIpAddress"] == inst["PrivateIpAddress"]
    assert a["NetworkInterfaceId"] == inst["NetworkInterfaces"][0]["NetworkInterfaceId"]
    eni = ec2.describe_network_interfaces(
        NetworkInterfaceIds=[a["NetworkInterfaceId"]])["NetworkInterfaces"][0]
    assert eni["Association"]["PublicIp"] == eip["PublicIp"]
    assert eni["Association"]["AllocationId"] == eip["AllocationId"]
    fails("InvalidIPAddress.InUse", ec2.release_address, AllocationId=eip["AllocationId"])
    # Disassociating gives a single-interface instance a new public address.
    ec2.disassociate_address(AssociationId=assoc["AssociationId"])
    inst = instance(ec2, iid)
    assert inst.get("PublicIpAddress") not in (None, eip["PublicIp"])
    assert "AssociationId" not in address(ec2, eip["AllocationId"])
    fails("InvalidAssociationID.NotFound", ec2.disassociate_address,
          AssociationId=assoc["AssociationId"])
    ec2.release_address(AllocationId=eip["AllocationId"])


def test_associate_with_interface_and_secondary_address(ec2, net):
    eni = ec2.create_network_interface(SubnetId=net["subnet"],
                                       SecondaryPrivateIpAddressCount=1)["NetworkInterface"]
    secondary = eni["PrivateIpAddresses"][1]["PrivateIpAddress"]
    eip = ec2.allocate_address(Domain="vpc")
    ec2.associate_address(AllocationId=eip["AllocationId"],
                          NetworkInterfaceId=eni["NetworkInterfaceId"],
                          PrivateIpAddress=secondary)
    a = address(ec2, eip["AllocationId"])
    assert a["PrivateIpAddress"] == secondary and "InstanceId" not in a
    fails("InvalidParameterValue", ec2.associate_address, AllocationId=eip["AllocationId"],
          NetworkInterfaceId=eni["NetworkInterfaceId"], PrivateIpAddress="10.0.1.200",
          AllowReassociation=True)
    # Unassigning the address disassociates the Elastic IP.
    ec2.unassign_private_ip_addresses(NetworkInterfaceId=eni["NetworkInterfaceId"],
                                      PrivateIpAddresses=[secondary])
    assert "AssociationId" not in address(ec2, eip["AllocationId"])


def test_reassociation(ec2, net):
    a = launch(ec2, net)
    b = launch(ec2, net)
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.associate_address(AllocationId=eip, InstanceId=a)
    e = fails("Resource.AlreadyAssociated", ec2.associate_address, AllocationId=eip,
              InstanceId=b)
    assert http_status(e) == 400
    ec2.associate_address(AllocationId=eip, InstanceId=b, AllowReassociation=True)
    assert address(ec2, eip)["InstanceId"] == b
    assert "PublicIpAddress" not in instance(ec2, a)


def test_gateway_not_attached(ec2, net):
    ec2.detach_internet_gateway(InternetGatewayId=net["igw"], VpcId=net["vpc"])
    iid = launch(ec2, net)
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    fails("Gateway.NotAttached", ec2.associate_address, AllocationId=eip, InstanceId=iid)


def test_detach_gateway_with_elastic_ip(ec2, net):
    iid = launch(ec2, net)
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    assoc = ec2.associate_address(AllocationId=eip, InstanceId=iid)["AssociationId"]
    fails("DependencyViolation", ec2.detach_internet_gateway,
          InternetGatewayId=net["igw"], VpcId=net["vpc"])
    ec2.disassociate_address(AssociationId=assoc)
    ec2.detach_internet_gateway(InternetGatewayId=net["igw"], VpcId=net["vpc"])


def test_terminate_disassociates(ec2, net):
    iid = launch(ec2, net)
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.associate_address(AllocationId=eip, InstanceId=iid)
    ec2.terminate_instances(InstanceIds=[iid])
    a = address(ec2, eip)
    assert "AssociationId" not in a and "InstanceId" not in a
    ec2.release_address(AllocationId=eip)


def test_stop_keeps_elastic_ip(ec2, net):
    iid = launch(ec2, net, public=True)
    eip = ec2.allocate_address(Domain="vpc")
    ec2.associate_address(AllocationId=eip["AllocationId"], InstanceId=iid)
    ec2.stop_instances(InstanceIds=[iid])
    assert instance(ec2, iid)["PublicIpAddress"] == eip["PublicIp"]
    ec2.start_instances(InstanceIds=[iid])
    assert instance(ec2, iid)["PublicIpAddress"] == eip["PublicIp"]


def test_instance_with_two_interfaces_needs_interface_id(ec2, net):
    iid = launch(ec2, net)
    eni = ec2.create_network_interface(SubnetId=net["subnet"])["NetworkInterface"]
    ec2.attach_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"],
                                 InstanceId=iid, DeviceIndex=1)
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    fails("InvalidInstanceID", ec2.associate_address, AllocationId=eip, InstanceId=iid)
    ec2.associate_address(AllocationId=eip, NetworkInterfaceId=eni["NetworkInterfaceId"])
    assert address(ec2, eip)["InstanceId"] == iid


def test_describe_filters(ec2, net):
    iid = launch(ec2, net)
    a = ec2.allocate_address(Domain="vpc", TagSpecifications=[
        {"ResourceType": "elastic-ip", "Tags": [{"Key": "Name", "Value": "web"}]}])
    b = ec2.allocate_address(Domain="vpc")
    assoc = ec2.associate_address(AllocationId=a["AllocationId"], InstanceId=iid)
    inst = instance(ec2, iid)

    def ids(name, *values):
        r = ec2.describe_addresses(Filters=[{"Name": name, "Values": list(values)}])
        return [x["AllocationId"] for x in r["Addresses"]]

    aid, bid = a["AllocationId"], b["AllocationId"]
    assert ids("allocation-id", bid) == [bid]
    assert ids("association-id", assoc["AssociationId"]) == [aid]
    assert ids("instance-id", iid) == [aid]
    assert ids("network-interface-id",
               inst["NetworkInterfaces"][0]["NetworkInterfaceId"]) == [aid]
    assert ids("private-ip-address", inst["PrivateIpAddress"]) == [aid]
    assert ids("public-ip", b["PublicIp"]) == [bid]
    assert ids("domain", "vpc") == [aid, bid]
    assert ids("tag:Name", "web") == [aid]
    r = ec2.describe_addresses(PublicIps=[b["PublicIp"]])["Addresses"]
    assert [x["AllocationId"] for x in r] == [bid]
    fails("InvalidAddress.NotFound", ec2.describe_addresses, PublicIps=["203.0.113.9"])
    fails("InvalidAllocationID.NotFound", ec2.describe_addresses,
          AllocationIds=["eipalloc-0123456789abcdef0"])
    fails("InvalidParameterValue", ec2.describe_addresses,
          Filters=[{"Name": "bogus", "Values": ["x"]}])
    # The instance filter for its public address sees the Elastic IP.
    r = ec2.describe_instances(Filters=[{"Name": "ip-address", "Values": [a["PublicIp"]]}])
    assert r["Reservations"][0]["Instances"][0]["InstanceId"] == iid
    r = ec2.describe_instances(Filters=[{"Name": "network-interface.association.allocation-id",
                                         "Values": [aid]}])
    assert r["Reservations"][0]["Instances"][0]["InstanceId"] == iid
    r = ec2.describe_network_interfaces(Filters=[{"Name": "association.allocation-id",
                                                  "Values": [aid]}])["NetworkInterfaces"]
    assert [n["Attachment"]["InstanceId"] for n in r] == [iid]


def test_pool_is_shared_between_accounts(vpcd, ec2):
    mine = ec2.allocate_address()["PublicIp"]
    _, key, secret = vpcd.new_account("bob")
    bob = vpcd.client(keys=(key, secret))
    theirs = bob.allocate_address()
    assert theirs["PublicIp"] != mine
    assert bob.describe_addresses()["Addresses"][0]["PublicIp"] == theirs["PublicIp"]
    assert [x["PublicIp"] for x in ec2.describe_addresses()["Addresses"]] == [mine]
    fails("InvalidAllocationID.NotFound", ec2.release_address,
          AllocationId=theirs["AllocationId"])


def test_restart_persistence(vpcd, ec2, net):
    iid = launch(ec2, net)
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.associate_address(AllocationId=eip, InstanceId=iid)
    before = ec2.describe_addresses()["Addresses"]
    vpcd.stop()
    vpcd.start()
    ec2 = vpcd.client()
    assert ec2.describe_addresses()["Addresses"] == before
    # The pool remembers what is taken.
    assert ec2.allocate_address()["PublicIp"] != before[0]["PublicIp"]


def test_dry_run_changes_nothing(ec2, net):
    iid = launch(ec2, net)
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    fails("DryRunOperation", ec2.associate_address, AllocationId=eip, InstanceId=iid,
          DryRun=True)
    assert "AssociationId" not in address(ec2, eip)
    assoc = ec2.associate_address(AllocationId=eip, InstanceId=iid)["AssociationId"]
    fails("DryRunOperation", ec2.disassociate_address, AssociationId=assoc, DryRun=True)
    assert address(ec2, eip)["AssociationId"] == assoc
    ec2.disassociate_address(AssociationId=assoc)
    fails("DryRunOperation", ec2.release_address, AllocationId=eip, DryRun=True)
    assert address(ec2, eip)["AllocationId"] == eip
    fails("DryRunOperation", ec2.describe_addresses, DryRun=True)


def test_tags_on_elastic_ips(ec2):
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.create_tags(Resources=[eip], Tags=[{"Key": "k", "Value": "v"}])
    t = ec2.describe_tags(Filters=[{"Name": "resource-type", "Values": ["elastic-ip"]}])
    assert [(x["ResourceId"], x["Key"]) for x in t["Tags"]] == [(eip, "k")]
    assert address(ec2, eip)["Tags"] == [{"Key": "k", "Value": "v"}]
