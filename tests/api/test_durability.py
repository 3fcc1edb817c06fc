"""Crash durability: SIGKILL vpcd under a stream of mutating calls.

Several client threads create VPCs (with a tag), tag them, create subnets
and a security group with an ingress rule, and delete one of the subnets,
in a loop.  After a random delay the daemon is killed with SIGKILL, then
restarted on the same data directory.  Every call that was answered with
success must have survived the kill: its resources exist with their tags
and rules, what it deleted is gone, and SQLite's integrity check passes.

A call that ended with a connection error has an unknown outcome (the kill
may have come before or after its commit) and is not checked; the calls
that would have depended on it in the same iteration are not made, and a
subnet whose DeleteSubnet had an unknown outcome may be present or not.  The
timing is random (the seed is printed so that a failure can be replayed
with VPCD_DURABILITY_SEED), the assertions are not: they only ever concern
acknowledged calls.
"""
import os
import random
import subprocess
import threading
import time

import botocore.exceptions

ROUNDS = 5
CLIENTS = 6
# Limits that keep the whole test well under a minute.
KILL_DELAY_S = (0.2, 1.5)
TEST_BUDGET_S = 60
QUOTAS = ["--set", "quota.vpcs-per-region=100000",
          "--set", "quota.subnets-per-vpc=100000",
          "--set", "quota.security-groups-per-vpc=100000"]

# What makes a call's outcome unknown rather than failed: the connection
# broke or timed out before an answer arrived.
UNKNOWN = (botocore.exceptions.EndpointConnectionError,
           botocore.exceptions.ConnectionClosedError,
           botocore.exceptions.ReadTimeoutError,
           botocore.exceptions.ConnectTimeoutError,
           botocore.exceptions.HTTPClientError)


