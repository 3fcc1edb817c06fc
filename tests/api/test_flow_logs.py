"""Flow logs through the API: what CreateFlowLogs accepts for each
destination, per-resource failures, Describe, Delete, and that a flow log
goes with its resource."""
import pytest

from vpcdtest import fails

ROLE = "arn:aws:iam::123456789012:role/flow-logs"


@pytest.fixture
def net(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    sn = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    eni = ec2.create_network_interface(SubnetId=sn)["NetworkInterface"]["NetworkInterfaceId"]
    return {"vpc": vpc, "subnet": sn, "eni": eni}


def test_cloud_watch_logs_and_s3(ec2, net):
    r = ec2.create_flow_logs(ResourceIds=[net["vpc"]], ResourceType="VPC", TrafficType="ALL",
                             LogGroupName="/vpc/flows", DeliverLogsPermissionArn=ROLE)
    assert r["Unsuccessful"] == [] and r["FlowLogIds"][0].startswith("fl-")
    cwl = r["FlowLogIds"][0]
    r = ec2.create_flow_logs(ResourceIds=[net["subnet"]], ResourceType="Subnet",
                             TrafficType="REJECT", LogDestinationType="s3",
                             LogDestination="arn:aws:s3:::my-flows/team-a",
                             MaxAggregationInterval=60,
                             LogFormat="${version} ${interface-id} ${srcaddr} ${dstaddr} "
                                       "${action} ${tcp-flags} ${flow-direction}",
                             DestinationOptions={"FileFormat": "plain-text",
                                                 "HiveCompatiblePartitions": True,
                                                 "PerHourPartition": True},
                             TagSpecifications=[{"ResourceType": "vpc-flow-log",
                                                 "Tags": [{"Key": "k", "Value": "v"}]}])
    s3 = r["FlowLogIds"][0]
    logs = {f["FlowLogId"]: f for f in ec2.describe_flow_logs()["FlowLogs"]}
    a, b = logs[cwl], logs[s3]
    assert a["ResourceId"] == net["vpc"] and a["TrafficType"] == "ALL"
    assert a["LogDestinationType"] == "cloud-watch-logs" and a["LogGroupName"] == "/vpc/flows"
    account = ec2.describe_vpcs()["Vpcs"][0]["OwnerId"]
    assert a["LogDestination"] == "arn:aws:logs:us-east-1:%s:log-group:/vpc/flows" % account
    assert a["DeliverLogsPermissionArn"] == ROLE and a["MaxAggregationInterval"] == 600
    assert a["LogFormat"].startswith("${version} ${account-id} ${interface-id}")
    assert a["FlowLogStatus"] == "ACTIVE" and a["DeliverLogsStatus"] == "SUCCESS"
    assert b["LogDestinationType"] == "s3" and "LogGroupName" not in b
    assert b["MaxAggregationInterval"] == 60 and b["TrafficType"] == "REJECT"
    assert b["DestinationOptions"] == {"FileFormat": "plain-text",
                                       "HiveCompatiblePartitions": True,
                                       "PerHourPartition": True}
    assert b["Tags"] == [{"Key": "k", "Value": "v"}]
    f = lambda name, v: [x["FlowLogId"] for x in ec2.describe_flow_logs(
        Filter=[{"Name": name, "Values": [v]}])["FlowLogs"]]
    assert f("resource-id", net["subnet"]) == [s3]
    assert f("log-destination-type", "cloud-watch-logs") == [cwl]
    assert f("traffic-type", "REJECT") == [s3]
    assert f("log-group-name", "/vpc/flows") == [cwl]
    assert f("tag:k", "v") == [s3]
    # The same configuration twice is refused per resource.
    r = ec2.create_flow_logs(ResourceIds=[net["vpc"], "vpc-0123456789abcdef0"],
                             ResourceType="VPC", TrafficType="ALL", LogGroupName="/vpc/flows",
                             DeliverLogsPermissionArn=ROLE)
    assert r["FlowLogIds"] == []
    codes = {u["ResourceId"]: u["Error"]["Code"] for u in r["Unsuccessful"]}
    assert codes == {net["vpc"]: "FlowLogAlreadyExists",
                     "vpc-0123456789abcdef0": "InvalidVpcID.NotFound"}
    # Two per resource at most.
    ec2.create_flow_logs(ResourceIds=[net["vpc"]], ResourceType="VPC", TrafficType="ACCEPT",
                         LogGroupName="/vpc/flows", DeliverLogsPermissionArn=ROLE)
    r = ec2.create_flow_logs(ResourceIds=[net["vpc"]], ResourceType="VPC", TrafficType="REJECT",
                             LogGroupName="/vpc/flows", DeliverLogsPermissionArn=ROLE)
    assert r["Unsuccessful"][0]["Error"]["Code"] == "FlowLogsLimitExceeded"
    # Delete: unknown ids come back as unsuccessful, known ones go.
    r = ec2.delete_flow_logs(FlowLogIds=[cwl, "fl-0123456789abcdef0"])
    assert [u["ResourceId"] for u in r["Unsuccessful"]] == ["fl-0123456789abcdef0"]
    assert r["Unsuccessful"][0]["Error"]["Code"] == "InvalidFlowLogId.NotFound"
    assert cwl not in [x["FlowLogId"] for x in ec2.describe_flow_logs()["FlowLogs"]]


def test_bad_requests_change_nothing(ec2, net):
    base = dict(ResourceIds=[net["vpc"]], ResourceType="VPC", TrafficType="ALL")
    cwl = dict(base, LogGroupName="g", DeliverLogsPermissionArn=ROLE)
    fails("MissingParameter", ec2.create_flow_logs, ResourceIds=[net["vpc"]],
          ResourceType="VPC", LogGroupName="g", DeliverLogsPermissionArn=ROLE)
    fails("InvalidParameter", ec2.create_flow_logs, **dict(base, LogGroupName="g"))
    fails("InvalidParameter", ec2.create_flow_logs, **dict(cwl, MaxAggregationInterval=300))
    fails("InvalidParameter", ec2.create_flow_logs, **dict(cwl, LogFormat="${version} ${foo}"))
    fails("InvalidParameter", ec2.create_flow_logs, **dict(cwl, LogFormat="version srcaddr"))
    fails("InvalidParameter", ec2.create_flow_logs, **dict(cwl, ResourceType="TransitGateway"))
    fails("InvalidParameter", ec2.create_flow_logs, **dict(base, LogDestinationType="s3"))
    fails("InvalidParameter", ec2.create_flow_logs, **dict(
        base, LogDestinationType="s3", LogDestination="arn:aws:s3:::Bad_Bucket"))
    e = fails("InvalidParameter", ec2.create_flow_logs, **dict(
        base, LogDestinationType="s3", LogDestination="arn:aws:s3:::bucket",
        DeliverLogsPermissionArn=ROLE))
    assert "not applicable for s3" in str(e.value)
    fails("UnsupportedOperation", ec2.create_flow_logs, **dict(
        base, LogDestinationType="s3", LogDestination="arn:aws:s3:::bucket",
        DestinationOptions={"FileFormat": "parquet"}))
    fails("InvalidParameter", ec2.create_flow_logs, **dict(
        base, LogDestinationType="kinesis-data-firehose",
        LogDestination="arn:aws:firehose:us-east-1:123456789012:deliverystream/x"))
    fails("DryRunOperation", ec2.create_flow_logs, **dict(cwl, DryRun=True))
    assert ec2.describe_flow_logs()["FlowLogs"] == []
    fails("InvalidFlowLogId.NotFound", ec2.describe_flow_logs,
          FlowLogIds=["fl-0123456789abcdef0"])


def test_goes_with_its_resource_and_survives_restart(make_daemon):
    d = make_daemon().start()
    ec2 = d.client()
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    sn = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    eni = ec2.create_network_interface(SubnetId=sn)["NetworkInterface"]["NetworkInterfaceId"]
    for rid, rtype in ((vpc, "VPC"), (sn, "Subnet"), (eni, "NetworkInterface")):
        ec2.create_flow_logs(ResourceIds=[rid], ResourceType=rtype, TrafficType="ALL",
                             LogDestinationType="s3", LogDestination="arn:aws:s3:::flows")
    before = ec2.describe_flow_logs()["FlowLogs"]
    d.stop()
    d.start()
    ec2 = d.client()
    assert ec2.describe_flow_logs()["FlowLogs"] == before
    ec2.delete_network_interface(NetworkInterfaceId=eni)
    assert [f["ResourceId"] for f in ec2.describe_flow_logs()["FlowLogs"]] == [vpc, sn]
    ec2.delete_subnet(SubnetId=sn)
    ec2.delete_vpc(VpcId=vpc)
    assert ec2.describe_flow_logs()["FlowLogs"] == []
