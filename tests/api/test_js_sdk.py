"""The AWS SDK for JavaScript v3 (@aws-sdk/client-ec2, pinned in
tests/js/package.json) against vpcd: tests/js/smoke.mjs runs a scenario and
prints JSON, which these tests check.  Skips only when node_modules is
missing and `npm ci` cannot install it."""
import json
import os
import shutil
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
JS_DIR = os.path.join(os.path.dirname(HERE), "js")
NODE = "/usr/bin/node"


def ensure_node_modules():
    if not os.access(NODE, os.X_OK):
        pytest.skip("%s is not installed" % NODE)
    if os.path.isdir(os.path.join(JS_DIR, "node_modules", "@aws-sdk", "client-ec2")):
        return
    npm = shutil.which("npm") or ("/usr/bin/npm" if os.access("/usr/bin/npm", os.X_OK) else None)
    if npm is None:
        pytest.skip("tests/js/node_modules is missing and npm is not installed")
    try:
        r = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=JS_DIR, capture_output=True,
                           text=True, timeout=300, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.skip("tests/js/node_modules is missing and `npm ci` timed out")
    if r.returncode != 0:
        pytest.skip("tests/js/node_modules is missing and `npm ci` failed: %s" % r.stderr[-2000:])


def run_scenario(vpcd, scenario):
    ensure_node_modules()
    key, secret = vpcd.keys()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(VPCD_ENDPOINT=vpcd.endpoint, AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret,
               AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE="/dev/null",
               AWS_SHARED_CREDENTIALS_FILE="/dev/null", NODE_NO_WARNINGS="1")
    r = subprocess.run([NODE, "smoke.mjs", scenario], cwd=JS_DIR, env=env, capture_output=True,
                       text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, "smoke.mjs %s failed (%d):\n%s\n%s" % (
        scenario, r.returncode, r.stdout[-4000:], r.stderr[-4000:])
    return json.loads(r.stdout)


@pytest.fixture
def smoke(vpcd):
    return run_scenario(vpcd, "smoke")


def test_created_vpc_is_described_with_its_tag(smoke):
    vpc_id = smoke["createVpc"]["vpcId"]
    assert vpc_id.startswith("vpc-")
    assert smoke["describeVpcs"] == [{
        "vpcId": vpc_id, "cidrBlock": "10.42.0.0/16", "state": "available", "isDefault": False,
        "tags": [{"Key": "Name", "Value": "js-smoke"}]}]


def test_request_id_comes_from_the_response_header(smoke):
    assert len(smoke["createVpc"]["requestId"]) == 36


def test_subnet_is_created_in_the_vpc(smoke):
    subnet = smoke["createSubnet"]
    assert subnet["subnetId"].startswith("subnet-")
    assert subnet["vpcId"] == smoke["createVpc"]["vpcId"]
    assert subnet["cidrBlock"] == "10.42.1.0/24"
    assert subnet["availableIpAddressCount"] == 251


def test_security_group_rules_are_visible(smoke):
    assert smoke["authorize"]["return"] is True
    assert len(smoke["authorize"]["ruleIds"]) == 1
    assert smoke["authorize"]["ruleIds"][0].startswith("sgr-")
    group = smoke["describeSecurityGroups"][0]
    assert group["groupName"] == "js-web"
    assert group["vpcId"] == smoke["createVpc"]["vpcId"]
    assert group["ipPermissions"] == [{
        "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [],
        "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "HTTPS from the LAN"}],
        "Ipv6Ranges": [], "PrefixListIds": []}]
    assert [p["IpRanges"] for p in group["ipPermissionsEgress"]] == [[{"CidrIp": "0.0.0.0/0"}]]


def test_unknown_vpc_error_has_the_ec2_code_and_request_id(smoke):
    err = smoke["unknownVpc"]
    assert err["name"] == "InvalidVpcID.NotFound"
    assert err["status"] == 400
    assert "vpc-0123456789abcdef0" in err["message"]
    assert err["requestId"] and len(err["requestId"]) == 36


def test_everything_is_deleted(smoke):
    assert len(smoke["deleted"]) == 3
    assert smoke["remainingVpcs"] == []


def test_sdk_sends_only_the_parameters_it_was_given(smoke):
    """The scenario's calls carry no automatically added parameters."""
    create_vpc = [w for w in smoke["wire"] if w["action"] == "CreateVpc"][0]
    assert create_vpc["params"] == ["Action", "CidrBlock", "TagSpecification.1.ResourceType",
                                    "TagSpecification.1.Tag.1.Key",
                                    "TagSpecification.1.Tag.1.Value", "Version"]


def test_calls_with_an_automatic_client_token_succeed(vpcd):
    """This SDK fills ClientToken on CreateRouteTable and CreateNetworkAcl,
    which botocore 1.29's model does not have."""
    out = run_scenario(vpcd, "client-token")
    sent = {w["action"]: w["params"] for w in out["wire"]}
    assert "ClientToken" in sent["CreateRouteTable"]
    assert "ClientToken" in sent["CreateNetworkAcl"]
    assert out["results"]["CreateRouteTable"]["id"].startswith("rtb-")
    assert out["results"]["CreateNetworkAcl"]["id"].startswith("acl-")
