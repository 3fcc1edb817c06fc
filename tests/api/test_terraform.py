"""Terraform's AWS provider (5.100.0) against vpcd: apply a small VPC
(tests/terraform/main.tf), check that a second plan sees no changes, and
destroy it again.  Runs offline from a provider filesystem mirror; skips
when Terraform or the mirror is missing."""
import os
import shutil
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TF_DIR = os.path.join(os.path.dirname(HERE), "terraform")
PROVIDER = os.path.join("registry.terraform.io", "hashicorp", "aws", "5.100.0", "linux_amd64")
STEP_TIMEOUT = 300


def find_terraform():
    for path in (shutil.which("terraform"), "/usr/local/bin/terraform"):
        if path and os.access(path, os.X_OK):
            return path
    return None


def find_mirror():
    for root in ("/opt/tf-plugins", os.path.expanduser("~/.terraform.d/plugins")):
        if os.path.isdir(os.path.join(root, PROVIDER)):
            return root
    return None


@pytest.fixture
def terraform(vpcd, tmp_path):
    """Runs terraform steps in a scratch copy of tests/terraform."""
    binary = find_terraform()
    if binary is None:
        pytest.skip("terraform is not installed (looked on PATH and /usr/local/bin)")
    mirror = find_mirror()
    if mirror is None:
        pytest.skip("no filesystem mirror with hashicorp/aws 5.100.0 in /opt/tf-plugins "
                    "or ~/.terraform.d/plugins")
    work = tmp_path / "tf"
    work.mkdir()
    shutil.copy(os.path.join(TF_DIR, "main.tf"), work / "main.tf")
    cli_config = tmp_path / "terraformrc"
    cli_config.write_text(
        'provider_installation {\n'
        '  filesystem_mirror {\n'
        '    path    = "%s"\n'
        '    include = ["registry.terraform.io/hashicorp/aws"]\n'
        '  }\n'
        '  direct {\n'
        '    exclude = ["registry.terraform.io/hashicorp/aws"]\n'
        '  }\n'
        '}\n' % mirror)
    key, secret = vpcd.keys()
    (work / "terraform.tfvars").write_text(
        'endpoint   = "%s"\naccess_key = "%s"\nsecret_key = "%s"\n' % (vpcd.endpoint, key, secret))
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "TF_")) and k != "CHECKPOINT_DISABLE"}
    env.update(TF_CLI_CONFIG_FILE=str(cli_config), TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1",
               TF_INPUT="0", TF_DATA_DIR=str(work / ".terraform"),
               AWS_EC2_METADATA_DISABLED="true", HOME=str(tmp_path))

    def run(*args, ok=(0,)):
        try:
            r = subprocess.run([binary] + list(args) + ["-no-color"], cwd=work, env=env,
                               capture_output=True, text=True, timeout=STEP_TIMEOUT,
                               stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as e:
            pytest.fail("terraform %s timed out after %ds\nstdout:\n%s\nvpcd log:\n%s" % (
                args[0], STEP_TIMEOUT, e.stdout, vpcd_errors(vpcd)))
        if r.returncode not in ok:
            pytest.fail("terraform %s exited %d\nstdout:\n%s\nstderr:\n%s\nvpcd log:\n%s" % (
                args[0], r.returncode, r.stdout[-6000:], r.stderr[-6000:], vpcd_errors(vpcd)))
        return r

    return run


def vpcd_errors(vpcd):
    """The end of vpcd's log.  (vpcd logs no per-request lines; the failing
    call and vpcd's answer are in terraform's stderr above.)"""
    return "\n".join(vpcd.log().splitlines()[-40:])


@pytest.fixture
def applied(terraform):
    """The configuration, applied."""
    terraform("init", "-input=false")
    terraform("apply", "-auto-approve", "-input=false")
    return terraform


def tf_vpc(ec2):
    vpcs = [v for v in ec2.describe_vpcs()["Vpcs"] if not v["IsDefault"]]
    assert len(vpcs) == 1
    return vpcs[0]


def test_apply_creates_the_vpc_with_its_tags(applied, ec2):
    vpc = tf_vpc(ec2)
    assert vpc["CidrBlock"] == "10.20.0.0/16"
    assert {"Key": "Name", "Value": "tf-main"} in vpc["Tags"]
    assert {"Key": "Project", "Value": "vpcd-terraform-test"} in vpc["Tags"]


def test_apply_creates_the_security_groups_and_rules(applied, ec2):
    vpc_id = tf_vpc(ec2)["VpcId"]
    groups = {g["GroupName"]: g for g in ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["SecurityGroups"]}
    assert set(groups) == {"default", "tf-bastion", "tf-app", "tf-db"}
    db_sources = [p["GroupId"] for perm in groups["tf-db"]["IpPermissions"]
                  for p in perm["UserIdGroupPairs"]]
    assert db_sources == [groups["tf-app"]["GroupId"]]
    app_ports = sorted((p["IpProtocol"], p.get("FromPort")) for p in groups["tf-app"]["IpPermissions"])
    assert app_ports == [("icmp", 8), ("tcp", 22), ("tcp", 443)]
    # Terraform removes the default allow-all egress of groups without egress blocks.
    assert groups["tf-db"]["IpPermissionsEgress"] == []
    bastion_rules = ec2.describe_security_group_rules(Filters=[
        {"Name": "group-id", "Values": [groups["tf-bastion"]["GroupId"]]}])["SecurityGroupRules"]
    ssh = [r for r in bastion_rules if not r["IsEgress"]]
    assert [(r["CidrIpv4"], r["FromPort"], r["Description"]) for r in ssh] == [
        ("203.0.113.0/24", 22, "SSH from the office")]
    assert {"Key": "Name", "Value": "tf-bastion-ssh"} in ssh[0]["Tags"]


def test_apply_creates_the_routing(applied, ec2):
    vpc_id = tf_vpc(ec2)["VpcId"]
    igw = ec2.describe_internet_gateways()["InternetGateways"]
    assert [a["VpcId"] for a in igw[0]["Attachments"]] == [vpc_id]
    tables = ec2.describe_route_tables(Filters=[
        {"Name": "tag:Name", "Values": ["tf-public-rt"]}])["RouteTables"]
    routes = {r["DestinationCidrBlock"]: r["GatewayId"] for r in tables[0]["Routes"]}
    assert routes == {"10.20.0.0/16": "local", "0.0.0.0/0": igw[0]["InternetGatewayId"]}
    assert len([a for a in tables[0]["Associations"] if a.get("SubnetId")]) == 1


def test_apply_creates_the_network_acl(applied, ec2):
    acl = ec2.describe_network_acls(Filters=[
        {"Name": "tag:Name", "Values": ["tf-private-acl"]}])["NetworkAcls"][0]
    private = ec2.describe_subnets(Filters=[
        {"Name": "tag:Name", "Values": ["tf-private"]}])["Subnets"][0]["SubnetId"]
    assert [a["SubnetId"] for a in acl["Associations"]] == [private]
    numbers = [(e["Egress"], e["RuleNumber"]) for e in acl["Entries"]]
    assert numbers == [(False, 100), (False, 200), (False, 300), (False, 32767),
                       (True, 100), (True, 32767)]


def test_second_plan_shows_no_changes(applied):
    plan = applied("plan", "-detailed-exitcode", "-input=false", ok=(0, 2))
    assert plan.returncode == 0, "second plan wants changes:\n" + plan.stdout[-6000:]


def test_destroy_removes_everything(applied, ec2):
    applied("destroy", "-auto-approve", "-input=false")
    assert ec2.describe_vpcs()["Vpcs"] == []
    assert ec2.describe_subnets()["Subnets"] == []
    assert ec2.describe_security_groups()["SecurityGroups"] == []
    assert ec2.describe_network_acls()["NetworkAcls"] == []
    assert ec2.describe_internet_gateways()["InternetGateways"] == []
    assert ec2.describe_route_tables()["RouteTables"] == []