class Ledger:
    """Everything the clients were told succeeded, shared by all threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.vpcs = {}        # vpc id -> {tag key: value}
        self.subnets = {}     # subnet id -> (vpc id, cidr)
        self.deleted = set()  # subnet ids
        self.maybe_deleted = set()  # subnet ids of a DeleteSubnet of unknown outcome
        self.sgs = {}         # sg id -> (vpc id, set of ingress ports)
        self.acked = 0
        self.unknown = 0
        self.api_errors = []  # (action, code, message): unexpected rejections

    def note(self, fn):
        with self.lock:
            fn()
            self.acked += 1


class Worker(threading.Thread):
    """One client: its own boto3 client, no retries, short timeouts."""

    def __init__(self, ec2, ledger, name, stop):
        super().__init__(name=name, daemon=True)
        self.ec2, self.ledger, self.stop, self.tag = ec2, ledger, stop, name
        self.n = 0

    def call(self, action, **kw):
        """Returns the response, or None if the outcome is unknown or the
        call was rejected (rejections are recorded for the test to fail)."""
        try:
            return getattr(self.ec2, action)(**kw)
        except UNKNOWN:
            with self.ledger.lock:
                self.ledger.unknown += 1
        except botocore.exceptions.ClientError as e:
            err = e.response.get("Error", {})
            with self.ledger.lock:
                self.ledger.api_errors.append((action, err.get("Code"), err.get("Message")))
        return None

    def iteration(self):
        led = self.ledger
        self.n += 1
        token = "%s-%d-%d" % (self.tag, os.getpid(), self.n)
        r = self.call("create_vpc", CidrBlock="10.0.0.0/16", TagSpecifications=[
            {"ResourceType": "vpc", "Tags": [{"Key": "durability", "Value": token}]}])
        if r is None:
            return
        vpc = r["Vpc"]["VpcId"]
        led.note(lambda: led.vpcs.__setitem__(vpc, {"durability": token}))

        if self.call("create_tags", Resources=[vpc],
                     Tags=[{"Key": "step", "Value": "tagged-" + token}]) is None:
            return
        led.note(lambda: led.vpcs[vpc].__setitem__("step", "tagged-" + token))

        kept = []
        for cidr in ("10.0.1.0/24", "10.0.2.0/24"):
            r = self.call("create_subnet", VpcId=vpc, CidrBlock=cidr)
            if r is None:
                return
            sn = r["Subnet"]["SubnetId"]
            kept.append(sn)
            led.note(lambda sn=sn, cidr=cidr: led.subnets.__setitem__(sn, (vpc, cidr)))

        r = self.call("create_security_group", VpcId=vpc, GroupName="g-" + token,
                      Description="durability")
        if r is None:
            return
        sg = r["GroupId"]
        led.note(lambda: led.sgs.__setitem__(sg, (vpc, set())))
        for port in (22, 443):
            if self.call("authorize_security_group_ingress", GroupId=sg, IpPermissions=[
                    {"IpProtocol": "tcp", "FromPort": port, "ToPort": port,
                     "IpRanges": [{"CidrIp": "192.0.2.0/24"}]}]) is None:
                return
            led.note(lambda port=port: led.sgs[sg][1].add(port))

        with led.lock:
            led.maybe_deleted.add(kept[0])
        if self.call("delete_subnet", SubnetId=kept[0]) is None:
            return
        led.note(lambda: led.deleted.add(kept[0]))

    def run(self):
        while not self.stop.is_set():
            self.iteration()


def check_state(ec2, ledger, db_path):
    """Lists every acknowledged call the daemon does not reflect (and an
    integrity_check failure); empty when all is well."""
    tags = lambda res: {t["Key"]: t["Value"] for t in res.get("Tags", [])}
    vpcs = {v["VpcId"]: v for v in ec2.describe_vpcs()["Vpcs"]}
    subnets = {s["SubnetId"]: s for s in ec2.describe_subnets()["Subnets"]}
    sgs = {g["GroupId"]: g for g in ec2.describe_security_groups()["SecurityGroups"]}

    lost = []
    for vpc, want in ledger.vpcs.items():
        if vpc not in vpcs:
            lost.append("%s (acknowledged CreateVpc) is missing" % vpc)
            continue
        have = tags(vpcs[vpc])
        for k, v in want.items():
            if have.get(k) != v:
                lost.append("%s: tag %s=%s acknowledged, found %r" % (vpc, k, v, have.get(k)))
    for sn, (vpc, cidr) in ledger.subnets.items():
        if sn in ledger.deleted:
            if sn in subnets:
                lost.append("%s: acknowledged DeleteSubnet, still there" % sn)
        elif sn not in subnets and sn not in ledger.maybe_deleted:
            lost.append("%s (acknowledged CreateSubnet in %s) is missing" % (sn, vpc))
        elif sn in subnets and (subnets[sn]["VpcId"], subnets[sn]["CidrBlock"]) != (vpc, cidr):
            lost.append("%s: expected %s %s, found %s %s" % (sn, vpc, cidr,
                        subnets[sn]["VpcId"], subnets[sn]["CidrBlock"]))
    for sg, (vpc, ports) in ledger.sgs.items():
        if sg not in sgs:
            lost.append("%s (acknowledged CreateSecurityGroup in %s) is missing" % (sg, vpc))
            continue
        have = {p.get("FromPort") for p in sgs[sg]["IpPermissions"]}
        if not ports <= have:
            lost.append("%s: acknowledged ingress ports %s, found %s" % (sg, sorted(ports),
                        sorted(p for p in have if p is not None)))

    r = subprocess.run(["sqlite3", db_path, "PRAGMA integrity_check"],
                       capture_output=True, text=True, timeout=30)
    if r.returncode != 0 or r.stdout.strip() != "ok":
        lost.append("integrity_check: %r %r" % (r.stdout.strip(), r.stderr.strip()))
    return lost


def test_sigkill_under_load_loses_no_acknowledged_call(make_daemon):
    seed = int(os.environ.get("VPCD_DURABILITY_SEED", random.randrange(1 << 32)))
    rng = random.Random(seed)
    print("durability seed %d" % seed)
    start = time.monotonic()
    d = make_daemon(args=QUOTAS).start()
    db_path = os.path.join(d.data_dir, "vpcd.db")
    ledger = Ledger()
    timeouts = dict(connect_timeout=1, read_timeout=5)

    for rnd in range(ROUNDS):
        assert time.monotonic() - start < TEST_BUDGET_S, "out of time at round %d" % rnd
        stop = threading.Event()
        # boto3 clients are made on this thread: creating them is not thread-safe.
        workers = [Worker(d.client(**timeouts), ledger, "r%dc%d" % (rnd, i), stop)
                   for i in range(CLIENTS)]
        acked_before = ledger.acked
        for w in workers:
            w.start()
        # The random delay counts from the round's first success, so that a
        # slow start on a busy machine cannot leave a round without load.
        deadline = time.monotonic() + 10
        while ledger.acked == acked_before and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(rng.uniform(*KILL_DELAY_S))
        d.kill()
        stop.set()
        for w in workers:
            w.join(15)
            assert not w.is_alive(), "client %s hung after the kill" % w.name
        assert ledger.acked > acked_before, "round %d: no call succeeded before the kill\n%s" % (
            rnd, d.log()[-2000:])

        d.start()
        lost = check_state(d.client(**timeouts), ledger, db_path)
        assert not lost, "seed %d, round %d: %d acknowledged changes lost:\n%s" % (
            seed, rnd, len(lost), "\n".join(lost[:50]))

    assert not ledger.api_errors, "calls rejected by the API (expected none):\n%s" % (
        "\n".join("%s: %s: %s" % e for e in ledger.api_errors[:20]))
    print("%d acknowledged calls (%d VPCs, %d subnets, %d deleted, %d SGs), %d unknown, %.1f s"
          % (ledger.acked, len(ledger.vpcs), len(ledger.subnets), len(ledger.deleted),
             len(ledger.sgs), ledger.unknown, time.monotonic() - start))

    # A clean stop after all that must leave a consistent database too.
    d.stop()
    r = subprocess.run(["sqlite3", db_path, "PRAGMA integrity_check"],
                       capture_output=True, text=True, timeout=30)
    assert r.stdout.strip() == "ok", r.stdout + r.stderr
