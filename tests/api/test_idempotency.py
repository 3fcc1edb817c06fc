"""ClientToken idempotency on the actions whose newer models carry one
(CreateRouteTable, CreateNetworkAcl): newer SDKs and Terraform fill the
token automatically, botocore 1.29 does not know it, so these tests send
signed requests by hand."""
import re
import urllib.error
import urllib.request

import botocore.auth
import botocore.awsrequest
import botocore.credentials


def call(vpcd, params):
    """POSTs a SigV4-signed EC2 Query request; returns (status, body)."""
    key, secret = vpcd.keys()
    body = "&".join("%s=%s" % (k, urllib.request.quote(str(v), safe="")) for k, v in params.items())
    req = botocore.awsrequest.AWSRequest(
        method="POST", url=vpcd.endpoint + "/", data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(key, secret), "ec2",
                            "us-east-1").add_auth(req)
    prepared = req.prepare()
    r = urllib.request.Request(prepared.url, data=prepared.body.encode(),
                               headers=dict(prepared.headers), method="POST")
    try:
        with urllib.request.urlopen(r, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def create_rtb(vpcd, vpc_id, token, **extra):
    params = {"Action": "CreateRouteTable", "Version": "2016-11-15", "VpcId": vpc_id,
              "ClientToken": token}
    params.update(extra)
    return call(vpcd, params)


def rtb_id(body):
    return re.search(r"<routeTableId>(rtb-[0-9a-f]+)</routeTableId>", body).group(1)


def test_same_token_same_parameters_returns_the_first_table(vpcd, ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    s1, b1 = create_rtb(vpcd, vpc, "token-1")
    s2, b2 = create_rtb(vpcd, vpc, "token-1")
    assert s1 == 200 and s2 == 200
    assert rtb_id(b1) == rtb_id(b2)
    assert "<clientToken>token-1</clientToken>" in b1
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"]
    assert len(tables) == 2  # the main table and one created table, not two


def test_same_token_other_parameters_is_a_mismatch(vpcd, ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    other = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    assert create_rtb(vpcd, vpc, "token-2")[0] == 200
    status, body = create_rtb(vpcd, other, "token-2")
    assert status == 400 and "<Code>IdempotentParameterMismatch</Code>" in body
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [other]}])["RouteTables"]
    assert len(tables) == 1


def test_tokens_are_per_action_and_survive_a_restart(make_daemon):
    vpcd = make_daemon().start()
    ec2 = vpcd.client()
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    first = rtb_id(create_rtb(vpcd, vpc, "shared")[1])
    status, body = call(vpcd, {"Action": "CreateNetworkAcl", "Version": "2016-11-15",
                               "VpcId": vpc, "ClientToken": "shared"})
    assert status == 200 and "<networkAclId>acl-" in body
    vpcd.stop()
    vpcd.start()
    assert rtb_id(create_rtb(vpcd, vpc, "shared")[1]) == first


def test_failed_call_does_not_consume_the_token(vpcd, ec2):
    status, body = create_rtb(vpcd, "vpc-0123456789abcdef0", "token-3")
    assert status == 400 and "InvalidVpcID.NotFound" in body
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    # The same token with other parameters now succeeds: nothing was recorded.
    assert create_rtb(vpcd, vpc, "token-3")[0] == 200


def test_dry_run_with_a_token_records_nothing(vpcd, ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    status, body = create_rtb(vpcd, vpc, "token-4", DryRun="true")
    assert status == 412 and "DryRunOperation" in body
    status, body = create_rtb(vpcd, vpc, "token-4")
    assert status == 200
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"]
    assert len(tables) == 2


def test_overlong_token_is_refused(vpcd, ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    status, body = create_rtb(vpcd, vpc, "x" * 65)
    assert status == 400 and "InvalidParameterValue" in body
