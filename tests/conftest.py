"""Shared fixtures: a real vpcd on loopback with a fresh data directory,
and real clients (Debian's boto3 and /usr/bin/aws) pointed at it.

Every daemon a test starts is stopped when the test ends, pass or fail.
"""
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
             "--dataplane", "none"] + self.args,
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


@pytest.fixture
def make_daemon(tmp_path):
    """Factory for daemons; all are stopped at the end of the test."""
    started = []

    def make(name="vpcd", args=()):
        d = Daemon(tmp_path / name, args)
        started.append(d)
        return d

    yield make
    errors = []
    for d in started:
        try:
            d.stop()
        except AssertionError as e:
            errors.append(e)
    if errors:
        raise errors[0]


@pytest.fixture
def vpcd(make_daemon):
    """A running vpcd with a fresh data directory."""
    return make_daemon().start()


@pytest.fixture
def ec2(vpcd):
    """boto3 EC2 client for the administrator account."""
    return vpcd.client()


def error_code(excinfo):
    """The EC2 error code of a botocore ClientError."""
    return excinfo.value.response["Error"]["Code"]


def http_status(excinfo):
    return excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]
