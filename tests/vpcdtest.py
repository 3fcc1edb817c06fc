"""Helpers for vpcd's tests: a real vpcd on loopback with a fresh data
directory, real clients (Debian's boto3 and /usr/bin/aws) pointed at it,
and for real-packet tests a vpcd with the Linux data plane."""
import configparser
import json
import os
import signal
import socket
import subprocess
import sys
import time

import boto3
import botocore.config
import botocore.exceptions
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("VPCD_BUILD", os.path.join(ROOT, "build"))
VPCD = os.path.join(BUILD, "vpcd")
VPCCTL = os.path.join(BUILD, "vpcctl")
AWS_CLI = "/usr/bin/aws"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Daemon:
    """One vpcd process. start()/stop()/kill() may be called repeatedly on
    the same data directory (restart tests)."""

    dataplane = "none"

    def __init__(self, data_dir, args=()):
        self.data_dir = str(data_dir)
        self.args = list(args)
        self.port = free_port()
        self.proc = None
        self.log_path = os.path.join(self.data_dir + ".log")

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self, timeout=10):
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [VPCD, "--data-dir", self.data_dir, "--listen", "127.0.0.1:%d" % self.port,
             "--dataplane", self.dataplane] + self.args,
            stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("vpcd exited with %s:\n%s" % (self.proc.returncode, self.log()))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    if os.path.exists(os.path.join(self.data_dir, "credentials")):
                        return self
            except OSError:
                pass
            time.sleep(0.02)
        raise RuntimeError("vpcd did not start:\n" + self.log())

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        self.check_log()

    SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")

    def check_log(self):
        """Fails the test if the daemon's log holds a sanitizer report (the
        sanitize tier runs an ASan/UBSan build)."""
        log = self.log()
        for mark in self.SANITIZER_MARKS:
            if mark in log:
                raise AssertionError("vpcd reported a memory error:\n" + log[log.index(mark) - 200:][:4000])

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    @property
    def credentials_file(self):
        return os.path.join(self.data_dir, "credentials")

    def keys(self, profile="default"):
        cp = configparser.ConfigParser()
        cp.read(self.credentials_file)
        return cp[profile]["aws_access_key_id"], cp[profile]["aws_secret_access_key"]

    def client(self, keys=None, **config):
        key, secret = keys or self.keys()
        cfg = botocore.config.Config(retries={"max_attempts": 1}, **config)
        return boto3.client("ec2", region_name="us-east-1", endpoint_url=self.endpoint,
                            aws_access_key_id=key, aws_secret_access_key=secret, config=cfg)

    def metrics(self, path="/metrics"):
        """GET /metrics, unsigned: {(name, ((label, value), ...)): value}."""
        import urllib.request
        with urllib.request.urlopen(self.endpoint + path, timeout=10) as r:
            assert r.status == 200
            assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
            text = r.read().decode()
        out = {}
        for line in text.splitlines():
            if not line or line.startswith("#"):
                continue
            series, value = line.rsplit(" ", 1)
            name, _, labels = series.partition("{")
            pairs = tuple(tuple(kv.split("=", 1)) for kv in labels.rstrip("}").split(",") if kv)
            out[(name, tuple((k, v.strip('"')) for k, v in pairs))] = float(value)
        return out

    def vpcctl(self, *args, check=True):
        r = subprocess.run([VPCCTL, "--data-dir", self.data_dir] + list(args),
                           capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if check and r.returncode != 0:
            raise RuntimeError("vpcctl %s failed: %s" % (" ".join(args), r.stderr))
        return r

    def new_account(self, name):
        """Creates an account with vpcctl; returns (account_id, key, secret)."""
        out = self.vpcctl("--json", "account", "create", name).stdout
        a = json.loads(out)
        return a["account_id"], a["access_key_id"], a["secret_access_key"]

    def aws(self, *args, keys=None, check=True):
        """Runs Debian's aws CLI against this daemon; returns the parsed JSON
        output (or the CompletedProcess when check is False)."""
        env = dict(os.environ)
        env.update(AWS_PAGER="", AWS_EC2_METADATA_DISABLED="true",
                   AWS_DEFAULT_REGION="us-east-1", AWS_SHARED_CREDENTIALS_FILE=self.credentials_file,
                   AWS_CONFIG_FILE="/dev/null")
        for k in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            env.pop(k, None)
        if keys:
            env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"] = keys
        r = subprocess.run([AWS_CLI, "--endpoint-url", self.endpoint, "--output", "json"] + list(args),
                           capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
        if not check:
            return r
        if r.returncode != 0:
            raise RuntimeError("aws %s failed (%d): %s" % (" ".join(args), r.returncode, r.stderr))
        return json.loads(r.stdout) if r.stdout.strip() else {}

def error_code(excinfo):
    """The EC2 error code of a botocore ClientError."""
    return excinfo.value.response["Error"]["Code"]


def http_status(excinfo):
    return excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]


def fails(code, fn, *args, **kwargs):
    """Calls fn, which must fail with EC2 error 'code'; returns the
    pytest.raises info."""
    with pytest.raises(botocore.exceptions.ClientError) as e:
        fn(*args, **kwargs)
    assert error_code(e) == code, e.value.response["Error"]
    return e


AMI = "ami-00000000"   # the built-in image

# Asks the internet host's port 9000 what it says (the peer address it saw);
# exit status 1 if nothing answers.
ASK = r'''
import socket, sys
try:
    s = socket.create_connection(("203.0.113.10", 9000), timeout=2)
    s.settimeout(2)
    print(s.recv(64).decode().strip())
except OSError as e:
    print("failed", e)
    sys.exit(1)
'''


LISTENER = r'''#!/bin/sh
exec python3 -c '
import socket, threading
def serve(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(64)
    while True:
        c, _ = s.accept()
        c.sendall(b"ok\n")
        c.close()
for p in (%s):
    threading.Thread(target=serve, args=(p,)).start()
'
'''


def listener(*ports):
    """User data that answers "ok" on each TCP port."""
    return LISTENER % "".join("%d, " % p for p in ports)


def netns_names():
    r = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True)
    return {line.split()[0] for line in r.stdout.splitlines() if line.strip()}


def fnv_tag(path):
    """vpcd's tag of a data directory (lib's hash_str of its real path)."""
    h = 1469598103934665603
    for c in os.path.realpath(path).encode():
        h = ((h ^ c) * 1099511628211) & 0xffffffffffffffff
    return "%06x" % ((h ^ (h >> 29)) & 0xffffff)


class DataplaneDaemon(Daemon):
    dataplane = "linux"

    def start(self, timeout=20):
        return super().start(timeout)

    def purge(self):
        subprocess.run([VPCD, "--data-dir", self.data_dir, "--purge"], capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=120)

    @property
    def tag(self):
        return fnv_tag(self.data_dir)

    def run_in(self, instance, *cmd, timeout=20):
        return subprocess.run([VPCCTL, "--data-dir", self.data_dir, "exec", instance, "--"]
                              + list(cmd), capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)

    def internet(self, *cmd, timeout=20):
        return subprocess.run([VPCCTL, "--data-dir", self.data_dir, "internet", "--"]
                              + list(cmd), capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)

    def connects(self, src, ip, port, timeout=1.5):
        """Whether a TCP connection from instance 'src' (or "internet") to
        ip:port opens and answers "ok"."""
        code = ("import socket,sys\n"
                "try:\n"
                "    s = socket.create_connection((%r, %d), timeout=%r)\n"
                "    s.settimeout(%r)\n"
                "    sys.exit(0 if s.recv(3) == b'ok\\n' else 1)\n"
                "except OSError:\n"
                "    sys.exit(1)\n") % (ip, port, timeout, timeout)
        r = (self.internet if src == "internet" else
             lambda *c, **k: self.run_in(src, *c, **k))("/usr/bin/python3", "-c", code)
        return r.returncode == 0




def public_and_private(ec2):
    """A VPC 10.0.0.0/16 with a public subnet 10.0.1.0/24 (its own route
    table: 0.0.0.0/0 to an attached internet gateway) and a private one,
    10.0.2.0/24 (the main table); returns the ids by name."""
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    public = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    private = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.2.0/24")["Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    pub_rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=pub_rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=pub_rtb, SubnetId=public)
    return {"vpc": vpc, "public": public, "private": private, "igw": igw}


def wait_running(ec2, instance_ids, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = ec2.describe_instances(InstanceIds=list(instance_ids))
        states = [i["State"]["Name"] for res in r["Reservations"] for i in res["Instances"]]
        if states and all(s == "running" for s in states):
            return
        time.sleep(0.1)
    raise AssertionError("instances not running after %ss: %s" % (timeout, states))


def wait_port(dp, src, ip, port, timeout=10):
    """Waits until a listener started by user data answers."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if dp.connects(src, ip, port, timeout=0.5):
            return True
        time.sleep(0.2)
    return False
